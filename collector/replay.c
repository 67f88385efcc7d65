/*
 * replay.c - capture files into the pipeline (fw_replay.h).
 *
 * libpcap reads both pcap and pcapng; we ask for microsecond timestamps so
 * nanosecond files come out in the same unit.  Frames are dissected once
 * (fw_pkt_l3), fragments reassembled (fw_ipfrag), DNS over TCP read out of
 * its segments (fw_dnstcp), UDP datagrams decoded by content; in file
 * order, pushed in bursts; a full ring makes us wait, never drop.
 */
#include "fw_replay.h"

#include <errno.h>
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

struct batch {
	struct fw_flow flows[FLOW_BATCH];
	size_t nflows;
	struct fw_dnsq dns[DNS_BATCH];
	size_t ndns;
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
	b->ndns += fw_decoder_dns(o->dec, msg, o->ts_ms, FW_DNSQ_F_TCP, b->dns + b->ndns, DNS_BATCH - b->ndns);
}

static void
flush(struct batch *b, struct fw_ring *flows, struct fw_ring *dns, struct fw_replay_stats *st)
{
	if (b->nflows > 0) {
		fw_replay_wait_drained(dns);
		fw_ring_sp_push_wait(flows, b->flows, b->nflows);
		st->flows += b->nflows;
		b->nflows = 0;
	}
	if (b->ndns > 0 && dns != NULL) {
		fw_replay_wait_drained(flows);
		fw_ring_sp_push_wait(dns, b->dns, b->ndns);
		st->dnsq += b->ndns;
	}
	b->ndns = 0;
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

int
fw_replay_file(const char *path, struct fw_decoder *dec, struct fw_ipfrag *frag, struct fw_dnstcp *tcp,
    struct fw_ring *flows, struct fw_ring *dns, struct fw_replay_stats *st, char *err, size_t errlen)
{
	struct tcp_out o;
	struct batch *b;  /* one per file: 160 KB, kept off the stack */
	char errbuf[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *data;
	struct stat sb;
	pcap_t *pc;
	int linktype, rc;

	if (stat(path, &sb) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return errno == ENOENT ? FW_ENOENT : FW_EIO;
	}
	if ((pc = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_MICRO, errbuf)) == NULL) {
		st->bad_files++;
		fw_log(FW_LOG_WARN, "replay", "%s: skipped, not a readable capture: %s", path, errbuf);
		return FW_OK;
	}
	if ((b = calloc(1, sizeof(*b))) == NULL) {
		pcap_close(pc);
		snprintf(err, errlen, "%s: out of memory", path);
		return FW_ENOMEM;
	}
	st->files++;
	linktype = pcap_datalink(pc);
	o.dec = dec;
	o.b = b;
	o.flows = flows;
	o.dns = dns;
	o.st = st;
	while ((rc = pcap_next_ex(pc, &h, &data)) == 1) {
		int64_t ts_ms = (int64_t)h->ts.tv_sec * 1000 + h->ts.tv_usec / 1000;
		struct fw_pkt_l3 ip;
		struct fw_udp u;
		size_t nf = 0, nd = 0;
		int prc;

		st->frames++;
		o.ts_ms = ts_ms;
		prc = fw_pkt_l3(linktype, data, h->caplen, &ip);
		if (prc == FW_OK && before_udp(path, frag, tcp, &ip, &o) == 0)
			continue;
		prc = fw_pkt_udp_of(&ip, prc, &u);
		if (prc == FW_EUNSUPPORTED) {
			st->not_udp++;
			continue;
		}
		if (prc != FW_OK) {
			st->frame_errors++;
			FW_LOG_RL(FW_LOG_WARN, "replay", "%s: frame %llu skipped: %s", path,
			    (unsigned long long)st->frames, fw_strerror(prc));
			continue;
		}
		st->udp++;
		if (FLOW_BATCH - b->nflows < FW_DECODE_MAX_FLOWS || b->ndns == DNS_BATCH)
			flush(b, flows, dns, st);
		(void)fw_decoder_udp(dec, &u, ts_ms, b->flows + b->nflows, FLOW_BATCH - b->nflows, &nf,
		    b->dns + b->ndns, DNS_BATCH - b->ndns, &nd);
		b->nflows += nf;
		b->ndns += nd;
	}
	flush(b, flows, dns, st);
	if (rc == PCAP_ERROR) {
		st->truncated_files++;
		fw_log(FW_LOG_WARN, "replay", "%s: stopped after frame %llu: %s", path,
		    (unsigned long long)st->frames, pcap_geterr(pc));
	}
	pcap_close(pc);
	free(b);
	return FW_OK;
}
