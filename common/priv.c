/*
 * priv.c - who `floodwatch run` runs as, and with which capabilities
 * (fw_priv.h has the order of calls and why).
 *
 * The switch follows OpenBSD's daemons: setgroups, setresgid, setresuid, each
 * checked, then a check that the result is what was asked and that root
 * cannot be regained.  Capabilities use libcap: PR_SET_KEEPCAPS carries the
 * permitted set across setresuid only when NFLOG needs CAP_NET_ADMIN, and
 * cap_set_proc() then leaves that one capability, effective and permitted.
 * The bounding set (what any later execve could give back) and the ambient
 * set are emptied the same way, and no_new_privs makes setuid binaries and
 * file capabilities inert for anything the daemon ever runs.
 *
 * Files: the daemon writes its SQLite database (and WAL), template state,
 * detector state and dnstap socket after the switch, so before anything is opened the
 * directories they live in are created (0750, owned by the user) and the
 * database and template files that exist are handed over to the user.  Only
 * regular files with a single name are handed over, never through a symbolic
 * link: the paths may be in directories others can write to.  Existing
 * directories are never chowned (sqlite.path = /tmp/x.db must not give /tmp
 * away); if the user cannot write the database directory, fw_priv_drop()
 * fails with a message that says what to change.
 */
#include "fw_priv.h"

#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <grp.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "fw_log.h"

#define GROUPS_MAX 1024      /* supplementary groups of general.user we take */
#define PW_BUF_BYTES 16384   /* getpwnam_r/getgrnam_r scratch */

struct fw_priv {
	enum fw_priv_mode mode;
	bool keep_net_admin;                 /* dns.nflog_group is set */
	uid_t uid;                           /* target (DROP) or current ids */
	gid_t gid;
	int ngroups;                         /* groups[] in use (DROP) */
	gid_t groups[GROUPS_MAX];            /* setgroups() list: gid + supplementary */
	char user[64], group[64];            /* names, for messages */
	char sqlite_path[FW_CFG_STR_MAX];    /* copies of the paths we prepare and check */
	char template_state[FW_CFG_STR_MAX];
	char state_file[FW_CFG_STR_MAX];     /* detector.state_file */
	char dnstap_socket[FW_CFG_STR_MAX];
	char querylog[FW_CFG_STR_MAX];
};

enum fw_priv_mode
fw_priv_mode(const struct fw_priv *pv)
{
	return pv->mode;
}

void
fw_priv_free(struct fw_priv *pv)
{
	free(pv);
}

/* The directory part of path into dir: "." for a bare name, "/" for "/x". */
static void
dir_of(const char *path, char *dir, size_t len)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL)
		snprintf(dir, len, ".");
	else if (slash == path)
		snprintf(dir, len, "/");
	else
		snprintf(dir, len, "%.*s", (int)(slash - path), path);
}

static int
resolve(struct fw_priv *pv, const struct fw_config *cfg, char *err, size_t errlen)
{
	struct passwd pw, *pwr = NULL;
	struct group gr, *grr = NULL;
	char buf[PW_BUF_BYTES];
	int rc, n = GROUPS_MAX;

	if ((rc = getpwnam_r(cfg->general_user, &pw, buf, sizeof(buf), &pwr)) != 0 || pwr == NULL) {
		snprintf(err, errlen, "general.user: no such user '%s'%s%s", cfg->general_user,
		    rc != 0 ? ": " : "", rc != 0 ? strerror(rc) : "");
		return FW_EINVAL;
	}
	pv->uid = pw.pw_uid;
	pv->gid = pw.pw_gid;
	snprintf(pv->user, sizeof(pv->user), "%s", cfg->general_user);
	if (cfg->general_group[0] != '\0') {
		if ((rc = getgrnam_r(cfg->general_group, &gr, buf, sizeof(buf), &grr)) != 0 || grr == NULL) {
			snprintf(err, errlen, "general.group: no such group '%s'%s%s", cfg->general_group,
			    rc != 0 ? ": " : "", rc != 0 ? strerror(rc) : "");
			return FW_EINVAL;
		}
		pv->gid = gr.gr_gid;
		snprintf(pv->group, sizeof(pv->group), "%s", cfg->general_group);
	} else if (getgrgid_r(pv->gid, &gr, buf, sizeof(buf), &grr) == 0 && grr != NULL) {
		snprintf(pv->group, sizeof(pv->group), "%s", gr.gr_name);
	} else {
		snprintf(pv->group, sizeof(pv->group), "%u", (unsigned)pv->gid);
	}
	/* The user's own supplementary groups come along (a floodwatch user put
	 * in group bind can read the query log), as initgroups() would do. */
	if (getgrouplist(cfg->general_user, pv->gid, pv->groups, &n) < 0) {
		snprintf(err, errlen, "general.user: '%s' is in more than %d groups", cfg->general_user, GROUPS_MAX);
		return FW_EINVAL;
	}
	pv->ngroups = n;
	return FW_OK;
}

