/*
 * alert_query.c - read queries over the alert store (fw_alert_query.h).
 *
 * The list query is built from the filters that are set, so SQLite sees a
 * plain `vector = ?` or `ended_at IS NULL` it can match to an index (an
 * `?x IS NULL OR col = ?x` form defeats the planner).  Only fixed SQL
 * fragments are concatenated; every value is bound.
 */
#include "fw_alert_query.h"

#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fw_alert_json.h"
#include "fw_names.h"
#include "fw_records.h"
#include "fw_time.h"

struct fw_aq {
	sqlite3 *db;
	bool has_reason;          /* schema step 4 applied (end_reason columns) */
};

static const char alert_cols[] =
    "id, started_at, updated_at, ended_at, victim, vector, severity, peak_pps, peak_bps,"
    " peak_qps, events, evidence, ";

int
fw_aq_open(const char *path, struct fw_aq **out, char *err, size_t errlen)
{
	struct fw_aq *q;
	sqlite3_stmt *st = NULL;
	int rc = FW_EIO;

	if ((q = calloc(1, sizeof(*q))) == NULL)
		return FW_ENOMEM;
	if (sqlite3_open_v2(path, &q->db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: cannot open database: %s", path,
		    q->db ? sqlite3_errmsg(q->db) : "out of memory");
		goto fail;
	}
	sqlite3_busy_timeout(q->db, 5000);
	if (sqlite3_prepare_v2(q->db, "SELECT id, victim, evidence FROM alerts LIMIT 0", -1, &st,
	    NULL) != SQLITE_OK) {
		int ec = sqlite3_errcode(q->db);

		if (ec == SQLITE_NOTADB) {
			snprintf(err, errlen, "%s: not an SQLite database file", path);
			rc = FW_EINVAL;
		} else if (ec == SQLITE_ERROR && strstr(sqlite3_errmsg(q->db), "no such") != NULL) {
			snprintf(err, errlen, "%s: not a floodwatch database (%s)", path, sqlite3_errmsg(q->db));
			rc = FW_EINVAL;
		} else {
			snprintf(err, errlen, "%s: cannot read the alerts table: %s", path, sqlite3_errmsg(q->db));
		}
		goto fail;
	}
	sqlite3_finalize(st);
	st = NULL;
	/* A database no daemon has migrated to step 4 has no end_reason. */
	q->has_reason = sqlite3_prepare_v2(q->db, "SELECT end_reason FROM alerts LIMIT 0", -1, &st,
	    NULL) == SQLITE_OK;
	sqlite3_finalize(st);
	*out = q;
	return FW_OK;
fail:
	sqlite3_finalize(st);
	fw_aq_close(q);
	return rc;
}

void
fw_aq_close(struct fw_aq *q)
{
	if (q == NULL)
		return;
	sqlite3_close(q->db);
	free(q);
}

static const char *
col(sqlite3_stmt *st, int i)
{
	return (const char *)sqlite3_column_text(st, i);
}

static void
row_alert(sqlite3_stmt *st, struct fw_aq_alert *a)
{
	a->id = col(st, 0);
	a->started_at = col(st, 1);
	a->updated_at = col(st, 2);
	a->ended_at = col(st, 3);
	a->victim = col(st, 4);
	a->vector = col(st, 5);
	a->severity = sqlite3_column_int(st, 6);
	a->peak_pps = sqlite3_column_double(st, 7);
	a->peak_bps = sqlite3_column_double(st, 8);
	a->peak_qps = sqlite3_column_double(st, 9);
	a->events = sqlite3_column_int64(st, 10);
	a->evidence = col(st, 11);
	a->end_reason = col(st, 12);
}

/* The list query for f into sql (fixed fragments only). */
static void
list_sql(const struct fw_aq *q, const struct fw_aq_filter *f, char *sql, size_t len)
{
	size_t o = 0;

	o += (size_t)snprintf(sql + o, len - o, "SELECT %s%s FROM alerts WHERE 1", alert_cols,
	    q->has_reason ? "end_reason" : "NULL");
	if (f->active)
		o += (size_t)snprintf(sql + o, len - o, " AND ended_at IS NULL");
	if (f->vector != NULL)
		o += (size_t)snprintf(sql + o, len - o, " AND vector = :vector");
	if (f->victim != NULL)
		o += (size_t)snprintf(sql + o, len - o, " AND victim = :victim");
	if (f->since != NULL)
		o += (size_t)snprintf(sql + o, len - o, " AND started_at >= :since");
	if (f->until != NULL)
		o += (size_t)snprintf(sql + o, len - o, " AND started_at < :until");
	if (f->after_started != NULL && f->after_id != NULL)
		o += (size_t)snprintf(sql + o, len - o, " AND (started_at, id) < (:cur_started, :cur_id)");
	(void)snprintf(sql + o, len - o, " ORDER BY started_at DESC, id DESC LIMIT :limit");
}

