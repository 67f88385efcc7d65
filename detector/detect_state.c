/*
 * detect_state.c - checkpoints (fw_detect_save / fw_detect_restore): a
 * detector's whole state as one blob, so a partition's detector moves to
 * another cluster member and goes on exactly as it would have.
 *
 * Format (schema/detector_state.md): a fixed header (magic, version,
 * checksum, byte order, layout fingerprint, the table sizes it was built
 * with, six section lengths), then the sections: core (clock, counters,
 * seasonal profiles, free lists), victims, victim detail blocks, DNS core,
 * zones, zone detail blocks.  Only used entries are written, each with its
 * entry number and the window slots that hold a window; the DNS name sets
 * only their filled slots.  Entries are the detector's own structs, so a
 * blob restores only into a build of the same layout (the fingerprint says
 * so): every member of a group runs the same floodwatch.  Entry numbers and
 * free lists are kept as they were, so what the restored detector allocates
 * next, evicts next and links (DNS roll-ups) is what the saved one would
 * have; the hash indexes are rebuilt from the entries.
 *
 * Restore reads bytes from a Kafka topic: every length, entry number, link,
 * free list and enum is checked, and every time field bounded so no
 * arithmetic on it can overflow.  It builds a fresh detector beside d,
 * restores into it and swaps only on success: on any error d is untouched
 * (briefly twice the tables' address space; calloc'd pages stay unused).
 */
#include "fw_detect.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect_dns_int.h"
#include "detect_flow_int.h"
#include "fw_varint.h"

#define ST_MAGIC "FWDS"
#define ST_VERSION 1u
#define ST_BOM 0x01020304u
#define ST_SEED 0x6677c0de5eedULL
#define NSEC 6
#define SEC_AT ((size_t)80)        /* header: section lengths, then the body length */
#define RAW_AT (SEC_AT + 8 * (size_t)NSEC)
#define HDR_LEN (RAW_AT + 8)
#define ZRUN 4                     /* zero bytes worth ending a literal run */
#define T_LO (INT64_MIN / 2)       /* bounds of a stored time or window number */
#define T_HI (INT64_MAX / 4)

enum { S_CORE, S_VICTIMS, S_DETAILS, S_DNS, S_ZONES, S_ZDETAILS };

/* The layout the entries are written in: sizes and a few offsets. */
static uint32_t
layout(void)
{
	const uint64_t k[] = {
		sizeof(struct victim), sizeof(struct fwin), sizeof(struct detail), sizeof(struct zone),
		sizeof(struct zwin), sizeof(struct fw_topk), sizeof(struct det_season), sizeof(struct alert),
		sizeof(struct fw_detect_stats), sizeof(struct base), offsetof(struct victim, al),
		offsetof(struct victim, cr), offsetof(struct zone, al), offsetof(struct zone, name),
		offsetof(struct detail, snap0), NCLS, NCB, NRES, NCREDIT, LAG_NB, FW_TOPK_K, DHIST,
	};

	return (uint32_t)fw_hash_bytes(k, sizeof(k), ST_SEED);
}

/* ---- writing ---- */

/* A growing buffer; with a sink, the raw body: encoded into the sink
 * every FLUSH_AT bytes, so a full table never exists raw in memory. */
struct wbuf {
	uint8_t *p;
	size_t len, cap;
	int oom;
	struct wbuf *sink;
	uint64_t flushed;          /* raw bytes already encoded into sink */
};

#define FLUSH_AT 65536

static void encode(struct wbuf *out, const uint8_t *p, size_t n);

static void
flush(struct wbuf *b)
{
	encode(b->sink, b->p, b->len);
	b->flushed += b->len;
	b->len = 0;
}

static void
put(struct wbuf *b, const void *src, size_t n)
{
	if (b->oom)
		return;
	if (b->sink != NULL && b->len >= FLUSH_AT)
		flush(b);
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		uint8_t *p;

		while (cap < b->len + n)
			cap *= 2;
		if ((p = realloc(b->p, cap)) == NULL) {
			b->oom = 1;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, src, n);
	b->len += n;
}

static void
put64(struct wbuf *b, uint64_t x)
{
	put(b, &x, 8);
}

static void
put32(struct wbuf *b, uint32_t x)
{
	put(b, &x, 4);
}

