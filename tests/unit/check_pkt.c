/*
 * check_pkt.c - link layer -> UDP and payload sniffing.
 *
 * Real frames: every frame of the flow and DNS captures in tests/data/ is
 * compared with tshark's dissection (tests/data/pkt.expected.tsv, made by
 * tests/data/gen-pkt-expected.sh) and must sniff as its exporter's format.
 * Link types and IP options the captures lack (802.1Q, QinQ, Linux cooked
 * v1/v2, raw, loopback/null, IPv6 extension headers, IPv4 options and
 * fragments) are built by hand here from the published header layouts.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fw_pkt.h"
#include "fw_test_pcap.h"

Suite *pkt_suite(void);

#define EXPECTED "tests/data/pkt.expected.tsv"

/* ---- real captures ---- */

static const struct {
	const char *name;
	size_t frames;
	enum fw_payload_kind kind;   /* of every UDP frame to port 53 or every frame */
} captures[] = {
	{ "udpflood_nf5", 145, FW_PAYLOAD_NF5 },
	{ "udpflood_nf9", 545, FW_PAYLOAD_NF9 },
	{ "udpflood_ipfix", 545, FW_PAYLOAD_IPFIX },
	{ "udpflood_sflow", 688, FW_PAYLOAD_SFLOW5 },
	{ "water-torture-packets", 2100, FW_PAYLOAD_DNS },
	{ "dns_udp", 2, FW_PAYLOAD_DNS },
};

START_TEST(test_pkt_real_captures)
{
	struct fw_test_pcap cap;
	char path[256], line[512];
	FILE *tsv = fopen(EXPECTED, "r");
	size_t checked = 0, udp = 0;

	ck_assert_msg(tsv != NULL, "cannot open %s (run from the project root)", EXPECTED);
	snprintf(path, sizeof(path), "tests/data/%s.pcap", captures[_i].name);
	ck_assert_int_eq(fw_test_pcap_load(path, &cap), 0);
	ck_assert_uint_eq(cap.n, captures[_i].frames);
	ck_assert_int_eq(cap.linktype, FW_LINK_ETHERNET);
	while (fgets(line, sizeof(line), tsv) != NULL) {
		char file[64], kind[8], src[64], dst[64], got_src[64], got_dst[64];
		unsigned frame, sport, dport, ttl;
		size_t plen;
		struct fw_udp u;
		const struct fw_test_frame *fr;
		int rc;

		if (sscanf(line, "%63s\t%u\t%7s\t", file, &frame, kind) != 3)
			ck_abort_msg("bad line in %s: %s", EXPECTED, line);
		if (strcmp(file, captures[_i].name) != 0)
			continue;
		ck_assert_uint_le(frame, cap.n);
		fr = &cap.f[frame - 1];
		rc = fw_pkt_udp(cap.linktype, fr->data, fr->len, &u);
		checked++;
		if (strcmp(kind, "other") == 0) {
			ck_assert_msg(rc == FW_EUNSUPPORTED, "%s frame %u: %d", file, frame, rc);
			continue;
		}
		udp++;
		ck_assert_int_eq(sscanf(line, "%*s\t%*u\t%*s\t%63s\t%63s\t%u\t%u\t%zu\t%u", src, dst, &sport,
		    &dport, &plen, &ttl), 6);
		ck_assert_msg(rc == FW_OK, "%s frame %u: %s", file, frame, fw_strerror(rc));
		fw_addr_format(&u.src, got_src, sizeof(got_src));
		fw_addr_format(&u.dst, got_dst, sizeof(got_dst));
		ck_assert_str_eq(got_src, src);
		ck_assert_str_eq(got_dst, dst);
		ck_assert_uint_eq(u.sport, sport);
		ck_assert_uint_eq(u.dport, dport);
		ck_assert_uint_eq(u.len, plen);
		ck_assert_uint_eq(u.ttl, ttl);
		ck_assert(u.payload >= fr->data && u.payload + u.len <= fr->data + fr->len);
		if (captures[_i].kind != FW_PAYLOAD_DNS || dport == 53 || sport == 53)
			ck_assert_msg(fw_pkt_sniff(u.payload, u.len) == captures[_i].kind,
			    "%s frame %u sniffed as %s", file, frame,
			    fw_pkt_kind_name(fw_pkt_sniff(u.payload, u.len)));
		else  /* the water-torture capture's NTP replies are not DNS */
			ck_assert_int_eq(fw_pkt_sniff(u.payload, u.len), FW_PAYLOAD_UNKNOWN);
	}
	fclose(tsv);
	ck_assert_uint_eq(checked, captures[_i].frames);
	ck_assert_uint_gt(udp, 0);
	fw_test_pcap_free(&cap);
}
END_TEST

