/*
 * check_priv.c - the privilege drop of `run` (fw_priv.h): decisions from the
 * config, the switch itself read back from the kernel, and the hand-over of
 * files that must never follow a planted link.
 *
 * Check runs each test in its own forked process, so a test may drop the
 * process's privileges for good.  The tests need root (make check runs as
 * root); as anyone else they pass without checking anything and say so.
 */
#include <check.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fw_config.h"
#include "fw_log.h"
#include "fw_priv.h"

Suite *priv_suite(void);

static char top[64];   /* made by main(), removed by main() */
static char dir[128];   /* this test's own directory below top */
static uid_t nobody_uid;
static gid_t nogroup_gid;

/* A fresh directory nogroup may write to, and a config using it. */
static int
setup(struct fw_config *cfg)
{
	struct passwd *pw = getpwnam("nobody");
	struct group *gr = getgrnam("nogroup");

	if (geteuid() != 0 || pw == NULL || gr == NULL) {
		fprintf(stderr, "check_priv: skipped (needs root, user nobody and group nogroup)\n");
		return 0;
	}
	nobody_uid = pw->pw_uid;
	nogroup_gid = gr->gr_gid;
	snprintf(dir, sizeof(dir), "%s/XXXXXX", top);
	ck_assert_ptr_nonnull(mkdtemp(dir));
	ck_assert_int_eq(chown(dir, 0, nogroup_gid), 0);
	ck_assert_int_eq(chmod(dir, 0770), 0);
	fw_config_defaults(cfg);
	snprintf(cfg->sqlite_path, sizeof(cfg->sqlite_path), "%s/db/fw.db", dir);
	snprintf(cfg->flow_template_state, sizeof(cfg->flow_template_state), "%s/state/tmpl", dir);
	return 1;
}

static void
assert_mode_owner(const char *path, mode_t mode, uid_t uid, gid_t gid)
{
	struct stat sb;

	ck_assert_int_eq(lstat(path, &sb), 0);
	ck_assert_int_eq(sb.st_mode & 07777, mode);
	ck_assert_int_eq(sb.st_uid, uid);
	ck_assert_int_eq(sb.st_gid, gid);
}

static void
assert_caps(int net_admin)
{
	cap_flag_value_t v;
	cap_t c = cap_get_proc();

	ck_assert_ptr_nonnull(c);
	for (cap_value_t i = 0; i < (cap_value_t)cap_max_bits(); i++) {
		int want = net_admin && i == CAP_NET_ADMIN;

		ck_assert_int_eq(cap_get_flag(c, i, CAP_EFFECTIVE, &v), 0);
		ck_assert_int_eq(v == CAP_SET, want);
		ck_assert_int_eq(cap_get_flag(c, i, CAP_PERMITTED, &v), 0);
		ck_assert_int_eq(v == CAP_SET, want);
		ck_assert_int_eq(cap_get_flag(c, i, CAP_INHERITABLE, &v), 0);
		ck_assert_int_eq(v, CAP_CLEAR);
		ck_assert_int_eq(cap_get_bound(i) > 0, want);
		ck_assert_int_eq(cap_get_ambient(i) > 0, 0);
	}
	cap_free(c);
	ck_assert_int_eq(prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0), 1);
}

static struct fw_priv *
new_ok(const struct fw_config *cfg, enum fw_priv_mode mode)
{
	struct fw_priv *pv = NULL;
	char err[512] = "";

	ck_assert_msg(fw_priv_new(cfg, &pv, err, sizeof(err)) == FW_OK, "%s", err);
	ck_assert_int_eq(fw_priv_mode(pv), mode);
	return pv;
}

static void
prepare_drop_ok(struct fw_priv *pv)
{
	char err[512] = "";

	ck_assert_msg(fw_priv_prepare(pv, err, sizeof(err)) == FW_OK, "%s", err);
	ck_assert_msg(fw_priv_drop(pv, err, sizeof(err)) == FW_OK, "%s", err);
}

