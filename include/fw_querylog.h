/*
 * fw_querylog.h - parse one line of a BIND 9.11 .. 9.20 query log into a
 * struct fw_dnsq.
 *
 * Accepted shape (brackets: optional), one line, no trailing newline needed:
 *
 *   [TIME ][CATEGORY: ][SEVERITY: ]client [@0xPTR ]ADDR#PORT[/key SIGNER]
 *       [ (QNAME)]: [view VIEW: ]query: QNAME CLASS TYPE FLAGS (SERVER)
 *       [ [ECS PREFIX/SOURCE/SCOPE]]
 *
 * TIME is BIND's print-time: "25-Nov-2026 12:00:00.123" (local), ISO 8601
 * "2026-11-25T12:00:00.123" (local) or with "Z" / "+01:00" / "-0500"
 * (absolute); milliseconds are optional.  FLAGS is "+" or "-" (recursion
 * desired) followed by S (signed), E or E(n) (EDNS version n), T (TCP),
 * D (DO), C (CD), V or K (cookie).  QNAME is kept as BIND escaped it
 * (\032, \.), lower-cased, clipped to FW_QNAME_MAX like fw_dnswire does.
 *
 * BIND writes local time.  The caller sets the time zone once on the
 * context (fixed offset, POSIX TZ rule string or zoneinfo name); each line
 * is then converted without touching the process environment.  Lines with
 * no time get ctx->default_time_ms.
 *
 * No allocation, no locale, no sscanf; a context is used by one thread at a
 * time (it caches the last year's DST transitions).
 */
#ifndef FW_QUERYLOG_H
#define FW_QUERYLOG_H

#include <stddef.h>
#include <stdint.h>

#include "fw_err.h"
#include "fw_records.h"
#include "fw_tz.h"

struct fw_querylog_ctx {
	struct fw_tz tz;           /* zone BIND's local times are in */
	int64_t default_time_ms;   /* time for lines without print-time */
};

/* Optional details of a parsed line; pointers borrow the caller's line. */
struct fw_querylog_detail {
	const char *view;          /* view name or NULL */
	size_t view_len;
	const char *ecs;           /* "192.0.2.0/24/0" from [ECS ...] or NULL */
	size_t ecs_len;
	const char *qflags;        /* "+E(0)K" */
	size_t qflags_len;
	uint16_t client_port;
	uint16_t qclass;           /* 1 IN, 3 CH, 4 HS, 254 NONE, 255 ANY, n for CLASSn */
	uint8_t has_time;          /* line carried a print-time */
	uint8_t rd;                /* '+' */
	uint8_t tcp;               /* 'T' */
	uint8_t do_bit;            /* 'D' */
	uint8_t cd;                /* 'C' */
	int16_t edns_version;      /* -1 without 'E' */
};

/* Context with time zone UTC and default_time_ms 0.  Any thread. */
void fw_querylog_init(struct fw_querylog_ctx *ctx);

/*
 * Set the zone BIND's local times are in, from text, as fw_tz_set() does
 * ("UTC", "+01:00", a POSIX TZ string, "localtime", "Europe/Prague").  Reads
 * files, so call at configuration time.  Returns fw_tz_set()'s codes; on
 * failure ctx is unchanged.
 */
int fw_querylog_set_tz(struct fw_querylog_ctx *ctx, const char *spec) FW_MUSTCHECK;

/*
 * Parse one query-log line (len bytes, trailing "\r\n" allowed) into *out
 * (source FW_DNS_QUERYLOG, rcode FW_RCODE_NONE, FW_DNSQ_F_TCP from 'T').
 * detail may be NULL.  Returns FW_OK; FW_EUNSUPPORTED for a well-formed line
 * that is not a query (other categories, "query (cache) ... denied");
 * FW_EMALFORMED for a line that starts like a log line but breaks the shape
 * (bad time, address, port, flags, missing server).  Calling thread owns ctx.
 */
int fw_querylog_parse(struct fw_querylog_ctx *ctx, const char *line, size_t len,
    struct fw_dnsq *out, struct fw_querylog_detail *detail) FW_MUSTCHECK;

/* Numeric type of a mnemonic ("AAAA" -> 28, "TYPE65534" -> 65534), or -1. */
int fw_querylog_type_code(const char *s, size_t len);
/* Mnemonic of a type code (28 -> "AAAA"; static), else "TYPE%u" in buf. */
const char *fw_querylog_type_name(uint16_t code, char *buf, size_t buflen);

#endif /* FW_QUERYLOG_H */
