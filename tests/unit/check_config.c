/*
 * check_config.c - configuration: defaults, deploy/floodwatch.conf kept in
 * step with the key table, INI errors naming file/line/key, bad values,
 * --set overrides, comments.
 *
 * Run from the project root (make unit does): the deploy file is read as
 * deploy/floodwatch.conf.
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fw_config.h"

Suite *config_suite(void);

#define DEPLOY_CONF "deploy/floodwatch.conf"

/* Load text over the defaults; returns the fw_err and keeps the message. */
static int
load(struct fw_config *cfg, const char *text, char *err, size_t errlen)
{
	fw_config_defaults(cfg);
	err[0] = '\0';
	return fw_config_load_string(cfg, text, "test.conf", err, errlen);
}

/* fw_config_print into a malloc'd string. */
static char *
print_cfg(const struct fw_config *cfg)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	ck_assert_ptr_nonnull(f);
	fw_config_print(cfg, f);
	fclose(f);
	return buf;
}

/* Field-by-field equality of two configs (every member of struct fw_config). */
static void
assert_cfg_eq(const struct fw_config *a, const struct fw_config *b)
{
	ck_assert_str_eq(a->log_level, b->log_level);
	ck_assert_str_eq(a->general_user, b->general_user);
	ck_assert_str_eq(a->general_group, b->general_group);
	ck_assert_int_eq(a->general_allow_root, b->general_allow_root);
	ck_assert_str_eq(a->listen_netflow, b->listen_netflow);
	ck_assert_str_eq(a->listen_ipfix, b->listen_ipfix);
	ck_assert_str_eq(a->listen_sflow, b->listen_sflow);
	ck_assert_int_eq(a->listen_rcvbuf_bytes, b->listen_rcvbuf_bytes);
	ck_assert_int_eq(a->listen_batch, b->listen_batch);
	ck_assert_int_eq(a->ring_slots, b->ring_slots);
	ck_assert_int_eq(a->alert_slots, b->alert_slots);
	ck_assert_int_eq(a->window_ms, b->window_ms);
	ck_assert_int_eq(a->lateness_ms, b->lateness_ms);
	ck_assert_int_eq(a->max_victims, b->max_victims);
	ck_assert_int_eq(a->warmup_windows, b->warmup_windows);
	ck_assert_double_eq(a->warmup_pps, b->warmup_pps);
	ck_assert_double_eq(a->dns_warmup_qps, b->dns_warmup_qps);
	ck_assert_double_eq(a->ewma_alpha, b->ewma_alpha);
	ck_assert_double_eq(a->min_pps, b->min_pps);
	ck_assert_double_eq(a->min_bps, b->min_bps);
	ck_assert_double_eq(a->multiplier, b->multiplier);
	ck_assert_double_eq(a->zscore, b->zscore);
	ck_assert_int_eq(a->start_windows, b->start_windows);
	ck_assert_int_eq(a->end_windows, b->end_windows);
	ck_assert_int_eq(a->update_windows, b->update_windows);
	ck_assert_str_eq(a->sqlite_path, b->sqlite_path);
	ck_assert_str_eq(a->kafka_brokers, b->kafka_brokers);
	ck_assert_str_eq(a->kafka_topic, b->kafka_topic);
}

/* ---- valid ---- */

START_TEST(test_config_defaults_valid)
{
	struct fw_config c;
	char err[256] = "";

	fw_config_defaults(&c);
	ck_assert_int_eq(fw_config_validate(&c, err, sizeof(err)), FW_OK);
	/* Contract values from DESIGN.md (ports, SQLite path, Kafka off, topic). */
	ck_assert_str_eq(c.listen_netflow, "[::]:2055");
	ck_assert_str_eq(c.listen_ipfix, "[::]:4739");
	ck_assert_str_eq(c.listen_sflow, "[::]:6343");
	ck_assert_str_eq(c.kafka_brokers, "");
	ck_assert_str_eq(c.kafka_topic, "floodwatch.alerts");
	ck_assert_str_eq(c.sqlite_path, "./var/floodwatch.db");
	ck_assert_int_eq(c.window_ms, 1000);
	ck_assert_double_eq_tol(c.ewma_alpha, 0.05, 1e-12);
}
END_TEST

/*
 * Every key of the table is in deploy/floodwatch.conf, uncommented, in its
 * section, with the default's text; and loading the file over a zeroed
 * config gives exactly the defaults.
 */
