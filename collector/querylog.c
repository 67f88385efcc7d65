/*
 * querylog.c - BIND query-log line parser (see fw_querylog.h for the shape
 * and the contract).
 *
 * A line is read left to right with a [p, e) pair of pointers; every field
 * is found by its delimiter, nothing is copied except the qname (into the
 * record) and at most 64 bytes of an IPv6 address (for inet_pton).  Where a
 * field's end is not known from BIND's format (view names, the parenthesised
 * qname) we scan for the delimiter BIND itself writes and cannot appear
 * unescaped inside the field.
 *
 * Text from BIND 9.11 .. 9.20 ns_client_log() + log_query():
 *   "client " ["@0x" PTR " "] ADDR "#" PORT ["/key " SIGNER] [" (" QNAME ")"]
 *   ": " ["view " VIEW ": "] "query: " QNAME " " CLASS " " TYPE " " FLAGS
 *   " (" SERVER ")" [" [ECS " PREFIX "/" SOURCE "/" SCOPE "]"]
 * preceded by the channel's print-time, print-category and print-severity.
 *
 * Time zones: BIND stamps local time; the context's struct fw_tz (common/tz.c)
 * turns it into UTC.
 */
#include "fw_querylog.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fw_dnswire.h"
#include "fw_addr.h"

void
fw_querylog_init(struct fw_querylog_ctx *ctx)
{
	memset(ctx, 0, sizeof(*ctx));
	fw_tz_init(&ctx->tz);
}

int
fw_querylog_set_tz(struct fw_querylog_ctx *ctx, const char *spec)
{
	return fw_tz_set(&ctx->tz, spec);
}

/* ---- line parsing ---- */

struct type_name {
	const char *name;
	uint16_t code;
};

/* Sorted by strcmp (C locale): bsearch below depends on it. */
static const struct type_name types[] = {
	{ "A", 1 }, { "A6", 38 }, { "AAAA", 28 }, { "AFSDB", 18 }, { "AMTRELAY", 260 },
	{ "ANY", 255 }, { "APL", 42 }, { "ATMA", 34 }, { "AVC", 258 }, { "AXFR", 252 },
	{ "CAA", 257 }, { "CDNSKEY", 60 }, { "CDS", 59 }, { "CERT", 37 }, { "CNAME", 5 },
	{ "CSYNC", 62 }, { "DHCID", 49 }, { "DLV", 32769 }, { "DNAME", 39 }, { "DNSKEY", 48 },
	{ "DOA", 259 }, { "DS", 43 }, { "DSYNC", 66 }, { "EID", 31 }, { "EUI48", 108 },
	{ "EUI64", 109 }, { "GID", 102 }, { "GPOS", 27 }, { "HINFO", 13 }, { "HIP", 55 },
	{ "HTTPS", 65 }, { "IPSECKEY", 45 }, { "ISDN", 20 }, { "IXFR", 251 }, { "KEY", 25 },
	{ "KX", 36 }, { "L32", 105 }, { "L64", 106 }, { "LOC", 29 }, { "LP", 107 },
	{ "MAILA", 254 }, { "MAILB", 253 }, { "MB", 7 }, { "MD", 3 }, { "MF", 4 },
	{ "MG", 8 }, { "MINFO", 14 }, { "MR", 9 }, { "MX", 15 }, { "NAPTR", 35 },
	{ "NID", 104 }, { "NIMLOC", 32 }, { "NINFO", 56 }, { "NS", 2 }, { "NSAP", 22 },
	{ "NSAP-PTR", 23 }, { "NSEC", 47 }, { "NSEC3", 50 }, { "NSEC3PARAM", 51 }, { "NULL", 10 },
	{ "NXT", 30 }, { "OPENPGPKEY", 61 }, { "OPT", 41 }, { "PTR", 12 }, { "PX", 26 },
	{ "RESINFO", 261 }, { "RKEY", 57 }, { "RP", 17 }, { "RRSIG", 46 }, { "RT", 21 },
	{ "SIG", 24 }, { "SINK", 40 }, { "SMIMEA", 53 }, { "SOA", 6 }, { "SPF", 99 },
	{ "SRV", 33 }, { "SSHFP", 44 }, { "SVCB", 64 }, { "TA", 32768 }, { "TALINK", 58 },
	{ "TKEY", 249 }, { "TLSA", 52 }, { "TSIG", 250 }, { "TXT", 16 }, { "UID", 101 },
	{ "UINFO", 100 }, { "UNSPEC", 103 }, { "URI", 256 }, { "WALLET", 262 }, { "WKS", 11 },
	{ "X25", 19 }, { "ZONEMD", 63 },
};

