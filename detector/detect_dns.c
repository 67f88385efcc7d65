/*
 * detect_dns.c - DNS zones: query rates, exact distinct names, water
 * torture versus dns_flood versus flash crowd.
 *
 * Design
 *  - A zone is the parent of a query name (the name without its leftmost
 *    label), as dnsdist's suffix tree counts children.  Each zone also
 *    rolls its queries up to (a) its registrable domain (Public Suffix List
 *    via libpsl) and (b) the longest configured dns.zones entry above it,
 *    when those differ from the zone itself.  Public suffixes (TLDs, co.uk)
 *    and dns.exclude zones are never tracked as victims: a cached "ignore"
 *    entry remembers the verdict so libpsl runs once per zone, not per
 *    record.
 *  - Keyed on the zone, never on sources: at an authoritative server the
 *    sources of a water-torture attack are legitimate resolvers.
 *  - Per zone per window: queries (rate and EWMA baseline), responses and
 *    failures (rcode 2 SERVFAIL, 3 NXDOMAIN) for the failure ratio,
 *    normalised entropy of the query-name distribution and the bit entropy
 *    of leftmost-label characters (evidence only).  Zones over a small
 *    share of the floor get a detail block from a fixed pool: two EXACT
 *    capped sets of 64-bit fingerprints (names; client+name pairs) and a
 *    space-saving top-k of clients.  No probabilistic cardinality
 *    estimator is used (see fw_sketch.h).
 *  - A hot window (qps over floor, mean x dns.multiplier and the z-score)
 *    is water torture when queries per distinct name <= dns.wt_max_ratio
 *    (each name asked about once), a dns_flood when names repeat and
 *    queries per distinct (client, name) pair >= dns.flood_min_repeat (the
 *    same clients re-ask the same names: no cache in between), and
 *    otherwise a flash crowd (few popular names, each client asking once,
 *    as caching resolvers do): no alert, counted, and learned.
 *    Names that repeat and mostly fail are a dns_flood, not a crowd.
 *  - Low-and-slow: every zone keeps distinct names (exact, or the query
 *    count that bounds them) for its last DHIST windows; their sum over a
 *    noise-aware threshold (dns.min_distinct names/s and zscore standard
 *    deviations, never under Poisson) is water torture though the rate is
 *    not hot.  The baseline learns a window when it leaves the sum.
 *  - Several clients: a hot window whose rise the top dns.min_clients - 1
 *    identified clients carry (FEW_SHARE, above their own baseline) is
 *    counted (dns_few_clients), not alerted and not learned.  Clients are
 *    judged per period (pclients) and merged into the evidence top-k;
 *    relayed queries (dnstap RQ/FQ, loopback: a local proxy) have no
 *    client identity and count for neither side.
 *  - A rolled-up zone stays quiet when one child zone carries >= the
 *    dominance share of its queries: the child is the most specific
 *    parent that carries the attack and alerts itself.
 *
 * Memory: dns.max_zones entries with their window slots and DHIST history,
 * dns.detail_zones detail blocks of 2 x dns.distinct_cap fingerprints and
 * two top-k summaries; all sized at start.
 * Eviction: idle zones by the sweep; when full, the least recently queried
 * of up to 32 sampled zones that is not alerting or in a hot run.
 */
#include "detect_dns_int.h"

#include <libpsl.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "fw_addr.h"
#include "fw_log.h"

#define FEW_SHARE 0.8          /* share of a rise that marks it as carried by few clients */
#define PERIOD_EXACT 4096      /* identified queries per period each counted in pclients */

static int
parse_list(const char *list, char (*out)[FW_QNAME_MAX + 1], int *n)
{
	char buf[FW_CFG_LIST_MAX], *save = NULL;

	snprintf(buf, sizeof(buf), "%s", list);
	for (char *t = strtok_r(buf, ", \t", &save); t != NULL; t = strtok_r(NULL, ", \t", &save)) {
		size_t len = strlen(t);

		while (len > 0 && t[len - 1] == '.')
			t[--len] = '\0';
		if (len == 0)
			continue;
		if (*n >= MAX_DNS_LIST || len > FW_QNAME_MAX)
			return FW_EINVAL;
		for (size_t i = 0; i < len; i++)
			out[*n][i] = (char)(t[i] >= 'A' && t[i] <= 'Z' ? t[i] + 32 : t[i]);
		out[*n][len] = '\0';
		(*n)++;
	}
	return FW_OK;
}

/* name is zone or lies under it (label boundary). */
static bool
under(const char *name, size_t len, const char *zone)
{
	size_t zl = strlen(zone);

	if (zl > len)
		return false;
	if (memcmp(name + len - zl, zone, zl) != 0)
		return false;
	return zl == len || name[len - zl - 1] == '.';
}

/* "Few" clients: dns.min_clients - 1 (at most the top-k's counters); 0 = off. */
static uint32_t
few_k_of(const struct fw_config *cfg)
{
	int64_t k = cfg->dns_min_clients - 1;

	return k <= 0 ? 0 : k > 8 ? 8 : (uint32_t)k;
}

