/*
 * check_alert_json.c - the alert event JSON (Kafka / outbox) and hostile
 * wire-derived text: valid JSON always, exact text in SQLite; and the
 * decoder of `floodwatch store` (fw_alert_json_parse): what the encoder
 * writes reads back the same, every schema rule breaks it alone.
 */
#include <check.h>
#include <jansson.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fw_alert_json.h"
#include "fw_detect.h"
#include "fw_sqlite.h"

/* Quotes, backslash, control bytes, markup, and invalid UTF-8 (lone 0xff, a
 * truncated 3-byte sequence, an overlong '/'), as a DNS zone could carry. */
static const char hostile[] = "a\"b\\c\x01\x1f<script>alert(1)</script>\xff\xe2\x82\xc0\xaf.victim.example";

static void
make_event(struct fw_alert_ev *ev, const char *victim, int event)
{
	memset(ev, 0, sizeof(*ev));
	snprintf(ev->id, sizeof(ev->id), "%s", "00112233445566ff");
	snprintf(ev->victim, sizeof(ev->victim), "%s", victim);
	snprintf(ev->evidence, sizeof(ev->evidence), "{\"sample_qnames\":[\"x\\u0001y\"]}");
	ev->event = (uint8_t)event;
	ev->vector = FW_VEC_DNS_WATER_TORTURE;
	ev->severity = 2;
	ev->seq = event == FW_EV_END ? 3 : 1;
	ev->started_ms = 1700000060000LL;
	ev->updated_ms = 1700000063000LL;
	ev->ended_ms = event == FW_EV_END ? 1700000100000LL : 0;
	ev->peak_qps = 37.5;
}

START_TEST(test_alert_json_fields)
{
	struct fw_alert_ev ev;
	char out[8192];
	json_error_t err;
	json_t *o;

	make_event(&ev, "198.51.100.53", FW_EV_START);
	ck_assert_int_gt(fw_alert_json(&ev, out, sizeof(out)), 0);
	o = json_loads(out, JSON_REJECT_DUPLICATES, &err);
	ck_assert_msg(o != NULL, "not JSON: %s", err.text);
	ck_assert_int_eq(json_integer_value(json_object_get(o, "schema_version")), 1);
	ck_assert_str_eq(json_string_value(json_object_get(o, "id")), "00112233445566ff");
	ck_assert_str_eq(json_string_value(json_object_get(o, "event")), "start");
	ck_assert_str_eq(json_string_value(json_object_get(o, "vector")), "dns_water_torture");
	ck_assert_str_eq(json_string_value(json_object_get(o, "started_at")), "2023-11-14T22:14:20.000Z");
	ck_assert(json_is_null(json_object_get(o, "ended_at")));
	/* reason: present on every event, null unless it is an end. */
	ck_assert(json_is_null(json_object_get(o, "reason")));
	ck_assert(json_is_object(json_object_get(o, "evidence")));
	ck_assert(json_real_value(json_object_get(o, "peak_qps")) == 37.5);
	json_decref(o);

	make_event(&ev, "198.51.100.53", FW_EV_END);
	ck_assert_int_gt(fw_alert_json(&ev, out, sizeof(out)), 0);
	o = json_loads(out, 0, &err);
	ck_assert_str_eq(json_string_value(json_object_get(o, "ended_at")), "2023-11-14T22:15:00.000Z");
	ck_assert_str_eq(json_string_value(json_object_get(o, "reason")), "quiet");  /* none set: the calm rule */
	json_decref(o);

	ev.reason = FW_END_SHUTDOWN;
	ck_assert_int_gt(fw_alert_json(&ev, out, sizeof(out)), 0);
	o = json_loads(out, 0, &err);
	ck_assert_str_eq(json_string_value(json_object_get(o, "reason")), "shutdown");
	json_decref(o);
	ev.reason = FW_END_RESTART;
	ck_assert_int_gt(fw_alert_json(&ev, out, sizeof(out)), 0);
	o = json_loads(out, 0, &err);
	ck_assert_str_eq(json_string_value(json_object_get(o, "reason")), "restart");
	json_decref(o);
}
END_TEST

