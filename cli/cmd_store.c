/*
 * cmd_store.c - `floodwatch store`: one central SQLite store fed from the
 * alerts topic, for admins whose detectors run as a Kafka consumer group
 * (each member writes its own SQLite; this gathers every member's events).
 *
 *   floodwatch store [-c FILE] [--set SECTION.KEY=VALUE]... [--once]
 *
 * A librdkafka high-level consumer in group cluster.store_group_id reads
 * kafka.topic; each message is decoded as an alert event
 * (fw_alert_json_parse: schema/alert_event.schema.json) and written to
 * sqlite.path by the daemon's own SQLite sink (fw_sqlite_write), a batch of
 * events per transaction, WITHOUT the outbox: nothing goes back to Kafka.
 *
 * At least once, nothing lost: a partition's offset is committed (sync)
 * only after the transaction holding every event before it has committed.
 * A crash re-reads at most the uncommitted tail; the store skips an event
 * whose (id, seq) it already holds (fw_sqlite_write), so running twice, or
 * over a tail read again, changes nothing.  An update or end of an alert
 * whose start this store never saw (retention, a store started late) makes
 * the alert row from the event itself.
 *
 * Invalid messages (not JSON, not an alert event) are counted, logged
 * rate-limited and skipped; their offsets are committed with the batch.
 * When SQLite refuses a batch (disk full) nothing is committed; the batch
 * is retried with capped back-off and no new message is taken meanwhile.
 *
 * Runs until SIGTERM/SIGINT (then writes the batch, commits, exits 0; a
 * second signal exits at once) or, with --once, until every assigned
 * partition is read to its end.  Counters (source "store") go to
 * collector_stats every stats.interval_ms and at exit.  Unless --once, the
 * read-only HTTP API and console are served on http.listen as by `run`.
 *
 * Threading: one thread (main); librdkafka's callbacks (rebalance, logs)
 * run inside rd_kafka_consumer_poll() here, except logs, which are
 * thread-safe.
 */
#include <librdkafka/rdkafka.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli_int.h"
#include "fw_alert_json.h"
#include "fw_backoff.h"
#include "fw_http.h"
#include "fw_kafka.h"
#include "fw_log.h"
#include "fw_time.h"

#define STORE_BATCH 256          /* events per transaction at most */
#define STORE_LINGER_MS 200      /* a partial batch waits at most this long */
#define STORE_POLL_MS 100
#define STORE_ASSIGN_WAIT_MS 60000  /* --once: no partition by then is an error */

struct store_counts {
	uint64_t messages;         /* messages read (valid or not) */
	uint64_t events;           /* events written (duplicates not included) */
	uint64_t invalid;          /* messages skipped: not an alert event */
	uint64_t consumer_errors;  /* errors the consumer reported (brokers, topic) */
	uint64_t write_failures;   /* transactions SQLite refused (retried) */
	uint64_t commit_failures;  /* offset commits refused (the tail is read again) */
};

struct store {
	const struct fw_config *cfg;
	rd_kafka_t *rk;
	struct fw_sqlite *db;
	struct fw_alert_ev *batch;   /* STORE_BATCH events of the open batch */
	size_t n;
	rd_kafka_topic_partition_list_t *offsets;  /* next offset per partition, once the batch is written */
	size_t pending;              /* messages the batch covers (valid or not) */
	int64_t batch_start_ms;      /* monotonic time of its first message */
	struct fw_backoff retry;     /* between refused transactions */
	bool *eof;                   /* per partition: read to its end (--once) */
	bool *assigned;
	size_t nparts;               /* size of eof[] and assigned[] */
	bool ever_assigned;
	bool fatal;                  /* --once: the topic cannot be read */
	struct store_counts c;
};

/* ---- the batch: write, then commit ---- */

/* Write the open batch and commit its offsets.  FW_OK, or FW_EIO when SQLite
 * refused it (batch and offsets kept for the retry). */
