/*
 * cmd_show.c - `floodwatch show ID`: one alert, why it was raised (the
 * evidence of its peak: rates against the baseline, protocol and port
 * shares, entropy against the victim's own baseline, top sources, ports
 * and destinations, DNS sample names and clients) and its timeline.
 *
 * Evidence keys this file does not know are still printed, as JSON, so a
 * newer detector's fields are never hidden.  Every text from the database
 * goes through cli_terminal_text() (names are attacker-chosen).
 *
 * Exit status: 0 shown, 1 the database failed while being read, 2 a usage
 * error or an unusable --db, 3 no alert with that id.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_int.h"
#include "fw_records.h"

#define EXIT_NOT_FOUND 3
#define TIMELINE_MAX 100000   /* events printed at most (an update every 10 s for 11 days) */

static void
usage(FILE *out)
{
	fprintf(out, "usage: floodwatch show [--db PATH] [--json] ID\n"
	    "  --db PATH      database (default ./var/floodwatch.db, the default sqlite.path)\n"
	    "  --json         one JSON object: the alert with \"timeline\", its events\n"
	    "ID is the first column of `floodwatch alerts`.\n");
}

struct show {
	json_t *alert;            /* fw_aq_alert_json() of the row */
	json_t *timeline;         /* array of fw_aq_event_json() */
};

static int
take_alert(void *ctx, const struct fw_aq_alert *a)
{
	struct show *s = ctx;

	s->alert = fw_aq_alert_json(a);
	return 0;
}

static int
take_event(void *ctx, const struct fw_aq_event *e)
{
	struct show *s = ctx;

	json_array_append_new(s->timeline, fw_aq_event_json(e));
	return 0;
}

/* Terminal-safe text of a JSON string member ("" when absent). */
static const char *
jtext(const json_t *o, const char *key, char *buf, size_t len)
{
	const char *t = json_string_value(json_object_get(o, key));

	return cli_terminal_text(t != NULL ? t : "", buf, len);
}

static double
jnum(const json_t *o, const char *key)
{
	return json_number_value(json_object_get(o, key));
}

static void
line_rate(const char *label, double v, const char *unit)
{
	char r[32];

	cli_rate(v, unit, r, sizeof(r));
	printf("  %-24s %s\n", label, r);
}

/* [{"addr"|"port"|"value": X, "share": S}, ...] as "X 12.0%, Y 3.1%". */
static void
line_top(const char *label, const json_t *arr)
{
	size_t i;
	json_t *e;
	char buf[256];

	if (!json_is_array(arr))
		return;
	printf("  %-24s", label);
	if (json_array_size(arr) == 0)
		printf(" -");
	for (i = 0; i < json_array_size(arr) && (e = json_array_get(arr, i)) != NULL; i++) {
		const json_t *k = json_object_get(e, "addr");

		if (k == NULL)
			k = json_object_get(e, "port");
		if (k == NULL)
			k = json_object_get(e, "value");
		if (json_is_string(k))
			printf("%s %s", i ? "," : "", cli_terminal_text(json_string_value(k), buf, sizeof(buf)));
		else
			printf("%s %lld", i ? "," : "", (long long)json_integer_value(k));
		printf(" %.1f%%", 100 * jnum(e, "share"));
	}
	printf("\n");
}

/* {"name": share, ...} as "udp 99.0%, tcp_syn 1.0%". */
static void
line_shares(const char *label, const json_t *obj)
{
	const char *k;
	json_t *v;
	int n = 0;
	char buf[128];

	if (!json_is_object(obj))
		return;
	printf("  %-24s", label);
	for (void *it = json_object_iter((json_t *)obj); it != NULL && (k = json_object_iter_key(it)) != NULL && (v = json_object_iter_value(it)) != NULL; it = json_object_iter_next((json_t *)obj, it)) {
		printf("%s %s %.1f%%", n++ ? "," : "", cli_terminal_text(k, buf, sizeof(buf)),
		    100 * json_number_value(v));
	}
	printf("%s\n", n ? "" : " -");
}

