/*
 * nflog.c - NFLOG group -> DNS records (fw_nflog.h).
 *
 * One thread reads the netlink socket (SO_RCVTIMEO 100 ms so it sees its
 * stop flag) and hands each buffer to libnetfilter_log, whose callback
 * parses the IP packet and the DNS message in place; fragments go through
 * the thread's fw_ipfrag table, TCP to or from port 53 through its
 * fw_dnstcp table (both made at open, from dns.reassembly_* / dns.tcp_*).  Records are batched
 * and pushed with push_or_drop: the kernel side never waits on us.
 */
#include "fw_nflog.h"

#include <errno.h>
#include <libnetfilter_log/libnetfilter_log.h>
#include <linux/netfilter/nfnetlink_log.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/types.h>
#include <unistd.h>

#include "fw_dnswire.h"
#include "fw_log.h"
#include "fw_counters.h"
#include "fw_pkt.h"
#include "fw_thread.h"
#include "fw_time.h"

#define BATCH 128
#define RECV_BUF (1 << 20)

struct fw_nflog {
	int group;
	struct nflog_handle *h;
	struct nflog_g_handle *gh;
	int fd;
	struct fw_ring *ring;
	struct fw_thread thread;
	struct fw_dnsq batch[BATCH];
	size_t nbatch;
	struct fw_dnswire_info info;
	struct fw_ipfrag *frag;        /* NULL: dns.reassembly_slots = 0 */
	struct fw_dnstcp *tcp;         /* NULL: dns.tcp_flows = 0 */
	int64_t at_ms;                 /* time of the packet being read */
	char *buf;
	struct fw_nflog_stats work;    /* counted by the thread */
	_Atomic uint64_t pub[FW_COUNTERS_N(struct fw_nflog_stats)];  /* published per recv */
};

FW_COUNTERS_ASSERT(struct fw_nflog_stats);

static void
flush(struct fw_nflog *n)
{
	size_t done = fw_ring_sp_push_or_drop(n->ring, n->batch, n->nbatch);

	n->work.records += done;
	n->work.ring_drops += n->nbatch - done;
	n->nbatch = 0;
}

/* One DNS message (a UDP payload or a message from a TCP stream). */
static void
dns_message(struct fw_nflog *n, const struct fw_udp *u, uint8_t flags)
{
	int rc = fw_dnswire_parse(u->payload, u->len, &n->info);

	if (rc != FW_OK && (n->info.have & FW_DNSWIRE_HAVE_QUESTION))
		rc = FW_OK;  /* cut after the question: still a query we can count */
	if (rc != FW_OK) {
		n->work.malformed++;
		FW_LOG_RL(FW_LOG_WARN, "nflog", "group %d: packet skipped: %s", n->group, fw_strerror(rc));
		return;
	}
	if (fw_dnswire_to_dnsq(&n->info, n->at_ms, &u->src, &u->dst, FW_DNS_NFLOG, flags,
	    &n->batch[n->nbatch]) != FW_OK) {
		n->work.not_dns++;
		return;
	}
	if (++n->nbatch == BATCH)
		flush(n);
}

static void
on_tcp_msg(void *ctx, const struct fw_udp *msg)
{
	dns_message(ctx, msg, FW_DNSQ_F_TCP);
}

