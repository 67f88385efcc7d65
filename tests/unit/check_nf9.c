/*
 * check_nf9.c - NetFlow v9 / IPFIX decoders and the shared template cache.
 *
 * "valid": every datagram of tests/data/udpflood_{nf9,ipfix}.pcap decodes to
 * the records tshark reports (tests/data/<capture>.expected.tsv, made by
 * tests/data/gen-nf9-expected.sh), plus hand-built datagrams for what the
 * captures lack: IPv6, reduced-size counters, variable-length and enterprise
 * fields, every IPFIX time form, sampling from options data, withdrawal,
 * data before template, expiry, sequence gaps, save/load; and what hostile
 * exporters do: withdraw-all storms, template floods (eviction order,
 * per-exporter quota), poisoning by redefinition, persisting only templates
 * that carried data.
 * "truncated": every prefix of every real datagram is an error or a subset
 * of the full decode, never garbage or a crash.
 * "malformed"/"limits": zero-length sets, bad versions, full tables.
 * Run from the repository root (paths are relative to it).
 */
#include <check.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fw_config.h"
#include "fw_decode.h"
#include "fw_nf9.h"
#include "fw_pkt.h"
#include "fw_tmpl.h"

#define MAXDG 1024
#define MAXREC 4096

struct dgram {
	uint8_t *p;
	size_t len;
	struct fw_addr src;
	int64_t ts_ms;
};

struct capture {
	struct dgram d[MAXDG];
	size_t n;
};

static struct capture cap_nf9, cap_ipfix;

static void
load_capture(const char *path, struct capture *cap)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *data;
	pcap_t *pc;
	int rc;

	if (cap->n > 0)
		return;
	pc = pcap_open_offline(path, errbuf);
	ck_assert_msg(pc != NULL, "%s: %s", path, errbuf);
	while ((rc = pcap_next_ex(pc, &h, &data)) == 1) {
		struct fw_udp u;

		ck_assert_int_eq(fw_pkt_udp(pcap_datalink(pc), data, h->caplen, &u), FW_OK);
		ck_assert_uint_lt(cap->n, MAXDG);
		cap->d[cap->n].p = malloc(u.len);
		ck_assert_ptr_nonnull(cap->d[cap->n].p);
		memcpy(cap->d[cap->n].p, u.payload, u.len);
		cap->d[cap->n].len = u.len;
		cap->d[cap->n].src = u.src;
		cap->d[cap->n].ts_ms = (int64_t)h->ts.tv_sec * 1000 + h->ts.tv_usec / 1000;
		cap->n++;
	}
	pcap_close(pc);
}

typedef int (*decode_fn)(struct fw_tmpl_cache *, const uint8_t *, size_t,
    const struct fw_addr *, int64_t, struct fw_flow *, size_t, struct fw_flow_dec_stats *);

static struct fw_tmpl_cache *
new_cache(struct fw_tmpl_cfg *cfg)
{
	struct fw_tmpl_cfg def;
	struct fw_tmpl_cache *c = NULL;

	if (cfg == NULL) {
		fw_tmpl_cfg_default(&def);
		cfg = &def;
	}
	ck_assert_int_eq(fw_tmpl_cache_new(cfg, &c), FW_OK);
	return c;
}

/* ---- real captures against tshark --------------------------------------- */

static void
compare_with_tshark(const char *pcap, const char *tsv, struct capture *cap, decode_fn dec,
    uint8_t source)
{
	static struct fw_flow out[MAXREC];
	struct fw_flow_dec_stats st;
	struct fw_tmpl_cache *c = new_cache(NULL);
	FILE *fp;
	char line[512];
	size_t lines = 0, total = 0;

	load_capture(pcap, cap);
	ck_assert_uint_eq(cap->n, 545);
	fp = fopen(tsv, "r");
	ck_assert_msg(fp != NULL, "%s missing (tests/data/gen-nf9-expected.sh)", tsv);
	memset(&st, 0, sizeof(st));
	for (size_t i = 0; i < cap->n; i++) {
		int n = dec(c, cap->d[i].p, cap->d[i].len, &cap->d[i].src, cap->d[i].ts_ms,
		    out, MAXREC, &st);

		ck_assert_int_ge(n, 0);
		for (int k = 0; k < n; k++) {
			unsigned frame, sport, dport, proto;
			unsigned long long pkts, bytes;
			long long start, end;
			char src[64], dst[64], s[64], d[64];
			const struct fw_flow *f = &out[k];

			ck_assert_msg(fgets(line, sizeof(line), fp) != NULL,
			    "more records than tshark at frame %zu", i + 1);
			lines++;
			ck_assert_int_eq(sscanf(line, "%u\t%63s\t%63s\t%u\t%u\t%u\t%llu\t%llu\t%lld\t%lld",
			    &frame, src, dst, &sport, &dport, &proto, &pkts, &bytes, &start, &end), 10);
			ck_assert_uint_eq(frame, i + 1);
			fw_addr_format(&f->src, s, sizeof(s));
			fw_addr_format(&f->dst, d, sizeof(d));
			ck_assert_str_eq(s, src);
			ck_assert_str_eq(d, dst);
			ck_assert_uint_eq(f->sport, sport);
			ck_assert_uint_eq(f->dport, dport);
			ck_assert_uint_eq(f->proto, proto);
			ck_assert_uint_eq(f->pkts, pkts);
			ck_assert_uint_eq(f->bytes, bytes);
			ck_assert_int_eq(f->start_ms, start);
			ck_assert_int_eq(f->end_ms, end);
			ck_assert_uint_eq(f->source, source);
			ck_assert(memcmp(&f->exporter, &cap->d[i].src, sizeof(f->exporter)) == 0);
			ck_assert_uint_eq(f->obs_domain, 0);
			ck_assert_uint_eq(f->sampling, 1);
		}
		total += (size_t)n;
	}
	ck_assert_msg(fgets(line, sizeof(line), fp) == NULL, "fewer records than tshark");
	fclose(fp);
	ck_assert_uint_eq(total, 4200);
	ck_assert_uint_eq(lines, 4200);
	ck_assert_uint_eq(st.records, 4200);
	ck_assert_uint_eq(st.datagrams, 545);
	ck_assert_uint_eq(st.datagrams_rejected, 0);
	ck_assert_uint_eq(st.templates, 4);  /* 1024, 1025 (IPv4), 2048, 2049 (IPv6) */
	ck_assert_uint_eq(st.sampling_default, 4200);
	for (int r = 0; r < FW_DEC_NREASONS; r++)
		ck_assert_msg(st.err[r] == 0, "reason %s: %llu", fw_dec_reason_name((enum fw_dec_reason)r),
		    (unsigned long long)st.err[r]);

	/* The exporter's own sequence numbers show no gap in either capture. */
	struct fw_flow_exporter ex[4];
	ck_assert_uint_eq(fw_tmpl_exporters(c, ex, 4), 1);
	ck_assert_uint_eq(ex[0].datagrams, 545);
	ck_assert_uint_eq(ex[0].records, 4200);
	ck_assert_uint_eq(ex[0].seq_lost, 0);
	ck_assert_uint_eq(ex[0].seq_reorder, 0);
	ck_assert_int_eq(ex[0].last_seen_ms, cap->d[544].ts_ms);
	fw_tmpl_cache_free(c);
}

START_TEST(test_nf9_capture_matches_tshark)
{
	compare_with_tshark("tests/data/udpflood_nf9.pcap", "tests/data/udpflood_nf9.expected.tsv",
	    &cap_nf9, fw_nf9_decode, FW_SRC_NF9);
}
END_TEST

START_TEST(test_nf9_ipfix_capture_matches_tshark)
{
	compare_with_tshark("tests/data/udpflood_ipfix.pcap", "tests/data/udpflood_ipfix.expected.tsv",
	    &cap_ipfix, fw_ipfix_decode, FW_SRC_IPFIX);
}
END_TEST

/* ---- truncated prefixes of real datagrams ----------------------------------- */

static void
prefixes_one(const char *pcap, struct capture *cap, decode_fn dec, int i)
{
	static struct fw_flow full[MAXREC], part[MAXREC];
	struct fw_tmpl_cfg cfg;
	struct fw_flow_dec_stats st;
	struct fw_tmpl_cache *c;
	int nfull;

	load_capture(pcap, cap);
	ck_assert_int_lt(i, (int)cap->n);
	fw_tmpl_cfg_default(&cfg);
	cfg.max_templates = 16;
	cfg.pending_slots = 0;  /* a prefix must not leave work for later */
	c = new_cache(&cfg);
	memset(&st, 0, sizeof(st));
	/* Frame 1 carries the templates; learn them, then decode datagram i. */
	ck_assert_int_ge(dec(c, cap->d[0].p, cap->d[0].len, &cap->d[0].src, 0, full, MAXREC, &st), 0);
	nfull = dec(c, cap->d[i].p, cap->d[i].len, &cap->d[i].src, 0, full, MAXREC, &st);
	ck_assert_int_gt(nfull, 0);
	for (size_t len = 0; len < cap->d[i].len; len++) {
		/* A copy of exactly len bytes, so ASan sees any over-read. */
		uint8_t *b = malloc(len ? len : 1);
		int n;

		ck_assert_ptr_nonnull(b);
		memcpy(b, cap->d[i].p, len);
		n = dec(c, b, len, &cap->d[i].src, 0, part, MAXREC, &st);
		free(b);
		if (n < 0) {
			ck_assert(n == FW_ETRUNC || n == FW_EMALFORMED);
			continue;
		}
		/* v9 has no total length: a cut at a set boundary is a valid
		 * shorter datagram, and must give the leading records exactly. */
		ck_assert_int_le(n, nfull);
		ck_assert(memcmp(part, full, (size_t)n * sizeof(*part)) == 0);
	}
	fw_tmpl_cache_free(c);
}

/* Datagrams per loop iteration: a fork per datagram is slow under ASan. */
#define PREFIX_CHUNK 35
#define PREFIX_LOOPS ((545 + PREFIX_CHUNK - 1) / PREFIX_CHUNK)

static void
prefixes(const char *pcap, struct capture *cap, decode_fn dec, int chunk)
{
	load_capture(pcap, cap);
	for (int i = chunk * PREFIX_CHUNK; i < (chunk + 1) * PREFIX_CHUNK && i < (int)cap->n; i++)
		prefixes_one(pcap, cap, dec, i);
}

START_TEST(test_nf9_truncated_prefixes)
{
	prefixes("tests/data/udpflood_nf9.pcap", &cap_nf9, fw_nf9_decode, _i);
}
END_TEST

START_TEST(test_nf9_ipfix_truncated_prefixes)
{
	prefixes("tests/data/udpflood_ipfix.pcap", &cap_ipfix, fw_ipfix_decode, _i);
}
END_TEST

/* ---- datagram builder for hand-made cases -------------------------------------- */

struct wb {
	uint8_t b[4096];
	size_t n;
	size_t set;   /* offset of the open set header */
};

static void
w8(struct wb *w, uint64_t v)
{
	ck_assert_uint_lt(w->n, sizeof(w->b));
	w->b[w->n++] = (uint8_t)v;
}

static void
wn(struct wb *w, uint64_t v, int len)
{
	for (int i = len - 1; i >= 0; i--)
		w8(w, v >> (8 * i));
}

static void w16(struct wb *w, uint64_t v) { wn(w, v, 2); }
static void w32(struct wb *w, uint64_t v) { wn(w, v, 4); }
static void w64(struct wb *w, uint64_t v) { wn(w, v, 8); }

static void
wbytes(struct wb *w, const void *p, size_t len)
{
	ck_assert_uint_le(w->n + len, sizeof(w->b));
	memcpy(w->b + w->n, p, len);
	w->n += len;
}

static void
v9_hdr(struct wb *w, uint32_t uptime, uint32_t secs, uint32_t seq, uint32_t source_id)
{
	w->n = 0;
	w16(w, 9);
	w16(w, 0);
	w32(w, uptime);
	w32(w, secs);
	w32(w, seq);
	w32(w, source_id);
}

static void
ipfix_hdr(struct wb *w, uint32_t secs, uint32_t seq, uint32_t domain)
{
	w->n = 0;
	w16(w, 10);
	w16(w, 0);  /* patched by ipfix_end */
	w32(w, secs);
	w32(w, seq);
	w32(w, domain);
}

static void
set_begin(struct wb *w, uint16_t id)
{
	w->set = w->n;
	w16(w, id);
	w16(w, 0);
}

static void
set_end(struct wb *w)
{
	size_t len = w->n - w->set;

	w->b[w->set + 2] = (uint8_t)(len >> 8);
	w->b[w->set + 3] = (uint8_t)len;
}

static void
ipfix_end(struct wb *w)
{
	w->b[2] = (uint8_t)(w->n >> 8);
	w->b[3] = (uint8_t)w->n;
}

static const struct fw_addr exp_a = { { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 1 } };
static const struct fw_addr exp_b = { { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 2 } };

static void
fmt(const struct fw_addr *a, char *buf, size_t len)
{
	fw_addr_format(a, buf, len);
}

#define ASSERT_ADDR(a, text) do { char b_[64]; fmt((a), b_, sizeof(b_)); ck_assert_str_eq(b_, (text)); } while (0)

/* A v9 template 300: src4 dst4 sport dport proto, pkts(4) bytes(4), first/last. */
static void
v9_tmpl300(struct wb *w)
{
	set_begin(w, 0);
	w16(w, 300);
	w16(w, 9);
	w16(w, 8); w16(w, 4);
	w16(w, 12); w16(w, 4);
	w16(w, 7); w16(w, 2);
	w16(w, 11); w16(w, 2);
	w16(w, 4); w16(w, 1);
	w16(w, 2); w16(w, 4);
	w16(w, 1); w16(w, 4);
	w16(w, 22); w16(w, 4);
	w16(w, 21); w16(w, 4);
	set_end(w);
}

