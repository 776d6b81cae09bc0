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

/* ---------------------------------------------------------------- kernels */

/* Every matrix product of the network has one shape, a "combination of rows":
**
**     y[c] = init[c] + sum_j val[j] * M[idx[j] * ld + c]      for c < cols,
**
** the terms added one at a time in the order of j (init NULL: from 0), over
** up to three segments (idx, val lists with their own M and ld), one after
** the other. The forward pass: M = W_in^T for u_t, then W_rec^T for
** r_{t-1}. The backward pass: M = W_rec for gp_{t+1}, W_pi for dlogits_t,
** W_s (or w_v) for the critic. The weight gradients: M = the stored rates
** (or inputs) of trials t, with val = gp_t[i] for row i of dW. The lists
** leave out the zero coefficients (one-hot inputs, silent relu units and
** their zero gradients): a skipped term would add +-0, which changes a sum
** only if it is itself a zero, and then only in its sign; every path skips
** the same terms, so the bits do not depend on which path ran.
**
** comb_run() evaluates a set of combinations that share the matrices but
** not the lists: the lanes of a batch at one trial, or a block of rows of a
** weight gradient. Registers hold a panel of up to 48 columns of y (12
** AVX2 vectors); the loop over outputs is inside the loop over panels, so a
** panel of a weight matrix, once fetched into cache, serves every lane.
** Each y[c] still receives its terms in the order of the lists, as the
** scalar loop would: vector lanes are separate columns, nothing is
** reassociated, and with -ffp-contract=off no multiply-add is fused, so the
** "avx2" and "default" clones give identical bits (as does the scalar tail
** for columns beyond the last multiple of 4). */

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && !defined(__SANITIZE_ADDRESS__)
#define NET_HOT __attribute__((target_clones("avx2", "default"), optimize("O3")))
#else
#define NET_HOT
#endif

typedef struct CombSeg {
    const double *M;     /* term j's row: M + idx[j] * ld */
    ptrdiff_t ld;
    const int *idx;      /* (n) */
    const double *val;   /* (n) */
    int n;
} CombSeg;

typedef struct Comb {
    double *y;           /* (cols) the result */
    const double *init;  /* (cols) starting values, NULL for zeros; may be y itself */
    CombSeg seg[3];
    int nseg;
} Comb;

#define COMB_BLOCK 8     /* outputs per comb_run() call */
#define COMB_KC 64       /* matrix rows per cache block: 64 x 48 doubles = 24 KB */

/* Rows per cache block for row stride ld (doubles): COMB_KC, fewer when the
** stride maps rows onto few L1 sets (a 64-byte line count with a large
** power-of-two factor: 32 KB of rows 2 KB apart use 2 of the 64 sets' groups
** and would evict each other), about 8 rows per set group. */
static long comb_kc(ptrdiff_t ld)
{
    if (ld <= 0 || ld % 8 != 0) return COMB_KC;
    long lines = (long)(ld / 8), g = 1;
    while (g < 64 && lines % (2 * g) == 0) g *= 2;
    long kc = 8 * (64 / g);
    return kc < COMB_KC ? kc : COMB_KC;
}

/* One step of comb_run's loops, for output o: y[c0 : c0+NV] (NV values,
** in vectors of 4 when V4, else NV <= 3 scalars) gets the terms of
** segment s whose row index is below k_end, continuing at cur[o]; `first`:
** start from init (or 0) instead of y. */
#if defined(__GNUC__)
typedef double v4d __attribute__((vector_size(32)));

