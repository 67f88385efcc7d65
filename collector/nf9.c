/*
 * nf9.c - NetFlow v9 (RFC 3954) and IPFIX (RFC 7011) message framing.
 *
 * This file reads headers, set headers and template records; the template
 * cache (tmpl.c) compiles templates and decodes data records, so both
 * protocols share one data path.  A datagram is walked twice: first only
 * the set headers, so a bad length rejects the datagram whole before any
 * template is learnt or record written; then each set is handled.
 *
 * NetFlow v9 header (RFC 3954 s5.1), 20 bytes:
 *   OFFSET SIZE FIELD
 *   0      2    version (9)
 *   2      2    count: template + data records (not trusted)
 *   4      4    sysUptime, ms since the exporter booted
 *   8      4    unix secs, exporter clock at export (pairs with sysUptime)
 *   12     4    sequence: export packets sent, modulo 2^32
 *   16     4    source id (scopes templates, like an observation domain)
 * IPFIX message header (RFC 7011 s3.1), 16 bytes:
 *   0      2    version (10)
 *   2      2    length of the whole message, header included
 *   4      4    export time, unix seconds
 *   8      4    sequence: data records sent before this message, mod 2^32
 *   12     4    observation domain id
 * Set / FlowSet header (both), 4 bytes:
 *   0      2    id: v9 0 template, 1 options template; IPFIX 2 template,
 *               3 options template; 2..255 (v9) / 0,1,4..255 (IPFIX)
 *               reserved; >= 256 data set of that template id
 *   2      2    length including this header (>= 4; else the datagram is
 *               rejected: a zero-length set would never advance)
 * v9 template record (s5.2):   template id(2) field count(2) {type(2) len(2)}*
 * v9 options template (s6.1):  template id(2) scope length(2, bytes)
 *                              option length(2, bytes) {type(2) len(2)}*
 * IPFIX template record (s3.4.1): template id(2) field count(2) then per field
 *                              E|type(2) len(2) [enterprise number(4) if E]
 * IPFIX options template (s3.4.2): template id(2) field count(2) scope
 *                              field count(2, >= 1) then fields as above
 * IPFIX withdrawal (s8.1): template id(2) field count 0; template id 2 (set
 *                              2) or 3 (set 3) withdraws all of that kind.
 * Template sets may end in padding shorter than a record (all zero).
 */
#include "fw_nf9.h"

#include <string.h>

#include "fw_cur.h"
#include "tmpl_int.h"

/* Walk set headers only.  Trailing bytes shorter than a set header are
 * padding some exporters add; anything else must frame exactly. */
static int
check_framing(struct fw_cur c)
{
	while (fw_cur_left(&c) >= 4) {
		uint16_t len;

		fw_cur_skip(&c, 2);
		len = fw_cur_u16(&c);
		if (len < 4)
			return FW_EMALFORMED;
		fw_cur_skip(&c, len - 4u);
		if (c.err != FW_OK)
			return c.err;
	}
	return FW_OK;
}

static void
reject(struct fw_flow_dec_stats *st, enum fw_dec_reason r)
{
	st->datagrams_rejected++;
	st->err[r]++;
}

/* ---- NetFlow v9 -------------------------------------------------------------- */

