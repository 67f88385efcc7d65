/*
 * fw_sqlite.h - the SQLite alert store: schema migration and the writer.
 *
 * The schema is the SQL in schema/NNN_*.sql, compiled into the binary; step
 * i brings PRAGMA user_version from i to i + 1, each in one transaction.
 * The writer uses WAL, a busy timeout and prepared statements, and writes a
 * batch of events per transaction, so readers never see half an alert.
 *
 * Threading: a handle belongs to one thread (the sink thread).
 */
#ifndef FW_SQLITE_H
#define FW_SQLITE_H

#include <stddef.h>
#include <stdint.h>

#include "fw_err.h"
#include "fw_records.h"

struct fw_sqlite;

/* Number of schema steps compiled in (the newest user_version). */
int fw_sqlite_schema_version(void);

/*
 * Open (creating the file and its parent directory) and migrate.  On error
 * writes one line into err and returns a negative fw_err; a database newer
 * than this program is FW_EUNSUPPORTED.
 */
int fw_sqlite_open(const char *path, struct fw_sqlite **out, char *err, size_t errlen) FW_MUSTCHECK;
void fw_sqlite_close(struct fw_sqlite *s);

/*
 * Write n events in one transaction: alert rows, event rows and (when
 * with_outbox) their Kafka messages in the outbox.  An event whose
 * (id, seq) is already stored is a duplicate and skipped whole (alert row,
 * event row and outbox alike; counted, see fw_sqlite_duplicates()), so a
 * late copy of an older event never rewinds the alert.  An update or end
 * of an alert without a row makes the row from the event itself.  FW_OK or
 * FW_EIO (nothing of the batch is written; nothing logged: the caller
 * retries with back-off and logs fw_sqlite_errmsg()).
 */
int fw_sqlite_write(struct fw_sqlite *s, const struct fw_alert_ev *ev, size_t n,
    int with_outbox) FW_MUSTCHECK;

/* Events fw_sqlite_write() skipped as duplicates since open (committed batches only). */
uint64_t fw_sqlite_duplicates(const struct fw_sqlite *s);

/*
 * Alerts a previous run left open (kill -9, crash): give each an end event
 * with `reason` (FW_END_RESTART), decided at now_ms, ended at its last
 * known sign of life (updated_at), written like any event (alert row, event
 * row and, when with_outbox, its Kafka message), then handed to on_end
 * (may be NULL) once written, so the notify hook hears of them too.
 * Returns how many were ended, or FW_EIO (message logged).
 */
int fw_sqlite_end_open(struct fw_sqlite *s, int reason, int64_t now_ms, int with_outbox,
    void (*on_end)(void *ctx, const struct fw_alert_ev *ev), void *ctx);

/*
 * Why the last fw_sqlite_write() or fw_sqlite_outbox_ack() failed, e.g.
 * "database or disk is full (the file system is full)"; "" before any
 * failure.  Valid until the next call on s.
 */
const char *fw_sqlite_errmsg(const struct fw_sqlite *s);

/* One outbox row handed to the Kafka sink; strings valid until the next call. */
struct fw_outbox_row {
	int64_t seq;
	const char *key;
	const char *payload;
	size_t payload_len;
};

typedef int fw_outbox_fn(void *ctx, const struct fw_outbox_row *row);

/*
 * Call fn for up to max outbox rows with seq > after, in seq order; stops
 * early when fn returns non-zero.  Returns rows visited or FW_EIO.
 */
int fw_sqlite_outbox_scan(struct fw_sqlite *s, int64_t after, int max, fw_outbox_fn *fn, void *ctx);

/* Delete acknowledged rows (one transaction). FW_OK or FW_EIO (not logged: see fw_sqlite_errmsg). */
int fw_sqlite_outbox_ack(struct fw_sqlite *s, const int64_t *seqs, size_t n) FW_MUSTCHECK;

/* Rows still waiting (backlog), or -1 on error. */
int64_t fw_sqlite_outbox_backlog(struct fw_sqlite *s);

/*
 * Delete up to `batch` alerts (and their events) that ended more than
 * `days` days before now_ms.  Returns rows deleted or FW_EIO.
 */
int fw_sqlite_retention(struct fw_sqlite *s, int64_t days, int64_t now_ms, int batch);

/* One counter for collector_stats. */
struct fw_stat_row {
	char source[64];   /* "nf5", "listener", "nf9 2001:db8::1", "ipfix others", ... */
	char name[40];     /* "datagrams", "drop_truncated", ... */
	uint64_t value;
};

/*
 * Write counter rows stamped `at_ms` in one transaction.  SQLite integers
 * are signed 64-bit, so a value above INT64_MAX is stored as its exact
 * decimal text (schema/003): nothing is clamped or wrapped.  FW_OK or FW_EIO.
 */
int fw_sqlite_stats_write(struct fw_sqlite *s, int64_t at_ms, const struct fw_stat_row *rows,
    size_t n) FW_MUSTCHECK;

/*
 * Delete up to `batch` collector_stats rows stamped more than `days` days
 * before now_ms, in one transaction (bounded work per call: call it every
 * snapshot and it keeps up).  days <= 0 deletes nothing.  Returns rows
 * deleted or FW_EIO.
 */
int fw_sqlite_stats_prune(struct fw_sqlite *s, int64_t days, int64_t now_ms, int batch);

#endif /* FW_SQLITE_H */
