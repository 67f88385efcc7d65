/*
 * ring.c - SPSC ring (see fw_ring.h for the contract).
 *
 *   slots: [ 0 | 1 | ... | mask ]      index i lives in slot i & mask
 *            ^tail (next to pop)  ^head (next to fill)
 *   empty: head == tail      full: head - tail == capacity
 *
 * Memory ordering: the producer writes slot contents, then publishes head
 * with a release store; the consumer reads head with acquire, so the slot
 * bytes are visible before it copies them.  Symmetrically the consumer
 * releases tail after copying out, and the producer acquires tail before
 * overwriting those slots.  Each side keeps a private cached copy of the
 * other's index and re-reads the shared one only when the cache says the
 * ring looks full (producer) or empty (consumer).
 *
 * Fan-out (see fw_ring.h): a descriptor with no slots of its own; a push
 * routes a chunk of records (FAN_CHUNK), then for each shard copies its
 * records into the shard's record ring and one entry per record into the
 * shard's lane, and publishes the record ring before the lane (both
 * release), so a consumer that sees a lane entry marked own finds the
 * record.  What does not fit is handled per shard: no lane room, the entry
 * (and an own record) is dropped; no record room, the record is dropped and
 * its entry still carries the time.
 */
#include "fw_ring.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#define FAN_CHUNK 256
#define SPACE_NAP_MS 1   /* push_wait: a pop pokes; this bounds a missed poke */

struct fanout {
	int n;
	struct fw_ring *const *out;
	struct fw_ring *const *lane;
	fw_ring_route_fn *route;
	void *ctx;
	uint64_t kind;              /* 0 or FW_RING_LANE_K2 */
	uint16_t sh[FAN_CHUNK];     /* shard of each record of the chunk */
	uint64_t ent[FAN_CHUNK];    /* its lane entry, without OWN */
};

struct fw_ring {
	/* Producer's line. */
	_Alignas(64) _Atomic uint64_t head;
	uint64_t tail_cache;        /* producer's last view of tail */
	_Atomic uint64_t drops;     /* written by the producer only */
	/* Consumer's line. */
	_Alignas(64) _Atomic uint64_t tail;
	uint64_t head_cache;        /* consumer's last view of head */
	/* Read-only after creation. */
	_Alignas(64) uint64_t mask;
	size_t elem_size;
	uint8_t *slots;
	struct fw_wake *wake;       /* the consumer's, or NULL */
	uint64_t wake_at;
	struct fanout *fan;         /* fan-out: no slots */
	struct fw_ring *outs[64];   /* fan-out: the shard rings (copied) */
	struct fw_ring *lanes[64];
	/* push_wait's nap: the producer sleeps here, a pop pokes. */
	struct fw_wake space;
};

int
fw_ring_new(size_t capacity, size_t elem_size, struct fw_ring **out)
{
	struct fw_ring *r;
	size_t cap = 2;

	if (elem_size == 0 || capacity == 0 || capacity > ((size_t)1 << 30))
		return FW_EINVAL;
	while (cap < capacity)
		cap <<= 1;
	if (posix_memalign((void **)&r, 64, sizeof(*r)) != 0)
		return FW_ENOMEM;
	memset(r, 0, sizeof(*r));
	fw_wake_init(&r->space);
	r->mask = cap - 1;
	r->elem_size = elem_size;
	if (posix_memalign((void **)&r->slots, 64, cap * elem_size) != 0) {
		free(r);
		return FW_ENOMEM;
	}
	*out = r;
	return FW_OK;
}

void
fw_ring_free(struct fw_ring *r)
{
	if (r == NULL)
		return;
	free(r->fan);
	free(r->slots);
	free(r);
}

