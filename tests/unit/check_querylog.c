/*
 * check_querylog.c - BIND query-log line parser tests.
 *
 * tests/data/bind-querylog.log (BIND 9.18, 3000 queries) is compared with an
 * awk extraction and date(1) times stored by tests/data/gen-dns-expected.sh.
 * Hand-written lines cover the other format variants of BIND 9.11 .. 9.20.
 * Time-zone answers were computed with GNU date (TZ=... date -d ... +%s).
 */
#include "fw_querylog.h"

#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fw_pkt.h"

#define DATA "tests/data/"

/* Independent of the parser's table: the types the tests use. */
static int
type_of(const char *s)
{
	static const struct { const char *n; int v; } t[] = {
		{ "A", 1 }, { "NS", 2 }, { "SOA", 6 }, { "PTR", 12 }, { "MX", 15 }, { "TXT", 16 },
		{ "AAAA", 28 }, { "SRV", 33 }, { "DS", 43 }, { "DNSKEY", 48 }, { "HTTPS", 65 },
		{ "ANY", 255 }, { "CAA", 257 },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (strcmp(s, t[i].n) == 0)
			return t[i].v;
	return -1;
}

/*
 * Parse from an exact-size heap copy (no NUL) so ASan sees over-reads.  The
 * copy lives until the next call because detail pointers borrow it.
 */
static int
parse_line(struct fw_querylog_ctx *ctx, const char *line, size_t len, struct fw_dnsq *q,
    struct fw_querylog_detail *d)
{
	static char *copy;

	free(copy);
	copy = malloc(len ? len : 1);
	memcpy(copy, line, len);
	return fw_querylog_parse(ctx, copy, len, q, d);
}

static int
parse_str(struct fw_querylog_ctx *ctx, const char *line, struct fw_dnsq *q,
    struct fw_querylog_detail *d)
{
	return parse_line(ctx, line, strlen(line), q, d);
}

static void
addr_text(const struct fw_addr *a, char *out, size_t n)
{
	fw_addr_format(a, out, n);
}

/* ---- valid ---- */

START_TEST(test_querylog_file_vs_awk)
{
	FILE *lf = fopen(DATA "bind-querylog.log", "r");
	FILE *ef = fopen(DATA "bind-querylog.expected", "r");
	FILE *tf = fopen(DATA "bind-querylog.times", "r");
	struct fw_querylog_ctx ctx;
	char line[2048], exp[2048], key[32];
	long long first_ms = 0, last_ms = 0, v, lines = 0;
	int64_t prev = 0, first = 0, last = 0;
	int n = 0;

	ck_assert_ptr_nonnull(lf);
	ck_assert_ptr_nonnull(ef);
	ck_assert_ptr_nonnull(tf);
	while (fscanf(tf, "%31s %lld", key, &v) == 2) {
		if (strcmp(key, "first_ms") == 0)
			first_ms = v;
		else if (strcmp(key, "last_ms") == 0)
			last_ms = v;
		else if (strcmp(key, "lines") == 0)
			lines = v;
	}
	fw_querylog_init(&ctx);
	while (fgets(line, sizeof(line), lf) != NULL) {
		struct fw_dnsq q;
		struct fw_querylog_detail d;
		char *f[6], a[64], *p = exp;
		int k = 0;

		ck_assert_int_eq(parse_line(&ctx, line, strlen(line), &q, &d), FW_OK);
		ck_assert_ptr_nonnull(fgets(exp, sizeof(exp), ef));
		exp[strcspn(exp, "\n")] = '\0';
		f[k++] = p;
		for (; *p != '\0' && k < 6; p++)
			if (*p == '\t') {
				*p = '\0';
				f[k++] = p + 1;
			}
		ck_assert_int_eq(k, 6);
		ck_assert_str_eq(q.qname, f[0]);
		ck_assert_uint_eq(q.qname_len, strlen(f[0]));
		ck_assert_int_eq(q.qtype, type_of(f[1]));
		addr_text(&q.client, a, sizeof(a));
		ck_assert_str_eq(a, f[2]);
		ck_assert_uint_eq(d.client_port, strtoul(f[3], NULL, 10));
		addr_text(&q.server, a, sizeof(a));
		ck_assert_str_eq(a, f[4]);
		ck_assert_int_eq(strncmp(d.qflags, f[5], d.qflags_len), 0);
		ck_assert_uint_eq(d.qflags_len, strlen(f[5]));
		ck_assert_uint_eq(q.rcode, FW_RCODE_NONE);
		ck_assert_uint_eq(q.source, FW_DNS_QUERYLOG);
		ck_assert_uint_eq(q.flags, 0);
		ck_assert_uint_eq(d.qclass, 1);
		ck_assert(d.has_time);
		ck_assert_int_ge(q.time_ms, prev);
		prev = q.time_ms;
		if (n == 0)
			first = q.time_ms;
		last = q.time_ms;
		n++;
	}
	ck_assert_ptr_null(fgets(exp, sizeof(exp), ef));
	ck_assert_int_eq(n, 3000);
	ck_assert_int_eq(n, lines);
	ck_assert_int_eq(first, first_ms);
	ck_assert_int_eq(last, last_ms);
	fclose(lf);
	fclose(ef);
	fclose(tf);
}
END_TEST

/* 9.11 without print-time, no @0x, "+E" without a version. */
START_TEST(test_querylog_v911_no_time)
{
	struct fw_querylog_ctx ctx;
	struct fw_dnsq q;
	struct fw_querylog_detail d;
	char a[64];

	fw_querylog_init(&ctx);
	ctx.default_time_ms = 1700000000123;
	ck_assert_int_eq(parse_str(&ctx, "client 192.0.2.1#53124 (www.Example.COM): query: "
	    "www.Example.COM IN A +E (192.0.2.53)", &q, &d), FW_OK);
	ck_assert_str_eq(q.qname, "www.example.com");
	ck_assert_int_eq(q.time_ms, 1700000000123);
	ck_assert(!d.has_time);
	ck_assert_int_eq(d.edns_version, 0);
	ck_assert(d.rd);
	addr_text(&q.client, a, sizeof(a));
	ck_assert_str_eq(a, "192.0.2.1");
	ck_assert_uint_eq(d.client_port, 53124);
	addr_text(&q.server, a, sizeof(a));
	ck_assert_str_eq(a, "192.0.2.53");
	/* 9.11 also without the (qname) part */
	ck_assert_int_eq(parse_str(&ctx, "client 192.0.2.1#1: query: x.example IN NS - (192.0.2.53)",
	    &q, &d), FW_OK);
	ck_assert_str_eq(q.qname, "x.example");
	ck_assert_int_eq(q.qtype, 2);
	ck_assert(!d.rd);
	ck_assert_int_eq(d.edns_version, -1);
	/* pre-9.11 (9.9/9.10): view, no (qname), "E" without version */
	ck_assert_int_eq(parse_str(&ctx, "client 192.168.117.234#53311: view authoritative: query: "
	    "example.org IN NS -EDC (192.168.36.217)", &q, &d), FW_OK);
	ck_assert_uint_eq(d.view_len, strlen("authoritative"));
	ck_assert(d.do_bit && d.cd && !d.rd);
	ck_assert_int_eq(d.edns_version, 0);
}
END_TEST

/* 9.16: print-time, category, severity, @0x, "+E(0)K". */
START_TEST(test_querylog_v916_full)
{
	struct fw_querylog_ctx ctx;
	struct fw_dnsq q;
	struct fw_querylog_detail d;

	fw_querylog_init(&ctx);
	ck_assert_int_eq(parse_str(&ctx, "14-Nov-2023 22:13:20.500 queries: info: client "
	    "@0x7f1e2c0a1b68 203.0.113.7#41234 (victim.example): query: victim.example IN "
	    "DNSKEY +E(0)DK (198.51.100.53)\n", &q, &d), FW_OK);
	ck_assert_int_eq(q.time_ms, 1700000000500);  /* date -u -d '2023-11-14 22:13:20' */
	ck_assert_int_eq(q.qtype, 48);
	ck_assert(d.do_bit && d.rd && !d.tcp && !d.cd);
	ck_assert_int_eq(d.edns_version, 0);
	ck_assert_uint_eq(d.qflags_len, 7);
	/* print-severity only, no category; 3-digit EDNS version */
	ck_assert_int_eq(parse_str(&ctx, "14-Nov-2023 22:13:20.500 info: client @0xa 1.2.3.4#5 "
	    "(a): query: a IN A +E(100) (1.2.3.5)", &q, &d), FW_OK);
	ck_assert_int_eq(d.edns_version, 100);
	/* print-category only, no milliseconds */
	ck_assert_int_eq(parse_str(&ctx, "14-Nov-2023 22:13:20 queries: client 1.2.3.4#5 "
	    "(a): query: a IN A - (1.2.3.5)", &q, &d), FW_OK);
	ck_assert_int_eq(q.time_ms, 1700000000000);
}
END_TEST

START_TEST(test_querylog_view_ecs_signer)
{
	struct fw_querylog_ctx ctx;
	struct fw_dnsq q;
	struct fw_querylog_detail d;
	char a[64];

	fw_querylog_init(&ctx);
	ck_assert_int_eq(parse_str(&ctx, "25-Nov-2026 12:00:00.123 queries: info: client "
	    "@0x7f00 10.1.2.3#5300 (mail.corp.example): view internal: query: mail.corp.example "
	    "IN MX -EDC (10.0.0.53)", &q, &d), FW_OK);
	ck_assert_ptr_nonnull(d.view);
	ck_assert_uint_eq(d.view_len, 8);
	ck_assert_int_eq(memcmp(d.view, "internal", 8), 0);
	ck_assert(!d.rd && d.do_bit && d.cd);
	ck_assert_int_eq(q.qtype, 15);
	ck_assert_int_eq(q.time_ms, 1795608000123);  /* date -u -d '2026-11-25 12:00:00' */

	ck_assert_int_eq(parse_str(&ctx, "25-Nov-2026 12:00:00.123 queries: info: client "
	    "@0x7f00 192.0.2.1#53124 (www.example.com): query: www.example.com IN A +E(0)K "
	    "(192.0.2.53) [ECS 198.51.100.0/24/0]", &q, &d), FW_OK);
	ck_assert_ptr_null(d.view);
	ck_assert_ptr_nonnull(d.ecs);
	ck_assert_uint_eq(d.ecs_len, strlen("198.51.100.0/24/0"));
	ck_assert_int_eq(memcmp(d.ecs, "198.51.100.0/24/0", d.ecs_len), 0);
	addr_text(&q.server, a, sizeof(a));
	ck_assert_str_eq(a, "192.0.2.53");

	/* TSIG-signed: "/key NAME" after the port, 'S' flag, view with dashes */
	ck_assert_int_eq(parse_str(&ctx, "client @0x7f00 192.0.2.9#999/key tsig-key.example "
	    "(zone.example): view ext-view: query: zone.example IN SOA -SE(0) (192.0.2.53)",
	    &q, &d), FW_OK);
	ck_assert_uint_eq(d.view_len, 8);
	ck_assert_uint_eq(d.client_port, 999);
	ck_assert_int_eq(q.qtype, 6);
}
END_TEST

START_TEST(test_querylog_ipv6_tcp)
{
	struct fw_querylog_ctx ctx;
	struct fw_dnsq q;
	struct fw_querylog_detail d;
	char a[64];

	fw_querylog_init(&ctx);
	ck_assert_int_eq(parse_str(&ctx, "25-Nov-2026 12:00:00.123 queries: info: client "
	    "@0x7f00 2001:db8::1#53124 (v6.example): query: v6.example IN AAAA +ET "
	    "(2001:db8:0:0::53)", &q, &d), FW_OK);
	addr_text(&q.client, a, sizeof(a));
	ck_assert_str_eq(a, "2001:db8::1");
	addr_text(&q.server, a, sizeof(a));
	ck_assert_str_eq(a, "2001:db8::53");
	ck_assert_uint_eq(q.flags, FW_DNSQ_F_TCP);
	ck_assert(d.tcp);
	/* "+TC": TCP + checking disabled; link-local with zone index */
	ck_assert_int_eq(parse_str(&ctx, "client fe80::1%eth0#5353 (x): query: x IN A +TC "
	    "(::1)", &q, &d), FW_OK);
	ck_assert(d.tcp && d.cd);
	addr_text(&q.client, a, sizeof(a));
	ck_assert_str_eq(a, "fe80::1");
	/* IPv4-mapped text is the same record as plain IPv4 */
	ck_assert_int_eq(parse_str(&ctx, "client ::ffff:192.0.2.1#5 (x): query: x IN A + "
	    "(192.0.2.53)", &q, &d), FW_OK);
	addr_text(&q.client, a, sizeof(a));
	ck_assert_str_eq(a, "192.0.2.1");
}
END_TEST

START_TEST(test_querylog_escapes_and_types)
{
	struct fw_querylog_ctx ctx;
	struct fw_dnsq q;
	struct fw_querylog_detail d;

	fw_querylog_init(&ctx);
	/* BIND escapes: space as \032, dot inside a label as \., ')' as \) */
	ck_assert_int_eq(parse_str(&ctx, "client 1.2.3.4#5 (My\\032Host\\.x\\).Example): query: "
	    "My\\032Host\\.x\\).Example IN TXT + (1.2.3.5)", &q, &d), FW_OK);
	ck_assert_str_eq(q.qname, "my\\032host\\.x\\).example");
	ck_assert_int_eq(q.qtype, 16);
	/* root, generic type and class */
	ck_assert_int_eq(parse_str(&ctx, "client 1.2.3.4#5 (.): query: . IN NS + (1.2.3.5)", &q, &d),
	    FW_OK);
	ck_assert_str_eq(q.qname, ".");
	ck_assert_int_eq(parse_str(&ctx, "client 1.2.3.4#5 (a): query: a CLASS7 TYPE65534 + (1.2.3.5)",
	    &q, &d), FW_OK);
	ck_assert_int_eq(q.qtype, 65534);
	ck_assert_uint_eq(d.qclass, 7);
	ck_assert_int_eq(parse_str(&ctx, "client 1.2.3.4#5 (version.bind): query: version.bind CH "
	    "TXT - (1.2.3.5)", &q, &d), FW_OK);
	ck_assert_uint_eq(d.qclass, 3);
	/* CRLF line end */
	ck_assert_int_eq(parse_str(&ctx, "client 1.2.3.4#5 (a): query: a IN ANY + (1.2.3.5)\r\n",
	    &q, &d), FW_OK);
	ck_assert_int_eq(q.qtype, 255);
	/* Every table entry maps; spot values from the IANA registry */
	ck_assert_int_eq(fw_querylog_type_code("HTTPS", 5), 65);
	ck_assert_int_eq(fw_querylog_type_code("NSAP-PTR", 8), 23);
	ck_assert_int_eq(fw_querylog_type_code("CAA", 3), 257);
	ck_assert_int_eq(fw_querylog_type_code("ZONEMD", 6), 63);
	ck_assert_int_eq(fw_querylog_type_code("TA", 2), 32768);
	ck_assert_int_eq(fw_querylog_type_code("AAA", 3), -1);
	ck_assert_int_eq(fw_querylog_type_code("TYPE", 4), -1);
	ck_assert_int_eq(fw_querylog_type_code("TYPE65536", 9), -1);
	ck_assert_int_eq(fw_querylog_type_code("a", 1), -1);
	/* A NUL inside the text (found by fuzz_querylog): no over-read */
	ck_assert_int_eq(fw_querylog_type_code("MX\0", 3), -1);
	ck_assert_int_eq(fw_querylog_type_code("AAAAA", 5), -1);
	ck_assert_int_eq(fw_querylog_type_code("ZONEMDX", 7), -1);
	ck_assert_int_eq(fw_querylog_type_code("", 0), -1);
	for (const char *const *t = (const char *const[]){ "A", "NS", "SOA", "PTR", "MX", "TXT",
	    "AAAA", "SRV", "DS", "DNSKEY", "HTTPS", "ANY", "CAA", NULL }; *t != NULL; t++)
		ck_assert_int_eq(fw_querylog_type_code(*t, strlen(*t)), type_of(*t));
}
END_TEST

/* ---- time ---- */

START_TEST(test_querylog_iso8601_and_tz)
{
	struct fw_querylog_ctx ctx;
	struct fw_dnsq q;
	struct fw_querylog_detail d;
	static const char body[] = " queries: info: client 1.2.3.4#5 (a): query: a IN A + (1.2.3.5)";
	char line[256];

	fw_querylog_init(&ctx);
	/* iso8601 (local), with ctx at +01:00 */
	ck_assert_int_eq(fw_querylog_set_tz(&ctx, "+01:00"), FW_OK);
	snprintf(line, sizeof(line), "2026-11-25T12:00:00.123%s", body);
	ck_assert_int_eq(parse_str(&ctx, line, &q, &d), FW_OK);
	ck_assert_int_eq(q.time_ms, 1795608000123 - 3600000);
	/* iso8601-utc: the Z wins over the context's zone */
	snprintf(line, sizeof(line), "2026-11-25T12:00:00.123Z%s", body);
	ck_assert_int_eq(parse_str(&ctx, line, &q, &d), FW_OK);
	ck_assert_int_eq(q.time_ms, 1795608000123);
	/* explicit offsets */
	snprintf(line, sizeof(line), "2026-11-25T12:00:00.123-05:00%s", body);
	ck_assert_int_eq(parse_str(&ctx, line, &q, &d), FW_OK);
	ck_assert_int_eq(q.time_ms, 1795608000123 + 5 * 3600000);
	snprintf(line, sizeof(line), "2026-11-25T12:00:00+0530%s", body);
	ck_assert_int_eq(parse_str(&ctx, line, &q, &d), FW_OK);
	ck_assert_int_eq(q.time_ms, 1795608000000 - 19800000);
	/* 25-Nov-2026 local at -0500 */
	ck_assert_int_eq(fw_querylog_set_tz(&ctx, "-0500"), FW_OK);
	snprintf(line, sizeof(line), "25-Nov-2026 12:00:00.123%s", body);
	ck_assert_int_eq(parse_str(&ctx, line, &q, &d), FW_OK);
	ck_assert_int_eq(q.time_ms, 1795608000123 + 5 * 3600000);
}
END_TEST

/* Answers from: TZ=ZONE date -d 'YYYY-MM-DD HH:MM:SS' +%s */
START_TEST(test_querylog_tz_rules)
{
	static const struct {
		const char *tz, *local;
		long long want_s;
	} cases[] = {
		{ "Europe/Prague", "25-Nov-2026 00:41:15", 1795563675 },
		{ "Europe/Prague", "01-Jul-2026 12:00:00", 1782900000 },
		{ "CET-1CEST,M3.5.0,M10.5.0/3", "01-Jul-2026 12:00:00", 1782900000 },
		{ "America/New_York", "25-Nov-2026 00:41:15", 1795585275 },
		{ "America/New_York", "01-Jul-2026 12:00:00", 1782921600 },
		{ "EST5EDT", "01-Jul-2026 12:00:00", 1782921600 },
		{ "Australia/Sydney", "25-Nov-2026 00:41:15", 1795527675 },
		{ "Australia/Sydney", "01-Jul-2026 12:00:00", 1782871200 },
		{ "Australia/Sydney", "05-Apr-2026 02:30:00", 1775320200 },  /* repeated hour */
		{ "Australia/Sydney", "04-Oct-2026 01:59:59", 1791043199 },
		{ "Australia/Sydney", "04-Oct-2026 03:00:00", 1791043200 },
		/* around the 2026 EU transitions (29 Mar, 25 Oct) */
		{ "Europe/Prague", "29-Mar-2026 01:59:59", 1774745999 },
		{ "Europe/Prague", "29-Mar-2026 03:00:00", 1774746000 },
		{ "Europe/Prague", "25-Oct-2026 03:00:00", 1792893600 },
		{ "Europe/Prague", "25-Oct-2026 02:30:00", 1792891800 },  /* repeated hour */
		{ "Europe/Prague", "25-Oct-2026 01:59:59", 1792886399 },
		{ "Europe/Prague", "24-Feb-2024 10:00:00", 1708765200 },  /* leap year */
		{ "UTC", "14-Nov-2023 22:13:20", 1700000000 },
		{ "localtime", "14-Nov-2023 22:13:20", 1700000000 },  /* machine is UTC */
	};
	struct fw_querylog_ctx ctx;
	struct fw_dnsq q;
	char line[256];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		fw_querylog_init(&ctx);
		ck_assert_msg(fw_querylog_set_tz(&ctx, cases[i].tz) == FW_OK, "%s", cases[i].tz);
		snprintf(line, sizeof(line), "%s.000 client 1.2.3.4#5: query: a IN A + (1.2.3.5)",
		    cases[i].local);
		ck_assert_int_eq(parse_str(&ctx, line, &q, NULL), FW_OK);
		ck_assert_msg(q.time_ms == cases[i].want_s * 1000, "%s %s: %lld", cases[i].tz,
		    cases[i].local, (long long)q.time_ms);
	}
	ck_assert_int_eq(fw_querylog_set_tz(&ctx, "No/Such_Zone"), FW_ENOENT);
	ck_assert_int_eq(fw_querylog_set_tz(&ctx, "../etc/passwd"), FW_EINVAL);
	ck_assert_int_eq(fw_querylog_set_tz(&ctx, "+25:00"), FW_EINVAL);
	ck_assert_int_eq(fw_querylog_set_tz(&ctx, "CET-1CEST,M13.5.0,M10.5.0"), FW_ENOENT);
	struct fw_tz tz;
	ck_assert_int_eq(fw_tz_parse_posix("CET-1CEST,M13.5.0,M10.5.0", &tz), FW_EINVAL);
	ck_assert_int_eq(fw_tz_parse_posix("<+0330>-3:30", &tz), FW_OK);
	ck_assert_int_eq(tz.std_off_s, 12600);
	ck_assert_int_eq(fw_tz_parse_posix("XXX0YYY,J60/2,300/-1", &tz), FW_OK);
	ck_assert_int_eq(tz.start.kind, 'J');
	ck_assert_int_eq(tz.end.time_s, -3600);
}
END_TEST

