/* model/net_kernels.c: the blocked, batched kernels of the network's
** products (see net_kernels.h for the one shape they all share).
**
** Speed and determinism. Every matrix product is written in "axpy form",
** y[0:n] += x[k] * M[k, 0:n] for k = 0, 1, ..., which gcc vectorizes without
** reordering any sum: each y[c] still receives its terms in the order of k.
** net_comb_run() holds a panel of up to 48 columns of y in registers and
** walks the matrix in cache blocks of rows, with the loop over outputs (the
** lanes of a batch, the rows of a weight gradient) inside, so a block of a
** weight matrix, once in cache, serves every output. Nothing is
** reassociated, and with -ffp-contract=off (Makefile) no multiply-add is
** fused, so the "avx2" and "default" clones of the hot kernels give
** identical bits and the result does not depend on the CPU the run lands on.
** The macros below only unroll comb_run for each panel width.
*/
#include <assert.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "model/net_kernels.h"
#include "core/cpu_path.h"

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && !defined(__SANITIZE_ADDRESS__)
#define NET_HOT __attribute__((target_clones("avx2", "default"), optimize("O3")))
#else
#define NET_HOT
#endif

/* ---- lists of nonzero terms (net_list_nz) ----------------------------- */

#if defined(__GNUC__) && defined(__x86_64__)
#include <immintrin.h>
#define LIST_X86 1
#endif

/* The list of x[k stride], k < cnt, entries (base + k, x[k stride]), from
** k = from on with n kept before it (net_list_nz is stride 1, base 0). */
static int list_portable(int *restrict idx, double *restrict val, const double *restrict x, size_t stride, int from,
                         int n, int cnt, int base)
{
    for (int k = from; k < cnt; k++) {
        const double v = x[(size_t)k * stride];
        idx[n] = base + k;
        val[n] = v;
        n += v != 0.0;
    }
    return n;
}

#ifdef LIST_X86
/* For each 4-bit mask of kept lanes: the 32-bit words that move the kept
** doubles to the front (two per double), and the kept lanes' numbers. */
static const int32_t list_words[16][8] = {
    { 0, 1, 0, 1, 0, 1, 0, 1 }, { 0, 1, 0, 1, 0, 1, 0, 1 }, { 2, 3, 0, 1, 0, 1, 0, 1 }, { 0, 1, 2, 3, 0, 1, 0, 1 },
    { 4, 5, 0, 1, 0, 1, 0, 1 }, { 0, 1, 4, 5, 0, 1, 0, 1 }, { 2, 3, 4, 5, 0, 1, 0, 1 }, { 0, 1, 2, 3, 4, 5, 0, 1 },
    { 6, 7, 0, 1, 0, 1, 0, 1 }, { 0, 1, 6, 7, 0, 1, 0, 1 }, { 2, 3, 6, 7, 0, 1, 0, 1 }, { 0, 1, 2, 3, 6, 7, 0, 1 },
    { 4, 5, 6, 7, 0, 1, 0, 1 }, { 0, 1, 4, 5, 6, 7, 0, 1 }, { 2, 3, 4, 5, 6, 7, 0, 1 }, { 0, 1, 2, 3, 4, 5, 6, 7 },
};
static const int32_t list_lanes[16][4] = {
    { 0, 0, 0, 0 }, { 0, 0, 0, 0 }, { 1, 0, 0, 0 }, { 0, 1, 0, 0 }, { 2, 0, 0, 0 }, { 0, 2, 0, 0 },
    { 1, 2, 0, 0 }, { 0, 1, 2, 0 }, { 3, 0, 0, 0 }, { 0, 3, 0, 0 }, { 1, 3, 0, 0 }, { 0, 1, 3, 0 },
    { 2, 3, 0, 0 }, { 0, 2, 3, 0 }, { 1, 2, 3, 0 }, { 0, 1, 2, 3 },
};

/* Four values at a time: compare with 0 (unordered: NaN is kept, as x != 0
** keeps it), pack the kept ones to the front, store all four, advance by
** how many were kept; n <= k, so the stores stay within the cnt entries. */
__attribute__((target("avx2"))) static inline int list_pack4(int *restrict idx, double *restrict val, __m256d v,
                                                             int n, int first)
{
    const int m = _mm256_movemask_pd(_mm256_cmp_pd(v, _mm256_setzero_pd(), _CMP_NEQ_UQ));
    const __m256i words = _mm256_loadu_si256((const __m256i *)(const void *)list_words[m]);
    _mm256_storeu_pd(val + n, _mm256_castsi256_pd(_mm256_permutevar8x32_epi32(_mm256_castpd_si256(v), words)));
    const __m128i lanes = _mm_loadu_si128((const __m128i *)(const void *)list_lanes[m]);
    _mm_storeu_si128((__m128i *)(void *)(idx + n), _mm_add_epi32(lanes, _mm_set1_epi32(first)));
    return n + __builtin_popcount((unsigned)m);
}

