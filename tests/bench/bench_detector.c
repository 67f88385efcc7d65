/*
 * bench_detector.c - detector throughput per core and peak memory.
 *
 *  1. Flow records/s: 1 M pre-built records (a spoofed UDP flood on one
 *     victim mixed with benign traffic to 4096 servers), fed in batches
 *     of 256 for 20 passes, event time moving on 1 M records per second
 *     (a collector near the goal rate; windows close once per 1 M records).
 *     Baseline timed in the same run: a loop that only reads each record
 *     (the floor any consumer pays).
 *  2. DNS records/s: 1 M queries, random 12-character labels under 16
 *     zones plus popular names, same method, 100 k queries per second of
 *     event time (each zone's exact name set fills without saturating).
 *  3. Time to detect: event time from the first attack record to the start
 *     event (benign 30 s, then a flood).
 *  4. Memory: 10 M flow records from 10 M distinct spoofed sources plus
 *     1 M distinct random subdomains (and 1 M random destinations filling
 *     the victim table) with the default configuration; prints the budget
 *     (stats.memory_bytes) and peak RSS (getrusage).
 *
 *  5. Checkpoints (fw_detect_save / fw_detect_restore, cluster detectors):
 *     blob size per victim and per zone of a busy state (10 k victims with
 *     traffic in every window; 2 k zones), and save / restore time of the
 *     default tables filled (65 536 victims, 16 384 zones): the detector
 *     thread stops for that long at each checkpoint.
 *
 * Bounded in count and time; asserts nothing about speed.  Build:
 *   cc -O2 -DNDEBUG -Iinclude tests/bench/bench_detector.c build/o/libfw.a \
 *      $(pkg-config --libs inih libpcap sqlite3 jansson libpsl) -lm -lpthread
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "fw_config.h"
#include "fw_detect.h"
#include "fw_pkt.h"
#include "fw_records.h"

#define NREC (1u << 20)
#define PASSES 20
#define BATCH 256
#define T0_MS 1700000000000LL

static uint64_t alerts;
static int64_t first_start_ms;

static void
on_alert(void *ctx, const struct fw_alert_ev *ev)
{
	(void)ctx;
	if (ev->event == FW_EV_START && first_start_ms == 0)
		first_start_ms = ev->updated_ms;
	alerts++;
}

static uint64_t
rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dULL;
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);  /* CPU time: per core, immune to steal on a shared host */
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
v4u(struct fw_addr *a, uint32_t x)
{
	const uint8_t b[4] = { (uint8_t)(x >> 24), (uint8_t)(x >> 16), (uint8_t)(x >> 8), (uint8_t)x };

	fw_addr_from_v4(a, b);
}

static double
peak_rss_mib(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_maxrss / 1024.0;  /* KiB on Linux */
}

static void
make_flow(struct fw_flow *f, uint64_t *rs, uint32_t i, int attack)
{
	memset(f, 0, sizeof(*f));
	f->end_ms = f->start_ms = T0_MS + i / 1000;  /* 1 M records per second */
	f->sampling = 1;
	f->ttl = (uint8_t)(30 + rnd(rs) % 35);
	if (attack) {
		v4u(&f->src, (uint32_t)rnd(rs));
		v4u(&f->dst, 0xc6336435u);  /* 198.51.100.53 */
		f->proto = 17;
		f->sport = (uint16_t)rnd(rs);
		f->dport = 53;
		f->pkts = 1;
		f->bytes = 540;
	} else {
		v4u(&f->src, 0xcb007100u | (uint32_t)(rnd(rs) % 256));
		v4u(&f->dst, 0xc6330000u | (uint32_t)(rnd(rs) % 4096));
		f->proto = 6;
		f->tcp_flags = 0x18;
		f->sport = (uint16_t)(32768 + rnd(rs) % 20000);
		f->dport = 443;
		f->pkts = 1 + rnd(rs) % 10;
		f->bytes = f->pkts * 700;
	}
}

