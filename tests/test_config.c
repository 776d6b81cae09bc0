/* tests/test_config.c: settings from defaults, INI text, flags and --set. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/config.h"
#include "tasks/task.h"

static const OptSpec specs[] = {
    { "run", "episodes", NULL, OPT_INT, "100", 1, 1e9, NULL, NULL, "episodes" },
    { "train", "lr", NULL, OPT_DOUBLE, "0.001", 0, 1, NULL, NULL, "learning rate" },
    { "train", "adam", NULL, OPT_BOOL, "true", 0, 0, NULL, NULL, "use adam" },
    { "train", "opt", NULL, OPT_CHOICE, "adam", 0, 0, "adam|rmsprop", NULL, "optimizer" },
    { "train", "sched", NULL, OPT_INT_LIST, "1,2,3", 0, 100, NULL, NULL, "list" },
    OPT_END
};

static Config *fresh(void)
{
    Config *c = config_alloc();
    assert_non_null(c);
    assert_int_equal(config_declare(c, specs), 0);
    assert_int_equal(task_declare(c), 0);
    return c;
}

static void defaults_apply(void **state)
{
    (void)state;
    Config *c = fresh();
    char err[512];
    assert_int_equal(config_finalize(c, err, sizeof err), 0);
    assert_int_equal(config_int(c, "run", "episodes"), 100);
    assert_true(config_double(c, "train", "lr") == 0.001);
    assert_int_equal(config_bool(c, "train", "adam"), 1);
    assert_string_equal(config_str(c, "task", "name"), "bandit");
    assert_int_equal(config_int(c, "task", "trials"), 100);   /* the bandit's default */
    long list[8];
    assert_int_equal(config_int_list(c, "train", "sched", list, 8), 3);
    assert_int_equal(list[2], 3);
    assert_false(config_is_set(c, "run", "episodes"));
    config_free(c);
}

static void owner_defaults_follow_the_choice(void **state)
{
    (void)state;
    Config *c = fresh();
    char err[512];
    assert_int_equal(config_set(c, "task", "name", "reversal", "--task", err, sizeof err), 0);
    assert_int_equal(config_finalize(c, err, sizeof err), 0);
    assert_int_equal(config_int(c, "task", "trials"), 200);   /* the reversal task's default */
    assert_true(config_double(c, "task", "p_high") == 0.8);
    assert_null(config_get(c, "task", "dist"));                /* a bandit key does not apply */
    config_free(c);
}

static void bad_values_name_the_item(void **state)
{
    (void)state;
    Config *c = fresh();
    char err[512];
    assert_int_equal(config_set(c, "run", "episodes", "12x", "--episodes", err, sizeof err), -1);
    assert_non_null(strstr(err, "--episodes"));
    assert_non_null(strstr(err, "12x"));
    assert_int_equal(config_set(c, "run", "episodes", "0", "--episodes", err, sizeof err), -1);
    assert_non_null(strstr(err, "out of range"));
    assert_int_equal(config_set(c, "train", "lr", "nan", "--lr", err, sizeof err), -1);
    assert_int_equal(config_set(c, "train", "lr", "1.5", "--lr", err, sizeof err), -1);
    assert_int_equal(config_set(c, "train", "opt", "sgd", "--opt", err, sizeof err), -1);
    assert_non_null(strstr(err, "adam|rmsprop"));
    assert_int_equal(config_set(c, "train", "adam", "maybe", "--adam", err, sizeof err), -1);
    assert_int_equal(config_set(c, "train", "sched", "1,x", "--sched", err, sizeof err), -1);
    assert_int_equal(config_set(c, "train", "nokey", "1", "--set", err, sizeof err), -1);
    assert_non_null(strstr(err, "train.nokey"));
    assert_non_null(strstr(err, "lr"));   /* lists what is accepted */
    assert_int_equal(config_set(c, "nosection", "k", "1", "--set", err, sizeof err), -1);
    assert_non_null(strstr(err, "[nosection]"));
    assert_int_equal(config_set(c, "task", "p1", "1.2", "--p1", err, sizeof err), -1);
    config_free(c);
}

static void key_of_another_owner_is_rejected(void **state)
{
    (void)state;
    Config *c = fresh();
    char err[512];
    assert_int_equal(config_set(c, "task", "hazard", "0.1", "--hazard", err, sizeof err), 0);
    assert_int_equal(config_finalize(c, err, sizeof err), -1);   /* task is bandit */
    assert_non_null(strstr(err, "task.hazard"));
    assert_non_null(strstr(err, "bandit"));
    assert_int_equal(config_set(c, "task", "name", "reversal", "--task", err, sizeof err), 0);
    assert_int_equal(config_finalize(c, err, sizeof err), 0);
    config_free(c);
}

