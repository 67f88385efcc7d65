/*
 * cstate.c - detector checkpoints on the state topic (fw_cstate.h).
 *
 * Record values, big-endian (schema/cluster_state.md):
 *   chunk  "FWSC" version partition index nchunks (u32 each) generation (u64), then the bytes
 *   header "FWSH" version partition nchunks slot (u32 each) generation next_offset total_len (u64 each)
 * A write produces the chunks, then the header, to one state partition and
 * flushes: idempotent and acks=all, so what is acknowledged is in order.
 * A read keeps the latest chunk per key (what compaction keeps) and, at
 * each header, assembles its generation if every chunk of it is there.
 */
#include "fw_cstate.h"

#include <inttypes.h>
#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fw_kafka.h"
#include "fw_log.h"
#include "fw_time.h"

#define MAGIC_CHUNK 0x46575343u    /* "FWSC" */
#define MAGIC_HEADER 0x46575348u   /* "FWSH" */
#define CHUNK_HDR 28
#define HEADER_LEN 44
#define MAX_CHUNKS 1024               /* 512 MiB of state per partition at most */
#define META_TIMEOUT_MS 10000

struct chunk {
	uint64_t gen;
	void *data;
	size_t len;
	bool have;
};

struct fw_cstate {
	rd_kafka_t *prod;
	rd_kafka_topic_t *ptopic;
	rd_kafka_t *cons;
	char topic[FW_CFG_STR_MAX];
	int32_t nparts;                   /* state topic partitions */
	uint64_t write_id;                /* the write whose reports count */
	size_t acked, failed;
	struct chunk *slot[2];            /* reader scratch, MAX_CHUNKS each */
	struct fw_cstate_stats st;
};

static void
put32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (24 - 8 * i));
}

static void
put64(unsigned char *p, uint64_t v)
{
	put32(p, (uint32_t)(v >> 32));
	put32(p + 4, (uint32_t)v);
}

static uint32_t
get32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t
get64(const unsigned char *p)
{
	return (uint64_t)get32(p) << 32 | get32(p + 4);
}

static void
on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
	struct fw_cstate *s = opaque;

	(void)rk;
	if ((uint64_t)(uintptr_t)m->_private != s->write_id)
		return;  /* a late report of an earlier, failed write */
	if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
		s->failed++;
		FW_LOG_RL(FW_LOG_WARN, "cluster", "state record to %s not delivered: %s", s->topic,
		    rd_kafka_err2str(m->err));
	} else {
		s->acked++;
	}
}


/* The state topic's partition count, from the producer's metadata. */
static int
count_partitions(struct fw_cstate *s, char *err, size_t errlen)
{
	const struct rd_kafka_metadata *md = NULL;
	rd_kafka_resp_err_t e = rd_kafka_metadata(s->prod, 0, s->ptopic, &md, META_TIMEOUT_MS);

	if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
		snprintf(err, errlen, "cluster.state_topic %s: no metadata: %s", s->topic, rd_kafka_err2str(e));
		return FW_EIO;
	}
	if (md->topic_cnt != 1 || md->topics[0].err != RD_KAFKA_RESP_ERR_NO_ERROR ||
	    md->topics[0].partition_cnt < 1) {
		snprintf(err, errlen, "cluster.state_topic %s: %s (create it compacted, README \"Scaling out\")",
		    s->topic, md->topic_cnt == 1 ? rd_kafka_err2str(md->topics[0].err) : "not found");
		rd_kafka_metadata_destroy(md);
		return FW_ENOENT;
	}
	s->nparts = md->topics[0].partition_cnt;
	rd_kafka_metadata_destroy(md);
	return FW_OK;
}

