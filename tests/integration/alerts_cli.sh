# `floodwatch alerts`: filters, table and JSON output, hostile text in the
# victim and evidence (attacker-chosen DNS names) always valid JSON.
. tests/integration/lib.sh
DB="$TMP/a.db"
"$FW" replay --set sqlite.path="$DB" tests/data/udpflood_nf5.pcap > /dev/null
# Add two alerts by hand: an active one, and one whose victim holds quotes,
# backslashes, control bytes, markup and invalid UTF-8 (0xff, 0xc0 0xaf).
sqlite3 "$DB" "INSERT INTO alerts (id, started_at, updated_at, ended_at, victim, vector, severity, peak_pps, peak_bps, peak_qps, events, evidence) VALUES ('00000000000000a1', strftime('%Y-%m-%dT%H:%M:%fZ','now','-5 minutes'),
    strftime('%Y-%m-%dT%H:%M:%fZ','now'), NULL, '192.0.2.7', 'syn_flood', 2, 150000, 9.6e7, 0, 4, '{}')"
sqlite3 "$DB" "INSERT INTO alerts (id, started_at, updated_at, ended_at, victim, vector, severity, peak_pps, peak_bps, peak_qps, events, evidence) VALUES ('00000000000000a2', '2023-11-14T22:20:00.000Z', '2023-11-14T22:21:00.000Z',
    '2023-11-14T22:21:00.000Z', 'x', 'dns_water_torture', 1, 0, 0, 37, 2,
    CAST(X'7b2273616d706c655f716e616d6573223a5b22ff225d7d' AS TEXT))"
sqlite3 "$DB" "UPDATE alerts SET victim = CAST(X'61225c01073c7363726970743effc0af2e766963' AS TEXT) WHERE id = '00000000000000a2'"

"$FW" alerts --db "$DB" --json > "$TMP/all.json"
check "--json: one valid JSON object per line, 3 alerts" \
	python3 -c "import json,sys; rows=[json.loads(l) for l in open('$TMP/all.json')]; assert len(rows)==3, rows"
check "... the hostile victim kept what is valid and replaced the rest" python3 - "$TMP/all.json" <<'PY'
import json, sys
rows = {r["id"]: r for r in map(json.loads, open(sys.argv[1]))}
v = rows["00000000000000a2"]["victim"]
assert v == 'a"\\\x01\x07<script>\ufffd\ufffd\ufffd.vic', repr(v)
assert rows["00000000000000a1"]["ended_at"] is None
# Why it ended: the capture stops 10 s after the flood, before end_windows calm
# windows were seen; the active alert has no reason yet.
assert rows["00000000000000a1"]["end_reason"] is None
assert [r["end_reason"] for r in rows.values() if r["victim"] == "198.51.100.53"] == ["end_of_input"], rows
PY
check "--active: only the open alert" sh -c "'$FW' alerts --db '$DB' --active --json | python3 -c 'import json,sys; r=[json.loads(l) for l in sys.stdin]; assert [x[\"id\"] for x in r]==[\"00000000000000a1\"]'"
check "--since 1h: only the recent alert" sh -c "'$FW' alerts --db '$DB' --since 1h --json | grep -c . | grep -qx 1"
check "--since TIME" sh -c "'$FW' alerts --db '$DB' --since 2023-11-14T22:15:00Z --json | grep -c . | grep -qx 2"
check "--vector" sh -c "'$FW' alerts --db '$DB' --vector udp_flood --json | grep -q '\"victim\":\"198.51.100.53\"'"
check "--victim" sh -c "'$FW' alerts --db '$DB' --victim 192.0.2.7 --json | grep -c . | grep -qx 1"
check "--limit" sh -c "'$FW' alerts --db '$DB' --limit 2 --json | grep -c . | grep -qx 2"
check "newest first, and --limit 1 keeps the newest (the active alert of 5 minutes ago)" sh -c \
	"'$FW' alerts --db '$DB' --limit 1 --json | python3 -c 'import json,sys; r=[json.loads(l) for l in sys.stdin]; assert [x[\"id\"] for x in r]==[\"00000000000000a1\"], r'"
check "--json: newest first (started_at, id descending)" python3 -c "
import json; r=[json.loads(l) for l in open('$TMP/all.json')]; k=[(x['started_at'], x['id']) for x in r]; assert k==sorted(k, reverse=True), k"
check "--json: rates rounded, no 17-digit floats" sh -c "! grep -Eq '[0-9]\.[0-9]{9,}' '$TMP/all.json'"
set +e; "$FW" alerts --db "$DB" --vector udp > /dev/null 2> "$TMP/err"; rc=$?; set -e
check "an unknown --vector: exit 2 with the list of vectors" sh -c "test $rc = 2 && grep -q 'udp_flood' '$TMP/err' && grep -q 'dns_water_torture' '$TMP/err'"
check "--until" sh -c "'$FW' alerts --db '$DB' --until 2023-11-14T22:15:00Z --json | grep -c . | grep -qx 1"
# Every filter is served by an index (schema/005), walked newest first: no
# table scan, no sort.  --explain prints SQLite's plan for the same query.
for f in "" "--active" "--vector udp_flood" "--victim 192.0.2.7" "--since 2h" "--until 2h" "--vector udp_flood --since 2h"; do
	# shellcheck disable=SC2086
	"$FW" alerts --db "$DB" --explain $f > "$TMP/plan"
	check "query plan for '${f:-no filter}' uses an index, no scan, no sort ($(tr '\n' ';' < "$TMP/plan"))" \
		sh -c "grep -q 'USING .*INDEX' '$TMP/plan' && ! grep -q 'TEMP B-TREE' '$TMP/plan' && ! grep -Eq 'SCAN alerts\$' '$TMP/plan'"
