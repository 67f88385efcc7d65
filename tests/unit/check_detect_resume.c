/*
 * check_detect_resume.c - a restart (fw_detect.h, fw_detect_resume): a
 * detector that learned ten minutes of calm traffic (three web servers,
 * one DNS zone) is saved, restored into a fresh one and resumed an hour
 * and a week later.  The gap is neither scored nor learned: no victim or
 * zone is evicted, a calm stream after the resume raises nothing, and a
 * flood right after it alerts at once against the learned threshold (the
 * one the uninterrupted detector uses), not the warm-up floor.  Resuming
 * within the lateness changes nothing (no jump); an alert open in the
 * state (a crash) is closed without an event and a return is a new alert.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FW_TEST_MAX_EV 512
#include "fw_test_detect.h"

Suite *detect_resume_suite(void);

#define T0 FW_TEST_T0_MS
#define LEARN_S 600            /* seconds of calm traffic before the save */
#define HOUR_MS 3600000LL
#define WEEK_MS (168 * HOUR_MS)
#define NSRC 20                /* calm: sources per server and second */
#define FLOOD_SRC 64
#define FLOOD_PPS 5000.0       /* over the learned threshold, under warmup_pps */
#define MAXREC (3 * NSRC + FLOOD_SRC)

static struct fw_flow fl[MAXREC];

/* One second at t: three servers at ~200 pps (NSRC sources of ~10
 * packets), 30 DNS queries under example.org; flood: FLOOD_PPS of UDP on
 * 198.51.100.10 from FLOOD_SRC sources on top. */
static void
second(struct fw_detect *d, int64_t t, bool flood)
{
	struct fw_dnsq q[30];
	size_t n = 0;

	for (int h = 0; h < 3; h++) {
		for (int i = 0; i < NSRC; i++) {
			uint64_t x = fw_test_mix((uint64_t)t * 97 + (uint64_t)(h * NSRC + i));
			struct fw_flow *f = &fl[n++];
			uint64_t pkts = 8 + x % 5;

			fw_test_flow(f, t + (int64_t)(x % 1000), 6, 0x18, (uint16_t)(40000 + x % 20000), 443, pkts,
			    pkts * 700);
			fw_test_v4(&f->src, 203, 0, 113, (uint8_t)(1 + i));
			fw_test_v4(&f->dst, 198, 51, 100, (uint8_t)(10 + h));
		}
	}
	for (int i = 0; flood && i < FLOOD_SRC; i++) {
		struct fw_flow *f = &fl[n++];
		uint64_t pkts = (uint64_t)(FLOOD_PPS / FLOOD_SRC);

		fw_test_flow(f, t + i * 15, 17, 0, (uint16_t)(1024 + i), 9999, pkts, pkts * 500);
		fw_test_v4(&f->src, 192, 0, 2, (uint8_t)(1 + i));
		fw_test_v4(&f->dst, 198, 51, 100, 10);
	}
	fw_detect_flows(d, fl, n);
	for (int i = 0; i < 30; i++) {
		struct fw_addr c;
		char name[64];

		fw_test_v4(&c, 100, 64, 0, (uint8_t)(1 + i % 20));
		snprintf(name, sizeof(name), "%s.example.org", i % 3 ? "www" : "mail");
		fw_test_dnsq(&q[i], t + i * 33, &c, name);
	}
	fw_detect_dns(d, q, 30);
}

static struct fw_test_sink sa, sb;
static void *blob;
static size_t blob_len;
static struct fw_detect_stats saved;

/* The state after LEARN_S calm seconds (saved once per test process). */
static void
learn(void)
{
	struct fw_detect *d = fw_test_detect_new(NULL, &sa);

	for (int s = 0; s < LEARN_S; s++)
		second(d, T0 + s * 1000LL, false);
	ck_assert_uint_eq(sa.n, 0);
	fw_detect_get_stats(d, &saved);
	ck_assert_uint_eq(saved.victims, 3 + 1);  /* three hosts and their /24 */
	ck_assert_uint_ge(saved.zones, 1);
	ck_assert_int_eq(fw_detect_save(d, &blob, &blob_len), FW_OK);
	fw_detect_free(d);
}