int
fw_priv_new(const struct fw_config *cfg, struct fw_priv **out, char *err, size_t errlen)
{
	struct fw_priv *pv;
	int rc;

	if ((pv = calloc(1, sizeof(*pv))) == NULL)
		return FW_ENOMEM;
	pv->keep_net_admin = cfg->dns_nflog_group >= 0;
	snprintf(pv->sqlite_path, sizeof(pv->sqlite_path), "%s", cfg->sqlite_path);
	snprintf(pv->template_state, sizeof(pv->template_state), "%s", cfg->flow_template_state);
	snprintf(pv->state_file, sizeof(pv->state_file), "%s", cfg->detector_state_file);
	snprintf(pv->dnstap_socket, sizeof(pv->dnstap_socket), "%s", cfg->dns_dnstap_socket);
	snprintf(pv->querylog, sizeof(pv->querylog), "%s", cfg->dns_querylog);
	pv->uid = geteuid();
	pv->gid = getegid();
	if (pv->uid != 0) {
		pv->mode = FW_PRIV_UNPRIV;
		goto done;
	}
	if (cfg->general_user[0] == '\0') {
		if (!cfg->general_allow_root) {
			snprintf(err, errlen, "started as root with general.user empty: refusing to run the packet "
			    "parsers as root; set general.user (e.g. nobody or a dedicated floodwatch user), or "
			    "general.allow_root = yes to run as root anyway");
			rc = FW_EINVAL;
			goto fail;
		}
		pv->mode = FW_PRIV_ROOT;
		goto done;
	}
	if ((rc = resolve(pv, cfg, err, errlen)) != FW_OK)
		goto fail;
	if (pv->uid == 0 || pv->gid == 0) {
		if (!cfg->general_allow_root) {
			snprintf(err, errlen, "general.user = %s, general.group = %s: that is root; refusing to run the "
			    "packet parsers as root unless general.allow_root = yes", pv->user, pv->group);
			rc = FW_EINVAL;
			goto fail;
		}
		if (pv->uid == 0) {
			pv->mode = FW_PRIV_ROOT;
			goto done;
		}
	}
	pv->mode = FW_PRIV_DROP;
done:
	*out = pv;
	return FW_OK;
fail:
	free(pv);
	return rc;
}

/* Empty the bounding set but for CAP_NET_ADMIN when NFLOG needs it. */
static int
limit_bounding(const struct fw_priv *pv, char *err, size_t errlen)
{
	for (cap_value_t c = 0; c < (cap_value_t)cap_max_bits(); c++) {
		if (c == CAP_NET_ADMIN && pv->keep_net_admin)
			continue;
		if (cap_get_bound(c) <= 0)
			continue;
		if (cap_drop_bound(c) != 0) {
			int e = errno;
			char *name;

			/* Unprivileged without CAP_SETPCAP: the set stays as the
			 * service manager left it (systemd's CapabilityBoundingSet). */
			if (pv->mode == FW_PRIV_UNPRIV && e == EPERM)
				return FW_OK;
			name = cap_to_name(c);
			snprintf(err, errlen, "cannot drop %s from the bounding set: %s", name ? name : "?", strerror(e));
			cap_free(name);
			return -e;
		}
	}
	return FW_OK;
}

/* mkdir -p of the directory part of path; each directory made here is 0750
 * and the user's. */
