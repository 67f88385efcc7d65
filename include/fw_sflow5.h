/*
 * fw_sflow5.h - sFlow version 5 datagram decoder (sflow.org, sflow_version_5.txt).
 *
 * Pure function over one datagram: no state, no allocation, safe on any
 * thread as long as each thread has its own `out` and `info`.  Every flow
 * sample (standard enterprise 0, compact format 1 or expanded format 3)
 * whose packet could be identified as IPv4 or IPv6 becomes one struct
 * fw_flow; counter samples (formats 2 and 4) are counted and their generic
 * interface counter records (counter format 1) are copied into info->ifc[].
 *
 * Choices, so callers know what a record means:
 *  - Event time: sFlow carries no flow times, so start_ms = end_ms = the
 *    datagram's arrival time given by the caller.
 *  - Exporter: the agent address from the datagram header, not the UDP
 *    source, because relays and NAT change the source while the agent
 *    address names the switch that sampled.  An all-zero agent address
 *    falls back to the caller's `exporter` (when not NULL).
 *  - obs_domain is the sub-agent id.
 *  - One record per sample: pkts = sampling rate, bytes = L3 length x rate,
 *    where the L3 length is the IPv4 total length / IPv6 payload length +
 *    40 from the sampled header (or the `length` of a sampled IPv4/IPv6
 *    record); when neither is known, frame_length - stripped.
 *  - GRE: the record carries the outer header (proto 47, outer addresses,
 *    ports 0), as NetFlow/IPFIX exporters report it; the inner packet is
 *    not reported.  A GRE flood is traffic to the outer destination.
 *  - ICMP / ICMPv6: sport = type << 8 | code, dport = 0 (from a raw
 *    header).  Sampled IPv4/IPv6 records (flow formats 3/4) carry 32-bit
 *    "port or equivalent" fields: their low 16 bits are used as written.
 *  - Precedence inside a sample: the first raw header record that holds an
 *    IP packet, else the first sampled IPv4/IPv6 record.  TTL is known only
 *    from a raw header (0 otherwise).
 *  - Drops: info->drops sums the samples' drops fields; the agent reports
 *    them cumulatively per source, so rates come from differences of
 *    info->srcs[].drops between datagrams of the same agent and source.
 *  - Interfaces: in_if/out_if are the ifIndex when the interface format is
 *    0 (single ifIndex) and not 0x3fffffff (unknown); otherwise 0.
 *  - A flow sample with no IP packet in it (ARP, non-IP header protocol,
 *    only extended records) yields no record; it is counted in no_ip.
 *  - Discarded packet events (sample format 5, the sFlow drops extension:
 *    packets the switch dropped, with a reason) are rate-limited, not
 *    sampled: they carry no rate to scale by, so they yield no record; they
 *    are framed, checked and counted (discard_samples, by_type[]).  Other
 *    sample formats and vendor samples are counted by type and skipped by
 *    their length (logged, rate-limited, with enterprise and format).
 */
#ifndef FW_SFLOW5_H
#define FW_SFLOW5_H

#include <stddef.h>
#include <stdint.h>

#include "fw_err.h"
#include "fw_records.h"

#define FW_SFLOW5_MAX_SAMPLES 512  /* samples claimed per datagram, else rejected */
#define FW_SFLOW5_MAX_RECORDS 64   /* records claimed per sample, else sample rejected */
#define FW_SFLOW5_MAX_IFC     32   /* generic counter records kept per datagram */
#define FW_SFLOW5_MAX_SRCS    16   /* distinct flow-sample sources kept per datagram */

/* Sample types as counted (info->by_type[], and per format in the decoder's
 * stats): every sample the datagram frames counts once, decoded or not. */
enum fw_sflow5_sample_type {
	FW_SFLOW5_S_FLOW = 0,      /* flow sample (enterprise 0, format 1) */
	FW_SFLOW5_S_COUNTER,       /* counter sample (format 2) */
	FW_SFLOW5_S_FLOW_EXP,      /* expanded flow sample (format 3) */
	FW_SFLOW5_S_COUNTER_EXP,   /* expanded counter sample (format 4) */
	FW_SFLOW5_S_DISCARD,       /* discarded packet event (format 5, sflow_drops.txt) */
	FW_SFLOW5_S_OTHER,         /* another standard format: skipped by length */
	FW_SFLOW5_S_ENTERPRISE,    /* a vendor's format (enterprise != 0): skipped */
	FW_SFLOW5_S_N
};

