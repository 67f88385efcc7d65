# Live DNS sources with real servers and the kernel:
#  1. named (bind9) writes its query log; floodwatch follows it while dnsperf
#     sends a bounded number of queries, across a log rotation done by the
#     test (rename + SIGHUP, as logrotate does): every query arrives once.
#  2. NFLOG inside network namespaces the test creates: an nftables
#     `log group` rule, a DNS responder, queries over a veth pair (IPv4 and
#     IPv6): every query and every response arrives once.
#  3. NFLOG again, with queries that arrive in IPv4 and IPv6 fragments and
#     over TCP: each is put together or read out of its stream once.
. tests/integration/lib.sh
command -v named >/dev/null || fail "named (bind9) missing"
command -v dnsperf >/dev/null || fail "dnsperf missing"

# ---- 1. BIND query log -------------------------------------------------
D="$TMP/named"; mkdir -p "$D"
cp tests/data/victim.zone "$D/"
PORT=$(python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat > "$D/named.conf" <<CONF
options {
  directory "$D";
  listen-on port $PORT { 127.0.0.1; };
  listen-on-v6 { none; };
  recursion no;
  dnssec-validation no;   // no trust-anchor fetches: this test stays on loopback
  notify no;
  querylog yes;
  pid-file "$D/named.pid";
};
logging {
  channel q { file "$D/query.log"; print-time yes; severity info; print-category yes; print-severity yes; };
  category queries { q; };
  category default { default_stderr; };
};
zone "victim.example" { type primary; file "$D/victim.zone"; };
CONF
named -f -c "$D/named.conf" > "$D/named.out" 2>&1 &
NAMED_PID=$!
trap 'kill $NAMED_PID 2>/dev/null || true; cleanup' EXIT
i=0; until dig +short +time=1 +tries=1 -p "$PORT" @127.0.0.1 ns1.victim.example >/dev/null 2>&1; do
	i=$((i + 1)); [ $i -lt 50 ] || { cat "$D/named.out"; fail "named did not start"; }; sleep 0.2; done

"$FW" run --set sqlite.path="$TMP/q.db" --set dns.querylog="$D/query.log" --set dns.querylog_timezone=localtime \
	--set listen.netflow=127.0.0.1:0 --set listen.ipfix=127.0.0.1:0 --set listen.sflow=127.0.0.1:0 \
	> "$TMP/run.log" 2>&1 &
DAEMON_PID=$!
wait_for "$TMP/run.log" "ready;"
BEFORE=$(grep -c ' query: ' "$D/query.log")   # the start-up probe: written before we followed
python3 - "$TMP/queries.txt" <<'PY'
import random, sys
random.seed(4)
with open(sys.argv[1], "w") as f:
    for i in range(300):
        lbl = "".join(random.choice("abcdefghijklmnopqrstuvw012345678") for _ in range(12))
        f.write(random.choice(["www.victim.example A", "mail.victim.example MX", lbl + ".victim.example A"]) + "\n")
PY
dnsperf -s 127.0.0.1 -p "$PORT" -d "$TMP/queries.txt" -n 1 -q 20 > "$TMP/dnsperf1.out" 2>&1
sleep 0.5
mv "$D/query.log" "$D/query.log.1"         # rotation, as logrotate does it
kill -HUP "$NAMED_PID"; sleep 0.5          # named reopens query.log
dnsperf -s 127.0.0.1 -p "$PORT" -d "$TMP/queries.txt" -n 1 -q 20 > "$TMP/dnsperf2.out" 2>&1
i=0; until [ "$(cat "$D/query.log" "$D/query.log.1" | grep -c ' query: ')" -ge $((600 + BEFORE)) ]; do
	i=$((i + 1)); [ $i -lt 50 ] || break; sleep 0.1; done
sleep 0.5
kill -TERM "$DAEMON_PID"; wait "$DAEMON_PID"; DAEMON_PID=""
grep "querylog:" "$TMP/run.log" | tail -1
logged=$(( $(cat "$D/query.log" "$D/query.log.1" | grep -c ' query: ') - BEFORE ))
cat "$TMP/dnsperf1.out" | grep -E "Queries (sent|completed)"
check "named logged all 600 queries ($logged)" test "$logged" -eq 600
check "every logged query arrived exactly once, across the rotation" \
	grep -q "querylog: lines=600 records=600 other=0 malformed=0 ring_drops=0 rotations=1" "$TMP/run.log"

# ---- 2. All three live sources at once, in network namespaces -----------
# Namespace A runs named (query log + dnstap to floodwatch's socket) behind
# an nftables rule that copies DNS packets to NFLOG group 7, and floodwatch
# with all three sources on.  Namespace B sends queries over a veth pair.
command -v nft >/dev/null || fail "nft (nftables) missing"
NSA=fwtA$$; NSB=fwtB$$
trap 'kill $NAMED_PID 2>/dev/null || true; ip netns del $NSA 2>/dev/null || true; ip netns del $NSB 2>/dev/null || true; cleanup' EXIT
kill "$NAMED_PID"; wait "$NAMED_PID" 2>/dev/null || true
ip netns add $NSA; ip netns add $NSB
ip link add vfA$$ netns $NSA type veth peer name vfB$$ netns $NSB
ip -n $NSA addr add 10.250.0.1/24 dev vfA$$; ip -n $NSB addr add 10.250.0.2/24 dev vfB$$
ip -n $NSA addr add fd00:fa::1/64 dev vfA$$ nodad; ip -n $NSB addr add fd00:fa::2/64 dev vfB$$ nodad
ip -n $NSA link set vfA$$ up; ip -n $NSB link set vfB$$ up; ip -n $NSA link set lo up
ip netns exec $NSA nft -f - <<'NFT'
table inet fwtest {
  chain in  { type filter hook input priority 0;  udp dport 53 log group 7; }
  chain out { type filter hook output priority 0; udp sport 53 log group 7; }
}
NFT
E="$TMP/ns"; mkdir -p "$E"; cp tests/data/victim.zone "$E/"
cat > "$E/named.conf" <<CONF
options {
  directory "$E";
  listen-on port 53 { 10.250.0.1; };
  listen-on-v6 port 53 { fd00:fa::1; };
  recursion no;
  dnssec-validation no;
  notify no;
  querylog yes;
  pid-file "$E/named.pid";
  dnstap { client; auth; };
  dnstap-output unix "$E/dnstap.sock";
};
logging {
  channel q { file "$E/query.log"; print-time yes; severity info; print-category yes; print-severity yes; };
  category queries { q; };
  category default { default_stderr; };
};
zone "victim.example" { type primary; file "$E/victim.zone"; };
CONF
# The documented example config (deploy/floodwatch.conf) with the three DNS
# sources switched on, as an operator would edit it.  floodwatch runs as
# nobody:nogroup and its socket is theirs; named runs as root without
# CAP_DAC_OVERRIDE (in no group of ours), so the socket is left open to all.
sed -e "s|^querylog =.*|querylog = $E/query.log|" -e "s|^dnstap_socket =.*|dnstap_socket = $E/dnstap.sock|" \
    -e "s|^dnstap_socket_mode =.*|dnstap_socket_mode = 0666|" \
    -e "s|^nflog_group =.*|nflog_group = 7|" -e "s|^path = .*|path = $TMP/n.db|" \
    -e "s|^netflow = .*|netflow = 127.0.0.1:0|" -e "s|^ipfix = .*|ipfix = 127.0.0.1:0|" \
    -e "s|^sflow = .*|sflow = 127.0.0.1:0|" -e "s|^template_state = .*|template_state =|" \
    deploy/floodwatch.conf > "$E/floodwatch.conf"
"$FW" check-config -c "$E/floodwatch.conf" > /dev/null
ip netns exec $NSA "$FW" run -c "$E/floodwatch.conf" > "$TMP/all.log" 2>&1 &
DAEMON_PID=$!
wait_for "$TMP/all.log" "ready;"
ip netns exec $NSA named -f -c "$E/named.conf" > "$E/named.out" 2>&1 &
NAMED_PID=$!
wait_for "$E/named.out" "running"
sleep 1
# From B: 200 queries over IPv4 and 200 over IPv6, each waiting for its answer.
ip netns exec $NSB "$PY" - <<'PY'
import random, socket, struct
random.seed(9)
got = 0
for fam, server in ((socket.AF_INET, "10.250.0.1"), (socket.AF_INET6, "fd00:fa::1")):
    s = socket.socket(fam, socket.SOCK_DGRAM); s.settimeout(2)
    for i in range(200):
        lbl = "".join(random.choice("abcdefghijklmnopqrstuvw012345678") for _ in range(12)).encode()
        q = struct.pack("!HHHHHH", i, 0x0100, 1, 0, 0, 0) + bytes([len(lbl)]) + lbl + b"\x06victim\x07example\x00" + b"\x00\x01\x00\x01"
        s.sendto(q, (server, 53))
        r = s.recv(4096)
        got += r[:2] == q[:2] and (r[3] & 15) == 3   # NXDOMAIN
print("NXDOMAIN answers", got)
assert got == 400
PY
kill -TERM "$NAMED_PID"; wait "$NAMED_PID" 2>/dev/null || true   # flushes dnstap, STOP/FINISH
# named has written every frame; wait (up to 20 s: ASan on a loaded machine)
# until the daemon has read them, from its counters (its HTTP API, inside
# A), then stop it.
URL=$(sed -n 's|.*http: API and /metrics at \(http://[^ ]*\) .*|\1|p' "$TMP/all.log")
n=0
while [ $n -lt 80 ] && ! ip netns exec $NSA curl -s "${URL}api/v1/counters" 2>/dev/null |
	python3 -c "import json, sys; r = json.load(sys.stdin)['counters']
sys.exit(not [x for x in r if x['source'] == 'dnstap' and x['name'] == 'frames' and x['value'] >= 800])" 2>/dev/null; do
	sleep 0.25; n=$((n + 1))
done
kill -TERM "$DAEMON_PID"; wait "$DAEMON_PID"; DAEMON_PID=""
grep -E "querylog:|dnstap:|nflog:" "$TMP/all.log" | tail -3
check "NFLOG: 200 + 200 queries and their 400 responses, each once" \
	grep -q "nflog: packets=800 records=800 not_dns=0 malformed=0 kernel_drops=0 ring_drops=0" "$TMP/all.log"
check "query log (followed live): the 400 queries, each once" \
	grep -q "querylog: lines=400 records=400 other=0 malformed=0 ring_drops=0" "$TMP/all.log"
check "dnstap (named over the unix socket): 400 queries + 400 responses, each once" \
	grep -q "dnstap: frames=800 records=800 skipped=0 bad=0 ring_drops=0 connections=1" "$TMP/all.log"
sqlite3 "$TMP/n.db" "SELECT at, value FROM collector_stats WHERE source='detector' AND name='dns_records'"
check "... the detector received all 2000 DNS records (400 + 800 + 800)" \
	sh -c "sqlite3 '$TMP/n.db' \"SELECT value FROM collector_stats WHERE source='detector' AND name='dns_records' ORDER BY at DESC LIMIT 1\" | grep -qx 2000"

# No CAP_NET_ADMIN: a clear error and exit 2 (capsh drops the capability).
if command -v capsh >/dev/null; then
	set +e
	capsh --drop=cap_net_admin -- -c "'$FW' run --set dns.nflog_group=8 --set sqlite.path='$TMP/x.db' \
	    --set listen.netflow=127.0.0.1:0 --set listen.ipfix=127.0.0.1:0 --set listen.sflow=127.0.0.1:0" \
	    > "$TMP/nocap.log" 2>&1
	rc=$?; set -e
	cat "$TMP/nocap.log"
	check "without CAP_NET_ADMIN: exit 2 with a clear message" \
	    sh -c "test $rc -eq 2 && grep -q 'cannot bind the NFLOG group' '$TMP/nocap.log'"
fi

# ---- 3. NFLOG: a query in IPv4 fragments, one in IPv6 fragments, one over TCP
# The kernel reassembles before the input hook, so the rules sit in
# prerouting, ahead of defragmentation (priority -450): NFLOG hands over
# each fragment, as on a router or a box without conntrack.  Each rule
# accepts so no packet is logged twice.
ip netns exec $NSA nft delete table inet fwtest
ip netns exec $NSA nft -f - <<'NFT'
table inet fwfrag {
  chain pre {
    type filter hook prerouting priority -450;
    udp dport 53 log group 7 accept
    ip frag-off & 0x1fff != 0 log group 7 accept
    exthdr frag exists log group 7 accept
    tcp dport 53 log group 7 accept
  }
}
NFT
ip -n $NSB link set vfB$$ mtu 1280; ip -n $NSA link set vfA$$ mtu 1280
ip netns exec $NSA "$FW" run --set sqlite.path="$TMP/f.db" --set dns.nflog_group=7 --set listen.netflow=127.0.0.1:0 \
	--set listen.ipfix=127.0.0.1:0 --set listen.sflow=127.0.0.1:0 > "$TMP/frag.log" 2>&1 &
DAEMON_PID=$!
wait_for "$TMP/frag.log" "ready;"
# The memory budget counts the NFLOG reader's reassembly and TCP tables
# (dns.reassembly_slots 64 x ~64.5 K, dns.tcp_flows 1024 x ~1.1 K).
ip netns exec $NSA "$FW" run --set sqlite.path="$TMP/nonf.db" --set dns.nflog_group=9 --set dns.reassembly_slots=0 \
	--set dns.tcp_flows=0 --set listen.netflow=127.0.0.1:0 --set listen.ipfix=127.0.0.1:0 \
	--set listen.sflow=127.0.0.1:0 > "$TMP/nonf.log" 2>&1 &
NONF=$!; wait_for "$TMP/nonf.log" "memory budget"; kill -TERM $NONF; wait $NONF || true
budget() { sed -n 's/.*memory budget: \([0-9.]*\) MiB.*/\1/p' "$1"; }
check "memory budget: NFLOG's reassembly tables count, over 4 MiB ($(budget "$TMP/nonf.log") -> $(budget "$TMP/frag.log") MiB)" \
	python3 -c "import sys; sys.exit(not float('$(budget "$TMP/frag.log")') - float('$(budget "$TMP/nonf.log")') > 4)"
# A DNS-over-TCP responder in A (one connection, one answer).
ip netns exec $NSA "$PY" - > "$TMP/tcpd.out" 2>&1 <<'PY' &
import socket, struct
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("10.250.0.1", 53)); s.listen(1); s.settimeout(10)
c, _ = s.accept(); c.settimeout(5)
buf = b""
while len(buf) < 2 or len(buf) < 2 + struct.unpack("!H", buf[:2])[0]:
    buf += c.recv(4096)
