/*
 * tmpl.c - the template cache shared by NetFlow v9 and IPFIX (see fw_tmpl.h).
 *
 * Design
 *  - Fixed-capacity tables (templates, sampling rates, exporters), each an
 *    entry pool with a free list indexed by fw_hashtab (common/hashtab.c).  Keys are (version, exporter address,
 *    domain, id), 32 bytes, compared with memcmp (always fully written).
 *  - A template is compiled once into `ops`: for a fixed-length template one
 *    (offset, length, kind) per field we use, unused fields dropped, grouped
 *    by width (1, 2, 4, 8 bytes, then the rest) so a record is a few tight
 *    load loops without a switch per field (a kind given twice: the last
 *    field wins, as in a walk); for a
 *    template with variable-length fields (IPFIX, RFC 7011 s7) a sequence
 *    walked with a cursor, adjacent unused fixed fields merged into one skip.
 *    Field lengths are checked against the kind at compile time (address 4
 *    or 16 bytes, integers 1..8 bytes: reduced-size encoding, RFC 7011 s6.2);
 *    a field of the wrong size is skipped, never misread.
 *  - Decoding a record writes integers into v[kind] and addresses straight
 *    into the output; which kinds are present is a per-template bitmask, so
 *    finishing a record (times, counters, sampling) branches on a constant.
 *  - Data sets whose template is unknown are copied into one of a few
 *    pending slots allocated at creation, decoded when a datagram brings a
 *    template for that exporter, else dropped as undecodable when the slot
 *    is evicted (oldest first) or older than pending_timeout_ms.
 *
 * Invariants: every entry in use has exactly one index slot; tmpl.min_len >=
 * 1, so every record loop consumes at least one byte per turn; nops <=
 * nspecs <= FW_TMPL_MAX_FIELDS.
 *
 * The state file (save/load across restarts) is tmpl_state.c; it sees the
 * cache only through the fw_tmpl_each_* / fw_tmpl_*restore view of
 * tmpl_int.h.
 *
 * Threads: one cache per collector thread; no locks, no allocation after
 * fw_tmpl_cache_new() except in save/load.
 */
#include "fw_tmpl.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fw_cur.h"
#include "fw_hashtab.h"
#include "fw_log.h"
#include "fw_pkt.h"
#include "tmpl_int.h"

/* What a field means to us.  Kinds index v[] and the template's mask. */
enum kind {
	K_SKIP = 0, K_VAR,                 /* unused fixed / variable-length field */
	K_SRC4, K_DST4, K_SRC6, K_DST6,    /* addresses, copied to the flow */
	K_SPORT, K_DPORT, K_PROTO, K_TCPFLAGS, K_TOS, K_TTL_MIN, K_TTL_MAX, K_TTL,
	K_IN_IF, K_OUT_IF, K_ICMP,
	K_IN_BYTES, K_IN_PKTS, K_OUT_BYTES, K_OUT_PKTS, K_TOT_BYTES, K_TOT_PKTS,
	K_UP_FIRST, K_UP_LAST,             /* 22/21: sysUptime ms */
	K_START_S, K_END_S, K_START_MS, K_END_MS,
	K_START_US, K_END_US, K_START_NS, K_END_NS,  /* NTP format */
	K_START_DUS, K_END_DUS,            /* microseconds before export */
	K_DUR_MS, K_DUR_US, K_SYSINIT,
	K_SAMPLER_ID, K_INTERVAL, K_PKT_INTERVAL, K_PKT_SPACE, K_SAMP_SIZE, K_SAMP_POP,
	K_IPVER,                           /* 60: ipVersion, picks the family of dual templates */
	/* RFC 5103 reverse direction (enterprise 29305): a biflow's second flow */
	K_R_BYTES, K_R_PKTS, K_R_TOT_BYTES, K_R_TOT_PKTS, K_R_TCPFLAGS,
	/* PSAMP packet reports (RFC 5476/5477): the sampled packet itself */
	K_L2SEC, K_L3SEC,                  /* 315 dataLinkFrameSection, 313/317 IP sections */
	K_FRAME_SIZE, K_IPLEN,             /* 312 dataLinkFrameSize; 224/190 IP total length */
	K_NKINDS
};
_Static_assert(K_NKINDS <= 64, "kind mask is 64 bits");

#define M(k) (UINT64_C(1) << (k))
#define NTP_UNIX_OFFSET_S INT64_C(2208988800)  /* 1900-01-01 to 1970-01-01 */
#define M_ADDR (M(K_SRC4) | M(K_DST4) | M(K_SRC6) | M(K_DST6))
#define M_PKTS (M(K_IN_PKTS) | M(K_TOT_PKTS) | M(K_OUT_PKTS))
#define M_BYTES (M(K_IN_BYTES) | M(K_TOT_BYTES) | M(K_OUT_BYTES))
#define M_SEC (M(K_L2SEC) | M(K_L3SEC))
#define M_V4 (M(K_SRC4) | M(K_DST4))
#define M_SAMPLING (M(K_SAMPLER_ID) | M(K_INTERVAL) | M(K_PKT_INTERVAL) | M(K_SAMP_SIZE))
#define M_V6 (M(K_SRC6) | M(K_DST6))
#define M_REV (M(K_R_BYTES) | M(K_R_PKTS) | M(K_R_TOT_BYTES) | M(K_R_TOT_PKTS))

/* v9 field type / IPFIX information element number -> kind (IANA registry;
 * v9 types below 128 are the same numbers, and v9 exporters such as pmacct
 * use IPFIX numbers above 127: tests/data/udpflood_nf9.pcap sends 152/153). */
static uint8_t
field_kind(uint16_t type)
{
	switch (type) {
	case 1:   return K_IN_BYTES;    /* IN_BYTES / octetDeltaCount */
	case 2:   return K_IN_PKTS;     /* IN_PKTS / packetDeltaCount */
	case 4:   return K_PROTO;
	case 5:   return K_TOS;
	case 6:   return K_TCPFLAGS;
	case 7:   return K_SPORT;
	case 8:   return K_SRC4;
	case 10:  return K_IN_IF;
	case 11:  return K_DPORT;
	case 12:  return K_DST4;
	case 14:  return K_OUT_IF;
	case 21:  return K_UP_LAST;     /* LAST_SWITCHED / flowEndSysUpTime */
	case 22:  return K_UP_FIRST;    /* FIRST_SWITCHED / flowStartSysUpTime */
	case 23:  return K_OUT_BYTES;   /* OUT_BYTES / postOctetDeltaCount */
	case 24:  return K_OUT_PKTS;
	case 27:  return K_SRC6;
	case 28:  return K_DST6;
	case 32:                        /* ICMP_TYPE / icmpTypeCodeIPv4 */
	case 139: return K_ICMP;        /* icmpTypeCodeIPv6 */
	case 34:  return K_INTERVAL;    /* SAMPLING_INTERVAL / samplingInterval */
	case 48:  return K_SAMPLER_ID;  /* FLOW_SAMPLER_ID / samplerId */
	case 50:  return K_INTERVAL;    /* FLOW_SAMPLER_RANDOM_INTERVAL */
	case 52:  return K_TTL_MIN;
	case 53:  return K_TTL_MAX;
	case 85:  return K_TOT_BYTES;   /* octetTotalCount */
	case 86:  return K_TOT_PKTS;
	case 150: return K_START_S;
	case 151: return K_END_S;
	case 152: return K_START_MS;
	case 153: return K_END_MS;
	case 154: return K_START_US;
	case 155: return K_END_US;
	case 156: return K_START_NS;
	case 157: return K_END_NS;
	case 158: return K_START_DUS;
	case 159: return K_END_DUS;
	case 160: return K_SYSINIT;
	/* observationTime*: when a packet report's packet was seen (RFC 5477) */
	case 322: return K_END_S;
	case 323: return K_END_MS;
	case 324: return K_END_US;
	case 325: return K_END_NS;
	case 161: return K_DUR_MS;
	case 162: return K_DUR_US;
	case 60:  return K_IPVER;       /* IP_PROTOCOL_VERSION / ipVersion */
	case 192: return K_TTL;         /* ipTTL */
	case 302: return K_SAMPLER_ID;  /* selectorId */
	case 305: return K_PKT_INTERVAL;
	case 306: return K_PKT_SPACE;
	case 309: return K_SAMP_SIZE;
	case 310: return K_SAMP_POP;
	case 104:                       /* layer2packetSectionData (Cisco v9) */
	case 315: return K_L2SEC;       /* dataLinkFrameSection */
	case 313:                       /* ipHeaderPacketSection */
	case 317: return K_L3SEC;       /* mplsPayloadPacketSection: IP after the labels */
	case 312: return K_FRAME_SIZE;  /* dataLinkFrameSize */
	case 190:                       /* totalLengthIPv4 */
	case 224: return K_IPLEN;       /* ipTotalLength */
	default:  return K_SKIP;        /* includes 35/49 sampling algorithm */
	}
}

#define PEN_REVERSE 29305u  /* RFC 5103: reverse information elements */

/* The reverse counterpart of an IANA element (RFC 5103 s6.1), if we use it. */
static uint8_t
reverse_kind(uint16_t type)
{
	switch (type) {
	case 1:   return K_R_BYTES;
	case 2:   return K_R_PKTS;
	case 6:   return K_R_TCPFLAGS;
	case 85:  return K_R_TOT_BYTES;
	case 86:  return K_R_TOT_PKTS;
	default:  return K_SKIP;
	}
}

static bool
is_section(uint8_t kind)
{
	return kind == K_L2SEC || kind == K_L3SEC;
}

struct tkey {
	uint8_t addr[16];
	uint64_t id;          /* template id, sampler id, or 0 for exporters */
	uint32_t domain;
	uint32_t version;
};
_Static_assert(sizeof(struct tkey) == 32, "tkey has no padding: memcmp-safe");

/* Every table entry starts with this. */
struct ehdr {
	struct tkey key;
	uint32_t used;
	uint32_t pad;
};

/* A fast plan's step classes (plan_fast), each run straight-line: the
 * field's width on the wire and where it goes (a field of struct fw_flow,
 * or v[]). */
enum fclass {
	FC_U8, FC_U16,          /* 1, 2 bytes into a flow field of that width */
	FC_U32,                 /* 4 bytes into a 4-byte flow field, or into the low half of
	                         * an 8-byte one (counters, times) the prototype zeroed */
	FC_U64,                 /* 8 bytes into an 8-byte flow field */
	FC_A4, FC_A16,          /* IPv4 / IPv6 address bytes, copied as they are */
	FC_V4, FC_V8,           /* 4, 8 bytes into v[kind] */
	FC_ANY,                 /* other widths: load_be(), then var says where */
	FC_N
};

/* Where in an 8-byte flow field its low half lies (FC_U32). */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define LOW_HALF 4
#else
#define LOW_HALF 0
#endif

/* rec_fast() runs the steps of a class straight-line, one run for each
 * count from 1 to fast_runs[class] (its RUN lines), named GRP(class,
 * steps) in a plan's gseq; a class's steps beyond that go to FC_ANY. */
#define FAST_MAX_STEPS 8
#define GRP(c, n) (1 + (c) * FAST_MAX_STEPS + (n) - 1)
static const uint8_t fast_runs[FC_N] = {
	[FC_U8] = 4, [FC_U16] = 2, [FC_U32] = 6, [FC_U64] = 4, [FC_A4] = 2, [FC_A16] = 2,
	[FC_V4] = 8, [FC_V8] = 8, [FC_ANY] = 0,
};
#define GRP_ANY 127  /* FC_ANY's steps, any number; the jump table spans 0..127 */
_Static_assert(GRP(FC_ANY, 1) < GRP_ANY, "gseq codes fit 7 bits");

/* How decode_fast() finds a record's times: the two common forms of a
 * template with both start and end, read from the flow's own start_ms and
 * end_ms where the plan stored the fields (as time_of() computes them,
 * without its dispatch per time); else flow_times() from v[]. */
enum tmode { TM_ANY, TM_UP9, TM_MS };

