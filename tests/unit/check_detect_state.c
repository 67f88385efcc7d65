/*
 * check_detect_state.c - detector checkpoints (fw_detect.h, "Checkpoints";
 * schema/detector_state.md): a detector saved at any point of a stream and
 * restored into a fresh one emits exactly the alert events (JSON, same ids
 * and seq) the uninterrupted detector emits after that point; during
 * warm-up, mid-alert and at the end; flows, DNS and both; one detector and
 * shards.  Damaged blobs (every truncation, bit flips, another version or
 * other table sizes) are refused with a reason and leave the detector as
 * fw_detect_new built it; blobs that pass the checks never crash it.
 */
#include <check.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FW_TEST_MAX_EV 2000    /* (a damaged blob may make a detector chatty: the rest is counted) */
#include "fw_alert_json.h"
#include "fw_sketch.h"
#include "fw_test_detect.h"

Suite *detect_state_suite(void);

#define T0 FW_TEST_T0_MS
#define DUR_S 150
#define MAX_FL 40000
#define MAX_DQ 90000
#define MAX_BT 1200
#define LINE 4096
#define ST_SEED 0x6677c0de5eedULL  /* the checksum's seed (schema/detector_state.md) */

enum { B_FLOW, B_DNS };
enum { S_FLOWS, S_DNS, S_MIX };

struct batch {
	int kind;
	size_t off, n;
};

static struct fw_flow fl[MAX_FL];
static struct fw_dnsq dq[MAX_DQ];
static struct batch bt[MAX_BT];
static size_t nfl, ndq, nbt;

/* A sink on the heap (FW_TEST_MAX_EV events of about 3 KiB). */
static struct fw_test_sink *
log_new(void)
{
	struct fw_test_sink *l = calloc(1, sizeof(*l));

	ck_assert_ptr_nonnull(l);
	return l;
}

static void
log_free(struct fw_test_sink *l)
{
	free(l);
}

/* Event i of a and event j of b are the same: their JSON (every field). */
static void
assert_same_event(const struct fw_test_sink *a, size_t i, const struct fw_test_sink *b, size_t j)
{
	static char x[LINE], y[LINE];

	ck_assert_int_gt(fw_alert_json(&a->ev[i], x, sizeof(x)), 0);
	ck_assert_int_gt(fw_alert_json(&b->ev[j], y, sizeof(y)), 0);
	ck_assert_str_eq(x, y);
}

static uint32_t rs;

static uint32_t
rnd(void)
{
	rs = rs * 1103515245u + 12345u;
	return rs >> 8;
}

/* The next flow record: at t, start - end = dur ms (see fw_test_flow). */
static struct fw_flow *
flow_at(int64_t t, int64_t dur, uint8_t proto, uint8_t flags, uint16_t sport, uint16_t dport, uint64_t pkts,
    uint64_t bytes)
{
	struct fw_flow *f;

	ck_assert_uint_lt(nfl, MAX_FL);
	f = &fl[nfl++];
	fw_test_flow(f, t, proto, flags, sport, dport, pkts, bytes);
	f->start_ms = t - dur;
	return f;
}

/* One second of flows: 40 benign hosts (up to 2 s late); a UDP flood on
 * 198.51.100.80 (60-100 s), a SYN flood on 192.0.2.33 (70-110 s) and a
 * carpet bomb over 203.0.113.0/24 (80-120 s). */
