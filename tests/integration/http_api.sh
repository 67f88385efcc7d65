# The replayed alerts are from 2023: sqlite.retention_days=0 keeps them.
# HTTP API (issue 14): a running daemon fed live NetFlow v9 from crafted
# exporters, on a database holding replayed alerts and one alert whose
# victim, sample names and events carry hostile text.  Every endpoint's JSON
# is validated against schema/openapi.yaml; pagination, filters, errors,
# headers, limits; /metrics passes promtool and its counters equal the log's;
# bearer, basic (plain and crypt hash) auth and TLS.
. tests/integration/lib.sh
SEND=build/o/tools/sendpcap
OA="python3 tests/tools/openapi_check.py"
DB="$TMP/h.db"
[ -x "$SEND" ] || fail "build $SEND first (make build/o/tools/sendpcap)"
check "schema/openapi.yaml is a valid OpenAPI 3.1 document" $OA --doc

for cap in tests/data/udpflood_nf5.pcap tests/data/water-torture-packets.pcap tests/data/scenarios/syn_nf9.pcap; do
	"$FW" replay --set sqlite.path="$DB" "$cap" > /dev/null
done
# Hostile text: quotes, backslash, control bytes (BEL, ESC), markup, invalid UTF-8 (ff, c0 af).
HOSTILE="CAST(X'61225c01071b5b326a3c7363726970743e616c6572742831293c2f7363726970743effc0af2e766963' AS TEXT)"
EVID="CAST(X'7b226b696e64223a227a6f6e65222c226f627365727665645f717073223a3132302e352c22626173656c696e655f717073223a312c227468726573686f6c645f717073223a32302c2264697374696e63745f6e616d6573223a3130302c2273616d706c655f6e616d6573223a5b223c7363726970743e5c22ff2e78222c22615c75303030375c223e225d7d' AS TEXT)"
sqlite3 "$DB" "INSERT INTO alerts (id, started_at, updated_at, ended_at, victim, vector, severity, peak_pps, peak_bps, peak_qps, events, evidence, end_reason)
	VALUES ('a1a1a1a1a1a1a1a1', '2023-11-14T23:00:00.000Z', '2023-11-14T23:01:00.000Z', '2023-11-14T23:01:00.000Z', $HOSTILE,
	'dns_water_torture', 2, 0, 0, 120.54, 2, $EVID, 'quiet');
	INSERT INTO alert_events (alert_id, seq, event, at, pps, bps, qps, evidence, reason) VALUES
	('a1a1a1a1a1a1a1a1', 1, 'start', '2023-11-14T23:00:03.000Z', 0, 0, 120.54, $EVID, NULL),
	('a1a1a1a1a1a1a1a1', 2, 'end', '2023-11-14T23:01:00.000Z', 0, 0, 0, $EVID, 'quiet')"
ALL=$(sqlite3 "$DB" "SELECT count(*) FROM alerts")

python3 tests/tools/make-exporters.py nf9 40 "$TMP/nf9.pcap"
"$FW" run --set sqlite.path="$DB" --set listen.netflow=127.0.0.1:0 --set listen.ipfix= --set listen.sflow=127.0.0.1:0 \
	--set flow.template_state= --set stats.interval_ms=1000 --set stats.exporters=4 --set http.listen=127.0.0.1:0 \
	--set sqlite.retention_days=0 \
	> "$TMP/run.log" 2>&1 &
DAEMON_PID=$!
wait_for "$TMP/run.log" "ready;"
URL=$(sed -n 's|.*http: API and /metrics at \(http://127.0.0.1:[0-9]*/\).*|\1|p' "$TMP/run.log")
NF=$(sed -n 's/.*listening: netflow 127.0.0.1:0 (port \([0-9]*\)).*/\1/p' "$TMP/run.log")
SF=$(sed -n 's/.*listening: sflow 127.0.0.1:0 (port \([0-9]*\)).*/\1/p' "$TMP/run.log")
check "the log names the bound URL" test -n "$URL"

# get PATH [curl args]: body in $TMP/b, headers in $TMP/h, status in $CODE.
get() { p=$1; shift; CODE=$(curl -s -o "$TMP/b" -D "$TMP/h" -w '%{http_code}' "$@" "$URL${p#/}"); }
hdr() { grep -i "^$1:" "$TMP/h" | head -1 | cut -d: -f2- | tr -d '\r' | sed 's/^ //'; }
every_response_headers() {
	[ -n "$(hdr Content-Type)" ] && [ "$(hdr Cache-Control)" = no-store ] && [ "$(hdr X-Content-Type-Options)" = nosniff ] &&
	    hdr Content-Security-Policy | grep -q "default-src 'none'"
}