static void
v9_rec300(struct wb *w, uint8_t last_octet, uint32_t pkts, uint32_t bytes, uint32_t first, uint32_t last)
{
	w32(w, 0x0a000000u | last_octet);
	w32(w, 0xc6336435u);  /* 198.51.100.53 */
	w16(w, 1000 + last_octet);
	w16(w, 53);
	w8(w, 17);
	w32(w, pkts);
	w32(w, bytes);
	w32(w, first);
	w32(w, last);
}

START_TEST(test_nf9_v9_uptime_times)
{
	struct fw_tmpl_cache *c = new_cache(NULL);
	struct fw_flow_dec_stats st = { 0 };
	struct fw_flow out[8];
	struct wb w;
	int n;

	/* uptime 100000 ms at unix 1700000000: a flow 5000..9000 ms uptime
	 * ended 91 s before export. */
	v9_hdr(&w, 100000, 1700000000, 1, 7);
	v9_tmpl300(&w);
	set_begin(&w, 300);
	v9_rec300(&w, 1, 10, 5000, 5000, 9000);
	w8(&w, 0); w8(&w, 0);  /* padding */
	set_end(&w);
	n = fw_nf9_decode(c, w.b, w.n, &exp_a, 0, out, 8, &st);
	ck_assert_int_eq(n, 1);
	ASSERT_ADDR(&out[0].src, "10.0.0.1");
	ASSERT_ADDR(&out[0].dst, "198.51.100.53");
	ck_assert_uint_eq(out[0].sport, 1001);
	ck_assert_uint_eq(out[0].dport, 53);
	ck_assert_uint_eq(out[0].proto, 17);
	ck_assert_uint_eq(out[0].pkts, 10);
	ck_assert_uint_eq(out[0].bytes, 5000);
	ck_assert_int_eq(out[0].start_ms, 1700000000000 - 95000);
	ck_assert_int_eq(out[0].end_ms, 1700000000000 - 91000);
	ck_assert_uint_eq(out[0].obs_domain, 7);
	ck_assert_uint_eq(out[0].source, FW_SRC_NF9);

	/* Uptime wrapped between the flow and the export: still a small age. */
	v9_hdr(&w, 1000, 1700000000, 2, 7);
	set_begin(&w, 300);
	v9_rec300(&w, 2, 1, 1, 0xfffff000u, 0xfffffc18u);  /* -4096 ms, -1000 ms */
	set_end(&w);
	n = fw_nf9_decode(c, w.b, w.n, &exp_a, 0, out, 8, &st);
	ck_assert_int_eq(n, 1);
	ck_assert_int_eq(out[0].end_ms, 1700000000000 - 2000);
	ck_assert_int_eq(out[0].start_ms, 1700000000000 - 5096);
	fw_tmpl_cache_free(c);
}
END_TEST

START_TEST(test_nf9_data_before_template)
{
	struct fw_tmpl_cache *c = new_cache(NULL);
	struct fw_flow_dec_stats st = { 0 };
	struct fw_flow out[8];
	struct wb w;
	int n;

	/* Data first (its own header clock: uptime 50 s at unix 1700000100). */
	v9_hdr(&w, 50000, 1700000100, 1, 0);
	set_begin(&w, 300);
	v9_rec300(&w, 1, 3, 300, 40000, 49000);
	v9_rec300(&w, 2, 4, 400, 41000, 49500);
	set_end(&w);
	n = fw_nf9_decode(c, w.b, w.n, &exp_a, 1000, out, 8, &st);
	ck_assert_int_eq(n, 0);
	ck_assert_uint_eq(st.sets_buffered, 1);
	ck_assert_uint_eq(st.err[FW_DEC_NO_TEMPLATE], 1);

	/* Another exporter's template 300 must not release it. */
	v9_hdr(&w, 70000, 1700000200, 1, 0);
	v9_tmpl300(&w);
	n = fw_nf9_decode(c, w.b, w.n, &exp_b, 1100, out, 8, &st);
	ck_assert_int_eq(n, 0);

	/* The template, with a different clock in its header. */
	v9_hdr(&w, 90000, 1700000200, 2, 0);
	v9_tmpl300(&w);
	n = fw_nf9_decode(c, w.b, w.n, &exp_a, 1200, out, 8, &st);
	ck_assert_int_eq(n, 2);
	ck_assert_uint_eq(st.sets_replayed, 1);
	ASSERT_ADDR(&out[0].src, "10.0.0.1");
	ASSERT_ADDR(&out[1].src, "10.0.0.2");
	ck_assert_uint_eq(out[1].pkts, 4);
	ck_assert_uint_eq(out[1].bytes, 400);
	/* Times come from the buffered datagram's header, not this one's. */
	ck_assert_int_eq(out[0].start_ms, 1700000100000 - 10000);
	ck_assert_int_eq(out[0].end_ms, 1700000100000 - 1000);
	ck_assert_int_eq(out[1].end_ms, 1700000100000 - 500);
	ck_assert(memcmp(&out[0].exporter, &exp_a, sizeof(exp_a)) == 0);

	/* Replayed once only. */
	v9_hdr(&w, 90000, 1700000200, 3, 0);
	v9_tmpl300(&w);
	n = fw_nf9_decode(c, w.b, w.n, &exp_a, 1300, out, 8, &st);
	ck_assert_int_eq(n, 0);
	ck_assert_uint_eq(st.err[FW_DEC_UNDECODABLE], 0);
	fw_tmpl_cache_free(c);
}
END_TEST

START_TEST(test_nf9_pending_bounded)
{
	struct fw_tmpl_cfg cfg;
	struct fw_tmpl_cache *c;
	struct fw_flow_dec_stats st = { 0 };
	struct fw_flow out[8];
	struct wb w;
	struct fw_flow_exporter ex[2];

	fw_tmpl_cfg_default(&cfg);
	cfg.pending_slots = 2;
	cfg.pending_timeout_ms = 5000;
	c = new_cache(&cfg);
	for (uint32_t i = 0; i < 3; i++) {  /* three datagrams, two slots */
		v9_hdr(&w, 50000, 1700000100, i + 1, 0);
		set_begin(&w, 300);
		v9_rec300(&w, (uint8_t)(i + 1), 1, 1, 40000, 49000);
		set_end(&w);
		ck_assert_int_eq(fw_nf9_decode(c, w.b, w.n, &exp_a, 1000 + i, out, 8, &st), 0);
	}
	ck_assert_uint_eq(st.sets_buffered, 3);
	ck_assert_uint_eq(st.err[FW_DEC_UNDECODABLE], 1);  /* the oldest, evicted */
	v9_hdr(&w, 90000, 1700000200, 4, 0);
	v9_tmpl300(&w);
	ck_assert_int_eq(fw_nf9_decode(c, w.b, w.n, &exp_a, 1100, out, 8, &st), 2);
	ASSERT_ADDR(&out[0].src, "10.0.0.2");
	ASSERT_ADDR(&out[1].src, "10.0.0.3");

	/* Stale buffered data is dropped by the housekeeping sweep. */
	v9_hdr(&w, 50000, 1700000100, 5, 0);
	set_begin(&w, 301);
	w32(&w, 0);
	set_end(&w);
	ck_assert_int_eq(fw_nf9_decode(c, w.b, w.n, &exp_a, 2000, out, 8, &st), 0);
	fw_tmpl_cache_expire(c, 2000 + 5001, &st);
	ck_assert_uint_eq(st.err[FW_DEC_UNDECODABLE], 2);
	ck_assert_uint_eq(fw_tmpl_exporters(c, ex, 2), 1);
	ck_assert_uint_eq(ex[0].err[FW_DEC_UNDECODABLE], 2);
	ck_assert_uint_eq(ex[0].err[FW_DEC_NO_TEMPLATE], 4);
	fw_tmpl_cache_free(c);
}
END_TEST

/* Rates seen by fw_tmpl_samplers_each(), as sampler id -> rate. */
struct rates_seen {
	size_t n;
	struct fw_tmpl_sampler s[4];
};

static void
collect_rate(void *ctx, const struct fw_tmpl_sampler *x)
{
	struct rates_seen *r = ctx;

	if (r->n < 4)
		r->s[r->n] = *x;
	r->n++;
}

START_TEST(test_nf9_v9_sampling_options)
{
	struct fw_tmpl_cfg cfg;
	struct fw_tmpl_cache *c;
	struct fw_flow_dec_stats st = { 0 };
	struct fw_flow out[8];
	struct wb w;

	fw_tmpl_cfg_default(&cfg);
	cfg.default_sampling = 7;
	c = new_cache(&cfg);
	v9_hdr(&w, 100000, 1700000000, 1, 3);
	/* Options template 257: scope system(1)/4; FLOW_SAMPLER_ID(48)/1,
	 * FLOW_SAMPLER_MODE(49)/1, FLOW_SAMPLER_RANDOM_INTERVAL(50)/4. */
	set_begin(&w, 1);
	w16(&w, 257); w16(&w, 4); w16(&w, 12);
	w16(&w, 1); w16(&w, 4);
	w16(&w, 48); w16(&w, 1);
	w16(&w, 49); w16(&w, 1);
	w16(&w, 50); w16(&w, 4);
	w16(&w, 0);  /* padding */
	set_end(&w);
	/* Options template 258: scope interface(2)/4; SAMPLING_INTERVAL(34)/4,
	 * SAMPLING_ALGORITHM(35)/1: exporter-wide rate (no sampler id). */
	set_begin(&w, 1);
	w16(&w, 258); w16(&w, 4); w16(&w, 8);
	w16(&w, 2); w16(&w, 4);
	w16(&w, 34); w16(&w, 4);
	w16(&w, 35); w16(&w, 1);
	set_end(&w);
	/* Data template 259: sampler id(1), pkts(4), bytes(4), src, dst. */
	set_begin(&w, 0);
	w16(&w, 259); w16(&w, 5);
	w16(&w, 48); w16(&w, 1);
	w16(&w, 2); w16(&w, 4);
	w16(&w, 1); w16(&w, 4);
	w16(&w, 8); w16(&w, 4);
	w16(&w, 12); w16(&w, 4);
	set_end(&w);
	/* Options data: sampler 5 is 1 in 100 (random); system-wide 1 in 10. */
	set_begin(&w, 257);
	w32(&w, 0); w8(&w, 5); w8(&w, 2); w32(&w, 100);
	set_end(&w);
	set_begin(&w, 258);
	w32(&w, 1); w32(&w, 10); w8(&w, 1);
	set_end(&w);
	set_begin(&w, 259);
	w8(&w, 5); w32(&w, 2); w32(&w, 1500); w32(&w, 0x0a000001); w32(&w, 0x0a000002);
	w8(&w, 0); w32(&w, 3); w32(&w, 100); w32(&w, 0x0a000001); w32(&w, 0x0a000002);
	set_end(&w);
	ck_assert_int_eq(fw_nf9_decode(c, w.b, w.n, &exp_a, 0, out, 8, &st), 2);
	ck_assert_uint_eq(st.options_records, 2);
	ck_assert_uint_eq(st.sampling_updates, 2);
	ck_assert_uint_eq(fw_tmpl_sampling_get(c, 9, &exp_a, 3, 5), 100);
	ck_assert_uint_eq(fw_tmpl_sampling_get(c, 9, &exp_a, 3, 0), 10);
	ck_assert_uint_eq(out[0].sampling, 100);
	ck_assert_uint_eq(out[0].pkts, 200);
	ck_assert_uint_eq(out[0].bytes, 150000);
	ck_assert_uint_eq(out[1].sampling, 10);
	ck_assert_uint_eq(out[1].pkts, 30);
	ck_assert_uint_eq(st.sampling_default, 0);

	/* Another domain of the same exporter knows no rate: default, counted. */
	v9_hdr(&w, 100000, 1700000000, 1, 4);
	set_begin(&w, 0);
	w16(&w, 259); w16(&w, 2);
	w16(&w, 2); w16(&w, 4);
	w16(&w, 1); w16(&w, 4);
	set_end(&w);
	set_begin(&w, 259);
	w32(&w, 2); w32(&w, 20);
	set_end(&w);
	ck_assert_int_eq(fw_nf9_decode(c, w.b, w.n, &exp_a, 0, out, 8, &st), 1);
	ck_assert_uint_eq(out[0].sampling, 7);
	ck_assert_uint_eq(out[0].pkts, 14);
	ck_assert_uint_eq(st.sampling_default, 1);

	/* What the stats tick reads: templates per (exporter, domain), data
	 * and options; every rate in force with its sampler id. */
	ck_assert_uint_eq(fw_tmpl_exporter_templates(c, 9, &exp_a, 3), 3);
	ck_assert_uint_eq(fw_tmpl_exporter_templates(c, 9, &exp_a, 4), 1);
	ck_assert_uint_eq(fw_tmpl_exporter_templates(c, 10, &exp_a, 3), 0);
	ck_assert_uint_eq(fw_tmpl_exporter_templates(c, 9, &exp_b, 3), 0);
	{
		struct rates_seen r = { 0 };
		uint32_t by_sid[6] = { 0 };

		ck_assert_uint_eq(fw_tmpl_samplers_each(c, collect_rate, &r), 2);
		ck_assert_uint_eq(r.n, 2);
		for (size_t i = 0; i < 2; i++) {
			ck_assert_uint_eq(r.s[i].version, 9);
			ck_assert_uint_eq(r.s[i].domain, 3);
			ck_assert(memcmp(r.s[i].addr.b, exp_a.b, 16) == 0);
			ck_assert_uint_lt(r.s[i].sampler_id, 6);
			by_sid[r.s[i].sampler_id] = r.s[i].rate;
		}
		ck_assert_uint_eq(by_sid[5], 100);
		ck_assert_uint_eq(by_sid[0], 10);
	}
	fw_tmpl_cache_free(c);
}
END_TEST

