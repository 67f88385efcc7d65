/*
 * fuzz_alert_json.c - libFuzzer target for the alert event decoder of
 * `floodwatch store` (fw_alert_json_parse): a message from the alerts topic.
 * Checks: no crash, leak or over-read; only the documented return codes;
 * an accepted event is one the sink can store (NUL-terminated id of 16 hex
 * digits, a known event, vector and severity, a non-empty victim, evidence
 * an object) and encodes again.
 */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fw_alert_json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fw_alert_ev ev;
	static char out[FW_EVIDENCE_MAX * 3 + 2048];
	char why[256];
	int r;

	r = fw_alert_json_parse((const char *)data, size, &ev, why, sizeof(why));
	assert(r == FW_OK || r == FW_EMALFORMED || r == FW_EUNSUPPORTED || r == FW_EFULL);
	assert(memchr(why, '\0', sizeof(why)) != NULL);
	if (r != FW_OK)
		return 0;
	assert(strlen(ev.id) == FW_ALERT_ID_LEN && strspn(ev.id, "0123456789abcdef") == FW_ALERT_ID_LEN);
	assert(ev.event >= FW_EV_START && ev.event <= FW_EV_END);
	assert(ev.vector < FW_VEC_COUNT && ev.severity >= 1 && ev.severity <= 3 && ev.seq >= 1);
	assert(ev.victim[0] != '\0' && memchr(ev.victim, '\0', sizeof(ev.victim)) != NULL);
	assert(ev.evidence[0] == '{' && memchr(ev.evidence, '\0', sizeof(ev.evidence)) != NULL);
	assert((ev.event == FW_EV_END) == (ev.reason != FW_END_NONE));
	assert(fw_alert_json(&ev, out, sizeof(out)) > 0);
	return 0;
}
