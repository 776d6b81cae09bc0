/* tests/test_jobs.c: the train and test jobs through the library (jobs/).
**
** A tiny training job stopped by its stop flag (set from the progress
** callback, as a signal would) saves a checkpoint where it stopped; resumed,
** it ends with weights and optimizer state byte-identical to one
** uninterrupted run. The test job then plays the trained network and its
** reference agents on the stored run. Failures come back as a status and a
** message, not as output: a resume of an empty store, a resume that changes
** a setting, a test of a store with no training run. Stores live in a
** temporary directory. A baseline stores each reference agent's RPE with its
** own documented gamma (model/agent.h): r - V for one-step values, gamma 1
** for bayes's undiscounted V, NaN for agents with no value, and names it in
** the run's summary.
*/
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/config.h"
#include "store/store.h"
#include "jobs/baseline.h"
#include "jobs/run_util.h"
#include "jobs/test.h"
#include "jobs/train.h"
#include "tests/helpers/testutil.h"

#define EPISODES 64

/* A finalized training Config: a small network on a short bandit. */
static Config *train_config(void)
{
    static const char *const sets[] = { "task.name=bandit", "task.trials=10", "model.hidden=6", "train.batch=4",
                                        "train.checkpoint_every=16", "train.anneal_episodes=0", "run.episodes=64",
                                        "run.record_every=8", "run.seed=7", NULL };
    char err[1024];
    Config *c = config_alloc();
    assert_non_null(c);
    assert_int_equal(train_declare_all(c), 0);
    for (int i = 0; sets[i]; i++)
        if (config_assign(c, sets[i], "test", err, sizeof err) != 0) fail_msg("%s: %s", sets[i], err);
    if (config_finalize(c, err, sizeof err) != 0) fail_msg("%s", err);
    return c;
}

/* A finalized Config with nothing set (what a resume or a test is given). */
static Config *empty_config(int (*declare)(Config *))
{
    char err[1024];
    Config *c = config_alloc();
    assert_non_null(c);
    assert_int_equal(declare(c), 0);
    if (config_finalize(c, err, sizeof err) != 0) fail_msg("%s", err);
    return c;
}

/* The progress callback: raise the stop flag once `at` episodes are done. */
typedef struct {
    volatile sig_atomic_t *stop;
    long at;
    int notices, batches;
} Stopper;

static void stop_at(void *ctx, const TrainProgress *p)
{
    Stopper *s = ctx;
    if (p->notice) {
        s->notices++;
        return;
    }
    s->batches++;
    if (p->episode >= s->at) *s->stop = SIGINT;
}

static int train(const char *db, Config *cfg, int resume, volatile sig_atomic_t *stop, Stopper *st, TrainResult *r,
                 char *err, size_t n_err)
{
    TrainSettings s = { db, cfg, resume, 0, NULL, "test", stop, st ? stop_at : NULL, st, NULL };
    return train_job_run(&s, r, err, n_err);
}

/* The newest checkpoint's episode, weights and optimizer state of the newest training run of db. */
typedef struct {
    int64_t episode;
    void *params, *opt, *state;
    size_t n_params, n_opt, n_state;
} Checkpoint;

static void checkpoint_read(const char *db, Checkpoint *ck)
{
    char err[1024];
    Store *s = store_open(db, STORE_READ, err, sizeof err);
    if (!s) fail_msg("%s", err);
    int64_t run = store_last_run(s, "train");
    assert_true(run > 0);
    assert_int_equal(store_get_checkpoint(s, run, &ck->episode, &ck->params, &ck->n_params, &ck->opt, &ck->n_opt,
                                          &ck->state, &ck->n_state), 0);
    store_close(s);
}

static void checkpoint_clear(Checkpoint *ck)
{
    free(ck->params);
    free(ck->opt);
    free(ck->state);
}

