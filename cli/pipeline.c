/*
 * pipeline.c - detector and sink threads joined by SPSC rings (fw_pipeline.h).
 *
 * The detector thread owns the detector; the sink thread owns the SQLite
 * handle and the backlog.  Stop flags are C11 atomics; idle threads sleep
 * 1-2 ms between empty polls, which bounds both latency and idle CPU.
 *
 * Write path: the sink thread moves alert events from the alert ring into
 * its backlog (fw_alertq), all at once while writes fail, so the detector
 * never waits for a failing store, then writes the backlog a batch per
 * transaction.  A failed write keeps the batch and backs off (fw_backoff:
 * 100 ms doubling up to sqlite.retry_max_ms), one rate-limited log line per
 * retry.  A full backlog drops (and counts, and logs) the oldest update
 * first.
 * Accounting, exact once both threads are joined:
 *   events (accepted) = events_written + events_dropped + backlog left.
 */
#include "fw_pipeline.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "fw_alertq.h"
#include "fw_backoff.h"
#include "fw_kafka.h"
#include "fw_log.h"
#include "fw_names.h"
#include "fw_notify.h"
#include "fw_records.h"
#include "fw_sqlite.h"
#include "fw_time.h"

#define MAX_RINGS 64
#define BURST 1024
#define SINK_BURST 64
#define RETRY_MIN_MS 100
#define SHUTDOWN_RETRY_MAX_MS 1000  /* back-off cap inside sqlite.flush_timeout_ms */

struct fw_pipeline {
	struct fw_config cfg;
	bool live;
	struct fw_ring *rings[MAX_RINGS];
	enum fw_ring_kind kinds[MAX_RINGS];
	int nrings;
	struct fw_ring *alerts;          /* detector -> sink */
	struct fw_detect *det;
	struct fw_sqlite *db;
	struct fw_kafka *kafka;          /* NULL when kafka.brokers is empty */
	struct fw_notify *notify;        /* NULL when notify.exec is empty */
	pthread_t det_thread, sink_thread;
	bool det_started, sink_started;
	_Atomic int producers_done;      /* set by stop(): rings get no more records */
	_Atomic int detector_done;       /* set by the detector thread on exit */
	_Atomic uint64_t events, events_written, sink_errors;
	_Atomic uint64_t events_dropped; /* backlog full: accepted, never written */
	_Atomic uint64_t backlog_now;    /* events in the backlog (gauge) */
	pthread_mutex_t stats_lock;      /* guards det_stats snapshot */
	/* SIGHUP: the main thread posts a config, the detector thread takes it
	 * between two bursts (fw_pipeline_reconfigure). */
	pthread_mutex_t reconf_lock;     /* guards reconf_cfg */
	struct fw_config reconf_cfg;
	_Atomic int reconf_posted;       /* reconf_cfg holds a config not yet taken */
	struct fw_config det_cfg;        /* detector-thread copy of the taken config */
	_Atomic int64_t retention_days;  /* sqlite.retention_days, read by the sink thread */
	struct fw_detect_stats det_stats;
	/* Detector-thread scratch (no allocation per batch). */
	struct fw_flow flows[BURST];
	struct fw_dnsq dnsq[BURST];
	/* Sink-thread state. */
	struct fw_alertq *backlog;       /* accepted, not yet written */
	struct fw_backoff backoff;       /* between failed writes */
	int64_t failing_since_ms;        /* monotonic; 0 while writes work */
	struct fw_alert_ev sink_in[SINK_BURST];     /* alert ring -> backlog */
	struct fw_alert_ev sink_batch[SINK_BURST];  /* backlog -> SQLite */
	struct fw_alert_ev sink_dropped;            /* the event a full backlog dropped */
};

/* Detector -> alert ring; waits rather than lose an accepted alert.  The
 * notify hook gets its copy first, through its own queue, which never waits. */
static void
on_alert(void *ctx, const struct fw_alert_ev *ev)
{
	struct fw_pipeline *p = ctx;

	if (p->notify != NULL)
		fw_notify_post(p->notify, ev);
	fw_ring_sp_push_wait(p->alerts, ev, 1);
	atomic_fetch_add(&p->events, 1);
}

static size_t
drain_once(struct fw_pipeline *p)
{
	size_t total = 0;

	for (int i = 0; i < p->nrings; i++) {
		size_t n;

		if (p->kinds[i] == FW_RING_FLOW) {
			n = fw_ring_sc_pop_burst(p->rings[i], p->flows, BURST);
			if (n > 0)
				fw_detect_flows(p->det, p->flows, n);
		} else {
			n = fw_ring_sc_pop_burst(p->rings[i], p->dnsq, BURST);
			if (n > 0)
				fw_detect_dns(p->det, p->dnsq, n);
		}
		total += n;
	}
	return total;
}

