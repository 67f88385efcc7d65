# The Debian package, as an admin on Debian 12 meets it: built from a clean
# checkout of HEAD (git archive: uncommitted files cannot leak in) with
# dpkg-buildpackage, its contents and lintian checked, installed with dpkg -i
# (the floodwatch user and group made, the service enabled), its config
# checked and its unit verified and rated by systemd-analyze, the daemon run
# as the service would run it, then purged: nothing may be left behind.
#
# Needs root (dpkg -i).  Builds its own binary, so it runs once, with the
# plain build (FW=./floodwatch); under the ASan flavour it skips.  Where
# systemd is not PID 1 (CI containers) the "enabled and running under
# systemd" checks are skipped with a message; everything else still runs.
. tests/integration/lib.sh
case "$FW" in
*asan*) echo "skip: the package test builds its own binary; it runs with the plain build only"; exit 0 ;;
esac
[ "$(id -u)" -eq 0 ] || { echo "skip: the package test needs root (dpkg -i)"; exit 0; }
for t in dpkg-buildpackage dh lintian systemd-analyze adduser git; do
	command -v "$t" > /dev/null || fail "$t is missing (make deps installs deploy/debian-packages.txt)"
done
if dpkg-query -W -f='${Status}' floodwatch 2>/dev/null | grep -q installed; then
	fail "a floodwatch package is already installed here: dpkg --purge floodwatch first"
fi
getent passwd floodwatch > /dev/null && fail "a floodwatch user exists already: the purge check would remove it"
getent group floodwatch > /dev/null && fail "a floodwatch group exists already: the purge check would remove it"

INSTALLED=""
pkg_cleanup() {
	[ -z "${DAEMON_PID:-}" ] || kill -9 "$DAEMON_PID" 2>/dev/null || true
	DAEMON_PID=""
	[ -z "$INSTALLED" ] || dpkg --purge floodwatch > /dev/null 2>&1 || true
	cleanup
}
trap pkg_cleanup EXIT

# ---- build from a clean checkout ------------------------------------------
SRC=$(git rev-parse --show-toplevel)
git -C "$SRC" archive --format=tar --prefix=floodwatch/ HEAD | tar -x -C "$TMP"
check "the checkout has debian/ (committed)" test -x "$TMP/floodwatch/debian/rules"
start=$(date +%s)
if ! (cd "$TMP/floodwatch" && DEB_BUILD_OPTIONS="nocheck parallel=2" dpkg-buildpackage -us -uc -b) \
    > "$TMP/build.log" 2>&1; then
	tail -40 "$TMP/build.log"
	fail "dpkg-buildpackage -us -uc -b failed"
fi
build_s=$(( $(date +%s) - start ))
echo "package: dpkg-buildpackage took ${build_s}s"
DEB=$(ls "$TMP"/floodwatch_*_*.deb)
CHANGES=$(ls "$TMP"/floodwatch_*_*.changes)
check "one .deb was built" test "$(echo "$DEB" | wc -l)" -eq 1

# ---- contents -------------------------------------------------------------
dpkg -c "$DEB" | awk '{ print $1, $2, $6 }' > "$TMP/contents"
for f in ./usr/bin/floodwatch ./etc/floodwatch/floodwatch.conf ./lib/systemd/system/floodwatch.service \
    ./usr/share/man/man8/floodwatch.8.gz ./usr/share/man/man5/floodwatch.conf.5.gz \
    ./usr/share/doc/floodwatch/copyright ./usr/share/doc/floodwatch/examples/floodwatch.conf \
    ./usr/share/doc/floodwatch/examples/nflog.conf ./usr/share/doc/floodwatch/examples/logrotate \
    ./usr/share/doc/floodwatch/schema/001_alerts.sql ./usr/share/doc/floodwatch/schema/alert_event.schema.json; do
	check "dpkg -c lists $f" grep -q " $f\$" "$TMP/contents"
done
check "the binary is root:root 0755" grep -q '^-rwxr-xr-x root/root ./usr/bin/floodwatch$' "$TMP/contents"
check "nothing under /usr/local, /var, /run or a build directory" \
	sh -c "! grep -E ' \./(usr/local|var|run|build|home|root|tmp)(/|\$)' '$TMP/contents'"
dpkg-deb -e "$DEB" "$TMP/control"
check "the config is a conffile" grep -qx /etc/floodwatch/floodwatch.conf "$TMP/control/conffiles"
check "the package depends on adduser (postinst makes the user)" \
	sh -c "dpkg-deb -f '$DEB' Depends | grep -q adduser"
dpkg-deb -x "$DEB" "$TMP/root"
check "the binary is built with dpkg-buildflags' hardening (bind now, fortified calls)" \
	sh -c "readelf -d '$TMP/root/usr/bin/floodwatch' | grep -q BIND_NOW && readelf -W --dyn-syms '$TMP/root/usr/bin/floodwatch' | grep -q '__[a-z_]*_chk'"
