/*
 * kafka_mock.c - test tool: a librdkafka mock Kafka cluster in its own
 * process, listening on loopback, for the Kafka sink tests.
 *
 *   kafka_mock [-b BROKERS] [-p PARTITIONS] [-t TOPIC[:PARTITIONS]]...
 *              [-f BOOTSTRAP_FILE]
 *
 * -t is repeatable (at most 16 topics); a topic without :PARTITIONS gets
 * -p's count (default 4), wherever -p stands.  Without -t the one topic is
 * floodwatch.alerts.
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
	enum { MAX_TOPICS = 16 };
	int brokers = 1, partitions = 4, opt, ntopics = 0;
	char *topics[MAX_TOPICS];
	int tparts[MAX_TOPICS]; /* 0: the -p count */
	static char dflt[] = "floodwatch.alerts";
	const char *file = NULL;
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
		case 't': {
			char *colon = strrchr(optarg, ':');

			if (ntopics == MAX_TOPICS) {
				fprintf(stderr, "kafka_mock: at most %d topics\n", MAX_TOPICS);
				return 2;
			}
			tparts[ntopics] = 0;
			if (colon != NULL) {
				*colon = '\0';
				tparts[ntopics] = atoi(colon + 1);
				if (tparts[ntopics] <= 0) {
					fprintf(stderr, "kafka_mock: bad partition count in -t\n");
					return 2;
				}
			}
			topics[ntopics++] = optarg;
			break;
		}
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
	if (ntopics == 0) {
		topics[0] = dflt;
		tparts[0] = 0;
		ntopics = 1;
	}
	for (int i = 0; i < ntopics; i++) {
		int n = tparts[i] > 0 ? tparts[i] : partitions;

		if (rd_kafka_mock_topic_create(mc, topics[i], n, 1) != RD_KAFKA_RESP_ERR_NO_ERROR)
			fprintf(stderr, "kafka_mock: cannot create topic %s\n", topics[i]);
	}
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
