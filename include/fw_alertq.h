/*
 * fw_alertq.h - a bounded in-memory backlog of alert events that a sink
 * has accepted but not yet written (SQLite full or failing).
 *
 * Events leave in the order they arrived, so one alert's events are
 * written in seq order.  The capacity is fixed at creation.  When the
 * queue is full, room is made by dropping the oldest `update` event: a
 * later event of the same alert carries its peaks and newer evidence, so
 * the alert row stays right and only one timeline row is missing.  Starts
 * and ends are dropped only when no update is queued (then the oldest
 * event goes).  The caller counts and logs every dropped event.
 *
 * Storage: `cap` event slots plus an order array of slot numbers, so a
 * drop from the middle moves 4-byte indices, not 3.5 KB events.
 *
 * Threading: one thread (the sink thread) owns a queue.
 */
#ifndef FW_ALERTQ_H
#define FW_ALERTQ_H

#include <stdbool.h>
#include <stddef.h>

#include "fw_err.h"
#include "fw_records.h"

struct fw_alertq;

/* A queue of `cap` events (>= 1).  FW_OK, FW_EINVAL or FW_ENOMEM. */
int fw_alertq_new(size_t cap, struct fw_alertq **out) FW_MUSTCHECK;
void fw_alertq_free(struct fw_alertq *q);

/*
 * Append a copy of ev.  Returns false when nothing was dropped; true when
 * the queue was full and one event was dropped to make room (it may be ev
 * itself, when ev is an update and only starts/ends are queued), copied
 * into *dropped.
 */
bool fw_alertq_push(struct fw_alertq *q, const struct fw_alert_ev *ev, struct fw_alert_ev *dropped);

/* Copy up to max of the oldest events into out, oldest first; returns the count. */
size_t fw_alertq_peek(const struct fw_alertq *q, struct fw_alert_ev *out, size_t max);

/* Remove the n oldest events (n <= count), e.g. once a peeked batch is written. */
void fw_alertq_pop(struct fw_alertq *q, size_t n);

size_t fw_alertq_count(const struct fw_alertq *q);
size_t fw_alertq_capacity(const struct fw_alertq *q);

#endif /* FW_ALERTQ_H */
