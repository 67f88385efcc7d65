/*
 * cdetect.c - the detector role: a consumer group member (fw_cdetect.h).
 *
 * Everything runs on the consumer thread, librdkafka's rebalance callback
 * too (it is served inside rd_kafka_consumer_poll), so the per-partition
 * detectors need no lock.  The main thread sees a stats snapshot taken
 * every SNAP_MS under `lock`.
 *
 * Rebalances are cooperative (incremental): an assign adds partitions, a
 * revoke removes some; the others go on.  Revoke: checkpoint and commit,
 * then free the detector.  Lost (the session timed out, another member may
 * own them already): free without writing anything.
 *
 * Catch-up: after an assignment the member replays each new partition from
 * its checkpoint to the end (librdkafka's partition EOF); once every owned
 * partition got there, one log line gives the records taken and the CPU
 * time of the whole process from the first record on, i.e. the per-record
 * cost without the join, the restores and the idle wait before the first
 * fetch (sizing, tests/bench/bench_cluster.sh).
 */
#include "fw_cdetect.h"

#include <inttypes.h>
#include <librdkafka/rdkafka.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fw_kafka.h"
#include "fw_log.h"
#include "fw_recwire.h"
#include "fw_time.h"

#define MAX_PARTITIONS 4096       /* of the records topic */
#define MAX_COLLECTORS 64         /* watermarks kept per partition */
#define MAX_BATCH_RECORDS 65536   /* decoder capacity (cluster.batch_records at most) */
#define POLL_MS 50
#define SNAP_MS 100
#define SYNC_TIMEOUT_MS 10000     /* events to SQLite before a checkpoint */
#define WRITE_TIMEOUT_MS 15000    /* state acknowledged by the brokers */
#define READ_TIMEOUT_MS 15000     /* state partition read to its end */
#define META_TIMEOUT_MS 10000

struct coll {
	char id[FW_RECWIRE_ID_MAX];
	int64_t wm;                   /* its newest watermark; INT64_MIN: none yet */
	int64_t heard_ms;             /* monotonic time of its last batch */
	int64_t late;                 /* lateness it learned over its stream (ms); 0: none sent */
	uint64_t seq;
	bool idle;
};

struct part {
	struct fw_detect *det;
	int64_t next_offset;          /* first offset not taken; -1: unknown */
	uint64_t gen;                 /* generation of the last checkpoint */
	int64_t time_ms;              /* event time given by watermarks; INT64_MIN */
	bool dirty;                   /* changed since the last checkpoint */
	bool caught_up;               /* reached the end since it was assigned */
	int ncoll;
	struct coll coll[MAX_COLLECTORS];
};

struct fw_cdetect {
	struct fw_config cfg;
	struct fw_config pcfg;        /* tables divided over the partitions */
	struct fw_config reconf;      /* SIGHUP: posted by the main thread, under lock */
	_Atomic uint64_t reconf_gen;  /* bumped per posted config */
	uint64_t reconf_seen;         /* consumer thread: generation applied */
	struct fw_pipeline *pipe;
	struct fw_cstate *cs;
	struct fw_recwire_dec *dec;
	rd_kafka_t *rk;
	int nparts;
	struct part **parts;          /* [nparts]; NULL: not owned */
	size_t part_bytes;
	pthread_t thread;
	bool started;
	_Atomic int stop;
	pthread_mutex_t lock;
	struct fw_cdetect_stats st;   /* consumer thread's */
	struct fw_cdetect_stats snap; /* under lock */
	struct {                      /* consumer thread's: see "Catch-up" above */
		bool on;              /* an assignment not yet replayed to its end */
		bool started;         /* its first record taken */
		int64_t wall0_ms;
		int64_t cpu0_ns;
		uint64_t rec0;
	} cu;
};

/* ---- partitions ---- */

static void
part_free(struct part *p)
{
	if (p == NULL)
		return;
	fw_detect_free(p->det);
	free(p);
}

/*
 * Take partition `id`: a detector restored from its newest checkpoint
 * (*offset = the checkpoint's next offset) or fresh (*offset =
 * RD_KAFKA_OFFSET_INVALID: the committed offset, else the earliest).
 */
