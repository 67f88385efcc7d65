#!/bin/sh
# Scale-out of the detector role (issue 18): records per CPU-second per
# detector process with 1, 2 and 3 detectors in one consumer group.
# librdkafka's mock cluster (3 brokers, records topic of 12 partitions);
# one `floodwatch replay --set cluster.role=collector` publishes a fixed
# synthetic NetFlow v9 stream once (tests/bench/gen_nf9.py: 30 records per
# datagram, 1 M spoofed sources, 500 destinations, a UDP flood); then for
# N = 1, 2, 3 a new consumer group (cluster.group_id, and a state topic of
# its own: a checkpoint names the offset to resume at, so each run reads
# the topic from its start) of N detector daemons consumes it until their
# `cluster: ... records=` counters add up to what was published.  CPU
# seconds of each whole process (all threads, librdkafka's too) from
# /proc/PID/stat, counted from its "ready" line: records/CPU-s of each
# detector, their mean and its ratio to 1 detector, and the group's total
# records per wall-clock second.  On a machine with fewer cores than
# detectors the processes share cores: per CPU-second is what stays
# comparable.  Loopback only, bounded: BENCH_CLUSTER_DATAGRAMS datagrams
# (default 35000: 1.05 M records; the mock cluster keeps about 5 MiB per
# partition and drops older messages, and the flood's partition holds a
# third of the stream), each run at most 300 s.
set -eu
cd "$(dirname "$0")/../.."
TMP=$(mktemp -d /tmp/fwcluster.XXXXXX)
[ "$(id -u)" -ne 0 ] || { chgrp nogroup "$TMP" && chmod 0770 "$TMP"; }
PIDS=""
stop_all() { for p in $PIDS; do kill -9 "$p" 2>/dev/null || true; done; PIDS=""; }
trap 'stop_all; rm -rf "$TMP"' EXIT
PY=/usr/bin/python3; [ -x "$PY" ] || PY=python3
DG=${BENCH_CLUSTER_DATAGRAMS:-35000}
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

"$PY" tests/bench/gen_nf9.py "$TMP/v9.pcap" "$DG" 5000
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

BASE=""
for N in 1 2 3; do
	DPIDS=""; NAMES=""
	W0=$(date +%s.%N)
	for m in $(seq 1 "$N"); do
		name=g$N.d$m
		"$FW" run --set cluster.role=detector --set cluster.group_id="bench-$N" --set cluster.state_topic="bench.state$N" --set cluster.member_name="$name" \
			--set sqlite.path="$TMP/$name.db" --set kafka.brokers="$BOOT" --set stats.interval_ms=1000 \
			--set http.listen= --set detector.state_file= > "$TMP/$name.log" 2>&1 &
		pid=$!
		PIDS="$PIDS $pid"; DPIDS="$DPIDS $pid"; NAMES="$NAMES $name"
		wait_for "$TMP/$name.log" "ready;"
		eval "READY_$m=\$(cpu_ticks $pid)"
	done
	i=0
	while :; do
		sum=0
		for name in $NAMES; do n=$(records "$name"); sum=$((sum + ${n:-0})); done
		[ "$sum" -lt "$PUB" ] || break
		i=$((i + 1)); [ $i -lt 3000 ] || { echo "bench_cluster: $N detectors took $sum of $PUB records in 300 s" >&2; exit 1; }
		sleep 0.1
	done
	W1=$(date +%s.%N)
	k=0; line=""; rates=""
	for pid in $DPIDS; do
		k=$((k + 1))
		eval "r0=\$READY_$k"
		t=$(cpu_ticks "$pid")
		name=g$N.d$k
		n=$(records "$name")
		cpu=$(echo "scale=3; ($t - $r0) / $HZ" | bc)
		rate=$(echo "scale=0; if ($t - $r0 > 0) $n * $HZ / ($t - $r0) else 0" | bc)
		rates="$rates $rate"
		line="$line  d$k: ${n} rec ${cpu} CPU-s ${rate} rec/CPU-s;"
	done
	MEAN=$(echo "$rates" | awk '{ s = 0; for (i = 1; i <= NF; i++) s += $i; printf "%d", s / NF }')
	[ -n "$BASE" ] || BASE=$MEAN
	WALL=$(echo "$W1 - $W0" | bc)
	echo "cluster: $N detector(s):$line mean $MEAN rec/CPU-s per detector ($(echo "scale=2; $MEAN / $BASE" | bc) x 1 detector); group $(echo "scale=0; $PUB / $WALL" | bc) rec/s wall"
	for pid in $DPIDS; do kill -TERM "$pid" 2>/dev/null || true; done
	for pid in $DPIDS; do wait "$pid" 2>/dev/null || true; done
done
