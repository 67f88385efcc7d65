/*
 * stats.c - counter snapshots for the collector_stats table: every counter
 * that /metrics-style monitoring or an admin's query needs, written by the
 * main thread through its own SQLite connection (WAL: the sink thread's
 * writes are not blocked for longer than one small transaction).
 *
 * A snapshot is bounded (CLI_STATS_MAX rows) however many exporters there
 * are: one host can claim thousands of NetFlow source ids.  Global rows are
 * added first.  Exporters are ranked while they are offered (a running
 * top-N per kind, O(N) per exporter, no allocation) and only become rows in
 * cli_stats_write(): the busiest N per kind one by one, the rest summed into
 * "<kind> others", so for every counter, listed exporters + others = all.
 * An exporter that would not fit in the rows left is summed too.  The
 * "stats" rows say how many exporters were seen, listed and summed, and how
 * many global rows did not fit (0 unless CLI_STATS_MAX is too small).
 *
 * Templates held, sampling rates in force and last-seen times are gauges,
 * not counters, but they are rows too: the log, collector_stats, /metrics
 * and the API then show one gathering, a change of sampling rate stays in
 * the history next to the rate jump it explains, and the row budget bounds
 * them like everything else.  They are read from the decoders' template
 * caches on the same walk as the counters (same lock), with two accessors
 * of fw_tmpl.h; in others, templates are summed and last seen is the newest.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_int.h"
#include "fw_log.h"
#include "fw_time.h"

/* Rows kept back for the "stats" rows, so the count of what was left out
 * always gets written. */
#define STATS_ROWS 4

struct kind_desc {
	const char *label;       /* "nf9": source is "nf9 ADDR" and "nf9 others" */
	const char *unit;        /* others: how many were summed ("exporters") */
	size_t nc;               /* counters used in cli_exp.c */
	size_t always;           /* c[0..always) are written even when 0 */
	size_t gauges;           /* c[gauges..nc) are levels, not counts: not summed into others */
};

static const struct kind_desc kinds[CLI_EXP_KINDS] = {
	[CLI_EXP_NF9] = { "nf9", "exporters", CLI_EXP_NC, 3, CLI_EXP_NC },
	[CLI_EXP_IPFIX] = { "ipfix", "exporters", CLI_EXP_NC, 3, CLI_EXP_NC },
	[CLI_EXP_SFLOW] = { "sflow", "agents", 6, 6, 6 },
	[CLI_EXP_SFLOW_IF] = { "sflow_if", "interfaces", 4, 4, 4 },
	[CLI_EXP_FLOW] = { "flow", "exporters", 5, 5, 3 },
};

_Static_assert(CLI_EXP_NC >= 6, "cli_exp holds the sFlow agent counters");

static const char *const sflow_names[] = {
	"datagrams", "flow_samples", "counter_samples", "bad_samples", "seq_lost", "sample_drops"
};
static const char *const sflow_if_names[] = { "in_octets", "out_octets", "in_errors", "in_discards" };
static const char *const flow_names[] = { "datagrams", "records", "seq_lost" };
static const char *const profile_names[] = {
	"records", "drop_implausible", "drop_zero_dst", "duration_p50_ms", "duration_p99_ms"
};

/* Name of counter i of a kind, without the per-exporter prefix. */
static void
counter_name(enum cli_exp_kind k, size_t i, char *buf, size_t len)
{
	switch (k) {
	case CLI_EXP_SFLOW:
		snprintf(buf, len, "%s", sflow_names[i]);
		break;
	case CLI_EXP_SFLOW_IF:
		snprintf(buf, len, "%s", sflow_if_names[i]);
		break;
	case CLI_EXP_FLOW:
		snprintf(buf, len, "%s", profile_names[i]);
		break;
	default:
		if (i < 3)
			snprintf(buf, len, "%s", flow_names[i]);
		else
			snprintf(buf, len, "err_%s", fw_dec_reason_name((enum fw_dec_reason)(i - 3)));
		break;
	}
}

