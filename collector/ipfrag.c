/*
 * ipfrag.c - IPv4/IPv6 fragment reassembly (fw_ipfrag.h).
 *
 * Design: a fixed array of slots, one per datagram in progress, each with
 * its own FW_IPFRAG_MAX_BYTES buffer and a list of the byte ranges received
 * (fragments never overlap in a slot: an overlap drops the datagram, so
 * "bytes received == total length" means every byte is there).  Slots are
 * found through fw_hashtab (seeded hash of the key) and kept on an age
 * list, oldest first, so the timeout sweep and eviction are O(1) each.
 *
 * Key: (version, source, destination, identification) and, for IPv4, the
 * protocol (RFC 791); IPv6 keys on addresses and id (RFC 8200).
 *
 * Invariants: a used slot is on the age list and in the index, a free one
 * on neither; r[0..nfrag) are disjoint and lie in [0, total) once the last
 * fragment is known.
 */
#include "fw_ipfrag.h"

#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "fw_hashtab.h"

#define NONE UINT32_MAX

struct frag_range {
	uint16_t off;              /* bytes from the start of the transport data */
	uint16_t len;
};

struct key {
	struct fw_addr src, dst;
	uint32_t id;
	uint8_t version;
	uint8_t proto;             /* IPv4 only; 0 for IPv6 */
	uint8_t pad[2];
};

struct slot {
	struct key k;
	uint32_t hash;
	uint32_t older, newer;     /* age list; NONE at the ends */
	int64_t first_ms;          /* packet time of the first fragment seen */
	uint32_t total;            /* transport bytes, once the last fragment came */
	uint32_t got;              /* bytes received (disjoint ranges) */
	uint8_t used, have_last, have_first;
	uint16_t nfrag;
	uint16_t l4_skip;          /* IPv6: extension headers before the transport header */
	struct fw_pkt_l3 head;     /* facts of the first fragment (offset 0) */
	struct frag_range r[FW_IPFRAG_MAX_FRAGS];
};

struct fw_ipfrag {
	struct slot *slots;
	uint8_t *bufs;             /* nslots x FW_IPFRAG_MAX_BYTES */
	size_t nslots;
	uint32_t free_head;        /* free slots chained through `newer` */
	uint32_t oldest, newest;   /* age list */
	struct fw_hashtab idx;
	uint32_t seed;
	int64_t timeout_ms;
	struct fw_ipfrag_stats st;
};

static uint8_t *
buf_of(struct fw_ipfrag *f, uint32_t s)
{
	return f->bufs + (size_t)s * FW_IPFRAG_MAX_BYTES;
}

int
fw_ipfrag_new(size_t slots, int64_t timeout_ms, struct fw_ipfrag **out)
{
	struct fw_ipfrag *f;

	if (slots < 1 || slots > 65536 || timeout_ms < 1)
		return FW_EINVAL;
	if ((f = calloc(1, sizeof(*f))) == NULL)
		return FW_ENOMEM;
	f->nslots = slots;
	f->timeout_ms = timeout_ms;
	if ((f->slots = calloc(slots, sizeof(*f->slots))) == NULL ||
	    (f->bufs = malloc(slots * FW_IPFRAG_MAX_BYTES)) == NULL ||
	    fw_hashtab_init(&f->idx, slots) != FW_OK) {
		fw_ipfrag_free(f);
		return FW_ENOMEM;
	}
	if (getrandom(&f->seed, sizeof(f->seed), GRND_NONBLOCK) != (ssize_t)sizeof(f->seed))
		f->seed = (uint32_t)(uintptr_t)f;  /* no entropy yet: still differs per run (ASLR) */
	for (size_t i = 0; i < slots; i++)
		f->slots[i].newer = i + 1 < slots ? (uint32_t)(i + 1) : NONE;
	f->free_head = 0;
	f->oldest = f->newest = NONE;
	*out = f;
	return FW_OK;
}

void
fw_ipfrag_free(struct fw_ipfrag *f)
{
	if (f == NULL)
		return;
	fw_hashtab_fini(&f->idx);
	free(f->bufs);
	free(f->slots);
	free(f);
}

