/*
 * detect_score.c - closing a window for the flow side: pay rate credits,
 * then judge every victim's window (hot, calm, suppressed), run the alert
 * lifecycle, learn the calm windows, and sweep idle victims out.
 *
 * Aggregates are scored before hosts, because each consults the other:
 *  - an aggregate whose window is carried by one host (>= dominance share)
 *    stays quiet: the host alert says it better;
 *  - a host inside a hot spread aggregate stays quiet: the aggregate alert
 *    (a carpet bomb) says it better.
 * A suppressed window is attack traffic too, and is never learned as
 * normal; an aggregate carried by one host learns the rest of its traffic.
 * Work: O(victims) per window, never per record.
 */
#include "detect_flow_int.h"

#include <string.h>

/* One victim's closed window, judged. */
struct verdict {
	double pps, bps, fps;
	double thr_p, thr_b, thr_f; /* start thresholds in force */
	bool hot;                   /* over a threshold, and not suppressed */
	bool calm;                  /* under the end threshold (hysteresis) */
	bool suppressed;            /* hot, but another victim carries the alert */
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
		v->ent_now[f] = fw_ent16_value(&x->ent[f]);
	memset(x->ent, 0, sizeof(x->ent));
	return true;
}

/* Rates and thresholds of window cw; hot, calm and suppressed. */
static void
judge(struct fw_detect *d, struct victim *v, const struct fwin *cw, struct verdict *vd)
{
	const struct fw_config *cfg = &d->core.cfg;
	double secs = (double)cfg->window_ms / 1000.0;
	const struct alert *al = &v->al;

	vd->pps = (double)cw->pkts / secs;
	vd->bps = (double)cw->bytes * 8 / secs;
	vd->fps = (double)cw->flows / secs;
	vd->thr_p = det_threshold(&d->core, &v->b_pps, cfg->min_pps, cfg->multiplier);
	vd->thr_b = det_threshold(&d->core, &v->b_bps, cfg->min_bps, cfg->multiplier);
	vd->thr_f = det_threshold(&d->core, &v->b_fps, cfg->min_fps, cfg->multiplier);
	vd->suppressed = false;
	if (al->active) {
		vd->thr_p = al->thr;  /* the baseline is frozen while the alert is open */
		vd->thr_b = al->thr_b;
	}
	/* A static threshold (detector.networks PREFIX@PPS) caps the learned
	 * one and holds during warm-up too. */
	if (!al->active && v->static_pps > 0 && v->static_pps < vd->thr_p)
		vd->thr_p = v->static_pps;
	/* Warm-up: the static threshold when there is one, else detector.warmup_pps. */
	if (!al->active)
		vd->thr_p = det_warm_threshold(&d->core, vd->thr_p, v->static_pps > 0 ? v->static_pps : cfg->warmup_pps);
	vd->hot = vd->pps > vd->thr_p || (cfg->min_bps > 0 && vd->bps > vd->thr_b) ||
	    (cfg->min_fps > 0 && vd->fps > vd->thr_f);
	if (det_warming(&d->core) && !al->active)
		vd->hot = vd->pps > vd->thr_p;  /* no bps/flow baseline to trust yet: the floor alone */
	vd->calm = vd->pps < vd->thr_p * cfg->hysteresis &&
	    (cfg->min_bps <= 0 || vd->bps < vd->thr_b * cfg->hysteresis);
	v->max_host_share = cw->pkts ? (double)cw->max_host / (double)cw->pkts : 0;
	if (v->kind == VK_AGG) {
		/* One host carries it: the host's own alert names the victim. */
		if (vd->hot && v->max_host_share >= cfg->dominance) {
			vd->hot = false;
			vd->suppressed = true;
			d->core.st.suppressed++;
		}
		v->spread_hot = vd->hot || (al->active && !vd->calm);
	} else if (vd->hot && !al->active) {
		/* A host inside a hot spread aggregate: the carpet bomb alert
		 * (the prefix) covers it. */
		const struct victim *a = agg_of(d, v);

		if (a != NULL && a->spread_hot) {
			vd->hot = false;
			vd->suppressed = true;
			d->core.st.suppressed++;
		}
	}
}

/* The packet mix over the hot run or alert: what classify() names. */
static void
mix_add(struct victim *v, const struct fwin *cw, const struct verdict *vd)
{
	if (!vd->hot && !v->al.active)
		return;
	if (v->al.hot_run == 0 && !v->al.active) {
		memset(v->mix_cls, 0, sizeof(v->mix_cls));
		memset(v->mix_amp_big, 0, sizeof(v->mix_amp_big));
		v->max_sampling = 0;
	}
	if (vd->hot || !vd->calm) {
		for (int c = 0; c < NCLS; c++)
			v->mix_cls[c] += cw->cls[c];
		for (int a = 0; a < AMP_N; a++)
			v->mix_amp_big[a] += cw->amp_big[a];
	}
	if (cw->max_sampling > v->max_sampling)
		v->max_sampling = cw->max_sampling;
}

