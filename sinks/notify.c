/*
 * notify.c - the notify hook (fw_notify.h): alert events -> the operator's
 * program, one process per event.
 *
 * Queue: `cap` event slots allocated once, a free list of slot numbers and
 * a ring of slot numbers in arrival order.  Dropping an update from the
 * middle shifts slot numbers (4 bytes each), never events.  The detector
 * thread posts under `lock`; the notify thread pops under it.  Nothing else
 * is shared but the counters (C11 atomics).
 *
 * Notify thread: one loop over poll(2) on an eventfd (posts, stop) and the
 * pipes of its children (stdin fed from a per-child JSON buffer, stdout and
 * stderr read and logged line by line).  It wakes every TICK_MS while
 * programs run, to reap them with waitpid(pid, WNOHANG) (only its own pids)
 * and to enforce timeouts: SIGTERM to the process group, SIGKILL
 * FW_NOTIFY_KILL_GRACE_MS later.  SIGPIPE is blocked in this thread, so a
 * program that exits without reading stdin costs an EPIPE, not the
 * process (replay does not ignore SIGPIPE).
 *
 * Children: posix_spawn of the absolute path, no shell, no PATH search;
 * argv = { path }; a fresh environment (PATH and the FW_* variables, not the
 * daemon's); own process group; empty signal mask and default dispositions
 * (the daemon blocks SIGTERM and ignores SIGPIPE, which would otherwise be
 * inherited); fds 0-2 are the pipes, every other fd is closed.  They run as
 * the daemon runs: after fw_priv_drop(), as general.user, with
 * no_new_privs and an empty bounding set.
 */
#include "fw_notify.h"

#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fw_alert_json.h"
#include "fw_names.h"
#include "fw_log.h"
#include "fw_sqlite.h"
#include "fw_time.h"

#define TICK_MS 20                     /* reap/timeout check while programs run */
#define JSON_MAX (FW_EVIDENCE_MAX * 3 + 2048)  /* as the SQLite sink's scratch */
#define LINE_MAX_BYTES 400             /* program output logged per line, rest cut */
#define ENV_MAX 20

/* ---- queue ---- */

struct fw_notify_queue {
	size_t cap;
	size_t n;                   /* events queued */
	size_t head;                /* order[head] is the oldest */
	uint32_t *order;            /* slot numbers, oldest first, ring of cap */
	uint32_t *free_slots;       /* stack of unused slot numbers */
	size_t nfree;
	struct fw_alert_ev *slots;
};

int
fw_notify_queue_new(size_t cap, struct fw_notify_queue **out)
{
	struct fw_notify_queue *q;

	if (cap == 0 || cap > UINT32_MAX)
		return FW_EINVAL;
	if ((q = calloc(1, sizeof(*q))) == NULL)
		return FW_ENOMEM;
	q->cap = cap;
	if ((q->order = calloc(cap, sizeof(*q->order))) == NULL ||
	    (q->free_slots = calloc(cap, sizeof(*q->free_slots))) == NULL ||
	    (q->slots = calloc(cap, sizeof(*q->slots))) == NULL) {
		fw_notify_queue_free(q);
		return FW_ENOMEM;
	}
	for (size_t i = 0; i < cap; i++)
		q->free_slots[i] = (uint32_t)(cap - 1 - i);
	q->nfree = cap;
	*out = q;
	return FW_OK;
}

void
fw_notify_queue_free(struct fw_notify_queue *q)
{
	if (q == NULL)
		return;
	free(q->order);
	free(q->free_slots);
	free(q->slots);
	free(q);
}

size_t
fw_notify_queue_count(const struct fw_notify_queue *q)
{
	return q->n;
}

static struct fw_alert_ev *
nth(struct fw_notify_queue *q, size_t i)
{
	return &q->slots[q->order[(q->head + i) % q->cap]];
}

/* Remove the i-th oldest, closing the gap; returns its event type. */
static int
remove_at(struct fw_notify_queue *q, size_t i, char id[FW_ALERT_ID_LEN + 1], uint32_t *seq)
{
	uint32_t slot = q->order[(q->head + i) % q->cap];
	const struct fw_alert_ev *ev = &q->slots[slot];

	if (id != NULL)
		memcpy(id, ev->id, FW_ALERT_ID_LEN + 1);
	if (seq != NULL)
		*seq = ev->seq;
	for (size_t j = i; j + 1 < q->n; j++)
		q->order[(q->head + j) % q->cap] = q->order[(q->head + j + 1) % q->cap];
	q->n--;
	q->free_slots[q->nfree++] = slot;
	return ev->event;
}

