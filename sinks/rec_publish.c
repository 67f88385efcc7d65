/*
 * rec_publish.c - the collector role's publisher (fw_recpub.h).
 *
 * One thread owns everything here but the counters: the per-partition
 * encoders (made once, when the partition count is known), their first
 * record's time (linger) and sequence numbers.  Delivery reports run on
 * the same thread (rd_kafka_poll), so they need no lock either; counters
 * are atomics for fw_recpub_get_stats().
 */
#include "fw_recpub.h"

#include <librdkafka/rdkafka.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fw_kafka.h"
#include "fw_log.h"
#include "fw_records.h"
#include "fw_recwire.h"
#include "fw_time.h"
#include "fw_wake.h"

#define MAX_RINGS 64
#define MAX_PARTS 4096
#define BURST 256
#define NAP_MS 10
#define LIVE_QUEUE_WAIT_MS 100

struct part {
	struct fw_recwire_enc *enc;
	int64_t first_ms;           /* monotonic time of the open batch's first record; 0: none open */
	uint64_t seq;               /* messages begun for this partition */
};

struct fw_recpub {
	struct fw_wake wake;        /* producers poke it (own cache line first) */
	rd_kafka_t *rk;
	rd_kafka_topic_t *topic;
	fw_recpub_route_fn *route_flow, *route_dns;
	fw_recpub_lateness_fn *lateness;   /* NULL: none sent */
	void *ctx;
	struct part *parts;
	pthread_t thread;
	int64_t newest_ms;          /* newest event time taken (INT64_MIN: none) */
	int64_t wm_event_ms;        /* replay: newest_ms when watermarks last went out (INT64_MIN: never) */
	int64_t final_extra_ms;     /* replay's last watermark: newest + this */
	int64_t linger_ms, watermark_ms, flush_timeout_ms;
	size_t batch_records;
	_Atomic uint64_t taken, published, batches, watermarks, errors, dropped;
	_Atomic int64_t qdepth, partitions;
	struct fw_ring *rings[MAX_RINGS];
	int nrings;
	int nalloc;                 /* parts[] entries (encoders made or NULL) */
	int nparts;                 /* P once every encoder is made; -1: cannot publish */
	_Atomic int stopping;
	bool live;
	bool started;
	bool ring_dns[MAX_RINGS];
	char id[FW_RECWIRE_ID_MAX];
};

static void
on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
	struct fw_recpub *p = opaque;
	uint64_t n = (uint64_t)(uintptr_t)m->_private;

	(void)rk;
	if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
		atomic_fetch_add(&p->errors, 1);
		atomic_fetch_add(&p->dropped, n);
		FW_LOG_RL(FW_LOG_WARN, "publish", "a batch of %llu records to partition %d failed: %s",
		    (unsigned long long)n, (int)m->partition, rd_kafka_err2str(m->err));
		return;
	}
	if (n > 0) {
		atomic_fetch_add(&p->batches, 1);
		atomic_fetch_add(&p->published, n);
	} else {
		atomic_fetch_add(&p->watermarks, 1);
	}
}

int
fw_recpub_new(const struct fw_config *cfg, bool live, fw_recpub_route_fn *route_flow,
    fw_recpub_route_fn *route_dns, void *ctx, struct fw_recpub **out, char *err, size_t errlen)
{
	struct fw_recpub *p;
	rd_kafka_conf_t *conf;
	char e[512];

	if (cfg->kafka_brokers[0] == '\0') {
		snprintf(err, errlen, "cluster.role = collector needs kafka.brokers");
		return FW_EINVAL;
	}
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return FW_ENOMEM;
	fw_wake_init(&p->wake);
	p->route_flow = route_flow;
	p->route_dns = route_dns;
	p->ctx = ctx;
	p->live = live;
	p->newest_ms = INT64_MIN;
	p->wm_event_ms = INT64_MIN;
	p->final_extra_ms = 2 * (cfg->window_ms + cfg->max_lateness_ms);
	p->linger_ms = cfg->cluster_linger_ms;
	p->watermark_ms = cfg->cluster_watermark_ms;
	p->flush_timeout_ms = cfg->kafka_flush_timeout_ms;
	p->batch_records = (size_t)cfg->cluster_batch_records;
	/* The wire holds 63 bytes of it (fw_recwire.h): longer names are cut. */
	memcpy(p->id, cfg->cluster_member_name, strnlen(cfg->cluster_member_name, sizeof(p->id) - 1));
	if (p->id[0] == '\0' && gethostname(p->id, sizeof(p->id) - 1) != 0)
		snprintf(p->id, sizeof(p->id), "collector");
	if ((conf = fw_kafka_conf_new(cfg, p, err, errlen)) == NULL) {
		free(p);
		return FW_EINVAL;
	}
	rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
	if ((p->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, e, sizeof(e))) == NULL) {
		snprintf(err, errlen, "kafka: cannot create the record producer: %s", e);
		rd_kafka_conf_destroy(conf);
		free(p);
		return FW_EINVAL;
	}
	if ((p->topic = rd_kafka_topic_new(p->rk, cfg->cluster_records_topic, NULL)) == NULL) {
		snprintf(err, errlen, "kafka: topic %s: %s", cfg->cluster_records_topic,
		    rd_kafka_err2str(rd_kafka_last_error()));
		fw_recpub_free(p);
		return FW_EINVAL;
	}
	*out = p;
	return FW_OK;
}

