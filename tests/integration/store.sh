# floodwatch store: one central SQLite fed from the alerts topic.  Two
# replays (each with its own SQLite) publish the alert events of different
# captures to librdkafka's mock cluster; `store --once` gathers them into a
# third SQLite: the union of both, event for event.  Running it again (same
# group: nothing new; another group: everything again) changes nothing.
# Invalid messages put on the topic with kcat are skipped and counted; a late
# copy of an older update never reopens an ended alert; an update of an
# alert whose start the store never saw makes a usable row.  Then the store
# as a daemon: a new event arrives, the HTTP API serves the file, SIGTERM
# commits and exits 0.  Nothing goes back into Kafka.
. tests/integration/lib.sh
MOCK=build/o/tools/kafka_mock
T=floodwatch.alerts

rm -f "$TMP/mock.boot"
"$MOCK" -f "$TMP/mock.boot" > /dev/null 2> "$TMP/mock.log" &
MOCK_PID=$!
trap 'kill "$MOCK_PID" 2>/dev/null || true; wait "$MOCK_PID" 2>/dev/null || true; cleanup' EXIT
wait_for "$TMP/mock.boot" ":"
BOOT=$(cat "$TMP/mock.boot")

for c in a:tests/data/udpflood_nf5.pcap b:tests/data/water-torture-packets.pcap; do
	n=${c%%:*}
	"$FW" replay --set sqlite.path="$TMP/$n.db" --set kafka.brokers="$BOOT" --set dns.querylog_timezone=UTC \
		"${c#*:}" > "$TMP/$n.out" 2>&1 || { cat "$TMP/$n.out"; fail "replay ${c#*:}"; }
	grep -q "0 failed deliveries, 0 left" "$TMP/$n.out" || { cat "$TMP/$n.out"; fail "replay ${c#*:}: not all delivered"; }
done
check "each producer has alerts of its own" \
	test "$(sqlite3 "$TMP/a.db" 'SELECT count(*) FROM alerts')" -ge 1 -a "$(sqlite3 "$TMP/b.db" 'SELECT count(*) FROM alerts')" -ge 1
ntopic() { kcat -C -b "$BOOT" -t "$T" -e -q -f '%o\n' | wc -l; }
kcat -C -b "$BOOT" -t "$T" -e -q -f '%k\t%s\n' > "$TMP/topic.txt"
NEV=$(wc -l < "$TMP/topic.txt")
# Three messages that are not alert events: not JSON, JSON but no event, and
# an event with seq 0 (the schema's minimum is 1).
sed -n 1p "$TMP/topic.txt" | cut -f2 | sed 's/"seq":[0-9]*/"seq":0/' > "$TMP/seq0.json"
{ echo 'not json at all'; echo '{"schema_version":1,"id":"0011223344556677"}'; cat "$TMP/seq0.json"; } |
	kcat -P -b "$BOOT" -t "$T" -k junk
NTOPIC=$((NEV + 3))
check "the topic holds every event and the 3 invalid messages ($NTOPIC)" test "$(ntopic)" -eq "$NTOPIC"

# The mock's group coordinator waits out a closed member's session before the
# next one joins: a short session keeps each store run to seconds.
SESSION=kafka.rdkafka.session.timeout.ms=6000
# store --once [--set ...]: into s.db; output in $TMP/s.out, status in $RC.
store() {
	set +e
	"$FW" store --once --set sqlite.path="$TMP/s.db" --set kafka.brokers="$BOOT" --set $SESSION "$@" > "$TMP/s.out" 2> "$TMP/s.err"
	RC=$?
	set -e
	cat "$TMP/s.out"
}
# The store's content that matters, in a stable order.
dump() {
	sqlite3 -separator ' ' "$1" "SELECT id, victim, vector, severity, started_at, ended_at, end_reason, events FROM alerts
		ORDER BY id; SELECT alert_id, seq, event, at, reason FROM alert_events ORDER BY alert_id, seq"
}

store
check "store --once exits 0" test "$RC" -eq 0
check "... read every message: $NEV events written, 3 invalid skipped" \
	grep -q "^store: $NTOPIC messages, $NEV events written, 0 duplicates skipped, 3 invalid skipped" "$TMP/s.out"
