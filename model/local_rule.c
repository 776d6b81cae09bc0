/* model/local_rule.c: the e-prop rule of model/local_rule.h (equations
** there; derivation and measurements in model/net.md "The local rule").
** Called by model/trainer.c when train.rule = eprop, once per forward step
** and once per recorded action of each lane; every sum runs in a fixed
** order, so a seed and config give the same bits run after run.
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/rng.h"
#include <gsl/gsl_randist.h>

#include "model/local_rule.h"
#include "model/striatum.h"

LocalRule *local_rule_alloc(const Net *net, const LocalRuleConfig *cfg, char *err, size_t n_err)
{
    const int N = net->d.N, A = net->d.A;
    LocalRule *rule = calloc(1, sizeof *rule);
    gsl_rng *r = rng_alloc();
    if (rule) {
        rule->cfg = *cfg;
        rule->B_pi = calloc((size_t)A * N, sizeof(double));
        rule->b_v = calloc((size_t)N, sizeof(double));
    }
    if (!rule || !r || !rule->B_pi || !rule->b_v) {
        if (r) gsl_rng_free(r);
        local_rule_free(rule);
        snprintf(err, n_err, "out of memory");
        return NULL;
    }
    /* index 1 of the init stream: index 0 draws the weights (trainer.c) */
    rng_seed_episode(r, cfg->seed, RNG_STREAM_INIT, 1);
    const double sd = 1.0 / sqrt((double)N);
    for (int k = 0; k < A * N; k++) rule->B_pi[k] = gsl_ran_gaussian(r, sd);
    for (int i = 0; i < N; i++) rule->b_v[i] = gsl_ran_gaussian(r, sd);
    gsl_rng_free(r);
    return rule;
}

void local_rule_free(LocalRule *rule)
{
    if (!rule) return;
    free(rule->B_pi);
    free(rule->b_v);
    free(rule);
}

LocalTrace *local_trace_alloc(const Net *net)
{
    const NetDims *d = &net->d;
    LocalTrace *lt = calloc(1, sizeof *lt);
    if (!lt) return NULL;
    lt->eps = calloc((size_t)(d->I + d->N + 1), sizeof(double));
    lt->E = calloc(d->n_params, sizeof(double));
    lt->sig = calloc((size_t)d->N, sizeof(double));
    lt->sig_ent = calloc((size_t)d->N, sizeof(double));
    lt->dvdr = calloc((size_t)d->N, sizeof(double));
    lt->gl = calloc((size_t)d->A, sizeof(double));
    lt->ent = calloc((size_t)d->A, sizeof(double));
    if (!lt->eps || !lt->E || !lt->sig || !lt->sig_ent || !lt->dvdr || !lt->gl || !lt->ent) {
        local_trace_free(lt);
        return NULL;
    }
    return lt;
}

void local_trace_free(LocalTrace *lt)
{
    if (!lt) return;
    free(lt->eps);
    free(lt->E);
    free(lt->sig);
    free(lt->sig_ent);
    free(lt->dvdr);
    free(lt->gl);
    free(lt->ent);
    free(lt);
}

void local_trace_reset(const Net *net, LocalTrace *lt)
{
    const NetDims *d = &net->d;
    lt->ns = 0;
    lt->pending = 0.0;
    memset(lt->eps, 0, (size_t)(d->I + d->N + 1) * sizeof(double));
    memset(lt->E, 0, d->n_params * sizeof(double));
}

/* grad += c E */
static void settle(const Net *net, const LocalTrace *lt, double c, double *grad)
{
    const size_t P = net->d.n_params;
    for (size_t k = 0; k < P; k++) grad[k] += c * lt->E[k];
}