size_t
fw_ipfrag_bytes(const struct fw_ipfrag *f)
{
	return sizeof(*f) + f->nslots * (sizeof(*f->slots) + FW_IPFRAG_MAX_BYTES) + fw_hashtab_bytes(&f->idx);
}

const struct fw_ipfrag_stats *
fw_ipfrag_stats(const struct fw_ipfrag *f)
{
	return &f->st;
}

const char *
fw_ipfrag_drop_name(enum fw_ipfrag_drop d)
{
	static const char *const names[FW_IPFRAG_DROP_N] = {
		"timeout", "evicted", "overlap", "tiny", "too_big", "too_many", "malformed", "incomplete"
	};

	return (unsigned)d < FW_IPFRAG_DROP_N ? names[d] : "other";
}

/* Free a used slot (unlink from the age list and the index). */
static void
release(struct fw_ipfrag *f, uint32_t s)
{
	struct slot *sl = &f->slots[s];

	if (sl->older != NONE)
		f->slots[sl->older].newer = sl->newer;
	else
		f->oldest = sl->newer;
	if (sl->newer != NONE)
		f->slots[sl->newer].older = sl->older;
	else
		f->newest = sl->older;
	fw_hashtab_remove(&f->idx, sl->hash, s);
	sl->used = 0;
	sl->newer = f->free_head;
	f->free_head = s;
}

static int
drop(struct fw_ipfrag *f, uint32_t s, enum fw_ipfrag_drop why)
{
	f->st.drops[why]++;
	if (s != NONE)
		release(f, s);
	return FW_EMALFORMED;
}

/* Time out datagrams older than the timeout, oldest first.  Packet time
 * may step back (merged captures): an age below zero is no age. */
static void
expire(struct fw_ipfrag *f, int64_t now_ms)
{
	while (f->oldest != NONE && now_ms - f->slots[f->oldest].first_ms > f->timeout_ms)
		(void)drop(f, f->oldest, FW_IPFRAG_DROP_TIMEOUT);
}

static void
key_of(const struct fw_pkt_l3 *ip, struct key *k)
{
	memset(k, 0, sizeof(*k));
	k->src = ip->src;
	k->dst = ip->dst;
	k->id = ip->frag_id;
	k->version = ip->version;
	k->proto = ip->version == 4 ? ip->proto : 0;
}

static uint32_t
find(struct fw_ipfrag *f, const struct key *k, uint32_t h)
{
	struct fw_hashtab_probe p;
	uint32_t e;

	fw_hashtab_probe_start(&f->idx, h, &p);
	while ((e = fw_hashtab_probe_next(&f->idx, &p)) != FW_HASHTAB_NONE)
		if (memcmp(&f->slots[e].k, k, sizeof(*k)) == 0)
			return e;
	return NONE;
}

/* A slot for a new datagram: a free one, else the oldest is evicted. */
static uint32_t
take(struct fw_ipfrag *f, const struct key *k, uint32_t h, int64_t now_ms)
{
	struct slot *sl;
	uint32_t s;

	if (f->free_head == NONE)
		(void)drop(f, f->oldest, FW_IPFRAG_DROP_EVICTED);
	s = f->free_head;
	sl = &f->slots[s];
	f->free_head = sl->newer;
	memset(sl, 0, offsetof(struct slot, r));
	sl->k = *k;
	sl->hash = h;
	sl->used = 1;
	sl->first_ms = now_ms;
	sl->older = f->newest;
	sl->newer = NONE;
	if (f->newest != NONE)
		f->slots[f->newest].newer = s;
	else
		f->oldest = s;
	f->newest = s;
	fw_hashtab_insert(&f->idx, h, s);
	return s;
}

/* The datagram of slot s is whole: describe it in *ip (from the first
 * fragment's facts) and free the slot; its buffer stays untouched until
 * the next call takes a slot. */
