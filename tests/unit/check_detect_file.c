/*
 * check_detect_file.c - the detector state file (fw_detect_file.h): two
 * shards, each having learned half a minute of traffic to its own servers,
 * written to one file and loaded into fresh detectors.  A whole file
 * restores both; a missing one changes nothing; a file of another shard
 * count, a cut-short one, or one byte flipped in the second shard's blob
 * restores neither (all or none), with a line naming why; the temporary
 * file never outlives a write, and a write that cannot happen says so.
 */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fw_test_detect.h"
#include "fw_detect_file.h"

Suite *detect_file_suite(void);

#define T0 FW_TEST_T0_MS
#define NSHARD 2
#define SECONDS 30
#define SAVED_MS (T0 + SECONDS * 1000)

static char dir[64], path[128];
static uint64_t victims_saved;   /* summed over the shards */

/* Shard k: 3 servers in 198.51.(100 + k).0/24, 10 sources of 10 packets
 * each a second. */
static void
feed(struct fw_detect *d, int k)
{
	struct fw_flow fl[30];

	for (int s = 0; s < SECONDS; s++) {
		size_t n = 0;

		for (int h = 0; h < 3; h++) {
			for (int i = 0; i < 10; i++) {
				struct fw_flow *f = &fl[n++];

				fw_test_flow(f, T0 + s * 1000 + i * 90, 6, 0x18, (uint16_t)(40000 + i), 443, 10, 7000);
				fw_test_v4(&f->src, 203, 0, 113, (uint8_t)(1 + i));
				fw_test_v4(&f->dst, 198, 51, (uint8_t)(100 + k), (uint8_t)(10 + h));
			}
		}
		fw_detect_flows(d, fl, n);
	}
}

static uint64_t
victims_of(const struct fw_detect *d)
{
	struct fw_detect_stats st;

	fw_detect_get_stats(d, &st);
	return st.victims;
}

/* Both shards fed, saved and written to path; their victims counted. */
static void
setup(void)
{
	void *blobs[NSHARD];
	size_t lens[NSHARD];
	char err[256] = "";

	snprintf(dir, sizeof(dir), "/tmp/check_detect_file.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/detector.state", dir);
	victims_saved = 0;
	for (int k = 0; k < NSHARD; k++) {
		struct fw_detect *d = fw_test_detect_new(NULL, NULL);

		feed(d, k);
		victims_saved += victims_of(d);
		ck_assert_int_eq(fw_detect_save(d, &blobs[k], &lens[k]), FW_OK);
		fw_detect_free(d);
	}
	ck_assert_int_eq(fw_detect_file_write(path, SAVED_MS, blobs, lens, NSHARD, err, sizeof(err)), FW_OK);
	for (int k = 0; k < NSHARD; k++)
		free(blobs[k]);
}

static void
teardown(void)
{
	char tmp[160];

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	(void)unlink(tmp);
	(void)unlink(path);
	(void)rmdir(dir);
}

/* Load path into n fresh detectors: the return code, info and err; the
 * victims each detector holds afterwards go to victims[] (NULL: freed). */
static int
load(int n, struct fw_detect_file_info *info, char *err, size_t errlen, uint64_t *victims)
{
	struct fw_detect *dets[4] = { NULL, NULL, NULL, NULL };
	int rc;

	for (int k = 0; k < n; k++)
		dets[k] = fw_test_detect_new(NULL, NULL);
	memset(info, 0, sizeof(*info));
	err[0] = '\0';
	rc = fw_detect_file_load(path, dets, n, SAVED_MS + 5000, info, err, errlen);
	for (int k = 0; k < n; k++) {
		if (victims != NULL)
			victims[k] = victims_of(dets[k]);
		fw_detect_free(dets[k]);
	}
	return rc;
}

static off_t
file_size(void)
{
	struct stat sb;

	ck_assert_int_eq(stat(path, &sb), 0);
	return sb.st_size;
}

