/*
 * check_dnstcp.c - DNS messages out of TCP segments (fw_dnstcp.h): several
 * messages in one segment, one message (and its length prefix) split over
 * segments, a message longer than the flow buffer, retransmissions, gaps
 * and resync, bad length prefixes, FIN/RST, idle timeout, and a flood of
 * flows against a small table.  Segments are built here (RFC 9293 header)
 * and dissected by fw_pkt_l3(), as the readers do; messages are checked
 * with the DNS parser the collector uses.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fw_dnstcp.h"
#include "fw_dnswire.h"
#include "fw_pkt.h"

Suite *dnstcp_suite(void);

#define FIN 0x01
#define SYN 0x02
#define RST 0x04
#define ACK 0x10

struct seen {
	int n;
	char qname[8][FW_QNAME_MAX + 1];
	size_t len[8];
	uint16_t sport[8];
};

static void
collect(void *ctx, const struct fw_udp *m)
{
	struct seen *s = ctx;
	struct fw_dnswire_info info;
	int rc = fw_dnswire_parse(m->payload, m->len, &info);

	ck_assert(rc == FW_OK || (info.have & FW_DNSWIRE_HAVE_QUESTION));
	if (s->n < 8) {
		snprintf(s->qname[s->n], sizeof(s->qname[0]), "%s", info.qname);
		s->len[s->n] = m->len;
		s->sport[s->n] = m->sport;
	}
	s->n++;
}

/* A length-prefixed query for label.example A, padded with an EDNS
 * padding option (RFC 7830) to `pad` extra bytes; returns its length. */
static size_t
msg(uint8_t *out, const char *label, uint16_t id, size_t pad)
{
	size_t n = 2, l = strlen(label);

	memset(out, 0, 2 + 12 + 64 + 11 + 4 + pad);
	out[n] = (uint8_t)(id >> 8), out[n + 1] = (uint8_t)id;
	out[n + 2] = 0x01;
	out[n + 5] = 1;                      /* qdcount */
	out[n + 11] = pad ? 1 : 0;           /* arcount */
	n += 12;
	out[n++] = (uint8_t)l;
	memcpy(out + n, label, l);
	n += l;
	memcpy(out + n, "\x07" "example\x00\x00\x01\x00\x01", 13);
	n += 13;
	if (pad) {                           /* OPT: root, type 41, class, ttl, rdlen, option 12 */
		out[n++] = 0;
		out[n++] = 0, out[n++] = 41;
		out[n++] = 0x10, out[n++] = 0;
		n += 4;
		out[n++] = (uint8_t)((pad + 4) >> 8), out[n++] = (uint8_t)(pad + 4);
		out[n++] = 0, out[n++] = 12;
		out[n++] = (uint8_t)(pad >> 8), out[n++] = (uint8_t)pad;
		n += pad;
	}
	out[0] = (uint8_t)((n - 2) >> 8);
	out[1] = (uint8_t)(n - 2);
	return n;
}

/* An IPv4 TCP segment 10.0.0.C:sport -> 10.0.0.2:53 with seq and data. */
static size_t
seg(uint8_t *pkt, uint8_t client, uint16_t sport, uint32_t seq, uint8_t flags, const uint8_t *d, size_t n)
{
	size_t tot = 40 + n;

	memset(pkt, 0, 40);
	pkt[0] = 0x45;
	pkt[2] = (uint8_t)(tot >> 8), pkt[3] = (uint8_t)tot;
	pkt[8] = 64;
	pkt[9] = 6;
	pkt[12] = 10, pkt[15] = client;
	pkt[16] = 10, pkt[19] = 2;
	pkt[20] = (uint8_t)(sport >> 8), pkt[21] = (uint8_t)sport;
	pkt[23] = 53;
	pkt[24] = (uint8_t)(seq >> 24), pkt[25] = (uint8_t)(seq >> 16), pkt[26] = (uint8_t)(seq >> 8), pkt[27] = (uint8_t)seq;
	pkt[32] = 0x50;
	pkt[33] = flags;
	if (n > 0)
		memcpy(pkt + 40, d, n);
	return tot;
}

static int
add(struct fw_dnstcp *t, const uint8_t *pkt, size_t len, int64_t now, struct seen *s)
{
	struct fw_pkt_l3 ip;

	ck_assert_int_eq(fw_pkt_l3(FW_LINK_RAW, pkt, len, &ip), FW_OK);
	return fw_dnstcp_add(t, &ip, now, collect, s);
}

