/*
 * bench_sinks.c - alert events/s into SQLite (with and without the Kafka
 * outbox) and into Kafka with delivery confirmed (librdkafka mock cluster
 * on loopback), and the outbox drain rate after an outage.
 * Bounded: N events per phase, each phase capped at 60 s.
 */
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "fw_config.h"
#include "fw_detect.h"
#include "fw_kafka.h"
#include "fw_sqlite.h"
#include "fw_time.h"

#define N 20000
#define BATCH 64

static struct fw_alert_ev evs[BATCH];

static void
fill(int base)
{
	for (int i = 0; i < BATCH; i++) {
		struct fw_alert_ev *e = &evs[i];
		int n = base + i;

		memset(e, 0, sizeof(*e));
		snprintf(e->id, sizeof(e->id), "%016x", n / 3);
		snprintf(e->victim, sizeof(e->victim), "198.51.%d.%d", (n / 3) / 250 % 250, (n / 3) % 250);
		snprintf(e->evidence, sizeof(e->evidence), "{\"baseline_pps\":12.5,\"observed_pps\":75000.0,"
		    "\"protocol_shares\":{\"udp\":0.98,\"tcp_syn\":0.01}}");
		e->event = (uint8_t)(n % 3 == 0 ? FW_EV_START : n % 3 == 1 ? FW_EV_UPDATE : FW_EV_END);
		e->seq = (uint32_t)(n % 3 + 1);
		e->vector = FW_VEC_UDP_FLOOD;
		e->severity = 2;
		e->started_ms = 1700000000000LL + n * 10;
		e->updated_ms = e->started_ms + 3000;
		e->ended_ms = e->event == FW_EV_END ? e->updated_ms : 0;
		e->peak_pps = 75000;
		e->peak_bps = 3.2e8;
	}
}

static double
write_phase(const char *path, int outbox)
{
	struct fw_sqlite *s;
	char err[256];
	int64_t t0;

	unlink(path);
	if (fw_sqlite_open(path, &s, err, sizeof(err)) != FW_OK) {
		fprintf(stderr, "%s\n", err);
		exit(1);
	}
	t0 = fw_time_mono_ms();
	for (int i = 0; i < N; i += BATCH) {
		fill(i);
		if (fw_sqlite_write(s, evs, BATCH, outbox) != FW_OK)
			exit(1);
	}
	fw_sqlite_close(s);
	return (double)N / ((double)(fw_time_mono_ms() - t0 + 1) / 1000.0);
}

int
main(void)
{
	char dir[] = "/tmp/fwbench_sinks.XXXXXX", a[128], b[128], err[256], errstr[256];
	double sq, sq_ob, drain;
	struct fw_config cfg;
	struct fw_sqlite *s;
	struct fw_kafka *k;
	struct fw_kafka_stats ks;
	rd_kafka_t *host;
	rd_kafka_mock_cluster_t *mc;
	struct rusage ru;
	int64_t t0, left;

	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(a, sizeof(a), "%s/a.db", dir);
	snprintf(b, sizeof(b), "%s/b.db", dir);
	sq = write_phase(a, 0);
	sq_ob = write_phase(b, 1);  /* the outbox now holds N unsent messages: "after an outage" */

	host = rd_kafka_new(RD_KAFKA_PRODUCER, rd_kafka_conf_new(), errstr, sizeof(errstr));
	mc = host ? rd_kafka_mock_cluster_new(host, 3) : NULL;
	if (mc == NULL) {
		fprintf(stderr, "bench_sinks: no mock cluster\n");
		return 1;
	}
	rd_kafka_mock_topic_create(mc, "floodwatch.alerts", 4, 3);
	fw_config_defaults(&cfg);
	snprintf(cfg.kafka_brokers, sizeof(cfg.kafka_brokers), "%s", rd_kafka_mock_cluster_bootstraps(mc));
	if (fw_sqlite_open(b, &s, err, sizeof(err)) != FW_OK || fw_kafka_new(&cfg, &k, err, sizeof(err)) != FW_OK) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	t0 = fw_time_mono_ms();
	left = fw_kafka_drain(k, s, 60000);
	drain = (double)(N - left) / ((double)(fw_time_mono_ms() - t0 + 1) / 1000.0);
	fw_kafka_get_stats(k, &ks);
	fw_kafka_free(k);
	fw_sqlite_close(s);
	rd_kafka_mock_cluster_destroy(mc);
	rd_kafka_destroy(host);
	getrusage(RUSAGE_SELF, &ru);
	printf("bench_sinks: SQLite %.0f alert events/s (batches of %d, WAL); with Kafka outbox rows %.0f events/s (%.2fx)\n",
	    sq, BATCH, sq_ob, sq_ob / sq);
	printf("bench_sinks: Kafka (mock cluster, 3 brokers, acks=all) outbox drain after an outage: %.0f events/s "
	    "delivered and acknowledged (%llu delivered, %lld left); peak RSS %.1f MiB\n",
	    drain, (unsigned long long)ks.delivered, (long long)left, ru.ru_maxrss / 1024.0);
	unlink(a);
	unlink(b);
	snprintf(a, sizeof(a), "rm -rf %s", dir);
	if (system(a) != 0)
		return 1;
	return left == 0 ? 0 : 1;
}