/* ---- hand-made frames ---- */

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* UDP payload used in built frames: a one-record NetFlow v5 datagram. */
static uint8_t nf5_payload[72];

static void
init_payload(void)
{
	memset(nf5_payload, 0x11, sizeof(nf5_payload));
	put16(nf5_payload, 5);
	put16(nf5_payload + 2, 1);
}

static size_t
udp_hdr(uint8_t *p, uint16_t sport, uint16_t dport, size_t plen)
{
	put16(p, sport);
	put16(p + 2, dport);
	put16(p + 4, (uint16_t)(8 + plen));
	put16(p + 6, 0);
	memcpy(p + 8, nf5_payload, plen);
	return 8 + plen;
}

/*
 * IPv4 + UDP + payload at p: optlen bytes of options (multiple of 4),
 * fragment field (flags + offset) as given.  Returns bytes written.
 */
static size_t
ipv4_udp(uint8_t *p, size_t optlen, uint16_t frag, uint8_t proto)
{
	size_t ihl = 20 + optlen, n;

	memset(p, 0, ihl);
	p[0] = (uint8_t)(0x40 | (ihl / 4));
	put16(p + 6, frag);
	p[8] = 57;                                      /* TTL */
	p[9] = proto;
	p[12] = 192; p[13] = 0; p[14] = 2; p[15] = 7;   /* 192.0.2.7 */
	p[16] = 198; p[17] = 51; p[18] = 100; p[19] = 9;
	for (size_t i = 0; i < optlen; i++)
		p[20 + i] = i + 1 == optlen ? 0 : 1;    /* NOPs, then End of options */
	n = ihl + udp_hdr(p + ihl, 4000, 2055, sizeof(nf5_payload));
	put16(p + 2, (uint16_t)n);
	return n;
}

/* IPv6 + extension headers (types in ext[], each 8 bytes) + UDP + payload. */
static size_t
ipv6_udp(uint8_t *p, const uint8_t *ext, size_t next, uint16_t frag_off)
{
	size_t off = 40, n;
	uint8_t *prev_next = p + 6;

	memset(p, 0, 40);
	p[0] = 0x60;
	p[7] = 33;                                      /* hop limit */
	p[8] = 0x20; p[9] = 0x01; p[10] = 0x0d; p[11] = 0xb8; p[23] = 1;   /* 2001:db8::1 */
	p[24] = 0x20; p[25] = 0x01; p[26] = 0x0d; p[27] = 0xb8; p[39] = 2; /* 2001:db8::2 */
	for (size_t i = 0; i < next; i++) {
		*prev_next = ext[i];
		memset(p + off, 0, 8);
		if (ext[i] == 44)
			put16(p + off + 2, frag_off);   /* offset << 3 | M */
		prev_next = p + off;
		off += 8;
	}
	*prev_next = 17;
	n = off + udp_hdr(p + off, 4000, 2055, sizeof(nf5_payload));
	put16(p + 4, (uint16_t)(n - 40));
	return n;
}

static int
parse(int lt, const uint8_t *f, size_t len, struct fw_udp *u)
{
	return fw_pkt_udp(lt, f, len, u);
}

static void
assert_v4_result(const struct fw_udp *u)
{
	char s[64];

	fw_addr_format(&u->src, s, sizeof(s));
	ck_assert_str_eq(s, "192.0.2.7");
	fw_addr_format(&u->dst, s, sizeof(s));
	ck_assert_str_eq(s, "198.51.100.9");
	ck_assert_uint_eq(u->sport, 4000);
	ck_assert_uint_eq(u->dport, 2055);
	ck_assert_uint_eq(u->ttl, 57);
	ck_assert_uint_eq(u->len, sizeof(nf5_payload));
	ck_assert_mem_eq(u->payload, nf5_payload, sizeof(nf5_payload));
	ck_assert_int_eq(fw_pkt_sniff(u->payload, u->len), FW_PAYLOAD_NF5);
}

