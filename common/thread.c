/* thread.c - input thread start/stop (fw_thread.h). */
#include "fw_thread.h"

int
fw_thread_start(struct fw_thread *t, void *(*fn)(void *), void *arg)
{
	int rc;

	if (t->started)
		return FW_EINVAL;
	atomic_store_explicit(&t->stop, false, memory_order_relaxed);
	if ((rc = pthread_create(&t->tid, NULL, fn, arg)) != 0)
		return -rc;
	t->started = true;
	return FW_OK;
}

void
fw_thread_stop(struct fw_thread *t, void (*wake)(void *), void *arg)
{
	if (t == NULL || !t->started)
		return;
	/* Relaxed: the thread only needs to see it eventually (its poll
	 * timeout bounds when); the join below is the synchronisation. */
	atomic_store_explicit(&t->stop, true, memory_order_relaxed);
	if (wake != NULL)
		wake(arg);
	pthread_join(t->tid, NULL);
	t->started = false;
}
