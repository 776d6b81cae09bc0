/* store/rates.c: the formats of the activity BLOBs (see rates.h): names,
** sizes, and the float <-> binary16 conversions, scalar and (for writing
** many values) F16C. */
#include <stdatomic.h>
#include <string.h>

#include "store/rates.h"

int store_rates_format(const char *name)
{
    if (name && strcmp(name, "float32") == 0) return STORE_RATES_FLOAT32;
    if (name && strcmp(name, "float16") == 0) return STORE_RATES_FLOAT16;
    return -1;
}

size_t store_rates_size(int format)
{
    return format == STORE_RATES_FLOAT16 ? 2 : 4;
}

static uint32_t bits_of(float x)
{
    uint32_t u;
    memcpy(&u, &x, sizeof u);
    return u;
}

uint16_t store_half_from_float(float x)
{
    uint32_t u = bits_of(x);
    uint16_t sign = (uint16_t)((u >> 16) & 0x8000u);
    uint32_t mag = u & 0x7fffffffu;
    if (mag >= 0x7f800000u)   /* inf, or NaN (kept quiet, a payload bit set) */
        return (uint16_t)(sign | 0x7c00u | (mag > 0x7f800000u ? 0x0200u : 0u));
    if (mag >= 0x477ff000u)   /* >= 65520 rounds past the largest half, 65504 */
        return (uint16_t)(sign | 0x7c00u);
    if (mag < 0x38800000u) {  /* below 2^-14: a subnormal half, or zero */
        if (mag < 0x33000000u) return sign;   /* < 2^-25: rounds to zero */
        uint32_t e = mag >> 23, m = (mag & 0x7fffffu) | 0x800000u;
        uint32_t shift = 126u - e;            /* 14..24: m >> shift is the half's mantissa */
        uint32_t h = m >> shift, rest = m & ((1u << shift) - 1u), half = 1u << (shift - 1u);
        if (rest > half || (rest == half && (h & 1u))) h++;
        return (uint16_t)(sign | h);
    }
    /* normal: rebias the exponent, round the 13 dropped bits to nearest even */
    uint32_t h = ((mag >> 13) - ((127u - 15u) << 10));
    uint32_t rest = mag & 0x1fffu;
    if (rest > 0x1000u || (rest == 0x1000u && (h & 1u))) h++;   /* a carry into the exponent is right */
    return (uint16_t)(sign | h);
}

#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
#define RATES_X86 1
#include <cpuid.h>
#include <immintrin.h>

/* 8 at a time by VCVTPS2PH (imm 0: round to nearest even, which never
** reads MXCSR's rounding mode or FTZ); a block holding a NaN goes to the
** scalar code, which quiets it without keeping its payload as VCVTPS2PH
** would. */
__attribute__((target("avx,f16c"))) static void half_f16c(const float *src, uint16_t *dst, size_t n)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 v = _mm256_loadu_ps(src + i);
        if (_mm256_movemask_ps(_mm256_cmp_ps(v, v, _CMP_UNORD_Q))) {
            for (size_t k = i; k < i + 8; k++) dst[k] = store_half_from_float(src[k]);
        } else {
            _mm_storeu_si128((__m128i *)(void *)(dst + i), _mm256_cvtps_ph(v, 0));
        }
    }
    for (; i < n; i++) dst[i] = store_half_from_float(src[i]);
}
#endif

static _Atomic int half_path;     /* 0: not chosen yet, 1: f16c, 2: portable (any thread may choose: the same answer) */
static _Atomic int half_forced;

static int half_choose(void)
{
#ifdef RATES_X86
    /* F16C from CPUID leaf 1 (ECX bit 29): clang 14's __builtin_cpu_supports
    ** does not know "f16c"; "avx" also says the OS saves the YMM state. */
    unsigned a, b, c, d;
    __builtin_cpu_init();
    if (!half_forced && __builtin_cpu_supports("avx") && __get_cpuid(1, &a, &b, &c, &d) && (c & bit_F16C)) return 1;
#endif
    return 2;
}

void store_half_force_portable(int force)
{
    half_forced = force != 0;
    half_path = half_choose();
}

const char *store_half_path(void)
{
    if (!half_path) half_path = half_choose();
    return half_path == 1 ? "f16c" : "portable";
}

void store_half_from_float_n(const float *src, uint16_t *dst, size_t n)
{
    int path = half_path;
    if (!path) half_path = path = half_choose();
#ifdef RATES_X86
    if (path == 1) {
        half_f16c(src, dst, n);
        return;
    }
#endif
    for (size_t i = 0; i < n; i++) dst[i] = store_half_from_float(src[i]);
}

float store_float_from_half(uint16_t h)
{
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16, e = (h >> 10) & 0x1fu, m = h & 0x3ffu, u;
    if (e == 0x1fu) {
        u = sign | 0x7f800000u | (m << 13);
    } else if (e != 0) {
        u = sign | ((e + 127u - 15u) << 23) | (m << 13);
    } else if (m == 0) {
        u = sign;
    } else {   /* subnormal: normalise */
        e = 127u - 15u + 1u;
        while (!(m & 0x400u)) {
            m <<= 1;
            e--;
        }
        u = sign | (e << 23) | ((m & 0x3ffu) << 13);
    }
    float x;
    memcpy(&x, &u, sizeof x);
    return x;
}
