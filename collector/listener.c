/*
 * listener.c - UDP receive thread (fw_listener.h).
 *
 * recvmmsg() fills a batch of datagrams per syscall into buffers made once
 * per listener; msg_len/iov_len are reset after every batch.  SO_RCVTIMEO
 * (100 ms) wakes the thread to check its stop flag.  Kernel drops are the
 * socket's SO_MEMINFO drop count, read every DROPS_READ_MS: no control
 * message per datagram.  Arrival time is read once per batch, except on
 * listeners whose records carry no time of their own (sFlow, DNS): there
 * the kernel stamps each datagram (SO_TIMESTAMPNS), so a backlog after a
 * stall keeps its arrival times instead of landing in one window.  Decoded
 * records go to the ring with push_or_drop: the socket thread never waits.
 * Its counters are published once per batch (fw_counters.h); the decoder,
 * which other threads read between batches, is behind dec_lock, taken
 * once per batch.
 */
#include "fw_listener.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <linux/sock_diag.h>
#include <unistd.h>

#include "fw_counters.h"
#include "fw_endpoint.h"
#include "fw_log.h"
#include "fw_pkt.h"
#include "fw_prefix.h"
#include "fw_time.h"
#include "fw_thread.h"
#include "fw_tmpl.h"

#define DGRAM_MAX 65536
#define CTRL_LEN 64
#define GATHER_NS 4000000  /* after a short batch: 4 ms */
#define DROPS_READ_MS 100

/* The listener's own counters (the decoder keeps its own). */
struct rx_counters {
	uint64_t datagrams;        /* received */
	uint64_t kernel_drops;     /* SO_MEMINFO: the kernel's running total */
	uint64_t pushed;           /* records pushed to the flow ring */
	uint64_t dropped;          /* records dropped: ring full */
	uint64_t not_allowed;      /* datagrams from outside listen.allow */
};
FW_COUNTERS_ASSERT(struct rx_counters);

struct fw_listener {
	char name[96];
	int fd;
	int port;
	int batch;
	bool kstamp;               /* kernel arrival stamps (SO_TIMESTAMPNS) */
	int64_t next_drops_ms;
	struct fw_thread thread;
	struct fw_ring *flows, *dns;
	struct fw_decoder *dec;
	/* recvmmsg state, made once */
	struct mmsghdr *msgs;
	struct iovec *iov;
	struct sockaddr_storage *from;
	uint8_t *bufs;
	uint8_t *ctrl;
	struct fw_flow *out;
	struct fw_dnsq *dnsout;
	struct fw_prefix_list allow;  /* empty: every exporter */
	char state_path[2 * FW_CFG_STR_MAX + 64];  /* where this listener saves its templates; "" = off */
	int64_t next_save_ms;
	struct rx_counters work;    /* counted by the thread */
	_Atomic uint64_t pub[FW_COUNTERS_N(struct rx_counters)];  /* work, published per batch */
	/* Guards the decoder, which other threads read between batches
	 * (fw_listener_with_decoder: exporters, template cache; its stats). */
	pthread_mutex_t dec_lock;
};

static void load_templates(struct fw_listener *l, const char *prefix, const char *label,
    const char *addr, int worker);

static void
from_sockaddr(const struct sockaddr_storage *ss, struct fw_addr *a)
{
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;
		fw_addr_from_v4(a, (const uint8_t *)&s4->sin_addr);
	} else {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;
		memcpy(a->b, &s6->sin6_addr, 16);
	}
}

int
fw_listener_open(const char *addr, const char *label, int worker, const struct fw_config *cfg,
    struct fw_listener **out, char *err, size_t errlen)
{
	struct fw_listener *l;
	struct sockaddr_storage ss;
	socklen_t sl = 0;
	int one = 1, zero = 0, rc = FW_EIO;
	int rcvbuf = (int)cfg->listen_rcvbuf_bytes;
	struct timeval tv = { 0, 100000 };
	char msg[200];

