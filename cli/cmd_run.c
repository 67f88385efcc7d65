/*
 * cmd_run.c - `floodwatch run`: the daemon, in the foreground.
 *
 * Order (STYLE.md "Daemon"): parse the config (check-config's code), block
 * signals, open the SQLite store and the sockets, start the sink and
 * detector threads, then one listener thread per socket.  The main thread
 * waits in sigtimedwait() with a 1 s tick for periodic counters.  SIGINT or
 * SIGTERM: stop listeners, drain the rings, flush the sinks, exit 0; a
 * second signal during shutdown exits at once.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli_int.h"
#include "fw_dnstap.h"
#include "fw_listener.h"
#include "fw_log.h"
#include "fw_nflog.h"
#include "fw_qlog_source.h"
#include "fw_pipeline.h"

#define MAX_LISTENERS 48

static struct fw_listener *listeners[MAX_LISTENERS];
static int nlisteners;
static struct fw_qlog_tail *qlog;
static struct fw_nflog *nflog;
static struct fw_dnstap_listener *dnstap;

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
				return EXIT_USAGE;
			}
			if (fw_listener_open(tok, label, cfg, &listeners[nlisteners], err, sizeof(err)) != FW_OK) {
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

/* Log the counters and snapshot them into collector_stats. */
static void
log_counters(struct fw_pipeline *p, enum fw_log_level level, const char *db)
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
	cli_stats_add(&snap, "listener", "datagrams", dg);
	cli_stats_add(&snap, "listener", "kernel_drops", kd);
	cli_stats_add(&snap, "listener", "records", fl);
	cli_stats_add(&snap, "listener", "ring_drops", rd);
	cli_stats_add(&snap, "listener", "drop_not_allowed", na);
	cli_stats_add_decode(&snap, &ds);
	cli_stats_add_pipeline(&snap, &ps);
	for (int k = 1; k < FW_PAYLOAD_KINDS; k++) {
		uint64_t e = 0;

		if (ds.datagrams[k] == 0)
			continue;
		for (int j = 0; j < FW_DERR_N; j++)
			e += ds.errors[k][j];
		fw_log(level, "run", "decode %s: datagrams=%llu records=%llu errors=%llu", fw_pkt_kind_name(k),
		    (unsigned long long)ds.datagrams[k], (unsigned long long)ds.records[k], (unsigned long long)e);
	}
	if (qlog != NULL) {
		struct fw_qlog_stats qs;
		fw_qlog_tail_get_stats(qlog, &qs);
		cli_stats_add(&snap, "querylog", "lines", qs.lines);
		cli_stats_add(&snap, "querylog", "records", qs.queries);
		cli_stats_add(&snap, "querylog", "drop_malformed", qs.malformed);
		cli_stats_add(&snap, "querylog", "ring_drops", qs.ring_drops);
		cli_stats_add(&snap, "querylog", "rotations", qs.rotations);
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
		fw_log(level, "run", "nflog: packets=%llu records=%llu not_dns=%llu malformed=%llu kernel_drops=%llu "
		    "ring_drops=%llu", (unsigned long long)ns.packets, (unsigned long long)ns.records,
		    (unsigned long long)ns.not_dns, (unsigned long long)ns.malformed,
		    (unsigned long long)ns.kernel_drops, (unsigned long long)ns.ring_drops);
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
		fw_log(level, "run", "dnstap: frames=%llu records=%llu skipped=%llu bad=%llu ring_drops=%llu "
		    "connections=%llu active=%llu", (unsigned long long)ts.frames, (unsigned long long)ts.records,
		    (unsigned long long)ts.skipped,
		    (unsigned long long)ts.bad_proto + ts.bad_dns + ts.no_message + ts.oversize + ts.bad_control,
		    (unsigned long long)ts.ring_drops, (unsigned long long)ts.conns, (unsigned long long)ts.conns_active);
	}
	if (ps.kafka.produced > 0 || ps.kafka.backlog > 0)
		fw_log(level, "run", "kafka: produced=%llu delivered=%llu failures=%llu queue=%lld backlog=%lld",
		    (unsigned long long)ps.kafka.produced, (unsigned long long)ps.kafka.delivered,
		    (unsigned long long)ps.kafka.failures, (long long)ps.kafka.queue_depth,
		    (long long)ps.kafka.backlog);
	fw_log(level, "run", "datagrams=%llu kernel_drops=%llu records=%llu ring_drops=%llu not_allowed=%llu "
	    "victims=%llu alerts_started=%llu alerts_ended=%llu events_written=%llu",
	    (unsigned long long)dg, (unsigned long long)kd, (unsigned long long)fl, (unsigned long long)rd,
	    (unsigned long long)na, (unsigned long long)ps.det.victims,
	    (unsigned long long)ps.det.alerts_started, (unsigned long long)ps.det.alerts_ended,
	    (unsigned long long)ps.events_written);
	cli_stats_write(&snap, db);
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
	sigset_t set;
	char err[512];

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
	if (cfg.dns_querylog[0] != '\0') {
		if (fw_qlog_tail_open(cfg.dns_querylog, &cfg, &qlog, err, sizeof(err)) != FW_OK) {
			fw_log(FW_LOG_ERR, "run", "%s", err);
			status = EXIT_USAGE;
			goto out;
		}
		fw_log(FW_LOG_INFO, "run", "dns: following BIND query log %s (times in %s)", cfg.dns_querylog,
		    cfg.dns_querylog_timezone);
	}
	if (cfg.dns_nflog_group >= 0) {
		if (fw_nflog_open((int)cfg.dns_nflog_group, &cfg, &nflog, err, sizeof(err)) != FW_OK) {
			fw_log(FW_LOG_ERR, "run", "%s", err);
			status = EXIT_USAGE;
			goto out;
		}
		fw_log(FW_LOG_INFO, "run", "dns: NFLOG group %lld bound (copy-packet mode)", (long long)cfg.dns_nflog_group);
	}
	if ((rc = open_list("netflow", cfg.listen_netflow, &cfg)) != 0 ||
	    (rc = open_list("ipfix", cfg.listen_ipfix, &cfg)) != 0 ||
	    (rc = open_list("sflow", cfg.listen_sflow, &cfg)) != 0) {
		status = rc;
		goto out;
	}
	if (fw_pipeline_new(&cfg, true, &p, err, sizeof(err)) != FW_OK) {
		fw_log(FW_LOG_ERR, "run", "%s", err);
		status = 1;
		goto out;
	}
	for (int i = 0; i < nlisteners; i++) {
		struct fw_ring *ring;

		if (fw_pipeline_add_ring(p, FW_RING_FLOW, &ring) != FW_OK ||
		    fw_listener_start(listeners[i], ring, NULL) != FW_OK) {
			fw_log(FW_LOG_ERR, "run", "cannot start %s", fw_listener_name(listeners[i]));
			status = 1;
			goto out;
		}
	}
	if (qlog != NULL) {
		struct fw_ring *ring;

		if (fw_pipeline_add_ring(p, FW_RING_DNS, &ring) != FW_OK || fw_qlog_tail_start(qlog, ring) != FW_OK) {
			fw_log(FW_LOG_ERR, "run", "cannot start the query-log follower");
			status = 1;
			goto out;
		}
	}
	if (cfg.dns_dnstap_socket[0] != '\0') {
		struct fw_ring *ring;
		int trc;

		if (fw_pipeline_add_ring(p, FW_RING_DNS, &ring) != FW_OK) {
			status = 1;
			goto out;
		}
		trc = fw_dnstap_listener_open(cfg.dns_dnstap_socket,
		    (unsigned)strtol(cfg.dns_dnstap_socket_mode, NULL, 8), ring, &dnstap);
		if (trc != FW_OK) {
			fw_log(FW_LOG_ERR, "run", "dns.dnstap_socket %s: cannot listen: %s", cfg.dns_dnstap_socket,
			    fw_strerror(trc));
			status = EXIT_USAGE;
			goto out;
		}
		fw_log(FW_LOG_INFO, "run", "dns: dnstap socket %s (mode %s)", cfg.dns_dnstap_socket,
		    cfg.dns_dnstap_socket_mode);
	}
	if (nflog != NULL) {
		struct fw_ring *ring;

		if (fw_pipeline_add_ring(p, FW_RING_DNS, &ring) != FW_OK || fw_nflog_start(nflog, ring) != FW_OK) {
			fw_log(FW_LOG_ERR, "run", "cannot start the NFLOG reader");
			status = 1;
			goto out;
		}
	}
	fw_log(FW_LOG_INFO, "run", "memory budget: %.1f MiB (detector tables and rings, fixed at start)",
	    (double)fw_pipeline_memory_bytes(p) / (1024.0 * 1024.0));
	if (fw_pipeline_start(p) != FW_OK) {
		fw_log(FW_LOG_ERR, "run", "cannot start the detector and sink threads");
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
	fw_log(FW_LOG_INFO, "run", "ready; SIGINT or SIGTERM stops");

	for (int ticks = 0;; ticks++) {
		struct timespec tick = { 1, 0 };
		int sig = sigtimedwait(&set, NULL, &tick);

		if (sig == SIGINT || sig == SIGTERM) {
			fw_log(FW_LOG_INFO, "run", "%s: stopping listeners, draining, flushing sinks",
			    sig == SIGINT ? "SIGINT" : "SIGTERM");
			break;
		}
		if (sig == SIGHUP)
			fw_log(FW_LOG_INFO, "run", "SIGHUP: config reload is not supported yet; restart to apply changes");
		if (ticks % 60 == 59)
			log_counters(p, FW_LOG_INFO, cfg.sqlite_path);
	}
	/* A second signal while draining ends the process at once. */
	signal(SIGINT, second_signal);
	signal(SIGTERM, second_signal);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	for (int i = 0; i < nlisteners; i++)
		fw_listener_stop(listeners[i]);
	fw_qlog_tail_stop(qlog);
	fw_nflog_stop(nflog);
	if (dnstap != NULL)
		fw_dnstap_listener_stop(dnstap);
	fw_pipeline_stop(p);
	log_counters(p, FW_LOG_INFO, cfg.sqlite_path);
	fw_pipeline_get_stats(p, &ps);
	if (ps.events_backlog + ps.events_dropped > 0)
		status = 1;  /* accepted alert events were lost (see the summary line) */
	fw_log(FW_LOG_INFO, "run", "stopped");
out:
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
	fw_pipeline_free(p);
	return status;
}
