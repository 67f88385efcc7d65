/*
 * metrics.c - GET /metrics: the Prometheus text exposition format (0.0.4).
 *
 * Source: the counter rows the main thread gathers for its log line and for
 * collector_stats (cli/stats.c), published each tick; /metrics therefore
 * shows the same numbers as the log and the database, from one gathering.
 * Each row becomes one sample:
 *
 *   row (source, name)                 metric
 *   listener datagrams                 floodwatch_listener_datagrams_total
 *   X drop_R                           floodwatch_X_drops_total{reason="R"}
 *   nf9 datagrams / records            floodwatch_decode_datagrams_total{format="nf9"}
 *   nf9 drop_R / tmpl_R                floodwatch_decode_drops_total / _template_events_total{format,reason}
 *   sflow5 sample_T                    floodwatch_decode_samples_total{format="sflow5",type="T"}
 *   "nf9 ADDR" domN_records            floodwatch_exporter_records_total{format,exporter,domain}
 *   "nf9 others" records               ... {exporter="other",domain=""}
 *   "nf9 ADDR" domN_templates          floodwatch_exporter_templates{format,exporter,domain} (gauge)
 *   "nf9 ADDR" domN_last_seen_ms       floodwatch_exporter_last_seen_timestamp_seconds{...} (gauge)
 *   "nf9 ADDR" domN_samplerS_rate      floodwatch_exporter_sampling_rate{...,sampler_id} (gauge)
 *   "sflow ADDR" last_seen_ms          floodwatch_sflow_agent_last_seen_timestamp_seconds{exporter,sub_agent}
 *   "sflow ADDR" flow_samples          floodwatch_sflow_agent_flow_samples_total{exporter,sub_agent}
 *   "sflow ADDR" ifN_in_octets         floodwatch_sflow_interface_received_bytes_total{exporter,if_index}
 *   detector victims, memory_bytes, kafka queue_depth, backlog, stats exporters_*: gauges
 *   cluster partitions, partitions_total, idle_collectors (detector role): gauges
 *
 * Labels are bounded: per-exporter series exist only for the
 * stats.exporters busiest exporters of each kind; the rest are summed into
 * one exporter="other" series (the snapshot's "<kind> others" rows).
 * Samples are sorted so each family is contiguous, as the format requires.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "web_int.h"

#include "fw_pkt.h"
#include "fw_time.h"

#define SAMPLES_MAX (FW_HTTP_ROWS_MAX + 32)

struct sample {
	char family[160];
	char labels[224];
	const char *type;              /* "counter" or "gauge" */
	const char *help;
	double value;
	bool integer;
	uint64_t u;
	size_t order;                  /* insertion order, for a stable sort */
};

struct page {
	struct sample *s;
	size_t n;
};

