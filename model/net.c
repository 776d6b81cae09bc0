/* model/net.c: forward and backward pass of the prefrontal rate network.
**
** Equations, shapes and usage are in net.h; the backward pass is derived in
** net.md. This is the only implementation of the network's equations: the
** trainer (model/trainer.c) and the frozen-weight agent (model/net_agent.c)
** both call net_forward_step().
**
** Speed and determinism. Every matrix product is written in "axpy form",
** y[0:n] += x[k] * M[k, 0:n] for k = 0, 1, ..., which gcc vectorizes without
** reordering any sum: each y[c] still receives its terms in the order of k.
** That needs the matrix with the summed index as rows, so the forward pass
** reads transposed copies (W_rec_T, W_in_T, W_s_T, refreshed once per update
** by net_refresh) and the backward pass reads W_rec, W_s, W_pi as stored.
** The few dot products (policy and value readouts) use four explicit
** partial sums combined in a fixed order. With -ffp-contract=off (Makefile)
** no multiply-add is fused, so the "avx2" and "default" clones of the hot
** kernels give identical bits and the result does not depend on the CPU the
** run lands on.
*/
#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_linalg.h>
#include <gsl/gsl_matrix.h>
#include <gsl/gsl_randist.h>

#include "model/net.h"

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && !defined(__SANITIZE_ADDRESS__)
#define NET_HOT __attribute__((target_clones("avx2", "default"), optimize("O3")))
#else
#define NET_HOT
#endif

/* ---------------------------------------------------------------- kernels */

/* y[c] += sum_k x[k] M[k*ld + c] for c < cols, k = 0..rows-1 in order.
** Terms with x[k] == 0 are skipped (one-hot inputs, silent relu units);
** skipping adds nothing but may keep a -0.0 where adding +0.0 would not,
** which is harmless and itself deterministic. */
NET_HOT static void axpy_rows(double *restrict y, const double *restrict M, size_t ld,
                              const double *restrict x, int rows, int cols)
{
    for (int k = 0; k < rows; k++) {
        const double xk = x[k];
        if (xk == 0.0) continue;
        const double *restrict m = M + (size_t)k * ld;
        for (int c = 0; c < cols; c++) y[c] += xk * m[c];
    }
}

/* G[i*ld + c] += a[i] * b[c] for i < rows, c < cols (rank-one update). */
NET_HOT static void outer_acc(double *restrict G, size_t ld, const double *restrict a, int rows,
                              const double *restrict b, int cols)
{
    for (int i = 0; i < rows; i++) {
        const double ai = a[i];
        if (ai == 0.0) continue;
        double *restrict g = G + (size_t)i * ld;
        for (int c = 0; c < cols; c++) g[c] += ai * b[c];
    }
}

/* sum_i a[i] b[i] with four partial sums: s_j takes i = j mod 4 in order;
** the tail goes to s_0; result (s0 + s1) + (s2 + s3). */
static double dot(const double *restrict a, const double *restrict b, int n)
{
    double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0;
    int i = 0;
    for (; i + 4 <= n; i += 4) {
        s0 += a[i] * b[i];
        s1 += a[i + 1] * b[i + 1];
        s2 += a[i + 2] * b[i + 2];
        s3 += a[i + 3] * b[i + 3];
    }
    for (; i < n; i++) s0 += a[i] * b[i];
    return (s0 + s1) + (s2 + s3);
}