int
fw_recpub_add_ring(struct fw_recpub *p, struct fw_ring *r, bool dns)
{
	if (p->started || p->nrings >= MAX_RINGS)
		return FW_EINVAL;
	p->ring_dns[p->nrings] = dns;
	p->rings[p->nrings++] = r;
	fw_ring_set_wake(r, &p->wake, fw_ring_capacity(r) / 4);
	return FW_OK;
}

void
fw_recpub_set_lateness(struct fw_recpub *p, fw_recpub_lateness_fn *fn)
{
	if (!p->started)
		p->lateness = fn;
}

/* Learn P from the metadata and make the encoders (once). */
static int
learn_partitions(struct fw_recpub *p)
{
	const struct rd_kafka_metadata *md = NULL;
	rd_kafka_resp_err_t err = rd_kafka_metadata(p->rk, 0, p->topic, &md, 1000);
	int n = 0;

	if (err != RD_KAFKA_RESP_ERR_NO_ERROR || md == NULL || md->topic_cnt != 1 ||
	    md->topics[0].err != RD_KAFKA_RESP_ERR_NO_ERROR || md->topics[0].partition_cnt < 1) {
		FW_LOG_RL(FW_LOG_WARN, "publish", "topic %s: partition count unknown yet (%s); retrying",
		    rd_kafka_topic_name(p->topic), md != NULL && md->topic_cnt == 1 ?
		    rd_kafka_err2str(md->topics[0].err) : rd_kafka_err2str(err));
		if (md != NULL)
			rd_kafka_metadata_destroy(md);
		return FW_EAGAIN;
	}
	n = md->topics[0].partition_cnt;
	rd_kafka_metadata_destroy(md);
	if (n > MAX_PARTS) {
		FW_LOG_RL(FW_LOG_ERR, "publish", "topic %s has %d partitions, more than %d: not publishing",
		    rd_kafka_topic_name(p->topic), n, MAX_PARTS);
		return FW_EINVAL;
	}
	if ((p->parts = calloc((size_t)n, sizeof(*p->parts))) == NULL)
		return FW_ENOMEM;
	p->nalloc = n;
	for (int i = 0; i < n; i++)
		if (fw_recwire_enc_new(p->batch_records, &p->parts[i].enc) != FW_OK)
			return FW_ENOMEM;  /* fw_recpub_free frees what was made */
	p->nparts = n;
	atomic_store(&p->partitions, n);
	fw_log(FW_LOG_INFO, "publish", "records topic %s: %d partitions, batches of at most %zu records",
	    rd_kafka_topic_name(p->topic), n, p->batch_records);
	return FW_OK;
}

static int64_t
watermark(const struct fw_recpub *p)
{
	return p->live ? fw_time_now_ms() : p->newest_ms;
}

/* Open partition i's next batch: its header says the time now. */
static void
open_batch(struct fw_recpub *p, int i, int64_t now)
{
	struct part *pt = &p->parts[i];
	struct fw_recwire_hdr h;

	memset(&h, 0, sizeof(h));
	h.version = FW_RECWIRE_VERSION;
	memcpy(h.collector, p->id, sizeof(h.collector));
	h.seq = ++pt->seq;
	h.watermark_ms = watermark(p);
	h.lateness_ms = p->lateness != NULL ? p->lateness(p->ctx) : 0;
	fw_recwire_enc_begin(pt->enc, &h);
	pt->first_ms = now;
}

