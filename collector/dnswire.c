/*
 * dnswire.c - DNS message parser (RFC 1035 4.1, RFC 6891 6.1) for the NFLOG,
 * pcap and dnstap collectors.  See fw_dnswire.h for the contract.
 *
 * Header (RFC 1035 4.1.1), network order:
 *   OFFSET SIZE FIELD
 *   0      2    ID
 *   2      2    QR(1) OPCODE(4) AA(1) TC(1) RD(1) RA(1) Z(1) AD(1) CD(1) RCODE(4)
 *                 (AD, CD: RFC 4035 3.2)
 *   4      2    QDCOUNT  questions
 *   6      2    ANCOUNT  answer RRs
 *   8      2    NSCOUNT  authority RRs
 *   10     2    ARCOUNT  additional RRs
 * Question (4.1.2):  QNAME (name)  QTYPE(2)  QCLASS(2)
 * RR (4.1.3):        NAME (name)  TYPE(2)  CLASS(2)  TTL(4)  RDLENGTH(2)  RDATA
 * OPT (RFC 6891 6.1.2, 6.1.3), in the additional section only:
 *   NAME must be the root (one zero byte), TYPE 41, CLASS = requestor's UDP
 *   payload size, TTL = EXTENDED-RCODE(8) VERSION(8) DO(1) Z(15); the full
 *   rcode is EXTENDED-RCODE << 4 | header RCODE.  More than one OPT is a
 *   FORMERR (6.1.1), so we call it malformed.
 * Name (4.1.4): labels, each a length byte 0..63 and that many bytes, ended
 *   by a zero byte or by a two-byte pointer 11xxxxxx xxxxxxxx holding a
 *   14-bit offset from the start of the message.  Length bytes 01xxxxxx
 *   (RFC 6891 extended labels, deprecated) and 10xxxxxx are refused.
 *
 * Loops: every pointer must point strictly before the start of the run of
 * labels it ends (the name's start for the first pointer, the previous
 * pointer's target after that) and past the header.  Targets therefore
 * strictly decrease, so a walk ends; FW_DNSWIRE_HOPS_MAX is a second fence.
 * tests/data/dns-zlip-{1,2,3}.pcap hold a self pointer, a forward pointer
 * and a pointer back to the start of its own name.
 *
 * Every RR is walked (names validated, RDATA skipped by RDLENGTH) so that a
 * count that lies shows up as FW_ETRUNC.  Each question takes >= 5 bytes and
 * each RR >= 11, so the walk is bounded by len whatever the counts say.
 */
#include "fw_dnswire.h"

#include <assert.h>
#include <string.h>

#include "fw_cur.h"

int
fw_dnswire_name_check(const uint8_t *msg, size_t len, size_t off, size_t *consumed)
{
	size_t pos = off;         /* next length byte */
	size_t run_start = off;   /* first byte of the current run of labels */
	size_t wire_len = 0;      /* uncompressed bytes so far, root excluded */
	int hops = 0;
	int jumped = 0;

	for (;;) {
		uint8_t b;

		if (pos >= len)
			return FW_ETRUNC;
		b = msg[pos];
		switch (b & 0xc0) {
		case 0x00:
			if (b == 0) {
				if (!jumped)
					*consumed = pos + 1 - off;
				return (int)wire_len + 1;
			}
			/* Room for the label and the root label after it. */
			if (wire_len + 1 + b + 1 > FW_DNSWIRE_NAME_MAX)
				return FW_EMALFORMED;
			if (len - pos - 1 < b)
				return FW_ETRUNC;
			wire_len += 1 + (size_t)b;
			pos += 1 + (size_t)b;
			break;
		case 0xc0: {
			size_t target;

			if (len - pos < 2)
				return FW_ETRUNC;
			target = (size_t)(b & 0x3f) << 8 | msg[pos + 1];
			if (!jumped)
				*consumed = pos + 2 - off;
			if (target >= run_start || target < FW_DNSWIRE_HDR_LEN ||
			    ++hops > FW_DNSWIRE_HOPS_MAX)
				return FW_EMALFORMED;
			jumped = 1;
			pos = run_start = target;
			break;
		}
		default:
			return FW_EMALFORMED;
		}
	}
}

/*
 * How a label byte is written (BIND's dns_name_totext): the byte itself,
 * lower-cased (RFC 4343); 1: after a backslash; 0: as \DDD.
 */
