/*
 * detect_span.c - the long-flow time model: where a flow record's packets
 * go in time.
 *
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
 *
 * Rate credits are per victim, at most NCREDIT (merged when more), so a
 * record costs O(NCREDIT^2) at worst and nothing allocates.  Per window:
 * each victim holding credits is paid once (pay_credits in detect_score.c).
 */
#include "detect_flow_int.h"

#include <math.h>

/* Whole windows of W ms in off >= 0 ms: mostly 0 or 1, no division. */
static inline int64_t
windows_after(int64_t off, int64_t W)
{
	return off < W ? 0 : off < 2 * W ? 1 : off / W;
}

/* The span of record f (which landed in window we) after any shift. */
void
span_of(struct fw_detect *d, const struct fw_flow *f, int64_t we, struct span *sp)
{
	sp->mode = SP_POINT;
	sp->t0 = sp->t1 = 0;
	sp->ws = we;
	sp->we = 0;
	if (f->start_ms > 0 && f->start_ms < f->end_ms) {
		struct det_clock *k = &d->core.clk;
		int64_t W = d->core.cfg.window_ms, now = k->next_close * W;
		int64_t dur = f->end_ms - f->start_ms;

		sp->t0 = f->start_ms;
		sp->t1 = f->end_ms;
		if (dur > MAX_SPAN_MS)
			dur = MAX_SPAN_MS;
		if (sp->t0 < now) {
			/* Began in a closed window: shift, keeping the rate. */
			sp->t0 = now;
			sp->t1 = now + dur;
			d->core.st.shifted++;
		}
		if (sp->t1 >= (k->next_close + k->nslots) * W) {
			sp->mode = SP_CREDIT;
			d->core.st.credits++;
		} else {
			/* Windows counted from the oldest open one (t0 >= now):
			 * det_widx's memo keeps the newest window, where records
			 * end, instead of swapping to the oldest and back with a
			 * 64-bit division each way, per record. */
			sp->mode = SP_SPREAD;
			sp->ws = k->next_close + windows_after(sp->t0 - now, W);
			sp->we = k->next_close + windows_after(sp->t1 - now, W);
			if (sp->ws == sp->we)
				sp->mode = SP_POINT;
		}
	}
}

/* Forget v's unpaid credits (eviction, or all paid). */
void
credit_drop(struct fw_detect *d, struct victim *v)
{
	if (v->ncr > 0)
		d->credited--;
	v->ncr = 0;
	v->carry_p = v->carry_b = 0;
}

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
void
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

		if (v->cr_cls[i] == cls && v->cr_amp[i] == amp && end <= e && e - end <= d->core.cfg.window_ms) {
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
	d->core.st.credit_merges++;
}

/*
 * Pay window widx (about to close) its share of v's credits; credits that
 * end within it are dropped.  Whole packets and bytes go in, the fractions
 * are carried, so the sums stay exact over time.  Returns the window slot.
 */
struct fwin *
credit_apply(struct fw_detect *d, struct victim *v, int64_t widx)
{
	int64_t ws = widx * d->core.cfg.window_ms, we = ws + d->core.cfg.window_ms;
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
