/*
 * bench_ring.c - SPSC ring throughput: a producer and a consumer thread
 * (pinned to different cores when there are two) move 64-byte records in
 * bursts of 32.  Bounded by count (RECORDS) and time (MAX_SECONDS).
 *
 * Baseline, timed in the same run: one thread copying the same bursts into
 * a slot array of the same size and back out (the two memcpy's a ring
 * transfer costs, without any sharing).  Prints records/s, the ratio to the
 * baseline and peak RSS.
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "fw_ring.h"

#define RECORDS 50000000ULL
#define MAX_SECONDS 5.0
#define BURST 32
#define SLOTS 4096

struct rec {
	uint64_t seq;
	uint8_t pad[56];
};

static struct fw_ring *ring;
static _Atomic int stop;          /* time bound hit */
static _Atomic uint64_t produced;
static uint64_t consumed, bad_order;
static int ncpu;

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
pin(int cpu)
{
	cpu_set_t set;

	if (ncpu < 2)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu % ncpu, &set);
	if (pthread_setaffinity_np(pthread_self(), sizeof(set), &set) != 0)
		fprintf(stderr, "bench_ring: cannot pin to cpu %d\n", cpu);
}

static void *
producer(void *arg)
{
	struct rec b[BURST];
	uint64_t seq = 0;

	(void)arg;
	pin(0);
	memset(b, 0, sizeof(b));
	while (seq < RECORDS && !atomic_load_explicit(&stop, memory_order_relaxed)) {
		size_t off = 0;

		for (size_t i = 0; i < BURST; i++)
			b[i].seq = seq + i;
		while (off < BURST && !atomic_load_explicit(&stop, memory_order_relaxed))
			off += fw_ring_sp_push_burst(ring, b + off, BURST - off);
		seq += off;
	}
	atomic_store(&produced, seq);
	return NULL;
}

static void *
consumer(void *arg)
{
	struct rec b[BURST];
	uint64_t next = 0;

	(void)arg;
	pin(1);
	for (;;) {
		size_t n = fw_ring_sc_pop_burst(ring, b, BURST);

		for (size_t i = 0; i < n; i++)
			bad_order += b[i].seq != next++;
		consumed += n;
		if (n == 0 && atomic_load(&produced) != 0 && consumed == atomic_load(&produced))
			break;
	}
	return NULL;
}

/* Single thread: the same bursts copied into a slot array and out again. */
static double
baseline(uint64_t records, uint64_t *sink)
{
	struct rec *slots = calloc(SLOTS, sizeof(*slots)), in[BURST], out[BURST];
	double t0 = now_s();
	size_t at = 0;

	memset(in, 0, sizeof(in));
	for (uint64_t seq = 0; seq < records; seq += BURST) {
		for (size_t i = 0; i < BURST; i++)
			in[i].seq = seq + i;
		memcpy(&slots[at], in, sizeof(in));
		/* Keep the compiler from eliding the round trip. */
		__asm__ volatile("" : : "r"(slots) : "memory");
		memcpy(out, &slots[at], sizeof(out));
		*sink += out[BURST - 1].seq;
		at = (at + BURST) % SLOTS;
	}
	free(slots);
	return now_s() - t0;
}

int
main(void)
{
	pthread_t p, c;
	struct rusage ru;
	double t0, secs, base_secs, rate, base_rate;
	uint64_t sink = 0;

	ncpu = (int)sysconf(_SC_NPROCESSORS_ONLN);
	if (fw_ring_new(SLOTS, sizeof(struct rec), &ring) != FW_OK) {
		fprintf(stderr, "bench_ring: cannot make the ring\n");
		return 1;
	}
	t0 = now_s();
	pthread_create(&c, NULL, consumer, NULL);
	pthread_create(&p, NULL, producer, NULL);
	while (atomic_load(&produced) == 0 && now_s() - t0 < MAX_SECONDS)
		usleep(10000);
	atomic_store(&stop, 1);
	pthread_join(p, NULL);
	pthread_join(c, NULL);
	secs = now_s() - t0;
	rate = (double)consumed / secs;

	base_secs = baseline(consumed, &sink);
	base_rate = (double)consumed / base_secs;
	getrusage(RUSAGE_SELF, &ru);
	printf("bench_ring: %llu records of %zu B, bursts of %d, %d slots, %s\n",
	    (unsigned long long)consumed, sizeof(struct rec), BURST, SLOTS,
	    ncpu >= 2 ? "producer on cpu 0, consumer on cpu 1" : "one cpu: threads not pinned");
	printf("bench_ring: ring %.1f M records/s (%.2f s), memcpy baseline %.1f M records/s, ratio %.2f\n",
	    rate / 1e6, secs, base_rate / 1e6, rate / base_rate);
	printf("bench_ring: order errors %llu, peak RSS %ld KiB (checksum %llu)\n",
	    (unsigned long long)bad_order, ru.ru_maxrss, (unsigned long long)(sink & 0xff));
	fw_ring_free(ring);
	return bad_order != 0;
}
