/*
 * check_dns_zones.c - the DNS zone rules of issue 12 through the public
 * detector API, on synthetic query streams from a fixed-seed PRNG:
 *
 *  - low-and-slow water torture: 40 q/s of random labels (50 resolvers)
 *    under a zone that takes 300 q/s of normal queries (200 resolvers).
 *    The zone's rate stays far under its threshold (4 x 300); its
 *    distinct names per second go from about 49 to about 89.  Expected:
 *    one dns_water_torture alert, started within 15 s of the onset.
 *  - one client asking the same 20 nonexistent names at 190 q/s (typo'd
 *    search domain) under a quiet zone: no alert, counted in
 *    dns_few_clients; the same names at the same rate from 50 resolvers:
 *    dns_flood.
 *  - the same client behind a local proxy (127.0.0.1): no client identity,
 *    so the rule does not apply (dns_flood).
 *  - a 300 q/s zone (and a 30 q/s and a 3 q/s one) with Poisson noise
 *    for 3000 windows: no alert.
 *
 * Rates are Poisson per window; the expectations are the construction
 * (who attacked, how), not values read from the detector.
 */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "fw_test_detect.h"

#define T0_MS FW_TEST_T0_MS
#define MAX_Q 4096

static struct fw_test_sink sk;
static struct fw_dnsq qbuf[MAX_Q];
static size_t nq;
static struct fw_detect *det;
static uint64_t rs;

static uint64_t
rnd(void)
{
	return fw_test_rnd(&rs);
}

/* Poisson(lambda): Knuth's product method on pieces of at most 25. */
static int
poisson(double lambda)
{
	int n = 0;

	while (lambda > 0) {
		double l = lambda > 25 ? 25 : lambda, lim = exp(-l), p = fw_test_unif(&rs);

		while (p > lim) {
			n++;
			p *= fw_test_unif(&rs);
		}
		lambda -= l;
	}
	return n;
}

static void
flush(void)
{
	fw_detect_dns(det, qbuf, nq);
	nq = 0;
}

static struct fw_dnsq *
ask(int64_t t, uint32_t client, const char *name)
{
	struct fw_dnsq *q;
	struct fw_addr c;

	if (nq == MAX_Q)
		flush();
	q = &qbuf[nq++];
	fw_test_v4u(&c, client);
	fw_test_dnsq(q, t, &c, name);
	return q;
}

/* The response to q: NXDOMAIN (3) or NOERROR. */
static void
answer(const struct fw_dnsq *q0, uint8_t rcode)
{
	struct fw_dnsq q = *q0, *r;

	r = ask(q.time_ms + 1, 0, q.qname);
	*r = q;
	r->time_ms++;
	r->flags = FW_DNSQ_F_RESPONSE;
	r->rcode = rcode;
}

/*
 * One second of a normal zone at `lambda` q/s: 87 % of the queries for 10
 * popular names, 13 % for a long tail (a million item names), from 200
 * resolvers 10.1.0.0/24.  At 300 q/s: about 49 distinct names a second.
 */
static void
normal_zone(int64_t base, double lambda, const char *zone)
{
	static const char *const pop[] = { "www", "mail", "api", "cdn", "img", "static", "login", "shop", "m", "ns1" };
	char name[FW_QNAME_MAX + 1];
	int n = poisson(lambda);

	for (int i = 0; i < n; i++) {
		if (fw_test_unif(&rs) < 0.87)
			snprintf(name, sizeof(name), "%s.%s", pop[rnd() % 10], zone);
		else
			snprintf(name, sizeof(name), "item%u.%s", (unsigned)(rnd() % 1000000), zone);
		ask(base + (int64_t)(rnd() % 1000), 0x0a010000u + (uint32_t)(rnd() % 200), name);
	}
}

/* Random 12-character Mirai labels at lambda q/s from `resolvers` resolvers 10.2.0.0/24. */
static void
torture(int64_t base, double lambda, const char *zone, int resolvers)
{
	static const char alpha[] = "abcdefghijklmnopqrstuvw012345678";
	char name[FW_QNAME_MAX + 1], l[13];
	int n = poisson(lambda);

	for (int i = 0; i < n; i++) {
		for (int k = 0; k < 12; k++)
			l[k] = alpha[rnd() % 32];
		l[12] = '\0';
		snprintf(name, sizeof(name), "%s.%s", l, zone);
		ask(base + (int64_t)(rnd() % 1000), 0x0a020000u + (uint32_t)(rnd() % (uint64_t)resolvers), name);
	}
}

