/*
 * detect.c - the streaming detector's public API (fw_detect.h) and its
 * wiring: one clock (event time) drives the flow side and the DNS side,
 * which share the core of detect_int.h and nothing else.
 *
 * The rooms, each opening with what it does and why:
 *   detect_time.c      event time, windows, learned lateness
 *   detect_span.c      the long-flow model: spans and rate credits
 *   detect_victim.c    the victim table, protected prefixes, detail pool
 *   detect_flow.c      flow records in
 *   detect_classify.c  packet classes, vectors, evidence
 *   detect_score.c     closing a window for flows: score, alert, learn
 *   detect_baseline.c  EWMA baselines and thresholds
 *   detect_season.c    hour-of-week seasonality of the baselines
 *   detect_alert.c     the alert lifecycle, ids, warm-up, emitting
 *   detect_dns.c       DNS zones: water torture, dns_flood, flash crowds
 *   detect_shard.c     the shard key and the shards' table split
 *   sketch.c           the fixed-size sketches
 * The rules and every tunable are in README.md, "Detection".
 *
 * Bounded memory: the victim table (detector.max_victims entries, each with
 * its window slots), the detail pool (detector.max_details) and the DNS
 * tables; all sized at start, reported in stats.memory_bytes.
 *
 * Thread: everything runs on the one detector thread.
 */
#include "fw_detect.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect_flow_int.h"
#include "fw_addr.h"
#include "fw_names.h"

int
fw_detect_check_config(const struct fw_config *cfg, char *err, size_t errlen)
{
	struct net nets[MAX_NETS];
	int n = 0;

	if (det_parse_networks(cfg->networks, nets, &n, err, errlen) != FW_OK)
		return FW_EINVAL;
	return dns_check_config(cfg, err, errlen);
}

/* Window packets that earn a victim a detail block: a quarter of the floor. */
static void
set_attach_pkts(struct fw_detect *d)
{
	double a = d->core.cfg.min_pps * (double)d->core.cfg.window_ms / 1000.0 / 4;

	d->attach_pkts = a < 1 ? 1 : (uint64_t)a;
}

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
fw_detect_reconfigure(struct fw_detect *d, const struct fw_config *cfg, char *err, size_t errlen)
{
	const struct fw_config *cur = &d->core.cfg;
	struct fw_config next = *cfg;
	struct net nets[MAX_NETS];
	int nnets = 0, rc;

	/* What sizes a table or the clock's ring stays as built (the key
	 * table marks these restart-only; this keeps a caller honest). */
	next.window_ms = cur->window_ms;
	next.lateness_ms = cur->lateness_ms;
	next.max_lateness_ms = cur->max_lateness_ms;
	next.max_victims = cur->max_victims;
	next.max_details = cur->max_details;
	next.dns_max_zones = cur->dns_max_zones;
	next.dns_detail_zones = cur->dns_detail_zones;
	next.dns_distinct_cap = cur->dns_distinct_cap;
	config_fill(&next);
	if (det_parse_networks(next.networks, nets, &nnets, err, errlen) != FW_OK)
		return FW_EINVAL;
	if ((rc = dns_reconfigure(d->dns, &next)) != FW_OK) {
		snprintf(err, errlen, "dns.zones / dns.exclude: %s", fw_strerror(rc));
		return rc;
	}
	d->core.cfg = next;
	det_batch_weights(&d->core);
	memcpy(d->nets, nets, sizeof(nets));
	d->nnets = nnets;
	set_attach_pkts(d);
	/* Hosts take a changed PREFIX@PPS with their next record; what the
	 * new list no longer covers goes idle and is swept.  Their links to
	 * an aggregate may name another one now. */
	for (size_t i = 0; i < d->vhw; i++)
		d->v[i].agg1 = 0;
	return FW_OK;
}

/* The clock's hooks: period snapshots (sources of flow victims, DNS name
 * sets), and closing a window. */
static void
period_end(void *owner, int64_t widx, int64_t next_close)
{
	struct fw_detect *d = owner;

	flow_period_end(d, widx);
	dns_period_end(d->dns, widx, next_close);
}

