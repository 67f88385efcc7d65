# Issue 12 (sane defaults, pulse waves) by replay: a NetFlow v5 capture of 300
# clients downloading in the default config (no detector.networks) and a
# SYN flood on a server 10 s on, 20 s off, four times from t = 60 s
# (tests/tools/gen_clients.py, deterministic).  Exactly one alert: the
# server's syn_flood, started at the first pulse, one end (reason quiet) after
# the last pulse and ended at its end; no client is a victim, and the reply
# records are counted (replay summary, collector_stats client_replies).
. tests/integration/lib.sh
T0=1700000000
python3 tests/tools/gen_clients.py "$TMP/c.pcap"
"$FW" replay --set sqlite.path="$TMP/c.db" "$TMP/c.pcap" > "$TMP/out" 2>&1 || { cat "$TMP/out"; fail "replay"; }
"$FW" alerts --db "$TMP/c.db" --json > "$TMP/a.json"
check "one alert: the server's syn_flood, from the first pulse to the end of the last" python3 - "$TMP/a.json" "$T0" <<'PY'
import datetime, json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
t0 = int(sys.argv[2])
got = [(r["victim"], r["vector"], r["started_at"], r["ended_at"]) for r in rows]
assert len(rows) == 1, f"expected one alert, got {len(rows)}: {got[:5]}"
r = rows[0]
ts = lambda s: datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.timezone.utc).timestamp() - t0
assert (r["victim"], r["vector"]) == ("198.51.100.80", "syn_flood"), got
assert ts(r["started_at"]) == 60 and ts(r["ended_at"]) == 160, got
print(f"  {r['victim']} {r['vector']} {ts(r['started_at']):.0f} s .. {ts(r['ended_at']):.0f} s, {r['events']} events")
PY
check "... with one end event (reason quiet), the last, and no end between pulses" test \
	"$(sqlite3 "$TMP/c.db" "SELECT group_concat(event || coalesce(':' || reason, ''), ' ') FROM (SELECT event, reason FROM alert_events WHERE event != 'update' ORDER BY seq)")" = "start end:quiet"
check "... its updates say when it went quiet and when it came back" test \
	"$(sqlite3 "$TMP/c.db" "SELECT count(*) FROM alert_events WHERE json_extract(evidence, '$.lifecycle.state') = 'quiet'")" = 4
check "the replay summary counts the reply records to clients" grep -q "victims: [0-9]* flow records of reply traffic to clients counted on their prefix only" "$TMP/out"
check "... and so does collector_stats" test \
	"$(sqlite3 "$TMP/c.db" "SELECT value > 10000 FROM collector_stats WHERE source = 'detector' AND name = 'client_replies' ORDER BY rowid DESC LIMIT 1")" = 1
