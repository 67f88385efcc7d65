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
 * Decoding reads the wire format straight into the records (see "decoding"
 * below: written out for speed, checked against protobuf-c by the fuzz
 * target); every field is checked, nothing is allocated per message.
 */
#include "fw_recwire.h"

#include <stdlib.h>
#include <string.h>

#include "fw_addr.h"
#include "fw_varint.h"
#include "records.pb-c.h"

typedef Floodwatch__Records__V1__Flow pb_flow;
typedef Floodwatch__Records__V1__DnsQuery pb_dns;
typedef Floodwatch__Records__V1__Batch pb_batch;

/* Worst-case packed sizes, with the Batch field's tag and length prefix. */
#define FLOW_WIRE_MAX  (3 + 4 * 11 + 3 * 18 + 9 * 7)
#define DNS_WIRE_MAX   (3 + 11 + 2 * 18 + 4 * 6 + 3 + FW_QNAME_MAX)
#define HDR_WIRE_MAX   (6 + 2 + FW_RECWIRE_ID_MAX + 11 + 11 + 6 + 6)
#define REC_WIRE_MAX   (DNS_WIRE_MAX > FLOW_WIRE_MAX ? DNS_WIRE_MAX : FLOW_WIRE_MAX)

struct fw_recwire_enc {
	uint8_t *buf;               /* [0, HDR_WIRE_MAX): header room; records from there */
	size_t cap, len, max, count;
	struct fw_recwire_hdr hdr;
};