static int
part_take(struct fw_cdetect *c, int32_t id, int64_t *offset)
{
	struct fw_cstate_meta m;
	struct part *p;
	void *blob = NULL;
	size_t len = 0;
	char err[256];
	int rc;

	*offset = RD_KAFKA_OFFSET_INVALID;
	if (id < 0 || id >= c->nparts) {
		fw_log(FW_LOG_ERR, "cluster", "partition %d of %s assigned, but the topic had %d at start: not "
		    "consumed (the partition count of the records topic must not change; restart every member)",
		    (int)id, c->cfg.cluster_records_topic, c->nparts);
		return FW_EINVAL;
	}
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return FW_ENOMEM;
	p->next_offset = -1;
	p->time_ms = INT64_MIN;
	if ((rc = fw_detect_new(&c->pcfg, fw_pipeline_emit, c->pipe, &p->det)) != FW_OK) {
		free(p);
		return rc;
	}
	rc = fw_cstate_read(c->cs, id, &m, &blob, &len, READ_TIMEOUT_MS, err, sizeof(err));
	if (rc == FW_EAGAIN || rc == FW_EIO)  /* brokers busy with the rebalance: once more */
		rc = fw_cstate_read(c->cs, id, &m, &blob, &len, READ_TIMEOUT_MS, err, sizeof(err));
	if (rc == FW_OK) {
		if (fw_detect_restore(p->det, blob, len, err, sizeof(err)) == FW_OK) {
			p->next_offset = m.next_offset;
			p->gen = m.generation;
			*offset = m.next_offset;
			c->st.restores++;
			fw_log(FW_LOG_INFO, "cluster", "partition %d: state restored (generation %" PRIu64 ", %zu bytes), "
			    "resuming at offset %" PRId64, (int)id, m.generation, len, m.next_offset);
		} else {
			/* restore left the detector as fw_detect_new built it */
			c->st.restore_failures++;
			p->gen = m.generation;  /* the next checkpoint supersedes the refused one */
			fw_log(FW_LOG_ERR, "cluster", "partition %d: checkpoint generation %" PRIu64 " refused (%s): "
			    "starting fresh at the committed offset (warm-up)", (int)id, m.generation, err);
		}
	} else if (rc == FW_ENOENT) {
		c->st.restores_none++;
		fw_log(FW_LOG_INFO, "cluster", "partition %d: no checkpoint yet, starting fresh", (int)id);
	} else {
		c->st.restore_failures++;
		fw_log(FW_LOG_ERR, "cluster", "partition %d: checkpoint not readable (%s): starting fresh at the "
		    "committed offset (warm-up)", (int)id, err);
	}
	free(blob);
	c->parts[id] = p;
	return FW_OK;
}

/* ---- checkpoints ---- */

/*
 * Checkpoint the owned partitions listed (all of them: list NULL) that
 * changed, then commit their offsets.  The order is the guarantee: events
 * durable, state acknowledged, offset committed.
 */
