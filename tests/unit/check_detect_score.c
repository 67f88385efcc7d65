/*
 * check_detect_score.c - the flow scoring rules of issue 12 through the
 * public fw_detect API, on synthetic records from a fixed-seed PRNG:
 *  - one 5-tuple at 40 kpps is one session, not a flood: no alert, and the
 *    single_source counter counts its windows;
 *  - a spoofed UDP flood of 6 kpps on a server that takes 2.1 kpps of TCP
 *    (the total stays under 4 x its baseline) is a udp_flood within 3
 *    windows: the UDP class never came before;
 *  - a spoofed UDP flood through sFlow 1:2048 that triples a victim's
 *    rate (about 1 sample/s before, 3 during) alerts within 15 windows, on
 *    the 10- or 60-window resolution, named in the evidence;
 *  - single 1:64 samples on a quiet victim (64 "pps" each, over the 50 pps
 *    floor) in three windows in a row: nothing;
 *  - a noisy background (Poisson counts, lognormal burstiness, heavy-tailed
 *    rates over three orders of magnitude, unsampled and sampled 1:64 to
 *    1:4096 victims, one-session bursts) for an hour: no alert.
 * The expectations are the scenarios' construction, never read off the
 * detector.  Default configuration throughout.
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fw_test_detect.h"

Suite *detect_score_suite(void);

#define T0 FW_TEST_T0_MS
#define MAX_REC 40000

static struct fw_test_sink sk;
static struct fw_flow recs[MAX_REC];
static size_t nrec;
static uint64_t rs;

static uint64_t
rnd(void)
{
	return fw_test_rnd(&rs);
}

/* Poisson count of mean lam (Knuth for small means, normal beyond). */
static uint64_t
poisson(double lam)
{
	if (lam > 30) {
		double u1 = fw_test_unif(&rs) + 1e-12, u2 = fw_test_unif(&rs);
		double x = lam + sqrt(lam) * sqrt(-2 * log(u1)) * cos(6.283185307 * u2);

		return x > 0 ? (uint64_t)(x + 0.5) : 0;
	} else {
		double l = exp(-lam), p = 1;
		uint64_t k = 0;

		do {
			k++;
			p *= fw_test_unif(&rs);
		} while (p > l);
		return k - 1;
	}
}

static double
gauss(void)
{
	return sqrt(-2 * log(fw_test_unif(&rs) + 1e-12)) * cos(6.283185307 * fw_test_unif(&rs));
}

/* A record of pkts (after sampling) to dst at second sec; src random in 600 /16s unless given. */
static struct fw_flow *
rec(int sec, uint32_t dst, uint8_t proto, uint8_t flags, uint16_t dport, uint64_t pkts, uint32_t size,
    uint32_t sampling)
{
	struct fw_flow *f;
	/* One draw after the other: the stream is the scenario. */
	int64_t t = T0 + sec * 1000LL + (int64_t)(rnd() % 1000);
	uint32_t src = (uint32_t)(0x0b000000u + (uint32_t)(rnd() % 600) * 0x10000u + (uint32_t)(rnd() % 0xfffe) + 1);
	uint16_t sport = (uint16_t)(1024 + rnd() % 60000);

	ck_assert_uint_lt(nrec, MAX_REC);
	f = &recs[nrec++];
	fw_test_flow(f, t, proto, flags, sport, dport, pkts, pkts * size);
	fw_test_v4u(&f->src, src);
	fw_test_v4u(&f->dst, dst);
	f->sampling = sampling;
	f->ttl = (uint8_t)(40 + rnd() % 20);
	f->source = sampling > 1 ? FW_SRC_SFLOW : FW_SRC_NF9;
	return f;
}

/* n packets of real traffic to dst in second sec, as records of a few packets each. */
static void
traffic(int sec, uint32_t dst, uint8_t proto, uint8_t flags, uint16_t dport, uint64_t n, uint32_t size)
{
	while (n > 0) {
		uint64_t p = 1 + rnd() % 8;

		if (p > n)
			p = n;
		rec(sec, dst, proto, flags, dport, p, size, 1);
		n -= p;
	}
}

/* Samples at 1:s of a stream of rate pps to dst in second sec: one record each. */
static void
sampled(int sec, uint32_t dst, uint8_t proto, uint8_t flags, uint16_t dport, double pps, uint32_t size, uint32_t s)
{
	for (uint64_t k = poisson(pps / s); k > 0; k--)
		rec(sec, dst, proto, flags, dport, s, size, s);
}

static void
feed(struct fw_detect *d)
{
	fw_detect_flows(d, recs, nrec);
	nrec = 0;
}

