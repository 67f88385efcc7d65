# systemd's notify protocol without systemd: a datagram socket stands in for
# NOTIFY_SOCKET.  `run` says READY=1 once it listens, pings WATCHDOG=1 from
# its main loop while WATCHDOG_USEC is set, RELOADING=1 (with MONOTONIC_USEC)
# then READY=1 around a SIGHUP reload, and STOPPING=1 on SIGTERM;
# without NOTIFY_SOCKET it runs as before.
. tests/integration/lib.sh
SOCK="$TMP/notify.sock"
python3 - "$SOCK" "$TMP/notes" > "$TMP/listener.log" 2>&1 <<'EOF' &
import os, socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
os.chmod(sys.argv[1], 0o666)   # the daemon may have switched to nobody
s.settimeout(0.5)
end = time.time() + 60          # bounded: the test needs about 5 s
with open(sys.argv[2], "a", buffering=1) as out:
    while time.time() < end:
        try:
            msg = s.recv(4096).decode()
        except socket.timeout:
            continue
        for line in msg.split("\n"):
            out.write("%.3f %s\n" % (time.time(), line))
        if "STOPPING=1" in msg:
            break
EOF
LISTENER=$!
trap 'kill "$LISTENER" 2>/dev/null || true; cleanup' EXIT
i=0; while [ ! -S "$SOCK" ]; do i=$((i + 1)); [ $i -lt 100 ] || fail "notify socket not made"; sleep 0.1; done

NOTIFY_SOCKET="$SOCK" WATCHDOG_USEC=2000000 "$FW" run --set sqlite.path="$TMP/n.db" \
	--set listen.netflow=127.0.0.1:0 --set listen.ipfix=127.0.0.1:0 --set listen.sflow=127.0.0.1:0 \
	> "$TMP/log" 2>&1 &
DAEMON_PID=$!
wait_for "$TMP/log" "ready;"
wait_for "$TMP/notes" "READY=1"
check "READY=1 comes after the listeners are bound" grep -q "listening: netflow" "$TMP/log"
check "the log says the watchdog period and the ping interval" \
	grep -q "systemd watchdog: 2000 ms, pinged every 1000 ms" "$TMP/log"
sleep 3.5
pings=$(grep -c "WATCHDOG=1" "$TMP/notes" || true)
check "WATCHDOG=1 is pinged from the 1 s tick (got $pings in 3.5 s)" test "$pings" -ge 2
kill -HUP "$DAEMON_PID"
wait_for "$TMP/log" "changed settings applied"
wait_for "$TMP/notes" "STATUS=ready: listening"
kill -TERM "$DAEMON_PID"
set +e; wait "$DAEMON_PID"; rc=$?; set -e
DAEMON_PID=""
check "SIGTERM: exit 0" test $rc -eq 0
wait "$LISTENER" || true
cat "$TMP/notes"
check "STOPPING=1 on SIGTERM" grep -q "STOPPING=1" "$TMP/notes"
check "READY=1 was sent twice: at start and after the reload" test "$(grep -c 'READY=1' "$TMP/notes")" -eq 2
check "SIGHUP: RELOADING=1 with MONOTONIC_USEC, then READY=1" \
	sh -c "grep -v WATCHDOG '$TMP/notes' | awk '{ print \$2 }' | grep -A1 -x 'RELOADING=1' | grep -q '^MONOTONIC_USEC=[0-9]*\$' &&
	       grep -v WATCHDOG '$TMP/notes' | awk '{ print \$2 }' | sed -n '/^RELOADING=1\$/,\$p' | grep -qx 'READY=1'"

# Without WATCHDOG_USEC: READY=1 and no pings; without NOTIFY_SOCKET: nothing breaks.
rm -f "$SOCK" "$TMP/notes"
python3 - "$SOCK" "$TMP/notes" > "$TMP/listener.log" 2>&1 <<'EOF' &
import os, socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1]); os.chmod(sys.argv[1], 0o666); s.settimeout(0.5)
end = time.time() + 30
with open(sys.argv[2], "a", buffering=1) as out:
    while time.time() < end:
        try:
            msg = s.recv(4096).decode()
        except socket.timeout:
            continue
        out.write(msg + "\n")
        if "STOPPING=1" in msg:
            break
EOF
LISTENER=$!
i=0; while [ ! -S "$SOCK" ]; do i=$((i + 1)); [ $i -lt 100 ] || fail "notify socket not made"; sleep 0.1; done
NOTIFY_SOCKET="$SOCK" "$FW" run --set sqlite.path="$TMP/n2.db" --set listen.netflow=127.0.0.1:0 \
	--set listen.ipfix=127.0.0.1:0 --set listen.sflow=127.0.0.1:0 > "$TMP/log2" 2>&1 &
DAEMON_PID=$!
wait_for "$TMP/notes" "READY=1"
sleep 1.5
kill -TERM "$DAEMON_PID"; wait "$DAEMON_PID"; DAEMON_PID=""
wait "$LISTENER" || true
check "no WATCHDOG_USEC: no pings" sh -c "! grep -q WATCHDOG=1 '$TMP/notes'"
check "... and no watchdog line in the log" sh -c "! grep -q 'systemd watchdog' '$TMP/log2'"

"$FW" run --set sqlite.path="$TMP/n3.db" --set listen.netflow=127.0.0.1:0 \
	--set listen.ipfix=127.0.0.1:0 --set listen.sflow=127.0.0.1:0 > "$TMP/log3" 2>&1 &
DAEMON_PID=$!
wait_for "$TMP/log3" "ready;"
kill -TERM "$DAEMON_PID"
set +e; wait "$DAEMON_PID"; rc=$?; set -e
DAEMON_PID=""
check "no NOTIFY_SOCKET: runs and stops as before" test $rc -eq 0
check "... without a notify warning" sh -c "! grep -q sd_notify '$TMP/log3'"