START_TEST(test_config_deploy_file_matches_defaults)
{
	struct fw_config def, got;
	char err[512] = "", *printed, *saveptr = NULL, section[1024] = "";
	FILE *f;
	char line[1024];
	size_t nkeys = 0;

	fw_config_defaults(&def);
	memset(&got, 0, sizeof(got));
	ck_assert_msg(fw_config_load_file(&got, DEPLOY_CONF, err, sizeof(err)) == FW_OK, "%s", err);
	assert_cfg_eq(&def, &got);

	/* Each "key = value" fw_config_print shows must be a line of the file
	 * in the same section (grep-like, independent of the INI parser). */
	printed = print_cfg(&def);
	for (char *pl = strtok_r(printed, "\n", &saveptr); pl; pl = strtok_r(NULL, "\n", &saveptr)) {
		int found = 0;

		if (pl[0] == '[') {
			snprintf(section, sizeof(section), "%s", pl);
			continue;
		}
		nkeys++;
		f = fopen(DEPLOY_CONF, "r");
		ck_assert_ptr_nonnull(f);
		{
			char cur[1024] = "";
			while (fgets(line, sizeof(line), f)) {
				char *nl = strchr(line, '\n');
				if (nl)
					*nl = '\0';
				/* "brokers =" has no text after '=': print writes "brokers = ". */
				while (strlen(line) > 0 && line[strlen(line) - 1] == ' ')
					line[strlen(line) - 1] = '\0';
				if (line[0] == '[')
					snprintf(cur, sizeof(cur), "%s", line);
				else if (strcmp(cur, section) == 0) {
					char want[512];
					snprintf(want, sizeof(want), "%s", pl);
					while (strlen(want) > 0 && want[strlen(want) - 1] == ' ')
						want[strlen(want) - 1] = '\0';
					if (strcmp(line, want) == 0)
						found = 1;
				}
			}
		}
		fclose(f);
		ck_assert_msg(found, "%s: no line '%s' in section %s", DEPLOY_CONF, pl, section);
	}
	/* ... and the file has no key lines beyond the table's (a stale doc). */
	{
		size_t file_keys = 0;

		f = fopen(DEPLOY_CONF, "r");
		ck_assert_ptr_nonnull(f);
		while (fgets(line, sizeof(line), f))
			if (line[0] != '#' && line[0] != ';' && line[0] != '[' && strchr(line, '=') != NULL)
				file_keys++;
		fclose(f);
		ck_assert_uint_eq(nkeys, file_keys);
	}
	ck_assert_uint_ge(nkeys, 30);
	free(printed);
}
END_TEST

/* fw_config_print output is itself a valid config giving the same values. */
START_TEST(test_config_print_roundtrip)
{
	struct fw_config a, b;
	char err[256] = "", *text;

	fw_config_defaults(&a);
	ck_assert_int_eq(fw_config_set(&a, "detector.window_ms=2500", err, sizeof(err)), FW_OK);
	ck_assert_int_eq(fw_config_set(&a, "kafka.brokers=127.0.0.1:9092", err, sizeof(err)), FW_OK);
	ck_assert_int_eq(fw_config_set(&a, "detector.multiplier=2.5", err, sizeof(err)), FW_OK);
	text = print_cfg(&a);
	memset(&b, 0, sizeof(b));
	ck_assert_msg(fw_config_load_string(&b, text, "printed", err, sizeof(err)) == FW_OK, "%s", err);
	assert_cfg_eq(&a, &b);
	free(text);
}
END_TEST

/*
 * fw_config_print_keys (floodwatch.conf(5) is generated from it): one line
 * per key of fw_config_print, in the same order, with five fields; each
 * default is accepted by --set, and each integer range is the one enforced.
 */