static void
close_window(void *owner, int64_t widx)
{
	struct fw_detect *d = owner;
	const struct det_clock *k = &d->core.clk;

	/* Each side is scored with its own hour-of-week factor. */
	det_season_close(&d->season_flow, widx, d->core.cfg.window_ms);
	det_season_close(&d->season_dns, widx, d->core.cfg.window_ms);
	d->core.season_f = d->core.cfg.seasonality ? d->season_flow.f : 1.0;
	flow_close_window(d, widx);
	d->core.season_f = d->core.cfg.seasonality ? d->season_dns.f : 1.0;
	/* The wall clock (or the end of input) closes the newest window before
	 * a newer record ended its DNS period: snapshot it now. */
	if (k->max_event_ms != INT64_MIN && widx >= det_floor_div(k->max_event_ms, d->core.cfg.window_ms))
		dns_period_end(d->dns, widx, widx);
	dns_close_window(&d->core, d->dns, widx);
}

int
fw_detect_new(const struct fw_config *cfg, fw_alert_fn *emit, void *ctx, struct fw_detect **out)
{
	struct fw_detect *d;
	struct det_clock_hooks hk = { period_end, close_window, NULL };
	int nslots, rc = FW_ENOMEM;

	if (cfg->window_ms <= 0 || cfg->max_victims <= 0 || cfg->max_victims >= (int64_t)(UINT32_MAX / 4) ||
	    cfg->max_details >= (int64_t)(UINT32_MAX / 4) || cfg->lateness_ms < 0)
		return FW_EINVAL;
	if ((d = calloc(1, sizeof(*d))) == NULL)
		return FW_ENOMEM;
	d->core.cfg = *cfg;
	config_fill(&d->core.cfg);
	cfg = &d->core.cfg;
	det_batch_weights(&d->core);
	d->core.emit = emit;
	d->core.ctx = ctx;
	d->core.end_reason = FW_END_QUIET;
	det_season_init(&d->season_flow);
	det_season_init(&d->season_dns);
	hk.owner = d;
	det_clock_init(&d->core, &hk);
	nslots = d->core.clk.nslots;
	d->max_victims = (size_t)cfg->max_victims;
	for (int r = 0; r < NRES; r++)
		d->snap_cidx[r] = INT64_MIN;
	set_attach_pkts(d);
	/* Linear counting: n distinct hashes leave 64 e^(-n/64) of 64 bits
	 * clear; a full map (saturated) reads as its last step, 64 ln 64. */
	for (int z = 0; z <= 64; z++)
		d->lc[z] = (float)(64.0 * log(64.0 / (z > 0 ? z : 1)));
	{
		char err[128];

		if ((rc = det_parse_networks(cfg->networks, d->nets, &d->nnets, err, sizeof(err))) != FW_OK)
			goto fail;
	}
	if ((rc = fw_hashtab_init(&d->vidx, d->max_victims)) != FW_OK)
		goto fail;
	rc = FW_ENOMEM;
	/* calloc: pages stay untouched (not resident) until used. */
	d->v = calloc(d->max_victims, sizeof(*d->v));
	d->w = calloc(d->max_victims * (size_t)nslots, sizeof(*d->w));
	d->vfree = calloc(d->max_victims, sizeof(*d->vfree));
	d->det = calloc((size_t)cfg->max_details, sizeof(*d->det));
	d->dfree = calloc((size_t)cfg->max_details, sizeof(*d->dfree));
	if (d->v == NULL || d->w == NULL || d->vfree == NULL || d->det == NULL || d->dfree == NULL)
		goto fail;
	/* Highest numbers first, so blocks are handed out from 0 up. */
	for (size_t i = 0; i < (size_t)cfg->max_details; i++)
		d->dfree[d->ndfree++] = (uint32_t)((size_t)cfg->max_details - 1 - i);
	if ((rc = dns_new(&d->core, &d->dns)) != FW_OK)
		goto fail;
	d->core.st.memory_bytes = sizeof(*d) + fw_hashtab_bytes(&d->vidx) +
	    d->max_victims * (sizeof(*d->v) + sizeof(*d->vfree) + (size_t)nslots * sizeof(*d->w)) +
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
	fw_hashtab_fini(&d->vidx);
	free(d->v);
	free(d->w);
	free(d->vfree);
	free(d->det);
	free(d->dfree);
	free(d);
}

