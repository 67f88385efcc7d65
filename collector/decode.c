/*
 * decode.c - dispatch a UDP payload to its decoder by content (fw_decode.h).
 */
#include "fw_decode.h"

#include <stdlib.h>
#include <string.h>

#include "fw_dnswire.h"
#include "fw_log.h"
#include "fw_nf5.h"
#include "fw_nf9.h"
#include "fw_prefix.h"
#include "fw_sflow5.h"
#include "fw_time.h"
#include "fw_tmpl.h"

#define MAX_OVERRIDES 64

struct fw_decoder {
	struct fw_decode_stats st;
	struct fw_dnswire_info dnsinfo;  /* scratch */
	struct fw_tmpl_cache *tmpl;   /* NetFlow v9 + IPFIX templates, sampling, exporters */
	struct fw_flow_dec_stats fst;
	int64_t next_expire_ms;       /* template expiry sweep, every 10 s of arrival time */
	/* flow.sampling_override: exporters whose stated rate we replace */
	struct fw_prefix_list ov_prefix;
	uint32_t ov_rate[FW_PREFIX_LIST_MAX];
	/* sFlow: per-agent counters and the latest interface counters, in
	 * fixed tables (full: the newcomer is counted in *_full, not kept) */
	struct fw_sflow5_info sfinfo;        /* scratch */
	struct fw_sflow_agent *agents;       /* max_exporters */
	size_t nagents, max_agents;
	uint64_t agents_full;
	struct fw_sflow_if *ifs;             /* FW_SFLOW_IF_MAX */
	size_t nifs;
	uint64_t ifs_full;
	/* per flow exporter: durations and plausibility drops (fixed table,
	 * max_exporters; full: counted in profiles_full, not kept) */
	struct fw_flow_profile *prof;
	size_t nprof, max_prof, prof_last;
	uint64_t profiles_full;
};

/* Profile of (exporter, kind): the last hit first (a datagram's records
 * share an exporter), else a linear walk: per datagram, not per record. */
static struct fw_flow_profile *
profile_of(struct fw_decoder *d, const struct fw_addr *a, enum fw_payload_kind kind)
{
	struct fw_flow_profile *p;

	if (d->nprof > 0) {
		p = &d->prof[d->prof_last];
		if (p->kind == kind && memcmp(p->addr.b, a->b, 16) == 0)
			return p;
	}
	for (size_t i = 0; i < d->nprof; i++) {
		p = &d->prof[i];
		if (p->kind == kind && memcmp(p->addr.b, a->b, 16) == 0) {
			d->prof_last = i;
			return p;
		}
	}
	if (d->nprof == d->max_prof) {
		d->profiles_full++;
		return NULL;
	}
	p = &d->prof[d->nprof];
	memset(p, 0, sizeof(*p));
	p->addr = *a;
	p->kind = (uint8_t)kind;
	d->prof_last = d->nprof++;
	return p;
}

/* Bucket of a duration: 0 below 16 ms, then 8 per octave up to 2^25 ms. */
static unsigned
dur_bucket(uint64_t ms)
{
	unsigned o;

	if (ms < 16)
		return 0;
	if (ms >= (UINT64_C(1) << 25))
		return FW_DUR_BUCKETS - 1;
	o = 63u - (unsigned)__builtin_clzll(ms);            /* 4 .. 24 */
	/* 1 + (o - 4) * 8 + the three bits below the top one, which are
	 * (ms >> (o - 3)) - 8 */
	return 8 * o - 39 + (unsigned)(ms >> (o - 3));
}

int64_t
fw_flow_profile_duration_ms(const struct fw_flow_profile *p, double q)
{
	uint64_t acc = 0;

	if (p->dur_n == 0)
		return 0;
	for (unsigned b = 0; b < FW_DUR_BUCKETS; b++) {
		acc += p->dur[b];
		if (p->dur[b] > 0 && (double)acc >= q * (double)p->dur_n)
			return (int64_t)(p->dur_ms[b] / p->dur[b]);
	}
	return 0;
}