/* Window slots holding a window: count, then (slot, image) each. */
static void
put_slots(struct wbuf *b, const void *slots, size_t size, int nslots)
{
	uint8_t n = 0;

	for (int i = 0; i < nslots; i++) {
		int64_t tag;

		memcpy(&tag, (const uint8_t *)slots + (size_t)i * size, sizeof(tag));
		n += tag != 0;
	}
	put(b, &n, 1);
	for (int i = 0; i < nslots; i++) {
		const uint8_t *s = (const uint8_t *)slots + (size_t)i * size;
		int64_t tag;
		uint8_t si = (uint8_t)i;

		memcpy(&tag, s, sizeof(tag));
		if (tag == 0)
			continue;
		put(b, &si, 1);
		put(b, s, size);
	}
}

static void
put_xset(struct wbuf *b, const struct fw_xset *x)
{
	put32(b, x->n);
	put64(b, x->overflow);
	put64(b, x->offered);
	for (uint32_t i = 0; x->n > 0 && i <= x->mask; i++) {
		if (x->slot[i] == 0)
			continue;
		put32(b, i);
		put64(b, x->slot[i]);
	}
}

static void
save_core(const struct fw_detect *d, struct wbuf *b)
{
	const struct det_clock *k = &d->core.clk;

	put64(b, k->seq);
	put(b, &k->max_event_ms, 8);
	put(b, &k->next_close, 8);
	put(b, &k->wall_ms, 8);
	put(b, &k->late_ms, 8);
	put(b, &k->learn_from_ms, 8);
	put(b, k->lagh, sizeof(k->lagh));
	put32(b, k->lag_n);
	put(b, &d->core.st, sizeof(d->core.st));
	put(b, &d->core.season_f, sizeof(d->core.season_f));
	put(b, &d->season_flow, sizeof(d->season_flow));
	put(b, &d->season_dns, sizeof(d->season_dns));
	put(b, d->snap_cidx, sizeof(d->snap_cidx));
	put64(b, d->vhand);
	put64(b, d->vhw);
	put64(b, d->nvfree);
	put(b, d->vfree, d->nvfree * sizeof(*d->vfree));
	put64(b, d->ndfree);
	put(b, d->dfree, d->ndfree * sizeof(*d->dfree));
}

static void
save_victims(const struct fw_detect *d, struct wbuf *b)
{
	int nslots = d->core.clk.nslots;

	put64(b, d->vused);
	for (size_t n = 0; n < d->vhw; n++) {
		struct victim v = d->v[n];

		if (!v.used)
			continue;
		/* A host's link to its aggregate is a cache, rebuilt after a
		 * restore (whose config may differ): not saved. */
		v.agg1 = 0;
		v.agg_plen = 0;
		put32(b, (uint32_t)n);
		put(b, &v, sizeof(v));
		put_slots(b, &d->w[n * (size_t)nslots], sizeof(*d->w), nslots);
	}
}

static void
save_details(const struct fw_detect *d, struct wbuf *b)
{
	uint64_t n = 0;

	for (size_t i = 0; i < d->vhw; i++)
		n += d->v[i].used && d->v[i].detail != NONE32;
	put64(b, n);
	for (size_t i = 0; i < d->vhw; i++) {
		if (!d->v[i].used || d->v[i].detail == NONE32)
			continue;
		put32(b, d->v[i].detail);
		put(b, &d->det[d->v[i].detail], sizeof(*d->det));
	}
}

static void
save_dns(const struct fw_dns_state *s, struct wbuf *b)
{
	put32(b, s->gen);
	put64(b, s->hand);
	put64(b, s->zhw);
	put64(b, s->nzfree);
	put(b, s->zfree, s->nzfree * sizeof(*s->zfree));
	put64(b, s->ndfree);
	put(b, s->dfree, s->ndfree * sizeof(*s->dfree));
}

static void
save_zones(const struct fw_dns_state *s, struct wbuf *b)
{
	put64(b, s->zused);
	for (size_t n = 0; n < s->zhw; n++) {
		if (!s->z[n].used)
			continue;
		put32(b, (uint32_t)n);
		put(b, &s->z[n], sizeof(s->z[n]));
		put_slots(b, &s->w[n * (size_t)s->nslots], sizeof(*s->w), s->nslots);
	}
}

