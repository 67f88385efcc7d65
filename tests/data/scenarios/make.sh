#!/bin/sh
# Regenerate the detector scenario captures in this folder (deterministic
# seeds).  Needs python3-scapy, pmacct and tcpdump (Debian), root for
# tcpdump on lo.  Packet scenarios come from tests/tools/make-scenario.py
# (copied from ../shared/captures/tools) and tests/tools/make-scenario-more.py;
# flow ones are exported by pmacctd (tests/tools/export-flows.sh) and the
# exporter's datagrams recorded, as the shared captures were made.
# Usage: sh tests/data/scenarios/make.sh  (from the project root)
set -eu
T=tests/tools
D=tests/data/scenarios
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
PY=/usr/bin/python3
flow() {  # name generator vector seed attack format
	BENIGN=4800 ATTACK=$5 $PY "$2" "$3" "$4" "$W/$1.pcap"
	if [ "$6" = sflow ]; then
		bash $T/export-flows.sh "$W/$1.pcap" sflow "$W/$1.raw.pcap"
		$PY $T/retime-sflow.py "$W/$1.pcap" "$W/$1.raw.pcap" "$D/$1_sflow.pcap"
	else
		bash $T/export-flows.sh "$W/$1.pcap" "$6" "$D/$1_$6.pcap"
	fi
}
flow syn       $T/make-scenario.py  syn       11 6000  nf9
flow gre       $T/make-scenario.py  gre       12 12000 ipfix
flow amp       $T/make-scenario.py  amp       13 8000  nf9
flow ack       $T/make-scenario-more.py ack       14 8000  nf9
flow ntp       $T/make-scenario-more.py ntp       15 8000  ipfix
flow memcached $T/make-scenario-more.py memcached 26 6000  nf9
flow ssdp      $T/make-scenario-more.py ssdp      17 8000  sflow
flow carpet    $T/make-scenario-more.py carpet    18 20000 nf9
flow udp6      $T/make-scenario-more.py udp6      19 8000  nf9
flow benign    $T/make-scenario-more.py benign    20 0     nf9
for v in flash dnsflood wt; do
	BENIGN=2400 ATTACK=4000 $PY $T/make-scenario-more.py $v 21 "$D/$v.pcap"
done
ls -la "$D"
