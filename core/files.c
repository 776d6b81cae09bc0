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
