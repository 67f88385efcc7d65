# floodwatch dump: every decoded record, compared field by field with
# independent decoders' views of the same files (tshark for NetFlow v5/v9,
# IPFIX and sFlow, BIND's dnstap-read and the query log text for DNS: the
# tests/data/*.expected* files, see tests/data/gen-*-expected.sh); --json,
# --summary, exit codes, data left waiting for a template at the end of a
# capture, and a live socket fed by sendpcap.
. tests/integration/lib.sh
SEND=build/o/tools/sendpcap
D=tests/data
# pyj FILE EXPR: EXPR over rows (the JSON lines of FILE), printed by Python
pyj() {
	python3 -c 'import json, sys; rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]; print(eval(sys.argv[2]))' "$1" "$2"
}

# ---- NetFlow v5: src dst sport dport proto packets bytes flags, end time, duration ----
"$FW" dump --csv $D/udpflood_nf5.pcap > "$TMP/nf5.csv"
check "csv: header line" test "$(head -1 "$TMP/nf5.csv")" = \
	"time,format,exporter,domain,sampling,src,sport,dst,dport,proto,tcp_flags,packets,bytes,duration_ms,client,server,qname,qtype,rcode,direction,source,transport"
awk -F '\t' '{ print $3, $4, $5, $6, $7, $8, $9, $10, $15, $15 - $14 }' $D/udpflood_nf5.expected.tsv |
	python3 -c 'import sys; [print(*(l.split()[:7] + [int(l.split()[7], 16)] + l.split()[8:])) for l in sys.stdin]' \
	> "$TMP/nf5.want"
# time -> ms since the epoch, computed here from the ISO text (UTC)
tail -n +2 "$TMP/nf5.csv" | python3 -c '
import sys, datetime
for l in sys.stdin:
    f = l.rstrip("\n").split(",")
    t = datetime.datetime.strptime(f[0], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.timezone.utc)
    ms = round(t.timestamp() * 1000)
    print(f[5], f[7], f[6], f[8], f[9], f[11], f[12], f[10], ms, f[13])' > "$TMP/nf5.got"
check "nf5: 4200 records, every field as tshark decodes it" cmp "$TMP/nf5.want" "$TMP/nf5.got"

# ---- NetFlow v9 and IPFIX ----
for x in nf9 ipfix; do
	awk -F '\t' '{ print $2, $3, $4, $5, $6, $7, $8, $10 - $9 }' $D/udpflood_$x.expected.tsv > "$TMP/$x.want"
	"$FW" dump --csv $D/udpflood_$x.pcap | tail -n +2 | awk -F , '{ print $6, $8, $7, $9, $10, $12, $13, $14 }' > "$TMP/$x.got"
	check "$x: $(wc -l < "$TMP/$x.want") records, fields as tshark decodes them" cmp "$TMP/$x.want" "$TMP/$x.got"
done

# ---- sFlow: sampling applied (1 in 1000): packets = rate, bytes = L3 length x rate ----
for x in udpflood_sflow_1in1000 sflow_synth sflow-print-v6; do
	awk -F '\t' '$1 == "F" && $16 != "-" { r = $8 ? $8 : 1; print $16, $17, $18, $19, $20, $8, r, $24 * r }' \
		$D/$x.sflow.tsv > "$TMP/$x.want"
	"$FW" dump --csv $D/$x.pcap | tail -n +2 | awk -F , '{ print $6, $8, $10, $7, $9, $5, $12, $13 }' > "$TMP/$x.got"
	check "sflow $x: $(wc -l < "$TMP/$x.want") samples, addresses, ports, rate, scaled counters as tshark" \
		cmp "$TMP/$x.want" "$TMP/$x.got"
done

# ---- DNS: packets, query log, dnstap ----
python3 -c 'import sys
for l in open(sys.argv[1]):
    f = l.rstrip("\n").split("\t")
    if f[0] == "dns_udp": print(f[4], f[5], "response" if int(f[3], 16) & 0x8000 else "query")' \
	$D/dns-tcpdump.expected > "$TMP/dns.want"