check "... each invalid message logged (rate-limited), with its offset" \
	test "$(grep -c 'not an alert event, skipped' "$TMP/s.err")" -eq 3
check "... and counted in collector_stats (store invalid = 3)" \
	test "$(sqlite3 "$TMP/s.db" "SELECT value FROM collector_stats WHERE source = 'store' AND name = 'invalid' ORDER BY at DESC LIMIT 1")" = 3
python3 - "$TMP/a.db" "$TMP/b.db" "$TMP/s.db" <<'PY' || fail "the store is not the union of both producers"
import sqlite3, sys
def rows(path, sql):
    return set(sqlite3.connect(path).execute(sql))
ev = "SELECT alert_id, seq, event, at, reason FROM alert_events"
al = "SELECT id, victim, vector, severity, started_at, updated_at, ended_at, end_reason, events FROM alerts"
a, b, s = sys.argv[1:]
assert not (rows(a, ev) & rows(b, ev)), "the producers share events: pick other captures"
assert rows(s, ev) == rows(a, ev) | rows(b, ev), (rows(s, ev) ^ (rows(a, ev) | rows(b, ev)))
assert rows(s, al) == rows(a, al) | rows(b, al), (rows(s, al) ^ (rows(a, al) | rows(b, al)))
print("ok - the store holds the union of both producers: same ids, seq, events, times, rows")
PY
check "... and not one event in its outbox" test "$(sqlite3 "$TMP/s.db" 'SELECT count(*) FROM outbox')" -eq 0
check "... nothing went back into Kafka (still $NTOPIC messages)" test "$(ntopic)" -eq "$NTOPIC"
"$FW" alerts --db "$TMP/s.db" --json --since 100000d > "$TMP/s.alerts"
{ "$FW" alerts --db "$TMP/a.db" --json --since 100000d; "$FW" alerts --db "$TMP/b.db" --json --since 100000d; } > "$TMP/ab.alerts"
check "floodwatch alerts --json on the store lists what both producers' list" \
	test "$(json_eval "$TMP/s.alerts" 'sorted((r["id"], r["vector"], r["started_at"]) for r in rows)')" = \
	"$(json_eval "$TMP/ab.alerts" 'sorted((r["id"], r["vector"], r["started_at"]) for r in rows)')"
dump "$TMP/s.db" > "$TMP/dump1"

store
check "again, same group: nothing new to read, exit 0" sh -c "test $RC -eq 0 && grep -q '^store: 0 messages, 0 events written' '$TMP/s.out'"
dump "$TMP/s.db" > "$TMP/dump2"
check "... the store is unchanged" cmp -s "$TMP/dump1" "$TMP/dump2"
store --set cluster.store_group_id=floodwatch-store-again
check "another group reads everything again: all $NEV events are duplicates, skipped" \
	sh -c "test $RC -eq 0 && grep -q '^store: $NTOPIC messages, 0 events written, $NEV duplicates skipped, 3 invalid' '$TMP/s.out'"
dump "$TMP/s.db" > "$TMP/dump3"
check "... the store is unchanged" cmp -s "$TMP/dump1" "$TMP/dump3"

# A late copy of an older update (at-least-once: a detector's replayed tail)
# after the alert's end, and an update of an alert this store never saw start.
python3 - "$TMP/topic.txt" "$TMP/late.txt" <<'PY'
import json, sys
msgs = [json.loads(l.split("\t", 1)[1]) for l in open(sys.argv[1])]
ended = {m["id"] for m in msgs if m["event"] == "end"}
upd = next(m for m in msgs if m["event"] == "update" and m["id"] in ended)
fresh = dict(upd, id="f00dfeedf00dfeed", seq=3)
with open(sys.argv[2], "w") as f:
    for m in (upd, fresh):
        f.write(m["victim"] + "\t" + json.dumps(m, separators=(",", ":")) + "\n")
print(upd["id"], file=open(sys.argv[2] + ".id", "w"))
PY
LATE=$(cat "$TMP/late.txt.id")
kcat -P -b "$BOOT" -t "$T" -K '	' < "$TMP/late.txt"
store
check "a late update and an update without a start: 1 event written, 1 duplicate" \
	sh -c "test $RC -eq 0 && grep -q '^store: 2 messages, 1 events written, 1 duplicates skipped' '$TMP/s.out'"
