#!/bin/sh
# The live NFLOG path: DNS packets sent to 127.0.0.1:53 inside a network
# namespace made for this run, copied to an NFLOG group by an nftables rule,
# read by ./floodwatch run (libnetfilter_log -> DNS parse -> ring -> detector).
# Prints the highest tried rate with zero loss in records/s.  Needs root;
# skipped (with a line saying so) where namespaces cannot be made.
set -eu
cd "$(dirname "$0")/../.."
NS=fwbench$$
TMP=$(mktemp -d /tmp/fwnfl.XXXXXX)
# Started as root, `run` switches to nobody:nogroup (general.user), which must
# be able to write the database's directory.
[ "$(id -u)" -ne 0 ] || { chgrp nogroup "$TMP" && chmod 0770 "$TMP"; }
FWPID=""
trap '[ -z "$FWPID" ] || kill $FWPID 2>/dev/null || true; ip netns del $NS 2>/dev/null || true; rm -rf "$TMP"' EXIT
if ! ip netns add $NS 2>/dev/null; then
	echo "bench_nflog: skipped (cannot create a network namespace here)"
	exit 0
fi
make -s build/o/tools/sendpcap >/dev/null
ip -n $NS link set lo up
ip netns exec $NS nft -f - <<'NFT'
table inet fwbench {
  chain out { type filter hook output priority 0; udp dport 53 log group 9; }
}
NFT
CAP=tests/data/water-torture-packets.pcap
LOOPS=60
best=0
for rate in 50000 100000 200000 400000; do
	ip netns exec $NS ./floodwatch run --set sqlite.path="$TMP/n.db" --set dns.nflog_group=9 \
		--set listen.netflow=127.0.0.1:0 --set listen.ipfix=127.0.0.1:0 --set listen.sflow=127.0.0.1:0 \
		--set flow.template_state= --set detector.state_file= > "$TMP/n.log" 2>&1 &
	FWPID=$!
	i=0; until grep -q "ready;" "$TMP/n.log"; do i=$((i+1)); [ $i -lt 100 ] || exit 1; sleep 0.1; done
	t0=$(date +%s.%N)
	sent=$(ip netns exec $NS build/o/tools/sendpcap -r $rate -l $LOOPS 53 $CAP | sed -n 's/sent \([0-9]*\).*/\1/p')
	t1=$(date +%s.%N)
	sleep 1
	kill -TERM $FWPID; wait $FWPID || true; FWPID=""
	line=$(grep "nflog:" "$TMP/n.log" | tail -1)
	packets=$(echo "$line" | sed -n 's/.*packets=\([0-9]*\).*/\1/p')
	records=$(echo "$line" | sed -n 's/.* records=\([0-9]*\).*/\1/p')
	if [ "$packets" = "$sent" ] && echo "$line" | grep -q "kernel_drops=0 ring_drops=0"; then
		best=$(awk -v n="$records" -v a=$t0 -v b=$t1 'BEGIN{printf "%.0f", n/(b-a)}')
	else
		echo "bench_nflog: at $rate packets/s: loss (sent $sent; $line)"
		break
	fi
done
echo "bench_nflog: NFLOG DNS path: $best DNS records/s with zero loss (highest rate tried; sender on the same 2 cores)"
