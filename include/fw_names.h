/*
 * fw_names.h - stable text names of the enums in fw_records.h (vectors,
 * alert events, end reasons).  They are API: SQLite rows, Kafka and notify
 * JSON, FW_* variables and the CLI all print them, so they live beside the
 * enums in the ground layer and every layer reads the same table.
 *
 * Pure functions returning static strings; any thread.
 */
#ifndef FW_NAMES_H
#define FW_NAMES_H

#include "fw_records.h"

/* Stable vector name ("udp_flood", ...) for enum fw_vector; "volumetric"
 * for an unknown value. */
const char *fw_vector_name(int vector);

/* Text of an event kind (enum fw_alert_event): "start", "update", "end";
 * "unknown" otherwise. */
const char *fw_event_name(int event);

/* Text of an end reason ("quiet", "end_of_input", "shutdown", "restart"),
 * NULL for FW_END_NONE or an unknown value. */
const char *fw_end_reason_name(int reason);

#endif /* FW_NAMES_H */
