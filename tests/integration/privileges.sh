# Privileges of `run` (general.user, general.group, general.allow_root), read
# from /proc/PID/task/*/status of every thread:
#  1. Started as root with general.user = nobody: every thread (listeners,
#     detector, sink, main) runs as nobody:nogroup with no capability at all
#     (effective, permitted, inheritable, bounding, ambient) and no_new_privs,
#     and the daemon still receives flows and writes an alert.  What it created
#     is nobody's: directories 0750, database and template files 0640.
#     With Kafka on, librdkafka's threads (started before the switch) as well.
#  2. A database written by root earlier (here by replay) is handed over.
#  3. NFLOG in a network namespace: every thread keeps cap_net_admin (effective,
#     permitted, bounding) and nothing else, and NFLOG packets still arrive.
#  4. Refused with exit 2 and a message: root with an empty general.user,
#     general.user = root, unknown user or group, a database directory nobody
#     cannot write.  general.allow_root = yes runs as root.
. tests/integration/lib.sh
[ "$(id -u)" -eq 0 ] || { echo "skip: this test starts floodwatch as root"; exit 0; }
NOBODY="$(id -u nobody) $(id -u nobody) $(id -u nobody) $(id -u nobody)"
NOGROUP=$(getent group nogroup | cut -d: -f3)
NOGROUPS="$NOGROUP $NOGROUP $NOGROUP $NOGROUP"
PORTS="--set listen.netflow=127.0.0.1:0 --set listen.ipfix=127.0.0.1:0 --set listen.sflow=127.0.0.1:0"

# threads PID: one line per thread, NAME|UID×4|GID×4|GROUPS|INH|PRM|EFF|BND|AMB|NO_NEW_PRIVS
threads() {
	for t in /proc/"$1"/task/*; do
		awk -F'\t' '/^Name:/{n=$2} /^Uid:/{u=$2" "$3" "$4" "$5} /^Gid:/{g=$2" "$3" "$4" "$5}
		    /^Groups:/{gr=$2; sub(/ +$/, "", gr)} /^CapInh:/{ci=$2} /^CapPrm:/{cp=$2} /^CapEff:/{ce=$2}
		    /^CapBnd:/{cb=$2} /^CapAmb:/{ca=$2} /^NoNewPrivs:/{nn=$2}
		    END{print n"|"u"|"g"|"gr"|"ci"|"cp"|"ce"|"cb"|"ca"|"nn}' "$t/status"
	done
}
# all_threads FILE EXPECTED: every line of FILE, name removed, is EXPECTED.
all_threads() { test "$(cut -d'|' -f2- "$1" | sort -u)" = "$2"; }
# start LOG ARGS...: run in the background (DAEMON_PID), wait until ready.
start() {
	log=$1; shift
	"$FW" run $PORTS --set flow.template_state= "$@" > "$log" 2>&1 &
	DAEMON_PID=$!
	wait_for "$log" "ready;"
	NF=$(sed -n 's/.*listening: netflow 127.0.0.1:0 (port \([0-9]*\)).*/\1/p' "$log")
}
stop() { kill -TERM "$DAEMON_PID"; set +e; wait "$DAEMON_PID"; rc=$?; set -e; DAEMON_PID=""; }
# flood PORT SECONDS: NetFlow v5 with current timestamps, a UDP flood on 198.51.100.7.
flood() {
	python3 - "$1" "$2" <<'PY'
import random, socket, struct, sys, time
port, secs = int(sys.argv[1]), float(sys.argv[2])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
boot, seq, end = time.time() - 1000.0, 0, time.time() + secs
random.seed(7)
while time.time() < end:
    now = time.time(); up = int((now - boot) * 1000)
    recs = b"".join(struct.pack("!4s4s4sHHIIIIHHBBBBHHBBH",
        socket.inet_aton("203.0.113.%d" % random.randint(1, 250)), socket.inet_aton("198.51.100.7"), bytes(4),
        1, 2, 100, 100 * 500, up - 50, up, random.randint(1024, 65535), 80, 0, 0, 17, 0, 0, 0, 0, 0, 0)
        for _ in range(30))
    s.sendto(struct.pack("!HHIIIIBBH", 5, 30, up, int(now), int(now % 1 * 1e9), seq, 0, 0, 0) + recs,
             ("127.0.0.1", port))
    seq += 30
    time.sleep(0.05)
PY
}
FAST="--set detector.window_ms=200 --set detector.lateness_ms=400 --set detector.max_lateness_ms=400 --set detector.warmup_windows=0 --set detector.start_windows=2"

