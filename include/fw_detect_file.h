/*
 * fw_detect_file.h - the standalone daemon's detector state file
 * (detector.state_file): every shard's checkpoint (fw_detect_save) in one
 * file, so a restart keeps baselines, seasonal profiles, learned lateness,
 * warm-up progress, victims and zones.  Layout: schema/detector_state.md,
 * "The state file".
 *
 * Writing is atomic: FILE.tmp is written, fsync'd and renamed over FILE
 * (then the directory is fsync'd), so a crash leaves the old file or the
 * new one, never a mix.  Loading restores all shards or none: a file of
 * another shard count, build or table sizes, or a damaged one, leaves
 * every detector as fw_detect_new built it, with one line in err.
 */
#ifndef FW_DETECT_FILE_H
#define FW_DETECT_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fw_detect.h"
#include "fw_err.h"

/* What a load found (for its log line). */
struct fw_detect_file_info {
	bool found;                /* the file existed */
	int64_t saved_ms;          /* wall clock when it was written (unix ms) */
	uint64_t bytes;            /* its size */
	uint64_t victims, zones;   /* restored, summed over the shards */
	int open_alerts;           /* alerts open in it (a crash), closed by fw_detect_resume */
};

/*
 * Write n blobs (fw_detect_save of shards 0 .. n-1, in order) to path with
 * saved_ms as their time: FILE.tmp, fsync, rename, fsync of the directory.
 * FW_OK, or a negative errno-style code with one line in err (FILE.tmp is
 * removed).  Any thread; the blobs stay the caller's.
 */
int fw_detect_file_write(const char *path, int64_t saved_ms, void *const *blobs, const size_t *lens,
    int n, char *err, size_t errlen) FW_MUSTCHECK;

/*
 * Restore the n detectors (shard i from blob i) from path, then resume
 * each at now_ms (fw_detect_resume).  FW_OK with info->found false when
 * the file does not exist (nothing changed); FW_OK with info filled when
 * all shards were restored; else a negative code with one line in err
 * naming the reason (other shard count, other build or table sizes,
 * damage, cannot read) and every detector as fw_detect_new built it.
 * Before the detectors' threads start (or on the one thread owning them).
 */
int fw_detect_file_load(const char *path, struct fw_detect *const *dets, int n, int64_t now_ms,
    struct fw_detect_file_info *info, char *err, size_t errlen) FW_MUSTCHECK;

#endif /* FW_DETECT_FILE_H */
