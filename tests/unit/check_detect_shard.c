/*
 * check_detect_shard.c - what detector shards rest on (fw_detect.h,
 * "Shards"): the shard key keeps a host with its aggregate (automatic /24
 * and /64, the longest detector.networks match) and a DNS zone with its
 * registrable domain; and one detector fed a stream gives exactly the alert
 * events of three shards fed their own records plus the others' times.
 */
#include <arpa/inet.h>
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fw_test_detect.h"

Suite *detect_shard_suite(void);

#define T0 FW_TEST_T0_MS
#define MAX_EV 256
#define NSH 3

static void
addr(const char *text, struct fw_addr *a)
{
	uint8_t v4[4];

	if (inet_pton(AF_INET, text, v4) == 1)
		fw_addr_from_v4(a, v4);
	else
		ck_assert_int_eq(inet_pton(AF_INET6, text, a->b), 1);
}

static struct fw_flow
flow_to(const char *dst)
{
	struct fw_flow f;

	memset(&f, 0, sizeof(f));
	addr(dst, &f.dst);
	return f;
}

static uint64_t
key_of(const struct fw_detect_key *k, const char *dst)
{
	struct fw_flow f = flow_to(dst);

	return fw_detect_key_flow(k, &f);
}

static uint64_t
dkey_of(const struct fw_detect_key *k, const char *qname)
{
	struct fw_dnsq q;

	memset(&q, 0, sizeof(q));
	snprintf(q.qname, sizeof(q.qname), "%s", qname);
	q.qname_len = (uint8_t)strlen(q.qname);
	return fw_detect_key_dns(k, &q);
}

static struct fw_detect_key *
key_new(const char *networks)
{
	struct fw_config cfg;
	struct fw_detect_key *k = NULL;

	fw_config_defaults(&cfg);
	snprintf(cfg.networks, sizeof(cfg.networks), "%s", networks);
	ck_assert_int_eq(fw_detect_key_new(&cfg, &k), FW_OK);
	return k;
}

START_TEST(test_key_auto_prefix)
{
	struct fw_detect_key *k = key_new("");
	uint64_t a = key_of(k, "198.51.100.7");
	int seen[4] = { 0 };

	/* Every host of a /24 (and of a /64) shares the key of that /24 (/64). */
	ck_assert_uint_eq(a, key_of(k, "198.51.100.200"));
	ck_assert_uint_eq(a, key_of(k, "198.51.100.0"));
	ck_assert_uint_ne(a, key_of(k, "198.51.101.7"));
	ck_assert_uint_eq(key_of(k, "2001:db8:1:2::1"), key_of(k, "2001:db8:1:2:ffff::9"));
	ck_assert_uint_ne(key_of(k, "2001:db8:1:2::1"), key_of(k, "2001:db8:1:3::1"));
	/* ... and different /24s spread over the shards. */
	for (int i = 0; i < 64; i++) {
		char buf[32];

		snprintf(buf, sizeof(buf), "10.%d.%d.1", i / 8, i);
		seen[fw_detect_key_shard(key_of(k, buf), 4)]++;
	}
	for (int s = 0; s < 4; s++)
		ck_assert_int_gt(seen[s], 4);
	fw_detect_key_free(k);
}
END_TEST

START_TEST(test_key_networks)
{
	struct fw_detect_key *k = key_new("198.51.100.0/23, 10.0.0.0/8, 10.1.0.0/16@5000, 192.0.2.9/32");

	/* The longest match is the aggregate: the whole /23 together ... */
	ck_assert_uint_eq(key_of(k, "198.51.100.7"), key_of(k, "198.51.101.250"));
	/* ... 10.1/16 apart from the rest of 10/8 ... */
	ck_assert_uint_eq(key_of(k, "10.1.0.1"), key_of(k, "10.1.255.3"));
	ck_assert_uint_eq(key_of(k, "10.2.0.1"), key_of(k, "10.200.9.3"));
	ck_assert_uint_ne(key_of(k, "10.1.0.1"), key_of(k, "10.2.0.1"));
	/* ... a host entry and an unwatched address: the host itself. */
	ck_assert_uint_ne(key_of(k, "192.0.2.9"), key_of(k, "192.0.2.10"));
	ck_assert_uint_eq(key_of(k, "203.0.113.1"), key_of(k, "203.0.113.1"));
	fw_detect_key_free(k);
}
END_TEST

