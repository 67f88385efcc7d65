/*
 * pkt.c - link layer -> IP -> UDP, and payload recognition by content.
 *
 * Link layers: Ethernet (with any number of 802.1Q / 802.1ad tags up to 4),
 * Linux cooked v1 (16-byte header, protocol at 14) and v2 (20-byte header,
 * protocol at 0), raw IP, BSD loopback/null (4-byte host- or network-order
 * address family), and NFLOG (the kernel's nfnetlink_log records as pcap
 * stores them: a 4-byte header, then TLVs whose length and type are in the
 * capturing host's byte order, little-endian in practice; the packet is
 * the NFULA_PAYLOAD TLV, type 9, padded to 4 bytes).
 * IPv4: header length checked; a fragment is described (fw_pkt_l3 frag_*)
 * for fw_ipfrag, and a later one has no transport header.
 * IPv6: hop-by-hop, routing, destination options and fragment headers
 * skipped, at most 8 of them.
 */
#include "fw_pkt.h"

#include <arpa/inet.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "fw_cur.h"

static int
udp_header(struct fw_cur *c, struct fw_udp *out)
{
	uint16_t ulen;

	out->sport = fw_cur_u16(c);
	out->dport = fw_cur_u16(c);
	ulen = fw_cur_u16(c);
	fw_cur_skip(c, 2);  /* checksum */
	if (c->err != FW_OK)
		return c->err;
	if (ulen < 8)
		return FW_EMALFORMED;
	out->payload = c->p;
	out->len = fw_cur_left(c);
	/* Trust the UDP length over trailing link padding, not beyond capture. */
	if ((size_t)(ulen - 8) < out->len)
		out->len = (size_t)(ulen - 8);
	return FW_OK;
}

/* ---- the one L2/L3 dissector (also sflow5.c's, for sampled headers) ---- */

#define MAX_VLAN_TAGS 4
#define MAX_MPLS_LABELS 8
#define MAX_V6_EXT 8

/* Transport header: whatever of it the (possibly cut) packet holds. */
static void
l4_facts(struct fw_pkt_l3 *ip)
{
	const uint8_t *p = ip->l4;
	size_t left = ip->l4_len;

	switch (ip->proto) {
	case 6:    /* TCP: flags byte at 13 */
		if (left >= 14)
			ip->tcp_flags = p[13];
		/* FALLTHROUGH */
	case 17:   /* UDP */
	case 132:  /* SCTP */
		if (left >= 4) {
			ip->sport = fw_load_be16(p);
			ip->dport = fw_load_be16(p + 2);
		}
		break;
	case 1:
	case 58:
		/* ICMP type/code; ICMP inside IPv6 (or ICMPv6 inside IPv4) is
		 * not ICMP of that family, so leave it alone. */
		if (left >= 2 && (ip->proto == 58) == (ip->version == 6))
			ip->sport = (uint16_t)(p[0] << 8 | p[1]);
		break;
	default:
		break;  /* GRE (47) and others: the outer header only */
	}
}

/* The transport header starts at c->p: note it, bounded by the cursor. */
static int
at_l4(struct fw_cur *c, struct fw_pkt_l3 *ip)
{
	ip->l4 = c->p;
	ip->l4_len = fw_cur_left(c);
	ip->l4_err = FW_OK;
	l4_facts(ip);
	return FW_OK;
}

static int
ipv4(struct fw_cur *c, struct fw_pkt_l3 *ip)
{
	const uint8_t *h = fw_cur_take(c, 20);
	size_t ihl;

	if (h == NULL)
		return FW_ETRUNC;
	if ((h[0] >> 4) != 4)
		return FW_EMALFORMED;
	ihl = (size_t)(h[0] & 0x0f) * 4;
	if (ihl < 20)
		return FW_EMALFORMED;
	ip->version = 4;
	ip->hdr_len = (uint8_t)ihl;
	fw_addr_from_v4(&ip->src, h + 12);
	fw_addr_from_v4(&ip->dst, h + 16);
	ip->l3_len = fw_load_be16(h + 2);
	ip->tos = h[1];
	ip->ttl = h[8];
	ip->proto = h[9];
	ip->l4_err = FW_ETRUNC;
	fw_cur_skip(c, ihl - 20);  /* options; cut off: no transport header */
	if (c->err != FW_OK)
		return FW_OK;
	/* Drop link-layer padding beyond the IP total length. */
	if (ip->l3_len >= ihl && (size_t)(c->end - c->p) > ip->l3_len - ihl)
		c->end = c->p + (ip->l3_len - ihl);
	if ((fw_load_be16(h + 6) & 0x3fff) != 0) {  /* MF or an offset */
		ip->frag = 1;
		ip->frag_more = (h[6] & 0x20) != 0;
		ip->frag_off = (uint16_t)((fw_load_be16(h + 6) & 0x1fff) * 8);
		ip->frag_id = fw_load_be16(h + 4);
		ip->frag_data = c->p;
		ip->frag_len = fw_cur_left(c);
		ip->frag_cut = ip->l3_len < ihl || ip->frag_len < (size_t)(ip->l3_len - ihl);
	}
	if (ip->frag_off != 0) {
		ip->l4_err = FW_EUNSUPPORTED;  /* later fragment: no transport header */
		return FW_OK;
	}
	return at_l4(c, ip);
}

