/*
 * detect_flow_int.h - the flow side of the detector: victims, their window
 * slots and detail blocks, and the rooms that work on them:
 *   detect_victim.c    the victim table, protected prefixes, detail pool
 *   detect_span.c      where a record's packets go: spans and rate credits
 *   detect_flow.c      flow records in (per record, allocation-free)
 *   detect_classify.c  packet classes, the vector, evidence
 *   detect_score.c     closing a window: score, alert, learn, sweep
 *   detect.c           the public API (fw_detect.h) and the wiring
 * Private to detector/; the DNS side sees only detect_int.h.
 */
#ifndef FW_DETECT_FLOW_INT_H
#define FW_DETECT_FLOW_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "detect_int.h"
#include "fw_prefix.h"

#define MAX_NETS FW_PREFIX_LIST_MAX  /* detector.networks entries */
#define NCREDIT 4                    /* rate credits per victim */
#define MAX_SPAN_MS 86400000         /* a record longer than a day is spread over a day */

/* Packet classes for the vector; see classify(). */
enum cls { C_SYN, C_ACK, C_TCP, C_UDP, C_ICMP, C_GRE, C_OTHER, NCLS };
/* Reflection source ports. */
enum amp { AMP_DNS, AMP_NTP, AMP_MEMCACHED, AMP_SSDP, AMP_N };
/* Features whose entropy is tracked per victim. */
enum feat { F_SRC, F_SPORT, F_DPORT, F_PROTO, F_TTL, F_DST, NFEAT };
/* Class baselines: the packet classes, then UDP from each reflector port
 * in large-packet records (index NCLS + enum amp). */
#define NCB (NCLS + AMP_N)
/* Resolutions a victim is judged at: 1, 10 and 60 windows (detect_score.c). */
#define NRES 3

/* One window's counters for one victim. */
struct fwin {
	int64_t tag;               /* window number + 1; 0 = empty */
	uint64_t pkts;
	uint64_t bytes;
	uint32_t cls[NCLS];        /* packets per class (4 G per window is plenty) */
	uint32_t amp_big[AMP_N];   /* UDP packets from a reflector port in large-packet records */
	uint32_t max_host;         /* aggregates: most packets of one host */
	uint32_t flows;
	uint32_t max_sampling;
	uint64_t srcmap;           /* source addresses seen, one bit per hash (linear counting) */
};

enum vkind { VK_HOST = 1, VK_AGG };

/* A mean and variance kept in floats (class rates, entropies); the count
 * of windows learned is the victim's (b_pps.seen, ent_seen). */
struct cbase {
	float mean;
	float var;
};

/*
 * A coarse window (10 or 60 windows) summed from the closed windows at
 * their close, never per record.  Floats: relative error 6e-8, no overflow.
 */
struct acc {
	float pkts;
	float bytes;
	float max_host;            /* aggregates: sum of each window's largest host */
	float cls[NCB];            /* packets per class, then per reflector port */
	uint32_t sampling;         /* highest 1-in-N of its records */
};

/*
 * Calm windows waiting to be learned: the packet rate and class rates are
 * learned once a minute (60 windows), and only if no coarse window of it
 * was hot, so a slow or sampled flood judged at 10 or 60 windows is not
 * learned before it is judged.
 */
struct lbatch {
	float sx[1 + NCB];         /* sums of pps, then class rates */
	float sxx[1 + NCB];        /* ... and of their squares */
	uint16_t n;                /* windows in the batch */
	uint16_t nc;               /* ... of which with class rates */
	uint8_t drop;              /* a coarse window of it was hot: learn nothing */
};

/*
 * One rate credit: from the oldest open window until end_ms, this many
 * packets and bytes per ms.  Every credit of a victim is running (its start
 * lies at or before the oldest open window), so the volume still to pay is
 * rate x (end_ms - start of the oldest open window).
 */
struct credit {
	int64_t end_ms;
	float pkts_ms;
	float bytes_ms;
};