/* strcmp order between the text [s, s + len) and a table name.  Not
 * strncmp: the text may hold a NUL, which must not end the compare. */
static int
type_cmp(const char *s, size_t len, const char *name)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (name[i] == '\0')
			return 1;  /* text is longer */
		if (s[i] != name[i])
			return (unsigned char)s[i] < (unsigned char)name[i] ? -1 : 1;
	}
	return name[i] == '\0' ? 0 : -1;
}

const char *
fw_querylog_type_name(uint16_t code, char *buf, size_t buflen)
{
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (types[i].code == code)
			return types[i].name;
	snprintf(buf, buflen, "TYPE%u", (unsigned)code);
	return buf;
}

int
fw_querylog_type_code(const char *s, size_t len)
{
	size_t lo = 0, hi = sizeof(types) / sizeof(types[0]);

	/* The common ones first: a bsearch is ~7 string compares. */
	if (len == 1 && s[0] == 'A')
		return 1;
	if (len == 4 && memcmp(s, "AAAA", 4) == 0)
		return 28;
	if (len > 4 && memcmp(s, "TYPE", 4) == 0) {
		long v = 0;

		for (size_t i = 4; i < len; i++) {
			if (s[i] < '0' || s[i] > '9' || len - 4 > 5)
				return -1;
			v = v * 10 + (s[i] - '0');
		}
		return v <= 65535 ? (int)v : -1;
	}
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = type_cmp(s, len, types[mid].name);

		if (c == 0)
			return types[mid].code;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return -1;
}

static int
class_code(const char *s, size_t len)
{
	if (len == 2 && s[0] == 'I' && s[1] == 'N')
		return 1;
	if (len == 2 && s[0] == 'C' && s[1] == 'H')
		return 3;
	if (len == 2 && s[0] == 'H' && s[1] == 'S')
		return 4;
	if (len == 4 && memcmp(s, "NONE", 4) == 0)
		return 254;
	if (len == 3 && memcmp(s, "ANY", 3) == 0)
		return 255;
	if (len > 5 && len <= 10 && memcmp(s, "CLASS", 5) == 0) {
		long v = 0;

		for (size_t i = 5; i < len; i++) {
			if (s[i] < '0' || s[i] > '9')
				return -1;
			v = v * 10 + (s[i] - '0');
		}
		return v <= 65535 ? (int)v : -1;
	}
	return -1;
}

static inline int
is_digit(char c)
{
	return (unsigned)(c - '0') < 10;
}

static inline int
dig2(const char *p)
{
	return (p[0] - '0') * 10 + (p[1] - '0');
}

static inline int
all_digits(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!is_digit(p[i]))
			return 0;
	return 1;
}

static int
month_from_abbr(const char *p)
{
	/* BIND uses the C locale's %b: English, capitalised. */
	static const char names[] = "JanFebMarAprMayJunJulAugSepOctNovDec";

	for (int i = 0; i < 12; i++)
		if (memcmp(p, names + (ptrdiff_t)3 * i, 3) == 0)
			return i + 1;
	return 0;
}

/* ".fff..." -> ms from the first three digits; advances *pp. */
static int
parse_frac_ms(const char **pp, const char *e)
{
	const char *p = *pp;
	int ms = 0, k = 0;

	if (p < e && *p == '.') {
		p++;
		if (p >= e || !is_digit(*p))
			return -1;
		while (p < e && is_digit(*p)) {
			if (k < 3)
				ms = ms * 10 + (*p - '0');
			k++;
			p++;
		}
		for (; k < 3; k++)
			ms *= 10;
	}
	*pp = p;
	return ms;
}

