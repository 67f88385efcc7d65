/*
 * fw_test_detect.h - test helpers for the detector's unit tests: a sink
 * that copies every alert event the detector emits, the detector's set-up
 * and end, record builders (flows, DNS queries, addresses) and the
 * fixed-seed PRNGs the synthetic scenarios draw from.
 *
 * static inline so each test program takes only what it uses.  Before
 * including it a test may define FW_TEST_MAX_EV (events a sink keeps) and
 * FW_TEST_T0_MS (where its scenario starts: FW_DUMP prints times from it).
 * A sink holds FW_TEST_MAX_EV events of about 3 KiB each: static storage
 * or the heap, not the stack.  The PRNG streams are the tests' inputs:
 * changing one changes what every scenario sees.
 */
#ifndef FW_TEST_DETECT_H
#define FW_TEST_DETECT_H

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fw_addr.h"
#include "fw_config.h"
#include "fw_detect.h"
#include "fw_names.h"
#include "fw_records.h"

#ifndef FW_TEST_MAX_EV
#define FW_TEST_MAX_EV 256
#endif
#ifndef FW_TEST_T0_MS
#define FW_TEST_T0_MS 1700000000000LL  /* 2023-11-14 22:13:20 UTC */
#endif

struct fw_test_sink {
	size_t n;                            /* events emitted; the first FW_TEST_MAX_EV are kept */
	struct fw_alert_ev ev[FW_TEST_MAX_EV];
	struct fw_detect_stats st;           /* a run's counters, for tests that keep them here */
};

/* fw_alert_fn: copies ev into the sink ctx.  Debugging aid:
 * CK_FORK=no FW_DUMP=1 prints each event on stderr. */
static inline void
fw_test_collect(void *ctx, const struct fw_alert_ev *ev)
{
	struct fw_test_sink *s = ctx;

	if (getenv("FW_DUMP") != NULL)
		fprintf(stderr, "%s %u %s %s %s +%.1fs ended +%.1fs %s\n", ev->id, ev->seq,
		    ev->event == FW_EV_START ? "start" : ev->event == FW_EV_END ? "end" : "update",
		    ev->victim, fw_vector_name(ev->vector), (double)(ev->updated_ms - FW_TEST_T0_MS) / 1000,
		    ev->ended_ms ? (double)(ev->ended_ms - FW_TEST_T0_MS) / 1000 : 0.0, ev->evidence);
	if (s->n < FW_TEST_MAX_EV)
		s->ev[s->n] = *ev;
	s->n++;
}

/* Kept events of kind event (FW_EV_*) on victim (NULL: any) with vector
 * (negative: any). */
static inline size_t
fw_test_count_of(const struct fw_test_sink *s, int event, const char *victim, int vector)
{
	size_t k = 0;

	for (size_t i = 0; i < s->n && i < FW_TEST_MAX_EV; i++)
		k += s->ev[i].event == event && (victim == NULL || strcmp(s->ev[i].victim, victim) == 0) &&
		    (vector < 0 || s->ev[i].vector == vector);
	return k;
}

static inline size_t
fw_test_count(const struct fw_test_sink *s, int event)
{
	return fw_test_count_of(s, event, NULL, -1);
}

/* The first kept event of kind event, or NULL. */
static inline const struct fw_alert_ev *
fw_test_find(const struct fw_test_sink *s, int event)
{
	for (size_t i = 0; i < s->n && i < FW_TEST_MAX_EV; i++)
		if (s->ev[i].event == event)
			return &s->ev[i];
	return NULL;
}

/* Applies "section.key=value" (NULL: nothing) to cfg; asserts it is taken. */
static inline void
fw_test_config_set(struct fw_config *cfg, const char *set)
{
	char err[256];

	if (set != NULL)
		ck_assert_msg(fw_config_set(cfg, set, err, sizeof(err)) == FW_OK, "%s: %s", set, err);
}