int
fw_cstate_new(const struct fw_config *cfg, struct fw_cstate **out, char *err, size_t errlen)
{
	struct fw_cstate *s;
	rd_kafka_conf_t *conf = NULL;
	char e[512], group[FW_CFG_STR_MAX + 16];
	int rc = FW_EINVAL;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return FW_ENOMEM;
	snprintf(s->topic, sizeof(s->topic), "%s", cfg->cluster_state_topic);
	if ((s->slot[0] = calloc(MAX_CHUNKS, sizeof(struct chunk))) == NULL ||
	    (s->slot[1] = calloc(MAX_CHUNKS, sizeof(struct chunk))) == NULL) {
		rc = FW_ENOMEM;
		goto fail;
	}
	/* The alert sink's producer settings: idempotent, acks=all, in order. */
	if ((conf = fw_kafka_conf_new(cfg, s, err, errlen)) == NULL)
		goto fail;
	rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
	if ((s->prod = rd_kafka_new(RD_KAFKA_PRODUCER, conf, e, sizeof(e))) == NULL) {
		snprintf(err, errlen, "kafka: cannot create the state producer: %s", e);
		goto fail;
	}
	conf = NULL;  /* owned by prod */
	if ((s->ptopic = rd_kafka_topic_new(s->prod, s->topic, NULL)) == NULL) {
		snprintf(err, errlen, "cluster.state_topic %s: %s", s->topic, rd_kafka_err2str(rd_kafka_last_error()));
		rc = FW_EINVAL;
		goto fail;
	}
	if ((rc = count_partitions(s, err, errlen)) != FW_OK)
		goto fail;
	if ((rc = fw_kafka_client_conf_new(cfg, &conf, err, errlen)) != FW_OK)
		goto fail;
	rc = FW_EINVAL;
	/* A consumer needs a group id; this one only assign()s, never joins or commits. */
	snprintf(group, sizeof(group), "%s.state-reader", cfg->cluster_group_id);
	if (fw_kafka_conf_set(conf, "group.id", group, err, errlen) || fw_kafka_conf_set(conf, "enable.auto.commit", "false", err, errlen) ||
	    fw_kafka_conf_set(conf, "enable.partition.eof", "true", err, errlen) ||
	    fw_kafka_conf_set(conf, "auto.offset.reset", "earliest", err, errlen))
		goto fail;
	if ((s->cons = rd_kafka_new(RD_KAFKA_CONSUMER, conf, e, sizeof(e))) == NULL) {
		snprintf(err, errlen, "kafka: cannot create the state reader: %s", e);
		goto fail;
	}
	conf = NULL;
	*out = s;
	return FW_OK;
fail:
	if (conf != NULL)
		rd_kafka_conf_destroy(conf);
	fw_cstate_free(s);
	return rc;
}

static void
drop_chunks(struct fw_cstate *s)
{
	for (int k = 0; k < 2; k++)
		for (int i = 0; s->slot[k] != NULL && i < MAX_CHUNKS; i++) {
			free(s->slot[k][i].data);
			memset(&s->slot[k][i], 0, sizeof(s->slot[k][i]));
		}
}

void
fw_cstate_free(struct fw_cstate *s)
{
	if (s == NULL)
		return;
	if (s->cons != NULL) {
		rd_kafka_resp_err_t e = rd_kafka_consumer_close(s->cons);

		if (e != RD_KAFKA_RESP_ERR_NO_ERROR)
			fw_log(FW_LOG_DEBUG, "cluster", "state reader close: %s", rd_kafka_err2str(e));
		rd_kafka_destroy(s->cons);
	}
	if (s->ptopic != NULL)
		rd_kafka_topic_destroy(s->ptopic);
	if (s->prod != NULL) {
		if (rd_kafka_flush(s->prod, 5000) != RD_KAFKA_RESP_ERR_NO_ERROR)
			fw_log(FW_LOG_WARN, "cluster", "state records still unsent at exit: %d", rd_kafka_outq_len(s->prod));
		rd_kafka_destroy(s->prod);
	}
	drop_chunks(s);
	free(s->slot[0]);
	free(s->slot[1]);
	free(s);
}

static int32_t
state_partition(const struct fw_cstate *s, int32_t partition)
{
	return partition % s->nparts;
}

static int
produce(struct fw_cstate *s, int32_t spart, const char *key, const unsigned char *hdr, size_t hlen,
    const void *data, size_t len)
{
	unsigned char *buf = malloc(hlen + len);
	int rc;

	if (buf == NULL)
		return FW_ENOMEM;
	memcpy(buf, hdr, hlen);
	if (len > 0)
		memcpy(buf + hlen, data, len);
	/* F_FREE: librdkafka owns buf from here on, also on failure (it does not). */
	rc = rd_kafka_produce(s->ptopic, spart, RD_KAFKA_MSG_F_FREE, buf, hlen + len, key, strlen(key),
	    (void *)(uintptr_t)s->write_id);
	if (rc != 0) {
		free(buf);
		FW_LOG_RL(FW_LOG_WARN, "cluster", "state record %s not queued: %s", key,
		    rd_kafka_err2str(rd_kafka_last_error()));
		return FW_EIO;
	}
	return FW_OK;
}

