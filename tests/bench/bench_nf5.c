/*
 * bench_nf5.c - NetFlow v5 decode speed on one core: the 145 datagrams of
 * tests/data/udpflood_nf5.pcap, held in memory, decoded in a loop (bounded
 * by passes and time).  Baseline, timed in the same run: copying the same
 * datagram bytes with memcpy.  Prints records/s/core (goal >= 10 M), the
 * ratio to the baseline and peak RSS.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "fw_nf5.h"
#include "fw_pkt.h"
#include "../unit/fw_test_pcap.h"

#define CAPTURE "tests/data/udpflood_nf5.pcap"
#define MAX_PASSES 20000
#define MAX_SECONDS 3.0

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int
main(void)
{
	struct fw_test_pcap cap;
	struct fw_udp *dg;
	struct fw_flow out[FW_NF5_MAX_RECS];
	uint8_t copy[2048];
	struct rusage ru;
	uint64_t records = 0, bytes = 0, sink = 0;
	size_t n = 0;
	int passes = 0;
	double t0, secs, base_secs;

	if (fw_test_pcap_load(CAPTURE, &cap) != 0) {
		fprintf(stderr, "bench_nf5: cannot read %s (run from the project root)\n", CAPTURE);
		return 1;
	}
	dg = calloc(cap.n, sizeof(*dg));
	for (size_t i = 0; i < cap.n; i++)
		if (fw_pkt_udp(cap.linktype, cap.f[i].data, cap.f[i].len, &dg[n]) == FW_OK &&
		    fw_pkt_sniff(dg[n].payload, dg[n].len) == FW_PAYLOAD_NF5)
			n++;
	if (n == 0) {
		fprintf(stderr, "bench_nf5: no NetFlow v5 datagrams in %s\n", CAPTURE);
		return 1;
	}

	t0 = now_s();
	while (passes < MAX_PASSES && (passes % 64 != 0 || now_s() - t0 < MAX_SECONDS)) {
		for (size_t i = 0; i < n; i++) {
			int r = fw_nf5_decode(dg[i].payload, dg[i].len, &dg[i].src, out, FW_NF5_MAX_RECS, NULL);
			if (r < 0)
				return 1;
			records += (uint64_t)r;
			sink += out[0].bytes;
		}
		passes++;
	}
	secs = now_s() - t0;

	/* Baseline: the same bytes, the same number of passes, memcpy only. */
	t0 = now_s();
	for (int p = 0; p < passes; p++) {
		for (size_t i = 0; i < n; i++) {
			memcpy(copy, dg[i].payload, dg[i].len < sizeof(copy) ? dg[i].len : sizeof(copy));
			__asm__ volatile("" : : "r"(copy) : "memory");
			sink += copy[100];
			bytes += dg[i].len;
		}
	}
	base_secs = now_s() - t0;
	getrusage(RUSAGE_SELF, &ru);
	printf("bench_nf5: %zu datagrams x %d passes = %llu records in %.2f s\n", n, passes,
	    (unsigned long long)records, secs);
	printf("bench_nf5: %.1f M records/s/core (goal >= 10 M), %.0f MB/s of datagrams; "
	    "memcpy baseline %.0f MB/s, ratio %.3f\n", (double)records / secs / 1e6,
	    (double)bytes / secs / 1e6, (double)bytes / base_secs / 1e6, base_secs / secs);
	printf("bench_nf5: peak RSS %ld KiB (checksum %llu)\n", ru.ru_maxrss,
	    (unsigned long long)(sink & 0xff));
	free(dg);
	fw_test_pcap_free(&cap);
	return 0;
}
