/*
 * check_ipfrag.c - IPv4/IPv6 fragment reassembly (fw_ipfrag.h): in and out
 * of order, duplicates, and the hostile cases: overlap (teardrop), RFC 1858
 * tiny fragments, bad lengths, datagrams over 64 KiB, a flood of
 * never-completed datagrams against a small table, timeouts.  Packets are
 * built here from the RFC 791 / RFC 8200 header layouts and dissected by
 * fw_pkt_l3(), as the readers do.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "fw_ipfrag.h"
#include "fw_pkt.h"

Suite *ipfrag_suite(void);

static uint8_t dgram[4096];   /* UDP header + payload of the test datagram */
static size_t dgram_len;

/* A UDP datagram 10.0.0.1:53 -> 10.0.0.2:4000 holding n payload bytes. */
static void
make_dgram(size_t n)
{
	dgram_len = 8 + n;
	dgram[0] = 0;
	dgram[1] = 53;
	dgram[2] = 4000 >> 8;
	dgram[3] = 4000 & 0xff;
	dgram[4] = (uint8_t)(dgram_len >> 8);
	dgram[5] = (uint8_t)dgram_len;
	dgram[6] = dgram[7] = 0;
	for (size_t i = 0; i < n; i++)
		dgram[8 + i] = (uint8_t)(i * 7 + 3);
}

/* IPv4 fragment of proto carrying data[off..off+len) of the datagram. */
static size_t
v4_frag(uint8_t *pkt, uint16_t id, uint8_t proto, size_t off, const uint8_t *data, size_t len, int more)
{
	size_t tot = 20 + len;

	memset(pkt, 0, 20);
	pkt[0] = 0x45;
	pkt[2] = (uint8_t)(tot >> 8);
	pkt[3] = (uint8_t)tot;
	pkt[4] = (uint8_t)(id >> 8);
	pkt[5] = (uint8_t)id;
	pkt[6] = (uint8_t)((more ? 0x20 : 0) | ((off / 8) >> 8));
	pkt[7] = (uint8_t)(off / 8);
	pkt[8] = 64;
	pkt[9] = proto;
	pkt[12] = 10, pkt[15] = 1;
	pkt[16] = 10, pkt[19] = 2;
	memcpy(pkt + 20, data, len);
	return tot;
}

/* IPv6 fragment (fragment header right after the fixed header). */
static size_t
v6_frag(uint8_t *pkt, uint32_t id, size_t off, const uint8_t *data, size_t len, int more)
{
	size_t plen = 8 + len;

	memset(pkt, 0, 48);
	pkt[0] = 0x60;
	pkt[4] = (uint8_t)(plen >> 8);
	pkt[5] = (uint8_t)plen;
	pkt[6] = 44;
	pkt[7] = 64;
	pkt[8] = 0x20, pkt[9] = 0x01, pkt[10] = 0x0d, pkt[11] = 0xb8, pkt[23] = 1;
	pkt[24] = 0x20, pkt[25] = 0x01, pkt[26] = 0x0d, pkt[27] = 0xb8, pkt[39] = 2;
	pkt[40] = 17;
	pkt[42] = (uint8_t)(off >> 8);
	pkt[43] = (uint8_t)((off & 0xf8) | (more ? 1 : 0));
	pkt[44] = (uint8_t)(id >> 24), pkt[45] = (uint8_t)(id >> 16), pkt[46] = (uint8_t)(id >> 8), pkt[47] = (uint8_t)id;
	memcpy(pkt + 48, data, len);
	return 48 + len;
}

/* Dissect pkt and offer it; returns fw_ipfrag_add()'s result. */
static int
offer(struct fw_ipfrag *f, const uint8_t *pkt, size_t len, int64_t t, struct fw_pkt_l3 *ip)
{
	ck_assert_int_eq(fw_pkt_l3(FW_LINK_RAW, pkt, len, ip), FW_OK);
	return fw_ipfrag_add(f, ip, t);
}

