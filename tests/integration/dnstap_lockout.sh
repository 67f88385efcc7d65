# dnstap lockout (issue 9, item 7): clients that connect to the dnstap socket
# and never speak must not keep the DNS servers out.
#  1. `run` with the default cap (64 clients) and a handshake timeout long
#     enough that only eviction can help: 1000 idle clients connect and stay
#     connected, then BIND (named, its own fstrm writer) starts with
#     dnstap-output to the socket and answers queries: every query and
#     response must arrive, and the counters say what happened.
#  2. A short handshake timeout: idle clients are closed by the daemon, and a
#     libfstrm writer (fstrm_replay) connecting after them delivers a file.
. tests/integration/lib.sh
command -v named >/dev/null || fail "named (bind9) missing"
command -v dig >/dev/null || fail "dig (bind9-dnsutils) missing"
command -v fstrm_replay >/dev/null || fail "fstrm_replay (fstrm-bin) missing"
NQ=200

# idle_clients N SOCK READY STOP: N connections that never send a byte, held
# until STOP exists (at most 120 s); READY gets the count once all are made.
idle_clients() {
	python3 - "$@" <<'PY'
import os, resource, socket, sys, time
n, path, ready, stop = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, n + 64)), hard))
socks, t0 = [], time.time()
for i in range(n):                       # bounded: n connections, 60 s in all
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.setblocking(False)
    while True:                          # backlog full: EAGAIN until the daemon accepts
        try:
            s.connect(path)
            break
        except BlockingIOError:
            if time.time() - t0 > 60:
                sys.exit("only %d connected in 60 s" % len(socks))
            time.sleep(0.001)
    socks.append(s)
with open(ready + ".tmp", "w") as f:
    f.write("%d connected in %.1f s\n" % (len(socks), time.time() - t0))
os.rename(ready + ".tmp", ready)
while not os.path.exists(stop) and time.time() - t0 < 120:
    time.sleep(0.1)
# How many did the daemon close (EOF readable) while we held them?
closed = 0
for s in socks:
    s.setblocking(False)
    try:
        closed += s.recv(1) == b""
    except BlockingIOError:
        pass
print("idle clients closed by the daemon: %d" % closed)
PY
}

