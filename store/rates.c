/* store/rates.c: the formats of the activity BLOBs (see rates.h): names,
** sizes, the float <-> binary16 conversions, scalar and (for writing many
** values) F16C, the sparse layout, and one decoder for all three. */
#include <string.h>

#include "store/rates.h"
#include "core/cpu_path.h"

int store_rates_format(const char *name)
{
    if (name && strcmp(name, "float32") == 0) return STORE_RATES_FLOAT32;
    if (name && strcmp(name, "float16") == 0) return STORE_RATES_FLOAT16;
    if (name && strcmp(name, "sparse") == 0) return STORE_RATES_SPARSE;
    return -1;
}

int store_rates_written(int format)
{
    return format == STORE_RATES_FLOAT16 || format == STORE_RATES_SPARSE ? format : STORE_RATES_FLOAT32;
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

static CpuPath half_path = CPU_PATH(cpu_has_f16c);
static CpuPath sparse_path = CPU_PATH(cpu_has_avx2);

void store_rates_force_portable(int force)
{
    cpu_path_force_portable(&half_path, force);
    cpu_path_force_portable(&sparse_path, force);
}

const char *store_half_path(void)
{
    return cpu_path_vector(&half_path) ? "f16c" : "portable";
}

void store_half_from_float_n(const float *src, uint16_t *dst, size_t n)
{
#ifdef RATES_X86
    if (cpu_path_vector(&half_path)) {
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

static const unsigned char sparse_mark[4] = { 'S', 'P', '3', '2' };

size_t store_sparse_bound(size_t n)
{
    return sizeof sparse_mark + (n + 7) / 8 + 4 * n + 32;   /* 32: a vector store past the last value */
}

/* Values src[i..end) into val, their bits into *bits: every value is copied
** and only the stored ones advance, so no branch on data that is zero or not
** at random. */
static unsigned char *sparse_scalar(const float *src, size_t i, size_t end, unsigned *bits, unsigned char *val)
{
    unsigned m = 0;
    for (size_t k = i; k < end; k++) {
        uint32_t u = bits_of(src[k]);
        memcpy(val, &u, sizeof u);
        unsigned keep = u != 0;
        m |= keep << (k - i);
        val += 4 * keep;
    }
    *bits = m;
    return val;
}

#ifdef RATES_X86
/* For each bitmap byte, the positions of its set bits in order, a nibble
** each (low nibble first): the lanes VPERMD moves to the front. */
static const uint32_t compress_lanes[256] = {
    0x00000000u, 0x00000000u, 0x00000001u, 0x00000010u, 0x00000002u, 0x00000020u, 0x00000021u, 0x00000210u,
    0x00000003u, 0x00000030u, 0x00000031u, 0x00000310u, 0x00000032u, 0x00000320u, 0x00000321u, 0x00003210u,
    0x00000004u, 0x00000040u, 0x00000041u, 0x00000410u, 0x00000042u, 0x00000420u, 0x00000421u, 0x00004210u,
    0x00000043u, 0x00000430u, 0x00000431u, 0x00004310u, 0x00000432u, 0x00004320u, 0x00004321u, 0x00043210u,
    0x00000005u, 0x00000050u, 0x00000051u, 0x00000510u, 0x00000052u, 0x00000520u, 0x00000521u, 0x00005210u,
    0x00000053u, 0x00000530u, 0x00000531u, 0x00005310u, 0x00000532u, 0x00005320u, 0x00005321u, 0x00053210u,
    0x00000054u, 0x00000540u, 0x00000541u, 0x00005410u, 0x00000542u, 0x00005420u, 0x00005421u, 0x00054210u,
    0x00000543u, 0x00005430u, 0x00005431u, 0x00054310u, 0x00005432u, 0x00054320u, 0x00054321u, 0x00543210u,
    0x00000006u, 0x00000060u, 0x00000061u, 0x00000610u, 0x00000062u, 0x00000620u, 0x00000621u, 0x00006210u,
    0x00000063u, 0x00000630u, 0x00000631u, 0x00006310u, 0x00000632u, 0x00006320u, 0x00006321u, 0x00063210u,
    0x00000064u, 0x00000640u, 0x00000641u, 0x00006410u, 0x00000642u, 0x00006420u, 0x00006421u, 0x00064210u,
    0x00000643u, 0x00006430u, 0x00006431u, 0x00064310u, 0x00006432u, 0x00064320u, 0x00064321u, 0x00643210u,
    0x00000065u, 0x00000650u, 0x00000651u, 0x00006510u, 0x00000652u, 0x00006520u, 0x00006521u, 0x00065210u,
    0x00000653u, 0x00006530u, 0x00006531u, 0x00065310u, 0x00006532u, 0x00065320u, 0x00065321u, 0x00653210u,
    0x00000654u, 0x00006540u, 0x00006541u, 0x00065410u, 0x00006542u, 0x00065420u, 0x00065421u, 0x00654210u,
    0x00006543u, 0x00065430u, 0x00065431u, 0x00654310u, 0x00065432u, 0x00654320u, 0x00654321u, 0x06543210u,
    0x00000007u, 0x00000070u, 0x00000071u, 0x00000710u, 0x00000072u, 0x00000720u, 0x00000721u, 0x00007210u,
    0x00000073u, 0x00000730u, 0x00000731u, 0x00007310u, 0x00000732u, 0x00007320u, 0x00007321u, 0x00073210u,
    0x00000074u, 0x00000740u, 0x00000741u, 0x00007410u, 0x00000742u, 0x00007420u, 0x00007421u, 0x00074210u,
    0x00000743u, 0x00007430u, 0x00007431u, 0x00074310u, 0x00007432u, 0x00074320u, 0x00074321u, 0x00743210u,
    0x00000075u, 0x00000750u, 0x00000751u, 0x00007510u, 0x00000752u, 0x00007520u, 0x00007521u, 0x00075210u,
    0x00000753u, 0x00007530u, 0x00007531u, 0x00075310u, 0x00007532u, 0x00075320u, 0x00075321u, 0x00753210u,
    0x00000754u, 0x00007540u, 0x00007541u, 0x00075410u, 0x00007542u, 0x00075420u, 0x00075421u, 0x00754210u,
    0x00007543u, 0x00075430u, 0x00075431u, 0x00754310u, 0x00075432u, 0x00754320u, 0x00754321u, 0x07543210u,
    0x00000076u, 0x00000760u, 0x00000761u, 0x00007610u, 0x00000762u, 0x00007620u, 0x00007621u, 0x00076210u,
    0x00000763u, 0x00007630u, 0x00007631u, 0x00076310u, 0x00007632u, 0x00076320u, 0x00076321u, 0x00763210u,
    0x00000764u, 0x00007640u, 0x00007641u, 0x00076410u, 0x00007642u, 0x00076420u, 0x00076421u, 0x00764210u,
    0x00007643u, 0x00076430u, 0x00076431u, 0x00764310u, 0x00076432u, 0x00764320u, 0x00764321u, 0x07643210u,
    0x00000765u, 0x00007650u, 0x00007651u, 0x00076510u, 0x00007652u, 0x00076520u, 0x00076521u, 0x00765210u,
    0x00007653u, 0x00076530u, 0x00076531u, 0x00765310u, 0x00076532u, 0x00765320u, 0x00765321u, 0x07653210u,
    0x00007654u, 0x00076540u, 0x00076541u, 0x00765410u, 0x00076542u, 0x00765420u, 0x00765421u, 0x07654210u,
    0x00076543u, 0x00765430u, 0x00765431u, 0x07654310u, 0x00765432u, 0x07654320u, 0x07654321u, 0x76543210u,
};

/* 8 values at a time: compare with zero as integers (so -0.0 and NaNs are
** kept), the mask is the bitmap byte, and VPERMD packs the kept values to
** the front of a 32-byte store (the bound leaves room for it). */
__attribute__((target("avx2,popcnt"))) static unsigned char *sparse_avx2(const float *src, size_t n8, unsigned char *map,
                                                                        unsigned char *val)
{
    const __m256i zero = _mm256_setzero_si256(), shifts = _mm256_setr_epi32(0, 4, 8, 12, 16, 20, 24, 28);
    for (size_t i = 0; i < n8; i += 8) {
        __m256i v = _mm256_loadu_si256((const __m256i *)(const void *)(src + i));
        unsigned keep = ~(unsigned)_mm256_movemask_ps(_mm256_castsi256_ps(_mm256_cmpeq_epi32(v, zero))) & 0xffu;
        map[i / 8] = (unsigned char)keep;
        __m256i lanes = _mm256_srlv_epi32(_mm256_set1_epi32((int)compress_lanes[keep]), shifts);
        _mm256_storeu_si256((__m256i *)(void *)val, _mm256_permutevar8x32_epi32(v, lanes));
        val += 4 * (unsigned)__builtin_popcount(keep);
    }
    return val;
}
#endif

const char *store_sparse_path(void)
{
    return cpu_path_vector(&sparse_path) ? "avx2" : "portable";
}

size_t store_sparse_encode(const float *src, size_t n, unsigned char *dst)
{
    memcpy(dst, sparse_mark, sizeof sparse_mark);
    unsigned char *map = dst + sizeof sparse_mark, *val = map + (n + 7) / 8;
    size_t i = 0;
#ifdef RATES_X86
    if (cpu_path_vector(&sparse_path)) {
        i = n / 8 * 8;
        val = sparse_avx2(src, i, map, val);
    }
#endif
    for (; i < n; i += 8) {
        unsigned bits;
        val = sparse_scalar(src, i, i + 8 < n ? i + 8 : n, &bits, val);
        map[i / 8] = (unsigned char)bits;
    }
    size_t len = (size_t)(val - dst);
    if (!(len & 1)) dst[len++] = 0;   /* odd: never the 4 n or 2 n bytes of the dense formats */
    return len;
}

static int sparse_decode(const unsigned char *b, size_t bytes, size_t n, float *out, const char **why)
{
    size_t n_map = (n + 7) / 8, stored = 0;
    if (bytes < sizeof sparse_mark + n_map || memcmp(b, sparse_mark, sizeof sparse_mark) != 0) {
        *why = "its size is not 4 or 2 bytes a value, and it does not start with the sparse mark SP32";
        return -1;
    }
    const unsigned char *map = b + sizeof sparse_mark, *val = map + n_map;
    for (size_t i = 0; i < n_map; i++) stored += (size_t)__builtin_popcount(map[i]);
    if (n % 8 && map[n_map - 1] >> (n % 8)) {
        *why = "its sparse bitmap marks values past the row's end";
        return -1;
    }
    size_t len = sizeof sparse_mark + n_map + 4 * stored;
    if (bytes != len + !(len & 1) || (!(len & 1) && b[len] != 0)) {
        *why = "its length does not match the values its sparse bitmap marks";
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        if (map[i / 8] >> (i % 8) & 1u) {
            memcpy(out + i, val, sizeof(float));
            val += 4;
        } else {
            out[i] = 0.0f;
        }
    }
    return 0;
}

int store_rates_decode(const void *blob, size_t bytes, size_t n, float *out, const char **why)
{
    const char *unused;
    if (!why) why = &unused;
    const unsigned char *b = blob;
    if (bytes == 4 * n) {
        if (n) memcpy(out, blob, n * sizeof(float));
        return 0;
    }
    if (bytes == 2 * n) {   /* little-endian half: low byte first */
        for (size_t i = 0; i < n; i++) out[i] = store_float_from_half((uint16_t)(b[2 * i] | (b[2 * i + 1] << 8)));
        return 0;
    }
    if (!(bytes & 1)) {
        *why = "its size is not 4 or 2 bytes a value (float32, float16), nor odd (sparse)";
        return -1;
    }
    return sparse_decode(b, bytes, n, out, why);
}
