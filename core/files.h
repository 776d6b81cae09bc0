/* core/files.h: checks on the files a command is given, in one place, so
** that every command treats a device, a FIFO or a directory alike: an input
** must be a regular file (reading /dev/zero would never end; a directory is
** not an empty file); an output may only be created, or replace a regular
** file that is none of the command's inputs and no database.
*/
#ifndef METARL_FILES_H
#define METARL_FILES_H

#include <stddef.h>

/* 0 if path names a regular file (after symlinks); -1 with "PATH: ..."
** naming what it is instead, or why it cannot be looked at, in err. `what`
** names its role in the message ("the config file", "the data file"). */
int files_check_input(const char *path, const char *what, char *err, size_t n_err);

/* 0 if out may be written: it does not exist, or it is a regular file that
** is not one of the n_inputs paths (compared by device and inode, so another
** name for the same file counts) and not an SQLite database (a figure or a
** CSV file never replaces one). -1 with "OUT: ..." in err otherwise. */
int files_check_output(const char *out, const char *const *inputs, int n_inputs, char *err, size_t n_err);

#endif