int
fw_notify_queue_push(struct fw_notify_queue *q, const struct fw_alert_ev *ev,
    char dropped_id[FW_ALERT_ID_LEN + 1], uint32_t *dropped_seq)
{
	int dropped = 0;
	uint32_t slot;

	assert(q->cap > 0);            /* fw_notify_queue_new() refuses 0 */
	if (q->n == q->cap) {
		size_t i;

		for (i = 0; i < q->n && nth(q, i)->event != FW_EV_UPDATE; i++)
			;
		if (i < q->n) {
			dropped = remove_at(q, i, dropped_id, dropped_seq);
		} else if (ev->event == FW_EV_UPDATE) {
			if (dropped_id != NULL)
				memcpy(dropped_id, ev->id, FW_ALERT_ID_LEN + 1);
			if (dropped_seq != NULL)
				*dropped_seq = ev->seq;
			return FW_EV_UPDATE;
		} else {
			dropped = remove_at(q, 0, dropped_id, dropped_seq);
		}
	}
	slot = q->free_slots[--q->nfree];
	q->slots[slot] = *ev;
	q->order[(q->head + q->n) % q->cap] = slot;
	q->n++;
	return dropped;
}

bool
fw_notify_queue_pop(struct fw_notify_queue *q, struct fw_alert_ev *ev)
{
	uint32_t slot;

	if (q->n == 0)
		return false;
	slot = q->order[q->head];
	*ev = q->slots[slot];
	q->head = (q->head + 1) % q->cap;
	q->n--;
	q->free_slots[q->nfree++] = slot;
	return true;
}

/* ---- the hook ---- */

struct child {
	pid_t pid;                  /* 0: slot free */
	int in_fd, out_fd;          /* our pipe ends; -1 when closed */
	int64_t started_ms;         /* monotonic */
	int64_t term_ms;            /* SIGTERM sent at (monotonic); 0 = not yet */
	bool killed;                /* SIGKILL sent */
	char id[FW_ALERT_ID_LEN + 1];
	uint8_t event;
	uint32_t seq;
	size_t json_len, json_off;  /* stdin still to write: json[json_off..json_len) */
	size_t line_len;            /* output line gathered so far */
	char line[LINE_MAX_BYTES + 1];
	char json[JSON_MAX];
};

struct env {
	char *vars[ENV_MAX + 1];
	int n;
	size_t used;
	char buf[FW_VICTIM_MAX * 3 + 1024];
};

struct fw_notify {
	char exec[FW_CFG_STR_MAX];
	int64_t timeout_ms, shutdown_ms;
	int max_running;
	pthread_mutex_t lock;       /* guards q and the next_* settings */
	/* SIGHUP: settings posted by fw_notify_reconfigure, taken by the notify
	 * thread at the top of its loop (it alone reads exec and timeouts). */
	char next_exec[FW_CFG_STR_MAX];
	int64_t next_timeout_ms, next_shutdown_ms;
	_Atomic int next_posted;
	struct fw_notify_queue *q;
	int wake_fd;                /* eventfd: a post or stop */
	pthread_t thread;
	bool started;
	_Atomic int stopping;
	_Atomic uint64_t events, runs, ok, failed, timeouts, dropped_updates, dropped_start_end;
	_Atomic uint64_t queue_depth, running;
	/* Notify-thread state. */
	struct child *kids;         /* max_running */
	struct fw_alert_ev ev;      /* the event being started */
	struct env env;             /* ... and its environment */
};

static void
count_drop(struct fw_notify *n, int event, const char *id, uint32_t seq, const char *why)
{
	if (event == FW_EV_UPDATE)
		atomic_fetch_add(&n->dropped_updates, 1);
	else
		atomic_fetch_add(&n->dropped_start_end, 1);
	FW_LOG_RL(FW_LOG_WARN, "notify", "%s: %s event %u of alert %s dropped (not run)", why,
	    fw_event_name(event), (unsigned)seq, id);
}

