/* model/agents/agent_bayes.h: the Bayes-optimal bandit agent's dynamic program, for
** tests and analyses that need its expected reward without running it.
**
** The agent itself is agent.name = bayes (model/agents/agent_bayes.c, listed in
** agent_types[]). These functions solve the same dynamic program as the
** agent, keeping only two layers of the value table, and return
**
**     V*(T) = max over policies of E[sum_{t=1}^T r_t]
**
** for a two-armed Bernoulli bandit of horizon T under each prior. With
** E[max(p1, p2)] known, the expected regret of the Bayes-optimal policy is
** T E[max(p1, p2)] - V*(T): E[max] = 2/3 for independent U(0,1) arms, 3/4
** for the dependent arms p2 = 1 - p1, and max(p_a, p_b) for a known pair.
*/
#ifndef METARL_AGENT_BAYES_H
#define METARL_AGENT_BAYES_H

/* Longest horizons the agent and these functions accept: the tables hold
** C(T+4,4), (T+1)(T+2)/2 and (T+1)(T+2)(2T+3)/6 states respectively, at
** 5 bytes a state in the agent (C(154,4) = 22.9M states for T = 150). */
#define AGENT_BAYES_MAX_T_INDEPENDENT 150
#define AGENT_BAYES_MAX_T_DEPENDENT 4000
#define AGENT_BAYES_MAX_T_PAIR 300

/* p1, p2 independent U(0,1), Beta(1,1) priors. NaN if T is outside
** 1..AGENT_BAYES_MAX_T_INDEPENDENT or memory runs out. V*(1) = 1/2. */
double agent_bayes_value_independent(int T);

/* p1 ~ U(0,1), p2 = 1 - p1. NaN if T is outside 1..AGENT_BAYES_MAX_T_DEPENDENT
** or memory runs out. */
double agent_bayes_value_dependent(int T);

/* Known pair, unknown side: (p1, p2) = (pa, pb) with probability prior_a,
** else (pb, pa). Needs 0 < pa, pb < 1 unless prior_a is 0 or 1. NaN if T is
** outside 1..AGENT_BAYES_MAX_T_PAIR, the arguments are invalid, or memory
** runs out. */
double agent_bayes_value_pair(int T, double pa, double pb, double prior_a);

#endif
