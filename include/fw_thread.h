/*
 * fw_thread.h - start and stop an input thread the same way everywhere
 * (UDP listeners, the dnstap listener, the query-log follower, NFLOG).
 *
 * The thread polls fw_thread_stopping() at least every 100 ms (its poll or
 * receive timeout), or is woken by the wake callback given to
 * fw_thread_stop() (the dnstap listener's eventfd).  Start and stop are
 * called by the owner, one thread, in order; pthread_join() orders the
 * thread's last writes before whatever the owner does after stop.
 */
#ifndef FW_THREAD_H
#define FW_THREAD_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "fw_err.h"

struct fw_thread {
	pthread_t tid;
	bool started;              /* owner only */
	atomic_bool stop;          /* set by fw_thread_stop(), read by the thread */
};

/* Run fn(arg) on a new thread (default attributes).  FW_OK, FW_EINVAL if
 * already running, or -errno from pthread_create(). */
int fw_thread_start(struct fw_thread *t, void *(*fn)(void *), void *arg) FW_MUSTCHECK;

/* True once a stop was asked for.  The thread's own call, any time. */
static inline bool
fw_thread_stopping(struct fw_thread *t)
{
	return atomic_load_explicit(&t->stop, memory_order_relaxed);
}

/* Ask the thread to stop, call wake(arg) if given (to interrupt a blocking
 * wait), and join it.  No-op when not started; t may be started again. */
void fw_thread_stop(struct fw_thread *t, void (*wake)(void *), void *arg);

#endif /* FW_THREAD_H */