/* Root with the default user: nobody:nogroup, nothing kept. */
START_TEST(test_priv_drop_to_nobody)
{
	struct fw_config cfg;
	struct fw_priv *pv;
	uid_t r, e, s;
	gid_t rg, eg, sg, groups[8];
	char path[160];

	if (!setup(&cfg))
		return;
	pv = new_ok(&cfg, FW_PRIV_DROP);
	prepare_drop_ok(pv);
	ck_assert_int_eq(getresuid(&r, &e, &s), 0);
	ck_assert(r == nobody_uid && e == nobody_uid && s == nobody_uid);
	ck_assert_int_eq(getresgid(&rg, &eg, &sg), 0);
	ck_assert(rg == nogroup_gid && eg == nogroup_gid && sg == nogroup_gid);
	ck_assert_int_eq(getgroups(8, groups), 1);
	ck_assert_int_eq(groups[0], nogroup_gid);
	assert_caps(0);
	ck_assert_int_ne(setresuid(0, 0, 0), 0);
	/* What it made for later: directories 0750, an empty database 0640. */
	snprintf(path, sizeof(path), "%s/db", dir);
	assert_mode_owner(path, 0750, nobody_uid, nogroup_gid);
	snprintf(path, sizeof(path), "%s/state", dir);
	assert_mode_owner(path, 0750, nobody_uid, nogroup_gid);
	assert_mode_owner(cfg.sqlite_path, 0640, nobody_uid, nogroup_gid);
	fw_priv_free(pv);
}
END_TEST

/* NFLOG on: CAP_NET_ADMIN effective, permitted and bounding; nothing else. */
START_TEST(test_priv_drop_keeps_net_admin_for_nflog)
{
	struct fw_config cfg;
	struct fw_priv *pv;

	if (!setup(&cfg))
		return;
	cfg.dns_nflog_group = 5;
	pv = new_ok(&cfg, FW_PRIV_DROP);
	prepare_drop_ok(pv);
	ck_assert_int_eq(geteuid(), nobody_uid);
	assert_caps(1);
	fw_priv_free(pv);
}
END_TEST

/* Existing files of ours go to the user, but never through a planted symlink
 * or hard link, which would chown whatever they point at. */
START_TEST(test_priv_handover_refuses_links)
{
	struct fw_config cfg;
	struct fw_priv *pv;
	char target[160], db[160], state[160], wal[FW_CFG_STR_MAX + 8], tmpl[FW_CFG_STR_MAX + 16];
	int fd;

	if (!setup(&cfg))
		return;
	snprintf(target, sizeof(target), "%s/precious", dir);
	snprintf(db, sizeof(db), "%s/db", dir);
	ck_assert_int_eq(mkdir(db, 0750), 0);
	ck_assert_int_eq(chown(db, nobody_uid, nogroup_gid), 0);
	ck_assert_int_ge(fd = open(target, O_CREAT | O_WRONLY, 0600), 0);
	close(fd);
	ck_assert_int_eq(symlink(target, cfg.sqlite_path), 0);          /* fw.db -> precious */
	snprintf(wal, sizeof(wal), "%s-wal", cfg.sqlite_path);
	ck_assert_int_eq(link(target, wal), 0);                         /* fw.db-wal = precious */
	snprintf(state, sizeof(state), "%s/state", dir);
	ck_assert_int_eq(mkdir(state, 0750), 0);
	snprintf(tmpl, sizeof(tmpl), "%s.netflow.0", cfg.flow_template_state);
	ck_assert_int_ge(fd = open(tmpl, O_CREAT | O_WRONLY, 0600), 0);  /* a root-owned template file */
	close(fd);
	pv = new_ok(&cfg, FW_PRIV_DROP);
	{
		char err[512] = "";

		ck_assert_msg(fw_priv_prepare(pv, err, sizeof(err)) == FW_OK, "%s", err);
	}
	assert_mode_owner(target, 0600, 0, 0);
	assert_mode_owner(tmpl, 0600, nobody_uid, nogroup_gid);
	/* The state directory existed: root's, and stays so. */
	assert_mode_owner(state, 0750, 0, 0);
	fw_priv_free(pv);
}
END_TEST

/* The user cannot write the database directory: the drop fails, naming it. */
START_TEST(test_priv_unwritable_db_dir_fails)
{
	struct fw_config cfg;
	struct fw_priv *pv;
	char err[512] = "", d[160];

	if (!setup(&cfg))
		return;
	snprintf(d, sizeof(d), "%s/db", dir);
	ck_assert_int_eq(mkdir(d, 0755), 0);                   /* root's, as an earlier run as root left it */
	pv = new_ok(&cfg, FW_PRIV_DROP);
	ck_assert_msg(fw_priv_prepare(pv, err, sizeof(err)) == FW_OK, "%s", err);
	ck_assert_int_ne(fw_priv_drop(pv, err, sizeof(err)), FW_OK);
	ck_assert_ptr_nonnull(strstr(err, "not writable as nobody"));
	ck_assert_ptr_nonnull(strstr(err, d));
	fw_priv_free(pv);
}
END_TEST