int
dns_new(struct det_core *c, struct fw_dns_state **out)
{
	const struct fw_config *cfg = &c->cfg;
	struct fw_dns_state *s;
	int rc = FW_ENOMEM;
	double a;

	if (cfg->dns_max_zones <= 0 || cfg->dns_max_zones >= (int64_t)(UINT32_MAX / 4) ||
	    cfg->dns_detail_zones <= 0 || cfg->dns_distinct_cap <= 0 || cfg->dns_distinct_cap > (1 << 24))
		return FW_EINVAL;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return FW_ENOMEM;
	s->psl = psl_builtin();
	s->max = (size_t)cfg->dns_max_zones;
	s->nslots = c->clk.nslots;
	s->window_ms = cfg->window_ms;
	a = cfg->dns_min_qps * (double)cfg->window_ms / 1000.0 / 4;
	s->attach_q = a < 1 ? 1 : (uint32_t)a;
	s->few_k = few_k_of(cfg);
	if (s->psl == NULL) {
		rc = FW_EUNSUPPORTED;
		goto fail;
	}
	if (parse_list(cfg->dns_zones, s->zones, &s->nzones) != FW_OK ||
	    parse_list(cfg->dns_exclude, s->exclude, &s->nexclude) != FW_OK) {
		rc = FW_EINVAL;
		goto fail;
	}
	if ((rc = fw_hashtab_init(&s->zidx, s->max)) != FW_OK)
		goto fail;
	rc = FW_ENOMEM;
	s->z = calloc(s->max, sizeof(*s->z));
	s->w = calloc(s->max * (size_t)s->nslots, sizeof(*s->w));
	s->zfree = calloc(s->max, sizeof(*s->zfree));
	s->det = calloc((size_t)cfg->dns_detail_zones, sizeof(*s->det));
	s->dfree = calloc((size_t)cfg->dns_detail_zones, sizeof(*s->dfree));
	if (s->z == NULL || s->w == NULL || s->zfree == NULL ||
	    s->det == NULL || s->dfree == NULL)
		goto fail;
	s->ndet_alloc = (size_t)cfg->dns_detail_zones;
	for (size_t i = 0; i < (size_t)cfg->dns_detail_zones; i++) {
		if ((rc = fw_xset_init(&s->det[i].names, (uint32_t)cfg->dns_distinct_cap)) != FW_OK ||
		    (rc = fw_xset_init(&s->det[i].pairs, (uint32_t)cfg->dns_distinct_cap)) != FW_OK)
			goto fail;
		s->ndet++;
	}
	for (size_t i = 0; i < s->ndet; i++) {
		s->det[i].owner = NONE32;
		s->dfree[s->ndfree++] = (uint32_t)(s->ndet - 1 - i);
	}
	*out = s;
	return FW_OK;
fail:
	dns_free(s);
	return rc;
}

void
dns_free(struct fw_dns_state *s)
{
	if (s == NULL)
		return;
	if (s->det != NULL) {
		for (size_t i = 0; i < s->ndet_alloc; i++) {
			fw_xset_fini(&s->det[i].names);
			fw_xset_fini(&s->det[i].pairs);
		}
	}
	free(s->det);
	free(s->dfree);
	fw_hashtab_fini(&s->zidx);
	free(s->z);
	free(s->w);
	free(s->zfree);
	free(s);
}

int
dns_check_config(const struct fw_config *cfg, char *err, size_t errlen)
{
	static const struct {
		const char *key;
		size_t off;
	} lists[] = {
		{ "dns.zones", offsetof(struct fw_config, dns_zones) },
		{ "dns.exclude", offsetof(struct fw_config, dns_exclude) },
	};
	char (*names)[FW_QNAME_MAX + 1] = calloc(MAX_DNS_LIST, sizeof(*names));
	const psl_ctx_t *psl = psl_builtin();
	int rc = FW_OK;

	if (names == NULL)
		return FW_ENOMEM;
	for (size_t l = 0; l < 2 && rc == FW_OK; l++) {
		int n = 0;

		if (parse_list((const char *)cfg + lists[l].off, names, &n) != FW_OK) {
			snprintf(err, errlen, "%s: more than %d names or a name longer than %d bytes",
			    lists[l].key, MAX_DNS_LIST, FW_QNAME_MAX);
			rc = FW_EINVAL;
		}
		/* A public suffix is never a victim: naming one as a zone is a mistake. */
		for (int i = 0; i < n && rc == FW_OK && l == 0; i++) {
			if (psl != NULL && psl_is_public_suffix(psl, names[i])) {
				snprintf(err, errlen, "dns.zones: '%s' is a public suffix (never flagged)", names[i]);
				rc = FW_EINVAL;
			}
		}
	}
	free(names);
	return rc;
}

static void zone_setup(struct fw_dns_state *s, struct zone *z);

int
dns_reconfigure(struct fw_dns_state *s, const struct fw_config *cfg)
{
	int nz = 0, nx = 0;
	double a;
	bool same;
	char (*zones)[FW_QNAME_MAX + 1] = calloc((size_t)2 * MAX_DNS_LIST, sizeof(*zones));

	if (zones == NULL)
		return FW_ENOMEM;
	if (parse_list(cfg->dns_zones, zones, &nz) != FW_OK ||
	    parse_list(cfg->dns_exclude, zones + MAX_DNS_LIST, &nx) != FW_OK) {
		free(zones);
		return FW_EINVAL;
	}
	a = cfg->dns_min_qps * (double)cfg->window_ms / 1000.0 / 4;
	s->attach_q = a < 1 ? 1 : (uint32_t)a;
	s->few_k = few_k_of(cfg);
	same = nz == s->nzones && nx == s->nexclude &&
	    memcmp(zones, s->zones, (size_t)nz * sizeof(*zones)) == 0 &&
	    memcmp(zones + MAX_DNS_LIST, s->exclude, (size_t)nx * sizeof(*zones)) == 0;
	if (!same) {
		memcpy(s->zones, zones, (size_t)nz * sizeof(*zones));
		memcpy(s->exclude, zones + MAX_DNS_LIST, (size_t)nx * sizeof(*zones));
		s->nzones = nz;
		s->nexclude = nx;
		/* Each zone's verdict and roll-ups were decided under the old
		 * lists: decide again (links are found anew on the next query);
		 * baselines, windows and alerts stay. */
		for (size_t n = 0; n < s->zhw; n++) {
			struct zone *z = &s->z[n];

			if (!z->used)
				continue;
			z->ignore = 0;
			z->nroll = 0;
			zone_setup(s, z);
		}
	}
	free(zones);
	return FW_OK;
}

size_t
dns_memory_bytes(const struct fw_dns_state *s)
{
	return sizeof(*s) + fw_hashtab_bytes(&s->zidx) +
	    s->max * (sizeof(*s->z) + sizeof(*s->zfree) + (size_t)s->nslots * sizeof(*s->w)) +
	    s->ndet * (sizeof(*s->det) + sizeof(*s->dfree) + 2 * fw_xset_bytes(s->det[0].names.cap));
}

/* ---- zone table ---- */

static struct zone *
zone_find(struct fw_dns_state *s, const char *name, size_t len, uint64_t h)
{
	struct fw_hashtab_probe p;
	uint32_t e;

	fw_hashtab_probe_start(&s->zidx, ix_hash(h), &p);
	while ((e = fw_hashtab_probe_next(&s->zidx, &p)) != FW_HASHTAB_NONE) {
		struct zone *z = &s->z[e];

		if (z->hash == h && z->len == len && memcmp(z->name, name, len) == 0)
			return z;
	}
	return NULL;
}

