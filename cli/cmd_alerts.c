/*
 * cmd_alerts.c - `floodwatch alerts`: list alerts from the SQLite store,
 * newest first, through the read queries the HTTP API uses
 * (fw_alert_query.h).
 *
 * Opens the database read-only (WAL lets it read while the daemon writes);
 * prints a table for people or, with --json, one JSON object per line.
 * --limit keeps the newest N.  A vector name is checked against the list
 * (a typo would otherwise silently match nothing).
 *
 * Exit status: 0 listed (perhaps nothing), 1 the database failed while
 * being read, 2 a usage error or a --db that cannot be used: missing, a
 * directory, not readable, not an SQLite file, not a floodwatch database.
 */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_int.h"
#include "fw_detect.h"
#include "fw_names.h"
#include "fw_records.h"
#include "fw_time.h"

struct opts {
	const char *db;
	struct fw_aq_filter f;
	char since_buf[FW_TIME_TEXT_LEN], until_buf[FW_TIME_TEXT_LEN];
	int json;
	int explain;
};

static void
usage(FILE *out)
{
	fprintf(out, "usage: floodwatch alerts [--db PATH] [--since D|TIME] [--until D|TIME] [--active] [--json]\n"
	    "                         [--vector NAME] [--victim TEXT] [--limit N] [--explain]\n"
	    "  --db PATH      database (default ./var/floodwatch.db, the default sqlite.path)\n"
	    "  --since D      alerts started within D before now (90s, 15m, 2h, 7d) or since an\n"
	    "                 ISO-8601 UTC time such as 2023-11-14T22:00:00Z\n"
	    "  --until D      alerts started before that (same forms)\n"
	    "  --active       only alerts that have not ended\n"
	    "  --vector NAME  one vector (udp_flood, dns_water_torture, ...)\n"
	    "  --victim TEXT  one victim: address, prefix or DNS zone, as listed\n"
	    "  --limit N      the newest N alerts\n"
	    "  --json         one JSON object per line\n"
	    "  --explain      print SQLite's query plan for these filters instead of alerts\n"
	    "Newest first.  `floodwatch show ID` prints one alert with its evidence and timeline.\n");
}

static void
vector_list(FILE *out)
{
	fprintf(out, "vectors:");
	for (int v = 0; v < FW_VEC_COUNT; v++)
		fprintf(out, " %s", fw_vector_name(v));
	fprintf(out, "\n");
}

/* A duration before now or an ISO-8601 time; NULL and a message if neither. */
static const char *
time_arg(const char *opt, const char *val, char buf[FW_TIME_TEXT_LEN])
{
	int64_t ms;

	if (fw_time_parse_duration(val, &ms) == 0) {
		fw_time_format(fw_time_now_ms() - ms, buf);
		return buf;
	}
	if (fw_time_parse(val, &ms) == 0) {
		fw_time_format(ms, buf);  /* the stored form, so text order is time order */
		return buf;
	}
	fprintf(stderr, "floodwatch alerts: %s '%s': expected a duration (90s, 15m, 2h, 7d) or an ISO-8601 "
	    "UTC time (2023-11-14T22:00:00Z)\n", opt, val);
	return NULL;
}

static int
parse_args(int argc, char **argv, struct opts *o)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *val = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(a, "--active") == 0) {
			o->f.active = true;
		} else if (strcmp(a, "--json") == 0) {
			o->json = 1;
		} else if (strcmp(a, "--explain") == 0) {
			o->explain = 1;
		} else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			usage(stdout);
			return -1;
		} else if (strcmp(a, "--db") == 0 || strcmp(a, "--since") == 0 || strcmp(a, "--until") == 0 ||
		    strcmp(a, "--vector") == 0 || strcmp(a, "--victim") == 0 || strcmp(a, "--limit") == 0) {
			if (val == NULL) {
				fprintf(stderr, "floodwatch alerts: %s needs a value\n", a);
				return EXIT_USAGE;
			}
			i++;
			if (strcmp(a, "--db") == 0) {
				o->db = val;
			} else if (strcmp(a, "--vector") == 0) {
				if (!fw_aq_vector_is_known(val)) {
					fprintf(stderr, "floodwatch alerts: --vector '%s': no such vector; ", val);
					vector_list(stderr);
					return EXIT_USAGE;
				}
				o->f.vector = val;
			} else if (strcmp(a, "--victim") == 0) {
				o->f.victim = val;
			} else if (strcmp(a, "--limit") == 0) {
				char *end;

				errno = 0;
				o->f.limit = strtol(val, &end, 10);
				if (errno || *end || end == val || o->f.limit <= 0) {
					fprintf(stderr, "floodwatch alerts: --limit needs a positive number\n");
					return EXIT_USAGE;
				}
			} else if (strcmp(a, "--since") == 0) {
				if ((o->f.since = time_arg(a, val, o->since_buf)) == NULL)
					return EXIT_USAGE;
			} else if ((o->f.until = time_arg(a, val, o->until_buf)) == NULL) {
				return EXIT_USAGE;
			}
		} else {
			fprintf(stderr, "floodwatch alerts: unknown argument '%s'\n", a);
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	return 0;
}