static uint64_t
sat_add(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

void
cli_stats_init(struct cli_stats *cs, size_t top)
{
	memset(cs, 0, sizeof(*cs));
	cs->top = top < CLI_STATS_TOP_MAX ? top : CLI_STATS_TOP_MAX;
}

/* Append a row if it fits below `limit`; else count it as left out. */
static int
add_row(struct cli_stats *cs, size_t limit, const char *source, const char *name, uint64_t value)
{
	struct fw_stat_row *r;

	if (cs->n >= limit) {
		cs->rows_omitted++;
		return -1;
	}
	r = &cs->rows[cs->n++];
	/* Cut to the column widths (names here are far shorter). */
	snprintf(r->source, sizeof(r->source), "%.*s", (int)sizeof(r->source) - 1, source);
	snprintf(r->name, sizeof(r->name), "%.*s", (int)sizeof(r->name) - 1, name);
	r->value = value;
	return 0;
}

void
cli_stats_add(struct cli_stats *cs, const char *source, const char *name, uint64_t value)
{
	(void)add_row(cs, CLI_STATS_MAX - STATS_ROWS, source, name, value);
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
		/* Every template decoder reason, also those that are not drops
		 * (data that waited for its template, refreshed sets...). */
		for (int r = 0; r < FW_DEC_NREASONS; r++) {
			if (ds->tmpl[k][r] == 0)
				continue;
			snprintf(name, sizeof(name), "tmpl_%s", fw_dec_reason_name((enum fw_dec_reason)r));
			cli_stats_add(cs, src, name, ds->tmpl[k][r]);
		}
		if (k != FW_PAYLOAD_SFLOW5)
			continue;
		/* Every sample type, also those not decoded (discarded packet
		 * events, vendor samples): none goes unseen. */
		for (int t = 0; t < FW_SFLOW5_S_N; t++) {
			snprintf(name, sizeof(name), "sample_%s",
			    fw_sflow5_sample_type_name((enum fw_sflow5_sample_type)t));
			cli_stats_add(cs, src, name, ds->sflow_samples[t]);
		}
		cli_stats_add(cs, src, "records_skipped", ds->sflow_records_skipped);
		cli_stats_add(cs, src, "records_skipped_enterprise", ds->sflow_records_enterprise);
	}
}

/* Ranking: more traffic first; ties by address, then id, so a snapshot
 * does not depend on hash table order. */
static int
exp_cmp(const struct cli_exp *a, const struct cli_exp *b)
{
	int c;

	if (a->weight != b->weight)
		return a->weight > b->weight ? -1 : 1;
	if ((c = memcmp(a->addr.b, b->addr.b, 16)) != 0)
		return c;
	return a->id < b->id ? -1 : a->id > b->id;
}

/* Add a rate unless the exporter has it or its list is full. */
static void
add_rate(struct cli_exp *e, const struct cli_exp_rate *r)
{
	for (uint32_t i = 0; i < e->nrates; i++)
		if (e->rates[i].sampler_id == r->sampler_id)
			return;
	if (e->nrates < CLI_EXP_SAMPLERS)
		e->rates[e->nrates++] = *r;
}

static int
exp_qsort_cmp(const void *a, const void *b)
{
	return exp_cmp(a, b);
}

/* The gauges of x into e: templates add up (each decoder's cache holds its
 * own), last seen is the newest, rates are a union (first ones kept). */
static void
merge_gauges(struct cli_exp *e, const struct cli_exp *x)
{
	e->templates = sat_add(e->templates, x->templates);
	if (x->last_seen_ms > e->last_seen_ms)
		e->last_seen_ms = x->last_seen_ms;
	for (uint32_t i = 0; i < x->nrates; i++)
		add_rate(e, &x->rates[i]);
}