"$FW" dump --csv $D/dns_udp.pcap | tail -n +2 | awk -F , '{ print $17, $18, $20 }' > "$TMP/dns.got"
check "dns_udp.pcap: qname, qtype, direction as tshark" cmp "$TMP/dns.want" "$TMP/dns.got"
check "dns_udp.pcap: client and server, source pcap" \
	test "$("$FW" dump --csv $D/dns_udp.pcap | tail -n +2 | cut -d, -f15,16,21,22 | sort -u)" = "192.168.1.11,209.87.249.18,pcap,udp"
check "csv: DNS over TCP says so in its transport column, every flow row has 22 fields" python3 -c "
import csv, subprocess
rows = list(csv.DictReader(subprocess.run(['$FW', 'dump', '--csv', '$D/reasm-tcp-lenseg.pcap'], capture_output=True, text=True).stdout.splitlines()))
assert rows and {r['transport'] for r in rows} == {'tcp'}, rows[:2]
flows = list(csv.reader(open('$TMP/nf5.csv')))
assert all(len(r) == 22 for r in flows) and flows[1][21] == '', flows[:2]"

awk -F '\t' '{ print $1, $2, $3, $5 }' $D/bind-querylog.expected > "$TMP/ql.want"
"$FW" dump $D/bind-querylog.log | tail -n +2 | awk '{ print $9, $7, $3, $5 }' > "$TMP/ql.got"
check "query log: 3000 records, qname, type, client, server as the log says" cmp "$TMP/ql.want" "$TMP/ql.got"

awk -F '\t' '{ print ($1 == "R" ? "response" : "query"), $3, $5, $8, $10, $11 }' $D/bind-dnstap.expected > "$TMP/tap.want"
"$FW" dump $D/bind-dnstap.fstrm | tail -n +2 | awk '{ print $6, $3, $5, $9, $7, $8 }' > "$TMP/tap.got"
check "dnstap: 6000 records, direction, addresses, qname, type, rcode as dnstap-read" cmp "$TMP/tap.want" "$TMP/tap.got"

# ---- JSON: one object per line; a hostile qname stays one valid line ----
"$FW" dump --json $D/udpflood_nf9.pcap $D/bind-querylog.log > "$TMP/all.json"
check "json: 4200 flow + 3000 DNS objects" test "$(pyj "$TMP/all.json" 'sum(1 for r in rows if r["format"] == "nf9"), sum(1 for r in rows if r["format"] == "dns")')" = "(4200, 3000)"
printf '%s\n' '25-Nov-2026 00:41:15.366 client @0x7f 127.0.0.1#53261 (x): query: a"b,c\\027x.example IN A + (127.0.0.1)' > "$TMP/evil.log"
"$FW" dump --json "$TMP/evil.log" > "$TMP/evil.json"
cat "$TMP/evil.json"
check "json: a qname with quote, comma and an escape is one parseable line" test "$(pyj "$TMP/evil.json" 'len(rows)')" = 1
"$FW" dump --csv "$TMP/evil.log" > "$TMP/evil.csv"
check "csv: that qname is quoted (RFC 4180), the row stays 22 fields" python3 -c "
import csv; r = list(csv.reader(open('$TMP/evil.csv'))); assert len(r) == 2 and len(r[1]) == 22 and r[1][16].startswith('a\"b,c'), r"

# ---- summary ----
"$FW" dump --summary --json $D/udpflood_nf9.pcap $D/udpflood_sflow_1in1000.pcap > "$TMP/sum.json"
cat "$TMP/sum.json"
check "summary: nf9 exporter, 4200 records, 4 templates, sampling 1" test "$(pyj "$TMP/sum.json" '[(r["records"], r["templates"], r["sampling"]) for r in rows if r.get("format") == "nf9"]')" = "[(4200, 4, {'1': 4200})]"
check "summary: sFlow agent with its 1-in-1000 rate" test "$(pyj "$TMP/sum.json" '[r["sampling"] for r in rows if r.get("format") == "sflow"]')" = "[{'1000': 4198}]"

