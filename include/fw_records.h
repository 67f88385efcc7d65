/*
 * fw_records.h - the value types that cross rings: flow records, DNS query
 * records and alert events.  Fixed size, no pointers, so a ring slot is a
 * plain copy.  Types only; functions live in the modules that use them.
 *
 * Addresses are 16 bytes in network order: IPv6 as is, IPv4 as an
 * IPv4-mapped IPv6 address (::ffff:a.b.c.d), so one compare covers both.
 * Times are milliseconds since the Unix epoch (UTC).
 */
#ifndef FW_RECORDS_H
#define FW_RECORDS_H

#include <stddef.h>
#include <stdint.h>

struct fw_addr {
	uint8_t b[16];
};

/* Where a flow record came from. */
enum fw_flow_src {
	FW_SRC_NF5 = 1,
	FW_SRC_NF9,
	FW_SRC_IPFIX,
	FW_SRC_SFLOW,
};

/* One normalised flow: packets and bytes already multiplied by sampling. */
struct fw_flow {
	int64_t start_ms;          /* first packet of the flow */
	int64_t end_ms;            /* last packet; event time of the record */
	uint64_t pkts;             /* packets, sampling applied */
	uint64_t bytes;            /* L3 bytes, sampling applied */
	struct fw_addr src;        /* source address */
	struct fw_addr dst;        /* destination address */
	struct fw_addr exporter;   /* router/agent that sent the datagram */
	uint32_t obs_domain;       /* v9 source id / IPFIX domain / sFlow sub-agent */
	uint32_t sampling;         /* 1-in-N rate applied; 0 = unknown (treated as 1) */
	uint32_t in_if;            /* input ifindex */
	uint32_t out_if;           /* output ifindex */
	uint16_t sport;            /* source port (ICMP: type << 8 | code) */
	uint16_t dport;            /* destination port */
	uint8_t proto;             /* IP protocol number */
	uint8_t tcp_flags;         /* OR of TCP flags seen */
	uint8_t tos;               /* IP ToS / traffic class */
	uint8_t ttl;               /* TTL / hop limit when known, else 0 */
	uint8_t source;            /* enum fw_flow_src */
	uint8_t pad[23];
};
_Static_assert(sizeof(struct fw_flow) == 128, "fw_flow is two cache lines");

enum fw_dns_src {
	FW_DNS_QUERYLOG = 1,
	FW_DNS_DNSTAP,
	FW_DNS_NFLOG,
	FW_DNS_PCAP,
};

#define FW_QNAME_MAX 255  /* presentation form, no trailing dot */
#define FW_RCODE_NONE 0xff  /* query only: no response seen */

#define FW_DNSQ_F_RESPONSE 0x01  /* record describes a response */
#define FW_DNSQ_F_TCP      0x02  /* carried over TCP */
#define FW_DNSQ_F_RELAYED  0x04  /* the server asked on its clients' behalf (dnstap resolver or
                                  * forwarder messages): client is the server, not a client */

/* One DNS query (or response) event. */
struct fw_dnsq {
	int64_t time_ms;           /* query time (response time for responses) */
	struct fw_addr client;     /* who asked */
	struct fw_addr server;     /* who was asked */
	uint16_t qtype;            /* query type (1 = A, 28 = AAAA, ...) */
	uint8_t rcode;             /* response code or FW_RCODE_NONE */
	uint8_t flags;             /* FW_DNSQ_F_* */
	uint8_t source;            /* enum fw_dns_src */
	uint8_t qname_len;         /* bytes used in qname */
	char qname[FW_QNAME_MAX + 1]; /* lower-cased, no trailing dot, NUL-terminated */
	uint8_t pad[2];
};
_Static_assert(sizeof(struct fw_dnsq) == 304, "fw_dnsq size is part of ring layout");

/* Attack vectors: names are stable API (DESIGN.md contract 6). */
enum fw_vector {
	FW_VEC_VOLUMETRIC = 0,
	FW_VEC_UDP_FLOOD,
	FW_VEC_SYN_FLOOD,
	FW_VEC_ACK_FLOOD,
	FW_VEC_GRE_FLOOD,
	FW_VEC_ICMP_FLOOD,
	FW_VEC_DNS_FLOOD,
	FW_VEC_DNS_WATER_TORTURE,
	FW_VEC_DNS_AMPLIFICATION,
	FW_VEC_NTP_AMPLIFICATION,
	FW_VEC_MEMCACHED_AMPLIFICATION,
	FW_VEC_SSDP_AMPLIFICATION,
	FW_VEC_COUNT
};

enum fw_alert_event {
	FW_EV_START = 1,
	FW_EV_UPDATE,
	FW_EV_END,
};

/* Why an alert ended (every end event carries one; names are stable API). */
enum fw_end_reason {
	FW_END_NONE = 0,           /* not an end event */
	FW_END_QUIET,              /* "quiet": end_windows calm windows in a row */
	FW_END_END_OF_INPUT,       /* "end_of_input": replay ran out of records first */
	FW_END_SHUTDOWN,           /* "shutdown": the daemon stopped (SIGTERM/SIGINT) */
	FW_END_RESTART,            /* "restart": found open at start (kill -9, crash) */
};

#define FW_VICTIM_MAX   64
#define FW_EVIDENCE_MAX 3072
#define FW_ALERT_ID_LEN 16

/* One alert event (start, update or end) from the detector to the sinks. */
struct fw_alert_ev {
	char id[FW_ALERT_ID_LEN + 1];  /* stable alert id, 16 hex digits */
	uint8_t event;             /* enum fw_alert_event */
	uint8_t vector;            /* enum fw_vector */
	uint8_t severity;          /* 1 low .. 3 high */
	uint8_t reason;            /* enum fw_end_reason; FW_END_NONE unless event is FW_EV_END */
	uint8_t pad[3];
	uint32_t seq;              /* per-alert event sequence, from 1 */
	int64_t started_ms;
	int64_t updated_ms;
	int64_t ended_ms;          /* 0 while active */
	double peak_pps;
	double peak_bps;
	double peak_qps;
	double cur_pps;
	double cur_bps;
	double cur_qps;
	char victim[FW_VICTIM_MAX];      /* address, prefix or zone as text */
	char evidence[FW_EVIDENCE_MAX];  /* JSON object text */
};

#endif /* FW_RECORDS_H */
