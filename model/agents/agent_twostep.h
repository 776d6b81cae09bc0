/* model/agents/agent_twostep.h: what the two-step learners (agent.name = mf, mb,
** hybrid; model/agents/agent_twostep.c) compute, for tests, and the check the
** two-step agents share (the ideal observer's two-step mode uses it too).
**
** `state` is the state of an Agent whose type is mf, mb or hybrid; passing
** any other state is undefined.
*/
#ifndef METARL_AGENT_TWOSTEP_H
#define METARL_AGENT_TWOSTEP_H

#include <stddef.h>

#include "core/config.h"
#include "tasks/task.h"

/* The stage-0 values the next first-stage choice would use: Qmb from the
** known transitions and the stage-1 values, and Qnet = w Qmb + (1 - w) Qmf. */
void agent_twostep_values(const void *state, double qmb[2], double qnet[2]);

/* Fill f with the facts of the task cfg configures if it is task twostep
** with two actions and return 0; else write agent_refuse()'s message (or
** agent_check_actions()'s) naming `agent` into err and return -1. */
int agent_twostep_facts(const Config *cfg, const TaskInfo *ti, const char *agent, TaskFacts *f,
                        char *err, size_t n_err);

#endif
