/*
 * check_nf5.c - NetFlow v5 decoder against tshark's dissection of the real
 * capture tests/data/udpflood_nf5.pcap (pmacctd nfprobe), plus every
 * truncated prefix of every datagram and hand-made malformed headers.
 *
 * The expected records (tests/data/udpflood_nf5.expected.tsv) come from
 * tests/data/gen-nf5-expected.sh, i.e. from tshark, not from this decoder.
 */
#include <check.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fw_nf5.h"
#include "fw_pkt.h"
#include "fw_test_pcap.h"

Suite *nf5_suite(void);

#define CAPTURE "tests/data/udpflood_nf5.pcap"
#define EXPECTED "tests/data/udpflood_nf5.expected.tsv"
#define NDGRAMS 145
#define NRECORDS 4200

struct expect {
	unsigned frame, index;
	char src[16], dst[16];
	unsigned sport, dport, proto, tcpflags, tos, in_if, out_if;
	uint64_t pkts, bytes;
	int64_t start_ms, end_ms;
};

static struct fw_test_pcap cap;
static struct expect *exp_rec;
static size_t exp_n;

static void
load_expected(void)
{
	FILE *f = fopen(EXPECTED, "r");
	char line[512];

	ck_assert_msg(f != NULL, "cannot open %s (run from the project root)", EXPECTED);
	exp_rec = calloc(NRECORDS + 1, sizeof(*exp_rec));
	ck_assert_ptr_nonnull(exp_rec);
	exp_n = 0;
	while (fgets(line, sizeof(line), f) != NULL) {
		struct expect *e = &exp_rec[exp_n];
		char flags[16], tos[16];

		ck_assert_uint_lt(exp_n, NRECORDS + 1);
		ck_assert_int_eq(sscanf(line, "%u\t%u\t%15s\t%15s\t%u\t%u\t%u\t%" SCNu64 "\t%" SCNu64
		    "\t%15s\t%15s\t%u\t%u\t%" SCNd64 "\t%" SCNd64, &e->frame, &e->index, e->src, e->dst,
		    &e->sport, &e->dport, &e->proto, &e->pkts, &e->bytes, flags, tos, &e->in_if,
		    &e->out_if, &e->start_ms, &e->end_ms), 15);
		e->tcpflags = (unsigned)strtoul(flags, NULL, 0);
		e->tos = (unsigned)strtoul(tos, NULL, 0);
		exp_n++;
	}
	fclose(f);
}

static void
setup(void)
{
	ck_assert_int_eq(fw_test_pcap_load(CAPTURE, &cap), 0);
	ck_assert_uint_eq(cap.n, NDGRAMS);
	load_expected();
	ck_assert_uint_eq(exp_n, NRECORDS);
}

static void
teardown(void)
{
	fw_test_pcap_free(&cap);
	free(exp_rec);
	exp_rec = NULL;
}

/* The UDP payload of frame i, which must sniff as NetFlow v5. */
static struct fw_udp
datagram(size_t i)
{
	struct fw_udp u;

	ck_assert_int_eq(fw_pkt_udp(cap.linktype, cap.f[i].data, cap.f[i].len, &u), FW_OK);
	ck_assert_msg(fw_pkt_sniff(u.payload, u.len) == FW_PAYLOAD_NF5, "frame %zu not sniffed as nf5", i + 1);
	return u;
}

/* ---- valid ---- */

START_TEST(test_nf5_matches_tshark)
{
	struct fw_flow out[FW_NF5_MAX_RECS];
	size_t next = 0;

	for (size_t i = 0; i < cap.n; i++) {
		struct fw_udp u = datagram(i);
		struct fw_nf5_hdr h;
		int n = fw_nf5_decode(u.payload, u.len, &u.src, out, FW_NF5_MAX_RECS, &h);

		ck_assert_msg(n > 0, "frame %zu: %s", i + 1, fw_strerror(n));
		ck_assert_int_eq(n, h.count);
		ck_assert_uint_eq(h.sampling, 1);
		for (int r = 0; r < n; r++, next++) {
			const struct expect *e = &exp_rec[next];
			const struct fw_flow *fl = &out[r];
			char src[64], dst[64];

			ck_assert_uint_eq(e->frame, i + 1);
			ck_assert_uint_eq(e->index, (unsigned)r);
			fw_addr_format(&fl->src, src, sizeof(src));
			fw_addr_format(&fl->dst, dst, sizeof(dst));
			ck_assert_str_eq(src, e->src);
			ck_assert_str_eq(dst, e->dst);
			ck_assert_uint_eq(fl->sport, e->sport);
			ck_assert_uint_eq(fl->dport, e->dport);
			ck_assert_uint_eq(fl->proto, e->proto);
			ck_assert_uint_eq(fl->pkts, e->pkts);
			ck_assert_uint_eq(fl->bytes, e->bytes);
			ck_assert_uint_eq(fl->tcp_flags, e->tcpflags);
			ck_assert_uint_eq(fl->tos, e->tos);
			ck_assert_uint_eq(fl->in_if, e->in_if);
			ck_assert_uint_eq(fl->out_if, e->out_if);
			ck_assert_int_eq(fl->start_ms, e->start_ms);
			ck_assert_int_eq(fl->end_ms, e->end_ms);
			ck_assert_uint_eq(fl->source, FW_SRC_NF5);
			ck_assert_uint_eq(fl->sampling, 1);
			ck_assert_mem_eq(fl->exporter.b, u.src.b, 16);
		}
	}
	ck_assert_uint_eq(next, NRECORDS);
}
END_TEST

