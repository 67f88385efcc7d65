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

/* Write n events in one transaction.  FW_OK or FW_EIO (message logged). */
int fw_sqlite_write(struct fw_sqlite *s, const struct fw_alert_ev *ev, size_t n) FW_MUSTCHECK;

/* Text of an event kind: "start", "update", "end". */
const char *fw_event_name(int event);

#endif /* FW_SQLITE_H */
