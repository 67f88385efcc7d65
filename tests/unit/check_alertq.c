/*
 * check_alertq.c - the bounded backlog of alert events (fw_alertq.h):
 * order kept, batches peeked and popped, and what a full queue drops
 * (oldest update first, an incoming update before a queued start or end,
 * else the oldest event), with slots reused correctly over many cycles.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fw_alertq.h"

Suite *alertq_suite(void);

static struct fw_alert_ev
ev(int kind, unsigned seq, const char *id)
{
	struct fw_alert_ev e;

	memset(&e, 0, sizeof(e));
	e.event = (uint8_t)kind;
	e.seq = seq;
	snprintf(e.id, sizeof(e.id), "%s", id);
	snprintf(e.evidence, sizeof(e.evidence), "{\"n\":%u}", seq);
	return e;
}

/* Push one event; returns the seq of the event dropped to make room, 0 if none. */
static unsigned
push(struct fw_alertq *q, int kind, unsigned seq, const char *id)
{
	struct fw_alert_ev e = ev(kind, seq, id), d;

	if (!fw_alertq_push(q, &e, &d))
		return 0;
	ck_assert_uint_ne(d.seq, 0);
	return d.seq;
}

/* The queued seqs, oldest first, as text: "1 2 3". */
static const char *
seqs(const struct fw_alertq *q)
{
	static struct fw_alert_ev out[64];
	static char text[512];
	size_t n = fw_alertq_peek(q, out, 64), off = 0;

	text[0] = '\0';
	for (size_t i = 0; i < n && off < sizeof(text); i++)
		off += (size_t)snprintf(text + off, sizeof(text) - off, "%s%u", i ? " " : "", out[i].seq);
	return text;
}

START_TEST(test_alertq_order_and_pop)
{
	struct fw_alertq *q;
	struct fw_alert_ev e, d, out[4];

	ck_assert_int_eq(fw_alertq_new(8, &q), FW_OK);
	for (unsigned i = 1; i <= 5; i++) {
		e = ev(i == 1 ? FW_EV_START : FW_EV_UPDATE, i, "a");
		ck_assert(!fw_alertq_push(q, &e, &d));
	}
	ck_assert_str_eq(seqs(q), "1 2 3 4 5");
	ck_assert_uint_eq(fw_alertq_peek(q, out, 2), 2);
	ck_assert_str_eq(out[1].evidence, "{\"n\":2}");   /* whole events copied */
	ck_assert_uint_eq(fw_alertq_count(q), 5);          /* peek does not remove */
	fw_alertq_pop(q, 2);
	ck_assert_str_eq(seqs(q), "3 4 5");
	fw_alertq_pop(q, 100);                             /* more than queued: all */
	ck_assert_uint_eq(fw_alertq_count(q), 0);
	ck_assert_uint_eq(fw_alertq_peek(q, out, 4), 0);
	fw_alertq_free(q);
	fw_alertq_free(NULL);
}
END_TEST

START_TEST(test_alertq_full_drops_oldest_update)
{
	struct fw_alertq *q;
	struct fw_alert_ev e, d;

	ck_assert_int_eq(fw_alertq_new(4, &q), FW_OK);
	ck_assert_uint_eq(push(q, FW_EV_START, 1, "a") + push(q, FW_EV_UPDATE, 2, "a") +
	    push(q, FW_EV_START, 3, "b") + push(q, FW_EV_UPDATE, 4, "b"), 0);
	/* Full: an end comes in; the oldest update (a, seq 2) makes room. */
	e = ev(FW_EV_END, 5, "a");
	ck_assert(fw_alertq_push(q, &e, &d));
	ck_assert_uint_eq(d.seq, 2);
	ck_assert_str_eq(d.id, "a");
	ck_assert_str_eq(d.evidence, "{\"n\":2}");   /* the whole dropped event, for the log line */
	ck_assert_str_eq(seqs(q), "1 3 4 5");
	/* An update comes in: the older update (b, seq 4) goes. */
	ck_assert_uint_eq(push(q, FW_EV_UPDATE, 6, "b"), 4);
	ck_assert_str_eq(seqs(q), "1 3 5 6");
	ck_assert_uint_eq(fw_alertq_count(q), 4);
	fw_alertq_free(q);
}
END_TEST