/* Short stable name of a sample type ("flow", "discard", ...). */
const char *fw_sflow5_sample_type_name(enum fw_sflow5_sample_type t);

/* One generic interface counter record (counter format 1, 88 bytes). */
struct fw_sflow5_ifc {
	uint32_t source_id;        /* sample source: type << 24 | index */
	uint32_t if_index;
	uint32_t if_type;          /* IANA ifType */
	uint32_t if_direction;     /* 0 unknown, 1 full, 2 half, 3 in, 4 out */
	uint32_t if_status;        /* bit 0 admin up, bit 1 oper up */
	uint32_t in_ucast_pkts;
	uint32_t in_discards;
	uint32_t in_errors;
	uint32_t out_ucast_pkts;
	uint32_t out_discards;
	uint32_t out_errors;
	uint32_t pad;
	uint64_t if_speed;         /* bits per second */
	uint64_t in_octets;
	uint64_t out_octets;
};

/* Last state of one flow-sample source (for sequence-gap and drop metrics). */
struct fw_sflow5_src {
	uint32_t source_id;        /* type << 24 | index (expanded form folded in) */
	uint32_t sample_seq;       /* sequence number of the last sample seen */
	uint32_t sample_pool;      /* packets that could have been sampled */
	uint32_t drops;            /* cumulative drops the agent reports */
};

/* Facts about one datagram.  Filled by every call (also on error, as far
 * as decoding got).  Caller-owned; reused per datagram. */
struct fw_sflow5_info {
	struct fw_addr agent;      /* agent address (IPv4-mapped or IPv6) */
	uint32_t agent_af;         /* 1 = IPv4, 2 = IPv6, 0 = not read */
	uint32_t sub_agent_id;
	uint32_t seq;              /* datagram sequence number */
	uint32_t uptime_ms;        /* agent uptime */
	uint32_t samples;          /* samples the header claims */
	uint32_t flow_samples;     /* flow samples decoded (format 1 and 3) */
	uint32_t counter_samples;  /* counter samples decoded (format 2 and 4) */
	uint32_t other_samples;    /* other formats / enterprises, skipped by length */
	uint32_t discard_samples;  /* discarded packet events decoded (format 5) */
	uint32_t by_type[FW_SFLOW5_S_N];  /* samples framed, by type */
	uint32_t bad_samples;      /* samples rejected: truncated, malformed, over caps */
	uint32_t bad_records;      /* records inside good samples that were malformed */
	uint32_t skipped_records;  /* unknown record formats skipped by length */
	uint32_t enterprise_records; /* of those, vendor formats (enterprise != 0) */
	uint32_t no_ip;            /* flow samples with no IP packet: no record */
	uint32_t out_full;         /* records lost because `out` was full */
	uint32_t generic_counters; /* generic interface counter records seen */
	uint32_t ifc_dropped;      /* of those, not kept: ifc[] full */
	uint64_t drops;            /* sum of flow samples' drops fields */
	uint32_t n_ifc;            /* entries of ifc[] used */
	uint32_t n_srcs;           /* entries of srcs[] used */
	uint32_t srcs_dropped;     /* flow samples whose source did not fit in srcs[] */
	uint32_t pad;
	struct fw_sflow5_src srcs[FW_SFLOW5_MAX_SRCS];
	struct fw_sflow5_ifc ifc[FW_SFLOW5_MAX_IFC];
};

/*
 * Decode one sFlow v5 datagram into out[0..max).  `exporter` (may be NULL)
 * is the UDP source, used only when the agent address is all zeros;
 * `arrival_ms` stamps every record; `info` (required) receives the header,
 * counters and counter records.
 *
 * Returns the number of records written (>= 0), or for a datagram rejected
 * whole: FW_ETRUNC (shorter than its header), FW_EMALFORMED (version not 5,
 * unknown agent address type, more than FW_SFLOW5_MAX_SAMPLES samples),
 * FW_EINVAL (info NULL, or out NULL with max > 0).  Problems inside a
 * sample are counted in info and decoding goes on with the next sample
 * when its length allows; a sample running past the datagram ends
 * decoding, keeping the records before it.  Never reads past len.
 */
int fw_sflow5_decode(const uint8_t *buf, size_t len, const struct fw_addr *exporter,
    int64_t arrival_ms, struct fw_flow *out, size_t max, struct fw_sflow5_info *info) FW_MUSTCHECK;

#endif /* FW_SFLOW5_H */