START_TEST(test_key_dns_zones)
{
	struct fw_detect_key *k = key_new("");
	uint64_t v = dkey_of(k, "q1.victim.example");
	int seen[4] = { 0 };

	/* Zones under one registrable domain, and the domain itself, together. */
	ck_assert_uint_eq(v, dkey_of(k, "x9z.b.victim.example"));
	ck_assert_uint_eq(v, dkey_of(k, "a.b.c.d.victim.example"));
	ck_assert_uint_eq(dkey_of(k, "www.foo.co.uk"), dkey_of(k, "a.b.foo.co.uk"));
	ck_assert_uint_ne(dkey_of(k, "www.foo.co.uk"), dkey_of(k, "www.bar.co.uk"));
	ck_assert_uint_ne(v, dkey_of(k, "q1.other.example"));
	/* Names without a parent do not crash and get some key. */
	(void)dkey_of(k, "localhost");
	(void)dkey_of(k, "");
	(void)dkey_of(k, "trailing.");
	for (int i = 0; i < 64; i++) {
		char buf[64];

		snprintf(buf, sizeof(buf), "www.site%d.com", i);
		seen[fw_detect_key_shard(dkey_of(k, buf), 4)]++;
	}
	for (int s = 0; s < 4; s++)
		ck_assert_int_gt(seen[s], 4);
	fw_detect_key_free(k);
}
END_TEST

START_TEST(test_shard_config_split)
{
	struct fw_config cfg, out;

	fw_config_defaults(&cfg);
	fw_detect_shard_config(&cfg, 4, &out);
	ck_assert_int_eq(out.max_victims, (cfg.max_victims + 3) / 4);
	ck_assert_int_eq(out.max_details, (cfg.max_details + 3) / 4);
	ck_assert_int_eq(out.dns_max_zones, (cfg.dns_max_zones + 3) / 4);
	ck_assert_int_eq(out.dns_detail_zones, (cfg.dns_detail_zones + 3) / 4);
	ck_assert_int_eq(out.window_ms, cfg.window_ms);
	fw_detect_shard_config(&cfg, 1, &out);
	ck_assert_int_eq(out.max_victims, cfg.max_victims);
}
END_TEST

/* ---- one detector versus three shards ---- */

struct sink {
	size_t n;
	char line[MAX_EV][200];
};

static void
collect(void *ctx, const struct fw_alert_ev *ev)
{
	struct sink *s = ctx;

	if (s->n < MAX_EV)
		snprintf(s->line[s->n], sizeof(s->line[0]), "%s %u %u %s %u %lld %lld %lld %.0f", ev->id, ev->event,
		    ev->seq, ev->victim, ev->vector, (long long)ev->started_ms, (long long)ev->updated_ms,
		    (long long)ev->ended_ms, ev->peak_pps);
	s->n++;
}

static int
cmp_line(const void *a, const void *b)
{
	return strcmp(a, b);
}

/*
 * 150 s: benign flows to 40 hosts in 4 /24s, arriving up to 2 s late; a
 * UDP flood on 198.51.100.80 (60-100 s), a SYN flood on 192.0.2.33
 * (70-110 s) and a carpet bomb over 203.0.113.0/24 (80-120 s).
 */
