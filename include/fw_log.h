/*
 * fw_log.h - leveled logging to stderr, and a rate-limited form for problems
 * caused by outside input.
 *
 * One line per call: "LEVEL MODULE: message".  Under systemd (JOURNAL_STREAM
 * set) the line starts with a <N> syslog priority prefix so journald keeps
 * the level; otherwise a UTC timestamp is added.  Thread-safe: each line is
 * written with a single write(2).
 *
 * FW_LOG_RL() gives each call site a token bucket (FW_LOG_RL_PER_SEC lines
 * per second); lines over the budget are counted and the next line that
 * passes says "(N more suppressed)".  Counters, not logs, are the record of
 * dropped input: callers bump their counter whether or not a line is shown.
 */
#ifndef FW_LOG_H
#define FW_LOG_H

#include <stdatomic.h>
#include <stdint.h>

enum fw_log_level {
	FW_LOG_ERR = 0,
	FW_LOG_WARN,
	FW_LOG_INFO,
	FW_LOG_DEBUG,
};

#define FW_LOG_RL_PER_SEC 10

/* Per-call-site limiter state; lives in a static at the call site. */
struct fw_log_rl {
	_Atomic int64_t window_s;     /* second the tokens belong to */
	_Atomic uint32_t used;        /* lines shown in that second */
	_Atomic uint64_t suppressed;  /* lines not shown since the last shown */
};

/* Set the most verbose level shown (default FW_LOG_INFO). Any thread. */
void fw_log_set_level(enum fw_log_level level);

/* Parse "error", "warn", "info", "debug"; -1 if unknown. */
int fw_log_level_parse(const char *name);

void fw_log(enum fw_log_level level, const char *module, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* As fw_log, with ": strerror(errno)" appended. */
void fw_log_errno(enum fw_log_level level, const char *module, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Rate-limited form; use through FW_LOG_RL. */
void fw_log_rl(struct fw_log_rl *rl, enum fw_log_level level, const char *module,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

#define FW_LOG_RL(level, module, ...) do {                     \
		static struct fw_log_rl fw_rl_site_;                 \
		fw_log_rl(&fw_rl_site_, (level), (module), __VA_ARGS__); \
	} while (0)

#endif /* FW_LOG_H */
