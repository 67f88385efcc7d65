# Web console (issue 15) in a real browser: headless Chromium driven by
# Selenium (tests/tools/console-check.py) against a running daemon whose
# database holds replayed alerts (History) and two hostile ones, while a
# live NetFlow v5 flood (tests/tools/nf5-flood.py, stamped with the wall
# clock) makes an alert: the Now page shows it without a reload, the Alert
# page draws its chart and evidence, History filters, Inputs lists the
# exporter, hostile text stays text, the browser console stays clean.
# Screenshots go to build/screenshots/*.png.
. tests/integration/lib.sh
VICTIM=198.51.100.77
DB="$TMP/c.db"
SHOTS=${SHOTS:-build/screenshots}
for b in /usr/bin/chromium /usr/bin/chromedriver; do
	[ -x "$b" ] || fail "$b missing: apt-get install chromium chromium-driver python3-selenium"
done
mkdir -p "$SHOTS"

for cap in tests/data/udpflood_nf5.pcap tests/data/water-torture-packets.pcap tests/data/scenarios/syn_nf9.pcap; do
	"$FW" replay --set sqlite.path="$DB" "$cap" > /dev/null
done
"$FW" run --set sqlite.path="$DB" --set listen.netflow=127.0.0.1:0 --set listen.ipfix= --set listen.sflow= \
	--set flow.template_state= --set sqlite.retention_days=0 --set detector.max_lateness_ms=3000 \
	--set stats.interval_ms=1000 --set http.listen=127.0.0.1:0 > "$TMP/run.log" 2>&1 &
DAEMON_PID=$!
wait_for "$TMP/run.log" "ready;"
URL=$(sed -n 's|.*http: API and /metrics at \(http://127.0.0.1:[0-9]*/\).*|\1|p' "$TMP/run.log")
PORT=$(sed -n 's/.*listening: netflow 127.0.0.1:0 (port \([0-9]*\)).*/\1/p' "$TMP/run.log")
check "the log names the HTTP URL and the NetFlow port" test -n "$URL" -a -n "$PORT"

# Hostile text, inserted once the daemon runs (at start it ends open alerts):
# an active alert whose victim is markup with a handler, and an ended DNS
# alert whose victim and sample names are markup and script.
HV="<img src=x onerror=\"window.fwPwned=1\">"
EVID='{"kind":"zone","observed_qps":120.5,"baseline_qps":1,"threshold_qps":20,"distinct_names":100,"sample_names":["<script>window.fwPwned=2</script>.example","<img src=x onerror=window.fwPwned=3>"],"top_clients":[{"addr":"192.0.2.1","share":0.5}]}'
NOW=$(date -u +%Y-%m-%dT%H:%M:%S.000Z)
sqlite3 -cmd '.timeout 5000' "$DB" "INSERT INTO alerts (id, started_at, updated_at, ended_at, victim, vector, severity, peak_pps, peak_bps, peak_qps, events, evidence, end_reason)
	VALUES ('b2b2b2b2b2b2b2b2', '$NOW', '$NOW', NULL, '$HV', 'dns_water_torture', 2, 0, 0, 120.5, 1, '$EVID', NULL),
	('a1a1a1a1a1a1a1a1', '2023-11-14T23:00:00.000Z', '2023-11-14T23:01:00.000Z', '2023-11-14T23:01:00.000Z', '$HV',
	'dns_water_torture', 2, 0, 0, 120.5, 2, '$EVID', 'quiet');
	INSERT INTO alert_events (alert_id, seq, event, at, pps, bps, qps, evidence, reason) VALUES
	('b2b2b2b2b2b2b2b2', 1, 'start', '$NOW', 0, 0, 120.5, '$EVID', NULL),
	('a1a1a1a1a1a1a1a1', 1, 'start', '2023-11-14T23:00:03.000Z', 0, 0, 120.5, '$EVID', NULL),
	('a1a1a1a1a1a1a1a1', 2, 'end', '2023-11-14T23:01:00.000Z', 0, 0, 0, '$EVID', 'quiet')"

# The flood starts when the browser has the Now page open (the checker makes the flag file).
( i=0; while [ ! -e "$TMP/go" ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
  [ -e "$TMP/go" ] && exec "$PY" tests/tools/nf5-flood.py "$PORT" 90 "$VICTIM" ) &
FLOOD_PID=$!
trap 'kill "$FLOOD_PID" 2>/dev/null || true; cleanup' EXIT

check "the console in headless Chromium (Now live, Alert, History, Inputs, hostile text, no console errors)" \
	timeout 240 "$PY" tests/tools/console-check.py "$URL" "$DB" "$SHOTS" "$VICTIM" a1a1a1a1a1a1a1a1 "$TMP/go"
check "screenshots of each page in $SHOTS" sh -c "for p in now alert alert-hostile history inputs now-phone; do test -s '$SHOTS/'\$p.png || exit 1; done"
check "daemon alive" kill -0 "$DAEMON_PID"
kill -TERM "$DAEMON_PID"
check "the daemon stops cleanly on SIGTERM (under ASan: no error, no leak)" wait "$DAEMON_PID"
DAEMON_PID=""
