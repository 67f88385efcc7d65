/*
 * fw_detect.h - the streaming detector: flow and DNS records in, alert
 * events out.
 *
 * Event-time windows with bounded lateness (the wall clock closes them in
 * live mode); victims per destination host and per protected or automatic
 * prefix; DNS zones per parent domain rolled up to the registrable domain
 * (libpsl) and configured zones; EWMA baselines per victim/zone and metric;
 * vectors from the packet mix; water torture, dns_flood and flash crowds
 * told apart with exact, capped distinct-name sets.  The model, each
 * vector's rule and every tunable: README.md, "Detection".
 *
 * All tables have a fixed capacity chosen from the config at
 * fw_detect_new() (reported in stats.memory_bytes) with counted eviction;
 * nothing is allocated per record.  The same input gives the same events.
 *
 * Threading: one detector belongs to one thread (the detector thread in the
 * daemon, the replay's detector thread); nothing here locks.  The emit
 * callback runs on that thread and must copy the event before returning.
 *
 * Shards (detector.shards): several detectors, one per thread, each owning
 * the victims and zones whose key (fw_detect_key_*) maps to it.  The key
 * keeps a host with its aggregate and a DNS zone with its roll-ups, so no
 * rule needs another shard's state.  Every shard also takes the event time
 * of every record it does not own (fw_detect_times), in stream order, so
 * all clocks, learned lateness, warm-up and record counts move exactly as
 * one detector's would: the same input gives the same alerts with 1 or N
 * shards.  The detector has no global state; tables are split by
 * fw_detect_shard_config().
 */
#ifndef FW_DETECT_H
#define FW_DETECT_H

#include <stddef.h>
#include <stdint.h>

#include "fw_config.h"
#include "fw_err.h"
#include "fw_records.h"

struct fw_detect;

/* Receives each alert event; `ev` is valid only during the call. */
typedef void fw_alert_fn(void *ctx, const struct fw_alert_ev *ev);

struct fw_detect_stats {
	uint64_t flows;            /* flow records taken */
	uint64_t dnsq;             /* DNS records taken (queries and responses) */
	uint64_t late;             /* records older than the open windows (counted in the oldest) */
	uint64_t shifted;          /* flow records that began in a closed window: moved on at their own rate */
	uint64_t credits;          /* flow records reaching past the open windows: paid as a rate credit */
	uint64_t credit_merges;    /* credits merged into a longer one (NCREDIT full): smoother, never faster */
	uint64_t lateness_ms;      /* lateness in force (learned from the flow records' lag) */
	uint64_t future;           /* records too far ahead of the wall clock (or time < 0), dropped */
	uint64_t ahead;            /* live: records 1 window .. 60 s ahead of the wall clock, counted now */
	uint64_t victims;          /* victims (hosts + prefixes) tracked now */
	uint64_t victims_full;     /* record parts dropped: table full and nothing evictable */
	uint64_t evicted;          /* idle victims and zones removed by the sweep */
	uint64_t evicted_lru;      /* victims evicted to make room (least recently active) */
	uint64_t unwatched;        /* flow records outside detector.networks */
	uint64_t client_replies;   /* no networks: reply traffic to a client, fed to its prefix, not tracked as a host */
	uint64_t details_full;     /* hot victims/zones left without a heavy-hitter block */
	uint64_t suppressed;       /* hot windows not raised: covered by a prefix/zone or one host */
	uint64_t single_source;    /* hot windows not raised: one source address carries them */
	uint64_t few_sources;      /* hot windows not raised: their rise brought too few new sources */
	uint64_t windows_closed;   /* windows evaluated */
	uint64_t alerts_started;
	uint64_t alerts_ended;
	uint64_t zones;            /* DNS zones tracked now */
	uint64_t zones_full;       /* DNS records dropped: zone table full, nothing evictable */
	uint64_t zones_evicted_lru;/* zones evicted to make room */
	uint64_t dns_ignored;      /* DNS records under a public suffix, excluded or without parent */
	uint64_t dns_responses;    /* DNS response records (failure ratio only) */
	uint64_t names_saturated;  /* zone windows whose distinct-name set hit dns.distinct_cap */
	uint64_t flash_crowds;     /* hot zone windows judged a flash crowd (no alert) */
	uint64_t dns_few_clients;  /* hot zone windows whose rise fewer than dns.min_clients clients carry (no alert) */
	size_t memory_bytes;       /* fixed memory held by the tables */
	int64_t newest_event_ms;   /* newest record time taken (INT64_MIN: none yet) */
};

