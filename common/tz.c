/*
 * tz.c - time zones without the process environment (fw_tz.h): proleptic
 * Gregorian calendar arithmetic, POSIX TZ rule strings (std offset, dst
 * offset, start and end rules, RFC 8536 section 3.3.1 / POSIX 8.3) and the
 * rule string at the end of a TZif v2+ zoneinfo file.
 *
 * Conversion computes a year's two transitions once and caches them in the
 * fw_tz, so a time costs a compare and a subtraction.  No allocation, no
 * locale, no libc time functions.
 */
#include "fw_tz.h"

#include <stdio.h>
#include <string.h>

#define FW_TZ_NO_YEAR (-1000000000)  /* cache_year that matches no year */

/* ---- calendar arithmetic (the rest is inline in fw_tz.h) ---- */

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
	int64_t jan1 = fw_tz_days_from_civil(y, 1, 1), day;

	switch (r->kind) {
	case 'J':  /* 1..365, February 29 never counted */
		day = jan1 + r->day - 1 + (fw_tz_is_leap(y) && r->day >= 60);
		break;
	case 'D':
		day = jan1 + r->day;
		break;
	default: {  /* 'M': day wday of week 1..5 (5 = last) of month */
		int64_t first = fw_tz_days_from_civil(y, r->month, 1);
		int wd_first = (int)((first % 7 + 7 + 4) % 7);  /* 1970-01-01: Thursday */
		int dom = 1 + (r->wday - wd_first + 7) % 7 + (r->week - 1) * 7;

		while (dom > fw_tz_month_days(y, r->month))
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
fw_tz_init(struct fw_tz *tz)
{
	memset(tz, 0, sizeof(*tz));
	tz->cache_year = FW_TZ_NO_YEAR;
}

int
fw_tz_set(struct fw_tz *out, const char *spec)
{
	struct fw_tz tz;
	char rule[256], path[512];
	int err;

	if (spec == NULL || strcmp(spec, "UTC") == 0 || strcmp(spec, "Z") == 0 ||
	    strcmp(spec, "GMT") == 0) {
		fw_tz_init(out);
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
		fw_tz_init(out);
		out->std_off_s = out->dst_off_s = off;
		return FW_OK;
	}
	if (fw_tz_parse_posix(spec, &tz) == FW_OK) {
		*out = tz;
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
	*out = tz;
	return FW_OK;
}
