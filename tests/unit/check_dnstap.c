/*
 * check_dnstap.c - dnstap collector tests: frame decoder, Frame Streams
 * state machine, file reader and the live unix-socket listener.
 *
 * tests/data/bind-dnstap.fstrm (BIND 9.18, 3000 AUTH_QUERY + 3000
 * CLIENT_RESPONSE) is compared record by record with
 * tests/data/bind-dnstap.expected, written by tests/data/gen-dnstap-expected.sh
 * from BIND's dnstap-read.  Type and rcode mnemonics are mapped by tables
 * here, not by the code under test.  Hand-built frames are encoded by a
 * few lines of protobuf wire format below (not by protobuf-c), so the
 * decoder is checked against an independent encoder.  The live tests run
 * fstrm_replay (Debian fstrm-bin: libfstrm's own bidirectional writer) and
 * a real named (Debian bind9, temporary config on 127.0.0.1, queries sent
 * by dig) against the listener on a temporary unix socket.
 */
#include "fw_dnstap.h"

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fw_pkt.h"
#include "fw_ring.h"

#define DATA "tests/data/"
#define FILE_DNSTAP DATA "bind-dnstap.fstrm"
#define FILE_EXPECTED DATA "bind-dnstap.expected"
#define NREC 6000

/* ---- helpers ------------------------------------------------------------ */