static void ini_text_and_assignments(void **state)
{
    (void)state;
    Config *c = fresh();
    char err[512];
    const char *ini = "; comment\n[run]\nepisodes = 7\n\n[train]\nlr = 0.01\nopt = rmsprop\n";
    assert_int_equal(config_load_text(c, ini, "x.ini", err, sizeof err), 0);
    assert_int_equal(config_assign(c, "train.lr=0.5", "--set", err, sizeof err), 0);
    assert_int_equal(config_finalize(c, err, sizeof err), 0);
    assert_int_equal(config_int(c, "run", "episodes"), 7);
    assert_true(config_double(c, "train", "lr") == 0.5);
    assert_string_equal(config_str(c, "train", "opt"), "rmsprop");
    assert_int_equal(config_assign(c, "train.lr", "--set", err, sizeof err), -1);
    assert_non_null(strstr(err, "section.key=value"));
    config_free(c);
}

static void ini_errors_give_file_and_line(void **state)
{
    (void)state;
    Config *c = fresh();
    char err[512];
    assert_int_equal(config_load_text(c, "[run]\nepisodes = 5\nepisodes = -3\n", "bad.ini", err, sizeof err), -1);
    assert_non_null(strstr(err, "bad.ini:3"));
    assert_int_equal(config_load_text(c, "[run]\nthis line is not ini\n", "bad2.ini", err, sizeof err), -1);
    assert_non_null(strstr(err, "bad2.ini:2"));
    assert_int_equal(config_load_text(c, "episodes = 3\n", "bad3.ini", err, sizeof err), -1);
    assert_non_null(strstr(err, "outside any [section]"));
    assert_int_equal(config_load_ini(c, "/nonexistent/file.ini", err, sizeof err), -1);
    assert_non_null(strstr(err, "/nonexistent/file.ini"));
    config_free(c);
}

/* Lines of any length (inih's own buffer is 200 bytes), duplicates named
** with both lines, indented lines refused, and line numbers that are the
** file's own after a long line. */
static void ini_long_lines_duplicates_and_indents(void **state)
{
    (void)state;
    Config *c = fresh();
    char err[512];
    size_t n = 400 + 3 * 1000 + 64;
    char *text = malloc(n), *p = text;
    p += sprintf(p, "; %0300d\n[train]\nsched = ", 0);   /* a 302-character comment first */
    for (int i = 0; i < 500; i++) p += sprintf(p, "%s%d", i ? "," : "", i % 100);
    sprintf(p, "\nlr = 0.5\n");
    assert_int_equal(config_load_text(c, text, "long.ini", err, sizeof err), 0);
    long list[1000];
    assert_int_equal(config_int_list(c, "train", "sched", list, 1000), 500);
    assert_int_equal(list[499], 99);
    assert_int_equal(list[137], 37);
    assert_true(config_double(c, "train", "lr") == 0.5);
    config_free(c);

    c = fresh();
    sprintf(p, "\nlr = 2\n");   /* out of range, on line 4 of the file */
    assert_int_equal(config_load_text(c, text, "long.ini", err, sizeof err), -1);
    assert_non_null(strstr(err, "long.ini:4 [train] lr"));
    sprintf(p, "\n\nno equals sign\n");
    assert_int_equal(config_load_text(c, text, "long.ini", err, sizeof err), -1);
    assert_non_null(strstr(err, "long.ini:5: malformed line"));
    free(text);

    assert_int_equal(config_load_text(c, "[run]\nepisodes = 5\n[train]\nlr = 0.1\n[run]\nepisodes = 5\n", "dup.ini",
                                      err, sizeof err), -1);
    assert_non_null(strstr(err, "dup.ini:6: [run] episodes is given twice (first on line 2)"));
    assert_int_equal(config_load_text(c, "[run]\nepisodes = 5\n  6\n", "ind.ini", err, sizeof err), -1);
    assert_non_null(strstr(err, "ind.ini:3: an indented line"));
    assert_int_equal(config_load_text(c, "[run]\n  ; an indented comment is fine\nepisodes = 7\n", "ok.ini", err,
                                      sizeof err), 0);
    config_free(c);
}

/* Inputs that are not regular files are refused at once, not read forever. */
static void ini_refuses_devices_and_directories(void **state)
{
    (void)state;
    Config *c = fresh();
    char err[512];
    assert_int_equal(config_load_ini(c, "/dev/zero", err, sizeof err), -1);
    assert_non_null(strstr(err, "/dev/zero: a device, FIFO or socket, not a regular file"));
    assert_int_equal(config_load_ini(c, "/tmp", err, sizeof err), -1);
    assert_non_null(strstr(err, "/tmp: a directory, not a regular file"));
    config_free(c);
}

