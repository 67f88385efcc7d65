/*
 * check_recwire.c - record batches on the wire (fw_recwire.h): every field
 * round-trips (IPv4 and IPv6 addresses, DNS names with escapes, extreme
 * values), and hostile input is refused with the decoder still usable
 * afterwards: every truncation, bit flips, a wrong version, too many
 * records, bad addresses and names.  A message as another encoder may
 * write it (fields in another order, unknown fields, a repeated optional
 * field) decodes as protobuf says; groups and mistyped fields are refused.
 */
#include <arpa/inet.h>
#include <check.h>
#include <stdint.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fw_addr.h"
#include "fw_recwire.h"

Suite *recwire_suite(void);

#define MAXREC 16

static void
addr(struct fw_addr *a, const char *text)
{
	uint8_t v4[4];

	if (inet_pton(AF_INET, text, v4) == 1)
		fw_addr_from_v4(a, v4);
	else
		ck_assert_int_eq(inet_pton(AF_INET6, text, a->b), 1);
}

static void
make_flow(struct fw_flow *f, int i)
{
	memset(f, 0, sizeof(*f));
	f->end_ms = 1700000000000LL + i;
	f->start_ms = f->end_ms - 60000 * i;
	f->pkts = 1000u * (uint64_t)(i + 1);
	f->bytes = f->pkts * 1400u;
	addr(&f->src, i % 2 ? "2001:db8::1:2" : "198.51.100.7");
	addr(&f->dst, i % 2 ? "2001:db8:ffff::80" : "203.0.113.9");
	addr(&f->exporter, i % 3 ? "192.0.2.1" : "fe80::1");
	f->obs_domain = 7u * (uint32_t)i;
	f->sampling = i == 0 ? 0 : 1024;
	f->sport = (uint16_t)(53 + i);
	f->dport = 65535;
	f->proto = i % 2 ? 17 : 6;
	f->tcp_flags = 0x12;
	f->tos = 0xb8;
	f->ttl = (uint8_t)(64 - i);
	f->source = (uint8_t)(1 + i % 4);
}

static void
make_dns(struct fw_dnsq *q, int i)
{
	static const char *const names[] = { "www.example.com", "\\032weird\\(name\\).example.org", ".",
	    "x-1_2.a.b.c.d.e.f.example.net" };

	memset(q, 0, sizeof(*q));
	q->time_ms = 1700000000500LL + i;
	addr(&q->client, i % 2 ? "2001:db8::53" : "10.1.2.3");
	addr(&q->server, i % 2 ? "::1" : "127.0.0.1");
	q->qtype = i % 2 ? 28 : 255;
	q->rcode = i % 3 ? FW_RCODE_NONE : 3;
	q->flags = (uint8_t)(i % 8);
	q->source = (uint8_t)(1 + i % 4);
	snprintf(q->qname, sizeof(q->qname), "%s", names[i % 4]);
	q->qname_len = (uint8_t)strlen(q->qname);
}

static void
hdr(struct fw_recwire_hdr *h, uint64_t seq, int64_t wm)
{
	memset(h, 0, sizeof(*h));
	h->version = FW_RECWIRE_VERSION;
	snprintf(h->collector, sizeof(h->collector), "collector-a.example.net");
	h->seq = seq;
	h->watermark_ms = wm;
}

/* Encode nf flows and nd DNS records (interleaved) into out; returns its length. */
static size_t
encode(struct fw_recwire_enc *e, int nf, int nd, uint64_t seq, int64_t wm, uint8_t *out, size_t cap)
{
	struct fw_recwire_hdr h;
	const void *buf;
	size_t len;

	hdr(&h, seq, wm);
	fw_recwire_enc_begin(e, &h);
	for (int i = 0; i < nf || i < nd; i++) {
		struct fw_flow f;
		struct fw_dnsq q;

		if (i < nf) {
			make_flow(&f, i);
			ck_assert_int_eq(fw_recwire_enc_flow(e, &f), FW_OK);
		}
		if (i < nd) {
			make_dns(&q, i);
			ck_assert_int_eq(fw_recwire_enc_dns(e, &q), FW_OK);
		}
	}
	ck_assert_uint_eq(fw_recwire_enc_count(e), (size_t)(nf + nd));
	ck_assert_int_eq(fw_recwire_enc_finish(e, &buf, &len), FW_OK);
	ck_assert_uint_le(len, cap);
	memcpy(out, buf, len);
	return len;
}