START_TEST(test_dnstcp_framing)
{
	struct fw_dnstcp *t;
	struct seen s = { 0 };
	uint8_t pkt[4096], data[2048];
	size_t n = 0, a, b;
	uint32_t seq = 1000;

	ck_assert_int_eq(fw_dnstcp_new(16, 60000, &t), FW_OK);
	ck_assert_int_eq(add(t, pkt, seg(pkt, 1, 40000, seq, SYN, NULL, 0), 0, &s), 0);
	seq++;
	/* three messages in one segment */
	n = msg(data, "one", 1, 0);
	n += msg(data + n, "two", 2, 0);
	n += msg(data + n, "three", 3, 0);
	ck_assert_int_eq(add(t, pkt, seg(pkt, 1, 40000, seq, ACK, data, n), 0, &s), 3);
	seq += (uint32_t)n;
	ck_assert_str_eq(s.qname[0], "one.example");
	ck_assert_str_eq(s.qname[2], "three.example");
	ck_assert_uint_eq(s.sport[1], 40000);
	/* one message in three pieces, the length prefix itself split */
	a = msg(data, "split", 4, 0);
	ck_assert_int_eq(add(t, pkt, seg(pkt, 1, 40000, seq, ACK, data, 1), 0, &s), 0);
	ck_assert_int_eq(add(t, pkt, seg(pkt, 1, 40000, seq + 1, ACK, data + 1, 9), 0, &s), 0);
	ck_assert_int_eq(add(t, pkt, seg(pkt, 1, 40000, seq + 10, ACK, data + 10, a - 10), 0, &s), 1);
	seq += (uint32_t)a;
	ck_assert_str_eq(s.qname[3], "split.example");
	ck_assert_uint_eq(s.len[3], a - 2);
	/* a retransmission of all of it, then one of the front of new data */
	ck_assert_int_eq(add(t, pkt, seg(pkt, 1, 40000, seq - (uint32_t)a, ACK, data, a), 0, &s), 0);
	b = msg(data, "after", 5, 0);
	ck_assert_int_eq(add(t, pkt, seg(pkt, 1, 40000, seq, ACK, data, 5), 0, &s), 0);
	ck_assert_int_eq(add(t, pkt, seg(pkt, 1, 40000, seq, ACK, data, b), 0, &s), 1);
	seq += (uint32_t)b;
	ck_assert_str_eq(s.qname[4], "after.example");
	ck_assert_uint_eq(fw_dnstcp_stats(t)->retransmits, 2);
	/* a message longer than the flow buffer, over two segments: the
	 * first FW_DNSTCP_KEEP bytes come out, the question intact */
	a = msg(data, "big", 6, 1500);
	ck_assert_int_eq(add(t, pkt, seg(pkt, 1, 40000, seq, ACK, data, 700), 0, &s), 0);
	ck_assert_int_eq(add(t, pkt, seg(pkt, 1, 40000, seq + 700, ACK, data + 700, a - 700), 0, &s), 1);
	seq += (uint32_t)a;
	ck_assert_str_eq(s.qname[5], "big.example");
	ck_assert_uint_eq(s.len[5], FW_DNSTCP_KEEP);
	ck_assert_uint_eq(fw_dnstcp_stats(t)->clipped, 1);
	/* half a message, then FIN: incomplete */
	a = msg(data, "cut", 7, 0);
	ck_assert_int_eq(add(t, pkt, seg(pkt, 1, 40000, seq, ACK | FIN, data, a / 2), 0, &s), 0);
	ck_assert_uint_eq(fw_dnstcp_stats(t)->drops[FW_DNSTCP_DROP_INCOMPLETE], 1);
	ck_assert_uint_eq(fw_dnstcp_stats(t)->messages, 6);
	/* not port 53 */
	n = seg(pkt, 1, 40000, 1, ACK, data, 10);
	pkt[23] = 80;
	ck_assert_int_eq(add(t, pkt, n, 0, &s), FW_EUNSUPPORTED);
	fw_dnstcp_free(t);
}
END_TEST

