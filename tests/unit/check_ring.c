/*
 * check_ring.c - SPSC ring: single-thread edge cases and two-thread order /
 * accounting tests.
 *
 * The two-thread cases push a bounded number of 64-byte records that carry a
 * sequence number and a checksum of it in every word, so a torn or stale
 * slot shows up as a bad record, a reordering as a non-increasing sequence,
 * and a lost record as pushed != popped + dropped.
 */
#include <check.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fw_ring.h"

Suite *ring_suite(void);

struct rec {
	uint64_t seq;
	uint64_t w[7];   /* each w[i] = seq * (i + 3) ^ 0x5a5a...: torn slots show */
};
_Static_assert(sizeof(struct rec) == 64, "64-byte records");

static void
rec_make(struct rec *r, uint64_t seq)
{
	r->seq = seq;
	for (int i = 0; i < 7; i++)
		r->w[i] = seq * (uint64_t)(i + 3) ^ 0x5a5a5a5a5a5a5a5aULL;
}

static int
rec_ok(const struct rec *r)
{
	for (int i = 0; i < 7; i++)
		if (r->w[i] != (r->seq * (uint64_t)(i + 3) ^ 0x5a5a5a5a5a5a5a5aULL))
			return 0;
	return 1;
}

/* ---- valid: single thread ---- */

START_TEST(test_ring_empty_pop)
{
	struct fw_ring *r;
	struct rec out[4];

	ck_assert_int_eq(fw_ring_new(8, sizeof(struct rec), &r), FW_OK);
	ck_assert_uint_eq(fw_ring_sc_pop_burst(r, out, 4), 0);
	ck_assert_uint_eq(fw_ring_sc_pop_burst(r, out, 0), 0);
	ck_assert_uint_eq(fw_ring_count(r), 0);
	ck_assert_uint_eq(fw_ring_pushed(r), 0);
	ck_assert_uint_eq(fw_ring_drops(r), 0);
	fw_ring_free(r);
}
END_TEST

START_TEST(test_ring_fill_to_capacity)
{
	struct fw_ring *r;
	struct rec in[17], out[17];

	ck_assert_int_eq(fw_ring_new(16, sizeof(struct rec), &r), FW_OK);
	ck_assert_uint_eq(fw_ring_capacity(r), 16);
	for (uint64_t i = 0; i < 17; i++)
		rec_make(&in[i], i);
	for (size_t i = 0; i < 16; i++)
		ck_assert_uint_eq(fw_ring_sp_push_burst(r, &in[i], 1), 1);
	ck_assert_uint_eq(fw_ring_count(r), 16);
	/* Full: one more does not fit, and push_burst does not count drops. */
	ck_assert_uint_eq(fw_ring_sp_push_burst(r, &in[16], 1), 0);
	ck_assert_uint_eq(fw_ring_drops(r), 0);
	ck_assert_uint_eq(fw_ring_sc_pop_burst(r, out, 17), 16);
	for (uint64_t i = 0; i < 16; i++) {
		ck_assert_uint_eq(out[i].seq, i);
		ck_assert(rec_ok(&out[i]));
	}
	ck_assert_uint_eq(fw_ring_count(r), 0);
	ck_assert_uint_eq(fw_ring_sc_pop_burst(r, out, 1), 0);
	fw_ring_free(r);
}
END_TEST

START_TEST(test_ring_burst_partial_fit)
{
	struct fw_ring *r;
	struct rec in[10], out[10];

	ck_assert_int_eq(fw_ring_new(8, sizeof(struct rec), &r), FW_OK);
	for (uint64_t i = 0; i < 10; i++)
		rec_make(&in[i], i);
	ck_assert_uint_eq(fw_ring_sp_push_burst(r, in, 5), 5);
	/* 3 slots left: a burst of 5 moves exactly 3. */
	ck_assert_uint_eq(fw_ring_sp_push_burst(r, in + 5, 5), 3);
	ck_assert_uint_eq(fw_ring_count(r), 8);
	/* Pop asks for fewer than present: exactly that many, oldest first. */
	ck_assert_uint_eq(fw_ring_sc_pop_burst(r, out, 2), 2);
	ck_assert_uint_eq(out[0].seq, 0);
	ck_assert_uint_eq(out[1].seq, 1);
	ck_assert_uint_eq(fw_ring_sc_pop_burst(r, out, 10), 6);
	for (uint64_t i = 0; i < 6; i++)
		ck_assert_uint_eq(out[i].seq, i + 2);
	ck_assert_uint_eq(fw_ring_pushed(r), 8);
	fw_ring_free(r);
}
END_TEST

