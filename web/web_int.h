/*
 * web_int.h - private to web/: what the server (http.c) hands the JSON API
 * (api.c) and the Prometheus page (metrics.c).  Everything here runs on the
 * one server thread; the snapshot is its own copy, taken under the publish
 * mutex, so rendering never holds a lock the main thread waits for.
 */
#ifndef FW_WEB_INT_H
#define FW_WEB_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fw_alert_query.h"
#include "fw_http.h"

/* Growable output; after an allocation failure `oom` is set and appends stop. */
struct web_buf {
	char *p;
	size_t len, cap;
	bool oom;
};

void web_buf_printf(struct web_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void web_buf_put(struct web_buf *b, const char *s, size_t n);
void web_buf_free(struct web_buf *b);

/* The server thread's copy of the last published snapshot. */
struct web_snap {
	bool ready;                    /* something was published */
	int64_t at_ms, newest_event_ms;
	uint64_t ring_used, ring_capacity, rss_bytes;
	size_t nrows;
	struct fw_stat_row rows[FW_HTTP_ROWS_MAX];
};

/* Fixed facts of the run (copied from fw_http_info). */
struct web_info {
	char version[32];
	char config_digest[65];
	int64_t started_ms;
	uint64_t memory_budget_bytes;
	/* What is watched (from the config), for status and the console's empty state. */
	char listen_netflow[FW_CFG_STR_MAX], listen_ipfix[FW_CFG_STR_MAX], listen_sflow[FW_CFG_STR_MAX];
	char networks[FW_CFG_LIST_MAX], dns_zones[FW_CFG_LIST_MAX];
	bool dns_querylog, dns_dnstap, dns_nflog;
};

/* Requests answered, by status class (1xx unused): for /metrics. */
struct web_counts {
	uint64_t by_class[6];          /* [2] = 2xx ... [5] = 5xx */
	uint64_t auth_failures;        /* 401s */
};

#define WEB_ARGS_MAX 16

/* Query string arguments of one request (borrowed from libmicrohttpd). */
struct web_args {
	int n;
	bool too_many;
	const char *key[WEB_ARGS_MAX], *val[WEB_ARGS_MAX];
};

struct web_reply {
	unsigned status;
	const char *type;              /* Content-Type */
	struct web_buf body;
};

/* GET /api/v1/...: fills r (JSON, or a JSON error body with status). */
void web_api(struct fw_aq *q, const struct web_snap *s, const struct web_info *info, const char *path,
    const struct web_args *args, struct web_reply *r);

/* GET /metrics: Prometheus text exposition format 0.0.4. */
void web_metrics(const struct web_snap *s, const struct web_info *info, const struct web_counts *c,
    struct web_buf *out);

#endif /* FW_WEB_INT_H */
