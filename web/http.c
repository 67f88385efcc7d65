/*
 * http.c - the HTTP server (fw_http.h): socket, TLS, authentication,
 * routing, and the headers every response carries.
 *
 * libmicrohttpd runs one internal polling thread (MHD_USE_AUTO picks epoll
 * or poll), so the read-only SQLite connection and the snapshot copy are
 * used by that thread alone.  The listening socket is bound in
 * fw_http_open(), before the daemon drops root, and handed to
 * libmicrohttpd in fw_http_start(), after it: no request is parsed with
 * root's ids.
 *
 * Every response carries Content-Type, Cache-Control: no-store,
 * X-Content-Type-Options: nosniff and a Content-Security-Policy that allows
 * nothing ("default-src 'none'"); the web console's page (/ and
 * /console/NAME, compiled in from web/console/) may in addition load
 * scripts, styles and images from this origin and fetch the API: no inline
 * script or style, no other origin.  Paths and arguments are never echoed
 * back (hostile input stays out of responses); JSON is built by jansson.
 */
#include "fw_http.h"

#include <arpa/inet.h>
#include <crypt.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fw_endpoint.h"
#include "fw_log.h"
#include "fw_time.h"
#include "console_int.h"
#include "web_int.h"

#define FILE_MAX (1 << 20)        /* certificate, key and auth files at most */
#define CREDS_MAX 64              /* basic-auth users */
#define SECRET_MAX 256

static const char csp_strict[] =
    "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/* The console: its own files only, and fetch() of the API. */
static const char csp_console[] =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

struct cred {
	char user[64];
	char pass[SECRET_MAX];         /* plain text, or a crypt(3) hash starting with '$' */
};

struct fw_http {
	int fd;                        /* bound, listening; owned until MHD takes it */
	struct MHD_Daemon *mhd;
	struct fw_aq *aq;              /* server thread only */
	bool tls;
	char *cert, *key;              /* PEM text, kept while MHD runs */
	char token[SECRET_MAX];        /* "" = no bearer token */
	struct cred *creds;
	size_t ncreds;
	unsigned max_conn, timeout_s;
	size_t mem_limit;
	char url[128];
	pthread_mutex_t lock;          /* guards pub */
	struct web_snap *pub;          /* last published (main thread writes) */
	struct web_snap *view;         /* server thread's copy */
	struct web_info info;
	struct web_counts counts;      /* server thread only */
};

/* ---- output buffer ---- */

void
web_buf_put(struct web_buf *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		char *p;

		while (cap < b->len + n + 1)
			cap *= 2;
		if ((p = realloc(b->p, cap)) == NULL) {
			b->oom = true;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void
web_buf_printf(struct web_buf *b, const char *fmt, ...)
{
	char tmp[512], *big = NULL;
	va_list ap, again;
	int n;

	va_start(ap, fmt);
	va_copy(again, ap);
	/* ap was just va_start()ed: a clang-analyzer-valist false positive, as in common/log.c. */
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap); // NOLINT(clang-analyzer-valist.Uninitialized)
	if (n >= 0 && (size_t)n < sizeof(tmp)) {
		web_buf_put(b, tmp, (size_t)n);
	} else if (n >= 0 && (big = malloc((size_t)n + 1)) != NULL) {
		(void)vsnprintf(big, (size_t)n + 1, fmt, again);
		web_buf_put(b, big, (size_t)n);
		free(big);
	} else if (n >= 0) {
		b->oom = true;
	}
	va_end(again);
	va_end(ap);
}

void
web_buf_free(struct web_buf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

/* ---- files read at open ---- */

/* Whole file as a NUL-terminated string (at most FILE_MAX bytes). */
static char *
slurp(const char *path, const char *key, char *err, size_t errlen)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t n;

	if (f == NULL) {
		snprintf(err, errlen, "%s %s: %s", key, path, strerror(errno));
		return NULL;
	}
	if ((buf = malloc(FILE_MAX + 1)) == NULL) {
		snprintf(err, errlen, "%s %s: out of memory", key, path);
		goto out;
	}
	n = fread(buf, 1, FILE_MAX + 1, f);
	if (ferror(f) || n > FILE_MAX) {
		snprintf(err, errlen, "%s %s: %s", key, path, ferror(f) ? "read error" : "larger than 1 MiB");
		free(buf);
		buf = NULL;
		goto out;
	}
	buf[n] = '\0';
out:
	fclose(f);
	return buf;
}

static void
chomp(char *s)
{
	size_t n = strlen(s);

	while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' ' || s[n - 1] == '\t'))
		s[--n] = '\0';
}

