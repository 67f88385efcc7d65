/*
 * api.c - JSON API v1 (schema/openapi.yaml): alerts, one alert, its events,
 * exporters, counters and status.
 *
 * Counters are the snapshot's rows as they are (the console's Inputs page).
 *
 * Alerts come from the read queries `floodwatch alerts` uses
 * (fw_alert_query.h), so the API and the CLI agree on order, filters and
 * representation.  Exporters and status come from the counter snapshot the
 * main thread published (the rows it writes to collector_stats), never
 * from the pipeline itself.
 *
 * Arguments are checked strictly (an unknown one, a bad time, an unknown
 * vector: 400 with a message that never quotes the request).
 */
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <microhttpd.h>
#include <stdlib.h>
#include <string.h>

#include "web_int.h"

#include "fw_alert_query.h"
#include "fw_detect.h"
#include "fw_log.h"
#include "fw_names.h"
#include "fw_records.h"
#include "fw_time.h"

#define PAGE_DEFAULT 100
#define PAGE_MAX 1000
#define EVENTS_DEFAULT 1000
#define EVENTS_MAX 10000

/* Returns 0, so handlers can end with `return reply_...()`. */
static int
reply_json(struct web_reply *r, unsigned status, json_t *o)
{
	char *text = o != NULL ? json_dumps(o, FW_AQ_JSON_FLAGS) : NULL;

	r->status = status;
	r->type = "application/json";
	if (text == NULL) {
		r->body.oom = true;
	} else {
		web_buf_put(&r->body, text, strlen(text));
		web_buf_put(&r->body, "\n", 1);
	}
	free(text);
	json_decref(o);
	return 0;
}

static int
reply_error(struct web_reply *r, unsigned status, const char *msg)
{
	json_t *o = json_object();

	json_object_set_new(o, "error", json_string(msg));
	json_object_set_new(o, "status", json_integer(status));
	return reply_json(r, status, o);
}

static const char *
arg(const struct web_args *a, const char *key)
{
	for (int i = 0; i < a->n; i++)
		if (strcmp(a->key[i], key) == 0)
			return a->val[i];
	return NULL;
}

/* Every argument is one of `known` (NULL-terminated). */
static bool
args_known(const struct web_args *a, const char *const *known)
{
	for (int i = 0; i < a->n; i++) {
		bool ok = false;

		for (const char *const *k = known; *k != NULL && !ok; k++)
			ok = strcmp(a->key[i], *k) == 0;
		if (!ok)
			return false;
	}
	return true;
}

static bool
parse_count(const char *text, long min, long max, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(text, &end, 10);
	if (errno != 0 || end == text || *end != '\0' || v < min || v > max)
		return false;
	*out = v;
	return true;
}

/* A duration before now ("15m") or an ISO-8601 UTC time, as stored text. */
static bool
parse_time(const char *text, char out[FW_TIME_TEXT_LEN])
{
	int64_t ms;

	if (fw_time_parse_duration(text, &ms) == 0)
		ms = fw_time_now_ms() - ms;
	else if (fw_time_parse(text, &ms) != 0)
		return false;
	fw_time_format(ms, out);
	return true;
}

static bool
parse_bool(const char *text, bool *out)
{
	if (strcmp(text, "true") == 0 || strcmp(text, "1") == 0 || strcmp(text, "yes") == 0)
		*out = true;
	else if (strcmp(text, "false") == 0 || strcmp(text, "0") == 0 || strcmp(text, "no") == 0)
		*out = false;
	else
		return false;
	return true;
}

/* ---- alerts ---- */

struct page {
	json_t *list;
	long want;                     /* rows to return; one more is fetched */
	long got;
	char next[FW_AQ_CURSOR_LEN];   /* cursor of the last returned row */
	bool more;
};

static int
page_row(void *ctx, const struct fw_aq_alert *a)
{
	struct page *p = ctx;

	if (p->got == p->want) {
		p->more = true;            /* the extra row: there is a next page */
		return 1;
	}
	json_array_append_new(p->list, fw_aq_alert_json(a));
	fw_aq_cursor_format(a->started_at, a->id, p->next);
	p->got++;
	return 0;
}

