/*
 * alert_json.c - alert event <-> JSON (fw_alert_json.h).
 *
 * Encoding feeds the outbox, Kafka and the notify hook; decoding reads
 * messages back from the alerts topic (`floodwatch store`), where anyone
 * with write access to the topic may have put anything: every field is
 * checked before it is trusted.
 */
#include "fw_alert_json.h"

#include <jansson.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fw_names.h"
#include "fw_time.h"

/* Length of the valid UTF-8 sequence at s (1..4), or 0 if invalid. */
static size_t
utf8_seq(const unsigned char *s)
{
	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		return (s[1] & 0xc0) == 0x80 ? 2 : 0;
	if (s[0] >= 0xe0 && s[0] <= 0xef) {
		if ((s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80)
			return 0;
		if ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] > 0x9f))
			return 0;  /* overlong or surrogate */
		return 3;
	}
	if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		if ((s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80 || (s[3] & 0xc0) != 0x80)
			return 0;
		if ((s[0] == 0xf0 && s[1] < 0x90) || (s[0] == 0xf4 && s[1] > 0x8f))
			return 0;
		return 4;
	}
	return 0;
}

char *
fw_utf8_sanitize(const char *src, char *dst, size_t dstlen)
{
	const unsigned char *s = (const unsigned char *)src;
	size_t o = 0;

	if (dstlen == 0)
		return dst;
	while (*s != '\0') {
		size_t n = utf8_seq(s);

		if (n == 0) {
			if (o + 3 >= dstlen)
				break;
			memcpy(dst + o, "\xef\xbf\xbd", 3);  /* U+FFFD */
			o += 3;
			s++;
			continue;
		}
		if (o + n >= dstlen)
			break;
		memcpy(dst + o, s, n);
		o += n;
		s += n;
	}
	dst[o] = '\0';
	return dst;
}

static json_t *
time_or_null(int64_t ms)
{
	char t[FW_TIME_TEXT_LEN];

	if (ms == 0)
		return json_null();
	fw_time_format(ms, t);
	return json_string(t);
}

/* A rate rounded to `unit` (0.1 packets or queries/s, 1 bit/s). */
static json_t *
rate(double v, double unit)
{
	return json_real(isfinite(v) ? round(v / unit) * unit : 0.0);
}

int
fw_alert_json(const struct fw_alert_ev *ev, char *out, size_t outlen)
{
	char victim[FW_VICTIM_MAX * 3], evtext[FW_EVIDENCE_MAX * 3];
	json_t *o = json_object(), *evidence;
	json_error_t jerr;
	char *text;
	int len = -1;

	if (o == NULL)
		return -1;
	fw_utf8_sanitize(ev->victim, victim, sizeof(victim));
	fw_utf8_sanitize(ev->evidence, evtext, sizeof(evtext));
	evidence = json_loads(evtext, 0, &jerr);
	if (evidence == NULL || !json_is_object(evidence)) {
		json_decref(evidence);
		evidence = json_object();
	}
	json_object_set_new(o, "schema_version", json_integer(FW_ALERT_JSON_SCHEMA_VERSION));
	json_object_set_new(o, "id", json_string(ev->id));
	json_object_set_new(o, "seq", json_integer(ev->seq));
	json_object_set_new(o, "event", json_string(fw_event_name(ev->event)));
	json_object_set_new(o, "started_at", time_or_null(ev->started_ms));
	json_object_set_new(o, "updated_at", time_or_null(ev->updated_ms));
	json_object_set_new(o, "ended_at", ev->event == FW_EV_END ? time_or_null(ev->ended_ms) : json_null());
	{
		const char *r = fw_end_reason_name(ev->reason);

		json_object_set_new(o, "reason", ev->event != FW_EV_END ? json_null() :
		    json_string(r != NULL ? r : "quiet"));
	}
	json_object_set_new(o, "victim", json_string(victim));
	json_object_set_new(o, "vector", json_string(fw_vector_name(ev->vector)));
	json_object_set_new(o, "severity", json_integer(ev->severity));
	json_object_set_new(o, "peak_pps", rate(ev->peak_pps, 0.1));
	json_object_set_new(o, "peak_bps", rate(ev->peak_bps, 1));
	json_object_set_new(o, "peak_qps", rate(ev->peak_qps, 0.1));
	json_object_set_new(o, "current_pps", rate(ev->cur_pps, 0.1));
	json_object_set_new(o, "current_bps", rate(ev->cur_bps, 1));
	json_object_set_new(o, "current_qps", rate(ev->cur_qps, 0.1));
	json_object_set_new(o, "evidence", evidence);
	/* 15 significant digits: rounded rates print as 78000.1, not 78000.100000000006. */
	text = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII | JSON_REAL_PRECISION(15));
	if (text != NULL && strlen(text) < outlen) {
		len = (int)strlen(text);
		memcpy(out, text, (size_t)len + 1);
	}
	free(text);
	json_decref(o);
	return len;
}