START_TEST(test_alertq_full_of_starts_and_ends)
{
	struct fw_alertq *q;

	ck_assert_int_eq(fw_alertq_new(3, &q), FW_OK);
	ck_assert_uint_eq(push(q, FW_EV_START, 1, "a") + push(q, FW_EV_END, 2, "a") +
	    push(q, FW_EV_START, 3, "b"), 0);
	/* An update is worth less than any queued start or end: it goes itself. */
	ck_assert_uint_eq(push(q, FW_EV_UPDATE, 4, "b"), 4);
	ck_assert_str_eq(seqs(q), "1 2 3");
	/* A start or end with no update queued: the oldest event goes. */
	ck_assert_uint_eq(push(q, FW_EV_END, 5, "b"), 1);
	ck_assert_str_eq(seqs(q), "2 3 5");
	fw_alertq_free(q);
}
END_TEST

/* Many push / drop / pop cycles: every event comes out intact, in order, once. */
START_TEST(test_alertq_slots_reused)
{
	struct fw_alertq *q;
	struct fw_alert_ev e, d, out[5];
	unsigned next = 1, expect = 1, dropped = 0, popped = 0;

	ck_assert_int_eq(fw_alertq_new(7, &q), FW_OK);
	for (int round = 0; round < 500; round++) {
		for (int k = 0; k < 1 + round % 9; k++) {
			e = ev(FW_EV_START, next++, "x");   /* no updates: a full queue drops the oldest */
			if (fw_alertq_push(q, &e, &d)) {
				ck_assert_uint_eq(d.seq, expect);
				expect++;
				dropped++;
			}
		}
		size_t n = fw_alertq_peek(q, out, 1 + round % 5);
		for (size_t i = 0; i < n; i++) {
			char want[32];

			ck_assert_uint_eq(out[i].seq, expect);
			snprintf(want, sizeof(want), "{\"n\":%u}", expect);
			ck_assert_str_eq(out[i].evidence, want);
			expect++;
		}
		fw_alertq_pop(q, n);
		popped += (unsigned)n;
		ck_assert_uint_le(fw_alertq_count(q), 7);
	}
	ck_assert_uint_eq(popped + dropped + fw_alertq_count(q), next - 1);
	fw_alertq_free(q);
}
END_TEST

START_TEST(test_alertq_limits)
{
	struct fw_alertq *q = NULL;

	ck_assert_int_eq(fw_alertq_new(0, &q), FW_EINVAL);
	ck_assert_int_eq(fw_alertq_new(1, &q), FW_OK);
	ck_assert_uint_eq(fw_alertq_capacity(q), 1);
	ck_assert_uint_eq(push(q, FW_EV_START, 1, "a"), 0);
	ck_assert_uint_eq(push(q, FW_EV_UPDATE, 2, "a"), 2);
	ck_assert_uint_eq(push(q, FW_EV_END, 3, "a"), 1);
	ck_assert_str_eq(seqs(q), "3");
	fw_alertq_free(q);
}
END_TEST

Suite *
alertq_suite(void)
{
	Suite *s = suite_create("alertq");
	TCase *v = tcase_create("valid"), *l = tcase_create("limits");

	tcase_add_test(v, test_alertq_order_and_pop);
	tcase_add_test(l, test_alertq_full_drops_oldest_update);
	tcase_add_test(l, test_alertq_full_of_starts_and_ends);
	tcase_add_test(l, test_alertq_slots_reused);
	tcase_add_test(l, test_alertq_limits);
	tcase_set_timeout(v, 10);
	tcase_set_timeout(l, 10);
	suite_add_tcase(s, v);
	suite_add_tcase(s, l);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(alertq_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