static int
load_token(struct fw_http *h, const char *path, char *err, size_t errlen)
{
	char *text = slurp(path, "http.token_file", err, errlen), *nl;

	if (text == NULL)
		return FW_EIO;
	if ((nl = strchr(text, '\n')) != NULL)
		*nl = '\0';
	chomp(text);
	if (strlen(text) < 16 || strlen(text) >= sizeof(h->token)) {
		snprintf(err, errlen, "http.token_file %s: the first line must hold a token of 16 to %zu characters",
		    path, sizeof(h->token) - 1);
		free(text);
		return FW_EINVAL;
	}
	snprintf(h->token, sizeof(h->token), "%s", text);
	free(text);
	return FW_OK;
}

static int
load_creds(struct fw_http *h, const char *path, char *err, size_t errlen)
{
	char *text = slurp(path, "http.basic_auth_file", err, errlen), *save = NULL;
	int line = 0;

	if (text == NULL)
		return FW_EIO;
	if ((h->creds = calloc(CREDS_MAX, sizeof(*h->creds))) == NULL) {
		free(text);
		return FW_ENOMEM;
	}
	for (char *l = strtok_r(text, "\n", &save); l != NULL; l = strtok_r(NULL, "\n", &save)) {
		char *colon;

		line++;
		chomp(l);
		if (l[0] == '\0' || l[0] == '#')
			continue;
		colon = strchr(l, ':');
		if (colon == NULL || colon == l || colon[1] == '\0' || (size_t)(colon - l) >= sizeof(h->creds[0].user) ||
		    strlen(colon + 1) >= SECRET_MAX || h->ncreds >= CREDS_MAX) {
			snprintf(err, errlen, "http.basic_auth_file %s:%d: expected user:password (or user:$hash), "
			    "at most %d users", path, line, CREDS_MAX);
			free(text);
			return FW_EINVAL;
		}
		snprintf(h->creds[h->ncreds].user, sizeof(h->creds[0].user), "%.*s", (int)(colon - l), l);
		snprintf(h->creds[h->ncreds].pass, SECRET_MAX, "%s", colon + 1);
		h->ncreds++;
	}
	free(text);
	if (h->ncreds == 0) {
		snprintf(err, errlen, "http.basic_auth_file %s: no user:password line", path);
		return FW_EINVAL;
	}
	return FW_OK;
}

/* ---- authentication ---- */

/* Equal, in time that depends only on the lengths. */
static bool
secret_eq(const char *a, size_t alen, const char *b)
{
	size_t blen = strlen(b);
	unsigned char d = alen != blen;

	for (size_t i = 0; i < alen && i < blen; i++)
		d |= (unsigned char)(a[i] ^ b[i]);
	return d == 0;
}

static int
b64_val(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	return c == '+' ? 62 : c == '/' ? 63 : -1;
}

/* Decode base64 into out (NUL-terminated); -1 if malformed or too long. */
static int
b64_decode(const char *in, char *out, size_t outlen)
{
	size_t o = 0;
	unsigned acc = 0;
	int bits = 0;

	for (; *in != '\0' && *in != '='; in++) {
		int v = b64_val((unsigned char)*in);

		if (v < 0)
			return -1;
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (o + 1 >= outlen)
				return -1;
			out[o++] = (char)((acc >> bits) & 0xff);
		}
	}
	out[o] = '\0';
	return (int)o;
}

