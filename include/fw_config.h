/*
 * fw_config.h - the effective configuration: built-in defaults, then an INI
 * file (parsed with libinih), then --set SECTION.KEY=VALUE overrides.
 *
 * Every key lives in one table in common/config.c with its type, bounds,
 * default and a one-line doc; deploy/floodwatch.conf shows the same defaults
 * (tests/unit/check_config.c keeps the two equal).  Errors name the file (or
 * "--set"), the line and the key; a key set twice in one file is an error.
 * Parsing starts nothing.
 *
 * Ownership: struct fw_config is a plain value; callers keep it on the stack
 * or embed it.  Strings are fixed arrays, so copies need no freeing.
 */
#ifndef FW_CONFIG_H
#define FW_CONFIG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "fw_err.h"

#define FW_CFG_STR_MAX 256
#define FW_CFG_KAFKA_PROPS 32  /* rdkafka.* keys we keep */
#define FW_CFG_LIST_MAX 1024  /* comma/space separated lists */
#define FW_CFG_LISTENERS_MAX 48 /* flow sockets: addresses in listen.* x listen.workers */

struct fw_config {
	/* [general] */
	char log_level[16];            /* error | warn | info | debug */
	char general_user[64];         /* `run` started as root switches to this user */
	char general_group[64];        /* ... and group; empty = the user's primary group */
	bool general_allow_root;       /* empty user + root: run as root instead of refusing */
	/* [listen] */
	char listen_netflow[FW_CFG_STR_MAX]; /* NetFlow v5/v9 addresses, comma-separated */
	char listen_ipfix[FW_CFG_STR_MAX];   /* IPFIX */
	char listen_sflow[FW_CFG_STR_MAX];   /* sFlow v5 */
	int64_t listen_rcvbuf_bytes;   /* SO_RCVBUF asked for each socket */
	int64_t listen_batch;          /* datagrams per recvmmsg call */
	int64_t listen_workers;        /* sockets + threads per address (SO_REUSEPORT) */
	char listen_allow[FW_CFG_STR_MAX]; /* exporter prefixes accepted; empty = all */
	/* [flow] */
	int64_t flow_default_sampling;      /* 1-in-N for records with no known rate */
	char flow_sampling_override[FW_CFG_STR_MAX]; /* "PREFIX=N,..." per exporter, beats what it says */
	int64_t flow_template_timeout_ms;   /* forget templates not refreshed for this */
	int64_t flow_max_templates;         /* per collector thread */
	int64_t flow_max_templates_per_exporter; /* per exporter address, per collector thread */
	int64_t flow_max_exporters;         /* per collector thread */
	int64_t flow_pending_slots;         /* datagrams kept while awaiting their template */
	char flow_template_state[FW_CFG_STR_MAX]; /* file prefix for templates across restarts; empty = off */
	/* [pipeline] */
	int64_t ring_slots;            /* records per collector -> detector ring */
	int64_t alert_slots;           /* alert events queued for the sinks */
	/* [detector] */
	int64_t detector_shards;       /* detector threads, state split by victim; 0 = auto */
	char detector_state_file[FW_CFG_STR_MAX]; /* run: detector state across restarts; empty = off */
	int64_t detector_state_interval_ms; /* run: periodic save of that file; 0 = at shutdown only */
	int64_t window_ms;             /* window length, event time */
	int64_t lateness_ms;           /* how late a record may be and still count */
	int64_t max_lateness_ms;       /* learned lateness may grow to this (exporter inactive timeouts) */
	int64_t max_victims;           /* tracked destination addresses (fixed table) */
	int64_t warmup_windows;        /* windows before a baseline is trusted */
	double warmup_pps;             /* warm-up: above this a flood already running alerts (0 = none) */
	double ewma_alpha;             /* weight of the newest window in the baseline */
	double min_pps;                /* floor: never alert below this packet rate */
	double min_bps;                /* floor: never alert below this bit rate */
	double multiplier;             /* rate must exceed baseline mean x this */
	double zscore;                 /* ... and mean + zscore x stddev */
	int64_t start_windows;         /* consecutive hot windows to start an alert */
	int64_t end_windows;           /* consecutive calm windows to end it */
	int64_t update_windows;        /* emit an update every N windows while active */
	char networks[FW_CFG_LIST_MAX]; /* protected prefixes (CIDR list); empty: watch all */
	int64_t auto_prefix_v4;        /* no networks: also aggregate per /N (0 = off) */
	int64_t auto_prefix_v6;        /* ... and per /N for IPv6 (0 = off) */
	double dominance;              /* aggregate stays quiet if one host carries this share */
	int64_t max_details;           /* heavy-hitter blocks for hot victims */
	int64_t idle_windows;          /* evict a quiet victim/zone after this many empty windows */
	double hysteresis;             /* calm = below this share of the start threshold */
	int64_t cooldown_windows;      /* quiet hold before an end; re-trigger within this continues the alert */
	bool seasonality;              /* hour-of-week factors on rate baselines (once a week is learned) */
	double min_fps;                /* floor for a flows/s alert (0 = flows/s never alerts) */
	double min_samples;            /* samples (packets / sampling) a hot window rests on at least */
	double single_source_share;    /* a hot window this share of which is one source starts nothing (0 = off) */
	double min_sources;            /* new source addresses a rise that starts an alert brings at least (0 = off) */
	/* [dns] */
	char dns_querylog[FW_CFG_STR_MAX];          /* BIND query log to follow; empty = off */
	char dns_querylog_timezone[64];             /* zone BIND writes its local time in */
	char dns_dnstap_socket[FW_CFG_STR_MAX];     /* unix socket for dnstap; empty = off */
	char dns_dnstap_socket_mode[8];             /* octal permissions of that socket */
	int64_t dns_dnstap_max_clients;             /* dnstap connections served at once */
	int64_t dns_dnstap_handshake_timeout_ms;    /* close clients not through the handshake by then */
	int64_t dns_nflog_group;                    /* NFLOG group with DNS packets; -1 = off */
	int64_t dns_reassembly_slots;               /* IP datagrams reassembled at once per packet reader; 0 = off */
	int64_t dns_reassembly_timeout_ms;          /* an incomplete datagram is dropped after this */
	int64_t dns_tcp_flows;                      /* DNS-over-TCP flows per packet reader; 0 = off */
	int64_t dns_tcp_idle_timeout_ms;            /* a TCP flow idle this long is forgotten */
	char dns_zones[FW_CFG_LIST_MAX];   /* zones to roll names up to (list) */
	char dns_exclude[FW_CFG_LIST_MAX]; /* zones never flagged (they and below) */
	int64_t dns_max_zones;         /* tracked zones (fixed table) */
	int64_t dns_detail_zones;      /* zones with exact distinct-name sets at once */
	int64_t dns_distinct_cap;      /* distinct names per zone per window (saturates) */
	double dns_min_qps;            /* floor: never alert below this query rate */
	double dns_warmup_qps;         /* warm-up: above this a flood already running alerts (0 = none) */
	double dns_multiplier;         /* qps must exceed baseline mean x this */
	double dns_wt_max_ratio;       /* water torture: queries per distinct name at most */
	double dns_flood_min_repeat;   /* dns_flood: queries per (client, name) at least */
	double dns_min_distinct;       /* distinct-name rule: names/s above the baseline at least (0 = off) */
	int64_t dns_min_clients;       /* a hot zone's rise needs at least this many clients (1 = off) */
	/* [sqlite] */
	char sqlite_path[FW_CFG_STR_MAX];
	int64_t sqlite_retention_days;  /* ended alerts older than this are deleted; 0 = keep */
	int64_t sqlite_backlog_events;  /* accepted events held in memory while writes fail */
	int64_t sqlite_retry_max_ms;    /* cap of the back-off between failed writes */
	int64_t sqlite_flush_timeout_ms; /* at shutdown, keep retrying the backlog this long */
	/* [stats] */
	int64_t stats_interval_ms;      /* counters logged and written to collector_stats this often */
	int64_t stats_retention_days;   /* collector_stats rows older than this are deleted; 0 = keep */
	int64_t stats_exporters;        /* exporters listed one by one per format; the rest summed */
	/* [http] */
	char http_listen[FW_CFG_STR_MAX];     /* one address for the API and /metrics; empty = off */
	char http_tls_cert[FW_CFG_STR_MAX];   /* PEM certificate (chain); with tls_key: HTTPS */
	char http_tls_key[FW_CFG_STR_MAX];    /* PEM private key */
	char http_token_file[FW_CFG_STR_MAX]; /* file holding the bearer token; empty = none */
	char http_basic_auth_file[FW_CFG_STR_MAX]; /* "user:password" or "user:crypt-hash" lines */
	int64_t http_max_connections;   /* connections served at once; more are refused */
	int64_t http_timeout_ms;        /* idle connections closed after this */
	int64_t http_max_request_bytes; /* request line + headers at most */
	/* [kafka] */
	char kafka_brokers[FW_CFG_STR_MAX];  /* empty: Kafka off */
	char kafka_topic[FW_CFG_STR_MAX];
	int64_t kafka_flush_timeout_ms;  /* at shutdown, wait this long for the outbox to drain */
	/* [cluster] (README "Scaling out"); brokers and rdkafka.* come from [kafka] */
	char cluster_role[FW_CFG_STR_MAX];        /* standalone | collector | detector */
	char cluster_records_topic[FW_CFG_STR_MAX];
	char cluster_state_topic[FW_CFG_STR_MAX];
	char cluster_group_id[FW_CFG_STR_MAX];    /* the detectors' consumer group */
	char cluster_store_group_id[FW_CFG_STR_MAX]; /* `floodwatch store`'s consumer group on kafka.topic */
	char cluster_member_name[FW_CFG_STR_MAX]; /* collector id / member name; empty = hostname */
	int64_t cluster_batch_records;   /* collector: records per message at most */
	int64_t cluster_linger_ms;       /* collector: a partial batch waits at most this long */
	int64_t cluster_watermark_ms;    /* collector: event-time progress sent to every partition this often */
	int64_t cluster_checkpoint_ms;   /* detector: state of each partition checkpointed this often */
	int64_t cluster_idle_partition_ms; /* detector: a collector silent this long stops holding a partition's time */
	int64_t cluster_session_timeout_ms; /* detector: a member silent this long loses its partitions */
	/* [notify] */
	char notify_exec[FW_CFG_STR_MAX];  /* program run per alert event (absolute path); empty = off */
	int64_t notify_timeout_ms;       /* SIGTERM to its process group after this, SIGKILL 1 s later */
	int64_t notify_max_running;      /* programs running at once */
	int64_t notify_queue;            /* events waiting for a program; full: updates dropped first */
	int64_t notify_shutdown_ms;      /* at shutdown, wait this long for queued and running programs */
	/* [kafka] rdkafka.* keys, passed to librdkafka as they are */
	int kafka_nprops;
	char kafka_prop_key[FW_CFG_KAFKA_PROPS][128];
	char kafka_prop_val[FW_CFG_KAFKA_PROPS][FW_CFG_STR_MAX];
};

