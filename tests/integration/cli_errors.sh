# Bad input and bad configuration: clear one-line errors, right exit codes, no crash.
. tests/integration/lib.sh

set +e
"$FW" check-config --set nosuch.key=1 2> "$TMP/err"; rc=$?
set -e
check "check-config --set nosuch.key=1 exits 2" test $rc -eq 2
check "... naming the key" grep -q "nosuch.key" "$TMP/err"

printf '[detector]\nwindow_ms = 1000\nbogus = 3\n' > "$TMP/bad.conf"
set +e; "$FW" check-config -c "$TMP/bad.conf" 2> "$TMP/err"; rc=$?; set -e
check "unknown key in a file exits 2" test $rc -eq 2
check "... naming file, line and key" grep -q "bad.conf:3: unknown key 'bogus'" "$TMP/err"

printf '[detector]\nmin_pps = lots\n' > "$TMP/bad2.conf"
set +e; "$FW" check-config -c "$TMP/bad2.conf" 2> "$TMP/err"; rc=$?; set -e
check "bad value exits 2 naming line and key" sh -c "test $rc -eq 2 && grep -q 'bad2.conf:2: detector.min_pps' '$TMP/err'"

set +e; "$FW" check-config -c "$TMP/missing.conf" 2> "$TMP/err"; rc=$?; set -e
check "missing config file exits 2" test $rc -eq 2

"$FW" check-config --set detector.min_pps=5 > "$TMP/eff" 2>/dev/null
check "check-config prints the effective config" grep -q "^min_pps = 5$" "$TMP/eff"

set +e; "$FW" replay --set sqlite.path="$TMP/x.db" "$TMP/nonexistent.pcap" 2> "$TMP/err"; rc=$?; set -e
check "replay of a missing file exits 2" test $rc -eq 2

head -c 3000 /dev/urandom > "$TMP/junk.pcap"
"$FW" replay --set sqlite.path="$TMP/x.db" "$TMP/junk.pcap" tests/data/udpflood_nf5.pcap > "$TMP/out" 2>&1
check "a file that is not a capture is skipped and counted (exit 0: the other was read)" \
	grep -q "1 file(s) read, 1 skipped (not a capture)" "$TMP/out"

# Nothing readable at all: exit 3, so scripts can tell it from "no alerts".
: > "$TMP/empty.pcap"
set +e; "$FW" replay --set sqlite.path="$TMP/x.db" "$TMP/junk.pcap" "$TMP/empty.pcap" > "$TMP/out" 2> "$TMP/err"; rc=$?; set -e
check "replay with no readable input exits 3 ($rc)" test $rc -eq 3
check "... saying so" grep -q "no input could be read (2 files given" "$TMP/err"
check "... after the summary" grep -q "0 file(s) read, 2 skipped" "$TMP/out"
mkdir "$TMP/adir"
set +e; "$FW" replay --set sqlite.path="$TMP/x.db" "$TMP/adir" 2> "$TMP/err"; rc=$?; set -e
check "replay of a directory exits 2 and says so" sh -c "test $rc -eq 2 && grep -q 'adir: is a directory' '$TMP/err'"

# Listen addresses are checked with the config: file, line, key, exit 2.
printf '[listen]\nnetflow = 300.1.2.3:2055\n' > "$TMP/addr1.conf"
set +e; "$FW" check-config -c "$TMP/addr1.conf" > /dev/null 2> "$TMP/err"; rc=$?; set -e
check "check-config: 300.1.2.3:2055 is refused (exit 2)" test $rc -eq 2
check "... naming file, line and key" grep -q "addr1.conf:2: listen.netflow: '300.1.2.3:2055': the host is not" "$TMP/err"
printf '[general]\nlog_level = info\n[listen]\nipfix = 127.0.0.1:4739, [::]:99999\n' > "$TMP/addr2.conf"
set +e; "$FW" check-config -c "$TMP/addr2.conf" > /dev/null 2> "$TMP/err"; rc=$?; set -e
check "check-config: [::]:99999 is refused (exit 2), naming file, line and key" \
	sh -c "test $rc -eq 2 && grep -q \"addr2.conf:4: listen.ipfix: '\[::\]:99999': port 99999 is out of range\" '$TMP/err'"
set +e; "$FW" check-config --set "listen.sflow=[::1]:x" > /dev/null 2> "$TMP/err"; rc=$?; set -e
check "--set with a bad address: exit 2 naming --set and the key" \
	sh -c "test $rc -eq 2 && grep -q -- '--set listen.sflow:' '$TMP/err'"

# A key set twice in one file: an error at the second line, not "last wins".
printf '[listen]\nbatch = 32\n[sqlite]\npath = /tmp/a.db\n[listen]\nbatch = 64\n' > "$TMP/dup.conf"
set +e; "$FW" check-config -c "$TMP/dup.conf" > /dev/null 2> "$TMP/err"; rc=$?; set -e
check "check-config: a duplicate key exits 2" test $rc -eq 2
check "... naming file, line, key and the first line" \
	grep -q "dup.conf:6: duplicate key 'batch' in section \[listen\] (first set on line 2" "$TMP/err"

# run: config errors exit 2 with file, line and key, like check-config.
set +e; timeout 20 "$FW" run -c "$TMP/addr1.conf" --set sqlite.path="$TMP/r.db" > "$TMP/err" 2>&1; rc=$?; set -e
check "run with a bad listen address exits 2 naming file, line and key ($rc)" \
	sh -c "test $rc -eq 2 && grep -q 'addr1.conf:2: listen.netflow' '$TMP/err'"
