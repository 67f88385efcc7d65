/*
 * detect_score.c - closing a window for the flow side: pay rate credits,
 * then judge every victim's window (hot, calm, suppressed), run the alert
 * lifecycle, learn the calm windows, and sweep idle victims out.
 *
 * Each victim is judged at three resolutions: the window (1 s by default),
 * 10 windows and 60 windows.  The coarse windows are sums of the closed
 * windows (struct acc), added here at the close, never per record, and
 * aligned on the window number so every victim closes them at once.  A
 * window at any resolution is hot when
 *  - its total rate, or the rate of one packet class (TCP SYN, ACK, other
 *    TCP, UDP, each reflector port, ICMP, GRE, other) that carries at
 *    least half the victim's usual rate, is over its threshold:
 *    the largest of the floor, mean x multiplier, mean + zscore x sd (the
 *    sampling noise in that sd shrinks at coarse resolutions) and the
 *    count floor: the rate of det_count_floor samples, so a window resting
 *    on a few samples of heavily sampled data is never hot;
 *  - and, to start an alert, no one source address carries
 *    detector.single_source_share of it (one session is not a flood;
 *    counted in single_source).
 * The window's rule starts alerts after start_windows hot windows in a
 * row; one hot coarse window starts one (it already rests on 10 or 60
 * windows).  An alert is then judged at the resolution and on the metric
 * that started it (v->trig_*), against the threshold frozen at its start.
 *
 * Aggregates are scored before hosts, because each consults the other:
 *  - an aggregate whose window is carried by one host (>= dominance share)
 *    stays quiet: the host alert says it better;
 *  - a host inside a hot spread aggregate stays quiet: the aggregate alert
 *    (a carpet bomb) says it better.
 * A suppressed window is attack traffic too, and is never learned as
 * normal; an aggregate carried by one host learns the rest of its traffic.
 * Learning: bps, flows/s and entropies learn each calm window; the packet
 * rate and class rates learn each calm window while the baseline is young
 * (a plain average), then in batches of a minute that no hot coarse window
 * touched (struct lbatch).
 * Work: O(victims) per window, never per record.
 */
#include "detect_flow_int.h"

#include <math.h>
#include <string.h>

/* Windows per resolution. */
static const int res_n[NRES] = { 1, 10, 60 };

/* A class rule needs the class at this share of the victim's usual rate:
 * a new class of a few packets on a busy server is a change, not a flood. */
#define CLASS_MIN_SHARE 0.5

/* A rise that starts an alert brings detector.min_sources new source
 * addresses at least, and DIV_Z sd of their usual number: a flood comes
 * from many sources (spoofed, reflectors, a botnet); a few sessions are
 * not one. */
#define DIV_Z 3
/* ... unless it is sheer size, kept up over a coarse window: a few hosts
 * sending this many times the threshold for 10 s or more are an attack;
 * sessions of the background never get there. */
#define HUGE_RISE 10

/* What a window or coarse window holds, as scoring reads it. */
struct view {
	int r;                      /* resolution index */
	double secs;                /* its length */
	double pkts, bytes, flows, max_host;
	double cls[NCB];
	uint64_t srcmap;            /* its source bitmap */
	double samp;                /* 1-in-N its counts are sampled at */
	int64_t start_ms;
};

/* One victim's window at one resolution, judged. */
struct verdict {
	double pps, bps, fps;
	double thr_p, thr_b, thr_f; /* start thresholds in force (total) */
	int cls;                    /* class rule that fired (NCB index), -1: total or none */
	double cls_pps, cls_thr;
	bool hot;                   /* over a threshold, and not suppressed */
	bool calm;                  /* under the end threshold (hysteresis) */
	bool suppressed;            /* hot, but another victim carries the alert */
	bool single;                /* hot, but one source carries it */
	bool few;                   /* hot, but it brought no new sources */
};

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
		if (a->asleep && !victim_wake(d, a, widx))
			continue;
		aw = open_slot(d, a, widx);
		if (hw->pkts > aw->max_host)
			aw->max_host = hw->pkts > UINT32_MAX ? UINT32_MAX : (uint32_t)hw->pkts;
	}
}

/* The feature entropies of the period just closed; false without a detail block. */
static bool
close_entropies(struct fw_detect *d, struct victim *v)
{
	struct detail *x;

	if (v->detail == NONE32) {
		memset(v->ent_now, 0, sizeof(v->ent_now));
		return false;
	}
	x = &d->det[v->detail];
	for (int f = 0; f < NFEAT; f++)
		v->ent_now[f] = (float)fw_ent16_value(&x->ent[f]);
	memset(x->ent, 0, sizeof(x->ent));
	return true;
}

/* Does window widx close the coarse window of resolution r? */
static bool
closes(int64_t widx, int r)
{
	int64_t m = (widx + 1) % res_n[r];

	return m == 0;
}

static void
acc_add(struct acc *a, uint64_t *src, const struct fwin *w)
{
	*src |= w->srcmap;
	a->pkts += (float)w->pkts;
	a->bytes += (float)w->bytes;
	a->max_host += (float)w->max_host;
	for (int c = 0; c < NCLS; c++)
		a->cls[c] += (float)w->cls[c];
	for (int c = 0; c < AMP_N; c++)
		a->cls[NCLS + c] += (float)w->amp_big[c];
	if (w->max_sampling > a->sampling)
		a->sampling = w->max_sampling;
}