/* Fill *cfg with the built-in defaults. */
void fw_config_defaults(struct fw_config *cfg);

/*
 * Parse an INI file over *cfg (keys not in the file keep their value).
 * On error writes one line "FILE:LINE: message" into err and returns
 * FW_EINVAL (bad content) or FW_ENOENT/FW_EIO (cannot read).
 */
int fw_config_load_file(struct fw_config *cfg, const char *path, char *err,
    size_t errlen) FW_MUSTCHECK;

/* Parse INI text held in memory; `name` is used in error messages. */
int fw_config_load_string(struct fw_config *cfg, const char *text,
    const char *name, char *err, size_t errlen) FW_MUSTCHECK;

/* Apply one "SECTION.KEY=VALUE" override. FW_EINVAL with a message on error. */
int fw_config_set(struct fw_config *cfg, const char *assignment, char *err,
    size_t errlen) FW_MUSTCHECK;

/*
 * Cross-key checks after all sources are applied, for the keys this file can
 * judge alone (bounds, lists of addresses and prefixes, paths).  Messages
 * start with the SECTION.KEY they are about; fw_config_locate() says where it
 * was set.
 */
int fw_config_validate(const struct fw_config *cfg, char *err, size_t errlen) FW_MUSTCHECK;

/*
 * A module's check of its own keys (the lists it parses, the files it
 * reads): FW_OK, or FW_EINVAL with a message starting with SECTION.KEY.
 * The modules above the ground layer provide these and the commands hand
 * them over as a table, so this layer names none of them.
 */
