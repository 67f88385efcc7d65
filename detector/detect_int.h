/*
 * detect_int.h - the detector's core, shared by the flow side (detect.c and
 * its rooms, see detect_flow_int.h) and the DNS side (detect_dns.c): the
 * configuration, the counters, the event-time clock (detect_time.c),
 * baselines (detect_baseline.c) and the alert lifecycle with its emitter
 * (detect_alert.c).  The DNS side sees only this; private to detector/.
 */
#ifndef FW_DETECT_INT_H
#define FW_DETECT_INT_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "fw_config.h"
#include "fw_detect.h"
#include "fw_hashtab.h"
#include "fw_sketch.h"

#define NONE32 UINT32_MAX
#define SAMPLE_LRU 8           /* candidates looked at per eviction */
#define SAMPLE_ROUNDS 4        /* ... in at most this many groups */
#define MAX_DNS_LIST 64        /* dns.zones / dns.exclude entries */
#define TOP_SHOWN 5            /* heavy hitters shown in evidence */
#define LAG_NB 64              /* lateness histogram buckets (windows) */
#define BATCH_W_N 61           /* batch weights kept: up to a minute of windows */

/* EWMA mean and variance of one metric. */
struct base {
	double mean;
	double var;
	uint32_t seen;             /* windows learned */
	uint8_t flat;              /* not a rate: no seasonality (entropies) */
};

/* Alert lifecycle state, shared by victims and zones (detect_alert.c). */
struct alert {
	uint8_t active;            /* an alert is open (also in its quiet hold) */
	uint8_t vector;            /* enum fw_vector of the open alert */
	uint8_t has_id;            /* id valid (open, or in cool-down) */
	uint8_t quiet;             /* in the quiet hold: calm, waiting for a return */
	uint8_t end_reason;        /* enum fw_end_reason of the end being emitted */
	uint32_t hot_run;          /* consecutive hot windows */
	uint32_t calm_run;         /* consecutive calm windows while active */
	uint32_t since_update;     /* windows since the last event */
	uint32_t seq;              /* events sent under id */
	uint32_t hold;             /* quiet hold in force (windows) */
	uint32_t pulses;           /* returns after a quiet spell (pulse wave) */
	int64_t first_hot_ms;      /* start of the first window of the hot run */
	int64_t started_ms;        /* alert start (event time) */
	int64_t last_hot_ms;       /* end of the last hot window while active */
	int64_t last_hot_widx;     /* ... its window */
	int64_t quiet_widx;        /* window the quiet hold began */
	int64_t ended_widx;        /* window the last alert ended in (cool-down) */
	double thr;                /* primary threshold frozen at start */
	double thr_b;              /* bps threshold frozen at start */
	double peak_pps, peak_bps, peak_qps;
	double cur_pps, cur_bps, cur_qps;
	char id[FW_ALERT_ID_LEN + 1];
};

enum lc_action { LC_NONE, LC_START, LC_UPDATE, LC_END, LC_RESTART };

/* An alert is open or building up: never evicted, and a host takes reply
 * traffic (detect_flow.c). */
static inline bool
alert_busy(const struct alert *a)
{
	return a->active || a->hot_run > 0;
}

struct det_core;

/* What the clock asks of its owner (detect.c wires flows and DNS). */
struct det_clock_hooks {
	/* The newest window moved on from widx (DNS period snapshots). */
	void (*period_end)(void *owner, int64_t widx, int64_t next_close);
	/* Window widx closes: score it, sweep idle entries. */
	void (*close_window)(void *owner, int64_t widx);
	void *owner;
};