/* Burst sizes that are not divisors of the capacity make every copy split at
 * a different place across the end of the slot array. */
START_TEST(test_ring_wrap_around)
{
	struct fw_ring *r;
	struct rec in[7], out[7];
	uint64_t next_in = 0, next_out = 0;

	ck_assert_int_eq(fw_ring_new(8, sizeof(struct rec), &r), FW_OK);
	for (int round = 0; round < 1000; round++) {
		size_t want = (size_t)(round % 7) + 1, got;

		for (size_t i = 0; i < want; i++)
			rec_make(&in[i], next_in + i);
		got = fw_ring_sp_push_burst(r, in, want);
		ck_assert_uint_le(got, want);
		next_in += got;
		got = fw_ring_sc_pop_burst(r, out, (size_t)(round % 5) + 1);
		for (size_t i = 0; i < got; i++) {
			ck_assert_uint_eq(out[i].seq, next_out);
			ck_assert(rec_ok(&out[i]));
			next_out++;
		}
		ck_assert_uint_eq(fw_ring_count(r), next_in - next_out);
		ck_assert_uint_le(fw_ring_count(r), 8);
	}
	/* Far past one lap of the 8 slots. */
	ck_assert_uint_gt(next_out, 1000);
	fw_ring_free(r);
}
END_TEST

START_TEST(test_ring_drop_counting)
{
	struct fw_ring *r;
	struct rec in[12], out[12];

	ck_assert_int_eq(fw_ring_new(4, sizeof(struct rec), &r), FW_OK);
	for (uint64_t i = 0; i < 12; i++)
		rec_make(&in[i], i);
	ck_assert_uint_eq(fw_ring_sp_push_or_drop(r, in, 3), 3);
	ck_assert_uint_eq(fw_ring_drops(r), 0);
	ck_assert_uint_eq(fw_ring_sp_push_or_drop(r, in + 3, 5), 1);
	ck_assert_uint_eq(fw_ring_drops(r), 4);
	ck_assert_uint_eq(fw_ring_sp_push_or_drop(r, in + 8, 4), 0);
	ck_assert_uint_eq(fw_ring_drops(r), 8);
	ck_assert_uint_eq(fw_ring_pushed(r), 4);
	/* The records that went in are the first four, not the latest. */
	ck_assert_uint_eq(fw_ring_sc_pop_burst(r, out, 12), 4);
	for (uint64_t i = 0; i < 4; i++)
		ck_assert_uint_eq(out[i].seq, i);
	ck_assert_uint_eq(fw_ring_sp_push_or_drop(r, in, 2), 2);
	ck_assert_uint_eq(fw_ring_drops(r), 8);
	fw_ring_free(r);
}
END_TEST

static const struct { size_t ask, cap; } rounding[] = {
	{ 1, 2 }, { 2, 2 }, { 3, 4 }, { 4, 4 }, { 5, 8 }, { 1000, 1024 },
	{ 1024, 1024 }, { 1025, 2048 }, { 65536, 65536 },
};

START_TEST(test_ring_capacity_rounding)
{
	struct fw_ring *r;

	ck_assert_int_eq(fw_ring_new(rounding[_i].ask, 8, &r), FW_OK);
	ck_assert_uint_eq(fw_ring_capacity(r), rounding[_i].cap);
	/* The rounded capacity is really usable, and no more. */
	{
		uint8_t *buf = calloc(rounding[_i].cap + 1, 8);
		ck_assert_ptr_nonnull(buf);
		ck_assert_uint_eq(fw_ring_sp_push_burst(r, buf, rounding[_i].cap + 1), rounding[_i].cap);
		free(buf);
	}
	fw_ring_free(r);
}
END_TEST

/* ---- limits ---- */

START_TEST(test_ring_bad_args)
{
	struct fw_ring *r = NULL;

	ck_assert_int_eq(fw_ring_new(0, 64, &r), FW_EINVAL);
	ck_assert_int_eq(fw_ring_new(16, 0, &r), FW_EINVAL);
	ck_assert_int_eq(fw_ring_new(((size_t)1 << 30) + 1, 1, &r), FW_EINVAL);
	ck_assert_ptr_null(r);
	fw_ring_free(NULL);  /* no-op */
}
END_TEST

/* ---- two threads ---- */

#define MT_RECORDS 5000000ULL
#define MT_BURST 32