static const uint8_t text_of[256] = {
	0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0,
	0, '!', 1, '#', 1, '%', '&', '\'',
	1, 1, '*', '+', ',', '-', 1, '/',
	'0', '1', '2', '3', '4', '5', '6', '7',
	'8', '9', ':', 1, '<', '=', '>', '?',
	1, 'a', 'b', 'c', 'd', 'e', 'f', 'g',
	'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o',
	'p', 'q', 'r', 's', 't', 'u', 'v', 'w',
	'x', 'y', 'z', '[', 1, ']', '^', '_',
	'`', 'a', 'b', 'c', 'd', 'e', 'f', 'g',
	'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o',
	'p', 'q', 'r', 's', 't', 'u', 'v', 'w',
	'x', 'y', 'z', '{', '|', '}', '~', 0,
	0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0,
};

size_t
fw_dnswire_text_clip(char *text, size_t len, size_t max)
{
	size_t p = 0, cut = (size_t)-1;
	int label_start = 1;

	if (len <= max)
		return len;
	/* Walk tokens (a byte, "\c" or "\DDD"); take the first label start,
	 * else the first token start, from which the rest fits. */
	while (p < len) {
		size_t tok = 1;

		if (len - p <= max) {
			if (label_start) {
				cut = p;
				break;
			}
			if (cut == (size_t)-1)
				cut = p;
		}
		if (text[p] == '\\' && p + 1 < len)
			tok = (text[p + 1] >= '0' && text[p + 1] <= '9' && p + 3 < len) ? 4 : 2;
		label_start = (tok == 1 && text[p] == '.');
		p += tok;
	}
	if (cut == (size_t)-1 || cut >= len)
		cut = len - max;  /* NEVER for sane input: keep the raw tail */
	memmove(text, text + cut, len - cut);
	text[len - cut] = '\0';
	return len - cut;
}

/* Render the name's text into out[0..cap), or return (size_t)-1 if it may
 * not fit (then the caller renders into a big buffer and clips). */
static size_t
render(const uint8_t *msg, size_t off, char *out, size_t cap)
{
	size_t n = 0, pos = off;

	for (;;) {
		uint8_t b = msg[pos];

		if ((b & 0xc0) == 0xc0) {
			pos = (size_t)(b & 0x3f) << 8 | msg[pos + 1];
			continue;
		}
		if (b == 0)
			break;
		if (cap - n < 4 * (size_t)b + 2)  /* dot + worst case + NUL */
			return (size_t)-1;
		if (n != 0)
			out[n++] = '.';
		for (size_t i = 1; i <= b; i++) {
			uint8_t c = msg[pos + i], t = text_of[c];

			if (t > 1) {
				out[n++] = (char)t;
			} else if (t == 1) {
				out[n++] = '\\';
				out[n++] = (char)c;
			} else {
				out[n++] = '\\';
				out[n++] = (char)('0' + c / 100);
				out[n++] = (char)('0' + c / 10 % 10);
				out[n++] = (char)('0' + c % 10);
			}
		}
		pos += 1 + (size_t)b;
	}
	if (n == 0)
		out[n++] = '.';
	out[n] = '\0';
	return n;
}

size_t
fw_dnswire_name_totext(const uint8_t *msg, size_t off, char *out, size_t outsz, int *clipped)
{
	char buf[FW_DNSWIRE_TEXT_MAX];
	size_t n;

	assert(outsz >= 2);
	if (clipped != NULL)
		*clipped = 0;
	if ((n = render(msg, off, out, outsz)) != (size_t)-1)
		return n;
	/* A checked name has <= 253 label bytes: 4 * 253 + 126 dots < buf. */
	n = render(msg, off, buf, sizeof(buf));
	assert(n != (size_t)-1);
	if (n > outsz - 1) {
		n = fw_dnswire_text_clip(buf, n, outsz - 1);
		if (clipped != NULL)
			*clipped = 1;
	}
	memcpy(out, buf, n + 1);
	return n;
}

/* Walk one name at the cursor: validate it and step over its bytes here. */
static int
skip_name(const uint8_t *msg, size_t len, struct fw_cur *c, int *wire_len)
{
	size_t consumed = 0;
	int r;

	if (c->err != FW_OK)
		return c->err;
	r = fw_dnswire_name_check(msg, len, (size_t)(c->p - msg), &consumed);
	if (r < 0)
		return r;
	if (wire_len != NULL)
		*wire_len = r;
	fw_cur_skip(c, consumed);
	return c->err;
}

static int
parse_opt(struct fw_cur *c, int owner_len, struct fw_dnswire_info *out)
{
	uint16_t payload = fw_cur_u16(c);
	uint32_t ttl = fw_cur_u32(c);

	if (c->err != FW_OK)
		return c->err;
	if (owner_len != 1 || (out->have & FW_DNSWIRE_HAVE_EDNS) != 0)
		return FW_EMALFORMED;
	out->edns_udp_size = payload;
	out->edns_version = (uint8_t)(ttl >> 16);
	out->edns_do = (uint8_t)(ttl >> 15 & 1);
	out->rcode = (uint16_t)((ttl >> 24) << 4 | (out->rcode & 0x0f));
	out->have |= FW_DNSWIRE_HAVE_EDNS;
	return FW_OK;
}