static void
assert_v6_result(const struct fw_udp *u)
{
	char s[64];

	fw_addr_format(&u->src, s, sizeof(s));
	ck_assert_str_eq(s, "2001:db8::1");
	fw_addr_format(&u->dst, s, sizeof(s));
	ck_assert_str_eq(s, "2001:db8::2");
	ck_assert_uint_eq(u->ttl, 33);
	ck_assert_uint_eq(u->len, sizeof(nf5_payload));
	ck_assert_mem_eq(u->payload, nf5_payload, sizeof(nf5_payload));
}

/* Ethernet header with `tags` VLAN tags (TPIDs from tpid[]). */
static size_t
eth(uint8_t *p, const uint16_t *tpid, int tags, uint16_t type)
{
	size_t off = 12;

	memset(p, 0xee, 12);
	for (int i = 0; i < tags; i++) {
		put16(p + off, tpid[i]);
		put16(p + off + 2, (uint16_t)(100 + i));  /* TCI: VLAN id */
		off += 4;
	}
	put16(p + off, type);
	return off + 2;
}

/*
 * Every strict prefix of a frame: an error, or (when the cut falls inside
 * the UDP payload) OK with a payload inside the prefix.  Each prefix is an
 * exact-size copy so ASan sees any over-read.
 */
static void
assert_prefixes_safe(int lt, const uint8_t *f, size_t len, size_t payload_off)
{
	for (size_t n = 0; n < len; n++) {
		uint8_t *c = malloc(n ? n : 1);
		struct fw_udp u;
		int rc;

		memcpy(c, f, n);
		rc = fw_pkt_udp(lt, c, n, &u);
		if (n < payload_off && rc == FW_OK)
			ck_abort_msg("prefix %zu of %zu (payload at %zu) accepted", n, len, payload_off);
		if (rc == FW_OK && (u.payload < c || u.payload + u.len > c + n))
			ck_abort_msg("prefix %zu: payload outside the frame", n);
		if (rc != FW_OK && rc != FW_ETRUNC && rc != FW_EMALFORMED && rc != FW_EUNSUPPORTED)
			ck_abort_msg("prefix %zu: unexpected code %d", n, rc);
		free(c);
	}
}

START_TEST(test_pkt_ethernet_vlan)
{
	static const uint16_t tp[5] = { 0x88a8, 0x8100, 0x8100, 0x9100, 0x8100 };
	uint8_t f[256];
	struct fw_udp u;

	for (int tags = 0; tags <= 4; tags++) {
		size_t h = eth(f, tp, tags, 0x0800);
		size_t n = h + ipv4_udp(f + h, 0, 0, 17);

		ck_assert_msg(parse(FW_LINK_ETHERNET, f, n, &u) == FW_OK, "%d tags", tags);
		assert_v4_result(&u);
		assert_prefixes_safe(FW_LINK_ETHERNET, f, n, h + 28);
	}
	/* Five tags: more than we walk through. */
	{
		size_t h = eth(f, tp, 5, 0x0800);
		size_t n = h + ipv4_udp(f + h, 0, 0, 17);
		ck_assert_int_eq(parse(FW_LINK_ETHERNET, f, n, &u), FW_EUNSUPPORTED);
	}
	/* Plain 802.1Q with IPv6 inside. */
	{
		size_t h = eth(f, tp + 1, 1, 0x86dd);
		size_t n = h + ipv6_udp(f + h, NULL, 0, 0);
		ck_assert_int_eq(parse(FW_LINK_ETHERNET, f, n, &u), FW_OK);
		assert_v6_result(&u);
	}
	/* ARP is not IP. */
	{
		size_t h = eth(f, tp, 0, 0x0806);
		memset(f + h, 0, 28);
		ck_assert_int_eq(parse(FW_LINK_ETHERNET, f, h + 28, &u), FW_EUNSUPPORTED);
	}
}
END_TEST

