/*
 * fuzz_ipfix.c - libFuzzer target for the IPFIX decoder and the template
 * cache (body in fuzz_tmpl.h).  Seeds: tests/fuzz/corpus/ipfix/.
 */
#define FUZZ_TMPL_VERSION 10
#define FUZZ_TMPL_DECODE fw_ipfix_decode
#include "fuzz_tmpl.h"