static void
checkpoint(struct fw_cdetect *c, const rd_kafka_topic_partition_list_t *list)
{
	rd_kafka_topic_partition_list_t *commit;
	int n = list != NULL ? list->cnt : c->nparts;
	bool failed = false;

	if (fw_pipeline_sync(c->pipe, SYNC_TIMEOUT_MS) != FW_OK) {
		c->st.checkpoint_failures++;
		FW_LOG_RL(FW_LOG_WARN, "cluster", "checkpoint skipped: alert events not yet written to SQLite within "
		    "%d ms (offsets stay uncommitted)", SYNC_TIMEOUT_MS);
		return;
	}
	commit = rd_kafka_topic_partition_list_new(n > 0 ? n : 1);
	for (int i = 0; i < n; i++) {
		int32_t id = list != NULL ? list->elems[i].partition : i;
		struct part *p = id >= 0 && id < c->nparts ? c->parts[id] : NULL;
		struct fw_cstate_meta m;
		void *blob = NULL;
		size_t len = 0;

		if (p == NULL || !p->dirty || p->next_offset < 0)
			continue;
		if (fw_detect_save(p->det, &blob, &len) != FW_OK) {
			failed = true;
			FW_LOG_RL(FW_LOG_ERR, "cluster", "partition %d: state not saved (out of memory)", (int)id);
			continue;
		}
		m.partition = id;
		m.next_offset = p->next_offset;
		m.generation = p->gen + 1;
		if (fw_cstate_write(c->cs, &m, blob, len, WRITE_TIMEOUT_MS) == FW_OK) {
			p->gen = m.generation;
			p->dirty = false;
			rd_kafka_topic_partition_list_add(commit, c->cfg.cluster_records_topic, id)->offset = p->next_offset;
		} else {
			failed = true;
		}
		free(blob);
	}
	if (failed)
		c->st.checkpoint_failures++;
	if (commit->cnt > 0) {
		rd_kafka_resp_err_t e = rd_kafka_commit(c->rk, commit, 0);

		if (e == RD_KAFKA_RESP_ERR_NO_ERROR) {
			c->st.commits++;
		} else {
			/* The state record holds the offset too: a restore resumes there anyway. */
			c->st.commit_failures++;
			FW_LOG_RL(FW_LOG_WARN, "cluster", "offset commit of %d partitions failed: %s", commit->cnt,
			    rd_kafka_err2str(e));
		}
	}
	rd_kafka_topic_partition_list_destroy(commit);
}

/* ---- event time ---- */

/* The partition's time: the smallest watermark of the collectors heard
 * from within idle_partition_ms; fed to the detector when it advances. */
static void
advance(struct fw_cdetect *c, struct part *p, int64_t now)
{
	int64_t t = INT64_MAX;
	bool any = false;

	for (int i = 0; i < p->ncoll; i++) {
		struct coll *k = &p->coll[i];
		bool idle = now - k->heard_ms > c->cfg.cluster_idle_partition_ms;

		if (idle && !k->idle)
			c->st.idle_marks++;
		k->idle = idle;
		if (idle)
			continue;
		any = true;
		if (k->wm < t)
			t = k->wm;
	}
	if (!any || t == INT64_MIN || t <= p->time_ms)
		return;
	p->time_ms = t;
	p->dirty = true;
	fw_detect_times(p->det, &t, 1, 0);
}

/* The lateness the partition's collectors learned over their streams: the
 * largest (the one whose records lag most decides, as in one detector fed
 * them all); from collectors heard from within idle_partition_ms. */
static void
hint_lateness(struct part *p)
{
	int64_t l = 0;

	for (int i = 0; i < p->ncoll; i++)
		if (!p->coll[i].idle && p->coll[i].late > l)
			l = p->coll[i].late;
	fw_detect_lateness_hint(p->det, l);
}

static struct coll *
find_coll(struct fw_cdetect *c, struct part *p, const char *id, int64_t now)
{
	struct coll *k;

	for (int i = 0; i < p->ncoll; i++)
		if (strcmp(p->coll[i].id, id) == 0)
			return &p->coll[i];
	if (p->ncoll < MAX_COLLECTORS) {
		k = &p->coll[p->ncoll++];
		memset(k, 0, sizeof(*k));
		snprintf(k->id, sizeof(k->id), "%s", id);
		k->wm = INT64_MIN;
		k->heard_ms = now;
		k->seq = UINT64_MAX;  /* none yet */
		return k;
	}
	/* Forget the collector silent longest, if it is idle. */
	k = &p->coll[0];
	for (int i = 1; i < p->ncoll; i++)
		if (p->coll[i].heard_ms < k->heard_ms)
			k = &p->coll[i];
	if (now - k->heard_ms <= c->cfg.cluster_idle_partition_ms)
		return NULL;
	memset(k, 0, sizeof(*k));
	snprintf(k->id, sizeof(k->id), "%s", id);
	k->wm = INT64_MIN;
	k->seq = UINT64_MAX;
	k->heard_ms = now;
	return k;
}