/* The completed datagram is the one we cut up. */
static void
assert_whole(const struct fw_pkt_l3 *ip)
{
	struct fw_udp u;

	ck_assert_int_eq(ip->frag, 0);
	ck_assert_uint_eq(ip->l4_len, dgram_len);
	ck_assert_int_eq(memcmp(ip->l4, dgram, dgram_len), 0);
	ck_assert_int_eq(fw_pkt_udp_of(ip, FW_OK, &u), FW_OK);
	ck_assert_uint_eq(u.sport, 53);
	ck_assert_uint_eq(u.dport, 4000);
	ck_assert_uint_eq(u.len, dgram_len - 8);
}

START_TEST(test_ipfrag_in_and_out_of_order)
{
	static const size_t orders[][3] = { { 0, 1, 2 }, { 2, 1, 0 }, { 1, 2, 0 }, { 2, 0, 1 } };
	struct fw_ipfrag *f;
	struct fw_pkt_l3 ip;
	uint8_t pkt[2048];

	make_dgram(1500);   /* 1508 bytes: 3 fragments of 512, 512, 484 */
	ck_assert_int_eq(fw_ipfrag_new(8, 30000, &f), FW_OK);
	for (size_t o = 0; o < 4; o++) {
		for (size_t k = 0; k < 3; k++) {
			size_t i = orders[o][k], off = i * 512, len = i < 2 ? 512 : dgram_len - 1024;
			size_t n = _i == 0 ? v4_frag(pkt, (uint16_t)(100 + o), 17, off, dgram + off, len, i < 2) :
			    v6_frag(pkt, (uint32_t)(0x10000 + o), off, dgram + off, len, i < 2);
			int rc = offer(f, pkt, n, 1000, &ip);

			ck_assert_int_eq(rc, k < 2 ? 0 : 1);
		}
		assert_whole(&ip);
		ck_assert_uint_eq(ip.version, _i == 0 ? 4 : 6);
	}
	ck_assert_uint_eq(fw_ipfrag_stats(f)->reassembled, 4);
	ck_assert_uint_eq(fw_ipfrag_stats(f)->fragments, 12);
	/* a whole packet passes untouched */
	make_dgram(20);
	{
		size_t n = v4_frag(pkt, 7, 17, 0, dgram, dgram_len, 0);

		ck_assert_int_eq(offer(f, pkt, n, 1000, &ip), 1);
		ck_assert_ptr_eq(ip.l4, pkt + 20);
	}
	fw_ipfrag_free(f);
}
END_TEST

START_TEST(test_ipfrag_duplicates_and_overlap)
{
	struct fw_ipfrag *f;
	struct fw_pkt_l3 ip;
	uint8_t pkt[2048];
	size_t n;

	make_dgram(40);     /* 48 bytes: 0..24, 24..48 */
	ck_assert_int_eq(fw_ipfrag_new(4, 30000, &f), FW_OK);
	n = v4_frag(pkt, 1, 17, 0, dgram, 24, 1);
	ck_assert_int_eq(offer(f, pkt, n, 0, &ip), 0);
	ck_assert_int_eq(offer(f, pkt, n, 0, &ip), 0);     /* exact copy: ignored */
	ck_assert_uint_eq(fw_ipfrag_stats(f)->duplicates, 1);
	n = v4_frag(pkt, 1, 17, 24, dgram + 24, 24, 0);
	ck_assert_int_eq(offer(f, pkt, n, 0, &ip), 1);
	assert_whole(&ip);

	/* Teardrop: the second fragment starts inside the first. */
	n = v4_frag(pkt, 2, 17, 0, dgram, 24, 1);
	ck_assert_int_eq(offer(f, pkt, n, 0, &ip), 0);
	n = v4_frag(pkt, 2, 17, 16, dgram + 16, 32, 0);
	ck_assert_int_lt(offer(f, pkt, n, 0, &ip), 0);
	ck_assert_uint_eq(fw_ipfrag_stats(f)->drops[FW_IPFRAG_DROP_OVERLAP], 1);
	/* the datagram is gone: the rest cannot complete it */
	n = v4_frag(pkt, 2, 17, 24, dgram + 24, 24, 0);
	ck_assert_int_eq(offer(f, pkt, n, 0, &ip), 0);
	/* Overlap from the other side, IPv6 (RFC 5722). */
	n = v6_frag(pkt, 9, 24, dgram + 24, 24, 0);
	ck_assert_int_eq(offer(f, pkt, n, 0, &ip), 0);
	n = v6_frag(pkt, 9, 0, dgram, 32, 1);
	ck_assert_int_lt(offer(f, pkt, n, 0, &ip), 0);
	ck_assert_uint_eq(fw_ipfrag_stats(f)->drops[FW_IPFRAG_DROP_OVERLAP], 2);
	ck_assert_uint_eq(fw_ipfrag_stats(f)->reassembled, 1);
	fw_ipfrag_flush(f);
	ck_assert_uint_eq(fw_ipfrag_stats(f)->drops[FW_IPFRAG_DROP_INCOMPLETE], 1);  /* id 2's tail */
	fw_ipfrag_free(f);
}
END_TEST