static int
type_of(const char *s)
{
	static const struct { const char *n; int v; } t[] = {
		{ "A", 1 }, { "NS", 2 }, { "SOA", 6 }, { "PTR", 12 }, { "MX", 15 }, { "TXT", 16 },
		{ "AAAA", 28 }, { "SRV", 33 }, { "DS", 43 }, { "DNSKEY", 48 }, { "HTTPS", 65 },
		{ "ANY", 255 }, { "CAA", 257 },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (strcmp(s, t[i].n) == 0)
			return t[i].v;
	return -1;
}

/* RFC 1035 4.1.1 / RFC 6895 rcodes; "-" = query (no rcode). */
static int
rcode_of(const char *s)
{
	static const struct { const char *n; int v; } t[] = {
		{ "-", FW_RCODE_NONE }, { "NOERROR", 0 }, { "FORMERR", 1 }, { "SERVFAIL", 2 },
		{ "NXDOMAIN", 3 }, { "NOTIMP", 4 }, { "REFUSED", 5 },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (strcmp(s, t[i].n) == 0)
			return t[i].v;
	return -1;
}

static uint8_t *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	long n;

	ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	ck_assert_ptr_nonnull(buf);
	ck_assert_uint_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return buf;
}

/* Data frames of the file, by a plain walk of the framing (no libfstrm). */
struct frames {
	size_t n;
	const uint8_t *p[NREC + 16];
	size_t len[NREC + 16];
	uint8_t *file;
	size_t file_len;
};

static struct frames *
file_frames(void)
{
	struct frames *fr = calloc(1, sizeof(*fr));
	size_t off = 0;

	fr->file = slurp(FILE_DNSTAP, &fr->file_len);
	while (fr->file_len - off >= 4) {
		uint32_t l = (uint32_t)fr->file[off] << 24 | (uint32_t)fr->file[off + 1] << 16 |
		    (uint32_t)fr->file[off + 2] << 8 | fr->file[off + 3];

		off += 4;
		if (l == 0) {          /* control: skip length + body */
			uint32_t c = (uint32_t)fr->file[off] << 24 | (uint32_t)fr->file[off + 1] << 16 |
			    (uint32_t)fr->file[off + 2] << 8 | fr->file[off + 3];
			off += 4 + c;
			continue;
		}
		ck_assert_uint_lt(fr->n, NREC + 16);
		fr->p[fr->n] = fr->file + off;
		fr->len[fr->n] = l;
		fr->n++;
		off += l;
	}
	return fr;
}

static void
frames_free(struct frames *fr)
{
	free(fr->file);
	free(fr);
}

/* Decode from an exact-size heap copy so ASan sees any over-read. */
static int
decode_copy(const uint8_t *p, size_t len, struct fw_dnsq *q)
{
	uint8_t *copy = malloc(len ? len : 1);
	int rc;

	memcpy(copy, p, len);
	rc = fw_dnstap_decode(copy, len, q);
	free(copy);
	return rc;
}

struct collect {
	size_t n;
	struct fw_dnsq q[NREC * 2];
};

static int
collect_cb(void *ctx, const struct fw_dnsq *rec)
{
	struct collect *c = ctx;

	if (c->n == sizeof(c->q) / sizeof(c->q[0]))
		return FW_EFULL;
	c->q[c->n++] = *rec;
	return FW_OK;
}

/*
 * Compare records with the expected file; returns how many matched.  Each
 * line: kind time_ms client cport server sport proto qname class type rcode.
 */
static size_t
compare_expected(const struct fw_dnsq *q, size_t n, size_t *nq, size_t *nr, size_t *nx)
{
	FILE *f = fopen(FILE_EXPECTED, "r");
	char line[1024];
	size_t i = 0;

	ck_assert_ptr_nonnull(f);
	*nq = *nr = *nx = 0;
	while (fgets(line, sizeof(line), f) != NULL) {
		char kind[4], cl[64], sv[64], proto[8], name[300], cls[8], type[16], rc[16];
		char got_c[64], got_s[64];
		long long ms;
		unsigned cp, sp;

		ck_assert_int_eq(sscanf(line, "%3s %lld %63s %u %63s %u %7s %299s %7s %15s %15s",
		    kind, &ms, cl, &cp, sv, &sp, proto, name, cls, type, rc), 11);
		ck_assert_uint_lt(i, n);
		fw_addr_format(&q[i].client, got_c, sizeof(got_c));
		fw_addr_format(&q[i].server, got_s, sizeof(got_s));
		ck_assert_msg(strcmp(q[i].qname, name) == 0, "record %zu: qname %s, want %s", i,
		    q[i].qname, name);
		ck_assert_uint_eq(q[i].qname_len, strlen(name));
		ck_assert_int_eq(q[i].qtype, type_of(type));
		ck_assert_int_eq(q[i].rcode, rcode_of(rc));
		ck_assert_int_eq(q[i].time_ms, ms);
		ck_assert_str_eq(got_c, cl);
		ck_assert_str_eq(got_s, sv);
		ck_assert_int_eq(!!(q[i].flags & FW_DNSQ_F_RESPONSE), kind[0] == 'R');
		ck_assert_int_eq(!!(q[i].flags & FW_DNSQ_F_TCP), strcmp(proto, "TCP") == 0);
		ck_assert_int_eq(q[i].source, FW_DNS_DNSTAP);
		if (kind[0] == 'Q')
			(*nq)++;
		else
			(*nr)++;
		if (q[i].rcode == 3)
			(*nx)++;
		i++;
	}
	fclose(f);
	return i;
}

/* ---- a minimal protobuf encoder (wire format, independent of protobuf-c) - */

struct pb {
	uint8_t b[4096];
	size_t n;
};

static void
pb_varint(struct pb *p, uint64_t v)
{
	do {
		uint8_t byte = v & 0x7f;
		v >>= 7;
		p->b[p->n++] = (uint8_t)(byte | (v ? 0x80 : 0));
	} while (v);
}

static void
pb_key(struct pb *p, unsigned field, unsigned wire)
{
	pb_varint(p, (uint64_t)field << 3 | wire);
}

static void
pb_uint(struct pb *p, unsigned field, uint64_t v)
{
	pb_key(p, field, 0);
	pb_varint(p, v);
}

static void
pb_bytes(struct pb *p, unsigned field, const void *d, size_t len)
{
	pb_key(p, field, 2);
	pb_varint(p, len);
	memcpy(p->b + p->n, d, len);
	p->n += len;
}

static void
pb_fixed32(struct pb *p, unsigned field, uint32_t v)
{
	pb_key(p, field, 5);
	for (int i = 0; i < 4; i++)
		p->b[p->n++] = (uint8_t)(v >> (8 * i));
}

/* Dnstap{type=MESSAGE, message=m}. */
static void
pb_dnstap(struct pb *out, const struct pb *m)
{
	out->n = 0;
	pb_bytes(out, 1, "test", 4);
	pb_bytes(out, 14, m->b, m->n);
	pb_uint(out, 15, 1);
}

/* "www.example.com A" query (id 0x1234, RD) and its response with rcode rc. */
static size_t
dns_msg(uint8_t *b, int response, unsigned rc)
{
	static const uint8_t q[] = {
		0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		3, 'W', 'w', 'W', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0,
		0x00, 0x01, 0x00, 0x01,
	};

	memcpy(b, q, sizeof(q));
	if (response) {
		b[2] = 0x81;
		b[3] = (uint8_t)(0x80 | (rc & 0x0f));
	}
	return sizeof(q);
}

static const uint8_t V6_C[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
static const uint8_t V6_S[16] = { 0x20, 0x01, 0x0d, 0xb8, [14] = 0x53, [15] = 0x53 };
static const uint8_t V4_C[4] = { 192, 0, 2, 7 };
static const uint8_t V4_S[4] = { 198, 51, 100, 53 };

/* ---- valid --------------------------------------------------------------- */

START_TEST(test_dnstap_file_matches_dnstap_read)
{
	static struct collect c;
	struct fw_dnstap_stats st = { 0 };
	size_t nq, nr, nx;

	c.n = 0;
	ck_assert_int_eq(fw_dnstap_file_read(FILE_DNSTAP, collect_cb, &c, &st), FW_OK);
	ck_assert_uint_eq(c.n, NREC);
	ck_assert_uint_eq(st.frames, NREC);
	ck_assert_uint_eq(st.records, NREC);
	ck_assert_uint_eq(st.skipped + st.bad_proto + st.bad_dns + st.no_message + st.oversize, 0);
	ck_assert_uint_eq(compare_expected(c.q, c.n, &nq, &nr, &nx), NREC);
	ck_assert_uint_eq(nq, 3000);
	ck_assert_uint_eq(nr, 3000);
	/* The random names of the water-torture mix are all NXDOMAIN. */
	ck_assert_uint_eq(nx, 2152);
}
END_TEST

START_TEST(test_dnstap_decode_frames_in_memory)
{
	struct frames *fr = file_frames();
	static struct fw_dnsq q[NREC];
	size_t nq, nr, nx;

	ck_assert_uint_eq(fr->n, NREC);
	for (size_t i = 0; i < fr->n; i++)
		ck_assert_int_eq(decode_copy(fr->p[i], fr->len[i], &q[i]), 1);
	ck_assert_uint_eq(compare_expected(q, fr->n, &nq, &nr, &nx), NREC);
	frames_free(fr);
}
END_TEST

START_TEST(test_dnstap_is_fstrm)
{
	size_t len;
	uint8_t *f = slurp(FILE_DNSTAP, &len);
	uint8_t b[64];
	size_t n;

	ck_assert(fw_dnstap_is_fstrm(f, len));
	ck_assert(fw_dnstap_is_fstrm(f, 12));          /* prefix alone is enough */
	ck_assert(!fw_dnstap_is_fstrm(f, 11));
	free(f);
	f = slurp(DATA "dns_udp.pcap", &len);
	ck_assert(!fw_dnstap_is_fstrm(f, len));
	free(f);
	n = fw_dnstap_control_build(b, sizeof(b), FW_FSTRM_START, "protobuf:other.Thing");
	ck_assert_uint_gt(n, 0);
	ck_assert(!fw_dnstap_is_fstrm(b, n));
	n = fw_dnstap_control_build(b, sizeof(b), FW_FSTRM_START, NULL);
	ck_assert(fw_dnstap_is_fstrm(b, n));
	n = fw_dnstap_control_build(b, sizeof(b), FW_FSTRM_READY, FW_DNSTAP_CONTENT_TYPE);
	ck_assert(!fw_dnstap_is_fstrm(b, n));          /* a file starts with START */
}
END_TEST

/* Control frames as Frame Streams writes them (bytes from the spec). */
START_TEST(test_dnstap_control_build_parse)
{
	static const uint8_t want[] = {
		0, 0, 0, 0, 0, 0, 0, 0x22, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0x16,
		'p', 'r', 'o', 't', 'o', 'b', 'u', 'f', ':', 'd', 'n', 's', 't', 'a', 'p', '.',
		'D', 'n', 's', 't', 'a', 'p',
	};
	static const uint8_t finish[] = { 0, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0, 5 };
	struct fw_dnstap_control ctl;
	uint8_t b[64];
	size_t n = fw_dnstap_control_build(b, sizeof(b), FW_FSTRM_ACCEPT, FW_DNSTAP_CONTENT_TYPE);

	ck_assert_uint_eq(n, sizeof(want));
	ck_assert_mem_eq(b, want, n);
	ck_assert_int_eq(fw_dnstap_control_parse(b + 8, n - 8, &ctl), FW_OK);
	ck_assert_uint_eq(ctl.type, FW_FSTRM_ACCEPT);
	ck_assert_uint_eq(ctl.n_ctypes, 1);
	ck_assert(ctl.has_dnstap);
	n = fw_dnstap_control_build(b, sizeof(b), FW_FSTRM_FINISH, NULL);
	ck_assert_uint_eq(n, sizeof(finish));
	ck_assert_mem_eq(b, finish, n);
	ck_assert_uint_eq(fw_dnstap_control_build(b, 41, FW_FSTRM_ACCEPT, FW_DNSTAP_CONTENT_TYPE), 0);
}
END_TEST

/* Hand-built frames: IPv6 over TCP, times, rcodes, who is client. */
START_TEST(test_dnstap_decode_built_frames)
{
	struct pb m = { .n = 0 }, d;
	uint8_t dns[64];
	size_t dl;
	struct fw_dnsq q;
	char a[64];

	/* CLIENT_QUERY, IPv6, TCP */
	dl = dns_msg(dns, 0, 0);
	pb_uint(&m, 1, 5);
	pb_uint(&m, 2, 2);
	pb_uint(&m, 3, 2);
	pb_bytes(&m, 4, V6_C, 16);
	pb_bytes(&m, 5, V6_S, 16);
	pb_uint(&m, 6, 40000);
	pb_uint(&m, 7, 53);
	pb_uint(&m, 8, 1700000000);
	pb_fixed32(&m, 9, 123999999);
	pb_bytes(&m, 10, dns, dl);
	pb_dnstap(&d, &m);
	ck_assert_int_eq(decode_copy(d.b, d.n, &q), 1);
	ck_assert_str_eq(q.qname, "www.example.com");
	ck_assert_uint_eq(q.qtype, 1);
	ck_assert_uint_eq(q.rcode, FW_RCODE_NONE);
	ck_assert_uint_eq(q.flags, FW_DNSQ_F_TCP);
	ck_assert_int_eq(q.time_ms, 1700000000123LL);
	fw_addr_format(&q.client, a, sizeof(a));
	ck_assert_str_eq(a, "2001:db8::1");
	fw_addr_format(&q.server, a, sizeof(a));
	ck_assert_str_eq(a, "2001:db8::5353");

	/* RESOLVER_RESPONSE, IPv4, UDP, SERVFAIL, no response time: query time. */
	m.n = 0;
	dl = dns_msg(dns, 1, 2);
	pb_uint(&m, 1, 4);
	pb_uint(&m, 3, 1);
	pb_bytes(&m, 4, V4_C, 4);
	pb_bytes(&m, 5, V4_S, 4);
	pb_uint(&m, 8, 1700000001);
	pb_bytes(&m, 14, dns, dl);
	pb_dnstap(&d, &m);
	ck_assert_int_eq(decode_copy(d.b, d.n, &q), 1);
	ck_assert_uint_eq(q.rcode, 2);
	/* The resolver asked on its clients' behalf: no client identity. */
	ck_assert_uint_eq(q.flags, FW_DNSQ_F_RESPONSE | FW_DNSQ_F_RELAYED);
	ck_assert_int_eq(q.time_ms, 1700000001000LL);
	fw_addr_format(&q.client, a, sizeof(a));
	ck_assert_str_eq(a, "192.0.2.7");
	fw_addr_format(&q.server, a, sizeof(a));
	ck_assert_str_eq(a, "198.51.100.53");

	/* AUTH_RESPONSE with its own time; the query message is ignored. */
	m.n = 0;
	pb_uint(&m, 1, 2);
	pb_bytes(&m, 4, V4_C, 4);
	pb_uint(&m, 8, 1700000001);
	pb_bytes(&m, 10, "junk", 4);
	pb_uint(&m, 12, 1700000002);
	pb_fixed32(&m, 13, 5000000);
	pb_bytes(&m, 14, dns, dl);
	pb_uint(&m, 16, 2);                /* http_protocol: not in our .proto */
	pb_dnstap(&d, &m);
	ck_assert_int_eq(decode_copy(d.b, d.n, &q), 1);
	ck_assert_int_eq(q.time_ms, 1700000002005LL);
	fw_addr_format(&q.server, a, sizeof(a));
	ck_assert_str_eq(a, "::");         /* absent address */

	/* A response frame whose message lacks QR is still a response. */
	m.n = 0;
	dl = dns_msg(dns, 0, 0);
	pb_uint(&m, 1, 6);
	pb_bytes(&m, 14, dns, dl);
	pb_dnstap(&d, &m);
	ck_assert_int_eq(decode_copy(d.b, d.n, &q), 1);
	ck_assert_uint_eq(q.flags & FW_DNSQ_F_RESPONSE, FW_DNSQ_F_RESPONSE);
	ck_assert_uint_eq(q.rcode, 0);
	ck_assert_int_eq(q.time_ms, 0);   /* no time at all: caller's to fill */
}
END_TEST

/* Frames that are fine but give no record, and their counters. */
START_TEST(test_dnstap_decode_skipped)
{
	struct fw_dnstap_stats st = { 0 };
	struct pb m = { .n = 0 }, d;
	uint8_t dns[64];
	size_t dl = dns_msg(dns, 0, 0);
	struct fw_dnsq q;

	pb_uint(&m, 1, 9);                 /* STUB_QUERY */
	pb_bytes(&m, 10, dns, dl);
	pb_dnstap(&d, &m);
	ck_assert_int_eq(fw_dnstap_decode_st(d.b, d.n, &q, &st), 0);
	m.n = 0;
	pb_uint(&m, 1, 13);                /* UPDATE_QUERY */
	pb_bytes(&m, 10, dns, dl);
	pb_dnstap(&d, &m);
	ck_assert_int_eq(fw_dnstap_decode_st(d.b, d.n, &q, &st), 0);
	m.n = 0;
	pb_uint(&m, 1, 5);                 /* CLIENT_QUERY without query_message */
	pb_bytes(&m, 4, V4_C, 4);
	pb_dnstap(&d, &m);
	ck_assert_int_eq(fw_dnstap_decode_st(d.b, d.n, &q, &st), 0);
	d.n = 0;                           /* Dnstap type 2 (not MESSAGE) */
	pb_uint(&d, 15, 2);
	ck_assert_int_eq(fw_dnstap_decode_st(d.b, d.n, &q, &st), 0);
	ck_assert_uint_eq(st.frames, 4);
	ck_assert_uint_eq(st.skipped, 3);
	ck_assert_uint_eq(st.no_message, 1);
	ck_assert_uint_eq(st.records, 0);
}
END_TEST

/* The file as one byte stream, cut into uneven reads, through the state machine. */
START_TEST(test_dnstap_stream_whole_file)
{
	struct frames *fr = file_frames();
	struct fw_dnstap_stream s;
	uint8_t *buf = malloc(FW_DNSTAP_FRAME_MAX + 4);
	size_t fill = 0, pos = 0, ndata = 0, nctl = 0, nend = 0, chunk = 1;

	fw_dnstap_stream_init(&s, FW_DNSTAP_FRAME_MAX);
	while (pos < fr->file_len || fill > 0) {
		size_t take = fr->file_len - pos < chunk ? fr->file_len - pos : chunk;
		size_t off = 0, used, flen;
		const uint8_t *frame;
		int ev;

		if (take > FW_DNSTAP_FRAME_MAX + 4 - fill)
			take = FW_DNSTAP_FRAME_MAX + 4 - fill;
		memcpy(buf + fill, fr->file + pos, take);
		fill += take;
		pos += take;
		chunk = chunk * 7 % 1999 + 1;  /* 1 .. 1999 bytes per "read" */
		for (;;) {
			ev = fw_dnstap_stream_next(&s, buf + off, fill - off, &used, &frame, &flen);
			off += used;
			ck_assert_int_ge(ev, 0);
			if (ev == FW_DNSTAP_EV_MORE)
				break;
			if (ev == FW_DNSTAP_EV_DATA) {
				ck_assert_uint_lt(ndata, fr->n);
				ck_assert_uint_eq(flen, fr->len[ndata]);
				ck_assert_mem_eq(frame, fr->p[ndata], flen);
				ndata++;
			} else if (ev == FW_DNSTAP_EV_CONTROL) {
				nctl++;
			} else {
				ck_assert_int_eq(ev, FW_DNSTAP_EV_END);  /* no READY: no FINISH */
				nend++;
			}
		}
		memmove(buf, buf + off, fill - off);
		fill -= off;
		if (pos == fr->file_len && off == 0)
			break;
	}
	ck_assert_uint_eq(ndata, NREC);
	ck_assert_uint_eq(nctl, 1);
	ck_assert_uint_eq(nend, 1);
	ck_assert_uint_eq(fill, 0);
	free(buf);
	frames_free(fr);
}
END_TEST

/* Feed one whole stream to the state machine; returns the events in order. */
static size_t
run_stream(struct fw_dnstap_stream *s, const uint8_t *b, size_t n, int *evs, size_t max)
{
	size_t off = 0, k = 0, used, flen;
	const uint8_t *frame;

	while (k < max) {
		int ev = fw_dnstap_stream_next(s, b + off, n - off, &used, &frame, &flen);

		off += used;
		evs[k++] = ev;
		if (ev <= 0)
			break;
	}
	return k;
}

START_TEST(test_dnstap_stream_handshake)
{
	uint8_t b[512];
	size_t n = 0, k;
	int evs[16];
	struct fw_dnstap_stream s;

	/* READY offering two types, START, one 3-byte data frame, STOP. */
	b[n++] = 0; b[n++] = 0; b[n++] = 0; b[n++] = 0;
	b[n++] = 0; b[n++] = 0; b[n++] = 0; b[n++] = 4 + 8 + 3 + 8 + 22;
	b[n++] = 0; b[n++] = 0; b[n++] = 0; b[n++] = FW_FSTRM_READY;
	memcpy(b + n, "\0\0\0\1\0\0\0\3abc", 11);
	n += 11;
	memcpy(b + n, "\0\0\0\1\0\0\0\x16" FW_DNSTAP_CONTENT_TYPE, 30);
	n += 30;
	n += fw_dnstap_control_build(b + n, sizeof(b) - n, FW_FSTRM_START, FW_DNSTAP_CONTENT_TYPE);
	memcpy(b + n, "\0\0\0\3xyz", 7);
	n += 7;
	n += fw_dnstap_control_build(b + n, sizeof(b) - n, FW_FSTRM_STOP, NULL);
	fw_dnstap_stream_init(&s, 1000);
	k = run_stream(&s, b, n, evs, 16);
	ck_assert_uint_eq(k, 5);
	ck_assert_int_eq(evs[0], FW_DNSTAP_EV_ACCEPT);
	ck_assert_int_eq(evs[1], FW_DNSTAP_EV_CONTROL);
	ck_assert_int_eq(evs[2], FW_DNSTAP_EV_DATA);
	ck_assert_int_eq(evs[3], FW_DNSTAP_EV_FINISH);
	ck_assert_int_eq(evs[4], FW_DNSTAP_EV_MORE);
}
END_TEST

/* ---- truncated ----------------------------------------------------------- */

/* Every prefix of the first 8 frames (4 queries, 4 responses): never a crash. */
START_TEST(test_dnstap_truncated_prefixes)
{
	struct frames *fr = file_frames();
	struct fw_dnsq q;
	size_t f = (size_t)_i;

	for (size_t cut = 0; cut < fr->len[f]; cut++) {
		int rc = decode_copy(fr->p[f], cut, &q);

		ck_assert_msg(rc == FW_ETRUNC || rc == FW_EMALFORMED || rc == 0 || rc == 1,
		    "frame %zu cut %zu: %d", f, cut, rc);
	}
	ck_assert_int_eq(decode_copy(fr->p[f], fr->len[f], &q), 1);
	ck_assert_int_eq(decode_copy(fr->p[f], 0, &q), FW_ETRUNC);
	frames_free(fr);
}
END_TEST

/* The file cut short: records before the cut, then FW_ETRUNC. */
START_TEST(test_dnstap_truncated_file)
{
	static struct collect c;
	static const size_t cuts[] = { 12, 42, 5000, 400001, 886877 };
	char path[] = "/tmp/check_dnstap_XXXXXX";
	size_t len;
	uint8_t *f = slurp(FILE_DNSTAP, &len);
	int fd = mkstemp(path);

	ck_assert_int_ge(fd, 0);
	ck_assert_uint_eq(len, 886881);
	for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
		struct fw_dnstap_stats st = { 0 };

		ck_assert_int_eq(ftruncate(fd, 0), 0);
		ck_assert_int_eq(pwrite(fd, f, cuts[i], 0), (ssize_t)cuts[i]);
		c.n = 0;
		ck_assert_int_eq(fw_dnstap_file_read(path, collect_cb, &c, &st), FW_ETRUNC);
		if (cuts[i] == len - 4)        /* cut inside STOP: every data frame whole */
			ck_assert_uint_eq(c.n, NREC);
		else
			ck_assert_uint_lt(c.n, NREC);
		ck_assert_uint_eq(st.records, c.n);
	}
	close(fd);
	unlink(path);
	free(f);
}
END_TEST

/* ---- malformed ----------------------------------------------------------- */

/* Random byte flips in real frames (fixed seed): any outcome but a crash. */
START_TEST(test_dnstap_malformed_mutations)
{
	struct frames *fr = file_frames();
	uint32_t rnd = 12345;
	struct fw_dnsq q;
	uint8_t tmp[1024];

	for (int k = 0; k < 20000; k++) {
		size_t f = (size_t)k % 200, len = fr->len[f];
		int flips, rc;

		ck_assert_uint_le(len, sizeof(tmp));
		memcpy(tmp, fr->p[f], len);
		rnd = rnd * 1103515245u + 12345u;
		flips = 1 + (int)(rnd >> 28) % 4;
		for (int j = 0; j < flips; j++) {
			rnd = rnd * 1103515245u + 12345u;
			tmp[(rnd >> 8) % len] ^= (uint8_t)(1u << (rnd >> 29));
		}
		rc = decode_copy(tmp, len, &q);
		ck_assert(rc == FW_ETRUNC || rc == FW_EMALFORMED || rc == 0 || rc == 1);
		if (rc == 1)
			ck_assert_uint_eq(strlen(q.qname), q.qname_len);
	}
	frames_free(fr);
}
END_TEST

START_TEST(test_dnstap_malformed_fields)
{
	struct pb m = { .n = 0 }, d;
	uint8_t dns[64];
	size_t dl = dns_msg(dns, 0, 0);
	struct fw_dnsq q;

	pb_uint(&m, 1, 5);                 /* 5-byte address */
	pb_bytes(&m, 4, "\1\2\3\4\5", 5);
	pb_bytes(&m, 10, dns, dl);
	pb_dnstap(&d, &m);
	ck_assert_int_eq(decode_copy(d.b, d.n, &q), FW_EMALFORMED);
	m.n = 0;                           /* nanoseconds out of range */
	pb_uint(&m, 1, 5);
	pb_uint(&m, 8, 1);
	pb_fixed32(&m, 9, 1000000000);
	pb_bytes(&m, 10, dns, dl);
	pb_dnstap(&d, &m);
	ck_assert_int_eq(decode_copy(d.b, d.n, &q), FW_EMALFORMED);
	m.n = 0;                           /* seconds that overflow ms */
	pb_uint(&m, 1, 5);
	pb_uint(&m, 8, UINT64_MAX / 2);
	pb_bytes(&m, 10, dns, dl);
	pb_dnstap(&d, &m);
	ck_assert_int_eq(decode_copy(d.b, d.n, &q), FW_EMALFORMED);
	m.n = 0;                           /* DNS message cut inside the question */
	pb_uint(&m, 1, 5);
	pb_bytes(&m, 10, dns, 20);
	pb_dnstap(&d, &m);
	ck_assert_int_eq(decode_copy(d.b, d.n, &q), FW_ETRUNC);
	m.n = 0;                           /* Message without its required type */
	pb_bytes(&m, 10, dns, dl);
	pb_dnstap(&d, &m);
	ck_assert_int_eq(decode_copy(d.b, d.n, &q), FW_EMALFORMED);
	d.n = 0;                           /* Dnstap without its required type */
	pb_bytes(&d, 1, "x", 1);
	ck_assert_int_eq(decode_copy(d.b, d.n, &q), FW_EMALFORMED);
	ck_assert_int_eq(decode_copy((const uint8_t *)"\xff\xff\xff", 3, &q), FW_EMALFORMED);
}
END_TEST

static int
one_event(const uint8_t *b, size_t n, int state_data)
{
	struct fw_dnstap_stream s;
	size_t used, flen;
	const uint8_t *frame;
	uint8_t start[64];
	size_t sn;

	fw_dnstap_stream_init(&s, 1000);
	if (state_data) {
		sn = fw_dnstap_control_build(start, sizeof(start), FW_FSTRM_START, NULL);
		ck_assert_int_eq(fw_dnstap_stream_next(&s, start, sn, &used, &frame, &flen),
		    FW_DNSTAP_EV_CONTROL);
	}
	return fw_dnstap_stream_next(&s, b, n, &used, &frame, &flen);
}

START_TEST(test_dnstap_malformed_control)
{
	uint8_t b[600];
	size_t n;

	/* control length 3 (no room for a type) */
	ck_assert_int_eq(one_event((const uint8_t *)"\0\0\0\0\0\0\0\3\0\0\0", 11, 0), FW_EMALFORMED);
	/* unknown control type 6 */
	ck_assert_int_eq(one_event((const uint8_t *)"\0\0\0\0\0\0\0\4\0\0\0\6", 12, 0), FW_EMALFORMED);
	/* unknown field type 2 */
	ck_assert_int_eq(one_event((const uint8_t *)"\0\0\0\0\0\0\0\x0c\0\0\0\2\0\0\0\2\0\0\0\0",
	    20, 0), FW_EMALFORMED);
	/* field length past the control frame */
	ck_assert_int_eq(one_event((const uint8_t *)"\0\0\0\0\0\0\0\x0c\0\0\0\2\0\0\0\1\0\0\0\5xx",
	    22, 0), FW_EMALFORMED);
	/* START naming another content type */
	n = fw_dnstap_control_build(b, sizeof(b), FW_FSTRM_START, "protobuf:other");
	ck_assert_int_eq(one_event(b, n, 0), FW_EUNSUPPORTED);
	n = fw_dnstap_control_build(b, sizeof(b), FW_FSTRM_READY, "protobuf:other");
	ck_assert_int_eq(one_event(b, n, 0), FW_EUNSUPPORTED);
	/* the receiver's frames coming from a sender */
	n = fw_dnstap_control_build(b, sizeof(b), FW_FSTRM_ACCEPT, NULL);
	ck_assert_int_eq(one_event(b, n, 0), FW_EMALFORMED);
	n = fw_dnstap_control_build(b, sizeof(b), FW_FSTRM_FINISH, NULL);
	ck_assert_int_eq(one_event(b, n, 1), FW_EMALFORMED);
	/* STOP before START, START twice, data before START */
	n = fw_dnstap_control_build(b, sizeof(b), FW_FSTRM_STOP, NULL);
	ck_assert_int_eq(one_event(b, n, 0), FW_EMALFORMED);
	n = fw_dnstap_control_build(b, sizeof(b), FW_FSTRM_START, NULL);
	ck_assert_int_eq(one_event(b, n, 1), FW_EMALFORMED);
	ck_assert_int_eq(one_event((const uint8_t *)"\0\0\0\1x", 5, 0), FW_EMALFORMED);
	/* STOP carrying a content type */
	n = fw_dnstap_control_build(b, sizeof(b), FW_FSTRM_STOP, FW_DNSTAP_CONTENT_TYPE);
	ck_assert_int_eq(one_event(b, n, 1), FW_EMALFORMED);
}
END_TEST

START_TEST(test_dnstap_malformed_files)
{
	struct fw_dnstap_stats st = { 0 };
	char path[] = "/tmp/check_dnstap_XXXXXX";
	uint8_t b[64];
	size_t n = fw_dnstap_control_build(b, sizeof(b), FW_FSTRM_START, "protobuf:x");
	int fd = mkstemp(path);

	ck_assert_int_eq(fw_dnstap_file_read("/nonexistent/x.fstrm", collect_cb, NULL, &st),
	    FW_ENOENT);
	ck_assert_int_eq(fw_dnstap_file_read(DATA "dns_udp.pcap", collect_cb, NULL, &st),
	    FW_EMALFORMED);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, b, n), (ssize_t)n);
	ck_assert_int_eq(fw_dnstap_file_read(path, collect_cb, NULL, &st), FW_EMALFORMED);
	close(fd);
	unlink(path);
	ck_assert_uint_eq(st.frames, 0);
}
END_TEST

