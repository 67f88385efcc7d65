/*
 * fw_tmpl.h - template cache shared by the NetFlow v9 and IPFIX decoders.
 *
 * NetFlow v9 (RFC 3954) and IPFIX (RFC 7011) datagrams carry templates that
 * say how later data records are laid out.  The cache keeps them, keyed by
 * (protocol version, exporter address, source id / observation domain,
 * template id), with a capacity fixed at creation; it never grows.
 *
 * Hostile exporters (NetFlow and IPFIX over UDP are trivially spoofed) must
 * not blind the collector, so the cache:
 *  - caps the templates one exporter address holds, over all its source ids
 *    and versions (max_templates_per_exporter): more are refused, counted as
 *    FW_DEC_TMPL_QUOTA and logged;
 *  - when full, evicts to make room: first templates never used for data
 *    (oldest definition first), then the template least recently used for
 *    data; counted (FW_DEC_TMPL_EVICTED, against the evicted template's
 *    exporter) and logged;
 *  - keeps each (exporter, domain, kind) group's templates on a list, so an
 *    IPFIX "withdraw all" costs the templates it removes, not a cache scan;
 *  - counts (FW_DEC_TMPL_REDEFINED) and logs a redefinition (same id,
 *    different fields), and keeps the old template when the new definition
 *    is refused;
 *  - persists only templates that data has been decoded with.
 *
 * Each template is validated and compiled once, when it arrives, into an
 * offset table (field -> offset, length, kind).  A data record is then
 * decoded by walking that table, without re-reading the template.
 *
 * Data records become struct fw_flow; two export forms give more or other
 * than one flow per record:
 *  - RFC 5103 biflows (reverse elements, enterprise 29305: YAF, ipfixprobe)
 *    give two records, the forward flow and, when its reverse counters are
 *    not zero, the reverse one (addresses, ports and interfaces swapped,
 *    reverse counters and TCP flags, same times and sampling);
 *  - PSAMP packet reports (RFC 5476/5477): a record with a dataLinkFrameSection
 *    (315), ipHeaderPacketSection (313) or mplsPayloadPacketSection (317)
 *    is one sampled packet; its headers go through fw_pkt_l3() (pkt.c) and
 *    fill what the record does not state; packets 1 and bytes its IP length
 *    (else ipTotalLength 224/190, else dataLinkFrameSize 312) unless the
 *    record has counters, both times the sampling rate in force.  A report
 *    whose packet is not IP and has no addresses is counted
 *    (FW_DEC_SECTION) and yields nothing.
 *
 * Besides templates the cache holds, all with fixed capacity:
 *  - sampling rates learnt from options data, keyed by exporter + domain +
 *    sampler id, applied to that exporter's data records;
 *  - per-exporter state and counters (struct fw_flow_exporter);
 *  - a small buffer of data sets that arrived before their template: a few
 *    datagram-sized copies made at creation (no malloc per packet), decoded
 *    when the template comes, counted as undecodable when evicted or stale.
 *
 * Threads: a cache belongs to one collector thread; nothing here locks.
 * Ownership: fw_tmpl_cache_new() allocates everything; fw_tmpl_cache_free()
 * releases it.
 */
#ifndef FW_TMPL_H
#define FW_TMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fw_err.h"
#include "fw_records.h"

#define FW_TMPL_MAX_FIELDS 128        /* field specifiers per template (cap) */
#define FW_TMPL_MAX_RECS_PER_DGRAM 8192  /* data records decoded per datagram (cap) */

/* Why a datagram, set or record was not (fully) decoded, and the template
 * events an operator facing a hostile network must see (counted alike,
 * per thread and per exporter). */
enum fw_dec_reason {
	FW_DEC_TRUNC = 0,      /* datagram shorter than a length field claims */
	FW_DEC_VERSION,        /* wrong version / header */
	FW_DEC_SET_LEN,        /* set length < 4 (zero-length set aborts) */
	FW_DEC_SET_RESERVED,   /* set id 0..255 that is not a template set: skipped */
	FW_DEC_TEMPLATE,       /* invalid template record (rest of set skipped) */
	FW_DEC_TMPL_FULL,      /* template cache full, nothing evictable: dropped */
	FW_DEC_NO_TEMPLATE,    /* data set before its template: buffered */
	FW_DEC_UNDECODABLE,    /* buffered data set never got its template: dropped */
	FW_DEC_RECORD,         /* variable-length record overruns its set */
	FW_DEC_OUT_FULL,       /* caller's output array (or per-datagram cap) full */
	FW_DEC_EXP_FULL,       /* exporter table full: no per-exporter counters */
	FW_DEC_SAMPLER_FULL,   /* sampling table full: rate dropped */
	FW_DEC_TMPL_QUOTA,     /* exporter address over its template quota: refused */
	FW_DEC_TMPL_EVICTED,   /* its template evicted from a full cache */
	FW_DEC_TMPL_REDEFINED, /* template redefined with other fields (spoofing?) */
	FW_DEC_SECTION,        /* packet report whose sampled frame/header is not IP: no record */
	FW_DEC_NREASONS
};