START_TEST(test_nf9_ipfix_sampling_options)
{
	struct fw_tmpl_cache *c = new_cache(NULL);
	struct fw_flow_dec_stats st = { 0 };
	struct fw_flow out[8];
	struct wb w;

	ipfix_hdr(&w, 1700000000, 0, 9);
	/* Options template 400: scope selectorId(302)/8; samplingPacketInterval
	 * (305)/4, samplingPacketSpace(306)/4. */
	set_begin(&w, 3);
	w16(&w, 400); w16(&w, 3); w16(&w, 1);
	w16(&w, 302); w16(&w, 8);
	w16(&w, 305); w16(&w, 4);
	w16(&w, 306); w16(&w, 4);
	/* Options template 401: scope selectorId/2 (reduced); samplingSize(309),
	 * samplingPopulation(310). */
	w16(&w, 401); w16(&w, 3); w16(&w, 1);
	w16(&w, 302); w16(&w, 2);
	w16(&w, 309); w16(&w, 4);
	w16(&w, 310); w16(&w, 4);
	set_end(&w);
	/* Data template 402: selectorId/8, packetDeltaCount/8, octetDeltaCount/8. */
	set_begin(&w, 2);
	w16(&w, 402); w16(&w, 3);
	w16(&w, 302); w16(&w, 8);
	w16(&w, 2); w16(&w, 8);
	w16(&w, 1); w16(&w, 8);
	set_end(&w);
	set_begin(&w, 400);
	w64(&w, 11); w32(&w, 2); w32(&w, 198);  /* 2 of every 200: 1 in 100 */
	set_end(&w);
	set_begin(&w, 401);
	w16(&w, 12); w32(&w, 1); w32(&w, 1000);  /* 1 of 1000 */
	set_end(&w);
	set_begin(&w, 402);
	w64(&w, 11); w64(&w, 1); w64(&w, 64);
	w64(&w, 12); w64(&w, 2); w64(&w, 128);
	w64(&w, 13); w64(&w, 3); w64(&w, 192);  /* unknown sampler: default 1 */
	set_end(&w);
	ipfix_end(&w);
	ck_assert_int_eq(fw_ipfix_decode(c, w.b, w.n, &exp_a, 0, out, 8, &st), 3);
	ck_assert_uint_eq(out[0].sampling, 100);
	ck_assert_uint_eq(out[0].pkts, 100);
	ck_assert_uint_eq(out[0].bytes, 6400);
	ck_assert_uint_eq(out[1].sampling, 1000);
	ck_assert_uint_eq(out[1].bytes, 128000);
	ck_assert_uint_eq(out[2].sampling, 1);
	ck_assert_uint_eq(out[2].bytes, 192);
	ck_assert_uint_eq(out[0].obs_domain, 9);
	ck_assert_uint_eq(st.sampling_default, 1);
	/* Records of another exporter are not scaled by this one's rates. */
	ck_assert_uint_eq(fw_tmpl_sampling_get(c, 10, &exp_b, 9, 11), 0);
	fw_tmpl_cache_free(c);
}
END_TEST

START_TEST(test_nf9_ipfix_ipv6_reduced_size)
{
	static const uint8_t s6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 };
	static const uint8_t d6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x53 };
	struct fw_tmpl_cache *c = new_cache(NULL);
	struct fw_flow_dec_stats st = { 0 };
	struct fw_flow out[8];
	struct wb w;

	ipfix_hdr(&w, 1700000000, 0, 1);
	set_begin(&w, 2);
	w16(&w, 500); w16(&w, 12);
	w16(&w, 27); w16(&w, 16);
	w16(&w, 28); w16(&w, 16);
	w16(&w, 7); w16(&w, 2);
	w16(&w, 11); w16(&w, 2);
	w16(&w, 4); w16(&w, 1);
	w16(&w, 1); w16(&w, 3);   /* octetDeltaCount in 3 bytes */
	w16(&w, 2); w16(&w, 1);   /* packetDeltaCount in 1 byte */
	w16(&w, 10); w16(&w, 2);  /* ingressInterface in 2 */
	w16(&w, 14); w16(&w, 8);  /* egressInterface in 8 (truncated to u32) */
	w16(&w, 192); w16(&w, 1); /* ipTTL */
	w16(&w, 8); w16(&w, 3);   /* IPv4 source of a wrong size: skipped */
	w16(&w, 150); w16(&w, 4); /* flowStartSeconds */
	set_end(&w);
	set_begin(&w, 500);
	wbytes(&w, s6, 16);
	wbytes(&w, d6, 16);
	w16(&w, 40000); w16(&w, 53); w8(&w, 17);
	wn(&w, 0x123456, 3);
	w8(&w, 200);
	w16(&w, 7);
	w64(&w, 9);
	w8(&w, 33);
	wn(&w, 0xffffff, 3);
	w32(&w, 1700000001);
	set_end(&w);
	ipfix_end(&w);
	ck_assert_int_eq(fw_ipfix_decode(c, w.b, w.n, &exp_a, 0, out, 8, &st), 1);
	ck_assert(memcmp(out[0].src.b, s6, 16) == 0);
	ck_assert(memcmp(out[0].dst.b, d6, 16) == 0);
	ASSERT_ADDR(&out[0].dst, "2001:db8::53");
	ck_assert_uint_eq(out[0].sport, 40000);
	ck_assert_uint_eq(out[0].bytes, 0x123456);
	ck_assert_uint_eq(out[0].pkts, 200);
	ck_assert_uint_eq(out[0].in_if, 7);
	ck_assert_uint_eq(out[0].out_if, 9);
	ck_assert_uint_eq(out[0].ttl, 33);
	/* Only a start: the end defaults to it. */
	ck_assert_int_eq(out[0].start_ms, 1700000001000);
	ck_assert_int_eq(out[0].end_ms, 1700000001000);
	fw_tmpl_cache_free(c);
}
END_TEST

START_TEST(test_nf9_ipfix_varlen_enterprise)
{
	struct fw_tmpl_cache *c = new_cache(NULL);
	struct fw_flow_dec_stats st = { 0 };
	struct fw_flow out[8];
	uint8_t name[300];
	struct wb w;

	memset(name, 'x', sizeof(name));
	ipfix_hdr(&w, 1700000000, 0, 1);
	set_begin(&w, 2);
	w16(&w, 600); w16(&w, 6);
	w16(&w, 8); w16(&w, 4);
	w16(&w, 82); w16(&w, 0xffff);         /* interfaceName, variable */
	w16(&w, 12); w16(&w, 4);
	w16(&w, 0x8000 | 12); w16(&w, 4); w32(&w, 9);  /* enterprise 9 type 12: not dst! */
	w16(&w, 0x8000 | 1); w16(&w, 0xffff); w32(&w, 29305);  /* enterprise varlen */
	w16(&w, 2); w16(&w, 2);
	set_end(&w);
	set_begin(&w, 600);
	/* record 1: 1-byte lengths */
	w32(&w, 0x0a000001); w8(&w, 3); wbytes(&w, "eth", 3); w32(&w, 0x0a000002);
	w32(&w, 0xdeadbeef); w8(&w, 0); w16(&w, 5);
	/* record 2: 255 + 2-byte length */
	w32(&w, 0x0a000003); w8(&w, 255); w16(&w, 300); wbytes(&w, name, 300); w32(&w, 0x0a000004);
	w32(&w, 1); w8(&w, 2); w16(&w, 0xabcd); w16(&w, 6);
	w8(&w, 0); w8(&w, 0); w8(&w, 0);  /* padding, shorter than a record */
	set_end(&w);
	ipfix_end(&w);
	ck_assert_int_eq(fw_ipfix_decode(c, w.b, w.n, &exp_a, 0, out, 8, &st), 2);
	ASSERT_ADDR(&out[0].src, "10.0.0.1");
	ASSERT_ADDR(&out[0].dst, "10.0.0.2");
	ck_assert_uint_eq(out[0].pkts, 5);
	ASSERT_ADDR(&out[1].src, "10.0.0.3");
	ASSERT_ADDR(&out[1].dst, "10.0.0.4");
	ck_assert_uint_eq(out[1].pkts, 6);
	ck_assert_uint_eq(st.err[FW_DEC_RECORD], 0);

	/* A varlen length running past the set: error counted, no record. */
	ipfix_hdr(&w, 1700000000, 2, 1);
	set_begin(&w, 600);
	w32(&w, 0x0a000001); w8(&w, 200); w32(&w, 0); w32(&w, 0); w32(&w, 0);
	set_end(&w);
	ipfix_end(&w);
	ck_assert_int_eq(fw_ipfix_decode(c, w.b, w.n, &exp_a, 0, out, 8, &st), 0);
	ck_assert_uint_eq(st.err[FW_DEC_RECORD], 1);
	fw_tmpl_cache_free(c);
}
END_TEST

/*
 * RFC 5103 biflows (YAF, ipfixprobe): the reverse direction, fields of
 * enterprise 29305, is a record of its own with addresses, ports and
 * interfaces swapped, its own counters and flags, the same sampling; none
 * when it carried nothing.  Options templates never read reverse fields.
 */
START_TEST(test_nf9_ipfix_biflow)
{
	struct fw_tmpl_cache *c = new_cache(NULL);
	struct fw_flow_dec_stats st = { 0 };
	struct fw_flow_exporter ex[2];
	struct fw_flow out[8];
	struct wb w;
	/* src dst sport dport proto in out flags rflags pkts bytes rpkts rbytes rate */
	static const uint16_t tl[][3] = {
		{ 8, 4, 0 }, { 12, 4, 0 }, { 7, 2, 0 }, { 11, 2, 0 }, { 4, 1, 0 }, { 10, 4, 0 }, { 14, 4, 0 },
		{ 6, 1, 0 }, { 6, 1, 1 }, { 2, 8, 0 }, { 1, 8, 0 }, { 2, 4, 1 }, { 1, 4, 1 }, { 34, 4, 0 },
	};
	const int nf = (int)(sizeof(tl) / sizeof(tl[0]));

	ipfix_hdr(&w, 1700000000, 0, 1);
	set_begin(&w, 2);
	w16(&w, 700);
	w16(&w, (uint16_t)nf);
	for (int i = 0; i < nf; i++) {
		w16(&w, tl[i][0] | (tl[i][2] ? 0x8000 : 0));
		w16(&w, tl[i][1]);
		if (tl[i][2])
			w32(&w, 29305);
	}
	set_end(&w);
	set_begin(&w, 700);
	/* TCP both ways, sampled 1 in 10 */
	w32(&w, 0x0a000001); w32(&w, 0x0a000002); w16(&w, 40000); w16(&w, 443); w8(&w, 6);
	w32(&w, 3); w32(&w, 4); w8(&w, 0x1b); w8(&w, 0x12); w64(&w, 5); w64(&w, 400); w32(&w, 7); w32(&w, 9000);
	w32(&w, 10);
	/* one way only: no reverse record */
	w32(&w, 0x0a000003); w32(&w, 0x0a000004); w16(&w, 5000); w16(&w, 53); w8(&w, 17);
	w32(&w, 3); w32(&w, 0); w8(&w, 0); w8(&w, 0); w64(&w, 1); w64(&w, 60); w32(&w, 0); w32(&w, 0);
	w32(&w, 10);
	/* ICMP echo and reply: the reply's type is not exported */
	w32(&w, 0x0a000005); w32(&w, 0x0a000006); w16(&w, 0x0800); w16(&w, 0); w8(&w, 1);
	w32(&w, 3); w32(&w, 4); w8(&w, 0); w8(&w, 0); w64(&w, 2); w64(&w, 168); w32(&w, 2); w32(&w, 168);
	w32(&w, 10);
	set_end(&w);
	ipfix_end(&w);
	ck_assert_int_eq(fw_ipfix_decode(c, w.b, w.n, &exp_a, 0, out, 8, &st), 5);
	ASSERT_ADDR(&out[0].src, "10.0.0.1");
	ck_assert_uint_eq(out[0].pkts, 50);
	ck_assert_uint_eq(out[0].tcp_flags, 0x1b);
	ASSERT_ADDR(&out[1].src, "10.0.0.2");
	ASSERT_ADDR(&out[1].dst, "10.0.0.1");
	ck_assert_uint_eq(out[1].sport, 443);
	ck_assert_uint_eq(out[1].dport, 40000);
	ck_assert_uint_eq(out[1].in_if, 4);
	ck_assert_uint_eq(out[1].out_if, 3);
	ck_assert_uint_eq(out[1].tcp_flags, 0x12);
	ck_assert_uint_eq(out[1].pkts, 70);
	ck_assert_uint_eq(out[1].bytes, 90000);
	ck_assert_uint_eq(out[1].sampling, 10);
	ck_assert_int_eq(out[1].end_ms, out[0].end_ms);
	ASSERT_ADDR(&out[2].dst, "10.0.0.4");
	ASSERT_ADDR(&out[3].dst, "10.0.0.6");
	ASSERT_ADDR(&out[4].dst, "10.0.0.5");
	ck_assert_uint_eq(out[3].sport, 0x0800);
	ck_assert_uint_eq(out[4].sport, 0);
	ck_assert_uint_eq(out[4].dport, 0);
	ck_assert_uint_eq(st.reverse_records, 2);
	ck_assert_uint_eq(fw_tmpl_exporters(c, ex, 2), 1);
	ck_assert_uint_eq(ex[0].reverse_records, 2);
	ck_assert_uint_eq(ex[0].records, 5);
	fw_tmpl_cache_free(c);
}
END_TEST

/* Room for the forward direction only: the reverse one is counted out_full. */
START_TEST(test_nf9_ipfix_biflow_out_full)
{
	struct fw_tmpl_cache *c = new_cache(NULL);
	struct fw_flow_dec_stats st = { 0 };
	struct fw_flow out[3];
	struct wb w;

	ipfix_hdr(&w, 1700000000, 0, 1);
	set_begin(&w, 2);
	w16(&w, 701); w16(&w, 4);
	w16(&w, 12); w16(&w, 4);
	w16(&w, 8); w16(&w, 4);
	w16(&w, 2); w16(&w, 4);
	w16(&w, 0x8000 | 2); w16(&w, 4); w32(&w, 29305);
	set_end(&w);
	set_begin(&w, 701);
	for (uint32_t i = 1; i <= 2; i++) {
		w32(&w, 0x0a000000 + i); w32(&w, 0x0a000100 + i); w32(&w, 1); w32(&w, 1);
	}
	set_end(&w);
	ipfix_end(&w);
	ck_assert_int_eq(fw_ipfix_decode(c, w.b, w.n, &exp_a, 0, out, 3, &st), 3);
	ck_assert_uint_eq(st.err[FW_DEC_OUT_FULL], 1);
	ck_assert_uint_eq(st.reverse_records, 1);
	fw_tmpl_cache_free(c);
}
END_TEST

