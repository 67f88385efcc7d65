/*
 * dnstap.c - dnstap over Frame Streams: frame decoder, Frame Streams state
 * machine, file reader (replay) and unix-socket listener (live).
 *
 * Data frame payload: a protobuf dnstap.Dnstap (collector/dnstap.proto, field
 * numbers from the public dnstap schema), decoded by protobuf-c:
 *
 *   Dnstap   FIELD             NO  WIRE     USE
 *            identity          1   bytes    ignored
 *            version           2   bytes    ignored
 *            extra             3   bytes    ignored
 *            message           14  message  the Message below
 *            type              15  enum     must be MESSAGE (1), else skipped
 *   Message  type              1   enum     AQ 1 AR 2 RQ 3 RR 4 CQ 5 CR 6 FQ 7 FR 8
 *                                           (others skipped: stub, tool, update)
 *            socket_family     2   enum     ignored: address length decides
 *            socket_protocol   3   enum     TCP 2, DoT 3, DoH 4, DNSCryptTCP 6
 *                                           -> FW_DNSQ_F_TCP
 *            query_address     4   bytes    client, 4 or 16 bytes
 *            response_address  5   bytes    server, 4 or 16 bytes
 *            query_time_sec    8   uint64   time of queries
 *            query_time_nsec   9   fixed32  < 10^9
 *            query_message     10  bytes    DNS message of queries
 *            response_time_sec 12  uint64   time of responses
 *            response_time_nsec 13 fixed32  < 10^9
 *            response_message  14  bytes    DNS message of responses (rcode)
 *
 * No malloc per frame: protobuf-c takes a ProtobufCAllocator, and ours is a
 * bump allocator over an arena on the decoder's stack.  protobuf-c copies
 * every bytes field and unknown field it keeps, so a frame of L bytes needs
 * at most L bytes of copies plus the two message structs and, past 16
 * fields in one message, its scan slabs: FW_DNSTAP_FRAME_MAX + 16 KiB holds
 * any honest frame.  A hostile frame of thousands of tiny fields can run the
 * arena dry; protobuf-c then fails cleanly (counted as bad_proto).  "free"
 * is a no-op: the whole arena goes away when fw_dnstap_decode() returns.
 *
 * Who is who comes from dnstap, not from the DNS header: client is
 * query_address (the initiator), server is response_address, and the
 * message type, not the QR bit, says query or response.
 *
 * The live listener serves the bidirectional Frame Streams handshake by
 * hand (fw_dnstap_stream_next over the cursor): libfstrm has readers for
 * files and writers for sockets, but no server side that accepts socket
 * connections, and its rdwr-based reader would block one thread per
 * client.  One thread, poll(2) over the listening socket, an eventfd for
 * stop, and up to max_clients clients, each with one buffer of
 * FW_DNSTAP_FRAME_MAX + 4 bytes allocated at accept (never per frame).  The
 * thread is the ring's only producer.  Counters are kept in a plain struct
 * by the thread and published with relaxed atomic stores once per wake-up.
 *
 * Anyone allowed to connect could otherwise fill every client slot with
 * connections that never speak and lock the DNS servers out (issue 9,
 * item 7).  So a client must finish its handshake within handshake_ms of
 * connecting (the poll timeout is the nearest such deadline), and a new
 * connection at the cap closes a client that is still in its handshake
 * (the one that connected first) or, failing that, the client idle longest
 * if idle for at least handshake_ms.  A busy server's stream is never
 * closed for a newcomer; only when every client is busy is the newcomer
 * refused.  Idleness and deadlines use CLOCK_MONOTONIC.
 */
#include "fw_dnstap.h"

#include <fcntl.h>
#include <fstrm.h>
#include <poll.h>
#include <pthread.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "dnstap.pb-c.h"
#include "fw_cur.h"
#include "fw_dnswire.h"
#include "fw_log.h"
#include "fw_ring.h"

#define ARENA_BYTES (FW_DNSTAP_FRAME_MAX + 16384u)
#define FSTRM_FIELD_CONTENT_TYPE 1
#define BATCH 64                   /* records pushed to the ring at once */
#define ACCEPTS_PER_WAKE 16        /* new connections taken per wake-up: reads go first */
/* Room for the largest data frame (and so for any control frame). */
#define CONN_BUF (FW_DNSTAP_FRAME_MAX + 4)
_Static_assert(CONN_BUF >= FW_DNSTAP_CONTROL_MAX + 8, "control frames fit a client buffer");

/* ---- decoding one frame ------------------------------------------------ */

struct arena {
	uint8_t *base;
	size_t cap;
	size_t used;
};

static void *
arena_alloc(void *data, size_t size)
{
	struct arena *a = data;
	size_t need;
	void *p;

	if (size > a->cap)         /* also keeps the rounding below from wrapping */
		return NULL;
	need = (size + 15) & ~(size_t)15;  /* max_align_t alignment for structs */
	if (need > a->cap - a->used)
		return NULL;
	p = a->base + a->used;
	a->used += need;
	return p;
}

