/*
 * fw_ring.h - lock-free single-producer / single-consumer ring of fixed-size
 * records.
 *
 * Capacity is a power of two.  head (producer) and tail (consumer) are
 * free-running 64-bit counters compared by difference, each on its own cache
 * line together with the side's cached copy of the other index, so in the
 * common case a burst touches the shared line of the other side once.
 *
 * Names carry the contract (after DPDK): sp_ = only one producer thread may
 * call it, sc_ = only one consumer thread.  A *burst* moves what fits and
 * returns the count; nothing ever blocks.  fw_ring_sp_push_or_drop() is the
 * collector's form: what does not fit is counted as dropped.
 *
 * Ownership: fw_ring_new() allocates the descriptor and its slots; the
 * caller frees with fw_ring_free() after both threads are done.
 */
#ifndef FW_RING_H
#define FW_RING_H

#include <stddef.h>
#include <stdint.h>

#include "fw_err.h"

struct fw_ring;

/*
 * Make a ring of `capacity` slots (rounded up to a power of two, >= 2) of
 * `elem_size` bytes each.  Returns FW_OK, FW_EINVAL or FW_ENOMEM.
 */
int fw_ring_new(size_t capacity, size_t elem_size, struct fw_ring **out) FW_MUSTCHECK;
void fw_ring_free(struct fw_ring *r);

/* Copy up to n records in; returns how many fitted (0..n). Producer only. */
size_t fw_ring_sp_push_burst(struct fw_ring *r, const void *elems, size_t n);

/* As push_burst, and counts the records that did not fit as drops. */
size_t fw_ring_sp_push_or_drop(struct fw_ring *r, const void *elems, size_t n);

/*
 * Copy all n records in, sleeping briefly while the ring is full.  For
 * producers that must not drop (replay, the detector's alert events);
 * never call it from a socket thread.  Producer only.
 */
void fw_ring_sp_push_wait(struct fw_ring *r, const void *elems, size_t n);

/* Copy up to max records out, oldest first; returns the count. Consumer only. */
size_t fw_ring_sc_pop_burst(struct fw_ring *r, void *out, size_t max);

/* Approximate counts, readable from any thread. */
size_t fw_ring_count(const struct fw_ring *r);
size_t fw_ring_capacity(const struct fw_ring *r);
uint64_t fw_ring_drops(const struct fw_ring *r);
uint64_t fw_ring_pushed(const struct fw_ring *r);

#endif /* FW_RING_H */
