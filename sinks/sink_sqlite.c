/*
 * sink_sqlite.c - SQLite alert store (see fw_sqlite.h).
 *
 * alerts holds one row per alert, upserted on every event; alert_events
 * keeps every event for timelines.  Both rows of an event are written in
 * the same transaction.  An event whose (id, seq) is already stored is a
 * duplicate (at-least-once delivery, a replayed Kafka tail) and is skipped
 * whole: a late copy of an older event must not touch the row (an update
 * arriving after the end would reopen the alert), nor go to the outbox
 * again.
 */
#include "fw_sqlite.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include "fw_alert_json.h"
#include "fw_names.h"
#include "fw_log.h"
#include "fw_time.h"

extern const char *const fw_schema_steps[];
extern const size_t fw_schema_nsteps;

struct fw_sqlite {
	sqlite3 *db;
	sqlite3_stmt *upsert;
	sqlite3_stmt *event;
	sqlite3_stmt *outbox_add;
	sqlite3_stmt *outbox_scan;
	sqlite3_stmt *outbox_del;
	sqlite3_stmt *stat;
	sqlite3_stmt *dup;
	uint64_t duplicates;    /* events skipped as already stored, committed batches */
	uint64_t batch_dups;    /* ... in the batch being written */
	char last_error[512];   /* why the last write failed (with a file-system hint) */
	char json[FW_EVIDENCE_MAX * 3 + 2048];  /* scratch for one message */
};

static const char upsert_sql[] =
    "INSERT INTO alerts (id, started_at, updated_at, ended_at, victim, vector, severity,"
    " peak_pps, peak_bps, peak_qps, events, evidence, end_reason)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)"
    " ON CONFLICT(id) DO UPDATE SET updated_at = excluded.updated_at,"
    " ended_at = excluded.ended_at, end_reason = excluded.end_reason, vector = excluded.vector,"
    " severity = max(severity, excluded.severity),"
    " peak_pps = max(peak_pps, excluded.peak_pps), peak_bps = max(peak_bps, excluded.peak_bps),"
    " peak_qps = max(peak_qps, excluded.peak_qps), events = max(events, excluded.events),"
    /* The row keeps the evidence of its peak: an event's evidence describes
     * its own window, so it replaces the row's only when that window's rate
     * (?14) beats the rate the stored evidence observed.  The end event
     * (a calm window) never erases the "why"; each event row keeps its own. */
    " evidence = CASE WHEN ?14 > CASE WHEN json_valid(evidence) THEN coalesce("
    "json_extract(evidence, '$.observed.pps'), json_extract(evidence, '$.observed_qps'), -1) ELSE -1 END"
    " THEN excluded.evidence ELSE evidence END";

static const char outbox_add_sql[] =
    "INSERT INTO outbox (alert_id, event_seq, msg_key, payload, created_at) VALUES (?1, ?2, ?3, ?4, ?5)";
static const char outbox_scan_sql[] =
    "SELECT seq, msg_key, payload FROM outbox WHERE seq > ?1 ORDER BY seq LIMIT ?2";
static const char outbox_del_sql[] = "DELETE FROM outbox WHERE seq = ?1";
static const char stat_sql[] =
    "INSERT OR REPLACE INTO collector_stats (at, source, name, value) VALUES (?1, ?2, ?3, ?4)";

static const char dup_sql[] = "SELECT 1 FROM alert_events WHERE alert_id = ?1 AND seq = ?2";
static const char event_sql[] =
    "INSERT OR IGNORE INTO alert_events (alert_id, seq, event, at, pps, bps, qps, evidence, reason)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)";

int
fw_sqlite_schema_version(void)
{
	return (int)fw_schema_nsteps;
}

/* Why a file system refuses writes, for error messages: "" when unknown. */
static const char *
fs_hint(const char *path)
{
	char dir[4096];
	struct statvfs vfs;
	const char *slash = strrchr(path, '/');

	if (slash == NULL)
		snprintf(dir, sizeof(dir), ".");
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path) > 0 ? (int)(slash - path) : 1, path);
	if (statvfs(dir, &vfs) != 0)
		return "";
	if (vfs.f_flag & ST_RDONLY)
		return " (the file system is read-only)";
	if (vfs.f_bavail == 0)
		return " (the file system is full)";
	return "";
}

