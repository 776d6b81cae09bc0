/* model/net_kernels_f.c: the single-precision form of net_comb_run(), the one
** product shape of the network (net_kernels.h), for model.precision = single.
**
** Per output and column: acc = (float)init (or 0), then for each term j in the
** order of the lists acc = fmaf((float)val[j], Mf[idx[j] ld + c], acc), then
** y = (double)acc. One fused multiply-add per term, written out (intrinsics
** or fmaf), never left to the compiler's contraction (the Makefile's
** -ffp-contract=off holds here too). A fused multiply-add is correctly
** rounded however it is computed, so the two paths below give identical bits:
**   avx2-fma  AVX2 + FMA intrinsics in functions compiled for that target
**             (__attribute__((target("avx2,fma")))), panels of up to 96
**             columns in 12 vector registers, the columns beyond the last
**             multiple of 8 by scalar fmaf (one vfmadd...ss each);
**   portable  plain C fmaf (a library call where the CPU has no FMA: slow,
**             exact), used when __builtin_cpu_supports reports no avx2 or fma.
** The cache blocking is that of net_kernels.c (blocks of matrix rows, the
** loop over outputs inside); a partial sum leaves as a double and comes back
** as the same float, so the blocking changes no bit either.
*/
#include <assert.h>
#include <limits.h>
#include <math.h>
#include <string.h>

#include "model/net_kernels.h"
#include "core/cpu_path.h"

#if defined(__GNUC__) && defined(__x86_64__)
#include <immintrin.h>
#define NETF_X86 1
#endif

#define COMBF_KC 64      /* matrix rows per cache block: 64 x 96 floats = 24 KB */

/* Rows per block for row stride ld (floats): as comb_kc in net_kernels.c, with
** 16 floats to a 64-byte line. */
static long combf_kc(ptrdiff_t ld)
{
    if (ld <= 0 || ld % 16 != 0) return COMBF_KC;
    long lines = (long)(ld / 16), g = 1;
    while (g < 64 && lines % (2 * g) == 0) g *= 2;
    long kc = 8 * (64 / g);
    return kc < COMBF_KC ? kc : COMBF_KC;
}