get /readyz
check "/readyz: 200 once the pipeline runs" test "$CODE" = 200
get /healthz
check "/healthz: 200 ok, with the common headers" sh -c "test '$CODE' = 200 && grep -qx ok '$TMP/b'"
check "... Content-Type, Cache-Control: no-store, nosniff, CSP" every_response_headers

# ---- alerts: list, pagination, filters ----
get "/api/v1/alerts?limit=1000"
cp "$TMP/b" "$TMP/all.json"
check "/api/v1/alerts: 200, valid AlertPage" sh -c "test '$CODE' = 200 && $OA AlertPage '$TMP/all.json'"
check "... application/json with the common headers" sh -c "hdr() { grep -i \"^\$1:\" '$TMP/h' | tr -d '\r'; }; hdr Content-Type | grep -q application/json"
check "... every header a response must carry" every_response_headers
check "... all $ALL alerts, newest first" python3 - "$TMP/all.json" "$ALL" <<'PY'
import json, sys
rows = json.load(open(sys.argv[1]))["alerts"]
assert len(rows) == int(sys.argv[2]), len(rows)
keys = [(r["started_at"], r["id"]) for r in rows]
assert keys == sorted(keys, reverse=True), keys
assert rows[0]["id"] == "a1a1a1a1a1a1a1a1"
PY
# Walk pages of 2 with the cursor: the same alerts, same order, no repeats.
python3 - "$URL" > "$TMP/walk.out" <<'PY'
import json, sys, urllib.request
url, cur, ids, pages = sys.argv[1], None, [], 0
while True:
    u = url + "api/v1/alerts?limit=2" + ("&cursor=" + cur if cur else "")
    page = json.load(urllib.request.urlopen(u))
    pages += 1
    ids += [a["id"] for a in page["alerts"]]
    cur = page["next_cursor"]
    if cur is None or pages > 50:
        break
print(pages, " ".join(ids))
PY
check "cursor pagination gives every alert once, in order" python3 - "$TMP/walk.out" "$TMP/all.json" <<'PY'
import json, sys
pages, ids = open(sys.argv[1]).read().split(" ", 1)
ids = ids.split()
want = [a["id"] for a in json.load(open(sys.argv[2]))["alerts"]]
assert ids == want and len(set(ids)) == len(ids), (ids, want)
assert int(pages) == (len(want) + 1) // 2, pages
PY
get "/api/v1/alerts?vector=udp_flood"
check "vector filter" python3 -c "import json; r=json.load(open('$TMP/b'))['alerts']; assert r and all(a['vector']=='udp_flood' for a in r), r"
get "/api/v1/alerts?victim=198.51.100.53&active=false&since=2023-11-14T00:00:00Z&until=2023-11-15T00:00:00Z"
check "victim, active, since and until filters" python3 -c "import json; r=json.load(open('$TMP/b'))['alerts']; assert [a['victim'] for a in r]==['198.51.100.53'], r"
get "/api/v1/alerts?active=true"
check "active=true: none (every replayed alert ended)" python3 -c "import json; assert json.load(open('$TMP/b'))['alerts']==[]"
get "/api/v1/alerts?vector=udp"
check "unknown vector: 400 listing the vectors, a valid Error" sh -c "test '$CODE' = 400 && grep -q dns_water_torture '$TMP/b' && $OA Error '$TMP/b'"
for bad in "limit=0" "limit=1001" "cursor=nope" "since=yesterday" "active=maybe" "vectr=udp_flood"; do
	get "/api/v1/alerts?$bad"
	check "bad argument '$bad': 400" sh -c "test '$CODE' = 400 && $OA Error '$TMP/b'"
done

