/* tests/helpers/testutil.h: small helpers the cmocka test programs share. */
#ifndef METARL_TESTUTIL_H
#define METARL_TESTUTIL_H

#include "core/config.h"

/* A finalized Config with run, task and agent settings declared and the
** given "section.key=value" assignments applied (NULL-terminated). Fails the
** current test on a bad assignment. */
Config *test_config(const char *const *assignments);

/* A fresh temporary directory path (removed by test_rmdir). */
void test_tmpdir(char *out, size_t n);
void test_rmdir(const char *dir);

#endif
