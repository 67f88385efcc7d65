/*
 * check_sqlite.c - the SQLite alert store, read back with sqlite3 itself:
 * rows and NULL/non-NULL ended_at across an alert's life, ISO-8601 times,
 * the alert_events timeline, idempotent reopen, refusing a newer schema,
 * and an unwritable file giving an error instead of a crash.
 */
#include <check.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fw_names.h"
#include "fw_sqlite.h"

Suite *sqlite_suite(void);

static char dir[64];
static char dbpath[128];

static void
setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/fwsqlXXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	/* A missing parent directory is created by fw_sqlite_open. */
	snprintf(dbpath, sizeof(dbpath), "%s/sub/alerts.db", dir);
}

static void
teardown(void)
{
	char cmd[200];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", dir);
}

static struct fw_alert_ev
event(int kind, uint32_t seq, int64_t at_ms)
{
	struct fw_alert_ev e;

	memset(&e, 0, sizeof(e));
	snprintf(e.id, sizeof(e.id), "00112233aabbccdd");
	e.event = (uint8_t)kind;
	e.vector = FW_VEC_UDP_FLOOD;
	e.severity = (uint8_t)(kind == FW_EV_START ? 1 : 2);
	e.seq = seq;
	e.started_ms = 1700000060000;
	e.updated_ms = at_ms;
	e.ended_ms = kind == FW_EV_END ? at_ms : 0;
	e.peak_pps = 1000.0 * seq;
	e.peak_bps = 8e6 * seq;
	e.cur_pps = 900.0 + seq;
	snprintf(e.victim, sizeof(e.victim), "198.51.100.53");
	snprintf(e.evidence, sizeof(e.evidence), "{\"seq\":%u}", seq);
	return e;
}

