/*
 * fw_cstate.h - detector checkpoints on cluster.state_topic (cluster.role =
 * detector, README "Scaling out").
 *
 * A checkpoint of records partition N is a fw_detect_save() blob cut into
 * chunks of at most FW_CSTATE_CHUNK bytes, keyed "p<N>.<slot>.<i>", then
 * one header record keyed "p<N>" naming the generation, the chunk count,
 * the slot and next_records_offset (schema/cluster_state.md).  All of them
 * go to state partition N mod (the state topic's partition count), so they
 * stay in order, and a reader of partition N reads one state partition.
 * The slot is generation mod 2: a checkpoint cut short (crash before its
 * header) never overwrites, after compaction, the chunks of the last
 * complete one.  A reader takes the newest generation whose header and
 * every chunk it saw; records it cannot parse are counted and skipped
 * (the topic is writable by whoever may write to the cluster).
 *
 * Threading: one thread (the detector role's consumer thread).  Both calls
 * block up to their timeout; neither is on the hot path.
 */
#ifndef FW_CSTATE_H
#define FW_CSTATE_H

#include <stddef.h>
#include <stdint.h>

#include "fw_config.h"
#include "fw_err.h"

#define FW_CSTATE_VERSION 1
#define FW_CSTATE_CHUNK ((size_t)512 * 1024)  /* blob bytes per chunk record at most */

struct fw_cstate;

/* What a checkpoint says besides its blob. */
struct fw_cstate_meta {
	int32_t partition;               /* records partition */
	int64_t next_offset;             /* first records offset not in the state */
	uint64_t generation;             /* grows by one per checkpoint of the partition */
};

struct fw_cstate_stats {
	uint64_t written;                /* checkpoints acknowledged by the brokers */
	uint64_t written_bytes;          /* their blob bytes */
	uint64_t write_failures;         /* checkpoints not acknowledged in time (not committed) */
	uint64_t read;                   /* checkpoints found and returned */
	uint64_t read_none;              /* reads that found no complete checkpoint */
	uint64_t read_failures;          /* reads that could not reach the end of the state partition */
	uint64_t bad_records;            /* state records not understood, skipped */
};

/* The producer and reader from cfg (kafka.brokers, rdkafka.*,
 * cluster.state_topic, which must exist). */
int fw_cstate_new(const struct fw_config *cfg, struct fw_cstate **out, char *err,
    size_t errlen) FW_MUSTCHECK;
void fw_cstate_free(struct fw_cstate *s);

/* Write one checkpoint and wait until the brokers have all of it: FW_OK,
 * or FW_EAGAIN / FW_EIO (logged) when not acknowledged within timeout_ms. */
int fw_cstate_write(struct fw_cstate *s, const struct fw_cstate_meta *m, const void *blob, size_t len,
    int64_t timeout_ms) FW_MUSTCHECK;

/*
 * The newest complete checkpoint of `partition`: reads its state partition
 * from the start to its end.  FW_OK: *m and *blob (malloc'd, the caller
 * frees it) / *len; FW_ENOENT: none; FW_EAGAIN / FW_EIO: the partition
 * could not be read to its end within timeout_ms (err says why).
 */
int fw_cstate_read(struct fw_cstate *s, int32_t partition, struct fw_cstate_meta *m, void **blob,
    size_t *len, int64_t timeout_ms, char *err, size_t errlen) FW_MUSTCHECK;

void fw_cstate_get_stats(const struct fw_cstate *s, struct fw_cstate_stats *st);

#endif /* FW_CSTATE_H */
