/*
 * check_detect.c - the detector on synthetic flow records: a benign
 * baseline, then a flood of one vector, then calm.  Each run must give
 * exactly one start and one end event with the right victim text and
 * vector; benign traffic alone gives none; the same input gives the same
 * events; fw_detect_finish() ends alerts still open.
 *
 * Default configuration (1 s windows, 3 s lateness, min 50 pps, x4 over
 * baseline, 3 hot windows to start, 10 calm windows to end).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fw_nf5.h"
#include "fw_pkt.h"
#define FW_TEST_MAX_EV 64
#include "fw_test_detect.h"
#include "fw_test_pcap.h"

Suite *detect_suite(void);

#define T0 FW_TEST_T0_MS       /* scenario start, ms */

struct flood {
	const char *name;      /* expected vector name */
	int vector;            /* expected enum fw_vector */
	uint8_t proto;
	uint8_t flags;
	uint16_t sport;        /* 0: varies per record */
	uint16_t dport;
	uint32_t pkt_bytes;    /* bytes per packet */
	int v6;                /* victim is IPv6 */
};

static const struct flood floods[] = {
	{ "udp_flood", FW_VEC_UDP_FLOOD, 17, 0, 0, 53, 540, 0 },
	{ "syn_flood", FW_VEC_SYN_FLOOD, 6, 0x02, 0, 80, 60, 0 },
	{ "gre_flood", FW_VEC_GRE_FLOOD, 47, 0, 0, 0, 1000, 0 },
	{ "icmp_flood", FW_VEC_ICMP_FLOOD, 1, 0, 0x0800, 0, 84, 0 },
	{ "ack_flood", FW_VEC_ACK_FLOOD, 6, 0x10, 0, 443, 52, 0 },
	{ "ntp_amplification", FW_VEC_NTP_AMPLIFICATION, 17, 0, 123, 0, 468, 0 },
	{ "dns_amplification", FW_VEC_DNS_AMPLIFICATION, 17, 0, 53, 0, 1400, 0 },
	{ "udp_flood", FW_VEC_UDP_FLOOD, 17, 0, 0, 9999, 200, 1 },
};

static void
victim_addr(struct fw_addr *a, int v6)
{
	if (v6)
		fw_test_v6_db8(a, 0x80);
	else
		fw_test_v4(a, 198, 51, 100, 80);
}

static void
flow(struct fw_flow *f, int64_t t, const struct fw_addr *dst, uint32_t src_host, uint8_t proto,
    uint8_t flags, uint16_t sport, uint16_t dport, uint64_t pkts, uint64_t bytes)
{
	fw_test_flow(f, t, proto, flags, sport, dport, pkts, bytes);
	fw_test_v4(&f->src, 203, 0, (uint8_t)(113 + (src_host >> 8) % 8), (uint8_t)src_host);
	f->dst = *dst;
	f->source = FW_SRC_NF5;
}

/*
 * Feed [0, secs) seconds from `start` (relative to T0): every second some
 * benign web/DNS flows to the victim and to other servers (about 15 pps to
 * the victim), and from flood_from to flood_to a flood of `fl` (2000 pps
 * in 20 flows of 100 packets, spread over the second).
 */
static void
feed(struct fw_detect *d, const struct flood *fl, int64_t base, int secs, int flood_from, int flood_to)
{
	struct fw_addr victim, other;
	struct fw_flow batch[32];

	victim_addr(&victim, fl ? fl->v6 : 0);
	for (int s = 0; s < secs; s++) {
		int64_t t = base + (int64_t)s * 1000;
		size_t n = 0;

		fw_test_v4(&other, 198, 51, 100, (uint8_t)(10 + s % 10));
		flow(&batch[n++], t + 10, &victim, (uint32_t)s, 6, 0x18, (uint16_t)(40000 + s), 443, 12, 12 * 700);
		flow(&batch[n++], t + 300, &victim, (uint32_t)s + 1, 17, 0, (uint16_t)(30000 + s), 53, 3, 3 * 80);
		flow(&batch[n++], t + 500, &other, (uint32_t)s + 2, 6, 0x18, (uint16_t)(41000 + s), 443, 20, 20 * 900);
		flow(&batch[n++], t + 700, &other, (uint32_t)s + 3, 17, 0, 123, 123, 1, 76);
		if (fl != NULL && s >= flood_from && s < flood_to) {
			for (int i = 0; i < 20; i++) {
				uint16_t sport = fl->sport ? fl->sport : (uint16_t)(1024 + (s * 20 + i) % 60000);
				flow(&batch[n++], t + 25 + i * 48, &victim, (uint32_t)(s * 20 + i), fl->proto, fl->flags,
				    sport, fl->dport, 100, (uint64_t)100 * fl->pkt_bytes);
			}
		}
		fw_detect_flows(d, batch, n);
	}
}