static void
view_of(const struct fw_detect *d, const struct victim *v, int r, const struct fwin *w, const struct acc *a,
    int64_t wend, struct view *vw)
{
	int64_t W = d->core.cfg.window_ms;
	uint32_t s;

	vw->r = r;
	vw->secs = (double)(res_n[r] * W) / 1000.0;
	vw->start_ms = wend - res_n[r] * W;
	if (r == 0) {
		vw->pkts = (double)w->pkts;
		vw->bytes = (double)w->bytes;
		vw->flows = w->flows;
		vw->max_host = w->max_host;
		vw->srcmap = w->srcmap;
		for (int c = 0; c < NCLS; c++)
			vw->cls[c] = w->cls[c];
		for (int c = 0; c < AMP_N; c++)
			vw->cls[NCLS + c] = w->amp_big[c];
		s = w->max_sampling;
	} else {
		vw->pkts = a->pkts;
		vw->bytes = a->bytes;
		vw->flows = 0;
		vw->max_host = a->max_host;
		vw->srcmap = v->acc_src[r - 1];
		for (int c = 0; c < NCB; c++)
			vw->cls[c] = a->cls[c];
		s = a->sampling;
	}
	/* Credits alone (no record in the window): the victim's last rate. */
	if (s == 0)
		s = v->samp;
	vw->samp = s > 0 ? s : 1;
}

/*
 * The rate threshold of a metric (mean mu, variance var learned on single
 * windows) over view vw: the baseline rule, its sampling noise (variance
 * mu x samp / window, Poisson) shrunk by the windows summed, then the count
 * floor (lam: the samples the baseline predicts; < 0: none trusted).
 */
static double
res_threshold(const struct fw_detect *d, const struct view *vw, double mu, double var, double floor_v, double lam)
{
	const struct det_core *c = &d->core;
	double thr, k;

	if (lam >= 0) {
		struct base b = { mu, var, 0, 0 };
		double n = res_n[vw->r], noise = mu * vw->samp / (vw->secs / n);

		if (n > 1) {
			b.var = var > noise ? var - noise : 0;
			b.var += noise / n;
		}
		thr = det_threshold(c, &b, floor_v, c->cfg.multiplier);
	} else {
		thr = floor_v;
		lam = 0;
	}
	k = det_count_floor(c, lam) * vw->samp / vw->secs;
	return thr > k ? thr : k;
}

/* The guaranteed share of the heaviest source (and of the two heaviest,
 * in *two) since the block was attached. */
static double
attach_share(const struct fw_topk *t, double *two)
{
	uint64_t best = 0, next = 0;

	for (uint32_t i = 0; i < t->n; i++) {
		uint64_t g = t->cnt[i] - t->err[i];

		if (g > best) {
			next = best;
			best = g;
		} else if (g > next) {
			next = g;
		}
	}
	*two = t->total > 0 ? (double)(best + next) / (double)t->total : 0;
	return t->total > 0 ? (double)best / (double)t->total : 0;
}

static void
snap_take(const struct detail *x, struct srcsnap *s, int64_t cidx)
{
	const struct fw_topk *t = &x->src;

	memset(s, 0, sizeof(*s));
	memcpy(s->key, t->key, t->n * sizeof(s->key[0]));
	memcpy(s->cnt, t->cnt, t->n * sizeof(s->cnt[0]));
	memcpy(s->err, t->err, t->n * sizeof(s->err[0]));
	s->n = t->n;
	s->total = t->total;
	s->pkts = x->pkts_closed;
	s->cidx = cidx;
}

/*
 * The guaranteed share of the source carrying most of what arrived between
 * snapshots a and b: a key held at both with the same error grew by what
 * came; any other was taken in since a, and its count above its error
 * (the minimum it took over) all came since.  dp: the packets of the
 * window judged.  When what arrived does not match them (records later
 * than the snapshot b; long flows: a record's packets, all seen at its
 * arrival, are paid into windows as rate credits long after; `credited`:
 * the victim holds some), or a is missing: -1.
 */
static double
share_between(const struct srcsnap *a, const struct srcsnap *b, double dp, bool credited,
    double *two)
{
	double dt;
	uint64_t best = 0, next = 0;

	*two = 0;
	if (a == NULL || b->total < a->total)
		return -1;
	dt = (double)(b->total - a->total);
	if (dt <= 0 || dt < 0.5 * dp || (credited && dt > 2 * dp))
		return -1;
	for (uint32_t i = 0; i < b->n; i++) {
		uint64_t add = b->cnt[i] - b->err[i];

		/* Held at both with the same error: held all along, so its
		 * count grew by exactly what came. */
		for (uint32_t j = 0; j < a->n; j++)
			if (a->key[j] == b->key[i] && a->err[j] == b->err[i])
				add = b->cnt[i] - a->cnt[j];
		if (add > best) {
			next = best;
			best = add;
		} else if (add > next) {
			next = add;
		}
	}
	*two = (double)(best + next) / dt;
	return (double)best / dt;
}

/* The source shares of window vw (of its heaviest source; of its two
 * heaviest in *two): since the hot run began, or over its coarse window's
 * arrivals, up to now when some of its records came after the next
 * snapshot (a late exporter), else since the block was attached. */