struct op {
	uint16_t off;         /* fixed templates: offset in the record */
	uint16_t len;         /* field bytes (K_VAR: unused) */
	uint8_t kind;         /* fast plan: offset in struct fw_flow, or the kind (v[]) */
	uint8_t var;          /* variable length on the wire (RFC 7011 s7); fast plan,
	                       * FC_ANY: bytes of the flow field, 0 = into v[kind] */
};

/* A compiled template: all that decoding a record needs. */
struct tdef {
	uint8_t options;      /* options template: records feed sampling state */
	uint8_t varlen;       /* has variable-length fields: walk with a cursor */
	uint16_t nspecs;
	uint16_t nscope;
	uint16_t min_len;     /* fixed: record length; varlen: minimum (>= 1) */
	uint16_t nops;
	uint16_t pad;
	uint16_t nw[4];       /* fixed: ops of 1, 2, 4, 8-byte integers first, then the rest */
	uint8_t tf[2];        /* enum tform of the start [0] and end [1] (time_form) */
	uint8_t tk[2];        /* ... and the kinds holding them */
	uint8_t kb, kp;       /* the kinds finish() counts bytes and packets from */
	uint8_t fast;         /* ops are a fast plan (plan_fast): decode_fast() */
	uint8_t tmode;        /* fast plan: enum tmode */
	uint8_t fn[FC_N];     /* fast plan: steps per class, in class order */
	uint8_t gseq[FC_N + 1];  /* fast plan: GRP(class, steps) of each class with steps, 0 ends */
	uint64_t mask;        /* M(kind) for every kind present */
	struct op ops[FW_TMPL_MAX_FIELDS];
	struct fw_tmpl_spec specs[FW_TMPL_MAX_FIELDS];  /* as received: for save */
};

struct tmpl {
	struct ehdr h;
	uint32_t grp;         /* entry of its group in cache->gr */
	uint32_t gprev, gnext;  /* its group's list: entry + 1, 0 = none */
	uint32_t lprev, lnext;  /* eviction list cache->lru[proven]: entry + 1 */
	uint8_t proven;       /* a record was decoded with it: lru[1], saved */
	uint8_t pad[3];
	int64_t updated_ms;   /* arrival of the last definition or refresh */
	int64_t used_ms;      /* arrival of the last data decoded with it */
	struct tdef d;
};

/* The templates of one (version, exporter, domain, kind), kind 2 = data,
 * 3 = options as in IPFIX withdraw-all ids: a withdrawal walks this list. */
struct tgroup {
	struct ehdr h;
	uint32_t head;        /* first template: entry + 1 */
	uint32_t n;           /* templates on the list (>= 1 while in use) */
	uint32_t owner;       /* entry of the exporter address in cache->ow */
	uint32_t pad;
};

/* Templates held by one exporter address, all versions and domains (quota). */
struct towner {
	struct ehdr h;
	uint32_t n;           /* >= 1 while in use */
	uint32_t pad;
};

/* A doubly linked list through struct tmpl (lprev/lnext), oldest at head. */
struct lru {
	uint32_t head, tail;  /* entry + 1, 0 = empty */
};

struct sampler {
	struct ehdr h;
	uint32_t rate;        /* 1-in-N */
	uint32_t pad;
	int64_t updated_ms;
};

struct exporter {
	struct ehdr h;
	struct fw_flow_exporter e;
};

struct tab {
	char *ent;            /* cap entries of esz bytes */
	size_t esz;
	uint32_t cap, n;
	uint32_t *freel;      /* free entry indexes (stack) */
	uint32_t nfree;
	struct fw_hashtab ix; /* key hash -> entry */
	struct tkey memo_key; /* tab_find_memo(): the last key asked ... */
	long memo_e;          /* ... and its entry or -1 */
	bool memo_ok;         /* cleared by every insert and remove */
};

struct pslot {
	uint8_t used;
	uint8_t version;
	uint16_t nsets;       /* sets stored */
	uint16_t ndone;       /* of which decoded */
	uint16_t pad;
	uint8_t addr[16];
	uint32_t domain;
	uint32_t uptime_ms;
	int64_t export_ms;
	int64_t arrival_ms;
	uint64_t age;         /* allocation order, oldest evicted first */
	uint32_t bytes;       /* used in buf: [tid u16][len u16][body] ... */
	uint8_t *buf;         /* pending_slot_bytes, inside cache->pend_buf */
};

struct fw_tmpl_cache {
	struct fw_tmpl_cfg cfg;
	struct tab tm;        /* struct tmpl */
	struct tab gr;        /* struct tgroup, as many slots as tm */
	struct tab ow;        /* struct towner, as many slots as tm */
	struct lru lru[2];    /* [0] never used for data, by definition; [1] by last use */
	struct tab sm;        /* struct sampler */
	struct tab ex;        /* struct exporter */
	struct pslot *pend;
	uint8_t *pend_buf;
	uint64_t pend_age;
};

/* ---- keys and the generic table ---------------------------------------- */

static void
key_make(struct tkey *k, uint8_t version, const uint8_t addr[16], uint32_t domain, uint64_t id)
{
	memcpy(k->addr, addr, 16);
	k->id = id;
	k->domain = domain;
	k->version = version;
}

static uint32_t
key_hash(const struct tkey *k)
{
	uint64_t w[4], h = UINT64_C(0x9e3779b97f4a7c15);

	memcpy(w, k, sizeof(w));
	for (int i = 0; i < 4; i++) {
		h ^= w[i];
		h *= UINT64_C(0xff51afd7ed558ccd);
		h ^= h >> 29;
	}
	return (uint32_t)(h ^ h >> 32);
}

static struct ehdr *
tab_at(const struct tab *t, uint32_t i)
{
	return (struct ehdr *)(void *)(t->ent + (size_t)i * t->esz);
}

static int
tab_init(struct tab *t, uint32_t cap, size_t esz)
{
	int err;

	memset(t, 0, sizeof(*t));
	if (cap == 0 || cap > (UINT32_C(1) << 24))
		return FW_EINVAL;
	t->esz = esz;
	t->cap = cap;
	if ((err = fw_hashtab_init(&t->ix, cap)) != FW_OK)
		return err;
	if ((t->ent = calloc(cap, esz)) == NULL ||
	    (t->freel = calloc(cap, sizeof(*t->freel))) == NULL)
		return FW_ENOMEM;
	for (uint32_t i = 0; i < cap; i++)
		t->freel[i] = cap - 1 - i;
	t->nfree = cap;
	return FW_OK;
}

static void
tab_fini(struct tab *t)
{
	free(t->ent);
	free(t->freel);
	fw_hashtab_fini(&t->ix);
	memset(t, 0, sizeof(*t));
}

/* Entry index of key k, or -1. */
static long
tab_find(const struct tab *t, const struct tkey *k, uint32_t h)
{
	struct fw_hashtab_probe p;
	uint32_t e;

	fw_hashtab_probe_start(&t->ix, h, &p);
	while ((e = fw_hashtab_probe_next(&t->ix, &p)) != FW_HASHTAB_NONE)
		if (memcmp(&tab_at(t, e)->key, k, sizeof(*k)) == 0)
			return (long)e;
	return -1;
}

/* tab_find() through a one-entry memo: the sets of a datagram, and the
 * datagrams of one exporter after it, ask for the same exporter, template
 * and sampler again and again (no hash, no probe: one 32-byte compare). */
static long
tab_find_memo(struct tab *t, const struct tkey *k)
{
	if (t->memo_ok && memcmp(&t->memo_key, k, sizeof(*k)) == 0)
		return t->memo_e;
	t->memo_e = tab_find(t, k, key_hash(k));
	t->memo_key = *k;
	t->memo_ok = true;
	return t->memo_e;
}

/* New zeroed entry for key k (caller knows k is absent), or -1 when full. */
static long
tab_insert(struct tab *t, const struct tkey *k, uint32_t h)
{
	uint32_t e;
	struct ehdr *eh;

	if (t->nfree == 0)
		return -1;
	e = t->freel[--t->nfree];
	fw_hashtab_insert(&t->ix, h, e);
	eh = tab_at(t, e);
	memset(eh, 0, t->esz);
	eh->key = *k;
	eh->used = 1;
	t->n++;
	t->memo_ok = false;
	return (long)e;
}

static void
tab_remove(struct tab *t, uint32_t e)
{
	struct ehdr *eh = tab_at(t, e);

	fw_hashtab_remove(&t->ix, key_hash(&eh->key), e);
	eh->used = 0;
	t->freel[t->nfree++] = e;
	t->n--;
	t->memo_ok = false;
}

/* ---- cache lifecycle ----------------------------------------------------- */

void
fw_tmpl_cfg_default(struct fw_tmpl_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->max_templates = 1024;
	cfg->max_templates_per_exporter = 256;
	cfg->max_samplers = 256;
	cfg->max_exporters = 256;
	cfg->pending_slots = 16;
	cfg->pending_slot_bytes = 65536;
	cfg->template_timeout_ms = 30LL * 60 * 1000;
	cfg->pending_timeout_ms = 10LL * 1000;
	cfg->default_sampling = 1;
}

int
fw_tmpl_cache_new(const struct fw_tmpl_cfg *cfg, struct fw_tmpl_cache **out)
{
	struct fw_tmpl_cache *c;
	int err;

	*out = NULL;
	if (cfg->pending_slots > 1024 || cfg->pending_slot_bytes > (1u << 20))
		return FW_EINVAL;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return FW_ENOMEM;
	c->cfg = *cfg;
	if ((err = tab_init(&c->tm, cfg->max_templates, sizeof(struct tmpl))) != FW_OK ||
	    (err = tab_init(&c->gr, cfg->max_templates, sizeof(struct tgroup))) != FW_OK ||
	    (err = tab_init(&c->ow, cfg->max_templates, sizeof(struct towner))) != FW_OK ||
	    (err = tab_init(&c->sm, cfg->max_samplers, sizeof(struct sampler))) != FW_OK ||
	    (err = tab_init(&c->ex, cfg->max_exporters, sizeof(struct exporter))) != FW_OK)
		goto fail;
	if (cfg->pending_slots > 0 && cfg->pending_slot_bytes > 0) {
		err = FW_ENOMEM;
		if ((c->pend = calloc(cfg->pending_slots, sizeof(*c->pend))) == NULL ||
		    (c->pend_buf = malloc((size_t)cfg->pending_slots * cfg->pending_slot_bytes)) == NULL)
			goto fail;
		for (uint32_t i = 0; i < cfg->pending_slots; i++)
			c->pend[i].buf = c->pend_buf + (size_t)i * cfg->pending_slot_bytes;
	} else {
		c->cfg.pending_slots = 0;
	}
	*out = c;
	return FW_OK;
fail:
	fw_tmpl_cache_free(c);
	return err;
}

void
fw_tmpl_cache_free(struct fw_tmpl_cache *c)
{
	if (c == NULL)
		return;
	tab_fini(&c->tm);
	tab_fini(&c->gr);
	tab_fini(&c->ow);
	tab_fini(&c->sm);
	tab_fini(&c->ex);
	free(c->pend);
	free(c->pend_buf);
	free(c);
}

size_t
fw_tmpl_cache_count(const struct fw_tmpl_cache *c)
{
	return c->tm.n;
}

const char *
fw_dec_reason_name(enum fw_dec_reason r)
{
	static const char *const names[FW_DEC_NREASONS] = {
		[FW_DEC_TRUNC] = "trunc", [FW_DEC_VERSION] = "version",
		[FW_DEC_SET_LEN] = "set_len", [FW_DEC_SET_RESERVED] = "set_reserved",
		[FW_DEC_TEMPLATE] = "template", [FW_DEC_TMPL_FULL] = "template_full",
		[FW_DEC_NO_TEMPLATE] = "no_template", [FW_DEC_UNDECODABLE] = "undecodable",
		[FW_DEC_RECORD] = "record", [FW_DEC_OUT_FULL] = "out_full",
		[FW_DEC_EXP_FULL] = "exporter_full", [FW_DEC_SAMPLER_FULL] = "sampler_full",
		[FW_DEC_TMPL_QUOTA] = "template_quota", [FW_DEC_TMPL_EVICTED] = "template_evicted",
		[FW_DEC_TMPL_REDEFINED] = "template_redefined", [FW_DEC_SECTION] = "section_not_ip",
	};

	return (unsigned)r < FW_DEC_NREASONS ? names[r] : "unknown";
}

