/*
 * cli_int.h - private header of the command-line front end (cli/).
 * Each subcommand is one file cmd_<name>.c with an entry point here.
 */
#ifndef FW_CLI_INT_H
#define FW_CLI_INT_H

#include "fw_config.h"
#include "fw_decode.h"
#include "fw_pipeline.h"
#include "fw_sqlite.h"

#define FW_VERSION "0.1.0"

/* Exit statuses: 0 ok, 1 runtime failure, 2 usage or config error. */
#define EXIT_USAGE 2

/*
 * Shared options of run/replay/check-config: -c FILE, --set K=V (repeatable).
 * Loads defaults, then FILE, then the overrides, then validates.  Leaves the
 * positional arguments in pos[0..*npos).  On error prints one line and
 * returns EXIT_USAGE; on --help prints usage and returns -1; else 0.
 */
int cli_load_config(const char *cmd, int argc, char **argv, struct fw_config *cfg,
    const char **config_name, char **pos, int *npos);

/* Counter snapshot for the collector_stats table (cli/stats.c). */
#define CLI_STATS_MAX 512
struct cli_stats {
	size_t n;
	struct fw_stat_row rows[CLI_STATS_MAX];
};
void cli_stats_add(struct cli_stats *cs, const char *source, const char *name, uint64_t value);
void cli_stats_add_decode(struct cli_stats *cs, const struct fw_decode_stats *ds);
/* Per-exporter (v9/IPFIX), per-agent and per-interface (sFlow) counters. */
void cli_stats_add_exporters(struct cli_stats *cs, struct fw_decoder *dec);
void cli_stats_add_pipeline(struct cli_stats *cs, const struct fw_pipeline_stats *ps);
/* Write and clear; failures are logged, never fatal. */
void cli_stats_write(struct cli_stats *cs, const char *db_path);
/* The same through a connection the caller keeps open (db_path: for messages). */
void cli_stats_write_db(struct cli_stats *cs, struct fw_sqlite *s, const char *db_path);

int cmd_run(int argc, char **argv);
int cmd_replay(int argc, char **argv);
int cmd_alerts(int argc, char **argv);
int cmd_check_config(int argc, char **argv);

#endif /* FW_CLI_INT_H */