static void
flow_evidence(const json_t *ev)
{
	const json_t *obs = json_object_get(ev, "observed"), *base = json_object_get(ev, "baseline");
	const json_t *ent = json_object_get(ev, "entropy"), *sec = json_object_get(ev, "secondary_vectors");
	char a[32], b[32], c[32];

	cli_rate(jnum(obs, "pps"), "pps", a, sizeof(a));
	cli_rate(jnum(obs, "bps"), "bps", b, sizeof(b));
	cli_rate(jnum(obs, "fps"), "flows/s", c, sizeof(c));
	printf("  %-24s %s, %s, %s\n", "observed", a, b, c);
	cli_rate(jnum(base, "pps"), "pps", a, sizeof(a));
	cli_rate(jnum(base, "bps"), "bps", b, sizeof(b));
	cli_rate(jnum(base, "fps"), "flows/s", c, sizeof(c));
	printf("  %-24s %s, %s, %s\n", "baseline", a, b, c);
	line_rate("threshold", jnum(ev, "threshold_pps"), "pps");
	if (json_object_get(ev, "sampling") != NULL)
		printf("  %-24s 1 in %lld\n", "sampling", (long long)json_integer_value(json_object_get(ev, "sampling")));
	line_shares("protocol shares", json_object_get(ev, "protocol_shares"));
	line_shares("reflector port shares", json_object_get(ev, "reflector_port_shares"));
	if (json_is_array(sec)) {
		size_t i;
		json_t *v;
		char buf[64];

		printf("  %-24s", "secondary vectors");
		for (i = 0; i < json_array_size(sec) && (v = json_array_get(sec, i)) != NULL; i++)
			printf("%s %s", i ? "," : "", cli_terminal_text(json_string_value(v), buf, sizeof(buf)));
		printf("%s\n", json_array_size(sec) ? "" : " -");
	}
	if (json_object_get(ev, "max_host_share") != NULL)
		printf("  %-24s %.1f%%\n", "max host share", 100 * jnum(ev, "max_host_share"));
	if (json_is_object(ent)) {
		const char *k;
		json_t *v;
		char buf[64];

		printf("  %-24s %-12s %8s %8s\n", "entropy (0..1)", "feature", "observed", "baseline");
		for (void *it = json_object_iter((json_t *)ent); it != NULL && (k = json_object_iter_key(it)) != NULL && (v = json_object_iter_value(it)) != NULL; it = json_object_iter_next((json_t *)ent, it))
			printf("  %-24s %-12s %8.2f %8.2f\n", "", cli_terminal_text(k, buf, sizeof(buf)),
			    jnum(v, "observed"), jnum(v, "baseline"));
	}
	line_top("top sources", json_object_get(ev, "top_sources"));
	line_top("top source ports", json_object_get(ev, "top_src_ports"));
	line_top("top destination ports", json_object_get(ev, "top_dst_ports"));
	line_top("top destinations", json_object_get(ev, "top_destinations"));
}

static void
dns_evidence(const json_t *ev)
{
	const json_t *names = json_object_get(ev, "sample_names"), *fr = json_object_get(ev, "failure_ratio");
	char a[32], b[32];

	cli_rate(jnum(ev, "observed_qps"), "qps", a, sizeof(a));
	cli_rate(jnum(ev, "baseline_qps"), "qps", b, sizeof(b));
	printf("  %-24s %s (baseline %s)\n", "queries", a, b);
	line_rate("threshold", jnum(ev, "threshold_qps"), "qps");
	printf("  %-24s %lld (baseline %.1f)%s\n", "distinct names",
	    (long long)json_integer_value(json_object_get(ev, "distinct_names")), jnum(ev, "baseline_distinct_names"),
	    json_is_true(json_object_get(ev, "distinct_saturated")) ? ", saturated: counted up to dns.distinct_cap" : "");
	printf("  %-24s %.2f\n", "queries per name", jnum(ev, "queries_per_name"));
	printf("  %-24s %.2f\n", "queries per client+name", jnum(ev, "queries_per_client_name"));
	printf("  %-24s %.1f%%\n", "names asked once", 100 * jnum(ev, "singleton_share"));
	if (json_is_number(fr))
		printf("  %-24s %lld, %.1f%% failed (SERVFAIL/NXDOMAIN)\n", "responses",
		    (long long)json_integer_value(json_object_get(ev, "responses")), 100 * json_number_value(fr));
	else
		printf("  %-24s none seen\n", "responses");
	printf("  %-24s %.2f (0..1), label characters %.2f bits\n", "name entropy", jnum(ev, "name_entropy"),
	    jnum(ev, "label_char_entropy_bits"));
	if (json_is_array(names)) {
		size_t i;
		json_t *v;
		char buf[FW_VICTIM_MAX * 5];

		printf("  %-24s%s\n", "sample names", json_array_size(names) ? "" : " -");
		for (i = 0; i < json_array_size(names) && (v = json_array_get(names, i)) != NULL; i++)
			printf("  %-24s %s\n", "", cli_terminal_text(json_string_value(v), buf, sizeof(buf)));
	}
	line_top("top clients", json_object_get(ev, "top_clients"));
}