static int
ipv6(struct fw_cur *c, struct fw_pkt_l3 *ip)
{
	const uint8_t *h = fw_cur_take(c, 40);
	uint16_t plen;
	uint8_t next;

	if (h == NULL)
		return FW_ETRUNC;
	if ((h[0] >> 4) != 6)
		return FW_EMALFORMED;
	ip->version = 6;
	ip->hdr_len = 40;
	memcpy(ip->src.b, h + 8, 16);
	memcpy(ip->dst.b, h + 24, 16);
	plen = fw_load_be16(h + 4);
	ip->l3_len = plen != 0 ? (uint32_t)plen + 40 : 0;  /* 0: jumbogram */
	if ((size_t)(c->end - c->p) > plen && plen != 0)
		c->end = c->p + plen;
	ip->tos = (uint8_t)((h[0] & 0x0f) << 4 | h[1] >> 4);
	ip->ttl = h[7];
	next = h[6];
	for (int i = 0; i < MAX_V6_EXT; i++) {
		uint8_t nh, hl;
		uint16_t off;

		ip->proto = next;
		switch (next) {
		case 0: case 43: case 60: case 135: case 139: case 140:
			/* hop-by-hop, routing, destination options, mobility, HIP,
			 * shim6: length in 8-octet units, not counting the first 8 */
			nh = fw_cur_u8(c);
			hl = fw_cur_u8(c);
			fw_cur_skip(c, (size_t)hl * 8 + 6);
			break;
		case 51:  /* AH: length in 4-octet units, minus 2 */
			nh = fw_cur_u8(c);
			hl = fw_cur_u8(c);
			fw_cur_skip(c, (size_t)hl * 4 + 6);
			break;
		case 44:  /* fragment */
			nh = fw_cur_u8(c);
			fw_cur_skip(c, 1);
			off = fw_cur_u16(c);
			ip->frag_id = fw_cur_u32(c);
			/* The first one counts; an atomic fragment (offset 0, no
			 * more: RFC 6946) is a whole packet. */
			if (c->err == FW_OK && ip->frag == 0 && (off & 0xfff9) != 0) {
				ip->frag = 1;
				ip->frag_more = off & 1;
				ip->frag_off = off & 0xfff8;
				ip->frag_data = c->p;
				ip->frag_len = fw_cur_left(c);
				ip->frag_cut = (size_t)(c->end - h) < (size_t)plen + 40;
			}
			if (c->err == FW_OK && (off & 0xfff8) != 0) {
				ip->proto = nh;
				ip->l4_err = FW_EUNSUPPORTED;  /* later fragment */
				return FW_OK;
			}
			break;
		default:
			return at_l4(c, ip);
		}
		if (c->err != FW_OK) {
			ip->l4_err = FW_ETRUNC;  /* cut inside the chain: proto is the last known */
			return FW_OK;
		}
		next = nh;
	}
	ip->l4_err = FW_EMALFORMED;  /* over the cap: proto is the header we stopped at */
	return FW_OK;
}

/* The fields ipv4()/ipv6() may leave unset, and those a reader tests first
 * (the rest is set before FW_OK); no memset: sFlow dissects once per sample. */
static void
l3_init(struct fw_pkt_l3 *ip)
{
	ip->version = ip->hdr_len = 0;
	ip->l3_len = 0;
	ip->sport = ip->dport = 0;
	ip->proto = ip->tcp_flags = 0;
	ip->l4_err = FW_ETRUNC;
	ip->l4 = NULL;
	ip->l4_len = 0;
	ip->frag = ip->frag_more = 0;
	ip->frag_off = 0;
	ip->frag_id = 0;
	ip->frag_data = NULL;
	ip->frag_len = 0;
	ip->frag_cut = 0;
}

/* An IP packet by its version nibble. */
static int
ip_any(struct fw_cur *c, struct fw_pkt_l3 *ip)
{
	if (fw_cur_left(c) < 1)
		return FW_ETRUNC;
	switch (c->p[0] >> 4) {
	case 4: return ipv4(c, ip);
	case 6: return ipv6(c, ip);
	default: return FW_EMALFORMED;
	}
}

static int ethernet_in(struct fw_cur *c, struct fw_pkt_l3 *ip, bool pw);