/*
 * Check the detector's list keys (detector.networks, dns.zones, dns.exclude)
 * without building anything: FW_OK, or FW_EINVAL with one line in err
 * naming the key.  For check-config and SIGHUP; any thread.
 */
int fw_detect_check_config(const struct fw_config *cfg, char *err, size_t errlen) FW_MUSTCHECK;

/* Build a detector sized from cfg.  FW_OK, FW_ENOMEM or FW_EINVAL (bad
 * lists: fw_detect_check_config says why). */
int fw_detect_new(const struct fw_config *cfg, fw_alert_fn *emit, void *ctx,
    struct fw_detect **out) FW_MUSTCHECK;
void fw_detect_free(struct fw_detect *d);

/*
 * SIGHUP: take cfg's tunables (thresholds, floors, multipliers, windows to
 * start/end, hysteresis, detector.networks with PREFIX@PPS, dns.zones and
 * dns.exclude) keeping every baseline, open alert (same id), window and
 * counter.  Keys that size a table or the window ring (window_ms,
 * lateness_ms, max_lateness_ms, max_victims, max_details, dns.max_zones,
 * dns.detail_zones, dns.distinct_cap) keep their built value.  FW_OK, or
 * FW_EINVAL / FW_ENOMEM with err set and nothing changed.  On the
 * detector's own thread (the daemon posts it: fw_pipeline_reconfigure).
 */
int fw_detect_reconfigure(struct fw_detect *d, const struct fw_config *cfg, char *err,
    size_t errlen) FW_MUSTCHECK;

/*
 * Feed a batch of flow / DNS records (any event-time order within lateness).
 * In replay (no wall clock) windows close only as each record's time
 * passes them, never at a batch's end, so how a stream is cut into
 * batches changes nothing.
 */
void fw_detect_flows(struct fw_detect *d, const struct fw_flow *f, size_t n);
void fw_detect_dns(struct fw_detect *d, const struct fw_dnsq *q, size_t n);

/*
 * Live mode: the wall clock closes windows when traffic stops and bounds how
 * far ahead of it a record's time may be.  Replay never calls this.
 */
void fw_detect_clock(struct fw_detect *d, int64_t now_ms);

/*
 * End of input (replay): close every open window, then end_windows empty
 * ones so open alerts go calm (reason "end_of_input"; alerts already in
 * their quiet hold end at once, reason "quiet"); nothing stays open.
 */
void fw_detect_finish(struct fw_detect *d);

/*
 * End every open alert now with `reason` (enum fw_end_reason, e.g.
 * FW_END_SHUTDOWN; FW_END_QUIET for those in their quiet hold, which had
 * gone calm), decided at now_ms; each end's ended_at is its last hot
 * window.  For a clean shutdown of the live daemon.  Returns how many.
 */
int fw_detect_end_all(struct fw_detect *d, int reason, int64_t now_ms);

void fw_detect_get_stats(const struct fw_detect *d, struct fw_detect_stats *st);

/*
 * Checkpoints (cluster.role = detector: a partition's state moves with it).
 * fw_detect_save: everything that decides future events (clock and learned
 * lateness, baselines, seasonal profiles, windows, open alerts with their
 * ids and seq, heavy hitters, DNS zones), compactly (used entries only), in
 * a versioned format (schema/detector_state.md).  *buf is malloc'd, the
 * caller frees it.  FW_OK or FW_ENOMEM.  Tunables are not saved.
 * fw_detect_restore: into a detector built by fw_detect_new with the same
 * table sizes and window (fw_detect_shard_config of the same config) by
 * the same floodwatch build; it then goes on exactly as the saved one
 * would have (same events, ids and seq), under its own tunables.  Hostile-
 * input safe: FW_ETRUNC / FW_EMALFORMED / FW_EINVAL (other sizes, layout
 * or version) with one line in err, and d is left as it was (as
 * fw_detect_new built it).  Works in a fresh detector beside d and swaps
 * on success: d's whole state is replaced.
 * Neither is for the hot path (tens of ms for a full default table, see
 * the schema page); both on the detector's thread.
 */
int fw_detect_save(const struct fw_detect *d, void **buf, size_t *len) FW_MUSTCHECK;
int fw_detect_restore(struct fw_detect *d, const void *buf, size_t len, char *err,
    size_t errlen) FW_MUSTCHECK;