static void
arena_free(void *data, void *ptr)
{
	(void)data;                /* bump arena: released as a whole */
	(void)ptr;
}

/* Address bytes -> fw_addr; 0 bytes is "unknown" (::). */
static int
addr_of(const ProtobufCBinaryData *b, protobuf_c_boolean has, struct fw_addr *out)
{
	memset(out->b, 0, sizeof(out->b));
	if (!has || b->len == 0)
		return FW_OK;
	if (b->len == 4) {
		out->b[10] = 0xff;
		out->b[11] = 0xff;
		memcpy(out->b + 12, b->data, 4);
		return FW_OK;
	}
	if (b->len == 16) {
		memcpy(out->b, b->data, 16);
		return FW_OK;
	}
	return FW_EMALFORMED;
}

/* sec/nsec -> ms since the epoch; *ms untouched if !has_sec. */
static int
time_of(protobuf_c_boolean has_sec, uint64_t sec, protobuf_c_boolean has_nsec,
    uint32_t nsec, int64_t *ms)
{
	if (!has_sec)
		return FW_OK;
	if (sec > (uint64_t)(INT64_MAX / 1000 - 1))
		return FW_EMALFORMED;
	if (has_nsec && nsec >= 1000000000u)
		return FW_EMALFORMED;
	*ms = (int64_t)sec * 1000 + (has_nsec ? (int64_t)(nsec / 1000000u) : 0);
	return FW_OK;
}

enum why { WHY_RECORD, WHY_SKIPPED, WHY_NOMSG, WHY_PROTO, WHY_DNS };

static int
decode(const uint8_t *frame, size_t len, struct fw_dnsq *out, enum why *why)
{
	alignas(16) uint8_t mem[ARENA_BYTES];
	struct arena ar = { mem, sizeof(mem), 0 };
	ProtobufCAllocator alloc = { arena_alloc, arena_free, &ar };
	struct fw_dnswire_info info;
	struct fw_addr qa, ra;
	const ProtobufCBinaryData *dns;
	const Dnstap__Message *m;
	Dnstap__Dnstap *d;
	int64_t t_ms = 0;
	int resp, tcp, rc;

	*why = WHY_PROTO;
	if (len == 0)
		return FW_ETRUNC;
	if ((d = dnstap__dnstap__unpack(&alloc, len, frame)) == NULL)
		return FW_EMALFORMED;
	*why = WHY_SKIPPED;
	if (d->type != DNSTAP__DNSTAP__TYPE__MESSAGE || (m = d->message) == NULL)
		return 0;
	switch (m->type) {
	case DNSTAP__MESSAGE__TYPE__AUTH_QUERY:
	case DNSTAP__MESSAGE__TYPE__RESOLVER_QUERY:
	case DNSTAP__MESSAGE__TYPE__CLIENT_QUERY:
	case DNSTAP__MESSAGE__TYPE__FORWARDER_QUERY:
		resp = 0;
		break;
	case DNSTAP__MESSAGE__TYPE__AUTH_RESPONSE:
	case DNSTAP__MESSAGE__TYPE__RESOLVER_RESPONSE:
	case DNSTAP__MESSAGE__TYPE__CLIENT_RESPONSE:
	case DNSTAP__MESSAGE__TYPE__FORWARDER_RESPONSE:
		resp = 1;
		break;
	default:
		/* Stub/tool views repeat what a server reports; updates are no queries. */
		return 0;
	}
	*why = WHY_PROTO;
	if (addr_of(&m->query_address, m->has_query_address, &qa) != FW_OK ||
	    addr_of(&m->response_address, m->has_response_address, &ra) != FW_OK)
		return FW_EMALFORMED;
	/* Query time first, so a response without its own time keeps the query's. */
	if (time_of(m->has_query_time_sec, m->query_time_sec, m->has_query_time_nsec,
	    m->query_time_nsec, &t_ms) != FW_OK)
		return FW_EMALFORMED;
	if (resp && time_of(m->has_response_time_sec, m->response_time_sec,
	    m->has_response_time_nsec, m->response_time_nsec, &t_ms) != FW_OK)
		return FW_EMALFORMED;
	tcp = m->has_socket_protocol &&
	    (m->socket_protocol == DNSTAP__SOCKET_PROTOCOL__TCP ||
	     m->socket_protocol == DNSTAP__SOCKET_PROTOCOL__DOT ||
	     m->socket_protocol == DNSTAP__SOCKET_PROTOCOL__DOH ||
	     m->socket_protocol == DNSTAP__SOCKET_PROTOCOL__DNSCryptTCP);

	dns = resp ? &m->response_message : &m->query_message;
	if (!(resp ? m->has_response_message : m->has_query_message) || dns->len == 0) {
		*why = WHY_NOMSG;
		return 0;
	}
	*why = WHY_DNS;
	rc = fw_dnswire_parse(dns->data, dns->len, &info);
	/* Lying counts after the question still give the question and rcode. */
	if (rc != FW_OK && !(info.have & FW_DNSWIRE_HAVE_QUESTION))
		return rc;
	if (fw_dnswire_to_dnsq(&info, t_ms, &qa, &ra, FW_DNS_DNSTAP,
	    tcp ? FW_DNSQ_F_TCP : 0, out) != FW_OK)
		return FW_EMALFORMED;
	/* dnstap, not the QR bit, says who asked and whether this is a response. */
	out->client = qa;
	out->server = ra;
	if (resp) {
		out->flags |= FW_DNSQ_F_RESPONSE;
		out->rcode = (uint8_t)(info.rcode >= 0xfe ? 0xfe : info.rcode);
	} else {
		out->flags &= (uint8_t)~FW_DNSQ_F_RESPONSE;
		out->rcode = FW_RCODE_NONE;
	}
	*why = WHY_RECORD;
	return 1;                  /* nothing to free: d and its copies live in mem */
}