static size_t
starts(void)
{
	return fw_test_count(&sk, FW_EV_START);
}

/* A few benign servers around, so event time moves on as in life. */
static void
others(int sec)
{
	for (uint32_t h = 10; h < 20; h++)
		traffic(sec, 0xc6336400u + h, 6, 0x18, 443, poisson(30), 700);
}

#define VICTIM 0xc6336450u     /* 198.51.100.80 */

START_TEST(test_score_single_session_no_alert)
{
	/* A server with ~20 pps from many clients gets one 5-tuple (a backup
	 * transfer) at 40 kpps for 40 s, exported as one record a second. */
	struct fw_detect *d;
	struct fw_detect_stats st;

	rs = 0x1234567;
	d = fw_test_detect_new(NULL, &sk);
	for (int s = 0; s < 150; s++) {
		others(s);
		traffic(s, VICTIM, 6, 0x18, 443, poisson(20), 600);
		if (s >= 60 && s < 100) {
			struct fw_flow *f = rec(s, VICTIM, 6, 0x10, 22, 40000, 1500, 1);

			f->start_ms = T0 + s * 1000LL;
			f->end_ms = f->start_ms + 999;
			fw_test_v4u(&f->src, 0xcb007107u);  /* 203.0.113.7:50000 -> :22 */
			f->sport = 50000;
		}
		feed(d);
	}
	fw_test_detect_end(d, &st);
	ck_assert_msg(sk.n == 0, "%zu events, first %s %s", sk.n, sk.n ? sk.ev[0].victim : "",
	    sk.n ? fw_vector_name(sk.ev[0].vector) : "");
	ck_assert_uint_eq(st.alerts_started, 0);
	/* Its hot windows (host and /24) are counted, one per window at least. */
	ck_assert_uint_ge(st.single_source, 30);
}
END_TEST

/* A server with ~40 pps of TCP from many clients; from 300 s to 320 s,
 * nsrc sources send it 240 pps of UDP 443 together (records of a second
 * each, the packets shared evenly). */
static void
quic_burst(int nsrc, struct fw_detect_stats *st)
{
	struct fw_detect *d;

	rs = 0x51c0ffee;
	d = fw_test_detect_new(NULL, &sk);
	for (int s = 0; s < 400; s++) {
		others(s);
		traffic(s, VICTIM, 6, 0x18, 443, poisson(40), 700);
		for (int k = 0; s >= 300 && s < 320 && k < nsrc; k++) {
			struct fw_flow *f = rec(s, VICTIM, 17, 0, 443, (uint64_t)(240 / nsrc), 1200, 1);

			f->start_ms = T0 + s * 1000LL;
			f->end_ms = f->start_ms + 990;
			fw_test_v4u(&f->src, 0x0c220000u + (uint32_t)k * 0x1013u);
			f->sport = (uint16_t)(40000 + k);
		}
		feed(d);
	}
	fw_test_detect_end(d, st);
}

START_TEST(test_score_few_sources_no_alert)
{
	/* Six QUIC downloads at once (6x the server's rate, no two carrying
	 * its rise) bring no new sources to speak of: no alert, few_sources. */
	struct fw_detect_stats st;

	quic_burst(6, &st);
	ck_assert_msg(starts() == 0, "%zu starts, first %s %s", starts(), sk.n ? sk.ev[0].victim : "",
	    sk.n ? fw_vector_name(sk.ev[0].vector) : "");
	ck_assert_msg(st.few_sources >= 3, "few %llu single %llu supp %llu", (unsigned long long)st.few_sources, (unsigned long long)st.single_source, (unsigned long long)st.suppressed);
	/* The same rise from 40 sources (a small botnet) is a flood. */
	quic_burst(40, &st);
	ck_assert_int_eq(starts(), 1);
	ck_assert_str_eq(sk.ev[0].victim, "198.51.100.80");
	ck_assert_str_eq(fw_vector_name(sk.ev[0].vector), "udp_flood");
	ck_assert_int_ge(sk.ev[0].started_ms, T0 + 300000);
	ck_assert_int_le(sk.ev[0].updated_ms, T0 + 303000);
}
END_TEST

