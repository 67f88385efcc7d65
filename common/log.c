/*
 * log.c - stderr logging with levels and per-call-site rate limits.
 * See fw_log.h for the line format and the limiter contract.
 */
#include "fw_log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

static _Atomic int log_level = FW_LOG_INFO;

static const char *const level_names[] = { "error", "warn", "info", "debug" };
static const int syslog_prio[] = { 3, 4, 6, 7 };

void
fw_log_set_level(enum fw_log_level level)
{
	atomic_store(&log_level, (int)level);
}

int
fw_log_level_parse(const char *name)
{
	for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++)
		if (strcasecmp(name, level_names[i]) == 0)
			return (int)i;
	return -1;
}

static void log_write(enum fw_log_level level, const char *module, const char *suffix,
    const char *fmt, va_list ap) __attribute__((format(printf, 4, 0)));

static void
log_write(enum fw_log_level level, const char *module, const char *suffix,
    const char *fmt, va_list ap)
{
	char line[1024];
	size_t off = 0;
	int n;

	if (getenv("JOURNAL_STREAM") != NULL) {
		n = snprintf(line, sizeof(line), "<%d>", syslog_prio[level]);
	} else {
		struct timespec ts;
		struct tm tm;

		clock_gettime(CLOCK_REALTIME, &ts);
		gmtime_r(&ts.tv_sec, &tm);
		n = snprintf(line, sizeof(line), "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ ",
		    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		    tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000);
	}
	off = n > 0 ? (size_t)n : 0;
	n = snprintf(line + off, sizeof(line) - off, "%s %s: ", level_names[level], module);
	off += n > 0 ? (size_t)n : 0;
	if (off < sizeof(line)) {
		/* Every caller va_start()s ap; the analyzer loses track through the
		 * call (clang-analyzer-valist false positive). */
		n = vsnprintf(line + off, sizeof(line) - off, fmt, ap); // NOLINT(clang-analyzer-valist.Uninitialized)
		off += n > 0 ? (size_t)n : 0;
	}
	if (suffix != NULL && off < sizeof(line)) {
		n = snprintf(line + off, sizeof(line) - off, "%s", suffix);
		off += n > 0 ? (size_t)n : 0;
	}
	if (off >= sizeof(line) - 1)
		off = sizeof(line) - 2;
	line[off++] = '\n';
	/* One write per line keeps lines whole across threads. */
	ssize_t w = write(STDERR_FILENO, line, off);
	(void)w;
}

void
fw_log(enum fw_log_level level, const char *module, const char *fmt, ...)
{
	va_list ap;

	if ((int)level > atomic_load(&log_level))
		return;
	va_start(ap, fmt);
	log_write(level, module, NULL, fmt, ap);
	va_end(ap);
}

void
fw_log_errno(enum fw_log_level level, const char *module, const char *fmt, ...)
{
	char suffix[160];
	int saved = errno;
	va_list ap;

	if ((int)level > atomic_load(&log_level))
		return;
	snprintf(suffix, sizeof(suffix), ": %s", strerror(saved));
	va_start(ap, fmt);
	log_write(level, module, suffix, fmt, ap);
	va_end(ap);
}

void
fw_log_rl(struct fw_log_rl *rl, enum fw_log_level level, const char *module,
    const char *fmt, ...)
{
	struct timespec ts;
	char suffix[64] = "";
	uint64_t missed;
	va_list ap;

	if ((int)level > atomic_load(&log_level))
		return;
	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	if (atomic_load(&rl->window_s) != (int64_t)ts.tv_sec) {
		atomic_store(&rl->window_s, (int64_t)ts.tv_sec);
		atomic_store(&rl->used, 0);
	}
	if (atomic_fetch_add(&rl->used, 1) >= FW_LOG_RL_PER_SEC) {
		atomic_fetch_add(&rl->suppressed, 1);
		return;
	}
	missed = atomic_exchange(&rl->suppressed, 0);
	if (missed > 0)
		snprintf(suffix, sizeof(suffix), " (%llu more suppressed)",
		    (unsigned long long)missed);
	va_start(ap, fmt);
	log_write(level, module, suffix, fmt, ap);
	va_end(ap);
}
