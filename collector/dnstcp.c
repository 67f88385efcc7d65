/*
 * dnstcp.c - DNS messages from TCP segments (fw_dnstcp.h).
 *
 *   TCP header (RFC 9293 3.1)          DNS over TCP (RFC 1035 4.2.2)
 *   OFFSET SIZE FIELD                  OFFSET SIZE FIELD
 *   0      2    source port            0      2    message length (>= 12 here)
 *   2      2    destination port       2      len  DNS message
 *   4      4    sequence number        ...  then the next length prefix
 *   12     1    data offset << 4
 *   13     1    flags (FIN 01, SYN 02, RST 04)
 *
 * Flows live in a fixed array, found through fw_hashtab (seeded hash of
 * source, destination and ports) and kept on a recency list, least
 * recently used first: the idle sweep and eviction take from its head.
 *
 * Invariants: a used flow is on the list and in the index, a free one on
 * neither; when synced, lenbytes < 2 means a length prefix is being read,
 * else got < need bytes of the message have been read and min(got, KEEP)
 * of them are in buf.
 */
#include "fw_dnstcp.h"

#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "fw_cur.h"
#include "fw_hashtab.h"

#define NONE UINT32_MAX
#define DNS_HDR 12

struct fkey {
	struct fw_addr src, dst;
	uint16_t sport, dport;
};

struct flow {
	struct fkey k;
	uint32_t hash;
	uint32_t older, newer;     /* recency list; NONE at the ends */
	int64_t last_ms;           /* packet time of the latest segment */
	uint32_t next_seq;         /* sequence number of the next byte expected */
	uint8_t used;
	uint8_t synced;            /* the stream position of a message boundary is known */
	uint8_t lenbytes;          /* bytes of the length prefix read (0..2) */
	uint8_t lenbuf[2];
	uint16_t need;             /* message length from the prefix */
	uint16_t got;              /* message bytes read */
	uint16_t kept;             /* ... of them in buf */
	uint8_t buf[FW_DNSTCP_KEEP];
};

struct fw_dnstcp {
	struct flow *flows;
	size_t nflows;
	uint32_t free_head;        /* free flows chained through `newer` */
	uint32_t lru, mru;         /* recency list ends */
	struct fw_hashtab idx;
	uint32_t seed;
	int64_t idle_ms;
	struct fw_dnstcp_stats st;
};

int
fw_dnstcp_new(size_t flows, int64_t idle_ms, struct fw_dnstcp **out)
{
	struct fw_dnstcp *t;

	if (flows < 1 || flows > ((size_t)1 << 20) || idle_ms < 1)
		return FW_EINVAL;
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return FW_ENOMEM;
	t->nflows = flows;
	t->idle_ms = idle_ms;
	if ((t->flows = calloc(flows, sizeof(*t->flows))) == NULL || fw_hashtab_init(&t->idx, flows) != FW_OK) {
		fw_dnstcp_free(t);
		return FW_ENOMEM;
	}
	if (getrandom(&t->seed, sizeof(t->seed), GRND_NONBLOCK) != (ssize_t)sizeof(t->seed))
		t->seed = (uint32_t)(uintptr_t)t;  /* no entropy yet: still differs per run (ASLR) */
	for (size_t i = 0; i < flows; i++)
		t->flows[i].newer = i + 1 < flows ? (uint32_t)(i + 1) : NONE;
	t->free_head = 0;
	t->lru = t->mru = NONE;
	*out = t;
	return FW_OK;
}

void
fw_dnstcp_free(struct fw_dnstcp *t)
{
	if (t == NULL)
		return;
	fw_hashtab_fini(&t->idx);
	free(t->flows);
	free(t);
}

size_t
fw_dnstcp_bytes(const struct fw_dnstcp *t)
{
	return sizeof(*t) + t->nflows * sizeof(*t->flows) + fw_hashtab_bytes(&t->idx);
}

const struct fw_dnstcp_stats *
fw_dnstcp_stats(const struct fw_dnstcp *t)
{
	return &t->st;
}

const char *
fw_dnstcp_drop_name(enum fw_dnstcp_drop d)
{
	static const char *const names[FW_DNSTCP_DROP_N] = {
		"gap", "unsynced", "bad_length", "evicted", "timeout", "incomplete"
	};

	return (unsigned)d < FW_DNSTCP_DROP_N ? names[d] : "other";
}

static void
unlink_flow(struct fw_dnstcp *t, uint32_t i)
{
	struct flow *f = &t->flows[i];

	if (f->older != NONE)
		t->flows[f->older].newer = f->newer;
	else
		t->lru = f->newer;
	if (f->newer != NONE)
		t->flows[f->newer].older = f->older;
	else
		t->mru = f->older;
}