# ---- 1. root -> nobody:nogroup, no capabilities ---------------------------
S="$TMP/state"   # does not exist yet: the daemon creates it
start "$TMP/a.log" --set general.user=nobody --set sqlite.path="$S/sub/fw.db" \
	--set flow.template_state="$S/tmpl/templates" $FAST
threads "$DAEMON_PID" > "$TMP/a.threads"
cat "$TMP/a.threads"
flood "$NF" 2
build/o/tools/sendpcap -r 20000 "$NF" tests/data/udpflood_nf9.pcap   # templates to save
sleep 0.5
stop
cat "$TMP/a.log"
check "at least the main, sink, detector and three listener threads" \
	sh -c "test $(wc -l < "$TMP/a.threads") -ge 6 && grep -q '^fw-rx-netflow|' '$TMP/a.threads' \
	    && grep -q '^fw-detect|' '$TMP/a.threads' && grep -q '^fw-sink|' '$TMP/a.threads'"
check "every thread: uid and gid nobody:nogroup, only that group, no capability in any set, no_new_privs" \
	all_threads "$TMP/a.threads" "$NOBODY|$NOGROUPS|$NOGROUP|0000000000000000|0000000000000000|0000000000000000|0000000000000000|0000000000000000|1"
check "the log says who it runs as" grep -q "priv: running as nobody:nogroup .*capabilities: none" "$TMP/a.log"
check "SIGTERM: exit 0" test "$rc" -eq 0
check "the flood was received and alerted on" \
	grep -q "records=[1-9][0-9]* ring_drops=0 not_allowed=0 victims=[0-9]* alerts_started=[1-9]" "$TMP/a.log"
check "... and the alert is in the database" \
	test "$(sqlite3 "$S/sub/fw.db" "SELECT vector FROM alerts WHERE victim = '198.51.100.7'")" = udp_flood
check "created directories are 0750 nobody:nogroup" \
	test "$(stat -c '%a %U:%G' "$S" "$S/sub" "$S/tmpl" | sort -u)" = "750 nobody:nogroup"
check "the database is 0640 nobody:nogroup" test "$(stat -c '%a %U:%G' "$S/sub/fw.db")" = "640 nobody:nogroup"
check "saved templates are 0640 nobody:nogroup" \
	sh -c "ls '$S'/tmpl/templates.* >/dev/null && test \"\$(stat -c '%a %U:%G' '$S'/tmpl/templates.* | sort -u)\" = '640 nobody:nogroup'"

# librdkafka starts its threads before the switch: they must lose everything too.
build/o/tools/kafka_mock -f "$TMP/kafka.boot" > /dev/null 2> "$TMP/kafka.log" &
MOCK_PID=$!
trap 'kill $MOCK_PID 2>/dev/null || true; cleanup' EXIT
wait_for "$TMP/kafka.boot" ":"
start "$TMP/k.log" --set general.user=nobody --set sqlite.path="$TMP/k.db" --set kafka.brokers="$(cat "$TMP/kafka.boot")"
threads "$DAEMON_PID" > "$TMP/k.threads"
stop
kill "$MOCK_PID"; wait "$MOCK_PID" 2>/dev/null || true
cat "$TMP/k.threads"
check "Kafka on: librdkafka's threads are there too" grep -q '^rdk:' "$TMP/k.threads"
check "... and every thread, theirs included, is nobody:nogroup with no capability" \
	all_threads "$TMP/k.threads" "$NOBODY|$NOGROUPS|$NOGROUP|0000000000000000|0000000000000000|0000000000000000|0000000000000000|0000000000000000|1"

# ---- 2. a database root wrote earlier is handed over ---------------------
rm -f "$S/sub/fw.db" "$S/sub/fw.db-wal" "$S/sub/fw.db-shm"
"$FW" replay --set sqlite.path="$S/sub/fw.db" tests/data/udpflood_nf5.pcap > /dev/null
chown root:root "$S"/tmpl/templates.*
check "replay as root left a root-owned database" test "$(stat -c %U "$S/sub/fw.db")" = root
# retention_days=0: the replayed alert is from 2023, past the 90-day retention.
start "$TMP/b.log" --set general.user=nobody --set sqlite.path="$S/sub/fw.db" --set flow.template_state="$S/tmpl/templates" \
	--set sqlite.retention_days=0