static int
decode(struct fw_recwire_dec *d, const uint8_t *buf, size_t len, struct fw_recwire_hdr *h,
    size_t *nf, size_t *nd)
{
	const struct fw_flow *f;
	const struct fw_dnsq *q;

	return fw_recwire_decode(d, buf, len, h, &f, nf, &q, nd);
}

/* The decoder still works: a good message decodes in full. */
static void
still_usable(struct fw_recwire_dec *d, const uint8_t *good, size_t glen)
{
	struct fw_recwire_hdr h;
	size_t nf, nd;

	ck_assert_int_eq(decode(d, good, glen, &h, &nf, &nd), FW_OK);
	ck_assert_uint_eq(nf, 3);
	ck_assert_uint_eq(nd, 4);
}

START_TEST(test_recwire_round_trip)
{
	struct fw_recwire_enc *e;
	struct fw_recwire_dec *d;
	struct fw_recwire_hdr h;
	const struct fw_flow *fl;
	const struct fw_dnsq *dq;
	size_t nf, nd, len;
	static uint8_t buf[65536];

	ck_assert_int_eq(fw_recwire_enc_new(MAXREC, &e), FW_OK);
	ck_assert_int_eq(fw_recwire_dec_new(MAXREC, &d), FW_OK);
	len = encode(e, 7, 8, 42, 1700000001234LL, buf, sizeof(buf));
	ck_assert_int_eq(fw_recwire_decode(d, buf, len, &h, &fl, &nf, &dq, &nd), FW_OK);
	ck_assert_uint_eq(h.version, FW_RECWIRE_VERSION);
	ck_assert_str_eq(h.collector, "collector-a.example.net");
	ck_assert_uint_eq(h.seq, 42);
	ck_assert_int_eq(h.watermark_ms, 1700000001234LL);
	ck_assert_uint_eq(nf, 7);
	ck_assert_uint_eq(nd, 8);
	for (int i = 0; i < 7; i++) {
		struct fw_flow want;

		make_flow(&want, i);
		ck_assert_mem_eq(&fl[i], &want, sizeof(want));  /* in_if, out_if, pad are 0 on both */
	}
	for (int i = 0; i < 8; i++) {
		struct fw_dnsq want;

		make_dns(&want, i);
		ck_assert_mem_eq(&dq[i], &want, offsetof(struct fw_dnsq, qname));
		ck_assert_str_eq(dq[i].qname, want.qname);
		ck_assert_uint_eq(dq[i].qname_len, want.qname_len);
	}
	fw_recwire_enc_free(e);
	fw_recwire_dec_free(d);
}
END_TEST

/* The learned lateness (field 8) round-trips; 0 is not sent and reads 0,
 * as from a collector that predates it. */
START_TEST(test_recwire_lateness)
{
	struct fw_recwire_enc *e;
	struct fw_recwire_dec *d;
	struct fw_recwire_hdr h, got;
	const void *buf;
	size_t len, len0, nf, nd;

	ck_assert_int_eq(fw_recwire_enc_new(MAXREC, &e), FW_OK);
	ck_assert_int_eq(fw_recwire_dec_new(MAXREC, &d), FW_OK);
	hdr(&h, 7, 1700000001234LL);
	fw_recwire_enc_begin(e, &h);
	ck_assert_int_eq(fw_recwire_enc_finish(e, &buf, &len0), FW_OK);
	ck_assert_int_eq(decode(d, buf, len0, &got, &nf, &nd), FW_OK);
	ck_assert_int_eq(got.lateness_ms, 0);
	h.lateness_ms = 17000;
	fw_recwire_enc_begin(e, &h);
	ck_assert_int_eq(fw_recwire_enc_finish(e, &buf, &len), FW_OK);
	ck_assert_uint_eq(len, len0 + 4);  /* tag + 3-byte varint */
	ck_assert_int_eq(decode(d, buf, len, &got, &nf, &nd), FW_OK);
	ck_assert_int_eq(got.lateness_ms, 17000);
	ck_assert_int_eq(got.watermark_ms, 1700000001234LL);
	ck_assert_uint_eq(nf + nd, 0);
	fw_recwire_enc_free(e);
	fw_recwire_dec_free(d);
}
END_TEST

