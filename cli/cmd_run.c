/*
 * cmd_run.c - `floodwatch run`: the daemon, in the foreground.
 *
 * Order (STYLE.md "Daemon"): parse the config (check-config's code), decide
 * who to run as (fw_priv.h: root without general.user is refused), block
 * signals, open the query log, NFLOG, the sockets, the SQLite store and the
 * dnstap socket, drop privileges in one checked step, then start the sink and
 * detector threads and the producers (one listener thread per socket, query
 * log, NFLOG, dnstap): no parser ever runs with root's ids.  The main thread
 * waits in sigtimedwait() with a 1 s tick; every stats.interval_ms it logs
 * the counters and writes them to collector_stats.  SIGINT or
 * SIGTERM: stop listeners, drain the rings, flush the sinks, exit 0; a
 * second signal during shutdown exits at once.
 *
 * SIGHUP reads the same -c file with the same --set overrides again and
 * checks it with check-config's code.  An invalid one is refused (logged
 * with file, line and key) and nothing changes.  Else each changed key is
 * logged; a restart-only one (the key table's flag, fw_config_reload_merge:
 * table sizes, listen.*, files, threads) is kept at its old value and said
 * so; the rest is applied without losing state: the log level here, the
 * detector's tunables on its own thread between two bursts, retention and
 * notify.* in their threads (fw_pipeline_reconfigure).  Listeners are never
 * rebound: listen.* need a restart.
 *
 * Under systemd (Type=notify) the daemon says READY=1 once every thread
 * runs, pings WATCHDOG=1 from the main loop's tick (so a main loop stuck in
 * a sink or a lock gets the service restarted) and STOPPING=1 at shutdown.
 * sd_notify() does nothing when NOTIFY_SOCKET is not set.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <systemd/sd-daemon.h>
#include <time.h>
#include <unistd.h>

#include "cli_int.h"
#include "fw_dnstap.h"
#include "fw_http.h"
#include "fw_listener.h"
#include "fw_log.h"
#include "fw_nflog.h"
#include "fw_qlog_source.h"
#include "fw_pipeline.h"
#include "fw_time.h"
#include "fw_priv.h"

#define MAX_LISTENERS FW_CFG_LISTENERS_MAX   /* checked with the config */

static struct fw_listener *listeners[MAX_LISTENERS];
static struct fw_ring *listener_rings[MAX_LISTENERS];
static int nlisteners;
static struct fw_qlog_tail *qlog;
static struct fw_nflog *nflog;
static struct fw_dnstap_listener *dnstap;
static struct fw_sqlite *stats_db;
static struct fw_config pcfg;       /* the pipeline's copy of the config (main thread) */  /* main thread's connection for collector_stats */
static struct fw_http *http;        /* NULL when http.listen is empty */
static struct fw_cdetect *cdet;     /* cluster.role = detector: the group member; else NULL */

/* Tell systemd our state; a failure is logged once, never fatal. */
static void
notify(const char *state)
{
	static int warned;
	int rc = sd_notify(0, state);

	if (rc < 0 && !warned) {
		warned = 1;
		fw_log(FW_LOG_WARN, "run", "sd_notify to NOTIFY_SOCKET failed: %s", strerror(-rc));
	}
}

/* SIGHUP: see the file comment.  Main thread; cfg is the config in force. */
static void
reload(int argc, char **argv, const char *name, struct fw_config *cfg, struct fw_pipeline *p)
{
	static struct fw_config next;  /* main thread only; too big for comfort on the stack */
	char err[1024], state[128];
	struct timespec ts;
	int n;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	snprintf(state, sizeof(state), "RELOADING=1\nMONOTONIC_USEC=%llu\nSTATUS=reloading %s",
	    (unsigned long long)ts.tv_sec * 1000000ULL + (unsigned long long)ts.tv_nsec / 1000ULL, name);
	notify(state);
	fw_log(FW_LOG_INFO, "reload", "SIGHUP: reading %s again", name);
	if (cli_reload_config(argc, argv, &next, err, sizeof(err)) != FW_OK) {
		fw_log(FW_LOG_ERR, "reload", "new config refused, the running one is kept: %s", err);
		notify("READY=1\nSTATUS=ready; last reload refused (see the log)");
		return;
	}
	/* The hook's thread and queue exist only when notify.exec was set at start. */
	if ((cfg->notify_exec[0] == '\0') != (next.notify_exec[0] == '\0')) {
		fw_log(FW_LOG_WARN, "reload", "notify.exec changed: turning the hook %s needs a restart, kept at '%s'",
		    cfg->notify_exec[0] == '\0' ? "on" : "off", cfg->notify_exec);
		memcpy(next.notify_exec, cfg->notify_exec, sizeof(next.notify_exec));
	}
	n = fw_config_reload_merge(cfg, &next);
	if (n > 0) {
		fw_log_set_level((enum fw_log_level)fw_log_level_parse(next.log_level));
		fw_pipeline_reconfigure(p, &next);
		if (cdet != NULL)  /* every owned partition's detector (every member should get the same) */
			fw_cdetect_reconfigure(cdet, &next);
		*cfg = next;
	}
	fw_log(FW_LOG_INFO, "reload", "%d changed setting%s applied; baselines, open alerts, windows and templates "
	    "kept", n, n == 1 ? "" : "s");
	notify("READY=1\nSTATUS=ready: listening, detector and sinks running");
}