/* An IPv4/UDP packet 198.51.100.9 -> .53 with the given header length cut. */
static size_t
udp_packet(uint8_t *p, uint16_t total)
{
	static const uint8_t h[28] = {
		0x45, 0, 0, 0, 0, 1, 0, 0, 50, 17, 0, 0, 198, 51, 100, 9, 198, 51, 100, 53,
		0x9c, 0x40, 0, 53, 0, 0, 0, 0,
	};

	memcpy(p, h, sizeof(h));
	p[2] = (uint8_t)(total >> 8);
	p[3] = (uint8_t)total;
	return sizeof(h);
}

/*
 * PSAMP packet reports (RFC 5476/5477): the sampled packet's header, a
 * variable-length ipHeaderPacketSection (313) or a fixed-length
 * dataLinkFrameSection (315), goes through fw_pkt_l3; one packet of its IP
 * length, times the rate of its selector (options: samplingPacketInterval
 * and Space); what the record states wins; a frame that is not IP and has
 * no addresses yields nothing and is counted.
 */
START_TEST(test_nf9_ipfix_psamp_sections)
{
	struct fw_tmpl_cache *c = new_cache(NULL);
	struct fw_flow_dec_stats st = { 0 };
	struct fw_flow out[8];
	uint8_t pkt[64], frame[64];
	struct wb w;
	size_t n;

	ipfix_hdr(&w, 1700000000, 0, 1);
	set_begin(&w, 3);                       /* options: selector 4, 1 in 50 */
	w16(&w, 300); w16(&w, 3); w16(&w, 1);
	w16(&w, 302); w16(&w, 4); w16(&w, 305); w16(&w, 4); w16(&w, 306); w16(&w, 4);
	set_end(&w);
	set_begin(&w, 300);
	w32(&w, 4); w32(&w, 1); w32(&w, 49);
	set_end(&w);
	set_begin(&w, 2);
	w16(&w, 400); w16(&w, 3);               /* selectorId, observationTimeMs, 313 varlen */
	w16(&w, 302); w16(&w, 4); w16(&w, 323); w16(&w, 8); w16(&w, 313); w16(&w, 0xffff);
	w16(&w, 401); w16(&w, 3);               /* selectorId, dataLinkFrameSize, 315 fixed 48 */
	w16(&w, 302); w16(&w, 4); w16(&w, 312); w16(&w, 2); w16(&w, 315); w16(&w, 48);
	w16(&w, 402); w16(&w, 3);               /* destination address of its own, then 315 */
	w16(&w, 12); w16(&w, 4); w16(&w, 302); w16(&w, 4); w16(&w, 315); w16(&w, 48);
	set_end(&w);
	set_begin(&w, 400);
	n = udp_packet(pkt, 540);
	w32(&w, 4); w64(&w, 1700000000123); w8(&w, n); wbytes(&w, pkt, n);
	set_end(&w);
	memset(frame, 0, sizeof(frame));
	memset(frame, 0xee, 12);
	frame[12] = 0x81; frame[14] = 0; frame[15] = 7; frame[16] = 0x08;  /* 802.1Q, IPv4 */
	udp_packet(frame + 18, 1000);
	set_begin(&w, 401);
	w32(&w, 4); w16(&w, 1022); wbytes(&w, frame, 48);
	frame[16] = 0x08; frame[17] = 0x06;     /* ARP: not IP */
	w32(&w, 4); w16(&w, 60); wbytes(&w, frame, 48);
	set_end(&w);
	frame[17] = 0x00;
	set_begin(&w, 402);
	w32(&w, 0xcb007101); w32(&w, 4); wbytes(&w, frame, 48);
	set_end(&w);
	ipfix_end(&w);
	ck_assert_int_eq(fw_ipfix_decode(c, w.b, w.n, &exp_a, 0, out, 8, &st), 3);
	ASSERT_ADDR(&out[0].src, "198.51.100.9");
	ASSERT_ADDR(&out[0].dst, "198.51.100.53");
	ck_assert_uint_eq(out[0].proto, 17);
	ck_assert_uint_eq(out[0].sport, 40000);
	ck_assert_uint_eq(out[0].dport, 53);
	ck_assert_uint_eq(out[0].ttl, 50);
	ck_assert_uint_eq(out[0].sampling, 50);
	ck_assert_uint_eq(out[0].pkts, 50);
	ck_assert_uint_eq(out[0].bytes, 540 * 50);
	ck_assert_int_eq(out[0].end_ms, 1700000000123);
	ck_assert_int_eq(out[0].start_ms, 1700000000123);
	ASSERT_ADDR(&out[1].dst, "198.51.100.53");
	ck_assert_uint_eq(out[1].bytes, 1000 * 50);
	ASSERT_ADDR(&out[2].src, "198.51.100.9"); /* what the record lacks, from the packet */
	ASSERT_ADDR(&out[2].dst, "203.0.113.1");  /* what it states wins */
	ck_assert_uint_eq(out[2].dport, 53);     /* ports from the packet */
	ck_assert_uint_eq(st.err[FW_DEC_SECTION], 1);
	ck_assert_uint_eq(st.packet_reports, 3);
	ck_assert_str_eq(fw_dec_reason_name(FW_DEC_SECTION), "section_not_ip");
	fw_tmpl_cache_free(c);
}
END_TEST

/* One IPFIX datagram, template 700 with the given time fields, one record. */
static void
ipfix_time_case(const uint16_t *types, const uint16_t *lens, const uint64_t *vals, int n,
    int64_t want_start, int64_t want_end)
{
	struct fw_tmpl_cache *c = new_cache(NULL);
	struct fw_flow_dec_stats st = { 0 };
	struct fw_flow out[2];
	struct wb w;

	ipfix_hdr(&w, 1700000100, 0, 1);
	set_begin(&w, 2);
	w16(&w, 700); w16(&w, (uint16_t)(n + 1));
	w16(&w, 2); w16(&w, 4);
	for (int i = 0; i < n; i++) {
		w16(&w, types[i]);
		w16(&w, lens[i]);
	}
	set_end(&w);
	set_begin(&w, 700);
	w32(&w, 1);
	for (int i = 0; i < n; i++)
		wn(&w, vals[i], lens[i]);
	set_end(&w);
	ipfix_end(&w);
	ck_assert_int_eq(fw_ipfix_decode(c, w.b, w.n, &exp_a, 0, out, 2, &st), 1);
	ck_assert_int_eq(out[0].start_ms, want_start);
	ck_assert_int_eq(out[0].end_ms, want_end);
	fw_tmpl_cache_free(c);
}

#define NTP(s, frac) ((uint64_t)((s) + 2208988800u) << 32 | (frac))

START_TEST(test_nf9_ipfix_time_forms)
{
	const int64_t T = 1700000000000;
	{	/* seconds */
		uint16_t t[] = { 150, 151 }, l[] = { 4, 4 };
		uint64_t v[] = { 1700000000, 1700000003 };
		ipfix_time_case(t, l, v, 2, T, T + 3000);
	}
	{	/* milliseconds */
		uint16_t t[] = { 152, 153 }, l[] = { 8, 8 };
		uint64_t v[] = { 1700000000123u, 1700000000456u };
		ipfix_time_case(t, l, v, 2, T + 123, T + 456);
	}
	{	/* microseconds, NTP format: 0x80000000 fraction = 0.5 s */
		uint16_t t[] = { 154, 155 }, l[] = { 8, 8 };
		uint64_t v[] = { NTP(1700000000u, 0x80000000u), NTP(1700000001u, 0x40000000u) };
		ipfix_time_case(t, l, v, 2, T + 500, T + 1250);
	}
	{	/* nanoseconds, NTP format */
		uint16_t t[] = { 156, 157 }, l[] = { 8, 8 };
		uint64_t v[] = { NTP(1700000000u, 0), NTP(1700000002u, 0xc0000000u) };
		ipfix_time_case(t, l, v, 2, T, T + 2750);
	}
	{	/* delta microseconds before export (export 1700000100) */
		uint16_t t[] = { 158, 159 }, l[] = { 4, 4 };
		uint64_t v[] = { 5000000, 2500000 };
		ipfix_time_case(t, l, v, 2, T + 95000, T + 97500);
	}
	{	/* end + duration ms */
		uint16_t t[] = { 153, 161 }, l[] = { 8, 4 };
		uint64_t v[] = { 1700000010000u, 4000 };
		ipfix_time_case(t, l, v, 2, T + 6000, T + 10000);
	}
	{	/* start + duration us */
		uint16_t t[] = { 152, 162 }, l[] = { 8, 4 };
		uint64_t v[] = { 1700000010000u, 1500000 };
		ipfix_time_case(t, l, v, 2, T + 10000, T + 11500);
	}
	{	/* systemInitTimeMilliseconds + flowStart/EndSysUpTime */
		uint16_t t[] = { 160, 22, 21 }, l[] = { 8, 4, 4 };
		uint64_t v[] = { 1699990000000u, 10000000, 10000500 };
		ipfix_time_case(t, l, v, 3, T, T + 500);
	}
	{	/* hostile 8-byte values are clamped (2^50 ms), never overflow */
		uint16_t t[] = { 151, 161 }, l[] = { 8, 8 };
		uint64_t v[] = { UINT64_MAX, UINT64_MAX };
		ipfix_time_case(t, l, v, 2, 0, INT64_C(1) << 50);
	}
	{	/* no time at all: the export time */
		uint16_t t[] = { 4 }, l[] = { 1 };
		uint64_t v[] = { 6 };
		ipfix_time_case(t, l, v, 1, T + 100000, T + 100000);
	}
}
END_TEST

START_TEST(test_nf9_ipfix_sysinit_from_options)
{
	struct fw_tmpl_cache *c = new_cache(NULL);
	struct fw_flow_dec_stats st = { 0 };
	struct fw_flow out[2];
	struct wb w;

	ipfix_hdr(&w, 1700000100, 0, 1);
	set_begin(&w, 3);  /* options: scope exportingProcessId(144)/4; systemInitTime */
	w16(&w, 800); w16(&w, 2); w16(&w, 1);
	w16(&w, 144); w16(&w, 4);
	w16(&w, 160); w16(&w, 8);
	set_end(&w);
	set_begin(&w, 2);
	w16(&w, 801); w16(&w, 2);
	w16(&w, 22); w16(&w, 4);
	w16(&w, 21); w16(&w, 4);
	set_end(&w);
	set_begin(&w, 800);
	w32(&w, 1); w64(&w, 1699999000000u);
	set_end(&w);
	set_begin(&w, 801);
	w32(&w, 1000000); w32(&w, 1000250);
	set_end(&w);
	ipfix_end(&w);
	ck_assert_int_eq(fw_ipfix_decode(c, w.b, w.n, &exp_a, 0, out, 2, &st), 1);
	ck_assert_int_eq(out[0].start_ms, 1700000000000);
	ck_assert_int_eq(out[0].end_ms, 1700000000250);
	fw_tmpl_cache_free(c);
}
END_TEST

static void
ipfix_tmpl_900(struct wb *w)
{
	set_begin(w, 2);
	w16(w, 900); w16(w, 2);
	w16(w, 8); w16(w, 4);
	w16(w, 2); w16(w, 4);
	set_end(w);
}

static void
ipfix_data_900(struct wb *w, uint32_t pkts)
{
	set_begin(w, 900);
	w32(w, 0x0a000009);
	w32(w, pkts);
	set_end(w);
}

START_TEST(test_nf9_ipfix_withdrawal)
{
	struct fw_tmpl_cache *c = new_cache(NULL);
	struct fw_flow_dec_stats st = { 0 };
	struct fw_flow out[4];
	struct wb w;

	ipfix_hdr(&w, 1700000000, 0, 1);
	ipfix_tmpl_900(&w);
	ipfix_data_900(&w, 5);
	ipfix_end(&w);
	ck_assert_int_eq(fw_ipfix_decode(c, w.b, w.n, &exp_a, 0, out, 4, &st), 1);
	ck_assert(fw_tmpl_cache_has(c, 10, &exp_a, 1, 900));

	/* Withdraw 900 (field count 0), then data for it waits again. */
	ipfix_hdr(&w, 1700000000, 1, 1);
	set_begin(&w, 2);
	w16(&w, 900); w16(&w, 0);
	set_end(&w);
	ipfix_data_900(&w, 6);
	ipfix_end(&w);
	ck_assert_int_eq(fw_ipfix_decode(c, w.b, w.n, &exp_a, 0, out, 4, &st), 0);
	ck_assert(!fw_tmpl_cache_has(c, 10, &exp_a, 1, 900));
	ck_assert_uint_eq(st.templates_withdrawn, 1);
	ck_assert_uint_eq(st.err[FW_DEC_NO_TEMPLATE], 1);

	/* Re-announce (releases the buffered record), then withdraw all
	 * data templates of the domain with template id 2. */
	ipfix_hdr(&w, 1700000000, 1, 1);
	ipfix_tmpl_900(&w);
	ipfix_end(&w);
	ck_assert_int_eq(fw_ipfix_decode(c, w.b, w.n, &exp_a, 0, out, 4, &st), 1);
	ck_assert_uint_eq(out[0].pkts, 6);
	ipfix_hdr(&w, 1700000000, 2, 2);  /* same template in domain 2 survives */
	ipfix_tmpl_900(&w);
	ipfix_end(&w);
	ck_assert_int_eq(fw_ipfix_decode(c, w.b, w.n, &exp_a, 0, out, 4, &st), 0);
	ipfix_hdr(&w, 1700000000, 2, 1);
	set_begin(&w, 2);
	w16(&w, 2); w16(&w, 0);
	set_end(&w);
	ipfix_end(&w);
	ck_assert_int_eq(fw_ipfix_decode(c, w.b, w.n, &exp_a, 0, out, 4, &st), 0);
	ck_assert(!fw_tmpl_cache_has(c, 10, &exp_a, 1, 900));
	ck_assert(fw_tmpl_cache_has(c, 10, &exp_a, 2, 900));
	ck_assert_uint_eq(st.templates_withdrawn, 2);
	fw_tmpl_cache_free(c);
}
END_TEST