/* ---- valid ---- */

START_TEST(test_detect_vector)
{
	const struct flood *fl = &floods[_i];
	struct fw_test_sink *s = calloc(1, sizeof(*s));
	struct fw_detect *d = fw_test_detect_new(NULL, s);
	const struct fw_alert_ev *st, *en;
	struct fw_detect_stats stats;

	/* 60 s benign, flood 60..90 s, calm until 150 s. */
	feed(d, fl, T0, 150, 60, 90);
	fw_test_detect_end(d, &stats);
	ck_assert_uint_le(s->n, FW_TEST_MAX_EV);
	ck_assert_msg(fw_test_count(s, FW_EV_START) == 1, "%s: %zu starts", fl->name, fw_test_count(s, FW_EV_START));
	ck_assert_msg(fw_test_count(s, FW_EV_END) == 1, "%s: %zu ends", fl->name, fw_test_count(s, FW_EV_END));
	st = fw_test_find(s, FW_EV_START);
	en = fw_test_find(s, FW_EV_END);
	ck_assert_str_eq(st->victim, fl->v6 ? "2001:db8::80" : "198.51.100.80");
	ck_assert_str_eq(en->victim, st->victim);
	ck_assert_str_eq(fw_vector_name(st->vector), fl->name);
	ck_assert_int_eq(st->vector, fl->vector);
	ck_assert_int_eq(en->vector, fl->vector);
	ck_assert_str_eq(st->id, en->id);
	ck_assert_uint_eq(strlen(st->id), FW_ALERT_ID_LEN);
	/* Events in order, seq 1.. without gaps; the start comes first. */
	ck_assert_int_eq(s->ev[0].event, FW_EV_START);
	ck_assert_int_eq(s->ev[s->n - 1].event, FW_EV_END);
	for (size_t i = 0; i < s->n; i++) {
		ck_assert_uint_eq(s->ev[i].seq, i + 1);
		ck_assert_str_eq(s->ev[i].id, st->id);
	}
	/* Onset is the flood's first window; the end is its last hot window. */
	ck_assert_int_eq(st->started_ms, T0 + 60000);
	ck_assert_int_eq(st->ended_ms, 0);
	ck_assert_int_eq(en->started_ms, T0 + 60000);
	ck_assert_int_eq(en->ended_ms, T0 + 90000);
	/* Flood rate about 2000 pps plus the benign 15. */
	ck_assert_double_ge(en->peak_pps, 2000);
	ck_assert_double_le(en->peak_pps, 2100);
	ck_assert_double_ge(en->peak_bps, 2000.0 * fl->pkt_bytes * 8);
	ck_assert_ptr_nonnull(strstr(st->evidence, "\"baseline\""));
	ck_assert_uint_eq(stats.alerts_started, 1);
	ck_assert_uint_eq(stats.alerts_ended, 1);
	ck_assert_uint_eq(stats.victims_full, 0);
	free(s);
}
END_TEST

START_TEST(test_detect_benign_only)
{
	struct fw_test_sink *s = calloc(1, sizeof(*s));
	struct fw_detect *d = fw_test_detect_new(NULL, s);
	struct fw_detect_stats st;

	feed(d, NULL, T0, 300, 0, 0);
	fw_test_detect_end(d, &st);
	ck_assert_uint_eq(s->n, 0);
	ck_assert_uint_eq(st.flows, 300 * 4);
	ck_assert_uint_ge(st.windows_closed, 295);
	ck_assert_uint_eq(st.alerts_started, 0);
	free(s);
}
END_TEST