static int
make_dirs(const struct fw_priv *pv, const char *key, const char *path, char *err, size_t errlen)
{
	char dir[FW_CFG_STR_MAX];

	dir_of(path, dir, sizeof(dir));
	for (char *p = dir + 1;; p++) {
		char c = *p;

		if (c != '/' && c != '\0')
			continue;
		*p = '\0';
		if (mkdir(dir, 0750) == 0) {
			/* chmod: the umask must not decide the mode. */
			if (lchown(dir, pv->uid, pv->gid) != 0 || chmod(dir, 0750) != 0) {
				int e = errno;

				snprintf(err, errlen, "%s %s: cannot give directory %s to %s:%s: %s", key, path, dir,
				    pv->user, pv->group, strerror(e));
				return -e;
			}
			fw_log(FW_LOG_INFO, "priv", "created %s (0750, %s:%s)", dir, pv->user, pv->group);
		} else if (errno != EEXIST) {
			int e = errno;

			snprintf(err, errlen, "%s %s: cannot create directory %s: %s", key, path, dir, strerror(e));
			return -e;
		}
		*p = c;
		if (c == '\0')
			return FW_OK;
	}
}

/*
 * Hand one of our files to the user (create = make it first, 0640, if it is
 * missing).  Missing files are fine.  Symbolic links, other file types and
 * files with several names are left as they are: whoever could plant them
 * must not get a root-made chown of something else.
 */
static int
adopt(const struct fw_priv *pv, const char *key, const char *path, bool create, char *err, size_t errlen)
{
	struct stat sb;
	int fd = -1, e;

	if (create && (fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0640)) < 0 &&
	    errno != EEXIST)
		goto fail;
	if (fd < 0 && (fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC)) < 0) {
		if (errno == ENOENT)
			return FW_OK;
		if (errno == ELOOP) {
			fw_log(FW_LOG_WARN, "priv", "%s %s is a symbolic link: its owner is left as it is", key, path);
			return FW_OK;
		}
		goto fail;
	}
	if (fstat(fd, &sb) != 0)
		goto fail;
	if (!S_ISREG(sb.st_mode) || sb.st_nlink != 1) {
		fw_log(FW_LOG_WARN, "priv", "%s %s is not a regular file with one name: its owner is left as it is",
		    key, path);
		close(fd);
		return FW_OK;
	}
	if (sb.st_uid != pv->uid || sb.st_gid != pv->gid) {
		if (fchown(fd, pv->uid, pv->gid) != 0)
			goto fail;
		if (sb.st_size > 0)
			fw_log(FW_LOG_INFO, "priv", "%s now belongs to %s:%s", path, pv->user, pv->group);
	}
	close(fd);
	return FW_OK;
fail:
	e = errno;
	snprintf(err, errlen, "%s %s: cannot hand it to %s:%s: %s", key, path, pv->user, pv->group, strerror(e));
	if (fd >= 0)
		close(fd);
	return -e;
}

/* The database, its WAL/journal files and every saved template file. */
static int
prepare_files(const struct fw_priv *pv, char *err, size_t errlen)
{
	static const char *const side[] = { "-wal", "-shm", "-journal" };
	char name[FW_CFG_STR_MAX + 16];
	int rc;

	if ((rc = make_dirs(pv, "sqlite.path", pv->sqlite_path, err, errlen)) != FW_OK ||
	    (rc = adopt(pv, "sqlite.path", pv->sqlite_path, true, err, errlen)) != FW_OK)
		return rc;
	for (size_t i = 0; i < sizeof(side) / sizeof(side[0]); i++) {
		snprintf(name, sizeof(name), "%s%s", pv->sqlite_path, side[i]);
		if ((rc = adopt(pv, "sqlite.path", name, false, err, errlen)) != FW_OK)
			return rc;
	}
	if (pv->template_state[0] != '\0') {
		glob_t g;

		if ((rc = make_dirs(pv, "flow.template_state", pv->template_state, err, errlen)) != FW_OK)
			return rc;
		snprintf(name, sizeof(name), "%s.*", pv->template_state);
		if (glob(name, GLOB_NOSORT, NULL, &g) == 0) {
			for (size_t i = 0; i < g.gl_pathc && rc == FW_OK; i++)
				rc = adopt(pv, "flow.template_state", g.gl_pathv[i], false, err, errlen);
			globfree(&g);
			if (rc != FW_OK)
				return rc;
		}
	}
	if (pv->state_file[0] != '\0') {
		/* Written as FILE.tmp, then renamed: the directory must be the
		 * user's too (an existing one is never chowned, see above). */
		snprintf(name, sizeof(name), "%s.tmp", pv->state_file);
		if ((rc = make_dirs(pv, "detector.state_file", pv->state_file, err, errlen)) != FW_OK ||
		    (rc = adopt(pv, "detector.state_file", pv->state_file, false, err, errlen)) != FW_OK ||
		    (rc = adopt(pv, "detector.state_file", name, false, err, errlen)) != FW_OK)
			return rc;
	}
	if (pv->dnstap_socket[0] != '\0')
		return make_dirs(pv, "dns.dnstap_socket", pv->dnstap_socket, err, errlen);
	return FW_OK;
}