START_TEST(test_config_keys_table)
{
	struct fw_config c;
	char err[256] = "", *keys = NULL, *printed, *save = NULL;
	size_t len = 0, n = 0, m = 0;
	FILE *f = open_memstream(&keys, &len);

	ck_assert_ptr_nonnull(f);
	fw_config_print_keys(f);
	fclose(f);
	ck_assert_ptr_nonnull(strstr(keys, "\nlisten.batch\tinteger\t64\t1..1024\trestart\n"));
	ck_assert_ptr_nonnull(strstr(keys, "\ndetector.multiplier\tnumber\t4\t1..1e+06\treload\n"));
	fw_config_defaults(&c);
	printed = print_cfg(&c);
	/* Count the "key = value" lines of the printed defaults (rdkafka.* none). */
	for (char *l = strtok_r(printed, "\n", &save); l != NULL; l = strtok_r(NULL, "\n", &save))
		m += l[0] != '[' && strstr(l, " = ") != NULL;
	save = NULL;
	for (char *l = strtok_r(keys, "\n", &save); l != NULL; l = strtok_r(NULL, "\n", &save), n++) {
		char name[128], type[32], def[FW_CFG_STR_MAX], range[64], set[512];
		int fields = 0;

		for (const char *p = l; *p != '\0'; p++)
			fields += *p == '\t';
		ck_assert_msg(fields == 4, "not 5 fields: %s", l);
		name[0] = type[0] = def[0] = range[0] = '\0';
		ck_assert_int_eq(sscanf(l, "%127[^\t]\t%31[^\t]\t", name, type), 2);
		{
			const char *d = strchr(strchr(l, '\t') + 1, '\t') + 1, *r = strchr(d, '\t');
			const char *rl = strchr(r + 1, '\t');

			snprintf(def, sizeof(def), "%.*s", (int)(r - d), d);
			snprintf(range, sizeof(range), "%.*s", (int)(rl - r - 1), r + 1);
			ck_assert_msg(strcmp(rl + 1, "reload") == 0 || strcmp(rl + 1, "restart") == 0, "%s", l);
			ck_assert_int_eq(fw_config_key_reloadable(name), strcmp(rl + 1, "reload") == 0);
		}
		ck_assert_ptr_nonnull(strchr(name, '.'));
		snprintf(set, sizeof(set), "%s=%s", name, def);
		ck_assert_msg(fw_config_set(&c, set, err, sizeof(err)) == FW_OK, "%s: %s", set, err);
		if (strcmp(type, "integer") == 0) {
			long long lo, hi;

			ck_assert_int_eq(sscanf(range, "%lld..%lld", &lo, &hi), 2);
			snprintf(set, sizeof(set), "%s=%lld", name, hi);
			ck_assert_msg(fw_config_set(&c, set, err, sizeof(err)) == FW_OK, "%s: %s", set, err);
			snprintf(set, sizeof(set), "%s=%lld", name, hi + 1);
			ck_assert_msg(fw_config_set(&c, set, err, sizeof(err)) == FW_EINVAL, "%s accepted", set);
			snprintf(set, sizeof(set), "%s=%lld", name, lo - 1);
			ck_assert_msg(fw_config_set(&c, set, err, sizeof(err)) == FW_EINVAL, "%s accepted", set);
		} else if (strcmp(type, "number") != 0) {
			ck_assert_msg(range[0] == '\0', "%s: range for a %s", name, type);
		}
	}
	ck_assert_uint_eq(n, m);
	free(keys);
	free(printed);
}
END_TEST

START_TEST(test_config_partial_file_keeps_others)
{
	struct fw_config c, def;
	char err[256];

	fw_config_defaults(&def);
	ck_assert_int_eq(load(&c, "[detector]\nwindow_ms = 500\n[sqlite]\npath = /tmp/x.db\n", err,
	    sizeof(err)), FW_OK);
	ck_assert_int_eq(c.window_ms, 500);
	ck_assert_str_eq(c.sqlite_path, "/tmp/x.db");
	c.window_ms = def.window_ms;
	memcpy(c.sqlite_path, def.sqlite_path, sizeof(c.sqlite_path));
	assert_cfg_eq(&c, &def);
}
END_TEST

START_TEST(test_config_comments)
{
	struct fw_config c;
	char err[256];
	static const char text[] =
	    "# hash comment\n"
	    "; semicolon comment\n"
	    "[listen]   ; comment after a section\n"
	    "batch = 32 ; inline comment\n"
	    "\n"
	    "   # indented comment\n"
	    "[sqlite]\n"
	    "path = /tmp/fw test.db ; spaces inside the value stay\n"
	    "[kafka]\n"
	    "topic = t1;not-a-comment-without-space\n";

	ck_assert_msg(load(&c, text, err, sizeof(err)) == FW_OK, "%s", err);
	ck_assert_int_eq(c.listen_batch, 32);
	ck_assert_str_eq(c.sqlite_path, "/tmp/fw test.db");
	ck_assert_str_eq(c.kafka_topic, "t1;not-a-comment-without-space");
}
END_TEST

START_TEST(test_config_set_forms)
{
	struct fw_config c;
	char err[256] = "";

	fw_config_defaults(&c);
	ck_assert_int_eq(fw_config_set(&c, "sqlite.path=/tmp/a.db", err, sizeof(err)), FW_OK);
	ck_assert_str_eq(c.sqlite_path, "/tmp/a.db");
	ck_assert_int_eq(fw_config_set(&c, "kafka.brokers=127.0.0.1:9092", err, sizeof(err)), FW_OK);
	ck_assert_str_eq(c.kafka_brokers, "127.0.0.1:9092");
	ck_assert_int_eq(fw_config_set(&c, "kafka.brokers=", err, sizeof(err)), FW_OK);
	ck_assert_str_eq(c.kafka_brokers, "");
	/* Only the first '=' separates: the value may hold more. */
	ck_assert_int_eq(fw_config_set(&c, "sqlite.path=/tmp/a=b.db", err, sizeof(err)), FW_OK);
	ck_assert_str_eq(c.sqlite_path, "/tmp/a=b.db");
	ck_assert_int_eq(fw_config_set(&c, "detector.ewma_alpha=0.25", err, sizeof(err)), FW_OK);
	ck_assert_double_eq_tol(c.ewma_alpha, 0.25, 1e-12);
	ck_assert_int_eq(fw_config_set(&c, "general.log_level=debug", err, sizeof(err)), FW_OK);
	ck_assert_str_eq(c.log_level, "debug");
	ck_assert_int_eq(fw_config_set(&c, "listen.batch=1024", err, sizeof(err)), FW_OK);
	ck_assert_int_eq(c.listen_batch, 1024);
	/* A later --set wins. */
	ck_assert_int_eq(fw_config_set(&c, "listen.batch=7", err, sizeof(err)), FW_OK);
	ck_assert_int_eq(c.listen_batch, 7);
	/* Booleans: yes/no, true/false, 1/0, any case. */
	ck_assert_int_eq(c.general_allow_root, 0);
	ck_assert_int_eq(fw_config_set(&c, "general.allow_root=Yes", err, sizeof(err)), FW_OK);
	ck_assert_int_eq(c.general_allow_root, 1);
	ck_assert_int_eq(fw_config_set(&c, "general.allow_root=false", err, sizeof(err)), FW_OK);
	ck_assert_int_eq(c.general_allow_root, 0);
	ck_assert_int_eq(fw_config_set(&c, "general.allow_root=1", err, sizeof(err)), FW_OK);
	ck_assert_int_eq(c.general_allow_root, 1);
	ck_assert_int_eq(fw_config_set(&c, "general.user=", err, sizeof(err)), FW_OK);
	ck_assert_str_eq(c.general_user, "");
}
END_TEST