# ---- 1. 1000 idle clients, then BIND --------------------------------------
SOCK="$TMP/dnstap.sock"
D="$TMP/named"; mkdir -p "$D"
cp tests/data/victim.zone "$D/"
PORT=$(python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat > "$D/named.conf" <<CONF
options {
  directory "$D";
  listen-on port $PORT { 127.0.0.1; };
  listen-on-v6 { none; };
  recursion no;
  dnssec-validation no;
  notify no;
  pid-file none;
  dnstap { client; auth; };
  dnstap-output unix "$SOCK";
  fstrm-set-reopen-interval 1;
};
controls { };
zone "victim.example" { type primary; file "$D/victim.zone"; };
CONF

# named runs as root without CAP_DAC_OVERRIDE and the daemon as nobody: the socket must be world-writable here.
"$FW" run --set sqlite.path="$TMP/t.db" --set dns.dnstap_socket="$SOCK" --set flow.template_state= \
	--set dns.dnstap_socket_mode=0666 --set listen.netflow=127.0.0.1:0 --set listen.ipfix=127.0.0.1:0 --set listen.sflow=127.0.0.1:0 \
	--set dns.dnstap_handshake_timeout_ms=600000 > "$TMP/run.log" 2>&1 &
DAEMON_PID=$!
NAMED_PID=""; IDLE_PID=""
trap '[ -z "$NAMED_PID" ] || kill $NAMED_PID 2>/dev/null || true; [ -z "$IDLE_PID" ] || kill $IDLE_PID 2>/dev/null || true; cleanup' EXIT
wait_for "$TMP/run.log" "ready;"

idle_clients 1000 "$SOCK" "$TMP/idle.ready" "$TMP/idle.stop" > "$TMP/idle.out" 2>&1 &
IDLE_PID=$!
i=0; while [ ! -f "$TMP/idle.ready" ]; do
	i=$((i + 1)); [ $i -lt 600 ] || { cat "$TMP/idle.out"; fail "idle clients did not connect"; }; sleep 0.1; done
cat "$TMP/idle.ready"

named -g -c "$D/named.conf" > "$D/named.out" 2>&1 &
NAMED_PID=$!
wait_for "$D/named.out" "running"
i=0; until dig +short +time=1 +tries=1 -p "$PORT" @127.0.0.1 www.victim.example >/dev/null 2>&1; do
	i=$((i + 1)); [ $i -lt 50 ] || { cat "$D/named.out"; fail "named does not answer"; }; sleep 0.2; done
sleep 2                                     # named's dnstap connection (reopen interval 1 s)
awk -v n=$NQ 'BEGIN { for (i = 0; i < n; i++) printf "r%04d.victim.example A\n", i }' > "$TMP/queries"
dig -p "$PORT" @127.0.0.1 +tries=3 +time=2 -f "$TMP/queries" > /dev/null
kill -TERM "$NAMED_PID"; wait "$NAMED_PID" 2>/dev/null || true; NAMED_PID=""   # STOP/FINISH
sleep 0.5
touch "$TMP/idle.stop"; wait "$IDLE_PID" || true; IDLE_PID=""
cat "$TMP/idle.out"
kill -TERM "$DAEMON_PID"; wait "$DAEMON_PID"; DAEMON_PID=""
grep "dnstap:" "$TMP/run.log" | tail -1
check "the daemon closed 937 idle clients, keeping 63 beside named" \
	grep -q "idle clients closed by the daemon: 937" "$TMP/idle.out"
# Every query and response of the NQ queries (plus the start-up probe's, if
# named had connected by then): BIND was not locked out.
GOT=$(grep "dnstap: frames=" "$TMP/run.log" | tail -1 | sed -n 's/.*dnstap: frames=\([0-9]*\) records=\1 skipped=0 bad=0 ring_drops=0 .*/\1/p')
check "BIND got through 1000 idle clients: all its events arrived (${GOT:-none} >= $((2 * NQ)))" \
	test "${GOT:-0}" -ge $((2 * NQ)) -a "${GOT:-0}" -le $((2 * NQ + 2))
WANT=$GOT
check "... 1001 connections accepted, 937 idle ones evicted (936 by idle clients, 1 by named), none refused, no timeouts" \
	grep -q "connections=1001 active=0 refused=0 handshake_timeouts=0 evicted=937$" "$TMP/run.log"
check "... the eviction is logged, rate-limited" \
	sh -c "test \$(grep -c 'to make room (dns.dnstap_max_clients)' '$TMP/run.log') -le 20"
check "... and the counters are in collector_stats" \
	sh -c "sqlite3 '$TMP/t.db' \"SELECT value FROM collector_stats WHERE source='dnstap' AND name='evicted' ORDER BY at DESC LIMIT 1\" | grep -qx 937"
check "... records reached the detector" \
	sh -c "sqlite3 '$TMP/t.db' \"SELECT value FROM collector_stats WHERE source='detector' AND name='dns_records' ORDER BY at DESC LIMIT 1\" | grep -qx $WANT"

# ---- 2. handshake timeout, then a libfstrm writer ---------------------------
rm -f "$TMP/idle.ready" "$TMP/idle.stop"
"$FW" run --set sqlite.path="$TMP/t2.db" --set dns.dnstap_socket="$SOCK" --set flow.template_state= \
	--set listen.netflow=127.0.0.1:0 --set listen.ipfix=127.0.0.1:0 --set listen.sflow=127.0.0.1:0 \
	--set dns.dnstap_handshake_timeout_ms=300 --set dns.dnstap_max_clients=8 > "$TMP/run2.log" 2>&1 &
DAEMON_PID=$!
wait_for "$TMP/run2.log" "ready;"
idle_clients 8 "$SOCK" "$TMP/idle.ready" "$TMP/idle.stop" > "$TMP/idle.out" 2>&1 &
IDLE_PID=$!
i=0; while [ ! -f "$TMP/idle.ready" ]; do
	i=$((i + 1)); [ $i -lt 300 ] || fail "idle clients did not connect"; sleep 0.1; done
sleep 1                                     # > 300 ms: all 8 are past their deadline
touch "$TMP/idle.stop"; wait "$IDLE_PID" || true; IDLE_PID=""
cat "$TMP/idle.out"
check "idle clients are closed by the daemon after the handshake timeout" \
	grep -q "idle clients closed by the daemon: 8" "$TMP/idle.out"
timeout 60 fstrm_replay -t protobuf:dnstap.Dnstap -r tests/data/bind-dnstap.fstrm -u "$SOCK"
sleep 0.5
kill -TERM "$DAEMON_PID"; wait "$DAEMON_PID"; DAEMON_PID=""
grep "dnstap:" "$TMP/run2.log" | tail -1
check "fstrm_replay's 6000 records arrived; 8 handshake timeouts counted" \
	grep -q "dnstap: frames=6000 records=6000 .* connections=9 active=0 refused=0 handshake_timeouts=8 evicted=0$" "$TMP/run2.log"
check "... and logged" grep -q "did not finish the Frame Streams handshake in 300 ms" "$TMP/run2.log"