static inline bool
plausible(const struct fw_flow *f)
{
	uint64_t p = f->pkts, b = f->bytes;
	int64_t dur;

	/* Nearly every record: b within the link rate over 1 s (below), and
	 * then 20 p <= b <= 65535 p as the tests below judge it (p = b = 0
	 * passes, p = 0 < b fails); p <= b, which 20 p <= b implies, keeps
	 * both products from overflowing. */
	if (b <= (uint64_t)(FW_MAX_LINK_BPS / 8))
		return p <= b && p * 20 <= b && b <= p * 65535;
	if (p == 0 && b == 0)
		return true;
	/* b < 20 p or b > 65535 p, without division or overflow: a p too big
	 * for the product is more than b / 20, and 65535 p is then above b. */
	if (p == 0 || p > UINT64_MAX / 20 || p * 20 > b)
		return false;
	if (p <= UINT64_MAX / 65535 && b > p * 65535)
		return false;
	/* Within the link rate over the shortest duration counted (1 s), so
	 * within it over any: no division for nearly every record.  In
	 * integers, the same as (double)b * 8 <= FW_MAX_LINK_BPS while that
	 * / 8 is a whole number below 2^53: such a b converts exactly, and
	 * every b above 2^53 fails both. */
	if (b <= (uint64_t)(FW_MAX_LINK_BPS / 8))
		return true;
	dur = f->start_ms > 0 && f->start_ms < f->end_ms ? f->end_ms - f->start_ms : 0;
	return (double)b * 8.0 * 1000.0 / (double)(dur > 1000 ? dur : 1000) <= FW_MAX_LINK_BPS;
}

bool
fw_flow_plausible(const struct fw_flow *f)
{
	return plausible(f);
}

size_t
fw_decoder_flow_profiles(const struct fw_decoder *d, const struct fw_flow_profile **out)
{
	*out = d->prof;
	return d->nprof;
}

/* A record dropped by screen_flows(): counted and logged (rate-limited). */
static void
screen_drop(struct fw_decoder *d, struct fw_flow_profile *p, enum fw_payload_kind kind,
    const struct fw_addr *exporter, const struct fw_flow *r, enum fw_derr bad)
{
	char src[64];

	if (p != NULL) {
		if (bad == FW_DERR_ZERO_DST)
			p->zero_dst++;
		else
			p->implausible++;
	}
	d->st.errors[kind][bad]++;
	fw_addr_format(exporter, src, sizeof(src));
	FW_LOG_RL(FW_LOG_WARN, "decode", "%s record from %s dropped: %s (packets %llu, bytes %llu)",
	    fw_pkt_kind_name(kind), src, bad == FW_DERR_ZERO_DST ? "all-zero destination" :
	    "implausible counters", (unsigned long long)r->pkts, (unsigned long long)r->bytes);
}

/* A kept record's duration into its exporter's profile; may_decay: false
 * when the caller knows dur_n stays below the decay point. */
static inline __attribute__((always_inline)) void
profile_learn(struct fw_flow_profile *p, const struct fw_flow *r, bool may_decay)
{
	uint64_t ms;
	unsigned b;

	if (!(r->start_ms > 0 && r->start_ms <= r->end_ms))
		return;
	ms = (uint64_t)(r->end_ms - r->start_ms);
	b = dur_bucket(ms);
	p->dur[b]++;
	p->dur_ms[b] += ms;
	if (!may_decay) {
		p->dur_n++;
		return;
	}
	if (++p->dur_n >= (1u << 20)) {  /* decay: recent records weigh more */
		p->dur_n = 0;
		for (b = 0; b < FW_DUR_BUCKETS; b++) {
			p->dur_ms[b] = p->dur[b] > 1 ? p->dur_ms[b] / p->dur[b] * (p->dur[b] >> 1) : 0;
			p->dur_n += (p->dur[b] >>= 1);
		}
	}
}

/* The screen of records f[0..n) (screen_flows), compacted in place; quick:
 * p is not NULL and no record of these can reach the profile's decay. */
static inline __attribute__((always_inline)) size_t
screen_run(struct fw_decoder *d, enum fw_payload_kind kind, const struct fw_addr *exporter,
    struct fw_flow_profile *p, struct fw_flow *f, size_t n, bool quick)
{
	static const uint8_t zero4[8] = { 0, 0, 0xff, 0xff, 0, 0, 0, 0 };  /* ::ffff:0.0.0.0, 2nd half */
	uint64_t z4;
	size_t k = 0;