static bool
basic_ok(const struct fw_http *h, const char *b64)
{
	char pair[2 * SECRET_MAX], *colon;
	int n = b64_decode(b64, pair, sizeof(pair));

	if (n <= 0 || (colon = memchr(pair, ':', (size_t)n)) == NULL)
		return false;
	*colon = '\0';
	for (size_t i = 0; i < h->ncreds; i++) {
		const struct cred *c = &h->creds[i];

		if (strcmp(c->user, pair) != 0)
			continue;
		if (c->pass[0] == '$') {
			struct crypt_data cd;
			const char *hash;

			memset(&cd, 0, sizeof(cd));
			hash = crypt_r(colon + 1, c->pass, &cd);
			return hash != NULL && hash[0] != '*' && secret_eq(hash, strlen(hash), c->pass);
		}
		return secret_eq(colon + 1, strlen(colon + 1), c->pass);
	}
	return false;
}

/* No token and no users configured: open.  Else one must match. */
static bool
authorized(const struct fw_http *h, struct MHD_Connection *c)
{
	const char *a;

	if (h->token[0] == '\0' && h->ncreds == 0)
		return true;
	a = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
	if (a == NULL)
		return false;
	if (h->token[0] != '\0' && strncasecmp(a, "Bearer ", 7) == 0)
		return secret_eq(a + 7, strlen(a + 7), h->token);
	if (h->ncreds > 0 && strncasecmp(a, "Basic ", 6) == 0)
		return basic_ok(h, a + 6);
	return false;
}

/* ---- responses ---- */

/* The headers every response carries; csp differs for the console's files. */
static void
add_headers(const struct fw_http *h, struct MHD_Response *r, const char *type, const char *csp)
{
	(void)MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	(void)MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	(void)MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	(void)MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_SECURITY_POLICY, csp);
	(void)MHD_add_response_header(r, "X-Frame-Options", "DENY");
	(void)MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
	if (h->tls)
		(void)MHD_add_response_header(r, MHD_HTTP_HEADER_STRICT_TRANSPORT_SECURITY, "max-age=31536000");
}

static enum MHD_Result
send_reply(struct fw_http *h, struct MHD_Connection *c, unsigned status, const char *type,
    struct web_buf *body, bool challenge)
{
	struct MHD_Response *r;
	enum MHD_Result ret;
	size_t len = body->oom ? 0 : body->len;

	if (body->oom) {
		status = MHD_HTTP_INTERNAL_SERVER_ERROR;
		type = "application/json";
	}
	/* MHD frees the buffer with the response. */
	r = MHD_create_response_from_buffer(len, len ? body->p : (void *)"", len ? MHD_RESPMEM_MUST_FREE :
	    MHD_RESPMEM_PERSISTENT);
	if (r == NULL) {
		web_buf_free(body);
		return MHD_NO;
	}
	if (len)
		body->p = NULL;  /* owned by the response now */
	web_buf_free(body);
	add_headers(h, r, type, csp_strict);
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		(void)MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	if (challenge) {
		(void)MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
		    h->ncreds > 0 ? "Basic realm=\"floodwatch\", charset=\"UTF-8\"" : "Bearer realm=\"floodwatch\"");
		if (h->ncreds > 0 && h->token[0] != '\0')
			(void)MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer realm=\"floodwatch\"");
	}
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	if (status >= 200 && status < 600)
		h->counts.by_class[status / 100]++;
	return ret;
}

/* A console file by name (compiled in, never freed), or NULL. */
static const struct fw_console_asset *
console_asset(const char *name)
{
	for (size_t i = 0; i < fw_console_nassets; i++)
		if (strcmp(fw_console_assets[i].name, name) == 0)
			return &fw_console_assets[i];
	return NULL;
}

static const char *
console_type(const char *name)
{
	static const struct { const char *ext, *type; } types[] = {
		{ ".html", "text/html; charset=utf-8" },
		{ ".js", "text/javascript; charset=utf-8" },
		{ ".css", "text/css; charset=utf-8" },
		{ ".svg", "image/svg+xml" },
	};
	const char *dot = strrchr(name, '.');

	for (size_t i = 0; dot != NULL && i < sizeof(types) / sizeof(types[0]); i++)
		if (strcmp(dot, types[i].ext) == 0)
			return types[i].type;
	return "application/octet-stream";
}

