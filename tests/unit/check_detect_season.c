/*
 * check_detect_season.c - hour-of-week seasonality.  Eight days of event
 * time from a Monday 00:00 UTC (10 s windows, to keep the test quick): five
 * web servers whose traffic steps up 6x every evening from 19:00 to 21:00
 * UTC, and one server that keeps its rate all day.  The first week runs
 * without seasonality (it is learning): the evening step alerts as it did.
 * On day 8 the profile knows the evening: no alert, neither when the step
 * comes nor when it ends (the steady server does not follow the fall).
 * Without seasonality (detector.seasonality = no) day 8 alerts again; real
 * floods on day 8, off-peak and at the peak, still alert.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define T0 1699833600000LL     /* Monday 2023-11-13 00:00 UTC */
#define FW_TEST_T0_MS T0
#define FW_TEST_MAX_EV 1024
#include "fw_test_detect.h"

Suite *detect_season_suite(void);

#define DAY_MS 86400000LL
#define WIN_MS 10000
#define DAYS 8
#define FLOOD_SRC 16           /* a flood comes from many sources (detect_score.c: few_sources) */

/*
 * Eight days; flood_at_ms >= 0: a 5-minute UDP flood of flood_pps on
 * 198.51.100.10 from that time (relative to T0).  Start events into s.
 */
static void
run(const char *set, int64_t flood_at_ms, double flood_pps, struct fw_test_sink *s)
{
	const char *const sets[] = { "detector.window_ms=10000", set, NULL };
	struct fw_config cfg;
	struct fw_detect *d;
	struct fw_flow f[6 + FLOOD_SRC];

	fw_test_config(&cfg, sets);
	d = fw_test_detect_new(&cfg, s);
	for (int64_t t = 0; t < DAYS * DAY_MS; t += WIN_MS) {
		int64_t tod = t % DAY_MS;
		bool evening = tod >= 19 * 3600000LL && tod < 21 * 3600000LL;
		size_t n = 0;

		for (int k = 0; k < 7; k++) {
			uint64_t h = fw_test_mix((uint64_t)t * 8 + (uint64_t)k), pkts;
			double pps = k == 5 ? 300 : 200 * (evening ? 6 : 1);
			struct fw_flow *r;

			if (k == 6) {
				if (flood_at_ms < 0 || t < flood_at_ms || t >= flood_at_ms + 300000)
					continue;
				pps = flood_pps;
			}
			r = &f[n++];
			pps *= 0.9 + 0.2 * (double)(h % 1000) / 1000;  /* +-10 % */
			pkts = (uint64_t)(pps * WIN_MS / 1000);
			fw_test_flow(r, T0 + t + (int64_t)(h % 500), k == 6 ? 17 : 6, k == 6 ? 0 : 0x18,
			    (uint16_t)(32768 + (h >> 32) % 20000), k == 6 ? 9999 : 443, pkts, pkts * 500);
			r->end_ms = r->start_ms + 9000;
			fw_test_v4(&r->src, 203, 0, (uint8_t)(113 + (h >> 10) % 4), (uint8_t)(h >> 20));
			fw_test_v4(&r->dst, 198, 51, 100, (uint8_t)(k == 6 ? 10 : k == 5 ? 20 : 10 + k));
			/* The flood: FLOOD_SRC sources a window, each its share. */
			for (int j = 1; k == 6 && j < FLOOD_SRC; j++) {
				struct fw_flow *q = &f[n++];

				*q = *r;
				q->pkts = r->pkts / FLOOD_SRC;
				q->bytes = q->pkts * 500;
				fw_test_v4(&q->src, 203, 0, (uint8_t)(113 + j % 4), (uint8_t)(h >> 20) ^ (uint8_t)(j * 16));
			}
			if (k == 6) {
				r->pkts -= (uint64_t)(FLOOD_SRC - 1) * (r->pkts / FLOOD_SRC);
				r->bytes = r->pkts * 500;
			}
		}
		fw_detect_flows(d, f, n);
	}
	fw_test_detect_end(d, NULL);
}

/* Alert starts whose onset lies in [from_ms, to_ms) after T0. */
static int
starts_in(const struct fw_test_sink *s, int64_t from_ms, int64_t to_ms)
{
	int k = 0;

	for (size_t i = 0; i < s->n && i < FW_TEST_MAX_EV; i++)
		k += s->ev[i].event == FW_EV_START && s->ev[i].started_ms >= T0 + from_ms &&
		    s->ev[i].started_ms < T0 + to_ms;
	return k;
}

/* The daily evening step: alerts in the learning week, not on day 8. */
START_TEST(test_season_daily_peak_learned)
{
	struct fw_test_sink *s = calloc(1, sizeof(*s));

	run(NULL, -1, 0, s);
	ck_assert_int_ge(starts_in(s, 0, 7 * DAY_MS), 5);        /* week 1: learning */
	ck_assert_int_eq(starts_in(s, 7 * DAY_MS, 8 * DAY_MS), 0);
	/* Without seasonality the last evening alerts again. */
	run("detector.seasonality=no", -1, 0, s);
	ck_assert_int_ge(starts_in(s, 7 * DAY_MS, 8 * DAY_MS), 1);
	free(s);
}
END_TEST

/* Real floods on day 8: off-peak (10:00) and at the peak (20:00). */
START_TEST(test_season_floods_still_alert)
{
	struct fw_test_sink *s = calloc(1, sizeof(*s));
	int64_t at = 7 * DAY_MS + 10 * 3600000LL;

	run(NULL, at, 2000, s);
	ck_assert_int_eq(starts_in(s, at, at + 60000), 1);
	ck_assert_int_eq(starts_in(s, 7 * DAY_MS, 8 * DAY_MS), 1);
	/* The evidence says which factor was in force. */
	for (size_t i = 0; i < s->n && i < FW_TEST_MAX_EV; i++)
		if (s->ev[i].event == FW_EV_START && s->ev[i].started_ms >= T0 + at)
			ck_assert_ptr_nonnull(strstr(s->ev[i].evidence, "\"season_factor\":"));
	at = 7 * DAY_MS + 20 * 3600000LL;
	run(NULL, at, 10000, s);
	ck_assert_int_eq(starts_in(s, at, at + 60000), 1);
	ck_assert_int_eq(starts_in(s, 7 * DAY_MS, 8 * DAY_MS), 1);
	free(s);
}
END_TEST

Suite *
detect_season_suite(void)
{
	Suite *s = suite_create("detect_season");
	TCase *v = tcase_create("valid");

	tcase_add_test(v, test_season_daily_peak_learned);
	tcase_add_test(v, test_season_floods_still_alert);
	tcase_set_timeout(v, 120);
	suite_add_tcase(s, v);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(detect_season_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