/* The capture's README: the flood's records span 1700000060.0 .. 99.99. */
START_TEST(test_nf5_flood_times)
{
	struct fw_flow out[FW_NF5_MAX_RECS];
	int64_t lo = INT64_MAX, hi = INT64_MIN;
	size_t flood = 0;

	for (size_t i = 0; i < cap.n; i++) {
		struct fw_udp u = datagram(i);
		int n = fw_nf5_decode(u.payload, u.len, &u.src, out, FW_NF5_MAX_RECS, NULL);

		ck_assert_int_gt(n, 0);
		for (int r = 0; r < n; r++) {
			char dst[64];
			fw_addr_format(&out[r].dst, dst, sizeof(dst));
			if (strcmp(dst, "198.51.100.53") != 0 || out[r].dport != 53 || out[r].bytes != 540)
				continue;
			flood++;
			if (out[r].end_ms < lo)
				lo = out[r].end_ms;
			if (out[r].end_ms > hi)
				hi = out[r].end_ms;
		}
	}
	ck_assert_uint_gt(flood, 2900);
	ck_assert_int_ge(lo, 1700000060000);
	ck_assert_int_lt(lo, 1700000061000);
	ck_assert_int_le(hi, 1700000100000);
	ck_assert_int_ge(hi, 1700000099000);
}
END_TEST

/* max smaller than count: the first max records, the same as a full decode. */
START_TEST(test_nf5_max_caps_output)
{
	struct fw_flow all[FW_NF5_MAX_RECS], some[FW_NF5_MAX_RECS];
	struct fw_udp u = datagram(0);
	int n = fw_nf5_decode(u.payload, u.len, &u.src, all, FW_NF5_MAX_RECS, NULL);

	ck_assert_int_gt(n, 3);
	ck_assert_int_eq(fw_nf5_decode(u.payload, u.len, &u.src, some, 3, NULL), 3);
	ck_assert_mem_eq(some, all, 3 * sizeof(all[0]));
	ck_assert_int_eq(fw_nf5_decode(u.payload, u.len, &u.src, some, 0, NULL), 0);
}
END_TEST

/* ---- truncated ---- */

/* Every strict prefix of datagram _i is refused (the count says more). */
START_TEST(test_nf5_truncated_prefixes)
{
	struct fw_udp u = datagram((size_t)_i);
	struct fw_flow *out = malloc(sizeof(*out) * FW_NF5_MAX_RECS);

	ck_assert_ptr_nonnull(out);
	/* Plain ifs in this loop: each passing ck_assert costs Check a write(2). */
	for (size_t len = 0; len < u.len; len++) {
		/* An exact-size copy, so ASan catches a read one byte past len. */
		uint8_t *copy = malloc(len ? len : 1);
		int n;

		if (copy == NULL)
			ck_abort_msg("out of memory");
		memcpy(copy, u.payload, len);
		out[0].pad[0] = 0xa5;
		n = fw_nf5_decode(copy, len, &u.src, out, FW_NF5_MAX_RECS, NULL);
		if (n != FW_ETRUNC)
			ck_abort_msg("frame %d prefix %zu: got %d, want FW_ETRUNC", _i + 1, len, n);
		if (out[0].pad[0] != 0xa5)
			ck_abort_msg("frame %d prefix %zu: output written on failure", _i + 1, len);
		if (fw_pkt_sniff(copy, len) == FW_PAYLOAD_NF5)
			ck_abort_msg("frame %d prefix %zu: sniffed as nf5", _i + 1, len);
		free(copy);
	}
	free(out);
}
END_TEST

/* ---- malformed / hand-made ---- */

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