static void
second_signal(int sig)
{
	(void)sig;
	_exit(1);
}

/* Open one listener per comma-separated address in `list`. */
static int
open_list(const char *label, const char *list, const struct fw_config *cfg)
{
	char buf[FW_CFG_STR_MAX], *save = NULL;
	char err[512];

	snprintf(buf, sizeof(buf), "%s", list);
	for (char *tok = strtok_r(buf, ", ", &save); tok != NULL; tok = strtok_r(NULL, ", ", &save)) {
		/* listen.workers sockets share the port (SO_REUSEPORT): the kernel
		 * hashes each exporter to one of them, so its templates stay on
		 * one thread. */
		for (int w = 0; w < cfg->listen_workers; w++) {
			if (nlisteners >= MAX_LISTENERS) {
				fprintf(stderr, "floodwatch run: more than %d listen sockets\n", MAX_LISTENERS);
				return 1;  /* cannot happen: fw_config_validate() counts them */
			}
			if (fw_listener_open(tok, label, w, cfg, &listeners[nlisteners], err, sizeof(err)) != FW_OK) {
				fw_log(FW_LOG_ERR, "run", "%s", err);
				return 1;
			}
			nlisteners++;
		}
	}
	return 0;
}

static struct cli_stats snap;

static void
add_exporters(void *ctx, struct fw_decoder *dec)
{
	cli_stats_add_exporters(ctx, dec);
}

/* Append " name=value" for each non-zero counter to buf[off..len) (cut
 * short if it does not fit). */
static void
append_counts(char *buf, size_t len, size_t off, const uint64_t *v, int n, const char *(*name)(int))
{
	for (int i = 0; i < n; i++)
		if (v[i] != 0 && off < len)
			off += (size_t)snprintf(buf + off, len - off, " %s=%llu", name(i), (unsigned long long)v[i]);
}

static const char *
derr_name(int i)
{
	return fw_derr_name((enum fw_derr)i);
}

static const char *
reason_name(int i)
{
	return fw_dec_reason_name((enum fw_dec_reason)i);
}

/*
 * "decode nf9: datagrams=D records=R errors=E", then the non-zero drop
 * classes and, for NetFlow v9/IPFIX, the non-zero template decoder reasons:
 * "errors=3 drops: no_template=3 tmpl: no_template=5 undecodable=3".
 */
static uint64_t
sum_u64(const uint64_t *v, size_t n)
{
	uint64_t t = 0;

	for (size_t i = 0; i < n; i++)
		t += v[i];
	return t;
}

static void
log_decode(enum fw_log_level level, const struct fw_decode_stats *ds, int k)
{
	char drops[256] = "", tmpl[512] = "";
	uint64_t e = 0;

	for (int j = 0; j < FW_DERR_N; j++)
		e += ds->errors[k][j];
	if (e > 0)
		append_counts(drops, sizeof(drops), (size_t)snprintf(drops, sizeof(drops), " drops:"),
		    ds->errors[k], FW_DERR_N, derr_name);
	for (int r = 0; r < FW_DEC_NREASONS; r++)
		if (ds->tmpl[k][r] != 0) {
			append_counts(tmpl, sizeof(tmpl), (size_t)snprintf(tmpl, sizeof(tmpl), " tmpl:"),
			    ds->tmpl[k], FW_DEC_NREASONS, reason_name);
			break;
		}
	if (k == FW_PAYLOAD_SFLOW5) {
		size_t off = (size_t)snprintf(tmpl, sizeof(tmpl), " samples:");

		for (int t = 0; t < FW_SFLOW5_S_N && off < sizeof(tmpl); t++)
			off += (size_t)snprintf(tmpl + off, sizeof(tmpl) - off, " %s=%llu",
			    fw_sflow5_sample_type_name((enum fw_sflow5_sample_type)t),
			    (unsigned long long)ds->sflow_samples[t]);
	}
	fw_log(level, "run", "decode %s: datagrams=%llu records=%llu errors=%llu%s%s", fw_pkt_kind_name(k),
	    (unsigned long long)ds->datagrams[k], (unsigned long long)ds->records[k], (unsigned long long)e,
	    drops, tmpl);
}