/* ---- not queries, bad lines ---- */

START_TEST(test_querylog_unsupported)
{
	static const char *const lines[] = {
		"25-Nov-2026 00:41:10.001 general: info: zone victim.example/IN: loaded serial 1",
		"25-Nov-2026 00:41:10.001 security: info: client @0x7f 1.2.3.4#5 (x.example): "
		    "query (cache) 'x.example/A/IN' denied",
		"client @0x7f 1.2.3.4#5 (x.example): query failed (SERVFAIL) for x.example/IN/A "
		    "at query.c:123",
		"25-Nov-2026 00:41:10.001 update: info: client @0x7f 1.2.3.4#5/key k: view v: "
		    "updating zone 'z/IN': adding an RR",
		"running",
		"",
	};
	struct fw_querylog_ctx ctx;
	struct fw_dnsq q;

	fw_querylog_init(&ctx);
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
		ck_assert_msg(parse_str(&ctx, lines[i], &q, NULL) == FW_EUNSUPPORTED, "%zu", i);
}
END_TEST

START_TEST(test_querylog_malformed)
{
	static const char *const lines[] = {
		"32-Nov-2026 00:41:15.366 client 1.2.3.4#5 (a): query: a IN A + (1.2.3.5)",
		"25-Nox-2026 00:41:15.366 client 1.2.3.4#5 (a): query: a IN A + (1.2.3.5)",
		"29-Feb-2026 00:41:15.366 client 1.2.3.4#5 (a): query: a IN A + (1.2.3.5)",
		"25-Nov-2026 24:41:15.366 client 1.2.3.4#5 (a): query: a IN A + (1.2.3.5)",
		"25-Nov-2026 00:41:15. client 1.2.3.4#5 (a): query: a IN A + (1.2.3.5)",
		"2026-13-25T00:41:15 client 1.2.3.4#5 (a): query: a IN A + (1.2.3.5)",
		"2026-11-25T00:41:15+24:00 client 1.2.3.4#5 (a): query: a IN A + (1.2.3.5)",
		"12345",
		"client 300.2.3.4#5 (a): query: a IN A + (1.2.3.5)",
		"client 1.2.3#5 (a): query: a IN A + (1.2.3.5)",
		"client 1.2.3.4#70000 (a): query: a IN A + (1.2.3.5)",
		"client 1.2.3.4# (a): query: a IN A + (1.2.3.5)",
		"client 1.2.3.4 (a): query: a IN A + (1.2.3.5)",
		"client 2001:db8:::1#5 (a): query: a IN A + (1.2.3.5)",
		"client 1.2.3.4#5 (a: query: a IN A + (1.2.3.5)",
		"client 1.2.3.4#5 (a): query: a IN FOO + (1.2.3.5)",
		"client 1.2.3.4#5 (a): query: a XX A + (1.2.3.5)",
		"client 1.2.3.4#5 (a): query: a IN A * (1.2.3.5)",
		"client 1.2.3.4#5 (a): query: a IN A +E(x) (1.2.3.5)",
		"client 1.2.3.4#5 (a): query: a IN A +Q (1.2.3.5)",
		"client 1.2.3.4#5 (a): query: a IN A +",
		"client 1.2.3.4#5 (a): query: a IN A + 1.2.3.5",
		"client 1.2.3.4#5 (a): query: a IN A + (1.2.3.5",
		"client 1.2.3.4#5 (a): query: a IN A + (1.2.3.5) trailing",
		"client 1.2.3.4#5 (a): query: a IN A + (1.2.3.5) [ECS ]",
		"client 1.2.3.4#5 (a): query:  IN A + (1.2.3.5)",
		"client 1.2.3.4#5 (a): view : query: a IN A + (1.2.3.5)",
		"client 1.2.3.4#5 (a): query: a\tb IN A + (1.2.3.5)",
		"client 1.2.3.4#5 (a): query: caf\xc3\xa9 IN A + (1.2.3.5)",
	};
	struct fw_querylog_ctx ctx;
	struct fw_dnsq q;

	fw_querylog_init(&ctx);
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		int r = parse_str(&ctx, lines[i], &q, NULL);
		ck_assert_msg(r == FW_EMALFORMED, "line %zu: %d: %s", i, r, lines[i]);
	}
	/* A raw NUL inside the name (found by fuzz_querylog) */
	static const char nul[] = "client 1.2.3.4#5 (a): query: a\0b IN A + (1.2.3.5)";
	ck_assert_int_eq(parse_line(&ctx, nul, sizeof(nul) - 1, &q, NULL), FW_EMALFORMED);
}
END_TEST