/* Ethernet pads short frames to 60 bytes: the IP total length wins. */
START_TEST(test_pkt_ethernet_padding)
{
	uint8_t f[256];
	struct fw_udp u;
	size_t h = eth(f, NULL, 0, 0x0800), n;
	uint8_t *ip = f + h;

	/* A 4-byte UDP payload: 14 + 20 + 8 + 4 = 46, padded to 60. */
	memset(ip, 0, 200);
	ip[0] = 0x45;
	put16(ip + 2, 32);
	ip[8] = 64;
	ip[9] = 17;
	put16(ip + 20, 1);
	put16(ip + 22, 2);
	put16(ip + 24, 12);
	memcpy(ip + 28, "abcd", 4);
	n = 60;
	memset(f + h + 32, 0xff, n - h - 32);
	ck_assert_int_eq(parse(FW_LINK_ETHERNET, f, n, &u), FW_OK);
	ck_assert_uint_eq(u.len, 4);
	ck_assert_mem_eq(u.payload, "abcd", 4);
	/* UDP length shorter than the IP payload: UDP length wins. */
	put16(ip + 24, 10);
	ck_assert_int_eq(parse(FW_LINK_ETHERNET, f, n, &u), FW_OK);
	ck_assert_uint_eq(u.len, 2);
	/* UDP length below its own header: malformed. */
	put16(ip + 24, 7);
	ck_assert_int_eq(parse(FW_LINK_ETHERNET, f, n, &u), FW_EMALFORMED);
}
END_TEST

START_TEST(test_pkt_linux_sll)
{
	uint8_t f[256];
	struct fw_udp u;
	size_t n;

	/* SLL v1: packet type(2) ARPHRD(2) addr len(2) addr(8) protocol(2). */
	memset(f, 0, 16);
	put16(f + 2, 1);
	put16(f + 4, 6);
	put16(f + 14, 0x0800);
	n = 16 + ipv4_udp(f + 16, 0, 0, 17);
	ck_assert_int_eq(parse(FW_LINK_LINUX_SLL, f, n, &u), FW_OK);
	assert_v4_result(&u);
	assert_prefixes_safe(FW_LINK_LINUX_SLL, f, n, 16 + 28);
	put16(f + 14, 0x86dd);
	n = 16 + ipv6_udp(f + 16, NULL, 0, 0);
	ck_assert_int_eq(parse(FW_LINK_LINUX_SLL, f, n, &u), FW_OK);
	assert_v6_result(&u);

	/* SLL2: protocol(2) reserved(2) ifindex(4) ARPHRD(2) type(1) alen(1) addr(8). */
	memset(f, 0, 20);
	put16(f, 0x86dd);
	f[7] = 3;
	put16(f + 8, 1);
	f[11] = 6;
	n = 20 + ipv6_udp(f + 20, NULL, 0, 0);
	ck_assert_int_eq(parse(FW_LINK_LINUX_SLL2, f, n, &u), FW_OK);
	assert_v6_result(&u);
	assert_prefixes_safe(FW_LINK_LINUX_SLL2, f, n, 20 + 48);
	put16(f, 0x0800);
	n = 20 + ipv4_udp(f + 20, 0, 0, 17);
	ck_assert_int_eq(parse(FW_LINK_LINUX_SLL2, f, n, &u), FW_OK);
	assert_v4_result(&u);
}
END_TEST

START_TEST(test_pkt_raw_and_loopback)
{
	uint8_t f[256];
	struct fw_udp u;
	static const int raw[] = { FW_LINK_RAW, FW_LINK_RAW_ALT, FW_LINK_IPV4 };
	size_t n;

	n = ipv4_udp(f, 0, 0, 17);
	for (size_t i = 0; i < sizeof(raw) / sizeof(raw[0]); i++) {
		ck_assert_int_eq(parse(raw[i], f, n, &u), FW_OK);
		assert_v4_result(&u);
	}
	assert_prefixes_safe(FW_LINK_RAW, f, n, 28);
	n = ipv6_udp(f, NULL, 0, 0);
	ck_assert_int_eq(parse(FW_LINK_IPV6, f, n, &u), FW_OK);
	assert_v6_result(&u);
	ck_assert_int_eq(parse(FW_LINK_RAW, f, n, &u), FW_OK);
	assert_prefixes_safe(FW_LINK_RAW, f, n, 48);

	/* NULL: AF_INET (2) in host order (little-endian capture host). */
	f[0] = 2; f[1] = 0; f[2] = 0; f[3] = 0;
	n = 4 + ipv4_udp(f + 4, 0, 0, 17);
	ck_assert_int_eq(parse(FW_LINK_NULL, f, n, &u), FW_OK);
	assert_v4_result(&u);
	assert_prefixes_safe(FW_LINK_NULL, f, n, 4 + 28);
	/* LOOP (OpenBSD): AF in network order; BSD AF_INET6 = 24/28/30. */
	f[0] = 0; f[1] = 0; f[2] = 0; f[3] = 24;
	n = 4 + ipv6_udp(f + 4, NULL, 0, 0);
	ck_assert_int_eq(parse(FW_LINK_LOOP, f, n, &u), FW_OK);
	assert_v6_result(&u);
	/* Header only. */
	ck_assert_int_eq(parse(FW_LINK_LOOP, f, 4, &u), FW_ETRUNC);
}
END_TEST

