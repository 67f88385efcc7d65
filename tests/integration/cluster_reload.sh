# SIGHUP in the detector role (issue 18): a member re-reads its -c file
# and every owned partition's detector takes the new tunables on the
# consumer thread, keeping its state.  librdkafka's mock cluster (3
# brokers, 12 partitions), one detector whose detector.min_pps is far above
# the UDP flood of tests/data/udpflood_nf5.pcap; the capture published in
# two parts (as cluster.sh (b) does: chunks whose final watermark closes
# nothing).  Before the reload the flood raises nothing; `kill -HUP` with
# min_pps lowered: the rest of the flood raises the udp_flood alert.
# Bounded: every wait has a limit, about 30 s in all.
. tests/integration/lib.sh
MOCK=build/o/tools/kafka_mock
PIDS=""
stop_all() { for p in $PIDS; do kill -9 "$p" 2>/dev/null || true; done; }
trap 'stop_all; cleanup' EXIT
CONF=$TMP/fw.conf
write_conf() {  # $1 = min_pps
	printf '[detector]\nmin_pps = %s\n' "$1" > "$CONF"
}

"$MOCK" -b 3 -t floodwatch.records:12 -t floodwatch.state:4 -t floodwatch.alerts:4 -f "$TMP/boot" \
	> /dev/null 2> "$TMP/mock.log" &
PIDS="$PIDS $!"
wait_for "$TMP/boot" ":"
BOOT=$(cat "$TMP/boot")
write_conf 1e9
"$FW" run -c "$CONF" --set cluster.role=detector --set cluster.member_name=d1 --set sqlite.path="$TMP/d1.db" \
	--set kafka.brokers="$BOOT" --set cluster.checkpoint_ms=1000 --set stats.interval_ms=1000 > "$TMP/d1.log" 2>&1 &
DPID=$!
PIDS="$PIDS $DPID"
wait_for "$TMP/d1.log" "ready;"
i=0
until grep -q "cluster: partitions=12/12" "$TMP/d1.log"; do
	i=$((i + 1)); [ $i -lt 300 ] || fail "the detector never owned the 12 partitions"; sleep 0.1
done

editcap -c 10 tests/data/udpflood_nf5.pcap "$TMP/chunk.pcap"
CHUNKS=$(ls "$TMP"/chunk_*.pcap | sort)
NCHUNKS=$(echo "$CHUNKS" | wc -l)
publish() {  # $1 = chunk file, $2 = last (1) or not
	if [ "$2" = 1 ]; then extra=""; else
		extra="--set detector.window_ms=100 --set detector.lateness_ms=0 --set detector.max_lateness_ms=0"; fi
	# shellcheck disable=SC2086
	"$FW" replay --set cluster.role=collector --set cluster.member_name=col --set kafka.brokers="$BOOT" \
		--set sqlite.path="$TMP/col.db" $extra "$1" > "$TMP/col.out" 2>&1 || { cat "$TMP/col.out"; fail "collector $1"; }
	PUB=$((PUB + $(sed -n 's/.*publish: [0-9]* records taken, \([0-9]*\) published.*/\1/p' "$TMP/col.out")))
}
PUB=0
taken() { sed -n 's/.*cluster: partitions=.* records=\([0-9]*\) .*/\1/p' "$TMP/d1.log" | tail -n 1; }
alerts() { sqlite3 "$TMP/d1.db" "SELECT count(*) FROM alerts WHERE vector = 'udp_flood'" 2>/dev/null || echo 0; }
# The first 9 chunks: 90 datagrams, into the flood (it begins at 60 s).
n=0
for c in $CHUNKS; do n=$((n + 1)); [ $n -le 9 ] || break; publish "$c" 0; done
i=0
until [ "$(taken)" = "$PUB" ]; do i=$((i + 1)); [ $i -lt 200 ] || fail "the detector took $(taken) of $PUB records"; sleep 0.1; done
sleep 1.5
check "min_pps 1e9: the flood so far raised nothing" test "$(alerts)" -eq 0
write_conf 50
kill -HUP "$DPID"
i=0
until grep -q "changed setting.* applied" "$TMP/d1.log"; do i=$((i + 1)); [ $i -lt 100 ] || break; sleep 0.1; done
sleep 0.5  # the consumer thread takes it between two messages (50 ms polls)
check "SIGHUP: min_pps changed, applied" grep -q "1 changed setting applied" "$TMP/d1.log"
check "... no 'keep their settings until a restart' warning" sh -c "! grep -q 'keep their settings' '$TMP/d1.log'"
n=0
for c in $CHUNKS; do n=$((n + 1)); [ $n -gt 9 ] || continue; publish "$c" $([ $n -eq "$NCHUNKS" ] && echo 1 || echo 0); done
i=0
until [ "$(alerts)" -ge 1 ]; do i=$((i + 1)); [ $i -lt 150 ] || break; sleep 0.1; done
check "after the reload the rest of the flood raises the udp_flood alert" test "$(alerts)" -eq 1
check "... the log says all 12 partitions took it" grep -q "reloaded settings in force on 12 owned partitions" "$TMP/d1.log"
kill -TERM "$DPID"
set +e; wait "$DPID"; rc=$?; set -e
check "SIGTERM: the member leaves and exits 0" test $rc -eq 0