printf '[detector]\nwindow_ms = 1000\nlateness_ms = 4001\n' > "$TMP/cross.conf"
set +e; timeout 20 "$FW" run -c "$TMP/cross.conf" --set sqlite.path="$TMP/r.db" > "$TMP/err" 2>&1; rc=$?; set -e
check "run: a cross-key error exits 2 and names the line that set the key" \
	sh -c "test $rc -eq 2 && grep -q 'cross.conf:3: detector.lateness_ms (4001)' '$TMP/err'"
set +e; timeout 20 "$FW" run -c "$TMP/dup.conf" --set sqlite.path="$TMP/r.db" > "$TMP/err" 2>&1; rc=$?; set -e
check "run: a duplicate key exits 2" sh -c "test $rc -eq 2 && grep -q 'dup.conf:6: duplicate key' '$TMP/err'"

# run: runtime failures exit 1 and name what failed.
BUSY=$(python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
python3 -c "import socket,time; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(('127.0.0.1',$BUSY)); time.sleep(20)" &
HOLD=$!
sleep 0.3
set +e; timeout 20 "$FW" run --set sqlite.path="$TMP/r.db" --set listen.netflow=127.0.0.1:$BUSY \
	--set listen.ipfix= --set listen.sflow= --set flow.template_state= > "$TMP/err" 2>&1; rc=$?; set -e
kill $HOLD 2>/dev/null || true
check "run: a port in use exits 1 naming the key, address and bind ($rc)" \
	sh -c "test $rc -eq 1 && grep -q 'listen.netflow 127.0.0.1:$BUSY: bind: Address already in use' '$TMP/err'"
# (A missing directory is made, as for /run/floodwatch: a file in the way cannot be.)
: > "$TMP/notadir"
set +e; timeout 20 "$FW" run --set sqlite.path="$TMP/r.db" --set listen.netflow=127.0.0.1:0 --set listen.ipfix= \
	--set listen.sflow= --set flow.template_state= --set dns.dnstap_socket="$TMP/notadir/tap.sock" > "$TMP/err" 2>&1
rc=$?; set -e
check "run: a dnstap socket that cannot be made exits 1 naming it ($rc)" \
	sh -c "test $rc -eq 1 && grep -q 'dns.dnstap_socket $TMP/notadir/tap.sock: cannot listen' '$TMP/err'"

# alerts --db that cannot be used: a clear reason, exit 2 (not "disk I/O error").
set +e; "$FW" alerts --db "$TMP/adir" > /dev/null 2> "$TMP/err"; rc=$?; set -e
check "alerts --db DIR: exit 2, 'is a directory'" sh -c "test $rc -eq 2 && grep -q 'adir: cannot open database: is a directory' '$TMP/err' && ! grep -q 'disk I/O' '$TMP/err'"
set +e; "$FW" alerts --db "$TMP/junk.pcap" > /dev/null 2> "$TMP/err"; rc=$?; set -e
check "alerts --db on a non-database: exit 2, 'not an SQLite database file'" \
	sh -c "test $rc -eq 2 && grep -q 'junk.pcap: not an SQLite database file' '$TMP/err'"
sqlite3 "$TMP/other.db" "CREATE TABLE t(a)"
set +e; "$FW" alerts --db "$TMP/other.db" > /dev/null 2> "$TMP/err"; rc=$?; set -e
check "alerts --db on another SQLite file: exit 2, 'not a floodwatch database'" \
	sh -c "test $rc -eq 2 && grep -q 'other.db: not a floodwatch database' '$TMP/err'"
set +e; "$FW" alerts --db "$TMP/nosuch.db" > /dev/null 2> "$TMP/err"; rc=$?; set -e
check "alerts --db on a missing file: exit 2, 'no such file'" \
	sh -c "test $rc -eq 2 && grep -q 'nosuch.db: cannot open database: no such file' '$TMP/err'"

head -c 100000 tests/data/udpflood_nf5.pcap > "$TMP/trunc.pcap"
"$FW" replay --set sqlite.path="$TMP/x.db" "$TMP/trunc.pcap" > "$TMP/out" 2>&1
check "a truncated capture is read up to the cut and reported" grep -q "1 truncated" "$TMP/out"

# Datagrams shorter than their header and counts pointing past the end.
python3 - "$TMP/bad.pcap" <<'PY'
import struct, sys
def frame(payload):
    ip_len = 20 + 8 + len(payload)
    eth = b"\x02\xfc\x00\x00\x00\x05\x02\xfc\x00\x00\x00\x01\x08\x00"
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, ip_len, 1, 0, 64, 17, 0, bytes([192,0,2,1]), bytes([127,0,0,1]))
    udp = struct.pack("!HHHH", 40000, 2055, 8 + len(payload), 0)
    return eth + ip + udp + payload
pkts = [
    struct.pack("!HH", 5, 1),                                    # shorter than the v5 header
    struct.pack("!HHIIIIBBH", 5, 30, 0, 0, 0, 0, 0, 0, 0) + b"\0" * 48,  # count past the end
    struct.pack("!HHIIIIBBH", 5, 0, 0, 0, 0, 0, 0, 0, 0),        # count 0
    b"\x00",                                                      # one byte
]
out = open(sys.argv[1], "wb")
out.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
for i, p in enumerate(pkts):
    f = frame(p)
    out.write(struct.pack("<IIII", 1700000000 + i, 0, len(f), len(f)))
    out.write(f)
PY
"$FW" replay --set sqlite.path="$TMP/x.db" "$TMP/bad.pcap" > "$TMP/out" 2>&1
cat "$TMP/out"
check "bad datagrams are counted, replay exits 0" grep -q "frames: 4, UDP datagrams: 4" "$TMP/out"
check "no records come out of them" sh -c "! grep -q 'records: [1-9]' '$TMP/out'"
