/*
 * check_detector.c - scenario tests for the streaming detector and its
 * sketches.
 *
 * Each scenario is a synthetic stream built here with a fixed-seed PRNG:
 * 120 s of benign traffic (web and DNS between 203.0.113.0/24 clients and
 * 198.51.100.10-29 servers, light traffic to 198.51.100.53 and
 * 2001:db8::53, DNS names under example.com, victim.example and
 * popular.example) with an attack from t = 60 s to t = 100 s.  The
 * expected outcomes are the scenario's construction (who was attacked,
 * how), not values read from the detector's output: one alert naming the
 * victim and vector, started within 5 s of onset in event time, nothing
 * in the benign part, and none at all for benign-only and flash-crowd
 * streams.
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fw_pkt.h"
#include "fw_sketch.h"
#define FW_TEST_MAX_EV 512
#include "fw_test_detect.h"

#define T0_MS FW_TEST_T0_MS
#define DUR_S 120
#define ATK_START_S 60
#define ATK_END_S 100
#define MAX_FLOWS 40000
#define MAX_DNSQ 4000

enum atk {
	A_NONE, A_UDP, A_SYN, A_ACK, A_GRE, A_ICMP, A_NTP, A_MEMC, A_SSDP, A_DNSAMP,
	A_CARPET, A_V6, A_RANDDST, A_OUTSIDE, A_PULSE, A_HOST_CARPET,
	A_UDP_AT_START, A_UDP_TO_END,
	A_WT, A_WT_DEEP, A_DNSFLOOD, A_FLASH, A_TLD, A_WT_MIX, A_WT_RETRY,
};

/* A run's events and counters. */
static struct fw_test_sink res_a, res_b;
static struct fw_flow flows[MAX_FLOWS];
static struct fw_dnsq dnsq[MAX_DNSQ];

static struct fw_flow *
flow(size_t *n, int64_t t, uint8_t proto, uint8_t flags, uint16_t sport, uint16_t dport,
    uint64_t pkts, uint64_t bytes)
{
	struct fw_flow *f;

	ck_assert_uint_lt(*n, MAX_FLOWS);
	f = &flows[(*n)++];
	fw_test_flow(f, t, proto, flags, sport, dport, pkts, bytes);
	f->source = FW_SRC_NF9;
	return f;
}

static void
benign_flows(uint64_t *rs, int64_t base, size_t *n)
{
	for (int s = 10; s < 30; s++) {
		for (int k = 0; k < 2; k++) {
			uint64_t p = 1 + fw_test_rnd(rs) % 8;
			struct fw_flow *f = flow(n, base + (int64_t)(fw_test_rnd(rs) % 1000), 6, 0x18,
			    (uint16_t)(32768 + fw_test_rnd(rs) % 20000), 443, p, p * 700);

			/* Some flows last up to 2.5 s: spread over windows. */
			f->end_ms = f->start_ms + (int64_t)(fw_test_rnd(rs) % 2500);
			fw_test_v4(&f->src, 203, 0, 113, (uint8_t)(1 + fw_test_rnd(rs) % 200));
			fw_test_v4(&f->dst, 198, 51, 100, (uint8_t)s);
			f->ttl = 57;
		}
	}
	{
		struct fw_flow *f = flow(n, base + (int64_t)(fw_test_rnd(rs) % 1000), 17, 0,
		    (uint16_t)(1024 + fw_test_rnd(rs) % 60000), 53, 2, 150);

		fw_test_v4(&f->src, 203, 0, 113, (uint8_t)(1 + fw_test_rnd(rs) % 200));
		fw_test_v4(&f->dst, 198, 51, 100, 53);
		f = flow(n, base + (int64_t)(fw_test_rnd(rs) % 1000), 17, 0, (uint16_t)(1024 + fw_test_rnd(rs) % 60000),
		    53, 1, 80);
		fw_test_v6_db8(&f->src, (uint16_t)(0x1000 + fw_test_rnd(rs) % 100));
		fw_test_v6_db8(&f->dst, 0x53);
		f = flow(n, base + (int64_t)(fw_test_rnd(rs) % 1000), 17, 0, 123, 123, 1, 76);
		fw_test_v4(&f->src, 203, 0, 113, 9);
		fw_test_v4(&f->dst, 198, 51, 100, 21);
	}
}

/* Attack records for one second; rate in packets/s. */
static void
attack_flows(enum atk a, uint64_t *rs, int64_t base, size_t *n, double pps)
{
	int nrec = 2000;
	uint64_t per = (uint64_t)(pps / nrec) > 0 ? (uint64_t)(pps / nrec) : 1;

	if (a == A_RANDDST) {
		/* The real victim plus a stream of one-off destinations. */
		for (int i = 0; i < 5000; i++) {
			struct fw_flow *f = flow(n, base + (int64_t)(fw_test_rnd(rs) % 1000), 17, 0,
			    (uint16_t)fw_test_rnd(rs), (uint16_t)fw_test_rnd(rs), 1, 60);

			fw_test_v4u(&f->src, (uint32_t)fw_test_rnd(rs));
			fw_test_v4u(&f->dst, (uint32_t)fw_test_rnd(rs) | 0x01000000u);
		}
		a = A_UDP;
	}
	for (int i = 0; i < nrec; i++) {
		int64_t t = base + (int64_t)(fw_test_rnd(rs) % 1000);
		uint32_t src = (uint32_t)fw_test_rnd(rs);
		uint16_t sp = (uint16_t)(1024 + fw_test_rnd(rs) % 60000);
		uint8_t ttl = (uint8_t)(30 + fw_test_rnd(rs) % 35);
		struct fw_flow *f;

		switch (a) {
		case A_UDP:
		case A_PULSE:
		case A_RANDDST:
		case A_OUTSIDE:
		case A_V6:
			f = flow(n, t, 17, 0, sp, 53, per, per * 540);
			break;
		case A_CARPET:
			f = flow(n, t, 17, 0, sp, (uint16_t)fw_test_rnd(rs), per, per * 540);
			break;
		case A_SYN:
			f = flow(n, t, 6, 0x02, sp, 80, per, per * 60);
			break;
		case A_ACK:
			f = flow(n, t, 6, 0x10, sp, 443, per, per * 60);
			break;
		case A_GRE:
			f = flow(n, t, 47, 0, 0, 0, per, per * 600);
			break;
		case A_ICMP:
			f = flow(n, t, 1, 0, 8 << 8, 0, per, per * 84);
			break;
		case A_NTP:
			f = flow(n, t, 17, 0, 123, sp, per, per * 468);
			src = 0x0a000000u | (src % 300);  /* 300 reflectors */
			break;
		case A_MEMC:
			f = flow(n, t, 17, 0, 11211, sp, per, per * 1400);
			src = 0x0a000000u | (src % 300);
			break;
		case A_SSDP:
			f = flow(n, t, 17, 0, 1900, sp, per, per * 320);
			src = 0x0a000000u | (src % 300);
			break;
		case A_DNSAMP:
			f = flow(n, t, 17, 0, 53, sp, per, per * 1200);
			src = 0x0a000000u | (src % 300);
			break;
		default:
			return;
		}
		fw_test_v4u(&f->src, src);
		f->ttl = ttl;
		switch (a) {
		case A_SYN:
			fw_test_v4(&f->dst, 198, 51, 100, 80);
			break;
		case A_NTP:
		case A_MEMC:
		case A_SSDP:
		case A_DNSAMP:
			fw_test_v4(&f->dst, 198, 51, 100, 21);
			break;
		case A_CARPET:
			fw_test_v4(&f->dst, 198, 51, 100, (uint8_t)fw_test_rnd(rs));
			break;
		case A_V6:
			fw_test_v6_db8(&f->src, (uint16_t)fw_test_rnd(rs));
			f->src.b[8] = (uint8_t)fw_test_rnd(rs);
			fw_test_v6_db8(&f->dst, 0x53);
			break;
		case A_OUTSIDE:
			fw_test_v4(&f->dst, 203, 0, 113, 5);
			break;
		default:
			fw_test_v4(&f->dst, 198, 51, 100, 53);
			break;
		}
	}
}