void
fw_notify_post(struct fw_notify *n, const struct fw_alert_ev *ev)
{
	char id[FW_ALERT_ID_LEN + 1];
	uint32_t seq = 0;
	uint64_t one = 1;
	int dropped;

	pthread_mutex_lock(&n->lock);
	dropped = fw_notify_queue_push(n->q, ev, id, &seq);
	atomic_store(&n->queue_depth, fw_notify_queue_count(n->q));
	pthread_mutex_unlock(&n->lock);
	atomic_fetch_add(&n->events, 1);
	if (dropped != 0)
		count_drop(n, dropped, id, seq, "notify.queue full");
	/* A full eventfd counter (never, at 2^64 - 1) only loses a wake-up. */
	(void)!write(n->wake_fd, &one, sizeof(one));
}

/* "host", "prefix" or "zone": what a script may blackhole or not. */
static const char *
victim_kind(const char *victim)
{
	unsigned char buf[16];

	if (strchr(victim, '/') != NULL)
		return "prefix";
	if (inet_pton(AF_INET, victim, buf) == 1 || inet_pton(AF_INET6, victim, buf) == 1)
		return "host";
	return "zone";
}

/* Environment text: valid UTF-8, no control characters (a newline in a
 * variable is a trap for scripts; zones never hold one, but are wire data). */
