#!/bin/sh
# exabgp-blackhole.sh - floodwatch notify hook: RTBH (remote triggered black
# hole) through ExaBGP.  For a host victim of a flood vector it announces
#     announce route VICTIM/32 next-hop 192.0.2.1 community 65535:666
# on start (and again on each update: harmless, and it restores the route if
# ExaBGP restarted), and the matching `withdraw route ...` on end.
#
# Install: [notify] exec = /etc/floodwatch/exabgp-blackhole.sh; then set the
# values below.  Lines go to EXABGP_PIPE (ExaBGP's API named pipe, e.g.
# /run/exabgp/exabgp.in; the daemon's user must be allowed to write it), or
# to stdout when it is empty, which floodwatch logs ("notify: [...] ...") so
# a dry run shows what would be announced.
#
# Blackholing drops *all* traffic to the victim: the attack wins the battle
# for that address.  Keep VECTORS to floods you mean it for and MIN_SEVERITY
# high enough.  Withdraw happens on every end, including `shutdown` (the
# daemon stopping); alerts found open at the next start are ended in SQLite
# and Kafka only, so this script does not see them (ExaBGP's own restart
# drops announced routes).
#
# floodwatch passes the event in FW_* variables (and its JSON on stdin, not
# used here).  FW_VICTIM is attacker-influenced text: it is checked against
# an address pattern below and always quoted.
set -eu

: "${NEXT_HOP:=192.0.2.1}"
: "${COMMUNITY:=65535:666}"
: "${EXABGP_PIPE:=}"
# Space-separated vector names (DESIGN contract 6) that may be blackholed.
: "${VECTORS:=udp_flood syn_flood ack_flood gre_flood icmp_flood ntp_amplification memcached_amplification ssdp_amplification dns_amplification volumetric}"
: "${MIN_SEVERITY:=1}"

event=${FW_EVENT:-}
victim=${FW_VICTIM:-}

# Hosts only: a prefix or a DNS zone is not blackholed by this script.
[ "${FW_VICTIM_KIND:-}" = host ] || exit 0
case " $VECTORS " in
*" ${FW_VECTOR:-} "*) ;;
*) exit 0 ;;
esac
[ "${FW_SEVERITY:-0}" -ge "$MIN_SEVERITY" ] || exit 0

# An address and nothing else (floodwatch already says it is one).
case $victim in
"" | *[!0-9a-fA-F:.]*) echo "exabgp-blackhole: refusing victim '$victim'" >&2; exit 1 ;;
esac
case $victim in
*:*) prefix="$victim/128" ;;
*) prefix="$victim/32" ;;
esac

case $event in
start | update) verb=announce ;;
end) verb=withdraw ;;
*) exit 0 ;;
esac
line="$verb route $prefix next-hop $NEXT_HOP community $COMMUNITY"

if [ -n "$EXABGP_PIPE" ]; then
	# Blocks while ExaBGP is not reading: notify.timeout_ms bounds it.
	printf '%s\n' "$line" > "$EXABGP_PIPE"
else
	printf '%s\n' "$line"
fi
