/* model/runner.c: one episode of an agent on a task (see runner.h). */
#include <assert.h>
#include <math.h>
#include <string.h>

#include "model/runner.h"
#include "model/striatum.h"

void runner_episode(Task *task, Agent *agent, gsl_rng *r_task, gsl_rng *r_agent,
                    double gamma, EpisodeRecord *rec)
{
    const TaskType *tt = task->type;
    const AgentType *at = agent->type;
    double obs[TASK_MAX_OBS];
    assert(rec->cap_trials >= task->info.max_trials);

    episode_clear(rec);
    tt->reset(task->state, r_task);
    at->reset(agent->state);
    int done = 0;
    while (!done) {
        TrialRecord *tr = &rec->trials[rec->n_trials];
        tt->truth(task->state, &tr->truth);
        tt->observe(task->state, obs);
        for (int k = 0; k < TASK_MAX_ACTIONS; k++) tr->probs[k] = NAN;
        int a = at->act(agent->state, obs, r_agent, tr->probs);
        assert(a >= 0 && a < task->info.n_actions);
        if (at->trace) {
            AgentTrace trace = { NAN, NULL, 0, 0 };
            at->trace(agent->state, &trace);
            tr->value = trace.value;
            if (trace.units && trace.n_units == rec->n_units) {
                float *row = rec->activity + (size_t)rec->n_trials * rec->n_units;
                for (int i = 0; i < trace.n_units; i++) row[i] = (float)trace.units[i];
                rec->n_pfc = trace.n_pfc;
            }
        } else {
            tr->value = NAN;
        }
        double reward = tt->step(task->state, a, r_task, &done);
        at->learn(agent->state, a, reward);
        tr->action = a;
        tr->reward = reward;
        tr->rpe = NAN;
        rec->n_trials++;
        assert(done || rec->n_trials < rec->cap_trials);
    }
    tt->describe(task->state, rec->instance, sizeof rec->instance);
    striatum_fill_rpe(rec, gamma);
    episode_summarize(rec);
}
