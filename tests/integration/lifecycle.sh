# Alert lifecycle across restarts (DESIGN contract 10): a NetFlow v5 flood
# stamped with the current time, already on when the daemon starts, alerts
# during warm-up; SIGTERM ends the open alert (reason shutdown), kill -9
# leaves it open and the next start ends it (reason restart, ended at its
# last event).  Each end is read back from SQLite and from Kafka (librdkafka
# mock cluster) by kcat and python3-kafka, validated against the schema.
. tests/integration/lib.sh
MOCK=build/o/tools/kafka_mock
VICTIM=198.51.100.77

start_mock() {
	"$MOCK" -f "$TMP/boot" > /dev/null 2> "$TMP/mock.log" &
	MOCK_PID=$!
	wait_for "$TMP/boot" ":"
	BOOT=$(cat "$TMP/boot")
}
stop_all() {
	[ -z "${FLOOD_PID:-}" ] || kill "$FLOOD_PID" 2>/dev/null || true
	[ -z "${MOCK_PID:-}" ] || kill "$MOCK_PID" 2>/dev/null || true
	wait 2>/dev/null || true
}
trap 'stop_all; cleanup' EXIT

start() {  # $1 = log
	"$FW" run --set sqlite.path="$TMP/a.db" --set kafka.brokers="$BOOT" --set listen.netflow=127.0.0.1:0 \
		--set listen.ipfix=127.0.0.1:0 --set listen.sflow=127.0.0.1:0 --set sqlite.retention_days=0 \
		--set flow.template_state= --set detector.max_lateness_ms=3000 > "$1" 2>&1 &
	DAEMON_PID=$!
	wait_for "$1" "ready;"
	PORT=$(sed -n 's/.*listening: netflow 127.0.0.1:0 (port \([0-9]*\)).*/\1/p' "$1")
}

# flood SECONDS: 100 kpps of UDP to $VICTIM as NetFlow v5 (20 datagrams/s), bounded in time.
flood() {
	"$PY" tests/tools/nf5-flood.py "$PORT" "$1" "$VICTIM" &
	FLOOD_PID=$!
}
stop_flood() { kill "$FLOOD_PID" 2>/dev/null || true; wait "$FLOOD_PID" 2>/dev/null || true; FLOOD_PID=""; }
q() { sqlite3 "$TMP/a.db" "$1"; }
wait_active() {  # until the victim has an active alert (max 60 s: a loaded CI machine)
	i=0
	until [ "$(q "SELECT count(*) FROM active_alerts WHERE victim = '$VICTIM'" 2>/dev/null || echo 0)" -ge 1 ]; do
		i=$((i + 1)); [ $i -lt 600 ] || { cat "$2"; fail "no alert for $VICTIM ($1)"; }; sleep 0.1
	done
}
wait_outbox_empty() {
	i=0
	until [ "$(q 'SELECT count(*) FROM outbox')" -eq 0 ]; do
		i=$((i + 1)); [ $i -lt 300 ] || fail "the outbox did not drain"; sleep 0.1
	done
}

# kafka_end ID REASON: kcat and python3-kafka both read an end event for alert ID with REASON,
# schema-valid, with the same ended_at and seq as SQLite.
kafka_end() {
	kcat -C -b "$BOOT" -t floodwatch.alerts -e -q -f '%k\t%s\n' > "$TMP/kcat"
	python3 - "$BOOT" > "$TMP/py" <<'PY'
import sys
from kafka import KafkaConsumer
c = KafkaConsumer("floodwatch.alerts", bootstrap_servers=sys.argv[1], auto_offset_reset="earliest",
                  consumer_timeout_ms=4000, api_version=(2, 0, 0))
for m in c:
    print(m.key.decode() + "\t" + m.value.decode())
PY
	python3 - "$TMP/kcat" "$TMP/py" schema/alert_event.schema.json "$TMP/a.db" "$1" "$2" <<'PY'
import json, sqlite3, sys
from jsonschema import Draft202012Validator
val = Draft202012Validator(json.load(open(sys.argv[3])))
db = sqlite3.connect(sys.argv[4])
aid, reason = sys.argv[5], sys.argv[6]
ended, seq = db.execute("SELECT ended_at, events FROM alerts WHERE id = ?", (aid,)).fetchone()
for path in sys.argv[1:3]:
    ends = []
    for line in open(path):
        key, _, value = line.rstrip("\n").partition("\t")
        m = json.loads(value)
        val.validate(m)
        if m["id"] == aid and m["event"] == "end":
            ends.append(m)
    assert ends, f"{path}: no end event for {aid}"
    m = ends[-1]
    assert (m["reason"], m["ended_at"], m["seq"]) == (reason, ended, seq), (path, m["reason"], m["ended_at"], m["seq"], reason, ended, seq)
print(f"end of {aid} on Kafka (kcat and python3-kafka): reason {reason}, ended_at {ended}, seq {seq}")
PY
}

