/* core/ini_read.h: the one INI reader, for config files, a run's stored
** configuration and sweep grids.
**
** It reads the whole input first (a regular file of at most INI_MAX_BYTES:
** a device, a FIFO or a directory is refused, not read forever or taken for
** an empty file), then hands each `key = value` to the caller with the line
** it is on in the file. Lines may be of any length. A key given twice in
** one [section] is an error that names both lines; so is an indented line
** (inih would take it as a continuation of the previous value).
**
** Usage:
**     static int entry(void *user, const char *section, const char *key,
**                      const char *value, int line, char *err, size_t n_err)
**     { ... return 0, or -1 with a message in err ... }
**     if (ini_read_file(path, "the config file", entry, &ctx, err, sizeof err) != 0) ... err
*/
#ifndef METARL_INI_READ_H
#define METARL_INI_READ_H

#include <stddef.h>

#define INI_MAX_BYTES (16 << 20)   /* a config or grid is a few kB; 16 MB is plainly not one */

/* Called once per entry, in file order. Return 0 to go on, or -1 with a
** message in err (it is passed back unchanged) to stop. */
typedef int (*IniEntryFn)(void *user, const char *section, const char *key, const char *value, int line,
                          char *err, size_t n_err);

/* flags: INI_REPEATS lets a key come more than once in a section (a sweep
** grid lists values so); by default a repeat is an error. */
#define INI_REPEATS 1

/* Parse INI text; origin names it in messages ("file.ini", "the stored
** configuration"). Return 0, or -1 with "ORIGIN:LINE: ..." in err. */
int ini_read_text(const char *text, const char *origin, int flags, IniEntryFn fn, void *user, char *err,
                  size_t n_err);

/* Read a file whole and parse it; `what` names it in messages ("the config file"). */
int ini_read_file(const char *path, const char *what, int flags, IniEntryFn fn, void *user, char *err, size_t n_err);

/* A regular text file of at most INI_MAX_BYTES, read whole and NUL-ended
** (malloc'd; the caller frees), or NULL with a message in err. */
char *ini_slurp(const char *path, const char *what, char *err, size_t n_err);

#endif