/* What follows an EtherType: IPv4, IPv6, or an MPLS label stack over IP or,
 * unless already inside one (pw), over an Ethernet pseudowire. */
static int
by_ethertype(struct fw_cur *c, uint16_t type, struct fw_pkt_l3 *ip, bool pw)
{
	switch (type) {
	case 0x0800: return ipv4(c, ip);
	case 0x86dd: return ipv6(c, ip);
	case 0x8847:
	case 0x8848:
		for (int i = 0; i < MAX_MPLS_LABELS; i++) {
			const uint8_t *l = fw_cur_take(c, 4);

			if (l == NULL)
				return FW_ETRUNC;
			if (!(l[2] & 0x01))
				continue;
			/* Bottom of stack: IP by its version nibble; nibble 0 is
			 * the control word of an Ethernet pseudowire (RFC 4385,
			 * 4448), as routers export EoMPLS frame sections. */
			if (fw_cur_left(c) >= 1 && (c->p[0] >> 4) == 0 && !pw) {
				fw_cur_skip(c, 4);
				return ethernet_in(c, ip, true);
			}
			return ip_any(c, ip);
		}
		return FW_EUNSUPPORTED;
	default:
		return FW_EUNSUPPORTED;
	}
}

/* Ethernet II or 802.3 with LLC/SNAP, up to MAX_VLAN_TAGS 802.1Q/802.1ad
 * tags; pw: carried in an MPLS pseudowire (no second one inside). */
static int
ethernet_in(struct fw_cur *c, struct fw_pkt_l3 *ip, bool pw)
{
	uint16_t type;

	fw_cur_skip(c, 12);
	type = fw_cur_u16(c);
	for (int tags = 0; (type == 0x8100 || type == 0x88a8 || type == 0x9100) && tags < MAX_VLAN_TAGS; tags++) {
		fw_cur_skip(c, 2);
		type = fw_cur_u16(c);
	}
	if (c->err != FW_OK)
		return c->err;
	if (type < 0x0600) {  /* 802.3 length: only LLC/SNAP carries a type */
		const uint8_t *llc = fw_cur_take(c, 8);

		if (llc == NULL)
			return FW_ETRUNC;
		if (llc[0] != 0xaa || llc[1] != 0xaa || llc[2] != 0x03)
			return FW_EUNSUPPORTED;
		type = fw_load_be16(llc + 6);
	}
	return by_ethertype(c, type, ip, pw);
}

static int
ethernet(struct fw_cur *c, struct fw_pkt_l3 *ip)
{
	return ethernet_in(c, ip, false);
}

/* NFLOG: the packet is the NFULA_PAYLOAD TLV (type 9). */
static int
nflog(struct fw_cur *c, struct fw_pkt_l3 *ip)
{
	fw_cur_skip(c, 4);  /* family, version, resource id */
	/* Each TLV consumes >= 4 bytes, so this loop ends. */
	while (fw_cur_left(c) >= 4) {
		const uint8_t *h = fw_cur_take(c, 4);
		size_t tlen = (size_t)(h[0] | h[1] << 8), tlv = (size_t)(h[2] | h[3] << 8);

		if (tlen < 4)
			return FW_EMALFORMED;
		if (tlv == 9) {
			struct fw_cur sub;

			if (tlen - 4 > fw_cur_left(c))
				return FW_ETRUNC;
			sub = fw_cur_make(c->p, tlen - 4);
			return ip_any(&sub, ip);
		}
		fw_cur_skip(c, ((tlen + 3) & ~(size_t)3) - 4);
	}
	return c->err != FW_OK ? c->err : FW_EUNSUPPORTED;
}

int
fw_pkt_l3(int linktype, const uint8_t *frame, size_t caplen, struct fw_pkt_l3 *out)
{
	struct fw_cur c = fw_cur_make(frame, caplen);
	uint16_t type;

	l3_init(out);
	switch (linktype) {
	case FW_LINK_ETHERNET:
		return ethernet(&c, out);
	case FW_LINK_IPV4:
		return ipv4(&c, out);
	case FW_LINK_IPV6:
		return ipv6(&c, out);
	case FW_LINK_RAW:
	case FW_LINK_RAW_ALT:
		return ip_any(&c, out);
	case FW_LINK_LINUX_SLL:
		fw_cur_skip(&c, 14);
		type = fw_cur_u16(&c);
		return c.err != FW_OK ? c.err : by_ethertype(&c, type, out, false);
	case FW_LINK_LINUX_SLL2:
		type = fw_cur_u16(&c);
		fw_cur_skip(&c, 18);
		return c.err != FW_OK ? c.err : by_ethertype(&c, type, out, false);
	case FW_LINK_NFLOG:
		return nflog(&c, out);
	case FW_LINK_NULL:
	case FW_LINK_LOOP:
		/* Address family in host order (NULL) or network order (LOOP);
		 * AF_INET is 2 everywhere, AF_INET6 is 10, 24, 28 or 30. */
		if (fw_cur_take(&c, 4) == NULL || c.p == c.end)
			return FW_ETRUNC;
		return ip_any(&c, out);
	default:
		return FW_EUNSUPPORTED;
	}
}

