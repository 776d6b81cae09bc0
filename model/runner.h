/* model/runner.h: play one episode of an agent on a task and record it.
**
** The one place where an agent meets a task trial by trial (baselines, the
** frozen-weight test phase and the reference agents beside it all go
** through here). Training has its own batched loop in model/trainer.c,
** because it needs the whole history for backpropagation.
*/
#ifndef METARL_RUNNER_H
#define METARL_RUNNER_H

#include <gsl/gsl_rng.h>

#include "core/episode.h"
#include "model/agent.h"
#include "tasks/task.h"

/* Reset task (drawing the instance from r_task) and agent, play until the
** task says done, and fill rec: per trial the truth, action, reward, policy,
** and, where the agent has a trace(), its value and unit rates (copied only
** if rec->n_units matches). RPE is filled from the values with gamma.
** rec must hold task->info.max_trials trials. Allocates nothing.
** A multi-stage task (max_stages > 1) also fills a stage row per step (rec
** must have task_max_steps() stage rows reserved); each trial record then
** holds its choice stage's (TaskInfo.choice_stage) truth, policy, value,
** rates and action, and the sum of the stages' rewards. A record with
** steps reserved (episode_reserve_steps) also gets the agent's per-step
** prefrontal rates at the end (the network with epochs; none otherwise). */
void runner_episode(Task *task, Agent *agent, gsl_rng *r_task, gsl_rng *r_agent,
                    double gamma, EpisodeRecord *rec);

#endif