static void
zone_remove(struct fw_dns_state *s, struct zone *z)
{
	size_t num = (size_t)(z - s->z);

	fw_hashtab_remove(&s->zidx, ix_hash(z->hash), (uint32_t)num);
	if (z->detail != NONE32) {
		s->det[z->detail].owner = NONE32;
		s->dfree[s->ndfree++] = z->detail;
		z->detail = NONE32;
	}
	z->used = 0;
	s->zfree[s->nzfree++] = (uint32_t)num;
	s->zused--;
}

static bool
zone_evict_one(struct det_core *c, struct fw_dns_state *s, uint64_t seq)
{
	struct zone *best = NULL;

	for (int r = 0; r < SAMPLE_ROUNDS && best == NULL; r++) {
		for (int k = 0; k < SAMPLE_LRU; k++) {
			struct zone *z = &s->z[s->hand];

			s->hand = s->hand + 1 >= s->zhw ? 0 : s->hand + 1;
			if (!z->used || z->al.active || z->al.hot_run > 0 || z->last_seq == seq)
				continue;
			if (best == NULL || z->last_seq < best->last_seq)
				best = z;
		}
	}
	if (best == NULL)
		return false;
	zone_remove(s, best);
	c->st.zones_evicted_lru++;
	return true;
}

/* Decide, once per zone, whether it may be a victim and what it rolls up to. */
static void
zone_setup(struct fw_dns_state *s, struct zone *z)
{
	const char *reg;
	size_t best = 0;
	int bi = -1;

	if (psl_is_public_suffix(s->psl, z->name)) {
		z->ignore = 1;
		return;
	}
	for (int i = 0; i < s->nexclude; i++) {
		if (under(z->name, z->len, s->exclude[i])) {
			z->ignore = 1;
			return;
		}
	}
	reg = psl_registrable_domain(s->psl, z->name);
	if (reg != NULL && reg != z->name && reg > z->name && reg < z->name + z->len) {
		z->roll_off[z->nroll] = (uint8_t)(reg - z->name);
		z->nroll++;
	}
	for (int i = 0; i < s->nzones; i++) {
		size_t zl = strlen(s->zones[i]);

		if (zl < z->len && zl > best && under(z->name, z->len, s->zones[i]) &&
		    !psl_is_public_suffix(s->psl, s->zones[i])) {
			best = zl;
			bi = i;
		}
	}
	if (bi >= 0 && (z->nroll == 0 || (size_t)(z->len - z->roll_off[0]) != best))
		z->roll_off[z->nroll++] = (uint8_t)(z->len - best);
	for (int i = 0; i < z->nroll; i++)
		z->roll[i] = NONE32;
}

static struct zone *
zone_get(struct det_core *c, struct fw_dns_state *s, const char *name, size_t len, uint64_t h, uint64_t seq)
{
	size_t num;
	struct zone *z = zone_find(s, name, len, h);

	if (z != NULL)
		return z;
	if (s->zused >= s->max && !zone_evict_one(c, s, seq))
		return NULL;
	num = s->nzfree > 0 ? s->zfree[--s->nzfree] : s->zhw++;
	z = &s->z[num];
	memset(z, 0, offsetof(struct zone, name));
	memcpy(z->name, name, len);
	z->name[len] = '\0';
	z->len = (uint8_t)len;
	z->hash = h;
	z->used = 1;
	z->detail = NONE32;
	z->gen = ++s->gen;
	z->al.ended_widx = INT64_MIN / 2;
	memset(&s->w[num * (size_t)s->nslots], 0, (size_t)s->nslots * sizeof(*s->w));
	fw_hashtab_insert(&s->zidx, ix_hash(h), (uint32_t)num);
	s->zused++;
	zone_setup(s, z);
	return z;
}

static struct zwin *
zslot(struct fw_dns_state *s, const struct zone *z, int64_t widx)
{
	int64_t k = widx % s->nslots;

	return &s->w[(size_t)(z - s->z) * (size_t)s->nslots + (size_t)(k < 0 ? k + s->nslots : k)];
}

/* Leftmost-label character classes: a-z 0-25, 0-9 26-35, '-' 36, '_' 37, other 38. */
static const uint8_t lchar_cls[256] = {
	38, 38, 38, 38, 38, 38, 38, 38, 38, 38, 38, 38, 38, 38, 38, 38,
	38, 38, 38, 38, 38, 38, 38, 38, 38, 38, 38, 38, 38, 38, 38, 38,
	38, 38, 38, 38, 38, 38, 38, 38, 38, 38, 38, 38, 38, 36, 38, 38,
	26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 38, 38, 38, 38, 38, 38,
	38, 38, 38, 38, 38, 38, 38, 38, 38, 38, 38, 38, 38, 38, 38, 38,
	38, 38, 38, 38, 38, 38, 38, 38, 38, 38, 38, 38, 38, 38, 38, 37,
	38, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14,
	15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 38, 38, 38, 38, 38,
	38, 38, 38, 38, 38, 38, 38, 38, 38, 38, 38, 38, 38, 38, 38, 38,
	38, 38, 38, 38, 38, 38, 38, 38, 38, 38, 38, 38, 38, 38, 38, 38,
	38, 38, 38, 38, 38, 38, 38, 38, 38, 38, 38, 38, 38, 38, 38, 38,
	38, 38, 38, 38, 38, 38, 38, 38, 38, 38, 38, 38, 38, 38, 38, 38,
	38, 38, 38, 38, 38, 38, 38, 38, 38, 38, 38, 38, 38, 38, 38, 38,
	38, 38, 38, 38, 38, 38, 38, 38, 38, 38, 38, 38, 38, 38, 38, 38,
	38, 38, 38, 38, 38, 38, 38, 38, 38, 38, 38, 38, 38, 38, 38, 38,
	38, 38, 38, 38, 38, 38, 38, 38, 38, 38, 38, 38, 38, 38, 38, 38,
};