static void
save_zdetails(const struct fw_dns_state *s, struct wbuf *b)
{
	uint64_t n = 0;

	for (size_t i = 0; i < s->ndet; i++)
		n += s->det[i].owner != NONE32;
	put64(b, n);
	for (size_t i = 0; i < s->ndet; i++) {
		const struct zdetail *x = &s->det[i];

		if (x->owner == NONE32)
			continue;
		put32(b, (uint32_t)i);
		put32(b, x->owner);
		put(b, &x->partial, 1);
		put(b, &x->clients, sizeof(x->clients));
		put(b, x->client_addr, sizeof(x->client_addr));
		put(b, &x->pclients, sizeof(x->pclients));
		put(b, x->paddr, sizeof(x->paddr));
		put_xset(b, &x->names);
		put_xset(b, &x->pairs);
	}
}

/* The header fields after the checksum that must match the detector. */
static void
put_keys(struct wbuf *b, const struct fw_detect *d)
{
	const struct fw_config *c = &d->core.cfg;

	put32(b, ST_BOM);
	put32(b, layout());
	put(b, &c->window_ms, 8);
	put32(b, (uint32_t)d->core.clk.nslots);
	put32(b, 0);
	put64(b, (uint64_t)c->max_victims);
	put64(b, (uint64_t)c->max_details);
	put64(b, (uint64_t)c->dns_max_zones);
	put64(b, (uint64_t)c->dns_detail_zones);
	put64(b, (uint64_t)c->dns_distinct_cap);
}

static void
put_varint(struct wbuf *b, uint64_t x)
{
	uint8_t v[10];

	put(b, v, fw_varint_put(v, x));
}

/*
 * The body as runs: (zero bytes, literal bytes, the literals), both
 * counts LEB128.  Entries are mostly zero (idle counters, empty sketches,
 * unused name bytes): a busy victim's 2-3 KiB become a few hundred bytes.
 */
static void
encode(struct wbuf *out, const uint8_t *p, size_t n)
{
	size_t i = 0;

	while (i < n) {
		size_t z = i, e;
		uint64_t w;

		while (z + 8 <= n && (memcpy(&w, p + z, 8), w == 0))
			z += 8;
		while (z < n && p[z] == 0)
			z++;
		for (e = z; e < n;) {
			size_t k = e;

			while (k < n && p[k] == 0 && k - e < ZRUN)
				k++;
			if (k == e)
				e++;
			else if (k - e >= ZRUN || k == n)
				break;
			else
				e = k;
		}
		put_varint(out, z - i);
		put_varint(out, e - z);
		put(out, p + z, e - z);
		i = e;
	}
}

int
fw_detect_save(const struct fw_detect *d, void **buf, size_t *len)
{
	struct wbuf b = { 0 }, body = { 0 };
	uint64_t sec[NSEC], h;

	put(&b, ST_MAGIC, 4);
	put32(&b, ST_VERSION);
	put64(&b, 0);  /* checksum, below */
	put_keys(&b, d);
	put(&b, (uint64_t[NSEC + 1]){ 0 }, sizeof(uint64_t[NSEC + 1]));  /* section and body lengths, below */
	body.sink = &b;
	for (int i = 0; i < NSEC; i++) {
		uint64_t from = body.flushed + body.len;

		switch (i) {
		case S_CORE: save_core(d, &body); break;
		case S_VICTIMS: save_victims(d, &body); break;
		case S_DETAILS: save_details(d, &body); break;
		case S_DNS: save_dns(d->dns, &body); break;
		case S_ZONES: save_zones(d->dns, &body); break;
		default: save_zdetails(d->dns, &body); break;
		}
		sec[i] = body.flushed + body.len - from;
	}
	flush(&body);
	free(body.p);
	if (b.oom || body.oom) {
		free(b.p);
		return FW_ENOMEM;
	}
	memcpy(b.p + SEC_AT, sec, sizeof(sec));
	memcpy(b.p + RAW_AT, &body.flushed, 8);
	h = fw_hash_bytes(b.p + 16, b.len - 16, ST_SEED);
	memcpy(b.p + 8, &h, 8);
	*buf = b.p;
	*len = b.len;
	return FW_OK;
}

/* ---- reading ---- */

/* The encoded body, decoded as it is read (never whole in memory). */
struct dec {
	const uint8_t *p;
	size_t n, i;
	uint64_t z, l;             /* zeros, literals left of the current run */
};