START_TEST(test_score_udp_class_on_busy_tcp_server)
{
	/* 2.1 kpps of HTTPS (clients' ACKs, a few SYNs), then from 60 s to
	 * 100 s a spoofed UDP flood of 6 kpps: 8.1 kpps in all, under 4 x
	 * 2.1 kpps.  The UDP class is new: udp_flood within 3 windows. */
	struct fw_detect *d;
	const struct fw_alert_ev *s0 = NULL;

	rs = 0xfeedbeef;
	d = fw_test_detect_new(NULL, &sk);
	for (int s = 0; s < 130; s++) {
		others(s);
		traffic(s, VICTIM, 6, 0x10, 443, poisson(2000), 80);
		traffic(s, VICTIM, 6, 0x02, 443, poisson(100), 60);
		if (s >= 60 && s < 100)
			for (int i = 0; i < 3000; i++)
				rec(s, VICTIM, 17, 0, (uint16_t)rnd(), 2, 512, 1);
		feed(d);
	}
	fw_test_detect_end(d, NULL);
	for (size_t i = 0; i < sk.n && i < FW_TEST_MAX_EV; i++)
		if (sk.ev[i].event == FW_EV_START)
			s0 = &sk.ev[i];
	ck_assert_int_eq(starts(), 1);
	ck_assert_ptr_nonnull(s0);
	ck_assert_str_eq(s0->victim, "198.51.100.80");
	ck_assert_str_eq(fw_vector_name(s0->vector), "udp_flood");
	ck_assert_int_ge(s0->started_ms, T0 + 60000);
	ck_assert_int_le(s0->updated_ms, T0 + 63000);  /* 3 windows after the onset */
	ck_assert_ptr_nonnull(strstr(s0->evidence, "\"metric\":\"udp\""));
}
END_TEST

START_TEST(test_score_sampled_flood_coarse_resolution)
{
	/* sFlow 1:2048: a server's 2 kpps of TCP gives ~1 sample/s; a spoofed
	 * UDP flood of 4 kpps (3x the victim's rate) from 243 s to 300 s adds
	 * ~2 samples/s, each from its own source.  Seconds hold 0 to 8
	 * samples: no three in a row stand out, ten seconds do. */
	struct fw_detect *d;
	const struct fw_alert_ev *s0 = NULL;

	rs = 0xabcdef;
	d = fw_test_detect_new(NULL, &sk);
	for (int s = 0; s < 340; s++) {
		others(s);
		sampled(s, VICTIM, 6, 0x10, 443, 2048, 900, 2048);
		if (s >= 243 && s < 300)
			sampled(s, VICTIM, 17, 0, 53, 4096, 512, 2048);
		feed(d);
	}
	fw_test_detect_end(d, NULL);
	for (size_t i = 0; i < sk.n && i < FW_TEST_MAX_EV; i++)
		if (sk.ev[i].event == FW_EV_START && s0 == NULL)
			s0 = &sk.ev[i];
	ck_assert_int_eq(starts(), 1);
	ck_assert_ptr_nonnull(s0);
	ck_assert_str_eq(s0->victim, "198.51.100.80");
	ck_assert_str_eq(fw_vector_name(s0->vector), "udp_flood");
	ck_assert_msg(s0->started_ms >= T0 + 240000, "%s", s0->evidence);
	ck_assert_msg(s0->updated_ms <= T0 + 243000 + 15000, "start at +%.0f s",
	    (double)(s0->updated_ms - T0) / 1000);
	ck_assert_msg(strstr(s0->evidence, "\"resolution_s\":10") != NULL ||
	    strstr(s0->evidence, "\"resolution_s\":60") != NULL, "%s", s0->evidence);
	ck_assert_ptr_nonnull(strstr(s0->evidence, "\"sampling\":2048"));
}
END_TEST

START_TEST(test_score_single_samples_quiet_victim)
{
	/* A quiet server (~1 pps, unsampled) seen through one more exporter
	 * sampling 1:64: one sample (64 "pps", over the 50 pps floor) in each
	 * of three windows in a row, every 20 s. */
	struct fw_detect *d;
	struct fw_detect_stats st;

	rs = 0x5151;
	d = fw_test_detect_new(NULL, &sk);
	for (int s = 0; s < 200; s++) {
		others(s);
		traffic(s, VICTIM, 6, 0x18, 443, poisson(1), 600);
		if (s >= 60 && s % 20 < 3)
			rec(s, VICTIM, 6, 0x18, 443, 64, 600, 64);
		feed(d);
	}
	fw_test_detect_end(d, &st);
	ck_assert_msg(sk.n == 0, "%zu events, first %s", sk.n, sk.n ? sk.ev[0].evidence : "");
	ck_assert_uint_eq(st.alerts_started, 0);
}
END_TEST

/* ---- the noisy background ---- */

#define NV 300

struct server {
	uint32_t addr;
	double pps;                /* mean real rate */
	uint32_t samp;             /* 1 = unsampled */
	uint8_t proto, flags;
	uint16_t port;
};