static double
window_share(const struct fw_detect *d, const struct victim *v, const struct view *vw, double *two)
{
	const struct detail *x = &d->det[v->detail];
	const struct srcsnap *a, *b;
	struct srcsnap now;
	int64_t c;

	double s;

	snap_take(x, &now, 0);
	if (vw->r == 0) {
		s = share_between(&x->snap0, &now, x->pkts_closed - x->snap0.pkts, v->ncr > 0, two);
	} else {
		c = det_floor_div(vw->start_ms / d->core.cfg.window_ms, res_n[vw->r]);
		a = &x->snapc[vw->r - 1][c & 1];
		b = &x->snapc[vw->r - 1][(c + 1) & 1];
		a = a->cidx == c ? a : NULL;
		s = share_between(a, b->cidx == c + 1 ? b : &now, vw->pkts, v->ncr > 0, two);
		if (s < 0 && b->cidx == c + 1)
			s = share_between(a, &now, vw->pkts, v->ncr > 0, two);
	}
	return s >= 0 ? s : attach_share(&x->src, two);
}

/*
 * One source (or two: a session and its neighbour) carries the window:
 * without them the window would not be hot (the metric that fired, less
 * their packets, under its threshold), or the heaviest carries
 * single_source_share of the window's rise over the baseline.  A flood
 * shared by four sources or more stays hot without two of them.
 */
static bool
one_source(const struct fw_detect *d, const struct victim *v, const struct view *vw, const struct verdict *vd)
{
	double S = d->core.cfg.single_source_share, x, mu, thr, top, two = 0;

	if (S <= 0 || v->detail == NONE32 || vw->pkts <= 0)
		return false;
	x = vd->cls < 0 ? vw->pkts : vw->cls[vd->cls];
	mu = (vd->cls < 0 ? v->b_pps.mean : (double)v->cb[vd->cls].mean) * vw->secs;
	thr = (vd->cls < 0 ? vd->thr_p : vd->cls_thr) * vw->secs;
	top = window_share(d, v, vw, &two) * vw->pkts;
	return x - two * vw->pkts <= thr || top >= S * (x > mu ? x - mu : x);
}

/* Distinct sources of window vw (linear counting on its bitmap). */
static double
sources_of(const struct fw_detect *d, const struct view *vw)
{
	return d->lc[64 - __builtin_popcountll(vw->srcmap)];
}

/*
 * The window's rise brought too few new source addresses to be a flood:
 * fewer than detector.min_sources (or DIV_Z sd) over the number the victim usually
 * sees at this resolution.  A one-sample rise at heavy sampling or a few
 * big sessions (QUIC downloads, a backup) add a source or two; a spoofed
 * flood, reflectors or a botnet add many.  Where the usual number fills
 * the bitmap a rise cannot show: not judged.
 */
static bool
few_sources(const struct fw_detect *d, const struct victim *v, const struct view *vw, const struct verdict *vd)
{
	const struct cbase *b = &v->b_src[vw->r];
	/* In warm-up no baseline is trusted (a flood on from the first
	 * window may have taught its sources): min_sources alone. */
	bool warm = det_warming(&d->core);
	double sd = warm ? 0 : sqrt((double)b->var) * DIV_Z;
	double m = d->core.cfg.min_sources, need = (warm ? 0 : (double)b->mean) + (sd > m ? sd : m);

	if (m <= 0 || need >= d->lc[1])
		return false;
	if (vw->r > 0 && (vd->cls < 0 ? vd->pps > HUGE_RISE * vd->thr_p : vd->cls_pps > HUGE_RISE * vd->cls_thr))
		return false;
	return sources_of(d, vw) < need;
}

/*
 * Heavy hitters count records as they arrive, up to the lateness before
 * their window closes: the records of the open windows are in them
 * already.  While an open window is busy (over lim packets: half the
 * threshold) the snapshot stays where it is, so the next window's share
 * includes them.
 */
static bool
open_busy(struct fw_detect *d, const struct victim *v, int64_t widx, double lim)
{
	for (int64_t k = widx + 1; k < widx + d->core.clk.nslots; k++) {
		const struct fwin *w = slot_of(d, v, k);

		if (w->tag == k + 1 && (double)w->pkts > lim)
			return true;
	}
	return false;
}

/* An open window where a class rises as a class rule would see it: over
 * its floor and to its multiplier (see class_rule). */
static bool
open_rising(struct fw_detect *d, const struct victim *v, int64_t widx)
{
	const struct fw_config *cfg = &d->core.cfg;
	double secs = (double)cfg->window_ms / 1000.0, lim = cfg->min_pps;

	if (CLASS_MIN_SHARE * v->b_pps.mean > lim)
		lim = CLASS_MIN_SHARE * v->b_pps.mean;
	lim *= secs;
	for (int64_t k = widx + 1; k < widx + d->core.clk.nslots; k++) {
		const struct fwin *w = slot_of(d, v, k);

		if (w->tag != k + 1 || (double)w->pkts <= lim)
			continue;
		for (int c = 0; c < NCLS; c++) {
			double mu = (double)v->cb[c].mean * secs, x = (double)w->cls[c] - mu;

			if (x > lim && x > (cfg->multiplier - 1) * mu)
				return true;
		}
	}
	return false;
}