/* The fields a record touches come first: one cache line. */
struct victim {
	uint64_t hash;
	struct fw_addr addr;       /* host address or masked prefix */
	uint64_t last_seq;         /* record counter when last hit (LRU) */
	uint32_t detail;           /* heavy-hitter block or NONE32 */
	uint32_t agg1;             /* host: number + 1 of the aggregate it fed (0: none), checked at use (agg_linked) */
	uint8_t used;
	uint8_t kind;              /* enum vkind */
	uint8_t plen;              /* prefix length over 128 bits (host: 128) */
	uint8_t spread_hot;        /* aggregate: bit r, last closed window at resolution r hot and spread */
	uint8_t watch;             /* last window hot, alerting or over half the threshold */
	uint8_t src_seen[NRES];    /* b_src learned this many times (saturates: only the young phase counts) */
	float static_pps;          /* static threshold from detector.networks, 0 = none */
	uint32_t max_sampling;
	uint32_t samp;             /* 1-in-N of the last window with records (0: none yet) */
	uint8_t asleep;            /* idle and calm: scored later, from sleep_widx (detect_score.c) */
	uint8_t agg_plen;          /* host: that aggregate's prefix length */
	uint32_t idle_run;         /* consecutive empty windows */
	struct base b_pps, b_bps, b_fps;
	struct cbase b_ent[NFEAT]; /* learned ent_seen times */
	uint32_t ent_seen;
	struct cbase cb[NCB];      /* class rates (pps), learned cls_seen times */
	uint32_t cls_seen;
	struct cbase b_src[NRES];  /* distinct sources per window at each resolution (src_seen) */
	struct acc acc[NRES - 1];
	uint64_t acc_src[NRES - 1];/* ... their source bitmaps, ORed */  /* the open 10- and 60-window windows */
	struct lbatch lb;
	struct alert al;
	int64_t sleep_widx;        /* asleep: the first window not scored yet */
	uint8_t trig_res;          /* the open alert's resolution (index) */
	uint8_t trig_cls;          /* ... and class (index in NCB), NCB: the total */
	uint8_t trig_calm;         /* coarse alert: its last window was calm */
	float trig_obs;            /* its rate (pps) at its last window */
	float trig_samples;        /* ... in samples (packets / sampling) */
	float mix_secs;            /* seconds summed into mix_cls */
	uint64_t mix_cls[NCLS];    /* accumulated over the hot run / alert */
	uint64_t mix_amp_big[AMP_N];
	double cur_fps;
	double max_host_share;     /* aggregates: in the last window */
	float ent_now[NFEAT];      /* entropies of the last closed period */
	float ent_peak[NFEAT];     /* ... of the peak window of the alert */
	/* Rate credits: traffic of records that began in closed windows, paid
	 * into each window as it closes (credit_apply) at the record's rate. */
	struct credit cr[NCREDIT];
	uint8_t cr_cls[NCREDIT];   /* enum cls of each credit */
	int8_t cr_amp[NCREDIT];    /* enum amp of large-packet reflection, or -1 */
	uint8_t ncr;               /* credits in use */
	float carry_p, carry_b;    /* fractions of a packet / byte not yet paid */
};

/*
 * Heavy hitters and feature histograms of a victim with traffic worth
 * describing (>= attach_pkts in a window): light victims, the vast
 * majority, carry no sketch memory and cost no cache lines per record.
 */
struct detail {
	uint32_t owner;            /* victim number */
	struct fw_ent16 ent[NFEAT];/* arrival period histograms */
	struct fw_topk src, sport, dport, dst;
	struct fw_addr src_addr[FW_TOPK_K];
	struct fw_addr dst_addr[FW_TOPK_K];
	double pkts_closed;        /* packets of the windows closed since attached */
	/* The source heavy hitters at the start of the hot run (snap0), and of
	 * each coarse window in arrival order (snapc[r - 1][coarse index & 1]):
	 * a window's share is the difference (detect_score.c). */
	struct srcsnap {
		uint64_t key[FW_TOPK_K];
		uint64_t cnt[FW_TOPK_K];
		uint64_t err[FW_TOPK_K];
		uint64_t total;
		double pkts;               /* pkts_closed then */
		int64_t cidx;              /* coarse window it starts */
		uint32_t n;
	} snap0, snapc[NRES - 1][2];
};

/* A detector.networks entry. */
struct net {
	struct fw_prefix p;        /* masked; length over 128 bits */
	double static_pps;         /* "PREFIX@PPS": fixed threshold, 0 = none */
};

struct fw_detect {
	struct det_core core;      /* config, counters, clock, emitter: shared with DNS */
	struct fw_hashtab vidx;    /* victims by ix_hash(hash) */
	struct victim *v;          /* max_victims */
	struct fwin *w;            /* max_victims x nslots */
	uint32_t *vfree;
	size_t nvfree, vhw, vused, max_victims, vhand;
	struct detail *det;        /* max_details */
	uint32_t *dfree;
	size_t ndfree;
	struct net nets[MAX_NETS];
	int nnets;
	uint64_t attach_pkts;      /* window packets that earn a detail block */
	size_t credited;           /* victims holding credits */
	int64_t sbase_widx;        /* slot_index: a window ... */
	size_t sbase_slot;         /* ... and its slot (window 0: slot 0) */
	int64_t snap_cidx[NRES];   /* coarse windows whose source snapshots are taken */
	float lc[65];              /* distinct sources of a source bitmap by its zero bits (linear counting) */
	struct fw_dns_state *dns;
	struct det_season season_flow, season_dns;  /* hour-of-week profiles (packets, DNS records) */
	char evbuf[FW_EVIDENCE_MAX];
};

/* What a record is, computed once and used for both its victims. */
struct rec_info {
	int cls;                   /* enum cls */
	int amp;                   /* enum amp or -1 */
	bool big;                  /* average packet size over the amp threshold */
	uint64_t fh[NFEAT];        /* feature hashes: F_SRC always, the rest once hashed */
	uint32_t wt;               /* weight for histograms (packets, capped) */
	bool reply;                /* reply traffic to a client (see is_reply()) */
	bool hashed;               /* fh[] past F_SRC made (rec_hashes) */
};