START_TEST(test_pkt_ipv4_options_and_fragments)
{
	uint8_t f[256];
	struct fw_udp u;
	size_t n;

	for (size_t opt = 4; opt <= 40; opt += 4) {
		n = ipv4_udp(f, opt, 0, 17);
		ck_assert_int_eq(parse(FW_LINK_RAW, f, n, &u), FW_OK);
		assert_v4_result(&u);
		assert_prefixes_safe(FW_LINK_RAW, f, n, 20 + opt + 8);
	}
	/* IHL below 5 words. */
	n = ipv4_udp(f, 0, 0, 17);
	f[0] = 0x44;
	ck_assert_int_eq(parse(FW_LINK_RAW, f, n, &u), FW_EMALFORMED);
	/* Total length below the header length. */
	n = ipv4_udp(f, 8, 0, 17);
	put16(f + 2, 24);
	ck_assert_int_eq(parse(FW_LINK_RAW, f, n, &u), FW_EMALFORMED);
	/* DF set, first fragment (MF, offset 0): the UDP header is here. */
	n = ipv4_udp(f, 0, 0x4000, 17);
	ck_assert_int_eq(parse(FW_LINK_RAW, f, n, &u), FW_OK);
	n = ipv4_udp(f, 0, 0x2000, 17);
	ck_assert_int_eq(parse(FW_LINK_RAW, f, n, &u), FW_OK);
	/* Later fragments carry no UDP header: refused, whatever the bytes say. */
	n = ipv4_udp(f, 0, 0x2000 | 185, 17);
	ck_assert_int_eq(parse(FW_LINK_RAW, f, n, &u), FW_EUNSUPPORTED);
	n = ipv4_udp(f, 0, 1, 17);
	ck_assert_int_eq(parse(FW_LINK_RAW, f, n, &u), FW_EUNSUPPORTED);
	/* Not UDP. */
	n = ipv4_udp(f, 0, 0, 6);
	ck_assert_int_eq(parse(FW_LINK_RAW, f, n, &u), FW_EUNSUPPORTED);
	/* Ethertype IPv4 but version 6 inside. */
	n = ipv4_udp(f + 14, 0, 0, 17);
	eth(f, NULL, 0, 0x0800);
	f[14] = 0x65;
	ck_assert_int_eq(parse(FW_LINK_ETHERNET, f, n + 14, &u), FW_EMALFORMED);
	/* Version nibble neither 4 nor 6 on a raw link. */
	f[0] = 0x55;
	ck_assert_int_eq(parse(FW_LINK_RAW, f, 40, &u), FW_EMALFORMED);
	ck_assert_int_eq(parse(FW_LINK_RAW, f, 0, &u), FW_ETRUNC);
}
END_TEST

