/*
 * detect_alert.c - the alert lifecycle shared by victims and zones: start
 * after start_windows hot windows, update every update_windows, go quiet
 * after end_windows calm ones and end when the attack has not come back
 * within the quiet hold (or forced: shutdown, end of input), restart under
 * the same id within the cool-down after an end; ids; warm-up; emitting
 * the event.
 *
 * The quiet hold keeps a pulse wave one alert: cooldown_windows long,
 * lengthened to twice the longest gap between pulses (at most 10 x
 * cooldown_windows), announced by an update whose evidence says
 * "lifecycle": {"state": "quiet"}.  Nothing is learned while it lasts (the
 * alert is open), and ended_at stays the end of the last hot window.
 *
 * The scoring code (detect_score.c for flows, detect_dns.c for zones)
 * judges each closed window hot or calm; det_lifecycle turns that into an
 * action and det_emit fills the one scratch event and hands it to the
 * sink callback.  Ids are FNV-1a of the victim text and the start time:
 * the same input gives the same ids on every replay.
 *
 * Warm-up: for the first warmup_windows windows after start no baseline is
 * trusted (det_warm_threshold), so a flood already running at start alerts
 * instead of being learned.
 */
#include "detect_int.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

bool
det_warming(const struct det_core *c)
{
	return c->st.windows_closed < (uint64_t)c->cfg.warmup_windows;
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
det_warm_threshold(const struct det_core *c, double learned, double warm)
{
	if (!det_warming(c))
		return learned;
	/* The floor alone: what was learned so far may be a flood's first,
	 * partial window, and must not lift the bar above the flood. */
	return warm > 0 ? warm : INFINITY;
}

static void
make_id(struct alert *a, const char *victim_text)
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
 * A pulse wave came back after gap calm windows: hold twice the longest gap
 * from now on, between cooldown_windows and 10 x cooldown_windows, so the
 * next pulse finds the alert still open.
 */
static void
lc_hold(const struct det_core *c, struct alert *a, int64_t gap)
{
	int64_t h = 2 * gap, cap = 10 * c->cfg.cooldown_windows;

	if (h > cap)
		h = cap;
	if (h > (int64_t)a->hold)
		a->hold = (uint32_t)h;
}

/* Alert start, or a return after its end within the cool-down. */
static enum lc_action
lc_open(struct det_core *c, struct alert *a, int64_t widx, int64_t wend)
{
	bool back = a->has_id && widx - a->ended_widx <= c->cfg.cooldown_windows;

	a->active = 1;
	a->quiet = 0;
	a->calm_run = 0;
	a->since_update = 0;
	if (back) {
		/* Its gap teaches the hold (see lc_pulse). */
		a->pulses++;
		lc_hold(c, a, widx - (int64_t)a->hot_run - a->last_hot_widx);
	}
	a->last_hot_ms = wend;
	a->last_hot_widx = widx;
	if (back)
		return LC_RESTART;  /* same id, seq goes on */
	a->seq = 0;
	a->pulses = 0;
	a->hold = c->cfg.cooldown_windows > 0 ? (uint32_t)c->cfg.cooldown_windows : 0;
	a->started_ms = a->first_hot_ms;
	c->st.alerts_started++;
	return LC_START;
}

static enum lc_action
lc_end(struct det_core *c, struct alert *a, int64_t widx)
{
	/* An alert that went quiet ended by the calm rule, whatever stops
	 * the wait; else the end is the caller's (end of input). */
	a->end_reason = a->quiet ? FW_END_QUIET : c->end_reason;
	a->active = 0;
	a->hot_run = 0;
	a->calm_run = 0;
	a->ended_widx = widx;
	c->st.alerts_ended++;
	return LC_END;
}

/*
 * One closed window through the lifecycle.  hot: over the start
 * threshold; calm: under the end threshold.  Returns what to emit; the
 * caller fills the event (it knows the victim text and evidence).
 *
 * Active -> (end_windows calm) -> quiet hold -> (hold windows without
 * start_windows hot in a row) -> end, ended_at = the last hot window.
 * A return within the hold resumes the alert (an update): a pulse wave
 * (10 s on, 20 s off) stays one alert with no end between pulses.
 */
enum lc_action
det_lifecycle(struct det_core *c, struct alert *a, bool hot, bool calm,
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
		if (a->hot_run < (uint32_t)c->cfg.start_windows)
			return LC_NONE;
		return lc_open(c, a, widx, wend);
	}
	if (a->quiet) {
		a->hot_run = hot ? a->hot_run + 1 : 0;
		if (a->hot_run >= (uint32_t)c->cfg.start_windows) {
			/* Back within the hold: the same alert goes on. */
			a->pulses++;
			lc_hold(c, a, widx - (int64_t)a->hot_run - a->last_hot_widx);
			a->quiet = 0;
			a->calm_run = 0;
			a->last_hot_ms = wend;
			a->last_hot_widx = widx;
			return LC_UPDATE;
		}
		/* Not in the middle of a return; at the end of input nothing
		 * can come back. */
		if (a->hot_run == 0 && (widx - a->quiet_widx >= (int64_t)a->hold ||
		    c->end_reason == FW_END_END_OF_INPUT))
			return lc_end(c, a, widx);
		return LC_NONE;
	}
	if (hot) {
		a->last_hot_ms = wend;
		a->last_hot_widx = widx;
	}
	if (!calm) {
		a->calm_run = 0;
	} else if (++a->calm_run >= (uint32_t)c->cfg.end_windows) {
		/* Calm: hold the alert open for a while (no hold: end now). */
		if (a->hold == 0 || c->end_reason == FW_END_END_OF_INPUT)
			return lc_end(c, a, widx);
		a->quiet = 1;
		a->quiet_widx = widx;
		a->hot_run = 0;
		return LC_UPDATE;
	}
	if (++a->since_update >= (uint32_t)c->cfg.update_windows)
		return LC_UPDATE;
	return LC_NONE;
}

