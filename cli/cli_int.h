/*
 * cli_int.h - private header of the command-line front end (cli/).
 * Each subcommand is one file cmd_<name>.c with an entry point here.
 */
#ifndef FW_CLI_INT_H
#define FW_CLI_INT_H

#include "fw_config.h"

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

int cmd_run(int argc, char **argv);
int cmd_replay(int argc, char **argv);
int cmd_alerts(int argc, char **argv);
int cmd_check_config(int argc, char **argv);

#endif /* FW_CLI_INT_H */
