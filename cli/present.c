/*
 * present.c - what `alerts` and `show` share: opening the database the
 * analyst names (with a clear reason when it cannot be used), rates and
 * durations in human units, and attacker-chosen text made safe for a
 * terminal.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli_int.h"
#include "fw_alert_json.h"
#include "fw_records.h"
#include "fw_time.h"

/* The path is a file we can read; else one clear line and EXIT_USAGE.
 * Checked before SQLite sees it: SQLite words these as "disk I/O error" or
 * "unable to open database file". */
static int
check_db_path(const char *cmd, const char *path)
{
	const char *why = NULL;
	struct stat sb;
	int fd;

	if (stat(path, &sb) != 0)
		why = errno == ENOENT ? "no such file (--db takes the daemon's sqlite.path)" : strerror(errno);
	else if (S_ISDIR(sb.st_mode))
		why = "is a directory, not a database file (--db takes the daemon's sqlite.path)";
	else if (!S_ISREG(sb.st_mode))
		why = "not a regular file";
	else if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		why = strerror(errno);
	else
		close(fd);
	if (why == NULL)
		return 0;
	fprintf(stderr, "floodwatch %s: %s: cannot open database: %s\n", cmd, path, why);
	return EXIT_USAGE;
}

int
cli_open_db(const char *cmd, const char *path, struct fw_aq **out)
{
	char err[4400];
	int rc;

	if ((rc = check_db_path(cmd, path)) != 0)
		return rc;
	if (fw_aq_open(path, out, err, sizeof(err)) != FW_OK) {
		fprintf(stderr, "floodwatch %s: %s\n", cmd, err);
		return EXIT_USAGE;
	}
	return 0;
}

void
cli_rate(double v, const char *unit, char *out, size_t len)
{
	/* Up to exa: a corrupt or hostile peak must not print 900000.0 Tpps. */
	static const char *const prefix[] = { "", "k", "M", "G", "T", "P", "E" };
	int p = 0;

	if (!isfinite(v) || v < 0)
		v = 0;
	while (v >= 999.95 && p < 6) {
		v /= 1000;
		p++;
	}
	if (p == 0)
		snprintf(out, len, v >= 9.95 || v == 0 ? "%.0f %s" : "%.1f %s", v, unit);
	else
		snprintf(out, len, "%.1f %s%s", v, prefix[p], unit);
}

void
cli_duration(double s, char *out, size_t len)
{
	long t = (long)(s + 0.5);

	if (!(s >= 0) || s > 1e9)
		t = 0;
	if (t < 60)
		snprintf(out, len, "%lds", t);
	else if (t < 3600)
		snprintf(out, len, "%ldm%02lds", t / 60, t % 60);
	else if (t < 86400)
		snprintf(out, len, "%ldh%02ldm", t / 3600, (t % 3600) / 60);
	else
		snprintf(out, len, "%ldd%02ldh", t / 86400, (t % 86400) / 3600);
}

double
cli_seconds_between(const char *from, const char *to)
{
	int64_t a, b;

	if (from == NULL || to == NULL || fw_time_parse(from, &a) != 0 || fw_time_parse(to, &b) != 0)
		return 0;
	return (double)(b - a) / 1000.0;
}

const char *
cli_terminal_text(const char *text, char *out, size_t outlen)
{
	char clean[FW_EVIDENCE_MAX * 3 + 256];
	size_t o = 0;

	/* Control bytes as \xNN: no escape sequence from an attacker-chosen
	 * name reaches the analyst's terminal; bad UTF-8 as U+FFFD. */
	fw_utf8_sanitize(text ? text : "", clean, sizeof(clean));
	for (const unsigned char *p = (const unsigned char *)clean; *p && o + 5 < outlen; p++) {
		if (*p < 0x20 || *p == 0x7f)
			o += (size_t)snprintf(out + o, outlen - o, "\\x%02x", *p);
		else
			out[o++] = (char)*p;
	}
	out[o] = '\0';
	return out;
}

int
cli_print_json(json_t *o)
{
	char *line = o != NULL ? json_dumps(o, FW_AQ_JSON_FLAGS) : NULL;
	int rc = line != NULL ? 0 : -1;

	if (line != NULL)
		printf("%s\n", line);
	free(line);
	json_decref(o);
	return rc;
}
