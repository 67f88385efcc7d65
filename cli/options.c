/*
 * options.c - the -c / --set handling shared by run, replay and check-config.
 */
#include <stdio.h>
#include <string.h>

#include "cli_int.h"
#include "fw_decode.h"
#include "fw_detect.h"
#include "fw_log.h"
#include "fw_qlog_source.h"

/*
 * Each module checks its own keys; common/config.c iterates this table and
 * names none of them (it sits below the modules).  A module with keys that
 * need more than a bound or a list of addresses adds its check here.
 */
static const fw_config_check_fn module_checks[] = {
	fw_decode_check_config,        /* flow.sampling_override */
	fw_qlog_source_check_config,   /* dns.querylog_timezone */
	fw_detect_check_config,        /* detector.networks, dns.zones, dns.exclude */
};

int
cli_load_config(const char *cmd, int argc, char **argv, struct fw_config *cfg,
    const char **config_name, char **pos, int *npos)
{
	const char *file = NULL;
	const char *sets[256];
	int nsets = 0;
	char err[512];

	*npos = 0;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0)
			return -1;
		if (strcmp(a, "-c") == 0 || strcmp(a, "--config") == 0) {
			if (++i >= argc) {
				fprintf(stderr, "floodwatch %s: %s needs a file name\n", cmd, a);
				return EXIT_USAGE;
			}
			file = argv[i];
		} else if (strncmp(a, "--config=", 9) == 0) {
			file = a + 9;
		} else if (strcmp(a, "--set") == 0) {
			if (++i >= argc) {
				fprintf(stderr, "floodwatch %s: --set needs SECTION.KEY=VALUE\n", cmd);
				return EXIT_USAGE;
			}
			if (nsets < 256)
				sets[nsets++] = argv[i];
		} else if (strncmp(a, "--set=", 6) == 0) {
			if (nsets < 256)
				sets[nsets++] = a + 6;
		} else if (a[0] == '-' && a[1] != '\0') {
			fprintf(stderr, "floodwatch %s: unknown option '%s'\n", cmd, a);
			return EXIT_USAGE;
		} else {
			pos[(*npos)++] = argv[i];
		}
	}
	fw_config_defaults(cfg);
	*config_name = "built-in defaults";
	if (file != NULL) {
		if (fw_config_load_file(cfg, file, err, sizeof(err)) != FW_OK) {
			fprintf(stderr, "floodwatch %s: %s\n", cmd, err);
			return EXIT_USAGE;
		}
		*config_name = file;
	}
	for (int i = 0; i < nsets; i++) {
		if (fw_config_set(cfg, sets[i], err, sizeof(err)) != FW_OK) {
			fprintf(stderr, "floodwatch %s: %s\n", cmd, err);
			return EXIT_USAGE;
		}
	}
	if (fw_config_validate_all(cfg, module_checks, sizeof(module_checks) / sizeof(module_checks[0]),
	    err, sizeof(err)) != FW_OK) {
		char where[FW_CFG_STR_MAX + 300];

		fw_config_locate(file, sets, nsets, err, where, sizeof(where));
		fprintf(stderr, "floodwatch %s: %s%s\n", cmd, where, err);
		return EXIT_USAGE;
	}
	fw_log_set_level((enum fw_log_level)fw_log_level_parse(cfg->log_level));
	return 0;
}
