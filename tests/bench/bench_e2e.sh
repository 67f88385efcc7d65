#!/bin/sh
# End to end over loopback, Floodwatch against nfcapd (Debian nfdump) on the
# same datagrams in the same run (issue 17): a NetFlow v9 stream of 30
# records of 43 B per datagram, 1 M spoofed sources, 500 destinations
# (tests/bench/gen_nf9.py), stamped with wall-clock times as it is sent
# (sendpcap -W), at 20 k and 100 k datagrams/s.  CPU seconds of the whole
# process (all threads) from /proc/PID/stat; records per CPU-second of each,
# the ratio, loss, and the scaling of Floodwatch's records per CPU-second
# with detector.shards 1, 2 and 4 at 100 k datagrams/s, and the loss of
# each collector at 150 k and 200 k datagrams/s.  Each figure is the
# median of BENCH_E2E_RUNS runs (default 3), all runs shown.  Instructions
# per record, which the load of a shared machine moves far less: from
# `perf stat -e instructions` on each process when the CPU's counters are
# available (not in every VM), and from callgrind (valgrind) on `floodwatch
# replay` of 10 k datagrams of the stream (decode + detect, start-up cost
# subtracted).  Loopback only, bounded: 200 k datagrams per file, a few
# seconds per run.  No detector state file: every run starts fresh (a
# run restoring the last one's detector would carry its alerts over).
set -eu
cd "$(dirname "$0")/../.."
TMP=$(mktemp -d /tmp/fwe2e.XXXXXX)
# Started as root, `run` switches to nobody:nogroup (general.user), which must
# be able to write the database's directory.
[ "$(id -u)" -ne 0 ] || { chgrp nogroup "$TMP" && chmod 0770 "$TMP"; }
PIDS=""
trap 'for p in $PIDS; do kill $p 2>/dev/null || true; done; rm -rf "$TMP"' EXIT
PY=/usr/bin/python3; [ -x "$PY" ] || PY=python3
RUNS=${BENCH_E2E_RUNS:-3}
DG=${BENCH_E2E_DATAGRAMS:-200000}
SHARDS=${BENCH_E2E_SHARDS:-"1 2 4"}
make -s build/o/tools/sendpcap >/dev/null
SEND=build/o/tools/sendpcap
FW=${BENCH_E2E_FW:-./floodwatch}  # another build to compare
"$PY" tests/bench/gen_nf9.py "$TMP/v9.pcap" "$DG" 100000
HZ=$(getconf CLK_TCK)
NPROC=$(nproc)
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
# Hardware instruction counts, when this machine has them.
HWI=0; perf stat -e instructions -x, true 2>&1 | grep -q '^[0-9]' && HWI=1
# pstat_start PID / pstat_stop -> instructions counted meanwhile (0 without counters)
pstat_start() { PSP=""; [ $HWI -eq 0 ] || { perf stat -e instructions -x, -p "$1" -o "$TMP/pstat" & PSP=$!; sleep 0.2; }; }
pstat_stop() {
	[ -n "$PSP" ] || { echo 0; return; }
	kill -INT $PSP; wait $PSP || true
	awk -F, '$3 ~ /^instructions/ { print $1 + 0; n = 1 } END { if (!n) print 0 }' "$TMP/pstat"
}
# Ticks per thread kind (fw-rx-*, fw-detect*, fw-sink, the rest).
thread_ticks() { cat /proc/$1/task/*/stat 2>/dev/null | awk '{ n = $2; t = $14 + $15
	if (n ~ /^\(fw-rx/) rx += t; else if (n ~ /^\(fw-detect/) det += t; else if (n ~ /^\(fw-sink/) sk += t; else o += t }
	END { printf "%d %d %d %d\n", rx, det, sk, o }'; }
loops_for() { [ "$1" -ge 100000 ] && echo 3 || echo 1; }  # ~6 s at 100 k, 10 s at 20 k

echo "bench_e2e: $NPROC CPUs ($(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -1)), load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "bench_e2e: stream: $DG NetFlow v9 datagrams x 30 records of 43 B, 1 M sources, 500 destinations, wall-clock times"

# fw RATE SHARDS -> "records cpu_ticks lost rx det sink other"
fw() {
	# The old log goes first: the daemon's shell truncates it only once it
	# runs, and the wait below must not read the last run's port.
	rm -f "$TMP"/fw.db* "$TMP/fw.log"
	"$FW" run --set sqlite.path="$TMP/fw.db" --set detector.state_file= --set listen.netflow=127.0.0.1:0 --set listen.ipfix= \
		--set listen.sflow= --set flow.template_state= --set http.listen= --set detector.shards="$2" \
		> "$TMP/fw.log" 2>&1 &
	FWPID=$!; PIDS="$FWPID"
	i=0; until grep -qs "ready;" "$TMP/fw.log"; do i=$((i+1)); [ $i -lt 100 ] || { cat "$TMP/fw.log" >&2; exit 1; }; sleep 0.1; done
	PORT=$(sed -n 's/.*listening: netflow 127.0.0.1:0 (port \([0-9]*\)).*/\1/p' "$TMP/fw.log")
	sleep 0.5
	pstat_start $FWPID
	c0=$(cpu_ticks $FWPID); set -- "$1" "$2" $(thread_ticks $FWPID)
	sent=$("$SEND" -W -r "$1" -l "$(loops_for "$1")" "$PORT" "$TMP/v9.pcap" | sed -n 's/^sent \([0-9]*\).*/\1/p')
	sleep 1
	c1=$(cpu_ticks $FWPID); tt=$(thread_ticks $FWPID)
	ins=$(pstat_stop)
	kill -TERM $FWPID; wait $FWPID || true; PIDS=""
	line=$(grep "datagrams=" "$TMP/fw.log" | tail -1)
	recs=$(echo "$line" | sed -n 's/.* records=\([0-9]*\).*/\1/p')
	rd=$(echo "$line" | sed -n 's/.* ring_drops=\([0-9]*\).*/\1/p')
	if [ -z "$recs" ] || [ "$recs" -eq 0 ]; then
		# A run that got nothing (sender or daemon trouble) is reported, not averaged.
		echo "bench_e2e: floodwatch run at $1 datagrams/s, shards $2 got no records (sent ${sent:-?}); its log ends:" >&2
		tail -3 "$TMP/fw.log" >&2
		return 0
	fi
	echo "$tt" | awk -v r="$recs" -v rd="$rd" -v c=$((c1 - c0)) -v s=$((sent * 30)) -v a="$3" -v b="$4" -v d="$5" -v e="$6" \
		-v ins="$ins" '{ printf "%d %d %d %d %d %d %d %.0f\n", r - rd, c, s - (r - rd), $1 - a, $2 - b, $3 - d, $4 - e, ins }'
}