static void test_stop_and_resume_equal_one_run(void **state)
{
    char dir[256], a[300], b[300], err[1024];
    test_tmpdir(dir, sizeof dir);
    snprintf(a, sizeof a, "%s/a.db", dir);
    snprintf(b, sizeof b, "%s/b.db", dir);
    volatile sig_atomic_t stop = 0;
    TrainResult r;

    Config *cfg = train_config();
    if (train(a, cfg, 0, &stop, NULL, &r, err, sizeof err) != JOB_OK) fail_msg("%s", err);
    assert_int_equal(r.stopped, 0);
    assert_int_equal(r.final_episode, EPISODES);
    assert_true(r.env_steps == EPISODES * 10L);
    assert_non_null(r.json);
    assert_non_null(strstr(r.json, "\"status\":\"done\""));
    train_result_clear(&r);

    /* stopped after episode 20: between checkpoints (every 16), so the job saves one there */
    Stopper st = { &stop, 20, 0, 0 };
    if (train(b, cfg, 0, &stop, &st, &r, err, sizeof err) != JOB_OK) fail_msg("%s", err);
    assert_int_equal(r.stopped, SIGINT);
    assert_int_equal(r.final_episode, 20);
    assert_int_equal(st.notices, 1);
    assert_int_equal(st.batches, 5);
    assert_non_null(strstr(r.json, "\"status\":\"interrupted\""));
    train_result_clear(&r);
    Checkpoint half;
    checkpoint_read(b, &half);
    assert_int_equal(half.episode, 20);
    checkpoint_clear(&half);

    stop = 0;
    Config *none = empty_config(train_declare_all);
    if (train(b, none, 1, &stop, NULL, &r, err, sizeof err) != JOB_OK) fail_msg("%s", err);
    assert_int_equal(r.stopped, 0);
    assert_int_equal(r.start_episode, 20);
    assert_int_equal(r.final_episode, EPISODES);
    train_result_clear(&r);

    Checkpoint ca, cb;
    checkpoint_read(a, &ca);
    checkpoint_read(b, &cb);
    assert_int_equal(ca.episode, EPISODES);
    assert_int_equal(cb.episode, EPISODES);
    assert_int_equal(ca.n_params, cb.n_params);
    assert_int_equal(ca.n_opt, cb.n_opt);
    assert_int_equal(ca.n_state, cb.n_state);
    assert_memory_equal(ca.params, cb.params, ca.n_params);
    assert_memory_equal(ca.opt, cb.opt, ca.n_opt);
    assert_memory_equal(ca.state, cb.state, ca.n_state);
    checkpoint_clear(&ca);
    checkpoint_clear(&cb);

    /* the test job on the finished run: the network and the bandit's reference agents */
    Config *given = empty_config(test_declare_all);
    assert_int_equal(config_set(given, "test", "episodes", "6", "test", err, sizeof err), 0);
    assert_int_equal(config_finalize(given, err, sizeof err), 0);
    TestSettings ts = { a, 0, given, "test", &stop, NULL, NULL, NULL };
    TestResult *tr = calloc(1, sizeof *tr);
    assert_non_null(tr);
    if (test_job_run(&ts, tr, err, sizeof err) != JOB_OK) fail_msg("%s", err);
    assert_int_equal(tr->stopped, 0);
    assert_int_equal(tr->checkpoint_episode, EPISODES);
    assert_true(tr->test_run > tr->train_run);
    assert_true(tr->n_results > 1);
    assert_string_equal(tr->results[0].agent, "network");
    for (int i = 0; i < tr->n_results; i++) assert_int_equal(tr->results[i].s.episodes, 6);
    assert_true(tr->n_units >= 6);   /* the unit rates are stored (test.activity) */
    assert_non_null(strstr(tr->json, "\"status\":\"done\""));
    test_result_clear(tr);
    free(tr);

    config_free(given);
    config_free(none);
    config_free(cfg);
    test_rmdir(dir);
}

static void test_errors_come_back(void **state)
{
    char dir[256], db[300], err[1024];
    test_tmpdir(dir, sizeof dir);
    snprintf(db, sizeof db, "%s/e.db", dir);
    volatile sig_atomic_t stop = 0;
    TrainResult r;

    /* a resume, and a test, of a store that holds no training run */
    Store *s = store_open(db, STORE_WRITE, err, sizeof err);
    assert_non_null(s);
    store_close(s);
    Config *none = empty_config(train_declare_all);
    assert_int_equal(train(db, none, 1, &stop, NULL, &r, err, sizeof err), JOB_USAGE);
    assert_non_null(strstr(err, "holds no training run"));

    Config *given = empty_config(test_declare_all);
    TestSettings ts = { db, 0, given, "test", &stop, NULL, NULL, NULL };
    TestResult *tr = calloc(1, sizeof *tr);
    assert_non_null(tr);
    assert_int_equal(test_job_run(&ts, tr, err, sizeof err), JOB_USAGE);
    assert_non_null(strstr(err, "holds no training run"));
    free(tr);

    /* a run stopped at once, then a resume that would change the network */
    stop = SIGTERM;
    Config *cfg = train_config();
    assert_int_equal(train(db, cfg, 0, &stop, NULL, &r, err, sizeof err), JOB_OK);
    assert_int_equal(r.stopped, SIGTERM);
    assert_int_equal(r.final_episode, 0);
    train_result_clear(&r);
    stop = 0;
    Config *other = config_alloc();
    assert_non_null(other);
    assert_int_equal(train_declare_all(other), 0);
    assert_int_equal(config_assign(other, "model.hidden=7", "test", err, sizeof err), 0);
    assert_int_equal(config_finalize(other, err, sizeof err), 0);
    assert_int_equal(train(db, other, 1, &stop, NULL, &r, err, sizeof err), JOB_USAGE);
    if (!strstr(err, "model.hidden cannot change when a run resumes")) fail_msg("%s", err);

    config_free(other);
    config_free(cfg);
    config_free(given);
    config_free(none);
    test_rmdir(dir);
}