/* The class rules: the class over its own threshold by the most, or -1. */
static int
class_rule(struct fw_detect *d, const struct victim *v, const struct view *vw, struct verdict *vd)
{
	const struct fw_config *cfg = &d->core.cfg;
	double floor_v = cfg->min_pps, best = 1;
	int fired = -1;

	/* Class baselines past their plain average only (they learn apart
	 * from b_pps: not while a host carries an aggregate). */
	if (v->cls_seen < 1.0 / cfg->ewma_alpha)
		return -1;
	if (CLASS_MIN_SHARE * v->b_pps.mean > floor_v)
		floor_v = CLASS_MIN_SHARE * v->b_pps.mean;
	for (int c = 0; c < NCB; c++) {
		double x = vw->cls[c] / vw->secs, t;

		if (x <= floor_v * best)
			continue;  /* cheap: most classes of most victims stop here */
		t = res_threshold(d, vw, v->cb[c].mean, v->cb[c].var, floor_v, v->cb[c].mean * vw->secs / vw->samp);
		if (x > t * best) {
			best = x / t;
			fired = c;
			vd->cls_pps = x;
			vd->cls_thr = t;
		}
	}
	return fired;
}

/* Window vw of v at its resolution, not carrying an open alert: hot? */
static void
judge_new(struct fw_detect *d, struct victim *v, const struct view *vw, struct verdict *vd)
{
	const struct fw_config *cfg = &d->core.cfg;
	struct det_core *c = &d->core;
	bool warm = det_warming(c);
	double thr = vw->r == 0 ? det_threshold(c, &v->b_pps, cfg->min_pps, cfg->multiplier) :
	    res_threshold(d, vw, v->b_pps.mean, v->b_pps.var, cfg->min_pps, v->b_pps.mean * vw->secs / vw->samp);

	/* A static threshold (detector.networks PREFIX@PPS) caps the learned
	 * one and holds during warm-up too; warm-up: the static threshold when
	 * there is one, else detector.warmup_pps. */
	if (v->static_pps > 0 && v->static_pps < thr)
		thr = v->static_pps;
	thr = det_warm_threshold(c, thr, v->static_pps > 0 ? v->static_pps : cfg->warmup_pps);
	/* The window's count must be worth a rate: over the Poisson bound of
	 * what the baseline predicts (of nothing, when none is trusted). */
	{
		double lam = warm || v->static_pps > 0 ? 0 : v->b_pps.mean * vw->secs / vw->samp;
		double k = det_count_floor(c, lam) * vw->samp / vw->secs;

		if (k > thr)
			thr = k;
	}
	vd->thr_p = thr;
	vd->hot = vd->pps > thr;
	if (vw->r == 0 && !warm) {
		/* bps and flows/s: the window's own rules, as configured. */
		vd->hot = vd->hot || (cfg->min_bps > 0 && vd->bps > vd->thr_b) ||
		    (cfg->min_fps > 0 && vd->fps > vd->thr_f);
	}
	vd->calm = vd->pps < thr * cfg->hysteresis && (cfg->min_bps <= 0 || vd->bps < vd->thr_b * cfg->hysteresis);
	if (!vd->hot && !warm)
		vd->hot = (vd->cls = class_rule(d, v, vw, vd)) >= 0;
}

/* Rates and thresholds of window vw at its resolution; hot, calm, suppressed. */
static void
judge(struct fw_detect *d, struct victim *v, const struct view *vw, struct verdict *vd)
{
	const struct fw_config *cfg = &d->core.cfg;
	const struct alert *al = &v->al;
	int r = vw->r;

	memset(vd, 0, sizeof(*vd));
	vd->cls = -1;
	vd->pps = vw->pkts / vw->secs;
	vd->bps = vw->bytes * 8 / vw->secs;
	vd->fps = vw->flows / vw->secs;
	vd->thr_b = det_threshold(&d->core, &v->b_bps, cfg->min_bps, cfg->multiplier);
	vd->thr_f = det_threshold(&d->core, &v->b_fps, cfg->min_fps, cfg->multiplier);
	if (r == 0)
		v->max_host_share = vw->pkts > 0 ? vw->max_host / vw->pkts : 0;
	if (al->active) {
		/* Judged where it started, against the threshold frozen then. */
		double x;

		if (v->trig_res != r)
			return;
		vd->cls = v->trig_cls < NCB ? (int)v->trig_cls : -1;
		x = vd->cls < 0 ? vd->pps : vw->cls[vd->cls] / vw->secs;
		vd->thr_p = vd->cls < 0 ? al->thr : vd->thr_p;
		vd->cls_pps = x;
		vd->cls_thr = al->thr;
		vd->thr_b = al->thr_b;
		vd->hot = x > al->thr;
		vd->calm = x < al->thr * cfg->hysteresis;
		if (r == 0 && vd->cls < 0) {
			vd->hot = vd->hot || (cfg->min_bps > 0 && vd->bps > vd->thr_b) ||
			    (cfg->min_fps > 0 && vd->fps > vd->thr_f);
			vd->calm = vd->calm && (cfg->min_bps <= 0 || vd->bps < vd->thr_b * cfg->hysteresis);
		}
		return;
	}
	judge_new(d, v, vw, vd);
	if (!vd->hot)
		return;
	if (v->kind == VK_AGG) {
		/* One host carries it: the host's own alert names the victim.  A
		 * class rule: one host's packets could carry the class's rise. */
		double part = vd->cls < 0 ? vw->pkts :
		    vw->cls[vd->cls] - (double)v->cb[vd->cls].mean * vw->secs;

		if (vw->pkts > 0 && vw->max_host >= cfg->dominance * part) {
			vd->hot = false;
			vd->suppressed = true;
			d->core.st.suppressed++;
			return;
		}
	} else {
		/* A host inside a hot spread aggregate: the carpet bomb alert
		 * (the prefix) covers it. */
		const struct victim *a = agg_of(d, v);

		if (a != NULL && (a->spread_hot >> r & 1)) {
			vd->hot = false;
			vd->suppressed = true;
			d->core.st.suppressed++;
			return;
		}
	}
	/* One source (a session, a backup, one reflector) is not a flood. */
	if (one_source(d, v, vw, vd)) {
		vd->hot = false;
		vd->single = true;
		d->core.st.single_source++;
	} else if (few_sources(d, v, vw, vd)) {
		vd->hot = false;
		vd->few = true;
		d->core.st.few_sources++;
	}
}

