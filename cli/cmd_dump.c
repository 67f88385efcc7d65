/*
 * cmd_dump.c - `floodwatch dump`: every record the collector decodes, one
 * per line, from capture files, query logs and dnstap files (the readers of
 * `replay`, cli/input.c) or from live UDP sockets (the listeners of `run`);
 * or, with --summary, per-exporter totals.  For an operator asking "what
 * did my router send, and what did Floodwatch make of it?".
 *
 * Design: the producers are the collector's own (fw_replay_files() and the
 * decoder for files, fw_listener for sockets) and push into SPSC rings as
 * they do for the detector; one consumer thread here pops the rings and
 * prints.  So dump shows exactly the records `run` and `replay` feed the
 * detector, sampling already applied.  Files: the reader waits when a ring
 * is full (nothing lost); live: a full ring drops and the drop is reported.
 *
 * Output: text (aligned columns, like `nfdump -r`), --json (one object per
 * line, jansson; names from the wire sanitised to valid UTF-8 with control
 * bytes as \xNN) or --csv (header line, RFC 4180 quoting).  Exit status as
 * replay: 0 something read, 2 usage or missing file, 3 nothing readable.
 *
 * Threads: main (readers / listener control, summary) and the consumer
 * (printing, summary table).  The summary table is the consumer's until it
 * is joined.
 */
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_int.h"
#include "fw_listener.h"
#include "fw_log.h"
#include "fw_querylog.h"
#include "fw_time.h"

#define MAX_LISTEN 16              /* --listen sockets */
#define SUM_MAX 4096               /* exporters in the summary table (more: "others") */
#define SUM_RATES 4                /* distinct sampling rates kept per exporter */

enum out_fmt { OUT_TEXT, OUT_JSON, OUT_CSV };

/* Per-exporter totals: key (format, exporter, domain). */
struct sum_ent {
	uint8_t used;
	uint8_t format;            /* enum fw_flow_src, or 0x80 | enum fw_dns_src for DNS */
	struct fw_addr addr;       /* exporter / agent; DNS: server */
	uint32_t domain;
	uint64_t records, pkts, bytes;
	int64_t first_ms, last_ms;
	uint32_t rate[SUM_RATES];  /* sampling rates seen (0 = unknown) */
	uint64_t rate_n[SUM_RATES];
	uint64_t rates_other;      /* records with a rate beyond SUM_RATES */
	/* from the decoder, after the run */
	uint64_t templates, datagrams, seq_lost;
	uint64_t err[FW_DEC_NREASONS];
	uint64_t implausible, zero_dst, bad_samples;
	uint64_t discard_samples, other_samples;  /* sFlow: events and skipped types */
	uint64_t reverse_records, packet_reports; /* IPFIX: biflow reverses, PSAMP packets */
	int64_t p50_ms, p99_ms;    /* record durations, -1 unknown */
};

struct dump {
	enum out_fmt fmt;
	bool summary;
	uint64_t limit;            /* --count: records to print, 0 = all */
	size_t nrings;
	struct fw_ring *flows[MAX_LISTEN];
	struct fw_ring *dns[MAX_LISTEN];
	_Atomic int stop;          /* main: producers are done, drain and end */
	_Atomic int full;          /* consumer: --count reached */
	uint64_t printed;
	bool flow_head, dns_head;  /* text: header printed */
	struct sum_ent *sum;       /* SUM_MAX slots, open addressing */
	size_t nsum;               /* slots used */
	uint64_t sum_dropped;      /* records of exporters past the table */
	struct fw_ipfrag_stats fs; /* files: fragment reassembly */
	struct fw_dnstcp_stats ts; /* files: DNS over TCP */
};

static volatile sig_atomic_t interrupted;

static void
on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

static const char *
flow_format(uint8_t src)
{
	switch (src) {
	case FW_SRC_NF5: return "nf5";
	case FW_SRC_NF9: return "nf9";
	case FW_SRC_IPFIX: return "ipfix";
	case FW_SRC_SFLOW: return "sflow";
	default: return "flow";
	}
}

static const char *
dns_source(uint8_t src)
{
	switch (src) {
	case FW_DNS_QUERYLOG: return "querylog";
	case FW_DNS_DNSTAP: return "dnstap";
	case FW_DNS_NFLOG: return "nflog";
	case FW_DNS_PCAP: return "pcap";
	default: return "dns";
	}
}

static const char *
proto_name(uint8_t p, char *buf, size_t len)
{
	switch (p) {
	case 1: return "ICMP";
	case 6: return "TCP";
	case 17: return "UDP";
	case 47: return "GRE";
	case 50: return "ESP";
	case 58: return "ICMP6";
	case 132: return "SCTP";
	default: snprintf(buf, len, "%u", p); return buf;
	}
}