static void
fold(struct cli_exp_top *t, const struct cli_exp *x)
{
	t->others.weight = sat_add(t->others.weight, x->weight);
	for (size_t i = 0; i < CLI_EXP_NC; i++)
		t->others.c[i] = sat_add(t->others.c[i], x->c[i]);
	t->others.templates = sat_add(t->others.templates, x->templates);
	if (x->last_seen_ms > t->others.last_seen_ms)
		t->others.last_seen_ms = x->last_seen_ms;
	t->nothers++;
}

/*
 * Offer one exporter to its kind's top list.  The same exporter seen by two
 * listeners (same address and id) is merged while it is in the list.
 */
static void
offer(struct cli_stats *cs, enum cli_exp_kind k, const struct cli_exp *x)
{
	struct cli_exp_top *t = &cs->kind[k];
	size_t min = 0;

	t->seen++;
	for (size_t i = 0; i < t->n; i++) {
		struct cli_exp *e = &t->e[i];

		if (e->id == x->id && memcmp(e->addr.b, x->addr.b, 16) == 0) {
			e->weight = sat_add(e->weight, x->weight);
			for (size_t j = 0; j < CLI_EXP_NC; j++)
				e->c[j] = sat_add(e->c[j], x->c[j]);
			merge_gauges(e, x);
			t->seen--;
			return;
		}
		if (exp_cmp(e, &t->e[min]) > 0)
			min = i;
	}
	if (t->n < cs->top) {
		t->e[t->n++] = *x;
		return;
	}
	if (t->n > 0 && exp_cmp(x, &t->e[min]) < 0) {
		fold(t, &t->e[min]);
		t->e[min] = *x;
		return;
	}
	fold(t, x);
}

/* What the v9/IPFIX walks of one decoder need. */
struct flow_walk {
	struct cli_stats *cs;
	const struct fw_tmpl_cache *tc;
};

static void
offer_flow(void *ctx, const struct fw_flow_exporter *x)
{
	struct flow_walk *w = ctx;
	struct cli_stats *cs = w->cs;
	struct cli_exp e;

	memset(&e, 0, sizeof(e));
	e.addr = x->addr;
	e.id = x->domain;
	e.weight = x->records;
	e.c[0] = x->datagrams;
	e.c[1] = x->records;
	e.c[2] = x->seq_lost;
	for (int r = 0; r < FW_DEC_NREASONS; r++)
		e.c[3 + r] = x->err[r];
	e.templates = fw_tmpl_exporter_templates(w->tc, x->version, &x->addr, x->domain);
	e.last_seen_ms = x->last_seen_ms;
	offer(cs, x->version == 9 ? CLI_EXP_NF9 : CLI_EXP_IPFIX, &e);
}

/* A sampling rate goes to its exporter if that is listed so far (a rate
 * of an exporter summed into others is not shown).  O(top) per rate. */
static void
offer_rate(void *ctx, const struct fw_tmpl_sampler *s)
{
	struct flow_walk *w = ctx;
	struct cli_exp_top *t = &w->cs->kind[s->version == 9 ? CLI_EXP_NF9 : CLI_EXP_IPFIX];
	struct cli_exp_rate r = { s->sampler_id, s->rate };

	for (size_t i = 0; i < t->n; i++)
		if (t->e[i].id == s->domain && memcmp(t->e[i].addr.b, s->addr.b, 16) == 0) {
			add_rate(&t->e[i], &r);
			return;
		}
}