/* Evidence members printed above; the rest are shown as JSON. */
static const char *const known[] = {
	"kind", "observed", "baseline", "threshold_pps", "sampling", "protocol_shares", "reflector_port_shares",
	"secondary_vectors", "max_host_share", "entropy", "top_sources", "top_src_ports", "top_dst_ports",
	"top_destinations", "observed_qps", "baseline_qps", "threshold_qps", "distinct_names",
	"baseline_distinct_names", "distinct_saturated", "queries_per_name", "queries_per_client_name",
	"singleton_share", "responses", "failure_ratio", "name_entropy", "label_char_entropy_bits",
	"sample_names", "top_clients",
};

static void
other_members(const json_t *ev)
{
	const char *k;
	json_t *v;

	for (void *it = json_object_iter((json_t *)ev); it != NULL && (k = json_object_iter_key(it)) != NULL && (v = json_object_iter_value(it)) != NULL; it = json_object_iter_next((json_t *)ev, it)) {
		bool seen = false;
		char *text, kb[128], vb[FW_EVIDENCE_MAX * 5];

		for (size_t i = 0; i < sizeof(known) / sizeof(known[0]) && !seen; i++)
			seen = strcmp(k, known[i]) == 0;
		if (seen || (text = json_dumps(v, FW_AQ_JSON_FLAGS | JSON_ENCODE_ANY)) == NULL)
			continue;
		printf("  %-24s %s\n", cli_terminal_text(k, kb, sizeof(kb)), cli_terminal_text(text, vb, sizeof(vb)));
		free(text);
	}
}