void
fw_tmpl_count(struct fw_tmpl_msg *m, enum fw_dec_reason r)
{
	m->st->err[r]++;
	if (m->exp != NULL)
		m->exp->err[r]++;
}

/* ---- exporters and sequence numbers --------------------------------------- */

static struct fw_flow_exporter *
exporter_get(struct fw_tmpl_cache *c, uint8_t version, const uint8_t addr[16],
    uint32_t domain, bool create)
{
	struct tkey k;
	long e;
	struct exporter *x;

	key_make(&k, version, addr, domain, 0);
	if ((e = tab_find_memo(&c->ex, &k)) < 0) {
		if (!create || (e = tab_insert(&c->ex, &k, key_hash(&k))) < 0)
			return NULL;
		x = (struct exporter *)(void *)tab_at(&c->ex, (uint32_t)e);
		memcpy(x->e.addr.b, addr, 16);
		x->e.domain = domain;
		x->e.version = version;
	}
	x = (struct exporter *)(void *)tab_at(&c->ex, (uint32_t)e);
	return &x->e;
}

void
fw_tmpl_count_reject(struct fw_tmpl_cache *c, uint8_t version,
    const struct fw_addr *exporter, uint32_t domain, enum fw_dec_reason r)
{
	struct fw_flow_exporter *x = exporter_get(c, version, exporter->b, domain, false);

	if (x != NULL)
		x->err[r]++;
}

size_t
fw_tmpl_exporters_each(const struct fw_tmpl_cache *c, fw_tmpl_exporter_fn *fn, void *ctx)
{
	size_t n = 0;

	for (uint32_t i = 0; i < c->ex.cap; i++) {
		const struct exporter *x = (const struct exporter *)(const void *)tab_at(&c->ex, i);

		if (!x->h.used)
			continue;
		fn(ctx, &x->e);
		n++;
	}
	return n;
}

struct copy_ctx {
	struct fw_flow_exporter *out;
	size_t n, max;
};

static void
copy_one(void *ctx, const struct fw_flow_exporter *x)
{
	struct copy_ctx *cc = ctx;

	if (cc->n < cc->max)
		cc->out[cc->n++] = *x;
}

size_t
fw_tmpl_exporters(const struct fw_tmpl_cache *c, struct fw_flow_exporter *out, size_t max)
{
	struct copy_ctx cc = { out, 0, max };

	(void)fw_tmpl_exporters_each(c, copy_one, &cc);
	return cc.n;
}

/* ---- per-exporter gauges for the stats tick (accessors only) ---------- */

uint32_t
fw_tmpl_exporter_templates(const struct fw_tmpl_cache *c, uint8_t version,
    const struct fw_addr *exporter, uint32_t domain)
{
	uint32_t n = 0;

	/* Its data and options groups hold every template it has. */
	for (int options = 0; options < 2; options++) {
		struct tkey k;
		long e;

		key_make(&k, version, exporter->b, domain, options ? 3 : 2);
		if ((e = tab_find(&c->gr, &k, key_hash(&k))) >= 0)
			n += ((const struct tgroup *)(const void *)tab_at(&c->gr, (uint32_t)e))->n;
	}
	return n;
}

size_t
fw_tmpl_samplers_each(const struct fw_tmpl_cache *c, fw_tmpl_sampler_fn *fn, void *ctx)
{
	size_t n = 0;

	for (uint32_t i = 0; i < c->sm.cap; i++) {
		const struct sampler *s = (const struct sampler *)(const void *)tab_at(&c->sm, i);
		struct fw_tmpl_sampler x;

		if (!s->h.used)
			continue;
		memset(&x, 0, sizeof(x));
		memcpy(x.addr.b, s->h.key.addr, 16);
		x.domain = s->h.key.domain;
		x.version = (uint8_t)s->h.key.version;
		x.sampler_id = s->h.key.id;
		x.rate = s->rate;
		x.updated_ms = s->updated_ms;
		fn(ctx, &x);
		n++;
	}
	return n;
}

void
fw_tmpl_msg_begin(struct fw_tmpl_msg *m, struct fw_tmpl_cache *c,
    struct fw_flow_dec_stats *st, uint8_t version, const struct fw_addr *exporter,
    uint32_t domain, uint32_t seq, int64_t export_ms, uint32_t uptime_ms,
    int64_t arrival_ms, struct fw_flow *out, size_t max)
{
	struct fw_flow_exporter *x;

	memset(m, 0, sizeof(*m));
	m->c = c;
	m->st = st;
	m->exporter = *exporter;
	m->domain = domain;
	m->version = version;
	m->seq = seq;
	m->export_ms = export_ms;
	m->uptime_ms = uptime_ms;
	m->arrival_ms = arrival_ms;
	m->out = out;
	m->max = max;
	m->pending = -1;
	if ((x = exporter_get(c, version, exporter->b, domain, true)) == NULL) {
		fw_tmpl_count(m, FW_DEC_EXP_FULL);
		return;
	}
	m->exp = x;
	x->datagrams++;
	x->last_seen_ms = arrival_ms;
	if (x->seq_valid && seq != x->next_seq) {
		uint32_t d = seq - x->next_seq;  /* modulo 2^32 */

		if (d < UINT32_C(0x80000000))
			x->seq_lost += d;
		else
			x->seq_reorder++;
	}
}

/* ---- templates: compile, learn, withdraw, find ---------------------------- */

/* How a template states a flow's start or end (compiled once: time_form). */
enum tform { TF_NONE, TF_MS, TF_S, TF_NTP, TF_DUS, TF_UP };

/* The first form present among the kinds for the end (or start), in the
 * order time_of() trusts them; *kind: the kind holding it. */
static uint8_t
time_form(uint64_t mask, bool end, uint8_t *kind)
{
	static const uint8_t k_end[] = { K_END_MS, K_END_S, K_END_US, K_END_NS, K_END_DUS, K_UP_LAST };
	static const uint8_t k_start[] = { K_START_MS, K_START_S, K_START_US, K_START_NS, K_START_DUS, K_UP_FIRST };
	static const uint8_t form[] = { TF_MS, TF_S, TF_NTP, TF_NTP, TF_DUS, TF_UP };
	const uint8_t *k = end ? k_end : k_start;

	for (size_t i = 0; i < sizeof(form); i++)
		if (mask & M(k[i])) {
			*kind = k[i];
			return form[i];
		}
	*kind = K_SKIP;
	return TF_NONE;
}

/* Width group of a fixed op: 0..3 for integers of 1, 2, 4, 8 bytes (IPv4
 * addresses included), 4 for the rest (IPv6 addresses, sections, odd widths). */
static unsigned
width_group(const struct op *o)
{
	if (o->kind == K_SRC6 || o->kind == K_DST6 || is_section(o->kind))
		return 4;
	switch (o->len) {
	case 1: return 0;
	case 2: return 1;
	case 4: return 2;
	case 8: return 3;
	default: return 4;
	}
}

/* Fixed templates: keep the last op of each kind (what a walk in field
 * order would leave) and order the ops by width group (t->nw counts). */
static void
group_fixed(struct tdef *t)
{
	struct op tmp[FW_TMPL_MAX_FIELDS];
	uint64_t later = 0;
	uint16_t n = 0, k = 0;

	for (uint16_t i = t->nops; i-- > 0;) {
		if (later & M(t->ops[i].kind))
			continue;
		later |= M(t->ops[i].kind);
		tmp[n++] = t->ops[i];
	}
	for (unsigned g = 0; g <= 4; g++) {
		uint16_t start = k;

		for (uint16_t i = n; i-- > 0;)  /* tmp is reversed: back to field order */
			if (width_group(&tmp[i]) == g)
				t->ops[k++] = tmp[i];
		if (g < 4)
			t->nw[g] = (uint16_t)(k - start);
	}
	t->nops = k;
}

/*
 * The fast plan of a fixed data template whose records need nothing but
 * their fields (one address family; no biflow, packet sections or packet
 * reports; no ICMP type standing in for the source port): ops become steps
 * that store each field where the flow holds it (addresses as their bytes;
 * the counters raw into pkts and bytes, and with a time form decode_fast()
 * knows, the times raw into start_ms and end_ms: decode_fast() finishes
 * them in place) or, for the rest finish() computes with (other time forms,
 * durations, sampling), into v[kind]; fields no record of it would read
 * (the losing TTL, counter and time kinds, ipVersion, an ICMP type beside
 * a port) are dropped.  Grouped by class (enum fclass), field order kept
 * within a class; every flow field has one step at most.
 */
static void
plan_fast(struct tdef *t, uint8_t version)
{
	const uint64_t slow = M_REV | M_SEC | M(K_IPLEN) | M(K_FRAME_SIZE);
	uint64_t mask = t->mask;
	uint8_t kttl = mask & M(K_TTL) ? K_TTL : mask & M(K_TTL_MIN) ? K_TTL_MIN : K_TTL_MAX;
	struct op tmp[FW_TMPL_MAX_FIELDS];
	uint8_t cls[FW_TMPL_MAX_FIELDS];
	uint8_t per[FC_N] = { 0 };
	uint16_t n = 0, k = 0, ng = 0;

	if (t->options || t->varlen || (mask & slow) || ((mask & M_V4) && (mask & M_V6)) ||
	    ((mask & M(K_ICMP)) && !(mask & M(K_SPORT))))
		return;
	t->tmode = TM_ANY;
	if (t->tf[0] == TF_UP && t->tf[1] == TF_UP && version == 9)
		t->tmode = TM_UP9;
	else if (t->tf[0] == TF_MS && t->tf[1] == TF_MS)
		t->tmode = TM_MS;
	for (uint16_t i = 0; i < t->nops; i++) {
		struct op o = t->ops[i];
		unsigned w = 0;  /* flow field bytes; 0: into v[] */

		switch (o.kind) {
		case K_SRC4: case K_DST4: case K_SRC6: case K_DST6:
			o.kind = (uint8_t)((o.kind == K_SRC4 || o.kind == K_SRC6 ? offsetof(struct fw_flow, src) :
			    offsetof(struct fw_flow, dst)) + (o.len == 4 ? 12 : 0));
			cls[n] = o.len == 4 ? FC_A4 : FC_A16;
			tmp[n++] = o;
			continue;
		case K_SPORT:    o.kind = offsetof(struct fw_flow, sport); w = 2; break;
		case K_DPORT:    o.kind = offsetof(struct fw_flow, dport); w = 2; break;
		case K_PROTO:    o.kind = offsetof(struct fw_flow, proto); w = 1; break;
		case K_TCPFLAGS: o.kind = offsetof(struct fw_flow, tcp_flags); w = 1; break;
		case K_TOS:      o.kind = offsetof(struct fw_flow, tos); w = 1; break;
		case K_IN_IF:    o.kind = offsetof(struct fw_flow, in_if); w = 4; break;
		case K_OUT_IF:   o.kind = offsetof(struct fw_flow, out_if); w = 4; break;
		case K_TTL: case K_TTL_MIN: case K_TTL_MAX:
			if (o.kind != kttl)
				continue;
			o.kind = offsetof(struct fw_flow, ttl);
			w = 1;
			break;
		case K_IN_BYTES: case K_TOT_BYTES: case K_OUT_BYTES:
		case K_IN_PKTS: case K_TOT_PKTS: case K_OUT_PKTS:
			if (o.kind != t->kb && o.kind != t->kp)
				continue;
			o.kind = o.kind == t->kb ? offsetof(struct fw_flow, bytes) : offsetof(struct fw_flow, pkts);
			w = 8;
			break;
		case K_SYSINIT: case K_DUR_MS: case K_DUR_US: case K_SAMPLER_ID:
		case K_INTERVAL: case K_PKT_INTERVAL: case K_PKT_SPACE: case K_SAMP_SIZE: case K_SAMP_POP:
			break;
		default:
			/* a time: only the forms time_of() is given; else unused */
			if (o.kind != t->tk[0] && o.kind != t->tk[1])
				continue;
			if (t->tmode != TM_ANY) {
				o.kind = o.kind == t->tk[0] ? offsetof(struct fw_flow, start_ms) :
				    offsetof(struct fw_flow, end_ms);
				w = 8;
			}
			break;
		}
		if (w == 0)
			cls[n] = o.len == 4 ? FC_V4 : o.len == 8 ? FC_V8 : FC_ANY;
		else if (o.len == w || (w == 8 && o.len == 4))
			cls[n] = w == 1 ? FC_U8 : w == 2 ? FC_U16 : o.len == 4 ? FC_U32 : FC_U64;
		else
			cls[n] = FC_ANY;
		if (w == 8 && o.len == 4)
			o.kind = (uint8_t)(o.kind + LOW_HALF);
		o.var = (uint8_t)w;
		tmp[n++] = o;
	}
	/* A flow field has one step at most (each is written by one kind), so
	 * only v[] classes can outgrow their runs; addresses never do. */
	for (uint16_t i = 0; i < n; i++) {
		if (cls[i] != FC_ANY && per[cls[i]] == fast_runs[cls[i]]) {
			if (cls[i] == FC_A4 || cls[i] == FC_A16)
				return;
			cls[i] = FC_ANY;
		}
		per[cls[i]]++;
	}
	for (unsigned c = 0; c < FC_N; c++) {
		uint16_t start = k;

		for (uint16_t i = 0; i < n; i++)
			if (cls[i] == c)
				t->ops[k++] = tmp[i];
		t->fn[c] = (uint8_t)(k - start);
		if (k > start)
			t->gseq[ng++] = (uint8_t)(c == FC_ANY ? GRP_ANY : GRP(c, k - start));
	}
	t->gseq[ng] = 0;
	t->nops = k;
	t->fast = 1;
}

