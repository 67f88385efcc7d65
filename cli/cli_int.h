/*
 * cli_int.h - private header of the command-line front end (cli/).
 * Each subcommand is one file cmd_<name>.c with an entry point here.
 */
#ifndef FW_CLI_INT_H
#define FW_CLI_INT_H

#include "fw_alert_query.h"
#include "fw_cdetect.h"
#include "fw_config.h"
#include "fw_decode.h"
#include "fw_dnstap.h"
#include "fw_pipeline.h"
#include "fw_qlog_source.h"
#include "fw_replay.h"
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

/* FNV-1a 64 of the effective config text as 16 hex digits (HTTP status). */
void cli_config_digest(const struct fw_config *cfg, char out[17]);

/*
 * SIGHUP: the same -c FILE and --set overrides of the same argv, read again
 * and checked by the same code as check-config.  FW_OK, or an error code
 * with one line in err: "FILE:LINE: SECTION.KEY: ..." (or "--set ...").
 * Changes nothing else (the log level is the caller's to apply).
 */
int cli_reload_config(int argc, char **argv, struct fw_config *cfg, char *err, size_t errlen);

/*
 * Counter snapshot for the collector_stats table (cli/stats.c).
 *
 * Bounded whatever the input: global rows (listener, formats, detector,
 * pipeline, sinks) come first and always fit; exporters are not rows until
 * cli_stats_write(), which lists at most `top` per kind (the busiest) and
 * sums the rest into one "<kind> others" row set.  What does not fit is
 * counted in the snapshot's own "stats" rows, never dropped silently.
 * Main thread only; the exporter walk runs under the listener's decoder lock.
 */
#define CLI_STATS_MAX 1024       /* rows per snapshot */
#define CLI_STATS_TOP_MAX 256    /* stats.exporters at most */

enum cli_exp_kind { CLI_EXP_NF9, CLI_EXP_IPFIX, CLI_EXP_SFLOW, CLI_EXP_SFLOW_IF, CLI_EXP_FLOW, CLI_EXP_KINDS };
#define CLI_EXP_NC (3 + FW_DEC_NREASONS)  /* counters per exporter, in stats.c's order */

#define CLI_EXP_SAMPLERS 4        /* sampling rates listed per v9/IPFIX exporter */

/* A sampling rate in force for an exporter (its options data). */
struct cli_exp_rate {
	uint64_t sampler_id;       /* 0: exporter-wide */
	uint32_t rate;             /* 1-in-N */
};

struct cli_exp {
	struct fw_addr addr;       /* exporter / sFlow agent */
	uint32_t id;               /* source id / domain, sFlow sub-agent, ifIndex */
	uint64_t weight;           /* ranking: records, flow samples, octets */
	uint64_t c[CLI_EXP_NC];
	/* Gauges, not counters (v9/IPFIX; last_seen_ms also sFlow agents):
	 * summed (templates) or the newest (last_seen_ms) into others. */
	uint64_t templates;        /* templates held now, data and options */
	int64_t last_seen_ms;      /* arrival of its last datagram, 0 unknown */
	uint32_t nrates;           /* rates[0..nrates) */
	struct cli_exp_rate rates[CLI_EXP_SAMPLERS];
};

struct cli_exp_top {
	struct cli_exp e[CLI_STATS_TOP_MAX];  /* the busiest, unsorted until written */
	size_t n;
	struct cli_exp others;     /* sums over the rest */
	uint64_t nothers;          /* exporters summed into others */
	uint64_t seen;             /* exporters offered */
};

struct cli_stats {
	size_t n;                  /* rows used */
	size_t top;                /* stats.exporters */
	uint64_t rows_omitted;     /* rows that did not fit (counted in "stats") */
	bool finished;             /* cli_stats_finish() ran: rows are complete */
	struct fw_stat_row rows[CLI_STATS_MAX];
	struct cli_exp_top kind[CLI_EXP_KINDS];
};
/* Empty snapshot listing at most `top` exporters per kind. */
void cli_stats_init(struct cli_stats *cs, size_t top);
void cli_stats_add(struct cli_stats *cs, const char *source, const char *name, uint64_t value);
void cli_stats_add_decode(struct cli_stats *cs, const struct fw_decode_stats *ds);
/* Offer every v9/IPFIX exporter, sFlow agent and interface, and every flow
 * exporter's profile (durations, plausibility drops) of this decoder. */