/* mkdir -p of the directory part of path. */
static void
make_parent(const char *path)
{
	char dir[4096];
	size_t len = strlen(path);

	if (len >= sizeof(dir))
		return;
	memcpy(dir, path, len + 1);
	for (char *p = dir + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(dir, 0755) != 0 && errno != EEXIST)
			return;
		*p = '/';
	}
}

static int
migrate(sqlite3 *db, const char *path, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	int version = 0;
	char *msg = NULL;

	if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_ROW) {
		snprintf(err, errlen, "%s: cannot read schema version: %s", path, sqlite3_errmsg(db));
		sqlite3_finalize(st);
		return FW_EIO;
	}
	version = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if (version > (int)fw_schema_nsteps) {
		snprintf(err, errlen, "%s: database schema version %d is newer than this program's (%d); "
		    "use a newer floodwatch", path, version, (int)fw_schema_nsteps);
		return FW_EUNSUPPORTED;
	}
	for (; version < (int)fw_schema_nsteps; version++) {
		char bump[64];

		snprintf(bump, sizeof(bump), "PRAGMA user_version = %d", version + 1);
		if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, &msg) != SQLITE_OK ||
		    sqlite3_exec(db, fw_schema_steps[version], NULL, NULL, &msg) != SQLITE_OK ||
		    sqlite3_exec(db, bump, NULL, NULL, &msg) != SQLITE_OK ||
		    sqlite3_exec(db, "COMMIT", NULL, NULL, &msg) != SQLITE_OK) {
			snprintf(err, errlen, "%s: schema step %d failed: %s%s", path, version + 1,
			    msg ? msg : sqlite3_errmsg(db), fs_hint(path));
			sqlite3_free(msg);
			sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
			return FW_EIO;
		}
	}
	return FW_OK;
}