/* Compile specs into t.  Returns false for a template we must refuse. */
static bool
compile(struct tdef *t, uint8_t version, bool options, uint16_t nscope,
    const struct fw_tmpl_spec *specs, uint16_t nspecs)
{
	uint32_t off = 0;
	uint16_t nops = 0;

	if (nspecs == 0 || nspecs > FW_TMPL_MAX_FIELDS || nscope > nspecs)
		return false;
	t->options = options;
	t->nscope = nscope;
	t->nspecs = nspecs;
	t->mask = 0;
	t->varlen = 0;
	memcpy(t->specs, specs, nspecs * sizeof(*specs));
	for (uint16_t i = 0; i < nspecs; i++)
		if (specs[i].len == 0xffff) {
			if (version != 10)
				return false;  /* v9 has no variable length */
			t->varlen = 1;
		}
	for (uint16_t i = 0; i < nspecs; i++) {
		const struct fw_tmpl_spec *s = &specs[i];
		uint8_t kind = K_SKIP;

		/* v9 scope field types (1 system, 2 interface, ...) collide with
		 * data field numbers (RFC 3954 s6.1): never interpret them. */
		if (s->pen == 0 && !(version == 9 && i < nscope))
			kind = field_kind(s->type);
		else if (s->pen == PEN_REVERSE && version == 10 && !options)
			kind = reverse_kind(s->type);
		if (s->len == 0xffff) {
			if (!is_section(kind))
				kind = K_VAR;  /* skipped by its own length */
			off += 1;  /* at least the length byte */
		} else {
			switch (kind) {
			case K_SRC4: case K_DST4:
				if (s->len != 4)
					kind = K_SKIP;
				break;
			case K_SRC6: case K_DST6:
				if (s->len != 16)
					kind = K_SKIP;
				break;
			case K_L2SEC: case K_L3SEC:  /* any length: the bytes exported */
			case K_SKIP:
				break;
			default:
				if (s->len < 1 || s->len > 8)
					kind = K_SKIP;
				break;
			}
			off += s->len;
		}
		if (off > 0xffff)
			return false;
		if (t->varlen) {
			/* Sequence walk: merge adjacent skips (bounded by u16). */
			if (kind == K_SKIP && nops > 0 && t->ops[nops - 1].kind == K_SKIP &&
			    (uint32_t)t->ops[nops - 1].len + s->len <= 0xffff) {
				t->ops[nops - 1].len = (uint16_t)(t->ops[nops - 1].len + s->len);
				continue;
			}
			if (kind == K_SKIP && s->len == 0)
				continue;
		} else if (kind == K_SKIP) {
			continue;
		}
		t->ops[nops].var = s->len == 0xffff;
		t->ops[nops].off = (uint16_t)(off - (t->ops[nops].var ? 1 : s->len));
		t->ops[nops].len = t->ops[nops].var ? 0 : s->len;
		t->ops[nops].kind = kind;
		nops++;
		if (kind > K_VAR)
			t->mask |= M(kind);
	}
	if (off == 0)
		return false;  /* a zero-length record would never consume bytes */
	t->min_len = (uint16_t)off;
	t->nops = nops;
	t->tf[0] = time_form(t->mask, false, &t->tk[0]);
	t->tf[1] = time_form(t->mask, true, &t->tk[1]);
	/* Counters: ingress delta first, then totals, then egress. */
	t->kb = t->mask & M(K_IN_BYTES) ? K_IN_BYTES : t->mask & M(K_TOT_BYTES) ? K_TOT_BYTES : K_OUT_BYTES;
	t->kp = t->mask & M(K_IN_PKTS) ? K_IN_PKTS : t->mask & M(K_TOT_PKTS) ? K_TOT_PKTS : K_OUT_PKTS;
	t->fast = 0;
	if (!t->varlen) {
		group_fixed(t);
		plan_fast(t, version);
	}
	return true;
}

static struct tmpl *
tm_at(const struct fw_tmpl_cache *c, uint32_t e)
{
	return (struct tmpl *)(void *)tab_at(&c->tm, e);
}

static struct tgroup *
gr_at(const struct fw_tmpl_cache *c, uint32_t e)
{
	return (struct tgroup *)(void *)tab_at(&c->gr, e);
}

static struct towner *
ow_at(const struct fw_tmpl_cache *c, uint32_t e)
{
	return (struct towner *)(void *)tab_at(&c->ow, e);
}

static long
tmpl_lookup(const struct fw_tmpl_cache *c, uint8_t version, const uint8_t addr[16],
    uint32_t domain, uint16_t tid)
{
	struct tkey k;

	key_make(&k, version, addr, domain, tid);
	return tab_find(&c->tm, &k, key_hash(&k));
}

bool
fw_tmpl_cache_has(const struct fw_tmpl_cache *c, uint8_t version,
    const struct fw_addr *exporter, uint32_t domain, uint16_t tid)
{
	return tmpl_lookup(c, version, exporter->b, domain, tid) >= 0;
}

/* ---- eviction order, groups, quota ---------------------------------------------
 *
 * lru[0] holds templates no record was ever decoded with, oldest definition
 * (or refresh) first; lru[1] the others, least recently used for data
 * first.  A full cache evicts the head of lru[0], else of lru[1]: a flood of
 * templates that never carry data only ever displaces its own kind, and a
 * template in use is the last to go.  All list operations are O(1). */

static void
lru_unlink(struct fw_tmpl_cache *c, struct tmpl *t)
{
	struct lru *l = &c->lru[t->proven];

	if (t->lprev != 0)
		tm_at(c, t->lprev - 1)->lnext = t->lnext;
	else
		l->head = t->lnext;
	if (t->lnext != 0)
		tm_at(c, t->lnext - 1)->lprev = t->lprev;
	else
		l->tail = t->lprev;
	t->lprev = t->lnext = 0;
}

static void
lru_append(struct fw_tmpl_cache *c, struct tmpl *t, uint32_t e)
{
	struct lru *l = &c->lru[t->proven];

	t->lnext = 0;
	t->lprev = l->tail;
	if (l->tail != 0)
		tm_at(c, l->tail - 1)->lnext = e + 1;
	else
		l->head = e + 1;
	l->tail = e + 1;
}

/* Move template e to the tail of the list `proven` says. */
static void
lru_move(struct fw_tmpl_cache *c, uint32_t e, bool proven)
{
	struct tmpl *t = tm_at(c, e);

	if (t->proven == proven && c->lru[proven].tail == e + 1)
		return;
	lru_unlink(c, t);
	t->proven = proven;
	lru_append(c, t, e);
}

static void
group_key(struct tkey *k, uint8_t version, const uint8_t addr[16], uint32_t domain, bool options)
{
	key_make(k, version, addr, domain, options ? 3 : 2);
}

static void
owner_key(struct tkey *k, const uint8_t addr[16])
{
	key_make(k, 0, addr, 0, 0);
}

/* Templates the exporter address holds now. */
static uint32_t
owner_count(const struct fw_tmpl_cache *c, const uint8_t addr[16])
{
	struct tkey k;
	long e;

	owner_key(&k, addr);
	e = tab_find(&c->ow, &k, key_hash(&k));
	return e < 0 ? 0 : ow_at(c, (uint32_t)e)->n;
}

/* Put template e on its group's list, making the group (and its owner) if
 * needed.  Cannot fail while the invariant holds: every group and owner has
 * at least one template, and gr/ow have as many slots as tm. */
static bool
grp_link(struct fw_tmpl_cache *c, uint32_t e)
{
	struct tmpl *t = tm_at(c, e);
	struct tgroup *g;
	struct tkey k;
	uint32_t h;
	long ge, oe;

	group_key(&k, (uint8_t)t->h.key.version, t->h.key.addr, t->h.key.domain, t->d.options);
	h = key_hash(&k);
	if ((ge = tab_find(&c->gr, &k, h)) < 0) {
		struct tkey ok;
		uint32_t oh;

		owner_key(&ok, t->h.key.addr);
		oh = key_hash(&ok);
		if ((oe = tab_find(&c->ow, &ok, oh)) < 0 && (oe = tab_insert(&c->ow, &ok, oh)) < 0)
			return false;
		if ((ge = tab_insert(&c->gr, &k, h)) < 0) {
			if (ow_at(c, (uint32_t)oe)->n == 0)
				tab_remove(&c->ow, (uint32_t)oe);
			return false;
		}
		gr_at(c, (uint32_t)ge)->owner = (uint32_t)oe;
	}
	g = gr_at(c, (uint32_t)ge);
	t->grp = (uint32_t)ge;
	t->gprev = 0;
	t->gnext = g->head;
	if (g->head != 0)
		tm_at(c, g->head - 1)->gprev = e + 1;
	g->head = e + 1;
	g->n++;
	ow_at(c, g->owner)->n++;
	return true;
}

/* Take template e off its group's list; a group or owner left empty goes. */
static void
grp_unlink(struct fw_tmpl_cache *c, uint32_t e)
{
	struct tmpl *t = tm_at(c, e);
	struct tgroup *g = gr_at(c, t->grp);
	struct towner *o = ow_at(c, g->owner);

	if (t->gprev != 0)
		tm_at(c, t->gprev - 1)->gnext = t->gnext;
	else
		g->head = t->gnext;
	if (t->gnext != 0)
		tm_at(c, t->gnext - 1)->gprev = t->gprev;
	t->gprev = t->gnext = 0;
	if (--o->n == 0)
		tab_remove(&c->ow, g->owner);
	if (--g->n == 0)
		tab_remove(&c->gr, t->grp);
}

/* The one way a template leaves the cache. */
static void
tmpl_remove(struct fw_tmpl_cache *c, uint32_t e)
{
	lru_unlink(c, tm_at(c, e));
	grp_unlink(c, e);
	tab_remove(&c->tm, e);
}

/* Make room in a full cache (see the eviction order above).  Counted and
 * logged with both exporters: an operator must see who displaced whom. */