START_TEST(test_nf9_template_refresh_replaces)
{
	struct fw_tmpl_cache *c = new_cache(NULL);
	struct fw_flow_dec_stats st = { 0 };
	struct fw_flow out[4];
	struct wb w;

	ipfix_hdr(&w, 1700000000, 0, 1);
	ipfix_tmpl_900(&w);
	ipfix_end(&w);
	ck_assert_int_eq(fw_ipfix_decode(c, w.b, w.n, &exp_a, 0, out, 4, &st), 0);
	/* Same id, new layout: packets first, then the address. */
	ipfix_hdr(&w, 1700000000, 0, 1);
	set_begin(&w, 2);
	w16(&w, 900); w16(&w, 2);
	w16(&w, 2); w16(&w, 4);
	w16(&w, 8); w16(&w, 4);
	set_end(&w);
	set_begin(&w, 900);
	w32(&w, 77);
	w32(&w, 0x0a000009);
	set_end(&w);
	ipfix_end(&w);
	ck_assert_int_eq(fw_ipfix_decode(c, w.b, w.n, &exp_a, 0, out, 4, &st), 1);
	ck_assert_uint_eq(out[0].pkts, 77);
	ASSERT_ADDR(&out[0].src, "10.0.0.9");
	ck_assert_uint_eq(st.templates, 1);
	ck_assert_uint_eq(st.templates_refreshed, 1);
	ck_assert_uint_eq(fw_tmpl_cache_count(c), 1);
	fw_tmpl_cache_free(c);
}
END_TEST

START_TEST(test_nf9_template_expiry)
{
	struct fw_tmpl_cfg cfg;
	struct fw_tmpl_cache *c;
	struct fw_flow_dec_stats st = { 0 };
	struct fw_flow out[4];
	struct wb w;

	fw_tmpl_cfg_default(&cfg);
	cfg.template_timeout_ms = 1000;
	c = new_cache(&cfg);
	ipfix_hdr(&w, 1700000000, 0, 1);
	ipfix_tmpl_900(&w);
	ipfix_end(&w);
	ck_assert_int_eq(fw_ipfix_decode(c, w.b, w.n, &exp_a, 10000, out, 4, &st), 0);
	ipfix_hdr(&w, 1700000000, 0, 1);
	ipfix_data_900(&w, 1);
	ipfix_end(&w);
	ck_assert_int_eq(fw_ipfix_decode(c, w.b, w.n, &exp_a, 11000, out, 4, &st), 1);
	/* Not refreshed for more than the timeout: gone at lookup. */
	ck_assert_int_eq(fw_ipfix_decode(c, w.b, w.n, &exp_a, 11001, out, 4, &st), 0);
	ck_assert_uint_eq(st.templates_expired, 1);
	ck_assert(!fw_tmpl_cache_has(c, 10, &exp_a, 1, 900));
	/* And by the housekeeping sweep, refreshed ones kept. */
	ipfix_hdr(&w, 1700000000, 0, 1);
	ipfix_tmpl_900(&w);
	ipfix_end(&w);
	ck_assert_int_eq(fw_ipfix_decode(c, w.b, w.n, &exp_a, 20000, out, 4, &st), 1);  /* releases the waiting set */
	ck_assert_int_eq(fw_tmpl_cache_expire(c, 21000, &st), 0);
	ck_assert_int_eq(fw_tmpl_cache_expire(c, 21001, &st), 1);
	ck_assert_uint_eq(fw_tmpl_cache_count(c), 0);
	fw_tmpl_cache_free(c);
}
END_TEST

static void
count_exporter(void *ctx, const struct fw_flow_exporter *x)
{
	(void)x;
	(*(size_t *)ctx)++;
}

START_TEST(test_nf9_sequence_gaps)
{
	size_t nex = 0;
	struct fw_tmpl_cache *c = new_cache(NULL);
	struct fw_flow_dec_stats st = { 0 };
	struct fw_flow out[4];
	struct fw_flow_exporter ex[4];
	struct wb w;
	static const uint32_t v9seq[] = { 10, 11, 14, 12 };

	for (int i = 0; i < 4; i++) {
		v9_hdr(&w, 1000, 1700000000, v9seq[i], 0);
		v9_tmpl300(&w);
		ck_assert_int_eq(fw_nf9_decode(c, w.b, w.n, &exp_a, 0, out, 4, &st), 0);
	}
	/* IPFIX counts records: 2 records at seq 0, next must be 2; 5 is a gap of 3. */
	ipfix_hdr(&w, 1700000000, 0, 0);
	ipfix_tmpl_900(&w);
	set_begin(&w, 900);
	w32(&w, 1); w32(&w, 1); w32(&w, 2); w32(&w, 2);
	set_end(&w);
	ipfix_end(&w);
	ck_assert_int_eq(fw_ipfix_decode(c, w.b, w.n, &exp_b, 0, out, 4, &st), 2);
	ipfix_hdr(&w, 1700000000, 2, 0);
	ipfix_data_900(&w, 1);
	ipfix_end(&w);
	ck_assert_int_eq(fw_ipfix_decode(c, w.b, w.n, &exp_b, 0, out, 4, &st), 1);
	ipfix_hdr(&w, 1700000000, 6, 0);
	ipfix_data_900(&w, 1);
	ipfix_end(&w);
	ck_assert_int_eq(fw_ipfix_decode(c, w.b, w.n, &exp_b, 0, out, 4, &st), 1);
	ck_assert_uint_eq(fw_tmpl_exporters(c, ex, 4), 2);
	for (int i = 0; i < 2; i++) {
		if (ex[i].version == 9) {
			ck_assert_uint_eq(ex[i].seq_lost, 2);     /* 12, 13 */
			ck_assert_uint_eq(ex[i].seq_reorder, 1);  /* 12 after 14 */
			ck_assert_uint_eq(ex[i].datagrams, 4);
		} else {
			ck_assert_uint_eq(ex[i].seq_lost, 3);     /* expected 3, got 6 */
			ck_assert_uint_eq(ex[i].seq_reorder, 0);
			ck_assert_uint_eq(ex[i].records, 4);
		}
	}
	/* A short array gets what fits, and the count says so (issue 9 item 1:
	 * the count used to be the total, and the caller read past its array). */
	ck_assert_uint_eq(fw_tmpl_exporters(c, ex, 1), 1);
	ck_assert_uint_eq(fw_tmpl_exporters(c, ex, 0), 0);
	ck_assert_uint_eq(fw_tmpl_exporters_each(c, count_exporter, &nex), 2);
	ck_assert_uint_eq(nex, 2);
	fw_tmpl_cache_free(c);
}
END_TEST

START_TEST(test_nf9_save_load)
{
	struct fw_tmpl_cache *c = new_cache(NULL), *d;
	struct fw_flow_dec_stats st = { 0 };
	struct fw_flow out[4];
	struct wb w;
	char path[] = "/tmp/check_nf9_XXXXXX";
	int fd = mkstemp(path);

	ck_assert_int_ge(fd, 0);
	close(fd);
	/* Learn: IPFIX template with varlen + enterprise fields, and a rate. */
	ipfix_hdr(&w, 1700000000, 0, 4);
	set_begin(&w, 3);
	w16(&w, 401); w16(&w, 2); w16(&w, 1);
	w16(&w, 302); w16(&w, 4);
	w16(&w, 34); w16(&w, 4);   /* samplingInterval */
	set_end(&w);
	set_begin(&w, 2);
	w16(&w, 402); w16(&w, 4);
	w16(&w, 302); w16(&w, 4);
	w16(&w, 0x8000 | 5); w16(&w, 0xffff); w32(&w, 9);
	w16(&w, 8); w16(&w, 4);
	w16(&w, 2); w16(&w, 4);
	set_end(&w);
	set_begin(&w, 401);
	w32(&w, 3); w32(&w, 50);
	set_end(&w);
	/* Only templates that carried data are saved: one record for 402. */
	set_begin(&w, 402);
	w32(&w, 3); w8(&w, 1); w8(&w, 0); w32(&w, 0x0a000002); w32(&w, 1);
	set_end(&w);
	ipfix_end(&w);
	ck_assert_int_eq(fw_ipfix_decode(c, w.b, w.n, &exp_a, 0, out, 4, &st), 1);
	ck_assert_int_eq(fw_tmpl_cache_save(c, path), FW_OK);

	d = new_cache(NULL);
	ck_assert_int_eq(fw_tmpl_cache_load(d, path, 5000), FW_OK);
	ck_assert_uint_eq(fw_tmpl_cache_count(d), 2);
	ck_assert_uint_eq(fw_tmpl_sampling_get(d, 10, &exp_a, 4, 3), 50);
	ipfix_hdr(&w, 1700000000, 1, 4);
	set_begin(&w, 402);
	w32(&w, 3); w8(&w, 2); w16(&w, 0); w32(&w, 0x0a000001); w32(&w, 2);
	set_end(&w);
	ipfix_end(&w);
	ck_assert_int_eq(fw_ipfix_decode(d, w.b, w.n, &exp_a, 6000, out, 4, &st), 1);
	ASSERT_ADDR(&out[0].src, "10.0.0.1");
	ck_assert_uint_eq(out[0].pkts, 100);
	ck_assert_uint_eq(out[0].sampling, 50);

	/* A damaged file is refused, not half-trusted. */
	{
		FILE *fp = fopen(path, "r+b");

		ck_assert_ptr_nonnull(fp);
		ck_assert_int_eq(fseek(fp, 0, SEEK_END), 0);
		long sz = ftell(fp);
		ck_assert_int_eq(ftruncate(fileno(fp), sz - 3), 0);
		fclose(fp);
	}
	fw_tmpl_cache_free(d);
	d = new_cache(NULL);
	ck_assert_int_eq(fw_tmpl_cache_load(d, path, 0), FW_ETRUNC);
	ck_assert_int_eq(fw_tmpl_cache_load(d, "/nonexistent/x", 0), FW_ENOENT);
	unlink(path);
	fw_tmpl_cache_free(c);
	fw_tmpl_cache_free(d);
}
END_TEST

/* ---- hostile exporters: withdrawal, eviction, quota, poisoning, persistence ---------- */

/* IPFIX template `tid` of `n` (type, length) pairs into set 2 (or 3 with one scope field). */
static void
ipfix_tmpl(struct wb *w, bool options, uint16_t tid, int n, const uint16_t *tl)
{
	set_begin(w, options ? 3 : 2);
	w16(w, tid);
	w16(w, (uint16_t)n);
	if (options)
		w16(w, 1);
	for (int i = 0; i < n; i++) {
		w16(w, tl[2 * i]);
		w16(w, tl[2 * i + 1]);
	}
	set_end(w);
}

static const uint16_t src_pkts[] = { 8, 4, 2, 4 };      /* sourceIPv4Address, packetDeltaCount */
static const uint16_t pkts_src[] = { 2, 4, 8, 4 };      /* the same, swapped */
static const uint16_t opt_rate[] = { 302, 4, 34, 4 };   /* selectorId (scope), samplingInterval */

/* One datagram from `ex`, domain `dom`: template tid (src, pkts) and,
 * with_data, one record for it.  Returns the records decoded. */
static int
ipfix_one(struct fw_tmpl_cache *c, struct fw_flow_dec_stats *st, const struct fw_addr *ex,
    uint32_t dom, uint16_t tid, bool tmpl, bool with_data, int64_t now)
{
	struct fw_flow out[4];
	struct wb w;

	ipfix_hdr(&w, 1700000000, 0, dom);
	if (tmpl)
		ipfix_tmpl(&w, false, tid, 2, src_pkts);
	if (with_data) {
		set_begin(&w, tid);
		w32(&w, 0x0a000001);
		w32(&w, 7);
		set_end(&w);
	}
	ipfix_end(&w);
	return fw_ipfix_decode(c, w.b, w.n, ex, now, out, 4, st);
}

static struct fw_addr
addr_n(uint32_t n)  /* 10.x.y.z as an exporter address */
{
	struct fw_addr a = { { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 0, 0, 0 } };

	a.b[13] = (uint8_t)(n >> 16);
	a.b[14] = (uint8_t)(n >> 8);
	a.b[15] = (uint8_t)n;
	return a;
}

/* Withdraw-all removes exactly the (exporter, domain, kind) group, also after
 * an eviction took a template out of the middle of that group's list, and a
 * datagram of a thousand withdraw-all records changes nothing more. */