static void
gen_flows(int s)
{
	static const uint32_t nets[4] = { 0xc6336400, 0xc0000200, 0xcb007100, 0x64400100 };  /* x.y.z.0 */
	int64_t t = T0 + (int64_t)s * 1000;

	for (int i = 0; i < 40; i++) {
		/* (two draws, in this order: the stream is the test's input) */
		int64_t at = t + (int64_t)(rnd() % 1000);
		struct fw_flow *f = flow_at(at - (int64_t)(rnd() % 3) * 700, 100, 6, 0x18, (uint16_t)(40000 + i), 443,
		    5, 5 * 600);

		fw_test_v4u(&f->dst, nets[i % 4] + 10 + (uint32_t)i);
		fw_test_v4(&f->src, 100, 100, 0, 1);
		f->src.b[15] = (uint8_t)i;
	}
	for (int i = 0; i < 30; i++) {
		int kind = i % 3;
		struct fw_flow *f;

		if ((kind == 0 && (s < 60 || s >= 100)) || (kind == 1 && (s < 70 || s >= 110)) ||
		    (kind == 2 && (s < 80 || s >= 120)))
			continue;
		f = flow_at(t + i * 33, 10, kind == 1 ? 6 : 17, kind == 1 ? 0x02 : 0, (uint16_t)(1024 + s * 30 + i),
		    kind == 1 ? 80 : 9999, 300, 300 * (kind == 1 ? 60 : 500));
		fw_test_v4u(&f->dst, kind == 0 ? 0xc6336450 : kind == 1 ? 0xc0000221 : 0xcb007100);
		if (kind == 2)
			f->dst.b[15] = (uint8_t)(s * 7 + i);
		fw_test_v4(&f->src, 203, 0, 113, 250);
		f->src.b[13] = (uint8_t)s;
		f->src.b[14] = (uint8_t)i;
	}
}

/* A query from 192.0.2.<client> (fw_test_dnsq). */
static struct fw_dnsq *
query(int64_t t, const char *name, uint8_t client)
{
	struct fw_addr c;

	ck_assert_uint_lt(ndq, MAX_DQ);
	fw_test_v4(&c, 192, 0, 2, client);
	fw_test_dnsq(&dq[ndq], t, &c, name);
	return &dq[ndq++];
}

/* One second of DNS: benign names under a few zones; water torture on
 * victim.example (60-100 s, half answered NXDOMAIN) and a dns_flood on
 * flood.example (90-125 s: 20 clients re-asking two names). */
static void
gen_dns(int s)
{
	static const char *const vn[] = { "www", "mail", "ns1", "api" };
	int64_t t = T0 + (int64_t)s * 1000;
	char name[FW_QNAME_MAX + 1];

	for (int i = 0; i < 30; i++) {
		if (i % 3 == 0)
			snprintf(name, sizeof(name), "%s.victim.example", vn[rnd() % 4]);
		else if (i % 3 == 1)
			snprintf(name, sizeof(name), "www%u.example.com", rnd() % 20);
		else
			snprintf(name, sizeof(name), "%s.flood.example", vn[rnd() % 2]);
		query(t + (int64_t)(rnd() % 1000), name, (uint8_t)(1 + rnd() % 50));
	}
	for (int i = 0; s >= 60 && s < 100 && i < 300; i++) {
		int64_t tq = t + (int64_t)(rnd() % 1000);

		snprintf(name, sizeof(name), "q%08x%u.victim.example", rnd(), (unsigned)i);
		query(tq, name, (uint8_t)(rnd() % 200));
		if (i % 2) {
			struct fw_dnsq *q = query(tq + 2, name, (uint8_t)(rnd() % 200));

			q->flags = FW_DNSQ_F_RESPONSE;
			q->rcode = 3;
		}
	}
	for (int i = 0; s >= 90 && s < 125 && i < 300; i++)
		query(t + (int64_t)(rnd() % 1000), i % 2 ? "www.flood.example" : "mail.flood.example",
		    (uint8_t)(100 + rnd() % 20));
}

static void
add_batches(int kind, size_t from, size_t to, size_t per)
{
	for (size_t o = from; o < to; o += per) {
		ck_assert_uint_lt(nbt, MAX_BT);
		bt[nbt].kind = kind;
		bt[nbt].off = o;
		bt[nbt].n = to - o < per ? to - o : per;
		nbt++;
	}
}

static void
make_stream(int which, int secs)
{
	nfl = ndq = nbt = 0;
	rs = 12345;
	for (int s = 0; s < secs; s++) {
		size_t f0 = nfl, q0 = ndq;

		if (which != S_DNS)
			gen_flows(s);
		if (which != S_FLOWS)
			gen_dns(s);
		add_batches(B_FLOW, f0, nfl, 40);
		add_batches(B_DNS, q0, ndq, 200);
	}
}

static void
feed(struct fw_detect *d, size_t from, size_t to)
{
	for (size_t b = from; b < to; b++) {
		if (bt[b].kind == B_FLOW)
			fw_detect_flows(d, &fl[bt[b].off], bt[b].n);
		else
			fw_detect_dns(d, &dq[bt[b].off], bt[b].n);
	}
}