/* A one-record datagram written from the Cisco v5 layout. */
static void
make_one(uint8_t b[FW_NF5_HDR_LEN + FW_NF5_REC_LEN])
{
	uint8_t *r = b + FW_NF5_HDR_LEN;

	memset(b, 0, FW_NF5_HDR_LEN + FW_NF5_REC_LEN);
	put16(b, 5);
	put16(b + 2, 1);
	put32(b + 4, 100000);           /* sysUptime 100 s */
	put32(b + 8, 1700000000);       /* unix_secs */
	put32(b + 12, 250000000);       /* unix_nsecs: .250 */
	put32(b + 16, 77);              /* flow_sequence */
	b[20] = 1;                      /* engine type */
	b[21] = 2;                      /* engine id */
	r[0] = 192; r[1] = 0; r[2] = 2; r[3] = 1;           /* src 192.0.2.1 */
	r[4] = 198; r[5] = 51; r[6] = 100; r[7] = 80;       /* dst 198.51.100.80 */
	put16(r + 12, 3);               /* input */
	put16(r + 14, 4);               /* output */
	put32(r + 16, 10);              /* dPkts */
	put32(r + 20, 400);             /* dOctets */
	put32(r + 24, 90000);           /* First: 10 s before export */
	put32(r + 28, 99000);           /* Last: 1 s before export */
	put16(r + 32, 40000);
	put16(r + 34, 80);
	r[37] = 0x02;                   /* SYN */
	r[38] = 6;
	r[39] = 0x10;
}

START_TEST(test_nf5_handmade_fields)
{
	uint8_t b[FW_NF5_HDR_LEN + FW_NF5_REC_LEN];
	struct fw_flow f;
	struct fw_nf5_hdr h;
	struct fw_addr exp;
	char s[64];
	static const uint8_t ex[4] = { 10, 0, 0, 1 };

	fw_addr_from_v4(&exp, ex);
	make_one(b);
	ck_assert_int_eq(fw_nf5_decode(b, sizeof(b), &exp, &f, 1, &h), 1);
	ck_assert_uint_eq(h.count, 1);
	ck_assert_uint_eq(h.uptime_ms, 100000);
	ck_assert_int_eq(h.export_ms, 1700000000250);
	ck_assert_uint_eq(h.flow_seq, 77);
	ck_assert_uint_eq(h.engine_type, 1);
	ck_assert_uint_eq(h.engine_id, 2);
	ck_assert_uint_eq(h.sampling, 1);
	fw_addr_format(&f.src, s, sizeof(s));
	ck_assert_str_eq(s, "192.0.2.1");
	fw_addr_format(&f.dst, s, sizeof(s));
	ck_assert_str_eq(s, "198.51.100.80");
	fw_addr_format(&f.exporter, s, sizeof(s));
	ck_assert_str_eq(s, "10.0.0.1");
	ck_assert_int_eq(f.start_ms, 1700000000250 - 10000);
	ck_assert_int_eq(f.end_ms, 1700000000250 - 1000);
	ck_assert_uint_eq(f.pkts, 10);
	ck_assert_uint_eq(f.bytes, 400);
	ck_assert_uint_eq(f.in_if, 3);
	ck_assert_uint_eq(f.out_if, 4);
	ck_assert_uint_eq(f.sport, 40000);
	ck_assert_uint_eq(f.dport, 80);
	ck_assert_uint_eq(f.tcp_flags, 0x02);
	ck_assert_uint_eq(f.proto, 6);
	ck_assert_uint_eq(f.tos, 0x10);
	ck_assert_uint_eq(f.obs_domain, 0x0102);
	ck_assert_int_eq(fw_pkt_sniff(b, sizeof(b)), FW_PAYLOAD_NF5);
}
END_TEST

START_TEST(test_nf5_sampling_applied)
{
	uint8_t b[FW_NF5_HDR_LEN + FW_NF5_REC_LEN];
	struct fw_flow f;
	struct fw_nf5_hdr h;
	struct fw_addr exp = { { 0 } };

	make_one(b);
	put16(b + 22, 0x4000 | 100);    /* mode 1 (deterministic), 1 in 100 */
	ck_assert_int_eq(fw_nf5_decode(b, sizeof(b), &exp, &f, 1, &h), 1);
	ck_assert_uint_eq(h.sampling, 100);
	ck_assert_uint_eq(f.sampling, 100);
	ck_assert_uint_eq(f.pkts, 1000);
	ck_assert_uint_eq(f.bytes, 40000);
	put16(b + 22, 0x3fff);          /* largest interval, mode 0 */
	ck_assert_int_eq(fw_nf5_decode(b, sizeof(b), &exp, &f, 1, &h), 1);
	ck_assert_uint_eq(f.pkts, 10ULL * 16383);
	/* Counters at their maximum do not wrap once multiplied. */
	put32(b + FW_NF5_HDR_LEN + 20, 0xffffffffu);
	ck_assert_int_eq(fw_nf5_decode(b, sizeof(b), &exp, &f, 1, &h), 1);
	ck_assert_uint_eq(f.bytes, 0xffffffffULL * 16383);
}
END_TEST

