/*
 * pipeline.c - detector shards and the sink thread joined by SPSC rings
 * (fw_pipeline.h).
 *
 * Shards: detector.shards detector threads, each owning a detector built
 * with its share of the tables.  A producer whose records go to more than
 * one shard (or that pushes two kinds, as replay does) gets a fan-out ring
 * (fw_ring.h): per shard one record ring per kind and one lane carrying the
 * event time of every record in push order, marked where the shard owns
 * it.  A shard walks its lanes and hands its own records to its detector
 * in runs and the others' times to fw_detect_times(), so every shard's
 * clock moves as one detector's would and the alerts do not depend on the
 * number of shards.  One shard and a one-kind producer: a plain ring, as
 * fast as before.  Each shard has its own alert ring to the sink.
 *
 * Idle threads nap on a futex (fw_wake.h) for at most NAP_MS (shards) or
 * SINK_NAP_MS (sink); producers poke a napping shard once its ring holds
 * a quarter of its capacity, a shard pokes the sink with every alert, and
 * no one pays a syscall per batch while busy.
 *
 * Write path: the sink thread moves alert events from the alert rings into
 * its backlog (fw_alertq), all at once while writes fail, so no detector
 * waits for a failing store, then writes the backlog a batch per
 * transaction.  A failed write keeps the batch and backs off (fw_backoff:
 * 100 ms doubling up to sqlite.retry_max_ms), one rate-limited log line per
 * retry.  A full backlog drops (and counts, and logs) the oldest update
 * first.
 * Accounting, exact once all threads are joined:
 *   events (accepted) = events_written + events_dropped + backlog left.
 *
 * Sinks only (fw_pipeline_new_sinks, cluster.role = detector): no shards;
 * one external detector thread hands events to fw_pipeline_emit(), whose
 * alert ring the sink drains like a shard's, and fw_pipeline_sync() waits
 * until the sink's counters have caught up with what was handed.
 */
#include "fw_pipeline.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fw_alertq.h"
#include "fw_backoff.h"
#include "fw_detect_file.h"
#include "fw_kafka.h"
#include "fw_log.h"
#include "fw_names.h"
#include "fw_notify.h"
#include "fw_records.h"
#include "fw_recpub.h"
#include "fw_sqlite.h"
#include "fw_time.h"
#include "fw_wake.h"

#define MAX_PRODUCERS 64
#define MAX_SHARDS 64
#define BURST 1024
#define SINK_BURST 64
#define NAP_MS 25           /* shard: bounds the delay of a record and idle wake-ups; at
                             * 20 k datagrams/s 10 ms cost 7 % more CPU (cold caches per wake) */
#define SINK_NAP_MS 20      /* sink: Kafka wants fw_kafka_pump() often */
#define MIN_SHARD_RING 4096 /* a shard's record ring when ring_slots is split */
#define RETRY_MIN_MS 100
#define SHUTDOWN_RETRY_MAX_MS 1000  /* back-off cap inside sqlite.flush_timeout_ms */

/* One producer thread and what it pushes to. */
struct producer {
	bool kind[2];                    /* [0] flows, [1] DNS */
	bool laned;                      /* fan-out with lanes, else plain rings */
	struct fw_ring *face[2];         /* what the producer pushes to, per kind */
	struct fw_ring *rec[2][MAX_SHARDS]; /* per kind and shard (plain: [k][0] == face[k]) */
	struct fw_ring *lane[MAX_SHARDS];
};

struct shard {
	struct fw_wake wake;             /* producers poke it (own cache line) */
	struct fw_pipeline *p;
	struct fw_detect *det;
	struct fw_ring *alerts;          /* this shard -> sink */
	pthread_t thread;
	uint64_t reconf_gen;             /* last config generation taken */
	struct fw_detect_stats st;       /* snapshot, under p->stats_lock */
	struct fw_config cfg;            /* this shard's config (tables split) */
	int64_t times[BURST];            /* scratch: others' event times */
	uint64_t state_gen;              /* last state generation handed over */
	int idx;
	bool started;
};

struct fw_pipeline {
	struct fw_wake sink_wake;        /* shards poke it with alerts (own cache line) */
	struct fw_detect_key *key;       /* routing; NULL with one shard */
	struct fw_detect_lateness *lat;  /* collector role: learns over the stream (publisher thread) */
	struct fw_sqlite *db;
	struct fw_kafka *kafka;          /* NULL when kafka.brokers is empty */
	struct fw_notify *notify;        /* NULL when notify.exec is empty */
	struct fw_recpub *pub;           /* cluster.role = collector: instead of shards and sinks */
	pthread_t sink_thread;
	_Atomic uint64_t events, events_written, sink_errors;
	_Atomic uint64_t events_dropped; /* backlog full: accepted, never written */
	_Atomic uint64_t backlog_now;    /* events in the backlog (gauge) */
	_Atomic uint64_t reconf_gen;     /* bumped per posted config */
	_Atomic int64_t retention_days;  /* sqlite.retention_days, read by the sink thread */
	/* Sink-thread state. */
	struct fw_alertq *backlog;       /* accepted, not yet written */
	int64_t failing_since_ms;        /* monotonic; 0 while writes work */
	pthread_mutex_t stats_lock;      /* guards the shards' stats snapshots */
	/* SIGHUP: the main thread posts a config, each shard takes it between
	 * two bursts (fw_pipeline_reconfigure). */
	pthread_mutex_t reconf_lock;     /* guards reconf_cfg */
	struct fw_backoff backoff;       /* between failed writes */
	struct shard *shards[MAX_SHARDS];
	struct fw_ring *alert_rings[MAX_SHARDS]; /* what the sink drains: the shards' or ext */
	struct fw_ring *ext;             /* sinks only: fw_pipeline_emit()'s ring */
	int nalert;
	struct fw_alert_ev sink_dropped;            /* the event a full backlog dropped */
	struct fw_config cfg;
	struct fw_config reconf_cfg;
	struct producer prod[MAX_PRODUCERS];
	struct fw_alert_ev sink_in[SINK_BURST];     /* alert ring -> backlog */
	struct fw_alert_ev sink_batch[SINK_BURST];  /* backlog -> SQLite */
	int nshards;
	int nprod;
	_Atomic int producers_done;      /* set by stop(): rings get no more records */
	_Atomic int shards_running;
	_Atomic int detector_done;       /* set when the last shard thread exits */
	bool live;
	bool det_started, sink_started;
	/* detector.state_file (live only): each shard saves its detector on
	 * its own thread when asked (state_gen) and at shutdown, and hands the
	 * blob over here; the main thread writes the file (state_write). */
	bool state_on;
	_Atomic uint64_t state_gen;      /* bumped by the main thread: save now */
	pthread_mutex_t state_lock;      /* guards the state_* below */
	void *state_blob[MAX_SHARDS];    /* each shard's latest blob (owned) */
	size_t state_len[MAX_SHARDS];
	uint64_t state_have[MAX_SHARDS]; /* generation of each (STATE_FINAL: after end_all) */
	int64_t state_pause_ms;          /* longest save on a shard since the last write */
	int64_t state_next_ms;           /* main thread: next periodic request (monotonic) */
};