#define COMB_STEP_V(NV)                                                                 \
    do {                                                                                \
        v4d acc[(NV) / 4];                                                              \
        const double *src = first ? cb->init : cb->y;                                   \
        if (src)                                                                        \
            for (int q = 0; q < (NV) / 4; q++) memcpy(&acc[q], src + c0 + 4 * q, 32);   \
        else                                                                            \
            for (int q = 0; q < (NV) / 4; q++) acc[q] = (v4d){ 0.0, 0.0, 0.0, 0.0 };       \
        const double *M = sg->M + c0;                                                   \
        for (; j < sg->n && sg->idx[j] < k_end; j++) {                                  \
            const double *m = M + sg->idx[j] * sg->ld;                                  \
            const double v = sg->val[j];                                                \
            const v4d vv = { v, v, v, v };                                              \
            for (int q = 0; q < (NV) / 4; q++) {                                        \
                v4d mq;                                                                 \
                memcpy(&mq, m + 4 * q, 32);                                             \
                acc[q] += vv * mq;                                                      \
            }                                                                           \
        }                                                                               \
        for (int q = 0; q < (NV) / 4; q++) memcpy(cb->y + c0 + 4 * q, &acc[q], 32);     \
    } while (0)
#endif

/* The (at most 3) columns beyond the vector panels, all at once. */
#define COMB_STEP_TAIL(NV)                                                              \
    do {                                                                                \
        double a0, a1 = 0.0, a2 = 0.0;                                                  \
        const double *src = first ? cb->init : cb->y;                                   \
        a0 = src ? src[c0] : 0.0;                                                       \
        if ((NV) > 1) a1 = src ? src[c0 + 1] : 0.0;                                     \
        if ((NV) > 2) a2 = src ? src[c0 + 2] : 0.0;                                     \
        const double *M = sg->M + c0;                                                   \
        for (; j < sg->n && sg->idx[j] < k_end; j++) {                                  \
            const double *m = M + sg->idx[j] * sg->ld;                                  \
            const double v = sg->val[j];                                                \
            a0 += v * m[0];                                                             \
            if ((NV) > 1) a1 += v * m[1];                                               \
            if ((NV) > 2) a2 += v * m[2];                                               \
        }                                                                               \
        cb->y[c0] = a0;                                                                 \
        if ((NV) > 1) cb->y[c0 + 1] = a1;                                               \
        if ((NV) > 2) cb->y[c0 + 2] = a2;                                               \
    } while (0)

/* All outputs, columns [c0, c0 + NV): the segments in order, each in blocks
** of COMB_KC matrix rows (the lists are in increasing row order), so that a
** block of the panel stays in L1 while every output uses it. A partial sum
** goes to y and comes back between blocks, which changes no bit. */
#define COMB_COLUMNS(NV, STEP)                                                          \
    do {                                                                                \
        for (int s = 0; s < c[0].nseg; s++) {                                           \
            int cur[COMB_BLOCK], k_lo = INT_MAX;                                        \
            for (int o = 0; o < n_out; o++) {                                           \
                cur[o] = 0;                                                             \
                if (c[o].seg[s].n > 0 && c[o].seg[s].idx[0] < k_lo) k_lo = c[o].seg[s].idx[0]; \
            }                                                                           \
            const long kc = comb_kc(c[0].seg[s].ld);                                    \
            int more = 1;                                                               \
            for (long k_end = (long)k_lo + kc; more; k_end += kc) {                     \
                const int first = s == 0 && k_end == (long)k_lo + kc;                   \
                more = 0;                                                               \
                for (int o = 0; o < n_out; o++) {                                       \
                    const Comb *cb = &c[o];                                             \
                    const CombSeg *sg = &cb->seg[s];                                    \
                    int j = cur[o];                                                     \
                    if (!first && (j == sg->n || sg->idx[j] >= k_end)) {                \
                        more |= j < sg->n;                                              \
                        continue;                                                       \
                    }                                                                   \
                    STEP(NV);                                                           \
                    cur[o] = j;                                                         \
                    more |= j < sg->n;                                                  \
                }                                                                       \
            }                                                                           \
        }                                                                               \
    } while (0)