/* Extremes: INT64 times both ways, huge counters, a 255-byte name, a
 * watermark of INT64_MIN (none yet), a watermark-only batch. */
START_TEST(test_recwire_extremes)
{
	struct fw_recwire_enc *e;
	struct fw_recwire_dec *d;
	struct fw_recwire_hdr h;
	const struct fw_flow *fl;
	const struct fw_dnsq *dq;
	const void *buf;
	size_t nf, nd, len;
	struct fw_flow f;
	struct fw_dnsq q;

	ck_assert_int_eq(fw_recwire_enc_new(2, &e), FW_OK);
	ck_assert_int_eq(fw_recwire_dec_new(2, &d), FW_OK);
	make_flow(&f, 1);
	f.start_ms = INT64_MAX;
	f.end_ms = INT64_MIN;
	f.pkts = UINT64_MAX;
	f.bytes = UINT64_MAX - 1;
	f.obs_domain = UINT32_MAX;
	f.sampling = UINT32_MAX;
	make_dns(&q, 1);
	memset(q.qname, 'a', FW_QNAME_MAX);
	for (int i = 1; i < FW_QNAME_MAX; i += 64)
		q.qname[i] = '.';
	q.qname[FW_QNAME_MAX] = '\0';
	q.qname_len = FW_QNAME_MAX;
	hdr(&h, UINT64_MAX, INT64_MIN);
	fw_recwire_enc_begin(e, &h);
	ck_assert_int_eq(fw_recwire_enc_flow(e, &f), FW_OK);
	ck_assert_int_eq(fw_recwire_enc_dns(e, &q), FW_OK);
	ck_assert_int_eq(fw_recwire_enc_flow(e, &f), FW_EFULL);
	ck_assert_int_eq(fw_recwire_enc_dns(e, &q), FW_EFULL);
	ck_assert_int_eq(fw_recwire_enc_finish(e, &buf, &len), FW_OK);
	ck_assert_int_eq(fw_recwire_decode(d, buf, len, &h, &fl, &nf, &dq, &nd), FW_OK);
	ck_assert_uint_eq(h.seq, UINT64_MAX);
	ck_assert_int_eq(h.watermark_ms, INT64_MIN);
	ck_assert_uint_eq(nf, 1);
	ck_assert_uint_eq(nd, 1);
	ck_assert_mem_eq(&fl[0], &f, sizeof(f));
	ck_assert_str_eq(dq[0].qname, q.qname);
	ck_assert_uint_eq(dq[0].qname_len, FW_QNAME_MAX);

	/* Watermark only. */
	hdr(&h, 1, -5);
	fw_recwire_enc_begin(e, &h);
	ck_assert_int_eq(fw_recwire_enc_finish(e, &buf, &len), FW_OK);
	ck_assert_int_eq(fw_recwire_decode(d, buf, len, &h, &fl, &nf, &dq, &nd), FW_OK);
	ck_assert_uint_eq(nf + nd, 0);
	ck_assert_int_eq(h.watermark_ms, -5);
	fw_recwire_enc_free(e);
	fw_recwire_dec_free(d);
}
END_TEST

/* Every prefix of a batch, with records and without, is refused. */
START_TEST(test_recwire_truncated)
{
	struct fw_recwire_enc *e;
	struct fw_recwire_dec *d;
	struct fw_recwire_hdr h;
	size_t nf, nd, len, wlen;
	static uint8_t good[65536], wm[256];

	ck_assert_int_eq(fw_recwire_enc_new(MAXREC, &e), FW_OK);
	ck_assert_int_eq(fw_recwire_dec_new(MAXREC, &d), FW_OK);
	len = encode(e, 3, 4, 9, 1700000000000LL, good, sizeof(good));
	wlen = encode(e, 0, 0, 10, 1700000000000LL, wm, sizeof(wm));
	for (size_t n = 0; n < len; n++)
		ck_assert_msg(decode(d, good, n, &h, &nf, &nd) != FW_OK, "prefix of %zu/%zu bytes accepted", n, len);
	for (size_t n = 0; n < wlen; n++)
		ck_assert_msg(decode(d, wm, n, &h, &nf, &nd) != FW_OK, "watermark prefix %zu/%zu accepted", n, wlen);
	still_usable(d, good, len);
	fw_recwire_enc_free(e);
	fw_recwire_dec_free(d);
}
END_TEST

