/*
 * check_sflow5.c - tests of the sFlow v5 decoder (collector/sflow5.c).
 *
 * Expected values come from outside the decoder:
 *  - tests/data/<capture>.sflow.tsv, written by tests/data/gen-sflow-expected.sh
 *    from tshark's dissection of each capture (flow samples and generic
 *    interface counters);
 *  - tests/data/<capture>.out, tcpdump's dissection shipped with the tcpdump
 *    captures (datagram header, IPv6 agent, sample kinds, generic counters,
 *    datagrams of other sFlow versions);
 *  - tests/data/sflow_synth.pcap, hand-built by make-sflow-synth.py for
 *    QinQ, IPv6 extension headers, GRE, ICMP, MPLS, sampled IPv4/IPv6
 *    records; its few values tshark cannot show are checked against the
 *    generator's inputs;
 *  - the capture README: 4198 flow samples, 1-in-1 vs 1-in-1000 sampling.
 * Malformed and limit cases are built here field by field.
 *
 * Captures are read once in main() (before Check forks) with libpcap and
 * fw_pkt_udp().  Run from the project root, or set FW_TEST_DATA.
 */
#include "fw_sflow5.h"

#include <arpa/inet.h>
#include <check.h>
#include <inttypes.h>
#include <pcap/pcap.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fw_pkt.h"

#define MAX_OUT 64

enum {
	CAP_FLOOD = 0,
	CAP_FLOOD_1000,
	CAP_V6,
	CAP_EXPANDED,
	CAP_COUNTERS,
	CAP_SEGV,
	CAP_SYNTH,
	N_CAPS
};

static const char *const cap_names[N_CAPS] = {
	"udpflood_sflow", "udpflood_sflow_1in1000", "sflow-print-v6", "sflow_expanded",
	"sflow_multiple_counter_30_pdus", "sflow_print-segv", "sflow_synth",
};

struct dgram {
	int cap;                 /* index into cap_names */
	uint32_t frame;          /* 1-based packet number in the capture */
	int64_t ms;              /* capture time */
	uint8_t *buf;            /* UDP payload as fw_pkt_udp() bounds it */
	size_t len;
	uint8_t *full;           /* everything after the UDP header, to caplen */
	size_t full_len;
};

/* One row of a .sflow.tsv file; "-" fields leave has_ip false. */
struct row {
	char kind;               /* 'F' or 'C' */
	uint32_t frame;
	char agent[64];
	uint32_t sub_agent, dgram_seq;
	uint64_t v[20];          /* remaining numeric columns in file order */
	char src[64], dst[64];
	bool has_ip;
	bool flags_known, tos_known;
};

/* F columns after dgram_seq, by index into row.v */
enum { F_SEQ, F_EXP, F_RATE, F_DROPS, F_INFMT, F_INVAL, F_OUTFMT, F_OUTVAL,
	F_FRAMELEN, F_STRIPPED, F_PROTO, F_SPORT, F_DPORT, F_FLAGS, F_TTL, F_TOS, F_L3LEN };
/* C columns after dgram_seq */
enum { C_IFINDEX, C_SPEED, C_INOCT, C_INUC, C_INDISC, C_INERR, C_OUTOCT, C_OUTUC,
	C_OUTDISC, C_OUTERR };

static struct dgram *dgs;
static size_t n_dgs, dgs_cap;
static size_t cap_first[N_CAPS], cap_count[N_CAPS];
static struct row *rows[N_CAPS];
static size_t n_rows[N_CAPS];
static const char *data_dir = "tests/data";

static void
die(const char *what, const char *name)
{
	fprintf(stderr, "check_sflow5: %s %s\n", what, name);
	exit(2);
}

static void
load_capture(int cap)
{
	char path[512], err[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *data;
	pcap_t *p;
	int link, rc;
	uint32_t frame = 0;

	snprintf(path, sizeof(path), "%s/%s.pcap", data_dir, cap_names[cap]);
	if ((p = pcap_open_offline(path, err)) == NULL)
		die("cannot open", path);
	link = pcap_datalink(p);
	cap_first[cap] = n_dgs;
	while ((rc = pcap_next_ex(p, &h, &data)) == 1) {
		struct fw_udp u;
		struct dgram *d;

		frame++;
		if (fw_pkt_udp(link, data, h->caplen, &u) != FW_OK)
			die("not UDP in", path);
		if (n_dgs == dgs_cap) {
			/* Geometric growth: under ASan every realloc's old block
			 * sits in quarantine, and Check forks this process per test. */
			dgs_cap = dgs_cap ? 2 * dgs_cap : 256;
			if ((dgs = realloc(dgs, dgs_cap * sizeof(*dgs))) == NULL)
				die("out of memory", path);
		}
		d = &dgs[n_dgs++];
		d->cap = cap;
		d->frame = frame;
		d->ms = (int64_t)h->ts.tv_sec * 1000 + h->ts.tv_usec / 1000;
		d->len = u.len;
		d->full_len = h->caplen - (size_t)(u.payload - data);
		d->buf = malloc(d->len ? d->len : 1);
		d->full = malloc(d->full_len ? d->full_len : 1);
		if (d->buf == NULL || d->full == NULL)
			die("out of memory", path);
		memcpy(d->buf, u.payload, d->len);
		memcpy(d->full, u.payload, d->full_len);
	}
	cap_count[cap] = n_dgs - cap_first[cap];
	pcap_close(p);
}

static uint64_t
field_u64(const char *s)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 10);

	if (end == s || *end != '\0')
		die("bad number in tsv:", s);
	return v;
}

