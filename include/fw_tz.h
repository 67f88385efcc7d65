/*
 * fw_tz.h - local wall-clock time -> UTC for a time zone given as text,
 * without TZ, tzset() or the C library's time functions (which read the
 * process environment and take a lock).
 *
 * A zone is a fixed offset or a POSIX TZ rule (standard and daylight
 * offsets, the rules that switch between them); zoneinfo names are read
 * as the rule string a TZif v2+ file ends with (RFC 8536 3.3): today's
 * rules, applied to every year.  Setting a zone reads files, so do it at
 * configuration time; converting is pure and cheap (the year's two
 * transitions are cached in the struct).  A struct fw_tz is used by one
 * thread at a time.
 */
#ifndef FW_TZ_H
#define FW_TZ_H

#include <stdint.h>

#include "fw_err.h"

/* One POSIX TZ daylight-saving rule end point (start or end of DST). */
struct fw_tz_rule {
	uint8_t kind;              /* 'J' Julian 1..365, 'D' day 0..365, 'M' month.week.day */
	uint8_t month;             /* 'M': 1..12 */
	uint8_t week;              /* 'M': 1..5, 5 = last */
	uint8_t wday;              /* 'M': 0 = Sunday */
	uint16_t day;              /* 'J', 'D' */
	int32_t time_s;            /* local time of day of the change, seconds */
};

/* A time zone: fixed offset, or standard + daylight time with rules. */
struct fw_tz {
	int32_t std_off_s;         /* seconds east of UTC in standard time */
	int32_t dst_off_s;         /* seconds east of UTC in daylight time */
	int has_dst;
	struct fw_tz_rule start, end;
	/* Cache: transitions of one year, as local wall-clock seconds. */
	int cache_year;
	int64_t cache_start_s;     /* DST starts (local standard clock) */
	int64_t cache_end_s;       /* DST ends (local standard clock) */
};

/* UTC (no offset, no daylight time). */
void fw_tz_init(struct fw_tz *tz);

/*
 * Set *tz from text: "UTC", "Z", "GMT", a fixed offset "+01:00", "-0500",
 * a POSIX TZ string such as "CET-1CEST,M3.5.0,M10.5.0/3" ("UTC-2" is 2 h
 * east), "localtime" (/etc/localtime) or a zoneinfo name such as
 * "Europe/Prague" (under /usr/share/zoneinfo).  Returns FW_OK, FW_EINVAL
 * (bad text), FW_ENOENT (no such zone file) or FW_EUNSUPPORTED (zone file
 * without a rule string).  On failure *tz is unchanged.
 */
int fw_tz_set(struct fw_tz *tz, const char *spec) FW_MUSTCHECK;

/*
 * Parse a POSIX TZ string ("EST5EDT,M3.2.0,M11.1.0") into *tz.  Returns
 * FW_OK or FW_EINVAL.
 */
int fw_tz_parse_posix(const char *s, struct fw_tz *tz) FW_MUSTCHECK;

/*
 * UTC milliseconds for a local wall-clock time given as milliseconds since
 * the epoch as if local were UTC.  Times in a spring-forward gap count as
 * daylight time, times repeated at fall-back as the second (standard) pass,
 * as glibc's mktime() and date(1) read them.
 * Updates the tz cache.
 */
int64_t fw_tz_local_to_utc_ms(struct fw_tz *tz, int64_t local_ms);

/*
 * Calendar arithmetic, proleptic Gregorian, no libc, no locale.  Inline:
 * the query-log parser runs it for every line.
 */

/* Days since 1970-01-01 of a date (m 1..12, d 1..31). */
static inline int64_t
fw_tz_days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static inline int
fw_tz_is_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Days in month m (1..12) of year y. */
static inline int
fw_tz_month_days(int64_t y, int m)
{
	static const uint8_t md[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	return m == 2 && fw_tz_is_leap(y) ? 29 : md[m - 1];
}

#endif /* FW_TZ_H */