__attribute__((target("avx2"))) static int list_avx2(int *restrict idx, double *restrict val,
                                                    const double *restrict x, size_t stride, int cnt, int base)
{
    int n = 0, k = 0;
    if (stride == 1)
        for (; k + 4 <= cnt; k += 4) n = list_pack4(idx, val, _mm256_loadu_pd(x + k), n, base + k);
    else
        for (; k + 4 <= cnt; k += 4) {
            const double *xk = x + (size_t)k * stride;
            n = list_pack4(idx, val, _mm256_set_pd(xk[3 * stride], xk[2 * stride], xk[stride], xk[0]), n, base + k);
        }
    return list_portable(idx, val, x, stride, k, n, cnt, base);
}
#endif

static CpuPath list_path = CPU_PATH(cpu_has_avx2);

void net_list_force_portable(int force_portable) { cpu_path_force_portable(&list_path, force_portable); }

const char *net_list_path(void) { return cpu_path_vector(&list_path) ? "avx2" : "portable"; }

static int list_strided(int *restrict idx, double *restrict val, const double *restrict x, size_t stride, int cnt,
                        int base)
{
#ifdef LIST_X86
    if (cpu_path_vector(&list_path)) return list_avx2(idx, val, x, stride, cnt, base);
#endif
    return list_portable(idx, val, x, stride, 0, 0, cnt, base);
}

int net_list_nz(int *restrict idx, double *restrict val, const double *restrict x, int cnt)
{
    return list_strided(idx, val, x, 1, cnt, 0);
}

/* ---- products ------------------------------------------------------------ */

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

static _Thread_local unsigned long long comb_madds;
static int comb_counting;   /* off unless a benchmark asks: the count is not the products' work */

unsigned long long net_comb_madds(void) { return comb_madds; }

void net_comb_counting(int on) { comb_counting = on; }

void net_comb_count(const Comb *c, int n_out, int cols)
{
    if (!comb_counting) return;
    unsigned long long terms = 0;
    for (int o = 0; o < n_out; o++)
        for (int s = 0; s < c[o].nseg; s++) terms += (unsigned long long)c[o].seg[s].n;
    comb_madds += terms * (unsigned long long)cols;
}