check "... the ended alert $LATE stays ended (the late copy is skipped whole)" \
	test "$(sqlite3 "$TMP/s.db" "SELECT ended_at IS NOT NULL AND end_reason IS NOT NULL FROM alerts WHERE id = '$LATE'")" = 1
check "... the alert without a start has a row: active, started_at, victim, vector from the event" \
	test "$(sqlite3 "$TMP/s.db" "SELECT ended_at IS NULL, started_at = (SELECT started_at FROM alerts WHERE id = '$LATE'), events FROM alerts WHERE id = 'f00dfeedf00dfeed'")" = "1|1|3"
"$FW" show --db "$TMP/s.db" f00dfeedf00dfeed > "$TMP/show.out" 2>&1 || { cat "$TMP/show.out"; fail "floodwatch show"; }
check "... floodwatch show prints it with its update" grep -q "update" "$TMP/show.out"
"$FW" alerts --db "$TMP/s.db" --active --json --since 100000d > "$TMP/active.json"
check "... floodwatch alerts --active lists it" test "$(json_eval "$TMP/active.json" '[r["id"] for r in rows]')" = "['f00dfeedf00dfeed']"

# The store as a daemon: serves the file over HTTP, takes new events, stops on SIGTERM.
"$FW" store --set sqlite.path="$TMP/s.db" --set kafka.brokers="$BOOT" --set $SESSION --set http.listen=127.0.0.1:0 \
	--set stats.interval_ms=1000 > "$TMP/d.log" 2>&1 &
DAEMON_PID=$!
wait_for "$TMP/d.log" "assigned"
URL=$(sed -n 's|.*http: API and /metrics at \(http://127.0.0.1:[0-9]*/\).*|\1|p' "$TMP/d.log")
check "the store serves the HTTP API (log names the URL)" test -n "$URL"
python3 - "$TMP/late.txt" "$TMP/end.txt" <<'PY'
import json, sys
m = json.loads(open(sys.argv[1]).read().splitlines()[1].split("\t", 1)[1])
m.update(event="end", seq=4, ended_at=m["updated_at"], reason="quiet")
open(sys.argv[2], "w").write(m["victim"] + "\t" + json.dumps(m, separators=(",", ":")) + "\n")
PY
kcat -P -b "$BOOT" -t "$T" -K '	' < "$TMP/end.txt"
i=0
until [ "$(sqlite3 "$TMP/s.db" "SELECT ended_at IS NOT NULL FROM alerts WHERE id = 'f00dfeedf00dfeed'")" = 1 ]; do
	i=$((i + 1)); [ $i -lt 200 ] || { cat "$TMP/d.log"; fail "the running store never wrote the new end event"; }; sleep 0.1
done
echo "ok - the running store wrote a new end event within $((i / 10)) s"
curl -s "${URL}api/v1/alerts?limit=1000" > "$TMP/api.json"
check "/api/v1/alerts on the store lists every alert of the file" \
	test "$(python3 -c "import json; print(sorted(a['id'] for a in json.load(open('$TMP/api.json'))['alerts']))")" = \
	"$(sqlite3 "$TMP/s.db" 'SELECT id FROM alerts ORDER BY id' | python3 -c 'import sys; print(sorted(l.strip() for l in sys.stdin))')"
curl -s "${URL}api/v1/alerts/f00dfeedf00dfeed/events" > "$TMP/api_ev.json"
check "/api/v1/alerts/ID/events: the update and the end" \
	test "$(python3 -c "import json; print([e['event'] for e in json.load(open('$TMP/api_ev.json'))['events']])")" = "['update', 'end']"
curl -s "${URL}api/v1/counters" > "$TMP/counters.json"
check "/api/v1/counters has the store's counters" grep -q '"store"' "$TMP/counters.json"
kill -TERM "$DAEMON_PID"
set +e; wait "$DAEMON_PID"; rc=$?; set -e; DAEMON_PID=""
check "SIGTERM: the store exits 0" test "$rc" -eq 0
check "... with its summary (1 event written)" grep -q "store: 1 messages, 1 events written" "$TMP/d.log"
store
check "... and its offsets were committed: nothing is read again" grep -q '^store: 0 messages' "$TMP/s.out"
check "nothing ever went back into Kafka" test "$(ntopic)" -eq $((NTOPIC + 3))