static uint32_t typo_from = 0xc000024du;  /* 192.0.2.77 */

/* 20 nonexistent names at lambda q/s from `clients` clients from typo_from, each answered NXDOMAIN. */
static void
typo_names(int64_t base, double lambda, const char *zone, int clients)
{
	char name[FW_QNAME_MAX + 1];
	int n = poisson(lambda);

	for (int i = 0; i < n; i++) {
		struct fw_dnsq *q;

		snprintf(name, sizeof(name), "host%u.%s", (unsigned)(rnd() % 20), zone);
		q = ask(base + (int64_t)(rnd() % 1000), typo_from + (uint32_t)(rnd() % (uint64_t)clients), name);
		answer(q, 3);
	}
}

static void
start(const char *const *sets)
{
	struct fw_config cfg;

	fw_test_config(&cfg, sets);
	nq = 0;
	rs = 0x9e3779b97f4a7c15ULL;
	det = fw_test_detect_new(&cfg, &sk);
}

static void
stop(struct fw_detect_stats *st)
{
	flush();
	fw_test_detect_end(det, st);
	det = NULL;
}

/* The evidence string field `key` of event i ("" when absent). */
static void
evidence_str(size_t i, const char *key, char *out, size_t outlen)
{
	json_t *o = json_loads(sk.ev[i].evidence, 0, NULL);
	const char *v;

	ck_assert_ptr_nonnull(o);
	v = json_string_value(json_object_get(o, key));
	snprintf(out, outlen, "%s", v != NULL ? v : "");
	json_decref(o);
}

/* One zone's normal traffic for `secs` seconds, an attack in [on_s, off_s). */
typedef void attack_fn(int64_t base, double lambda, const char *zone, int clients);

struct scen {
	const char *zone;
	double normal_qps;
	attack_fn *attack;
	double attack_qps;
	int clients;
	int on_s, off_s, secs;
};

static void
run_scen(const struct scen *sc, const char *const *sets, struct fw_detect_stats *st)
{
	start(sets);
	for (int s = 0; s < sc->secs; s++) {
		int64_t base = T0_MS + (int64_t)s * 1000;

		normal_zone(base, sc->normal_qps, sc->zone);
		if (s >= sc->on_s && s < sc->off_s)
			sc->attack(base, sc->attack_qps, sc->zone, sc->clients);
		flush();
	}
	stop(st);
}

/* ---- low-and-slow water torture ---- */

#define LS_ONSET_S 300
#define LS_END_S 360

static void
low_and_slow(int resolvers, struct fw_detect_stats *st)
{
	const struct scen sc = { "shop.example", 300, torture, 40, resolvers, LS_ONSET_S, LS_END_S, 420 };

	run_scen(&sc, NULL, st);
}

START_TEST(test_dns_low_and_slow_water_torture)
{
	struct fw_detect_stats st;
	char trig[32];
	int64_t onset = T0_MS + LS_ONSET_S * 1000LL;

	low_and_slow(50, &st);
	ck_assert_int_eq(fw_test_count(&sk, FW_EV_START), 1);
	ck_assert_int_eq(fw_test_count(&sk, FW_EV_END), 1);
	ck_assert_int_eq(sk.ev[0].event, FW_EV_START);
	ck_assert_str_eq(sk.ev[0].victim, "shop.example");
	ck_assert_str_eq(fw_vector_name(sk.ev[0].vector), "dns_water_torture");
	/* Not before the onset; the start event within 15 s of it. */
	ck_assert_int_ge(sk.ev[0].started_ms, onset);
	ck_assert_int_le(sk.ev[0].updated_ms, onset + 15000);
	/* The rate never was the signal: the names over 8 windows were. */
	ck_assert(sk.ev[0].peak_qps < 4 * 300);
	evidence_str(0, "trigger", trig, sizeof(trig));
	ck_assert_str_eq(trig, "distinct_names");
	/* Ends once the torture stops. */
	ck_assert_int_le(sk.ev[sk.n - 1].ended_ms, T0_MS + (LS_END_S + 10) * 1000LL);
	ck_assert_int_eq(sk.ev[sk.n - 1].reason, FW_END_QUIET);
}
END_TEST

/* ---- one client is not an attack on the zone ---- */