/* Shard `sh` of nsh: its own records, the others' times, in stream order. */
static void
feed_shard(struct fw_detect *d, const struct fw_detect_key *k, int sh, int nsh, size_t from, size_t to)
{
	static int64_t times[256];

	for (size_t b = from; b < to; b++) {
		size_t i = 0, m = bt[b].n, o = bt[b].off;
		int flows = bt[b].kind == B_FLOW;

		while (i < m) {
			size_t j = i;
			int n = 0;
			bool mine = fw_detect_key_shard(flows ? fw_detect_key_flow(k, &fl[o + i]) :
			    fw_detect_key_dns(k, &dq[o + i]), nsh) == sh;

			while (j < m && (fw_detect_key_shard(flows ? fw_detect_key_flow(k, &fl[o + j]) :
			    fw_detect_key_dns(k, &dq[o + j]), nsh) == sh) == mine) {
				times[n++] = flows ? fl[o + j].end_ms : dq[o + j].time_ms;
				j++;
			}
			if (mine && flows)
				fw_detect_flows(d, &fl[o + i], j - i);
			else if (mine)
				fw_detect_dns(d, &dq[o + i], j - i);
			else
				fw_detect_times(d, times, j - i, flows);
			i = j;
		}
	}
}

static void
base_cfg(struct fw_config *cfg)
{
	static const char *const sets[] = { "detector.warmup_windows=20", NULL };

	fw_test_config(cfg, sets);
}

/* The batch at which second s of the stream begins. */
static size_t
batch_at(int s)
{
	for (size_t b = 0; b < nbt; b++) {
		const struct batch *x = &bt[b];
		int64_t t = x->kind == B_FLOW ? fl[x->off].end_ms : dq[x->off].time_ms;

		if (t >= T0 + (int64_t)s * 1000 + 500)
			return b;
	}
	return nbt;
}

/*
 * Run A over the whole stream (marks[b]: events emitted before batch b);
 * for each split k, B over [0, k), saved; C fresh, restored, over [k, end):
 * C's events must be A's from marks[k] on.  With nsh > 0: shard `sh`.
 */
static void
check_splits(const struct fw_config *cfg, const int *secs, int nsecs, int nsh, int sh, int *mid_alert)
{
	static size_t marks[MAX_BT + 1];
	struct fw_detect *a = NULL, *b = NULL, *c = NULL;
	struct fw_detect_key *k = NULL;
	struct fw_test_sink *la = log_new(), *lb = log_new(), *lc = log_new();
	char err[200];

	if (nsh > 0)
		ck_assert_int_eq(fw_detect_key_new(cfg, &k), FW_OK);
	a = fw_test_detect_new(cfg, la);
	for (size_t i = 0; i < nbt; i++) {
		marks[i] = la->n;
		if (nsh > 0)
			feed_shard(a, k, sh, nsh, i, i + 1);
		else
			feed(a, i, i + 1);
	}
	marks[nbt] = la->n;
	fw_detect_finish(a);
	ck_assert_uint_gt(la->n, 0);
	ck_assert_uint_lt(la->n, 2000);
	for (int x = 0; x < nsecs; x++) {
		size_t split = batch_at(secs[x]);
		void *blob = NULL, *blob2 = NULL;
		size_t len = 0, len2 = 0;

		b = fw_test_detect_new(cfg, lb);
		if (nsh > 0)
			feed_shard(b, k, sh, nsh, 0, split);
		else
			feed(b, 0, split);
		ck_assert_uint_eq(lb->n, marks[split]);
		ck_assert_int_eq(fw_detect_save(b, &blob, &len), FW_OK);
		fw_detect_free(b);
		c = fw_test_detect_new(cfg, lc);
		err[0] = '\0';
		ck_assert_msg(fw_detect_restore(c, blob, len, err, sizeof(err)) == FW_OK, "%s", err);
		/* Nothing lost in the round trip: C saves the same bytes. */
		ck_assert_int_eq(fw_detect_save(c, &blob2, &len2), FW_OK);
		ck_assert_uint_eq(len2, len);
		ck_assert(memcmp(blob, blob2, len) == 0);
		if (nsh > 0)
			feed_shard(c, k, sh, nsh, split, nbt);
		else
			feed(c, split, nbt);
		fw_test_detect_end(c, NULL);
		ck_assert_uint_eq(lc->n, la->n - marks[split]);
		for (size_t i = 0; i < lc->n; i++)
			assert_same_event(lc, i, la, marks[split] + i);
		/* An alert open across the split: started before, goes on after. */
		for (size_t i = 0; i < lc->n && mid_alert != NULL; i++) {
			for (size_t j = 0; j < marks[split]; j++)
				if (strcmp(la->ev[j].id, lc->ev[i].id) == 0) {
					(*mid_alert)++;
					break;
				}
		}
		free(blob);
		free(blob2);
	}
	fw_detect_free(a);
	fw_detect_key_free(k);
	log_free(la);
	log_free(lb);
	log_free(lc);
}