/* Start the packet mix (what classify() names) over from view vw. */
static void
mix_reset(struct victim *v)
{
	memset(v->mix_cls, 0, sizeof(v->mix_cls));
	memset(v->mix_amp_big, 0, sizeof(v->mix_amp_big));
	v->mix_secs = 0;
	v->max_sampling = 0;
}

static void
mix_take(struct victim *v, const struct view *vw)
{
	for (int c = 0; c < NCLS; c++)
		v->mix_cls[c] += (uint64_t)vw->cls[c];
	for (int a = 0; a < AMP_N; a++)
		v->mix_amp_big[a] += (uint64_t)vw->cls[NCLS + a];
	v->mix_secs += (float)vw->secs;
}

/*
 * The packet rate (x scale) and, when `classes`, the class rates of a calm
 * window: now while the baseline is young, else into the minute's batch.
 */
static void
learn_rates(struct fw_detect *d, struct victim *v, const struct view *vw, double scale, bool classes)
{
	struct det_core *c = &d->core;
	double x = vw->pkts / vw->secs * scale;

	/* Young: a plain average, every window (as det_learn). */
	if (v->b_pps.seen < 1.0 / c->cfg.ewma_alpha)
		det_learn(c, &v->b_pps, x);
	else {
		v->lb.sx[0] += (float)x;
		v->lb.sxx[0] += (float)(x * x);
		v->lb.n++;
	}
	if (!classes)
		return;
	if (v->cls_seen < 1.0 / c->cfg.ewma_alpha) {
		/* Class rates are rates: learned at the weekly mean, as b_pps. */
		double f = det_season_of(c, &v->b_pps);

		for (int k = 0; k < NCB; k++)
			det_learn_f(c, &v->cb[k].mean, &v->cb[k].var, v->cls_seen, vw->cls[k] / vw->secs / f, 0, 1);
		v->cls_seen++;
		return;
	}
	for (int k = 0; k < NCB; k++) {
		double y = vw->cls[k] / vw->secs;

		v->lb.sx[1 + k] += (float)y;
		v->lb.sxx[1 + k] += (float)(y * y);
	}
	v->lb.nc++;
}

/* A minute closed: learn its calm windows unless a coarse window of it was hot. */
static void
learn_batch(struct fw_detect *d, struct victim *v)
{
	struct lbatch *b = &v->lb;

	if (!b->drop && b->nc > 0) {
		double n = b->nc, f = det_season_of(&d->core, &v->b_pps);  /* seasonality: as b_pps */

		for (int k = 0; k < NCB; k++) {
			double mk = b->sx[1 + k] / n;

			det_learn_f(&d->core, &v->cb[k].mean, &v->cb[k].var, v->cls_seen, mk / f,
			    (b->sxx[1 + k] / n - mk * mk) / (f * f), b->nc);
		}
		v->cls_seen += b->nc;
	}
	if (!b->drop && b->n > 0) {
		double n = b->n, m = b->sx[0] / n;

		det_learn_n(&d->core, &v->b_pps, m, b->sxx[0] / n - m * m, b->n);
	}
	memset(b, 0, sizeof(*b));
}

/*
 * Under the detail block's attach level in window vw, in the open windows
 * (their records are in the block already) and, on average, in the open
 * coarse windows (still to be judged on their heavy hitters).
 */
static bool
quiet(struct fw_detect *d, const struct victim *v, const struct view *vw, int64_t widx)
{
	double lim = (double)d->attach_pkts;

	if (vw->pkts >= lim || open_busy(d, v, widx, lim))
		return false;
	for (int r = 1; r < NRES; r++) {
		int64_t m = (widx + 1) % res_n[r];

		if (v->acc[r - 1].pkts >= lim * (double)(m > 0 ? m : res_n[r]))
			return false;
	}
	return true;
}

/* The distinct sources of a calm window at its resolution. */
static void
learn_sources(const struct fw_detect *d, struct victim *v, const struct view *vw)
{
	struct cbase *b = &v->b_src[vw->r];

	det_learn_f(&d->core, &b->mean, &b->var, v->src_seen[vw->r], sources_of(d, vw), 0, 1);
	if (v->src_seen[vw->r] < UINT8_MAX)
		v->src_seen[vw->r]++;
}