static bool
evict_one(struct fw_tmpl_cache *c, struct fw_tmpl_msg *m, uint16_t tid)
{
	uint32_t v = c->lru[0].head != 0 ? c->lru[0].head : c->lru[1].head;
	struct fw_flow_exporter *x;
	const struct tmpl *t;
	struct fw_addr a;
	char old[64], new[64];

	if (v == 0)
		return false;
	t = tm_at(c, v - 1);
	memcpy(a.b, t->h.key.addr, 16);
	fw_addr_format(&a, old, sizeof(old));
	fw_addr_format(&m->exporter, new, sizeof(new));
	if (t->proven)
		FW_LOG_RL(FW_LOG_WARN, "tmpl", "template cache full (%u): evicted template %u of %s domain %u, "
		    "unused for data for %lld s, for template %u of %s domain %u (raise flow.max_templates?)",
		    c->tm.cap, (unsigned)t->h.key.id, old, t->h.key.domain,
		    (long long)((m->arrival_ms - t->used_ms) / 1000), tid, new, m->domain);
	else
		FW_LOG_RL(FW_LOG_WARN, "tmpl", "template cache full (%u): evicted template %u of %s domain %u, "
		    "never used for data, for template %u of %s domain %u",
		    c->tm.cap, (unsigned)t->h.key.id, old, t->h.key.domain, tid, new, m->domain);
	/* Counted against the exporter that lost the template. */
	if ((x = exporter_get(c, (uint8_t)t->h.key.version, t->h.key.addr, t->h.key.domain, false)) != NULL)
		x->err[FW_DEC_TMPL_EVICTED]++;
	m->st->err[FW_DEC_TMPL_EVICTED]++;
	tmpl_remove(c, v - 1);
	return true;
}

/* ---- templates: learn, redefine, withdraw, find ------------------------------ */

/* Template entry for a data set, refusing (and dropping) a stale one. */
static long
tmpl_for_data(struct fw_tmpl_msg *m, uint16_t tid)
{
	struct fw_tmpl_cache *c = m->c;
	struct tkey k;
	long e;

	key_make(&k, m->version, m->exporter.b, m->domain, tid);
	if ((e = tab_find_memo(&c->tm, &k)) < 0)
		return -1;
	if (c->cfg.template_timeout_ms > 0 &&
	    m->arrival_ms - tm_at(c, (uint32_t)e)->updated_ms > c->cfg.template_timeout_ms) {
		tmpl_remove(c, (uint32_t)e);
		m->st->templates_expired++;
		return -1;
	}
	return e;
}

static bool
same_def(const struct tdef *d, bool options, uint16_t nscope, const struct fw_tmpl_spec *specs,
    uint16_t nspecs)
{
	return d->options == options && d->nscope == nscope && d->nspecs == nspecs &&
	    memcmp(d->specs, specs, nspecs * sizeof(*specs)) == 0;
}

void
fw_tmpl_refuse(struct fw_tmpl_msg *m, enum fw_dec_reason r, uint16_t tid, const char *why)
{
	char a[64];

	fw_tmpl_count(m, r);
	fw_addr_format(&m->exporter, a, sizeof(a));
	FW_LOG_RL(FW_LOG_WARN, "tmpl", "template %u of %s domain %u (v%u) refused: %s", tid, a, m->domain,
	    m->version, why);
}

/* Same id, other fields.  Legitimate after a router's reconfiguration, and
 * also what a spoofed datagram poisoning the template looks like: accepted
 * (the RFCs allow it), but counted per exporter and logged.  Until data is
 * decoded with the new layout it is neither persisted nor protected from
 * eviction. */
static bool
redefine(struct fw_tmpl_cache *c, struct fw_tmpl_msg *m, uint32_t e, const struct tdef *d,
    int64_t now_ms)
{
	struct tmpl *t = tm_at(c, e);
	bool regroup = t->d.options != d->options;
	char a[64];

	fw_addr_format(&m->exporter, a, sizeof(a));
	FW_LOG_RL(FW_LOG_WARN, "tmpl", "template %u of %s domain %u (v%u) redefined with other fields "
	    "(%u -> %u fields%s); if %s did not change its configuration, it may be spoofed",
	    (unsigned)t->h.key.id, a, m->domain, m->version, t->d.nspecs, d->nspecs,
	    regroup ? ", data <-> options" : "", a);
	if (regroup)
		grp_unlink(c, e);
	t->d = *d;
	if (regroup && !grp_link(c, e)) {
		/* cannot happen (a slot was just freed); never keep it unlinked */
		lru_unlink(c, t);
		tab_remove(&c->tm, e);
		fw_tmpl_count(m, FW_DEC_TMPL_FULL);
		return false;
	}
	t->updated_ms = now_ms;
	lru_move(c, e, false);
	fw_tmpl_count(m, FW_DEC_TMPL_REDEFINED);
	return true;
}

/* Learn a template; returns its entry, or -1 when it was refused. */
static long
learn_at(struct fw_tmpl_cache *c, struct fw_tmpl_msg *m, uint16_t tid, bool options,
    uint16_t nscope, const struct fw_tmpl_spec *specs, uint16_t nspecs, int64_t now_ms)
{
	struct tdef d;
	struct tkey k;
	struct tmpl *t;
	uint32_t h, quota = c->cfg.max_templates_per_exporter;
	long e;

	key_make(&k, m->version, m->exporter.b, m->domain, tid);
	h = key_hash(&k);
	e = tab_find(&c->tm, &k, h);
	if (e >= 0 && same_def(&tm_at(c, (uint32_t)e)->d, options, nscope, specs, nspecs)) {
		t = tm_at(c, (uint32_t)e);
		t->updated_ms = now_ms;  /* plain refresh: nothing to recompile */
		if (!t->proven)
			lru_move(c, (uint32_t)e, false);
		m->st->templates_refreshed++;
		return e;
	}
	/* Compiled aside first: a refused definition changes nothing, and in
	 * particular never voids the template it would have replaced. */
	memset(&d, 0, sizeof(d));
	if (!compile(&d, m->version, options, nscope, specs, nspecs)) {
		fw_tmpl_refuse(m, FW_DEC_TEMPLATE, tid, e >= 0 ?
		    "invalid redefinition, the old definition is kept" : "invalid field list");
		return -1;
	}
	if (e >= 0) {
		if (!redefine(c, m, (uint32_t)e, &d, now_ms))
			return -1;
		m->st->templates_refreshed++;
		m->learned = true;
		return e;
	}
	if (quota != 0 && owner_count(c, m->exporter.b) >= quota) {
		fw_tmpl_refuse(m, FW_DEC_TMPL_QUOTA, tid,
		    "the exporter holds flow.max_templates_per_exporter templates");
		return -1;
	}
	if (c->tm.nfree == 0 && !evict_one(c, m, tid)) {
		fw_tmpl_refuse(m, FW_DEC_TMPL_FULL, tid, "template cache full");
		return -1;
	}
	if ((e = tab_insert(&c->tm, &k, h)) < 0) {
		fw_tmpl_count(m, FW_DEC_TMPL_FULL);
		return -1;
	}
	t = tm_at(c, (uint32_t)e);
	t->d = d;
	t->updated_ms = now_ms;
	if (!grp_link(c, (uint32_t)e)) {
		tab_remove(&c->tm, (uint32_t)e);
		fw_tmpl_count(m, FW_DEC_TMPL_FULL);
		return -1;
	}
	lru_append(c, t, (uint32_t)e);
	m->st->templates++;
	if (m->exp != NULL)
		m->exp->templates++;
	m->learned = true;
	return e;
}

void
fw_tmpl_learn(struct fw_tmpl_msg *m, uint16_t tid, bool options,
    uint16_t nscope, const struct fw_tmpl_spec *specs, uint16_t nspecs)
{
	(void)learn_at(m->c, m, tid, options, nscope, specs, nspecs, m->arrival_ms);
}

/* Work is one lookup plus the templates removed, each of which a template
 * record once added: a datagram of withdrawals costs what its size allows,
 * never a scan of the cache. */
void
fw_tmpl_withdraw(struct fw_tmpl_msg *m, uint16_t tid)
{
	struct fw_tmpl_cache *c = m->c;
	struct tkey k;
	long e;

	if (tid >= 256) {
		if ((e = tmpl_lookup(c, m->version, m->exporter.b, m->domain, tid)) >= 0) {
			tmpl_remove(c, (uint32_t)e);
			m->st->templates_withdrawn++;
		}
		return;
	}
	/* RFC 7011 s8.1: template id = set id withdraws all of that kind. */
	group_key(&k, m->version, m->exporter.b, m->domain, tid == 3);
	if ((e = tab_find(&c->gr, &k, key_hash(&k))) >= 0) {
		const struct tgroup *g = gr_at(c, (uint32_t)e);

		/* The group goes with its last template: count first. */
		for (uint32_t n = g->n; n > 0; n--) {
			tmpl_remove(c, g->head - 1);
			m->st->templates_withdrawn++;
		}
	}
}

/* ---- sampling ------------------------------------------------------------ */

/* The rate of sampler entry e, 0 for none (-1). */
static uint32_t
rate_at(const struct tab *sm, long e)
{
	return e < 0 ? 0 : ((const struct sampler *)(const void *)tab_at(sm, (uint32_t)e))->rate;
}

/* The rate of sampler sid, 0 when none is known (memo: decoding asks the
 * same one set after set). */
static uint32_t
sampler_rate(struct fw_tmpl_cache *c, uint8_t version, const uint8_t addr[16],
    uint32_t domain, uint64_t sid)
{
	struct tkey k;

	key_make(&k, version, addr, domain, sid);
	return rate_at(&c->sm, tab_find_memo(&c->sm, &k));
}

uint32_t
fw_tmpl_sampling_get(const struct fw_tmpl_cache *c, uint8_t version,
    const struct fw_addr *exporter, uint32_t domain, uint64_t sampler_id)
{
	struct tkey k;

	key_make(&k, version, exporter->b, domain, sampler_id);
	return rate_at(&c->sm, tab_find(&c->sm, &k, key_hash(&k)));
}

static int
sampler_set(struct fw_tmpl_cache *c, uint8_t version, const uint8_t addr[16],
    uint32_t domain, uint64_t sid, uint32_t rate, int64_t now_ms)
{
	struct tkey k;
	uint32_t h;
	long e;
	struct sampler *s;

	key_make(&k, version, addr, domain, sid);
	h = key_hash(&k);
	if ((e = tab_find(&c->sm, &k, h)) < 0 && (e = tab_insert(&c->sm, &k, h)) < 0)
		return FW_EFULL;
	s = (struct sampler *)(void *)tab_at(&c->sm, (uint32_t)e);
	s->rate = rate;
	s->updated_ms = now_ms;
	return FW_OK;
}

/* 1-in-N from whichever sampling fields a record has; 0 if none usable. */
static uint32_t
rate_of(uint64_t mask, const uint64_t *v)
{
	uint64_t r = 0;

	if (mask & M(K_INTERVAL))
		r = v[K_INTERVAL];
	else if ((mask & (M(K_PKT_INTERVAL) | M(K_PKT_SPACE))) ==
	    (M(K_PKT_INTERVAL) | M(K_PKT_SPACE)) && v[K_PKT_INTERVAL] > 0)
		/* RFC 5477: select `interval` packets, then skip `space` */
		r = (v[K_PKT_INTERVAL] + v[K_PKT_SPACE]) / v[K_PKT_INTERVAL];
	else if ((mask & (M(K_SAMP_SIZE) | M(K_SAMP_POP))) ==
	    (M(K_SAMP_SIZE) | M(K_SAMP_POP)) && v[K_SAMP_SIZE] > 0)
		r = v[K_SAMP_POP] / v[K_SAMP_SIZE];  /* n out of N */
	return r > UINT32_MAX ? UINT32_MAX : (uint32_t)r;
}

/* ---- data records -------------------------------------------------------- */

/* Big-endian unsigned of 1..8 bytes (reduced-size encoding); the common
 * widths get straight-line loads, the rest a byte loop. */
static inline uint64_t
load_be(const uint8_t *p, unsigned len)
{
	uint64_t v = 0;

	switch (len) {
	case 1:
		return p[0];
	case 2:
		return fw_load_be16(p);
	case 4:
		return fw_load_be32(p);
	case 8:
		return (uint64_t)fw_load_be32(p) << 32 | fw_load_be32(p + 4);
	default:
		for (unsigned i = 0; i < len; i++)
			v = v << 8 | p[i];
		return v;
	}
}

static inline void
addr4(struct fw_addr *a, uint64_t x)
{
	memset(a->b, 0, 10);
	a->b[10] = 0xff;
	a->b[11] = 0xff;
	a->b[12] = (uint8_t)(x >> 24);
	a->b[13] = (uint8_t)(x >> 16);
	a->b[14] = (uint8_t)(x >> 8);
	a->b[15] = (uint8_t)x;
}

