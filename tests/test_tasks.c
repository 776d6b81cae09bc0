/* tests/test_tasks.c: the bandit and reversal tasks.
**
** Reward statistics are checked against the configured probabilities within
** 5 standard errors at fixed seeds; reversal schedules must land exactly
** where configured; agents on the same episode seed must meet the same
** instance and reward coins.
*/
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/rng.h"
#include "tasks/task.h"
#include "tests/helpers/testutil.h"

static Task *make_task(const char *const *assign)
{
    char err[512];
    Config *c = test_config(assign);
    Task *t = task_alloc(c, err, sizeof err);
    if (!t) fail_msg("%s", err);
    config_free(c);
    return t;
}

/* Within 5 standard errors of a Bernoulli(p) mean over n draws. */
static void assert_rate(double hits, double n, double p, const char *what)
{
    double se = sqrt(p * (1 - p) / n);
    if (fabs(hits / n - p) > 5 * se + 1e-12)
        fail_msg("%s: rate %.5f vs p %.5f (5 SE = %.5f)", what, hits / n, p, 5 * se);
}

static void bandit_rewards_match_probabilities(void **state)
{
    (void)state;
    const char *a[] = { "task.dist=fixed", "task.p1=0.3", "task.p2=0.8", "task.shuffle=false",
                        "task.trials=1000", NULL };
    Task *t = make_task(a);
    gsl_rng *r = rng_alloc();
    double hits[2] = { 0, 0 }, n[2] = { 0, 0 };
    for (int e = 0; e < 100; e++) {
        rng_seed_episode(r, 7, RNG_STREAM_TASK, e);
        t->type->reset(t->state, r);
        int done = 0;
        for (int k = 0; !done; k++) {
            TaskTruth tr;
            t->type->truth(t->state, &tr);
            assert_true(tr.p[0] == 0.3 && tr.p[1] == 0.8 && tr.best == 1 && tr.block == 0);
            int act = k & 1;
            hits[act] += t->type->step(t->state, act, r, &done);
            n[act]++;
        }
    }
    assert_true(n[0] + n[1] == 100000);
    assert_rate(hits[0], n[0], 0.3, "arm 1");
    assert_rate(hits[1], n[1], 0.8, "arm 2");
    gsl_rng_free(r);
    task_free(t);
}

static void bandit_distributions(void **state)
{
    (void)state;
    static const char *dists[] = { "independent", "dependent", "easy", "medium", "hard" };
    static const double pair_hi[] = { NAN, NAN, 0.9, 0.75, 0.6 };
    gsl_rng *r = rng_alloc();
    for (int d = 0; d < 5; d++) {
        char assign[64];
        snprintf(assign, sizeof assign, "task.dist=%s", dists[d]);
        const char *a[] = { assign, NULL };
        Task *t = make_task(a);
        double sum = 0, sum_sq = 0, left_better = 0;
        int n = 20000;
        for (int e = 0; e < n; e++) {
            rng_seed_episode(r, 3, RNG_STREAM_TEST_TASK, e);
            t->type->reset(t->state, r);
            TaskTruth tr;
            t->type->truth(t->state, &tr);
            sum += tr.p[0];
            sum_sq += tr.p[0] * tr.p[0];
            left_better += tr.p[0] > tr.p[1];
            if (d == 1) assert_true(fabs(tr.p[0] + tr.p[1] - 1) < 1e-15);
            if (d >= 2) {
                double hi = tr.p[0] > tr.p[1] ? tr.p[0] : tr.p[1], lo = tr.p[0] + tr.p[1] - hi;
                assert_true(hi == pair_hi[d] && fabs(lo - (1 - pair_hi[d])) < 1e-15);
            }
        }
        if (d < 2) {   /* p1 ~ U(0,1): mean 1/2, variance 1/12 */
            double mean = sum / n, var = sum_sq / n - mean * mean;
            if (fabs(mean - 0.5) > 5 * sqrt(1.0 / 12 / n)) fail_msg("%s: mean p1 %.4f", dists[d], mean);
            if (fabs(var - 1.0 / 12) > 0.005) fail_msg("%s: var p1 %.4f", dists[d], var);
        }
        assert_rate(left_better, n, 0.5, dists[d]);   /* the better side is random */
        task_free(t);
    }
    gsl_rng_free(r);
}

