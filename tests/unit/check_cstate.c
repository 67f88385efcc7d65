/*
 * check_cstate.c - detector checkpoints on the state topic (fw_cstate.h)
 * against librdkafka's mock cluster in this process: none before the first
 * write, the newest complete generation wins, a blob of several chunks
 * comes back byte for byte, partitions sharing a state partition stay
 * apart, a checkpoint cut short (chunks without header) leaves the last
 * complete one readable, and records that are not state are counted and
 * skipped.
 */
#include <check.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fw_config.h"
#include "fw_cstate.h"

Suite *cstate_suite(void);

static rd_kafka_t *host;
static rd_kafka_mock_cluster_t *mc;
static struct fw_config cfg;

static void
mock_up(void)
{
	char e[256];

	host = rd_kafka_new(RD_KAFKA_PRODUCER, rd_kafka_conf_new(), e, sizeof(e));
	ck_assert_ptr_nonnull(host);
	mc = rd_kafka_mock_cluster_new(host, 1);
	ck_assert_ptr_nonnull(mc);
	ck_assert_int_eq(rd_kafka_mock_topic_create(mc, "st", 2, 1), RD_KAFKA_RESP_ERR_NO_ERROR);
	fw_config_defaults(&cfg);
	snprintf(cfg.kafka_brokers, sizeof(cfg.kafka_brokers), "%s", rd_kafka_mock_cluster_bootstraps(mc));
	snprintf(cfg.cluster_state_topic, sizeof(cfg.cluster_state_topic), "st");
}

static void
mock_down(void)
{
	rd_kafka_mock_cluster_destroy(mc);
	rd_kafka_destroy(host);
}

/* Another writer's raw record to state partition spart. */
static void
raw(int32_t spart, const char *key, const void *v, size_t len)
{
	char e[256];
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	rd_kafka_t *p;

	ck_assert_int_eq(rd_kafka_conf_set(conf, "bootstrap.servers", cfg.kafka_brokers, e, sizeof(e)), RD_KAFKA_CONF_OK);
	p = rd_kafka_new(RD_KAFKA_PRODUCER, conf, e, sizeof(e));
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(rd_kafka_producev(p, RD_KAFKA_V_TOPIC("st"), RD_KAFKA_V_PARTITION(spart),
	    RD_KAFKA_V_KEY(key, strlen(key)), RD_KAFKA_V_VALUE((void *)(uintptr_t)v, len),
	    RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END), RD_KAFKA_RESP_ERR_NO_ERROR);
	ck_assert_int_eq(rd_kafka_flush(p, 10000), RD_KAFKA_RESP_ERR_NO_ERROR);
	rd_kafka_destroy(p);
}

static void
put(struct fw_cstate *s, int32_t part, uint64_t gen, int64_t off, const unsigned char *b, size_t len)
{
	struct fw_cstate_meta m = { .partition = part, .next_offset = off, .generation = gen };

	ck_assert_int_eq(fw_cstate_write(s, &m, b, len, 10000), FW_OK);
}

static void
get(struct fw_cstate *s, int32_t part, uint64_t gen, int64_t off, const unsigned char *b, size_t len)
{
	struct fw_cstate_meta m;
	void *blob = NULL;
	size_t n = 0;
	char err[256];

	ck_assert_int_eq(fw_cstate_read(s, part, &m, &blob, &n, 10000, err, sizeof(err)), FW_OK);
	ck_assert_int_eq(m.partition, part);
	ck_assert_uint_eq(m.generation, gen);
	ck_assert_int_eq(m.next_offset, off);
	ck_assert_uint_eq(n, len);
	ck_assert(memcmp(blob, b, len) == 0);
	free(blob);
}

START_TEST(test_cstate_round_trip)
{
	struct fw_cstate *s;
	struct fw_cstate_meta m;
	struct fw_cstate_stats st;
	size_t big = 2 * FW_CSTATE_CHUNK + 12345;
	unsigned char *b = malloc(big), *c = malloc(big);
	unsigned char chunk[28 + 8];
	void *blob = (void *)1;
	size_t n = 7;
	char err[256];

	ck_assert_ptr_nonnull(b);
	ck_assert_ptr_nonnull(c);
	for (size_t i = 0; i < big; i++) {
		b[i] = (unsigned char)(i * 7 + 3);
		c[i] = (unsigned char)(i * 13 + 1);
	}
	mock_up();
	ck_assert_int_eq(fw_cstate_new(&cfg, &s, err, sizeof(err)), FW_OK);
	/* Nothing written yet. */
	ck_assert_int_eq(fw_cstate_read(s, 3, &m, &blob, &n, 10000, err, sizeof(err)), FW_ENOENT);
	ck_assert_ptr_null(blob);
	/* Two generations: the newer wins, three chunks reassembled. */
	put(s, 3, 1, 100, b, 1000);
	put(s, 3, 2, 250, c, big);
	get(s, 3, 2, 250, c, big);
	/* Partition 5 shares state partition 1 with 3 (mod 2): kept apart. */
	put(s, 5, 1, 9, b, 10);
	get(s, 5, 1, 9, b, 10);
	get(s, 3, 2, 250, c, big);
	/* Generation 3 cut short: a chunk in slot 1, no header.  Generation 2
	 * (slot 0) is still whole. */
	memset(chunk, 0, sizeof(chunk));
	chunk[0] = 'F';
	chunk[1] = 'W';
	chunk[2] = 'S';
	chunk[3] = 'C';
	chunk[7] = 1;              /* version */
	chunk[11] = 3;             /* partition */
	chunk[19] = 1;             /* one chunk */
	chunk[27] = 3;             /* generation */
	raw(1, "p3.1.0", chunk, sizeof(chunk));
	get(s, 3, 2, 250, c, big);
	/* Not a state record: counted, skipped. */
	raw(1, "p3", "garbage", 7);
	get(s, 3, 2, 250, c, big);
	fw_cstate_get_stats(s, &st);
	ck_assert_uint_ge(st.bad_records, 1);
	ck_assert_uint_eq(st.written, 3);
	ck_assert_uint_eq(st.read_none, 1);
	/* A later complete generation after the cut-short one wins again. */
	put(s, 3, 3, 300, b, 2000);
	get(s, 3, 3, 300, b, 2000);
	fw_cstate_free(s);
	mock_down();
	free(b);
	free(c);
}
END_TEST

Suite *
cstate_suite(void)
{
	Suite *s = suite_create("cstate");
	TCase *t = tcase_create("mock");

	tcase_add_test(t, test_cstate_round_trip);
	tcase_set_timeout(t, 60);
	suite_add_tcase(s, t);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(cstate_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
