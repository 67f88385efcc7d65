/*
 * detect_flow.c - flow records in: each record lands in its host victim and
 * in the aggregate (prefix) it feeds, in the windows its span says.  With
 * no detector.networks, reply traffic to a client (rec_info) feeds the
 * prefix only: the hundreds of clients behind a /24 downloading do not
 * each become a victim, while a carpet bomb still shows on the prefix.
 *
 * Per record: a memoised window number (no division), one hash probe for
 * the host whose cache misses a prefetch pipeline overlaps (the aggregate
 * by the host's checked link, agg_linked; a prefix match and a second
 * probe only for a new host), fixed-size slot updates, and, for victims
 * with traffic worth describing, sampled updates of a detail block
 * (entropy histograms, space-saving heavy hitters).  Nothing allocates;
 * the work is O(1) per record (plus the detector.networks match, at most
 * MAX_NETS prefixes, for a host without a link).
 */
#include "detect_flow_int.h"

#define BIG_REC 64                 /* packets of a record always in the sketches */

/* Inlined (as victim_take): a call per record and victim cost half its work. */
static inline __attribute__((always_inline)) void
win_add(struct fwin *w, const struct rec_info *ri, uint64_t pkts, uint64_t bytes)
{
	w->srcmap |= UINT64_C(1) << (ri->fh[F_SRC] >> 58);
	w->pkts += pkts;
	w->bytes += bytes;
	w->cls[ri->cls] += (uint32_t)pkts;
	if (ri->big)
		w->amp_big[ri->amp] += (uint32_t)pkts;
}

/* Add one record to one victim; returns the slot of the window it arrived in.
 * Inlined into its two calls: the call's register saves were 20
 * instructions per record and victim. */
static inline __attribute__((always_inline)) struct fwin *
victim_take(struct fw_detect *d, struct victim *v, const struct fw_flow *f,
    struct rec_info *ri, const struct span *sp, int64_t we)
{
	struct fwin *w;

	v->last_seq = d->core.clk.seq;
	if (sp->mode == SP_POINT) {
		w = open_slot(d, v, sp->ws);
		win_add(w, ri, f->pkts, f->bytes);
	} else if (sp->mode == SP_CREDIT) {
		credit_add(d, v, d->core.clk.next_close * d->core.cfg.window_ms, sp->t1, (double)f->pkts,
		    (double)f->bytes, (uint8_t)ri->cls, (int8_t)(ri->big ? ri->amp : -1));
		w = open_slot(d, v, we);
	} else {
		/* Spread over [ws, we] by time overlap; cumulative rounding keeps
		 * the sums exact. */
		int64_t W = d->core.cfg.window_ms, t0 = sp->t0, t1 = sp->t1;
		double span = (double)(t1 - t0);
		uint64_t done_p = 0, done_b = 0;

		for (int64_t k = sp->ws; k <= sp->we; k++) {
			int64_t upto = k == sp->we ? t1 : (k + 1) * W;
			double frac = (double)(upto - t0) / span;
			uint64_t cp = k == sp->we ? f->pkts : (uint64_t)((double)f->pkts * frac);
			uint64_t cb = k == sp->we ? f->bytes : (uint64_t)((double)f->bytes * frac);

			if (cp < done_p)
				cp = done_p;
			if (cb < done_b)
				cb = done_b;
			win_add(open_slot(d, v, k), ri, cp - done_p, cb - done_b);
			done_p = cp;
			done_b = cb;
		}
		w = open_slot(d, v, we);
	}
	w->flows++;
	w->srcmap |= UINT64_C(1) << (ri->fh[F_SRC] >> 58);
	if (f->sampling > w->max_sampling)
		w->max_sampling = f->sampling;
	/* A record spread over windows or paid as a credit may fill none to
	 * the level: its own packets earn the block, so its source is known. */
	if (v->detail == NONE32 && (w->pkts >= d->attach_pkts || (sp->mode != SP_POINT && f->pkts >= d->attach_pkts)))
		detail_attach(d, v);
	/*
	 * Sketch sampling, deterministic by record number; heavy-hitter weights
	 * are scaled so shares stay unbiased:
	 *  - a calm victim (under half its threshold): the first 8 records of
	 *    a window, then 1 in 16 (busy servers must not cost a sketch
	 *    update per record);
	 *  - a watched one: every record until its heavy hitters saw 4096
	 *    packets, then 1 in 8 (a spoofed flood costs 1/8);
	 *  - records of BIG_REC packets or more: always.
	 */
	if (v->detail != NONE32) {
		struct detail *x = &d->det[v->detail];
		uint64_t wt = f->pkts, m = 0;

		if (!v->watch)
			m = w->flows > 8 ? 15 : 0;
		else if (x->src.total >= 4096)
			m = 7;
		/* Records of many packets (long flows, heavily sampled ones) are
		 * few: each is kept, or one flow would look like none. */
		if (f->pkts < BIG_REC) {
			if ((d->core.clk.seq & m) != 0)
				return w;
			wt *= m + 1;
		}
		rec_hashes(f, ri);
		/* Destination spread only means something for a prefix. */
		for (int i = 0; i < (v->kind == VK_AGG ? NFEAT : F_DST); i++)
			fw_ent16_add(&x->ent[i], ri->fh[i], ri->wt);
		x->src_addr[fw_topk_add(&x->src, ri->fh[F_SRC], wt)] = f->src;
		if (f->proto == 6 || f->proto == 17) {
			(void)fw_topk_add(&x->sport, f->sport, wt);
			(void)fw_topk_add(&x->dport, f->dport, wt);
		}
		if (v->kind == VK_AGG)
			x->dst_addr[fw_topk_add(&x->dst, ri->fh[F_DST], wt)] = f->dst;
	}
	return w;
}