/* The block walk of net_kernels.c's COMB_COLUMNS, for columns [c0, c0 + NV):
** each segment in blocks of rows, every output within a block; STEP does one
** output's terms below k_end from cur[o] (`first`: start from init). */
#define COMBF_COLUMNS(NV, STEP)                                                         \
    do {                                                                                \
        for (int s = 0; s < c[0].nseg; s++) {                                           \
            int cur[COMB_BLOCK], k_lo = INT_MAX;                                        \
            for (int o = 0; o < n_out; o++) {                                           \
                cur[o] = 0;                                                             \
                if (c[o].seg[s].n > 0 && c[o].seg[s].idx[0] < k_lo) k_lo = c[o].seg[s].idx[0]; \
            }                                                                           \
            const long kc = combf_kc(c[0].seg[s].ld);                                   \
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

/* Scalar step: NV <= 8 columns in a float array, fmaf per term. */
#define COMBF_STEP_S(NV)                                                                \
    do {                                                                                \
        float acc[(NV)];                                                                \
        const double *src = first ? cb->init : cb->y;                                   \
        for (int q = 0; q < (NV); q++) acc[q] = src ? (float)src[c0 + q] : 0.0f;        \
        const float *M = sg->Mf + c0;                                                   \
        for (; j < sg->n && sg->idx[j] < k_end; j++) {                                  \
            const float *m = M + sg->idx[j] * sg->ld;                                   \
            const float v = (float)sg->val[j];                                          \
            for (int q = 0; q < (NV); q++) acc[q] = fmaf(v, m[q], acc[q]);              \
        }                                                                               \
        for (int q = 0; q < (NV); q++) cb->y[c0 + q] = (double)acc[q];                  \
    } while (0)

static void comb_f_portable(const Comb *c, int n_out, int cols)
{
    int c0 = 0;
    for (; c0 + 8 <= cols; c0 += 8) COMBF_COLUMNS(8, COMBF_STEP_S);
    for (; c0 < cols; c0++) COMBF_COLUMNS(1, COMBF_STEP_S);
}

#ifdef NETF_X86
#define NETF_TGT __attribute__((target("avx2,fma")))

NETF_TGT static inline __m256 load8(const double *p)
{
    const __m128 lo = _mm256_cvtpd_ps(_mm256_loadu_pd(p)), hi = _mm256_cvtpd_ps(_mm256_loadu_pd(p + 4));
    return _mm256_insertf128_ps(_mm256_castps128_ps256(lo), hi, 1);
}

NETF_TGT static inline void store8(double *p, __m256 v)
{
    _mm256_storeu_pd(p, _mm256_cvtps_pd(_mm256_castps256_ps128(v)));
    _mm256_storeu_pd(p + 4, _mm256_cvtps_pd(_mm256_extractf128_ps(v, 1)));
}

/* Vector step: NV (a multiple of 8, <= 96) columns in NV/8 registers. */
#define COMBF_STEP_V(NV)                                                                \
    do {                                                                                \
        __m256 acc[(NV) / 8];                                                           \
        const double *src = first ? cb->init : cb->y;                                   \
        if (src)                                                                        \
            for (int q = 0; q < (NV) / 8; q++) acc[q] = load8(src + c0 + 8 * q);        \
        else                                                                            \
            for (int q = 0; q < (NV) / 8; q++) acc[q] = _mm256_setzero_ps();            \
        const float *M = sg->Mf + c0;                                                   \
        for (; j < sg->n && sg->idx[j] < k_end; j++) {                                  \
            const float *m = M + sg->idx[j] * sg->ld;                                   \
            const __m256 vv = _mm256_set1_ps((float)sg->val[j]);                        \
            for (int q = 0; q < (NV) / 8; q++)                                          \
                acc[q] = _mm256_fmadd_ps(vv, _mm256_loadu_ps(m + 8 * q), acc[q]);       \
        }                                                                               \
        for (int q = 0; q < (NV) / 8; q++) store8(cb->y + c0 + 8 * q, acc[q]);          \
    } while (0)

/* Two outputs at once (NV <= 48: 2 x 6 accumulators), so that narrow panels
** have enough independent FMA chains to cover the latency; each output still
** takes its own terms in its own order. Outputs a (cb, sg, j) and b (cb2,
** sg2, j2): while both have terms in the block, one term of each per round;
** then the rest of either alone. */
#define COMBF_STEP_V2(NV)                                                               \
    do {                                                                                \
        __m256 acc[(NV) / 8], acc2[(NV) / 8];                                           \
        const double *src = first ? cb->init : cb->y, *src2 = first ? cb2->init : cb2->y; \
        for (int q = 0; q < (NV) / 8; q++) {                                            \
            acc[q] = src ? load8(src + c0 + 8 * q) : _mm256_setzero_ps();               \
            acc2[q] = src2 ? load8(src2 + c0 + 8 * q) : _mm256_setzero_ps();            \
        }                                                                               \
        const float *M = sg->Mf + c0, *M2 = sg2->Mf + c0;                               \
        for (; j < sg->n && sg->idx[j] < k_end && j2 < sg2->n && sg2->idx[j2] < k_end; j++, j2++) { \
            const float *m = M + sg->idx[j] * sg->ld, *m2 = M2 + sg2->idx[j2] * sg2->ld; \
            const __m256 vv = _mm256_set1_ps((float)sg->val[j]);                        \
            const __m256 vv2 = _mm256_set1_ps((float)sg2->val[j2]);                     \
            for (int q = 0; q < (NV) / 8; q++) {                                        \
                acc[q] = _mm256_fmadd_ps(vv, _mm256_loadu_ps(m + 8 * q), acc[q]);       \
                acc2[q] = _mm256_fmadd_ps(vv2, _mm256_loadu_ps(m2 + 8 * q), acc2[q]);   \
            }                                                                           \
        }                                                                               \
        for (; j < sg->n && sg->idx[j] < k_end; j++) {                                  \
            const float *m = M + sg->idx[j] * sg->ld;                                   \
            const __m256 vv = _mm256_set1_ps((float)sg->val[j]);                        \
            for (int q = 0; q < (NV) / 8; q++)                                          \
                acc[q] = _mm256_fmadd_ps(vv, _mm256_loadu_ps(m + 8 * q), acc[q]);       \
        }                                                                               \
        for (; j2 < sg2->n && sg2->idx[j2] < k_end; j2++) {                             \
            const float *m2 = M2 + sg2->idx[j2] * sg2->ld;                              \
            const __m256 vv2 = _mm256_set1_ps((float)sg2->val[j2]);                     \
            for (int q = 0; q < (NV) / 8; q++)                                          \
                acc2[q] = _mm256_fmadd_ps(vv2, _mm256_loadu_ps(m2 + 8 * q), acc2[q]);   \
        }                                                                               \
        for (int q = 0; q < (NV) / 8; q++) {                                            \
            store8(cb->y + c0 + 8 * q, acc[q]);                                         \
            store8(cb2->y + c0 + 8 * q, acc2[q]);                                       \
        }                                                                               \
    } while (0)

/* The walk of COMBF_COLUMNS with the outputs that have work in a block taken
** two at a time (COMBF_STEP_V2), an odd one alone (COMBF_STEP_V). */
#define COMBF_COLUMNS2(NV)                                                              \
    do {                                                                                \
        for (int s = 0; s < c[0].nseg; s++) {                                           \
            int cur[COMB_BLOCK], k_lo = INT_MAX;                                        \
            for (int o = 0; o < n_out; o++) {                                           \
                cur[o] = 0;                                                             \
                if (c[o].seg[s].n > 0 && c[o].seg[s].idx[0] < k_lo) k_lo = c[o].seg[s].idx[0]; \
            }                                                                           \
            const long kc = combf_kc(c[0].seg[s].ld);                                   \
            int more = 1;                                                               \
            for (long k_end = (long)k_lo + kc; more; k_end += kc) {                     \
                const int first = s == 0 && k_end == (long)k_lo + kc;                   \
                int act[COMB_BLOCK], na = 0;                                            \
                more = 0;                                                               \
                for (int o = 0; o < n_out; o++) {                                       \
                    const CombSeg *sg = &c[o].seg[s];                                   \
                    const int j = cur[o];                                               \
                    if (!first && (j == sg->n || sg->idx[j] >= k_end)) more |= j < sg->n; \
                    else act[na++] = o;                                                 \
                }                                                                       \
                int a = 0;                                                              \
                for (; a + 1 < na; a += 2) {                                            \
                    const int o = act[a], o2 = act[a + 1];                              \
                    const Comb *cb = &c[o], *cb2 = &c[o2];                              \
                    const CombSeg *sg = &cb->seg[s], *sg2 = &cb2->seg[s];               \
                    int j = cur[o], j2 = cur[o2];                                       \
                    COMBF_STEP_V2(NV);                                                  \
                    cur[o] = j;                                                         \
                    cur[o2] = j2;                                                       \
                    more |= (j < sg->n) | (j2 < sg2->n);                                \
                }                                                                       \
                if (a < na) {                                                           \
                    const int o = act[a];                                               \
                    const Comb *cb = &c[o];                                             \
                    const CombSeg *sg = &cb->seg[s];                                    \
                    int j = cur[o];                                                     \
                    COMBF_STEP_V(NV);                                                   \
                    cur[o] = j;                                                         \
                    more |= j < sg->n;                                                  \
                }                                                                       \
            }                                                                           \
        }                                                                               \
    } while (0)

NETF_TGT __attribute__((optimize("O3"))) static void comb_f_avx2(const Comb *c, int n_out, int cols)
{
    int c0 = 0;
    for (; c0 + 96 <= cols; c0 += 96) COMBF_COLUMNS(96, COMBF_STEP_V);
    /* what is left (< 96 columns): one panel of its multiple of 8 */
    switch ((cols - c0) / 8) {
    case 11: COMBF_COLUMNS(88, COMBF_STEP_V); c0 += 88; break;
    case 10: COMBF_COLUMNS(80, COMBF_STEP_V); c0 += 80; break;
    case 9: COMBF_COLUMNS(72, COMBF_STEP_V); c0 += 72; break;
    case 8: COMBF_COLUMNS(64, COMBF_STEP_V); c0 += 64; break;
    case 7: COMBF_COLUMNS(56, COMBF_STEP_V); c0 += 56; break;
    case 6: COMBF_COLUMNS2(48); c0 += 48; break;
    case 5: COMBF_COLUMNS2(40); c0 += 40; break;
    case 4: COMBF_COLUMNS2(32); c0 += 32; break;
    case 3: COMBF_COLUMNS2(24); c0 += 24; break;
    case 2: COMBF_COLUMNS2(16); c0 += 16; break;
    case 1: COMBF_COLUMNS2(8); c0 += 8; break;
    default: break;
    }
    if (cols - c0 >= 4) {
        COMBF_COLUMNS(4, COMBF_STEP_S);
        c0 += 4;
    }
    for (; c0 < cols; c0++) COMBF_COLUMNS(1, COMBF_STEP_S);
}
#endif

static CpuPath netf_path = CPU_PATH(cpu_has_avx2_fma);

void net_kernels_f_force_portable(int force_portable) { cpu_path_force_portable(&netf_path, force_portable); }

const char *net_kernels_f_path(void) { return cpu_path_vector(&netf_path) ? "avx2-fma" : "portable"; }

void net_comb_run_f(const Comb *c, int n_out, int cols)
{
    assert(n_out >= 1 && n_out <= COMB_BLOCK);
    net_comb_count(c, n_out, cols);
#ifdef NETF_X86
    if (cpu_path_vector(&netf_path)) {
        comb_f_avx2(c, n_out, cols);
        return;
    }
#endif
    comb_f_portable(c, n_out, cols);
}