static void transpose(double *restrict dst, const double *restrict src, int rows, int cols)
{
    for (int i = 0; i < rows; i++)
        for (int j = 0; j < cols; j++) dst[(size_t)j * rows + i] = src[(size_t)i * cols + j];
}

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
        || cfg->max_trials < 1) {
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
    d->N = cfg->n_hidden;
    d->S = cfg->n_striatum;
    d->A = cfg->n_actions;
    d->O = cfg->obs_dim;
    d->I = d->O + d->A + 1 + (cfg->time_input ? 1 : 0);
    d->Z = d->N + (cfg->critic_input ? d->A + 1 : 0);
    d->Zv = d->S > 0 ? d->S : d->Z;
    d->T_max = cfg->max_trials;
    size_t N = (size_t)d->N, S = (size_t)d->S, A = (size_t)d->A;
    size_t sz[NET_NUM_TENSORS] = { N * (size_t)d->I, N * N, N, A * N, A,
                                   S * (size_t)d->Z, S, (size_t)d->Zv, 1 };
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
                                       &p->W_s, &p->b_s, &p->w_v, &p->b_v };
    size_t n = 0;
    for (int i = 0; i < NET_NUM_TENSORS; i++) {
        *ptrs[i] = block + n;
        n += d->sizes[i];
    }
}

Net *net_alloc(const NetConfig *cfg, char *err, size_t n_err)
{
    NetDims d;
    if (net_dims(cfg, &d, err, n_err) != 0) return NULL;
    Net *net = calloc(1, sizeof *net);
    if (!net) goto oom;
    net->cfg = *cfg;
    net->d = d;
    size_t N = (size_t)d.N;
    net->params = calloc(d.n_params, sizeof(double));
    net->W_rec_T = calloc(N * N, sizeof(double));
    net->W_in_T = calloc(N * (size_t)d.I, sizeof(double));
    net->W_s_T = calloc((size_t)d.S * (size_t)d.Z + 1, sizeof(double));
    if (!net->params || !net->W_rec_T || !net->W_in_T || !net->W_s_T) goto oom;
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
    free(net);
}

void net_refresh(Net *net)
{
    const NetDims *d = &net->d;
    transpose(net->W_rec_T, net->p.W_rec, d->N, d->N);
    transpose(net->W_in_T, net->p.W_in, d->N, d->I);
    if (d->S > 0) transpose(net->W_s_T, net->p.W_s, d->S, d->Z);
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
    /* Fixed order of draws: W_in, W_rec, W_pi, W_s, w_v. */
    fill_gaussian(p->W_in, d->sizes[0], 1.0 / sqrt((double)d->I), r);
    if (net->cfg.init == NET_INIT_ORTHOGONAL) {
        if (init_orthogonal(p->W_rec, d->N, net->cfg.gain, r) != 0) return -1;
    } else {
        fill_gaussian(p->W_rec, d->sizes[1], net->cfg.gain / sqrt((double)d->N), r);
    }
    fill_gaussian(p->W_pi, d->sizes[3], 0.1 / sqrt((double)d->N), r);
    if (d->S > 0) fill_gaussian(p->W_s, d->sizes[5], 1.0 / sqrt((double)d->Z), r);
    fill_gaussian(p->w_v, d->sizes[7], 0.1 / sqrt((double)d->Zv), r);
    net_refresh(net);
    return 0;
}

NetLane *net_lane_alloc(const Net *net)
{
    const NetDims *d = &net->d;
    size_t T = (size_t)d->T_max, N = (size_t)d->N, S = (size_t)d->S, A = (size_t)d->A;
    size_t I = (size_t)d->I, Z = (size_t)d->Z;
    int noise = net->cfg.noise_sd > 0.0;
    size_t npre = N > S ? N : S;
    size_t n = T * (I + N + N + (noise ? N : 0) + Z + S + A + A + 1 + 1) + npre + 5 * N + S;
    NetLane *L = calloc(1, sizeof *L);
    if (!L) return NULL;
    L->mem = calloc(n, sizeof(double));
    L->action = calloc(T, sizeof(int));
    if (!L->mem || !L->action) {
        net_lane_free(L);
        return NULL;
    }
    double *m = L->mem;
#define TAKE(ptr, cnt) do { (ptr) = m; m += (cnt); } while (0)
    TAKE(L->u, T * I);
    TAKE(L->x, T * N);
    TAKE(L->r, T * N);
    if (noise) TAKE(L->xi, T * N);
    TAKE(L->z, T * Z);
    TAKE(L->h, T * S);
    TAKE(L->logp, T * A);
    TAKE(L->probs, T * A);
    TAKE(L->V, T);
    TAKE(L->reward, T);
    TAKE(L->pre, npre);
    TAKE(L->dr, N);
    TAKE(L->gx, N);
    TAKE(L->gx_next, N);
    TAKE(L->gp, N);
    TAKE(L->drec, N);
    TAKE(L->dh, S);
#undef TAKE
    assert((size_t)(m - L->mem) == n);
    L->T_max = d->T_max;
    net_lane_reset(L);
    return L;
}

