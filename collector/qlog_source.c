/*
 * qlog_source.c - BIND query-log files into DNS records (fw_qlog_source.h).
 *
 * The follower polls every 100 ms (no inotify: it must also work on files
 * that are replaced or live on file systems without events).  It keeps the
 * open descriptor of the file it is reading; when the path names a
 * different inode (logrotate renamed it and BIND opened a new one), it
 * reads the old descriptor to its end first, then switches to the new file
 * from its start: no line lost or read twice.  When the file gets shorter
 * than our offset (copytruncate), it starts again at 0.  A partial last
 * line waits in a buffer until its newline arrives.
 */
#include "fw_qlog_source.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fw_counters.h"
#include "fw_log.h"
#include "fw_querylog.h"
#include "fw_thread.h"
#include "fw_time.h"

#define BATCH 256
#define LINE_MAX_BYTES 8192   /* longer lines are counted malformed and skipped */

int
fw_qlog_sniff(const char *path)
{
	struct fw_querylog_ctx q;
	struct fw_dnsq rec;
	char line[LINE_MAX_BYTES];
	FILE *f = fopen(path, "r");
	int found = 0;

	if (f == NULL)
		return 0;
	fw_querylog_init(&q);
	for (int i = 0; i < 50 && !found && fgets(line, sizeof(line), f) != NULL; i++)
		found = fw_querylog_parse(&q, line, strlen(line), &rec, NULL) == FW_OK;
	fclose(f);
	return found;
}

static int
setup_ctx(struct fw_querylog_ctx *q, const struct fw_config *cfg)
{
	fw_querylog_init(q);
	return fw_querylog_set_tz(q, cfg->dns_querylog_timezone);
}

int
fw_qlog_source_check_config(const struct fw_config *cfg, char *err, size_t errlen)
{
	struct fw_querylog_ctx q;

	if (setup_ctx(&q, cfg) != FW_OK) {
		snprintf(err, errlen, "dns.querylog_timezone: '%s' is not a time zone "
		    "(UTC, +01:00, a POSIX TZ string, a zoneinfo name or localtime)", cfg->dns_querylog_timezone);
		return FW_EINVAL;
	}
	return FW_OK;
}

/* Parse one line into rec; counts. 1 if a record came out. */
static int
parse_line(struct fw_querylog_ctx *q, const char *line, size_t len, struct fw_dnsq *rec,
    struct fw_qlog_stats *st, const char *path)
{
	int rc = fw_querylog_parse(q, line, len, rec, NULL);

	st->lines++;
	if (rc == FW_OK) {
		st->queries++;
		q->default_time_ms = rec->time_ms;  /* lines without print-time follow the last */
		return 1;
	}
	if (rc == FW_EUNSUPPORTED) {
		st->not_query++;
	} else {
		st->malformed++;
		FW_LOG_RL(FW_LOG_WARN, "querylog", "%s: line skipped: %s", path, fw_strerror(rc));
	}
	return 0;
}

int
fw_qlog_replay(const char *path, const struct fw_config *cfg, struct fw_ring *ring,
    struct fw_qlog_stats *st, char *err, size_t errlen)
{
	struct fw_querylog_ctx q;
	struct fw_dnsq *batch;
	size_t n = 0, cap = 0;
	char *line = NULL;
	ssize_t len;
	FILE *f;

