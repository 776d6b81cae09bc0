/* model/net.c: the prefrontal rate network: its parameter block, its lanes,
** and the equations of one trial, forward and backward.
**
** Equations, shapes and usage are in net.h; the backward pass is derived in
** net.md. This is the only implementation of the network's equations: the
** trainer (model/trainer.c) and the frozen-weight agent (model/net_agent.c)
** both call net_forward_step() / net_forward_lanes(). The file reads as the
** equations, per trial:
**
**   pre = b + W_in u_t + W_rec r_{t-1}      (net_comb_run, net_kernels.c)
**   x_t = (1 - alpha) x_{t-1} + alpha pre + sigma xi_t,   r_t = f(x_t)
**   pi_t = softmax(W_pi r_t + b_pi)
**   V_t  from the striatal critic (model/striatum.c)
**
** and backward the same in reverse. How a product is laid out in registers
** and cache is the kernels' business (model/net_kernels.c); the order of
** every sum is fixed here and there, so results are bit-identical across
** batch sizes, threads and CPUs. The products need the summed index as
** rows, so the forward pass reads transposed copies (W_rec_T, W_in_T,
** W_s_T, refreshed once per update by net_refresh) and the backward pass
** reads W_rec, W_s, W_pi as stored.
*/
#include <assert.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_linalg.h>
#include <gsl/gsl_matrix.h>
#include <gsl/gsl_randist.h>

#include "model/net.h"
#include "model/net_kernels.h"
#include "model/striatum.h"

double net_act(NetActivation f, double x)
{
    switch (f) {
    case NET_RELU: return x > 0.0 ? x : 0.0;
    case NET_SOFTPLUS: return x > 0.0 ? x + log1p(exp(-x)) : log1p(exp(x));
    case NET_TANH:
    default: return tanh(x);
    }
}

double net_act_deriv(NetActivation f, double y)
{
    switch (f) {
    case NET_RELU: return y > 0.0 ? 1.0 : 0.0;
    case NET_SOFTPLUS: return -expm1(-y);   /* sigmoid(x) = 1 - exp(-softplus(x)) */
    case NET_TANH:
    default: return 1.0 - y * y;
    }
}

/* ------------------------------------------------------------ allocation */

int net_dims(const NetConfig *cfg, NetDims *d, char *err, size_t n_err)
{
    if (cfg->n_hidden < 1 || cfg->n_striatum < 0 || cfg->n_actions < 2 || cfg->obs_dim < 0
        || cfg->max_trials < 1 || cfg->clock_trials < 0) {
        snprintf(err, n_err, "network: bad sizes (N=%d S=%d A=%d O=%d T_max=%d)", cfg->n_hidden,
                 cfg->n_striatum, cfg->n_actions, cfg->obs_dim, cfg->max_trials);
        return -1;
    }
    if (!(cfg->alpha > 0.0 && cfg->alpha <= 1.0)) {
        snprintf(err, n_err, "network: alpha = dt/tau = %g must be in (0, 1]", cfg->alpha);
        return -1;
    }
    if (!(cfg->noise_sd >= 0.0) || !(cfg->gain >= 0.0)) {
        snprintf(err, n_err, "network: noise and gain must be >= 0");
        return -1;
    }
    const int ep_on = cfg->ep_fix || cfg->ep_choice || cfg->ep_outcome || cfg->ep_iti;
    if (ep_on && (cfg->ep_fix < 0 || cfg->ep_choice < 1 || cfg->ep_outcome < 1 || cfg->ep_iti < 0
                  || (long)cfg->ep_fix + cfg->ep_choice + cfg->ep_outcome + cfg->ep_iti > 1000)) {
        snprintf(err, n_err, "network: epochs %d,%d,%d,%d (fixation, choice, outcome, iti) need choice >= 1, "
                 "outcome >= 1, none negative, at most 1000 steps", cfg->ep_fix, cfg->ep_choice,
                 cfg->ep_outcome, cfg->ep_iti);
        return -1;
    }
    d->K = ep_on ? cfg->ep_fix + cfg->ep_choice + cfg->ep_outcome + cfg->ep_iti : 1;
    d->C = ep_on ? cfg->ep_fix + cfg->ep_choice - 1 : 0;
    if ((long long)cfg->max_trials * d->K > INT32_MAX / 64) {
        snprintf(err, n_err, "network: %d trials of %d steps is too many", cfg->max_trials, d->K);
        return -1;
    }
    d->Ts_max = cfg->max_trials * d->K;
    d->N = cfg->n_hidden;
    d->S = cfg->n_striatum;
    d->A = cfg->n_actions;
    d->O = cfg->obs_dim;
    d->I = d->O + d->A + 1 + (cfg->time_input ? 1 : 0);
    d->Z = d->N + (cfg->critic_input ? d->A + 1 : 0);
    d->Zv = d->S > 0 ? d->S : d->Z;
    d->T_max = cfg->max_trials;
    d->T_clock = cfg->clock_trials > 0 ? cfg->clock_trials : cfg->max_trials;
    size_t N = (size_t)d->N, S = (size_t)d->S, A = (size_t)d->A, Pr = cfg->predict ? 1 : 0;
    size_t sz[NET_NUM_TENSORS] = { N * (size_t)d->I, N * N, N, A * N, A,
                                   S * (size_t)d->Z, S, (size_t)d->Zv, 1, Pr * A * N, Pr * A };
    d->n_params = 0;
    for (int i = 0; i < NET_NUM_TENSORS; i++) {
        d->sizes[i] = sz[i];
        d->n_params += sz[i];
    }
    return 0;
}