static void
env_text(const char *src, char *dst, size_t len)
{
	fw_utf8_sanitize(src, dst, len);
	for (char *p = dst; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
}


static void
env_add(struct env *e, const char *name, const char *value)
{
	int len;

	if (e->n >= ENV_MAX || e->used >= sizeof(e->buf))
		return;  /* cannot happen: sized for the variables below */
	len = snprintf(e->buf + e->used, sizeof(e->buf) - e->used, "%s=%s", name, value);
	if (len < 0 || (size_t)len >= sizeof(e->buf) - e->used)
		return;
	e->vars[e->n++] = e->buf + e->used;
	e->vars[e->n] = NULL;
	e->used += (size_t)len + 1;
}

static void
env_rate(struct env *e, const char *name, double v)
{
	char t[32];

	/* Integers, so `[ "$FW_PEAK_PPS" -gt N ]` works in sh. */
	snprintf(t, sizeof(t), "%.0f", isfinite(v) && v > 0 ? v : 0.0);
	env_add(e, name, t);
}

static void
env_time(struct env *e, const char *name, int64_t ms)
{
	char t[FW_TIME_TEXT_LEN] = "";

	if (ms != 0)
		fw_time_format(ms, t);
	env_add(e, name, t);
}

static void
build_env(struct env *e, const struct fw_alert_ev *ev)
{
	char victim[FW_VICTIM_MAX * 3], num[24];
	const char *reason = ev->event == FW_EV_END ? fw_end_reason_name(ev->reason) : "";

	e->n = 0;
	e->used = 0;
	e->vars[0] = NULL;
	env_text(ev->victim, victim, sizeof(victim));
	env_add(e, "PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
	env_add(e, "FW_EVENT", fw_event_name(ev->event));
	env_add(e, "FW_ALERT_ID", ev->id);
	snprintf(num, sizeof(num), "%u", (unsigned)ev->seq);
	env_add(e, "FW_SEQ", num);
	env_add(e, "FW_VICTIM", victim);
	env_add(e, "FW_VICTIM_KIND", victim_kind(victim));
	env_add(e, "FW_VECTOR", fw_vector_name(ev->vector));
	snprintf(num, sizeof(num), "%u", (unsigned)ev->severity);
	env_add(e, "FW_SEVERITY", num);
	env_rate(e, "FW_PEAK_PPS", ev->peak_pps);
	env_rate(e, "FW_PEAK_BPS", ev->peak_bps);
	env_rate(e, "FW_PEAK_QPS", ev->peak_qps);
	env_rate(e, "FW_CURRENT_PPS", ev->cur_pps);
	env_rate(e, "FW_CURRENT_BPS", ev->cur_bps);
	env_rate(e, "FW_CURRENT_QPS", ev->cur_qps);
	env_time(e, "FW_STARTED_AT", ev->started_ms);
	env_time(e, "FW_UPDATED_AT", ev->updated_ms);
	env_time(e, "FW_ENDED_AT", ev->event == FW_EV_END ? ev->ended_ms : 0);
	/* Same default as the JSON's "reason". */
	env_add(e, "FW_REASON", ev->event != FW_EV_END ? "" : reason != NULL ? reason : "quiet");
}

static void
close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static int
set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

/* posix_spawn with the attributes of the file comment; returns 0 or an errno. */
static int
spawn(struct fw_notify *n, struct child *c, int in_r, int out_w, char **envp)
{
	static const int sigs[] = { SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGCHLD, SIGUSR1, SIGUSR2, SIGALRM };
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t none, def;
	char *argv[] = { n->exec, NULL };
	int rc;

	if ((rc = posix_spawn_file_actions_init(&fa)) != 0)
		return rc;
	if ((rc = posix_spawnattr_init(&at)) != 0) {
		posix_spawn_file_actions_destroy(&fa);
		return rc;
	}
	sigemptyset(&none);
	sigemptyset(&def);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaddset(&def, sigs[i]);
	if ((rc = posix_spawn_file_actions_adddup2(&fa, in_r, 0)) == 0 &&
	    (rc = posix_spawn_file_actions_adddup2(&fa, out_w, 1)) == 0 &&
	    (rc = posix_spawn_file_actions_adddup2(&fa, out_w, 2)) == 0 &&
	    (rc = posix_spawn_file_actions_addclosefrom_np(&fa, 3)) == 0 &&
	    (rc = posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
	    POSIX_SPAWN_SETSIGDEF)) == 0 &&
	    (rc = posix_spawnattr_setpgroup(&at, 0)) == 0 &&
	    (rc = posix_spawnattr_setsigmask(&at, &none)) == 0 &&
	    (rc = posix_spawnattr_setsigdefault(&at, &def)) == 0)
		rc = posix_spawn(&c->pid, n->exec, &fa, &at, argv, envp);
	posix_spawnattr_destroy(&at);
	posix_spawn_file_actions_destroy(&fa);
	if (rc != 0)
		c->pid = 0;
	return rc;
}

/* Start the program for n->ev in the free slot c. */
static void
start_child(struct fw_notify *n, struct child *c)
{
	struct env *env = &n->env;
	const struct fw_alert_ev *ev = &n->ev;
	int in[2] = { -1, -1 }, out[2] = { -1, -1 }, rc, len;

	memcpy(c->id, ev->id, sizeof(c->id));
	c->event = ev->event;
	c->seq = ev->seq;
	c->term_ms = 0;
	c->killed = false;
	c->line_len = 0;
	len = fw_alert_json(ev, c->json, sizeof(c->json) - 1);
	if (len < 0) {
		atomic_fetch_add(&n->failed, 1);
		FW_LOG_RL(FW_LOG_WARN, "notify", "%s event %u of alert %s: cannot render its JSON; not run",
		    fw_event_name(c->event), (unsigned)c->seq, c->id);
		return;
	}
	c->json[len] = '\n';        /* one line, so `read` in sh takes it */
	c->json_len = (size_t)len + 1;
	c->json_off = 0;
	build_env(env, ev);
	if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0) {
		rc = errno;
		goto fail;
	}
	if ((rc = spawn(n, c, in[0], out[1], env->vars)) != 0)
		goto fail;
	close(in[0]);
	close(out[1]);
	c->in_fd = in[1];
	c->out_fd = out[0];
	(void)set_nonblock(c->in_fd);
	(void)set_nonblock(c->out_fd);
	c->started_ms = fw_time_mono_ms();
	atomic_fetch_add(&n->runs, 1);
	atomic_fetch_add(&n->running, 1);
	return;
fail:
	close_fd(&in[0]);
	close_fd(&in[1]);
	close_fd(&out[0]);
	close_fd(&out[1]);
	atomic_fetch_add(&n->failed, 1);
	FW_LOG_RL(FW_LOG_WARN, "notify", "cannot run %s for %s event %u of alert %s: %s", n->exec,
	    fw_event_name(c->event), (unsigned)c->seq, c->id, strerror(rc));
}

static void
flush_line(struct child *c)
{
	if (c->line_len == 0)
		return;
	c->line[c->line_len] = '\0';
	for (size_t i = 0; i < c->line_len; i++)
		if ((unsigned char)c->line[i] < 0x20 || c->line[i] == 0x7f)
			c->line[i] = '?';
	FW_LOG_RL(FW_LOG_INFO, "notify", "[%s %s %u] %s", c->id, fw_event_name(c->event), (unsigned)c->seq,
	    c->line);
	c->line_len = 0;
}

