/*
 * sink_kafka.c - outbox -> Kafka (fw_kafka.h).
 *
 * State: last_produced is the highest outbox seq handed to librdkafka in
 * this process; rows above it are waiting.  Delivery reports collect
 * acknowledged seqs in `acked` (bounded by MAX_INFLIGHT) and the lowest
 * failed seq; a failure rewinds last_produced so the row (and any after it)
 * is sent again after a short back-off.
 *
 * A full disk: deleting acknowledged rows is a write and can fail.  The
 * acknowledged seqs then stay in `acked` and the delete is retried with
 * capped exponential back-off (one rate-limited log line per retry); no
 * new row is produced unless its acknowledgement has room in `acked`
 * (inflight + nacked <= MAX_INFLIGHT), so an acknowledgement is never
 * forgotten.  Rows the brokers have but the outbox still holds at exit are
 * counted (acked_unrecorded) and sent again at the next start, a duplicate
 * recognisable by id + seq (at least once, never lost).
 */
#include "fw_kafka.h"

#include <librdkafka/rdkafka.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fw_backoff.h"
#include "fw_log.h"
#include "fw_time.h"

#define MAX_INFLIGHT 10000
#define SCAN_BATCH 500
#define BACKOFF_MS 1000

struct fw_kafka {
	rd_kafka_t *rk;
	rd_kafka_topic_t *topic;
	int64_t last_produced;
	int64_t min_failed;         /* INT64_MAX: none */
	int64_t backoff_until_ms;
	int64_t *acked;             /* MAX_INFLIGHT: delivered, not yet deleted from the outbox */
	size_t nacked;
	uint64_t inflight;
	struct fw_backoff ack_backoff;  /* between failed outbox deletes (disk full) */
	_Atomic uint64_t produced, delivered, failures, queue_full;
	_Atomic int64_t backlog, queue_depth, acked_unrecorded;
};

static void
on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
	struct fw_kafka *k = opaque;
	int64_t seq = (int64_t)(intptr_t)m->_private;

	(void)rk;
	if (k->inflight > 0)
		k->inflight--;
	if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
		atomic_fetch_add(&k->failures, 1);
		if (seq < k->min_failed)
			k->min_failed = seq;
		FW_LOG_RL(FW_LOG_WARN, "kafka", "delivery of outbox row %lld failed: %s (will re-send)",
		    (long long)seq, rd_kafka_err2str(m->err));
		return;
	}
	atomic_fetch_add(&k->delivered, 1);
	/* Room is reserved by produce_row (inflight + nacked <= MAX_INFLIGHT). */
	if (k->nacked < MAX_INFLIGHT)
		k->acked[k->nacked++] = seq;
}

static void
on_log(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
	(void)rk;
	FW_LOG_RL(level <= 3 ? FW_LOG_ERR : level <= 5 ? FW_LOG_WARN : FW_LOG_DEBUG, "kafka",
	    "librdkafka %s: %s", fac, buf);
}

static void
on_error(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
	(void)rk;
	(void)opaque;
	FW_LOG_RL(FW_LOG_WARN, "kafka", "%s: %s", rd_kafka_err2name((rd_kafka_resp_err_t)err), reason);
}

int
fw_kafka_conf_set(rd_kafka_conf_t *conf, const char *key, const char *val, char *err, size_t errlen)
{
	char e[256];

	if (rd_kafka_conf_set(conf, key, val, e, sizeof(e)) != RD_KAFKA_CONF_OK) {
		snprintf(err, errlen, "kafka: %s = %s: %s", key, val, e);
		return -1;
	}
	return 0;
}

/* The rdkafka.* keys (they win over our defaults), log and error lines to fw_log. */
static int
finish_conf(rd_kafka_conf_t *conf, const struct fw_config *cfg, char *err, size_t errlen)
{
	for (int i = 0; i < cfg->kafka_nprops; i++)
		if (fw_kafka_conf_set(conf, cfg->kafka_prop_key[i], cfg->kafka_prop_val[i], err, errlen))
			return -1;
	rd_kafka_conf_set_log_cb(conf, on_log);
	rd_kafka_conf_set_error_cb(conf, on_error);
	return 0;
}

