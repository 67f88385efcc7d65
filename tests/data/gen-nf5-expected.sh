#!/bin/sh
# Regenerate tests/data/udpflood_nf5.expected.tsv from tshark's NetFlow v5
# dissection (an implementation independent of collector/nf5.c).
#
# Usage: tests/data/gen-nf5-expected.sh [CAPTURE] > tests/data/udpflood_nf5.expected.tsv
#
# One line per flow record, tab-separated:
#   frame  index  srcaddr  dstaddr  srcport  dstport  protocol  packets  octets
#   tcpflags  tos (hex as tshark prints them)  inputint  outputint  start_ms  end_ms
# frame is tshark's 1-based frame number, index the record's position in its
# datagram.  start_ms/end_ms are absolute Unix milliseconds computed here from
# tshark's header fields: unix_secs*1000 + unix_nsecs/1e6 - (sysUptime - First/Last).
# The capture's exporter used a random UDP port, so it is read from the first
# packet and handed to tshark with -d udp.port==PORT,cflow.
set -eu
cap=${1:-tests/data/udpflood_nf5.pcap}
port=$(tshark -r "$cap" -c 1 -T fields -e udp.dstport 2>/dev/null)
[ -n "$port" ] || { echo "gen-nf5-expected: no UDP in $cap" >&2; exit 1; }
tshark -r "$cap" -d "udp.port==$port,cflow" -T fields -E separator=/t -E occurrence=a -E aggregator=, \
    -e frame.number -e cflow.version -e cflow.count -e cflow.sysuptime -e cflow.unix_secs -e cflow.unix_nsecs \
    -e cflow.srcaddr -e cflow.dstaddr -e cflow.srcport -e cflow.dstport -e cflow.protocol \
    -e cflow.packets -e cflow.octets -e cflow.tcpflags -e cflow.tos -e cflow.inputint -e cflow.outputint \
    -e cflow.timestart -e cflow.timeend 2>/dev/null |
awk -F '\t' '
# Seconds with a decimal fraction -> integer milliseconds, exactly (no floats).
function ms(t,   a, frac) {
	split(t, a, ".")
	frac = substr(a[2] "000", 1, 3)
	return a[1] * 1000 + frac
}
{
	if ($2 != 5) { printf "frame %s: not NetFlow v5\n", $1 > "/dev/stderr"; exit 1 }
	up = ms($4)
	export_ms = $5 * 1000 + int($6 / 1000000)
	n = split($7, src, ","); split($8, dst, ","); split($9, sp, ","); split($10, dp, ",")
	split($11, pr, ","); split($12, pk, ","); split($13, oc, ","); split($14, fl, ",")
	split($15, tos, ","); split($16, ii, ","); split($17, oi, ","); split($18, ts, ",")
	split($19, te, ",")
	if (n != $3) { printf "frame %s: %d records, count %s\n", $1, n, $3 > "/dev/stderr"; exit 1 }
	for (i = 1; i <= n; i++)
		printf "%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%.0f\t%.0f\n", $1, i - 1,
		    src[i], dst[i], sp[i], dp[i], pr[i], pk[i], oc[i], fl[i], tos[i], ii[i], oi[i],
		    export_ms - (up - ms(ts[i])), export_ms - (up - ms(te[i]))
}'
