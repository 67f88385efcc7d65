# Flow collectors live: ./floodwatch run on ephemeral loopback ports, the
# shared captures' NetFlow v9 / IPFIX / sFlow datagrams sent by our own
# sendmmsg sender; records received = records the capture holds, zero drops.
# Then templates across a restart: data-only datagrams decode after a
# restart thanks to the saved templates, and not without them.
. tests/integration/lib.sh
SEND=build/o/tools/sendpcap

start() {  # $1 = log, rest = extra --set
	log=$1; shift
	"$FW" run --set sqlite.path="$TMP/f.db" --set listen.netflow=127.0.0.1:0 --set listen.ipfix=127.0.0.1:0 \
		--set listen.sflow=127.0.0.1:0 "$@" > "$log" 2>&1 &
	DAEMON_PID=$!
	wait_for "$log" "ready;"
	NF=$(sed -n 's/.*listening: netflow 127.0.0.1:0 (port \([0-9]*\)).*/\1/p' "$log")
	IX=$(sed -n 's/.*listening: ipfix 127.0.0.1:0 (port \([0-9]*\)).*/\1/p' "$log")
	SF=$(sed -n 's/.*listening: sflow 127.0.0.1:0 (port \([0-9]*\)).*/\1/p' "$log")
}
stop() { kill -TERM "$DAEMON_PID"; wait "$DAEMON_PID"; DAEMON_PID=""; }

start "$TMP/a.log" --set flow.template_state="$TMP/tmpl"
"$SEND" -r 20000 "$NF" tests/data/udpflood_nf9.pcap
"$SEND" -r 20000 "$IX" tests/data/udpflood_ipfix.pcap
if [ -f tests/data/udpflood_sflow.pcap ] && grep -q sflow5 collector/decode.c; then
	"$SEND" -r 20000 "$SF" tests/data/udpflood_sflow.pcap
	SFLOW=1
fi
sleep 1
stop
grep -E "decode|datagrams=" "$TMP/a.log"
check "NetFlow v9: 545 datagrams, all 4200 records, no errors" grep -q "decode nf9: datagrams=545 records=4200 errors=0" "$TMP/a.log"
check "IPFIX: 545 datagrams, all 4200 records, no errors" grep -q "decode ipfix: datagrams=545 records=4200 errors=0" "$TMP/a.log"
if [ "${SFLOW:-0}" = 1 ]; then
	check "sFlow: 688 datagrams, all 4198 samples" grep -q "decode sflow5: datagrams=688 records=4198 errors=0" "$TMP/a.log"
fi
check "zero drops anywhere" grep -q "kernel_drops=0 records=[0-9]* ring_drops=0" "$TMP/a.log"
check "templates were saved at shutdown" sh -c "ls '$TMP'/tmpl.* >/dev/null"

# Data-only datagrams: the v9 capture without any datagram that carries a template.
python3 - tests/data/udpflood_nf9.pcap "$TMP/data-only.pcap" <<'PY'
import struct, sys
src = open(sys.argv[1], "rb").read()
out = [src[:24]]
off, kept, recs = 24, 0, 0
while off + 16 <= len(src):
    _, _, caplen, _ = struct.unpack_from("<IIII", src, off)
    frame = src[off + 16: off + 16 + caplen]
    ihl = (frame[14] & 15) * 4
    p = frame[14 + ihl + 8:]
    pos, has_tmpl = 20, False
    while pos + 4 <= len(p):
        sid, slen = struct.unpack_from("!HH", p, pos)
        if slen < 4: break
        if sid < 256: has_tmpl = True
        pos += slen
    if not has_tmpl:
        out.append(src[off: off + 16 + caplen]); kept += 1
    off += 16 + caplen
open(sys.argv[2], "wb").write(b"".join(out))
print("data-only datagrams:", kept)
PY
start "$TMP/b.log" --set flow.template_state="$TMP/tmpl"
"$SEND" -r 20000 "$NF" "$TMP/data-only.pcap"
sleep 1
stop
grep -E "restored|decode nf9" "$TMP/b.log"
check "after a restart the saved templates are restored" grep -q "template(s) restored" "$TMP/b.log"
check "... and data-only datagrams decode without errors" sh -c "grep -q 'decode nf9: datagrams=[1-9][0-9]* records=[1-9][0-9]* errors=0' '$TMP/b.log'"

start "$TMP/c.log" --set flow.template_state=
"$SEND" -r 20000 "$NF" "$TMP/data-only.pcap"
sleep 1
stop
grep -E "decode nf9" "$TMP/c.log"
check "without saved templates the same datagrams yield nothing" grep -q "decode nf9: datagrams=[0-9]* records=0 " "$TMP/c.log"