static void
make_query(struct fw_dnsq *q, uint64_t *rs, uint32_t i)
{
	static const char alpha[] = "abcdefghijklmnopqrstuvw012345678";
	char label[13];

	memset(q, 0, sizeof(*q));
	q->time_ms = T0_MS + i / 100;
	v4u(&q->client, 0xc0000200u | (uint32_t)(rnd(rs) % 256));
	v4u(&q->server, 0xc6336435u);
	q->rcode = FW_RCODE_NONE;
	q->qtype = 1;
	if (i % 4 == 0) {
		snprintf(q->qname, sizeof(q->qname), "www.popular%u.example", (unsigned)(rnd(rs) % 16));
	} else {
		for (int k = 0; k < 12; k++)
			label[k] = alpha[rnd(rs) % 32];
		label[12] = '\0';
		snprintf(q->qname, sizeof(q->qname), "%s.victim%u.example", label, (unsigned)(rnd(rs) % 16));
	}
	q->qname_len = (uint8_t)strlen(q->qname);
}

static int
bench_flows(const struct fw_config *cfg0)
{
	struct fw_flow *f = malloc(NREC * sizeof(*f));
	struct fw_detect *d;
	struct fw_config cfg = *cfg0;
	uint64_t rs = 42, sum = 0;
	double t, base, det;

	/* No warm-up: the flood is an open alert for the whole run, so its
	 * victim takes the watched (heavier) sketch path, not a learned one. */
	cfg.warmup_windows = 0;
	if (f == NULL || fw_detect_new(&cfg, on_alert, NULL, &d) != FW_OK)
		return 1;
	for (uint32_t i = 0; i < NREC; i++)
		make_flow(&f[i], &rs, i, i % 10 != 0);
	/* Baseline: read every record once (what any consumer pays). */
	t = now_s();
	for (int p = 0; p < PASSES; p++)
		for (uint32_t i = 0; i < NREC; i++)
			sum += f[i].pkts ^ f[i].dst.b[15] ^ (uint64_t)f[i].end_ms;
	base = now_s() - t;
	det = 0;
	for (int p = 0; p < PASSES; p++) {
		for (uint32_t i = 0; i < NREC; i++) {
			f[i].end_ms += (int64_t)NREC / 1000;  /* the next pass is later in time */
			f[i].start_ms = f[i].end_ms;
		}
		t = now_s();
		for (uint32_t i = 0; i < NREC; i += BATCH)
			fw_detect_flows(d, f + i, BATCH);
		det += now_s() - t;
	}
	fw_detect_finish(d);
	fw_detect_free(d);
	free(f);
	printf("flows: %.2f M records/s/core, 90 %% a spoofed flood (alerting), 10 %% benign to 4096 servers "
	    "(baseline read loop %.0f M/s, ratio %.3f; %llu alert events; chk %llu)\n",
	    (double)NREC * PASSES / det / 1e6, (double)NREC * PASSES / base / 1e6, base / det,
	    (unsigned long long)alerts, (unsigned long long)(sum & 1));
	return 0;
}

static int
bench_dns(const struct fw_config *cfg)
{
	struct fw_dnsq *q = malloc(NREC * sizeof(*q));
	struct fw_detect *d;
	uint64_t rs = 43, sum = 0;
	double t, base, det;

	if (q == NULL || fw_detect_new(cfg, on_alert, NULL, &d) != FW_OK)
		return 1;
	for (uint32_t i = 0; i < NREC; i++)
		make_query(&q[i], &rs, i);
	t = now_s();
	for (int p = 0; p < PASSES / 4; p++)
		for (uint32_t i = 0; i < NREC; i++)
			sum += (uint64_t)q[i].qname[q[i].qname_len / 2] ^ (uint64_t)q[i].time_ms;
	base = now_s() - t;
	det = 0;
	for (int p = 0; p < PASSES / 4; p++) {
		for (uint32_t i = 0; i < NREC; i++)
			q[i].time_ms += (int64_t)NREC / 100;
		t = now_s();
		for (uint32_t i = 0; i < NREC; i += BATCH)
			fw_detect_dns(d, q + i, BATCH);
		det += now_s() - t;
	}
	fw_detect_finish(d);
	fw_detect_free(d);
	free(q);
	printf("dns:   %.2f M records/s/core (baseline read loop %.0f M/s, ratio %.3f; chk %llu)\n",
	    (double)NREC * (PASSES / 4) / det / 1e6, (double)NREC * (PASSES / 4) / base / 1e6, base / det,
	    (unsigned long long)(sum & 1));
	return 0;
}