/* ---- malformed ---- */

static const struct {
	const char *text;
	int line;
	const char *needle;     /* must appear in the message */
} bad_files[] = {
	{ "[general]\nlog_level = info\n\n[bogus]\nfoo = 1\n", 5, "bogus" },
	{ "[general]\nlog_level = info\n\n[bogus]\nfoo = 1\n", 5, "foo" },
	{ "# c\n; c\n[detector]\n\nwindow_ms = 1000\nwindw_ms = 5\n", 6, "windw_ms" },
	{ "[listen]\nbatch = 12x\n", 2, "batch" },
	{ "[listen]\nbatch =\n", 2, "batch" },
	{ "[listen]\nbatch = 99999999999999999999\n", 2, "batch" },
	{ "[listen]\nbatch = 0\n", 2, "batch" },
	{ "[listen]\nbatch = 1025\n", 2, "batch" },
	{ "[listen]\nbatch = -5\n", 2, "batch" },
	{ "[listen]\nbatch = 1.5\n", 2, "batch" },
	{ "[listen]\nbatch = 32 # not a comment\n", 2, "batch" },
	{ "[detector]\newma_alpha = abc\n", 2, "ewma_alpha" },
	{ "[detector]\newma_alpha = nan\n", 2, "ewma_alpha" },
	{ "[detector]\nmin_pps = inf\n", 2, "min_pps" },
	{ "[detector]\newma_alpha = 0\n", 2, "ewma_alpha" },
	{ "[detector]\newma_alpha = 1.5\n", 2, "ewma_alpha" },
	{ "[detector]\nmultiplier = 0.5\n", 2, "multiplier" },
	{ "[detector]\nmin_bps = -1\n", 2, "min_bps" },
	{ "[general]\nlog_level = verbose\n", 2, "log_level" },
	{ "[general]\nuser = nobody\nallow_root = sure\n", 3, "allow_root" },
	{ "log_level = info\n", 1, "log_level" },            /* key before any section */
	{ "[general]\nthis line has no equals sign\n", 2, "syntax" },
	{ "[general\nlog_level = info\n", 1, "syntax" },
	{ "\n\n\n[sqlite]\r\npath = a\r\nsize = 3\r\n", 6, "size" },  /* CRLF */
	/* Listen addresses (issue 9, item 10): host and port checked here. */
	{ "[listen]\nnetflow = 300.1.2.3:2055\n", 2, "listen.netflow: '300.1.2.3:2055': the host is not" },
	{ "[listen]\nipfix = [::]:99999\n", 2, "listen.ipfix: '[::]:99999': port 99999 is out of range" },
	{ "[listen]\nsflow = 65536\n", 2, "port 65536 is out of range" },
	{ "[listen]\nsflow = 127.0.0.1:-1\n", 2, "'-1' is not a port number" },
	{ "[listen]\nsflow = 127.0.0.1:\n", 2, "no port" },
	{ "[listen]\nsflow = 127.0.0.1:80x\n", 2, "'80x' is not a port number" },
	{ "[listen]\nnetflow = [::1]2055\n", 2, "expected [IPV6]:PORT" },
	{ "[listen]\nnetflow = [::1\n", 2, "expected [IPV6]:PORT" },
	{ "[listen]\nnetflow = [fe80::zz]:2055\n", 2, "the host is not" },
	{ "[listen]\nnetflow = router.example:2055\n", 2, "the host is not" },
	{ "[listen]\nnetflow = 127.0.0.1:2055, 1.2.3:2056\n", 2, "'1.2.3:2056'" },
	{ "[listen]\nnetflow = 127.0.0.1:99999999999999999999\n", 2, "out of range" },
	/* A key set twice in one file: the second line, naming the first. */
	{ "[listen]\nbatch = 32\nbatch = 64\n", 3, "duplicate key 'batch' in section [listen] (first set on line 2" },
	{ "[listen]\nbatch = 32\n[sqlite]\npath = /x\n[listen]\nbatch = 32\n", 6, "duplicate key 'batch'" },
	{ "[sqlite]\npath = /a\n\n# again\npath = /b\n", 5, "first set on line 2" },
	{ "[kafka]\nrdkafka.acks = 1\nrdkafka.acks = all\n", 3, "duplicate key 'rdkafka.acks'" },
};