/* y = init + the segments' terms for every output of c (n_out <= COMB_BLOCK,
** every output with the same number of segments, the same matrices). */
NET_HOT static void comb_run(const Comb *c, int n_out, int cols)
{
    assert(n_out >= 1 && n_out <= COMB_BLOCK);
    int c0 = 0;
#if defined(__GNUC__)
    for (; c0 + 48 <= cols; c0 += 48) COMB_COLUMNS(48, COMB_STEP_V);
    for (; c0 + 32 <= cols; c0 += 32) COMB_COLUMNS(32, COMB_STEP_V);
    for (; c0 + 16 <= cols; c0 += 16) COMB_COLUMNS(16, COMB_STEP_V);
    for (; c0 + 8 <= cols; c0 += 8) COMB_COLUMNS(8, COMB_STEP_V);
    for (; c0 + 4 <= cols; c0 += 4) COMB_COLUMNS(4, COMB_STEP_V);
#endif
    for (; c0 + 3 <= cols; c0 += 3) COMB_COLUMNS(3, COMB_STEP_TAIL);
    if (cols - c0 == 2) COMB_COLUMNS(2, COMB_STEP_TAIL);
    if (cols - c0 == 1) COMB_COLUMNS(1, COMB_STEP_TAIL);
}

/* Write at idx/val the terms k < cnt with x[k] != 0 (NaN included): index k,
** coefficient x[k]. Branch-free: an entry is written at every k and kept by
** advancing the count, so idx and val need room for cnt entries. Return the
** number kept. */
static int list_nz(int *restrict idx, double *restrict val, const double *restrict x, int cnt)
{
    int n = 0;
    for (int k = 0; k < cnt; k++) {
        idx[n] = k;
        val[n] = x[k];
        n += x[k] != 0.0;
    }
    return n;
}

static CombSeg seg(const double *M, ptrdiff_t ld, const int *idx, const double *val, int n)
{
    return (CombSeg){ M, ld, idx, val, n };
}

/* Lists of the transposed-A products of the weight gradients: for rows
** i0 .. i0+nb-1 of a (T, lda), row k's list (at k * cap in the lane's
** scratch) holds t - shift and a[t lda + i0 + k] for the t < T with a
** nonzero coefficient, in order of t. Counts into cnt. */
static void tn_lists(NetLane *L, const double *a, size_t lda, int i0, int nb, int T, int shift,
                     int *cnt)
{
    const size_t cap = (size_t)L->T_max;
    for (int k = 0; k < nb; k++) cnt[k] = 0;
    for (int t = 0; t < T; t++) {
        const double *at = a + (size_t)t * lda + i0;
        for (int k = 0; k < nb; k++) {
            int *idx = L->idx + (size_t)k * cap;
            double *val = L->vals + (size_t)k * cap;
            idx[cnt[k]] = t - shift;
            val[cnt[k]] = at[k];
            cnt[k] += at[k] != 0.0;
        }
    }
}

/* G[i, 0:cols] += sum_t a[t lda + i] B[t ldb + 0:cols] for i < m, t < T in
** order: the weight gradient as a sum over trials of outer products, i.e. the
** matrix product a^T B, by comb_run in blocks of COMB_BLOCK rows of G. */
static void gemm_tn(NetLane *L, double *G, size_t ldg, int m, const double *a, size_t lda,
                    const double *B, size_t ldb, int T, int cols)
{
    Comb cb[COMB_BLOCK];
    int cnt[COMB_BLOCK];
    const size_t cap = (size_t)L->T_max;
    for (int i0 = 0; i0 < m; i0 += COMB_BLOCK) {
        const int nb = m - i0 < COMB_BLOCK ? m - i0 : COMB_BLOCK;
        tn_lists(L, a, lda, i0, nb, T, 0, cnt);
        for (int k = 0; k < nb; k++) {
            double *g = G + (size_t)(i0 + k) * ldg;
            cb[k] = (Comb){ g, g, { seg(B, (ptrdiff_t)ldb, L->idx + k * cap, L->vals + k * cap, cnt[k]) }, 1 };
        }
        comb_run(cb, nb, cols);
    }
}

