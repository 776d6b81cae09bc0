/* tests/test_import.c: reading behavioural choice data (analysis/import.c):
** the shipped public data sets, codings, missed trials, and malformed files
** that must be refused with FILE:LINE:COLUMN and nothing returned. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "analysis/import.h"
#include "tests/helpers/testutil.h"

static char dir[256];

static int setup(void **state)
{
    (void)state;
    test_tmpdir(dir, sizeof dir);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    test_rmdir(dir);
    return 0;
}

static const char *write_tmp(const char *name, const char *text)
{
    static char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    return path;
}

static void hbayesdm_example(void **state)
{
    (void)state;
    ImportSpec spec;
    import_spec_hbayesdm(&spec);
    EpisodeRecord **eps;
    int n;
    char err[512];
    if (import_read("data/human/hBayesDM_bandit2arm_exampleData.txt", &spec, &eps, &n, err, sizeof err) != 0)
        fail_msg("%s", err);
    assert_int_equal(n, 20);
    long trials = 0, rewards = 0;
    for (int i = 0; i < n; i++) {
        assert_int_equal(eps[i]->n_trials, 100);
        trials += eps[i]->n_trials;
        rewards += (long)eps[i]->total_reward;
        assert_true(isnan(eps[i]->regret));   /* no truth in this file */
    }
    assert_int_equal(trials, 2000);
    assert_string_equal(eps[0]->subject, "1");
    /* first rows of the file: 1 1 1 1 / 1 2 2 -1 */
    assert_int_equal(eps[0]->trials[0].action, 0);
    assert_true(eps[0]->trials[0].reward == 1.0);
    assert_int_equal(eps[0]->trials[1].action, 1);
    assert_true(eps[0]->trials[1].reward == 0.0);
    assert_true(rewards > 0 && rewards < trials);
    import_free(eps, n);
}

static void reiter_reversal_data(void **state)
{
    (void)state;
    ImportSpec spec;
    import_spec_csv(&spec);
    spec.choice_col = "A";
    spec.reward_col = "R";
    spec.correct_col = "S";
    spec.reward_codes[1] = "-1";
    spec.p_high = 0.8;
    spec.p_low = 0.2;
    EpisodeRecord **eps;
    int n;
    char err[512];
    if (import_read("data/human/prl_reiter2017_predchange.csv", &spec, &eps, &n, err, sizeof err) != 0)
        fail_msg("%s", err);
    assert_int_equal(n, 22);
    static const int starts[] = { 55, 70, 90, 105, 125 };
    int missed = 0;
    for (int i = 0; i < n; i++) {
        const EpisodeRecord *e = eps[i];
        assert_int_equal(e->n_trials, 160);
        for (int k = 0; k < 5; k++) {   /* the documented schedule, the same for everyone */
            assert_int_equal(e->trials[starts[k]].truth.since_reversal, 0);
            assert_int_equal(e->trials[starts[k]].truth.block, k + 1);
            assert_int_not_equal(e->trials[starts[k]].truth.best, e->trials[starts[k] - 1].truth.best);
        }
        assert_int_equal(e->trials[159].truth.block, 5);
        for (int t = 0; t < e->n_trials; t++) {
            const TrialRecord *tr = &e->trials[t];
            if (tr->action < 0) {
                missed++;
                assert_true(isnan(tr->reward));
            }
            assert_true(tr->truth.p[tr->truth.best] == 0.8);
        }
        assert_false(isnan(e->regret));
    }
    assert_int_equal(missed, 23);
    import_free(eps, n);
}

/* A malformed file: the message, and no episodes. */
static void expect_error(const char *name, const char *text, const ImportSpec *spec, const char *where,
                         const char *what)
{
    EpisodeRecord **eps = (EpisodeRecord **)0x1;
    int n = -1;
    char err[512];
    const char *path = write_tmp(name, text);
    assert_int_equal(import_read(path, spec, &eps, &n, err, sizeof err), -1);
    assert_null(eps);
    assert_int_equal(n, 0);
    char loc[600];
    snprintf(loc, sizeof loc, "%s:%s", path, where);
    if (!strstr(err, loc)) fail_msg("'%s' does not name %s", err, loc);
    if (!strstr(err, what)) fail_msg("'%s' does not say '%s'", err, what);
}

static void malformed_files_are_refused(void **state)
{
    (void)state;
    ImportSpec spec;
    import_spec_csv(&spec);
    expect_error("a.csv", "subject,trial,choice,reward\ns1,1,1,1\ns1,2,3,0\n", &spec, "3:6:", "choice 1 or 2");
    expect_error("b.csv", "subject,trial,choice,reward\ns1,1,1,1\ns1,2,2,yes\n", &spec, "3:8:", "outcome");
    expect_error("c.csv", "subject,trial,choice,reward\ns1,1,1,1\ns1,2,2\n", &spec, "3:7:", "expected 4 fields");
    expect_error("d.csv", "subject,trial,choice,reward\ns1,1,1,1\ns1,x,2,1\n", &spec, "3:4:", "trial number");
    expect_error("e.csv", "subject,trial,choice,reward\ns1,2,1,1\ns1,1,2,1\n", &spec, "3:4:", "trial order");
    expect_error("f.csv", "subject,trial,choice,reward\ns1,1,1,1\ns2,1,2,1\ns1,2,1,0\n", &spec, "4:1:",
                 "grouped by subject");
    expect_error("g.csv", "subject,trial,pick,reward\ns1,1,1,1\n", &spec, "1:", "no column 'choice'");
    expect_error("h.csv", "", &spec, "", "empty file");
    expect_error("i.csv", "subject,trial,choice,reward\n", &spec, "", "no data rows");
}

static void missing_values_quotes_and_crlf(void **state)
{
    (void)state;
    ImportSpec spec;
    import_spec_csv(&spec);
    const char *path = write_tmp("ok.csv", "\"subject\",\"trial\",\"choice\",\"reward\"\r\n"
                                           "\"s 1\",1,2,1\r\n\"s 1\",2,NA,NA\r\n\"s 1\",3,,\r\n\"s 1\",4,1,0\r\n"
                                           "\r\ns2,1,1,1\r\n");
    EpisodeRecord **eps;
    int n;
    char err[512];
    if (import_read(path, &spec, &eps, &n, err, sizeof err) != 0) fail_msg("%s", err);
    assert_int_equal(n, 2);
    assert_string_equal(eps[0]->subject, "s 1");
    assert_int_equal(eps[0]->n_trials, 4);
    assert_int_equal(eps[0]->trials[0].action, 1);
    assert_int_equal(eps[0]->trials[1].action, -1);
    assert_int_equal(eps[0]->trials[2].action, -1);
    assert_int_equal(eps[0]->trials[3].action, 0);
    assert_true(eps[0]->total_reward == 1.0);
    assert_int_equal(eps[1]->n_trials, 1);
    import_free(eps, n);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(hbayesdm_example),
        cmocka_unit_test(reiter_reversal_data),
        cmocka_unit_test(malformed_files_are_refused),
        cmocka_unit_test(missing_values_quotes_and_crlf),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
