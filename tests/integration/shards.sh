# Detector shards (detector.shards, issue 17): every capture the scenario
# tests replay, the shared captures, a time-merged mix of all scenarios
# (several victims at once) and long-flow captures (learned lateness, rate
# credits) give identical alerts with 1, 2 and 4 shards: ids, victims,
# vectors, times, figures and evidence, and identical event timelines.
# Then `run` with 2 shards: a live flood still alerts, and SIGTERM ends it.
. tests/integration/lib.sh
S=tests/data/scenarios

# replay_all NAME FILE...: the alerts and events of FILE... under 1, 2, 4 shards, compared.
replay_all() {
	name=$1; shift
	for n in 1 2 4; do
		db="$TMP/$name.$n.db"
		"$FW" replay --set detector.shards=$n --set sqlite.path="$db" --set dns.querylog_timezone=UTC "$@" \
			> "$TMP/out.$n" 2>&1 || { cat "$TMP/out.$n"; return 1; }
		"$FW" alerts --db "$db" --json | sort > "$TMP/$name.$n.json"
		sqlite3 "$db" 'SELECT * FROM alert_events ORDER BY alert_id, seq' > "$TMP/$name.$n.events"
	done
	for n in 2 4; do
		cmp -s "$TMP/$name.1.json" "$TMP/$name.$n.json" || { diff "$TMP/$name.1.json" "$TMP/$name.$n.json" | head; return 1; }
		cmp -s "$TMP/$name.1.events" "$TMP/$name.$n.events" || return 1
	done
	# The replay summary adds up over the shards: same records, victims, windows.
	for n in 2 4; do
		test "$(grep '^detector:' "$TMP/out.1")" = "$(grep '^detector:' "$TMP/out.$n")" || return 1
	done
	wc -l < "$TMP/$name.1.json" | tr -d ' ' >> "$TMP/alert_counts"
}

: > "$TMP/alert_counts"
for f in $S/*.pcap tests/data/udpflood_*.pcap tests/data/water-torture-packets.pcap tests/data/bind-querylog-onset.log \
	tests/data/dns_udp.pcap tests/data/sflow_synth.pcap; do
	check "$(basename "$f"): identical alerts and timelines with 1, 2 and 4 shards" replay_all "$(basename "$f")" "$f"
done
mergecap -F pcap -w "$TMP/mix.pcap" $S/*.pcap tests/data/udpflood_nf9.pcap
check "all scenarios merged by time: identical alerts with 1, 2 and 4 shards" replay_all mix "$TMP/mix.pcap"
check "... several victims at once" test "$(wc -l < "$TMP/mix.1.json")" -ge 3
# Files are taken in order: the DNS capture's older records come late.
check "flows then DNS in one replay: identical alerts" replay_all two $S/gre_ipfix.pcap tests/data/water-torture-packets.pcap
check "DNS then flows: identical alerts" replay_all owt tests/data/water-torture-packets.pcap $S/gre_ipfix.pcap
python3 tests/tools/gen_longflows.py "$TMP/long.pcap" --active 300 --ramp --attack udp --format nf9 > /dev/null
check "long flows, learned lateness and rate credits: identical alerts" replay_all long "$TMP/long.pcap"
python3 tests/tools/gen_longflows.py "$TMP/long2.pcap" --active 60 --attack long --format ipfix > /dev/null
check "four long flows (IPFIX): identical alerts" replay_all long2 "$TMP/long2.pcap"
check "the captures gave at least 20 alerts in all" test "$(awk '{s += $1} END {print s}' "$TMP/alert_counts")" -ge 20

# The memory budget is split, not multiplied.
mem() { "$FW" run --set detector.shards="$1" --set sqlite.path="$TMP/mem$1.db" --set listen.netflow=127.0.0.1:0 \
	--set listen.ipfix= --set listen.sflow= --set flow.template_state= > "$TMP/mem$1.log" 2>&1 &
	pid=$!; wait_for "$TMP/mem$1.log" "memory budget"; kill -TERM $pid; wait $pid || true
	sed -n 's/.*memory budget: \([0-9.]*\) MiB.*/\1/p' "$TMP/mem$1.log"; }
m1=$(mem 1); m4=$(mem 4)
check "4 shards hold about the memory of one ($m4 vs $m1 MiB)" awk -v a="$m1" -v b="$m4" 'BEGIN { exit !(b < a * 1.3) }'
check "... and say how many shards run" grep -q "4 detector shards" "$TMP/mem4.log"

# Live, 2 shards: a NetFlow v5 UDP flood stamped with the current time
# (tests/tools/nf5-flood.py, 8 s) alerts; SIGTERM ends it (reason shutdown).
"$FW" run --set detector.shards=2 --set sqlite.path="$TMP/live.db" --set listen.netflow=127.0.0.1:0 \
	--set listen.ipfix= --set listen.sflow= --set flow.template_state= --set detector.warmup_windows=0 \
	--set detector.min_pps=100 > "$TMP/live.log" 2>&1 &
DAEMON_PID=$!
wait_for "$TMP/live.log" "listening: netflow"
PORT=$(sed -n 's/.*listening: netflow 127.0.0.1:0 (port \([0-9]*\)).*/\1/p' "$TMP/live.log")
python3 tests/tools/nf5-flood.py "$PORT" 8 198.51.100.53
i=0; until "$FW" alerts --db "$TMP/live.db" --json 2>/dev/null | grep -q udp_flood; do
	i=$((i + 1)); [ $i -lt 150 ] || break; sleep 0.1; done
kill -TERM $DAEMON_PID; wait $DAEMON_PID || true; DAEMON_PID=
check "live, 2 shards: a flood alerts" sh -c "'$FW' alerts --db '$TMP/live.db' --json | grep -q udp_flood"
check "... and shutdown ends it" sh -c "test \"\$('$FW' alerts --db '$TMP/live.db' --active --json | wc -l)\" -eq 0"
echo "shards: all checks passed"
