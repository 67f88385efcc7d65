/*
 * cmd_replay.c - `floodwatch replay`: capture files through the same
 * pipeline as the daemon, on event time, then a summary.
 *
 * One producer thread (this one) feeds a flow ring and a DNS ring that
 * share their order (fw_pipeline_add_producer), so the detector shards see
 * records in file order and every run, with any detector.shards, gives the
 * same alerts.  Missing files are a usage error (exit 2, before anything runs);
 * files that are not captures, or end truncated, are counted and skipped.
 * With cluster.role = collector the records go to cluster.records_topic
 * (fw_recpub.h) instead of a detector, ending with the final watermark.
 * Exit status: 0 when at least one input was read, 1 on a runtime failure
 * (a sink error, an input that failed while being read), 2 for usage and
 * config errors, EXIT_NO_INPUT when not one input could be read (each was
 * skipped), so a script can tell "nothing happened" from "no alerts".
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli_int.h"
#include "fw_decode.h"
#include "fw_dnstap.h"
#include "fw_log.h"
#include "fw_pipeline.h"
#include "fw_qlog_source.h"
#include "fw_replay.h"

/* Collector role: what went to the records topic instead of a detector. */
static void
print_publish(const struct fw_pipeline_stats *ps, const struct fw_config *cfg)
{
	const struct fw_recpub_stats *pub = &ps->pub;
	struct rusage ru;

	printf("publish: %llu records taken, %llu published in %llu batches, %llu watermarks, "
	    "%llu publish errors, %llu records dropped, %lld partitions of %s, %lld unacknowledged\n",
	    (unsigned long long)pub->records_taken, (unsigned long long)pub->records_published,
	    (unsigned long long)pub->batches, (unsigned long long)pub->watermarks,
	    (unsigned long long)pub->publish_errors, (unsigned long long)pub->records_dropped,
	    (long long)pub->partitions, cfg->cluster_records_topic, (long long)pub->queue_depth);
	if (getrusage(RUSAGE_SELF, &ru) == 0)
		printf("peak RSS: %.1f MiB\n", ru.ru_maxrss / 1024.0);
}