static int
alerts_list(struct fw_aq *q, const struct web_args *a, struct web_reply *r)
{
	static const char *const known[] = { "active", "since", "until", "vector", "victim", "limit", "cursor", NULL };
	struct fw_aq_filter f = { .limit = PAGE_DEFAULT };
	char since[FW_TIME_TEXT_LEN], until[FW_TIME_TEXT_LEN], cur[FW_AQ_CURSOR_LEN], err[256];
	struct page p = { NULL, 0, 0, "", false };
	const char *v;
	json_t *o;

	if (!args_known(a, known))
		return reply_error(r, MHD_HTTP_BAD_REQUEST,
		    "unknown argument; known: active, since, until, vector, victim, limit, cursor");
	if ((v = arg(a, "active")) != NULL && !parse_bool(v, &f.active))
		return reply_error(r, MHD_HTTP_BAD_REQUEST, "active: true or false");
	if ((v = arg(a, "since")) != NULL) {
		if (!parse_time(v, since))
			return reply_error(r, MHD_HTTP_BAD_REQUEST,
			    "since: a duration before now (90s, 15m, 2h, 7d) or an ISO-8601 UTC time");
		f.since = since;
	}
	if ((v = arg(a, "until")) != NULL) {
		if (!parse_time(v, until))
			return reply_error(r, MHD_HTTP_BAD_REQUEST,
			    "until: a duration before now (90s, 15m, 2h, 7d) or an ISO-8601 UTC time");
		f.until = until;
	}
	if ((v = arg(a, "vector")) != NULL) {
		if (!fw_aq_vector_is_known(v)) {
			char msg[512];
			size_t o2 = (size_t)snprintf(msg, sizeof(msg), "vector: one of");

			for (int i = 0; i < FW_VEC_COUNT && o2 < sizeof(msg); i++)
				o2 += (size_t)snprintf(msg + o2, sizeof(msg) - o2, " %s", fw_vector_name(i));
			return reply_error(r, MHD_HTTP_BAD_REQUEST, msg);
		}
		f.vector = v;
	}
	if ((v = arg(a, "victim")) != NULL) {
		if (v[0] == '\0' || strlen(v) >= FW_VICTIM_MAX)
			return reply_error(r, MHD_HTTP_BAD_REQUEST, "victim: an address, prefix or zone as listed");
		f.victim = v;
	}
	if ((v = arg(a, "limit")) != NULL && !parse_count(v, 1, PAGE_MAX, &f.limit))
		return reply_error(r, MHD_HTTP_BAD_REQUEST, "limit: 1 to 1000");
	if ((v = arg(a, "cursor")) != NULL &&
	    fw_aq_cursor_parse(v, cur, &f.after_started, &f.after_id) != FW_OK)
		return reply_error(r, MHD_HTTP_BAD_REQUEST, "cursor: pass next_cursor of the previous page as it is");
	p.want = f.limit;
	f.limit++;
	if ((p.list = json_array()) == NULL)
		return reply_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
	if (fw_aq_alerts(q, &f, page_row, &p, err, sizeof(err)) < 0) {
		FW_LOG_RL(FW_LOG_WARN, "http", "alerts query failed: %s", err);
		json_decref(p.list);
		return reply_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, "the database could not be read; retry");
	}
	o = json_object();
	json_object_set_new(o, "alerts", p.list);
	json_object_set_new(o, "next_cursor", p.more ? json_string(p.next) : json_null());
	return reply_json(r, MHD_HTTP_OK, o);
}

static int
one_alert(void *ctx, const struct fw_aq_alert *a)
{
	*(json_t **)ctx = fw_aq_alert_json(a);
	return 0;
}

static int
one_event(void *ctx, const struct fw_aq_event *e)
{
	json_array_append_new(ctx, fw_aq_event_json(e));
	return 0;
}

