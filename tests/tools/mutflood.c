/*
 * mutflood.c - test tool: a mutation storm against the live collector.
 * Takes real datagrams (UDP payloads of capture files, or raw files such as
 * the fuzz corpora), mutates them and sends them with sendmmsg to loopback
 * listeners, paced, bounded in count and time.
 *
 *   mutflood [-s SEED] [-n COUNT] [-r PPS] [-t SECONDS] [-i IDS]
 *            -d KIND=ADDR:PORT... FILE|DIR...
 *
 * KIND is nf (NetFlow v5 and v9 seeds), ipfix or sflow: a mutant goes to a
 * destination of its seed's kind, picked at random when there are several
 * (so "-d nf=127.0.0.1:P -d nf=[::1]:Q" sends half over IPv6).  ADDR is
 * 127.0.0.0/8 or ::1, nothing else.
 *
 * Deterministic: the same seed gives the same datagrams in the same order
 * (the default seed is fixed; it is printed either way).  Each mutant is a
 * seed datagram with 1..4 mutations: bit flips, bytes and 16/32-bit words
 * set to boundary values (0, 0xff, 0x7fff, 0xffff, lengths one past the
 * end), truncation, extension, chunk deletion/duplication, splicing with
 * another seed, and format-aware ones: set/sample/record lengths of 0, 3,
 * 65535 or past the end, template ids, field counts (0, 1, huge), field
 * types and lengths (0, variable, 0xffff), swapped fields (redefinitions),
 * IPFIX withdrawals, templates of tiny or variable-length fields with data
 * sets of up to 60 KB, chunks repeated up to 64 KB, sFlow sample and record
 * counts, NetFlow export times up to 60 s ahead of the clock (the only
 * part that depends on when the tool runs).  7 in 8 mutants then
 * get their header fixed so the collector's content sniffer still takes
 * them for their format (else most would be dropped as unknown before any
 * decoder saw them); the 8th goes as it is.
 *
 * NetFlow v9 source ids and IPFIX observation domains are always rewritten
 * to one of IDS (default 24) values: the collector keeps a table per
 * (exporter, id) and the test must stay in the range it is meant to cover.
 *
 * Prints "mutflood: seed=S" first and "sent N datagrams" last on stdout.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fw_cur.h"
#include "fw_pkt.h"
#include "fw_time.h"

#define MAX_SEEDS 4096
#define MAX_DEST 16
#define BATCH 32
#define DGRAM_MAX 65507  /* largest UDP payload over IPv4 */
#define MAX_IDS 64

enum kind { K_NF, K_IPFIX, K_SFLOW, K_N };
static const char *const kind_names[K_N] = { "nf", "ipfix", "sflow" };

struct seed {
	uint8_t *p;
	size_t len;
	enum fw_payload_kind fmt;  /* nf5, nf9, ipfix or sflow5 */
};

static struct seed seeds[MAX_SEEDS];
static size_t nseeds;
static struct sockaddr_in6 dest[K_N][MAX_DEST];
static int ndest[K_N];
static uint32_t ids[MAX_IDS];
static int nids = 24;
static uint64_t rng;