/*
 * The fuzz corpora as regression inputs (fuzzcheck-style), so a plain
 * `make unit-asan` replays every input the fuzzers ever kept: frames go to
 * the decoder, streams to the state machine, in one read.
 */
START_TEST(test_dnstap_malformed_fuzz_corpora)
{
	static const char *const dirs[] = { "tests/fuzz/corpus/dnstap", "tests/fuzz/corpus/fstrm" };
	size_t seen = 0;

	for (int d = 0; d < 2; d++) {
		DIR *dir = opendir(dirs[d]);
		struct dirent *e;

		ck_assert_msg(dir != NULL, "%s", dirs[d]);
		while ((e = readdir(dir)) != NULL) {
			char path[512];
			uint8_t *b;
			size_t len;
			struct fw_dnsq q;

			if (e->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "%s/%s", dirs[d], e->d_name);
			b = slurp(path, &len);
			if (d == 0) {
				int rc = decode_copy(b, len, &q);
				ck_assert(rc == 1 || rc == 0 || rc == FW_ETRUNC || rc == FW_EMALFORMED);
			} else {
				struct fw_dnstap_stream s;
				size_t off = 0, used, flen;
				const uint8_t *frame;
				int ev;

				fw_dnstap_stream_init(&s, 256);
				do {
					ev = fw_dnstap_stream_next(&s, b + off, len - off, &used, &frame, &flen);
					ck_assert_uint_le(used, len - off);
					off += used;
					if (ev == FW_DNSTAP_EV_DATA)
						(void)decode_copy(frame, flen, &q);
				} while (ev > 0 && ev != FW_DNSTAP_EV_FINISH && ev != FW_DNSTAP_EV_END);
			}
			free(b);
			seen++;
		}
		closedir(dir);
	}
	ck_assert_uint_ge(seen, 20);
}
END_TEST

