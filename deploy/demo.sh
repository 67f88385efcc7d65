#!/bin/sh
# `make demo`: replay the bundled attack captures into a fresh demo database
# and print the alerts table, as a first look at what Floodwatch reports.
set -eu
cd "$(dirname "$0")/.."
db=./var/demo.db
mkdir -p var
rm -f "$db" "$db-wal" "$db-shm"
# One UDP flood seen through NetFlow v5 and through 1-in-1000 sampled sFlow,
# Mirai-style DNS water torture as packets and as a BIND query log, and a
# few more vectors.  Each file is a separate replay (their times overlap).
for cap in tests/data/udpflood_nf5.pcap tests/data/udpflood_sflow_1in1000.pcap \
    tests/data/water-torture-packets.pcap tests/data/scenarios/syn_nf9.pcap \
    tests/data/scenarios/ntp_ipfix.pcap tests/data/scenarios/carpet_nf9.pcap; do
	echo "== floodwatch replay $cap"
	./floodwatch replay --set sqlite.path="$db" "$cap" | grep -E "datagrams:|lines:|frames:|^alerts:"
	echo
done
echo "== floodwatch alerts --db $db"
./floodwatch alerts --db "$db"