/* ---- decoding (fw_alert_json_parse) ---- */

/* The schema's time pattern, exactly: YYYY-MM-DDTHH:MM:SS.mmmZ. */
static int
parse_time(const json_t *v, int64_t *ms)
{
	static const char form[] = "dddd-dd-ddTdd:dd:dd.dddZ";
	const char *t = json_string_value(v);

	if (t == NULL || json_string_length(v) != sizeof(form) - 1)
		return -1;
	for (size_t i = 0; i < sizeof(form) - 1; i++)
		if (form[i] == 'd' ? (t[i] < '0' || t[i] > '9') : t[i] != form[i])
			return -1;
	return fw_time_parse(t, ms);
}

/* A rate: a number, finite and >= 0 (jansson refuses inf and nan). */
static int
parse_rate(const json_t *o, const char *key, double *out)
{
	const json_t *v = json_object_get(o, key);

	if (!json_is_number(v))
		return -1;
	*out = json_number_value(v);
	return *out >= 0 ? 0 : -1;
}

/* Index of name among the names fn gives for lo..hi, or -1. */
static int
lookup_name(const char *name, const char *(*fn)(int), int lo, int hi)
{
	for (int i = lo; name != NULL && i <= hi; i++) {
		const char *n = fn(i);

		if (n != NULL && strcmp(n, name) == 0)
			return i;
	}
	return -1;
}

