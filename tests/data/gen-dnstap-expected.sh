#!/bin/sh
# Regenerate tests/data/bind-dnstap.expected, the values check_dnstap compares
# the dnstap decoder against, from BIND's own dnstap-read (Debian package
# bind9-dnsutils), not from our code.  Run from the project root:
#   sh tests/data/gen-dnstap-expected.sh
#
# One line per dnstap message, in file order, tab-separated:
#   kind time_ms client client_port server server_port proto qname class type rcode
# kind is Q (a *_QUERY message) or R (a *_RESPONSE message); time_ms is the
# query time for Q and the response time for R, as dnstap-read prints it
# (milliseconds, UTC because TZ=UTC) turned into ms since the epoch by awk's
# mktime; client is the query_address, server the response_address; qname is
# lower-cased without the trailing dot; rcode is the response's status
# mnemonic (NOERROR, NXDOMAIN, ...) or "-" for queries.
#
# The plain output gives time, addresses and question; the YAML output
# (-y) gives the status.  Both list the messages in the same order, which the
# script checks by comparing the message type mnemonics.
set -eu
d=tests/data
f=$d/bind-dnstap.fstrm
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

TZ=UTC dnstap-read "$f" > "$tmp/plain"
TZ=UTC dnstap-read -y "$f" > "$tmp/yaml"

# YAML: "  type: CLIENT_RESPONSE" (the message type), then in the
# *_message_data block "    status: NXDOMAIN".  A query's status is not an
# rcode we report, so only response statuses are kept.
awk '
/^  type: / { t = $2; next }
/^  response_message_data:/ { inresp = 1; next }
/^  query_message_data:/ { inresp = 0; next }
/^    status: / { if (inresp) st = $2; next }
/^---/ { print t "\t" (t ~ /_RESPONSE$/ ? st : "-"); t = ""; st = "-"; inresp = 0 }
END { if (t != "") print t "\t" (t ~ /_RESPONSE$/ ? st : "-") }
' "$tmp/yaml" > "$tmp/status"

# Plain: "25-Nov-2026 00:40:52.322 AQ 127.0.0.1:36780 -> 127.0.0.1:5353 UDP 37b
# mail.victim.example/IN/MX" (IPv6 addresses would be bracketed).
TZ=UTC awk -v statf="$tmp/status" '
BEGIN {
	split("Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec", mn, " ")
	for (i = 1; i <= 12; i++) mon[mn[i]] = i
}
function hostport(s, out,   i) {
	i = match(s, /:[0-9]+$/)
	out["h"] = substr(s, 1, i - 1); out["p"] = substr(s, i + 1)
	gsub(/[][]/, "", out["h"])
}
{
	if ((getline sl < statf) <= 0) { print "status list too short" > "/dev/stderr"; exit 1 }
	split(sl, sv, "\t")
	split($1, dt, "-"); split($2, tm, /[:.]/)
	s = mktime(dt[3] " " mon[dt[2]] " " dt[1] " " tm[1] " " tm[2] " " tm[3])
	ms = s * 1000 + tm[4]
	kind = substr($3, 2, 1)
	# The mnemonic ends in Q or R; the YAML type must agree.
	if ((kind == "Q") != (sv[1] ~ /_QUERY$/)) { print "order mismatch at " NR > "/dev/stderr"; exit 1 }
	hostport($4, c); hostport($6, sv2)
	n = split($9, q, "/")
	name = q[1]; for (i = 2; i <= n - 2; i++) name = name "/" q[i]
	name = tolower(name); sub(/\.$/, "", name); if (name == "") name = "."
	printf "%s\t%.0f\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", kind, ms, c["h"], c["p"],
	    sv2["h"], sv2["p"], $7, name, q[n - 1], q[n], sv[2]
}' "$tmp/plain" > "$d/bind-dnstap.expected"
wc -l < "$d/bind-dnstap.expected" | sed 's/^/messages: /'