/* Learn a calm window (never one inside a hot run or an alert). */
static void
learn(struct fw_detect *d, struct victim *v, const struct fwin *cw, const struct verdict *vd,
    bool was_active, bool had_detail)
{
	struct det_core *c = &d->core;

	if (was_active || v->al.hot_run != 0 || vd->hot)
		return;
	if (!vd->suppressed) {
		det_learn(c, &v->b_pps, vd->pps);
		det_learn(c, &v->b_bps, vd->bps);
		det_learn(c, &v->b_fps, vd->fps);
		if (cw->pkts > 0 && had_detail)
			for (int f = 0; f < NFEAT; f++)
				det_learn(c, &v->b_ent[f], v->ent_now[f]);
		if (v->detail != NONE32 && cw->pkts < d->attach_pkts)
			detail_release(d, v);
	} else if (v->kind == VK_AGG) {
		/* Carried by one host (its flood): the prefix learns the rest, so
		 * a host flood running since start leaves it a baseline. */
		double rest = 1.0 - v->max_host_share;

		det_learn(c, &v->b_pps, vd->pps * rest);
		det_learn(c, &v->b_bps, vd->bps * rest);
		det_learn(c, &v->b_fps, vd->fps * rest);
	}
}

static void
emit_event(struct fw_detect *d, struct victim *v, enum lc_action act, const struct verdict *vd, int64_t wend)
{
	struct alert *al = &v->al;
	char text[FW_VICTIM_MAX];
	uint8_t second[NCLS + AMP_N];
	int nsecond;

	if (act == LC_START || act == LC_RESTART) {
		al->thr = vd->thr_p;
		al->thr_b = vd->thr_b;
	}
	if (act != LC_END)
		al->vector = classify(v->mix_cls, v->mix_amp_big, second, &nsecond);
	victim_text(v, text, sizeof(text));
	flow_evidence(d, v, d->evbuf, sizeof(d->evbuf));
	det_emit(&d->core, al, act, act == LC_END ? al->last_hot_ms : wend, text, d->evbuf);
}

static void
score_victim(struct fw_detect *d, struct victim *v, int64_t widx)
{
	struct fwin *w = slot_of(d, v, widx);
	static const struct fwin empty;
	const struct fwin *cw = w->tag == widx + 1 ? w : &empty;
	int64_t wstart = widx * d->core.cfg.window_ms, wend = wstart + d->core.cfg.window_ms;
	struct alert *al = &v->al;
	struct verdict vd;
	bool was_active, had_detail;
	enum lc_action act;

	had_detail = close_entropies(d, v);
	judge(d, v, cw, &vd);
	al->cur_pps = vd.pps;
	al->cur_bps = vd.bps;
	v->cur_fps = vd.fps;
	v->idle_run = cw->pkts > 0 ? 0 : v->idle_run + 1;
	mix_add(v, cw, &vd);
	was_active = al->active;
	act = det_lifecycle(&d->core, al, vd.hot, vd.calm, widx, wstart, wend);
	if (vd.hot || al->active) {
		if (vd.pps > al->peak_pps) {
			al->peak_pps = vd.pps;
			memcpy(v->ent_peak, v->ent_now, sizeof(v->ent_peak));
		}
		if (vd.bps > al->peak_bps)
			al->peak_bps = vd.bps;
	}
	learn(d, v, cw, &vd, was_active, had_detail);
	if (act != LC_NONE)
		emit_event(d, v, act, &vd, wend);
	if (act == LC_END && cw->pkts < d->attach_pkts)
		detail_release(d, v);
	v->watch = vd.hot || al->active || al->hot_run > 0 || vd.pps > 0.5 * vd.thr_p;
	if (w->tag == widx + 1)
		memset(w, 0, sizeof(*w));
}

/* Window widx closes for the flow side: credits, scores, the idle sweep. */
void
flow_close_window(struct fw_detect *d, int64_t widx)
{
	int nslots = d->core.clk.nslots;

	pay_credits(d, widx);
	/* Aggregates first: a host consults its prefix's verdict. */
	for (int pass = VK_AGG; pass >= VK_HOST; pass--) {
		for (size_t n = 0; n < d->vhw; n++) {
			struct victim *v = &d->v[n];

			if (!v->used || v->kind != pass)
				continue;
			score_victim(d, v, widx);
			if (!v->al.active && v->al.hot_run == 0 && v->idle_run >= (uint32_t)d->core.cfg.idle_windows) {
				bool busy = v->ncr > 0;  /* credits still to pay */

				for (int s = 0; s < nslots; s++)
					busy |= d->w[n * (size_t)nslots + (size_t)s].tag != 0;
				if (!busy) {
					victim_remove(d, v);
					d->core.st.evicted++;
				}
			}
		}
	}
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
