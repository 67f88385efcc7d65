/*
 * fuzz_recwire.c - libFuzzer target for the cluster record decoder
 * (fw_recwire.h).  The input is one Kafka message of the records topic.
 * Besides "no crash, no over-read, no leak" it checks what the header
 * promises: FW_OK, FW_EMALFORMED or FW_ETRUNC only; on FW_OK the version,
 * the record bound and every record rule hold; the decoder (made once,
 * as a detector makes it) keeps working: a re-encoded copy of what it
 * accepted decodes to the same records; and what the hand-written decoder
 * accepts, protobuf-c (the reference implementation, its generated code
 * for schema/records.proto) unpacks to the same header and records.
 */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fw_addr.h"
#include "fw_recwire.h"
#include "../../common/records.pb-c.h"

#define MAXREC 64

/* The reference's address field, as fw_recwire.h defines it. */
static void
ref_addr(protobuf_c_boolean has, const ProtobufCBinaryData *b, const struct fw_addr *got)
{
	struct fw_addr a;

	assert(has && (b->len == 4 || b->len == 16));
	if (b->len == 4)
		fw_addr_from_v4(&a, b->data);
	else
		memcpy(a.b, b->data, 16);
	assert(memcmp(a.b, got->b, 16) == 0);
}

/* protobuf-c must unpack what the decoder accepted into the same values. */
static void
check_reference(const uint8_t *data, size_t size, const struct fw_recwire_hdr *h, const struct fw_flow *f,
    size_t nf, const struct fw_dnsq *q, size_t nd)
{
	Floodwatch__Records__V1__Batch *b = floodwatch__records__v1__batch__unpack(NULL, size, data);

	assert(b != NULL);
	assert(b->has_version && b->version == h->version && b->collector != NULL &&
	    strcmp(b->collector, h->collector) == 0 && b->has_seq && b->seq == h->seq &&
	    b->has_watermark_ms && b->watermark_ms == h->watermark_ms && b->has_records &&
	    b->records == nf + nd && (b->has_lateness_ms ? (int64_t)b->lateness_ms : 0) == h->lateness_ms);
	assert(b->n_flows == nf && b->n_dns == nd);
	for (size_t i = 0; i < nf; i++) {
		const Floodwatch__Records__V1__Flow *m = b->flows[i];

		ref_addr(m->has_src, &m->src, &f[i].src);
		ref_addr(m->has_dst, &m->dst, &f[i].dst);
		ref_addr(m->has_exporter, &m->exporter, &f[i].exporter);
		assert(m->end_ms == f[i].end_ms && (int64_t)((uint64_t)m->end_ms - (uint64_t)m->duration_ms) == f[i].start_ms);
		assert(m->pkts == f[i].pkts && m->bytes == f[i].bytes && m->obs_domain == f[i].obs_domain &&
		    m->sampling == f[i].sampling && m->sport == f[i].sport && m->dport == f[i].dport &&
		    m->proto == f[i].proto && m->tcp_flags == f[i].tcp_flags && m->tos == f[i].tos &&
		    m->ttl == f[i].ttl && m->source == f[i].source);
	}
	for (size_t i = 0; i < nd; i++) {
		const Floodwatch__Records__V1__DnsQuery *m = b->dns[i];

		ref_addr(m->has_client, &m->client, &q[i].client);
		ref_addr(m->has_server, &m->server, &q[i].server);
		assert(m->time_ms == q[i].time_ms && m->qtype == q[i].qtype && m->rcode == q[i].rcode &&
		    m->flags == q[i].flags && m->source == q[i].source && m->has_qname &&
		    m->qname.len == q[i].qname_len && memcmp(m->qname.data, q[i].qname, m->qname.len) == 0);
	}
	floodwatch__records__v1__batch__free_unpacked(b, NULL);
}

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
	check_reference(data, size, &h, f, nf, q, nd);
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
