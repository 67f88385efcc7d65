/*
 * detect_victim.c - the victim table: who can be attacked, and where its
 * state lives.
 *
 * A victim is one host (a destination address) or one aggregate: a
 * protected prefix (detector.networks; PREFIX@PPS adds a static threshold)
 * or, with none configured, the /auto_prefix_v4 and /auto_prefix_v6
 * around each destination.  agg_prefix() is the one place that choice is
 * made, for the record path and for the window close alike.  Prefixes are
 * common/prefix.c's.
 *
 * Entries sit in a dense array of max_victims, each with its window slots
 * (max_victims x nslots) and indexed by fw_hashtab: one probe per record.
 * Victims with traffic worth describing borrow a detail block (heavy
 * hitters, feature histograms) from a fixed pool.  Nothing allocates after
 * fw_detect_new().  When the table is full, the least recently hit of up to
 * SAMPLE_LRU x SAMPLE_ROUNDS sampled victims that is neither alerting nor
 * in a hot run is evicted (counted in evicted_lru); idle ones leave by the
 * sweep in detect_score.c.
 */
#include "detect_flow_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fw_addr.h"

/* Parse "198.51.100.0/24@5000, 2001:db8::/32" into nets.  FW_OK or FW_EINVAL + err. */
int
det_parse_networks(const char *list, struct net *nets, int *nnets, char *err, size_t errlen)
{
	char buf[FW_CFG_LIST_MAX], *save = NULL;

	snprintf(buf, sizeof(buf), "%s", list);
	for (char *tok = strtok_r(buf, ", \t", &save); tok != NULL; tok = strtok_r(NULL, ", \t", &save)) {
		char *at = strchr(tok, '@'), *end = NULL;
		double pps = 0;

		if (at != NULL) {
			*at = '\0';
			pps = strtod(at + 1, &end);
			if (*end != '\0' || end == at + 1 || !(pps > 0 && pps < 1e15)) {
				snprintf(err, errlen, "detector.networks: '%s' after '@' is not a packet rate", at + 1);
				return FW_EINVAL;
			}
		}
		if (*nnets >= MAX_NETS) {
			snprintf(err, errlen, "detector.networks: more than %d prefixes", MAX_NETS);
			return FW_EINVAL;
		}
		/* A length is required: a bare address is more likely a mistake. */
		if (strchr(tok, '/') == NULL || fw_prefix_parse(tok, &nets[*nnets].p) != FW_OK) {
			snprintf(err, errlen, "detector.networks: '%s' is not ADDRESS/LENGTH", tok);
			return FW_EINVAL;
		}
		nets[*nnets].static_pps = pps;
		(*nnets)++;
	}
	return FW_OK;
}

/*
 * The aggregate an address feeds.  With detector.networks: the longest
 * entry containing a (*net; none: -1, the address is not watched), unless
 * that entry is a single host.  Else the automatic prefix.  Fills agg (the
 * masked prefix) and returns its length over 128 bits, 0 for none.
 */
int
agg_prefix(const struct fw_detect *d, const struct fw_addr *a, const struct net **net, struct fw_addr *agg)
{
	unsigned p;

	*net = NULL;
	if (d->nnets > 0) {
		const struct net *best = NULL;

		for (int i = 0; i < d->nnets; i++)
			if (fw_prefix_contains(&d->nets[i].p, a) && (best == NULL || d->nets[i].p.len > best->p.len))
				best = &d->nets[i];
		if (best == NULL)
			return -1;
		*net = best;
		if (best->p.len >= 128)
			return 0;
		*agg = best->p.addr;
		return best->p.len;
	}
	p = fw_addr_is_v4(a) ? (d->core.cfg.auto_prefix_v4 > 0 ? 96 + (unsigned)d->core.cfg.auto_prefix_v4 : 0) :
	    (unsigned)d->core.cfg.auto_prefix_v6;
	if (p == 0 || p >= 128)
		return 0;
	*agg = *a;
	fw_prefix_mask(agg, p);
	return (int)p;
}

/* The aggregate (prefix) victim a host feeds, if it is tracked. */
struct victim *
agg_of(struct fw_detect *d, const struct victim *v)
{
	const struct net *net;
	struct fw_addr m;
	int p = agg_prefix(d, &v->addr, &net, &m);

	return p > 0 ? victim_find(d, &m, (uint8_t)p, victim_hash(&m, (uint8_t)p)) : NULL;
}