#define STATE_FINAL UINT64_MAX

int
fw_pipeline_auto_shards(int producers)
{
	cpu_set_t set;
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	long n;

	/* The CPUs this process may run on (taskset, cpusets), when known. */
	if (sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_COUNT(&set) > 0)
		cores = CPU_COUNT(&set);
	n = cores - producers;
	return n < 1 ? 1 : n > MAX_SHARDS ? MAX_SHARDS : (int)n;
}

/* Shard -> its alert ring; waits rather than lose an accepted alert.  The
 * notify hook gets its copy first, through its own queue, which never waits. */
static void
on_alert(void *ctx, const struct fw_alert_ev *ev)
{
	struct shard *s = ctx;

	if (s->p->notify != NULL)
		fw_notify_post(s->p->notify, ev);
	fw_ring_sp_push_wait(s->alerts, ev, 1);
	atomic_fetch_add(&s->p->events, 1);
}

/* The producers' routing (fan-out rings), on the producer's thread. */
static int
route_flow(void *ctx, const void *elem, int64_t *time_ms)
{
	const struct fw_pipeline *p = ctx;
	const struct fw_flow *f = elem;

	*time_ms = f->end_ms;
	return p->nshards == 1 ? 0 : fw_detect_key_shard(fw_detect_key_flow(p->key, f), p->nshards);
}

static int
route_dns(void *ctx, const void *elem, int64_t *time_ms)
{
	const struct fw_pipeline *p = ctx;
	const struct fw_dnsq *q = elem;

	*time_ms = q->time_ms;
	return p->nshards == 1 ? 0 : fw_detect_key_shard(fw_detect_key_dns(p->key, q), p->nshards);
}

/* Collector role: a record's partition of the records topic is its
 * detector shard among nparts (README "Scaling out").  Every record passes
 * here once, in stream order, on the publisher thread: its time also goes
 * to the lateness learner, as a standalone detector's clock would take it. */
static int
pub_route_flow(void *ctx, const void *rec, int nparts)
{
	const struct fw_pipeline *p = ctx;

	fw_detect_lateness_times(p->lat, &((const struct fw_flow *)rec)->end_ms, 1, 1);
	return fw_detect_key_shard(fw_detect_key_flow(p->key, rec), nparts);
}

static int
pub_route_dns(void *ctx, const void *rec, int nparts)
{
	const struct fw_pipeline *p = ctx;

	fw_detect_lateness_times(p->lat, &((const struct fw_dnsq *)rec)->time_ms, 1, 0);
	return fw_detect_key_shard(fw_detect_key_dns(p->key, rec), nparts);
}

/* The lateness for the next batch header (publisher thread). */
static int64_t
pub_lateness(void *ctx)
{
	struct fw_pipeline *p = ctx;

	if (p->live)
		fw_detect_lateness_clock(p->lat, fw_time_now_ms());
	return fw_detect_lateness_ms(p->lat);
}

/* n records of one kind straight from a ring to the detector (in place). */
static void
take_records(struct shard *s, struct fw_ring *r, bool dns, size_t n)
{
	while (n > 0) {
		const void *at;
		size_t got = fw_ring_sc_peek(r, &at, n);

		/* The producer published these records before their lane entries. */
		if (got == 0)
			abort();
		if (dns)
			fw_detect_dns(s->det, at, got);
		else
			fw_detect_flows(s->det, at, got);
		fw_ring_sc_release(r, got);
		n -= got;
	}
}

/* A run of lane entries of one kind and ownership to the detector. */
static void
take_run(struct shard *s, struct producer *pr, const uint64_t *e, size_t n)
{
	int k = (e[0] & FW_RING_LANE_K2) != 0;

	if (e[0] & FW_RING_LANE_OWN) {
		take_records(s, pr->rec[k][s->idx], k == 1, n);
		return;
	}
	for (size_t i = 0; i < n; i++)
		s->times[i] = fw_ring_lane_time(e[i]);
	fw_detect_times(s->det, s->times, n, k == 0);
}

/* One span of a producer's lane: own records in runs, the rest as times. */
static size_t
drain_lane(struct shard *s, struct producer *pr)
{
	const uint64_t m = FW_RING_LANE_OWN | FW_RING_LANE_K2;
	struct fw_ring *lane = pr->lane[s->idx];
	const void *at;
	const uint64_t *e;
	size_t n = fw_ring_sc_peek(lane, &at, BURST), i = 0;

	e = at;
	while (i < n) {
		size_t j = i + 1;

		while (j < n && (e[j] & m) == (e[i] & m))
			j++;
		take_run(s, pr, &e[i], j - i);
		i = j;
	}
	fw_ring_sc_release(lane, n);
	return n;
}

/* A plain ring: a span in place. */
static size_t
drain_plain(struct shard *s, struct fw_ring *r, bool dns)
{
	const void *at;
	size_t n = fw_ring_sc_peek(r, &at, BURST);

	if (n == 0)
		return 0;
	if (dns)
		fw_detect_dns(s->det, at, n);
	else
		fw_detect_flows(s->det, at, n);
	fw_ring_sc_release(r, n);
	return n;
}

static size_t
drain_once(struct shard *s)
{
	struct fw_pipeline *p = s->p;
	size_t total = 0;

	for (int i = 0; i < p->nprod; i++) {
		struct producer *pr = &p->prod[i];

		if (pr->laned) {
			total += drain_lane(s, pr);
			continue;
		}
		for (int k = 0; k < 2; k++)
			if (pr->kind[k])
				total += drain_plain(s, pr->rec[k][0], k == 1);
	}
	return total;
}