/* Event time from the first attack record to the start event. */
static int
bench_time_to_detect(const struct fw_config *cfg)
{
	struct fw_flow f[BATCH];
	struct fw_detect *d;
	uint64_t rs = 44;
	int64_t onset = T0_MS + 30000;

	if (fw_detect_new(cfg, on_alert, NULL, &d) != FW_OK)
		return 1;
	first_start_ms = 0;
	for (int s = 0; s < 60; s++) {
		for (int k = 0; k < 10; k++) {
			for (int i = 0; i < BATCH; i++) {
				make_flow(&f[i], &rs, 0, s >= 30 && i % 2 == 0);
				f[i].start_ms = f[i].end_ms = T0_MS + s * 1000LL + (k * BATCH + i) * 1000LL / (10 * BATCH);
			}
			fw_detect_flows(d, f, BATCH);
		}
	}
	fw_detect_finish(d);
	fw_detect_free(d);
	printf("time to detect (udp flood, 1280 pps, start_windows=%lld): %.1f s of event time\n",
	    (long long)cfg->start_windows, first_start_ms ? (double)(first_start_ms - onset) / 1000 : -1.0);
	return 0;
}

static int
bench_memory(const struct fw_config *cfg)
{
	struct fw_flow f[BATCH];
	struct fw_dnsq *q = malloc(BATCH * sizeof(*q));
	struct fw_detect *d;
	struct fw_detect_stats st;
	uint64_t rs = 45;
	static const char alpha[] = "abcdefghijklmnopqrstuvw012345678";
	double t = now_s();

	if (q == NULL || fw_detect_new(cfg, on_alert, NULL, &d) != FW_OK)
		return 1;
	/* 10 M records, each from a distinct spoofed source (a counter through
	 * a bijective mix), to one victim; the last 1 M to random destinations. */
	for (uint32_t n = 0; n < 10000000u; n += BATCH) {
		for (int i = 0; i < BATCH; i++) {
			uint32_t k = n + (uint32_t)i;

			memset(&f[i], 0, sizeof(f[i]));
			f[i].start_ms = f[i].end_ms = T0_MS + k / 100;
			v4u(&f[i].src, (k * 2654435761u) ^ 0x5bd1e995u);
			v4u(&f[i].dst, k >= 9000000u ? (uint32_t)rnd(&rs) : 0xc6336435u);
			f[i].proto = 17;
			f[i].sport = (uint16_t)k;
			f[i].dport = 53;
			f[i].pkts = 1;
			f[i].bytes = 540;
		}
		fw_detect_flows(d, f, BATCH);
	}
	/* 1 M distinct random subdomains: half under one zone, half under
	 * random parents (zone table churn). */
	for (uint32_t n = 0; n < 1000000u; n += BATCH) {
		for (int i = 0; i < BATCH; i++) {
			char label[13];
			uint32_t k = n + (uint32_t)i;

			for (int c = 0; c < 12; c++)
				label[c] = alpha[rnd(&rs) % 32];
			label[12] = '\0';
			memset(&q[i], 0, sizeof(q[i]));
			q[i].time_ms = T0_MS + 100000 + k / 100;
			v4u(&q[i].client, 0xc0000200u | (k % 256));
			q[i].rcode = FW_RCODE_NONE;
			if (k % 2)
				snprintf(q[i].qname, sizeof(q[i].qname), "%s.victim.example", label);
			else
				snprintf(q[i].qname, sizeof(q[i].qname), "www.%s.example.net", label);
			q[i].qname_len = (uint8_t)strlen(q[i].qname);
		}
		fw_detect_dns(d, q, BATCH);
	}
	fw_detect_finish(d);
	fw_detect_get_stats(d, &st);
	printf("memory: 10 M spoofed sources + 1 M random destinations + 1 M random subdomains in %.1f s: "
	    "budget %.1f MiB (stats.memory_bytes), peak RSS %.1f MiB (goal <= 256 MiB); "
	    "victims %llu, evicted_lru %llu, zones %llu, zones_evicted_lru %llu, alerts started %llu\n",
	    now_s() - t, (double)st.memory_bytes / (1 << 20), peak_rss_mib(),
	    (unsigned long long)st.victims, (unsigned long long)st.evicted_lru,
	    (unsigned long long)st.zones, (unsigned long long)st.zones_evicted_lru,
	    (unsigned long long)st.alerts_started);
	fw_detect_free(d);
	free(q);
	return 0;
}