done
sqlite3 "$DB" "INSERT INTO alerts (id, started_at, updated_at, ended_at, victim, vector, severity, peak_pps, peak_bps, peak_qps, events, evidence)
    VALUES ('00000000000000a3', '2023-11-14T20:00:00.000Z', '2023-11-14T20:01:00.000Z', '2023-11-14T20:01:00.000Z',
    '203.0.113.9', 'udp_flood', 3, 5.2e18, 4.1e21, 0, 2, '{}')"
"$FW" alerts --db "$DB" > "$TMP/table.txt"
cat "$TMP/table.txt"
check "table: header, rates with units, state" sh -c "grep -q 'STARTED (UTC)' '$TMP/table.txt' && grep -q '150.0 kpps' '$TMP/table.txt' && grep -q ACTIVE '$TMP/table.txt' && grep -q '(4 alerts)' '$TMP/table.txt'"
check "table: the id column" sh -c "grep -q '^ID  ' '$TMP/table.txt' && grep -q '^00000000000000a1  ' '$TMP/table.txt'"
check "table: dashes where a metric does not apply (DNS: no pps/bps; flows: no qps)" sh -c \
	"grep '^00000000000000a2' '$TMP/table.txt' | grep -Eq ' - +- +37 qps' && grep '^00000000000000a1' '$TMP/table.txt' | grep -Eq 'Mbps +- '"
check "table: huge rates stay within sane units (5.2 Epps, 4100.0 Ebps)" sh -c "grep -q '5.2 Epps' '$TMP/table.txt' && ! grep -q Tpps '$TMP/table.txt'"
UDP=$("$FW" alerts --db "$DB" --vector udp_flood --victim 198.51.100.53 --json | python3 -c "import json,sys; print(json.loads(sys.stdin.readline())['id'])")
"$FW" show --db "$DB" "$UDP" > "$TMP/show.txt"
cat "$TMP/show.txt"
check "show: the peak evidence (baseline vs observed, protocol shares, entropy, top sources and ports) and the timeline" sh -c \
	"grep -q '^evidence at the peak (host)' '$TMP/show.txt' && grep -q 'observed  *75 pps' '$TMP/show.txt' && grep -q 'protocol shares.*udp' '$TMP/show.txt' &&
	 grep -q 'entropy' '$TMP/show.txt' && grep -q 'top sources  *[0-9]' '$TMP/show.txt' && grep -q 'top destination ports  *[0-9]' '$TMP/show.txt' &&
	 grep -Eq '^ +1  start ' '$TMP/show.txt' && grep -Eq ' end .*end_of_input' '$TMP/show.txt'"
"$FW" show --db "$DB" --json "$UDP" > "$TMP/show.json"
check "show --json: the alert with its timeline" python3 -c "
import json; a=json.load(open('$TMP/show.json')); assert a['id']=='$UDP' and a['timeline'][0]['seq']==1 and a['timeline'][-1]['event']=='end', a"
"$FW" show --db "$DB" 00000000000000a2 > "$TMP/show2.txt"
check "show: hostile names escaped for the terminal" sh -c "grep -qF 'a\"\\\\x01\\x07<script>' '$TMP/show2.txt' && ! grep -q \"\$(printf '\\001')\" '$TMP/show2.txt'"
set +e; "$FW" show --db "$DB" 0123456789abcdef > /dev/null 2>&1; rc=$?; set -e
check "show: an unknown id exits 3" test $rc = 3
set +e; "$FW" alerts --db "$TMP/none.db" > /dev/null 2> "$TMP/err"; rc=$?; set -e
check "table: control bytes in a victim are shown escaped, never raw" \
	sh -c "grep -qF 'a\"\\\\x01\\x07<script>' '$TMP/table.txt' && ! grep -q \"\$(printf '\\001')\" '$TMP/table.txt'"
check "a missing database: exit 2 and a clear line" sh -c "test $rc -eq 2 && grep -q 'cannot open database' '$TMP/err'"
set +e; "$FW" alerts --db "$DB" --since yesterday 2> "$TMP/err"; rc=$?; set -e
check "a bad --since: exit 2" test $rc -eq 2
