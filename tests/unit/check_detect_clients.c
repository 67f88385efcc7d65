/*
 * check_detect_clients.c - the default mode (no detector.networks) on a
 * network of clients: 1,000 clients in four /24s download (TCP and QUIC
 * from port 443, DNS and NTP answers) in sessions that start and stop,
 * and send their ACKs and requests to ten servers.  Nothing of that is an
 * attack: no alert, no client address in the victim table, no eviction,
 * and the reply records are counted (client_replies).  Floods aimed at a
 * client are still found: DNS amplification and a SYN flood on the client
 * itself, a spoofed ACK flood "from port 443" on its /24.  Through the
 * public API with synthetic records, deterministic.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fw_test_detect.h"

Suite *detect_clients_suite(void);

#define T0 FW_TEST_T0_MS
#define SECS 300
#define NCLIENT 1000
#define MAX_REC 8192

enum attack { AT_NONE, AT_DNSAMP, AT_SYN, AT_ACK443 };

static struct fw_flow recs[MAX_REC];

/* Client c: 100.64.(c / 250).(1 + c % 250). */
static void
client_addr(struct fw_addr *a, uint32_t c)
{
	fw_test_v4(a, 100, 64, (uint8_t)(c / 250), (uint8_t)(1 + c % 250));
}

static struct fw_flow *
rec(size_t *n, int64_t t, uint8_t proto, uint8_t flags, uint16_t sport, uint16_t dport, uint64_t pkts,
    uint64_t bytes)
{
	struct fw_flow *f;

	ck_assert_uint_lt(*n, MAX_REC);
	f = &recs[(*n)++];
	fw_test_flow(f, t, proto, flags, sport, dport, pkts, bytes);
	f->end_ms = t + 900;
	f->ttl = 52;
	f->source = FW_SRC_IPFIX;
	return f;
}

/* Second s of the client network: downloads, answers, requests. */
static void
clients_second(int s, size_t *n)
{
	int64_t t = T0 + (int64_t)s * 1000;

	for (uint32_t c = 0; c < NCLIENT; c++) {
		uint64_t h = fw_test_mix(c);
		int period = 60 + (int)(h % 120), on = 10 + (int)((h >> 8) % 30), phase = (int)((h >> 16) % 180);
		uint64_t pps = 100 + (h >> 24) % 800;
		uint16_t eph = (uint16_t)(32768 + (h >> 40) % 28000 + (uint64_t)s / 97);
		struct fw_addr cl, srv;
		struct fw_flow *f;

		client_addr(&cl, c);
		fw_test_v4(&srv, 198, 51, 100, (uint8_t)(10 + c % 10));
		if ((s + phase) % period < on) {
			/* A download: TCP or QUIC from the server's 443, and the
			 * client's ACKs back to it. */
			int quic = (h >> 36) % 3 == 0;

			f = rec(n, t + (int64_t)(h % 100), quic ? 17 : 6, quic ? 0 : 0x18, 443, eph, pps, pps * 1350);
			f->src = srv;
			f->dst = cl;
			f = rec(n, t + (int64_t)(h % 100), quic ? 17 : 6, quic ? 0 : 0x18, eph, 443, pps / 20 + 1,
			    (pps / 20 + 1) * 60);
			f->src = cl;
			f->dst = srv;
		}
		if ((s + phase) % 10 == 0) {
			/* A DNS answer from the resolver, and (rarely) NTP. */
			f = rec(n, t + 400, 17, 0, 53, (uint16_t)(eph + 7), 2, 2 * 140);
			fw_test_v4(&f->src, 198, 51, 100, 2);
			f->dst = cl;
		}
		if ((s + phase) % 64 == 0) {
			f = rec(n, t + 600, 17, 0, 123, (uint16_t)(eph + 9), 1, 76);
			fw_test_v4(&f->src, 198, 51, 100, 3);
			f->dst = cl;
		}
	}
}

/* Attack records for second s on client 100.64.1.77 (c = 326). */
static void
attack_second(enum attack a, int s, size_t *n)
{
	int64_t t = T0 + (int64_t)s * 1000;
	struct fw_addr victim;

	client_addr(&victim, 326);
	for (uint32_t i = 0; i < 200; i++) {
		uint64_t h = fw_test_mix((uint64_t)s * 1000 + i);
		struct fw_flow *f;

		if (a == AT_DNSAMP) {
			/* 300 open resolvers, large answers: 40 kpps. */
			f = rec(n, t + (int64_t)(h % 1000), 17, 0, 53, (uint16_t)(1024 + h % 60000), 200, 200 * 1400);
			fw_test_v4(&f->src, 192, 0, 2, (uint8_t)(h % 250));
			f->src.b[14] = (uint8_t)(h >> 20);
		} else if (a == AT_SYN) {
			f = rec(n, t + (int64_t)(h % 1000), 6, 0x02, (uint16_t)(1024 + h % 60000), 22, 50, 50 * 60);
			fw_test_v4(&f->src, (uint8_t)(1 + (h >> 8) % 220), (uint8_t)(h >> 16), (uint8_t)(h >> 24), (uint8_t)(h >> 32));
		} else if (a == AT_ACK443) {
			/* Spoofed ACKs "from port 443" to random ports: 200 kpps,
			 * reply traffic by its looks. */
			f = rec(n, t + (int64_t)(h % 1000), 6, 0x10, 443, (uint16_t)(1024 + h % 60000), 1000, 1000 * 60);
			fw_test_v4(&f->src, (uint8_t)(1 + (h >> 8) % 220), (uint8_t)(h >> 16), (uint8_t)(h >> 24), (uint8_t)(h >> 32));
		} else {
			return;
		}
		f->end_ms = f->start_ms;
		f->dst = victim;
	}
}