void net_lane_free(NetLane *lane)
{
    if (!lane) return;
    free(lane->mem);
    free(lane->action);
    free(lane);
}

void net_lane_reset(NetLane *lane)
{
    lane->t = 0;
    lane->prev_action = -1;
    lane->prev_reward = 0.0;
}

/* ---------------------------------------------------------------- forward */

void net_forward_step(const Net *net, NetLane *L, const double *obs, gsl_rng *r)
{
    const NetDims *d = &net->d;
    const NetParams *p = &net->p;
    const NetActivation f = net->cfg.activation;
    const int N = d->N, S = d->S, A = d->A, O = d->O, I = d->I, Z = d->Z;
    const int t = L->t;
    assert(t >= 0 && t < L->T_max);
    assert(O == 0 || obs);

    /* input u_t */
    double *u = L->u + (size_t)t * I;
    for (int k = 0; k < O; k++) u[k] = obs[k];
    for (int a = 0; a < A; a++) u[O + a] = a == L->prev_action ? 1.0 : 0.0;
    u[O + A] = L->prev_reward;
    if (net->cfg.time_input) u[O + A + 1] = (double)t / (double)d->T_max;

    /* pre = b + W_in u_t + W_rec r_{t-1} */
    double *pre = L->pre;
    memcpy(pre, p->b, (size_t)N * sizeof(double));
    axpy_rows(pre, net->W_in_T, (size_t)N, u, I, N);
    double *x = L->x + (size_t)t * N, *rt = L->r + (size_t)t * N;
    const double alpha = net->cfg.alpha, leak = 1.0 - alpha;
    if (t > 0) {
        axpy_rows(pre, net->W_rec_T, (size_t)N, rt - N, N, N);
        const double *xp = x - N;
        for (int i = 0; i < N; i++) x[i] = leak * xp[i] + alpha * pre[i];
    } else {
        for (int i = 0; i < N; i++) x[i] = alpha * pre[i];
    }
    if (net->cfg.noise_sd > 0.0) {
        double *xi = L->xi + (size_t)t * N;
        if (r)
            for (int i = 0; i < N; i++) xi[i] = gsl_ran_gaussian(r, 1.0);
        const double sd = net->cfg.noise_sd;
        for (int i = 0; i < N; i++) x[i] += sd * xi[i];
    }
    for (int i = 0; i < N; i++) rt[i] = net_act(f, x[i]);

    /* policy: log-softmax of the logits */
    double *lp = L->logp + (size_t)t * A, *pr = L->probs + (size_t)t * A;
    double mx = -INFINITY;
    for (int a = 0; a < A; a++) {
        lp[a] = p->b_pi[a] + dot(p->W_pi + (size_t)a * N, rt, N);
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

    /* critic */
    double *z = L->z + (size_t)t * Z;
    memcpy(z, rt, (size_t)N * sizeof(double));
    if (net->cfg.critic_input) memcpy(z + N, u + O, (size_t)(A + 1) * sizeof(double));
    if (S > 0) {
        double *h = L->h + (size_t)t * S;
        memcpy(pre, p->b_s, (size_t)S * sizeof(double));
        axpy_rows(pre, net->W_s_T, (size_t)S, z, Z, S);
        for (int j = 0; j < S; j++) h[j] = net_act(f, pre[j]);
        L->V[t] = p->b_v[0] + dot(p->w_v, h, S);
    } else {
        L->V[t] = p->b_v[0] + dot(p->w_v, z, Z);
    }
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

int net_sample(const double *probs, int A, gsl_rng *r)
{
    double u = gsl_rng_uniform(r), c = 0.0;
    for (int a = 0; a < A - 1; a++) {
        c += probs[a];
        if (u < c) return a;
    }
    return A - 1;
}

/* --------------------------------------------------------------- backward */

void net_backward(const Net *net, NetLane *L, const double *dlogits, const double *dV,
                  double *grad)
{
    const NetDims *d = &net->d;
    const NetParams *p = &net->p;
    const NetActivation f = net->cfg.activation;
    const int N = d->N, S = d->S, A = d->A, I = d->I, Z = d->Z;
    const int T = L->t;
    const int vtp = net->cfg.value_trains_pfc;
    const double alpha = net->cfg.alpha, leak = 1.0 - alpha;
    NetParams g;
    net_params_point(d, grad, &g);

    double *dr = L->dr, *gx = L->gx, *gx_next = L->gx_next, *gp = L->gp, *drec = L->drec;
    memset(gx_next, 0, (size_t)N * sizeof(double));
    memset(drec, 0, (size_t)N * sizeof(double));

    for (int t = T - 1; t >= 0; t--) {
        const double *rt = L->r + (size_t)t * N;
        const double *dl = dlogits + (size_t)t * A;
        /* dr = W_rec^T gp_{t+1} (carried) + W_pi^T dlogits + critic path */
        memcpy(dr, drec, (size_t)N * sizeof(double));
        for (int a = 0; a < A; a++) g.b_pi[a] += dl[a];
        outer_acc(g.W_pi, (size_t)N, dl, A, rt, N);
        axpy_rows(dr, p->W_pi, (size_t)N, dl, A, N);

        const double dv = dV[t];
        g.b_v[0] += dv;
        const double *z = L->z + (size_t)t * Z;
        if (S > 0) {
            const double *h = L->h + (size_t)t * S;
            double *dh = L->dh;
            for (int j = 0; j < S; j++) {
                g.w_v[j] += dv * h[j];
                dh[j] = dv * p->w_v[j] * net_act_deriv(f, h[j]);
                g.b_s[j] += dh[j];
            }
            outer_acc(g.W_s, (size_t)Z, dh, S, z, Z);
            if (vtp) axpy_rows(dr, p->W_s, (size_t)Z, dh, S, N);
        } else {
            for (int k = 0; k < Z; k++) g.w_v[k] += dv * z[k];
            if (vtp)
                for (int i = 0; i < N; i++) dr[i] += dv * p->w_v[i];
        }

        /* through f and the leak; gp = dL/d(pre_t) = alpha dL/dx_t */
        for (int i = 0; i < N; i++) {
            gx[i] = dr[i] * net_act_deriv(f, rt[i]) + leak * gx_next[i];
            gp[i] = alpha * gx[i];
            g.b[i] += gp[i];
        }
        outer_acc(g.W_in, (size_t)I, gp, N, L->u + (size_t)t * I, I);
        memset(drec, 0, (size_t)N * sizeof(double));
        if (t > 0) {
            outer_acc(g.W_rec, (size_t)N, gp, N, rt - N, N);
            axpy_rows(drec, p->W_rec, (size_t)N, gp, N, N);
        }
        double *tmp = gx_next;
        gx_next = gx;
        gx = tmp;
    }
}

double net_flops_per_step(const NetDims *d)
{
    /* Multiply-adds (2 flops each) of the matrix products per trial:
    ** forward  N*N + N*I + A*N + S*Z + Zv
    ** backward 2 N*N + N*I + 2 A*N + 2 S*Z + Zv  (weight gradients and the
    ** carried W_rec^T gp), and the optimizer's ~10 flops per parameter spread
    ** over the trials of the batch is left out (it depends on B and T). */
    double N = d->N, I = d->I, A = d->A, S = d->S, Z = d->Z, Zv = d->Zv;
    double fwd = N * N + N * I + A * N + S * Z + Zv;
    double bwd = 2 * N * N + N * I + 2 * A * N + 2 * S * Z + Zv;
    return 2.0 * (fwd + bwd);
}
