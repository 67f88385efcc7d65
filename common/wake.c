/*
 * wake.c - futex eventcount (fw_wake.h).
 *
 * The futex word is a counter: the consumer reads it when it announces a
 * nap (the ticket) and sleeps only while it still holds that value, so a
 * poke between the announcement and the sleep is never lost.  The
 * sleeping flag lets producers skip the syscall while the consumer works;
 * exchanging it to 0 lets only the first of several producers call futex.
 */
#include "fw_wake.h"

#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

void
fw_wake_init(struct fw_wake *w)
{
	atomic_init(&w->seq, 0);
	atomic_init(&w->sleeping, 0);
}

uint32_t
fw_wake_prepare(struct fw_wake *w)
{
	/* seq_cst: the flag is visible before the consumer re-checks its rings. */
	atomic_store(&w->sleeping, 1);
	return atomic_load(&w->seq);
}

void
fw_wake_cancel(struct fw_wake *w)
{
	atomic_store_explicit(&w->sleeping, 0, memory_order_relaxed);
}

void
fw_wake_wait(struct fw_wake *w, uint32_t ticket, int timeout_ms)
{
	struct timespec ts = { timeout_ms / 1000, (long)(timeout_ms % 1000) * 1000000L };

	/* EAGAIN: poked already; EINTR, ETIMEDOUT: the caller polls anyway. */
	(void)syscall(SYS_futex, &w->seq, FUTEX_WAIT_PRIVATE, ticket, &ts, NULL, 0);
	atomic_store_explicit(&w->sleeping, 0, memory_order_relaxed);
}

static void
wake_now(struct fw_wake *w)
{
	atomic_fetch_add(&w->seq, 1);
	(void)syscall(SYS_futex, &w->seq, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

void
fw_wake_poke(struct fw_wake *w)
{
	if (atomic_exchange(&w->sleeping, 0) != 0)
		wake_now(w);
}

void
fw_wake_kick(struct fw_wake *w)
{
	atomic_store(&w->sleeping, 0);
	wake_now(w);
}