static struct fw_dnsq *
query(size_t *n, int64_t t, const char *name, const struct fw_addr *client)
{
	struct fw_dnsq *q;

	ck_assert_uint_lt(*n, MAX_DNSQ);
	q = &dnsq[(*n)++];
	fw_test_dnsq(q, t, client, name);
	return q;
}

static void
rand_label(uint64_t *rs, char *out, int len)
{
	static const char alpha[] = "abcdefghijklmnopqrstuvw012345678";  /* Mirai: a-w, 0-8 */

	for (int i = 0; i < len; i++)
		out[i] = alpha[fw_test_rnd(rs) % (sizeof(alpha) - 1)];
	out[len] = '\0';
}

static void
benign_dns(uint64_t *rs, int64_t base, size_t *n)
{
	static const char *const vnames[] = { "www", "mail", "ns1", "api" };
	char name[FW_QNAME_MAX + 1];
	struct fw_addr c;

	for (int i = 0; i < 10; i++) {
		fw_test_v4(&c, 203, 0, 113, (uint8_t)(1 + fw_test_rnd(rs) % 50));
		snprintf(name, sizeof(name), "%s.victim.example", vnames[fw_test_rnd(rs) % 4]);
		query(n, base + (int64_t)(fw_test_rnd(rs) % 1000), name, &c);
	}
	for (int i = 0; i < 5; i++) {
		fw_test_v4(&c, 203, 0, 113, (uint8_t)(1 + fw_test_rnd(rs) % 50));
		snprintf(name, sizeof(name), "www%u.example.com", (unsigned)(fw_test_rnd(rs) % 20));
		query(n, base + (int64_t)(fw_test_rnd(rs) % 1000), name, &c);
	}
	for (int i = 0; i < 10; i++) {
		fw_test_v4(&c, 203, 0, 113, (uint8_t)(1 + fw_test_rnd(rs) % 200));
		snprintf(name, sizeof(name), "%s.popular.example", i % 2 ? "www" : "cdn");
		query(n, base + (int64_t)(fw_test_rnd(rs) % 1000), name, &c);
	}
}

static void
attack_dns(enum atk a, uint64_t *rs, int64_t base, size_t *n, int sec)
{
	char name[FW_QNAME_MAX + 1], l1[16], l2[16];
	struct fw_addr c;

	for (int i = 0; i < 300; i++) {
		int64_t t = base + (int64_t)(fw_test_rnd(rs) % 1000);
		struct fw_dnsq *q;

		switch (a) {
		case A_WT:
			/* Many resolvers, one never-repeated label each. */
			fw_test_v4(&c, 192, 0, 2, (uint8_t)(fw_test_rnd(rs) % 200));
			rand_label(rs, l1, 12);
			snprintf(name, sizeof(name), "%s.victim.example", l1);
			q = query(n, t, name, &c);
			if (i % 2) {  /* half the answers seen: NXDOMAIN */
				q = query(n, t + 2, name, &c);
				q->flags = FW_DNSQ_F_RESPONSE;
				q->rcode = 3;
			}
			break;
		case A_WT_DEEP:
			fw_test_v4(&c, 192, 0, 2, (uint8_t)(fw_test_rnd(rs) % 200));
			rand_label(rs, l1, 12);
			rand_label(rs, l2, 8);
			snprintf(name, sizeof(name), "%s.%s.victim.example", l1, l2);
			query(n, t, name, &c);
			break;
		case A_DNSFLOOD:
			/* 20 clients re-asking the same two names. */
			fw_test_v4(&c, 192, 0, 2, (uint8_t)(fw_test_rnd(rs) % 20));
			snprintf(name, sizeof(name), "%s.victim.example", i % 2 ? "www" : "mail");
			query(n, t, name, &c);
			break;
		case A_FLASH:
			/* A surge of popular names, each resolver asks once. */
			fw_test_v4u(&c, 0x64400000u + (uint32_t)(sec * 300 + i));
			snprintf(name, sizeof(name), "%s.popular.example", i % 3 == 0 ? "www" : i % 3 == 1 ? "cdn" : "live");
			query(n, t, name, &c);
			break;
		case A_WT_RETRY:
			/* Each random name asked three times by its resolver (retries),
			 * no answers seen: 3 queries per name and per pair. */
			if (i % 3 == 0) {
				fw_test_v4(&c, 192, 0, 2, (uint8_t)(fw_test_rnd(rs) % 200));
				rand_label(rs, l1, 12);
				snprintf(name, sizeof(name), "%s.victim.example", l1);
			}
			query(n, t, name, &c);
			break;
		case A_WT_MIX:
			/* Like bind-querylog-onset.log: ~100 qps, 72 % random names,
			 * the rest the zone's real names, from a few resolvers. */
			if (i >= 100)
				return;
			fw_test_v4(&c, 192, 0, 2, (uint8_t)(fw_test_rnd(rs) % 8));
			if (i < 72) {
				rand_label(rs, l1, 12);
				snprintf(name, sizeof(name), "%s.victim.example", l1);
			} else {
				snprintf(name, sizeof(name), "%s.victim.example", i % 3 ? "www" : "mail");
			}
			query(n, t, name, &c);
			break;
		case A_TLD:
			fw_test_v4(&c, 192, 0, 2, (uint8_t)(fw_test_rnd(rs) % 200));
			rand_label(rs, l1, 12);
			snprintf(name, sizeof(name), "%s.%s", l1, i % 2 ? "com" : "co.uk");
			query(n, t, name, &c);
			break;
		default:
			return;
		}
	}
}

/* Shuffle a second's records: arrival order is not time order. */
static void
shuffle_flows(uint64_t *rs, size_t n)
{
	for (size_t i = n; i > 1; i--) {
		size_t j = (size_t)(fw_test_rnd(rs) % i);
		struct fw_flow t = flows[i - 1];

		flows[i - 1] = flows[j];
		flows[j] = t;
	}
}

