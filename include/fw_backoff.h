/*
 * fw_backoff.h - capped exponential back-off for retrying a failing
 * resource (a full disk, brokers down) without spinning.
 *
 * After a failure the next try waits min_ms, then twice as long after each
 * further failure in a row, never more than max_ms; a success resets it.
 * Times are monotonic ms (fw_time_mono_ms).  The state is a small value
 * owned by the caller (one thread), no allocation; deterministic (no
 * jitter: one local writer, nothing to de-synchronise).
 */
#ifndef FW_BACKOFF_H
#define FW_BACKOFF_H

#include <stdbool.h>
#include <stdint.h>

struct fw_backoff {
	int64_t min_ms;      /* delay after the first failure */
	int64_t max_ms;      /* cap of the delay */
	int64_t delay_ms;    /* delay chosen at the last failure; 0 after a success */
	int64_t until_ms;    /* no try before this monotonic time; 0: try now */
	uint64_t failures;   /* failures in a row */
};

/* Start in the "try now" state.  min_ms >= 1 and max_ms >= min_ms are enforced. */
void fw_backoff_init(struct fw_backoff *b, int64_t min_ms, int64_t max_ms);

/* Record a failure at now_ms; returns the delay (ms) before the next try. */
int64_t fw_backoff_fail(struct fw_backoff *b, int64_t now_ms);

/* Record a success: the next failure waits min_ms again. */
void fw_backoff_ok(struct fw_backoff *b);

/* May the caller try at now_ms? */
bool fw_backoff_ready(const struct fw_backoff *b, int64_t now_ms);

/* Milliseconds until the next try is due (0 when ready). */
int64_t fw_backoff_wait_ms(const struct fw_backoff *b, int64_t now_ms);

#endif /* FW_BACKOFF_H */