int
fw_ring_new_fanout(struct fw_ring *const *outs, struct fw_ring *const *lanes, int n, int kind2,
    fw_ring_route_fn *route, void *ctx, struct fw_ring **out)
{
	struct fw_ring *r;

	if (n < 1 || n > 64 || route == NULL)
		return FW_EINVAL;
	for (int i = 0; i < n; i++)
		if (outs[i]->elem_size != outs[0]->elem_size || lanes[i]->elem_size != sizeof(uint64_t))
			return FW_EINVAL;
	if (posix_memalign((void **)&r, 64, sizeof(*r)) != 0)
		return FW_ENOMEM;
	memset(r, 0, sizeof(*r));
	fw_wake_init(&r->space);
	if ((r->fan = calloc(1, sizeof(*r->fan))) == NULL) {
		free(r);
		return FW_ENOMEM;
	}
	for (int i = 0; i < n; i++) {
		r->outs[i] = outs[i];
		r->lanes[i] = lanes[i];
	}
	r->fan->n = n;
	r->fan->out = r->outs;
	r->fan->lane = r->lanes;
	r->fan->route = route;
	r->fan->ctx = ctx;
	r->fan->kind = kind2 ? FW_RING_LANE_K2 : 0;
	r->elem_size = outs[0]->elem_size;
	*out = r;
	return FW_OK;
}

void
fw_ring_set_wake(struct fw_ring *r, struct fw_wake *w, size_t at)
{
	r->wake = w;
	r->wake_at = at < 1 ? 1 : at;
}

/* Producer: free slots for want records, re-reading tail only when short. */
static uint64_t
room(struct fw_ring *r, uint64_t head, uint64_t want)
{
	uint64_t cap = r->mask + 1, free_slots = cap - (head - r->tail_cache);

	if (free_slots < want) {
		/* Acquire: the consumer finished reading the slots it released. */
		r->tail_cache = atomic_load_explicit(&r->tail, memory_order_acquire);
		free_slots = cap - (head - r->tail_cache);
	}
	return free_slots;
}

/* Producer: head moved to `head`; poke a napping consumer with enough to do. */
static inline void
published(struct fw_ring *r, uint64_t head)
{
	/* Release: slot contents are visible before the new head. */
	atomic_store_explicit(&r->head, head, memory_order_release);
	if (r->wake != NULL && fw_wake_sleeping(r->wake) && head - r->tail_cache >= r->wake_at)
		fw_wake_poke(r->wake);
}

/* push_wait: nap until a pop (or SPACE_NAP_MS) when short of room. */
static void
wait_room(struct fw_ring *r, uint64_t want)
{
	uint64_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
	uint32_t t;

	if (room(r, head, want) >= want)
		return;
	t = fw_wake_prepare(&r->space);
	if (room(r, head, want) >= want)
		fw_wake_cancel(&r->space);
	else
		fw_wake_wait(&r->space, t, SPACE_NAP_MS);
}

static inline uint64_t
lane_bits(int64_t t)
{
	return t < 0 || t > INT64_MAX / 4 ? FW_RING_LANE_NOTIME << 2 : (uint64_t)t << 2;
}

/* One chunk to shard s; returns the records of s dropped. */
static size_t
fan_shard(struct fanout *f, int s, const uint8_t *src, size_t m, size_t es, bool wait)
{
	struct fw_ring *o = f->out[s], *l = f->lane[s];
	uint64_t oh = atomic_load_explicit(&o->head, memory_order_relaxed);
	uint64_t lh = atomic_load_explicit(&l->head, memory_order_relaxed);
	uint64_t *lslots = (uint64_t *)(void *)l->slots;
	size_t own = 0, drops = 0;
	uint64_t of, lf;

	for (size_t i = 0; i < m; i++)
		own += f->sh[i] == s;
	for (;;) {
		of = room(o, oh, own);
		lf = room(l, lh, m);
		if (!wait || (of >= own && lf >= m))
			break;
		wait_room(of < own ? o : l, of < own ? own : m);
	}
	for (size_t i = 0; i < m; i++) {
		uint64_t e = f->ent[i];

		if (lf == 0) {
			drops += f->sh[i] == s;
			continue;
		}
		if (f->sh[i] == s) {
			if (of > 0) {
				memcpy(o->slots + (size_t)(oh & o->mask) * es, src + i * es, es);
				oh++;
				of--;
				e |= FW_RING_LANE_OWN;
			} else {
				drops++;
			}
		}
		lslots[lh & l->mask] = e;
		lh++;
		lf--;
	}
	/* Records first: an own entry's record is there when the entry is seen. */
	if (own > 0)
		published(o, oh);
	published(l, lh);
	return drops;
}