/*
 * Decoder counters, cumulative: the caller zeroes them once and every decode
 * call adds.  One per collector thread.
 */
struct fw_flow_dec_stats {
	uint64_t datagrams;          /* datagrams offered */
	uint64_t datagrams_rejected; /* rejected whole (negative return) */
	uint64_t records;            /* flow records written to out */
	uint64_t options_records;    /* options data records consumed */
	uint64_t templates;          /* templates learnt (new) */
	uint64_t templates_refreshed;/* templates replaced by a newer copy */
	uint64_t templates_withdrawn;/* IPFIX withdrawals applied */
	uint64_t templates_expired;  /* dropped for not being refreshed in time */
	uint64_t sets_buffered;      /* data sets kept while awaiting a template */
	uint64_t sets_replayed;      /* buffered data sets decoded later */
	uint64_t sampling_updates;   /* rates learnt from options data */
	uint64_t sampling_default;   /* records given the default sampling rate */
	uint64_t reverse_records;    /* RFC 5103 biflows: reverse-direction records made */
	uint64_t packet_reports;     /* records of one sampled packet (PSAMP sections, lengths) */
	uint64_t err[FW_DEC_NREASONS];  /* by reason */
};

/*
 * One exporter as the RFCs see it: (version, address, source id / domain).
 * Sequence gaps count lost datagrams for v9 (RFC 3954 s5.1: the sequence
 * counts export packets) and lost data records for IPFIX (RFC 7011 s3.1:
 * it counts data records).
 */
struct fw_flow_exporter {
	struct fw_addr addr;         /* datagram source */
	uint32_t domain;             /* v9 source id / IPFIX observation domain */
	uint8_t version;             /* 9 or 10 */
	uint8_t seq_valid;           /* next_seq is known */
	uint8_t pad[2];
	uint32_t next_seq;           /* sequence number expected next */
	uint64_t datagrams;          /* accepted datagrams */
	uint64_t records;            /* flow records decoded */
	uint64_t seq_lost;           /* v9: datagrams, IPFIX: records missing */
	uint64_t seq_reorder;        /* sequence went backwards (reorder/restart) */
	uint64_t err[FW_DEC_NREASONS];  /* decode errors by reason */
	int64_t last_seen_ms;        /* arrival time of the last datagram */
	int64_t sys_init_ms;         /* IPFIX systemInitTimeMilliseconds, 0 unknown */
	uint64_t templates;          /* templates learnt (new definitions, not refreshes) */
	uint64_t reverse_records;    /* of records, RFC 5103 reverse directions */
	uint64_t packet_reports;     /* of records, single sampled packets (PSAMP) */
};

struct fw_tmpl_cfg {
	uint32_t max_templates;      /* template slots, fixed */
	uint32_t max_templates_per_exporter;  /* per exporter address, all domains; 0 = no cap */
	uint32_t max_samplers;       /* sampling-rate slots, fixed */
	uint32_t max_exporters;      /* exporter slots, fixed */
	uint32_t pending_slots;      /* datagram copies for data-before-template; 0 = off */
	uint32_t pending_slot_bytes; /* bytes per copy */
	int64_t template_timeout_ms; /* expire templates not refreshed for this; 0 = never */
	int64_t pending_timeout_ms;  /* buffered data older than this is undecodable */
	uint32_t default_sampling;   /* 1-in-N for records with no known rate; 0 = unknown (x1) */
};

struct fw_tmpl_cache;

/* Sensible defaults: 1024 templates (256 per exporter address), 256
 * samplers/exporters, 16 x 64 KiB pending copies, 30 min template timeout,
 * 10 s pending timeout, sampling 1. */
void fw_tmpl_cfg_default(struct fw_tmpl_cfg *cfg);

/*
 * Make a cache; all memory is allocated here.  Returns FW_OK and *out, or
 * FW_EINVAL (zero capacity) / FW_ENOMEM.  Free with fw_tmpl_cache_free().
 */
int fw_tmpl_cache_new(const struct fw_tmpl_cfg *cfg, struct fw_tmpl_cache **out) FW_MUSTCHECK;

/* Free a cache; NULL is a no-op. */
void fw_tmpl_cache_free(struct fw_tmpl_cache *c);

/* Templates currently held. */
size_t fw_tmpl_cache_count(const struct fw_tmpl_cache *c);

