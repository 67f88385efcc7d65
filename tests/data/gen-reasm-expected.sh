#!/bin/sh
# DNS messages per (capture, qname, qtype, direction) in captures of DNS over
# IP fragments and over TCP, as tshark decodes them (it reassembles IP
# fragments and TCP streams by default).  A frame holding several messages
# lists each field once per message.  Needs tshark; run from the project root.
#
#   sh tests/data/gen-reasm-expected.sh
#       the synthetic captures (make-dns-reasm-synth.py) into
#       tests/data/dns-reasm.expected (committed)
#   sh tests/data/gen-reasm-expected.sh DIR OUT
#       the public captures of dnscap and Zeek found in DIR (not committed,
#       tests/data/README.md) into OUT; integration/dns_reasm.sh runs this
#       when it finds them
set -eu
if [ $# -eq 0 ]; then
	dir=tests/data out=tests/data/dns-reasm.expected
	names="reasm-frag4 reasm-frag6 reasm-tcp-lenseg reasm-tcp-many1seg reasm-tcp-split reasm-tcp-gap
	    reasm-tcp-nosyn reasm-tcp-keepalive"
else
	dir=$1 out=$2
	names="dnscap-frags zeek-ipv6-fragmented-dns dnscap-dnso1tcp dnscap-dnsotcp-many1pkt
	    dnscap-dnsotcp-manyopkts dnscap-dnso1tcp-midmiss dnscap-1qtcpnosyn zeek-dns-edns-tcp-keepalive"
fi
for f in $names; do
	tshark -r "$dir/$f.pcap" -Y dns -T fields -E occurrence=a -E aggregator=';' \
	    -e dns.qry.name -e dns.qry.type -e dns.flags.response 2>/dev/null |
	awk -F'\t' -v f="$f" '{
		n = split($1, q, ";"); split($2, t, ";"); split($3, r, ";");
		for (i = 1; i <= n; i++) print f "\t" tolower(q[i]) "\t" t[i] "\t" (r[i] == "1" || r[i] == "True" ? "response" : "query")
	}'
done | sort | uniq -c | awk '{ print $2 "\t" $3 "\t" $4 "\t" $5 "\t" $1 }' > "$out"