START_TEST(test_config_bad_text)
{
	struct fw_config c;
	char err[512], where[32];

	ck_assert_int_eq(load(&c, bad_files[_i].text, err, sizeof(err)), FW_EINVAL);
	snprintf(where, sizeof(where), "test.conf:%d:", bad_files[_i].line);
	ck_assert_msg(strstr(err, where) == err, "case %d: '%s' does not start with '%s'", _i, err, where);
	ck_assert_msg(strstr(err, bad_files[_i].needle) != NULL, "case %d: '%s' lacks '%s'", _i, err,
	    bad_files[_i].needle);
}
END_TEST

/* The same through a real file: the message names that file. */
START_TEST(test_config_bad_file_names_file)
{
	char path[] = "/tmp/fwcfgXXXXXX", err[512], where[64];
	struct fw_config c;
	int fd = mkstemp(path);
	static const char text[] = "[general]\nlog_level = info\n[listen]\n# x\nnetflow = [::]:2055\nrcvbuf = 5\n";

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, sizeof(text) - 1), (ssize_t)(sizeof(text) - 1));
	close(fd);
	fw_config_defaults(&c);
	ck_assert_int_eq(fw_config_load_file(&c, path, err, sizeof(err)), FW_EINVAL);
	snprintf(where, sizeof(where), "%s:6:", path);
	ck_assert_msg(strncmp(err, where, strlen(where)) == 0, "'%s'", err);
	ck_assert_ptr_nonnull(strstr(err, "rcvbuf"));
	ck_assert_ptr_nonnull(strstr(err, "listen"));
	unlink(path);
}
END_TEST

START_TEST(test_config_missing_file)
{
	struct fw_config c;
	char err[512] = "";

	fw_config_defaults(&c);
	ck_assert_int_eq(fw_config_load_file(&c, "/nonexistent/floodwatch.conf", err, sizeof(err)), FW_ENOENT);
	ck_assert_ptr_nonnull(strstr(err, "/nonexistent/floodwatch.conf"));
}
END_TEST

static const char *const bad_sets[] = {
	"nodot=1", ".window_ms=1", "detector.=1", "sqlite.path", "a=b.c", "=1", "",
	"bogus.key=1", "sqlite.bogus=1", "detector.window_ms=abc", "detector.window_ms=50",
	"detector.window_ms=", "general.log_level=loud", "detector.zscore=-1",
	"general.allow_root=maybe", "general.allow_root=",
	"listen.netflow=300.1.2.3:2055", "listen.ipfix=[::]:99999", "listen.sflow=:6343",
};

START_TEST(test_config_set_bad)
{
	struct fw_config c, def;
	char err[512] = "";

	fw_config_defaults(&c);
	fw_config_defaults(&def);
	ck_assert_int_eq(fw_config_set(&c, bad_sets[_i], err, sizeof(err)), FW_EINVAL);
	ck_assert_msg(strstr(err, "--set") != NULL, "'%s'", err);
	/* A refused override leaves the config as it was. */
	assert_cfg_eq(&c, &def);
}
END_TEST

/* Unknown keys via --set name the key the user typed. */
START_TEST(test_config_set_unknown_names_key)
{
	struct fw_config c;
	char err[512] = "";

	fw_config_defaults(&c);
	ck_assert_int_eq(fw_config_set(&c, "sqlite.pathh=/x", err, sizeof(err)), FW_EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "sqlite.pathh"));
	ck_assert_int_eq(fw_config_set(&c, "sqlit.path=/x", err, sizeof(err)), FW_EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "sqlit"));
}
END_TEST

/* ---- limits ---- */

START_TEST(test_config_int_bounds_inclusive)
{
	struct fw_config c;
	char err[256] = "";

	fw_config_defaults(&c);
	ck_assert_int_eq(fw_config_set(&c, "listen.batch=1", err, sizeof(err)), FW_OK);
	ck_assert_int_eq(fw_config_set(&c, "listen.batch=1024", err, sizeof(err)), FW_OK);
	ck_assert_int_eq(fw_config_set(&c, "listen.rcvbuf_bytes=1073741824", err, sizeof(err)), FW_OK);
	ck_assert_int_eq(fw_config_set(&c, "listen.rcvbuf_bytes=1073741825", err, sizeof(err)), FW_EINVAL);
	ck_assert_int_eq(fw_config_set(&c, "detector.ewma_alpha=1", err, sizeof(err)), FW_OK);
	ck_assert_int_eq(fw_config_set(&c, "detector.ewma_alpha=0.0001", err, sizeof(err)), FW_OK);
	ck_assert_int_eq(fw_config_set(&c, "detector.ewma_alpha=0.00009", err, sizeof(err)), FW_EINVAL);
	ck_assert_int_eq(fw_config_set(&c, "detector.lateness_ms=0", err, sizeof(err)), FW_OK);
}
END_TEST

