# Issue 18: collectors and detectors as a Kafka consumer group, on
# librdkafka's mock cluster (3 brokers, records topic with 12 partitions,
# state and alerts topics), all on loopback.
#  (a) one replay collector, three detectors: the alerts (victim, vector,
#      start) over the three SQLite files equal a standalone replay's, for
#      flows, DNS, and both in one replay (every partition then uses the
#      lateness the collector learned over the whole stream);
#  (b) a capture published slowly (in chunks); kill -9 the detector owning
#      the attacked victim mid-attack: its partitions move within the
#      session timeout and the alert goes on with the same id on the new
#      owner (its SQLite and the alerts topic), no second start, no seq
#      missing;
#  (c) a fourth detector joins mid-attack: cooperative rebalance, no alert
#      lost or duplicated.
# Bounded: every wait has a limit; the mock cluster exits after 15 minutes.
. tests/integration/lib.sh
MOCK=build/o/tools/kafka_mock
S=tests/data/scenarios
PIDS=""
stop_all() { for p in $PIDS; do kill -9 "$p" 2>/dev/null || true; done; }
trap 'stop_all; cleanup' EXIT

start_mock() {  # $1 = name; sets BOOT
	"$MOCK" -b 3 -t floodwatch.records:12 -t floodwatch.state:4 -t floodwatch.alerts:4 -f "$TMP/$1.boot" \
		> /dev/null 2> "$TMP/$1.mock.log" &
	PIDS="$PIDS $!"
	wait_for "$TMP/$1.boot" ":"
	BOOT=$(cat "$TMP/$1.boot")
}

# start_detector NAME: a detector daemon with its own SQLite file; DPID=its pid.
start_detector() {
	"$FW" run --set cluster.role=detector --set cluster.member_name="$1" --set sqlite.path="$TMP/$1.db" \
		--set kafka.brokers="$BOOT" --set cluster.checkpoint_ms=1000 --set cluster.session_timeout_ms=6000 \
		--set cluster.idle_partition_ms=3000 --set stats.interval_ms=1000 > "$TMP/$1.log" 2>&1 &
	DPID=$!
	PIDS="$PIDS $DPID"
	wait_for "$TMP/$1.log" "ready;"
}

# owned NAME: partitions the detector said it owned last.
owned() { sed -n 's/.*cluster: partitions=\([0-9]*\)\/12.*/\1/p' "$TMP/$1.log" | tail -n 1; }