/* CPU time of the whole process, every thread (librdkafka's too); 0: unknown. */
static int64_t
cpu_ns(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts) != 0)
		return 0;
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Partition `id` reached its end: log the catch-up once all owned did. */
static void
on_eof(struct fw_cdetect *c, int32_t id, int64_t now)
{
	int owned = 0;
	int64_t cpu;
	uint64_t n;
	double s;

	if (id < 0 || id >= c->nparts || c->parts[id] == NULL)
		return;
	c->parts[id]->caught_up = true;
	if (!c->cu.on)
		return;
	for (int i = 0; i < c->nparts; i++) {
		if (c->parts[i] == NULL)
			continue;
		if (!c->parts[i]->caught_up)
			return;
		owned++;
	}
	c->cu.on = false;
	if (!c->cu.started)
		return;  /* nothing to replay */
	cpu = cpu_ns() - c->cu.cpu0_ns;
	n = c->st.records - c->cu.rec0;
	s = (double)cpu / 1e9;
	fw_log(FW_LOG_INFO, "cluster", "caught up on %d owned partition%s: %" PRIu64 " records in %.3f s, "
	    "%.3f CPU-s of the process from the first record (%.0f records/CPU-s)", owned, owned == 1 ? "" : "s",
	    n, (double)(now - c->cu.wall0_ms) / 1000.0, s, s > 0 ? (double)n / s : 0.0);
}

static void
on_message(struct fw_cdetect *c, const rd_kafka_message_t *msg, int64_t now)
{
	struct fw_recwire_hdr h;
	const struct fw_flow *fl;
	const struct fw_dnsq *dq;
	size_t nf, nd;
	struct part *p;
	struct coll *k;

	if (msg->partition < 0 || msg->partition >= c->nparts || (p = c->parts[msg->partition]) == NULL)
		return;  /* a message fetched before its revoke */
	if (c->cu.on && !c->cu.started) {
		c->cu.started = true;
		c->cu.wall0_ms = now;
		c->cu.cpu0_ns = cpu_ns();
		c->cu.rec0 = c->st.records;
	}
	p->next_offset = msg->offset + 1;
	p->dirty = true;
	if (fw_recwire_decode(c->dec, msg->payload, msg->len, &h, &fl, &nf, &dq, &nd) != FW_OK) {
		c->st.malformed++;
		FW_LOG_RL(FW_LOG_WARN, "cluster", "%s [%d] offset %" PRId64 ": not a record batch, skipped",
		    c->cfg.cluster_records_topic, (int)msg->partition, msg->offset);
		return;
	}
	c->st.batches++;
	c->st.records += nf + nd;
	/* The lateness first: the batch's records were sent under it. */
	if ((k = find_coll(c, p, h.collector, now)) != NULL) {
		k->late = h.lateness_ms;
		k->idle = false;
		hint_lateness(p);
	}
	if (nf > 0)
		fw_detect_flows(p->det, fl, nf);
	if (nd > 0)
		fw_detect_dns(p->det, dq, nd);
	if (k == NULL) {
		c->st.collectors_full++;
		return;
	}
	if (k->seq != UINT64_MAX && h.seq != k->seq + 1)
		c->st.seq_gaps++;
	k->seq = h.seq;
	k->heard_ms = now;
	if (h.watermark_ms > k->wm)
		k->wm = h.watermark_ms;
	advance(c, p, now);
}

/* ---- rebalances ---- */