static void
load_tsv(int cap)
{
	char path[512], line[1024];
	size_t rows_cap = 0;
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s.sflow.tsv", data_dir, cap_names[cap]);
	if ((fp = fopen(path, "r")) == NULL)
		die("cannot open", path);
	while (fgets(line, sizeof(line), fp) != NULL) {
		char *col[32] = { NULL }, *save = NULL, *t;
		size_t nc = 0;
		struct row r;

		if (line[0] == '#')
			continue;
		line[strcspn(line, "\n")] = '\0';
		for (t = strtok_r(line, "\t", &save); t != NULL && nc < 32; t = strtok_r(NULL, "\t", &save))
			col[nc++] = t;
		if (nc == 0)
			continue;
		memset(&r, 0, sizeof(r));
		r.kind = col[0][0];
		if ((r.kind == 'F' && nc != 24) || (r.kind == 'C' && nc != 15))
			die("bad row in", path);
		r.frame = (uint32_t)field_u64(col[1]);
		snprintf(r.agent, sizeof(r.agent), "%s", col[2]);
		r.sub_agent = (uint32_t)field_u64(col[3]);
		r.dgram_seq = (uint32_t)field_u64(col[4]);
		if (r.kind == 'C') {
			for (size_t i = 5; i < nc; i++)
				r.v[i - 5] = field_u64(col[i]);
		} else {
			for (size_t i = 5; i <= 14; i++)
				r.v[i - 5] = field_u64(col[i]);
			r.has_ip = strcmp(col[15], "-") != 0;
			if (r.has_ip) {
				snprintf(r.src, sizeof(r.src), "%s", col[15]);
				snprintf(r.dst, sizeof(r.dst), "%s", col[16]);
				r.v[F_PROTO] = field_u64(col[17]);
				r.v[F_SPORT] = field_u64(col[18]);
				r.v[F_DPORT] = field_u64(col[19]);
				r.flags_known = strcmp(col[20], "-") != 0;
				r.v[F_FLAGS] = r.flags_known ? field_u64(col[20]) : 0;
				r.v[F_TTL] = field_u64(col[21]);
				r.tos_known = strcmp(col[22], "-") != 0;
				r.v[F_TOS] = r.tos_known ? field_u64(col[22]) : 0;
				r.v[F_L3LEN] = field_u64(col[23]);
			}
		}
		if (n_rows[cap] == rows_cap) {
			rows_cap = rows_cap ? 2 * rows_cap : 256;
			if ((rows[cap] = realloc(rows[cap], rows_cap * sizeof(r))) == NULL)
				die("out of memory", path);
		}
		rows[cap][n_rows[cap]++] = r;
	}
	fclose(fp);
}

static void
addr_parse(const char *text, struct fw_addr *a)
{
	uint8_t v4[4];

	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, text, v4) == 1)
		fw_addr_from_v4(a, v4);
	else if (inet_pton(AF_INET6, text, a->b) != 1)
		ck_abort_msg("bad address %s", text);
}

static void
assert_addr(const struct fw_addr *got, const char *want, const char *what, uint32_t frame)
{
	struct fw_addr w;
	char g[64];

	addr_parse(want, &w);
	fw_addr_format(got, g, sizeof(g));
	ck_assert_msg(memcmp(got->b, w.b, 16) == 0, "frame %u %s: got %s want %s", frame, what, g, want);
}

static int
decode(const struct dgram *d, struct fw_flow *out, size_t max, struct fw_sflow5_info *info)
{
	static const struct fw_addr udp_src = { { 0 } };

	return fw_sflow5_decode(d->buf, d->len, &udp_src, d->ms, out, max, info);
}

/* Compare one datagram with its tshark rows. */
static void
check_dgram_against_rows(const struct dgram *d, const struct row *r, size_t nr)
{
	struct fw_flow out[MAX_OUT];
	struct fw_sflow5_info info;
	size_t k = 0, nflow = 0, nctr = 0;
	int n = decode(d, out, MAX_OUT, &info);

	ck_assert_msg(n >= 0, "frame %u: decode error %d", d->frame, n);
	for (size_t i = 0; i < nr; i++) {
		const uint64_t *v = r[i].v;

		ck_assert_uint_eq(info.sub_agent_id, r[i].sub_agent);
		ck_assert_uint_eq(info.seq, r[i].dgram_seq);
		assert_addr(&info.agent, r[i].agent, "agent", d->frame);
		if (r[i].kind == 'C') {
			const struct fw_sflow5_ifc *c = &info.ifc[nctr++];

			ck_assert_uint_le(nctr, info.n_ifc);
			ck_assert_uint_eq(c->if_index, v[C_IFINDEX]);
			ck_assert_uint_eq(c->if_speed, v[C_SPEED]);
			ck_assert_uint_eq(c->in_octets, v[C_INOCT]);
			ck_assert_uint_eq(c->in_ucast_pkts, v[C_INUC]);
			ck_assert_uint_eq(c->in_discards, v[C_INDISC]);
			ck_assert_uint_eq(c->in_errors, v[C_INERR]);
			ck_assert_uint_eq(c->out_octets, v[C_OUTOCT]);
			ck_assert_uint_eq(c->out_ucast_pkts, v[C_OUTUC]);
			ck_assert_uint_eq(c->out_discards, v[C_OUTDISC]);
			ck_assert_uint_eq(c->out_errors, v[C_OUTERR]);
			continue;
		}
		nflow++;
		if (!r[i].has_ip)
			continue;  /* no IP packet: the decoder must emit nothing */
		ck_assert_msg(k < (size_t)n, "frame %u: only %d records", d->frame, n);
		const struct fw_flow *f = &out[k++];
		uint64_t rate = v[F_RATE] ? v[F_RATE] : 1;
		uint64_t l3 = v[F_L3LEN] ? v[F_L3LEN] : v[F_FRAMELEN] - v[F_STRIPPED];
		uint32_t in_if = v[F_INFMT] == 0 && v[F_INVAL] != 0x3fffffff ? (uint32_t)v[F_INVAL] : 0;
		uint32_t out_if = v[F_OUTFMT] == 0 && v[F_OUTVAL] != 0x3fffffff ? (uint32_t)v[F_OUTVAL] : 0;

		assert_addr(&f->src, r[i].src, "src", d->frame);
		assert_addr(&f->dst, r[i].dst, "dst", d->frame);
		assert_addr(&f->exporter, r[i].agent, "exporter", d->frame);
		ck_assert_uint_eq(f->proto, v[F_PROTO]);
		ck_assert_uint_eq(f->sport, v[F_SPORT]);
		ck_assert_uint_eq(f->dport, v[F_DPORT]);
		if (r[i].flags_known)
			ck_assert_uint_eq(f->tcp_flags, v[F_FLAGS]);
		if (r[i].tos_known)
			ck_assert_uint_eq(f->tos, v[F_TOS]);
		ck_assert_uint_eq(f->ttl, v[F_TTL]);
		ck_assert_uint_eq(f->sampling, v[F_RATE]);
		ck_assert_uint_eq(f->pkts, rate);
		ck_assert_uint_eq(f->bytes, l3 * rate);
		ck_assert_uint_eq(f->in_if, in_if);
		ck_assert_uint_eq(f->out_if, out_if);
		ck_assert_uint_eq(f->obs_domain, r[i].sub_agent);
		ck_assert_int_eq(f->start_ms, d->ms);
		ck_assert_int_eq(f->end_ms, d->ms);
		ck_assert_uint_eq(f->source, FW_SRC_SFLOW);
	}
	ck_assert_msg(k == (size_t)n, "frame %u: %d records, tshark has %zu", d->frame, n, k);
	ck_assert_uint_eq(info.n_ifc, nctr);
	if (nflow > 0)
		ck_assert_uint_eq(info.flow_samples, nflow);
	ck_assert_uint_eq(info.no_ip, nflow - k);
	ck_assert_uint_eq(info.bad_samples, 0);
}