/* End an open alert now, without waiting for calm windows (end_all). */
bool
det_force_end(struct det_core *c, struct alert *a)
{
	if (!a->active)
		return false;
	(void)lc_end(c, a, det_floor_div(c->end_at_ms, c->cfg.window_ms));
	return true;
}

/*
 * Resume after a restart (fw_detect_resume): an alert still open in the
 * state (saved before a crash: the restart ended it in SQLite, reason
 * restart) is closed without an event, and every id is forgotten, so a
 * return after the restart is a new alert, never an update of one that
 * ended.  A hot run starts over: the gap broke it.  true if it was open.
 */
bool
det_resume_alert(struct det_core *c, struct alert *a)
{
	bool open = a->active;

	if (open)
		c->st.alerts_ended++;
	a->active = 0;
	a->quiet = 0;
	a->has_id = 0;
	a->hot_run = 0;
	a->calm_run = 0;
	return open;
}

/*
 * What the lifecycle adds to the evidence, when there is something to tell:
 * the quiet hold, "lifecycle": {"state": quiet | active | ended, "pulses",
 * "hold_windows"}, and the hour-of-week factor in force, "season_factor"
 * (baselines in the evidence are at the weekly mean).  Left out when it
 * does not fit.
 */
static void
lifecycle_evidence(const struct det_core *c, const struct alert *a, enum lc_action act, const char *in,
    char *out, size_t outlen)
{
	bool season = c->season_f > 0 && c->season_f != 1.0;
	json_t *o, *x;

	snprintf(out, outlen, "%s", in);
	if (!a->quiet && a->pulses == 0 && !season)
		return;
	if ((o = json_loads(in, 0, NULL)) == NULL)
		return;
	if (!json_is_object(o)) {
		json_decref(o);
		return;
	}
	if (a->quiet || a->pulses > 0) {
		x = json_object();
		json_object_set_new(x, "state", json_string(act == LC_END ? "ended" : a->quiet ? "quiet" : "active"));
		json_object_set_new(x, "pulses", json_integer((json_int_t)a->pulses));
		json_object_set_new(x, "hold_windows", json_integer((json_int_t)a->hold));
		json_object_set_new(o, "lifecycle", x);
	}
	if (season)
		json_object_set_new(o, "season_factor", json_real(det_round(c->season_f, 0.01)));
	if (!det_json_put(o, out, outlen))
		snprintf(out, outlen, "%s", in);
}

void
det_emit(struct det_core *c, struct alert *a, enum lc_action act, int64_t at_ms,
    const char *victim, const char *evidence)
{
	struct fw_alert_ev *e = &c->ev;
	double ratio;

	memset(e, 0, offsetof(struct fw_alert_ev, evidence));
	snprintf(e->victim, sizeof(e->victim), "%s", victim);
	if (act == LC_START)
		make_id(a, e->victim);
	memcpy(e->id, a->id, sizeof(e->id));
	e->event = act == LC_END ? FW_EV_END : act == LC_START ? FW_EV_START : FW_EV_UPDATE;
	e->reason = act == LC_END ? a->end_reason : FW_END_NONE;
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
		e->updated_ms = c->end_at_ms != 0 ? c->end_at_ms : (a->ended_widx + 1) * c->cfg.window_ms;
		if (e->updated_ms < at_ms)
			e->updated_ms = at_ms;
	}
	e->peak_pps = a->peak_pps;
	e->peak_bps = a->peak_bps;
	e->peak_qps = a->peak_qps;
	e->cur_pps = a->cur_pps;
	e->cur_bps = a->cur_bps;
	e->cur_qps = a->cur_qps;
	lifecycle_evidence(c, a, act, evidence, e->evidence, sizeof(e->evidence));
	a->since_update = 0;
	if (c->emit != NULL)
		c->emit(c->ctx, e);
}
