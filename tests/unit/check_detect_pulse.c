/*
 * check_detect_pulse.c - pulse waves stay one alert.  A SYN flood 10 s on,
 * 20 s off (five pulses) over benign traffic gives one start, updates (one
 * saying "quiet" after each pulse, one resuming at the next), and a single
 * end after the last pulse, ended at the last pulse's end with reason
 * quiet.  Pulses 60 s apart are longer than the first hold: the alert ends
 * once and comes back under its id, then the hold has learned the gap and
 * the later pulses stay inside it.  A water-torture pulse wave on a DNS zone
 * is one alert too.  Through the public API with synthetic records.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fw_test_detect.h"

Suite *detect_pulse_suite(void);

#define T0 FW_TEST_T0_MS
#define MAX_REC 512

static struct fw_flow recs[MAX_REC];
static struct fw_dnsq qs[MAX_REC];

/* Is second s inside a pulse?  Pulses of on_s seconds every period_s from
 * first_s, npulse of them. */
static bool
pulse_on(int s, int first_s, int on_s, int period_s, int npulse)
{
	return s >= first_s && (s - first_s) % period_s < on_s && (s - first_s) / period_s < npulse;
}

/* Flows: benign web traffic to 198.51.100.80 and neighbours, and in a
 * pulse 3000 pps of spoofed SYNs to 198.51.100.80 port 443. */
static void
run_flows(struct fw_test_sink *s, int secs, int first_s, int on_s, int period_s, int npulse)
{
	struct fw_detect *d = fw_test_detect_new(NULL, s);

	for (int sec = 0; sec < secs; sec++) {
		int64_t t = T0 + (int64_t)sec * 1000;
		size_t n = 0;

		for (int k = 0; k < 6; k++) {
			struct fw_flow *f = &recs[n++];
			uint64_t h = fw_test_mix((uint64_t)sec * 64 + (uint64_t)k), pkts = 2 + (h >> 32) % 6;

			fw_test_flow(f, t + (int64_t)(h % 1000), 6, 0x1b, (uint16_t)(32768 + (h >> 8) % 20000), 443, pkts,
			    pkts * 600);
			fw_test_v4(&f->src, 203, 0, 113, (uint8_t)(1 + h % 200));
			fw_test_v4(&f->dst, 198, 51, 100, (uint8_t)(78 + k % 3));
		}
		if (pulse_on(sec, first_s, on_s, period_s, npulse)) {
			for (int k = 0; k < 300; k++) {
				struct fw_flow *f = &recs[n++];
				uint64_t h = fw_test_mix((uint64_t)sec * 100000 + (uint64_t)k);

				fw_test_flow(f, t + (int64_t)(h % 1000), 6, 0x02, (uint16_t)(1024 + (h >> 40) % 60000), 443, 10,
				    600);
				fw_test_v4(&f->src, (uint8_t)(1 + (h >> 8) % 220), (uint8_t)(h >> 16), (uint8_t)(h >> 24),
				    (uint8_t)(h >> 32));
				fw_test_v4(&f->dst, 198, 51, 100, 80);
			}
		}
		fw_detect_flows(d, recs, n);
	}
	fw_test_detect_end(d, NULL);
}

/* Index of the first end event, or -1. */
static int
first_end(const struct fw_test_sink *s)
{
	const struct fw_alert_ev *e = fw_test_find(s, FW_EV_END);

	return e != NULL ? (int)(e - s->ev) : -1;
}

/* SYN flood 10 s on, 20 s off, five pulses from 60 s: one alert. */
START_TEST(test_pulse_wave_one_alert)
{
	struct fw_test_sink *s = calloc(1, sizeof(*s));
	const struct fw_alert_ev *e;
	int quiet = 0, last_pulse_end_s = 60 + 4 * 30 + 10;

	run_flows(s, 300, 60, 10, 30, 5);
	ck_assert_uint_le(s->n, FW_TEST_MAX_EV);
	ck_assert_uint_eq(fw_test_count(s, FW_EV_START), 1);
	ck_assert_uint_eq(fw_test_count(s, FW_EV_END), 1);
	/* The one end is the last event, after the last pulse; no end between. */
	ck_assert_int_eq(first_end(s), (int)s->n - 1);
	e = &s->ev[s->n - 1];
	ck_assert_int_eq(e->reason, FW_END_QUIET);
	ck_assert_int_eq(e->ended_ms, T0 + last_pulse_end_s * 1000LL);
	ck_assert_int_gt(e->updated_ms, e->ended_ms);
	ck_assert_str_eq(e->victim, "198.51.100.80");
	ck_assert_int_eq(e->vector, FW_VEC_SYN_FLOOD);
	ck_assert_int_eq(s->ev[0].started_ms, T0 + 60000);
	for (size_t i = 0; i < s->n; i++) {
		ck_assert_str_eq(s->ev[i].id, s->ev[0].id);
		ck_assert_uint_eq(s->ev[i].seq, i + 1);
		quiet += strstr(s->ev[i].evidence, "\"state\":\"quiet\"") != NULL;
	}
	/* Quiet after each of the five pulses; the last one ends with four
	 * returns counted. */
	ck_assert_int_eq(quiet, 5);
	ck_assert_ptr_nonnull(strstr(e->evidence, "\"lifecycle\":{\"hold_windows\":"));
	ck_assert_ptr_nonnull(strstr(e->evidence, "\"pulses\":4,\"state\":\"ended\""));
	free(s);
}
END_TEST

