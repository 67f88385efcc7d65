/*
 * fw_dnstcp.h - DNS messages out of TCP segments (RFC 1035 4.2.2, RFC 7766):
 * each message carries a 2-byte length prefix; a message may be split over
 * several segments and one segment may hold several messages.  For the
 * packet readers (capture replay and NFLOG), after fw_ipfrag.
 *
 * Only segments to or from port 53.  Each direction of a connection is a
 * flow of its own (queries one way, responses the other), kept in a fixed
 * table (least recently used evicted when full, idle flows timed out on
 * packet time).  A flow remembers the next sequence number and the message
 * being read; of a message split over segments it keeps the first
 * FW_DNSTCP_KEEP bytes (header and question, what the detector needs) and
 * skips the rest, so a 64 KB zone transfer costs no more than a query.  A
 * message wholly inside one segment is handed over in place, whole.
 *
 * Out of order or lost data is handled simply: a retransmitted part is
 * skipped; a gap drops the message being read (counted) and the flow
 * waits for a segment that starts with a plausible length prefix and DNS
 * header before it reads again (as it does when a capture starts in the
 * middle of a connection).
 *
 * Threading: one table per packet-reading thread, no locks; nothing
 * allocates after fw_dnstcp_new().
 */
#ifndef FW_DNSTCP_H
#define FW_DNSTCP_H

#include <stddef.h>
#include <stdint.h>

#include "fw_err.h"
#include "fw_pkt.h"

#define FW_DNSTCP_KEEP 1024          /* bytes kept of a message split over segments */
#define FW_DNSTCP_FLOWS 1024         /* default flows (dns.tcp_flows) */
#define FW_DNSTCP_IDLE_MS 60000      /* default idle timeout (dns.tcp_idle_timeout_ms) */

/* Why data was dropped: names are stable (metrics). */
enum fw_dnstcp_drop {
	FW_DNSTCP_DROP_GAP = 0,      /* segments after missing data (message being read lost) */
	FW_DNSTCP_DROP_UNSYNCED,     /* segments skipped: no message boundary known */
	FW_DNSTCP_DROP_BAD_LENGTH,   /* length prefixes under a DNS header (12): flow resyncs */
	FW_DNSTCP_DROP_EVICTED,      /* flows dropped to make room (table full) */
	FW_DNSTCP_DROP_TIMEOUT,      /* flows idle past the timeout inside a message */
	FW_DNSTCP_DROP_INCOMPLETE,   /* messages cut by FIN, RST or the end of input */
	FW_DNSTCP_DROP_N
};

struct fw_dnstcp_stats {
	uint64_t segments;         /* TCP segments to or from port 53 */
	uint64_t messages;         /* DNS messages handed over */
	uint64_t clipped;          /* ... of them cut to FW_DNSTCP_KEEP bytes */
	uint64_t retransmits;      /* segments (or their front) seen before: skipped */
	uint64_t drops[FW_DNSTCP_DROP_N];
};

/*
 * One DNS message (no length prefix) in a fw_udp: addresses and ports of
 * its segment, payload/len the message (or its first FW_DNSTCP_KEEP bytes:
 * a parser then sees it cut short after its question).  Borrowed: valid
 * during the call only.
 */
typedef void fw_dnstcp_fn(void *ctx, const struct fw_udp *msg);

struct fw_dnstcp;

/* A table of `flows` flows (1..2^20), idle timeout in ms (>= 1).
 * FW_OK, FW_EINVAL or FW_ENOMEM. */
int fw_dnstcp_new(size_t flows, int64_t idle_ms, struct fw_dnstcp **out) FW_MUSTCHECK;
void fw_dnstcp_free(struct fw_dnstcp *t);

/* Bytes the table holds (its budget, allocated once). */
size_t fw_dnstcp_bytes(const struct fw_dnstcp *t);

/*
 * Offer one TCP packet (ip->proto 6, l4_err FW_OK; a reassembled datagram
 * too) seen at now_ms; fn is called for each DNS message it completes, in
 * stream order.  Returns the messages completed (>= 0), FW_EUNSUPPORTED
 * when neither port is 53 (not counted), or FW_ETRUNC / FW_EMALFORMED for
 * a broken TCP header (not counted here: the caller counts bad frames).
 */
int fw_dnstcp_add(struct fw_dnstcp *t, const struct fw_pkt_l3 *ip, int64_t now_ms,
    fw_dnstcp_fn *fn, void *ctx) FW_MUSTCHECK;

/* End of input: count messages still being read as incomplete, empty the table. */
void fw_dnstcp_flush(struct fw_dnstcp *t);

const struct fw_dnstcp_stats *fw_dnstcp_stats(const struct fw_dnstcp *t);

/* Stable name of a drop reason ("gap", "evicted", ...). */
const char *fw_dnstcp_drop_name(enum fw_dnstcp_drop d);

#endif /* FW_DNSTCP_H */
