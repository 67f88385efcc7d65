/*
 * fw_cdetect.h - the detector role (cluster.role = detector, README
 * "Scaling out"): a member of the consumer group cluster.group_id on
 * cluster.records_topic, detecting on the partitions it owns.
 *
 * One consumer thread (librdkafka's high-level consumer, cooperative-sticky
 * assignment, manual offsets) runs one fw_detect per owned partition, built
 * from fw_detect_shard_config(cfg, P) (P = the records topic's partitions),
 * in replay (event-time) mode.  A partition's time is the smallest
 * watermark of the collectors heard from on it within
 * cluster.idle_partition_ms; records and watermarks come in batches
 * (fw_recwire.h).  Alert events go to the pipeline's sinks
 * (fw_pipeline_emit).  Each batch also names the lateness its collector
 * learned over the whole stream; a partition uses the largest of its
 * collectors' (fw_detect_lateness_hint), so a partition without flows (a DNS
 * zone's) closes windows as one detector fed the whole stream would.
 *
 * Checkpoints (every cluster.checkpoint_ms, and on revoke): (1) every event
 * emitted so far is in SQLite with its outbox row (fw_pipeline_sync), (2) each
 * changed partition's fw_detect_save() is acknowledged on
 * cluster.state_topic (fw_cstate.h), (3) its next offset is committed.  On
 * assign a partition restores its newest complete checkpoint and resumes at
 * its offset; without one it starts fresh at the committed offset (or the
 * earliest).  A crash replays at most checkpoint_ms of records; the events
 * replayed carry the same (id, event, seq).
 *
 * Threading: new/start/stop/free and get_stats on the main thread; the
 * consumer thread owns everything else.
 */
#ifndef FW_CDETECT_H
#define FW_CDETECT_H

#include <stdint.h>

#include "fw_config.h"
#include "fw_cstate.h"
#include "fw_detect.h"
#include "fw_err.h"
#include "fw_pipeline.h"

struct fw_cdetect;

struct fw_cdetect_stats {
	struct fw_detect_stats det;      /* summed over the partitions owned now (they move with them) */
	uint64_t partitions;             /* owned now */
	uint64_t partitions_total;       /* of the records topic */
	uint64_t rebalances;             /* rebalance callbacks (assign or revoke) */
	uint64_t assigned;               /* partitions taken */
	uint64_t revoked;                /* partitions handed back (checkpointed first) */
	uint64_t lost;                   /* partitions lost without a checkpoint (session timed out) */
	uint64_t restores;               /* partitions resumed from a checkpoint */
	uint64_t restores_none;          /* ... started fresh: no checkpoint yet */
	uint64_t restore_failures;       /* ... started fresh: checkpoint unreadable or refused */
	uint64_t commits;                /* offset commits (each after its checkpoints) */
	uint64_t commit_failures;
	uint64_t checkpoint_failures;    /* rounds not committed: events not durable or state not acked */
	uint64_t batches;                /* record messages taken */
	uint64_t records;                /* flow + DNS records in them */
	uint64_t malformed;              /* messages not decodable, skipped */
	uint64_t seq_gaps;               /* a collector's per-partition seq skipped or went back */
	uint64_t collectors_full;        /* batches of a collector beyond the per-partition table */
	uint64_t idle_collectors;        /* (partition, collector) pairs not holding time back now */
	uint64_t idle_marks;             /* times a collector went idle on a partition */
	int64_t watermark_lag_ms;        /* largest over owned partitions: newest collector watermark - partition time */
	int64_t lateness_min_ms;         /* lateness in force, smallest and largest over owned partitions */
	int64_t lateness_max_ms;         /* (the collectors' learned one, see fw_detect_lateness_hint) */
	struct fw_cstate_stats state;
};

/* Build (metadata of both topics, the state reader and writer, the
 * consumer); nothing consumed yet.  pipe comes from fw_pipeline_new_sinks. */
int fw_cdetect_new(const struct fw_config *cfg, struct fw_pipeline *pipe, struct fw_cdetect **out,
    char *err, size_t errlen) FW_MUSTCHECK;

/* Join the group and consume on the consumer thread: FW_OK or FW_EAGAIN. */
int fw_cdetect_start(struct fw_cdetect *c) FW_MUSTCHECK;

/* Leave the group: every owned partition is checkpointed and committed
 * (revoke), so the others continue its alerts; then join the thread. */
void fw_cdetect_stop(struct fw_cdetect *c);

/*
 * SIGHUP: cfg's tunables (fw_detect_reconfigure) go to every owned
 * partition's detector on the consumer thread between two messages, and to
 * partitions assigned later; state, ids and windows kept.  The keys that
 * decide a record's partition (detector.networks, auto_prefix_*) are kept
 * (the collectors route by them).  cfg checked already (fw_detect_check_config).
 */
void fw_cdetect_reconfigure(struct fw_cdetect *c, const struct fw_config *cfg);

/* Counters; approximate while running (a snapshot at most 100 ms old). */
void fw_cdetect_get_stats(struct fw_cdetect *c, struct fw_cdetect_stats *st);

/* Fixed memory of one partition's detector (fw_detect_shard_config over P). */
size_t fw_cdetect_partition_bytes(struct fw_cdetect *c);

void fw_cdetect_free(struct fw_cdetect *c);

#endif /* FW_CDETECT_H */