static bool
is_alert_id(const char *s, size_t n)
{
	if (n != FW_ALERT_ID_LEN)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

/* /alerts/{id} and /alerts/{id}/events; rest is what follows "/alerts/". */
static int
alert_by_id(struct fw_aq *q, const char *rest, const struct web_args *a, struct web_reply *r)
{
	static const char *const none[] = { NULL };
	static const char *const ev_known[] = { "limit", "after", NULL };
	const char *slash = strchr(rest, '/');
	size_t idlen = slash != NULL ? (size_t)(slash - rest) : strlen(rest);
	bool events = slash != NULL && strcmp(slash, "/events") == 0;
	char id[FW_ALERT_ID_LEN + 1], err[256];
	json_t *alert = NULL, *list, *o;
	long limit = EVENTS_DEFAULT, after = 0;
	const char *v;
	int rc;

	if ((slash != NULL && !events) || !is_alert_id(rest, idlen))
		return reply_error(r, MHD_HTTP_NOT_FOUND, "no such alert (ids are 16 lower-case hex digits)");
	memcpy(id, rest, idlen);
	id[idlen] = '\0';
	if (!args_known(a, events ? ev_known : none))
		return reply_error(r, MHD_HTTP_BAD_REQUEST, events ? "unknown argument; known: limit, after" :
		    "this resource takes no arguments");
	if (events && (v = arg(a, "limit")) != NULL && !parse_count(v, 1, EVENTS_MAX, &limit))
		return reply_error(r, MHD_HTTP_BAD_REQUEST, "limit: 1 to 10000");
	if (events && (v = arg(a, "after")) != NULL && !parse_count(v, 0, INT32_MAX, &after))
		return reply_error(r, MHD_HTTP_BAD_REQUEST, "after: an event seq (0 or more)");
	if ((rc = fw_aq_alert(q, id, one_alert, &alert, err, sizeof(err))) < 0) {
		FW_LOG_RL(FW_LOG_WARN, "http", "alert query failed: %s", err);
		return reply_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, "the database could not be read; retry");
	}
	if (rc == 0 || alert == NULL) {
		json_decref(alert);
		return reply_error(r, MHD_HTTP_NOT_FOUND, "no such alert");
	}
	if (!events)
		return reply_json(r, MHD_HTTP_OK, alert);
	json_decref(alert);
	list = json_array();
	if (list == NULL || fw_aq_events(q, id, after, limit, one_event, list, err, sizeof(err)) < 0) {
		json_decref(list);
		return reply_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, "the database could not be read; retry");
	}
	o = json_object();
	json_object_set_new(o, "alert_id", json_string(id));
	json_object_set_new(o, "events", list);
	return reply_json(r, MHD_HTTP_OK, o);
}

/* ---- exporters and status, from the snapshot ---- */

static json_t *
time_json(int64_t ms)
{
	char t[FW_TIME_TEXT_LEN];

	if (ms <= 0)
		return json_null();
	fw_time_format(ms, t);
	return json_string(t);
}

/*
 * Exporter rows are "nf9 ADDR" / "ipfix ADDR" (counters "dom<N>_<name>",
 * gauges "dom<N>_templates", "dom<N>_last_seen_ms", "dom<N>_sampler<S>_rate"),
 * "sflow ADDR" (agent counters, "sub<N>_" for a sub-agent, "if<N>_" for an
 * interface, "last_seen_ms"), "flow ADDR" (per address and format: "<fmt>_records",
 * "<fmt>_drop_*", "<fmt>_duration_p50_ms"...) and "<kind> others" (sums).
 * One object per (kind, address, domain / sub-agent); interfaces nest in
 * their agent.  idkey NULL: an object with neither (NetFlow v5).
 */
static json_t *
find_or_add(json_t *list, const char *format, const char *addr, const char *idkey, long id)
{
	size_t i;
	json_t *e;

	for (i = 0; i < json_array_size(list) && (e = json_array_get(list, i)) != NULL; i++) {
		if (strcmp(json_string_value(json_object_get(e, "format")), format) == 0 &&
		    strcmp(json_string_value(json_object_get(e, "address")), addr) == 0 &&
		    (idkey == NULL || json_integer_value(json_object_get(e, idkey)) == id))
			return e;
	}
	e = json_object();
	json_object_set_new(e, "format", json_string(format));
	json_object_set_new(e, "address", json_string(addr));
	if (idkey != NULL)
		json_object_set_new(e, idkey, json_integer(id));
	json_object_set_new(e, "counters", json_object());
	json_object_set_new(e, "errors", json_object());
	json_array_append_new(list, e);
	return e;
}

static json_int_t
jint(uint64_t v)
{
	return v > INT64_MAX ? INT64_MAX : (json_int_t)v;
}

