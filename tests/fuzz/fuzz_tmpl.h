/*
 * fuzz_tmpl.h - the body shared by the NetFlow v9 and IPFIX fuzz targets
 * (fuzz_nf9.c, fuzz_ipfix.c), which differ only in the version number and
 * the decode function: define FUZZ_TMPL_VERSION and FUZZ_TMPL_DECODE, then
 * include this.  Input: one raw datagram (starts with the version), or
 * several datagrams each preceded by a 2-byte big-endian length, decoded in
 * order into one small cache so templates, options (sampling), pending data
 * and expiry interact.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fw_nf9.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fw_flow out[32];
	struct fw_tmpl_cfg cfg;
	struct fw_tmpl_cache *c;
	struct fw_flow_dec_stats st;
	struct fw_addr exporter = { { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 1 } };
	int64_t now = 0;

	fw_tmpl_cfg_default(&cfg);
	cfg.max_templates = 8;      /* small: reach "full" paths (eviction) */
	cfg.max_templates_per_exporter = 5;  /* and the per-exporter quota */
	cfg.max_samplers = 4;
	cfg.max_exporters = 4;
	cfg.pending_slots = 3;
	cfg.pending_slot_bytes = 2048;
	cfg.template_timeout_ms = 2500;
	cfg.pending_timeout_ms = 1500;
	if (fw_tmpl_cache_new(&cfg, &c) != FW_OK)
		abort();
	memset(&st, 0, sizeof(st));
	while (size > 0) {
		size_t len = size;
		int n;

		if (size >= 2 && !(data[0] == 0 && data[1] == FUZZ_TMPL_VERSION)) {
			len = (size_t)data[0] << 8 | data[1];
			data += 2;
			size -= 2;
			if (len > size)
				len = size;
		}
		/* An exact-size heap copy, so any over-read is caught. */
		uint8_t *copy = malloc(len ? len : 1);
		if (copy == NULL)
			abort();
		memcpy(copy, data, len);
		exporter.b[15] = (uint8_t)(1 + (now / 1000) % 2);  /* two exporters */
		n = FUZZ_TMPL_DECODE(c, copy, len, &exporter, now, out, sizeof(out) / sizeof(out[0]), &st);
		free(copy);
		if (n > (int)(sizeof(out) / sizeof(out[0])) || (n < 0 && n != FW_ETRUNC && n != FW_EMALFORMED))
			abort();
		data += len;
		size -= len;
		now += 1000;
		if (now % 4000 == 0)
			(void)fw_tmpl_cache_expire(c, now, &st);
	}
	fw_tmpl_cache_free(c);
	return 0;
}