/*
 * After fw_detect_restore, before the first record or fw_detect_clock:
 * carry the learned state over the time the detector was stopped (a
 * restart).  The clock jumps to now_ms (less the lateness in force)
 * without closing the windows between: nothing of the gap is scored,
 * learned or counted idle, so baselines, seasonal profiles, learned
 * lateness, warm-up progress and every victim and zone stay as saved.
 * What the stop cut off is dropped: the windows still open at the save,
 * rate credits, the partial coarse windows, the hour of the week being
 * counted (the missing hours are not learned).  An alert open in the state
 * (saved before a crash; the daemon's start ends it in SQLite, reason
 * restart) is closed without an event; ids are forgotten, so a return is
 * a new alert.  now_ms within the lateness of the saved clock: no jump.
 * Returns the open alerts closed.  On the detector's thread.
 */
int fw_detect_resume(struct fw_detect *d, int64_t now_ms);

/*
 * Back to the state fw_detect_new built (same config and emitter): for a
 * caller that restored some shards of a set and must start them all
 * fresh.  FW_OK or FW_ENOMEM (d unchanged).  On the detector's thread.
 */
int fw_detect_reset(struct fw_detect *d) FW_MUSTCHECK;

/*
 * Shards: the event times of n records another shard owns, in their place
 * in the stream (flows != 0: flow records, whose lags also teach the
 * lateness; else DNS records).  Moves the clock and the record count only;
 * counts nothing in the stats.  On the detector's thread.
 */
void fw_detect_times(struct fw_detect *d, const int64_t *t, size_t n, int flows);

/*
 * Cluster (README "Scaling out"): the lateness learned over the whole
 * stream, which a partition's detector cannot learn from its share (a DNS
 * zone's partition may hold no flows at all).  A collector feeds
 * fw_detect_lateness the event times of every record it publishes, in
 * stream order, and sends fw_detect_lateness_ms() with its batches: this is
 * the detector's own clock without victims (detect_time.c), so it learns
 * what one detector fed the same stream would.  One thread; per record a
 * few compares and an increment, nothing allocated after new.
 */
struct fw_detect_lateness;

/* FW_OK, FW_ENOMEM, or FW_EINVAL (no window). */
int fw_detect_lateness_new(const struct fw_config *cfg, struct fw_detect_lateness **out) FW_MUSTCHECK;
void fw_detect_lateness_free(struct fw_detect_lateness *l);
/* As fw_detect_times: n records' event times (flows != 0: their lags teach). */
void fw_detect_lateness_times(struct fw_detect_lateness *l, const int64_t *t, size_t n, int flows);
/* Live: the wall clock, as fw_detect_clock. */
void fw_detect_lateness_clock(struct fw_detect_lateness *l, int64_t now_ms);
/* The lateness in force: max_lateness_ms until learned, then the learned one. */
int64_t fw_detect_lateness_ms(const struct fw_detect_lateness *l);

/*
 * A partition's detector: take the lateness its collectors learned (the
 * largest of theirs; <= 0: none, keep learning here).  Held within
 * [lateness_ms, max_lateness_ms] and used instead of this detector's own
 * learning from then on (not saved: the next batch brings it again).
 */
void fw_detect_lateness_hint(struct fw_detect *d, int64_t lateness_ms);

/*
 * Shards: cfg with the detector's tables (max_victims, max_details,
 * dns.max_zones, dns.detail_zones) divided over nshards (each at least its
 * configured minimum), so N shards hold the memory of one.
 */
void fw_detect_shard_config(const struct fw_config *cfg, int nshards, struct fw_config *out);

/*
 * The shard key: records with the same key must go to the same shard.
 * Flows: the aggregate of the destination (the longest detector.networks
 * match, else the automatic /auto_prefix_v4 or /auto_prefix_v6; the host
 * when there is none).  DNS: the registrable domain (Public Suffix List) of
 * the query name's parent zone, which is what the zone rolls up to.
 * Built from cfg, read-only afterwards: any number of threads may use one.
 */
struct fw_detect_key;

int fw_detect_key_new(const struct fw_config *cfg, struct fw_detect_key **out) FW_MUSTCHECK;
void fw_detect_key_free(struct fw_detect_key *k);
uint64_t fw_detect_key_flow(const struct fw_detect_key *k, const struct fw_flow *f);
uint64_t fw_detect_key_dns(const struct fw_detect_key *k, const struct fw_dnsq *q);

/* The shard (0 .. n-1) of a key: a multiply, no division. */
static inline int
fw_detect_key_shard(uint64_t key, int n)
{
	return (int)(((key >> 32) * (uint64_t)n) >> 32);
}

#endif /* FW_DETECT_H */
