/*
 * fw_time.h - time helpers: clocks in milliseconds and the ISO-8601 UTC text
 * form used in SQLite, JSON and Kafka ("2023-11-14T22:14:20.000Z").
 */
#ifndef FW_TIME_H
#define FW_TIME_H

#include <stddef.h>
#include <stdint.h>

#define FW_TIME_TEXT_LEN 25  /* "YYYY-MM-DDTHH:MM:SS.mmmZ" + NUL */

/* Wall clock (CLOCK_REALTIME) in ms since the epoch. */
int64_t fw_time_now_ms(void);

/* Monotonic clock in ms (arbitrary origin). */
int64_t fw_time_mono_ms(void);

/*
 * Sleep for ms milliseconds on the monotonic clock; any ms >= 0, including
 * 1000 and more (whole seconds go to tv_sec, so nanosleep never sees an
 * invalid tv_nsec), resuming after signal interruptions.  Returns 0, or
 * FW_EINVAL for a negative ms (no sleep).  Any thread.
 */
int fw_time_sleep_ms(int64_t ms);

/* Format ms since the epoch as ISO-8601 UTC with milliseconds. */
void fw_time_format(int64_t ms, char out[FW_TIME_TEXT_LEN]);

/*
 * Parse that ISO-8601 UTC text ("2023-11-14T22:14:20.000Z"; the
 * milliseconds and the Z may be left out) into ms.  0, or -1 on bad text.
 */
int fw_time_parse(const char *text, int64_t *ms);

/*
 * Parse a duration such as "90s", "15m", "2h", "7d" or a bare number of
 * seconds into ms.  Returns 0 on success, -1 on bad text.
 */
int fw_time_parse_duration(const char *text, int64_t *ms);

#endif /* FW_TIME_H */