START_TEST(test_nf9_withdraw_all_groups)
{
	struct fw_tmpl_cfg cfg;
	struct fw_tmpl_cache *c;
	struct fw_flow_dec_stats st = { 0 };
	struct fw_flow out[4];
	struct wb w;

	fw_tmpl_cfg_default(&cfg);
	cfg.max_templates = 6;
	c = new_cache(&cfg);
	ck_assert_int_eq(ipfix_one(c, &st, &exp_a, 1, 900, true, false, 0), 0);
	ck_assert_int_eq(ipfix_one(c, &st, &exp_a, 1, 901, true, false, 0), 0);
	ck_assert_int_eq(ipfix_one(c, &st, &exp_a, 1, 903, true, false, 0), 0);
	ipfix_hdr(&w, 1700000000, 0, 1);
	ipfix_tmpl(&w, true, 950, 2, opt_rate);
	ipfix_end(&w);
	ck_assert_int_eq(fw_ipfix_decode(c, w.b, w.n, &exp_a, 0, out, 4, &st), 0);
	ck_assert_int_eq(ipfix_one(c, &st, &exp_a, 2, 900, true, false, 0), 0);
	ck_assert_int_eq(ipfix_one(c, &st, &exp_b, 1, 900, true, false, 0), 0);
	ck_assert_int_eq(ipfix_one(c, &st, &exp_a, 1, 900, false, true, 1000), 1);  /* 900 carried data */
	ck_assert_uint_eq(fw_tmpl_cache_count(c), 6);
	/* Full: v9 template 300 of the same address evicts the oldest unused, 901,
	 * from the middle of (exp_a, 1, data)'s list 903 -> 901 -> 900. */
	v9_hdr(&w, 1000, 1700000000, 1, 1);
	v9_tmpl300(&w);
	ck_assert_int_eq(fw_nf9_decode(c, w.b, w.n, &exp_a, 2000, out, 4, &st), 0);
	ck_assert_uint_eq(st.err[FW_DEC_TMPL_EVICTED], 1);
	ck_assert(!fw_tmpl_cache_has(c, 10, &exp_a, 1, 901));
	ck_assert(fw_tmpl_cache_has(c, 9, &exp_a, 1, 300));

	/* A thousand "withdraw all data templates" records in one datagram. */
	ipfix_hdr(&w, 1700000000, 1, 1);
	set_begin(&w, 2);
	for (int i = 0; i < 1000; i++) {
		w16(&w, 2);
		w16(&w, 0);
	}
	set_end(&w);
	ipfix_end(&w);
	ck_assert_int_eq(fw_ipfix_decode(c, w.b, w.n, &exp_a, 3000, out, 4, &st), 0);
	ck_assert_uint_eq(st.templates_withdrawn, 2);  /* 900 and 903 */
	ck_assert(!fw_tmpl_cache_has(c, 10, &exp_a, 1, 900));
	ck_assert(!fw_tmpl_cache_has(c, 10, &exp_a, 1, 903));
	ck_assert(fw_tmpl_cache_has(c, 10, &exp_a, 1, 950));  /* options: other kind */
	ck_assert(fw_tmpl_cache_has(c, 10, &exp_a, 2, 900));  /* other domain */
	ck_assert(fw_tmpl_cache_has(c, 10, &exp_b, 1, 900));  /* other exporter */
	ck_assert(fw_tmpl_cache_has(c, 9, &exp_a, 1, 300));   /* other version */
	ck_assert_uint_eq(fw_tmpl_cache_count(c), 4);

	/* Withdraw all options templates (set 3, id 3). */
	ipfix_hdr(&w, 1700000000, 1, 1);
	set_begin(&w, 3);
	w16(&w, 3); w16(&w, 0);
	set_end(&w);
	ipfix_end(&w);
	ck_assert_int_eq(fw_ipfix_decode(c, w.b, w.n, &exp_a, 3000, out, 4, &st), 0);
	ck_assert_uint_eq(st.templates_withdrawn, 3);
	ck_assert(!fw_tmpl_cache_has(c, 10, &exp_a, 1, 950));
	ck_assert_uint_eq(fw_tmpl_cache_count(c), 3);

	/* The group comes back whole: learn, decode, withdraw one by id. */
	ck_assert_int_eq(ipfix_one(c, &st, &exp_a, 1, 900, true, true, 4000), 1);
	ck_assert_int_eq(ipfix_one(c, &st, &exp_a, 1, 901, true, false, 4000), 0);
	ipfix_hdr(&w, 1700000000, 2, 1);
	set_begin(&w, 2);
	w16(&w, 901); w16(&w, 0);
	w16(&w, 2); w16(&w, 0);
	set_end(&w);
	ipfix_end(&w);
	ck_assert_int_eq(fw_ipfix_decode(c, w.b, w.n, &exp_a, 5000, out, 4, &st), 0);
	ck_assert_uint_eq(st.templates_withdrawn, 5);
	ck_assert_uint_eq(fw_tmpl_cache_count(c), 3);
	fw_tmpl_cache_free(c);
}
END_TEST

/* A full cache evicts templates no data was decoded with first (oldest
 * first), then the one least recently used for data; never refuses. */
START_TEST(test_nf9_eviction_order)
{
	struct fw_tmpl_cfg cfg;
	struct fw_tmpl_cache *c;
	struct fw_flow_dec_stats st = { 0 };
	struct fw_flow_exporter ex[32];
	size_t nex;

	fw_tmpl_cfg_default(&cfg);
	cfg.max_templates = 4;
	c = new_cache(&cfg);
	ck_assert_int_eq(ipfix_one(c, &st, &exp_a, 0, 900, true, true, 1000), 1);
	ck_assert_int_eq(ipfix_one(c, &st, &exp_a, 0, 901, true, true, 2000), 1);
	/* A flood of templates without data, one per spoofed address. */
	for (uint32_t i = 1; i <= 10; i++) {
		struct fw_addr f = addr_n(i);

		ck_assert_int_eq(ipfix_one(c, &st, &f, 0, 256, true, false, 2500), 0);
	}
	ck_assert_uint_eq(fw_tmpl_cache_count(c), 4);
	ck_assert_uint_eq(st.err[FW_DEC_TMPL_EVICTED], 8);
	ck_assert(fw_tmpl_cache_has(c, 10, &exp_a, 0, 900));
	ck_assert(fw_tmpl_cache_has(c, 10, &exp_a, 0, 901));
	/* A new exporter: template first, more flood, then its data alone. */
	ck_assert_int_eq(ipfix_one(c, &st, &exp_b, 0, 900, true, false, 3000), 0);
	{
		struct fw_addr f = addr_n(11);

		ck_assert_int_eq(ipfix_one(c, &st, &f, 0, 256, true, false, 3200), 0);
	}
	ck_assert_int_eq(ipfix_one(c, &st, &exp_b, 0, 900, false, true, 3500), 1);
	ck_assert_uint_eq(st.err[FW_DEC_TMPL_FULL], 0);
	ck_assert_uint_eq(st.err[FW_DEC_NO_TEMPLATE], 0);
	/* Only used templates and one unused (flood 11): a new one takes the
	 * unused slot, the next the least recently used, exp_a's 900. */
	ck_assert_int_eq(ipfix_one(c, &st, &exp_b, 0, 901, true, true, 4000), 1);
	ck_assert(fw_tmpl_cache_has(c, 10, &exp_a, 0, 900));
	ck_assert_int_eq(ipfix_one(c, &st, &exp_b, 0, 902, true, true, 5000), 1);
	ck_assert(!fw_tmpl_cache_has(c, 10, &exp_a, 0, 900));
	ck_assert(fw_tmpl_cache_has(c, 10, &exp_a, 0, 901));
	/* Use refreshes the order: exp_a's 901 (used at 6000) outlives exp_b's 900 (3500). */
	ck_assert_int_eq(ipfix_one(c, &st, &exp_a, 0, 901, false, true, 6000), 1);
	ck_assert_int_eq(ipfix_one(c, &st, &exp_b, 0, 903, true, true, 7000), 1);
	ck_assert(!fw_tmpl_cache_has(c, 10, &exp_b, 0, 900));
	ck_assert(fw_tmpl_cache_has(c, 10, &exp_a, 0, 901));
	ck_assert_uint_eq(st.err[FW_DEC_TMPL_EVICTED], 13);
	nex = fw_tmpl_exporters(c, ex, 32);
	for (size_t i = 0; i < nex; i++) {
		if (memcmp(&ex[i].addr, &exp_a, sizeof(exp_a)) == 0)
			ck_assert_uint_eq(ex[i].err[FW_DEC_TMPL_EVICTED], 1);
		else if (memcmp(&ex[i].addr, &exp_b, sizeof(exp_b)) == 0)
			ck_assert_uint_eq(ex[i].err[FW_DEC_TMPL_EVICTED], 1);
		else
			ck_assert_uint_eq(ex[i].err[FW_DEC_TMPL_EVICTED], 1);  /* each flood template, once */
	}
	fw_tmpl_cache_free(c);
}
END_TEST

/* One exporter address may hold max_templates_per_exporter templates over
 * all its domains and versions; refusals are counted against it. */
START_TEST(test_nf9_exporter_quota)
{
	struct fw_tmpl_cfg cfg;
	struct fw_tmpl_cache *c;
	struct fw_flow_dec_stats st = { 0 };
	struct fw_flow_exporter ex[8];
	struct fw_flow out[4];
	struct wb w;
	size_t nex;

	fw_tmpl_cfg_default(&cfg);
	cfg.max_templates_per_exporter = 3;
	c = new_cache(&cfg);
	for (uint16_t tid = 256; tid < 260; tid++)
		ck_assert_int_eq(ipfix_one(c, &st, &exp_a, 1, tid, true, false, 0), 0);
	ck_assert_uint_eq(fw_tmpl_cache_count(c), 3);
	ck_assert_uint_eq(st.err[FW_DEC_TMPL_QUOTA], 1);
	ck_assert(!fw_tmpl_cache_has(c, 10, &exp_a, 1, 259));
	ck_assert_int_eq(ipfix_one(c, &st, &exp_a, 2, 256, true, false, 0), 0);  /* another domain */
	v9_hdr(&w, 1000, 1700000000, 1, 1);
	v9_tmpl300(&w);
	ck_assert_int_eq(fw_nf9_decode(c, w.b, w.n, &exp_a, 0, out, 4, &st), 0);  /* another version */
	ck_assert_uint_eq(st.err[FW_DEC_TMPL_QUOTA], 3);
	ck_assert_int_eq(ipfix_one(c, &st, &exp_a, 1, 256, true, true, 0), 1);  /* a refresh is no new one */
	ck_assert_int_eq(ipfix_one(c, &st, &exp_b, 1, 256, true, true, 0), 1);  /* others unaffected */
	ck_assert_uint_eq(st.err[FW_DEC_TMPL_QUOTA], 3);
	nex = fw_tmpl_exporters(c, ex, 8);
	for (size_t i = 0; i < nex; i++)
		if (memcmp(&ex[i].addr, &exp_a, sizeof(exp_a)) == 0 && ex[i].version == 10 && ex[i].domain == 1)
			ck_assert_uint_eq(ex[i].err[FW_DEC_TMPL_QUOTA], 1);
	/* A withdrawal gives the quota back. */
	ipfix_hdr(&w, 1700000000, 1, 1);
	set_begin(&w, 2);
	w16(&w, 257); w16(&w, 0);
	set_end(&w);
	ipfix_end(&w);
	ck_assert_int_eq(fw_ipfix_decode(c, w.b, w.n, &exp_a, 0, out, 4, &st), 0);
	ck_assert_int_eq(ipfix_one(c, &st, &exp_a, 2, 256, true, false, 0), 0);
	ck_assert(fw_tmpl_cache_has(c, 10, &exp_a, 2, 256));
	ck_assert_str_eq(fw_dec_reason_name(FW_DEC_TMPL_QUOTA), "template_quota");
	fw_tmpl_cache_free(c);
}
END_TEST

/* Poisoning: a redefinition (same id, other fields) is applied but counted
 * against the exporter; a redefinition that cannot be compiled is refused
 * and the template in use stays. */
START_TEST(test_nf9_redefinition)
{
	struct fw_tmpl_cache *c = new_cache(NULL);
	struct fw_flow_dec_stats st = { 0 };
	struct fw_flow_exporter ex[2];
	struct fw_flow out[4];
	struct wb w;

	ck_assert_int_eq(ipfix_one(c, &st, &exp_a, 0, 900, true, true, 0), 1);
	ck_assert_uint_eq(st.err[FW_DEC_TMPL_REDEFINED], 0);
	/* Same fields again: a refresh, not a redefinition. */
	ck_assert_int_eq(ipfix_one(c, &st, &exp_a, 0, 900, true, true, 0), 1);
	ck_assert_uint_eq(st.err[FW_DEC_TMPL_REDEFINED], 0);
	/* Fields swapped (what a spoofed datagram does to poison it). */
	ipfix_hdr(&w, 1700000000, 0, 0);
	ipfix_tmpl(&w, false, 900, 2, pkts_src);
	set_begin(&w, 900);
	w32(&w, 77);
	w32(&w, 0x0a000009);
	set_end(&w);
	ipfix_end(&w);
	ck_assert_int_eq(fw_ipfix_decode(c, w.b, w.n, &exp_a, 0, out, 4, &st), 1);
	ck_assert_uint_eq(out[0].pkts, 77);
	ck_assert_uint_eq(st.err[FW_DEC_TMPL_REDEFINED], 1);
	ck_assert_uint_eq(fw_tmpl_exporters(c, ex, 2), 1);
	ck_assert_uint_eq(ex[0].err[FW_DEC_TMPL_REDEFINED], 1);

	/* A redefinition we refuse (its record would be zero bytes long)
	 * keeps the template in use: data still decodes with it. */
	ipfix_hdr(&w, 1700000000, 0, 0);
	set_begin(&w, 2);
	w16(&w, 900); w16(&w, 1); w16(&w, 8); w16(&w, 0);
	set_end(&w);
	set_begin(&w, 900);
	w32(&w, 78);
	w32(&w, 0x0a000009);
	set_end(&w);
	ipfix_end(&w);
	ck_assert_int_eq(fw_ipfix_decode(c, w.b, w.n, &exp_a, 0, out, 4, &st), 1);
	ck_assert_uint_eq(out[0].pkts, 78);
	ASSERT_ADDR(&out[0].src, "10.0.0.9");
	ck_assert_uint_eq(st.err[FW_DEC_TEMPLATE], 1);
	ck_assert_uint_eq(st.err[FW_DEC_TMPL_REDEFINED], 1);
	ck_assert(fw_tmpl_cache_has(c, 10, &exp_a, 0, 900));

	/* The same for NetFlow v9 (no variable-length fields in v9). */
	v9_hdr(&w, 1000, 1700000000, 1, 0);
	v9_tmpl300(&w);
	ck_assert_int_eq(fw_nf9_decode(c, w.b, w.n, &exp_a, 0, out, 4, &st), 0);
	v9_hdr(&w, 1000, 1700000000, 2, 0);
	set_begin(&w, 0);
	w16(&w, 300); w16(&w, 1); w16(&w, 8); w16(&w, 0xffff);
	set_end(&w);
	ck_assert_int_eq(fw_nf9_decode(c, w.b, w.n, &exp_a, 0, out, 4, &st), 0);
	ck_assert_uint_eq(st.err[FW_DEC_TEMPLATE], 2);
	ck_assert(fw_tmpl_cache_has(c, 9, &exp_a, 0, 300));

	/* A redefinition that turns a data template into an options template
	 * moves it to the options group: withdraw-all data leaves it alone. */
	ipfix_hdr(&w, 1700000000, 0, 0);
	ipfix_tmpl(&w, true, 900, 2, opt_rate);
	set_begin(&w, 2);
	w16(&w, 2); w16(&w, 0);
	set_end(&w);
	ipfix_end(&w);
	ck_assert_int_eq(fw_ipfix_decode(c, w.b, w.n, &exp_a, 0, out, 4, &st), 0);
	ck_assert_uint_eq(st.err[FW_DEC_TMPL_REDEFINED], 2);
	ck_assert(fw_tmpl_cache_has(c, 10, &exp_a, 0, 900));
	ipfix_hdr(&w, 1700000000, 0, 0);
	set_begin(&w, 3);
	w16(&w, 3); w16(&w, 0);
	set_end(&w);
	ipfix_end(&w);
	ck_assert_int_eq(fw_ipfix_decode(c, w.b, w.n, &exp_a, 0, out, 4, &st), 0);
	ck_assert(!fw_tmpl_cache_has(c, 10, &exp_a, 0, 900));
	fw_tmpl_cache_free(c);
}
END_TEST

