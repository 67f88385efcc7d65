# The detector role's catch-up line (issue 18, sizing): records published
# before a member joins are replayed from the start of each assigned
# partition; once every owned partition reached its end the member logs
# once "cluster: caught up on 12 owned partitions: R records ..." with R
# the records it took, and the CPU-s of the process from the first record.
# librdkafka's mock cluster (3 brokers, 12 partitions), tests/data/
# udpflood_nf5.pcap published by one collector, then one detector.
# Bounded: every wait has a limit, about 20 s in all.
. tests/integration/lib.sh
MOCK=build/o/tools/kafka_mock
PIDS=""
stop_all() { for p in $PIDS; do kill -9 "$p" 2>/dev/null || true; done; }
trap 'stop_all; cleanup' EXIT

"$MOCK" -b 3 -t floodwatch.records:12 -t floodwatch.state:4 -t floodwatch.alerts:4 -f "$TMP/boot" \
	> /dev/null 2> "$TMP/mock.log" &
PIDS="$PIDS $!"
wait_for "$TMP/boot" ":"
BOOT=$(cat "$TMP/boot")
"$FW" replay --set cluster.role=collector --set cluster.member_name=col --set kafka.brokers="$BOOT" \
	--set sqlite.path="$TMP/col.db" tests/data/udpflood_nf5.pcap > "$TMP/col.out" 2>&1 || { cat "$TMP/col.out"; fail "collector"; }
PUB=$(sed -n 's/.*publish: [0-9]* records taken, \([0-9]*\) published.*/\1/p' "$TMP/col.out")
check "the collector published records" test "${PUB:-0}" -gt 0

"$FW" run --set cluster.role=detector --set cluster.member_name=d1 --set sqlite.path="$TMP/d1.db" \
	--set kafka.brokers="$BOOT" --set stats.interval_ms=1000 --set http.listen= > "$TMP/d1.log" 2>&1 &
DPID=$!
PIDS="$PIDS $DPID"
wait_for "$TMP/d1.log" "ready;"
i=0
until grep -q "cluster: caught up on" "$TMP/d1.log"; do
	i=$((i + 1)); [ $i -lt 150 ] || break; sleep 0.1
done
LINE=$(grep "cluster: caught up on" "$TMP/d1.log" || true)
echo "$LINE"
check "caught up: one line for the 12 partitions" test "$(echo "$LINE" | grep -c "caught up on 12 owned partitions")" -eq 1
check "... with the $PUB records published" sh -c "echo '$LINE' | grep -q ': $PUB records in [0-9.]* s, [0-9.]* CPU-s of the process from the first record ([0-9]* records/CPU-s)'"
sleep 1.2
check "... and no second line while nothing more came" test "$(grep -c "cluster: caught up on" "$TMP/d1.log")" -eq 1
kill -TERM "$DPID"
set +e; wait "$DPID"; rc=$?; set -e
check "SIGTERM: the member leaves and exits 0" test $rc -eq 0