/* One baseline of agent on task into db; its episodes and summary JSON. */
static int64_t baseline_into(const char *db, const char *task, const char *agent, EpisodeRecord ***eps, int *n,
                             char **json)
{
    char err[1024], a[64], t[64];
    Config *c = config_alloc();
    assert_non_null(c);
    assert_int_equal(baseline_declare(c), 0);
    snprintf(t, sizeof t, "task.name=%s", task);
    snprintf(a, sizeof a, "agent.name=%s", agent);
    const char *sets[] = { t, a, "run.episodes=3", "task.trials=30", NULL };
    for (int i = 0; sets[i]; i++)
        if (config_assign(c, sets[i], "test", err, sizeof err) != 0) fail_msg("%s: %s", sets[i], err);
    if (config_finalize(c, err, sizeof err) != 0) fail_msg("%s", err);
    BaselineSettings s = { c, db, NULL, "test", NULL, NULL, NULL };
    BaselineResult r;
    if (baseline_job_run(&s, &r, err, sizeof err) != JOB_OK) fail_msg("%s %s: %s", task, agent, err);
    Store *st = store_open(db, STORE_READ, err, sizeof err);
    assert_non_null(st);
    assert_int_equal(store_read_episodes(st, r.run, 0, eps, n), 0);
    store_close(st);
    *json = r.json;
    r.json = NULL;
    baseline_result_clear(&r);
    config_free(c);
    return r.run;
}

static void test_baseline_rpe_gamma_per_agent(void **state)
{
    (void)state;
    char dir[256], db[300];
    test_tmpdir(dir, sizeof dir);
    snprintf(db, sizeof db, "%s/b.db", dir);
    static const struct { const char *task, *agent, *json; double gamma; } cases[] = {
        { "reversal", "rw", "\"rpe_gamma\":0,", 0.0 },       { "bandit", "thompson", "\"rpe_gamma\":0,", 0.0 },
        { "bandit", "ucb1", "\"rpe_gamma\":0,", 0.0 },       { "bandit", "greedy", "\"rpe_gamma\":0,", 0.0 },
        { "reversal", "observer", "\"rpe_gamma\":0,", 0.0 }, { "bandit", "bayes", "\"rpe_gamma\":1,", 1.0 },
        { "reversal", "wsls", "\"rpe_gamma\":null,", NAN },  { "bandit", "random", "\"rpe_gamma\":null,", NAN },
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        EpisodeRecord **eps;
        int n;
        char *json;
        baseline_into(db, cases[k].task, cases[k].agent, &eps, &n, &json);
        if (!strstr(json, cases[k].json)) fail_msg("%s: no %s in %s", cases[k].agent, cases[k].json, json);
        assert_int_equal(n, 3);
        for (int e = 0; e < n; e++)
            for (int t = 0; t < eps[e]->n_trials; t++) {
                const TrialRecord *x = &eps[e]->trials[t];
                if (isnan(cases[k].gamma)) {
                    if (!isnan(x->rpe)) fail_msg("%s: rpe %g where it has no value", cases[k].agent, x->rpe);
                    continue;
                }
                double v1 = t + 1 < eps[e]->n_trials ? eps[e]->trials[t + 1].value : 0.0;
                double want = x->reward + cases[k].gamma * v1 - x->value;
                if (!(fabs(x->rpe - want) < 1e-12))
                    fail_msg("%s: trial %d rpe %.17g, want %.17g (r %g, V %g)", cases[k].agent, t, x->rpe, want,
                             x->reward, x->value);
            }
        store_episodes_free(eps, n);
        free(json);
    }
    /* two-step learners: stages chained undiscounted within a trial, r - Q2 at its outcome */
    EpisodeRecord **eps;
    int n;
    char *json;
    baseline_into(db, "twostep", "mf", &eps, &n, &json);
    assert_non_null(strstr(json, "\"rpe_gamma\":0,"));
    for (int e = 0; e < n; e++) {
        const EpisodeRecord *x = eps[e];
        assert_true(x->n_stages == 2 * x->n_trials);
        for (int k = 0; k < x->n_stages; k++) {
            const StageRecord *g = &x->stages[k];
            double want = g->stage == 0 ? g->reward + x->stages[k + 1].value - g->value : g->reward - g->value;
            if (!(fabs(g->rpe - want) < 1e-12)) fail_msg("mf: stage row %d rpe %.17g, want %.17g", k, g->rpe, want);
            if (g->stage == 1) assert_true(x->trials[g->t].rpe == g->rpe);
        }
    }
    store_episodes_free(eps, n);
    free(json);
    test_rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stop_and_resume_equal_one_run),
        cmocka_unit_test(test_errors_come_back),
        cmocka_unit_test(test_baseline_rpe_gamma_per_agent),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