struct rbuf {
	struct dec *dc;
	size_t len, off;           /* the section's raw length, read so far */
	char *err;
	size_t errlen;
	const char *sec;           /* section being read, for messages */
};


static bool
dec_read(struct dec *dc, uint8_t *dst, size_t n)
{
	while (n > 0) {
		size_t k;

		if (dc->z == 0 && dc->l == 0) {
			if (!fw_varint_get(dc->p, dc->n, &dc->i, &dc->z) || !fw_varint_get(dc->p, dc->n, &dc->i, &dc->l) ||
			    dc->l > dc->n - dc->i)
				return false;
			continue;
		}
		if (dc->z > 0) {
			k = dc->z < n ? (size_t)dc->z : n;
			memset(dst, 0, k);
			dc->z -= k;
		} else {
			k = dc->l < n ? (size_t)dc->l : n;
			memcpy(dst, dc->p + dc->i, k);
			dc->i += k;
			dc->l -= k;
		}
		dst += k;
		n -= k;
	}
	return true;
}

static bool
get(struct rbuf *r, void *dst, size_t n)
{
	if (n > r->len - r->off || !dec_read(r->dc, dst, n))
		return false;
	r->off += n;
	return true;
}

static int
bad(struct rbuf *r, const char *what)
{
	snprintf(r->err, r->errlen, "detector state: %s: %s", r->sec, what);
	return FW_EMALFORMED;
}

#define GET(r, x) do { if (!get((r), &(x), sizeof(x))) return bad((r), "section ends early"); } while (0)
#define CHECK(r, cond, what) do { if (!(cond)) return bad((r), (what)); } while (0)

static bool
t_ok(int64_t t)
{
	return t >= T_LO && t <= T_HI;
}

/* A time that may also be "none yet" (INT64_MIN). */
static bool
t_or_none(int64_t t)
{
	return t == INT64_MIN || t_ok(t);
}

static bool
alert_ok(const struct alert *a)
{
	return a->vector < FW_VEC_COUNT && a->end_reason <= FW_END_RESTART &&
	    memchr(a->id, '\0', sizeof(a->id)) != NULL && t_ok(a->first_hot_ms) && t_ok(a->started_ms) &&
	    t_ok(a->last_hot_ms) && t_ok(a->last_hot_widx) && t_ok(a->quiet_widx) && t_ok(a->ended_widx);
}

static bool
topk_ok(const struct fw_topk *t)
{
	return t->k <= FW_TOPK_K && t->n <= t->k;
}

static bool
season_ok(const struct det_season *s)
{
	return t_or_none(s->cur_hour) && t_or_none(s->first_hour);
}

/* A free list of n entry numbers below hw, none used (used[e] = 1 after). */
static int
get_free(struct rbuf *r, uint32_t *list, size_t *n, size_t max, size_t hw, uint8_t *used)
{
	uint64_t cnt;

	GET(r, cnt);
	CHECK(r, cnt <= max && cnt <= hw, "free list longer than the table");
	if (!get(r, list, (size_t)cnt * sizeof(*list)))
		return bad(r, "section ends early");
	for (size_t i = 0; i < cnt; i++) {
		CHECK(r, list[i] < hw && !used[list[i]], "free list names a used or unknown entry");
		used[list[i]] = 1;
	}
	*n = (size_t)cnt;
	return FW_OK;
}

/* Window slots of one entry (see put_slots); each must hold a window. */
static int
get_slots(struct rbuf *r, void *slots, size_t size, int nslots)
{
	uint8_t n, si;
	int64_t tag;

	GET(r, n);
	CHECK(r, n <= nslots, "more window slots than the ring");
	for (int i = 0; i < n; i++) {
		uint8_t *s;

		GET(r, si);
		CHECK(r, si < nslots, "window slot out of the ring");
		s = (uint8_t *)slots + (size_t)si * size;
		if (!get(r, s, size))
			return bad(r, "section ends early");
		memcpy(&tag, s, sizeof(tag));
		CHECK(r, tag > 0 && tag <= T_HI, "window slot without a window");
	}
	return FW_OK;
}

