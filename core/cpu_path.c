/* core/cpu_path.c: see cpu_path.h. */
#include "core/cpu_path.h"

#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
#define CPU_X86 1
#include <cpuid.h>
#endif

void cpu_path_force_portable(CpuPath *p, int force)
{
    p->forced = force != 0;
    p->state = 0;
    (void)cpu_path_vector(p);
}

int cpu_has_avx2(void)
{
#ifdef CPU_X86
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("popcnt");
#else
    return 0;
#endif
}

int cpu_has_avx2_fma(void)
{
#ifdef CPU_X86
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
    return 0;
#endif
}

int cpu_has_f16c(void)
{
#ifdef CPU_X86
    /* F16C from CPUID leaf 1 (ECX bit 29): clang 14's __builtin_cpu_supports
    ** does not know "f16c"; "avx" also says the OS saves the YMM state. */
    unsigned a, b, c, d;
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx") && __get_cpuid(1, &a, &b, &c, &d) && (c & bit_F16C);
#else
    return 0;
#endif
}
