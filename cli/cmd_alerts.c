/*
 * cmd_alerts.c - `floodwatch alerts`: list alerts from the SQLite store.
 *
 * Opens the database read-only (WAL lets it read while the daemon writes);
 * prints a table for people or, with --json, one JSON object per line built
 * with jansson (victims and evidence are attacker-influenced text).
 *
 * Exit status: 0 listed (perhaps nothing), 1 the database failed while
 * being read, 2 a usage error or a --db that cannot be used: missing, a
 * directory, not readable, not an SQLite file, not a floodwatch database.
 * Those are checked before SQLite sees the path, because SQLite words them
 * as "disk I/O error" or "unable to open database file".
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli_int.h"
#include "fw_alert_json.h"
#include "fw_time.h"

struct opts {
	const char *db;
	const char *since;      /* ISO text bound, or NULL */
	char since_buf[FW_TIME_TEXT_LEN];
	int active;
	int json;
	const char *vector;
	const char *victim;
	long limit;
};

static void
usage(FILE *out)
{
	fprintf(out, "usage: floodwatch alerts [--db PATH] [--since DURATION|TIME] [--active] [--json]\n"
	    "                         [--vector NAME] [--victim TEXT] [--limit N]\n"
	    "  --db PATH      database (default ./var/floodwatch.db, the default sqlite.path)\n"
	    "  --since D      alerts started within D before now (90s, 15m, 2h, 7d) or since an\n"
	    "                 ISO-8601 UTC time such as 2023-11-14T22:00:00Z\n"
	    "  --active       only alerts that have not ended\n"
	    "  --json         one JSON object per line\n");
}

static int
parse_args(int argc, char **argv, struct opts *o)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *val = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(a, "--active") == 0) {
			o->active = 1;
		} else if (strcmp(a, "--json") == 0) {
			o->json = 1;
		} else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			usage(stdout);
			return -1;
		} else if (strcmp(a, "--db") == 0 || strcmp(a, "--since") == 0 || strcmp(a, "--vector") == 0 ||
		    strcmp(a, "--victim") == 0 || strcmp(a, "--limit") == 0) {
			if (val == NULL) {
				fprintf(stderr, "floodwatch alerts: %s needs a value\n", a);
				return EXIT_USAGE;
			}
			i++;
			if (strcmp(a, "--db") == 0) {
				o->db = val;
			} else if (strcmp(a, "--vector") == 0) {
				o->vector = val;
			} else if (strcmp(a, "--victim") == 0) {
				o->victim = val;
			} else if (strcmp(a, "--limit") == 0) {
				char *end;
				errno = 0;
				o->limit = strtol(val, &end, 10);
				if (errno || *end || o->limit <= 0) {
					fprintf(stderr, "floodwatch alerts: --limit needs a positive number\n");
					return EXIT_USAGE;
				}
			} else {
				int64_t ms;
				if (fw_time_parse_duration(val, &ms) == 0) {
					fw_time_format(fw_time_now_ms() - ms, o->since_buf);
					o->since = o->since_buf;
				} else if (strlen(val) >= 10 && val[4] == '-' && val[7] == '-') {
					o->since = val;  /* ISO text compares in time order */
				} else {
					fprintf(stderr, "floodwatch alerts: --since '%s': expected a duration "
					    "(90s, 15m, 2h, 7d) or an ISO-8601 time\n", val);
					return EXIT_USAGE;
				}
			}
		} else {
			fprintf(stderr, "floodwatch alerts: unknown argument '%s'\n", a);
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	return 0;
}

static void
human_rate(double v, const char *unit, char *out, size_t len)
{
	static const char *const prefix[] = { "", "k", "M", "G", "T" };
	int p = 0;

	while (v >= 1000 && p < 4) {
		v /= 1000;
		p++;
	}
	snprintf(out, len, p == 0 ? "%.0f %s%s" : "%.1f %s%s", v, prefix[p], unit);
}

/* Seconds between two ISO texts (end NULL: still running, up to updated). */
static double
iso_seconds(const char *t)
{
	int64_t ms;

	return fw_time_parse(t, &ms) == 0 ? (double)ms / 1000.0 : 0;
}

static void
human_duration(double s, char *out, size_t len)
{
	long t = (long)(s + 0.5);

	if (t < 60)
		snprintf(out, len, "%lds", t);
	else if (t < 3600)
		snprintf(out, len, "%ldm%02lds", t / 60, t % 60);
	else
		snprintf(out, len, "%ldh%02ldm", t / 3600, (t % 3600) / 60);
}

