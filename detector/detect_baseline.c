/*
 * detect_baseline.c - what normal looks like: an EWMA mean and variance per
 * metric (victims: pps, bps, flows/s, class rates, feature entropies;
 * zones: qps, distinct names), the rate threshold they give, and the count
 * a window must rest on.
 *
 * A baseline learns only from windows that are neither hot nor inside an
 * alert (the callers decide), so an attack is never learned as normal.  It
 * starts as a plain average so it is usable after a few windows, then
 * weighs the past by detector.ewma_alpha.  The threshold is the largest of
 * the floor, mean x multiplier and mean + zscore x standard deviation.
 *
 * Counts: a rate measured from k samples (packets / sampling rate) is
 * Poisson-noisy, far more than the rate's own variance says when k is
 * small: one sample at 1:64 reads as 64 packets/s.  det_count_floor gives
 * the count a window needs before its rate means anything: the upper
 * zscore quantile of a Poisson count whose mean the baseline predicts
 * (Cornish-Fisher: lam + z sqrt(lam) + (z^2 - 1) / 6, within a sample of
 * the exact quantile from lam = 0 up), and at least detector.min_samples.
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

/*
 * n windows of mean m and variance vb at once: the batch weighs what n
 * EWMA steps would give it (1 - (1 - alpha)^n; a plain average while
 * young), and its spread adds to the variance as a pooled variance does.
 * With n = 1 and vb = 0 this is det_learn.
 */
void
det_batch_weights(struct det_core *c)
{
	for (int n = 0; n < BATCH_W_N; n++)
		c->batch_w[n] = 1 - pow(1 - c->cfg.ewma_alpha, n);
}

static void
learn_batch(const struct det_core *c, double *mean, double *var, uint32_t seen, double m, double vb, uint32_t n)
{
	double alpha = c->cfg.ewma_alpha, a, dx;

	if (n == 0)
		return;
	/* (pow once per batch size: this runs per victim and window) */
	a = seen < 1.0 / alpha ? (double)n / (double)(seen + n) :
	    n < BATCH_W_N ? c->batch_w[n] : 1 - pow(1 - alpha, n);
	dx = m - *mean;
	*mean += a * dx;
	*var = (1 - a) * (*var + a * dx * dx) + a * (vb > 0 ? vb : 0);
}

void
det_learn_n(const struct det_core *c, struct base *b, double m, double vb, uint32_t n)
{
	double f = det_season_of(c, b);  /* seasonality, as in det_learn */

	learn_batch(c, &b->mean, &b->var, b->seen, m / f, vb / (f * f), n);
	b->seen += n;
}

void
det_learn_f(const struct det_core *c, float *mean, float *var, uint32_t seen, double m, double vb, uint32_t n)
{
	double mu = *mean, v = *var;

	learn_batch(c, &mu, &v, seen, m, vb, n);
	*mean = (float)mu;
	*var = (float)v;
}

double
det_count_floor(const struct det_core *c, double lam)
{
	double z = c->cfg.zscore, k = (lam > 0 ? lam + z * sqrt(lam) : 0) + (z * z - 1) / 6;

	return k > c->cfg.min_samples ? k : c->cfg.min_samples;
}
