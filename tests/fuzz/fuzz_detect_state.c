/*
 * fuzz_detect_state.c - libFuzzer target for detector checkpoints
 * (fw_detect_restore, schema/detector_state.md): the bytes come from a
 * Kafka topic anyone with write access can fill.  The input is restored
 * twice: as given, and with its checksum made right (as a hostile writer
 * would), so the fuzzer gets past the checksum to the checks behind it.
 * Checks: only the documented return codes, a reason in err, a refused
 * blob leaves the detector fresh, an accepted one runs on (records, the
 * end of input) and saves again without a crash.  The seeds are real
 * blobs of the table sizes below, written by check_detect_state
 * (FW_STATE_SEEDS=DIR; the same small_cfg).
 */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fw_detect.h"
#include "fw_sketch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define ST_SEED 0x6677c0de5eedULL
#define T0 1700000000000LL

static void
on_alert(void *ctx, const struct fw_alert_ev *ev)
{
	(void)ctx;
	assert(ev->id[0] != '\0');
}

/* The table sizes of the seeds (small: each run builds a detector). */
static void
fuzz_detect_state_cfg(struct fw_config *cfg)
{
	fw_config_defaults(cfg);
	cfg->warmup_windows = 20;
	cfg->max_victims = 256;
	cfg->max_details = 32;
	cfg->dns_max_zones = 64;
	cfg->dns_detail_zones = 8;
	cfg->dns_distinct_cap = 256;
}

static void
one(const uint8_t *p, size_t len)
{
	struct fw_config cfg;
	struct fw_detect *d = NULL;
	struct fw_detect_stats st;
	char err[256] = "";
	int rc;

	fuzz_detect_state_cfg(&cfg);
	if (fw_detect_new(&cfg, on_alert, NULL, &d) != FW_OK)
		return;
	rc = fw_detect_restore(d, p, len, err, sizeof(err));
	assert(rc == FW_OK || rc == FW_ETRUNC || rc == FW_EMALFORMED || rc == FW_EINVAL || rc == FW_ENOMEM);
	fw_detect_get_stats(d, &st);
	if (rc != FW_OK) {
		assert(err[0] != '\0');
		assert(st.windows_closed == 0 && st.victims == 0 && st.newest_event_ms == INT64_MIN);
	} else {
		struct fw_flow f;
		struct fw_dnsq q;
		void *again = NULL;
		size_t alen = 0;
		int64_t t = st.newest_event_ms > 0 && st.newest_event_ms < INT64_MAX / 8 ? st.newest_event_ms : T0;

		memset(&f, 0, sizeof(f));
		memset(&q, 0, sizeof(q));
		f.end_ms = f.start_ms = t + 1500;
		f.dst.b[10] = f.dst.b[11] = 0xff;
		f.dst.b[12] = 198;
		f.dst.b[13] = 51;
		f.dst.b[14] = 100;
		f.dst.b[15] = 80;
		f.pkts = 1000;
		f.bytes = 500000;
		f.proto = 17;
		f.sampling = 1;
		fw_detect_flows(d, &f, 1);
		q.time_ms = t + 1600;
		memcpy(q.qname, "abc.victim.example", 19);
		q.qname_len = 18;
		q.rcode = FW_RCODE_NONE;
		fw_detect_dns(d, &q, 1);
		if (fw_detect_save(d, &again, &alen) == FW_OK)
			free(again);
		fw_detect_finish(d);
	}
	fw_detect_free(d);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *p;
	uint64_t h;

	one(data, size);
	if (size < 16 || (p = malloc(size)) == NULL)
		return 0;
	memcpy(p, data, size);
	h = fw_hash_bytes(p + 16, size - 16, ST_SEED);
	memcpy(p + 8, &h, 8);
	one(p, size);
	free(p);
	return 0;
}
