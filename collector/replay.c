/*
 * replay.c - capture files into the pipeline (fw_replay.h).
 *
 * libpcap reads both pcap and pcapng; we ask for microsecond timestamps so
 * nanosecond files come out in the same unit.  Frames are dissected once
 * (fw_pkt_l3), fragments reassembled (fw_ipfrag), DNS over TCP read out of
 * its segments (fw_dnstcp), UDP datagrams decoded by content; in time
 * order across the files given together (a merge by frame timestamp),
 * pushed in bursts; a full ring makes us wait, never drop.
 */
#include "fw_replay.h"

#include <errno.h>
#include <stdbool.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "fw_log.h"
#include "fw_pkt.h"

#define FLOW_BATCH 1024
#define DNS_BATCH 256
/* A batch holding both kinds is pushed once it spans this much capture
 * time: flows and DNS reach the detector at most this far out of order.
 * A batch fills by count, which in sparse traffic (tens of records a
 * second) took many seconds, and its DNS records, pushed after its flows,
 * came late by that much: a water torture mixed with sFlow read as a burst
 * in one window (a dns_flood). */
#define MIXED_SPAN_MS 50

struct batch {
	struct fw_flow flows[FLOW_BATCH];
	size_t nflows;
	struct fw_dnsq dns[DNS_BATCH];
	size_t ndns;
	int64_t flows_t0, dns_t0;  /* capture time of the first pending record of each */
};

/*
 * The detector drains the flow ring and the DNS ring in turn, so how their
 * records interleave would depend on thread timing.  Replay must give the
 * same alerts every run: before switching to the other ring we wait until
 * the detector has taken everything from this one.
 */
void
fw_replay_wait_drained(struct fw_ring *r)
{
	while (r != NULL && fw_ring_count(r) > 0) {
		struct timespec ts = { 0, 100000 };
		nanosleep(&ts, NULL);
	}
}

/* What the DNS-over-TCP callback needs to push a record. */
struct tcp_out {
	struct fw_decoder *dec;
	struct fw_ipfrag *frag;
	struct fw_dnstcp *tcp;
	struct batch *b;
	struct fw_ring *flows, *dns;
	struct fw_replay_stats *st;
	int64_t ts_ms;
};

static void flush(struct batch *b, struct fw_ring *flows, struct fw_ring *dns, struct fw_replay_stats *st);

static void
on_tcp_msg(void *ctx, const struct fw_udp *msg)
{
	struct tcp_out *o = ctx;
	struct batch *b = o->b;

	if (b->ndns == DNS_BATCH)
		flush(b, o->flows, o->dns, o->st);
	if (b->ndns == 0)
		b->dns_t0 = o->ts_ms;
	b->ndns += fw_decoder_dns(o->dec, msg, o->ts_ms, FW_DNSQ_F_TCP, b->dns + b->ndns, DNS_BATCH - b->ndns);
}

static void
push_flows(struct batch *b, struct fw_ring *flows, struct fw_ring *dns, struct fw_replay_stats *st)
{
	if (b->nflows > 0) {
		fw_replay_wait_drained(dns);
		fw_ring_sp_push_wait(flows, b->flows, b->nflows);
		st->flows += b->nflows;
		b->nflows = 0;
	}
}

static void
push_dns(struct batch *b, struct fw_ring *flows, struct fw_ring *dns, struct fw_replay_stats *st)
{
	if (b->ndns > 0 && dns != NULL) {
		fw_replay_wait_drained(flows);
		fw_ring_sp_push_wait(dns, b->dns, b->ndns);
		st->dnsq += b->ndns;
	}
	b->ndns = 0;
}

/* Push what the batch holds, the kind that began earlier first. */
static void
flush(struct batch *b, struct fw_ring *flows, struct fw_ring *dns, struct fw_replay_stats *st)
{
	if (b->ndns > 0 && b->nflows > 0 && b->dns_t0 < b->flows_t0) {
		push_dns(b, flows, dns, st);
		push_flows(b, flows, dns, st);
	} else {
		push_flows(b, flows, dns, st);
		push_dns(b, flows, dns, st);
	}
}

/*
 * One dissected frame before UDP: fragments to frag, TCP to or from port
 * 53 to tcp.  Returns 1 when *ip (possibly a reassembled datagram) goes on
 * to the UDP path, 0 when it was taken here (held, dropped or read).
 */
static int
before_udp(const char *path, struct fw_ipfrag *frag, struct fw_dnstcp *tcp, struct fw_pkt_l3 *ip,
    struct tcp_out *o)
{
	struct fw_replay_stats *st = o->st;
	int rc;

	if (ip->frag && frag != NULL) {
		st->fragments++;
		if (fw_ipfrag_add(frag, ip, o->ts_ms) <= 0)
			return 0;  /* held, or dropped and counted by reason */
	}
	if (ip->proto != 6 || ip->l4_err != FW_OK || tcp == NULL)
		return 1;
	rc = fw_dnstcp_add(tcp, ip, o->ts_ms, on_tcp_msg, o);
	if (rc == FW_EUNSUPPORTED) {
		st->not_udp++;
	} else if (rc < 0) {
		st->frame_errors++;
		FW_LOG_RL(FW_LOG_WARN, "replay", "%s: frame %llu skipped: TCP header %s", path,
		    (unsigned long long)st->frames, fw_strerror(rc));
	} else {
		st->tcp_dns++;
	}
	return 0;
}