/* ---- limits -------------------------------------------------------------- */

/*
 * frame_max exactly is whole, one more is skipped, even across reads: the
 * stream arrives in two reads split at `split` (inside the oversize frame's
 * length, its body, the next frame, STOP).
 */
static void
oversize_split(size_t split)
{
	static uint8_t b[2048];
	struct fw_dnstap_stream s;
	size_t n = 0, off = 0, used, flen;
	const uint8_t *frame;
	int ev, got_over = 0, got_data = 0;

	n += fw_dnstap_control_build(b, sizeof(b), FW_FSTRM_START, NULL);
	memcpy(b + n, "\0\0\0\x65", 4);    /* 101 bytes: over a max of 100 */
	memset(b + n + 4, 'O', 101);
	n += 105;
	memcpy(b + n, "\0\0\0\x64", 4);    /* 100 bytes: exactly the max */
	memset(b + n + 4, 'D', 100);
	n += 104;
	n += fw_dnstap_control_build(b + n, sizeof(b) - n, FW_FSTRM_STOP, NULL);
	fw_dnstap_stream_init(&s, 100);
	/* First "read" ends at split, then the rest. */
	for (size_t end = split; ; end = n) {
		for (;;) {
			ev = fw_dnstap_stream_next(&s, b + off, end - off, &used, &frame, &flen);
			off += used;
			ck_assert_int_ge(ev, 0);
			if (ev == FW_DNSTAP_EV_MORE)
				break;
			if (ev == FW_DNSTAP_EV_OVERSIZE)
				got_over++;
			if (ev == FW_DNSTAP_EV_DATA) {
				ck_assert_uint_eq(flen, 100);
				ck_assert_int_eq(frame[0], 'D');
				ck_assert_int_eq(frame[99], 'D');
				got_data++;
			}
			if (ev == FW_DNSTAP_EV_END)
				break;
		}
		if (end == n)
			break;
	}
	ck_assert_msg(got_over == 1 && got_data == 1, "split %zu", split);
	ck_assert_int_eq(ev, FW_DNSTAP_EV_END);
	ck_assert_uint_eq(off, n);
}