int
fw_priv_prepare(struct fw_priv *pv, char *err, size_t errlen)
{
	int rc;

	if (pv->mode == FW_PRIV_ROOT)
		return FW_OK;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
		rc = -errno;
		snprintf(err, errlen, "cannot set no_new_privs: %s", strerror(-rc));
		return rc;
	}
	if ((rc = limit_bounding(pv, err, errlen)) != FW_OK)
		return rc;
	if (cap_reset_ambient() != 0) {
		rc = -errno;
		snprintf(err, errlen, "cannot clear the ambient capabilities: %s", strerror(-rc));
		return rc;
	}
	return pv->mode == FW_PRIV_DROP ? prepare_files(pv, err, errlen) : FW_OK;
}

/* The capabilities we keep: CAP_NET_ADMIN (effective + permitted) for NFLOG
 * if we have it, else none.  Caller frees. */
static cap_t
wanted_caps(const struct fw_priv *pv)
{
	cap_value_t na = CAP_NET_ADMIN;
	cap_flag_value_t have = CAP_CLEAR;
	cap_t now, want = cap_init();

	if (want == NULL || !pv->keep_net_admin)
		return want;
	if ((now = cap_get_proc()) != NULL) {
		if (cap_get_flag(now, na, CAP_PERMITTED, &have) != 0)
			have = CAP_CLEAR;
		cap_free(now);
	}
	if (have == CAP_SET && (cap_set_flag(want, CAP_PERMITTED, 1, &na, CAP_SET) != 0 ||
	    cap_set_flag(want, CAP_EFFECTIVE, 1, &na, CAP_SET) != 0)) {
		cap_free(want);
		return NULL;
	}
	return want;
}

static int
set_caps(const struct fw_priv *pv, char *err, size_t errlen)
{
	cap_t want = wanted_caps(pv);
	int rc = FW_OK;

	if (want == NULL)
		return FW_ENOMEM;
	if (cap_set_proc(want) != 0) {
		rc = -errno;
		snprintf(err, errlen, "cannot set the capabilities: %s", strerror(-rc));
	}
	cap_free(want);
	return rc;
}

/* Effective, permitted, inheritable, ambient and bounding sets are what
 * we asked for, and no_new_privs is on. */
static int
verify_caps(const struct fw_priv *pv, char *err, size_t errlen)
{
	cap_t want = wanted_caps(pv), now = cap_get_proc();
	int rc = FW_OK;

	if (want == NULL || now == NULL) {
		rc = FW_ENOMEM;
		snprintf(err, errlen, "cannot read the capabilities back");
		goto out;
	}
	if (cap_compare(now, want) != 0) {
		char *t = cap_to_text(now, NULL);

		snprintf(err, errlen, "capabilities after the switch are '%s', not as asked", t ? t : "?");
		cap_free(t);
		rc = FW_EIO;
		goto out;
	}
	for (cap_value_t c = 0; c < (cap_value_t)cap_max_bits(); c++) {
		bool bound = cap_get_bound(c) > 0, amb = cap_get_ambient(c) > 0;

		if (amb || (bound && pv->mode == FW_PRIV_DROP && !(c == CAP_NET_ADMIN && pv->keep_net_admin))) {
			char *name = cap_to_name(c);

			snprintf(err, errlen, "the %s set still holds %s", amb ? "ambient" : "bounding", name ? name : "?");
			cap_free(name);
			rc = FW_EIO;
			goto out;
		}
	}
	if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1) {
		snprintf(err, errlen, "no_new_privs is not set");
		rc = FW_EIO;
	}