/* Save and restore d; prints what it took. */
static int
checkpoint_once(const struct fw_config *cfg, struct fw_detect *d, const char *what, uint64_t per, const char *unit)
{
	struct fw_detect *r;
	void *blob = NULL;
	size_t len = 0;
	char err[256];
	double t0 = now_s(), t1, t2;
	int rc;

	if (fw_detect_save(d, &blob, &len) != FW_OK)
		return 1;
	t1 = now_s();
	if (fw_detect_new(cfg, on_alert, NULL, &r) != FW_OK)
		return 1;
	t2 = now_s();
	rc = fw_detect_restore(r, blob, len, err, sizeof(err));
	if (rc != FW_OK) {
		fprintf(stderr, "restore: %s\n", err);
		return 1;
	}
	printf("checkpoint %s: %.2f MiB, %.0f bytes per %s; save %.1f ms, restore %.1f ms (CPU)\n", what,
	    (double)len / (1 << 20), (double)len / (double)(per ? per : 1), unit, (t1 - t0) * 1e3, (now_s() - t2) * 1e3);
	fw_detect_free(r);
	free(blob);
	return 0;
}

static int
bench_checkpoint(const struct fw_config *cfg)
{
	struct fw_flow f[BATCH];
	struct fw_dnsq *q = malloc(BATCH * sizeof(*q));
	struct fw_detect *d;
	struct fw_detect_stats st;
	uint64_t rs = 47;
	int rc = 1;

	if (q == NULL || fw_detect_new(cfg, on_alert, NULL, &d) != FW_OK)
		goto out;
	/* 10 k hosts in 40 /24s, each a few records in every window of 60 s. */
	for (uint32_t s = 0; s < 60; s++) {
		for (uint32_t n = 0; n < 30000; n += BATCH) {
			for (int i = 0; i < BATCH; i++) {
				make_flow(&f[i], &rs, 0, 0);
				v4u(&f[i].dst, 0xc6000000u | ((n + (uint32_t)i) % 10000 / 250) << 8 | (n + (uint32_t)i) % 250);
				f[i].start_ms = f[i].end_ms = T0_MS + s * 1000 + (n + (uint32_t)i) / 30;
			}
			fw_detect_flows(d, f, BATCH);
		}
	}
	fw_detect_get_stats(d, &st);
	if (checkpoint_once(cfg, d, "busy flows (10 k hosts + 40 /24s, 60 s)", st.victims, "victim") != 0)
		goto out;
	fw_detect_free(d);
	/* 2 k zones, 10 names a second each, 60 s. */
	if (fw_detect_new(cfg, on_alert, NULL, &d) != FW_OK)
		goto out;
	for (uint32_t s = 0; s < 60; s++) {
		for (uint32_t n = 0; n < 20000; n += BATCH) {
			for (int i = 0; i < BATCH; i++) {
				uint32_t k = n + (uint32_t)i;

				memset(&q[i], 0, sizeof(q[i]));
				q[i].time_ms = T0_MS + s * 1000 + k / 20;
				v4u(&q[i].client, 0xc0000200u | (uint32_t)(rnd(&rs) % 256));
				q[i].rcode = FW_RCODE_NONE;
				snprintf(q[i].qname, sizeof(q[i].qname), "h%u.zone%u.example", (unsigned)(rnd(&rs) % 50),
				    (unsigned)(k % 2000));
				q[i].qname_len = (uint8_t)strlen(q[i].qname);
			}
			fw_detect_dns(d, q, BATCH);
		}
	}
	fw_detect_get_stats(d, &st);
	if (checkpoint_once(cfg, d, "busy dns (2 k zones, 60 s)", st.zones, "zone") != 0)
		goto out;
	fw_detect_free(d);
	/* The default tables full: random destinations and zones, 30 s. */
	if (fw_detect_new(cfg, on_alert, NULL, &d) != FW_OK)
		goto out;
	for (uint32_t s = 0; s < 30; s++) {
		for (uint32_t n = 0; n < 40000; n += BATCH) {
			for (int i = 0; i < BATCH; i++) {
				make_flow(&f[i], &rs, 0, 0);
				v4u(&f[i].dst, (uint32_t)rnd(&rs));
				f[i].start_ms = f[i].end_ms = T0_MS + s * 1000 + (n + (uint32_t)i) / 40;
				memset(&q[i], 0, sizeof(q[i]));
				q[i].time_ms = f[i].end_ms;
				q[i].rcode = FW_RCODE_NONE;
				snprintf(q[i].qname, sizeof(q[i].qname), "www.z%u.example", (unsigned)(rnd(&rs) % 100000));
				q[i].qname_len = (uint8_t)strlen(q[i].qname);
			}
			fw_detect_flows(d, f, BATCH);
			fw_detect_dns(d, q, BATCH);
		}
	}
	fw_detect_get_stats(d, &st);
	printf("checkpoint full tables: %llu victims, %llu zones\n", (unsigned long long)st.victims,
	    (unsigned long long)st.zones);
	rc = checkpoint_once(cfg, d, "full default tables", st.victims + st.zones, "entry");
out:
	fw_detect_free(d);
	free(q);
	return rc;
}