/* splitmix64: small, fast, and the same on every machine. */
static uint64_t
rnd(void)
{
	uint64_t z = (rng += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint32_t
rn(uint32_t n)  /* 0 .. n-1; n >= 1 */
{
	return (uint32_t)(rnd() % n);
}

static void
put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static enum kind
kind_of(enum fw_payload_kind f)
{
	return f == FW_PAYLOAD_IPFIX ? K_IPFIX : f == FW_PAYLOAD_SFLOW5 ? K_SFLOW : K_NF;
}

static void
add_seed(const uint8_t *p, size_t len)
{
	enum fw_payload_kind f = fw_pkt_sniff(p, len);

	if (nseeds == MAX_SEEDS || len > DGRAM_MAX ||
	    (f != FW_PAYLOAD_NF5 && f != FW_PAYLOAD_NF9 && f != FW_PAYLOAD_IPFIX && f != FW_PAYLOAD_SFLOW5))
		return;  /* corpus entries that are no datagram of ours any more */
	if ((seeds[nseeds].p = malloc(len)) == NULL)
		return;
	memcpy(seeds[nseeds].p, p, len);
	seeds[nseeds].len = len;
	seeds[nseeds++].fmt = f;
}

static int
load_pcap(const char *path)
{
	char eb[PCAP_ERRBUF_SIZE];
	pcap_t *pc = pcap_open_offline(path, eb);
	struct pcap_pkthdr *h;
	const u_char *data;

	if (pc == NULL) {
		fprintf(stderr, "mutflood: %s: %s\n", path, eb);
		return -1;
	}
	while (pcap_next_ex(pc, &h, &data) == 1) {
		struct fw_udp u;

		if (fw_pkt_udp(pcap_datalink(pc), data, h->caplen, &u) == FW_OK)
			add_seed(u.payload, u.len);
	}
	pcap_close(pc);
	return 0;
}

static int
load_raw(const char *path)
{
	static uint8_t buf[DGRAM_MAX + 1];
	FILE *f = fopen(path, "rb");
	size_t n;

	if (f == NULL) {
		perror(path);
		return -1;
	}
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	add_seed(buf, n);
	return 0;
}

static int
load(const char *path)
{
	struct stat st;
	char sub[4096];
	int rc = 0;

	if (stat(path, &st) != 0) {
		perror(path);
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		uint8_t magic[4] = { 0 };
		FILE *f = fopen(path, "rb");

		if (f == NULL || fread(magic, 1, 4, f) != 4) {
			if (f != NULL)
				fclose(f);
			return load_raw(path);
		}
		fclose(f);
		/* pcap (either byte order, us or ns) or pcapng */
		if (fw_load_be32(magic) == 0xa1b2c3d4 || fw_load_be32(magic) == 0xd4c3b2a1 || fw_load_be32(magic) == 0xa1b23c4d ||
		    fw_load_be32(magic) == 0x4d3cb2a1 || fw_load_be32(magic) == 0x0a0d0d0a)
			return load_pcap(path);
		return load_raw(path);
	}
	/* A directory: every regular file in it, in name order (determinism). */
	{
		struct dirent **list;
		int n = scandir(path, &list, NULL, alphasort);

		if (n < 0) {
			perror(path);
			return -1;
		}
		for (int i = 0; i < n; i++) {
			const struct dirent *e = list[i];

			snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name);
			if (e->d_name[0] != '.' && stat(sub, &st) == 0 && S_ISREG(st.st_mode) && load_raw(sub) != 0)
				rc = -1;
			free(list[i]);
		}
		free(list);
	}
	return rc;
}

static int
parse_dest(const char *arg)
{
	const char *eq = strchr(arg, '='), *addr, *colon;
	char host[64];
	long port;
	int k;
	struct sockaddr_in6 *s;

	if (eq == NULL)
		return -1;
	for (k = 0; k < K_N; k++)
		if ((size_t)(eq - arg) == strlen(kind_names[k]) && strncmp(arg, kind_names[k], (size_t)(eq - arg)) == 0)
			break;
	if (k == K_N || ndest[k] == MAX_DEST)
		return -1;
	addr = eq + 1;
	if ((colon = strrchr(addr, ':')) == NULL || (size_t)(colon - addr) >= sizeof(host))
		return -1;
	port = strtol(colon + 1, NULL, 10);
	if (port < 1 || port > 65535)
		return -1;
	if (addr[0] == '[') {
		memcpy(host, addr + 1, (size_t)(colon - addr));
		host[colon - addr - 2] = '\0';  /* drop "]" */
	} else {
		memcpy(host, addr, (size_t)(colon - addr));
		host[colon - addr] = '\0';
	}
	s = &dest[k][ndest[k]];
	memset(s, 0, sizeof(*s));
	s->sin6_family = AF_INET6;
	s->sin6_port = htons((uint16_t)port);
	if (strcmp(host, "::1") == 0) {
		s->sin6_addr = in6addr_loopback;
	} else {
		struct in_addr a4;

		/* IPv4 through the dual-stack socket: an IPv4-mapped address. */
		if (inet_pton(AF_INET, host, &a4) != 1 || (ntohl(a4.s_addr) >> 24) != 127)
			return -1;
		s->sin6_addr.s6_addr[10] = 0xff;
		s->sin6_addr.s6_addr[11] = 0xff;
		memcpy(&s->sin6_addr.s6_addr[12], &a4, 4);
	}
	ndest[k]++;
	return 0;
}

/* ---- mutations ------------------------------------------------------------ */

/* Offsets of length and count fields found by walking the format (best
 * effort over a possibly broken buffer), with their widths. */
struct fields {
	size_t off[256];
	int width[256];
	int n;
};

static void
field(struct fields *fs, size_t off, int width, size_t len)
{
	if (fs->n < 256 && off + (size_t)width <= len) {
		fs->off[fs->n] = off;
		fs->width[fs->n++] = width;
	}
}

/* v9 / IPFIX: set ids and lengths, template ids, field counts, field specs. */
static void
walk_sets(const uint8_t *b, size_t len, int ipfix, struct fields *fs)
{
	size_t pos = ipfix ? 16 : 20;

	field(fs, 2, 2, len);  /* count / message length */
	while (pos + 4 <= len) {
		uint16_t id = fw_load_be16(b + pos), slen = fw_load_be16(b + pos + 2);
		size_t end = pos + slen;

		field(fs, pos, 2, len);
		field(fs, pos + 2, 2, len);
		if (slen < 4 || end > len)
			break;
		if (id <= 3) {  /* template or options template set */
			size_t r = pos + 4;

			while (r + 4 <= end) {
				uint32_t n = fw_load_be16(b + r + 2);

				field(fs, r, 2, len);      /* template id */
				field(fs, r + 2, 2, len);  /* field count (v9 options: scope length) */
				r += 4;
				if ((id == 3 || id == 1) && r + 2 <= end) {
					/* IPFIX scope field count; v9 option length */
					field(fs, r, 2, len);
					if (id == 1)
						n = n / 4 + fw_load_be16(b + r) / 4;
					r += 2;
				}
				for (uint32_t i = 0; i < n && r + 4 <= end; i++) {
					field(fs, r, 2, len);      /* type */
					field(fs, r + 2, 2, len);  /* length */
					r += (ipfix && (b[r] & 0x80)) ? 8 : 4;
				}
			}
		}
		pos = end;
	}
}

static void
walk_sflow(const uint8_t *b, size_t len, struct fields *fs)
{
	size_t pos;
	uint32_t ns;

	if (len < 28)
		return;
	field(fs, 4, 4, len);  /* agent address type */
	pos = fw_load_be32(b + 4) == 2 ? 24 : 12;
	if (pos + 16 > len)
		return;
	field(fs, pos + 12, 4, len);  /* num_samples */
	ns = fw_load_be32(b + pos + 12);
	pos += 16;
	for (uint32_t s = 0; s < ns && s < 64 && pos + 8 <= len; s++) {
		uint32_t fmt = fw_load_be32(b + pos) & 0xfff, slen = fw_load_be32(b + pos + 4);
		size_t data = pos + 8, end, r;
		uint32_t nrec;

		field(fs, pos, 4, len);
		field(fs, pos + 4, 4, len);
		if (slen > len - data)
			break;
		end = data + slen;
		/* flow 1 / expanded flow 3, counter 2 / expanded counter 4 */
		r = fmt == 1 ? 28 : fmt == 3 ? 40 : fmt == 2 ? 8 : fmt == 4 ? 12 : 0;
		if (r != 0 && data + r + 4 <= end) {
			field(fs, data + r, 4, len);  /* nrecords */
			if (fmt == 1 || fmt == 3)
				field(fs, data + 8 + (fmt == 3 ? 4 : 0), 4, len);  /* sampling rate */
			nrec = fw_load_be32(b + data + r);
			r = data + r + 4;
			for (uint32_t i = 0; i < nrec && i < 64 && r + 8 <= end; i++) {
				uint32_t rfmt = fw_load_be32(b + r) & 0xfff, rlen = fw_load_be32(b + r + 4);

				field(fs, r, 4, len);
				field(fs, r + 4, 4, len);
				if ((fmt == 1 || fmt == 3) && rfmt == 1) {
					field(fs, r + 8, 4, len);   /* header protocol */
					field(fs, r + 12, 4, len);  /* frame length */
					field(fs, r + 20, 4, len);  /* header length */
				}
				if (rlen > end - r - 8)
					break;
				r += 8 + rlen;
			}
		}
		pos = end;
	}
}

static void
walk_nf5(size_t len, struct fields *fs)
{
	field(fs, 2, 2, len);   /* count */
	field(fs, 22, 2, len);  /* sampling */
	for (size_t r = 24; r + 48 <= len; r += 48) {
		field(fs, r + 16, 4, len);  /* packets */
		field(fs, r + 24, 4, len);  /* First */
		field(fs, r + 28, 4, len);  /* Last */
	}
}

static uint32_t
boundary(int width, size_t len, size_t off)
{
	/* "Past the end": what is left from here, plus a little. */
	uint32_t left = (uint32_t)(len - off);
	static const uint32_t v16[] = { 0, 1, 3, 4, 0x7f, 0xff, 0x100, 0x7fff, 0x8000, 0xfffe, 0xffff };
	static const uint32_t v32[] = { 0, 1, 2, 3, 4, 0xff, 0xffff, 0x10000, 0x7fffffff, 0x80000000,
		0xfffffffc, 0xffffffff };

	switch (rn(4)) {
	case 0: return left + rn(9);
	case 1: return left > 4 ? left - 4 - rn(4) : 0;
	default: break;
	}
	return width == 2 ? v16[rn(sizeof(v16) / sizeof(v16[0]))] : width == 1 ? (rn(2) ? 0xff : 0)
	    : v32[rn(sizeof(v32) / sizeof(v32[0]))];
}

static size_t
mutate_fields(enum fw_payload_kind f, uint8_t *b, size_t len)
{
	struct fields fs;
	int i;
	uint32_t v;

	fs.n = 0;
	if (f == FW_PAYLOAD_NF9 || f == FW_PAYLOAD_IPFIX)
		walk_sets(b, len, f == FW_PAYLOAD_IPFIX, &fs);
	else if (f == FW_PAYLOAD_SFLOW5)
		walk_sflow(b, len, &fs);
	else
		walk_nf5(len, &fs);
	if (fs.n == 0)
		return len;
	i = (int)rn((uint32_t)fs.n);
	v = boundary(fs.width[i], len, fs.off[i]);
	if (rn(4) == 0)  /* small lies too: off by one either way */
		v = (fs.width[i] == 2 ? fw_load_be16(b + fs.off[i]) : fw_load_be32(b + fs.off[i])) + (rn(2) ? 1 : -1u);
	if (fs.width[i] == 2)
		put16(b + fs.off[i], v);
	else
		put32(b + fs.off[i], v);
	return len;
}

/* Template redefinition: swap two field specifiers of a template record or
 * rewrite one's type, keeping the template id. */
static size_t
redefine(enum fw_payload_kind f, uint8_t *b, size_t len)
{
	static const uint16_t types[] = { 1, 2, 4, 5, 6, 7, 8, 10, 11, 12, 14, 21, 22, 27, 28, 29, 30, 34,
		56, 80, 136, 148, 150, 151, 152, 153, 160, 161, 162, 210, 302, 0x7fff };
	struct fields fs;
	int a, c;

	if (f != FW_PAYLOAD_NF9 && f != FW_PAYLOAD_IPFIX)
		return len;
	fs.n = 0;
	walk_sets(b, len, f == FW_PAYLOAD_IPFIX, &fs);
	/* field specs are the pairs after the template header entries; any
	 * two 4-byte-aligned spec slots will do */
	if (fs.n < 6)
		return len;
	a = 2 + (int)rn((uint32_t)fs.n - 2);
	c = 2 + (int)rn((uint32_t)fs.n - 2);
	if (rn(2) && fs.off[a] + 4 <= len && fs.off[c] + 4 <= len) {
		uint8_t t[4];

		memcpy(t, b + fs.off[a], 4);
		memcpy(b + fs.off[a], b + fs.off[c], 4);
		memcpy(b + fs.off[c], t, 4);
	} else {
		put16(b + fs.off[a], types[rn(sizeof(types) / sizeof(types[0]))] |
		    (f == FW_PAYLOAD_IPFIX && rn(8) == 0 ? 0x8000 : 0));
	}
	return len;
}

/* IPFIX: append a template set of withdrawals (one template, or all). */
static size_t
withdraw(enum fw_payload_kind f, uint8_t *b, size_t len)
{
	uint32_t n = 1 + rn(4);

	if (f != FW_PAYLOAD_IPFIX || len + 4 + 4 * n > DGRAM_MAX)
		return len;
	put16(b + len, rn(4) == 0 ? 3 : 2);
	put16(b + len + 2, 4 + 4 * n);
	for (uint32_t i = 0; i < n; i++) {
		put16(b + len + 4 + 4 * i, rn(3) == 0 ? 2 : 256 + rn(4));
		put16(b + len + 6 + 4 * i, 0);
	}
	return len + 4 + 4 * n;
}

/* v9 / IPFIX: append a template of 1..3 tiny or variable-length fields and a
 * data set of up to ~60 KB for it: record caps, output caps, variable lengths. */
static size_t
tiny_template(enum fw_payload_kind f, uint8_t *b, size_t len, size_t cap)
{
	static const uint16_t flen[] = { 0, 1, 1, 2, 4, 0xffff };
	uint32_t tid = 256 + rn(4), n = 1 + rn(3), dlen = 1 + rn(rn(2) ? 60000 : 600);
	size_t p = len;

	if ((f != FW_PAYLOAD_NF9 && f != FW_PAYLOAD_IPFIX) || len + 4 + 4 + 4 * n + 4 + dlen > cap)
		return len;
	put16(b + p, f == FW_PAYLOAD_IPFIX ? 2 : 0);
	put16(b + p + 2, 8 + 4 * n);
	put16(b + p + 4, tid);
	put16(b + p + 6, n);
	p += 8;
	for (uint32_t i = 0; i < n; i++, p += 4) {
		put16(b + p, rn(2) ? 8 + 4 * rn(2) : 1 + rn(32));  /* addresses or any low type */
		put16(b + p + 2, flen[rn(sizeof(flen) / sizeof(flen[0]))]);
	}
	put16(b + p, tid);
	put16(b + p + 2, 4 + dlen);
	for (size_t i = 0; i < dlen; i++)
		b[p + 4 + i] = rn(4) == 0 ? 0xff : (uint8_t)rn(4);  /* short variable lengths, some 255 */
	return p + 4 + dlen;
}

/* Repeat a chunk until the datagram is up to ~64 KB (many sets, samples). */
static size_t
grow(uint8_t *b, size_t len, size_t cap)
{
	size_t off, n, target = len + rn((uint32_t)(cap - len));

	if (len < 8)
		return len;
	off = rn((uint32_t)len - 4);
	n = 4 + rn((uint32_t)(len - off - 3));
	if (n > len - off)
		n = len - off;
	while (len + n <= target) {
		memcpy(b + len, b + off, n);
		len += n;
	}
	return len;
}

static size_t
mutate(enum fw_payload_kind f, uint8_t *b, size_t len, size_t cap)
{
	static const uint8_t v8[] = { 0, 1, 0x7f, 0x80, 0xfe, 0xff };
	size_t off, n;

	switch (rn(17)) {
	case 0:
	case 1:  /* bit flips */
		for (uint32_t i = 0, k = 1 + rn(8); i < k && len > 0; i++)
			b[rn((uint32_t)len)] ^= (uint8_t)(1u << rn(8));
		return len;
	case 2:  /* a byte to a boundary value */
		if (len > 0)
			b[rn((uint32_t)len)] = v8[rn(sizeof(v8))];
		return len;
	case 3:  /* a 16-bit word */
		if (len >= 2) {
			off = rn((uint32_t)len - 1);
			put16(b + off, boundary(2, len, off));
		}
		return len;
	case 4:  /* a 32-bit word */
		if (len >= 4) {
			off = rn((uint32_t)len - 3);
			put32(b + off, boundary(4, len, off));
		}
		return len;
	case 5:  /* truncate */
		return len > 0 ? rn((uint32_t)len) : 0;
	case 6:  /* extend with random bytes or zeros */
		n = 1 + rn(rn(8) == 0 ? 2048 : 64);
		if (len + n > cap)
			n = cap - len;
		for (size_t i = 0; i < n; i++)
			b[len + i] = rn(2) ? (uint8_t)rnd() : 0;
		return len + n;
	case 7:  /* delete a chunk */
		if (len > 2) {
			off = rn((uint32_t)len - 1);
			n = 1 + rn((uint32_t)(len - off - 1));
			memmove(b + off, b + off + n, len - off - n);
			return len - n;
		}
		return len;
	case 8:  /* duplicate a chunk (repeated sets, records, samples) */
		if (len > 2) {
			off = rn((uint32_t)len - 1);
			n = 1 + rn((uint32_t)(len - off - 1));
			if (len + n > cap)
				return len;
			memmove(b + off + n, b + off, len - off);
			return len + n;
		}
		return len;
	case 9: {  /* splice: our head, another seed's tail */
		const struct seed *s = &seeds[rn((uint32_t)nseeds)];

		off = len > 0 ? rn((uint32_t)len) : 0;
		n = s->len > 0 ? rn((uint32_t)s->len) : 0;
		if (off + (s->len - n) > cap)
			return len;
		memcpy(b + off, s->p + n, s->len - n);
		return off + (s->len - n);
	}
	case 10:
		return redefine(f, b, len);
	case 11:
		return withdraw(f, b, len);
	case 12:
		return tiny_template(f, b, len, cap);
	case 13:
		return rn(4) == 0 ? grow(b, len, cap) : len;
	case 14:  /* NetFlow v5 / v9 export time up to 60 s ahead of our clock */
		if ((f == FW_PAYLOAD_NF5 || f == FW_PAYLOAD_NF9) && len >= 12)
			put32(b + 8, (uint32_t)time(NULL) + rn(61));
		return len;
	default:  /* format-aware length and count lies */
		return mutate_fields(f, b, len);
	}
}

/* Make the sniffer take the mutant for its seed's format again. */
static size_t
fixup(enum fw_payload_kind f, uint8_t *b, size_t len)
{
	switch (f) {
	case FW_PAYLOAD_NF5:
		if (len >= 72) {
			size_t n = (len - 24) / 48;

			n = n > 30 ? 30 : n;
			put16(b, 5);
			put16(b + 2, (uint32_t)n);
			return 24 + n * 48;
		}
		break;
	case FW_PAYLOAD_IPFIX:
		if (len >= 16) {
			put16(b, 10);
			put16(b + 2, (uint32_t)len);
		}
		break;
	case FW_PAYLOAD_NF9:
		if (len >= 24) {
			uint16_t id = fw_load_be16(b + 20), sl = fw_load_be16(b + 22);

			put16(b, 9);
			if (id > 1 && id < 256)
				put16(b + 20, id & 1);
			if (sl < 4 || sl > len - 20)
				put16(b + 22, sl < 4 ? 4 : (uint32_t)(len - 20));
		}
		break;
	case FW_PAYLOAD_SFLOW5:
		if (len >= 28) {
			put32(b, 5);
			if (fw_load_be32(b + 4) != 1 && fw_load_be32(b + 4) != 2)
				put32(b + 4, 1);
		}
		break;
	default:
		break;
	}
	return len;
}

/* v9 source id / IPFIX domain from the pool, whatever the mutations did. */
static void
pick_id(uint8_t *b, size_t len)
{
	uint16_t v = len >= 2 ? fw_load_be16(b) : 0;

	if (v == 9 && len >= 20)
		put32(b + 16, ids[rn((uint32_t)nids)]);
	else if (v == 10 && len >= 16)
		put32(b + 12, ids[rn((uint32_t)nids)]);
}

int
main(int argc, char **argv)
{
	static uint8_t bufs[BATCH][DGRAM_MAX];
	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH];
	unsigned long long seed = 20261130, sent = 0, per_kind[K_N] = { 0 }, v6 = 0, raw = 0;
	long count = 100000, rate = 0, max_s = 120;
	int opt, fd, zero = 0;
	int64_t t0, deadline;

	while ((opt = getopt(argc, argv, "s:n:r:t:i:d:")) != -1) {
		switch (opt) {
		case 's': seed = strtoull(optarg, NULL, 0); break;
		case 'n': count = strtol(optarg, NULL, 10); break;
		case 'r': rate = strtol(optarg, NULL, 10); break;
		case 't': max_s = strtol(optarg, NULL, 10); break;
		case 'i': nids = (int)strtol(optarg, NULL, 10); break;
		case 'd':
			if (parse_dest(optarg) != 0) {
				fprintf(stderr, "mutflood: bad destination '%s' (nf|ipfix|sflow=ADDR:PORT, "
				    "ADDR in 127.0.0.0/8 or [::1])\n", optarg);
				return 2;
			}
			break;
		default: return 2;
		}
	}
	if (optind >= argc || count < 1 || count > 10000000 || max_s < 1 || max_s > 600 ||
	    nids < 1 || nids > MAX_IDS) {
		fprintf(stderr, "usage: mutflood [-s SEED] [-n COUNT] [-r PPS] [-t SECONDS] [-i IDS] "
		    "-d KIND=ADDR:PORT... FILE|DIR...\n");
		return 2;
	}
	for (int i = optind; i < argc; i++)
		if (load(argv[i]) != 0)
			return 2;
	if (nseeds == 0) {
		fprintf(stderr, "mutflood: no seed datagrams\n");
		return 2;
	}
	for (size_t i = 0; i < nseeds; i++)
		if (ndest[kind_of(seeds[i].fmt)] == 0) {
			fprintf(stderr, "mutflood: no -d %s=... for the %s seeds\n", kind_names[kind_of(seeds[i].fmt)],
			    fw_pkt_kind_name(seeds[i].fmt));
			return 2;
		}
	/* Pool of ids: boundary values first, then small numbers. */
	{
		static const uint32_t special[] = { 0, 1, 0xffffffff, 0x80000000, 0x7fffffff, 256 };

		for (int i = 0; i < nids; i++)
			ids[i] = i < 6 ? special[i] : (uint32_t)i;
	}
	rng = seed;
	printf("mutflood: seed=%llu seeds=%zu count=%ld rate=%ld source_ids=%d\n", seed, nseeds, count, rate, nids);
	fflush(stdout);
	if ((fd = socket(AF_INET6, SOCK_DGRAM, 0)) < 0 ||
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero)) != 0) {
		perror("mutflood: socket");
		return 1;
	}
	t0 = fw_time_mono_ms();
	deadline = t0 + max_s * 1000;
	while ((long)sent < count) {
		int n = 0, r;

		for (; n < BATCH && (long)sent + n < count; n++) {
			const struct seed *s = &seeds[rn((uint32_t)nseeds)];
			enum kind k = kind_of(s->fmt);
			size_t len = s->len;
			uint32_t nm = 1 + rn(4);

			memcpy(bufs[n], s->p, len);
			for (uint32_t m = 0; m < nm; m++)
				len = mutate(s->fmt, bufs[n], len, DGRAM_MAX - 64);
			if (rn(8) != 0)
				len = fixup(s->fmt, bufs[n], len);
			else
				raw++;
			pick_id(bufs[n], len);
			iov[n].iov_base = bufs[n];
			iov[n].iov_len = len;
			memset(&msgs[n], 0, sizeof(msgs[n]));
			msgs[n].msg_hdr.msg_iov = &iov[n];
			msgs[n].msg_hdr.msg_iovlen = 1;
			msgs[n].msg_hdr.msg_name = &dest[k][rn((uint32_t)ndest[k])];
			msgs[n].msg_hdr.msg_namelen = sizeof(struct sockaddr_in6);
			per_kind[k]++;
			if (IN6_IS_ADDR_LOOPBACK(&((struct sockaddr_in6 *)msgs[n].msg_hdr.msg_name)->sin6_addr))
				v6++;
		}
		if (rate > 0) {
			/* Pace: wait until this batch is due. */
			int64_t due = t0 + (int64_t)((double)sent * 1000.0 / (double)rate);

			while (fw_time_mono_ms() < due) {
				struct timespec ts = { 0, 200000 };
				nanosleep(&ts, NULL);
			}
		}
		for (int done = 0; done < n; done += r) {
			r = sendmmsg(fd, msgs + done, (unsigned)(n - done), 0);
			if (r <= 0) {
				perror("mutflood: sendmmsg");
				return 1;
			}
		}
		sent += (unsigned long long)n;
		if (fw_time_mono_ms() > deadline) {
			fprintf(stderr, "mutflood: time bound reached\n");
			break;
		}
	}
	close(fd);
	printf("mutflood: nf=%llu ipfix=%llu sflow=%llu ipv6=%llu unfixed=%llu in %.1f s\n",
	    per_kind[K_NF], per_kind[K_IPFIX], per_kind[K_SFLOW], v6, raw,
	    (double)(fw_time_mono_ms() - t0) / 1000.0);
	printf("sent %llu datagrams\n", sent);
	return 0;
}