static enum MHD_Result
send_asset(struct fw_http *h, struct MHD_Connection *c, const struct fw_console_asset *a)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(strlen(a->text), (void *)a->text,
	    MHD_RESPMEM_PERSISTENT);
	enum MHD_Result ret;

	if (r == NULL)
		return MHD_NO;
	add_headers(h, r, console_type(a->name), csp_console);
	ret = MHD_queue_response(c, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	h->counts.by_class[2]++;
	return ret;
}

static enum MHD_Result
send_text(struct fw_http *h, struct MHD_Connection *c, unsigned status, const char *type, const char *text)
{
	struct web_buf b = { 0 };

	web_buf_put(&b, text, strlen(text));
	return send_reply(h, c, status, type, &b, false);
}

static enum MHD_Result
send_error(struct fw_http *h, struct MHD_Connection *c, unsigned status, const char *msg, bool challenge)
{
	struct web_buf b = { 0 };

	/* msg is ours, never request text: no escaping needed beyond that. */
	web_buf_printf(&b, "{\"error\":\"%s\",\"status\":%u}\n", msg, status);
	return send_reply(h, c, status, "application/json", &b, challenge);
}

/* The server thread's copy of the last published snapshot. */
static void
take_view(struct fw_http *h)
{
	pthread_mutex_lock(&h->lock);
	memcpy(h->view, h->pub, offsetof(struct web_snap, rows) + h->pub->nrows * sizeof(h->pub->rows[0]));
	pthread_mutex_unlock(&h->lock);
}

static enum MHD_Result
collect_arg(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	struct web_args *a = cls;

	(void)kind;
	if (a->n >= WEB_ARGS_MAX) {
		a->too_many = true;
		return MHD_NO;
	}
	a->key[a->n] = key;
	a->val[a->n] = value != NULL ? value : "";
	a->n++;
	return MHD_YES;
}

static enum MHD_Result
handle(void *cls, struct MHD_Connection *c, const char *url, const char *method, const char *version,
    const char *upload_data, size_t *upload_data_size, void **req_cls)
{
	struct fw_http *h = cls;
	const struct fw_console_asset *asset;
	const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	const char *te = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_TRANSFER_ENCODING);

	(void)version;
	(void)upload_data;
	(void)req_cls;
	/* Read-only: answered on the first call; a body is refused unread. */
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
		return send_error(h, c, MHD_HTTP_METHOD_NOT_ALLOWED, "read-only: GET and HEAD only", false);
	if (*upload_data_size != 0 || te != NULL || (cl != NULL && strcmp(cl, "0") != 0))
		return send_error(h, c, MHD_HTTP_CONTENT_TOO_LARGE, "no request body is accepted", false);
	if (strcmp(url, "/healthz") == 0)
		return send_text(h, c, MHD_HTTP_OK, "text/plain; charset=utf-8", "ok\n");
	if (strcmp(url, "/readyz") == 0) {
		bool ready;

		pthread_mutex_lock(&h->lock);
		ready = h->pub->ready;
		pthread_mutex_unlock(&h->lock);
		return send_text(h, c, ready ? MHD_HTTP_OK : MHD_HTTP_SERVICE_UNAVAILABLE, "text/plain; charset=utf-8",
		    ready ? "ready\n" : "starting\n");
	}
	if (!authorized(h, c)) {
		h->counts.auth_failures++;
		FW_LOG_RL(FW_LOG_WARN, "http", "request without valid credentials refused (401)");
		return send_error(h, c, MHD_HTTP_UNAUTHORIZED, "authentication required", true);
	}
	/* The console is one page; its views are #/ routes, its files /console/NAME. */
	if (strcmp(url, "/") == 0 && (asset = console_asset("index.html")) != NULL)
		return send_asset(h, c, asset);
	if (strncmp(url, "/console/", 9) == 0 && (asset = console_asset(url + 9)) != NULL)
		return send_asset(h, c, asset);
	if (strcmp(url, "/metrics") == 0) {
		struct web_buf b = { 0 };

		take_view(h);
		web_metrics(h->view, &h->info, &h->counts, &b);
		return send_reply(h, c, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8", &b, false);
	}
	if (strncmp(url, "/api/v1/", 8) == 0) {
		struct web_args args = { 0 };
		struct web_reply r = { 0 };

		(void)MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, collect_arg, &args);
		if (args.too_many)
			return send_error(h, c, MHD_HTTP_BAD_REQUEST, "too many query arguments", false);
		take_view(h);
		web_api(h->aq, h->view, &h->info, url + 7, &args, &r);
		return send_reply(h, c, r.status, r.type, &r.body, false);
	}
	return send_error(h, c, MHD_HTTP_NOT_FOUND, "no such path", false);
}