void
cli_stats_add_exporters(struct cli_stats *cs, struct fw_decoder *dec)
{
	const struct fw_sflow_agent *ag;
	const struct fw_sflow_if *ifs;
	const struct fw_flow_profile *prof;
	struct flow_walk w = { cs, fw_decoder_templates(dec) };
	size_t m;

	(void)fw_tmpl_exporters_each(w.tc, offer_flow, &w);
	(void)fw_tmpl_samplers_each(w.tc, offer_rate, &w);
	m = fw_decoder_sflow_agents(dec, &ag);
	for (size_t i = 0; i < m; i++) {
		struct cli_exp e;

		memset(&e, 0, sizeof(e));
		e.addr = ag[i].addr;
		e.id = ag[i].sub_agent;
		e.weight = ag[i].flow_samples;
		e.c[0] = ag[i].datagrams;
		e.c[1] = ag[i].flow_samples;
		e.c[2] = ag[i].counter_samples;
		e.c[3] = ag[i].bad_samples;
		e.c[4] = ag[i].seq_lost;
		e.c[5] = ag[i].drops;
		e.last_seen_ms = ag[i].last_seen_ms;
		offer(cs, CLI_EXP_SFLOW, &e);
	}
	m = fw_decoder_flow_profiles(dec, &prof);
	for (size_t i = 0; i < m; i++) {
		struct cli_exp e;

		memset(&e, 0, sizeof(e));
		e.addr = prof[i].addr;
		e.id = prof[i].kind;
		e.weight = prof[i].records;
		e.c[0] = prof[i].records;
		e.c[1] = prof[i].implausible;
		e.c[2] = prof[i].zero_dst;
		e.c[3] = (uint64_t)fw_flow_profile_duration_ms(&prof[i], 0.5);
		e.c[4] = (uint64_t)fw_flow_profile_duration_ms(&prof[i], 0.99);
		offer(cs, CLI_EXP_FLOW, &e);
	}
	m = fw_decoder_sflow_ifs(dec, &ifs);
	for (size_t i = 0; i < m; i++) {
		struct cli_exp e;

		memset(&e, 0, sizeof(e));
		e.addr = ifs[i].agent;
		e.id = ifs[i].if_index;
		e.weight = sat_add(ifs[i].c.in_octets, ifs[i].c.out_octets);
		e.c[0] = ifs[i].c.in_octets;
		e.c[1] = ifs[i].c.out_octets;
		e.c[2] = ifs[i].c.in_errors;
		e.c[3] = ifs[i].c.in_discards;
		offer(cs, CLI_EXP_SFLOW_IF, &e);
	}
}

