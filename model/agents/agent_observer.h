/* model/agents/agent_observer.h: what the ideal observer (agent.name = observer,
** model/agents/agent_observer.c) believes, for tests and analyses.
**
** `state` is the state of an Agent whose type is the observer
** (agent_lookup("observer")); passing any other state is undefined.
*/
#ifndef METARL_AGENT_OBSERVER_H
#define METARL_AGENT_OBSERVER_H

/* P(arm 0 is the good arm) for the next choice: after the last outcome's
** Bayes update and the change-point transition. */
double agent_observer_belief(const void *state);

/* The hazard rate the observer assumes (derived from the task or set). */
double agent_observer_hazard(const void *state);

#endif