static const char *
rcode_name(uint8_t rc, char *buf, size_t len)
{
	static const char *const names[] = { "NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP",
		"REFUSED", "YXDOMAIN", "YXRRSET", "NXRRSET", "NOTAUTH", "NOTZONE" };

	if (rc == FW_RCODE_NONE)
		return "-";
	if (rc < sizeof(names) / sizeof(names[0]))
		return names[rc];
	snprintf(buf, len, "RCODE%u", rc);
	return buf;
}

/* nfdump's flag string: UAPRSF, '.' for clear bits (CWR/ECE as C/E). */
static void
tcp_flags_text(uint8_t f, char out[9])
{
	static const char letters[] = "CEUAPRSF";

	for (int i = 0; i < 8; i++)
		out[i] = (f & (0x80 >> i)) ? letters[i] : '.';
	out[8] = '\0';
}

static void
addr_port(const struct fw_addr *a, uint16_t port, char *out, size_t len)
{
	char s[64];

	fw_addr_format(a, s, sizeof(s));
	if (strchr(s, ':') != NULL)
		snprintf(out, len, "[%s]:%u", s, port);
	else
		snprintf(out, len, "%s:%u", s, port);
}

/* One CSV field, quoted when RFC 4180 asks for it. */
static void
csv_field(const char *s, bool last)
{
	if (strpbrk(s, ",\"\r\n") != NULL) {
		putchar('"');
		for (; *s != '\0'; s++) {
			if (*s == '"')
				putchar('"');
			putchar(*s);
		}
		putchar('"');
	} else {
		fputs(s, stdout);
	}
	putchar(last ? '\n' : ',');
}

#define CSV_HEADER "time,format,exporter,domain,sampling,src,sport,dst,dport,proto,tcp_flags," \
	"packets,bytes,duration_ms,client,server,qname,qtype,rcode,direction,source,transport"

static void
print_flow(struct dump *d, const struct fw_flow *f)
{
	char t[FW_TIME_TEXT_LEN], ex[64], src[64], dst[64], pb[8], fl[9];
	int64_t dur = f->end_ms > f->start_ms ? f->end_ms - f->start_ms : 0;

	fw_time_format(f->end_ms, t);
	fw_addr_format(&f->exporter, ex, sizeof(ex));
	fw_addr_format(&f->src, src, sizeof(src));
	fw_addr_format(&f->dst, dst, sizeof(dst));
	if (d->fmt == OUT_CSV) {
		printf("%s,%s,%s,%" PRIu32 ",%" PRIu32 ",%s,%u,%s,%u,%u,%u,%" PRIu64 ",%" PRIu64 ",%" PRId64
		    ",,,,,,,,\n", t, flow_format(f->source), ex, f->obs_domain, f->sampling, src, f->sport, dst,
		    f->dport, f->proto, f->tcp_flags, f->pkts, f->bytes, dur);
	} else if (d->fmt == OUT_JSON) {
		json_t *o = json_pack("{s:s,s:s,s:s,s:I,s:I,s:s,s:i,s:s,s:i,s:i,s:i,s:I,s:I,s:I}",
		    "time", t, "format", flow_format(f->source), "exporter", ex, "domain", (json_int_t)f->obs_domain,
		    "sampling", (json_int_t)f->sampling, "src", src, "sport", f->sport, "dst", dst, "dport", f->dport,
		    "proto", f->proto, "tcp_flags", f->tcp_flags, "packets", (json_int_t)f->pkts,
		    "bytes", (json_int_t)f->bytes, "duration_ms", (json_int_t)dur);

		(void)cli_print_json(o);
	} else {
		char sa[80], da[80];

		if (!d->flow_head) {
			printf("%-24s %-5s %-15s %6s %5s %-5s %-26s    %-26s %-8s %10s %12s %9s\n", "Time (end, UTC)",
			    "Fmt", "Exporter", "Domain", "Rate", "Proto", "Src IP Addr:Port", "Dst IP Addr:Port",
			    "Flags", "Packets", "Bytes", "Duration");
			d->flow_head = true;
		}
		addr_port(&f->src, f->sport, sa, sizeof(sa));
		addr_port(&f->dst, f->dport, da, sizeof(da));
		tcp_flags_text(f->tcp_flags, fl);
		printf("%-24s %-5s %-15s %6" PRIu32 " %5" PRIu32 " %-5s %-26s -> %-26s %-8s %10" PRIu64 " %12" PRIu64
		    " %9.3f\n", t, flow_format(f->source), ex, f->obs_domain, f->sampling,
		    proto_name(f->proto, pb, sizeof(pb)), sa, da, f->proto == 6 ? fl : "", f->pkts, f->bytes,
		    (double)dur / 1000.0);
	}
}