START_TEST(test_sflow5_capture_matches_tshark)
{
	int cap = _i;
	size_t ri = 0, checked = 0;

	ck_assert_uint_gt(cap_count[cap], 0);
	for (size_t j = 0; j < cap_count[cap]; j++) {
		const struct dgram *d = &dgs[cap_first[cap] + j];
		size_t start = ri;

		while (ri < n_rows[cap] && rows[cap][ri].frame == d->frame)
			ri++;
		if (ri == start)
			continue;  /* tshark found no samples it knows: see the .out tests */
		check_dgram_against_rows(d, &rows[cap][start], ri - start);
		checked++;
	}
	ck_assert_uint_eq(ri, n_rows[cap]);  /* every tshark row was matched */
	if (cap == CAP_SEGV)
		ck_assert_uint_eq(n_rows[cap], 0);  /* tshark: malformed, no samples */
	else
		ck_assert_uint_gt(checked, 0);
}
END_TEST

/* What tcpdump's .out says about one datagram. */
struct out_dgram {
	uint32_t frame;
	bool v5;                 /* false: "sFlow version N packet not supported" */
	bool v6_agent;
	char agent[64];
	uint32_t sub_agent, seq, uptime, samples;
	uint32_t flow_samples, counter_samples;
	uint32_t n_gen;
	struct fw_sflow5_ifc gen[FW_SFLOW5_MAX_IFC];
};

/* "    12  2011-04-02 00:13:31.1 IP ...": a new packet and its number. */
static bool
is_frame_line(const char *line, unsigned *frame)
{
	const char *p = line;
	unsigned v = 0;

	while (*p == ' ')
		p++;
	if (*p < '0' || *p > '9')
		return false;
	while (*p >= '0' && *p <= '9')
		v = v * 10 + (unsigned)(*p++ - '0');
	if (strncmp(p, "  ", 2) != 0)
		return false;
	p += 2;
	for (int i = 0; i < 4; i++)
		if (p[i] < '0' || p[i] > '9')
			return false;
	if (p[4] != '-')
		return false;
	*frame = v;
	return true;
}

static size_t
parse_out(int cap, struct out_dgram *od, size_t max)
{
	char path[512], line[1024];
	size_t n = 0;
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s.out", data_dir, cap_names[cap]);
	if ((fp = fopen(path, "r")) == NULL)
		ck_abort_msg("cannot open %s", path);
	while (fgets(line, sizeof(line), fp) != NULL) {
		struct out_dgram *cur = n > 0 ? &od[n - 1] : NULL;
		struct fw_sflow5_ifc *g = cur && cur->n_gen > 0 ? &cur->gen[cur->n_gen - 1] : NULL;
		unsigned frame, a, b, c;
		unsigned long long x;
		char ipv, *s;

		if (is_frame_line(line, &frame)) {
			ck_assert_uint_lt(n, max);
			memset(&od[n], 0, sizeof(od[n]));
			od[n++].frame = frame;
			cur = &od[n - 1];
		}
		if (cur == NULL)
			continue;
		if ((s = strstr(line, "sFlowv5, IPv")) != NULL) {
			ck_assert_int_eq(sscanf(s, "sFlowv5, IPv%c agent %63[^,], agent-id %u, seqnum %u, uptime %u, samples %u",
			    &ipv, cur->agent, &cur->sub_agent, &cur->seq, &cur->uptime, &cur->samples), 6);
			cur->v5 = true;
			cur->v6_agent = ipv == '6';
		} else if (strstr(line, "expanded flow sample (3)") || strstr(line, "\tflow sample (1)")) {
			cur->flow_samples++;
		} else if (strstr(line, "expanded counter sample (4)") || strstr(line, "\tcounter sample (2)")) {
			cur->counter_samples++;
		} else if ((s = strstr(line, "ifindex ")) != NULL && strstr(line, "iftype")) {
			ck_assert_uint_lt(cur->n_gen, FW_SFLOW5_MAX_IFC);
			g = &cur->gen[cur->n_gen++];
			ck_assert_int_eq(sscanf(s, "ifindex %u, iftype %*u, ifspeed %llu", &a, &x), 2);
			g->if_index = a;
			g->if_speed = x;
		} else if (g && (s = strstr(line, "In octets ")) != NULL) {
			ck_assert_int_eq(sscanf(s, "In octets %llu, unicast pkts %u, multicast pkts %*u, broadcast pkts %*u, discards %u",
			    &x, &a, &b), 3);
			g->in_octets = x;
			g->in_ucast_pkts = a;
			g->in_discards = b;
		} else if (g && (s = strstr(line, "Out octets ")) != NULL) {
			ck_assert_int_eq(sscanf(s, "Out octets %llu, unicast pkts %u, multicast pkts %*u, broadcast pkts %*u, discards %u",
			    &x, &a, &b), 3);
			g->out_octets = x;
			g->out_ucast_pkts = a;
			g->out_discards = b;
		} else if (g && (s = strstr(line, "In errors ")) != NULL) {
			ck_assert_int_eq(sscanf(s, "In errors %u", &c), 1);
			g->in_errors = c;
		} else if (g && (s = strstr(line, "Out errors ")) != NULL) {
			ck_assert_int_eq(sscanf(s, "Out errors %u", &c), 1);
			g->out_errors = c;
		}
	}
	fclose(fp);
	return n;
}

