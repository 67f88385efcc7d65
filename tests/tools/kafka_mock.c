/*
 * kafka_mock.c - test tool: a librdkafka mock Kafka cluster in its own
 * process, listening on loopback, for the Kafka sink tests.
 *
 *   kafka_mock [-b BROKERS] [-p PARTITIONS] [-t TOPIC] [-f BOOTSTRAP_FILE]
 *
 * Prints the bootstrap address on stdout (and into BOOTSTRAP_FILE).
 * SIGUSR1 takes every broker down, SIGUSR2 brings them back, SIGTERM or
 * SIGINT exits.  It stops by itself after 15 minutes (bounded tests).
 */
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t want_down, want_up, want_exit;

static void on_usr1(int s) { (void)s; want_down = 1; }
static void on_usr2(int s) { (void)s; want_up = 1; }
static void on_term(int s) { (void)s; want_exit = 1; }

int
main(int argc, char **argv)
{
	int brokers = 1, partitions = 4, opt;
	const char *topic = "floodwatch.alerts", *file = NULL;
	char errstr[512];
	rd_kafka_conf_t *conf;
	rd_kafka_t *rk;
	rd_kafka_mock_cluster_t *mc;
	const char *boot;
	time_t start = time(NULL);

	while ((opt = getopt(argc, argv, "b:p:t:f:")) != -1) {
		switch (opt) {
		case 'b': brokers = atoi(optarg); break;
		case 'p': partitions = atoi(optarg); break;
		case 't': topic = optarg; break;
		case 'f': file = optarg; break;
		default: return 2;
		}
	}
	conf = rd_kafka_conf_new();
	/* The mock cluster needs a host rd_kafka_t; a producer is the lightest. */
	rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
	if (rk == NULL) {
		fprintf(stderr, "kafka_mock: %s\n", errstr);
		return 1;
	}
	mc = rd_kafka_mock_cluster_new(rk, brokers);
	if (mc == NULL) {
		fprintf(stderr, "kafka_mock: cannot create the mock cluster\n");
		return 1;
	}
	if (rd_kafka_mock_topic_create(mc, topic, partitions, 1) != RD_KAFKA_RESP_ERR_NO_ERROR)
		fprintf(stderr, "kafka_mock: cannot create topic %s\n", topic);
	boot = rd_kafka_mock_cluster_bootstraps(mc);
	printf("%s\n", boot);
	fflush(stdout);
	if (file != NULL) {
		FILE *f = fopen(file, "w");
		if (f != NULL) {
			fprintf(f, "%s\n", boot);
			fclose(f);
		}
	}
	signal(SIGUSR1, on_usr1);
	signal(SIGUSR2, on_usr2);
	signal(SIGTERM, on_term);
	signal(SIGINT, on_term);
	while (!want_exit && time(NULL) - start < 900) {
		if (want_down) {
			want_down = 0;
			for (int b = 1; b <= brokers; b++)
				rd_kafka_mock_broker_set_down(mc, b);
			fprintf(stderr, "kafka_mock: brokers down\n");
		}
		if (want_up) {
			want_up = 0;
			for (int b = 1; b <= brokers; b++)
				rd_kafka_mock_broker_set_up(mc, b);
			fprintf(stderr, "kafka_mock: brokers up\n");
		}
		usleep(50000);
	}
	rd_kafka_mock_cluster_destroy(mc);
	rd_kafka_destroy(rk);
	return 0;
}