static void
on_rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t *parts, void *opaque)
{
	struct fw_cdetect *c = opaque;

	c->st.rebalances++;
	if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
		for (int i = 0; i < parts->cnt; i++) {
			int64_t off;

			if (part_take(c, parts->elems[i].partition, &off) == FW_OK) {
				c->st.assigned++;
				c->cu.on = true;
			}
			parts->elems[i].offset = off;
		}
		fw_kafka_rebalance_apply(rk, err, parts, "cluster");
	} else {
		bool lost = rd_kafka_assignment_lost(rk) != 0;

		/* Lost: another member may own them already; its state wins. */
		if (!lost)
			checkpoint(c, parts);
		for (int i = 0; i < parts->cnt; i++) {
			int32_t id = parts->elems[i].partition;

			if (id < 0 || id >= c->nparts || c->parts[id] == NULL)
				continue;
			part_free(c->parts[id]);
			c->parts[id] = NULL;
			if (lost)
				c->st.lost++;
			else
				c->st.revoked++;
		}
		fw_kafka_rebalance_apply(rk, err, parts, "cluster");
		fw_log(lost ? FW_LOG_WARN : FW_LOG_INFO, "cluster", "%d partition%s %s", parts->cnt,
		    parts->cnt == 1 ? "" : "s", lost ? "lost (not checkpointed)" : "revoked (checkpointed, committed)");
	}
	if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS && parts->cnt > 0) {
		char ids[256];
		size_t off = 0;

		ids[0] = '\0';
		for (int i = 0; i < parts->cnt && off < sizeof(ids); i++)
			off += (size_t)snprintf(ids + off, sizeof(ids) - off, "%s%d", i ? "," : "",
			    (int)parts->elems[i].partition);
		fw_log(FW_LOG_INFO, "cluster", "partitions assigned: %s", ids);
	}
}

/* ---- the consumer thread ---- */

static void
snapshot(struct fw_cdetect *c, int64_t now)
{
	struct fw_cdetect_stats *st = &c->st;
	bool first = true;

	st->partitions = 0;
	st->idle_collectors = 0;
	st->watermark_lag_ms = 0;
	st->lateness_min_ms = 0;
	st->lateness_max_ms = 0;
	memset(&st->det, 0, sizeof(st->det));
	st->det.newest_event_ms = INT64_MIN;
	for (int i = 0; i < c->nparts; i++) {
		struct part *p = c->parts[i];
		struct fw_detect_stats ds;
		int64_t newest = INT64_MIN;

		if (p == NULL)
			continue;
		advance(c, p, now);
		st->partitions++;
		fw_detect_get_stats(p->det, &ds);
		if (first || (int64_t)ds.lateness_ms < st->lateness_min_ms)
			st->lateness_min_ms = (int64_t)ds.lateness_ms;
		if ((int64_t)ds.lateness_ms > st->lateness_max_ms)
			st->lateness_max_ms = (int64_t)ds.lateness_ms;
		fw_pipeline_sum_det_stats(&st->det, &ds, first);
		first = false;
		for (int j = 0; j < p->ncoll; j++) {
			if (p->coll[j].idle)
				st->idle_collectors++;
			else if (p->coll[j].wm > newest)
				newest = p->coll[j].wm;
		}
		if (newest != INT64_MIN && p->time_ms != INT64_MIN && newest - p->time_ms > st->watermark_lag_ms)
			st->watermark_lag_ms = newest - p->time_ms;
	}
	fw_cstate_get_stats(c->cs, &st->state);
	pthread_mutex_lock(&c->lock);
	c->snap = *st;
	pthread_mutex_unlock(&c->lock);
}

/* SIGHUP: the posted config's tunables into every owned partition's
 * detector (and those taken later), keeping all state. */