void
victim_text(const struct victim *v, char *out, size_t outlen)
{
	struct fw_prefix p = { v->addr, v->plen };

	if (v->kind == VK_HOST)
		fw_addr_format(&v->addr, out, outlen);
	else
		fw_prefix_format(&p, out, outlen);
}

struct victim *
victim_find(struct fw_detect *d, const struct fw_addr *a, uint8_t plen, uint64_t h)
{
	struct fw_hashtab_probe p;
	uint32_t e;

	fw_hashtab_probe_start(&d->vidx, ix_hash(h), &p);
	while ((e = fw_hashtab_probe_next(&d->vidx, &p)) != FW_HASHTAB_NONE) {
		struct victim *v = &d->v[e];

		if (v->hash == h && v->plen == plen && memcmp(v->addr.b, a->b, 16) == 0)
			return v;
	}
	return NULL;
}

void
detail_attach(struct fw_detect *d, struct victim *v)
{
	struct detail *x;

	if (d->ndfree == 0) {
		d->core.st.details_full++;
		return;
	}
	v->detail = d->dfree[--d->ndfree];
	x = &d->det[v->detail];
	x->owner = (uint32_t)(v - d->v);
	fw_topk_init(&x->src, FW_TOPK_K);
	fw_topk_init(&x->sport, 8);
	fw_topk_init(&x->dport, 8);
	fw_topk_init(&x->dst, 8);
	memset(x->ent, 0, sizeof(x->ent));
	x->pkts_closed = 0;
	memset(&x->snap0, 0, sizeof(x->snap0));
	memset(x->snapc, 0, sizeof(x->snapc));
}

void
detail_release(struct fw_detect *d, struct victim *v)
{
	if (v->detail == NONE32)
		return;
	d->dfree[d->ndfree++] = v->detail;
	v->detail = NONE32;
}

void
victim_remove(struct fw_detect *d, struct victim *v)
{
	size_t num = (size_t)(v - d->v);

	fw_hashtab_remove(&d->vidx, ix_hash(v->hash), (uint32_t)num);
	detail_release(d, v);
	credit_drop(d, v);
	v->used = 0;
	d->vfree[d->nvfree++] = (uint32_t)num;
	d->vused--;
}

/*
 * Make room: among up to SAMPLE_LRU x SAMPLE_ROUNDS victims after the
 * clock hand, evict the least recently hit one that is neither alerting
 * nor in a hot run.  Bounded work; a victim hit often (a real target)
 * has a recent last_seq and survives a flood of one-off destinations.
 */
static bool
victim_evict_one(struct fw_detect *d)
{
	struct victim *best = NULL;

	for (int r = 0; r < SAMPLE_ROUNDS && best == NULL; r++) {
		for (int k = 0; k < SAMPLE_LRU; k++) {
			struct victim *v = &d->v[d->vhand];

			d->vhand = d->vhand + 1 >= d->vhw ? 0 : d->vhand + 1;
			/* last_seq == seq: touched by the record being taken */
			if (!v->used || alert_busy(&v->al) || v->last_seq == d->core.clk.seq)
				continue;
			if (best == NULL || v->last_seq < best->last_seq)
				best = v;
		}
	}
	if (best == NULL)
		return false;
	victim_remove(d, best);
	d->core.st.evicted_lru++;
	return true;
}

struct victim *
victim_get(struct fw_detect *d, const struct fw_addr *a, uint8_t plen, uint8_t kind, uint64_t h)
{
	size_t num;
	int nslots = d->core.clk.nslots;
	struct victim *v = victim_find(d, a, plen, h);

	if (v != NULL)
		return v;
	if (d->vused >= d->max_victims && !victim_evict_one(d))
		return NULL;
	num = d->nvfree > 0 ? d->vfree[--d->nvfree] : d->vhw++;
	v = &d->v[num];
	memset(v, 0, sizeof(*v));
	memset(&d->w[num * (size_t)nslots], 0, (size_t)nslots * sizeof(*d->w));
	v->addr = *a;
	v->hash = h;
	v->plen = plen;
	v->kind = kind;
	v->used = 1;
	v->detail = NONE32;
	v->al.ended_widx = INT64_MIN / 2;
	fw_hashtab_insert(&d->vidx, ix_hash(h), (uint32_t)num);
	d->vused++;
	return v;
}