static struct fw_detect *
restored(struct fw_test_sink *s)
{
	struct fw_detect *d = fw_test_detect_new(NULL, s);
	char err[200];

	ck_assert_msg(fw_detect_restore(d, blob, blob_len, err, sizeof(err)) == FW_OK, "%s", err);
	return d;
}

/* The victims and zones the saved detector had, none evicted since. */
static void
assert_kept(const struct fw_detect *d)
{
	struct fw_detect_stats st;

	fw_detect_get_stats(d, &st);
	ck_assert_uint_eq(st.victims, saved.victims);
	ck_assert_uint_eq(st.zones, saved.zones);
	ck_assert_uint_eq(st.evicted, saved.evicted);
	ck_assert_uint_eq(st.windows_closed >= saved.windows_closed, 1);
}

/* A number after "key": in the evidence (the first one). */
static double
evidence_num(const struct fw_alert_ev *ev, const char *key)
{
	const char *p = strstr(ev->evidence, key);

	ck_assert_msg(p != NULL, "%s not in %s", key, ev->evidence);
	return strtod(p + strlen(key), NULL);
}

/* The first start event on 198.51.100.10, or NULL. */
static const struct fw_alert_ev *
start_on_host(const struct fw_test_sink *s)
{
	for (size_t i = 0; i < s->n && i < FW_TEST_MAX_EV; i++)
		if (s->ev[i].event == FW_EV_START && strcmp(s->ev[i].victim, "198.51.100.10") == 0)
			return &s->ev[i];
	return NULL;
}

/* Gap after the save (the next record's time less the saved one's end). */
static const int64_t gaps[] = { HOUR_MS, WEEK_MS };

/* A calm stream after the resume: nothing raised, nothing evicted. */
START_TEST(test_resume_calm)
{
	int64_t t1 = T0 + LEARN_S * 1000LL + gaps[_i];
	struct fw_detect *d;

	learn();
	d = restored(&sb);
	ck_assert_int_eq(fw_detect_resume(d, t1), 0);
	assert_kept(d);
	for (int s = 0; s < 300; s++)
		second(d, t1 + s * 1000LL, false);
	ck_assert_msg(sb.n == 0, "%zu events, first on %s", sb.n, sb.ev[0].victim);
	assert_kept(d);
	fw_detect_free(d);
	free(blob);
}
END_TEST

/*
 * A flood right after the resume alerts within start_windows (+ the
 * lateness) of its first second, at the threshold and baseline the
 * uninterrupted detector has for the same flood; that threshold is the
 * learned one, far under warmup_pps.
 */
START_TEST(test_resume_flood)
{
	int64_t t1 = T0 + LEARN_S * 1000LL + gaps[_i];
	const struct fw_alert_ev *a, *b;
	struct fw_detect *d;
	struct fw_config def;

	learn();
	/* The control: restored, no gap, the flood at once. */
	d = restored(&sa);
	for (int s = 0; s < 20; s++)
		second(d, T0 + (LEARN_S + s) * 1000LL, true);
	ck_assert_ptr_nonnull(a = start_on_host(&sa));
	ck_assert_int_eq(a->started_ms, T0 + LEARN_S * 1000LL);
	fw_detect_free(d);

	d = restored(&sb);
	ck_assert_int_eq(fw_detect_resume(d, t1), 0);
	for (int s = 0; s < 20; s++)
		second(d, t1 + s * 1000LL, true);
	ck_assert_msg((b = start_on_host(&sb)) != NULL, "%zu events", sb.n);
	ck_assert_int_eq(b->started_ms, t1);
	ck_assert_int_le(b->updated_ms, t1 + 10000);
	fw_config_defaults(&def);
	ck_assert_double_lt(evidence_num(b, "\"threshold_pps\":"), def.warmup_pps / 10);
	ck_assert_double_eq_tol(evidence_num(b, "\"threshold_pps\":"), evidence_num(a, "\"threshold_pps\":"), 0.05);
	ck_assert_double_eq_tol(evidence_num(b, "\"baseline_pps\":"),
	    evidence_num(a, "\"baseline_pps\":"), 0.05);
	ck_assert_double_gt(evidence_num(b, "\"baseline_pps\":"), 100);
	/* Only the flood: the other servers and the zone stayed calm. */
	ck_assert_uint_eq(fw_test_count(&sb, FW_EV_START), 1);
	assert_kept(d);
	fw_detect_free(d);
	free(blob);
}
END_TEST