/* ---- truncated ---- */

static const char *const variants[] = {
	"25-Nov-2026 00:41:15.366 queries: info: client @0x7fbcfc46d098 127.0.0.1#53261 "
	    "(mail.victim.example): query: mail.victim.example IN MX + (127.0.0.1)",
	"client 192.0.2.1#53124 (www.example.com): query: www.example.com IN A +E (192.0.2.53)",
	"2026-11-25T12:00:00.123Z queries: info: client @0x7f00 10.1.2.3#5300 (m.corp): "
	    "view internal: query: m.corp IN MX -EDC (10.0.0.53)",
	"client @0x7f00 2001:db8::1#53124 (v6.example): query: v6.example IN AAAA +ET (2001:db8::53)",
	"client 1.2.3.4#5/key k (a\\032b): query: a\\032b IN TYPE65534 +E(0)K (1.2.3.5)",
};

/* Every proper prefix of a query line is an error: the server "(...)" is
 * the last mandatory field and is only complete at the end. */
START_TEST(test_querylog_truncated_prefixes)
{
	struct fw_querylog_ctx ctx;
	struct fw_dnsq q;
	const char *line = variants[_i];
	size_t len = strlen(line);

	fw_querylog_init(&ctx);
	ck_assert_int_eq(parse_line(&ctx, line, len, &q, NULL), FW_OK);
	for (size_t n = 0; n < len; n++) {
		int r = parse_line(&ctx, line, n, &q, NULL);
		ck_assert_msg(r == FW_EMALFORMED || r == FW_EUNSUPPORTED, "%zu: %d", n, r);
	}
}
END_TEST

