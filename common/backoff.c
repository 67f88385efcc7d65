/* backoff.c - capped exponential back-off (see fw_backoff.h). */
#include "fw_backoff.h"

void
fw_backoff_init(struct fw_backoff *b, int64_t min_ms, int64_t max_ms)
{
	b->min_ms = min_ms >= 1 ? min_ms : 1;
	b->max_ms = max_ms >= b->min_ms ? max_ms : b->min_ms;
	b->delay_ms = 0;
	b->until_ms = 0;
	b->failures = 0;
}

int64_t
fw_backoff_fail(struct fw_backoff *b, int64_t now_ms)
{
	if (b->delay_ms == 0)
		b->delay_ms = b->min_ms;
	else if (b->delay_ms > b->max_ms / 2)  /* doubling would pass the cap (or overflow) */
		b->delay_ms = b->max_ms;
	else
		b->delay_ms *= 2;
	b->failures++;
	b->until_ms = b->delay_ms > INT64_MAX - now_ms ? INT64_MAX : now_ms + b->delay_ms;
	return b->delay_ms;
}

void
fw_backoff_ok(struct fw_backoff *b)
{
	b->delay_ms = 0;
	b->until_ms = 0;
	b->failures = 0;
}

bool
fw_backoff_ready(const struct fw_backoff *b, int64_t now_ms)
{
	return now_ms >= b->until_ms;
}

int64_t
fw_backoff_wait_ms(const struct fw_backoff *b, int64_t now_ms)
{
	return now_ms >= b->until_ms ? 0 : b->until_ms - now_ms;
}