static void
run(enum atk a, double pps, const char *const *sets, struct fw_test_sink *r)
{
	struct fw_config cfg;
	struct fw_detect *d;
	uint64_t rs = 0x9e3779b97f4a7c15ULL;
	bool dns = a >= A_WT;

	fw_test_config(&cfg, sets);
	d = fw_test_detect_new(&cfg, r);
	for (int s = 0; s < DUR_S; s++) {
		int64_t base = T0_MS + (int64_t)s * 1000;
		bool on = a == A_PULSE ? (s >= 60 && s < 75) || (s >= 90 && s < 100) :
		    a == A_UDP_AT_START ? s < 40 : a == A_UDP_TO_END ? s >= ATK_START_S :
		    a != A_NONE && s >= ATK_START_S && s < ATK_END_S;
		size_t n = 0;

		if (dns) {
			benign_dns(&rs, base, &n);
			if (on)
				attack_dns(a, &rs, base, &n, s);
			fw_detect_dns(d, dnsq, n);
		} else {
			benign_flows(&rs, base, &n);
			if (a == A_HOST_CARPET) {
				/* A host flood, then a moderate carpet bomb on its /24. */
				if (s >= 15 && s < 45)
					attack_flows(A_UDP, &rs, base, &n, 2000);
				else if (s >= 60 && s < 100)
					attack_flows(A_CARPET, &rs, base, &n, 5000);
			} else if (on) {
				attack_flows(a == A_UDP_AT_START || a == A_UDP_TO_END ? A_UDP : a, &rs, base, &n, pps);
			}
			shuffle_flows(&rs, n);
			/* Two batches per second, as a collector would send them. */
			fw_detect_flows(d, flows, n / 2);
			fw_detect_flows(d, flows + n / 2, n - n / 2);
		}
	}
	fw_test_detect_end(d, &r->st);
}

/* Exactly one alert: one id, start first, end last; victim and vector;
 * started within 5 s of the attack [from_s, to_s) and ended after it. */
static void
assert_one_alert_at(const struct fw_test_sink *r, const char *victim, const char *vector, int from_s, int to_s)
{
	const struct fw_alert_ev *s, *e;

	ck_assert_msg(r->n >= 2, "expected start+end, got %zu events", r->n);
	s = &r->ev[0];
	e = &r->ev[r->n - 1];
	for (size_t i = 0; i < r->n; i++) {
		ck_assert_str_eq(r->ev[i].id, s->id);
		ck_assert_str_eq(r->ev[i].victim, victim);
		ck_assert_uint_eq(r->ev[i].seq, (unsigned)i + 1);
	}
	ck_assert_int_eq(s->event, FW_EV_START);
	ck_assert_int_eq(e->event, FW_EV_END);
	for (size_t i = 0; i < r->n - 1; i++)
		ck_assert_int_eq(r->ev[i].reason, FW_END_NONE);
	ck_assert_int_eq(e->reason, FW_END_QUIET);  /* the calm rule ended it */
	ck_assert_str_eq(fw_vector_name(s->vector), vector);
	ck_assert_str_eq(fw_vector_name(e->vector), vector);
	ck_assert_uint_eq(r->st.alerts_started, 1);
	ck_assert_uint_eq(r->st.alerts_ended, 1);
	/* Start within 5 s of onset, never before it (nothing in the benign part). */
	ck_assert_int_ge(s->started_ms, T0_MS + from_s * 1000LL);
	ck_assert_int_le(s->updated_ms, T0_MS + from_s * 1000LL + 5000);
	/* Ends once the attack stopped, within end_windows + lateness. */
	ck_assert_int_ge(e->ended_ms, T0_MS + (to_s - 2) * 1000LL);
	ck_assert_int_le(e->ended_ms, T0_MS + (to_s + 15) * 1000LL);
	ck_assert_ptr_nonnull(strchr(s->evidence, '{'));
	ck_assert_uint_lt(strlen(s->evidence), FW_EVIDENCE_MAX);
}

static void
assert_one_alert(const struct fw_test_sink *r, const char *victim, const char *vector)
{
	assert_one_alert_at(r, victim, vector, ATK_START_S, ATK_END_S);
}

/* ---- valid: scenarios ---- */

START_TEST(test_detector_benign_only_no_alert)
{
	run(A_NONE, 0, NULL, &res_a);
	ck_assert_int_eq(res_a.n, 0);
	ck_assert_uint_gt(res_a.st.windows_closed, DUR_S - 5);
	ck_assert_uint_gt(res_a.st.victims, 20);
}
END_TEST

START_TEST(test_detector_benign_dns_no_alert)
{
	run(A_NONE + 0, 0, NULL, &res_a);  /* flows */
	ck_assert_int_eq(res_a.n, 0);
	{
		/* DNS benign only: popular.example/victim.example stay quiet. */
		struct fw_detect *d = fw_test_detect_new(NULL, &res_b);
		uint64_t rs = 7;

		for (int s = 0; s < DUR_S; s++) {
			size_t n = 0;

			benign_dns(&rs, T0_MS + s * 1000LL, &n);
			fw_detect_dns(d, dnsq, n);
		}
		fw_test_detect_end(d, &res_b.st);
		ck_assert_int_eq(res_b.n, 0);
		ck_assert_uint_ge(res_b.st.zones, 3);
	}
}
END_TEST

static const struct {
	enum atk a;
	double pps;
	const char *victim;
	const char *vector;
} flow_cases[] = {
	{ A_UDP, 2000, "198.51.100.53", "udp_flood" },
	{ A_SYN, 5000, "198.51.100.80", "syn_flood" },
	{ A_ACK, 5000, "198.51.100.53", "ack_flood" },
	{ A_GRE, 2000, "198.51.100.53", "gre_flood" },
	{ A_ICMP, 2000, "198.51.100.53", "icmp_flood" },
	{ A_NTP, 20000, "198.51.100.21", "ntp_amplification" },
	{ A_MEMC, 20000, "198.51.100.21", "memcached_amplification" },
	{ A_SSDP, 20000, "198.51.100.21", "ssdp_amplification" },
	{ A_DNSAMP, 20000, "198.51.100.21", "dns_amplification" },
	{ A_CARPET, 20000, "198.51.100.0/24", "udp_flood" },
	{ A_V6, 2000, "2001:db8::53", "udp_flood" },
};

START_TEST(test_detector_flow_vectors)
{
	run(flow_cases[_i].a, flow_cases[_i].pps, NULL, &res_a);
	assert_one_alert(&res_a, flow_cases[_i].victim, flow_cases[_i].vector);
}
END_TEST

START_TEST(test_detector_udp_lifecycle_and_evidence)
{
	const struct fw_alert_ev *s;
	int updates = 0;

	run(A_UDP, 2000, NULL, &res_a);
	assert_one_alert(&res_a, "198.51.100.53", "udp_flood");
	s = &res_a.ev[0];
	for (size_t i = 1; i < res_a.n - 1; i++) {
		ck_assert_int_eq(res_a.ev[i].event, FW_EV_UPDATE);
		ck_assert_int_eq(res_a.ev[i].started_ms, s->started_ms);
		ck_assert_int_eq(res_a.ev[i].ended_ms, 0);
		updates++;
	}
	ck_assert_int_ge(updates, 3);  /* 40 s attack, an update every 10 windows */
	/* 2000 pps over benign 2 pps: peak near 2000 (+ benign). */
	ck_assert(res_a.ev[res_a.n - 1].peak_pps >= 1990 && res_a.ev[res_a.n - 1].peak_pps <= 2100);
	ck_assert_ptr_nonnull(strstr(s->evidence, "\"top_dst_ports\":[{\"port\":53"));
	ck_assert_ptr_nonnull(strstr(s->evidence, "\"udp\":1"));
	ck_assert_ptr_nonnull(strstr(s->evidence, "\"src_addr\""));
}
END_TEST