# ---- one alert, its events: peak evidence, hostile text ----
UDP=$(python3 -c "import json; print([a['id'] for a in json.load(open('$TMP/all.json'))['alerts'] if a['victim']=='198.51.100.53'][0])")
get "/api/v1/alerts/$UDP"
check "/api/v1/alerts/{id}: 200, valid Alert with typed evidence" sh -c "test '$CODE' = 200 && $OA Alert '$TMP/b'"
check "... the peak's evidence (observed rate = the peak), top sources and ports" python3 - "$TMP/b" <<'PY'
import json, sys
a = json.load(open(sys.argv[1]))
ev = a["evidence"]
assert ev["kind"] == "host" and abs(ev["observed"]["pps"] - a["peak_pps"]) <= 0.02 * a["peak_pps"], (ev["observed"], a["peak_pps"])
assert ev["top_sources"] and ev["top_dst_ports"] and ev["protocol_shares"]["udp"] > 0.5, ev
PY
get "/api/v1/alerts/$UDP/events"
check "/api/v1/alerts/{id}/events: 200, valid EventList, start first and end last" sh -c "test '$CODE' = 200 && $OA EventList '$TMP/b' &&
	python3 -c \"import json; e=json.load(open('$TMP/b'))['events']; assert e[0]['event']=='start' and e[-1]['event']=='end' and [x['seq'] for x in e]==list(range(1,len(e)+1)), e\""
get "/api/v1/alerts/$UDP/events?after=1&limit=1"
check "events: after and limit" python3 -c "import json; e=json.load(open('$TMP/b'))['events']; assert [x['seq'] for x in e]==[2], e"
WT=$(python3 -c "import json; print([a['id'] for a in json.load(open('$TMP/all.json'))['alerts'] if a['vector']=='dns_water_torture' and a['id']!='a1a1a1a1a1a1a1a1'][0])")
get "/api/v1/alerts/$WT"
check "water torture: the peak's DNS evidence (names counted, sample names), not the end's" python3 - "$TMP/b" <<'PY'
import json, sys
ev = json.load(open(sys.argv[1]))["evidence"]
assert ev["kind"] == "zone" and ev["distinct_names"] > 0 and ev["sample_names"] and ev["observed_qps"] > 0, ev
PY
for p in /api/v1/alerts/a1a1a1a1a1a1a1a1 /api/v1/alerts/a1a1a1a1a1a1a1a1/events "/api/v1/alerts?limit=1"; do
	get "$p"
	cp "$TMP/b" "$TMP/hostile.json"
	check "hostile text through $p: valid JSON, escaped, invalid UTF-8 replaced" python3 - "$TMP/hostile.json" <<'PY'
import json, sys
raw = open(sys.argv[1], "rb").read()
assert all(b >= 0x20 or b == 0x0a for b in raw), "raw control byte in the body"
assert max(raw) < 0x80, "not ASCII-escaped"
d = json.loads(raw)
a = d["alerts"][0] if "alerts" in d else d
if "victim" in a:
    assert a["victim"] == 'a"\\\x01\x07\x1b[2j<script>alert(1)</script>\ufffd\ufffd\ufffd.vic', repr(a["victim"])
ev = a["evidence"] if "evidence" in a else a["events"][0]["evidence"]
assert ev["sample_names"] == ['<script>"\ufffd.x', 'a\x07">'], ev["sample_names"]
PY
done
check "... and the hostile alert validates against the schema" sh -c "$OA Alert '$TMP/hostile.json' 2>/dev/null || $OA EventList '$TMP/hostile.json' 2>/dev/null || $OA AlertPage '$TMP/hostile.json'"
get "/api/v1/alerts?victim=%3Cscript%3E%22%01%ff"
check "hostile victim argument: 200, empty, not echoed" sh -c "test '$CODE' = 200 && ! grep -q script '$TMP/b' && $OA AlertPage '$TMP/b'"
get "/api/v1/alerts/%3Cscript%3E"
check "unknown id: 404, not echoed" sh -c "test '$CODE' = 404 && ! grep -q script '$TMP/b' && $OA Error '$TMP/b'"
get "/api/v1/alerts/0000000000000000"
check "well-formed id that does not exist: 404" test "$CODE" = 404