static void dump_round_trips(void **state)
{
    (void)state;
    Config *c = fresh();
    char err[512];
    assert_int_equal(config_assign(c, "task.name=reversal", "t", err, sizeof err), 0);
    assert_int_equal(config_assign(c, "task.hazard=0.125", "t", err, sizeof err), 0);
    assert_int_equal(config_assign(c, "train.sched=4,5", "t", err, sizeof err), 0);
    assert_int_equal(config_finalize(c, err, sizeof err), 0);
    char *text = config_dump(c);
    assert_non_null(text);
    assert_null(strstr(text, "dist"));          /* another owner's key is not dumped */
    Config *d = fresh();
    assert_int_equal(config_load_text(d, text, "dump", err, sizeof err), 0);
    assert_int_equal(config_finalize(d, err, sizeof err), 0);
    char *again = config_dump(d);
    assert_string_equal(text, again);
    assert_true(config_double(d, "task", "hazard") == 0.125);
    free(text);
    free(again);
    config_free(c);
    config_free(d);
}

/* A run stored before a setting existed matches when the setting is at its
** default now; every other difference is named. */
static void stored_configs_compare_by_value(void **state)
{
    (void)state;
    Config *c = fresh();
    char err[512], what[256];
    assert_int_equal(config_assign(c, "task.name=reversal", "t", err, sizeof err), 0);
    assert_int_equal(config_finalize(c, err, sizeof err), 0);
    char *text = config_dump(c);
    assert_non_null(text);
    assert_int_equal(config_same_as_stored(c, text, what, sizeof what), 1);
    /* written before train.sched existed: its default then is the old behaviour */
    char *old = strstr(text, "sched = 1,2,3\n");
    assert_non_null(old);
    memmove(old, old + strlen("sched = 1,2,3\n"), strlen(old + strlen("sched = 1,2,3\n")) + 1);
    assert_int_equal(config_same_as_stored(c, text, what, sizeof what), 1);
    /* ... but not when the setting is away from its default now */
    Config *d = fresh();
    assert_int_equal(config_assign(d, "task.name=reversal", "t", err, sizeof err), 0);
    assert_int_equal(config_assign(d, "train.sched=4", "t", err, sizeof err), 0);
    assert_int_equal(config_finalize(d, err, sizeof err), 0);
    assert_int_equal(config_same_as_stored(d, text, what, sizeof what), 0);
    assert_string_equal(what, "train.sched is 1,2,3 in the stored run, 4 now");
    /* another value, another owner, a key this program does not know */
    assert_int_equal(config_same_as_stored(c, "[task]\nname = reversal\nhazard = 0.5\n", what, sizeof what), 0);
    assert_non_null(strstr(what, "task.hazard is 0.5 in the stored run, 0.05 now"));
    assert_int_equal(config_same_as_stored(c, "[task]\nname = bandit\n", what, sizeof what), 0);
    assert_non_null(strstr(what, "task.name is bandit in the stored run, reversal now"));
    assert_int_equal(config_same_as_stored(c, "[train]\nnot_a_key = 1\n", what, sizeof what), 0);
    assert_non_null(strstr(what, "not_a_key"));
    free(text);
    config_free(c);
    config_free(d);
}

static void strict_number_parsing(void **state)
{
    (void)state;
    long l;
    double d;
    assert_int_equal(parse_long("42", &l), 0);
    assert_int_equal(l, 42);
    assert_int_equal(parse_long("1e4", &l), 0);
    assert_int_equal(l, 10000);
    assert_int_equal(parse_long("1.5", &l), -1);
    assert_int_equal(parse_long("", &l), -1);
    assert_int_equal(parse_long("7 apples", &l), -1);
    assert_int_equal(parse_double("0.25", &d), 0);
    assert_int_equal(parse_double("inf", &d), -1);
    assert_int_equal(parse_double("1e999", &d), -1);
    assert_int_equal(parse_double("0x", &d), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(defaults_apply),
        cmocka_unit_test(owner_defaults_follow_the_choice),
        cmocka_unit_test(bad_values_name_the_item),
        cmocka_unit_test(key_of_another_owner_is_rejected),
        cmocka_unit_test(ini_text_and_assignments),
        cmocka_unit_test(ini_errors_give_file_and_line),
        cmocka_unit_test(ini_long_lines_duplicates_and_indents),
        cmocka_unit_test(ini_refuses_devices_and_directories),
        cmocka_unit_test(dump_round_trips),
        cmocka_unit_test(stored_configs_compare_by_value),
        cmocka_unit_test(strict_number_parsing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
