# A full disk under the running daemon (SQLite file on a small tmpfs): the
# sink backs off instead of spinning, logs a bounded number of lines, never
# stalls the detector, keeps accepted alert events in a bounded backlog,
# and says at exit exactly what was written, left unwritten and dropped.
# Then the same with space freed while running: the backlog is written.
. tests/integration/lib.sh
SEND=build/o/tools/sendpcap
MNT=$TMP/mnt
mkdir -p "$MNT"
trap 'umount "$MNT" 2>/dev/null || true; cleanup' EXIT
if ! mount -t tmpfs -o size=4m tmpfs "$MNT" 2>/dev/null; then
	echo "skip - cannot mount a tmpfs here (needs root or CAP_SYS_ADMIN): disk-full checks not run"
	exit 0
fi

# gen OUT T0 FROM TO: NetFlow v5 stamped from T0 (a Unix time near now: live
# mode takes event times up to 60 s ahead of the wall clock), tenths of a
# second FROM..TO-1 of: 12 s of light traffic to 20 hosts, each in its own
# /24, then 16 s of flood on all of them.  With update_windows=1 that is an
# event per victim per window, a few hundred alert events in all.  Prints
# the number of records.
gen() {
	python3 - "$@" <<'PY'
import random, struct, sys
out, T0, first, end, nv = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), 20
random.seed(7)
ETH = b"\x02\xfc\x00\x00\x00\x05\x02\xfc\x00\x00\x00\x01\x08\x00"
f = open(out, "wb")
f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
up0, seq = 1000000, 0
for tenth in range(first, end):
    t = T0 + tenth / 10
    recs = [bytes([198, 18 + (i % nv) // 200, (i % nv) % 200, 1]) for i in range(nv * (10 if tenth >= 120 else 1))]
    for k in range(0, len(recs), 30):
        chunk, up = recs[k:k + 30], up0 + int((t - T0) * 1000)
        body = b"".join(struct.pack("!4s4s4sHHIIIIHHBBBBHHBBH", bytes([random.randrange(1, 224), random.randrange(256),
                        random.randrange(256), random.randrange(1, 255)]), d, b"\0" * 4, 1, 2, 1, 540, up - 5, up - 1,
                        random.randrange(1024, 65535), 53, 0, 0, 17, 0, 0, 0, 0, 0, 0) for d in chunk)
        payload = struct.pack("!HHIIIIBBH", 5, len(chunk), up, int(t), int((t % 1) * 1e9), seq, 0, 0, 0) + body
        seq += len(chunk)
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 28 + len(payload), 0, 0, 64, 17, 0, bytes([127, 0, 0, 2]),
                         bytes([127, 0, 0, 1]))
        frame = ETH + ip + struct.pack("!HHHH", 40000, 2055, 8 + len(payload), 0) + payload
        f.write(struct.pack("<IIII", int(t), int((t % 1) * 1e6), len(frame), len(frame)) + frame)
print(seq)
PY
}

# start LOG [--set ...]: the daemon on the tmpfs database, small rings so a
# stalled detector would show as ring drops.
start() {
	log=$1; shift
	"$FW" run --set sqlite.path="$MNT/fw.db" --set sqlite.retention_days=0 --set listen.netflow=127.0.0.1:0 \
		--set listen.ipfix=127.0.0.1:0 --set listen.sflow=127.0.0.1:0 --set detector.update_windows=1 \
		--set pipeline.alert_slots=16 --set pipeline.ring_slots=4096 "$@" > "$log" 2>&1 &
	DAEMON_PID=$!
	wait_for "$log" "ready;"
	PORT=$(sed -n 's/.*listening: netflow 127.0.0.1:0 (port \([0-9]*\)).*/\1/p' "$log")
}
stop() {  # SIGTERM, at most 30 s to exit; sets RC
	kill -TERM "$DAEMON_PID"
	i=0
	while kill -0 "$DAEMON_PID" 2>/dev/null && [ $i -lt 300 ]; do i=$((i + 1)); sleep 0.1; done
	kill -0 "$DAEMON_PID" 2>/dev/null && fail "no exit within 30 s of SIGTERM"
	set +e; wait "$DAEMON_PID"; RC=$?; set -e
	DAEMON_PID=""
}
events() { sqlite3 "$MNT/fw.db" 'SELECT count(*) FROM alert_events'; }
fill() { dd if=/dev/zero of="$MNT/fill" bs=4k 2>/dev/null || true; }
# utime + stime of a process, in clock ticks (fields 14 and 15 of /proc/PID/stat; after the ") " of the name).
cpu_ticks() { sed 's/.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'; }
# summary LOG FIELD: a number from the exit summary line of the SQLite sink.
summary() { sed -n "s/.*summary: sink sqlite: .*\<$2=\([0-9]*\).*/\1/p" "$1"; }
HZ=$(getconf CLK_TCK)

# 1. The disk fills up 8 s into the attack (event time) and stays full until
#    SIGTERM; a backlog of only 64 events, so that it overflows.
start "$TMP/a.log" --set sqlite.backlog_events=64
T0=$(date +%s)
R1=$(gen "$TMP/a1.pcap" "$T0" 0 200)
R2=$(gen "$TMP/a2.pcap" "$T0" 200 280)
"$SEND" -r 20000 "$PORT" "$TMP/a1.pcap" > /dev/null
i=0
until [ "$(events)" -gt 0 ]; do i=$((i + 1)); [ $i -lt 100 ] || fail "no alert event written"; sleep 0.1; done
fill
"$SEND" -r 20000 "$PORT" "$TMP/a2.pcap" > /dev/null
sleep 1
c0=$(cpu_ticks "$DAEMON_PID"); l0=$(grep -c "sqlite" "$TMP/a.log" || true)
sleep 4
c1=$(cpu_ticks "$DAEMON_PID"); l1=$(grep -c "sqlite" "$TMP/a.log" || true)
echo "CPU over 4 s with the disk full: $((c1 - c0)) ticks ($HZ/s); sqlite log lines: $((l1 - l0))"
check "CPU stays low while the disk is full (< 25 % of one core over 4 s)" test $((c1 - c0)) -lt $((HZ * 4 / 4))
check "log lines about the failure are bounded (<= 8 in 4 s)" test $((l1 - l0)) -le 8
check "... and say the file system is full" grep -q "writing .* alert events failed: .*file system is full" "$TMP/a.log"
check "the full backlog drops, counted and logged" grep -q "backlog full (64 events): dropped update event" "$TMP/a.log"
stop
rm -f "$MNT/fill"
grep -E "summary|run: datagrams=" "$TMP/a.log"
check "SIGTERM with events lost: exit 1" test "$RC" -eq 1
acc=$(summary "$TMP/a.log" accepted); wr=$(summary "$TMP/a.log" written)
un=$(summary "$TMP/a.log" unwritten); dr=$(summary "$TMP/a.log" dropped)
check "the exit summary is there" test -n "$acc" -a -n "$wr" -a -n "$un" -a -n "$dr"
check "accepted ($acc) = written ($wr) + unwritten ($un) + dropped ($dr)" test "$acc" -eq $((wr + un + dr))
check "events were accepted, dropped and left unwritten" test "$acc" -gt 64 -a "$dr" -gt 0 -a "$un" -gt 0
check "written is what SQLite holds" test "$(events)" -eq "$wr"
check "events were written before the disk filled up" test "$wr" -gt 0
check "the detector was never stalled: every record arrived, no ring drops" \
	grep -q "datagrams=[0-9]* kernel_drops=0 records=$((R1 + R2)) ring_drops=0" "$TMP/a.log"

# 2. Disk full during the attack, then space freed while running: the
#    backlog is written, and nothing is lost.
rm -f "$MNT"/fw.db*
start "$TMP/b.log"
fill
gen "$TMP/b.pcap" "$(date +%s)" 0 280 > /dev/null
"$SEND" -r 20000 "$PORT" "$TMP/b.pcap" > /dev/null
wait_for "$TMP/b.log" "alert events failed"
sleep 2
before=$(events)
rm -f "$MNT/fill"
wait_for "$TMP/b.log" "writes work again"
sleep 1
stop
grep -E "writes work again|summary" "$TMP/b.log"
check "SIGTERM after recovery: exit 0" test "$RC" -eq 0
acc=$(summary "$TMP/b.log" accepted); wr=$(summary "$TMP/b.log" written)
check "the summary says nothing was lost" grep -q "summary: sink sqlite: events accepted=$acc written=$acc unwritten=0 dropped=0" "$TMP/b.log"
check "the backlog was written after space was freed ($before in SQLite while full, $acc after)" \
	test "$(events)" -eq "$acc" -a "$acc" -gt "$before"
check "the database is intact" test "$(sqlite3 "$MNT/fw.db" 'PRAGMA integrity_check')" = ok
