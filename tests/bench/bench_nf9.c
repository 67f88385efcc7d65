/*
 * bench_nf9.c - NetFlow v9 and IPFIX decode throughput.
 *
 * Loads tests/data/udpflood_{nf9,ipfix}.pcap into memory, then decodes all
 * datagrams again and again into one cache (templates learnt on the first
 * pass) for a bounded number of passes and time, and prints records/s on
 * one core.  Baseline timed in the same run: copying the same datagram
 * bytes (memcpy), i.e. touching the input without decoding it.
 * Run from the repository root.  Goal: >= 5 M records/s/core.
 */
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "fw_nf9.h"
#include "fw_pkt.h"
#include "fw_tmpl.h"

#define MAX_DG 1024
#define MAX_PASSES 4000
#define MAX_SECONDS 2.0

struct dg {
	uint8_t *p;
	size_t len;
	struct fw_addr src;
};

typedef int (*decode_fn)(struct fw_tmpl_cache *, const uint8_t *, size_t,
    const struct fw_addr *, int64_t, struct fw_flow *, size_t, struct fw_flow_dec_stats *);

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static size_t
load(const char *path, struct dg *d)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *data;
	pcap_t *pc = pcap_open_offline(path, errbuf);
	size_t n = 0;

	if (pc == NULL) {
		fprintf(stderr, "%s: %s\n", path, errbuf);
		exit(1);
	}
	while (n < MAX_DG && pcap_next_ex(pc, &h, &data) == 1) {
		struct fw_udp u;

		if (fw_pkt_udp(pcap_datalink(pc), data, h->caplen, &u) != FW_OK)
			continue;
		if ((d[n].p = malloc(u.len)) == NULL)
			exit(1);
		memcpy(d[n].p, u.payload, u.len);
		d[n].len = u.len;
		d[n].src = u.src;
		n++;
	}
	pcap_close(pc);
	return n;
}

static void
bench(const char *name, const char *path, decode_fn dec)
{
	static struct dg d[MAX_DG];
	static struct fw_flow out[256];
	static uint8_t sink[65536];
	struct fw_tmpl_cfg cfg;
	struct fw_tmpl_cache *c;
	struct fw_flow_dec_stats st;
	size_t n = load(path, d), passes = 0, bytes = 0;
	uint64_t records = 0, check = 0;
	double t0, dt, base;

	fw_tmpl_cfg_default(&cfg);
	cfg.template_timeout_ms = 0;
	if (fw_tmpl_cache_new(&cfg, &c) != FW_OK)
		exit(1);
	memset(&st, 0, sizeof(st));
	t0 = now_s();
	do {
		for (size_t i = 0; i < n; i++) {
			int r = dec(c, d[i].p, d[i].len, &d[i].src, 0, out, 256, &st);

			if (r < 0) {
				fprintf(stderr, "%s: datagram %zu: %s\n", name, i, fw_strerror(r));
				exit(1);
			}
			records += (uint64_t)r;
			if (r > 0)
				check += out[r - 1].bytes;
		}
		passes++;
	} while (passes < MAX_PASSES && now_s() - t0 < MAX_SECONDS);
	dt = now_s() - t0;

	/* Baseline: copy the same bytes the same number of times. */
	t0 = now_s();
	for (size_t p = 0; p < passes; p++)
		for (size_t i = 0; i < n; i++) {
			memcpy(sink, d[i].p, d[i].len);
			bytes += sink[d[i].len / 2];
		}
	base = now_s() - t0;

	printf("bench_nf9 %-5s: %zu datagrams x %zu passes, %llu records in %.3f s: "
	    "%.2f M records/s/core (%.0f ns/record); memcpy baseline %.3f s (decode/copy %.1fx) [chk %llu %zu]\n",
	    name, n, passes, (unsigned long long)records, dt, (double)records / dt / 1e6,
	    dt * 1e9 / (double)records, base, base > 0 ? dt / base : 0.0,
	    (unsigned long long)(check & 0xff), bytes & 0xff);
	fw_tmpl_cache_free(c);
	for (size_t i = 0; i < n; i++)
		free(d[i].p);
}

int
main(void)
{
	struct rusage ru;

	bench("v9", "tests/data/udpflood_nf9.pcap", fw_nf9_decode);
	bench("ipfix", "tests/data/udpflood_ipfix.pcap", fw_ipfix_decode);
	getrusage(RUSAGE_SELF, &ru);
	printf("bench_nf9: peak RSS %ld KiB\n", ru.ru_maxrss);
	return 0;
}