typedef int (*fw_config_check_fn)(const struct fw_config *cfg, char *err, size_t errlen);

/* fw_config_validate(), then checks[0..nchecks) in order; the first failure wins. */
int fw_config_validate_all(const struct fw_config *cfg, const fw_config_check_fn *checks, size_t nchecks,
    char *err, size_t errlen) FW_MUSTCHECK;

/*
 * Where the key that msg (a fw_config_validate() message) is about got its
 * value, as a prefix for the message: "--set SECTION.KEY=VALUE: " for the
 * last override of it in sets[0..nsets), else "FILE:LINE: " for the line of
 * file (may be NULL) that set it, else "FILE: " or "built-in defaults: ".
 * Reads file again.  Any thread.
 */
void fw_config_locate(const char *file, const char *const *sets, int nsets, const char *msg,
    char *where, size_t wherelen);

/*
 * SIGHUP (`run`): cur is the config in force, next the file and overrides
 * read again and validated.  For each key whose value differs: a reloadable
 * one (the key table's flag) is logged "reload: SECTION.KEY = 'NEW' (was
 * 'OLD')"; a restart-only one (table sizes, sockets, files, threads made at
 * start) is logged "SECTION.KEY changed: needs a restart, kept at 'OLD'"
 * and set back to OLD in *next, so *next is what can be applied now.
 * rdkafka.* keys are restart-only.  Returns how many reloadable keys changed.
 */
int fw_config_reload_merge(const struct fw_config *cur, struct fw_config *next);

/* "SECTION.KEY": 1 applied on SIGHUP, 0 needs a restart, -1 no such key. */
int fw_config_key_reloadable(const char *key);

/* Write the effective config as INI text. */
void fw_config_print(const struct fw_config *cfg, FILE *out);

/*
 * Write the key table, one key per line, five tab-separated fields:
 * SECTION.KEY, TYPE (integer, number, string, level, boolean, addresses),
 * DEFAULT (may be empty), RANGE ("MIN..MAX" for numbers, else empty) and
 * RELOAD ("reload": applied on SIGHUP, "restart": needs a restart).
 * `floodwatch config-keys` prints it; floodwatch.conf(5) is generated from
 * it and deploy/floodwatch.conf, so the man page cannot miss a key.
 */
void fw_config_print_keys(FILE *out);

#endif /* FW_CONFIG_H */