void
cli_stats_add_pipeline(struct cli_stats *cs, const struct fw_pipeline_stats *ps)
{
	cli_stats_add(cs, "detector", "flow_records", ps->det.flows);
	cli_stats_add(cs, "detector", "dns_records", ps->det.dnsq);
	cli_stats_add(cs, "detector", "late", ps->det.late);
	cli_stats_add(cs, "detector", "lateness_ms", ps->det.lateness_ms);
	cli_stats_add(cs, "detector", "shifted", ps->det.shifted);
	cli_stats_add(cs, "detector", "credits", ps->det.credits);
	cli_stats_add(cs, "detector", "credit_merges", ps->det.credit_merges);
	cli_stats_add(cs, "detector", "future", ps->det.future);
	cli_stats_add(cs, "detector", "ahead", ps->det.ahead);
	cli_stats_add(cs, "detector", "victims", ps->det.victims);
	cli_stats_add(cs, "detector", "victims_full", ps->det.victims_full);
	cli_stats_add(cs, "detector", "client_replies", ps->det.client_replies);
	cli_stats_add(cs, "detector", "evicted", ps->det.evicted);
	cli_stats_add(cs, "detector", "flash_crowds", ps->det.flash_crowds);
	cli_stats_add(cs, "detector", "dns_few_clients", ps->det.dns_few_clients);
	cli_stats_add(cs, "detector", "evicted_lru", ps->det.evicted_lru);
	cli_stats_add(cs, "detector", "suppressed", ps->det.suppressed);
	cli_stats_add(cs, "detector", "single_source", ps->det.single_source);
	cli_stats_add(cs, "detector", "few_sources", ps->det.few_sources);
	cli_stats_add(cs, "detector", "alerts_started", ps->det.alerts_started);
	cli_stats_add(cs, "detector", "alerts_ended", ps->det.alerts_ended);
	cli_stats_add(cs, "detector", "memory_bytes", ps->det.memory_bytes);
	cli_stats_add(cs, "pipeline", "ring_drops", ps->ring_drops);
	cli_stats_add(cs, "sqlite", "events_written", ps->events_written);
	cli_stats_add(cs, "sqlite", "errors", ps->sink_errors);
	cli_stats_add(cs, "sqlite", "events_accepted", ps->events);
	cli_stats_add(cs, "sqlite", "events_dropped", ps->events_dropped);
	cli_stats_add(cs, "sqlite", "backlog", ps->events_backlog);
	cli_stats_add(cs, "kafka", "produced", ps->kafka.produced);
	cli_stats_add(cs, "kafka", "delivered", ps->kafka.delivered);
	cli_stats_add(cs, "kafka", "failures", ps->kafka.failures);
	cli_stats_add(cs, "kafka", "queue_full", ps->kafka.queue_full);
	cli_stats_add(cs, "kafka", "queue_depth", (uint64_t)(ps->kafka.queue_depth > 0 ? ps->kafka.queue_depth : 0));
	cli_stats_add(cs, "kafka", "backlog", (uint64_t)(ps->kafka.backlog > 0 ? ps->kafka.backlog : 0));
	cli_stats_add(cs, "kafka", "acked_unrecorded",
	    (uint64_t)(ps->kafka.acked_unrecorded > 0 ? ps->kafka.acked_unrecorded : 0));
	if (ps->pub.partitions > 0 || ps->pub.records_taken > 0) {
		/* Collector role (fw_recpub.h). */
		cli_stats_add(cs, "publish", "records_taken", ps->pub.records_taken);
		cli_stats_add(cs, "publish", "records_published", ps->pub.records_published);
		cli_stats_add(cs, "publish", "batches", ps->pub.batches);
		cli_stats_add(cs, "publish", "watermarks", ps->pub.watermarks);
		cli_stats_add(cs, "publish", "publish_errors", ps->pub.publish_errors);
		cli_stats_add(cs, "publish", "records_dropped", ps->pub.records_dropped);
		cli_stats_add(cs, "publish", "queue_depth", (uint64_t)(ps->pub.queue_depth > 0 ? ps->pub.queue_depth : 0));
		cli_stats_add(cs, "publish", "partitions", (uint64_t)ps->pub.partitions);
	}
	cli_stats_add(cs, "notify", "events", ps->notify.events);
	cli_stats_add(cs, "notify", "runs", ps->notify.runs);
	cli_stats_add(cs, "notify", "ok", ps->notify.ok);
	cli_stats_add(cs, "notify", "failed", ps->notify.failed);
	cli_stats_add(cs, "notify", "timeouts", ps->notify.timeouts);
	cli_stats_add(cs, "notify", "dropped_updates", ps->notify.dropped_updates);
	cli_stats_add(cs, "notify", "dropped_start_end", ps->notify.dropped_start_end);
	cli_stats_add(cs, "notify", "queue_depth", ps->notify.queue_depth);
	cli_stats_add(cs, "notify", "running", ps->notify.running);
}

