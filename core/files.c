/* core/files.c: checks on the files a command is given (see files.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "core/files.h"

int files_check_input(const char *path, const char *what, char *err, size_t n_err)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        snprintf(err, n_err, "%s: cannot read %s (%s)", path, what, strerror(errno));
        return -1;
    }
    if (!S_ISREG(st.st_mode)) {
        snprintf(err, n_err, "%s: %s, not a regular file (%s must be a text file)", path,
                 S_ISDIR(st.st_mode) ? "a directory" : "a device, FIFO or socket", what);
        return -1;
    }
    return 0;
}

int files_check_output(const char *out, const char *const *inputs, int n_inputs, char *err, size_t n_err)
{
    struct stat st, in;
    if (stat(out, &st) != 0) return 0;   /* to be created */
    if (!S_ISREG(st.st_mode)) {
        snprintf(err, n_err, "%s: %s; refusing to write over it", out,
                 S_ISDIR(st.st_mode) ? "a directory" : "a device, FIFO or socket, not a regular file");
        return -1;
    }
    for (int i = 0; i < n_inputs; i++)
        if (inputs[i] && stat(inputs[i], &in) == 0 && in.st_dev == st.st_dev && in.st_ino == st.st_ino) {
            snprintf(err, n_err, "%s: is this command's input %s; refusing to write over it", out, inputs[i]);
            return -1;
        }
    char head[16] = { 0 };
    FILE *f = fopen(out, "rb");
    size_t n = f ? fread(head, 1, sizeof head, f) : 0;
    if (f) fclose(f);
    if (n == sizeof head && memcmp(head, "SQLite format 3", 16) == 0) {
        snprintf(err, n_err, "%s: an SQLite database; refusing to write over it", out);
        return -1;
    }
    return 0;
}