static void
snapshot(struct fw_pipeline *p)
{
	pthread_mutex_lock(&p->stats_lock);
	fw_detect_get_stats(p->det, &p->det_stats);
	pthread_mutex_unlock(&p->stats_lock);
}

/* Detector thread: apply a posted config between bursts (no record is
 * half-taken, no window half-closed), keeping all state. */
static void
take_reconfig(struct fw_pipeline *p)
{
	struct fw_detect_stats st;
	uint64_t open_alerts;
	char err[256];

	if (!atomic_load_explicit(&p->reconf_posted, memory_order_acquire))
		return;
	pthread_mutex_lock(&p->reconf_lock);
	p->det_cfg = p->reconf_cfg;
	atomic_store_explicit(&p->reconf_posted, 0, memory_order_relaxed);
	pthread_mutex_unlock(&p->reconf_lock);
	if (fw_detect_reconfigure(p->det, &p->det_cfg, err, sizeof(err)) != FW_OK) {
		fw_log(FW_LOG_ERR, "detector", "reload not applied, old settings kept: %s", err);
		return;
	}
	fw_detect_get_stats(p->det, &st);
	open_alerts = st.alerts_started - st.alerts_ended;
	fw_log(FW_LOG_INFO, "detector", "reloaded settings in force after %llu windows; kept: victims=%llu "
	    "zones=%llu open_alerts=%llu with their baselines and windows (%s)", (unsigned long long)st.windows_closed,
	    (unsigned long long)st.victims, (unsigned long long)st.zones,
	    (unsigned long long)open_alerts,
	    st.windows_closed >= (uint64_t)p->det_cfg.warmup_windows ? "past warm-up" : "still in warm-up");
}