/* ---- UDP datagrams in captured frames ---- */

int
fw_pkt_udp_of(const struct fw_pkt_l3 *ip, int rc, struct fw_udp *out)
{
	struct fw_cur c;

	if (rc != FW_OK)
		return rc;
	if (ip->version == 4 && ip->l3_len < ip->hdr_len)
		return FW_EMALFORMED;
	if (ip->l4_err == FW_ETRUNC && ip->version == 4)
		return FW_ETRUNC;  /* options cut off */
	if (ip->version == 4 && ip->proto != 17)
		return FW_EUNSUPPORTED;
	if (ip->l4_err != FW_OK)
		return ip->l4_err;
	if (ip->proto != 17)
		return FW_EUNSUPPORTED;
	out->src = ip->src;
	out->dst = ip->dst;
	out->ttl = ip->ttl;
	c = fw_cur_make(ip->l4, ip->l4_len);
	return udp_header(&c, out);
}

int
fw_pkt_udp_ip(const uint8_t *ip, size_t len, struct fw_udp *out)
{
	return fw_pkt_udp(FW_LINK_RAW, ip, len, out);
}

int
fw_pkt_udp(int linktype, const uint8_t *frame, size_t caplen, struct fw_udp *out)
{
	struct fw_pkt_l3 ip;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = fw_pkt_l3(linktype, frame, caplen, &ip);
	return fw_pkt_udp_of(&ip, rc, out);
}

/* A plausible DNS message: sane header counts and a well-formed first name. */
static int
looks_like_dns(const uint8_t *p, size_t len)
{
	struct fw_cur c = fw_cur_make(p, len);
	uint16_t flags, qd, an, ns, ar;
	size_t name_len = 0;

	fw_cur_skip(&c, 2);
	flags = fw_cur_u16(&c);
	qd = fw_cur_u16(&c);
	an = fw_cur_u16(&c);
	ns = fw_cur_u16(&c);
	ar = fw_cur_u16(&c);
	if (c.err != FW_OK)
		return 0;
	if (((flags >> 11) & 0xf) > 6 || qd != 1 || an > 256 || ns > 256 || ar > 256)
		return 0;
	for (int labels = 0; labels < 128; labels++) {
		uint8_t l = fw_cur_u8(&c);
		if (c.err != FW_OK || (l & 0xc0) != 0)
			return 0;
		if (l == 0)
			return fw_cur_left(&c) >= 4;
		name_len += (size_t)l + 1;
		if (name_len > 255)
			return 0;
		fw_cur_skip(&c, l);
	}
	return 0;
}

enum fw_payload_kind
fw_pkt_sniff(const uint8_t *p, size_t len)
{
	uint16_t v, count;

	if (len < 12)
		return FW_PAYLOAD_UNKNOWN;
	v = fw_load_be16(p);
	count = fw_load_be16(p + 2);
	/* NetFlow v5: exact size from the record count. */
	if (v == 5 && count >= 1 && count <= 30 && len == 24 + (size_t)count * 48)
		return FW_PAYLOAD_NF5;
	/* IPFIX: message length field equals the datagram length. */
	if (v == 10 && count == len && len >= 16)
		return FW_PAYLOAD_IPFIX;
	/* NetFlow v9: 20-byte header, then a flowset id 0, 1 or >= 256. */
	if (v == 9 && len >= 24) {
		uint16_t set = fw_load_be16(p + 20), set_len = fw_load_be16(p + 22);
		if ((set <= 1 || set >= 256) && set_len >= 4 && set_len <= len - 20)
			return FW_PAYLOAD_NF9;
	}
	/* sFlow v5: version 5 as 32 bits, agent address type 1 (v4) or 2 (v6). */
	if (len >= 28 && fw_load_be32(p) == 5) {
		uint32_t at = fw_load_be32(p + 4);
		if (at == 1 || at == 2)
			return FW_PAYLOAD_SFLOW5;
	}
	if (looks_like_dns(p, len))
		return FW_PAYLOAD_DNS;
	return FW_PAYLOAD_UNKNOWN;
}

const char *
fw_pkt_kind_name(enum fw_payload_kind kind)
{
	static const char *const names[FW_PAYLOAD_KINDS] = {
		"unknown", "nf5", "nf9", "ipfix", "sflow5", "dns"
	};

	return (unsigned)kind < FW_PAYLOAD_KINDS ? names[kind] : "unknown";
}