static const int out_caps[] = { CAP_V6, CAP_EXPANDED, CAP_COUNTERS };

START_TEST(test_sflow5_matches_tcpdump_out)
{
	int cap = out_caps[_i];
	static struct out_dgram od[64];
	size_t n = parse_out(cap, od, 64);
	uint32_t tot_flow = 0, tot_ctr = 0, tot_gen = 0, not_v5 = 0, v6_agents = 0;

	ck_assert_uint_eq(n, cap_count[cap]);
	for (size_t j = 0; j < n; j++) {
		const struct dgram *d = &dgs[cap_first[cap] + j];
		struct fw_flow out[MAX_OUT];
		struct fw_sflow5_info info;
		int rc = decode(d, out, MAX_OUT, &info);

		ck_assert_uint_eq(d->frame, od[j].frame);
		if (!od[j].v5) {
			ck_assert_int_eq(rc, FW_EMALFORMED);
			not_v5++;
			continue;
		}
		ck_assert_int_ge(rc, 0);
		assert_addr(&info.agent, od[j].agent, "agent", d->frame);
		ck_assert_uint_eq(info.agent_af, od[j].v6_agent ? 2 : 1);
		v6_agents += od[j].v6_agent;
		ck_assert_uint_eq(info.sub_agent_id, od[j].sub_agent);
		ck_assert_uint_eq(info.seq, od[j].seq);
		ck_assert_uint_eq(info.uptime_ms, od[j].uptime);
		ck_assert_uint_eq(info.samples, od[j].samples);
		ck_assert_uint_eq(info.flow_samples, od[j].flow_samples);
		ck_assert_uint_eq(info.counter_samples, od[j].counter_samples);
		ck_assert_uint_eq(info.bad_samples, 0);
		ck_assert_uint_eq(info.n_ifc, od[j].n_gen);
		for (uint32_t k = 0; k < od[j].n_gen; k++) {
			const struct fw_sflow5_ifc *g = &info.ifc[k], *w = &od[j].gen[k];

			ck_assert_uint_eq(g->if_index, w->if_index);
			ck_assert_uint_eq(g->if_speed, w->if_speed);
			ck_assert_uint_eq(g->in_octets, w->in_octets);
			ck_assert_uint_eq(g->in_ucast_pkts, w->in_ucast_pkts);
			ck_assert_uint_eq(g->in_discards, w->in_discards);
			ck_assert_uint_eq(g->in_errors, w->in_errors);
			ck_assert_uint_eq(g->out_octets, w->out_octets);
			ck_assert_uint_eq(g->out_ucast_pkts, w->out_ucast_pkts);
			ck_assert_uint_eq(g->out_discards, w->out_discards);
			ck_assert_uint_eq(g->out_errors, w->out_errors);
		}
		tot_flow += info.flow_samples;
		tot_ctr += info.counter_samples;
		tot_gen += info.generic_counters;
	}
	/* Totals as `grep -c` counts them in the .out files. */
	switch (cap) {
	case CAP_V6:
		ck_assert_uint_eq(tot_flow, 13);
		ck_assert_uint_eq(tot_ctr, 48);
		ck_assert_uint_eq(tot_gen, 48);
		ck_assert_uint_eq(v6_agents, 25);
		break;
	case CAP_EXPANDED:
		ck_assert_uint_eq(tot_flow, 1);
		ck_assert_uint_eq(tot_ctr, 0);
		break;
	case CAP_COUNTERS:
		ck_assert_uint_eq(tot_ctr, 144);  /* 2 of format 2, 142 expanded */
		ck_assert_uint_eq(tot_gen, 142);
		ck_assert_uint_eq(not_v5, 5);     /* "sFlow version 32768x" */
		break;
	default:
		break;
	}
}
END_TEST

/* Same traffic, sampling claimed 1 in 1000: every count is 1000 times larger. */
START_TEST(test_sflow5_sampling_rate_scales)
{
	uint64_t pkts[2] = { 0, 0 }, bytes[2] = { 0, 0 };
	size_t recs[2] = { 0, 0 };
	const int caps[2] = { CAP_FLOOD, CAP_FLOOD_1000 };

	ck_assert_uint_eq(cap_count[CAP_FLOOD], 688);
	ck_assert_uint_eq(cap_count[CAP_FLOOD_1000], 688);
	for (int c = 0; c < 2; c++) {
		for (size_t j = 0; j < cap_count[caps[c]]; j++) {
			struct fw_flow out[MAX_OUT];
			struct fw_sflow5_info info;
			int n = decode(&dgs[cap_first[caps[c]] + j], out, MAX_OUT, &info);

			ck_assert_int_gt(n, 0);
			for (int k = 0; k < n; k++) {
				ck_assert_uint_eq(out[k].sampling, c == 0 ? 1 : 1000);
				pkts[c] += out[k].pkts;
				bytes[c] += out[k].bytes;
			}
			recs[c] += (size_t)n;
		}
	}
	ck_assert_uint_eq(recs[0], 4198);  /* captures README */
	ck_assert_uint_eq(recs[1], 4198);
	ck_assert_uint_eq(pkts[0], 4198);
	ck_assert_uint_eq(pkts[1], 1000 * pkts[0]);
	ck_assert_uint_eq(bytes[1], 1000 * bytes[0]);
}
END_TEST

static const struct dgram *
synth(uint32_t frame)
{
	ck_assert_uint_ge(cap_count[CAP_SYNTH], frame);
	return &dgs[cap_first[CAP_SYNTH] + frame - 1];
}

