/*
 * alertq.c - bounded backlog of alert events (see fw_alertq.h).
 *
 * order[0 .. n) holds slot numbers, oldest first; free_[0 .. cap - n) the
 * unused slots.  Popping k events or dropping one from the middle shifts
 * the order array (at most cap 4-byte entries; drops happen only while the
 * sink is failing and the queue is full, batches at most once per write).
 */
#include "fw_alertq.h"

#include <stdlib.h>
#include <string.h>

struct fw_alertq {
	size_t cap;                 /* slots */
	size_t n;                   /* queued events */
	struct fw_alert_ev *slot;   /* cap events */
	size_t *order;              /* n slot numbers, oldest first */
	size_t *free_;              /* cap - n free slot numbers (stack) */
};

int
fw_alertq_new(size_t cap, struct fw_alertq **out)
{
	struct fw_alertq *q;

	if (cap == 0)
		return FW_EINVAL;
	if ((q = calloc(1, sizeof(*q))) == NULL)
		return FW_ENOMEM;
	q->cap = cap;
	/* calloc: pages of unused slots stay untouched until a backlog needs them. */
	if ((q->slot = calloc(cap, sizeof(*q->slot))) == NULL ||
	    (q->order = calloc(cap, sizeof(*q->order))) == NULL ||
	    (q->free_ = calloc(cap, sizeof(*q->free_))) == NULL) {
		fw_alertq_free(q);
		return FW_ENOMEM;
	}
	for (size_t i = 0; i < cap; i++)
		q->free_[i] = cap - 1 - i;  /* slot 0 on top: low pages used first */
	*out = q;
	return FW_OK;
}

void
fw_alertq_free(struct fw_alertq *q)
{
	if (q == NULL)
		return;
	free(q->slot);
	free(q->order);
	free(q->free_);
	free(q);
}

/* Remove the event at order position i; its slot goes back to the free stack. */
static void
remove_at(struct fw_alertq *q, size_t i)
{
	q->free_[q->cap - q->n] = q->order[i];
	memmove(&q->order[i], &q->order[i + 1], (q->n - i - 1) * sizeof(*q->order));
	q->n--;
}

bool
fw_alertq_push(struct fw_alertq *q, const struct fw_alert_ev *ev, struct fw_alert_ev *dropped)
{
	bool drop = false;
	size_t s;

	if (q->n == q->cap) {
		size_t victim = 0;  /* the oldest event, unless an update is queued */

		for (size_t i = 0; i < q->n; i++) {
			if (q->slot[q->order[i]].event == FW_EV_UPDATE) {
				victim = i;
				drop = true;
				break;
			}
		}
		if (!drop && ev->event == FW_EV_UPDATE) {
			*dropped = *ev;  /* only starts and ends queued: they outrank it */
			return true;
		}
		*dropped = q->slot[q->order[victim]];
		remove_at(q, victim);
		drop = true;
	}
	s = q->free_[q->cap - q->n - 1];
	q->slot[s] = *ev;
	q->order[q->n++] = s;
	return drop;
}

size_t
fw_alertq_peek(const struct fw_alertq *q, struct fw_alert_ev *out, size_t max)
{
	size_t k = max < q->n ? max : q->n;

	for (size_t i = 0; i < k; i++)
		out[i] = q->slot[q->order[i]];
	return k;
}

void
fw_alertq_pop(struct fw_alertq *q, size_t n)
{
	if (n > q->n)
		n = q->n;
	for (size_t i = 0; i < n; i++)
		q->free_[q->cap - q->n + i] = q->order[i];
	memmove(q->order, q->order + n, (q->n - n) * sizeof(*q->order));
	q->n -= n;
}

size_t
fw_alertq_count(const struct fw_alertq *q)
{
	return q->n;
}

size_t
fw_alertq_capacity(const struct fw_alertq *q)
{
	return q->cap;
}