/* Event time and windows (detect_time.c). */
struct det_clock {
	struct det_clock_hooks hk;
	int nslots;                /* window slots per victim / zone: the ring */
	uint64_t seq;              /* records taken: the LRU clock */
	int64_t max_event_ms;      /* newest event time; INT64_MIN: no data yet */
	int64_t next_close;        /* windows below are closed; INT64_MIN: no data yet */
	int64_t wall_ms;           /* live: the wall clock; 0 in replay */
	int64_t memo_w0;           /* start (ms) of the window memo_widx: saves a division per record */
	int64_t memo_widx;
	int64_t late_ms;           /* lateness in force: learned in [lateness_ms, max_lateness_ms] */
	int64_t late_max_ms;       /* learning bound (ring size); == lateness_ms: not learning */
	int64_t learn_from_ms;     /* event time from which the histogram is trusted */
	uint64_t lag_mul;          /* 2^32 / window_ms, rounded up: lag bucket without a division */
	uint32_t lagh[LAG_NB];     /* flow records by lag behind the newest (windows), decaying */
	uint32_t lag_n;            /* sum of lagh */
	int64_t hint_ms;           /* lateness learned upstream (fw_detect_lateness_hint); 0: none, learn here */
};

/* Hour-of-week profile of one side's rate (detect_season.c). */
struct det_season {
	double prof[168];          /* mean rate of each hour of the week (UTC, Monday 00:00 first) */
	uint16_t weeks[168];       /* weeks learned into each bucket */
	int64_t cur_hour;          /* absolute hour being counted; INT64_MIN: none yet */
	int64_t first_hour;        /* the hour the input began in (partial: not learned) */
	double acc;                /* packets (records) counted in cur_hour */
	uint64_t pending;          /* ... taken since the last window closed */
	double f;                  /* factor in force */
};

/* What flows and DNS share.  One per detector, on its one thread. */
struct det_core {
	struct fw_config cfg;
	struct fw_detect_stats st;
	struct det_clock clk;
	fw_alert_fn *emit;
	void *ctx;
	struct fw_alert_ev ev;     /* scratch for emitting */
	uint8_t end_reason;        /* reason of the ends emitted now (enum fw_end_reason) */
	int64_t end_at_ms;         /* decision time of forced ends (end_all); 0: window time */
	double season_f;           /* hour-of-week factor of the side being scored; 0 or 1: none */
	double batch_w[BATCH_W_N]; /* weight of a batch of n windows: 1 - (1 - ewma_alpha)^n (det_batch_weights) */
};

/* ---- detect_time.c: event time, windows, lateness ---- */

int64_t det_floor_div(int64_t a, int64_t b);
void det_clock_init(struct det_core *c, const struct det_clock_hooks *hk);
/* The window a record of event time t lands in (closing windows as time
 * moves on), or INT64_MIN when it is dropped; counts the record. */
int64_t det_clock_take(struct det_core *c, int64_t t);
/* Close windows due by event time (and wall clock, when live). */
void det_clock_advance(struct det_core *c);
/* Close every window below upto. */
void det_clock_close_until(struct det_core *c, int64_t upto);
/* The event times of n records in stream order (fw_detect_times). */
void det_clock_times(struct det_core *c, const int64_t *t, size_t n, int flows);
/* The lateness learned upstream: in force from now on (fw_detect_lateness_hint). */
void det_clock_hint(struct det_core *c, int64_t lateness_ms);

/* Window of event time t; records of a batch mostly share one window. */
static inline int64_t
det_widx(struct det_core *c, int64_t t)
{
	/* Unsigned: one compare covers both bounds and cannot overflow. */
	if ((uint64_t)t - (uint64_t)c->clk.memo_w0 < (uint64_t)c->cfg.window_ms)
		return c->clk.memo_widx;
	c->clk.memo_widx = det_floor_div(t, c->cfg.window_ms);
	c->clk.memo_w0 = c->clk.memo_widx * c->cfg.window_ms;
	return c->clk.memo_widx;
}

/* Count a flow record's lag behind the newest event time (lateness
 * learning, see detect_time.c): a multiply and an increment. */
static inline void
det_learn_lag(struct det_core *c, int64_t end_ms)
{
	struct det_clock *k = &c->clk;
	uint64_t lag = (uint64_t)(k->max_event_ms - end_ms), b;

	if (k->late_max_ms <= c->cfg.lateness_ms)
		return;
	b = lag >= (UINT64_C(1) << 31) ? LAG_NB - 1 : (lag * k->lag_mul) >> 32;
	k->lagh[b < LAG_NB ? b : LAG_NB - 1]++;
	if (++k->lag_n >= (1u << 16)) {
		k->lag_n = 0;
		for (int i = 0; i < LAG_NB; i++) {
			k->lagh[i] >>= 1;
			k->lag_n += k->lagh[i];
		}
	}
}

