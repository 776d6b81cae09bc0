/* tests/helpers/peak.c: the FMA-throughput microbenchmark (see peak.h), rounds
** timed in the thread's CPU time (the best round of at least secs of wall time), shared by
** tests/bench_peak.c (its table) and tests/bench_train.c (each cell's percentage
** of the peak in its precision).
*/
#include <math.h>
#include <time.h>

#include "tests/helpers/peak.h"
#include "core/cpu_path.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define HAVE_X86 1
#endif

enum { CHAINS = 12, INNER = 1 << 14 };

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* CPU seconds of the calling thread: a round's rate in them is the core's,
** however many other processes share it (the machine is shared). */
static double cpu_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static volatile double sink;   /* keeps the chains' results alive */

/* The chains converge to c / (1 - m), so the values stay finite for ever. */
static long scalar_double(long reps)
{
    double a[CHAINS], m = 0.999999, c = 1e-6;
    for (int k = 0; k < CHAINS; k++) a[k] = 1.0 + k;
    for (long r = 0; r < reps; r++)
        for (int i = 0; i < INNER; i++)
            for (int k = 0; k < CHAINS; k++) a[k] = fma(a[k], m, c);
    double s = 0;
    for (int k = 0; k < CHAINS; k++) s += a[k];
    sink = s;
    return reps * INNER * CHAINS * 2L;
}

static long scalar_float(long reps)
{
    float a[CHAINS], m = 0.99999f, c = 1e-5f;
    for (int k = 0; k < CHAINS; k++) a[k] = 1.0f + (float)k;
    for (long r = 0; r < reps; r++)
        for (int i = 0; i < INNER; i++)
            for (int k = 0; k < CHAINS; k++) a[k] = fmaf(a[k], m, c);
    double s = 0;
    for (int k = 0; k < CHAINS; k++) s += a[k];
    sink = s;
    return reps * INNER * CHAINS * 2L;
}

#ifdef HAVE_X86
__attribute__((target("avx2,fma"))) static long avx2_double(long reps)
{
    __m256d a[CHAINS], m = _mm256_set1_pd(0.999999), c = _mm256_set1_pd(1e-6);
    for (int k = 0; k < CHAINS; k++) a[k] = _mm256_set1_pd(1.0 + k);
    for (long r = 0; r < reps; r++)
        for (int i = 0; i < INNER; i++)
            for (int k = 0; k < CHAINS; k++) a[k] = _mm256_fmadd_pd(a[k], m, c);
    double s = 0, out[4];
    for (int k = 0; k < CHAINS; k++) {
        _mm256_storeu_pd(out, a[k]);
        s += out[0] + out[1] + out[2] + out[3];
    }
    sink = s;
    return reps * INNER * CHAINS * 2L * 4;
}

__attribute__((target("avx2,fma"))) static long avx2_float(long reps)
{
    __m256 a[CHAINS], m = _mm256_set1_ps(0.99999f), c = _mm256_set1_ps(1e-5f);
    for (int k = 0; k < CHAINS; k++) a[k] = _mm256_set1_ps(1.0f + (float)k);
    for (long r = 0; r < reps; r++)
        for (int i = 0; i < INNER; i++)
            for (int k = 0; k < CHAINS; k++) a[k] = _mm256_fmadd_ps(a[k], m, c);
    double s = 0;
    float out[8];
    for (int k = 0; k < CHAINS; k++) {
        _mm256_storeu_ps(out, a[k]);
        for (int j = 0; j < 8; j++) s += out[j];
    }
    sink = s;
    return reps * INNER * CHAINS * 2L * 8;
}
#endif

/* GFLOP/s of kernel f, the best of rounds over at least secs seconds. */
double peak_measure(long (*f)(long), double secs)
{
    long reps = 1;
    double t0 = now();
    while (now() - t0 < 0.02) {   /* calibrate: about 20 ms a round */
        f(reps);
        reps *= 2;
    }
    double best = 0.0, start = now();
    do {
        double t = cpu_now();
        long flops = f(reps);
        double r = (double)flops / (cpu_now() - t) * 1e-9;
        if (r > best) best = r;
    } while (now() - start < secs);
    return best;
}


long (*peak_kernel(int kind))(long)
{
    switch (kind) {
    case PEAK_SCALAR_DOUBLE: return scalar_double;
    case PEAK_SCALAR_FLOAT: return scalar_float;
#ifdef HAVE_X86
    case PEAK_AVX2_DOUBLE: return peak_have_avx2_fma() ? avx2_double : NULL;
    case PEAK_AVX2_FLOAT: return peak_have_avx2_fma() ? avx2_float : NULL;
#endif
    default: return NULL;
    }
}

int peak_have_avx2_fma(void) { return cpu_has_avx2_fma(); }   /* what the kernels ask (core/cpu_path.h) */

double peak_fma_gflops(int single, double secs)
{
    long (*f)(long) = peak_kernel(single ? PEAK_AVX2_FLOAT : PEAK_AVX2_DOUBLE);
    if (!f) f = peak_kernel(single ? PEAK_SCALAR_FLOAT : PEAK_SCALAR_DOUBLE);
    return peak_measure(f, secs);
}