static int
flush(struct store *st)
{
	rd_kafka_resp_err_t err;
	uint64_t dups;

	if (st->pending == 0)
		return FW_OK;
	dups = fw_sqlite_duplicates(st->db);
	if (st->n > 0 && fw_sqlite_write(st->db, st->batch, st->n, 0) != FW_OK) {
		int64_t wait = fw_backoff_fail(&st->retry, fw_time_mono_ms());

		st->c.write_failures++;
		FW_LOG_RL(FW_LOG_WARN, "store", "writing %zu events to %s failed: %s (retry in %lld ms; offsets "
		    "not committed)", st->n, st->cfg->sqlite_path, fw_sqlite_errmsg(st->db), (long long)wait);
		return FW_EIO;
	}
	fw_backoff_ok(&st->retry);
	st->c.events += st->n - (fw_sqlite_duplicates(st->db) - dups);
	/* The events are durable: now the offsets past them (sync). */
	if (st->offsets->cnt > 0 && (err = rd_kafka_commit(st->rk, st->offsets, 0)) != RD_KAFKA_RESP_ERR_NO_ERROR) {
		st->c.commit_failures++;
		FW_LOG_RL(FW_LOG_WARN, "store", "committing offsets failed: %s (those messages are read again; "
		    "their events are skipped as duplicates)", rd_kafka_err2str(err));
	}
	rd_kafka_topic_partition_list_destroy(st->offsets);
	st->offsets = rd_kafka_topic_partition_list_new(8);
	st->n = 0;
	st->pending = 0;
	return FW_OK;
}

/* ---- partitions: assignment and end of partition (--once) ---- */

static int
grow_parts(struct store *st, int32_t partition)
{
	size_t want = (size_t)partition + 1, old = st->nparts;
	bool *e, *a;

	if (partition < 0)
		return FW_EINVAL;
	if (want <= old)
		return FW_OK;
	if ((e = realloc(st->eof, want * sizeof(*e))) == NULL)
		return FW_ENOMEM;
	st->eof = e;
	if ((a = realloc(st->assigned, want * sizeof(*a))) == NULL)
		return FW_ENOMEM;
	st->assigned = a;
	memset(st->eof + old, 0, (want - old) * sizeof(*e));
	memset(st->assigned + old, 0, (want - old) * sizeof(*a));
	st->nparts = want;
	return FW_OK;
}

static void
mark(struct store *st, const rd_kafka_topic_partition_list_t *parts, bool assigned)
{
	for (int i = 0; i < parts->cnt; i++) {
		int32_t p = parts->elems[i].partition;

		if (grow_parts(st, p) != FW_OK)
			continue;
		st->assigned[p] = assigned;
		st->eof[p] = false;
		st->ever_assigned |= assigned;
	}
}

/* --once: some partition assigned and every assigned one read to its end. */
static bool
all_eof(const struct store *st)
{
	size_t nassigned = 0;

	for (size_t p = 0; p < st->nparts; p++) {
		if (!st->assigned[p])
			continue;
		if (!st->eof[p])
			return false;
		nassigned++;
	}
	return nassigned > 0;
}

static void
on_rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t *parts, void *opaque)
{
	struct store *st = opaque;

	if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
		mark(st, parts, true);
		fw_log(FW_LOG_INFO, "store", "assigned %d partition%s of %s", parts->cnt, parts->cnt == 1 ? "" : "s",
		    st->cfg->kafka_topic);
	} else {
		/* Revoked (or lost): what was read is written and committed
		 * while the partitions are still ours.  If SQLite refuses, the
		 * events stay in the batch for the retry but the offsets go:
		 * the next owner reads those messages again (duplicates). */
		if (flush(st) != FW_OK) {
			rd_kafka_topic_partition_list_destroy(st->offsets);
			st->offsets = rd_kafka_topic_partition_list_new(8);
		}
		mark(st, parts, false);
	}
	fw_kafka_rebalance_apply(rk, err, parts, "store");
}

static void
on_log(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
	(void)rk;
	FW_LOG_RL(level <= 3 ? FW_LOG_ERR : level <= 5 ? FW_LOG_WARN : FW_LOG_DEBUG, "store",
	    "librdkafka %s: %s", fac, buf);
}

/* ---- one message ---- */