/*
 * Live: the wall clock may have closed windows since the last batch.  In
 * replay windows close as records of newer windows arrive (det_clock_take);
 * advancing here as well would let where a batch ends decide when a window
 * closes (a lateness that is no multiple of the window, or was just learned
 * smaller), and shards cut the stream into other batches than one detector.
 */
static void
batch_end(struct fw_detect *d)
{
	if (d->core.clk.wall_ms > 0)
		det_clock_advance(&d->core);
}

void
fw_detect_flows(struct fw_detect *d, const struct fw_flow *f, size_t n)
{
	flow_take_batch(d, f, n);
	d->core.st.flows += n;
	batch_end(d);
}

void
fw_detect_dns(struct fw_detect *d, const struct fw_dnsq *q, size_t n)
{
	dns_take_batch(&d->core, d->dns, q, n);
	d->season_dns.pending += n;
	d->core.st.dnsq += n;
	batch_end(d);
}

void
fw_detect_times(struct fw_detect *d, const int64_t *t, size_t n, int flows)
{
	struct fw_detect_stats *st = &d->core.st;
	/* What det_clock_take counts belongs to the shard owning the record. */
	uint64_t late = st->late, future = st->future, ahead = st->ahead;

	det_clock_times(&d->core, t, n, flows);
	st->late = late;
	st->future = future;
	st->ahead = ahead;
	batch_end(d);
}

void
fw_detect_lateness_hint(struct fw_detect *d, int64_t lateness_ms)
{
	det_clock_hint(&d->core, lateness_ms);
}

void
fw_detect_clock(struct fw_detect *d, int64_t now_ms)
{
	d->core.clk.wall_ms = now_ms;
	det_clock_advance(&d->core);
}

int
fw_detect_end_all(struct fw_detect *d, int reason, int64_t now_ms)
{
	int n;

	d->core.end_reason = (uint8_t)reason;
	d->core.end_at_ms = now_ms;
	n = flow_end_all(d);
	n += dns_end_all(&d->core, d->dns);
	d->core.end_reason = FW_END_QUIET;
	d->core.end_at_ms = 0;
	return n;
}

int
fw_detect_resume(struct fw_detect *d, int64_t now_ms)
{
	struct det_clock *k = &d->core.clk;
	int64_t from = k->next_close, to;
	int n;

	if (from == INT64_MIN)
		return 0;  /* nothing seen yet: nothing to carry */
	if (k->wall_ms > 0)
		k->wall_ms = now_ms;  /* live: records of now are not "ahead" of an old wall clock */
	/* The windows records of now_ms land in, less the lateness, stay open. */
	to = det_floor_div(now_ms - k->late_ms, d->core.cfg.window_ms);
	if (to < from)
		to = from;  /* back within the lateness: the open windows go on */
	n = flow_resume(d, from, to);
	n += dns_resume(&d->core, d->dns, to > from);
	if (to > from) {
		det_season_resume(&d->season_flow);
		det_season_resume(&d->season_dns);
		k->next_close = to;
	}
	return n;
}

void
fw_detect_finish(struct fw_detect *d)
{
	int64_t last, W = d->core.cfg.window_ms;

	if (d->core.clk.next_close == INT64_MIN)
		return;
	/* Close everything seen, then enough empty windows for open alerts to
	 * end: those ends are the input's doing, and say so.  Credits reaching
	 * past the input's end describe time the input never reached: dropped,
	 * so the last windows end alerts. */
	last = det_floor_div(d->core.clk.max_event_ms, W);
	det_clock_close_until(&d->core, last + 1);
	for (size_t n = 0; n < d->vhw && d->credited > 0; n++)
		if (d->v[n].used)
			credit_drop(d, &d->v[n]);
	d->core.end_reason = FW_END_END_OF_INPUT;
	det_clock_close_until(&d->core, last + 1 + d->core.cfg.end_windows);
	/* Whatever never went calm (a zero threshold) is not left open either. */
	fw_detect_end_all(d, FW_END_END_OF_INPUT, (last + 1 + d->core.cfg.end_windows) * W);
}

void
fw_detect_get_stats(const struct fw_detect *d, struct fw_detect_stats *st)
{
	*st = d->core.st;
	st->victims = d->vused;
	st->newest_event_ms = d->core.clk.max_event_ms;
}
