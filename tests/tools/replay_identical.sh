#!/bin/sh
# Replay every capture we have and write its alerts (JSON lines) and event
# timeline to DIR, one file per capture, so two builds can be compared with
# `diff -r`: a refactoring of the detector must leave them byte-identical.
#   sh tests/tools/replay_identical.sh ./floodwatch /tmp/after
#   diff -r /tmp/before /tmp/after
# Captures: tests/data, tests/data/scenarios, ../shared/captures (when
# present), and the long-flow captures tests/tools/gen_longflows.py makes.
set -eu
FW=${1:?usage: replay_identical.sh FLOODWATCH OUTDIR}
OUT=${2:?usage: replay_identical.sh FLOODWATCH OUTDIR}
SHARED=${SHARED:-../shared/captures}
[ -d "$SHARED" ] || SHARED=/work/shared/captures
mkdir -p "$OUT"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT INT TERM

for a in 60 300 1800; do
	for k in none udp syn long hostile; do
		python3 tests/tools/gen_longflows.py "$TMP/long_${a}_$k.pcap" --active "$a" --ramp --attack "$k" > /dev/null
	done
done

one() {  # capture name
	db="$TMP/$2.db"
	rm -f "$db"*
	"$FW" replay --set sqlite.path="$db" --set dns.querylog_timezone=UTC "$1" > /dev/null 2>&1 ||
		echo "replay failed: $1" >&2
	"$FW" alerts --db "$db" --json > "$OUT/$2.json"
	sqlite3 "$db" 'SELECT * FROM alert_events ORDER BY alert_id, seq' > "$OUT/$2.events" 2>/dev/null || true
}

for f in tests/data/*.pcap tests/data/*.log tests/data/*.fstrm tests/data/scenarios/*.pcap \
	"$SHARED"/*/*.pcap "$SHARED"/*/*.log "$SHARED"/*/*.fstrm "$TMP"/long_*.pcap; do
	[ -f "$f" ] || continue
	one "$f" "$(echo "$f" | sed 's|^/tmp/[^/]*/||; s|[/.]|_|g')"
done
# Several inputs in one run share one detector.
one2() { db="$TMP/multi.db"; "$FW" replay --set sqlite.path="$db" "$@" > /dev/null 2>&1
	"$FW" alerts --db "$db" --json > "$OUT/multi.json"; }
one2 tests/data/scenarios/gre_ipfix.pcap tests/data/water-torture-packets.pcap tests/data/scenarios/carpet_nf9.pcap
echo "$(ls "$OUT" | wc -l) files in $OUT, $(cat "$OUT"/*.json | wc -l) alerts"