check "the package's version is the binary's" \
	test "$(dpkg-deb -f "$DEB" Version)" = "$("$TMP/root/usr/bin/floodwatch" --version | sed 's/^floodwatch //')"
check "the unit runs the packaged binary with the packaged config" \
	grep -qx 'ExecStart=/usr/bin/floodwatch run -c /etc/floodwatch/floodwatch.conf' \
	"$TMP/root/lib/systemd/system/floodwatch.service"

# `make install` without the package: PREFIX and DESTDIR (the build above
# left the binary and man pages in the checkout, so this only copies).
make -C "$TMP/floodwatch" install DESTDIR="$TMP/inst" PREFIX=/opt/fw > "$TMP/install-make.log" 2>&1 ||
	{ cat "$TMP/install-make.log"; fail "make install DESTDIR=... PREFIX=/opt/fw"; }
for f in opt/fw/bin/floodwatch opt/fw/share/man/man8/floodwatch.8 opt/fw/share/man/man5/floodwatch.conf.5 \
    opt/fw/lib/systemd/system/floodwatch.service etc/floodwatch/floodwatch.conf \
    opt/fw/share/doc/floodwatch/examples/nflog.conf opt/fw/share/doc/floodwatch/schema/001_alerts.sql; do
	check "make install PREFIX=/opt/fw DESTDIR=...: $f" test -f "$TMP/inst/$f"
done
check "... the unit runs the binary under that PREFIX" \
	grep -qx 'ExecStart=/opt/fw/bin/floodwatch run -c /etc/floodwatch/floodwatch.conf' \
	"$TMP/inst/opt/fw/lib/systemd/system/floodwatch.service"

# ---- lintian --------------------------------------------------------------
start=$(date +%s)
set +e; lintian --fail-on error "$CHANGES" > "$TMP/lintian" 2>&1; lrc=$?; set -e
echo "package: lintian took $(( $(date +%s) - start ))s"
cat "$TMP/lintian"
check "lintian passes (exit 0)" test $lrc -eq 0
check "lintian reports no error" sh -c "! grep -q '^E: ' '$TMP/lintian'"

# ---- install --------------------------------------------------------------
INSTALLED=1
dpkg -i "$DEB" > "$TMP/install.log" 2>&1 || { cat "$TMP/install.log"; fail "dpkg -i failed"; }
cat "$TMP/install.log"
check "dpkg says it is installed" sh -c "dpkg-query -W -f='\${Status}' floodwatch | grep -q 'install ok installed'"
check "a floodwatch system user exists (uid < 1000, no login shell)" \
	sh -c "u=\$(getent passwd floodwatch) && [ \$(echo \"\$u\" | cut -d: -f3) -lt 1000 ] && echo \"\$u\" | grep -q nologin"
check "... with its own group" sh -c "[ \"\$(id -gn floodwatch)\" = floodwatch ]"
check "the config is root:floodwatch 0640 (it may hold Kafka passwords)" \
	test "$(stat -c '%U:%G %a' /etc/floodwatch/floodwatch.conf)" = "root:floodwatch 640"
check "/var/lib/floodwatch belongs to the user, 0750" \
	test "$(stat -c '%U:%G %a' /var/lib/floodwatch)" = "floodwatch:floodwatch 750"
check "the service is enabled (multi-user.target wants it)" \
	test -L /etc/systemd/system/multi-user.target.wants/floodwatch.service

# check-config as installed, by root and by the service's user.
/usr/bin/floodwatch check-config -c /etc/floodwatch/floodwatch.conf > "$TMP/eff" 2> "$TMP/eff.err" ||
	{ cat "$TMP/eff.err"; fail "floodwatch check-config on the installed config"; }
check "check-config: config OK" grep -q "config OK" "$TMP/eff.err"
check "... general.user = floodwatch" grep -qx "user = floodwatch" "$TMP/eff"
check "... the database under /var/lib/floodwatch" grep -qx "path = /var/lib/floodwatch/floodwatch.db" "$TMP/eff"
check "... the template state under /var/lib/floodwatch" \
	grep -qx "template_state = /var/lib/floodwatch/templates" "$TMP/eff"
check "the floodwatch user can read the config" \
	sh -c "runuser -u floodwatch -- /usr/bin/floodwatch check-config -c /etc/floodwatch/floodwatch.conf > /dev/null"
check "other users cannot" sh -c "! runuser -u nobody -- /usr/bin/floodwatch check-config -c /etc/floodwatch/floodwatch.conf 2>/dev/null"
check "man finds the installed pages" sh -c "man -w floodwatch | grep -q man8 && man -w 5 floodwatch.conf | grep -q man5"

