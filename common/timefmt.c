/* timefmt.c - clocks and ISO-8601 formatting (see fw_time.h). */
#include "fw_time.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fw_err.h"

int64_t
fw_time_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
fw_time_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
fw_time_sleep_ms(int64_t ms)
{
	struct timespec ts;

	if (ms < 0)
		return FW_EINVAL;
	ts.tv_sec = (time_t)(ms / 1000);
	ts.tv_nsec = (long)(ms % 1000) * 1000000L;
	/* Relative nanosleep resumes with the time left after a signal. */
	while (nanosleep(&ts, &ts) != 0) {
		if (errno != EINTR)
			return -errno;
	}
	return FW_OK;
}

void
fw_time_format(int64_t ms, char out[FW_TIME_TEXT_LEN])
{
	/* Floor division so times before 1970 still format correctly; done
	 * with % rather than by negating ms, which overflows for INT64_MIN. */
	int64_t sec = ms / 1000;
	int milli = (int)(ms % 1000);
	time_t t;
	struct tm tm;

	if (milli < 0) {
		milli += 1000;
		sec--;
	}
	t = (time_t)sec;

	if (gmtime_r(&t, &tm) == NULL || tm.tm_year + 1900 > 9999 || tm.tm_year + 1900 < 0) {
		snprintf(out, FW_TIME_TEXT_LEN, "%s", "0000-00-00T00:00:00.000Z");
		return;
	}
	char tmp[64];

	snprintf(tmp, sizeof(tmp), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
	    tm.tm_sec, milli);
	memcpy(out, tmp, FW_TIME_TEXT_LEN - 1);  /* years 0..9999: always 24 chars */
	out[FW_TIME_TEXT_LEN - 1] = '\0';
}

int
fw_time_parse(const char *text, int64_t *ms)
{
	struct tm tm;
	int milli = 0, n;

	memset(&tm, 0, sizeof(tm));
	if (text == NULL)
		return -1;
	n = sscanf(text, "%4d-%2d-%2dT%2d:%2d:%2d.%3d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
	    &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &milli);
	if (n < 6 || tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 || tm.tm_mday > 31 ||
	    milli < 0 || milli > 999)
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	*ms = (int64_t)timegm(&tm) * 1000 + milli;
	return 0;
}

int
fw_time_parse_duration(const char *text, int64_t *ms)
{
	char *end;
	double v;
	double unit = 1000;

	errno = 0;
	v = strtod(text, &end);
	/* !(v >= 0) also refuses "nan", whose conversion to int64 is undefined. */
	if (errno != 0 || end == text || !(v >= 0))
		return -1;
	switch (*end) {
	case '\0': break;
	case 's': unit = 1000; end++; break;
	case 'm': unit = 60000; end++; break;
	case 'h': unit = 3600000; end++; break;
	case 'd': unit = 86400000; end++; break;
	default: return -1;
	}
	if (*end != '\0' || v * unit > 9.2e18)
		return -1;
	*ms = (int64_t)(v * unit);
	return 0;
}
