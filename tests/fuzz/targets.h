/* tests/fuzz/targets.h: the fuzzed entry points, one per parser.
**
** Each takes arbitrary bytes and must neither crash, leak, nor trip a
** sanitizer, whatever the bytes. libFuzzer drives them through
** tests/fuzz/fuzz_main.c (make fuzz); tests/test_fuzz_corpus.c replays the
** committed corpus, including every crash once found, in `make test`.
*/
#ifndef METARL_FUZZ_TARGETS_H
#define METARL_FUZZ_TARGETS_H

#include <stddef.h>
#include <stdint.h>

int fuzz_config(const uint8_t *data, size_t size);   /* INI text through the config reader */
int fuzz_import(const uint8_t *data, size_t size);   /* CSV/TSV text through the importer */
int fuzz_store(const uint8_t *data, size_t size);    /* a crafted database file through the store reader */
int fuzz_rates(const uint8_t *data, size_t size);    /* an activity BLOB through the rates decoder, and back */

#endif