void net_params_point(const NetDims *d, double *block, NetParams *p)
{
    double **ptrs[NET_NUM_TENSORS] = { &p->W_in, &p->W_rec, &p->b, &p->W_pi, &p->b_pi,
                                       &p->W_s, &p->b_s, &p->w_v, &p->b_v, &p->W_p, &p->b_p };
    size_t n = 0;
    for (int i = 0; i < NET_NUM_TENSORS; i++) {
        *ptrs[i] = block + n;
        n += d->sizes[i];
    }
}

/* A row stride >= n for the copies: an odd number of 8-double (64-byte)
** groups, so that consecutive rows start in different L1 sets. */
static int padded_ld(int n) { return ((n + 7) / 16) * 16 + 8; }

Net *net_alloc(const NetConfig *cfg, char *err, size_t n_err)
{
    NetDims d;
    if (net_dims(cfg, &d, err, n_err) != 0) return NULL;
    Net *net = calloc(1, sizeof *net);
    if (!net) goto oom;
    net->cfg = *cfg;
    net->d = d;
    net->ld_N = padded_ld(d.N);
    net->ld_S = padded_ld(d.S);
    size_t N = (size_t)d.N, ldN = (size_t)net->ld_N, ldS = (size_t)net->ld_S;
    net->params = calloc(d.n_params, sizeof(double));
    net->W_rec_T = calloc(N * ldN, sizeof(double));
    net->W_in_T = calloc((size_t)d.I * ldN, sizeof(double));
    net->W_s_T = calloc((size_t)d.Z * ldS, sizeof(double));
    net->W_rec_c = calloc(N * ldN, sizeof(double));
    if (!net->params || !net->W_rec_T || !net->W_in_T || !net->W_s_T || !net->W_rec_c) goto oom;
    if (cfg->single) {
        net->W_rec_Tf = calloc(N * ldN, sizeof(float));
        net->W_in_Tf = calloc((size_t)d.I * ldN, sizeof(float));
        net->W_s_Tf = calloc((size_t)d.Z * ldS, sizeof(float));
        net->W_rec_cf = calloc(N * ldN, sizeof(float));
        net->W_pi_f = calloc((size_t)d.A * N, sizeof(float));
        net->W_s_f = calloc((size_t)d.S * (size_t)d.Z + 1, sizeof(float));
        net->w_v_f = calloc((size_t)d.Zv, sizeof(float));
        if (!net->W_rec_Tf || !net->W_in_Tf || !net->W_s_Tf || !net->W_rec_cf || !net->W_pi_f
            || !net->W_s_f || !net->w_v_f)
            goto oom;
        (void)net_kernels_f_path();   /* the run-time choice, made before any worker thread */
    }
    net_params_point(&net->d, net->params, &net->p);
    return net;
oom:
    net_free(net);
    snprintf(err, n_err, "out of memory");
    return NULL;
}