struct mt {
	struct fw_ring *r;
	int retry;              /* 1: producer retries until all fit */
	uint64_t pushed;        /* producer: records accepted */
	uint64_t popped;        /* consumer */
	uint64_t bad;           /* consumer: torn or out-of-order records */
	uint64_t last_seq;      /* consumer: last sequence seen + 1 (0 = none) */
	uint64_t dup_or_gap;    /* no-drop variant: seq != expected */
	_Atomic int done;
};

static void *
producer(void *arg)
{
	struct mt *m = arg;
	struct rec batch[MT_BURST];
	uint64_t seq = 0;

	while (seq < MT_RECORDS) {
		size_t n = MT_RECORDS - seq < MT_BURST ? (size_t)(MT_RECORDS - seq) : MT_BURST;

		for (size_t i = 0; i < n; i++)
			rec_make(&batch[i], seq + i);
		if (m->retry) {
			size_t off = 0;
			while (off < n)
				off += fw_ring_sp_push_burst(m->r, batch + off, n - off);
		} else {
			m->pushed += fw_ring_sp_push_or_drop(m->r, batch, n);
		}
		seq += n;
	}
	if (m->retry)
		m->pushed = MT_RECORDS;
	atomic_store(&m->done, 1);
	return NULL;
}

static void *
consumer(void *arg)
{
	struct mt *m = arg;
	struct rec out[MT_BURST];

	for (;;) {
		/* Read done before popping, so a final empty pop really is final. */
		int finished = atomic_load(&m->done);
		size_t n = fw_ring_sc_pop_burst(m->r, out, MT_BURST);

		for (size_t i = 0; i < n; i++) {
			if (!rec_ok(&out[i]) || (m->last_seq != 0 && out[i].seq < m->last_seq))
				m->bad++;
			if (m->retry && out[i].seq != m->popped + i)
				m->dup_or_gap++;
			m->last_seq = out[i].seq + 1;
		}
		m->popped += n;
		if (n == 0 && finished)
			break;
	}
	return NULL;
}

static void
run_mt(struct mt *m, size_t slots)
{
	pthread_t p, c;

	ck_assert_int_eq(fw_ring_new(slots, sizeof(struct rec), &m->r), FW_OK);
	ck_assert_int_eq(pthread_create(&c, NULL, consumer, m), 0);
	ck_assert_int_eq(pthread_create(&p, NULL, producer, m), 0);
	pthread_join(p, NULL);
	pthread_join(c, NULL);
}

START_TEST(test_ring_two_threads_drop)
{
	struct mt m = { 0 };

	run_mt(&m, 1024);
	ck_assert_uint_eq(m.bad, 0);
	ck_assert_uint_eq(m.pushed, fw_ring_pushed(m.r));
	ck_assert_uint_eq(m.pushed, m.popped);
	ck_assert_uint_eq(m.pushed + fw_ring_drops(m.r), MT_RECORDS);
	ck_assert_uint_gt(m.popped, 0);
	ck_assert_uint_eq(fw_ring_count(m.r), 0);
	fw_ring_free(m.r);
}
END_TEST

START_TEST(test_ring_two_threads_no_drop)
{
	struct mt m = { 0 };

	m.retry = 1;
	run_mt(&m, 256);  /* small ring: the producer waits on the consumer often */
	ck_assert_uint_eq(m.bad, 0);
	ck_assert_uint_eq(m.dup_or_gap, 0);
	ck_assert_uint_eq(m.popped, MT_RECORDS);
	ck_assert_uint_eq(m.last_seq, MT_RECORDS);
	ck_assert_uint_eq(fw_ring_drops(m.r), 0);
	ck_assert_uint_eq(fw_ring_pushed(m.r), MT_RECORDS);
	fw_ring_free(m.r);
}
END_TEST

/* ---- zero-copy pop and fan-out (detector shards) ---- */

START_TEST(test_ring_peek_release)
{
	struct fw_ring *r = NULL;
	struct rec in[6];
	const void *at;
	size_t n;

	ck_assert_int_eq(fw_ring_new(8, sizeof(struct rec), &r), FW_OK);
	for (uint64_t i = 0; i < 6; i++)
		rec_make(&in[i], i);
	ck_assert_uint_eq(fw_ring_sp_push_burst(r, in, 6), 6);
	ck_assert_uint_eq(fw_ring_sc_peek(r, &at, 4), 4);
	ck_assert_uint_eq(((const struct rec *)at)[3].seq, 3);
	/* Peeked but not released: the slots are still taken. */
	ck_assert_uint_eq(fw_ring_sp_push_burst(r, in, 6), 2);
	fw_ring_sc_release(r, 4);
	/* The ring's end cuts a span: 2 left before it, then 2 from slot 0. */
	ck_assert_uint_eq(fw_ring_sc_peek(r, &at, 8), 4);
	fw_ring_sc_release(r, 4);
	ck_assert_uint_eq(fw_ring_sp_push_burst(r, in, 6), 6);
	n = fw_ring_sc_peek(r, &at, 8);
	ck_assert_uint_eq(n, 6);
	for (size_t i = 0; i < n; i++)
		ck_assert(rec_ok(&((const struct rec *)at)[i]));
	fw_ring_sc_release(r, n);
	ck_assert_uint_eq(fw_ring_sc_peek(r, &at, 8), 0);
	fw_ring_free(r);
}
END_TEST

