/*
 * detect.c - the streaming detector: windows, victims, baselines, vectors
 * and the alert lifecycle.  DNS zones live in detect_dns.c; the sketches
 * in sketch.c.  The rules and every tunable: README.md, "Detection".
 *
 * Design
 *  - Windows on event time.  Each victim holds `nslots` window slots, a
 *    ring indexed by window number, so records up to lateness_ms late land
 *    in their own window.  A record older than the oldest open window is
 *    counted late and added to it.  The lateness in force is learned from
 *    the flow records' lag (learn_lateness), up to max_lateness_ms.  A flow
 *    record is paid at its own rate over its own duration (see struct
 *    span): spread over the open windows, shifted when it began in a closed
 *    one, and beyond the open windows kept as a per-victim rate credit paid
 *    as each window closes (credit_add, credit_apply).
 *  - Windows close when the newest event time minus lateness passes their
 *    end, or (live) the wall clock does.  Closing sweeps every victim and
 *    zone once per window: O(tables) per window, never per record.
 *  - Victims: one host per destination address, plus one aggregate per
 *    protected prefix (detector.networks) or, with none configured, per
 *    /auto_prefix_v4 and /auto_prefix_v6.  An aggregate whose window is
 *    carried by one host (>= dominance share) stays quiet: the host alert
 *    says it better.  A host inside a hot spread aggregate stays quiet:
 *    the aggregate alert (a carpet bomb) says it better.
 *  - Baselines: EWMA mean and variance per victim of pps, bps, flows/s and
 *    feature entropies, learned only from windows that are neither hot nor
 *    inside an alert.  For the first warmup_windows windows after start
 *    every baseline is learning: only rates above detector.warmup_pps /
 *    dns.warmup_qps (or a static threshold) are hot, so a flood already
 *    running at start alerts instead of being learned; such an alert ends
 *    by that same floor (det_warm_threshold).
 *  - Per record: a memoised window number (no division), two hash probes
 *    (host, aggregate) whose cache misses a prefetch pipeline overlaps,
 *    fixed-size slot updates, and, for victims with traffic worth
 *    describing, sampled updates of a detail block (entropy histograms,
 *    space-saving heavy hitters) from a fixed pool.  Nothing allocates
 *    after fw_detect_new().
 *  - Static thresholds: detector.networks entries PREFIX@PPS cap the learned
 *    threshold of the prefix and its hosts.
 *
 * Bounded memory: the victim table (detector.max_victims entries, each with
 * its window slots), the detail pool (detector.max_details) and the DNS
 * tables; all sized at start, reported in stats.memory_bytes.
 * Eviction: idle victims after idle_windows empty windows (sweep); when the
 * table is full, the least recently active of up to 32 sampled victims that
 * is neither alerting nor in a hot run (counted in evicted_lru).
 *
 * Thread: everything runs on the one detector thread.
 */
#include "fw_detect.h"

#include <arpa/inet.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect_int.h"
#include "fw_addr.h"
#include "fw_names.h"
#include "fw_sketch.h"

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
};

enum vkind { VK_HOST = 1, VK_AGG };

/*
 * One rate credit: from the oldest open window until end_ms, this many
 * packets and bytes per ms.  Every credit of a victim is running (its start
 * lies at or before the oldest open window), so the volume still to pay is
 * rate x (end_ms - start of the oldest open window).
 */
#define NCREDIT 4
struct credit {
	int64_t end_ms;
	float pkts_ms;
	float bytes_ms;
};

#define LAG_NB 64              /* lateness histogram buckets (windows) */
#define MAX_SPAN_MS 86400000   /* a record longer than a day is spread over a day */

/* The fields a record touches come first: one cache line. */
struct victim {
	uint64_t hash;
	struct fw_addr addr;       /* host address or masked prefix */
	uint64_t last_seq;         /* record counter when last hit (LRU) */
	uint32_t detail;           /* heavy-hitter block or NONE32 */
	uint32_t idle_run;         /* consecutive empty windows */
	uint8_t used;
	uint8_t kind;              /* enum vkind */
	uint8_t plen;              /* prefix length over 128 bits (host: 128) */
	uint8_t spread_hot;        /* aggregate: last closed window hot and spread */
	uint8_t watch;             /* last window hot, alerting or over half the threshold */
	float static_pps;          /* static threshold from detector.networks, 0 = none */
	uint32_t max_sampling;
	struct base b_pps, b_bps, b_fps, b_ent[NFEAT];
	struct alert al;
	uint64_t mix_cls[NCLS];    /* accumulated over the hot run / alert */
	uint64_t mix_amp_big[AMP_N];
	double cur_fps;
	double max_host_share;     /* aggregates: in the last window */
	double ent_now[NFEAT];     /* entropies of the last closed period */
	double ent_peak[NFEAT];    /* ... of the peak window of the alert */
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
};

struct net {
	struct fw_addr addr;       /* masked */
	uint8_t plen;              /* over 128 bits */
	double static_pps;         /* "PREFIX@PPS": fixed threshold, 0 = none */
};

struct fw_detect {
	struct fw_config cfg;
	fw_alert_fn *emit;
	void *ctx;
	struct idx vidx;
	struct victim *v;          /* max_victims */
	struct fwin *w;            /* max_victims x nslots */
	uint32_t *vfree;
	size_t nvfree, vhw, vused, max_victims, vhand;
	struct detail *det;        /* max_details */
	uint32_t *dfree;
	size_t ndfree;
	struct net nets[MAX_NETS];
	int nnets;
	int nslots;
	uint64_t seq;              /* records taken: the LRU clock */
	uint64_t attach_pkts;      /* window packets that earn a detail block */
	int64_t max_event_ms;
	int64_t next_close;        /* windows below are closed; INT64_MIN: no data yet */
	int64_t wall_ms;
	int64_t memo_w0;           /* start (ms) of the window memo_widx: saves a division per record */
	int64_t memo_widx;
	int64_t late_ms;           /* lateness in force: learned in [lateness_ms, max_lateness_ms] */
	int64_t late_max_ms;       /* learning bound (ring size); == lateness_ms: not learning */
	int64_t learn_from_ms;     /* event time from which the histogram is trusted */
	uint64_t lag_mul;          /* 2^32 / window_ms, rounded up: lag bucket without a division */
	uint32_t lagh[LAG_NB];     /* flow records by lag behind the newest (windows), decaying */
	uint32_t lag_n;            /* sum of lagh */
	size_t credited;           /* victims holding credits */
	struct fw_dns_state *dns;
	struct fw_detect_stats st;
	struct fw_alert_ev ev;     /* scratch for emitting */
	uint8_t end_reason;        /* reason of the ends emitted now (enum fw_end_reason) */
	int64_t end_at_ms;         /* decision time of forced ends (end_all); 0: window time */
	char evbuf[FW_EVIDENCE_MAX];
};

static const uint16_t amp_port[AMP_N] = { 53, 123, 11211, 1900 };
static const double amp_min_size[AMP_N] = { 512, 200, 400, 250 };
static const uint8_t amp_vec[AMP_N] = {
	FW_VEC_DNS_AMPLIFICATION, FW_VEC_NTP_AMPLIFICATION,
	FW_VEC_MEMCACHED_AMPLIFICATION, FW_VEC_SSDP_AMPLIFICATION,
};
static const char *const cls_names[NCLS] = {
	"tcp_syn", "tcp_ack", "tcp_other", "udp", "icmp", "gre", "other",
};
static const char *const feat_names[NFEAT] = {
	"src_addr", "src_port", "dst_port", "protocol", "ttl", "dst_addr",
};

/*
 * Evidence JSON: dump o (consumed) into out.  1 when it fit; 0 and the
 * caller retries with shorter lists (evidence is capped at FW_EVIDENCE_MAX).
 */
int
det_json_put(json_t *o, char *out, size_t outlen)
{
	char *text = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS | JSON_REAL_PRECISION(10));
	int fit = text != NULL && strlen(text) < outlen;

	json_decref(o);
	if (fit)
		memcpy(out, text, strlen(text) + 1);
	free(text);
	return fit;
}

/* ---- small shared helpers (also used by detect_dns.c) ---- */

int64_t
det_floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;  /* b > 0; no negation, so no overflow at INT64_MIN */

	return a % b != 0 && a < 0 ? q - 1 : q;
}

double
det_round(double x, double unit)
{
	return round(x / unit) * unit;
}

int det_nslots(const struct fw_detect *d) { return d->nslots; }
uint64_t det_seq(const struct fw_detect *d) { return d->seq; }
struct fw_detect_stats *det_stats(struct fw_detect *d) { return &d->st; }
const struct fw_config *det_cfg(const struct fw_detect *d) { return &d->cfg; }
struct fw_alert_ev *det_scratch(struct fw_detect *d) { return &d->ev; }

bool
det_warming(const struct fw_detect *d)
{
	return d->st.windows_closed < (uint64_t)d->cfg.warmup_windows;
}

/*
 * The threshold in force: during warm-up no baseline is trusted, so a window
 * is hot only above the warm-up floor `warm` (0: nothing is hot).  An attack
 * already running at start alerts, and its hot windows are never learned.
 * An alert started in warm-up keeps this floor as its frozen threshold, so it
 * ends when the rate falls under it instead of measuring a busy but normal
 * victim against an empty baseline for ever.  After warm-up: `learned`.
 */