/*
 * Timestamp at p.  On success returns FW_OK, advances *pp, and sets *ms with
 * *absolute = 1 if the text carried a zone (then *ms is UTC).
 */
static int
parse_time(const char **pp, const char *e, int64_t *ms, int *absolute)
{
	const char *p = *pp;
	int y, mo, d, h, mi, s, frac;
	int64_t off_s = 0;

	*absolute = 0;
	if (e - p >= 20 && p[2] == '-' && p[6] == '-' && p[11] == ' ') {
		/* 25-Nov-2026 12:00:00.123 */
		if (!all_digits(p, 2) || !all_digits(p + 7, 4) || p[14] != ':' || p[17] != ':' ||
		    !all_digits(p + 12, 2) || !all_digits(p + 15, 2) || !all_digits(p + 18, 2))
			return FW_EMALFORMED;
		d = dig2(p);
		mo = month_from_abbr(p + 3);
		y = dig2(p + 7) * 100 + dig2(p + 9);
		h = dig2(p + 12);
		mi = dig2(p + 15);
		s = dig2(p + 18);
		p += 20;
	} else if (e - p >= 19 && p[4] == '-' && p[7] == '-' && (p[10] == 'T' || p[10] == ' ')) {
		/* 2026-11-25T12:00:00.123[Z|+01:00|-0500] */
		if (!all_digits(p, 4) || !all_digits(p + 5, 2) || !all_digits(p + 8, 2) ||
		    p[13] != ':' || p[16] != ':' || !all_digits(p + 11, 2) ||
		    !all_digits(p + 14, 2) || !all_digits(p + 17, 2))
			return FW_EMALFORMED;
		y = dig2(p) * 100 + dig2(p + 2);
		mo = dig2(p + 5);
		d = dig2(p + 8);
		h = dig2(p + 11);
		mi = dig2(p + 14);
		s = dig2(p + 17);
		p += 19;
	} else {
		return FW_EMALFORMED;
	}
	if ((frac = parse_frac_ms(&p, e)) < 0)
		return FW_EMALFORMED;
	if (p < e && *p == 'Z') {
		*absolute = 1;
		p++;
	} else if (p < e && (*p == '+' || *p == '-') && e - p >= 3 && all_digits(p + 1, 2)) {
		int sign = *p == '-' ? -1 : 1, oh = dig2(p + 1), om = 0;

		p += 3;
		if (p < e && *p == ':')
			p++;
		if (e - p >= 2 && all_digits(p, 2)) {
			om = dig2(p);
			p += 2;
		}
		if (oh > 23 || om > 59)
			return FW_EMALFORMED;
		off_s = (int64_t)sign * (oh * 3600 + om * 60);
		*absolute = 1;
	}
	if (mo < 1 || mo > 12 || d < 1 || d > fw_tz_month_days(y, mo) || h > 23 || mi > 59 || s > 60)
		return FW_EMALFORMED;
	*ms = ((fw_tz_days_from_civil(y, mo, d) * 86400 + (int64_t)h * 3600 + (int64_t)mi * 60 + s) - off_s) * 1000 + frac;
	*pp = p;
	return FW_OK;
}

static inline int
starts(const char *p, const char *e, const char *lit, size_t n)
{
	return (size_t)(e - p) >= n && memcmp(p, lit, n) == 0;
}

#define STARTS(p, e, lit) starts((p), (e), (lit), sizeof(lit) - 1)

/* Parse an IPv4 or IPv6 address text [p, q) into a. */
static int
parse_addr(const char *p, const char *q, struct fw_addr *a)
{
	size_t n = (size_t)(q - p);

	if (n == 0 || n > 63)
		return FW_EMALFORMED;
	if (memchr(p, ':', n) == NULL) {
		uint8_t v4[4];
		int octet = 0;

		for (int i = 0; i < 4; i++) {
			int v = 0, k = 0;

			while (p < q && is_digit(*p) && k < 3) {
				v = v * 10 + (*p++ - '0');
				k++;
			}
			if (k == 0 || v > 255)
				return FW_EMALFORMED;
			v4[octet++] = (uint8_t)v;
			if (i < 3) {
				if (p >= q || *p != '.')
					return FW_EMALFORMED;
				p++;
			}
		}
		if (p != q)
			return FW_EMALFORMED;
		fw_addr_from_v4(a, v4);
		return FW_OK;
	} else {
		char buf[64];
		const char *pct = memchr(p, '%', n);  /* drop a zone index */

		if (pct != NULL)
			n = (size_t)(pct - p);
		memcpy(buf, p, n);
		buf[n] = '\0';
		if (inet_pton(AF_INET6, buf, a->b) != 1)
			return FW_EMALFORMED;
		return FW_OK;
	}
}