/* Victim text for a terminal: control bytes as \xNN (no escape sequences
 * from attacker-chosen names reach the analyst's terminal), bad UTF-8 as U+FFFD. */
static const char *
for_terminal(const char *text, char *out, size_t outlen)
{
	char clean[FW_VICTIM_MAX * 3 + 256];
	size_t o = 0;

	fw_utf8_sanitize(text ? text : "", clean, sizeof(clean));
	for (const unsigned char *p = (const unsigned char *)clean; *p && o + 5 < outlen; p++) {
		if (*p < 0x20 || *p == 0x7f)
			o += (size_t)snprintf(out + o, outlen - o, "\\x%02x", *p);
		else
			out[o++] = (char)*p;
	}
	out[o] = '\0';
	return out;
}

static const char *
col_text(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	return t ? (const char *)t : NULL;
}

static void
print_json(sqlite3_stmt *st)
{
	json_t *o = json_object(), *ev;
	json_error_t jerr;
	const char *ended = col_text(st, 3), *evidence = col_text(st, 11);
	char victim[FW_VICTIM_MAX * 3 + 256], evbuf[FW_EVIDENCE_MAX * 3 + 256];
	char *line;

	json_object_set_new(o, "id", json_string(col_text(st, 0)));
	json_object_set_new(o, "started_at", json_string(col_text(st, 1)));
	json_object_set_new(o, "updated_at", json_string(col_text(st, 2)));
	json_object_set_new(o, "ended_at", ended ? json_string(ended) : json_null());
	json_object_set_new(o, "end_reason", col_text(st, 12) ? json_string(col_text(st, 12)) : json_null());
	/* Victim text is wire-derived for DNS zones: invalid UTF-8 becomes U+FFFD
	 * so the line is always valid JSON (SQLite keeps the original bytes). */
	json_object_set_new(o, "victim", json_string(fw_utf8_sanitize(col_text(st, 4), victim, sizeof(victim))));
	json_object_set_new(o, "vector", json_string(col_text(st, 5)));
	json_object_set_new(o, "severity", json_integer(sqlite3_column_int(st, 6)));
	json_object_set_new(o, "peak_pps", json_real(sqlite3_column_double(st, 7)));
	json_object_set_new(o, "peak_bps", json_real(sqlite3_column_double(st, 8)));
	json_object_set_new(o, "peak_qps", json_real(sqlite3_column_double(st, 9)));
	json_object_set_new(o, "events", json_integer(sqlite3_column_int(st, 10)));
	ev = evidence ? json_loads(fw_utf8_sanitize(evidence, evbuf, sizeof(evbuf)), 0, &jerr) : NULL;
	json_object_set_new(o, "evidence", ev ? ev : json_object());
	line = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII);
	if (line != NULL)
		printf("%s\n", line);
	free(line);
	json_decref(o);
}

static const char *
query_sql(const char *reason_col)
{
	static char sql[512];

	snprintf(sql, sizeof(sql),
	    "SELECT id, started_at, updated_at, ended_at, victim, vector, severity, peak_pps, peak_bps,"
	    " peak_qps, events, evidence, %s FROM alerts"
	    " WHERE (?1 IS NULL OR started_at >= ?1) AND (?2 = 0 OR ended_at IS NULL)"
	    " AND (?3 IS NULL OR vector = ?3) AND (?4 IS NULL OR victim = ?4)"
	    " ORDER BY started_at, id LIMIT ?5", reason_col);
	return sql;
}

/* The --db path is a file we can read; else one clear line and EXIT_USAGE. */
static int
check_db_path(const char *path)
{
	const char *why = NULL;
	struct stat sb;
	int fd;

	if (stat(path, &sb) != 0)
		why = errno == ENOENT ? "no such file (--db takes the daemon's sqlite.path)" : strerror(errno);
	else if (S_ISDIR(sb.st_mode))
		why = "is a directory, not a database file (--db takes the daemon's sqlite.path)";
	else if (!S_ISREG(sb.st_mode))
		why = "not a regular file";
	else if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		why = strerror(errno);
	else
		close(fd);
	if (why == NULL)
		return 0;
	fprintf(stderr, "floodwatch alerts: %s: cannot open database: %s\n", path, why);
	return EXIT_USAGE;
}

