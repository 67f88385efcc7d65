# Export forms compared with tshark (issue 13): RFC 5103 biflows, IPFIX packet
# sampling by frame and header sections (PSAMP), Cisco and Juniper templates,
# sFlow discarded-packet events and unknown sample types.  For every capture,
# `floodwatch dump --csv` and tshark's decode of the same file
# (tests/tools/tshark-flows.py) give the same records (source, destination,
# packets, bytes after sampling), hence the same totals per destination.
# The public captures (tests/data/public/, see tests/data/README.md for their
# origin) are used when present; the synthetic ones always.
. tests/integration/lib.sh
D=tests/data
PUB=${FW_PUBLIC_CAPTURES:-$D/public}
[ -d "$PUB" ] || PUB=../shared/captures/public
SEND=build/o/tools/sendpcap

# compare NAME CAPTURE [tshark args]: records and per-destination totals
compare() {
	name=$1 cap=$2; shift 2
	python3 tests/tools/tshark-flows.py "$@" "$cap" | sort > "$TMP/$name.want"
	"$FW" dump --csv "$cap" 2>"$TMP/$name.err" | tail -n +2 | awk -F , '{ print $6, $8, $12, $13 }' | sort > "$TMP/$name.got"
	n=$(wc -l < "$TMP/$name.want")
	check "$name: $n records" test "$n" -gt 0 -a "$n" = "$(wc -l < "$TMP/$name.got")"
	awk '{ p[$2] += $3; b[$2] += $4; r[$2]++ } END { for (d in p) print d, r[d], p[d], b[d] }' "$TMP/$name.want" | sort > "$TMP/$name.want.dst"
	awk '{ p[$2] += $3; b[$2] += $4; r[$2]++ } END { for (d in p) print d, r[d], p[d], b[d] }' "$TMP/$name.got" | sort > "$TMP/$name.got.dst"
	check "$name: per destination records, packets, bytes as tshark" cmp "$TMP/$name.want.dst" "$TMP/$name.got.dst"
	check "$name: every record as tshark (src, dst, packets, bytes)" cmp "$TMP/$name.want" "$TMP/$name.got"
}

# ---- synthetic (tests/data/make-psamp-synth.py): PSAMP sections, YAF-style biflow ----
compare psamp $D/ipfix_psamp_synth.pcap
check "psamp: 1-in-100 from the options record: 6 UDP reports of 508 bytes to the victim = 600 packets, 304800 bytes" \
	test "$(awk '$2 == "198.51.100.53" && $3 == 100 && $4 == 50800' "$TMP/psamp.got" | wc -l)" = 6
check "psamp: IPv6 header sections with an extension header: 3 reports of 68 bytes" \
	test "$(grep -c '^2001:db8:1::[123] 2001:db8:100::53 100 6800$' "$TMP/psamp.got")" = 3
check "biflow: the reverse directions (8 and 30 packets) are records of their own" \
	test "$(grep -c '^198.51.100.53 203.0.113.5[02] ' "$TMP/psamp.got")" = 2
"$FW" dump --summary --json $D/ipfix_psamp_synth.pcap > "$TMP/psamp.sum"
check "summary: the ARP frame section is counted (section_not_ip), 13 packet reports, 2 reverse records" \
	test "$(json_eval "$TMP/psamp.sum" '[(r["errors"].get("section_not_ip", 0), r["packet_reports"], r["reverse_records"]) for r in rows if "exporter" in r]')" = "[(1, 13, 0), (0, 0, 2)]"

# ---- synthetic sFlow: discarded packet events, unknown and vendor samples ----
compare sflow_discard $D/sflow_discard_synth.pcap
python3 tests/tools/tshark-flows.py --samples $D/sflow_discard_synth.pcap | sort > "$TMP/samples.want"
"$FW" dump --summary --json $D/sflow_discard_synth.pcap > "$TMP/sf.sum"
json_eval "$TMP/sf.sum" '"\n".join("%s %d" % (k, v) for r in rows if "samples" in r for k, v in
	[("flow", r["samples"]["flow"] + r["samples"]["flow_expanded"]), ("discard", r["samples"]["discard"]),
	 ("other", r["samples"]["other"]), ("enterprise", r["samples"]["enterprise"])])' | sort > "$TMP/samples.got"
