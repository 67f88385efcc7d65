/*
 * fw_nflog.h - DNS packets from the kernel through an NFLOG group
 * (libnetfilter_log, copy-packet mode): queries to port 53 and responses
 * from port 53, IPv4 and IPv6, over UDP (fragments reassembled, fw_ipfrag.h)
 * and TCP (fw_dnstcp.h), into DNS records on an SPSC ring.
 *
 * Binding a group needs CAP_NET_ADMIN; without it fw_nflog_open() fails
 * with a message that says so.  An nftables rule sends packets to the
 * group, e.g.:
 *   nft add rule inet filter input udp dport 53 log group 5
 *   nft add rule inet filter output udp sport 53 log group 5
 * and for fragments and TCP:
 *   nft add rule inet filter input ip frag-off \& 0x1fff != 0 log group 5
 *   nft add rule inet filter input exthdr frag exists log group 5
 *   nft add rule inet filter input tcp dport 53 log group 5
 *   nft add rule inet filter output tcp sport 53 log group 5
 */
#ifndef FW_NFLOG_H
#define FW_NFLOG_H

#include <stdint.h>

#include "fw_config.h"
#include "fw_dnstcp.h"
#include "fw_err.h"
#include "fw_ipfrag.h"
#include "fw_ring.h"

struct fw_nflog;

struct fw_nflog_stats {
	uint64_t packets;          /* packets the kernel handed over */
	uint64_t records;          /* DNS records pushed */
	uint64_t not_dns;          /* not UDP port 53, or not a DNS message */
	uint64_t malformed;        /* IP/UDP/DNS broken */
	uint64_t kernel_drops;     /* netlink socket overruns (ENOBUFS) */
	uint64_t ring_drops;       /* records dropped: ring full */
	uint64_t fragments;        /* packets that were IP fragments */
	uint64_t tcp;              /* TCP segments to or from port 53 */
	struct fw_ipfrag_stats frag;   /* reassembly (dns.reassembly_*) */
	struct fw_dnstcp_stats dnstcp; /* DNS over TCP (dns.tcp_*) */
};

int fw_nflog_open(int group, const struct fw_config *cfg, struct fw_nflog **out,
    char *err, size_t errlen) FW_MUSTCHECK;
int fw_nflog_start(struct fw_nflog *n, struct fw_ring *dns) FW_MUSTCHECK;
void fw_nflog_stop(struct fw_nflog *n);
void fw_nflog_free(struct fw_nflog *n);
void fw_nflog_get_stats(struct fw_nflog *n, struct fw_nflog_stats *st);
/* Fixed memory held (receive buffer, reassembly and DNS-over-TCP tables),
 * for the daemon's memory budget; NULL: 0.  Any thread. */
size_t fw_nflog_memory_bytes(const struct fw_nflog *n);

#endif /* FW_NFLOG_H */
