/*
 * sketch.c - entropy histograms, space-saving top-k and the capped exact
 * set used by the detector (see include/fw_sketch.h for the contracts).
 *
 * The exact set is open addressing with linear probing, kept at most half
 * full so a probe chain stays short; it never deletes single keys (it is
 * cleared whole at a window boundary), so no tombstones are needed.
 */
#include "fw_sketch.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

double
fw_entropy_bits(const uint32_t *c, size_t n)
{
	double total = 0, h = 0;

	for (size_t i = 0; i < n; i++)
		total += c[i];
	if (total <= 0)
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (c[i] > 0) {
			double p = c[i] / total;
			h -= p * log2(p);
		}
	}
	return h;
}

double
fw_ent16_value(const struct fw_ent16 *e)
{
	return fw_entropy_bits(e->b, FW_ENT_BUCKETS) / 4.0;  /* log2(16) = 4 */
}

void
fw_topk_init(struct fw_topk *t, uint32_t k)
{
	memset(t, 0, sizeof(*t));
	t->k = k == 0 || k > FW_TOPK_K ? FW_TOPK_K : k;
}

uint32_t
fw_topk_add(struct fw_topk *t, uint64_t key, uint64_t w)
{
	uint32_t min = 0;

	t->total += w;
	if (t->n < t->k) {
		for (uint32_t i = 0; i < t->n; i++) {
			if (t->key[i] == key) {
				t->cnt[i] += w;
				return i;
			}
		}
		t->key[t->n] = key;
		t->cnt[t->n] = w;
		t->err[t->n] = 0;
		return t->n++;
	}
	/* Full: the smallest counter (the first of equals) is found in the
	 * same pass as the key, which is mostly absent (spoofed sources). */
	for (uint32_t i = 0; i < t->n; i++) {
		if (t->key[i] == key) {
			t->cnt[i] += w;
			return i;
		}
		if (t->cnt[i] < t->cnt[min])
			min = i;
	}
	/* Space-saving: the new item inherits the smallest counter, whose
	 * count becomes its error bound. */
	t->key[min] = key;
	t->err[min] = t->cnt[min];
	t->cnt[min] += w;
	return min;
}

void
fw_topk_order(const struct fw_topk *t, uint32_t *idx)
{
	for (uint32_t i = 0; i < t->n; i++)
		idx[i] = i;
	/* Insertion sort of at most FW_TOPK_K; ties by key for determinism. */
	for (uint32_t i = 1; i < t->n; i++) {
		uint32_t x = idx[i], j = i;

		while (j > 0 && (t->cnt[idx[j - 1]] < t->cnt[x] ||
		    (t->cnt[idx[j - 1]] == t->cnt[x] && t->key[idx[j - 1]] > t->key[x]))) {
			idx[j] = idx[j - 1];
			j--;
		}
		idx[j] = x;
	}
}

/*
 * A slot packs a 48-bit fingerprint (the key's high bits; 0 remapped to 1)
 * and a 16-bit saturating hit count: one 8-byte load per probe, one cache
 * line per insert.  Two names collide only if 48 hash bits agree: at the
 * default cap of 4096 names the chance of any collision in a window is
 * about 3e-8.
 */
#define XS_FP(k) ((k) >> 16 != 0 ? (k) >> 16 : 1)
#define XS_CNT(e) ((uint32_t)((e) & 0xffff))

size_t
fw_xset_bytes(uint32_t cap)
{
	size_t slots = 16;

	while (slots < (size_t)cap * 2)
		slots <<= 1;
	return slots * sizeof(uint64_t);
}

int
fw_xset_init(struct fw_xset *s, uint32_t cap)
{
	size_t slots = 16;

	memset(s, 0, sizeof(*s));
	if (cap == 0 || cap > (1u << 28))
		return FW_EINVAL;
	while (slots < (size_t)cap * 2)
		slots <<= 1;
	if ((s->slot = calloc(slots, sizeof(*s->slot))) == NULL)
		return FW_ENOMEM;
	s->mask = (uint32_t)(slots - 1);
	s->cap = cap;
	return FW_OK;
}

void
fw_xset_fini(struct fw_xset *s)
{
	free(s->slot);
	memset(s, 0, sizeof(*s));
}

void
fw_xset_clear(struct fw_xset *s)
{
	if (s->n > 0)
		memset(s->slot, 0, ((size_t)s->mask + 1) * sizeof(*s->slot));
	s->n = 0;
	s->overflow = 0;
	s->offered = 0;
}

int
fw_xset_add(struct fw_xset *s, uint64_t key)
{
	uint64_t fp = XS_FP(key);
	uint32_t i;

	/* Saturated: the window is judged on the names seen up to the cap;
	 * later offers are only counted (no probe, no cache miss). */
	if (s->overflow > 0) {
		s->overflow++;
		return -1;
	}
	for (i = (uint32_t)key & s->mask; s->slot[i] != 0; i = (i + 1) & s->mask) {
		if (s->slot[i] >> 16 == fp) {
			if (XS_CNT(s->slot[i]) < 0xffff)
				s->slot[i]++;
			if (s->overflow == 0)
				s->offered++;
			return 0;
		}
	}
	if (s->n >= s->cap) {
		s->overflow++;
		return -1;
	}
	s->slot[i] = fp << 16 | 1;
	s->n++;
	s->offered++;
	return 1;
}

uint32_t
fw_xset_singletons(const struct fw_xset *s)
{
	uint32_t n = 0;

	if (s->n == 0)
		return 0;
	for (uint32_t i = 0; i <= s->mask; i++)
		n += s->slot[i] != 0 && XS_CNT(s->slot[i]) == 1;
	return n;
}

uint64_t
fw_hash_bytes(const void *p, size_t n, uint64_t seed)
{
	const unsigned char *b = p;
	uint64_t h = seed ^ (n * 0x9e3779b97f4a7c15ULL);

	while (n >= 8) {
		uint64_t w;

		memcpy(&w, b, 8);
		h = fw_hash64(h ^ w) + 0x9e3779b97f4a7c15ULL;
		b += 8;
		n -= 8;
	}
	if (n > 0) {
		uint64_t w = 0;

		memcpy(&w, b, n);
		h = fw_hash64(h ^ w ^ ((uint64_t)n << 56));
	}
	return fw_hash64(h);
}
