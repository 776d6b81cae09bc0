/* model/local_rule.h: a local, delta-gated learning rule beside BPTT
** (train.rule = eprop; model/net.md "The local rule").
**
** Reward-based e-prop (Bellec et al. 2020, Nature Communications 11:3625)
** for the leaky rate units of model/net.h, the form of Murray's (2019, eLife
** 8:e43299) RFLO with the derivative outside the filter. Each prefrontal
** synapse (W_in, W_rec, b) has an eligibility trace built from local
** quantities only:
**
**   q_s      = [ u_s , r_{s-1} , 1 ]         presynaptic activity of step s
**   eps_s    = (1 - alpha) eps_{s-1} + alpha q_s     (eps_{-1} = 0; one vector
**              per lane: the filter is the same for every postsynaptic unit)
**   e_{s,ij} = f'(x_{s,i}) eps_{s,j}        (f' from the rate, net_act_deriv)
**
** At trial t's read step (s = t K + C) the output errors are broadcast to
** the units through fixed feedback weights (feedback alignment; with
** train.feedback = symmetric, through W_pi and dV/dr themselves):
**
**   L_t   = B_pi^T (onehot(a_t) - pi_t) + beta_v b_v      (b_v only with value_trains_pfc)
**   Lent_t = B_pi^T (pi_t (log pi_t + H_t))                 (entropy bonus)
**   random: B_pi (A, N) and b_v (N) N(0, 1/N), drawn once from
**           (seed, RNG_STREAM_INIT, 1); symmetric: B_pi = W_pi, b_v = dV_t/dr_t.
**
** The readouts (W_pi, b_pi, W_s, b_s, w_v, b_v) use their exact local
** gradients. Writing g_t = d[log pi_t(a_t) + beta_v V_t]/dtheta (the
** prefrontal part as L_{t,i} e_{t,ij}), a per-parameter trace
**
**   E_t = gamma lambda E_{t-1} + g_t                         (E_{-1} = 0)
**
** is gated by the striatal delta of model/striatum.h when it arrives (once
** V_{t+1} is known, or at the end with V_T = 0):
**
**   grad += -(s / B) delta_t E_t          (s = train.delta_scale)
**   grad += (beta_e / B) d(logits_t)/dtheta . pi_t (log pi_t + H_t)   (at once)
**
** This is the backward view of A2C's forward-view loss: sum_t Ahat_t g_t
** with Ahat_t = sum_k (gamma lambda)^k s delta_{t+k} equals sum_t s delta_t
** E_t exactly, so the rule differs from BPTT (model/a2c.h, net_backward) only
** by (1) truncating the gradient to the direct path from a unit's own
** synapses to its rate (the recurrent paths W_rec r_{s-1} -> x_s are dropped)
** and (2) random feedback. Where those make no difference, one trial (T = 1,
** K = 1) or no recurrence (W_rec = 0), with symmetric feedback, it equals
** BPTT's gradient up to rounding (tests/test_local_rule.c).
**
** Online: the trainer calls local_rule_forward() after each forward step
** and local_rule_record() after each recorded action; the rule reads only
** the current step's quantities of the lane (and the previous step's rates),
** never the stored episode, and its state per lane is eps (I + N + 1) and E
** (P). The gradient is summed into the caller's block step by step and
** applied once per batch by the trainer's optimizer (as BPTT's is), so the
** two rules differ in the gradient estimate and nothing else.
*/
#ifndef METARL_LOCAL_RULE_H
#define METARL_LOCAL_RULE_H

#include <stddef.h>
#include <stdint.h>

#include "model/net.h"

typedef struct LocalRuleConfig {
    int symmetric;        /* 1: feedback through W_pi and dV/dr; 0: fixed random B */
    double gamma, lambda; /* the trace decays by gamma lambda per trial */
    double delta_scale;   /* s */
    double beta_v;
    double scale;         /* 1/B: the batch mean's share */
    uint64_t seed;        /* of the random feedback */
} LocalRuleConfig;

typedef struct LocalRule {
    LocalRuleConfig cfg;
    double *B_pi;         /* (A, N) random feedback of the policy error (unused if symmetric) */
    double *b_v;          /* (N) random feedback of the value error */
} LocalRule;

typedef struct LocalTrace {
    int ns;               /* steps absorbed into eps */
    double pending;       /* -(s/B) delta_{t-1}, applied to E_{t-1} by the next local_rule_record */
    double *eps;          /* (I + N + 1): [u part, r part, bias] */
    double *E;            /* (P) block layout (net_params_point) */
    double *sig, *sig_ent;/* (N) scratch: L_t psi_t and Lent_t psi_t */
    double *dvdr;         /* (N) scratch: dV/dr (symmetric) */
    double *gl, *ent;     /* (A) scratch: the output errors */
} LocalTrace;

/* Build the rule for net (draws the random feedback). NULL with a message
** if out of memory. */
LocalRule *local_rule_alloc(const Net *net, const LocalRuleConfig *cfg, char *err, size_t n_err);
void local_rule_free(LocalRule *rule);

LocalTrace *local_trace_alloc(const Net *net);
void local_trace_free(LocalTrace *lt);
/* A new episode: eps = 0, E = 0. */
void local_trace_reset(const Net *net, LocalTrace *lt);

/* After net_forward_step of trial t = nl->t: absorb the steps just run into
** eps; if t >= 1, delta_{t-1} = r_{t-1} + gamma V_t - V_{t-1} (striatum_delta)
** is settled: grad += -(s/B) delta_{t-1} E_{t-1} (done by the next
** local_rule_record, in one pass with E's decay; grad may be NULL here). */
void local_rule_forward(const LocalRule *rule, const Net *net, LocalTrace *lt, const NetLane *nl,
                        double *grad);

/* After net_lane_record of trial t = nl->t - 1: E = gamma lambda E + g_t,
** the entropy term into grad; if done, grad += -(s/B) delta_t E_t with
** V_{t+1} = 0. */
void local_rule_record(const LocalRule *rule, const Net *net, LocalTrace *lt, const NetLane *nl,
                       double beta_e, int done, double *grad);

#endif