static void
print_dns(struct dump *d, const struct fw_dnsq *q)
{
	char t[FW_TIME_TEXT_LEN], cl[64], sv[64], tb[16], rb[16];
	char name[FW_QNAME_MAX * 4 + 8];
	const char *dir = (q->flags & FW_DNSQ_F_RESPONSE) ? "response" : "query";

	fw_time_format(q->time_ms, t);
	fw_addr_format(&q->client, cl, sizeof(cl));
	fw_addr_format(&q->server, sv, sizeof(sv));
	/* The qname is the sender's choice: valid UTF-8, no control bytes. */
	cli_terminal_text(q->qname, name, sizeof(name));
	if (d->fmt == OUT_CSV) {
		char rc[8] = "";

		if (q->rcode != FW_RCODE_NONE)
			snprintf(rc, sizeof(rc), "%u", q->rcode);
		printf("%s,dns,,,,,,,,,,,,,%s,%s,", t, cl, sv);
		csv_field(name, false);
		printf("%u,%s,%s,%s,%s\n", q->qtype, rc, dir, dns_source(q->source),
		    (q->flags & FW_DNSQ_F_TCP) ? "tcp" : "udp");
	} else if (d->fmt == OUT_JSON) {
		json_t *o = json_pack("{s:s,s:s,s:s,s:s,s:s,s:i,s:s,s:s,s:b}", "time", t, "format", "dns",
		    "client", cl, "server", sv, "qname", name, "qtype", q->qtype, "direction", dir,
		    "source", dns_source(q->source), "tcp", (q->flags & FW_DNSQ_F_TCP) != 0);

		if (o != NULL && q->rcode != FW_RCODE_NONE)
			(void)json_object_set_new(o, "rcode", json_integer(q->rcode));
		(void)cli_print_json(o);
	} else {
		if (!d->dns_head) {
			printf("%-24s %-8s %-39s    %-39s %-8s %-8s %-8s %s\n", "Time (UTC)", "Source", "Client",
			    "Server", "Dir", "Qtype", "Rcode", "Qname");
			d->dns_head = true;
		}
		printf("%-24s %-8s %-39s -> %-39s %-8s %-8s %-8s %s\n", t, dns_source(q->source), cl, sv, dir,
		    fw_querylog_type_name(q->qtype, tb, sizeof(tb)), rcode_name(q->rcode, rb, sizeof(rb)), name);
	}
}

/* ---- summary table ---- */

static struct sum_ent *
sum_get(struct dump *d, uint8_t format, const struct fw_addr *a, uint32_t domain)
{
	uint64_t h = 1469598103934665603ULL;

	for (int i = 0; i < 16; i++)
		h = (h ^ a->b[i]) * 1099511628211ULL;
	h = ((h ^ domain) * 1099511628211ULL ^ format) * 1099511628211ULL;
	for (size_t i = 0; i < SUM_MAX; i++) {
		struct sum_ent *e = &d->sum[(h + i) & (SUM_MAX - 1)];

		if (!e->used) {
			if (d->nsum >= SUM_MAX * 3 / 4)
				return NULL;  /* keep probes short: 3/4 full is full */
			d->nsum++;
			memset(e, 0, sizeof(*e));
			e->used = 1;
			e->format = format;
			e->addr = *a;
			e->domain = domain;
			e->p50_ms = e->p99_ms = -1;
			return e;
		}
		if (e->format == format && e->domain == domain && memcmp(&e->addr, a, sizeof(*a)) == 0)
			return e;
	}
	return NULL;
}

static void
sum_record(struct sum_ent *e, int64_t t, uint64_t pkts, uint64_t bytes, uint32_t rate)
{
	if (e->records == 0 || t < e->first_ms)
		e->first_ms = t;
	if (t > e->last_ms)
		e->last_ms = t;
	e->records++;
	e->pkts += pkts;
	e->bytes += bytes;
	for (int i = 0; i < SUM_RATES; i++) {
		if (e->rate_n[i] == 0)
			e->rate[i] = rate;
		if (e->rate[i] == rate) {
			e->rate_n[i]++;
			return;
		}
	}
	e->rates_other++;
}

static void
take_flows(struct dump *d, const struct fw_flow *f, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (d->summary) {
			struct sum_ent *e = sum_get(d, f[i].source, &f[i].exporter, f[i].obs_domain);

			if (e == NULL)
				d->sum_dropped++;
			else
				sum_record(e, f[i].end_ms, f[i].pkts, f[i].bytes, f[i].sampling);
			continue;
		}
		if (d->limit > 0 && d->printed >= d->limit)
			return;
		print_flow(d, &f[i]);
		d->printed++;
	}
}

static void
take_dns(struct dump *d, const struct fw_dnsq *q, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (d->summary) {
			struct sum_ent *e = sum_get(d, (uint8_t)(0x80 | q[i].source), &q[i].server, 0);

			if (e == NULL)
				d->sum_dropped++;
			else
				sum_record(e, q[i].time_ms, 0, 0, 0);
			continue;
		}
		if (d->limit > 0 && d->printed >= d->limit)
			return;
		print_dns(d, &q[i]);
		d->printed++;
	}
}

