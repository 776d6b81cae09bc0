/* jobs/evaluate.h: play many episodes of one agent, summarise, and store them.
**
** Shared by the baseline command (a reference agent) and the test job
** (jobs/test.h: the frozen network and the reference agents beside it, on
** the same task instances: episodes are seeded from (seed,
** RNG_STREAM_TEST_*, episode), whichever agent plays). Nothing here prints:
** progress goes to an optional callback, errors to a message buffer.
*/
#ifndef METARL_JOBS_EVALUATE_H
#define METARL_JOBS_EVALUATE_H

#include <signal.h>
#include <stdint.h>

#include "core/json.h"
#include "store/store.h"
#include "core/summary.h"
#include "model/agent.h"
#include "tasks/task.h"

/* Called after every episode with the episodes done so far (done of total,
** elapsed_s since the first), and once more at the end with done = -1. */
typedef void (*EvalProgressFn)(void *ctx, const char *label, long done, long total, double elapsed_s);

typedef struct EvalOptions {
    uint64_t seed;
    long episodes;
    double gamma;         /* the RPE's gamma for an agent whose value is a discounted return (the network);
                             the reference agents use their own (agent_rpe_gamma, model/agent.h) */
    Store *store;         /* NULL: summarise only */
    int64_t run_id;       /* run the episodes belong to (with store) */
    int n_units;          /* unit rates per trial to record (0 = none) */
    int batch;            /* episodes per transaction */
    const char *label;    /* for the progress callback */
    EvalProgressFn progress;               /* NULL = none */
    void *progress_ctx;
    volatile sig_atomic_t *stop;           /* nonzero (a signal number) stops before the next episode; may be NULL */
    int rates_format;     /* STORE_RATES_FLOAT16, _SPARSE or float32 (0 or anything else; store/rates.h) */
    int max_steps;        /* with n_units: also record this many steps of per-step rates (0 = none) */
    int n_step_units;     /* ... of this many prefrontal units each */
} EvalOptions;

/* Run o->episodes episodes of agent on task into s (initialised by the
** caller). Episodes are stored on a second thread (store/episode_writer.h)
** while the next ones are played. Return 0; -1 if the store failed (message
** in err; the open batch is rolled back, earlier batches stay); or 128 +
** *o->stop if stopped (every episode completed so far is committed). */
/* The RPE's settings of reference agent agent_name, for a run's stored summary:
** "rpe_gamma" (0, 1 or null: no value) and "rpe_value" (what V is). Nothing
** for a name that is not a reference agent (the network: train.gamma). */
void eval_rpe_json(Json *j, const char *agent_name);

int eval_agent(Task *task, Agent *agent, const EvalOptions *o, Summary *s, char *err, size_t n_err);

/* The same; with zero_rpe = 1 every trial's and stage's stored rpe is 0
** (test.delta_block: the delta blocked; nothing during an episode reads it). */
int eval_agent_rpe(Task *task, Agent *agent, const EvalOptions *o, int zero_rpe, Summary *s, char *err,
                   size_t n_err);

#endif