static void
v9_template_set(struct fw_tmpl_msg *m, struct fw_cur *c, bool options)
{
	struct fw_tmpl_spec specs[FW_TMPL_MAX_FIELDS];

	while (fw_cur_left(c) >= (options ? 6u : 4u)) {
		uint16_t tid = fw_cur_u16(c), nscope = 0, n;

		if (options) {
			uint16_t scope_len = fw_cur_u16(c), opt_len = fw_cur_u16(c);

			if (tid == 0 && scope_len == 0 && opt_len == 0)
				return;  /* padding */
			if (scope_len % 4 != 0 || opt_len % 4 != 0) {
				fw_tmpl_refuse(m, FW_DEC_TEMPLATE, tid,
				    "options scope or option length not a multiple of 4; rest of the set skipped");
				return;
			}
			nscope = scope_len / 4;
			n = (uint16_t)(nscope + opt_len / 4);
		} else {
			n = fw_cur_u16(c);
			if (tid == 0 && n == 0)
				return;  /* padding */
		}
		if (tid < 256 || n == 0 || n > FW_TMPL_MAX_FIELDS ||
		    fw_cur_left(c) / 4 < n) {
			/* Cannot tell where the next record starts: drop the rest. */
			fw_tmpl_refuse(m, FW_DEC_TEMPLATE, tid,
			    "id below 256, no fields, too many fields or longer than its set; rest of the set skipped");
			return;
		}
		for (uint16_t i = 0; i < n; i++) {
			specs[i].type = fw_cur_u16(c);
			specs[i].len = fw_cur_u16(c);
			specs[i].pen = 0;
		}
		fw_tmpl_learn(m, tid, options, nscope, specs, n);
	}
}

int
fw_nf9_decode(struct fw_tmpl_cache *c, const uint8_t *buf, size_t len,
    const struct fw_addr *exporter, int64_t arrival_ms, struct fw_flow *out, size_t max,
    struct fw_flow_dec_stats *st)
{
	struct fw_cur cur = fw_cur_make(buf, len);
	struct fw_tmpl_msg m;
	uint16_t version;
	uint32_t uptime, secs, seq, source_id;
	int err;

	st->datagrams++;
	version = fw_cur_u16(&cur);
	fw_cur_skip(&cur, 2);  /* count: exporters disagree on what it counts */
	uptime = fw_cur_u32(&cur);
	secs = fw_cur_u32(&cur);
	seq = fw_cur_u32(&cur);
	source_id = fw_cur_u32(&cur);
	if (cur.err != FW_OK) {
		reject(st, FW_DEC_TRUNC);
		return cur.err;
	}
	if (version != 9) {
		reject(st, FW_DEC_VERSION);
		return FW_EMALFORMED;
	}
	if ((err = check_framing(cur)) != FW_OK) {
		reject(st, err == FW_ETRUNC ? FW_DEC_TRUNC : FW_DEC_SET_LEN);
		fw_tmpl_count_reject(c, 9, exporter, source_id,
		    err == FW_ETRUNC ? FW_DEC_TRUNC : FW_DEC_SET_LEN);
		return err;
	}
	fw_tmpl_msg_begin(&m, c, st, 9, exporter, source_id, seq, (int64_t)secs * 1000,
	    uptime, arrival_ms, out, max);
	while (fw_cur_left(&cur) >= 4) {
		uint16_t id = fw_cur_u16(&cur), slen = fw_cur_u16(&cur);
		struct fw_cur set = fw_cur_sub(&cur, slen - 4u);  /* framing checked */

		if (id == 0 || id == 1)
			v9_template_set(&m, &set, id == 1);
		else if (id < 256)
			fw_tmpl_count(&m, FW_DEC_SET_RESERVED);
		else
			fw_tmpl_data_set(&m, id, set.p, fw_cur_left(&set));
	}
	return fw_tmpl_msg_end(&m);
}

/* ---- IPFIX ------------------------------------------------------------------------- */

