/*
 * bench_sflow5.c - sFlow v5 decode throughput on one core.
 *
 * Loads the UDP payloads of tests/data/udpflood_sflow.pcap (688 datagrams,
 * 4198 flow samples, each with a 128-byte raw Ethernet/IPv4 header that is
 * parsed down to TCP/UDP) into memory, then decodes them in a loop bounded
 * by count and time.  Prints flow samples/s/core (goal >= 3 M), records/s,
 * the ratio to a baseline timed in the same run (summing every byte of the
 * same datagrams once: the cost of merely touching the input), and peak RSS.
 *
 *   build/bench/bench_sflow5 [CAPTURE.pcap]
 * Build: cc -O2 -DNDEBUG -Iinclude tests/bench/bench_sflow5.c build/o/libfw.a \
 *        $(pkg-config --libs inih libpcap sqlite3 jansson) -lm -lpthread
 */
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "fw_pkt.h"
#include "fw_sflow5.h"

#define MAX_SECONDS 2.0
#define MAX_SAMPLES 50000000ull

struct dg {
	uint8_t *buf;
	size_t len;
};

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static size_t
load(const char *path, struct dg **out)
{
	char err[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *data;
	struct dg *v = NULL;
	size_t n = 0;
	pcap_t *p = pcap_open_offline(path, err);
	int link;

	if (p == NULL) {
		fprintf(stderr, "bench_sflow5: %s\n", err);
		exit(1);
	}
	link = pcap_datalink(p);
	while (pcap_next_ex(p, &h, &data) == 1) {
		struct fw_udp u;

		if (fw_pkt_udp(link, data, h->caplen, &u) != FW_OK)
			continue;
		if ((v = realloc(v, (n + 1) * sizeof(*v))) == NULL ||
		    (v[n].buf = malloc(u.len ? u.len : 1)) == NULL) {
			fprintf(stderr, "bench_sflow5: out of memory\n");
			exit(1);
		}
		memcpy(v[n].buf, u.payload, u.len);
		v[n].len = u.len;
		n++;
	}
	pcap_close(p);
	*out = v;
	return n;
}

int
main(int argc, char **argv)
{
	const char *path = argc > 1 ? argv[1] : "tests/data/udpflood_sflow.pcap";
	static struct fw_sflow5_info info;
	static struct fw_flow out[256];
	struct dg *d;
	size_t n = load(path, &d);
	uint64_t samples = 0, recs = 0, passes = 0, bytes = 0, sum = 0;
	double t0, dt, base_dt, rate, base_rate;
	struct rusage ru;

	if (n == 0) {
		fprintf(stderr, "bench_sflow5: no datagrams in %s\n", path);
		return 1;
	}
	/* Decode loop: whole passes over the capture, bounded by count and time. */
	t0 = now_s();
	do {
		for (size_t i = 0; i < n; i++) {
			int r = fw_sflow5_decode(d[i].buf, d[i].len, NULL, 0, out, 256, &info);
			if (r > 0)
				recs += (uint64_t)r;
			samples += info.flow_samples + info.counter_samples;
		}
		passes++;
	} while (now_s() - t0 < MAX_SECONDS && samples < MAX_SAMPLES);
	dt = now_s() - t0;

	/* Baseline: read every byte of the same datagrams, same number of passes. */
	t0 = now_s();
	for (uint64_t p = 0; p < passes; p++) {
		for (size_t i = 0; i < n; i++) {
			const volatile uint8_t *b = d[i].buf;
			for (size_t j = 0; j < d[i].len; j++)
				sum += b[j];
			bytes += d[i].len;
		}
	}
	base_dt = now_s() - t0;

	rate = (double)samples / dt;
	base_rate = (double)samples / base_dt;
	getrusage(RUSAGE_SELF, &ru);
	printf("sflow5: %zu datagrams x %llu passes: %llu samples, %llu records in %.3f s\n",
	    n, (unsigned long long)passes, (unsigned long long)samples,
	    (unsigned long long)recs, dt);
	printf("sflow5: %.2f M samples/s/core (goal >= 3), %.2f M records/s, %.0f MB/s of datagrams\n",
	    rate / 1e6, (double)recs / dt / 1e6, (double)bytes / dt / 1e6);
	printf("sflow5: baseline (sum every byte once) %.2f M samples/s; decode/baseline = %.2f\n",
	    base_rate / 1e6, rate / base_rate);
	printf("sflow5: peak RSS %ld KiB (checksum %llu)\n", ru.ru_maxrss, (unsigned long long)sum);
	for (size_t i = 0; i < n; i++)
		free(d[i].buf);
	free(d);
	return 0;
}