static void *
detector_main(void *arg)
{
	struct fw_pipeline *p = arg;
	int64_t last_tick = 0;

	pthread_setname_np(pthread_self(), "fw-detect");

	for (;;) {
		size_t n;
		int64_t now;

		take_reconfig(p);
		n = drain_once(p);
		now = fw_time_mono_ms();

		if (now - last_tick >= 100) {
			if (p->live)
				fw_detect_clock(p->det, fw_time_now_ms());
			snapshot(p);
			last_tick = now;
		}
		if (n > 0)
			continue;
		if (atomic_load(&p->producers_done)) {
			/* Producers stopped before this check: one last drain sees all. */
			while (drain_once(p) > 0)
				;
			break;
		}
		/* Idle: 1 ms lets ~1 k records per 1 Mpps gather into the next
		 * burst (rings hold 64 k); no syscall per record or batch. */
		(void)fw_time_sleep_ms(1);
	}
	if (!p->live) {
		fw_detect_finish(p->det);
	} else {
		/* No alert outlives the daemon: end what is open, before the sink's
		 * last batch and the Kafka drain (DESIGN contract 10). */
		int n = fw_detect_end_all(p->det, FW_END_SHUTDOWN, fw_time_now_ms());

		if (n > 0)
			fw_log(FW_LOG_INFO, "detector", "%d open alert%s ended (reason shutdown)", n, n == 1 ? "" : "s");
	}
	snapshot(p);
	atomic_store(&p->detector_done, 1);
	return NULL;
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

	for (;;) {
		size_t max = SINK_BURST, room, n;

		room = fw_alertq_capacity(p->backlog) - fw_alertq_count(p->backlog);
		if (p->failing_since_ms == 0 && room < max)
			max = room;
		if (max == 0 || (n = fw_ring_sc_pop_burst(p->alerts, p->sink_in, max)) == 0)
			break;
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
		if (atomic_load(&p->detector_done) && fw_ring_count(p->alerts) == 0) {
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
		(void)fw_time_sleep_ms(2);
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

int
fw_pipeline_new(const struct fw_config *cfg, bool live, struct fw_pipeline **out,
    char *err, size_t errlen)
{
	struct fw_pipeline *p;
	int rc;

	if ((p = calloc(1, sizeof(*p))) == NULL)
		return FW_ENOMEM;
	p->cfg = *cfg;
	p->live = live;
	pthread_mutex_init(&p->stats_lock, NULL);
	pthread_mutex_init(&p->reconf_lock, NULL);
	atomic_store(&p->retention_days, cfg->sqlite_retention_days);
	fw_backoff_init(&p->backoff, RETRY_MIN_MS, cfg->sqlite_retry_max_ms);
	if ((rc = fw_ring_new((size_t)cfg->alert_slots, sizeof(struct fw_alert_ev), &p->alerts)) != FW_OK ||
	    (rc = fw_alertq_new((size_t)cfg->sqlite_backlog_events, &p->backlog)) != FW_OK ||
	    (rc = fw_detect_new(cfg, on_alert, p, &p->det)) != FW_OK) {
		snprintf(err, errlen, "cannot build the pipeline: %s", fw_strerror(rc));
		goto fail;
	}
	if ((rc = fw_sqlite_open(cfg->sqlite_path, &p->db, err, errlen)) != FW_OK)
		goto fail;
	if (cfg->kafka_brokers[0] != '\0' &&
	    (rc = fw_kafka_new(cfg, &p->kafka, err, errlen)) != FW_OK)
		goto fail;
	if (cfg->notify_exec[0] != '\0' &&
	    (rc = fw_notify_new(cfg, &p->notify, err, errlen)) != FW_OK)
		goto fail;
	if (live)
		end_left_open(p);
	*out = p;
	return FW_OK;
fail:
	fw_pipeline_free(p);
	return rc;
}

int
fw_pipeline_add_ring(struct fw_pipeline *p, enum fw_ring_kind kind, struct fw_ring **ring)
{
	size_t elem = kind == FW_RING_FLOW ? sizeof(struct fw_flow) : sizeof(struct fw_dnsq);
	int rc;

	if (p->nrings >= MAX_RINGS || p->det_started)
		return FW_EINVAL;
	if ((rc = fw_ring_new((size_t)p->cfg.ring_slots, elem, &p->rings[p->nrings])) != FW_OK)
		return rc;
	p->kinds[p->nrings] = kind;
	*ring = p->rings[p->nrings++];
	return FW_OK;
}

int
fw_pipeline_start(struct fw_pipeline *p)
{
	int rc;

	if (p->notify != NULL && (rc = fw_notify_start(p->notify)) != FW_OK)
		return rc;
	if (pthread_create(&p->sink_thread, NULL, sink_main, p) != 0)
		return FW_EAGAIN;
	p->sink_started = true;
	if (pthread_create(&p->det_thread, NULL, detector_main, p) != 0) {
		atomic_store(&p->detector_done, 1);
		return FW_EAGAIN;
	}
	p->det_started = true;
	return FW_OK;
}

void
fw_pipeline_stop(struct fw_pipeline *p)
{
	atomic_store(&p->producers_done, 1);
	if (p->det_started) {
		pthread_join(p->det_thread, NULL);
		p->det_started = false;
	}
	atomic_store(&p->detector_done, 1);
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
	atomic_store_explicit(&p->reconf_posted, 1, memory_order_release);
	pthread_mutex_unlock(&p->reconf_lock);
	atomic_store(&p->retention_days, cfg->sqlite_retention_days);
	if (p->notify != NULL)
		fw_notify_reconfigure(p->notify, cfg);
}

void
fw_pipeline_get_stats(struct fw_pipeline *p, struct fw_pipeline_stats *st)
{
	memset(st, 0, sizeof(*st));
	pthread_mutex_lock(&p->stats_lock);
	st->det = p->det_stats;
	pthread_mutex_unlock(&p->stats_lock);
	for (int i = 0; i < p->nrings; i++) {
		st->ring_drops += fw_ring_drops(p->rings[i]);
		st->ring_used += fw_ring_count(p->rings[i]);
		st->ring_capacity += fw_ring_capacity(p->rings[i]);
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
}

size_t
fw_pipeline_memory_bytes(struct fw_pipeline *p)
{
	struct fw_detect_stats ds;
	size_t total;

	fw_detect_get_stats(p->det, &ds);
	total = ds.memory_bytes + (fw_ring_capacity(p->alerts) + fw_alertq_capacity(p->backlog)) *
	    sizeof(struct fw_alert_ev);
	for (int i = 0; i < p->nrings; i++)
		total += fw_ring_capacity(p->rings[i]) *
		    (p->kinds[i] == FW_RING_FLOW ? sizeof(struct fw_flow) : sizeof(struct fw_dnsq));
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
	for (int i = 0; i < p->nrings; i++)
		fw_ring_free(p->rings[i]);
	fw_ring_free(p->alerts);
	fw_alertq_free(p->backlog);
	fw_detect_free(p->det);
	fw_kafka_free(p->kafka);
	fw_notify_free(p->notify);
	fw_sqlite_close(p->db);
	pthread_mutex_destroy(&p->stats_lock);
	pthread_mutex_destroy(&p->reconf_lock);
	free(p);
}
