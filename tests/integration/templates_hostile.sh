# Hostile NetFlow v9 / IPFIX exporters against a live `floodwatch run` on
# loopback (issue 9, items 2-4), with tests/tools/hostile-exporter.py:
#  1. a storm of 64 KB datagrams of IPFIX "withdraw all" records while a
#     legitimate exporter streams an attack: every record decoded on time
#     (none late), the alert promptly in SQLite;
#  2. templates from 2,000 loopback addresses x 64 (127.1.x.y stand in for
#     spoofed sources), then a new exporter that sends its template alone and
#     data later: decoded and alerted, while a second flood runs;
#  3. restart: only templates that carried data were saved (not the flood),
#     and the exporter's data-only datagrams decode and alert again;
#  4. poisoning: a refused redefinition keeps the template in use; an
#     accepted one is logged against the exporter;
#  5. the 2,000 x 64 flood from spoofed addresses (198.18.x.y) in a capture,
#     then a new exporter: `replay` decodes it and alerts.
# flow.max_exporters=64: the exporter table is full too (a new exporter
# still decodes, counted as exporter_full).
. tests/integration/lib.sh
H="python3 tests/tools/hostile-exporter.py"
VICTIM=198.51.100.77
VICTIM2=198.51.100.78

# The exporter here exports at once (no inactive timeout): windows need no
# learned lateness, and the alert timing checks stay tight.
start() {  # $1 = log, rest = extra --set
	log=$1; shift
	"$FW" run --set sqlite.path="$TMP/f.db" --set listen.netflow=127.0.0.1:0 --set listen.ipfix=127.0.0.1:0 \
		--set listen.sflow=127.0.0.1:0 --set detector.warmup_windows=2 --set detector.max_lateness_ms=3000 \
		"$@" > "$log" 2>&1 &
	DAEMON_PID=$!
	wait_for "$log" "ready;"
	IX=$(sed -n 's/.*listening: ipfix 127.0.0.1:0 (port \([0-9]*\)).*/\1/p' "$log")
}
stop() { kill -TERM "$DAEMON_PID"; wait "$DAEMON_PID"; DAEMON_PID=""; }
jget() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])" "$1" "$2"; }
alerts_on() {  # udp_flood alerts on victim $1 in the database
	sqlite3 "$TMP/f.db" "SELECT count(*) FROM alerts WHERE victim = '$1' AND vector = 'udp_flood'"
}
# Wait (max $1 s) until victim $2 has an alert in SQLite.
wait_alerts() {
	i=0
	while [ "$(alerts_on "$2")" -lt 1 ]; do
		i=$((i + 1)); [ $i -lt $(($1 * 10)) ] || return 1; sleep 0.1
	done
}
decoded() { sed -n 's/.*decode ipfix: datagrams=[0-9]* records=\([0-9]*\).*/\1/p' "$1" | tail -n 1; }
stat() { sqlite3 "$TMP/f.db" "SELECT value FROM collector_stats WHERE source = '$1' AND name = '$2' ORDER BY at DESC LIMIT 1"; }

# ---- 1. withdrawal storm ------------------------------------------------------
start "$TMP/storm.log" --set flow.template_state=
$H storm "$IX" --count 240 --rate 30 > "$TMP/storm.json" &
STORM=$!
$H legit "$IX" --seconds 10 --attack-at 4 > "$TMP/l0.json"
cat "$TMP/storm.json" "$TMP/l0.json"
# The attack began 6 s ago; 3 hot windows and the lateness allowance take ~5 s.
check "during the storm the alert reaches SQLite within 10 s of the attack's start" wait_alerts 4 $VICTIM
wait "$STORM"
stop
grep -E "decode ipfix|datagrams=" "$TMP/storm.log"
check "every datagram of the storm and the exporter was read" grep -q "decode ipfix: datagrams=$((240 + $(jget "$TMP/l0.json" datagrams))) " "$TMP/storm.log"
check "... and every record of the exporter decoded" test "$(decoded "$TMP/storm.log")" -eq "$(jget "$TMP/l0.json" records)"
check "... on time: no record arrived after its window closed (late = 0)" test "$(stat detector late)" -eq 0
check "... and the alert's peak is the whole attack (30 kpps sent, >= 20 kpps seen)" \
	test "$(sqlite3 "$TMP/f.db" "SELECT CAST(peak_pps AS INTEGER) >= 20000 FROM alerts WHERE victim = '$VICTIM'")" = 1
