/*
 * dnstap_listener.c - live dnstap: a unix-socket server that speaks
 * bidirectional Frame Streams (fstrm.c) to DNS servers and pushes the
 * decoded frames (dnstap.c) into a ring.
 *
 * The live listener serves the bidirectional Frame Streams handshake by
 * hand (fw_dnstap_stream_next over the cursor): libfstrm has readers for
 * files and writers for sockets, but no server side that accepts socket
 * connections, and its rdwr-based reader would block one thread per
 * client.  One thread, poll(2) over the listening socket, an eventfd for
 * stop, and up to max_clients clients, each with one buffer of
 * FW_DNSTAP_FRAME_MAX + 4 bytes allocated at accept (never per frame).  The
 * thread is the ring's only producer.  Counters are kept in a plain struct
 * by the thread and published once per wake-up (fw_counters.h).
 *
 * Anyone allowed to connect could otherwise fill every client slot with
 * connections that never speak and lock the DNS servers out (issue 9,
 * item 7).  So a client must finish its handshake within handshake_ms of
 * connecting (the poll timeout is the nearest such deadline), and a new
 * connection at the cap closes a client that is still in its handshake
 * (the one that connected first) or, failing that, the client idle longest
 * if idle for at least handshake_ms.  A busy server's stream is never
 * closed for a newcomer; only when every client is busy is the newcomer
 * refused.  Idleness and deadlines use CLOCK_MONOTONIC.
 */
#include "fw_dnstap.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "fw_counters.h"
#include "fw_cur.h"
#include "fw_log.h"
#include "fw_ring.h"
#include "fw_thread.h"

#define BATCH 64                   /* records pushed to the ring at once */
#define ACCEPTS_PER_WAKE 16        /* new connections taken per wake-up: reads go first */
/* Room for the largest data frame (and so for any control frame). */
#define CONN_BUF (FW_DNSTAP_FRAME_MAX + 4)
_Static_assert(CONN_BUF >= FW_DNSTAP_CONTROL_MAX + 8, "control frames fit a client buffer");

/* ---- live: unix socket listener ------------------------------------------ */

#define NSTATS FW_COUNTERS_N(struct fw_dnstap_stats)
FW_COUNTERS_ASSERT(struct fw_dnstap_stats);

struct conn {
	int fd;
	uint32_t fill;             /* bytes in buf */
	int64_t since_ms;          /* accepted at, monotonic */
	int64_t last_ms;           /* last bytes received (or accept), monotonic */
	struct fw_dnstap_stream st;
	uint8_t *buf;              /* CONN_BUF bytes, owned */
};

struct fw_dnstap_listener {
	int lfd;                   /* listening socket */
	int efd;                   /* eventfd: stop request */
	struct fw_thread thread;
	struct fw_ring *ring;      /* borrowed; this thread is its producer */
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	uint32_t max_clients;      /* set before start */
	int64_t handshake_ms;      /* set before start */
	/* Listener thread only (after start): */
	size_t nconns;
	struct conn *conns;        /* max_clients, owned */
	struct pollfd *pfd;        /* max_clients + 2, owned */
	size_t nbatch;
	struct fw_dnsq batch[BATCH];
	struct fw_dnstap_stats work;   /* counted here, published below */
	_Atomic uint64_t pub[NSTATS];  /* copy of work for other threads */
};

static void
publish(struct fw_dnstap_listener *l)
{
	l->work.conns_active = l->nconns;
	fw_counters_publish(l->pub, &l->work, NSTATS);
}

static void
flush_batch(struct fw_dnstap_listener *l)
{
	size_t pushed;

	if (l->nbatch == 0)
		return;
	pushed = fw_ring_sp_push_or_drop(l->ring, l->batch, l->nbatch);
	l->work.ring_drops += l->nbatch - pushed;
	l->nbatch = 0;
}

static void
conn_close(struct fw_dnstap_listener *l, size_t i)
{
	close(l->conns[i].fd);
	free(l->conns[i].buf);
	l->conns[i] = l->conns[--l->nconns];   /* order of clients does not matter */
	/* The vacated slot keeps no pointer or fd of a live client. */
	l->conns[l->nconns].buf = NULL;
	l->conns[l->nconns].fd = -1;
}