# ---- live traffic: exporters, status, /metrics, counters equal the log's ----
"$SEND" -r 5000 "$NF" "$TMP/nf9.pcap" > /dev/null
wait_for "$TMP/run.log" "run: datagrams=40 "
# Two ticks later nothing moves; the log's last line and /metrics describe the same state.
sleep 2.5
get /metrics
cp "$TMP/b" "$TMP/metrics.txt"
check "/metrics: 200, text/plain version=0.0.4" sh -c "test '$CODE' = 200 && grep -i '^content-type' '$TMP/h' | grep -q 'text/plain; version=0.0.4'"
check "/metrics passes promtool check metrics" sh -c "promtool check metrics < '$TMP/metrics.txt'"
LINE=$(grep "run: datagrams=" "$TMP/run.log" | tail -1)
DEC=$(grep "decode nf9:" "$TMP/run.log" | tail -1)
logv() { echo "$1" | sed -n "s/.* $2=\([0-9]*\).*/\1/p"; }
metv() { grep "^$1 " "$TMP/metrics.txt" | awk '{print $2}'; }
check "listener datagrams and records: /metrics = the log ($(logv "$LINE" datagrams), $(logv "$LINE" records))" \
	test "$(metv floodwatch_listener_datagrams_total) $(metv floodwatch_listener_records_total)" = "$(logv "$LINE" datagrams) $(logv "$LINE" records)"
check "decode nf9 datagrams and records: /metrics = the log" \
	test "$(metv 'floodwatch_decode_datagrams_total{format="nf9"}') $(metv 'floodwatch_decode_records_total{format="nf9"}')" = "$(logv "$DEC" datagrams) $(logv "$DEC" records)"
check "detector flow records: /metrics = collector_stats" \
	test "$(metv floodwatch_detector_flow_records_total)" = "$(sqlite3 -cmd '.timeout 5000' "$DB" "SELECT value FROM collector_stats WHERE source='detector' AND name='flow_records' ORDER BY at DESC LIMIT 1")"
check "exporter series bounded: 4 listed + one exporter=\"other\"" python3 - "$TMP/metrics.txt" <<'PY'
import re, sys
rec = [l for l in open(sys.argv[1]) if l.startswith("floodwatch_exporter_records_total{")]
other = [l for l in rec if 'exporter="other"' in l]
assert len(rec) == 5 and len(other) == 1, rec
PY
check "listed + other exporter records = the nf9 total" test "$(grep '^floodwatch_exporter_records_total{' "$TMP/metrics.txt" | awk '{s+=$2} END {print s}')" = "$(metv 'floodwatch_decode_records_total{format="nf9"}')"
get /api/v1/exporters
check "/api/v1/exporters: 200, valid, 4 listed + others" sh -c "test '$CODE' = 200 && $OA Exporters '$TMP/b' &&
	python3 -c \"import json; d=json.load(open('$TMP/b')); assert len(d['exporters'])==4 and d['others']['nf9']['exporters']==36, d\""
get /api/v1/status
check "/api/v1/status: 200, valid, ready, memory budget, ring capacity, watermark" sh -c "test '$CODE' = 200 && $OA Status '$TMP/b' &&
	python3 -c \"import json; d=json.load(open('$TMP/b')); assert d['ready'] and d['memory']['budget_bytes']>0 and d['rings']['capacity_records']>0 and d['watermark']['newest_event_at'], d\""
check "... and what it watches (the configured listen addresses)" python3 -c "import json; w=json.load(open('$TMP/b'))['watching']; assert w['netflow']==['127.0.0.1:0'] and w['ipfix']==[] and w['dns']==[], w"
get /api/v1/counters
check "/api/v1/counters: 200, valid, every row of the tick (nf9 datagrams = the log's)" sh -c "test '$CODE' = 200 && $OA CounterRows '$TMP/b' &&
	python3 -c \"import json; r=json.load(open('$TMP/b'))['counters']; assert [x['value'] for x in r if x['source']=='nf9' and x['name']=='datagrams']==[$(logv "$DEC" datagrams)], r\""

# ---- exporter state: templates, sampling rates, record durations, last seen ----
# One more v9 exporter (source id 1001, the busiest: listed) whose options data
# says sampler 3 is 1 in 512, with 20 records of 5 s each; then NetFlow v5
# (known only by its records) and an sFlow agent.
python3 tests/tools/make-exporters.py nf9 1 "$TMP/sampled.pcap" sampled
"$SEND" -r 5000 "$NF" "$TMP/sampled.pcap" > /dev/null
"$SEND" -r 5000 "$NF" tests/data/udpflood_nf5.pcap > /dev/null
"$SEND" -r 5000 "$SF" tests/data/udpflood_sflow.pcap > /dev/null
wait_for "$TMP/run.log" "decode sflow5: datagrams=688 "
sleep 1.5
get /api/v1/exporters
cp "$TMP/b" "$TMP/exp.json"
check "/api/v1/exporters with a sampled exporter: 200, valid" sh -c "test '$CODE' = 200 && $OA Exporters '$TMP/exp.json'"
check "... its templates (data + options), sampling rate from options data, record durations, last seen close to now" \
	python3 - "$TMP/exp.json" <<'PY'
