/*
 * fw_prefix.h - IP prefixes (CIDR) in the 16-byte fw_addr form, and small
 * fixed lists of them (allowlists, protected networks).
 */
#ifndef FW_PREFIX_H
#define FW_PREFIX_H

#include <endian.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fw_err.h"
#include "fw_records.h"

struct fw_prefix {
	struct fw_addr addr;   /* network address, host bits cleared */
	uint8_t len;           /* prefix length in the 128-bit form (IPv4 /24 -> 120) */
};

#define FW_PREFIX_LIST_MAX 64

struct fw_prefix_list {
	size_t n;
	struct fw_prefix p[FW_PREFIX_LIST_MAX];
};

/* "192.0.2.0/24", "2001:db8::/32", or a bare address (a host prefix). */
int fw_prefix_parse(const char *text, struct fw_prefix *out) FW_MUSTCHECK;

/* Comma- or space-separated list; empty text gives an empty list. */
int fw_prefix_list_parse(const char *text, struct fw_prefix_list *out, char *err, size_t errlen) FW_MUSTCHECK;

int fw_prefix_contains(const struct fw_prefix *p, const struct fw_addr *a);

/*
 * Clear every bit of a after the first len (of 128): a's network address.
 * Inline: the detector masks once or twice per flow record.  The address
 * is read and written as two 8-byte words, as its hash reads it (byte
 * stores would stall those loads).
 */
static inline void
fw_prefix_mask(struct fw_addr *a, unsigned len)
{
	uint64_t w[2];

	if (len >= 128)
		return;
	memcpy(w, a->b, 16);
	for (unsigned i = 0; i < 2; i++) {
		unsigned bits = len > 64 * i ? len - 64 * i : 0;  /* kept in word i */

		if (bits < 64)
			w[i] &= htobe64(bits == 0 ? 0 : ~UINT64_C(0) << (64 - bits));
	}
	memcpy(a->b, w, 16);
}

/* Index of the longest prefix containing a, or -1. */
int fw_prefix_list_match(const struct fw_prefix_list *l, const struct fw_addr *a);

/* "198.51.100.0/24" / "2001:db8::/32" (IPv4 lengths shown as IPv4). */
void fw_prefix_format(const struct fw_prefix *p, char *out, size_t outlen);

#endif /* FW_PREFIX_H */