start_mock

# 1. SIGTERM while the flood is on: the alert ends with reason shutdown.
start "$TMP/run1.log"
T0=$(date +%s)
flood 40
wait_active "run 1" "$TMP/run1.log"
ID1=$(q "SELECT id FROM alerts WHERE victim = '$VICTIM'")
check "a flood on from the daemon's first window is not learned in warm-up: its alert starts at its onset" \
	test "$(q "SELECT abs(strftime('%s', started_at) - $T0) <= 2 FROM alerts WHERE id = '$ID1'")" = 1
kill -TERM "$DAEMON_PID"
set +e; wait "$DAEMON_PID"; rc=$?; set -e
DAEMON_PID=""
stop_flood
cat "$TMP/run1.log"
check "SIGTERM: exit 0" test $rc -eq 0
check "SIGTERM: no alert left active" test "$(q 'SELECT count(*) FROM active_alerts')" -eq 0
check "... the alert ended with reason shutdown" test "$(q "SELECT end_reason FROM alerts WHERE id = '$ID1'")" = shutdown
check "... its end event says shutdown" \
	test "$(q "SELECT event || ' ' || reason FROM alert_events WHERE alert_id = '$ID1' ORDER BY seq DESC LIMIT 1")" = "end shutdown"
check "... and the log says so" grep -q "1 open alert ended (reason shutdown)" "$TMP/run1.log"
check "... and floodwatch alerts shows it" sh -c "'$FW' alerts --db '$TMP/a.db' | grep -q 'ended shutdown'"
check "... every event acknowledged by Kafka" test "$(q 'SELECT count(*) FROM outbox')" -eq 0
check "the shutdown end is on Kafka" kafka_end "$ID1" shutdown

# 2. kill -9 while the flood is on: the alert stays open until the next start ends it.
start "$TMP/run2.log"
flood 40
wait_active "run 2" "$TMP/run2.log"
kill -9 "$DAEMON_PID"; wait "$DAEMON_PID" 2>/dev/null || true; DAEMON_PID=""
stop_flood
ID2=$(q "SELECT id FROM active_alerts WHERE victim = '$VICTIM'")
LAST=$(q "SELECT updated_at FROM alerts WHERE id = '$ID2'")
EVENTS=$(q "SELECT events FROM alerts WHERE id = '$ID2'")
check "after kill -9 the alert is still open" test -n "$ID2"
start "$TMP/run3.log"
wait_outbox_empty
kill -TERM "$DAEMON_PID"; wait "$DAEMON_PID"; DAEMON_PID=""
cat "$TMP/run3.log"
check "restart: no alert left active" test "$(q 'SELECT count(*) FROM active_alerts')" -eq 0
check "... the alert ended with reason restart" test "$(q "SELECT end_reason FROM alerts WHERE id = '$ID2'")" = restart
check "... ended at its last known event ($LAST)" test "$(q "SELECT ended_at FROM alerts WHERE id = '$ID2'")" = "$LAST"
check "... with an end event (seq $((EVENTS + 1)), reason restart)" \
	test "$(q "SELECT seq || ' ' || event || ' ' || reason FROM alert_events WHERE alert_id = '$ID2' ORDER BY seq DESC LIMIT 1")" = "$((EVENTS + 1)) end restart"
check "... and the log says so" grep -q "1 alert left open by the previous run ended (reason restart)" "$TMP/run3.log"
check "the restart end is on Kafka" kafka_end "$ID2" restart
check "the database is intact" test "$(q 'PRAGMA integrity_check')" = ok
