/*
 * fw_sketch.h - fixed-size summaries the detector keeps per victim and zone.
 *
 *  - struct fw_ent16: a 16-bucket histogram of hashed feature values
 *    (weights in packets or queries).  Its normalised Shannon entropy
 *    (0 = one value, 1 = spread evenly) estimates how spread a feature
 *    is: thousands of spoofed sources fill every bucket (about 1), one
 *    reflector port fills one (0).  Buckets cap the estimate at 4 bits,
 *    which is enough to compare a window against the victim's own
 *    baseline; it is evidence, never a count of distinct values.
 *  - struct fw_topk: space-saving heavy hitters (Metwally et al. 2005)
 *    with FW_TOPK_K counters: any item whose true weight exceeds
 *    total / K is in the table, and each count overestimates by at most
 *    the `err` stored beside it.
 *  - struct fw_xset: an EXACT set of 64-bit name fingerprints with a fixed
 *    capacity, for distinct names per zone.  It saturates: once full, new
 *    keys are counted in `overflow` and not stored, so `n` is a lower
 *    bound flagged by fw_xset_saturated().  It is not a probabilistic
 *    cardinality estimator: every stored key is one distinct fingerprint
 *    (two different names collide only if 48 bits of their 64-bit hashes
 *    are equal; the set indexes by the low bits, keeps the high 48).
 *
 * Nothing here allocates except fw_xset_init(); all calls are O(1) or
 * O(K) and run on the detector thread.
 */
#ifndef FW_SKETCH_H
#define FW_SKETCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fw_err.h"

#define FW_ENT_BUCKETS 16

struct fw_ent16 {
	uint32_t b[FW_ENT_BUCKETS];  /* weight per hashed value bucket */
};

/* Add weight w for a value whose 64-bit hash is h. */
static inline void
fw_ent16_add(struct fw_ent16 *e, uint64_t h, uint32_t w)
{
	uint32_t *c = &e->b[(h >> 60) & (FW_ENT_BUCKETS - 1)];

	*c = *c + w < *c ? UINT32_MAX : *c + w;  /* saturate, never wrap */
}

/* Normalised entropy in [0, 1]; 0 for an empty histogram. */
double fw_ent16_value(const struct fw_ent16 *e);

/* Shannon entropy in bits of a histogram of n counters (any n). */
double fw_entropy_bits(const uint32_t *c, size_t n);

#define FW_TOPK_K 16

struct fw_topk {
	uint64_t key[FW_TOPK_K];     /* item (address hash, port, ...) */
	uint64_t cnt[FW_TOPK_K];     /* estimated weight (upper bound) */
	uint64_t err[FW_TOPK_K];     /* overestimate bound of cnt */
	uint64_t total;              /* all weight offered */
	uint32_t n;                  /* counters in use */
	uint32_t k;                  /* counters allowed, <= FW_TOPK_K */
};

/* Empty the summary and use k counters (1..FW_TOPK_K). */
void fw_topk_init(struct fw_topk *t, uint32_t k);

/* Offer weight w of item key; returns the counter now holding key. */
uint32_t fw_topk_add(struct fw_topk *t, uint64_t key, uint64_t w);

/* Indices of the counters by descending count into idx (t->n entries). */
void fw_topk_order(const struct fw_topk *t, uint32_t *idx);

struct fw_xset {
	uint64_t *slot;              /* fingerprint << 16 | hits; 0 = empty (owned) */
	uint32_t mask;               /* slots - 1 */
	uint32_t cap;                /* keys stored at most (<= slots / 2) */
	uint32_t n;                  /* distinct keys stored */
	uint64_t overflow;           /* offers of unseen keys once full */
	uint64_t offered;            /* offers accepted while not saturated */
};

/* Allocate a set holding up to cap keys.  FW_OK or FW_ENOMEM. */
int fw_xset_init(struct fw_xset *s, uint32_t cap) FW_MUSTCHECK;
void fw_xset_fini(struct fw_xset *s);

/* Empty the set: O(slots). */
void fw_xset_clear(struct fw_xset *s);

/*
 * Offer a fingerprint: 1 if it was new and stored, 0 if already present,
 * -1 once the set has overflowed (the first new key past the cap and every
 * offer after it: counted in overflow, not looked up, so `offered` and the
 * hit counts describe the stream up to saturation).
 */
int fw_xset_add(struct fw_xset *s, uint64_t key);

static inline bool
fw_xset_saturated(const struct fw_xset *s)
{
	return s->overflow > 0;
}

/* Keys stored with exactly one hit (never repeated). */
uint32_t fw_xset_singletons(const struct fw_xset *s);

/* Bytes a set of this capacity holds. */
size_t fw_xset_bytes(uint32_t cap);

/* 64-bit hashes used for features and names (stable across runs). */
static inline uint64_t
fw_hash64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

uint64_t fw_hash_bytes(const void *p, size_t n, uint64_t seed);

#endif /* FW_SKETCH_H */