static void
take_reconfig(struct fw_cdetect *c)
{
	struct fw_config *next;
	char err[256];
	int n = 0;

	if (atomic_load(&c->reconf_gen) == c->reconf_seen || (next = malloc(sizeof(*next))) == NULL)
		return;
	pthread_mutex_lock(&c->lock);
	c->reconf_seen = atomic_load(&c->reconf_gen);
	fw_detect_shard_config(&c->reconf, c->nparts, next);
	pthread_mutex_unlock(&c->lock);
	/* The collectors route by the shard key: what decides it stays. */
	if (strcmp(next->networks, c->pcfg.networks) != 0 || next->auto_prefix_v4 != c->pcfg.auto_prefix_v4 ||
	    next->auto_prefix_v6 != c->pcfg.auto_prefix_v6) {
		fw_log(FW_LOG_WARN, "reload", "detector.networks / auto_prefix_v4 / auto_prefix_v6 changed: they decide "
		    "a record's partition at the collectors, kept (change them on every collector and detector, then restart)");
		memcpy(next->networks, c->pcfg.networks, sizeof(next->networks));
		next->auto_prefix_v4 = c->pcfg.auto_prefix_v4;
		next->auto_prefix_v6 = c->pcfg.auto_prefix_v6;
	}
	for (int i = 0; i < c->nparts; i++) {
		if (c->parts[i] == NULL)
			continue;
		if (fw_detect_reconfigure(c->parts[i]->det, next, err, sizeof(err)) != FW_OK) {
			/* Checked by the main thread before posting: never expected. */
			fw_log(FW_LOG_ERR, "reload", "partition %d: reload not applied, old settings kept: %s", i, err);
			continue;
		}
		n++;
	}
	c->pcfg = *next;  /* fw_detect_reconfigure kept the sizes: they match */
	free(next);
	fw_log(FW_LOG_INFO, "reload", "cluster: reloaded settings in force on %d owned partition%s (and those "
	    "assigned later); baselines, open alerts and windows kept", n, n == 1 ? "" : "s");
}

static void *
consumer_main(void *arg)
{
	struct fw_cdetect *c = arg;
	int64_t last_snap = 0, last_ckpt = fw_time_mono_ms();
	rd_kafka_resp_err_t e;

	pthread_setname_np(pthread_self(), "fw-consume");
	while (!atomic_load(&c->stop)) {
		rd_kafka_message_t *msg = rd_kafka_consumer_poll(c->rk, POLL_MS);
		int64_t now = fw_time_mono_ms();

		if (msg != NULL) {
			if (msg->err == RD_KAFKA_RESP_ERR_NO_ERROR)
				on_message(c, msg, now);
			else if (msg->err == RD_KAFKA_RESP_ERR__PARTITION_EOF)
				on_eof(c, msg->partition, now);
			else
				FW_LOG_RL(FW_LOG_WARN, "cluster", "consumer: %s", rd_kafka_message_errstr(msg));
			rd_kafka_message_destroy(msg);
		}
		take_reconfig(c);
		if (now - last_snap >= SNAP_MS) {
			snapshot(c, now);  /* also lets idle collectors stop holding time back */
			last_snap = now;
		}
		if (now - last_ckpt >= c->cfg.cluster_checkpoint_ms) {
			checkpoint(c, NULL);
			last_ckpt = fw_time_mono_ms();
		}
	}
	/* Leaving: checkpoint and commit every owned partition first, while it
	 * is surely ours (a close during a rebalance may report the assignment
	 * lost); the revoke in the close then finds nothing changed. */
	{
		uint64_t before = c->st.commits, owned = 0;

		for (int i = 0; i < c->nparts; i++)
			owned += c->parts[i] != NULL;
		checkpoint(c, NULL);
		fw_log(FW_LOG_INFO, "cluster", "leaving the group: %llu partitions checkpointed%s",
		    (unsigned long long)owned, c->st.commits > before ? " and committed" : "");
	}
	if ((e = rd_kafka_consumer_close(c->rk)) != RD_KAFKA_RESP_ERR_NO_ERROR)
		fw_log(FW_LOG_WARN, "cluster", "leaving the group: %s", rd_kafka_err2str(e));
	snapshot(c, fw_time_mono_ms());
	return NULL;
}

/* ---- setup ---- */