static void
bind_named(sqlite3_stmt *st, const char *name, const char *value)
{
	int i = sqlite3_bind_parameter_index(st, name);

	if (i > 0 && value != NULL)
		sqlite3_bind_text(st, i, value, -1, SQLITE_STATIC);
}

static int
prepare_list(struct fw_aq *q, const struct fw_aq_filter *f, const char *prefix, sqlite3_stmt **st)
{
	char sql[1024];
	size_t plen = strlen(prefix);
	int i;

	memcpy(sql, prefix, plen);
	list_sql(q, f, sql + plen, sizeof(sql) - plen);
	if (sqlite3_prepare_v2(q->db, sql, -1, st, NULL) != SQLITE_OK)
		return FW_EIO;
	bind_named(*st, ":vector", f->vector);
	bind_named(*st, ":victim", f->victim);
	bind_named(*st, ":since", f->since);
	bind_named(*st, ":until", f->until);
	bind_named(*st, ":cur_started", f->after_started);
	bind_named(*st, ":cur_id", f->after_id);
	if ((i = sqlite3_bind_parameter_index(*st, ":limit")) > 0)
		sqlite3_bind_int64(*st, i, f->limit > 0 ? f->limit : 1);
	return FW_OK;
}

int
fw_aq_alerts(struct fw_aq *q, const struct fw_aq_filter *f, fw_aq_alert_fn *fn, void *ctx, char *err,
    size_t errlen)
{
	sqlite3_stmt *st = NULL;
	int rows = 0, rc;

	if (prepare_list(q, f, "", &st) != FW_OK)
		goto fail;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct fw_aq_alert a;

		row_alert(st, &a);
		rows++;
		if (fn(ctx, &a) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	if (rc != SQLITE_DONE)
		goto fail;
	sqlite3_finalize(st);
	return rows;
fail:
	snprintf(err, errlen, "%s", sqlite3_errmsg(q->db));
	sqlite3_finalize(st);
	return FW_EIO;
}

int
fw_aq_plan(struct fw_aq *q, const struct fw_aq_filter *f, fw_aq_plan_fn *fn, void *ctx)
{
	sqlite3_stmt *st = NULL;

	if (prepare_list(q, f, "EXPLAIN QUERY PLAN ", &st) != FW_OK) {
		sqlite3_finalize(st);
		return FW_EIO;
	}
	while (sqlite3_step(st) == SQLITE_ROW)
		fn(ctx, col(st, 3) != NULL ? col(st, 3) : "");
	sqlite3_finalize(st);
	return FW_OK;
}

int
fw_aq_alert(struct fw_aq *q, const char *id, fw_aq_alert_fn *fn, void *ctx, char *err, size_t errlen)
{
	char sql[512];
	sqlite3_stmt *st = NULL;
	int rc, found = 0;

	snprintf(sql, sizeof(sql), "SELECT %s%s FROM alerts WHERE id = ?1", alert_cols,
	    q->has_reason ? "end_reason" : "NULL");
	if (sqlite3_prepare_v2(q->db, sql, -1, &st, NULL) != SQLITE_OK)
		goto fail;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct fw_aq_alert a;

		row_alert(st, &a);
		found = 1;
		(void)fn(ctx, &a);
	} else if (rc != SQLITE_DONE) {
		goto fail;
	}
	sqlite3_finalize(st);
	return found;
fail:
	snprintf(err, errlen, "%s", sqlite3_errmsg(q->db));
	sqlite3_finalize(st);
	return FW_EIO;
}

int
fw_aq_events(struct fw_aq *q, const char *id, int64_t after_seq, long limit, fw_aq_event_fn *fn, void *ctx,
    char *err, size_t errlen)
{
	char sql[256];
	sqlite3_stmt *st = NULL;
	int rows = 0, rc;

	/* The primary key (alert_id, seq) serves this query. */
	snprintf(sql, sizeof(sql), "SELECT seq, event, at, pps, bps, qps, evidence, %s FROM alert_events"
	    " WHERE alert_id = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3", q->has_reason ? "reason" : "NULL");
	if (sqlite3_prepare_v2(q->db, sql, -1, &st, NULL) != SQLITE_OK)
		goto fail;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, after_seq);
	sqlite3_bind_int64(st, 3, limit > 0 ? limit : 1);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct fw_aq_event e;

		e.seq = sqlite3_column_int64(st, 0);
		e.event = col(st, 1);
		e.at = col(st, 2);
		e.pps = sqlite3_column_double(st, 3);
		e.bps = sqlite3_column_double(st, 4);
		e.qps = sqlite3_column_double(st, 5);
		e.evidence = col(st, 6);
		e.reason = col(st, 7);
		rows++;
		if (fn(ctx, &e) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	if (rc != SQLITE_DONE)
		goto fail;
	sqlite3_finalize(st);
	return rows;
fail:
	snprintf(err, errlen, "%s", sqlite3_errmsg(q->db));
	sqlite3_finalize(st);
	return FW_EIO;
}