START_TEST(test_detector_retrigger_in_cooldown_continues)
{
	/* Flood 60-75 s, calm, flood again 90-100 s: the first burst goes
	 * quiet (10 calm windows) and the second comes back within the quiet
	 * hold: one alert, one id, and its only end after the second burst. */
	int starts = 0, ends = 0;

	run(A_PULSE, 2000, NULL, &res_a);
	for (size_t i = 0; i < res_a.n; i++) {
		ck_assert_str_eq(res_a.ev[i].id, res_a.ev[0].id);
		ck_assert_uint_eq(res_a.ev[i].seq, (unsigned)i + 1);
		ck_assert_int_eq(res_a.ev[i].started_ms, res_a.ev[0].started_ms);
		starts += res_a.ev[i].event == FW_EV_START;
		ends += res_a.ev[i].event == FW_EV_END;
	}
	ck_assert_int_eq(starts, 1);
	ck_assert_int_eq(ends, 1);
	ck_assert_int_eq(res_a.ev[res_a.n - 1].event, FW_EV_END);
	ck_assert_int_ge(res_a.ev[res_a.n - 1].ended_ms, T0_MS + 99000);
	ck_assert_uint_eq(res_a.st.alerts_started, 1);
}
END_TEST

START_TEST(test_detector_prefix_does_not_learn_host_flood)
{
	/* While the host alert runs, its /24 is suppressed (one host carries
	 * it) and must not learn the flood: a later 5000 pps carpet bomb
	 * (about 20 pps per host, under every host floor) is still seen. */
	int prefix = -1;

	run(A_HOST_CARPET, 0, NULL, &res_a);
	ck_assert_uint_eq(res_a.st.alerts_started, 2);
	ck_assert_str_eq(res_a.ev[0].victim, "198.51.100.53");
	for (size_t i = 0; i < res_a.n; i++)
		if (strcmp(res_a.ev[i].victim, "198.51.100.0/24") == 0 && prefix < 0)
			prefix = (int)i;
	ck_assert_int_ge(prefix, 0);
	ck_assert_int_eq(res_a.ev[prefix].event, FW_EV_START);
	ck_assert_str_eq(fw_vector_name(res_a.ev[prefix].vector), "udp_flood");
	ck_assert_int_le(res_a.ev[prefix].updated_ms, T0_MS + 65000);
}
END_TEST

START_TEST(test_detector_deterministic)
{
	run(A_UDP, 2000, NULL, &res_a);
	run(A_UDP, 2000, NULL, &res_b);
	ck_assert_int_eq(res_a.n, res_b.n);
	ck_assert_int_gt(res_a.n, 0);
	for (size_t i = 0; i < res_a.n; i++)
		ck_assert(memcmp(&res_a.ev[i], &res_b.ev[i], sizeof(res_a.ev[i])) == 0);
	run(A_WT, 0, NULL, &res_a);
	run(A_WT, 0, NULL, &res_b);
	ck_assert_int_eq(res_a.n, res_b.n);
	for (size_t i = 0; i < res_a.n; i++)
		ck_assert(memcmp(&res_a.ev[i], &res_b.ev[i], sizeof(res_a.ev[i])) == 0);
}
END_TEST

START_TEST(test_detector_networks_limit_watch)
{
	static const char *const nets[] = { "detector.networks=198.51.100.0/24, 2001:db8::/32", NULL };

	run(A_OUTSIDE, 2000, nets, &res_a);
	ck_assert_int_eq(res_a.n, 0);
	ck_assert_uint_ge(res_a.st.unwatched, 40 * 2000);
	run(A_UDP, 2000, nets, &res_a);
	assert_one_alert(&res_a, "198.51.100.53", "udp_flood");
	run(A_CARPET, 20000, nets, &res_a);
	assert_one_alert(&res_a, "198.51.100.0/24", "udp_flood");
}
END_TEST

START_TEST(test_detector_static_threshold)
{
	/* Baseline rule made unreachable: only the static threshold can fire. */
	static const char *const none[] = { "detector.min_pps=1000000", "detector.networks=198.51.100.0/24", NULL };
	static const char *const stat[] = { "detector.min_pps=1000000",
	    "detector.networks=198.51.100.0/24@1000, 2001:db8::/32", NULL };

	run(A_UDP, 2000, none, &res_a);
	ck_assert_int_eq(res_a.n, 0);
	run(A_UDP, 2000, stat, &res_a);
	assert_one_alert(&res_a, "198.51.100.53", "udp_flood");
	ck_assert_ptr_nonnull(strstr(res_a.ev[0].evidence, "\"threshold_pps\":1000"));
}
END_TEST

START_TEST(test_detector_water_torture)
{
	run(A_WT, 0, NULL, &res_a);
	assert_one_alert(&res_a, "victim.example", "dns_water_torture");
	ck_assert_ptr_nonnull(strstr(res_a.ev[0].evidence, ".victim.example\""));
	ck_assert_ptr_nonnull(strstr(res_a.ev[0].evidence, "\"failure_ratio\":1"));
	ck_assert(res_a.ev[0].peak_qps >= 290 && res_a.ev[0].peak_qps <= 320);
	ck_assert_uint_gt(res_a.st.dns_responses, 0);
}
END_TEST

START_TEST(test_detector_water_torture_deep_names_roll_up)
{
	/* Random second-level labels: no child zone carries it, the
	 * registrable domain does. */
	run(A_WT_DEEP, 0, NULL, &res_a);
	assert_one_alert(&res_a, "victim.example", "dns_water_torture");
}
END_TEST

START_TEST(test_detector_water_torture_mixed_with_real_names)
{
	run(A_WT_MIX, 0, NULL, &res_a);
	assert_one_alert(&res_a, "victim.example", "dns_water_torture");
}
END_TEST

START_TEST(test_detector_water_torture_with_retries)
{
	run(A_WT_RETRY, 0, NULL, &res_a);
	assert_one_alert(&res_a, "victim.example", "dns_water_torture");
}
END_TEST

START_TEST(test_detector_dns_flood)
{
	run(A_DNSFLOOD, 0, NULL, &res_a);
	assert_one_alert(&res_a, "victim.example", "dns_flood");
}
END_TEST

START_TEST(test_detector_flash_crowd_no_alert)
{
	run(A_FLASH, 0, NULL, &res_a);
	ck_assert_int_eq(res_a.n, 0);
	ck_assert_uint_gt(res_a.st.flash_crowds, 0);
}
END_TEST

START_TEST(test_detector_never_flags_public_suffix)
{
	run(A_TLD, 0, NULL, &res_a);
	ck_assert_int_eq(res_a.n, 0);
	ck_assert_uint_ge(res_a.st.dns_ignored, 40 * 300);
}
END_TEST