/* dW_in += sum_t gp_t u_t^T and dW_rec += sum_{t>=1} gp_t r_{t-1}^T, from one
** set of lists of gp's columns: they hold t - 1, so that row t - 1 of the
** rates is r_{t-1} and row t - 1 of (u + I) is u_t (t = 0 gives index -1,
** which W_rec's product skips: r_{-1} = 0). */
static void gemm_gp(NetLane *L, double *dW_in, double *dW_rec, int N, int I, int T)
{
    Comb ci[COMB_BLOCK], cr[COMB_BLOCK];
    int cnt[COMB_BLOCK];
    const size_t cap = (size_t)L->T_max;
    for (int i0 = 0; i0 < N; i0 += COMB_BLOCK) {
        const int nb = N - i0 < COMB_BLOCK ? N - i0 : COMB_BLOCK;
        tn_lists(L, L->gp, (size_t)N, i0, nb, T, 1, cnt);
        for (int k = 0; k < nb; k++) {
            const int *idx = L->idx + k * cap;
            const double *val = L->vals + k * cap;
            const int skip = cnt[k] > 0 && idx[0] < 0;
            double *gi = dW_in + (size_t)(i0 + k) * I, *gr = dW_rec + (size_t)(i0 + k) * N;
            ci[k] = (Comb){ gi, gi, { seg(L->u + I, I, idx, val, cnt[k]) }, 1 };
            cr[k] = (Comb){ gr, gr, { seg(L->r, N, idx + skip, val + skip, cnt[k] - skip) }, 1 };
        }
        comb_run(ci, nb, I);
        comb_run(cr, nb, N);
    }
}

/* g[0:n] += sum_t a[t lda + 0:n], t < T in order (bias gradients). */
NET_HOT static void colsum_acc(double *restrict g, const double *restrict a, size_t lda, int T, int n)
{
    for (int t = 0; t < T; t++) {
        const double *restrict at = a + (size_t)t * lda;
        for (int c = 0; c < n; c++) g[c] += at[c];
    }
}

/* y[i] = f(x[i]) for i < n, the switch outside the loop. */
NET_HOT static void act_vec(NetActivation f, double *restrict y, const double *restrict x, int n)
{
    switch (f) {
    case NET_RELU:
        for (int i = 0; i < n; i++) y[i] = x[i] > 0.0 ? x[i] : 0.0;
        break;
    case NET_SOFTPLUS:
        for (int i = 0; i < n; i++) y[i] = x[i] > 0.0 ? x[i] + log1p(exp(-x[i])) : log1p(exp(x[i]));
        break;
    case NET_TANH:
    default:
        for (int i = 0; i < n; i++) y[i] = tanh(x[i]);
        break;
    }
}

/* x = leak xp + alpha pre (xp NULL: x = alpha pre), then + sd xi (xi may be NULL). */
NET_HOT static void leak_vec(double *restrict x, const double *restrict xp, const double *restrict pre,
                             const double *restrict xi, double alpha, double leak, double sd, int n)
{
    if (xp)
        for (int i = 0; i < n; i++) x[i] = leak * xp[i] + alpha * pre[i];
    else
        for (int i = 0; i < n; i++) x[i] = alpha * pre[i];
    if (xi)
        for (int i = 0; i < n; i++) x[i] += sd * xi[i];
}