/* ---- JSON ---- */

/* Rates to a sensible precision: dumped with 15 significant digits they
 * print as 78000.1, not 78000.100000000006. */
static json_t *
rate(double v, double unit)
{
	return json_real(isfinite(v) ? round(v / unit) * unit : 0.0);
}

/* Text or null; invalid UTF-8 replaced (json_string refuses it). */
static json_t *
text_or_null(const char *s)
{
	char buf[FW_EVIDENCE_MAX * 3 + 256];

	return s != NULL ? json_string(fw_utf8_sanitize(s, buf, sizeof(buf))) : json_null();
}

json_t *
fw_aq_evidence_json(const char *text)
{
	static _Thread_local char buf[FW_EVIDENCE_MAX * 3 + 256];
	json_error_t jerr;
	json_t *ev = NULL;

	if (text != NULL)
		ev = json_loads(fw_utf8_sanitize(text, buf, sizeof(buf)), 0, &jerr);
	if (ev == NULL || !json_is_object(ev)) {
		json_decref(ev);
		ev = json_object();
	}
	return ev;
}

json_t *
fw_aq_alert_json(const struct fw_aq_alert *a)
{
	json_t *o = json_object();

	if (o == NULL)
		return NULL;
	json_object_set_new(o, "id", text_or_null(a->id));
	json_object_set_new(o, "started_at", text_or_null(a->started_at));
	json_object_set_new(o, "updated_at", text_or_null(a->updated_at));
	json_object_set_new(o, "ended_at", text_or_null(a->ended_at));
	json_object_set_new(o, "end_reason", text_or_null(a->end_reason));
	json_object_set_new(o, "victim", text_or_null(a->victim != NULL ? a->victim : ""));
	json_object_set_new(o, "vector", text_or_null(a->vector != NULL ? a->vector : "volumetric"));
	json_object_set_new(o, "severity", json_integer(a->severity));
	json_object_set_new(o, "peak_pps", rate(a->peak_pps, 0.1));
	json_object_set_new(o, "peak_bps", rate(a->peak_bps, 1));
	json_object_set_new(o, "peak_qps", rate(a->peak_qps, 0.1));
	json_object_set_new(o, "events", json_integer(a->events));
	json_object_set_new(o, "evidence", fw_aq_evidence_json(a->evidence));
	return o;
}

json_t *
fw_aq_event_json(const struct fw_aq_event *e)
{
	json_t *o = json_object();

	if (o == NULL)
		return NULL;
	json_object_set_new(o, "seq", json_integer(e->seq));
	json_object_set_new(o, "event", text_or_null(e->event != NULL ? e->event : "update"));
	json_object_set_new(o, "at", text_or_null(e->at));
	json_object_set_new(o, "reason", text_or_null(e->reason));
	json_object_set_new(o, "pps", rate(e->pps, 0.1));
	json_object_set_new(o, "bps", rate(e->bps, 1));
	json_object_set_new(o, "qps", rate(e->qps, 0.1));
	json_object_set_new(o, "evidence", fw_aq_evidence_json(e->evidence));
	return o;
}

/* ---- cursor and names ---- */

#define ID_HEX 16

void
fw_aq_cursor_format(const char *started_at, const char *id, char *out)
{
	snprintf(out, FW_AQ_CURSOR_LEN, "%.24s_%.16s", started_at != NULL ? started_at : "",
	    id != NULL ? id : "");
}

int
fw_aq_cursor_parse(const char *text, char buf[FW_AQ_CURSOR_LEN], const char **started_at, const char **id)
{
	size_t len = strlen(text);
	int64_t ms;

	if (len != FW_TIME_TEXT_LEN - 1 + 1 + ID_HEX || text[FW_TIME_TEXT_LEN - 1] != '_')
		return FW_EINVAL;
	memcpy(buf, text, len + 1);
	buf[FW_TIME_TEXT_LEN - 1] = '\0';
	for (size_t i = FW_TIME_TEXT_LEN; i < len; i++)
		if (!((buf[i] >= '0' && buf[i] <= '9') || (buf[i] >= 'a' && buf[i] <= 'f')))
			return FW_EINVAL;
	if (fw_time_parse(buf, &ms) != 0)
		return FW_EINVAL;
	*started_at = buf;
	*id = buf + FW_TIME_TEXT_LEN;
	return FW_OK;
}

bool
fw_aq_vector_is_known(const char *name)
{
	for (int v = 0; v < FW_VEC_COUNT; v++)
		if (strcmp(name, fw_vector_name(v)) == 0)
			return true;
	return false;
}

bool
fw_aq_vector_is_dns(const char *name)
{
	return name != NULL && (strcmp(name, fw_vector_name(FW_VEC_DNS_FLOOD)) == 0 ||
	    strcmp(name, fw_vector_name(FW_VEC_DNS_WATER_TORTURE)) == 0);
}