int
fw_cstate_write(struct fw_cstate *s, const struct fw_cstate_meta *m, const void *blob, size_t len,
    int64_t timeout_ms)
{
	uint32_t n = (uint32_t)((len + FW_CSTATE_CHUNK - 1) / FW_CSTATE_CHUNK);
	uint32_t slot = (uint32_t)(m->generation % 2);
	int32_t spart = state_partition(s, m->partition);
	int64_t deadline = fw_time_mono_ms() + timeout_ms;
	unsigned char h[HEADER_LEN];
	char key[48];
	int rc;

	if (n > MAX_CHUNKS) {
		FW_LOG_RL(FW_LOG_ERR, "cluster", "partition %d: state of %zu bytes exceeds %d chunks, not written",
		    (int)m->partition, len, MAX_CHUNKS);
		s->st.write_failures++;
		return FW_EINVAL;
	}
	s->write_id++;
	s->acked = s->failed = 0;
	for (uint32_t i = 0; i < n; i++) {
		size_t off = (size_t)i * FW_CSTATE_CHUNK, clen = len - off < FW_CSTATE_CHUNK ? len - off : FW_CSTATE_CHUNK;

		put32(h, MAGIC_CHUNK);
		put32(h + 4, FW_CSTATE_VERSION);
		put32(h + 8, (uint32_t)m->partition);
		put32(h + 12, i);
		put32(h + 16, n);
		put64(h + 20, m->generation);
		snprintf(key, sizeof(key), "p%d.%u.%u", (int)m->partition, (unsigned)slot, (unsigned)i);
		if ((rc = produce(s, spart, key, h, CHUNK_HDR, (const char *)blob + off, clen)) != FW_OK)
			goto fail;
	}
	put32(h, MAGIC_HEADER);
	put32(h + 4, FW_CSTATE_VERSION);
	put32(h + 8, (uint32_t)m->partition);
	put32(h + 12, n);
	put32(h + 16, slot);
	put64(h + 20, m->generation);
	put64(h + 28, (uint64_t)m->next_offset);
	put64(h + 36, (uint64_t)len);
	snprintf(key, sizeof(key), "p%d", (int)m->partition);
	if ((rc = produce(s, spart, key, h, HEADER_LEN, NULL, 0)) != FW_OK)
		goto fail;
	while (s->acked + s->failed < n + 1 && fw_time_mono_ms() < deadline)
		rd_kafka_poll(s->prod, 10);
	if (s->acked == n + 1) {
		s->st.written++;
		s->st.written_bytes += len;
		return FW_OK;
	}
	rc = s->failed > 0 ? FW_EIO : FW_EAGAIN;
fail:
	s->st.write_failures++;
	FW_LOG_RL(FW_LOG_WARN, "cluster", "partition %d: checkpoint generation %" PRIu64 " not acknowledged "
	    "(%zu of %u records, %zu failed); offsets not committed", (int)m->partition, m->generation, s->acked,
	    n + 1, s->failed);
	return rc;
}

/* One state record into the reader's scratch; a complete header's
 * generation into *best (the newest so far). */