/* Produce partition i's open batch; none open: a watermark-only one. */
static void
send_batch(struct fw_recpub *p, int i, int64_t now)
{
	struct part *pt = &p->parts[i];
	size_t n, len;
	const void *buf;
	char key[16];
	int klen = snprintf(key, sizeof(key), "%d", i);
	int64_t deadline = now + (p->live ? LIVE_QUEUE_WAIT_MS : p->flush_timeout_ms);
	rd_kafka_resp_err_t err;

	if (pt->first_ms == 0)
		open_batch(p, i, now);
	pt->first_ms = 0;
	n = fw_recwire_enc_count(pt->enc);
	if (fw_recwire_enc_finish(pt->enc, &buf, &len) != FW_OK) {
		err = RD_KAFKA_RESP_ERR__BAD_MSG;  /* never: the header is ours */
		goto drop;
	}
	for (;;) {
		err = rd_kafka_producev(p->rk, RD_KAFKA_V_RKT(p->topic), RD_KAFKA_V_PARTITION(i),
		    RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_VALUE((void *)(uintptr_t)buf, len),
		    RD_KAFKA_V_KEY(key, (size_t)klen), RD_KAFKA_V_OPAQUE((void *)(uintptr_t)n), RD_KAFKA_V_END);
		if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL || fw_time_mono_ms() >= deadline)
			break;
		rd_kafka_poll(p->rk, 10);  /* serve acknowledgements: room frees up */
	}
	if (err == RD_KAFKA_RESP_ERR_NO_ERROR)
		return;
drop:
	FW_LOG_RL(FW_LOG_WARN, "publish", "partition %d: a batch of %llu records not queued: %s", i,
	    (unsigned long long)n, rd_kafka_err2str(err));
	atomic_fetch_add(&p->errors, 1);
	atomic_fetch_add(&p->dropped, n);
}

static void send_all(struct fw_recpub *p, int64_t now);

/* Route and batch n records of one ring. */
static void
take(struct fw_recpub *p, const void *recs, size_t n, bool dns, int64_t now)
{
	for (size_t k = 0; k < n; k++) {
		const void *rec = dns ? (const void *)((const struct fw_dnsq *)recs + k) :
		    (const void *)((const struct fw_flow *)recs + k);
		int64_t t = dns ? ((const struct fw_dnsq *)rec)->time_ms : ((const struct fw_flow *)rec)->end_ms;
		int i = dns ? p->route_dns(p->ctx, rec, p->nparts) : p->route_flow(p->ctx, rec, p->nparts);
		struct part *pt;
		int rc;

		if (i < 0 || i >= p->nparts)
			i = 0;  /* never: the route functions name 0..P-1 */
		pt = &p->parts[i];
		if (t > p->newest_ms)
			p->newest_ms = t;
		/* Replay reads faster than event time passes: a watermark to every
		 * partition also each watermark_ms of event time, so every
		 * partition's clock moves with the stream as one detector's would
		 * (a zone whose first records come late starts with the others). */
		if (!p->live && (p->wm_event_ms == INT64_MIN || p->newest_ms - p->wm_event_ms >= p->watermark_ms)) {
			p->wm_event_ms = p->newest_ms;
			send_all(p, now);
		}
		if (pt->first_ms == 0)
			open_batch(p, i, now);
		rc = dns ? fw_recwire_enc_dns(pt->enc, rec) : fw_recwire_enc_flow(pt->enc, rec);
		if (rc == FW_EFULL) {
			send_batch(p, i, now);
			open_batch(p, i, now);
			rc = dns ? fw_recwire_enc_dns(pt->enc, rec) : fw_recwire_enc_flow(pt->enc, rec);
		}
		if (rc != FW_OK)
			atomic_fetch_add(&p->dropped, 1);  /* never: a fresh batch has room */
	}
	atomic_fetch_add(&p->taken, n);
}

static size_t
drain_once(struct fw_recpub *p, int64_t now)
{
	size_t total = 0;

	for (int r = 0; r < p->nrings; r++) {
		const void *at;
		size_t n;

		while ((n = fw_ring_sc_peek(p->rings[r], &at, BURST)) > 0) {
			take(p, at, n, p->ring_dns[r], now);
			fw_ring_sc_release(p->rings[r], n);
			total += n;
			if (total >= (size_t)16 * BURST)
				return total;  /* let linger and watermarks run */
		}
	}
	return total;
}

/* Open batches out, then the watermark alone to every partition. */
static void
send_all(struct fw_recpub *p, int64_t now)
{
	for (int i = 0; i < p->nparts; i++) {
		if (p->parts[i].first_ms != 0)
			send_batch(p, i, now);
		send_batch(p, i, now);
	}
}

static bool
rings_empty(const struct fw_recpub *p)
{
	for (int r = 0; r < p->nrings; r++)
		if (fw_ring_count(p->rings[r]) > 0)
			return false;
	return true;
}

