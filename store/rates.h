/* store/rates.h: how unit rates are laid out in the activity table's BLOBs.
**
** A row's `rates` BLOB holds n_trials x n_units values, row-major, in one of
** two little-endian formats (test.activity = true or float16): float32 (4 bytes a
** value, the default and the only format of stores written before it
** existed) or float16 (IEEE 754 binary16, 2 bytes a value: half the bytes
** to write, relative error <= 2^-11 for rates in [2^-14, 65504]). The format
** of a row follows from its size: bytes / (n_trials x n_units) is 4 or 2, so
** every reader decodes both, old stores read as before, and the format is
** also kept in the run's resolved configuration (runs.config). Used by
** store/write.c (encode), store/read.c (decode) and the tests; the
** conversions are plain integer arithmetic, identical on every machine.
*/
#ifndef METARL_STORE_RATES_H
#define METARL_STORE_RATES_H

#include <stddef.h>
#include <stdint.h>

/* The with_activity argument of store_put_episode(): what to store. */
enum { STORE_RATES_NONE = 0, STORE_RATES_FLOAT32 = 1, STORE_RATES_FLOAT16 = 2 };

/* "float32" -> STORE_RATES_FLOAT32, "float16" -> STORE_RATES_FLOAT16; -1 otherwise. */
int store_rates_format(const char *name);

/* Bytes per value of a format (4 or 2). */
size_t store_rates_size(int format);

/* IEEE 754 binary16 from float, rounded to nearest, ties to even; overflow
** gives infinity, NaN stays NaN. */
uint16_t store_half_from_float(float x);

/* n values as store_half_from_float() gives them, bit for bit, into dst:
** with the CPU's F16C conversion (8 at a time, rounding to nearest even,
** NaNs left to the scalar code) where __builtin_cpu_supports says it has it,
** else the scalar loop. test_store_rates checks the two against each other. */
void store_half_from_float_n(const float *src, uint16_t *dst, size_t n);

/* The path store_half_from_float_n() takes: "f16c" or "portable"; a test
** can force the portable one (force != 0) or let the CPU choose again (0). */
const char *store_half_path(void);
void store_half_force_portable(int force);

/* float from IEEE 754 binary16 (exact). */
float store_float_from_half(uint16_t h);

#endif