START_TEST(test_querylog_truncated_ecs)
{
	static const char line[] = "client 1.2.3.4#5 (a): query: a IN A + (1.2.3.5) [ECS 1.2.3.0/24/0]";
	struct fw_querylog_ctx ctx;
	struct fw_dnsq q;
	size_t cut = strlen(line) - strlen(" [ECS 1.2.3.0/24/0]");

	fw_querylog_init(&ctx);
	for (size_t n = 0; n <= strlen(line); n++) {
		int r = parse_line(&ctx, line, n, &q, NULL);
		if (n == cut || n == cut + 1 || n == strlen(line))  /* whole fields */
			ck_assert_int_eq(r, FW_OK);
		else
			ck_assert_msg(r < 0, "%zu", n);
	}
}
END_TEST

/* Replay the fuzz seeds and minimized crashers: no crash, documented codes. */
START_TEST(test_querylog_fuzz_corpus)
{
	DIR *dir = opendir("tests/fuzz/corpus/querylog");
	struct dirent *de;
	struct fw_querylog_ctx ctx;
	struct fw_dnsq q;
	int files = 0;

	ck_assert_ptr_nonnull(dir);
	fw_querylog_init(&ctx);
	while ((de = readdir(dir)) != NULL) {
		char path[512], buf[4096];
		FILE *f;
		size_t n;
		int r;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "tests/fuzz/corpus/querylog/%s", de->d_name);
		ck_assert_ptr_nonnull(f = fopen(path, "rb"));
		n = fread(buf, 1, sizeof(buf), f);
		fclose(f);
		r = parse_line(&ctx, buf, n, &q, NULL);
		ck_assert(r == FW_OK || r == FW_EMALFORMED || r == FW_EUNSUPPORTED);
		if (strncmp(de->d_name, "crash-", 6) == 0)
			ck_assert_int_eq(r, FW_EMALFORMED);
		files++;
	}
	closedir(dir);
	ck_assert_int_ge(files, 10);
}
END_TEST