static void
take_record(struct fw_cstate *s, int32_t partition, const rd_kafka_message_t *msg, struct fw_cstate_meta *best,
    void **blob, size_t *blen)
{
	const unsigned char *v = msg->payload;
	size_t len = msg->len;
	uint32_t n, slot;
	uint64_t gen, total;
	unsigned char *out;
	size_t off = 0;

	if (v == NULL || len < CHUNK_HDR || get32(v + 4) != FW_CSTATE_VERSION)
		goto bad;
	if ((int32_t)get32(v + 8) != partition)
		return;  /* another records partition sharing this state partition */
	if (get32(v) == MAGIC_CHUNK) {
		uint32_t i = get32(v + 12);
		struct chunk *c;

		n = get32(v + 16);
		gen = get64(v + 20);
		if (i >= n || n > MAX_CHUNKS || len - CHUNK_HDR > FW_CSTATE_CHUNK)
			goto bad;
		c = &s->slot[gen % 2][i];
		free(c->data);
		c->len = len - CHUNK_HDR;
		c->gen = gen;
		c->have = (c->data = malloc(c->len > 0 ? c->len : 1)) != NULL;
		if (c->have)
			memcpy(c->data, v + CHUNK_HDR, c->len);
		return;
	}
	if (get32(v) != MAGIC_HEADER || len != HEADER_LEN)
		goto bad;
	n = get32(v + 12);
	slot = get32(v + 16);
	gen = get64(v + 20);
	total = get64(v + 36);
	if (n > MAX_CHUNKS || slot != gen % 2 || total > (uint64_t)n * FW_CSTATE_CHUNK)
		goto bad;
	if (*blob != NULL && gen <= best->generation)
		return;  /* older than what we have (a zombie's late write) */
	for (uint32_t i = 0; i < n; i++) {
		const struct chunk *c = &s->slot[slot][i];

		if (!c->have || c->gen != gen)
			return;  /* incomplete: its chunks were overwritten or never came */
		off += c->len;
	}
	if (off != total || (out = malloc(total > 0 ? total : 1)) == NULL)
		goto bad;
	off = 0;
	for (uint32_t i = 0; i < n; i++) {
		memcpy(out + off, s->slot[slot][i].data, s->slot[slot][i].len);
		off += s->slot[slot][i].len;
	}
	free(*blob);
	*blob = out;
	*blen = total;
	best->partition = partition;
	best->generation = gen;
	best->next_offset = (int64_t)get64(v + 28);
	return;
bad:
	s->st.bad_records++;
	FW_LOG_RL(FW_LOG_WARN, "cluster", "%s [%d] offset %" PRId64 ": not a state record of this version, skipped",
	    s->topic, (int)msg->partition, msg->offset);
}

int
fw_cstate_read(struct fw_cstate *s, int32_t partition, struct fw_cstate_meta *m, void **blob,
    size_t *len, int64_t timeout_ms, char *err, size_t errlen)
{
	int32_t spart = state_partition(s, partition);
	int64_t lo = 0, hi = 0, deadline = fw_time_mono_ms() + timeout_ms;
	rd_kafka_topic_partition_list_t *tp;
	rd_kafka_resp_err_t e;
	bool done = false;
	int rc = FW_OK;

	*blob = NULL;
	*len = 0;
	memset(m, 0, sizeof(*m));
	e = rd_kafka_query_watermark_offsets(s->cons, s->topic, spart, &lo, &hi, (int)timeout_ms);
	if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
		snprintf(err, errlen, "%s [%d]: offsets: %s", s->topic, (int)spart, rd_kafka_err2str(e));
		s->st.read_failures++;
		return FW_EIO;
	}
	if (hi > lo) {
		tp = rd_kafka_topic_partition_list_new(1);
		rd_kafka_topic_partition_list_add(tp, s->topic, spart)->offset = lo;
		e = rd_kafka_assign(s->cons, tp);
		rd_kafka_topic_partition_list_destroy(tp);
		if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
			snprintf(err, errlen, "%s [%d]: assign: %s", s->topic, (int)spart, rd_kafka_err2str(e));
			s->st.read_failures++;
			return FW_EIO;
		}
		while (!done && fw_time_mono_ms() < deadline) {
			rd_kafka_message_t *msg = rd_kafka_consumer_poll(s->cons, 100);

			if (msg == NULL)
				continue;
			if (msg->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
				done = msg->offset >= hi;
			} else if (msg->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
				FW_LOG_RL(FW_LOG_WARN, "cluster", "%s [%d]: %s", s->topic, (int)spart,
				    rd_kafka_message_errstr(msg));
			} else {
				take_record(s, partition, msg, m, blob, len);
				done = msg->offset >= hi - 1;
			}
			rd_kafka_message_destroy(msg);
		}
		e = rd_kafka_assign(s->cons, NULL);
		if (e != RD_KAFKA_RESP_ERR_NO_ERROR)
			fw_log(FW_LOG_WARN, "cluster", "%s: unassign: %s", s->topic, rd_kafka_err2str(e));
		drop_chunks(s);
		if (!done) {
			snprintf(err, errlen, "%s [%d]: not read to its end (offset %" PRId64 ") within %lld ms",
			    s->topic, (int)spart, hi, (long long)timeout_ms);
			free(*blob);
			*blob = NULL;
			*len = 0;
			s->st.read_failures++;
			return FW_EAGAIN;
		}
	}
	if (*blob == NULL) {
		s->st.read_none++;
		rc = FW_ENOENT;
	} else {
		s->st.read++;
	}
	return rc;
}

void
fw_cstate_get_stats(const struct fw_cstate *s, struct fw_cstate_stats *st)
{
	*st = s->st;
}