/* Keep the latest NSAMPLE new names: under attack they are attack names. */
static void
add_sample(struct zone *z, const char *qname, size_t len)
{
	char *out = z->sample[z->nsample % NSAMPLE];

	if (len >= SAMPLE_LEN)
		len = SAMPLE_LEN - 1;
	memcpy(out, qname, len);
	out[len] = '\0';
	/* Cycles in [NSAMPLE, 2 x NSAMPLE) once full: never wraps to 0. */
	z->nsample = (uint8_t)(z->nsample + 1 >= 2 * NSAMPLE ? NSAMPLE : z->nsample + 1);
}

struct dnsrec {
	const struct fw_dnsq *q;
	size_t len;                /* qname length */
	size_t label_len;
	uint64_t fp;               /* name fingerprint */
	uint64_t ch;               /* client hash */
	int64_t widx;
	bool resp;
};

/* No client identity: the server itself asking for its clients (dnstap
 * resolver/forwarder messages), or a local proxy in front of it
 * (127.0.0.0/8, ::1: dnsdist, a stub forwarder). */
static bool
relayed(const struct fw_dnsq *q)
{
	static const uint8_t zero[10];
	const uint8_t *b = q->client.b;

	if ((q->flags & FW_DNSQ_F_RELAYED) != 0)
		return true;
	if (b[12] != 127 && b[15] != 1)
		return false;  /* most addresses: one look */
	if (memcmp(b, zero, 10) != 0)
		return false;
	if (b[10] == 0xff && b[11] == 0xff)
		return b[12] == 127;
	return b[10] == 0 && b[11] == 0 && b[12] == 0 && b[13] == 0 && b[14] == 0 && b[15] == 1;
}

static struct zwin *
zone_take(struct det_core *c, struct fw_dns_state *s, struct zone *z, const struct dnsrec *r,
    uint32_t child_q, uint64_t seq)
{
	struct zwin *w = zslot(s, z, r->widx);

	if (w->tag != r->widx + 1) {
		memset(w, 0, sizeof(*w));
		w->tag = r->widx + 1;
	}
	z->last_seq = seq;
	if (r->resp) {
		w->resp++;
		w->fail += r->q->rcode == 2 || r->q->rcode == 3;
		return w;
	}
	w->q++;
	if (child_q > w->max_child)
		w->max_child = child_q;
	fw_ent16_add(&z->name_ent, r->fp, 1);
	for (size_t i = 0; i < r->label_len; i++)
		z->lchar[lchar_cls[(unsigned char)r->q->qname[i]]]++;
	if (z->detail == NONE32 && w->q >= s->attach_q) {
		if (s->ndfree > 0) {
			struct zdetail *x;

			z->detail = s->dfree[--s->ndfree];
			x = &s->det[z->detail];
			x->owner = (uint32_t)(z - s->z);
			fw_xset_clear(&x->names);
			fw_xset_clear(&x->pairs);
			fw_topk_init(&x->clients, 8);
			fw_topk_init(&x->pclients, 8);
			x->partial = 1;
		} else {
			c->st.details_full++;
		}
	}
	if (z->detail != NONE32) {
		struct zdetail *x = &s->det[z->detail];

		/* A new name is a new (client, name) pair by definition: only
		 * repeats probe the pair set, so water torture pays one insert.
		 * (A repeat by the name's first client then counts as a new pair;
		 * it only lowers the repeat ratio slightly.) */
		int added = fw_xset_add(&x->names, r->fp);

		/* Samples: the first names, then every 64th new one (latest kept). */
		if (added == 1 && (x->names.n <= NSAMPLE || (x->names.n & 63) == 0))
			add_sample(z, r->q->qname, r->len);
		else if (added == 0)
			(void)fw_xset_add(&x->pairs, fw_hash64(r->fp ^ r->ch));
		/* Clients: every query until 4096 (per period for identified
		 * ones, merged into the evidence at period end), then 1 in 8
		 * with weight 8.  Relayed queries go to the evidence only. */
		if (!relayed(r->q)) {
			if (x->pclients.total < PERIOD_EXACT)
				x->paddr[fw_topk_add(&x->pclients, r->ch, 1)] = r->q->client;
			else if ((seq & 7) == 0)
				x->paddr[fw_topk_add(&x->pclients, r->ch, 8)] = r->q->client;
		} else if (x->clients.total < 4096) {
			x->client_addr[fw_topk_add(&x->clients, r->ch, 1)] = r->q->client;
		} else if ((seq & 7) == 0) {
			x->client_addr[fw_topk_add(&x->clients, r->ch, 8)] = r->q->client;
		}
	} else if (z->nsample == 0) {
		add_sample(z, r->q->qname, r->len);
	}
	return w;
}

/* The parts of a record computed ahead of taking it (see dns_take_batch). */
struct dnspre {
	size_t len;                /* qname length; 0 = no usable parent */
	size_t label_len;
	uint64_t ph;               /* parent hash */
	uint64_t fp;               /* name fingerprint */
};

static void
dns_prep(const struct fw_dnsq *q, struct dnspre *p)
{
	const char *dot;

	p->len = strnlen(q->qname, q->qname_len < FW_QNAME_MAX ? q->qname_len : FW_QNAME_MAX);
	dot = p->len > 0 ? memchr(q->qname, '.', p->len) : NULL;
	if (dot == NULL || dot == q->qname || (size_t)(dot - q->qname) + 1 >= p->len) {
		p->len = 0;
		return;
	}
	p->label_len = (size_t)(dot - q->qname);
	p->ph = fw_hash_bytes(dot + 1, p->len - p->label_len - 1, NAME_SEED);
	p->fp = fw_hash64(fw_hash_bytes(q->qname, p->label_len, p->ph));
}