static bool
addr_zero(const struct fw_addr *a)
{
	static const uint8_t z[16];

	return memcmp(a->b, z, 16) == 0;
}

/*
 * The address family of a record.  Templates may carry both IPv4 (8/12) and
 * IPv6 (27/28) addresses with the unused family zeroed (Cisco SRv6/MPLS
 * templates): ipVersion (60) decides when present, else the family whose
 * destination is not all-zero (IPv6 first).  A record whose destination
 * is all-zero anyway is dropped later (fw_decode: drop_zero_dst).
 */
static void
family(uint64_t mask, const uint64_t *v, struct fw_flow *f)
{
	bool has4 = (mask & (M(K_SRC4) | M(K_DST4))) != 0;
	bool has6 = (mask & (M(K_SRC6) | M(K_DST6))) != 0;

	if (!has4)
		return;
	if (has6) {
		if ((mask & M(K_IPVER)) && (v[K_IPVER] == 4 || v[K_IPVER] == 6)) {
			if (v[K_IPVER] == 6)
				return;
		} else if (!addr_zero(&f->dst) || v[K_DST4] == 0) {
			return;
		}
	}
	memset(f->src.b, 0, 16);
	memset(f->dst.b, 0, 16);
	if (mask & M(K_SRC4))
		addr4(&f->src, v[K_SRC4]);
	if (mask & M(K_DST4))
		addr4(&f->dst, v[K_DST4]);
}

/* The values of one data record: integers by kind, and where the sampled
 * packet's bytes are (PSAMP sections point into the datagram). */
struct rec {
	uint64_t v[K_NKINDS];
	const uint8_t *sec[2];     /* [0] K_L2SEC, [1] K_L3SEC */
	size_t sec_len[2];
};

/* IPv4 addresses wait in v[] (as integers) until finish() has chosen the
 * family; IPv6 ones go straight into the flow. */
static inline void
apply(uint8_t kind, const uint8_t *p, unsigned len, struct rec *r, struct fw_flow *f)
{
	switch (kind) {
	case K_SRC6: memcpy(f->src.b, p, 16); break;
	case K_DST6: memcpy(f->dst.b, p, 16); break;
	case K_L2SEC:
	case K_L3SEC:
		r->sec[kind - K_L2SEC] = p;
		r->sec_len[kind - K_L2SEC] = len;
		break;
	default:     r->v[kind] = load_be(p, len); break;
	}
}

/* A record's flow cleared: two halves, which compilers store with vector
 * moves (one memset of 128 bytes becomes a slow `rep stos` per record). */
static inline void
flow_clear(struct fw_flow *f)
{
	_Static_assert(sizeof(*f) == 128, "two halves of 64 bytes");
	memset(f, 0, 64);
	memset((uint8_t *)f + 64, 0, 64);
}

/* One fixed-layout record at p: the width groups of group_fixed(). */
static inline void
rec_fixed(const struct tdef *t, const uint8_t *p, struct rec *r, struct fw_flow *f)
{
	const struct op *o = t->ops, *e;

	for (e = o + t->nw[0]; o < e; o++)
		r->v[o->kind] = p[o->off];
	for (e = o + t->nw[1]; o < e; o++)
		r->v[o->kind] = fw_load_be16(p + o->off);
	for (e = o + t->nw[2]; o < e; o++)
		r->v[o->kind] = fw_load_be32(p + o->off);
	for (e = o + t->nw[3]; o < e; o++)
		r->v[o->kind] = load_be(p + o->off, 8);
	for (e = t->ops + t->nops; o < e; o++)
		apply(o->kind, p + o->off, o->len, r, f);
}

/* One variable-layout record from cursor c; FW_OK or the cursor's error. */
static int
rec_var(const struct tdef *t, struct fw_cur *c, struct rec *r, struct fw_flow *f)
{
	for (uint16_t i = 0; i < t->nops; i++) {
		const struct op *o = &t->ops[i];
		const uint8_t *p;

		if (o->var) {
			size_t l = fw_cur_u8(c);

			if (l == 255)  /* RFC 7011 s7: 255 then a 2-byte length */
				l = fw_cur_u16(c);
			if ((p = fw_cur_take(c, l)) != NULL && o->kind != K_VAR)
				apply(o->kind, p, (unsigned)l, r, f);  /* a section */
		} else if ((p = fw_cur_take(c, o->len)) != NULL && o->kind != K_SKIP) {
			apply(o->kind, p, o->len, r, f);
		}
	}
	return c->err;
}

/* Hostile 8-byte times are clamped so the sums below never overflow:
 * 2^50 ms is some 35000 years. */
#define TIME_MAX_MS (INT64_C(1) << 50)

static int64_t
clamp_ms(uint64_t v)
{
	return v > (uint64_t)TIME_MAX_MS ? TIME_MAX_MS : (int64_t)v;
}

static int64_t
ntp_ms(uint64_t ntp)
{
	int64_t s = (int64_t)(ntp >> 32) - NTP_UNIX_OFFSET_S;

	return s * 1000 + (int64_t)(((ntp & 0xffffffffu) * 1000) >> 32);
}

/* A time in ms in form tf from v[kind]; have=false when none. */
static inline int64_t
time_of(const struct fw_tmpl_msg *m, uint8_t tf, uint8_t kind, const uint64_t *v,
    int64_t sys_init_ms, bool *have)
{
	*have = true;
	switch (tf) {
	case TF_MS:
		return clamp_ms(v[kind]);
	case TF_S:
		return clamp_ms(v[kind]) > TIME_MAX_MS / 1000 ? TIME_MAX_MS : clamp_ms(v[kind]) * 1000;
	case TF_NTP:
		return ntp_ms(v[kind]);
	case TF_DUS:
		return m->export_ms - clamp_ms(v[kind] / 1000);
	case TF_UP:
		if (m->version == 9)  /* RFC 3954 s5.1: age from the header's clock */
			return m->export_ms - (int64_t)(uint32_t)(m->uptime_ms - (uint32_t)v[kind]);
		if (sys_init_ms != 0)
			return sys_init_ms + clamp_ms(v[kind]);
		break;
	default:
		break;
	}
	*have = false;
	return 0;
}

/* Per-set sampling memo: records of one set mostly share a sampler. */
struct smemo {
	uint64_t sid;
	uint32_t rate;
	bool valid;
};

/*
 * A PSAMP packet report (RFC 5476/5477): the sampled packet's headers go
 * through the collector's one L2/L3 dissector (pkt.c), as sFlow raw headers
 * do: an IP header section (313, or 317 after an MPLS stack) first, else a
 * data link frame section (315, Ethernet).  What the record states itself
 * wins; the packet fills the rest.  Returns FW_OK with *l3_len (0: unknown)
 * or the dissector's error when neither section holds an IP packet.
 */
static int
packet_section(const struct rec *r, uint64_t mask, struct fw_flow *f, uint32_t *l3_len)
{
	struct fw_pkt_l3 ip;
	int rc = FW_EUNSUPPORTED;

	if (mask & M(K_L3SEC))
		rc = fw_pkt_l3(FW_LINK_RAW, r->sec[1], r->sec_len[1], &ip);
	if (rc != FW_OK && (mask & M(K_L2SEC)))
		rc = fw_pkt_l3(FW_LINK_ETHERNET, r->sec[0], r->sec_len[0], &ip);
	if (rc != FW_OK)
		return rc;
	if (!(mask & (M(K_SRC4) | M(K_SRC6))))
		f->src = ip.src;
	if (!(mask & (M(K_DST4) | M(K_DST6))))
		f->dst = ip.dst;
	if (!(mask & M(K_PROTO)))
		f->proto = ip.proto;
	if (!(mask & (M(K_SPORT) | M(K_ICMP))))
		f->sport = ip.sport;
	if (!(mask & M(K_DPORT)))
		f->dport = ip.dport;
	if (!(mask & M(K_TCPFLAGS)))
		f->tcp_flags = ip.tcp_flags;
	if (!(mask & M(K_TOS)))
		f->tos = ip.tos;
	if (!(mask & (M(K_TTL) | M(K_TTL_MIN) | M(K_TTL_MAX))))
		f->ttl = ip.ttl;
	*l3_len = ip.l3_len;
	return FW_OK;
}

static uint64_t
scaled(uint64_t n, uint32_t mul)
{
	uint64_t r;

	/* Hostile counters saturate instead of wrapping into plausible ones;
	 * fw_decode then drops them as implausible. */
	return __builtin_mul_overflow(n, mul, &r) ? UINT64_MAX : r;
}

/* A record's start and end (absolute forms first, the duration fills the
 * missing end); exp_sys_init: the exporter's (options data), else 0.
 * Shared by finish() and decode_fast(). */
static inline void
flow_times(const struct fw_tmpl_msg *m, const struct tdef *t, const uint64_t *v, int64_t exp_sys_init,
    struct fw_flow *f)
{
	uint64_t mask = t->mask;
	int64_t start, end, dur = 0;
	bool hs, he;
	int64_t sys_init = mask & M(K_SYSINIT) ? clamp_ms(v[K_SYSINIT]) : exp_sys_init;

	if (mask & M(K_DUR_MS))
		dur = clamp_ms(v[K_DUR_MS]);
	else if (mask & M(K_DUR_US))
		dur = clamp_ms(v[K_DUR_US] / 1000);
	end = time_of(m, t->tf[1], t->tk[1], v, sys_init, &he);
	start = time_of(m, t->tf[0], t->tk[0], v, sys_init, &hs);
	if (!he)
		end = hs ? start + dur : m->export_ms;
	if (!hs)
		start = end - dur;
	if (start > end)
		start = end;
	f->start_ms = start;
	f->end_ms = end;
}

/* The rate of sampler sid, else the exporter-wide one (0: none known). */
static inline uint32_t
sampler_memo(const struct fw_tmpl_msg *m, struct smemo *sm, uint64_t sid)
{
	if (!sm->valid || sm->sid != sid) {
		sm->rate = sampler_rate(m->c, m->version, m->exporter.b, m->domain, sid);
		if (sm->rate == 0 && sid != 0)
			sm->rate = sampler_rate(m->c, m->version, m->exporter.b, m->domain, 0);
		sm->sid = sid;
		sm->valid = true;
	}
	return sm->rate;
}

/* Sampling and the scaled counters: the record's own fields, else its
 * sampler, else the exporter-wide rate (sampler id 0), else the configured
 * default.  Shared by finish() and decode_fast(). */
static inline void
flow_counts(struct fw_tmpl_msg *m, uint64_t mask, const uint64_t *v, struct smemo *sm,
    uint64_t pkts, uint64_t bytes, struct fw_flow *f)
{
	uint32_t rate = 0, mul;

	if (mask & (M(K_INTERVAL) | M(K_PKT_INTERVAL) | M(K_SAMP_SIZE)))
		rate = rate_of(mask, v);
	if (rate == 0)
		rate = sampler_memo(m, sm, v[K_SAMPLER_ID]);
	if (rate == 0) {
		rate = m->c->cfg.default_sampling;
		m->st->sampling_default++;
	}
	f->sampling = rate;
	mul = rate ? rate : 1;
	f->pkts = scaled(pkts, mul);
	f->bytes = scaled(bytes, mul);
}

/* Fill f from record r; false when the record yields no flow (a packet
 * report whose sampled packet is not IP: counted). */
static bool
finish(struct fw_tmpl_msg *m, const struct tdef *t, const struct rec *r, struct fw_flow *f,
    struct smemo *sm)
{
	const uint64_t *v = r->v;
	uint64_t mask = t->mask;
	uint64_t pkts = v[t->kp], bytes = v[t->kb];
	uint32_t l3_len = 0;

