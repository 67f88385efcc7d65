/*
 * fw_decode.h - one datagram in, normalised records out, whatever the
 * format: recognises the UDP payload by content (fw_pkt_sniff) and calls
 * the matching decoder.  Keeps the per-thread decoder state (template
 * caches come with the flow-collector issue) and the counters that the
 * replay summary and /metrics report.
 *
 * Threading: one fw_decoder per producer thread; no locks.
 */
#ifndef FW_DECODE_H
#define FW_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fw_config.h"
#include "fw_err.h"
#include "fw_pkt.h"
#include "fw_prefix.h"
#include "fw_tmpl.h"
#include "fw_records.h"
#include "fw_sflow5.h"

/*
 * Drops counted per payload kind.  Most count datagrams rejected whole (by
 * the decoder's return code); FW_DERR_IMPLAUSIBLE and FW_DERR_ZERO_DST count
 * flow records (fw_flow_plausible); two come from inside NetFlow v9/IPFIX
 * datagrams that were otherwise decoded, so a datagram can add to them
 * more than once:
 *   FW_DERR_NOTEMPLATE  data sets dropped because their template never came
 *                       (template decoder reason FW_DEC_UNDECODABLE: pending
 *                       buffer off, full, or timed out), plus FW_ENOTEMPLATE
 *   FW_DERR_TMPL_FULL   templates refused: the template cache is full
 *                       (FW_DEC_TMPL_FULL); their data will be no_template
 */
enum fw_derr {
	FW_DERR_TRUNC = 0,     /* FW_ETRUNC */
	FW_DERR_MALFORMED,     /* FW_EMALFORMED */
	FW_DERR_NOTEMPLATE,    /* data sets: template never came (above) */
	FW_DERR_UNSUPPORTED,   /* FW_EUNSUPPORTED: recognised, not decoded */
	FW_DERR_TMPL_FULL,     /* templates refused, cache full (above) */
	FW_DERR_OTHER,
	FW_DERR_IMPLAUSIBLE,   /* flow records: counters no link could carry (below) */
	FW_DERR_ZERO_DST,      /* flow records: all-zero destination address */
	FW_DERR_N
};

/* Most records one datagram can yield (NetFlow v5: 30; others capped). */
#define FW_DECODE_MAX_FLOWS 512

struct fw_decode_stats {
	uint64_t datagrams[FW_PAYLOAD_KINDS];     /* by recognised kind */
	uint64_t records[FW_PAYLOAD_KINDS];       /* records produced */
	uint64_t errors[FW_PAYLOAD_KINDS][FW_DERR_N];
	/* NetFlow v9 / IPFIX: every template decoder reason (fw_tmpl.h), by
	 * the kind of the datagram being decoded when it was counted (a pending
	 * set timed out by the expiry sweep counts under the kind of the
	 * datagram that ran the sweep) */
	uint64_t tmpl[FW_PAYLOAD_KINDS][FW_DEC_NREASONS];
	/* sFlow: samples by type (discarded packet events, unknown and vendor
	 * samples included: none is skipped unseen) and records skipped */
	uint64_t sflow_samples[FW_SFLOW5_S_N];
	uint64_t sflow_records_skipped;     /* record formats not used, by length */
	uint64_t sflow_records_enterprise;  /* of those, vendor formats */
};

struct fw_decoder;

int fw_decoder_new(const struct fw_config *cfg, struct fw_decoder **out) FW_MUSTCHECK;
void fw_decoder_free(struct fw_decoder *d);

/*
 * Decode one UDP datagram (u->payload, u->len) that arrived at arrival_ms.
 * Flow records go to flows[0..maxflows), DNS records to dns[0..maxdns);
 * *nflows and *ndns say how many were written.  Returns the payload kind.
 * Errors are counted in the stats and logged rate-limited, never returned.
 */
enum fw_payload_kind fw_decoder_udp(struct fw_decoder *d, const struct fw_udp *u,
    int64_t arrival_ms, struct fw_flow *flows, size_t maxflows, size_t *nflows,
    struct fw_dnsq *dns, size_t maxdns, size_t *ndns);

/*
 * Decode one DNS message known to be one (from a TCP stream, fw_dnstcp.h:
 * msg->payload without its length prefix) into out[0..max); flags are
 * ORed into the record (FW_DNSQ_F_TCP).  Counted as a DNS datagram; returns
 * the records written (0 or 1), errors counted like fw_decoder_udp()'s.
 */
size_t fw_decoder_dns(struct fw_decoder *d, const struct fw_udp *msg, int64_t at_ms, uint8_t flags,
    struct fw_dnsq *out, size_t max);