static int
route_zero(void *ctx, const void *elem, int64_t *time_ms)
{
	(void)ctx;
	(void)elem;
	*time_ms = 0;
	return 0;
}

/* Zero-copy push (the listener decodes into the ring): a span up to the
 * ring's end, nothing visible before the commit, then in order. */
START_TEST(test_ring_reserve_commit)
{
	struct fw_ring *r = NULL, *fan = NULL, *lane = NULL;
	struct rec in[6], out[8];
	void *at;

	ck_assert_int_eq(fw_ring_new(8, sizeof(struct rec), &r), FW_OK);
	ck_assert_uint_eq(fw_ring_sp_reserve(r, &at, 0), 0);
	ck_assert_uint_eq(fw_ring_sp_reserve(r, &at, 5), 5);
	for (uint64_t i = 0; i < 5; i++)
		rec_make(&((struct rec *)at)[i], i);
	ck_assert_uint_eq(fw_ring_count(r), 0);      /* not yet published */
	fw_ring_sp_commit(r, 3);                      /* a partial commit */
	ck_assert_uint_eq(fw_ring_count(r), 3);
	ck_assert_uint_eq(fw_ring_sc_pop_burst(r, out, 8), 3);
	for (uint64_t i = 0; i < 3; i++) {
		ck_assert_uint_eq(out[i].seq, i);
		ck_assert(rec_ok(&out[i]));
	}
	/* head at slot 3: 5 slots to the end; a reserve stops there. */
	ck_assert_uint_eq(fw_ring_sp_reserve(r, &at, 8), 5);
	for (uint64_t i = 0; i < 5; i++)
		rec_make(&((struct rec *)at)[i], 10 + i);
	fw_ring_sp_commit(r, 5);
	ck_assert_uint_eq(fw_ring_sp_reserve(r, &at, 8), 3);  /* slots 0..2 */
	for (uint64_t i = 0; i < 6; i++)
		rec_make(&in[i], 20 + i);
	ck_assert_uint_eq(fw_ring_sp_push_burst(r, in, 6), 3);  /* what the reserve left */
	ck_assert_uint_eq(fw_ring_sp_reserve(r, &at, 8), 0);    /* full */
	ck_assert_uint_eq(fw_ring_sc_pop_burst(r, out, 8), 8);
	for (uint64_t i = 0; i < 8; i++) {
		ck_assert_uint_eq(out[i].seq, i < 5 ? 10 + i : 20 + i - 5);
		ck_assert(rec_ok(&out[i]));
	}
	/* A fan-out has no slots of its own. */
	ck_assert_int_eq(fw_ring_new(8, sizeof(uint64_t), &lane), FW_OK);
	ck_assert_int_eq(fw_ring_new_fanout(&r, &lane, 1, 0, route_zero, NULL, &fan), FW_OK);
	ck_assert_uint_eq(fw_ring_sp_reserve(fan, &at, 4), 0);
	fw_ring_free(fan);
	fw_ring_free(lane);
	fw_ring_free(r);
}
END_TEST

static int
route_mod(void *ctx, const void *elem, int64_t *time_ms)
{
	const struct rec *x = elem;

	(void)ctx;
	*time_ms = x->seq < 1000000 ? (int64_t)x->seq * 10 : (int64_t)x->seq;
	return (int)(x->seq % 3);
}