START_TEST(test_detector_dns_exclude)
{
	static const char *const ex[] = { "dns.exclude=victim.example", NULL };

	run(A_WT, 0, ex, &res_a);
	ck_assert_int_eq(res_a.n, 0);
}
END_TEST

START_TEST(test_detector_long_flow_is_spread)
{
	/* One record: 3000 packets from 60.0 s to 62.999 s.  Spread, it is
	 * 1000 pps in three windows (an alert, start_windows = 3); dumped into
	 * its end window it would be one hot window and no alert. */
	struct fw_config cfg;
	struct fw_detect *d;
	uint64_t rs = 5;

	fw_config_defaults(&cfg);
	cfg.single_source_share = 0;  /* one record is one source: the time model alone here */
	cfg.min_sources = 0;
	d = fw_test_detect_new(&cfg, &res_a);
	for (int s = 0; s < DUR_S; s++) {
		int64_t base = T0_MS + s * 1000LL;
		size_t n = 0;

		if (s == 61) {
			/* Arrives while window 60 is still open: the benign flows
			 * already reach 2.5 s ahead, lateness is 3 s. */
			struct fw_flow *f = flow(&n, T0_MS + 60000, 17, 0, 4444, 53, 3000, 3000 * 100);

			f->end_ms = T0_MS + 62999;
			fw_test_v4(&f->src, 192, 0, 2, 1);
			fw_test_v4(&f->dst, 198, 51, 100, 80);
		}
		benign_flows(&rs, base, &n);
		fw_detect_flows(d, flows, n);
	}
	fw_test_detect_end(d, &res_a.st);
	assert_one_alert_at(&res_a, "198.51.100.80", "udp_flood", 60, 63);
	/* 3000 x 1000/2999 per full window, cumulative rounding: 1000 or 1001. */
	ck_assert(res_a.ev[0].peak_pps >= 1000 && res_a.ev[0].peak_pps <= 1001);
	ck_assert_int_eq(res_a.ev[0].started_ms, T0_MS + 60000);
}
END_TEST

/*
 * Long flows (issue 11).  A router with active timeout `act_s` exports each
 * of 4 flows of `pps` packets/s to 198.51.100.80 as one record per act_s
 * seconds, at its end; other servers get short benign flows every second,
 * which move event time on.
 */
static void
long_flows(struct fw_detect *d, int act_s, int secs, uint64_t pps, int from_s, int to_s)
{
	uint64_t rs = 11;

	for (int s = 0; s < secs; s++) {
		int64_t base = T0_MS + s * 1000LL;
		size_t n = 0;

		for (int k = 0; k < 4; k++) {
			/* Flow k's records end at s when (s + k) % act_s == 0: the
			 * four flows began a second apart. */
			int phase = k, lo, hi;
			struct fw_flow *f;

			if ((s + phase) % act_s != 0 || s == 0)
				continue;
			lo = s - act_s > from_s ? s - act_s : from_s;
			hi = s < to_s ? s : to_s;
			if (hi <= lo)
				continue;
			f = flow(&n, T0_MS + lo * 1000LL, 17, 0, (uint16_t)(4000 + k), 9999,
			    pps * (uint64_t)(hi - lo), pps * (uint64_t)(hi - lo) * 500);
			f->end_ms = T0_MS + hi * 1000LL - 1;
			fw_test_v4(&f->src, 192, 0, 2, (uint8_t)(1 + k));
			fw_test_v4(&f->dst, 198, 51, 100, 80);
		}
		benign_flows(&rs, base, &n);
		fw_detect_flows(d, flows, n);
	}
	fw_detect_finish(d);
}

START_TEST(test_detector_long_flows_steady)
{
	/* 4 x 15 pps (60 pps, over the 50 pps floor) of long flows, the whole
	 * time: whatever the active timeout, a steady rate, no alert.  Before
	 * the credit model, every 60 s record was dumped into a few windows:
	 * an alert each minute. */
	static const int act[] = { 60, 300, 1800 };

	for (int i = 0; i < 3; i++) {
		struct fw_detect *d = fw_test_detect_new(NULL, &res_a);

		long_flows(d, act[i], 3 * act[i] > 900 ? 3 * act[i] : 900, 15, -100000, 1000000);
		fw_detect_get_stats(d, &res_a.st);
		fw_detect_free(d);
		ck_assert_msg(res_a.n == 0, "active %d s: %zu events, first %s", act[i], res_a.n,
		    res_a.n > 0 ? res_a.ev[0].victim : "");
		ck_assert_uint_gt(res_a.st.credits, 0);
	}
}
END_TEST

START_TEST(test_detector_long_flow_flood_one_alert)
{
	/* 4 x 1000 pps in 60 s records from 300 s to 600 s: one alert (not one a
	 * minute), on the host, at no more than the flood's rate, starting
	 * once the first records arrived (active timeout after the onset). */
	struct fw_detect *d = fw_test_detect_new(NULL, &res_a);

	long_flows(d, 60, 900, 1000, 300, 600);
	fw_detect_get_stats(d, &res_a.st);
	fw_detect_free(d);
	ck_assert_uint_eq(res_a.st.alerts_started, 1);
	ck_assert_str_eq(res_a.ev[0].victim, "198.51.100.80");
	ck_assert_str_eq(fw_vector_name(res_a.ev[0].vector), "udp_flood");
	ck_assert_int_ge(res_a.ev[0].started_ms, T0_MS + 300000);
	ck_assert_int_le(res_a.ev[0].updated_ms, T0_MS + 300000 + 60000 + 5000);
	/* Seams of consecutive records may overlap by a window or two: never
	 * the 60x spike of a whole record in one window. */
	ck_assert_msg(res_a.ev[res_a.n - 1].peak_pps <= 2 * 4000, "peak %.0f", res_a.ev[res_a.n - 1].peak_pps);
}
END_TEST

START_TEST(test_detector_learns_lateness)
{
	/* Short flows reach the collector an inactive timeout (15 s) after their
	 * packets, long ones at once.  The lateness is learned (16 s), so a
	 * spoofed flood of such late 1-packet records lands in its own windows:
	 * the alert starts at the onset (60 s), not 12 s later. */
	struct fw_detect *d = fw_test_detect_new(NULL, &res_a);
	uint64_t rs = 3;

	for (int s = 0; s < 150; s++) {
		size_t n = 0;

		/* An active-timeout record that ends now moves event time on. */
		(void)flow(&n, T0_MS + s * 1000LL + 999, 6, 0x18, 443, 40000, 10, 10 * 800);
		fw_test_v4(&flows[n - 1].dst, 198, 51, 100, 10);
		if (s >= 15) {
			/* What ended 15 s ago: benign short flows, and from 60 s to
			 * 100 s a spoofed flood (300 one-packet flows a second). */
			benign_flows(&rs, T0_MS + (s - 15) * 1000LL, &n);
			for (int k = 0; s - 15 >= 60 && s - 15 < 100 && k < 300; k++) {
				struct fw_flow *f = flow(&n, T0_MS + (s - 15) * 1000LL + k * 3, 17, 0,
				    (uint16_t)(1024 + fw_test_rnd(&rs) % 60000), 53, 1, 540);

				fw_test_v4u(&f->src, (uint32_t)fw_test_rnd(&rs));
				fw_test_v4(&f->dst, 198, 51, 100, 53);
			}
		}
		fw_detect_flows(d, flows, n);
	}
	fw_test_detect_end(d, &res_a.st);
	ck_assert_uint_eq(res_a.st.lateness_ms, 16000);
	assert_one_alert_at(&res_a, "198.51.100.53", "udp_flood", 60, 100);
	ck_assert_int_le(res_a.ev[0].started_ms, T0_MS + 61000);
}
END_TEST

