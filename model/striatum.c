/* model/striatum.c: the striatal critic's forward and backward pass, and the
** reward-prediction error (see striatum.h). */
#include <assert.h>
#include <string.h>

#include "model/striatum.h"

void striatum_deltas(int T, const double *reward, const double *V, double gamma, double *delta)
{
    for (int t = 0; t < T; t++) delta[t] = striatum_delta(reward[t], gamma, t + 1 < T ? V[t + 1] : 0.0, V[t]);
}

void striatum_fill_rpe(EpisodeRecord *e, double gamma)
{
    if (e->n_stages > 0) {   /* a step per stage; a trial's delta is its last stage's, at the outcome */
        for (int k = 0; k < e->n_stages; k++) {
            StageRecord *g = &e->stages[k];
            double v_next = k + 1 < e->n_stages ? e->stages[k + 1].value : 0.0;
            g->rpe = striatum_delta(g->reward, gamma, v_next, g->value);
            if (g->t >= 0 && g->t < e->n_trials) e->trials[g->t].rpe = g->rpe;
        }
        return;
    }
    for (int t = 0; t < e->n_trials; t++) {
        TrialRecord *tr = &e->trials[t];
        double v_next = t + 1 < e->n_trials ? e->trials[t + 1].value : 0.0;
        tr->rpe = striatum_delta(tr->reward, gamma, v_next, tr->value);   /* NaN propagates */
    }
}

void striatum_fill_rpe_trial(EpisodeRecord *e)
{
    if (e->n_stages == 0) {
        for (int t = 0; t < e->n_trials; t++) e->trials[t].rpe = striatum_delta(e->trials[t].reward, 0.0, 0.0, e->trials[t].value);
        return;
    }
    for (int k = 0; k < e->n_stages; k++) {
        StageRecord *g = &e->stages[k];
        int same = k + 1 < e->n_stages && e->stages[k + 1].t == g->t;
        g->rpe = striatum_delta(g->reward, 1.0, same ? e->stages[k + 1].value : 0.0, g->value);
        if (g->t >= 0 && g->t < e->n_trials) e->trials[g->t].rpe = g->rpe;
    }
}

void striatum_forward(const Net *net, NetLane *const *lanes, int n)
{
    const NetDims *d = &net->d;
    const NetParams *p = &net->p;
    const int N = d->N, S = d->S, A = d->A, Z = d->Z;
    Comb cb[COMB_BLOCK];
    assert(n <= COMB_BLOCK);
    if (n < 1) return;

    /* z_t = r_t (, onehot(a_{t-1}), r_{t-1}) */
    for (int j = 0; j < n; j++) {
        NetLane *L = lanes[j];
        const int t = L->t;
        double *z = L->z + (size_t)t * Z;
        memcpy(z, net_lane_rates(net, L, t), (size_t)N * sizeof(double));
        if (net->cfg.critic_input) {
            for (int a = 0; a < A; a++) z[N + a] = a == L->prev_action ? 1.0 : 0.0;
            z[N + A] = L->prev_reward;
        }
        if (L->z_f && L->z_f != L->r_f) net_to_float(L->z_f + (size_t)t * Z, z, (size_t)Z);   /* else r_f has it */
    }

    /* S = 0: V_t = w_v . z_t + b_v */
    if (S == 0) {
        for (int j = 0; j < n; j++) {
            NetLane *L = lanes[j];
            L->V[L->t] = p->b_v[0] + net_dot(p->w_v, L->z + (size_t)L->t * Z, Z);
        }
        return;
    }

    /* h_t = f(W_s z_t + b_s),  V_t = w_v . h_t + b_v */
    for (int j = 0; j < n; j++) {
        NetLane *L = lanes[j];
        const int nz = net_list_nz(L->idx, L->vals, L->z + (size_t)L->t * Z, Z);
        cb[j] = (Comb){ L->pre, p->b_s, { net_seg2(net->W_s_T, net->W_s_Tf, net->ld_S, L->idx, L->vals, nz) }, 1 };
    }
    net_comb(net, cb, n, S);
    for (int j = 0; j < n; j++) {
        NetLane *L = lanes[j];
        const int t = L->t;
        double *h = L->h + (size_t)t * S;
        net_act_vec(net->cfg.activation, h, L->pre, S);
        if (L->h_f) net_to_float(L->h_f + (size_t)t * S, h, (size_t)S);
        L->V[t] = p->b_v[0] + net_dot(p->w_v, h, S);
    }
}

void striatum_backward(const Net *net, NetLane *L, int t, const double *dv, int *ix, double *vl, Comb *c)
{
    static const int zero = 0;
    const NetDims *d = &net->d;
    const NetParams *p = &net->p;
    const int S = d->S, Z = d->Z;
    const int vtp = net->cfg.value_trains_pfc;
    if (!dv) {   /* a step that reads no value (epochs): the same segment, empty */
        if (vtp) c->seg[c->nseg++] = S > 0 ? net_seg2(p->W_s, net->W_s_f, Z, ix, vl, 0)
                                           : net_seg2(p->w_v, net->w_v_f, 0, &zero, NULL, 0);
        return;
    }
    if (S > 0) {
        const double *h = L->h + (size_t)t * S;
        double *dh = L->dh + (size_t)t * S;
        for (int q = 0; q < S; q++) dh[q] = *dv * p->w_v[q] * net_act_deriv(net->cfg.activation, h[q]);
        if (vtp) c->seg[c->nseg++] = net_seg2(p->W_s, net->W_s_f, Z, ix, vl, net_list_nz(ix, vl, dh, S));
    } else if (vtp) {
        /* V = w_v . r_t + ...: dr_t gets dv w_v, one term of the row w_v */
        c->seg[c->nseg++] = net_seg2(p->w_v, net->w_v_f, 0, &zero, dv, *dv != 0.0);
    }
}

void striatum_weight_grads(const Net *net, NetLane *L, const double *dV, const NetParams *g)
{
    const NetDims *d = &net->d;
    const int S = d->S, Z = d->Z, T = L->t;
    net_colsum_acc(g->b_v, dV, 1, T, 1);
    if (S > 0) {
        net_gemm_tn(L, g->w_v, (size_t)S, 1, dV, 1, L->h, net->cfg.single ? L->h_f : NULL, (size_t)S, T, S);
        net_colsum_acc(g->b_s, L->dh, (size_t)S, T, S);
        net_gemm_tn(L, g->W_s, (size_t)Z, S, L->dh, (size_t)S, L->z, net->cfg.single ? L->z_f : NULL, (size_t)Z, T, Z);
    } else {
        net_gemm_tn(L, g->w_v, (size_t)Z, 1, dV, 1, L->z, net->cfg.single ? L->z_f : NULL, (size_t)Z, T, Z);
    }
}