static void
link_newest(struct fw_dnstcp *t, uint32_t i)
{
	struct flow *f = &t->flows[i];

	f->older = t->mru;
	f->newer = NONE;
	if (t->mru != NONE)
		t->flows[t->mru].newer = i;
	else
		t->lru = i;
	t->mru = i;
}

/* In the middle of a message (or of its length prefix). */
static int
mid_message(const struct flow *f)
{
	return f->synced && (f->lenbytes == 1 || (f->lenbytes == 2 && f->got < f->need));
}

/* Free flow i; `why` is counted when a message was being read
 * (FW_DNSTCP_DROP_N: the caller counts). */
static void
release(struct fw_dnstcp *t, uint32_t i, enum fw_dnstcp_drop why)
{
	struct flow *f = &t->flows[i];

	if (why < FW_DNSTCP_DROP_N && mid_message(f))
		t->st.drops[why]++;
	unlink_flow(t, i);
	fw_hashtab_remove(&t->idx, f->hash, i);
	f->used = 0;
	f->newer = t->free_head;
	t->free_head = i;
}

static void
expire(struct fw_dnstcp *t, int64_t now_ms)
{
	while (t->lru != NONE && now_ms - t->flows[t->lru].last_ms > t->idle_ms)
		release(t, t->lru, FW_DNSTCP_DROP_TIMEOUT);
}

static uint32_t
find(struct fw_dnstcp *t, const struct fkey *k, uint32_t h)
{
	struct fw_hashtab_probe p;
	uint32_t e;

	fw_hashtab_probe_start(&t->idx, h, &p);
	while ((e = fw_hashtab_probe_next(&t->idx, &p)) != FW_HASHTAB_NONE)
		if (memcmp(&t->flows[e].k, k, sizeof(*k)) == 0)
			return e;
	return NONE;
}

static uint32_t
take(struct fw_dnstcp *t, const struct fkey *k, uint32_t h)
{
	struct flow *f;
	uint32_t i;

	if (t->free_head == NONE) {
		t->st.drops[FW_DNSTCP_DROP_EVICTED]++;  /* counted whatever its state */
		release(t, t->lru, FW_DNSTCP_DROP_N);
	}
	i = t->free_head;
	f = &t->flows[i];
	t->free_head = f->newer;
	memset(f, 0, offsetof(struct flow, buf));
	f->k = *k;
	f->hash = h;
	f->used = 1;
	link_newest(t, i);
	fw_hashtab_insert(&t->idx, h, i);
	return i;
}

/*
 * Can a message boundary be at p?  A length prefix alone (a client that
 * writes the prefix apart, as dnso1tcp.pcap shows), or a prefix and the
 * start of something fw_pkt_sniff() takes for DNS.
 */
static int
plausible_start(const uint8_t *p, size_t n)
{
	size_t len;

	if (n < 2)
		return 0;
	len = fw_load_be16(p);
	if (len < DNS_HDR)
		return 0;
	if (n == 2)
		return 1;
	return fw_pkt_sniff(p + 2, n - 2 < len ? n - 2 : len) == FW_PAYLOAD_DNS;
}

static void
deliver(struct fw_dnstcp *t, const struct fw_udp *seg, const uint8_t *msg, size_t len, size_t full,
    fw_dnstcp_fn *fn, void *ctx)
{
	struct fw_udp m = *seg;

	m.payload = msg;
	m.len = len;
	t->st.messages++;
	if (len < full)
		t->st.clipped++;
	fn(ctx, &m);
}

/* Read in-order stream bytes p[0..n) of a synced flow; returns messages. */
static int
consume(struct fw_dnstcp *t, struct flow *f, const struct fw_udp *seg, const uint8_t *p, size_t n,
    fw_dnstcp_fn *fn, void *ctx)
{
	int msgs = 0;

	/* Every turn consumes >= 1 byte or leaves the loop. */
	while (n > 0 && f->synced) {
		size_t take;

		if (f->lenbytes < 2) {
			f->lenbuf[f->lenbytes++] = *p++;
			n--;
			if (f->lenbytes < 2)
				continue;
			f->need = fw_load_be16(f->lenbuf);
			f->got = f->kept = 0;
			if (f->need < DNS_HDR) {
				t->st.drops[FW_DNSTCP_DROP_BAD_LENGTH]++;
				f->synced = 0;  /* not DNS framing: wait for a plausible start */
				f->lenbytes = 0;
			}
			continue;
		}
		take = (size_t)(f->need - f->got) < n ? (size_t)(f->need - f->got) : n;
		if (f->got == 0 && take == f->need) {
			deliver(t, seg, p, take, take, fn, ctx);  /* whole in this segment: in place */
		} else {
			size_t room = FW_DNSTCP_KEEP - f->kept, c = take < room ? take : room;

			memcpy(f->buf + f->kept, p, c);
			f->kept = (uint16_t)(f->kept + c);
			f->got = (uint16_t)(f->got + take);
			if (f->got < f->need) {
				p += take;
				n -= take;
				continue;
			}
			deliver(t, seg, f->buf, f->kept, f->need, fn, ctx);
		}
		msgs++;
		f->lenbytes = 0;
		p += take;
		n -= take;
	}
	return msgs;
}