START_TEST(test_detect_deterministic)
{
	struct fw_test_sink *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));
	struct fw_detect *da = fw_test_detect_new(NULL, a), *db = fw_test_detect_new(NULL, b);

	feed(da, &floods[1], T0, 150, 60, 90);
	fw_test_detect_end(da, NULL);
	feed(db, &floods[1], T0, 150, 60, 90);
	fw_test_detect_end(db, NULL);
	ck_assert_uint_gt(a->n, 1);
	ck_assert_uint_eq(a->n, b->n);
	for (size_t i = 0; i < a->n; i++) {
		const struct fw_alert_ev *x = &a->ev[i], *y = &b->ev[i];
		ck_assert_str_eq(x->id, y->id);
		ck_assert_int_eq(x->event, y->event);
		ck_assert_int_eq(x->vector, y->vector);
		ck_assert_int_eq(x->severity, y->severity);
		ck_assert_uint_eq(x->seq, y->seq);
		ck_assert_int_eq(x->started_ms, y->started_ms);
		ck_assert_int_eq(x->updated_ms, y->updated_ms);
		ck_assert_int_eq(x->ended_ms, y->ended_ms);
		ck_assert_double_eq(x->peak_pps, y->peak_pps);
		ck_assert_double_eq(x->peak_bps, y->peak_bps);
		ck_assert_double_eq(x->cur_pps, y->cur_pps);
		ck_assert_str_eq(x->victim, y->victim);
		ck_assert_str_eq(x->evidence, y->evidence);
	}
	free(a);
	free(b);
}
END_TEST

/* The flood runs to the end of input: finish() must end the alert. */
START_TEST(test_detect_finish_ends_open_alert)
{
	struct fw_test_sink *s = calloc(1, sizeof(*s));
	struct fw_detect *d = fw_test_detect_new(NULL, s);
	const struct fw_alert_ev *en;

	feed(d, &floods[0], T0, 100, 60, 100);
	ck_assert_uint_eq(fw_test_count(s, FW_EV_START), 1);
	ck_assert_uint_eq(fw_test_count(s, FW_EV_END), 0);
	fw_detect_finish(d);
	ck_assert_uint_eq(fw_test_count(s, FW_EV_START), 1);
	ck_assert_uint_eq(fw_test_count(s, FW_EV_END), 1);
	en = fw_test_find(s, FW_EV_END);
	ck_assert_int_eq(en->ended_ms, T0 + 100000);
	/* A second finish changes nothing. */
	fw_detect_finish(d);
	ck_assert_uint_eq(fw_test_count(s, FW_EV_END), 1);
	fw_detect_free(d);
	free(s);
}
END_TEST

/* Two victims flooded at once: two independent alerts. */
START_TEST(test_detect_two_victims)
{
	struct fw_test_sink *s = calloc(1, sizeof(*s));
	struct fw_detect *d = fw_test_detect_new(NULL, s);
	size_t v4 = 0, v6 = 0;

	for (int sec = 0; sec < 150; sec++) {
		feed(d, &floods[1], T0 + sec * 1000LL, 1, sec >= 60 && sec < 90 ? 0 : 1, 1);
		feed(d, &floods[7], T0 + sec * 1000LL + 1, 1, sec >= 60 && sec < 90 ? 0 : 1, 1);
	}
	fw_test_detect_end(d, NULL);
	ck_assert_uint_eq(fw_test_count(s, FW_EV_START), 2);
	ck_assert_uint_eq(fw_test_count(s, FW_EV_END), 2);
	for (size_t i = 0; i < s->n; i++) {
		if (s->ev[i].event != FW_EV_START)
			continue;
		if (strcmp(s->ev[i].victim, "198.51.100.80") == 0 && s->ev[i].vector == FW_VEC_SYN_FLOOD)
			v4++;
		if (strcmp(s->ev[i].victim, "2001:db8::80") == 0 && s->ev[i].vector == FW_VEC_UDP_FLOOD)
			v6++;
	}
	ck_assert_uint_eq(v4, 1);
	ck_assert_uint_eq(v6, 1);
	free(s);
}
END_TEST

/*
 * The real NetFlow v5 capture (tests/data/udpflood_nf5.pcap, see
 * ../shared/captures/README.md): a UDP flood to 198.51.100.53 port 53 from
 * t = 60 s to t = 100 s at about 75 packets/s over benign traffic.
 */