/* libmicrohttpd's printf-style log callback (the attribute lets -Wformat check it). */
__attribute__((format(printf, 2, 0))) static void
mhd_log(void *cls, const char *fmt, va_list ap)
{
	char line[512];

	(void)cls;
	vsnprintf(line, sizeof(line), fmt, ap); // NOLINT(clang-analyzer-valist.Uninitialized)
	chomp(line);
	/* Client errors (bad requests, TLS handshakes) come from outside. */
	FW_LOG_RL(FW_LOG_WARN, "http", "%s", line);
}

/* ---- lifecycle ---- */

int
fw_http_open(const struct fw_config *cfg, const char *db_path, struct fw_http **out, char *err, size_t errlen)
{
	struct fw_http *h;
	struct sockaddr_storage ss;
	socklen_t slen = sizeof(ss);
	char host[INET6_ADDRSTRLEN];
	int one = 1, rc = FW_EIO;

	if ((h = calloc(1, sizeof(*h))) == NULL)
		return FW_ENOMEM;
	h->fd = -1;
	pthread_mutex_init(&h->lock, NULL);
	if ((h->pub = calloc(1, sizeof(*h->pub))) == NULL || (h->view = calloc(1, sizeof(*h->view))) == NULL) {
		rc = FW_ENOMEM;
		goto fail;
	}
	h->max_conn = (unsigned)cfg->http_max_connections;
	h->timeout_s = (unsigned)((cfg->http_timeout_ms + 999) / 1000);
	h->mem_limit = (size_t)cfg->http_max_request_bytes;
	snprintf(h->info.listen_netflow, sizeof(h->info.listen_netflow), "%s", cfg->listen_netflow);
	snprintf(h->info.listen_ipfix, sizeof(h->info.listen_ipfix), "%s", cfg->listen_ipfix);
	snprintf(h->info.listen_sflow, sizeof(h->info.listen_sflow), "%s", cfg->listen_sflow);
	snprintf(h->info.networks, sizeof(h->info.networks), "%s", cfg->networks);
	snprintf(h->info.dns_zones, sizeof(h->info.dns_zones), "%s", cfg->dns_zones);
	h->info.dns_querylog = cfg->dns_querylog[0] != '\0';
	h->info.dns_dnstap = cfg->dns_dnstap_socket[0] != '\0';
	h->info.dns_nflog = cfg->dns_nflog_group >= 0;
	if ((rc = fw_endpoint_parse(cfg->http_listen, &ss, &slen, err, errlen)) != FW_OK)
		goto fail;
	if (cfg->http_tls_cert[0] != '\0') {
		h->tls = true;
		rc = FW_EIO;
		if ((h->cert = slurp(cfg->http_tls_cert, "http.tls_cert", err, errlen)) == NULL ||
		    (h->key = slurp(cfg->http_tls_key, "http.tls_key", err, errlen)) == NULL)
			goto fail;
	}
	if (cfg->http_token_file[0] != '\0' && (rc = load_token(h, cfg->http_token_file, err, errlen)) != FW_OK)
		goto fail;
	if (cfg->http_basic_auth_file[0] != '\0' &&
	    (rc = load_creds(h, cfg->http_basic_auth_file, err, errlen)) != FW_OK)
		goto fail;
	rc = FW_EIO;
	if ((h->fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
	    setsockopt(h->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    bind(h->fd, (struct sockaddr *)&ss, slen) != 0 || listen(h->fd, 64) != 0) {
		snprintf(err, errlen, "http.listen %s: cannot listen: %s", cfg->http_listen, strerror(errno));
		goto fail;
	}
	slen = sizeof(ss);
	if (getsockname(h->fd, (struct sockaddr *)&ss, &slen) != 0) {
		snprintf(err, errlen, "http.listen %s: %s", cfg->http_listen, strerror(errno));
		goto fail;
	}
	if (ss.ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)&ss;

		inet_ntop(AF_INET6, &s6->sin6_addr, host, sizeof(host));
		snprintf(h->url, sizeof(h->url), "%s://[%s]:%u/", h->tls ? "https" : "http", host, ntohs(s6->sin6_port));
	} else {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)&ss;

		inet_ntop(AF_INET, &s4->sin_addr, host, sizeof(host));
		snprintf(h->url, sizeof(h->url), "%s://%s:%u/", h->tls ? "https" : "http", host, ntohs(s4->sin_port));
	}
	if ((rc = fw_aq_open(db_path, &h->aq, err, errlen)) != FW_OK)
		goto fail;
	*out = h;
	return FW_OK;
fail:
	fw_http_free(h);
	return rc;
}

