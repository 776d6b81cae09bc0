/* model/striatum.h: the striatal critic and the one reward-prediction error.
**
** The critic of the network (net.h, Blanco-Pozo et al. 2024) reads the
** prefrontal rates r_t (with epochs, those of the trial's choice step), and with critic_input also onehot(a_{t-1}) and
** r_{t-1}, as z_t, and gives the value estimate
**
**   S > 0:  h_t = f(W_s z_t + b_s),   V_t = w_v . h_t + b_v
**   S = 0:  V_t = w_v . z_t + b_v
**
** Its error signal is the temporal-difference error, the "dopamine" RPE
**
**   delta_t = r_t + gamma V_{t+1} - V_t          (V_T = 0: episodes end)
**
** computed here and nowhere else: the trainer's advantages (model/a2c.h)
** are built from striatum_deltas(), and the episode record stores those same
** numbers (trainer_last_episode); episodes of other agents get theirs from
** striatum_fill_rpe(), the same formula on the values the agent reported.
**
** striatum_forward/backward/weight_grads are the critic's share of the
** network's passes, called by model/net.c only (they read a lane's rates
** and write its z, h, V, dh).
*/
#ifndef METARL_STRIATUM_H
#define METARL_STRIATUM_H

#include "core/episode.h"
#include "model/net.h"
#include "model/net_kernels.h"

/* delta = r + gamma V' - V, in that order (the order is part of the bits). */
static inline double striatum_delta(double reward, double gamma, double v_next, double v)
{
    return reward + gamma * v_next - v;
}

/* delta[t] for t < T from rewards and values, V_T = 0. */
void striatum_deltas(int T, const double *reward, const double *V, double gamma, double *delta);

/* The rpe of every trial of e from its rewards and values (V = 0 after the
** last trial; NaN where a value or reward is NaN). A multi-stage episode
** (n_stages > 0): of every stage row, a step per stage, and a trial's rpe is
** that of its last stage (the outcome). */
void striatum_fill_rpe(EpisodeRecord *e, double gamma);

/* The rpe of an agent whose value is the expected reward of the trial
** (AGENT_VALUE_TRIAL, model/agent.h): delta = r - V on each trial; a
** multi-stage episode: delta = r + V' - V between the stages of one trial
** and r - V at its last stage (V' = 0: the next trial is not bootstrapped).
** A trial's rpe is its last stage's. NaN where a value or reward is NaN. */
void striatum_fill_rpe_trial(EpisodeRecord *e);

/* Critic forward for trial lanes[j]->t of n <= COMB_BLOCK lanes whose rates
** r_t are computed: z_t, h_t (S > 0) and V_t. */
void striatum_forward(const Net *net, NetLane *const *lanes, int n);

/* Critic backward at trial t of lane L given *dv = dL/dV_t: dh_t (S > 0),
** and, with value_trains_pfc, the critic's segment of dr_t appended to c
** (its term list written at ix, vl: room for S entries). dv NULL: a step
** that is not the trial's read step (epochs): an empty segment of the same
** matrix (value_trains_pfc), nothing else. */
void striatum_backward(const Net *net, NetLane *L, int t, const double *dv, int *ix, double *vl, Comb *c);

/* g += the critic's weight and bias gradients over lane L's episode (dV (T)). */
void striatum_weight_grads(const Net *net, NetLane *L, const double *dV, const NetParams *g);

#endif