# ---- data before its template, still pending when the capture ends ----
python3 - $D/udpflood_nf9.pcap "$TMP/data-only.pcap" > "$TMP/data-only.txt" <<'PY'
import struct, sys
src = open(sys.argv[1], "rb").read()
out, off, sets = [src[:24]], 24, 0
while off + 16 <= len(src):
    _, _, caplen, _ = struct.unpack_from("<IIII", src, off)
    frame = src[off + 16: off + 16 + caplen]
    p = frame[14 + (frame[14] & 15) * 4 + 8:]
    pos, ids = 20, []
    while pos + 4 <= len(p):
        sid, slen = struct.unpack_from("!HH", p, pos)
        if slen < 4: break
        ids.append(sid); pos += slen
    if all(i >= 256 for i in ids):
        out.append(src[off: off + 16 + caplen]); sets += len(ids)
    off += 16 + caplen
open(sys.argv[2], "wb").write(b"".join(out))
print(sets)
PY
sets=$(cat "$TMP/data-only.txt")
"$FW" replay --set sqlite.path="$TMP/r.db" "$TMP/data-only.pcap" > "$TMP/r.out" 2>&1
grep -E "nf9|errors by kind" "$TMP/r.out"
check "replay: all $sets data sets without a template count as no_template, pending ones too" \
	grep -q "no_template=$sets " "$TMP/r.out"
check "replay: per format too" grep -q "nf9 .* no_template: $sets$" "$TMP/r.out"
"$FW" dump --summary --json "$TMP/data-only.pcap" > "$TMP/do.json"
check "dump --summary: the exporter's undecodable data sets, 0 records" test "$(pyj "$TMP/do.json" '[(r["records"], r["errors"].get("undecodable")) for r in rows if r.get("format") == "nf9"]')" = "[(0, $sets)]"

# ---- exit codes ----
rc=0; "$FW" dump $D/nonexistent.pcap > /dev/null 2>&1 || rc=$?
check "missing file: exit 2" test $rc = 2
echo "not a capture" > "$TMP/junk.txt"
rc=0; "$FW" dump "$TMP/junk.txt" > /dev/null 2>&1 || rc=$?
check "nothing readable: exit 3" test $rc = 3
rc=0; "$FW" dump --count 5 --csv $D/udpflood_nf5.pcap > "$TMP/five.csv" || rc=$?
check "--count 5: header + 5 records, exit 0" test "$rc $(wc -l < "$TMP/five.csv")" = "0 6"
rc=0; "$FW" dump --bogus $D/udpflood_nf5.pcap > /dev/null 2>&1 || rc=$?
check "unknown option: exit 2" test $rc = 2

# ---- live: a real UDP socket, the listener code of run ----
"$FW" dump --csv --listen 127.0.0.1:0 --count 4200 --seconds 20 > "$TMP/live.csv" 2> "$TMP/live.err" &
DAEMON_PID=$!
wait_for "$TMP/live.err" "listening on"
PORT=$(sed -n 's/.*listening on 127.0.0.1:0 port \([0-9]*\).*/\1/p' "$TMP/live.err")
"$SEND" -r 20000 "$PORT" $D/udpflood_ipfix.pcap
rc=0; wait "$DAEMON_PID" || rc=$?; DAEMON_PID=""
cat "$TMP/live.err"
check "live: exit 0 at --count" test $rc = 0
tail -n +2 "$TMP/live.csv" | awk -F , '{ print $6, $8, $7, $9, $10, $12, $13, $14 }' > "$TMP/live.got"
check "live: the 4200 IPFIX records, fields as tshark decodes them" cmp "$TMP/ipfix.want" "$TMP/live.got"