/* ---- limits ---- */

START_TEST(test_querylog_long_names)
{
	struct fw_querylog_ctx ctx;
	struct fw_dnsq q;
	char name[1200], line[1400];
	size_t n = 0;

	fw_querylog_init(&ctx);
	/* 4 labels of 60 "\001" (240 chars each) then ".zone.example" */
	for (int l = 0; l < 4; l++) {
		for (int k = 0; k < 60; k++) {
			memcpy(name + n, "\\001", 4);
			n += 4;
		}
		name[n++] = '.';
	}
	memcpy(name + n, "Zone.Example", 13);
	n += 12;
	snprintf(line, sizeof(line), "client 1.2.3.4#5: query: %s IN A + (1.2.3.5)", name);
	ck_assert_int_eq(parse_str(&ctx, line, &q, NULL), FW_OK);
	/* 240 + ".zone.example" = 253: the last \001 label and the zone */
	ck_assert_uint_eq(q.qname_len, 253);
	ck_assert_uint_eq(strlen(q.qname), 253);
	ck_assert_str_eq(q.qname + 240, ".zone.example");
	/* exactly 255 characters stays as is */
	memset(name, 'a', 255);
	name[255] = '\0';
	snprintf(line, sizeof(line), "client 1.2.3.4#5: query: %s IN A + (1.2.3.5)", name);
	ck_assert_int_eq(parse_str(&ctx, line, &q, NULL), FW_OK);
	ck_assert_uint_eq(q.qname_len, 255);
	/* no real name is 1100 characters */
	memset(name, 'a', 1100);
	name[1100] = '\0';
	snprintf(line, sizeof(line), "client 1.2.3.4#5: query: %s IN A + (1.2.3.5)", name);
	ck_assert_int_eq(parse_str(&ctx, line, &q, NULL), FW_EMALFORMED);
}
END_TEST