/* Values tshark cannot show, checked against make-sflow-synth.py's inputs. */
START_TEST(test_sflow5_synth_details)
{
	struct fw_flow out[MAX_OUT];
	struct fw_sflow5_info info;
	int n;

	/* 1: drops of both samples summed, one source (type 0, index 5). */
	n = decode(synth(1), out, MAX_OUT, &info);
	ck_assert_int_eq(n, 2);
	ck_assert_uint_eq(info.drops, 3 + 4);
	ck_assert_uint_eq(info.n_srcs, 1);
	ck_assert_uint_eq(info.srcs[0].source_id, 5);
	ck_assert_uint_eq(info.srcs[0].sample_seq, 2);
	ck_assert_uint_eq(info.srcs[0].sample_pool, 1024);
	ck_assert_uint_eq(info.srcs[0].drops, 4);
	ck_assert_uint_eq(info.skipped_records, 1);  /* extended switch */

	/* 4: IPv6 agent, sub-agent 7, the ARP sample gives no record. */
	n = decode(synth(4), out, MAX_OUT, &info);
	ck_assert_int_eq(n, 4);
	ck_assert_uint_eq(info.agent_af, 2);
	ck_assert_uint_eq(info.no_ip, 1);
	ck_assert_uint_eq(info.flow_samples, 5);
	for (int k = 0; k < n; k++)
		ck_assert_uint_eq(out[k].obs_domain, 7);

	/* 5: sampled records, vendor records and a vendor sample skipped,
	 * one expanded counter sample (source type 0 index 42). */
	n = decode(synth(5), out, MAX_OUT, &info);
	ck_assert_int_eq(n, 2);
	ck_assert_uint_eq(out[0].tcp_flags, 0);
	ck_assert_uint_eq(out[0].tos, 0x10);
	ck_assert_uint_eq(out[1].tcp_flags, 0x18);
	ck_assert_uint_eq(out[1].tos, 0);
	ck_assert_uint_eq(info.other_samples, 1);
	ck_assert_uint_eq(info.counter_samples, 1);
	ck_assert_uint_eq(info.skipped_records, 3);  /* vendor flow rec, ethernet ctrs, vendor ctrs */
	ck_assert_uint_eq(info.n_ifc, 1);
	ck_assert_uint_eq(info.ifc[0].source_id, 42);
	ck_assert_uint_eq(info.ifc[0].if_type, 6);
	ck_assert_uint_eq(info.ifc[0].if_direction, 1);
	ck_assert_uint_eq(info.ifc[0].if_status, 3);
}
END_TEST

/* An all-zero agent address falls back to the caller's exporter. */
START_TEST(test_sflow5_zero_agent_uses_udp_source)
{
	const struct dgram *d = synth(1);
	uint8_t *b = malloc(d->len);
	struct fw_addr udp_src;
	struct fw_flow out[MAX_OUT];
	struct fw_sflow5_info info;
	const uint8_t v4[4] = { 192, 0, 2, 99 };
	int n;

	ck_assert_ptr_nonnull(b);
	memcpy(b, d->buf, d->len);
	memset(b + 8, 0, 4);
	fw_addr_from_v4(&udp_src, v4);
	n = fw_sflow5_decode(b, d->len, &udp_src, 5, out, MAX_OUT, &info);
	ck_assert_int_eq(n, 2);
	ck_assert_mem_eq(out[0].exporter.b, udp_src.b, 16);
	n = fw_sflow5_decode(b, d->len, NULL, 5, out, MAX_OUT, &info);
	ck_assert_int_eq(n, 2);
	ck_assert_mem_eq(out[0].exporter.b, info.agent.b, 16);
	free(b);
}
END_TEST

/*
 * Every prefix of a real datagram: an error, or the first records of the
 * full decode unchanged (a sample is kept only when all its bytes are
 * there).  The prefix sits at the end of its own allocation so ASan sees
 * any read past it.
 */
static void
check_prefixes(const struct dgram *d)
{
	struct fw_flow full[MAX_OUT], out[MAX_OUT];
	struct fw_sflow5_info info;
	int nfull = decode(d, full, MAX_OUT, &info);
	uint8_t *b = malloc(d->len ? d->len : 1);

	ck_assert_ptr_nonnull(b);
	for (size_t l = 0; l < d->len; l++) {
		uint8_t *p = b + (d->len - l);
		int n;

		memcpy(p, d->buf, l);
		n = fw_sflow5_decode(p, l, NULL, d->ms, out, MAX_OUT, &info);
		/* Plain ifs: each ck_assert costs Check a write(2). */
		if (n < 0)
			continue;
		if (nfull < 0 || n > nfull)
			ck_abort_msg("frame %u prefix %zu: %d > %d", d->frame, l, n, nfull);
		if (memcmp(out, full, (size_t)n * sizeof(out[0])) != 0)
			ck_abort_msg("frame %u prefix %zu: records differ", d->frame, l);
		if (info.n_ifc > FW_SFLOW5_MAX_IFC)
			ck_abort_msg("frame %u prefix %zu: n_ifc %u", d->frame, l, info.n_ifc);
	}
	free(b);
}

/* One loop iteration per PREFIX_CHUNK datagrams of a capture: a fork per
 * datagram costs minutes under ASan (LeakSanitizer runs in every child). */
#define PREFIX_CHUNK 64

static size_t chunk_first[64], chunk_len[64], n_chunks;

START_TEST(test_sflow5_truncated_prefixes)
{
	for (size_t j = 0; j < chunk_len[_i]; j++)
		check_prefixes(&dgs[chunk_first[_i] + j]);
}
END_TEST

/* The datagram that crashed tcpdump: UDP length 16 (8 bytes of sFlow) in a
 * 914-byte frame.  tcpdump: "[length 8 < 28] (invalid)". */
START_TEST(test_sflow5_segv_capture)
{
	const struct dgram *d = &dgs[cap_first[CAP_SEGV]];
	struct fw_flow out[MAX_OUT];
	struct fw_sflow5_info info;
	int n;

	ck_assert_uint_eq(cap_count[CAP_SEGV], 1);
	ck_assert_uint_eq(d->len, 8);
	ck_assert_int_eq(decode(d, out, MAX_OUT, &info), FW_ETRUNC);
	/* The bytes past the UDP length hold the malformed samples themselves:
	 * decode them and every prefix, without sanitizer complaints. */
	for (size_t l = 0; l <= d->full_len; l++) {
		uint8_t *b = malloc(l ? l : 1);

		ck_assert_ptr_nonnull(b);
		memcpy(b, d->full, l);
		n = fw_sflow5_decode(b, l, NULL, 0, out, MAX_OUT, &info);
		if (n >= 0 && ((unsigned)n > info.samples || info.flow_samples + info.counter_samples +
		    info.other_samples + info.bad_samples > info.samples))
			ck_abort_msg("prefix %zu: %d records, counts exceed %u samples", l, n, info.samples);
		free(b);
	}
}
END_TEST

