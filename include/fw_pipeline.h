/*
 * fw_pipeline.h - the threads between the collectors and the sinks.
 *
 *   producers (listeners, replay) --SPSC rings--> detector shards
 *       --alert rings--> sink thread (SQLite)
 *       --notify queue--> notify thread (notify.exec, when set; fw_notify.h)
 *
 * A producer gets its own ring from fw_pipeline_add_ring() (or a pair
 * from fw_pipeline_add_producer()) before fw_pipeline_start(); it is the
 * only thread that pushes to it.  With detector.shards > 1 (or a pair) the
 * ring is a fan-out (fw_ring.h) that routes each record by its shard key
 * (fw_detect_key_*) and tells every shard its event time, so the alerts
 * are those of one detector whatever the number of shards.  Each shard
 * thread drains its rings in bursts and naps (futex) when they are empty.  The sink thread takes alert
 * events off the alert ring into a bounded backlog (sqlite.backlog_events)
 * and writes from there; failed writes are retried with capped exponential
 * back-off.  While writes fail it takes everything at once, so the detector
 * never waits for a failing store; while they work it takes only what fits,
 * so a slow store holds the detector back (replay stays deterministic).  An accepted event is written, or counted: dropped when the
 * backlog was full (oldest update first), or left unwritten at exit.
 * events = events_written + events_dropped + events_backlog once stopped.
 *
 * cluster.role = collector: no detector shards (fw_pipeline_shards() is 0)
 * and no alert sinks; each producer gets plain rings that the record
 * publisher (fw_recpub.h) drains to cluster.records_topic.
 *
 * Shutdown (fw_pipeline_stop): call after every producer has stopped
 * pushing.  The detector drains the rings, in replay mode closes all open
 * windows (ending alerts on event time), then the sink writes what is
 * queued (retrying for up to sqlite.flush_timeout_ms) and logs one
 * summary line per sink ("summary: sink sqlite: events accepted=...
 * written=... unwritten=... dropped=..."); both threads are joined.
 */
#ifndef FW_PIPELINE_H
#define FW_PIPELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fw_config.h"
#include "fw_detect.h"
#include "fw_err.h"
#include "fw_kafka.h"
#include "fw_notify.h"
#include "fw_recpub.h"
#include "fw_ring.h"

struct fw_pipeline;

enum fw_ring_kind { FW_RING_FLOW, FW_RING_DNS };

struct fw_pipeline_stats {
	struct fw_detect_stats det;
	uint64_t ring_drops;        /* records producers could not push */
	uint64_t events;            /* alert events from the detector */
	uint64_t events_written;    /* events committed to SQLite */
	uint64_t events_dropped;    /* accepted but dropped: the backlog was full */
	uint64_t events_backlog;    /* accepted, waiting in memory to be written; after
	                               fw_pipeline_stop(): left unwritten (lost) */
	uint64_t sink_errors;       /* failed SQLite transactions (retried) */
	struct fw_kafka_stats kafka; /* zero when Kafka is off */
	struct fw_notify_stats notify; /* zero when notify.exec is empty */
	struct fw_recpub_stats pub;  /* cluster.role = collector; zero otherwise */
	uint64_t ring_used;         /* records waiting in the producer rings now */
	uint64_t ring_capacity;     /* their total capacity */
};

/*
 * Build the pipeline and open the SQLite store (creating it).  live = true
 * lets the wall clock close windows.  On error err holds one line.
 */
int fw_pipeline_new(const struct fw_config *cfg, bool live, struct fw_pipeline **out,
    char *err, size_t errlen) FW_MUSTCHECK;

/*
 * cluster.role = detector: the sinks (SQLite with its outbox, Kafka,
 * notify) without detector shards or producers.  The detectors run on one
 * thread of the caller's (cli/cdetect.c) and hand their events to
 * fw_pipeline_emit().  The sink behaves as in live mode, except that alerts
 * found open in SQLite at start are left alone: their partition's
 * checkpoint may continue them here or at another member.
 */