static void
dns_take(struct det_core *c, struct fw_dns_state *s, const struct fw_dnsq *q, const struct dnspre *p)
{
	struct dnsrec r;
	const char *parent;
	size_t plen;
	uint64_t ph, seq;
	struct zone *z;
	struct zwin *zw;
	struct fw_detect_stats *st = &c->st;

	r.q = q;
	r.len = p->len;
	if ((r.widx = det_clock_take(c, q->time_ms)) == INT64_MIN)
		return;
	r.resp = (q->flags & FW_DNSQ_F_RESPONSE) != 0;
	if (r.resp)
		st->dns_responses++;
	if (p->len == 0) {
		st->dns_ignored++;
		return;
	}
	parent = q->qname + p->label_len + 1;
	plen = r.len - p->label_len - 1;
	r.label_len = p->label_len;
	ph = p->ph;
	seq = c->clk.seq;
	if ((z = zone_get(c, s, parent, plen, ph, seq)) == NULL) {
		st->zones_full++;
		return;
	}
	if (z->ignore) {
		z->last_seq = seq;
		st->dns_ignored++;
		return;
	}
	r.fp = p->fp;
	{
		uint64_t x, y;

		memcpy(&x, q->client.b, 8);
		memcpy(&y, q->client.b + 8, 8);
		r.ch = fw_hash64(x ^ fw_hash64(y ^ 0x77));
	}
	zw = zone_take(c, s, z, &r, 0, seq);
	for (int i = 0; i < z->nroll; i++) {
		struct zone *rz = NULL;

		if (z->roll[i] != NONE32 && s->z[z->roll[i]].used && s->z[z->roll[i]].gen == z->roll_gen[i])
			rz = &s->z[z->roll[i]];
		if (rz == NULL) {
			const char *rn = z->name + z->roll_off[i];
			size_t rl = z->len - z->roll_off[i];

			if ((rz = zone_get(c, s, rn, rl, fw_hash_bytes(rn, rl, NAME_SEED), seq)) == NULL) {
				st->zones_full++;
				continue;
			}
			z->roll[i] = (uint32_t)(rz - s->z);
			z->roll_gen[i] = rz->gen;
		}
		if (!rz->ignore)
			(void)zone_take(c, s, rz, &r, r.resp ? 0 : zw->q, seq);
	}
}

/* ---- closing a window ---- */

static void
zone_evidence(struct fw_dns_state *s, const struct zone *z, char *out, size_t outlen)
{
	for (int shown = TOP_SHOWN; shown >= 0; shown -= shown > 1 ? 2 : 1) {
		json_t *o = json_object(), *x;

		json_object_set_new(o, "kind", json_string("zone"));
		json_object_set_new(o, "trigger", json_string(z->trig == 2 ? "distinct_names" : "query_rate"));
		json_object_set_new(o, "resolution_s", json_real(det_round(
		    (z->trig == 2 ? DHIST : 1) * (double)s->window_ms / 1000.0, 0.001)));
		json_object_set_new(o, "observed_qps", json_real(det_round(z->al.cur_qps, 0.1)));
		json_object_set_new(o, "baseline_qps", json_real(det_round(z->b_qps.mean, 0.1)));
		json_object_set_new(o, "threshold_qps", json_real(det_round(z->al.thr, 0.1)));
		json_object_set_new(o, "distinct_names", json_integer(z->distinct));
		json_object_set_new(o, "baseline_distinct_names", json_real(det_round(z->b_distinct.mean, 0.1)));
		json_object_set_new(o, "distinct_saturated", json_boolean(z->saturated));
		json_object_set_new(o, "distinct_names_per_s", json_real(det_round(z->dsum_ps, 0.1)));
		json_object_set_new(o, "threshold_distinct_names_per_s", z->dthr_ps >= 0 ?
		    json_real(det_round(z->dthr_ps, 0.1)) : json_null());
		json_object_set_new(o, "top_clients_rise_share", z->top_share >= 0 ?
		    json_real(det_round(z->top_share, 0.001)) : json_null());
		json_object_set_new(o, "queries_per_name", json_real(det_round(z->ratio, 0.01)));
		json_object_set_new(o, "queries_per_client_name", json_real(det_round(z->repeat, 0.01)));
		json_object_set_new(o, "singleton_share", json_real(det_round(z->singleton_share, 0.001)));
		json_object_set_new(o, "responses", json_integer(z->responses));
		json_object_set_new(o, "failure_ratio", z->fail_ratio >= 0 ?
		    json_real(det_round(z->fail_ratio, 0.001)) : json_null());
		json_object_set_new(o, "name_entropy", json_real(det_round(z->name_entropy, 0.01)));
		json_object_set_new(o, "label_char_entropy_bits", json_real(det_round(z->label_entropy, 0.01)));
		x = json_array();
		for (int i = 0; i < z->nsample && i < NSAMPLE && i < (shown > 0 ? NSAMPLE : 1); i++)
			json_array_append_new(x, json_string(z->sample[i]));
		json_object_set_new(o, "sample_names", x);
		if (z->detail != NONE32 && shown > 0) {
			const struct zdetail *dt = &s->det[z->detail];
			uint32_t order[FW_TOPK_K];

			x = json_array();
			fw_topk_order(&dt->clients, order);
			for (int i = 0; i < shown && (uint32_t)i < dt->clients.n; i++) {
				json_t *e = json_object();
				char a[64];

				fw_addr_format(&dt->client_addr[order[i]], a, sizeof(a));
				json_object_set_new(e, "addr", json_string(a));
				json_object_set_new(e, "share", json_real(det_round(
				    (double)dt->clients.cnt[order[i]] / (double)(dt->clients.total ? dt->clients.total : 1), 0.001)));
				json_array_append_new(x, e);
			}
			json_object_set_new(o, "top_clients", x);
		}
		if (det_json_put(o, out, outlen))
			return;
	}
	snprintf(out, outlen, "{}");
}

/* A window newer than widx (still open: the lateness) earns the detail
 * block: keep it, or a zone waking up would lose its first names. */
static bool
busy_after(const struct fw_dns_state *s, const struct zone *z, int64_t widx)
{
	const struct zwin *w = &s->w[(size_t)(z - s->z) * (size_t)s->nslots];

	for (int k = 0; k < s->nslots; k++)
		if (w[k].tag > widx + 1 && w[k].q >= s->attach_q)
			return true;
	return false;
}

/*
 * The query-rate threshold: the learned one (det_threshold), and never
 * under the Poisson noise of the count it rests on: a window of mean count
 * m varies by sqrt(m), which short windows (few queries each) make the
 * deciding bound.
 */
static double
qps_threshold(const struct det_core *c, const struct zone *z, double secs)
{
	const struct fw_config *cfg = &c->cfg;
	double thr = det_threshold(c, &z->b_qps, cfg->dns_min_qps, cfg->dns_multiplier);
	double p = z->b_qps.mean + cfg->zscore * sqrt(z->b_qps.mean / secs);

	return p > thr ? p : thr;
}