/* Read what the program wrote; log whole lines.  Closes out_fd at EOF. */
static void
read_output(struct child *c)
{
	char buf[1024];

	while (c->out_fd >= 0) {
		ssize_t got = read(c->out_fd, buf, sizeof(buf));

		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0) {
			if (got == 0 || errno != EAGAIN) {
				flush_line(c);
				close_fd(&c->out_fd);
			}
			return;
		}
		for (ssize_t i = 0; i < got; i++) {
			if (buf[i] == '\n') {
				flush_line(c);
			} else if (c->line_len < LINE_MAX_BYTES) {
				c->line[c->line_len++] = buf[i];
			}
		}
	}
}

static void
write_input(struct child *c)
{
	while (c->in_fd >= 0 && c->json_off < c->json_len) {
		ssize_t put = write(c->in_fd, c->json + c->json_off, c->json_len - c->json_off);

		if (put < 0 && errno == EINTR)
			continue;
		if (put < 0) {
			if (errno != EAGAIN)
				close_fd(&c->in_fd);   /* EPIPE: the program does not read stdin */
			return;
		}
		c->json_off += (size_t)put;
	}
	close_fd(&c->in_fd);           /* EOF after the one line */
}

/* The program has ended with wait status st. */
static void
finish_child(struct fw_notify *n, struct child *c, int st)
{
	int64_t took = fw_time_mono_ms() - c->started_ms;

	read_output(c);
	flush_line(c);
	close_fd(&c->in_fd);
	close_fd(&c->out_fd);          /* a background grandchild writing later gets EPIPE */
	if (c->term_ms != 0) {
		atomic_fetch_add(&n->timeouts, 1);
		FW_LOG_RL(FW_LOG_WARN, "notify", "%s for %s event %u of alert %s still ran after notify.timeout_ms "
		    "= %lld; process group %s, gone after %lld ms", n->exec, fw_event_name(c->event),
		    (unsigned)c->seq, c->id, (long long)n->timeout_ms,
		    c->killed ? "killed (SIGKILL)" : "terminated (SIGTERM)", (long long)took);
	} else if (WIFEXITED(st) && WEXITSTATUS(st) == 0) {
		atomic_fetch_add(&n->ok, 1);
	} else {
		atomic_fetch_add(&n->failed, 1);
		if (WIFSIGNALED(st))
			FW_LOG_RL(FW_LOG_WARN, "notify", "%s for %s event %u of alert %s killed by signal %d",
			    n->exec, fw_event_name(c->event), (unsigned)c->seq, c->id, WTERMSIG(st));
		else
			FW_LOG_RL(FW_LOG_WARN, "notify", "%s for %s event %u of alert %s exited with status %d",
			    n->exec, fw_event_name(c->event), (unsigned)c->seq, c->id,
			    WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	}
	c->pid = 0;
	atomic_fetch_sub(&n->running, 1);
}

/* Reap ended programs; signal those past their time.  Returns how many run. */
static int
reap_and_police(struct fw_notify *n, bool kill_all)
{
	int64_t now = fw_time_mono_ms();
	int left = 0;

	for (int i = 0; i < n->max_running; i++) {
		struct child *c = &n->kids[i];
		pid_t r;
		int st = 0;

		if (c->pid == 0)
			continue;
		while ((r = waitpid(c->pid, &st, WNOHANG)) < 0 && errno == EINTR)
			;
		if (r == c->pid || (r < 0 && errno == ECHILD)) {
			/* ECHILD: reaped elsewhere (SIGCHLD ignored); status unknown. */
			finish_child(n, c, r == c->pid ? st : 0);
			continue;
		}
		if (kill_all || (c->term_ms != 0 && now - c->term_ms >= FW_NOTIFY_KILL_GRACE_MS)) {
			if (!c->killed) {
				(void)kill(-c->pid, SIGKILL);
				c->killed = true;
				if (c->term_ms == 0)
					c->term_ms = now;
			}
		} else if (c->term_ms == 0 && now - c->started_ms >= n->timeout_ms) {
			(void)kill(-c->pid, SIGTERM);
			c->term_ms = now;
		}
		left++;
	}
	return left;
}

/* Start programs for queued events while slots are free. */
static void
start_queued(struct fw_notify *n)
{
	for (int i = 0; i < n->max_running; i++) {
		bool got;

		if (n->kids[i].pid != 0)
			continue;
		pthread_mutex_lock(&n->lock);
		got = fw_notify_queue_pop(n->q, &n->ev);
		atomic_store(&n->queue_depth, fw_notify_queue_count(n->q));
		pthread_mutex_unlock(&n->lock);
		if (!got)
			return;
		start_child(n, &n->kids[i]);
	}
}

/* Shutdown deadline passed: kill what runs, drop what waits. */
static void
give_up(struct fw_notify *n)
{
	uint64_t before = atomic_load(&n->dropped_updates) + atomic_load(&n->dropped_start_end);

	(void)reap_and_police(n, true);
	for (int i = 0; i < n->max_running; i++) {
		struct child *c = &n->kids[i];
		int st = 0;

		if (c->pid == 0)
			continue;
		/* SIGKILLed above: this wait is short. */
		while (waitpid(c->pid, &st, 0) < 0 && errno == EINTR)
			;
		finish_child(n, c, st);
	}
	pthread_mutex_lock(&n->lock);
	while (fw_notify_queue_pop(n->q, &n->ev))
		count_drop(n, n->ev.event, n->ev.id, n->ev.seq, "shutdown (notify.shutdown_ms)");
	atomic_store(&n->queue_depth, 0);
	pthread_mutex_unlock(&n->lock);
	fw_log(FW_LOG_WARN, "notify", "stopped after notify.shutdown_ms = %lld ms: %llu event(s) not run",
	    (long long)n->shutdown_ms, (unsigned long long)(atomic_load(&n->dropped_updates) +
	    atomic_load(&n->dropped_start_end) - before));
}

static void *
notify_main(void *arg)
{
	struct fw_notify *n = arg;
	struct pollfd pfd[1 + 2 * 64];
	int64_t deadline = -1;
	sigset_t pipe_set;

	pthread_setname_np(pthread_self(), "fw-notify");
	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_set, NULL);

	for (;;) {
		int running, np = 0;
		size_t queued;

		if (atomic_load(&n->next_posted)) {
			pthread_mutex_lock(&n->lock);
			memcpy(n->exec, n->next_exec, sizeof(n->exec));
			n->timeout_ms = n->next_timeout_ms;
			n->shutdown_ms = n->next_shutdown_ms;
			atomic_store(&n->next_posted, 0);
			pthread_mutex_unlock(&n->lock);
		}
		(void)reap_and_police(n, false);
		start_queued(n);
		running = (int)atomic_load(&n->running);
		pthread_mutex_lock(&n->lock);
		queued = fw_notify_queue_count(n->q);
		pthread_mutex_unlock(&n->lock);
		if (atomic_load(&n->stopping)) {
			if (queued == 0 && running == 0)
				break;
			if (deadline < 0)
				deadline = fw_time_mono_ms() + n->shutdown_ms;
			if (fw_time_mono_ms() >= deadline) {
				give_up(n);
				break;
			}
		}
		pfd[np++] = (struct pollfd){ .fd = n->wake_fd, .events = POLLIN };
		for (int i = 0; i < n->max_running; i++) {
			struct child *c = &n->kids[i];

			if (c->pid == 0)
				continue;
			if (c->in_fd >= 0)
				pfd[np++] = (struct pollfd){ .fd = c->in_fd, .events = POLLOUT };
			if (c->out_fd >= 0)
				pfd[np++] = (struct pollfd){ .fd = c->out_fd, .events = POLLIN };
		}
		if (poll(pfd, (nfds_t)np, running > 0 || deadline >= 0 ? TICK_MS : -1) > 0 &&
		    (pfd[0].revents & POLLIN) != 0) {
			uint64_t v;

			(void)!read(n->wake_fd, &v, sizeof(v));
		}
		/* Cheap whatever polled ready: both are non-blocking. */
		for (int i = 0; i < n->max_running; i++) {
			if (n->kids[i].pid == 0)
				continue;
			write_input(&n->kids[i]);
			read_output(&n->kids[i]);
		}
	}
	return NULL;
}

