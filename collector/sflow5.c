/*
 * sflow5.c - sFlow version 5 decoder (sflow.org, "sFlow Version 5", July
 * 2004, sflow_version_5.txt).  XDR encoding: every field big-endian, 32-bit
 * aligned; opaque data is length-prefixed and padded to 4 bytes, and every
 * sample and record carries its own length, so unknown ones are skipped by
 * length and a bad one is fenced in by its sub-cursor.
 *
 * Datagram header (section "sFlow Datagram"):
 *   OFFSET SIZE FIELD
 *   0      4    version (5)
 *   4      4    agent address type: 1 IPv4, 2 IPv6
 *   8      4|16 agent address
 *   A      4    sub_agent_id                       (A = 12 or 24)
 *   A+4    4    sequence_number (per agent/sub-agent datagram count)
 *   A+8    4    uptime (ms)
 *   A+12   4    num_samples
 *   A+16   ...  samples
 * Sample / record framing (sample_record, flow_record, counter_record):
 *   0      4    data_format: enterprise (20 bits) << 12 | format (12 bits)
 *   4      4    length of the data that follows
 *   8      len  data
 * Flow sample (enterprise 0, format 1), compact form:
 *   0 sequence_number(4) 4 source_id(4: type<<24|index) 8 sampling_rate(4)
 *   12 sample_pool(4) 16 drops(4) 20 input(4) 24 output(4) 28 nrecords(4)
 *   input/output: top 2 bits format (0 ifIndex, 1 discarded, 2 multiple),
 *   low 30 bits value; ifIndex 0x3fffffff means "unknown".
 * Expanded flow sample (enterprise 0, format 3):
 *   0 sequence_number(4) 4 source_id_type(4) 8 source_id_index(4)
 *   12 sampling_rate(4) 16 sample_pool(4) 20 drops(4) 24 input_format(4)
 *   28 input_value(4) 32 output_format(4) 36 output_value(4) 40 nrecords(4)
 * Flow records used (enterprise 0):
 *   format 1 raw packet header: 0 header_protocol(4: 1 Ethernet, 11 IPv4,
 *     12 IPv6) 4 frame_length(4) 8 stripped(4) 12 header_length(4) 16 header
 *   format 3 sampled IPv4 (32 bytes): 0 length(4) 4 protocol(4) 8 src(4)
 *     12 dst(4) 16 src_port(4) 20 dst_port(4) 24 tcp_flags(4) 28 tos(4)
 *   format 4 sampled IPv6 (56 bytes): 0 length(4) 4 protocol(4) 8 src(16)
 *     24 dst(16) 40 src_port(4) 44 dst_port(4) 48 tcp_flags(4) 52 priority(4)
 * Discarded packet event (format 5, sflow.org sflow_drops.txt, 2020):
 *   0 sequence_number(4) 4 source_id_type(4) 8 source_id_index(4) 12 drops(4)
 *   16 input(4) 20 output(4) 24 reason(4) 28 nrecords(4) 32 flow records
 * Counter sample (format 2): 0 sequence_number(4) 4 source_id(4) 8 nrecords(4)
 * Expanded counter sample (format 4): 0 sequence_number(4)
 *   4 source_id_type(4) 8 source_id_index(4) 12 nrecords(4)
 * Generic interface counters (counter record format 1, 88 bytes):
 *   0 ifIndex(4) 4 ifType(4) 8 ifSpeed(8) 16 ifDirection(4) 20 ifStatus(4)
 *   24 ifInOctets(8) 32 ifInUcastPkts(4) 36 ifInMulticastPkts(4)
 *   40 ifInBroadcastPkts(4) 44 ifInDiscards(4) 48 ifInErrors(4)
 *   52 ifInUnknownProtos(4) 56 ifOutOctets(8) 64 ifOutUcastPkts(4)
 *   68 ifOutMulticastPkts(4) 72 ifOutBroadcastPkts(4) 76 ifOutDiscards(4)
 *   80 ifOutErrors(4) 84 ifPromiscuousMode(4)
 *
 * The sampled packet header goes through the collector's one L2/L3
 * dissector, fw_pkt_l3() (pkt.c: Ethernet with QinQ, LLC/SNAP and MPLS,
 * IPv4, IPv6 extension headers, then TCP/UDP/SCTP ports, TCP flags and ICMP
 * type/code).  Agents cut the header (commonly to 128 bytes), so a missing
 * transport header is normal: the record then has ports 0, not an error.
 * What the record means (time, exporter, bytes, GRE) is in fw_sflow5.h.
 *
 * Pure and allocation-free; the caller owns out and info.
 */
