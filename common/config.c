/*
 * config.c - configuration table, INI parsing (libinih) and overrides.
 *
 * One table, `keys`, drives defaults, parsing, --set, printing, the docs
 * test and floodwatch.conf(5) (fw_config_print_keys).  libinih does not pass line numbers to the handler unless built with
 * INI_HANDLER_LINENO, which Debian's is not, so we feed it through
 * ini_parse_stream() with a reader that counts the lines it hands over.
 *
 * A key set twice in one file is an error (libinih would let the last one
 * win silently, hiding a typo'd copy); --set overrides may repeat, the last
 * wins.  Listen addresses are checked here (fw_endpoint.h), so a bad one is
 * reported with its line, not by a failed bind.  Errors found later by
 * fw_config_validate() are placed by fw_config_locate().
 */
#include "fw_config.h"

#include <errno.h>
#include <ini.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fw_endpoint.h"
#include "fw_log.h"
#include "fw_prefix.h"

enum key_type { KT_INT, KT_DBL, KT_STR, KT_LOGLEVEL, KT_BOOL, KT_ADDRS /* KT_STR of listen addresses */ };

/* What SIGHUP may change (fw_config_reload_merge): RESTART keys size tables,
 * own sockets, files or threads made at start. */
enum key_reload { RESTART, RELOAD };

struct key {
	const char *section;
	const char *name;
	enum key_type type;
	enum key_reload reload;
	size_t offset;
	size_t size;          /* KT_STR: buffer size */
	const char *def;      /* default, as text */
	double min, max;      /* KT_INT / KT_DBL bounds */
};

#define OFF(f) offsetof(struct fw_config, f), sizeof(((struct fw_config *)0)->f)

