/* tests/bench_peak.c: this core's fused multiply-add throughput, the peak
** that the training bench's GFLOP/s are measured against.
**
** One thread runs K independent chains of a = a * m + c (enough chains to
** cover the FMA latency on every port), for at least `seconds` of wall time,
** in double and single precision: (1) scalar fma()/fmaf() (the portable
** path; a library call where the CPU lacks FMA), (2) AVX2+FMA intrinsics
** (4 doubles or 8 floats a vector), compiled for that target by a function
** attribute and run only if the CPU reports FMA and AVX2 at run time, so
** the library's flags stay as they are. One FMA counts as 2 flops.
** The output is a Markdown table (part of `make bench`).
**
**     build/tests/bench_peak [-s seconds]
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

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
static double measure(long (*f)(long), double secs)
{
    long reps = 1;
    double t0 = now();
    while (now() - t0 < 0.02) {   /* calibrate: about 20 ms a round */
        f(reps);
        reps *= 2;
    }
    double best = 0.0, start = now();
    do {
        double t = now();
        long flops = f(reps);
        double r = (double)flops / (now() - t) * 1e-9;
        if (r > best) best = r;
    } while (now() - start < secs);
    return best;
}

int main(int argc, char **argv)
{
    double secs = 1.0;
    int opt;
    while ((opt = getopt(argc, argv, "s:")) != -1) {
        if (opt == 's') secs = atof(optarg);
        else {
            fprintf(stderr, "usage: bench_peak [-s seconds]\n");
            return 2;
        }
    }
    printf("FMA peak of one core: %d independent chains a = a*m + c, best round over %.3g s each;\n"
           "an FMA counts 2 flops. The bench's GFLOP/s are effective rates of the same count.\n\n", CHAINS, secs);
    printf("| kernel | precision | GFLOP/s |\n|---|---|---:|\n");
    printf("| scalar fma() | double | %.2f |\n", measure(scalar_double, secs));
    printf("| scalar fmaf() | single | %.2f |\n", measure(scalar_float, secs));
#ifdef HAVE_X86
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
        printf("| AVX2 FMA, 4 lanes | double | %.2f |\n", measure(avx2_double, secs));
        printf("| AVX2 FMA, 8 lanes | single | %.2f |\n", measure(avx2_float, secs));
    } else {
        printf("| AVX2 FMA | - | not supported by this CPU |\n");
    }
#endif
    return 0;
}