#include "fw_sflow5.h"

#include <stdbool.h>
#include <string.h>

#include "fw_cur.h"
#include "fw_log.h"
#include "fw_pkt.h"

#define IF_UNKNOWN 0x3fffffffu

/* What one sampled packet told us. */
struct pkt_facts {
	bool have_ip;          /* ip.src/dst/proto valid */
	struct fw_pkt_l3 ip;   /* l3_len 0: unknown; ttl 0 for sampled records */
};

/* Per-call decoding state. */
struct dec {
	struct fw_flow *out;
	size_t max;
	size_t n;                    /* records written */
	struct fw_addr exporter;     /* agent address (or fallback) */
	int64_t arrival_ms;
	struct fw_sflow5_info *info;
};

/*
 * Child cursor over an XDR opaque of len bytes.  XDR pads opaque data to a
 * multiple of 4; agents write lengths that already are, but when one is not
 * the padding that follows is skipped too (as sflowtool does), if present.
 */
static struct fw_cur
sub_xdr(struct fw_cur *c, uint32_t len)
{
	struct fw_cur s = fw_cur_sub(c, len);
	size_t pad = (size_t)(-len & 3u);

	if (c->err == FW_OK && fw_cur_left(c) >= pad)
		fw_cur_skip(c, pad);
	return s;
}

/* Flow record format 1.  Returns FW_OK or the record's own error. */
static int
raw_header(struct fw_cur *r, struct pkt_facts *pf, uint32_t *frame_len, uint32_t *stripped)
{
	uint32_t proto = fw_cur_u32(r);
	uint32_t hlen;
	struct fw_cur h;

	*frame_len = fw_cur_u32(r);
	*stripped = fw_cur_u32(r);
	hlen = fw_cur_u32(r);
	if (r->err != FW_OK)
		return r->err;
	if (hlen > fw_cur_left(r))
		return FW_ETRUNC;
	h = fw_cur_sub(r, hlen);
	/* The header through the collector's one dissector (pkt.c). */
	switch (proto) {
	case 1:
		pf->have_ip = fw_pkt_l3(FW_LINK_ETHERNET, h.p, fw_cur_left(&h), &pf->ip) == FW_OK;
		break;
	case 11:
		pf->have_ip = fw_pkt_l3(FW_LINK_IPV4, h.p, fw_cur_left(&h), &pf->ip) == FW_OK;
		break;
	case 12:
		pf->have_ip = fw_pkt_l3(FW_LINK_IPV6, h.p, fw_cur_left(&h), &pf->ip) == FW_OK;
		break;
	default:
		break;  /* token ring, FDDI, PPP, ...: not parsed */
	}
	return FW_OK;
}

/* Flow records 3 and 4.  The ports are 32-bit on the wire; only 16 mean
 * anything, and ICMP is left as the agent wrote it. */
static int
sampled_ip(struct fw_cur *r, struct pkt_facts *pf, bool v6)
{
	uint32_t len = fw_cur_u32(r), proto = fw_cur_u32(r);
	uint32_t sport, dport, flags, tos;

	if (v6) {
		fw_cur_copy(r, pf->ip.src.b, 16);
		fw_cur_copy(r, pf->ip.dst.b, 16);
	} else {
		const uint8_t *a = fw_cur_take(r, 8);
		if (a != NULL) {
			fw_addr_from_v4(&pf->ip.src, a);
			fw_addr_from_v4(&pf->ip.dst, a + 4);
		}
	}
	sport = fw_cur_u32(r);
	dport = fw_cur_u32(r);
	flags = fw_cur_u32(r);
	tos = fw_cur_u32(r);
	if (r->err != FW_OK)
		return r->err;
	pf->ip.l3_len = len;
	pf->ip.proto = (uint8_t)proto;
	pf->ip.sport = (uint16_t)sport;
	pf->ip.dport = (uint16_t)dport;
	pf->ip.tcp_flags = (uint8_t)flags;
	pf->ip.tos = (uint8_t)tos;
	pf->have_ip = true;
	return FW_OK;
}