cat "$TMP/samples.got"
check "sflow: samples by type as tshark frames them (6 flow, 3 discard, 1 other, 1 vendor)" cmp "$TMP/samples.want" "$TMP/samples.got"
check "sflow: the agent row counts 3 discard and 2 skipped samples" \
	test "$(json_eval "$TMP/sf.sum" '[(r["discard_samples"], r["other_samples"]) for r in rows if r.get("format") == "sflow"]')" = "[(3, 2)]"
"$FW" replay --set sqlite.path="$TMP/r.db" $D/sflow_discard_synth.pcap > "$TMP/replay.out" 2>&1
check "replay summary: sFlow samples by type" \
	grep -q "samples: flow=6 counter=0 flow_expanded=0 counter_expanded=0 discard=3 other=1 enterprise=1" "$TMP/replay.out"
check "an unknown sample type is logged with its enterprise and format" \
	grep -q "skipped a sample of enterprise 4300 format 1" "$TMP/replay.out"

# ---- live: the counters and /metrics carry the sample types ----
"$FW" run --set sqlite.path="$TMP/l.db" --set listen.netflow=127.0.0.1:0 --set listen.ipfix=127.0.0.1:0 \
	--set listen.sflow=127.0.0.1:0 --set stats.interval_ms=1000 > "$TMP/run.log" 2>&1 &
DAEMON_PID=$!
wait_for "$TMP/run.log" "ready;"
SF=$(sed -n 's/.*listening: sflow 127.0.0.1:0 (port \([0-9]*\)).*/\1/p' "$TMP/run.log")
URL=$(sed -n 's|.*http: API and /metrics at \(http://127.0.0.1:[0-9]*/\).*|\1|p' "$TMP/run.log")
"$SEND" "$SF" $D/sflow_discard_synth.pcap
i=0
until python3 -c "import urllib.request, sys; sys.exit(b'type=\"discard\"} 3' not in urllib.request.urlopen('${URL}metrics').read())" 2>/dev/null; do
	i=$((i + 1)); [ $i -lt 100 ] || break; sleep 0.1
done
python3 -c "import urllib.request; print(urllib.request.urlopen('${URL}metrics').read().decode())" | grep samples_total > "$TMP/metrics.txt" || true
cat "$TMP/metrics.txt"
check "/metrics: floodwatch_decode_samples_total by type (discard 3, enterprise 1)" \
	sh -c "grep -q 'floodwatch_decode_samples_total{format=\"sflow5\",type=\"discard\"} 3' '$TMP/metrics.txt' &&
	grep -q 'floodwatch_decode_samples_total{format=\"sflow5\",type=\"enterprise\"} 1' '$TMP/metrics.txt'"
kill -TERM "$DAEMON_PID"; wait "$DAEMON_PID"; DAEMON_PID=""
check "run's decode log line lists the sample types" grep -q "decode sflow5: .* samples: flow=6 .* discard=3" "$TMP/run.log"

# ---- public captures (origin in tests/data/README.md) ----
pub() {  # NAME FILE [tshark args]
	if [ -f "$PUB/$2" ]; then
		n=$1 f=$2; shift 2
		compare "$n" "$PUB/$f" "$@"
	else
		echo "SKIP - $1: $PUB/$2 not present (see tests/data/README.md, public captures)"
	fi
}
pub ipfixprobe ipfixprobe-biflow.pcap
if [ -f "$PUB/ipfixprobe-biflow.pcap" ]; then
	check "ipfixprobe biflows: all 60 packets counted (34 before: reverse directions dropped)" \
		test "$(awk '{ s += $3 } END { print s }' "$TMP/ipfixprobe.got")" = 60
fi
pub juniper_datalink juniper-datalink.pcap
# tshark 4.0 guesses one of the two pseudowires wrong (no control word): tell it.
pub eompls_datalink eompls-datalink.pcap -d mpls.label==17,pwethcw
pub juniper_cpid juniper-cpid.pcap
pub multirates multiplesamplingrates.pcap
pub pmacct_100 pmacct-100-ipfix-cisco.pcap
pub pmacct_101 pmacct-101-nf9-cisco.pcap
pub pmacct_104 pmacct-104-ipfix-cisco-sampling.pcap
echo "dump_exports: all passed"