/* Anything waiting for this shard (before a nap). */
static bool
pending(const struct shard *s)
{
	const struct fw_pipeline *p = s->p;

	for (int i = 0; i < p->nprod; i++) {
		const struct producer *pr = &p->prod[i];

		if (pr->laned ? fw_ring_count(pr->lane[s->idx]) > 0 :
		    (pr->kind[0] && fw_ring_count(pr->rec[0][0]) > 0) || (pr->kind[1] && fw_ring_count(pr->rec[1][0]) > 0))
			return true;
	}
	return false;
}

static void
snapshot(struct shard *s)
{
	pthread_mutex_lock(&s->p->stats_lock);
	fw_detect_get_stats(s->det, &s->st);
	pthread_mutex_unlock(&s->p->stats_lock);
}

/* Shard thread: apply a posted config between bursts (no record is
 * half-taken, no window half-closed), keeping all state. */
static void
take_reconfig(struct shard *s)
{
	struct fw_pipeline *p = s->p;
	struct fw_detect_stats st;
	struct fw_config next;
	uint64_t open_alerts, gen = atomic_load_explicit(&p->reconf_gen, memory_order_acquire);
	char err[256];

	if (gen == s->reconf_gen)
		return;
	pthread_mutex_lock(&p->reconf_lock);
	s->reconf_gen = atomic_load_explicit(&p->reconf_gen, memory_order_relaxed);
	fw_detect_shard_config(&p->reconf_cfg, p->nshards, &next);
	pthread_mutex_unlock(&p->reconf_lock);
	if (fw_detect_reconfigure(s->det, &next, err, sizeof(err)) != FW_OK) {
		fw_log(FW_LOG_ERR, "detector", "reload not applied, old settings kept: %s", err);
		return;
	}
	s->cfg = next;
	if (s->idx != 0)
		return;  /* one line for all shards */
	fw_detect_get_stats(s->det, &st);
	open_alerts = st.alerts_started - st.alerts_ended;
	fw_log(FW_LOG_INFO, "detector", "reloaded settings in force after %llu windows; kept: victims=%llu "
	    "zones=%llu open_alerts=%llu with their baselines and windows (%s%s)", (unsigned long long)st.windows_closed,
	    (unsigned long long)st.victims, (unsigned long long)st.zones,
	    (unsigned long long)open_alerts,
	    st.windows_closed >= (uint64_t)next.warmup_windows ? "past warm-up" : "still in warm-up",
	    p->nshards > 1 ? "; counts of shard 0" : "");
}

/* Save the detector and hand the blob to the writer: the detector stops
 * for the time fw_detect_save takes (measured: state_pause_ms). */
static void
state_give(struct shard *s, uint64_t gen)
{
	struct fw_pipeline *p = s->p;
	int64_t t0 = fw_time_mono_ms(), took;
	void *blob = NULL;
	size_t len = 0;
	int rc = fw_detect_save(s->det, &blob, &len);

	s->state_gen = gen;
	took = fw_time_mono_ms() - t0;
	if (rc != FW_OK) {
		FW_LOG_RL(FW_LOG_WARN, "detector", "state: shard %d cannot save: %s", s->idx, fw_strerror(rc));
		return;
	}
	pthread_mutex_lock(&p->state_lock);
	free(p->state_blob[s->idx]);
	p->state_blob[s->idx] = blob;
	p->state_len[s->idx] = len;
	p->state_have[s->idx] = gen;
	if (took > p->state_pause_ms)
		p->state_pause_ms = took;
	pthread_mutex_unlock(&p->state_lock);
}

static void *
shard_main(void *arg)
{
	struct shard *s = arg;
	struct fw_pipeline *p = s->p;
	int64_t last_tick = 0;
	char tname[16];

	snprintf(tname, sizeof(tname), "fw-detect-%d", s->idx);
	pthread_setname_np(pthread_self(), p->nshards == 1 ? "fw-detect" : tname);

	for (;;) {
		size_t n;
		int64_t now;
		uint32_t ticket;

		take_reconfig(s);
		n = drain_once(s);
		now = fw_time_mono_ms();

		if (now - last_tick >= 100) {
			if (p->live)
				fw_detect_clock(s->det, fw_time_now_ms());
			if (p->state_on && atomic_load(&p->state_gen) != s->state_gen)
				state_give(s, atomic_load(&p->state_gen));
			snapshot(s);
			last_tick = now;
		}
		if (n > 0)
			continue;
		if (atomic_load(&p->producers_done)) {
			/* Producers stopped before this check: one last drain sees all. */
			while (drain_once(s) > 0)
				;
			break;
		}
		/* Idle: nap until a producer has a quarter of a ring for us, or
		 * NAP_MS; records gather meanwhile (rings hold 64 k). */
		ticket = fw_wake_prepare(&s->wake);
		if (pending(s) || atomic_load(&p->producers_done) || atomic_load(&p->reconf_gen) != s->reconf_gen)
			fw_wake_cancel(&s->wake);
		else
			fw_wake_wait(&s->wake, ticket, NAP_MS);
	}
	if (!p->live) {
		fw_detect_finish(s->det);
	} else {
		/* No alert outlives the daemon: end what is open, before the sink's
		 * last batch and the Kafka drain (DESIGN contract 10). */
		int n = fw_detect_end_all(s->det, FW_END_SHUTDOWN, fw_time_now_ms());

		if (n > 0)
			fw_log(FW_LOG_INFO, "detector", "%d open alert%s ended (reason shutdown)", n, n == 1 ? "" : "s");
		if (p->state_on)
			state_give(s, STATE_FINAL);  /* after the ends: nothing open is saved */
	}
	snapshot(s);
	if (atomic_fetch_sub(&p->shards_running, 1) == 1) {
		atomic_store(&p->detector_done, 1);
		fw_wake_kick(&p->sink_wake);
	}
	return NULL;
}

/* Alert events waiting in the shards' rings. */
static size_t
alerts_waiting(const struct fw_pipeline *p)
{
	size_t n = 0;

	for (int i = 0; i < p->nalert; i++)
		n += fw_ring_count(p->alert_rings[i]);
	return n;
}

/*
 * Alert ring -> backlog.  While writes fail, all of it (a full backlog
 * drops): the detector hands off and goes on.  While writes work, only
 * what fits: a slow but healthy store holds the detector back through the
 * alert ring as before, so replay never drops and stays deterministic.
 */