/*
 * Live mode into res_a: seconds 0 .. secs of benign traffic and a UDP
 * flood from ATK_START_S, the wall clock at base + clock_ms each second;
 * at second ahead_s (-1: never) one more record stamped 50 s ahead.
 */
static struct fw_detect *
live_udp_flood(int secs, int64_t clock_ms, int ahead_s)
{
	struct fw_detect *d = fw_test_detect_new(NULL, &res_a);
	uint64_t rs = 11;

	for (int s = 0; s < secs; s++) {
		int64_t base = T0_MS + s * 1000LL;
		size_t n = 0;

		fw_detect_clock(d, base + clock_ms);
		benign_flows(&rs, base, &n);
		if (s >= ATK_START_S)
			attack_flows(A_UDP, &rs, base, &n, 2000);
		fw_detect_flows(d, flows, n);
		if (s == ahead_s) {
			struct fw_flow ahead = flows[0];

			ahead.start_ms = ahead.end_ms = base + 50000;
			fw_detect_flows(d, &ahead, 1);
		}
	}
	return d;
}

START_TEST(test_detector_wall_clock_ends_alert)
{
	/* Live mode: traffic stops at 100 s; only the wall clock moves on. */
	struct fw_detect *d = live_udp_flood(ATK_END_S, 0, -1);
	struct fw_flow far;

	ck_assert_int_eq(res_a.n > 0 ? res_a.ev[0].event : 0, FW_EV_START);
	ck_assert_int_ne(res_a.ev[res_a.n - 1].event, FW_EV_END);
	/* A record stamped 2 minutes ahead of the wall clock is dropped. */
	far = flows[0];
	far.start_ms = far.end_ms = T0_MS + (ATK_END_S + 120) * 1000LL;
	fw_detect_flows(d, &far, 1);
	/* Calm windows close once the lateness in force (up to 20 s) has
	 * passed; the alert ends after 10 calm windows and its 30-window
	 * quiet hold. */
	for (int s = ATK_END_S; s < ATK_END_S + 75; s++)
		fw_detect_clock(d, T0_MS + s * 1000LL);
	fw_detect_get_stats(d, &res_a.st);
	ck_assert_uint_eq(res_a.st.future, 1);
	ck_assert_int_eq(res_a.ev[res_a.n - 1].event, FW_EV_END);
	ck_assert_uint_eq(res_a.st.alerts_ended, 1);
	fw_detect_free(d);
}
END_TEST

START_TEST(test_detector_flood_running_at_start)
{
	/* A 2000 pps flood already on when the detector starts (t = 0 to 40 s):
	 * warm-up must not learn it as the victim's normal; it alerts from its
	 * first windows, and benign victims stay quiet. */
	static const char *const off[] = { "detector.warmup_pps=0", NULL };
	static const char *const floor1k[] = { "detector.warmup_pps=1000", NULL };

	/* The default floor (50 kpps) is for plain floods: 2000 pps is not one. */
	run(A_UDP_AT_START, 2000, NULL, &res_b);
	ck_assert_int_eq(res_b.n, 0);
	run(A_UDP_AT_START, 2000, floor1k, &res_a);
	assert_one_alert_at(&res_a, "198.51.100.53", "udp_flood", 0, 40);
	ck_assert_int_eq(res_a.ev[0].started_ms, T0_MS);
	/* warmup_pps = 0: nothing alerts during warm-up, and the flood is learned. */
	run(A_UDP_AT_START, 2000, off, &res_b);
	ck_assert_int_eq(res_b.n, 0);
}
END_TEST

START_TEST(test_detector_end_of_input_reason)
{
	/* The flood runs until the input ends: replay still ends it, and says why. */
	run(A_UDP_TO_END, 2000, NULL, &res_a);
	ck_assert_int_ge(res_a.n, 2);
	ck_assert_int_eq(res_a.ev[res_a.n - 1].event, FW_EV_END);
	ck_assert_int_eq(res_a.ev[res_a.n - 1].reason, FW_END_END_OF_INPUT);
	ck_assert_uint_eq(res_a.st.alerts_ended, res_a.st.alerts_started);
}
END_TEST

START_TEST(test_detector_end_all_at_shutdown)
{
	/* Live: the flood is still on at shutdown.  end_all ends it now, with
	 * reason shutdown, ended at its last hot window, decided at now; then
	 * nothing is open, and a second call ends nothing. */
	struct fw_config cfg;
	struct fw_detect *d = live_udp_flood(90, 0, -1);
	const struct fw_alert_ev *e;
	int64_t now = T0_MS + 90500;

	fw_config_defaults(&cfg);                  /* what the detector runs on */
	fw_detect_clock(d, now);
	ck_assert_int_gt(res_a.n, 0);
	ck_assert_int_ne(res_a.ev[res_a.n - 1].event, FW_EV_END);
	ck_assert_int_eq(fw_detect_end_all(d, FW_END_SHUTDOWN, now), 1);
	e = &res_a.ev[res_a.n - 1];
	ck_assert_int_eq(e->event, FW_EV_END);
	ck_assert_int_eq(e->reason, FW_END_SHUTDOWN);
	ck_assert_str_eq(e->victim, "198.51.100.53");
	ck_assert_str_eq(e->id, res_a.ev[0].id);
	ck_assert_uint_eq(e->seq, (unsigned)res_a.n);
	ck_assert_int_eq(e->updated_ms, now);
	fw_detect_get_stats(d, &res_a.st);
	/* The last closed hot window: windows stay open for the lateness in force. */
	ck_assert_int_ge(e->ended_ms, now - (int64_t)res_a.st.lateness_ms - 2 * cfg.window_ms);
	ck_assert_int_le(e->ended_ms, now);
	ck_assert_int_eq(fw_detect_end_all(d, FW_END_SHUTDOWN, now), 0);
	ck_assert_uint_eq(res_a.st.alerts_ended, 1);
	fw_detect_free(d);
}
END_TEST

START_TEST(test_detector_record_ahead_does_not_blind)
{
	/* Live mode: one record stamped 50 s ahead of the wall clock (a
	 * spoofed NetFlow header) just before a flood.  It is counted now;
	 * the flood's records are not late and the alert starts on time.
	 * (The clock runs 3.5 s after base: benign flows end up to then.) */
	struct fw_detect *d = live_udp_flood(ATK_END_S, 3500, ATK_START_S - 1);

	fw_detect_get_stats(d, &res_a.st);
	fw_detect_free(d);
	ck_assert_uint_eq(res_a.st.ahead, 1);
	/* 32 without the record too (long benign flows at the start); with
	 * the record moving event time, tens of thousands. */
	ck_assert_uint_lt(res_a.st.late, 100);
	ck_assert_int_ge(res_a.n, 1);
	ck_assert_int_eq(res_a.ev[0].event, FW_EV_START);
	ck_assert_int_eq(res_a.ev[0].started_ms, T0_MS + ATK_START_S * 1000LL);
}
END_TEST