static void
take(struct store *st, const rd_kafka_message_t *m)
{
	rd_kafka_topic_partition_t *tp;
	char why[256], clean[1024];
	int rc;

	if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
		if (grow_parts(st, m->partition) == FW_OK)
			st->eof[m->partition] = true;
		return;
	}
	if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
		st->c.consumer_errors++;
		FW_LOG_RL(FW_LOG_WARN, "store", "consumer: %s", rd_kafka_message_errstr(m));
		if (m->err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART ||
		    m->err == RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC || m->err == RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED)
			st->fatal = true;  /* fatal for --once only: a daemon waits for the topic */
		return;
	}
	if (grow_parts(st, m->partition) == FW_OK)
		st->eof[m->partition] = false;
	st->c.messages++;
	rc = fw_alert_json_parse(m->payload != NULL ? m->payload : "", m->len, &st->batch[st->n], why, sizeof(why));
	if (rc == FW_OK) {
		st->n++;
	} else {
		st->c.invalid++;
		FW_LOG_RL(FW_LOG_WARN, "store", "%s [%d] offset %lld: not an alert event, skipped: %s",
		    rd_kafka_topic_name(m->rkt), (int)m->partition, (long long)m->offset,
		    cli_terminal_text(why, clean, sizeof(clean)));
	}
	if ((tp = rd_kafka_topic_partition_list_find(st->offsets, rd_kafka_topic_name(m->rkt), m->partition)) == NULL)
		tp = rd_kafka_topic_partition_list_add(st->offsets, rd_kafka_topic_name(m->rkt), m->partition);
	tp->offset = m->offset + 1;
	if (st->pending++ == 0)
		st->batch_start_ms = fw_time_mono_ms();
}

/* ---- counters ---- */

static size_t
count_rows(const struct store *st, struct fw_stat_row *rows)
{
	const struct { const char *name; uint64_t v; } c[] = {
		{ "messages", st->c.messages }, { "events", st->c.events },
		{ "duplicates", fw_sqlite_duplicates(st->db) }, { "invalid", st->c.invalid },
		{ "consumer_errors", st->c.consumer_errors }, { "write_failures", st->c.write_failures },
		{ "commit_failures", st->c.commit_failures },
	};
	size_t n = sizeof(c) / sizeof(c[0]);

	for (size_t i = 0; i < n; i++) {
		snprintf(rows[i].source, sizeof(rows[i].source), "store");
		snprintf(rows[i].name, sizeof(rows[i].name), "%s", c[i].name);
		rows[i].value = c[i].v;
	}
	return n;
}

/* Counters to collector_stats (when persist) and to the HTTP server. */
static void
write_counts(struct store *st, struct fw_http *http, bool persist)
{
	struct fw_stat_row rows[8];
	size_t n = count_rows(st, rows);
	struct fw_http_snapshot hs = { .at_ms = fw_time_now_ms(), .rows = rows, .nrows = n,
	    .newest_event_ms = INT64_MIN };

	if (persist && fw_sqlite_stats_write(st->db, fw_time_now_ms(), rows, n) != FW_OK)
		FW_LOG_RL(FW_LOG_WARN, "store", "writing counters failed: %s", fw_sqlite_errmsg(st->db));
	if (http != NULL)
		fw_http_publish(http, &hs);
}

static void
summary(const struct store *st, FILE *out)
{
	fprintf(out, "store: %llu messages, %llu events written, %llu duplicates skipped, %llu invalid skipped, "
	    "%llu consumer errors, %llu commit failures\n", (unsigned long long)st->c.messages,
	    (unsigned long long)st->c.events, (unsigned long long)fw_sqlite_duplicates(st->db),
	    (unsigned long long)st->c.invalid, (unsigned long long)st->c.consumer_errors,
	    (unsigned long long)st->c.commit_failures);
}

/* ---- setup ---- */