/* Learn a calm window (never one inside a hot run or an alert). */
static void
learn(struct fw_detect *d, struct victim *v, const struct view *vw, const struct verdict *vd,
    bool was_active, bool had_detail, int64_t widx)
{
	struct det_core *c = &d->core;

	if (was_active || v->al.hot_run != 0 || vd->hot || vd->single || vd->few)
		return;
	if (!vd->suppressed) {
		learn_rates(d, v, vw, 1, true);
		learn_sources(d, v, vw);
		det_learn(c, &v->b_bps, vd->bps);
		det_learn(c, &v->b_fps, vd->fps);
		if (vw->pkts > 0 && had_detail) {
			for (int f = 0; f < NFEAT; f++)
				det_learn_f(c, &v->b_ent[f].mean, &v->b_ent[f].var, v->ent_seen, v->ent_now[f], 0, 1);
			v->ent_seen++;
		}
		if (v->detail != NONE32 && quiet(d, v, vw, widx))
			detail_release(d, v);
	} else if (v->kind == VK_AGG) {
		/* Carried by one host (its flood): the prefix learns the rest, so
		 * a host flood running since start leaves it a baseline (not the
		 * classes: which of them are the host's is not known). */
		double rest = 1.0 - v->max_host_share;

		learn_rates(d, v, vw, rest, false);
		det_learn(c, &v->b_bps, vd->bps * rest);
		det_learn(c, &v->b_fps, vd->fps * rest);
	}
}

static void
emit_event(struct fw_detect *d, struct victim *v, enum lc_action act, int64_t wend)
{
	struct alert *al = &v->al;
	char text[FW_VICTIM_MAX];

	if (act != LC_END)
		al->vector = flow_vector(v);
	victim_text(v, text, sizeof(text));
	flow_evidence(d, v, d->evbuf, sizeof(d->evbuf));
	det_emit(&d->core, al, act, act == LC_END ? al->last_hot_ms : wend, text, d->evbuf);
}

/* The open alert's figures from its resolution's verdict. */
static void
take_current(struct victim *v, const struct view *vw, const struct verdict *vd)
{
	v->al.cur_pps = vd->pps;
	v->al.cur_bps = vd->bps;
	if (vw->r == 0)
		v->cur_fps = vd->fps;
	v->trig_obs = (float)(v->trig_cls >= NCB ? vd->pps : vd->cls_pps);
	v->trig_samples = (float)((v->trig_cls >= NCB ? vw->pkts : vw->cls[v->trig_cls]) / vw->samp);
}

/*
 * An empty window of a victim with no alert, hot run or detail block, and
 * no coarse window closing: never hot, so only what score_victim's full
 * path changes then, without its thresholds (most windows of most
 * victims are such).
 */
static void
score_empty(struct fw_detect *d, struct victim *v)
{
	struct view vw;

	memset(&vw, 0, sizeof(vw));
	vw.secs = (double)d->core.cfg.window_ms / 1000.0;
	memset(v->ent_now, 0, sizeof(v->ent_now));
	v->max_host_share = 0;
	v->idle_run++;
	v->al.cur_pps = v->al.cur_bps = v->cur_fps = 0;
	learn_rates(d, v, &vw, 1, true);
	det_learn(&d->core, &v->b_bps, 0);
	det_learn(&d->core, &v->b_fps, 0);
	learn_sources(d, v, &vw);
	v->spread_hot &= (uint8_t)~1u;
	v->watch = 0;
}