static int
load_core(struct fw_detect *t, struct rbuf *r, uint8_t *vmark, uint8_t *dmark)
{
	struct det_clock *k = &t->core.clk;
	struct fw_detect_stats st;
	uint64_t vhand, vhw;
	int64_t W = t->core.cfg.window_ms;
	int rc;

	r->sec = "core";
	GET(r, k->seq);
	GET(r, k->max_event_ms);
	GET(r, k->next_close);
	GET(r, k->wall_ms);
	GET(r, k->late_ms);
	GET(r, k->learn_from_ms);
	GET(r, k->lagh);
	GET(r, k->lag_n);
	CHECK(r, (k->max_event_ms == INT64_MIN) == (k->next_close == INT64_MIN), "clock half set");
	CHECK(r, k->max_event_ms == INT64_MIN || (k->max_event_ms >= 0 && k->max_event_ms <= T_HI), "newest time out of range");
	/* The next window to close stays near the newest (finish closes a
	 * few beyond it): bounded, so the close loop's arithmetic is too. */
	CHECK(r, k->next_close == INT64_MIN ||
	    (k->next_close >= k->max_event_ms / W - 2 * (int64_t)LAG_NB &&
	    k->next_close <= k->max_event_ms / W + (1 << 30)), "next window far from the clock");
	CHECK(r, k->wall_ms >= 0 && k->wall_ms <= T_HI && t_ok(k->learn_from_ms), "clock time out of range");
	CHECK(r, k->late_ms >= t->core.cfg.lateness_ms && k->late_ms <= k->late_max_ms, "lateness out of its bounds");
	GET(r, st);
	st.memory_bytes = t->core.st.memory_bytes;
	t->core.st = st;
	GET(r, t->core.season_f);
	GET(r, t->season_flow);
	GET(r, t->season_dns);
	CHECK(r, season_ok(&t->season_flow) && season_ok(&t->season_dns), "seasonal hour out of range");
	GET(r, t->snap_cidx);
	for (int i = 0; i < NRES; i++)
		CHECK(r, t_or_none(t->snap_cidx[i]), "snapshot window out of range");
	GET(r, vhand);
	GET(r, vhw);
	CHECK(r, vhw <= t->max_victims && (vhand < vhw || vhand == 0), "victim high-water mark over the table");
	t->vhand = (size_t)vhand;
	t->vhw = (size_t)vhw;
	if ((rc = get_free(r, t->vfree, &t->nvfree, t->max_victims, t->vhw, vmark)) != FW_OK)
		return rc;
	return get_free(r, t->dfree, &t->ndfree, (size_t)t->core.cfg.max_details,
	    (size_t)t->core.cfg.max_details, dmark);
}

static const char *
victim_bad(const struct fw_detect *t, const struct victim *v)
{
	if (v->used != 1 || (v->kind != VK_HOST && v->kind != VK_AGG) || v->plen > 128)
		return "victim kind or prefix length";
	if (v->hash != victim_hash(&v->addr, v->plen))
		return "victim hash does not match its address";
	if (v->detail != NONE32 && v->detail >= (uint32_t)t->core.cfg.max_details)
		return "victim detail block out of the pool";
	if (v->ncr > NCREDIT || v->trig_res >= NRES || v->trig_cls > NCB)
		return "victim credit or trigger index";
	for (int i = 0; i < v->ncr; i++)
		if (v->cr_cls[i] >= NCLS || v->cr_amp[i] < -1 || v->cr_amp[i] >= AMP_N || !t_ok(v->cr[i].end_ms))
			return "victim credit";
	if (!alert_ok(&v->al) || !t_ok(v->sleep_widx))
		return "victim alert or window out of range";
	return NULL;
}

static int
load_victims(struct fw_detect *t, struct rbuf *r, uint8_t *vmark)
{
	int nslots = t->core.clk.nslots, rc;
	uint64_t cnt;

	r->sec = "victims";
	GET(r, cnt);
	CHECK(r, cnt + t->nvfree == t->vhw, "victims and free entries do not fill the high-water mark");
	for (uint64_t i = 0; i < cnt; i++) {
		uint32_t n;
		struct victim *v;
		const char *why;

		GET(r, n);
		CHECK(r, n < t->vhw && !vmark[n], "victim number used twice or over the mark");
		vmark[n] = 1;
		v = &t->v[n];
		GET(r, *v);
		v->agg1 = 0;  /* never saved (save_victims); an index out of the table if set */
		if ((why = victim_bad(t, v)) != NULL)
			return bad(r, why);
		CHECK(r, victim_find(t, &v->addr, v->plen, v->hash) == NULL, "victim saved twice");
		if ((rc = get_slots(r, &t->w[(size_t)n * (size_t)nslots], sizeof(*t->w), nslots)) != FW_OK)
			return rc;
		fw_hashtab_insert(&t->vidx, ix_hash(v->hash), n);
		t->vused++;
		t->credited += v->ncr > 0;
	}
	return FW_OK;
}