# wait_owned NAME... : until each owns some and together all 12 (60 s).
wait_owned() {
	i=0
	while :; do
		sum=0; each=1
		for d in "$@"; do n=$(owned "$d"); n=${n:-0}; sum=$((sum + n)); [ "$n" -gt 0 ] || each=0; done
		[ "$sum" -eq 12 ] && [ $each -eq 1 ] && return 0
		i=$((i + 1)); [ $i -lt 600 ] || { tail -n 5 "$TMP"/*.log; return 1; }
		sleep 0.1
	done
}

# alerts DB...: "victim vector started_at" of every alert, sorted, unique.
alerts() { for db in "$@"; do sqlite3 "$db" "SELECT victim, vector, started_at FROM alerts" 2>/dev/null; done | sort -u; }

# ---- (a) one collector, three detectors, the same alerts as standalone ----
# same_as_standalone NAME CAPTURE: a fresh cluster, three detectors, one
# replay collector; the union of their alerts equals `replay` alone.
same_as_standalone() {
	"$FW" replay --set sqlite.path="$TMP/$1.solo.db" "$2" > "$TMP/$1.solo.out" 2>&1
	alerts "$TMP/$1.solo.db" > "$TMP/$1.solo.alerts"
	cat "$TMP/$1.solo.alerts"
	start_mock "$1"
	start_detector "$1.1"; start_detector "$1.2"; start_detector "$1.3"
	wait_owned "$1.1" "$1.2" "$1.3" || return 1
	"$FW" replay --set cluster.role=collector --set cluster.member_name=col --set kafka.brokers="$BOOT" \
		--set sqlite.path="$TMP/$1.col.db" "$2" > "$TMP/$1.col.out" 2>&1 || { cat "$TMP/$1.col.out"; return 1; }
	i=0
	until alerts "$TMP/$1".?.db | cmp -s - "$TMP/$1.solo.alerts"; do
		i=$((i + 1)); [ $i -lt 300 ] || break; sleep 0.1
	done
	alerts "$TMP/$1".?.db > "$TMP/$1.alerts"
	sleep 1.5  # a stats line after the last batch
	stop_all; PIDS=""
	diff "$TMP/$1.solo.alerts" "$TMP/$1.alerts" || return 1
	! grep -q 'malformed=[1-9]' "$TMP/$1".?.log || return 1
	# Every record published was taken by some detector.
	pub=$(sed -n 's/.*publish: \([0-9]*\) records taken, \([0-9]*\) published.*/\2/p' "$TMP/$1.col.out")
	got=$(for d in 1 2 3; do sed -n 's/.*cluster: partitions=.* records=\([0-9]*\) .*/\1/p' "$TMP/$1.$d.log" | tail -n 1; done |
		awk '{ n += $1 } END { print n + 0 }')
	echo "  published $pub records, the detectors took $got"
	test -n "$pub" && test "$pub" -gt 0 && test "$got" -eq "$pub"
}
# Three attacks on three victims, in three export formats, merged in time order.
mergecap -F pcap -w "$TMP/flows.pcap" $S/syn_nf9.pcap $S/gre_ipfix.pcap $S/ssdp_sflow.pcap
check "(a) flows: 3 detectors on 12 partitions raise the alerts of a standalone replay" same_as_standalone fl "$TMP/flows.pcap"
check "(a) ... all three attacks" test "$(wc -l < "$TMP/fl.alerts")" -eq 3
check "(a) DNS water torture: the same alert as a standalone replay" same_as_standalone dn $S/wt.pcap
check "(a) ... one alert" test "$(wc -l < "$TMP/dn.alerts")" -eq 1
# Flows and DNS in one replay.  The collector learns the lateness over the
# whole stream as a standalone detector does (3.0 s from the sFlow records
# here) and sends it with every batch: every partition uses it, the DNS
# zone's and those without records too, not only those holding flows.
mergecap -F pcap -w "$TMP/mix.pcap" $S/ssdp_sflow.pcap $S/wt.pcap
check "(a) flows + DNS in one replay: the alerts of a standalone replay" same_as_standalone mx "$TMP/mix.pcap"
check "(a) ... both attacks" test "$(wc -l < "$TMP/mx.alerts")" -eq 2
SOLO_LATE=$(sed -n 's/.*lateness in force \([0-9.]*\) s.*/\1/p' "$TMP/mx.solo.out" | awk '{ printf "%d", $1 * 1000 }')
for d in 1 2 3; do
	got=$(sed -n 's/.*cluster: partitions=.* lateness_ms=\([0-9.]*\)$/\1/p' "$TMP/mx.$d.log" | tail -n 1)
	check "(a) ... detector $d: every partition's lateness is the standalone's ($SOLO_LATE ms), got $got" \
		test "$got" = "$SOLO_LATE..$SOLO_LATE"
done

# ---- (b) kill -9 the owner mid-attack, (c) a fourth detector joins ----
# The UDP flood (NetFlow v5, attack from 60 s) published slowly: its
# datagrams in chunks of 10, one replay collector run per chunk.  Each run
# ends with a final watermark of newest + 2 x (window_ms + max_lateness_ms)
# of the collector's own config: set to 100 ms and 0 for the chunks, so the
# next chunk goes on where this one stopped; the last chunk closes for real.
# The alert id (a hash of victim and start) must be a standalone replay's.
"$FW" replay --set sqlite.path="$TMP/udp.solo.db" tests/data/udpflood_nf5.pcap > /dev/null 2>&1
SOLO_ID=$(sqlite3 "$TMP/udp.solo.db" "SELECT id FROM alerts WHERE vector = 'udp_flood'")
check "(b) standalone: one udp_flood alert" test -n "$SOLO_ID"
editcap -c 10 tests/data/udpflood_nf5.pcap "$TMP/chunk.pcap"
CHUNKS=$(ls "$TMP"/chunk_*.pcap | sort)
NCHUNKS=$(echo "$CHUNKS" | wc -l)
publish_chunk() {  # $1 = chunk file, $2 = last (1) or not
	if [ "$2" = 1 ]; then extra=""; else
		extra="--set detector.window_ms=100 --set detector.lateness_ms=0 --set detector.max_lateness_ms=0"; fi
	# shellcheck disable=SC2086
	"$FW" replay --set cluster.role=collector --set cluster.member_name=col --set kafka.brokers="$BOOT" \
		--set sqlite.path="$TMP/col.db" $extra "$1" > "$TMP/chunk.out" 2>&1 || { cat "$TMP/chunk.out"; fail "collector chunk $1"; }
	sleep 1.2  # a checkpoint (cluster.checkpoint_ms) between chunks
}
# owner_of ID: the member whose SQLite has the start of alert ID.
owner_of() { for d in b1 b2 b3; do [ -n "$(sqlite3 "$TMP/$d.db" "SELECT 1 FROM alert_events WHERE alert_id = '$1' AND event = 'start'" 2>/dev/null)" ] && echo $d; done; return 0; }

start_mock b
start_detector b1; B1=$DPID
start_detector b2; B2=$DPID
start_detector b3; B3=$DPID
check "(b) three detectors share the 12 partitions" wait_owned b1 b2 b3
n=0; OWNER=""; KILLED_AT=""; JOINED=""
for c in $CHUNKS; do
	n=$((n + 1))
	publish_chunk "$c" $([ $n -eq "$NCHUNKS" ] && echo 1 || echo 0)
	[ -n "$OWNER" ] || OWNER=$(owner_of "$SOLO_ID")
	if [ -n "$OWNER" ] && [ -z "$KILLED_AT" ] && [ -n "${SEEN_START:-}" ]; then
		# One chunk after the start: the attack goes on, the owner dies.
		case $OWNER in b1) kill -9 "$B1"; REST="b2 b3" ;; b2) kill -9 "$B2"; REST="b1 b3" ;; *) kill -9 "$B3"; REST="b1 b2" ;; esac
		KILLED_AT=$n; T0=$(date +%s)
		echo "alert $SOLO_ID started on $OWNER; killed it (kill -9) after chunk $n of $NCHUNKS"
		check "(b) the killed member's partitions move to the others" wait_owned $REST
		MOVED=$(( $(date +%s) - T0 ))
		echo "  partitions moved after ${MOVED} s"
		check "(b) ... within the session timeout (6 s) plus a rebalance and a stats tick (<= 20 s)" test $MOVED -le 20
	elif [ -n "$KILLED_AT" ] && [ -z "$JOINED" ] && [ $n -ge $((KILLED_AT + 2)) ]; then
		start_detector b4; B4=$DPID
		check "(c) a fourth detector joins mid-attack: four share the 12 partitions" wait_owned $REST b4
		JOINED=$n
	fi
	[ -z "$OWNER" ] || SEEN_START=1
