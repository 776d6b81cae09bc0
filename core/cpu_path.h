/* core/cpu_path.h: a kernel's run-time choice between its vector path and
** the portable one. The choice is made once, at the first call, from what
** this CPU supports (any thread may make it: they all get the same answer),
** or forced to the portable path by a test, which checks that both give the
** same bytes. Used by the single-precision products (model/net_kernels_f.c),
** the lists of nonzero terms (model/net_kernels.c) and the rate encoders
** (store/rates.c).
**
**     static CpuPath avx2 = CPU_PATH(cpu_has_avx2);
**     if (cpu_path_vector(&avx2)) kernel_avx2(...); else kernel_portable(...);
*/
#ifndef METARL_CPU_PATH_H
#define METARL_CPU_PATH_H

typedef struct CpuPath {
    int (*supported)(void);   /* 1 if this CPU runs the vector path */
    _Atomic int state;        /* 0: not chosen yet, 1: vector, 2: portable */
    _Atomic int forced;       /* 1: portable whatever the CPU supports */
} CpuPath;

#define CPU_PATH(supported_fn) { (supported_fn), 0, 0 }

/* 1 if p's vector path runs, 0 if the portable one does. */
static inline int cpu_path_vector(CpuPath *p)
{
    int s = p->state;
    if (!s) p->state = s = !p->forced && p->supported() ? 1 : 2;
    return s == 1;
}

/* Tests: force = 1 takes the portable path from now on, 0 the CPU's best. */
void cpu_path_force_portable(CpuPath *p, int force);

/* What this CPU and its OS support (0 on other architectures). */
int cpu_has_avx2(void);       /* AVX2 and POPCNT */
int cpu_has_avx2_fma(void);   /* AVX2 and FMA */
int cpu_has_f16c(void);       /* F16C (with AVX: the OS saves the YMM state) */

#endif