int
fw_dnstap_decode_st(const uint8_t *frame, size_t len, struct fw_dnsq *out,
    struct fw_dnstap_stats *st)
{
	enum why why;
	int rc = decode(frame, len, out, &why);

	if (st != NULL) {
		st->frames++;
		switch (why) {
		case WHY_RECORD: st->records++; break;
		case WHY_SKIPPED: st->skipped++; break;
		case WHY_NOMSG: st->no_message++; break;
		case WHY_PROTO: st->bad_proto++; break;
		case WHY_DNS: st->bad_dns++; break;
		}
	}
	return rc;
}

int
fw_dnstap_decode(const uint8_t *frame, size_t len, struct fw_dnsq *out)
{
	return fw_dnstap_decode_st(frame, len, out, NULL);
}

/* ---- Frame Streams control frames and stream state ---------------------- */

static int
ctype_is_dnstap(const uint8_t *p, size_t n)
{
	return n == sizeof(FW_DNSTAP_CONTENT_TYPE) - 1 &&
	    memcmp(p, FW_DNSTAP_CONTENT_TYPE, n) == 0;
}

int
fw_dnstap_control_parse(const uint8_t *p, size_t len, struct fw_dnstap_control *out)
{
	struct fw_cur c = fw_cur_make(p, len);

	memset(out, 0, sizeof(*out));
	if (len > FW_DNSTAP_CONTROL_MAX)
		return FW_EMALFORMED;
	out->type = fw_cur_u32(&c);
	if (c.err != FW_OK)
		return c.err;
	if (out->type < FW_FSTRM_ACCEPT || out->type > FW_FSTRM_FINISH)
		return FW_EMALFORMED;
	while (fw_cur_left(&c) > 0) {       /* each turn takes >= 8 bytes or fails */
		uint32_t ftype = fw_cur_u32(&c);
		uint32_t flen = fw_cur_u32(&c);
		const uint8_t *v;

		if (c.err != FW_OK)
			return c.err;
		if (ftype != FSTRM_FIELD_CONTENT_TYPE || flen > FW_DNSTAP_CTYPE_MAX)
			return FW_EMALFORMED;
		if ((v = fw_cur_take(&c, flen)) == NULL)
			return FW_ETRUNC;
		out->n_ctypes++;
		if (ctype_is_dnstap(v, flen))
			out->has_dnstap = true;
	}
	/* STOP and FINISH carry no fields; START names at most one type. */
	if ((out->type == FW_FSTRM_STOP || out->type == FW_FSTRM_FINISH) && out->n_ctypes > 0)
		return FW_EMALFORMED;
	if (out->type == FW_FSTRM_START && out->n_ctypes > 1)
		return FW_EMALFORMED;
	return FW_OK;
}

static void
put_be32(uint8_t *b, uint32_t v)
{
	b[0] = (uint8_t)(v >> 24);
	b[1] = (uint8_t)(v >> 16);
	b[2] = (uint8_t)(v >> 8);
	b[3] = (uint8_t)v;
}

size_t
fw_dnstap_control_build(uint8_t *buf, size_t cap, enum fw_fstrm_ctl type, const char *ctype)
{
	size_t clen = ctype ? strnlen(ctype, FW_DNSTAP_CTYPE_MAX + 1) : 0;
	size_t body = 4 + (ctype ? 8 + clen : 0);

	if (clen > FW_DNSTAP_CTYPE_MAX || cap < 8 || cap - 8 < body)
		return 0;
	put_be32(buf, 0);
	put_be32(buf + 4, (uint32_t)body);
	put_be32(buf + 8, (uint32_t)type);
	if (ctype) {
		put_be32(buf + 12, FSTRM_FIELD_CONTENT_TYPE);
		put_be32(buf + 16, (uint32_t)clen);
		memcpy(buf + 20, ctype, clen);  /* no NUL on the wire */
	}
	return 8 + body;
}

