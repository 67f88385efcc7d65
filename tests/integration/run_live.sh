# The daemon: real UDP sockets on loopback fed with the capture's datagrams,
# clean shutdown on SIGTERM with every record accounted for.
. tests/integration/lib.sh
SEND=build/o/tools/sendpcap
"$FW" run --set sqlite.path="$TMP/live.db" --set listen.netflow=127.0.0.1:0 \
	--set listen.ipfix=127.0.0.1:0 --set listen.sflow=[::1]:0 > "$TMP/log" 2>&1 &
DAEMON_PID=$!
wait_for "$TMP/log" "ready;"
cat "$TMP/log"
check "first lines say the config, SQLite path and that Kafka is off" \
	sh -c "grep -q 'starting with built-in defaults' '$TMP/log' && grep -q 'sqlite: $TMP/live.db' '$TMP/log' && grep -q 'kafka: off' '$TMP/log'"
PORT=$(sed -n 's/.*listening: netflow 127.0.0.1:0 (port \([0-9]*\)).*/\1/p' "$TMP/log")
check "netflow listener bound an ephemeral port" test -n "$PORT"
"$SEND" -r 20000 "$PORT" tests/data/udpflood_nf5.pcap
sleep 1
kill -TERM "$DAEMON_PID"
set +e; wait "$DAEMON_PID"; rc=$?; set -e
DAEMON_PID=""
cat "$TMP/log"
check "SIGTERM: exit 0" test $rc -eq 0
check "every datagram and record arrived, none dropped" \
	grep -q "datagrams=145 kernel_drops=0 records=4200 ring_drops=0 not_allowed=0" "$TMP/log"
check "the database is intact" test "$(sqlite3 "$TMP/live.db" 'PRAGMA integrity_check')" = ok

# An exporter allowlist drops (and counts) datagrams from anyone else.
"$FW" run --set sqlite.path="$TMP/live2.db" --set listen.netflow=127.0.0.1:0 --set listen.allow=192.0.2.0/24 \
	--set listen.ipfix=127.0.0.1:0 --set listen.sflow=127.0.0.1:0 > "$TMP/log2" 2>&1 &
DAEMON_PID=$!
wait_for "$TMP/log2" "ready;"
PORT=$(sed -n 's/.*listening: netflow 127.0.0.1:0 (port \([0-9]*\)).*/\1/p' "$TMP/log2")
"$SEND" "$PORT" tests/data/udpflood_nf5.pcap
sleep 0.5
kill -TERM "$DAEMON_PID"; wait "$DAEMON_PID"; DAEMON_PID=""
check "datagrams from outside listen.allow are dropped and counted" \
	grep -q "datagrams=145 kernel_drops=0 records=0 ring_drops=0 not_allowed=145" "$TMP/log2"
check "... with a rate-limited log line" grep -q "not in listen.allow" "$TMP/log2"

# A socket too small for a burst: the kernel drops, and every datagram is
# either received or counted as a kernel drop (the socket's SO_MEMINFO count).
"$FW" run --set sqlite.path="$TMP/live3.db" --set listen.netflow=127.0.0.1:0 --set listen.rcvbuf_bytes=65536 \
	--set listen.ipfix= --set listen.sflow= > "$TMP/log3" 2>&1 &
DAEMON_PID=$!
wait_for "$TMP/log3" "ready;"
PORT=$(sed -n 's/.*listening: netflow 127.0.0.1:0 (port \([0-9]*\)).*/\1/p' "$TMP/log3")
sent=0
for i in 1 2 3 4 5 6 7 8 9 10; do
	"$SEND" -r 0 "$PORT" tests/data/udpflood_nf5.pcap > /dev/null
	sent=$((sent + 145))
done
sleep 0.5
kill -TERM "$DAEMON_PID"; wait "$DAEMON_PID"; DAEMON_PID=""
got=$(sed -n 's/.* datagrams=\([0-9]*\) kernel_drops=\([0-9]*\) .*/\1 \2/p' "$TMP/log3" | tail -1)
echo "sent $sent at full speed into a 64 KiB socket buffer: received and kernel drops: $got"
set -- $got
check "a burst into a small socket buffer: kernel drops counted" test "$2" -gt 0
check "... received + kernel drops = sent" test $(($1 + $2)) -eq $sent