/* The records topic's partition count: P of the shard key. */
static int
records_partitions(struct fw_cdetect *c, char *err, size_t errlen)
{
	const struct rd_kafka_metadata *md = NULL;
	rd_kafka_topic_t *t = rd_kafka_topic_new(c->rk, c->cfg.cluster_records_topic, NULL);
	rd_kafka_resp_err_t e;
	int rc = FW_OK;

	if (t == NULL) {
		snprintf(err, errlen, "cluster.records_topic %s: %s", c->cfg.cluster_records_topic,
		    rd_kafka_err2str(rd_kafka_last_error()));
		return FW_EINVAL;
	}
	e = rd_kafka_metadata(c->rk, 0, t, &md, META_TIMEOUT_MS);
	rd_kafka_topic_destroy(t);
	if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
		snprintf(err, errlen, "cluster.records_topic %s: no metadata: %s", c->cfg.cluster_records_topic,
		    rd_kafka_err2str(e));
		return FW_EIO;
	}
	if (md->topic_cnt != 1 || md->topics[0].err != RD_KAFKA_RESP_ERR_NO_ERROR ||
	    md->topics[0].partition_cnt < 1 || md->topics[0].partition_cnt > MAX_PARTITIONS) {
		snprintf(err, errlen, "cluster.records_topic %s: %s", c->cfg.cluster_records_topic,
		    md->topic_cnt != 1 ? "not found" : md->topics[0].err != RD_KAFKA_RESP_ERR_NO_ERROR ?
		    rd_kafka_err2str(md->topics[0].err) : "partition count out of range 1..4096");
		rc = FW_ENOENT;
	} else {
		c->nparts = md->topics[0].partition_cnt;
	}
	rd_kafka_metadata_destroy(md);
	return rc;
}

int
fw_cdetect_new(const struct fw_config *cfg, struct fw_pipeline *pipe, struct fw_cdetect **out,
    char *err, size_t errlen)
{
	struct fw_cdetect *c;
	rd_kafka_conf_t *conf = NULL;
	struct fw_detect *probe = NULL;
	struct fw_detect_stats ds;
	char e[512], num[32], name[FW_CFG_STR_MAX];
	int rc;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return FW_ENOMEM;
	c->cfg = *cfg;
	c->pipe = pipe;
	pthread_mutex_init(&c->lock, NULL);
	if ((rc = fw_recwire_dec_new(MAX_BATCH_RECORDS, &c->dec)) != FW_OK) {
		snprintf(err, errlen, "cluster: decoder: %s", fw_strerror(rc));
		goto fail;
	}
	if ((rc = fw_kafka_client_conf_new(cfg, &conf, err, errlen)) != FW_OK)
		goto fail;
	rc = FW_EINVAL;
	snprintf(num, sizeof(num), "%lld", (long long)cfg->cluster_session_timeout_ms);
	if (cfg->cluster_member_name[0] != '\0')
		snprintf(name, sizeof(name), "%s", cfg->cluster_member_name);
	else if (gethostname(name, sizeof(name)) != 0)
		snprintf(name, sizeof(name), "floodwatch");
	name[sizeof(name) - 1] = '\0';
	if (fw_kafka_conf_set(conf, "group.id", cfg->cluster_group_id, err, errlen) ||
	    fw_kafka_conf_set(conf, "client.id", name, err, errlen) ||
	    fw_kafka_conf_set(conf, "partition.assignment.strategy", "cooperative-sticky", err, errlen) ||
	    fw_kafka_conf_set(conf, "session.timeout.ms", num, err, errlen) ||
	    fw_kafka_conf_set(conf, "enable.auto.commit", "false", err, errlen) ||
	    fw_kafka_conf_set(conf, "enable.auto.offset.store", "false", err, errlen) ||
	    fw_kafka_conf_set(conf, "auto.offset.reset", "earliest", err, errlen) ||
	    fw_kafka_conf_set(conf, "enable.partition.eof", "true", err, errlen))  /* the catch-up line */
		goto fail;
	/* heartbeat.interval.ms must stay below the session timeout. */
	snprintf(num, sizeof(num), "%lld", (long long)(cfg->cluster_session_timeout_ms / 3 > 100 ?
	    cfg->cluster_session_timeout_ms / 3 : 100));
	if (fw_kafka_conf_set(conf, "heartbeat.interval.ms", num, err, errlen))
		goto fail;
	/* The rdkafka.* keys win over the defaults above. */
	for (int i = 0; i < cfg->kafka_nprops; i++)
		if (fw_kafka_conf_set(conf, cfg->kafka_prop_key[i], cfg->kafka_prop_val[i], err, errlen))
			goto fail;
	rd_kafka_conf_set_rebalance_cb(conf, on_rebalance);
	rd_kafka_conf_set_opaque(conf, c);
	if ((c->rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, e, sizeof(e))) == NULL) {
		snprintf(err, errlen, "kafka: cannot create the consumer: %s", e);
		goto fail;
	}
	conf = NULL;
	rd_kafka_poll_set_consumer(c->rk);
	if ((rc = records_partitions(c, err, errlen)) != FW_OK)
		goto fail;
	if ((c->parts = calloc((size_t)c->nparts, sizeof(struct part *))) == NULL) {
		rc = FW_ENOMEM;
		goto fail;
	}
	fw_detect_shard_config(cfg, c->nparts, &c->pcfg);
	if ((rc = fw_detect_new(&c->pcfg, fw_pipeline_emit, pipe, &probe)) != FW_OK) {
		snprintf(err, errlen, "cluster: detector: %s", fw_strerror(rc));
		goto fail;
	}
	fw_detect_get_stats(probe, &ds);
	c->part_bytes = ds.memory_bytes;
	fw_detect_free(probe);
	if ((rc = fw_cstate_new(cfg, &c->cs, err, errlen)) != FW_OK)
		goto fail;
	c->st.partitions_total = (uint64_t)c->nparts;
	c->snap = c->st;
	*out = c;
	return FW_OK;