/* Push through a fan-out; returns the records that reached their shard. */
static size_t
fan_push(struct fw_ring *r, const uint8_t *src, size_t n, bool wait)
{
	struct fanout *f = r->fan;
	size_t es = r->elem_size, drops = 0, left = n;

	while (left > 0) {
		size_t m = left < FAN_CHUNK ? left : FAN_CHUNK;

		for (size_t i = 0; i < m; i++) {
			int64_t t = 0;
			int s = f->route(f->ctx, src + i * es, &t);

			f->sh[i] = (uint16_t)(s >= 0 && s < f->n ? s : 0);
			f->ent[i] = lane_bits(t) | f->kind;
		}
		for (int s = 0; s < f->n; s++)
			drops += fan_shard(f, s, src, m, es, wait);
		src += m * es;
		left -= m;
	}
	atomic_store_explicit(&r->head, atomic_load_explicit(&r->head, memory_order_relaxed) + n - drops,
	    memory_order_relaxed);
	return n - drops;
}

/* Copy n records to/from slots starting at index i, wrapping once. */
static void
copy_in(struct fw_ring *r, uint64_t i, const uint8_t *src, size_t n)
{
	size_t cap = (size_t)r->mask + 1, at = (size_t)(i & r->mask);
	size_t first = n < cap - at ? n : cap - at;

	memcpy(r->slots + at * r->elem_size, src, first * r->elem_size);
	if (n > first)
		memcpy(r->slots, src + first * r->elem_size, (n - first) * r->elem_size);
}

static void
copy_out(const struct fw_ring *r, uint64_t i, uint8_t *dst, size_t n)
{
	size_t cap = (size_t)r->mask + 1, at = (size_t)(i & r->mask);
	size_t first = n < cap - at ? n : cap - at;

	memcpy(dst, r->slots + at * r->elem_size, first * r->elem_size);
	if (n > first)
		memcpy(dst + first * r->elem_size, r->slots, (n - first) * r->elem_size);
}

/* Push through a fan-out, counting drops (push_or_drop's rule). */
static size_t
fan_push_count(struct fw_ring *r, const void *elems, size_t n, bool wait)
{
	size_t done = fan_push(r, elems, n, wait);

	if (done < n) {
		uint64_t d = atomic_load_explicit(&r->drops, memory_order_relaxed);
		atomic_store_explicit(&r->drops, d + (n - done), memory_order_relaxed);
	}
	return done;
}

size_t
fw_ring_sp_push_burst(struct fw_ring *r, const void *elems, size_t n)
{
	uint64_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
	uint64_t free_slots;

	if (r->fan != NULL)
		return fan_push_count(r, elems, n, false);
	free_slots = room(r, head, n);
	if (n > free_slots)
		n = (size_t)free_slots;
	if (n == 0)
		return 0;
	copy_in(r, head, elems, n);
	published(r, head + n);
	return n;
}

size_t
fw_ring_sp_push_or_drop(struct fw_ring *r, const void *elems, size_t n)
{
	size_t done;

	if (r->fan != NULL)
		return fan_push_count(r, elems, n, false);
	done = fw_ring_sp_push_burst(r, elems, n);
	if (done < n) {
		/* Only the producer writes drops: load+store, no RMW needed. */
		uint64_t d = atomic_load_explicit(&r->drops, memory_order_relaxed);
		atomic_store_explicit(&r->drops, d + (n - done), memory_order_relaxed);
	}
	return done;
}