/*
 * Lower-case [p, q) into dst.  BIND writes every byte outside 0x21..0x7e as
 * \DDD, so a raw one (a NUL, a control, UTF-8) means the line is not BIND's.
 */
static int
lower_printable(const char *p, size_t n, char *dst)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c <= 0x20 || c >= 0x7f)
			return FW_EMALFORMED;
		dst[i] = (char)((unsigned)(c - 'A') < 26u ? c + 32 : c);
	}
	return FW_OK;
}

/* Lower-case and clip the qname text [p, q) into out. */
static int
copy_qname(const char *p, const char *q, struct fw_dnsq *out)
{
	size_t n = (size_t)(q - p);

	if (n == 0)
		return FW_EMALFORMED;
	if (n <= FW_QNAME_MAX) {
		if (lower_printable(p, n, out->qname) != FW_OK)
			return FW_EMALFORMED;
		out->qname[n] = '\0';
	} else {
		char tmp[FW_DNSWIRE_TEXT_MAX];

		if (n >= sizeof(tmp) || lower_printable(p, n, tmp) != FW_OK)
			return FW_EMALFORMED;
		tmp[n] = '\0';
		n = fw_dnswire_text_clip(tmp, n, FW_QNAME_MAX);
		memcpy(out->qname, tmp, n + 1);
	}
	out->qname_len = (uint8_t)n;
	return FW_OK;
}

/* "+E(0)K": validate and decode BIND's query flag string. */
static int
parse_qflags(const char *p, const char *q, struct fw_querylog_detail *d)
{
	if (p >= q || (*p != '+' && *p != '-'))
		return FW_EMALFORMED;
	d->rd = *p++ == '+';
	while (p < q) {
		switch (*p++) {
		case 'E':
			d->edns_version = 0;
			if (p < q && *p == '(') {
				int v = 0, k = 0;

				for (p++; p < q && is_digit(*p) && k < 3; p++, k++)
					v = v * 10 + (*p - '0');
				if (k == 0 || p >= q || *p != ')' || v > 255)
					return FW_EMALFORMED;
				p++;
				d->edns_version = (int16_t)v;
			}
			break;
		case 'T': d->tcp = 1; break;
		case 'D': d->do_bit = 1; break;
		case 'C': d->cd = 1; break;
		case 'S': case 'V': case 'K': break;
		default: return FW_EMALFORMED;
		}
	}
	return FW_OK;
}

static const char *
find_char(const char *p, const char *e, char c)
{
	const char *q = memchr(p, c, (size_t)(e - p));

	return q != NULL ? q : e;
}

int
fw_querylog_parse(struct fw_querylog_ctx *ctx, const char *line, size_t len,
    struct fw_dnsq *out, struct fw_querylog_detail *detail)
{
	struct fw_querylog_detail dd;
	const char *p = line, *e = line + len, *q;
	int64_t ms = ctx->default_time_ms;
	int r, absolute = 0, tokens;
	long port;

	while (e > p && (e[-1] == '\n' || e[-1] == '\r'))
		e--;
	memset(&dd, 0, sizeof(dd));
	dd.edns_version = -1;

