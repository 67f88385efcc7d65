# SIGHUP reload keeps state (issue 16): a live daemon with a learned baseline
# (a steady benign victim) and an open alert (a NetFlow v5 flood) re-reads
# its -c file, keeping its --set overrides.  A changed threshold and a new
# detector.networks entry apply at once: the open alert goes on under the
# same id (no end, no second start), the benign victim stays quiet (its
# baseline is kept, no warm-up), a flood into the new network alerts.  A
# restart-only key is logged and kept.  A broken file is refused with its
# file, line and key, and the running config stays.  Bounded: about 20 s.
. tests/integration/lib.sh
BENIGN=198.51.100.20
VICTIM=198.51.100.77
NEWNET_VICTIM=192.0.2.9
CONF=$TMP/fw.conf
LOG=$TMP/run.log
FLOODS=""
stop_all() {
	for f in $FLOODS; do kill "$f" 2>/dev/null || true; wait "$f" 2>/dev/null || true; done
	FLOODS=""
}
trap 'stop_all; cleanup' EXIT

write_conf() {  # $1 = multiplier, $2 = networks, $3 = max_victims
	cat > "$CONF" <<CONF
[detector]
window_ms = 500
lateness_ms = 1000
warmup_windows = 4
; the benign victim (100 kpps from the start) is learned, never alerted on
warmup_pps = 1000000
min_pps = 1000
start_windows = 2
end_windows = 20
multiplier = $1
networks = $2
max_victims = $3
CONF
}
flood() {  # VICTIM SECONDS
	"$PY" tests/tools/nf5-flood.py "$PORT" "$2" "$1" &
	FLOODS="$FLOODS $!"
}
q() { sqlite3 "$TMP/a.db" "$1"; }
wait_active() {  # VICTIM: until it has an active alert (max 20 s)
	i=0
	until [ "$(q "SELECT count(*) FROM active_alerts WHERE victim = '$1'" 2>/dev/null || echo 0)" -ge 1 ]; do
		i=$((i + 1)); [ $i -lt 200 ] || { cat "$LOG"; fail "no alert for $1"; }; sleep 0.1
	done
}

write_conf 4 198.51.100.0/24 65536
"$FW" run -c "$CONF" --set sqlite.path="$TMP/a.db" --set listen.netflow=127.0.0.1:0 \
	--set listen.ipfix=127.0.0.1:0 --set listen.sflow=127.0.0.1:0 --set sqlite.retention_days=0 \
	--set flow.template_state= --set detector.max_lateness_ms=3000 > "$LOG" 2>&1 &
DAEMON_PID=$!
wait_for "$LOG" "ready;"
PORT=$(sed -n 's/.*listening: netflow 127.0.0.1:0 (port \([0-9]*\)).*/\1/p' "$LOG")

# A learned baseline: the benign victim through warm-up (4 windows of 0.5 s, plus lateness).
flood "$BENIGN" 40
sleep 4
# An open alert: a new victim over the floor.  The same flood to an address
# outside detector.networks is not watched.
flood "$VICTIM" 40
flood "$NEWNET_VICTIM" 40
wait_active "$VICTIM"
ID=$(q "SELECT id FROM active_alerts WHERE victim = '$VICTIM'")
sleep 1.5
check "before the reload: no alert for $NEWNET_VICTIM (outside detector.networks)" \
	test "$(q "SELECT count(*) FROM alerts WHERE victim = '$NEWNET_VICTIM'")" -eq 0

# The reload: a changed threshold, a new network, a restart-only key.
write_conf 3 "198.51.100.0/24, 192.0.2.0/24" 1024
kill -HUP "$DAEMON_PID"
wait_for "$LOG" "reloaded settings in force"
check "the changed threshold is logged as applied" grep -q "reload: detector.multiplier = '3' (was '4')" "$LOG"
check "the new network is logged as applied" \
	grep -q "reload: detector.networks = '198.51.100.0/24, 192.0.2.0/24' (was '198.51.100.0/24')" "$LOG"
check "a restart-only key is logged as such and kept" \
	grep -q "detector.max_victims changed: needs a restart, kept at '65536'" "$LOG"
check "the --set overrides are kept (max_lateness_ms not reported as changed)" \
	sh -c "! grep -q 'max_lateness_ms' '$LOG'"
check "the detector kept its state, past warm-up, with the open alert" \
	grep -q "reloaded settings in force after [0-9]* windows; kept: victims=[1-9][0-9]* zones=0 open_alerts=1 with their baselines and windows (past warm-up)" "$LOG"

# The new network is watched: the flood into it now alerts.
wait_active "$NEWNET_VICTIM"
check "a victim in the network added by the reload alerts" \
	test "$(q "SELECT count(*) FROM alerts WHERE victim = '$NEWNET_VICTIM'")" -eq 1
sleep 2

# A broken file: refused with file, line and key; nothing changes.
sed -i 's/^multiplier = 3$/multiplier = 0.5/' "$CONF"
LINE=$(grep -n '^multiplier' "$CONF" | cut -d: -f1)
kill -HUP "$DAEMON_PID"
wait_for "$LOG" "new config refused"
check "a broken config is refused with its file, line and key" \
	grep -q "new config refused, the running one is kept: $CONF:$LINE: detector.multiplier" "$LOG"
check "... and the detector got no new settings" test "$(grep -c 'reloaded settings in force' "$LOG")" -eq 1
sleep 1

check "the open alert goes on under the same id" \
	test "$(q "SELECT id FROM active_alerts WHERE victim = '$VICTIM'")" = "$ID"
check "... with no end and no second start" \
	test "$(q "SELECT count(*) FROM alerts WHERE victim = '$VICTIM'"):$(q "SELECT count(*) FROM alert_events WHERE alert_id = '$ID' AND event <> 'update'")" = "1:1"
check "the benign victim (its baseline kept) never alerted" \
	test "$(q "SELECT count(*) FROM alerts WHERE victim = '$BENIGN'")" -eq 0
check "no warm-up after the reload" sh -c "! grep -q 'still in warm-up' '$LOG'"

kill -TERM "$DAEMON_PID"
set +e; wait "$DAEMON_PID"; rc=$?; set -e
DAEMON_PID=""
stop_all
cat "$LOG"
check "SIGTERM after the reloads: exit 0" test $rc -eq 0
