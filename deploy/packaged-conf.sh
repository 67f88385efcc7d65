#!/bin/sh
# packaged-conf.sh STATEDIR RUNDIR < deploy/floodwatch.conf > floodwatch.conf
#
# The config that `make install` and the Debian package put in
# /etc/floodwatch: the documented defaults, except that the daemon runs as
# the floodwatch user (general.user, used when started as root; the unit
# starts it as that user already) and keeps its database, template state
# and detector state in STATEDIR (systemd's StateDirectory=).  Each replaced
# line must be found, so a reworded default fails the build instead of
# installing a config that writes to ./var.
set -eu
[ $# -eq 2 ] || { echo "usage: $0 STATEDIR RUNDIR < floodwatch.conf" >&2; exit 2; }
state=$1 run=$2
in=$(cat)
for line in 'user = nobody' 'path = ./var/floodwatch.db' 'template_state = ./var/templates' \
    'state_file = ./var/detector.state'; do
	n=$(printf '%s\n' "$in" | grep -c -x -F "$line" || true)
	[ "$n" -eq 1 ] || { echo "$0: expected the line '$line' once, found it $n times" >&2; exit 1; }
done
printf '%s\n' "$in" | sed \
	-e '1a\
#\
# As installed: general.user, sqlite.path, flow.template_state and\
# detector.state_file differ from the built-in defaults\
# (see /usr/share/doc/floodwatch/examples/floodwatch.conf).\
# systemd starts the daemon as the floodwatch user with '"$state"' and\
# '"$run"' (for dns.dnstap_socket = '"$run"'/dnstap.sock) made for it.' \
	-e 's|^user = nobody$|user = floodwatch|' \
	-e "s|^path = ./var/floodwatch.db\$|path = $state/floodwatch.db|" \
	-e "s|^template_state = ./var/templates\$|template_state = $state/templates|" \
	-e "s|^state_file = ./var/detector.state\$|state_file = $state/detector.state|"