/* Small replies (ACCEPT, FINISH) on a fresh socket buffer; short = lost. */
static int
send_control(int fd, enum fw_fstrm_ctl type, const char *ctype)
{
	uint8_t b[64];
	size_t n = fw_dnstap_control_build(b, sizeof(b), type, ctype);

	return send(fd, b, n, MSG_NOSIGNAL | MSG_DONTWAIT) == (ssize_t)n ? FW_OK : FW_EIO;
}

/* Decode every whole frame in the buffer; returns 0 to keep, -1 to close. */
static int
conn_process(struct fw_dnstap_listener *l, struct conn *cn, int64_t now_ms)
{
	size_t off = 0, used, flen;
	const uint8_t *frame;
	int ev, keep = 0;

	for (;;) {
		ev = fw_dnstap_stream_next(&cn->st, cn->buf + off, cn->fill - off, &used, &frame,
		    &flen);
		off += used;
		if (ev == FW_DNSTAP_EV_MORE)
			break;
		if (ev < 0) {
			l->work.bad_control++;
			FW_LOG_RL(FW_LOG_WARN, "dnstap", "%s: closing client: %s", l->path,
			    fw_strerror(ev));
			keep = -1;
			break;
		}
		if (ev == FW_DNSTAP_EV_DATA) {
			struct fw_dnsq *q = &l->batch[l->nbatch];

			if (fw_dnstap_decode_st(frame, flen, q, &l->work) == 1) {
				if (q->time_ms == 0)
					q->time_ms = now_ms;
				if (++l->nbatch == BATCH)
					flush_batch(l);
			}
		} else if (ev == FW_DNSTAP_EV_OVERSIZE) {
			l->work.frames++;
			l->work.oversize++;
		} else if (ev == FW_DNSTAP_EV_ACCEPT) {
			if (send_control(cn->fd, FW_FSTRM_ACCEPT, FW_DNSTAP_CONTENT_TYPE) != FW_OK) {
				l->work.conn_errors++;
				keep = -1;
				break;
			}
		} else if (ev == FW_DNSTAP_EV_FINISH || ev == FW_DNSTAP_EV_END) {
			if (ev == FW_DNSTAP_EV_FINISH &&
			    send_control(cn->fd, FW_FSTRM_FINISH, NULL) != FW_OK)
				l->work.conn_errors++;
			keep = -1;
			break;
		}
	}
	if (keep == 0 && off > 0) {
		memmove(cn->buf, cn->buf + off, cn->fill - off);
		cn->fill -= (uint32_t)off;
	}
	/* Cannot happen with CONN_BUF >= frame_max + 4; guard against our own bug. */
	if (keep == 0 && cn->fill == CONN_BUF)
		keep = -1;
	return keep;
}

static void
conn_read(struct fw_dnstap_listener *l, size_t i, int64_t now_ms, int64_t mono)
{
	struct conn *cn = &l->conns[i];
	ssize_t n = read(cn->fd, cn->buf + cn->fill, CONN_BUF - cn->fill);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {              /* EOF: a client may go without STOP */
		if (n < 0)
			l->work.conn_errors++;
		conn_close(l, i);
		return;
	}
	cn->fill += (uint32_t)n;
	cn->last_ms = mono;
	if (conn_process(l, cn, now_ms) != 0)
		conn_close(l, i);
}

/* Handshake done: data may flow (or STOP was seen). */
static int
conn_ready(const struct conn *cn)
{
	return fw_dnstap_stream_is_started(&cn->st);
}

/*
 * The client a new connection may replace, or -1: the first-connected one
 * still in its handshake, else the one idle longest if idle >= handshake_ms.
 */
static ssize_t
pick_victim(const struct fw_dnstap_listener *l, int64_t mono)
{
	ssize_t hs = -1, idle = -1;

	for (size_t i = 0; i < l->nconns; i++) {
		const struct conn *cn = &l->conns[i];

		if (!conn_ready(cn)) {
			if (hs < 0 || cn->since_ms < l->conns[hs].since_ms)
				hs = (ssize_t)i;
		} else if (idle < 0 || cn->last_ms < l->conns[idle].last_ms) {
			idle = (ssize_t)i;
		}
	}
	if (hs >= 0)
		return hs;
	if (idle >= 0 && mono - l->conns[idle].last_ms >= l->handshake_ms)
		return idle;
	return -1;
}