int
main(int argc, char **argv)
{
	struct fw_config cfg;
	const char *only = argc > 1 ? argv[1] : "all";

	fw_config_defaults(&cfg);
	/* bench_detector MODE section.key=value ...: the defaults changed
	 * (e.g. memory with detector.max_lateness_ms=3000). */
	for (int i = 2; i < argc; i++) {
		char err[256];

		if (fw_config_set(&cfg, argv[i], err, sizeof(err)) != FW_OK) {
			fprintf(stderr, "bench_detector: %s\n", err);
			return 2;
		}
	}
	/* Memory first, so peak RSS is that run's (the others hold big arrays). */
	if ((strcmp(only, "all") == 0 || strcmp(only, "memory") == 0) && bench_memory(&cfg) != 0)
		return 1;
	if ((strcmp(only, "all") == 0 || strcmp(only, "flows") == 0) && bench_flows(&cfg) != 0)
		return 1;
	if ((strcmp(only, "all") == 0 || strcmp(only, "dns") == 0) && bench_dns(&cfg) != 0)
		return 1;
	if ((strcmp(only, "all") == 0 || strcmp(only, "detect") == 0) && bench_time_to_detect(&cfg) != 0)
		return 1;
	if ((strcmp(only, "all") == 0 || strcmp(only, "checkpoint") == 0) && bench_checkpoint(&cfg) != 0)
		return 1;
	return 0;
}