static void
print_summary(const struct cli_inputs *in, const struct fw_decode_stats *ds,
    const struct fw_pipeline_stats *ps, const struct fw_decoder *dec, const struct fw_config *cfg)
{
	const char *db = cfg->sqlite_path;
	const struct fw_replay_stats *rs = &in->rs;
	const struct fw_qlog_stats *qs = &in->qs;
	const struct fw_dnstap_stats *ts = &in->ts;
	struct rusage ru;
	uint64_t errs[FW_DERR_N] = { 0 };
	uint64_t lost = ps->events_backlog + ps->events_dropped;
	const struct fw_flow_profile *prof;
	size_t np = fw_decoder_flow_profiles(dec, &prof);

	printf("replay: %llu file(s) read, %llu skipped (not a capture), %llu truncated\n",
	    (unsigned long long)rs->files, (unsigned long long)rs->bad_files,
	    (unsigned long long)rs->truncated_files);
	printf("frames: %llu, UDP datagrams: %llu, IP fragments: %llu, DNS TCP segments: %llu, "
	    "other frames skipped: %llu, bad frames: %llu\n",
	    (unsigned long long)rs->frames, (unsigned long long)rs->udp, (unsigned long long)rs->fragments,
	    (unsigned long long)rs->tcp_dns, (unsigned long long)rs->not_udp, (unsigned long long)rs->frame_errors);
	for (int k = 0; k < FW_PAYLOAD_KINDS; k++) {
		uint64_t e = 0;

		for (int j = 0; j < FW_DERR_N; j++) {
			e += ds->errors[k][j];
			errs[j] += ds->errors[k][j];
		}
		if (ds->datagrams[k] == 0)
			continue;
		printf("  %-8s datagrams: %llu, records: %llu, errors: %llu, no_template: %llu\n",
		    fw_pkt_kind_name(k), (unsigned long long)ds->datagrams[k],
		    (unsigned long long)ds->records[k], (unsigned long long)e,
		    (unsigned long long)ds->errors[k][FW_DERR_NOTEMPLATE]);
		if (k == FW_PAYLOAD_SFLOW5) {
			printf("  %-8s samples:", "");
			for (int t = 0; t < FW_SFLOW5_S_N; t++)
				printf(" %s=%llu", fw_sflow5_sample_type_name((enum fw_sflow5_sample_type)t),
				    (unsigned long long)ds->sflow_samples[t]);
			printf(", records skipped: %llu (enterprise %llu)\n",
			    (unsigned long long)ds->sflow_records_skipped,
			    (unsigned long long)ds->sflow_records_enterprise);
		}
	}
	cli_inputs_print_reasm(in);
	if (qs->lines > 0)
		printf("  %-8s lines: %llu, records: %llu, other lines: %llu, malformed: %llu\n", "querylog",
		    (unsigned long long)qs->lines, (unsigned long long)qs->queries,
		    (unsigned long long)qs->not_query, (unsigned long long)qs->malformed);
	if (ts->frames > 0)
		printf("  %-8s frames: %llu, records: %llu, skipped types: %llu, bad: %llu\n", "dnstap",
		    (unsigned long long)ts->frames, (unsigned long long)ts->records,
		    (unsigned long long)ts->skipped,
		    (unsigned long long)ts->bad_proto + ts->bad_dns + ts->no_message + ts->oversize);
	printf("errors by kind:");
	for (int j = 0; j < FW_DERR_N; j++)
		printf(" %s=%llu", fw_derr_name(j), (unsigned long long)errs[j]);
	printf("\n");
	/* What each exporter's timeouts look like (the first 8; all are in
	 * collector_stats): p99 near 60 s is a 60 s active timeout. */
	for (size_t i = 0; i < np && i < 8; i++) {
		char a[64];

		fw_addr_format(&prof[i].addr, a, sizeof(a));
		printf("  exporter %s (%s): %llu records, durations p50 %.1f s p99 %.1f s, dropped: "
		    "implausible %llu, zero_dst %llu\n", a, fw_pkt_kind_name(prof[i].kind),
		    (unsigned long long)prof[i].records, (double)fw_flow_profile_duration_ms(&prof[i], 0.5) / 1000,
		    (double)fw_flow_profile_duration_ms(&prof[i], 0.99) / 1000,
		    (unsigned long long)prof[i].implausible, (unsigned long long)prof[i].zero_dst);
	}
	if (ps->pub.partitions > 0 || strcmp(cfg->cluster_role, "collector") == 0) {
		print_publish(ps, cfg);
		return;
	}
	printf("detector: %llu flow records, %llu DNS records, %llu late, %llu victims, %llu windows\n",
	    (unsigned long long)ps->det.flows, (unsigned long long)ps->det.dnsq,
	    (unsigned long long)ps->det.late, (unsigned long long)ps->det.victims,
	    (unsigned long long)ps->det.windows_closed);
	if (ps->det.dnsq > 0)
		printf("dns: %llu zones, %llu windows judged a flash crowd, %llu hot windows carried by fewer "
		    "than dns.min_clients clients (no alert)\n", (unsigned long long)ps->det.zones,
		    (unsigned long long)ps->det.flash_crowds, (unsigned long long)ps->det.dns_few_clients);
	if (ps->det.client_replies > 0)
		printf("victims: %llu flow records of reply traffic to clients counted on their prefix only\n",
		    (unsigned long long)ps->det.client_replies);
	printf("time model: lateness in force %.1f s, %llu records shifted, %llu paid as rate credits, "
	    "%llu credit merges\n", (double)ps->det.lateness_ms / 1000, (unsigned long long)ps->det.shifted,
	    (unsigned long long)ps->det.credits, (unsigned long long)ps->det.credit_merges);
	printf("hot windows not raised: %llu covered by a prefix or host, %llu carried by one source, "
	    "%llu with too few new sources\n", (unsigned long long)ps->det.suppressed,
	    (unsigned long long)ps->det.single_source, (unsigned long long)ps->det.few_sources);
	printf("alerts: %llu started, %llu ended, %llu events written to %s%s\n",
	    (unsigned long long)ps->det.alerts_started, (unsigned long long)ps->det.alerts_ended,
	    (unsigned long long)ps->events_written, db,
	    ps->sink_errors ? " (WITH SINK ERRORS)" : "");
	if (lost > 0)
		printf("NOT WRITTEN: %llu of %llu alert events (%llu unwritten at exit, %llu dropped: backlog full)\n",
		    (unsigned long long)lost, (unsigned long long)ps->events,
		    (unsigned long long)ps->events_backlog, (unsigned long long)ps->events_dropped);
	if (ps->kafka.produced > 0 || ps->kafka.backlog > 0)
		printf("kafka: %llu produced, %llu delivered, %llu failed deliveries, %lld left in the outbox\n",
		    (unsigned long long)ps->kafka.produced, (unsigned long long)ps->kafka.delivered,
		    (unsigned long long)ps->kafka.failures, (long long)ps->kafka.backlog);
	if (ps->notify.events > 0)
		printf("notify: %llu events, %llu runs, %llu ok, %llu failed, %llu timed out, %llu updates and "
		    "%llu starts/ends dropped\n", (unsigned long long)ps->notify.events,
		    (unsigned long long)ps->notify.runs, (unsigned long long)ps->notify.ok,
		    (unsigned long long)ps->notify.failed, (unsigned long long)ps->notify.timeouts,
		    (unsigned long long)ps->notify.dropped_updates, (unsigned long long)ps->notify.dropped_start_end);
	if (getrusage(RUSAGE_SELF, &ru) == 0)
		printf("peak RSS: %.1f MiB\n", ru.ru_maxrss / 1024.0);
	if (ps->det.alerts_started > 0)
		printf("list them: floodwatch alerts --db %s\n", db);
}