START_TEST(test_dnstcp_gap_and_resync)
{
	struct fw_dnstcp *t;
	struct seen s = { 0 };
	uint8_t pkt[4096], data[2048], bad[16];
	size_t a, b;
	const struct fw_dnstcp_stats *st;

	ck_assert_int_eq(fw_dnstcp_new(16, 60000, &t), FW_OK);
	st = fw_dnstcp_stats(t);
	/* no SYN seen (capture started mid-connection), a message begins */
	a = msg(data, "first", 1, 40);
	ck_assert_int_eq(add(t, pkt, seg(pkt, 3, 5000, 500, ACK, data, 40), 0, &s), 0);
	ck_assert_uint_eq(st->drops[FW_DNSTCP_DROP_UNSYNCED], 0);
	/* data lost: the rest of "first" never comes; the next segment is the
	 * middle of something: skipped until a plausible message start */
	ck_assert_int_eq(add(t, pkt, seg(pkt, 3, 5000, 600, ACK, data + 20, 10), 0, &s), 0);
	ck_assert_uint_eq(st->drops[FW_DNSTCP_DROP_GAP], 1);
	ck_assert_uint_eq(st->drops[FW_DNSTCP_DROP_UNSYNCED], 1);
	b = msg(data, "second", 2, 0);
	ck_assert_int_eq(add(t, pkt, seg(pkt, 3, 5000, 610, ACK, data, b), 0, &s), 1);
	ck_assert_str_eq(s.qname[0], "second.example");
	/* a length prefix under 12 (not DNS framing): counted, resync */
	memset(bad, 0, sizeof(bad));
	bad[1] = 3;
	ck_assert_int_eq(add(t, pkt, seg(pkt, 3, 5000, 610 + (uint32_t)b, ACK, bad, 5), 0, &s), 0);
	ck_assert_uint_eq(st->drops[FW_DNSTCP_DROP_BAD_LENGTH], 1);
	a = msg(data, "third", 3, 0);
	ck_assert_int_eq(add(t, pkt, seg(pkt, 3, 5000, 615 + (uint32_t)b, ACK, data, a), 0, &s), 1);
	ck_assert_str_eq(s.qname[1], "third.example");
	/* idle in the middle of a message: timed out */
	ck_assert_int_eq(add(t, pkt, seg(pkt, 4, 6000, 0, SYN, NULL, 0), 0, &s), 0);
	ck_assert_int_eq(add(t, pkt, seg(pkt, 4, 6000, 1, ACK, data, 4), 0, &s), 0);
	ck_assert_int_eq(add(t, pkt, seg(pkt, 5, 6000, 1, ACK, data, a), 60001, &s), 1);
	ck_assert_uint_eq(st->drops[FW_DNSTCP_DROP_TIMEOUT], 1);
	/* RST drops the flow */
	ck_assert_int_eq(add(t, pkt, seg(pkt, 5, 6000, 1 + (uint32_t)a, ACK | RST, NULL, 0), 60001, &s), 0);
	fw_dnstcp_flush(t);
	ck_assert_str_eq(fw_dnstcp_drop_name(FW_DNSTCP_DROP_GAP), "gap");
	fw_dnstcp_free(t);
}
END_TEST

START_TEST(test_dnstcp_flow_flood_bounded)
{
	struct fw_dnstcp *t;
	struct seen s = { 0 };
	uint8_t pkt[512], data[256];
	size_t a = msg(data, "x", 1, 0), bytes;

	ck_assert_int_eq(fw_dnstcp_new(8, 60000, &t), FW_OK);
	bytes = fw_dnstcp_bytes(t);
	/* 50000 connections each leaving half a message behind */
	for (uint32_t i = 0; i < 50000; i++) {
		ck_assert_int_eq(add(t, pkt, seg(pkt, (uint8_t)i, (uint16_t)(1024 + i), i, SYN, NULL, 0),
		    (int64_t)i / 10, &s), 0);
		ck_assert_int_eq(add(t, pkt, seg(pkt, (uint8_t)i, (uint16_t)(1024 + i), i + 1, ACK, data, a / 2),
		    (int64_t)i / 10, &s), 0);
	}
	ck_assert_uint_eq(fw_dnstcp_stats(t)->drops[FW_DNSTCP_DROP_EVICTED], 50000 - 8);
	ck_assert_uint_eq(fw_dnstcp_bytes(t), bytes);
	/* the newest ones are still there and complete */
	ck_assert_int_eq(add(t, pkt, seg(pkt, (uint8_t)49999, (uint16_t)(1024 + 49999), 50000 + (uint32_t)(a / 2),
	    ACK, data + a / 2, a - a / 2), 5000, &s), 1);
	fw_dnstcp_flush(t);
	ck_assert_uint_eq(fw_dnstcp_stats(t)->drops[FW_DNSTCP_DROP_INCOMPLETE], 7);
	ck_assert_int_eq(fw_dnstcp_new(0, 1, &t), FW_EINVAL);
	fw_dnstcp_free(NULL);
	fw_dnstcp_free(t);
}
END_TEST

Suite *
dnstcp_suite(void)
{
	Suite *s = suite_create("dnstcp");
	TCase *t = tcase_create("dnstcp");

	tcase_add_test(t, test_dnstcp_framing);
	tcase_add_test(t, test_dnstcp_gap_and_resync);
	tcase_add_test(t, test_dnstcp_flow_flood_bounded);
	tcase_set_timeout(t, 60);
	suite_add_tcase(s, t);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(dnstcp_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