START_TEST(test_detect_nf5_capture)
{
	struct fw_test_pcap cap;
	struct fw_test_sink *s = calloc(1, sizeof(*s));
	struct fw_detect *d = fw_test_detect_new(NULL, s);
	struct fw_flow out[FW_NF5_MAX_RECS];
	const struct fw_alert_ev *st, *en;

	ck_assert_int_eq(fw_test_pcap_load("tests/data/udpflood_nf5.pcap", &cap), 0);
	for (size_t i = 0; i < cap.n; i++) {
		struct fw_udp u;
		int n;

		ck_assert_int_eq(fw_pkt_udp(cap.linktype, cap.f[i].data, cap.f[i].len, &u), FW_OK);
		n = fw_nf5_decode(u.payload, u.len, &u.src, out, FW_NF5_MAX_RECS, NULL);
		ck_assert_int_gt(n, 0);
		fw_detect_flows(d, out, (size_t)n);
	}
	fw_test_detect_end(d, NULL);
	ck_assert_uint_eq(fw_test_count(s, FW_EV_START), 1);
	ck_assert_uint_eq(fw_test_count(s, FW_EV_END), 1);
	st = fw_test_find(s, FW_EV_START);
	en = fw_test_find(s, FW_EV_END);
	ck_assert_str_eq(st->victim, "198.51.100.53");
	ck_assert_str_eq(fw_vector_name(st->vector), "udp_flood");
	ck_assert_int_ge(st->started_ms, T0 + 60000);
	ck_assert_int_le(st->started_ms, T0 + 62000);
	ck_assert_int_ge(en->ended_ms, T0 + 99000);
	ck_assert_int_le(en->ended_ms, T0 + 101000);
	ck_assert_double_ge(en->peak_pps, 60);
	ck_assert_double_le(en->peak_pps, 120);
	fw_test_pcap_free(&cap);
	free(s);
}
END_TEST

/* ---- limits ---- */

/*
 * Records before 1970 (a NetFlow v5 header with unix_secs 0 gives them)
 * are refused and counted (stats.future), never used as window numbers:
 * ASan flagged the out-of-bounds write negative windows once caused.
 */
START_TEST(test_detect_negative_times)
{
	struct fw_test_sink *s = calloc(1, sizeof(*s));
	struct fw_detect *d = fw_test_detect_new(NULL, s);
	struct fw_detect_stats st;

	feed(d, &floods[0], -150000, 150, 60, 90);
	fw_test_detect_end(d, &st);
	ck_assert_uint_eq(st.flows, 150 * 4 + 30 * 20);
	ck_assert_uint_gt(st.future, 0);
	ck_assert_uint_eq(fw_test_count(s, FW_EV_START), 0);
	free(s);
}
END_TEST

/*
 * Lateness: a record older than the oldest open window is counted late
 * (and still counted, in that window).
 */
START_TEST(test_detect_lateness_from_first_record)
{
	struct fw_detect *d = fw_test_detect_new(NULL, NULL);
	struct fw_detect_stats st;
	struct fw_flow f;
	struct fw_addr dst;

	fw_test_v4(&dst, 198, 51, 100, 1);
	flow(&f, T0 + 5000, &dst, 1, 17, 0, 1, 2, 1, 100);
	fw_detect_flows(d, &f, 1);
	flow(&f, T0 + 6000, &dst, 1, 17, 0, 1, 2, 1, 100);
	fw_detect_flows(d, &f, 1);
	flow(&f, T0 - 5000, &dst, 1, 17, 0, 1, 2, 1, 100);
	fw_detect_flows(d, &f, 1);
	fw_detect_get_stats(d, &st);
	ck_assert_uint_eq(st.late, 1);
	ck_assert_uint_eq(st.flows, 3);
	fw_detect_free(d);
}
END_TEST

/* A victim table of 16: newcomers evict the least recently active victims
 * (counted), so a flood of random destinations cannot lock a victim out. */
START_TEST(test_detect_victim_table_full)
{
	struct fw_config cfg;
	struct fw_detect *d = NULL;
	struct fw_detect_stats st;
	struct fw_flow f[100];

	fw_config_defaults(&cfg);
	cfg.max_victims = 16;
	ck_assert_int_eq(fw_detect_new(&cfg, NULL, NULL, &d), FW_OK);
	for (int i = 0; i < 100; i++) {
		struct fw_addr dst;
		fw_test_v4(&dst, 10, 0, (uint8_t)(i >> 8), (uint8_t)i);
		flow(&f[i], T0, &dst, 1, 17, 0, 1, 2, 1, 100);
	}
	fw_detect_flows(d, f, 100);
	fw_detect_get_stats(d, &st);
	ck_assert_uint_eq(st.victims, 16);
	ck_assert_uint_gt(st.evicted_lru, 0);
	ck_assert_uint_eq(st.victims_full, 0);
	ck_assert_uint_gt(st.memory_bytes, 0);
	fw_detect_finish(d);
	fw_detect_free(d);
}
END_TEST

