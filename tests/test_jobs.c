/* tests/test_jobs.c: the train and test jobs through the library (jobs/).
**
** A tiny training job stopped by its stop flag (set from the progress
** callback, as a signal would) saves a checkpoint where it stopped; resumed,
** it ends with weights and optimizer state byte-identical to one
** uninterrupted run. The test job then plays the trained network and its
** reference agents on the stored run. Failures come back as a status and a
** message, not as output: a resume of an empty store, a resume that changes
** a setting, a test of a store with no training run. Stores live in a
** temporary directory.
*/
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/config.h"
#include "store/store.h"
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stop_and_resume_equal_one_run),
        cmocka_unit_test(test_errors_come_back),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
