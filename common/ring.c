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
 */
#include "fw_ring.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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
	free(r->slots);
	free(r);
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

size_t
fw_ring_sp_push_burst(struct fw_ring *r, const void *elems, size_t n)
{
	uint64_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
	uint64_t cap = r->mask + 1;
	uint64_t free_slots = cap - (head - r->tail_cache);

	if (free_slots < n) {
		/* Acquire: the consumer finished reading the slots it released. */
		r->tail_cache = atomic_load_explicit(&r->tail, memory_order_acquire);
		free_slots = cap - (head - r->tail_cache);
	}
	if (n > free_slots)
		n = (size_t)free_slots;
	if (n == 0)
		return 0;
	copy_in(r, head, elems, n);
	/* Release: slot contents are visible before the new head. */
	atomic_store_explicit(&r->head, head + n, memory_order_release);
	return n;
}

size_t
fw_ring_sp_push_or_drop(struct fw_ring *r, const void *elems, size_t n)
{
	size_t done = fw_ring_sp_push_burst(r, elems, n);

	if (done < n) {
		/* Only the producer writes drops: load+store, no RMW needed. */
		uint64_t d = atomic_load_explicit(&r->drops, memory_order_relaxed);
		atomic_store_explicit(&r->drops, d + (n - done), memory_order_relaxed);
	}
	return done;
}

void
fw_ring_sp_push_wait(struct fw_ring *r, const void *elems, size_t n)
{
	const uint8_t *p = elems;

	while (n > 0) {
		size_t done = fw_ring_sp_push_burst(r, p, n);

		if (done == 0) {
			struct timespec ts = { 0, 200000 };  /* consumer is behind */
			nanosleep(&ts, NULL);
		}
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
	return max;
}

size_t
fw_ring_count(const struct fw_ring *r)
{
	uint64_t tail = atomic_load_explicit(&r->tail, memory_order_acquire);
	uint64_t head = atomic_load_explicit(&r->head, memory_order_acquire);

	return head >= tail ? (size_t)(head - tail) : 0;
}

size_t
fw_ring_capacity(const struct fw_ring *r)
{
	return (size_t)r->mask + 1;
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