/* What the distinct-name rule sees over the last DHIST windows. */
struct dview {
	double dsum, qsum, tsum;   /* distinct names, queries, top clients' queries */
	double base, margin;       /* expected dsum and the rise it must exceed (INFINITY: rule off) */
	uint32_t leaving;          /* distinct names of the window that left the sum ... */
	bool has_leaving;          /* ... if one did: what b_distinct may learn */
};

/*
 * This window into the rings, then the sums.  The rule needs a full ring
 * and DHIST learned windows; its threshold is the expected sum plus the
 * larger of dns.min_distinct names/s and zscore standard deviations of the
 * sum (the learned variance, never under the Poisson variance of the
 * count).  While an alert is open, base and margin stay as at its start.
 * The baseline learns a window only when it leaves the sum, so a rise is
 * never judged against itself: the first windows of a slow attack are
 * not learned before the rule can see them.
 */
static void
distinct_view(const struct det_core *c, struct zone *z, uint32_t dest, const struct zwin *cw,
    double secs, struct dview *v)
{
	const struct fw_config *cfg = &c->cfg;
	double mu = z->b_distinct.mean, var = z->b_distinct.var > mu ? z->b_distinct.var : mu;
	double fl = DHIST * cfg->dns_min_distinct * secs, nz = cfg->zscore * sqrt(DHIST * var);

	v->has_leaving = z->hn == DHIST;
	v->leaving = z->dh[z->hpos];
	z->dh[z->hpos] = dest;
	z->qh[z->hpos] = cw->q;
	z->th[z->hpos] = cw->snap ? cw->top_q : 0;
	z->hpos = (uint8_t)((z->hpos + 1) % DHIST);
	if (z->hn < DHIST)
		z->hn++;
	v->dsum = v->qsum = v->tsum = 0;
	for (int k = 0; k < z->hn; k++) {
		v->dsum += z->dh[k];
		v->qsum += z->qh[k];
		v->tsum += z->th[k];
	}
	v->base = DHIST * mu;
	v->margin = INFINITY;
	if (cfg->dns_min_distinct > 0 && z->hn == DHIST && z->b_distinct.seen >= DHIST && !det_warming(c))
		v->margin = fl > nz ? fl : nz;
	if (z->al.active) {
		v->base = z->dbase;
		v->margin = z->dmargin;
	}
}

/*
 * Fewer than dns.min_clients clients carry the rise: the top few_k
 * identified clients' queries above what the top few_k normally ask
 * (b_top) make FEW_SHARE of it.  rise and top are over the same windows.
 * Baseline clients displaced from the top make this err toward "many".
 */
static bool
few_clients(struct zone *z, double rise, double top)
{
	z->top_share = rise > 0 ? top / rise : 0;
	if (z->top_share < 0)
		z->top_share = 0;
	return rise > 0 && top >= FEW_SHARE * rise;
}

static void
log_few(const struct det_core *c, const struct fw_dns_state *s, struct zone *z, double qps)
{
	char a[64] = "-";

	if (z->few_logged)
		return;
	z->few_logged = 1;
	if (z->detail != NONE32 && s->det[z->detail].clients.n > 0) {
		const struct zdetail *x = &s->det[z->detail];
		uint32_t order[FW_TOPK_K];

		fw_topk_order(&x->clients, order);
		fw_addr_format(&x->client_addr[order[0]], a, sizeof(a));
	}
	FW_LOG_RL(FW_LOG_INFO, "detect", "zone %s: a rise to %.0f q/s carried by fewer than %lld clients "
	    "(top client %s): not an attack, counted in dns_few_clients", z->name, qps,
	    (long long)c->cfg.dns_min_clients, a);
}

