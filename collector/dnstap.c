/*
 * dnstap.c - one dnstap frame (a protobuf dnstap.Dnstap) -> struct fw_dnsq.
 * Frame Streams framing is fstrm.c, the live socket server dnstap_listener.c.
 *
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
 */
#include "fw_dnstap.h"

#include <stdalign.h>
#include <stdlib.h>
#include <string.h>

#include "dnstap.pb-c.h"
#include "fw_dnswire.h"

#define ARENA_BYTES (FW_DNSTAP_FRAME_MAX + 16384u)

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
	int resp, tcp, rc, relayed = 0;

	*why = WHY_PROTO;
	if (len == 0)
		return FW_ETRUNC;
	if ((d = dnstap__dnstap__unpack(&alloc, len, frame)) == NULL)
		return FW_EMALFORMED;
	*why = WHY_SKIPPED;
	if (d->type != DNSTAP__DNSTAP__TYPE__MESSAGE || (m = d->message) == NULL)
		return 0;
	switch (m->type) {
	case DNSTAP__MESSAGE__TYPE__RESOLVER_QUERY:
	case DNSTAP__MESSAGE__TYPE__FORWARDER_QUERY:
		relayed = 1;  /* the querier is this server, asking for its clients */
		/* FALLTHROUGH */
	case DNSTAP__MESSAGE__TYPE__AUTH_QUERY:
	case DNSTAP__MESSAGE__TYPE__CLIENT_QUERY:
		resp = 0;
		break;
	case DNSTAP__MESSAGE__TYPE__RESOLVER_RESPONSE:
	case DNSTAP__MESSAGE__TYPE__FORWARDER_RESPONSE:
		relayed = 1;
		/* FALLTHROUGH */
	case DNSTAP__MESSAGE__TYPE__AUTH_RESPONSE:
	case DNSTAP__MESSAGE__TYPE__CLIENT_RESPONSE:
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
	if (relayed)
		out->flags |= FW_DNSQ_F_RELAYED;
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
