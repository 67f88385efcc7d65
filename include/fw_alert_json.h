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

#include "fw_err.h"
#include "fw_records.h"

#define FW_ALERT_JSON_SCHEMA_VERSION 1
#define FW_ALERT_JSON_MAX 65536   /* a longer message is refused unread */

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

/*
 * Decode one alert event message (len bytes, no NUL needed) as read back
 * from the alerts topic: the input is untrusted.  Every field the schema
 * requires is checked against it (types, enums, the id and time patterns,
 * ranges, ended_at/reason only on an end); evidence must be an object and
 * is kept as its compact JSON text, without checking its inner form.
 * Unknown fields are allowed (schema: additionalProperties).  Returns
 * FW_OK with *ev filled; FW_EMALFORMED (not JSON, a field missing or
 * invalid, longer than FW_ALERT_JSON_MAX), FW_EUNSUPPORTED (another
 * schema_version) or FW_EFULL (victim or evidence longer than an event
 * holds), with the reason in why (one line, may name the field).  *ev is
 * undefined on error.  Any thread; allocates only inside jansson.
 */
int fw_alert_json_parse(const char *buf, size_t len, struct fw_alert_ev *ev, char *why,
    size_t whylen) FW_MUSTCHECK;

#endif /* FW_ALERT_JSON_H */