out:
	cap_free(want);
	cap_free(now);
	return rc;
}

static bool
has_gid(const gid_t *list, int n, gid_t g)
{
	for (int i = 0; i < n; i++)
		if (list[i] == g)
			return true;
	return false;
}

static int
verify_ids(const struct fw_priv *pv, char *err, size_t errlen)
{
	uid_t ru, eu, su;
	gid_t rg, eg, sg, list[GROUPS_MAX];
	int n;

	if (getresuid(&ru, &eu, &su) != 0 || getresgid(&rg, &eg, &sg) != 0 ||
	    (n = getgroups(GROUPS_MAX, list)) < 0) {
		snprintf(err, errlen, "cannot read the ids back: %s", strerror(errno));
		return FW_EIO;
	}
	if (ru != pv->uid || eu != pv->uid || su != pv->uid || rg != pv->gid || eg != pv->gid || sg != pv->gid) {
		snprintf(err, errlen, "ids after the switch are uid %u/%u/%u gid %u/%u/%u, not %u/%u",
		    (unsigned)ru, (unsigned)eu, (unsigned)su, (unsigned)rg, (unsigned)eg, (unsigned)sg,
		    (unsigned)pv->uid, (unsigned)pv->gid);
		return FW_EIO;
	}
	/* The kernel sorts the list: compare as sets (getgrouplist has no repeats). */
	for (int i = 0; i < n; i++)
		if (!has_gid(pv->groups, pv->ngroups, list[i]))
			n = -1;
	if (n != pv->ngroups) {
		snprintf(err, errlen, "supplementary groups after the switch are not those of %s", pv->user);
		return FW_EIO;
	}
	if (setresuid(0, 0, 0) == 0) {
		snprintf(err, errlen, "root could be regained after the switch");
		return FW_EIO;
	}
	return FW_OK;
}

/* After the switch: can the user write what the daemon writes later? */
static int
check_paths(const struct fw_priv *pv, char *err, size_t errlen)
{
	char dir[FW_CFG_STR_MAX];

	dir_of(pv->sqlite_path, dir, sizeof(dir));
	if (access(dir, W_OK | X_OK) != 0 || access(pv->sqlite_path, R_OK | W_OK) != 0) {
		snprintf(err, errlen, "sqlite.path %s: not writable as %s after the privilege drop (SQLite needs "
		    "the file and, for its WAL files, the directory): chown %s:%s %s, or choose another "
		    "sqlite.path or general.user", pv->sqlite_path, pv->user, pv->user, pv->group, dir);
		return FW_EIO;
	}
	/* SQLite reaches its files by absolute path: a parent of the working
	 * directory (a checkout under /root, 0700) may be closed to the user. */
	if (dir[0] != '/') {
		char cwd[FW_CFG_STR_MAX], abs[2 * FW_CFG_STR_MAX + 2];

		const char *rel = strcmp(dir, ".") == 0 ? "" : strncmp(dir, "./", 2) == 0 ? dir + 2 : dir;

		if (getcwd(cwd, sizeof(cwd)) != NULL) {
			snprintf(abs, sizeof(abs), "%s%s%s", cwd, *rel != '\0' ? "/" : "", rel);
			if (access(abs, W_OK | X_OK) != 0)
				fw_log(FW_LOG_WARN, "priv", "sqlite.path: %s cannot be reached as %s by its full path "
				    "(a parent directory is closed to it): the database works through the connections "
				    "opened before the switch, but SQLite cannot remove its WAL files at exit", abs, pv->user);
		}
	}
	if (pv->template_state[0] != '\0') {
		dir_of(pv->template_state, dir, sizeof(dir));
		if (access(dir, W_OK | X_OK) != 0)
			fw_log(FW_LOG_WARN, "priv", "flow.template_state: %s is not writable as %s: templates "
			    "will not be saved (chown %s:%s %s)", dir, pv->user, pv->user, pv->group, dir);
	}
	if (pv->state_file[0] != '\0') {
		dir_of(pv->state_file, dir, sizeof(dir));
		if (access(dir, W_OK | X_OK) != 0)
			fw_log(FW_LOG_WARN, "priv", "detector.state_file: %s is not writable as %s: the detector's "
			    "state will not be saved (chown %s:%s %s)", dir, pv->user, pv->user, pv->group, dir);
	}
	if (pv->querylog[0] != '\0' && access(pv->querylog, R_OK) != 0 && errno != ENOENT)
		fw_log(FW_LOG_WARN, "priv", "dns.querylog %s is not readable as %s: it cannot be reopened "
		    "after a rotation (set general.group to a group that may read it)", pv->querylog, pv->user);
	if (pv->dnstap_socket[0] != '\0') {
		dir_of(pv->dnstap_socket, dir, sizeof(dir));
		if (access(dir, W_OK | X_OK) != 0)
			fw_log(FW_LOG_WARN, "priv", "dns.dnstap_socket: %s is not writable as %s: the socket "
			    "is not removed at exit", dir, pv->user);
	}
	return FW_OK;
}