void local_rule_forward(const LocalRule *rule, const Net *net, LocalTrace *lt, const NetLane *nl,
                        double *grad)
{
    const NetDims *d = &net->d;
    const int N = d->N, I = d->I;
    const double alpha = net->cfg.alpha, leak = 1.0 - alpha;
    double *eu = lt->eps, *er = lt->eps + I, *eb = lt->eps + I + N;
    for (; lt->ns < nl->ns; lt->ns++) {
        const int s = lt->ns;
        const double *u = nl->u + (size_t)s * I;
        const double *rp = s > 0 ? nl->r + (size_t)(s - 1) * N : NULL;
        for (int j = 0; j < I; j++) eu[j] = leak * eu[j] + alpha * u[j];
        for (int j = 0; j < N; j++) er[j] = leak * er[j] + alpha * (rp ? rp[j] : 0.0);
        *eb = leak * *eb + alpha;
    }
    const int t = nl->t;
    lt->pending = 0.0;
    if (t >= 1) {
        /* grad += pending E_{t-1}: applied by local_rule_record, fused with E's decay (E is not
        ** touched in between, so the sums are the same) */
        const double delta = striatum_delta(nl->reward[t - 1], rule->cfg.gamma, nl->V[t], nl->V[t - 1]);
        lt->pending = -rule->cfg.scale * rule->cfg.delta_scale * delta;
    }
    (void)grad;
}

/* dV_t/dr_t (N) into out: the critic's exact sensitivity (symmetric feedback). */
static void value_sensitivity(const Net *net, const NetLane *nl, int t, double *out)
{
    const NetDims *d = &net->d;
    const NetParams *p = &net->p;
    const int N = d->N, S = d->S, Z = d->Z;
    if (S == 0) {
        memcpy(out, p->w_v, (size_t)N * sizeof(double));
        return;
    }
    const double *h = nl->h + (size_t)t * S;
    for (int i = 0; i < N; i++) out[i] = 0.0;
    for (int q = 0; q < S; q++) {
        const double c = p->w_v[q] * net_act_deriv(net->cfg.activation, h[q]);
        const double *row = p->W_s + (size_t)q * Z;
        for (int i = 0; i < N; i++) out[i] += c * row[i];
    }
}

/* The readouts' share of trial t: E (decayed already) += their g_t, grad += entropy terms. */
static void readout_terms(const LocalRule *rule, const Net *net, LocalTrace *lt, const NetLane *nl, int t,
                          const double *gl, const double *ent, double ce, double *grad)
{
    const NetDims *d = &net->d;
    const NetParams *p = &net->p;
    const int N = d->N, A = d->A, S = d->S, Z = d->Z;
    const double bv = rule->cfg.beta_v;
    NetParams e, g;
    net_params_point(d, lt->E, &e);
    net_params_point(d, grad, &g);
    const double *rt = net_lane_rates(net, nl, t);
    for (int a = 0; a < A; a++) {
        double *ea = e.W_pi + (size_t)a * N, *ga = g.W_pi + (size_t)a * N;
        for (int i = 0; i < N; i++) {
            ea[i] += gl[a] * rt[i];
            ga[i] += ce * ent[a] * rt[i];
        }
        e.b_pi[a] += gl[a];
        g.b_pi[a] += ce * ent[a];
    }
    const double *z = nl->z + (size_t)t * Z;
    e.b_v[0] += bv;
    if (S == 0) {
        for (int k = 0; k < Z; k++) e.w_v[k] += bv * z[k];
        return;
    }
    const double *h = nl->h + (size_t)t * S;
    for (int q = 0; q < S; q++) {
        const double c = bv * p->w_v[q] * net_act_deriv(net->cfg.activation, h[q]);
        double *row = e.W_s + (size_t)q * Z;
        for (int k = 0; k < Z; k++) row[k] += c * z[k];
        e.b_s[q] += c;
        e.w_v[q] += bv * h[q];
    }
}

/* One row of the prefrontal block, fused: settle the pending delta (c), decay, add the
** trial's term si eps (and the entropy term se eps into grad). Per element the same
** operations in the same order as a pass of each. */
static void pfc_row(double *restrict e, double *restrict g, const double *restrict eps, int n, double c,
                    double decay, double si, double se)
{
    if (c != 0.0)
        for (int j = 0; j < n; j++) g[j] += c * e[j];
    if (si == 0.0 && se == 0.0) {
        for (int j = 0; j < n; j++) e[j] *= decay;
        return;
    }
    for (int j = 0; j < n; j++) {
        e[j] = e[j] * decay + si * eps[j];
        g[j] += se * eps[j];
    }
}

