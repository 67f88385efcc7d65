/* prefix.c - CIDR prefixes over fw_addr (fw_prefix.h). */
#include "fw_prefix.h"

#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fw_addr.h"

int
fw_prefix_parse(const char *text, struct fw_prefix *out)
{
	char host[64];
	const char *slash = strchr(text, '/');
	size_t hl = slash ? (size_t)(slash - text) : strlen(text);
	long len;
	int v4;
	uint8_t raw[16];

	if (hl == 0 || hl >= sizeof(host))
		return FW_EINVAL;
	memcpy(host, text, hl);
	host[hl] = '\0';
	if (inet_pton(AF_INET, host, raw) == 1) {
		v4 = 1;
		fw_addr_from_v4(&out->addr, raw);
	} else if (inet_pton(AF_INET6, host, raw) == 1) {
		v4 = 0;
		memcpy(out->addr.b, raw, 16);
	} else {
		return FW_EINVAL;
	}
	if (slash != NULL) {
		char *end;
		errno = 0;
		len = strtol(slash + 1, &end, 10);
		if (errno != 0 || end == slash + 1 || *end != '\0' || len < 0 || len > (v4 ? 32 : 128))
			return FW_EINVAL;
	} else {
		len = v4 ? 32 : 128;
	}
	out->len = (uint8_t)(v4 ? len + 96 : len);
	fw_prefix_mask(&out->addr, out->len);
	return FW_OK;
}

int
fw_prefix_list_parse(const char *text, struct fw_prefix_list *out, char *err, size_t errlen)
{
	char buf[4096], *save = NULL;

	out->n = 0;
	if (strlen(text) >= sizeof(buf)) {
		snprintf(err, errlen, "prefix list too long");
		return FW_EINVAL;
	}
	memcpy(buf, text, strlen(text) + 1);
	for (char *tok = strtok_r(buf, ", \t", &save); tok != NULL; tok = strtok_r(NULL, ", \t", &save)) {
		if (out->n == FW_PREFIX_LIST_MAX) {
			snprintf(err, errlen, "more than %d prefixes", FW_PREFIX_LIST_MAX);
			return FW_EINVAL;
		}
		if (fw_prefix_parse(tok, &out->p[out->n]) != FW_OK) {
			snprintf(err, errlen, "'%s' is not an address or prefix", tok);
			return FW_EINVAL;
		}
		out->n++;
	}
	return FW_OK;
}

int
fw_prefix_contains(const struct fw_prefix *p, const struct fw_addr *a)
{
	unsigned full = p->len / 8, rest = p->len % 8;

	if (memcmp(p->addr.b, a->b, full) != 0)
		return 0;
	if (rest == 0)
		return 1;
	return ((p->addr.b[full] ^ a->b[full]) & (uint8_t)(0xff << (8 - rest))) == 0;
}

int
fw_prefix_list_match(const struct fw_prefix_list *l, const struct fw_addr *a)
{
	int best = -1;

	for (size_t i = 0; i < l->n; i++)
		if (fw_prefix_contains(&l->p[i], a) && (best < 0 || l->p[i].len > l->p[best].len))
			best = (int)i;
	return best;
}

void
fw_prefix_format(const struct fw_prefix *p, char *out, size_t outlen)
{
	char a[64];
	int v4 = fw_addr_is_v4(&p->addr) && p->len >= 96;

	fw_addr_format(&p->addr, a, sizeof(a));
	snprintf(out, outlen, "%s/%u", a, v4 ? p->len - 96u : p->len);
}