/* y = init + the segments' terms for every output of c (n_out <= COMB_BLOCK,
** every output with the same number of segments, the same matrices). */
NET_HOT void net_comb_run(const Comb *c, int n_out, int cols)
{
    assert(n_out >= 1 && n_out <= COMB_BLOCK);
    net_comb_count(c, n_out, cols);
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

/* Lists of the transposed-A products of the weight gradients: for rows
** i0 .. i0+nb-1 of a (T, lda), row k's list (at k * cap in the lane's
** scratch) holds t - shift and a[t lda + i0 + k] for the t < T with a
** nonzero coefficient, in order of t. Counts into cnt. */
static void tn_lists(NetLane *L, const double *a, size_t lda, int i0, int nb, int T, int shift,
                     int *cnt)
{
    const size_t cap = (size_t)L->Ts_max;
    for (int k = 0; k < nb; k++)   /* column i0 + k of a, strided: its entries in order of t */
        cnt[k] = list_strided(L->idx + (size_t)k * cap, L->vals + (size_t)k * cap, a + i0 + k, lda, T, -shift);
}

/* G[i, 0:cols] += sum_t a[t lda + i] B[t ldb + 0:cols] for i < m, t < T in
** order: the weight gradient as a sum over trials of outer products, i.e. the
** matrix product a^T B, by comb_run in blocks of COMB_BLOCK rows of G. */
void net_gemm_tn(NetLane *L, double *G, size_t ldg, int m, const double *a, size_t lda,
                 const double *B, const float *Bf, size_t ldb, int T, int cols)
{
    Comb cb[COMB_BLOCK];
    int cnt[COMB_BLOCK];
    const size_t cap = (size_t)L->Ts_max;
    for (int i0 = 0; i0 < m; i0 += COMB_BLOCK) {
        const int nb = m - i0 < COMB_BLOCK ? m - i0 : COMB_BLOCK;
        tn_lists(L, a, lda, i0, nb, T, 0, cnt);
        for (int k = 0; k < nb; k++) {
            double *g = G + (size_t)(i0 + k) * ldg;
            cb[k] = (Comb){ g, g, { net_seg2(B, Bf, (ptrdiff_t)ldb, L->idx + k * cap, L->vals + k * cap, cnt[k]) }, 1 };
        }
        if (Bf) net_comb_run_f(cb, nb, cols);
        else net_comb_run(cb, nb, cols);
    }
}

/* dW_in += sum_t gp_t u_t^T and dW_rec += sum_{t>=1} gp_t r_{t-1}^T, from one
** set of lists of gp's columns: they hold t - 1, so that row t - 1 of the
** rates is r_{t-1} and row t - 1 of (u + I) is u_t (t = 0 gives index -1,
** which W_rec's product skips: r_{-1} = 0). */
void net_gemm_gp(NetLane *L, double *dW_in, double *dW_rec, int N, int I, int T, int single)
{
    Comb ci[COMB_BLOCK], cr[COMB_BLOCK];
    int cnt[COMB_BLOCK];
    const size_t cap = (size_t)L->Ts_max;
    for (int i0 = 0; i0 < N; i0 += COMB_BLOCK) {
        const int nb = N - i0 < COMB_BLOCK ? N - i0 : COMB_BLOCK;
        tn_lists(L, L->gp, (size_t)N, i0, nb, T, 1, cnt);
        for (int k = 0; k < nb; k++) {
            const int *idx = L->idx + k * cap;
            const double *val = L->vals + k * cap;
            const int skip = cnt[k] > 0 && idx[0] < 0;
            double *gi = dW_in + (size_t)(i0 + k) * I, *gr = dW_rec + (size_t)(i0 + k) * N;
            ci[k] = (Comb){ gi, gi, { net_seg2(L->u + I, single ? L->u_f + I : NULL, I, idx, val, cnt[k]) }, 1 };
            cr[k] = (Comb){ gr, gr, { net_seg2(L->r, single ? L->r_f : NULL, N, idx + skip, val + skip, cnt[k] - skip) }, 1 };
        }
        if (single) {
            net_comb_run_f(ci, nb, I);
            net_comb_run_f(cr, nb, N);
        } else {
            net_comb_run(ci, nb, I);
            net_comb_run(cr, nb, N);
        }
    }
}

/* dst[i] = (float)src[i] for i < n (vectorized: a conversion is correctly
** rounded however it is done, so the clones give identical bits). */
NET_HOT void net_to_float(float *restrict dst, const double *restrict src, size_t n)
{
    for (size_t i = 0; i < n; i++) dst[i] = (float)src[i];
}

/* g[0:n] += sum_t a[t lda + 0:n], t < T in order (bias gradients). */
NET_HOT void net_colsum_acc(double *restrict g, const double *restrict a, size_t lda, int T, int n)
{
    for (int t = 0; t < T; t++) {
        const double *restrict at = a + (size_t)t * lda;
        for (int c = 0; c < n; c++) g[c] += at[c];
    }
}

/* y[i] = f(x[i]) for i < n, the switch outside the loop. */
NET_HOT void net_act_vec(NetActivation f, double *restrict y, const double *restrict x, int n)
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

/* y[i] = f(x[i]) and yf[i] = (float)y[i] for i < n (single precision's
** forward step: the rates and their float copy; two vectorized loops, the
** second reading y from L1). */
NET_HOT void net_act_vec_f(NetActivation f, double *restrict y, float *restrict yf, const double *restrict x,
                           int n)
{
    if (f == NET_RELU)
        for (int i = 0; i < n; i++) y[i] = x[i] > 0.0 ? x[i] : 0.0;
    else
        net_act_vec(f, y, x, n);
    for (int i = 0; i < n; i++) yf[i] = (float)y[i];
}

/* x = leak xp + alpha pre (xp NULL: x = alpha pre), then + sd xi (xi may be NULL). */
NET_HOT void net_leak_vec(double *restrict x, const double *restrict xp, const double *restrict pre,
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
NET_HOT void net_bwd_vec(NetActivation f, double *restrict gx, double *restrict gp,
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