/* ---- hand-built datagrams ---- */

struct wb {
	uint8_t b[70000];
	size_t n;
};

static void
put32(struct wb *w, uint32_t v)
{
	ck_assert_uint_le(w->n + 4, sizeof(w->b));
	w->b[w->n++] = (uint8_t)(v >> 24);
	w->b[w->n++] = (uint8_t)(v >> 16);
	w->b[w->n++] = (uint8_t)(v >> 8);
	w->b[w->n++] = (uint8_t)v;
}

static void
patch32(struct wb *w, size_t at, uint32_t v)
{
	w->b[at] = (uint8_t)(v >> 24);
	w->b[at + 1] = (uint8_t)(v >> 16);
	w->b[at + 2] = (uint8_t)(v >> 8);
	w->b[at + 3] = (uint8_t)v;
}

/* Header with an IPv4 agent 192.0.2.1; returns the offset of num_samples. */
static size_t
hdr(struct wb *w, uint32_t nsamples)
{
	w->n = 0;
	put32(w, 5);
	put32(w, 1);
	put32(w, 0xc0000201);
	put32(w, 0);
	put32(w, 77);
	put32(w, 1000);
	put32(w, nsamples);
	return w->n - 4;
}

/* A compact flow sample holding one sampled IPv4 record (10.0.0.1 -> .2 UDP). */
static void
flow_v4(struct wb *w, uint32_t source_id, uint32_t rate, uint32_t nrec_claim)
{
	put32(w, 1);
	put32(w, 32 + 8 + 32);
	put32(w, 1);            /* seq */
	put32(w, source_id);
	put32(w, rate);
	put32(w, 100);          /* pool */
	put32(w, 0);            /* drops */
	put32(w, 1);            /* in */
	put32(w, 2);            /* out */
	put32(w, nrec_claim);
	put32(w, 3);
	put32(w, 32);
	put32(w, 100);          /* length */
	put32(w, 17);
	put32(w, 0x0a000001);
	put32(w, 0x0a000002);
	put32(w, 1000);
	put32(w, 53);
	put32(w, 0);
	put32(w, 0);
}

static void
counter_generic(struct wb *w, uint32_t ifindex)
{
	put32(w, 2);
	put32(w, 12 + 8 + 88);
	put32(w, 1);
	put32(w, ifindex);
	put32(w, 1);
	put32(w, 1);
	put32(w, 88);
	put32(w, ifindex);
	for (int i = 1; i < 22; i++)
		put32(w, (uint32_t)i);
}

static int
run(const struct wb *w, struct fw_flow *out, size_t max, struct fw_sflow5_info *info)
{
	return fw_sflow5_decode(w->b, w->n, NULL, 42, out, max, info);
}

START_TEST(test_sflow5_rejects_bad_headers)
{
	static struct wb w;
	struct fw_flow out[4];
	struct fw_sflow5_info info;

	hdr(&w, 0);
	ck_assert_int_eq(run(&w, out, 4, &info), 0);
	patch32(&w, 0, 4);
	ck_assert_int_eq(run(&w, out, 4, &info), FW_EMALFORMED);  /* version 4 */
	patch32(&w, 0, 0x00050001);
	ck_assert_int_eq(run(&w, out, 4, &info), FW_EMALFORMED);  /* "version 327681" */
	patch32(&w, 0, 5);
	patch32(&w, 4, 3);
	ck_assert_int_eq(run(&w, out, 4, &info), FW_EMALFORMED);  /* agent type 3 */
	patch32(&w, 4, 0);
	ck_assert_int_eq(run(&w, out, 4, &info), FW_EMALFORMED);
	patch32(&w, 4, 2);                                        /* IPv6 agent: 12 bytes short */
	ck_assert_int_eq(run(&w, out, 4, &info), FW_ETRUNC);
	ck_assert_int_eq(fw_sflow5_decode(w.b, w.n, NULL, 0, out, 4, NULL), FW_EINVAL);
	ck_assert_int_eq(fw_sflow5_decode(w.b, w.n, NULL, 0, NULL, 4, &info), FW_EINVAL);
	ck_assert_int_eq(fw_sflow5_decode(NULL, 0, NULL, 0, NULL, 0, &info), FW_ETRUNC);
}
END_TEST

