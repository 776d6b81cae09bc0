/* model/net_agent.h: a trained network as an agent, with its weights frozen.
**
** For the test phase: the network plays behind the AgentType interface
** (model/agent.h) like any reference agent, through the runner. It keeps a
** private COPY of the parameters given to it (so a trainer that goes on
** updating does not change it, and it can never change the trainer's), a
** one-lane forward workspace, and its own memory of the previous action and
** reward. act() runs exactly the training forward pass (net_forward_step)
** and samples exactly as training does (noise first, then one uniform), so
** with the same episode seeds it reproduces a training episode.
**
**     void *s = net_agent_alloc(&tc, &task->info, trainer_params(tr, NULL), err, n);
**     Agent *agent = agent_wrap(agent_type_network, s);
**     runner_episode(task, agent, r_task, r_policy, tc.gamma, rec);
*/
#ifndef METARL_NET_AGENT_H
#define METARL_NET_AGENT_H

#include <stddef.h>

#include "model/agent.h"
#include "model/train_settings.h"
#include "tasks/task.h"

/* The AgentType "network". Its alloc() method fails with a message: the
** state must come from net_agent_alloc(), since it needs trained weights. */
extern const AgentType *const agent_type_network;

/* Build the agent's state: a network of tc's shape for task ti, with a copy
** of params (P doubles, trainer layout). params is only read. Return NULL
** with a message in err on invalid settings or out of memory. Freed by the
** type's free() (agent_free). */
void *net_agent_alloc(const TrainConfig *tc, const TaskInfo *ti, const double *params,
                      char *err, size_t n_err);

#endif
