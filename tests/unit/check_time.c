/*
 * check_time.c - ISO-8601 formatting, duration parsing and sleeping.
 * Expected texts are from GNU date (`date -u -d @SECS +%FT%T`), not from
 * our code.
 */
#include <check.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "fw_err.h"
#include "fw_time.h"

Suite *time_suite(void);

static const struct {
	int64_t ms;
	const char *text;
} formats[] = {
	{ 0, "1970-01-01T00:00:00.000Z" },
	{ 1700000060000, "2023-11-14T22:14:20.000Z" },
	{ 1700000090123, "2023-11-14T22:14:50.123Z" },
	{ 951782400001, "2000-02-29T00:00:00.001Z" },
	{ -1, "1969-12-31T23:59:59.999Z" },
	{ -1000, "1969-12-31T23:59:59.000Z" },
	{ -999, "1969-12-31T23:59:59.001Z" },
	{ 253402300799999, "9999-12-31T23:59:59.999Z" },
	{ -62167219200000, "0000-01-01T00:00:00.000Z" },
	/* Outside years 0..9999: a fixed placeholder, never a longer string. */
	{ 253402300800000, "0000-00-00T00:00:00.000Z" },
	{ -62167219200001, "0000-00-00T00:00:00.000Z" },
	{ INT64_MAX, "0000-00-00T00:00:00.000Z" },
	{ INT64_MIN, "0000-00-00T00:00:00.000Z" },
};

START_TEST(test_time_format)
{
	char out[FW_TIME_TEXT_LEN + 8];

	memset(out, 'x', sizeof(out));
	fw_time_format(formats[_i].ms, out);
	ck_assert_str_eq(out, formats[_i].text);
	ck_assert_int_eq(out[FW_TIME_TEXT_LEN], 'x');  /* wrote no more than 25 bytes */
}
END_TEST

static const struct {
	const char *text;
	int rc;
	int64_t ms;
} durations[] = {
	{ "90s", 0, 90000 }, { "15m", 0, 900000 }, { "2h", 0, 7200000 }, { "7d", 0, 604800000 },
	{ "30", 0, 30000 }, { "1.5h", 0, 5400000 }, { "0", 0, 0 },
	{ "", -1, 0 }, { "s", -1, 0 }, { "5x", -1, 0 }, { "5 s", -1, 0 }, { "5ss", -1, 0 },
	{ "-1s", -1, 0 }, { "nan", -1, 0 }, { "nanh", -1, 0 }, { "inf", -1, 0 }, { "1e300d", -1, 0 },
};

START_TEST(test_time_parse_duration)
{
	int64_t ms = -42;

	ck_assert_msg(fw_time_parse_duration(durations[_i].text, &ms) == durations[_i].rc, "'%s'",
	    durations[_i].text);
	if (durations[_i].rc == 0)
		ck_assert_int_eq(ms, durations[_i].ms);
	else
		ck_assert_int_eq(ms, -42);   /* untouched on error */
}
END_TEST

START_TEST(test_time_parse_iso)
{
	int64_t ms = 0;
	char t[FW_TIME_TEXT_LEN];

	ck_assert_int_eq(fw_time_parse("2023-11-14T22:14:20.123Z", &ms), 0);
	ck_assert_int_eq(ms, 1700000060123LL);
	ck_assert_int_eq(fw_time_parse("2023-11-14T22:14:20Z", &ms), 0);
	ck_assert_int_eq(ms, 1700000060000LL);
	/* What fw_time_format writes reads back to the same ms. */
	fw_time_format(1234567890987LL, t);
	ck_assert_int_eq(fw_time_parse(t, &ms), 0);
	ck_assert_int_eq(ms, 1234567890987LL);
	ck_assert_int_eq(fw_time_parse("yesterday", &ms), -1);
	ck_assert_int_eq(fw_time_parse("2023-13-01T00:00:00Z", &ms), -1);
	ck_assert_int_eq(fw_time_parse(NULL, &ms), -1);
}
END_TEST

START_TEST(test_time_clocks)
{
	int64_t a = fw_time_mono_ms(), now = fw_time_now_ms();

	ck_assert_int_ge(fw_time_mono_ms(), a);
	ck_assert_int_gt(now, 1700000000000);   /* after the capture scenarios */
}
END_TEST

/*
 * Whole seconds: the pipeline's old nap_ms(1000) put 1e9 into tv_nsec,
 * nanosleep refused it (EINVAL) at once, and the retry loop spun at 100 %.
 */
START_TEST(test_time_sleep_whole_seconds)
{
	static const int64_t ms[] = { 1000, 1250 };
	int64_t t0 = fw_time_mono_ms();

	ck_assert_int_eq(fw_time_sleep_ms(ms[_i]), FW_OK);
	ck_assert_int_ge(fw_time_mono_ms() - t0, ms[_i]);
	ck_assert_int_lt(fw_time_mono_ms() - t0, ms[_i] + 2000);
}
END_TEST

START_TEST(test_time_sleep_limits)
{
	int64_t t0 = fw_time_mono_ms();

	ck_assert_int_eq(fw_time_sleep_ms(0), FW_OK);
	ck_assert_int_eq(fw_time_sleep_ms(-1), FW_EINVAL);
	ck_assert_int_lt(fw_time_mono_ms() - t0, 500);
	ck_assert_int_eq(fw_time_sleep_ms(999), FW_OK);  /* the largest sub-second value */
	ck_assert_int_ge(fw_time_mono_ms() - t0, 999);
}
END_TEST

static void
on_alarm(int sig)
{
	(void)sig;
}

/* A signal in the middle (no SA_RESTART) does not cut the sleep short. */
START_TEST(test_time_sleep_resumes_after_signal)
{
	struct sigaction sa;
	struct itimerval it = { { 0, 50000 }, { 0, 50000 } };  /* every 50 ms */
	int64_t t0;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	ck_assert_int_eq(sigaction(SIGALRM, &sa, NULL), 0);
	ck_assert_int_eq(setitimer(ITIMER_REAL, &it, NULL), 0);
	t0 = fw_time_mono_ms();
	ck_assert_int_eq(fw_time_sleep_ms(400), FW_OK);
	ck_assert_int_ge(fw_time_mono_ms() - t0, 400);
	memset(&it, 0, sizeof(it));
	setitimer(ITIMER_REAL, &it, NULL);
}
END_TEST

Suite *
time_suite(void)
{
	Suite *s = suite_create("time");
	TCase *v = tcase_create("valid"), *l = tcase_create("limits");

	tcase_add_loop_test(v, test_time_format, 0, (int)(sizeof(formats) / sizeof(formats[0])));
	tcase_add_loop_test(l, test_time_parse_duration, 0, (int)(sizeof(durations) / sizeof(durations[0])));
	tcase_add_test(v, test_time_clocks);
	tcase_add_test(v, test_time_parse_iso);
	tcase_add_loop_test(v, test_time_sleep_whole_seconds, 0, 2);
	tcase_add_test(v, test_time_sleep_resumes_after_signal);
	tcase_add_test(l, test_time_sleep_limits);
	tcase_set_timeout(v, 10);
	tcase_set_timeout(l, 10);
	suite_add_tcase(s, v);
	suite_add_tcase(s, l);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(time_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