void net_free(Net *net)
{
    if (!net) return;
    free(net->params);
    free(net->W_rec_T);
    free(net->W_in_T);
    free(net->W_s_T);
    free(net->W_rec_c);
    free(net->W_rec_Tf);
    free(net->W_in_Tf);
    free(net->W_s_Tf);
    free(net->W_rec_cf);
    free(net->W_pi_f);
    free(net->W_s_f);
    free(net->w_v_f);
    free(net);
}

/* dst (cols, ld) = src^T for src (rows, cols); the padding stays 0. */
static void transpose(double *restrict dst, size_t ld, const double *restrict src, int rows, int cols)
{
    for (int i = 0; i < rows; i++)
        for (int j = 0; j < cols; j++) dst[(size_t)j * ld + i] = src[(size_t)i * cols + j];
}

#define to_float net_to_float

void net_refresh(Net *net)
{
    const NetDims *d = &net->d;
    const size_t ldN = (size_t)net->ld_N;
    transpose(net->W_rec_T, ldN, net->p.W_rec, d->N, d->N);
    transpose(net->W_in_T, ldN, net->p.W_in, d->N, d->I);
    if (d->S > 0) transpose(net->W_s_T, (size_t)net->ld_S, net->p.W_s, d->S, d->Z);
    for (int i = 0; i < d->N; i++)
        memcpy(net->W_rec_c + (size_t)i * ldN, net->p.W_rec + (size_t)i * d->N, (size_t)d->N * sizeof(double));
    if (!net->cfg.single) return;
    /* the float copies, element by element (the padding stays 0) */
    to_float(net->W_rec_Tf, net->W_rec_T, (size_t)d->N * ldN);
    to_float(net->W_in_Tf, net->W_in_T, (size_t)d->I * ldN);
    to_float(net->W_s_Tf, net->W_s_T, (size_t)d->Z * (size_t)net->ld_S);
    to_float(net->W_rec_cf, net->W_rec_c, (size_t)d->N * ldN);
    to_float(net->W_pi_f, net->p.W_pi, d->sizes[3]);
    to_float(net->W_s_f, net->p.W_s, d->sizes[5]);
    to_float(net->w_v_f, net->p.w_v, d->sizes[7]);
}

static void fill_gaussian(double *w, size_t n, double sd, gsl_rng *r)
{
    for (size_t i = 0; i < n; i++) w[i] = gsl_ran_gaussian(r, sd);
}

/* g Q with Q Haar-distributed (Mezzadri 2007): QR of a Gaussian matrix, then
** column j of Q times sign(R_jj). */
static int init_orthogonal(double *W, int n, double g, gsl_rng *r)
{
    gsl_matrix *M = gsl_matrix_alloc((size_t)n, (size_t)n);
    gsl_matrix *Q = gsl_matrix_alloc((size_t)n, (size_t)n);
    gsl_matrix *R = gsl_matrix_alloc((size_t)n, (size_t)n);
    gsl_vector *tau = gsl_vector_alloc((size_t)n);
    int rc = -1;
    if (!M || !Q || !R || !tau) goto done;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) gsl_matrix_set(M, (size_t)i, (size_t)j, gsl_ran_gaussian(r, 1.0));
    gsl_linalg_QR_decomp(M, tau);
    gsl_linalg_QR_unpack(M, tau, Q, R);
    for (int j = 0; j < n; j++) {
        double s = gsl_matrix_get(R, (size_t)j, (size_t)j) < 0.0 ? -g : g;
        for (int i = 0; i < n; i++) W[(size_t)i * n + j] = s * gsl_matrix_get(Q, (size_t)i, (size_t)j);
    }
    rc = 0;
done:
    gsl_matrix_free(M);
    gsl_matrix_free(Q);
    gsl_matrix_free(R);
    gsl_vector_free(tau);
    return rc;
}

