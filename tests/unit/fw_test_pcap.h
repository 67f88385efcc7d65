/*
 * fw_test_pcap.h - test helper: read every frame of a capture into memory
 * with libpcap, so tests and benchmarks can loop over real datagrams.
 *
 * static inline so each test program takes only what it uses.  Ownership:
 * fw_test_pcap_load() returns a heap array the caller frees with
 * fw_test_pcap_free().
 */
#ifndef FW_TEST_PCAP_H
#define FW_TEST_PCAP_H

#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct fw_test_frame {
	uint8_t *data;
	size_t len;          /* captured bytes */
	int64_t ts_us;       /* capture time, microseconds */
};

struct fw_test_pcap {
	int linktype;
	size_t n;
	struct fw_test_frame *f;
};

static inline void
fw_test_pcap_free(struct fw_test_pcap *p)
{
	for (size_t i = 0; i < p->n; i++)
		free(p->f[i].data);
	free(p->f);
	memset(p, 0, sizeof(*p));
}

/* 0 on success; -1 with a message on stderr. */
static inline int
fw_test_pcap_load(const char *path, struct fw_test_pcap *out)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *data;
	size_t cap = 0;
	pcap_t *pc = pcap_open_offline(path, errbuf);
	int rc;

	memset(out, 0, sizeof(*out));
	if (pc == NULL) {
		fprintf(stderr, "%s: %s\n", path, errbuf);
		return -1;
	}
	out->linktype = pcap_datalink(pc);
	while ((rc = pcap_next_ex(pc, &h, &data)) == 1) {
		struct fw_test_frame *fr;

		if (out->n == cap) {
			struct fw_test_frame *nf;
			cap = cap ? cap * 2 : 256;
			nf = realloc(out->f, cap * sizeof(*nf));
			if (nf == NULL)
				goto fail;
			out->f = nf;
		}
		fr = &out->f[out->n];
		fr->len = h->caplen;
		fr->ts_us = (int64_t)h->ts.tv_sec * 1000000 + h->ts.tv_usec;
		/* Exactly caplen bytes, so ASan sees any read past the frame. */
		if ((fr->data = malloc(h->caplen ? h->caplen : 1)) == NULL)
			goto fail;
		memcpy(fr->data, data, h->caplen);
		out->n++;
	}
	pcap_close(pc);
	if (rc != PCAP_ERROR_BREAK) {
		fw_test_pcap_free(out);
		return -1;
	}
	return 0;
fail:
	pcap_close(pc);
	fw_test_pcap_free(out);
	return -1;
}

#endif /* FW_TEST_PCAP_H */