/* L_t psi_t and Lent_t psi_t (times beta_e / B) into lt->sig, lt->sig_ent. */
static void learning_signals(const LocalRule *rule, const Net *net, LocalTrace *lt, const NetLane *nl, int t,
                             double ce)
{
    const NetDims *d = &net->d;
    const NetParams *p = &net->p;
    const int N = d->N, A = d->A;
    const double *Bf = rule->cfg.symmetric ? p->W_pi : rule->B_pi;
    const double *bvf = rule->b_v;
    const int vtp = net->cfg.value_trains_pfc;
    if (vtp && rule->cfg.symmetric) {
        value_sensitivity(net, nl, t, lt->dvdr);
        bvf = lt->dvdr;
    }
    const double *rt = net_lane_rates(net, nl, t);
    for (int i = 0; i < N; i++) {
        double L = vtp ? rule->cfg.beta_v * bvf[i] : 0.0, Le = 0.0;
        for (int a = 0; a < A; a++) {
            L += Bf[(size_t)a * N + i] * lt->gl[a];
            Le += Bf[(size_t)a * N + i] * lt->ent[a];
        }
        const double psi = net_act_deriv(net->cfg.activation, rt[i]);
        lt->sig[i] = L * psi;
        lt->sig_ent[i] = ce * Le * psi;
    }
}

void local_rule_record(const LocalRule *rule, const Net *net, LocalTrace *lt, const NetLane *nl,
                       double beta_e, int done, double *grad)
{
    const NetDims *d = &net->d;
    const int N = d->N, A = d->A, I = d->I, t = nl->t - 1;
    const double decay = rule->cfg.gamma * rule->cfg.lambda, ce = beta_e * rule->cfg.scale;
    const double c = lt->pending;
    const size_t P = d->n_params, P_pfc = (size_t)N * I + (size_t)N * N + (size_t)N;
    lt->pending = 0.0;

    /* output errors of trial t: d log pi(a_t)/dlogits and the entropy's dL/dlogits / beta_e */
    double *gl = lt->gl, *ent = lt->ent;
    const double *pr = nl->probs + (size_t)t * A, *lp = nl->logp + (size_t)t * A;
    double H = 0.0;
    for (int a = 0; a < A; a++) H -= pr[a] * lp[a];
    for (int a = 0; a < A; a++) {
        gl[a] = (a == nl->action[t] ? 1.0 : 0.0) - pr[a];
        ent[a] = pr[a] * (lp[a] + H);
    }
    /* the readouts (block entries from W_pi on): settle, decay, their exact terms */
    for (size_t k = P_pfc; k < P; k++) {
        if (c != 0.0) grad[k] += c * lt->E[k];
        lt->E[k] *= decay;
    }
    readout_terms(rule, net, lt, nl, t, gl, ent, ce, grad);

    /* the prefrontal synapses: broadcast signals times psi = f'(x), times eps */
    learning_signals(rule, net, lt, nl, t, ce);
    NetParams e, g;
    net_params_point(d, lt->E, &e);
    net_params_point(d, grad, &g);
    const double *eu = lt->eps, *er = lt->eps + I, *eb = lt->eps + I + N;
    for (int i = 0; i < N; i++) {
        const double si = lt->sig[i], se = lt->sig_ent[i];
        pfc_row(e.W_in + (size_t)i * I, g.W_in + (size_t)i * I, eu, I, c, decay, si, se);
        pfc_row(e.W_rec + (size_t)i * N, g.W_rec + (size_t)i * N, er, N, c, decay, si, se);
        pfc_row(e.b + i, g.b + i, eb, 1, c, decay, si, se);
    }
    if (done) {
        const double delta = striatum_delta(nl->reward[t], rule->cfg.gamma, 0.0, nl->V[t]);
        settle(net, lt, -rule->cfg.scale * rule->cfg.delta_scale * delta, grad);
    }
}