# nf RATE -> "records cpu_ticks lost"
nf() {
	rm -rf "$TMP/nf"; mkdir -p "$TMP/nf"
	NPORT=$("$PY" -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	nfcapd -b 127.0.0.1 -p "$NPORT" -w "$TMP/nf" -B 33554432 > "$TMP/nf.log" 2>&1 &
	NPID=$!; PIDS="$NPID"
	sleep 1.5
	pstat_start $NPID
	c0=$(cpu_ticks $NPID)
	sent=$("$SEND" -W -r "$1" -l "$(loops_for "$1")" "$NPORT" "$TMP/v9.pcap" | sed -n 's/^sent \([0-9]*\).*/\1/p')
	sleep 1
	c1=$(cpu_ticks $NPID)
	ins=$(pstat_stop)
	kill -TERM $NPID; wait $NPID || true; PIDS=""
	flows=$(nfdump -R "$TMP/nf" -I 2>/dev/null | sed -n 's/^Flows: *\([0-9]*\).*/\1/p' | head -1)
	[ "${flows:-0}" -gt 0 ] || { echo "bench_e2e: nfcapd run at $1 datagrams/s stored nothing" >&2; return 0; }
	echo "${flows:-0} $((c1 - c0)) $((sent * 30 - ${flows:-0})) $ins"
}

# rate -> records per CPU-second, one line per run in $TMP/res.<who>.<rate>
median() { sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
per_cpu() { awk -v hz="$HZ" '{ printf "%.2f\n", ($2 > 0 ? $1 / ($2 / hz) / 1e6 : 0) }'; }
# field F (instructions) per record, median; "" without counters
per_rec() { [ $HWI -eq 1 ] || return 0; awk -v f="$1" '{ printf "%.0f\n", ($1 > 0 ? $f / $1 : 0) }' | median; }

have_nf=0; command -v nfcapd > /dev/null && have_nf=1
[ $have_nf -eq 1 ] || echo "bench_e2e: nfcapd not installed (Debian package nfdump): no comparison"
for rate in 20000 100000; do
	shards_here=1; [ $rate -eq 100000 ] && shards_here=$SHARDS
	: > "$TMP/nf.$rate"
	for s in $shards_here; do : > "$TMP/fw.$rate.$s"; done
	for run in $(seq 1 "$RUNS"); do
		[ $have_nf -eq 0 ] || nf $rate >> "$TMP/nf.$rate"
		for s in $shards_here; do fw $rate $s >> "$TMP/fw.$rate.$s"; done
	done
	for s in $shards_here; do
		f="$TMP/fw.$rate.$s"
		runs=$(per_cpu < "$f" | tr '\n' ' ')
		med=$(per_cpu < "$f" | median)
		lost=$(awk '{ l += $3; n += $1 + $3 } END { printf "%.2f", n ? 100 * l / n : 0 }' "$f")
		thr=$(awk -v hz="$HZ" '{ rx += $4; d += $5; s += $6; o += $7; c += $2 } END {
			printf "rx %.0f%% detect %.0f%% sink %.0f%% other %.0f%% of %.2f CPU-s/run", 100*rx/c, 100*d/c, 100*s/c, 100*o/c, c/hz/NR }' "$f")
		echo "bench_e2e: $rate datagrams/s, floodwatch detector.shards=$s: $med M records/CPU-s (runs: $runs) loss $lost %; $thr"
		[ $HWI -eq 0 ] || echo "bench_e2e: $rate datagrams/s, floodwatch detector.shards=$s: $(per_rec 8 < "$f") instructions per record (perf stat, median)"
		echo "$med" > "$TMP/med.$rate.$s"
	done
	if [ $have_nf -eq 1 ]; then
		runs=$(per_cpu < "$TMP/nf.$rate" | tr '\n' ' ')
		nmed=$(per_cpu < "$TMP/nf.$rate" | median)
		lost=$(awk '{ l += $3; n += $1 + $3 } END { printf "%.2f", n ? 100 * l / n : 0 }' "$TMP/nf.$rate")
		echo "bench_e2e: $rate datagrams/s, nfcapd: $nmed M records/CPU-s (runs: $runs) loss $lost %"
		[ $HWI -eq 0 ] || echo "bench_e2e: $rate datagrams/s, nfcapd: $(per_rec 4 < "$TMP/nf.$rate") instructions per record (perf stat, median)"
		awk -v a="$(cat "$TMP/med.$rate.1")" -v b="$nmed" -v r=$rate 'BEGIN {
			printf "bench_e2e: ratio floodwatch/nfcapd at %d datagrams/s, records per CPU-second (medians): %.2fx\n", r, (b > 0 ? a / b : 0) }'
	fi
done
# Loss above the stream's rates (issue 17: a zero-loss rate at least
# nfcapd's): one run each, the same datagrams, 1 shard; the sender shares
# the two cores with the collector.
for rate in ${BENCH_E2E_LOSS_RATES:-150000 200000}; do
	fr=$(fw "$rate" 1)
	nr=""; [ $have_nf -eq 0 ] || nr=$(nf "$rate")
	echo "$fr|$nr" | awk -F'|' -v r="$rate" '{
		split($1, f, " "); split($2, n, " ")
		fl = f[1] + f[3] > 0 ? sprintf("%.2f %%", 100 * f[3] / (f[1] + f[3])) : "no records"
		nl = n[1] + n[3] > 0 ? sprintf("%.2f %%", 100 * n[3] / (n[1] + n[3])) : "not run"
		printf "bench_e2e: loss at %d datagrams/s offered: floodwatch %s, nfcapd %s\n", r, fl, nl }'