static void
take_alerts(struct fw_pipeline *p)
{
	const struct fw_alert_ev *d = &p->sink_dropped;
	int idle = 0;

	/* Round robin over the shards' rings until a full round finds none. */
	for (int sh = 0; idle < p->nalert; sh = sh + 1 < p->nalert ? sh + 1 : 0) {
		size_t max = SINK_BURST, room, n;

		room = fw_alertq_capacity(p->backlog) - fw_alertq_count(p->backlog);
		if (p->failing_since_ms == 0 && room < max)
			max = room;
		if (max == 0)
			break;
		if ((n = fw_ring_sc_pop_burst(p->alert_rings[sh], p->sink_in, max)) == 0) {
			idle++;
			continue;
		}
		idle = 0;
		for (size_t i = 0; i < n; i++) {
			uint64_t k;

			if (!fw_alertq_push(p->backlog, &p->sink_in[i], &p->sink_dropped))
				continue;
			/* A full disk drops events in a steady stream: log the 1st, 2nd,
			 * 4th, 8th ... drop, so the lines stay few whatever the rate and
			 * the count is exact (and in the exit summary). */
			k = atomic_fetch_add(&p->events_dropped, 1) + 1;
			if ((k & (k - 1)) == 0)
				fw_log(FW_LOG_ERR, "sqlite", "backlog full (%zu events): dropped %s event %u of alert %s "
				    "(victim %s); %llu accepted events dropped so far (next line at %llu)",
				    fw_alertq_capacity(p->backlog), fw_event_name(d->event), (unsigned)d->seq, d->id,
				    d->victim, (unsigned long long)k, (unsigned long long)k * 2);
		}
	}
	atomic_store(&p->backlog_now, fw_alertq_count(p->backlog));
}

/*
 * Write the oldest batch of the backlog unless backing off.  Returns the
 * number of events written (0: nothing due, nothing queued, or failed).
 */
static size_t
write_backlog(struct fw_pipeline *p, int64_t now)
{
	size_t n;
	int64_t delay;

	if (!fw_backoff_ready(&p->backoff, now) ||
	    (n = fw_alertq_peek(p->backlog, p->sink_batch, SINK_BURST)) == 0)
		return 0;
	/* The alert and its outbox row commit together, or neither does. */
	if (fw_sqlite_write(p->db, p->sink_batch, n, p->kafka != NULL) == FW_OK) {
		fw_alertq_pop(p->backlog, n);
		atomic_fetch_add(&p->events_written, n);
		atomic_store(&p->backlog_now, fw_alertq_count(p->backlog));
		if (p->failing_since_ms != 0) {
			fw_log(FW_LOG_INFO, "sqlite", "writes work again after %llu failed tries in %.1f s; "
			    "%zu backlogged events left to write", (unsigned long long)p->backoff.failures,
			    (double)(now - p->failing_since_ms) / 1000.0, fw_alertq_count(p->backlog));
			p->failing_since_ms = 0;
		}
		fw_backoff_ok(&p->backoff);
		return n;
	}
	atomic_fetch_add(&p->sink_errors, 1);
	if (p->failing_since_ms == 0)
		p->failing_since_ms = now;
	delay = fw_backoff_fail(&p->backoff, now);
	/* One line per retry (the back-off spaces them); the limiter is a second guard. */
	FW_LOG_RL(FW_LOG_ERR, "sqlite", "writing %zu alert events failed: %s; %zu accepted events wait "
	    "in memory (backlog holds %zu), next try in %lld ms", n, fw_sqlite_errmsg(p->db),
	    fw_alertq_count(p->backlog), fw_alertq_capacity(p->backlog), (long long)delay);
	return 0;
}

/* The exit summary: every accepted event is written, unwritten or dropped. */
static void
log_summary(struct fw_pipeline *p)
{
	uint64_t acc = atomic_load(&p->events), wr = atomic_load(&p->events_written);
	uint64_t dr = atomic_load(&p->events_dropped), left = fw_alertq_count(p->backlog);
	uint64_t not_written = left + dr;
	bool lost = not_written > 0;

	fw_log(lost ? FW_LOG_ERR : FW_LOG_INFO, "summary", "sink sqlite: events accepted=%llu written=%llu "
	    "unwritten=%llu dropped=%llu%s", (unsigned long long)acc, (unsigned long long)wr,
	    (unsigned long long)left, (unsigned long long)dr,
	    lost ? " (unwritten: still in memory at exit; dropped: backlog full; both are lost)" : "");
	if (p->kafka != NULL) {
		struct fw_kafka_stats ks;

		fw_kafka_get_stats(p->kafka, &ks);
		/* Kafka gets events only through the outbox, written with the alert. */
		fw_log(ks.backlog > 0 || lost ? FW_LOG_WARN : FW_LOG_INFO, "summary",
		    "sink kafka: events accepted=%llu queued=%llu not_queued=%llu delivered=%llu "
		    "in_outbox=%lld (delivered but not cleared=%lld; sent again at the next start)",
		    (unsigned long long)acc, (unsigned long long)wr, (unsigned long long)not_written,
		    (unsigned long long)ks.delivered, (long long)ks.backlog, (long long)ks.acked_unrecorded);
	}
}

static void *
sink_main(void *arg)
{
	struct fw_pipeline *p = arg;
	int64_t last_housekeeping = 0, deadline = 0;

	pthread_setname_np(pthread_self(), "fw-sink");

	for (;;) {
		int64_t now;
		size_t n;

		take_alerts(p);
		now = fw_time_mono_ms();
		n = write_backlog(p, now);
		if (p->kafka != NULL)
			fw_kafka_pump(p->kafka, p->db);
		if (p->live && now - last_housekeeping >= 60000) {
			/* Live only: a replay of old captures must not delete what it writes. */
			int64_t days = atomic_load(&p->retention_days);
			/* Small batches keep each write transaction short. */
			while (days > 0 && fw_sqlite_retention(p->db, days, fw_time_now_ms(), 500) == 500)
				;
			last_housekeeping = now;
		}
		if (n > 0)
			continue;
		if (atomic_load(&p->detector_done) && alerts_waiting(p) == 0) {
			if (fw_alertq_count(p->backlog) == 0)
				break;
			if (deadline == 0) {
				/* Stopping with a backlog: quick retries, bounded in time. */
				uint64_t failures = p->backoff.failures;

				deadline = now + p->cfg.sqlite_flush_timeout_ms;
				fw_backoff_init(&p->backoff, RETRY_MIN_MS,
				    p->cfg.sqlite_retry_max_ms < SHUTDOWN_RETRY_MAX_MS ?
				    p->cfg.sqlite_retry_max_ms : SHUTDOWN_RETRY_MAX_MS);
				p->backoff.failures = failures;  /* for the "work again after N tries" line */
				fw_log(FW_LOG_WARN, "sqlite", "stopping with %zu accepted events not yet written; "
				    "retrying for up to %lld ms (sqlite.flush_timeout_ms)", fw_alertq_count(p->backlog),
				    (long long)p->cfg.sqlite_flush_timeout_ms);
				continue;
			}
			if (now >= deadline)
				break;
		}
		{
			/* Idle: a shard pokes with its next alert. */
			uint32_t ticket = fw_wake_prepare(&p->sink_wake);

			if (alerts_waiting(p) > 0 || (atomic_load(&p->detector_done) && deadline == 0))
				fw_wake_cancel(&p->sink_wake);
			else
				fw_wake_wait(&p->sink_wake, ticket, SINK_NAP_MS);
		}
	}
	if (p->kafka != NULL) {
		int64_t left = fw_kafka_drain(p->kafka, p->db, p->cfg.kafka_flush_timeout_ms);

		if (left < 0)
			fw_log(FW_LOG_WARN, "kafka", "cannot count the outbox rows left: %s", fw_sqlite_errmsg(p->db));
		else if (left > 0)
			fw_log(FW_LOG_WARN, "kafka", "%lld alert events still in the outbox (not acknowledged by the "
			    "brokers, or acknowledged but not cleared); they are sent on the next start",
			    (long long)left);
		else
			fw_log(FW_LOG_INFO, "kafka", "outbox drained: every alert event acknowledged");
	}
	log_summary(p);
	return NULL;
}

