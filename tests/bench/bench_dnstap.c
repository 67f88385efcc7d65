/*
 * bench_dnstap.c - throughput of the dnstap frame decoder, in memory, one
 * thread (goal: >= 1 M frames/s/core).
 *
 * Input: the 6000 data frames of tests/data/bind-dnstap.fstrm (run from the
 * project root), split by a plain walk of the Frame Streams framing, each
 * copied to its own allocation.  Three loops, each bounded by count and
 * time:
 *   decode   fw_dnstap_decode(): protobuf-c unpack into the stack arena,
 *            DNS message parse, record fill - what the listener does per frame;
 *   stream   the whole file as one byte stream through
 *            fw_dnstap_stream_next() + fw_dnstap_decode() (framing included);
 *   baseline the DNS wire parse alone on the same frames' DNS messages
 *            (fw_dnswire_parse + fw_dnswire_to_dnsq), so the ratio shows
 *            what the protobuf layer costs, comparable across machines.
 * Prints frames/s/core, the ratio and peak RSS.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "fw_dnstap.h"
#include "fw_dnswire.h"

#define MAX_FRAMES  8192
#define MAX_RECORDS 50000000ULL  /* count bound per loop */
#define MAX_SECONDS 2.0          /* time bound per loop */

struct item {
	uint8_t *p;
	size_t len;
	const uint8_t *dns;          /* DNS message inside (for the baseline) */
	size_t dns_len;
};

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint32_t
be32(const uint8_t *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

/*
 * Locate the DNS message in a frame without protobuf-c, for the baseline:
 * walk Dnstap's fields, descend into field 14 (message), and take the last
 * length-delimited field 10 or 14 of the Message (BIND's frames carry one).
 * Inputs are the trusted test file; this is no decoder.
 */
static uint64_t
varint(const uint8_t **p, const uint8_t *e)
{
	uint64_t v = 0;
	int sh = 0;

	while (*p < e && sh < 64) {
		uint8_t b = *(*p)++;
		v |= (uint64_t)(b & 0x7f) << sh;
		sh += 7;
		if (!(b & 0x80))
			break;
	}
	return v;
}

static void
walk(struct item *it, const uint8_t *p, const uint8_t *e, int depth)
{
	while (p < e) {
		uint64_t key = varint(&p, e), v;

		switch (key & 7) {
		case 0: (void)varint(&p, e); break;
		case 1: p += 8; break;
		case 5: p += 4; break;
		case 2:
			v = varint(&p, e);
			if (v > (uint64_t)(e - p))
				return;
			if (depth == 0 && key >> 3 == 14)
				walk(it, p, p + v, 1);
			else if (depth == 1 && (key >> 3 == 10 || key >> 3 == 14)) {
				it->dns = p;
				it->dns_len = (size_t)v;
			}
			p += v;
			break;
		default:
			return;
		}
	}
}

static void
find_dns(struct item *it)
{
	it->dns = NULL;
	it->dns_len = 0;
	walk(it, it->p, it->p + it->len, 0);
}

int
main(void)
{
	static struct item fr[MAX_FRAMES];
	struct fw_dnswire_info info;
	struct fw_dnsq q;
	struct rusage ru;
	static const struct fw_addr a = { { 0 } };
	volatile unsigned long sink = 0;
	double dec_rate, stream_rate, base_rate, t0, el;
	unsigned long long k;
	uint8_t *file, *sbuf;
	size_t nf = 0, off = 0;
	long size;
	FILE *f;

	if ((f = fopen("tests/data/bind-dnstap.fstrm", "rb")) == NULL ||
	    fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) <= 0 || fseek(f, 0, SEEK_SET) != 0 ||
	    (file = malloc((size_t)size)) == NULL || fread(file, 1, (size_t)size, f) != (size_t)size) {
		fprintf(stderr, "bench_dnstap: cannot read tests/data/bind-dnstap.fstrm\n");
		return 1;
	}
	fclose(f);
	while ((size_t)size - off >= 8 && nf < MAX_FRAMES) {
		uint32_t l = be32(file + off);

		off += 4;
		if (l == 0) {
			off += 4 + be32(file + off);
			continue;
		}
		if ((fr[nf].p = malloc(l)) == NULL)
			return 1;
		memcpy(fr[nf].p, file + off, l);
		fr[nf].len = l;
		find_dns(&fr[nf]);
		nf++;
		off += l;
	}
	for (size_t i = 0; i < nf; i++)
		if (fw_dnstap_decode(fr[i].p, fr[i].len, &q) != 1 || fr[i].dns == NULL) {
			fprintf(stderr, "bench_dnstap: frame %zu does not decode\n", i);
			return 1;
		}

	t0 = now_s();
	for (k = 0;;) {
		for (size_t i = 0; i < nf; i++)
			if (fw_dnstap_decode(fr[i].p, fr[i].len, &q) == 1)
				sink += q.qname_len;
		k += nf;
		el = now_s() - t0;
		if (k >= MAX_RECORDS || el >= MAX_SECONDS)
			break;
	}
	dec_rate = (double)k / el;

	/* The file as a stream: framing + decoding, as a live connection sees it. */
	sbuf = malloc((size_t)size);
	memcpy(sbuf, file, (size_t)size);
	t0 = now_s();
	for (k = 0;;) {
		struct fw_dnstap_stream s;
		size_t pos = 0, used, flen;
		const uint8_t *frame;
		int ev;

		fw_dnstap_stream_init(&s, FW_DNSTAP_FRAME_MAX);
		while ((ev = fw_dnstap_stream_next(&s, sbuf + pos, (size_t)size - pos, &used, &frame,
		    &flen)) > 0) {
			pos += used;
			if (ev == FW_DNSTAP_EV_DATA && fw_dnstap_decode(frame, flen, &q) == 1) {
				sink += q.qtype;
				k++;
			}
		}
		el = now_s() - t0;
		if (k >= MAX_RECORDS || el >= MAX_SECONDS)
			break;
	}
	stream_rate = (double)k / el;

	t0 = now_s();
	for (k = 0;;) {
		for (size_t i = 0; i < nf; i++)
			if (fw_dnswire_parse(fr[i].dns, fr[i].dns_len, &info) == FW_OK &&
			    fw_dnswire_to_dnsq(&info, 0, &a, &a, FW_DNS_DNSTAP, 0, &q) == FW_OK)
				sink += q.qname_len;
		k += nf;
		el = now_s() - t0;
		if (k >= MAX_RECORDS || el >= MAX_SECONDS)
			break;
	}
	base_rate = (double)k / el;

	getrusage(RUSAGE_SELF, &ru);
	printf("bench_dnstap: decode %zu frames  %.2f M frames/s/core  (DNS-wire-only baseline %.2f M/s, ratio %.2f)\n",
	    nf, dec_rate / 1e6, base_rate / 1e6, dec_rate / base_rate);
	printf("bench_dnstap: stream (framing + decode)  %.2f M frames/s/core\n", stream_rate / 1e6);
	printf("bench_dnstap: peak RSS %ld KiB (sink %lu)\n", ru.ru_maxrss, (unsigned long)sink);
	for (size_t i = 0; i < nf; i++)
		free(fr[i].p);
	free(sbuf);
	free(file);
	return 0;
}
