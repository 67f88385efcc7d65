/*
 * options.c - the -c / --set handling shared by run, replay and check-config.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
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

#define MAX_SETS 256

struct sources {
	const char *file;          /* -c FILE, or NULL: built-in defaults */
	const char *sets[MAX_SETS];
	int nsets;
};

/* -c and --set out of argv; the rest into pos.  0, -1 (--help) or EXIT_USAGE. */
static int
parse_args(const char *cmd, int argc, char **argv, struct sources *src, char **pos, int *npos)
{
	src->file = NULL;
	src->nsets = 0;
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
			src->file = argv[i];
		} else if (strncmp(a, "--config=", 9) == 0) {
			src->file = a + 9;
		} else if (strcmp(a, "--set") == 0) {
			if (++i >= argc) {
				fprintf(stderr, "floodwatch %s: --set needs SECTION.KEY=VALUE\n", cmd);
				return EXIT_USAGE;
			}
			if (src->nsets < MAX_SETS)
				src->sets[src->nsets++] = argv[i];
		} else if (strncmp(a, "--set=", 6) == 0) {
			if (src->nsets < MAX_SETS)
				src->sets[src->nsets++] = a + 6;
		} else if (a[0] == '-' && a[1] != '\0') {
			fprintf(stderr, "floodwatch %s: unknown option '%s'\n", cmd, a);
			return EXIT_USAGE;
		} else {
			pos[(*npos)++] = argv[i];
		}
	}
	return 0;
}

/* Defaults, the file, the overrides, then every check: FW_OK, or an error
 * with "FILE:LINE: " (or "--set ...: ") and the key in err. */
static int
build(const struct sources *src, struct fw_config *cfg, char *err, size_t errlen)
{
	char msg[512];
	int rc;

	fw_config_defaults(cfg);
	if (src->file != NULL && (rc = fw_config_load_file(cfg, src->file, err, errlen)) != FW_OK)
		return rc;
	for (int i = 0; i < src->nsets; i++)
		if ((rc = fw_config_set(cfg, src->sets[i], err, errlen)) != FW_OK)
			return rc;
	if ((rc = fw_config_validate_all(cfg, module_checks, sizeof(module_checks) / sizeof(module_checks[0]),
	    msg, sizeof(msg))) != FW_OK) {
		char where[FW_CFG_STR_MAX + 300];

		fw_config_locate(src->file, src->sets, src->nsets, msg, where, sizeof(where));
		snprintf(err, errlen, "%s%s", where, msg);
		return rc;
	}
	return FW_OK;
}

int
cli_load_config(const char *cmd, int argc, char **argv, struct fw_config *cfg,
    const char **config_name, char **pos, int *npos)
{
	struct sources src;
	char err[1024];
	int rc = parse_args(cmd, argc, argv, &src, pos, npos);

	if (rc != 0)
		return rc;
	*config_name = src.file != NULL ? src.file : "built-in defaults";
	if (build(&src, cfg, err, sizeof(err)) != FW_OK) {
		fprintf(stderr, "floodwatch %s: %s\n", cmd, err);
		return EXIT_USAGE;
	}
	fw_log_set_level((enum fw_log_level)fw_log_level_parse(cfg->log_level));
	return 0;
}

void
cli_config_digest(const struct fw_config *cfg, char out[17])
{
	char *text = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&text, &len);
	uint64_t h = 0xcbf29ce484222325ULL;

	out[0] = '\0';
	if (mem == NULL)
		return;
	fw_config_print(cfg, mem);
	fclose(mem);
	for (size_t i = 0; text != NULL && i < len; i++)
		h = (h ^ (unsigned char)text[i]) * 0x100000001b3ULL;
	snprintf(out, 17, "%016llx", (unsigned long long)h);
	free(text);
}

int
cli_reload_config(int argc, char **argv, struct fw_config *cfg, char *err, size_t errlen)
{
	struct sources src;
	char *pos[256];
	int npos;

	if (argc > 256 || parse_args("run", argc, argv, &src, pos, &npos) != 0) {
		snprintf(err, errlen, "the command line no longer parses");  /* it did at start */
		return FW_EINVAL;
	}
	return build(&src, cfg, err, errlen);
}