static void http_publish(const struct fw_pipeline_stats *ps);

/*
 * Gather the counters into the snapshot; with `emit`, log them and write
 * them to collector_stats.  The HTTP server gets the same rows every tick
 * (emit or not), so /metrics shows what the log and the database show.
 */
static void
log_counters(struct fw_pipeline *p, enum fw_log_level level, const struct fw_config *cfg, bool emit)
{
	struct fw_pipeline_stats ps;
	struct fw_decode_stats ds;
	uint64_t dg = 0, kd = 0, rd = 0, fl = 0, na = 0;

	memset(&ds, 0, sizeof(ds));
	for (int i = 0; i < nlisteners; i++) {
		struct fw_listener_stats ls;
		fw_listener_get_stats(listeners[i], &ls);
		dg += ls.datagrams;
		kd += ls.kernel_drops;
		rd += ls.ring_drops;
		fl += ls.flows;
		na += ls.not_allowed;
		fw_decode_stats_add(&ds, &ls.dec);
		fw_listener_with_decoder(listeners[i], add_exporters, &snap);
	}
	fw_pipeline_get_stats(p, &ps);
	if (cdet != NULL) {
		struct fw_cdetect_stats cs;

		fw_cdetect_get_stats(cdet, &cs);
		ps.det = cs.det;  /* the detectors are the owned partitions', not the pipeline's */
		cli_stats_add_cluster(&snap, &cs);
		if (emit)
			fw_log(level, "run", "cluster: partitions=%llu/%llu batches=%llu records=%llu malformed=%llu "
			    "rebalances=%llu restores=%llu checkpoints=%llu (%llu bytes, %llu failed) commits=%llu "
			    "idle_collectors=%llu watermark_lag_ms=%lld lateness_ms=%lld..%lld", (unsigned long long)cs.partitions,
			    (unsigned long long)cs.partitions_total, (unsigned long long)cs.batches,
			    (unsigned long long)cs.records, (unsigned long long)cs.malformed,
			    (unsigned long long)cs.rebalances, (unsigned long long)cs.restores,
			    (unsigned long long)cs.state.written, (unsigned long long)cs.state.written_bytes,
			    (unsigned long long)cs.checkpoint_failures, (unsigned long long)cs.commits,
			    (unsigned long long)cs.idle_collectors, (long long)cs.watermark_lag_ms,
			    (long long)cs.lateness_min_ms, (long long)cs.lateness_max_ms);
	}
	cli_stats_add(&snap, "listener", "datagrams", dg);
	cli_stats_add(&snap, "listener", "kernel_drops", kd);
	cli_stats_add(&snap, "listener", "records", fl);
	cli_stats_add(&snap, "listener", "ring_drops", rd);
	cli_stats_add(&snap, "listener", "drop_not_allowed", na);
	cli_stats_add_decode(&snap, &ds);
	cli_stats_add_pipeline(&snap, &ps);
	for (int k = 1; k < FW_PAYLOAD_KINDS; k++)
		if (emit && ds.datagrams[k] != 0)
			log_decode(level, &ds, k);
	if (qlog != NULL) {
		struct fw_qlog_stats qs;
		fw_qlog_tail_get_stats(qlog, &qs);
		cli_stats_add(&snap, "querylog", "lines", qs.lines);
		cli_stats_add(&snap, "querylog", "records", qs.queries);
		cli_stats_add(&snap, "querylog", "drop_malformed", qs.malformed);
		cli_stats_add(&snap, "querylog", "ring_drops", qs.ring_drops);
		cli_stats_add(&snap, "querylog", "rotations", qs.rotations);
		if (emit)
			fw_log(level, "run", "querylog: lines=%llu records=%llu other=%llu malformed=%llu ring_drops=%llu "
		    "rotations=%llu truncations=%llu", (unsigned long long)qs.lines, (unsigned long long)qs.queries,
		    (unsigned long long)qs.not_query, (unsigned long long)qs.malformed,
		    (unsigned long long)qs.ring_drops, (unsigned long long)qs.rotations,
		    (unsigned long long)qs.truncations);
	}
	if (nflog != NULL) {
		struct fw_nflog_stats ns;
		fw_nflog_get_stats(nflog, &ns);
		cli_stats_add(&snap, "nflog", "packets", ns.packets);
		cli_stats_add(&snap, "nflog", "records", ns.records);
		cli_stats_add(&snap, "nflog", "drop_not_dns", ns.not_dns);
		cli_stats_add(&snap, "nflog", "drop_malformed", ns.malformed);
		cli_stats_add(&snap, "nflog", "kernel_drops", ns.kernel_drops);
		cli_stats_add(&snap, "nflog", "ring_drops", ns.ring_drops);
		cli_stats_add(&snap, "nflog", "fragments", ns.fragments);
		cli_stats_add(&snap, "nflog", "tcp", ns.tcp);
		cli_stats_add_reasm(&snap, &ns.frag, &ns.dnstcp);
		if (emit)
			fw_log(level, "run", "nflog: packets=%llu records=%llu not_dns=%llu malformed=%llu kernel_drops=%llu "
		    "ring_drops=%llu fragments=%llu reassembled=%llu frag_drops=%llu tcp=%llu tcp_messages=%llu "
		    "tcp_drops=%llu", (unsigned long long)ns.packets, (unsigned long long)ns.records,
		    (unsigned long long)ns.not_dns, (unsigned long long)ns.malformed,
		    (unsigned long long)ns.kernel_drops, (unsigned long long)ns.ring_drops,
		    (unsigned long long)ns.fragments, (unsigned long long)ns.frag.reassembled,
		    (unsigned long long)sum_u64(ns.frag.drops, FW_IPFRAG_DROP_N), (unsigned long long)ns.tcp,
		    (unsigned long long)ns.dnstcp.messages, (unsigned long long)sum_u64(ns.dnstcp.drops, FW_DNSTCP_DROP_N));
	}
	if (dnstap != NULL) {
		struct fw_dnstap_stats ts;
		fw_dnstap_listener_stats(dnstap, &ts);
		cli_stats_add(&snap, "dnstap", "frames", ts.frames);
		cli_stats_add(&snap, "dnstap", "records", ts.records);
		cli_stats_add(&snap, "dnstap", "drop_bad_proto", ts.bad_proto);
		cli_stats_add(&snap, "dnstap", "drop_bad_dns", ts.bad_dns);
		cli_stats_add(&snap, "dnstap", "drop_oversize", ts.oversize);
		cli_stats_add(&snap, "dnstap", "ring_drops", ts.ring_drops);
		cli_stats_add(&snap, "dnstap", "connections", ts.conns);
		cli_stats_add(&snap, "dnstap", "connections_refused", ts.conns_refused);
		cli_stats_add(&snap, "dnstap", "handshake_timeouts", ts.handshake_timeouts);
		cli_stats_add(&snap, "dnstap", "evicted", ts.evicted);
		if (emit)
			fw_log(level, "run", "dnstap: frames=%llu records=%llu skipped=%llu bad=%llu ring_drops=%llu "
		    "connections=%llu active=%llu refused=%llu handshake_timeouts=%llu evicted=%llu",
		    (unsigned long long)ts.frames, (unsigned long long)ts.records, (unsigned long long)ts.skipped,
		    (unsigned long long)ts.bad_proto + ts.bad_dns + ts.no_message + ts.oversize + ts.bad_control,
		    (unsigned long long)ts.ring_drops, (unsigned long long)ts.conns, (unsigned long long)ts.conns_active,
		    (unsigned long long)ts.conns_refused, (unsigned long long)ts.handshake_timeouts,
		    (unsigned long long)ts.evicted);
	}
	if (emit && (ps.kafka.produced > 0 || ps.kafka.backlog > 0))
		fw_log(level, "run", "kafka: produced=%llu delivered=%llu failures=%llu queue=%lld backlog=%lld",
		    (unsigned long long)ps.kafka.produced, (unsigned long long)ps.kafka.delivered,
		    (unsigned long long)ps.kafka.failures, (long long)ps.kafka.queue_depth,
		    (long long)ps.kafka.backlog);
	if (emit && cfg->notify_exec[0] != '\0')
		fw_log(level, "run", "notify: events=%llu runs=%llu ok=%llu failed=%llu timeouts=%llu "
		    "dropped_updates=%llu dropped_start_end=%llu queue=%llu running=%llu",
		    (unsigned long long)ps.notify.events, (unsigned long long)ps.notify.runs,
		    (unsigned long long)ps.notify.ok, (unsigned long long)ps.notify.failed,
		    (unsigned long long)ps.notify.timeouts, (unsigned long long)ps.notify.dropped_updates,
		    (unsigned long long)ps.notify.dropped_start_end, (unsigned long long)ps.notify.queue_depth,
		    (unsigned long long)ps.notify.running);
	if (emit)
		fw_log(level, "run", "datagrams=%llu kernel_drops=%llu records=%llu ring_drops=%llu not_allowed=%llu "
		    "victims=%llu alerts_started=%llu alerts_ended=%llu events_written=%llu",
		    (unsigned long long)dg, (unsigned long long)kd, (unsigned long long)fl, (unsigned long long)rd,
		    (unsigned long long)na, (unsigned long long)ps.det.victims,
		    (unsigned long long)ps.det.alerts_started, (unsigned long long)ps.det.alerts_ended,
		    (unsigned long long)ps.events_written);
	cli_stats_finish(&snap);
	http_publish(&ps);
	if (emit)
		cli_stats_write_db(&snap, stats_db, cfg->sqlite_path, cfg->stats_retention_days);
	else
		cli_stats_init(&snap, snap.top);
}