static int
on_packet(struct nflog_g_handle *gh, struct nfgenmsg *msg, struct nflog_data *nfd, void *data)
{
	struct fw_nflog *n = data;
	struct fw_pkt_l3 ip;
	struct fw_udp u;
	struct timeval tv;
	char *payload;
	int len = nflog_get_payload(nfd, &payload), rc;

	(void)gh;
	(void)msg;
	n->work.packets++;
	if (len <= 0) {
		n->work.malformed++;
		return 0;
	}
	n->at_ms = nflog_get_timestamp(nfd, &tv) == 0 ? (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000 :
	    fw_time_now_ms();
	rc = fw_pkt_l3(FW_LINK_RAW, (const uint8_t *)payload, (size_t)len, &ip);
	if (rc == FW_OK && ip.frag && n->frag != NULL) {
		n->work.fragments++;
		if (fw_ipfrag_add(n->frag, &ip, n->at_ms) <= 0)
			return 0;  /* held, or dropped and counted by reason */
	}
	if (rc == FW_OK && ip.proto == 6 && ip.l4_err == FW_OK && n->tcp != NULL) {
		rc = fw_dnstcp_add(n->tcp, &ip, n->at_ms, on_tcp_msg, n);
		if (rc == FW_EUNSUPPORTED)
			n->work.not_dns++;
		else if (rc < 0)
			n->work.malformed++;
		else
			n->work.tcp++;
		return 0;
	}
	rc = fw_pkt_udp_of(&ip, rc, &u);
	if (rc == FW_EUNSUPPORTED || (rc == FW_OK && u.sport != 53 && u.dport != 53)) {
		n->work.not_dns++;
		return 0;
	}
	if (rc != FW_OK) {
		n->work.malformed++;
		FW_LOG_RL(FW_LOG_WARN, "nflog", "group %d: packet skipped: %s", n->group, fw_strerror(rc));
		return 0;
	}
	dns_message(n, &u, 0);
	return 0;
}

int
fw_nflog_open(int group, const struct fw_config *cfg, struct fw_nflog **out, char *err, size_t errlen)
{
	struct fw_nflog *n;
	struct timeval tv = { 0, 100000 };
	int bufsize = 8 << 20;

	if ((n = calloc(1, sizeof(*n))) == NULL || (n->buf = malloc(RECV_BUF)) == NULL) {
		free(n);
		return FW_ENOMEM;
	}
	if ((cfg->dns_reassembly_slots > 0 && fw_ipfrag_new((size_t)cfg->dns_reassembly_slots,
	    cfg->dns_reassembly_timeout_ms, &n->frag) != FW_OK) ||
	    (cfg->dns_tcp_flows > 0 && fw_dnstcp_new((size_t)cfg->dns_tcp_flows, cfg->dns_tcp_idle_timeout_ms,
	    &n->tcp) != FW_OK)) {
		snprintf(err, errlen, "dns.nflog_group %d: no memory for reassembly tables", group);
		n->fd = -1;
		goto fail;
	}
	n->group = group;
	n->fd = -1;
	if ((n->h = nflog_open()) == NULL) {
		snprintf(err, errlen, "dns.nflog_group %d: cannot open netlink: %s", group, strerror(errno));
		goto fail;
	}
	/* Older kernels want the address families bound; newer ones ignore it. */
	(void)nflog_bind_pf(n->h, AF_INET);
	(void)nflog_bind_pf(n->h, AF_INET6);
	if ((n->gh = nflog_bind_group(n->h, (uint16_t)group)) == NULL) {
		snprintf(err, errlen, "dns.nflog_group %d: cannot bind the NFLOG group: %s%s", group,
		    strerror(errno), errno == EPERM ? " (needs root or CAP_NET_ADMIN)" :
		    errno == EBUSY ? " (another program has bound it)" : "");
		goto fail;
	}
	if (nflog_set_mode(n->gh, NFULNL_COPY_PACKET, 0xffff) < 0) {
		snprintf(err, errlen, "dns.nflog_group %d: cannot set copy-packet mode: %s", group, strerror(errno));
		goto fail;
	}
	/* Deliver promptly: small batches, 10 ms timeout (units of 1/100 s). */
	(void)nflog_set_qthresh(n->gh, 64);
	(void)nflog_set_timeout(n->gh, 1);
	(void)nflog_set_nlbufsiz(n->gh, 256 * 1024);
	nflog_callback_register(n->gh, on_packet, n);
	n->fd = nflog_fd(n->h);
	if (setsockopt(n->fd, SOL_SOCKET, SO_RCVBUFFORCE, &bufsize, sizeof(bufsize)) != 0)
		(void)setsockopt(n->fd, SOL_SOCKET, SO_RCVBUF, &bufsize, sizeof(bufsize));
	(void)setsockopt(n->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	*out = n;
	return FW_OK;
fail:
	fw_nflog_free(n);
	return FW_EIO;
}

static void *
nflog_main(void *arg)
{
	struct fw_nflog *n = arg;

	pthread_setname_np(pthread_self(), "fw-nflog");
	while (!fw_thread_stopping(&n->thread)) {
		ssize_t r = recv(n->fd, n->buf, RECV_BUF, 0);

		if (r < 0) {
			if (errno == ENOBUFS)
				n->work.kernel_drops++;
			else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				FW_LOG_RL(FW_LOG_WARN, "nflog", "group %d: recv: %s", n->group, strerror(errno));
		} else if (r > 0) {
			nflog_handle_packet(n->h, n->buf, (int)r);
		}
		if (n->nbatch > 0)
			flush(n);
		if (n->frag != NULL)
			n->work.frag = *fw_ipfrag_stats(n->frag);
		if (n->tcp != NULL)
			n->work.dnstcp = *fw_dnstcp_stats(n->tcp);
		fw_counters_publish(n->pub, &n->work, FW_COUNTERS_N(n->work));
	}
	return NULL;
}

int
fw_nflog_start(struct fw_nflog *n, struct fw_ring *dns)
{
	n->ring = dns;
	return fw_thread_start(&n->thread, nflog_main, n);
}

void
fw_nflog_stop(struct fw_nflog *n)
{
	if (n != NULL)
		fw_thread_stop(&n->thread, NULL, NULL);
}

void
fw_nflog_free(struct fw_nflog *n)
{
	if (n == NULL)
		return;
	fw_nflog_stop(n);
	if (n->gh != NULL)
		nflog_unbind_group(n->gh);
	if (n->h != NULL)
		nflog_close(n->h);
	fw_ipfrag_free(n->frag);
	fw_dnstcp_free(n->tcp);
	free(n->buf);
	free(n);
}

size_t
fw_nflog_memory_bytes(const struct fw_nflog *n)
{
	if (n == NULL)
		return 0;
	return sizeof(*n) + RECV_BUF + (n->frag != NULL ? fw_ipfrag_bytes(n->frag) : 0) +
	    (n->tcp != NULL ? fw_dnstcp_bytes(n->tcp) : 0);
}

void
fw_nflog_get_stats(struct fw_nflog *n, struct fw_nflog_stats *st)
{
	fw_counters_read(n->pub, st, FW_COUNTERS_N(*st));
}