static void
score_victim(struct fw_detect *d, struct victim *v, int64_t widx)
{
	struct fwin *w = slot_of(d, v, widx);
	static const struct fwin empty;
	const struct fwin *cw = w->tag == widx + 1 ? w : &empty;
	int64_t wstart = widx * d->core.cfg.window_ms, wend = wstart + d->core.cfg.window_ms;
	struct alert *al = &v->al;
	struct view vw[NRES];
	struct verdict vd[NRES];
	bool shut[NRES], was_active, had_detail, hot, calm;
	int r, cr = -1;
	enum lc_action act;

	if (cw == &empty && !alert_busy(al) && v->detail == NONE32 && !closes(widx, 1)) {
		score_empty(d, v);
		return;
	}
	had_detail = close_entropies(d, v);
	if (v->detail != NONE32)
		d->det[v->detail].pkts_closed += (double)cw->pkts;
	view_of(d, v, 0, cw, NULL, wend, &vw[0]);
	if (cw->max_sampling > 0)
		v->samp = cw->max_sampling;
	shut[0] = true;
	for (r = 1; r < NRES; r++) {
		acc_add(&v->acc[r - 1], &v->acc_src[r - 1], cw);
		if ((shut[r] = closes(widx, r)))
			view_of(d, v, r, NULL, &v->acc[r - 1], wend, &vw[r]);
	}
	was_active = al->active;
	for (r = 0; r < NRES; r++)
		if (shut[r])
			judge(d, v, &vw[r], &vd[r]);
	v->idle_run = cw->pkts > 0 ? 0 : v->idle_run + 1;

	if (!was_active) {
		/* The window's own rule first; else a hot coarse window starts
		 * at once (it already rests on 10 or 60 windows). */
		hot = vd[0].hot;
		calm = vd[0].calm;
		for (r = 1; r < NRES && !hot && cr < 0; r++)
			if (shut[r] && vd[r].hot && al->ended_widx <= widx - res_n[r])
				cr = r;  /* (not the tail of an alert that ended in it) */
		if (cr > 0) {
			al->hot_run = (uint32_t)d->core.cfg.start_windows - 1;
			al->first_hot_ms = vw[cr].start_ms;
			al->peak_pps = al->peak_bps = al->peak_qps = 0;
			mix_reset(v);
			hot = true;
		} else if (hot) {
			if (al->hot_run == 0)
				mix_reset(v);
			mix_take(v, &vw[0]);
		}
		r = cr > 0 ? cr : 0;
	} else {
		r = v->trig_res;
		if (shut[r])
			v->trig_calm = vd[r].calm;
		hot = shut[r] && vd[r].hot;
		calm = r == 0 ? vd[0].calm : v->trig_calm;
		if (shut[r] && (hot || !calm))
			mix_take(v, &vw[r]);
	}
	if (cr > 0)
		mix_take(v, &vw[cr]);
	if (shut[r] && (hot || was_active) && vw[r].samp > v->max_sampling)
		v->max_sampling = (uint32_t)vw[r].samp;
	act = det_lifecycle(&d->core, al, hot, calm, widx, wstart, wend);
	if (act == LC_START || act == LC_RESTART) {
		v->trig_res = (uint8_t)r;
		v->trig_cls = (uint8_t)(vd[r].cls < 0 ? NCB : vd[r].cls);
		v->trig_calm = 0;
		al->thr = vd[r].cls < 0 ? vd[r].thr_p : vd[r].cls_thr;
		al->thr_b = vd[r].thr_b;
		if (act == LC_START && cr > 0)
			al->started_ms = al->first_hot_ms = vw[cr].start_ms;
	}
	if (!al->active && !was_active && cr < 0) {
		al->cur_pps = vd[0].pps;
		al->cur_bps = vd[0].bps;
		v->cur_fps = vd[0].fps;
	}
	if (shut[r] && (al->active || was_active || hot)) {
		take_current(v, &vw[r], &vd[r]);
		if (vd[r].pps > al->peak_pps) {
			al->peak_pps = vd[r].pps;
			memcpy(v->ent_peak, v->ent_now, sizeof(v->ent_peak));
		}
		if (vd[r].bps > al->peak_bps)
			al->peak_bps = vd[r].bps;
	}
	learn(d, v, &vw[0], &vd[0], was_active, had_detail, widx);
	for (r = 1; r < NRES; r++) {
		if (shut[r] && (vd[r].hot || vd[r].single || vd[r].few || (vd[r].suppressed && v->kind == VK_HOST)))
			v->lb.drop = 1;
		else if (shut[r] && !vd[r].suppressed && !was_active && al->hot_run == 0)
			learn_sources(d, v, &vw[r]);
	}
	if (shut[NRES - 1])
		learn_batch(d, v);
	if (act != LC_NONE)
		emit_event(d, v, act, wend);
	if (act == LC_END && cw->pkts < d->attach_pkts)
		detail_release(d, v);
	if (v->kind == VK_AGG) {
		uint8_t alive = al->active && !calm;

		for (r = 0; r < NRES; r++)
			if (shut[r])
				v->spread_hot = (uint8_t)((v->spread_hot & ~(1u << r)) |
				    (unsigned)(vd[r].hot || alive) << r);
	}
	if (v->detail != NONE32 && !open_busy(d, v, widx, 0.5 * vd[0].thr_p * vw[0].secs) &&
	    !open_rising(d, v, widx)) {
		/* The window's share is from the start of the hot run (coarse
		 * windows': flow_period_end). */
		struct detail *x = &d->det[v->detail];

		if (!al->active && al->hot_run == 0)
			snap_take(x, &x->snap0, 0);
	}
	v->watch = vd[0].hot || al->active || al->hot_run > 0 || vd[0].pps > 0.5 * vd[0].thr_p;
	for (r = 1; r < NRES; r++) {
		if (shut[r]) {
			memset(&v->acc[r - 1], 0, sizeof(v->acc[r - 1]));
			v->acc_src[r - 1] = 0;
		}
	}
	if (w->tag == widx + 1)
		memset(w, 0, sizeof(*w));
}

/*
 * The newest window moved on from widx: records of the next one arrive
 * now.  A coarse window starting there takes its source snapshot (heavy
 * hitters count records as they arrive, a lateness before their window
 * closes).  Once per new newest window; O(victims) when a coarse window
 * starts.
 */
void
flow_period_end(struct fw_detect *d, int64_t widx)
{
	for (int r = 1; r < NRES; r++) {
		int64_t c = det_floor_div(widx + 1, res_n[r]);

		if (c <= d->snap_cidx[r])
			continue;
		d->snap_cidx[r] = c;
		for (size_t n = 0; n < d->vhw; n++) {
			struct victim *v = &d->v[n];

			if (v->used && v->detail != NONE32)
				snap_take(&d->det[v->detail], &d->det[v->detail].snapc[r - 1][c & 1], c);
		}
	}
}

