#!/bin/sh
# `make demo`: replay the bundled attack captures into a fresh demo database
# and print the alerts table, as a first look at what Floodwatch reports.
set -eu
cd "$(dirname "$0")/.."
db=./var/demo.db
mkdir -p var
rm -f "$db" "$db-wal" "$db-shm"
for cap in tests/data/udpflood_nf5.pcap; do
	echo "== floodwatch replay $cap"
	./floodwatch replay --set sqlite.path="$db" "$cap"
	echo
done
echo "== floodwatch alerts --db $db"
./floodwatch alerts --db "$db"
