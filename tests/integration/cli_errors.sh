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
"$FW" replay --set sqlite.path="$TMP/x.db" "$TMP/junk.pcap" > "$TMP/out" 2>&1
check "a file that is not a capture is skipped and counted (exit 0)" grep -q "1 skipped (not a capture)" "$TMP/out"

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
