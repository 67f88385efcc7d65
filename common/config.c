/*
 * config.c - configuration table, INI parsing (libinih) and overrides.
 *
 * One table, `keys`, drives defaults, parsing, --set, printing and the docs
 * test.  libinih does not pass line numbers to the handler unless built with
 * INI_HANDLER_LINENO, which Debian's is not, so we feed it through
 * ini_parse_stream() with a reader that counts the lines it hands over.
 */
#include "fw_config.h"

#include <errno.h>
#include <ini.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fw_detect.h"
#include "fw_log.h"

enum key_type { KT_INT, KT_DBL, KT_STR, KT_LOGLEVEL };

struct key {
	const char *section;
	const char *name;
	enum key_type type;
	size_t offset;
	size_t size;          /* KT_STR: buffer size */
	const char *def;      /* default, as text */
	double min, max;      /* KT_INT / KT_DBL bounds */
};

#define OFF(f) offsetof(struct fw_config, f), sizeof(((struct fw_config *)0)->f)

static const struct key keys[] = {
	{ "general", "log_level", KT_LOGLEVEL, OFF(log_level), "info", 0, 0 },
	{ "listen", "netflow", KT_STR, OFF(listen_netflow), "[::]:2055", 0, 0 },
	{ "listen", "ipfix", KT_STR, OFF(listen_ipfix), "[::]:4739", 0, 0 },
	{ "listen", "sflow", KT_STR, OFF(listen_sflow), "[::]:6343", 0, 0 },
	{ "listen", "rcvbuf_bytes", KT_INT, OFF(listen_rcvbuf_bytes), "33554432", 65536, 1 << 30 },
	{ "listen", "batch", KT_INT, OFF(listen_batch), "64", 1, 1024 },
	{ "pipeline", "ring_slots", KT_INT, OFF(ring_slots), "65536", 64, 1 << 24 },
	{ "pipeline", "alert_slots", KT_INT, OFF(alert_slots), "1024", 16, 1 << 16 },
	{ "detector", "window_ms", KT_INT, OFF(window_ms), "1000", 100, 60000 },
	{ "detector", "lateness_ms", KT_INT, OFF(lateness_ms), "3000", 0, 60000 },
	{ "detector", "max_victims", KT_INT, OFF(max_victims), "65536", 16, 1 << 24 },
	{ "detector", "warmup_windows", KT_INT, OFF(warmup_windows), "10", 0, 100000 },
	{ "detector", "ewma_alpha", KT_DBL, OFF(ewma_alpha), "0.05", 0.0001, 1 },
	{ "detector", "min_pps", KT_DBL, OFF(min_pps), "50", 0, 1e12 },
	{ "detector", "min_bps", KT_DBL, OFF(min_bps), "0", 0, 1e15 },
	{ "detector", "multiplier", KT_DBL, OFF(multiplier), "4", 1, 1e6 },
	{ "detector", "zscore", KT_DBL, OFF(zscore), "6", 0, 1e6 },
	{ "detector", "start_windows", KT_INT, OFF(start_windows), "3", 1, 3600 },
	{ "detector", "end_windows", KT_INT, OFF(end_windows), "10", 1, 86400 },
	{ "detector", "update_windows", KT_INT, OFF(update_windows), "10", 1, 86400 },
	{ "detector", "networks", KT_STR, OFF(networks), "", 0, 0 },
	{ "detector", "auto_prefix_v4", KT_INT, OFF(auto_prefix_v4), "24", 0, 32 },
	{ "detector", "auto_prefix_v6", KT_INT, OFF(auto_prefix_v6), "64", 0, 128 },
	{ "detector", "dominance", KT_DBL, OFF(dominance), "0.5", 0.01, 1 },
	{ "detector", "max_details", KT_INT, OFF(max_details), "4096", 16, 1 << 20 },
	{ "detector", "idle_windows", KT_INT, OFF(idle_windows), "600", 1, 1 << 20 },
	{ "detector", "hysteresis", KT_DBL, OFF(hysteresis), "0.5", 0.01, 1 },
	{ "detector", "cooldown_windows", KT_INT, OFF(cooldown_windows), "30", 0, 86400 },
	{ "detector", "min_fps", KT_DBL, OFF(min_fps), "0", 0, 1e12 },
	{ "dns", "zones", KT_STR, OFF(dns_zones), "", 0, 0 },
	{ "dns", "exclude", KT_STR, OFF(dns_exclude), "", 0, 0 },
	{ "dns", "max_zones", KT_INT, OFF(dns_max_zones), "16384", 16, 1 << 22 },
	{ "dns", "detail_zones", KT_INT, OFF(dns_detail_zones), "128", 1, 1 << 16 },
	{ "dns", "distinct_cap", KT_INT, OFF(dns_distinct_cap), "4096", 16, 1 << 20 },
	{ "dns", "min_qps", KT_DBL, OFF(dns_min_qps), "20", 0, 1e12 },
	{ "dns", "multiplier", KT_DBL, OFF(dns_multiplier), "4", 1, 1e6 },
	{ "dns", "wt_max_ratio", KT_DBL, OFF(dns_wt_max_ratio), "2", 1, 1e6 },
	{ "dns", "flood_min_repeat", KT_DBL, OFF(dns_flood_min_repeat), "4", 1, 1e6 },
	{ "sqlite", "path", KT_STR, OFF(sqlite_path), "./var/floodwatch.db", 0, 0 },
	{ "kafka", "brokers", KT_STR, OFF(kafka_brokers), "", 0, 0 },
	{ "kafka", "topic", KT_STR, OFF(kafka_topic), "floodwatch.alerts", 0, 0 },
};