/* Persistence keeps only templates that data was decoded with, with their
 * times: a flood is not restored, and neither is a template the timeout
 * has passed while the collector was down. */
START_TEST(test_nf9_save_proven_only)
{
	struct fw_tmpl_cache *c = new_cache(NULL), *d;
	struct fw_flow_dec_stats st = { 0 };
	char path[] = "/tmp/check_nf9_XXXXXX";
	int fd = mkstemp(path);
	const int64_t t0 = INT64_C(1700000000000);

	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_int_eq(ipfix_one(c, &st, &exp_a, 0, 900, true, true, t0), 1);
	ck_assert_int_eq(ipfix_one(c, &st, &exp_b, 0, 901, true, false, t0), 0);
	for (uint32_t i = 1; i <= 50; i++) {
		struct fw_addr f = addr_n(i);

		ck_assert_int_eq(ipfix_one(c, &st, &f, 7, 256, true, false, t0), 0);
	}
	ck_assert_uint_eq(fw_tmpl_cache_count(c), 52);
	ck_assert_int_eq(fw_tmpl_cache_save(c, path), FW_OK);

	d = new_cache(NULL);
	ck_assert_int_eq(fw_tmpl_cache_load(d, path, t0 + 60000), FW_OK);
	ck_assert_uint_eq(fw_tmpl_cache_count(d), 1);
	ck_assert(fw_tmpl_cache_has(d, 10, &exp_a, 0, 900));
	ck_assert_int_eq(ipfix_one(d, &st, &exp_a, 0, 900, false, true, t0 + 61000), 1);
	/* A restored template counts as used: it is saved again. */
	ck_assert_int_eq(fw_tmpl_cache_save(d, path), FW_OK);
	fw_tmpl_cache_free(d);
	d = new_cache(NULL);
	ck_assert_int_eq(fw_tmpl_cache_load(d, path, t0 + 120000), FW_OK);
	ck_assert_uint_eq(fw_tmpl_cache_count(d), 1);
	fw_tmpl_cache_free(d);
	/* Defined at t0, timeout 30 min: not restored a minute after that. */
	d = new_cache(NULL);
	ck_assert_int_eq(fw_tmpl_cache_load(d, path, t0 + 31 * 60000), FW_OK);
	ck_assert_uint_eq(fw_tmpl_cache_count(d), 0);
	fw_tmpl_cache_free(d);
	unlink(path);
	fw_tmpl_cache_free(c);
}
END_TEST

/* ---- malformed ------------------------------------------------------------------------- */

START_TEST(test_nf9_zero_length_set_aborts)
{
	struct fw_tmpl_cache *c = new_cache(NULL);
	struct fw_flow_dec_stats st = { 0 };
	struct fw_flow out[4];
	struct wb w;

	v9_hdr(&w, 1000, 1700000000, 1, 0);
	v9_tmpl300(&w);
	w16(&w, 300); w16(&w, 0);  /* zero-length set */
	w32(&w, 0);
	ck_assert_int_eq(fw_nf9_decode(c, w.b, w.n, &exp_a, 0, out, 4, &st), FW_EMALFORMED);
	ck_assert_uint_eq(fw_tmpl_cache_count(c), 0);  /* nothing learnt from it */
	ck_assert_uint_eq(st.err[FW_DEC_SET_LEN], 1);

	ipfix_hdr(&w, 1700000000, 0, 0);
	ipfix_tmpl_900(&w);
	w16(&w, 900); w16(&w, 2);
	ipfix_end(&w);
	ck_assert_int_eq(fw_ipfix_decode(c, w.b, w.n, &exp_a, 0, out, 4, &st), FW_EMALFORMED);

	/* A set longer than the datagram. */
	ipfix_hdr(&w, 1700000000, 0, 0);
	ipfix_tmpl_900(&w);
	w16(&w, 900); w16(&w, 200); w32(&w, 0);
	ipfix_end(&w);
	ck_assert_int_eq(fw_ipfix_decode(c, w.b, w.n, &exp_a, 0, out, 4, &st), FW_ETRUNC);
	ck_assert_uint_eq(fw_tmpl_cache_count(c), 0);

	/* Rejections count against an exporter already known. */
	struct fw_flow_exporter ex[2];
	ipfix_hdr(&w, 1700000000, 0, 0);
	ipfix_end(&w);
	ck_assert_int_eq(fw_ipfix_decode(c, w.b, w.n, &exp_a, 0, out, 4, &st), 0);
	w16(&w, 900); w16(&w, 0);
	ipfix_end(&w);
	ck_assert_int_eq(fw_ipfix_decode(c, w.b, w.n, &exp_a, 0, out, 4, &st), FW_EMALFORMED);
	ck_assert_uint_eq(fw_tmpl_exporters(c, ex, 2), 1);
	ck_assert_uint_eq(ex[0].err[FW_DEC_SET_LEN], 1);
	ck_assert_uint_eq(ex[0].datagrams, 1);
	fw_tmpl_cache_free(c);
}
END_TEST

START_TEST(test_nf9_bad_headers)
{
	struct fw_tmpl_cache *c = new_cache(NULL);
	struct fw_flow_dec_stats st = { 0 };
	struct fw_flow out[4];
	struct wb w;

	ipfix_hdr(&w, 1700000000, 0, 0);
	ipfix_end(&w);
	ck_assert_int_eq(fw_nf9_decode(c, w.b, w.n, &exp_a, 0, out, 4, &st), FW_ETRUNC);  /* 16 < 20 */
	ck_assert_int_eq(fw_ipfix_decode(c, w.b, w.n, &exp_a, 0, out, 4, &st), 0);  /* empty message */
	w.b[3] = 17;  /* length past the end */
	ck_assert_int_eq(fw_ipfix_decode(c, w.b, w.n, &exp_a, 0, out, 4, &st), FW_ETRUNC);
	w.b[3] = 15;
	ck_assert_int_eq(fw_ipfix_decode(c, w.b, w.n, &exp_a, 0, out, 4, &st), FW_EMALFORMED);
	v9_hdr(&w, 0, 0, 0, 0);
	w.b[1] = 5;
	ck_assert_int_eq(fw_nf9_decode(c, w.b, w.n, &exp_a, 0, out, 4, &st), FW_EMALFORMED);
	ck_assert_int_eq(fw_ipfix_decode(c, w.b, w.n, &exp_a, 0, out, 4, &st), FW_EMALFORMED);
	ck_assert_uint_eq(st.datagrams, 6);
	ck_assert_uint_eq(st.datagrams_rejected, 5);
	fw_tmpl_cache_free(c);
}
END_TEST

START_TEST(test_nf9_bad_templates)
{
	struct fw_tmpl_cache *c = new_cache(NULL);
	struct fw_flow_dec_stats st = { 0 };
	struct fw_flow out[4];
	struct wb w;

	v9_hdr(&w, 1000, 1700000000, 1, 0);
	set_begin(&w, 0);
	w16(&w, 300); w16(&w, 1); w16(&w, 8); w16(&w, 0);  /* zero-length record */
	w16(&w, 301); w16(&w, 1); w16(&w, 8); w16(&w, 0xffff);  /* v9 has no varlen */
	w16(&w, 100); w16(&w, 1); w16(&w, 8); w16(&w, 4);  /* id < 256 */
	set_end(&w);
	ck_assert_int_eq(fw_nf9_decode(c, w.b, w.n, &exp_a, 0, out, 4, &st), 0);
	ck_assert_uint_eq(fw_tmpl_cache_count(c), 0);
	ck_assert_uint_eq(st.err[FW_DEC_TEMPLATE], 3);

	/* Too many fields. */
	v9_hdr(&w, 1000, 1700000000, 2, 0);
	set_begin(&w, 0);
	w16(&w, 302); w16(&w, FW_TMPL_MAX_FIELDS + 1);
	for (int i = 0; i <= FW_TMPL_MAX_FIELDS; i++) {
		w16(&w, 1);
		w16(&w, 4);
	}
	set_end(&w);
	ck_assert_int_eq(fw_nf9_decode(c, w.b, w.n, &exp_a, 0, out, 4, &st), 0);
	ck_assert_uint_eq(st.err[FW_DEC_TEMPLATE], 4);

	/* IPFIX options template with scope count 0 or above field count. */
	ipfix_hdr(&w, 1700000000, 0, 0);
	set_begin(&w, 3);
	w16(&w, 400); w16(&w, 1); w16(&w, 0); w16(&w, 302); w16(&w, 4);
	set_end(&w);
	set_begin(&w, 3);
	w16(&w, 401); w16(&w, 1); w16(&w, 2); w16(&w, 302); w16(&w, 4);
	set_end(&w);
	set_begin(&w, 7);  /* reserved set id: skipped, counted */
	w32(&w, 0);
	set_end(&w);
	ipfix_end(&w);
	ck_assert_int_eq(fw_ipfix_decode(c, w.b, w.n, &exp_a, 0, out, 4, &st), 0);
	ck_assert_uint_eq(st.err[FW_DEC_TEMPLATE], 6);
	ck_assert_uint_eq(st.err[FW_DEC_SET_RESERVED], 1);
	ck_assert_uint_eq(fw_tmpl_cache_count(c), 0);
	fw_tmpl_cache_free(c);
}
END_TEST

/* ---- limits ------------------------------------------------------------------------------ */

START_TEST(test_nf9_cache_full)
{
	struct fw_tmpl_cfg cfg;
	struct fw_tmpl_cache *c;
	struct fw_flow_dec_stats st = { 0 };
	struct fw_flow out[4];
	struct fw_flow_exporter ex[4];
	struct wb w;

	fw_tmpl_cfg_default(&cfg);
	cfg.max_templates = 2;
	cfg.max_exporters = 1;
	c = new_cache(&cfg);
	for (uint16_t id = 256; id < 259; id++) {
		ipfix_hdr(&w, 1700000000, 0, 0);
		set_begin(&w, 2);
		w16(&w, id); w16(&w, 1); w16(&w, 2); w16(&w, 4);
		set_end(&w);
		ipfix_end(&w);
		ck_assert_int_eq(fw_ipfix_decode(c, w.b, w.n, &exp_a, 0, out, 4, &st), 0);
	}
	/* Full: the oldest template never used for data made room. */
	ck_assert_uint_eq(fw_tmpl_cache_count(c), 2);
	ck_assert_uint_eq(st.err[FW_DEC_TMPL_EVICTED], 1);
	ck_assert_uint_eq(st.err[FW_DEC_TMPL_FULL], 0);
	ck_assert(!fw_tmpl_cache_has(c, 10, &exp_a, 0, 256));
	ck_assert(fw_tmpl_cache_has(c, 10, &exp_a, 0, 258));
	/* Withdrawal frees a slot: the next one evicts nothing. */
	ipfix_hdr(&w, 1700000000, 0, 0);
	set_begin(&w, 2);
	w16(&w, 257); w16(&w, 0);
	w16(&w, 256); w16(&w, 1); w16(&w, 2); w16(&w, 4);
	set_end(&w);
	ipfix_end(&w);
	ck_assert_int_eq(fw_ipfix_decode(c, w.b, w.n, &exp_a, 0, out, 4, &st), 0);
	ck_assert(fw_tmpl_cache_has(c, 10, &exp_a, 0, 258));
	ck_assert(fw_tmpl_cache_has(c, 10, &exp_a, 0, 256));
	ck_assert(!fw_tmpl_cache_has(c, 10, &exp_a, 0, 257));
	ck_assert_uint_eq(st.err[FW_DEC_TMPL_EVICTED], 1);
	/* Exporter table full: a second exporter still decodes, counted. */
	ipfix_hdr(&w, 1700000000, 0, 0);
	ipfix_tmpl_900(&w);
	ipfix_data_900(&w, 3);
	ipfix_end(&w);
	ck_assert_int_eq(fw_ipfix_decode(c, w.b, w.n, &exp_b, 0, out, 4, &st), 1);
	ck_assert_uint_eq(st.err[FW_DEC_EXP_FULL], 1);
	ck_assert_uint_eq(fw_tmpl_exporters(c, ex, 4), 1);
	ck_assert_uint_eq(ex[0].err[FW_DEC_TMPL_EVICTED], 2);  /* 256, then 258 for exp_b's 900 */
	fw_tmpl_cache_free(c);
}
END_TEST

START_TEST(test_nf9_output_full)
{
	struct fw_tmpl_cache *c = new_cache(NULL);
	struct fw_flow_dec_stats st = { 0 };
	struct fw_flow out[2];
	struct wb w;

	ipfix_hdr(&w, 1700000000, 0, 0);
	ipfix_tmpl_900(&w);
	set_begin(&w, 900);
	for (int i = 0; i < 5; i++) {
		w32(&w, 0x0a000000u + (uint32_t)i);
		w32(&w, 1);
	}
	set_end(&w);
	ipfix_end(&w);
	ck_assert_int_eq(fw_ipfix_decode(c, w.b, w.n, &exp_a, 0, out, 2, &st), 2);
	ck_assert_uint_eq(st.err[FW_DEC_OUT_FULL], 3);
	ASSERT_ADDR(&out[1].src, "10.0.0.1");
	fw_tmpl_cache_free(c);
}
END_TEST

