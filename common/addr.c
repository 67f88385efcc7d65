/* addr.c - the 16-byte fw_addr form (fw_addr.h). */
#include "fw_addr.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

void
fw_addr_from_v4(struct fw_addr *a, const uint8_t v4[4])
{
	memset(a->b, 0, 10);
	a->b[10] = 0xff;
	a->b[11] = 0xff;
	memcpy(a->b + 12, v4, 4);
}

int
fw_addr_is_v4(const struct fw_addr *a)
{
	static const uint8_t prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	return memcmp(a->b, prefix, 12) == 0;
}

void
fw_addr_format(const struct fw_addr *a, char *out, size_t outlen)
{
	char tmp[INET6_ADDRSTRLEN];

	if (fw_addr_is_v4(a))
		inet_ntop(AF_INET, a->b + 12, tmp, sizeof(tmp));
	else
		inet_ntop(AF_INET6, a->b, tmp, sizeof(tmp));
	snprintf(out, outlen, "%s", tmp);
}