START_TEST(test_pkt_ipv6_extension_headers)
{
	static const uint8_t chain[] = { 0, 60, 43, 44, 60 };  /* HBH, dst, routing, frag, dst */
	uint8_t f[512], many[9];
	struct fw_udp u;
	size_t n;

	for (size_t k = 0; k <= sizeof(chain); k++) {
		n = ipv6_udp(f, chain, k, 0);
		ck_assert_msg(parse(FW_LINK_RAW, f, n, &u) == FW_OK, "%zu headers", k);
		assert_v6_result(&u);
		assert_prefixes_safe(FW_LINK_RAW, f, n, 40 + 8 * k + 8);
	}
	/* Atomic fragment with M set and offset 0: first fragment, accepted. */
	n = ipv6_udp(f, chain + 3, 1, 1);
	ck_assert_int_eq(parse(FW_LINK_RAW, f, n, &u), FW_OK);
	/* Later fragment: refused. */
	n = ipv6_udp(f, chain + 3, 1, (uint16_t)(100 << 3));
	ck_assert_int_eq(parse(FW_LINK_RAW, f, n, &u), FW_EUNSUPPORTED);
	/* A longer option header (Hdr Ext Len 2 = 24 bytes) is skipped whole. */
	n = ipv6_udp(f, chain, 1, 0);
	memmove(f + 40 + 24, f + 40 + 8, n - 48);
	memset(f + 42, 0, 22);
	f[41] = 2;
	n += 16;
	put16(f + 4, (uint16_t)(n - 40));
	ck_assert_int_eq(parse(FW_LINK_RAW, f, n, &u), FW_OK);
	assert_v6_result(&u);
	/* Nine extension headers: over the limit of 8. */
	memset(many, 60, sizeof(many));
	n = ipv6_udp(f, many, sizeof(many), 0);
	ck_assert_int_eq(parse(FW_LINK_RAW, f, n, &u), FW_EMALFORMED);
	/* Not UDP (TCP next header). */
	n = ipv6_udp(f, NULL, 0, 0);
	f[6] = 6;
	ck_assert_int_eq(parse(FW_LINK_RAW, f, n, &u), FW_EUNSUPPORTED);
	/* Payload length shorter than what follows: trailing bytes dropped. */
	n = ipv6_udp(f, NULL, 0, 0);
	memset(f + n, 0xcc, 10);
	ck_assert_int_eq(parse(FW_LINK_RAW, f, n + 10, &u), FW_OK);
	ck_assert_uint_eq(u.len, sizeof(nf5_payload));
}
END_TEST

/*
 * The one L2/L3 dissector (fw_pkt_l3, shared with sFlow's sampled headers):
 * MPLS, LLC/SNAP and the IPv6 AH/mobility headers reach UDP in captures too,
 * and a sampled header's transport fields stop at the IP length.
 */
START_TEST(test_pkt_one_dissector)
{
	uint8_t f[512];
	struct fw_udp u;
	struct fw_pkt_l3 ip;
	size_t h, n;

	/* Ethernet, two MPLS labels (bottom of stack on the second), IPv4. */
	h = eth(f, NULL, 0, 0x8847);
	memset(f + h, 0, 8);
	f[h + 2] = 0x00;
	f[h + 6] = 0x01;                               /* S bit */
	h += 8;
	n = h + ipv4_udp(f + h, 0, 0, 17);
	ck_assert_int_eq(parse(FW_LINK_ETHERNET, f, n, &u), FW_OK);
	assert_v4_result(&u);
	assert_prefixes_safe(FW_LINK_ETHERNET, f, n, h + 28);
	/* EoMPLS as routers export it in frame sections: Ethernet, MPLS (bottom
	 * of stack), a pseudowire control word (first nibble 0), the customer's
	 * Ethernet frame, IPv4. */
	h = eth(f, NULL, 0, 0x8847);
	memset(f + h, 0, 8);
	f[h + 2] = 0x01;                               /* S bit */
	h += 8;                                        /* label + control word */
	h += eth(f + h, NULL, 0, 0x0800);
	n = h + ipv4_udp(f + h, 0, 0, 17);
	ck_assert_int_eq(parse(FW_LINK_ETHERNET, f, n, &u), FW_OK);
	assert_v4_result(&u);
	ck_assert_int_eq(fw_pkt_l3(FW_LINK_ETHERNET, f, n, &ip), FW_OK);
	ck_assert_uint_eq(ip.dport, 2055);
	assert_prefixes_safe(FW_LINK_ETHERNET, f, n, h + 28);
	/* A pseudowire inside the pseudowire is not followed (one level). */
	h = eth(f, NULL, 0, 0x8847);
	memset(f + h, 0, 8);
	f[h + 2] = 0x01;
	h += 8;
	h += eth(f + h, NULL, 0, 0x8847);
	memset(f + h, 0, 8);
	f[h + 2] = 0x01;
	h += 8;
	h += eth(f + h, NULL, 0, 0x0800);
	n = h + ipv4_udp(f + h, 0, 0, 17);
	ck_assert_int_eq(fw_pkt_l3(FW_LINK_ETHERNET, f, n, &ip), FW_EMALFORMED);
	/* 802.3 length + LLC/SNAP carrying IPv4. */
	h = eth(f, NULL, 0, 100);
	memcpy(f + h, "\xaa\xaa\x03\x00\x00\x00\x08\x00", 8);
	h += 8;
	n = h + ipv4_udp(f + h, 0, 0, 17);
	ck_assert_int_eq(parse(FW_LINK_ETHERNET, f, n, &u), FW_OK);
	assert_v4_result(&u);
	/* IPv6: AH and a mobility header before UDP. */
	{
		static const uint8_t ah[] = { 51, 135 };

		n = ipv6_udp(f, ah, 2, 0);
		ck_assert_int_eq(parse(FW_LINK_RAW, f, n, &u), FW_OK);
		assert_v6_result(&u);
	}
	/* LINKTYPE_IPV4 holds IPv4 only. */
	n = ipv6_udp(f, NULL, 0, 0);
	ck_assert_int_eq(parse(FW_LINK_IPV4, f, n, &u), FW_EMALFORMED);
	/* A TCP header cut by the IP total length (24): ports, no flags. */
	n = ipv4_udp(f, 0, 0, 6);
	put16(f + 2, 24);
	f[20 + 13] = 0x12;
	ck_assert_int_eq(fw_pkt_l3(FW_LINK_IPV4, f, n, &ip), FW_OK);
	ck_assert_uint_eq(ip.proto, 6);
	ck_assert_uint_eq(ip.sport, 4000);
	ck_assert_uint_eq(ip.dport, 2055);
	ck_assert_uint_eq(ip.tcp_flags, 0);
	ck_assert_uint_eq(ip.l3_len, 24);
	/* GRE: the outer header only. */
	n = ipv4_udp(f, 0, 0, 47);
	ck_assert_int_eq(fw_pkt_l3(FW_LINK_RAW, f, n, &ip), FW_OK);
	ck_assert_uint_eq(ip.proto, 47);
	ck_assert_uint_eq(ip.sport, 0);
	ck_assert_uint_eq(ip.ttl, 57);
}
END_TEST