START_TEST(test_sflow5_bad_sample_keeps_others)
{
	static struct wb w;
	struct fw_flow out[4];
	struct fw_sflow5_info info;
	size_t at;

	/* Sample 2 claims 2 records but holds 1: that sample is bad, 1 and 3 stay. */
	hdr(&w, 3);
	flow_v4(&w, 1, 10, 1);
	flow_v4(&w, 2, 10, 2);
	flow_v4(&w, 3, 10, 1);
	ck_assert_int_eq(run(&w, out, 4, &info), 2);
	ck_assert_uint_eq(info.bad_samples, 1);
	ck_assert_uint_eq(info.flow_samples, 2);
	ck_assert_uint_eq(out[0].pkts, 10);
	ck_assert_uint_eq(out[0].bytes, 1000);

	/* A record claiming more than its sample holds. */
	hdr(&w, 1);
	at = w.n;
	flow_v4(&w, 1, 10, 1);
	patch32(&w, at + 8 + 32 + 4, 36);
	ck_assert_int_eq(run(&w, out, 4, &info), 0);
	ck_assert_uint_eq(info.bad_samples, 1);

	/* A sample longer than the datagram ends decoding, keeps what came before. */
	hdr(&w, 3);
	flow_v4(&w, 1, 10, 1);
	at = w.n;
	flow_v4(&w, 2, 10, 1);
	patch32(&w, at + 4, 1000);
	ck_assert_int_eq(run(&w, out, 4, &info), 1);
	ck_assert_uint_eq(info.bad_samples, 2);

	/* More samples claimed than present. */
	hdr(&w, 5);
	flow_v4(&w, 1, 10, 1);
	ck_assert_int_eq(run(&w, out, 4, &info), 1);
	ck_assert_uint_eq(info.bad_samples, 4);

	/* Sampling rate 0 counts as 1 packet, sampling stays 0 (unknown). */
	hdr(&w, 1);
	flow_v4(&w, 1, 0, 1);
	ck_assert_int_eq(run(&w, out, 4, &info), 1);
	ck_assert_uint_eq(out[0].pkts, 1);
	ck_assert_uint_eq(out[0].sampling, 0);

	/* Sampled IPv4 record too short for its fields: a bad record, no IP. */
	hdr(&w, 1);
	at = w.n;
	flow_v4(&w, 1, 10, 1);
	patch32(&w, at + 8 + 32 + 4, 28);
	patch32(&w, at + 4, 32 + 8 + 28);
	w.n -= 4;
	ck_assert_int_eq(run(&w, out, 4, &info), 0);
	ck_assert_uint_eq(info.bad_records, 1);
	ck_assert_uint_eq(info.no_ip, 1);
	ck_assert_uint_eq(info.bad_samples, 0);

	/* Zero-length and unknown-enterprise samples are skipped by length. */
	hdr(&w, 3);
	put32(&w, 1);
	put32(&w, 0);
	put32(&w, 7 << 12 | 1);
	put32(&w, 4);
	put32(&w, 0);
	flow_v4(&w, 1, 10, 1);
	ck_assert_int_eq(run(&w, out, 4, &info), 1);
	ck_assert_uint_eq(info.bad_samples, 1);   /* flow sample of 0 bytes */
	ck_assert_uint_eq(info.other_samples, 1);

	/* A vendor sample of odd length is followed by XDR padding: skipped. */
	hdr(&w, 2);
	put32(&w, 7 << 12 | 1);
	put32(&w, 18);
	for (int i = 0; i < 5; i++)
		put32(&w, 0xeeeeeeee);  /* 18 bytes + 2 of padding */
	flow_v4(&w, 1, 10, 1);
	ck_assert_int_eq(run(&w, out, 4, &info), 1);
	ck_assert_uint_eq(info.other_samples, 1);
	ck_assert_uint_eq(info.bad_samples, 0);

	/* Raw header record whose header_length overruns the record. */
	hdr(&w, 1);
	put32(&w, 1);
	put32(&w, 32 + 8 + 16);
	for (int i = 0; i < 7; i++)
		put32(&w, 0);
	put32(&w, 1);       /* one record */
	put32(&w, 1);
	put32(&w, 16);
	put32(&w, 1);       /* Ethernet */
	put32(&w, 64);
	put32(&w, 4);
	put32(&w, 60);      /* header_length past the record */
	ck_assert_int_eq(run(&w, out, 4, &info), 0);
	ck_assert_uint_eq(info.bad_records, 1);
	ck_assert_uint_eq(info.no_ip, 1);
}
END_TEST

/* A discarded packet event (format 5, sflow_drops.txt): seq, source id
 * class and index, drops, input, output, reason, then flow records (here
 * one sampled IPv4 record of the dropped packet); nrec_claim may lie. */
static void
discard_event(struct wb *w, uint32_t nrec_claim)
{
	put32(w, 5);
	put32(w, 32 + 8 + 32);
	put32(w, 9);            /* seq */
	put32(w, 0);            /* source id class */
	put32(w, 3);            /* source id index */
	put32(w, 0);            /* drops */
	put32(w, 3);            /* input */
	put32(w, 0);            /* output */
	put32(w, 258);          /* reason: acl */
	put32(w, nrec_claim);
	put32(w, 3);
	put32(w, 32);
	put32(w, 100);
	put32(w, 17);
	put32(w, 0x0a000001);
	put32(w, 0x0a000002);
	put32(w, 1000);
	put32(w, 11211);
	put32(w, 0);
	put32(w, 0);
}

/*
 * Discarded packet events are rate-limited, not sampled: no record, but
 * framed, checked and counted; every sample is counted by type, an unknown
 * standard format and a vendor's sample included.
 */
START_TEST(test_sflow5_discard_and_types)
{
	static struct wb w;
	struct fw_flow out[8];
	struct fw_sflow5_info info;

	hdr(&w, 6);
	flow_v4(&w, 1, 10, 1);
	discard_event(&w, 1);
	counter_generic(&w, 4);
	put32(&w, 9);                   /* an unknown standard sample format */
	put32(&w, 4);
	put32(&w, 0);
	put32(&w, 4300u << 12 | 1);     /* a vendor's sample */
	put32(&w, 4);
	put32(&w, 0);
	discard_event(&w, 2);           /* claims 2 records, holds 1: bad */
	ck_assert_int_eq(run(&w, out, 8, &info), 1);
	ck_assert_uint_eq(out[0].dport, 53);
	ck_assert_uint_eq(info.discard_samples, 1);
	ck_assert_uint_eq(info.bad_samples, 1);
	ck_assert_uint_eq(info.other_samples, 2);
	ck_assert_uint_eq(info.by_type[FW_SFLOW5_S_FLOW], 1);
	ck_assert_uint_eq(info.by_type[FW_SFLOW5_S_COUNTER], 1);
	ck_assert_uint_eq(info.by_type[FW_SFLOW5_S_DISCARD], 2);
	ck_assert_uint_eq(info.by_type[FW_SFLOW5_S_OTHER], 1);
	ck_assert_uint_eq(info.by_type[FW_SFLOW5_S_ENTERPRISE], 1);
	ck_assert_str_eq(fw_sflow5_sample_type_name(FW_SFLOW5_S_DISCARD), "discard");
	ck_assert_str_eq(fw_sflow5_sample_type_name(FW_SFLOW5_S_N), "other");
	/* Too many records claimed: the sample is rejected, the rest stays. */
	hdr(&w, 2);
	discard_event(&w, FW_SFLOW5_MAX_RECORDS + 1);
	flow_v4(&w, 1, 10, 1);
	ck_assert_int_eq(run(&w, out, 8, &info), 1);
	ck_assert_uint_eq(info.bad_samples, 1);
	ck_assert_uint_eq(info.discard_samples, 0);
}
END_TEST