int
fw_dnswire_parse(const uint8_t *msg, size_t len, struct fw_dnswire_info *out)
{
	struct fw_cur c = fw_cur_make(msg, len);
	uint32_t nrr, nadd_first;
	int r, wl = 0, clipped = 0;

	out->have = 0;
	out->qname[0] = '\0';
	out->qname_len = 0;
	out->qname_clipped = 0;
	out->qname_wire_len = 0;
	out->qtype = out->qclass = 0;
	out->edns_udp_size = 0;
	out->edns_version = 0;
	out->edns_do = 0;

	out->id = fw_cur_u16(&c);
	out->flags = fw_cur_u16(&c);
	out->qdcount = fw_cur_u16(&c);
	out->ancount = fw_cur_u16(&c);
	out->nscount = fw_cur_u16(&c);
	out->arcount = fw_cur_u16(&c);
	if (c.err != FW_OK)
		return c.err;
	out->qr = (out->flags & FW_DNSWIRE_QR) != 0;
	out->opcode = (uint8_t)(out->flags >> 11 & 0x0f);
	out->aa = (out->flags & FW_DNSWIRE_AA) != 0;
	out->tc = (out->flags & FW_DNSWIRE_TC) != 0;
	out->rd = (out->flags & FW_DNSWIRE_RD) != 0;
	out->ra = (out->flags & FW_DNSWIRE_RA) != 0;
	out->ad = (out->flags & FW_DNSWIRE_AD) != 0;
	out->cd = (out->flags & FW_DNSWIRE_CD) != 0;
	out->rcode = out->flags & 0x0f;
	out->have = FW_DNSWIRE_HAVE_HDR;

	for (uint32_t i = 0; i < out->qdcount; i++) {
		const uint8_t *name = c.p;

		if ((r = skip_name(msg, len, &c, &wl)) != FW_OK)
			return r;
		uint16_t qtype = fw_cur_u16(&c);
		uint16_t qclass = fw_cur_u16(&c);
		if (c.err != FW_OK)
			return c.err;
		if (i == 0) {
			out->qname_len = (uint8_t)fw_dnswire_name_totext(msg, (size_t)(name - msg),
			    out->qname, sizeof(out->qname), &clipped);
			out->qname_clipped = (uint8_t)clipped;
			out->qname_wire_len = (uint16_t)wl;
			out->qtype = qtype;
			out->qclass = qclass;
			out->have |= FW_DNSWIRE_HAVE_QUESTION;
		}
	}

	nrr = (uint32_t)out->ancount + out->nscount + out->arcount;
	nadd_first = (uint32_t)out->ancount + out->nscount;
	for (uint32_t i = 0; i < nrr; i++) {
		uint16_t type, rdlen;

		if ((r = skip_name(msg, len, &c, &wl)) != FW_OK)
			return r;
		type = fw_cur_u16(&c);
		if (type == FW_DNSWIRE_TYPE_OPT && i >= nadd_first) {
			if ((r = parse_opt(&c, wl, out)) != FW_OK)
				return r;
		} else {
			fw_cur_skip(&c, 6);  /* CLASS, TTL */
		}
		rdlen = fw_cur_u16(&c);
		fw_cur_skip(&c, rdlen);
		if (c.err != FW_OK)
			return c.err;
	}
	out->have |= FW_DNSWIRE_HAVE_ALL;
	return FW_OK;
}

int
fw_dnswire_to_dnsq(const struct fw_dnswire_info *in, int64_t time_ms,
    const struct fw_addr *src, const struct fw_addr *dst, enum fw_dns_src source,
    uint8_t extra_flags, struct fw_dnsq *out)
{
	if ((in->have & FW_DNSWIRE_HAVE_QUESTION) == 0)
		return FW_EUNSUPPORTED;
	out->time_ms = time_ms;
	out->qtype = in->qtype;
	out->source = (uint8_t)source;
	out->flags = extra_flags;
	if (in->qr) {
		out->client = *dst;
		out->server = *src;
		out->rcode = (uint8_t)(in->rcode >= 0xfe ? 0xfe : in->rcode);
		out->flags |= FW_DNSQ_F_RESPONSE;
	} else {
		out->client = *src;
		out->server = *dst;
		out->rcode = FW_RCODE_NONE;
	}
	/* Bytes after the NUL are left as they were: readers stop at qname_len. */
	memcpy(out->qname, in->qname, (size_t)in->qname_len + 1);
	out->qname_len = in->qname_len;
	memset(out->pad, 0, sizeof(out->pad));
	return FW_OK;
}