static int
load_details(struct fw_detect *t, struct rbuf *r, uint8_t *dmark)
{
	uint64_t cnt, want = 0;

	r->sec = "victim details";
	GET(r, cnt);
	for (size_t i = 0; i < t->vhw; i++)
		want += t->v[i].used && t->v[i].detail != NONE32;
	CHECK(r, cnt == want && cnt + t->ndfree == (uint64_t)t->core.cfg.max_details,
	    "detail blocks do not match the victims and the free list");
	for (uint64_t i = 0; i < cnt; i++) {
		uint32_t n;
		struct detail *x;

		GET(r, n);
		CHECK(r, n < (uint32_t)t->core.cfg.max_details && !dmark[n], "detail block used twice or out of the pool");
		dmark[n] = 1;
		x = &t->det[n];
		GET(r, *x);
		CHECK(r, x->owner < t->vhw && t->v[x->owner].used && t->v[x->owner].detail == n,
		    "detail block's owner does not hold it");
		CHECK(r, topk_ok(&x->src) && topk_ok(&x->sport) && topk_ok(&x->dport) && topk_ok(&x->dst),
		    "heavy-hitter count over its capacity");
		CHECK(r, x->snap0.n <= FW_TOPK_K && t_or_none(x->snap0.cidx), "source snapshot");
		for (int a = 0; a < NRES - 1; a++)
			for (int c = 0; c < 2; c++)
				CHECK(r, x->snapc[a][c].n <= FW_TOPK_K && t_or_none(x->snapc[a][c].cidx), "source snapshot");
	}
	return FW_OK;
}

static int
load_dns(struct fw_dns_state *s, struct rbuf *r, uint8_t *zmark, uint8_t *zdmark)
{
	uint64_t hand, zhw;
	int rc;

	r->sec = "dns";
	GET(r, s->gen);
	GET(r, hand);
	GET(r, zhw);
	CHECK(r, zhw <= s->max && (hand < zhw || hand == 0), "zone high-water mark over the table");
	s->hand = (size_t)hand;
	s->zhw = (size_t)zhw;
	if ((rc = get_free(r, s->zfree, &s->nzfree, s->max, s->zhw, zmark)) != FW_OK)
		return rc;
	return get_free(r, s->dfree, &s->ndfree, s->ndet, s->ndet, zdmark);
}

static const char *
zone_bad(const struct fw_dns_state *s, const struct zone *z)
{
	if (z->used != 1 || z->name[z->len] != '\0' || strlen(z->name) != z->len)
		return "zone name";
	if (z->hash != fw_hash_bytes(z->name, z->len, NAME_SEED))
		return "zone hash does not match its name";
	if (z->detail != NONE32 && z->detail >= s->ndet)
		return "zone detail block out of the pool";
	if (z->nroll > 2 || z->hpos >= DHIST || z->hn > DHIST || z->nsample >= 2 * NSAMPLE || z->trig > 2)
		return "zone roll-up, history or sample count";
	for (int i = 0; i < z->nroll; i++)
		if (z->roll_off[i] >= z->len || (z->roll[i] != NONE32 && z->roll[i] >= s->max))
			return "zone roll-up link";
	for (int i = 0; i < NSAMPLE; i++)
		if (memchr(z->sample[i], '\0', SAMPLE_LEN) == NULL)
			return "zone sample name";
	if (!alert_ok(&z->al))
		return "zone alert out of range";
	return NULL;
}

