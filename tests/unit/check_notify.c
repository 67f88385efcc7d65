/*
 * check_notify.c - the notify hook: the queue's drop policy (full queue:
 * oldest update first, then the new update, then the oldest start/end),
 * and the hook itself running real programs (/bin/sh scripts written to a
 * temporary directory): exit 0, exit 1 and a program that ignores SIGTERM,
 * each counted, each reaped.
 */
#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fw_config.h"
#include "fw_notify.h"
#include "fw_time.h"

Suite *notify_suite(void);

static struct fw_alert_ev
mk(int event, uint32_t seq)
{
	struct fw_alert_ev ev;

	memset(&ev, 0, sizeof(ev));
	snprintf(ev.id, sizeof(ev.id), "%016x", 0xabcu);
	ev.event = (uint8_t)event;
	ev.seq = seq;
	snprintf(ev.victim, sizeof(ev.victim), "198.51.100.7");
	snprintf(ev.evidence, sizeof(ev.evidence), "{}");
	return ev;
}

/* The seqs left in q, oldest first, as "1,2,3". */
static void
drain(struct fw_notify_queue *q, char *out, size_t len)
{
	struct fw_alert_ev ev;
	size_t o = 0;

	out[0] = '\0';
	while (fw_notify_queue_pop(q, &ev) && o < len)
		o += (size_t)snprintf(out + o, len - o, "%s%u", o ? "," : "", (unsigned)ev.seq);
}

/* ---- valid ---- */

START_TEST(test_notify_queue_fifo)
{
	struct fw_notify_queue *q;
	struct fw_alert_ev ev;
	char got[64];

	ck_assert_int_eq(fw_notify_queue_new(3, &q), FW_OK);
	ck_assert(!fw_notify_queue_pop(q, &ev));
	for (uint32_t s = 1; s <= 3; s++) {
		ev = mk(s == 1 ? FW_EV_START : FW_EV_UPDATE, s);
		ck_assert_int_eq(fw_notify_queue_push(q, &ev, NULL, NULL), 0);
	}
	ck_assert_uint_eq(fw_notify_queue_count(q), 3);
	ck_assert(fw_notify_queue_pop(q, &ev));
	ck_assert_uint_eq(ev.seq, 1);
	ev = mk(FW_EV_END, 4);                  /* wraps around the ring */
	ck_assert_int_eq(fw_notify_queue_push(q, &ev, NULL, NULL), 0);
	drain(q, got, sizeof(got));
	ck_assert_str_eq(got, "2,3,4");
	fw_notify_queue_free(q);
}
END_TEST

/* ---- limits: the drop policy ---- */

/* One push: the event, and what it must drop (0 = nothing). */
struct step {
	int event;
	uint32_t seq;
	int drop_event;
	uint32_t drop_seq;
};

enum { S = FW_EV_START, U = FW_EV_UPDATE, E = FW_EV_END };

static const struct {
	const char *what;
	size_t cap;
	struct step steps[8];
	size_t nsteps;
	const char *left;           /* seqs queued at the end, oldest first */
} policy[] = {
	/* Full: an end pushes out the oldest update (2), not the start before
	 * it; then a new update replaces the oldest update left (3). */
	{ "oldest update first", 4, { { S, 1, 0, 0 }, { U, 2, 0, 0 }, { U, 3, 0, 0 }, { S, 10, 0, 0 },
	    { E, 4, U, 2 }, { U, 11, U, 3 } }, 6, "1,10,4,11" },
	/* Only starts and ends queued: a new update is the one dropped. */
	{ "new update when no update queued", 2, { { S, 1, 0, 0 }, { E, 2, 0, 0 }, { U, 3, U, 3 } }, 3, "1,2" },
	/* Only starts and ends, and a new end: the oldest start goes. */
	{ "oldest start/end last", 2, { { S, 1, 0, 0 }, { S, 2, 0, 0 }, { E, 3, S, 1 } }, 3, "2,3" },
};

START_TEST(test_notify_queue_drop_policy)
{
	struct fw_notify_queue *q;
	char id[FW_ALERT_ID_LEN + 1], got[64];

	ck_assert_int_eq(fw_notify_queue_new(policy[_i].cap, &q), FW_OK);
	for (size_t k = 0; k < policy[_i].nsteps; k++) {
		const struct step *st = &policy[_i].steps[k];
		struct fw_alert_ev ev = mk(st->event, st->seq);
		uint32_t seq = 0;

		id[0] = '\0';
		ck_assert_msg(fw_notify_queue_push(q, &ev, id, &seq) == st->drop_event, "%s: push %zu",
		    policy[_i].what, k);
		if (st->drop_event != 0) {
			ck_assert_uint_eq(seq, st->drop_seq);
			ck_assert_str_eq(id, "0000000000000abc");
		}
	}
	drain(q, got, sizeof(got));
	ck_assert_str_eq(got, policy[_i].left);
	fw_notify_queue_free(q);
}
END_TEST

START_TEST(test_notify_queue_bad_args)
{
	struct fw_notify_queue *q = NULL;

	ck_assert_int_eq(fw_notify_queue_new(0, &q), FW_EINVAL);
	ck_assert_ptr_null(q);
	fw_notify_queue_free(NULL);
	fw_notify_free(NULL);
}
END_TEST

/* ---- the hook, with real programs ---- */

static char dir[] = "/tmp/fwnotify.XXXXXX";

/* Remove the test's directory and the files the scripts wrote. */
static void
teardown(void)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[300];

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		(void)unlink(path);
	}
	closedir(d);
	(void)rmdir(dir);
}