/*
 * End of input: data sets still waiting for their template will never be
 * decoded; count them as FW_DERR_NOTEMPLATE (and the template reason
 * undecodable) under their own format, NetFlow v9 or IPFIX.  Replay and
 * dump call it after the last file.  Same thread as fw_decoder_udp().
 */
void fw_decoder_flush(struct fw_decoder *d);

const struct fw_decode_stats *fw_decoder_stats(const struct fw_decoder *d);

/* The decoder's NetFlow v9/IPFIX template cache (persistence, exporters). */
struct fw_tmpl_cache *fw_decoder_templates(struct fw_decoder *d);

/* sFlow agents and their latest generic interface counters. */
#define FW_SFLOW_IF_MAX 1024
struct fw_sflow_agent {
	struct fw_addr addr;       /* agent address */
	uint32_t sub_agent;
	uint32_t next_seq;         /* datagram sequence expected next */
	uint8_t seq_valid;
	uint64_t datagrams;
	uint64_t flow_samples;
	uint64_t counter_samples;
	uint64_t bad_samples;
	uint64_t discard_samples;  /* discarded packet events (no record) */
	uint64_t other_samples;    /* other and vendor sample types, skipped */
	uint64_t seq_lost;         /* datagrams missing from the sequence */
	uint64_t drops;            /* highest drop count the agent reported */
	int64_t last_seen_ms;
};
struct fw_sflow_if {
	struct fw_addr agent;
	uint32_t if_index;
	int64_t at_ms;             /* when these counters arrived */
	struct fw_sflow5_ifc c;    /* the agent's latest generic counters */
};
/* Borrowed views, valid until the decoder's next datagram (same thread). */
size_t fw_decoder_sflow_agents(const struct fw_decoder *d, const struct fw_sflow_agent **out);
size_t fw_decoder_sflow_ifs(const struct fw_decoder *d, const struct fw_sflow_if **out);

/*
 * Counter plausibility of one flow record (packets and bytes after
 * sampling, which keeps their ratio): false when it claims fewer than 20
 * bytes a packet (no IP header is shorter), more than 65535 (no IP packet
 * is longer), packets without bytes, or more bytes than FW_MAX_LINK_BPS
 * carries over its duration (at least a second).  A record of neither
 * packets nor bytes is plausible (and counts nothing).
 */
#define FW_MAX_LINK_BPS 4e12       /* 4 Tbit/s: more than any one interface (or bundle) carries */
bool fw_flow_plausible(const struct fw_flow *f);

/*
 * What the decoder learns per flow exporter (datagram source address and
 * format): records, records dropped, and a decaying histogram of record
 * durations (end - start) in 1/8-octave buckets from 16 ms to 9 h, from
 * which fw_flow_profile_duration_ms() reads quantiles: an exporter with a
 * 60 s active timeout shows a p99 of about 60 s.
 */
#define FW_DUR_BUCKETS 169
struct fw_flow_profile {
	struct fw_addr addr;       /* exporter (datagram source) */
	uint8_t kind;              /* enum fw_payload_kind */
	uint64_t records;          /* flow records decoded (kept or dropped) */
	uint64_t implausible;      /* dropped: implausible counters */
	uint64_t zero_dst;         /* dropped: all-zero destination */
	uint32_t dur_n;            /* sum of dur[] (halved with it past 2^20) */
	uint32_t dur[FW_DUR_BUCKETS];     /* records per bucket */
	uint64_t dur_ms[FW_DUR_BUCKETS];  /* ... and the sum of their durations */
};
/* Borrowed view, valid until the decoder's next datagram (same thread). */
size_t fw_decoder_flow_profiles(const struct fw_decoder *d, const struct fw_flow_profile **out);
/* Duration (ms) at quantile q (0..1) of the exporter's records: the mean of
 * the records in the bucket holding it (exact for durations that cluster,
 * as active timeouts do); 0 when no record was seen. */
int64_t fw_flow_profile_duration_ms(const struct fw_flow_profile *p, double q);

/* Check the decoder's keys (flow.sampling_override); a fw_config_check_fn. */
int fw_decode_check_config(const struct fw_config *cfg, char *err, size_t errlen) FW_MUSTCHECK;

/* Parse flow.sampling_override ("PREFIX=RATE,..."). FW_OK or FW_EINVAL + err. */
int fw_sampling_override_parse(const char *text, struct fw_prefix_list *pl, uint32_t *rates,
    char *err, size_t errlen) FW_MUSTCHECK;

/* Add b's counters into a. */
void fw_decode_stats_add(struct fw_decode_stats *a, const struct fw_decode_stats *b);

/* Name of an error class ("truncated", ...). */
const char *fw_derr_name(enum fw_derr e);

#endif /* FW_DECODE_H */
