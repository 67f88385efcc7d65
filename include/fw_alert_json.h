/*
 * fw_alert_json.h - the JSON form of an alert event: the Kafka message body
 * and the outbox payload (contract: schema/alert_event.schema.json).
 *
 * Built with jansson.  Wire-derived text (victim zones, evidence strings)
 * is attacker-chosen: invalid UTF-8 is replaced by U+FFFD so the output is
 * always valid JSON; control characters and quotes are escaped by jansson.
 */
#ifndef FW_ALERT_JSON_H
#define FW_ALERT_JSON_H

#include <stddef.h>

#include "fw_records.h"

#define FW_ALERT_JSON_SCHEMA_VERSION 1

/*
 * Write the event as one line of compact JSON into out (NUL-terminated).
 * Returns the length, or -1 if it does not fit / on allocation failure.
 */
int fw_alert_json(const struct fw_alert_ev *ev, char *out, size_t outlen);

/*
 * Copy src into dst (dstlen bytes incl. NUL) replacing every invalid UTF-8
 * sequence with U+FFFD.  Returns dst.
 */
char *fw_utf8_sanitize(const char *src, char *dst, size_t dstlen);

#endif /* FW_ALERT_JSON_H */