/* victim_get, awake: an asleep victim's closed windows scored first (a
 * fresh victim if the idle sweep would have removed it by now). */
static struct victim *
victim_get_awake(struct fw_detect *d, const struct fw_addr *a, uint8_t plen, uint8_t kind, uint64_t h)
{
	struct victim *v = victim_get(d, a, plen, kind, h);

	if (v != NULL && v->asleep && !victim_wake(d, v, d->core.clk.next_close))
		v = victim_get(d, a, plen, kind, h);
	return v;
}

/*
 * The aggregate host v fed last, if the link still names it: in use, awake,
 * the same prefix length, and v's address under that prefix.  Under one
 * config an address has one aggregate, so that is it (links are cleared
 * when a reload or a restore may change the config).  Saves the prefix
 * match, a hash and a probe per record.
 */
static struct victim *
agg_linked(struct fw_detect *d, const struct victim *v)
{
	struct victim *a;
	struct fw_addr m;

	if (v->agg1 == 0)
		return NULL;
	a = &d->v[v->agg1 - 1];
	if (!a->used || a->asleep || a->plen != v->agg_plen)
		return NULL;
	m = v->addr;
	fw_prefix_mask(&m, a->plen);
	return memcmp(m.b, a->addr.b, 16) == 0 ? a : NULL;
}

/* The host victim of f: the entry the pipeline peeked at if it is that
 * host (victims are unique by address), else a probe. */
static inline struct victim *
host_find(struct fw_detect *d, const struct fw_flow *f, uint64_t h, uint32_t hint)
{
	if (hint != FW_HASHTAB_NONE) {
		struct victim *v = &d->v[hint];

		if (v->used && v->hash == h && v->plen == 128 && memcmp(v->addr.b, f->dst.b, 16) == 0)
			return v;
	}
	return victim_find(d, &f->dst, 128, h);
}

/* Take one record; host_hash is victim_hash(&f->dst, 128), computed
 * ahead, hint the index entry peeked at for it (FW_HASHTAB_NONE: none). */