int net_init(Net *net, gsl_rng *r)
{
    const NetDims *d = &net->d;
    const NetParams *p = &net->p;
    memset(net->params, 0, d->n_params * sizeof(double));
    /* Fixed order of draws: W_in, W_rec, W_pi, W_s, w_v (, W_p). */
    fill_gaussian(p->W_in, d->sizes[0], 1.0 / sqrt((double)d->I), r);
    if (net->cfg.init == NET_INIT_ORTHOGONAL) {
        if (init_orthogonal(p->W_rec, d->N, net->cfg.gain, r) != 0) return -1;
    } else {
        fill_gaussian(p->W_rec, d->sizes[1], net->cfg.gain / sqrt((double)d->N), r);
    }
    fill_gaussian(p->W_pi, d->sizes[3], 0.1 / sqrt((double)d->N), r);
    if (d->S > 0) fill_gaussian(p->W_s, d->sizes[5], 1.0 / sqrt((double)d->Z), r);
    fill_gaussian(p->w_v, d->sizes[7], 0.1 / sqrt((double)d->Zv), r);
    if (net->cfg.predict) fill_gaussian(p->W_p, d->sizes[9], 0.1 / sqrt((double)d->N), r);
    net_refresh(net);
    return 0;
}

NetLane *net_lane_alloc(const Net *net)
{
    const NetDims *d = &net->d;
    size_t T = (size_t)d->T_max, N = (size_t)d->N, S = (size_t)d->S, A = (size_t)d->A;
    size_t I = (size_t)d->I, Z = (size_t)d->Z, TS = (size_t)d->Ts_max;
    int noise = net->cfg.noise_sd > 0.0, pred = net->cfg.predict;
    size_t npre = N > S ? N : S;
    /* list room: the forward products (I + N terms, or Z for the critic),
    ** the backward one (N + A + S + 1), a block of weight-gradient rows */
    size_t nl = I + N;
    if (Z > nl) nl = Z;
    if (N + A + S + 1 > nl) nl = N + A + S + 1;
    if ((size_t)COMB_BLOCK * TS > nl) nl = (size_t)COMB_BLOCK * TS;
    if (nl > (size_t)INT32_MAX) return NULL;
    size_t n = TS * (I + N + N + (noise ? N : 0) + N) + T * (Z + S + A + A + 1 + 1 + S) + npre + 3 * N + nl
             + (pred ? 2 * T * A : 0);
    NetLane *L = calloc(1, sizeof *L);
    if (!L) return NULL;
    L->mem = calloc(n, sizeof(double));
    L->action = calloc(T, sizeof(int));
    L->idx = calloc(nl, sizeof *L->idx);
    if (!L->mem || !L->action || !L->idx) {
        net_lane_free(L);
        return NULL;
    }
    double *m = L->mem;
#define TAKE(ptr, cnt) do { (ptr) = m; m += (cnt); } while (0)
    TAKE(L->u, TS * I);
    TAKE(L->x, TS * N);
    TAKE(L->r, TS * N);
    if (noise) TAKE(L->xi, TS * N);
    TAKE(L->z, T * Z);
    TAKE(L->h, T * S);
    TAKE(L->logp, T * A);
    TAKE(L->probs, T * A);
    TAKE(L->V, T);
    TAKE(L->reward, T);
    TAKE(L->gp, TS * N);
    TAKE(L->dh, T * S);
    TAKE(L->pre, npre);
    TAKE(L->dr, N);
    TAKE(L->gx, N);
    TAKE(L->gx_next, N);
    TAKE(L->vals, nl);
    if (pred) {
        TAKE(L->pred, T * A);
        TAKE(L->dpred, T * A);
    }
#undef TAKE
    assert((size_t)(m - L->mem) == n);
    if (net->cfg.single) {
        /* z_t = r_t row for row with one step a trial and no critic inputs:
        ** then z's float copy is r_f itself, and none is made (striatum.c) */
        size_t Zf = net_z_is_rates(d) ? 0 : Z;
        L->mem_f = calloc(TS * (I + N) + T * (Zf + S) + 1, sizeof(float));
        if (!L->mem_f) {
            net_lane_free(L);
            return NULL;
        }
        L->u_f = L->mem_f;
        L->r_f = L->u_f + TS * I;
        L->z_f = Zf ? L->r_f + TS * N : L->r_f;
        L->h_f = L->r_f + TS * N + T * Zf;
    }
    L->n_list = (int)nl;
    L->T_max = d->T_max;
    L->Ts_max = d->Ts_max;
    net_lane_reset(L);
    return L;
}

