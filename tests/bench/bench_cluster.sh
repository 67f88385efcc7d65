#!/bin/sh
# Scale-out of the detector role (issue 18): records per CPU-second per
# detector process with 1, 2 and 3 detectors in one consumer group.
# librdkafka's mock cluster (3 brokers, records topic of 12 partitions);
# one `floodwatch replay --set cluster.role=collector` publishes a fixed
# synthetic NetFlow v9 stream once (tests/bench/gen_nf9.py --even: 30
# records per datagram, 1 M spoofed sources, 8192 destinations in 4096
# /24s, so the stream spreads evenly over the 12 partitions); then for
# N = 1, 2, 3 a new consumer group (cluster.group_id, and a state topic of
# its own: a checkpoint names the offset to resume at, so each run reads
# the topic from its start) of N detector daemons, started together,
# consumes it until their `cluster: ... records=` counters add up to
# exactly what was published (more or less fails the run: the mock cluster
# keeps only about 5 MiB per partition and silently drops older messages).
# Default cluster.checkpoint_ms.  Two CPU figures per detector:
# - steady: from its `cluster: caught up on N owned partitions` line(s),
#   the CPU of the whole process (all threads, librdkafka's too) from its
#   first record to the end of its last partition: the per-record cost;
# - whole: CPU of the process from its "ready" line to the end
#   (/proc/PID/stat), also the join, the restores, the rebalances and the
#   checkpoints; whole - steady is the one-time cost of the member.
# Records/CPU-s of each detector, their mean and its ratio to 1 detector,
# and the group's total records per wall-clock second.  On a machine with
# fewer cores than detectors the processes share cores: per CPU-second is
# what stays comparable.  Loopback only, bounded: BENCH_CLUSTER_DATAGRAMS
# datagrams (default 115000: 3.45 M records, about 290 k per
# partition; 6 M records left 3.9 M in the mock), each run at most 300 s.
set -eu
cd "$(dirname "$0")/../.."
TMP=$(mktemp -d /tmp/fwcluster.XXXXXX)
[ "$(id -u)" -ne 0 ] || { chgrp nogroup "$TMP" && chmod 0770 "$TMP"; }
PIDS=""
stop_all() { for p in $PIDS; do kill -9 "$p" 2>/dev/null || true; done; PIDS=""; }
trap 'stop_all; rm -rf "$TMP"' EXIT
PY=/usr/bin/python3; [ -x "$PY" ] || PY=python3
DG=${BENCH_CLUSTER_DATAGRAMS:-115000}
FW=${BENCH_CLUSTER_FW:-./floodwatch}
make -s build/o/tools/kafka_mock >/dev/null
MOCK=build/o/tools/kafka_mock
HZ=$(getconf CLK_TCK)
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
wait_for() {  # FILE PATTERN [tenths of a second]
	i=0
	while ! grep -q "$2" "$1" 2>/dev/null; do
		i=$((i + 1)); [ $i -lt "${3:-300}" ] || { echo "bench_cluster: timed out waiting for '$2' in $1" >&2; tail -n 5 "$1" >&2; exit 1; }
		sleep 0.1
	done
}

"$PY" tests/bench/gen_nf9.py --even "$TMP/v9.pcap" "$DG" 5000
"$MOCK" -b 3 -t floodwatch.records:12 -t bench.state1:4 -t bench.state2:4 -t bench.state3:4 -t floodwatch.alerts:4 -f "$TMP/boot" \
	> /dev/null 2> "$TMP/mock.log" &
PIDS="$PIDS $!"
wait_for "$TMP/boot" ":"
BOOT=$(cat "$TMP/boot")
T0=$(date +%s.%N)
"$FW" replay --set cluster.role=collector --set cluster.member_name=bench --set kafka.brokers="$BOOT" \
	--set sqlite.path="$TMP/col.db" "$TMP/v9.pcap" > "$TMP/col.out" 2>&1 || { cat "$TMP/col.out"; exit 1; }
T1=$(date +%s.%N)
PUB=$(sed -n 's/.*publish: \([0-9]*\) records taken, \([0-9]*\) published.*/\2/p' "$TMP/col.out")
[ -n "$PUB" ] && [ "$PUB" -gt 0 ] || { cat "$TMP/col.out"; exit 1; }
echo "cluster: collector published $PUB records to 12 partitions in $(echo "$T1 - $T0" | bc) s (mock cluster, 3 brokers; $(nproc) cores)"

