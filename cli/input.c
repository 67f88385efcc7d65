/*
 * input.c - the input files of `replay` and `dump`: checked before anything
 * runs, recognised by their content (never by name or UDP port), and read
 * into a flow ring and a DNS ring by the collector's own readers (capture
 * files through fw_replay_files() and the decoder, BIND query logs, dnstap
 * files).  Main thread only; the rings' consumer is the caller's.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli_int.h"
#include "fw_log.h"

/* What a file holds, by its first bytes: never by its name. */
enum input_kind { IN_PCAP, IN_QUERYLOG, IN_DNSTAP, IN_OTHER };

/* dnstap records -> DNS ring, in batches; readers wait rather than drop. */
struct tap_push {
	struct fw_ring *ring;
	size_t n;
	struct fw_dnsq batch[256];
};

static void
tap_flush(struct tap_push *t)
{
	fw_ring_sp_push_wait(t->ring, t->batch, t->n);
	t->n = 0;
}

static int
tap_record(void *ctx, const struct fw_dnsq *rec)
{
	struct tap_push *t = ctx;

	t->batch[t->n++] = *rec;
	if (t->n == sizeof(t->batch) / sizeof(t->batch[0]))
		tap_flush(t);
	return 0;
}

static enum input_kind
input_kind(const char *path)
{
	unsigned char head[8];
	FILE *f = fopen(path, "rb");
	size_t n;

	if (f == NULL)
		return IN_OTHER;
	n = fread(head, 1, sizeof(head), f);
	fclose(f);
	if (n >= 4) {
		uint32_t le = (uint32_t)head[0] | (uint32_t)head[1] << 8 | (uint32_t)head[2] << 16 |
		    (uint32_t)head[3] << 24;
		/* pcap (us/ns, either byte order) and pcapng section header */
		if (le == 0xa1b2c3d4 || le == 0xd4c3b2a1 || le == 0xa1b23c4d || le == 0x4d3cb2a1 ||
		    le == 0x0a0d0d0a)
			return IN_PCAP;
	}
	{
		uint8_t big[512];
		FILE *g = fopen(path, "rb");
		size_t m = g ? fread(big, 1, sizeof(big), g) : 0;

		if (g != NULL)
			fclose(g);
		if (fw_dnstap_is_fstrm(big, m))
			return IN_DNSTAP;
	}
	if (fw_qlog_sniff(path))
		return IN_QUERYLOG;
	return IN_OTHER;  /* libpcap gets a try and reports why it is not a capture */
}

int
cli_check_inputs(const char *cmd, char **pos, int npos)
{
	for (int i = 0; i < npos; i++) {
		struct stat sb;

		if (access(pos[i], R_OK) != 0) {
			fprintf(stderr, "floodwatch %s: %s: cannot read file: %s\n", cmd, pos[i], strerror(errno));
			return EXIT_USAGE;
		}
		if (stat(pos[i], &sb) == 0 && S_ISDIR(sb.st_mode)) {
			fprintf(stderr, "floodwatch %s: %s: is a directory, not a capture or log file\n", cmd, pos[i]);
			return EXIT_USAGE;
		}
	}
	return 0;
}

int
cli_read_input(char **paths, int n, const struct fw_config *cfg, struct fw_decoder *dec,
    struct fw_ring *flows, struct fw_ring *dns, struct cli_inputs *in, int *taken, char *err, size_t errlen)
{
	static struct tap_push tap;  /* 77 KB: main thread only */
	const char *path = paths[0];
	enum input_kind kind = input_kind(path);
	int frc;

	*taken = 1;
	/* Query logs and dnstap push DNS records only: flows first. */
	if (kind != IN_PCAP)
		fw_replay_wait_drained(flows);
	if (kind == IN_QUERYLOG) {
		frc = fw_qlog_replay(path, cfg, dns, &in->qs, err, errlen);
	} else if (kind == IN_DNSTAP) {
		tap.ring = dns;
		frc = fw_dnstap_file_read(path, tap_record, &tap, &in->ts);
		tap_flush(&tap);
		if (frc == FW_ETRUNC) {
			in->rs.truncated_files++;
			fw_log(FW_LOG_WARN, "replay", "%s: dnstap file ends inside a frame or before STOP", path);
			frc = FW_OK;
		} else if (frc != FW_OK) {
			snprintf(err, errlen, "%s: %s", path, fw_strerror(frc));
		}
	} else {
		if (in->frag == NULL && cfg->dns_reassembly_slots > 0 &&
		    fw_ipfrag_new((size_t)cfg->dns_reassembly_slots, cfg->dns_reassembly_timeout_ms, &in->frag) != FW_OK) {
			snprintf(err, errlen, "%s: no memory for %lld reassembly slots", path,
			    (long long)cfg->dns_reassembly_slots);
			return FW_ENOMEM;
		}
		if (in->tcp == NULL && cfg->dns_tcp_flows > 0 &&
		    fw_dnstcp_new((size_t)cfg->dns_tcp_flows, cfg->dns_tcp_idle_timeout_ms, &in->tcp) != FW_OK) {
			snprintf(err, errlen, "%s: no memory for %lld DNS-over-TCP flows", path,
			    (long long)cfg->dns_tcp_flows);
			return FW_ENOMEM;
		}
		/* The captures that follow go with it (libpcap tries what is
		 * not recognised, and counts it if it is no capture). */
		for (enum input_kind k; *taken < n && ((k = input_kind(paths[*taken])) == IN_PCAP || k == IN_OTHER);)
			(*taken)++;
		/* counts its own */
		return fw_replay_files((const char *const *)paths, *taken, dec, in->frag, in->tcp, flows, dns,
		    &in->rs, err, errlen);
	}
	if (frc == FW_OK)
		in->rs.files++;
	else
		in->rs.bad_files++;
	return frc;
}

void
cli_inputs_end(struct cli_inputs *in)
{
	if (in->frag != NULL) {
		fw_ipfrag_flush(in->frag);
		in->fs = *fw_ipfrag_stats(in->frag);
		fw_ipfrag_free(in->frag);
		in->frag = NULL;
	}
	if (in->tcp != NULL) {
		fw_dnstcp_flush(in->tcp);
		in->cs = *fw_dnstcp_stats(in->tcp);
		fw_dnstcp_free(in->tcp);
		in->tcp = NULL;
	}
}

void
cli_inputs_print_reasm(const struct cli_inputs *in)
{
	if (in->fs.fragments > 0) {
		printf("  %-8s fragments: %llu, datagrams reassembled: %llu, duplicates: %llu, other protocols: %llu, "
		    "dropped:", "ipfrag", (unsigned long long)in->fs.fragments, (unsigned long long)in->fs.reassembled,
		    (unsigned long long)in->fs.duplicates, (unsigned long long)in->fs.other_proto);
		for (int r = 0; r < FW_IPFRAG_DROP_N; r++)
			printf(" %s=%llu", fw_ipfrag_drop_name((enum fw_ipfrag_drop)r), (unsigned long long)in->fs.drops[r]);
		printf("\n");
	}
	if (in->cs.segments > 0) {
		printf("  %-8s segments: %llu, messages: %llu (clipped %llu), retransmits: %llu, dropped:", "dnstcp",
		    (unsigned long long)in->cs.segments, (unsigned long long)in->cs.messages,
		    (unsigned long long)in->cs.clipped, (unsigned long long)in->cs.retransmits);
		for (int r = 0; r < FW_DNSTCP_DROP_N; r++)
			printf(" %s=%llu", fw_dnstcp_drop_name((enum fw_dnstcp_drop)r), (unsigned long long)in->cs.drops[r]);
		printf("\n");
	}
}