void net_lane_free(NetLane *lane)
{
    if (!lane) return;
    free(lane->mem);
    free(lane->action);
    free(lane->idx);
    free(lane->mem_f);
    free(lane);
}

void net_lane_reset(NetLane *lane)
{
    lane->t = 0;
    lane->ns = 0;
    lane->prev_action = -1;
    lane->prev_reward = 0.0;
}

/* ---------------------------------------------------------------- forward */

int net_step_epoch(const Net *net, int s)
{
    const NetConfig *c = &net->cfg;
    const int e = s % net->d.K;
    if (net->d.K == 1 && !c->ep_choice) return 1;
    if (e < c->ep_fix) return 0;
    if (e < c->ep_fix + c->ep_choice) return 1;
    return e < c->ep_fix + c->ep_choice + c->ep_outcome ? 2 : 3;
}

/* u_s of lane L's next step s = L->ns (net.h): without epochs, the trial's
** [obs, onehot(a_{t-1}), r_{t-1}, t/T_clock]; with epochs, what its epoch shows
** (obs: the current trial's, for fixation and choice steps). */
static void step_input(const Net *net, const NetLane *L, const double *ob, double *u)
{
    const NetDims *d = &net->d;
    const int O = d->O, A = d->A, s = L->ns, t = s / d->K;
    const int ep_on = net->cfg.ep_choice > 0;
    const int ep = ep_on ? net_step_epoch(net, s) : 1;
    const int show_obs = ep <= 1, show_prev = !ep_on, show_out = ep == 2;
    assert(!show_obs || t == L->t);
    assert(!show_out || t == L->t - 1);
    assert(O == 0 || !show_obs || ob);
    for (int k = 0; k < O; k++) u[k] = show_obs ? ob[k] : 0.0;
    const int a = show_prev ? L->prev_action : show_out ? L->action[t] : -1;
    for (int k = 0; k < A; k++) u[O + k] = k == a ? 1.0 : 0.0;
    u[O + A] = show_prev ? L->prev_reward : show_out ? L->reward[t] : 0.0;
    if (net->cfg.time_input) u[O + A + 1] = (double)t / (double)d->T_clock;
}

/* One step (index L->ns) of up to COMB_BLOCK lanes:
**   pre = b + W_in u_s + W_rec r_{s-1}   (net_comb_run, net_kernels.c)
**   x_s = leak x_{s-1} + alpha pre + sigma xi_s,   r_s = f(x_s) */
static void step_block(const Net *net, NetLane *const *lanes, int n, const double *const *obs,
                       gsl_rng *const *rng)
{
    const NetDims *d = &net->d;
    const NetParams *p = &net->p;
    const int N = d->N, I = d->I;
    const double alpha = net->cfg.alpha, leak = 1.0 - alpha;
    Comb cb[COMB_BLOCK];

    /* the terms of u, then those of r */
    for (int j = 0; j < n; j++) {
        NetLane *L = lanes[j];
        const int s = L->ns;
        assert(s >= 0 && s < L->Ts_max);
        double *u = L->u + (size_t)s * I;
        step_input(net, L, obs ? obs[j] : NULL, u);
        if (L->u_f)   /* (a few inputs: inline, no call) */
            for (int k = 0; k < I; k++) L->u_f[(size_t)s * I + k] = (float)u[k];
        const int nu = net_list_nz(L->idx, L->vals, u, I);
        const int nr = s > 0 ? net_list_nz(L->idx + I, L->vals + I, L->r + (size_t)(s - 1) * N, N) : 0;
        cb[j] = (Comb){ L->pre, p->b,
                        { net_seg2(net->W_in_T, net->W_in_Tf, net->ld_N, L->idx, L->vals, nu),
                          net_seg2(net->W_rec_T, net->W_rec_Tf, net->ld_N, L->idx + I, L->vals + I, nr) }, 2 };
    }
    net_comb(net, cb, n, N);

    for (int j = 0; j < n; j++) {
        NetLane *L = lanes[j];
        const int s = L->ns;
        double *x = L->x + (size_t)s * N, *rt = L->r + (size_t)s * N;
        double *xi = NULL;
        if (net->cfg.noise_sd > 0.0) {
            xi = L->xi + (size_t)s * N;
            if (rng)
                for (int i = 0; i < N; i++) xi[i] = gsl_ran_gaussian(rng[j], 1.0);
        }
        net_leak_vec(x, s > 0 ? x - N : NULL, L->pre, xi, alpha, leak, net->cfg.noise_sd, N);
        if (L->r_f) net_act_vec_f(net->cfg.activation, rt, L->r_f + (size_t)s * N, x, N);
        else net_act_vec(net->cfg.activation, rt, x, N);
        L->ns++;
    }
}

