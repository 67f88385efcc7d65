/*
 * stats.c - counter snapshots for the collector_stats table: every counter
 * that /metrics-style monitoring or an admin's query needs, written by the
 * main thread through its own SQLite connection (WAL: the sink thread's
 * writes are not blocked for longer than one small transaction).
 */
#include <stdio.h>
#include <string.h>

#include "cli_int.h"
#include "fw_log.h"
#include "fw_time.h"

void
cli_stats_add(struct cli_stats *cs, const char *source, const char *name, uint64_t value)
{
	struct fw_stat_row *r;

	if (cs->n >= CLI_STATS_MAX)
		return;
	r = &cs->rows[cs->n++];
	snprintf(r->source, sizeof(r->source), "%s", source);
	snprintf(r->name, sizeof(r->name), "%s", name);
	r->value = value;
}

void
cli_stats_add_decode(struct cli_stats *cs, const struct fw_decode_stats *ds)
{
	for (int k = 0; k < FW_PAYLOAD_KINDS; k++) {
		const char *src = fw_pkt_kind_name(k);
		char name[40];

		if (ds->datagrams[k] == 0)
			continue;
		cli_stats_add(cs, src, "datagrams", ds->datagrams[k]);
		cli_stats_add(cs, src, "records", ds->records[k]);
		for (int e = 0; e < FW_DERR_N; e++) {
			snprintf(name, sizeof(name), "drop_%s", fw_derr_name(e));
			cli_stats_add(cs, src, name, ds->errors[k][e]);
		}
	}
}

void
cli_stats_add_exporters(struct cli_stats *cs, struct fw_decoder *dec)
{
	struct fw_flow_exporter ex[64];
	const struct fw_sflow_agent *ag;
	const struct fw_sflow_if *ifs;
	size_t n = fw_tmpl_exporters(fw_decoder_templates(dec), ex, 64), m;
	char src[24], a[64], name[40];

	for (size_t i = 0; i < n; i++) {
		fw_addr_format(&ex[i].addr, a, sizeof(a));
		snprintf(src, sizeof(src), "%s %.15s", ex[i].version == 9 ? "nf9" : "ipfix", a);
		snprintf(name, sizeof(name), "dom%u_datagrams", ex[i].domain);
		cli_stats_add(cs, src, name, ex[i].datagrams);
		snprintf(name, sizeof(name), "dom%u_records", ex[i].domain);
		cli_stats_add(cs, src, name, ex[i].records);
		snprintf(name, sizeof(name), "dom%u_seq_lost", ex[i].domain);
		cli_stats_add(cs, src, name, ex[i].seq_lost);
		for (int r = 0; r < FW_DEC_NREASONS; r++) {
			if (ex[i].err[r] == 0)
				continue;
			snprintf(name, sizeof(name), "dom%u_err_%s", ex[i].domain, fw_dec_reason_name(r));
			cli_stats_add(cs, src, name, ex[i].err[r]);
		}
	}
	m = fw_decoder_sflow_agents(dec, &ag);
	for (size_t i = 0; i < m; i++) {
		fw_addr_format(&ag[i].addr, a, sizeof(a));
		snprintf(src, sizeof(src), "sflow %.17s", a);
		cli_stats_add(cs, src, "datagrams", ag[i].datagrams);
		cli_stats_add(cs, src, "flow_samples", ag[i].flow_samples);
		cli_stats_add(cs, src, "counter_samples", ag[i].counter_samples);
		cli_stats_add(cs, src, "bad_samples", ag[i].bad_samples);
		cli_stats_add(cs, src, "seq_lost", ag[i].seq_lost);
		cli_stats_add(cs, src, "sample_drops", ag[i].drops);
	}
	m = fw_decoder_sflow_ifs(dec, &ifs);
	for (size_t i = 0; i < m && i < 64; i++) {
		fw_addr_format(&ifs[i].agent, a, sizeof(a));
		snprintf(src, sizeof(src), "sflow %.17s", a);
		snprintf(name, sizeof(name), "if%u_in_octets", ifs[i].if_index);
		cli_stats_add(cs, src, name, ifs[i].c.in_octets);
		snprintf(name, sizeof(name), "if%u_out_octets", ifs[i].if_index);
		cli_stats_add(cs, src, name, ifs[i].c.out_octets);
		snprintf(name, sizeof(name), "if%u_in_errors", ifs[i].if_index);
		cli_stats_add(cs, src, name, ifs[i].c.in_errors);
		snprintf(name, sizeof(name), "if%u_in_discards", ifs[i].if_index);
		cli_stats_add(cs, src, name, ifs[i].c.in_discards);
	}
}

void
cli_stats_add_pipeline(struct cli_stats *cs, const struct fw_pipeline_stats *ps)
{
	cli_stats_add(cs, "detector", "flow_records", ps->det.flows);
	cli_stats_add(cs, "detector", "dns_records", ps->det.dnsq);
	cli_stats_add(cs, "detector", "late", ps->det.late);
	cli_stats_add(cs, "detector", "future", ps->det.future);
	cli_stats_add(cs, "detector", "ahead", ps->det.ahead);
	cli_stats_add(cs, "detector", "victims", ps->det.victims);
	cli_stats_add(cs, "detector", "victims_full", ps->det.victims_full);
	cli_stats_add(cs, "detector", "evicted", ps->det.evicted);
	cli_stats_add(cs, "detector", "alerts_started", ps->det.alerts_started);
	cli_stats_add(cs, "detector", "alerts_ended", ps->det.alerts_ended);
	cli_stats_add(cs, "detector", "memory_bytes", ps->det.memory_bytes);
	cli_stats_add(cs, "pipeline", "ring_drops", ps->ring_drops);
	cli_stats_add(cs, "sqlite", "events_written", ps->events_written);
	cli_stats_add(cs, "sqlite", "errors", ps->sink_errors);
	cli_stats_add(cs, "kafka", "produced", ps->kafka.produced);
	cli_stats_add(cs, "kafka", "delivered", ps->kafka.delivered);
	cli_stats_add(cs, "kafka", "failures", ps->kafka.failures);
	cli_stats_add(cs, "kafka", "queue_full", ps->kafka.queue_full);
	cli_stats_add(cs, "kafka", "queue_depth", (uint64_t)(ps->kafka.queue_depth > 0 ? ps->kafka.queue_depth : 0));
	cli_stats_add(cs, "kafka", "backlog", (uint64_t)(ps->kafka.backlog > 0 ? ps->kafka.backlog : 0));
}

void
cli_stats_write(struct cli_stats *cs, const char *db_path)
{
	struct fw_sqlite *s;
	char err[512];

	if (fw_sqlite_open(db_path, &s, err, sizeof(err)) != FW_OK) {
		fw_log(FW_LOG_WARN, "stats", "%s", err);
		return;
	}
	if (fw_sqlite_stats_write(s, fw_time_now_ms(), cs->rows, cs->n) != FW_OK)
		fw_log(FW_LOG_WARN, "stats", "counters not written to %s", db_path);
	fw_sqlite_close(s);
	cs->n = 0;
}