#define TY_ONSET_S 120
#define TY_END_S 180

static void
typo(int clients, const char *const *sets, struct fw_detect_stats *st)
{
	const struct scen sc = { "corp.example", 3, typo_names, 190, clients, TY_ONSET_S, TY_END_S, 240 };

	run_scen(&sc, sets, st);
}

START_TEST(test_dns_one_client_no_alert)
{
	static const char *const off[] = { "dns.min_clients=1", NULL };
	struct fw_detect_stats st;

	typo(1, NULL, &st);
	ck_assert_msg(sk.n == 0, "one client raised %zu events (first: %s %s)", sk.n,
	    sk.n ? sk.ev[0].victim : "", sk.n ? fw_vector_name(sk.ev[0].vector) : "");
	/* Counted: about every window of the 60 s. */
	ck_assert_uint_ge(st.dns_few_clients, 50);
	ck_assert_uint_le(st.dns_few_clients, 70);
	/* The rule, and nothing else, kept it quiet. */
	typo(1, off, &st);
	ck_assert_int_eq(fw_test_count(&sk, FW_EV_START), 1);
	ck_assert_str_eq(fw_vector_name(sk.ev[0].vector), "dns_flood");
	ck_assert_uint_eq(st.dns_few_clients, 0);
}
END_TEST

START_TEST(test_dns_same_names_many_resolvers_flood)
{
	struct fw_detect_stats st;
	int64_t onset = T0_MS + TY_ONSET_S * 1000LL;

	typo(50, NULL, &st);
	ck_assert_int_eq(fw_test_count(&sk, FW_EV_START), 1);
	ck_assert_int_eq(fw_test_count(&sk, FW_EV_END), 1);
	ck_assert_str_eq(sk.ev[0].victim, "corp.example");
	ck_assert_str_eq(fw_vector_name(sk.ev[0].vector), "dns_flood");
	ck_assert_int_ge(sk.ev[0].started_ms, onset);
	ck_assert_int_le(sk.ev[0].updated_ms, onset + 5000);
	ck_assert_uint_eq(st.dns_few_clients, 0);
}
END_TEST

/* A local proxy (dnsdist in front of BIND: every query from 127.0.0.1)
 * hides the clients: the rule cannot judge, the zone is judged as before. */
START_TEST(test_dns_local_proxy_is_no_client)
{
	struct fw_detect_stats st;

	typo_from = 0x7f000001u;
	typo(1, NULL, &st);
	typo_from = 0xc000024du;
	ck_assert_int_eq(fw_test_count(&sk, FW_EV_START), 1);
	ck_assert_str_eq(sk.ev[0].victim, "corp.example");
	ck_assert_str_eq(fw_vector_name(sk.ev[0].vector), "dns_flood");
	ck_assert_uint_eq(st.dns_few_clients, 0);
}
END_TEST

/* ---- Poisson noise alone ---- */

START_TEST(test_dns_poisson_noise_no_alert)
{
	struct fw_detect_stats st;

	start(NULL);
	for (int s = 0; s < 3000; s++) {
		int64_t base = T0_MS + (int64_t)s * 1000;

		normal_zone(base, 300, "shop.example");
		normal_zone(base, 30, "blog.example");
		normal_zone(base, 3, "tiny.example");
		flush();
	}
	stop(&st);
	ck_assert_msg(sk.n == 0, "noise raised %zu events (first: %s %s +%.0f s)", sk.n,
	    sk.n ? sk.ev[0].victim : "", sk.n ? fw_vector_name(sk.ev[0].vector) : "",
	    sk.n ? (double)(sk.ev[0].started_ms - T0_MS) / 1000 : 0.0);
	ck_assert_uint_ge(st.windows_closed, 3000);
	ck_assert_uint_eq(st.dns_few_clients, 0);
}
END_TEST

static Suite *
dns_zones_suite(void)
{
	Suite *s = suite_create("dns_zones");
	TCase *v = tcase_create("valid");

	tcase_set_timeout(v, 60);
	tcase_add_test(v, test_dns_low_and_slow_water_torture);
	tcase_add_test(v, test_dns_one_client_no_alert);
	tcase_add_test(v, test_dns_same_names_many_resolvers_flood);
	tcase_add_test(v, test_dns_local_proxy_is_no_client);
	tcase_add_test(v, test_dns_poisson_noise_no_alert);
	suite_add_tcase(s, v);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(dns_zones_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