/* A counter, or one of the gauges: templates, last seen, a sampling rate. */
static void
put_counter(json_t *e, const char *name, uint64_t v)
{
	json_t *jv = json_integer(jint(v));
	char *end;

	if (strcmp(name, "templates") == 0) {
		json_object_set_new(e, "templates", jv);
		return;
	}
	if (strcmp(name, "last_seen_ms") == 0) {
		json_decref(jv);
		json_object_set_new(e, "last_seen", time_json(v > INT64_MAX ? 0 : (int64_t)v));
		return;
	}
	if (strncmp(name, "sampler", 7) == 0 && name[7] >= '0' && name[7] <= '9') {
		unsigned long long sid = strtoull(name + 7, &end, 10);

		if (strcmp(end, "_rate") == 0) {
			json_t *list = json_object_get(e, "sampling"), *one = json_object();

			if (list == NULL) {
				list = json_array();
				json_object_set_new(e, "sampling", list);
			}
			json_object_set_new(one, "sampler_id", json_integer(jint(sid)));
			json_object_set_new(one, "rate", jv);
			json_array_append_new(list, one);
			return;
		}
	}
	if (strncmp(name, "err_", 4) == 0)
		json_object_set_new(json_object_get(e, "errors"), name + 4, jv);
	else
		json_object_set_new(json_object_get(e, "counters"), name, jv);
}

/* "dom12_records" -> 12 and "records"; false when there is no such prefix. */
static bool
split_prefix(const char *name, const char *pre, long *id, const char **rest)
{
	size_t n = strlen(pre);
	char *end;

	if (strncmp(name, pre, n) != 0 || name[n] < '0' || name[n] > '9')
		return false;
	*id = strtol(name + n, &end, 10);
	if (*end != '_')
		return false;
	*rest = end + 1;
	return true;
}

/* obj[key] as an object, made if missing. */
static json_t *
sub_object(json_t *obj, const char *key)
{
	json_t *x = json_object_get(obj, key);

	if (x == NULL) {
		x = json_object();
		json_object_set_new(obj, key, x);
	}
	return x;
}

/*
 * A "flow ADDR" row ("nf9_duration_p99_ms"): the decoder screens and times
 * records per datagram source and format, so every object of that address
 * and format gets it; an address with none (NetFlow v5, or one summed into
 * others) gets an object of its own, without domain or sub-agent.
 */
static void
flow_profile_row(json_t *list, const struct fw_stat_row *row)
{
	static const struct { const char *row, *obj, *key; } map[] = {
		{ "records", "screening", "records" },
		{ "drop_implausible", "screening", "implausible" },
		{ "drop_zero_dst", "screening", "zero_dst" },
		{ "duration_p50_ms", "record_durations", "p50_ms" },
		{ "duration_p99_ms", "record_durations", "p99_ms" },
	};
	const char *addr, *us = strchr(row->name, '_');
	char fmt[16];
	bool found = false;
	size_t m;

	if (strncmp(row->source, "flow ", 5) != 0 || strcmp(row->source + 5, "others") == 0 || us == NULL ||
	    (size_t)(us - row->name) >= sizeof(fmt))
		return;
	addr = row->source + 5;
	snprintf(fmt, sizeof(fmt), "%.*s", (int)(us - row->name), row->name);
	if (strcmp(fmt, "sflow5") == 0)
		fmt[5] = '\0';            /* the format of the "sflow ADDR" agents */
	for (m = 0; m < sizeof(map) / sizeof(map[0]) && strcmp(us + 1, map[m].row) != 0; m++)
		;
	if (m == sizeof(map) / sizeof(map[0]) || (strcmp(fmt, "nf5") != 0 && strcmp(fmt, "nf9") != 0 &&
	    strcmp(fmt, "ipfix") != 0 && strcmp(fmt, "sflow") != 0))
		return;
	for (size_t i = 0; i < json_array_size(list); i++) {
		json_t *e = json_array_get(list, i);

		if (strcmp(json_string_value(json_object_get(e, "format")), fmt) == 0 &&
		    strcmp(json_string_value(json_object_get(e, "address")), addr) == 0) {
			json_object_set_new(sub_object(e, map[m].obj), map[m].key, json_integer(jint(row->value)));
			found = true;
		}
	}
	if (!found)
		json_object_set_new(sub_object(find_or_add(list, fmt, addr, NULL, 0), map[m].obj), map[m].key,
		    json_integer(jint(row->value)));
}

