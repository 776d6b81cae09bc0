/* model/a2c.c: advantages, value targets and the A2C loss (see a2c.h); the
** deltas they are built from come from the striatum (model/striatum.h). */
#include <assert.h>
#include <stddef.h>

#include "model/a2c.h"

void a2c_advantages(int T, const double *delta, const double *V, double gamma, double lambda,
                    double *adv, double *ret)
{
    a2c_advantages_scaled(T, delta, 1.0, V, gamma, lambda, adv, ret);
}

void a2c_advantages_scaled(int T, const double *delta, double s, const double *V, double gamma, double lambda,
                           double *adv, double *ret)
{
    double next_adv = 0.0;   /* after the last trial: Ahat_T = 0 */
    const double gl = gamma * lambda;
    for (int t = T - 1; t >= 0; t--) {
        adv[t] = s * delta[t] + gl * next_adv;
        ret[t] = adv[t] + V[t];
        next_adv = adv[t];
    }
}

void a2c_loss(int T, int A, const double *logp, const double *probs, const int *action,
              const double *adv, const double *ret, const double *V, double beta_v,
              double beta_e, double scale, double *dlogits, double *dV, A2cTerms *out)
{
    double pol = 0.0, val = 0.0, ent = 0.0;
    for (int t = 0; t < T; t++) {
        const double *lp = logp + (size_t)t * A, *pr = probs + (size_t)t * A;
        const int at = action[t];
        assert(at >= 0 && at < A);
        double H = 0.0;
        for (int a = 0; a < A; a++) H -= pr[a] * lp[a];
        const double err = ret[t] - V[t];
        pol -= lp[at] * adv[t];
        val += 0.5 * err * err;
        ent += H;
        if (dlogits) {
            double *dl = dlogits + (size_t)t * A;
            for (int a = 0; a < A; a++) {
                double g = (pr[a] - (a == at ? 1.0 : 0.0)) * adv[t] + beta_e * pr[a] * (lp[a] + H);
                dl[a] = scale * g;
            }
        }
        if (dV) dV[t] = scale * (-beta_v * err);
    }
    out->policy = pol;
    out->value = val;
    out->entropy = ent;
    out->loss = pol + beta_v * val - beta_e * ent;
}
