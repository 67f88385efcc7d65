#!/bin/sh
# End to end over loopback: NetFlow v5 datagrams sent by tests/tools/sendpcap
# (sendmmsg, paced) -> ./floodwatch run (recvmmsg -> decode -> ring ->
# detector -> SQLite).  Prints the highest tried rate with zero loss, in
# records/s, and Floodwatch's CPU cost per record next to nfcapd's (Debian
# nfdump) for the same datagrams at the same rate: the ratio is records per
# CPU-second, Floodwatch / nfcapd.  Bounded: a few seconds per rate.
set -eu
cd "$(dirname "$0")/../.."
TMP=$(mktemp -d /tmp/fwe2e.XXXXXX)
# Started as root, `run` switches to nobody:nogroup (general.user), which must
# be able to write the database's directory.
[ "$(id -u)" -ne 0 ] || { chgrp nogroup "$TMP" && chmod 0770 "$TMP"; }
PIDS=""
trap 'for p in $PIDS; do kill $p 2>/dev/null || true; done; rm -rf "$TMP"' EXIT
PY=/usr/bin/python3; [ -x "$PY" ] || PY=python3
N=${BENCH_E2E_RECORDS:-1200000}
"$PY" tests/bench/gen_nf5.py "$TMP/e2e.pcap" "$N" 300
make -s build/o/tools/sendpcap >/dev/null
SEND=build/o/tools/sendpcap
DGRAMS=$(( (N + 29) / 30 ))

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
# CPU ticks of the collector threads only (named fw-rx-*): the work nfcapd also does.
rx_ticks() { cat /proc/$1/task/*/stat 2>/dev/null | awk '$2 ~ /^\(fw-rx-/ {t += $14 + $15} END {print t + 0}'; }
HZ=$(getconf CLK_TCK)

best=0; best_cpu=""
for rate in 20000 40000 60000; do  # datagrams/s (x30 records)
	rm -f "$TMP"/fw.db*
	./floodwatch run --set sqlite.path="$TMP/fw.db" --set listen.netflow=127.0.0.1:0 --set listen.ipfix=127.0.0.1:0 \
		--set listen.sflow=127.0.0.1:0 --set flow.template_state= > "$TMP/fw.log" 2>&1 &
	FWPID=$!; PIDS="$FWPID"
	i=0; until grep -q "ready;" "$TMP/fw.log"; do i=$((i+1)); [ $i -lt 100 ] || exit 1; sleep 0.1; done
	PORT=$(sed -n 's/.*listening: netflow 127.0.0.1:0 (port \([0-9]*\)).*/\1/p' "$TMP/fw.log")
	c0=$(cpu_ticks $FWPID); r0=$(rx_ticks $FWPID); t0=$(date +%s.%N)
	"$SEND" -r $rate "$PORT" "$TMP/e2e.pcap" > /dev/null
	t1=$(date +%s.%N)
	sleep 1
	c1=$(cpu_ticks $FWPID); r1=$(rx_ticks $FWPID)
	kill -TERM $FWPID; wait $FWPID || true; PIDS=""
	line=$(grep "datagrams=" "$TMP/fw.log" | tail -1)
	if echo "$line" | grep -q "datagrams=$DGRAMS kernel_drops=0 records=$N ring_drops=0"; then
		best=$(awk -v n=$N -v a=$t0 -v b=$t1 'BEGIN{printf "%.0f", n/(b-a)}')
		best_cpu=$(awk -v n=$N -v c=$((c1 - c0)) -v hz=$HZ 'BEGIN{printf "%.2f", n/(c/hz)/1e6}')
		fw_ticks=$((c1 - c0)); rx=$((r1 - r0)); fw_rate=$rate
	else
		echo "bench_e2e: at $rate datagrams/s: loss ($line)"
		break
	fi
done
echo "bench_e2e: floodwatch: $best records/s end to end with zero loss (highest rate tried); $best_cpu M records per CPU-second (all threads: receive, decode, detect, store)"

# nfcapd (Debian nfdump) on the same datagrams at the same rate.
if command -v nfcapd >/dev/null && [ -n "${fw_rate:-}" ]; then
	mkdir -p "$TMP/nf"
	NPORT=$("$PY" -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	nfcapd -b 127.0.0.1 -p "$NPORT" -w "$TMP/nf" -B 33554432 > "$TMP/nf.log" 2>&1 &
	NPID=$!; PIDS="$NPID"
	sleep 1
	c0=$(cpu_ticks $NPID)
	"$SEND" -r $fw_rate "$NPORT" "$TMP/e2e.pcap" > /dev/null
	sleep 1
	c1=$(cpu_ticks $NPID)
	kill -TERM $NPID; wait $NPID || true; PIDS=""
	flows=$(nfdump -R "$TMP/nf" -I 2>/dev/null | sed -n 's/^Flows: *\([0-9]*\).*/\1/p' | head -1)
	nf_ticks=$((c1 - c0)); [ $nf_ticks -gt 0 ] || nf_ticks=1; [ $fw_ticks -gt 0 ] || fw_ticks=1; [ $rx -gt 0 ] || rx=1
	awk -v n=$N -v f=$fw_ticks -v r=$rx -v c=$nf_ticks -v hz=$HZ -v got="${flows:-?}" 'BEGIN {
		printf "bench_e2e: nfcapd: %.2f M records per CPU-second (stored %s of %d records)\n", n/(c/hz)/1e6, got, n;
		printf "bench_e2e: floodwatch collector threads alone (recvmmsg + decode + ring): %.2f M records per CPU-second\n", n/(r/hz)/1e6;
		printf "bench_e2e: ratio floodwatch/nfcapd, records per CPU-second: collector threads %.1fx, whole daemon %.1fx\n", c / r, c / f }'
fi
