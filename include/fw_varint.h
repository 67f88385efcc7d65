/*
 * fw_varint.h - base-128 varints (LEB128, as protobuf writes them): the
 * detector's checkpoints and the cluster record wire share them.
 * Inline: both use them per field on hot paths.
 */
#ifndef FW_VARINT_H
#define FW_VARINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Write v at p (room for 10 bytes); returns the bytes written. */
static inline size_t
fw_varint_put(uint8_t *p, uint64_t v)
{
	size_t n = 0;

	while (v >= 0x80) {
		p[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	p[n++] = (uint8_t)v;
	return n;
}

/* Read a varint of at most 10 bytes from p[*i .. n) into *x, moving *i past
 * it (bits past 64 are dropped, as protobuf does); false when it does not
 * end within 10 bytes or before n. */
static inline bool
fw_varint_get(const uint8_t *p, size_t n, size_t *i, uint64_t *x)
{
	*x = 0;
	for (int sh = 0; sh < 64 && *i < n; sh += 7) {
		uint8_t c = p[(*i)++];

		*x |= (uint64_t)(c & 0x7f) << sh;
		if ((c & 0x80) == 0)
			return true;
	}
	return false;
}

#endif /* FW_VARINT_H */
