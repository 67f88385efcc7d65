/*
 * check_qlog_source.c - BIND query-log files as a source (collector/
 * qlog_source.c): whole-file replay, and the live follower through
 * rotation (rename + new file) and truncation (copytruncate), with lines
 * written in pieces.  Every complete line once, none lost or repeated.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fw_config.h"
#include "fw_qlog_source.h"
#include "fw_records.h"
#include "fw_ring.h"

#define LINE_FMT "25-Nov-2026 12:00:%02d.%03d queries: info: client @0x7f00 192.0.2.%d#4242 " \
    "(n%d.victim.example): query: n%d.victim.example IN A + (198.51.100.53)\n"

static void
cfg_utc(struct fw_config *cfg)
{
	fw_config_defaults(cfg);
	snprintf(cfg->dns_querylog_timezone, sizeof(cfg->dns_querylog_timezone), "UTC");
}

static void
append(const char *path, int from, int to, int split_last)
{
	FILE *f = fopen(path, "a");

	ck_assert_ptr_nonnull(f);
	for (int i = from; i < to; i++) {
		char line[512];
		int n = snprintf(line, sizeof(line), LINE_FMT, i % 60, i % 1000, 1 + i % 200, i, i);

		if (split_last && i == to - 1) {
			/* A line written in two pieces: the follower must wait for its newline. */
			fwrite(line, 1, (size_t)n / 2, f);
			fflush(f);
			usleep(250000);
			fwrite(line + n / 2, 1, (size_t)(n - n / 2), f);
		} else {
			fwrite(line, 1, (size_t)n, f);
		}
	}
	fclose(f);
}

/* Pop everything; mark each name nN seen; fail on a repeat. */
static size_t
drain(struct fw_ring *r, unsigned char *seen, int max)
{
	struct fw_dnsq q[64];
	size_t n, total = 0;

	while ((n = fw_ring_sc_pop_burst(r, q, 64)) > 0) {
		for (size_t i = 0; i < n; i++) {
			int k = atoi(q[i].qname + 1);
			ck_assert_msg(k >= 0 && k < max, "name %s", q[i].qname);
			ck_assert_msg(!seen[k], "line %d delivered twice", k);
			seen[k] = 1;
		}
		total += n;
	}
	return total;
}

static void
wait_for(struct fw_ring *r, unsigned char *seen, int max, size_t *got, size_t want)
{
	for (int t = 0; t < 100 && *got < want; t++) {
		usleep(50000);
		*got += drain(r, seen, max);
	}
}

START_TEST(test_qlog_source_replay_file)
{
	struct fw_config cfg;
	struct fw_ring *r;
	struct fw_qlog_stats st = { 0 };
	char err[256];
	unsigned char *seen = calloc(4000, 1);
	size_t got;

	cfg_utc(&cfg);
	ck_assert_int_eq(fw_ring_new(4096, sizeof(struct fw_dnsq), &r), FW_OK);
	ck_assert(fw_qlog_sniff("tests/data/bind-querylog.log"));
	ck_assert(!fw_qlog_sniff("tests/data/udpflood_nf5.pcap"));
	ck_assert_int_eq(fw_qlog_replay("tests/data/bind-querylog.log", &cfg, r, &st, err, sizeof(err)), FW_OK);
	/* The ring (4096) holds all 3000: replay never had to wait. */
	got = fw_ring_count(r);
	ck_assert_uint_eq(got, 3000);
	ck_assert_uint_eq(st.lines, 3000);
	ck_assert_uint_eq(st.queries, 3000);
	ck_assert_uint_eq(st.malformed, 0);
	ck_assert_int_eq(fw_qlog_replay("/nonexistent/query.log", &cfg, r, &st, err, sizeof(err)), FW_ENOENT);
	fw_ring_free(r);
	free(seen);
}
END_TEST

START_TEST(test_qlog_source_follow_rotation_and_truncation)
{
	char dir[] = "/tmp/check_qlog.XXXXXX", path[128], old[140], err[256];
	struct fw_config cfg;
	struct fw_ring *r;
	struct fw_qlog_tail *t;
	struct fw_qlog_stats st;
	unsigned char seen[1000] = { 0 };
	size_t got = 0;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/query.log", dir);
	snprintf(old, sizeof(old), "%s/query.log.1", dir);
	cfg_utc(&cfg);
	append(path, 900, 905, 0);   /* before we follow: not ours (we start at the end) */
	ck_assert_int_eq(fw_ring_new(4096, sizeof(struct fw_dnsq), &r), FW_OK);
	ck_assert_int_eq(fw_qlog_tail_open(path, &cfg, &t, err, sizeof(err)), FW_OK);
	ck_assert_int_eq(fw_qlog_tail_start(t, r), FW_OK);

	append(path, 0, 100, 1);
	wait_for(r, seen, 1000, &got, 100);
	ck_assert_uint_eq(got, 100);

	/* logrotate: rename, a few late lines into the old file, then a new file. */
	ck_assert_int_eq(rename(path, old), 0);
	append(old, 100, 110, 0);
	append(path, 110, 200, 0);
	wait_for(r, seen, 1000, &got, 200);
	ck_assert_uint_eq(got, 200);

	/* copytruncate: the file is cut to 0 and written again. */
	usleep(300000);
	ck_assert_int_eq(truncate(path, 0), 0);
	usleep(300000);
	append(path, 200, 250, 0);
	wait_for(r, seen, 1000, &got, 250);

	fw_qlog_tail_stop(t);
	got += drain(r, seen, 1000);
	fw_qlog_tail_get_stats(t, &st);
	ck_assert_uint_eq(got, 250);
	for (int i = 0; i < 250; i++)
		ck_assert_msg(seen[i], "line %d lost", i);
	for (int i = 900; i < 905; i++)
		ck_assert_msg(!seen[i], "line %d from before the start was read", i);
	ck_assert_uint_eq(st.rotations, 1);
	ck_assert_uint_eq(st.truncations, 1);
	ck_assert_uint_eq(st.malformed, 0);
	fw_qlog_tail_free(t);
	fw_ring_free(r);
	unlink(path);
	unlink(old);
	rmdir(dir);
}
END_TEST

static Suite *
qlog_source_suite(void)
{
	Suite *s = suite_create("qlog_source");
	TCase *valid = tcase_create("valid");

	tcase_set_timeout(valid, 60);
	tcase_add_test(valid, test_qlog_source_replay_file);
	tcase_add_test(valid, test_qlog_source_follow_rotation_and_truncation);
	suite_add_tcase(s, valid);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(qlog_source_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