static void
score_zone(struct det_core *c, struct fw_dns_state *s, struct zone *z, int64_t widx)
{
	const struct fw_config *cfg = &c->cfg;
	struct fw_detect_stats *st = &c->st;
	double secs = (double)cfg->window_ms / 1000.0;
	struct zwin *w = zslot(s, z, widx);
	static const struct zwin empty;
	const struct zwin *cw = w->tag == widx + 1 ? w : &empty;
	double qps = cw->q / secs;
	double thr = qps_threshold(c, z, secs);
	int64_t wstart = widx * cfg->window_ms, wend = wstart + cfg->window_ms;
	struct alert *al = &z->al;
	struct zdetail *x = z->detail != NONE32 ? &s->det[z->detail] : NULL;
	bool hot, hot_d, by_q, calm, was_active, suppressed = false, few = false;
	int kind = 0;  /* 1 water torture, 2 dns_flood */
	uint32_t dest;
	struct dview dv;
	enum lc_action act;

	z->fail_ratio = cw->resp ? (double)cw->fail / cw->resp : -1;
	z->responses = cw->resp;
	if (cw->snap) {
		z->name_entropy = cw->name_ent;
		z->label_entropy = cw->label_ent;
		z->distinct = cw->distinct;
		z->saturated = cw->saturated;
		z->ratio = cw->ratio;
		z->repeat = cw->repeat;
		z->singleton_share = cw->named_q ? (double)cw->singletons / cw->named_q : 0;
		if (z->saturated)
			st->names_saturated++;
	} else {
		/* No detail block for this window: arrival-period histograms. */
		z->name_entropy = fw_ent16_value(&z->name_ent);
		z->label_entropy = fw_entropy_bits(z->lchar, NLCHAR);
		z->distinct = 0;
		z->saturated = 0;
		z->ratio = z->repeat = z->singleton_share = 0;
	}
	/* Distinct names of the window: exact; plus the queries the set did
	 * not see (block attached mid-period, set saturated); without a block
	 * the query count, which bounds them.  So every zone has a baseline. */
	dest = cw->q;
	if (cw->snap)
		dest = cw->distinct + ((cw->partial || cw->saturated) && cw->q > cw->named_q ? cw->q - cw->named_q : 0);
	distinct_view(c, z, dest, cw, secs, &dv);
	if (al->active)
		thr = al->thr;  /* frozen while the alert is open */
	else
		thr = det_warm_threshold(c, thr, cfg->dns_warmup_qps);
	/* Low-and-slow water torture: names rise though the rate may not;
	 * at most 2 x wt_max_ratio extra queries per extra name (retries).
	 * The window itself must carry its share of the rise, so the alert's
	 * last hot window is the attack's, not the sum's tail DHIST - 1 later. */
	hot_d = dv.dsum - dv.base > dv.margin && dest - dv.base / DHIST > dv.margin / DHIST &&
	    dv.qsum - DHIST * z->b_qps.mean * secs <= 2 * cfg->dns_wt_max_ratio * (dv.dsum - dv.base);
	hot = qps > thr;
	calm = qps < thr * cfg->hysteresis && !(dv.dsum - dv.base >= dv.margin * cfg->hysteresis);
	z->dsum_ps = z->hn ? dv.dsum / (z->hn * secs) : 0;
	z->dthr_ps = isfinite(dv.margin) ? (dv.base + dv.margin) / (DHIST * secs) : -1;
	if ((hot || hot_d) && cw->max_child >= cfg->dominance * cw->q) {
		hot = hot_d = false;  /* a child zone carries it and names the victim better */
		suppressed = true;
		st->suppressed++;
	}
	/* Several clients: a rise one client carries (a stuck resolver, a
	 * typo'd search domain) is a fact for top_clients, neither an attack
	 * on the zone nor a flash crowd to learn.  Judged on the rule that
	 * fired: one window of queries, or DHIST windows of names. */
	z->top_share = -1;
	if ((hot || hot_d) && s->few_k > 0 && cw->snap && cw->id_q > 0) {
		if (hot)
			few = few_clients(z, (double)cw->q - z->b_qps.mean * secs, (double)cw->top_q - z->b_top.mean);
		else
			few = few_clients(z, dv.dsum - dv.base, dv.tsum - DHIST * z->b_top.mean);
		if (few) {
			hot = hot_d = false;
			st->dns_few_clients++;
			log_few(c, s, z, qps);
		}
	}
	if (hot) {
		if (cw->snap && cw->distinct > 0) {
			/* Resolvers retry: a torture name may reach one server two or
			 * three times.  Up to 2 x wt_max_ratio queries per name still
			 * count as torture when the names surge (4 x their own
			 * baseline, at least 32) or most answers fail. */
			double dbase = z->b_distinct.mean > 8 ? z->b_distinct.mean : 8;
			bool fails = z->fail_ratio >= 0.5 && z->responses >= 10;
			bool surge = z->distinct >= 4 * dbase || fails;

			if (z->ratio <= cfg->dns_wt_max_ratio ||
			    (z->ratio <= 2 * cfg->dns_wt_max_ratio && surge && z->repeat < cfg->dns_flood_min_repeat))
				kind = 1;
			else if (z->repeat >= cfg->dns_flood_min_repeat || fails)
				kind = 2;  /* re-asked, or names that fail: no flash crowd */
		} else {
			/* No detail block (pool exhausted): failures decide. */
			kind = z->fail_ratio >= 0.5 ? 1 : 2;
		}
	}
	by_q = kind != 0;
	if (kind == 0 && hot_d)
		kind = 1;
	if (kind == 0 && hot)
		st->flash_crowds++;  /* flash crowd: legitimate surge, learned */
	hot = kind != 0;
	if (calm)
		z->few_logged = 0;
	al->cur_qps = qps;
	z->idle_run = cw->q || cw->resp ? 0 : z->idle_run + 1;
	if (hot && al->hot_run == 0 && !al->active)
		z->wt_windows = z->flood_windows = 0;
	if (kind == 1)
		z->wt_windows++;
	else if (kind == 2)
		z->flood_windows++;
	was_active = al->active;
	act = det_lifecycle(c, al, hot, calm, widx, wstart, wend);
	if ((hot || al->active) && qps > al->peak_qps)
		al->peak_qps = qps;
	if (!hot && !suppressed && !few && !was_active && al->hot_run == 0) {
		det_learn(c, &z->b_qps, qps);  /* flash crowds are learned: legitimate */
		if (dv.has_leaving)
			det_learn(c, &z->b_distinct, dv.leaving);
		if (cw->snap)
			det_learn(c, &z->b_top, cw->top_q);
	}
	if (act != LC_NONE) {
		if (act == LC_START || act == LC_RESTART) {
			al->thr = thr;
			z->dbase = dv.base;
			z->dmargin = dv.margin;
			z->trig = by_q ? 1 : 2;
		}
		if (act != LC_END)
			al->vector = z->wt_windows >= z->flood_windows ? FW_VEC_DNS_WATER_TORTURE : FW_VEC_DNS_FLOOD;
		zone_evidence(s, z, s->evbuf, sizeof(s->evbuf));
		det_emit(c, al, act, act == LC_END ? al->last_hot_ms : wend, z->name, s->evbuf);
	}
	if (x == NULL) {
		/* Arrival-period state starts over (detail zones: at period end). */
		memset(&z->name_ent, 0, sizeof(z->name_ent));
		memset(z->lchar, 0, sizeof(z->lchar));
	}
	z->nsample = 0;
	if (x != NULL && !al->active && al->hot_run == 0) {
		if (cw->q < s->attach_q && !busy_after(s, z, widx)) {
			x->owner = NONE32;
			s->dfree[s->ndfree++] = z->detail;
			z->detail = NONE32;
		} else {
			fw_topk_init(&x->clients, 8);
		}
	}
	if (w->tag == widx + 1)
		memset(w, 0, sizeof(*w));
}

/* End every open zone alert now (fw_detect_end_all); returns how many. */
int
dns_end_all(struct det_core *c, struct fw_dns_state *s)
{
	int n = 0;

	for (size_t i = 0; i < s->zhw; i++) {
		struct zone *z = &s->z[i];

		if (!z->used || !det_force_end(c, &z->al))
			continue;
		zone_evidence(s, z, s->evbuf, sizeof(s->evbuf));
		det_emit(c, &z->al, LC_END, z->al.last_hot_ms, z->name, s->evbuf);
		n++;
	}
	return n;
}

