/*
 * detect_time.c - event time and windows: which window a record lands in,
 * when windows close, and how late a record may be (learned).
 *
 * Windows run on event time, so replay gives the same alerts every run.
 * Each victim and zone holds `nslots` window slots, a ring indexed by
 * window number, so records up to the lateness in force land in their own
 * window; a record older than the oldest open window is counted late and
 * added to it.  Windows close when the newest event time minus the
 * lateness passes their end, or (live) the wall clock does.  Closing a
 * window calls the owner's hooks (detect.c: score every victim and zone,
 * O(tables) per window, never per record).
 *
 * Lateness learning.  Exporters send a flow when it times out: records of
 * short flows arrive an inactive timeout (often 15 s) after their packets,
 * while long flows cut by the active timeout arrive at once and move event
 * time on.  Windows must stay open long enough for the short ones, or a
 * spoofed flood (all short flows) lands a timeout late.  Each flow record's
 * lag behind the newest event time is counted in a decaying histogram
 * (det_learn_lag, inline in detect_int.h); the lateness in force is the lag
 * that all but 1 % of records stay within, bounded by [lateness_ms,
 * max_lateness_ms].  It starts at the bound and is learned once
 * max_lateness_ms of event time has passed (until then the late records of
 * the first seconds have not all arrived): a cold start neither drops short
 * flows into the wrong windows nor piles them up later.  Per record: a
 * multiply and an increment; per window: one walk of LAG_NB buckets.
 *
 * Cluster (README "Scaling out"): a partition's detector sees only its
 * share of the flows, a DNS zone's partition often none, so it cannot learn
 * what one detector fed the whole stream would.  The collector runs the
 * same clock over the whole stream (struct fw_detect_lateness below: this
 * clock without victims) and sends the lateness it learned with every
 * batch; a partition's detector takes it (det_clock_hint) instead of its own.
 */
#include <stdlib.h>

#include "detect_int.h"

int64_t
det_floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;  /* b > 0; no negation, so no overflow at INT64_MIN */

	return a % b != 0 && a < 0 ? q - 1 : q;
}

void
det_clock_init(struct det_core *c, const struct det_clock_hooks *hk)
{
	const struct fw_config *cfg = &c->cfg;
	struct det_clock *k = &c->clk;

	k->hk = *hk;
	/* Learned lateness never passes max_lateness_ms nor LAG_NB windows;
	 * the ring holds the largest, plus the newest window and one spare. */
	k->late_max_ms = cfg->max_lateness_ms > cfg->lateness_ms ? cfg->max_lateness_ms : cfg->lateness_ms;
	if (k->late_max_ms > (LAG_NB - 1) * cfg->window_ms)
		k->late_max_ms = (LAG_NB - 1) * cfg->window_ms;
	k->late_ms = k->late_max_ms;  /* until the lags are known: see learn_lateness() */
	k->lag_mul = ((UINT64_C(1) << 32) + (uint64_t)cfg->window_ms - 1) / (uint64_t)cfg->window_ms;
	c->st.lateness_ms = (uint64_t)k->late_ms;
	k->nslots = (int)((k->late_max_ms + cfg->window_ms - 1) / cfg->window_ms) + 2;
	k->next_close = INT64_MIN;
	k->max_event_ms = INT64_MIN;
	k->memo_w0 = 0;  /* window 0 = [0, W): a true fact to start from */
	k->memo_widx = 0;
}

static void
learn_lateness(struct det_core *c)
{
	struct det_clock *k = &c->clk;
	uint32_t tail = 0;
	int64_t l;
	int b;

	if (k->hint_ms > 0 || k->late_max_ms <= c->cfg.lateness_ms || k->lag_n < 100 ||
	    k->max_event_ms < k->learn_from_ms)
		return;  /* (a hint rules: det_clock_hint) */
	for (b = LAG_NB - 1; b > 0; b--)
		if ((tail += k->lagh[b]) * 100 > k->lag_n)
			break;
	/* Records of bucket b lag less than b + 1 windows.  Up at once; down
	 * only by two windows or more, so a lag at a bucket edge does not make
	 * the lateness (and the seams of shifted records) flicker. */
	l = (int64_t)(b + 1) * c->cfg.window_ms;
	if (l < c->cfg.lateness_ms)
		l = c->cfg.lateness_ms;
	if (l > k->late_max_ms)
		l = k->late_max_ms;
	if (l > k->late_ms || l < k->late_ms - c->cfg.window_ms)
		k->late_ms = l;
	c->st.lateness_ms = (uint64_t)k->late_ms;
}

static void
close_one(struct det_core *c, int64_t widx)
{
	c->clk.hk.close_window(c->clk.hk.owner, widx);
	c->st.windows_closed++;
	learn_lateness(c);
}

void
det_clock_close_until(struct det_core *c, int64_t upto)
{
	struct det_clock *k = &c->clk;
	/* Idle sweep, and the longest quiet hold (detect_alert.c). */
	int64_t idle = c->cfg.idle_windows + 10 * c->cfg.cooldown_windows;

	if (k->next_close == INT64_MIN)
		return;
	/* After a long silence every slot is empty: closing more than
	 * end + hold + idle windows changes nothing, so jump (bounded work). */
	if (upto - k->next_close > c->cfg.end_windows + idle + k->nslots) {
		int64_t stop = k->next_close + c->cfg.end_windows + idle;

		while (k->next_close < stop)
			close_one(c, k->next_close++);
		k->next_close = upto - k->nslots;
	}
	while (k->next_close < upto)
		close_one(c, k->next_close++);
}