void
cli_stats_add_cluster(struct cli_stats *cs, const struct fw_cdetect_stats *c)
{
	cli_stats_add(cs, "cluster", "partitions", c->partitions);
	cli_stats_add(cs, "cluster", "partitions_total", c->partitions_total);
	cli_stats_add(cs, "cluster", "rebalances", c->rebalances);
	cli_stats_add(cs, "cluster", "assigned", c->assigned);
	cli_stats_add(cs, "cluster", "revoked", c->revoked);
	cli_stats_add(cs, "cluster", "lost", c->lost);
	cli_stats_add(cs, "cluster", "restores", c->restores);
	cli_stats_add(cs, "cluster", "restores_none", c->restores_none);
	cli_stats_add(cs, "cluster", "restore_failures", c->restore_failures);
	cli_stats_add(cs, "cluster", "checkpoints", c->state.written);
	cli_stats_add(cs, "cluster", "checkpoint_bytes", c->state.written_bytes);
	cli_stats_add(cs, "cluster", "checkpoint_failures", c->checkpoint_failures);
	cli_stats_add(cs, "cluster", "state_bad_records", c->state.bad_records);
	cli_stats_add(cs, "cluster", "commits", c->commits);
	cli_stats_add(cs, "cluster", "commit_failures", c->commit_failures);
	cli_stats_add(cs, "cluster", "batches", c->batches);
	cli_stats_add(cs, "cluster", "records", c->records);
	cli_stats_add(cs, "cluster", "drop_malformed", c->malformed);
	cli_stats_add(cs, "cluster", "seq_gaps", c->seq_gaps);
	cli_stats_add(cs, "cluster", "collectors_full", c->collectors_full);
	cli_stats_add(cs, "cluster", "idle_collectors", c->idle_collectors);
	cli_stats_add(cs, "cluster", "idle_marks", c->idle_marks);
	cli_stats_add(cs, "cluster", "watermark_lag_ms", (uint64_t)(c->watermark_lag_ms > 0 ? c->watermark_lag_ms : 0));
}

void
cli_stats_add_reasm(struct cli_stats *cs, const struct fw_ipfrag_stats *fs, const struct fw_dnstcp_stats *ts)
{
	char name[40];

	if (fs->fragments > 0) {
		cli_stats_add(cs, "ipfrag", "fragments", fs->fragments);
		cli_stats_add(cs, "ipfrag", "reassembled", fs->reassembled);
		cli_stats_add(cs, "ipfrag", "duplicates", fs->duplicates);
		cli_stats_add(cs, "ipfrag", "other_proto", fs->other_proto);
		for (int r = 0; r < FW_IPFRAG_DROP_N; r++) {
			snprintf(name, sizeof(name), "drop_%s", fw_ipfrag_drop_name((enum fw_ipfrag_drop)r));
			cli_stats_add(cs, "ipfrag", name, fs->drops[r]);
		}
	}
	if (ts->segments > 0) {
		cli_stats_add(cs, "dnstcp", "segments", ts->segments);
		cli_stats_add(cs, "dnstcp", "messages", ts->messages);
		cli_stats_add(cs, "dnstcp", "clipped", ts->clipped);
		cli_stats_add(cs, "dnstcp", "retransmits", ts->retransmits);
		for (int r = 0; r < FW_DNSTCP_DROP_N; r++) {
			snprintf(name, sizeof(name), "drop_%s", fw_dnstcp_drop_name((enum fw_dnstcp_drop)r));
			cli_stats_add(cs, "dnstcp", name, ts->drops[r]);
		}
	}
}

/* Rows exporter x of kind k takes: the fixed counters plus non-zero ones. */
static size_t
rows_of(enum cli_exp_kind k, const struct cli_exp *x)
{
	size_t n = kinds[k].always;

	for (size_t i = kinds[k].always; i < kinds[k].nc; i++)
		n += x->c[i] != 0;
	if (k == CLI_EXP_NF9 || k == CLI_EXP_IPFIX)
		n += 1 + x->nrates;        /* templates, sampler rates */
	if (k == CLI_EXP_NF9 || k == CLI_EXP_IPFIX || k == CLI_EXP_SFLOW)
		n += x->last_seen_ms > 0;
	return n;
}

/* Rows of a kind's "others" besides its count and summed counters. */
static size_t
others_gauges(enum cli_exp_kind k)
{
	return k == CLI_EXP_NF9 || k == CLI_EXP_IPFIX ? 2 : k == CLI_EXP_SFLOW ? 1 : 0;
}

/*
 * The gauge rows of a listed exporter (pre: its name prefix) or of "others"
 * (pre ""): templates held and sampling rates in force (v9/IPFIX), last seen
 * (v9/IPFIX, sFlow agents), in ms since the epoch.
 */