q = buf[2:]
r = q[:2] + b"\x81\x80" + q[4:]
c.sendall(struct.pack("!H", len(r)) + r); c.close()
print("answered")
PY
TCPD=$!
sleep 0.5
ip netns exec $NSB "$PY" - <<'PY'
import socket, struct
def query(name, qid, pad):
    lbls = b"".join(bytes([len(l)]) + l for l in name.encode().split(b"."))
    opt = b"\x00\x00\x29\x10\x00\x00\x00\x00\x00" + struct.pack("!HHH", pad + 4, 12, pad) + bytes(pad)
    return struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 1) + lbls + b"\x00\x00\x01\x00\x01" + opt
# 3000-byte queries: fragmented by the sending kernel (MTU 1280), IPv4 and IPv6
for fam, server, name in ((socket.AF_INET, "10.250.0.1", "frag4.victim.example"),
                          (socket.AF_INET6, "fd00:fa::1", "frag6.victim.example")):
    s = socket.socket(fam, socket.SOCK_DGRAM)
    if fam == socket.AF_INET:
        s.setsockopt(socket.IPPROTO_IP, 10, 0)       # IP_MTU_DISCOVER = IP_PMTUDISC_DONT
    s.sendto(query(name, 1, 3000), (server, 53))
# over TCP, the length prefix in a segment of its own
t = socket.create_connection(("10.250.0.1", 53), timeout=5)
t.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
q = query("tcp.victim.example", 2, 100)
t.sendall(struct.pack("!H", len(q))); t.sendall(q)
assert len(t.recv(4096)) > 2
t.close()
PY
wait "$TCPD" || true
sleep 1
kill -TERM "$DAEMON_PID"; wait "$DAEMON_PID"; DAEMON_PID=""
grep "nflog:" "$TMP/frag.log" | tail -1
check "NFLOG: the IPv4 and IPv6 fragmented queries are put together, the TCP query read: 3 records" \
	sh -c "grep 'nflog:' '$TMP/frag.log' | tail -1 | grep -q 'records=3 .* reassembled=2 frag_drops=0 .* tcp_messages=1 tcp_drops=0'"
names=$(sqlite3 "$TMP/f.db" "SELECT value FROM collector_stats WHERE source='ipfrag' AND name='reassembled' ORDER BY at DESC LIMIT 1")
check "... and collector_stats has the ipfrag row (reassembled=$names)" test "$names" = 2