rm -f "$TMP"/f.db*

# ---- 2. template flood, then a new exporter ----------------------------------------
start "$TMP/a.log" --set flow.template_state="$TMP/tmpl"
$H flood "$IX" --addrs 2000 --templates 64 --net 127.1
$H legit "$IX" --template first --seconds 10 --attack-at 4 > "$TMP/l1.json" &
L1=$!
sleep 2
$H flood "$IX" --addrs 2000 --templates 64 --net 127.2  # while the exporter streams
wait "$L1"
cat "$TMP/l1.json"
check "after 256,000 flood templates a new exporter's attack is alerted" wait_alerts 10 $VICTIM
stop
grep -v "tmpl:" "$TMP/a.log" | tail -n 3
grep "tmpl:" "$TMP/a.log" | head -n 3
check "a new exporter's records all decode in a flooded cache" test "$(decoded "$TMP/a.log")" -eq "$(jget "$TMP/l1.json" records)"
check "evictions are logged, naming who displaced whom" grep -q "template cache full (4096): evicted template .* never used for data" "$TMP/a.log"
check "... rate-limited: 10 lines a second, not 250,000" test "$(grep -c 'evicted template' "$TMP/a.log")" -lt 1000

# ---- 3. restart: the saved state ------------------------------------------------------
ls -la "$TMP"/tmpl.*
check "each listener has its own state file" test -f "$TMP/tmpl.ipfix.127.0.0.1_0.w0"
start "$TMP/b.log" --set flow.template_state="$TMP/tmpl"
grep "restored" "$TMP/b.log"
check "only the template that carried data was saved and restored, not the flood's" \
	grep -q "ipfix: 1 template(s) restored from $TMP/tmpl.ipfix.127.0.0.1_0.w0" "$TMP/b.log"
check "... and no other listener restored it" test "$(grep -c 'restored' "$TMP/b.log")" -eq 1
$H flood "$IX" --addrs 2000 --templates 64 --net 127.3
$H legit "$IX" --template none --seconds 10 --attack-at 4 --victim $VICTIM2 > "$TMP/l2.json"
check "after the restart and another flood, data-only datagrams still decode and alert" wait_alerts 10 $VICTIM2

# ---- 4. poisoning ---------------------------------------------------------------------
$H poison "$IX" --bad > /dev/null
$H legit "$IX" --template none --seconds 2 --attack-at 100 > "$TMP/l3.json"
$H poison "$IX" > /dev/null
sleep 0.5
stop
cat "$TMP/l2.json" "$TMP/l3.json"
grep -E "refused|redefined|decode ipfix" "$TMP/b.log" | grep -v "never used" | head -n 5
check "every record decoded, also after a refused redefinition (the template in use stays)" \
	test "$(decoded "$TMP/b.log")" -eq $(($(jget "$TMP/l2.json" records) + $(jget "$TMP/l3.json" records)))
check "the refusal is logged" grep -q "template 256 of 127.0.0.1 domain 0 (v10) refused: invalid redefinition, the old definition is kept" "$TMP/b.log"
check "an accepted redefinition is logged against the exporter" \
	grep -q "template 256 of 127.0.0.1 domain 0 (v10) redefined with other fields" "$TMP/b.log"

# ---- 5. replay: 2,000 spoofed addresses x 64 templates, then a new exporter -----------------
$H pcap "$TMP/flood.pcap" --addrs 2000 --templates 64 --seconds 20 --attack-at 12 > "$TMP/p.json"
cat "$TMP/p.json"
"$FW" replay --set sqlite.path="$TMP/r.db" --set flow.max_exporters=64 "$TMP/flood.pcap" > "$TMP/r.out" 2>&1
grep -v "tmpl:" "$TMP/r.out"
check "replay: the new exporter's records all decode after the spoofed flood" \
	grep -q "ipfix    datagrams: 2201, records: $(jget "$TMP/p.json" legit_records)," "$TMP/r.out"
check "... and its attack is alerted" \
	test "$(sqlite3 "$TMP/r.db" "SELECT count(*) FROM alerts WHERE victim = '$VICTIM' AND vector = 'udp_flood'")" -eq 1
