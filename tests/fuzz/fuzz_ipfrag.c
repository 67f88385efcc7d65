/*
 * fuzz_ipfrag.c - a sequence of IP packets through fragment reassembly.
 * Input: packets, each a 2-byte big-endian length and that many bytes of
 * raw IPv4/IPv6; packet i arrives at i x 700 ms (the table times out after
 * 2 s, so timeouts happen).  A tiny table (4 slots) so eviction happens
 * too.  A datagram put together must have its transport header, within
 * FW_IPFRAG_MAX_BYTES; its UDP payload is sniffed.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "fw_ipfrag.h"
#include "fw_pkt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fw_ipfrag *f;
	int64_t t = 0;

	if (fw_ipfrag_new(4, 2000, &f) != FW_OK)
		return 0;
	while (size >= 2) {
		size_t len = (size_t)(data[0] << 8 | data[1]);
		struct fw_pkt_l3 ip;
		struct fw_udp u;

		data += 2;
		size -= 2;
		if (len > size)
			len = size;
		if (fw_pkt_l3(FW_LINK_RAW, data, len, &ip) == FW_OK && ip.frag && fw_ipfrag_add(f, &ip, t) == 1) {
			if (ip.frag || ip.l4_err != FW_OK || ip.l4_len > FW_IPFRAG_MAX_BYTES)
				__builtin_trap();
			if (fw_pkt_udp_of(&ip, FW_OK, &u) == FW_OK)
				(void)fw_pkt_sniff(u.payload, u.len);
		}
		data += len;
		size -= len;
		t += 700;
	}
	fw_ipfrag_flush(f);
	fw_ipfrag_free(f);
	return 0;
}
