#!/bin/sh
# webhook.sh - floodwatch notify hook: POST each alert event's JSON (the
# Kafka message, schema/alert_event.schema.json) to a URL with curl.
#
# Install: [notify] exec = /etc/floodwatch/webhook.sh; set WEBHOOK_URL below
# (and, if the receiver wants one, WEBHOOK_TOKEN, sent as a bearer token).
# The daemon passes no environment of its own: configure here.
#
# The JSON comes on stdin and is passed to curl unchanged (--data-binary @-);
# nothing from it or from FW_* reaches a command line.  A failed POST makes
# curl, and so this script, exit non-zero: floodwatch counts and logs it.
set -eu

: "${WEBHOOK_URL:=http://127.0.0.1:9000/floodwatch}"
: "${WEBHOOK_TOKEN:=}"
# Stay well inside notify.timeout_ms.
: "${WEBHOOK_MAX_TIME:=5}"

# The token goes through fd 3, not the command line other users can read.
if [ -n "$WEBHOOK_TOKEN" ]; then
	exec curl --silent --show-error --fail --max-time "$WEBHOOK_MAX_TIME" --output /dev/null \
		-H 'Content-Type: application/json' -H @/dev/fd/3 --data-binary @- "$WEBHOOK_URL" 3<<EOT
Authorization: Bearer $WEBHOOK_TOKEN
EOT
fi
exec curl --silent --show-error --fail --max-time "$WEBHOOK_MAX_TIME" --output /dev/null \
	-H 'Content-Type: application/json' --data-binary @- "$WEBHOOK_URL"