	if (setup_ctx(&q, cfg) != FW_OK) {
		snprintf(err, errlen, "dns.querylog_timezone: bad time zone");
		return FW_EINVAL;
	}
	if ((f = fopen(path, "r")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return errno == ENOENT ? FW_ENOENT : FW_EIO;
	}
	if ((batch = calloc(BATCH, sizeof(*batch))) == NULL) {
		fclose(f);
		return FW_ENOMEM;
	}
	while ((len = getline(&line, &cap, f)) > 0) {
		if (parse_line(&q, line, (size_t)len, &batch[n], st, path) && ++n == BATCH) {
			fw_ring_sp_push_wait(ring, batch, n);
			n = 0;
		}
	}
	fw_ring_sp_push_wait(ring, batch, n);
	free(line);
	free(batch);
	fclose(f);
	return FW_OK;
}

FW_COUNTERS_ASSERT(struct fw_qlog_stats);

struct fw_qlog_tail {
	char path[FW_CFG_STR_MAX];
	struct fw_querylog_ctx q;
	struct fw_ring *ring;
	int fd;
	ino_t ino;
	dev_t dev;
	off_t off;
	char *buf;                 /* LINE_MAX_BYTES + read chunk */
	size_t have;               /* bytes of a partial line kept in buf */
	int skipping;              /* inside an over-long line: drop to its newline */
	struct fw_dnsq batch[BATCH];
	size_t nbatch;
	struct fw_thread thread;
	struct fw_qlog_stats st;   /* counted by the thread */
	_Atomic uint64_t pub[FW_COUNTERS_N(struct fw_qlog_stats)];  /* st, published per wake-up */
};

#define CHUNK 65536

static void
flush_batch(struct fw_qlog_tail *t)
{
	size_t done = fw_ring_sp_push_or_drop(t->ring, t->batch, t->nbatch);

	t->st.ring_drops += t->nbatch - done;
	t->nbatch = 0;
}

/* Read everything new from t->fd, emitting complete lines. */
static void
drain_fd(struct fw_qlog_tail *t)
{
	for (;;) {
		ssize_t r = read(t->fd, t->buf + t->have, CHUNK);
		size_t start = 0, end;

		if (r <= 0)
			break;
		t->off += r;
		end = t->have + (size_t)r;
		t->q.default_time_ms = fw_time_now_ms();
		for (size_t i = t->have; i < end; i++) {
			if (t->buf[i] != '\n')
				continue;
			if (!t->skipping && parse_line(&t->q, t->buf + start, i - start + 1,
			    &t->batch[t->nbatch], &t->st, t->path) && ++t->nbatch == BATCH)
				flush_batch(t);
			t->skipping = 0;
			start = i + 1;
		}
		/* Keep the partial line; an over-long one is dropped to its end. */
		t->have = end - start;
		if (t->have > 0 && start > 0)
			memmove(t->buf, t->buf + start, t->have);
		if (t->have >= LINE_MAX_BYTES) {
			t->st.malformed++;
			t->skipping = 1;
			t->have = 0;
		}
	}
	if (t->nbatch > 0)
		flush_batch(t);
}

static void
open_current(struct fw_qlog_tail *t, int at_end)
{
	struct stat sb;
	int fd = open(t->path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return;
	if (fstat(fd, &sb) != 0) {
		close(fd);
		return;
	}
	t->fd = fd;
	t->ino = sb.st_ino;
	t->dev = sb.st_dev;
	t->off = at_end ? sb.st_size : 0;
	t->have = 0;
	t->skipping = 0;
	if (lseek(fd, t->off, SEEK_SET) < 0)
		t->off = 0;
}

static void *
tail_main(void *arg)
{
	struct fw_qlog_tail *t = arg;

	pthread_setname_np(pthread_self(), "fw-querylog");
	while (!fw_thread_stopping(&t->thread)) {
		struct stat sb;
		struct timespec nap = { 0, 100000000 };

		if (t->fd < 0) {
			open_current(t, 0);  /* appeared after we started: read it all */
		} else {
			drain_fd(t);
			if (stat(t->path, &sb) == 0 && (sb.st_ino != t->ino || sb.st_dev != t->dev)) {
				/* Rotated: the old file is complete (drained above); the new one from 0. */
				drain_fd(t);
				close(t->fd);
				t->fd = -1;
				t->st.rotations++;
				open_current(t, 0);
			} else if (stat(t->path, &sb) == 0 && sb.st_size < t->off) {
				t->st.truncations++;
				t->off = 0;
				t->have = 0;
				if (lseek(t->fd, 0, SEEK_SET) < 0)
					FW_LOG_RL(FW_LOG_WARN, "querylog", "%s: cannot rewind after truncation", t->path);
			}
			if (t->fd >= 0)
				drain_fd(t);
		}
		fw_counters_publish(t->pub, &t->st, FW_COUNTERS_N(t->st));
		nanosleep(&nap, NULL);
	}
	if (t->fd >= 0)
		drain_fd(t);
	fw_counters_publish(t->pub, &t->st, FW_COUNTERS_N(t->st));
	return NULL;
}

int
fw_qlog_tail_open(const char *path, const struct fw_config *cfg, struct fw_qlog_tail **out,
    char *err, size_t errlen)
{
	struct fw_qlog_tail *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return FW_ENOMEM;
	t->fd = -1;
	snprintf(t->path, sizeof(t->path), "%s", path);
	if ((t->buf = malloc(LINE_MAX_BYTES + CHUNK)) == NULL) {
		fw_qlog_tail_free(t);
		return FW_ENOMEM;
	}
	if (setup_ctx(&t->q, cfg) != FW_OK) {
		snprintf(err, errlen, "dns.querylog_timezone: bad time zone");
		fw_qlog_tail_free(t);
		return FW_EINVAL;
	}
	open_current(t, 1);
	if (t->fd < 0)
		fw_log(FW_LOG_WARN, "querylog", "%s: not there yet (%s); waiting for it", path, strerror(errno));
	*out = t;
	return FW_OK;
}

int
fw_qlog_tail_start(struct fw_qlog_tail *t, struct fw_ring *ring)
{
	t->ring = ring;
	return fw_thread_start(&t->thread, tail_main, t);
}

void
fw_qlog_tail_stop(struct fw_qlog_tail *t)
{
	if (t != NULL)
		fw_thread_stop(&t->thread, NULL, NULL);
}

void
fw_qlog_tail_free(struct fw_qlog_tail *t)
{
	if (t == NULL)
		return;
	fw_qlog_tail_stop(t);
	if (t->fd >= 0)
		close(t->fd);
	free(t->buf);
	free(t);
}

void
fw_qlog_tail_get_stats(struct fw_qlog_tail *t, struct fw_qlog_stats *st)
{
	fw_counters_read(t->pub, st, FW_COUNTERS_N(*st));
}