START_TEST(test_dnstap_limits_oversize)
{
	for (size_t split = 0; split <= 233; split++)
		oversize_split(split);
}
END_TEST

START_TEST(test_dnstap_limits_control)
{
	uint8_t b[FW_DNSTAP_CONTROL_MAX + 64];
	char ct[FW_DNSTAP_CTYPE_MAX + 2];
	struct fw_dnstap_control ctl;

	memset(ct, 'a', sizeof(ct));
	ct[FW_DNSTAP_CTYPE_MAX] = '\0';    /* 256: allowed */
	ck_assert_uint_gt(fw_dnstap_control_build(b, sizeof(b), FW_FSTRM_READY, ct), 0);
	ck_assert_int_eq(fw_dnstap_control_parse(b + 8, 4 + 8 + FW_DNSTAP_CTYPE_MAX, &ctl), FW_OK);
	ck_assert(!ctl.has_dnstap);
	ct[FW_DNSTAP_CTYPE_MAX] = 'a';     /* 257: refused */
	ct[FW_DNSTAP_CTYPE_MAX + 1] = '\0';
	ck_assert_uint_eq(fw_dnstap_control_build(b, sizeof(b), FW_FSTRM_READY, ct), 0);
	/* A READY of exactly FW_DNSTAP_CONTROL_MAX bytes: 4 + 2 * (8 + 246). */
	memset(b, 0, sizeof(b));
	b[3] = FW_FSTRM_READY;
	for (int k = 0; k < 2; k++) {
		uint8_t *f = b + 4 + k * 254;
		f[3] = 1;
		f[6] = 0;
		f[7] = 246;
		memset(f + 8, 'z', 246);
	}
	ck_assert_int_eq(fw_dnstap_control_parse(b, FW_DNSTAP_CONTROL_MAX, &ctl), FW_OK);
	ck_assert_uint_eq(ctl.n_ctypes, 2);
	ck_assert_int_eq(fw_dnstap_control_parse(b, FW_DNSTAP_CONTROL_MAX + 1, &ctl), FW_EMALFORMED);
	/* The stream refuses a control length over the max before reading it. */
	ck_assert_int_eq(one_event((const uint8_t *)"\0\0\0\0\0\0\x02\x01", 8, 0), FW_EMALFORMED);
}
END_TEST

/*
 * The largest honest frame: a 64 KiB response plus a 64 KiB query in one
 * frame decodes (the arena covers it); a frame of tiny unknown fields
 * filling FW_DNSTAP_FRAME_MAX fails cleanly or decodes, never crashes.
 */
START_TEST(test_dnstap_limits_big_frames)
{
	size_t cap = FW_DNSTAP_FRAME_MAX + 64, n = 0, dl;
	uint8_t *f = malloc(cap), *dns = malloc(65535);
	struct fw_dnsq q;
	uint8_t hdr[32];
	struct pb m = { .n = 0 };

	/* DNS response: question, then one TXT-ish padding RR filling 65535. */
	dl = dns_msg(dns, 1, 3);
	dns[11] = 1;                        /* arcount 1 */
	{
		size_t rdlen = 65535 - dl - 11;
		uint8_t rr[11] = { 0, 0, 16, 0, 1, 0, 0, 0, 0, (uint8_t)(rdlen >> 8), (uint8_t)rdlen };

		memcpy(dns + dl, rr, 11);
		memset(dns + dl + 11, 'x', rdlen);
		dl = 65535;
	}
	/* Message: type AR, query_message and response_message of 64 KiB each. */
	pb_uint(&m, 1, 2);
	memcpy(f + 16, m.b, m.n);          /* assemble by hand: pb buffer is small */
	n = m.n;
	for (int k = 0; k < 2; k++) {
		struct pb h = { .n = 0 };

		pb_key(&h, k == 0 ? 10 : 14, 2);
		pb_varint(&h, dl);
		memcpy(f + 16 + n, h.b, h.n);
		memcpy(f + 16 + n + h.n, dns, dl);
		n += h.n + dl;
	}
	{   /* Dnstap{message = f[16..16+n), type = MESSAGE} */
		struct pb h = { .n = 0 };
		pb_key(&h, 14, 2);
		pb_varint(&h, n);
		memcpy(hdr, h.b, h.n);
		memmove(f + h.n, f + 16, n);
		memcpy(f, hdr, h.n);
		n += h.n;
		f[n++] = 15 << 3;
		f[n++] = 1;
	}
	ck_assert_uint_le(n, FW_DNSTAP_FRAME_MAX);
	ck_assert_int_eq(decode_copy(f, n, &q), 1);
	ck_assert_uint_eq(q.rcode, 3);
	ck_assert_str_eq(q.qname, "www.example.com");

	/* Hostile: tens of thousands of 2-byte unknown varint fields. */
	n = 0;
	while (n + 2 <= FW_DNSTAP_FRAME_MAX) {
		f[n++] = 5 << 3;               /* field 5 (unknown to Dnstap), varint */
		f[n++] = 1;
	}
	{
		int rc = decode_copy(f, n, &q);
		ck_assert(rc == FW_EMALFORMED || rc == 0);
	}
	free(dns);
	free(f);
}
END_TEST