	family(mask, v, f);
	f->exporter = m->exporter;
	f->obs_domain = m->domain;
	f->source = m->version == 9 ? FW_SRC_NF9 : FW_SRC_IPFIX;
	f->sport = (uint16_t)v[K_SPORT];
	f->dport = (uint16_t)v[K_DPORT];
	f->proto = (uint8_t)v[K_PROTO];
	f->tcp_flags = (uint8_t)v[K_TCPFLAGS];
	f->tos = (uint8_t)v[K_TOS];
	f->in_if = (uint32_t)v[K_IN_IF];
	f->out_if = (uint32_t)v[K_OUT_IF];
	if (mask & M(K_TTL))
		f->ttl = (uint8_t)v[K_TTL];
	else if (mask & M(K_TTL_MIN))
		f->ttl = (uint8_t)v[K_TTL_MIN];
	else
		f->ttl = (uint8_t)v[K_TTL_MAX];
	if ((mask & M(K_ICMP)) && !(mask & M(K_SPORT)) && (f->proto == 1 || f->proto == 58))
		f->sport = (uint16_t)v[K_ICMP];
	if ((mask & M_SEC) && packet_section(r, mask, f, &l3_len) != FW_OK && !(mask & M_ADDR)) {
		fw_tmpl_count(m, FW_DEC_SECTION);
		return false;
	}
	/* A packet report (a sampled packet, not a flow) counts that packet:
	 * its IP length from the header, else the stated lengths. */
	if (!(mask & M_PKTS) && (mask & (M_SEC | M(K_IPLEN) | M(K_FRAME_SIZE)))) {
		pkts = 1;
		if (!(mask & M_BYTES))
			bytes = l3_len != 0 ? l3_len : mask & M(K_IPLEN) ? v[K_IPLEN] : v[K_FRAME_SIZE];
		m->st->packet_reports++;
		if (m->exp != NULL)
			m->exp->packet_reports++;
	}
	flow_times(m, t, v, m->exp != NULL ? m->exp->sys_init_ms : 0, f);
	flow_counts(m, mask, v, sm, pkts, bytes, f);
	return true;
}

/*
 * The reverse flow of an RFC 5103 biflow (reverse elements of enterprise
 * 29305, as YAF and ipfixprobe export): addresses, ports and interfaces
 * swapped, the reverse counters and flags, the same times and sampling.
 * Returns false when the reverse direction carried nothing (a one-way
 * flow of a biflow template), which yields no record.
 */
static bool
reverse(const struct tdef *t, const uint64_t *v, const struct fw_flow *fwd, struct fw_flow *f)
{
	uint64_t mask = t->mask;
	uint64_t pkts = mask & M(K_R_PKTS) ? v[K_R_PKTS] : v[K_R_TOT_PKTS];
	uint64_t bytes = mask & M(K_R_BYTES) ? v[K_R_BYTES] : v[K_R_TOT_BYTES];
	uint32_t mul = fwd->sampling ? fwd->sampling : 1;

	if (pkts == 0 && bytes == 0)
		return false;
	*f = *fwd;
	f->src = fwd->dst;
	f->dst = fwd->src;
	f->in_if = fwd->out_if;
	f->out_if = fwd->in_if;
	if (fwd->proto == 1 || fwd->proto == 58) {
		f->sport = 0;  /* the reply's ICMP type is not exported */
		f->dport = 0;
	} else {
		f->sport = fwd->dport;
		f->dport = fwd->sport;
	}
	f->tcp_flags = (uint8_t)v[K_R_TCPFLAGS];
	f->ttl = 0;    /* reverse TTL and ToS: not exported by the forward fields */
	f->tos = 0;
	f->pkts = scaled(pkts, mul);
	f->bytes = scaled(bytes, mul);
	return true;
}

static void
options_record(struct fw_tmpl_msg *m, const struct tdef *t, const uint64_t *v)
{
	uint32_t rate = rate_of(t->mask, v);

	m->st->options_records++;
	if (rate != 0) {
		if (sampler_set(m->c, m->version, m->exporter.b, m->domain,
		    v[K_SAMPLER_ID], rate, m->arrival_ms) != FW_OK)
			fw_tmpl_count(m, FW_DEC_SAMPLER_FULL);
		else
			m->st->sampling_updates++;
	}
	if ((t->mask & M(K_SYSINIT)) && m->exp != NULL)
		m->exp->sys_init_ms = clamp_ms(v[K_SYSINIT]);
}

static bool
room(const struct fw_tmpl_msg *m)
{
	return m->n < m->max && m->n < FW_TMPL_MAX_RECS_PER_DGRAM;
}

static void
decode_set(struct fw_tmpl_msg *m, const struct tdef *t, const uint8_t *body, size_t len)
{
	struct fw_cur c = fw_cur_make(body, len);
	struct smemo sm = { 0, 0, false };
	struct fw_flow scratch = { 0 };  /* options records and overflow land here */
	struct rec r;

	/* Every kind in t->mask is rewritten by each record and the others
	 * stay zero, so one clear per set is enough. */
	memset(&r, 0, sizeof(r));
	/* Padding (RFC 7011 s3.3.1) is shorter than a record: loop ends. */
	while (fw_cur_left(&c) >= t->min_len) {
		struct fw_flow *f;
		bool keep = !t->options && room(m);

		f = keep ? &m->out[m->n] : &scratch;
		flow_clear(f);
		if (!t->varlen) {
			rec_fixed(t, fw_cur_take(&c, t->min_len), &r, f);
		} else if (rec_var(t, &c, &r, f) != FW_OK) {
			fw_tmpl_count(m, FW_DEC_RECORD);
			return;
		}
		m->data_records++;
		if (t->options) {
			options_record(m, t, r.v);
			continue;
		}
		if (!keep) {
			fw_tmpl_count(m, FW_DEC_OUT_FULL);
			continue;
		}
		if (!finish(m, t, &r, f, &sm))
			continue;
		m->n++;
		if (!(t->mask & M_REV))
			continue;
		/* The biflow's reverse direction is a flow of its own. */
		if (!room(m)) {
			if (reverse(t, r.v, f, &scratch))
				fw_tmpl_count(m, FW_DEC_OUT_FULL);
		} else if (reverse(t, r.v, f, &m->out[m->n])) {
			m->n++;
			m->st->reverse_records++;
			if (m->exp != NULL)
				m->exp->reverse_records++;
		}
	}
}

/* One step of class c (a constant once inlined): the field at p + o->off
 * into the flow's bytes b at o->kind, or into v[o->kind]. */
static inline __attribute__((always_inline)) void
step(enum fclass c, const struct op *o, const uint8_t *p, uint8_t *b, uint64_t *v)
{
	uint16_t x2;
	uint32_t x4;
	uint64_t x8;

	switch (c) {
	case FC_U8:
		b[o->kind] = p[o->off];
		break;
	case FC_U16:
		x2 = fw_load_be16(p + o->off);
		memcpy(b + o->kind, &x2, 2);
		break;
	case FC_U32:
		x4 = fw_load_be32(p + o->off);
		memcpy(b + o->kind, &x4, 4);
		break;
	case FC_U64:
		x8 = load_be(p + o->off, 8);
		memcpy(b + o->kind, &x8, 8);
		break;
	case FC_A4:
		memcpy(b + o->kind, p + o->off, 4);
		break;
	case FC_A16:
		memcpy(b + o->kind, p + o->off, 16);
		break;
	case FC_V4:
		v[o->kind] = fw_load_be32(p + o->off);
		break;
	case FC_V8:
		v[o->kind] = load_be(p + o->off, 8);
		break;
	default:
		x8 = load_be(p + o->off, o->len);
		x2 = (uint16_t)x8;
		x4 = (uint32_t)x8;
		switch (o->var) {
		case 1: b[o->kind] = (uint8_t)x8; break;
		case 2: memcpy(b + o->kind, &x2, 2); break;
		case 4: memcpy(b + o->kind, &x4, 4); break;
		case 8: memcpy(b + o->kind, &x8, 8); break;
		default: v[o->kind] = x8; break;
		}
		break;
	}
}

/* The n steps of class c from o, in order; n is a constant once inlined,
 * so this is straight-line code.  Returns the next step. */
static inline __attribute__((always_inline)) const struct op *
steps(enum fclass c, const struct op *o, unsigned n, const uint8_t *p, uint8_t *b, uint64_t *v)
{
#pragma GCC unroll 8
	for (unsigned i = 0; i < n; i++)
		step(c, o + i, p, b, v);
	return o + n;
}

/* One record of a fast template (plan_fast) at p: fields into f, which
 * holds the set's prototype, the rest into v.  One dispatch per class
 * with steps (t->gseq), none per field. */
static inline void
rec_fast(const struct tdef *t, const uint8_t *p, uint64_t *v, struct fw_flow *f)
{
	uint8_t *b = (uint8_t *)f;
	const struct op *o = t->ops;

#define RUN(c, n) case GRP(c, n): o = steps(c, o, n, p, b, v); break
	for (const uint8_t *g = t->gseq; *g != 0; g++) {
		switch (*g & 127) {  /* in range: no bounds check */
		RUN(FC_U8, 1); RUN(FC_U8, 2); RUN(FC_U8, 3); RUN(FC_U8, 4);
		RUN(FC_U16, 1); RUN(FC_U16, 2);
		RUN(FC_U32, 1); RUN(FC_U32, 2); RUN(FC_U32, 3); RUN(FC_U32, 4); RUN(FC_U32, 5); RUN(FC_U32, 6);
		RUN(FC_U64, 1); RUN(FC_U64, 2); RUN(FC_U64, 3); RUN(FC_U64, 4);
		RUN(FC_A4, 1); RUN(FC_A4, 2);
		RUN(FC_A16, 1); RUN(FC_A16, 2);
		RUN(FC_V4, 1); RUN(FC_V4, 2); RUN(FC_V4, 3); RUN(FC_V4, 4);
		RUN(FC_V4, 5); RUN(FC_V4, 6); RUN(FC_V4, 7); RUN(FC_V4, 8);
		RUN(FC_V8, 1); RUN(FC_V8, 2); RUN(FC_V8, 3); RUN(FC_V8, 4);
		RUN(FC_V8, 5); RUN(FC_V8, 6); RUN(FC_V8, 7); RUN(FC_V8, 8);
		case GRP_ANY:  /* any number of steps */
			for (const struct op *e = o + t->fn[FC_ANY]; o < e; o++)
				step(FC_ANY, o, p, b, v);
			break;
		default:
			break;
		}
	}
#undef RUN
}

/*
 * decode_set() for a fast template: the same flows and counters, with
 * what is constant over a set (the flow's exporter, source, address
 * prefixes; the rate when no record states one; how many records fit)
 * settled once per set.  The prototype's counters and times are zero, so
 * a 4-byte field stored in their low half is the value (plan_fast).
 */
static void
decode_fast(struct fw_tmpl_msg *m, const struct tdef *t, const uint8_t *body, size_t len)
{
	size_t nrec = len / t->min_len;  /* padding (RFC 7011 s3.3.1) is shorter */
	size_t cap = m->max < FW_TMPL_MAX_RECS_PER_DGRAM ? m->max : FW_TMPL_MAX_RECS_PER_DGRAM;
	size_t nkeep = m->n < cap ? cap - m->n : 0;
	struct smemo sm = { 0, 0, false };
	struct fw_flow proto, *f, *end;
	uint64_t v[K_NKINDS];
	int64_t sys_init = m->exp != NULL ? m->exp->sys_init_ms : 0, export_ms = m->export_ms;
	uint32_t uptime_ms = m->uptime_ms, mul = 1;
	bool own_rate = (t->mask & M_SAMPLING) != 0;
	enum tmode tm = (enum tmode)t->tmode;

	if (nkeep > nrec)
		nkeep = nrec;
	m->data_records += (uint32_t)nrec;
	if (nrec > nkeep) {
		m->st->err[FW_DEC_OUT_FULL] += nrec - nkeep;
		if (m->exp != NULL)
			m->exp->err[FW_DEC_OUT_FULL] += nrec - nkeep;
	}
	if (nkeep == 0)
		return;
	memset(&proto, 0, sizeof(proto));
	if (t->fn[FC_V4] != 0 || t->fn[FC_V8] != 0 || t->fn[FC_ANY] != 0 || own_rate ||
	    (tm != TM_UP9 && tm != TM_MS))
		memset(v, 0, sizeof(v));  /* else nothing reads it */
	proto.exporter = m->exporter;
	proto.obs_domain = m->domain;
	proto.source = m->version == 9 ? FW_SRC_NF9 : FW_SRC_IPFIX;
	if (t->mask & M(K_SRC4))
		addr4(&proto.src, 0);
	if (t->mask & M(K_DST4))
		addr4(&proto.dst, 0);
	if (!own_rate) {
		/* One rate for the set, as flow_counts() finds it per record. */
		uint32_t rate = sampler_memo(m, &sm, 0);

		if (rate == 0) {
			rate = m->c->cfg.default_sampling;
			m->st->sampling_default += nkeep;
		}
		proto.sampling = rate;
		mul = rate ? rate : 1;
	}
	f = m->out + m->n;
	m->n += nkeep;
	for (end = f + nkeep; f < end; f++, body += t->min_len) {
		int64_t s, e;

		*f = proto;
		rec_fast(t, body, v, f);
		switch (tm) {
		case TM_UP9:  /* RFC 3954 s5.1: age from the header's clock */
			e = export_ms - (int64_t)(uint32_t)(uptime_ms - (uint32_t)f->end_ms);
			s = export_ms - (int64_t)(uint32_t)(uptime_ms - (uint32_t)f->start_ms);
			f->start_ms = s > e ? e : s;
			f->end_ms = e;
			break;
		case TM_MS:
			e = clamp_ms((uint64_t)f->end_ms);
			s = clamp_ms((uint64_t)f->start_ms);
			f->start_ms = s > e ? e : s;
			f->end_ms = e;
			break;
		default:
			flow_times(m, t, v, sys_init, f);
			break;
		}
		if (own_rate) {
			flow_counts(m, t->mask, v, &sm, f->pkts, f->bytes, f);
		} else if (mul != 1) {
			f->pkts = scaled(f->pkts, mul);
			f->bytes = scaled(f->bytes, mul);
		}
	}
}