/*
 * The daemon starts: alerts a killed or crashed run left open get their end
 * (reason restart), to SQLite and, through the outbox, to Kafka.  Replay
 * leaves them alone (it may share the database with a running daemon).
 * A failure is logged, not fatal: they are ended at the next start.
 */
/* An alert a killed run left open, ended now: the hook may have to undo
 * what its start did (an ExaBGP blackhole route, say). */
static void
notify_restart_end(void *ctx, const struct fw_alert_ev *ev)
{
	struct fw_pipeline *p = ctx;

	fw_notify_post(p->notify, ev);
}

static void
end_left_open(struct fw_pipeline *p)
{
	int n = fw_sqlite_end_open(p->db, FW_END_RESTART, fw_time_now_ms(), p->kafka != NULL,
	    p->notify != NULL ? notify_restart_end : NULL, p);

	if (n > 0)
		fw_log(FW_LOG_INFO, "sqlite", "%d alert%s left open by the previous run ended (reason restart)",
		    n, n == 1 ? "" : "s");
	else if (n < 0)
		fw_log(FW_LOG_WARN, "sqlite", "alerts left open by the previous run could not be ended: %s",
		    fw_strerror(n));
}

static void
shard_free(struct shard *s)
{
	if (s == NULL)
		return;
	fw_ring_free(s->alerts);
	fw_detect_free(s->det);
	free(s);
}

static int
shard_new(struct fw_pipeline *p, int idx, struct shard **out)
{
	struct shard *s;
	int rc;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return FW_ENOMEM;
	s->p = p;
	s->idx = idx;
	fw_wake_init(&s->wake);
	fw_detect_shard_config(&p->cfg, p->nshards, &s->cfg);
	if ((rc = fw_ring_new((size_t)p->cfg.alert_slots, sizeof(struct fw_alert_ev), &s->alerts)) != FW_OK ||
	    (rc = fw_detect_new(&s->cfg, on_alert, s, &s->det)) != FW_OK) {
		shard_free(s);
		return rc;
	}
	fw_ring_set_wake(s->alerts, &p->sink_wake, 1);
	*out = s;
	return FW_OK;
}

/* nshards 0: sinks only, with the external alert ring. */
static int
pipeline_new(const struct fw_config *cfg, bool live, int nshards, struct fw_pipeline **out,
    char *err, size_t errlen)
{
	struct fw_pipeline *p;
	int rc;

	if ((p = calloc(1, sizeof(*p))) == NULL)
		return FW_ENOMEM;
	p->cfg = *cfg;
	p->live = live;
	p->nshards = nshards;
	pthread_mutex_init(&p->stats_lock, NULL);
	pthread_mutex_init(&p->reconf_lock, NULL);
	pthread_mutex_init(&p->state_lock, NULL);
	/* Standalone only: cluster members keep their state in the state topic. */
	p->state_on = live && nshards > 0 && strcmp(cfg->cluster_role, "standalone") == 0 &&
	    cfg->detector_state_file[0] != '\0';
	fw_wake_init(&p->sink_wake);
	atomic_store(&p->retention_days, cfg->sqlite_retention_days);
	fw_backoff_init(&p->backoff, RETRY_MIN_MS, cfg->sqlite_retry_max_ms);
	if (strcmp(cfg->cluster_role, "collector") == 0) {
		/* No detector, no alert sinks: the publisher takes the records. */
		p->nshards = 0;
		if ((rc = fw_detect_key_new(cfg, &p->key)) != FW_OK ||
		    (rc = fw_detect_lateness_new(cfg, &p->lat)) != FW_OK) {
			snprintf(err, errlen, "cannot build the pipeline: %s", fw_strerror(rc));
			goto fail;
		}
		if ((rc = fw_recpub_new(cfg, live, pub_route_flow, pub_route_dns, p, &p->pub, err, errlen)) != FW_OK)
			goto fail;
		fw_recpub_set_lateness(p->pub, pub_lateness);
		*out = p;
		return FW_OK;
	}
	if ((rc = fw_alertq_new((size_t)cfg->sqlite_backlog_events, &p->backlog)) != FW_OK ||
	    (p->nshards > 1 && (rc = fw_detect_key_new(cfg, &p->key)) != FW_OK)) {
		snprintf(err, errlen, "cannot build the pipeline: %s", fw_strerror(rc));
		goto fail;
	}
	for (int i = 0; i < p->nshards; i++) {
		if ((rc = shard_new(p, i, &p->shards[i])) != FW_OK) {
			snprintf(err, errlen, "cannot build the pipeline: %s", fw_strerror(rc));
			goto fail;
		}
		p->alert_rings[p->nalert++] = p->shards[i]->alerts;
	}
	if (nshards == 0) {
		if ((rc = fw_ring_new((size_t)cfg->alert_slots, sizeof(struct fw_alert_ev), &p->ext)) != FW_OK) {
			snprintf(err, errlen, "cannot build the pipeline: %s", fw_strerror(rc));
			goto fail;
		}
		fw_ring_set_wake(p->ext, &p->sink_wake, 1);
		p->alert_rings[p->nalert++] = p->ext;
	}
	if ((rc = fw_sqlite_open(cfg->sqlite_path, &p->db, err, errlen)) != FW_OK)
		goto fail;
	if (cfg->kafka_brokers[0] != '\0' &&
	    (rc = fw_kafka_new(cfg, &p->kafka, err, errlen)) != FW_OK)
		goto fail;
	if (cfg->notify_exec[0] != '\0' &&
	    (rc = fw_notify_new(cfg, &p->notify, err, errlen)) != FW_OK)
		goto fail;
	/* Sinks only: an alert left open may go on at another member (its
	 * partition's checkpoint): not ended here. */
	if (live && nshards > 0)
		end_left_open(p);
	*out = p;
	return FW_OK;
fail:
	fw_pipeline_free(p);
	return rc;
}