/* The consumer, subscribed to kafka.topic.  FW_OK or FW_EINVAL (err says why). */
static int
consumer_new(struct store *st, bool once, char *err, size_t errlen)
{
	const struct fw_config *cfg = st->cfg;
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	rd_kafka_topic_partition_list_t *topics;
	rd_kafka_resp_err_t rerr;
	char e[512];

	/* Offsets only by flush(); the first run reads the topic from its start;
	 * rdkafka.* keys (shared with the producer) may override. */
	if (fw_kafka_conf_set(conf, "bootstrap.servers", cfg->kafka_brokers, err, errlen) ||
	    fw_kafka_conf_set(conf, "group.id", cfg->cluster_store_group_id, err, errlen) ||
	    fw_kafka_conf_set(conf, "enable.auto.commit", "false", err, errlen) ||
	    fw_kafka_conf_set(conf, "enable.auto.offset.store", "false", err, errlen) ||
	    fw_kafka_conf_set(conf, "auto.offset.reset", "earliest", err, errlen) ||
	    fw_kafka_conf_set(conf, "enable.partition.eof", once ? "true" : "false", err, errlen))
		goto fail;
	for (int i = 0; i < cfg->kafka_nprops; i++)
		if (fw_kafka_conf_set(conf, cfg->kafka_prop_key[i], cfg->kafka_prop_val[i], err, errlen))
			goto fail;
	rd_kafka_conf_set_rebalance_cb(conf, on_rebalance);
	rd_kafka_conf_set_log_cb(conf, on_log);
	rd_kafka_conf_set_opaque(conf, st);
	if ((st->rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, e, sizeof(e))) == NULL) {
		snprintf(err, errlen, "kafka: cannot create the consumer: %s", e);
		goto fail;
	}
	conf = NULL;  /* owned by rk */
	rd_kafka_poll_set_consumer(st->rk);
	topics = rd_kafka_topic_partition_list_new(1);
	rd_kafka_topic_partition_list_add(topics, cfg->kafka_topic, RD_KAFKA_PARTITION_UA);
	rerr = rd_kafka_subscribe(st->rk, topics);
	rd_kafka_topic_partition_list_destroy(topics);
	if (rerr != RD_KAFKA_RESP_ERR_NO_ERROR) {
		snprintf(err, errlen, "kafka: subscribing to %s: %s", cfg->kafka_topic, rd_kafka_err2str(rerr));
		return FW_EINVAL;
	}
	return FW_OK;
fail:
	if (conf != NULL)
		rd_kafka_conf_destroy(conf);
	return FW_EINVAL;
}

static void
usage(FILE *out)
{
	fprintf(out, "usage: floodwatch store [-c FILE] [--set SECTION.KEY=VALUE]... [--once]\n"
	    "  Copy every alert event of kafka.topic into sqlite.path (consumer group\n"
	    "  cluster.store_group_id); --once: read to the end of the topic, then exit.\n");
}

/* Take --once out of argv (cli_load_config knows only -c and --set). */
static int
take_once(int argc, char **argv, char **rest, bool *once)
{
	int n = 0;

	*once = false;
	for (int i = 0; i < argc; i++) {
		if (i > 0 && strcmp(argv[i], "--once") == 0)
			*once = true;
		else
			rest[n++] = argv[i];
	}
	rest[n] = NULL;
	return n;
}

/* Wait up to ms for a signal of set (blocked); true when it says stop. */
static bool
stop_signal(const sigset_t *set, int64_t ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };
	int sig = sigtimedwait(set, NULL, &ts);

	if (sig == SIGHUP)
		fw_log(FW_LOG_INFO, "store", "SIGHUP ignored: the store reads its config at start only");
	if (sig == SIGINT || sig == SIGTERM)
		fw_log(FW_LOG_INFO, "store", "%s: writing the last batch, committing, stopping",
		    sig == SIGINT ? "SIGINT" : "SIGTERM");
	return sig == SIGINT || sig == SIGTERM;
}

