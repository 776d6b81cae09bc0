/* model/runner.c: one episode of an agent on a task (see runner.h): trial by
** trial, or, for a multi-stage task, stage by stage. */
#include <assert.h>
#include <math.h>
#include <string.h>

#include "model/runner.h"
#include "model/striatum.h"

/* Copy the agent's value and unit rates at this step into *value and, if
** row is not NULL and the sizes match, row. */
static void trace_step(const Agent *agent, EpisodeRecord *rec, float *row, double *value)
{
    AgentTrace trace = { NAN, NULL, 0, 0, NULL, 0, 0, NULL };
    *value = NAN;
    if (!agent->type->trace) return;
    agent->type->trace(agent->state, &trace);
    *value = trace.value;
    if (row && trace.units && trace.n_units == rec->n_units) {
        for (int i = 0; i < trace.n_units; i++) row[i] = (float)trace.units[i];
        rec->n_pfc = trace.n_pfc;
    }
}

/* The episode's per-step prefrontal rates into rec, where rec has room for
** them (episode_reserve_steps) and the agent has them (the network). */
static void trace_steps(const Agent *agent, EpisodeRecord *rec)
{
    AgentTrace trace = { NAN, NULL, 0, 0, NULL, 0, 0, NULL };
    rec->n_steps = 0;
    if (!rec->cap_steps || !agent->type->trace) return;
    agent->type->trace(agent->state, &trace);
    if (!trace.step_units || trace.n_pfc != rec->n_step_units) return;
    const int n = trace.n_steps < rec->cap_steps ? trace.n_steps : rec->cap_steps, N = trace.n_pfc;
    for (size_t i = 0; i < (size_t)n * (size_t)N; i++) rec->step_rates[i] = (float)trace.step_units[i];
    memcpy(rec->step_epoch, trace.step_epoch, (size_t)n);
    rec->n_steps = n;
    rec->steps_per_trial = trace.steps_per_trial;
}

/* A multi-stage task: a trial record per trial (its choice stage's truth,
** policy, value, unit rates and action; the sum of its stages' rewards) and
** a stage row per step. An agent that is not every_stage acts at the choice
** stage only (action 0 elsewhere) and learns once per trial, from its
** choice and the trial's total reward. */
static void episode_stages(Task *task, Agent *agent, gsl_rng *r_task, gsl_rng *r_agent, double gamma,
                           EpisodeRecord *rec)
{
    const TaskType *tt = task->type;
    const AgentType *at = agent->type;
    double obs[TASK_MAX_OBS];
    assert(rec->cap_stages >= task_max_steps(&task->info));
    episode_clear(rec);
    tt->reset(task->state, r_task);
    at->reset(agent->state);
    TrialRecord *tr = NULL;
    int done = 0;
    while (!done) {
        const int stage = tt->stage(task->state);
        TaskTruth truth;
        double probs[TASK_MAX_ACTIONS], value;
        tt->truth(task->state, &truth);
        tt->observe(task->state, obs);
        for (int k = 0; k < TASK_MAX_ACTIONS; k++) probs[k] = NAN;
        /* an agent of single choices (wsls, rw, ...) makes the trial's choice only */
        const int acts = at->every_stage || stage == task->info.choice_stage;
        int a = acts ? at->act(agent->state, obs, r_agent, probs) : 0;
        assert(a >= 0 && a < task->info.n_actions);
        assert(stage > 0 || rec->n_trials < rec->cap_trials);
        if (stage == 0) {
            tr = &rec->trials[rec->n_trials++];
            tr->reward = 0.0;
            tr->rpe = NAN;
        }
        assert(tr);
        if (stage == task->info.choice_stage) {   /* the trial's choice: what its record reports */
            const int t = rec->n_trials - 1;
            trace_step(agent, rec, rec->n_units ? rec->activity + (size_t)t * rec->n_units : NULL, &value);
            tr->truth = truth;
            for (int k = 0; k < TASK_MAX_ACTIONS; k++) tr->probs[k] = probs[k];
            tr->value = value;
            tr->action = a;
        } else if (acts) {
            trace_step(agent, rec, NULL, &value);
        } else {
            value = NAN;
        }
        double reward = tt->step(task->state, a, r_task, &done);
        tr->reward += reward;
        if (at->every_stage) at->learn(agent->state, a, reward);
        else if (done || tt->stage(task->state) == 0) at->learn(agent->state, tr->action, tr->reward);   /* the trial's outcome */
        StageRecord g = { rec->n_trials - 1, stage, truth.state, a, reward, value, NAN };
        int full = episode_add_stage(rec, &g);
        assert(full == 0);
        (void)full;
    }
    trace_steps(agent, rec);
    tt->describe(task->state, rec->instance, sizeof rec->instance);
    striatum_fill_rpe(rec, gamma);
    episode_summarize(rec);
}

void runner_episode(Task *task, Agent *agent, gsl_rng *r_task, gsl_rng *r_agent,
                    double gamma, EpisodeRecord *rec)
{
    if (task->info.max_stages > 1) {
        episode_stages(task, agent, r_task, r_agent, gamma, rec);
        return;
    }
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
        trace_step(agent, rec, rec->n_units ? rec->activity + (size_t)rec->n_trials * rec->n_units : NULL, &tr->value);
        double reward = tt->step(task->state, a, r_task, &done);
        at->learn(agent->state, a, reward);
        tr->action = a;
        tr->reward = reward;
        tr->rpe = NAN;
        rec->n_trials++;
        assert(done || rec->n_trials < rec->cap_trials);
    }
    trace_steps(agent, rec);
    tt->describe(task->state, rec->instance, sizeof rec->instance);
    striatum_fill_rpe(rec, gamma);
    episode_summarize(rec);
}
