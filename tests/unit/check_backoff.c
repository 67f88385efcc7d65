/*
 * check_backoff.c - capped exponential back-off (fw_backoff.h): the delays
 * after each failure in a row, the cap, the reset on success, and the
 * "may I try now" answers at the boundaries.
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>

#include "fw_backoff.h"

Suite *backoff_suite(void);

START_TEST(test_backoff_doubles_to_the_cap)
{
	static const int64_t want[] = { 100, 200, 400, 800, 1600, 3200, 6400, 10000, 10000, 10000 };
	struct fw_backoff b;
	int64_t now = 5000;

	fw_backoff_init(&b, 100, 10000);
	ck_assert(fw_backoff_ready(&b, now));
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		ck_assert_int_eq(fw_backoff_fail(&b, now), want[i]);
		ck_assert_int_eq(b.failures, i + 1);
		/* Not before the delay has passed; exactly then, yes. */
		ck_assert(!fw_backoff_ready(&b, now));
		ck_assert(!fw_backoff_ready(&b, now + want[i] - 1));
		ck_assert_int_eq(fw_backoff_wait_ms(&b, now + 1), want[i] - 1);
		ck_assert(fw_backoff_ready(&b, now + want[i]));
		ck_assert_int_eq(fw_backoff_wait_ms(&b, now + want[i]), 0);
		now += want[i];
	}
}
END_TEST

START_TEST(test_backoff_success_resets)
{
	struct fw_backoff b;

	fw_backoff_init(&b, 100, 10000);
	fw_backoff_fail(&b, 0);
	fw_backoff_fail(&b, 100);
	ck_assert_int_eq(fw_backoff_fail(&b, 300), 400);
	fw_backoff_ok(&b);
	ck_assert(fw_backoff_ready(&b, 301));
	ck_assert_int_eq(b.failures, 0);
	ck_assert_int_eq(fw_backoff_fail(&b, 301), 100);
}
END_TEST

/* Bad bounds are clamped; a huge cap never overflows while doubling. */
START_TEST(test_backoff_limits)
{
	struct fw_backoff b;
	int64_t d = 0;

	fw_backoff_init(&b, 0, -5);
	ck_assert_int_eq(fw_backoff_fail(&b, 0), 1);
	ck_assert_int_eq(fw_backoff_fail(&b, 0), 1);   /* cap = min = 1 */
	fw_backoff_init(&b, 3, INT64_MAX);
	for (int i = 0; i < 200; i++) {
		int64_t next = fw_backoff_fail(&b, 0);

		ck_assert_int_ge(next, d);                  /* never shrinks, never wraps negative */
		d = next;
	}
	ck_assert_int_eq(d, INT64_MAX);
}
END_TEST

Suite *
backoff_suite(void)
{
	Suite *s = suite_create("backoff");
	TCase *v = tcase_create("valid"), *l = tcase_create("limits");

	tcase_add_test(v, test_backoff_doubles_to_the_cap);
	tcase_add_test(v, test_backoff_success_resets);
	tcase_add_test(l, test_backoff_limits);
	tcase_set_timeout(v, 10);
	tcase_set_timeout(l, 10);
	suite_add_tcase(s, v);
	suite_add_tcase(s, l);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(backoff_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