void
fw_notify_reconfigure(struct fw_notify *n, const struct fw_config *cfg)
{
	uint64_t one = 1;

	if (cfg->notify_exec[0] == '\0')
		return;  /* turning the hook off needs a restart (cli/cmd_run.c says so) */
	pthread_mutex_lock(&n->lock);
	snprintf(n->next_exec, sizeof(n->next_exec), "%s", cfg->notify_exec);
	n->next_timeout_ms = cfg->notify_timeout_ms;
	n->next_shutdown_ms = cfg->notify_shutdown_ms;
	atomic_store(&n->next_posted, 1);
	pthread_mutex_unlock(&n->lock);
	if (n->wake_fd >= 0)
		(void)!write(n->wake_fd, &one, sizeof(one));
}

int
fw_notify_new(const struct fw_config *cfg, struct fw_notify **out, char *err, size_t errlen)
{
	struct fw_notify *n;
	int rc;

	if ((n = calloc(1, sizeof(*n))) == NULL)
		return FW_ENOMEM;
	n->wake_fd = -1;
	pthread_mutex_init(&n->lock, NULL);
	snprintf(n->exec, sizeof(n->exec), "%s", cfg->notify_exec);
	n->timeout_ms = cfg->notify_timeout_ms;
	n->shutdown_ms = cfg->notify_shutdown_ms;
	n->max_running = (int)cfg->notify_max_running;
	if (n->max_running < 1 || n->max_running > 64) {   /* config bounds: [1, 64] */
		rc = FW_EINVAL;
		snprintf(err, errlen, "notify.max_running: %d is out of range", n->max_running);
		goto fail;
	}
	if ((rc = fw_notify_queue_new((size_t)cfg->notify_queue, &n->q)) != FW_OK ||
	    (n->kids = calloc((size_t)n->max_running, sizeof(*n->kids))) == NULL) {
		rc = rc != FW_OK ? rc : FW_ENOMEM;
		snprintf(err, errlen, "notify: %s", fw_strerror(rc));
		goto fail;
	}
	for (int i = 0; i < n->max_running; i++)
		n->kids[i].in_fd = n->kids[i].out_fd = -1;
	if ((n->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) < 0) {
		rc = FW_EIO;
		snprintf(err, errlen, "notify: eventfd: %s", strerror(errno));
		goto fail;
	}
	*out = n;
	return FW_OK;
fail:
	fw_notify_free(n);
	return rc;
}

