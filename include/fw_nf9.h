/*
 * fw_nf9.h - NetFlow v9 (RFC 3954) and IPFIX (RFC 7011) datagram decoders.
 *
 * Both read one datagram, learn the templates it carries into a template
 * cache (fw_tmpl.h) and decode its data records with the cache's compiled
 * templates.  Data sets whose template has not come yet are buffered in the
 * cache and come out of a later call, the one that brings the template.
 *
 * Threads: a cache and its stats belong to one collector thread; the
 * decoders allocate nothing and never read past len.
 */
#ifndef FW_NF9_H
#define FW_NF9_H

#include <stddef.h>
#include <stdint.h>

#include "fw_err.h"
#include "fw_records.h"
#include "fw_tmpl.h"

#define FW_NF9_HDR_LEN 20
#define FW_IPFIX_HDR_LEN 16

/*
 * Decode one NetFlow v9 datagram from `exporter` (the datagram's source
 * address), which arrived at arrival_ms (used for template expiry and
 * counters, not for record times).  Writes up to max flow records to out
 * (records beyond are counted FW_DEC_OUT_FULL) and adds to *st.
 * Returns records written (>= 0; may include records of earlier buffered
 * datagrams), or a negative fw_err when the datagram is rejected whole and
 * nothing was learnt from it: FW_ETRUNC (shorter than the header or a set
 * length), FW_EMALFORMED (wrong version, set length < 4).
 */
int fw_nf9_decode(struct fw_tmpl_cache *c, const uint8_t *buf, size_t len,
    const struct fw_addr *exporter, int64_t arrival_ms, struct fw_flow *out, size_t max,
    struct fw_flow_dec_stats *st) FW_MUSTCHECK;

/* The same for an IPFIX message (version 10); the header's length must not
 * exceed len (FW_ETRUNC) nor be below the header size (FW_EMALFORMED);
 * bytes after it are ignored. */
int fw_ipfix_decode(struct fw_tmpl_cache *c, const uint8_t *buf, size_t len,
    const struct fw_addr *exporter, int64_t arrival_ms, struct fw_flow *out, size_t max,
    struct fw_flow_dec_stats *st) FW_MUSTCHECK;

#endif /* FW_NF9_H */
