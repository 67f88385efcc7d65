/*
 * fw_hashtab.h - an open-addressing index over a caller's dense entry
 * array: the one hash table of Floodwatch (victims, DNS zones, templates).
 *
 * The index maps a 32-bit key hash to an entry number; the entries (and
 * their keys) live in the caller's array, so the caller compares keys and
 * owns allocation of entry numbers.  A slot is one 64-bit word: the hash in
 * the high half, entry number + 1 in the low half, 0 when empty.  The
 * stored hash gives a probe a cheap filter (an entry is read only when its
 * hash matches) and gives delete each slot's home without reading entries.
 *
 * Power-of-two size, at most half full (sized from the entry capacity at
 * init), linear probing, backward-shift delete (no tombstones: probe chains
 * stay as short as if the deleted key had never been inserted).
 *
 * Lookup is static inline (per record on the detector's hot path):
 *
 *	struct fw_hashtab_probe p;
 *	uint32_t e;
 *
 *	fw_hashtab_probe_start(&t, h, &p);
 *	while ((e = fw_hashtab_probe_next(&t, &p)) != FW_HASHTAB_NONE)
 *		if (key_eq(&entries[e], key))
 *			return &entries[e];
 *
 * Nothing allocates after fw_hashtab_init().  Not thread-safe: one owner.
 */
#ifndef FW_HASHTAB_H
#define FW_HASHTAB_H

#include <stddef.h>
#include <stdint.h>

#include "fw_err.h"

#define FW_HASHTAB_NONE UINT32_MAX  /* no (further) entry with that hash */

struct fw_hashtab {
	uint64_t *slot;            /* hash << 32 | entry + 1; 0 = empty */
	uint32_t mask;             /* slots - 1 */
};

struct fw_hashtab_probe {
	uint32_t i;                /* next slot to look at */
	uint32_t h;
};

/*
 * Index for up to max_entries entries (< 2^30): at least twice as many
 * slots, rounded up to a power of two.  FW_OK, FW_EINVAL or FW_ENOMEM; on
 * failure t is still safe to fw_hashtab_fini().
 */
int fw_hashtab_init(struct fw_hashtab *t, size_t max_entries) FW_MUSTCHECK;

/* Free the slots (t may be zeroed or half-built); t is zeroed. */
void fw_hashtab_fini(struct fw_hashtab *t);

/* Bytes the slots take (memory accounting). */
size_t fw_hashtab_bytes(const struct fw_hashtab *t);

/* Index entry number e (< 2^32 - 1) under hash h.  The caller knows the
 * key is absent and the table holds fewer than max_entries entries. */
void fw_hashtab_insert(struct fw_hashtab *t, uint32_t h, uint32_t e);

/* Drop entry number e, indexed under h; a no-op when it is not indexed. */
void fw_hashtab_remove(struct fw_hashtab *t, uint32_t h, uint32_t e);

static inline void
fw_hashtab_probe_start(const struct fw_hashtab *t, uint32_t h, struct fw_hashtab_probe *p)
{
	p->i = h & t->mask;
	p->h = h;
}

/* The next entry indexed under p's hash, or FW_HASHTAB_NONE at the end of
 * its probe chain. */
static inline uint32_t
fw_hashtab_probe_next(const struct fw_hashtab *t, struct fw_hashtab_probe *p)
{
	for (;;) {
		uint64_t s = t->slot[p->i];

		if (s == 0)
			return FW_HASHTAB_NONE;
		p->i = (p->i + 1) & t->mask;
		if ((uint32_t)(s >> 32) == p->h)
			return (uint32_t)s - 1;
	}
}

/*
 * A 32-bit hash of n key bytes (FNV-1a, finished with a multiply-xorshift
 * so the low bits that pick the home slot depend on every byte).  Tables
 * keyed by what a remote sender chooses pass a random seed per table, so
 * crafted keys cannot aim at one probe chain.
 */
static inline uint32_t
fw_hashtab_hash(const void *key, size_t n, uint32_t seed)
{
	const uint8_t *b = key;
	uint32_t h = 2166136261u ^ seed;

	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 16777619u;
	h ^= h >> 15;
	h *= 0x2c1b3c6du;
	return h ^ (h >> 12);
}

/* The home slot of h, for a prefetch some records ahead of the lookup. */
static inline const uint64_t *
fw_hashtab_home(const struct fw_hashtab *t, uint32_t h)
{
	return &t->slot[h & t->mask];
}

/* The entry in h's home slot if its hash is h, else FW_HASHTAB_NONE: a
 * guess for prefetching the entry (most keys sit in their home slot). */
static inline uint32_t
fw_hashtab_peek(const struct fw_hashtab *t, uint32_t h)
{
	uint64_t s = t->slot[h & t->mask];

	return s != 0 && (uint32_t)(s >> 32) == h ? (uint32_t)s - 1 : FW_HASHTAB_NONE;
}

#endif /* FW_HASHTAB_H */