/* ---- real-router quirks (issue 11): dual-family templates, hostile counters ---- */

/* A v9 template `tid` carrying IPv4 (8/12) and IPv6 (27/28) addresses, v6
 * first when v6_first, with ipVersion (60) when ipver; then ports, proto,
 * pkts(8) bytes(8), flowStart/EndMilliseconds. */
static void
v9_dual_tmpl(struct wb *w, uint16_t tid, int v6_first, int ipver)
{
	set_begin(w, 0);
	w16(w, tid);
	w16(w, ipver ? 12 : 11);
	if (v6_first) {
		w16(w, 27); w16(w, 16); w16(w, 28); w16(w, 16);
		w16(w, 8); w16(w, 4); w16(w, 12); w16(w, 4);
	} else {
		w16(w, 8); w16(w, 4); w16(w, 12); w16(w, 4);
		w16(w, 27); w16(w, 16); w16(w, 28); w16(w, 16);
	}
	if (ipver) {
		w16(w, 60); w16(w, 1);
	}
	w16(w, 7); w16(w, 2);
	w16(w, 11); w16(w, 2);
	w16(w, 4); w16(w, 1);
	w16(w, 2); w16(w, 8);
	w16(w, 1); w16(w, 8);
	w16(w, 152); w16(w, 8);
	w16(w, 153); w16(w, 8);
	set_end(w);
}

static void
v9_dual_rec(struct wb *w, int v6_first, int ipver, uint32_t s4, uint32_t d4, uint8_t s6last, uint8_t d6last,
    uint64_t pkts, uint64_t bytes, uint64_t start_ms, uint64_t end_ms)
{
	uint8_t s6[16] = { 0 }, d6[16] = { 0 };

	if (s6last) {
		s6[0] = 0x20; s6[1] = 0x01; s6[2] = 0x0d; s6[3] = 0xb8; s6[15] = s6last;
	}
	if (d6last) {
		d6[0] = 0x20; d6[1] = 0x01; d6[2] = 0x0d; d6[3] = 0xb8; d6[15] = d6last;
	}
	if (v6_first) {
		wbytes(w, s6, 16); wbytes(w, d6, 16); w32(w, s4); w32(w, d4);
	} else {
		w32(w, s4); w32(w, d4); wbytes(w, s6, 16); wbytes(w, d6, 16);
	}
	if (ipver)
		w8(w, (uint64_t)ipver);
	w16(w, 40000);
	w16(w, 53);
	w8(w, 17);
	w64(w, pkts);
	w64(w, bytes);
	w64(w, start_ms);
	w64(w, end_ms);
}

START_TEST(test_nf9_dual_family)
{
	/* Cisco-style templates with both families, the unused one zeroed: the
	 * family comes from ipVersion, else from the non-zero destination, in
	 * either field order.  Before, the later fields won: 0.0.0.0 or ::. */
	struct fw_tmpl_cache *c = new_cache(NULL);
	struct fw_flow_dec_stats st = { 0 };
	struct fw_flow out[8];
	struct wb w;
	const uint64_t t = 1700000000000ULL;

	v9_hdr(&w, 100000, 1700000000, 1, 7);
	v9_dual_tmpl(&w, 400, 0, 1);
	v9_dual_tmpl(&w, 401, 0, 0);
	v9_dual_tmpl(&w, 402, 1, 0);
	set_begin(&w, 400);
	v9_dual_rec(&w, 0, 6, 0, 0, 0x01, 0x53, 10, 1000, t, t + 1000);          /* v6 by ipVersion */
	v9_dual_rec(&w, 0, 4, 0x0a000001, 0xc6336435, 0, 0, 10, 1000, t, t + 1000); /* v4 by ipVersion */
	set_end(&w);
	set_begin(&w, 401);
	v9_dual_rec(&w, 0, 0, 0x0a000001, 0xc6336435, 0, 0, 10, 1000, t, t + 1000); /* v4: v6 zeroed, after */
	v9_dual_rec(&w, 0, 0, 0, 0, 0x01, 0x54, 10, 1000, t, t + 1000);             /* v6: v4 zeroed */
	set_end(&w);
	set_begin(&w, 402);
	v9_dual_rec(&w, 1, 0, 0x0a000002, 0xc6336436, 0, 0, 10, 1000, t, t + 1000); /* v4: v6 zeroed, before */
	v9_dual_rec(&w, 1, 0, 0, 0, 0, 0, 10, 1000, t, t + 1000);                   /* all zero */
	set_end(&w);
	ck_assert_int_eq(fw_nf9_decode(c, w.b, w.n, &exp_a, 0, out, 8, &st), 6);
	ASSERT_ADDR(&out[0].dst, "2001:db8::53");
	ASSERT_ADDR(&out[0].src, "2001:db8::1");
	ASSERT_ADDR(&out[1].dst, "198.51.100.53");
	ASSERT_ADDR(&out[1].src, "10.0.0.1");
	ASSERT_ADDR(&out[2].dst, "198.51.100.53");
	ASSERT_ADDR(&out[2].src, "10.0.0.1");
	ASSERT_ADDR(&out[3].dst, "2001:db8::54");
	ASSERT_ADDR(&out[4].dst, "198.51.100.54");
	ASSERT_ADDR(&out[4].src, "10.0.0.2");
	/* Nothing to pick from: all-zero, which fw_decode then drops. */
	ASSERT_ADDR(&out[5].dst, "::");
	fw_tmpl_cache_free(c);
}
END_TEST

START_TEST(test_nf9_decoder_screens_records)
{
	/* Through fw_decoder_udp: hand-made hostile counters and an all-zero
	 * destination are dropped and counted, per format and per exporter;
	 * the exporter's record durations are learnt. */
	struct fw_config cfg;
	struct fw_decoder *dec;
	struct fw_flow out[16];
	struct fw_dnsq dq[1];
	const struct fw_decode_stats *ds;
	const struct fw_flow_profile *prof;
	struct fw_udp u;
	struct wb w;
	size_t nf = 0, nd = 0;
	const uint64_t t = 1700000000000ULL;

	fw_config_defaults(&cfg);
	ck_assert_int_eq(fw_decoder_new(&cfg, &dec), FW_OK);
	v9_hdr(&w, 100000, 1700000000, 1, 7);
	v9_dual_tmpl(&w, 400, 0, 1);
	set_begin(&w, 400);
	v9_dual_rec(&w, 0, 4, 0x0a000001, 0xc6336435, 0, 0, 600, 600 * 500, t, t + 60000);   /* ok: 60 s */
	v9_dual_rec(&w, 0, 4, 0x0a000001, 0xc6336435, 0, 0, 3, 3 * 40, t, t + 1000);          /* ok: 1 s */
	v9_dual_rec(&w, 0, 4, 0x0a000001, 0xc6336435, 0, 0, UINT64_MAX, UINT64_MAX, t, t);   /* 2^64-1 */
	v9_dual_rec(&w, 0, 4, 0x0a000001, 0xc6336435, 0, 0, 10, 100, t, t);                  /* 10 B/pkt */
	v9_dual_rec(&w, 0, 4, 0x0a000001, 0xc6336435, 0, 0, 1, 70000, t, t);                 /* 70000 B/pkt */
	v9_dual_rec(&w, 0, 4, 0x0a000001, 0xc6336435, 0, 0, 1000000000, 1000000000000ULL, t, t + 1000); /* 8 Tbit/s */
	v9_dual_rec(&w, 0, 4, 0x0a000001, 0xc6336435, 0, 0, 5, 0, t, t);                     /* packets, no bytes */
	v9_dual_rec(&w, 0, 4, 0x0a000001, 0, 0, 0, 10, 1000, t, t);                          /* 0.0.0.0 */
	v9_dual_rec(&w, 0, 6, 0, 0, 0x01, 0, 10, 1000, t, t);                                /* :: */
	set_end(&w);
	memset(&u, 0, sizeof(u));
	u.src = exp_a;
	u.payload = w.b;
	u.len = w.n;
	ck_assert_int_eq(fw_decoder_udp(dec, &u, 0, out, 16, &nf, dq, 1, &nd), FW_PAYLOAD_NF9);
	ck_assert_uint_eq(nf, 2);
	ck_assert_uint_eq(out[0].pkts, 600);
	ck_assert_uint_eq(out[1].pkts, 3);
	ds = fw_decoder_stats(dec);
	ck_assert_uint_eq(ds->records[FW_PAYLOAD_NF9], 2);
	ck_assert_uint_eq(ds->errors[FW_PAYLOAD_NF9][FW_DERR_IMPLAUSIBLE], 5);
	ck_assert_uint_eq(ds->errors[FW_PAYLOAD_NF9][FW_DERR_ZERO_DST], 2);
	ck_assert_str_eq(fw_derr_name(FW_DERR_IMPLAUSIBLE), "implausible");
	ck_assert_uint_eq(fw_decoder_flow_profiles(dec, &prof), 1);
	ck_assert_uint_eq(prof[0].kind, FW_PAYLOAD_NF9);
	ck_assert_uint_eq(prof[0].records, 9);
	ck_assert_uint_eq(prof[0].implausible, 5);
	ck_assert_uint_eq(prof[0].zero_dst, 2);
	/* Durations of the kept records: 1 s and 60 s. */
	ck_assert_int_eq(fw_flow_profile_duration_ms(&prof[0], 0.5), 1000);
	ck_assert_int_eq(fw_flow_profile_duration_ms(&prof[0], 0.99), 60000);
	fw_decoder_free(dec);
}
END_TEST

START_TEST(test_nf9_plausible_bounds)
{
	/* Exact boundaries of fw_flow_plausible. */
	struct fw_flow f;

	memset(&f, 0, sizeof(f));
	ck_assert(fw_flow_plausible(&f));                 /* nothing at all */
	f.pkts = 1; f.bytes = 20;
	ck_assert(fw_flow_plausible(&f));
	f.bytes = 19;
	ck_assert(!fw_flow_plausible(&f));
	f.bytes = 65535;
	ck_assert(fw_flow_plausible(&f));
	f.bytes = 65536;
	ck_assert(!fw_flow_plausible(&f));
	f.pkts = 0; f.bytes = 100;
	ck_assert(!fw_flow_plausible(&f));
	/* 4 Tbit/s over one second is the most one record may carry. */
	f.pkts = 500000000000ULL / 1000; f.bytes = 500000000000ULL;
	f.start_ms = 1000; f.end_ms = 2000;
	ck_assert(fw_flow_plausible(&f));
	f.bytes += 1000;
	ck_assert(!fw_flow_plausible(&f));
	f.end_ms = 3000;                                  /* the same over 2 s */
	ck_assert(fw_flow_plausible(&f));
	f.pkts = f.bytes = UINT64_MAX;
	ck_assert(!fw_flow_plausible(&f));
}
END_TEST

static Suite *
nf9_suite(void)
{
	Suite *s = suite_create("nf9");
	TCase *valid = tcase_create("valid");
	TCase *trunc = tcase_create("truncated");
	TCase *bad = tcase_create("malformed");
	TCase *lim = tcase_create("limits");

	tcase_set_timeout(valid, 30);
	tcase_add_test(valid, test_nf9_capture_matches_tshark);
	tcase_add_test(valid, test_nf9_ipfix_capture_matches_tshark);
	tcase_add_test(valid, test_nf9_v9_uptime_times);
	tcase_add_test(valid, test_nf9_data_before_template);
	tcase_add_test(valid, test_nf9_pending_bounded);
	tcase_add_test(valid, test_nf9_v9_sampling_options);
	tcase_add_test(valid, test_nf9_ipfix_sampling_options);
	tcase_add_test(valid, test_nf9_ipfix_ipv6_reduced_size);
	tcase_add_test(valid, test_nf9_ipfix_varlen_enterprise);
	tcase_add_test(valid, test_nf9_ipfix_time_forms);
	tcase_add_test(valid, test_nf9_ipfix_sysinit_from_options);
	tcase_add_test(valid, test_nf9_ipfix_withdrawal);
	tcase_add_test(valid, test_nf9_template_refresh_replaces);
	tcase_add_test(valid, test_nf9_template_expiry);
	tcase_add_test(valid, test_nf9_sequence_gaps);
	tcase_add_test(valid, test_nf9_save_load);
	tcase_add_test(valid, test_nf9_withdraw_all_groups);
	tcase_add_test(valid, test_nf9_save_proven_only);
	tcase_add_test(valid, test_nf9_dual_family);
	tcase_add_test(valid, test_nf9_ipfix_biflow);
	tcase_add_test(valid, test_nf9_ipfix_psamp_sections);
	tcase_add_test(valid, test_nf9_decoder_screens_records);
	tcase_add_test(valid, test_nf9_plausible_bounds);
	suite_add_tcase(s, valid);

	tcase_set_timeout(trunc, 60);
	tcase_add_loop_test(trunc, test_nf9_truncated_prefixes, 0, PREFIX_LOOPS);
	tcase_add_loop_test(trunc, test_nf9_ipfix_truncated_prefixes, 0, PREFIX_LOOPS);
	suite_add_tcase(s, trunc);

	tcase_add_test(bad, test_nf9_zero_length_set_aborts);
	tcase_add_test(bad, test_nf9_bad_headers);
	tcase_add_test(bad, test_nf9_bad_templates);
	tcase_add_test(bad, test_nf9_redefinition);
	suite_add_tcase(s, bad);

	tcase_add_test(lim, test_nf9_cache_full);
	tcase_add_test(lim, test_nf9_output_full);
	tcase_add_test(lim, test_nf9_ipfix_biflow_out_full);
	tcase_add_test(lim, test_nf9_eviction_order);
	tcase_add_test(lim, test_nf9_exporter_quota);
	suite_add_tcase(s, lim);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(nf9_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