/* The outcome prediction of trial L->t: yhat = W_p r_t + b_p (cfg.predict). */
static void pred_readout(const Net *net, NetLane *L)
{
    const NetParams *p = &net->p;
    const int N = net->d.N, A = net->d.A, t = L->t;
    const double *rt = net_lane_rates(net, L, t);
    for (int a = 0; a < A; a++) L->pred[(size_t)t * A + a] = p->b_p[a] + net_dot(p->W_p + (size_t)a * N, rt, N);
}

double net_pred_loss(const Net *net, NetLane *L, double beta, double scale)
{
    if (!net->cfg.predict) return 0.0;
    const int A = net->d.A, T = L->t;
    double loss = 0.0;
    memset(L->dpred, 0, (size_t)T * A * sizeof(double));
    for (int t = 0; t < T; t++) {
        const int a = L->action[t];
        assert(a >= 0 && a < A);
        const double err = L->pred[(size_t)t * A + a] - L->reward[t];
        loss += 0.5 * err * err;
        L->dpred[(size_t)t * A + a] = scale * (beta * err);
    }
    return loss;
}

/* Up to COMB_BLOCK lanes, one trial each (net_forward_lanes): the steps up to
** the trial's read step t K + C, then the policy and the critic there. */
static void forward_block(const Net *net, NetLane *const *lanes, int n, const double *const *obs,
                          gsl_rng *const *rng)
{
    const NetDims *d = &net->d;
    NetLane *run[COMB_BLOCK];
    const double *ob[COMB_BLOCK];
    gsl_rng *rg[COMB_BLOCK];

    for (;;) {
        int m = 0;
        for (int j = 0; j < n; j++) {
            NetLane *L = lanes[j];
            assert(L->t >= 0 && L->t < L->T_max);
            if (L->ns > L->t * d->K + d->C) continue;
            run[m] = L;
            ob[m] = obs ? obs[j] : NULL;
            rg[m++] = rng ? rng[j] : NULL;
        }
        if (m == 0) break;
        step_block(net, run, m, obs ? ob : NULL, rng ? rg : NULL);
    }

    for (int j = 0; j < n; j++) {
        net_policy_readout(net, lanes[j]);
        if (net->cfg.predict) pred_readout(net, lanes[j]);
    }

    /* the critic reads r_t (and the inputs): V_t */
    striatum_forward(net, lanes, n);
}

void net_policy_readout(const Net *net, NetLane *L)
{
    const NetParams *p = &net->p;
    const int N = net->d.N, A = net->d.A, t = L->t;
    const double *rt = net_lane_rates(net, L, t);
    /* policy: log-softmax of the logits W_pi r_t + b_pi */
    double *lp = L->logp + (size_t)t * A, *pr = L->probs + (size_t)t * A;
    double mx = -INFINITY;
    for (int a = 0; a < A; a++) {
        lp[a] = p->b_pi[a] + net_dot(p->W_pi + (size_t)a * N, rt, N);
        if (lp[a] > mx) mx = lp[a];
    }
    double sum = 0.0;
    for (int a = 0; a < A; a++) {
        pr[a] = exp(lp[a] - mx);
        sum += pr[a];
    }
    const double lse = mx + log(sum);
    for (int a = 0; a < A; a++) {
        pr[a] /= sum;
        lp[a] -= lse;
    }
}

