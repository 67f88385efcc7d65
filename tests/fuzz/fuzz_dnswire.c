/*
 * fuzz_dnswire.c - libFuzzer target for the DNS wire parser.  The input is
 * one DNS message.  Besides "no crash, no over-read" it checks what the
 * header promises: text length and NUL agree, text fits FW_QNAME_MAX, a
 * name the gate accepts converts at any output size.
 */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fw_dnswire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct fw_addr a = { { 0 } }, b = { { 1 } };
	struct fw_dnswire_info info;
	struct fw_dnsq q;
	size_t consumed = 0;
	char small[8];
	int r, wl;

	r = fw_dnswire_parse(data, size, &info);
	assert(r == FW_OK || r == FW_ETRUNC || r == FW_EMALFORMED);
	assert(r != FW_OK || (info.have & FW_DNSWIRE_HAVE_ALL));
	if (info.have & FW_DNSWIRE_HAVE_QUESTION) {
		assert(strlen(info.qname) == info.qname_len);
		assert(info.qname_len >= 1 && info.qname_len <= FW_QNAME_MAX);
		assert(info.qname_wire_len >= 1 && info.qname_wire_len <= FW_DNSWIRE_NAME_MAX);
		if (fw_dnswire_to_dnsq(&info, 0, &a, &b, FW_DNS_PCAP, 0, &q) == FW_OK)
			assert(strlen(q.qname) == q.qname_len);
	}
	/* The gate and the text converter on the first name, tiny output. */
	wl = fw_dnswire_name_check(data, size, FW_DNSWIRE_HDR_LEN, &consumed);
	if (wl > 0) {
		int clipped = 0;
		size_t n = fw_dnswire_name_totext(data, FW_DNSWIRE_HDR_LEN, small, sizeof(small),
		    &clipped);
		assert(n < sizeof(small) && strlen(small) == n);
		assert(consumed >= 1 && consumed <= size - FW_DNSWIRE_HDR_LEN);
	}
	return 0;
}