struct fw_recwire_dec {
	size_t max;
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

/* Append m as field `field` (length-delimited) of the Batch. */
static void
append_msg(struct fw_recwire_enc *e, unsigned field, const ProtobufCMessage *m)
{
	size_t sz = protobuf_c_message_get_packed_size(m);

	e->len += fw_varint_put(e->buf + e->len, (uint64_t)field << 3 | 2);
	e->len += fw_varint_put(e->buf + e->len, sz);
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
	n = e->len + 1 + fw_varint_put(e->buf + e->len + 1, e->count);
	*buf = at;
	*len = (size_t)(e->buf + n - at);
	return FW_OK;
}

/* ---- decoding ---- */

/*
 * Decoding is written out for this schema instead of protobuf-c's generic
 * unpack, which cost a fifth of a detector member's CPU (a table-driven
 * walk per field, a slab of scanned members and an allocation per record
 * and per bytes field).  It reads the protobuf wire format as the spec
 * says: fields in any order, the last of a repeated optional field wins,
 * unknown fields (varint, 64-bit, length-delimited, 32-bit) are skipped, a
 * known field of another wire type, a group or a field number 0 is
 * refused.  Stricter than protobuf-c only where no encoder goes: a field
 * key or length prefix over 5 bytes, a NUL in the collector string.
 * fuzz_recwire checks that whatever this accepts, protobuf-c unpacks to
 * the same header and records.
 */
struct rd {
	const uint8_t *p, *end;
};

/* A varint of at most 10 bytes (bits past 64 dropped, as protobuf-c). */
static inline int
rd_varint(struct rd *r, uint64_t *v)
{
	size_t i = 0;
	int ok = fw_varint_get(r->p, (size_t)(r->end - r->p), &i, v);

	r->p += i;
	return ok;
}

/* A field key: number and wire type; keys are at most 5 bytes. */
static inline int
rd_key(struct rd *r, uint32_t *field, unsigned *wt)
{
	const uint8_t *at = r->p;
	uint64_t k;

	if (!rd_varint(r, &k) || r->p - at > 5 || k > UINT32_MAX || (k >> 3) == 0)
		return 0;
	*field = (uint32_t)(k >> 3);
	*wt = (unsigned)(k & 7);
	return 1;
}

/* A length-delimited field's bytes (prefix of at most 5 bytes). */
static inline int
rd_bytes(struct rd *r, const uint8_t **d, size_t *n)
{
	const uint8_t *at = r->p;
	uint64_t len;

	if (!rd_varint(r, &len) || r->p - at > 5 || len > (uint64_t)(r->end - r->p))
		return 0;
	*d = r->p;
	*n = (size_t)len;
	r->p += len;
	return 1;
}

/* Skip a field of wire type wt (varint, 64-bit, length-delimited, 32-bit). */
static int
rd_skip(struct rd *r, unsigned wt)
{
	const uint8_t *d;
	uint64_t v;
	size_t n;

	switch (wt) {
	case 0:
		return rd_varint(r, &v);
	case 1:
	case 5:
		n = wt == 1 ? 8 : 4;
		if ((size_t)(r->end - r->p) < n)
			return 0;
		r->p += n;
		return 1;
	case 2:
		return rd_bytes(r, &d, &n);
	default:
		return 0;  /* groups (3, 4) and 6, 7: refused, as protobuf-c does */
	}
}

static inline int64_t
unzigzag(uint64_t v)
{
	return (int64_t)((v >> 1) ^ (~(v & 1) + 1));
}

/* An address of 4 or 16 bytes; n == SIZE_MAX: absent. */
static int
get_addr(const uint8_t *b, size_t n, struct fw_addr *a)
{
	if (n == 16) {
		memcpy(a->b, b, 16);
		return FW_OK;
	}
	if (n == 4) {
		fw_addr_from_v4(a, b);
		return FW_OK;
	}
	return FW_EMALFORMED;
}

/* Varint fields 1..16 of Flow: wire type 0, or refused. */
enum { FL_END = 1, FL_DUR, FL_PKTS, FL_BYTES, FL_SRC, FL_DST, FL_EXP, FL_DOMAIN, FL_SAMPLING, FL_SPORT,
	FL_DPORT, FL_PROTO, FL_FLAGS, FL_TOS, FL_TTL, FL_SOURCE, FL_N };

static int
get_flow(const uint8_t *p, size_t len, struct fw_flow *f)
{
	struct rd r = { p, p + len };
	uint64_t v[FL_N] = { 0 };
	const uint8_t *ab[3] = { NULL, NULL, NULL };
	size_t an[3] = { SIZE_MAX, SIZE_MAX, SIZE_MAX };

	while (r.p < r.end) {
		uint32_t field;
		unsigned wt;

		if (!rd_key(&r, &field, &wt))
			return FW_EMALFORMED;
		if (field >= FL_SRC && field <= FL_EXP) {
			if (wt != 2 || !rd_bytes(&r, &ab[field - FL_SRC], &an[field - FL_SRC]))
				return FW_EMALFORMED;
		} else if (field >= FL_END && field < FL_N) {
			if (wt != 0 || !rd_varint(&r, &v[field]))
				return FW_EMALFORMED;
		} else if (!rd_skip(&r, wt)) {
			return FW_EMALFORMED;
		}
	}
	memset(f, 0, sizeof(*f));
	if (get_addr(ab[0], an[0], &f->src) != FW_OK || get_addr(ab[1], an[1], &f->dst) != FW_OK ||
	    get_addr(ab[2], an[2], &f->exporter) != FW_OK)
		return FW_EMALFORMED;
	/* uint32 fields: the low 32 bits, as protobuf-c reads them. */
	for (int i = FL_DOMAIN; i < FL_N; i++)
		v[i] &= UINT32_MAX;
	if (v[FL_SPORT] > 0xffff || v[FL_DPORT] > 0xffff || v[FL_PROTO] > 0xff || v[FL_FLAGS] > 0xff ||
	    v[FL_TOS] > 0xff || v[FL_TTL] > 0xff || v[FL_SOURCE] < FW_SRC_NF5 || v[FL_SOURCE] > FW_SRC_SFLOW)
		return FW_EMALFORMED;
	f->end_ms = unzigzag(v[FL_END]);
	f->start_ms = (int64_t)((uint64_t)f->end_ms - (uint64_t)unzigzag(v[FL_DUR]));
	f->pkts = v[FL_PKTS];
	f->bytes = v[FL_BYTES];
	f->obs_domain = (uint32_t)v[FL_DOMAIN];
	f->sampling = (uint32_t)v[FL_SAMPLING];
	f->sport = (uint16_t)v[FL_SPORT];
	f->dport = (uint16_t)v[FL_DPORT];
	f->proto = (uint8_t)v[FL_PROTO];
	f->tcp_flags = (uint8_t)v[FL_FLAGS];
	f->tos = (uint8_t)v[FL_TOS];
	f->ttl = (uint8_t)v[FL_TTL];
	f->source = (uint8_t)v[FL_SOURCE];
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

/* DnsQuery: 1 time (sint64), 2 client, 3 server, 8 qname (bytes), 4..7 uint32. */
enum { DQ_TIME = 1, DQ_CLIENT, DQ_SERVER, DQ_QTYPE, DQ_RCODE, DQ_FLAGS, DQ_SOURCE, DQ_QNAME, DQ_N };

static int
get_dns(const uint8_t *p, size_t len, struct fw_dnsq *q)
{
	struct rd r = { p, p + len };
	uint64_t v[DQ_N] = { 0 };
	const uint8_t *b[DQ_N] = { NULL };
	size_t n[DQ_N];

	for (int i = 0; i < DQ_N; i++)
		n[i] = SIZE_MAX;
	while (r.p < r.end) {
		uint32_t field;
		unsigned wt;

		if (!rd_key(&r, &field, &wt))
			return FW_EMALFORMED;
		if (field == DQ_CLIENT || field == DQ_SERVER || field == DQ_QNAME) {
			if (wt != 2 || !rd_bytes(&r, &b[field], &n[field]))
				return FW_EMALFORMED;
		} else if (field >= DQ_TIME && field < DQ_N) {
			if (wt != 0 || !rd_varint(&r, &v[field]))
				return FW_EMALFORMED;
		} else if (!rd_skip(&r, wt)) {
			return FW_EMALFORMED;
		}
	}
	memset(q, 0, sizeof(*q));
	if (get_addr(b[DQ_CLIENT], n[DQ_CLIENT], &q->client) != FW_OK ||
	    get_addr(b[DQ_SERVER], n[DQ_SERVER], &q->server) != FW_OK)
		return FW_EMALFORMED;
	for (int i = DQ_QTYPE; i <= DQ_SOURCE; i++)
		v[i] &= UINT32_MAX;
	if (v[DQ_QTYPE] > 0xffff || (v[DQ_RCODE] > 15 && v[DQ_RCODE] != FW_RCODE_NONE) ||
	    (v[DQ_FLAGS] & ~(uint64_t)(FW_DNSQ_F_RESPONSE | FW_DNSQ_F_TCP | FW_DNSQ_F_RELAYED)) != 0 ||
	    v[DQ_SOURCE] < FW_DNS_QUERYLOG || v[DQ_SOURCE] > FW_DNS_PCAP || n[DQ_QNAME] == SIZE_MAX ||
	    !qname_ok(b[DQ_QNAME], n[DQ_QNAME]))
		return FW_EMALFORMED;
	q->time_ms = unzigzag(v[DQ_TIME]);
	q->qtype = (uint16_t)v[DQ_QTYPE];
	q->rcode = (uint8_t)v[DQ_RCODE];
	q->flags = (uint8_t)v[DQ_FLAGS];
	q->source = (uint8_t)v[DQ_SOURCE];
	q->qname_len = (uint8_t)n[DQ_QNAME];
	memcpy(q->qname, b[DQ_QNAME], n[DQ_QNAME]);
	q->qname[n[DQ_QNAME]] = '\0';
	return FW_OK;
}

/* 1..FW_RECWIRE_ID_MAX - 1 bytes of printable ASCII. */
static int
collector_ok(const uint8_t *s, size_t n)
{
	if (n == 0 || n >= FW_RECWIRE_ID_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (s[i] < 0x20 || s[i] > 0x7e)
			return 0;
	return 1;
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
	d->flows = calloc(max_records, sizeof(*d->flows));
	d->dns = calloc(max_records, sizeof(*d->dns));
	if (d->flows == NULL || d->dns == NULL) {
		fw_recwire_dec_free(d);
		return FW_ENOMEM;
	}
	*out = d;
	return FW_OK;
}

void
fw_recwire_dec_free(struct fw_recwire_dec *d)
{
	if (d == NULL)
		return;
	free(d->flows);
	free(d->dns);
	free(d);
}

/* Batch: 1 version, 3 watermark (sint64), 4 seq, 7 records, 8 lateness:
 * varints; 2 collector, 5 flows, 6 dns: length-delimited. */
enum { B_VERSION = 1, B_COLLECTOR, B_WATERMARK, B_SEQ, B_FLOWS, B_DNS, B_RECORDS, B_LATENESS, B_N };

int
fw_recwire_decode(struct fw_recwire_dec *d, const void *buf, size_t len,
    struct fw_recwire_hdr *h, const struct fw_flow **flows, size_t *nflows,
    const struct fw_dnsq **dns, size_t *ndns)
{
	struct rd r = { buf, (const uint8_t *)buf + len };
	uint64_t v[B_N] = { 0 };
	int has[B_N] = { 0 };
	const uint8_t *col = NULL;
	size_t ncol = 0, nf = 0, nd = 0;

	if (buf == NULL || len == 0)
		return FW_ETRUNC;
	while (r.p < r.end) {
		const uint8_t *m;
		uint32_t field;
		unsigned wt;
		size_t n;

		if (!rd_key(&r, &field, &wt))
			return FW_EMALFORMED;
		if (field == B_COLLECTOR || field == B_FLOWS || field == B_DNS) {
			if (wt != 2 || !rd_bytes(&r, &m, &n))
				return FW_EMALFORMED;
			if (field == B_COLLECTOR) {
				col = m;
				ncol = n;
			} else if (nf + nd >= d->max ||  /* more records than a batch holds */
			    (field == B_FLOWS ? get_flow(m, n, &d->flows[nf++]) : get_dns(m, n, &d->dns[nd++])) != FW_OK) {
				return FW_EMALFORMED;
			}
		} else if (field < B_N) {
			if (wt != 0 || !rd_varint(&r, &v[field]))
				return FW_EMALFORMED;
		} else if (!rd_skip(&r, wt)) {
			return FW_EMALFORMED;
		}
		if (field < B_N)
			has[field] = 1;
	}
	v[B_VERSION] &= UINT32_MAX;
	v[B_RECORDS] &= UINT32_MAX;
	v[B_LATENESS] &= UINT32_MAX;
	/* seq (header, written last) and records (written after the records)
	 * missing: the message was cut short. */
	if (!has[B_VERSION] || v[B_VERSION] != FW_RECWIRE_VERSION || col == NULL || !collector_ok(col, ncol) ||
	    !has[B_SEQ] || v[B_SEQ] == 0 || !has[B_WATERMARK] || !has[B_RECORDS] || v[B_RECORDS] != nf + nd)
		return FW_EMALFORMED;
	memset(h, 0, sizeof(*h));
	h->version = (uint32_t)v[B_VERSION];
	memcpy(h->collector, col, ncol);
	h->seq = v[B_SEQ];
	h->watermark_ms = unzigzag(v[B_WATERMARK]);
	h->lateness_ms = has[B_LATENESS] ? (int64_t)v[B_LATENESS] : 0;
	*flows = d->flows;
	*nflows = nf;
	*dns = d->dns;
	*ndns = nd;
	return FW_OK;
}
