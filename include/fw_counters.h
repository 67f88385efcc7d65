/*
 * fw_counters.h - counters one thread writes and others read, published
 * one way everywhere (STYLE.md, "Per-thread counters: writer relaxed
 * load+store").
 *
 * The writing thread counts in a plain struct of uint64_t fields (no atomic
 * read-modify-write, no lock on its hot path) and, at a batch boundary,
 * copies it into an array of _Atomic uint64_t with relaxed stores.  Readers
 * (metrics, the summary, other threads) load that array.  Each value is
 * whole (no torn 64-bit reads); a snapshot may mix two publishes, which is
 * fine for monotonic counters read for display.  After the writer is
 * joined, a read sees its last publish.
 */
#ifndef FW_COUNTERS_H
#define FW_COUNTERS_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

/* Number of uint64_t counters in a struct made only of them. */
#define FW_COUNTERS_N(type) (sizeof(type) / sizeof(uint64_t))
#define FW_COUNTERS_ASSERT(type) \
	_Static_assert(sizeof(type) % sizeof(uint64_t) == 0, #type " is published as uint64_t counters")

/* Writer: pub[0..n) = the n counters at work.  Writing thread only. */
void fw_counters_publish(_Atomic uint64_t *pub, const void *work, size_t n);

/* Reader: the n counters last published, into out.  Any thread. */
void fw_counters_read(const _Atomic uint64_t *pub, void *out, size_t n);

#endif /* FW_COUNTERS_H */
