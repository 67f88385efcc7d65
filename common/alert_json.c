/*
 * alert_json.c - alert event -> JSON (fw_alert_json.h).
 */
#include "fw_alert_json.h"

#include <jansson.h>
#include <math.h>
#include <stdint.h>
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
