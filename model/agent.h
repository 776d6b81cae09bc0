/* model/agent.h: the agent interface and the registry of reference agents.
**
** An agent chooses an action each trial and learns from the outcome. The
** reference agents (random, win-stay/lose-shift, Rescorla-Wagner, Thompson
** sampling, UCB1, greedy, Bayes-optimal, ideal observer) and the trained
** network all sit behind this one interface, so the runner (model/runner.h),
** the store and every analysis treat them alike.
**
** Per trial the runner calls:
**
**     a = type->act(state, obs, r, probs);   choose; probs[A] = policy, NaN where not defined
**     type->learn(state, a, reward);          outcome of that choice
**
** Agents are told the task's fixed facts (TaskInfo) and may read the task's
** settings from the Config (the ideal observer reads task.p_high, say); they
** never see the task's hidden state. Each agent file keeps everything static
** and exports its const AgentType object (e.g. agent_random), listed in
** agent_types[] (an object rather than a pointer, so that the registry array
** can take its address in a static initializer).
*/
#ifndef METARL_AGENT_H
#define METARL_AGENT_H

#include <stddef.h>
#include <gsl/gsl_rng.h>

#include "core/config.h"
#include "tasks/task.h"

/* Extra per-trial quantities an agent may expose for storage (the network's
** value estimate and unit rates). Filled by the optional trace() method. */
typedef struct AgentTrace {
    double value;          /* V for the current trial, NaN if none */
    const double *units;   /* n_units rates (prefrontal first, then striatal) or NULL */
    int n_units;
    int n_pfc;             /* how many of units are prefrontal */
    /* the episode so far step by step (a network with epochs within a trial;
    ** NULL/0 for every other agent): n_steps rows of n_pfc prefrontal rates,
    ** steps_per_trial steps a trial, step_epoch[s] the epoch (EPOCH_*,
    ** core/episode.h) of step s */
    const double *step_units;
    int n_steps, steps_per_trial;
    const unsigned char *step_epoch;
} AgentTrace;

/* What an agent's trace() value V is, which fixes the one discount gamma of
** its stored RPE delta = r + gamma V' - V (jobs/evaluate.c, agent_rpe_gamma):
**   DISCOUNTED  an estimate of the discounted return (the network's critic):
**               the run's gamma (train.gamma). The zero value, so the
**               network's type needs no entry.
**   NONE        no value (random, wsls): delta NaN.
**   TRIAL       the expected reward of this trial (rw's Q of the chosen arm,
**               the posterior means of thompson, ucb1 and greedy, the
**               observer's E[r]; in a two-stage trial the value of each
**               stage): gamma 0 across trials, delta = r - V at the outcome,
**               stages within one trial chained undiscounted.
**   RETURN      the undiscounted expected reward to the episode's end
**               (bayes): gamma 1. */
typedef enum { AGENT_VALUE_DISCOUNTED = 0, AGENT_VALUE_NONE, AGENT_VALUE_TRIAL, AGENT_VALUE_RETURN } AgentValueKind;

typedef struct AgentType {
    const char *name;       /* value of agent.name */
    const char *summary;    /* one line for `metarl agents` */
    const OptSpec *params;  /* section "agent", owner = name; OPT_END-terminated */

    /* Build an agent for a task. Return NULL with a message in err when the
    ** agent cannot serve this task (Bayes-optimal on a reversal task, say)
    ** or memory runs out. */
    void *(*alloc)(const Config *cfg, const TaskInfo *ti, char *err, size_t n_err);
    /* Forget everything learnt within an episode (a new task instance). */
    void (*reset)(void *state);
    /* Choose an action in [0, n_actions). Write the policy's probabilities
    ** into probs[0..n_actions-1] if probs is not NULL (NaN where the agent has
    ** no closed form). Draw only from r. */
    int (*act)(void *state, const double *obs, gsl_rng *r, double *probs);
    /* The outcome of the last act(). */
    void (*learn)(void *state, int action, double reward);
    void (*free)(void *state);
    /* Optional (NULL if none): what the agent computed on the last act(). */
    void (*trace)(const void *state, AgentTrace *out);
    AgentValueKind value;   /* what trace()'s value is (above) */
    /* Multi-stage tasks: 1 if the agent acts and learns at every stage (it
    ** reads the stage from obs: the network, the two-step agents); 0 if it
    ** only makes each trial's choice (TaskInfo.choice_stage) and learns
    ** from the trial's total reward, the runner taking action 0 elsewhere. */
    int every_stage;
} AgentType;

typedef struct Agent {
    const AgentType *type;
    void *state;
} Agent;

/* NULL-terminated list of the reference agents. */
extern const AgentType *const agent_types[];

/* The reference agent named `name`, or NULL. */
const AgentType *agent_lookup(const char *name);

/* Declare agent.name and every reference agent's parameters in c. */
int agent_declare(Config *c);

/* The gamma of t's stored RPE: run_gamma (DISCOUNTED), NaN (NONE), 0
** (TRIAL) or 1 (RETURN). */
double agent_rpe_gamma(const AgentType *t, double run_gamma);
/* What t's value V is, in a few words ("Q of the chosen arm"), or NULL. */
const char *agent_value_text(const AgentType *t);

/* Allocate the agent named by agent.name for a task. NULL with err on failure. */
Agent *agent_alloc(const Config *cfg, const TaskInfo *ti, char *err, size_t n_err);
/* Wrap an already built state of a given type (the network agent). */
Agent *agent_wrap(const AgentType *type, void *state);
void agent_free(Agent *a);

#endif