/* Seconds to split at: warm-up (5, 15), attacks starting and running
 * (62, 75, 95, 112), calm again (140), and after the last record. */
static const int splits[] = { 5, 15, 62, 75, 95, 112, 140, DUR_S + 1 };
#define NSPLITS ((int)(sizeof(splits) / sizeof(splits[0])))

START_TEST(test_split_flows)
{
	struct fw_config cfg;
	int mid = 0;

	base_cfg(&cfg);
	make_stream(S_FLOWS, DUR_S);
	check_splits(&cfg, splits, NSPLITS, 0, 0, &mid);
	ck_assert_int_gt(mid, 3);
}
END_TEST

START_TEST(test_split_dns)
{
	struct fw_config cfg;
	int mid = 0;

	base_cfg(&cfg);
	make_stream(S_DNS, DUR_S);
	check_splits(&cfg, splits, NSPLITS, 0, 0, &mid);
	ck_assert_int_gt(mid, 3);
}
END_TEST

START_TEST(test_split_mixed)
{
	struct fw_config cfg;
	int mid = 0;

	base_cfg(&cfg);
	make_stream(S_MIX, DUR_S);
	check_splits(&cfg, splits, NSPLITS, 0, 0, &mid);
	ck_assert_int_gt(mid, 3);
}
END_TEST

START_TEST(test_split_shards)
{
	struct fw_config cfg, scfg;
	static const int few[] = { 15, 85, 112 };

	base_cfg(&cfg);
	make_stream(S_MIX, DUR_S);
	fw_detect_shard_config(&cfg, 3, &scfg);
	for (int sh = 0; sh < 3; sh++)
		check_splits(&scfg, few, 3, 3, sh, NULL);
}
END_TEST

/* ---- damaged blobs ---- */

static void
small_cfg(struct fw_config *cfg)
{
	static const char *const sets[] = { "detector.warmup_windows=20", "detector.max_victims=256",
		"detector.max_details=32", "dns.max_zones=64", "dns.detail_zones=8", "dns.distinct_cap=256", NULL };

	fw_test_config(cfg, sets);
}

/* A small blob of stream `which` cut at second `at`; with FW_STATE_SEEDS
 * set, also written there (the fuzz seeds, tests/fuzz/corpus/detect_state). */
static void *
blob_of(int which, int at, size_t *len, size_t *split)
{
	struct fw_config cfg;
	struct fw_detect *d;
	struct fw_test_sink *l = log_new();
	void *blob = NULL;
	const char *dir = getenv("FW_STATE_SEEDS");

	small_cfg(&cfg);
	make_stream(which, 90);
	*split = batch_at(at);
	d = fw_test_detect_new(&cfg, l);
	feed(d, 0, *split);
	ck_assert_int_eq(fw_detect_save(d, &blob, len), FW_OK);
	if (dir != NULL) {
		char path[512];
		FILE *f;

		snprintf(path, sizeof(path), "%s/stream%d-at%d", dir, which, at);
		ck_assert_ptr_nonnull(f = fopen(path, "wb"));
		ck_assert_uint_eq(fwrite(blob, 1, *len, f), *len);
		ck_assert_int_eq(fclose(f), 0);
	}
	fw_detect_free(d);
	log_free(l);
	return blob;
}