/* One frame of a capture taken at ts_ms. */
static void
replay_frame(struct tcp_out *o, const char *path, int linktype, const struct pcap_pkthdr *h,
    const u_char *data)
{
	struct fw_replay_stats *st = o->st;
	struct batch *b = o->b;
	struct fw_pkt_l3 ip;
	struct fw_udp u;
	size_t nf = 0, nd = 0;
	int prc;

	st->frames++;
	o->ts_ms = (int64_t)h->ts.tv_sec * 1000 + h->ts.tv_usec / 1000;
	prc = fw_pkt_l3(linktype, data, h->caplen, &ip);
	if (prc == FW_OK && before_udp(path, o->frag, o->tcp, &ip, o) == 0)
		return;
	prc = fw_pkt_udp_of(&ip, prc, &u);
	if (prc == FW_EUNSUPPORTED) {
		st->not_udp++;
		return;
	}
	if (prc != FW_OK) {
		st->frame_errors++;
		FW_LOG_RL(FW_LOG_WARN, "replay", "%s: frame %llu skipped: %s", path,
		    (unsigned long long)st->frames, fw_strerror(prc));
		return;
	}
	st->udp++;
	if (FLOW_BATCH - b->nflows < FW_DECODE_MAX_FLOWS || b->ndns == DNS_BATCH ||
	    (b->nflows > 0 && b->ndns > 0 && o->ts_ms - (b->flows_t0 < b->dns_t0 ? b->flows_t0 : b->dns_t0) > MIXED_SPAN_MS))
		flush(b, o->flows, o->dns, st);
	(void)fw_decoder_udp(o->dec, &u, o->ts_ms, b->flows + b->nflows, FLOW_BATCH - b->nflows, &nf,
	    b->dns + b->ndns, DNS_BATCH - b->ndns, &nd);
	if (nf > 0 && b->nflows == 0)
		b->flows_t0 = o->ts_ms;
	if (nd > 0 && b->ndns == 0)
		b->dns_t0 = o->ts_ms;
	b->nflows += nf;
	b->ndns += nd;
}

/* An open capture and its next frame. */
struct src {
	const char *path;
	pcap_t *pc;
	int linktype;
	struct pcap_pkthdr *h;     /* the next frame (libpcap's buffer: valid until the next read) */
	const u_char *data;
};

/* Read src's next frame; false (and closed) at its end. */
static bool
src_next(struct src *c, struct fw_replay_stats *st)
{
	int rc = pcap_next_ex(c->pc, &c->h, &c->data);

	if (rc == 1)
		return true;
	if (rc == PCAP_ERROR) {
		st->truncated_files++;
		fw_log(FW_LOG_WARN, "replay", "%s: stopped after frame %llu: %s", c->path,
		    (unsigned long long)st->frames, pcap_geterr(c->pc));
	}
	pcap_close(c->pc);
	c->pc = NULL;
	return false;
}

static bool
ts_before(const struct pcap_pkthdr *a, const struct pcap_pkthdr *b)
{
	return a->ts.tv_sec < b->ts.tv_sec || (a->ts.tv_sec == b->ts.tv_sec && a->ts.tv_usec < b->ts.tv_usec);
}

int
fw_replay_files(const char *const *paths, int n, struct fw_decoder *dec, struct fw_ipfrag *frag,
    struct fw_dnstcp *tcp, struct fw_ring *flows, struct fw_ring *dns, struct fw_replay_stats *st,
    char *err, size_t errlen)
{
	struct tcp_out o;
	struct src *srcs = NULL;
	struct batch *b = NULL;  /* 160 KB, kept off the stack */
	int rc = FW_OK, open = 0;

	if (n <= 0)
		return FW_OK;
	if ((srcs = calloc((size_t)n, sizeof(*srcs))) == NULL || (b = calloc(1, sizeof(*b))) == NULL) {
		snprintf(err, errlen, "%s: out of memory", paths[0]);
		rc = FW_ENOMEM;
		goto out;
	}
	for (int i = 0; i < n; i++) {
		char errbuf[PCAP_ERRBUF_SIZE];
		struct src *c = &srcs[i];
		struct stat sb;

		c->path = paths[i];
		if (stat(c->path, &sb) != 0) {
			/* The others are still read; the last such error is returned. */
			snprintf(err, errlen, "%s: %s", c->path, strerror(errno));
			rc = errno == ENOENT ? FW_ENOENT : FW_EIO;
			continue;
		}
		c->pc = pcap_open_offline_with_tstamp_precision(c->path, PCAP_TSTAMP_PRECISION_MICRO, errbuf);
		if (c->pc == NULL) {
			st->bad_files++;
			fw_log(FW_LOG_WARN, "replay", "%s: skipped, not a readable capture: %s", c->path, errbuf);
			continue;
		}
		st->files++;
		c->linktype = pcap_datalink(c->pc);
		open += src_next(c, st);
	}
	o.dec = dec;
	o.frag = frag;
	o.tcp = tcp;
	o.b = b;
	o.flows = flows;
	o.dns = dns;
	o.st = st;
	/* The earliest next frame of all files (ties: the file given first);
	 * a linear pick: a handful of files. */
	while (open > 0) {
		struct src *m = NULL;

		for (int i = 0; i < n; i++)
			if (srcs[i].pc != NULL && (m == NULL || ts_before(srcs[i].h, m->h)))
				m = &srcs[i];
		if (m == NULL)
			break;  /* (open counts the files with a frame: not reached) */
		replay_frame(&o, m->path, m->linktype, m->h, m->data);
		if (!src_next(m, st))
			open--;
	}
	flush(b, flows, dns, st);
out:
	for (int i = 0; srcs != NULL && i < n; i++)
		if (srcs[i].pc != NULL)
			pcap_close(srcs[i].pc);
	free(srcs);
	free(b);
	return rc;
}