START_TEST(test_config_string_length)
{
	struct fw_config c;
	char err[512] = "", set[FW_CFG_STR_MAX + 32];
	size_t pre = strlen("sqlite.path=");

	fw_config_defaults(&c);
	memcpy(set, "sqlite.path=", pre);
	memset(set + pre, 'a', FW_CFG_STR_MAX - 1);
	set[pre + FW_CFG_STR_MAX - 1] = '\0';
	ck_assert_int_eq(fw_config_set(&c, set, err, sizeof(err)), FW_OK);
	ck_assert_uint_eq(strlen(c.sqlite_path), FW_CFG_STR_MAX - 1);
	set[pre + FW_CFG_STR_MAX - 1] = 'a';
	set[pre + FW_CFG_STR_MAX] = '\0';
	ck_assert_int_eq(fw_config_set(&c, set, err, sizeof(err)), FW_EINVAL);
	ck_assert_uint_eq(strlen(c.sqlite_path), FW_CFG_STR_MAX - 1);
}
END_TEST

/*
 * Lines longer than the INI reader's buffer (198 characters here): a key
 * line is an error on its own line number and its cut value is not applied;
 * a long comment is fine and later line numbers stay right.  Checked both
 * from memory and from a file (two different readers).
 */
static void
long_line_case(int from_file, const char *text, int want_rc, const char *want_msg)
{
	struct fw_config c;
	char err[512] = "", path[] = "/tmp/fwcfglongXXXXXX";
	int rc;

	fw_config_defaults(&c);
	if (from_file) {
		int fd = mkstemp(path);
		ck_assert_int_ge(fd, 0);
		ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
		close(fd);
		rc = fw_config_load_file(&c, path, err, sizeof(err));
		unlink(path);
	} else {
		rc = fw_config_load_string(&c, text, "test.conf", err, sizeof(err));
	}
	ck_assert_msg(rc == want_rc, "rc %d: %s", rc, err);
	if (want_msg != NULL)
		ck_assert_msg(strstr(err, want_msg) != NULL, "'%s' lacks '%s'", err, want_msg);
	ck_assert_str_eq(c.sqlite_path, "./var/floodwatch.db");  /* never a cut value */
}

START_TEST(test_config_long_lines)
{
	char text[2048], val[400];

	memset(val, 'a', 300);
	val[300] = '\0';
	snprintf(text, sizeof(text), "[sqlite]\npath = /%s\n[kafka]\ntopic = x\n", val);
	long_line_case(_i, text, FW_EINVAL, ":2: line longer than");
	/* A long comment, then a bad key on line 4. */
	snprintf(text, sizeof(text), "[sqlite]\n# %s = 1\n\nbogus = 1\n", val);
	long_line_case(_i, text, FW_EINVAL, ":4: unknown key 'bogus'");
	snprintf(text, sizeof(text), "[sqlite]\n# %s\n", val);
	long_line_case(_i, text, FW_OK, NULL);
	/* Exactly as long as fits (198 characters before the newline). */
	memset(val, 'b', 198 - 8);
	val[198 - 8] = '\0';
	snprintf(text, sizeof(text), "[kafka]\ntopic = %s\nbogus = 2\n", val);
	ck_assert_uint_eq(strlen("topic = ") + strlen(val), 198);
	long_line_case(_i, text, FW_EINVAL, ":3: unknown key 'bogus'");
}
END_TEST

/* Accepted address forms; what check-config accepts, a listener parses alike. */
START_TEST(test_config_listen_addresses_valid)
{
	struct fw_config c;
	char err[512];

	ck_assert_msg(load(&c, "[listen]\nnetflow = 127.0.0.1:2055, [::1]:2056 2057\n"
	    "ipfix = [::]:0\nsflow = 0.0.0.0:65535\n", err, sizeof(err)) == FW_OK, "%s", err);
	ck_assert_str_eq(c.listen_netflow, "127.0.0.1:2055, [::1]:2056 2057");
	ck_assert_msg(load(&c, "[listen]\nnetflow =\nipfix = [::ffff:127.0.0.1]:4739\n", err,
	    sizeof(err)) == FW_OK, "%s", err);
	ck_assert_str_eq(c.listen_netflow, "");
	/* --set is checked the same way; a refused value changes nothing. */
	fw_config_defaults(&c);
	ck_assert_int_eq(fw_config_set(&c, "listen.netflow=300.1.2.3:2055", err, sizeof(err)), FW_EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "--set listen.netflow: '300.1.2.3:2055'"));
	ck_assert_str_eq(c.listen_netflow, "[::]:2055");
	ck_assert_int_eq(fw_config_set(&c, "listen.netflow=[::1]:9", err, sizeof(err)), FW_OK);
	/* Repeated --set is not a duplicate: the last wins. */
	ck_assert_int_eq(fw_config_set(&c, "listen.netflow=[::1]:10", err, sizeof(err)), FW_OK);
	ck_assert_str_eq(c.listen_netflow, "[::1]:10");
}
END_TEST