/* ---- HTTP server (fw_http.h): opened before the drop, started after ---- */

/* Resident memory from /proc/self/statm (0 if unreadable). */
static uint64_t
rss_bytes(void)
{
	unsigned long long size = 0, res = 0;
	FILE *f = fopen("/proc/self/statm", "re");

	if (f != NULL) {
		if (fscanf(f, "%llu %llu", &size, &res) != 2)
			res = 0;
		fclose(f);
	}
	return (uint64_t)res * (uint64_t)sysconf(_SC_PAGESIZE);
}

static void
http_publish(const struct fw_pipeline_stats *ps)
{
	struct fw_http_snapshot hs = {
		.at_ms = fw_time_now_ms(), .rows = snap.rows, .nrows = snap.n, .ring_used = ps->ring_used,
		.ring_capacity = ps->ring_capacity, .newest_event_ms = ps->det.newest_event_ms, .rss_bytes = rss_bytes(),
	};

	if (http != NULL)
		fw_http_publish(http, &hs);
}

/* Memory fixed at start: the pipeline's and the NFLOG reader's tables. */
static uint64_t
memory_budget(struct fw_pipeline *p)
{
	return fw_pipeline_memory_bytes(p) + fw_nflog_memory_bytes(nflog);
}

/* Start serving; the config digest is FNV-1a 64 of the effective config text. */
static int
http_start(const struct fw_config *cfg, struct fw_pipeline *p)
{
	struct fw_http_info info = { .version = FW_VERSION, .started_ms = fw_time_now_ms(),
	    .memory_budget_bytes = memory_budget(p) };
	char digest[17], err[512];

	if (http == NULL)
		return 0;
	cli_config_digest(cfg, digest);
	info.config_digest = digest;
	if (fw_http_start(http, &info, err, sizeof(err)) != FW_OK) {
		fw_log(FW_LOG_ERR, "run", "%s", err);
		return 1;
	}
	fw_log(FW_LOG_INFO, "run", "http: API and /metrics at %s (read-only)", fw_http_url(http));
	return 0;
}