/* Two agents on the same episode seed meet the same instance, and where they
** choose the same arm on the same trial, the same reward. */
static void same_seed_same_coins(void **state)
{
    (void)state;
    const char *names[] = { "bandit", "reversal" };
    gsl_rng *r = rng_alloc();
    for (int k = 0; k < 2; k++) {
        char assign[64];
        snprintf(assign, sizeof assign, "task.name=%s", names[k]);
        const char *a[] = { assign, NULL };
        Task *t = make_task(a);
        int T = t->info.max_trials, agree = 0;
        double *rew = calloc((size_t)T, sizeof *rew);
        TaskTruth *truth = calloc((size_t)T, sizeof *truth);
        for (int pass = 0; pass < 2; pass++) {
            rng_seed_episode(r, 11, RNG_STREAM_TEST_TASK, 5);
            t->type->reset(t->state, r);
            int done = 0;
            for (int s = 0; !done; s++) {
                TaskTruth tr;
                t->type->truth(t->state, &tr);
                int act = pass == 0 ? 0 : (s % 3 == 0);
                double rw = t->type->step(t->state, act, r, &done);
                if (pass == 0) {
                    rew[s] = rw;
                    truth[s] = tr;
                } else {
                    /* hazard schedule: same instance (fields, not bytes: padding) */
                    assert_true(truth[s].p[0] == tr.p[0] && truth[s].p[1] == tr.p[1]);
                    assert_int_equal(truth[s].best, tr.best);
                    assert_int_equal(truth[s].block, tr.block);
                    assert_int_equal(truth[s].since_reversal, tr.since_reversal);
                    if (act == 0) {
                        assert_true(rew[s] == rw);
                        agree++;
                    }
                }
            }
        }
        assert_true(agree > T / 2);
        free(rew);
        free(truth);
        task_free(t);
    }
    gsl_rng_free(r);
}

static void reversal_blocks_land_where_configured(void **state)
{
    (void)state;
    const char *a[] = { "task.name=reversal", "task.schedule=blocks", "task.blocks=55,15,20,15,20,35",
                        "task.trials=160", "task.start=2", NULL };
    Task *t = make_task(a);
    gsl_rng *r = rng_alloc();
    rng_seed_episode(r, 1, RNG_STREAM_TASK, 0);
    t->type->reset(t->state, r);
    static const int starts[] = { 0, 55, 70, 90, 105, 125 };
    int done = 0, block = 0;
    for (int s = 0; !done; s++) {
        TaskTruth tr;
        t->type->truth(t->state, &tr);
        if (block + 1 < 6 && s == starts[block + 1]) block++;
        assert_int_equal(tr.block, block);
        assert_int_equal(tr.since_reversal, s - starts[block]);
        assert_int_equal(tr.best, (block % 2 == 0) ? 1 : 0);   /* start=2: arm index 1 good first */
        assert_true(tr.p[tr.best] == 0.8 && tr.p[1 - tr.best] == 0.2);
        t->type->step(t->state, s & 1, r, &done);
    }
    char json[512];
    t->type->describe(t->state, json, sizeof json);
    assert_non_null(strstr(json, "\"reversals\":[55,70,90,105,125]"));
    assert_non_null(strstr(json, "\"first_good\":1"));
    gsl_rng_free(r);
    task_free(t);
}

static void reversal_hazard_rate(void **state)
{
    (void)state;
    const char *a[] = { "task.name=reversal", "task.hazard=0.05", NULL };
    Task *t = make_task(a);
    gsl_rng *r = rng_alloc();
    double reversals = 0, chances = 0;
    for (int e = 0; e < 2000; e++) {
        rng_seed_episode(r, 2, RNG_STREAM_TASK, e);
        t->type->reset(t->state, r);
        int done = 0, last_block = 0;
        while (!done) {
            TaskTruth tr;
            t->type->truth(t->state, &tr);
            reversals += tr.block - last_block;
            last_block = tr.block;
            t->type->step(t->state, 0, r, &done);
        }
        chances += t->info.max_trials - 1;   /* a reversal can come before trials 1..T-1 */
    }
    assert_rate(reversals, chances, 0.05, "reversal hazard");
    gsl_rng_free(r);
    task_free(t);
}