/* Too many sockets (addresses x workers) is a config error, not a run failure. */
START_TEST(test_config_listen_socket_count)
{
	struct fw_config c;
	char err[512] = "";

	fw_config_defaults(&c);
	ck_assert_int_eq(fw_config_set(&c, "listen.workers=16", err, sizeof(err)), FW_OK);
	ck_assert_int_eq(fw_config_validate(&c, err, sizeof(err)), FW_OK);        /* 3 x 16 = 48 */
	ck_assert_int_eq(fw_config_set(&c, "listen.sflow=1, 2", err, sizeof(err)), FW_OK);
	ck_assert_int_eq(fw_config_validate(&c, err, sizeof(err)), FW_EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "listen.workers (16) x 4 listen addresses"));
}
END_TEST

/*
 * fw_config_validate() messages are placed where the key was set: the
 * file's line, the last --set of it, or the file/defaults when neither.
 */
START_TEST(test_config_locate)
{
	char path[] = "/tmp/fwcfglocXXXXXX", where[512], err[512], want[128];
	static const char text[] = "[detector]\n# c\nwindow_ms = 1000\n\nlateness_ms = 4001\n"
	    "[dns]\nmultiplier = 3\n";
	const char *sets[] = { "detector.lateness_ms=1", "detector.lateness_ms=4001", "sqlite.path=/x" };
	struct fw_config c;
	int fd = mkstemp(path);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, sizeof(text) - 1), (ssize_t)(sizeof(text) - 1));
	close(fd);
	fw_config_defaults(&c);
	ck_assert_int_eq(fw_config_load_file(&c, path, err, sizeof(err)), FW_OK);
	ck_assert_int_eq(fw_config_validate(&c, err, sizeof(err)), FW_EINVAL);
	fw_config_locate(path, NULL, 0, err, where, sizeof(where));
	snprintf(want, sizeof(want), "%s:5: ", path);
	ck_assert_str_eq(where, want);
	/* The last --set of the key wins over the file. */
	fw_config_locate(path, sets, 3, err, where, sizeof(where));
	ck_assert_str_eq(where, "--set detector.lateness_ms=4001: ");
	/* Whole key names only: dns.multiplier is not detector.multiplier. */
	fw_config_locate(path, NULL, 0, "detector.multiplier: bad", where, sizeof(where));
	snprintf(want, sizeof(want), "%s: ", path);
	ck_assert_str_eq(where, want);
	fw_config_locate(path, NULL, 0, "dns.multiplier: bad", where, sizeof(where));
	snprintf(want, sizeof(want), "%s:7: ", path);
	ck_assert_str_eq(where, want);
	fw_config_locate(NULL, NULL, 0, "sqlite.path: must not be empty", where, sizeof(where));
	ck_assert_str_eq(where, "built-in defaults: ");
	unlink(path);
}
END_TEST

START_TEST(test_config_validate_cross_keys)
{
	struct fw_config c;
	char err[512] = "";

	fw_config_defaults(&c);
	c.window_ms = 1000;
	c.lateness_ms = 4000;
	ck_assert_int_eq(fw_config_validate(&c, err, sizeof(err)), FW_OK);
	c.lateness_ms = 4001;
	ck_assert_int_eq(fw_config_validate(&c, err, sizeof(err)), FW_EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "lateness_ms"));

	fw_config_defaults(&c);
	ck_assert_int_eq(fw_config_set(&c, "sqlite.path=", err, sizeof(err)), FW_OK);
	ck_assert_int_eq(fw_config_validate(&c, err, sizeof(err)), FW_EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "sqlite.path"));

	fw_config_defaults(&c);
	ck_assert_int_eq(fw_config_set(&c, "kafka.brokers=127.0.0.1:9092", err, sizeof(err)), FW_OK);
	ck_assert_int_eq(fw_config_set(&c, "kafka.topic=", err, sizeof(err)), FW_OK);
	ck_assert_int_eq(fw_config_validate(&c, err, sizeof(err)), FW_EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "kafka.topic"));
}
END_TEST

/*
 * SIGHUP (fw_config_reload_merge): changed reloadable keys are counted and
 * kept at their new value; changed restart-only keys (table sizes, sockets,
 * files, rdkafka.*) go back to the running value, so what is handed over
 * never resizes anything.
 */