static const struct {
	const char *user, *group;
	int allow_root;
	const char *msg;          /* NULL: accepted, mode ROOT */
} decisions[] = {
	{ "", "", 0, "general.allow_root = yes" },
	{ "root", "", 0, "that is root" },
	{ "nobody", "root", 0, "that is root" },
	{ "fw-no-such-user", "", 0, "general.user: no such user 'fw-no-such-user'" },
	{ "nobody", "fw-no-such-group", 0, "general.group: no such group 'fw-no-such-group'" },
	{ "", "", 1, NULL },
	{ "root", "", 1, NULL },
};

START_TEST(test_priv_refuses_root)
{
	struct fw_config cfg;
	struct fw_priv *pv = NULL;
	char err[512] = "";
	int rc;

	if (!setup(&cfg))
		return;
	snprintf(cfg.general_user, sizeof(cfg.general_user), "%s", decisions[_i].user);
	snprintf(cfg.general_group, sizeof(cfg.general_group), "%s", decisions[_i].group);
	cfg.general_allow_root = decisions[_i].allow_root;
	rc = fw_priv_new(&cfg, &pv, err, sizeof(err));
	if (decisions[_i].msg == NULL) {
		ck_assert_int_eq(rc, FW_OK);
		ck_assert_int_eq(fw_priv_mode(pv), FW_PRIV_ROOT);
		fw_priv_free(pv);
	} else {
		ck_assert_int_eq(rc, FW_EINVAL);
		ck_assert_msg(strstr(err, decisions[_i].msg) != NULL, "'%s' lacks '%s'", err, decisions[_i].msg);
	}
}
END_TEST

/* Started unprivileged (as under systemd's DynamicUser): no switch, the
 * capabilities still trimmed. */
START_TEST(test_priv_unprivileged_start_trims)
{
	struct fw_config cfg;
	struct fw_priv *pv;
	cap_value_t na = CAP_NET_ADMIN;
	cap_t c;

	if (!setup(&cfg))
		return;
	snprintf(cfg.sqlite_path, sizeof(cfg.sqlite_path), "%s/fw.db", dir);
	/* Become nobody with CAP_NET_ADMIN and CAP_NET_RAW left, as a unit's
	 * AmbientCapabilities would. */
	ck_assert_int_eq(prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0), 0);
	ck_assert_int_eq(setgroups(1, &nogroup_gid), 0);
	ck_assert_int_eq(setresgid(nogroup_gid, nogroup_gid, nogroup_gid), 0);
	ck_assert_int_eq(setresuid(nobody_uid, nobody_uid, nobody_uid), 0);
	ck_assert_ptr_nonnull(c = cap_init());
	ck_assert_int_eq(cap_set_flag(c, CAP_PERMITTED, 1, &na, CAP_SET), 0);
	ck_assert_int_eq(cap_set_flag(c, CAP_EFFECTIVE, 1, &na, CAP_SET), 0);
	na = CAP_NET_RAW;
	ck_assert_int_eq(cap_set_flag(c, CAP_PERMITTED, 1, &na, CAP_SET), 0);
	ck_assert_int_eq(cap_set_proc(c), 0);
	cap_free(c);
	pv = new_ok(&cfg, FW_PRIV_UNPRIV);
	prepare_drop_ok(pv);
	ck_assert_int_eq(geteuid(), nobody_uid);
	ck_assert_ptr_nonnull(c = cap_get_proc());
	{
		char *t = cap_to_text(c, NULL);

		ck_assert_str_eq(t, "=");      /* nothing left */
		cap_free(t);
	}
	cap_free(c);
	fw_priv_free(pv);
}
END_TEST

Suite *
priv_suite(void)
{
	Suite *s = suite_create("priv");
	TCase *v = tcase_create("valid"), *m = tcase_create("malformed");

	tcase_add_test(v, test_priv_drop_to_nobody);
	tcase_add_test(v, test_priv_drop_keeps_net_admin_for_nflog);
	tcase_add_test(v, test_priv_unprivileged_start_trims);
	tcase_add_test(m, test_priv_handover_refuses_links);
	tcase_add_test(m, test_priv_unwritable_db_dir_fails);
	tcase_add_loop_test(m, test_priv_refuses_root, 0, (int)(sizeof(decisions) / sizeof(decisions[0])));
	tcase_set_timeout(v, 10);
	tcase_set_timeout(m, 10);
	suite_add_tcase(s, v);
	suite_add_tcase(s, m);
	return s;
}

static int
rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

int
main(void)
{
	SRunner *sr;
	int failed;

	snprintf(top, sizeof(top), "/tmp/check_priv.XXXXXX");
	if (mkdtemp(top) == NULL || chmod(top, 0755) != 0) {
		perror("check_priv: mkdtemp");
		return EXIT_FAILURE;
	}
	fw_log_set_level(FW_LOG_WARN);
	sr = srunner_create(priv_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	(void)nftw(top, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