/* ---- detect_season.c: hour-of-week seasonality ---- */

void det_season_init(struct det_season *s);
/* Window widx closes: count what arrived, update the factor (s->f). */
void det_season_close(struct det_season *s, int64_t widx, int64_t window_ms);
/* Resume after a gap: the hour being counted is dropped (partial), the
 * next one is the first again; the profile and the factor stay. */
void det_season_resume(struct det_season *s);

/* The seasonal factor for baseline b: rates learn x / f, thresholds are
 * multiplied by f (detect_baseline.c). */
static inline double
det_season_of(const struct det_core *c, const struct base *b)
{
	return b->flat || !(c->season_f > 0) ? 1.0 : c->season_f;
}

/* ---- detect_baseline.c: EWMA baselines and thresholds ---- */

double det_threshold(const struct det_core *c, const struct base *b, double floor_v, double mult);
/* Fill c->batch_w from c->cfg.ewma_alpha (at start and on reload). */
void det_batch_weights(struct det_core *c);
void det_learn(const struct det_core *c, struct base *b, double x);
/* Learn n windows at once (mean m, variance vb among them), as n det_learn calls would. */
void det_learn_n(const struct det_core *c, struct base *b, double m, double vb, uint32_t n);
/* The same on a float mean/variance learned `seen` windows so far. */
void det_learn_f(const struct det_core *c, float *mean, float *var, uint32_t seen, double m, double vb, uint32_t n);
/* The count (in samples) a Poisson count of mean lam stays under but for
 * a zscore tail, and never under detector.min_samples. */
double det_count_floor(const struct det_core *c, double lam);

/* ---- detect_alert.c: lifecycle, ids, end reasons, warm-up, emitting ---- */

bool det_warming(const struct det_core *c);
double det_warm_threshold(const struct det_core *c, double learned, double warm);
enum lc_action det_lifecycle(struct det_core *c, struct alert *a, bool hot, bool calm,
    int64_t widx, int64_t wstart, int64_t wend);
bool det_force_end(struct det_core *c, struct alert *a);
/* Resume after a restart: an open alert closed without an event, ids
 * forgotten, hot run over; true if it was open. */
bool det_resume_alert(struct det_core *c, struct alert *a);
void det_emit(struct det_core *c, struct alert *a, enum lc_action act, int64_t at_ms,
    const char *victim, const char *evidence);

/* ---- detect_classify.c: evidence JSON helpers ---- */

double det_round(double x, double unit);
/* Evidence JSON into out (o consumed); 1 if it fit. */
int det_json_put(json_t *o, char *out, size_t outlen);

/* ---- detect_dns.c, wired by detect.c ---- */

struct fw_dns_state;
int dns_new(struct det_core *c, struct fw_dns_state **out);
void dns_free(struct fw_dns_state *z);
/* SIGHUP: take cfg's zone lists and rates (the core's cfg becomes cfg
 * next); the tables stay.  FW_EINVAL (bad lists) or FW_ENOMEM: nothing changed. */
int dns_reconfigure(struct fw_dns_state *z, const struct fw_config *cfg);
int dns_check_config(const struct fw_config *cfg, char *err, size_t errlen);
void dns_period_end(struct fw_dns_state *z, int64_t widx, int64_t next_close);
void dns_close_window(struct det_core *c, struct fw_dns_state *z, int64_t widx);
size_t dns_memory_bytes(const struct fw_dns_state *z);
int dns_end_all(struct det_core *c, struct fw_dns_state *z);
void dns_take_batch(struct det_core *c, struct fw_dns_state *z, const struct fw_dnsq *q, size_t n);
/* fw_detect_resume: open alerts closed quietly (how many); with gap, the
 * windows still open at the save emptied. */
int dns_resume(struct det_core *c, struct fw_dns_state *z, bool gap);

/* The fw_hashtab hash of a victim's or zone's 64-bit key hash. */
static inline uint32_t
ix_hash(uint64_t h)
{
	return (uint32_t)(h >> 32);
}

#endif /* FW_DETECT_INT_H */