static void
gauge_rows(struct cli_stats *cs, size_t limit, enum cli_exp_kind k, const char *src, const char *pre,
    const struct cli_exp *x)
{
	char name[sizeof(cs->rows[0].name)];
	int w;

	if (k == CLI_EXP_NF9 || k == CLI_EXP_IPFIX) {
		snprintf(name, sizeof(name), "%stemplates", pre);
		(void)add_row(cs, limit, src, name, x->templates);
	}
	if (x->last_seen_ms > 0 && others_gauges(k) > 0) {
		snprintf(name, sizeof(name), "%slast_seen_ms", pre);
		(void)add_row(cs, limit, src, name, (uint64_t)x->last_seen_ms);
	}
	for (uint32_t i = 0; i < x->nrates; i++) {
		w = snprintf(name, sizeof(name), "%ssampler%" PRIu64 "_rate", pre, x->rates[i].sampler_id);
		if (w < 0 || (size_t)w >= sizeof(name))
			cs->rows_omitted++;    /* a 20-digit sampler id of a 10-digit domain */
		else
			(void)add_row(cs, limit, src, name, x->rates[i].rate);
	}
}

/*
 * The rows of one listed exporter: source "nf9 ADDR" (sFlow interfaces:
 * "sflow AGENT"), counter names with a per-exporter prefix: "dom7_",
 * "if3_", "sub2_" (sFlow sub-agent) or none.
 */
static void
exp_rows(struct cli_stats *cs, enum cli_exp_kind k, const struct cli_exp *x)
{
	char src[sizeof(cs->rows[0].source)], a[48], pre[24], cn[40], name[sizeof(pre) + sizeof(cn)];

	fw_addr_format(&x->addr, a, sizeof(a));  /* INET6_ADDRSTRLEN: fits */
	snprintf(src, sizeof(src), "%.9s %s", k == CLI_EXP_SFLOW_IF ? "sflow" : kinds[k].label, a);
	if (k == CLI_EXP_NF9 || k == CLI_EXP_IPFIX)
		snprintf(pre, sizeof(pre), "dom%" PRIu32 "_", x->id);
	else if (k == CLI_EXP_SFLOW_IF)
		snprintf(pre, sizeof(pre), "if%" PRIu32 "_", x->id);
	else if (k == CLI_EXP_FLOW)
		snprintf(pre, sizeof(pre), "%s_", fw_pkt_kind_name((enum fw_payload_kind)x->id));
	else if (x->id != 0)
		snprintf(pre, sizeof(pre), "sub%" PRIu32 "_", x->id);
	else
		pre[0] = '\0';
	for (size_t i = 0; i < kinds[k].nc; i++) {
		if (i >= kinds[k].always && x->c[i] == 0)
			continue;
		counter_name(k, i, cn, sizeof(cn));
		snprintf(name, sizeof(name), "%s%s", pre, cn);
		(void)add_row(cs, CLI_STATS_MAX, src, name, x->c[i]);
	}
	gauge_rows(cs, CLI_STATS_MAX, k, src, pre, x);
}

/*
 * Turn the top lists into rows: rank 0 of every kind, then rank 1, ..., so
 * one kind cannot take every row.  The "others" rows of each kind (and the
 * stats rows) are reserved first; an exporter that does not fit in what is
 * left is summed into others.  Returns exporters listed.
 */