/* Find the first occurrence of needle in hay. */
static size_t
find(const uint8_t *hay, size_t n, const void *needle, size_t m)
{
	for (size_t i = 0; i + m <= n; i++)
		if (memcmp(hay + i, needle, m) == 0)
			return i;
	ck_abort_msg("pattern not found");
	return 0;
}

/*
 * Bit flips.  Protobuf has no checksum (Kafka's record batches carry a
 * CRC), so a flip in a counter is a different valid message; what must
 * hold: every single-bit flip decodes to records that keep every rule, or
 * is refused, and the decoder keeps working.  Flips that break a rule
 * (address length, the qname's characters, the version, the wire type of
 * a field) are refused.
 */
START_TEST(test_recwire_bit_flips)
{
	struct fw_recwire_enc *e;
	struct fw_recwire_dec *d;
	struct fw_recwire_hdr h;
	const struct fw_flow *fl;
	const struct fw_dnsq *dq;
	size_t nf, nd, len, at, refused = 0;
	static uint8_t good[65536], bad[65536];
	static const uint8_t v4[4] = { 198, 51, 100, 7 };

	ck_assert_int_eq(fw_recwire_enc_new(MAXREC, &e), FW_OK);
	ck_assert_int_eq(fw_recwire_dec_new(MAXREC, &d), FW_OK);
	len = encode(e, 3, 4, 9, 1700000000000LL, good, sizeof(good));
	for (size_t i = 0; i < len * 8; i++) {
		memcpy(bad, good, len);
		bad[i / 8] ^= (uint8_t)(1u << (i % 8));
		if (fw_recwire_decode(d, bad, len, &h, &fl, &nf, &dq, &nd) != FW_OK) {
			refused++;
			continue;
		}
		ck_assert_uint_eq(h.version, FW_RECWIRE_VERSION);
		ck_assert_uint_le(nf + nd, MAXREC);
		for (size_t k = 0; k < nf; k++)
			ck_assert(fl[k].source >= FW_SRC_NF5 && fl[k].source <= FW_SRC_SFLOW);
		for (size_t k = 0; k < nd; k++) {
			ck_assert(dq[k].qname_len >= 1 && strlen(dq[k].qname) == dq[k].qname_len);
			for (size_t c = 0; c < dq[k].qname_len; c++)
				ck_assert(dq[k].qname[c] > 0x20 && dq[k].qname[c] < 0x7f &&
				    !(dq[k].qname[c] >= 'A' && dq[k].qname[c] <= 'Z'));
		}
	}
	ck_assert_uint_gt(refused, len);  /* most flips break something */
	still_usable(d, good, len);

	/* The first IPv4 address (src of flow 0): its length byte 4 -> 5. */
	at = find(good, len, v4, 4);
	memcpy(bad, good, len);
	ck_assert_uint_eq(bad[at - 1], 4);
	bad[at - 1] = 5;
	ck_assert_int_ne(decode(d, bad, len, &h, &nf, &nd), FW_OK);
	/* 4 -> 3: the next field starts one byte early. */
	bad[at - 1] = 3;
	ck_assert_int_ne(decode(d, bad, len, &h, &nf, &nd), FW_OK);
	/* The qname: a capital, a space, a NUL. */
	at = find(good, len, "www.example.com", 15);
	for (int k = 0; k < 3; k++) {
		memcpy(bad, good, len);
		bad[at + 4] = (uint8_t)"E \0"[k];
		ck_assert_int_ne(decode(d, bad, len, &h, &nf, &nd), FW_OK);
	}
	/* Version 1 -> 2 (the header is first: tag 0x08, value 1). */
	ck_assert_uint_eq(good[0], 0x08);
	ck_assert_uint_eq(good[1], 1);
	memcpy(bad, good, len);
	bad[1] = 2;
	ck_assert_int_eq(decode(d, bad, len, &h, &nf, &nd), FW_EMALFORMED);
	bad[1] = 0;
	ck_assert_int_eq(decode(d, bad, len, &h, &nf, &nd), FW_EMALFORMED);
	still_usable(d, good, len);
	fw_recwire_enc_free(e);
	fw_recwire_dec_free(d);
}
END_TEST

