#!/bin/sh
# Regenerate tests/data/pkt.expected.tsv: tshark's view of every frame of the
# captures tests/unit/check_pkt.c walks (an implementation independent of
# collector/pkt.c).
#
# Usage (from the project root): sh tests/data/gen-pkt-expected.sh > tests/data/pkt.expected.tsv
#
# One line per frame, tab-separated:
#   file  frame  kind  src  dst  sport  dport  payload_len  ttl
# kind is "udp" for a UDP datagram (then the rest are tshark's ip.src,
# ip.dst, udp.srcport, udp.dstport, udp.length - 8, ip.ttl) or "other"
# (then the rest are "-").
set -eu
for f in udpflood_nf5 udpflood_nf9 udpflood_ipfix udpflood_sflow water-torture-packets dns_udp; do
	tshark -r "tests/data/$f.pcap" -T fields -E separator=/t \
	    -e frame.number -e ip.src -e ip.dst -e udp.srcport -e udp.dstport -e udp.length -e ip.ttl 2>/dev/null |
	awk -F '\t' -v file="$f" '{
		if ($6 == "") printf "%s\t%s\tother\t-\t-\t-\t-\t-\t-\n", file, $1
		else printf "%s\t%s\tudp\t%s\t%s\t%s\t%s\t%d\t%s\n", file, $1, $2, $3, $4, $5, $6 - 8, $7
	}'
done