	memcpy(&z4, zero4, 8);
	for (size_t i = 0; i < n; i++) {
		const struct fw_flow *r = &f[i];
		uint64_t lo, hi;
		uint32_t last;

		/* Its last 4 bytes are zero: only then can it be :: or ::ffff:0.0.0.0 */
		memcpy(&last, r->dst.b + 12, 4);
		if (last == 0) {
			memcpy(&lo, r->dst.b, 8);
			memcpy(&hi, r->dst.b + 8, 8);
			if (lo == 0 && (hi == 0 || hi == z4)) {
				screen_drop(d, p, kind, exporter, r, FW_DERR_ZERO_DST);
				continue;
			}
		}
		if (!plausible(r)) {
			screen_drop(d, p, kind, exporter, r, FW_DERR_IMPLAUSIBLE);
			continue;
		}
		if (quick || p != NULL)
			profile_learn(p, r, !quick);
		if (k != i)
			f[k] = f[i];
		k++;
	}
	return k;
}

/*
 * Every flow record of a datagram: learn its duration, drop (and count)
 * the implausible and those with an all-zero destination; returns how
 * many are kept (compacted in place, order kept).
 */
static size_t
screen_flows(struct fw_decoder *d, enum fw_payload_kind kind, const struct fw_addr *exporter,
    struct fw_flow *f, size_t n)
{
	struct fw_flow_profile *p = profile_of(d, exporter, kind);

	if (p == NULL)
		return screen_run(d, kind, exporter, NULL, f, n, false);
	p->records += n;
	if (p->dur_n + n < (1u << 20))
		return screen_run(d, kind, exporter, p, f, n, true);
	return screen_run(d, kind, exporter, p, f, n, false);
}

static struct fw_sflow_agent *
sflow_agent(struct fw_decoder *d, const struct fw_addr *a, uint32_t sub)
{
	/* Linear over a small table: agents number in the tens; the lookup is
	 * per datagram, not per record. */
	for (size_t i = 0; i < d->nagents; i++)
		if (d->agents[i].sub_agent == sub && memcmp(d->agents[i].addr.b, a->b, 16) == 0)
			return &d->agents[i];
	if (d->nagents == d->max_agents) {
		d->agents_full++;
		return NULL;
	}
	memset(&d->agents[d->nagents], 0, sizeof(d->agents[0]));
	d->agents[d->nagents].addr = *a;
	d->agents[d->nagents].sub_agent = sub;
	return &d->agents[d->nagents++];
}

static void
sflow_account(struct fw_decoder *d, int64_t at)
{
	const struct fw_sflow5_info *in = &d->sfinfo;
	struct fw_sflow_agent *ag = sflow_agent(d, &in->agent, in->sub_agent_id);

	if (ag == NULL)
		return;
	if (ag->seq_valid && in->seq > ag->next_seq)
		ag->seq_lost += in->seq - ag->next_seq;  /* datagrams we never saw */
	ag->seq_valid = 1;
	ag->next_seq = in->seq + 1;
	ag->datagrams++;
	ag->flow_samples += in->flow_samples;
	ag->counter_samples += in->counter_samples;
	ag->bad_samples += in->bad_samples;
	ag->discard_samples += in->discard_samples;
	ag->other_samples += in->other_samples;
	ag->drops = in->drops > ag->drops ? in->drops : ag->drops;
	ag->last_seen_ms = at;
	for (uint32_t i = 0; i < in->n_ifc; i++) {
		const struct fw_sflow5_ifc *c = &in->ifc[i];
		size_t k;

		for (k = 0; k < d->nifs; k++)
			if (d->ifs[k].if_index == c->if_index && memcmp(d->ifs[k].agent.b, in->agent.b, 16) == 0)
				break;
		if (k == d->nifs) {
			if (d->nifs == FW_SFLOW_IF_MAX) {
				d->ifs_full++;
				continue;
			}
			d->nifs++;
		}
		d->ifs[k].agent = in->agent;
		d->ifs[k].if_index = c->if_index;
		d->ifs[k].c = *c;
		d->ifs[k].at_ms = at;
	}
}

size_t
fw_decoder_sflow_agents(const struct fw_decoder *d, const struct fw_sflow_agent **out)
{
	*out = d->agents;
	return d->nagents;
}

size_t
fw_decoder_sflow_ifs(const struct fw_decoder *d, const struct fw_sflow_if **out)
{
	*out = d->ifs;
	return d->nifs;
}

