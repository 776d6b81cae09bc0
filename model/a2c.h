/* model/a2c.h: advantage actor-critic loss for one episode (Mnih et al. 2016).
**
** After an episode of T trials with rewards r_t and value estimates V_t:
**
**   delta_t = r_t + gamma V_{t+1} - V_t   (V_T = 0; model/striatum.h computes it)
**   Ahat_t  = sum_{k>=0} (gamma lambda)^k delta_{t+k}     GAE(lambda),
**             lambda = 1: Ahat_t = sum_k gamma^k r_{t+k} - V_t (Monte-Carlo)
**   G_t     = Ahat_t + V_t                           value target
**
** Ahat_t and G_t are computed once, from the forward pass, and held
** CONSTANT in the loss (A2C's stop-gradient; a finite-difference check must
** hold them fixed too). The loss of one episode is
**
**   L = sum_t [ -log pi_t(a_t) Ahat_t  +  beta_v 1/2 (G_t - V_t)^2  -  beta_e H(pi_t) ]
**   H(pi) = -sum_a pi_a log pi_a
**
** and a batch's loss is the mean of L over its B episodes (scale = 1/B).
** Gradients with respect to the network's outputs (derivation in net.md):
**
**   dL/dlogit_{t,a} = scale [ (pi_{t,a} - [a == a_t]) Ahat_t + beta_e pi_{t,a} (log pi_{t,a} + H_t) ]
**   dL/dV_t         = scale [ -beta_v (G_t - V_t) ]
*/
#ifndef METARL_A2C_H
#define METARL_A2C_H

/* The per-episode terms of the loss, unscaled and unweighted. */
typedef struct A2cTerms {
    double policy;    /* sum_t -log pi_t(a_t) Ahat_t */
    double value;     /* sum_t 1/2 (G_t - V_t)^2 */
    double entropy;   /* sum_t H(pi_t) */
    double loss;      /* policy + beta_v value - beta_e entropy (unscaled) */
} A2cTerms;

/* Fill adv and ret (T each) from the striatum's deltas (striatum_deltas(),
** model/striatum.h: the one place delta is computed) and the values. The
** backward recursion Ahat_t = delta_t + gamma lambda Ahat_{t+1} fixes the
** order of every sum. delta may be adv itself (read before written). */
void a2c_advantages(int T, const double *delta, const double *V, double gamma, double lambda,
                    double *adv, double *ret);

/* The same with the delta that trains the network scaled by s
** (train.delta_scale, the dopamine manipulation of issue 13):
**   Ahat_t = sum_k (gamma lambda)^k s delta_{t+k} = s Ahat_t(1),   G_t = V_t + s Ahat_t(1)
** so the policy term -log pi Ahat and the value error G - V are both s times
** those of s = 1, and with beta_e = 0 so is the whole gradient (s = 0: no
** gradient at all; the entropy bonus is never scaled). s = 1 gives exactly
** a2c_advantages's bits (1 x delta == delta). delta itself is only read:
** the striatum's unscaled delta stays what the episode record stores. */
void a2c_advantages_scaled(int T, const double *delta, double s, const double *V, double gamma, double lambda,
                           double *adv, double *ret);

/* Loss of one episode from the stored log-policy logp (T, A), policy probs
** (T, A), chosen actions (T), held-constant adv and ret (T) and values V (T).
** If dlogits (T, A) and dV (T) are not NULL, OVERWRITE them with
** scale * dL/dlogits and scale * dL/dV. Return the terms in *out. */
void a2c_loss(int T, int A, const double *logp, const double *probs, const int *action,
              const double *adv, const double *ret, const double *V, double beta_v,
              double beta_e, double scale, double *dlogits, double *dV, A2cTerms *out);

#endif
