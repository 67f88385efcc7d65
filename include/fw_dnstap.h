/*
 * fw_dnstap.h - dnstap collector: Frame Streams carrying dnstap protobuf
 * messages, from files (replay) and from a unix socket (live, BIND, Unbound,
 * Knot, dnsdist), turned into struct fw_dnsq records.
 *
 * Three layers, each usable alone:
 *
 *  1. fw_dnstap_decode(): one Frame Streams data frame (a serialized
 *     dnstap.Dnstap) -> 0 or 1 record.  protobuf-c unpacks the message
 *     through a bump allocator over a stack arena, so no malloc per frame;
 *     the DNS message inside goes through fw_dnswire_parse().  (dnstap.c)
 *
 *  2. Frame Streams framing: fw_dnstap_control_parse()/_build() for control
 *     frames, and fw_dnstap_stream_next(), a pure state machine that walks
 *     a byte stream (READY -> ACCEPT, START, data..., STOP -> FINISH) and
 *     says what the socket owner must do.  No I/O, so it is unit-tested and
 *     fuzzed without sockets.  (fstrm.c)
 *
 *  3. I/O: fw_dnstap_file_read() (libfstrm's file reader) for replay, and
 *     fw_dnstap_listener_*(), one thread serving a unix socket to many
 *     clients with poll(2), pushing records to an SPSC ring.  (fstrm.c and
 *     dnstap_listener.c)
 *
 * Frame Streams (https://github.com/farsightsec/fstrm, "Frame Streams
 * protocol"), all integers big-endian:
 *
 *   data frame:     OFFSET SIZE FIELD
 *                   0      4    length L (1 .. FW_DNSTAP_FRAME_MAX accepted)
 *                   4      L    payload (a serialized dnstap.Dnstap)
 *   control frame:  0      4    escape: 0
 *                   4      4    control length C (4 .. FW_DNSTAP_CONTROL_MAX)
 *                   8      4    control type: 1 ACCEPT, 2 START, 3 STOP,
 *                                             4 READY, 5 FINISH
 *                   12     C-4  fields: type(4) = 1 CONTENT_TYPE,
 *                                       length(4) <= 256, bytes
 *
 * A file is START [content type], data frames, STOP.  A socket sender
 * speaks the bidirectional handshake: READY (offered content types) ->
 * receiver ACCEPT (the one it takes) -> START -> data -> STOP -> receiver
 * FINISH.  The content type is FW_DNSTAP_CONTENT_TYPE.
 */
#ifndef FW_DNSTAP_H
#define FW_DNSTAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fw_err.h"
#include "fw_records.h"

struct fw_ring;

#define FW_DNSTAP_CONTENT_TYPE "protobuf:dnstap.Dnstap"

/*
 * Largest data frame decoded: two 64 KiB DNS messages (some servers put
 * the query into response frames too) plus the dnstap fields.  Larger
 * frames are skipped and counted as oversize.
 */
#define FW_DNSTAP_FRAME_MAX 196608u  /* 192 KiB */
#define FW_DNSTAP_CONTROL_MAX 512   /* fstrm's own bound on control frames */
#define FW_DNSTAP_CTYPE_MAX 256     /* fstrm's bound on one content type */
#define FW_DNSTAP_CLIENTS_MAX 64    /* default cap on live connections (dns.dnstap_max_clients) */
#define FW_DNSTAP_CLIENTS_LIMIT 4096 /* largest cap accepted */
#define FW_DNSTAP_HANDSHAKE_MS 5000 /* default handshake timeout (dns.dnstap_handshake_timeout_ms) */

/* Control frame types (Frame Streams). */
enum fw_fstrm_ctl {
	FW_FSTRM_ACCEPT = 1,
	FW_FSTRM_START = 2,
	FW_FSTRM_STOP = 3,
	FW_FSTRM_READY = 4,
	FW_FSTRM_FINISH = 5,
};

/* Counters of one reader or listener; "the counter is the record". */
struct fw_dnstap_stats {
	uint64_t frames;           /* data frames seen */
	uint64_t records;          /* records produced */
	uint64_t skipped;          /* well-formed frames of message types we do not report */
	uint64_t no_message;       /* query/response frames without the DNS message */
	uint64_t bad_proto;        /* not a valid dnstap protobuf, or a field out of range */
	uint64_t bad_dns;          /* DNS message with no usable question */
	uint64_t oversize;         /* data frames over FW_DNSTAP_FRAME_MAX, dropped */
	uint64_t bad_control;      /* streams ended by a bad control frame or content type */
	uint64_t conns;            /* connections accepted (listener) */
	uint64_t conns_refused;    /* connections closed at once: cap reached, nobody evictable */
	uint64_t handshake_timeouts; /* clients closed for not finishing the handshake in time */
	uint64_t evicted;          /* idle clients closed to make room for a new connection */
	uint64_t conns_active;     /* connections open now (listener snapshot) */
	uint64_t conn_errors;      /* connections lost to read/write errors */
	uint64_t ring_drops;       /* records the ring had no room for (listener) */
};

