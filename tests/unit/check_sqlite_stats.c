/*
 * check_sqlite_stats.c - the collector_stats table of the SQLite store
 * (sinks/sink_sqlite.c), read back with sqlite3 itself: uint64 counters
 * stored exactly, also above INT64_MAX; a schema-2 database whose counters
 * were stored cast to negative integers migrated to the exact values; and
 * pruning by age, bounded per call.
 */
#include <check.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fw_sqlite.h"
#include "fw_time.h"

Suite *sqlite_stats_suite(void);

extern const char *const fw_schema_steps[];

static char dir[64];
static char dbpath[128];

static void
setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/fwstatsXXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(dbpath, sizeof(dbpath), "%s/s.db", dir);
}

static void
teardown(void)
{
	char cmd[200];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", dir);
}

/* First column of the first row, as text ("NULL" for SQL NULL). */
static void
assert_query(const char *sql, const char *want)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	char got[256];

	ck_assert_int_eq(sqlite3_open_v2(dbpath, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	ck_assert_msg(sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK, "%s: %s", sql, sqlite3_errmsg(db));
	ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
	snprintf(got, sizeof(got), "%s", sqlite3_column_type(st, 0) == SQLITE_NULL ? "NULL" :
	    (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	sqlite3_close(db);
	ck_assert_msg(strcmp(got, want) == 0, "%s: got '%s', want '%s'", sql, got, want);
}

static struct fw_stat_row
row(const char *source, const char *name, uint64_t value)
{
	struct fw_stat_row r;

	memset(&r, 0, sizeof(r));
	snprintf(r.source, sizeof(r.source), "%s", source);
	snprintf(r.name, sizeof(r.name), "%s", name);
	r.value = value;
	return r;
}

/* ---- valid ---- */

START_TEST(test_sqlite_stats_u64_exact)
{
	struct fw_sqlite *s = NULL;
	char err[512] = "";
	struct fw_stat_row rows[6];

	rows[0] = row("t", "zero", 0);
	rows[1] = row("t", "small", 12345);
	rows[2] = row("t", "i64max", (uint64_t)INT64_MAX);
	rows[3] = row("t", "two63", (uint64_t)INT64_MAX + 1);
	rows[4] = row("t", "u64max", UINT64_MAX);
	rows[5] = row("sflow 2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", "if4294967295_in_octets", UINT64_MAX - 1);
	ck_assert_msg(fw_sqlite_open(dbpath, &s, err, sizeof(err)) == FW_OK, "%s", err);
	ck_assert_int_eq(fw_sqlite_stats_write(s, 1700000000000, rows, 6), FW_OK);
	fw_sqlite_close(s);
	assert_query("SELECT value || ' ' || typeof(value) FROM collector_stats WHERE name = 'zero'", "0 integer");
	assert_query("SELECT value || ' ' || typeof(value) FROM collector_stats WHERE name = 'small'",
	    "12345 integer");
	assert_query("SELECT value || ' ' || typeof(value) FROM collector_stats WHERE name = 'i64max'",
	    "9223372036854775807 integer");
	/* Above 2^63 - 1: the exact number, not a negative one and not a REAL. */
	assert_query("SELECT value FROM collector_stats WHERE name = 'two63'", "9223372036854775808");
	assert_query("SELECT value FROM collector_stats WHERE name = 'u64max'", "18446744073709551615");
	assert_query("SELECT value FROM collector_stats WHERE source LIKE 'sflow 2001:db8:%'",
	    "18446744073709551614");
	assert_query("SELECT count(*) FROM collector_stats WHERE typeof(value) = 'integer' AND value < 0", "0");
	/* Ordinary counters still add up as integers. */
	assert_query("SELECT sum(value) FROM collector_stats WHERE typeof(value) = 'integer' AND name <> 'i64max'",
	    "12345");
	assert_query("SELECT at FROM collector_stats LIMIT 1", "2023-11-14T22:13:20.000Z");
}
END_TEST

/* A database written before schema step 3 holds uint64 counters cast to
 * signed: opening it migrates them to their exact values. */
START_TEST(test_sqlite_stats_migrates_negative_counters)
{
	struct fw_sqlite *s = NULL;
	sqlite3 *db;
	char err[512] = "";

	ck_assert_int_eq(sqlite3_open(dbpath, &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(db, fw_schema_steps[0], NULL, NULL, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(db, fw_schema_steps[1], NULL, NULL, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(db, "PRAGMA user_version = 2;"
	    "INSERT INTO collector_stats VALUES ('2023-11-14T22:13:20.000Z', 't', 'minus1', -1),"
	    " ('2023-11-14T22:13:20.000Z', 't', 'min', -9223372036854775807 - 1),"
	    " ('2023-11-14T22:13:20.000Z', 't', 'carry', -6854775809),"
	    " ('2023-11-14T22:13:20.000Z', 't', 'plain', 42)", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	ck_assert_msg(fw_sqlite_open(dbpath, &s, err, sizeof(err)) == FW_OK, "%s", err);
	fw_sqlite_close(s);
	{
		char want[16];

		snprintf(want, sizeof(want), "%d", fw_sqlite_schema_version());
		assert_query("PRAGMA user_version", want);
	}
	assert_query("SELECT value FROM collector_stats WHERE name = 'minus1'", "18446744073709551615");
	assert_query("SELECT value FROM collector_stats WHERE name = 'min'", "9223372036854775808");
	/* 2^64 - 6854775809: the low ten digits borrow from the high part. */
	assert_query("SELECT value FROM collector_stats WHERE name = 'carry'", "18446744066854775807");
	assert_query("SELECT value || ' ' || typeof(value) FROM collector_stats WHERE name = 'plain'",
	    "42 integer");
	assert_query("SELECT count(*) FROM collector_stats", "4");
}
END_TEST

/* Snapshots older than the retention go, in bounded batches; newer stay. */
START_TEST(test_sqlite_stats_prune_by_age)
{
	struct fw_sqlite *s = NULL;
	char err[512] = "";
	int64_t now = fw_time_now_ms(), day = 86400000;
	struct fw_stat_row rows[3] = { row("nf9", "datagrams", 1), row("nf9", "records", 2),
	    row("detector", "flow_records", 3) };

	ck_assert_msg(fw_sqlite_open(dbpath, &s, err, sizeof(err)) == FW_OK, "%s", err);
	ck_assert_int_eq(fw_sqlite_stats_write(s, now - 10 * day, rows, 3), FW_OK);
	ck_assert_int_eq(fw_sqlite_stats_write(s, now - 8 * day, rows, 3), FW_OK);
	ck_assert_int_eq(fw_sqlite_stats_write(s, now - 6 * day, rows, 3), FW_OK);
	ck_assert_int_eq(fw_sqlite_stats_write(s, now, rows, 3), FW_OK);
	ck_assert_int_eq(fw_sqlite_stats_prune(s, 0, now, 1000), 0);  /* 0 keeps everything */
	assert_query("SELECT count(*) FROM collector_stats", "12");
	/* Bounded: at most `batch` rows per call, the oldest first. */
	ck_assert_int_eq(fw_sqlite_stats_prune(s, 7, now, 2), 2);
	assert_query("SELECT count(*) FROM collector_stats", "10");
	ck_assert_int_eq(fw_sqlite_stats_prune(s, 7, now, 1000), 4);
	ck_assert_int_eq(fw_sqlite_stats_prune(s, 7, now, 1000), 0);
	assert_query("SELECT count(DISTINCT at) FROM collector_stats", "2");
	assert_query("SELECT count(*) FROM collector_stats WHERE julianday('now') - julianday(at) > 7", "0");
	fw_sqlite_close(s);
}
END_TEST

Suite *
sqlite_stats_suite(void)
{
	Suite *s = suite_create("sqlite_stats");
	TCase *v = tcase_create("valid"), *l = tcase_create("limits");

	tcase_add_checked_fixture(v, setup, teardown);
	tcase_add_checked_fixture(l, setup, teardown);
	tcase_add_test(v, test_sqlite_stats_migrates_negative_counters);
	tcase_add_test(v, test_sqlite_stats_prune_by_age);
	tcase_add_test(l, test_sqlite_stats_u64_exact);
	tcase_set_timeout(v, 30);
	tcase_set_timeout(l, 30);
	suite_add_tcase(s, v);
	suite_add_tcase(s, l);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(sqlite_stats_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