/* gx = dr f'(r) + leak gxn, gp = alpha gx (f' from the output, net_act_deriv). */
NET_HOT static void bwd_vec(NetActivation f, double *restrict gx, double *restrict gp,
                            const double *restrict dr, const double *restrict r,
                            const double *restrict gxn, double alpha, double leak, int n)
{
    switch (f) {
    case NET_RELU:
        for (int i = 0; i < n; i++) {
            const double d = r[i] > 0.0 ? 1.0 : 0.0;   /* (this form vectorizes) */
            gx[i] = dr[i] * d + leak * gxn[i];
        }
        break;
    case NET_SOFTPLUS:
        for (int i = 0; i < n; i++) gx[i] = dr[i] * -expm1(-r[i]) + leak * gxn[i];
        break;
    case NET_TANH:
    default:
        for (int i = 0; i < n; i++) gx[i] = dr[i] * (1.0 - r[i] * r[i]) + leak * gxn[i];
        break;
    }
    for (int i = 0; i < n; i++) gp[i] = alpha * gx[i];
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
    free(net);
}

/* dst (cols, ld) = src^T for src (rows, cols); the padding stays 0. */
static void transpose(double *restrict dst, size_t ld, const double *restrict src, int rows, int cols)
{
    for (int i = 0; i < rows; i++)
        for (int j = 0; j < cols; j++) dst[(size_t)j * ld + i] = src[(size_t)i * cols + j];
}

void net_refresh(Net *net)
{
    const NetDims *d = &net->d;
    const size_t ldN = (size_t)net->ld_N;
    transpose(net->W_rec_T, ldN, net->p.W_rec, d->N, d->N);
    transpose(net->W_in_T, ldN, net->p.W_in, d->N, d->I);
    if (d->S > 0) transpose(net->W_s_T, (size_t)net->ld_S, net->p.W_s, d->S, d->Z);
    for (int i = 0; i < d->N; i++)
        memcpy(net->W_rec_c + (size_t)i * ldN, net->p.W_rec + (size_t)i * d->N, (size_t)d->N * sizeof(double));
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
    /* list room: the forward products (I + N terms, or Z for the critic),
    ** the backward one (N + A + S + 1), a block of weight-gradient rows */
    size_t nl = I + N;
    if (Z > nl) nl = Z;
    if (N + A + S + 1 > nl) nl = N + A + S + 1;
    if ((size_t)COMB_BLOCK * T > nl) nl = (size_t)COMB_BLOCK * T;
    if (nl > (size_t)INT32_MAX) return NULL;
    size_t n = T * (I + N + N + (noise ? N : 0) + Z + S + A + A + 1 + 1 + N + S) + npre + 3 * N + nl;
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
    TAKE(L->gp, T * N);
    TAKE(L->dh, T * S);
    TAKE(L->pre, npre);
    TAKE(L->dr, N);
    TAKE(L->gx, N);
    TAKE(L->gx_next, N);
    TAKE(L->vals, nl);
#undef TAKE
    assert((size_t)(m - L->mem) == n);
    L->n_list = (int)nl;
    L->T_max = d->T_max;
    net_lane_reset(L);
    return L;
}

void net_lane_free(NetLane *lane)
{
    if (!lane) return;
    free(lane->mem);
    free(lane->action);
    free(lane->idx);
    free(lane);
}

void net_lane_reset(NetLane *lane)
{
    lane->t = 0;
    lane->prev_action = -1;
    lane->prev_reward = 0.0;
}

/* ---------------------------------------------------------------- forward */

