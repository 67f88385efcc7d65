/*
 * detect_shard.c - what lets the detector run as shards: the shard key and
 * the split of the tables (fw_detect.h, "Shards").
 *
 * The key must keep together what one rule looks at.  Flows: a host victim
 * and the aggregate it feeds (carpet bombs, the dominance rule), so the key
 * is the aggregate, found by agg_prefix() itself (a detector built with no
 * tables, only its networks and config) so routing and aggregation can
 * never disagree.  DNS: a zone rolls up to its registrable domain and to
 * the longest dns.zones entry above it; a dns.zones entry is never a public
 * suffix (fw_detect_check_config), so it lies at or under the registrable
 * domain, and the registrable domain of the parent zone is the key.
 */
#include "fw_detect.h"

#include <libpsl.h>
#include <stdlib.h>
#include <string.h>

#include "detect_flow_int.h"

#define KEY_SEED 0x9e3779b97f4a7c15ULL

struct fw_detect_key {
	struct fw_detect *d;       /* nets, nnets and cfg only: for agg_prefix() */
	const psl_ctx_t *psl;
};

int
fw_detect_key_new(const struct fw_config *cfg, struct fw_detect_key **out)
{
	struct fw_detect_key *k;
	char err[128];
	int rc = FW_ENOMEM;

	if ((k = calloc(1, sizeof(*k))) == NULL || (k->d = calloc(1, sizeof(*k->d))) == NULL)
		goto fail;
	k->d->core.cfg = *cfg;
	if ((rc = det_parse_networks(cfg->networks, k->d->nets, &k->d->nnets, err, sizeof(err))) != FW_OK)
		goto fail;
	if ((k->psl = psl_builtin()) == NULL) {
		rc = FW_EUNSUPPORTED;
		goto fail;
	}
	*out = k;
	return FW_OK;
fail:
	fw_detect_key_free(k);
	return rc;
}

void
fw_detect_key_free(struct fw_detect_key *k)
{
	if (k == NULL)
		return;
	free(k->d);
	free(k);
}

uint64_t
fw_detect_key_flow(const struct fw_detect_key *k, const struct fw_flow *f)
{
	const struct net *net;
	struct fw_addr agg;
	int plen = agg_prefix(k->d, &f->dst, &net, &agg);

	/* No aggregate (a host entry, auto prefixes off) or not watched: the host. */
	return plen > 0 ? victim_hash(&agg, (uint8_t)plen) : victim_hash(&f->dst, 128);
}

uint64_t
fw_detect_key_dns(const struct fw_detect_key *k, const struct fw_dnsq *q)
{
	size_t len = strnlen(q->qname, q->qname_len < FW_QNAME_MAX ? q->qname_len : FW_QNAME_MAX);
	const char *dot = len > 0 ? memchr(q->qname, '.', len) : NULL, *reg;
	char parent[FW_QNAME_MAX + 1];
	size_t plen;

	/* No parent zone (as dns_prep decides): never a victim, any shard. */
	if (dot == NULL || dot == q->qname || (size_t)(dot - q->qname) + 1 >= len)
		return fw_hash64(fw_hash_bytes(q->qname, len, KEY_SEED));
	plen = len - (size_t)(dot - q->qname) - 1;
	memcpy(parent, dot + 1, plen);
	parent[plen] = '\0';
	/* NULL: the parent is a public suffix (ignored by the detector). */
	if ((reg = psl_registrable_domain(k->psl, parent)) == NULL)
		reg = parent;
	return fw_hash64(fw_hash_bytes(reg, strlen(reg), KEY_SEED));
}

static int64_t
split(int64_t v, int n, int64_t min)
{
	int64_t s = (v + n - 1) / n;

	return s < min ? min : s;
}

void
fw_detect_shard_config(const struct fw_config *cfg, int nshards, struct fw_config *out)
{
	*out = *cfg;
	if (nshards <= 1)
		return;
	/* The config's lower bounds (common/config.c) stay the floor. */
	out->max_victims = split(cfg->max_victims, nshards, 16);
	out->max_details = split(cfg->max_details, nshards, 16);
	out->dns_max_zones = split(cfg->dns_max_zones, nshards, 16);
	out->dns_detail_zones = split(cfg->dns_detail_zones, nshards, 1);
}