bool
fw_dnstap_is_fstrm(const uint8_t *head, size_t len)
{
	struct fw_dnstap_control ctl;
	uint32_t clen;

	if (len < 12 || fw_load_be32(head) != 0)
		return false;
	clen = fw_load_be32(head + 4);
	if (clen < 4 || clen > FW_DNSTAP_CONTROL_MAX || fw_load_be32(head + 8) != FW_FSTRM_START)
		return false;
	if (len - 8 < clen)        /* START not whole in head: the prefix is enough */
		return true;
	if (fw_dnstap_control_parse(head + 8, clen, &ctl) != FW_OK)
		return false;
	return ctl.n_ctypes == 0 || ctl.has_dnstap;
}

enum { ST_INIT, ST_WAIT_START, ST_DATA, ST_DONE };

void
fw_dnstap_stream_init(struct fw_dnstap_stream *s, uint32_t frame_max)
{
	memset(s, 0, sizeof(*s));
	s->frame_max = frame_max > FW_DNSTAP_FRAME_MAX ? FW_DNSTAP_FRAME_MAX : frame_max;
	s->state = ST_INIT;
}

/* A control frame arrived in state s->state: move on or fail. */
static int
stream_control(struct fw_dnstap_stream *s, const struct fw_dnstap_control *ctl)
{
	switch (ctl->type) {
	case FW_FSTRM_READY:
		if (s->state != ST_INIT)
			return FW_EMALFORMED;
		if (ctl->n_ctypes > 0 && !ctl->has_dnstap)
			return FW_EUNSUPPORTED;
		s->bidir = 1;
		s->state = ST_WAIT_START;
		return FW_DNSTAP_EV_ACCEPT;
	case FW_FSTRM_START:
		if (s->state != ST_INIT && s->state != ST_WAIT_START)
			return FW_EMALFORMED;
		if (ctl->n_ctypes > 0 && !ctl->has_dnstap)
			return FW_EUNSUPPORTED;
		s->state = ST_DATA;
		return FW_DNSTAP_EV_CONTROL;
	case FW_FSTRM_STOP:
		if (s->state != ST_DATA)
			return FW_EMALFORMED;
		s->state = ST_DONE;
		return s->bidir ? FW_DNSTAP_EV_FINISH : FW_DNSTAP_EV_END;
	default:                   /* ACCEPT, FINISH: the receiver's words, not the sender's */
		return FW_EMALFORMED;
	}
}

int
fw_dnstap_stream_next(struct fw_dnstap_stream *s, const uint8_t *buf, size_t len,
    size_t *used, const uint8_t **frame, size_t *frame_len)
{
	struct fw_dnstap_control ctl;
	struct fw_cur c;
	size_t n = 0;
	uint32_t flen, clen;
	int rc;

	*used = 0;
	*frame = NULL;
	*frame_len = 0;
	if (s->skip > 0) {         /* rest of an oversize frame */
		n = len < s->skip ? len : s->skip;
		s->skip -= (uint32_t)n;
		*used = n;
		if (s->skip > 0)
			return FW_DNSTAP_EV_MORE;
	}
	if (s->state == ST_DONE)
		return len > n ? FW_EMALFORMED : FW_DNSTAP_EV_MORE;
	c = fw_cur_make(buf + n, len - n);
	flen = fw_cur_u32(&c);
	if (c.err != FW_OK)
		return FW_DNSTAP_EV_MORE;
	if (flen != 0) {
		if (s->state != ST_DATA)
			return FW_EMALFORMED;
		if (flen > s->frame_max) {
			size_t have = fw_cur_left(&c);
			size_t take = have < flen ? have : flen;

			s->skip = flen - (uint32_t)take;
			*used = n + 4 + take;
			return FW_DNSTAP_EV_OVERSIZE;
		}
		if ((*frame = fw_cur_take(&c, flen)) == NULL) {
			*frame = NULL;
			return FW_DNSTAP_EV_MORE;
		}
		*frame_len = flen;
		*used = n + 4 + flen;
		return FW_DNSTAP_EV_DATA;
	}
	clen = fw_cur_u32(&c);
	if (c.err != FW_OK)
		return FW_DNSTAP_EV_MORE;
	if (clen < 4 || clen > FW_DNSTAP_CONTROL_MAX)
		return FW_EMALFORMED;
	if (fw_cur_left(&c) < clen)
		return FW_DNSTAP_EV_MORE;
	if ((rc = fw_dnstap_control_parse(c.p, clen, &ctl)) != FW_OK)
		return rc == FW_ETRUNC ? FW_EMALFORMED : rc;  /* fields overrun their own frame */
	if ((rc = stream_control(s, &ctl)) < 0)
		return rc;
	*used = n + 8 + clen;
	return rc;
}