START_TEST(test_querylog_years)
{
	struct fw_querylog_ctx ctx;
	struct fw_dnsq q;

	fw_querylog_init(&ctx);
	/* date -u -d '1970-01-01 00:00:00' +%s = 0; '2100-03-01' = 4107542400 */
	ck_assert_int_eq(parse_str(&ctx, "01-Jan-1970 00:00:00.000 client 1.2.3.4#5: query: a IN A "
	    "+ (1.2.3.5)", &q, NULL), FW_OK);
	ck_assert_int_eq(q.time_ms, 0);
	ck_assert_int_eq(parse_str(&ctx, "01-Mar-2100 00:00:00.000 client 1.2.3.4#5: query: a IN A "
	    "+ (1.2.3.5)", &q, NULL), FW_OK);
	ck_assert_int_eq(q.time_ms, 4107542400000);
	ck_assert_int_eq(parse_str(&ctx, "29-Feb-2100 00:00:00.000 client 1.2.3.4#5: query: a IN A "
	    "+ (1.2.3.5)", &q, NULL), FW_EMALFORMED);
	ck_assert_int_eq(parse_str(&ctx, "29-Feb-2000 00:00:00.000 client 1.2.3.4#5: query: a IN A "
	    "+ (1.2.3.5)", &q, NULL), FW_OK);
	ck_assert_int_eq(q.time_ms, 951782400000);
}
END_TEST