START_TEST(test_ipfrag_tiny_and_malformed)
{
	struct fw_ipfrag *f;
	struct fw_pkt_l3 ip;
	uint8_t pkt[70000], tcp[64];
	const struct fw_ipfrag_stats *st;
	size_t n;

	memset(tcp, 0, sizeof(tcp));
	tcp[1] = 53;
	tcp[12] = 0x50;
	make_dgram(100);
	ck_assert_int_eq(fw_ipfrag_new(4, 30000, &f), FW_OK);
	st = fw_ipfrag_stats(f);
	/* RFC 1858: a TCP first fragment of 8 bytes, then offset 8 */
	n = v4_frag(pkt, 1, 6, 0, tcp, 8, 1);
	ck_assert_int_lt(offer(f, pkt, n, 0, &ip), 0);
	n = v4_frag(pkt, 1, 6, 8, tcp, 16, 0);
	ck_assert_int_lt(offer(f, pkt, n, 0, &ip), 0);
	ck_assert_uint_eq(st->drops[FW_IPFRAG_DROP_TINY], 2);
	/* MF with a length not a multiple of 8 */
	n = v4_frag(pkt, 2, 17, 0, dgram, 20, 1);
	ck_assert_int_lt(offer(f, pkt, n, 0, &ip), 0);
	/* two different ends */
	n = v4_frag(pkt, 3, 17, 0, dgram, 16, 1);
	ck_assert_int_eq(offer(f, pkt, n, 0, &ip), 0);
	n = v4_frag(pkt, 3, 17, 32, dgram + 32, 8, 0);
	ck_assert_int_eq(offer(f, pkt, n, 0, &ip), 0);
	n = v4_frag(pkt, 3, 17, 48, dgram + 48, 8, 0);
	ck_assert_int_lt(offer(f, pkt, n, 0, &ip), 0);
	/* data past the end already known */
	n = v4_frag(pkt, 4, 17, 16, dgram + 16, 16, 1);
	ck_assert_int_eq(offer(f, pkt, n, 0, &ip), 0);
	n = v4_frag(pkt, 4, 17, 8, dgram + 8, 8, 0);
	ck_assert_int_lt(offer(f, pkt, n, 0, &ip), 0);
	ck_assert_uint_eq(st->drops[FW_IPFRAG_DROP_MALFORMED], 3);
	/* beyond 64 KiB of transport data (offset 65528 + 16 bytes) */
	n = v4_frag(pkt, 5, 17, 65528, dgram, 16, 0);
	ck_assert_int_lt(offer(f, pkt, n, 0, &ip), 0);
	ck_assert_uint_eq(st->drops[FW_IPFRAG_DROP_TOO_BIG], 1);
	/* other protocols are not kept */
	n = v4_frag(pkt, 6, 1, 0, dgram, 16, 1);
	ck_assert_int_lt(offer(f, pkt, n, 0, &ip), 0);
	ck_assert_uint_eq(st->other_proto, 1);
	/* a fragment cut by the snap length */
	n = v4_frag(pkt, 7, 17, 0, dgram, 64, 1);
	ck_assert_int_eq(fw_pkt_l3(FW_LINK_RAW, pkt, n - 10, &ip), FW_OK);
	ck_assert_int_lt(fw_ipfrag_add(f, &ip, 0), 0);
	ck_assert_uint_eq(st->drops[FW_IPFRAG_DROP_MALFORMED], 4);
	ck_assert_uint_eq(st->reassembled, 0);
	fw_ipfrag_free(f);
}
END_TEST