int
cmd_alerts(int argc, char **argv)
{
	struct opts o = { .db = NULL, .limit = -1 };
	struct fw_config defaults;
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	int rc, rows = 0;
	char uri[4200];

	if ((rc = parse_args(argc, argv, &o)) != 0)
		return rc < 0 ? 0 : rc;
	fw_config_defaults(&defaults);
	if (o.db == NULL)
		o.db = defaults.sqlite_path;
	if ((rc = check_db_path(o.db)) != 0)
		return rc;
	snprintf(uri, sizeof(uri), "%s", o.db);
	if (sqlite3_open_v2(uri, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		fprintf(stderr, "floodwatch alerts: %s: cannot open database: %s\n", o.db,
		    db ? sqlite3_errmsg(db) : "out of memory");
		sqlite3_close(db);
		return EXIT_USAGE;
	}
	sqlite3_busy_timeout(db, 5000);
	/* A database no daemon has migrated yet (schema step 4) has no end_reason. */
	if (sqlite3_prepare_v2(db, query_sql("end_reason"), -1, &st, NULL) != SQLITE_OK &&
	    sqlite3_prepare_v2(db, query_sql("NULL"), -1, &st, NULL) != SQLITE_OK) {
		int ec = sqlite3_errcode(db);

		if (ec == SQLITE_NOTADB)
			fprintf(stderr, "floodwatch alerts: %s: not an SQLite database file\n", o.db);
		else if (ec == SQLITE_ERROR && strstr(sqlite3_errmsg(db), "no such") != NULL)
			fprintf(stderr, "floodwatch alerts: %s: not a floodwatch database (%s)\n", o.db,
			    sqlite3_errmsg(db));
		else
			fprintf(stderr, "floodwatch alerts: %s: cannot read the alerts table: %s\n", o.db,
			    sqlite3_errmsg(db));
		sqlite3_close(db);
		return EXIT_USAGE;
	}
	if (o.since)
		sqlite3_bind_text(st, 1, o.since, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, o.active);
	if (o.vector)
		sqlite3_bind_text(st, 3, o.vector, -1, SQLITE_STATIC);
	if (o.victim)
		sqlite3_bind_text(st, 4, o.victim, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, o.limit);
	if (!o.json)
		printf("%-24s  %-8s  %-18s  %-24s  %3s  %10s  %11s  %10s  %s\n", "STARTED (UTC)", "DURATION",
		    "VICTIM", "VECTOR", "SEV", "PEAK PPS", "PEAK BPS", "PEAK QPS", "STATE");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		rows++;
		if (o.json) {
			print_json(st);
		} else {
			char pps[32], bps[32], qps[32], dur[32], victim[FW_VICTIM_MAX * 5 + 256], state[64];
			const char *ended = col_text(st, 3), *why = col_text(st, 12);
			double s = iso_seconds(ended ? ended : col_text(st, 2)) - iso_seconds(col_text(st, 1));

			human_rate(sqlite3_column_double(st, 7), "pps", pps, sizeof(pps));
			human_rate(sqlite3_column_double(st, 8), "bps", bps, sizeof(bps));
			human_rate(sqlite3_column_double(st, 9), "qps", qps, sizeof(qps));
			human_duration(s, dur, sizeof(dur));
			/* Ends the daemon forced (shutdown, restart) are shown: the
			 * attack may have gone on.  quiet and end_of_input are not. */
			bool forced = ended && why && (strcmp(why, "shutdown") == 0 || strcmp(why, "restart") == 0);

			snprintf(state, sizeof(state), "%s%s%.32s", ended ? "ended" : "ACTIVE", forced ? " " : "",
			    forced ? why : "");
			printf("%-24s  %-8s  %-18s  %-24s  %3d  %10s  %11s  %10s  %s\n", col_text(st, 1), dur,
			    for_terminal(col_text(st, 4), victim, sizeof(victim)), col_text(st, 5), sqlite3_column_int(st, 6), pps, bps, qps,
			    state);
		}
	}
	if (rc != SQLITE_DONE) {
		fprintf(stderr, "floodwatch alerts: %s: %s\n", o.db, sqlite3_errmsg(db));
		rows = -1;
	}
	if (!o.json && rows >= 0)
		printf("(%d alert%s)\n", rows, rows == 1 ? "" : "s");
	sqlite3_finalize(st);
	sqlite3_close(db);
	return rows < 0 ? 1 : 0;
}
