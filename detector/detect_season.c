/*
 * detect_season.c - hour-of-week seasonality: so a peak that comes every
 * evening (or every Monday at 09:00) is not an anomaly.
 *
 * Each side (flows: packets; DNS: records) learns one profile of 168
 * buckets, the mean rate of each hour of the week (UTC, Monday 00:00 is
 * bucket 0), over whole hours of event time, the weeks weighed like an
 * EWMA (plain average for the first 4 weeks, then 1/4 for the newest).  Once
 * every bucket has seen a week, the factor of the current hour is its
 * bucket over the mean of all buckets, within [1/10, 10]; until then it is
 * 1 and nothing changes.  Baselines (detect_baseline.c) learn rates divided
 * by the factor and thresholds are multiplied by it, so a victim's baseline
 * is its rate "at the weekly mean" and the bar rises with the hour's usual
 * traffic.  Entropy baselines are not rates (struct base.flat).
 *
 * The factor rises at once when an hour begins and falls at most by half
 * every 5 minutes: a baseline (EWMA of a few dozen windows) follows a slow
 * fall, while a sudden drop of the factor would leave a victim that does
 * not share the network's rhythm over its lowered threshold.
 *
 * Memory: two profiles of 168 buckets, fixed.  Work: an add per record, a
 * few operations per window, a fold per hour.
 */
#include "detect_int.h"

#include <math.h>
#include <string.h>

#define HOUR_MS INT64_C(3600000)
#define WEEK_H 168
#define HALF_FALL_MS 300000.0  /* the factor halves at most this often */

/* Hour of the week of absolute hour h: 1970-01-01 was a Thursday. */
static int
hour_of_week(int64_t h)
{
	int64_t w = (h + 72) % WEEK_H;

	return (int)(w < 0 ? w + WEEK_H : w);
}

void
det_season_init(struct det_season *s)
{
	memset(s, 0, sizeof(*s));
	s->cur_hour = INT64_MIN;
	s->first_hour = INT64_MIN;
	s->f = 1.0;
}

/* Fold the finished hour into its bucket (whole hours only). */
static void
fold(struct det_season *s)
{
	int b = hour_of_week(s->cur_hour);
	double rate = s->acc / (double)(HOUR_MS / 1000);
	double a = s->weeks[b] < 4 ? 1.0 / (s->weeks[b] + 1) : 0.25;

	if (s->cur_hour <= s->first_hour)
		return;  /* the input began inside this hour */
	s->prof[b] += a * (rate - s->prof[b]);
	if (s->weeks[b] < UINT16_MAX)
		s->weeks[b]++;
}

/* The factor the profile gives for absolute hour h; 1 until it is whole. */
static double
target(const struct det_season *s, int64_t h)
{
	double sum = 0, f;

	for (int b = 0; b < WEEK_H; b++) {
		if (s->weeks[b] == 0)
			return 1.0;
		sum += s->prof[b];
	}
	if (sum <= 0)
		return 1.0;
	f = s->prof[hour_of_week(h)] / (sum / WEEK_H);
	return f < 0.1 ? 0.1 : f > 10 ? 10 : f;
}

void
det_season_close(struct det_season *s, int64_t widx, int64_t window_ms)
{
	int64_t h = det_floor_div(widx * window_ms, HOUR_MS);
	double t, low;

	if (s->cur_hour == INT64_MIN)
		s->cur_hour = s->first_hour = h;
	if (h != s->cur_hour) {
		fold(s);
		s->cur_hour = h;
		s->acc = 0;
	}
	s->acc += (double)s->pending;
	s->pending = 0;
	t = target(s, h);
	low = s->f * pow(0.5, (double)window_ms / HALF_FALL_MS);
	s->f = t > low ? t : low;
}

void
det_season_resume(struct det_season *s)
{
	/* As at a start: the hour the input comes back in is partial too
	 * (fold skips hours up to first_hour), and the missing hours are
	 * never folded, so their buckets keep what earlier weeks taught. */
	s->cur_hour = INT64_MIN;
	s->acc = 0;
	s->pending = 0;
}