static int
exporters(const struct web_snap *s, const struct web_args *a, struct web_reply *r)
{
	static const char *const none[] = { NULL };
	json_t *list = json_array(), *others = json_object(), *o;

	if (!args_known(a, none)) {
		json_decref(list);
		json_decref(others);
		return reply_error(r, MHD_HTTP_BAD_REQUEST, "this resource takes no arguments");
	}
	for (size_t i = 0; i < s->nrows; i++) {
		const struct fw_stat_row *row = &s->rows[i];
		const char *sp = strchr(row->source, ' '), *rest;
		char kind[16];
		long id;
		json_t *e;

		if (sp == NULL || (size_t)(sp - row->source) >= sizeof(kind))
			continue;
		snprintf(kind, sizeof(kind), "%.*s", (int)(sp - row->source), row->source);
		if (strcmp(kind, "nf9") != 0 && strcmp(kind, "ipfix") != 0 && strcmp(kind, "sflow") != 0 &&
		    strcmp(kind, "sflow_if") != 0 && strcmp(kind, "flow") != 0)
			continue;
		if (strcmp(sp + 1, "others") == 0) {
			json_t *k = json_object_get(others, kind);

			if (k == NULL) {
				k = json_object();
				json_object_set_new(others, kind, k);
			}
			json_object_set_new(k, row->name, json_integer(row->value > INT64_MAX ? INT64_MAX :
			    (json_int_t)row->value));
			continue;
		}
		if (strcmp(kind, "flow") == 0)
			continue;              /* second pass: the objects exist then */
		if (strcmp(kind, "sflow") == 0) {
			if (split_prefix(row->name, "if", &id, &rest)) {
				json_t *agent = find_or_add(list, "sflow", sp + 1, "sub_agent", 0), *ifs, *one;
				char key[24];

				if ((ifs = json_object_get(agent, "interfaces")) == NULL) {
					ifs = json_object();
					json_object_set_new(agent, "interfaces", ifs);
				}
				snprintf(key, sizeof(key), "%ld", id);
				if ((one = json_object_get(ifs, key)) == NULL) {
					one = json_object();
					json_object_set_new(ifs, key, one);
				}
				json_object_set_new(one, rest, json_integer(row->value > INT64_MAX ? INT64_MAX :
				    (json_int_t)row->value));
				continue;
			}
			if (!split_prefix(row->name, "sub", &id, &rest)) {
				id = 0;
				rest = row->name;
			}
			e = find_or_add(list, "sflow", sp + 1, "sub_agent", id);
		} else {
			if (!split_prefix(row->name, "dom", &id, &rest))
				continue;
			e = find_or_add(list, kind, sp + 1, "domain", id);
		}
		put_counter(e, rest, row->value);
	}
	for (size_t i = 0; i < s->nrows; i++)
		flow_profile_row(list, &s->rows[i]);
	o = json_object();
	json_object_set_new(o, "at", time_json(s->ready ? s->at_ms : 0));
	json_object_set_new(o, "exporters", list);
	json_object_set_new(o, "others", others);
	return reply_json(r, MHD_HTTP_OK, o);
}

static double
tenths(double x)
{
	return round(x * 10.0) / 10.0;
}

static uint64_t
row_value(const struct web_snap *s, const char *source, const char *name)
{
	for (size_t i = 0; i < s->nrows; i++)
		if (strcmp(s->rows[i].source, source) == 0 && strcmp(s->rows[i].name, name) == 0)
			return s->rows[i].value;
	return 0;
}

/* A comma/space separated config list as an array of strings. */
static json_t *
list_json(const char *text)
{
	json_t *a = json_array();

	while (a != NULL && *text != '\0') {
		size_t n = strcspn(text, ", \t");

		if (n > 0)
			json_array_append_new(a, json_stringn(text, n));
		text += n;
		text += strspn(text, ", \t");
	}
	return a;
}

static json_t *
watching_json(const struct web_info *info)
{
	json_t *w = json_object(), *dns = json_array();

	json_object_set_new(w, "netflow", list_json(info->listen_netflow));
	json_object_set_new(w, "ipfix", list_json(info->listen_ipfix));
	json_object_set_new(w, "sflow", list_json(info->listen_sflow));
	if (info->dns_querylog)
		json_array_append_new(dns, json_string("querylog"));
	if (info->dns_dnstap)
		json_array_append_new(dns, json_string("dnstap"));
	if (info->dns_nflog)
		json_array_append_new(dns, json_string("nflog"));
	json_object_set_new(w, "dns", dns);
	json_object_set_new(w, "networks", list_json(info->networks));
	json_object_set_new(w, "zones", list_json(info->dns_zones));
	return w;
}