static uint32_t
ifindex(uint32_t format, uint32_t value)
{
	return format == 0 && value != IF_UNKNOWN ? value : 0;
}

static void
note_source(struct fw_sflow5_info *info, uint32_t source_id, uint32_t seq,
    uint32_t pool, uint32_t drops)
{
	struct fw_sflow5_src *s = NULL;

	info->drops += drops;
	for (uint32_t i = 0; i < info->n_srcs; i++) {
		if (info->srcs[i].source_id == source_id) {
			s = &info->srcs[i];
			break;
		}
	}
	if (s == NULL) {
		if (info->n_srcs >= FW_SFLOW5_MAX_SRCS) {
			info->srcs_dropped++;
			return;
		}
		s = &info->srcs[info->n_srcs++];
		s->source_id = source_id;
	}
	s->sample_seq = seq;
	s->sample_pool = pool;
	s->drops = drops;
}

/* One flow sample (compact or expanded).  Returns FW_OK or why it is bad. */
static int
flow_sample(struct dec *d, struct fw_cur *s, bool expanded)
{
	struct fw_sflow5_info *info = d->info;
	struct pkt_facts hdr, smp;
	uint32_t seq, source_id, rate, pool, drops, in_if, out_if, nrec;
	uint32_t frame_len = 0, stripped = 0;
	const struct pkt_facts *pf;
	struct fw_flow *f;
	uint64_t mult;

	seq = fw_cur_u32(s);
	if (expanded) {
		uint32_t type = fw_cur_u32(s), index = fw_cur_u32(s);
		source_id = type << 24 | (index & 0x00ffffff);
	} else {
		source_id = fw_cur_u32(s);
	}
	rate = fw_cur_u32(s);
	pool = fw_cur_u32(s);
	drops = fw_cur_u32(s);
	if (expanded) {
		uint32_t fmt = fw_cur_u32(s), val = fw_cur_u32(s);
		in_if = ifindex(fmt, val);
		fmt = fw_cur_u32(s);
		val = fw_cur_u32(s);
		out_if = ifindex(fmt, val);
	} else {
		uint32_t v = fw_cur_u32(s);
		in_if = ifindex(v >> 30, v & 0x3fffffff);
		v = fw_cur_u32(s);
		out_if = ifindex(v >> 30, v & 0x3fffffff);
	}
	nrec = fw_cur_u32(s);
	if (s->err != FW_OK)
		return s->err;
	if (nrec > FW_SFLOW5_MAX_RECORDS)
		return FW_EMALFORMED;

	hdr.have_ip = false;
	memset(&smp, 0, sizeof(smp));
	for (uint32_t i = 0; i < nrec; i++) {
		uint32_t fmt = fw_cur_u32(s), rlen = fw_cur_u32(s);
		struct fw_cur r = sub_xdr(s, rlen);

		if (s->err != FW_OK)
			return s->err;  /* record list overruns the sample */
		if ((fmt >> 12) != 0) {
			info->skipped_records++;
			info->enterprise_records++;
			continue;
		}
		switch (fmt) {
		case 1:
			/* The first header that gives an IP packet wins. */
			if (!hdr.have_ip) {
				uint32_t fl, st;

				/* hdr.have_ip stays false unless an IP packet is found. */
				if (raw_header(&r, &hdr, &fl, &st) != FW_OK) {
					info->bad_records++;
					break;
				}
				frame_len = fl;
				stripped = st;
			}
			break;
		case 3:
		case 4:
			if (!smp.have_ip) {
				struct pkt_facts tmp;

				memset(&tmp, 0, sizeof(tmp));
				if (sampled_ip(&r, &tmp, fmt == 4) != FW_OK)
					info->bad_records++;
				else
					smp = tmp;
			}
			break;
		default:
			info->skipped_records++;
			break;
		}
	}

	info->flow_samples++;
	note_source(info, source_id, seq, pool, drops);
	pf = hdr.have_ip ? &hdr : smp.have_ip ? &smp : NULL;
	if (pf == NULL) {
		info->no_ip++;
		return FW_OK;
	}
	if (d->n >= d->max) {
		info->out_full++;
		return FW_OK;
	}
	mult = rate != 0 ? rate : 1;
	f = &d->out[d->n++];
	memset(f, 0, sizeof(*f));
	f->start_ms = f->end_ms = d->arrival_ms;
	f->pkts = mult;
	if (pf->ip.l3_len != 0)
		f->bytes = (uint64_t)pf->ip.l3_len * mult;
	else
		f->bytes = (uint64_t)(frame_len > stripped ? frame_len - stripped : frame_len) * mult;
	f->src = pf->ip.src;
	f->dst = pf->ip.dst;
	f->exporter = d->exporter;
	f->obs_domain = info->sub_agent_id;
	f->sampling = rate;
	f->in_if = in_if;
	f->out_if = out_if;
	f->sport = pf->ip.sport;
	f->dport = pf->ip.dport;
	f->proto = pf->ip.proto;
	f->tcp_flags = pf->ip.tcp_flags;
	f->tos = pf->ip.tos;
	f->ttl = pf->ip.ttl;
	f->source = FW_SRC_SFLOW;
	return FW_OK;
}

