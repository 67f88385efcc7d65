# Kafka sink against librdkafka's mock cluster (a separate process on
# loopback), read back by independent clients: kcat and python3-kafka;
# every message validated against schema/alert_event.schema.json.
# Then the faults: brokers down for 30 s during a replay; kill -9 while the
# brokers are down, restart, and the outbox drains.
. tests/integration/lib.sh
MOCK=build/o/tools/kafka_mock
CAP=tests/data/udpflood_nf5.pcap

start_mock() {  # $1 = name; sets MOCK_PID and BOOT
	rm -f "$TMP/$1.boot"
	"$MOCK" -f "$TMP/$1.boot" > /dev/null 2> "$TMP/$1.mock.log" &
	MOCK_PID=$!
	wait_for "$TMP/$1.boot" ":"
	BOOT=$(cat "$TMP/$1.boot")
}
stop_mock() { kill "$MOCK_PID" 2>/dev/null || true; wait "$MOCK_PID" 2>/dev/null || true; }
trap 'stop_mock; cleanup' EXIT

# consume NAME: every message of the topic via kcat (key TAB value) and python3-kafka, then check them.
consume() {
	kcat -C -b "$BOOT" -t floodwatch.alerts -e -q -f '%k\t%s\n' > "$TMP/$1.kcat"
	python3 - "$BOOT" > "$TMP/$1.py" <<'PY'
import sys
from kafka import KafkaConsumer
c = KafkaConsumer("floodwatch.alerts", bootstrap_servers=sys.argv[1], auto_offset_reset="earliest",
                  consumer_timeout_ms=4000, api_version=(2, 0, 0))
for m in c:
    print(m.key.decode() + "\t" + m.value.decode())
PY
}

# verify NAME DB: messages valid, same set from both clients, in order per victim, all events of DB present.
verify() {
	python3 - "$TMP/$1.kcat" "$TMP/$1.py" schema/alert_event.schema.json "$2" <<'PY'
import json, sys, sqlite3
from jsonschema import Draft202012Validator
schema = json.load(open(sys.argv[3]))
Draft202012Validator.check_schema(schema)
val = Draft202012Validator(schema)
def load(path):
    out = []
    for line in open(path):
        key, _, value = line.rstrip("\n").partition("\t")
        msg = json.loads(value)
        val.validate(msg)
        assert key == msg["victim"], (key, msg["victim"])
        out.append(msg)
    return out
kc, py = load(sys.argv[1]), load(sys.argv[2])
ident = lambda ms: sorted((m["id"], m["seq"], m["event"]) for m in ms)
assert ident(kc) == ident(py), "kcat and python3-kafka disagree"
# Order per victim (one partition per key): ignoring re-sent duplicates
# (at-least-once), each alert's events arrive with rising seq, start first.
seen, last = set(), {}
for m in kc:
    if (m["id"], m["seq"]) in seen:
        continue
    seen.add((m["id"], m["seq"]))
    assert m["seq"] > last.get(m["id"], 0), f"out of order: {m['id']} seq {m['seq']} after {last.get(m['id'])}"
    assert (m["seq"] == 1) == (m["event"] == "start"), m
    last[m["id"]] = m["seq"]
db = sqlite3.connect(sys.argv[4])
want = set(db.execute("SELECT alert_id, seq, event FROM alert_events"))
got = set((m["id"], m["seq"], m["event"]) for m in kc)
assert want and want <= got, f"missing: {sorted(want - got)}"
assert got <= want, f"unknown events: {sorted(got - want)}"
left = db.execute("SELECT count(*) FROM outbox").fetchone()[0]
assert left == 0, f"{left} rows left in the outbox"
print(f"{len(kc)} messages, {len(want)} distinct events, all valid and in order")
PY
}

# 1. Plain replay: start/update/end events on the topic.
start_mock plain
"$FW" replay --set sqlite.path="$TMP/a.db" --set kafka.brokers="$BOOT" "$CAP" > "$TMP/a.out" 2>&1
cat "$TMP/a.out"
check "replay reports every event delivered" grep -q "kafka: 6 produced, 6 delivered, 0 failed deliveries, 0 left" "$TMP/a.out"
consume plain
check "kcat and python3-kafka read every event, schema-valid, in order" verify plain "$TMP/a.db"
stop_mock

# 2. Brokers down for 30 s during the replay, then up: nothing lost.
start_mock outage
kill -USR1 "$MOCK_PID"
"$FW" replay --set sqlite.path="$TMP/b.db" --set kafka.brokers="$BOOT" --set kafka.flush_timeout_ms=120000 \
	"$CAP" > "$TMP/b.out" 2>&1 &
RPID=$!
sleep 30
check "while the brokers are down the events wait in the outbox" \
	test "$(sqlite3 "$TMP/b.db" 'SELECT count(*) FROM outbox')" -eq 6
kill -USR2 "$MOCK_PID"
wait "$RPID"
cat "$TMP/b.out"
consume outage
check "after the outage every event arrived, in order" verify outage "$TMP/b.db"
stop_mock

# 3. kill -9 while the brokers are down, restart with the brokers up: the outbox drains.
start_mock crash
kill -USR1 "$MOCK_PID"
"$FW" replay --set sqlite.path="$TMP/c.db" --set kafka.brokers="$BOOT" --set kafka.flush_timeout_ms=120000 \
	"$CAP" > "$TMP/c.out" 2>&1 &
RPID=$!
i=0
until [ "$(sqlite3 "$TMP/c.db" 'SELECT count(*) FROM outbox' 2>/dev/null || echo 0)" -eq 6 ]; do
	i=$((i + 1)); [ $i -lt 200 ] || fail "outbox never filled"; sleep 0.1
done
kill -9 "$RPID"; wait "$RPID" 2>/dev/null || true
check "after kill -9 the database is intact" test "$(sqlite3 "$TMP/c.db" 'PRAGMA integrity_check')" = ok
kill -USR2 "$MOCK_PID"
# retention_days=0: the replayed alerts are from 2023 and would be past the 90-day retention.
"$FW" run --set sqlite.path="$TMP/c.db" --set sqlite.retention_days=0 --set kafka.brokers="$BOOT" --set listen.netflow=127.0.0.1:0 \
	--set listen.ipfix=127.0.0.1:0 --set listen.sflow=127.0.0.1:0 > "$TMP/run.log" 2>&1 &
DAEMON_PID=$!
i=0
until [ "$(sqlite3 "$TMP/c.db" 'SELECT count(*) FROM outbox')" -eq 0 ]; do
	i=$((i + 1)); [ $i -lt 300 ] || { cat "$TMP/run.log"; fail "outbox did not drain after restart"; }; sleep 0.1
done
kill -TERM "$DAEMON_PID"; wait "$DAEMON_PID"; DAEMON_PID=""
consume crash
check "the restarted daemon sent everything the killed one had accepted" verify crash "$TMP/c.db"