/* Resumed within the lateness: no jump, the stream goes on as if never
 * stopped (the same events as the uninterrupted detector). */
START_TEST(test_resume_no_gap)
{
	struct fw_detect *d;
	int64_t t1 = T0 + LEARN_S * 1000LL;

	learn();
	d = restored(&sa);
	for (int s = 0; s < 30; s++)
		second(d, t1 + s * 1000LL, s >= 5 && s < 20);
	fw_test_detect_end(d, NULL);
	d = restored(&sb);
	ck_assert_int_eq(fw_detect_resume(d, t1), 0);
	for (int s = 0; s < 30; s++)
		second(d, t1 + s * 1000LL, s >= 5 && s < 20);
	fw_test_detect_end(d, NULL);
	ck_assert_uint_gt(sa.n, 1);
	ck_assert_uint_eq(sb.n, sa.n);
	for (size_t i = 0; i < sa.n; i++) {
		ck_assert_str_eq(sb.ev[i].id, sa.ev[i].id);
		ck_assert_int_eq(sb.ev[i].event, sa.ev[i].event);
	}
	free(blob);
}
END_TEST

/* Saved mid-flood (a crash): the open alert is closed without an event;
 * the flood going on after the restart is a new alert (new id, seq 1). */
START_TEST(test_resume_open_alert)
{
	struct fw_detect *d = fw_test_detect_new(NULL, &sa);
	int64_t t1;
	char id[sizeof(sa.ev[0].id)];

	for (int s = 0; s < LEARN_S + 20; s++)
		second(d, T0 + s * 1000LL, s >= LEARN_S);
	ck_assert_uint_eq(fw_test_count(&sa, FW_EV_START), 1);
	memcpy(id, fw_test_find(&sa, FW_EV_START)->id, sizeof(id));
	ck_assert_int_eq(fw_detect_save(d, &blob, &blob_len), FW_OK);
	fw_detect_get_stats(d, &saved);
	fw_detect_free(d);

	d = restored(&sb);
	t1 = T0 + (LEARN_S + 20) * 1000LL + HOUR_MS;
	ck_assert_int_eq(fw_detect_resume(d, t1), 1);
	for (int s = 0; s < 20; s++)
		second(d, t1 + s * 1000LL, true);
	ck_assert_uint_ge(sb.n, 1);
	ck_assert_int_eq(sb.ev[0].event, FW_EV_START);
	ck_assert_uint_eq(sb.ev[0].seq, 1);
	ck_assert_str_ne(sb.ev[0].id, id);
	ck_assert_int_eq(sb.ev[0].started_ms, t1);
	fw_detect_free(d);
	free(blob);
}
END_TEST

/* Nothing seen yet: nothing to resume. */
START_TEST(test_resume_empty)
{
	struct fw_detect *d = fw_test_detect_new(NULL, &sa);
	struct fw_detect_stats st;

	ck_assert_int_eq(fw_detect_resume(d, T0), 0);
	fw_detect_get_stats(d, &st);
	ck_assert(st.newest_event_ms == INT64_MIN);
	ck_assert_int_eq(fw_detect_reset(d), FW_OK);
	fw_detect_free(d);
}
END_TEST

Suite *
detect_resume_suite(void)
{
	Suite *s = suite_create("detect_resume");
	TCase *t = tcase_create("valid");

	tcase_set_timeout(t, 120);
	tcase_add_loop_test(t, test_resume_calm, 0, 2);
	tcase_add_loop_test(t, test_resume_flood, 0, 2);
	tcase_add_test(t, test_resume_no_gap);
	tcase_add_test(t, test_resume_open_alert);
	tcase_add_test(t, test_resume_empty);
	suite_add_tcase(s, t);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(detect_resume_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
