/* jobs/evaluate.c: many episodes of one agent (see evaluate.h). */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "jobs/evaluate.h"
#include "jobs/run_util.h"
#include "store/episode_writer.h"
#include "store/rates.h"
#include "core/rng.h"
#include "model/runner.h"
#include "model/striatum.h"

void eval_rpe_json(Json *j, const char *agent_name)
{
    const AgentType *t = agent_lookup(agent_name);
    if (!t) return;
    const char *v = agent_value_text(t);
    json_knum(j, "rpe_gamma", agent_rpe_gamma(t, NAN));
    json_kstr(j, "rpe_value", v ? v : "none (no RPE)");
}

/* test.delta_block: the delta is blocked after the fact, since nothing during the episode reads it. */
static void episode_zero_rpe(EpisodeRecord *rec)
{
    for (int t = 0; t < rec->n_trials; t++) rec->trials[t].rpe = 0.0;
    for (int k = 0; k < rec->n_stages; k++) rec->stages[k].rpe = 0.0;
}

/* Episodes go to the store through an EpisodeWriter, so that SQLite works on
   the second core while the agent plays the next episode. */
int eval_agent(Task *task, Agent *agent, const EvalOptions *o, Summary *s, char *err, size_t n_err)
{
    return eval_agent_rpe(task, agent, o, 0, s, err, n_err);
}

int eval_agent_rpe(Task *task, Agent *agent, const EvalOptions *o, int zero_rpe, Summary *s, char *err,
                   size_t n_err)
{
    EpisodeRecord *own = NULL;
    EpisodeWriter *writer = NULL;
    gsl_rng *r_task = rng_alloc(), *r_agent = rng_alloc();
    int ret = -1;
    if (!r_task || !r_agent) {
        snprintf(err, n_err, "out of memory");
        goto done;
    }
    if (o->store) {
        int fmt = store_rates_written(o->rates_format);
        EpisodeWriterOptions wo = { .run_id = o->run_id, .phase = "test", .with_activity = o->n_units > 0 ? fmt : 0,
                                    .batch = o->batch > 0 ? o->batch : 100, .depth = 8,
                                    .max_trials = task->info.max_trials, .n_units = o->n_units,
                                    .max_stages = task->info.max_stages,
                                    .max_steps = o->n_units > 0 ? o->max_steps : 0, .n_step_units = o->n_step_units };
        if (!(writer = episode_writer_start(o->store, &wo, err, n_err))) goto done;
    } else if (!(own = episode_alloc_stages(task->info.max_trials, task->info.max_stages, o->n_units))) {
        snprintf(err, n_err, "out of memory");
        goto done;
    }
    const double gamma = agent_rpe_gamma(agent->type, o->gamma);   /* NaN: no value, no delta */
    double t0 = now_s();
    ret = 0;
    for (long e = 0; e < o->episodes; e++) {
        if (o->stop && *o->stop) {
            ret = 128 + *o->stop;
            break;
        }
        EpisodeRecord *rec = writer ? episode_writer_slot(writer) : own;
        if (!rec) break;   /* the writer failed: its message comes from finish */
        rng_seed_episode(r_task, o->seed, RNG_STREAM_TEST_TASK, (uint64_t)e);
        rng_seed_episode(r_agent, o->seed, RNG_STREAM_TEST_POLICY, (uint64_t)e);
        runner_episode(task, agent, r_task, r_agent, gamma, rec);
        if (agent->type->value == AGENT_VALUE_TRIAL) striatum_fill_rpe_trial(rec);   /* r - V at each outcome */
        if (zero_rpe) episode_zero_rpe(rec);
        summary_add(s, rec);
        if (writer) episode_writer_push(writer, e);
        if (o->progress) o->progress(o->progress_ctx, o->label, e + 1, o->episodes, now_s() - t0);
    }
    if (o->progress) o->progress(o->progress_ctx, o->label, -1, o->episodes, now_s() - t0);
    /* interrupted or not, the episodes completed so far are kept */
    if (episode_writer_finish(writer, err, n_err) != 0) ret = -1;
done:
    episode_free(own);
    gsl_rng_free(r_task);
    gsl_rng_free(r_agent);
    return ret;
}
