/* tests/test_fuzz_corpus.c: replay every committed fuzz input (the seed
** corpus and each crash the fuzzers once found) through the fuzz targets,
** so a fixed parser bug stays fixed. Under `make check-asan` and
** `make check-valgrind` the same replay runs with the sanitizers and
** memcheck watching. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "tests/fuzz/targets.h"

static int replay_dir(const char *dir, int (*target)(const uint8_t *, size_t))
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        FILE *f = fopen(path, "rb");
        assert_non_null(f);
        fseek(f, 0, SEEK_END);
        long size = ftell(f);
        fseek(f, 0, SEEK_SET);
        uint8_t *buf = malloc(size > 0 ? (size_t)size : 1);
        assert_non_null(buf);
        assert_int_equal(fread(buf, 1, (size_t)size, f), (size_t)size);
        fclose(f);
        target(buf, (size_t)size);
        free(buf);
        n++;
    }
    closedir(d);
    return n;
}

static void config_corpus(void **state)
{
    (void)state;
    assert_true(replay_dir("tests/fuzz/corpus/config", fuzz_config) > 0);
}

static void import_corpus(void **state)
{
    (void)state;
    assert_true(replay_dir("tests/fuzz/corpus/import", fuzz_import) > 0);
}

static void store_corpus(void **state)
{
    (void)state;
    assert_true(replay_dir("tests/fuzz/corpus/store", fuzz_store) > 0);
}

static void rates_corpus(void **state)
{
    (void)state;
    assert_true(replay_dir("tests/fuzz/corpus/rates", fuzz_rates) > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(config_corpus),
        cmocka_unit_test(import_corpus),
        cmocka_unit_test(store_corpus),
        cmocka_unit_test(rates_corpus),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