/* Rates are rounded and printed short: no 17-digit floats in the message. */
START_TEST(test_alert_json_rates_rounded)
{
	struct fw_alert_ev ev;
	char out[8192];

	make_event(&ev, "198.51.100.53", FW_EV_START);
	ev.peak_pps = 78000.123456789;
	ev.peak_bps = 337000000.4999;
	ev.cur_qps = 0.1 + 0.2;
	ck_assert_int_gt(fw_alert_json(&ev, out, sizeof(out)), 0);
	ck_assert_msg(strstr(out, "\"peak_pps\":78000.1,") != NULL, "%s", out);
	ck_assert_msg(strstr(out, "\"peak_bps\":337000000.0,") != NULL, "%s", out);
	ck_assert_msg(strstr(out, "\"current_qps\":0.3,") != NULL, "%s", out);
}
END_TEST

START_TEST(test_alert_json_hostile_text_is_valid_json)
{
	struct fw_alert_ev ev;
	char out[8192], clean[256];
	json_error_t err;
	json_t *o;
	const char *v;

	make_event(&ev, hostile, FW_EV_START);
	ck_assert_int_gt(fw_alert_json(&ev, out, sizeof(out)), 0);
	/* ASCII only on the wire: every non-ASCII character is \u-escaped. */
	for (const char *p = out; *p; p++)
		ck_assert_msg((unsigned char)*p >= 0x20 && (unsigned char)*p < 0x7f, "raw byte 0x%02x", (unsigned char)*p);
	o = json_loads(out, 0, &err);
	ck_assert_msg(o != NULL, "not JSON: %s", err.text);
	v = json_string_value(json_object_get(o, "victim"));
	ck_assert_ptr_nonnull(v);
	fw_utf8_sanitize(hostile, clean, sizeof(clean));
	ck_assert_str_eq(v, clean);
	ck_assert_ptr_nonnull(strstr(v, "<script>alert(1)</script>"));
	ck_assert_ptr_nonnull(strstr(v, "a\"b\\c\x01\x1f"));
	ck_assert_ptr_nonnull(strstr(v, "\xef\xbf\xbd"));  /* U+FFFD stands in for bad bytes */
	json_decref(o);
}
END_TEST