static void
accept_all(struct fw_dnstap_listener *l, int64_t mono)
{
	for (int k = 0; k < ACCEPTS_PER_WAKE; k++) {
		int fd = accept4(l->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct conn *cn;

		if (fd < 0)
			return;            /* EAGAIN, or a client gone before accept */
		if (l->nconns == l->max_clients) {
			ssize_t v = pick_victim(l, mono);

			if (v < 0) {
				l->work.conns_refused++;
				FW_LOG_RL(FW_LOG_WARN, "dnstap", "%s: at the cap of %u clients, all busy: "
				    "refusing a new connection (dns.dnstap_max_clients)", l->path, l->max_clients);
				close(fd);
				continue;
			}
			l->work.evicted++;
			FW_LOG_RL(FW_LOG_WARN, "dnstap", "%s: at the cap of %u clients: closing one %s "
			    "for %lld ms to make room (dns.dnstap_max_clients)", l->path, l->max_clients,
			    conn_ready(&l->conns[v]) ? "idle" : "still in its handshake",
			    (long long)(mono - (conn_ready(&l->conns[v]) ? l->conns[v].last_ms :
			    l->conns[v].since_ms)));
			conn_close(l, (size_t)v);
		}
		cn = &l->conns[l->nconns];
		if ((cn->buf = malloc(CONN_BUF)) == NULL) {
			l->work.conn_errors++;
			close(fd);
			continue;
		}
		cn->fd = fd;
		cn->fill = 0;
		cn->since_ms = cn->last_ms = mono;
		fw_dnstap_stream_init(&cn->st, FW_DNSTAP_FRAME_MAX);
		l->nconns++;
		l->work.conns++;
	}
}

/*
 * Close clients past their handshake deadline; returns the poll timeout
 * until the next deadline (ms, rounded up), or -1 when there is none.
 */
static int
expire_handshakes(struct fw_dnstap_listener *l, int64_t mono)
{
	int64_t next = -1;

	for (size_t i = l->nconns; i-- > 0;) {
		const struct conn *cn = &l->conns[i];
		int64_t left = cn->since_ms + l->handshake_ms - mono;

		if (conn_ready(cn))
			continue;
		if (left <= 0) {
			l->work.handshake_timeouts++;
			FW_LOG_RL(FW_LOG_WARN, "dnstap", "%s: closing a client that did not finish the "
			    "Frame Streams handshake in %lld ms (dns.dnstap_handshake_timeout_ms)", l->path,
			    (long long)l->handshake_ms);
			conn_close(l, i);
			continue;
		}
		if (next < 0 || left < next)
			next = left;
	}
	return next < 0 ? -1 : next > INT32_MAX ? INT32_MAX : (int)next;
}

static int64_t
clock_ms(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void *
listener_main(void *arg)
{
	struct fw_dnstap_listener *l = arg;

	for (;;) {
		int timeout = expire_handshakes(l, clock_ms(CLOCK_MONOTONIC));
		size_t n = l->nconns;
		int64_t t, mono;

		publish(l);
		l->pfd[0] = (struct pollfd){ .fd = l->efd, .events = POLLIN };
		l->pfd[1] = (struct pollfd){ .fd = l->lfd, .events = POLLIN };
		for (size_t i = 0; i < n; i++)
			l->pfd[2 + i] = (struct pollfd){ .fd = l->conns[i].fd, .events = POLLIN };
		if (poll(l->pfd, n + 2, timeout) < 0) {
			if (errno == EINTR)
				continue;
			fw_log_errno(FW_LOG_ERR, "dnstap", "%s: poll", l->path);
			break;
		}
		if (l->pfd[0].revents)
			break;
		t = clock_ms(CLOCK_REALTIME);  /* once per wake-up, for frames without a time */
		mono = clock_ms(CLOCK_MONOTONIC);
		/* Backwards, so conn_close()'s swap-remove never skips a client. */
		for (size_t i = n; i-- > 0;)
			if (l->pfd[2 + i].revents)
				conn_read(l, i, t, mono);
		if (l->pfd[1].revents)
			accept_all(l, mono);
		flush_batch(l);
	}
	flush_batch(l);
	while (l->nconns > 0)
		conn_close(l, l->nconns - 1);
	publish(l);
	return NULL;
}

/* A socket file left by an earlier run is replaced, a live one is not. */
static int
clear_stale(const struct sockaddr_un *sa)
{
	struct stat sb;
	int fd, live;

	if (lstat(sa->sun_path, &sb) != 0)
		return errno == ENOENT ? FW_OK : -errno;
	if (!S_ISSOCK(sb.st_mode))
		return FW_EINVAL;
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return -errno;
	live = connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) == 0;
	close(fd);
	if (live)
		return FW_EINVAL;
	return unlink(sa->sun_path) == 0 ? FW_OK : -errno;
}

int
fw_dnstap_listener_open(const char *path, unsigned mode, struct fw_ring *ring,
    struct fw_dnstap_listener **out)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct fw_dnstap_listener *l;
	int err;

	if (strlen(path) >= sizeof(sa.sun_path) || ring == NULL)
		return FW_EINVAL;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	if ((l = calloc(1, sizeof(*l))) == NULL)
		return FW_ENOMEM;
	l->lfd = l->efd = -1;
	l->ring = ring;
	l->handshake_ms = FW_DNSTAP_HANDSHAKE_MS;
	if ((err = fw_dnstap_listener_set_limits(l, FW_DNSTAP_CLIENTS_MAX, FW_DNSTAP_HANDSHAKE_MS)) != FW_OK)
		goto fail;
	memcpy(l->path, sa.sun_path, sizeof(l->path));
	if ((err = clear_stale(&sa)) != FW_OK) {
		l->path[0] = '\0';         /* not ours: close must not unlink it */
		goto fail;
	}
	if ((l->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) < 0 ||
	    (l->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) < 0) {
		err = -errno;
		l->path[0] = '\0';
		goto fail;
	}
	if (bind(l->lfd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		err = -errno;
		l->path[0] = '\0';
		goto fail;
	}
	/* After bind, so the umask does not decide who may connect. */
	if (chmod(path, (mode_t)mode) != 0 || listen(l->lfd, 16) != 0) {
		err = -errno;
		goto fail;
	}
	*out = l;
	return FW_OK;
fail:
	fw_dnstap_listener_close(l);
	return err;
}

int
fw_dnstap_listener_set_limits(struct fw_dnstap_listener *l, uint32_t max_clients,
    uint32_t handshake_ms)
{
	struct conn *conns;
	struct pollfd *pfd;

	if (l->thread.started || max_clients < 1 || max_clients > FW_DNSTAP_CLIENTS_LIMIT || handshake_ms < 1)
		return FW_EINVAL;
	conns = calloc(max_clients, sizeof(*conns));
	pfd = calloc((size_t)max_clients + 2, sizeof(*pfd));
	if (conns == NULL || pfd == NULL) {
		free(conns);
		free(pfd);
		return FW_ENOMEM;
	}
	free(l->conns);            /* not started: no client is connected */
	free(l->pfd);
	l->conns = conns;
	l->pfd = pfd;
	l->max_clients = max_clients;
	l->handshake_ms = handshake_ms;
	return FW_OK;
}

int
fw_dnstap_listener_start(struct fw_dnstap_listener *l)
{
	/* Default attributes: the decoder's arena wants a MiB-sized stack. */
	return fw_thread_start(&l->thread, listener_main, l);
}

/* The thread sleeps in poll(2): the eventfd wakes it to see the stop. */
static void
wake(void *arg)
{
	struct fw_dnstap_listener *l = arg;
	uint64_t one = 1;

	if (write(l->efd, &one, sizeof(one)) != (ssize_t)sizeof(one))
		fw_log_errno(FW_LOG_ERR, "dnstap", "%s: waking listener", l->path);
}

void
fw_dnstap_listener_stop(struct fw_dnstap_listener *l)
{
	if (l != NULL)
		fw_thread_stop(&l->thread, wake, l);
}

void
fw_dnstap_listener_close(struct fw_dnstap_listener *l)
{
	if (l == NULL)
		return;
	fw_dnstap_listener_stop(l);
	if (l->lfd >= 0)
		close(l->lfd);
	if (l->efd >= 0)
		close(l->efd);
	if (l->path[0] != '\0')
		unlink(l->path);
	free(l->conns);
	free(l->pfd);
	free(l);
}

void
fw_dnstap_listener_stats(const struct fw_dnstap_listener *l, struct fw_dnstap_stats *out)
{
	fw_counters_read(l->pub, out, NSTATS);
}
