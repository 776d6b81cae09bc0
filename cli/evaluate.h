/* cli/evaluate.h: play many episodes of one agent, summarise, and store them.
**
** Shared by `baseline` (a reference agent) and `test` (the frozen network and
** the reference agents beside it, on the same task instances: episodes are
** seeded from (seed, RNG_STREAM_TEST_*, episode), whichever agent plays).
*/
#ifndef METARL_EVALUATE_H
#define METARL_EVALUATE_H

#include <stdint.h>

#include "core/store.h"
#include "core/summary.h"
#include "model/agent.h"
#include "tasks/task.h"

typedef struct EvalOptions {
    uint64_t seed;
    long episodes;
    double gamma;         /* for the RPE of agents with a value */
    Store *store;         /* NULL: summarise only */
    int64_t run_id;       /* run the episodes belong to (with store) */
    int n_units;          /* unit rates per trial to record (0 = none) */
    int batch;            /* episodes per transaction */
    const char *label;    /* for the progress line; NULL = quiet */
} EvalOptions;

/* Run o->episodes episodes of agent on task into s (initialised by the
** caller). Episodes are stored on a second thread (core/episode_writer.h)
** while the next ones are played. Return 0; -1 if the store failed (message
** in err; the open batch is rolled back, earlier batches stay); or 128 +
** signal if interrupted (every episode completed so far is committed). */
int eval_agent(Task *task, Agent *agent, const EvalOptions *o, Summary *s, char *err, size_t n_err);

/* Print a Summary as the human-readable table. */
void eval_print(const Summary *s, const char *agent, int trials_per_episode);

#endif