START_TEST(test_pkt_unsupported_links)
{
	uint8_t f[128];
	struct fw_udp u;
	size_t n = ipv4_udp(f, 0, 0, 17);

	/* An IPv4 frame is not an NFLOG record: no payload TLV is found. */
	ck_assert_int_ne(parse(FW_LINK_NFLOG, f, n, &u), FW_OK);
	ck_assert_int_eq(parse(9999, f, n, &u), FW_EUNSUPPORTED);
	ck_assert_int_eq(parse(-1, f, n, &u), FW_EUNSUPPORTED);
}
END_TEST

/* ---- sniffing by content ---- */

START_TEST(test_pkt_sniff_edges)
{
	uint8_t b[24 + 30 * 48 + 1];

	memset(b, 0, sizeof(b));
	ck_assert_int_eq(fw_pkt_sniff(b, 0), FW_PAYLOAD_UNKNOWN);
	ck_assert_int_eq(fw_pkt_sniff(b, 11), FW_PAYLOAD_UNKNOWN);
	/* NetFlow v5 needs the exact size for its count. */
	put16(b, 5);
	put16(b + 2, 2);
	ck_assert_int_eq(fw_pkt_sniff(b, 24 + 2 * 48), FW_PAYLOAD_NF5);
	ck_assert_int_ne(fw_pkt_sniff(b, 24 + 2 * 48 + 1), FW_PAYLOAD_NF5);
	ck_assert_int_ne(fw_pkt_sniff(b, 24 + 2 * 48 - 1), FW_PAYLOAD_NF5);
	/* IPFIX: length field equals the datagram length. */
	memset(b, 0, sizeof(b));
	put16(b, 10);
	put16(b + 2, 40);
	ck_assert_int_eq(fw_pkt_sniff(b, 40), FW_PAYLOAD_IPFIX);
	ck_assert_int_ne(fw_pkt_sniff(b, 41), FW_PAYLOAD_IPFIX);
	/* NetFlow v9: template flowset 0 with a length that fits. */
	memset(b, 0, sizeof(b));
	put16(b, 9);
	put16(b + 2, 1);
	put16(b + 20, 0);
	put16(b + 22, 12);
	ck_assert_int_eq(fw_pkt_sniff(b, 32), FW_PAYLOAD_NF9);
	put16(b + 22, 13);                   /* set longer than the datagram */
	ck_assert_int_ne(fw_pkt_sniff(b, 32), FW_PAYLOAD_NF9);
	put16(b + 22, 12);
	put16(b + 20, 2);                    /* reserved flowset id */
	ck_assert_int_ne(fw_pkt_sniff(b, 32), FW_PAYLOAD_NF9);
	/* sFlow v5: 32-bit version 5, agent address type 1 or 2. */
	memset(b, 0, sizeof(b));
	b[3] = 5;
	b[7] = 1;
	ck_assert_int_eq(fw_pkt_sniff(b, 28), FW_PAYLOAD_SFLOW5);
	b[7] = 3;
	ck_assert_int_ne(fw_pkt_sniff(b, 28), FW_PAYLOAD_SFLOW5);
	/* Kind names are stable. */
	ck_assert_str_eq(fw_pkt_kind_name(FW_PAYLOAD_NF5), "nf5");
	ck_assert_str_eq(fw_pkt_kind_name(FW_PAYLOAD_DNS), "dns");
	ck_assert_str_eq(fw_pkt_kind_name((enum fw_payload_kind)99), "unknown");
}
END_TEST