/* Pulses 60 s apart: longer than the first hold (10 calm + 30).  The first
 * gap ends the alert and the next pulse continues it (same id); from then
 * on the hold covers the gap: two ends in all, not four. */
START_TEST(test_pulse_wave_hold_learns_gap)
{
	struct fw_test_sink *s = calloc(1, sizeof(*s));
	int e1;

	run_flows(s, 500, 60, 10, 70, 4);
	ck_assert_uint_eq(fw_test_count(s, FW_EV_START), 1);
	ck_assert_uint_eq(fw_test_count(s, FW_EV_END), 2);
	e1 = first_end(s);
	ck_assert_int_ge(e1, 0);
	ck_assert_int_eq(s->ev[e1].ended_ms, T0 + 70000);
	for (size_t i = 0; i < s->n; i++)
		ck_assert_str_eq(s->ev[i].id, s->ev[0].id);
	ck_assert_int_eq(s->ev[s->n - 1].event, FW_EV_END);
	ck_assert_int_eq(s->ev[s->n - 1].ended_ms, T0 + (60 + 3 * 70 + 10) * 1000LL);
	free(s);
}
END_TEST

/* Water torture on victim.example 10 s on, 20 s off: one zone alert. */
START_TEST(test_pulse_wave_dns_zone)
{
	struct fw_test_sink *s = calloc(1, sizeof(*s));
	struct fw_detect *d = fw_test_detect_new(NULL, s);

	for (int sec = 0; sec < 300; sec++) {
		int64_t t = T0 + (int64_t)sec * 1000;
		size_t n = 0;
		int atk = pulse_on(sec, 60, 10, 30, 5) ? 400 : 0;

		for (int k = 0; k < 10 + atk; k++) {
			uint64_t h = fw_test_mix((uint64_t)sec * 1000 + (uint64_t)k);
			char name[FW_QNAME_MAX + 1];
			struct fw_addr c;

			fw_test_v4(&c, 192, 0, 2, (uint8_t)(1 + (h >> 8) % 200));
			if (k < 10)
				snprintf(name, sizeof(name), "%s.victim.example", k % 2 ? "www" : "mail");
			else
				snprintf(name, sizeof(name), "%012llx.victim.example", (unsigned long long)(h >> 16));
			fw_test_dnsq(&qs[n++ % MAX_REC], t + (int64_t)(h % 1000), &c, name);
			if (n == MAX_REC) {
				fw_detect_dns(d, qs, n);
				n = 0;
			}
		}
		fw_detect_dns(d, qs, n);
	}
	fw_test_detect_end(d, NULL);
	ck_assert_uint_eq(fw_test_count(s, FW_EV_START), 1);
	ck_assert_uint_eq(fw_test_count(s, FW_EV_END), 1);
	ck_assert_int_eq(first_end(s), (int)s->n - 1);
	ck_assert_str_eq(s->ev[0].victim, "victim.example");
	ck_assert_int_eq(s->ev[0].vector, FW_VEC_DNS_WATER_TORTURE);
	ck_assert_int_eq(s->ev[s->n - 1].ended_ms, T0 + 190000);
	free(s);
}
END_TEST

Suite *
detect_pulse_suite(void)
{
	Suite *s = suite_create("detect_pulse");
	TCase *v = tcase_create("valid");

	tcase_add_test(v, test_pulse_wave_one_alert);
	tcase_add_test(v, test_pulse_wave_hold_learns_gap);
	tcase_add_test(v, test_pulse_wave_dns_zone);
	tcase_set_timeout(v, 60);
	suite_add_tcase(s, v);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(detect_pulse_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
