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
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "tests/helpers/peak.h"

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
    printf("FMA peak of one core: 12 independent chains a = a*m + c, best round over %.3g s each;\n"
           "an FMA counts 2 flops. The bench's GFLOP/s are effective rates of the same count.\n\n", secs);
    printf("| kernel | precision | GFLOP/s |\n|---|---|---:|\n");
    printf("| scalar fma() | double | %.2f |\n", peak_measure(peak_kernel(PEAK_SCALAR_DOUBLE), secs));
    printf("| scalar fmaf() | single | %.2f |\n", peak_measure(peak_kernel(PEAK_SCALAR_FLOAT), secs));
    if (peak_have_avx2_fma()) {
        printf("| AVX2 FMA, 4 lanes | double | %.2f |\n", peak_measure(peak_kernel(PEAK_AVX2_DOUBLE), secs));
        printf("| AVX2 FMA, 8 lanes | single | %.2f |\n", peak_measure(peak_kernel(PEAK_AVX2_FLOAT), secs));
    } else {
        printf("| AVX2 FMA | - | not supported by this CPU |\n");
    }
    return 0;
}