static size_t
make_stream(struct fw_flow *out, size_t max)
{
	static const char *nets[4] = { "198.51.100.", "192.0.2.", "203.0.113.", "100.64.1." };
	size_t n = 0;
	uint32_t r = 12345;

	for (int s = 0; s < 150 && n < max; s++) {
		int64_t t = T0 + (int64_t)s * 1000;

		for (int i = 0; i < 40 && n < max; i++) {
			char a[32];
			struct fw_flow *f = &out[n++];

			r = r * 1103515245u + 12345u;
			snprintf(a, sizeof(a), "%s%d", nets[i % 4], 10 + i);
			fw_test_flow(f, t + (int64_t)(r >> 16) % 1000 - (int64_t)(r % 3) * 700, 6, 0x18,
			    (uint16_t)(40000 + i), 443, 5, 5 * 600);
			f->start_ms = f->end_ms - 100;
			addr(a, &f->dst);
			addr("100.100.0.1", &f->src);
			f->src.b[15] = (uint8_t)i;
		}
		for (int i = 0; i < 30 && n < max; i++) {
			struct fw_flow *f = &out[n];
			int kind = i % 3;

			if ((kind == 0 && (s < 60 || s >= 100)) || (kind == 1 && (s < 70 || s >= 110)) ||
			    (kind == 2 && (s < 80 || s >= 120)))
				continue;
			fw_test_flow(f, t + i * 33, kind == 1 ? 6 : 17, kind == 1 ? 0x02 : 0, (uint16_t)(1024 + s * 30 + i),
			    kind == 1 ? 80 : 9999, 300, 300 * (kind == 1 ? 60 : 500));
			f->start_ms = f->end_ms - 10;
			addr(kind == 0 ? "198.51.100.80" : kind == 1 ? "192.0.2.33" : "203.0.113.0", &f->dst);
			if (kind == 2)
				f->dst.b[15] = (uint8_t)(s * 7 + i);
			addr("203.0.113.250", &f->src);
			f->src.b[13] = (uint8_t)s;
			f->src.b[14] = (uint8_t)i;
			n++;
		}
	}
	return n;
}

/*
 * Cluster: the collector's lateness learner (the clock alone) learns what a
 * detector fed the same stream learns, at every point of it; a detector fed
 * DNS times only (a zone's partition) learns nothing until given the hint,
 * which is held within [lateness_ms, max_lateness_ms].
 */
START_TEST(test_lateness_learner_and_hint)
{
	static int64_t t[30000];
	struct fw_config cfg;
	struct fw_detect *d1 = NULL, *dns = NULL;
	struct fw_detect_lateness *l = NULL;
	struct fw_detect_stats a, b;
	size_t n = sizeof(t) / sizeof(t[0]);

	fw_config_defaults(&cfg);
	/* In order, 100 records a second; every 50th 6 s late (an inactive timeout). */
	for (size_t i = 0; i < n; i++)
		t[i] = T0 + (int64_t)i * 10 - (i % 50 == 0 ? 6000 : 0);
	ck_assert_int_eq(fw_detect_new(&cfg, collect, NULL, &d1), FW_OK);
	ck_assert_int_eq(fw_detect_new(&cfg, collect, NULL, &dns), FW_OK);
	ck_assert_int_eq(fw_detect_lateness_new(&cfg, &l), FW_OK);
	ck_assert_int_eq(fw_detect_lateness_ms(l), cfg.max_lateness_ms);  /* until learned */
	for (size_t i = 0; i < n; i += 300) {
		size_t m = n - i < 300 ? n - i : 300;

		fw_detect_times(d1, &t[i], m, 1);
		fw_detect_lateness_times(l, &t[i], m, 1);
		fw_detect_times(dns, &t[i], m, 0);
		fw_detect_get_stats(d1, &a);
		ck_assert_int_eq((int64_t)a.lateness_ms, fw_detect_lateness_ms(l));
	}
	/* Learned: 2 % of the records lag 5.99 s (more than 1 %): 6 windows of 1 s. */
	ck_assert_int_eq(fw_detect_lateness_ms(l), 6000);
	fw_detect_get_stats(dns, &b);
	ck_assert_uint_eq(b.lateness_ms, (uint64_t)cfg.max_lateness_ms);
	fw_detect_lateness_hint(dns, 0);  /* none sent: nothing changes */
	fw_detect_get_stats(dns, &b);
	ck_assert_uint_eq(b.lateness_ms, (uint64_t)cfg.max_lateness_ms);
	fw_detect_lateness_hint(dns, fw_detect_lateness_ms(l));
	fw_detect_get_stats(dns, &b);
	ck_assert_uint_eq(b.lateness_ms, 6000);
	fw_detect_lateness_hint(dns, 1);
	fw_detect_get_stats(dns, &b);
	ck_assert_uint_eq(b.lateness_ms, (uint64_t)cfg.lateness_ms);
	fw_detect_lateness_hint(dns, INT64_MAX);
	fw_detect_get_stats(dns, &b);
	ck_assert_uint_eq(b.lateness_ms, (uint64_t)cfg.max_lateness_ms);
	fw_detect_lateness_free(l);
	fw_detect_free(d1);
	fw_detect_free(dns);
}
END_TEST

