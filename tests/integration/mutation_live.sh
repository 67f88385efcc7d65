# A mutation storm against the live daemon: 100,000 malformed NetFlow v5 /
# v9 / IPFIX / sFlow v5 datagrams (tests/tools/mutflood.c: real datagrams
# from tests/data and the fuzz corpora, mutated; seed printed) over real UDP
# sockets on loopback, half of them over ::1, paced so the kernel keeps
# (nearly) all of them.  Then a valid stream per listener.  Asserted: no
# sanitizer report, the daemon alive after the storm, every datagram counted
# (received + kernel drops = sent, most received), each listener still
# decoding and alerting on its valid stream, exit 0 on SIGTERM, and a
# restart that loads the templates the storm left behind.
# MUTFLOOD_SEED and MUTFLOOD_COUNT override the seed and the count.
# NetFlow v9 source ids / IPFIX domains come from 24 values (mutflood -i).
. tests/integration/lib.sh
MUT=build/o/tools/mutflood
SEND=build/o/tools/sendpcap
SEED=${MUTFLOOD_SEED:-20261130}
COUNT=${MUTFLOOD_COUNT:-100000}

# The storm's random flow times would teach the detector the largest lateness
# (detector.max_lateness_ms, 20 s: a documented bound on what an exporter can
# do to latency); the alert check below is about decoding, so windows stay 3 s.
"$FW" run --set sqlite.path="$TMP/m.db" --set flow.template_state="$TMP/tmpl" --set detector.max_lateness_ms=3000 \
	--set 'listen.netflow=127.0.0.1:0,[::1]:0' --set 'listen.ipfix=127.0.0.1:0,[::1]:0' \
	--set 'listen.sflow=127.0.0.1:0,[::1]:0' > "$TMP/log" 2>&1 &
DAEMON_PID=$!
wait_for "$TMP/log" "ready;"
port() { sed -n "s/.*listening: $1 $2:0 (port \([0-9]*\)).*/\1/p" "$TMP/log"; }
NF4=$(port netflow 127.0.0.1); NF6=$(port netflow '\[::1\]')
IX4=$(port ipfix 127.0.0.1); IX6=$(port ipfix '\[::1\]')
SF4=$(port sflow 127.0.0.1); SF6=$(port sflow '\[::1\]')
check "six listeners on ephemeral ports, IPv4 and IPv6" test -n "$NF4" -a -n "$NF6" -a -n "$IX4" -a -n "$IX6" -a -n "$SF4" -a -n "$SF6"

# 3,000 datagrams/s: ~35 s; the ASan daemon keeps up on a busy 2-core box.
"$MUT" -s "$SEED" -n "$COUNT" -r 3000 -t $((COUNT / 3000 + 20)) -i 24 \
	-d nf=127.0.0.1:"$NF4" -d nf="[::1]:$NF6" -d ipfix=127.0.0.1:"$IX4" -d ipfix="[::1]:$IX6" \
	-d sflow=127.0.0.1:"$SF4" -d sflow="[::1]:$SF6" \
	tests/data/udpflood_nf5.pcap tests/data/udpflood_nf9.pcap tests/data/udpflood_ipfix.pcap \
	tests/data/udpflood_sflow.pcap tests/data/sflow_*.pcap \
	tests/fuzz/corpus/nf5 tests/fuzz/corpus/nf9 tests/fuzz/corpus/ipfix tests/fuzz/corpus/sflow5 \
	> "$TMP/mut.out"
cat "$TMP/mut.out"
STORM=$(sed -n 's/^sent \([0-9]*\) datagrams$/\1/p' "$TMP/mut.out")
check "the storm sent $COUNT datagrams" test "$STORM" = "$COUNT"
sleep 1
check "the daemon is alive after the storm" kill -0 "$DAEMON_PID"

# Valid streams after the storm: one format and victim per listener.  The
# victims' /24s (in 198.19.0.0/16) occur in no seed, so the storm's records
# cannot have left an open alert on their aggregate (which would cover them).
set -- nf5 198.19.1.10 "$NF4" 127.0.0.1  nf9 198.19.2.10 "$NF6" ::1 \
	ipfix 198.19.3.10 "$IX4" 127.0.0.1  ipfix 198.19.4.10 "$IX6" ::1 \
	sflow 198.19.5.10 "$SF4" 127.0.0.1  sflow 198.19.6.10 "$SF6" ::1
