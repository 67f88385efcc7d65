/*
 * fuzz_nf9.c - libFuzzer target for the NetFlow v9 decoder and the template
 * cache (body in fuzz_tmpl.h).  Seeds: tests/fuzz/corpus/nf9/.
 */
#define FUZZ_TMPL_VERSION 9
#define FUZZ_TMPL_DECODE fw_nf9_decode
#include "fuzz_tmpl.h"