/* The client network for SECS seconds, an attack from 150 s to 190 s;
 * events into s, counters into st. */
static void
run(enum attack a, const char *set, struct fw_test_sink *s, struct fw_detect_stats *st)
{
	const char *const sets[] = { set, NULL };
	struct fw_config cfg;
	struct fw_detect *d;

	fw_test_config(&cfg, sets);
	d = fw_test_detect_new(&cfg, s);
	for (int sec = 0; sec < SECS; sec++) {
		size_t n = 0;

		clients_second(sec, &n);
		if (sec >= 150 && sec < 190)
			attack_second(a, sec, &n);
		fw_detect_flows(d, recs, n);
	}
	fw_test_detect_end(d, st);
}

/* 1,000 clients downloading: no alert, no client tracked, nothing evicted. */
START_TEST(test_clients_download_no_victims)
{
	struct fw_test_sink *s = calloc(1, sizeof(*s));
	struct fw_detect_stats st;

	run(AT_NONE, NULL, s, &st);
	ck_assert_msg(s->n == 0, "%zu events, the first on %s", s->n, s->n ? s->ev[0].victim : "");
	ck_assert_uint_eq(st.alerts_started, 0);
	/* Ten servers, their /24, the four client /24s (and the resolver's
	 * and NTP server's hosts): never a client. */
	ck_assert_uint_le(st.victims, 20);
	ck_assert_uint_gt(st.client_replies, 100000);
	ck_assert_uint_eq(st.evicted_lru, 0);
	ck_assert_uint_eq(st.evicted, 0);
	ck_assert_uint_eq(st.victims_full, 0);
	/* A table smaller than the clients: still nothing to evict. */
	run(AT_NONE, "detector.max_victims=64", s, &st);
	ck_assert_uint_eq(s->n, 0);
	ck_assert_uint_eq(st.evicted_lru, 0);
	ck_assert_uint_eq(st.victims_full, 0);
	/* With detector.networks every destination inside is a victim, as
	 * the operator asked: the clients are tracked. */
	run(AT_NONE, "detector.networks=100.64.0.0/22, 198.51.100.0/24", s, &st);
	ck_assert_uint_eq(st.client_replies, 0);
	ck_assert_uint_gt(st.victims, NCLIENT / 2);
	free(s);
}
END_TEST

/* DNS amplification and a SYN flood on a client: the client's alert. */
START_TEST(test_clients_attacked_client_alerts)
{
	struct fw_test_sink *s = calloc(1, sizeof(*s));
	struct fw_detect_stats st;

	run(AT_DNSAMP, NULL, s, &st);
	ck_assert_uint_eq(fw_test_count_of(s, FW_EV_START, "100.64.1.77", FW_VEC_DNS_AMPLIFICATION), 1);
	ck_assert_uint_eq(st.alerts_started, 1);
	run(AT_SYN, NULL, s, &st);
	ck_assert_uint_eq(fw_test_count_of(s, FW_EV_START, "100.64.1.77", FW_VEC_SYN_FLOOD), 1);
	ck_assert_uint_eq(st.alerts_started, 1);
	free(s);
}
END_TEST

/* A spoofed ACK flood "from port 443" looks like replies: its /24 alerts,
 * with the client as the top destination. */
START_TEST(test_clients_ack_from_443_seen_on_prefix)
{
	struct fw_test_sink *s = calloc(1, sizeof(*s));
	struct fw_detect_stats st;

	run(AT_ACK443, NULL, s, &st);
	ck_assert_uint_eq(fw_test_count_of(s, FW_EV_START, "100.64.1.0/24", FW_VEC_ACK_FLOOD), 1);
	ck_assert_uint_eq(st.alerts_started, 1);
	ck_assert_ptr_nonnull(strstr(s->ev[0].evidence, "\"top_destinations\":[{\"addr\":\"100.64.1.77\""));
	free(s);
}
END_TEST

Suite *
detect_clients_suite(void)
{
	Suite *s = suite_create("detect_clients");
	TCase *v = tcase_create("valid");

	tcase_add_test(v, test_clients_download_no_victims);
	tcase_add_test(v, test_clients_attacked_client_alerts);
	tcase_add_test(v, test_clients_ack_from_443_seen_on_prefix);
	tcase_set_timeout(v, 120);
	suite_add_tcase(s, v);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(detect_clients_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
