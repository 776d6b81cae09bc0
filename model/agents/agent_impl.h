/* model/agents/agent_impl.h: helpers shared by the reference agents' files.
**
** Not part of the agent interface (model/agent.h): only the files of model/agents/ and
** the agents' tests include this. The helpers are defined in
** model/agents/agent_impl.c.
*/
#ifndef METARL_AGENT_IMPL_H
#define METARL_AGENT_IMPL_H

#include <stddef.h>
#include <gsl/gsl_rng.h>

#include "core/config.h"
#include "core/rng.h"
#include "tasks/task.h"

/* Actions are drawn from a policy with rng_categorical() (core/rng.h). */

/* Index of the largest x[0..n-1]; values within tol of the largest count as
** tied and one of them is drawn uniformly from r (no draw when there is no
** tie). If probs is not NULL it receives the resulting policy: 1/k on each
** of the k tied actions, 0 elsewhere. */
int agent_argmax(const double *x, int n, double tol, gsl_rng *r, double *probs);

/* The value of task.name in cfg, or "" if the Config declares no task. */
const char *agent_task_name(const Config *cfg);

/* The facts of the task cfg configures (tasks/task.h), the one way agents
** learn its structure. Return -1 (f zeroed, f->task "") if cfg declares no
** task or it cannot be built. */
int agent_task_facts(const Config *cfg, TaskFacts *f);

/* For a bandit task whose arms are a known pair (task.dist = easy, medium,
** hard or fixed), write the pair (from the task's facts; pair[0] is arm 0's
** probability when the sides are not shuffled) and whether the sides are
** shuffled each episode, and return 0. Return -1 for any other task or dist. */
int agent_bandit_pair(const Config *cfg, double pair[2], int *shuffled);

/* Write "agent NAME cannot serve task T (dist=D): it needs ACCEPTS" into err,
** naming the configured task (and its dist, for bandits). Return NULL, so an
** alloc() can `return agent_refuse(...)`. */
void *agent_refuse(char *err, size_t n_err, const char *agent, const Config *cfg,
                   const char *accepts);

/* Check that the task has as many actions as the agent handles: exactly
** `exactly` if that is positive, else 1..TASK_MAX_ACTIONS. On failure write a
** message like agent_refuse()'s and return -1; else return 0. */
int agent_check_actions(char *err, size_t n_err, const char *agent, const Config *cfg,
                        const TaskInfo *ti, int exactly);

#endif
