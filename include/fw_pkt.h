/*
 * fw_pkt.h - the collector's one L2/L3 dissector: what the network and
 * transport headers of a captured frame or a sampled packet header say
 * (fw_pkt_l3, used by sFlow for its raw packet headers), the UDP datagram
 * inside a captured frame (fw_pkt_udp, for replay and NFLOG), and what a
 * UDP payload is by its content (never by port).
 *
 * Pure functions, no allocation; returned pointers point into the caller's
 * frame.
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

/* What the headers of one packet say.  Filled as far as the bytes go. */
struct fw_pkt_l3 {
	struct fw_addr src;
	struct fw_addr dst;
	uint32_t l3_len;          /* IPv4 total length, IPv6 payload length + 40; 0: jumbogram */
	uint16_t sport;           /* TCP/UDP/SCTP; ICMP (ICMPv6 in IPv6): type << 8 | code */
	uint16_t dport;           /* TCP/UDP/SCTP */
	uint8_t version;          /* 4 or 6 */
	uint8_t hdr_len;          /* IPv4 IHL x 4; IPv6 40 */
	uint8_t proto;            /* IPv4 protocol; IPv6 the header after the extension
	                           * chain, or the last one read when the chain is cut */
	uint8_t ttl;              /* TTL or hop limit */
	uint8_t tos;              /* IPv4 ToS, IPv6 traffic class */
	uint8_t tcp_flags;        /* TCP only, when the header holds them */
	int l4_err;               /* FW_OK: l4 is the transport header; FW_ETRUNC: cut
	                           * before it; FW_EUNSUPPORTED: a later fragment;
	                           * FW_EMALFORMED: over 8 IPv6 extension headers */
	const uint8_t *l4;        /* transport header onward, trimmed to the IP length */
	size_t l4_len;
	/* Fragments (IPv4 MF or offset, an IPv6 fragment header): what
	 * fw_ipfrag needs to put the datagram together. */
	uint8_t frag;             /* 1: this packet is a fragment */
	uint8_t frag_more;        /* more fragments follow (MF / M) */
	uint16_t frag_off;        /* offset of frag_data in the datagram, bytes */
	uint32_t frag_id;         /* IPv4 identification or IPv6 fragment id */
	const uint8_t *frag_data; /* fragmentable part: after the IPv4 header, or
	                           * after the IPv6 fragment header */
	size_t frag_len;          /* its bytes present (trimmed to the IP length) */
	uint8_t frag_cut;         /* 1: the capture holds fewer bytes than the IP length says */
};

/*
 * Dissect a frame: FW_LINK_ETHERNET (up to 4 802.1Q/802.1ad tags, LLC/SNAP,
 * an MPLS label stack of up to 8 labels over IP or over an Ethernet
 * pseudowire with its control word, one level deep), FW_LINK_IPV4 / FW_LINK_IPV6
 * (that version only) or FW_LINK_RAW (either, by the version nibble).  IPv6
 * extension headers walked: hop-by-hop, routing, destination options,
 * fragment, AH, mobility, HIP, shim6.  GRE and other tunnels: the outer
 * header only.  Also the link types of fw_pkt_udp() (Linux cooked v1/v2,
 * NFLOG, BSD null/loopback).  Returns FW_OK when the IP header was read (src, dst, proto,
 * ttl, tos, l3_len valid; the transport fields as far as l4_err says), else
 * FW_ETRUNC, FW_EMALFORMED or FW_EUNSUPPORTED (not IP, unknown link type).
 */
int fw_pkt_l3(int linktype, const uint8_t *frame, size_t caplen, struct fw_pkt_l3 *out) FW_MUSTCHECK;

/*
 * Find the UDP datagram in a frame of the given link type.  Returns FW_OK,
 * FW_EUNSUPPORTED (not IP/UDP, a later fragment, unknown link type),
 * FW_ETRUNC or FW_EMALFORMED.
 */
int fw_pkt_udp(int linktype, const uint8_t *frame, size_t caplen, struct fw_udp *out) FW_MUSTCHECK;

/*
 * The UDP datagram of a packet fw_pkt_l3() dissected (rc: what it
 * returned), with fw_pkt_udp()'s codes; for a datagram put together from
 * fragments (fw_ipfrag.h) as for a whole one.
 */
int fw_pkt_udp_of(const struct fw_pkt_l3 *ip, int rc, struct fw_udp *out) FW_MUSTCHECK;

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