static int
complete(struct fw_ipfrag *f, uint32_t s, struct fw_pkt_l3 *ip)
{
	struct slot *sl = &f->slots[s];

	if (sl->l4_skip > sl->total)
		return drop(f, s, FW_IPFRAG_DROP_MALFORMED);
	*ip = sl->head;
	ip->l4 = buf_of(f, s) + sl->l4_skip;
	ip->l4_len = sl->total - sl->l4_skip;
	ip->l4_err = FW_OK;
	ip->l3_len = (uint32_t)ip->hdr_len + sl->total;
	ip->frag = ip->frag_more = 0;
	ip->frag_off = 0;
	ip->frag_data = NULL;
	ip->frag_len = 0;
	f->st.reassembled++;
	release(f, s);
	return 1;
}

int
fw_ipfrag_add(struct fw_ipfrag *f, struct fw_pkt_l3 *ip, int64_t now_ms)
{
	struct key k;
	struct slot *sl;
	uint32_t h, s, end;
	uint16_t off = ip->frag_off;
	size_t len = ip->frag_len;

	if (!ip->frag)
		return 1;
	expire(f, now_ms);
	f->st.fragments++;
	if (ip->proto != 6 && ip->proto != 17) {
		f->st.other_proto++;
		return FW_EUNSUPPORTED;
	}
	key_of(ip, &k);
	h = fw_hashtab_hash(&k, sizeof(k), f->seed);
	s = find(f, &k, h);
	/* RFC 1858: a first fragment too short for the transport header, or
	 * a TCP fragment at offset 8 that would rewrite its flags. */
	if ((off == 0 && (ip->l4_err != FW_OK || ip->l4_len < (ip->proto == 6 ? 20u : 8u))) ||
	    (off == 8 && ip->proto == 6))
		return drop(f, s, FW_IPFRAG_DROP_TINY);
	if (ip->frag_cut || (ip->frag_more && (len == 0 || len % 8 != 0)))
		return drop(f, s, FW_IPFRAG_DROP_MALFORMED);
	end = (uint32_t)off + (uint32_t)len;
	if (end > FW_IPFRAG_MAX_BYTES)
		return drop(f, s, FW_IPFRAG_DROP_TOO_BIG);
	if (s == NONE)
		s = take(f, &k, h, now_ms);
	sl = &f->slots[s];
	for (uint16_t i = 0; i < sl->nfrag; i++) {
		uint32_t ro = sl->r[i].off, re = ro + sl->r[i].len;

		if (ro == off && re == end) {
			f->st.duplicates++;  /* a copy (retransmission, capture): nothing new */
			return 0;
		}
		if (off < re && ro < end)
			return drop(f, s, FW_IPFRAG_DROP_OVERLAP);
		if (!ip->frag_more && re > end)
			return drop(f, s, FW_IPFRAG_DROP_MALFORMED);  /* data past the end */
	}
	if (!ip->frag_more) {
		if (sl->have_last)
			return drop(f, s, FW_IPFRAG_DROP_MALFORMED);  /* a second, other end */
		sl->have_last = 1;
		sl->total = end;
	} else if (sl->have_last && end > sl->total) {
		return drop(f, s, FW_IPFRAG_DROP_MALFORMED);
	}
	if (sl->nfrag == FW_IPFRAG_MAX_FRAGS)
		return drop(f, s, FW_IPFRAG_DROP_TOO_MANY);
	if (len > 0)
		memcpy(buf_of(f, s) + off, ip->frag_data, len);
	sl->r[sl->nfrag].off = off;
	sl->r[sl->nfrag].len = (uint16_t)len;
	sl->nfrag++;
	sl->got += (uint32_t)len;
	if (off == 0) {
		sl->have_first = 1;
		sl->head = *ip;
		/* IPv6: extension headers after the fragment header come before
		 * the transport header (the dissector walked them). */
		sl->l4_skip = (uint16_t)(ip->l4 - ip->frag_data);
	}
	if (sl->have_last && sl->have_first && sl->got == sl->total)
		return complete(f, s, ip);
	return 0;
}

void
fw_ipfrag_flush(struct fw_ipfrag *f)
{
	while (f->oldest != NONE)
		(void)drop(f, f->oldest, FW_IPFRAG_DROP_INCOMPLETE);
}