int
fw_pipeline_new(const struct fw_config *cfg, bool live, struct fw_pipeline **out,
    char *err, size_t errlen)
{
	return pipeline_new(cfg, live, cfg->detector_shards < 1 ? 1 : cfg->detector_shards > MAX_SHARDS ?
	    MAX_SHARDS : (int)cfg->detector_shards, out, err, errlen);
}

int
fw_pipeline_new_sinks(const struct fw_config *cfg, struct fw_pipeline **out, char *err, size_t errlen)
{
	return pipeline_new(cfg, true, 0, out, err, errlen);
}

void
fw_pipeline_emit(void *ctx, const struct fw_alert_ev *ev)
{
	struct fw_pipeline *p = ctx;

	if (p->notify != NULL)
		fw_notify_post(p->notify, ev);
	fw_ring_sp_push_wait(p->ext, ev, 1);
	atomic_fetch_add(&p->events, 1);
}

int
fw_pipeline_sync(struct fw_pipeline *p, int64_t timeout_ms)
{
	uint64_t want = atomic_load(&p->events);
	int64_t deadline = fw_time_mono_ms() + timeout_ms;

	/* A dropped event (backlog full, logged) will never be written: it
	 * counts as done, or one full disk would stop every checkpoint. */
	while (atomic_load(&p->events_written) + atomic_load(&p->events_dropped) < want) {
		if (fw_time_mono_ms() >= deadline)
			return FW_EAGAIN;
		fw_wake_kick(&p->sink_wake);
		usleep(1000);
	}
	return FW_OK;
}

/* A producer's rings: plain with one shard and one kind, else fan-outs. */
static int
add_producer(struct fw_pipeline *p, bool flows, bool dns, bool laned)
{
	static const size_t elem[2] = { sizeof(struct fw_flow), sizeof(struct fw_dnsq) };
	static fw_ring_route_fn *const route[2] = { route_flow, route_dns };
	struct producer *pr;
	size_t slots = (size_t)p->cfg.ring_slots;
	int rc;

	if (p->nprod >= MAX_PRODUCERS || p->det_started || (p->nshards == 0 && p->pub == NULL))
		return FW_EINVAL;
	pr = &p->prod[p->nprod];
	memset(pr, 0, sizeof(*pr));
	pr->kind[0] = flows;
	pr->kind[1] = dns;
	pr->laned = laned && p->pub == NULL;
	p->nprod++;  /* from here on fw_pipeline_free() frees what is made */
	if (p->pub != NULL) {
		/* Collector: plain rings, one per kind, drained by the publisher. */
		for (int k = 0; k < 2; k++) {
			if (!pr->kind[k])
				continue;
			if ((rc = fw_ring_new(slots, elem[k], &pr->rec[k][0])) != FW_OK ||
			    (rc = fw_recpub_add_ring(p->pub, pr->rec[k][0], k == 1)) != FW_OK)
				return rc;
			pr->face[k] = pr->rec[k][0];
		}
		return FW_OK;
	}
	if (!laned) {
		int k = flows ? 0 : 1;

		if ((rc = fw_ring_new(slots, elem[k], &pr->rec[k][0])) != FW_OK)
			return rc;
		pr->face[k] = pr->rec[k][0];
		/* Lone producer of one shard: the shard naps on this ring. */
		fw_ring_set_wake(pr->face[k], &p->shards[0]->wake, fw_ring_capacity(pr->face[k]) / 4);
		return FW_OK;
	}
	/* ring_slots per producer, split over the shards; lanes carry every record. */
	if (p->nshards > 1)
		slots = slots / (size_t)p->nshards > MIN_SHARD_RING ? slots / (size_t)p->nshards :
		    (slots > MIN_SHARD_RING ? MIN_SHARD_RING : slots);
	for (int s = 0; s < p->nshards; s++) {
		if ((rc = fw_ring_new((size_t)p->cfg.ring_slots < 256 ? 256 : (size_t)p->cfg.ring_slots,
		    sizeof(uint64_t), &pr->lane[s])) != FW_OK)
			return rc;
		fw_ring_set_wake(pr->lane[s], &p->shards[s]->wake, fw_ring_capacity(pr->lane[s]) / 4);
		for (int k = 0; k < 2; k++)
			if (pr->kind[k] && (rc = fw_ring_new(slots < 256 ? 256 : slots, elem[k], &pr->rec[k][s])) != FW_OK)
				return rc;
	}
	for (int k = 0; k < 2; k++)
		if (pr->kind[k] && (rc = fw_ring_new_fanout(pr->rec[k], pr->lane, p->nshards, k, route[k], p,
		    &pr->face[k])) != FW_OK)
			return rc;
	return FW_OK;
}

int
fw_pipeline_add_ring(struct fw_pipeline *p, enum fw_ring_kind kind, struct fw_ring **ring)
{
	int k = kind == FW_RING_FLOW ? 0 : 1;
	int rc = add_producer(p, k == 0, k == 1, p->nshards > 1);

	if (rc == FW_OK)
		*ring = p->prod[p->nprod - 1].face[k];
	return rc;
}

int
fw_pipeline_add_producer(struct fw_pipeline *p, struct fw_ring **flows, struct fw_ring **dns)
{
	int rc = add_producer(p, true, true, true);

	if (rc == FW_OK) {
		*flows = p->prod[p->nprod - 1].face[0];
		*dns = p->prod[p->nprod - 1].face[1];
	}
	return rc;
}

/*
 * Write the state file when every shard has handed a blob of generation
 * gen (the blobs are taken: written once).  Main thread.  final: at
 * shutdown, logged at info (a missing blob is a warning there).
 */