/*
 * Drop templates not refreshed within the timeout and pending data older than
 * the pending timeout (counted in st, which may be NULL).  Walks the whole
 * table: call from the housekeeping tick, not per datagram (lookups already
 * refuse stale templates).  Returns templates expired.
 */
size_t fw_tmpl_cache_expire(struct fw_tmpl_cache *c, int64_t now_ms, struct fw_flow_dec_stats *st);

/*
 * End of input (replay, dump): drop every data set of `version` (9 or 10)
 * still waiting for its template, counted as FW_DEC_UNDECODABLE in st (may
 * be NULL) and against its exporter, as the pending timeout would have.
 * Returns the data sets dropped.  Same thread as the decoder.
 */
size_t fw_tmpl_cache_flush_pending(struct fw_tmpl_cache *c, uint8_t version,
    struct fw_flow_dec_stats *st);
/* Is template `tid` of (version, exporter, domain) known?  Ignores expiry. */
bool fw_tmpl_cache_has(const struct fw_tmpl_cache *c, uint8_t version,
    const struct fw_addr *exporter, uint32_t domain, uint16_t tid);

/*
 * Sampling rate learnt for (version, exporter, domain, sampler id); sampler
 * id 0 stands for "no sampler id" (an exporter-wide rate).  Returns the rate
 * (1-in-N) or 0 when unknown.
 */
uint32_t fw_tmpl_sampling_get(const struct fw_tmpl_cache *c, uint8_t version,
    const struct fw_addr *exporter, uint32_t domain, uint64_t sampler_id);

/*
 * Copy up to max exporter records into out[0..max).  Returns how many were
 * copied (never more than max), so the result always indexes out safely;
 * the cache may hold more: fw_tmpl_exporters_each() visits them all.
 */
size_t fw_tmpl_exporters(const struct fw_tmpl_cache *c, struct fw_flow_exporter *out, size_t max);

/*
 * Call fn(ctx, x) for every exporter in the cache, in table order; x is
 * borrowed for the duration of the call.  Returns how many were visited.
 * Walks the whole exporter table (flow.max_exporters slots): stats tick,
 * not per datagram.  Same thread as the decoder (or under its lock).
 */
typedef void fw_tmpl_exporter_fn(void *ctx, const struct fw_flow_exporter *x);
size_t fw_tmpl_exporters_each(const struct fw_tmpl_cache *c, fw_tmpl_exporter_fn *fn, void *ctx);

/*
 * Templates (data and options) the cache holds now for (version, exporter,
 * domain): two lookups.  For the stats tick; same thread or lock as above.
 */
uint32_t fw_tmpl_exporter_templates(const struct fw_tmpl_cache *c, uint8_t version,
    const struct fw_addr *exporter, uint32_t domain);

/* One sampling rate in force, as learnt from options data. */
struct fw_tmpl_sampler {
	struct fw_addr addr;         /* exporter */
	uint32_t domain;             /* v9 source id / IPFIX observation domain */
	uint8_t version;             /* 9 or 10 */
	uint64_t sampler_id;         /* 0: exporter-wide (no sampler id) */
	uint32_t rate;               /* 1-in-N */
	int64_t updated_ms;          /* arrival of the options record that set it */
};

/*
 * Call fn(ctx, s) for every sampling rate held, in table order; s is
 * borrowed for the call.  Walks the sampler table (flow.max_samplers
 * slots): stats tick, not per datagram.  Returns how many were visited.
 */
typedef void fw_tmpl_sampler_fn(void *ctx, const struct fw_tmpl_sampler *s);
size_t fw_tmpl_samplers_each(const struct fw_tmpl_cache *c, fw_tmpl_sampler_fn *fn, void *ctx);

/*
 * Persist templates and sampling rates to `path` (written to path.tmp, then
 * renamed) and read them back.  Only templates that data has been decoded
 * with are saved (a flood of templates alone is never persisted), with the
 * times they were last defined and used.  Loading adds to the cache through
 * the same quota and eviction as the wire, skips templates older than the
 * template timeout at `now_ms` (wall clock), and validates every byte: a bad
 * file gives FW_EMALFORMED / FW_ETRUNC and loads nothing more.  Returns
 * FW_OK or a negative fw_err (-errno for I/O).  Not on the hot path.
 */
int fw_tmpl_cache_save(const struct fw_tmpl_cache *c, const char *path) FW_MUSTCHECK;
int fw_tmpl_cache_load(struct fw_tmpl_cache *c, const char *path, int64_t now_ms) FW_MUSTCHECK;

/* Short stable name of a reason ("trunc", "no_template", ...). */
const char *fw_dec_reason_name(enum fw_dec_reason r);

#endif /* FW_TMPL_H */