/* One text column of the first row of a query ("NULL" for SQL NULL). */
static void
query1(const char *sql, char *out, size_t outlen)
{
	sqlite3 *db;
	sqlite3_stmt *st;

	ck_assert_int_eq(sqlite3_open_v2(dbpath, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	ck_assert_msg(sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK, "%s: %s", sql, sqlite3_errmsg(db));
	ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
	if (sqlite3_column_type(st, 0) == SQLITE_NULL)
		snprintf(out, outlen, "NULL");
	else
		snprintf(out, outlen, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	sqlite3_close(db);
}

static void
assert_query(const char *sql, const char *want)
{
	char got[4096];

	query1(sql, got, sizeof(got));
	ck_assert_msg(strcmp(got, want) == 0, "%s: got '%s', want '%s'", sql, got, want);
}

/* ---- valid ---- */

START_TEST(test_sqlite_lifecycle)
{
	struct fw_sqlite *s = NULL;
	char err[512] = "";
	struct fw_alert_ev ev[2];

	ck_assert_msg(fw_sqlite_open(dbpath, &s, err, sizeof(err)) == FW_OK, "%s", err);
	ev[0] = event(FW_EV_START, 1, 1700000063000);
	ck_assert_int_eq(fw_sqlite_write(s, ev, 1, 0), FW_OK);
	assert_query("SELECT count(*) FROM alerts", "1");
	assert_query("SELECT ended_at FROM alerts", "NULL");
	assert_query("SELECT count(*) FROM active_alerts", "1");
	assert_query("SELECT started_at FROM alerts", "2023-11-14T22:14:20.000Z");
	assert_query("SELECT updated_at FROM alerts", "2023-11-14T22:14:23.000Z");
	assert_query("SELECT victim || ' ' || vector || ' ' || severity FROM alerts", "198.51.100.53 udp_flood 1");

	/* update and end in one batch (one transaction). */
	ev[0] = event(FW_EV_UPDATE, 2, 1700000073000);
	ev[1] = event(FW_EV_END, 3, 1700000090123);
	ck_assert_int_eq(fw_sqlite_write(s, ev, 2, 0), FW_OK);
	assert_query("SELECT count(*) FROM alerts", "1");
	assert_query("SELECT ended_at FROM alerts", "2023-11-14T22:14:50.123Z");
	assert_query("SELECT count(*) FROM active_alerts", "0");
	assert_query("SELECT events FROM alerts", "3");
	assert_query("SELECT severity FROM alerts", "2");
	assert_query("SELECT CAST(peak_pps AS INTEGER) FROM alerts", "3000");
	assert_query("SELECT evidence FROM alerts", "{\"seq\":3}");
	/* The timeline keeps every event. */
	assert_query("SELECT group_concat(seq || ':' || event || '@' || at, ' ') FROM "
	    "(SELECT * FROM alert_events ORDER BY seq)",
	    "1:start@2023-11-14T22:14:23.000Z 2:update@2023-11-14T22:14:33.000Z "
	    "3:end@2023-11-14T22:14:50.123Z");
	/* SQLite's own date functions read our times (contract 4). */
	assert_query("SELECT CAST((julianday(ended_at) - julianday(started_at)) * 86400000 + 0.5 AS INTEGER)"
	    " FROM alerts", "30123");
	assert_query("SELECT strftime('%s', started_at) FROM alerts", "1700000060");
	/* The same event twice is not a second timeline row. */
	ck_assert_int_eq(fw_sqlite_write(s, ev + 1, 1, 0), FW_OK);
	assert_query("SELECT count(*) FROM alert_events", "3");
	/* Every end carries a reason, on the row and on the end event. */
	assert_query("SELECT end_reason FROM alerts", "quiet");
	assert_query("SELECT group_concat(coalesce(reason, '-'), ' ') FROM (SELECT * FROM alert_events ORDER BY seq)",
	    "- - quiet");
	fw_sqlite_close(s);
}
END_TEST

/* The alert row keeps the evidence of its peak (the event whose window had
 * the highest rate), not the end's calm window; event rows keep their own. */
START_TEST(test_sqlite_row_keeps_peak_evidence)
{
	static const double pps[] = { 500, 2000, 1500, 10 };
	static const double qps[] = { 40, 120, 80, 0 };
	struct fw_sqlite *s = NULL;
	char err[512] = "";

	ck_assert_msg(fw_sqlite_open(dbpath, &s, err, sizeof(err)) == FW_OK, "%s", err);
	for (uint32_t i = 0; i < 4; i++) {
		struct fw_alert_ev e = event(i == 0 ? FW_EV_START : i == 3 ? FW_EV_END : FW_EV_UPDATE, i + 1,
		    1700000063000 + 10000 * i);

		e.cur_pps = pps[i];
		e.peak_pps = 2000;
		snprintf(e.evidence, sizeof(e.evidence), "{\"kind\":\"host\",\"observed\":{\"pps\":%.1f},\"seq\":%u}",
		    pps[i], i + 1);
		ck_assert_int_eq(fw_sqlite_write(s, &e, 1, 0), FW_OK);
		/* A DNS alert alongside: its rate is queries/s. */
		snprintf(e.id, sizeof(e.id), "00112233aabbccde");
		snprintf(e.victim, sizeof(e.victim), "victim.example");
		e.vector = FW_VEC_DNS_WATER_TORTURE;
		e.cur_pps = 0;
		e.cur_qps = qps[i];
		snprintf(e.evidence, sizeof(e.evidence), "{\"kind\":\"zone\",\"observed_qps\":%.1f,"
		    "\"distinct_names\":%u}", qps[i], i == 3 ? 0 : 100 * (i + 1));
		ck_assert_int_eq(fw_sqlite_write(s, &e, 1, 0), FW_OK);
	}
	assert_query("SELECT json_extract(evidence, '$.seq') FROM alerts WHERE id = '00112233aabbccdd'", "2");
	assert_query("SELECT json_extract(evidence, '$.distinct_names') FROM alerts WHERE id = '00112233aabbccde'", "200");
	assert_query("SELECT group_concat(json_extract(evidence, '$.seq'), ' ') FROM (SELECT evidence FROM alert_events"
	    " WHERE alert_id = '00112233aabbccdd' ORDER BY seq)", "1 2 3 4");
	assert_query("SELECT ended_at IS NOT NULL FROM alerts WHERE id = '00112233aabbccde'", "1");
	fw_sqlite_close(s);
}
END_TEST

/* on_end of fw_sqlite_end_open: counts the restart ends handed on. */
static void
count_end(void *ctx, const struct fw_alert_ev *ev)
{
	int *n = ctx;

	ck_assert_int_eq(ev->event, FW_EV_END);
	ck_assert_int_eq(ev->reason, FW_END_RESTART);
	(*n)++;
}

START_TEST(test_sqlite_end_open_at_restart)
{
	int ended = 0;
	/* A run killed with two alerts open (one already ended): the next start
	 * ends both with reason restart, ended at their last event, decided now,
	 * each with an end event and (Kafka on) an outbox message. */
	struct fw_sqlite *s = NULL;
	char err[512] = "";
	struct fw_alert_ev ev[4];
	const int64_t now = 1700000500000;

	ck_assert_msg(fw_sqlite_open(dbpath, &s, err, sizeof(err)) == FW_OK, "%s", err);
	ev[0] = event(FW_EV_START, 1, 1700000063000);
	ev[1] = event(FW_EV_UPDATE, 2, 1700000073000);
	ev[2] = event(FW_EV_START, 1, 1700000064000);
	snprintf(ev[2].id, sizeof(ev[2].id), "0000000000000002");
	snprintf(ev[2].victim, sizeof(ev[2].victim), "victim.example");
	ev[2].vector = FW_VEC_DNS_WATER_TORTURE;
	ev[3] = event(FW_EV_END, 3, 1700000090000);
	snprintf(ev[3].id, sizeof(ev[3].id), "0000000000000003");
	ck_assert_int_eq(fw_sqlite_write(s, ev, 4, 0), FW_OK);
	fw_sqlite_close(s);
	s = NULL;
	ck_assert_msg(fw_sqlite_open(dbpath, &s, err, sizeof(err)) == FW_OK, "%s", err);
	ck_assert_int_eq(fw_sqlite_end_open(s, FW_END_RESTART, now, 1, count_end, &ended), 2);
	assert_query("SELECT count(*) FROM active_alerts", "0");
	assert_query("SELECT group_concat(id || ' ' || ended_at || ' ' || updated_at || ' ' || end_reason || ' ' || events, ', ')"
	    " FROM (SELECT * FROM alerts ORDER BY id)",
	    "0000000000000002 2023-11-14T22:14:24.000Z 2023-11-14T22:21:40.000Z restart 2, "
	    "0000000000000003 2023-11-14T22:14:50.000Z 2023-11-14T22:14:50.000Z quiet 3, "
	    "00112233aabbccdd 2023-11-14T22:14:33.000Z 2023-11-14T22:21:40.000Z restart 3");
	assert_query("SELECT group_concat(alert_id || ':' || seq || ':' || reason || '@' || at, ' ')"
	    " FROM (SELECT * FROM alert_events WHERE event = 'end' ORDER BY alert_id)",
	    "0000000000000002:2:restart@2023-11-14T22:21:40.000Z 0000000000000003:3:quiet@2023-11-14T22:14:50.000Z "
	    "00112233aabbccdd:3:restart@2023-11-14T22:21:40.000Z");
	assert_query("SELECT vector FROM alerts WHERE id = '0000000000000002'", "dns_water_torture");
	assert_query("SELECT group_concat(json_extract(payload, '$.event') || ' ' || json_extract(payload, '$.reason')"
	    " || ' ' || json_extract(payload, '$.ended_at') || ' ' || msg_key, ', ') FROM (SELECT * FROM outbox ORDER BY seq)",
	    "end restart 2023-11-14T22:14:24.000Z victim.example, end restart 2023-11-14T22:14:33.000Z 198.51.100.53");
	/* Nothing left open: a second start ends nothing. */
	ck_assert_int_eq(fw_sqlite_end_open(s, FW_END_RESTART, now + 1000, 1, count_end, &ended), 0);
	ck_assert_int_eq(ended, 2);  /* each restart end handed on once (to the notify hook) */
	assert_query("SELECT count(*) FROM alert_events", "6");
	fw_sqlite_close(s);
}
END_TEST

/* At least once (a replayed Kafka tail, `floodwatch store` reading again):
 * a late copy of an older event is skipped whole and counted; it neither
 * reopens the ended alert nor goes to the outbox again.  An update whose
 * start was never written makes the alert row from itself. */
START_TEST(test_sqlite_duplicates_skipped_whole)
{
	struct fw_sqlite *s = NULL;
	char err[512] = "";
	struct fw_alert_ev ev[3], late;

	ck_assert_msg(fw_sqlite_open(dbpath, &s, err, sizeof(err)) == FW_OK, "%s", err);
	ev[0] = event(FW_EV_START, 1, 1700000063000);
	ev[1] = event(FW_EV_UPDATE, 2, 1700000073000);
	ev[2] = event(FW_EV_END, 3, 1700000090000);
	ck_assert_int_eq(fw_sqlite_write(s, ev, 3, 1), FW_OK);
	ck_assert_uint_eq(fw_sqlite_duplicates(s), 0);
	late = ev[1];
	ck_assert_int_eq(fw_sqlite_write(s, &late, 1, 1), FW_OK);
	ck_assert_uint_eq(fw_sqlite_duplicates(s), 1);
	assert_query("SELECT ended_at || ' ' || updated_at || ' ' || end_reason || ' ' || events FROM alerts",
	    "2023-11-14T22:14:50.000Z 2023-11-14T22:14:50.000Z quiet 3");
	assert_query("SELECT count(*) FROM outbox", "3");
	assert_query("SELECT count(*) FROM alert_events", "3");
	/* Within one batch too: the second copy is the duplicate. */
	ev[0] = event(FW_EV_UPDATE, 7, 1700000095000);
	snprintf(ev[0].id, sizeof(ev[0].id), "f00dfeedf00dfeed");
	ev[1] = ev[0];
	ck_assert_int_eq(fw_sqlite_write(s, ev, 2, 0), FW_OK);
	ck_assert_uint_eq(fw_sqlite_duplicates(s), 2);
	assert_query("SELECT started_at || ' ' || coalesce(ended_at, '-') || ' ' || victim || ' ' || events FROM alerts"
	    " WHERE id = 'f00dfeedf00dfeed'", "2023-11-14T22:14:20.000Z - 198.51.100.53 7");
	fw_sqlite_close(s);
}
END_TEST

START_TEST(test_sqlite_reopen_idempotent)
{
	struct fw_sqlite *s = NULL;
	char err[512] = "", want[16];
	struct fw_alert_ev e = event(FW_EV_START, 1, 1700000063000);

	ck_assert_int_ge(fw_sqlite_schema_version(), 1);
	snprintf(want, sizeof(want), "%d", fw_sqlite_schema_version());
	ck_assert_int_eq(fw_sqlite_open(dbpath, &s, err, sizeof(err)), FW_OK);
	ck_assert_int_eq(fw_sqlite_write(s, &e, 1, 0), FW_OK);
	fw_sqlite_close(s);
	for (int i = 0; i < 3; i++) {
		s = NULL;
		ck_assert_msg(fw_sqlite_open(dbpath, &s, err, sizeof(err)) == FW_OK, "%s", err);
		fw_sqlite_close(s);
	}
	assert_query("PRAGMA user_version", want);
	assert_query("SELECT count(*) FROM alerts", "1");
	assert_query("PRAGMA journal_mode", "wal");
}
END_TEST

START_TEST(test_sqlite_event_names)
{
	ck_assert_str_eq(fw_event_name(FW_EV_START), "start");
	ck_assert_str_eq(fw_event_name(FW_EV_UPDATE), "update");
	ck_assert_str_eq(fw_event_name(FW_EV_END), "end");
	ck_assert_str_eq(fw_event_name(0), "unknown");
	fw_sqlite_close(NULL);
}
END_TEST

/* ---- malformed ---- */

START_TEST(test_sqlite_newer_schema_refused)
{
	struct fw_sqlite *s = NULL;
	char err[512] = "", sql[64];
	sqlite3 *db;

	ck_assert_int_eq(fw_sqlite_open(dbpath, &s, err, sizeof(err)), FW_OK);
	fw_sqlite_close(s);
	ck_assert_int_eq(sqlite3_open(dbpath, &db), SQLITE_OK);
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", fw_sqlite_schema_version() + 1);
	ck_assert_int_eq(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	s = NULL;
	ck_assert_int_eq(fw_sqlite_open(dbpath, &s, err, sizeof(err)), FW_EUNSUPPORTED);
	ck_assert_ptr_null(s);
	ck_assert_ptr_nonnull(strstr(err, dbpath));
	ck_assert_ptr_nonnull(strstr(err, "newer"));
}
END_TEST

START_TEST(test_sqlite_not_a_database)
{
	struct fw_sqlite *s = NULL;
	char err[512] = "";
	FILE *f;

	snprintf(dbpath, sizeof(dbpath), "%s/garbage.db", dir);
	f = fopen(dbpath, "w");
	ck_assert_ptr_nonnull(f);
	for (int i = 0; i < 200; i++)
		fputs("this is not an SQLite database file. ", f);
	fclose(f);
	ck_assert_int_lt(fw_sqlite_open(dbpath, &s, err, sizeof(err)), 0);
	ck_assert_ptr_null(s);
	ck_assert_ptr_nonnull(strstr(err, dbpath));
}
END_TEST

/*
 * A read-only database file in a read-only directory.  As root, permission
 * bits do not bind, so a child process drops to nobody first.  Either open
 * or the first write must fail cleanly: exit 0 from the child, no signal.
 */
START_TEST(test_sqlite_read_only)
{
	struct fw_sqlite *s = NULL;
	char err[512] = "", sub[160];
	int status;
	pid_t pid;

	ck_assert_int_eq(fw_sqlite_open(dbpath, &s, err, sizeof(err)), FW_OK);
	fw_sqlite_close(s);
	s = NULL;
	snprintf(sub, sizeof(sub), "%s/sub", dir);
	ck_assert_int_eq(chmod(dbpath, 0444), 0);
	ck_assert_int_eq(chmod(sub, 0555), 0);
	ck_assert_int_eq(chmod(dir, 0755), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct fw_alert_ev e = event(FW_EV_START, 1, 1700000063000);
		int rc;

		if (geteuid() == 0 && (setgid(65534) != 0 || setuid(65534) != 0))
			_exit(3);
		rc = fw_sqlite_open(dbpath, &s, err, sizeof(err));
		if (rc == FW_OK) {
			rc = fw_sqlite_write(s, &e, 1, 0);
			fw_sqlite_close(s);
			_exit(rc == FW_EIO ? 0 : 1);
		}
		_exit(rc < 0 && s == NULL && strstr(err, dbpath) != NULL ? 0 : 2);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	chmod(sub, 0755);
	chmod(dbpath, 0644);
	ck_assert_msg(WIFEXITED(status), "child died from signal %d", WTERMSIG(status));
	ck_assert_int_eq(WEXITSTATUS(status), 0);
}
END_TEST

/* A path whose parent is a regular file cannot be created. */
START_TEST(test_sqlite_bad_path)
{
	struct fw_sqlite *s = NULL;
	char err[512] = "", file[160], path[200];
	FILE *f;

	snprintf(file, sizeof(file), "%s/plainfile", dir);
	f = fopen(file, "w");
	ck_assert_ptr_nonnull(f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/plainfile/x.db", dir);
	ck_assert_int_lt(fw_sqlite_open(path, &s, err, sizeof(err)), 0);
	ck_assert_ptr_null(s);
	ck_assert_ptr_nonnull(strstr(err, path));
}
END_TEST

Suite *
sqlite_suite(void)
{
	Suite *s = suite_create("sqlite");
	TCase *v = tcase_create("valid"), *m = tcase_create("malformed");

	tcase_add_checked_fixture(v, setup, teardown);
	tcase_add_checked_fixture(m, setup, teardown);
	tcase_add_test(v, test_sqlite_lifecycle);
	tcase_add_test(v, test_sqlite_reopen_idempotent);
	tcase_add_test(v, test_sqlite_event_names);
	tcase_add_test(v, test_sqlite_end_open_at_restart);
	tcase_add_test(v, test_sqlite_row_keeps_peak_evidence);
	tcase_add_test(v, test_sqlite_duplicates_skipped_whole);
	tcase_add_test(m, test_sqlite_newer_schema_refused);
	tcase_add_test(m, test_sqlite_not_a_database);
	tcase_add_test(m, test_sqlite_read_only);
	tcase_add_test(m, test_sqlite_bad_path);
	tcase_set_timeout(v, 30);
	tcase_set_timeout(m, 30);
	suite_add_tcase(s, v);
	suite_add_tcase(s, m);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(sqlite_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