/* The consumer: pops every ring until main says stop and they are empty. */
static void *
consumer(void *arg)
{
	struct dump *d = arg;
	static struct fw_flow fb[256];
	static struct fw_dnsq qb[64];

	for (;;) {
		int stop = atomic_load_explicit(&d->stop, memory_order_acquire);
		size_t got = 0;

		for (size_t r = 0; r < d->nrings; r++) {
			size_t n = fw_ring_sc_pop_burst(d->flows[r], fb, sizeof(fb) / sizeof(fb[0]));

			take_flows(d, fb, n);
			got += n;
			n = fw_ring_sc_pop_burst(d->dns[r], qb, sizeof(qb) / sizeof(qb[0]));
			take_dns(d, qb, n);
			got += n;
		}
		if (d->limit > 0 && d->printed >= d->limit)
			atomic_store_explicit(&d->full, 1, memory_order_release);
		if (got == 0) {
			if (stop)
				break;
			(void)fw_time_sleep_ms(1);
		}
	}
	fflush(stdout);
	return NULL;
}

/* ---- what the decoders know, per exporter (after the run) ---- */

static void
merge_tmpl(void *ctx, const struct fw_flow_exporter *x)
{
	struct dump *d = ctx;
	struct sum_ent *e = sum_get(d, x->version == 9 ? FW_SRC_NF9 : FW_SRC_IPFIX, &x->addr, x->domain);

	if (e == NULL)
		return;
	e->templates += x->templates;
	e->reverse_records += x->reverse_records;
	e->packet_reports += x->packet_reports;
	e->datagrams += x->datagrams;
	e->seq_lost += x->seq_lost;
	for (int r = 0; r < FW_DEC_NREASONS; r++)
		e->err[r] += x->err[r];
}

static uint8_t
kind_src(uint8_t kind)
{
	switch (kind) {
	case FW_PAYLOAD_NF5: return FW_SRC_NF5;
	case FW_PAYLOAD_NF9: return FW_SRC_NF9;
	case FW_PAYLOAD_IPFIX: return FW_SRC_IPFIX;
	case FW_PAYLOAD_SFLOW5: return FW_SRC_SFLOW;
	default: return 0;
	}
}

/* Flow profiles are per (exporter, format): they go to every domain of it. */
static void
merge_decoder(void *ctx, struct fw_decoder *dec)
{
	struct dump *d = ctx;
	const struct fw_flow_profile *prof;
	const struct fw_sflow_agent *ag;
	size_t np = fw_decoder_flow_profiles(dec, &prof);
	size_t na = fw_decoder_sflow_agents(dec, &ag);

	(void)fw_tmpl_exporters_each(fw_decoder_templates(dec), merge_tmpl, d);
	for (size_t i = 0; i < na; i++) {
		struct sum_ent *e = sum_get(d, FW_SRC_SFLOW, &ag[i].addr, ag[i].sub_agent);

		if (e == NULL)
			continue;
		e->datagrams += ag[i].datagrams;
		e->seq_lost += ag[i].seq_lost;
		e->bad_samples += ag[i].bad_samples;
		e->discard_samples += ag[i].discard_samples;
		e->other_samples += ag[i].other_samples;
	}
	for (size_t i = 0; i < np; i++) {
		uint8_t src = kind_src(prof[i].kind);
		bool found = false;

		for (size_t k = 0; k < SUM_MAX; k++) {
			struct sum_ent *e = &d->sum[k];

			if (!e->used || e->format != src || memcmp(&e->addr, &prof[i].addr, sizeof(e->addr)) != 0)
				continue;
			if (!found) {   /* the drops once, on the first domain */
				e->implausible += prof[i].implausible;
				e->zero_dst += prof[i].zero_dst;
			}
			found = true;
			e->p50_ms = fw_flow_profile_duration_ms(&prof[i], 0.5);
			e->p99_ms = fw_flow_profile_duration_ms(&prof[i], 0.99);
		}
		/* sFlow profiles are per datagram source, rows per agent: a row
		 * of its own only for drops that would otherwise go unseen. */
		if (!found && src != 0 && prof[i].implausible + prof[i].zero_dst > 0) {
			struct sum_ent *e = sum_get(d, src, &prof[i].addr, 0);

			if (e != NULL) {
				e->implausible += prof[i].implausible;
				e->zero_dst += prof[i].zero_dst;
			}
		}
	}
}