static const struct key keys[] = {
	{ "general", "log_level", KT_LOGLEVEL, RELOAD, OFF(log_level), "info", 0, 0 },
	{ "general", "user", KT_STR, RESTART, OFF(general_user), "nobody", 0, 0 },
	{ "general", "group", KT_STR, RESTART, OFF(general_group), "", 0, 0 },
	{ "general", "allow_root", KT_BOOL, RESTART, OFF(general_allow_root), "no", 0, 0 },
	{ "listen", "netflow", KT_ADDRS, RESTART, OFF(listen_netflow), "[::]:2055", 0, 0 },
	{ "listen", "ipfix", KT_ADDRS, RESTART, OFF(listen_ipfix), "[::]:4739", 0, 0 },
	{ "listen", "sflow", KT_ADDRS, RESTART, OFF(listen_sflow), "[::]:6343", 0, 0 },
	{ "listen", "rcvbuf_bytes", KT_INT, RESTART, OFF(listen_rcvbuf_bytes), "33554432", 65536, 1 << 30 },
	{ "listen", "batch", KT_INT, RESTART, OFF(listen_batch), "64", 1, 1024 },
	{ "listen", "workers", KT_INT, RESTART, OFF(listen_workers), "1", 1, 16 },
	{ "listen", "allow", KT_STR, RESTART, OFF(listen_allow), "", 0, 0 },
	{ "flow", "default_sampling", KT_INT, RESTART, OFF(flow_default_sampling), "1", 1, 1000000 },
	{ "flow", "sampling_override", KT_STR, RESTART, OFF(flow_sampling_override), "", 0, 0 },
	{ "flow", "template_timeout_ms", KT_INT, RESTART, OFF(flow_template_timeout_ms), "1800000", 0, 86400000 },
	{ "flow", "max_templates", KT_INT, RESTART, OFF(flow_max_templates), "4096", 16, 1 << 20 },
	{ "flow", "max_templates_per_exporter", KT_INT, RESTART, OFF(flow_max_templates_per_exporter), "256", 1, 1 << 20 },
	{ "flow", "max_exporters", KT_INT, RESTART, OFF(flow_max_exporters), "1024", 1, 1 << 16 },
	{ "flow", "pending_slots", KT_INT, RESTART, OFF(flow_pending_slots), "16", 0, 1024 },
	{ "flow", "template_state", KT_STR, RESTART, OFF(flow_template_state), "./var/templates", 0, 0 },
	{ "pipeline", "ring_slots", KT_INT, RESTART, OFF(ring_slots), "65536", 64, 1 << 24 },
	{ "pipeline", "alert_slots", KT_INT, RESTART, OFF(alert_slots), "1024", 16, 1 << 16 },
	{ "detector", "shards", KT_INT, RESTART, OFF(detector_shards), "0", 0, 64 },
	{ "detector", "state_file", KT_STR, RESTART, OFF(detector_state_file), "./var/detector.state", 0, 0 },
	{ "detector", "state_interval_ms", KT_INT, RELOAD, OFF(detector_state_interval_ms), "300000", 0, 86400000 },
	{ "detector", "window_ms", KT_INT, RESTART, OFF(window_ms), "1000", 100, 60000 },
	{ "detector", "lateness_ms", KT_INT, RESTART, OFF(lateness_ms), "3000", 0, 60000 },
	{ "detector", "max_lateness_ms", KT_INT, RESTART, OFF(max_lateness_ms), "20000", 0, 600000 },
	{ "detector", "max_victims", KT_INT, RESTART, OFF(max_victims), "65536", 16, 1 << 24 },
	{ "detector", "warmup_windows", KT_INT, RELOAD, OFF(warmup_windows), "10", 0, 100000 },
	{ "detector", "warmup_pps", KT_DBL, RELOAD, OFF(warmup_pps), "50000", 0, 1e12 },
	{ "detector", "ewma_alpha", KT_DBL, RELOAD, OFF(ewma_alpha), "0.05", 0.0001, 1 },
	{ "detector", "min_pps", KT_DBL, RELOAD, OFF(min_pps), "50", 0, 1e12 },
	{ "detector", "min_bps", KT_DBL, RELOAD, OFF(min_bps), "0", 0, 1e15 },
	{ "detector", "multiplier", KT_DBL, RELOAD, OFF(multiplier), "4", 1, 1e6 },
	{ "detector", "zscore", KT_DBL, RELOAD, OFF(zscore), "6", 0, 1e6 },
	{ "detector", "start_windows", KT_INT, RELOAD, OFF(start_windows), "3", 1, 3600 },
	{ "detector", "end_windows", KT_INT, RELOAD, OFF(end_windows), "10", 1, 86400 },
	{ "detector", "update_windows", KT_INT, RELOAD, OFF(update_windows), "10", 1, 86400 },
	{ "detector", "networks", KT_STR, RELOAD, OFF(networks), "", 0, 0 },
	{ "detector", "auto_prefix_v4", KT_INT, RELOAD, OFF(auto_prefix_v4), "24", 0, 32 },
	{ "detector", "auto_prefix_v6", KT_INT, RELOAD, OFF(auto_prefix_v6), "64", 0, 128 },
	{ "detector", "dominance", KT_DBL, RELOAD, OFF(dominance), "0.5", 0.01, 1 },
	{ "detector", "max_details", KT_INT, RESTART, OFF(max_details), "4096", 16, 1 << 20 },
	{ "detector", "idle_windows", KT_INT, RELOAD, OFF(idle_windows), "600", 1, 1 << 20 },
	{ "detector", "hysteresis", KT_DBL, RELOAD, OFF(hysteresis), "0.5", 0.01, 1 },
	{ "detector", "cooldown_windows", KT_INT, RELOAD, OFF(cooldown_windows), "30", 0, 86400 },
	{ "detector", "min_fps", KT_DBL, RELOAD, OFF(min_fps), "0", 0, 1e12 },
	{ "detector", "seasonality", KT_BOOL, RELOAD, OFF(seasonality), "yes", 0, 0 },
	{ "detector", "min_samples", KT_DBL, RELOAD, OFF(min_samples), "6", 0, 1e6 },
	{ "detector", "single_source_share", KT_DBL, RELOAD, OFF(single_source_share), "0.8", 0, 1 },
	{ "detector", "min_sources", KT_DBL, RELOAD, OFF(min_sources), "8", 0, 1000 },
	{ "dns", "querylog", KT_STR, RESTART, OFF(dns_querylog), "", 0, 0 },
	{ "dns", "querylog_timezone", KT_STR, RESTART, OFF(dns_querylog_timezone), "localtime", 0, 0 },
	{ "dns", "dnstap_socket", KT_STR, RESTART, OFF(dns_dnstap_socket), "", 0, 0 },
	{ "dns", "dnstap_socket_mode", KT_STR, RESTART, OFF(dns_dnstap_socket_mode), "0660", 0, 0 },
	{ "dns", "dnstap_max_clients", KT_INT, RESTART, OFF(dns_dnstap_max_clients), "64", 1, 4096 },
	{ "dns", "dnstap_handshake_timeout_ms", KT_INT, RESTART, OFF(dns_dnstap_handshake_timeout_ms), "5000", 1, 3600000 },
	{ "dns", "nflog_group", KT_INT, RESTART, OFF(dns_nflog_group), "-1", -1, 65535 },
	{ "dns", "reassembly_slots", KT_INT, RESTART, OFF(dns_reassembly_slots), "64", 0, 65536 },
	{ "dns", "reassembly_timeout_ms", KT_INT, RESTART, OFF(dns_reassembly_timeout_ms), "30000", 1, 600000 },
	{ "dns", "tcp_flows", KT_INT, RESTART, OFF(dns_tcp_flows), "1024", 0, 1 << 20 },
	{ "dns", "tcp_idle_timeout_ms", KT_INT, RESTART, OFF(dns_tcp_idle_timeout_ms), "60000", 1, 3600000 },
	{ "dns", "zones", KT_STR, RELOAD, OFF(dns_zones), "", 0, 0 },
	{ "dns", "exclude", KT_STR, RELOAD, OFF(dns_exclude), "", 0, 0 },
	{ "dns", "max_zones", KT_INT, RESTART, OFF(dns_max_zones), "16384", 16, 1 << 22 },
	{ "dns", "detail_zones", KT_INT, RESTART, OFF(dns_detail_zones), "128", 1, 1 << 16 },
	{ "dns", "distinct_cap", KT_INT, RESTART, OFF(dns_distinct_cap), "4096", 16, 1 << 20 },
	{ "dns", "min_qps", KT_DBL, RELOAD, OFF(dns_min_qps), "20", 0, 1e12 },
	{ "dns", "warmup_qps", KT_DBL, RELOAD, OFF(dns_warmup_qps), "10000", 0, 1e12 },
	{ "dns", "multiplier", KT_DBL, RELOAD, OFF(dns_multiplier), "4", 1, 1e6 },
	{ "dns", "wt_max_ratio", KT_DBL, RELOAD, OFF(dns_wt_max_ratio), "2", 1, 1e6 },
	{ "dns", "flood_min_repeat", KT_DBL, RELOAD, OFF(dns_flood_min_repeat), "4", 1, 1e6 },
	{ "dns", "min_distinct", KT_DBL, RELOAD, OFF(dns_min_distinct), "10", 0, 1e9 },
	{ "dns", "min_clients", KT_INT, RELOAD, OFF(dns_min_clients), "3", 1, 9 },
	{ "sqlite", "path", KT_STR, RESTART, OFF(sqlite_path), "./var/floodwatch.db", 0, 0 },
	{ "sqlite", "retention_days", KT_INT, RELOAD, OFF(sqlite_retention_days), "90", 0, 36500 },
	{ "sqlite", "backlog_events", KT_INT, RESTART, OFF(sqlite_backlog_events), "4096", 16, 1 << 20 },
	{ "sqlite", "retry_max_ms", KT_INT, RESTART, OFF(sqlite_retry_max_ms), "10000", 100, 3600000 },
	{ "sqlite", "flush_timeout_ms", KT_INT, RESTART, OFF(sqlite_flush_timeout_ms), "5000", 0, 3600000 },
	{ "stats", "interval_ms", KT_INT, RELOAD, OFF(stats_interval_ms), "60000", 1000, 86400000 },
	{ "stats", "retention_days", KT_INT, RELOAD, OFF(stats_retention_days), "7", 0, 36500 },
	{ "stats", "exporters", KT_INT, RESTART, OFF(stats_exporters), "32", 0, 256 },
	{ "http", "listen", KT_ADDRS, RESTART, OFF(http_listen), "127.0.0.1:8080", 0, 0 },
	{ "http", "tls_cert", KT_STR, RESTART, OFF(http_tls_cert), "", 0, 0 },
	{ "http", "tls_key", KT_STR, RESTART, OFF(http_tls_key), "", 0, 0 },
	{ "http", "token_file", KT_STR, RESTART, OFF(http_token_file), "", 0, 0 },
	{ "http", "basic_auth_file", KT_STR, RESTART, OFF(http_basic_auth_file), "", 0, 0 },
	{ "http", "max_connections", KT_INT, RESTART, OFF(http_max_connections), "32", 1, 4096 },
	{ "http", "timeout_ms", KT_INT, RESTART, OFF(http_timeout_ms), "10000", 1000, 3600000 },
	{ "http", "max_request_bytes", KT_INT, RESTART, OFF(http_max_request_bytes), "16384", 4096, 1048576 },
	{ "kafka", "brokers", KT_STR, RESTART, OFF(kafka_brokers), "", 0, 0 },
	{ "kafka", "topic", KT_STR, RESTART, OFF(kafka_topic), "floodwatch.alerts", 0, 0 },
	{ "kafka", "flush_timeout_ms", KT_INT, RESTART, OFF(kafka_flush_timeout_ms), "10000", 0, 3600000 },
	{ "cluster", "role", KT_STR, RESTART, OFF(cluster_role), "standalone", 0, 0 },
	{ "cluster", "records_topic", KT_STR, RESTART, OFF(cluster_records_topic), "floodwatch.records", 0, 0 },
	{ "cluster", "state_topic", KT_STR, RESTART, OFF(cluster_state_topic), "floodwatch.state", 0, 0 },
	{ "cluster", "group_id", KT_STR, RESTART, OFF(cluster_group_id), "floodwatch-detectors", 0, 0 },
	{ "cluster", "store_group_id", KT_STR, RESTART, OFF(cluster_store_group_id), "floodwatch-store", 0, 0 },
	{ "cluster", "member_name", KT_STR, RESTART, OFF(cluster_member_name), "", 0, 0 },
	{ "cluster", "batch_records", KT_INT, RESTART, OFF(cluster_batch_records), "1024", 1, 65536 },
	{ "cluster", "linger_ms", KT_INT, RESTART, OFF(cluster_linger_ms), "20", 0, 10000 },
	{ "cluster", "watermark_ms", KT_INT, RESTART, OFF(cluster_watermark_ms), "200", 10, 60000 },
	{ "cluster", "checkpoint_ms", KT_INT, RESTART, OFF(cluster_checkpoint_ms), "10000", 100, 3600000 },
	{ "cluster", "idle_partition_ms", KT_INT, RESTART, OFF(cluster_idle_partition_ms), "5000", 100, 3600000 },
	{ "cluster", "session_timeout_ms", KT_INT, RESTART, OFF(cluster_session_timeout_ms), "6000", 1000, 3600000 },
	{ "notify", "exec", KT_STR, RELOAD, OFF(notify_exec), "", 0, 0 },
	{ "notify", "timeout_ms", KT_INT, RELOAD, OFF(notify_timeout_ms), "10000", 10, 3600000 },
	{ "notify", "max_running", KT_INT, RESTART, OFF(notify_max_running), "4", 1, 64 },
	{ "notify", "queue", KT_INT, RESTART, OFF(notify_queue), "256", 1, 65536 },
	{ "notify", "shutdown_ms", KT_INT, RELOAD, OFF(notify_shutdown_ms), "10000", 0, 3600000 },
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

#define RDKAFKA_PREFIX "rdkafka."

/* [kafka] rdkafka.NAME = VALUE: kept for librdkafka, which validates it. */
static int
set_kafka_prop(struct fw_config *cfg, const char *name, const char *value, char *err, size_t errlen)
{
	const char *prop = name + strlen(RDKAFKA_PREFIX);
	int i;

	if (*prop == '\0' || strlen(prop) >= sizeof(cfg->kafka_prop_key[0]) ||
	    strlen(value) >= sizeof(cfg->kafka_prop_val[0])) {
		snprintf(err, errlen, "kafka.%s: empty or too long", name);
		return -1;
	}
	for (i = 0; i < cfg->kafka_nprops; i++)
		if (strcmp(cfg->kafka_prop_key[i], prop) == 0)
			break;
	if (i == FW_CFG_KAFKA_PROPS) {
		snprintf(err, errlen, "kafka.%s: more than %d rdkafka.* keys", name, FW_CFG_KAFKA_PROPS);
		return -1;
	}
	if (i == cfg->kafka_nprops)
		cfg->kafka_nprops++;
	snprintf(cfg->kafka_prop_key[i], sizeof(cfg->kafka_prop_key[i]), "%s", prop);
	snprintf(cfg->kafka_prop_val[i], sizeof(cfg->kafka_prop_val[i]), "%s", value);
	return 0;
}

static int
is_kafka_prop(const char *section, const char *name)
{
	return strcmp(section, "kafka") == 0 && strncmp(name, RDKAFKA_PREFIX, strlen(RDKAFKA_PREFIX)) == 0;
}

/* Store text into the field; 0 or a message in err. */
static int
apply(struct fw_config *cfg, const struct key *k, const char *value, char *err, size_t errlen)
{
	char *field = (char *)cfg + k->offset;
	char *endp, msg[200];

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
	case KT_BOOL:
		if (strcasecmp(value, "yes") == 0 || strcasecmp(value, "true") == 0 || strcmp(value, "1") == 0) {
			*(bool *)(void *)field = true;
		} else if (strcasecmp(value, "no") == 0 || strcasecmp(value, "false") == 0 || strcmp(value, "0") == 0) {
			*(bool *)(void *)field = false;
		} else {
			snprintf(err, errlen, "%s.%s: '%s' is not yes or no", k->section, k->name, value);
			return -1;
		}
		return 0;
	case KT_ADDRS:
		if (fw_endpoint_list_check(value, msg, sizeof(msg)) != FW_OK) {
			snprintf(err, errlen, "%s.%s: %s", k->section, k->name, msg);
			return -1;
		}
		goto store;
	case KT_LOGLEVEL:
		if (fw_log_level_parse(value) < 0) {
			snprintf(err, errlen, "%s.%s: '%s' is not one of error, warn, info, debug",
			    k->section, k->name, value);
			return -1;
		}
		/* FALLTHROUGH */
	case KT_STR:
	store:
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
	int fail_line;           /* line of the handler's error, when failed */
	int long_line;           /* first over-long line (0 = none) */
	int max_line;            /* longest line inih takes, characters */
	/* source: either a FILE or a string cursor */
	FILE *fp;
	const char *s;
	int key_line[NKEYS];     /* line that set each key in this file (0 = not yet) */
	int nprops0;             /* rdkafka.* keys set before this file */
};

/* A comment line may be over-long harmlessly; anything else may not. */
static int
is_comment(const char *line)
{
	line += strspn(line, " \t");
	return *line == ';' || *line == '#';
}

/*
 * Hand inih one physical line.  A line longer than inih's buffer would be
 * cut, its head parsed as a (truncated) value and its tail as the next line,
 * so the tail is discarded here and the line remembered as too long.
 */
static char *
reader(char *buf, int size, void *stream)
{
	struct parse_ctx *pc = stream;
	int too_long = 0;
	char *r;

	if (pc->fp != NULL) {
		size_t got;

		if ((r = fgets(buf, size, pc->fp)) == NULL)
			return NULL;
		got = strlen(r);
		if (got == (size_t)size - 1 && r[got - 1] != '\n') {
			int ch = fgetc(pc->fp);

			/* Exactly full and the newline is next: not too long. */
			if (ch != '\n' && ch != EOF) {
				too_long = 1;
				while ((ch = fgetc(pc->fp)) != '\n' && ch != EOF)
					;
			}
		}
	} else {
		size_t n = 0;

		if (*pc->s == '\0')
			return NULL;
		while (pc->s[n] != '\0' && pc->s[n] != '\n' && n + 2 < (size_t)size)
			n++;
		if (pc->s[n] == '\n')
			n++;
		else if (pc->s[n] != '\0')
			too_long = 1;
		memcpy(buf, pc->s, n);
		buf[n] = '\0';
		pc->s += n;
		if (too_long) {
			pc->s += strcspn(pc->s, "\n");
			if (*pc->s == '\n')
				pc->s++;
		}
		r = buf;
	}
	pc->line++;
	if (too_long && !is_comment(r) && pc->long_line == 0) {
		pc->long_line = pc->line;
		pc->max_line = size - 2;
	}
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
	if (is_kafka_prop(section, name)) {
		int dup = 0;

		for (int i = pc->nprops0; i < pc->cfg->kafka_nprops; i++)
			dup |= strcmp(pc->cfg->kafka_prop_key[i], name + strlen(RDKAFKA_PREFIX)) == 0;
		if (dup)
			snprintf(msg, sizeof(msg), "duplicate key '%s' in section [%s] (each key may be set once)",
			    name, section);
		else if (set_kafka_prop(pc->cfg, name, value, msg, sizeof(msg)) == 0)
			return 1;
		snprintf(pc->err, pc->errlen, "%s:%d: %s", pc->name, pc->line, msg);
		pc->failed = 1;
		pc->fail_line = pc->line;
		return 0;
	}
	k = find_key(section, name, &section_known);
	if (pc->long_line == pc->line) {
		snprintf(msg, sizeof(msg), "line longer than %d characters (key '%s')", pc->max_line, name);
	} else if (k == NULL) {
		if (!section_known)
			snprintf(msg, sizeof(msg), "unknown section [%s] (key '%s')", section, name);
		else
			snprintf(msg, sizeof(msg), "unknown key '%s' in section [%s]", name, section);
	} else if (pc->key_line[k - keys] != 0) {
		snprintf(msg, sizeof(msg), "duplicate key '%s' in section [%s] (first set on line %d; each key "
		    "may be set once)", name, section, pc->key_line[k - keys]);
	} else if (apply(pc->cfg, k, value, msg, sizeof(msg)) == 0) {
		pc->key_line[k - keys] = pc->line;
		return 1;
	}
	snprintf(pc->err, pc->errlen, "%s:%d: %s", pc->name, pc->line, msg);
	pc->failed = 1;
	pc->fail_line = pc->line;
	return 0;
}

static int
parse(struct parse_ctx *pc)
{
	int rc;

	pc->nprops0 = pc->cfg->kafka_nprops;
	rc = ini_parse_stream(reader, pc, handler, pc);

	/* inih goes on after a syntax error and returns the first error's line;
	 * report that one when it comes before the handler's (a missing ']'
	 * otherwise shows up as "unknown section" on the next key). */
	if (pc->failed && (rc <= 0 || rc >= pc->fail_line))
		return FW_EINVAL;
	if (pc->long_line > 0 && (rc <= 0 || rc >= pc->long_line)) {
		snprintf(pc->err, pc->errlen, "%s:%d: line longer than %d characters",
		    pc->name, pc->long_line, pc->max_line);
		return FW_EINVAL;
	}
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
	struct parse_ctx pc = { .cfg = cfg, .name = path, .err = err, .errlen = errlen };
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
	struct parse_ctx pc = { .cfg = cfg, .name = name, .err = err, .errlen = errlen, .s = text };

	return parse(&pc);
}

int
fw_config_set(struct fw_config *cfg, const char *assignment, char *err, size_t errlen)
{
	char section[64], name[160], msg[256];
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
	if (is_kafka_prop(section, name)) {
		if (set_kafka_prop(cfg, name, eq + 1, msg, sizeof(msg)) == 0)
			return FW_OK;
		snprintf(err, errlen, "--set %s", msg);
		return FW_EINVAL;
	}
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
	{
		long n = fw_endpoint_list_count(cfg->listen_netflow) + fw_endpoint_list_count(cfg->listen_ipfix) +
		    fw_endpoint_list_count(cfg->listen_sflow);

		if (n * cfg->listen_workers > FW_CFG_LISTENERS_MAX) {
			snprintf(err, errlen, "listen.workers (%lld) x %ld listen addresses: more than %d sockets",
			    (long long)cfg->listen_workers, n, FW_CFG_LISTENERS_MAX);
			return FW_EINVAL;
		}
	}
	{
		struct fw_prefix_list l;
		char msg[200];

		if (fw_prefix_list_parse(cfg->listen_allow, &l, msg, sizeof(msg)) != FW_OK) {
			snprintf(err, errlen, "listen.allow: %s", msg);
			return FW_EINVAL;
		}
	}
	{
		char *end;
		long mode = strtol(cfg->dns_dnstap_socket_mode, &end, 8);

		if (end == cfg->dns_dnstap_socket_mode || *end != '\0' || mode < 0 || mode > 0777) {
			snprintf(err, errlen, "dns.dnstap_socket_mode: '%s' is not an octal file mode such as 0660",
			    cfg->dns_dnstap_socket_mode);
			return FW_EINVAL;
		}
	}
	if (fw_endpoint_list_count(cfg->http_listen) > 1) {
		snprintf(err, errlen, "http.listen: one address, not a list ('%s')", cfg->http_listen);
		return FW_EINVAL;
	}
	if ((cfg->http_tls_cert[0] == '\0') != (cfg->http_tls_key[0] == '\0')) {
		snprintf(err, errlen, "%s: http.tls_cert and http.tls_key go together (both set: HTTPS)",
		    cfg->http_tls_cert[0] == '\0' ? "http.tls_cert" : "http.tls_key");
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
	if (strcmp(cfg->cluster_role, "standalone") != 0 && strcmp(cfg->cluster_role, "collector") != 0 &&
	    strcmp(cfg->cluster_role, "detector") != 0) {
		snprintf(err, errlen, "cluster.role: '%s' is not standalone, collector or detector", cfg->cluster_role);
		return FW_EINVAL;
	}
	if (strcmp(cfg->cluster_role, "standalone") != 0 && cfg->kafka_brokers[0] == '\0') {
		snprintf(err, errlen, "cluster.role: '%s' needs kafka.brokers", cfg->cluster_role);
		return FW_EINVAL;
	}
	if (cfg->notify_exec[0] != '\0' && cfg->notify_exec[0] != '/') {
		/* Run without a shell or PATH search: the program is named exactly. */
		snprintf(err, errlen, "notify.exec: '%s' is not an absolute path", cfg->notify_exec);
		return FW_EINVAL;
	}
	/* flow.sampling_override, dns.querylog_timezone, detector.networks,
	 * dns.zones, dns.exclude: checked by their owners (fw_config_validate_all). */
	return FW_OK;
}

int
fw_config_validate_all(const struct fw_config *cfg, const fw_config_check_fn *checks, size_t nchecks,
    char *err, size_t errlen)
{
	int rc = fw_config_validate(cfg, err, errlen);

	for (size_t i = 0; rc == FW_OK && i < nchecks; i++)
		rc = checks[i](cfg, err, errlen);
	return rc;
}

/* ---- where a key got its value (for fw_config_validate's messages) ---- */

struct find_ctx {
	const struct parse_ctx *pc;  /* the reader's, for its line count */
	const struct key *k;
	int line;                    /* last line that set k */
};

static int
find_handler(void *user, const char *section, const char *name, const char *value)
{
	struct find_ctx *fc = user;

	(void)value;
	if (strcmp(section, fc->k->section) == 0 && strcmp(name, fc->k->name) == 0)
		fc->line = fc->pc->line;
	return 1;
}

static int
file_line_of(const char *path, const struct key *k)
{
	struct parse_ctx pc = { .name = path };
	struct find_ctx fc = { &pc, k, 0 };

	if ((pc.fp = fopen(path, "r")) == NULL)
		return 0;
	(void)ini_parse_stream(reader, &pc, find_handler, &fc);
	fclose(pc.fp);
	return fc.line;
}

/* Offset of "section.name" in msg as a whole word, or -1. */
static long
key_in(const char *msg, const struct key *k)
{
	char full[96];
	size_t n = (size_t)snprintf(full, sizeof(full), "%s.%s", k->section, k->name);

	for (const char *p = strstr(msg, full); p != NULL; p = strstr(p + 1, full)) {
		char after = p[n], before = p == msg ? ' ' : p[-1];

		if ((after == '\0' || strchr(" :(=,;'", after) != NULL) && strchr("._", before) == NULL &&
		    !(before >= 'a' && before <= 'z'))
			return p - msg;
	}
	return -1;
}

void
fw_config_locate(const char *file, const char *const *sets, int nsets, const char *msg,
    char *where, size_t wherelen)
{
	const struct key *best = NULL;
	long best_at = -1;

	/* The key named first in the message (the one it is about). */
	for (size_t i = 0; i < NKEYS; i++) {
		long at = key_in(msg, &keys[i]);

		if (at >= 0 && (best == NULL || at < best_at)) {
			best = &keys[i];
			best_at = at;
		}
	}
	if (best != NULL) {
		char full[96];
		size_t n = (size_t)snprintf(full, sizeof(full), "%s.%s=", best->section, best->name);

		for (int i = nsets - 1; i >= 0; i--) {   /* the last --set wins */
			if (strncmp(sets[i], full, n) == 0) {
				snprintf(where, wherelen, "--set %s: ", sets[i]);
				return;
			}
		}
		if (file != NULL) {
			int line = file_line_of(file, best);

			if (line > 0) {
				snprintf(where, wherelen, "%s:%d: ", file, line);
				return;
			}
		}
	}
	snprintf(where, wherelen, "%s: ", file != NULL ? file : "built-in defaults");
}

/* The value of key k in cfg as fw_config_print writes it. */
static void
format_value(const struct fw_config *cfg, const struct key *k, char *out, size_t outlen)
{
	const char *field = (const char *)cfg + k->offset;

	switch (k->type) {
	case KT_INT:
		snprintf(out, outlen, "%lld", (long long)*(const int64_t *)(const void *)field);
		return;
	case KT_DBL:
		snprintf(out, outlen, "%g", *(const double *)(const void *)field);
		return;
	case KT_BOOL:
		snprintf(out, outlen, "%s", *(const bool *)(const void *)field ? "yes" : "no");
		return;
	case KT_STR:
	case KT_LOGLEVEL:
	case KT_ADDRS:
		break;
	}
	snprintf(out, outlen, "%s", field);
}

static bool
same_value(const struct fw_config *a, const struct fw_config *b, const struct key *k)
{
	const char *fa = (const char *)a + k->offset, *fb = (const char *)b + k->offset;

	if (k->type == KT_DBL)  /* bytes would tell -0 from 0 */
		return *(const double *)(const void *)fa == *(const double *)(const void *)fb;
	if (k->type == KT_INT || k->type == KT_BOOL)
		return memcmp(fa, fb, k->size) == 0;
	return strcmp(fa, fb) == 0;
}

int
fw_config_key_reloadable(const char *key)
{
	for (size_t i = 0; i < NKEYS; i++) {
		size_t n = strlen(keys[i].section);

		if (strncmp(key, keys[i].section, n) == 0 && key[n] == '.' && strcmp(key + n + 1, keys[i].name) == 0)
			return keys[i].reload == RELOAD;
	}
	return -1;
}

int
fw_config_reload_merge(const struct fw_config *cur, struct fw_config *next)
{
	char was[FW_CFG_LIST_MAX], now[FW_CFG_LIST_MAX];
	int changed = 0;
	bool props_differ;

	for (size_t i = 0; i < NKEYS; i++) {
		const struct key *k = &keys[i];

		if (same_value(cur, next, k))
			continue;
		format_value(cur, k, was, sizeof(was));
		if (k->reload == RESTART) {
			fw_log(FW_LOG_WARN, "reload", "%s.%s changed: needs a restart, kept at '%s'",
			    k->section, k->name, was);
			memcpy((char *)next + k->offset, (const char *)cur + k->offset, k->size);
			continue;
		}
		format_value(next, k, now, sizeof(now));
		fw_log(FW_LOG_INFO, "reload", "%s.%s = '%s' (was '%s')", k->section, k->name, now, was);
		changed++;
	}
	/* rdkafka.* go to librdkafka once, when the producer is made. */
	props_differ = cur->kafka_nprops != next->kafka_nprops;
	for (int i = 0; !props_differ && i < cur->kafka_nprops; i++)
		props_differ = strcmp(cur->kafka_prop_key[i], next->kafka_prop_key[i]) != 0 ||
		    strcmp(cur->kafka_prop_val[i], next->kafka_prop_val[i]) != 0;
	if (props_differ) {
		fw_log(FW_LOG_WARN, "reload", "kafka.rdkafka.* changed: needs a restart, kept as they were");
		next->kafka_nprops = cur->kafka_nprops;
		memcpy(next->kafka_prop_key, cur->kafka_prop_key, sizeof(cur->kafka_prop_key));
		memcpy(next->kafka_prop_val, cur->kafka_prop_val, sizeof(cur->kafka_prop_val));
	}
	return changed;
}

void
fw_config_print(const struct fw_config *cfg, FILE *out)
{
	const char *section = "";
	char value[FW_CFG_LIST_MAX];

	for (size_t i = 0; i < NKEYS; i++) {
		const struct key *k = &keys[i];

		if (strcmp(section, k->section) != 0) {
			fprintf(out, "%s[%s]\n", i ? "\n" : "", k->section);
			section = k->section;
		}
		format_value(cfg, k, value, sizeof(value));
		fprintf(out, "%s = %s\n", k->name, value);
		if (strcmp(k->section, "kafka") == 0 && (i + 1 == NKEYS || strcmp(keys[i + 1].section, "kafka") != 0)) {
			/* Secrets (SASL passwords, key passphrases) are not printed. */
			for (int j = 0; j < cfg->kafka_nprops; j++)
				fprintf(out, "rdkafka.%s = %s\n", cfg->kafka_prop_key[j],
				    strstr(cfg->kafka_prop_key[j], "password") || strstr(cfg->kafka_prop_key[j], "secret") ?
				    "(hidden)" : cfg->kafka_prop_val[j]);
		}
	}
}

void
fw_config_print_keys(FILE *out)
{
	static const char *const type_name[] = {
		[KT_INT] = "integer", [KT_DBL] = "number", [KT_STR] = "string",
		[KT_LOGLEVEL] = "level", [KT_BOOL] = "boolean", [KT_ADDRS] = "addresses",
	};

	for (size_t i = 0; i < NKEYS; i++) {
		const struct key *k = &keys[i];

		/* A type added without a name here is listed as a string. */
		const char *type = (size_t)k->type < sizeof(type_name) / sizeof(type_name[0]) &&
		    type_name[k->type] != NULL ? type_name[k->type] : "string";

		fprintf(out, "%s.%s\t%s\t%s\t", k->section, k->name, type, k->def);
		if (k->type == KT_INT)
			fprintf(out, "%.0f..%.0f", k->min, k->max);
		else if (k->type == KT_DBL)
			fprintf(out, "%g..%g", k->min, k->max);
		fprintf(out, "\t%s\n", k->reload == RELOAD ? "reload" : "restart");
	}
}