START_TEST(test_score_noisy_background_no_alert)
{
	/*
	 * 300 servers in 12 /24s, mean rates log-uniform over 0.3 .. 600 pps,
	 * each second's rate a lognormal factor (sd 0.5) away from the mean and
	 * the count Poisson; a fifth sampled (1:64 .. 1:4096); services HTTPS
	 * (TCP), QUIC or DNS (UDP), NTP; now and then a one-session burst
	 * (one client, 10 to 50 x the server's rate, 2 to 5 s).  3600 windows,
	 * no alert.
	 */
	static struct server sv[NV];
	static const uint32_t samps[] = { 64, 256, 1024, 2048, 4096 };
	struct burst {
		const struct server *v;
		double x;
		int left;
	} bu[8];
	int nb = 0;
	struct fw_detect *d;
	struct fw_detect_stats st;

	rs = 0x777;
	for (int i = 0; i < NV; i++) {
		struct server *v = &sv[i];
		int kind = (int)(rnd() % 4);

		v->addr = 0xc6336400u + (uint32_t)(i / 25) * 0x100u + (uint32_t)(10 + i % 25);
		v->pps = 0.3 * pow(2000.0, fw_test_unif(&rs));
		v->samp = i % 5 == 0 ? samps[rnd() % 5] : 1;
		v->proto = kind <= 1 ? 6 : 17;
		v->flags = kind <= 1 ? 0x18 : 0;
		v->port = kind == 0 ? 443 : kind == 1 ? 80 : kind == 2 ? 53 : 123;
	}
	d = fw_test_detect_new(NULL, &sk);
	for (int s = 0; s < 3600; s++) {
		for (int i = 0; i < NV; i++) {
			const struct server *v = &sv[i];
			double x = v->pps * exp(0.5 * gauss() - 0.125);

			if (v->samp > 1)
				sampled(s, v->addr, v->proto, v->flags, v->port, x, 700, v->samp);
			else
				traffic(s, v->addr, v->proto, v->flags, v->port, poisson(x), 700);
		}
		if (rnd() % 30 == 0 && nb < 8) {
			/* One client's session bursts for a few seconds. */
			struct burst *b = &bu[nb++];

			b->v = &sv[rnd() % NV];
			b->x = (10 + (double)(rnd() % 40)) * (b->v->pps > 5 ? b->v->pps : 5);
			b->left = 2 + (int)(rnd() % 4);
		}
		for (int i = 0; i < nb; i++) {
			/* Seen by the server's exporter as it happens: one record
			 * a second, or its samples. */
			struct burst *b = &bu[i];
			uint32_t sm = b->v->samp;
			uint64_t m = sm > 1 ? poisson(b->x / sm) : 1;

			for (uint64_t j = 0; j < m; j++) {
				struct fw_flow *f = rec(s, b->v->addr, 6, 0x18, 443, sm > 1 ? sm : (uint64_t)b->x, 1400, sm);

				if (sm == 1) {
					f->start_ms = T0 + s * 1000LL;
					f->end_ms = f->start_ms + 999;
				}
				fw_test_v4u(&f->src, 0xcb007142u);
				f->sport = 40404;
			}
			if (--b->left == 0)
				bu[i--] = bu[--nb];
		}
		feed(d);
	}
	fw_test_detect_end(d, &st);
	ck_assert_msg(sk.n == 0, "%zu events (details_full %llu single %llu), first %s %s %s", sk.n,
	    (unsigned long long)st.details_full, (unsigned long long)st.single_source, sk.n ? sk.ev[0].victim : "",
	    sk.n ? fw_vector_name(sk.ev[0].vector) : "", sk.n ? sk.ev[0].evidence : "");
	ck_assert_uint_ge(st.windows_closed, 3590);
	ck_assert_uint_ge(st.victims, NV / 2);  /* the quietest sampled ones may show no sample */
}
END_TEST

Suite *
detect_score_suite(void)
{
	Suite *s = suite_create("detect_score");
	TCase *t = tcase_create("rules");

	tcase_set_timeout(t, 120);
	tcase_add_test(t, test_score_single_session_no_alert);
	tcase_add_test(t, test_score_udp_class_on_busy_tcp_server);
	tcase_add_test(t, test_score_few_sources_no_alert);
	tcase_add_test(t, test_score_sampled_flood_coarse_resolution);
	tcase_add_test(t, test_score_single_samples_quiet_victim);
	tcase_add_test(t, test_score_noisy_background_no_alert);
	suite_add_tcase(s, t);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(detect_score_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