static void
state_write(struct fw_pipeline *p, uint64_t gen, bool final)
{
	void *blob[MAX_SHARDS];
	size_t len[MAX_SHARDS], total = 0;
	int64_t pause, t0;
	char err[512];
	int rc, i;

	pthread_mutex_lock(&p->state_lock);
	for (i = 0; i < p->nshards && p->state_blob[i] != NULL && p->state_have[i] == gen; i++)
		;
	if (i < p->nshards) {
		pthread_mutex_unlock(&p->state_lock);
		if (final)
			fw_log(FW_LOG_WARN, "detector", "state not saved to %s: shard %d has no state to save",
			    p->cfg.detector_state_file, i);
		return;
	}
	for (i = 0; i < p->nshards; i++) {
		blob[i] = p->state_blob[i];
		len[i] = p->state_len[i];
		total += len[i];
		p->state_blob[i] = NULL;
	}
	pause = p->state_pause_ms;
	p->state_pause_ms = 0;
	pthread_mutex_unlock(&p->state_lock);
	t0 = fw_time_mono_ms();
	rc = fw_detect_file_write(p->cfg.detector_state_file, fw_time_now_ms(), blob, len, p->nshards,
	    err, sizeof(err));
	if (rc != FW_OK)
		fw_log(FW_LOG_WARN, "detector", "state not saved: %s", err);
	else
		fw_log(final ? FW_LOG_INFO : FW_LOG_DEBUG, "detector", "state saved to %s: %zu bytes, %d shard%s; "
		    "detector paused %lld ms at most, file written in %lld ms", p->cfg.detector_state_file, total,
		    p->nshards, p->nshards == 1 ? "" : "s", (long long)pause, (long long)(fw_time_mono_ms() - t0));
	for (i = 0; i < p->nshards; i++)
		free(blob[i]);
}

void
fw_pipeline_state_tick(struct fw_pipeline *p, int64_t interval_ms)
{
	int64_t now = fw_time_mono_ms();

	if (!p->state_on || interval_ms <= 0)
		return;
	state_write(p, atomic_load(&p->state_gen), false);
	if (p->state_next_ms == 0 || p->state_next_ms > now + interval_ms)
		p->state_next_ms = now + interval_ms;  /* (first tick, or a reload shortened it) */
	if (now >= p->state_next_ms) {
		p->state_next_ms = now + interval_ms;
		atomic_fetch_add(&p->state_gen, 1);
	}
}

/* Before the shards start: every shard's detector from the state file, or
 * all fresh with one warning saying why (never a reason not to start). */
static void
state_load(struct fw_pipeline *p)
{
	struct fw_detect *dets[MAX_SHARDS];
	struct fw_detect_file_info in;
	const char *path = p->cfg.detector_state_file;
	char err[512], at[FW_TIME_TEXT_LEN];
	int64_t now = fw_time_now_ms();

	for (int i = 0; i < p->nshards; i++)
		dets[i] = p->shards[i]->det;
	err[0] = '\0';
	if (fw_detect_file_load(path, dets, p->nshards, now, &in, err, sizeof(err)) != FW_OK) {
		fw_log(FW_LOG_WARN, "detector", "state file %s not used: %s; starting fresh", path, err);
		return;
	}
	if (!in.found) {
		fw_log(FW_LOG_INFO, "detector", "no state file %s yet: starting fresh", path);
		return;
	}
	fw_time_format(in.saved_ms, at);
	fw_log(FW_LOG_INFO, "detector", "state restored from %s: saved at %s (%.0f s ago), %llu victims, %llu zones, "
	    "%d alert%s open", path, at, (double)(now - in.saved_ms) / 1000.0, (unsigned long long)in.victims,
	    (unsigned long long)in.zones, in.open_alerts, in.open_alerts == 1 ? " was" : "s were");
}

int
fw_pipeline_start(struct fw_pipeline *p)
{
	int rc;

	if (p->pub != NULL) {
		p->det_started = true;  /* no more rings */
		return fw_recpub_start(p->pub);
	}
	if (p->state_on)
		state_load(p);

	if (p->notify != NULL && (rc = fw_notify_start(p->notify)) != FW_OK)
		return rc;
	if (pthread_create(&p->sink_thread, NULL, sink_main, p) != 0)
		return FW_EAGAIN;
	p->sink_started = true;
	p->det_started = true;
	for (int i = 0; i < p->nshards; i++) {
		atomic_fetch_add(&p->shards_running, 1);
		if (pthread_create(&p->shards[i]->thread, NULL, shard_main, p->shards[i]) != 0) {
			atomic_fetch_sub(&p->shards_running, 1);
			if (atomic_load(&p->shards_running) == 0)
				atomic_store(&p->detector_done, 1);
			return FW_EAGAIN;
		}
		p->shards[i]->started = true;
	}
	return FW_OK;
}

void
fw_pipeline_stop(struct fw_pipeline *p)
{
	atomic_store(&p->producers_done, 1);
	fw_recpub_stop(p->pub);         /* collector: drains, final watermark, flush */
	for (int i = 0; i < p->nshards; i++) {
		struct shard *s = p->shards[i];

		if (s == NULL || !s->started)
			continue;
		fw_wake_kick(&s->wake);
		pthread_join(s->thread, NULL);
		s->started = false;
	}
	p->det_started = false;
	if (p->state_on)
		state_write(p, STATE_FINAL, true);
	atomic_store(&p->detector_done, 1);
	fw_wake_kick(&p->sink_wake);
	if (p->sink_started) {
		pthread_join(p->sink_thread, NULL);
		p->sink_started = false;
	}
	fw_notify_stop(p->notify);       /* runs what the detector's last events queued */
}

void
fw_pipeline_reconfigure(struct fw_pipeline *p, const struct fw_config *cfg)
{
	pthread_mutex_lock(&p->reconf_lock);
	p->reconf_cfg = *cfg;
	if (p->nshards > 1 && (strcmp(cfg->networks, p->cfg.networks) != 0 ||
	    cfg->auto_prefix_v4 != p->cfg.auto_prefix_v4 || cfg->auto_prefix_v6 != p->cfg.auto_prefix_v6)) {
		/* They decide which shard owns a victim: routing is fixed at start. */
		fw_log(FW_LOG_WARN, "reload", "detector.networks / auto_prefix_v4 / auto_prefix_v6 changed: with "
		    "%d detector shards they need a restart, kept", p->nshards);
		memcpy(p->reconf_cfg.networks, p->cfg.networks, sizeof(p->cfg.networks));
		p->reconf_cfg.auto_prefix_v4 = p->cfg.auto_prefix_v4;
		p->reconf_cfg.auto_prefix_v6 = p->cfg.auto_prefix_v6;
	}
	atomic_fetch_add_explicit(&p->reconf_gen, 1, memory_order_release);
	pthread_mutex_unlock(&p->reconf_lock);
	for (int i = 0; i < p->nshards; i++)
		fw_wake_kick(&p->shards[i]->wake);
	atomic_store(&p->retention_days, cfg->sqlite_retention_days);
	if (p->notify != NULL)
		fw_notify_reconfigure(p->notify, cfg);
}