#define NKEYS (sizeof(keys) / sizeof(keys[0]))

static const struct key *
find_key(const char *section, const char *name, int *section_known)
{
	*section_known = 0;
	for (size_t i = 0; i < NKEYS; i++) {
		if (strcmp(keys[i].section, section) != 0)
			continue;
		*section_known = 1;
		if (strcmp(keys[i].name, name) == 0)
			return &keys[i];
	}
	return NULL;
}

/* Store text into the field; 0 or a message in err. */
static int
apply(struct fw_config *cfg, const struct key *k, const char *value, char *err, size_t errlen)
{
	char *field = (char *)cfg + k->offset;
	char *endp;

	switch (k->type) {
	case KT_INT: {
		long long v;

		errno = 0;
		v = strtoll(value, &endp, 10);
		if (errno != 0 || endp == value || *endp != '\0') {
			snprintf(err, errlen, "%s.%s: '%s' is not an integer", k->section, k->name, value);
			return -1;
		}
		if ((double)v < k->min || (double)v > k->max) {
			snprintf(err, errlen, "%s.%s: %lld is out of range [%.0f, %.0f]",
			    k->section, k->name, v, k->min, k->max);
			return -1;
		}
		*(int64_t *)(void *)field = v;
		return 0;
	}
	case KT_DBL: {
		double v;

		errno = 0;
		v = strtod(value, &endp);
		if (errno != 0 || endp == value || *endp != '\0' || !isfinite(v)) {
			snprintf(err, errlen, "%s.%s: '%s' is not a number", k->section, k->name, value);
			return -1;
		}
		if (v < k->min || v > k->max) {
			snprintf(err, errlen, "%s.%s: %g is out of range [%g, %g]",
			    k->section, k->name, v, k->min, k->max);
			return -1;
		}
		*(double *)(void *)field = v;
		return 0;
	}
	case KT_LOGLEVEL:
		if (fw_log_level_parse(value) < 0) {
			snprintf(err, errlen, "%s.%s: '%s' is not one of error, warn, info, debug",
			    k->section, k->name, value);
			return -1;
		}
		/* FALLTHROUGH */
	case KT_STR:
		if (strlen(value) >= k->size) {
			snprintf(err, errlen, "%s.%s: value longer than %zu bytes",
			    k->section, k->name, k->size - 1);
			return -1;
		}
		memcpy(field, value, strlen(value) + 1);
		return 0;
	}
	return -1;
}

void
fw_config_defaults(struct fw_config *cfg)
{
	char err[256];

	memset(cfg, 0, sizeof(*cfg));
	for (size_t i = 0; i < NKEYS; i++) {
		int rc = apply(cfg, &keys[i], keys[i].def, err, sizeof(err));
		(void)rc;  /* defaults are checked by the config unit test */
	}
}

struct parse_ctx {
	struct fw_config *cfg;
	const char *name;        /* file name for messages */
	int line;                /* lines handed to inih so far */
	char *err;
	size_t errlen;
	int failed;
	/* source: either a FILE or a string cursor */
	FILE *fp;
	const char *s;
};

static char *
reader(char *buf, int size, void *stream)
{
	struct parse_ctx *pc = stream;
	char *r;

	if (pc->fp != NULL) {
		r = fgets(buf, size, pc->fp);
	} else {
		size_t n = 0;

		if (*pc->s == '\0')
			return NULL;
		while (pc->s[n] != '\0' && pc->s[n] != '\n' && n + 2 < (size_t)size)
			n++;
		if (pc->s[n] == '\n')
			n++;
		memcpy(buf, pc->s, n);
		buf[n] = '\0';
		pc->s += n;
		r = buf;
	}
	if (r != NULL && strchr(r, '\n') != NULL)
		pc->line++;
	else if (r != NULL)
		pc->line++;  /* last line without newline (or an over-long line) */
	return r;
}

static int
handler(void *user, const char *section, const char *name, const char *value)
{
	struct parse_ctx *pc = user;
	const struct key *k;
	int section_known;
	char msg[256];

	if (pc->failed)
		return 0;
	k = find_key(section, name, &section_known);
	if (k == NULL) {
		if (!section_known)
			snprintf(msg, sizeof(msg), "unknown section [%s] (key '%s')", section, name);
		else
			snprintf(msg, sizeof(msg), "unknown key '%s' in section [%s]", name, section);
	} else if (apply(pc->cfg, k, value, msg, sizeof(msg)) == 0) {
		return 1;
	}
	snprintf(pc->err, pc->errlen, "%s:%d: %s", pc->name, pc->line, msg);
	pc->failed = 1;
	return 0;
}