/* ---- live ---------------------------------------------------------------- */

static char sockdir[64];
static char sockpath[96];

static void
live_setup(void)
{
	snprintf(sockdir, sizeof(sockdir), "/tmp/check_dnstap_XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(sockdir));
	snprintf(sockpath, sizeof(sockpath), "%s/dnstap.sock", sockdir);
}

static void
live_teardown(void)
{
	unlink(sockpath);
	rmdir(sockdir);
}

static pid_t
spawn_replay(const char *file)
{
	pid_t pid = fork();

	if (pid == 0) {
		execlp("fstrm_replay", "fstrm_replay", "-t", FW_DNSTAP_CONTENT_TYPE, "-r", file,
		    "-u", sockpath, (char *)NULL);
		_exit(127);
	}
	return pid;
}

/* Pop records until want arrived or 20 s passed; returns how many. */
static size_t
drain(struct fw_ring *ring, struct fw_dnsq *q, size_t want)
{
	size_t got = 0;
	struct timespec t0, t;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		got += fw_ring_sc_pop_burst(ring, q + got, want + 16 - got);
		clock_gettime(CLOCK_MONOTONIC, &t);
		if (got >= want || t.tv_sec - t0.tv_sec > 20)
			break;
		usleep(1000);
	}
	usleep(100000);                    /* anything extra would show now */
	got += fw_ring_sc_pop_burst(ring, q + got, want + 16 - got);
	return got;
}

START_TEST(test_dnstap_live_fstrm_replay)
{
	static struct fw_dnsq q[2 * NREC + 16];
	struct fw_dnstap_listener *l = NULL;
	struct fw_dnstap_stats st;
	struct fw_ring *ring = NULL;
	size_t got, nq, nr, nx;
	pid_t pid;
	int status;

	ck_assert_msg(access("/usr/bin/fstrm_replay", X_OK) == 0,
	    "fstrm_replay missing: apt-get install fstrm-bin");
	ck_assert_int_eq(fw_ring_new(16384, sizeof(struct fw_dnsq), &ring), FW_OK);
	ck_assert_int_eq(fw_dnstap_listener_open(sockpath, 0600, ring, &l), FW_OK);
	ck_assert_int_eq(fw_dnstap_listener_start(l), FW_OK);
	pid = spawn_replay(FILE_DNSTAP);
	ck_assert_int_gt(pid, 0);
	got = drain(ring, q, NREC);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "fstrm_replay status %d",
	    status);
	ck_assert_uint_eq(got, NREC);       /* every record once, none twice */
	ck_assert_uint_eq(compare_expected(q, got, &nq, &nr, &nx), NREC);
	/* Give the thread a moment to see STOP and publish. */
	for (int k = 0; k < 100; k++) {
		fw_dnstap_listener_stats(l, &st);
		if (st.conns_active == 0)
			break;
		usleep(10000);
	}
	ck_assert_uint_eq(st.frames, NREC);
	ck_assert_uint_eq(st.records, NREC);
	ck_assert_uint_eq(st.conns, 1);
	ck_assert_uint_eq(st.conns_active, 0);
	ck_assert_uint_eq(st.bad_control + st.conn_errors + st.ring_drops, 0);
	fw_dnstap_listener_close(l);
	ck_assert_int_eq(access(sockpath, F_OK), -1);   /* unlinked */
	fw_ring_free(ring);
}
END_TEST

/* Three writers at once: all 18000 records arrive, each file's in order. */
START_TEST(test_dnstap_live_several_clients)
{
	static struct fw_dnsq q[3 * NREC + 16];
	struct fw_dnstap_listener *l = NULL;
	struct fw_dnstap_stats st;
	struct fw_ring *ring = NULL;
	pid_t pid[3];
	size_t got, resp = 0;

	ck_assert_int_eq(fw_ring_new(32768, sizeof(struct fw_dnsq), &ring), FW_OK);
	ck_assert_int_eq(fw_dnstap_listener_open(sockpath, 0600, ring, &l), FW_OK);
	ck_assert_int_eq(fw_dnstap_listener_start(l), FW_OK);
	for (int k = 0; k < 3; k++)
		pid[k] = spawn_replay(FILE_DNSTAP);
	got = drain(ring, q, 3 * NREC);
	for (int k = 0; k < 3; k++) {
		int status;
		ck_assert_int_eq(waitpid(pid[k], &status, 0), pid[k]);
		ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	ck_assert_uint_eq(got, 3 * NREC);
	for (size_t i = 0; i < got; i++)
		resp += (q[i].flags & FW_DNSQ_F_RESPONSE) != 0;
	ck_assert_uint_eq(resp, 3 * 3000);
	fw_dnstap_listener_stats(l, &st);
	ck_assert_uint_eq(st.conns, 3);
	fw_dnstap_listener_close(l);
	fw_ring_free(ring);
}
END_TEST

static int
connect_sock(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sockpath);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

static size_t
read_some(int fd, uint8_t *b, size_t cap)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	ssize_t n;

	ck_assert_int_eq(poll(&p, 1, 5000), 1);
	n = read(fd, b, cap);
	return n < 0 ? 0 : (size_t)n;
}

/* A hand-driven client: the exact ACCEPT and FINISH bytes; a rude client. */
START_TEST(test_dnstap_live_handshake_bytes)
{
	struct fw_dnstap_listener *l = NULL;
	struct fw_ring *ring = NULL;
	struct fw_dnstap_stats st;
	struct frames *fr = file_frames();
	uint8_t b[256], want[64];
	struct fw_dnsq q[32];
	size_t n, wn;
	uint8_t lenb[4];
	int fd, fd2;

	ck_assert_int_eq(fw_ring_new(64, sizeof(struct fw_dnsq), &ring), FW_OK);
	ck_assert_int_eq(fw_dnstap_listener_open(sockpath, 0600, ring, &l), FW_OK);
	ck_assert_int_eq(fw_dnstap_listener_start(l), FW_OK);
	fd = connect_sock();
	n = fw_dnstap_control_build(b, sizeof(b), FW_FSTRM_READY, FW_DNSTAP_CONTENT_TYPE);
	ck_assert_int_eq(write(fd, b, n), (ssize_t)n);
	wn = fw_dnstap_control_build(want, sizeof(want), FW_FSTRM_ACCEPT, FW_DNSTAP_CONTENT_TYPE);
	ck_assert_uint_eq(read_some(fd, b, sizeof(b)), wn);
	ck_assert_mem_eq(b, want, wn);
	n = fw_dnstap_control_build(b, sizeof(b), FW_FSTRM_START, FW_DNSTAP_CONTENT_TYPE);
	ck_assert_int_eq(write(fd, b, n), (ssize_t)n);
	/* Frame 1 written in two pieces, the length split too. */
	lenb[0] = 0; lenb[1] = 0; lenb[2] = (uint8_t)(fr->len[1] >> 8); lenb[3] = (uint8_t)fr->len[1];
	ck_assert_int_eq(write(fd, lenb, 2), 2);
	usleep(20000);
	ck_assert_int_eq(write(fd, lenb + 2, 2), 2);
	ck_assert_int_eq(write(fd, fr->p[1], 10), 10);
	usleep(20000);
	ck_assert_int_eq(write(fd, fr->p[1] + 10, fr->len[1] - 10), (ssize_t)(fr->len[1] - 10));
	n = fw_dnstap_control_build(b, sizeof(b), FW_FSTRM_STOP, NULL);
	ck_assert_int_eq(write(fd, b, n), (ssize_t)n);
	wn = fw_dnstap_control_build(want, sizeof(want), FW_FSTRM_FINISH, NULL);
	ck_assert_uint_eq(read_some(fd, b, sizeof(b)), wn);
	ck_assert_mem_eq(b, want, wn);
	ck_assert_uint_eq(read_some(fd, b, sizeof(b)), 0);   /* then the listener closes */
	close(fd);
	ck_assert_uint_eq(drain(ring, q, 1), 1);
	ck_assert_uint_eq(q[0].flags, FW_DNSQ_F_RESPONSE);
	ck_assert_str_eq(q[0].qname, "mail.victim.example");

	/* Rude client: garbage control frame; closed and counted, others unaffected. */
	fd2 = connect_sock();
	ck_assert_int_eq(write(fd2, "\0\0\0\0\0\0\0\4\0\0\0\x09", 12), 12);
	ck_assert_uint_eq(read_some(fd2, b, sizeof(b)), 0);
	close(fd2);
	for (int k = 0; k < 100; k++) {    /* counters are published after the close */
		fw_dnstap_listener_stats(l, &st);
		if (st.bad_control > 0)
			break;
		usleep(10000);
	}
	ck_assert_uint_eq(st.bad_control, 1);
	ck_assert_uint_eq(st.conns, 2);
	fw_dnstap_listener_close(l);
	fw_ring_free(ring);
	frames_free(fr);
}
END_TEST