int
fw_sqlite_open(const char *path, struct fw_sqlite **out, char *err, size_t errlen)
{
	struct fw_sqlite *s;
	int rc;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return FW_ENOMEM;
	make_parent(path);
	if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: cannot open database: %s%s", path,
		    s->db ? sqlite3_errmsg(s->db) : "out of memory", fs_hint(path));
		rc = FW_EIO;
		goto fail;
	}
	sqlite3_busy_timeout(s->db, 5000);
	if (sqlite3_exec(s->db, "PRAGMA journal_mode = WAL", NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_exec(s->db, "PRAGMA synchronous = NORMAL", NULL, NULL, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: cannot set WAL mode: %s%s", path, sqlite3_errmsg(s->db), fs_hint(path));
		rc = FW_EIO;
		goto fail;
	}
	if ((rc = migrate(s->db, path, err, errlen)) != FW_OK)
		goto fail;
	if (sqlite3_prepare_v2(s->db, upsert_sql, -1, &s->upsert, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(s->db, event_sql, -1, &s->event, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(s->db, outbox_add_sql, -1, &s->outbox_add, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(s->db, outbox_scan_sql, -1, &s->outbox_scan, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(s->db, outbox_del_sql, -1, &s->outbox_del, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(s->db, stat_sql, -1, &s->stat, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(s->db, dup_sql, -1, &s->dup, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: cannot prepare statements: %s", path, sqlite3_errmsg(s->db));
		rc = FW_EIO;
		goto fail;
	}
	*out = s;
	return FW_OK;
fail:
	fw_sqlite_close(s);
	return rc;
}

void
fw_sqlite_close(struct fw_sqlite *s)
{
	if (s == NULL)
		return;
	sqlite3_finalize(s->upsert);
	sqlite3_finalize(s->event);
	sqlite3_finalize(s->outbox_add);
	sqlite3_finalize(s->outbox_scan);
	sqlite3_finalize(s->outbox_del);
	sqlite3_finalize(s->stat);
	sqlite3_finalize(s->dup);
	sqlite3_close(s->db);
	free(s);
}

/* End events carry their reason (an end without one says quiet); others NULL. */
static void
bind_reason(sqlite3_stmt *st, int col, const struct fw_alert_ev *e)
{
	const char *r = fw_end_reason_name(e->reason);

	if (e->event == FW_EV_END)
		sqlite3_bind_text(st, col, r != NULL ? r : "quiet", -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, col);
}

/* Keep the reason of a failure before ROLLBACK replaces the message. */
static void
note_error(struct fw_sqlite *s)
{
	snprintf(s->last_error, sizeof(s->last_error), "%s%s", sqlite3_errmsg(s->db),
	    fs_hint(sqlite3_db_filename(s->db, "main")));
}

static int
write_one(struct fw_sqlite *s, const struct fw_alert_ev *e, int with_outbox)
{
	char started[FW_TIME_TEXT_LEN], updated[FW_TIME_TEXT_LEN], ended[FW_TIME_TEXT_LEN];
	sqlite3_stmt *u = s->upsert, *v = s->event;
	int step;

	sqlite3_reset(s->dup);
	sqlite3_bind_text(s->dup, 1, e->id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s->dup, 2, e->seq);
	step = sqlite3_step(s->dup);
	sqlite3_reset(s->dup);
	if (step == SQLITE_ROW) {
		s->batch_dups++;
		return FW_OK;
	}
	if (step != SQLITE_DONE)
		return FW_EIO;
	fw_time_format(e->started_ms, started);
	fw_time_format(e->updated_ms, updated);
	fw_time_format(e->ended_ms, ended);
	sqlite3_reset(u);
	sqlite3_bind_text(u, 1, e->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(u, 2, started, -1, SQLITE_STATIC);
	sqlite3_bind_text(u, 3, updated, -1, SQLITE_STATIC);
	if (e->event == FW_EV_END)
		sqlite3_bind_text(u, 4, ended, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(u, 4);
	sqlite3_bind_text(u, 5, e->victim, -1, SQLITE_STATIC);
	sqlite3_bind_text(u, 6, fw_vector_name(e->vector), -1, SQLITE_STATIC);
	sqlite3_bind_int(u, 7, e->severity);
	sqlite3_bind_double(u, 8, e->peak_pps);
	sqlite3_bind_double(u, 9, e->peak_bps);
	sqlite3_bind_double(u, 10, e->peak_qps);
	sqlite3_bind_int64(u, 11, e->seq);
	sqlite3_bind_text(u, 12, e->evidence, -1, SQLITE_STATIC);
	bind_reason(u, 13, e);
	/* Rounded as the evidence's "observed" rate is, so equal means equal. */
	sqlite3_bind_double(u, 14, round((e->cur_pps + e->cur_qps) * 10) / 10);
	if (sqlite3_step(u) != SQLITE_DONE)
		return FW_EIO;
	sqlite3_reset(v);
	sqlite3_bind_text(v, 1, e->id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(v, 2, e->seq);
	sqlite3_bind_text(v, 3, fw_event_name(e->event), -1, SQLITE_STATIC);
	sqlite3_bind_text(v, 4, updated, -1, SQLITE_STATIC);
	sqlite3_bind_double(v, 5, e->cur_pps);
	sqlite3_bind_double(v, 6, e->cur_bps);
	sqlite3_bind_double(v, 7, e->cur_qps);
	sqlite3_bind_text(v, 8, e->evidence, -1, SQLITE_STATIC);
	bind_reason(v, 9, e);
	if (sqlite3_step(v) != SQLITE_DONE)
		return FW_EIO;
	if (with_outbox) {
		char now[FW_TIME_TEXT_LEN];
		int len = fw_alert_json(e, s->json, sizeof(s->json));

		if (len < 0)
			return FW_EIO;
		fw_time_format(fw_time_now_ms(), now);
		v = s->outbox_add;
		sqlite3_reset(v);
		sqlite3_bind_text(v, 1, e->id, -1, SQLITE_STATIC);
		sqlite3_bind_int64(v, 2, e->seq);
		sqlite3_bind_text(v, 3, e->victim, -1, SQLITE_STATIC);
		sqlite3_bind_text(v, 4, s->json, len, SQLITE_STATIC);
		sqlite3_bind_text(v, 5, now, -1, SQLITE_STATIC);
		if (sqlite3_step(v) != SQLITE_DONE)
			return FW_EIO;
	}
	return FW_OK;
}

int
fw_sqlite_write(struct fw_sqlite *s, const struct fw_alert_ev *ev, size_t n, int with_outbox)
{
	s->batch_dups = 0;
	if (sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		goto fail;
	for (size_t i = 0; i < n; i++)
		if (write_one(s, &ev[i], with_outbox) != FW_OK)
			goto fail;
	if (sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		goto fail;
	s->duplicates += s->batch_dups;
	return FW_OK;
fail:
	/* No log line here: the caller retries with back-off and logs per retry. */
	note_error(s);
	sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	return FW_EIO;
}

#define END_OPEN_BATCH 64

/* One alerts row (columns of end_open_sql) as the end event of `reason`. */
static void
row_to_end(sqlite3_stmt *st, int reason, int64_t now_ms, struct fw_alert_ev *e)
{
	const char *vec = (const char *)sqlite3_column_text(st, 4);
	const char *victim = (const char *)sqlite3_column_text(st, 3);
	const char *evidence = (const char *)sqlite3_column_text(st, 10);
	const char *id = (const char *)sqlite3_column_text(st, 0);
	int64_t updated = now_ms;

	memset(e, 0, sizeof(*e));
	snprintf(e->id, sizeof(e->id), "%s", id != NULL ? id : "");
	e->event = FW_EV_END;
	e->reason = (uint8_t)reason;
	e->vector = FW_VEC_VOLUMETRIC;
	for (int v = 0; vec != NULL && v < FW_VEC_COUNT; v++)
		if (strcmp(vec, fw_vector_name(v)) == 0)
			e->vector = (uint8_t)v;
	e->severity = (uint8_t)sqlite3_column_int(st, 5);
	e->seq = (uint32_t)sqlite3_column_int64(st, 9) + 1;
	if (fw_time_parse((const char *)sqlite3_column_text(st, 1), &e->started_ms) != 0)
		e->started_ms = now_ms;
	/* The last event is the last time we know the attack was on. */
	if (fw_time_parse((const char *)sqlite3_column_text(st, 2), &updated) != 0 || updated > now_ms)
		updated = now_ms;
	e->ended_ms = updated;
	e->updated_ms = now_ms;
	e->peak_pps = sqlite3_column_double(st, 6);
	e->peak_bps = sqlite3_column_double(st, 7);
	e->peak_qps = sqlite3_column_double(st, 8);
	snprintf(e->victim, sizeof(e->victim), "%s", victim != NULL ? victim : "");
	snprintf(e->evidence, sizeof(e->evidence), "%s", evidence != NULL ? evidence : "{}");
}

int
fw_sqlite_end_open(struct fw_sqlite *s, int reason, int64_t now_ms, int with_outbox,
    void (*on_end)(void *ctx, const struct fw_alert_ev *ev), void *ctx)
{
	static const char end_open_sql[] =
	    "SELECT id, started_at, updated_at, victim, vector, severity, peak_pps, peak_bps, peak_qps,"
	    " events, evidence FROM alerts WHERE ended_at IS NULL ORDER BY started_at, id LIMIT ?1";
	struct fw_alert_ev *batch = calloc(END_OPEN_BATCH, sizeof(*batch));
	sqlite3_stmt *st = NULL;
	int total = 0, rc = FW_EIO;
	int64_t open = -1;

	if (batch == NULL)
		return FW_ENOMEM;
	if (sqlite3_prepare_v2(s->db, "SELECT count(*) FROM alerts WHERE ended_at IS NULL", -1, &st,
	    NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		open = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	st = NULL;
	if (open < 0 || sqlite3_prepare_v2(s->db, end_open_sql, -1, &st, NULL) != SQLITE_OK) {
		fw_log(FW_LOG_ERR, "sqlite", "reading open alerts failed: %s", sqlite3_errmsg(s->db));
		goto out;
	}
	/* Batch by batch: each write takes its rows out of the next select
	 * (bounded by the count, should a row refuse to close). */
	while (total < open) {
		size_t n = 0;
		int step;

		sqlite3_reset(st);
		sqlite3_bind_int(st, 1, END_OPEN_BATCH);
		while ((step = sqlite3_step(st)) == SQLITE_ROW)
			row_to_end(st, reason, now_ms, &batch[n++]);
		sqlite3_reset(st);
		if (step != SQLITE_DONE) {
			fw_log(FW_LOG_ERR, "sqlite", "reading open alerts failed: %s", sqlite3_errmsg(s->db));
			goto out;
		}
		if (n == 0)
			break;
		if (fw_sqlite_write(s, batch, n, with_outbox) != FW_OK) {
			fw_log(FW_LOG_ERR, "sqlite", "ending open alerts failed: %s", fw_sqlite_errmsg(s));
			goto out;
		}
		for (size_t i = 0; on_end != NULL && i < n; i++)
			on_end(ctx, &batch[i]);
		total += (int)n;
	}
	rc = total;
out:
	sqlite3_finalize(st);
	free(batch);
	return rc;
}

uint64_t
fw_sqlite_duplicates(const struct fw_sqlite *s)
{
	return s->duplicates;
}

const char *
fw_sqlite_errmsg(const struct fw_sqlite *s)
{
	return s->last_error;
}

int
fw_sqlite_outbox_scan(struct fw_sqlite *s, int64_t after, int max, fw_outbox_fn *fn, void *ctx)
{
	sqlite3_stmt *st = s->outbox_scan;
	int rows = 0, rc;

	sqlite3_reset(st);
	sqlite3_bind_int64(st, 1, after);
	sqlite3_bind_int(st, 2, max);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct fw_outbox_row row;

		row.seq = sqlite3_column_int64(st, 0);
		row.key = (const char *)sqlite3_column_text(st, 1);
		row.payload = (const char *)sqlite3_column_text(st, 2);
		row.payload_len = (size_t)sqlite3_column_bytes(st, 2);
		if (row.key == NULL || row.payload == NULL)
			continue;
		rows++;
		if (fn(ctx, &row) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		fw_log(FW_LOG_ERR, "sqlite", "reading the outbox failed: %s", sqlite3_errmsg(s->db));
		return FW_EIO;
	}
	return rows;
}

int
fw_sqlite_outbox_ack(struct fw_sqlite *s, const int64_t *seqs, size_t n)
{
	if (n == 0)
		return FW_OK;
	if (sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		goto fail;
	for (size_t i = 0; i < n; i++) {
		sqlite3_reset(s->outbox_del);
		sqlite3_bind_int64(s->outbox_del, 1, seqs[i]);
		if (sqlite3_step(s->outbox_del) != SQLITE_DONE)
			goto fail;
	}
	if (sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		goto fail;
	return FW_OK;
fail:
	note_error(s);  /* the Kafka sink logs it, rate-limited, and retries with back-off */
	sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	return FW_EIO;
}

int64_t
fw_sqlite_outbox_backlog(struct fw_sqlite *s)
{
	sqlite3_stmt *st = NULL;
	int64_t n = -1;

	if (sqlite3_prepare_v2(s->db, "SELECT count(*) FROM outbox", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

int
fw_sqlite_retention(struct fw_sqlite *s, int64_t days, int64_t now_ms, int batch)
{
	char cutoff[FW_TIME_TEXT_LEN];
	sqlite3_stmt *st = NULL;
	int n = 0;

	if (days <= 0)
		return 0;
	fw_time_format(now_ms - days * 86400000LL, cutoff);
	if (sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		goto fail;
	if (sqlite3_prepare_v2(s->db,
	    "DELETE FROM alert_events WHERE alert_id IN (SELECT id FROM alerts WHERE ended_at IS NOT NULL"
	    " AND ended_at < ?1 LIMIT ?2)", -1, &st, NULL) != SQLITE_OK)
		goto fail;
	sqlite3_bind_text(st, 1, cutoff, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, batch);
	if (sqlite3_step(st) != SQLITE_DONE)
		goto fail;
	sqlite3_finalize(st);
	st = NULL;
	if (sqlite3_prepare_v2(s->db,
	    "DELETE FROM alerts WHERE id IN (SELECT id FROM alerts WHERE ended_at IS NOT NULL"
	    " AND ended_at < ?1 LIMIT ?2)", -1, &st, NULL) != SQLITE_OK)
		goto fail;
	sqlite3_bind_text(st, 1, cutoff, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, batch);
	if (sqlite3_step(st) != SQLITE_DONE)
		goto fail;
	n = sqlite3_changes(s->db);
	sqlite3_finalize(st);
	st = NULL;
	if (sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		goto fail;
	return n;
fail:
	fw_log(FW_LOG_ERR, "sqlite", "retention delete failed: %s", sqlite3_errmsg(s->db));
	sqlite3_finalize(st);
	sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	return FW_EIO;
}

int
fw_sqlite_stats_write(struct fw_sqlite *s, int64_t at_ms, const struct fw_stat_row *rows, size_t n)
{
	sqlite3_stmt *st = s->stat;
	char at[FW_TIME_TEXT_LEN];

	fw_time_format(at_ms, at);
	if (sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		goto fail;
	for (size_t i = 0; i < n; i++) {
		sqlite3_reset(st);
		sqlite3_bind_text(st, 1, at, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, rows[i].source, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, rows[i].name, -1, SQLITE_STATIC);
		if (rows[i].value <= (uint64_t)INT64_MAX) {
			sqlite3_bind_int64(st, 4, (sqlite3_int64)rows[i].value);
		} else {
			/* Exact, where a cast would store a negative number. */
			char big[24];

			snprintf(big, sizeof(big), "%" PRIu64, rows[i].value);
			sqlite3_bind_text(st, 4, big, -1, SQLITE_TRANSIENT);
		}
		if (sqlite3_step(st) != SQLITE_DONE)
			goto fail;
	}
	sqlite3_reset(st);
	if (sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		goto fail;
	return FW_OK;
fail:
	fw_log(FW_LOG_WARN, "sqlite", "writing %zu counters failed: %s", n, sqlite3_errmsg(s->db));
	sqlite3_reset(st);
	sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	return FW_EIO;
}

int
fw_sqlite_stats_prune(struct fw_sqlite *s, int64_t days, int64_t now_ms, int batch)
{
	char cutoff[FW_TIME_TEXT_LEN];
	sqlite3_stmt *st = NULL;
	int n;

	if (days <= 0)
		return 0;
	fw_time_format(now_ms - days * 86400000LL, cutoff);
	/* `at` leads the primary key: the subquery walks the index from the
	 * oldest row and stops after `batch`. */
	if (sqlite3_prepare_v2(s->db, "DELETE FROM collector_stats WHERE rowid IN"
	    " (SELECT rowid FROM collector_stats WHERE at < ?1 ORDER BY at LIMIT ?2)", -1, &st, NULL) != SQLITE_OK)
		goto fail;
	sqlite3_bind_text(st, 1, cutoff, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, batch);
	if (sqlite3_step(st) != SQLITE_DONE)
		goto fail;
	n = sqlite3_changes(s->db);
	sqlite3_finalize(st);
	return n;
fail:
	fw_log(FW_LOG_WARN, "sqlite", "pruning collector_stats failed: %s", sqlite3_errmsg(s->db));
	sqlite3_finalize(st);
	return FW_EIO;
}