static json_t *
sum_json(const struct sum_ent *e)
{
	char a[64], f[FW_TIME_TEXT_LEN], l[FW_TIME_TEXT_LEN];
	bool dns = (e->format & 0x80) != 0;
	json_t *o, *rates, *errs;

	fw_addr_format(&e->addr, a, sizeof(a));
	fw_time_format(e->first_ms, f);
	fw_time_format(e->last_ms, l);
	if (dns)
		return json_pack("{s:s,s:s,s:s,s:I,s:s,s:s}", "format", "dns", "source",
		    dns_source(e->format & 0x7f), "server", a, "records", (json_int_t)e->records,
		    "first", e->records ? f : "", "last", e->records ? l : "");
	o = json_pack("{s:s,s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:s,s:s}", "format", flow_format(e->format),
	    "exporter", a, "domain", (json_int_t)e->domain, "records", (json_int_t)e->records,
	    "packets", (json_int_t)e->pkts, "bytes", (json_int_t)e->bytes, "datagrams",
	    (json_int_t)e->datagrams, "sequence_lost", (json_int_t)e->seq_lost,
	    "first", e->records ? f : "", "last", e->records ? l : "");
	rates = json_object();
	errs = json_object();
	if (o == NULL || rates == NULL || errs == NULL) {
		json_decref(o);
		json_decref(rates);
		json_decref(errs);
		return NULL;
	}
	for (int i = 0; i < SUM_RATES && e->rate_n[i] > 0; i++) {
		char k[16];

		snprintf(k, sizeof(k), "%" PRIu32, e->rate[i]);
		(void)json_object_set_new(rates, k, json_integer((json_int_t)e->rate_n[i]));
	}
	if (e->rates_other > 0)
		(void)json_object_set_new(rates, "other", json_integer((json_int_t)e->rates_other));
	(void)json_object_set_new(o, "sampling", rates);
	if (e->format == FW_SRC_NF9 || e->format == FW_SRC_IPFIX) {
		(void)json_object_set_new(o, "templates", json_integer((json_int_t)e->templates));
		/* of the records: biflows' reverse directions, single sampled packets */
		(void)json_object_set_new(o, "reverse_records", json_integer((json_int_t)e->reverse_records));
		(void)json_object_set_new(o, "packet_reports", json_integer((json_int_t)e->packet_reports));
	}
	if (e->format == FW_SRC_SFLOW) {
		/* samples that give no record: drop events, types not decoded */
		(void)json_object_set_new(o, "discard_samples", json_integer((json_int_t)e->discard_samples));
		(void)json_object_set_new(o, "other_samples", json_integer((json_int_t)e->other_samples));
	}
	if (e->p50_ms >= 0) {
		(void)json_object_set_new(o, "duration_p50_ms", json_integer(e->p50_ms));
		(void)json_object_set_new(o, "duration_p99_ms", json_integer(e->p99_ms));
	}
	for (int r = 0; r < FW_DEC_NREASONS; r++)
		if (e->err[r] > 0 && r != FW_DEC_NO_TEMPLATE)  /* buffered, not lost: undecodable counts */
			(void)json_object_set_new(errs, fw_dec_reason_name((enum fw_dec_reason)r),
			    json_integer((json_int_t)e->err[r]));
	if (e->implausible > 0)
		(void)json_object_set_new(errs, "implausible", json_integer((json_int_t)e->implausible));
	if (e->zero_dst > 0)
		(void)json_object_set_new(errs, "zero_dst", json_integer((json_int_t)e->zero_dst));
	if (e->bad_samples > 0)
		(void)json_object_set_new(errs, "bad_samples", json_integer((json_int_t)e->bad_samples));
	(void)json_object_set_new(o, "errors", errs);
	return o;
}

/* One summary line of text: the JSON object's members as key=value. */
static void
sum_text(json_t *o)
{
	const char *k;
	json_t *v;
	bool first = true;

	json_object_foreach(o, k, v) {
		char *s = NULL;

		if (json_is_object(v) && json_object_size(v) == 0)
			s = strdup("none");
		else if (json_is_object(v)) {
			const char *k2;
			json_t *v2;
			size_t len = 0;
			char buf[1024];

			buf[0] = '\0';
			json_object_foreach(v, k2, v2) {
				int w = snprintf(buf + len, sizeof(buf) - len, "%s%s:%" JSON_INTEGER_FORMAT,
				    len ? "," : "", k2, json_integer_value(v2));
				if (w < 0 || (size_t)w >= sizeof(buf) - len)
					break;
				len += (size_t)w;
			}
			s = strdup(buf);
		} else if (json_is_string(v)) {
			s = strdup(json_string_value(v));
		} else {
			s = json_dumps(v, JSON_ENCODE_ANY);
		}
		printf("%s%s=%s", first ? "" : " ", k, s != NULL ? s : "?");
		free(s);
		first = false;
	}
	printf("\n");
}

static int
sum_cmp(const void *a, const void *b)
{
	const struct sum_ent *x = a, *y = b;
	int c;

	if (x->used != y->used)
		return x->used ? -1 : 1;
	if (x->format != y->format)
		return x->format < y->format ? -1 : 1;
	if ((c = memcmp(&x->addr, &y->addr, sizeof(x->addr))) != 0)
		return c;
	return x->domain < y->domain ? -1 : x->domain > y->domain;
}

