/*
 * fw_qlog_source.h - BIND query-log files as a DNS record source: whole
 * files for replay (event time from the lines) and a live follower that
 * tails the configured file from its end, through rotation (rename) and
 * truncation, without losing or repeating lines.
 */
#ifndef FW_QLOG_SOURCE_H
#define FW_QLOG_SOURCE_H

#include <stddef.h>
#include <stdint.h>

#include "fw_config.h"
#include "fw_err.h"
#include "fw_ring.h"

struct fw_qlog_stats {
	uint64_t lines;            /* complete lines read */
	uint64_t queries;          /* records produced */
	uint64_t not_query;        /* other log lines (FW_EUNSUPPORTED) */
	uint64_t malformed;        /* lines that broke the format */
	uint64_t ring_drops;       /* live: records dropped, ring full */
	uint64_t rotations;        /* live: file renamed or replaced */
	uint64_t truncations;      /* live: file cut shorter */
};

/* Check the query-log keys (dns.querylog_timezone); a fw_config_check_fn. */
int fw_qlog_source_check_config(const struct fw_config *cfg, char *err, size_t errlen) FW_MUSTCHECK;

/* Does this text look like a BIND query log?  (Any of its first lines parse.) */
int fw_qlog_sniff(const char *path);

/*
 * Replay a whole file into ring (waiting when full, never dropping).
 * FW_OK, or FW_ENOENT/FW_EIO with err set.
 */
int fw_qlog_replay(const char *path, const struct fw_config *cfg, struct fw_ring *ring,
    struct fw_qlog_stats *st, char *err, size_t errlen) FW_MUSTCHECK;

struct fw_qlog_tail;

/* Follow path (it may not exist yet) from its current end. */
int fw_qlog_tail_open(const char *path, const struct fw_config *cfg, struct fw_qlog_tail **out,
    char *err, size_t errlen) FW_MUSTCHECK;
int fw_qlog_tail_start(struct fw_qlog_tail *t, struct fw_ring *ring) FW_MUSTCHECK;
void fw_qlog_tail_stop(struct fw_qlog_tail *t);
void fw_qlog_tail_free(struct fw_qlog_tail *t);
void fw_qlog_tail_get_stats(struct fw_qlog_tail *t, struct fw_qlog_stats *st);

#endif /* FW_QLOG_SOURCE_H */
