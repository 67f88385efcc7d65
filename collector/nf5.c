/*
 * nf5.c - NetFlow v5 decoder (Cisco NetFlow v5 export format).
 *
 * Header (24 bytes, network order):
 *   OFFSET SIZE FIELD
 *   0      2    version (5)
 *   2      2    count: records in this datagram, 1..30
 *   4      4    sysUptime: ms since the router booted
 *   8      4    unix_secs    \ router wall clock at export
 *   12     4    unix_nsecs   /
 *   16     4    flow_sequence: count of flows seen before this datagram
 *   20     1    engine_type
 *   21     1    engine_id
 *   22     2    sampling: top 2 bits mode, low 14 bits interval (0 = none)
 * Record (48 bytes):
 *   0 srcaddr(4) 4 dstaddr(4) 8 nexthop(4) 12 input(2) 14 output(2)
 *   16 dPkts(4) 20 dOctets(4) 24 First(4) 28 Last(4)  (sysUptime ms)
 *   32 srcport(2) 34 dstport(2) 36 pad1(1) 37 tcp_flags(1) 38 prot(1)
 *   39 tos(1) 40 src_as(2) 42 dst_as(2) 44 src_mask(1) 45 dst_mask(1) 46 pad2(2)
 *
 * Absolute time of a record = export time - (sysUptime - First/Last), with
 * the difference taken modulo 2^32 so an uptime wrap between the flow and
 * the export still gives a small positive age.  The shared capture
 * tests/data/udpflood_nf5.pcap has headers fixed so this holds exactly.
 */
#include "fw_nf5.h"

#include <string.h>

#include "fw_cur.h"
#include "fw_pkt.h"

int
fw_nf5_decode(const uint8_t *buf, size_t len, const struct fw_addr *exporter,
    struct fw_flow *out, size_t max, struct fw_nf5_hdr *hdr)
{
	struct fw_cur c = fw_cur_make(buf, len);
	struct fw_nf5_hdr h;
	uint16_t version, mode_interval;
	size_t n;

	version = fw_cur_u16(&c);
	h.count = fw_cur_u16(&c);
	h.uptime_ms = fw_cur_u32(&c);
	uint32_t secs = fw_cur_u32(&c);
	uint32_t nsecs = fw_cur_u32(&c);
	h.flow_seq = fw_cur_u32(&c);
	h.engine_type = fw_cur_u8(&c);
	h.engine_id = fw_cur_u8(&c);
	mode_interval = fw_cur_u16(&c);
	if (c.err != FW_OK)
		return c.err;
	if (version != 5 || h.count == 0 || h.count > FW_NF5_MAX_RECS)
		return FW_EMALFORMED;
	if (fw_cur_left(&c) / FW_NF5_REC_LEN < h.count)
		return FW_ETRUNC;
	h.export_ms = (int64_t)secs * 1000 + nsecs / 1000000;
	h.sampling = mode_interval & 0x3fff;
	if (h.sampling == 0)
		h.sampling = 1;
	if (hdr != NULL)
		*hdr = h;

	n = h.count < max ? h.count : max;
	for (size_t i = 0; i < n; i++) {
		const uint8_t *r = fw_cur_take(&c, FW_NF5_REC_LEN);
		struct fw_flow *f = &out[i];
		uint32_t first = fw_load_be32(r + 24), last = fw_load_be32(r + 28);

		memset(f, 0, sizeof(*f));
		fw_addr_from_v4(&f->src, r);
		fw_addr_from_v4(&f->dst, r + 4);
		f->exporter = *exporter;
		f->in_if = fw_load_be16(r + 12);
		f->out_if = fw_load_be16(r + 14);
		f->pkts = (uint64_t)fw_load_be32(r + 16) * h.sampling;
		f->bytes = (uint64_t)fw_load_be32(r + 20) * h.sampling;
		f->start_ms = h.export_ms - (int64_t)(uint32_t)(h.uptime_ms - first);
		f->end_ms = h.export_ms - (int64_t)(uint32_t)(h.uptime_ms - last);
		if (f->start_ms > f->end_ms)
			f->start_ms = f->end_ms;
		f->sport = fw_load_be16(r + 32);
		f->dport = fw_load_be16(r + 34);
		f->tcp_flags = r[37];
		f->proto = r[38];
		f->tos = r[39];
		f->obs_domain = (uint32_t)h.engine_type << 8 | h.engine_id;
		f->sampling = h.sampling;
		f->source = FW_SRC_NF5;
	}
	return (int)n;
}
