/*
 * fw_addr.h - the 16-byte address form of fw_records.h (IPv4 as
 * IPv4-mapped IPv6, ::ffff:a.b.c.d): build, test and print it.
 *
 * Ground layer: used by the decoders, the prefix lists, the detector and the
 * commands.  Pure functions, no allocation, any thread.
 */
#ifndef FW_ADDR_H
#define FW_ADDR_H

#include <stddef.h>
#include <stdint.h>

#include "fw_records.h"

/* a = ::ffff:v4 (v4 in network order). */
void fw_addr_from_v4(struct fw_addr *a, const uint8_t v4[4]);
/* Non-zero when a is IPv4-mapped. */
int fw_addr_is_v4(const struct fw_addr *a);
/* Text form: dotted quad for IPv4-mapped, RFC 5952 for IPv6; truncated to outlen. */
void fw_addr_format(const struct fw_addr *a, char *out, size_t outlen);

#endif /* FW_ADDR_H */
