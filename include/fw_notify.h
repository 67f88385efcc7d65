/*
 * fw_notify.h - the notify hook (DESIGN.md contract 8): `[notify] exec`
 * runs the operator's program once per alert event, the event's JSON (the
 * Kafka message, schema/alert_event.schema.json) on its stdin and FW_*
 * variables in its environment.
 *
 *   detector thread --fw_notify_post()--> bounded queue --notify thread-->
 *       posix_spawn (own process group, empty signal mask, fds >= 3 closed)
 *
 * Posting never waits for a program: it copies the event into the queue
 * under a mutex held for a copy, and when the queue is full drops by a
 * fixed policy (fw_notify_queue_push) and counts the drop.  The notify
 * thread runs at most notify.max_running programs at once; one that outlives
 * notify.timeout_ms gets SIGTERM on its process group, and SIGKILL
 * FW_NOTIFY_KILL_GRACE_MS later.  Every child is reaped by the notify
 * thread.  Its stdout and stderr lines are logged (rate-limited).
 *
 * Attacker-influenced text (victim zones) reaches the program only through
 * its environment and stdin, never through a command line or a shell.
 */
#ifndef FW_NOTIFY_H
#define FW_NOTIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fw_config.h"
#include "fw_err.h"
#include "fw_records.h"

#define FW_NOTIFY_KILL_GRACE_MS 1000  /* SIGTERM -> SIGKILL of a timed-out program */

/* ---- the bounded queue (one thread at a time; fw_notify locks it) ---- */

struct fw_notify_queue;

/* A queue of `cap` events (>= 1), allocated once. */
int fw_notify_queue_new(size_t cap, struct fw_notify_queue **out) FW_MUSTCHECK;
void fw_notify_queue_free(struct fw_notify_queue *q);

/*
 * Append a copy of ev.  When the queue is full one event is dropped: the
 * oldest queued update; else, if ev is an update, ev itself; else (the queue
 * holds only starts and ends) the oldest event, so that a newer end is not
 * lost to an older start (an end without its start is harmless to scripts:
 * a withdraw of nothing; a start without its end is not).  Returns 0 when
 * nothing was dropped, else the enum fw_alert_event of the dropped event,
 * whose id and seq are copied to *dropped_id / *dropped_seq (may be NULL).
 */
int fw_notify_queue_push(struct fw_notify_queue *q, const struct fw_alert_ev *ev,
    char dropped_id[FW_ALERT_ID_LEN + 1], uint32_t *dropped_seq);

/* Take the oldest event into *ev; false when empty. */
bool fw_notify_queue_pop(struct fw_notify_queue *q, struct fw_alert_ev *ev);

size_t fw_notify_queue_count(const struct fw_notify_queue *q);

/* ---- the hook ---- */

struct fw_notify;

struct fw_notify_stats {
	uint64_t events;             /* alert events posted */
	uint64_t runs;               /* programs started */
	uint64_t ok;                 /* ... that exited 0 */
	uint64_t failed;             /* non-zero exit, killed by a signal, or not started */
	uint64_t timeouts;           /* killed after notify.timeout_ms (or at shutdown) */
	uint64_t dropped_updates;    /* update events dropped: queue full, or left at shutdown */
	uint64_t dropped_start_end;  /* start/end events dropped likewise (only when no update was left) */
	uint64_t queue_depth;        /* events waiting now */
	uint64_t running;            /* programs running now */
};

/*
 * Build the hook from cfg (notify.exec must be set); starts nothing.
 * FW_ENOMEM or FW_EIO with a line in err.
 */
int fw_notify_new(const struct fw_config *cfg, struct fw_notify **out, char *err,
    size_t errlen) FW_MUSTCHECK;

/*
 * Start the notify thread.  Checks first that notify.exec is executable by
 * the process as it now runs (after the privilege drop), and logs why not:
 * FW_EINVAL.  FW_EAGAIN if the thread cannot start.
 */
int fw_notify_start(struct fw_notify *n) FW_MUSTCHECK;

/* Queue one event; never blocks on a program.  Any one thread at a time. */
void fw_notify_post(struct fw_notify *n, const struct fw_alert_ev *ev);

/*
 * After the last post: run what is queued, waiting at most
 * notify.shutdown_ms, then kill what still runs (counted as timeouts) and
 * drop what is still queued (counted); join the thread.  Safe to call twice.
 */
void fw_notify_stop(struct fw_notify *n);

/*
 * SIGHUP: notify.exec, notify.timeout_ms and notify.shutdown_ms from cfg,
 * taken by the notify thread before it starts its next program (running
 * programs are policed with the new timeout from then on).  An empty
 * notify.exec is ignored: turning the hook off or on needs a restart.
 * The queue and notify.max_running keep their size.  Any one thread.
 */
void fw_notify_reconfigure(struct fw_notify *n, const struct fw_config *cfg);

/* Counters; any thread, approximate while running. */
void fw_notify_get_stats(struct fw_notify *n, struct fw_notify_stats *st);

/* Fixed memory of the queue and per-program buffers (bytes). */
size_t fw_notify_memory_bytes(const struct fw_notify *n);

/* Stops first if needed.  NULL is a no-op. */
void fw_notify_free(struct fw_notify *n);

#endif /* FW_NOTIFY_H */