int fw_pipeline_new_sinks(const struct fw_config *cfg, struct fw_pipeline **out,
    char *err, size_t errlen) FW_MUSTCHECK;

/*
 * An fw_alert_fn for the one external detector thread (ctx = the pipeline
 * of fw_pipeline_new_sinks): to notify and the alert ring; waits while the
 * ring is full, never drops.  Counted in stats.events.
 */
void fw_pipeline_emit(void *ctx, const struct fw_alert_ev *ev);

/*
 * The checkpoint barrier: wait until every event fw_pipeline_emit() took
 * so far is committed to SQLite (with its outbox row, which is what Kafka
 * is sent from) or was dropped by a full backlog (logged, counted).
 * FW_OK, or FW_EAGAIN when timeout_ms passed first (writes failing).  On
 * the emitting thread.
 */
int fw_pipeline_sync(struct fw_pipeline *p, int64_t timeout_ms) FW_MUSTCHECK;

/* A new ring for one producer thread; owned by the pipeline. Before start. */
int fw_pipeline_add_ring(struct fw_pipeline *p, enum fw_ring_kind kind,
    struct fw_ring **ring) FW_MUSTCHECK;

/*
 * One producer thread pushing flows and DNS records (replay): the two
 * rings share their lanes, so the detector sees the records in the order
 * they were pushed, across kinds too.  Before start.
 */
int fw_pipeline_add_producer(struct fw_pipeline *p, struct fw_ring **flows,
    struct fw_ring **dns) FW_MUSTCHECK;

/*
 * detector.shards = 0: one shard per CPU this process may use, less the
 * producer threads that keep a core busy, at least 1 (at most 64).
 */
int fw_pipeline_auto_shards(int producers);

/*
 * Add detector s's counters to t (first: t = s).  Counts and table gauges
 * add up; windows_closed and newest_event_ms take the largest (shards share
 * one clock).  For the detector role's per-partition detectors too.
 */
void fw_pipeline_sum_det_stats(struct fw_detect_stats *t, const struct fw_detect_stats *s, bool first);

/* The number of detector shards (threads) in use. */
int fw_pipeline_shards(const struct fw_pipeline *p);

/* Start the threads: FW_EAGAIN, or FW_EINVAL when notify.exec cannot be run (logged). */
int fw_pipeline_start(struct fw_pipeline *p) FW_MUSTCHECK;

/* Drain, finish, flush and join (see above).  Safe to call once. */
void fw_pipeline_stop(struct fw_pipeline *p);

/*
 * SIGHUP: hand over a validated config whose restart-only keys equal the
 * running one's (fw_config_reload_merge).  The detector thread takes it
 * between two bursts (fw_detect_reconfigure: state kept) and logs
 * "reloaded settings in force ..."; sqlite.retention_days applies at the
 * sink's next clean-up, notify.* to the next programs run.  Main thread
 * (one caller at a time); returns at once.
 */
void fw_pipeline_reconfigure(struct fw_pipeline *p, const struct fw_config *cfg);

/*
 * detector.state_file (live pipelines with the key set): fw_pipeline_start
 * restores every shard from it (all or none; one info line "state
 * restored from ...", or one warning and a fresh start), each shard saves
 * its detector at shutdown after ending open alerts, and fw_pipeline_stop
 * writes the file.  While running, call this from the main loop: every
 * interval_ms (0: never) it asks the shards for their state and, once all
 * have handed it over, writes the file (FILE.tmp, fsync, rename) on the
 * calling thread, never a detector's.  Main thread.
 */
void fw_pipeline_state_tick(struct fw_pipeline *p, int64_t interval_ms);

/* Counters; any thread, approximate while running. */
void fw_pipeline_get_stats(struct fw_pipeline *p, struct fw_pipeline_stats *st);

/* Fixed memory held by the detector tables and all rings (bytes). */
size_t fw_pipeline_memory_bytes(struct fw_pipeline *p);

void fw_pipeline_free(struct fw_pipeline *p);

#endif /* FW_PIPELINE_H */
