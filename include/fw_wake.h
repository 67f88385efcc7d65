/*
 * fw_wake.h - put an idle consumer thread to sleep and wake it from a
 * producer without a syscall on the producer's hot path (a futex
 * eventcount).
 *
 * Consumer (one thread):
 *     t = fw_wake_prepare(w);          announce the nap
 *     if (work appeared) fw_wake_cancel(w); else fw_wake_wait(w, t, ms);
 * Producer (any thread), after publishing work:
 *     if (fw_wake_sleeping(w) && worth it) fw_wake_poke(w);
 * fw_wake_sleeping() is one relaxed load of a line the consumer writes only
 * around its naps, so a busy pipeline pays no syscall and no fence per
 * batch.  Without a fence a poke can be missed in a narrow race; the
 * consumer's nap is therefore always bounded by its timeout (ms), which
 * bounds the delay, and the producer's next batch pokes again.
 * fw_wake_kick() wakes unconditionally (stop requests).
 */
#ifndef FW_WAKE_H
#define FW_WAKE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

struct fw_wake {
	_Alignas(64) _Atomic uint32_t seq;  /* futex word: bumped by every poke */
	_Atomic uint32_t sleeping;          /* consumer announced a nap */
};

void fw_wake_init(struct fw_wake *w);

/* Consumer: announce a nap; returns the ticket for fw_wake_wait(). */
uint32_t fw_wake_prepare(struct fw_wake *w);

/* Consumer: work turned up after fw_wake_prepare(): no nap. */
void fw_wake_cancel(struct fw_wake *w);

/* Consumer: sleep until poked (after the ticket was taken) or timeout_ms. */
void fw_wake_wait(struct fw_wake *w, uint32_t ticket, int timeout_ms);

/* Producer: the consumer is napping (cheap; may be stale). */
static inline bool
fw_wake_sleeping(struct fw_wake *w)
{
	return atomic_load_explicit(&w->sleeping, memory_order_relaxed) != 0;
}

/* Producer: wake the napping consumer; one futex call per nap however many
 * producers poke.  Any thread. */
void fw_wake_poke(struct fw_wake *w);

/* Wake the consumer whether or not it announced a nap.  Any thread. */
void fw_wake_kick(struct fw_wake *w);

#endif /* FW_WAKE_H */
