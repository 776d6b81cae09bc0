/* tests/fuzz/fuzz_main.c: libFuzzer entry point; FUZZ_TARGET names the
** function of targets.h to drive (set by the Makefile's fuzz rules). */
#include <stddef.h>
#include <stdint.h>

#include "tests/fuzz/targets.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) { return FUZZ_TARGET(data, size); }