/* A wrong version set by the sender; a record count that lies. */
START_TEST(test_recwire_wrong_version)
{
	struct fw_recwire_enc *e;
	struct fw_recwire_dec *d;
	struct fw_recwire_hdr h;
	const void *buf;
	size_t nf, nd, len, glen;
	static uint8_t good[65536], bad[65536];
	struct fw_flow f;

	ck_assert_int_eq(fw_recwire_enc_new(MAXREC, &e), FW_OK);
	ck_assert_int_eq(fw_recwire_dec_new(MAXREC, &d), FW_OK);
	glen = encode(e, 3, 4, 9, 1700000000000LL, good, sizeof(good));
	hdr(&h, 1, 0);
	h.version = FW_RECWIRE_VERSION + 1;
	fw_recwire_enc_begin(e, &h);
	make_flow(&f, 0);
	ck_assert_int_eq(fw_recwire_enc_flow(e, &f), FW_OK);
	ck_assert_int_eq(fw_recwire_enc_finish(e, &buf, &len), FW_OK);
	ck_assert_int_eq(decode(d, buf, len, &h, &nf, &nd), FW_EMALFORMED);
	/* seq 0 and an empty collector id are refused too. */
	hdr(&h, 0, 0);
	fw_recwire_enc_begin(e, &h);
	ck_assert_int_eq(fw_recwire_enc_finish(e, &buf, &len), FW_OK);
	ck_assert_int_eq(decode(d, buf, len, &h, &nf, &nd), FW_EMALFORMED);
	hdr(&h, 1, 0);
	h.collector[0] = '\0';
	fw_recwire_enc_begin(e, &h);
	ck_assert_int_eq(fw_recwire_enc_finish(e, &buf, &len), FW_OK);
	ck_assert_int_eq(decode(d, buf, len, &h, &nf, &nd), FW_EMALFORMED);
	/* The trailing record count says 6, there are 7. */
	memcpy(bad, good, glen);
	ck_assert_uint_eq(bad[glen - 2], 7 << 3);
	ck_assert_uint_eq(bad[glen - 1], 7);
	bad[glen - 1] = 6;
	ck_assert_int_eq(decode(d, bad, glen, &h, &nf, &nd), FW_EMALFORMED);
	still_usable(d, good, glen);
	fw_recwire_enc_free(e);
	fw_recwire_dec_free(d);
}
END_TEST

/* A protobuf writer for hand-made messages (another encoder's choices). */
struct pbw {
	uint8_t b[512];
	size_t n;
};

static void
pb_varint(struct pbw *w, uint64_t v)
{
	do {
		w->b[w->n++] = (uint8_t)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
		v >>= 7;
	} while (v != 0);
}

static void
pb_key(struct pbw *w, unsigned field, unsigned wt)
{
	pb_varint(w, (uint64_t)field << 3 | wt);
}

static void
pb_bytes(struct pbw *w, unsigned field, const void *p, size_t n)
{
	pb_key(w, field, 2);
	pb_varint(w, n);
	memcpy(w->b + w->n, p, n);
	w->n += n;
}

static void
pb_uint(struct pbw *w, unsigned field, uint64_t v)
{
	pb_key(w, field, 0);
	pb_varint(w, v);
}

/* A Flow as another encoder may write it: fields last to first, unknown
 * fields of every wire type, src twice and ttl twice (the last wins);
 * unknown is one more field of wire type `unknown` (3: a group). */