int
cmd_store(int argc, char **argv)
{
	struct fw_config cfg;
	struct store st;
	struct fw_http *http = NULL;
	const char *name;
	char **rest, *pos[256], err[1024];
	int npos, rc, nrest, status = 1;
	bool once;
	sigset_t set;
	int64_t next_stats, assign_deadline;

	memset(&st, 0, sizeof(st));
	if (argc > 256 || (rest = calloc((size_t)argc + 1, sizeof(*rest))) == NULL)
		return EXIT_USAGE;
	nrest = take_once(argc, argv, rest, &once);
	rc = cli_load_config("store", nrest, rest, &cfg, &name, pos, &npos);
	free(rest);
	if (rc == -1) {
		usage(stdout);
		return 0;
	}
	if (rc != 0)
		return rc;
	if (npos > 0) {
		fprintf(stderr, "floodwatch store: unexpected argument '%s'\n", pos[0]);
		return EXIT_USAGE;
	}
	if (cfg.kafka_brokers[0] == '\0' || cfg.cluster_store_group_id[0] == '\0') {
		fprintf(stderr, "floodwatch store: needs kafka.brokers and cluster.store_group_id\n");
		return EXIT_USAGE;
	}
	st.cfg = &cfg;
	fw_backoff_init(&st.retry, 100, cfg.sqlite_retry_max_ms);
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	if ((st.batch = calloc(STORE_BATCH, sizeof(*st.batch))) == NULL ||
	    (st.offsets = rd_kafka_topic_partition_list_new(8)) == NULL) {
		fw_log(FW_LOG_ERR, "store", "out of memory");
		goto out;
	}
	if (fw_sqlite_open(cfg.sqlite_path, &st.db, err, sizeof(err)) != FW_OK) {
		fw_log(FW_LOG_ERR, "store", "%s", err);
		goto out;
	}
	if (!once && cfg.http_listen[0] != '\0') {
		struct fw_http_info info = { .version = FW_VERSION, .started_ms = fw_time_now_ms() };
		char digest[17];

		cli_config_digest(&cfg, digest);
		info.config_digest = digest;
		if (fw_http_open(&cfg, cfg.sqlite_path, &http, err, sizeof(err)) != FW_OK ||
		    fw_http_start(http, &info, err, sizeof(err)) != FW_OK) {
			fw_log(FW_LOG_ERR, "store", "%s", err);
			goto out;
		}
		fw_log(FW_LOG_INFO, "store", "http: API and /metrics at %s (read-only)", fw_http_url(http));
	}
	if (consumer_new(&st, once, err, sizeof(err)) != FW_OK) {
		fw_log(FW_LOG_ERR, "store", "%s", err);
		status = EXIT_USAGE;
		goto out;
	}
	fw_log(FW_LOG_INFO, "store", "reading %s from %s as group %s into %s%s", cfg.kafka_topic, cfg.kafka_brokers,
	    cfg.cluster_store_group_id, cfg.sqlite_path, once ? " until its end (--once)" : "");
	write_counts(&st, http, false);  /* makes /readyz 200 */
	next_stats = fw_time_mono_ms() + cfg.stats_interval_ms;
	assign_deadline = fw_time_mono_ms() + STORE_ASSIGN_WAIT_MS;
	while (!stop_signal(&set, 0)) {
		int64_t now = fw_time_mono_ms();
		rd_kafka_message_t *m;

		/* A refused batch is retried (after its back-off) before more is
		 * taken: the batch never grows past STORE_BATCH. */
		if (st.retry.failures > 0 && !fw_backoff_ready(&st.retry, now)) {
			int64_t wait = fw_backoff_wait_ms(&st.retry, now);

			if (stop_signal(&set, wait < STORE_POLL_MS ? wait : STORE_POLL_MS))
				break;
			continue;
		}
		if (st.pending > 0 && (st.n == STORE_BATCH || st.retry.failures > 0 ||
		    now - st.batch_start_ms >= STORE_LINGER_MS || (once && all_eof(&st))) && flush(&st) != FW_OK)
			continue;
		if (once && st.pending == 0 && all_eof(&st))
			break;
		if (once && (st.fatal || (!st.ever_assigned && now > assign_deadline))) {
			fw_log(FW_LOG_ERR, "store", "%s: cannot read the topic (see above; no partition assigned)",
			    cfg.kafka_topic);
			goto close;
		}
		if (now >= next_stats) {
			write_counts(&st, http, true);
			next_stats = now + cfg.stats_interval_ms;
		}
		if ((m = rd_kafka_consumer_poll(st.rk, STORE_POLL_MS)) == NULL)
			continue;
		take(&st, m);
		rd_kafka_message_destroy(m);
	}
	/* A second signal from here on exits at once (default action: the
	 * batch is not lost, its offsets are not committed). */
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	if (flush(&st) != FW_OK) {
		fw_log(FW_LOG_ERR, "store", "the last %zu events could not be written: their messages stay "
		    "uncommitted and are read again at the next start", st.n);
		goto close;
	}
	status = 0;
close:
	rd_kafka_consumer_close(st.rk);  /* revokes: the rebalance callback flushes (nothing left) */
	write_counts(&st, NULL, true);
	summary(&st, once ? stdout : stderr);
out:
	if (st.rk != NULL)
		rd_kafka_destroy(st.rk);
	fw_http_free(http);
	if (st.offsets != NULL)
		rd_kafka_topic_partition_list_destroy(st.offsets);
	fw_sqlite_close(st.db);
	free(st.batch);
	free(st.eof);
	free(st.assigned);
	return status;
}