int
cmd_run(int argc, char **argv)
{
	struct fw_config cfg;
	const char *name;
	char *pos[256];
	int npos, rc, status = 0;
	struct fw_pipeline *p = NULL;
	struct fw_pipeline_stats ps;
	struct fw_priv *priv = NULL;
	struct fw_ring *qlog_ring = NULL, *nflog_ring = NULL;
	sigset_t set;
	char err[512];
	uint64_t watchdog_usec = 0;
	long tick_ms = 1000;
	bool detector_role, listen;

	if (argc > 256) {
		fprintf(stderr, "floodwatch run: too many arguments\n");
		return EXIT_USAGE;
	}
	rc = cli_load_config("run", argc, argv, &cfg, &name, pos, &npos);
	if (rc < 0) {
		printf("usage: floodwatch run [-c FILE] [--set SECTION.KEY=VALUE]...\n");
		return 0;
	}
	if (rc != 0)
		return rc;
	if (npos > 0) {
		fprintf(stderr, "floodwatch run: unexpected argument '%s'\n", pos[0]);
		return EXIT_USAGE;
	}
	/* cluster.role = detector: records come from Kafka, no listeners. */
	detector_role = strcmp(cfg.cluster_role, "detector") == 0;
	listen = !detector_role;
	if (detector_role && cfg.kafka_brokers[0] == '\0') {
		fprintf(stderr, "floodwatch run: cluster.role = detector needs kafka.brokers\n");
		return EXIT_USAGE;
	}
	/* Refuse (root without general.user) before anything is opened. */
	if (fw_priv_new(&cfg, &priv, err, sizeof(err)) != FW_OK) {
		fprintf(stderr, "floodwatch run: %s\n", err);
		return EXIT_USAGE;
	}
	/* What the daemon creates (SQLite files, template state) is 0640, its
	 * directories 0750: alerts and exporter addresses are not for everyone. */
	umask(027);
	/* Block before any thread starts, so only this thread takes signals. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	fw_log(FW_LOG_INFO, "run", "floodwatch %s starting with %s", FW_VERSION, name);
	fw_log(FW_LOG_INFO, "run", "sqlite: %s", cfg.sqlite_path);
	if (cfg.kafka_brokers[0] == '\0')
		fw_log(FW_LOG_INFO, "run", "kafka: off (kafka.brokers is empty)");
	else
		fw_log(FW_LOG_INFO, "run", "kafka: brokers %s, topic %s (outbox in the SQLite file)",
		    cfg.kafka_brokers, cfg.kafka_topic);
	if (cfg.notify_exec[0] != '\0')
		fw_log(FW_LOG_INFO, "run", "notify: %s per alert event (timeout %lld ms, at most %lld running, "
		    "queue %lld)", cfg.notify_exec, (long long)cfg.notify_timeout_ms,
		    (long long)cfg.notify_max_running, (long long)cfg.notify_queue);
	if (fw_priv_prepare(priv, err, sizeof(err)) != FW_OK) {
		fw_log(FW_LOG_ERR, "run", "%s", err);
		status = EXIT_USAGE;
		goto out;
	}
	/* Everything that needs privileges is opened here, as started; no
	 * packet parser runs before fw_priv_drop() (librdkafka's threads, which
	 * fw_pipeline_new() starts, are switched along with the process). */
	if (detector_role)
		fw_log(FW_LOG_INFO, "run", "cluster.role = detector: no listeners; records from %s, group %s",
		    cfg.cluster_records_topic, cfg.cluster_group_id);
	if (listen && cfg.dns_querylog[0] != '\0') {
		int qrc;

		err[0] = '\0';
		if ((qrc = fw_qlog_tail_open(cfg.dns_querylog, &cfg, &qlog, err, sizeof(err))) != FW_OK) {
			fw_log(FW_LOG_ERR, "run", "dns.querylog %s: %s", cfg.dns_querylog,
			    err[0] != '\0' ? err : fw_strerror(qrc));
			status = 1;
			goto out;
		}
		fw_log(FW_LOG_INFO, "run", "dns: following BIND query log %s (times in %s)", cfg.dns_querylog,
		    cfg.dns_querylog_timezone);
	}
	if (listen && cfg.dns_nflog_group >= 0) {
		if (fw_nflog_open((int)cfg.dns_nflog_group, &cfg, &nflog, err, sizeof(err)) != FW_OK) {
			fw_log(FW_LOG_ERR, "run", "%s", err);
			status = EXIT_USAGE;
			goto out;
		}
		fw_log(FW_LOG_INFO, "run", "dns: NFLOG group %lld bound (copy-packet mode)", (long long)cfg.dns_nflog_group);
	}
	if (listen && ((rc = open_list("netflow", cfg.listen_netflow, &cfg)) != 0 ||
	    (rc = open_list("ipfix", cfg.listen_ipfix, &cfg)) != 0 ||
	    (rc = open_list("sflow", cfg.listen_sflow, &cfg)) != 0)) {
		status = rc;
		goto out;
	}
	/* Both connections are opened before the switch and kept: SQLite opens
	 * files by their absolute path, whose parents the user may not be able
	 * to search (a checkout under /root, mode 0700). */
	/* detector.shards 0 resolved for the pipeline only: cfg keeps what the
	 * file says, so a reload does not see it changed. */
	pcfg = cfg;
	if (pcfg.detector_shards == 0)
		pcfg.detector_shards = fw_pipeline_auto_shards(nlisteners);
	if ((detector_role ? fw_pipeline_new_sinks(&pcfg, &p, err, sizeof(err)) :
	    fw_pipeline_new(&pcfg, true, &p, err, sizeof(err))) != FW_OK ||
	    fw_sqlite_open(cfg.sqlite_path, &stats_db, err, sizeof(err)) != FW_OK ||
	    (detector_role && fw_cdetect_new(&cfg, p, &cdet, err, sizeof(err)) != FW_OK)) {
		fw_log(FW_LOG_ERR, "run", "%s", err);
		status = 1;
		goto out;
	}
	for (int i = 0; i < nlisteners; i++) {
		if (fw_pipeline_add_ring(p, FW_RING_FLOW, &listener_rings[i]) != FW_OK) {
			fw_log(FW_LOG_ERR, "run", "cannot start %s", fw_listener_name(listeners[i]));
			status = 1;
			goto out;
		}
	}
	if ((qlog != NULL && fw_pipeline_add_ring(p, FW_RING_DNS, &qlog_ring) != FW_OK) ||
	    (nflog != NULL && fw_pipeline_add_ring(p, FW_RING_DNS, &nflog_ring) != FW_OK)) {
		status = 1;
		goto out;
	}
	if (listen && cfg.dns_dnstap_socket[0] != '\0') {
		struct fw_ring *ring;
		int trc;

		if (fw_pipeline_add_ring(p, FW_RING_DNS, &ring) != FW_OK) {
			status = 1;
			goto out;
		}
		trc = fw_dnstap_listener_open(cfg.dns_dnstap_socket,
		    (unsigned)strtol(cfg.dns_dnstap_socket_mode, NULL, 8), ring, &dnstap);
		if (trc == FW_OK)
			trc = fw_dnstap_listener_set_limits(dnstap, (uint32_t)cfg.dns_dnstap_max_clients,
			    (uint32_t)cfg.dns_dnstap_handshake_timeout_ms);
		if (trc != FW_OK) {
			/* A runtime failure (path in use, no such directory), not a config error. */
			fw_log(FW_LOG_ERR, "run", "dns.dnstap_socket %s: cannot listen: %s", cfg.dns_dnstap_socket,
			    fw_strerror(trc));
			status = 1;
			goto out;
		}
		fw_log(FW_LOG_INFO, "run", "dns: dnstap socket %s (mode %s, at most %lld clients, handshake "
		    "timeout %lld ms)", cfg.dns_dnstap_socket, cfg.dns_dnstap_socket_mode,
		    (long long)cfg.dns_dnstap_max_clients, (long long)cfg.dns_dnstap_handshake_timeout_ms);
	}
	if (cfg.http_listen[0] != '\0' && fw_http_open(&cfg, cfg.sqlite_path, &http, err, sizeof(err)) != FW_OK) {
		fw_log(FW_LOG_ERR, "run", "%s", err);
		status = 1;
		goto out;
	}
	if (fw_priv_drop(priv, err, sizeof(err)) != FW_OK) {
		fw_log(FW_LOG_ERR, "run", "%s", err);
		status = EXIT_USAGE;
		goto out;
	}
	fw_log(FW_LOG_INFO, "run", "memory budget: %.1f MiB (detector tables, rings and DNS reassembly, fixed at "
	    "start); %d detector shard%s", (double)memory_budget(p) / (1024.0 * 1024.0),
	    fw_pipeline_shards(p), fw_pipeline_shards(p) == 1 ? "" : "s");
	/* Sinks, detector, then the producers (STYLE.md "Daemon"). */
	if (fw_pipeline_start(p) != FW_OK) {
		fw_log(FW_LOG_ERR, "run", "cannot start the detector and sink threads");
		status = 1;
		goto out;
	}
	if (cdet != NULL && fw_cdetect_start(cdet) != FW_OK) {
		status = 1;
		goto out;
	}
	for (int i = 0; i < nlisteners; i++) {
		if (fw_listener_start(listeners[i], listener_rings[i], NULL) != FW_OK) {
			fw_log(FW_LOG_ERR, "run", "cannot start %s", fw_listener_name(listeners[i]));
			status = 1;
			goto out;
		}
	}
	if (qlog != NULL && fw_qlog_tail_start(qlog, qlog_ring) != FW_OK) {
		fw_log(FW_LOG_ERR, "run", "cannot start the query-log follower");
		status = 1;
		goto out;
	}
	if (nflog != NULL && fw_nflog_start(nflog, nflog_ring) != FW_OK) {
		fw_log(FW_LOG_ERR, "run", "cannot start the NFLOG reader");
		status = 1;
		goto out;
	}
	if (dnstap != NULL && fw_dnstap_listener_start(dnstap) != FW_OK) {
		fw_log(FW_LOG_ERR, "run", "cannot start the dnstap listener");
		status = 1;
		goto out;
	}
	for (int i = 0; i < nlisteners; i++)
		fw_log(FW_LOG_INFO, "run", "listening: %s", fw_listener_name(listeners[i]));
	cli_stats_init(&snap, (size_t)cfg.stats_exporters);
	if (http_start(&cfg, p) != 0) {
		status = 1;
		goto out;
	}
	if (http != NULL)
		log_counters(p, FW_LOG_INFO, &cfg, false);  /* /readyz: ready from here */
	fw_log(FW_LOG_INFO, "run", "ready; SIGINT or SIGTERM stops, SIGHUP reloads %s", name);
	/* The watchdog wants a ping at least every WATCHDOG_USEC: tick at half
	 * of it when that is under the usual second. */
	if (sd_watchdog_enabled(0, &watchdog_usec) > 0) {
		if (watchdog_usec / 2000 < (uint64_t)tick_ms)
			tick_ms = watchdog_usec / 2000 > 0 ? (long)(watchdog_usec / 2000) : 1;
		fw_log(FW_LOG_INFO, "run", "systemd watchdog: %llu ms, pinged every %ld ms",
		    (unsigned long long)(watchdog_usec / 1000), tick_ms);
	} else {
		watchdog_usec = 0;
	}
	notify("READY=1\nSTATUS=ready: listening, detector and sinks running");

	for (int64_t next_stats_ms = fw_time_now_ms() + cfg.stats_interval_ms;;) {
		struct timespec tick = { tick_ms / 1000, (tick_ms % 1000) * 1000000L };
		int sig = sigtimedwait(&set, NULL, &tick);

		if (watchdog_usec > 0)
			notify("WATCHDOG=1");

		if (sig == SIGINT || sig == SIGTERM) {
			fw_log(FW_LOG_INFO, "run", "%s: stopping listeners, draining, flushing sinks",
			    sig == SIGINT ? "SIGINT" : "SIGTERM");
			notify("STOPPING=1\nSTATUS=stopping: draining and flushing");
			break;
		}
		if (sig == SIGHUP)
			reload(argc, argv, name, &cfg, p);
		fw_pipeline_state_tick(p, cfg.detector_state_interval_ms);
		if (fw_time_now_ms() >= next_stats_ms) {
			log_counters(p, FW_LOG_INFO, &cfg, true);
			next_stats_ms = fw_time_now_ms() + cfg.stats_interval_ms;
		} else if (http != NULL) {
			log_counters(p, FW_LOG_INFO, &cfg, false);
		}
	}
	/* A second signal while draining ends the process at once. */
	signal(SIGINT, second_signal);
	signal(SIGTERM, second_signal);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	fw_http_free(http);
	http = NULL;
	for (int i = 0; i < nlisteners; i++)
		fw_listener_stop(listeners[i]);
	fw_qlog_tail_stop(qlog);
	fw_nflog_stop(nflog);
	if (dnstap != NULL)
		fw_dnstap_listener_stop(dnstap);
	/* Leave the group first: its revoke checkpoints through the running sinks. */
	fw_cdetect_stop(cdet);
	fw_pipeline_stop(p);
	log_counters(p, FW_LOG_INFO, &cfg, true);
	fw_pipeline_get_stats(p, &ps);
	if (ps.events_backlog + ps.events_dropped > 0)
		status = 1;  /* accepted alert events were lost (see the summary line) */
	fw_log(FW_LOG_INFO, "run", "stopped");
out:
	fw_http_free(http);
	http = NULL;
	for (int i = 0; i < nlisteners; i++)
		fw_listener_free(listeners[i]);
	nlisteners = 0;
	fw_qlog_tail_free(qlog);
	qlog = NULL;
	fw_nflog_free(nflog);
	nflog = NULL;
	if (dnstap != NULL)
		fw_dnstap_listener_close(dnstap);
	dnstap = NULL;
	fw_cdetect_free(cdet);
	cdet = NULL;
	fw_pipeline_free(p);
	fw_sqlite_close(stats_db);
	stats_db = NULL;
	fw_priv_free(priv);
	return status;
}
