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
 * Time zones: BIND stamps local time.  struct fw_tz holds a POSIX TZ rule
 * (std offset, dst offset, start and end rules, RFC 8536 section 3.3.1 /
 * POSIX 8.3); conversion computes that year's two transitions once and
 * caches them, so a line costs a compare and a subtraction.
 */
#include "fw_querylog.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fw_dnswire.h"
#include "fw_pkt.h"

#define FW_TZ_NO_YEAR (-1000000000)  /* cache_year that matches no year */

/* ---- calendar arithmetic (proleptic Gregorian, no libc, no locale) ---- */

static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int64_t
year_from_days(int64_t z)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	return yoe + era * 400 + (mp >= 10);
}

static int
is_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
month_days(int64_t y, int m)
{
	static const uint8_t md[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	return m == 2 && is_leap(y) ? 29 : md[m - 1];
}

static inline int64_t
floor_div(int64_t a, int64_t b)
{
	return a >= 0 ? a / b : -((-a + b - 1) / b);
}

/* ---- POSIX TZ rules ---- */

/* Local-clock seconds since the epoch at which a rule fires in year y. */
static int64_t
rule_local_s(const struct fw_tz_rule *r, int64_t y)
{
	int64_t jan1 = days_from_civil(y, 1, 1), day;

	switch (r->kind) {
	case 'J':  /* 1..365, February 29 never counted */
		day = jan1 + r->day - 1 + (is_leap(y) && r->day >= 60);
		break;
	case 'D':
		day = jan1 + r->day;
		break;
	default: {  /* 'M': day wday of week 1..5 (5 = last) of month */
		int64_t first = days_from_civil(y, r->month, 1);
		int wd_first = (int)((first % 7 + 7 + 4) % 7);  /* 1970-01-01: Thursday */
		int dom = 1 + (r->wday - wd_first + 7) % 7 + (r->week - 1) * 7;

		while (dom > month_days(y, r->month))
			dom -= 7;
		day = first + dom - 1;
		break;
	}
	}
	return day * 86400 + r->time_s;
}

int64_t
fw_tz_local_to_utc_ms(struct fw_tz *tz, int64_t local_ms)
{
	int64_t local_s, y;
	int dst;

	if (!tz->has_dst)
		return local_ms - (int64_t)tz->std_off_s * 1000;
	local_s = floor_div(local_ms, 1000);
	y = year_from_days(floor_div(local_s, 86400));
	if (y != tz->cache_year) {
		/* The end rule is on the daylight clock; the hour it repeats
		 * counts as standard time (the second pass), as glibc does. */
		tz->cache_year = (int)y;
		tz->cache_start_s = rule_local_s(&tz->start, y);
		tz->cache_end_s = rule_local_s(&tz->end, y) - (tz->dst_off_s - tz->std_off_s);
	}
	if (tz->cache_start_s < tz->cache_end_s)  /* northern hemisphere */
		dst = local_s >= tz->cache_start_s && local_s < tz->cache_end_s;
	else
		dst = local_s < tz->cache_end_s || local_s >= tz->cache_start_s;
	return local_ms - (int64_t)(dst ? tz->dst_off_s : tz->std_off_s) * 1000;
}

static int
parse_num(const char **sp, int min_digits, int max_digits, long max, long *v)
{
	const char *s = *sp;
	long n = 0;
	int k = 0;

	while (k < max_digits && s[k] >= '0' && s[k] <= '9')
		n = n * 10 + (s[k++] - '0');
	if (k < min_digits || n > max)
		return -1;
	*sp = s + k;
	*v = n;
	return 0;
}

/* [+-]hh[:mm[:ss]] -> seconds, hours up to max_h. */
static int
parse_hms(const char **sp, long max_h, int32_t *out)
{
	const char *s = *sp;
	long h, m = 0, sec = 0;
	int neg = 0;

	if (*s == '+' || *s == '-')
		neg = *s++ == '-';
	if (parse_num(&s, 1, 3, max_h, &h) != 0)
		return -1;
	if (*s == ':') {
		s++;
		if (parse_num(&s, 2, 2, 59, &m) != 0)
			return -1;
		if (*s == ':') {
			s++;
			if (parse_num(&s, 2, 2, 59, &sec) != 0)
				return -1;
		}
	}
	*out = (int32_t)((neg ? -1 : 1) * (h * 3600 + m * 60 + sec));
	*sp = s;
	return 0;
}

static int
parse_tzname(const char **sp)
{
	const char *s = *sp;
	int n = 0;

	if (*s == '<') {
		for (s++; *s != '\0' && *s != '>'; s++)
			n++;
		if (*s != '>' || n < 3)
			return -1;
		*sp = s + 1;
		return 0;
	}
	while ((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z')) {
		s++;
		n++;
	}
	if (n < 3)
		return -1;
	*sp = s;
	return 0;
}

static int
parse_rule(const char **sp, struct fw_tz_rule *r)
{
	const char *s = *sp;
	long a, b, c;

	memset(r, 0, sizeof(*r));
	if (*s == 'M') {
		s++;
		if (parse_num(&s, 1, 2, 12, &a) != 0 || a < 1 || *s++ != '.' ||
		    parse_num(&s, 1, 1, 5, &b) != 0 || b < 1 || *s++ != '.' ||
		    parse_num(&s, 1, 1, 6, &c) != 0)
			return -1;
		r->kind = 'M';
		r->month = (uint8_t)a;
		r->week = (uint8_t)b;
		r->wday = (uint8_t)c;
	} else if (*s == 'J') {
		s++;
		if (parse_num(&s, 1, 3, 365, &a) != 0 || a < 1)
			return -1;
		r->kind = 'J';
		r->day = (uint16_t)a;
	} else {
		if (parse_num(&s, 1, 3, 365, &a) != 0)
			return -1;
		r->kind = 'D';
		r->day = (uint16_t)a;
	}
	r->time_s = 7200;
	if (*s == '/') {
		s++;
		if (parse_hms(&s, 167, &r->time_s) != 0)  /* RFC 8536 allows -167..167 h */
			return -1;
	}
	*sp = s;
	return 0;
}

int
fw_tz_parse_posix(const char *s, struct fw_tz *tz)
{
	struct fw_tz t;
	int32_t off;

	memset(&t, 0, sizeof(t));
	t.cache_year = FW_TZ_NO_YEAR;
	if (s == NULL || parse_tzname(&s) != 0 || parse_hms(&s, 24, &off) != 0)
		return FW_EINVAL;
	t.std_off_s = -off;  /* POSIX offsets are west of UTC */
	t.dst_off_s = t.std_off_s;
	if (*s != '\0') {
		if (parse_tzname(&s) != 0)
			return FW_EINVAL;
		t.has_dst = 1;
		t.dst_off_s = t.std_off_s + 3600;
		if (*s != '\0' && *s != ',') {
			if (parse_hms(&s, 24, &off) != 0)
				return FW_EINVAL;
			t.dst_off_s = -off;
		}
		if (*s == ',') {
			s++;
			if (parse_rule(&s, &t.start) != 0 || *s++ != ',' ||
			    parse_rule(&s, &t.end) != 0)
				return FW_EINVAL;
		} else {  /* no rule: the US rules, as glibc assumes */
			t.start = (struct fw_tz_rule){ 'M', 3, 2, 0, 0, 7200 };
			t.end = (struct fw_tz_rule){ 'M', 11, 1, 0, 0, 7200 };
		}
	}
	if (*s != '\0')
		return FW_EINVAL;
	*tz = t;
	return FW_OK;
}

/* The POSIX rule string that ends a TZif version 2+ file (RFC 8536 3.3). */
static int
tzif_footer(const char *path, char *out, size_t outsz)
{
	char buf[8192];
	FILE *f = fopen(path, "rb");
	size_t n;
	long size;
	int err = FW_EUNSUPPORTED;

	if (f == NULL)
		return FW_ENOENT;
	if (fread(buf, 1, 5, f) != 5 || memcmp(buf, "TZif", 4) != 0 || buf[4] < '2')
		goto done;
	if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0)
		goto done;
	n = (size_t)size < sizeof(buf) ? (size_t)size : sizeof(buf);
	if (fseek(f, (long)((size_t)size - n), SEEK_SET) != 0 || fread(buf, 1, n, f) != n)
		goto done;
	if (n < 2 || buf[n - 1] != '\n')
		goto done;
	for (size_t i = n - 1; i-- > 0;) {
		if (buf[i] == '\n') {
			size_t len = n - 1 - (i + 1);

			if (len == 0 || len >= outsz)
				goto done;
			memcpy(out, buf + i + 1, len);
			out[len] = '\0';
			err = FW_OK;
			break;
		}
	}
done:
	fclose(f);
	return err;
}

void
fw_querylog_init(struct fw_querylog_ctx *ctx)
{
	memset(ctx, 0, sizeof(*ctx));
	ctx->tz.cache_year = FW_TZ_NO_YEAR;
}

int
fw_querylog_set_tz(struct fw_querylog_ctx *ctx, const char *spec)
{
	struct fw_tz tz;
	char rule[256], path[512];
	int err;

	if (spec == NULL || strcmp(spec, "UTC") == 0 || strcmp(spec, "Z") == 0 ||
	    strcmp(spec, "GMT") == 0) {
		memset(&ctx->tz, 0, sizeof(ctx->tz));
		ctx->tz.cache_year = FW_TZ_NO_YEAR;
		return FW_OK;
	}
	if (spec[0] == '+' || spec[0] == '-') {  /* ISO-style offset, east positive */
		const char *s = spec;
		int32_t off;
		long h, m = 0;
		int neg = *s++ == '-';

		if (parse_num(&s, 2, 2, 23, &h) != 0)
			return FW_EINVAL;
		if (*s == ':')
			s++;
		if (*s != '\0' && parse_num(&s, 2, 2, 59, &m) != 0)
			return FW_EINVAL;
		if (*s != '\0')
			return FW_EINVAL;
		off = (int32_t)((neg ? -1 : 1) * (h * 3600 + m * 60));
		memset(&ctx->tz, 0, sizeof(ctx->tz));
		ctx->tz.std_off_s = ctx->tz.dst_off_s = off;
		ctx->tz.cache_year = FW_TZ_NO_YEAR;
		return FW_OK;
	}
	if (fw_tz_parse_posix(spec, &tz) == FW_OK) {
		ctx->tz = tz;
		return FW_OK;
	}
	if (strcmp(spec, "localtime") == 0)
		snprintf(path, sizeof(path), "%s", "/etc/localtime");
	else if (spec[0] == '/' || strstr(spec, "..") != NULL ||
	    snprintf(path, sizeof(path), "/usr/share/zoneinfo/%s", spec) >= (int)sizeof(path))
		return FW_EINVAL;
	if ((err = tzif_footer(path, rule, sizeof(rule))) != FW_OK)
		return err;
	if (fw_tz_parse_posix(rule, &tz) != FW_OK)
		return FW_EUNSUPPORTED;
	ctx->tz = tz;
	return FW_OK;
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
	if (mo < 1 || mo > 12 || d < 1 || d > month_days(y, mo) || h > 23 || mi > 59 || s > 60)
		return FW_EMALFORMED;
	*ms = ((days_from_civil(y, mo, d) * 86400 + (int64_t)h * 3600 + (int64_t)mi * 60 + s) - off_s) * 1000 + frac;
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