START_TEST(test_roundtrip)
{
	struct fw_detect_file_info info;
	char err[256], tmp[160];
	uint64_t v[NSHARD];

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	ck_assert_msg(access(tmp, F_OK) != 0, "FILE.tmp outlived the write");
	ck_assert_uint_ge(victims_saved, 2 * 4);  /* 3 hosts and a /24 each */
	ck_assert_int_eq(load(NSHARD, &info, err, sizeof(err), v), FW_OK);
	ck_assert(info.found);
	ck_assert_int_eq(info.saved_ms, SAVED_MS);
	ck_assert_uint_eq(info.bytes, (uint64_t)file_size());
	ck_assert_uint_eq(info.victims, victims_saved);
	ck_assert_uint_eq(v[0] + v[1], victims_saved);
	ck_assert_uint_gt(v[0], 0);
	ck_assert_uint_gt(v[1], 0);
	ck_assert_int_eq(info.open_alerts, 0);
}
END_TEST

START_TEST(test_missing)
{
	struct fw_detect_file_info info;
	char err[256];
	uint64_t v[NSHARD];

	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(load(NSHARD, &info, err, sizeof(err), v), FW_OK);
	ck_assert(!info.found);
	ck_assert_uint_eq(v[0] + v[1], 0);
}
END_TEST

START_TEST(test_other_shard_count)
{
	struct fw_detect_file_info info;
	char err[256];
	uint64_t v[3];

	ck_assert_int_lt(load(1, &info, err, sizeof(err), v), 0);
	ck_assert_msg(strstr(err, "shard") != NULL, "err: %s", err);
	ck_assert_uint_eq(v[0], 0);
	ck_assert_int_lt(load(3, &info, err, sizeof(err), v), 0);
	ck_assert_uint_eq(v[0] + v[1] + v[2], 0);
}
END_TEST

START_TEST(test_truncated)
{
	struct fw_detect_file_info info;
	char err[256];
	uint64_t v[NSHARD];
	off_t sz = file_size();

	/* Cut in the header, in the first blob, and one byte short. */
	const off_t cut[] = { 10, sz / 3, sz - 1 };

	for (size_t i = 0; i < sizeof(cut) / sizeof(cut[0]); i++) {
		ck_assert_int_eq(truncate(path, cut[i]), 0);
		ck_assert_msg(load(NSHARD, &info, err, sizeof(err), v) < 0, "cut at %lld loaded", (long long)cut[i]);
		ck_assert_msg(err[0] != '\0', "no reason given");
		ck_assert_uint_eq(v[0] + v[1], 0);
	}
}
END_TEST

START_TEST(test_flipped_byte)
{
	struct fw_detect_file_info info;
	char err[256];
	uint64_t v[NSHARD];
	off_t at = file_size() - 40;  /* inside the second shard's blob */
	uint8_t b;
	int fd = open(path, O_RDWR);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pread(fd, &b, 1, at), 1);
	b ^= 0x10;
	ck_assert_int_eq(pwrite(fd, &b, 1, at), 1);
	close(fd);
	ck_assert_int_lt(load(NSHARD, &info, err, sizeof(err), v), 0);
	ck_assert_msg(err[0] != '\0', "no reason given");
	/* All or none: the first shard's blob is whole, and is not restored. */
	ck_assert_uint_eq(v[0], 0);
	ck_assert_uint_eq(v[1], 0);
}
END_TEST

START_TEST(test_write_fails)
{
	char err[256] = "", bad[160];
	void *blobs[1] = { "x" };
	size_t lens[1] = { 1 };

	snprintf(bad, sizeof(bad), "%s/no/such/dir/detector.state", dir);
	ck_assert_int_lt(fw_detect_file_write(bad, SAVED_MS, blobs, lens, 1, err, sizeof(err)), 0);
	ck_assert_msg(strstr(err, bad) != NULL, "err does not name the file: %s", err);
}
END_TEST

Suite *
detect_file_suite(void)
{
	Suite *s = suite_create("detect_file");
	TCase *t = tcase_create("file");

	tcase_add_checked_fixture(t, setup, teardown);
	tcase_set_timeout(t, 60);
	tcase_add_test(t, test_roundtrip);
	tcase_add_test(t, test_missing);
	tcase_add_test(t, test_other_shard_count);
	tcase_add_test(t, test_truncated);
	tcase_add_test(t, test_flipped_byte);
	tcase_add_test(t, test_write_fails);
	suite_add_tcase(s, t);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(detect_file_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