	if ((l = calloc(1, sizeof(*l))) == NULL)
		return FW_ENOMEM;
	l->fd = -1;
	pthread_mutex_init(&l->dec_lock, NULL);
	if (fw_prefix_list_parse(cfg->listen_allow, &l->allow, err, errlen) != FW_OK) {
		rc = FW_EINVAL;
		goto fail;
	}
	if (fw_endpoint_parse(addr, &ss, &sl, msg, sizeof(msg)) != FW_OK) {
		snprintf(err, errlen, "listen.%s: %s", label, msg);
		rc = FW_EINVAL;
		goto fail;
	}
	if ((l->fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0) {
		snprintf(err, errlen, "listen.%s %s: socket: %s", label, addr, strerror(errno));
		goto fail;
	}
	if (ss.ss_family == AF_INET6)
		(void)setsockopt(l->fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	(void)setsockopt(l->fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
	/* FORCE lifts rmem_max for root; fall back to the capped request. */
	if (setsockopt(l->fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) != 0)
		(void)setsockopt(l->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	/* NetFlow and IPFIX records carry their own times: the arrival is
	 * only for template ages, and the batch's clock read is enough.  The
	 * stamps (a control message per datagram) cost 10 % of the thread's
	 * kernel time at 100 k datagrams/s. */
	l->kstamp = strcmp(label, "netflow") != 0 && strcmp(label, "ipfix") != 0;
	if (l->kstamp)
		(void)setsockopt(l->fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one));
	(void)setsockopt(l->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (bind(l->fd, (struct sockaddr *)&ss, sl) != 0) {
		snprintf(err, errlen, "listen.%s %s: bind: %s", label, addr, strerror(errno));
		goto fail;
	}
	sl = sizeof(ss);
	if (getsockname(l->fd, (struct sockaddr *)&ss, &sl) == 0)
		l->port = ntohs(ss.ss_family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
		    : ((struct sockaddr_in6 *)&ss)->sin6_port);
	snprintf(l->name, sizeof(l->name), "%s %s (port %d)", label, addr, l->port);
	l->batch = (int)cfg->listen_batch;
	l->msgs = calloc((size_t)l->batch, sizeof(*l->msgs));
	l->iov = calloc((size_t)l->batch, sizeof(*l->iov));
	l->from = calloc((size_t)l->batch, sizeof(*l->from));
	l->bufs = malloc((size_t)l->batch * DGRAM_MAX);
	l->ctrl = calloc((size_t)l->batch, CTRL_LEN);
	l->out = calloc(FW_DECODE_MAX_FLOWS, sizeof(*l->out));
	l->dnsout = calloc(64, sizeof(*l->dnsout));
	if (!l->msgs || !l->iov || !l->from || !l->bufs || !l->ctrl || !l->out || !l->dnsout) {
		rc = FW_ENOMEM;
		snprintf(err, errlen, "listen.%s: out of memory", label);
		goto fail;
	}
	if ((rc = fw_decoder_new(cfg, &l->dec)) != FW_OK) {
		snprintf(err, errlen, "listen.%s: decoder: %s", label, fw_strerror(rc));
		goto fail;
	}
	if (cfg->flow_template_state[0] != '\0')
		load_templates(l, cfg->flow_template_state, label, addr, worker);
	*out = l;
	return FW_OK;
fail:
	fw_listener_free(l);
	return rc;
}

/*
 * Templates survive restarts: each listener socket saves its own cache to
 * PREFIX.LABEL.ADDRESS.wWORKER (the configured address, '[' ']' dropped and
 * other characters outside [A-Za-z0-9.-] made '_') and, at start, restores
 * that file only: the templates of another port or protocol, or a flood
 * another socket received, never reach it.  With listen.workers > 1 the
 * kernel's SO_REUSEPORT hash keeps an exporter on the same socket across a
 * restart of the daemon (same sockets, same order); after a reboot it may
 * not, and such an exporter waits for its next template refresh.
 */
static void
load_templates(struct fw_listener *l, const char *prefix, const char *label, const char *addr,
    int worker)
{
	char a[FW_CFG_STR_MAX];
	size_t n = 0;
	int rc;

	for (const char *p = addr; *p != '\0' && n + 1 < sizeof(a); p++) {
		if (*p == '[' || *p == ']')
			continue;
		a[n++] = (isalnum((unsigned char)*p) || *p == '.' || *p == '-') ? *p : '_';
	}
	a[n] = '\0';
	if (snprintf(l->state_path, sizeof(l->state_path), "%s.%s.%s.w%d", prefix, label, a, worker) >=
	    (int)sizeof(l->state_path)) {
		fw_log(FW_LOG_WARN, "listener", "%s: flow.template_state path too long: templates not kept", label);
		l->state_path[0] = '\0';
		return;
	}
	rc = fw_tmpl_cache_load(fw_decoder_templates(l->dec), l->state_path, fw_time_now_ms());
	if (rc == FW_OK)
		fw_log(FW_LOG_INFO, "listener", "%s: %zu template(s) restored from %s", label,
		    fw_tmpl_cache_count(fw_decoder_templates(l->dec)), l->state_path);
	else if (rc != FW_ENOENT)
		fw_log(FW_LOG_WARN, "listener", "%s: saved templates not loaded: %s", l->state_path,
		    fw_strerror(rc));
}

static void
save_templates(struct fw_listener *l)
{
	int rc;

	if (l->state_path[0] == '\0' || fw_tmpl_cache_count(fw_decoder_templates(l->dec)) == 0)
		return;
	if ((rc = fw_tmpl_cache_save(fw_decoder_templates(l->dec), l->state_path)) != FW_OK)
		FW_LOG_RL(FW_LOG_WARN, "listener", "%s: cannot save templates: %s", l->state_path, fw_strerror(rc));
}

static void
reset_msgs(struct fw_listener *l)
{
	for (int i = 0; i < l->batch; i++) {
		l->iov[i].iov_base = l->bufs + (size_t)i * DGRAM_MAX;
		l->iov[i].iov_len = DGRAM_MAX;
		l->msgs[i].msg_hdr.msg_iov = &l->iov[i];
		l->msgs[i].msg_hdr.msg_iovlen = 1;
		l->msgs[i].msg_hdr.msg_name = &l->from[i];
		l->msgs[i].msg_hdr.msg_namelen = sizeof(l->from[i]);
		l->msgs[i].msg_hdr.msg_control = l->kstamp ? l->ctrl + (size_t)i * CTRL_LEN : NULL;
		l->msgs[i].msg_hdr.msg_controllen = l->kstamp ? CTRL_LEN : 0;
		l->msgs[i].msg_len = 0;
	}
}

/* The kernel's arrival stamp of a datagram, else fallback_ms. */
static int64_t
arrival_stamp(struct msghdr *mh, int64_t fallback_ms)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c != NULL; c = CMSG_NXTHDR(mh, c)) {
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
			struct timespec ts;

			memcpy(&ts, CMSG_DATA(c), sizeof(ts));
			return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
		}
	}
	return fallback_ms;
}

/* The socket's drop count: a running total kept by the kernel. */
static void
read_kernel_drops(struct fw_listener *l)
{
	uint32_t mi[SK_MEMINFO_VARS];
	socklen_t len = sizeof(mi);

	if (getsockopt(l->fd, SOL_SOCKET, SO_MEMINFO, mi, &len) == 0 && len > SK_MEMINFO_DROPS * sizeof(mi[0]))
		l->work.kernel_drops = mi[SK_MEMINFO_DROPS];
}

static void *
listener_main(void *arg)
{
	struct fw_listener *l = arg;
	char tname[16];

	/* Named threads: top -H and the e2e bench tell the stages apart. */
	snprintf(tname, sizeof(tname), "fw-rx-%.*s", (int)strcspn(l->name, " "), l->name);
	pthread_setname_np(pthread_self(), tname);

	while (!fw_thread_stopping(&l->thread)) {
		int n;
		int64_t now;

		reset_msgs(l);
		n = recvmmsg(l->fd, l->msgs, (unsigned)l->batch, MSG_WAITFORONE, NULL);
		if (n <= 0) {
			if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				FW_LOG_RL(FW_LOG_WARN, "listener", "%s: recvmmsg: %s", l->name, strerror(errno));
			/* Idle (SO_RCVTIMEO): the drops of the last burst, final. */
			read_kernel_drops(l);
			fw_counters_publish(l->pub, &l->work, FW_COUNTERS_N(l->work));
			continue;
		}
		now = fw_time_now_ms();  /* one clock read per batch */
		if (now >= l->next_drops_ms) {
			read_kernel_drops(l);
			l->next_drops_ms = now + DROPS_READ_MS;
		}
		if (now >= l->next_save_ms) {
			/* A crash loses at most a minute of template changes. */
			pthread_mutex_lock(&l->dec_lock);
			save_templates(l);
			pthread_mutex_unlock(&l->dec_lock);
			l->next_save_ms = now + 60000;
		}
		l->work.datagrams += (uint64_t)n;
		pthread_mutex_lock(&l->dec_lock);
		for (int i = 0; i < n; i++) {
			struct fw_udp u;
			size_t nf = 0, nd = 0, pushed;
			void *slots;

			int64_t at;

			memset(&u, 0, sizeof(u));
			from_sockaddr(&l->from[i], &u.src);
			u.payload = l->bufs + (size_t)i * DGRAM_MAX;
			u.len = l->msgs[i].msg_len;
			at = l->kstamp ? arrival_stamp(&l->msgs[i].msg_hdr, now) : now;
			if (l->allow.n > 0 && fw_prefix_list_match(&l->allow, &u.src) < 0) {
				char src[64];
				l->work.not_allowed++;
				fw_addr_format(&u.src, src, sizeof(src));
				FW_LOG_RL(FW_LOG_WARN, "listener", "%s: datagram from %s dropped: not in listen.allow",
				    l->name, src);
				continue;
			}
			/* Decode straight into the ring when it has room for a whole
			 * datagram's records in one span (no copy); else into
			 * l->out, pushed with what fits. */
			if (l->flows == NULL ||
			    fw_ring_sp_reserve(l->flows, &slots, FW_DECODE_MAX_FLOWS) < FW_DECODE_MAX_FLOWS)
				slots = l->out;
			(void)fw_decoder_udp(l->dec, &u, at, slots, FW_DECODE_MAX_FLOWS, &nf,
			    l->dnsout, 64, &nd);
			if (nf > 0 && slots != l->out) {
				fw_ring_sp_commit(l->flows, nf);
				l->work.pushed += nf;
			} else if (nf > 0) {
				pushed = fw_ring_sp_push_or_drop(l->flows, l->out, nf);
				l->work.pushed += pushed;
				l->work.dropped += nf - pushed;
			}
			if (nd > 0 && l->dns != NULL) {
				pushed = fw_ring_sp_push_or_drop(l->dns, l->dnsout, nd);
				l->work.dropped += nd - pushed;
			}
		}
		pthread_mutex_unlock(&l->dec_lock);
		fw_counters_publish(l->pub, &l->work, FW_COUNTERS_N(l->work));
		/* A short batch: the socket is nearly empty.  Let datagrams gather
		 * for GATHER_NS (the socket buffer holds far more) instead of one
		 * syscall and one wake-up per datagram at moderate rates; 4 ms
		 * is some 80 datagrams per wake-up at 20 k/s, nothing next to a
		 * detector window. */
		if (n < l->batch / 2) {
			struct timespec ts = { 0, GATHER_NS };

			(void)nanosleep(&ts, NULL);
		}
	}
	return NULL;
}

int
fw_listener_start(struct fw_listener *l, struct fw_ring *flows, struct fw_ring *dns)
{
	l->flows = flows;
	l->dns = dns;
	return fw_thread_start(&l->thread, listener_main, l);
}

void
fw_listener_stop(struct fw_listener *l)
{
	if (l == NULL || !l->thread.started)
		return;
	fw_thread_stop(&l->thread, NULL, NULL);
	save_templates(l);
}

void
fw_listener_free(struct fw_listener *l)
{
	if (l == NULL)
		return;
	fw_listener_stop(l);
	if (l->fd >= 0)
		close(l->fd);
	fw_decoder_free(l->dec);
	free(l->msgs);
	free(l->iov);
	free(l->from);
	free(l->bufs);
	free(l->ctrl);
	free(l->out);
	free(l->dnsout);
	pthread_mutex_destroy(&l->dec_lock);
	free(l);
}

int
fw_listener_port(const struct fw_listener *l)
{
	return l->port;
}

const char *
fw_listener_name(const struct fw_listener *l)
{
	return l->name;
}

void
fw_listener_get_stats(struct fw_listener *l, struct fw_listener_stats *st)
{
	struct rx_counters c;

	memset(st, 0, sizeof(*st));
	fw_counters_read(l->pub, &c, FW_COUNTERS_N(c));
	st->datagrams = c.datagrams;
	st->kernel_drops = c.kernel_drops;
	st->flows = c.pushed;
	st->ring_drops = c.dropped;
	st->not_allowed = c.not_allowed;
	pthread_mutex_lock(&l->dec_lock);
	if (l->dec != NULL)
		st->dec = *fw_decoder_stats(l->dec);
	pthread_mutex_unlock(&l->dec_lock);
}

void
fw_listener_with_decoder(struct fw_listener *l, void (*fn)(void *ctx, struct fw_decoder *dec), void *ctx)
{
	pthread_mutex_lock(&l->dec_lock);
	fn(ctx, l->dec);
	pthread_mutex_unlock(&l->dec_lock);
}
