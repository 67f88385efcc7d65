#!/bin/sh
# Regenerate tests/data/<capture>.expected.tsv for the NetFlow v9 / IPFIX
# captures with tshark (an independent decoder), for tests/unit/check_nf9.c.
# One line per flow record, in capture order:
#   frame  src  dst  sport  dport  proto  packets  bytes  start_ms  end_ms
# Times are Unix milliseconds (tshark prints flowStart/EndMilliseconds as
# UTC dates; they are converted here).  The exporters sent to a random port,
# so the port is read from the first packet and passed to -d ...,cflow.
# Usage: sh tests/data/gen-nf9-expected.sh   (from anywhere; needs tshark, python3)
#
# Provenance: udpflood_nf9.pcap and udpflood_ipfix.pcap are copied unchanged
# from the shared captures (flows/, see its README): pmacctd nfprobe exporting
# the UDP-flood scenario as NetFlow v9 / IPFIX, 545 datagrams each, templates
# 1024/1025 (IPv4) and 2048/2049 (IPv6), 4200 records, flowStart/End-
# Milliseconds (152/153) and 8-byte counters.  Expected files made with
# TShark 4.0.17 (Debian 12).
set -eu
cd "$(dirname "$0")"
for cap in udpflood_nf9 udpflood_ipfix; do
	port=$(tshark -r "$cap.pcap" -c 1 -T fields -e udp.dstport 2>/dev/null)
	tshark -r "$cap.pcap" -d "udp.port==$port,cflow" -T fields \
	    -E separator=/t -E aggregator=, \
	    -e frame.number -e cflow.srcaddr -e cflow.dstaddr -e cflow.srcport \
	    -e cflow.dstport -e cflow.protocol -e cflow.packets -e cflow.octets \
	    -e cflow.abstimestart -e cflow.abstimeend 2>/dev/null |
	python3 -c '
import sys, calendar, time
for line in sys.stdin:
    cols = line.rstrip("\n").split("\t")
    if len(cols) < 10 or cols[1] == "":
        continue  # template-only datagram
    lists = [c.split(",") if i < 8 else None for i, c in enumerate(cols)]
    # dates contain a comma ("Nov 14, 2023 ..."): split on " UTC,"
    for i in (8, 9):
        lists[i] = [d.strip() for d in cols[i].replace(" UTC,", " UTC|").split("|")]
    n = len(lists[1])
    for l in lists[1:]:
        if len(l) != n:
            sys.exit("frame %s: field counts differ" % cols[0])
    def ms(d):
        d = d.replace(" UTC", "")
        base, frac = d.split(".")
        t = calendar.timegm(time.strptime(base, "%b %d, %Y %H:%M:%S"))
        return t * 1000 + int(frac[:3].ljust(3, "0"))
    for k in range(n):
        print("\t".join([cols[0]] + [lists[i][k] for i in range(1, 8)] +
                        [str(ms(lists[8][k])), str(ms(lists[9][k]))]))
' > "$cap.expected.tsv"
	echo "$cap: $(wc -l < "$cap.expected.tsv") records (port $port)"
done
