/*
 * cmd_check_config.c - `floodwatch check-config`: parse and validate with the
 * daemon's own code, print the effective config, start nothing.
 */
#include <stdio.h>

#include "cli_int.h"

int
cmd_check_config(int argc, char **argv)
{
	struct fw_config cfg;
	const char *name;
	char *pos[256];
	int npos, rc;

	if (argc > 256) {
		fprintf(stderr, "floodwatch check-config: too many arguments\n");
		return EXIT_USAGE;
	}
	rc = cli_load_config("check-config", argc, argv, &cfg, &name, pos, &npos);
	if (rc < 0) {
		printf("usage: floodwatch check-config [-c FILE] [--set SECTION.KEY=VALUE]...\n");
		return 0;
	}
	if (rc != 0)
		return rc;
	if (npos > 0) {
		fprintf(stderr, "floodwatch check-config: unexpected argument '%s'\n", pos[0]);
		return EXIT_USAGE;
	}
	printf("# effective configuration (%s)\n", name);
	fw_config_print(&cfg, stdout);
	fprintf(stderr, "config OK\n");
	return 0;
}