/* ---- limits ---- */

START_TEST(test_detector_eviction_keeps_real_victim)
{
	static const char *const small[] = { "detector.max_victims=256", NULL };

	run(A_RANDDST, 2000, small, &res_a);
	assert_one_alert(&res_a, "198.51.100.53", "udp_flood");
	ck_assert_uint_gt(res_a.st.evicted_lru, 100000);
	ck_assert_uint_le(res_a.st.victims, 256);
}
END_TEST

START_TEST(test_detector_zone_eviction_bounded)
{
	/* Random parents (x.<random>.victim.example) overflow a small zone
	 * table; the registrable rollup still alerts. */
	static const char *const small[] = { "dns.max_zones=64", NULL };

	run(A_WT_DEEP, 0, small, &res_a);
	assert_one_alert(&res_a, "victim.example", "dns_water_torture");
	ck_assert_uint_gt(res_a.st.zones_evicted_lru, 1000);
	ck_assert_uint_le(res_a.st.zones, 64);
}
END_TEST

START_TEST(test_detector_hand_built_config)
{
	/* Only the keys the first detector had: the new ones take defaults. */
	struct fw_config cfg;
	struct fw_detect *d;
	struct fw_detect_stats st;

	memset(&cfg, 0, sizeof(cfg));
	cfg.window_ms = 1000;
	cfg.lateness_ms = 3000;
	cfg.max_victims = 1024;
	cfg.warmup_windows = 10;
	cfg.ewma_alpha = 0.05;
	cfg.min_pps = 50;
	cfg.multiplier = 4;
	cfg.zscore = 6;
	cfg.start_windows = 3;
	cfg.end_windows = 10;
	cfg.update_windows = 10;
	ck_assert_int_eq(fw_detect_new(&cfg, NULL, NULL, &d), FW_OK);
	fw_detect_get_stats(d, &st);
	ck_assert_uint_gt(st.memory_bytes, 1024u * 1000);
	fw_detect_free(d);
}
END_TEST

START_TEST(test_detector_memory_reported)
{
	struct fw_config cfg;
	struct fw_detect *d;
	struct fw_detect_stats st;

	fw_config_defaults(&cfg);
	ck_assert_int_eq(fw_detect_new(&cfg, NULL, NULL, &d), FW_OK);
	fw_detect_get_stats(d, &st);
	ck_assert_uint_gt(st.memory_bytes, (size_t)cfg.max_victims * 1000);
	/* Defaults: 245 MiB before the per-window source bitmaps (issue 12),
	 * 258 MiB with them; the bound is 10 % over the former. */
	ck_assert_uint_lt(st.memory_bytes, (size_t)270 << 20);
	fw_detect_free(d);
}
END_TEST

/* ---- malformed: bad config and odd records ---- */

START_TEST(test_detector_bad_networks)
{
	static const char *const bad[] = {
		"198.51.100.0", "198.51.100.0/33", "2001:db8::/129", "nonsense/8", "10.0.0.0/x",
		"10.0.0.0/8@", "10.0.0.0/8@-5", "10.0.0.0/8@1k",
	};
	struct fw_config cfg;
	struct fw_detect *d = NULL;
	char err[256];

	fw_config_defaults(&cfg);
	ck_assert_int_eq(fw_config_set(&cfg, "detector.networks=x", err, sizeof(err)), FW_OK);
	snprintf(cfg.networks, sizeof(cfg.networks), "%s", bad[_i]);
	ck_assert_int_eq(fw_detect_new(&cfg, NULL, NULL, &d), FW_EINVAL);
	ck_assert_ptr_null(d);
	ck_assert_int_eq(fw_detect_check_config(&cfg, err, sizeof(err)), FW_EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "detector.networks"));
}
END_TEST

/* 65 prefixes: refused, and nothing is written past the 64-entry table
 * (ASan: the old parser stored the 65th entry's rate before counting). */
START_TEST(test_detector_too_many_networks)
{
	struct fw_config cfg;
	struct fw_detect *d = NULL;
	char err[256];
	size_t off = 0;

	fw_config_defaults(&cfg);
	for (int i = 0; i < 65; i++)
		off += (size_t)snprintf(cfg.networks + off, sizeof(cfg.networks) - off, "%d.0.0.0/8@5,", i + 1);
	ck_assert_uint_lt(off, sizeof(cfg.networks));
	ck_assert_int_eq(fw_detect_check_config(&cfg, err, sizeof(err)), FW_EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "more than 64 prefixes"));
	ck_assert_int_eq(fw_detect_new(&cfg, NULL, NULL, &d), FW_EINVAL);
	ck_assert_ptr_null(d);
}
END_TEST

START_TEST(test_detector_check_config)
{
	struct fw_config cfg;
	char err[256];

	fw_config_defaults(&cfg);
	ck_assert_int_eq(fw_detect_check_config(&cfg, err, sizeof(err)), FW_OK);
	ck_assert_int_eq(fw_config_set(&cfg, "detector.networks=198.51.100.0/24 2001:db8::/32,10.0.0.0/8",
	    err, sizeof(err)), FW_OK);
	ck_assert_int_eq(fw_config_set(&cfg, "dns.zones=victim.example,Shop.Example.CO.UK.", err, sizeof(err)), FW_OK);
	ck_assert_int_eq(fw_detect_check_config(&cfg, err, sizeof(err)), FW_OK);
	ck_assert_int_eq(fw_config_set(&cfg, "dns.zones=victim.example,co.uk", err, sizeof(err)), FW_OK);
	ck_assert_int_eq(fw_detect_check_config(&cfg, err, sizeof(err)), FW_EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "'co.uk' is a public suffix"));
}
END_TEST

START_TEST(test_detector_odd_dns_names)
{
	static const char *const names[] = { "", "com", ".", "a.", ".com", "x..y", "localhost" };
	struct fw_detect *d = fw_test_detect_new(NULL, &res_a);
	struct fw_detect_stats st;
	struct fw_addr c;

	fw_test_v4(&c, 192, 0, 2, 1);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		size_t n = 0;
		struct fw_dnsq *q = query(&n, T0_MS, names[i], &c);

		q->qname_len = (uint8_t)(strlen(names[i]) + 3);  /* lies: strnlen bounds it */
		fw_detect_dns(d, q, 1);
	}
	fw_detect_finish(d);
	fw_detect_get_stats(d, &st);
	ck_assert_uint_eq(st.dnsq, sizeof(names) / sizeof(names[0]));
	ck_assert_int_eq(res_a.n, 0);
	fw_detect_free(d);
}
END_TEST