# ---- the unit -------------------------------------------------------------
UNIT=/lib/systemd/system/floodwatch.service
systemd-analyze verify "$UNIT" > "$TMP/verify" 2>&1 || { cat "$TMP/verify"; fail "systemd-analyze verify $UNIT"; }
cat "$TMP/verify"
check "systemd-analyze verify: exit 0 and nothing to say" test ! -s "$TMP/verify"
systemd-analyze security --offline=yes "$UNIT" > "$TMP/security" 2>&1 || true
grep -v '✓' "$TMP/security"
exposure=$(sed -n 's/.*Overall exposure level for floodwatch.service: \([0-9.]*\).*/\1/p' "$TMP/security")
echo "package: systemd-analyze security exposure $exposure"
check "systemd-analyze security rated the unit" test -n "$exposure"
check "exposure $exposure <= 2.5" awk -v e="$exposure" 'BEGIN { exit !(e <= 2.5) }'
check "reload checks the config first, then sends SIGHUP" sh -c "grep -A1 -x 'ExecReload=/usr/bin/floodwatch check-config -c /etc/floodwatch/floodwatch.conf' '$UNIT' | grep -qx 'ExecReload=/bin/kill -HUP \\\$MAINPID'"
for k in 'Type=notify' 'WatchdogSec=' 'User=floodwatch' 'RuntimeDirectory=floodwatch' 'StateDirectory=floodwatch' \
    'LogsDirectory=floodwatch' 'ProtectSystem=strict' 'SystemCallFilter=@system-service' 'CapabilityBoundingSet=$' \
    'RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX AF_NETLINK'; do
	check "the unit sets $k" grep -q "^$k" "$UNIT"
done

if [ -d /run/systemd/system ] && [ "$(ps -p 1 -o comm=)" = systemd ]; then
	i=0
	while [ "$(systemctl is-active floodwatch.service)" != active ]; do
		i=$((i + 1)); [ $i -lt 100 ] || { systemctl status floodwatch.service || true; fail "floodwatch.service is not active"; }
		sleep 0.1
	done
	check "systemctl: enabled" test "$(systemctl is-enabled floodwatch.service)" = enabled
	check "systemctl: running as floodwatch" \
		test "$(ps -o user= -p "$(systemctl show -p MainPID --value floodwatch.service)")" = floodwatch
	check "systemctl: ready was notified (status text)" \
		sh -c "systemctl show -p StatusText --value floodwatch.service | grep -q ready"
	check "systemctl: the watchdog is on" test "$(systemctl show -p WatchdogUSec --value floodwatch.service)" != 0
	systemd-analyze security floodwatch.service | tail -1
else
	echo "skip: systemd is not PID 1 here (PID 1 is '$(ps -p 1 -o comm=)'): the service is enabled but was" \
	    "not started; 'active' and 'running as floodwatch under systemd' are not checked." \
	    "The daemon is run as the unit would run it instead."
	# As the unit starts it: the floodwatch user, no capabilities, no_new_privs.
	# Ephemeral ports: 2055/4739/6343 may be taken on a shared machine.
	setpriv --reuid=floodwatch --regid=floodwatch --init-groups --inh-caps=-all --bounding-set=-all \
	    --no-new-privs -- /usr/bin/floodwatch run -c /etc/floodwatch/floodwatch.conf \
	    --set listen.netflow=127.0.0.1:0 --set listen.ipfix=127.0.0.1:0 --set listen.sflow=127.0.0.1:0 \
	    > "$TMP/run.log" 2>&1 &
	DAEMON_PID=$!
	wait_for "$TMP/run.log" "ready;"
	check "the daemon runs as the floodwatch user, no capabilities" \
		grep -q "priv: running as uid $(id -u floodwatch), gid $(id -g floodwatch) .*capabilities: none" "$TMP/run.log"
	check "it made its database in /var/lib/floodwatch" \
		test "$(stat -c %U /var/lib/floodwatch/floodwatch.db)" = floodwatch
	kill -TERM "$DAEMON_PID"
	set +e; wait "$DAEMON_PID"; rc=$?; set -e
	DAEMON_PID=""
	check "it stops on SIGTERM with exit 0" test $rc -eq 0
fi

# ---- purge ----------------------------------------------------------------
dpkg --purge floodwatch > "$TMP/purge.log" 2>&1 || { cat "$TMP/purge.log"; fail "dpkg --purge failed"; }
INSTALLED=""
cat "$TMP/purge.log"
check "dpkg: no longer installed" sh -c "! dpkg-query -W -f='\${Status}' floodwatch 2>/dev/null | grep -q installed"
check "the floodwatch user is gone" sh -c "! getent passwd floodwatch"
check "the floodwatch group is gone" sh -c "! getent group floodwatch"
check "no statoverride is left" sh -c "! dpkg-statoverride --list | grep -q floodwatch"
find /etc /lib /usr/bin /usr/sbin /usr/lib /usr/share/man /usr/share/doc /var/lib /var/log /run \
    \( -path "$SRC" -o -path "$TMP" \) -prune -o -name '*floodwatch*' -print 2>/dev/null > "$TMP/left" || true
cat "$TMP/left"
check "nothing named floodwatch is left in /etc, /lib, /usr, /var/lib, /var/log, /run" test ! -s "$TMP/left"
echo "package: built in ${build_s}s; exposure $exposure"