static void reversal_criterion(void **state)
{
    (void)state;
    const char *a[] = { "task.name=reversal", "task.schedule=criterion", "task.crit_k=8", "task.crit_n=10",
                        "task.trials=100", NULL };
    Task *t = make_task(a);
    gsl_rng *r = rng_alloc();
    rng_seed_episode(r, 4, RNG_STREAM_TASK, 0);
    t->type->reset(t->state, r);
    int done = 0, s = 0, n_rev = 0;
    while (!done) {   /* an agent that always picks the good arm reverses every 8 trials */
        TaskTruth tr;
        t->type->truth(t->state, &tr);
        assert_int_equal(tr.block, s / 8);
        assert_int_equal(tr.since_reversal, s % 8);
        n_rev = tr.block;
        t->type->step(t->state, tr.best, r, &done);
        s++;
    }
    assert_int_equal(n_rev, 99 / 8);
    /* an agent that never picks the good arm never meets the criterion */
    rng_seed_episode(r, 4, RNG_STREAM_TASK, 1);
    t->type->reset(t->state, r);
    done = 0;
    while (!done) {
        TaskTruth tr;
        t->type->truth(t->state, &tr);
        assert_int_equal(tr.block, 0);
        t->type->step(t->state, 1 - tr.best, r, &done);
    }
    gsl_rng_free(r);
    task_free(t);
}

static void invalid_combinations_are_refused(void **state)
{
    (void)state;
    char err[512];
    const char *a[] = { "task.name=reversal", "task.p_high=0.3", "task.p_low=0.6", NULL };
    Config *c = test_config(a);
    assert_null(task_alloc(c, err, sizeof err));
    assert_non_null(strstr(err, "p_low"));
    config_free(c);
    const char *b[] = { "task.name=reversal", "task.schedule=criterion", "task.crit_k=9", "task.crit_n=5", NULL };
    c = test_config(b);
    assert_null(task_alloc(c, err, sizeof err));
    assert_non_null(strstr(err, "crit_k"));
    config_free(c);
}

/* Every registered task implements the whole interface, and owns its settings. */
static void registry_tasks_are_complete(void **state)
{
    (void)state;
    for (const TaskType *const *t = task_types; *t; t++) {
        assert_ptr_equal(task_lookup((*t)->name), *t);
        assert_non_null((*t)->params);
        for (const OptSpec *p = (*t)->params; p->section; p++) assert_string_equal(p->owner, (*t)->name);
        assert_true((*t)->alloc && (*t)->info && (*t)->reset && (*t)->observe && (*t)->truth && (*t)->step &&
                    (*t)->describe && (*t)->free && (*t)->facts && (*t)->deciding);
        char assign[64];
        snprintf(assign, sizeof assign, "task.name=%s", (*t)->name);
        Task *task = make_task((const char *[]){ assign, NULL });
        assert_true(task->info.max_stages >= 1);
        assert_true((task->info.max_stages > 1) == ((*t)->stage != NULL));   /* stages need stage() */
        task_free(task);
    }
    assert_null(task_lookup("nonesuch"));
}

static void facts_of(const char *const *assign, TaskFacts *f)
{
    Task *t = make_task(assign);
    task_facts(t, f);
    task_free(t);
}

static void bandit_facts(void **state)
{
    (void)state;
    TaskFacts f;
    facts_of((const char *[]){ "task.name=bandit", "task.dist=easy", NULL }, &f);
    assert_true(f.fixed_pair && f.shuffled && f.pair[0] == 0.9 && f.pair[1] == 0.1);
    assert_string_equal(f.dist, "easy");
    assert_int_equal(f.n_trials, 100);
    assert_false(f.two_level);
    facts_of((const char *[]){ "task.name=bandit", "task.dist=fixed", "task.p1=0.3", "task.p2=0.65",
                               "task.shuffle=false", NULL }, &f);
    assert_true(f.fixed_pair && !f.shuffled && f.pair[0] == 0.3 && f.pair[1] == 0.65);
    facts_of((const char *[]){ "task.name=bandit", "task.dist=independent", NULL }, &f);
    assert_false(f.fixed_pair);
    assert_true(f.hazard == 0.0 && isnan(f.p_high));
}