static void
finish(struct fw_recpub *p)
{
	int64_t left;

	if (p->nparts > 0) {
		/* Open batches first, then the final watermark, alone, last on
		 * every partition (replay: far enough ahead to close every window). */
		if (!p->live && p->newest_ms != INT64_MIN)
			p->newest_ms += p->final_extra_ms;
		send_all(p, fw_time_mono_ms());
	}
	rd_kafka_flush(p->rk, (int)(p->flush_timeout_ms > 0x7fffffff ? 0x7fffffff : p->flush_timeout_ms));
	left = rd_kafka_outq_len(p->rk);
	atomic_store(&p->qdepth, left);
	fw_log(FW_LOG_INFO, "summary", "publish records_taken=%llu records_published=%llu batches=%llu "
	    "watermarks=%llu publish_errors=%llu records_dropped=%llu partitions=%d unacknowledged=%lld",
	    (unsigned long long)atomic_load(&p->taken), (unsigned long long)atomic_load(&p->published),
	    (unsigned long long)atomic_load(&p->batches), (unsigned long long)atomic_load(&p->watermarks),
	    (unsigned long long)atomic_load(&p->errors), (unsigned long long)atomic_load(&p->dropped),
	    p->nparts, (long long)left);
}

static void *
pub_main(void *arg)
{
	struct fw_recpub *p = arg;
	int64_t next_wm = 0, next_md = 0;

	pthread_setname_np(pthread_self(), "fw-publish");
	for (;;) {
		int64_t now = fw_time_mono_ms();
		size_t n = 0;
		uint32_t ticket;
		bool stopping = atomic_load(&p->stopping);

		if (p->nparts == 0 && now >= next_md) {
			int rc = learn_partitions(p);

			next_md = now + 1000;
			if (rc != FW_OK && rc != FW_EAGAIN) {
				/* Nothing can be published: drop what comes, counted. */
				p->nparts = -1;
			}
		}
		if (p->nparts > 0) {
			n = drain_once(p, now);
			for (int i = 0; i < p->nparts; i++)
				if (p->parts[i].first_ms != 0 && now - p->parts[i].first_ms >= p->linger_ms)
					send_batch(p, i, now);
			if (now >= next_wm) {
				send_all(p, now);
				next_wm = now + p->watermark_ms;
			}
		} else if (p->nparts < 0 || stopping) {
			/* No partitions (yet, at stop: brokers unreachable): what the
			 * rings hold cannot go anywhere. */
			for (int r = 0; r < p->nrings; r++) {
				const void *at;
				size_t k;

				while ((k = fw_ring_sc_peek(p->rings[r], &at, BURST)) > 0) {
					fw_ring_sc_release(p->rings[r], k);
					atomic_fetch_add(&p->taken, k);
					atomic_fetch_add(&p->dropped, k);
				}
			}
		}
		rd_kafka_poll(p->rk, 0);
		atomic_store(&p->qdepth, rd_kafka_outq_len(p->rk));
		if (n > 0)
			continue;
		if (stopping) {
			if (p->nparts > 0 && !rings_empty(p))
				continue;
			break;
		}
		ticket = fw_wake_prepare(&p->wake);
		if (atomic_load(&p->stopping) || !rings_empty(p))
			fw_wake_cancel(&p->wake);
		else
			fw_wake_wait(&p->wake, ticket, NAP_MS);
	}
	finish(p);
	return NULL;
}

int
fw_recpub_start(struct fw_recpub *p)
{
	if (pthread_create(&p->thread, NULL, pub_main, p) != 0)
		return FW_EAGAIN;
	p->started = true;
	return FW_OK;
}

void
fw_recpub_stop(struct fw_recpub *p)
{
	if (p == NULL || !p->started)
		return;
	atomic_store(&p->stopping, 1);
	fw_wake_kick(&p->wake);
	pthread_join(p->thread, NULL);
	p->started = false;
}

void
fw_recpub_get_stats(struct fw_recpub *p, struct fw_recpub_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->records_taken = atomic_load(&p->taken);
	st->records_published = atomic_load(&p->published);
	st->batches = atomic_load(&p->batches);
	st->watermarks = atomic_load(&p->watermarks);
	st->publish_errors = atomic_load(&p->errors);
	st->records_dropped = atomic_load(&p->dropped);
	st->queue_depth = atomic_load(&p->qdepth);
	st->partitions = atomic_load(&p->partitions);
}

void
fw_recpub_free(struct fw_recpub *p)
{
	if (p == NULL)
		return;
	fw_recpub_stop(p);
	for (int i = 0; i < p->nalloc; i++)
		fw_recwire_enc_free(p->parts[i].enc);
	free(p->parts);
	if (p->topic != NULL)
		rd_kafka_topic_destroy(p->topic);
	if (p->rk != NULL)
		rd_kafka_destroy(p->rk);
	free(p);
}