/* Sum the shards' counters; what every shard sees alike (the clock) once. */
void
fw_pipeline_sum_det_stats(struct fw_detect_stats *t, const struct fw_detect_stats *s, bool first)
{
	if (first) {
		*t = *s;
		return;
	}
	t->flows += s->flows;
	t->dnsq += s->dnsq;
	t->late += s->late;
	t->shifted += s->shifted;
	t->credits += s->credits;
	t->credit_merges += s->credit_merges;
	t->future += s->future;
	t->ahead += s->ahead;
	t->victims += s->victims;
	t->victims_full += s->victims_full;
	t->evicted += s->evicted;
	t->evicted_lru += s->evicted_lru;
	t->unwatched += s->unwatched;
	t->details_full += s->details_full;
	t->suppressed += s->suppressed;
	t->single_source += s->single_source;
	t->few_sources += s->few_sources;
	t->client_replies += s->client_replies;
	t->dns_few_clients += s->dns_few_clients;
	t->alerts_started += s->alerts_started;
	t->alerts_ended += s->alerts_ended;
	t->zones += s->zones;
	t->zones_full += s->zones_full;
	t->zones_evicted_lru += s->zones_evicted_lru;
	t->dns_ignored += s->dns_ignored;
	t->dns_responses += s->dns_responses;
	t->names_saturated += s->names_saturated;
	t->flash_crowds += s->flash_crowds;
	t->memory_bytes += s->memory_bytes;
	/* windows_closed, lateness_ms: one clock, the same in every shard. */
	if (s->windows_closed > t->windows_closed)
		t->windows_closed = s->windows_closed;
	if (s->newest_event_ms > t->newest_event_ms)
		t->newest_event_ms = s->newest_event_ms;
}

void
fw_pipeline_get_stats(struct fw_pipeline *p, struct fw_pipeline_stats *st)
{
	memset(st, 0, sizeof(*st));
	pthread_mutex_lock(&p->stats_lock);
	for (int i = 0; i < p->nshards; i++)
		fw_pipeline_sum_det_stats(&st->det, &p->shards[i]->st, i == 0);
	pthread_mutex_unlock(&p->stats_lock);
	for (int i = 0; i < p->nprod; i++) {
		const struct producer *pr = &p->prod[i];

		for (int k = 0; k < 2; k++) {
			if (!pr->kind[k])
				continue;
			st->ring_drops += fw_ring_drops(pr->face[k]);
			for (int s = 0; s < (pr->laned ? p->nshards : 1); s++) {
				st->ring_used += fw_ring_count(pr->rec[k][s]);
				st->ring_capacity += fw_ring_capacity(pr->rec[k][s]);
			}
		}
	}
	st->events = atomic_load(&p->events);
	st->events_written = atomic_load(&p->events_written);
	st->sink_errors = atomic_load(&p->sink_errors);
	st->events_dropped = atomic_load(&p->events_dropped);
	st->events_backlog = atomic_load(&p->backlog_now);
	if (p->kafka != NULL)
		fw_kafka_get_stats(p->kafka, &st->kafka);
	if (p->notify != NULL)
		fw_notify_get_stats(p->notify, &st->notify);
	if (p->pub != NULL)
		fw_recpub_get_stats(p->pub, &st->pub);
}

int
fw_pipeline_shards(const struct fw_pipeline *p)
{
	return p->nshards;
}

size_t
fw_pipeline_memory_bytes(struct fw_pipeline *p)
{
	static const size_t elem[2] = { sizeof(struct fw_flow), sizeof(struct fw_dnsq) };
	size_t total = p->backlog == NULL ? 0 : fw_alertq_capacity(p->backlog) * sizeof(struct fw_alert_ev);

	for (int i = 0; i < p->nshards; i++) {
		struct fw_detect_stats ds;

		fw_detect_get_stats(p->shards[i]->det, &ds);
		total += ds.memory_bytes + fw_ring_capacity(p->shards[i]->alerts) * sizeof(struct fw_alert_ev);
	}
	if (p->ext != NULL)
		total += fw_ring_capacity(p->ext) * sizeof(struct fw_alert_ev);
	for (int i = 0; i < p->nprod; i++) {
		const struct producer *pr = &p->prod[i];

		for (int s = 0; s < (pr->laned ? p->nshards : 1); s++) {
			for (int k = 0; k < 2; k++)
				if (pr->kind[k] && pr->rec[k][s] != NULL)
					total += fw_ring_capacity(pr->rec[k][s]) * elem[k];
			if (pr->laned && pr->lane[s] != NULL)
				total += fw_ring_capacity(pr->lane[s]) * sizeof(uint64_t);
		}
	}
	if (p->notify != NULL)
		total += fw_notify_memory_bytes(p->notify);
	return total;
}

void
fw_pipeline_free(struct fw_pipeline *p)
{
	if (p == NULL)
		return;
	if (p->det_started || p->sink_started)
		fw_pipeline_stop(p);
	for (int i = 0; i < p->nprod; i++) {
		struct producer *pr = &p->prod[i];

		for (int k = 0; k < 2; k++) {
			if (pr->laned)
				fw_ring_free(pr->face[k]);
			for (int s = 0; s < MAX_SHARDS; s++)
				fw_ring_free(pr->rec[k][s]);
		}
		for (int s = 0; s < MAX_SHARDS; s++)
			fw_ring_free(pr->lane[s]);
	}
	for (int i = 0; i < p->nshards; i++)
		shard_free(p->shards[i]);
	fw_ring_free(p->ext);
	fw_recpub_free(p->pub);
	fw_detect_key_free(p->key);
	fw_detect_lateness_free(p->lat);
	fw_alertq_free(p->backlog);
	fw_kafka_free(p->kafka);
	fw_notify_free(p->notify);
	fw_sqlite_close(p->db);
	pthread_mutex_destroy(&p->stats_lock);
	pthread_mutex_destroy(&p->reconf_lock);
	for (int i = 0; i < MAX_SHARDS; i++)
		free(p->state_blob[i]);
	pthread_mutex_destroy(&p->state_lock);
	free(p);
}