int
fw_sampling_override_parse(const char *text, struct fw_prefix_list *pl, uint32_t *rates,
    char *err, size_t errlen)
{
	char buf[FW_CFG_STR_MAX], *save = NULL;

	pl->n = 0;
	snprintf(buf, sizeof(buf), "%s", text);
	for (char *tok = strtok_r(buf, ", ", &save); tok != NULL; tok = strtok_r(NULL, ", ", &save)) {
		char *eq = strchr(tok, '='), *end;
		long rate;

		if (eq == NULL || pl->n == FW_PREFIX_LIST_MAX) {
			snprintf(err, errlen, "'%s': expected PREFIX=RATE (at most %d)", tok, FW_PREFIX_LIST_MAX);
			return FW_EINVAL;
		}
		*eq = '\0';
		rate = strtol(eq + 1, &end, 10);
		if (fw_prefix_parse(tok, &pl->p[pl->n]) != FW_OK || *end != '\0' || rate < 1 || rate > 1000000) {
			snprintf(err, errlen, "'%s=%s': expected PREFIX=RATE with RATE 1..1000000", tok, eq + 1);
			return FW_EINVAL;
		}
		rates[pl->n++] = (uint32_t)rate;
	}
	return FW_OK;
}

int
fw_decode_check_config(const struct fw_config *cfg, char *err, size_t errlen)
{
	struct fw_prefix_list pl;
	uint32_t rates[FW_PREFIX_LIST_MAX];
	char msg[200];

	if (fw_sampling_override_parse(cfg->flow_sampling_override, &pl, rates, msg, sizeof(msg)) != FW_OK) {
		snprintf(err, errlen, "flow.sampling_override: %s", msg);
		return FW_EINVAL;
	}
	return FW_OK;
}

int
fw_decoder_new(const struct fw_config *cfg, struct fw_decoder **out)
{
	struct fw_decoder *d = calloc(1, sizeof(*d));
	struct fw_tmpl_cfg tc;
	char err[200];
	int rc;

	if (d == NULL)
		return FW_ENOMEM;
	fw_tmpl_cfg_default(&tc);
	tc.max_templates = (uint32_t)cfg->flow_max_templates;
	tc.max_templates_per_exporter = (uint32_t)cfg->flow_max_templates_per_exporter;
	tc.max_exporters = (uint32_t)cfg->flow_max_exporters;
	tc.max_samplers = (uint32_t)cfg->flow_max_exporters;
	tc.pending_slots = (uint32_t)cfg->flow_pending_slots;
	tc.template_timeout_ms = cfg->flow_template_timeout_ms;
	tc.default_sampling = (uint32_t)cfg->flow_default_sampling;
	d->max_agents = (size_t)cfg->flow_max_exporters;
	d->agents = calloc(d->max_agents, sizeof(*d->agents));
	d->ifs = calloc(FW_SFLOW_IF_MAX, sizeof(*d->ifs));
	d->max_prof = (size_t)cfg->flow_max_exporters;
	d->prof = calloc(d->max_prof, sizeof(*d->prof));
	if (d->agents == NULL || d->ifs == NULL || d->prof == NULL) {
		fw_decoder_free(d);
		return FW_ENOMEM;
	}
	if ((rc = fw_tmpl_cache_new(&tc, &d->tmpl)) != FW_OK ||
	    (rc = fw_sampling_override_parse(cfg->flow_sampling_override, &d->ov_prefix, d->ov_rate,
	    err, sizeof(err))) != FW_OK) {
		fw_decoder_free(d);
		return rc;
	}
	*out = d;
	return FW_OK;
}

struct fw_tmpl_cache *
fw_decoder_templates(struct fw_decoder *d)
{
	return d->tmpl;
}

/* flow.sampling_override: rescale records whose exporter is listed. */
static void
apply_override(struct fw_decoder *d, const struct fw_addr *exporter, struct fw_flow *f, size_t n)
{
	int i = fw_prefix_list_match(&d->ov_prefix, exporter);
	uint32_t rate;

	if (i < 0)
		return;
	rate = d->ov_rate[i];
	for (size_t k = 0; k < n; k++) {
		uint32_t had = f[k].sampling ? f[k].sampling : 1;  /* pkts = raw x had, exactly */
		f[k].pkts = f[k].pkts / had > UINT64_MAX / rate ? UINT64_MAX : f[k].pkts / had * rate;
		f[k].bytes = f[k].bytes / had > UINT64_MAX / rate ? UINT64_MAX : f[k].bytes / had * rate;
		f[k].sampling = rate;
	}
}

