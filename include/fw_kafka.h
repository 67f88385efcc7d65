/*
 * fw_kafka.h - the Kafka alert sink: the SQLite outbox -> librdkafka.
 *
 * Every alert event bound for Kafka is first committed to the outbox table
 * with the alert itself (fw_sqlite_write with_outbox).  This module sends
 * outbox rows in seq order, keyed by victim (so one victim's events stay in
 * one partition, in order: the producer is idempotent), and deletes a row
 * only when its delivery report says the brokers have it (acks=all).  After
 * a broker outage or a crash, whatever is left in the outbox is sent again:
 * delivery is at least once; a duplicate is recognisable by id + seq.
 *
 * Threading: the sink thread owns the handle and calls fw_kafka_pump()
 * often; delivery reports run inside it.  Nothing here blocks for long.
 */
#ifndef FW_KAFKA_H
#define FW_KAFKA_H

#include <stdint.h>

#include "fw_config.h"
#include "fw_err.h"
#include "fw_sqlite.h"

struct fw_kafka;

struct fw_kafka_stats {
	uint64_t produced;          /* messages handed to librdkafka */
	uint64_t delivered;         /* acknowledged by the brokers */
	uint64_t failures;          /* failed delivery reports (re-sent later) */
	uint64_t queue_full;        /* produce calls refused: librdkafka queue full */
	int64_t queue_depth;        /* messages inside librdkafka now */
	int64_t backlog;            /* outbox rows not yet acknowledged, or acknowledged but not cleared */
	int64_t acked_unrecorded;   /* acknowledged, but deleting them from the outbox failed
	                               (disk full): retried; at exit, sent again at the next start */
};

/*
 * The producer settings every Floodwatch producer shares (the alert sink,
 * the collector's record publisher): bootstrap.servers = kafka.brokers,
 * enable.idempotence, acks=all, lz4, linger.ms 5, message.timeout.ms 0,
 * then the rdkafka.* keys; librdkafka's log and error lines go to fw_log.
 * opaque: the callbacks' opaque.  NULL with err filled on a bad property.
 */
struct rd_kafka_conf_s *fw_kafka_conf_new(const struct fw_config *cfg, void *opaque, char *err,
    size_t errlen);

/* Make the producer from cfg (brokers, topic, rdkafka.* properties). */
int fw_kafka_new(const struct fw_config *cfg, struct fw_kafka **out, char *err,
    size_t errlen) FW_MUSTCHECK;

/* Serve delivery reports, delete acknowledged rows, send waiting rows. */
void fw_kafka_pump(struct fw_kafka *k, struct fw_sqlite *db);

/* Pump until the outbox is empty or timeout_ms passes; returns the backlog left. */
int64_t fw_kafka_drain(struct fw_kafka *k, struct fw_sqlite *db, int64_t timeout_ms);

void fw_kafka_get_stats(struct fw_kafka *k, struct fw_kafka_stats *st);

void fw_kafka_free(struct fw_kafka *k);

/*
 * A bare librdkafka config for the cluster roles' consumers (and the
 * detector's state producer): bootstrap.servers = kafka.brokers, the
 * rdkafka.* keys, librdkafka's log and error lines to fw_log; no producer
 * defaults.  The caller adds its keys and hands it to rd_kafka_new.  FW_OK,
 * or FW_EINVAL with the key in err.
 */
struct rd_kafka_conf_s;
/* Set one librdkafka property: 0, or -1 with "kafka: KEY = VALUE: why" in err. */
int fw_kafka_conf_set(struct rd_kafka_conf_s *conf, const char *key, const char *val, char *err,
    size_t errlen) FW_MUSTCHECK;
int fw_kafka_client_conf_new(const struct fw_config *cfg, struct rd_kafka_conf_s **out, char *err,
    size_t errlen) FW_MUSTCHECK;

/*
 * In a consumer's rebalance callback: take (err = assign) or give up the
 * listed partitions, incrementally under the cooperative protocol, whole
 * under the eager one.  A failure gets one error line tagged `who`.
 */
struct rd_kafka_s;
struct rd_kafka_topic_partition_list_s;
void fw_kafka_rebalance_apply(struct rd_kafka_s *rk, int err, struct rd_kafka_topic_partition_list_s *parts,
    const char *who);

#endif /* FW_KAFKA_H */
