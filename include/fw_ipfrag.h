/*
 * fw_ipfrag.h - IPv4 and IPv6 fragment reassembly for the packet readers
 * (capture replay and NFLOG): large DNS responses (DNSSEC, amplification)
 * are exactly the ones that arrive in fragments.
 *
 * Input is a packet fw_pkt_l3() dissected.  A whole packet passes through;
 * a fragment is held until its datagram is complete, which then comes out
 * as a fw_pkt_l3 whose transport header and payload (l4, l4_len) lie in the
 * table's own buffer.  Only UDP and TCP datagrams are put together.
 *
 * Bounds (hostile input must not grow memory or work): a fixed number of
 * datagrams in progress, each with a fixed buffer (FW_IPFRAG_MAX_BYTES of
 * transport data) and at most FW_IPFRAG_MAX_FRAGS fragments, all allocated
 * by fw_ipfrag_new(); nothing allocates afterwards.  A datagram not
 * complete within the timeout (on packet time) is dropped; a new datagram
 * that finds the table full evicts the oldest one.  Defences, each counted:
 * overlapping fragments drop the whole datagram (teardrop and the overlap
 * tricks: RFC 5722 for IPv6, applied to IPv4 alike; exact duplicates are
 * ignored); a first fragment too short for its transport header, and a
 * TCP fragment at offset 8 (RFC 1858 tiny-fragment attacks), are dropped;
 * lengths that break the rules (not a multiple of 8 before the end, data
 * past the end, a second end) drop the datagram.
 *
 * Threading: one table per packet-reading thread, no locks.
 */
#ifndef FW_IPFRAG_H
#define FW_IPFRAG_H

#include <stddef.h>
#include <stdint.h>

#include "fw_err.h"
#include "fw_pkt.h"

#define FW_IPFRAG_MAX_BYTES 65535  /* transport bytes of one datagram */
#define FW_IPFRAG_MAX_FRAGS 64     /* fragments of one datagram */
#define FW_IPFRAG_SLOTS 64         /* default datagrams in progress (dns.reassembly_slots) */
#define FW_IPFRAG_TIMEOUT_MS 30000 /* default (dns.reassembly_timeout_ms), as Linux */

/* Why fragments or datagrams were dropped: names are stable (metrics). */
enum fw_ipfrag_drop {
	FW_IPFRAG_DROP_TIMEOUT = 0,  /* datagrams: incomplete at the timeout */
	FW_IPFRAG_DROP_EVICTED,      /* datagrams: the oldest, to make room (table full) */
	FW_IPFRAG_DROP_OVERLAP,      /* datagrams: fragments overlap (teardrop, RFC 5722) */
	FW_IPFRAG_DROP_TINY,         /* fragments: RFC 1858 tiny first fragment / TCP offset 8 */
	FW_IPFRAG_DROP_TOO_BIG,      /* datagrams: over FW_IPFRAG_MAX_BYTES */
	FW_IPFRAG_DROP_TOO_MANY,     /* datagrams: over FW_IPFRAG_MAX_FRAGS fragments */
	FW_IPFRAG_DROP_MALFORMED,    /* datagrams: bad length, a second last fragment */
	FW_IPFRAG_DROP_INCOMPLETE,   /* datagrams: still incomplete at the end of input */
	FW_IPFRAG_DROP_N
};

struct fw_ipfrag_stats {
	uint64_t fragments;        /* fragments offered */
	uint64_t reassembled;      /* datagrams put together */
	uint64_t duplicates;       /* fragments seen twice (ignored) */
	uint64_t other_proto;      /* fragments of neither UDP nor TCP (not kept) */
	uint64_t drops[FW_IPFRAG_DROP_N];
};

struct fw_ipfrag;

/*
 * A table for `slots` datagrams in progress (>= 1) and a timeout in ms of
 * packet time (>= 1).  FW_OK, FW_EINVAL or FW_ENOMEM.  Memory:
 * fw_ipfrag_bytes().
 */
int fw_ipfrag_new(size_t slots, int64_t timeout_ms, struct fw_ipfrag **out) FW_MUSTCHECK;
void fw_ipfrag_free(struct fw_ipfrag *f);

/* Bytes the table holds (its budget, allocated once). */
size_t fw_ipfrag_bytes(const struct fw_ipfrag *f);

/*
 * Offer one dissected packet (fw_pkt_l3() returned FW_OK) seen at now_ms.
 * Returns 1 when *ip is ready for the transport layer: not a fragment
 * (untouched), or the fragment that completed its datagram (*ip rewritten:
 * l4/l4_len point into the table, valid until the next call, l4_err FW_OK,
 * frag 0); 0 when the fragment is held; a negative FW_ code when it was
 * dropped (counted).  Times out datagrams older than the timeout first.
 */
int fw_ipfrag_add(struct fw_ipfrag *f, struct fw_pkt_l3 *ip, int64_t now_ms) FW_MUSTCHECK;

/* End of input: count what is still waiting as incomplete, empty the table. */
void fw_ipfrag_flush(struct fw_ipfrag *f);

const struct fw_ipfrag_stats *fw_ipfrag_stats(const struct fw_ipfrag *f);

/* Stable name of a drop reason ("timeout", "overlap", ...). */
const char *fw_ipfrag_drop_name(enum fw_ipfrag_drop d);

#endif /* FW_IPFRAG_H */
