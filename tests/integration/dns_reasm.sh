# DNS over IP fragments and over TCP in capture files: `floodwatch dump --csv`
# must give, per (qname, qtype, direction), the DNS messages tshark decodes
# (tshark reassembles fragments and TCP streams).  Always on our synthetic
# captures (tests/data/reasm-*.pcap from make-dns-reasm-synth.py, expected
# tests/data/dns-reasm.expected from gen-reasm-expected.sh); on the public
# captures of dnscap and Zeek when they are on this machine (not committed:
# tests/data/README.md), else SKIP.  Then what the summary, replay and the
# collector_stats rows say about reassembly.
. tests/integration/lib.sh
D=tests/data

# compare DIR EXPECTED: every capture named in EXPECTED, dumped, against it.
compare() {
	[ -s "$2" ] || fail "no expected values in $2"
	for f in $(cut -f1 "$2" | sort -u); do
		"$FW" dump --csv "$1/$f.pcap" > "$TMP/$f.csv" 2>"$TMP/$f.err" || fail "dump $f"
		awk -F, 'NR > 1 && $2 == "dns" { print $17 "\t" $18 "\t" $20 }' "$TMP/$f.csv" | sort | uniq -c |
		    awk -v f="$f" '{ print f "\t" $2 "\t" $3 "\t" $4 "\t" $1 }' > "$TMP/$f.got"
		grep "^$f	" "$2" > "$TMP/$f.want"
		check "$f: DNS records per qname/qtype/direction as tshark decodes them ($(awk '{ n += $5 } END { print n }' "$TMP/$f.want"))" \
		    diff "$TMP/$f.want" "$TMP/$f.got"
	done
}
compare "$D" "$D/dns-reasm.expected"

# reassembly CAPTURE LINE DESC: the reassembly line of `dump --summary` is LINE.
reassembly() {
	"$FW" dump --summary "$1" > "$TMP/sum" || fail "dump --summary $1"
	grep "^reassembly=" "$TMP/sum" || true
	check "$3" grep -qx "$2" "$TMP/sum"
}

# Fragments.  Numbers of fragments as tshark counts them:
# tshark -Y 'ip.flags.mf == 1 or ip.frag_offset > 0' (78), -Y ipv6.fraghdr (26).
reassembly "$D/reasm-frag4.pcap" \
    "reassembly=ipfrag fragments=78 reassembled=9 duplicates=1 other_proto=0 drops=none" \
    "IPv4: 8 responses and a query put together from 78 fragments (8 to 1480 bytes, reversed, shuffled, interleaved), the duplicate counted"
"$FW" dump --json "$D/reasm-frag4.pcap" > "$TMP/frag4.json"
check "IPv4: the NXDOMAIN in 16-byte fragments and the 3 KB answer parse whole (rcodes 3 and 0)" \
    test "$(json_eval "$TMP/frag4.json" "[r['qtype'] for r in rows if r.get('rcode')==3] + [r.get('rcode') for r in rows if r['qname']=='big.frag.example' and r['direction']=='response']")" = "[1, 0]"
reassembly "$D/reasm-frag6.pcap" \
    "reassembly=ipfrag fragments=26 reassembled=5 duplicates=1 other_proto=0 drops=incomplete:1" \
    "IPv6: 5 responses put together (one after a destination options header); a lone fragment is counted incomplete"

# TCP: the length prefix in a segment of its own, several messages in one
# segment, one message over several, gaps, no handshake, EDNS keepalive.
reassembly "$D/reasm-tcp-lenseg.pcap" \
    "reassembly=dnstcp segments=31 messages=10 clipped=0 retransmits=0 drops=none" \
    "TCP: 10 messages from 31 segments (length prefixes apart), nothing dropped"
"$FW" dump --json "$D/reasm-tcp-many1seg.pcap" > "$TMP/many.json"
check "TCP: three queries in one segment and three across segment boundaries, each a record flagged tcp" \
    test "$(json_eval "$TMP/many.json" "sum(1 for r in rows if r['tcp'] and r['direction']=='query')")" = 6
reassembly "$D/reasm-tcp-split.pcap" \
    "reassembly=dnstcp segments=17 messages=4 clipped=1 retransmits=0 drops=none" \
    "TCP: a 3 KB answer over 4 segments is kept to its first 1 KiB (clipped), nothing dropped"
reassembly "$D/reasm-tcp-gap.pcap" \
    "reassembly=dnstcp segments=22 messages=10 clipped=0 retransmits=0 drops=gap:2" \
    "TCP: segments missing mid-stream (one each way) are counted (gap), the stream read on"