/* Decode a set with template e; a template that yields a record is proven:
 * it moves to the tail of the used list (eviction order) and will be saved. */
static void
decode_used(struct fw_tmpl_msg *m, uint32_t e, const uint8_t *body, size_t len)
{
	uint32_t before = m->data_records;

	if (tm_at(m->c, e)->d.fast)
		decode_fast(m, &tm_at(m->c, e)->d, body, len);
	else
		decode_set(m, &tm_at(m->c, e)->d, body, len);
	if (m->data_records != before) {
		tm_at(m->c, e)->used_ms = m->arrival_ms;
		lru_move(m->c, e, true);
	}
}

/* ---- pending data sets ------------------------------------------------------ */

static void
pending_drop(struct fw_tmpl_cache *c, struct fw_flow_dec_stats *st, struct pslot *s)
{
	uint32_t lost = (uint32_t)(s->nsets - s->ndone);
	struct fw_flow_exporter *x = exporter_get(c, s->version, s->addr, s->domain, false);

	if (st != NULL)
		st->err[FW_DEC_UNDECODABLE] += lost;
	if (x != NULL)
		x->err[FW_DEC_UNDECODABLE] += lost;
	s->used = 0;
}

static struct pslot *
pending_slot(struct fw_tmpl_msg *m)
{
	struct fw_tmpl_cache *c = m->c;
	struct pslot *s = NULL;

	if (m->pending >= 0)
		return &c->pend[m->pending];
	for (uint32_t i = 0; i < c->cfg.pending_slots; i++) {
		struct pslot *p = &c->pend[i];

		if (p->used && c->cfg.pending_timeout_ms > 0 &&
		    m->arrival_ms - p->arrival_ms > c->cfg.pending_timeout_ms)
			pending_drop(c, m->st, p);
		if (!p->used) {
			if (s == NULL || s->used)
				s = p;
		} else if (s == NULL || (s->used && p->age < s->age)) {
			s = p;
		}
	}
	if (s == NULL)
		return NULL;
	if (s->used)
		pending_drop(c, m->st, s);  /* evict the oldest */
	s->used = 1;
	s->version = m->version;
	s->nsets = s->ndone = 0;
	memcpy(s->addr, m->exporter.b, 16);
	s->domain = m->domain;
	s->uptime_ms = m->uptime_ms;
	s->export_ms = m->export_ms;
	s->arrival_ms = m->arrival_ms;
	s->age = ++c->pend_age;
	s->bytes = 0;
	m->pending = (int)(s - c->pend);
	return s;
}

static void
pending_add(struct fw_tmpl_msg *m, uint16_t tid, const uint8_t *body, size_t len)
{
	struct pslot *s;

	m->seq_unknown = true;  /* its records cannot be counted yet */
	if (m->c->cfg.pending_slots == 0 || (s = pending_slot(m)) == NULL ||
	    m->c->cfg.pending_slot_bytes - s->bytes < 4 ||
	    m->c->cfg.pending_slot_bytes - s->bytes - 4 < len || s->nsets == UINT16_MAX) {
		fw_tmpl_count(m, FW_DEC_UNDECODABLE);
		return;
	}
	s->buf[s->bytes] = (uint8_t)(tid >> 8);
	s->buf[s->bytes + 1] = (uint8_t)tid;
	s->buf[s->bytes + 2] = (uint8_t)(len >> 8);
	s->buf[s->bytes + 3] = (uint8_t)len;
	memcpy(s->buf + s->bytes + 4, body, len);
	s->bytes += (uint32_t)(4 + len);
	s->nsets++;
	fw_tmpl_count(m, FW_DEC_NO_TEMPLATE);
	m->st->sets_buffered++;
}

/* Decode buffered sets of this exporter whose template is now known. */
static void
pending_replay(struct fw_tmpl_msg *m)
{
	struct fw_tmpl_cache *c = m->c;
	int64_t export_ms = m->export_ms;
	uint32_t uptime_ms = m->uptime_ms, data_records = m->data_records;
	uint64_t last_age = 0;

	/* Oldest first, so records come out in arrival order.  Quadratic in
	 * the (small, fixed) slot count, and only when a template arrived. */
	for (;;) {
		struct pslot *s = NULL;
		uint32_t off = 0;

		for (uint32_t i = 0; i < c->cfg.pending_slots; i++) {
			struct pslot *p = &c->pend[i];

			if (p->used && p->age > last_age && p->version == m->version &&
			    p->domain == m->domain && memcmp(p->addr, m->exporter.b, 16) == 0 &&
			    (s == NULL || p->age < s->age))
				s = p;
		}
		if (s == NULL)
			break;
		last_age = s->age;
		/* Times in those records are relative to their own header. */
		m->export_ms = s->export_ms;
		m->uptime_ms = s->uptime_ms;
		while (off + 4 <= s->bytes) {
			uint16_t tid = fw_load_be16(s->buf + off);
			uint16_t len = fw_load_be16(s->buf + off + 2);
			long e;

			if (tid != 0 && (e = tmpl_for_data(m, tid)) >= 0) {
				decode_used(m, (uint32_t)e, s->buf + off + 4, len);
				s->buf[off] = s->buf[off + 1] = 0;  /* done */
				s->ndone++;
				m->st->sets_replayed++;
			}
			off += 4u + len;
		}
		if (s->ndone == s->nsets)
			s->used = 0;
	}
	m->export_ms = export_ms;
	m->uptime_ms = uptime_ms;
	m->data_records = data_records;
}

void
fw_tmpl_data_set(struct fw_tmpl_msg *m, uint16_t tid, const uint8_t *body, size_t len)
{
	long e = tmpl_for_data(m, tid);

	if (e < 0) {
		pending_add(m, tid, body, len);
		return;
	}
	decode_used(m, (uint32_t)e, body, len);
}

int
fw_tmpl_msg_end(struct fw_tmpl_msg *m)
{
	struct fw_flow_exporter *x = m->exp;

	/* Includes this datagram's own sets that came before their template. */
	if (m->learned)
		pending_replay(m);
	if (x != NULL) {
		x->records += m->n;
		if (m->version == 9) {
			x->next_seq = m->seq + 1;  /* RFC 3954: counts export packets */
			x->seq_valid = 1;
		} else if (!m->seq_unknown) {
			x->next_seq = m->seq + m->data_records;  /* RFC 7011: counts records */
			x->seq_valid = 1;
		} else {
			x->seq_valid = 0;  /* resynchronise on the next datagram */
		}
	}
	m->st->records += m->n;
	return (int)m->n;
}

/* ---- housekeeping ------------------------------------------------------------ */

size_t
fw_tmpl_cache_expire(struct fw_tmpl_cache *c, int64_t now_ms, struct fw_flow_dec_stats *st)
{
	size_t n = 0;

	if (c->cfg.template_timeout_ms > 0) {
		for (uint32_t i = 0; i < c->tm.cap; i++) {
			const struct tmpl *t = tm_at(c, i);

			if (t->h.used && now_ms - t->updated_ms > c->cfg.template_timeout_ms) {
				tmpl_remove(c, i);
				n++;
			}
		}
	}
	for (uint32_t i = 0; i < c->cfg.pending_slots; i++)
		if (c->pend[i].used && c->cfg.pending_timeout_ms > 0 &&
		    now_ms - c->pend[i].arrival_ms > c->cfg.pending_timeout_ms)
			pending_drop(c, st, &c->pend[i]);
	if (st != NULL)
		st->templates_expired += n;
	return n;
}

size_t
fw_tmpl_cache_flush_pending(struct fw_tmpl_cache *c, uint8_t version, struct fw_flow_dec_stats *st)
{
	size_t n = 0;

	for (uint32_t i = 0; i < c->cfg.pending_slots; i++) {
		struct pslot *s = &c->pend[i];

		if (s->used && s->version == version) {
			n += (size_t)(s->nsets - s->ndone);
			pending_drop(c, st, s);
		}
	}
	return n;
}

/* ---- the state file's view (tmpl_state.c) ------------------------------------ */

void
fw_tmpl_each_proven(const struct fw_tmpl_cache *c, fw_tmpl_saved_fn *fn, void *ctx)
{
	for (uint32_t e = c->lru[1].head; e != 0; e = tm_at(c, e - 1)->lnext) {
		const struct tmpl *t = tm_at(c, e - 1);
		struct fw_tmpl_saved v = {
			.version = t->h.key.version, .options = t->d.options, .id = (uint16_t)t->h.key.id,
			.domain = t->h.key.domain, .updated_ms = t->updated_ms, .used_ms = t->used_ms,
			.nscope = t->d.nscope, .nspecs = t->d.nspecs, .specs = t->d.specs,
		};

		memcpy(v.addr, t->h.key.addr, 16);
		fn(ctx, &v);
	}
}

void
fw_tmpl_each_sampler(const struct fw_tmpl_cache *c, fw_tmpl_saved_sampler_fn *fn, void *ctx)
{
	for (uint32_t i = 0; i < c->sm.cap; i++) {
		const struct sampler *s = (const struct sampler *)(const void *)tab_at(&c->sm, i);
		struct fw_tmpl_saved_sampler v;

		if (!s->h.used)
			continue;
		v.version = s->h.key.version;
		memcpy(v.addr, s->h.key.addr, 16);
		v.domain = s->h.key.domain;
		v.id = s->h.key.id;
		v.rate = s->rate;
		fn(ctx, &v);
	}
}

void
fw_tmpl_restore(struct fw_tmpl_msg *m, const struct fw_tmpl_saved *t)
{
	struct fw_tmpl_cache *c = m->c;
	long e;

	/* A template the timeout has passed stays dead, as it would have
	 * without the restart. */
	if (c->cfg.template_timeout_ms > 0 && m->arrival_ms - t->updated_ms > c->cfg.template_timeout_ms)
		return;
	m->version = t->version;
	memcpy(m->exporter.b, t->addr, 16);
	m->domain = t->domain;
	if ((e = learn_at(c, m, t->id, t->options, t->nscope, t->specs, t->nspecs, t->updated_ms)) >= 0) {
		tm_at(c, (uint32_t)e)->used_ms = t->used_ms;
		lru_move(c, (uint32_t)e, true);  /* it carried data before */
	}
}

int
fw_tmpl_sampler_restore(struct fw_tmpl_cache *c, const struct fw_tmpl_saved_sampler *s, int64_t now_ms)
{
	return sampler_set(c, s->version, s->addr, s->domain, s->id, s->rate, now_ms);
}
