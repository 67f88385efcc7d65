#!/bin/sh
# Regenerate the expected values the DNS unit tests compare against, from
# tools independent of our code: tshark for the pcaps, awk + date for the
# BIND query log.  Run from the project root: sh tests/data/gen-dns-expected.sh
# Needs tshark (Debian package tshark) and GNU date.
set -eu
d=tests/data

# One line per DNS message tshark recognises:
# frame id flags(hex) qname qtype qclass qd an ns ar edns_udp_size edns_do
for f in dns_udp dns_udp_2 edns-opts dns-badlabel; do
	tshark -r "$d/$f.pcap" -Y dns -T fields -E occurrence=f \
	    -e frame.number -e dns.id -e dns.flags -e dns.qry.name -e dns.qry.type \
	    -e dns.qry.class -e dns.count.queries -e dns.count.answers \
	    -e dns.count.auth_rr -e dns.count.add_rr -e dns.rr.udp_payload_size \
	    -e dns.resp.z.do 2>/dev/null | sed "s/^/$f\t/"
done > "$d/dns-tcpdump.expected"

# Water torture: frame, qname, qtype, QR for every packet tshark calls DNS.
tshark -r "$d/water-torture-packets.pcap" -Y dns -T fields -E occurrence=f \
    -e frame.number -e dns.qry.name -e dns.qry.type -e dns.flags.response \
    2>/dev/null > "$d/water-torture-packets.expected"

# BIND query log: qname (lower-cased) type client port server, per query line,
# taken by field position after "query:"; then the UTC ms of the first and
# last line's print-time as date(1) reads it (the log was written in UTC).
awk '{
	for (i = 1; i <= NF; i++) if ($i == "query:") break;
	if (i > NF) next;
	for (j = 1; j < i; j++) if ($j ~ /#[0-9]+$/) break;
	split($j, cp, "#");
	srv = $(i + 5); gsub(/[()]/, "", srv);
	print tolower($(i + 1)) "\t" $(i + 3) "\t" cp[1] "\t" cp[2] "\t" srv "\t" $(i + 4)
}' "$d/bind-querylog.log" > "$d/bind-querylog.expected"
first=$(head -1 "$d/bind-querylog.log" | awk '{print $1, $2}')
last=$(tail -1 "$d/bind-querylog.log" | awk '{print $1, $2}')
ms() {  # "25-Nov-2026 00:41:15.366" -> ms since the epoch, UTC
	s=$(TZ=UTC date -d "${1%.*}" +%s); echo "$s${1##*.}"
}
printf 'first_ms\t%s\nlast_ms\t%s\nlines\t%s\n' "$(ms "$first")" "$(ms "$last")" \
    "$(grep -c ' query: ' "$d/bind-querylog.log")" > "$d/bind-querylog.times"
