/*
 * check_hashtab.c - the shared open-addressing index (fw_hashtab.h):
 * lookups through collision chains, backward-shift delete across the wrap
 * of the slot array (no tombstones: every survivor stays reachable and the
 * chains shrink back), and a long random insert/remove run checked against
 * a plain array.
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>

#include "fw_hashtab.h"

Suite *hashtab_suite(void);

#define CAP 64

/* Entries of a test: key e lives at entry e, its hash given by hash_of[]. */
static uint32_t hash_of[CAP];
static int present[CAP];

static int
find(const struct fw_hashtab *t, uint32_t key)
{
	struct fw_hashtab_probe p;
	uint32_t e;

	fw_hashtab_probe_start(t, hash_of[key], &p);
	while ((e = fw_hashtab_probe_next(t, &p)) != FW_HASHTAB_NONE)
		if (e == key)
			return 1;
	return 0;
}

static size_t
used_slots(const struct fw_hashtab *t)
{
	size_t n = 0;

	for (size_t i = 0; i <= t->mask; i++)
		n += t->slot[i] != 0;
	return n;
}

/* Every present key is found, every absent one is not. */
static void
check_all(const struct fw_hashtab *t)
{
	size_t n = 0;

	for (uint32_t k = 0; k < CAP; k++) {
		ck_assert_int_eq(find(t, k), present[k]);
		n += (size_t)present[k];
	}
	ck_assert_uint_eq(used_slots(t), n);
}

/* A cluster that wraps from the last slot to the first, then deletes from
 * its middle: the entries after the hole move back, except those whose home
 * lies after it. */
START_TEST(test_hashtab_shift_across_the_wrap)
{
	struct fw_hashtab t;
	uint32_t last;

	ck_assert_int_eq(fw_hashtab_init(&t, 8), FW_OK);
	ck_assert_uint_eq(t.mask, 15);
	last = t.mask;
	/* Keys 0..4 at home `last`, key 5 at home 1, key 6 at home 0. */
	for (uint32_t k = 0; k < 5; k++)
		hash_of[k] = (k + 1) << 8 | last;
	hash_of[5] = 1u << 20 | 1;
	hash_of[6] = 1u << 21 | 0;
	for (uint32_t k = 0; k < 7; k++) {
		fw_hashtab_insert(&t, hash_of[k], k);
		present[k] = 1;
	}
	for (uint32_t k = 7; k < CAP; k++) {
		hash_of[k] = k << 12 | last;  /* absent, same home: walks the chain */
		present[k] = 0;
	}
	check_all(&t);
	/* Remove from the head, the middle and the wrapped tail. */
	static const uint32_t order[] = { 0, 3, 6, 1, 5, 4, 2 };
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		fw_hashtab_remove(&t, hash_of[order[i]], order[i]);
		present[order[i]] = 0;
		check_all(&t);
	}
	ck_assert_uint_eq(used_slots(&t), 0);
	/* Removing what is not there changes nothing. */
	fw_hashtab_insert(&t, hash_of[2], 2);
	fw_hashtab_remove(&t, hash_of[3], 3);
	ck_assert(find(&t, 2));
	ck_assert_uint_eq(used_slots(&t), 1);
	fw_hashtab_fini(&t);
}
END_TEST

/* Random inserts and removes with few distinct homes (long clusters),
 * against the plain array: 20000 steps, each followed by a full check. */
START_TEST(test_hashtab_random_against_a_model)
{
	struct fw_hashtab t;
	uint64_t x = 0x9e3779b97f4a7c15ULL;

	ck_assert_int_eq(fw_hashtab_init(&t, CAP / 2), FW_OK);
	for (uint32_t k = 0; k < CAP; k++) {
		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
		/* 8 homes; sometimes the very same hash for two keys */
		hash_of[k] = (uint32_t)(x >> 40) << 3 | (uint32_t)(x >> 33 & 7);
		if (k % 9 == 1)
			hash_of[k] = hash_of[k - 1];
		present[k] = 0;
	}
	for (int step = 0, n = 0; step < 20000; step++) {
		uint32_t k;

		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
		k = (uint32_t)(x >> 33) % CAP;
		if (present[k]) {
			fw_hashtab_remove(&t, hash_of[k], k);
			present[k] = 0;
			n--;
		} else if (n < CAP / 2) {
			fw_hashtab_insert(&t, hash_of[k], k);
			present[k] = 1;
			n++;
		}
		check_all(&t);
	}
	fw_hashtab_fini(&t);
}
END_TEST

START_TEST(test_hashtab_peek_and_limits)
{
	struct fw_hashtab t;

	ck_assert_int_eq(fw_hashtab_init(&t, (size_t)1 << 30), FW_EINVAL);
	fw_hashtab_fini(&t);
	ck_assert_uint_eq(fw_hashtab_bytes(&t), 0);
	ck_assert_int_eq(fw_hashtab_init(&t, 100), FW_OK);
	ck_assert_uint_eq(t.mask + 1, 256);           /* >= 2 x entries, power of two */
	ck_assert_uint_eq(fw_hashtab_bytes(&t), 256 * sizeof(uint64_t));
	fw_hashtab_insert(&t, 0xabcd0005u, 7);
	ck_assert_uint_eq(fw_hashtab_peek(&t, 0xabcd0005u), 7);
	ck_assert_uint_eq(fw_hashtab_peek(&t, 0xabce0005u), FW_HASHTAB_NONE);  /* same home */
	ck_assert_ptr_eq(fw_hashtab_home(&t, 0xabce0005u), &t.slot[5]);
	fw_hashtab_fini(&t);
	fw_hashtab_fini(&t);                           /* twice: harmless */
}
END_TEST

Suite *
hashtab_suite(void)
{
	Suite *s = suite_create("hashtab");
	TCase *v = tcase_create("valid"), *l = tcase_create("limits");

	tcase_add_test(v, test_hashtab_shift_across_the_wrap);
	tcase_add_test(v, test_hashtab_random_against_a_model);
	tcase_add_test(l, test_hashtab_peek_and_limits);
	tcase_set_timeout(v, 30);
	tcase_set_timeout(l, 10);
	suite_add_tcase(s, v);
	suite_add_tcase(s, l);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(hashtab_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
