/*
 * fuzz_dnstap.c - libFuzzer target for the dnstap frame decoder.  The input
 * is one Frame Streams data frame (a serialized dnstap.Dnstap).  Besides "no
 * crash, no over-read, no leak" it checks what the header promises: the
 * return is 1, 0, FW_ETRUNC or FW_EMALFORMED, exactly one counter moves
 * per frame, and a record's name, source and flags are well-formed.
 */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fw_dnstap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fw_dnstap_stats st;
	struct fw_dnsq q;
	int r;

	memset(&st, 0, sizeof(st));
	r = fw_dnstap_decode_st(data, size, &q, &st);
	assert(r == 1 || r == 0 || r == FW_ETRUNC || r == FW_EMALFORMED);
	assert(st.frames == 1);
	assert(st.records + st.skipped + st.no_message + st.bad_proto + st.bad_dns == 1);
	assert((r == 1) == (st.records == 1));
	if (r == 1) {
		assert(q.source == FW_DNS_DNSTAP);
		assert(q.qname_len >= 1 && strlen(q.qname) == q.qname_len);
		assert((q.flags & ~(FW_DNSQ_F_RESPONSE | FW_DNSQ_F_TCP | FW_DNSQ_F_RELAYED)) == 0);
		assert((q.flags & FW_DNSQ_F_RESPONSE) ? q.rcode != FW_RCODE_NONE
		    : q.rcode == FW_RCODE_NONE);
	}
	return 0;
}