START_TEST(test_sflow5_limits)
{
	static struct wb w;
	struct fw_flow out[8];
	static struct fw_sflow5_info info;

	/* Samples: 512 accepted, 513 rejected whole. */
	hdr(&w, FW_SFLOW5_MAX_SAMPLES);
	for (int i = 0; i < FW_SFLOW5_MAX_SAMPLES; i++) {
		put32(&w, 6);  /* unknown format, 0 bytes (5 is a discard event) */
		put32(&w, 0);
	}
	ck_assert_int_eq(run(&w, out, 8, &info), 0);
	ck_assert_uint_eq(info.other_samples, FW_SFLOW5_MAX_SAMPLES);
	patch32(&w, 24, FW_SFLOW5_MAX_SAMPLES + 1);
	ck_assert_int_eq(run(&w, out, 8, &info), FW_EMALFORMED);
	patch32(&w, 24, 0xffffffff);
	ck_assert_int_eq(run(&w, out, 8, &info), FW_EMALFORMED);

	/* Records: 64 accepted, 65 rejected (the sample only). */
	for (uint32_t nrec = FW_SFLOW5_MAX_RECORDS; nrec <= FW_SFLOW5_MAX_RECORDS + 1; nrec++) {
		hdr(&w, 1);
		put32(&w, 1);
		put32(&w, 32 + nrec * 8);
		for (int i = 0; i < 7; i++)
			put32(&w, 1);
		put32(&w, nrec);
		for (uint32_t i = 0; i < nrec; i++) {
			put32(&w, 1001);
			put32(&w, 0);
		}
		ck_assert_int_eq(run(&w, out, 8, &info), 0);
		ck_assert_uint_eq(info.bad_samples, nrec > FW_SFLOW5_MAX_RECORDS);
		ck_assert_uint_eq(info.skipped_records, nrec > FW_SFLOW5_MAX_RECORDS ? 0 : nrec);
	}

	/* out full: records counted, never written past max. */
	hdr(&w, 10);
	for (uint32_t i = 0; i < 10; i++)
		flow_v4(&w, i, 1, 1);
	memset(out, 0xa5, sizeof(out));
	ck_assert_int_eq(run(&w, out, 3, &info), 3);
	ck_assert_uint_eq(info.out_full, 7);
	ck_assert_uint_eq(out[3].src.b[0], 0xa5);  /* untouched */
	ck_assert_int_eq(run(&w, NULL, 0, &info), 0);
	ck_assert_uint_eq(info.out_full, 10);

	/* Sources: 16 kept, the rest counted. */
	hdr(&w, 20);
	for (uint32_t i = 0; i < 20; i++)
		flow_v4(&w, i, 1, 1);
	ck_assert_int_eq(run(&w, out, 8, &info), 8);
	ck_assert_uint_eq(info.n_srcs, FW_SFLOW5_MAX_SRCS);
	ck_assert_uint_eq(info.srcs_dropped, 20 - FW_SFLOW5_MAX_SRCS);

	/* Generic counters: 32 kept, the rest counted. */
	hdr(&w, 40);
	for (uint32_t i = 0; i < 40; i++)
		counter_generic(&w, 100 + i);
	ck_assert_int_eq(run(&w, out, 8, &info), 0);
	ck_assert_uint_eq(info.counter_samples, 40);
	ck_assert_uint_eq(info.generic_counters, 40);
	ck_assert_uint_eq(info.n_ifc, FW_SFLOW5_MAX_IFC);
	ck_assert_uint_eq(info.ifc_dropped, 40 - FW_SFLOW5_MAX_IFC);
	ck_assert_uint_eq(info.ifc[31].if_index, 131);
	ck_assert_uint_eq(info.ifc[0].if_speed, (uint64_t)2 << 32 | 3);
}
END_TEST

static Suite *
sflow5_suite(void)
{
	Suite *s = suite_create("sflow5");
	TCase *tc;

	tc = tcase_create("valid");
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_sflow5_capture_matches_tshark, 0, N_CAPS);
	tcase_add_loop_test(tc, test_sflow5_matches_tcpdump_out, 0, (int)(sizeof(out_caps) / sizeof(out_caps[0])));
	tcase_add_test(tc, test_sflow5_sampling_rate_scales);
	tcase_add_test(tc, test_sflow5_synth_details);
	tcase_add_test(tc, test_sflow5_zero_agent_uses_udp_source);
	suite_add_tcase(s, tc);

	tc = tcase_create("truncated");
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_sflow5_truncated_prefixes, 0, (int)n_chunks);
	tcase_add_test(tc, test_sflow5_segv_capture);
	suite_add_tcase(s, tc);

	tc = tcase_create("malformed");
	tcase_add_test(tc, test_sflow5_rejects_bad_headers);
	tcase_add_test(tc, test_sflow5_bad_sample_keeps_others);
	tcase_add_test(tc, test_sflow5_discard_and_types);
	suite_add_tcase(s, tc);

	tc = tcase_create("limits");
	tcase_add_test(tc, test_sflow5_limits);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr;
	int failed;

	if (getenv("FW_TEST_DATA") != NULL)
		data_dir = getenv("FW_TEST_DATA");
	for (int c = 0; c < N_CAPS; c++) {
		load_capture(c);
		load_tsv(c);
		for (size_t j = 0; j < cap_count[c]; j += PREFIX_CHUNK) {
			if (n_chunks == sizeof(chunk_first) / sizeof(chunk_first[0]))
				die("too many datagrams for", cap_names[c]);
			chunk_first[n_chunks] = cap_first[c] + j;
			chunk_len[n_chunks++] = cap_count[c] - j < PREFIX_CHUNK ? cap_count[c] - j : PREFIX_CHUNK;
		}
	}
	sr = srunner_create(sflow5_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	for (size_t i = 0; i < n_dgs; i++) {
		free(dgs[i].buf);
		free(dgs[i].full);
	}
	free(dgs);
	for (int c = 0; c < N_CAPS; c++)
		free(rows[c]);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
