/*
 * detect_dns_int.h - the DNS side's tables (detect_dns.c), shared only with
 * the checkpoint room (detect_state.c), which saves and restores them.
 * Private to detector/.
 */
#ifndef FW_DETECT_DNS_INT_H
#define FW_DETECT_DNS_INT_H

#include <libpsl.h>
#include <stdint.h>

#include "detect_int.h"

#define NLCHAR 39              /* a-z, 0-9, '-', '_', other */
#define NSAMPLE 3
#define SAMPLE_LEN 80
#define NAME_SEED 0x2545f4914f6cdd1dULL
#define DHIST 8                /* windows the distinct-name rule sums (low-and-slow) */

struct zwin {
	int64_t tag;               /* window number + 1; 0 = empty */
	uint32_t q;                /* queries */
	uint32_t resp;             /* responses seen */
	uint32_t fail;             /* responses with SERVFAIL or NXDOMAIN */
	uint32_t max_child;        /* rolled-up zones: most queries of one child zone */
	/* Snapshot of the detail block for the period this window was the
	 * newest (see dns_period_end): exact sets cannot be kept per slot. */
	uint8_t snap;              /* snapshot present */
	uint8_t saturated;         /* name set hit dns.distinct_cap */
	uint8_t partial;           /* the block came mid-period: earlier names are not in the set */
	uint32_t distinct;         /* distinct names */
	uint32_t singletons;       /* names asked exactly once */
	uint32_t named_q;          /* queries offered to the set before saturation */
	float ratio;               /* queries per distinct name */
	float repeat;              /* queries per distinct (client, name) */
	float name_ent;            /* normalised query-name entropy */
	float label_ent;           /* leftmost-label character entropy, bits */
	uint32_t top_q;            /* queries of the top few_k identified clients (guaranteed part) */
	uint32_t id_q;             /* queries with a client identity (not relayed) */
};
_Static_assert(sizeof(struct zwin) == 64, "a zone window slot is one cache line");

struct zone {
	uint64_t hash;
	uint64_t last_seq;         /* record counter when last queried (LRU) */
	uint32_t detail;           /* detail block or NONE32 */
	uint32_t idle_run;
	uint32_t gen;              /* creation number, checks rollup links */
	uint32_t roll[2];          /* rollup zone numbers */
	uint32_t roll_gen[2];
	uint8_t roll_off[2];       /* rollup name = name + roll_off */
	uint8_t nroll;
	uint8_t used;
	uint8_t ignore;            /* public suffix or excluded: never a victim */
	uint8_t len;
	uint8_t nsample;
	uint8_t saturated;         /* last window's name set hit its cap */
	uint32_t wt_windows, flood_windows;  /* hot windows by kind in this run */
	struct base b_qps;
	struct base b_distinct;    /* distinct names per window (exact, or the query count: calm windows) */
	struct base b_top;         /* queries of the top few_k clients per window (calm, with a snapshot) */
	uint32_t dh[DHIST];        /* last DHIST windows: distinct names (or the upper bound) ... */
	uint32_t qh[DHIST];        /* ... queries ... */
	uint32_t th[DHIST];        /* ... and top_q (0 without a snapshot) */
	uint8_t hpos, hn;          /* next ring slot, windows held */
	uint8_t trig;              /* the open alert's first rule: 1 query rate, 2 distinct names */
	uint8_t few_logged;        /* this rise from few clients was logged */
	double dbase, dmargin;     /* distinct rule frozen at alert start: expected sum, margin */
	double dsum_ps, dthr_ps;   /* evidence: distinct names/s over DHIST windows, its threshold */
	double top_share;          /* evidence: share of the rise the top few_k clients carry */
	struct alert al;
	double name_entropy, label_entropy, ratio, repeat, fail_ratio, singleton_share;
	uint32_t distinct;
	uint32_t responses;
	struct fw_ent16 name_ent;  /* arrival period */
	uint32_t lchar[NLCHAR];    /* arrival period */
	char sample[NSAMPLE][SAMPLE_LEN];
	char name[FW_QNAME_MAX + 1];
};

struct zdetail {
	uint32_t owner;            /* zone number or NONE32 when free */
	struct fw_xset names;      /* distinct query names (fingerprints) */
	struct fw_xset pairs;      /* distinct (client, name) pairs */
	struct fw_topk clients;    /* evidence: over the hot run or alert (periods merged in) */
	struct fw_addr client_addr[FW_TOPK_K];
	struct fw_topk pclients;   /* identified clients of this period: judges "several clients" */
	struct fw_addr paddr[FW_TOPK_K];
	uint8_t partial;           /* attached during this period */
};

struct fw_dns_state {
	const psl_ctx_t *psl;
	struct fw_hashtab zidx;    /* zones by ix_hash(hash) */
	struct zone *z;
	struct zwin *w;            /* max x nslots */
	uint32_t *zfree;
	size_t nzfree, zhw, zused, max, hand;
	struct zdetail *det;
	uint32_t *dfree;
	size_t ndfree, ndet, ndet_alloc;
	uint32_t gen;
	uint32_t attach_q;         /* window queries that earn a detail block */
	uint32_t few_k;            /* dns.min_clients - 1: "few" clients; 0 = rule off */
	int nslots;
	int64_t window_ms;         /* evidence: resolution in seconds */
	int nzones, nexclude;
	char zones[MAX_DNS_LIST][FW_QNAME_MAX + 1];
	char exclude[MAX_DNS_LIST][FW_QNAME_MAX + 1];
	char evbuf[FW_EVIDENCE_MAX];
};

#endif /* FW_DETECT_DNS_INT_H */