rd_kafka_conf_t *
fw_kafka_conf_new(const struct fw_config *cfg, void *opaque, char *err, size_t errlen)
{
	rd_kafka_conf_t *conf = rd_kafka_conf_new();

	/* Defaults for "nothing lost, in order"; rdkafka.* keys may override. */
	if (fw_kafka_conf_set(conf, "bootstrap.servers", cfg->kafka_brokers, err, errlen) ||
	    fw_kafka_conf_set(conf, "enable.idempotence", "true", err, errlen) ||
	    fw_kafka_conf_set(conf, "acks", "all", err, errlen) ||
	    fw_kafka_conf_set(conf, "compression.type", "lz4", err, errlen) ||
	    fw_kafka_conf_set(conf, "linger.ms", "5", err, errlen) ||
	    fw_kafka_conf_set(conf, "message.timeout.ms", "0", err, errlen))  /* 0: keep trying through outages */
		goto fail;
	if (finish_conf(conf, cfg, err, errlen))
		goto fail;
	rd_kafka_conf_set_opaque(conf, opaque);
	return conf;
fail:
	rd_kafka_conf_destroy(conf);
	return NULL;
}

int
fw_kafka_new(const struct fw_config *cfg, struct fw_kafka **out, char *err, size_t errlen)
{
	struct fw_kafka *k;
	rd_kafka_conf_t *conf;
	char e[512];

	if ((k = calloc(1, sizeof(*k))) == NULL)
		return FW_ENOMEM;
	k->min_failed = INT64_MAX;
	fw_backoff_init(&k->ack_backoff, 100, cfg->sqlite_retry_max_ms);
	if ((k->acked = calloc(MAX_INFLIGHT, sizeof(*k->acked))) == NULL) {
		free(k);
		return FW_ENOMEM;
	}
	if ((conf = fw_kafka_conf_new(cfg, k, err, errlen)) == NULL) {
		free(k->acked);
		free(k);
		return FW_EINVAL;
	}
	rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
	if ((k->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, e, sizeof(e))) == NULL) {
		snprintf(err, errlen, "kafka: cannot create the producer: %s", e);
		rd_kafka_conf_destroy(conf);
		free(k->acked);
		free(k);
		return FW_EINVAL;
	}
	/* conf is owned by rk from here on. */
	if ((k->topic = rd_kafka_topic_new(k->rk, cfg->kafka_topic, NULL)) == NULL) {
		snprintf(err, errlen, "kafka: topic %s: %s", cfg->kafka_topic,
		    rd_kafka_err2str(rd_kafka_last_error()));
		fw_kafka_free(k);
		return FW_EINVAL;
	}
	*out = k;
	return FW_OK;
}

static int
produce_row(void *ctx, const struct fw_outbox_row *row)
{
	struct fw_kafka *k = ctx;

	if (k->inflight + k->nacked >= MAX_INFLIGHT)
		return 1;  /* its acknowledgement would have no room in `acked` */
	if (rd_kafka_produce(k->topic, RD_KAFKA_PARTITION_UA, RD_KAFKA_MSG_F_COPY,
	    (void *)(uintptr_t)row->payload, row->payload_len, row->key, strlen(row->key),
	    (void *)(intptr_t)row->seq) != 0) {
		rd_kafka_resp_err_t e = rd_kafka_last_error();

		if (e == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
			atomic_fetch_add(&k->queue_full, 1);
		} else {
			FW_LOG_RL(FW_LOG_ERR, "kafka", "produce failed: %s", rd_kafka_err2str(e));
			k->backoff_until_ms = fw_time_mono_ms() + BACKOFF_MS;
		}
		return 1;  /* stop; this row is tried again next pump */
	}
	k->inflight++;
	k->last_produced = row->seq;
	atomic_fetch_add(&k->produced, 1);
	return 0;
}