/* A small blob: mixed stream, 70 s in, alerts open. */
static void *
small_blob(size_t *len, size_t *split)
{
	return blob_of(S_MIX, 70, len, split);
}

static void
assert_fresh(const struct fw_detect *d)
{
	struct fw_detect_stats st;

	fw_detect_get_stats(d, &st);
	ck_assert_uint_eq(st.windows_closed, 0);
	ck_assert_uint_eq(st.victims, 0);
	ck_assert_uint_eq(st.flows + st.dnsq, 0);
	ck_assert(st.newest_event_ms == INT64_MIN);
}

static void
fix_sum(uint8_t *p, size_t len)
{
	uint64_t h = fw_hash_bytes(p + 16, len - 16, ST_SEED);

	memcpy(p + 8, &h, 8);
}

/* A refused blob leaves d as fw_detect_new built it: fed the whole stream
 * it gives what a fresh detector gives. */
static void
assert_as_fresh(struct fw_detect *d, struct fw_test_sink *l)
{
	struct fw_config cfg;
	struct fw_detect *f;
	struct fw_test_sink *lf = log_new();

	assert_fresh(d);
	small_cfg(&cfg);
	f = fw_test_detect_new(&cfg, lf);
	l->n = 0;
	feed(d, 0, nbt);
	feed(f, 0, nbt);
	fw_detect_finish(d);
	fw_test_detect_end(f, NULL);
	ck_assert_uint_gt(lf->n, 0);
	ck_assert_uint_eq(l->n, lf->n);
	for (size_t i = 0; i < l->n; i++)
		assert_same_event(l, i, lf, i);
	log_free(lf);
}

START_TEST(test_truncated)
{
	struct fw_config cfg;
	struct fw_detect *d = NULL;
	struct fw_test_sink *l = log_new();
	size_t len, split;
	uint8_t *blob = small_blob(&len, &split);
	char err[200];

	small_cfg(&cfg);
	d = fw_test_detect_new(&cfg, l);
	for (size_t n = 0; n < len; n++) {
		int rc;

		err[0] = '\0';
		rc = fw_detect_restore(d, blob, n, err, sizeof(err));
		ck_assert_msg(rc == FW_ETRUNC || rc == FW_EMALFORMED, "length %zu: %d", n, rc);
		ck_assert_msg(strncmp(err, "detector state: ", 16) == 0, "length %zu: '%s'", n, err);
	}
	assert_as_fresh(d, l);
	fw_detect_free(d);
	log_free(l);
	free(blob);
}
END_TEST

START_TEST(test_wrong_version_sizes_magic)
{
	struct fw_config cfg;
	struct fw_detect *d = NULL;
	struct fw_test_sink *l = log_new();
	size_t len, split;
	uint8_t *blob = small_blob(&len, &split);
	char err[200];
	uint32_t v = 2;

	small_cfg(&cfg);
	/* Other table sizes, another window: refused. */
	cfg.max_victims = 512;
	d = fw_test_detect_new(&cfg, l);
	ck_assert_int_eq(fw_detect_restore(d, blob, len, err, sizeof(err)), FW_EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "table sizes"));
	fw_detect_free(d);
	small_cfg(&cfg);
	cfg.window_ms = 2000;
	d = fw_test_detect_new(&cfg, l);
	ck_assert_int_eq(fw_detect_restore(d, blob, len, err, sizeof(err)), FW_EINVAL);
	fw_detect_free(d);
	small_cfg(&cfg);
	cfg.dns_distinct_cap = 512;
	d = fw_test_detect_new(&cfg, l);
	ck_assert_int_eq(fw_detect_restore(d, blob, len, err, sizeof(err)), FW_EINVAL);
	fw_detect_free(d);
	small_cfg(&cfg);
	d = fw_test_detect_new(&cfg, l);
	/* Another version (checksum made right): refused, named. */
	memcpy(blob + 4, &v, 4);
	ck_assert_int_eq(fw_detect_restore(d, blob, len, err, sizeof(err)), FW_EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "version 2"));
	v = 1;
	memcpy(blob + 4, &v, 4);
	blob[0] = 'X';
	ck_assert_int_eq(fw_detect_restore(d, blob, len, err, sizeof(err)), FW_EMALFORMED);
	blob[0] = 'F';
	/* Trailing bytes: refused. */
	{
		uint8_t *longer = malloc(len + 8);

		ck_assert_ptr_nonnull(longer);
		memcpy(longer, blob, len);
		memset(longer + len, 0, 8);
		ck_assert_int_ne(fw_detect_restore(d, longer, len + 8, err, sizeof(err)), FW_OK);
		free(longer);
	}
	assert_as_fresh(d, l);
	fw_detect_free(d);
	/* The untouched blob still restores. */
	d = fw_test_detect_new(&cfg, l);
	ck_assert_int_eq(fw_detect_restore(d, blob, len, err, sizeof(err)), FW_OK);
	fw_detect_free(d);
	log_free(l);
	free(blob);
}
END_TEST