/* HELP of the families whose meaning the row name does not say. */
static const struct { const char *family, *help; } helps[] = {
	{ "floodwatch_decode_datagrams_total", "Datagrams (or DNS packets) decoded, by payload format." },
	{ "floodwatch_decode_records_total", "Records decoded, by payload format." },
	{ "floodwatch_decode_drops_total", "Datagrams or sets dropped by the decoder, by format and reason." },
	{ "floodwatch_decode_template_events_total", "NetFlow v9/IPFIX template decoder events, by format and reason." },
	{ "floodwatch_exporter_datagrams_total", "Datagrams accepted from one exporter (exporter=\"other\": the rest)." },
	{ "floodwatch_exporter_records_total", "Flow records decoded from one exporter (exporter=\"other\": the rest)." },
	{ "floodwatch_exporter_sequence_lost_total", "Sequence gaps of one exporter (v9: datagrams, IPFIX: records)." },
	{ "floodwatch_exporter_errors_total", "Decode errors of one exporter, by reason." },
	{ "floodwatch_exporter_templates", "Templates (data and options) held for one exporter (exporter=\"other\": the rest, summed)." },
	{ "floodwatch_exporter_last_seen_timestamp_seconds", "When a datagram of the exporter last arrived (exporter=\"other\": the newest of the rest)." },
	{ "floodwatch_exporter_sampling_rate", "Sampling rate (1 in N) in force for an exporter and sampler id, from its options data (sampler_id=\"0\": exporter-wide)." },
	{ "floodwatch_sflow_agent_last_seen_timestamp_seconds", "When a datagram of the sFlow agent last arrived (exporter=\"other\": the newest of the rest)." },
	{ "floodwatch_sflow_agent_polling_samples_total", "sFlow counter samples (interface counters the agent polled) received." },
	{ "floodwatch_sflow_interface_received_bytes_total", "ifInOctets an sFlow agent reported for an interface." },
	{ "floodwatch_sflow_interface_sent_bytes_total", "ifOutOctets an sFlow agent reported for an interface." },
	{ "floodwatch_detector_memory_bytes", "Fixed memory held by the detector tables." },
	{ "floodwatch_detector_victims", "Victims (hosts and prefixes) tracked now." },
	{ "floodwatch_detector_suppressed_total", "Hot windows not raised: a prefix or host alert covers them." },
	{ "floodwatch_detector_single_source_total", "Hot windows not raised: one source address carries them (a session, not a flood)." },
	{ "floodwatch_detector_few_sources_total", "Hot windows not raised: their rise brought too few new source addresses (a few sessions, not a flood)." },
	{ "floodwatch_kafka_queue_depth", "Messages in librdkafka's queue." },
	{ "floodwatch_kafka_backlog", "Alert events in the SQLite outbox not yet acknowledged by Kafka." },
	{ "floodwatch_publish_records_taken_total", "Collector role: records taken off the rings for the records topic." },
	{ "floodwatch_publish_records_published_total", "Collector role: records in batches the brokers acknowledged." },
	{ "floodwatch_publish_batches_total", "Collector role: acknowledged record batches (messages with records)." },
	{ "floodwatch_publish_watermarks_total", "Collector role: acknowledged watermark-only messages." },
	{ "floodwatch_publish_publish_errors_total", "Collector role: failed produce calls and delivery reports." },
	{ "floodwatch_publish_records_dropped_total", "Collector role: records lost: librdkafka's queue full too long, or delivery failed." },
	{ "floodwatch_publish_queue_depth", "Collector role: messages in the record producer's librdkafka queue." },
	{ "floodwatch_publish_partitions", "Collector role: partitions of the records topic (0 until known)." },
	{ "floodwatch_build_info", "Version of the running floodwatch (value 1)." },
	{ "floodwatch_start_time_seconds", "When the daemon started, seconds since the epoch." },
	{ "floodwatch_memory_budget_bytes", "Memory fixed at start for the detector tables and rings." },
	{ "floodwatch_resident_memory_bytes", "Resident memory of the process." },
	{ "floodwatch_ring_queued_records", "Records waiting in the collector-to-detector rings." },
	{ "floodwatch_ring_capacity_records", "Capacity of the collector-to-detector rings." },
	{ "floodwatch_watermark_lag_seconds", "Wall clock minus the newest record time the detector took." },
	{ "floodwatch_counters_timestamp_seconds", "When the counters on this page were gathered." },
	{ "floodwatch_http_responses_total", "HTTP responses sent, by status class." },
	{ "floodwatch_http_auth_failures_total", "HTTP requests refused for missing or wrong credentials." },
};

static const char *
help_of(const char *family)
{
	for (size_t i = 0; i < sizeof(helps) / sizeof(helps[0]); i++)
		if (strcmp(helps[i].family, family) == 0)
			return helps[i].help;
	return NULL;
}