START_TEST(test_ipfrag_flood_bounded)
{
	struct fw_ipfrag *f;
	struct fw_pkt_l3 ip;
	uint8_t pkt[256];
	size_t bytes, n;
	const struct fw_ipfrag_stats *st;

	make_dgram(40);
	ck_assert_int_eq(fw_ipfrag_new(16, 30000, &f), FW_OK);
	st = fw_ipfrag_stats(f);
	bytes = fw_ipfrag_bytes(f);
	/* 100000 first fragments that never complete (spoofed ids), within
	 * the timeout: the table keeps 16, the oldest go first */
	for (uint32_t i = 0; i < 100000; i++) {
		n = v4_frag(pkt, (uint16_t)i, 17, 0, dgram, 24, 1);
		pkt[12] = (uint8_t)(i >> 16);   /* and spoofed sources */
		ck_assert_int_eq(offer(f, pkt, n, i / 100, &ip), 0);
	}
	ck_assert_uint_eq(st->drops[FW_IPFRAG_DROP_EVICTED], 100000 - 16);
	ck_assert_uint_eq(fw_ipfrag_bytes(f), bytes);
	/* a real datagram during the flood still completes */
	n = v4_frag(pkt, 0xbeef, 17, 0, dgram, 24, 1);
	ck_assert_int_eq(offer(f, pkt, n, 1000, &ip), 0);
	n = v4_frag(pkt, 0xbeef, 17, 24, dgram + 24, 24, 0);
	ck_assert_int_eq(offer(f, pkt, n, 1000, &ip), 1);
	assert_whole(&ip);
	/* and too many fragments for one datagram */
	for (size_t i = 0; i <= FW_IPFRAG_MAX_FRAGS; i++) {
		uint8_t eight[8] = { 0 };

		n = v4_frag(pkt, 0xcafe, 17, i * 8, i == 0 ? dgram : eight, 8, 1);
		(void)offer(f, pkt, n, 1000, &ip);
	}
	ck_assert_uint_eq(st->drops[FW_IPFRAG_DROP_TOO_MANY], 1);
	fw_ipfrag_free(f);
}
END_TEST

START_TEST(test_ipfrag_timeout)
{
	struct fw_ipfrag *f;
	struct fw_pkt_l3 ip;
	uint8_t pkt[256];
	size_t n;

	make_dgram(40);
	ck_assert_int_eq(fw_ipfrag_new(4, 30000, &f), FW_OK);
	n = v4_frag(pkt, 1, 17, 0, dgram, 24, 1);
	ck_assert_int_eq(offer(f, pkt, n, 0, &ip), 0);
	n = v4_frag(pkt, 1, 17, 24, dgram + 24, 24, 0);
	ck_assert_int_eq(offer(f, pkt, n, 30001, &ip), 0);   /* too late: a new datagram */
	ck_assert_uint_eq(fw_ipfrag_stats(f)->drops[FW_IPFRAG_DROP_TIMEOUT], 1);
	n = v4_frag(pkt, 1, 17, 0, dgram, 24, 1);
	ck_assert_int_eq(offer(f, pkt, n, 30000, &ip), 1);    /* in time (and time stepping back) */
	assert_whole(&ip);
	ck_assert_str_eq(fw_ipfrag_drop_name(FW_IPFRAG_DROP_TIMEOUT), "timeout");
	ck_assert_int_eq(fw_ipfrag_new(0, 1, &f), FW_EINVAL);
	fw_ipfrag_free(NULL);
	fw_ipfrag_free(f);
}
END_TEST

Suite *
ipfrag_suite(void)
{
	Suite *s = suite_create("ipfrag");
	TCase *t = tcase_create("ipfrag");

	tcase_add_loop_test(t, test_ipfrag_in_and_out_of_order, 0, 2);
	tcase_add_test(t, test_ipfrag_duplicates_and_overlap);
	tcase_add_test(t, test_ipfrag_tiny_and_malformed);
	tcase_add_test(t, test_ipfrag_flood_bounded);
	tcase_add_test(t, test_ipfrag_timeout);
	tcase_set_timeout(t, 60);
	suite_add_tcase(s, t);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(ipfrag_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