void
fw_kafka_pump(struct fw_kafka *k, struct fw_sqlite *db)
{
	int64_t now;

	rd_kafka_poll(k->rk, 0);
	now = fw_time_mono_ms();
	if (k->nacked > 0 && fw_backoff_ready(&k->ack_backoff, now)) {
		if (fw_sqlite_outbox_ack(db, k->acked, k->nacked) == FW_OK) {
			k->nacked = 0;
			fw_backoff_ok(&k->ack_backoff);
		} else {
			int64_t delay = fw_backoff_fail(&k->ack_backoff, now);

			FW_LOG_RL(FW_LOG_ERR, "kafka", "clearing %zu delivered events from the outbox failed: %s; "
			    "kept in memory, next try in %lld ms (if floodwatch stops first, they are sent "
			    "again at the next start)", k->nacked, fw_sqlite_errmsg(db), (long long)delay);
		}
	}
	atomic_store(&k->acked_unrecorded, (int64_t)k->nacked);
	if (k->min_failed != INT64_MAX) {
		if (k->min_failed - 1 < k->last_produced)
			k->last_produced = k->min_failed - 1;
		k->min_failed = INT64_MAX;
		k->backoff_until_ms = now + BACKOFF_MS;
	}
	if (now >= k->backoff_until_ms && k->inflight + k->nacked < MAX_INFLIGHT)
		(void)fw_sqlite_outbox_scan(db, k->last_produced, SCAN_BATCH, produce_row, k);
	atomic_store(&k->queue_depth, rd_kafka_outq_len(k->rk));
}

int64_t
fw_kafka_drain(struct fw_kafka *k, struct fw_sqlite *db, int64_t timeout_ms)
{
	int64_t deadline = fw_time_mono_ms() + timeout_ms, backlog;

	for (;;) {
		fw_kafka_pump(k, db);
		backlog = fw_sqlite_outbox_backlog(db);
		atomic_store(&k->backlog, backlog);
		/* Rows the brokers have but a full disk keeps in the outbox need no wait. */
		if (backlog <= (int64_t)k->nacked || fw_time_mono_ms() >= deadline)
			break;
		rd_kafka_poll(k->rk, 20);
	}
	return backlog;
}

void
fw_kafka_get_stats(struct fw_kafka *k, struct fw_kafka_stats *st)
{
	st->produced = atomic_load(&k->produced);
	st->delivered = atomic_load(&k->delivered);
	st->failures = atomic_load(&k->failures);
	st->queue_full = atomic_load(&k->queue_full);
	st->queue_depth = atomic_load(&k->queue_depth);
	st->backlog = atomic_load(&k->backlog);
	st->acked_unrecorded = atomic_load(&k->acked_unrecorded);
}

void
fw_kafka_free(struct fw_kafka *k)
{
	if (k == NULL)
		return;
	if (k->topic != NULL)
		rd_kafka_topic_destroy(k->topic);
	if (k->rk != NULL) {
		/* Undelivered messages stay in the outbox; no long flush here. */
		rd_kafka_purge(k->rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
		rd_kafka_poll(k->rk, 0);
		rd_kafka_destroy(k->rk);
	}
	free(k->acked);
	free(k);
}

int
fw_kafka_client_conf_new(const struct fw_config *cfg, rd_kafka_conf_t **out, char *err, size_t errlen)
{
	rd_kafka_conf_t *conf = rd_kafka_conf_new();

	if (fw_kafka_conf_set(conf, "bootstrap.servers", cfg->kafka_brokers, err, errlen) || finish_conf(conf, cfg, err, errlen))
		goto fail;
	*out = conf;
	return FW_OK;
fail:
	rd_kafka_conf_destroy(conf);
	return FW_EINVAL;
}

void
fw_kafka_rebalance_apply(rd_kafka_t *rk, int err, rd_kafka_topic_partition_list_t *parts, const char *who)
{
	bool assign = err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS;
	rd_kafka_error_t *e = NULL;
	rd_kafka_resp_err_t re = RD_KAFKA_RESP_ERR_NO_ERROR;

	if (strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE") == 0)
		e = assign ? rd_kafka_incremental_assign(rk, parts) : rd_kafka_incremental_unassign(rk, parts);
	else
		re = rd_kafka_assign(rk, assign ? parts : NULL);
	if (e != NULL) {
		fw_log(FW_LOG_ERR, who, "rebalance: %s", rd_kafka_error_string(e));
		rd_kafka_error_destroy(e);
	} else if (re != RD_KAFKA_RESP_ERR_NO_ERROR) {
		fw_log(FW_LOG_ERR, who, "rebalance: %s", rd_kafka_err2str(re));
	}
}