int
dns_resume(struct det_core *c, struct fw_dns_state *s, bool gap)
{
	int n = 0;

	for (size_t i = 0; i < s->zhw; i++) {
		struct zone *z = &s->z[i];

		if (!z->used)
			continue;
		n += det_resume_alert(c, &z->al);
		z->wt_windows = z->flood_windows = 0;
		z->few_logged = 0;
		/* The windows open at the save never closed: not scored, and
		 * their slots must not hold old window numbers (busy for ever). */
		if (gap)
			memset(&s->w[i * (size_t)s->nslots], 0, (size_t)s->nslots * sizeof(*s->w));
	}
	return n;
}

void
dns_close_window(struct det_core *c, struct fw_dns_state *s, int64_t widx)
{
	const struct fw_config *cfg = &c->cfg;

	for (size_t n = 0; n < s->zhw; n++) {
		struct zone *z = &s->z[n];

		if (!z->used)
			continue;
		/* An alert open when a reload excluded its zone goes calm and ends. */
		if (!z->ignore || z->al.active)
			score_zone(c, s, z, widx);
		else
			z->idle_run++;
		if (!z->al.active && z->al.hot_run == 0 && z->idle_run >= (uint32_t)cfg->idle_windows) {
			bool busy = false;

			for (int k = 0; k < s->nslots; k++)
				busy |= s->w[n * (size_t)s->nslots + (size_t)k].tag != 0;
			if (!busy) {
				zone_remove(s, z);
				c->st.evicted++;
			}
		}
	}
	c->st.zones = s->zused;
}

/*
 * The newest window moved past `widx`: snapshot every detail block into
 * that window's slot and start the sets over, so each window is judged on
 * the names that arrived while it was the newest (records arrive about in
 * time order; stragglers count in the next period).  O(detail blocks).
 */
/*
 * The period's identified clients: the guaranteed queries (count minus
 * error) of the top few_k into *top, then merged into the evidence summary
 * (guaranteed parts as weights, the rest only as total, so spoofed clients
 * keep a share of about 0) and started over.  O(K x K).
 */
static void
clients_period_end(struct fw_dns_state *s, struct zdetail *x, uint32_t *top)
{
	struct fw_topk *p = &x->pclients;
	uint32_t order[FW_TOPK_K];
	uint64_t g, sum = 0, t = 0;

	fw_topk_order(p, order);
	for (uint32_t i = 0; i < p->n; i++) {
		g = p->cnt[order[i]] - p->err[order[i]];
		if (i < s->few_k)
			t += g;
		if (g == 0)
			continue;
		x->client_addr[fw_topk_add(&x->clients, p->key[order[i]], g)] = x->paddr[order[i]];
		sum += g;
	}
	x->clients.total += p->total - sum;
	*top = t > UINT32_MAX ? UINT32_MAX : (uint32_t)t;
	fw_topk_init(p, 8);
}

void
dns_period_end(struct fw_dns_state *s, int64_t widx, int64_t next_close)
{
	for (size_t i = 0; i < s->ndet; i++) {
		struct zdetail *x = &s->det[i];
		struct zone *z;
		struct zwin *w;
		uint32_t idq = x->pclients.total > UINT32_MAX ? UINT32_MAX : (uint32_t)x->pclients.total, top;

		if (x->owner == NONE32)
			continue;
		z = &s->z[x->owner];
		clients_period_end(s, x, &top);
		if (widx >= next_close) {
			w = zslot(s, z, widx);
			if (w->tag != widx + 1) {
				memset(w, 0, sizeof(*w));
				w->tag = widx + 1;
			}
			w->snap = 1;
			w->saturated = fw_xset_saturated(&x->names);
			w->distinct = x->names.n;
			w->singletons = fw_xset_singletons(&x->names);
			w->named_q = (uint32_t)x->names.offered;
			w->ratio = x->names.n ? (float)((double)x->names.offered / x->names.n) : 0;
			/* queries / (distinct names + new pairs among repeats) */
			w->repeat = x->names.n ? (float)((double)x->names.offered /
			    ((double)x->names.n + x->pairs.n)) : 0;
			w->name_ent = (float)fw_ent16_value(&z->name_ent);
			w->label_ent = (float)fw_entropy_bits(z->lchar, NLCHAR);
			w->partial = x->partial;
			w->top_q = top;
			w->id_q = idq;
		}
		x->partial = 0;
		fw_xset_clear(&x->names);
		fw_xset_clear(&x->pairs);
		memset(&z->name_ent, 0, sizeof(z->name_ent));
		memset(z->lchar, 0, sizeof(z->lchar));
	}
}

/*
 * Take a batch.  Random names to many zones miss the cache three times in
 * a row (index slot, zone, name-set slot); a software pipeline prefetches
 * each a few records ahead so the misses overlap.
 */
#define DPF ((size_t)4)        /* records between pipeline stages */

void
dns_take_batch(struct det_core *c, struct fw_dns_state *s, const struct fw_dnsq *q, size_t n)
{
	struct dnspre pre[4 * DPF];

	for (size_t i = 0; i < n + 3 * DPF; i++) {
		if (i < n) {
			struct dnspre *p = &pre[i % (4 * DPF)];

			dns_prep(&q[i], p);
			if (p->len > 0)
				__builtin_prefetch(fw_hashtab_home(&s->zidx, ix_hash(p->ph)));
		}
		if (i >= DPF && i - DPF < n) {
			const struct dnspre *p = &pre[(i - DPF) % (4 * DPF)];
			uint32_t e = p->len > 0 ? fw_hashtab_peek(&s->zidx, ix_hash(p->ph)) : FW_HASHTAB_NONE;

			if (e != FW_HASHTAB_NONE)
				__builtin_prefetch(&s->z[e]);
		}
		if (i >= 2 * DPF && i - 2 * DPF < n) {
			const struct dnspre *p = &pre[(i - 2 * DPF) % (4 * DPF)];
			uint32_t e = p->len > 0 ? fw_hashtab_peek(&s->zidx, ix_hash(p->ph)) : FW_HASHTAB_NONE;

			if (e != FW_HASHTAB_NONE) {
				const struct zone *z = &s->z[e];

				if (z->detail != NONE32) {
					const struct fw_xset *x = &s->det[z->detail].names;

					__builtin_prefetch(&x->slot[(uint32_t)p->fp & x->mask]);
				}
			}
		}
		if (i >= 3 * DPF)
			dns_take(c, s, &q[i - 3 * DPF], &pre[(i - 3 * DPF) % (4 * DPF)]);
	}
}
