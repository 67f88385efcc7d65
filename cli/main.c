/*
 * main.c - floodwatch entry point: dispatch to the subcommand.
 */
#include <stdio.h>
#include <string.h>

#include "cli_int.h"
#include "fw_detect.h"
#include "fw_records.h"
#include "fw_log.h"

/* The detector's fixed tables with the built-in defaults (calloc'd, not touched). */
static void
default_budget(FILE *out)
{
	struct fw_config cfg;
	struct fw_detect *d;
	struct fw_detect_stats st;

	fw_config_defaults(&cfg);
	if (fw_detect_new(&cfg, NULL, NULL, &d) != FW_OK)
		return;
	fw_detect_get_stats(d, &st);
	fprintf(out, "With the defaults: detector tables %.1f MiB, plus %.1f MiB per flow listener ring\n"
	    "(detector.max_victims, dns.max_zones, pipeline.ring_slots set them).\n",
	    (double)st.memory_bytes / 1048576.0, (double)cfg.ring_slots * sizeof(struct fw_flow) / 1048576.0);
	fw_detect_free(d);
}

static void
usage(FILE *out)
{
	fprintf(out,
	    "floodwatch " FW_VERSION " - network telemetry collector and DDoS detector\n"
	    "\n"
	    "usage:\n"
	    "  floodwatch run [-c FILE] [--set SECTION.KEY=VALUE]...      the daemon, foreground\n"
	    "  floodwatch replay [-c FILE] [--set K=V]... PATH...         captures through the pipeline\n"
	    "  floodwatch alerts [--db PATH] [--since D] [--until D] [--active] [--json]\n"
	    "                    [--vector V] [--victim X] [--limit N]    list alerts, newest first\n"
	    "  floodwatch show [--db PATH] [--json] ID                    one alert: evidence, timeline\n"
	    "  floodwatch dump [--json|--csv] [--summary] [--count N] [-c FILE] [--set K=V]... PATH...\n"
	    "  floodwatch dump [--json|--csv] [--summary] --listen ADDR:PORT [--count N] [--seconds S]\n"
	    "                                                             decoded records, one per line\n"
	    "  floodwatch check-config [-c FILE] [--set K=V]...           validate, print effective config\n"
	    "  floodwatch store [-c FILE] [--set K=V]... [--once]         alert events of the Kafka topic\n"
	    "                                                             into one central SQLite\n"
	    "\n"
	    "Without -c the built-in defaults are used (deploy/floodwatch.conf documents every key).\n"
	    "Memory budget: every table is sized at start from the config and never grows;\n"
	    "`run` logs the budget in its first lines (detector tables, rings, DNS reassembly).\n");
	default_budget(out);
}

int
main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : "";

	if (strcmp(cmd, "run") == 0)
		return cmd_run(argc - 1, argv + 1);
	if (strcmp(cmd, "replay") == 0)
		return cmd_replay(argc - 1, argv + 1);
	if (strcmp(cmd, "alerts") == 0)
		return cmd_alerts(argc - 1, argv + 1);
	if (strcmp(cmd, "dump") == 0)
		return cmd_dump(argc - 1, argv + 1);
	if (strcmp(cmd, "show") == 0)
		return cmd_show(argc - 1, argv + 1);
	if (strcmp(cmd, "store") == 0)
		return cmd_store(argc - 1, argv + 1);
	if (strcmp(cmd, "check-config") == 0)
		return cmd_check_config(argc - 1, argv + 1);
	if (strcmp(cmd, "config-keys") == 0) {
		/* Not in the usage: the key table for the man page generator. */
		fw_config_print_keys(stdout);
		return 0;
	}
	if (strcmp(cmd, "--version") == 0) {
		printf("floodwatch %s\n", FW_VERSION);
		return 0;
	}
	if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "help") == 0) {
		usage(stdout);
		return 0;
	}
	if (cmd[0] != '\0')
		fprintf(stderr, "floodwatch: unknown command '%s'\n\n", cmd);
	usage(stderr);
	return EXIT_USAGE;
}