/* ---- replay: Frame Streams files ---------------------------------------- */

int
fw_dnstap_file_read(const char *path, fw_dnstap_fn *cb, void *ctx, struct fw_dnstap_stats *st)
{
	struct fstrm_file_options *fopt = NULL;
	struct fstrm_reader_options *ropt = NULL;
	struct fstrm_reader *r = NULL;
	struct fw_dnstap_stats local;
	uint8_t head[FW_DNSTAP_CONTROL_MAX + 8];
	const uint8_t *data;
	size_t len, got;
	fstrm_res res;
	FILE *f;
	int err = FW_OK;

	if (st == NULL) {
		memset(&local, 0, sizeof(local));
		st = &local;
	}
	/* Our own look at the head tells "not Frame Streams" from "cannot open". */
	if ((f = fopen(path, "rb")) == NULL)
		return errno == ENOENT ? FW_ENOENT : FW_EIO;
	got = fread(head, 1, sizeof(head), f);
	err = ferror(f) ? FW_EIO : FW_OK;
	fclose(f);
	if (err != FW_OK)
		return err;
	if (!fw_dnstap_is_fstrm(head, got))
		return FW_EMALFORMED;

	err = FW_ENOMEM;
	if ((fopt = fstrm_file_options_init()) == NULL ||
	    (ropt = fstrm_reader_options_init()) == NULL)
		goto out;
	fstrm_file_options_set_file_path(fopt, path);
	if (fstrm_reader_options_add_content_type(ropt, FW_DNSTAP_CONTENT_TYPE,
	    sizeof(FW_DNSTAP_CONTENT_TYPE) - 1) != fstrm_res_success)
		goto out;
	err = FW_EIO;
	if ((r = fstrm_file_reader_init(fopt, ropt)) == NULL)
		goto out;
	if (fstrm_reader_open(r) != fstrm_res_success) {
		/* The file ends inside START, or START names another content type. */
		err = got - 8 < fw_load_be32(head + 4) ? FW_ETRUNC : FW_EMALFORMED;
		goto out;
	}
	/*
	 * libfstrm refuses frames over its max_frame_size (1 MiB by default)
	 * as a failed read; between FW_DNSTAP_FRAME_MAX and that we skip and
	 * count, like the listener does.
	 */
	while ((res = fstrm_reader_read(r, &data, &len)) == fstrm_res_success) {
		struct fw_dnsq q;
		int rc;

		if (len > FW_DNSTAP_FRAME_MAX) {
			st->frames++;
			st->oversize++;
			continue;
		}
		rc = fw_dnstap_decode_st(data, len, &q, st);
		if (rc < 0)
			FW_LOG_RL(FW_LOG_WARN, "dnstap", "%s: frame %llu: %s", path,
			    (unsigned long long)st->frames, fw_strerror(rc));
		if (rc == 1 && (err = cb(ctx, &q)) != FW_OK)
			goto out;
	}
	/*
	 * libfstrm says "stop" both for the STOP frame and for end of file
	 * (even inside a frame); only the first leaves a STOP control behind.
	 */
	err = FW_ETRUNC;
	if (res == fstrm_res_stop) {
		const struct fstrm_control *stop = NULL;

		if (fstrm_reader_get_control(r, FSTRM_CONTROL_STOP, &stop) == fstrm_res_success &&
		    stop != NULL)
			err = FW_OK;
	}
out:
	if (r != NULL)
		fstrm_reader_destroy(&r);
	if (ropt != NULL)
		fstrm_reader_options_destroy(&ropt);
	if (fopt != NULL)
		fstrm_file_options_destroy(&fopt);
	return err;
}

/* ---- live: unix socket listener ------------------------------------------ */

#define NSTATS (sizeof(struct fw_dnstap_stats) / sizeof(uint64_t))
_Static_assert(sizeof(struct fw_dnstap_stats) % sizeof(uint64_t) == 0,
    "fw_dnstap_stats is published as an array of uint64_t");

struct conn {
	int fd;
	uint32_t fill;             /* bytes in buf */
	int64_t since_ms;          /* accepted at, monotonic */
	int64_t last_ms;           /* last bytes received (or accept), monotonic */
	struct fw_dnstap_stream st;
	uint8_t *buf;              /* CONN_BUF bytes, owned */
};

struct fw_dnstap_listener {
	int lfd;                   /* listening socket */
	int efd;                   /* eventfd: stop request */
	int running;               /* thread started (owner thread only) */
	pthread_t thread;
	struct fw_ring *ring;      /* borrowed; this thread is its producer */
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	uint32_t max_clients;      /* set before start */
	int64_t handshake_ms;      /* set before start */
	/* Listener thread only (after start): */
	size_t nconns;
	struct conn *conns;        /* max_clients, owned */
	struct pollfd *pfd;        /* max_clients + 2, owned */
	size_t nbatch;
	struct fw_dnsq batch[BATCH];
	struct fw_dnstap_stats work;   /* counted here, published below */
	_Atomic uint64_t pub[NSTATS];  /* copy of work for other threads */
};

