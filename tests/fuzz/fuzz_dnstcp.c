/*
 * fuzz_dnstcp.c - a sequence of IP packets through fragment reassembly and
 * the DNS-over-TCP reader, as the packet readers chain them.  Input:
 * packets, each a 2-byte big-endian length and that many bytes of raw
 * IPv4/IPv6; packet i arrives at i x 700 ms (flows idle out after 2 s).  A
 * tiny flow table (4 flows) so eviction happens.  Each message handed over
 * must be at most 65535 bytes and parse without reading outside itself.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "fw_dnstcp.h"
#include "fw_dnswire.h"
#include "fw_ipfrag.h"
#include "fw_pkt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
on_msg(void *ctx, const struct fw_udp *m)
{
	struct fw_dnswire_info info;

	int *msgs = ctx;

	if (m->len > 65535 || m->len < 12)
		__builtin_trap();
	if (fw_dnswire_parse(m->payload, m->len, &info) == FW_OK || m->len > 0)
		(*msgs)++;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fw_ipfrag *f = NULL;
	struct fw_dnstcp *t = NULL;
	int64_t now = 0;
	int msgs = 0;

	if (fw_ipfrag_new(4, 2000, &f) != FW_OK || fw_dnstcp_new(4, 2000, &t) != FW_OK)
		goto out;
	while (size >= 2) {
		size_t len = (size_t)(data[0] << 8 | data[1]);
		struct fw_pkt_l3 ip;

		data += 2;
		size -= 2;
		if (len > size)
			len = size;
		if (fw_pkt_l3(FW_LINK_RAW, data, len, &ip) == FW_OK && fw_ipfrag_add(f, &ip, now) == 1 &&
		    ip.proto == 6 && ip.l4_err == FW_OK && fw_dnstcp_add(t, &ip, now, on_msg, &msgs) > 65535)
			__builtin_trap();  /* a segment holds at most 65535 / 14 messages */
		data += len;
		size -= len;
		now += 700;
	}
	fw_dnstcp_flush(t);
out:
	fw_dnstcp_free(t);
	fw_ipfrag_free(f);
	return 0;
}
