/* counters.c - single-writer counters, relaxed snapshot (fw_counters.h). */
#include "fw_counters.h"

#include <string.h>

void
fw_counters_publish(_Atomic uint64_t *pub, const void *work, size_t n)
{
	const unsigned char *w = work;

	for (size_t i = 0; i < n; i++) {
		uint64_t v;

		memcpy(&v, w + i * sizeof(v), sizeof(v));
		atomic_store_explicit(&pub[i], v, memory_order_relaxed);
	}
}

void
fw_counters_read(const _Atomic uint64_t *pub, void *out, size_t n)
{
	unsigned char *o = out;

	for (size_t i = 0; i < n; i++) {
		uint64_t v = atomic_load_explicit(&pub[i], memory_order_relaxed);

		memcpy(o + i * sizeof(v), &v, sizeof(v));
	}
}