void cli_stats_add_exporters(struct cli_stats *cs, struct fw_decoder *dec);
void cli_stats_add_pipeline(struct cli_stats *cs, const struct fw_pipeline_stats *ps);
/* The detector role's counters ("cluster" rows; gauges: partitions*, idle_collectors, watermark_lag_ms). */
void cli_stats_add_cluster(struct cli_stats *cs, const struct fw_cdetect_stats *c);
/* Rows "ipfrag ..." and "dnstcp ..." (fragment reassembly, DNS over TCP):
 * what was put together or read and drop_<reason>; nothing when unused. */
void cli_stats_add_reasm(struct cli_stats *cs, const struct fw_ipfrag_stats *fs,
    const struct fw_dnstcp_stats *ts);
/* Add the exporter and "stats" rows (once): rows[0..n) are then the
 * snapshot as it will be written, for the HTTP server to publish. */
void cli_stats_finish(struct cli_stats *cs);
/*
 * Add the exporter and "stats" rows, write the snapshot, then (when
 * retention_days > 0) prune collector_stats rows older than that, a bounded
 * batch per call; empty the snapshot (keeping `top`).  Failures are logged,
 * never fatal.  _db writes through a connection the caller keeps open
 * (opened before the privilege drop); db_path is for messages.
 */
void cli_stats_write(struct cli_stats *cs, const char *db_path, int64_t retention_days);
void cli_stats_write_db(struct cli_stats *cs, struct fw_sqlite *s, const char *db_path,
    int64_t retention_days);

/*
 * Analyst commands (cli/present.c).  cli_open_db: open the database read-only
 * or print one line saying why it cannot be used and return EXIT_USAGE.
 * cli_rate: "78.0 kpps", prefixes up to E.  cli_duration: "40s", "3m05s",
 * "2h10m", "3d04h".  cli_terminal_text: control bytes as \xNN, bad UTF-8 as
 * U+FFFD.  cli_print_json: one line, takes the reference.
 */
int cli_open_db(const char *cmd, const char *path, struct fw_aq **out);
void cli_rate(double v, const char *unit, char *out, size_t len);
void cli_duration(double s, char *out, size_t len);
double cli_seconds_between(const char *from, const char *to);
const char *cli_terminal_text(const char *text, char *out, size_t outlen);
int cli_print_json(json_t *o);

/*
 * Input files of replay and dump (cli/input.c).  cli_check_inputs: every
 * path readable and not a directory, else one line and EXIT_USAGE.
 * cli_read_input: read the inputs from paths[0] on (recognised by content:
 * pcap/pcapng, BIND query log, dnstap) into the rings, waiting when they
 * are full; counts in *in.  A run of consecutive captures is read together,
 * merged by frame time (fw_replay_files); a query log or dnstap file alone.
 * *taken: how many paths it read (>= 1).  FW_OK, or a negative code with
 * err set.  Main thread only.
 */
#define EXIT_NO_INPUT 3            /* no input file could be read */
struct cli_inputs {
	struct fw_replay_stats rs;
	struct fw_qlog_stats qs;
	struct fw_dnstap_stats ts;
	struct fw_ipfrag *frag;    /* made with the first capture (dns.reassembly_*) */
	struct fw_dnstcp *tcp;     /* likewise (dns.tcp_*) */
	struct fw_ipfrag_stats fs; /* their counters, after cli_inputs_end() */
	struct fw_dnstcp_stats cs;
};
int cli_check_inputs(const char *cmd, char **pos, int npos);
/* After the last input: count what reassembly still holds as incomplete,
 * copy the counters into in->fs/in->cs, free the tables. */
void cli_inputs_end(struct cli_inputs *in);
/* One line each for fragments and DNS over TCP (replay's summary), when used. */
void cli_inputs_print_reasm(const struct cli_inputs *in);
int cli_read_input(char **paths, int n, const struct fw_config *cfg, struct fw_decoder *dec,
    struct fw_ring *flows, struct fw_ring *dns, struct cli_inputs *in, int *taken, char *err, size_t errlen);

int cmd_run(int argc, char **argv);
int cmd_replay(int argc, char **argv);
int cmd_alerts(int argc, char **argv);
int cmd_show(int argc, char **argv);
int cmd_check_config(int argc, char **argv);
int cmd_dump(int argc, char **argv);
int cmd_store(int argc, char **argv);

#endif /* FW_CLI_INT_H */