/*
 * A DNS packet: a query or response becomes one fw_dnsq.  A message cut
 * short after its question (snaplen, or lying counts) still counts: the
 * question is what the detector needs.
 */
static int
decode_dns(struct fw_decoder *d, const struct fw_udp *u, int64_t at, uint8_t flags, struct fw_dnsq *out,
    size_t max)
{
	int rc = fw_dnswire_parse(u->payload, u->len, &d->dnsinfo);

	if (rc != FW_OK && !(d->dnsinfo.have & FW_DNSWIRE_HAVE_QUESTION))
		return rc;
	if (max == 0)
		return FW_EFULL;
	rc = fw_dnswire_to_dnsq(&d->dnsinfo, at, &u->src, &u->dst, FW_DNS_PCAP, flags, out);
	return rc == FW_OK ? 1 : rc;
}

void
fw_decoder_free(struct fw_decoder *d)
{
	if (d == NULL)
		return;
	fw_tmpl_cache_free(d->tmpl);
	free(d->agents);
	free(d->ifs);
	free(d->prof);
	free(d);
}

static enum fw_derr
derr_of(int rc)
{
	switch (rc) {
	case FW_ETRUNC: return FW_DERR_TRUNC;
	case FW_EMALFORMED: return FW_DERR_MALFORMED;
	case FW_ENOTEMPLATE: return FW_DERR_NOTEMPLATE;
	case FW_EUNSUPPORTED: return FW_DERR_UNSUPPORTED;
	default: return FW_DERR_OTHER;
	}
}

const char *
fw_derr_name(enum fw_derr e)
{
	static const char *const names[FW_DERR_N] = {
		"truncated", "malformed", "no_template", "unsupported", "template_full", "other",
		"implausible", "zero_dst"
	};

	return (unsigned)e < FW_DERR_N ? names[e] : "other";
}

static void
count_error(struct fw_decoder *d, enum fw_payload_kind kind, int rc, const struct fw_udp *u)
{
	char src[64];

	d->st.errors[kind][derr_of(rc)]++;
	if (rc == FW_EUNSUPPORTED)
		return;  /* counted; not an input fault worth a log line */
	fw_addr_format(&u->src, src, sizeof(src));
	FW_LOG_RL(FW_LOG_WARN, "decode", "dropped %s datagram from %s (%zu bytes): %s",
	    fw_pkt_kind_name(kind), src, u->len, fw_strerror(rc));
}

/*
 * The template decoder counts drops inside a datagram it otherwise decodes
 * (and returns >= 0 for), in the decoder-wide d->fst; hand the growth of
 * those counters since `before` to the per-format counters.  Per datagram,
 * not per record: FW_DEC_NREASONS additions.
 */
static void
count_tmpl(struct fw_decoder *d, enum fw_payload_kind kind, const uint64_t before[FW_DEC_NREASONS])
{
	const uint64_t *now = d->fst.err;
	uint64_t moved = 0;

	/* Nearly always nothing moved: one pass of compares, no stores. */
	for (int r = 0; r < FW_DEC_NREASONS; r++)
		moved |= now[r] ^ before[r];
	if (moved == 0)
		return;
	for (int r = 0; r < FW_DEC_NREASONS; r++)
		d->st.tmpl[kind][r] += now[r] - before[r];
	d->st.errors[kind][FW_DERR_NOTEMPLATE] += now[FW_DEC_UNDECODABLE] - before[FW_DEC_UNDECODABLE];
	d->st.errors[kind][FW_DERR_TMPL_FULL] += now[FW_DEC_TMPL_FULL] - before[FW_DEC_TMPL_FULL];
}

enum fw_payload_kind
fw_decoder_udp(struct fw_decoder *d, const struct fw_udp *u, int64_t arrival_ms,
    struct fw_flow *flows, size_t maxflows, size_t *nflows,
    struct fw_dnsq *dns, size_t maxdns, size_t *ndns)
{
	enum fw_payload_kind kind = fw_pkt_sniff(u->payload, u->len);
	uint64_t before[FW_DEC_NREASONS];
	int rc;