size_t
fw_ring_sp_reserve(struct fw_ring *r, void **at, size_t max)
{
	uint64_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
	uint64_t n, contig;

	*at = NULL;
	if (r->fan != NULL || max == 0)
		return 0;
	n = room(r, head, max);
	contig = r->mask + 1 - (head & r->mask);
	n = n < contig ? n : contig;
	n = n < max ? n : max;
	if (n > 0)
		*at = r->slots + (size_t)(head & r->mask) * r->elem_size;
	return (size_t)n;
}

void
fw_ring_sp_commit(struct fw_ring *r, size_t n)
{
	uint64_t head = atomic_load_explicit(&r->head, memory_order_relaxed);

	if (n > 0)
		published(r, head + n);
}

void
fw_ring_sp_push_wait(struct fw_ring *r, const void *elems, size_t n)
{
	const uint8_t *p = elems;

	if (r->fan != NULL) {
		(void)fan_push(r, p, n, true);
		return;
	}
	while (n > 0) {
		size_t done = fw_ring_sp_push_burst(r, p, n);

		if (done == 0)
			wait_room(r, 1);  /* consumer is behind */
		p += done * r->elem_size;
		n -= done;
	}
}

size_t
fw_ring_sc_pop_burst(struct fw_ring *r, void *out, size_t max)
{
	uint64_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
	uint64_t avail = r->head_cache - tail;

	if (avail < max) {
		/* Acquire: pairs with the producer's release of head. */
		r->head_cache = atomic_load_explicit(&r->head, memory_order_acquire);
		avail = r->head_cache - tail;
	}
	if (max > avail)
		max = (size_t)avail;
	if (max == 0)
		return 0;
	copy_out(r, tail, out, max);
	/* Release: we are done reading these slots before the producer reuses them. */
	atomic_store_explicit(&r->tail, tail + max, memory_order_release);
	if (fw_wake_sleeping(&r->space))
		fw_wake_poke(&r->space);
	return max;
}

size_t
fw_ring_sc_peek(struct fw_ring *r, const void **at, size_t max)
{
	uint64_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
	uint64_t avail = r->head_cache - tail, to_end = r->mask + 1 - (tail & r->mask);

	if (avail < max) {
		/* Acquire: pairs with the producer's release of head. */
		r->head_cache = atomic_load_explicit(&r->head, memory_order_acquire);
		avail = r->head_cache - tail;
	}
	if (max > avail)
		max = (size_t)avail;
	if (max > to_end)
		max = (size_t)to_end;
	*at = r->slots + (size_t)(tail & r->mask) * r->elem_size;
	return max;
}

void
fw_ring_sc_release(struct fw_ring *r, size_t n)
{
	uint64_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);

	/* Release: done reading the slots before the producer reuses them. */
	atomic_store_explicit(&r->tail, tail + n, memory_order_release);
	if (fw_wake_sleeping(&r->space))
		fw_wake_poke(&r->space);
}

size_t
fw_ring_count(const struct fw_ring *r)
{
	uint64_t tail = atomic_load_explicit(&r->tail, memory_order_acquire);
	uint64_t head = atomic_load_explicit(&r->head, memory_order_acquire);

	if (r->fan != NULL)
		return 0;  /* its records wait in the shard rings */
	return head >= tail ? (size_t)(head - tail) : 0;
}

size_t
fw_ring_capacity(const struct fw_ring *r)
{
	return r->fan != NULL ? 0 : (size_t)r->mask + 1;
}

uint64_t
fw_ring_drops(const struct fw_ring *r)
{
	return atomic_load_explicit(&r->drops, memory_order_relaxed);
}

uint64_t
fw_ring_pushed(const struct fw_ring *r)
{
	return atomic_load_explicit(&r->head, memory_order_relaxed);
}