START_TEST(test_detector_odd_times)
{
	static const int64_t times[] = { -5, INT64_MIN, INT64_MAX, INT64_MAX / 4 + 1 };
	struct fw_detect *d = fw_test_detect_new(NULL, NULL);
	struct fw_detect_stats st;
	size_t n = 0;
	struct fw_flow *f;

	for (size_t i = 0; i < 4; i++) {
		n = 0;
		f = flow(&n, times[i], 17, 0, 1, 53, 1, 100);
		f->start_ms = INT64_MIN;  /* nonsense start: the record counts at its end */
		fw_test_v4(&f->dst, 198, 51, 100, 53);
		fw_detect_flows(d, f, 1);
	}
	n = 0;
	f = flow(&n, T0_MS, 17, 0, 1, 53, 1, 100);
	f->start_ms = T0_MS - 3600 * 1000LL;  /* an hour-long flow: spread, bounded */
	fw_test_v4(&f->dst, 198, 51, 100, 53);
	fw_detect_flows(d, f, 1);
	fw_test_detect_end(d, &st);
	ck_assert_uint_eq(st.future, 4);
	ck_assert_uint_eq(st.flows, 5);
}
END_TEST

/* ---- sketches ---- */

START_TEST(test_detector_xset_exact_and_saturates)
{
	struct fw_xset s;

	ck_assert_int_eq(fw_xset_init(&s, 100), FW_OK);
	for (uint64_t i = 0; i < 60; i++)
		ck_assert_int_eq(fw_xset_add(&s, fw_hash64(i)), 1);
	for (uint64_t i = 0; i < 30; i++)
		ck_assert_int_eq(fw_xset_add(&s, fw_hash64(i)), 0);
	ck_assert_uint_eq(s.n, 60);
	ck_assert_uint_eq(fw_xset_singletons(&s), 30);
	ck_assert_uint_eq(s.offered, 90);
	ck_assert(!fw_xset_saturated(&s));
	for (uint64_t i = 60; i < 100; i++)
		ck_assert_int_eq(fw_xset_add(&s, fw_hash64(i)), 1);
	ck_assert_int_eq(fw_xset_add(&s, fw_hash64(100)), -1);  /* the 101st: full */
	ck_assert(fw_xset_saturated(&s));
	ck_assert_uint_eq(s.n, 100);
	ck_assert_int_eq(fw_xset_add(&s, fw_hash64(5)), -1);  /* saturated: no more lookups */
	ck_assert_uint_eq(s.overflow, 2);
	ck_assert_uint_eq(s.offered, 130);
	fw_xset_clear(&s);
	ck_assert_uint_eq(s.n, 0);
	ck_assert_int_eq(fw_xset_add(&s, 0), 1);  /* 0 is a valid key */
	ck_assert_int_eq(fw_xset_add(&s, 0), 0);
	fw_xset_fini(&s);
}
END_TEST

START_TEST(test_detector_topk_and_entropy)
{
	struct fw_topk t;
	struct fw_ent16 e;
	uint32_t order[FW_TOPK_K];

	fw_topk_init(&t, 16);  /* guaranteed: weight > total / 16 = 844 */
	for (uint64_t i = 0; i < 10000; i++) {
		fw_topk_add(&t, 1000 + i, 1);       /* one-off noise */
		if (i % 4 == 0)
			fw_topk_add(&t, 7, 1);      /* 2500 of 12500 */
		if (i % 10 == 0)
			fw_topk_add(&t, 9, 1);      /* 1000 of 12500 */
	}
	fw_topk_order(&t, order);
	ck_assert_uint_eq(t.key[order[0]], 7);
	ck_assert_uint_eq(t.key[order[1]], 9);
	ck_assert_uint_ge(t.cnt[order[0]], 2500);
	ck_assert_uint_le(t.cnt[order[0]] - t.err[order[0]], 2500);
	ck_assert_uint_eq(t.total, 13500);

	memset(&e, 0, sizeof(e));
	ck_assert(fw_ent16_value(&e) == 0);
	fw_ent16_add(&e, 0, 100);
	ck_assert(fw_ent16_value(&e) == 0);
	for (uint64_t b = 1; b < 16; b++)
		fw_ent16_add(&e, b << 60, 100);
	ck_assert(fw_ent16_value(&e) > 0.999 && fw_ent16_value(&e) <= 1.0);
	{
		const uint32_t two[2] = { 5, 5 };

		ck_assert(fw_entropy_bits(two, 2) > 0.999 && fw_entropy_bits(two, 2) < 1.001);
	}
}
END_TEST

static Suite *
detector_suite(void)
{
	Suite *s = suite_create("detector");
	TCase *v = tcase_create("valid"), *l = tcase_create("limits"), *m = tcase_create("malformed");

	tcase_set_timeout(v, 120);
	tcase_set_timeout(l, 120);
	tcase_set_timeout(m, 30);
	tcase_add_test(v, test_detector_benign_only_no_alert);
	tcase_add_test(v, test_detector_benign_dns_no_alert);
	tcase_add_loop_test(v, test_detector_flow_vectors, 0, (int)(sizeof(flow_cases) / sizeof(flow_cases[0])));
	tcase_add_test(v, test_detector_udp_lifecycle_and_evidence);
	tcase_add_test(v, test_detector_deterministic);
	tcase_add_test(v, test_detector_prefix_does_not_learn_host_flood);
	tcase_add_test(v, test_detector_retrigger_in_cooldown_continues);
	tcase_add_test(v, test_detector_networks_limit_watch);
	tcase_add_test(v, test_detector_static_threshold);
	tcase_add_test(v, test_detector_water_torture);
	tcase_add_test(v, test_detector_water_torture_deep_names_roll_up);
	tcase_add_test(v, test_detector_water_torture_mixed_with_real_names);
	tcase_add_test(v, test_detector_water_torture_with_retries);
	tcase_add_test(v, test_detector_dns_flood);
	tcase_add_test(v, test_detector_flash_crowd_no_alert);
	tcase_add_test(v, test_detector_never_flags_public_suffix);
	tcase_add_test(v, test_detector_dns_exclude);
	tcase_add_test(v, test_detector_wall_clock_ends_alert);
	tcase_add_test(v, test_detector_flood_running_at_start);
	tcase_add_test(v, test_detector_end_of_input_reason);
	tcase_add_test(v, test_detector_end_all_at_shutdown);
	tcase_add_test(v, test_detector_record_ahead_does_not_blind);
	tcase_add_test(v, test_detector_long_flow_is_spread);
	tcase_add_test(v, test_detector_long_flows_steady);
	tcase_add_test(v, test_detector_long_flow_flood_one_alert);
	tcase_add_test(v, test_detector_learns_lateness);
	tcase_add_test(v, test_detector_xset_exact_and_saturates);
	tcase_add_test(v, test_detector_topk_and_entropy);
	tcase_add_test(l, test_detector_eviction_keeps_real_victim);
	tcase_add_test(l, test_detector_zone_eviction_bounded);
	tcase_add_test(l, test_detector_memory_reported);
	tcase_add_test(l, test_detector_hand_built_config);
	tcase_add_loop_test(m, test_detector_bad_networks, 0, 8);
	tcase_add_test(m, test_detector_too_many_networks);
	tcase_add_test(m, test_detector_odd_dns_names);
	tcase_add_test(m, test_detector_check_config);
	tcase_add_test(m, test_detector_odd_times);
	suite_add_tcase(s, v);
	suite_add_tcase(s, l);
	suite_add_tcase(s, m);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(detector_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