done
check "(b) the kill landed during the attack, before the last chunk" test -n "$KILLED_AT" -a "$KILLED_AT" -lt "$NCHUNKS"
check "(c) the fourth member joined before the last chunk" test -n "$JOINED" -a "$JOINED" -lt "$NCHUNKS"
sleep 3  # outboxes to the alerts topic
for d in b1 b2 b3 b4; do echo "  $d: $(sqlite3 "$TMP/$d.db" "SELECT event || ' ' || seq FROM alert_events WHERE alert_id = '$SOLO_ID' ORDER BY seq" | paste -sd, -)"; done
NEW=$(for d in $REST b4; do sqlite3 "$TMP/$d.db" "SELECT '$d' FROM alert_events WHERE alert_id = '$SOLO_ID' LIMIT 1"; done)
check "(b) the alert continued with the same id on another member" test -n "$NEW"
check "(b) ... whose SQLite has no start for it" \
	test "$(for d in $NEW; do sqlite3 "$TMP/$d.db" "SELECT count(*) FROM alert_events WHERE alert_id = '$SOLO_ID' AND event = 'start'"; done | awk '{ n += $1 } END { print n + 0 }')" -eq 0
check "(b)(c) one udp_flood alert over all members, the standalone's id" \
	test "$(for d in b1 b2 b3 b4; do sqlite3 "$TMP/$d.db" "SELECT id FROM alerts WHERE vector = 'udp_flood'"; done | sort -u)" = "$SOLO_ID"

kcat -C -b "$BOOT" -t floodwatch.alerts -e -q -f '%s\n' > "$TMP/topic.json"
python3 - "$TMP/topic.json" "$SOLO_ID" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
mine = [r for r in rows if r["id"] == sys.argv[2]]
events = sorted({(r["seq"], r["event"]) for r in mine})  # (id, event, seq) de-duplication
print(f"  alerts topic: {len(mine)} messages for {sys.argv[2]}, {len(events)} distinct events "
      f"{events}, {len(mine) - len(events)} duplicates (at-least-once)")
assert [e for e in events if e[1] == "start"] == [(1, "start")], f"starts after de-duplication: {events}"
seqs = [s for s, _ in events]
assert seqs == list(range(1, len(seqs) + 1)), f"seq gaps (lost events): {seqs}"
assert len(seqs) >= 2, "no event after the start"
ids = {r["id"] for r in rows if r["vector"] == "udp_flood"}
assert ids == {sys.argv[2]}, f"udp_flood alert ids on the topic: {ids}"
PY
check "(b)(c) alerts topic: one start, seq without a gap, after (id, event, seq) de-duplication" true
check "(b) a restore took the killed member's partitions with their state" sh -c "grep -q 'state restored' '$TMP'/b?.log"
check "(c) the join was incremental: partitions revoked with a checkpoint" sh -c "grep -q 'revoked (checkpointed, committed)' '$TMP'/b?.log"
# A clean leave: SIGTERM hands every partition on with a checkpoint, exit 0;
# the others take them over (one at a time), the last leaves with all 12.
LEFT="$REST b4"
for d in $REST b4; do
	LEFT=$(echo "$LEFT" | sed "s/$d//")
	eval "pid=\$$(echo "$d" | tr b B)"
	kill -TERM "$pid"
	set +e; wait "$pid"; rc=$?; set -e
	check "SIGTERM: $d leaves the group and exits 0" test $rc -eq 0
	[ -z "$(echo "$LEFT" | tr -d ' ')" ] || check "... its partitions move to$LEFT" wait_owned $LEFT
done
check "... the last member checkpointed all 12 partitions on leaving" \
	grep -q "leaving the group: 12 partitions checkpointed" "$TMP/b4.log"
for d in $REST b4; do
	check "$d never lost a partition without a checkpoint" sh -c "! grep -q 'lost (not checkpointed)' '$TMP/$d.log'"
done