/*
 * Decode one data frame (the payload, without the 4-byte length) into *out.
 * Returns 1 (record written), 0 (valid frame, nothing to report: a message
 * type other than AUTH/RESOLVER/CLIENT/FORWARDER query or response, a
 * non-MESSAGE payload, or no DNS message in it), FW_EMALFORMED (protobuf
 * does not decode, address not 4/16 bytes, nanoseconds >= 10^9, DNS message
 * without a usable question) or FW_ETRUNC (empty frame, DNS message cut
 * before its question).
 *
 * Mapping: *_QUERY -> query at query_time, rcode FW_RCODE_NONE;
 * *_RESPONSE -> FW_DNSQ_F_RESPONSE at response_time (query_time if absent),
 * rcode from the response message.  client = query_address (the message
 * initiator), server = response_address, IPv4 as ::ffff:a.b.c.d, absent
 * address = ::.  FW_DNSQ_F_TCP for TCP, DoT, DoH and DNSCrypt-over-TCP.
 * time_ms is 0 when the frame carries no time (the caller may put the
 * arrival time there).  source = FW_DNS_DNSTAP.
 *
 * Allocates nothing on the heap; uses about FW_DNSTAP_FRAME_MAX + 16 KiB of
 * stack (an arena for protobuf-c), so call it from threads with default
 * (MiB-sized) stacks.  Any thread.
 */
int fw_dnstap_decode(const uint8_t *frame, size_t len, struct fw_dnsq *out) FW_MUSTCHECK;

/*
 * As fw_dnstap_decode(), and counts the frame in st (frames, records,
 * skipped, no_message, bad_proto or bad_dns).  st may be NULL.
 */
int fw_dnstap_decode_st(const uint8_t *frame, size_t len, struct fw_dnsq *out,
    struct fw_dnstap_stats *st) FW_MUSTCHECK;

/* A parsed control frame. */
struct fw_dnstap_control {
	uint32_t type;             /* enum fw_fstrm_ctl (other values are rejected) */
	uint32_t n_ctypes;         /* CONTENT_TYPE fields present */
	bool has_dnstap;           /* one of them is FW_DNSTAP_CONTENT_TYPE */
};

/*
 * Parse a control frame payload: the C bytes after the escape and length
 * (type, then fields).  Returns FW_OK, FW_ETRUNC (a field runs past len,
 * len < 4) or FW_EMALFORMED (unknown control type, len over
 * FW_DNSTAP_CONTROL_MAX, content type over FW_DNSTAP_CTYPE_MAX, unknown
 * field type, content type on a control frame that takes none).  Any thread.
 */
int fw_dnstap_control_parse(const uint8_t *p, size_t len, struct fw_dnstap_control *out)
    FW_MUSTCHECK;

/*
 * Write a whole control frame (escape, length, type, and one CONTENT_TYPE
 * field when ctype is not NULL) into buf.  Returns its size, or 0 when it
 * does not fit in cap or ctype is longer than FW_DNSTAP_CTYPE_MAX.
 */
size_t fw_dnstap_control_build(uint8_t *buf, size_t cap, enum fw_fstrm_ctl type,
    const char *ctype);

/*
 * True when head (the first len bytes of a file) starts like a Frame
 * Streams file: escape, a control length in range, START, and, if the
 * whole START frame is in head, a valid one whose content type (if any) is
 * dnstap's.  Needs 12 bytes.  Lets replay recognise files by content.
 */
bool fw_dnstap_is_fstrm(const uint8_t *head, size_t len);

/* What the owner of a Frame Streams byte stream must do next. */
enum fw_dnstap_ev {
	FW_DNSTAP_EV_MORE = 0,     /* need more bytes (some may have been consumed) */
	FW_DNSTAP_EV_DATA,         /* a data frame in *frame, *frame_len bytes, borrowed from buf */
	FW_DNSTAP_EV_CONTROL,      /* a control frame was taken, nothing to do (START) */
	FW_DNSTAP_EV_ACCEPT,       /* READY offered dnstap: send ACCEPT now */
	FW_DNSTAP_EV_FINISH,       /* STOP after a handshake: send FINISH, then close */
	FW_DNSTAP_EV_END,          /* STOP without handshake (unidirectional): close */
	FW_DNSTAP_EV_OVERSIZE,     /* a data frame over frame_max: being skipped */
};

/* Stream state; plain value, one per connection or file. */
struct fw_dnstap_stream {
	uint32_t frame_max;        /* largest data frame returned whole */
	uint32_t skip;             /* bytes of an oversize frame still to discard */
	uint8_t state;             /* private: handshake position */
	uint8_t bidir;             /* READY was seen: replies are expected */
};