START_TEST(test_pkt_sniff_dns)
{
	/* Query for www.example.com A, hand-encoded from RFC 1035 4.1. */
	static const uint8_t q[] = {
		0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0,
		3, 'w', 'w', 'w', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0,
		0, 1, 0, 1,
	};
	uint8_t b[sizeof(q)];

	ck_assert_int_eq(fw_pkt_sniff(q, sizeof(q)), FW_PAYLOAD_DNS);
	/* Question cut before its type/class. */
	ck_assert_int_ne(fw_pkt_sniff(q, sizeof(q) - 1), FW_PAYLOAD_DNS);
	/* A compression pointer as the first name is not a plausible query. */
	memcpy(b, q, sizeof(q));
	b[12] = 0xc0;
	ck_assert_int_ne(fw_pkt_sniff(b, sizeof(b)), FW_PAYLOAD_DNS);
	/* Two questions. */
	memcpy(b, q, sizeof(q));
	b[5] = 2;
	ck_assert_int_ne(fw_pkt_sniff(b, sizeof(b)), FW_PAYLOAD_DNS);
	/* Bad opcode (15). */
	memcpy(b, q, sizeof(q));
	b[2] = 0x78;
	ck_assert_int_ne(fw_pkt_sniff(b, sizeof(b)), FW_PAYLOAD_DNS);
}
END_TEST

START_TEST(test_pkt_addr_helpers)
{
	static const uint8_t v4[4] = { 203, 0, 113, 255 };
	struct fw_addr a;
	char s[64];

	fw_addr_from_v4(&a, v4);
	ck_assert(fw_addr_is_v4(&a));
	fw_addr_format(&a, s, sizeof(s));
	ck_assert_str_eq(s, "203.0.113.255");
	memset(&a, 0, sizeof(a));
	a.b[15] = 1;
	ck_assert(!fw_addr_is_v4(&a));
	fw_addr_format(&a, s, sizeof(s));
	ck_assert_str_eq(s, "::1");
	/* A short output buffer is truncated, still terminated. */
	fw_addr_from_v4(&a, v4);
	fw_addr_format(&a, s, 5);
	ck_assert_str_eq(s, "203.");
}
END_TEST

Suite *
pkt_suite(void)
{
	Suite *s = suite_create("pkt");
	TCase *v = tcase_create("valid"), *t = tcase_create("truncated"), *m = tcase_create("malformed");

	init_payload();
	tcase_add_loop_test(v, test_pkt_real_captures, 0, (int)(sizeof(captures) / sizeof(captures[0])));
	tcase_add_test(v, test_pkt_sniff_edges);
	tcase_add_test(v, test_pkt_sniff_dns);
	tcase_add_test(v, test_pkt_addr_helpers);
	/* The hand-made frame tests also walk every prefix of their frames. */
	tcase_add_test(t, test_pkt_ethernet_vlan);
	tcase_add_test(t, test_pkt_ethernet_padding);
	tcase_add_test(t, test_pkt_linux_sll);
	tcase_add_test(t, test_pkt_raw_and_loopback);
	tcase_add_test(m, test_pkt_ipv4_options_and_fragments);
	tcase_add_test(m, test_pkt_ipv6_extension_headers);
	tcase_add_test(m, test_pkt_unsupported_links);
	tcase_add_test(v, test_pkt_one_dissector);
	tcase_set_timeout(v, 30);
	tcase_set_timeout(t, 30);
	tcase_set_timeout(m, 30);
	suite_add_tcase(s, v);
	suite_add_tcase(s, t);
	suite_add_tcase(s, m);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(pkt_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