static void
generic_counters(struct fw_sflow5_info *info, struct fw_cur *r, uint32_t source_id)
{
	struct fw_sflow5_ifc k;

	memset(&k, 0, sizeof(k));
	k.source_id = source_id;
	k.if_index = fw_cur_u32(r);
	k.if_type = fw_cur_u32(r);
	k.if_speed = fw_cur_u64(r);
	k.if_direction = fw_cur_u32(r);
	k.if_status = fw_cur_u32(r);
	k.in_octets = fw_cur_u64(r);
	k.in_ucast_pkts = fw_cur_u32(r);
	fw_cur_skip(r, 8);  /* multicast, broadcast */
	k.in_discards = fw_cur_u32(r);
	k.in_errors = fw_cur_u32(r);
	fw_cur_skip(r, 4);  /* unknown protos */
	k.out_octets = fw_cur_u64(r);
	k.out_ucast_pkts = fw_cur_u32(r);
	fw_cur_skip(r, 8);  /* multicast, broadcast */
	k.out_discards = fw_cur_u32(r);
	k.out_errors = fw_cur_u32(r);
	fw_cur_skip(r, 4);  /* promiscuous mode */
	if (r->err != FW_OK) {
		info->bad_records++;
		return;
	}
	info->generic_counters++;
	if (info->n_ifc >= FW_SFLOW5_MAX_IFC) {
		info->ifc_dropped++;
		return;
	}
	info->ifc[info->n_ifc++] = k;
}

static int
counter_sample(struct dec *d, struct fw_cur *s, bool expanded)
{
	struct fw_sflow5_info *info = d->info;
	uint32_t source_id, nrec;

	fw_cur_skip(s, 4);  /* sequence number */
	if (expanded) {
		uint32_t type = fw_cur_u32(s), index = fw_cur_u32(s);
		source_id = type << 24 | (index & 0x00ffffff);
	} else {
		source_id = fw_cur_u32(s);
	}
	nrec = fw_cur_u32(s);
	if (s->err != FW_OK)
		return s->err;
	if (nrec > FW_SFLOW5_MAX_RECORDS)
		return FW_EMALFORMED;
	for (uint32_t i = 0; i < nrec; i++) {
		uint32_t fmt = fw_cur_u32(s), rlen = fw_cur_u32(s);
		struct fw_cur r = sub_xdr(s, rlen);

		if (s->err != FW_OK)
			return s->err;
		if (fmt == 1) {
			generic_counters(info, &r, source_id);
		} else {
			info->skipped_records++;
			if ((fmt >> 12) != 0)
				info->enterprise_records++;
		}
	}
	info->counter_samples++;
	return FW_OK;
}

/* A discarded packet event: framed and checked, counted; no record (the
 * events are rate-limited, not sampled: nothing to scale by). */
static int
discard_sample(struct dec *d, struct fw_cur *s)
{
	uint32_t nrec;

	fw_cur_skip(s, 28);  /* sequence, source id (2), drops, input, output, reason */
	nrec = fw_cur_u32(s);
	if (s->err != FW_OK)
		return s->err;
	if (nrec > FW_SFLOW5_MAX_RECORDS)
		return FW_EMALFORMED;
	for (uint32_t i = 0; i < nrec; i++) {
		uint32_t rlen;

		fw_cur_skip(s, 4);  /* record format: the packet's header, reason details */
		rlen = fw_cur_u32(s);
		(void)sub_xdr(s, rlen);
		if (s->err != FW_OK)
			return s->err;  /* record list overruns the sample */
	}
	d->info->discard_samples++;
	return FW_OK;
}