START_TEST(test_detect_bad_config)
{
	struct fw_config cfg;
	struct fw_detect *d = NULL;

	fw_config_defaults(&cfg);
	cfg.window_ms = 0;
	ck_assert_int_eq(fw_detect_new(&cfg, NULL, NULL, &d), FW_EINVAL);
	fw_config_defaults(&cfg);
	cfg.max_victims = 0;
	ck_assert_int_eq(fw_detect_new(&cfg, NULL, NULL, &d), FW_EINVAL);
	fw_detect_free(NULL);
	ck_assert_str_eq(fw_vector_name(FW_VEC_SSDP_AMPLIFICATION), "ssdp_amplification");
	ck_assert_str_eq(fw_vector_name(-1), "volumetric");
	ck_assert_str_eq(fw_vector_name(FW_VEC_COUNT), "volumetric");
}
END_TEST

/* Queries for NAME at t from one client (DNS side of the reload test). */
static void
ask(struct fw_detect *d, int64_t t, const char *name, int n)
{
	struct fw_dnsq q[8];
	char qname[FW_QNAME_MAX + 1];
	struct fw_addr client;

	fw_test_v4(&client, 192, 0, 2, 53);
	for (int i = 0; i < n && i < 8; i++) {
		snprintf(qname, sizeof(qname), "x%d.%s", i, name);
		fw_test_dnsq(&q[i], t + i, &client, qname);
	}
	fw_detect_dns(d, q, (size_t)(n < 8 ? n : 8));
}

/*
 * SIGHUP's fw_detect_reconfigure: in the middle of an open alert, new
 * thresholds, a new network and a new DNS zone apply at once while the
 * alert goes on under its id (one start, one end), the window clock and
 * the tables stay (a changed table size is ignored), and a bad list
 * changes nothing.
 */
START_TEST(test_detect_reconfigure)
{
	struct fw_config cfg;
	struct fw_detect *d = NULL;
	struct fw_detect_stats st0, st1, st2;
	struct fw_test_sink *s = calloc(1, sizeof(*s));
	struct fw_addr other_net;
	struct fw_flow f;
	char err[256];
	const struct fw_alert_ev *start;

	ck_assert_ptr_nonnull(s);
	fw_config_defaults(&cfg);
	snprintf(cfg.networks, sizeof(cfg.networks), "198.51.100.0/24");
	d = fw_test_detect_new(&cfg, s);
	fw_test_v4(&other_net, 192, 0, 2, 9);

	feed(d, &floods[0], T0, 20, 10, 60);
	flow(&f, T0 + 20500, &other_net, 1, 17, 0, 1234, 53, 100, 100 * 540);
	fw_detect_flows(d, &f, 1);
	ask(d, T0 + 20600, "a.b.c.example.com", 4);
	feed(d, &floods[0], T0 + 21000, 9, 0, 9);  /* closes the windows above */
	fw_detect_get_stats(d, &st0);
	ck_assert_uint_eq(fw_test_count(s, FW_EV_START), 1);
	ck_assert_uint_eq(fw_test_count(s, FW_EV_END), 0);
	ck_assert_uint_eq(st0.unwatched, 1);
	ck_assert_uint_eq(st0.zones, 2);          /* a.b.c.example.com and example.com */

	/* Bad: nothing changes. */
	snprintf(cfg.networks, sizeof(cfg.networks), "not-a-prefix");
	ck_assert_int_eq(fw_detect_reconfigure(d, &cfg, err, sizeof(err)), FW_EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "detector.networks"));

	cfg.multiplier = 8;
	cfg.min_pps = 100;
	cfg.max_victims = 64;                      /* sizes a table: ignored */
	snprintf(cfg.networks, sizeof(cfg.networks), "198.51.100.0/24, 192.0.2.0/24");
	snprintf(cfg.dns_zones, sizeof(cfg.dns_zones), "c.example.com");
	ck_assert_int_eq(fw_detect_reconfigure(d, &cfg, err, sizeof(err)), FW_OK);
	fw_detect_get_stats(d, &st1);
	ck_assert_uint_eq(st1.memory_bytes, st0.memory_bytes);
	ck_assert_uint_eq(st1.windows_closed, st0.windows_closed);
	ck_assert_uint_eq(st1.victims, st0.victims);

	flow(&f, T0 + 30500, &other_net, 1, 17, 0, 1234, 53, 100, 100 * 540);
	fw_detect_flows(d, &f, 1);
	ask(d, T0 + 30600, "a.b.c.example.com", 4);
	/* The flood goes on 10 s, then calm: the alert ends once (after its
	 * quiet hold), same id. */
	feed(d, &floods[0], T0 + 31000, 70, 0, 10);
	fw_detect_get_stats(d, &st2);
	ck_assert_uint_eq(st2.unwatched, 1);      /* the new network is watched */
	ck_assert_uint_eq(st2.zones, 3);          /* ... and the new zone tracked */
	ck_assert_uint_eq(fw_test_count(s, FW_EV_START), 1);
	ck_assert_uint_eq(fw_test_count(s, FW_EV_END), 1);
	start = fw_test_find(s, FW_EV_START);
	for (size_t i = 0; i < s->n && i < FW_TEST_MAX_EV; i++)
		ck_assert_str_eq(s->ev[i].id, start->id);
	fw_detect_free(d);
	free(s);
}
END_TEST

