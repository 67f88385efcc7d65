/*
 * fw_recwire.h - normalised records on the wire between a collector and the
 * detectors (cluster.role, README "Scaling out").
 *
 * One Kafka message of cluster.records_topic is one batch: the flow and DNS
 * records of one partition that one collector sent, with that collector's
 * event-time watermark.  A batch without records is a watermark only: the
 * collector sends one to every partition each cluster.watermark_ms, so a
 * partition that gets no records still sees time pass.  The encoding is
 * schema/records.proto (protobuf, field numbers never reused); `version`
 * grows only when a reader must refuse older or newer data.
 *
 * Hot path: an encoder and a decoder are sized once for a number of records
 * and reuse their buffers; nothing is allocated per record or message.
 * Decoding is hostile-input safe (a Kafka topic is writable by anyone with
 * access): FW_EMALFORMED (or FW_ETRUNC) on anything malformed, and the decoder stays usable.
 * Refused: a version other than FW_RECWIRE_VERSION, an empty or
 * non-printable collector id, seq 0, a message cut short (the record
 * count is written last and must match), an address not of 4 or 16 bytes,
 * a qname not as the collectors write it (1..FW_QNAME_MAX bytes of
 * 0x21..0x7e, no upper case), values outside their C field's range, and
 * more than max_records records.  fw_flow's in_if / out_if and pad are not
 * sent (they decode as 0); every other field round-trips exactly.
 */
#ifndef FW_RECWIRE_H
#define FW_RECWIRE_H

#include <stddef.h>
#include <stdint.h>

#include "fw_err.h"
#include "fw_records.h"

#define FW_RECWIRE_VERSION 1
#define FW_RECWIRE_ID_MAX 64        /* collector id bytes, NUL included */

/* What a batch says besides its records. */
struct fw_recwire_hdr {
	uint32_t version;                  /* encoding: 0 means FW_RECWIRE_VERSION */
	char collector[FW_RECWIRE_ID_MAX]; /* sender (cluster.member_name), not empty */
	uint64_t seq;                      /* sender's message counter for this partition, from 1 */
	int64_t watermark_ms;              /* sender's newest event time when it sent this; INT64_MIN: none yet */
	int64_t lateness_ms;               /* lateness the sender learned (fw_detect_lateness); 0: none.
	                                    * Sent when 1..UINT32_MAX (optional field 8: older readers skip it) */
};

struct fw_recwire_enc;
struct fw_recwire_dec;

/* An encoder for batches of at most max_records records. */
int fw_recwire_enc_new(size_t max_records, struct fw_recwire_enc **out) FW_MUSTCHECK;
void fw_recwire_enc_free(struct fw_recwire_enc *e);
/* Start a new batch (drops what the previous one held). */
void fw_recwire_enc_begin(struct fw_recwire_enc *e, const struct fw_recwire_hdr *h);
/* Add one record: FW_OK, or FW_EFULL when the batch holds max_records. */
int fw_recwire_enc_flow(struct fw_recwire_enc *e, const struct fw_flow *f) FW_MUSTCHECK;
int fw_recwire_enc_dns(struct fw_recwire_enc *e, const struct fw_dnsq *q) FW_MUSTCHECK;
size_t fw_recwire_enc_count(const struct fw_recwire_enc *e);
/* The encoded batch; valid until the next begin or free. */
int fw_recwire_enc_finish(struct fw_recwire_enc *e, const void **buf, size_t *len) FW_MUSTCHECK;

/* A decoder for batches of at most max_records records (more: FW_EMALFORMED). */
int fw_recwire_dec_new(size_t max_records, struct fw_recwire_dec **out) FW_MUSTCHECK;
void fw_recwire_dec_free(struct fw_recwire_dec *d);
/*
 * Decode one message.  FW_OK: *h filled, *flows / *dns point at the records
 * (valid until the next call or free; either count may be 0).  FW_EMALFORMED:
 * malformed, wrong version or too many records; nothing is returned.
 */
int fw_recwire_decode(struct fw_recwire_dec *d, const void *buf, size_t len,
    struct fw_recwire_hdr *h, const struct fw_flow **flows, size_t *nflows,
    const struct fw_dnsq **dns, size_t *ndns) FW_MUSTCHECK;

#endif /* FW_RECWIRE_H */
