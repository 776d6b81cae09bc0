/* jobs/test.h: the test job: the trained network with its weights frozen.
**
** The inner loop of meta-RL, shown: the network meets task instances it has
** never seen (drawn from the test seed's own streams) and must learn each
** one within its recurrent activity, since nothing changes its weights. Every
** trial is stored with the policy, the striatal value V, the dopamine-like
** RPE delta and the full vector of unit rates; the reference agents play the
** very same instances (same episode seeds, same reward coins) beside it, so
** every comparison is paired. Nothing here prints: the caller shows the
** TestResult. Used by `metarl test` (cli/cmd_test.c) and jobs/sweep.c.
*/
#ifndef METARL_JOBS_TEST_H
#define METARL_JOBS_TEST_H

#include <signal.h>
#include <stdint.h>

#include "core/config.h"
#include "core/summary.h"
#include "jobs/evaluate.h"

#define TEST_MAX_REFERENCE 16

/* Settings of the frozen-weight test phase: [test] episodes, seed, agents,
** activity, batch. Training declares them too, so that one config file can
** hold both. */
int test_declare(Config *c);
/* The settings `metarl test` accepts: [test], [task] and [agent] (the
** network's and the trainer's come from the training run). */
int test_declare_cli(Config *c);
/* Every setting of a test's configuration: a training run's stored
** settings and the test's ([test] first, so that --seed and
** --episodes mean the test's). */
int test_declare_all(Config *c);
/* A training run's stored settings (its runs.config text) in a configuration
** of test_declare_all, finalized if asked (a test finalizes after its own
** overrides); NULL with the message in err. The caller frees it. */
Config *test_stored_config(const char *text, int finalize, char *err, size_t n_err);

/* The test settings of cfg that need no run or task to check: test.agents
** (auto, none, or known agents, each once, at most TEST_MAX_REFERENCE) and
** test.activity_steps = all only with rates recorded. 0, or -1 with one
** message in err. `metarl train` checks them too: they are stored with the
** run for its later tests. */
int test_settings_check(const Config *cfg, char *err, size_t n_err);

typedef struct TestSettings {
    const char *db;                /* the store with the training run; the test runs are added */
    int64_t run;                   /* the training run (0 = the newest) */
    const Config *cfg;             /* given settings: only [test], [task] and [agent] may be set */
    const char *version;           /* the program's, stored with the runs */
    volatile sig_atomic_t *stop;   /* nonzero (a signal number): stop; completed episodes are kept */
    EvalProgressFn progress;       /* NULL = none */
    void *progress_ctx;
    void (*notice)(void *ctx, const char *line);   /* a reference agent skipped (may be NULL) */
} TestSettings;

typedef struct TestAgentResult {
    const char *agent;
    int64_t run;
    Summary s;
} TestAgentResult;

typedef struct TestResult {
    int64_t train_run, test_run;
    int64_t checkpoint_episode;
    uint64_t seed;
    long episodes;
    int max_trials, n_units;
    char title[256];               /* task_title() of the tested task */
    int n_results;                 /* results[0] is the network's */
    TestAgentResult results[1 + TEST_MAX_REFERENCE];
    char agent_names[512];         /* storage of the reference agents' names */
    int stopped;                   /* the signal number that stopped it, or 0 */
    char *json;                    /* the test run's summary (free with test_result_clear) */
} TestResult;

void test_result_clear(TestResult *r);

/* Test s->run of s->db. Return JOB_OK (also when stopped: see r->stopped),
** JOB_USAGE for bad settings, a missing run or checkpoint, JOB_FAILED for a
** store error; the message in err. */
int test_job_run(const TestSettings *s, TestResult *r, char *err, size_t n_err);

#endif