/* Where a record's packets go (detect_span.c). */
enum spmode { SP_POINT, SP_SPREAD, SP_CREDIT };

struct span {
	enum spmode mode;
	int64_t t0, t1;            /* SPREAD/CREDIT: span after any shift (ms) */
	int64_t ws, we;            /* SPREAD: first and last window; POINT: ws */
};

/* ---- detect_victim.c ---- */

static inline uint64_t
victim_hash(const struct fw_addr *a, uint8_t plen)
{
	uint64_t x, y;

	memcpy(&x, a->b, 8);
	memcpy(&y, a->b + 8, 8);
	return fw_hash64(x ^ fw_hash64(y ^ plen));
}

int det_parse_networks(const char *list, struct net *nets, int *nnets, char *err, size_t errlen);
struct victim *victim_find(struct fw_detect *d, const struct fw_addr *a, uint8_t plen, uint64_t h);
/* Find or create (evicting when full); NULL when full of busy victims. */
struct victim *victim_get(struct fw_detect *d, const struct fw_addr *a, uint8_t plen, uint8_t kind, uint64_t h);
void victim_remove(struct fw_detect *d, struct victim *v);
void victim_text(const struct victim *v, char *out, size_t outlen);
int agg_prefix(const struct fw_detect *d, const struct fw_addr *a, const struct net **net, struct fw_addr *agg);
struct victim *agg_of(struct fw_detect *d, const struct victim *v);
void detail_attach(struct fw_detect *d, struct victim *v);
void detail_release(struct fw_detect *d, struct victim *v);

/* The ring slot of window widx, counted from a base window (the windows
 * in use lie within nslots of each other): no 64-bit division per call. */
static inline size_t
slot_index(struct fw_detect *d, int64_t widx)
{
	size_t nslots = (size_t)d->core.clk.nslots, s;
	uint64_t delta = (uint64_t)widx - (uint64_t)d->sbase_widx;

	if (delta >= nslots) {
		int64_t m = widx % (int64_t)nslots;

		d->sbase_widx = widx;
		d->sbase_slot = (size_t)(m < 0 ? m + (int64_t)nslots : m);
		return d->sbase_slot;
	}
	s = d->sbase_slot + (size_t)delta;
	return s >= nslots ? s - nslots : s;
}

static inline struct fwin *
slot_of(struct fw_detect *d, const struct victim *v, int64_t widx)
{
	return &d->w[(size_t)(v - d->v) * (size_t)d->core.clk.nslots + slot_index(d, widx)];
}

/* The slot of window widx, emptied first if it held an older window. */
static inline struct fwin *
open_slot(struct fw_detect *d, const struct victim *v, int64_t widx)
{
	struct fwin *w = slot_of(d, v, widx);

	if (w->tag != widx + 1) {
		memset(w, 0, sizeof(*w));
		w->tag = widx + 1;
	}
	return w;
}

/* ---- detect_span.c ---- */

void span_of(struct fw_detect *d, const struct fw_flow *f, int64_t we, struct span *sp);
void credit_add(struct fw_detect *d, struct victim *v, int64_t now, int64_t end,
    double pkts, double bytes, uint8_t cls, int8_t amp);
struct fwin *credit_apply(struct fw_detect *d, struct victim *v, int64_t widx);
void credit_drop(struct fw_detect *d, struct victim *v);

/* ---- detect_classify.c ---- */

void rec_info(const struct fw_flow *f, struct rec_info *ri);
/* Fill the feature hashes rec_info() leaves out (once per record). */
void rec_hashes(const struct fw_flow *f, struct rec_info *ri);
uint8_t classify(const uint64_t *cls, const uint64_t *amp_big, uint8_t *second, int *nsecond);
/* The vector of v's alert: classify() on what rose over its class baselines. */
uint8_t flow_vector(const struct victim *v);
void flow_evidence(struct fw_detect *d, const struct victim *v, char *out, size_t outlen);

/* ---- detect_flow.c ---- */

void flow_take_batch(struct fw_detect *d, const struct fw_flow *f, size_t n);

/* ---- detect_score.c ---- */

void flow_period_end(struct fw_detect *d, int64_t widx);
/* Wake an asleep victim: score its windows below upto (all empty), as
 * the close would have; false when the idle sweep removed it meanwhile. */
bool victim_wake(struct fw_detect *d, struct victim *v, int64_t upto);
void flow_close_window(struct fw_detect *d, int64_t widx);
int flow_end_all(struct fw_detect *d);
/* fw_detect_resume: the clock jumps from window from to to (see detect_score.c). */
int flow_resume(struct fw_detect *d, int64_t from, int64_t to);

#endif /* FW_DETECT_FLOW_INT_H */
