/*
 * recwire.c - record batches on the wire (fw_recwire.h, schema/records.proto).
 *
 * Encoding appends each record to one fixed buffer as it comes (field 5 or
 * 6 of Batch: tag, length, the packed Flow / DnsQuery from a stack struct)
 * after room left for the header; finish packs the header (fields 1..4, 8)
 * into its place just before the records and appends the record count
 * (field 7) last, which is what makes a cut-short message detectable.
 * Nothing but the buffer is held per record; it is sized for max_records
 * of the largest kind.
 *
 * Decoding unpacks with protobuf-c into a bump arena (reset per message;
 * free is a no-op) sized from max_records.  A message that needs more than
 * the arena holds (too many records, huge unknown fields) makes an
 * allocation fail, and protobuf-c then gives up cleanly: refused.  What
 * unpacks is checked field by field before anything is copied out.
 */
#include "fw_recwire.h"

#include <stdalign.h>
#include <stdlib.h>
#include <string.h>

#include "fw_addr.h"
#include "records.pb-c.h"

typedef Floodwatch__Records__V1__Flow pb_flow;
typedef Floodwatch__Records__V1__DnsQuery pb_dns;
typedef Floodwatch__Records__V1__Batch pb_batch;

/* Worst-case packed sizes, with the Batch field's tag and length prefix. */
#define FLOW_WIRE_MAX  (3 + 4 * 11 + 3 * 18 + 9 * 7)
#define DNS_WIRE_MAX   (3 + 11 + 2 * 18 + 4 * 6 + 3 + FW_QNAME_MAX)
#define HDR_WIRE_MAX   (6 + 2 + FW_RECWIRE_ID_MAX + 11 + 11 + 6 + 6)
#define REC_WIRE_MAX   (DNS_WIRE_MAX > FLOW_WIRE_MAX ? DNS_WIRE_MAX : FLOW_WIRE_MAX)

/* Arena use per record (decode), generously: the message, its byte fields
 * each rounded to the alignment, its pointer in the Batch's array, and
 * protobuf-c's scan slabs (doubling, at most 4 slots of <= 64 bytes each). */
#define ALIGN          (alignof(max_align_t))
#define ROUND(n)       (((n) + ALIGN - 1) / ALIGN * ALIGN)
#define FLOW_ARENA     (ROUND(sizeof(pb_flow)) + 3 * ROUND(16))
#define DNS_ARENA      (ROUND(sizeof(pb_dns)) + 2 * ROUND(16) + ROUND(FW_QNAME_MAX + 1))
#define REC_ARENA      ((FLOW_ARENA > DNS_ARENA ? FLOW_ARENA : DNS_ARENA) + 2 * sizeof(void *) + 4 * (size_t)64)
#define FIXED_ARENA    (ROUND(sizeof(pb_batch)) + ROUND(FW_RECWIRE_ID_MAX) + 4096)

struct fw_recwire_enc {
	uint8_t *buf;               /* [0, HDR_WIRE_MAX): header room; records from there */
	size_t cap, len, max, count;
	struct fw_recwire_hdr hdr;
};

struct fw_recwire_dec {
	ProtobufCAllocator alloc;
	uint8_t *arena;
	size_t arena_cap, arena_used, max;
	struct fw_flow *flows;
	struct fw_dnsq *dns;
};

/* ---- encoding ---- */

int
fw_recwire_enc_new(size_t max_records, struct fw_recwire_enc **out)
{
	struct fw_recwire_enc *e;

	if (max_records == 0 || max_records > ((size_t)1 << 24))
		return FW_EINVAL;
	if ((e = calloc(1, sizeof(*e))) == NULL)
		return FW_ENOMEM;
	e->max = max_records;
	e->cap = HDR_WIRE_MAX + max_records * REC_WIRE_MAX + 6;
	e->len = HDR_WIRE_MAX;
	if ((e->buf = malloc(e->cap)) == NULL) {
		free(e);
		return FW_ENOMEM;
	}
	*out = e;
	return FW_OK;
}

void
fw_recwire_enc_free(struct fw_recwire_enc *e)
{
	if (e == NULL)
		return;
	free(e->buf);
	free(e);
}