/* cfg: the defaults, then each of sets (NULL-terminated; NULL: none). */
static inline void
fw_test_config(struct fw_config *cfg, const char *const *sets)
{
	fw_config_defaults(cfg);
	for (size_t i = 0; sets != NULL && sets[i] != NULL; i++)
		fw_test_config_set(cfg, sets[i]);
}

/* A detector on cfg (NULL: the defaults) whose events go to s, emptied
 * first (NULL: events are dropped).  Free it with fw_test_detect_end(). */
static inline struct fw_detect *
fw_test_detect_new(const struct fw_config *cfg, struct fw_test_sink *s)
{
	struct fw_config def;
	struct fw_detect *d = NULL;

	if (cfg == NULL) {
		fw_config_defaults(&def);
		cfg = &def;
	}
	if (s != NULL)
		memset(s, 0, sizeof(*s));
	ck_assert_int_eq(fw_detect_new(cfg, s != NULL ? fw_test_collect : NULL, s, &d), FW_OK);
	return d;
}

/* The end of a run: alerts still open end (fw_detect_finish), the counters
 * go to st (NULL: not wanted), d is freed. */
static inline void
fw_test_detect_end(struct fw_detect *d, struct fw_detect_stats *st)
{
	fw_detect_finish(d);
	if (st != NULL)
		fw_detect_get_stats(d, st);
	fw_detect_free(d);
}

/* splitmix64's finaliser: a well-mixed hash of x, a PRNG indexed by x. */
static inline uint64_t
fw_test_mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/* xorshift64*: the next number of the stream whose state is *s (not 0). */
static inline uint64_t
fw_test_rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dULL;
}

/* Uniform in [0, 1) from the stream *s: 53 bits. */
static inline double
fw_test_unif(uint64_t *s)
{
	return (double)(fw_test_rnd(s) >> 11) / 9007199254740992.0;
}

static inline void
fw_test_v4(struct fw_addr *a, uint8_t x, uint8_t y, uint8_t z, uint8_t w)
{
	const uint8_t b[4] = { x, y, z, w };

	fw_addr_from_v4(a, b);
}

/* The IPv4 address x, host order (0xc6336450: 198.51.100.80). */
static inline void
fw_test_v4u(struct fw_addr *a, uint32_t x)
{
	fw_test_v4(a, (uint8_t)(x >> 24), (uint8_t)(x >> 16), (uint8_t)(x >> 8), (uint8_t)x);
}

/* 2001:db8::<last>. */
static inline void
fw_test_v6_db8(struct fw_addr *a, uint16_t last)
{
	memset(a, 0, sizeof(*a));
	a->b[0] = 0x20;
	a->b[1] = 0x01;
	a->b[2] = 0x0d;
	a->b[3] = 0xb8;
	a->b[14] = (uint8_t)(last >> 8);
	a->b[15] = (uint8_t)last;
}

/* A flow record at t (start = end), unsampled; addresses, TTL and source
 * (all zero) are the caller's. */
static inline void
fw_test_flow(struct fw_flow *f, int64_t t, uint8_t proto, uint8_t flags, uint16_t sport, uint16_t dport,
    uint64_t pkts, uint64_t bytes)
{
	memset(f, 0, sizeof(*f));
	f->start_ms = t;
	f->end_ms = t;
	f->proto = proto;
	f->tcp_flags = flags;
	f->sport = sport;
	f->dport = dport;
	f->pkts = pkts;
	f->bytes = bytes;
	f->sampling = 1;
}

/* A dnstap query (not a response) at t from client to 198.51.100.53: type
 * A for name, no rcode. */
static inline void
fw_test_dnsq(struct fw_dnsq *q, int64_t t, const struct fw_addr *client, const char *name)
{
	memset(q, 0, sizeof(*q));
	q->time_ms = t;
	q->client = *client;
	fw_test_v4(&q->server, 198, 51, 100, 53);
	q->qtype = 1;
	q->rcode = FW_RCODE_NONE;
	q->source = FW_DNS_DNSTAP;
	snprintf(q->qname, sizeof(q->qname), "%s", name);
	q->qname_len = (uint8_t)strlen(q->qname);
}

#endif /* FW_TEST_DETECT_H */