fail:
	if (conf != NULL)
		rd_kafka_conf_destroy(conf);
	fw_cdetect_free(c);
	return rc;
}

int
fw_cdetect_start(struct fw_cdetect *c)
{
	rd_kafka_topic_partition_list_t *topics = rd_kafka_topic_partition_list_new(1);
	rd_kafka_resp_err_t e;

	rd_kafka_topic_partition_list_add(topics, c->cfg.cluster_records_topic, RD_KAFKA_PARTITION_UA);
	e = rd_kafka_subscribe(c->rk, topics);
	rd_kafka_topic_partition_list_destroy(topics);
	if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
		fw_log(FW_LOG_ERR, "cluster", "subscribe to %s: %s", c->cfg.cluster_records_topic, rd_kafka_err2str(e));
		return FW_EIO;
	}
	if (pthread_create(&c->thread, NULL, consumer_main, c) != 0)
		return FW_EAGAIN;
	c->started = true;
	fw_log(FW_LOG_INFO, "cluster", "detector: member of group %s on %s (%d partitions), state on %s, "
	    "checkpoint every %lld ms, %.1f MiB of tables per partition owned", c->cfg.cluster_group_id,
	    c->cfg.cluster_records_topic, c->nparts, c->cfg.cluster_state_topic,
	    (long long)c->cfg.cluster_checkpoint_ms, (double)c->part_bytes / (1024.0 * 1024.0));
	return FW_OK;
}

void
fw_cdetect_stop(struct fw_cdetect *c)
{
	if (c == NULL || !c->started)
		return;
	atomic_store(&c->stop, 1);
	pthread_join(c->thread, NULL);
	c->started = false;
}

void
fw_cdetect_reconfigure(struct fw_cdetect *c, const struct fw_config *cfg)
{
	pthread_mutex_lock(&c->lock);
	c->reconf = *cfg;
	atomic_fetch_add(&c->reconf_gen, 1);
	pthread_mutex_unlock(&c->lock);
}

void
fw_cdetect_get_stats(struct fw_cdetect *c, struct fw_cdetect_stats *st)
{
	pthread_mutex_lock(&c->lock);
	*st = c->snap;
	pthread_mutex_unlock(&c->lock);
}

size_t
fw_cdetect_partition_bytes(struct fw_cdetect *c)
{
	return c->part_bytes;
}

void
fw_cdetect_free(struct fw_cdetect *c)
{
	if (c == NULL)
		return;
	fw_cdetect_stop(c);
	if (c->rk != NULL)
		rd_kafka_destroy(c->rk);
	for (int i = 0; c->parts != NULL && i < c->nparts; i++)
		part_free(c->parts[i]);
	free(c->parts);
	fw_cstate_free(c->cs);
	fw_recwire_dec_free(c->dec);
	pthread_mutex_destroy(&c->lock);
	free(c);
}