reassembly "$D/reasm-tcp-nosyn.pcap" \
    "reassembly=dnstcp segments=9 messages=4 clipped=0 retransmits=0 drops=none" \
    "TCP: a connection whose handshake was not captured is read from its first segment"
"$FW" dump --json "$D/reasm-tcp-keepalive.pcap" > "$TMP/ka.json"
check "TCP over IPv6 with EDNS keepalive: both answers, rcode 0, server 2001:db8:53::53" \
    test "$(json_eval "$TMP/ka.json" "sum(1 for r in rows if r['tcp'] and r['direction']=='response' and r.get('rcode')==0 and r['server']=='2001:db8:53::53')")" = 2

# replay: the same records reach the detector; summary lines and
# collector_stats rows (the source of /metrics) count them.
"$FW" replay --set sqlite.path="$TMP/r.db" "$D/reasm-frag4.pcap" "$D/reasm-tcp-lenseg.pcap" > "$TMP/replay.out"
cat "$TMP/replay.out"
check "replay: 18 + 10 DNS records to the detector" grep -q "detector: 0 flow records, 28 DNS records" "$TMP/replay.out"
check "replay summary: fragment and TCP lines" \
    sh -c "grep -q 'ipfrag   fragments: 78, datagrams reassembled: 9' '$TMP/replay.out' &&
           grep -q 'dnstcp   segments: 31, messages: 10 (clipped 0)' '$TMP/replay.out'"
sqlite3 "$TMP/r.db" "SELECT source, name, value FROM collector_stats WHERE source IN ('ipfrag','dnstcp') AND value > 0 ORDER BY 1, 2" > "$TMP/rows"
cat "$TMP/rows"
check "collector_stats: ipfrag reassembled and dnstcp messages rows" \
    sh -c "grep -qx 'ipfrag|reassembled|9' '$TMP/rows' && grep -qx 'dnstcp|messages|10' '$TMP/rows'"
check "collector_stats: drop rows by reason exist, 0 here (ipfrag overlap, evicted; dnstcp gap, evicted)" \
    test "$(sqlite3 "$TMP/r.db" "SELECT count(*) FROM collector_stats WHERE name IN ('drop_overlap','drop_gap','drop_evicted') AND value = 0")" = 4

# Off: dns.reassembly_slots=0 and dns.tcp_flows=0 give the old behaviour:
# nothing from TCP; of the fragments only first ones that hold the whole
# question (3 responses, the padded query) besides the 9 whole datagrams.
"$FW" dump --csv --set dns.reassembly_slots=0 --set dns.tcp_flows=0 "$D/reasm-frag4.pcap" "$D/reasm-tcp-lenseg.pcap" > "$TMP/off.csv"
check "switched off: no record from TCP, 13 from whole datagrams and first fragments" \
    sh -c "test \$(grep -c ',dns,' '$TMP/off.csv') = 13 && ! grep -q 'tcp.example' '$TMP/off.csv'"

# The public captures (dnscap, Zeek), where a test machine has them.
P=
for p in "$D/public" ../shared/captures/public; do
	[ -f "$p/dnscap-frags.pcap" ] && { P=$p; break; }
done
if [ -z "$P" ]; then
	echo "SKIP - public captures of dnscap and Zeek not found in $D/public or ../shared/captures/public (tests/data/README.md)"
elif ! command -v tshark > /dev/null; then
	echo "SKIP - public captures in $P, but no tshark to decode them"
else
	sh "$D/gen-reasm-expected.sh" "$P" "$TMP/public.expected"
	compare "$P" "$TMP/public.expected"
	reassembly "$P/dnscap-frags.pcap" \
	    "reassembly=ipfrag fragments=495 reassembled=82 duplicates=0 other_proto=0 drops=none" \
	    "dnscap-frags: 82 datagrams put together from 495 fragments, nothing dropped"
	reassembly "$P/zeek-ipv6-fragmented-dns.pcap" \
	    "reassembly=ipfrag fragments=4 reassembled=1 duplicates=0 other_proto=0 drops=incomplete:1" \
	    "zeek-ipv6-fragmented-dns: the 3-fragment response put together; a lone fragment is counted incomplete"
	reassembly "$P/dnscap-dnso1tcp.pcap" \
	    "reassembly=dnstcp segments=212 messages=82 clipped=0 retransmits=0 drops=none" \
	    "dnscap-dnso1tcp: 82 messages from 212 segments, nothing dropped"
	reassembly "$P/dnscap-dnso1tcp-midmiss.pcap" \
	    "reassembly=dnstcp segments=19 messages=6 clipped=0 retransmits=0 drops=gap:2" \
	    "dnscap-dnso1tcp-midmiss: a segment missing each way is counted (gap)"
fi
