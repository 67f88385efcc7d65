/*
 * detect_baseline.c - what normal looks like: an EWMA mean and variance per
 * metric (victims: pps, bps, flows/s, feature entropies; zones: qps,
 * distinct names), and the rate threshold they give.
 *
 * A baseline learns only from windows that are neither hot nor inside an
 * alert (the callers decide), so an attack is never learned as normal.  It
 * starts as a plain average so it is usable after a few windows, then
 * weighs the past by detector.ewma_alpha.  The threshold is the largest of
 * the floor, mean x multiplier and mean + zscore x standard deviation.
 */
#include "detect_int.h"

#include <math.h>

/* Rate threshold: above the floor, mean x mult and mean + zscore x sd. */
double
det_threshold(const struct det_core *c, const struct base *b, double floor_v, double mult)
{
	double t = b->mean * mult, z = b->mean + c->cfg.zscore * sqrt(b->var);

	if (z > t)
		t = z;
	t *= det_season_of(c, b);  /* seasonality (detect_season.c): the hour's usual level */
	return t > floor_v ? t : floor_v;
}

void
det_learn(const struct det_core *c, struct base *b, double x)
{
	/* Warm-up: a plain average first, so a baseline is usable quickly. */
	double a = c->cfg.ewma_alpha, dx;

	if (b->seen < 1.0 / a)
		a = 1.0 / (b->seen + 1);
	x /= det_season_of(c, b);  /* seasonality (detect_season.c): learned at the weekly mean */
	dx = x - b->mean;
	b->mean += a * dx;
	b->var = (1 - a) * (b->var + a * dx * dx);
	b->seen++;
}