int
fw_http_start(struct fw_http *h, const struct fw_http_info *info, char *err, size_t errlen)
{
	unsigned flags = MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ERROR_LOG;

	snprintf(h->info.version, sizeof(h->info.version), "%s", info->version ? info->version : "");
	snprintf(h->info.config_digest, sizeof(h->info.config_digest), "%s",
	    info->config_digest ? info->config_digest : "");
	h->info.started_ms = info->started_ms;
	h->info.memory_budget_bytes = info->memory_budget_bytes;
	if (h->tls)
		flags |= MHD_USE_TLS;
	/* The optional TLS options come last: MHD_OPTION_END ends the list early
	 * when there is no certificate. */
	h->mhd = MHD_start_daemon(flags, 0, NULL, NULL, handle, h,
	    MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
	    MHD_OPTION_LISTEN_SOCKET, h->fd,
	    MHD_OPTION_CONNECTION_LIMIT, h->max_conn,
	    MHD_OPTION_PER_IP_CONNECTION_LIMIT, h->max_conn,
	    MHD_OPTION_CONNECTION_TIMEOUT, h->timeout_s,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, h->mem_limit,
	    h->tls ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, h->cert,
	    MHD_OPTION_HTTPS_MEM_KEY, h->key,
	    MHD_OPTION_END);
	if (h->mhd == NULL) {
		snprintf(err, errlen, "http: cannot start the server%s", h->tls ?
		    " (check http.tls_cert and http.tls_key: PEM certificate and matching key)" : "");
		return FW_EIO;
	}
	h->fd = -1;  /* MHD closes it */
	return FW_OK;
}

void
fw_http_publish(struct fw_http *h, const struct fw_http_snapshot *s)
{
	size_t n = s->nrows < FW_HTTP_ROWS_MAX ? s->nrows : FW_HTTP_ROWS_MAX;

	pthread_mutex_lock(&h->lock);
	h->pub->ready = true;
	h->pub->at_ms = s->at_ms;
	h->pub->newest_event_ms = s->newest_event_ms;
	h->pub->ring_used = s->ring_used;
	h->pub->ring_capacity = s->ring_capacity;
	h->pub->rss_bytes = s->rss_bytes;
	h->pub->nrows = n;
	if (n > 0)
		memcpy(h->pub->rows, s->rows, n * sizeof(s->rows[0]));
	pthread_mutex_unlock(&h->lock);
}

const char *
fw_http_url(const struct fw_http *h)
{
	return h->url;
}

void
fw_http_free(struct fw_http *h)
{
	if (h == NULL)
		return;
	if (h->mhd != NULL)
		MHD_stop_daemon(h->mhd);
	else if (h->fd >= 0)
		close(h->fd);
	fw_aq_close(h->aq);
	free(h->cert);
	free(h->key);
	free(h->creds);
	free(h->pub);
	free(h->view);
	pthread_mutex_destroy(&h->lock);
	free(h);
}
