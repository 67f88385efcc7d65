# Foundation slice: a NetFlow v5 capture in, one alert out in SQLite, listed by the CLI.
. tests/integration/lib.sh
CAP=tests/data/udpflood_nf5.pcap
T0=1700000000   # scenario start (tests/data/README.md): the flood runs 60 s .. 100 s

one_alert() {   # $1 = capture, $2 = db
	"$FW" replay --set sqlite.path="$2" "$1" > "$TMP/summary.txt"
	grep -q "records: 4200" "$TMP/summary.txt" || { cat "$TMP/summary.txt"; return 1; }
	"$FW" alerts --db "$2" --json > "$TMP/alerts.json"
	cat "$TMP/alerts.json"
	[ "$(json_eval "$TMP/alerts.json" 'len(rows)')" = 1 ] || return 1
	[ "$(json_eval "$TMP/alerts.json" 'rows[0]["victim"]')" = 198.51.100.53 ] || return 1
	[ "$(json_eval "$TMP/alerts.json" 'rows[0]["vector"]')" = udp_flood ] || return 1
	python3 - "$TMP/alerts.json" "$T0" <<'PY'
import json, sys, datetime
row = json.loads(open(sys.argv[1]).readline())
t = datetime.datetime.strptime(row["started_at"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.timezone.utc)
off = t.timestamp() - int(sys.argv[2])
assert 60 <= off <= 70, f"started {off} s after capture start"
assert row["ended_at"] is not None and row["peak_pps"] > 50, row
PY
}

check "pcap: exactly one udp_flood alert on 198.51.100.53 starting 60-70 s in" one_alert "$CAP" "$TMP/a.db"
if command -v editcap >/dev/null; then
	editcap -F pcapng "$CAP" "$TMP/nf5.pcapng"
	check "pcapng: the same alert" one_alert "$TMP/nf5.pcapng" "$TMP/b.db"
else
	fail "editcap (wireshark-common) missing"
fi
# Same alerts on every run: compare the whole JSON of two fresh databases.
"$FW" alerts --db "$TMP/a.db" --json > "$TMP/a.json"
"$FW" replay --set sqlite.path="$TMP/c.db" "$CAP" > /dev/null
"$FW" alerts --db "$TMP/c.db" --json > "$TMP/c.json"
check "replay is deterministic (identical alert JSON)" cmp -s "$TMP/a.json" "$TMP/c.json"
check "alert_events holds start, updates and end" \
	test "$(sqlite3 "$TMP/a.db" "SELECT group_concat(event) FROM (SELECT event FROM alert_events ORDER BY seq)" | sed 's/update,//g')" = "start,end"
check "table output lists the alert" sh -c "'$FW' alerts --db '$TMP/a.db' | grep -q '198.51.100.53 .*udp_flood'"
check "--active shows none after the flood ended" sh -c "'$FW' alerts --db '$TMP/a.db' --active --json | wc -l | grep -qx 0"
check "the event timeline never runs backwards (end decided after the last update)" \
	test "$(sqlite3 "$TMP/a.db" "SELECT count(*) FROM alert_events a JOIN alert_events b ON a.alert_id = b.alert_id AND b.seq = a.seq + 1 WHERE b.at < a.at")" -eq 0
check "... and ended_at is the end of the last hot window (100 s), before updated_at" \
	test "$(sqlite3 "$TMP/a.db" "SELECT ended_at = '2023-11-14T22:15:00.000Z' AND updated_at > ended_at FROM alerts")" = 1