void
det_clock_advance(struct det_core *c)
{
	const struct det_clock *k = &c->clk;
	int64_t wm;

	if (k->next_close == INT64_MIN)
		return;  /* no data yet */
	wm = k->max_event_ms - k->late_ms;
	if (k->wall_ms > 0 && k->wall_ms - k->late_ms > wm)
		wm = k->wall_ms - k->late_ms;
	det_clock_close_until(c, det_floor_div(wm, c->cfg.window_ms));
}

/*
 * Account a record's event time: closes windows the ring must reuse and
 * returns the window it lands in (late ones go to the oldest open window),
 * or INT64_MIN when it is dropped (too far ahead of the wall clock).
 */
int64_t
det_clock_take(struct det_core *c, int64_t t)
{
	struct det_clock *k = &c->clk;
	int64_t widx, W = c->cfg.window_ms;

	/* Before 1970 or past year ~292 million / 4: not a time, dropped
	 * (and window arithmetic stays far from overflow). */
	if ((k->wall_ms > 0 && t > k->wall_ms + 60000) || t < 0 || t > INT64_MAX / 4) {
		c->st.future++;
		return INT64_MIN;
	}
	/* Live: a record more than a window ahead of the wall clock (a fast
	 * exporter clock, or a spoofed one) counts now.  Its own time would
	 * move event time forward, close the open windows and make every
	 * honest record late: one datagram would blind the detector. */
	if (k->wall_ms > 0 && t > k->wall_ms + W) {
		c->st.ahead++;
		t = k->wall_ms;
	}
	widx = det_widx(c, t);
	if (k->next_close == INT64_MIN) {
		k->next_close = widx;
		k->learn_from_ms = t + k->late_max_ms + W;
	}
	if (t > k->max_event_ms) {
		bool newer = k->max_event_ms == INT64_MIN || widx > det_floor_div(k->max_event_ms, W);

		if (k->max_event_ms != INT64_MIN && newer)
			k->hk.period_end(k->hk.owner, det_floor_div(k->max_event_ms, W), k->next_close);
		/* (runs once per new newest window, not per record) */
		k->max_event_ms = t;
		if (newer)
			det_clock_advance(c);
		if (widx - k->next_close >= k->nslots)
			det_clock_close_until(c, widx - k->nslots + 1);
	}
	if (widx < k->next_close) {
		c->st.late++;
		widx = k->next_close;
	}
	k->seq++;
	return widx;
}

void
det_clock_times(struct det_core *c, const int64_t *t, size_t n, int flows)
{
	for (size_t i = 0; i < n; i++) {
		/* As take_flow and dns_take do, minus the victim or zone. */
		if (det_clock_take(c, t[i]) != INT64_MIN && flows)
			det_learn_lag(c, t[i]);
	}
}

void
det_clock_hint(struct det_core *c, int64_t lateness_ms)
{
	struct det_clock *k = &c->clk;
	int64_t l = lateness_ms;

	if (l <= 0)
		return;  /* none sent: go on learning here */
	/* Within this detector's bounds: the ring holds no more. */
	if (l < c->cfg.lateness_ms)
		l = c->cfg.lateness_ms;
	if (l > k->late_max_ms)
		l = k->late_max_ms;
	k->hint_ms = l;
	k->late_ms = l;
	c->st.lateness_ms = (uint64_t)l;
}

/* ---- the clock alone: lateness learning over a whole stream ---- */

struct fw_detect_lateness {
	struct det_core core;
};

static void
no_period_end(void *owner, int64_t widx, int64_t next_close)
{
	(void)owner;
	(void)widx;
	(void)next_close;
}

static void
no_close(void *owner, int64_t widx)
{
	(void)owner;
	(void)widx;
}

int
fw_detect_lateness_new(const struct fw_config *cfg, struct fw_detect_lateness **out)
{
	static const struct det_clock_hooks hk = { .period_end = no_period_end, .close_window = no_close };
	struct fw_detect_lateness *l;

	if (cfg->window_ms <= 0 || cfg->lateness_ms < 0)
		return FW_EINVAL;
	if ((l = calloc(1, sizeof(*l))) == NULL)
		return FW_ENOMEM;
	l->core.cfg = *cfg;
	det_clock_init(&l->core, &hk);
	*out = l;
	return FW_OK;
}

void
fw_detect_lateness_free(struct fw_detect_lateness *l)
{
	free(l);
}

void
fw_detect_lateness_times(struct fw_detect_lateness *l, const int64_t *t, size_t n, int flows)
{
	det_clock_times(&l->core, t, n, flows);
	if (l->core.clk.wall_ms > 0)
		det_clock_advance(&l->core);  /* live: as fw_detect's batch end */
}

void
fw_detect_lateness_clock(struct fw_detect_lateness *l, int64_t now_ms)
{
	l->core.clk.wall_ms = now_ms;
	det_clock_advance(&l->core);
}

int64_t
fw_detect_lateness_ms(const struct fw_detect_lateness *l)
{
	return l->core.clk.late_ms;
}