	*nflows = 0;
	*ndns = 0;
	d->st.datagrams[kind]++;
	switch (kind) {
	case FW_PAYLOAD_NF5:
		rc = fw_nf5_decode(u->payload, u->len, &u->src, flows, maxflows, NULL);
		break;
	case FW_PAYLOAD_NF9:
	case FW_PAYLOAD_IPFIX:
		memcpy(before, d->fst.err, sizeof(before));
		if (kind == FW_PAYLOAD_NF9)
			rc = fw_nf9_decode(d->tmpl, u->payload, u->len, &u->src, arrival_ms, flows, maxflows, &d->fst);
		else
			rc = fw_ipfix_decode(d->tmpl, u->payload, u->len, &u->src, arrival_ms, flows, maxflows, &d->fst);
		if (arrival_ms >= d->next_expire_ms) {
			/* Bounded by the table size, every 10 s: off the per-record path. */
			(void)fw_tmpl_cache_expire(d->tmpl, arrival_ms, &d->fst);
			d->next_expire_ms = arrival_ms + 10000;
		}
		count_tmpl(d, kind, before);
		break;
	case FW_PAYLOAD_SFLOW5:
		rc = fw_sflow5_decode(u->payload, u->len, &u->src, arrival_ms, flows, maxflows, &d->sfinfo);
		for (int t = 0; t < FW_SFLOW5_S_N; t++)
			d->st.sflow_samples[t] += d->sfinfo.by_type[t];
		d->st.sflow_records_skipped += d->sfinfo.skipped_records;
		d->st.sflow_records_enterprise += d->sfinfo.enterprise_records;
		if (rc >= 0)
			sflow_account(d, arrival_ms);
		break;
	case FW_PAYLOAD_DNS:
		rc = decode_dns(d, u, arrival_ms, 0, dns, maxdns);
		if (rc > 0) {
			*ndns = (size_t)rc;
			d->st.records[kind] += (uint64_t)rc;
			return kind;
		}
		break;
	default:
		rc = FW_EUNSUPPORTED;  /* unknown payload, or a format not decoded yet */
		break;
	}
	if (rc < 0) {
		count_error(d, kind, rc, u);
		return kind;
	}
	*nflows = (size_t)rc;
	if (d->ov_prefix.n > 0 && rc > 0)
		apply_override(d, &u->src, flows, (size_t)rc);
	if (rc > 0)
		*nflows = screen_flows(d, kind, &u->src, flows, (size_t)rc);
	d->st.records[kind] += (uint64_t)*nflows;
	return kind;
}

size_t
fw_decoder_dns(struct fw_decoder *d, const struct fw_udp *msg, int64_t at_ms, uint8_t flags,
    struct fw_dnsq *out, size_t max)
{
	int rc;

	d->st.datagrams[FW_PAYLOAD_DNS]++;
	rc = decode_dns(d, msg, at_ms, flags, out, max);
	if (rc > 0) {
		d->st.records[FW_PAYLOAD_DNS] += (uint64_t)rc;
		return (size_t)rc;
	}
	count_error(d, FW_PAYLOAD_DNS, rc, msg);
	return 0;
}

void
fw_decoder_flush(struct fw_decoder *d)
{
	uint64_t before[FW_DEC_NREASONS];

	memcpy(before, d->fst.err, sizeof(before));
	(void)fw_tmpl_cache_flush_pending(d->tmpl, 9, &d->fst);
	count_tmpl(d, FW_PAYLOAD_NF9, before);
	memcpy(before, d->fst.err, sizeof(before));
	(void)fw_tmpl_cache_flush_pending(d->tmpl, 10, &d->fst);
	count_tmpl(d, FW_PAYLOAD_IPFIX, before);
}

const struct fw_decode_stats *
fw_decoder_stats(const struct fw_decoder *d)
{
	return &d->st;
}

void
fw_decode_stats_add(struct fw_decode_stats *a, const struct fw_decode_stats *b)
{
	for (int k = 0; k < FW_PAYLOAD_KINDS; k++) {
		a->datagrams[k] += b->datagrams[k];
		a->records[k] += b->records[k];
		for (int e = 0; e < FW_DERR_N; e++)
			a->errors[k][e] += b->errors[k][e];
		for (int r = 0; r < FW_DEC_NREASONS; r++)
			a->tmpl[k][r] += b->tmpl[k][r];
	}
	for (int t = 0; t < FW_SFLOW5_S_N; t++)
		a->sflow_samples[t] += b->sflow_samples[t];
	a->sflow_records_skipped += b->sflow_records_skipped;
	a->sflow_records_enterprise += b->sflow_records_enterprise;
}
