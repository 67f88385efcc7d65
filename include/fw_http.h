/*
 * fw_http.h - the daemon's read-only HTTP server (libmicrohttpd): the JSON
 * API v1 (schema/openapi.yaml), Prometheus /metrics, /healthz, /readyz and
 * the web console at / (its files compiled in from web/console/).
 *
 * Lifecycle, as the daemon's privileges require (cli/cmd_run.c):
 *   fw_http_open()    as started (maybe root): bind the socket, read the TLS
 *                     certificate and key and the auth files, open the
 *                     database read-only.  No request is served yet.
 *   fw_http_start()   after the privilege drop: one server thread.
 *   fw_http_publish() main thread, every tick: copies the counter snapshot
 *                     (the collector_stats rows and the status figures)
 *                     under a mutex.  The server renders /metrics, exporters
 *                     and status from its last copy and never touches the
 *                     pipeline, so it cannot race the hot path.
 *   fw_http_free()    stops the thread, closes everything.
 *
 * Bounded: at most http.max_connections connections, http.max_request_bytes
 * of request line and headers, no request body, idle connections closed
 * after http.timeout_ms, pages of at most 1000 alerts.
 */
#ifndef FW_HTTP_H
#define FW_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fw_config.h"
#include "fw_err.h"
#include "fw_sqlite.h"

struct fw_http;

#define FW_HTTP_ROWS_MAX 1024     /* counter rows kept per snapshot (= a collector_stats snapshot) */

/* Fixed for the run; strings are copied. */
struct fw_http_info {
	const char *version;           /* FW_VERSION */
	const char *config_digest;     /* hex digest of the effective config */
	int64_t started_ms;            /* wall clock at start */
	uint64_t memory_budget_bytes;  /* detector tables + rings, fixed at start */
};

/* What the main thread publishes each tick (rows are copied). */
struct fw_http_snapshot {
	int64_t at_ms;                 /* wall clock of the gathering */
	const struct fw_stat_row *rows;
	size_t nrows;                  /* at most FW_HTTP_ROWS_MAX are kept */
	uint64_t ring_used;            /* records waiting in the collector -> detector rings */
	uint64_t ring_capacity;
	int64_t newest_event_ms;       /* newest record time the detector took; INT64_MIN: none */
	uint64_t rss_bytes;            /* resident memory of the process */
};

/*
 * Bind cfg->http_listen, load the TLS and auth files, open db_path read-only.
 * FW_OK; else a negative fw_err and one line in err naming the key or file
 * and the reason.  Any thread, before fw_http_start().
 */
int fw_http_open(const struct fw_config *cfg, const char *db_path, struct fw_http **out, char *err,
    size_t errlen) FW_MUSTCHECK;

/* Start serving.  FW_OK or FW_EIO (err says why). */
int fw_http_start(struct fw_http *h, const struct fw_http_info *info, char *err, size_t errlen) FW_MUSTCHECK;

/* Copy a snapshot for the server thread; the first one makes /readyz 200. */
void fw_http_publish(struct fw_http *h, const struct fw_http_snapshot *s);

/* "http://127.0.0.1:8080/" (https with TLS), with the port actually bound. */
const char *fw_http_url(const struct fw_http *h);

/* Stop and release; NULL is a no-op. */
void fw_http_free(struct fw_http *h);

#endif /* FW_HTTP_H */