done
for s in $SHARDS; do printf "%s=%s " "$s" "$(cat "$TMP/med.100000.$s")"; done | \
	awk '{ printf "bench_e2e: scaling at 100000 datagrams/s, M records/CPU-s by detector.shards: %s\n", $0 }'
[ $HWI -eq 1 ] || echo "bench_e2e: perf stat -e instructions: no hardware counters on this machine"
# callgrind: decode + detect instructions per record of `replay`, 10 k
# datagrams less 100 (the start-up cost), independent of the machine's load.
if command -v valgrind > /dev/null; then
	"$PY" tests/bench/gen_nf9.py "$TMP/s.pcap" 10000 100000
	"$PY" tests/bench/gen_nf9.py "$TMP/t.pcap" 100 100000
	ir() {
		rm -f "$TMP"/ir.db*
		valgrind --tool=callgrind --callgrind-out-file=/dev/null "$FW" replay --set sqlite.path="$TMP/ir.db" "$1" 2>&1 |
			sed -n 's/.*I *refs: *\([0-9,]*\).*/\1/p' | tr -d ,
	}
	irs=$(ir "$TMP/s.pcap"); irt=$(ir "$TMP/t.pcap")
	awk -v s="$irs" -v t="$irt" 'BEGIN { if (s > t) printf "bench_e2e: floodwatch replay, decode + detect: %.0f instructions per record (callgrind)\n", (s - t) / 297000 }'
fi
echo "bench_e2e: load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