/* Bidirectional handshake by hand: READY, read ACCEPT, START. */
static void
handshake(int fd)
{
	uint8_t b[256];
	size_t n = fw_dnstap_control_build(b, sizeof(b), FW_FSTRM_READY, FW_DNSTAP_CONTENT_TYPE);

	ck_assert_int_eq(write(fd, b, n), (ssize_t)n);
	ck_assert_uint_gt(read_some(fd, b, sizeof(b)), 0);     /* ACCEPT */
	n = fw_dnstap_control_build(b, sizeof(b), FW_FSTRM_START, FW_DNSTAP_CONTENT_TYPE);
	ck_assert_int_eq(write(fd, b, n), (ssize_t)n);
}

/* One data frame (frame 1 of the BIND file: a response). */
static void
send_frame(int fd, const struct frames *fr)
{
	uint8_t lenb[4] = { 0, 0, (uint8_t)(fr->len[1] >> 8), (uint8_t)fr->len[1] };

	ck_assert_int_eq(write(fd, lenb, 4), 4);
	ck_assert_int_eq(write(fd, fr->p[1], fr->len[1]), (ssize_t)fr->len[1]);
}

/* The daemon closed fd: EOF within 5 s. */
static int
closed_by_peer(int fd)
{
	uint8_t b[64];
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, 5000) == 1 && read(fd, b, sizeof(b)) == 0;
}

/* Still open: nothing to read within 50 ms. */
static int
still_open(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, 50) == 0;
}

static void
wait_stats(struct fw_dnstap_listener *l, struct fw_dnstap_stats *st, uint64_t conns)
{
	for (int k = 0; k < 500; k++) {
		fw_dnstap_listener_stats(l, st);
		if (st->conns >= conns)
			break;
		usleep(10000);
	}
}

/*
 * Issue 9, item 7: clients that connect and never speak.  A new connection
 * at the cap closes the client still in its handshake that came first (not
 * a streaming server); clients past the handshake timeout are closed; when
 * every client streams, the newcomer is refused and the streams go on.
 */
START_TEST(test_dnstap_live_idle_clients)
{
	struct fw_dnstap_listener *l = NULL;
	struct fw_ring *ring = NULL;
	struct fw_dnstap_stats st;
	struct frames *fr = file_frames();
	struct fw_dnsq q[32];
	int srv, idle1, idle2, late, busy, extra;

	ck_assert_int_eq(fw_ring_new(64, sizeof(struct fw_dnsq), &ring), FW_OK);
	ck_assert_int_eq(fw_dnstap_listener_open(sockpath, 0600, ring, &l), FW_OK);
	ck_assert_int_eq(fw_dnstap_listener_set_limits(l, 0, 300), FW_EINVAL);
	ck_assert_int_eq(fw_dnstap_listener_set_limits(l, FW_DNSTAP_CLIENTS_LIMIT + 1, 300), FW_EINVAL);
	ck_assert_int_eq(fw_dnstap_listener_set_limits(l, 2, 0), FW_EINVAL);
	ck_assert_int_eq(fw_dnstap_listener_set_limits(l, 2, 300), FW_OK);
	ck_assert_int_eq(fw_dnstap_listener_start(l), FW_OK);
	ck_assert_int_eq(fw_dnstap_listener_set_limits(l, 2, 300), FW_EINVAL);  /* running */

	srv = connect_sock();              /* a DNS server: handshake, then data */
	handshake(srv);
	idle1 = connect_sock();            /* says nothing */
	wait_stats(l, &st, 2);
	late = connect_sock();             /* at the cap: idle1 goes, not srv */
	ck_assert(closed_by_peer(idle1));
	send_frame(srv, fr);
	ck_assert_uint_eq(drain(ring, q, 1), 1);
	ck_assert_str_eq(q[0].qname, "mail.victim.example");
	/* late says nothing either: closed 300 ms after it connected. */
	ck_assert(closed_by_peer(late));
	fw_dnstap_listener_stats(l, &st);
	ck_assert_uint_eq(st.conns, 3);
	ck_assert_uint_eq(st.evicted, 1);
	ck_assert_uint_eq(st.handshake_timeouts, 1);
	ck_assert_uint_eq(st.conns_refused, 0);
	ck_assert(still_open(srv));
	/* srv idle for > 300 ms now: a newcomer at the cap may replace it. */
	busy = connect_sock();
	handshake(busy);
	usleep(400000);
	idle2 = connect_sock();
	ck_assert(closed_by_peer(srv));    /* idle longest */
	ck_assert(still_open(busy));
	close(idle2);
	close(srv);
	close(busy);
	frames_free(fr);
	fw_dnstap_listener_close(l);

	/* Long timeout, both clients streaming: a newcomer is refused. */
	fr = file_frames();
	ck_assert_int_eq(fw_dnstap_listener_open(sockpath, 0600, ring, &l), FW_OK);
	ck_assert_int_eq(fw_dnstap_listener_set_limits(l, 1, 60000), FW_OK);
	ck_assert_int_eq(fw_dnstap_listener_start(l), FW_OK);
	srv = connect_sock();
	handshake(srv);
	send_frame(srv, fr);
	ck_assert_uint_eq(drain(ring, q, 1), 1);
	extra = connect_sock();
	ck_assert(closed_by_peer(extra));
	send_frame(srv, fr);               /* the stream goes on */
	ck_assert_uint_eq(drain(ring, q, 1), 1);
	fw_dnstap_listener_stats(l, &st);
	ck_assert_uint_eq(st.conns_refused, 1);
	ck_assert_uint_eq(st.evicted + st.handshake_timeouts, 0);
	ck_assert_uint_eq(st.conns_active, 1);
	close(extra);
	close(srv);
	fw_dnstap_listener_close(l);
	fw_ring_free(ring);
	frames_free(fr);
}
END_TEST

START_TEST(test_dnstap_live_socket_path)
{
	struct fw_dnstap_listener *l = NULL, *l2 = NULL;
	struct fw_ring *ring = NULL;
	struct stat sb;
	int fd;

	ck_assert_int_eq(fw_ring_new(64, sizeof(struct fw_dnsq), &ring), FW_OK);
	/* A regular file is never replaced. */
	fd = open(sockpath, O_CREAT | O_WRONLY, 0600);
	close(fd);
	ck_assert_int_eq(fw_dnstap_listener_open(sockpath, 0600, ring, &l), FW_EINVAL);
	ck_assert_int_eq(stat(sockpath, &sb), 0);
	unlink(sockpath);
	/* Mode is applied whatever the umask. */
	ck_assert_int_eq(fw_dnstap_listener_open(sockpath, 0660, ring, &l), FW_OK);
	ck_assert_int_eq(stat(sockpath, &sb), 0);
	ck_assert(S_ISSOCK(sb.st_mode));
	ck_assert_uint_eq(sb.st_mode & 0777, 0660);
	/* A live socket is not taken over. */
	ck_assert_int_eq(fw_dnstap_listener_open(sockpath, 0600, ring, &l2), FW_EINVAL);
	/* close without start is fine and unlinks */
	fw_dnstap_listener_close(l);
	ck_assert_int_eq(access(sockpath, F_OK), -1);
	/* A stale socket file (nobody listening) is replaced. */
	{
		struct sockaddr_un sa = { .sun_family = AF_UNIX };
		int s = socket(AF_UNIX, SOCK_STREAM, 0);

		snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sockpath);
		ck_assert_int_eq(bind(s, (struct sockaddr *)&sa, sizeof(sa)), 0);
		close(s);
	}
	ck_assert_int_eq(fw_dnstap_listener_open(sockpath, 0600, ring, &l), FW_OK);
	ck_assert_int_eq(fw_dnstap_listener_start(l), FW_OK);
	fw_dnstap_listener_stop(l);
	fw_dnstap_listener_stop(l);        /* twice is fine */
	fw_dnstap_listener_close(l);
	fw_dnstap_listener_close(NULL);
	fw_ring_free(ring);
}
END_TEST