const double *net_lane_rates(const Net *net, const NetLane *lane, int t)
{
    return lane->r + ((size_t)t * net->d.K + (size_t)net->d.C) * net->d.N;
}

void net_forward_lanes(const Net *net, NetLane *const *lanes, int n, const double *const *obs,
                       gsl_rng *const *r)
{
    for (int j0 = 0; j0 < n; j0 += COMB_BLOCK) {
        const int nb = n - j0 < COMB_BLOCK ? n - j0 : COMB_BLOCK;
        forward_block(net, lanes + j0, nb, obs ? obs + j0 : NULL, r ? r + j0 : NULL);
    }
}

void net_forward_step(const Net *net, NetLane *L, const double *obs, gsl_rng *r)
{
    forward_block(net, &L, 1, &obs, r ? &r : NULL);
}

const double *net_lane_probs(const Net *net, const NetLane *lane)
{
    return lane->probs + (size_t)lane->t * net->d.A;
}

void net_lane_record(NetLane *lane, int action, double reward)
{
    assert(lane->t < lane->T_max);
    lane->action[lane->t] = action;
    lane->reward[lane->t] = reward;
    lane->prev_action = action;
    lane->prev_reward = reward;
    lane->t++;
}

/* --------------------------------------------------------------- backward */

/* dr_t += W_p^T dpred_t, after the other terms (cfg.predict; dpred is 0 but at a_t). */
static void pred_backward(const Net *net, NetLane *L, int t)
{
    const int N = net->d.N, A = net->d.A;
    for (int a = 0; a < A; a++) {
        const double g = L->dpred[(size_t)t * A + a];
        if (g == 0.0) continue;
        const double *w = net->p.W_p + (size_t)a * N;
        for (int i = 0; i < N; i++) L->dr[i] += g * w[i];
    }
}

/* Step s of up to COMB_BLOCK lanes (all with s < their step count), backward:
** dr_s, then gx_s and gp_s (stored in L->gp for the weight gradients). The
** policy and critic terms enter at a trial's read step s = t K + C only
** (every step without epochs); elsewhere their segments are empty. */
static void backward_block(const Net *net, NetLane *const *lanes, int n, const int *jl,
                           const double *const *dlogits, const double *const *dV, int s)
{
    const NetDims *d = &net->d;
    const NetParams *p = &net->p;
    const int N = d->N, A = d->A;
    const double alpha = net->cfg.alpha, leak = 1.0 - alpha;
    Comb cb[COMB_BLOCK] = { { 0 } };

    /* dr_s = W_rec^T gp_{s+1} + W_pi^T dlogits_t + the critic's path, summed
    ** in that order (gp_{s+1} = 0 on a lane's last step) */
    const int t = s / d->K, read = s % d->K == d->C;
    for (int k = 0; k < n; k++) {
        NetLane *L = lanes[k];
        const int j = jl[k];
        int *ix = L->idx;
        double *vl = L->vals;
        int ng = 0;
        if (s + 1 < L->ns) ng = net_list_nz(ix, vl, L->gp + (size_t)(s + 1) * N, N);
        else memset(L->gx_next, 0, (size_t)N * sizeof(double));
        const int na = read ? net_list_nz(ix + N, vl + N, dlogits[j] + (size_t)t * A, A) : 0;
        Comb c = { L->dr, NULL,
                   { net_seg2(net->W_rec_c, net->W_rec_cf, net->ld_N, ix, vl, ng),
                     net_seg2(p->W_pi, net->W_pi_f, N, ix + N, vl + N, na) }, 2 };
        striatum_backward(net, L, t, read ? &dV[j][t] : NULL, ix + N + A, vl + N + A, &c);
        cb[k] = c;
    }
    net_comb(net, cb, n, N);

    /* through f and the leak; gp = dL/d(pre_t) = alpha dL/dx_t */
    for (int k = 0; k < n; k++) {
        NetLane *L = lanes[k];
        if (read && net->cfg.predict) pred_backward(net, L, t);
        double *gx = L->gx;
        net_bwd_vec(net->cfg.activation, gx, L->gp + (size_t)s * N, L->dr, L->r + (size_t)s * N,
                    L->gx_next, alpha, leak, N);
        L->gx = L->gx_next;
        L->gx_next = gx;
    }
}

