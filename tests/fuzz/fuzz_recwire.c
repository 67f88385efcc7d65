/*
 * fuzz_recwire.c - libFuzzer target for the cluster record decoder
 * (fw_recwire.h).  The input is one Kafka message of the records topic.
 * Besides "no crash, no over-read, no leak" it checks what the header
 * promises: FW_OK, FW_EMALFORMED or FW_ETRUNC only; on FW_OK the version,
 * the record bound and every record rule hold; and the decoder (made once,
 * as a detector makes it) keeps working: a re-encoded copy of what it
 * accepted decodes to the same records.
 */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fw_recwire.h"

#define MAXREC 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fw_recwire_dec *d, *d2;
	static struct fw_recwire_enc *e;
	struct fw_recwire_hdr h, h2;
	const struct fw_flow *f, *f2;
	const struct fw_dnsq *q, *q2;
	size_t nf, nd, nf2, nd2, len;
	const void *buf;
	int r;

	if (d == NULL && (fw_recwire_dec_new(MAXREC, &d) != FW_OK || fw_recwire_dec_new(MAXREC, &d2) != FW_OK ||
	    fw_recwire_enc_new(MAXREC, &e) != FW_OK))
		abort();
	r = fw_recwire_decode(d, data, size, &h, &f, &nf, &q, &nd);
	assert(r == FW_OK || r == FW_EMALFORMED || r == FW_ETRUNC);
	if (r != FW_OK)
		return 0;
	assert(h.version == FW_RECWIRE_VERSION && h.seq != 0);
	assert(h.collector[0] != '\0' && strlen(h.collector) < FW_RECWIRE_ID_MAX);
	assert(nf + nd <= MAXREC);
	fw_recwire_enc_begin(e, &h);
	for (size_t i = 0; i < nf; i++) {
		assert(f[i].source >= FW_SRC_NF5 && f[i].source <= FW_SRC_SFLOW);
		assert(fw_recwire_enc_flow(e, &f[i]) == FW_OK);
	}
	for (size_t i = 0; i < nd; i++) {
		assert(q[i].qname_len >= 1 && strlen(q[i].qname) == q[i].qname_len);
		for (size_t c = 0; c < q[i].qname_len; c++)
			assert(q[i].qname[c] > 0x20 && q[i].qname[c] < 0x7f &&
			    !(q[i].qname[c] >= 'A' && q[i].qname[c] <= 'Z'));
		assert(q[i].source >= FW_DNS_QUERYLOG && q[i].source <= FW_DNS_PCAP);
		assert(fw_recwire_enc_dns(e, &q[i]) == FW_OK);
	}
	assert(fw_recwire_enc_finish(e, &buf, &len) == FW_OK);
	assert(fw_recwire_decode(d2, buf, len, &h2, &f2, &nf2, &q2, &nd2) == FW_OK);
	assert(nf2 == nf && nd2 == nd && h2.seq == h.seq && h2.watermark_ms == h.watermark_ms);
	assert(nf == 0 || memcmp(f, f2, nf * sizeof(*f)) == 0);
	for (size_t i = 0; i < nd; i++)
		assert(memcmp(&q[i], &q2[i], offsetof(struct fw_dnsq, qname) + q[i].qname_len + 1) == 0);
	return 0;
}