/* Up to COMB_BLOCK lanes, one trial each (net_forward_lanes). */
static void forward_block(const Net *net, NetLane *const *lanes, int n, const double *const *obs,
                          gsl_rng *const *rng)
{
    const NetDims *d = &net->d;
    const NetParams *p = &net->p;
    const NetActivation f = net->cfg.activation;
    const int N = d->N, S = d->S, A = d->A, O = d->O, I = d->I, Z = d->Z;
    const double alpha = net->cfg.alpha, leak = 1.0 - alpha;
    Comb cb[COMB_BLOCK];

    /* pre = b + W_in u_t + W_rec r_{t-1}: the terms of u, then those of r */
    for (int j = 0; j < n; j++) {
        NetLane *L = lanes[j];
        const int t = L->t;
        assert(t >= 0 && t < L->T_max);
        const double *ob = obs ? obs[j] : NULL;
        assert(O == 0 || ob);
        double *u = L->u + (size_t)t * I;
        for (int k = 0; k < O; k++) u[k] = ob[k];
        for (int a = 0; a < A; a++) u[O + a] = a == L->prev_action ? 1.0 : 0.0;
        u[O + A] = L->prev_reward;
        if (net->cfg.time_input) u[O + A + 1] = (double)t / (double)d->T_max;
        const int nu = list_nz(L->idx, L->vals, u, I);
        const int nr = t > 0 ? list_nz(L->idx + I, L->vals + I, L->r + (size_t)(t - 1) * N, N) : 0;
        cb[j] = (Comb){ L->pre, p->b,
                        { seg(net->W_in_T, net->ld_N, L->idx, L->vals, nu),
                          seg(net->W_rec_T, net->ld_N, L->idx + I, L->vals + I, nr) }, 2 };
    }
    comb_run(cb, n, N);

    for (int j = 0; j < n; j++) {
        NetLane *L = lanes[j];
        const int t = L->t;
        double *x = L->x + (size_t)t * N, *rt = L->r + (size_t)t * N;
        double *xi = NULL;
        if (net->cfg.noise_sd > 0.0) {
            xi = L->xi + (size_t)t * N;
            if (rng)
                for (int i = 0; i < N; i++) xi[i] = gsl_ran_gaussian(rng[j], 1.0);
        }
        leak_vec(x, t > 0 ? x - N : NULL, L->pre, xi, alpha, leak, net->cfg.noise_sd, N);
        act_vec(f, rt, x, N);

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

        /* critic input */
        double *z = L->z + (size_t)t * Z;
        memcpy(z, rt, (size_t)N * sizeof(double));
        if (net->cfg.critic_input) memcpy(z + N, L->u + (size_t)t * I + O, (size_t)(A + 1) * sizeof(double));
        if (S > 0) {
            const int nz = list_nz(L->idx, L->vals, z, Z);
            cb[j] = (Comb){ L->pre, p->b_s, { seg(net->W_s_T, net->ld_S, L->idx, L->vals, nz) }, 1 };
        } else {
            L->V[t] = p->b_v[0] + dot(p->w_v, z, Z);
        }
    }
    if (S > 0) {
        comb_run(cb, n, S);
        for (int j = 0; j < n; j++) {
            NetLane *L = lanes[j];
            const int t = L->t;
            double *h = L->h + (size_t)t * S;
            act_vec(f, h, L->pre, S);
            L->V[t] = p->b_v[0] + dot(p->w_v, h, S);
        }
    }
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

/* Trial t of up to COMB_BLOCK lanes (all with t < their length), backward:
** dr_t, then gx_t and gp_t (stored in L->gp for the weight gradients). */
static void backward_block(const Net *net, NetLane *const *lanes, int n, const int *jl,
                           const double *const *dlogits, const double *const *dV, int t)
{
    const NetDims *d = &net->d;
    const NetParams *p = &net->p;
    const NetActivation f = net->cfg.activation;
    const int N = d->N, S = d->S, A = d->A, Z = d->Z;
    const int vtp = net->cfg.value_trains_pfc;
    const double alpha = net->cfg.alpha, leak = 1.0 - alpha;
    static const int zero = 0;
    Comb cb[COMB_BLOCK] = { { 0 } };

    /* dr_t = W_rec^T gp_{t+1} + W_pi^T dlogits_t + the critic's path, summed
    ** in that order (gp_{t+1} = 0 on a lane's last trial) */
    for (int k = 0; k < n; k++) {
        NetLane *L = lanes[k];
        const int j = jl[k];
        const double *dl = dlogits[j] + (size_t)t * A;
        int *ix = L->idx;
        double *vl = L->vals;
        int ng = 0;
        if (t + 1 < L->t) ng = list_nz(ix, vl, L->gp + (size_t)(t + 1) * N, N);
        else memset(L->gx_next, 0, (size_t)N * sizeof(double));
        const int na = list_nz(ix + N, vl + N, dl, A);
        Comb c = { L->dr, NULL, { seg(net->W_rec_c, net->ld_N, ix, vl, ng), seg(p->W_pi, N, ix + N, vl + N, na) }, 2 };
        if (S > 0) {
            const double dv = dV[j][t];
            const double *h = L->h + (size_t)t * S;
            double *dh = L->dh + (size_t)t * S;
            for (int q = 0; q < S; q++) dh[q] = dv * p->w_v[q] * net_act_deriv(f, h[q]);
            if (vtp) c.seg[c.nseg++] = seg(p->W_s, Z, ix + N + A, vl + N + A, list_nz(ix + N + A, vl + N + A, dh, S));
        } else if (vtp) {
            c.seg[c.nseg++] = seg(p->w_v, 0, &zero, &dV[j][t], dV[j][t] != 0.0);
        }
        cb[k] = c;
    }
    comb_run(cb, n, N);

    /* through f and the leak; gp = dL/d(pre_t) = alpha dL/dx_t */
    for (int k = 0; k < n; k++) {
        NetLane *L = lanes[k];
        double *gx = L->gx;
        bwd_vec(f, gx, L->gp + (size_t)t * N, L->dr, L->r + (size_t)t * N, L->gx_next, alpha, leak, N);
        L->gx = L->gx_next;
        L->gx_next = gx;
    }
}

/* grad += the weight and bias gradients of lane L's episode from the stored
** gp, dh and forward quantities: sums over trials t = 0..T-1 in order. */
static void lane_weight_grads(const Net *net, NetLane *L, const double *dlogits, const double *dV,
                              const NetParams *g)
{
    const NetDims *d = &net->d;
    const int N = d->N, S = d->S, A = d->A, I = d->I, Z = d->Z, T = L->t;
    if (T == 0) return;
    colsum_acc(g->b, L->gp, (size_t)N, T, N);
    gemm_gp(L, g->W_in, g->W_rec, N, I, T);
    colsum_acc(g->b_pi, dlogits, (size_t)A, T, A);
    gemm_tn(L, g->W_pi, (size_t)N, A, dlogits, (size_t)A, L->r, (size_t)N, T, N);
    colsum_acc(g->b_v, dV, 1, T, 1);
    if (S > 0) {
        gemm_tn(L, g->w_v, (size_t)S, 1, dV, 1, L->h, (size_t)S, T, S);
        colsum_acc(g->b_s, L->dh, (size_t)S, T, S);
        gemm_tn(L, g->W_s, (size_t)Z, S, L->dh, (size_t)S, L->z, (size_t)Z, T, Z);
    } else {
        gemm_tn(L, g->w_v, (size_t)Z, 1, dV, 1, L->z, (size_t)Z, T, Z);
    }
}

void net_backward_lanes(const Net *net, NetLane *const *lanes, int n,
                        const double *const *dlogits, const double *const *dV, double *grad)
{
    NetParams g;
    net_params_point(&net->d, grad, &g);
    int T = 0;
    for (int j = 0; j < n; j++)
        if (lanes[j]->t > T) T = lanes[j]->t;
    /* the sweep, trial by trial, over the lanes still inside their episode */
    NetLane *blk[COMB_BLOCK];
    int jl[COMB_BLOCK];
    for (int t = T - 1; t >= 0; t--) {
        int m = 0;
        for (int j = 0; j < n; j++) {
            if (lanes[j]->t <= t) continue;
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
    double fwd = N * N + N * I + A * N + S * Z + Zv;
    double bwd = 2 * N * N + N * I + 2 * A * N + 2 * S * Z + Zv;
    return 2.0 * (fwd + bwd);
}
