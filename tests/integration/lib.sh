# Shared helpers for integration tests (sourced).  FW is the binary under test.
set -eu
FW=${FW:-./floodwatch}
# Debian's python3 (with python3-* packages), not a pyenv shim that may shadow it.
PY=/usr/bin/python3; [ -x "$PY" ] || PY=python3
python3() { "$PY" "$@"; }
TMP=$(mktemp -d /tmp/fwtest.XXXXXX)
# Started as root, `run` switches to general.user (nobody:nogroup by default)
# once its files are open, and the directory of its database must be writable
# then.  Root keeps the owner: named, root without DAC capabilities, reads here.
[ "$(id -u)" -ne 0 ] || { chgrp nogroup "$TMP" && chmod 0770 "$TMP"; }
# `run` serves HTTP on 127.0.0.1:8080 by default, and tests run side by side:
# every daemon a test starts gets an ephemeral HTTP port instead, unless the
# test sets http.listen itself (a later --set wins).  Likewise the detector
# state file is off (./var/detector.state would carry one test's learning
# into the next); state_restart.sh sets it.  exec keeps the PID.
case "$FW" in /*) FW_BIN=$FW ;; *) FW_BIN=$(pwd)/$FW ;; esac
printf '#!/bin/sh\nif [ "${1:-}" = run ]; then shift; exec "%s" run --set http.listen=127.0.0.1:0 --set detector.state_file= "$@"; fi\nexec "%s" "$@"\n' \
	"$FW_BIN" "$FW_BIN" > "$TMP/floodwatch"
chmod 0755 "$TMP/floodwatch"
FW=$TMP/floodwatch
cleanup() { [ -z "${DAEMON_PID:-}" ] || kill -9 "$DAEMON_PID" 2>/dev/null || true; rm -rf "$TMP"; }
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
check() { desc=$1; shift; if "$@"; then echo "ok - $desc"; else fail "$desc"; fi; }
# json_field FILE EXPR: evaluate a python expression over the list `rows` of JSON lines.
json_eval() { python3 -c "import json,sys; rows=[json.loads(l) for l in open('$1') if l.strip()]; print($2)"; }
# Wait until FILE contains PATTERN (max 20 s).
wait_for() {
	i=0
	while ! grep -q "$2" "$1" 2>/dev/null; do
		i=$((i + 1)); [ $i -lt 200 ] || fail "timed out waiting for '$2' in $1"; sleep 0.1
	done
}
