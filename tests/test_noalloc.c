/* tests/test_noalloc.c: no heap allocation in the per-step path.
**
** The program is linked with -Wl,--wrap=malloc,calloc,realloc (Makefile), so
** every call from the project's own code (libmetarl.a and this file) goes
** through the counters below. After a warm-up, training updates (one worker
** and two: the pool waits between batches, it is not rebuilt), the
** frozen-weight network playing test episodes, and the tasks drawing
** instances must not allocate at all.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "core/config.h"
#include "core/episode.h"
#include "core/rng.h"
#include "model/net_agent.h"
#include "model/runner.h"
#include "model/trainer.h"
#include "tasks/task.h"

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t m);
void *__real_realloc(void *p, size_t n);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t m);
void *__wrap_realloc(void *p, size_t n);

static long n_allocs;

void *__wrap_malloc(size_t n)
{
    __atomic_fetch_add(&n_allocs, 1, __ATOMIC_RELAXED);
    return __real_malloc(n);
}

void *__wrap_calloc(size_t n, size_t m)
{
    __atomic_fetch_add(&n_allocs, 1, __ATOMIC_RELAXED);
    return __real_calloc(n, m);
}

void *__wrap_realloc(void *p, size_t n)
{
    __atomic_fetch_add(&n_allocs, 1, __ATOMIC_RELAXED);
    return __real_realloc(p, n);
}

static const OptSpec run_specs[] = {
    { "run", "seed", NULL, OPT_INT, "1", 0, 4294967295.0, NULL, NULL, "master seed" },
    { "run", "episodes", NULL, OPT_INT, "100", 1, 1e9, NULL, NULL, "episodes" },
    OPT_END
};

static Config *make_config(const char *task, int workers)
{
    char err[256], buf[64];
    Config *c = config_alloc();
    assert_non_null(c);
    assert_int_equal(config_declare(c, run_specs), 0);
    assert_int_equal(task_declare(c), 0);
    assert_int_equal(train_declare(c), 0);
    const char *const sets[] = { "model.hidden=24", "model.striatum_units=4", "model.noise=0.05",
                                 "model.time_input=true", "train.batch=4", NULL };
    for (const char *const *s = sets; *s; s++) assert_int_equal(config_assign(c, *s, "test", err, sizeof err), 0);
    snprintf(buf, sizeof buf, "task.name=%s", task);
    assert_int_equal(config_assign(c, buf, "test", err, sizeof err), 0);
    snprintf(buf, sizeof buf, "train.workers=%d", workers);
    assert_int_equal(config_assign(c, buf, "test", err, sizeof err), 0);
    assert_int_equal(config_finalize(c, err, sizeof err), 0);
    return c;
}

static void check_training(const char *task, int workers)
{
    char err[256];
    Config *c = make_config(task, workers);
    TrainConfig tc;
    assert_int_equal(train_config_from(c, &tc, err, sizeof err), 0);
    Trainer *tr = trainer_alloc(&tc, c, err, sizeof err);
    assert_non_null(tr);
    TrainStats st;
    assert_int_equal(trainer_iterate(tr, &st), 0);   /* warm-up */
    long before = n_allocs;
    for (int i = 0; i < 5; i++) assert_int_equal(trainer_iterate(tr, &st), 0);
    assert_int_equal(n_allocs - before, 0);
    trainer_free(tr);
    config_free(c);
}

static void training_one_worker(void **state)
{
    (void)state;
    check_training("bandit", 1);
    check_training("reversal", 1);
}

static void training_two_workers(void **state)
{
    (void)state;
    check_training("bandit", 2);
}

static void frozen_network_episodes(void **state)
{
    (void)state;
    char err[256];
    Config *c = make_config("reversal", 1);
    TrainConfig tc;
    assert_int_equal(train_config_from(c, &tc, err, sizeof err), 0);
    Trainer *tr = trainer_alloc(&tc, c, err, sizeof err);
    assert_non_null(tr);
    size_t P;
    const double *params = trainer_params(tr, &P);
    Task *task = task_alloc(c, err, sizeof err);
    assert_non_null(task);
    Agent *agent = agent_wrap(agent_type_network, net_agent_alloc(&tc, &task->info, params, err, sizeof err));
    assert_non_null(agent);
    int n_units = tc.hidden + tc.striatum_units;
    EpisodeRecord *rec = episode_alloc(task->info.max_trials, n_units);
    gsl_rng *rt = rng_alloc(), *rp = rng_alloc();
    long before = 0;
    for (int e = 0; e < 6; e++) {
        if (e == 1) before = n_allocs;   /* episode 0 warms up */
        rng_seed_episode(rt, 3, RNG_STREAM_TEST_TASK, (uint64_t)e);
        rng_seed_episode(rp, 3, RNG_STREAM_TEST_POLICY, (uint64_t)e);
        runner_episode(task, agent, rt, rp, tc.gamma, rec);
    }
    assert_int_equal(n_allocs - before, 0);
    assert_int_equal(rec->n_trials, task->info.max_trials);
    gsl_rng_free(rt);
    gsl_rng_free(rp);
    episode_free(rec);
    agent_free(agent);
    task_free(task);
    trainer_free(tr);
    config_free(c);
}

/* The counters do count: an allocation from the project's code shows. */
static void counter_counts(void **state)
{
    (void)state;
    long before = n_allocs;
    EpisodeRecord *rec = episode_alloc(10, 2);
    assert_non_null(rec);
    assert_true(n_allocs - before > 0);
    episode_free(rec);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(counter_counts),
        cmocka_unit_test(training_one_worker),
        cmocka_unit_test(training_two_workers),
        cmocka_unit_test(frozen_network_episodes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