START_TEST(test_ring_fanout)
{
	struct fw_ring *out[3], *lane[3], *fan = NULL;
	static struct rec in[600], got[600];
	static uint64_t e[1024];

	for (int s = 0; s < 3; s++) {
		ck_assert_int_eq(fw_ring_new(256, sizeof(struct rec), &out[s]), FW_OK);
		ck_assert_int_eq(fw_ring_new(1024, sizeof(uint64_t), &lane[s]), FW_OK);
	}
	ck_assert_int_eq(fw_ring_new_fanout(out, lane, 3, 1, route_mod, NULL, &fan), FW_OK);
	for (uint64_t i = 0; i < 600; i++)
		rec_make(&in[i], i);
	/* 600 records: each shard has room for 256 of its 200 and the lanes
	 * for all 600; all fit. */
	ck_assert_uint_eq(fw_ring_sp_push_or_drop(fan, in, 600), 600);
	for (int s = 0; s < 3; s++) {
		size_t n = fw_ring_sc_pop_burst(lane[s], e, 1024), own = 0;

		ck_assert_uint_eq(n, 600);
		for (size_t i = 0; i < n; i++) {
			/* Every record's time, in push order, own ones marked. */
			ck_assert_int_eq(fw_ring_lane_time(e[i]), (int64_t)i * 10);
			ck_assert(e[i] & FW_RING_LANE_K2);
			ck_assert_int_eq((e[i] & FW_RING_LANE_OWN) != 0, (int)(i % 3) == s);
			own += (e[i] & FW_RING_LANE_OWN) != 0;
		}
		ck_assert_uint_eq(fw_ring_sc_pop_burst(out[s], got, 600), own);
		for (size_t i = 0; i < own; i++) {
			ck_assert_uint_eq(got[i].seq, (uint64_t)s + 3 * i);
			ck_assert(rec_ok(&got[i]));
		}
	}
	/* A full shard ring drops its records (counted) but not their times. */
	ck_assert_uint_eq(fw_ring_sp_push_or_drop(fan, in, 600), 600);
	ck_assert_uint_eq(fw_ring_sp_push_or_drop(fan, in, 300), 300 - 3 * 44);
	ck_assert_uint_eq(fw_ring_drops(fan), 3 * 44);
	ck_assert_uint_eq(fw_ring_count(lane[0]), 900);
	fw_ring_free(fan);
	for (int s = 0; s < 3; s++) {
		fw_ring_free(out[s]);
		fw_ring_free(lane[s]);
	}
}
END_TEST

START_TEST(test_ring_lane_bad_times)
{
	struct fw_ring *out = NULL, *lane = NULL, *fan = NULL;
	struct rec in[2];
	uint64_t e[2];

	ck_assert_int_eq(fw_ring_new(4, sizeof(struct rec), &out), FW_OK);
	ck_assert_int_eq(fw_ring_new(4, sizeof(uint64_t), &lane), FW_OK);
	ck_assert_int_eq(fw_ring_new_fanout(&out, &lane, 1, 0, route_mod, NULL, &fan), FW_OK);
	/* Times out of range travel as -1, which the detector refuses. */
	rec_make(&in[0], UINT64_MAX / 2);
	rec_make(&in[1], 0);
	in[1].seq = (uint64_t)-5;
	ck_assert_uint_eq(fw_ring_sp_push_burst(fan, in, 2), 2);
	ck_assert_uint_eq(fw_ring_sc_pop_burst(lane, e, 2), 2);
	ck_assert_int_eq(fw_ring_lane_time(e[0]), -1);
	ck_assert_int_eq(fw_ring_lane_time(e[1]), -1);
	ck_assert(!(e[0] & FW_RING_LANE_K2));
	fw_ring_free(fan);
	fw_ring_free(out);
	fw_ring_free(lane);
}
END_TEST

Suite *
ring_suite(void)
{
	Suite *s = suite_create("ring");
	TCase *tc = tcase_create("valid");
	TCase *lim = tcase_create("limits");
	TCase *mt = tcase_create("threads");

	tcase_add_test(tc, test_ring_empty_pop);
	tcase_add_test(tc, test_ring_fill_to_capacity);
	tcase_add_test(tc, test_ring_burst_partial_fit);
	tcase_add_test(tc, test_ring_wrap_around);
	tcase_add_test(tc, test_ring_drop_counting);
	tcase_add_loop_test(tc, test_ring_capacity_rounding, 0, (int)(sizeof(rounding) / sizeof(rounding[0])));
	tcase_add_test(tc, test_ring_peek_release);
	tcase_add_test(tc, test_ring_reserve_commit);
	tcase_add_test(tc, test_ring_fanout);
	tcase_add_test(tc, test_ring_lane_bad_times);
	tcase_set_timeout(tc, 10);
	suite_add_tcase(s, tc);
	tcase_add_test(lim, test_ring_bad_args);
	tcase_set_timeout(lim, 10);
	suite_add_tcase(s, lim);
	tcase_add_test(mt, test_ring_two_threads_drop);
	tcase_add_test(mt, test_ring_two_threads_no_drop);
	tcase_set_timeout(mt, 120);
	suite_add_tcase(s, mt);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(ring_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