static void
publish(struct fw_dnstap_listener *l)
{
	uint64_t v[NSTATS];

	l->work.conns_active = l->nconns;
	memcpy(v, &l->work, sizeof(v));
	for (size_t i = 0; i < NSTATS; i++)
		atomic_store_explicit(&l->pub[i], v[i], memory_order_relaxed);
}

static void
flush_batch(struct fw_dnstap_listener *l)
{
	size_t pushed;

	if (l->nbatch == 0)
		return;
	pushed = fw_ring_sp_push_or_drop(l->ring, l->batch, l->nbatch);
	l->work.ring_drops += l->nbatch - pushed;
	l->nbatch = 0;
}

static void
conn_close(struct fw_dnstap_listener *l, size_t i)
{
	close(l->conns[i].fd);
	free(l->conns[i].buf);
	l->conns[i] = l->conns[--l->nconns];   /* order of clients does not matter */
}

/* Small replies (ACCEPT, FINISH) on a fresh socket buffer; short = lost. */
static int
send_control(int fd, enum fw_fstrm_ctl type, const char *ctype)
{
	uint8_t b[64];
	size_t n = fw_dnstap_control_build(b, sizeof(b), type, ctype);

	return send(fd, b, n, MSG_NOSIGNAL | MSG_DONTWAIT) == (ssize_t)n ? FW_OK : FW_EIO;
}

/* Decode every whole frame in the buffer; returns 0 to keep, -1 to close. */
static int
conn_process(struct fw_dnstap_listener *l, struct conn *cn, int64_t now_ms)
{
	size_t off = 0, used, flen;
	const uint8_t *frame;
	int ev, keep = 0;

	for (;;) {
		ev = fw_dnstap_stream_next(&cn->st, cn->buf + off, cn->fill - off, &used, &frame,
		    &flen);
		off += used;
		if (ev == FW_DNSTAP_EV_MORE)
			break;
		if (ev < 0) {
			l->work.bad_control++;
			FW_LOG_RL(FW_LOG_WARN, "dnstap", "%s: closing client: %s", l->path,
			    fw_strerror(ev));
			keep = -1;
			break;
		}
		if (ev == FW_DNSTAP_EV_DATA) {
			struct fw_dnsq *q = &l->batch[l->nbatch];

			if (fw_dnstap_decode_st(frame, flen, q, &l->work) == 1) {
				if (q->time_ms == 0)
					q->time_ms = now_ms;
				if (++l->nbatch == BATCH)
					flush_batch(l);
			}
		} else if (ev == FW_DNSTAP_EV_OVERSIZE) {
			l->work.frames++;
			l->work.oversize++;
		} else if (ev == FW_DNSTAP_EV_ACCEPT) {
			if (send_control(cn->fd, FW_FSTRM_ACCEPT, FW_DNSTAP_CONTENT_TYPE) != FW_OK) {
				l->work.conn_errors++;
				keep = -1;
				break;
			}
		} else if (ev == FW_DNSTAP_EV_FINISH || ev == FW_DNSTAP_EV_END) {
			if (ev == FW_DNSTAP_EV_FINISH &&
			    send_control(cn->fd, FW_FSTRM_FINISH, NULL) != FW_OK)
				l->work.conn_errors++;
			keep = -1;
			break;
		}
	}
	if (keep == 0 && off > 0) {
		memmove(cn->buf, cn->buf + off, cn->fill - off);
		cn->fill -= (uint32_t)off;
	}
	/* Cannot happen with CONN_BUF >= frame_max + 4; guard against our own bug. */
	if (keep == 0 && cn->fill == CONN_BUF)
		keep = -1;
	return keep;
}

static void
conn_read(struct fw_dnstap_listener *l, size_t i, int64_t now_ms, int64_t mono)
{
	struct conn *cn = &l->conns[i];
	ssize_t n = read(cn->fd, cn->buf + cn->fill, CONN_BUF - cn->fill);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {              /* EOF: a client may go without STOP */
		if (n < 0)
			l->work.conn_errors++;
		conn_close(l, i);
		return;
	}
	cn->fill += (uint32_t)n;
	cn->last_ms = mono;
	if (conn_process(l, cn, now_ms) != 0)
		conn_close(l, i);
}

/* Handshake done: data may flow (or STOP was seen). */
static int
conn_ready(const struct conn *cn)
{
	return cn->st.state == ST_DATA || cn->st.state == ST_DONE;
}

