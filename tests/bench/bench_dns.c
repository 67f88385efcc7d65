/*
 * bench_dns.c - throughput of the DNS wire parser and the BIND query-log
 * line parser, in memory, one thread.
 *
 * Inputs are the test captures (run from the project root): the DNS
 * messages of tests/data/water-torture-packets.pcap and edns-opts.pcap
 * (queries and responses with OPT), and the 3000 lines of
 * tests/data/bind-querylog.log.  Each loop is bounded by a count and by
 * time.  A baseline timed in the same run (touching every byte of the same
 * inputs) gives a ratio that is comparable across machines.  Prints
 * records/s/core and peak RSS.
 */
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "fw_dnswire.h"
#include "fw_pkt.h"
#include "fw_querylog.h"

#define MAX_ITEMS   8192
#define MAX_RECORDS 50000000ULL  /* count bound per loop */
#define MAX_SECONDS 2.0          /* time bound per loop */

struct item {
	const uint8_t *p;
	size_t len;
	struct fw_addr src, dst;
};

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static size_t
load_pcap(const char *path, struct item *it, size_t n, size_t max)
{
	char err[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *frame;
	pcap_t *p = pcap_open_offline(path, err);

	if (p == NULL) {
		fprintf(stderr, "bench_dns: %s: %s\n", path, err);
		exit(1);
	}
	while (n < max && pcap_next_ex(p, &h, &frame) == 1) {
		struct fw_udp u;
		struct fw_dnswire_info info;
		uint8_t *copy;

		if (fw_pkt_udp(pcap_datalink(p), frame, h->caplen, &u) != FW_OK ||
		    fw_dnswire_parse(u.payload, u.len, &info) != FW_OK)
			continue;
		if ((copy = malloc(u.len)) == NULL)
			exit(1);
		memcpy(copy, u.payload, u.len);
		it[n].p = copy;
		it[n].len = u.len;
		it[n].src = u.src;
		it[n].dst = u.dst;
		n++;
	}
	pcap_close(p);
	return n;
}

/* Runs body over items round-robin; returns records per second. */
#define TIMED_LOOP(nitems, count_out, body) do {                          \
		double t0_ = now_s(), el_;                                    \
		unsigned long long k_ = 0;                                    \
		for (;;) {                                                    \
			for (size_t i = 0; i < (nitems); i++) { body; }       \
			k_ += (nitems);                                       \
			el_ = now_s() - t0_;                                  \
			if (k_ >= MAX_RECORDS || el_ >= MAX_SECONDS)          \
				break;                                        \
		}                                                             \
		(count_out) = (double)k_ / el_;                               \
	} while (0)

int
main(void)
{
	static struct item msgs[MAX_ITEMS];
	static struct item lines[MAX_ITEMS];
	struct fw_dnswire_info info;
	struct fw_querylog_ctx ctx;
	struct fw_dnsq q;
	struct rusage ru;
	size_t nm = 0, nl = 0;
	volatile unsigned long sink = 0;
	double wire_rate, wire_base, ql_rate, ql_base;
	char *text;
	long size;
	FILE *f;

	nm = load_pcap("tests/data/water-torture-packets.pcap", msgs, nm, MAX_ITEMS);
	nm = load_pcap("tests/data/edns-opts.pcap", msgs, nm, MAX_ITEMS);
	if ((f = fopen("tests/data/bind-querylog.log", "rb")) == NULL ||
	    fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) <= 0 || fseek(f, 0, SEEK_SET) != 0 ||
	    (text = malloc((size_t)size)) == NULL || fread(text, 1, (size_t)size, f) != (size_t)size) {
		fprintf(stderr, "bench_dns: cannot read tests/data/bind-querylog.log\n");
		return 1;
	}
	fclose(f);
	for (char *p = text, *e = text + size; p < e && nl < MAX_ITEMS;) {
		char *nlp = memchr(p, '\n', (size_t)(e - p));
		size_t len = nlp ? (size_t)(nlp - p) : (size_t)(e - p);

		lines[nl].p = (const uint8_t *)p;
		lines[nl++].len = len;
		p += len + 1;
	}

	/* DNS wire: parse + fill the ring record, as the collectors do. */
	TIMED_LOOP(nm, wire_rate, {
		if (fw_dnswire_parse(msgs[i].p, msgs[i].len, &info) == FW_OK &&
		    fw_dnswire_to_dnsq(&info, 0, &msgs[i].src, &msgs[i].dst, FW_DNS_PCAP, 0, &q) == FW_OK)
			sink += q.qname_len;
	});
	/* Baseline: read every byte of every message once. */
	TIMED_LOOP(nm, wire_base, {
		unsigned s = 0;
		for (size_t b = 0; b < msgs[i].len; b++)
			s += msgs[i].p[b];
		sink += s;
	});

	fw_querylog_init(&ctx);
	TIMED_LOOP(nl, ql_rate, {
		if (fw_querylog_parse(&ctx, (const char *)lines[i].p, lines[i].len, &q, NULL) == FW_OK)
			sink += q.qtype;
	});
	/* Baseline: find the end of each line (what any line reader costs). */
	TIMED_LOOP(nl, ql_base, {
		const void *e = memchr(lines[i].p, '\n', lines[i].len + 1);
		sink += e != NULL;
	});

	getrusage(RUSAGE_SELF, &ru);
	printf("bench_dns: dnswire  %zu msgs   %.2f M msgs/s/core   (byte-sum baseline %.2f M/s, ratio %.2f)\n",
	    nm, wire_rate / 1e6, wire_base / 1e6, wire_rate / wire_base);
	printf("bench_dns: querylog %zu lines  %.2f M lines/s/core  (memchr baseline %.2f M/s, ratio %.2f)\n",
	    nl, ql_rate / 1e6, ql_base / 1e6, ql_rate / ql_base);
	printf("bench_dns: peak RSS %ld KiB (sink %lu)\n", ru.ru_maxrss, (unsigned long)sink);
	for (size_t i = 0; i < nm; i++)
		free((void *)msgs[i].p);
	free(text);
	return 0;
}