/* Metric-name characters only: [a-z0-9_] (others become '_'). */
static void
name_part(char *dst, size_t len, const char *src)
{
	size_t o = 0;

	for (; *src != '\0' && o + 1 < len; src++) {
		char c = *src;

		dst[o++] = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ? c :
		    (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : '_';
	}
	dst[o] = '\0';
}

/* Label value escaped as the format says: backslash, quote, newline. */
static void
label_value(char *dst, size_t len, const char *src)
{
	size_t o = 0;

	for (; *src != '\0' && o + 3 < len; src++) {
		if (*src == '\\' || *src == '"') {
			dst[o++] = '\\';
			dst[o++] = *src;
		} else if (*src == '\n') {
			dst[o++] = '\\';
			dst[o++] = 'n';
		} else {
			dst[o++] = *src;
		}
	}
	dst[o] = '\0';
}

static struct sample *
add(struct page *p, const char *type, const char *family, uint64_t u)
{
	struct sample *s;

	if (p->n >= SAMPLES_MAX)
		return NULL;
	s = &p->s[p->n];
	memset(s, 0, sizeof(*s));
	snprintf(s->family, sizeof(s->family), "%s", family);
	s->type = type;
	s->integer = true;
	s->u = u;
	s->order = p->n++;
	return s;
}

static void
labels(struct sample *s, const char *k1, const char *v1, const char *k2, const char *v2, const char *k3,
    const char *v3)
{
	char e1[128] = "", e2[128] = "", e3[128] = "";
	size_t o = 0;

	if (s == NULL)
		return;
	label_value(e1, sizeof(e1), v1 != NULL ? v1 : "");
	if (k1 != NULL)
		o += (size_t)snprintf(s->labels + o, sizeof(s->labels) - o, "%s=\"%s\"", k1, e1);
	if (k2 != NULL && o < sizeof(s->labels)) {
		label_value(e2, sizeof(e2), v2 != NULL ? v2 : "");
		o += (size_t)snprintf(s->labels + o, sizeof(s->labels) - o, ",%s=\"%s\"", k2, e2);
	}
	if (k3 != NULL && o < sizeof(s->labels)) {
		label_value(e3, sizeof(e3), v3 != NULL ? v3 : "");
		(void)snprintf(s->labels + o, sizeof(s->labels) - o, ",%s=\"%s\"", k3, e3);
	}
}

static bool
is_format(const char *source)
{
	for (int k = 0; k < FW_PAYLOAD_KINDS; k++)
		if (strcmp(source, fw_pkt_kind_name((enum fw_payload_kind)k)) == 0)
			return true;
	return false;
}

/* "dom12_records" -> "12", "records"; no prefix: id "" and the name itself. */
static bool
strip(const char *name, const char *pre, char *id, size_t idlen, const char **rest)
{
	size_t n = strlen(pre), d = 0;

	if (strncmp(name, pre, n) != 0)
		return false;
	while (name[n + d] >= '0' && name[n + d] <= '9')
		d++;
	if (d == 0 || name[n + d] != '_' || d >= idlen)
		return false;
	snprintf(id, idlen, "%.*s", (int)d, name + n);
	*rest = name + n + d + 1;
	return true;
}

static struct sample *add_real(struct page *p, const char *type, const char *family, double v);

/* Append ,key="value" (value already safe: digits or a metric name part). */
static void
label_append(struct sample *s, const char *key, const char *value)
{
	size_t o = strlen(s->labels);

	if (o < sizeof(s->labels))
		(void)snprintf(s->labels + o, sizeof(s->labels) - o, ",%s=\"%s\"", key, value);
}

static void
flow_exporter_row(struct page *p, const char *kind, const char *addr, const char *name, uint64_t v)
{
	char id[16] = "", sid[24] = "", fam[96];
	const char *c = name, *rest;
	bool other = strcmp(addr, "others") == 0;
	struct sample *s;

	if (!other && !strip(name, "dom", id, sizeof(id), &c))
		return;
	if (other && strcmp(name, "exporters") == 0)
		return;  /* how many were summed: floodwatch_stats_exporters_summed */
	if (strcmp(c, "templates") == 0) {
		labels(add(p, "gauge", "floodwatch_exporter_templates", v), "format", kind, "exporter",
		    other ? "other" : addr, "domain", id);
		return;
	}
	if (strcmp(c, "last_seen_ms") == 0) {
		labels(add_real(p, "gauge", "floodwatch_exporter_last_seen_timestamp_seconds", (double)v / 1000.0),
		    "format", kind, "exporter", other ? "other" : addr, "domain", id);
		return;
	}
	if (strip(c, "sampler", sid, sizeof(sid), &rest) && strcmp(rest, "rate") == 0) {
		s = add(p, "gauge", "floodwatch_exporter_sampling_rate", v);
		if (s != NULL) {
			labels(s, "format", kind, "exporter", other ? "other" : addr, "domain", id);
			label_append(s, "sampler_id", sid);
		}
		return;
	}
	if (strncmp(c, "err_", 4) == 0) {
		s = add(p, "counter", "floodwatch_exporter_errors_total", v);
		if (s != NULL) {
			labels(s, "format", kind, "exporter", other ? "other" : addr, "domain", id);
			name_part(fam, sizeof(fam), c + 4);
			label_append(s, "reason", fam);
		}
		return;
	}
	if (strcmp(c, "seq_lost") == 0)
		c = "sequence_lost";
	snprintf(fam, sizeof(fam), "floodwatch_exporter_");
	name_part(fam + strlen(fam), sizeof(fam) - strlen(fam) - 6, c);
	strncat(fam, "_total", sizeof(fam) - strlen(fam) - 1);
	labels(add(p, "counter", fam, v), "format", kind, "exporter", other ? "other" : addr, "domain", id);
}

static const char *
if_counter(const char *c)
{
	if (strcmp(c, "in_octets") == 0)
		return "received_bytes";
	if (strcmp(c, "out_octets") == 0)
		return "sent_bytes";
	if (strcmp(c, "in_errors") == 0)
		return "receive_errors";
	if (strcmp(c, "in_discards") == 0)
		return "receive_discards";
	return c;
}

static void
sflow_row(struct page *p, const char *kind, const char *addr, const char *name, uint64_t v)
{
	char id[16] = "", fam[96];
	const char *c = name;
	bool other = strcmp(addr, "others") == 0;
	bool iface = strcmp(kind, "sflow_if") == 0 || strip(name, "if", id, sizeof(id), &c);

	if (other && (strcmp(name, "agents") == 0 || strcmp(name, "interfaces") == 0))
		return;
	if (iface) {
		snprintf(fam, sizeof(fam), "floodwatch_sflow_interface_");
		name_part(fam + strlen(fam), sizeof(fam) - strlen(fam) - 6, if_counter(c));
		strncat(fam, "_total", sizeof(fam) - strlen(fam) - 1);
		labels(add(p, "counter", fam, v), "exporter", other ? "other" : addr, "if_index", id, NULL, NULL);
		return;
	}
	if (!strip(name, "sub", id, sizeof(id), &c)) {
		c = name;
		snprintf(id, sizeof(id), "%s", other ? "" : "0");
	}
	if (strcmp(c, "last_seen_ms") == 0) {
		labels(add_real(p, "gauge", "floodwatch_sflow_agent_last_seen_timestamp_seconds", (double)v / 1000.0),
		    "exporter", other ? "other" : addr, "sub_agent", id, NULL, NULL);
		return;
	}
	/* promtool refuses a type name inside a metric name ("_counter_"). */
	if (strcmp(c, "seq_lost") == 0)
		c = "sequence_lost";
	else if (strcmp(c, "counter_samples") == 0)
		c = "polling_samples";
	snprintf(fam, sizeof(fam), "floodwatch_sflow_agent_");
	name_part(fam + strlen(fam), sizeof(fam) - strlen(fam) - 6, c);
	strncat(fam, "_total", sizeof(fam) - strlen(fam) - 1);
	labels(add(p, "counter", fam, v), "exporter", other ? "other" : addr, "sub_agent", id, NULL, NULL);
}

static bool
is_gauge(const char *source, const char *name)
{
	return (strcmp(source, "detector") == 0 && (strcmp(name, "victims") == 0 || strcmp(name, "memory_bytes") == 0)) ||
	    (strcmp(source, "kafka") == 0 && (strcmp(name, "queue_depth") == 0 || strcmp(name, "backlog") == 0)) ||
	    (strcmp(source, "sqlite") == 0 && strcmp(name, "backlog") == 0) ||
	    (strcmp(source, "cluster") == 0 && (strcmp(name, "partitions") == 0 ||
	    strcmp(name, "partitions_total") == 0 || strcmp(name, "idle_collectors") == 0)) ||
	    (strcmp(source, "publish") == 0 && (strcmp(name, "queue_depth") == 0 || strcmp(name, "partitions") == 0)) ||
	    (strcmp(source, "notify") == 0 && (strcmp(name, "queue_depth") == 0 || strcmp(name, "running") == 0)) ||
	    (strcmp(source, "stats") == 0 && strncmp(name, "exporters_", 10) == 0);
}

static void
row_sample(struct page *p, const struct fw_stat_row *r)
{
	const char *sp = strchr(r->source, ' ');
	char src[64], nm[48], fam[160];
	size_t len;

	if (sp != NULL) {
		char kind[16];

		snprintf(kind, sizeof(kind), "%.*s", (int)(sp - r->source), r->source);
		if (strcmp(kind, "nf9") == 0 || strcmp(kind, "ipfix") == 0)
			flow_exporter_row(p, kind, sp + 1, r->name, r->value);
		else if (strcmp(kind, "sflow") == 0 || strcmp(kind, "sflow_if") == 0)
			sflow_row(p, kind, sp + 1, r->name, r->value);
		return;
	}
	name_part(src, sizeof(src), r->source);
	if (is_format(r->source)) {
		const char *reason = NULL, *what;

		what = r->name;
		if (strncmp(r->name, "drop_", 5) == 0) {
			what = "drops";
			reason = r->name + 5;
		} else if (strncmp(r->name, "tmpl_", 5) == 0) {
			what = "template_events";
			reason = r->name + 5;
		} else if (strncmp(r->name, "sample_", 7) == 0) {
			labels(add(p, "counter", "floodwatch_decode_samples_total", r->value), "format", r->source,
			    "type", r->name + 7, NULL, NULL);
			return;
		}
		name_part(nm, sizeof(nm), what);
		snprintf(fam, sizeof(fam), "floodwatch_decode_%s_total", nm);
		labels(add(p, "counter", fam, r->value), "format", r->source, reason ? "reason" : NULL, reason, NULL, NULL);
		return;
	}
	if (strncmp(r->name, "drop_", 5) == 0) {
		snprintf(fam, sizeof(fam), "floodwatch_%s_drops_total", src);
		labels(add(p, "counter", fam, r->value), "reason", r->name + 5, NULL, NULL, NULL, NULL);
		return;
	}
	name_part(nm, sizeof(nm), r->name);
	len = strlen(nm);
	if (len > 3 && strcmp(nm + len - 3, "_ms") == 0) {
		/* A duration in ms (the detector's lateness): a gauge in base units. */
		snprintf(fam, sizeof(fam), "floodwatch_%s_%.*s_seconds", src, (int)(len - 3), nm);
		(void)add_real(p, "gauge", fam, (double)r->value / 1000.0);
		return;
	}
	if (is_gauge(r->source, r->name)) {
		snprintf(fam, sizeof(fam), "floodwatch_%s_%s", src, nm);
		(void)add(p, "gauge", fam, r->value);
	} else {
		snprintf(fam, sizeof(fam), "floodwatch_%s_%s_total", src, nm);
		(void)add(p, "counter", fam, r->value);
	}
}

static struct sample *
add_real(struct page *p, const char *type, const char *family, double v)
{
	struct sample *s = add(p, type, family, 0);

	if (s != NULL) {
		s->integer = false;
		s->value = v;
	}
	return s;
}

static int
cmp(const void *a, const void *b)
{
	const struct sample *x = a, *y = b;
	int c = strcmp(x->family, y->family);

	return c != 0 ? c : (x->order > y->order) - (x->order < y->order);
}

void
web_metrics(const struct web_snap *s, const struct web_info *info, const struct web_counts *c, struct web_buf *out)
{
	struct page p = { calloc(SAMPLES_MAX, sizeof(struct sample)), 0 };
	static const char *const classes[] = { "1xx", "1xx", "2xx", "3xx", "4xx", "5xx" };

	if (p.s == NULL) {
		out->oom = true;
		return;
	}
	labels(add(&p, "gauge", "floodwatch_build_info", 1), "version", info->version, NULL, NULL, NULL, NULL);
	(void)add_real(&p, "gauge", "floodwatch_start_time_seconds", (double)info->started_ms / 1000.0);
	(void)add(&p, "gauge", "floodwatch_memory_budget_bytes", info->memory_budget_bytes);
	for (int i = 2; i < 6; i++)
		labels(add(&p, "counter", "floodwatch_http_responses_total", c->by_class[i]), "code", classes[i],
		    NULL, NULL, NULL, NULL);
	(void)add(&p, "counter", "floodwatch_http_auth_failures_total", c->auth_failures);
	if (s->ready) {
		(void)add_real(&p, "gauge", "floodwatch_counters_timestamp_seconds", (double)s->at_ms / 1000.0);
		(void)add(&p, "gauge", "floodwatch_resident_memory_bytes", s->rss_bytes);
		(void)add(&p, "gauge", "floodwatch_ring_queued_records", s->ring_used);
		(void)add(&p, "gauge", "floodwatch_ring_capacity_records", s->ring_capacity);
		if (s->newest_event_ms != INT64_MIN && s->newest_event_ms > 0)
			(void)add_real(&p, "gauge", "floodwatch_watermark_lag_seconds",
			    (double)(s->at_ms - s->newest_event_ms) / 1000.0);
		for (size_t i = 0; i < s->nrows; i++)
			row_sample(&p, &s->rows[i]);
	}
	qsort(p.s, p.n, sizeof(p.s[0]), cmp);
	for (size_t i = 0; i < p.n; i++) {
		const struct sample *x = &p.s[i];

		if (i == 0 || strcmp(x->family, p.s[i - 1].family) != 0) {
			const char *h = help_of(x->family);

			if (h != NULL)
				web_buf_printf(out, "# HELP %s %s\n", x->family, h);
			else
				web_buf_printf(out, "# HELP %s Floodwatch %s (as in the log line and collector_stats).\n",
				    x->family, x->type);
			web_buf_printf(out, "# TYPE %s %s\n", x->family, x->type);
		}
		web_buf_printf(out, "%s%s%s%s ", x->family, x->labels[0] ? "{" : "", x->labels, x->labels[0] ? "}" : "");
		if (x->integer)
			web_buf_printf(out, "%" PRIu64 "\n", x->u);
		else
			web_buf_printf(out, "%.3f\n", x->value);
	}
	free(p.s);
}