static Suite *
querylog_suite(void)
{
	Suite *s = suite_create("querylog");
	TCase *tc;

	tc = tcase_create("valid");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_querylog_file_vs_awk);
	tcase_add_test(tc, test_querylog_v911_no_time);
	tcase_add_test(tc, test_querylog_v916_full);
	tcase_add_test(tc, test_querylog_view_ecs_signer);
	tcase_add_test(tc, test_querylog_ipv6_tcp);
	tcase_add_test(tc, test_querylog_escapes_and_types);
	tcase_add_test(tc, test_querylog_iso8601_and_tz);
	tcase_add_test(tc, test_querylog_tz_rules);
	suite_add_tcase(s, tc);

	tc = tcase_create("malformed");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_querylog_unsupported);
	tcase_add_test(tc, test_querylog_malformed);
	tcase_add_test(tc, test_querylog_fuzz_corpus);
	suite_add_tcase(s, tc);

	tc = tcase_create("truncated");
	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, test_querylog_truncated_prefixes, 0,
	    (int)(sizeof(variants) / sizeof(variants[0])));
	tcase_add_test(tc, test_querylog_truncated_ecs);
	suite_add_tcase(s, tc);

	tc = tcase_create("limits");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_querylog_long_names);
	tcase_add_test(tc, test_querylog_years);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(querylog_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