VICTIMS=""; PIDS=""
while [ $# -ge 4 ]; do
	python3 tests/tools/live-flows.py "$TMP/v-$2.pcap" "$1" "$2" 7 10
	"$SEND" -r 10 -a "$4" "$3" "$TMP/v-$2.pcap" > "$TMP/v-$2.out" &
	PIDS="$PIDS $!"; VICTIMS="$VICTIMS $2"
	shift 4
done
for p in $PIDS; do wait "$p"; done
VALID=$(cat "$TMP"/v-*.out | sed -n 's/^sent \([0-9]*\) datagrams$/\1/p' | awk '{s += $1} END {print s}')
check "the valid streams sent 420 datagrams" test "$VALID" = 420
alerted() {
	sqlite3 "$TMP/m.db" "SELECT count(DISTINCT victim) FROM alerts WHERE vector = 'udp_flood' AND victim IN
	    ($(echo $VICTIMS | sed "s/\([^ ]*\)/'\1'/g; s/ /,/g"))" 2>/dev/null || echo 0
}
i=0; until [ "$(alerted)" = 6 ]; do i=$((i + 1)); [ $i -lt 100 ] || break; sleep 0.1; done
check "the daemon is still alive" kill -0 "$DAEMON_PID"
sqlite3 "$TMP/m.db" "SELECT victim, vector, peak_pps FROM alerts ORDER BY victim" | grep "^198\.19\." || true
check "each listener (nf5, v9, IPFIX x2, sFlow x2) still decodes: a udp_flood alert per victim" \
	test "$(alerted)" = 6

kill -TERM "$DAEMON_PID"
set +e; wait "$DAEMON_PID"; rc=$?; set -e
DAEMON_PID=""
grep -E "decode |datagrams=" "$TMP/log"
check "SIGTERM: exit 0" test $rc -eq 0
check "no AddressSanitizer, LeakSanitizer or UBSan report" \
	sh -c "! grep -E 'Sanitizer|runtime error:|SUMMARY:' '$TMP/log'"
line=$(grep "datagrams=[0-9]* kernel_drops=" "$TMP/log" | tail -1)
got=$(echo "$line" | sed -n 's/.*datagrams=\([0-9]*\) kernel_drops=\([0-9]*\).*/\1 \2/p')
set -- $got
echo "sent $((STORM + VALID)), received $1, kernel drops $2"
check "every datagram is counted: received + kernel drops = sent" test $(($1 + $2)) -eq $((STORM + VALID))
check "... and at least 95 % were received and decoded" test $(($1 * 100)) -ge $(((STORM + VALID) * 95))
# (NetFlow v5 has no errors to count: its sniffer already demands the exact size.)
check "the storm reached the nf5 decoder" grep -Eq "decode nf5: datagrams=[0-9]{4,}" "$TMP/log"
for k in nf9 ipfix sflow5; do
	check "the storm reached the $k decoder (datagrams and errors counted)" \
		grep -Eq "decode $k: datagrams=[0-9]{4,} records=[0-9]+ errors=[1-9]" "$TMP/log"
done

# The templates the storm left are saved; a restart loads them and still runs clean.
check "templates were saved at shutdown" sh -c "ls '$TMP'/tmpl.* >/dev/null"
"$FW" run --set sqlite.path="$TMP/m.db" --set flow.template_state="$TMP/tmpl" \
	--set listen.netflow=127.0.0.1:0 --set listen.ipfix=127.0.0.1:0 --set listen.sflow=127.0.0.1:0 \
	> "$TMP/log2" 2>&1 &
DAEMON_PID=$!
wait_for "$TMP/log2" "ready;"
kill -TERM "$DAEMON_PID"
set +e; wait "$DAEMON_PID"; rc=$?; set -e
DAEMON_PID=""
grep "restored" "$TMP/log2" || true
check "restart with the storm's saved templates: exit 0, no sanitizer report" \
	sh -c "test $rc -eq 0 && grep -q 'template(s) restored' '$TMP/log2' && ! grep -E 'Sanitizer|runtime error:|SUMMARY:' '$TMP/log2'"