/* grad += the weight and bias gradients of lane L's episode from the stored
** gp, dh and forward quantities: sums over steps s = 0..ns-1 (W_in, W_rec, b)
** or trials t = 0..T-1 (the readouts, at the read steps) in order. */
static void lane_weight_grads(const Net *net, NetLane *L, const double *dlogits, const double *dV,
                              const NetParams *g)
{
    const NetDims *d = &net->d;
    const int N = d->N, A = d->A, I = d->I, T = L->t, TS = L->ns;
    if (T == 0) return;
    net_colsum_acc(g->b, L->gp, (size_t)N, TS, N);
    net_gemm_gp(L, g->W_in, g->W_rec, N, I, TS, net->cfg.single);
    net_colsum_acc(g->b_pi, dlogits, (size_t)A, T, A);
    const size_t read0 = (size_t)d->C * (size_t)N;   /* net_lane_rates(net, L, 0) */
    net_gemm_tn(L, g->W_pi, (size_t)N, A, dlogits, (size_t)A, L->r + read0, net->cfg.single ? L->r_f + read0 : NULL,
                (size_t)N * d->K, T, N);
    striatum_weight_grads(net, L, dV, g);
    if (net->cfg.predict) {
        net_colsum_acc(g->b_p, L->dpred, (size_t)A, T, A);
        net_gemm_tn(L, g->W_p, (size_t)N, A, L->dpred, (size_t)A, L->r + read0,
                    net->cfg.single ? L->r_f + read0 : NULL, (size_t)N * d->K, T, N);
    }
}

void net_backward_lanes(const Net *net, NetLane *const *lanes, int n,
                        const double *const *dlogits, const double *const *dV, double *grad)
{
    NetParams g;
    net_params_point(&net->d, grad, &g);
    int T = 0;
    for (int j = 0; j < n; j++)
        if (lanes[j]->ns > T) T = lanes[j]->ns;
    /* the sweep, step by step, over the lanes still inside their episode */
    NetLane *blk[COMB_BLOCK];
    int jl[COMB_BLOCK];
    for (int t = T - 1; t >= 0; t--) {
        int m = 0;
        for (int j = 0; j < n; j++) {
            if (lanes[j]->ns <= t) continue;
            blk[m] = lanes[j];
            jl[m++] = j;
            if (m == COMB_BLOCK) {
                backward_block(net, blk, m, jl, dlogits, dV, t);
                m = 0;
            }
        }
        if (m) backward_block(net, blk, m, jl, dlogits, dV, t);
    }
    for (int j = 0; j < n; j++) lane_weight_grads(net, lanes[j], dlogits[j], dV[j], &g);
}

void net_backward(const Net *net, NetLane *L, const double *dlogits, const double *dV,
                  double *grad)
{
    net_backward_lanes(net, &L, 1, &dlogits, &dV, grad);
}

double net_flops_per_step(const NetDims *d)
{
    /* Multiply-adds (2 flops each) of the matrix products per trial:
    ** forward  N*N + N*I + A*N + S*Z + Zv
    ** backward 2 N*N + N*I + 2 A*N + 2 S*Z + Zv  (weight gradients and the
    ** carried W_rec^T gp), and the optimizer's ~10 flops per parameter spread
    ** over the trials of the batch is left out (it depends on B and T). */
    double N = d->N, I = d->I, A = d->A, S = d->S, Z = d->Z, Zv = d->Zv;
    double K = d->K;
    double fwd = K * (N * N + N * I) + A * N + S * Z + Zv;
    double bwd = K * (2 * N * N + N * I) + 2 * A * N + 2 * S * Z + Zv;
    return 2.0 * (fwd + bwd);
}