/*
 * Bit flips: without a fixed checksum every one is refused; with the
 * checksum made right (as a hostile writer to the topic would) each is
 * refused with d left fresh, or accepted and the detector runs on without
 * a crash (ASan/UBSan build: no bad access or overflow either).
 */
START_TEST(test_bit_flips)
{
	struct fw_config cfg;
	struct fw_detect *d = NULL;
	struct fw_test_sink *l = log_new();
	size_t len, split, refused = 0, taken = 0;
	uint8_t *blob = small_blob(&len, &split), *p = malloc(len);
	char err[200];

	ck_assert_ptr_nonnull(p);
	small_cfg(&cfg);
	for (size_t i = 0; i < len; i += 1 + i / 64) {
		uint8_t bit = (uint8_t)(1u << (i % 8));
		int rc;

		memcpy(p, blob, len);
		p[i] ^= bit;
		l->n = 0;
		d = fw_test_detect_new(&cfg, l);
		if (i >= 16 && i % 7 == 0)
			ck_assert_int_ne(fw_detect_restore(d, p, len, err, sizeof(err)), FW_OK);
		if (i >= 16)
			fix_sum(p, len);
		err[0] = '\0';
		rc = fw_detect_restore(d, p, len, err, sizeof(err));
		if (rc != FW_OK) {
			ck_assert(rc == FW_EMALFORMED || rc == FW_ETRUNC || rc == FW_EINVAL);
			ck_assert_msg(strncmp(err, "detector state: ", 16) == 0, "flip at %zu: '%s'", i, err);
			assert_fresh(d);
			refused++;
		} else {
			feed(d, split, split + 6);
			fw_detect_finish(d);
			taken++;
		}
		fw_detect_free(d);
	}
	/* Both kinds happen: checks bite, and data fields are just data. */
	ck_assert_uint_gt(refused, 20);
	ck_assert_uint_gt(taken, 20);
	free(p);
	free(blob);
	log_free(l);
}
END_TEST

/* Blob sizes of the small tables (and the fuzz seeds, FW_STATE_SEEDS). */
START_TEST(test_small_blobs)
{
	static const int at[][2] = { { S_FLOWS, 10 }, { S_DNS, 95 }, { S_MIX, 70 }, { S_MIX, 89 } };
	struct fw_config cfg;
	struct fw_detect *d = NULL;
	struct fw_test_sink *l = log_new();
	char err[200];

	small_cfg(&cfg);
	for (size_t i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
		size_t len, split;
		void *blob = blob_of(at[i][0], at[i][1], &len, &split);

		ck_assert_uint_lt(len, 1 << 20);
		d = fw_test_detect_new(&cfg, l);
		ck_assert_int_eq(fw_detect_restore(d, blob, len, err, sizeof(err)), FW_OK);
		fw_detect_free(d);
		free(blob);
	}
	log_free(l);
}
END_TEST

Suite *
detect_state_suite(void)
{
	Suite *s = suite_create("detect_state");
	TCase *t = tcase_create("core");

	tcase_set_timeout(t, 300);
	tcase_add_test(t, test_split_flows);
	tcase_add_test(t, test_split_dns);
	tcase_add_test(t, test_split_mixed);
	tcase_add_test(t, test_split_shards);
	tcase_add_test(t, test_truncated);
	tcase_add_test(t, test_wrong_version_sizes_magic);
	tcase_add_test(t, test_bit_flips);
	tcase_add_test(t, test_small_blobs);
	suite_add_tcase(s, t);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(detect_state_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
