/*
 * fw_cur.h - bounds-checked cursor over untrusted wire bytes.
 *
 * Every decoder reads through a cursor.  The first failed read sets a sticky
 * error; later reads are no-ops that yield zero, so a parser can read a whole
 * header and check c->err once.  Lengths are compared as end - p, never by
 * forming p + len first.  All multi-byte reads are big-endian (network order)
 * unless the name says _le.
 */
#ifndef FW_CUR_H
#define FW_CUR_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fw_err.h"

struct fw_cur {
	const uint8_t *p;    /* next byte to read */
	const uint8_t *end;  /* one past the last readable byte */
	int err;             /* FW_OK or the first failure (sticky) */
};

static inline struct fw_cur
fw_cur_make(const void *buf, size_t len)
{
	struct fw_cur c = { (const uint8_t *)buf, (const uint8_t *)buf + len, FW_OK };
	return c;
}

static inline size_t
fw_cur_left(const struct fw_cur *c)
{
	return c->err != FW_OK ? 0 : (size_t)(c->end - c->p);
}

/* Reserve n bytes: returns a pointer to them, or NULL and sets FW_ETRUNC. */
static inline const uint8_t *
fw_cur_take(struct fw_cur *c, size_t n)
{
	const uint8_t *at;

	if (c->err != FW_OK)
		return NULL;
	if ((size_t)(c->end - c->p) < n) {
		c->err = FW_ETRUNC;
		return NULL;
	}
	at = c->p;
	c->p += n;
	return at;
}

static inline void
fw_cur_skip(struct fw_cur *c, size_t n)
{
	(void)fw_cur_take(c, n);
}

static inline uint8_t
fw_cur_u8(struct fw_cur *c)
{
	const uint8_t *b = fw_cur_take(c, 1);
	return b ? b[0] : 0;
}

static inline uint16_t
fw_cur_u16(struct fw_cur *c)
{
	const uint8_t *b = fw_cur_take(c, 2);
	return b ? (uint16_t)(b[0] << 8 | b[1]) : 0;
}

static inline uint32_t
fw_cur_u32(struct fw_cur *c)
{
	const uint8_t *b = fw_cur_take(c, 4);
	return b ? (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
	    (uint32_t)b[2] << 8 | b[3] : 0;
}

static inline uint64_t
fw_cur_u64(struct fw_cur *c)
{
	uint64_t hi = fw_cur_u32(c);
	return hi << 32 | fw_cur_u32(c);
}

/* Copy n bytes out (zero-filled on failure). */
static inline void
fw_cur_copy(struct fw_cur *c, void *dst, size_t n)
{
	const uint8_t *b = fw_cur_take(c, n);
	if (b)
		memcpy(dst, b, n);
	else
		memset(dst, 0, n);
}

/*
 * Child cursor over the next len bytes; the parent skips them.  On a short
 * parent both fail: the child is empty with FW_ETRUNC.
 */
static inline struct fw_cur
fw_cur_sub(struct fw_cur *parent, size_t len)
{
	struct fw_cur child;
	const uint8_t *b = fw_cur_take(parent, len);

	if (b == NULL) {
		child.p = child.end = parent->end;
		child.err = FW_ETRUNC;
		return child;
	}
	child.p = b;
	child.end = b + len;
	child.err = FW_OK;
	return child;
}

/* Unaligned big-endian loads from a buffer already bounds-checked. */
static inline uint16_t
fw_load_be16(const uint8_t *b)
{
	return (uint16_t)(b[0] << 8 | b[1]);
}

static inline uint32_t
fw_load_be32(const uint8_t *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

#endif /* FW_CUR_H */
