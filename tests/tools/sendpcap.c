/*
 * sendpcap.c - test tool: send the UDP payloads found in capture files to a
 * collector on loopback with sendmmsg, bounded in count and time.
 *
 *   sendpcap [-r PPS | -T] [-W] [-l LOOPS] [-a ADDR] PORT FILE...
 *
 * -W stamps NetFlow v5 and v9 headers with the current time as they go
 * (unix_secs; record times are relative to it), so a file sent in loops
 * or long after it was made still carries wall-clock flow times.
 *
 * -T sends each datagram when its capture time (relative to the first) has
 * come: live traffic as it was captured, for records stamped near now.
 *
 * Only loopback destinations are accepted (127.0.0.0/8 or ::1).  Prints
 * "sent N datagrams" on stdout.  PPS 0 = as fast as the socket takes them.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pcap/pcap.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "fw_pkt.h"
#include "fw_time.h"

#define MAXD 200000
#define BATCH 64

static uint8_t *payload[MAXD];
static size_t plen[MAXD];
static int64_t cap_ms[MAXD];  /* capture time of each datagram */
static size_t nd;

static int
load(const char *path)
{
	char eb[PCAP_ERRBUF_SIZE];
	pcap_t *pc = pcap_open_offline(path, eb);
	struct pcap_pkthdr *h;
	const u_char *data;

	if (pc == NULL) {
		fprintf(stderr, "sendpcap: %s: %s\n", path, eb);
		return -1;
	}
	while (pcap_next_ex(pc, &h, &data) == 1 && nd < MAXD) {
		struct fw_udp u;

		if (fw_pkt_udp(pcap_datalink(pc), data, h->caplen, &u) != FW_OK)
			continue;
		if ((payload[nd] = malloc(u.len ? u.len : 1)) == NULL)
			break;
		memcpy(payload[nd], u.payload, u.len);
		cap_ms[nd] = (int64_t)h->ts.tv_sec * 1000 + h->ts.tv_usec / 1000;
		plen[nd++] = u.len;
	}
	pcap_close(pc);
	return 0;
}

int
main(int argc, char **argv)
{
	long rate = 0, loops = 1;
	bool timed = false, wall = false;
	const char *addr = "127.0.0.1";
	struct sockaddr_storage ss;
	socklen_t sl;
	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH];
	unsigned long long sent = 0;
	int opt, fd, port, batch = BATCH;
	int64_t t0, deadline;

	while ((opt = getopt(argc, argv, "r:l:a:TW")) != -1) {
		switch (opt) {
		case 'r': rate = strtol(optarg, NULL, 10); break;
		case 'l': loops = strtol(optarg, NULL, 10); break;
		case 'a': addr = optarg; break;
		case 'T': timed = true; break;
		case 'W': wall = true; break;
		default: return 2;
		}
	}
	if (argc - optind < 2 || loops < 1 || loops > 10000) {
		fprintf(stderr, "usage: sendpcap [-r PPS | -T] [-W] [-l LOOPS] [-a ADDR] PORT FILE...\n");
		return 2;
	}
	port = atoi(argv[optind]);
	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, addr, &((struct sockaddr_in *)&ss)->sin_addr) == 1) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
		if ((ntohl(s4->sin_addr.s_addr) >> 24) != 127) {
			fprintf(stderr, "sendpcap: only loopback destinations\n");
			return 2;
		}
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		sl = sizeof(*s4);
	} else if (strcmp(addr, "::1") == 0) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
		s6->sin6_family = AF_INET6;
		s6->sin6_addr = in6addr_loopback;
		s6->sin6_port = htons((uint16_t)port);
		sl = sizeof(*s6);
	} else {
		fprintf(stderr, "sendpcap: only loopback destinations\n");
		return 2;
	}
	for (int i = optind + 1; i < argc; i++)
		if (load(argv[i]) != 0)
			return 2;
	/* Slow rates go in small batches (at most 20 ms of traffic each): 64
	 * datagrams at once would put seconds of event time in one instant. */
	if (rate > 0 && rate / 50 < BATCH)
		batch = rate / 50 > 0 ? (int)(rate / 50) : 1;
	if ((fd = socket(ss.ss_family, SOCK_DGRAM, 0)) < 0) {
		perror("socket");
		return 1;
	}
	t0 = fw_time_mono_ms();
	deadline = t0 + 120000;  /* never more than 2 minutes */
	for (long l = 0; l < loops; l++) {
		for (size_t i = 0; i < nd;) {
			int n = 0, r;

			if (timed) {
				/* Wait for this datagram's capture time, then take every
				 * one already due with it. */
				int64_t due = t0 + (cap_ms[i] - cap_ms[0]);
				while (fw_time_mono_ms() < due) {
					struct timespec ts = { 0, 200000 };
					nanosleep(&ts, NULL);
				}
			}
			uint32_t now_be = htonl((uint32_t)(fw_time_now_ms() / 1000));

			while (n < batch && i + (size_t)n < nd &&
			    (!timed || cap_ms[i + (size_t)n] - cap_ms[0] <= fw_time_mono_ms() - t0)) {
				uint8_t *pl = payload[i + (size_t)n];

				/* v5 and v9 both keep unix_secs at offset 8. */
				if (wall && plen[i + (size_t)n] >= 12 && pl[0] == 0 && (pl[1] == 5 || pl[1] == 9))
					memcpy(pl + 8, &now_be, 4);
				iov[n].iov_base = payload[i + (size_t)n];
				iov[n].iov_len = plen[i + (size_t)n];
				memset(&msgs[n], 0, sizeof(msgs[n]));
				msgs[n].msg_hdr.msg_iov = &iov[n];
				msgs[n].msg_hdr.msg_iovlen = 1;
				msgs[n].msg_hdr.msg_name = &ss;
				msgs[n].msg_hdr.msg_namelen = sl;
				n++;
			}
			if (rate > 0) {
				/* Pace: wait until this batch is due. */
				int64_t due = t0 + (int64_t)((double)sent * 1000.0 / (double)rate);
				while (fw_time_mono_ms() < due) {
					struct timespec ts = { 0, 200000 };
					nanosleep(&ts, NULL);
				}
			}
			r = sendmmsg(fd, msgs, (unsigned)n, 0);
			if (r < 0) {
				perror("sendmmsg");
				return 1;
			}
			sent += (unsigned long long)r;
			i += (size_t)r;
			if (fw_time_mono_ms() > deadline) {
				fprintf(stderr, "sendpcap: time bound reached\n");
				l = loops;
				break;
			}
		}
	}
	printf("sent %llu datagrams\n", sent);
	close(fd);
	return 0;
}