static int
print_json_row(void *ctx, const struct fw_aq_alert *a)
{
	(void)ctx;
	(void)cli_print_json(fw_aq_alert_json(a));
	return 0;
}

#define TABLE_FMT "%-16s  %-24s  %-8s  %-18s  %-24s  %3s  %10s  %11s  %10s  %s\n"

static int
print_table_row(void *ctx, const struct fw_aq_alert *a)
{
	char pps[32], bps[32], qps[32], dur[32], victim[FW_VICTIM_MAX * 5 + 256], state[64], sev[8];
	bool dns = fw_aq_vector_is_dns(a->vector);
	/* Ends the daemon forced (shutdown, restart) are shown: the attack may
	 * have gone on.  quiet and end_of_input are not. */
	bool forced = a->ended_at && a->end_reason &&
	    (strcmp(a->end_reason, "shutdown") == 0 || strcmp(a->end_reason, "restart") == 0);

	(void)ctx;
	/* A dash where the metric does not apply: DNS alerts have no packet
	 * rates, flow alerts no query rate. */
	snprintf(pps, sizeof(pps), "-");
	snprintf(bps, sizeof(bps), "-");
	snprintf(qps, sizeof(qps), "-");
	if (dns) {
		cli_rate(a->peak_qps, "qps", qps, sizeof(qps));
	} else {
		cli_rate(a->peak_pps, "pps", pps, sizeof(pps));
		cli_rate(a->peak_bps, "bps", bps, sizeof(bps));
	}
	cli_duration(cli_seconds_between(a->started_at, a->ended_at ? a->ended_at : a->updated_at), dur,
	    sizeof(dur));
	snprintf(state, sizeof(state), "%s%s%.32s", a->ended_at ? "ended" : "ACTIVE", forced ? " " : "",
	    forced ? a->end_reason : "");
	snprintf(sev, sizeof(sev), "%d", a->severity);
	printf(TABLE_FMT, a->id ? a->id : "", a->started_at ? a->started_at : "", dur,
	    cli_terminal_text(a->victim, victim, sizeof(victim)), a->vector ? a->vector : "", sev, pps, bps, qps,
	    state);
	return 0;
}

static void
print_plan(void *ctx, const char *detail)
{
	(void)ctx;
	printf("%s\n", detail);
}

int
cmd_alerts(int argc, char **argv)
{
	struct opts o = { .db = NULL, .f = { .limit = LONG_MAX } };
	struct fw_config defaults;
	struct fw_aq *q = NULL;
	char err[512];
	int rc, rows;

	if ((rc = parse_args(argc, argv, &o)) != 0)
		return rc < 0 ? 0 : rc;
	fw_config_defaults(&defaults);
	if (o.db == NULL)
		o.db = defaults.sqlite_path;
	if ((rc = cli_open_db("alerts", o.db, &q)) != 0)
		return rc;
	if (o.explain) {
		rc = fw_aq_plan(q, &o.f, print_plan, NULL) == FW_OK ? 0 : 1;
		fw_aq_close(q);
		return rc;
	}
	if (!o.json)
		printf(TABLE_FMT, "ID", "STARTED (UTC)", "DURATION", "VICTIM", "VECTOR", "SEV", "PEAK PPS",
		    "PEAK BPS", "PEAK QPS", "STATE");
	rows = fw_aq_alerts(q, &o.f, o.json ? print_json_row : print_table_row, NULL, err, sizeof(err));
	if (rows < 0)
		fprintf(stderr, "floodwatch alerts: %s: %s\n", o.db, err);
	else if (!o.json)
		printf("(%d alert%s)\n", rows, rows == 1 ? "" : "s");
	fw_aq_close(q);
	return rows < 0 ? 1 : 0;
}