/* Each of 200 hosts of 198.51.100.0/24 one UDP flow of pkts packets a
 * second, for secs seconds from base. */
static void
carpet(struct fw_detect *d, int64_t base, int secs, uint64_t pkts)
{
	struct fw_flow batch[200];
	struct fw_addr dst;

	for (int s = 0; s < secs; s++) {
		for (int h = 0; h < 200; h++) {
			fw_test_v4(&dst, 198, 51, 100, (uint8_t)(10 + h));
			flow(&batch[h], base + (int64_t)s * 1000 + h * 4, &dst, (uint32_t)(s * 200 + h), 17, 0,
			    (uint16_t)(1024 + h), 53, pkts, pkts * 540);
		}
		fw_detect_flows(d, batch, 200);
	}
}

/*
 * A reload that adds a longer detector.networks prefix moves the hosts
 * under it to that prefix at once: hosts remember the aggregate they fed
 * (a cache of the prefix match), which a reload must forget, or they would
 * go on feeding the shorter one and a carpet bomb on the new prefix would
 * never show.
 */
START_TEST(test_detect_reconfigure_moves_hosts)
{
	struct fw_config cfg;
	struct fw_detect *d;
	struct fw_test_sink *s = calloc(1, sizeof(*s));
	char err[256];

	ck_assert_ptr_nonnull(s);
	fw_config_defaults(&cfg);
	snprintf(cfg.networks, sizeof(cfg.networks), "198.51.0.0/16");
	d = fw_test_detect_new(&cfg, s);
	carpet(d, T0, 70, 1);                      /* every host linked to the /16 */
	snprintf(cfg.networks, sizeof(cfg.networks), "198.51.0.0/16, 198.51.100.0/24");
	ck_assert_int_eq(fw_detect_reconfigure(d, &cfg, err, sizeof(err)), FW_OK);
	carpet(d, T0 + 70000, 30, 40);             /* 8000 pps over the /24, 40 per host */
	carpet(d, T0 + 100000, 30, 1);
	fw_detect_finish(d);
	ck_assert_uint_ge(fw_test_count_of(s, FW_EV_START, "198.51.100.0/24", -1), 1);
	ck_assert_uint_eq(fw_test_count_of(s, FW_EV_START, "198.51.0.0/16", -1), 0);
	fw_detect_free(d);
	free(s);
}
END_TEST

Suite *
detect_suite(void)
{
	Suite *s = suite_create("detect");
	TCase *v = tcase_create("valid"), *l = tcase_create("limits");

	tcase_add_loop_test(v, test_detect_vector, 0, (int)(sizeof(floods) / sizeof(floods[0])));
	tcase_add_test(v, test_detect_benign_only);
	tcase_add_test(v, test_detect_deterministic);
	tcase_add_test(v, test_detect_finish_ends_open_alert);
	tcase_add_test(v, test_detect_two_victims);
	tcase_add_test(v, test_detect_nf5_capture);
	tcase_add_test(v, test_detect_reconfigure);
	tcase_add_test(v, test_detect_reconfigure_moves_hosts);
	tcase_add_test(l, test_detect_negative_times);
	tcase_add_test(l, test_detect_lateness_from_first_record);
	tcase_add_test(l, test_detect_victim_table_full);
	tcase_add_test(l, test_detect_bad_config);
	tcase_set_timeout(v, 60);
	tcase_set_timeout(l, 60);
	suite_add_tcase(s, v);
	suite_add_tcase(s, l);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(detect_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