double
det_warm_threshold(const struct fw_detect *d, double learned, double warm)
{
	if (!det_warming(d))
		return learned;
	/* The floor alone: what was learned so far may be a flood's first,
	 * partial window, and must not lift the bar above the flood. */
	(void)learned;
	return warm > 0 ? warm : INFINITY;
}

/* Rate threshold: above the floor, mean x mult and mean + zscore x sd. */
double
det_threshold(const struct fw_detect *d, const struct base *b, double floor_v, double mult)
{
	double t = b->mean * mult, z = b->mean + d->cfg.zscore * sqrt(b->var);

	if (z > t)
		t = z;
	return t > floor_v ? t : floor_v;
}

void
det_learn(const struct fw_detect *d, struct base *b, double x)
{
	/* Warm-up: a plain average first, so a baseline is usable quickly. */
	double a = d->cfg.ewma_alpha, dx;

	if (b->seen < 1.0 / a)
		a = 1.0 / (b->seen + 1);
	dx = x - b->mean;
	b->mean += a * dx;
	b->var = (1 - a) * (b->var + a * dx * dx);
	b->seen++;
}

void
det_make_id(struct alert *a, const char *victim_text)
{
	uint64_t h = 0xcbf29ce484222325ULL;  /* FNV-1a over victim and start time */

	for (const char *p = victim_text; *p; p++)
		h = (h ^ (uint8_t)*p) * 0x100000001b3ULL;
	for (int i = 0; i < 8; i++)
		h = (h ^ (uint8_t)((uint64_t)a->started_ms >> (i * 8))) * 0x100000001b3ULL;
	snprintf(a->id, sizeof(a->id), "%016llx", (unsigned long long)h);
	a->has_id = 1;
}

/*
 * One closed window through the lifecycle.  hot: over the start
 * threshold; calm: under the end threshold.  Returns what to emit; the
 * caller fills the event (it knows the victim text and evidence).
 */
enum lc_action
det_lifecycle(struct fw_detect *d, struct alert *a, bool hot, bool calm,
    int64_t widx, int64_t wstart, int64_t wend)
{
	if (!a->active) {
		if (!hot) {
			a->hot_run = 0;
			return LC_NONE;
		}
		if (a->hot_run++ == 0) {
			a->first_hot_ms = wstart;
			a->peak_pps = a->peak_bps = a->peak_qps = 0;
		}
		if (a->hot_run < (uint32_t)d->cfg.start_windows)
			return LC_NONE;
		a->active = 1;
		a->calm_run = 0;
		a->since_update = 0;
		a->last_hot_ms = wend;
		if (a->has_id && widx - a->ended_widx <= d->cfg.cooldown_windows)
			return LC_RESTART;  /* same id, seq goes on */
		a->seq = 0;
		a->started_ms = a->first_hot_ms;
		d->st.alerts_started++;
		return LC_START;
	}
	if (hot)
		a->last_hot_ms = wend;
	if (!calm) {
		a->calm_run = 0;
	} else if (++a->calm_run >= (uint32_t)d->cfg.end_windows) {
		a->active = 0;
		a->hot_run = 0;
		a->ended_widx = widx;
		d->st.alerts_ended++;
		return LC_END;
	}
	if (++a->since_update >= (uint32_t)d->cfg.update_windows)
		return LC_UPDATE;
	return LC_NONE;
}

/* End an open alert now, without waiting for calm windows (end_all). */
bool
det_force_end(struct fw_detect *d, struct alert *a)
{
	if (!a->active)
		return false;
	a->active = 0;
	a->hot_run = 0;
	a->calm_run = 0;
	a->ended_widx = det_floor_div(d->end_at_ms, d->cfg.window_ms);
	d->st.alerts_ended++;
	return true;
}

void
det_emit(struct fw_detect *d, struct alert *a, enum lc_action act, int64_t at_ms,
    const char *victim, const char *evidence)
{
	struct fw_alert_ev *e = &d->ev;
	double ratio;

	memset(e, 0, offsetof(struct fw_alert_ev, evidence));
	snprintf(e->victim, sizeof(e->victim), "%s", victim);
	if (act == LC_START)
		det_make_id(a, e->victim);
	memcpy(e->id, a->id, sizeof(e->id));
	e->event = act == LC_END ? FW_EV_END : act == LC_START ? FW_EV_START : FW_EV_UPDATE;
	e->reason = act == LC_END ? d->end_reason : FW_END_NONE;
	e->vector = a->vector;
	ratio = (a->peak_pps > 0 ? a->peak_pps : a->peak_qps) / (a->thr > 0 ? a->thr : 1);
	e->severity = ratio >= 100 ? 3 : ratio >= 10 ? 2 : 1;
	e->seq = ++a->seq;
	e->started_ms = a->started_ms;
	e->updated_ms = at_ms;
	e->ended_ms = 0;
	if (act == LC_END) {
		/* Ended at the last hot window; decided end_windows later.  The
		 * event's time is the decision, so a timeline never runs backwards. */
		e->ended_ms = at_ms;
		e->updated_ms = d->end_at_ms != 0 ? d->end_at_ms : (a->ended_widx + 1) * d->cfg.window_ms;
		if (e->updated_ms < at_ms)
			e->updated_ms = at_ms;
	}
	e->peak_pps = a->peak_pps;
	e->peak_bps = a->peak_bps;
	e->peak_qps = a->peak_qps;
	e->cur_pps = a->cur_pps;
	e->cur_bps = a->cur_bps;
	e->cur_qps = a->cur_qps;
	snprintf(e->evidence, sizeof(e->evidence), "%s", evidence);
	a->since_update = 0;
	if (d->emit != NULL)
		d->emit(d->ctx, e);
}

/* ---- addresses and prefixes ---- */