static void
other_flow(struct pbw *w, unsigned unknown)
{
	static const uint8_t v4a[4] = { 192, 0, 2, 99 }, v4b[4] = { 198, 51, 100, 7 }, five[5] = { 1, 2, 3, 4, 5 };
	static const uint8_t v4x[4] = { 203, 0, 113, 9 }, v4e[4] = { 192, 0, 2, 1 };

	memset(w, 0, sizeof(*w));
	pb_uint(w, 16, 2);                 /* source: v9 */
	pb_uint(w, 15, 300);               /* ttl out of range ... */
	pb_uint(w, 15, 9);                 /* ... replaced */
	pb_key(w, 99, 1);                  /* unknown 64-bit */
	memset(w->b + w->n, 0xee, 8);
	w->n += 8;
	pb_uint(w, 12, 17);
	pb_uint(w, 11, 53);
	pb_uint(w, 10, 40000);
	pb_key(w, 100, 5);                 /* unknown 32-bit */
	memset(w->b + w->n, 0xdd, 4);
	w->n += 4;
	pb_bytes(w, 7, v4e, 4);
	pb_bytes(w, 6, v4x, 4);
	pb_bytes(w, 5, five, 5);           /* src, not an address ... */
	pb_bytes(w, 5, v4a, 4);            /* ... replaced */
	pb_bytes(w, 5, v4b, 4);            /* ... and again */
	pb_uint(w, 101, UINT64_MAX);       /* unknown varint */
	pb_bytes(w, 102, "ignored", 7);    /* unknown bytes */
	pb_uint(w, 3, 5);
	pb_uint(w, 4, 2500);
	pb_uint(w, 2, 2 * 1000);           /* sint64 1000 */
	pb_uint(w, 1, 2 * 1700000000000ULL);
	if (unknown != 0)
		pb_key(w, 103, unknown);
}

/* Its Batch: the header after the record and records, an unknown field. */
static size_t
other_batch(uint8_t *out, const struct pbw *flow)
{
	struct pbw w;

	memset(&w, 0, sizeof(w));
	pb_bytes(&w, 5, flow->b, flow->n);
	pb_uint(&w, 7, 1);
	pb_uint(&w, 55, 7);
	pb_bytes(&w, 2, "other-encoder", 13);
	pb_uint(&w, 4, 42);
	pb_uint(&w, 3, 2 * 1700000001000ULL);
	pb_uint(&w, 1, FW_RECWIRE_VERSION);
	memcpy(out, w.b, w.n);
	return w.n;
}

START_TEST(test_recwire_other_encoder)
{
	struct fw_recwire_dec *d;
	struct fw_recwire_hdr h;
	const struct fw_flow *f;
	const struct fw_dnsq *q;
	struct fw_addr want;
	size_t nf, nd, len;
	uint8_t buf[1024];
	struct pbw fl;

	ck_assert_int_eq(fw_recwire_dec_new(MAXREC, &d), FW_OK);
	other_flow(&fl, 0);
	len = other_batch(buf, &fl);
	ck_assert_int_eq(fw_recwire_decode(d, buf, len, &h, &f, &nf, &q, &nd), FW_OK);
	ck_assert_str_eq(h.collector, "other-encoder");
	ck_assert_uint_eq(h.seq, 42);
	ck_assert_int_eq(h.watermark_ms, 1700000001000LL);
	ck_assert_uint_eq(nf, 1);
	ck_assert_uint_eq(nd, 0);
	addr(&want, "198.51.100.7");
	ck_assert_mem_eq(f[0].src.b, want.b, 16);
	addr(&want, "203.0.113.9");
	ck_assert_mem_eq(f[0].dst.b, want.b, 16);
	ck_assert_int_eq(f[0].end_ms, 1700000000000LL);
	ck_assert_int_eq(f[0].start_ms, 1700000000000LL - 1000);
	ck_assert_uint_eq(f[0].pkts, 5);
	ck_assert_uint_eq(f[0].bytes, 2500);
	ck_assert_uint_eq(f[0].sport, 40000);
	ck_assert_uint_eq(f[0].dport, 53);
	ck_assert_uint_eq(f[0].proto, 17);
	ck_assert_uint_eq(f[0].ttl, 9);
	ck_assert_uint_eq(f[0].source, FW_SRC_NF9);
	/* A group (wire type 3 or 4), a wire type 6 or 7: refused; so is a
	 * known field of another wire type and the field number 0. */
	for (unsigned wt = 3; wt <= 7; wt++) {
		if (wt == 5)
			continue;
		other_flow(&fl, wt);
		len = other_batch(buf, &fl);
		ck_assert_int_eq(fw_recwire_decode(d, buf, len, &h, &f, &nf, &q, &nd), FW_EMALFORMED);
	}
	other_flow(&fl, 0);
	pb_key(&fl, 12, 2);                /* proto as bytes */
	pb_varint(&fl, 0);
	len = other_batch(buf, &fl);
	ck_assert_int_eq(fw_recwire_decode(d, buf, len, &h, &f, &nf, &q, &nd), FW_EMALFORMED);
	other_flow(&fl, 0);
	pb_uint(&fl, 0, 1);                /* field 0 */
	len = other_batch(buf, &fl);
	ck_assert_int_eq(fw_recwire_decode(d, buf, len, &h, &f, &nf, &q, &nd), FW_EMALFORMED);
	fw_recwire_dec_free(d);
}
END_TEST