int
fw_dnstcp_add(struct fw_dnstcp *t, const struct fw_pkt_l3 *ip, int64_t now_ms, fw_dnstcp_fn *fn, void *ctx)
{
	struct fw_cur c = fw_cur_make(ip->l4, ip->l4_len);
	struct fw_udp seg;
	struct fkey k;
	struct flow *f;
	const uint8_t *data;
	size_t n, thl;
	uint32_t seq, h, i;
	uint8_t flags;
	int32_t diff;
	int msgs = 0;

	memset(&seg, 0, sizeof(seg));
	seg.sport = fw_cur_u16(&c);
	seg.dport = fw_cur_u16(&c);
	seq = fw_cur_u32(&c);
	fw_cur_skip(&c, 4);  /* ack */
	thl = (size_t)(fw_cur_u8(&c) >> 4) * 4;
	flags = fw_cur_u8(&c);
	if (c.err != FW_OK)
		return c.err;
	if (seg.sport != 53 && seg.dport != 53)
		return FW_EUNSUPPORTED;
	if (thl < 20)
		return FW_EMALFORMED;
	c = fw_cur_make(ip->l4, ip->l4_len);
	fw_cur_skip(&c, thl);
	if (c.err != FW_OK)
		return c.err;
	data = c.p;
	n = fw_cur_left(&c);
	seg.src = ip->src;
	seg.dst = ip->dst;
	seg.ttl = ip->ttl;
	t->st.segments++;
	expire(t, now_ms);

	memset(&k, 0, sizeof(k));
	k.src = ip->src;
	k.dst = ip->dst;
	k.sport = seg.sport;
	k.dport = seg.dport;
	h = fw_hashtab_hash(&k, sizeof(k), t->seed);
	i = find(t, &k, h);
	if (flags & 0x02) {                /* SYN: the stream starts at seq + 1 */
		if (i != NONE)
			release(t, i, FW_DNSTCP_DROP_INCOMPLETE);
		i = take(t, &k, h);
		seq++;
		t->flows[i].next_seq = seq;
		t->flows[i].synced = 1;
	} else if (i == NONE) {
		if (n == 0 || (flags & 0x05))  /* nothing to read, or the end of it */
			return 0;
		i = take(t, &k, h);
		t->flows[i].next_seq = seq;
	}
	f = &t->flows[i];
	f->last_ms = now_ms;
	unlink_flow(t, i);
	link_newest(t, i);
	diff = (int32_t)(seq - f->next_seq);
	if (n > 0 && diff < 0) {           /* seen before: skip that part */
		size_t dup = (size_t)-(int64_t)diff;

		t->st.retransmits++;
		if (dup >= n) {
			n = 0;
		} else {
			data += dup;
			n -= dup;
			seq = f->next_seq;
			diff = 0;
		}
	}
	if (n > 0 && diff > 0) {           /* bytes missing: the message being read is lost */
		t->st.drops[FW_DNSTCP_DROP_GAP]++;
		f->synced = 0;
		f->lenbytes = 0;
		f->next_seq = seq;
	}
	if (n > 0) {
		if (!f->synced && plausible_start(data, n)) {
			f->synced = 1;
			f->lenbytes = 0;
		}
		if (f->synced)
			msgs = consume(t, f, &seg, data, n, fn, ctx);
		else
			t->st.drops[FW_DNSTCP_DROP_UNSYNCED]++;
		f->next_seq = seq + (uint32_t)n;
	}
	if (flags & 0x05)                  /* FIN or RST: this direction is done */
		release(t, i, FW_DNSTCP_DROP_INCOMPLETE);
	return msgs;
}

void
fw_dnstcp_flush(struct fw_dnstcp *t)
{
	while (t->lru != NONE)
		release(t, t->lru, FW_DNSTCP_DROP_INCOMPLETE);
}