int
fw_notify_start(struct fw_notify *n)
{
	if (access(n->exec, X_OK) != 0) {
		fw_log_errno(FW_LOG_ERR, "notify", "notify.exec %s: cannot be run by uid %u", n->exec,
		    (unsigned)geteuid());
		return FW_EINVAL;
	}
	if (pthread_create(&n->thread, NULL, notify_main, n) != 0)
		return FW_EAGAIN;
	n->started = true;
	return FW_OK;
}

void
fw_notify_stop(struct fw_notify *n)
{
	uint64_t one = 1;

	if (n == NULL || !n->started)
		return;
	atomic_store(&n->stopping, 1);
	(void)!write(n->wake_fd, &one, sizeof(one));
	pthread_join(n->thread, NULL);
	n->started = false;
}

void
fw_notify_get_stats(struct fw_notify *n, struct fw_notify_stats *st)
{
	st->events = atomic_load(&n->events);
	st->runs = atomic_load(&n->runs);
	st->ok = atomic_load(&n->ok);
	st->failed = atomic_load(&n->failed);
	st->timeouts = atomic_load(&n->timeouts);
	st->dropped_updates = atomic_load(&n->dropped_updates);
	st->dropped_start_end = atomic_load(&n->dropped_start_end);
	st->queue_depth = atomic_load(&n->queue_depth);
	st->running = atomic_load(&n->running);
}

size_t
fw_notify_memory_bytes(const struct fw_notify *n)
{
	return n->q->cap * (sizeof(struct fw_alert_ev) + 2 * sizeof(uint32_t)) +
	    (size_t)n->max_running * sizeof(struct child);
}

void
fw_notify_free(struct fw_notify *n)
{
	if (n == NULL)
		return;
	fw_notify_stop(n);
	fw_notify_queue_free(n->q);
	free(n->kids);
	if (n->wake_fd >= 0)
		close(n->wake_fd);
	pthread_mutex_destroy(&n->lock);
	free(n);
}