static int
load_zones(struct fw_dns_state *s, struct rbuf *r, uint8_t *zmark)
{
	uint64_t cnt;
	int rc;

	r->sec = "zones";
	GET(r, cnt);
	CHECK(r, cnt + s->nzfree == s->zhw, "zones and free entries do not fill the high-water mark");
	for (uint64_t i = 0; i < cnt; i++) {
		uint32_t n;
		struct zone *z;
		const char *why;
		struct fw_hashtab_probe p;
		uint32_t e;

		GET(r, n);
		CHECK(r, n < s->zhw && !zmark[n], "zone number used twice or over the mark");
		zmark[n] = 1;
		z = &s->z[n];
		GET(r, *z);
		if ((why = zone_bad(s, z)) != NULL)
			return bad(r, why);
		fw_hashtab_probe_start(&s->zidx, ix_hash(z->hash), &p);
		while ((e = fw_hashtab_probe_next(&s->zidx, &p)) != FW_HASHTAB_NONE)
			CHECK(r, s->z[e].len != z->len || memcmp(s->z[e].name, z->name, z->len) != 0, "zone saved twice");
		if ((rc = get_slots(r, &s->w[(size_t)n * (size_t)s->nslots], sizeof(*s->w), s->nslots)) != FW_OK)
			return rc;
		fw_hashtab_insert(&s->zidx, ix_hash(z->hash), n);
		s->zused++;
	}
	return FW_OK;
}

static int
get_xset(struct rbuf *r, struct fw_xset *x)
{
	uint32_t n;

	GET(r, n);
	CHECK(r, n <= x->cap, "name set over its capacity");
	GET(r, x->overflow);
	GET(r, x->offered);
	for (uint32_t i = 0; i < n; i++) {
		uint32_t at;
		uint64_t v;

		GET(r, at);
		GET(r, v);
		CHECK(r, at <= x->mask && v != 0 && x->slot[at] == 0, "name set slot");
		x->slot[at] = v;
		x->n++;
	}
	return FW_OK;
}

static int
load_zdetails(struct fw_dns_state *s, struct rbuf *r, uint8_t *zdmark)
{
	uint64_t cnt, want = 0;
	int rc;

	r->sec = "zone details";
	GET(r, cnt);
	for (size_t i = 0; i < s->zhw; i++)
		want += s->z[i].used && s->z[i].detail != NONE32;
	CHECK(r, cnt == want && cnt + s->ndfree == s->ndet, "detail blocks do not match the zones and the free list");
	for (uint64_t i = 0; i < cnt; i++) {
		uint32_t n;
		struct zdetail *x;

		GET(r, n);
		CHECK(r, n < s->ndet && !zdmark[n], "detail block used twice or out of the pool");
		zdmark[n] = 1;
		x = &s->det[n];
		GET(r, x->owner);
		CHECK(r, x->owner < s->zhw && s->z[x->owner].used && s->z[x->owner].detail == n,
		    "detail block's owner does not hold it");
		GET(r, x->partial);
		GET(r, x->clients);
		GET(r, x->client_addr);
		GET(r, x->pclients);
		GET(r, x->paddr);
		CHECK(r, topk_ok(&x->clients) && topk_ok(&x->pclients), "heavy-hitter count over its capacity");
		if ((rc = get_xset(r, &x->names)) != FW_OK || (rc = get_xset(r, &x->pairs)) != FW_OK)
			return rc;
	}
	return FW_OK;
}

/* Header: FW_OK with the section lengths and the body length, or why not. */
static int
check_header(const struct fw_detect *d, const uint8_t *p, size_t len, uint64_t *sec, uint64_t *raw,
    char *err, size_t errlen)
{
	struct wbuf keys = { 0 };
	uint32_t ver;
	uint64_t sum, total = 0, max;
	int same;

	if (len < HDR_LEN) {
		snprintf(err, errlen, "detector state: %zu bytes, shorter than its header", len);
		return FW_ETRUNC;
	}
	if (memcmp(p, ST_MAGIC, 4) != 0) {
		snprintf(err, errlen, "detector state: no FWDS magic");
		return FW_EMALFORMED;
	}
	memcpy(&ver, p + 4, 4);
	if (ver != ST_VERSION) {
		snprintf(err, errlen, "detector state: version %u, this build reads %u", ver, ST_VERSION);
		return FW_EINVAL;
	}
	memcpy(&sum, p + 8, 8);
	if (sum != fw_hash_bytes(p + 16, len - 16, ST_SEED)) {
		snprintf(err, errlen, "detector state: checksum mismatch (%zu bytes: cut short or damaged)", len);
		return FW_EMALFORMED;
	}
	put_keys(&keys, d);
	if (keys.oom)
		return FW_ENOMEM;
	same = keys.len == SEC_AT - 16 && memcmp(keys.p, p + 16, keys.len) == 0;
	free(keys.p);
	if (!same) {
		snprintf(err, errlen, "detector state: built for other table sizes, window or build layout");
		return FW_EINVAL;
	}
	memcpy(sec, p + SEC_AT, RAW_AT - SEC_AT);
	memcpy(raw, p + RAW_AT, 8);
	/* No state of these tables is larger than twice their memory. */
	max = 2 * (uint64_t)d->core.st.memory_bytes + (1u << 20);
	for (int i = 0; i < NSEC; i++) {
		if (sec[i] > max) {
			snprintf(err, errlen, "detector state: section %d claims %llu bytes", i, (unsigned long long)sec[i]);
			return FW_EMALFORMED;
		}
		total += sec[i];
	}
	if (total != *raw || *raw > max) {
		snprintf(err, errlen, "detector state: sections hold %llu bytes, the body %llu",
		    (unsigned long long)total, (unsigned long long)*raw);
		return FW_EMALFORMED;
	}
	return FW_OK;
}