static int
parse(struct parse_ctx *pc)
{
	int rc = ini_parse_stream(reader, pc, handler, pc);

	if (pc->failed)
		return FW_EINVAL;
	if (rc != 0) {
		snprintf(pc->err, pc->errlen, "%s:%d: syntax error (expected [section] or key = value)",
		    pc->name, rc > 0 ? rc : pc->line);
		return FW_EINVAL;
	}
	return FW_OK;
}

int
fw_config_load_file(struct fw_config *cfg, const char *path, char *err, size_t errlen)
{
	struct parse_ctx pc = { cfg, path, 0, err, errlen, 0, NULL, NULL };
	int rc;

	if ((pc.fp = fopen(path, "r")) == NULL) {
		rc = errno == ENOENT ? FW_ENOENT : FW_EIO;
		snprintf(err, errlen, "%s: cannot open config: %s", path, strerror(errno));
		return rc;
	}
	rc = parse(&pc);
	if (rc == FW_OK && ferror(pc.fp)) {
		snprintf(err, errlen, "%s: read error", path);
		rc = FW_EIO;
	}
	fclose(pc.fp);
	return rc;
}

int
fw_config_load_string(struct fw_config *cfg, const char *text, const char *name,
    char *err, size_t errlen)
{
	struct parse_ctx pc = { cfg, name, 0, err, errlen, 0, NULL, text };

	return parse(&pc);
}

int
fw_config_set(struct fw_config *cfg, const char *assignment, char *err, size_t errlen)
{
	char section[64], name[64], msg[256];
	const char *dot = strchr(assignment, '.'), *eq = strchr(assignment, '=');
	const struct key *k;
	int section_known;

	if (dot == NULL || eq == NULL || dot > eq || dot == assignment || eq == dot + 1 ||
	    (size_t)(dot - assignment) >= sizeof(section) || (size_t)(eq - dot - 1) >= sizeof(name)) {
		snprintf(err, errlen, "--set %s: expected SECTION.KEY=VALUE", assignment);
		return FW_EINVAL;
	}
	memcpy(section, assignment, (size_t)(dot - assignment));
	section[dot - assignment] = '\0';
	memcpy(name, dot + 1, (size_t)(eq - dot - 1));
	name[eq - dot - 1] = '\0';
	k = find_key(section, name, &section_known);
	if (k == NULL) {
		if (!section_known)
			snprintf(err, errlen, "--set: unknown section [%s] (key '%s.%s')", section, section, name);
		else
			snprintf(err, errlen, "--set: unknown key '%s.%s'", section, name);
		return FW_EINVAL;
	}
	if (apply(cfg, k, eq + 1, msg, sizeof(msg)) != 0) {
		snprintf(err, errlen, "--set %s", msg);
		return FW_EINVAL;
	}
	return FW_OK;
}

int
fw_config_validate(const struct fw_config *cfg, char *err, size_t errlen)
{
	if (cfg->lateness_ms > 4 * cfg->window_ms) {
		snprintf(err, errlen, "detector.lateness_ms (%lld) may be at most 4 x detector.window_ms (%lld)",
		    (long long)cfg->lateness_ms, (long long)cfg->window_ms);
		return FW_EINVAL;
	}
	if (cfg->sqlite_path[0] == '\0') {
		snprintf(err, errlen, "sqlite.path: must not be empty");
		return FW_EINVAL;
	}
	if (cfg->kafka_brokers[0] != '\0' && cfg->kafka_topic[0] == '\0') {
		snprintf(err, errlen, "kafka.topic: must not be empty when kafka.brokers is set");
		return FW_EINVAL;
	}
	/* detector.networks, dns.zones, dns.exclude: parsed by their owner. */
	return fw_detect_check_config(cfg, err, errlen);
}

void
fw_config_print(const struct fw_config *cfg, FILE *out)
{
	const char *section = "";

	for (size_t i = 0; i < NKEYS; i++) {
		const struct key *k = &keys[i];
		const char *field = (const char *)cfg + k->offset;

		if (strcmp(section, k->section) != 0) {
			fprintf(out, "%s[%s]\n", i ? "\n" : "", k->section);
			section = k->section;
		}
		switch (k->type) {
		case KT_INT:
			fprintf(out, "%s = %lld\n", k->name, (long long)*(const int64_t *)(const void *)field);
			break;
		case KT_DBL:
			fprintf(out, "%s = %g\n", k->name, *(const double *)(const void *)field);
			break;
		case KT_STR:
		case KT_LOGLEVEL:
			fprintf(out, "%s = %s\n", k->name, field);
			break;
		}
	}
}