stop
check "run took the database over (nobody:nogroup) and said so" \
	sh -c "test \"\$(stat -c %U:%G '$S/sub/fw.db')\" = nobody:nogroup && grep -q 'fw.db now belongs to nobody:nogroup' '$TMP/b.log'"
check "... and the saved templates" test "$(stat -c %U:%G "$S"/tmpl/templates.* | sort -u)" = nobody:nogroup
check "... and kept what replay wrote" \
	test "$(sqlite3 "$S/sub/fw.db" "SELECT count(*) FROM alerts WHERE victim = '198.51.100.53'")" -eq 1

# ---- 3. NFLOG in a network namespace: cap_net_admin only -------------------
if command -v nft >/dev/null && ip netns add fwpriv$$ 2>/dev/null; then
	trap 'ip netns del fwpriv$$ 2>/dev/null || true; cleanup' EXIT
	ip -n fwpriv$$ link set lo up
	ip netns exec fwpriv$$ nft -f - <<'NFT'
table inet fwpriv {
  chain in { type filter hook input priority 0; udp dport 53 log group 11; }
}
NFT
	ip netns exec fwpriv$$ "$FW" run $PORTS --set flow.template_state= --set general.user=nobody \
		--set sqlite.path="$TMP/n.db" --set dns.nflog_group=11 > "$TMP/n.log" 2>&1 &
	DAEMON_PID=$!
	wait_for "$TMP/n.log" "ready;"
	threads "$DAEMON_PID" > "$TMP/n.threads"
	cat "$TMP/n.threads"
	ip netns exec fwpriv$$ "$PY" - <<'PY'
import socket, struct
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(50):
    s.sendto(struct.pack("!HHHHHH", i, 0x0100, 1, 0, 0, 0) + b"\x03www\x06victim\x07example\x00\x00\x01\x00\x01",
             ("127.0.0.1", 53))
PY
	sleep 1
	stop
	grep -E "priv:|nflog:" "$TMP/n.log"
	check "NFLOG: an fw-nflog thread among them" grep -q '^fw-nflog|' "$TMP/n.threads"
	check "NFLOG: every thread nobody:nogroup with cap_net_admin (effective, permitted, bounding) and nothing else" \
		all_threads "$TMP/n.threads" "$NOBODY|$NOGROUPS|$NOGROUP|0000000000000000|0000000000001000|0000000000001000|0000000000001000|0000000000000000|1"
	check "NFLOG: the 50 packets arrived after the drop, exit 0" \
		sh -c "test $rc -eq 0 && grep -q 'nflog: packets=50 records=50 ' '$TMP/n.log'"
else
	echo "skip: NFLOG part (needs nft and network namespaces)"
fi

# ---- 4. refusals, and the explicit opt-in to root --------------------------
refused() {  # DESCRIPTION PATTERN ARGS...: exit 2 and PATTERN in the output
	desc=$1; pat=$2; shift 2
	set +e; "$FW" run $PORTS --set flow.template_state= --set sqlite.path="$TMP/r.db" "$@" > "$TMP/r.log" 2>&1; r=$?; set -e
	cat "$TMP/r.log"
	check "$desc: exit 2 and a clear message" sh -c "test $r -eq 2 && grep -q \"$pat\" '$TMP/r.log'"
}
refused "root with general.user empty" "refusing to run the packet parsers as root.*general.allow_root = yes" \
	--set general.user=
refused "general.user = root" "general.user = root.*refusing.*general.allow_root = yes" --set general.user=root
refused "unknown user" "general.user: no such user 'fw-no-such-user'" --set general.user=fw-no-such-user
refused "unknown group" "general.group: no such group 'fw-no-such-group'" --set general.group=fw-no-such-group
check "nothing was created by the refused runs" test ! -e "$TMP/r.db"
mkdir "$TMP/rootdir"
refused "database directory nobody cannot write" "not writable as nobody.*chown nobody:nogroup $TMP/rootdir" \
	--set sqlite.path="$TMP/rootdir/x.db"
start "$TMP/root.log" --set general.user= --set general.allow_root=yes --set sqlite.path="$TMP/root.db"
threads "$DAEMON_PID" > "$TMP/root.threads"
stop
check "general.allow_root = yes: runs as root, with a warning" \
	sh -c "test $rc -eq 0 && grep -q 'running as root with every capability' '$TMP/root.log' \
	    && test \"\$(cut -d'|' -f2 '$TMP/root.threads' | sort -u)\" = '0 0 0 0'"