/* The hazard each schedule implies: the configured one; n blocks over their
** total length (6/160 for the Reiter schedule); 1/(k - 1 + 1/delay). */
static void reversal_facts(void **state)
{
    (void)state;
    TaskFacts f;
    facts_of((const char *[]){ "task.name=reversal", "task.hazard=0.1", "task.p_high=0.9", NULL }, &f);
    assert_true(f.two_level && f.hazard_exact && f.hazard == 0.1 && f.p_high == 0.9 && f.p_low == 0.2);
    assert_null(f.dist);
    facts_of((const char *[]){ "task.name=reversal", "task.schedule=blocks", "task.blocks=55,15,20,15,20,35",
                               "task.trials=160", NULL }, &f);
    assert_false(f.hazard_exact);
    assert_true(fabs(f.hazard - 6.0 / 160.0) < 1e-15);
    facts_of((const char *[]){ "task.name=reversal", "task.schedule=criterion", "task.crit_k=8",
                               "task.delay_hazard=0.5", NULL }, &f);
    assert_true(fabs(f.hazard - 1.0 / 9.0) < 1e-15);
}

/* A title names the settings that decide the family member, and no others. */
static void titles_name_the_deciding_settings(void **state)
{
    (void)state;
    char title[256];
    Config *c = test_config((const char *[]){ "task.name=bandit", "task.dist=fixed", "task.p1=0.6", NULL });
    task_title(c, title, sizeof title);
    assert_string_equal(title, "bandit (trials=100, dist=fixed, p1=0.6, p2=0.3)");
    config_free(c);
    c = test_config((const char *[]){ "task.name=bandit", "task.p1=0.6", NULL });
    task_title(c, title, sizeof title);
    assert_string_equal(title, "bandit (trials=100, dist=independent)");
    config_free(c);
    c = test_config((const char *[]){ "task.name=reversal", "task.schedule=blocks", NULL });
    task_title(c, title, sizeof title);
    assert_string_equal(title, "reversal (trials=200, p_high=0.8, p_low=0.2, schedule=blocks, blocks=55,15,20,15,20,35)");
    config_free(c);
}

/* A run's stored configuration carries every section; the facts read only [task]. */
static void facts_from_stored_text(void **state)
{
    (void)state;
    TaskFacts f;
    char err[512];
    const char *ini = "[run]\nseed = 3\n[task]\nname = reversal\np_high = 0.7\np_low = 0.3\n"
                      "schedule = blocks\nblocks = 10,20\n[model]\nhidden = 6\n";
    assert_int_equal(task_facts_from_text(ini, &f, err, sizeof err), 0);
    assert_true(f.two_level && f.p_high == 0.7 && f.p_low == 0.3 && fabs(f.hazard - 2.0 / 30.0) < 1e-15);
    assert_int_equal(task_facts_from_text("[task]\nname = reversal\np_high = 2\n", &f, err, sizeof err), -1);
    assert_non_null(strstr(err, "p_high: 2 is out of range"));
    assert_int_equal(task_facts_from_text("[task]\nname = nonesuch\n", &f, err, sizeof err), -1);
    assert_non_null(strstr(err, "nonesuch"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(bandit_rewards_match_probabilities),
        cmocka_unit_test(bandit_distributions),
        cmocka_unit_test(same_seed_same_coins),
        cmocka_unit_test(reversal_blocks_land_where_configured),
        cmocka_unit_test(reversal_hazard_rate),
        cmocka_unit_test(reversal_criterion),
        cmocka_unit_test(invalid_combinations_are_refused),
        cmocka_unit_test(registry_tasks_are_complete),
        cmocka_unit_test(bandit_facts),
        cmocka_unit_test(reversal_facts),
        cmocka_unit_test(facts_from_stored_text),
        cmocka_unit_test(titles_name_the_deciding_settings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