void
fw_recwire_enc_begin(struct fw_recwire_enc *e, const struct fw_recwire_hdr *h)
{
	e->hdr = *h;
	e->hdr.collector[FW_RECWIRE_ID_MAX - 1] = '\0';
	e->len = HDR_WIRE_MAX;
	e->count = 0;
}

size_t
fw_recwire_enc_count(const struct fw_recwire_enc *e)
{
	return e->count;
}

static size_t
put_varint(uint8_t *p, uint64_t v)
{
	size_t n = 0;

	while (v >= 0x80) {
		p[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	p[n++] = (uint8_t)v;
	return n;
}

/* Append m as field `field` (length-delimited) of the Batch. */
static void
append_msg(struct fw_recwire_enc *e, unsigned field, const ProtobufCMessage *m)
{
	size_t sz = protobuf_c_message_get_packed_size(m);

	e->len += put_varint(e->buf + e->len, (uint64_t)field << 3 | 2);
	e->len += put_varint(e->buf + e->len, sz);
	e->len += protobuf_c_message_pack(m, e->buf + e->len);
	e->count++;
}

/* A record field is written only when not 0 (proto2 presence). */
#define PUT(m, field, v) do { (m).field = (v); (m).has_##field = (m).field != 0; } while (0)

/* IPv4-mapped addresses go as their 4 bytes. */
static ProtobufCBinaryData
addr_bytes(const struct fw_addr *a)
{
	ProtobufCBinaryData b;

	if (fw_addr_is_v4(a)) {
		b.len = 4;
		b.data = (uint8_t *)(uintptr_t)(a->b + 12);
	} else {
		b.len = 16;
		b.data = (uint8_t *)(uintptr_t)a->b;
	}
	return b;
}

int
fw_recwire_enc_flow(struct fw_recwire_enc *e, const struct fw_flow *f)
{
	pb_flow m = FLOODWATCH__RECORDS__V1__FLOW__INIT;

	if (e->count >= e->max)
		return FW_EFULL;
	PUT(m, end_ms, f->end_ms);
	PUT(m, duration_ms, (int64_t)((uint64_t)f->end_ms - (uint64_t)f->start_ms));
	PUT(m, pkts, f->pkts);
	PUT(m, bytes, f->bytes);
	m.src = addr_bytes(&f->src);
	m.dst = addr_bytes(&f->dst);
	m.exporter = addr_bytes(&f->exporter);
	m.has_src = m.has_dst = m.has_exporter = 1;
	PUT(m, obs_domain, f->obs_domain);
	PUT(m, sampling, f->sampling);
	PUT(m, sport, f->sport);
	PUT(m, dport, f->dport);
	PUT(m, proto, f->proto);
	PUT(m, tcp_flags, f->tcp_flags);
	PUT(m, tos, f->tos);
	PUT(m, ttl, f->ttl);
	PUT(m, source, f->source);
	append_msg(e, 5, &m.base);
	return FW_OK;
}

int
fw_recwire_enc_dns(struct fw_recwire_enc *e, const struct fw_dnsq *q)
{
	pb_dns m = FLOODWATCH__RECORDS__V1__DNS_QUERY__INIT;

	if (e->count >= e->max)
		return FW_EFULL;
	PUT(m, time_ms, q->time_ms);
	m.client = addr_bytes(&q->client);
	m.server = addr_bytes(&q->server);
	m.has_client = m.has_server = m.has_qname = 1;
	PUT(m, qtype, q->qtype);
	PUT(m, rcode, q->rcode);
	PUT(m, flags, q->flags);
	PUT(m, source, q->source);
	m.qname.len = q->qname_len;  /* uint8_t: <= FW_QNAME_MAX */
	m.qname.data = (uint8_t *)(uintptr_t)q->qname;
	append_msg(e, 6, &m.base);
	return FW_OK;
}

int
fw_recwire_enc_finish(struct fw_recwire_enc *e, const void **buf, size_t *len)
{
	pb_batch b = FLOODWATCH__RECORDS__V1__BATCH__INIT;
	uint8_t *at;
	size_t n;

	b.has_version = b.has_seq = b.has_watermark_ms = 1;
	b.version = e->hdr.version != 0 ? e->hdr.version : FW_RECWIRE_VERSION;
	b.collector = e->hdr.collector;
	b.seq = e->hdr.seq;
	b.watermark_ms = e->hdr.watermark_ms;
	if (e->hdr.lateness_ms > 0 && e->hdr.lateness_ms <= (int64_t)UINT32_MAX) {
		b.has_lateness_ms = 1;
		b.lateness_ms = (uint32_t)e->hdr.lateness_ms;
	}
	n = protobuf_c_message_get_packed_size(&b.base);
	if (n > HDR_WIRE_MAX)
		return FW_EINVAL;  /* never: the collector id is bounded */
	at = e->buf + HDR_WIRE_MAX - n;
	protobuf_c_message_pack(&b.base, at);
	e->buf[e->len] = 7 << 3;  /* records (varint), last */
	n = e->len + 1 + put_varint(e->buf + e->len + 1, e->count);
	*buf = at;
	*len = (size_t)(e->buf + n - at);
	return FW_OK;
}

/* ---- decoding ---- */

static void *
arena_alloc(void *data, size_t size)
{
	struct fw_recwire_dec *d = data;
	size_t n = ROUND(size);
	void *p;

	if (size == 0)
		n = ALIGN;
	if (n < size || n > d->arena_cap - d->arena_used)
		return NULL;
	p = d->arena + d->arena_used;
	d->arena_used += n;
	return p;
}

static void
arena_free(void *data, void *ptr)
{
	(void)data;
	(void)ptr;  /* the whole arena is reset per message */
}

int
fw_recwire_dec_new(size_t max_records, struct fw_recwire_dec **out)
{
	struct fw_recwire_dec *d;

	if (max_records == 0 || max_records > ((size_t)1 << 24))
		return FW_EINVAL;
	if ((d = calloc(1, sizeof(*d))) == NULL)
		return FW_ENOMEM;
	d->max = max_records;
	d->arena_cap = max_records * REC_ARENA + FIXED_ARENA;
	d->arena = aligned_alloc(ALIGN, ROUND(d->arena_cap));
	d->flows = calloc(max_records, sizeof(*d->flows));
	d->dns = calloc(max_records, sizeof(*d->dns));
	if (d->arena == NULL || d->flows == NULL || d->dns == NULL) {
		fw_recwire_dec_free(d);
		return FW_ENOMEM;
	}
	d->alloc.alloc = arena_alloc;
	d->alloc.free = arena_free;
	d->alloc.allocator_data = d;
	*out = d;
	return FW_OK;
}

void
fw_recwire_dec_free(struct fw_recwire_dec *d)
{
	if (d == NULL)
		return;
	free(d->arena);
	free(d->flows);
	free(d->dns);
	free(d);
}

static int
get_addr(protobuf_c_boolean has, const ProtobufCBinaryData *b, struct fw_addr *a)
{
	if (!has)
		return FW_EMALFORMED;
	if (b->len == 16) {
		memcpy(a->b, b->data, 16);
		return FW_OK;
	}
	if (b->len == 4) {
		fw_addr_from_v4(a, b->data);
		return FW_OK;
	}
	return FW_EMALFORMED;
}

static int
get_flow(const pb_flow *m, struct fw_flow *f)
{
	memset(f, 0, sizeof(*f));
	if (get_addr(m->has_src, &m->src, &f->src) != FW_OK || get_addr(m->has_dst, &m->dst, &f->dst) != FW_OK ||
	    get_addr(m->has_exporter, &m->exporter, &f->exporter) != FW_OK)
		return FW_EMALFORMED;
	if (m->sport > 0xffff || m->dport > 0xffff || m->proto > 0xff || m->tcp_flags > 0xff ||
	    m->tos > 0xff || m->ttl > 0xff || m->source < FW_SRC_NF5 || m->source > FW_SRC_SFLOW)
		return FW_EMALFORMED;
	f->end_ms = m->end_ms;
	f->start_ms = (int64_t)((uint64_t)m->end_ms - (uint64_t)m->duration_ms);
	f->pkts = m->pkts;
	f->bytes = m->bytes;
	f->obs_domain = m->obs_domain;
	f->sampling = m->sampling;
	f->sport = (uint16_t)m->sport;
	f->dport = (uint16_t)m->dport;
	f->proto = (uint8_t)m->proto;
	f->tcp_flags = (uint8_t)m->tcp_flags;
	f->tos = (uint8_t)m->tos;
	f->ttl = (uint8_t)m->ttl;
	f->source = (uint8_t)m->source;
	return FW_OK;
}

/* As the collectors write a name: 0x21..0x7e, no upper case (querylog.c
 * lower_printable, dnswire.c text_of). */
static int
qname_ok(const uint8_t *p, size_t n)
{
	if (n < 1 || n > FW_QNAME_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (p[i] <= 0x20 || p[i] >= 0x7f || (p[i] >= 'A' && p[i] <= 'Z'))
			return 0;
	return 1;
}

static int
get_dns(const pb_dns *m, struct fw_dnsq *q)
{
	memset(q, 0, sizeof(*q));
	if (get_addr(m->has_client, &m->client, &q->client) != FW_OK ||
	    get_addr(m->has_server, &m->server, &q->server) != FW_OK)
		return FW_EMALFORMED;
	if (m->qtype > 0xffff || (m->rcode > 15 && m->rcode != FW_RCODE_NONE) ||
	    (m->flags & ~(uint32_t)(FW_DNSQ_F_RESPONSE | FW_DNSQ_F_TCP | FW_DNSQ_F_RELAYED)) != 0 ||
	    m->source < FW_DNS_QUERYLOG || m->source > FW_DNS_PCAP || !m->has_qname ||
	    !qname_ok(m->qname.data, m->qname.len))
		return FW_EMALFORMED;
	q->time_ms = m->time_ms;
	q->qtype = (uint16_t)m->qtype;
	q->rcode = (uint8_t)m->rcode;
	q->flags = (uint8_t)m->flags;
	q->source = (uint8_t)m->source;
	q->qname_len = (uint8_t)m->qname.len;
	memcpy(q->qname, m->qname.data, m->qname.len);
	q->qname[m->qname.len] = '\0';
	return FW_OK;
}

static int
collector_ok(const char *s)
{
	size_t n = 0;

	if (s == NULL)
		return 0;
	for (; s[n] != '\0'; n++)
		if (n >= FW_RECWIRE_ID_MAX - 1 || (unsigned char)s[n] < 0x20 || (unsigned char)s[n] > 0x7e)
			return 0;
	return n > 0;
}

int
fw_recwire_decode(struct fw_recwire_dec *d, const void *buf, size_t len,
    struct fw_recwire_hdr *h, const struct fw_flow **flows, size_t *nflows,
    const struct fw_dnsq **dns, size_t *ndns)
{
	pb_batch *b;
	int rc = FW_EMALFORMED;

	d->arena_used = 0;
	if (buf == NULL || len == 0)
		return FW_ETRUNC;
	b = floodwatch__records__v1__batch__unpack(&d->alloc, len, buf);
	if (b == NULL)
		return FW_EMALFORMED;
	/* seq (header, written last) and records (written after the records)
	 * missing: the message was cut short. */
	if (!b->has_version || b->version != FW_RECWIRE_VERSION || !collector_ok(b->collector) ||
	    !b->has_seq || b->seq == 0 || !b->has_watermark_ms || !b->has_records ||
	    b->n_flows > d->max || b->n_dns > d->max - b->n_flows || b->records != b->n_flows + b->n_dns)
		goto out;
	for (size_t i = 0; i < b->n_flows; i++)
		if (get_flow(b->flows[i], &d->flows[i]) != FW_OK)
			goto out;
	for (size_t i = 0; i < b->n_dns; i++)
		if (get_dns(b->dns[i], &d->dns[i]) != FW_OK)
			goto out;
	memset(h, 0, sizeof(*h));
	h->version = b->version;
	memcpy(h->collector, b->collector, strlen(b->collector) + 1);
	h->seq = b->seq;
	h->watermark_ms = b->watermark_ms;
	h->lateness_ms = b->has_lateness_ms ? (int64_t)b->lateness_ms : 0;
	*flows = d->flows;
	*nflows = b->n_flows;
	*dns = d->dns;
	*ndns = b->n_dns;
	rc = FW_OK;
out:
	d->arena_used = 0;  /* protobuf-c's free is a no-op on the arena */
	return rc;
}