# records NAME: the last records= counter the detector logged.
records() { sed -n 's/.*cluster: partitions=.* records=\([0-9]*\) .*/\1/p' "$TMP/$1.log" | tail -n 1; }
# caught NAME: "records CPU-s lines" summed over its catch-up lines.
caught() {
	sed -n 's/.*cluster: caught up on .*: \([0-9]*\) records in .* s, \([0-9.]*\) CPU-s of the process.*/\1 \2/p' "$TMP/$1.log" |
		awk '{ r += $1; c += $2; n++ } END { printf "%d %.3f %d\n", r, c, n }'
}
# ratio X BASE
ratio() { echo "scale=2; $1 / $2" | bc; }

BASE_S=""; BASE_W=""
for N in 1 2 3; do
	DPIDS=""; NAMES=""
	W0=$(date +%s.%N)
	# All together, so that they join one assignment where they can (the
	# mock's first join waits 3 s for more members, as a broker does).
	for m in $(seq 1 "$N"); do
		name=g$N.d$m
		"$FW" run --set cluster.role=detector --set cluster.group_id="bench-$N" --set cluster.state_topic="bench.state$N" --set cluster.member_name="$name" \
			--set sqlite.path="$TMP/$name.db" --set kafka.brokers="$BOOT" --set stats.interval_ms=1000 \
			--set http.listen= --set detector.state_file= > "$TMP/$name.log" 2>&1 &
		pid=$!
		PIDS="$PIDS $pid"; DPIDS="$DPIDS $pid"; NAMES="$NAMES $name"
	done
	m=0
	for pid in $DPIDS; do
		m=$((m + 1))
		wait_for "$TMP/g$N.d$m.log" "ready;" 100
		eval "READY_$m=\$(cpu_ticks $pid)"
	done
	# Until the counters add up to what was published and every member's
	# catch-up lines account for all it took.
	i=0
	while :; do
		sum=0; done_=1
		for name in $NAMES; do
			n=$(records "$name"); sum=$((sum + ${n:-0}))
			set -- $(caught "$name")
			[ "$1" -eq "${n:-0}" ] && [ "$3" -gt 0 ] || done_=0
		done
		[ "$sum" -lt "$PUB" ] || [ "$done_" -eq 0 ] || break
		[ "$done_" -eq 0 ] || { echo "bench_cluster: $N detectors reached the end of every partition with $sum of $PUB records: the mock cluster dropped the oldest (lower BENCH_CLUSTER_DATAGRAMS)" >&2; exit 1; }
		[ "$sum" -le "$PUB" ] || { echo "bench_cluster: $N detectors took $sum records, more than the $PUB published" >&2; exit 1; }
		i=$((i + 1)); [ $i -lt 3000 ] || { echo "bench_cluster: $N detectors took $sum of $PUB records in 300 s" >&2; exit 1; }
		sleep 0.1
	done
	[ "$sum" -eq "$PUB" ] || { echo "bench_cluster: $N detectors took $sum records, not the $PUB published" >&2; exit 1; }
	W1=$(date +%s.%N)
	k=0; line=""; srates=""; wrates=""
	for pid in $DPIDS; do
		k=$((k + 1))
		eval "r0=\$READY_$k"
		t=$(cpu_ticks "$pid")
		name=g$N.d$k
		n=$(records "$name")
		set -- $(caught "$name")
		scpu=$2
		wcpu=$(echo "scale=3; ($t - $r0) / $HZ" | bc)
		srate=$(echo "scale=0; if ($scpu > 0) $n / $scpu else 0" | bc)
		wrate=$(echo "scale=0; if ($t - $r0 > 0) $n * $HZ / ($t - $r0) else 0" | bc)
		once=$(echo "$wcpu - $scpu" | bc)
		srates="$srates $srate"; wrates="$wrates $wrate"
		line="$line
  d$k: $n rec; steady $scpu CPU-s, $srate rec/CPU-s; whole $wcpu CPU-s, $wrate rec/CPU-s; one-time $once CPU-s"
	done
	MS=$(echo "$srates" | awk '{ s = 0; for (i = 1; i <= NF; i++) s += $i; printf "%d", s / NF }')
	MW=$(echo "$wrates" | awk '{ s = 0; for (i = 1; i <= NF; i++) s += $i; printf "%d", s / NF }')
	[ -n "$BASE_S" ] || { BASE_S=$MS; BASE_W=$MW; }
	WALL=$(echo "$W1 - $W0" | bc)
	echo "cluster: $N detector(s):$line"
	echo "  mean steady $MS rec/CPU-s per detector ($(ratio "$MS" "$BASE_S") x 1 detector); mean whole $MW rec/CPU-s ($(ratio "$MW" "$BASE_W") x 1 detector); group $(echo "scale=0; $PUB / $WALL" | bc) rec/s wall"
	for pid in $DPIDS; do kill -TERM "$pid" 2>/dev/null || true; done
	for pid in $DPIDS; do wait "$pid" 2>/dev/null || true; done
done