/* One summary object: the counters of a reassembly stage and its drops. */
static void
reasm_line(struct dump *d, const char *stage, const char *const *names, const uint64_t *vals, size_t n,
    const uint64_t *drops, size_t ndrops, const char *(*drop_name)(int))
{
	json_t *o = json_pack("{s:s}", "reassembly", stage), *errs = json_object();

	if (o == NULL || errs == NULL) {
		json_decref(o);
		json_decref(errs);
		return;
	}
	for (size_t i = 0; i < n; i++)
		(void)json_object_set_new(o, names[i], json_integer((json_int_t)vals[i]));
	for (size_t i = 0; i < ndrops; i++)
		if (drops[i] > 0)
			(void)json_object_set_new(errs, drop_name((int)i), json_integer((json_int_t)drops[i]));
	(void)json_object_set_new(o, "drops", errs);
	if (d->fmt == OUT_TEXT)
		sum_text(o);
	else
		(void)cli_print_json(json_incref(o));
	json_decref(o);
}

static const char *
frag_drop_name(int r)
{
	return fw_ipfrag_drop_name((enum fw_ipfrag_drop)r);
}

static const char *
tcp_drop_name(int r)
{
	return fw_dnstcp_drop_name((enum fw_dnstcp_drop)r);
}

/* Fragments and DNS over TCP of capture files, when there were any. */
static void
reasm_summary(struct dump *d)
{
	static const char *const fn[] = { "fragments", "reassembled", "duplicates", "other_proto" };
	static const char *const tn[] = { "segments", "messages", "clipped", "retransmits" };
	uint64_t fv[] = { d->fs.fragments, d->fs.reassembled, d->fs.duplicates, d->fs.other_proto };
	uint64_t tv[] = { d->ts.segments, d->ts.messages, d->ts.clipped, d->ts.retransmits };

	if (d->fs.fragments > 0)
		reasm_line(d, "ipfrag", fn, fv, 4, d->fs.drops, FW_IPFRAG_DROP_N, frag_drop_name);
	if (d->ts.segments > 0)
		reasm_line(d, "dnstcp", tn, tv, 4, d->ts.drops, FW_DNSTCP_DROP_N, tcp_drop_name);
}

/* Ends the table's use as a hash table: sorted by format, address, domain. */
static void
print_summary(struct dump *d, const struct fw_decode_stats *ds)
{
	qsort(d->sum, SUM_MAX, sizeof(*d->sum), sum_cmp);
	for (size_t i = 0; i < d->nsum; i++) {
		json_t *o;

		if ((o = sum_json(&d->sum[i])) == NULL)
			continue;
		if (d->fmt == OUT_TEXT)
			sum_text(o);
		else if (d->fmt == OUT_JSON)
			(void)cli_print_json(json_incref(o));
		json_decref(o);
	}
	/* Per format, errors of datagrams no exporter row holds (rejected whole). */
	for (int k = 0; k < FW_PAYLOAD_KINDS; k++) {
		json_t *o, *errs;

		if (ds->datagrams[k] == 0)
			continue;
		o = json_pack("{s:s,s:I,s:I}", "format_total", fw_pkt_kind_name(k), "datagrams",
		    (json_int_t)ds->datagrams[k], "records", (json_int_t)ds->records[k]);
		errs = json_object();
		for (int j = 0; j < FW_DERR_N && errs != NULL; j++)
			if (ds->errors[k][j] > 0)
				(void)json_object_set_new(errs, fw_derr_name(j), json_integer((json_int_t)ds->errors[k][j]));
		if (o == NULL || errs == NULL) {
			json_decref(o);
			json_decref(errs);
			continue;
		}
		(void)json_object_set_new(o, "errors", errs);
		if (k == FW_PAYLOAD_SFLOW5) {
			json_t *st = json_object();

			for (int t = 0; t < FW_SFLOW5_S_N && st != NULL; t++)
				(void)json_object_set_new(st, fw_sflow5_sample_type_name((enum fw_sflow5_sample_type)t),
				    json_integer((json_int_t)ds->sflow_samples[t]));
			if (st != NULL)
				(void)json_object_set_new(o, "samples", st);
			(void)json_object_set_new(o, "records_skipped", json_integer((json_int_t)ds->sflow_records_skipped));
		}
		if (d->fmt == OUT_TEXT)
			sum_text(o);
		else
			(void)cli_print_json(json_incref(o));
		json_decref(o);
	}
	reasm_summary(d);
	if (d->sum_dropped > 0)
		printf("# %" PRIu64 " records of exporters past the first %d not listed\n", d->sum_dropped,
		    SUM_MAX * 3 / 4);
}

/* ---- the command ---- */