import json, sys, time, datetime
d = json.load(open(sys.argv[1]))
e = [x for x in d["exporters"] if x["format"] == "nf9" and x.get("domain") == 1001]
assert len(e) == 1, d["exporters"]
e = e[0]
assert e["counters"]["records"] == 20 and e["templates"] == 2, e
assert e["sampling"] == [{"sampler_id": 3, "rate": 512}], e
assert e["record_durations"]["p99_ms"] == 5000 and e["record_durations"]["p50_ms"] == 0, e
assert e["screening"]["records"] == 100 and e["screening"]["implausible"] == 0, e
seen = datetime.datetime.strptime(e["last_seen"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.timezone.utc)
assert abs(time.time() - seen.timestamp()) < 30, e["last_seen"]
plain = [x for x in d["exporters"] if x["format"] == "nf9" and x["domain"] != 1001]
assert plain and all(x["templates"] == 1 and "sampling" not in x and x["last_seen"] for x in plain), plain
o = d["others"]["nf9"]
assert o["exporters"] == 37 and o["templates"] == 37 and abs(time.time() - o["last_seen_ms"] / 1000) < 30, o
nf5 = [x for x in d["exporters"] if x["format"] == "nf5"]
assert len(nf5) == 1 and nf5[0]["screening"]["records"] == 4200 and "record_durations" in nf5[0], nf5
sf = [x for x in d["exporters"] if x["format"] == "sflow"]
assert len(sf) == 1 and sf[0]["counters"]["flow_samples"] == 4198 and sf[0]["screening"]["records"] == 4198, sf
assert abs(time.time() - datetime.datetime.strptime(sf[0]["last_seen"], "%Y-%m-%dT%H:%M:%S.%fZ")
           .replace(tzinfo=datetime.timezone.utc).timestamp()) < 30, sf
PY
get /metrics
cp "$TMP/b" "$TMP/metrics2.txt"
check "/metrics with exporter gauges and an sFlow agent passes promtool check metrics" sh -c "promtool check metrics < '$TMP/metrics2.txt'"
check "/metrics: templates, sampling rate and last seen of the exporter; templates bounded (4 + other)" \
	python3 - "$TMP/metrics2.txt" <<'PY'
import sys, time
lines = open(sys.argv[1]).read().splitlines()
def val(prefix):
    v = [l.split()[-1] for l in lines if l.startswith(prefix)]
    assert len(v) == 1, (prefix, v)
    return float(v[0])
key = 'format="nf9",exporter="127.0.0.1",domain="1001"'
assert val("floodwatch_exporter_templates{" + key + "}") == 2
assert val("floodwatch_exporter_sampling_rate{" + key + ',sampler_id="3"}') == 512
assert abs(time.time() - val("floodwatch_exporter_last_seen_timestamp_seconds{" + key + "}")) < 30
assert "# TYPE floodwatch_exporter_templates gauge" in lines
assert "# TYPE floodwatch_exporter_last_seen_timestamp_seconds gauge" in lines
t = [l for l in lines if l.startswith("floodwatch_exporter_templates{")]
assert len(t) == 5 and val('floodwatch_exporter_templates{format="nf9",exporter="other"') == 37, t
assert abs(time.time() - val('floodwatch_sflow_agent_last_seen_timestamp_seconds{exporter="127.0.0.1"')) < 30
assert val('floodwatch_sflow_agent_polling_samples_total{exporter="127.0.0.1"') == 0
PY

# ---- methods, bodies, unknown paths, oversized requests ----
get / 
check "/: the console page, text/html, CSP: its own scripts and styles only, nothing inline" sh -c "test '$CODE' = 200 && grep -i '^content-type' '$TMP/h' | grep -q text/html && grep -q '/console/app.js' '$TMP/b' && grep -i '^content-security-policy' '$TMP/h' | grep \"default-src 'none'\" | grep \"script-src 'self';\" | grep -qv unsafe"
get /console/app.js
check "/console/app.js: text/javascript, no innerHTML" sh -c "test '$CODE' = 200 && grep -i '^content-type' '$TMP/h' | grep -q text/javascript && ! grep -q innerHTML= '$TMP/b'"
get /console/nope.js
check "an unknown console file: 404" test "$CODE" = 404
get /api/v1/alerts -X POST
check "POST: 405 with Allow: GET, HEAD" sh -c "test '$CODE' = 405 && grep -qi '^allow: GET, HEAD' '$TMP/h'"
get /api/v1/alerts -X GET --data-binary 'x=1'
check "a request body: 413" test "$CODE" = 413
get /nope
check "unknown path: 404 JSON with the common headers" sh -c "test '$CODE' = 404 && $OA Error '$TMP/b'"
check "... headers" every_response_headers
BIG=$(python3 -c "print('a' * 40000)")
get /api/v1/status -H "X-Big: $BIG"
check "request headers over http.max_request_bytes: refused (4xx)" sh -c "test '$CODE' -ge 400 && test '$CODE' -lt 500"
get /healthz
check "... and the server still answers" test "$CODE" = 200
check "daemon alive" kill -0 "$DAEMON_PID"
kill -TERM "$DAEMON_PID"; wait "$DAEMON_PID" || true; DAEMON_PID=""

# ---- authentication and TLS ----
printf 'tok-0123456789abcdef\n' > "$TMP/token"
HASH=$(python3 -W ignore -c "import crypt; print(crypt.crypt('s3cret', crypt.mksalt(crypt.METHOD_SHA512)))")
printf '# users\nsoc:plainpass\nnoc:%s\n' "$HASH" > "$TMP/users"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$TMP/key.pem" -out "$TMP/cert.pem" -days 1 -subj /CN=127.0.0.1 2>/dev/null
"$FW" run --set sqlite.path="$DB" --set listen.netflow=127.0.0.1:0 --set listen.ipfix= --set listen.sflow= \
	--set flow.template_state= --set sqlite.retention_days=0 --set http.listen=127.0.0.1:0 --set http.token_file="$TMP/token" \
	--set http.basic_auth_file="$TMP/users" --set http.tls_cert="$TMP/cert.pem" --set http.tls_key="$TMP/key.pem" \
	> "$TMP/run2.log" 2>&1 &
DAEMON_PID=$!
wait_for "$TMP/run2.log" "ready;"
URL=$(sed -n 's|.*http: API and /metrics at \(https://127.0.0.1:[0-9]*/\).*|\1|p' "$TMP/run2.log")
check "TLS: the log names an https URL" test -n "$URL"
get /healthz -k
check "TLS: /healthz without credentials: 200" test "$CODE" = 200
get /api/v1/status -k
check "no credentials: 401 with WWW-Authenticate" sh -c "test '$CODE' = 401 && grep -qi '^www-authenticate' '$TMP/h' && $OA Error '$TMP/b'"
get /metrics -k -H "Authorization: Bearer wrong-token-0123456789"
check "wrong token: 401" test "$CODE" = 401
get /metrics -k -H "Authorization: Bearer tok-0123456789abcdef"
check "bearer token: 200" test "$CODE" = 200
get /api/v1/status -k -u soc:plainpass
check "basic auth, plain password: 200" test "$CODE" = 200
get /api/v1/status -k -u noc:s3cret
check "basic auth, crypt hash: 200" test "$CODE" = 200
get /api/v1/status -k -u noc:wrong
check "basic auth, wrong password: 401" test "$CODE" = 401
check "plain http on the TLS port fails" sh -c "! curl -s -o /dev/null --max-time 5 '$(echo "$URL" | sed 's/^https/http/')healthz' || test \"\$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 '$(echo "$URL" | sed 's/^https/http/')healthz')\" != 200"
kill -TERM "$DAEMON_PID"; wait "$DAEMON_PID" || true; DAEMON_PID=""

# ---- refused at start ----
set +e
"$FW" run --set sqlite.path="$DB" --set listen.netflow=127.0.0.1:0 --set listen.ipfix= --set listen.sflow= \
	--set http.listen=127.0.0.1:0 --set http.token_file="$TMP/none" > "$TMP/run3.log" 2>&1
rc=$?
set -e
check "a missing token file: exit 1 naming the key" sh -c "test $rc = 1 && grep -q 'http.token_file' '$TMP/run3.log'"
set +e
"$FW" check-config --set http.tls_cert="$TMP/cert.pem" > /dev/null 2> "$TMP/cc.err"
rc=$?
set -e
check "tls_cert without tls_key: config error, exit 2" sh -c "test $rc = 2 && grep -q 'http.tls_key' '$TMP/cc.err'"
