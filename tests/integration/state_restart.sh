# Detector state across a restart (detector.state_file): a live daemon fed
# NetFlow v5 over loopback learns a server's steady 200 packets/s, SIGTERM
# saves its state; restarted on the same file it says "state restored" and
# a 10 kpps flood (under detector.warmup_pps) alerts within seconds against
# the learned threshold.  A fresh daemon given the same flood is in its
# warm-up, learns the flood as the server's normal and never alerts: the
# difference the file makes.  A damaged file: one warning, a fresh start,
# exit 0, and a good file again at the next shutdown.
. tests/integration/lib.sh
VICTIM=198.51.100.10
STATE=$TMP/state/detector.state
GEN=tests/tools/nf5-steady.py
trap '[ -z "${GEN_PID:-}" ] || kill "$GEN_PID" 2>/dev/null || true; cleanup' EXIT

start() {  # $1 = log, $2 = database, then more --set
	log=$1 db=$2; shift 2
	"$FW" run --set sqlite.path="$db" --set listen.netflow=127.0.0.1:0 --set listen.ipfix= --set listen.sflow= \
		--set flow.template_state= --set detector.max_lateness_ms=3000 --set detector.shards=1 \
		--set detector.state_file="$STATE" "$@" > "$log" 2>&1 &
	DAEMON_PID=$!
	wait_for "$log" "ready;"
	PORT=$(sed -n 's/.*listening: netflow 127.0.0.1:0 (port \([0-9]*\)).*/\1/p' "$log")
}
stop() {  # SIGTERM; the exit status in RC
	kill -TERM "$DAEMON_PID"
	set +e; wait "$DAEMON_PID"; RC=$?; set -e
	DAEMON_PID=""
}
traffic() {  # SECONDS [FLOOD_PPS], in the foreground (bounded by SECONDS)
	"$PY" "$GEN" "$PORT" "$1" "$VICTIM" "${2:-0}" &
	GEN_PID=$!
	wait "$GEN_PID"; GEN_PID=""
}
alerts() { sqlite3 "$1" "SELECT count(*) FROM alerts WHERE victim = '$VICTIM'"; }

# 1. Learn: 16 s of steady traffic (warm-up is 10 windows), then SIGTERM.
start "$TMP/learn.log" "$TMP/a.db"
check "first start: no state file yet, says so" grep -q "detector: no state file $STATE yet: starting fresh" "$TMP/learn.log"
traffic 16
stop
cat "$TMP/learn.log"
check "SIGTERM: exit 0" test "$RC" -eq 0
check "the state file exists" test -s "$STATE"
check "... no .tmp is left beside it" test ! -e "$STATE.tmp"
check "the shutdown says it saved the state and how long the detector paused" \
	grep -q "detector: state saved to $STATE: [0-9]* bytes, 1 shard; detector paused [0-9]* ms at most" "$TMP/learn.log"
check "the steady traffic raised nothing" test "$(alerts "$TMP/a.db")" -eq 0

# 2. Restart on the state: restored; a flood alerts at once.  Saved every
# second (detector.state_interval_ms) and then killed (-9) with the alert
# open: the next start ends it in SQLite (reason restart) and the restored
# detector closes it too (no event).
start "$TMP/restored.log" "$TMP/a.db" --set detector.state_interval_ms=1000
check "the restart restored the state (victims, zones, no alert open)" \
	grep -Eq "detector: state restored from $STATE: saved at [0-9T:.-]+Z \([0-9]+ s ago\), [1-9][0-9]* victims, 0 zones, 0 alerts were open" \
	"$TMP/restored.log"
traffic 8 10000
i=0
until [ "$(alerts "$TMP/a.db")" -ge 1 ]; do
	i=$((i + 1)); [ $i -lt 50 ] || { cat "$TMP/restored.log"; fail "the restored daemon did not alert on the flood"; }
	sleep 0.1
done
check "the restored daemon alerts on the flood against its learned threshold (not the warm-up floor)" \
	sh -c "sqlite3 '$TMP/a.db' \"SELECT json_extract(evidence, '$.threshold_pps') FROM alerts WHERE victim = '$VICTIM'\" |
	awk '{ exit !(\$1 > 200 && \$1 < 5000) }'"
sleep 1.5
kill -9 "$DAEMON_PID"; wait "$DAEMON_PID" 2>/dev/null || true; DAEMON_PID=""
check "the periodic save ran while the alert was open (no shutdown save)" \
	sh -c "test -s '$STATE' && ! grep -q 'state saved' '$TMP/restored.log'"
start "$TMP/crashed.log" "$TMP/a.db"
check "after kill -9: restored from the last periodic save, with the open alert" \
	grep -q "detector: state restored from $STATE: .* 1 alert was open" "$TMP/crashed.log"
check "... which the start ended in SQLite (reason restart)" \
	test "$(sqlite3 "$TMP/a.db" "SELECT end_reason FROM alerts WHERE victim = '$VICTIM'")" = restart
stop
check "SIGTERM: exit 0, no event for the closed alert" \
	sh -c "test $RC -eq 0 && grep -q 'events accepted=0 ' '$TMP/crashed.log'"

# 3. The same flood on a fresh daemon (no state): in warm-up it is under
# detector.warmup_pps, then learned as normal: no alert.
start "$TMP/fresh.log" "$TMP/b.db" --set detector.state_file=
traffic 8 10000
sleep 1
stop
check "a fresh daemon does not alert on that flood (warm-up)" test "$(alerts "$TMP/b.db")" -eq 0

# 4. A damaged file: a warning naming why, a fresh start, exit 0, saved anew.
cp "$STATE" "$TMP/good.state"
size=$(wc -c < "$STATE")
head -c $((size / 2)) "$TMP/good.state" > "$STATE"
start "$TMP/damaged.log" "$TMP/c.db"
check "a cut file: one warning saying why, then a fresh start" \
	grep -q "warn detector: state file $STATE not used: cut short: .*; starting fresh" "$TMP/damaged.log"
stop
check "... exit 0" test "$RC" -eq 0
check "... and the shutdown wrote a good file again" \
	grep -q "detector: state saved to $STATE" "$TMP/damaged.log"
"$PY" - "$TMP/good.state" "$STATE" <<'PY'
import sys
b = bytearray(open(sys.argv[1], "rb").read())
b[len(b) // 2] ^= 0x40          # one bit in shard 0's blob
open(sys.argv[2], "wb").write(b)
PY
start "$TMP/flipped.log" "$TMP/c.db"
check "a flipped bit: refused by the blob's checksum, a fresh start" \
	grep -q "warn detector: state file $STATE not used: shard 0: detector state: checksum mismatch" "$TMP/flipped.log"
stop
check "... exit 0" test "$RC" -eq 0
start "$TMP/shards.log" "$TMP/c.db" --set detector.shards=2
check "another shard count: refused, named" \
	grep -q "state file $STATE not used: saved by 1 detector shard, this daemon runs 2" "$TMP/shards.log"
stop
check "... exit 0" test "$RC" -eq 0