/*
 * The client a new connection may replace, or -1: the first-connected one
 * still in its handshake, else the one idle longest if idle >= handshake_ms.
 */
static ssize_t
pick_victim(const struct fw_dnstap_listener *l, int64_t mono)
{
	ssize_t hs = -1, idle = -1;

	for (size_t i = 0; i < l->nconns; i++) {
		const struct conn *cn = &l->conns[i];

		if (!conn_ready(cn)) {
			if (hs < 0 || cn->since_ms < l->conns[hs].since_ms)
				hs = (ssize_t)i;
		} else if (idle < 0 || cn->last_ms < l->conns[idle].last_ms) {
			idle = (ssize_t)i;
		}
	}
	if (hs >= 0)
		return hs;
	if (idle >= 0 && mono - l->conns[idle].last_ms >= l->handshake_ms)
		return idle;
	return -1;
}

static void
accept_all(struct fw_dnstap_listener *l, int64_t mono)
{
	for (int k = 0; k < ACCEPTS_PER_WAKE; k++) {
		int fd = accept4(l->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct conn *cn;

		if (fd < 0)
			return;            /* EAGAIN, or a client gone before accept */
		if (l->nconns == l->max_clients) {
			ssize_t v = pick_victim(l, mono);

			if (v < 0) {
				l->work.conns_refused++;
				FW_LOG_RL(FW_LOG_WARN, "dnstap", "%s: at the cap of %u clients, all busy: "
				    "refusing a new connection (dns.dnstap_max_clients)", l->path, l->max_clients);
				close(fd);
				continue;
			}
			l->work.evicted++;
			FW_LOG_RL(FW_LOG_WARN, "dnstap", "%s: at the cap of %u clients: closing one %s "
			    "for %lld ms to make room (dns.dnstap_max_clients)", l->path, l->max_clients,
			    conn_ready(&l->conns[v]) ? "idle" : "still in its handshake",
			    (long long)(mono - (conn_ready(&l->conns[v]) ? l->conns[v].last_ms :
			    l->conns[v].since_ms)));
			conn_close(l, (size_t)v);
		}
		cn = &l->conns[l->nconns];
		if ((cn->buf = malloc(CONN_BUF)) == NULL) {
			l->work.conn_errors++;
			close(fd);
			continue;
		}
		cn->fd = fd;
		cn->fill = 0;
		cn->since_ms = cn->last_ms = mono;
		fw_dnstap_stream_init(&cn->st, FW_DNSTAP_FRAME_MAX);
		l->nconns++;
		l->work.conns++;
	}
}

/*
 * Close clients past their handshake deadline; returns the poll timeout
 * until the next deadline (ms, rounded up), or -1 when there is none.
 */
static int
expire_handshakes(struct fw_dnstap_listener *l, int64_t mono)
{
	int64_t next = -1;

	for (size_t i = l->nconns; i-- > 0;) {
		const struct conn *cn = &l->conns[i];
		int64_t left = cn->since_ms + l->handshake_ms - mono;

		if (conn_ready(cn))
			continue;
		if (left <= 0) {
			l->work.handshake_timeouts++;
			FW_LOG_RL(FW_LOG_WARN, "dnstap", "%s: closing a client that did not finish the "
			    "Frame Streams handshake in %lld ms (dns.dnstap_handshake_timeout_ms)", l->path,
			    (long long)l->handshake_ms);
			conn_close(l, i);
			continue;
		}
		if (next < 0 || left < next)
			next = left;
	}
	return next < 0 ? -1 : next > INT32_MAX ? INT32_MAX : (int)next;
}

static int64_t
clock_ms(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void *
listener_main(void *arg)
{
	struct fw_dnstap_listener *l = arg;

	for (;;) {
		int timeout = expire_handshakes(l, clock_ms(CLOCK_MONOTONIC));
		size_t n = l->nconns;
		int64_t t, mono;

		publish(l);
		l->pfd[0] = (struct pollfd){ .fd = l->efd, .events = POLLIN };
		l->pfd[1] = (struct pollfd){ .fd = l->lfd, .events = POLLIN };
		for (size_t i = 0; i < n; i++)
			l->pfd[2 + i] = (struct pollfd){ .fd = l->conns[i].fd, .events = POLLIN };
		if (poll(l->pfd, n + 2, timeout) < 0) {
			if (errno == EINTR)
				continue;
			fw_log_errno(FW_LOG_ERR, "dnstap", "%s: poll", l->path);
			break;
		}
		if (l->pfd[0].revents)
			break;
		t = clock_ms(CLOCK_REALTIME);  /* once per wake-up, for frames without a time */
		mono = clock_ms(CLOCK_MONOTONIC);
		/* Backwards, so conn_close()'s swap-remove never skips a client. */
		for (size_t i = n; i-- > 0;)
			if (l->pfd[2 + i].revents)
				conn_read(l, i, t, mono);
		if (l->pfd[1].revents)
			accept_all(l, mono);
		flush_batch(l);
	}
	flush_batch(l);
	while (l->nconns > 0)
		conn_close(l, l->nconns - 1);
	publish(l);
	return NULL;
}

/* A socket file left by an earlier run is replaced, a live one is not. */
static int
clear_stale(const struct sockaddr_un *sa)
{
	struct stat sb;
	int fd, live;

	if (lstat(sa->sun_path, &sb) != 0)
		return errno == ENOENT ? FW_OK : -errno;
	if (!S_ISSOCK(sb.st_mode))
		return FW_EINVAL;
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return -errno;
	live = connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) == 0;
	close(fd);
	if (live)
		return FW_EINVAL;
	return unlink(sa->sun_path) == 0 ? FW_OK : -errno;
}

int
fw_dnstap_listener_open(const char *path, unsigned mode, struct fw_ring *ring,
    struct fw_dnstap_listener **out)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct fw_dnstap_listener *l;
	int err;

	if (strlen(path) >= sizeof(sa.sun_path) || ring == NULL)
		return FW_EINVAL;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	if ((l = calloc(1, sizeof(*l))) == NULL)
		return FW_ENOMEM;
	l->lfd = l->efd = -1;
	l->ring = ring;
	l->handshake_ms = FW_DNSTAP_HANDSHAKE_MS;
	if ((err = fw_dnstap_listener_set_limits(l, FW_DNSTAP_CLIENTS_MAX, FW_DNSTAP_HANDSHAKE_MS)) != FW_OK)
		goto fail;
	memcpy(l->path, sa.sun_path, sizeof(l->path));
	if ((err = clear_stale(&sa)) != FW_OK) {
		l->path[0] = '\0';         /* not ours: close must not unlink it */
		goto fail;
	}
	if ((l->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) < 0 ||
	    (l->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) < 0) {
		err = -errno;
		l->path[0] = '\0';
		goto fail;
	}
	if (bind(l->lfd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		err = -errno;
		l->path[0] = '\0';
		goto fail;
	}
	/* After bind, so the umask does not decide who may connect. */
	if (chmod(path, (mode_t)mode) != 0 || listen(l->lfd, 16) != 0) {
		err = -errno;
		goto fail;
	}
	*out = l;
	return FW_OK;
fail:
	fw_dnstap_listener_close(l);
	return err;
}

int
fw_dnstap_listener_set_limits(struct fw_dnstap_listener *l, uint32_t max_clients,
    uint32_t handshake_ms)
{
	struct conn *conns;
	struct pollfd *pfd;

	if (l->running || max_clients < 1 || max_clients > FW_DNSTAP_CLIENTS_LIMIT || handshake_ms < 1)
		return FW_EINVAL;
	conns = calloc(max_clients, sizeof(*conns));
	pfd = calloc((size_t)max_clients + 2, sizeof(*pfd));
	if (conns == NULL || pfd == NULL) {
		free(conns);
		free(pfd);
		return FW_ENOMEM;
	}
	free(l->conns);            /* not started: no client is connected */
	free(l->pfd);
	l->conns = conns;
	l->pfd = pfd;
	l->max_clients = max_clients;
	l->handshake_ms = handshake_ms;
	return FW_OK;
}

int
fw_dnstap_listener_start(struct fw_dnstap_listener *l)
{
	int rc;

	if (l->running)
		return FW_EINVAL;
	/* Default attributes: the decoder's arena wants a MiB-sized stack. */
	if ((rc = pthread_create(&l->thread, NULL, listener_main, l)) != 0)
		return -rc;
	l->running = 1;
	return FW_OK;
}

void
fw_dnstap_listener_stop(struct fw_dnstap_listener *l)
{
	uint64_t one = 1;

	if (l == NULL || !l->running)
		return;
	if (write(l->efd, &one, sizeof(one)) != (ssize_t)sizeof(one))
		fw_log_errno(FW_LOG_ERR, "dnstap", "%s: waking listener", l->path);
	pthread_join(l->thread, NULL);
	l->running = 0;
}

void
fw_dnstap_listener_close(struct fw_dnstap_listener *l)
{
	if (l == NULL)
		return;
	fw_dnstap_listener_stop(l);
	if (l->lfd >= 0)
		close(l->lfd);
	if (l->efd >= 0)
		close(l->efd);
	if (l->path[0] != '\0')
		unlink(l->path);
	free(l->conns);
	free(l->pfd);
	free(l);
}

void
fw_dnstap_listener_stats(const struct fw_dnstap_listener *l, struct fw_dnstap_stats *out)
{
	uint64_t v[NSTATS];

	for (size_t i = 0; i < NSTATS; i++)
		v[i] = atomic_load_explicit(&l->pub[i], memory_order_relaxed);
	memcpy(out, v, sizeof(v));
}
