/*
 * fw_nf5.h - NetFlow v5 datagram decoder.
 *
 * Pure function over one datagram: no state, no allocation, safe on any
 * thread.  Records come out as struct fw_flow with the header's sampling
 * interval applied and flow times made absolute from the header's clock.
 */
#ifndef FW_NF5_H
#define FW_NF5_H

#include <stddef.h>
#include <stdint.h>

#include "fw_err.h"
#include "fw_records.h"

#define FW_NF5_HDR_LEN 24
#define FW_NF5_REC_LEN 48
#define FW_NF5_MAX_RECS 30  /* the format's own limit */

/* Header facts the caller may want for per-exporter counters. */
struct fw_nf5_hdr {
	uint16_t count;        /* records claimed */
	uint32_t uptime_ms;    /* router sysUptime */
	int64_t export_ms;     /* unix_secs/unix_nsecs as ms */
	uint32_t flow_seq;     /* sequence number of the first record */
	uint8_t engine_type;
	uint8_t engine_id;
	uint32_t sampling;     /* 1-in-N, 1 when not sampled */
};

/*
 * Decode one NetFlow v5 datagram into out[0..max).  `exporter` is the
 * datagram's source address.  Returns the number of records written (>= 0)
 * or FW_ETRUNC (shorter than the header or than count records),
 * FW_EMALFORMED (wrong version, count 0 or above 30).  Never reads past len.
 */
int fw_nf5_decode(const uint8_t *buf, size_t len, const struct fw_addr *exporter,
    struct fw_flow *out, size_t max, struct fw_nf5_hdr *hdr) FW_MUSTCHECK;

#endif /* FW_NF5_H */