static void
log_result(const struct fw_priv *pv)
{
	const char *caps = pv->keep_net_admin ? "cap_net_admin (for NFLOG)" : "none";

	if (pv->mode == FW_PRIV_DROP)
		fw_log(FW_LOG_INFO, "priv", "running as %s:%s (uid %u, gid %u, %d group%s); capabilities: %s",
		    pv->user, pv->group, (unsigned)pv->uid, (unsigned)pv->gid, pv->ngroups,
		    pv->ngroups == 1 ? "" : "s", caps);
	else
		fw_log(FW_LOG_INFO, "priv", "running as uid %u, gid %u (not started as root: general.user is not "
		    "used); capabilities: %s", (unsigned)pv->uid, (unsigned)pv->gid, caps);
}

int
fw_priv_drop(struct fw_priv *pv, char *err, size_t errlen)
{
	int rc;

	if (pv->mode == FW_PRIV_ROOT) {
		fw_log(FW_LOG_WARN, "priv", "running as root with every capability (general.allow_root = yes): "
		    "the packet parsers run as root");
		return FW_OK;
	}
	if (pv->mode == FW_PRIV_DROP) {
		/* Bound by root: give the socket to the user so the group can
		 * connect and the daemon can remove it. */
		if (pv->dnstap_socket[0] != '\0' && lchown(pv->dnstap_socket, pv->uid, pv->gid) != 0) {
			rc = -errno;
			snprintf(err, errlen, "dns.dnstap_socket %s: cannot give it to %s:%s: %s", pv->dnstap_socket,
			    pv->user, pv->group, strerror(-rc));
			return rc;
		}
		if (pv->keep_net_admin && prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0) {
			rc = -errno;
			snprintf(err, errlen, "cannot keep capabilities across the switch: %s", strerror(-rc));
			return rc;
		}
		if (setgroups((size_t)pv->ngroups, pv->groups) != 0 ||
		    setresgid(pv->gid, pv->gid, pv->gid) != 0 ||
		    setresuid(pv->uid, pv->uid, pv->uid) != 0) {
			rc = -errno;
			snprintf(err, errlen, "cannot switch to %s:%s: %s", pv->user, pv->group, strerror(-rc));
			return rc;
		}
	}
	/* The kernel kept the permitted set (keep-caps) but cleared the
	 * effective one; this sets both to what NFLOG needs, or nothing. */
	if ((rc = set_caps(pv, err, errlen)) != FW_OK)
		return rc;
	if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) != 0 || cap_reset_ambient() != 0) {
		rc = -errno;
		snprintf(err, errlen, "cannot reset keep-caps or the ambient set: %s", strerror(-rc));
		return rc;
	}
	if ((rc = verify_caps(pv, err, errlen)) != FW_OK)
		return rc;
	if (pv->mode == FW_PRIV_DROP &&
	    ((rc = verify_ids(pv, err, errlen)) != FW_OK || (rc = check_paths(pv, err, errlen)) != FW_OK))
		return rc;
	log_result(pv);
	return FW_OK;
}
