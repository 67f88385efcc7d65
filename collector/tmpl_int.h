/*
 * tmpl_int.h - what the v9/IPFIX message parsers (nf9.c) need from the
 * template cache (tmpl.c).  Private to collector/.
 *
 * nf9.c owns the wire framing (headers, set headers, template records);
 * tmpl.c owns the cache, template compilation and data-record decoding,
 * so both protocols share one data path and one pending buffer.
 */
#ifndef FW_TMPL_INT_H
#define FW_TMPL_INT_H

#include "fw_tmpl.h"

/* One field specifier as read off the wire (enterprise bit stripped). */
struct fw_tmpl_spec {
	uint16_t type;     /* information element / v9 field type */
	uint16_t len;      /* bytes, 65535 = variable length (IPFIX) */
	uint32_t pen;      /* enterprise number, 0 = IANA */
};

/* State of one datagram being decoded. */
struct fw_tmpl_msg {
	struct fw_tmpl_cache *c;
	struct fw_flow_dec_stats *st;
	struct fw_flow_exporter *exp;  /* NULL when the exporter table is full */
	struct fw_addr exporter;
	uint32_t domain;               /* v9 source id / IPFIX observation domain */
	uint8_t version;               /* 9 or 10 */
	bool learned;                  /* a template was added in this datagram */
	bool seq_unknown;              /* some data set could not be counted */
	int64_t export_ms;             /* header unix secs as ms */
	uint32_t uptime_ms;            /* v9 sysUptime; 0 for IPFIX */
	int64_t arrival_ms;
	struct fw_flow *out;           /* caller's array */
	size_t max;
	size_t n;                      /* records written so far */
	uint32_t seq;                  /* header sequence number */
	uint32_t data_records;         /* data records seen (IPFIX sequence) */
	int pending;                   /* pending slot holding this datagram's sets, -1 none */
};

/* Start a datagram: finds/creates the exporter, counts the sequence gap. */
void fw_tmpl_msg_begin(struct fw_tmpl_msg *m, struct fw_tmpl_cache *c,
    struct fw_flow_dec_stats *st, uint8_t version, const struct fw_addr *exporter,
    uint32_t domain, uint32_t seq, int64_t export_ms, uint32_t uptime_ms,
    int64_t arrival_ms, struct fw_flow *out, size_t max);

/* Finish a datagram: replays buffered data if templates came; returns m->n. */
int fw_tmpl_msg_end(struct fw_tmpl_msg *m);

/* A datagram rejected whole after its header was read: counted against an
 * exporter already known (none is created for a bad datagram). */
void fw_tmpl_count_reject(struct fw_tmpl_cache *c, uint8_t version,
    const struct fw_addr *exporter, uint32_t domain, enum fw_dec_reason r);

/* Count a problem against the datagram's exporter and the thread stats. */
void fw_tmpl_count(struct fw_tmpl_msg *m, enum fw_dec_reason r);

/* A template record refused for reason r: counted as fw_tmpl_count() does,
 * and logged (rate-limited) with the exporter, domain, id and why. */
void fw_tmpl_refuse(struct fw_tmpl_msg *m, enum fw_dec_reason r, uint16_t tid, const char *why);

/*
 * Learn (or refresh) a template.  nscope: leading scope fields of an options
 * template (v9 scope fields are skipped: their type numbers mean something
 * else).  Invalid templates are counted and ignored.
 */
void fw_tmpl_learn(struct fw_tmpl_msg *m, uint16_t tid, bool options,
    uint16_t nscope, const struct fw_tmpl_spec *specs, uint16_t nspecs);

/* IPFIX withdrawal: tid >= 256 one template; tid 2 (3) all (options) templates. */
void fw_tmpl_withdraw(struct fw_tmpl_msg *m, uint16_t tid);

/* Decode one data set body (after the 4-byte set header). */
void fw_tmpl_data_set(struct fw_tmpl_msg *m, uint16_t tid, const uint8_t *body, size_t len);

/* ---- the state file's view of the cache (tmpl_state.c) ---- */

/* A template as the state file holds it; specs borrowed for the call. */
struct fw_tmpl_saved {
	uint8_t version;               /* 9 or 10 */
	bool options;
	uint16_t id;
	uint8_t addr[16];              /* exporter */
	uint32_t domain;
	int64_t updated_ms;            /* last definition or refresh, unix ms */
	int64_t used_ms;               /* last data decoded with it, unix ms */
	uint16_t nscope, nspecs;
	const struct fw_tmpl_spec *specs;  /* as received */
};

/* A sampler's rate as the state file holds it. */
struct fw_tmpl_saved_sampler {
	uint8_t version;
	uint8_t addr[16];
	uint32_t domain;
	uint64_t id;                   /* sampler id */
	uint32_t rate;                 /* 1-in-N, >= 1 */
};

typedef void fw_tmpl_saved_fn(void *ctx, const struct fw_tmpl_saved *t);
typedef void fw_tmpl_saved_sampler_fn(void *ctx, const struct fw_tmpl_saved_sampler *s);

/* The proven templates (those that decoded data), least recently used first. */
void fw_tmpl_each_proven(const struct fw_tmpl_cache *c, fw_tmpl_saved_fn *fn, void *ctx);
/* Every sampler rate, in table order. */
void fw_tmpl_each_sampler(const struct fw_tmpl_cache *c, fw_tmpl_saved_sampler_fn *fn, void *ctx);
/* Learn a saved template as proven, unless the template timeout has passed
 * since t->updated_ms (m->arrival_ms is now); refusals counted in m->st. */
void fw_tmpl_restore(struct fw_tmpl_msg *m, const struct fw_tmpl_saved *t);
/* Set a saved sampler rate: FW_OK or FW_EFULL. */
int fw_tmpl_sampler_restore(struct fw_tmpl_cache *c, const struct fw_tmpl_saved_sampler *s,
    int64_t now_ms) FW_MUSTCHECK;

#endif /* FW_TMPL_INT_H */
