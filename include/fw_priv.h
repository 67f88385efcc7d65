/*
 * fw_priv.h - privileges of `floodwatch run`: who the daemon runs as once its
 * sockets and files are open, and which capabilities it keeps.
 *
 * Started as root, the daemon switches to general.user / general.group in one
 * checked step (setgroups + setresgid + setresuid) before any packet parser
 * runs, and keeps no capability except CAP_NET_ADMIN when NFLOG is on (the
 * nfnetlink_log socket is rechecked for it at every config message, so the
 * unbind at shutdown needs it).  Without a user it refuses to run as root
 * unless general.allow_root = yes.  Started as any other user (systemd's
 * DynamicUser), it only trims its capabilities to the same set.
 *
 * Order, all on the main thread:
 *   fw_priv_new()      after the config is loaded: resolve the user, decide
 *   fw_priv_prepare()  before anything is opened and before any thread:
 *                      no_new_privs, bounding set, ambient set; the state
 *                      directories (created 0750, owned by the user) and the
 *                      database and template files handed over to the user
 *   ... open sockets, NFLOG, the query log, SQLite, the dnstap socket ...
 *   fw_priv_drop()     before the first parser thread: hand over the dnstap
 *                      socket, switch, set the capabilities, verify all of it
 *                      and check that the user can write what it must.
 *
 * Capability state is per thread.  The bounding set is reduced before any
 * thread exists so every thread inherits it.  Threads that already exist at
 * the switch (librdkafka's) take the new ids through glibc's setxid
 * broadcast, and the kernel clears their capabilities, since keep-caps is set
 * only in the calling thread.
 */
#ifndef FW_PRIV_H
#define FW_PRIV_H

#include <stddef.h>

#include "fw_config.h"
#include "fw_err.h"

struct fw_priv;

enum fw_priv_mode {
	FW_PRIV_DROP,      /* started as root: switch to general.user/group */
	FW_PRIV_ROOT,      /* started as root, general.allow_root = yes: stay root */
	FW_PRIV_UNPRIV,    /* started as another user: trim capabilities only */
};

/*
 * Decide what to do from the config and the current ids.  Started as root
 * with an empty general.user (or one that is root, or a root group) and
 * general.allow_root = no: FW_EINVAL with a message saying what to set.  An
 * unknown user or group: FW_EINVAL naming the key.  FW_ENOMEM.  The caller
 * owns *out (fw_priv_free).  Main thread.
 */
int fw_priv_new(const struct fw_config *cfg, struct fw_priv **out, char *err,
    size_t errlen) FW_MUSTCHECK;

enum fw_priv_mode fw_priv_mode(const struct fw_priv *pv);

/*
 * Before anything is opened and before the first thread (see above).
 * FW_OK, or a negative errno with a message (a state directory that cannot
 * be created, a capability that cannot be dropped).  Main thread.
 */
int fw_priv_prepare(struct fw_priv *pv, char *err, size_t errlen) FW_MUSTCHECK;

/*
 * The switch, after every socket and file that needs privileges is open and
 * before any parser thread starts.  Verifies the result (ids, groups, that
 * root cannot be regained, effective/permitted/ambient/bounding sets) and
 * that the user can write the database directory.  FW_OK, or a negative
 * errno with a message; on failure the caller must exit.  Logs one line
 * saying who the daemon now runs as.  Main thread.
 */
int fw_priv_drop(struct fw_priv *pv, char *err, size_t errlen) FW_MUSTCHECK;

void fw_priv_free(struct fw_priv *pv);

#endif /* FW_PRIV_H */