START_TEST(test_config_reload_merge)
{
	struct fw_config cur, next, want;
	char err[256];

	fw_config_defaults(&cur);
	ck_assert_int_eq(fw_config_set(&cur, "kafka.rdkafka.acks=all", err, sizeof(err)), FW_OK);
	next = cur;
	ck_assert_int_eq(fw_config_reload_merge(&cur, &next), 0);
	assert_cfg_eq(&cur, &next);

	/* Reloadable: thresholds, lists, log level, retention, notify. */
	ck_assert_int_eq(fw_config_set(&next, "detector.multiplier=2.5", err, sizeof(err)), FW_OK);
	ck_assert_int_eq(fw_config_set(&next, "detector.networks=192.0.2.0/24@500", err, sizeof(err)), FW_OK);
	ck_assert_int_eq(fw_config_set(&next, "dns.zones=example.org", err, sizeof(err)), FW_OK);
	ck_assert_int_eq(fw_config_set(&next, "general.log_level=debug", err, sizeof(err)), FW_OK);
	ck_assert_int_eq(fw_config_set(&next, "sqlite.retention_days=7", err, sizeof(err)), FW_OK);
	ck_assert_int_eq(fw_config_set(&next, "notify.timeout_ms=500", err, sizeof(err)), FW_OK);
	want = next;
	/* Restart-only: sizes, the clock, sockets, files, users, rdkafka.*. */
	ck_assert_int_eq(fw_config_set(&next, "detector.max_victims=1024", err, sizeof(err)), FW_OK);
	ck_assert_int_eq(fw_config_set(&next, "detector.window_ms=500", err, sizeof(err)), FW_OK);
	ck_assert_int_eq(fw_config_set(&next, "dns.max_zones=64", err, sizeof(err)), FW_OK);
	ck_assert_int_eq(fw_config_set(&next, "pipeline.ring_slots=1024", err, sizeof(err)), FW_OK);
	ck_assert_int_eq(fw_config_set(&next, "listen.netflow=127.0.0.1:9995", err, sizeof(err)), FW_OK);
	ck_assert_int_eq(fw_config_set(&next, "sqlite.path=/tmp/other.db", err, sizeof(err)), FW_OK);
	ck_assert_int_eq(fw_config_set(&next, "general.user=daemon", err, sizeof(err)), FW_OK);
	ck_assert_int_eq(fw_config_set(&next, "kafka.rdkafka.acks=1", err, sizeof(err)), FW_OK);
	ck_assert_int_eq(fw_config_reload_merge(&cur, &next), 6);
	assert_cfg_eq(&next, &want);
	ck_assert_int_eq(next.kafka_nprops, 1);
	ck_assert_str_eq(next.kafka_prop_val[0], "all");

	ck_assert_int_eq(fw_config_key_reloadable("detector.min_pps"), 1);
	ck_assert_int_eq(fw_config_key_reloadable("detector.max_victims"), 0);
	ck_assert_int_eq(fw_config_key_reloadable("listen.netflow"), 0);
	ck_assert_int_eq(fw_config_key_reloadable("detector.nope"), -1);
	ck_assert_int_eq(fw_config_key_reloadable("detector"), -1);
}
END_TEST

Suite *
config_suite(void)
{
	Suite *s = suite_create("config");
	TCase *v = tcase_create("valid"), *m = tcase_create("malformed"), *l = tcase_create("limits");

	tcase_add_test(v, test_config_defaults_valid);
	tcase_add_test(v, test_config_deploy_file_matches_defaults);
	tcase_add_test(v, test_config_print_roundtrip);
	tcase_add_test(v, test_config_keys_table);
	tcase_add_test(v, test_config_partial_file_keeps_others);
	tcase_add_test(v, test_config_reload_merge);
	tcase_add_test(v, test_config_comments);
	tcase_add_test(v, test_config_set_forms);
	tcase_add_loop_test(m, test_config_bad_text, 0, (int)(sizeof(bad_files) / sizeof(bad_files[0])));
	tcase_add_test(m, test_config_bad_file_names_file);
	tcase_add_test(m, test_config_missing_file);
	tcase_add_loop_test(m, test_config_set_bad, 0, (int)(sizeof(bad_sets) / sizeof(bad_sets[0])));
	tcase_add_test(m, test_config_set_unknown_names_key);
	tcase_add_test(l, test_config_int_bounds_inclusive);
	tcase_add_test(l, test_config_string_length);
	tcase_add_test(l, test_config_validate_cross_keys);
	tcase_add_test(v, test_config_listen_addresses_valid);
	tcase_add_test(l, test_config_listen_socket_count);
	tcase_add_test(m, test_config_locate);
	tcase_add_loop_test(l, test_config_long_lines, 0, 2);
	tcase_set_timeout(v, 10);
	tcase_set_timeout(m, 10);
	tcase_set_timeout(l, 10);
	suite_add_tcase(s, v);
	suite_add_tcase(s, m);
	suite_add_tcase(s, l);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(config_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