static int
usage(FILE *out, int rc)
{
	fprintf(out,
	    "usage: floodwatch dump [--json|--csv] [--summary] [--count N] [-c FILE] [--set K=V]... PATH...\n"
	    "       floodwatch dump [--json|--csv] [--summary] --listen ADDR:PORT [--listen ...]\n"
	    "                       [--count N] [--seconds S] [-c FILE] [--set K=V]...\n"
	    "Prints every record the collector decodes, one per line, with the parsers of run and replay:\n"
	    "captures (NetFlow v5/v9, IPFIX, sFlow, DNS packets), BIND query logs, dnstap files, or live\n"
	    "UDP sockets.  Flow records: time, format, exporter, domain, sampling rate applied,\n"
	    "src/dst address and port, protocol, TCP flags, packets, bytes, duration.  DNS records:\n"
	    "client, server, qname, qtype, rcode, direction, source.\n"
	    "  --json           one JSON object per line\n"
	    "  --csv            CSV with a header line (RFC 4180)\n"
	    "  --summary        per-exporter totals (records, templates, sampling rates, durations,\n"
	    "                   errors by kind) instead of records\n"
	    "  --listen ADDR:PORT  receive on this UDP socket (repeatable; port 0: any free port,\n"
	    "                   printed on stderr)\n"
	    "  --count N        stop after N records\n"
	    "  --seconds S      with --listen: stop after S seconds (default: at --count, or Ctrl-C)\n"
	    "Exit status: 0 something was read, 2 usage error or missing file, 3 nothing readable.\n");
	return rc;
}

static int
parse_u64(const char *opt, const char *v, uint64_t *out)
{
	char *end;
	unsigned long long x;

	if (v == NULL || *v == '\0' || *v == '-') {
		fprintf(stderr, "floodwatch dump: %s needs a number\n", opt);
		return EXIT_USAGE;
	}
	x = strtoull(v, &end, 10);
	if (*end != '\0') {
		fprintf(stderr, "floodwatch dump: %s: '%s' is not a number\n", opt, v);
		return EXIT_USAGE;
	}
	*out = x;
	return 0;
}

/* Read the files into the rings (main thread), like replay.  *decp: the
 * decoder, for the summary once the consumer is done. */
static int
dump_files(struct dump *d, const struct fw_config *cfg, char **pos, int npos, struct fw_decoder **decp,
    bool *none)
{
	static struct cli_inputs in;
	char err[512];
	int status = 0;

	if (fw_decoder_new(cfg, decp) != FW_OK) {
		fprintf(stderr, "floodwatch dump: cannot make a decoder\n");
		return 1;
	}
	for (int i = 0, k = 1; i < npos && !interrupted && !atomic_load(&d->full); i += k) {
		if (cli_read_input(pos + i, npos - i, cfg, *decp, d->flows[0], d->dns[0], &in, &k, err,
		    sizeof(err)) != FW_OK) {
			fprintf(stderr, "floodwatch dump: %s\n", err);
			status = 1;
		}
	}
	fw_decoder_flush(*decp);  /* data still waiting for its template: no_template */
	cli_inputs_end(&in);      /* fragments and TCP messages never completed: incomplete */
	d->fs = in.fs;
	d->ts = in.cs;
	*none = in.rs.files == 0;
	if (*none)
		fprintf(stderr, "floodwatch dump: no input could be read (%d file%s given, none a capture, "
		    "query log or dnstap file): exit %d\n", npos, npos == 1 ? "" : "s", EXIT_NO_INPUT);
	return status;
}

/* Live: one listener per --listen, each into its own rings, until --count,
 * --seconds or a signal. */
static int
dump_listen(struct dump *d, const struct fw_config *cfg, const char **addrs, size_t naddrs,
    uint64_t seconds, struct fw_listener **ls)
{
	char err[512];
	int64_t until = seconds > 0 ? fw_time_mono_ms() + (int64_t)seconds * 1000 : INT64_MAX;

	for (size_t i = 0; i < naddrs; i++) {
		if (fw_listener_open(addrs[i], "dump", 0, cfg, &ls[i], err, sizeof(err)) != FW_OK) {
			fprintf(stderr, "floodwatch dump: %s\n", err);
			return EXIT_USAGE;
		}
		fprintf(stderr, "floodwatch dump: listening on %s port %d\n", addrs[i], fw_listener_port(ls[i]));
	}
	for (size_t i = 0; i < naddrs; i++) {
		if (fw_listener_start(ls[i], d->flows[i], d->dns[i]) != FW_OK) {
			fprintf(stderr, "floodwatch dump: cannot start %s\n", fw_listener_name(ls[i]));
			return 1;
		}
	}
	while (!interrupted && !atomic_load(&d->full) && fw_time_mono_ms() < until)
		(void)fw_time_sleep_ms(20);
	for (size_t i = 0; i < naddrs; i++) {
		struct fw_listener_stats st;

		fw_listener_stop(ls[i]);
		fw_listener_get_stats(ls[i], &st);
		fprintf(stderr, "floodwatch dump: %s: %" PRIu64 " datagrams, %" PRIu64 " records, %" PRIu64
		    " dropped (dump too slow), %" PRIu64 " dropped by the kernel\n", fw_listener_name(ls[i]),
		    st.datagrams, st.flows, st.ring_drops, st.kernel_drops);
	}
	return 0;
}