	/* print-time */
	if (p < e && is_digit(*p)) {
		if ((r = parse_time(&p, e, &ms, &absolute)) != FW_OK)
			return r;
		if (!absolute)
			ms = fw_tz_local_to_utc_ms(&ctx->tz, ms);
		dd.has_time = 1;
		if (p >= e || *p != ' ')
			return FW_EMALFORMED;
		p++;
	}
	/* print-category, print-severity (and a syslog "named[pid]:" tag) */
	for (tokens = 0; !STARTS(p, e, "client "); tokens++) {
		q = find_char(p, e, ' ');
		if (tokens == 3 || q == e || q == p || q[-1] != ':')
			return FW_EUNSUPPORTED;
		p = q + 1;
	}
	p += sizeof("client ") - 1;

	/* Client: [@0xPTR ]ADDR#PORT[/key SIGNER][ (QNAME)]: */
	if (STARTS(p, e, "@0x")) {
		q = find_char(p, e, ' ');
		if (q == e)
			return FW_EMALFORMED;
		p = q + 1;
	}
	q = find_char(p, e, '#');
	if (q == e || parse_addr(p, q, &out->client) != FW_OK)
		return FW_EMALFORMED;
	port = 0;
	for (p = q + 1, q = p; p < e && is_digit(*p) && p - q < 5; p++)
		port = port * 10 + (*p - '0');
	if (p == q || port > 65535)
		return FW_EMALFORMED;
	dd.client_port = (uint16_t)port;
	if (STARTS(p, e, "/key ")) {
		p += 5;
		while (p < e && *p != ' ' && *p != ':')
			p++;
	}
	if (STARTS(p, e, " (")) {
		/* Skip "(qname)": a ')' inside the name is written "\)". */
		for (p += 2; p < e && *p != ')'; p++)
			if (*p == '\\' && e - p > 1)
				p++;
		if (p >= e)
			return FW_EMALFORMED;
		p++;
	}
	if (!STARTS(p, e, ": "))
		return FW_EMALFORMED;
	p += 2;
	if (STARTS(p, e, "view ")) {
		p += 5;
		for (q = p; q < e && !(q[0] == ':' && q + 1 < e && q[1] == ' '); q++)
			;
		if (q == e || q == p)
			return FW_EMALFORMED;
		dd.view = p;
		dd.view_len = (size_t)(q - p);
		p = q + 2;
	}
	if (!STARTS(p, e, "query: "))
		return FW_EUNSUPPORTED;
	p += sizeof("query: ") - 1;

	/* QNAME CLASS TYPE FLAGS (SERVER)[ [ECS ...]] */
	q = find_char(p, e, ' ');
	if (q == e || copy_qname(p, q, out) != FW_OK)
		return FW_EMALFORMED;
	p = q + 1;
	q = find_char(p, e, ' ');
	if (q == e || (r = class_code(p, (size_t)(q - p))) < 0)
		return FW_EMALFORMED;
	dd.qclass = (uint16_t)r;
	p = q + 1;
	q = find_char(p, e, ' ');
	if (q == e || (r = fw_querylog_type_code(p, (size_t)(q - p))) < 0)
		return FW_EMALFORMED;
	out->qtype = (uint16_t)r;
	p = q + 1;
	q = find_char(p, e, ' ');
	if (q == e || parse_qflags(p, q, &dd) != FW_OK)
		return FW_EMALFORMED;
	dd.qflags = p;
	dd.qflags_len = (size_t)(q - p);
	p = q + 1;
	if (p >= e || *p != '(')
		return FW_EMALFORMED;
	q = find_char(++p, e, ')');
	if (q == e || parse_addr(p, q, &out->server) != FW_OK)
		return FW_EMALFORMED;
	p = q + 1;
	if (STARTS(p, e, " [ECS ")) {
		p += 6;
		q = find_char(p, e, ']');
		if (q == e || q == p)
			return FW_EMALFORMED;
		dd.ecs = p;
		dd.ecs_len = (size_t)(q - p);
		p = q + 1;
	}
	while (p < e && *p == ' ')
		p++;
	if (p != e)
		return FW_EMALFORMED;

	out->time_ms = ms;
	out->rcode = FW_RCODE_NONE;
	out->flags = dd.tcp ? FW_DNSQ_F_TCP : 0;
	out->source = FW_DNS_QUERYLOG;
	memset(out->pad, 0, sizeof(out->pad));
	if (detail != NULL)
		*detail = dd;
	return FW_OK;
}
