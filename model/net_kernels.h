/* model/net_kernels.h: the blocked kernels behind the network's products
** (internal to model/: net.c and striatum.c use them, nothing else should).
**
** The network's equations (net.c, striatum.c) are written as calls to these
** few kernels; the kernels decide how the sums are laid out in registers and
** cache, never in which order their terms are added, so the equations'
** results do not depend on how the kernels are tuned.
**
** Every matrix product of the network has one shape, a "combination of rows":
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
** net_comb_run() evaluates a set of combinations that share the matrices but
** not the lists: the lanes of a batch at one trial, or a block of rows of a
** weight gradient. Registers hold a panel of up to 48 columns of y (12
** AVX2 vectors); the loop over outputs is inside the loop over panels, so a
** panel of a weight matrix, once fetched into cache, serves every lane.
** Each y[c] still receives its terms in the order of the lists, as the
** scalar loop would: vector lanes are separate columns, nothing is
** reassociated, and with -ffp-contract=off no multiply-add is fused, so the
** "avx2" and "default" clones give identical bits (as does the scalar tail
** for columns beyond the last multiple of 4).
**
** model.precision = single runs the same products through net_comb_run_f()
** (net_kernels_f.c): float copies of the matrices (CombSeg.Mf), a float
** accumulator and one explicit fused multiply-add per term, in the same order;
** net_comb() picks the net's precision. */
#ifndef METARL_NET_KERNELS_H
#define METARL_NET_KERNELS_H

#include <stddef.h>

#include "model/net.h"

typedef struct CombSeg {
    const double *M;     /* term j's row: M + idx[j] * ld */
    ptrdiff_t ld;
    const int *idx;      /* (n) */
    const double *val;   /* (n) */
    int n;
    const float *Mf;     /* single precision (net_comb_run_f): the float copy of M, same layout */
} CombSeg;

typedef struct Comb {
    double *y;           /* (cols) the result */
    const double *init;  /* (cols) starting values, NULL for zeros; may be y itself */
    CombSeg seg[3];
    int nseg;
} Comb;

#define COMB_BLOCK 8     /* outputs per net_comb_run() call */

/* y = init + the segments' terms for every output of c (n_out <= COMB_BLOCK,
** every output with the same number of segments, the same matrices). */
void net_comb_run(const Comb *c, int n_out, int cols);

/* The multiply-adds that the calling thread's net_comb_run and
** net_comb_run_f calls have done (cols x terms, summed over calls) while
** counting is on (net_comb_counting(1); off by default, so that training and
** tests do not pay for it): the products a network actually computes, which
** skip the silent units of a relu network (tests/bench_train.c, the share of
** the FMA peak in use). net_comb_count adds one call's. */
unsigned long long net_comb_madds(void);
void net_comb_counting(int on);
void net_comb_count(const Comb *c, int n_out, int cols);

/* The same in single precision (net_kernels_f.c): y[c] = init[c] + sum_j val[j] *
** Mf[idx[j] * ld + c] with a float accumulator started from (float)init (or 0)
** and one fused multiply-add acc = fmaf((float)val[j], Mf[...], acc) per term in
** the order of j; y = (double)acc. Every segment needs Mf. The AVX2+FMA path
** (chosen at run time if the CPU has both) and the portable fmaf path give
** identical bits. */
void net_comb_run_f(const Comb *c, int n_out, int cols);
/* The path net_comb_run_f takes: "avx2-fma" or "portable". force_portable
** != 0 makes it take the portable one (tests); 0 restores the run-time choice. */
const char *net_kernels_f_path(void);
void net_kernels_f_force_portable(int force_portable);
/* The net's product in its precision (Mf set in every segment when single). */
static inline void net_comb(const Net *net, const Comb *c, int n_out, int cols)
{
    if (net->cfg.single) net_comb_run_f(c, n_out, cols);
    else net_comb_run(c, n_out, cols);
}

/* Write at idx/val the terms k < cnt with x[k] != 0 (NaN included): index k,
** coefficient x[k], in order of k. Every entry up to cnt may be written (the
** portable loop writes one at every k and keeps it by advancing the count;
** the AVX2 one packs four at a time), so idx and val need room for cnt
** entries. Return the number kept. Both paths give the same lists. */
int net_list_nz(int *restrict idx, double *restrict val, const double *restrict x, int cnt);

/* Tests: 1 = net_list_nz takes the portable loop from now on, 0 = the CPU's
** best; and which one it takes ("avx2" or "portable"). */
void net_list_force_portable(int force_portable);
const char *net_list_path(void);

static inline CombSeg net_seg(const double *M, ptrdiff_t ld, const int *idx, const double *val, int n)
{
    return (CombSeg){ M, ld, idx, val, n, NULL };
}

/* A segment with both copies of its matrix (Mf NULL in double precision). */
static inline CombSeg net_seg2(const double *M, const float *Mf, ptrdiff_t ld, const int *idx,
                               const double *val, int n)
{
    return (CombSeg){ M, ld, idx, val, n, Mf };
}

/* sum_i a[i] b[i] with four partial sums: s_j takes i = j mod 4 in order;
** the tail goes to s_0; result (s0 + s1) + (s2 + s3). */
static inline double net_dot(const double *restrict a, const double *restrict b, int n)
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

/* G[i, 0:cols] += sum_t a[t lda + i] B[t ldb + 0:cols] for i < m, t < T in
** order: the weight gradient a^T B as a sum over trials of outer products. */
void net_gemm_tn(NetLane *L, double *G, size_t ldg, int m, const double *a, size_t lda,
                 const double *B, const float *Bf, size_t ldb, int T, int cols);
/* (Bf: B's float copy, same layout; non-NULL: the single-precision product.) */
/* dW_in += sum_t gp_t u_t^T and dW_rec += sum_{t>=1} gp_t r_{t-1}^T (lane L's stored gp, u, r;
** single != 0: the single-precision product of u_f and r_f). */
void net_gemm_gp(NetLane *L, double *dW_in, double *dW_rec, int N, int I, int T, int single);
/* g[0:n] += sum_t a[t lda + 0:n], t < T in order (bias gradients). */
void net_colsum_acc(double *restrict g, const double *restrict a, size_t lda, int T, int n);
/* dst[i] = (float)src[i] for i < n (the single-precision copies). */
void net_to_float(float *restrict dst, const double *restrict src, size_t n);
/* y[i] = f(x[i]) for i < n. */
void net_act_vec(NetActivation f, double *restrict y, const double *restrict x, int n);
/* The same, and yf[i] = (float)y[i] (the single-precision copy). */
void net_act_vec_f(NetActivation f, double *restrict y, float *restrict yf, const double *restrict x, int n);
/* x = leak xp + alpha pre (xp NULL: x = alpha pre), then + sd xi (xi may be NULL). */
void net_leak_vec(double *restrict x, const double *restrict xp, const double *restrict pre,
                  const double *restrict xi, double alpha, double leak, double sd, int n);
/* gx = dr f'(r) + leak gxn, gp = alpha gx (f' from the output, net_act_deriv). */
void net_bwd_vec(NetActivation f, double *restrict gx, double *restrict gp, const double *restrict dr,
                 const double *restrict r, const double *restrict gxn, double alpha, double leak, int n);

#endif
