#!/bin/sh
# decode_same.sh OLD NEW [CAPTURE...] - does a decoder change keep every output?
# For each capture (default: every tests/data/*.pcap and 2000 datagrams of
# gen_nf9.py's bench stream), `dump --csv`, the alerts of `replay` and its
# summary (log lines, paths and peak RSS left out) must be byte-identical
# between the two floodwatch binaries OLD and NEW.  Prints DIFF lines and
# exits 1 on any difference.  Files only under a temporary directory.
set -u
[ $# -ge 2 ] || { echo "usage: $0 OLD NEW [CAPTURE...]" >&2; exit 2; }
OLD=$1 NEW=$2; shift 2
cd "$(dirname "$0")/../.."
T=$(mktemp -d /tmp/decsame.XXXXXX)
trap 'rm -rf "$T"' EXIT
if [ $# -eq 0 ]; then
	python3 tests/bench/gen_nf9.py "$T/v9.pcap" 2000 100000
	set -- tests/data/*.pcap "$T/v9.pcap"
fi
summary() { grep -v -e "RSS" -e "\.db" -e "^20[0-9][0-9]-" "$1"; }
fail=0
for f in "$@"; do
	for w in old new; do
		b=$OLD; [ $w = new ] && b=$NEW
		"$b" dump --csv "$f" > "$T/$w.csv" 2>/dev/null
		rm -f "$T/$w.db"*
		"$b" replay --set sqlite.path="$T/$w.db" "$f" > "$T/$w.out" 2>&1
		"$b" alerts --db "$T/$w.db" --json > "$T/$w.alerts" 2>&1
		summary "$T/$w.out" > "$T/$w.sum"
	done
	for x in csv alerts sum; do
		cmp -s "$T/old.$x" "$T/new.$x" || { echo "DIFF $x $f"; fail=1; }
	done
	echo "$f: $(($(wc -l < "$T/new.csv") - 1)) records, $(wc -l < "$T/new.alerts") alerts"
done
exit $fail