START_TEST(test_alert_json_utf8_sanitize)
{
	char out[64];

	ck_assert_str_eq(fw_utf8_sanitize("plain", out, sizeof(out)), "plain");
	ck_assert_str_eq(fw_utf8_sanitize("caf\xc3\xa9", out, sizeof(out)), "caf\xc3\xa9");
	ck_assert_str_eq(fw_utf8_sanitize("\xff", out, sizeof(out)), "\xef\xbf\xbd");
	ck_assert_str_eq(fw_utf8_sanitize("\xc0\xaf", out, sizeof(out)), "\xef\xbf\xbd\xef\xbf\xbd");
	ck_assert_str_eq(fw_utf8_sanitize("\xed\xa0\x80", out, sizeof(out)), "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
	ck_assert_str_eq(fw_utf8_sanitize("\xf0\x9f\x98\x80", out, sizeof(out)), "\xf0\x9f\x98\x80");
	/* Truncation never splits a sequence. */
	ck_assert_str_eq(fw_utf8_sanitize("ab\xc3\xa9", out, 4), "ab");
}
END_TEST

START_TEST(test_alert_json_sqlite_keeps_exact_text)
{
	char path[] = "/tmp/check_alert_json.XXXXXX", dbpath[64], side[80], err[256];
	struct fw_sqlite *s = NULL;
	struct fw_alert_ev ev;
	sqlite3 *db;
	sqlite3_stmt *st;
	int fd = mkstemp(path);

	ck_assert_int_ge(fd, 0);
	close(fd);
	unlink(path);
	snprintf(dbpath, sizeof(dbpath), "%s.db", path);
	ck_assert_int_eq(fw_sqlite_open(dbpath, &s, err, sizeof(err)), FW_OK);
	make_event(&ev, hostile, FW_EV_START);
	ck_assert_int_eq(fw_sqlite_write(s, &ev, 1, 1), FW_OK);
	fw_sqlite_close(s);

	ck_assert_int_eq(sqlite3_open(dbpath, &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT victim, (SELECT payload FROM outbox) FROM alerts", -1, &st, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
	ck_assert_int_eq(sqlite3_column_bytes(st, 0), (int)strlen(hostile));
	ck_assert(memcmp(sqlite3_column_text(st, 0), hostile, strlen(hostile)) == 0);
	{
		json_error_t jerr;
		json_t *o = json_loads((const char *)sqlite3_column_text(st, 1), 0, &jerr);
		ck_assert_msg(o != NULL, "outbox payload is not JSON: %s", jerr.text);
		json_decref(o);
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
	unlink(dbpath);
	snprintf(side, sizeof(side), "%s-wal", dbpath);
	unlink(side);
	snprintf(side, sizeof(side), "%s-shm", dbpath);
	unlink(side);
}
END_TEST

/* Encode ev, decode it, compare every field the store keeps. */
static void
round_trip(const struct fw_alert_ev *ev)
{
	struct fw_alert_ev back;
	char out[16384], why[256] = "";
	int len = fw_alert_json(ev, out, sizeof(out));

	ck_assert_int_gt(len, 0);
	ck_assert_msg(fw_alert_json_parse(out, (size_t)len, &back, why, sizeof(why)) == FW_OK, "%s: %s", why, out);
	ck_assert_str_eq(back.id, ev->id);
	ck_assert_int_eq(back.event, ev->event);
	ck_assert_int_eq(back.seq, ev->seq);
	ck_assert_int_eq(back.vector, ev->vector);
	ck_assert_int_eq(back.severity, ev->severity);
	ck_assert_int_eq(back.reason, ev->event == FW_EV_END && ev->reason == FW_END_NONE ? FW_END_QUIET : ev->reason);
	ck_assert(back.started_ms == ev->started_ms && back.updated_ms == ev->updated_ms);
	ck_assert(back.ended_ms == (ev->event == FW_EV_END ? ev->ended_ms : 0));
	ck_assert(back.peak_qps == ev->peak_qps && back.peak_pps == ev->peak_pps);
	ck_assert_str_eq(back.victim, ev->victim);
	ck_assert_str_eq(back.evidence, ev->evidence);
}

START_TEST(test_alert_json_parse_round_trip)
{
	struct fw_alert_ev ev;

	make_event(&ev, "victim.example", FW_EV_START);
	snprintf(ev.evidence, sizeof(ev.evidence), "{\"kind\":\"zone\",\"observed_qps\":37.5,\"sample_names\":"
	    "[\"caf\xc3\xa9.victim.example\"],\"failure_ratio\":null,\"distinct_saturated\":false}");
	round_trip(&ev);
	make_event(&ev, "198.51.100.0/24", FW_EV_END);
	ev.reason = FW_END_RESTART;
	ev.vector = FW_VEC_SSDP_AMPLIFICATION;
	ev.peak_pps = 78000.5;
	snprintf(ev.evidence, sizeof(ev.evidence), "{}");
	round_trip(&ev);
	make_event(&ev, "2001:db8::53", FW_EV_UPDATE);
	ev.seq = 4294967295u;
	round_trip(&ev);
}
END_TEST

/* One rule broken at a time, on a valid message: key, JSON value (NULL:
 * the key removed), expected code. */
static const struct {
	const char *key, *value;
	int rc;
} broken[] = {
	{ "schema_version", "2", FW_EUNSUPPORTED },
	{ "schema_version", "\"1\"", FW_EMALFORMED },
	{ "id", NULL, FW_EMALFORMED },
	{ "id", "\"00112233445566FF\"", FW_EMALFORMED },     /* upper case */
	{ "id", "\"00112233445566f\"", FW_EMALFORMED },      /* 15 digits */
	{ "seq", "0", FW_EMALFORMED },
	{ "seq", "4294967296", FW_EMALFORMED },
	{ "seq", "1.5", FW_EMALFORMED },
	{ "event", "\"begin\"", FW_EMALFORMED },
	{ "started_at", "\"2023-11-14 22:14:20.000Z\"", FW_EMALFORMED },
	{ "started_at", "\"2023-11-14T22:14:20Z\"", FW_EMALFORMED },
	{ "updated_at", "null", FW_EMALFORMED },
	{ "ended_at", "\"2023-11-14T22:15:00.000Z\"", FW_EMALFORMED },  /* on a start */
	{ "ended_at", NULL, FW_EMALFORMED },
	{ "reason", "\"quiet\"", FW_EMALFORMED },            /* on a start */
	{ "victim", "\"\"", FW_EMALFORMED },
	{ "victim", "7", FW_EMALFORMED },
	{ "victim", "\"a123456789b123456789c123456789d123456789e123456789f123456789.com\"", FW_EFULL },
	{ "vector", "\"carpet_bombing\"", FW_EMALFORMED },
	{ "severity", "0", FW_EMALFORMED },
	{ "severity", "4", FW_EMALFORMED },
	{ "peak_pps", "-1", FW_EMALFORMED },
	{ "current_bps", "\"fast\"", FW_EMALFORMED },
	{ "peak_qps", NULL, FW_EMALFORMED },
	{ "evidence", "[]", FW_EMALFORMED },
	{ "evidence", NULL, FW_EMALFORMED },
};

START_TEST(test_alert_json_parse_rule_broken)
{
	struct fw_alert_ev ev;
	char out[16384], why[256] = "";
	json_error_t jerr;
	json_t *o;
	char *text;
	int rc;

	make_event(&ev, "198.51.100.53", FW_EV_START);
	ck_assert_int_gt(fw_alert_json(&ev, out, sizeof(out)), 0);
	o = json_loads(out, 0, &jerr);
	ck_assert_ptr_nonnull(o);
	if (broken[_i].value == NULL)
		json_object_del(o, broken[_i].key);
	else
		json_object_set_new(o, broken[_i].key, json_loads(broken[_i].value, JSON_DECODE_ANY, &jerr));
	text = json_dumps(o, JSON_COMPACT);
	ck_assert_ptr_nonnull(text);
	rc = fw_alert_json_parse(text, strlen(text), &ev, why, sizeof(why));
	ck_assert_msg(rc == broken[_i].rc, "%s = %s: got %d (%s), want %d", broken[_i].key,
	    broken[_i].value ? broken[_i].value : "(none)", rc, why, broken[_i].rc);
	ck_assert_msg(strstr(why, broken[_i].key) != NULL || strncmp(broken[_i].key, "peak", 4) == 0 ||
	    strncmp(broken[_i].key, "current", 7) == 0, "the reason names the field: %s", why);
	free(text);
	json_decref(o);
}
END_TEST

START_TEST(test_alert_json_parse_not_an_event)
{
	static const char *const bad[] = {
		"", "not json", "[]", "null", "42", "{}", "{\"schema_version\":1}",
		"{\"schema_version\":1,\"schema_version\":1}",   /* duplicate key */
		"{\"schema_version\":1", "\"\\u0000\"",
	};
	struct fw_alert_ev ev;
	char why[256], *big;
	size_t n = FW_ALERT_JSON_MAX + 1;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why[0] = '\0';
		ck_assert_msg(fw_alert_json_parse(bad[i], strlen(bad[i]), &ev, why, sizeof(why)) == FW_EMALFORMED,
		    "accepted: %s", bad[i]);
		ck_assert_msg(why[0] != '\0', "no reason for %s", bad[i]);
	}
	/* An end without its reason; an end with the reason of a start. */
	{
		char out[16384];
		struct fw_alert_ev e;

		make_event(&e, "198.51.100.53", FW_EV_END);
		ck_assert_int_gt(fw_alert_json(&e, out, sizeof(out)), 0);
		{
			json_error_t jerr;
			json_t *o = json_loads(out, 0, &jerr);
			char *text;

			json_object_set_new(o, "reason", json_null());
			text = json_dumps(o, JSON_COMPACT);
			ck_assert_int_eq(fw_alert_json_parse(text, strlen(text), &ev, why, sizeof(why)), FW_EMALFORMED);
			free(text);
			json_object_set_new(o, "reason", json_string("started"));
			text = json_dumps(o, JSON_COMPACT);
			ck_assert_int_eq(fw_alert_json_parse(text, strlen(text), &ev, why, sizeof(why)), FW_EMALFORMED);
			free(text);
			json_decref(o);
		}
	}
	/* Longer than FW_ALERT_JSON_MAX: refused unread (only the length is looked at). */
	big = malloc(n);
	ck_assert_ptr_nonnull(big);
	memset(big, ' ', n);
	ck_assert_int_eq(fw_alert_json_parse(big, n, &ev, why, sizeof(why)), FW_EMALFORMED);
	ck_assert_ptr_nonnull(strstr(why, "longer"));
	free(big);
}
END_TEST

static Suite *
alert_json_suite(void)
{
	Suite *s = suite_create("alert_json");
	TCase *valid = tcase_create("valid"), *malformed = tcase_create("malformed");

	tcase_add_test(valid, test_alert_json_fields);
	tcase_add_test(valid, test_alert_json_rates_rounded);
	tcase_add_test(malformed, test_alert_json_hostile_text_is_valid_json);
	tcase_add_test(malformed, test_alert_json_utf8_sanitize);
	tcase_add_test(malformed, test_alert_json_sqlite_keeps_exact_text);
	tcase_add_test(valid, test_alert_json_parse_round_trip);
	tcase_add_loop_test(malformed, test_alert_json_parse_rule_broken, 0, (int)(sizeof(broken) / sizeof(broken[0])));
	tcase_add_test(malformed, test_alert_json_parse_not_an_event);
	suite_add_tcase(s, valid);
	suite_add_tcase(s, malformed);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(alert_json_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