/* Idle for the sweep: removed (fw_detect_stats.evicted). */
static bool
sweep_idle(struct fw_detect *d, struct victim *v)
{
	int nslots = d->core.clk.nslots;
	size_t n = (size_t)(v - d->v);
	bool busy = v->ncr > 0;  /* credits still to pay */

	if (v->al.active || v->al.hot_run != 0 || v->idle_run < (uint32_t)d->core.cfg.idle_windows)
		return false;
	for (int s = 0; s < nslots; s++)
		busy |= d->w[n * (size_t)nslots + (size_t)s].tag != 0;
	if (busy)
		return false;
	victim_remove(d, v);
	d->core.st.evicted++;
	return true;
}

/*
 * Sleep: a victim whose last window was empty, with no record in an open
 * slot and nothing else to close (alert, hot run, credits, detail block,
 * spread bits), would only learn empty windows until its open coarse
 * windows close: the same zeros each time (seasonality divides them and
 * leaves them zero), never hot.  Most victims are such (hosts hit once,
 * sparse ones) and scoring each every window made the work O(victims) per
 * window.  An asleep victim is skipped until a coarse window that holds
 * its packets closes (1: the next 10-window close; 2: the next 60-window
 * close, which also sweeps), a record comes for it (detect_flow.c) or a
 * credited host's share is paid into it (pay_credits); then its
 * windows are scored as they would have been, the idle sweep included.
 */
static uint8_t
may_sleep(struct fw_detect *d, const struct victim *v)
{
	int nslots = d->core.clk.nslots;
	size_t n = (size_t)(v - d->v);

	if (v->idle_run == 0 || alert_busy(&v->al) || v->ncr > 0 || v->detail != NONE32 || v->spread_hot != 0)
		return 0;
	for (int s = 0; s < nslots; s++)
		if (d->w[n * (size_t)nslots + (size_t)s].tag != 0)
			return 0;
	return v->acc[0].pkts > 0 || v->acc_src[0] != 0 ? 1 : 2;
}

bool
victim_wake(struct fw_detect *d, struct victim *v, int64_t upto)
{
	v->asleep = 0;
	for (int64_t k = v->sleep_widx; k < upto; k++) {
		score_victim(d, v, k);
		if (sweep_idle(d, v))
			return false;
	}
	return true;
}

/* Window widx closes for the flow side: credits, scores, the idle sweep. */
void
flow_close_window(struct fw_detect *d, int64_t widx)
{
	bool wake[3] = { true, closes(widx, 1), closes(widx, 2) };

	pay_credits(d, widx);
	/* Aggregates first: a host consults its prefix's verdict. */
	for (int pass = VK_AGG; pass >= VK_HOST; pass--) {
		for (size_t n = 0; n < d->vhw; n++) {
			struct victim *v = &d->v[n];

			if (!v->used || v->kind != pass || !wake[v->asleep])
				continue;
			if (v->asleep) {
				if (!victim_wake(d, v, widx + 1))
					continue;
			} else {
				score_victim(d, v, widx);
				if (sweep_idle(d, v))
					continue;
			}
			if ((v->asleep = may_sleep(d, v)) != 0)
				v->sleep_widx = widx + 1;
		}
	}
}

/*
 * fw_detect_resume: the clock jumps from window `from` (the saved next
 * window to close) to `to` without closing the windows between.  Open
 * alerts close quietly (det_resume_alert).  With a gap (to > from): the
 * windows still open at the save and the rate credits are dropped (their
 * records were cut off by the stop), the coarse sums and spread bits start
 * over (a coarse window must not add up both sides of the gap), the
 * heavy hitters' snapshots are taken anew; an asleep victim keeps the
 * empty windows it had still to score, moved to just before `to`.
 * Baselines, class rates, entropies, source counts and idle runs stay: no
 * window of the gap is learned or counted idle.  Returns the open alerts.
 */
int
flow_resume(struct fw_detect *d, int64_t from, int64_t to)
{
	int nslots = d->core.clk.nslots, n = 0;

	for (size_t i = 0; i < d->vhw; i++) {
		struct victim *v = &d->v[i];

		if (!v->used)
			continue;
		n += det_resume_alert(&d->core, &v->al);
		if (to <= from)
			continue;
		memset(&d->w[i * (size_t)nslots], 0, (size_t)nslots * sizeof(*d->w));
		credit_drop(d, v);
		memset(v->acc, 0, sizeof(v->acc));
		memset(v->acc_src, 0, sizeof(v->acc_src));
		v->spread_hot = 0;
		v->watch = 0;
		if (v->detail != NONE32) {
			struct detail *x = &d->det[v->detail];

			memset(x->ent, 0, sizeof(x->ent));
			snap_take(x, &x->snap0, 0);
		}
		if (v->asleep)
			v->sleep_widx = to - (from - v->sleep_widx);
	}
	/* The coarse windows records come into now start with a snapshot. */
	if (to > from)
		flow_period_end(d, to - 1);
	return n;
}

/* End every open flow alert now (fw_detect_end_all); returns how many. */
int
flow_end_all(struct fw_detect *d)
{
	int n = 0;

	for (size_t i = 0; i < d->vhw; i++) {
		struct victim *v = &d->v[i];
		char text[FW_VICTIM_MAX];

		if (!v->used || !det_force_end(&d->core, &v->al))
			continue;
		victim_text(v, text, sizeof(text));
		flow_evidence(d, v, d->evbuf, sizeof(d->evbuf));
		det_emit(&d->core, &v->al, LC_END, v->al.last_hot_ms, text, d->evbuf);
		n++;
	}
	return n;
}