static void
print_alert(const json_t *a, const json_t *timeline)
{
	const json_t *ev = json_object_get(a, "evidence");
	const char *kind = json_string_value(json_object_get(ev, "kind"));
	const char *vector = json_string_value(json_object_get(a, "vector"));
	const char *ended = json_string_value(json_object_get(a, "ended_at"));
	const char *reason = json_string_value(json_object_get(a, "end_reason"));
	const char *updated = json_string_value(json_object_get(a, "updated_at"));
	const char *started = json_string_value(json_object_get(a, "started_at"));
	char victim[FW_VICTIM_MAX * 5 + 8], t1[64], t2[64], dur[32], r1[32], r2[32];
	size_t i;
	json_t *e;

	printf("alert %s: %s on %s\n", jtext(a, "id", t1, sizeof(t1)), jtext(a, "vector", t2, sizeof(t2)),
	    jtext(a, "victim", victim, sizeof(victim)));
	printf("  %-24s %s\n", "started", started != NULL ? started : "");
	cli_duration(cli_seconds_between(started, ended != NULL ? ended : updated), dur, sizeof(dur));
	if (ended != NULL)
		printf("  %-24s %s (%s, after %s)\n", "ended", ended, reason != NULL ? reason : "quiet", dur);
	else
		printf("  %-24s ACTIVE for %s (last event %s)\n", "state", dur, updated != NULL ? updated : "");
	printf("  %-24s %lld\n", "severity", (long long)json_integer_value(json_object_get(a, "severity")));
	if (fw_aq_vector_is_dns(vector)) {
		line_rate("peak", jnum(a, "peak_qps"), "qps");
	} else {
		cli_rate(jnum(a, "peak_pps"), "pps", r1, sizeof(r1));
		cli_rate(jnum(a, "peak_bps"), "bps", r2, sizeof(r2));
		printf("  %-24s %s, %s\n", "peak", r1, r2);
	}
	printf("\nevidence at the peak (%s):\n", kind != NULL ? jtext(ev, "kind", t1, sizeof(t1)) : "none");
	if (kind != NULL && strcmp(kind, "zone") == 0)
		dns_evidence(ev);
	else if (kind != NULL)
		flow_evidence(ev);
	other_members(ev);
	printf("\ntimeline (%zu event%s):\n", json_array_size(timeline), json_array_size(timeline) == 1 ? "" : "s");
	printf("  %4s  %-6s  %-24s  %11s  %11s  %10s  %s\n", "SEQ", "EVENT", "AT (UTC)", "PPS", "BPS", "QPS", "REASON");
	for (i = 0; i < json_array_size(timeline) && (e = json_array_get(timeline, i)) != NULL; i++) {
		char pps[32] = "-", bps[32] = "-", qps[32] = "-", ev_name[16], at[32], why[32];

		if (fw_aq_vector_is_dns(vector)) {
			cli_rate(jnum(e, "qps"), "qps", qps, sizeof(qps));
		} else {
			cli_rate(jnum(e, "pps"), "pps", pps, sizeof(pps));
			cli_rate(jnum(e, "bps"), "bps", bps, sizeof(bps));
		}
		printf("  %4lld  %-6s  %-24s  %11s  %11s  %10s  %s\n", (long long)json_integer_value(json_object_get(e, "seq")),
		    jtext(e, "event", ev_name, sizeof(ev_name)), jtext(e, "at", at, sizeof(at)), pps, bps, qps,
		    jtext(e, "reason", why, sizeof(why)));
	}
}

int
cmd_show(int argc, char **argv)
{
	struct fw_config defaults;
	struct show s = { NULL, NULL };
	struct fw_aq *q = NULL;
	const char *db = NULL, *id = NULL;
	int json = 0, rc;
	char err[512];

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			usage(stdout);
			return 0;
		} else if (strcmp(argv[i], "--json") == 0) {
			json = 1;
		} else if (strcmp(argv[i], "--db") == 0 && i + 1 < argc) {
			db = argv[++i];
		} else if (argv[i][0] != '-' && id == NULL) {
			id = argv[i];
		} else {
			fprintf(stderr, "floodwatch show: unexpected argument '%s'\n", argv[i]);
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (id == NULL) {
		usage(stderr);
		return EXIT_USAGE;
	}
	fw_config_defaults(&defaults);
	if ((rc = cli_open_db("show", db != NULL ? db : defaults.sqlite_path, &q)) != 0)
		return rc;
	if ((s.timeline = json_array()) == NULL) {
		fw_aq_close(q);
		return 1;
	}
	rc = fw_aq_alert(q, id, take_alert, &s, err, sizeof(err));
	if (rc == 1 && s.alert != NULL)
		rc = fw_aq_events(q, id, 0, TIMELINE_MAX, take_event, &s, err, sizeof(err)) < 0 ? FW_EIO : 1;
	if (rc < 0 || (rc == 1 && s.alert == NULL)) {
		fprintf(stderr, "floodwatch show: %s\n", rc < 0 ? err : "out of memory");
		rc = 1;
	} else if (rc == 0) {
		char buf[256];

		fprintf(stderr, "floodwatch show: no alert with id '%s' (ids are the first column of "
		    "`floodwatch alerts`)\n", cli_terminal_text(id, buf, sizeof(buf)));
		rc = EXIT_NOT_FOUND;
	} else {
		if (json) {
			json_object_set(s.alert, "timeline", s.timeline);
			(void)cli_print_json(json_incref(s.alert));
		} else {
			print_alert(s.alert, s.timeline);
		}
		rc = 0;
	}
	json_decref(s.alert);
	json_decref(s.timeline);
	fw_aq_close(q);
	return rc;
}
