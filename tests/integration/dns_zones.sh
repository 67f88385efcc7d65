# DNS zone rules of issue 12 by replay of a BIND query log
# (tests/tools/gen_dnslog.py, fixed seed): a low-and-slow water torture
# (40 q/s of random labels under a 300 q/s zone, whose rate is never hot)
# gives one dns_water_torture alert within 15 s of the onset, judged on
# distinct names over 8 windows; one misconfigured client asking 20
# nonexistent names at 190 q/s gives no alert and is counted in
# dns_few_clients (replay summary) and logged with its address.
. tests/integration/lib.sh
T0=1700000000
python3 tests/tools/gen_dnslog.py 12 "$TMP/q.log" || fail "gen_dnslog.py"
"$FW" replay --set sqlite.path="$TMP/z.db" --set dns.querylog_timezone=UTC "$TMP/q.log" > "$TMP/out" 2>&1 ||
	{ cat "$TMP/out"; fail "replay"; }
"$FW" alerts --db "$TMP/z.db" --json > "$TMP/a.json"

one_wt_alert() {
	python3 - "$TMP/a.json" "$T0" <<'PY'
import datetime, json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
t0 = int(sys.argv[2])
got = [(r["victim"], r["vector"], r["started_at"]) for r in rows]
assert len(rows) == 1, f"expected exactly one alert, got {got}"
r = rows[0]
assert (r["victim"], r["vector"]) == ("shop.example", "dns_water_torture"), got
ts = lambda s: datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.timezone.utc).timestamp()
start = ts(r["started_at"]) - t0
assert 120 <= start <= 135, f"started {start:.1f} s after the log start (torture at 120 s)"
ev = r["evidence"] if isinstance(r["evidence"], dict) else json.loads(r["evidence"])
assert ev["trigger"] == "distinct_names" and ev["resolution_s"] == 8, ev
assert r["peak_qps"] < 1200, r["peak_qps"]  # the rate alone never was hot
print(f"  shop.example dns_water_torture started at +{start:.1f} s, peak {r['peak_qps']:.0f} qps, "
      f"{ev['distinct_names_per_s']} distinct names/s against a threshold of {ev['threshold_distinct_names_per_s']}")
PY
}
check "low-and-slow water torture under a busy zone: dns_water_torture within 15 s" one_wt_alert

few_counted() {
	line=$(grep '^dns: ' "$TMP/out") || return 1
	echo "  $line"
	n=$(echo "$line" | sed -n 's/.* \([0-9][0-9]*\) hot windows carried by fewer than.*/\1/p')
	[ -n "$n" ] && [ "$n" -ge 30 ] || return 1
	grep -q 'zone corp.example: a rise to .* carried by fewer than 3 clients (top client 192.0.2.77)' "$TMP/out"
}
check "one client, 20 nonexistent names at 190 q/s: no alert, counted in dns_few_clients, logged" few_counted

# dns.min_clients = 1 turns the rule off: the same client is then a dns_flood.
"$FW" replay --set sqlite.path="$TMP/off.db" --set dns.querylog_timezone=UTC --set dns.min_clients=1 \
	"$TMP/q.log" > "$TMP/out2" 2>&1 || { cat "$TMP/out2"; fail "replay"; }
check "dns.min_clients = 1: the one client is a dns_flood on corp.example" \
	sh -c "'$FW' alerts --db '$TMP/off.db' --json | grep -q '\"victim\": *\"corp.example\".*\"vector\": *\"dns_flood\"\\|\"vector\": *\"dns_flood\".*\"victim\": *\"corp.example\"'"