static bool
is_v4(const struct fw_addr *a)
{
	static const uint8_t pre[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	return memcmp(a->b, pre, 12) == 0;
}

static void
mask_addr(struct fw_addr *a, unsigned plen)
{
	for (unsigned i = 0; i < 16; i++) {
		unsigned bits = i * 8;

		if (plen >= bits + 8)
			continue;
		a->b[i] &= plen <= bits ? 0 : (uint8_t)(0xff << (8 - (plen - bits)));
	}
}

static bool
in_prefix(const struct fw_addr *a, const struct net *n)
{
	struct fw_addr m = *a;

	mask_addr(&m, n->plen);
	return memcmp(m.b, n->addr.b, 16) == 0;
}

static void
victim_text(const struct victim *v, char *out, size_t outlen)
{
	char a[48];  /* INET6_ADDRSTRLEN + 2: room left for "/128" in 64 */

	fw_addr_format(&v->addr, a, sizeof(a));
	if (v->kind == VK_HOST)
		snprintf(out, outlen, "%s", a);
	else
		snprintf(out, outlen, "%s/%u", a, is_v4(&v->addr) ? v->plen - 96u : v->plen);
}

/* Text address into *a; 4, 6 or 0 (not an address). */
static int
parse_addr(const char *text, struct fw_addr *a)
{
	uint8_t raw[16];

	if (inet_pton(AF_INET, text, raw) == 1) {
		fw_addr_from_v4(a, raw);
		return 4;
	}
	if (inet_pton(AF_INET6, text, a->b) == 1)
		return 6;
	return 0;
}

/* Parse "198.51.100.0/24, 2001:db8::/32" into nets.  FW_OK or FW_EINVAL + err. */
static int
parse_networks(const char *list, struct net *nets, int *nnets, char *err, size_t errlen)
{
	char buf[FW_CFG_LIST_MAX], *save = NULL;

	snprintf(buf, sizeof(buf), "%s", list);
	for (char *tok = strtok_r(buf, ", \t", &save); tok != NULL; tok = strtok_r(NULL, ", \t", &save)) {
		char *slash = strchr(tok, '/'), *at = strchr(tok, '@'), *end = NULL;
		struct net *n = &nets[*nnets];
		long len = -1;
		int fam = 0;

		n->static_pps = 0;
		if (at != NULL) {
			*at = '\0';
			n->static_pps = strtod(at + 1, &end);
			if (*end != '\0' || end == at + 1 || !(n->static_pps > 0 && n->static_pps < 1e15)) {
				snprintf(err, errlen, "detector.networks: '%s' after '@' is not a packet rate", at + 1);
				return FW_EINVAL;
			}
		}
		if (*nnets >= MAX_NETS) {
			snprintf(err, errlen, "detector.networks: more than %d prefixes", MAX_NETS);
			return FW_EINVAL;
		}
		if (slash != NULL) {
			*slash = '\0';
			len = strtol(slash + 1, &end, 10);
			if (*end != '\0' || end == slash + 1)
				len = -1;
			fam = parse_addr(tok, &n->addr);
		}
		if (fam == 4 && len >= 0 && len <= 32) {
			n->plen = (uint8_t)(96 + len);
		} else if (fam == 6 && len >= 0 && len <= 128) {
			n->plen = (uint8_t)len;
		} else {
			snprintf(err, errlen, "detector.networks: '%s%s%s' is not ADDRESS/LENGTH",
			    tok, slash != NULL ? "/" : "", slash != NULL ? slash + 1 : "");
			return FW_EINVAL;
		}
		mask_addr(&n->addr, n->plen);
		(*nnets)++;
	}
	return FW_OK;
}

int
fw_detect_check_config(const struct fw_config *cfg, char *err, size_t errlen)
{
	struct net nets[MAX_NETS];
	int n = 0;

	if (parse_networks(cfg->networks, nets, &n, err, errlen) != FW_OK)
		return FW_EINVAL;
	return dns_check_config(cfg, err, errlen);
}

/* ---- victim table: dense entries, open addressing index ---- */

static uint64_t
key_hash(const struct fw_addr *a, uint8_t plen)
{
	uint64_t x, y;

	memcpy(&x, a->b, 8);
	memcpy(&y, a->b + 8, 8);
	return fw_hash64(x ^ fw_hash64(y ^ plen));
}

static struct victim *
victim_find(struct fw_detect *d, const struct fw_addr *a, uint8_t plen, uint64_t h, size_t *slot)
{
	size_t i = (size_t)h & d->vidx.mask;

	for (;; i = (i + 1) & d->vidx.mask) {
		uint64_t e = d->vidx.slot[i];
		struct victim *v;

		if (e == 0)
			break;
		if (!IDX_TAG_EQ(e, h))
			continue;
		v = &d->v[IDX_NUM(e)];
		if (v->hash == h && v->plen == plen && memcmp(v->addr.b, a->b, 16) == 0)
			return v;
	}
	*slot = i;
	return NULL;
}

/* Backward-shift delete: no tombstones, probe chains stay exact. */
static void
idx_delete(struct idx *x, size_t i, const uint64_t *(*hash_of)(const void *, uint32_t), const void *ctx)
{
	size_t j = i;

	x->slot[i] = 0;
	for (;;) {
		size_t home;

		j = (j + 1) & x->mask;
		if (x->slot[j] == 0)
			return;
		home = (size_t)*hash_of(ctx, (uint32_t)IDX_NUM(x->slot[j])) & x->mask;
		/* Move slot j back to i unless its home lies cyclically in (i, j]. */
		if ((j > i && (home <= i || home > j)) || (j < i && home <= i && home > j)) {
			x->slot[i] = x->slot[j];
			x->slot[j] = 0;
			i = j;
		}
	}
}

static const uint64_t *
vhash_of(const void *ctx, uint32_t n)
{
	return &((const struct fw_detect *)ctx)->v[n].hash;
}

static void
detail_release(struct fw_detect *d, struct victim *v)
{
	if (v->detail == NONE32)
		return;
	d->dfree[d->ndfree++] = v->detail;
	v->detail = NONE32;
}

/* Forget v's unpaid credits (eviction, or all paid). */
static void
credit_drop(struct fw_detect *d, struct victim *v)
{
	if (v->ncr > 0)
		d->credited--;
	v->ncr = 0;
	v->carry_p = v->carry_b = 0;
}

static void
victim_remove(struct fw_detect *d, struct victim *v)
{
	size_t num = (size_t)(v - d->v), i = (size_t)v->hash & d->vidx.mask;

	while (IDX_NUM(d->vidx.slot[i]) != num)
		i = (i + 1) & d->vidx.mask;
	idx_delete(&d->vidx, i, vhash_of, d);
	detail_release(d, v);
	credit_drop(d, v);
	v->used = 0;
	d->vfree[d->nvfree++] = (uint32_t)num;
	d->vused--;
}

/*
 * Make room: among up to SAMPLE_LRU x SAMPLE_ROUNDS victims after the
 * clock hand, evict the least recently hit one that is neither alerting
 * nor in a hot run.  Bounded work; a victim hit often (a real target)
 * has a recent last_seq and survives a flood of one-off destinations.
 */
static bool
victim_evict_one(struct fw_detect *d)
{
	struct victim *best = NULL;

	for (int r = 0; r < SAMPLE_ROUNDS && best == NULL; r++) {
		for (int k = 0; k < SAMPLE_LRU; k++) {
			struct victim *v = &d->v[d->vhand];

			d->vhand = d->vhand + 1 >= d->vhw ? 0 : d->vhand + 1;
			/* last_seq == seq: touched by the record being taken */
			if (!v->used || v->al.active || v->al.hot_run > 0 || v->last_seq == d->seq)
				continue;
			if (best == NULL || v->last_seq < best->last_seq)
				best = v;
		}
	}
	if (best == NULL)
		return false;
	victim_remove(d, best);
	d->st.evicted_lru++;
	return true;
}

static struct victim *
victim_get(struct fw_detect *d, const struct fw_addr *a, uint8_t plen, uint8_t kind, uint64_t h)
{
	size_t slot, num;
	struct victim *v = victim_find(d, a, plen, h, &slot);

	if (v != NULL)
		return v;
	if (d->vused >= d->max_victims) {
		if (!victim_evict_one(d))
			return NULL;
		(void)victim_find(d, a, plen, h, &slot);  /* the delete moved slots */
	}
	num = d->nvfree > 0 ? d->vfree[--d->nvfree] : d->vhw++;
	v = &d->v[num];
	memset(v, 0, sizeof(*v));
	memset(&d->w[num * (size_t)d->nslots], 0, (size_t)d->nslots * sizeof(*d->w));
	v->addr = *a;
	v->hash = h;
	v->plen = plen;
	v->kind = kind;
	v->used = 1;
	v->detail = NONE32;
	v->al.ended_widx = INT64_MIN / 2;
	d->vidx.slot[slot] = IDX_MAKE(h, num);
	d->vused++;
	return v;
}

static struct fwin *
slot_of(struct fw_detect *d, const struct victim *v, int64_t widx)
{
	int64_t s = widx % d->nslots;

	return &d->w[(size_t)(v - d->v) * (size_t)d->nslots + (size_t)(s < 0 ? s + d->nslots : s)];
}

static struct fwin *
open_slot(struct fw_detect *d, const struct victim *v, int64_t widx)
{
	struct fwin *w = slot_of(d, v, widx);

	if (w->tag != widx + 1) {
		memset(w, 0, sizeof(*w));
		w->tag = widx + 1;
	}
	return w;
}

/* ---- lifecycle of time ---- */

/* Window of event time t; records of a batch mostly share one window. */
static inline int64_t
widx_of(struct fw_detect *d, int64_t t)
{
	/* Unsigned: one compare covers both bounds and cannot overflow. */
	if ((uint64_t)t - (uint64_t)d->memo_w0 < (uint64_t)d->cfg.window_ms)
		return d->memo_widx;
	d->memo_widx = det_floor_div(t, d->cfg.window_ms);
	d->memo_w0 = d->memo_widx * d->cfg.window_ms;
	return d->memo_widx;
}

static void close_window(struct fw_detect *d, int64_t widx);

static void
close_until(struct fw_detect *d, int64_t upto)
{
	int64_t idle = d->cfg.idle_windows;

	if (d->next_close == INT64_MIN)
		return;
	/* After a long silence every slot is empty: closing more than
	 * end + idle windows changes nothing, so jump (bounded work). */
	if (upto - d->next_close > d->cfg.end_windows + idle + d->nslots) {
		int64_t stop = d->next_close + d->cfg.end_windows + idle;

		while (d->next_close < stop)
			close_window(d, d->next_close++);
		d->next_close = upto - d->nslots;
	}
	while (d->next_close < upto)
		close_window(d, d->next_close++);
}

static void
advance(struct fw_detect *d)
{
	int64_t wm = d->max_event_ms - d->late_ms;

	if (d->wall_ms > 0 && d->wall_ms - d->late_ms > wm)
		wm = d->wall_ms - d->late_ms;
	close_until(d, det_floor_div(wm, d->cfg.window_ms));
}

/*
 * Account a record's event time: closes windows the ring must reuse and
 * returns the window it lands in (late ones go to the oldest open window),
 * or INT64_MIN when it is dropped (too far ahead of the wall clock).
 */
int64_t
det_take_time(struct fw_detect *d, int64_t t)
{
	int64_t widx;

	/* Before 1970 or past year ~292 million / 4: not a time, dropped
	 * (and window arithmetic stays far from overflow). */
	if ((d->wall_ms > 0 && t > d->wall_ms + 60000) || t < 0 || t > INT64_MAX / 4) {
		d->st.future++;
		return INT64_MIN;
	}
	/* Live: a record more than a window ahead of the wall clock (a fast
	 * exporter clock, or a spoofed one) counts now.  Its own time would
	 * move event time forward, close the open windows and make every
	 * honest record late: one datagram would blind the detector. */
	if (d->wall_ms > 0 && t > d->wall_ms + d->cfg.window_ms) {
		d->st.ahead++;
		t = d->wall_ms;
	}
	widx = widx_of(d, t);
	if (d->next_close == INT64_MIN) {
		d->next_close = widx;
		d->learn_from_ms = t + d->late_max_ms + d->cfg.window_ms;
	}
	if (t > d->max_event_ms) {
		bool newer = d->max_event_ms == INT64_MIN || widx > det_floor_div(d->max_event_ms, d->cfg.window_ms);

		if (d->max_event_ms != INT64_MIN && newer)
			dns_period_end(d, d->dns, det_floor_div(d->max_event_ms, d->cfg.window_ms), d->next_close);
		/* (runs once per new newest window, not per record) */
		d->max_event_ms = t;
		if (newer)
			advance(d);
		if (widx - d->next_close >= d->nslots)
			close_until(d, widx - d->nslots + 1);
	}
	if (widx < d->next_close) {
		d->st.late++;
		widx = d->next_close;
	}
	d->seq++;
	return widx;
}

/*
 * Lateness learning.  Exporters send a flow when it times out: records of
 * short flows arrive an inactive timeout (often 15 s) after their packets,
 * while long flows cut by the active timeout arrive at once and move event
 * time on.  Windows must stay open long enough for the short ones, or a
 * spoofed flood (all short flows) lands a timeout late.  Each flow record's
 * lag behind the newest event time is counted in a decaying histogram; the
 * lateness in force is the lag that all but 1 % of records stay within,
 * bounded by [lateness_ms, max_lateness_ms].  It starts at the bound and is
 * learned once max_lateness_ms of event time has passed (until then the
 * late records of the first seconds have not all arrived): a cold start
 * neither drops short flows into the wrong windows nor piles them up later.
 * Per record: a multiply and an increment; per window: one walk of LAG_NB
 * buckets.
 */
static inline void
learn_lag(struct fw_detect *d, int64_t end_ms)
{
	uint64_t lag = (uint64_t)(d->max_event_ms - end_ms), b;

	if (d->late_max_ms <= d->cfg.lateness_ms)
		return;
	b = lag >= (UINT64_C(1) << 31) ? LAG_NB - 1 : (lag * d->lag_mul) >> 32;
	d->lagh[b < LAG_NB ? b : LAG_NB - 1]++;
	if (++d->lag_n >= (1u << 16)) {
		d->lag_n = 0;
		for (int i = 0; i < LAG_NB; i++) {
			d->lagh[i] >>= 1;
			d->lag_n += d->lagh[i];
		}
	}
}

static void
learn_lateness(struct fw_detect *d)
{
	uint32_t tail = 0;
	int64_t l;
	int b;

	if (d->late_max_ms <= d->cfg.lateness_ms || d->lag_n < 100 || d->max_event_ms < d->learn_from_ms)
		return;
	for (b = LAG_NB - 1; b > 0; b--)
		if ((tail += d->lagh[b]) * 100 > d->lag_n)
			break;
	/* Records of bucket b lag less than b + 1 windows.  Up at once; down
	 * only by two windows or more, so a lag at a bucket edge does not make
	 * the lateness (and the seams of shifted records) flicker. */
	l = (int64_t)(b + 1) * d->cfg.window_ms;
	if (l < d->cfg.lateness_ms)
		l = d->cfg.lateness_ms;
	if (l > d->late_max_ms)
		l = d->late_max_ms;
	if (l > d->late_ms || l < d->late_ms - d->cfg.window_ms)
		d->late_ms = l;
	d->st.lateness_ms = (uint64_t)d->late_ms;
}

/* ---- flow records ---- */

struct rec_info {
	int cls;                   /* enum cls */
	int amp;                   /* enum amp or -1 */
	bool big;                  /* average packet size over the amp threshold */
	uint64_t fh[NFEAT];        /* feature hashes */
	uint32_t wt;               /* weight for histograms (packets, capped) */
};

static void
rec_info(const struct fw_flow *f, struct rec_info *ri)
{
	uint64_t x, y;

	ri->amp = -1;
	ri->big = false;
	switch (f->proto) {
	case 6:
		if ((f->tcp_flags & 0x02) && !(f->tcp_flags & 0x10))
			ri->cls = C_SYN;
		else if ((f->tcp_flags & 0x10) && !(f->tcp_flags & 0x0f))
			ri->cls = C_ACK;
		else
			ri->cls = C_TCP;
		break;
	case 17:
		ri->cls = C_UDP;
		for (int a = 0; a < AMP_N; a++)
			if (f->sport == amp_port[a])
				ri->amp = a;
		ri->big = ri->amp >= 0 && f->pkts > 0 &&
		    (double)f->bytes / (double)f->pkts > amp_min_size[ri->amp];
		break;
	case 1:
	case 58:
		ri->cls = C_ICMP;
		break;
	case 47:
		ri->cls = C_GRE;
		break;
	default:
		ri->cls = C_OTHER;
		break;
	}
	memcpy(&x, f->src.b, 8);
	memcpy(&y, f->src.b + 8, 8);
	ri->fh[F_SRC] = fw_hash64(x ^ fw_hash64(y));
	ri->fh[F_SPORT] = fw_hash64(0x10000u | f->sport);
	ri->fh[F_DPORT] = fw_hash64(0x20000u | f->dport);
	ri->fh[F_PROTO] = fw_hash64(0x30000u | f->proto);
	ri->fh[F_TTL] = fw_hash64(0x40000u | f->ttl);
	memcpy(&x, f->dst.b, 8);
	memcpy(&y, f->dst.b + 8, 8);
	ri->fh[F_DST] = fw_hash64(x ^ fw_hash64(y ^ 0x5555));
	ri->wt = f->pkts > UINT32_MAX ? UINT32_MAX : (uint32_t)f->pkts;
}

static void
detail_attach(struct fw_detect *d, struct victim *v)
{
	struct detail *x;

	if (d->ndfree == 0) {
		d->st.details_full++;
		return;
	}
	v->detail = d->dfree[--d->ndfree];
	x = &d->det[v->detail];
	x->owner = (uint32_t)(v - d->v);
	fw_topk_init(&x->src, FW_TOPK_K);
	fw_topk_init(&x->sport, 8);
	fw_topk_init(&x->dport, 8);
	fw_topk_init(&x->dst, 8);
	memset(x->ent, 0, sizeof(x->ent));
}

static void
win_add(struct fwin *w, const struct rec_info *ri, uint64_t pkts, uint64_t bytes)
{
	w->pkts += pkts;
	w->bytes += bytes;
	w->cls[ri->cls] += (uint32_t)pkts;
	if (ri->big)
		w->amp_big[ri->amp] += (uint32_t)pkts;
}

/*
 * Where a record's packets go (see "Windows and time" in README.md).  A
 * record says "these packets were seen between start and end"; its share of
 * any window is never more than its own average rate over that span:
 *  - SP_POINT: no usable span (sFlow samples, start == end): the window of
 *    its end (late: the oldest open window);
 *  - SP_SPREAD: [t0, t1] lies in the open windows: spread by time overlap;
 *  - SP_CREDIT: the span reaches past the open windows: a rate credit that
 *    each window receives as it closes (credit_apply).
 * A record that began in a closed window is shifted to begin in the oldest
 * open one, keeping its duration and so its rate: a 60 s flow exported at
 * its end is paid over the next 60 s, never dumped into a few windows.
 */
enum spmode { SP_POINT, SP_SPREAD, SP_CREDIT };

struct span {
	enum spmode mode;
	int64_t t0, t1;            /* SPREAD/CREDIT: span after any shift (ms) */
	int64_t ws, we;            /* SPREAD: first and last window */
};

/* The remaining volume of credit c, with the oldest open window at now. */
static inline double
credit_left(const struct credit *c, int64_t now, bool bytes)
{
	return (bytes ? c->bytes_ms : c->pkts_ms) * (double)(c->end_ms - now);
}

/* Add pkts/bytes over [now, end) into credit c; the later end wins and the
 * rate is what the total volume needs until then (never above the sum). */
static void
credit_merge(struct credit *c, uint8_t *cls, int8_t *amp, int64_t now, int64_t end,
    double pkts, double bytes, uint8_t ncls, int8_t namp)
{
	double p = credit_left(c, now, false), b = credit_left(c, now, true);

	if (pkts > p) {             /* the larger volume names the class */
		*cls = ncls;
		*amp = namp;
	}
	if (end > c->end_ms)
		c->end_ms = end;
	c->pkts_ms = (float)((p + pkts) / (double)(c->end_ms - now));
	c->bytes_ms = (float)((b + bytes) / (double)(c->end_ms - now));
}

/*
 * Credit pkts/bytes over [now, end) to v: O(NCREDIT^2), no allocation.  A
 * credit of the same class ending up to a window later absorbs it; else a
 * free slot; else the pair (among the credits and the new one) whose merge
 * distorts least is merged: the packets of the earlier-ending one are
 * stretched to the later end, so the cost is those packets x the relative
 * stretch, plus half the smaller one's packets when the classes differ.  A
 * flood's credit is thus not stretched over a light benign one's tail.
 * Merging only ever lengthens a credit: nothing is paid faster than its
 * own record's rate.
 */
static void
credit_add(struct fw_detect *d, struct victim *v, int64_t now, int64_t end,
    double pkts, double bytes, uint8_t cls, int8_t amp)
{
	int64_t ends[NCREDIT + 1];
	double vol[NCREDIT + 1], best = 1e300;
	int bi = 0, bj = 0;

	/* Absorbed only when it ends at most a window earlier: a credit is never
	 * lengthened this way, or a stream of records a second apart would
	 * stretch it without end. */
	for (int i = 0; i < v->ncr; i++) {
		int64_t e = v->cr[i].end_ms;

		if (v->cr_cls[i] == cls && v->cr_amp[i] == amp && end <= e && e - end <= d->cfg.window_ms) {
			credit_merge(&v->cr[i], &v->cr_cls[i], &v->cr_amp[i], now, end, pkts, bytes, cls, amp);
			return;
		}
	}
	if (v->ncr < NCREDIT) {
		struct credit *c = &v->cr[v->ncr];

		if (v->ncr++ == 0)
			d->credited++;
		c->end_ms = now;
		c->pkts_ms = c->bytes_ms = 0;
		v->cr_cls[v->ncr - 1] = cls;
		v->cr_amp[v->ncr - 1] = amp;
		credit_merge(c, &v->cr_cls[v->ncr - 1], &v->cr_amp[v->ncr - 1], now, end, pkts, bytes, cls, amp);
		return;
	}
	for (int i = 0; i < NCREDIT; i++) {
		ends[i] = v->cr[i].end_ms;
		vol[i] = credit_left(&v->cr[i], now, false);
	}
	ends[NCREDIT] = end;
	vol[NCREDIT] = pkts;
	for (int i = 0; i < NCREDIT; i++) {
		for (int j = i + 1; j <= NCREDIT; j++) {
			int early = ends[i] < ends[j] ? i : j, late = early == i ? j : i;
			double cost = vol[early] * (double)(ends[late] - ends[early]) / (double)(ends[late] - now + 1);

			if (j == NCREDIT ? (v->cr_cls[i] != cls || v->cr_amp[i] != amp) :
			    (v->cr_cls[i] != v->cr_cls[j] || v->cr_amp[i] != v->cr_amp[j]))
				cost += 0.5 * (vol[i] < vol[j] ? vol[i] : vol[j]);
			if (cost < best) {
				best = cost;
				bi = i;
				bj = j;
			}
		}
	}
	if (bj < NCREDIT) {
		/* Fold credit bj into bi, then bj takes the new one. */
		struct credit *cj = &v->cr[bj];

		credit_merge(&v->cr[bi], &v->cr_cls[bi], &v->cr_amp[bi], now, cj->end_ms,
		    credit_left(cj, now, false), credit_left(cj, now, true), v->cr_cls[bj], v->cr_amp[bj]);
		cj->end_ms = now;
		cj->pkts_ms = cj->bytes_ms = 0;
		v->cr_cls[bj] = cls;
		v->cr_amp[bj] = amp;
		bi = bj;
	}
	credit_merge(&v->cr[bi], &v->cr_cls[bi], &v->cr_amp[bi], now, end, pkts, bytes, cls, amp);
	d->st.credit_merges++;
}

/*
 * Pay window widx (about to close) its share of v's credits; credits that
 * end within it are dropped.  Whole packets and bytes go in, the fractions
 * are carried, so the sums stay exact over time.  Returns the window slot.
 */
static struct fwin *
credit_apply(struct fw_detect *d, struct victim *v, int64_t widx)
{
	int64_t ws = widx * d->cfg.window_ms, we = ws + d->cfg.window_ms;
	struct fwin *w = open_slot(d, v, widx);
	double p = v->carry_p, b = v->carry_b, fp, fb;

	for (int i = 0; i < v->ncr;) {
		struct credit *c = &v->cr[i];
		int64_t ov = (c->end_ms < we ? c->end_ms : we) - ws;

		if (ov > 0) {
			double cp = (double)c->pkts_ms * (double)ov;

			p += cp;
			b += (double)c->bytes_ms * (double)ov;
			w->cls[v->cr_cls[i]] += (uint32_t)(cp + 0.5);
			if (v->cr_amp[i] >= 0)
				w->amp_big[v->cr_amp[i]] += (uint32_t)(cp + 0.5);
		}
		if (c->end_ms <= we) {
			v->ncr--;
			v->cr[i] = v->cr[v->ncr];
			v->cr_cls[i] = v->cr_cls[v->ncr];
			v->cr_amp[i] = v->cr_amp[v->ncr];
		} else {
			i++;
		}
	}
	fp = floor(p);
	fb = floor(b);
	w->pkts += (uint64_t)fp;
	w->bytes += (uint64_t)fb;
	v->carry_p = (float)(p - fp);
	v->carry_b = (float)(b - fb);
	if (v->ncr == 0)
		credit_drop(d, v);
	if (v->detail == NONE32 && w->pkts >= d->attach_pkts)
		detail_attach(d, v);
	return w;
}

/* Add one record to one victim; returns the slot of the window it arrived in. */
static struct fwin *
victim_take(struct fw_detect *d, struct victim *v, const struct fw_flow *f,
    const struct rec_info *ri, const struct span *sp, int64_t we)
{
	struct fwin *w;

	v->last_seq = d->seq;
	if (sp->mode == SP_CREDIT) {
		credit_add(d, v, d->next_close * d->cfg.window_ms, sp->t1, (double)f->pkts,
		    (double)f->bytes, (uint8_t)ri->cls, (int8_t)(ri->big ? ri->amp : -1));
	} else if (sp->mode == SP_POINT) {
		win_add(open_slot(d, v, sp->ws), ri, f->pkts, f->bytes);
		we = sp->ws;
	} else {
		/* Spread over [ws, we] by time overlap; cumulative rounding keeps
		 * the sums exact. */
		int64_t W = d->cfg.window_ms, t0 = sp->t0, t1 = sp->t1;
		double span = (double)(t1 - t0);
		uint64_t done_p = 0, done_b = 0;

		for (int64_t k = sp->ws; k <= sp->we; k++) {
			int64_t upto = k == sp->we ? t1 : (k + 1) * W;
			double frac = (double)(upto - t0) / span;
			uint64_t cp = k == sp->we ? f->pkts : (uint64_t)((double)f->pkts * frac);
			uint64_t cb = k == sp->we ? f->bytes : (uint64_t)((double)f->bytes * frac);

			if (cp < done_p)
				cp = done_p;
			if (cb < done_b)
				cb = done_b;
			win_add(open_slot(d, v, k), ri, cp - done_p, cb - done_b);
			done_p = cp;
			done_b = cb;
		}
	}
	w = open_slot(d, v, we);
	w->flows++;
	if (f->sampling > w->max_sampling)
		w->max_sampling = f->sampling;
	if (v->detail == NONE32 && w->pkts >= d->attach_pkts)
		detail_attach(d, v);
	/*
	 * Sketch sampling, deterministic by record number; heavy-hitter weights
	 * are scaled so shares stay unbiased:
	 *  - a calm victim (under half its threshold): the first 8 records of
	 *    a window, then 1 in 16 (busy servers must not cost a sketch
	 *    update per record);
	 *  - a watched one: every record until its heavy hitters saw 4096
	 *    packets, then 1 in 8 (a spoofed flood costs 1/8).
	 */
	if (v->detail != NONE32) {
		struct detail *x = &d->det[v->detail];
		uint64_t wt = f->pkts, m = 0;

		if (!v->watch)
			m = w->flows > 8 ? 15 : 0;
		else if (x->src.total >= 4096)
			m = 7;
		if ((d->seq & m) != 0)
			return w;
		wt *= m + 1;
		/* Destination spread only means something for a prefix. */
		for (int i = 0; i < (v->kind == VK_AGG ? NFEAT : F_DST); i++)
			fw_ent16_add(&x->ent[i], ri->fh[i], ri->wt);
		x->src_addr[fw_topk_add(&x->src, ri->fh[F_SRC], wt)] = f->src;
		if (f->proto == 6 || f->proto == 17) {
			(void)fw_topk_add(&x->sport, f->sport, wt);
			(void)fw_topk_add(&x->dport, f->dport, wt);
		}
		if (v->kind == VK_AGG)
			x->dst_addr[fw_topk_add(&x->dst, ri->fh[F_DST], wt)] = f->dst;
	}
	return w;
}

static void
take_flow(struct fw_detect *d, const struct fw_flow *f, uint64_t host_hash)
{
	struct rec_info ri;
	struct fw_addr agg;
	uint8_t agg_plen = 0;
	int64_t we;
	struct victim *v, *a;
	struct fwin *hw, *aw;
	struct span sp = { SP_POINT, 0, 0, 0, 0 };

	if ((we = det_take_time(d, f->end_ms)) == INT64_MIN)
		return;
	sp.ws = we;
	learn_lag(d, f->end_ms);
	if (f->start_ms > 0 && f->start_ms < f->end_ms) {
		int64_t W = d->cfg.window_ms, now = d->next_close * W;
		int64_t dur = f->end_ms - f->start_ms;

		sp.t0 = f->start_ms;
		sp.t1 = f->end_ms;
		if (dur > MAX_SPAN_MS)
			dur = MAX_SPAN_MS;
		if (sp.t0 < now) {
			/* Began in a closed window: shift, keeping the rate. */
			sp.t0 = now;
			sp.t1 = now + dur;
			d->st.shifted++;
		}
		if (sp.t1 >= (d->next_close + d->nslots) * W) {
			sp.mode = SP_CREDIT;
			d->st.credits++;
		} else {
			sp.mode = SP_SPREAD;
			sp.ws = widx_of(d, sp.t0);
			sp.we = widx_of(d, sp.t1);
			if (sp.ws == sp.we)
				sp.mode = SP_POINT;
		}
	}
	const struct net *best = NULL;

	if (d->nnets > 0) {
		for (int i = 0; i < d->nnets; i++)
			if (in_prefix(&f->dst, &d->nets[i]) && (best == NULL || d->nets[i].plen > best->plen))
				best = &d->nets[i];
		if (best == NULL) {
			d->st.unwatched++;
			return;
		}
		if (best->plen < 128) {
			agg = best->addr;
			agg_plen = best->plen;
		}
	} else {
		unsigned p = is_v4(&f->dst) ? (d->cfg.auto_prefix_v4 > 0 ? 96 + (unsigned)d->cfg.auto_prefix_v4 : 0) :
		    (unsigned)d->cfg.auto_prefix_v6;

		if (p > 0 && p < 128) {
			agg = f->dst;
			mask_addr(&agg, p);
			agg_plen = (uint8_t)p;
		}
	}
	rec_info(f, &ri);
	if ((v = victim_get(d, &f->dst, 128, VK_HOST, host_hash)) == NULL) {
		d->st.victims_full++;
		hw = NULL;
	} else {
		if (best != NULL)
			v->static_pps = (float)best->static_pps;
		hw = victim_take(d, v, f, &ri, &sp, we);
	}
	if (agg_plen == 0)
		return;
	if ((a = victim_get(d, &agg, agg_plen, VK_AGG, key_hash(&agg, agg_plen))) == NULL) {
		d->st.victims_full++;
		return;
	}
	if (best != NULL)
		a->static_pps = (float)best->static_pps;
	aw = victim_take(d, a, f, &ri, &sp, we);
	/* The largest host share of each window the record touched (credits:
	 * when they are paid, in close_window). */
	if (sp.mode != SP_SPREAD) {
		if (hw != NULL && hw->pkts > aw->max_host)
			aw->max_host = hw->pkts > UINT32_MAX ? UINT32_MAX : (uint32_t)hw->pkts;
		return;
	}
	for (int64_t k = sp.ws; hw != NULL && k <= sp.we; k++) {
		const struct fwin *hk = slot_of(d, v, k);
		struct fwin *ak = slot_of(d, a, k);

		if (hk->tag == k + 1 && ak->tag == k + 1 && hk->pkts > ak->max_host)
			ak->max_host = hk->pkts > UINT32_MAX ? UINT32_MAX : (uint32_t)hk->pkts;
	}
}

/* ---- classification and evidence ---- */

/*
 * The primary vector of a packet mix (rules in README.md, "Vectors (flows)"):
 * reflection first (UDP from the service port, large average packets,
 * > 50 % of packets), then the class carrying > 50 % of packets, else
 * volumetric.  Secondary vectors: other classes with >= 20 %.
 */
static uint8_t
classify(const uint64_t *cls, const uint64_t *amp_big, uint8_t *second, int *nsecond)
{
	static const uint8_t cls_vec[NCLS] = {
		FW_VEC_SYN_FLOOD, FW_VEC_ACK_FLOOD, FW_VEC_VOLUMETRIC, FW_VEC_UDP_FLOOD,
		FW_VEC_ICMP_FLOOD, FW_VEC_GRE_FLOOD, FW_VEC_VOLUMETRIC,
	};
	uint64_t total = 0;
	uint8_t primary = FW_VEC_VOLUMETRIC;

	*nsecond = 0;
	for (int c = 0; c < NCLS; c++)
		total += cls[c];
	if (total == 0)
		return primary;
	for (int a = 0; a < AMP_N && primary == FW_VEC_VOLUMETRIC; a++)
		if (amp_big[a] * 2 > total)
			primary = amp_vec[a];
	for (int c = 0; c < NCLS && primary == FW_VEC_VOLUMETRIC; c++)
		if (cls[c] * 2 > total)
			primary = cls_vec[c];
	for (int a = 0; a < AMP_N; a++)
		if (amp_vec[a] != primary && amp_big[a] > 0 && amp_big[a] * 5 >= total)
			second[(*nsecond)++] = amp_vec[a];
	for (int c = 0; c < NCLS; c++)
		if (cls_vec[c] != primary && cls_vec[c] != FW_VEC_VOLUMETRIC && cls[c] * 5 >= total &&
		    !(c == C_UDP && primary >= FW_VEC_DNS_AMPLIFICATION))
			second[(*nsecond)++] = cls_vec[c];
	return primary;
}

static json_t *
jshare(uint64_t part, uint64_t total)
{
	return json_real(total ? det_round((double)part / (double)total, 0.001) : 0.0);
}

static json_t *
top_list(const struct fw_topk *t, const struct fw_addr *addrs, int shown, int port)
{
	json_t *arr = json_array();
	uint32_t order[FW_TOPK_K];

	fw_topk_order(t, order);
	for (int i = 0; i < shown && (uint32_t)i < t->n; i++) {
		json_t *o = json_object();
		char a[64];

		if (addrs != NULL) {
			fw_addr_format(&addrs[order[i]], a, sizeof(a));
			json_object_set_new(o, "addr", json_string(a));
		} else {
			json_object_set_new(o, port ? "port" : "value", json_integer((json_int_t)t->key[order[i]]));
		}
		/* cnt - err: the guaranteed weight (spoofed sources show ~0). */
		json_object_set_new(o, "share", jshare(t->cnt[order[i]] - t->err[order[i]], t->total));
		json_array_append_new(arr, o);
	}
	return arr;
}

static void
flow_evidence(struct fw_detect *d, const struct victim *v, char *out, size_t outlen)
{
	uint8_t second[NCLS + AMP_N];
	int nsecond;
	uint64_t total = 0;

	(void)classify(v->mix_cls, v->mix_amp_big, second, &nsecond);
	for (int c = 0; c < NCLS; c++)
		total += v->mix_cls[c];
	/* Lists shrink until the text fits FW_EVIDENCE_MAX. */
	for (int shown = TOP_SHOWN; shown >= 0; shown = shown > 1 ? shown - 2 : shown - 1) {
		json_t *o = json_object(), *x;

		json_object_set_new(o, "kind", json_string(v->kind == VK_HOST ? "host" : "prefix"));
		x = json_object();
		json_object_set_new(x, "pps", json_real(det_round(v->b_pps.mean, 0.1)));
		json_object_set_new(x, "bps", json_real(det_round(v->b_bps.mean, 1)));
		json_object_set_new(x, "fps", json_real(det_round(v->b_fps.mean, 0.1)));
		json_object_set_new(o, "baseline", x);
		x = json_object();
		json_object_set_new(x, "pps", json_real(det_round(v->al.cur_pps, 0.1)));
		json_object_set_new(x, "bps", json_real(det_round(v->al.cur_bps, 1)));
		json_object_set_new(x, "fps", json_real(det_round(v->cur_fps, 0.1)));
		json_object_set_new(o, "observed", x);
		json_object_set_new(o, "threshold_pps", json_real(det_round(v->al.thr, 0.1)));
		json_object_set_new(o, "sampling", json_integer(v->max_sampling ? v->max_sampling : 1));
		x = json_object();
		for (int c = 0; c < NCLS; c++)
			if (v->mix_cls[c])
				json_object_set_new(x, cls_names[c], jshare(v->mix_cls[c], total));
		json_object_set_new(o, "protocol_shares", x);
		x = json_object();
		for (int a = 0; a < AMP_N; a++) {
			char port[8];

			if (v->mix_amp_big[a] == 0)
				continue;
			snprintf(port, sizeof(port), "%u", amp_port[a]);
			json_object_set_new(x, port, jshare(v->mix_amp_big[a], total));
		}
		json_object_set_new(o, "reflector_port_shares", x);
		x = json_array();
		for (int i = 0; i < nsecond; i++)
			json_array_append_new(x, json_string(fw_vector_name(second[i])));
		json_object_set_new(o, "secondary_vectors", x);
		x = json_object();
		for (int f = 0; f < NFEAT; f++) {
			json_t *e;

			if (f == F_DST && v->kind == VK_HOST)
				continue;
			e = json_object();
			json_object_set_new(e, "observed", json_real(det_round(
			    v->al.active || v->al.seq > 0 ? v->ent_peak[f] : v->ent_now[f], 0.01)));
			json_object_set_new(e, "baseline", json_real(det_round(v->b_ent[f].mean, 0.01)));
			json_object_set_new(x, feat_names[f], e);
		}
		json_object_set_new(o, "entropy", x);
		if (v->kind == VK_AGG)
			json_object_set_new(o, "max_host_share", json_real(det_round(v->max_host_share, 0.001)));
		if (v->detail != NONE32 && shown > 0) {
			const struct detail *dt = &d->det[v->detail];

			json_object_set_new(o, "top_sources", top_list(&dt->src, dt->src_addr, shown, 0));
			json_object_set_new(o, "top_src_ports", top_list(&dt->sport, NULL, shown, 1));
			json_object_set_new(o, "top_dst_ports", top_list(&dt->dport, NULL, shown, 1));
			if (v->kind == VK_AGG)
				json_object_set_new(o, "top_destinations", top_list(&dt->dst, dt->dst_addr, shown, 0));
		}
		if (det_json_put(o, out, outlen))
			return;
	}
	snprintf(out, outlen, "{}");
}

/* ---- closing a window ---- */

/* The aggregate (prefix) victim a host feeds, if it is tracked. */
static struct victim *
agg_of(struct fw_detect *d, const struct victim *v)
{
	struct fw_addr m = v->addr;
	size_t slot;
	unsigned p = 0;

	if (d->nnets > 0) {
		for (int i = 0; i < d->nnets; i++)
			if (in_prefix(&v->addr, &d->nets[i]) && d->nets[i].plen > p && d->nets[i].plen < 128)
				p = d->nets[i].plen;
	} else {
		p = is_v4(&v->addr) ? (d->cfg.auto_prefix_v4 > 0 ? 96 + (unsigned)d->cfg.auto_prefix_v4 : 0) :
		    (unsigned)d->cfg.auto_prefix_v6;
	}
	if (p == 0 || p >= 128)
		return NULL;
	mask_addr(&m, p);
	return victim_find(d, &m, (uint8_t)p, key_hash(&m, (uint8_t)p), &slot);
}

/*
 * Pay every credit into window widx before anything is scored; a host's
 * credited packets count toward its prefix's largest host share (the
 * dominance rule).  Skipped when no victim holds credits.
 */
static void
pay_credits(struct fw_detect *d, int64_t widx)
{
	for (size_t n = 0; n < d->vhw && d->credited > 0; n++) {
		struct victim *v = &d->v[n], *a;
		const struct fwin *hw;
		struct fwin *aw;

		if (!v->used || v->ncr == 0)
			continue;
		hw = credit_apply(d, v, widx);
		if (v->kind != VK_HOST || (a = agg_of(d, v)) == NULL)
			continue;
		aw = open_slot(d, a, widx);
		if (hw->pkts > aw->max_host)
			aw->max_host = hw->pkts > UINT32_MAX ? UINT32_MAX : (uint32_t)hw->pkts;
	}
}

static void
score_victim(struct fw_detect *d, struct victim *v, int64_t widx)
{
	double secs = (double)d->cfg.window_ms / 1000.0;
	struct fwin *w = slot_of(d, v, widx);
	static const struct fwin empty;
	const struct fwin *cw = w->tag == widx + 1 ? w : &empty;
	double pps = (double)cw->pkts / secs, bps = (double)cw->bytes * 8 / secs;
	double fps = (double)cw->flows / secs;
	double thr_p = det_threshold(d, &v->b_pps, d->cfg.min_pps, d->cfg.multiplier);
	double thr_b = det_threshold(d, &v->b_bps, d->cfg.min_bps, d->cfg.multiplier);
	double thr_f = det_threshold(d, &v->b_fps, d->cfg.min_fps, d->cfg.multiplier);
	int64_t wstart = widx * d->cfg.window_ms, wend = wstart + d->cfg.window_ms;
	bool hot, calm, was_active, had_traffic = cw->pkts > 0, had_detail = true;
	bool suppressed = false;   /* hot, but another victim carries the alert */
	enum lc_action act;
	struct alert *al = &v->al;

	if (v->detail != NONE32) {
		struct detail *x = &d->det[v->detail];

		for (int f = 0; f < NFEAT; f++)
			v->ent_now[f] = fw_ent16_value(&x->ent[f]);
		memset(x->ent, 0, sizeof(x->ent));
	} else {
		memset(v->ent_now, 0, sizeof(v->ent_now));
		had_detail = false;
	}
	if (al->active) {
		thr_p = al->thr;  /* the baseline is frozen while the alert is open */
		thr_b = al->thr_b;
	}
	/* A static threshold (detector.networks PREFIX@PPS) caps the learned
	 * one and holds during warm-up too. */
	if (!al->active && v->static_pps > 0 && v->static_pps < thr_p)
		thr_p = v->static_pps;
	/* Warm-up: the static threshold when there is one, else detector.warmup_pps. */
	if (!al->active)
		thr_p = det_warm_threshold(d, thr_p, v->static_pps > 0 ? v->static_pps : d->cfg.warmup_pps);
	hot = pps > thr_p || (d->cfg.min_bps > 0 && bps > thr_b) || (d->cfg.min_fps > 0 && fps > thr_f);
	if (det_warming(d) && !al->active)
		hot = pps > thr_p;  /* no bps/flow baseline to trust yet: the floor alone */
	calm = pps < thr_p * d->cfg.hysteresis && (d->cfg.min_bps <= 0 || bps < thr_b * d->cfg.hysteresis);
	v->max_host_share = cw->pkts ? (double)cw->max_host / (double)cw->pkts : 0;
	if (v->kind == VK_AGG) {
		/* One host carries it: the host's own alert names the victim. */
		if (hot && v->max_host_share >= d->cfg.dominance) {
			hot = false;
			suppressed = true;
			d->st.suppressed++;
		}
		v->spread_hot = hot || (al->active && !calm);
	} else if (hot && !al->active) {
		/* A host inside a hot spread aggregate: the carpet bomb alert
		 * (the prefix) covers it. */
		const struct victim *a = agg_of(d, v);

		if (a != NULL && a->spread_hot) {
			hot = false;
			suppressed = true;
			d->st.suppressed++;
		}
	}
	al->cur_pps = pps;
	al->cur_bps = bps;
	v->cur_fps = fps;
	v->idle_run = had_traffic ? 0 : v->idle_run + 1;

	if (hot || al->active) {
		if (al->hot_run == 0 && !al->active) {
			memset(v->mix_cls, 0, sizeof(v->mix_cls));
			memset(v->mix_amp_big, 0, sizeof(v->mix_amp_big));
			v->max_sampling = 0;
		}
		if (hot || !calm) {
			for (int c = 0; c < NCLS; c++)
				v->mix_cls[c] += cw->cls[c];
			for (int a = 0; a < AMP_N; a++) {
				v->mix_amp_big[a] += cw->amp_big[a];
			}
		}
		if (cw->max_sampling > v->max_sampling)
			v->max_sampling = cw->max_sampling;
	}
	was_active = al->active;
	act = det_lifecycle(d, al, hot, calm, widx, wstart, wend);
	if (hot || al->active) {
		if (pps > al->peak_pps) {
			al->peak_pps = pps;
			memcpy(v->ent_peak, v->ent_now, sizeof(v->ent_peak));
		}
		if (bps > al->peak_bps)
			al->peak_bps = bps;
	}
	/* A suppressed window is attack traffic too: never learned. */
	if (!hot && !suppressed && !was_active && al->hot_run == 0) {
		det_learn(d, &v->b_pps, pps);
		det_learn(d, &v->b_bps, bps);
		det_learn(d, &v->b_fps, fps);
		if (had_traffic && had_detail)
			for (int f = 0; f < NFEAT; f++)
				det_learn(d, &v->b_ent[f], v->ent_now[f]);
		if (v->detail != NONE32 && cw->pkts < d->attach_pkts)
			detail_release(d, v);
	} else if (suppressed && v->kind == VK_AGG && !was_active && al->hot_run == 0) {
		/* Carried by one host (its flood): the prefix learns the rest, so
		 * a host flood running since start leaves it a baseline. */
		double rest = 1.0 - v->max_host_share;

		det_learn(d, &v->b_pps, pps * rest);
		det_learn(d, &v->b_bps, bps * rest);
		det_learn(d, &v->b_fps, fps * rest);
	}
	if (act != LC_NONE) {
		char text[FW_VICTIM_MAX];
		uint8_t second[NCLS + AMP_N];
		int nsecond;

		if (act == LC_START || act == LC_RESTART) {
			al->thr = thr_p;
			al->thr_b = thr_b;
		}
		if (act != LC_END)
			al->vector = classify(v->mix_cls, v->mix_amp_big, second, &nsecond);
		victim_text(v, text, sizeof(text));
		flow_evidence(d, v, d->evbuf, sizeof(d->evbuf));
		det_emit(d, al, act, act == LC_END ? al->last_hot_ms : wend, text, d->evbuf);
	}
	if (act == LC_END && cw->pkts < d->attach_pkts)
		detail_release(d, v);
	v->watch = hot || al->active || al->hot_run > 0 || pps > 0.5 * thr_p;
	if (w->tag == widx + 1)
		memset(w, 0, sizeof(*w));
}

static void
close_window(struct fw_detect *d, int64_t widx)
{
	pay_credits(d, widx);
	/* Aggregates first: a host consults its prefix's verdict. */
	for (int pass = VK_AGG; pass >= VK_HOST; pass--) {
		for (size_t n = 0; n < d->vhw; n++) {
			struct victim *v = &d->v[n];

			if (!v->used || v->kind != pass)
				continue;
			score_victim(d, v, widx);
			if (!v->al.active && v->al.hot_run == 0 && v->idle_run >= (uint32_t)d->cfg.idle_windows) {
				bool busy = v->ncr > 0;  /* credits still to pay */

				for (int s = 0; s < d->nslots; s++)
					busy |= d->w[n * (size_t)d->nslots + (size_t)s].tag != 0;
				if (!busy) {
					victim_remove(d, v);
					d->st.evicted++;
				}
			}
		}
	}
	/* The wall clock (or the end of input) closes the newest window before
	 * a newer record ended its DNS period: snapshot it now. */
	if (d->max_event_ms != INT64_MIN && widx >= det_floor_div(d->max_event_ms, d->cfg.window_ms))
		dns_period_end(d, d->dns, widx, widx);
	dns_close_window(d, d->dns, widx);
	d->st.windows_closed++;
	learn_lateness(d);
}

/* ---- public API ---- */

/*
 * Keys this detector added whose 0 is out of bounds take their default, so
 * a config built by hand (zeroed, then a few fields set) still works.
 */
static void
config_fill(struct fw_config *c)
{
	struct fw_config def;

	fw_config_defaults(&def);
	if (c->max_details <= 0)
		c->max_details = def.max_details;
	if (c->idle_windows <= 0)
		c->idle_windows = def.idle_windows;
	if (c->hysteresis <= 0)
		c->hysteresis = def.hysteresis;
	if (c->dominance <= 0)
		c->dominance = def.dominance;
	if (c->dns_max_zones <= 0)
		c->dns_max_zones = def.dns_max_zones;
	if (c->dns_detail_zones <= 0)
		c->dns_detail_zones = def.dns_detail_zones;
	if (c->dns_distinct_cap <= 0)
		c->dns_distinct_cap = def.dns_distinct_cap;
	if (c->dns_multiplier <= 0)
		c->dns_multiplier = def.dns_multiplier;
	if (c->dns_wt_max_ratio <= 0)
		c->dns_wt_max_ratio = def.dns_wt_max_ratio;
	if (c->dns_flood_min_repeat <= 0)
		c->dns_flood_min_repeat = def.dns_flood_min_repeat;
}

int
fw_detect_new(const struct fw_config *cfg, fw_alert_fn *emit, void *ctx, struct fw_detect **out)
{
	struct fw_detect *d;
	size_t nindex = 16;
	int rc = FW_ENOMEM;

	if (cfg->window_ms <= 0 || cfg->max_victims <= 0 || cfg->max_victims >= (int64_t)(UINT32_MAX / 4) ||
	    cfg->max_details >= (int64_t)(UINT32_MAX / 4) || cfg->lateness_ms < 0)
		return FW_EINVAL;
	if ((d = calloc(1, sizeof(*d))) == NULL)
		return FW_ENOMEM;
	d->cfg = *cfg;
	config_fill(&d->cfg);
	cfg = &d->cfg;
	d->emit = emit;
	d->ctx = ctx;
	d->max_victims = (size_t)cfg->max_victims;
	while (nindex < d->max_victims * 2)  /* index at most half full */
		nindex <<= 1;
	d->vidx.mask = nindex - 1;
	/* Learned lateness never passes max_lateness_ms nor LAG_NB windows;
	 * the ring holds the largest, plus the newest window and one spare. */
	d->late_max_ms = cfg->max_lateness_ms > cfg->lateness_ms ? cfg->max_lateness_ms : cfg->lateness_ms;
	if (d->late_max_ms > (LAG_NB - 1) * cfg->window_ms)
		d->late_max_ms = d->late_ms > (LAG_NB - 1) * cfg->window_ms ? d->late_ms : (LAG_NB - 1) * cfg->window_ms;
	d->late_ms = d->late_max_ms;  /* until the lags are known: see learn_lateness() */
	d->lag_mul = ((UINT64_C(1) << 32) + (uint64_t)cfg->window_ms - 1) / (uint64_t)cfg->window_ms;
	d->st.lateness_ms = (uint64_t)d->late_ms;
	d->nslots = (int)((d->late_max_ms + cfg->window_ms - 1) / cfg->window_ms) + 2;
	d->next_close = INT64_MIN;
	d->max_event_ms = INT64_MIN;
	d->end_reason = FW_END_QUIET;
	d->memo_w0 = 0;  /* window 0 = [0, W): a true fact to start from */
	d->memo_widx = 0;
	{
		double a = cfg->min_pps * (double)cfg->window_ms / 1000.0 / 4;

		d->attach_pkts = a < 1 ? 1 : (uint64_t)a;
	}
	{
		char err[128];

		if ((rc = parse_networks(cfg->networks, d->nets, &d->nnets, err, sizeof(err))) != FW_OK)
			goto fail;
	}
	rc = FW_ENOMEM;
	/* calloc: pages stay untouched (not resident) until used. */
	d->vidx.slot = calloc(nindex, sizeof(*d->vidx.slot));
	d->v = calloc(d->max_victims, sizeof(*d->v));
	d->w = calloc(d->max_victims * (size_t)d->nslots, sizeof(*d->w));
	d->vfree = calloc(d->max_victims, sizeof(*d->vfree));
	d->det = calloc((size_t)cfg->max_details, sizeof(*d->det));
	d->dfree = calloc((size_t)cfg->max_details, sizeof(*d->dfree));
	if (d->vidx.slot == NULL || d->v == NULL || d->w == NULL || d->vfree == NULL ||
	    d->det == NULL || d->dfree == NULL)
		goto fail;
	/* Highest numbers first, so blocks are handed out from 0 up. */
	for (size_t i = 0; i < (size_t)cfg->max_details; i++)
		d->dfree[d->ndfree++] = (uint32_t)((size_t)cfg->max_details - 1 - i);
	if ((rc = dns_new(d, cfg, &d->dns)) != FW_OK)
		goto fail;
	d->st.memory_bytes = sizeof(*d) + nindex * sizeof(*d->vidx.slot) +
	    d->max_victims * (sizeof(*d->v) + sizeof(*d->vfree) + (size_t)d->nslots * sizeof(*d->w)) +
	    (size_t)cfg->max_details * (sizeof(*d->det) + sizeof(*d->dfree)) + dns_memory_bytes(d->dns);
	*out = d;
	return FW_OK;
fail:
	fw_detect_free(d);
	return rc;
}

void
fw_detect_free(struct fw_detect *d)
{
	if (d == NULL)
		return;
	dns_free(d->dns);
	free(d->vidx.slot);
	free(d->v);
	free(d->w);
	free(d->vfree);
	free(d->det);
	free(d->dfree);
	free(d);
}

/*
 * Records to many destinations miss the cache on the index, the victim
 * and its window slot.  A software pipeline hides that: PF_INDEX records
 * ahead the index slot is prefetched, PF_ENTRY ahead the entry and slot it
 * names; the record is then taken with its hash already computed.
 */
#ifndef PF_INDEX
#define PF_INDEX 8
#endif
#define PF_ENTRY 4
#ifdef FW_NO_PREFETCH
#define PREFETCH(...) ((void)0)
#else
#define PREFETCH(...) __builtin_prefetch(__VA_ARGS__)
#endif

void
fw_detect_flows(struct fw_detect *d, const struct fw_flow *f, size_t n)
{
	uint64_t hring[16];

	for (size_t i = 0; i < n + PF_INDEX; i++) {
		if (i < n) {
			uint64_t h = key_hash(&f[i].dst, 128);

			hring[i & 15] = h;
			PREFETCH(&d->vidx.slot[h & d->vidx.mask]);
		}
		if (i >= PF_INDEX - PF_ENTRY && i - (PF_INDEX - PF_ENTRY) < n) {
			size_t j = i - (PF_INDEX - PF_ENTRY);
			uint64_t h = hring[j & 15], e = d->vidx.slot[h & d->vidx.mask];

			if (e != 0 && IDX_TAG_EQ(e, h)) {
				int64_t s = widx_of(d, f[j].end_ms) % d->nslots;

				PREFETCH(&d->v[IDX_NUM(e)]);
				PREFETCH(&d->w[IDX_NUM(e) * (size_t)d->nslots + (size_t)(s < 0 ? s + d->nslots : s)], 1);
			}
		}
		if (i >= PF_INDEX)
			take_flow(d, &f[i - PF_INDEX], hring[(i - PF_INDEX) & 15]);
	}
	d->st.flows += n;
	if (d->next_close != INT64_MIN)
		advance(d);
}

void
fw_detect_dns(struct fw_detect *d, const struct fw_dnsq *q, size_t n)
{
	dns_take_batch(d, d->dns, q, n);
	d->st.dnsq += n;
	if (d->next_close != INT64_MIN)
		advance(d);
}

void
fw_detect_clock(struct fw_detect *d, int64_t now_ms)
{
	d->wall_ms = now_ms;
	if (d->next_close == INT64_MIN)
		return;
	advance(d);
}

int
fw_detect_end_all(struct fw_detect *d, int reason, int64_t now_ms)
{
	int n = 0;

	d->end_reason = (uint8_t)reason;
	d->end_at_ms = now_ms;
	for (size_t i = 0; i < d->vhw; i++) {
		struct victim *v = &d->v[i];
		char text[FW_VICTIM_MAX];

		if (!v->used || !det_force_end(d, &v->al))
			continue;
		victim_text(v, text, sizeof(text));
		flow_evidence(d, v, d->evbuf, sizeof(d->evbuf));
		det_emit(d, &v->al, LC_END, v->al.last_hot_ms, text, d->evbuf);
		n++;
	}
	n += dns_end_all(d, d->dns);
	d->end_reason = FW_END_QUIET;
	d->end_at_ms = 0;
	return n;
}

void
fw_detect_finish(struct fw_detect *d)
{
	int64_t last;

	if (d->next_close == INT64_MIN)
		return;
	/* Close everything seen, then enough empty windows for open alerts to
	 * end: those ends are the input's doing, and say so.  Credits reaching
	 * past the input's end describe time the input never reached: dropped,
	 * so the last windows end alerts. */
	last = det_floor_div(d->max_event_ms, d->cfg.window_ms);
	close_until(d, last + 1);
	for (size_t n = 0; n < d->vhw && d->credited > 0; n++)
		if (d->v[n].used)
			credit_drop(d, &d->v[n]);
	d->end_reason = FW_END_END_OF_INPUT;
	close_until(d, last + 1 + d->cfg.end_windows);
	/* Whatever never went calm (a zero threshold) is not left open either. */
	fw_detect_end_all(d, FW_END_END_OF_INPUT, (last + 1 + d->cfg.end_windows) * d->cfg.window_ms);
}

void
fw_detect_get_stats(const struct fw_detect *d, struct fw_detect_stats *st)
{
	*st = d->st;
	st->victims = d->vused;
}