/* More records than the decoder was made for: refused without growing
 * memory, however the extra ones are spelt; then a fitting batch works. */
START_TEST(test_recwire_too_many)
{
	struct fw_recwire_enc *e;
	struct fw_recwire_dec *small;
	struct fw_recwire_hdr h;
	size_t nf, nd, len, glen;
	static uint8_t good[65536], big[65536], flood[200000];

	ck_assert_int_eq(fw_recwire_enc_new(MAXREC, &e), FW_OK);
	ck_assert_int_eq(fw_recwire_dec_new(7, &small), FW_OK);
	glen = encode(e, 3, 4, 9, 1700000000000LL, good, sizeof(good));
	len = encode(e, 4, 4, 9, 1700000000000LL, big, sizeof(big));
	ck_assert_int_eq(decode(small, big, len, &h, &nf, &nd), FW_EMALFORMED);
	len = encode(e, 8, 0, 9, 1700000000000LL, big, sizeof(big));
	ck_assert_int_eq(decode(small, big, len, &h, &nf, &nd), FW_EMALFORMED);
	still_usable(small, good, glen);
	/* 90000 empty Flow entries (tag 0x2a, length 0) after a good batch:
	 * far beyond the arena, refused before any is looked at. */
	memcpy(flood, good, glen);
	for (size_t i = 0; i < 90000; i++) {
		flood[glen + 2 * i] = 0x2a;
		flood[glen + 2 * i + 1] = 0;
	}
	ck_assert_int_eq(decode(small, flood, glen + 180000, &h, &nf, &nd), FW_EMALFORMED);
	still_usable(small, good, glen);
	fw_recwire_enc_free(e);
	fw_recwire_dec_free(small);
}
END_TEST

START_TEST(test_recwire_bad_args)
{
	struct fw_recwire_enc *e = NULL;
	struct fw_recwire_dec *d = NULL;

	ck_assert_int_eq(fw_recwire_enc_new(0, &e), FW_EINVAL);
	ck_assert_int_eq(fw_recwire_dec_new(0, &d), FW_EINVAL);
	ck_assert_ptr_null(e);
	ck_assert_ptr_null(d);
	fw_recwire_enc_free(NULL);
	fw_recwire_dec_free(NULL);
}
END_TEST

Suite *
recwire_suite(void)
{
	Suite *s = suite_create("recwire");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_recwire_round_trip);
	tcase_add_test(tc, test_recwire_extremes);
	tcase_add_test(tc, test_recwire_lateness);
	tcase_add_test(tc, test_recwire_truncated);
	tcase_add_test(tc, test_recwire_bit_flips);
	tcase_add_test(tc, test_recwire_wrong_version);
	tcase_add_test(tc, test_recwire_too_many);
	tcase_add_test(tc, test_recwire_bad_args);
	tcase_add_test(tc, test_recwire_other_encoder);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(recwire_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
