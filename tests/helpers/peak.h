/* tests/helpers/peak.h: this core's fused multiply-add throughput (the
** benches' peak). One thread runs CHAINS independent chains a = a * m + c in
** scalar fma()/fmaf() or AVX2+FMA intrinsics (compiled for that target by a
** function attribute, run only if the CPU reports AVX2 and FMA); one FMA
** counts 2 flops. Used by tests/bench_peak.c and tests/bench_train.c.
*/
#ifndef METARL_TESTS_PEAK_H
#define METARL_TESTS_PEAK_H

enum { PEAK_SCALAR_DOUBLE, PEAK_SCALAR_FLOAT, PEAK_AVX2_DOUBLE, PEAK_AVX2_FLOAT };

/* The kernel of a kind (it returns the flops it did for `reps` rounds); NULL
** if this CPU cannot run it. */
long (*peak_kernel(int kind))(long);
int peak_have_avx2_fma(void);
/* GFLOP/s of kernel f per second of the thread's CPU time: the best round
** over at least secs seconds of wall time. */
double peak_measure(long (*f)(long), double secs);
/* The peak in one precision (single != 0: float): the AVX2+FMA kernel, or the
** scalar one where the CPU lacks it. */
double peak_fma_gflops(int single, double secs);

#endif