/* Start state for a new stream; frame_max <= FW_DNSTAP_FRAME_MAX. */
void fw_dnstap_stream_init(struct fw_dnstap_stream *s, uint32_t frame_max);

/* True once START was taken: data may flow (or STOP was seen since). */
bool fw_dnstap_stream_is_started(const struct fw_dnstap_stream *s);

/*
 * Look at buf[0..len), the unconsumed bytes of the stream, and take at most
 * one frame.  Sets *used to the bytes consumed (the caller drops them before
 * the next call; borrowed *frame stays valid until then) and returns an
 * enum fw_dnstap_ev, or FW_EMALFORMED (bad control frame, control frame not
 * allowed in this state, data before START, bytes after STOP) or
 * FW_EUNSUPPORTED (READY/START naming only other content types): the stream
 * is then unusable and the connection should be closed.  A caller that
 * keeps max(frame_max + 4, FW_DNSTAP_CONTROL_MAX + 8) bytes of buffer
 * always gets whole frames.
 */
int fw_dnstap_stream_next(struct fw_dnstap_stream *s, const uint8_t *buf, size_t len,
    size_t *used, const uint8_t **frame, size_t *frame_len) FW_MUSTCHECK;

/*
 * Record callback for fw_dnstap_file_read(): return FW_OK to go on, or a
 * negative code to stop reading (returned by fw_dnstap_file_read()).  The
 * record is borrowed for the call only.
 */
typedef int fw_dnstap_fn(void *ctx, const struct fw_dnsq *rec);

/*
 * Read a Frame Streams file of dnstap messages (libfstrm's file reader) and
 * call cb for each record, in file order.  Counts into st (may be NULL).
 * Returns FW_OK at the STOP frame, FW_ENOENT/FW_EIO when the file cannot be
 * opened or read, FW_EMALFORMED when it is not a dnstap Frame Streams file
 * (fw_dnstap_is_fstrm() false, or another content type), FW_ETRUNC when it
 * ends inside a frame or before STOP (records before that were delivered),
 * or cb's negative code.  Calling thread; allocates once per file.
 */
int fw_dnstap_file_read(const char *path, fw_dnstap_fn *cb, void *ctx,
    struct fw_dnstap_stats *st) FW_MUSTCHECK;

struct fw_dnstap_listener;

/*
 * Create a unix stream socket at path (a stale socket left by an earlier
 * run is replaced; a live one, or a file that is not a socket, is not),
 * with permissions mode (e.g. 0660 so the DNS server's group may connect),
 * and listen.  Records go to ring, whose only producer is the listener
 * thread.  Returns FW_OK, FW_EINVAL (path too long, path in use or not a
 * socket), FW_ENOMEM, or a negative errno from socket/bind/listen.  The
 * listener owns its socket and unlinks path on close; ring stays the
 * caller's and must outlive the listener.
 */
int fw_dnstap_listener_open(const char *path, unsigned mode, struct fw_ring *ring,
    struct fw_dnstap_listener **out) FW_MUSTCHECK;

/*
 * Client limits, before fw_dnstap_listener_start() (defaults:
 * FW_DNSTAP_CLIENTS_MAX, FW_DNSTAP_HANDSHAKE_MS).  A client that has not
 * finished the Frame Streams handshake (READY/ACCEPT/START, or START alone)
 * handshake_ms after it connected is closed (handshake_timeouts).  With
 * max_clients connected, a new connection closes the client still in its
 * handshake that connected first, else the client that has sent nothing
 * for the longest time if that is at least handshake_ms (evicted); if every
 * client is busy, the new connection is closed (conns_refused).  So clients
 * that connect and never speak cannot lock a DNS server out.  Returns
 * FW_OK, FW_EINVAL (started already, max_clients not in
 * 1..FW_DNSTAP_CLIENTS_LIMIT, handshake_ms < 1) or FW_ENOMEM.  Owner thread.
 */
int fw_dnstap_listener_set_limits(struct fw_dnstap_listener *l, uint32_t max_clients,
    uint32_t handshake_ms) FW_MUSTCHECK;

/* Start the serving thread.  Returns FW_OK or a negative errno. */
int fw_dnstap_listener_start(struct fw_dnstap_listener *l) FW_MUSTCHECK;

/*
 * Stop the thread (wakes it, joins it) and close client connections.
 * Records already decoded are pushed first.  No-op if not started.
 */
void fw_dnstap_listener_stop(struct fw_dnstap_listener *l);

/* Stop if needed, close the socket, unlink its path, free.  NULL is a no-op. */
void fw_dnstap_listener_close(struct fw_dnstap_listener *l);

/* Snapshot of the counters (relaxed reads).  Any thread. */
void fw_dnstap_listener_stats(const struct fw_dnstap_listener *l, struct fw_dnstap_stats *out);

#endif /* FW_DNSTAP_H */
