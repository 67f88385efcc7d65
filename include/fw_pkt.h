/*
 * fw_pkt.h - find the UDP datagram inside a captured frame, and recognise
 * what the UDP payload is by its content (never by port).
 *
 * Used by replay (pcap/pcapng) and by the NFLOG collector.  Pure functions,
 * no allocation; the returned payload points into the caller's frame.
 */
#ifndef FW_PKT_H
#define FW_PKT_H

#include <stddef.h>
#include <stdint.h>

#include "fw_addr.h"
#include "fw_err.h"
#include "fw_records.h"

/* libpcap LINKTYPE_ values we handle. */
#define FW_LINK_NULL       0
#define FW_LINK_ETHERNET   1
#define FW_LINK_RAW        101
#define FW_LINK_RAW_ALT    12   /* DLT_RAW on some BSDs; same content */
#define FW_LINK_LOOP       108
#define FW_LINK_LINUX_SLL  113
#define FW_LINK_IPV4       228
#define FW_LINK_IPV6       229
#define FW_LINK_NFLOG      239
#define FW_LINK_LINUX_SLL2 276

struct fw_udp {
	struct fw_addr src;
	struct fw_addr dst;
	uint16_t sport;
	uint16_t dport;
	uint8_t ttl;              /* IPv4 TTL or IPv6 hop limit */
	const uint8_t *payload;   /* into the frame */
	size_t len;               /* payload bytes present (capped by capture) */
};

/*
 * Find the UDP datagram in a frame of the given link type.  Returns FW_OK,
 * FW_EUNSUPPORTED (not IP/UDP, a later fragment, unknown link type),
 * FW_ETRUNC or FW_EMALFORMED.
 */
int fw_pkt_udp(int linktype, const uint8_t *frame, size_t caplen, struct fw_udp *out) FW_MUSTCHECK;

/* Network layer only: frame starts at an IPv4 or IPv6 header. */
int fw_pkt_udp_ip(const uint8_t *ip, size_t len, struct fw_udp *out) FW_MUSTCHECK;

enum fw_payload_kind {
	FW_PAYLOAD_UNKNOWN = 0,
	FW_PAYLOAD_NF5,
	FW_PAYLOAD_NF9,
	FW_PAYLOAD_IPFIX,
	FW_PAYLOAD_SFLOW5,
	FW_PAYLOAD_DNS,
	FW_PAYLOAD_KINDS
};

/* What a UDP payload holds, judged by its structure alone. */
enum fw_payload_kind fw_pkt_sniff(const uint8_t *p, size_t len);

/* Short stable name of a payload kind ("nf5", "dns", ...). */
const char *fw_pkt_kind_name(enum fw_payload_kind kind);

#endif /* FW_PKT_H */