static int
restore_into(struct fw_detect *t, struct dec *dc, const uint64_t *sec, char *err, size_t errlen)
{
	struct fw_dns_state *s = t->dns;
	size_t nd = (size_t)t->core.cfg.max_details;
	uint8_t *mark = calloc(t->max_victims + nd + s->max + s->ndet, 1), *vmark, *dmark, *zmark, *zdmark;
	int rc = FW_OK;

	if (mark == NULL)
		return FW_ENOMEM;
	vmark = mark;
	dmark = vmark + t->max_victims;
	zmark = dmark + nd;
	zdmark = zmark + s->max;
	for (int i = 0; i < NSEC && rc == FW_OK; i++) {
		struct rbuf r = { dc, (size_t)sec[i], 0, err, errlen, "" };

		switch (i) {
		case S_CORE: rc = load_core(t, &r, vmark, dmark); break;
		case S_VICTIMS: rc = load_victims(t, &r, vmark); break;
		case S_DETAILS: rc = load_details(t, &r, dmark); break;
		case S_DNS: rc = load_dns(s, &r, zmark, zdmark); break;
		case S_ZONES: rc = load_zones(s, &r, zmark); break;
		default: rc = load_zdetails(s, &r, zdmark); break;
		}
		if (rc == FW_OK && r.off != r.len)
			rc = bad(&r, "bytes left over");
	}
	if (rc == FW_OK && (dc->i != dc->n || dc->z != 0 || dc->l != 0)) {
		snprintf(err, errlen, "detector state: bytes after the body");
		rc = FW_EMALFORMED;
	}
	free(mark);
	return rc;
}

/* Swap d's whole state with t's (the tables are behind pointers). */
static void
swap_state(struct fw_detect *d, struct fw_detect *t)
{
	struct fw_detect tmp = *d;

	*d = *t;
	*t = tmp;
	d->core.clk.hk.owner = d;
	t->core.clk.hk.owner = t;
}

int
fw_detect_reset(struct fw_detect *d)
{
	struct fw_detect *t = NULL;
	int rc;

	if ((rc = fw_detect_new(&d->core.cfg, d->core.emit, d->core.ctx, &t)) != FW_OK)
		return rc;
	swap_state(d, t);
	fw_detect_free(t);
	return FW_OK;
}

int
fw_detect_restore(struct fw_detect *d, const void *buf, size_t len, char *err, size_t errlen)
{
	struct fw_detect *t = NULL;
	uint64_t sec[NSEC], raw;
	struct dec dc = { 0 };
	int rc;

	if ((rc = check_header(d, buf, len, sec, &raw, err, errlen)) != FW_OK)
		return rc;
	dc.p = (const uint8_t *)buf + HDR_LEN;
	dc.n = len - HDR_LEN;
	if ((rc = fw_detect_new(&d->core.cfg, d->core.emit, d->core.ctx, &t)) != FW_OK) {
		snprintf(err, errlen, "detector state: %s", fw_strerror(rc));
		return rc;
	}
	if ((rc = restore_into(t, &dc, sec, err, errlen)) != FW_OK) {
		if (rc == FW_ENOMEM)
			snprintf(err, errlen, "detector state: %s", fw_strerror(rc));
		fw_detect_free(t);
		return rc;
	}
	/* Swap: d takes the restored tables, t the fresh ones (freed). */
	swap_state(d, t);
	fw_detect_free(t);
	return FW_OK;
}