/* Every counter row of the snapshot (the collector_stats rows of its tick). */
static int
counters(const struct web_snap *s, const struct web_args *a, struct web_reply *r)
{
	static const char *const none[] = { NULL };
	json_t *list, *o;

	if (!args_known(a, none))
		return reply_error(r, MHD_HTTP_BAD_REQUEST, "this resource takes no arguments");
	list = json_array();
	for (size_t i = 0; i < s->nrows; i++) {
		json_t *row = json_object();

		json_object_set_new(row, "source", json_string(s->rows[i].source));
		json_object_set_new(row, "name", json_string(s->rows[i].name));
		json_object_set_new(row, "value", json_integer(jint(s->rows[i].value)));
		json_array_append_new(list, row);
	}
	o = json_object();
	json_object_set_new(o, "at", time_json(s->ready ? s->at_ms : 0));
	json_object_set_new(o, "counters", list);
	return reply_json(r, MHD_HTTP_OK, o);
}

static int
status(const struct web_snap *s, const struct web_info *info, const struct web_args *a, struct web_reply *r)
{
	static const char *const none[] = { NULL };
	int64_t now = fw_time_now_ms();
	json_t *o, *x;

	if (!args_known(a, none))
		return reply_error(r, MHD_HTTP_BAD_REQUEST, "this resource takes no arguments");
	o = json_object();
	json_object_set_new(o, "version", json_string(info->version));
	json_object_set_new(o, "started_at", time_json(info->started_ms));
	json_object_set_new(o, "uptime_s", json_real(tenths((double)(now - info->started_ms) / 1000.0)));
	json_object_set_new(o, "config_digest", json_string(info->config_digest));
	json_object_set_new(o, "ready", json_boolean(s->ready));
	json_object_set_new(o, "counters_at", time_json(s->ready ? s->at_ms : 0));
	x = json_object();
	json_object_set_new(x, "budget_bytes", json_integer((json_int_t)info->memory_budget_bytes));
	json_object_set_new(x, "detector_tables_bytes", json_integer((json_int_t)row_value(s, "detector", "memory_bytes")));
	json_object_set_new(x, "resident_bytes", json_integer((json_int_t)s->rss_bytes));
	json_object_set_new(o, "memory", x);
	x = json_object();
	json_object_set_new(x, "queued_records", json_integer((json_int_t)s->ring_used));
	json_object_set_new(x, "capacity_records", json_integer((json_int_t)s->ring_capacity));
	json_object_set_new(x, "fill", json_real(s->ring_capacity ?
	    round((double)s->ring_used / (double)s->ring_capacity * 1000.0) / 1000.0 : 0.0));
	json_object_set_new(o, "rings", x);
	x = json_object();
	if (s->ready && s->newest_event_ms != INT64_MIN && s->newest_event_ms > 0) {
		json_object_set_new(x, "newest_event_at", time_json(s->newest_event_ms));
		json_object_set_new(x, "lag_s", json_real(tenths((double)(s->at_ms - s->newest_event_ms) / 1000.0)));
	} else {
		json_object_set_new(x, "newest_event_at", json_null());
		json_object_set_new(x, "lag_s", json_null());
	}
	json_object_set_new(o, "watermark", x);
	x = json_object();
	json_object_set_new(x, "victims", json_integer((json_int_t)row_value(s, "detector", "victims")));
	json_object_set_new(x, "alerts_started", json_integer((json_int_t)row_value(s, "detector", "alerts_started")));
	json_object_set_new(x, "alerts_ended", json_integer((json_int_t)row_value(s, "detector", "alerts_ended")));
	json_object_set_new(o, "detector", x);
	json_object_set_new(o, "watching", watching_json(info));
	return reply_json(r, MHD_HTTP_OK, o);
}

void
web_api(struct fw_aq *q, const struct web_snap *s, const struct web_info *info, const char *path,
    const struct web_args *args, struct web_reply *r)
{
	/* path starts after "/api/v1". */
	if (strcmp(path, "/alerts") == 0)
		(void)alerts_list(q, args, r);
	else if (strncmp(path, "/alerts/", 8) == 0)
		(void)alert_by_id(q, path + 8, args, r);
	else if (strcmp(path, "/exporters") == 0)
		(void)exporters(s, args, r);
	else if (strcmp(path, "/counters") == 0)
		(void)counters(s, args, r);
	else if (strcmp(path, "/status") == 0)
		(void)status(s, info, args, r);
	else
		(void)reply_error(r, MHD_HTTP_NOT_FOUND, "no such resource; see schema/openapi.yaml");
}
