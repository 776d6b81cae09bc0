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
**
** Lesions at test (issue 13, net_agent_lesion): after the forward step of
** each trial, a fixed set of round(silence x N) prefrontal units has its
** rate clamped to 0, and every other prefrontal rate gets Gaussian noise of
** sd rate_noise (drawn from the policy generator, before the action draw),
** clipped to the rate function's range (relu, softplus >= 0; tanh [-1, 1]).
** The policy, the critic (V, striatal rates) and the next trial's recurrent
** input are then computed from the lesioned rates; the stored activity is the
** lesioned rates. The silenced units are the first k of a random permutation
** of 0..N-1 drawn once from lesion_seed, so a larger dose silences a superset
** of a smaller one's units. silence = 0 and rate_noise = 0 change nothing,
** bit for bit (no draw, no recomputation).
*/
#ifndef METARL_NET_AGENT_H
#define METARL_NET_AGENT_H

#include <stddef.h>
#include <stdint.h>

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

typedef struct NetLesion {
    double silence;        /* fraction 0..1 of prefrontal units clamped to rate 0 */
    double rate_noise;     /* sd >= 0 of the noise added to the other prefrontal rates */
    uint64_t seed;         /* seed of the draw of the silenced units */
} NetLesion;

/* Apply lesion l to a state from net_agent_alloc() (before its episodes).
** Return 0, or -1 with a message in err (a value out of range, out of memory). */
int net_agent_lesion(void *state, const NetLesion *l, char *err, size_t n_err);

/* How many prefrontal units the lesion silenced, and a pointer to their
** indices (ascending), for tests and summaries. */
int net_agent_silenced(const void *state, const int **units);

#endif
