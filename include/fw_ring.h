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
 *
 * Fan-out (detector shards): a producer may be handed a fan-out ring
 * instead of a plain one.  It pushes with the same calls; each record goes
 * to the record ring of the shard its route function names, and every
 * record's event time goes to every shard's lane (8-byte entries, in push
 * order, flagged FW_RING_LANE_OWN in the shard that got the record), so
 * each shard sees the time of the whole stream in order and the records
 * it owns.  A producer pushing two kinds (flows and DNS) has two fan-outs
 * over the same lanes, so their order survives too.  Only the producer
 * pushes to a fan-out; nothing pops from it.
 *
 * Wake-ups (fw_wake.h): a consumer that naps names its wake with
 * fw_ring_set_wake(); a push pokes it only when it naps and the ring holds
 * at least `at` records (or entries), so a busy pipeline makes no syscall
 * and a quiet one wakes once per `at` records or per nap timeout.
 * fw_ring_sp_push_wait() sleeps on the ring's own wake, which a pop pokes.
 */
#ifndef FW_RING_H
#define FW_RING_H

#include <stddef.h>
#include <stdint.h>

#include "fw_err.h"
#include "fw_wake.h"

struct fw_ring;

/* Lane entries (fan-out): event time << 2 | flags. */
#define FW_RING_LANE_OWN 1u    /* the record is in this shard's record ring */
#define FW_RING_LANE_K2  2u    /* the record is of the producer's second kind (DNS) */
#define FW_RING_LANE_NOTIME (UINT64_MAX >> 2)  /* time < 0 or past INT64_MAX / 4 */

static inline int64_t
fw_ring_lane_time(uint64_t e)
{
	return e >> 2 == FW_RING_LANE_NOTIME ? -1 : (int64_t)(e >> 2);
}

/*
 * Route one record: its shard (0 .. n-1) and its event time in *time_ms.
 * Called on the producer's thread, once per record.
 */
typedef int fw_ring_route_fn(void *ctx, const void *elem, int64_t *time_ms);

/*
 * Make a ring of `capacity` slots (rounded up to a power of two, >= 2) of
 * `elem_size` bytes each.  Returns FW_OK, FW_EINVAL or FW_ENOMEM.
 */
int fw_ring_new(size_t capacity, size_t elem_size, struct fw_ring **out) FW_MUSTCHECK;
void fw_ring_free(struct fw_ring *r);

/*
 * A fan-out over n shards: outs[i] takes the records routed to shard i
 * (elem_size of the fan-out = theirs), lanes[i] (8-byte elements) the lane
 * entries, flagged FW_RING_LANE_K2 when kind2.  The rings stay the
 * caller's; fw_ring_free() of the fan-out frees only the fan-out.
 * FW_OK, FW_EINVAL or FW_ENOMEM.  Before any push.
 */
int fw_ring_new_fanout(struct fw_ring *const *outs, struct fw_ring *const *lanes, int n, int kind2,
    fw_ring_route_fn *route, void *ctx, struct fw_ring **out) FW_MUSTCHECK;

/* Poke w after a push that leaves at least `at` records in the ring while
 * w's consumer naps.  Before any push. */
void fw_ring_set_wake(struct fw_ring *r, struct fw_wake *w, size_t at);

/* Copy up to n records in; returns how many fitted (0..n). Producer only. */
size_t fw_ring_sp_push_burst(struct fw_ring *r, const void *elems, size_t n);

/* As push_burst, and counts the records that did not fit as drops. */
size_t fw_ring_sp_push_or_drop(struct fw_ring *r, const void *elems, size_t n);

/*
 * Zero-copy push: *at points at free slots to fill in place, up to max of
 * them and contiguous (the ring's end cuts a span short); returns their
 * count, 0 when full or for a fan-out (which has no slots: push instead).
 * Nothing is visible to the consumer until fw_ring_sp_commit(r, n)
 * publishes the first n of them (n <= the count).  Producer only.
 */
size_t fw_ring_sp_reserve(struct fw_ring *r, void **at, size_t max);
void fw_ring_sp_commit(struct fw_ring *r, size_t n);
/*
 * Copy all n records in, sleeping briefly while the ring is full.  For
 * producers that must not drop (replay, the detector's alert events);
 * never call it from a socket thread.  Producer only.
 */
void fw_ring_sp_push_wait(struct fw_ring *r, const void *elems, size_t n);

/* Copy up to max records out, oldest first; returns the count. Consumer only. */
size_t fw_ring_sc_pop_burst(struct fw_ring *r, void *out, size_t max);

/*
 * Zero-copy pop: *at points at the oldest records in place, up to max of
 * them and contiguous (the ring's end cuts a span short); returns their
 * count, 0 when empty.  They stay the consumer's until
 * fw_ring_sc_release(r, n) hands the first n slots back.  Consumer only.
 */
size_t fw_ring_sc_peek(struct fw_ring *r, const void **at, size_t max);
void fw_ring_sc_release(struct fw_ring *r, size_t n);

/* Approximate counts, readable from any thread.  A fan-out counts its drops
 * and pushes; its records are counted in the shard rings. */
size_t fw_ring_count(const struct fw_ring *r);
size_t fw_ring_capacity(const struct fw_ring *r);
uint64_t fw_ring_drops(const struct fw_ring *r);
uint64_t fw_ring_pushed(const struct fw_ring *r);

#endif /* FW_RING_H */
