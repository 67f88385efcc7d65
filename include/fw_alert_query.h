/*
 * fw_alert_query.h - the read side of the SQLite alert store, shared by
 * `floodwatch alerts`, `floodwatch show` and the HTTP API (web/), so the
 * three list, filter and represent alerts the same way.
 *
 * A handle is one read-only connection (WAL: readers never block the
 * writer) with a busy timeout.  Lists are newest first, ordered by
 * (started_at, id) descending; a page continues strictly after the
 * (started_at, id) of the last row of the previous one (the cursor).  Each
 * filter has an index ending in (started_at, id) (schema/005), so a page
 * walks one index backwards and stops: no sort, no scan of the table.
 *
 * Strings in the row structs are borrowed from SQLite and valid only during
 * the callback.  Victim and evidence text is attacker-influenced (DNS zone
 * names): the JSON builders replace invalid UTF-8 by U+FFFD and jansson
 * escapes the rest, so their output is always valid JSON.
 *
 * Threading: a handle belongs to one thread at a time.
 */
#ifndef FW_ALERT_QUERY_H
#define FW_ALERT_QUERY_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fw_err.h"

struct fw_aq;

#define FW_AQ_CURSOR_LEN 48   /* "<started_at>_<id>" + NUL, with room */
#define FW_AQ_JSON_FLAGS (JSON_COMPACT | JSON_ENSURE_ASCII | JSON_REAL_PRECISION(15))

/*
 * Open `path` read-only.  FW_OK; FW_EINVAL when it is not an SQLite file or
 * not a floodwatch database (no alerts table); FW_EIO otherwise.  err gets
 * one line naming the path and the reason.
 */
int fw_aq_open(const char *path, struct fw_aq **out, char *err, size_t errlen) FW_MUSTCHECK;
void fw_aq_close(struct fw_aq *q);   /* NULL: no-op */

/* What to list.  NULL / 0 members do not filter. */
struct fw_aq_filter {
	const char *since;        /* started_at >= since (ISO-8601 text) */
	const char *until;        /* started_at < until */
	const char *vector;       /* exact vector name */
	const char *victim;       /* exact victim text */
	bool active;              /* only alerts that have not ended */
	const char *after_started; /* cursor: rows strictly older than (after_started, after_id) */
	const char *after_id;
	long limit;               /* rows at most, > 0 */
};

/* One alerts row. */
struct fw_aq_alert {
	const char *id, *started_at, *updated_at;
	const char *ended_at;     /* NULL while active */
	const char *end_reason;   /* NULL while active (or a database before schema step 4) */
	const char *victim, *vector;
	const char *evidence;     /* JSON object text (the peak's evidence) */
	int severity;
	double peak_pps, peak_bps, peak_qps;
	int64_t events;
};

/* One alert_events row. */
struct fw_aq_event {
	int64_t seq;
	const char *event, *at;
	const char *reason;       /* end events only */
	const char *evidence;
	double pps, bps, qps;
};

typedef int fw_aq_alert_fn(void *ctx, const struct fw_aq_alert *a);
typedef int fw_aq_event_fn(void *ctx, const struct fw_aq_event *e);
typedef void fw_aq_plan_fn(void *ctx, const char *detail);

/*
 * Call fn for each alert matching f, newest first, stopping early when fn
 * returns non-zero.  Returns rows visited or FW_EIO (err says why).
 */
int fw_aq_alerts(struct fw_aq *q, const struct fw_aq_filter *f, fw_aq_alert_fn *fn, void *ctx,
    char *err, size_t errlen);

/* The alert with this id: 1 (fn called), 0 no such alert, FW_EIO. */
int fw_aq_alert(struct fw_aq *q, const char *id, fw_aq_alert_fn *fn, void *ctx, char *err, size_t errlen);

/*
 * Events of an alert in sequence order, seq > after_seq, at most limit.
 * Returns rows visited or FW_EIO.
 */
int fw_aq_events(struct fw_aq *q, const char *id, int64_t after_seq, long limit, fw_aq_event_fn *fn,
    void *ctx, char *err, size_t errlen);

/* SQLite's EXPLAIN QUERY PLAN of the list query for f, one detail per call. */
int fw_aq_plan(struct fw_aq *q, const struct fw_aq_filter *f, fw_aq_plan_fn *fn, void *ctx);

/*
 * New JSON objects (caller owns the reference; NULL on allocation failure).
 * Rates are rounded (pps and qps to 0.1, bps to 1); evidence is an object.
 */
json_t *fw_aq_alert_json(const struct fw_aq_alert *a);
json_t *fw_aq_event_json(const struct fw_aq_event *e);

/* Evidence text as an object: invalid UTF-8 replaced, bad JSON as {}. */
json_t *fw_aq_evidence_json(const char *text);

/* Cursor text for the row (started_at, id); out has FW_AQ_CURSOR_LEN bytes. */
void fw_aq_cursor_format(const char *started_at, const char *id, char *out);

/*
 * Split cursor text into its two parts (pointers into buf, which holds a
 * copy).  FW_OK or FW_EINVAL when it is not a cursor this module made.
 */
int fw_aq_cursor_parse(const char *text, char buf[FW_AQ_CURSOR_LEN], const char **started_at,
    const char **id) FW_MUSTCHECK;

/* Is name a vector name (fw_vector_name of some vector)? */
bool fw_aq_vector_is_known(const char *name);

/* Is it a DNS vector (its alerts have queries/s, not packets/s)? */
bool fw_aq_vector_is_dns(const char *name);

#endif /* FW_ALERT_QUERY_H */
