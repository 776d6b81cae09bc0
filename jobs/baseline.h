/* jobs/baseline.h: the baseline job: a reference agent on a task.
**
** Plays run.episodes episodes of the configured agent (agent.name) on the
** configured task, each instance drawn from (run.seed, episode), so that
** different agents with the same seed meet the same instances and reward
** coins; summarises them and, with a store, keeps every trial as a
** baseline run. Nothing here prints. Used by `metarl baseline`
** (cli/cmd_baseline.c) and the sweep job (jobs/sweep.c).
*/
#ifndef METARL_JOBS_BASELINE_H
#define METARL_JOBS_BASELINE_H

#include <signal.h>
#include <stdint.h>

#include "core/config.h"
#include "core/summary.h"
#include "jobs/evaluate.h"

/* Every setting a baseline accepts: [run] seed, episodes; [task]; [agent]. */
int baseline_declare(Config *c);

typedef struct BaselineSettings {
    const Config *cfg;             /* finalized: [run], [task], [agent] */
    const char *db;                /* the store (created if missing); NULL: summary only */
    const char *name;              /* label of the run (NULL: the agent's name) */
    const char *version;           /* the program's, stored with the run */
    volatile sig_atomic_t *stop;   /* nonzero (a signal number): stop; completed episodes are kept */
    EvalProgressFn progress;       /* NULL = none */
    void *progress_ctx;
} BaselineSettings;

typedef struct BaselineResult {
    int64_t run;                   /* 0 without a store */
    uint64_t seed;
    int max_trials;
    char title[256];               /* task_title() */
    Summary s;
    int stopped;                   /* the signal number that stopped it, or 0 */
    char *json;                    /* the summary (free with baseline_result_clear) */
} BaselineResult;

void baseline_result_clear(BaselineResult *r);

/* Run the baseline. JOB_OK (also when stopped: see r->stopped), JOB_USAGE
** for a bad task or agent or a store that cannot be opened, JOB_FAILED for
** a store error; the message in err. */
int baseline_job_run(const BaselineSettings *s, BaselineResult *r, char *err, size_t n_err);

#endif
