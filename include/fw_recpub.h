/*
 * fw_recpub.h - the collector role's publisher (cluster.role = collector,
 * README "Scaling out"): one thread drains the producers' rings, routes
 * each record to its partition of cluster.records_topic, batches per
 * partition (cluster.batch_records, cluster.linger_ms) and produces the
 * batches (fw_recwire.h) with the idempotent producer of fw_kafka_conf_new().
 * Every cluster.watermark_ms each partition gets the collector's watermark
 * (in a pending batch, else in a batch of 0 records); live, the watermark
 * is the wall clock, in replay the newest event time taken.  Every batch
 * also carries the lateness learned over the whole stream (see
 * fw_recpub_set_lateness), which the partitions' detectors use.
 *
 * The partition count P comes from the topic's metadata (retried each
 * second until known; the rings hold the records meanwhile, the listeners
 * drop what does not fit).  The route functions get P and name a
 * partition 0..P-1 (the caller uses the detector's shard key, which the
 * sinks layer may not include).
 *
 * A full librdkafka queue never holds the listeners: the batch waits
 * 100 ms (live) or kafka.flush_timeout_ms (replay), then its records are
 * dropped and counted.  fw_recpub_stop() (after the producers stopped):
 * drains the rings, sends what is pending, then a final watermark to every
 * partition (replay: newest event time + 2 x (window_ms + max_lateness_ms),
 * so the detectors close the last windows), waits up to
 * kafka.flush_timeout_ms for the acknowledgements and logs one summary line
 * ("summary: publish records_published=... ").
 */
#ifndef FW_RECPUB_H
#define FW_RECPUB_H

#include <stdbool.h>
#include <stdint.h>

#include "fw_config.h"
#include "fw_err.h"
#include "fw_ring.h"

struct fw_recpub;

struct fw_recpub_stats {
	uint64_t records_taken;     /* records taken off the rings */
	uint64_t records_published; /* in batches the brokers acknowledged */
	uint64_t batches;           /* acknowledged messages holding records */
	uint64_t watermarks;        /* acknowledged watermark-only messages */
	uint64_t publish_errors;    /* failed produce calls and delivery reports */
	uint64_t records_dropped;   /* librdkafka's queue full too long, or delivery failed */
	int64_t queue_depth;        /* messages inside librdkafka now */
	int64_t partitions;         /* P; 0 until the metadata is known */
};

/* Partition (0 .. nparts-1) of one record; ctx as given to fw_recpub_new(). */
typedef int fw_recpub_route_fn(void *ctx, const void *rec, int nparts);

/* The producer for cfg (kafka.brokers, rdkafka.*, cluster.*); live: the
 * watermark is the wall clock.  On error err holds one line. */
int fw_recpub_new(const struct fw_config *cfg, bool live, fw_recpub_route_fn *route_flow,
    fw_recpub_route_fn *route_dns, void *ctx, struct fw_recpub **out, char *err, size_t errlen) FW_MUSTCHECK;

/* Drain ring r (struct fw_flow, or struct fw_dnsq when dns) too; before
 * start.  The ring stays the caller's. */
int fw_recpub_add_ring(struct fw_recpub *p, struct fw_ring *r, bool dns) FW_MUSTCHECK;

/* The lateness learned over the stream so far (ms, 0: none), read on the
 * publisher thread for every batch header; ctx as given to fw_recpub_new(). */
typedef int64_t fw_recpub_lateness_fn(void *ctx);

/* Send fn's lateness in every batch (fw_recwire_hdr.lateness_ms); before start. */
void fw_recpub_set_lateness(struct fw_recpub *p, fw_recpub_lateness_fn *fn);

int fw_recpub_start(struct fw_recpub *p) FW_MUSTCHECK;

/* Drain, send the final watermark, flush, join (see above); once. */
void fw_recpub_stop(struct fw_recpub *p);

/* Counters; any thread. */
void fw_recpub_get_stats(struct fw_recpub *p, struct fw_recpub_stats *st);

void fw_recpub_free(struct fw_recpub *p);

#endif /* FW_RECPUB_H */