/* sysUptime wrapped (49.7 days) between the flow and the export. */
START_TEST(test_nf5_uptime_wrap)
{
	uint8_t b[FW_NF5_HDR_LEN + FW_NF5_REC_LEN];
	struct fw_flow f;
	struct fw_addr exp = { { 0 } };

	make_one(b);
	put32(b + 4, 1000);                                /* uptime just after the wrap */
	put32(b + FW_NF5_HDR_LEN + 24, 0xffffff00u);       /* First: 1256 ms before export */
	put32(b + FW_NF5_HDR_LEN + 28, 500);               /* Last: 500 ms before */
	ck_assert_int_eq(fw_nf5_decode(b, sizeof(b), &exp, &f, 1, NULL), 1);
	ck_assert_int_eq(f.start_ms, 1700000000250 - 1256);
	ck_assert_int_eq(f.end_ms, 1700000000250 - 500);
	/* First after Last (exporter bug): start is clamped to end. */
	put32(b + FW_NF5_HDR_LEN + 24, 900);
	ck_assert_int_eq(fw_nf5_decode(b, sizeof(b), &exp, &f, 1, NULL), 1);
	ck_assert_int_eq(f.start_ms, f.end_ms);
}
END_TEST

START_TEST(test_nf5_bad_version_count)
{
	uint8_t b[FW_NF5_HDR_LEN + 31 * FW_NF5_REC_LEN];
	struct fw_flow *out = calloc(31, sizeof(*out));
	struct fw_addr exp = { { 0 } };

	ck_assert_ptr_nonnull(out);
	memset(b, 0, sizeof(b));
	make_one(b);
	put16(b, 9);
	ck_assert_int_eq(fw_nf5_decode(b, FW_NF5_HDR_LEN + FW_NF5_REC_LEN, &exp, out, 31, NULL), FW_EMALFORMED);
	put16(b, 1);
	ck_assert_int_eq(fw_nf5_decode(b, FW_NF5_HDR_LEN + FW_NF5_REC_LEN, &exp, out, 31, NULL), FW_EMALFORMED);
	put16(b, 5);
	put16(b + 2, 0);
	ck_assert_int_eq(fw_nf5_decode(b, FW_NF5_HDR_LEN + FW_NF5_REC_LEN, &exp, out, 31, NULL), FW_EMALFORMED);
	/* 31 records, all present: still above the format's limit of 30. */
	put16(b + 2, 31);
	ck_assert_int_eq(fw_nf5_decode(b, sizeof(b), &exp, out, 31, NULL), FW_EMALFORMED);
	ck_assert_int_ne(fw_pkt_sniff(b, sizeof(b)), FW_PAYLOAD_NF5);
	/* 30 all present: accepted (the limit is inclusive). */
	put16(b + 2, 30);
	ck_assert_int_eq(fw_nf5_decode(b, FW_NF5_HDR_LEN + 30 * FW_NF5_REC_LEN, &exp, out, 31, NULL), 30);
	/* Count 2 with one record: truncated. */
	put16(b + 2, 2);
	ck_assert_int_eq(fw_nf5_decode(b, FW_NF5_HDR_LEN + FW_NF5_REC_LEN, &exp, out, 31, NULL), FW_ETRUNC);
	/* Trailing bytes after count records are ignored by the decoder. */
	put16(b + 2, 1);
	ck_assert_int_eq(fw_nf5_decode(b, FW_NF5_HDR_LEN + FW_NF5_REC_LEN + 7, &exp, out, 31, NULL), 1);
	free(out);
}
END_TEST

Suite *
nf5_suite(void)
{
	Suite *s = suite_create("nf5");
	TCase *v = tcase_create("valid"), *t = tcase_create("truncated"), *m = tcase_create("malformed");

	tcase_add_unchecked_fixture(v, setup, teardown);
	tcase_add_test(v, test_nf5_matches_tshark);
	tcase_add_test(v, test_nf5_flood_times);
	tcase_add_test(v, test_nf5_max_caps_output);
	tcase_add_test(v, test_nf5_handmade_fields);
	tcase_add_test(v, test_nf5_sampling_applied);
	tcase_add_test(v, test_nf5_uptime_wrap);
	tcase_add_unchecked_fixture(t, setup, teardown);
	tcase_add_loop_test(t, test_nf5_truncated_prefixes, 0, NDGRAMS);
	tcase_add_test(m, test_nf5_bad_version_count);
	tcase_set_timeout(v, 30);
	tcase_set_timeout(t, 30);
	tcase_set_timeout(m, 10);
	suite_add_tcase(s, v);
	suite_add_tcase(s, t);
	suite_add_tcase(s, m);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(nf5_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