static void
ipfix_template_set(struct fw_tmpl_msg *m, struct fw_cur *c, uint16_t set_id)
{
	struct fw_tmpl_spec specs[FW_TMPL_MAX_FIELDS];
	bool options = set_id == 3;

	while (fw_cur_left(c) >= 4) {
		uint16_t tid = fw_cur_u16(c), n = fw_cur_u16(c), nscope = 0;

		if (tid == 0 && n == 0)
			return;  /* padding */
		if (n == 0) {
			if (tid >= 256 || tid == set_id)
				fw_tmpl_withdraw(m, tid);
			else
				fw_tmpl_refuse(m, FW_DEC_TEMPLATE, tid, "withdrawal of a reserved id");
			continue;
		}
		if (options) {
			nscope = fw_cur_u16(c);
			if (c->err != FW_OK || nscope == 0 || nscope > n) {
				fw_tmpl_refuse(m, FW_DEC_TEMPLATE, tid,
				    "options scope count 0 or above the field count; rest of the set skipped");
				return;
			}
		}
		if (tid < 256 || n > FW_TMPL_MAX_FIELDS) {
			fw_tmpl_refuse(m, FW_DEC_TEMPLATE, tid,
			    "id below 256 or too many fields; rest of the set skipped");
			return;  /* rest of the set cannot be located reliably */
		}
		for (uint16_t i = 0; i < n; i++) {
			uint16_t type = fw_cur_u16(c);

			specs[i].type = type & 0x7fff;
			specs[i].len = fw_cur_u16(c);
			specs[i].pen = (type & 0x8000) ? fw_cur_u32(c) : 0;
			/* A zero enterprise number with E set is still enterprise-
			 * specific: keep it non-zero so it is skipped, not read. */
			if ((type & 0x8000) && specs[i].pen == 0)
				specs[i].pen = UINT32_MAX;
		}
		if (c->err != FW_OK) {
			fw_tmpl_refuse(m, FW_DEC_TEMPLATE, tid, "longer than its set");
			return;
		}
		fw_tmpl_learn(m, tid, options, nscope, specs, n);
	}
}

int
fw_ipfix_decode(struct fw_tmpl_cache *c, const uint8_t *buf, size_t len,
    const struct fw_addr *exporter, int64_t arrival_ms, struct fw_flow *out, size_t max,
    struct fw_flow_dec_stats *st)
{
	struct fw_cur cur = fw_cur_make(buf, len);
	struct fw_tmpl_msg m;
	uint16_t version, mlen;
	uint32_t secs, seq, domain;
	int err;

	st->datagrams++;
	version = fw_cur_u16(&cur);
	mlen = fw_cur_u16(&cur);
	secs = fw_cur_u32(&cur);
	seq = fw_cur_u32(&cur);
	domain = fw_cur_u32(&cur);
	if (cur.err != FW_OK) {
		reject(st, FW_DEC_TRUNC);
		return cur.err;
	}
	if (version != 10 || mlen < FW_IPFIX_HDR_LEN) {
		reject(st, FW_DEC_VERSION);
		return FW_EMALFORMED;
	}
	if (mlen > len) {
		reject(st, FW_DEC_TRUNC);
		fw_tmpl_count_reject(c, 10, exporter, domain, FW_DEC_TRUNC);
		return FW_ETRUNC;
	}
	cur = fw_cur_make(buf + FW_IPFIX_HDR_LEN, mlen - FW_IPFIX_HDR_LEN);
	if ((err = check_framing(cur)) != FW_OK) {
		reject(st, err == FW_ETRUNC ? FW_DEC_TRUNC : FW_DEC_SET_LEN);
		fw_tmpl_count_reject(c, 10, exporter, domain,
		    err == FW_ETRUNC ? FW_DEC_TRUNC : FW_DEC_SET_LEN);
		return err;
	}
	fw_tmpl_msg_begin(&m, c, st, 10, exporter, domain, seq, (int64_t)secs * 1000,
	    0, arrival_ms, out, max);
	while (fw_cur_left(&cur) >= 4) {
		uint16_t id = fw_cur_u16(&cur), slen = fw_cur_u16(&cur);
		struct fw_cur set = fw_cur_sub(&cur, slen - 4u);

		if (id == 2 || id == 3)
			ipfix_template_set(&m, &set, id);
		else if (id < 256)
			fw_tmpl_count(&m, FW_DEC_SET_RESERVED);
		else
			fw_tmpl_data_set(&m, id, set.p, fw_cur_left(&set));
	}
	return fw_tmpl_msg_end(&m);
}