static void
take_flow(struct fw_detect *d, const struct fw_flow *f, uint64_t host_hash, uint32_t hint)
{
	struct rec_info ri;
	struct fw_addr agg;
	const struct net *net = NULL;
	int agg_plen = 0;
	int64_t we;
	struct victim *hv, *v, *a;
	struct fwin *hw, *aw;
	struct span sp;
	bool linked;

	if ((we = det_clock_take(&d->core, f->end_ms)) == INT64_MIN)
		return;
	det_learn_lag(&d->core, f->end_ms);
	span_of(d, f, we, &sp);
	/* A host linked to an aggregate is watched: no prefix match yet. */
	hv = host_find(d, f, host_hash, hint);
	linked = hv != NULL && hv->agg1 != 0;
	if (!linked && (agg_plen = agg_prefix(d, &f->dst, &net, &agg)) < 0) {
		d->core.st.unwatched++;
		return;
	}
	rec_info(f, &ri);
	d->season_flow.pending += f->pkts;
	if (d->nnets == 0 && ri.reply) {
		/* Reply traffic to a client (default mode): its prefix takes it,
		 * a host only while that host is a victim already (alerting or
		 * in a hot run), never a new or calm one. */
		v = hv != NULL && alert_busy(&hv->al) ? hv : NULL;  /* (never asleep) */
		if (v == NULL)
			d->core.st.client_replies++;
		hw = v != NULL ? victim_take(d, v, f, &ri, &sp, we) : NULL;
	} else {
		/* victim_get, awake: an asleep host's closed windows scored
		 * first (a fresh host if the idle sweep would have removed it). */
		v = hv != NULL ? hv : victim_get(d, &f->dst, 128, VK_HOST, host_hash);
		if (v != NULL && v->asleep && !victim_wake(d, v, d->core.clk.next_close))
			v = victim_get(d, &f->dst, 128, VK_HOST, host_hash);
		if (v != hv)
			hv = NULL;  /* not the victim found (fresh, no link) */
		if (v == NULL)
			d->core.st.victims_full++;
		hw = v != NULL ? victim_take(d, v, f, &ri, &sp, we) : NULL;
	}
	/* hv: the host as found (the reply path changes no victim). */
	if ((a = hv != NULL ? agg_linked(d, hv) : NULL) == NULL) {
		if (linked)
			agg_plen = agg_prefix(d, &f->dst, &net, &agg);
		if (net != NULL && v != NULL)
			v->static_pps = (float)net->static_pps;
		if (agg_plen <= 0)
			return;
		if ((a = victim_get_awake(d, &agg, (uint8_t)agg_plen, VK_AGG, victim_hash(&agg, (uint8_t)agg_plen))) == NULL) {
			d->core.st.victims_full++;
			return;
		}
		if (net != NULL)
			a->static_pps = (float)net->static_pps;
		/* v was taken (not evictable by that get): link it. */
		if (v != NULL) {
			v->agg1 = (uint32_t)(a - d->v) + 1;
			v->agg_plen = (uint8_t)agg_plen;
		}
	}
	aw = victim_take(d, a, f, &ri, &sp, we);
	/* The largest host share of each window the record touched (credits:
	 * when they are paid, in detect_score.c). */
	if (sp.mode != SP_SPREAD) {
		if (hw != NULL && hw->pkts > aw->max_host)
			aw->max_host = hw->pkts > UINT32_MAX ? UINT32_MAX : (uint32_t)hw->pkts;
		return;
	}
	for (int64_t k = sp.ws; hw != NULL && k <= sp.we; k++) {
		const struct fwin *hk = slot_of(d, v, k);
		struct fwin *ak = slot_of(d, a, k);

		if (hk->tag == k + 1 && ak->tag == k + 1 && hk->pkts > ak->max_host)
			ak->max_host = hk->pkts > UINT32_MAX ? UINT32_MAX : (uint32_t)hk->pkts;
	}
}

/*
 * Records to many destinations miss the cache on the index, the victim
 * and its window slot.  A software pipeline hides that: PF_INDEX records
 * ahead the index slot is prefetched, PF_ENTRY ahead the entry and slot it
 * names; the record is then taken with its hash already computed.
 */
#ifndef PF_INDEX
#define PF_INDEX 8
#endif
#define PF_ENTRY 4
#ifdef FW_NO_PREFETCH
#define PREFETCH(...) ((void)0)
#else
#define PREFETCH(...) __builtin_prefetch(__VA_ARGS__)
#endif

void
flow_take_batch(struct fw_detect *d, const struct fw_flow *f, size_t n)
{
	int nslots = d->core.clk.nslots;
	uint64_t hring[16];
	uint32_t ering[16];

	for (size_t i = 0; i < n + PF_INDEX; i++) {
		if (i < n) {
			uint64_t h = victim_hash(&f[i].dst, 128);

			hring[i & 15] = h;
			PREFETCH(fw_hashtab_home(&d->vidx, ix_hash(h)));
		}
		if (i >= PF_INDEX - PF_ENTRY && i - (PF_INDEX - PF_ENTRY) < n) {
			size_t j = i - (PF_INDEX - PF_ENTRY);
			uint32_t e = fw_hashtab_peek(&d->vidx, ix_hash(hring[j & 15]));

			ering[j & 15] = e;
			if (e != FW_HASHTAB_NONE) {
				PREFETCH(&d->v[e]);
				PREFETCH(&d->w[e * (size_t)nslots + slot_index(d, det_widx(&d->core, f[j].end_ms))], 1);
			}
		}
		if (i >= PF_INDEX)
			take_flow(d, &f[i - PF_INDEX], hring[(i - PF_INDEX) & 15], ering[(i - PF_INDEX) & 15]);
	}
}