START_TEST(test_shards_equal_one_detector)
{
	static struct fw_flow st[20000], own[NSH][512];
	static struct sink one, sh[NSH], all;
	static int64_t times[512];
	struct fw_config cfg, scfg;
	struct fw_detect *d1 = NULL, *ds[NSH] = { NULL };
	struct fw_detect_key *k = NULL;
	size_t n = make_stream(st, sizeof(st) / sizeof(st[0]));
	int shards_alerting = 0;

	fw_config_defaults(&cfg);
	cfg.warmup_windows = 20;
	ck_assert_int_eq(fw_detect_new(&cfg, collect, &one, &d1), FW_OK);
	ck_assert_int_eq(fw_detect_key_new(&cfg, &k), FW_OK);
	fw_detect_shard_config(&cfg, NSH, &scfg);
	for (int s = 0; s < NSH; s++)
		ck_assert_int_eq(fw_detect_new(&scfg, collect, &sh[s], &ds[s]), FW_OK);
	/* Batches of 100 for the one detector; for the shards each batch is
	 * cut into runs: own records, others' times, as the pipeline does. */
	for (size_t b = 0; b < n; b += 100) {
		size_t m = n - b < 100 ? n - b : 100;

		fw_detect_flows(d1, &st[b], m);
		for (int s = 0; s < NSH; s++) {
			size_t i = 0;

			while (i < m) {
				bool mine = fw_detect_key_shard(fw_detect_key_flow(k, &st[b + i]), NSH) == s;
				size_t j = 0;

				while (i < m && (fw_detect_key_shard(fw_detect_key_flow(k, &st[b + i]), NSH) == s) == mine) {
					own[s][j] = st[b + i];
					times[j++] = st[b + i].end_ms;
					i++;
				}
				if (mine)
					fw_detect_flows(ds[s], own[s], j);
				else
					fw_detect_times(ds[s], times, j, 1);
			}
		}
	}
	fw_detect_finish(d1);
	for (int s = 0; s < NSH; s++) {
		struct fw_detect_stats a, b;

		fw_detect_finish(ds[s]);
		fw_detect_get_stats(d1, &a);
		fw_detect_get_stats(ds[s], &b);
		ck_assert_uint_eq(a.windows_closed, b.windows_closed);
		ck_assert_uint_eq(a.lateness_ms, b.lateness_ms);
		shards_alerting += sh[s].n > 0;
		for (size_t i = 0; i < sh[s].n && all.n < MAX_EV; i++)
			memcpy(all.line[all.n++], sh[s].line[i], sizeof(all.line[0]));
	}
	/* Three victims, each alerting once (start, updates, end). */
	ck_assert_uint_ge(one.n, 6);
	ck_assert_uint_lt(one.n, MAX_EV);
	ck_assert_int_ge(shards_alerting, 2);
	ck_assert_uint_eq(all.n, one.n);
	qsort(one.line, one.n, sizeof(one.line[0]), cmp_line);
	qsort(all.line, all.n, sizeof(all.line[0]), cmp_line);
	for (size_t i = 0; i < one.n; i++)
		ck_assert_str_eq(all.line[i], one.line[i]);
	for (int s = 0; s < NSH; s++)
		fw_detect_free(ds[s]);
	fw_detect_free(d1);
	fw_detect_key_free(k);
}
END_TEST

Suite *
detect_shard_suite(void)
{
	Suite *s = suite_create("detect_shard");
	TCase *t = tcase_create("core");

	tcase_set_timeout(t, 60);
	tcase_add_test(t, test_key_auto_prefix);
	tcase_add_test(t, test_key_networks);
	tcase_add_test(t, test_key_dns_zones);
	tcase_add_test(t, test_shard_config_split);
	tcase_add_test(t, test_shards_equal_one_detector);
	tcase_add_test(t, test_lateness_learner_and_hint);
	suite_add_tcase(s, t);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(detect_shard_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