const char *
fw_sflow5_sample_type_name(enum fw_sflow5_sample_type t)
{
	static const char *const names[FW_SFLOW5_S_N] = {
		"flow", "counter", "flow_expanded", "counter_expanded", "discard", "other", "enterprise"
	};

	return (unsigned)t < FW_SFLOW5_S_N ? names[t] : "other";
}

static enum fw_sflow5_sample_type
sample_type(uint32_t fmt)
{
	if ((fmt >> 12) != 0)
		return FW_SFLOW5_S_ENTERPRISE;
	return fmt >= 1 && fmt <= 5 ? (enum fw_sflow5_sample_type)(fmt - 1) : FW_SFLOW5_S_OTHER;
}

int
fw_sflow5_decode(const uint8_t *buf, size_t len, const struct fw_addr *exporter,
    int64_t arrival_ms, struct fw_flow *out, size_t max, struct fw_sflow5_info *info)
{
	struct fw_cur c = fw_cur_make(buf, len);
	struct dec d;
	uint32_t version, nsamples;
	static const uint8_t zero[16];

	if (info == NULL || (out == NULL && max > 0) || (buf == NULL && len > 0))
		return FW_EINVAL;
	/* The arrays are valid only up to n_ifc / n_srcs: leave them be. */
	memset(info, 0, offsetof(struct fw_sflow5_info, srcs));

	version = fw_cur_u32(&c);
	info->agent_af = fw_cur_u32(&c);
	if (c.err != FW_OK)
		return c.err;
	if (version != 5)
		return FW_EMALFORMED;
	if (info->agent_af == 1) {
		const uint8_t *a = fw_cur_take(&c, 4);
		if (a != NULL)
			fw_addr_from_v4(&info->agent, a);
	} else if (info->agent_af == 2) {
		fw_cur_copy(&c, info->agent.b, 16);
	} else {
		return FW_EMALFORMED;
	}
	info->sub_agent_id = fw_cur_u32(&c);
	info->seq = fw_cur_u32(&c);
	info->uptime_ms = fw_cur_u32(&c);
	info->samples = nsamples = fw_cur_u32(&c);
	if (c.err != FW_OK)
		return c.err;
	if (nsamples > FW_SFLOW5_MAX_SAMPLES)
		return FW_EMALFORMED;

	memset(&d, 0, sizeof(d));
	d.out = out;
	d.max = max;
	d.arrival_ms = arrival_ms;
	d.info = info;
	if ((info->agent_af == 1 ? memcmp(info->agent.b + 12, zero, 4)
	    : memcmp(info->agent.b, zero, 16)) != 0 || exporter == NULL)
		d.exporter = info->agent;
	else
		d.exporter = *exporter;

	for (uint32_t i = 0; i < nsamples; i++) {
		uint32_t fmt = fw_cur_u32(&c), slen = fw_cur_u32(&c);
		struct fw_cur s = sub_xdr(&c, slen);
		int err;

		if (c.err != FW_OK) {
			/* Cut datagram: the rest cannot be framed. */
			info->bad_samples += nsamples - i;
			FW_LOG_RL(FW_LOG_DEBUG, "sflow5", "sample %u of %u runs past the datagram",
			    (unsigned)i + 1, (unsigned)nsamples);
			break;
		}
		info->by_type[sample_type(fmt)]++;
		switch ((fmt >> 12) == 0 ? fmt : 0) {
		case 1: err = flow_sample(&d, &s, false); break;
		case 3: err = flow_sample(&d, &s, true); break;
		case 2: err = counter_sample(&d, &s, false); break;
		case 4: err = counter_sample(&d, &s, true); break;
		case 5: err = discard_sample(&d, &s); break;
		default:
			info->other_samples++;
			FW_LOG_RL(FW_LOG_INFO, "sflow5", "skipped a sample of enterprise %u format %u (%u bytes): "
			    "not decoded", (unsigned)(fmt >> 12), (unsigned)(fmt & 0xfff), (unsigned)slen);
			err = FW_OK;
			break;
		}
		if (err != FW_OK)
			info->bad_samples++;
	}
	return (int)d.n;
}