int
cmd_replay(int argc, char **argv)
{
	struct fw_config cfg;
	const char *name;
	char *pos[1024];
	int npos, rc, status = 0;
	struct fw_pipeline *p = NULL;
	struct fw_decoder *dec = NULL;
	struct fw_ring *flows, *dns;
	static struct cli_inputs in;
	struct fw_pipeline_stats ps;
	char err[512];

	if (argc > 1024) {
		fprintf(stderr, "floodwatch replay: too many arguments\n");
		return EXIT_USAGE;
	}
	rc = cli_load_config("replay", argc, argv, &cfg, &name, pos, &npos);
	if (rc < 0) {
		printf("usage: floodwatch replay [-c FILE] [--set SECTION.KEY=VALUE]... PATH...\n"
		    "Reads pcap/pcapng captures (flow exports and DNS packets) and BIND query logs,\n"
		    "recognising each file and each UDP payload by its content, and writes alerts to sqlite.path.\n");
		return 0;
	}
	if (rc != 0)
		return rc;
	if (npos == 0) {
		fprintf(stderr, "floodwatch replay: no input files (usage: floodwatch replay [-c FILE] PATH...)\n");
		return EXIT_USAGE;
	}
	if ((rc = cli_check_inputs("replay", pos, npos)) != 0)
		return rc;
	if (cfg.detector_shards == 0)
		cfg.detector_shards = fw_pipeline_auto_shards(1);  /* this thread reads */
	if ((rc = fw_pipeline_new(&cfg, false, &p, err, sizeof(err))) != FW_OK) {
		fprintf(stderr, "floodwatch replay: %s\n", err);
		return rc == FW_EUNSUPPORTED || rc == FW_EIO ? EXIT_USAGE : 1;
	}
	if (fw_pipeline_add_producer(p, &flows, &dns) != FW_OK ||
	    fw_decoder_new(&cfg, &dec) != FW_OK || fw_pipeline_start(p) != FW_OK) {
		fprintf(stderr, "floodwatch replay: cannot start the pipeline\n");
		fw_decoder_free(dec);
		fw_pipeline_free(p);
		return 1;
	}
	for (int i = 0, k = 1; i < npos; i += k) {
		if (cli_read_input(pos + i, npos - i, &cfg, dec, flows, dns, &in, &k, err, sizeof(err)) != FW_OK) {
			fprintf(stderr, "floodwatch replay: %s\n", err);
			status = 1;
		}
	}
	fw_decoder_flush(dec);  /* data still waiting for a template at the end: no_template */
	cli_inputs_end(&in);    /* fragments and TCP messages never completed: incomplete */
	fw_pipeline_stop(p);
	fw_pipeline_get_stats(p, &ps);
	print_summary(&in, fw_decoder_stats(dec), &ps, dec, &cfg);
	{
		static struct cli_stats cs;

		cli_stats_init(&cs, (size_t)cfg.stats_exporters);

		cli_stats_add(&cs, "replay", "files", in.rs.files);
		cli_stats_add(&cs, "replay", "frames", in.rs.frames);
		cli_stats_add(&cs, "replay", "bad_files", in.rs.bad_files);
		cli_stats_add(&cs, "replay", "truncated_files", in.rs.truncated_files);
		cli_stats_add(&cs, "replay", "frame_errors", in.rs.frame_errors);
		cli_stats_add(&cs, "querylog", "lines", in.qs.lines);
		cli_stats_add(&cs, "querylog", "records", in.qs.queries);
		cli_stats_add(&cs, "querylog", "drop_malformed", in.qs.malformed);
		cli_stats_add(&cs, "dnstap", "frames", in.ts.frames);
		cli_stats_add(&cs, "dnstap", "records", in.ts.records);
		cli_stats_add(&cs, "dnstap", "drop_bad_proto", in.ts.bad_proto);
		cli_stats_add(&cs, "dnstap", "drop_bad_dns", in.ts.bad_dns);
		cli_stats_add(&cs, "replay", "fragments", in.rs.fragments);
		cli_stats_add(&cs, "replay", "tcp_dns", in.rs.tcp_dns);
		cli_stats_add_reasm(&cs, &in.fs, &in.cs);
		cli_stats_add_decode(&cs, fw_decoder_stats(dec));
		cli_stats_add_exporters(&cs, dec);
		cli_stats_add_pipeline(&cs, &ps);
		cli_stats_write(&cs, cfg.sqlite_path, 0);  /* replay never deletes */
	}
	if (ps.events_backlog + ps.events_dropped > 0)
		status = 1;  /* accepted alert events were lost (retried errors are not a failure) */
	if (ps.pub.records_dropped > 0 || ps.pub.queue_depth > 0)
		status = 1;  /* collector: records that never reached the records topic */
	if (in.rs.files == 0) {
		fprintf(stderr, "floodwatch replay: no input could be read (%d file%s given, none a capture, "
		    "query log or dnstap file): exit %d\n", npos, npos == 1 ? "" : "s", EXIT_NO_INPUT);
		status = EXIT_NO_INPUT;
	}
	fw_decoder_free(dec);
	fw_pipeline_free(p);
	return status;
}