/*
 * A real BIND: named (Debian bind9) on 127.0.0.1 with a temporary config
 * and zone, dnstap { client; auth; } to our socket, dig -f sending NQ
 * queries (NQ - 1 random names that do not exist, and www).  Every query
 * must arrive once as a query and once as a response, with the rcode the
 * zone gives.  named is stopped with SIGTERM, so its STOP/FINISH is used.
 */
#define NQ 300

static void
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

START_TEST(test_dnstap_live_named)
{
	static struct fw_dnsq q[2 * NQ + 16];
	static char seen_q[NQ], seen_r[NQ];
	struct fw_dnstap_listener *l = NULL;
	struct fw_dnstap_stats st;
	struct fw_ring *ring = NULL;
	char path[160], conf[1024], qf[160], port[8];
	unsigned portnum = 20000 + (unsigned)getpid() % 20000;
	pid_t named, dig;
	size_t got;
	FILE *f;
	int status;

	ck_assert_msg(access("/usr/sbin/named", X_OK) == 0 && access("/usr/bin/dig", X_OK) == 0,
	    "named/dig missing: apt-get install bind9 bind9-dnsutils");
	snprintf(port, sizeof(port), "%u", portnum);
	snprintf(path, sizeof(path), "%s/victim.zone", sockdir);
	write_file(path, "$TTL 300\n@ IN SOA ns1 hostmaster 1 3600 600 86400 300\n"
	    "@ IN NS ns1\nns1 IN A 127.0.0.1\nwww IN A 192.0.2.80\n");
	snprintf(conf, sizeof(conf),
	    "options { directory \"%s\"; listen-on port %u { 127.0.0.1; }; listen-on-v6 { none; };\n"
	    " pid-file none; recursion no; dnstap { client; auth; };\n"
	    " dnstap-output unix \"%s\"; };\ncontrols { };\n"
	    "zone \"victim.example\" { type primary; file \"victim.zone\"; };\n",
	    sockdir, portnum, sockpath);
	snprintf(path, sizeof(path), "%s/named.conf", sockdir);
	write_file(path, conf);
	snprintf(qf, sizeof(qf), "%s/queries", sockdir);
	ck_assert_ptr_nonnull(f = fopen(qf, "w"));
	for (int i = 0; i < NQ; i++)
		if (i == NQ - 1)
			fprintf(f, "www.victim.example A\n");
		else
			fprintf(f, "r%04dx%x.victim.example A\n", i, (unsigned)rand());
	fclose(f);

	ck_assert_int_eq(fw_ring_new(4096, sizeof(struct fw_dnsq), &ring), FW_OK);
	ck_assert_int_eq(fw_dnstap_listener_open(sockpath, 0600, ring, &l), FW_OK);
	ck_assert_int_eq(fw_dnstap_listener_start(l), FW_OK);
	if ((named = fork()) == 0) {
		char log[160];

		snprintf(log, sizeof(log), "%s/named.log", sockdir);
		if (freopen(log, "w", stderr) == NULL || freopen("/dev/null", "w", stdout) == NULL)
			_exit(126);
		execl("/usr/sbin/named", "named", "-g", "-c", path, (char *)NULL);
		_exit(127);
	}
	ck_assert_int_gt(named, 0);
	/* named connects to the socket once it has loaded the zone. */
	for (int k = 0; k < 500; k++) {
		fw_dnstap_listener_stats(l, &st);
		if (st.conns > 0)
			break;
		usleep(10000);
	}
	ck_assert_msg(st.conns == 1, "named did not connect (see %s/named.log)", sockdir);
	usleep(200000);                    /* and opens port 53xx just before or after */
	if ((dig = fork()) == 0) {
		if (freopen("/dev/null", "w", stdout) == NULL)
			_exit(126);
		execl("/usr/bin/dig", "dig", "-p", port, "@127.0.0.1", "+tries=3", "+time=2", "-f", qf,
		    (char *)NULL);
		_exit(127);
	}
	ck_assert_int_eq(waitpid(dig, &status, 0), dig);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "dig status %d", status);
	kill(named, SIGTERM);
	ck_assert_int_eq(waitpid(named, &status, 0), named);
	got = drain(ring, q, 2 * NQ);
	ck_assert_uint_eq(got, 2 * NQ);
	for (size_t i = 0; i < got; i++) {
		int idx = -1, resp = (q[i].flags & FW_DNSQ_F_RESPONSE) != 0;
		char a[64];

		if (strcmp(q[i].qname, "www.victim.example") == 0)
			idx = NQ - 1;
		else
			ck_assert_int_eq(sscanf(q[i].qname, "r%4d", &idx), 1);
		ck_assert(idx >= 0 && idx < NQ);
		ck_assert_uint_eq(q[i].qtype, 1);
		ck_assert_uint_eq(q[i].rcode, !resp ? FW_RCODE_NONE : idx == NQ - 1 ? 0 : 3);
		fw_addr_format(&q[i].server, a, sizeof(a));
		ck_assert_str_eq(a, "127.0.0.1");
		ck_assert_int_gt(q[i].time_ms, 1700000000000LL);
		if (resp)
			ck_assert_int_eq(seen_r[idx]++, 0);
		else
			ck_assert_int_eq(seen_q[idx]++, 0);
	}
	for (int i = 0; i < NQ; i++)
		ck_assert(seen_q[i] == 1 && seen_r[i] == 1);
	for (int k = 0; k < 100; k++) {    /* named's STOP ends the connection */
		fw_dnstap_listener_stats(l, &st);
		if (st.conns_active == 0)
			break;
		usleep(10000);
	}
	ck_assert_uint_eq(st.conns_active, 0);
	ck_assert_uint_eq(st.bad_control + st.conn_errors + st.bad_proto + st.bad_dns, 0);
	fw_dnstap_listener_close(l);
	fw_ring_free(ring);
	snprintf(path, sizeof(path), "%s/victim.zone", sockdir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/named.conf", sockdir);
	unlink(path);
	unlink(qf);
	snprintf(path, sizeof(path), "%s/named.log", sockdir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/managed-keys.bind.jnl", sockdir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/managed-keys.bind", sockdir);
	unlink(path);
}
END_TEST

static Suite *
dnstap_suite(void)
{
	Suite *s = suite_create("dnstap");
	TCase *tc;

	tc = tcase_create("valid");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_dnstap_file_matches_dnstap_read);
	tcase_add_test(tc, test_dnstap_decode_frames_in_memory);
	tcase_add_test(tc, test_dnstap_is_fstrm);
	tcase_add_test(tc, test_dnstap_control_build_parse);
	tcase_add_test(tc, test_dnstap_decode_built_frames);
	tcase_add_test(tc, test_dnstap_decode_skipped);
	tcase_add_test(tc, test_dnstap_stream_whole_file);
	tcase_add_test(tc, test_dnstap_stream_handshake);
	suite_add_tcase(s, tc);

	tc = tcase_create("truncated");
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, test_dnstap_truncated_prefixes, 0, 8);
	tcase_add_test(tc, test_dnstap_truncated_file);
	suite_add_tcase(s, tc);

	tc = tcase_create("malformed");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_dnstap_malformed_mutations);
	tcase_add_test(tc, test_dnstap_malformed_fields);
	tcase_add_test(tc, test_dnstap_malformed_control);
	tcase_add_test(tc, test_dnstap_malformed_files);
	tcase_add_test(tc, test_dnstap_malformed_fuzz_corpora);
	suite_add_tcase(s, tc);

	tc = tcase_create("limits");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_dnstap_limits_oversize);
	tcase_add_test(tc, test_dnstap_limits_control);
	tcase_add_test(tc, test_dnstap_limits_big_frames);
	suite_add_tcase(s, tc);

	tc = tcase_create("live");
	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, live_setup, live_teardown);
	tcase_add_test(tc, test_dnstap_live_fstrm_replay);
	tcase_add_test(tc, test_dnstap_live_several_clients);
	tcase_add_test(tc, test_dnstap_live_handshake_bytes);
	tcase_add_test(tc, test_dnstap_live_socket_path);
	tcase_add_test(tc, test_dnstap_live_idle_clients);
	tcase_add_test(tc, test_dnstap_live_named);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(dnstap_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
