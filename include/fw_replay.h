/*
 * fw_replay.h - read capture files (pcap, pcapng via libpcap) and feed their
 * UDP payloads (after IP reassembly) and DNS messages over TCP through a
 * decoder into the pipeline's rings, on event time.
 *
 * Unlike a live listener, replay never drops: when a ring is full it waits
 * for the detector, so every run over the same files gives the same alerts.
 */
#ifndef FW_REPLAY_H
#define FW_REPLAY_H

#include <stdint.h>

#include "fw_decode.h"
#include "fw_dnstcp.h"
#include "fw_ipfrag.h"
#include "fw_err.h"
#include "fw_ring.h"

struct fw_replay_stats {
	uint64_t files;            /* files read */
	uint64_t bad_files;        /* not a capture we can read */
	uint64_t truncated_files;  /* capture ended inside a record */
	uint64_t frames;           /* frames read */
	uint64_t udp;              /* UDP datagrams (whole, or put together from fragments) */
	uint64_t fragments;        /* frames holding an IP fragment (fw_ipfrag counts the rest) */
	uint64_t tcp_dns;          /* TCP segments to or from port 53 (fw_dnstcp counts the rest) */
	uint64_t not_udp;          /* other frames: skipped */
	uint64_t frame_errors;     /* frames too short / malformed below UDP */
	uint64_t flows;            /* flow records pushed */
	uint64_t dnsq;             /* DNS records pushed */
};

/*
 * Replay n capture files together, merged by frame timestamp: the earliest
 * next frame of all of them first, ties to the file given first (the same
 * order every run).  Fragments go through frag (fw_ipfrag.h) and TCP
 * segments to or from port 53 through tcp (fw_dnstcp.h), whose DNS
 * messages become records flagged FW_DNSQ_F_TCP; either may be NULL (off:
 * a first fragment then passes as a cut datagram, the rest and TCP are
 * skipped).  Their state carries over to the next call (a capture rotated
 * mid-connection); the caller flushes them after the last file.  Returns
 * FW_OK (including files that are not captures or end truncated: counted
 * in st and logged), or FW_ENOENT/FW_EIO when a file cannot be opened at
 * all (err holds one line; the others are still read, the last such
 * error is returned).
 */
int fw_replay_files(const char *const *paths, int n, struct fw_decoder *dec, struct fw_ipfrag *frag,
    struct fw_dnstcp *tcp, struct fw_ring *flows, struct fw_ring *dns, struct fw_replay_stats *st,
    char *err, size_t errlen) FW_MUSTCHECK;

/*
 * Wait until the detector has taken every record from r.  Replay calls it
 * before pushing to the other ring, so flows and DNS records reach the
 * detector in the same order on every run.
 */
void fw_replay_wait_drained(struct fw_ring *r);

#endif /* FW_REPLAY_H */
