/* store/rates.h: how unit rates are laid out in the activity table's BLOBs.
**
** A row's `rates` BLOB holds n = n_trials x n_units values, row-major, in one
** of three little-endian formats (test.activity = true, float16 or sparse):
** - float32: 4 bytes a value, the default and the only format of stores
**   written before the others existed;
** - float16: IEEE 754 binary16, 2 bytes a value: half the bytes to write,
**   relative error <= 2^-11 for rates in [2^-14, 65504];
** - sparse: lossless float32 without the exact zeros (+0.0, which a relu unit
**   below threshold gives; 74% of a trained relu network's rates): the 4
**   bytes "SP32", a bitmap of ceil(n / 8) bytes (bit i of the whole array is
**   bit i % 8 of byte i / 8, set when value i is stored), the stored values as
**   float32 in order, and one zero byte of padding if needed to make the
**   length odd. About 1.15 bytes a value at 74% zeros. A row where that
**   would not be shorter than float32 (few zeros: tanh units) is written as
**   float32.
** The format of a row follows from its size: exactly 4 n or 2 n bytes is
** float32 or float16 (both even), an odd size is sparse, so every reader
** decodes every format, old stores read as before, and the format asked for
** is also kept in the run's resolved configuration (runs.config). Used by
** store/write.c (encode), store/read.c (decode) and the tests; the
** conversions are plain integer arithmetic, identical on every machine.
*/
#ifndef METARL_STORE_RATES_H
#define METARL_STORE_RATES_H

#include <stddef.h>
#include <stdint.h>

/* The with_activity argument of store_put_episode(): what to store. */
enum { STORE_RATES_NONE = 0, STORE_RATES_FLOAT32 = 1, STORE_RATES_FLOAT16 = 2, STORE_RATES_SPARSE = 3 };

/* "float32" -> STORE_RATES_FLOAT32, "float16" -> STORE_RATES_FLOAT16,
** "sparse" -> STORE_RATES_SPARSE; -1 otherwise. */
int store_rates_format(const char *name);

/* The format to write for an asked-for one: float16 and sparse as they are,
** anything else nonzero (true, float32, an unset 0 that means "store") float32. */
int store_rates_written(int format);

/* Bytes per value of a format (4 or 2; sparse: 4, its most). */
size_t store_rates_size(int format);

/* The bytes dst must hold for store_sparse_encode() of n values (the row
** and room for the vector code's last store). */
size_t store_sparse_bound(size_t n);

/* n float32 values in the sparse layout into dst (store_sparse_bound(n)
** bytes): its length, always odd. With AVX2 where __builtin_cpu_supports
** says the CPU has it (8 values at a time), else the portable loop; the same
** bytes either way (test_store_rates). */
size_t store_sparse_encode(const float *src, size_t n, unsigned char *dst);

/* n values from a BLOB of `bytes` bytes in any of the formats into out: 0,
** or -1 when its size or content fits none (a damaged row; *why, if not
** NULL, says how). */
int store_rates_decode(const void *blob, size_t bytes, size_t n, float *out, const char **why);

/* IEEE 754 binary16 from float, rounded to nearest, ties to even; overflow
** gives infinity, NaN stays NaN. */
uint16_t store_half_from_float(float x);

/* n values as store_half_from_float() gives them, bit for bit, into dst:
** with the CPU's F16C conversion (8 at a time, rounding to nearest even,
** NaNs left to the scalar code) where __builtin_cpu_supports says it has it,
** else the scalar loop. test_store_rates checks the two against each other. */
void store_half_from_float_n(const float *src, uint16_t *dst, size_t n);

/* The paths store_half_from_float_n() and store_sparse_encode() take: "f16c"
** or "portable", "avx2" or "portable"; a test can force the portable ones
** (force != 0) or let the CPU choose again (0). */
const char *store_half_path(void);
const char *store_sparse_path(void);
void store_rates_force_portable(int force);

/* float from IEEE 754 binary16 (exact). */
float store_float_from_half(uint16_t h);

#endif
