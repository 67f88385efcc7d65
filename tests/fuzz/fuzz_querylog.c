/*
 * fuzz_querylog.c - libFuzzer target for the BIND query-log line parser.
 * The input is one line (no NUL needed).  Checks: no crash or over-read,
 * only the documented return codes, qname text consistent, detail pointers
 * inside the input.  A DST rule is set so the time-zone path runs too.
 */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fw_querylog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
inside(const char *p, size_t n, const uint8_t *data, size_t size)
{
	return p == NULL || ((const uint8_t *)p >= data && (size_t)((const uint8_t *)p - data) + n <= size);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fw_querylog_ctx ctx;
	struct fw_querylog_detail d;
	struct fw_dnsq q;
	int r;

	fw_querylog_init(&ctx);
	if (fw_tz_parse_posix("CET-1CEST,M3.5.0,M10.5.0/3", &ctx.tz) != FW_OK)
		return 0;
	r = fw_querylog_parse(&ctx, (const char *)data, size, &q, &d);
	assert(r == FW_OK || r == FW_EMALFORMED || r == FW_EUNSUPPORTED);
	if (r == FW_OK) {
		assert(strlen(q.qname) == q.qname_len && q.qname_len >= 1);
		assert(q.rcode == FW_RCODE_NONE && q.source == FW_DNS_QUERYLOG);
		assert(inside(d.view, d.view_len, data, size));
		assert(inside(d.ecs, d.ecs_len, data, size));
		assert(inside(d.qflags, d.qflags_len, data, size));
	}
	return 0;
}