int
cmd_dump(int argc, char **argv)
{
	static struct dump d;
	struct fw_config cfg;
	const char *name, *addrs[MAX_LISTEN];
	char *pos[1024], *rest[1024];
	struct fw_listener *ls[MAX_LISTEN] = { NULL };
	struct fw_decoder *dec = NULL;
	struct sigaction sa;
	uint64_t seconds = 0;
	size_t naddrs = 0;
	int nrest = 0, npos, rc, status = 0;
	bool none = false;
	pthread_t th;

	if (argc > 1024) {
		fprintf(stderr, "floodwatch dump: too many arguments\n");
		return EXIT_USAGE;
	}
	memset(&d, 0, sizeof(d));
	rest[nrest++] = argv[0];
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--json") == 0) {
			d.fmt = OUT_JSON;
		} else if (strcmp(a, "--csv") == 0) {
			d.fmt = OUT_CSV;
		} else if (strcmp(a, "--summary") == 0) {
			d.summary = true;
		} else if (strcmp(a, "--listen") == 0 || strcmp(a, "--count") == 0 || strcmp(a, "--seconds") == 0) {
			const char *v = i + 1 < argc ? argv[++i] : NULL;

			if (strcmp(a, "--listen") == 0) {
				if (v == NULL || naddrs == MAX_LISTEN) {
					fprintf(stderr, "floodwatch dump: --listen needs ADDR:PORT (at most %d)\n", MAX_LISTEN);
					return EXIT_USAGE;
				}
				addrs[naddrs++] = v;
			} else if ((rc = parse_u64(a, v, strcmp(a, "--count") == 0 ? &d.limit : &seconds)) != 0) {
				return rc;
			}
		} else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			return usage(stdout, 0);
		} else {
			rest[nrest++] = argv[i];
		}
	}
	if ((rc = cli_load_config("dump", nrest, rest, &cfg, &name, pos, &npos)) != 0)
		return rc < 0 ? usage(stdout, 0) : rc;
	if ((npos == 0) == (naddrs == 0)) {
		fprintf(stderr, "floodwatch dump: give capture files or --listen, not %s\n", npos ? "both" : "neither");
		return usage(stderr, EXIT_USAGE);
	}
	if (seconds > 0 && naddrs == 0) {
		fprintf(stderr, "floodwatch dump: --seconds only goes with --listen\n");
		return EXIT_USAGE;
	}
	if (d.summary && d.fmt == OUT_CSV) {
		fprintf(stderr, "floodwatch dump: --summary prints text or --json, not --csv\n");
		return EXIT_USAGE;
	}
	if ((rc = cli_check_inputs("dump", pos, npos)) != 0)
		return rc;
	cfg.flow_template_state[0] = '\0';  /* look, don't touch the daemon's saved templates */
	d.nrings = naddrs > 0 ? naddrs : 1;
	if ((d.sum = calloc(SUM_MAX, sizeof(*d.sum))) == NULL)
		return 1;
	for (size_t i = 0; i < d.nrings; i++) {
		if (fw_ring_new((size_t)cfg.ring_slots, sizeof(struct fw_flow), &d.flows[i]) != FW_OK ||
		    fw_ring_new(4096, sizeof(struct fw_dnsq), &d.dns[i]) != FW_OK) {
			fprintf(stderr, "floodwatch dump: out of memory\n");
			status = 1;
			goto out;
		}
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	(void)sigaction(SIGINT, &sa, NULL);
	(void)sigaction(SIGTERM, &sa, NULL);
	if (d.fmt == OUT_CSV && !d.summary)
		printf("%s\n", CSV_HEADER);
	if (pthread_create(&th, NULL, consumer, &d) != 0) {
		fprintf(stderr, "floodwatch dump: cannot start a thread\n");
		status = 1;
		goto out;
	}
	if (naddrs > 0)
		status = dump_listen(&d, &cfg, addrs, naddrs, seconds, ls);
	else
		status = dump_files(&d, &cfg, pos, npos, &dec, &none);
	atomic_store_explicit(&d.stop, 1, memory_order_release);
	(void)pthread_join(th, NULL);
	if (d.summary && status != EXIT_USAGE) {
		static struct fw_decode_stats ds;

		memset(&ds, 0, sizeof(ds));
		if (dec != NULL) {
			merge_decoder(&d, dec);
			fw_decode_stats_add(&ds, fw_decoder_stats(dec));
		}
		for (size_t i = 0; i < naddrs && ls[i] != NULL; i++) {
			struct fw_listener_stats st;

			fw_listener_with_decoder(ls[i], merge_decoder, &d);
			fw_listener_get_stats(ls[i], &st);
			fw_decode_stats_add(&ds, &st.dec);
		}
		print_summary(&d, &ds);
	}
	if (none && status == 0)
		status = EXIT_NO_INPUT;
out:
	fflush(stdout);
	for (size_t i = 0; i < naddrs; i++)
		fw_listener_free(ls[i]);
	fw_decoder_free(dec);
	for (size_t i = 0; i < d.nrings; i++) {
		fw_ring_free(d.flows[i]);
		fw_ring_free(d.dns[i]);
	}
	free(d.sum);
	return status;
}