static int
is_alert_id(const json_t *v)
{
	const char *s = json_string_value(v);

	if (s == NULL || json_string_length(v) != FW_ALERT_ID_LEN)
		return 0;
	for (size_t i = 0; i < FW_ALERT_ID_LEN; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

/* The checks of fw_alert_json_parse on a parsed object; *field names the culprit. */
static int
decode(const json_t *o, struct fw_alert_ev *ev, const char **field)
{
	const json_t *v, *evidence;
	json_int_t n;
	int k;
	size_t len;

	*field = "schema_version";
	if (!json_is_integer(v = json_object_get(o, "schema_version")))
		return FW_EMALFORMED;
	if (json_integer_value(v) != FW_ALERT_JSON_SCHEMA_VERSION)
		return FW_EUNSUPPORTED;
	*field = "id";
	if (!is_alert_id(v = json_object_get(o, "id")))
		return FW_EMALFORMED;
	memcpy(ev->id, json_string_value(v), FW_ALERT_ID_LEN + 1);
	*field = "seq";
	if (!json_is_integer(v = json_object_get(o, "seq")) || (n = json_integer_value(v)) < 1 ||
	    n > (json_int_t)UINT32_MAX)
		return FW_EMALFORMED;
	ev->seq = (uint32_t)n;
	*field = "event";
	if ((k = lookup_name(json_string_value(json_object_get(o, "event")), fw_event_name, FW_EV_START,
	    FW_EV_END)) < 0)
		return FW_EMALFORMED;
	ev->event = (uint8_t)k;
	*field = "started_at";
	if (parse_time(json_object_get(o, "started_at"), &ev->started_ms) != 0)
		return FW_EMALFORMED;
	*field = "updated_at";
	if (parse_time(json_object_get(o, "updated_at"), &ev->updated_ms) != 0)
		return FW_EMALFORMED;
	/* ended_at and reason: set on an end, null (reason may be absent) otherwise. */
	*field = "ended_at";
	v = json_object_get(o, "ended_at");
	if (ev->event == FW_EV_END ? parse_time(v, &ev->ended_ms) != 0 : !json_is_null(v))
		return FW_EMALFORMED;
	*field = "reason";
	v = json_object_get(o, "reason");
	if (ev->event == FW_EV_END) {
		if ((k = lookup_name(json_string_value(v), fw_end_reason_name, FW_END_QUIET,
		    FW_END_RESTART)) < 0)
			return FW_EMALFORMED;
		ev->reason = (uint8_t)k;
	} else if (v != NULL && !json_is_null(v)) {
		return FW_EMALFORMED;
	}
	*field = "victim";
	if (!json_is_string(v = json_object_get(o, "victim")) || (len = json_string_length(v)) == 0)
		return FW_EMALFORMED;
	if (len >= sizeof(ev->victim))
		return FW_EFULL;
	memcpy(ev->victim, json_string_value(v), len + 1);
	*field = "vector";
	if ((k = lookup_name(json_string_value(json_object_get(o, "vector")), fw_vector_name, 0,
	    FW_VEC_COUNT - 1)) < 0)
		return FW_EMALFORMED;
	ev->vector = (uint8_t)k;
	*field = "severity";
	if (!json_is_integer(v = json_object_get(o, "severity")) || json_integer_value(v) < 1 ||
	    json_integer_value(v) > 3)
		return FW_EMALFORMED;
	ev->severity = (uint8_t)json_integer_value(v);
	*field = "a rate (peak_*, current_*)";
	if (parse_rate(o, "peak_pps", &ev->peak_pps) || parse_rate(o, "peak_bps", &ev->peak_bps) ||
	    parse_rate(o, "peak_qps", &ev->peak_qps) || parse_rate(o, "current_pps", &ev->cur_pps) ||
	    parse_rate(o, "current_bps", &ev->cur_bps) || parse_rate(o, "current_qps", &ev->cur_qps))
		return FW_EMALFORMED;
	*field = "evidence";
	if (!json_is_object(evidence = json_object_get(o, "evidence")))
		return FW_EMALFORMED;
	/* Compact UTF-8, 15 digits: the text the producer stored, up to number form. */
	len = json_dumpb(evidence, ev->evidence, sizeof(ev->evidence) - 1, JSON_COMPACT | JSON_REAL_PRECISION(15));
	if (len == 0)
		return FW_EMALFORMED;
	if (len >= sizeof(ev->evidence))
		return FW_EFULL;
	ev->evidence[len] = '\0';
	return FW_OK;
}

int
fw_alert_json_parse(const char *buf, size_t len, struct fw_alert_ev *ev, char *why, size_t whylen)
{
	json_error_t jerr;
	json_t *o;
	const char *field = "";
	int rc;

	if (len > FW_ALERT_JSON_MAX) {
		snprintf(why, whylen, "message of %zu bytes is longer than %d", len, FW_ALERT_JSON_MAX);
		return FW_EMALFORMED;
	}
	/* Duplicate keys would make "which value counts" the parser's choice. */
	if ((o = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr)) == NULL) {
		snprintf(why, whylen, "not JSON: %s (byte %d)", jerr.text, jerr.position);
		return FW_EMALFORMED;
	}
	memset(ev, 0, sizeof(*ev));
	if (!json_is_object(o)) {
		snprintf(why, whylen, "not a JSON object");
		rc = FW_EMALFORMED;
	} else if ((rc = decode(o, ev, &field)) != FW_OK) {
		snprintf(why, whylen, "%s: %s", field, rc == FW_EUNSUPPORTED ? "not schema version 1" :
		    rc == FW_EFULL ? "too long to store" : "missing or invalid");
	}
	json_decref(o);
	return rc;
}