static void
script(const char *path, const char *body)
{
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	fprintf(f, "#!/bin/sh\n%s\n", body);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_int_eq(chmod(path, 0755), 0);
}

static void
run_hook(const char *body, int64_t timeout_ms, int events, struct fw_notify_stats *st)
{
	struct fw_config cfg;
	struct fw_notify *n;
	char err[256];

	ck_assert_ptr_nonnull(mkdtemp(dir));
	fw_config_defaults(&cfg);
	snprintf(cfg.notify_exec, sizeof(cfg.notify_exec), "%s/hook", dir);
	script(cfg.notify_exec, body);
	cfg.notify_timeout_ms = timeout_ms;
	cfg.notify_max_running = 2;
	cfg.notify_shutdown_ms = 20000;
	ck_assert_int_eq(fw_notify_new(&cfg, &n, err, sizeof(err)), FW_OK);
	ck_assert_int_eq(fw_notify_start(n), FW_OK);
	for (int i = 0; i < events; i++) {
		struct fw_alert_ev ev = mk(i == 0 ? FW_EV_START : i + 1 == events ? FW_EV_END : FW_EV_UPDATE,
		    (uint32_t)i + 1);

		fw_notify_post(n, &ev);
	}
	fw_notify_stop(n);
	fw_notify_get_stats(n, st);
	fw_notify_free(n);
	/* Every child was reaped: none left to wait for. */
	ck_assert_int_eq(waitpid(-1, NULL, WNOHANG), -1);
}

START_TEST(test_notify_runs_and_counts)
{
	struct fw_notify_stats st;
	char path[64], line[256];
	FILE *f;

	run_hook("cat > \"$(dirname \"$0\")/in.$FW_SEQ\"; "
	    "echo \"$FW_EVENT $FW_ALERT_ID $FW_VICTIM $FW_VICTIM_KIND $FW_SEVERITY $FW_PEAK_PPS\" "
	    "> \"$(dirname \"$0\")/env.$FW_SEQ\"", 5000, 3, &st);
	ck_assert_uint_eq(st.events, 3);
	ck_assert_uint_eq(st.runs, 3);
	ck_assert_uint_eq(st.ok, 3);
	ck_assert_uint_eq(st.failed + st.timeouts + st.dropped_updates + st.dropped_start_end, 0);
	snprintf(path, sizeof(path), "%s/env.3", dir);
	ck_assert_ptr_nonnull(f = fopen(path, "r"));
	ck_assert_ptr_nonnull(fgets(line, sizeof(line), f));
	fclose(f);
	ck_assert_str_eq(line, "end 0000000000000abc 198.51.100.7 host 0 0\n");
	snprintf(path, sizeof(path), "%s/in.1", dir);
	ck_assert_ptr_nonnull(f = fopen(path, "r"));
	ck_assert_ptr_nonnull(fgets(line, sizeof(line), f));
	fclose(f);
	ck_assert_ptr_nonnull(strstr(line, "\"event\":\"start\""));
	ck_assert_ptr_nonnull(strstr(line, "\"id\":\"0000000000000abc\""));
}
END_TEST

START_TEST(test_notify_failure_counted)
{
	struct fw_notify_stats st;

	run_hook("exit 1", 5000, 3, &st);
	ck_assert_uint_eq(st.runs, 3);
	ck_assert_uint_eq(st.failed, 3);
	ck_assert_uint_eq(st.ok, 0);
}
END_TEST

START_TEST(test_notify_sigterm_ignored_killed)
{
	struct fw_notify_stats st;
	int64_t t0 = fw_time_mono_ms(), took;

	/* The shell and its sleep both ignore SIGTERM: only SIGKILL ends them. */
	run_hook("trap '' TERM; sleep 30; exit 0", 200, 1, &st);
	took = fw_time_mono_ms() - t0;
	ck_assert_uint_eq(st.timeouts, 1);
	ck_assert_uint_eq(st.ok, 0);
	ck_assert_int_ge(took, 200 + FW_NOTIFY_KILL_GRACE_MS);
	ck_assert_int_lt(took, 10000);
}
END_TEST

START_TEST(test_notify_not_executable)
{
	struct fw_config cfg;
	struct fw_notify *n;
	char err[256];

	fw_config_defaults(&cfg);
	snprintf(cfg.notify_exec, sizeof(cfg.notify_exec), "/nonexistent/hook");
	ck_assert_int_eq(fw_notify_new(&cfg, &n, err, sizeof(err)), FW_OK);
	ck_assert_int_eq(fw_notify_start(n), FW_EINVAL);
	fw_notify_free(n);
}
END_TEST

Suite *
notify_suite(void)
{
	Suite *s = suite_create("notify");
	TCase *tc = tcase_create("valid"), *lim = tcase_create("limits"), *run = tcase_create("run");

	tcase_add_test(tc, test_notify_queue_fifo);
	tcase_set_timeout(tc, 10);
	suite_add_tcase(s, tc);
	tcase_add_loop_test(lim, test_notify_queue_drop_policy, 0, (int)(sizeof(policy) / sizeof(policy[0])));
	tcase_add_test(lim, test_notify_queue_bad_args);
	tcase_set_timeout(lim, 10);
	suite_add_tcase(s, lim);
	tcase_add_test(run, test_notify_runs_and_counts);
	tcase_add_test(run, test_notify_failure_counted);
	tcase_add_test(run, test_notify_sigterm_ignored_killed);
	tcase_add_test(run, test_notify_not_executable);
	tcase_add_checked_fixture(run, NULL, teardown);
	tcase_set_timeout(run, 30);
	suite_add_tcase(s, run);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(notify_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