static uint64_t
finish(struct cli_stats *cs)
{
	size_t reserve = STATS_ROWS, maxn = 0;
	uint64_t listed = 0, seen = 0, summed = 0;
	char src[64], cn[40];

	for (int k = 0; k < CLI_EXP_KINDS; k++) {
		struct cli_exp_top *t = &cs->kind[k];

		if (t->seen > 0)
			reserve += 1 + kinds[k].gauges + others_gauges(k);
		qsort(t->e, t->n, sizeof(t->e[0]), exp_qsort_cmp);
		if (t->n > maxn)
			maxn = t->n;
	}
	for (size_t rank = 0; rank < maxn; rank++) {
		for (int k = 0; k < CLI_EXP_KINDS; k++) {
			struct cli_exp_top *t = &cs->kind[k];

			if (rank >= t->n)
				continue;
			if (cs->n + reserve + rows_of(k, &t->e[rank]) > CLI_STATS_MAX) {
				fold(t, &t->e[rank]);
				continue;
			}
			exp_rows(cs, k, &t->e[rank]);
			listed++;
		}
	}
	for (int k = 0; k < CLI_EXP_KINDS; k++) {
		struct cli_exp_top *t = &cs->kind[k];

		seen += t->seen;
		summed += t->nothers;
		if (t->nothers == 0)
			continue;
		snprintf(src, sizeof(src), "%s others", kinds[k].label);
		(void)add_row(cs, CLI_STATS_MAX - STATS_ROWS, src, kinds[k].unit, t->nothers);
		for (size_t i = 0; i < kinds[k].gauges; i++) {
			if (i >= kinds[k].always && t->others.c[i] == 0)
				continue;
			counter_name(k, i, cn, sizeof(cn));
			(void)add_row(cs, CLI_STATS_MAX - STATS_ROWS, src, cn, t->others.c[i]);
		}
		gauge_rows(cs, CLI_STATS_MAX - STATS_ROWS, k, src, "", &t->others);
	}
	(void)add_row(cs, CLI_STATS_MAX, "stats", "exporters_seen", seen);
	(void)add_row(cs, CLI_STATS_MAX, "stats", "exporters_listed", listed);
	(void)add_row(cs, CLI_STATS_MAX, "stats", "exporters_summed", summed);
	(void)add_row(cs, CLI_STATS_MAX, "stats", "rows_omitted", cs->rows_omitted);
	if (cs->rows_omitted > 0)
		fw_log(FW_LOG_WARN, "stats", "%" PRIu64 " counter rows did not fit in the collector_stats snapshot "
		    "(at most %d rows); counted in stats/rows_omitted", cs->rows_omitted, CLI_STATS_MAX);
	if (summed > 0)
		fw_log(FW_LOG_INFO, "stats", "exporters: %" PRIu64 " seen, %" PRIu64 " listed one by one, "
		    "%" PRIu64 " summed into '<kind> others' rows (stats.exporters = %zu per kind)",
		    seen, listed, summed, cs->top);
	return listed;
}

void
cli_stats_finish(struct cli_stats *cs)
{
	if (!cs->finished)
		(void)finish(cs);
	cs->finished = true;
}

void
cli_stats_write_db(struct cli_stats *cs, struct fw_sqlite *s, const char *db_path, int64_t retention_days)
{
	int64_t now = fw_time_now_ms();
	size_t top = cs->top;

	cli_stats_finish(cs);
	if (fw_sqlite_stats_write(s, now, cs->rows, cs->n) != FW_OK)
		fw_log(FW_LOG_WARN, "stats", "counters not written to %s", db_path);
	/* More rows per call than a snapshot adds: a backlog shrinks. */
	if (retention_days > 0)
		(void)fw_sqlite_stats_prune(s, retention_days, now, 4 * CLI_STATS_MAX);
	cli_stats_init(cs, top);
}

void
cli_stats_write(struct cli_stats *cs, const char *db_path, int64_t retention_days)
{
	struct fw_sqlite *s;
	char err[512];

	if (fw_sqlite_open(db_path, &s, err, sizeof(err)) != FW_OK) {
		fw_log(FW_LOG_WARN, "stats", "%s", err);
		cli_stats_init(cs, cs->top);  /* a failed write must not pile rows up */
		return;
	}
	cli_stats_write_db(cs, s, db_path, retention_days);
	fw_sqlite_close(s);
}
