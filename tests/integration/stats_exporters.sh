# Counters under hostile exporters (issue 9, items 1 and 8).
# (One host holding 2000 templates: the per-exporter template quota is raised for it.)
# One loopback host claims 1000 NetFlow v9 source ids and 1000 IPFIX
# observation domains, through `replay` (crafted pcaps) and through `run`
# (real UDP sockets, stats.interval_ms = 1000 so a stats tick happens):
# no crash at the tick or at shutdown, every global row is in
# collector_stats, the busiest exporters are listed and the rest summed
# ("nf9 others"), and listed + others = the per-format total.  Then data
# whose template never comes, and a full template cache, reach the
# per-format counters and the log line.
. tests/integration/lib.sh
SEND=build/o/tools/sendpcap
GEN=tests/tools/make-exporters.py

python3 "$GEN" nf9 1000 "$TMP/nf9.pcap"
python3 "$GEN" ipfix 1000 "$TMP/ipfix.pcap"
python3 "$GEN" nf9 1000 "$TMP/nf9-data.pcap" 1

q() { sqlite3 "$1" "$2"; }
# Value of one counter in the newest snapshot of database $1.
val() { q "$1" "SELECT value FROM collector_stats WHERE source = '$2' AND name = '$3' AND at = (SELECT max(at) FROM collector_stats)"; }
# Sum over listed exporters (source "$2 ADDR", name dom*_$3) in the newest snapshot.
listed() { q "$1" "SELECT coalesce(sum(value), 0) FROM collector_stats WHERE source LIKE '$2 %' AND source <> '$2 others' AND name LIKE 'dom%\_$3' ESCAPE '\\' AND at = (SELECT max(at) FROM collector_stats)"; }

# Every assertion of the 1000 + 1000 exporters case on database $1.
check_snapshot() {
	db=$1
	check "no counter stored as a negative number" test "$(q "$db" "SELECT count(*) FROM collector_stats WHERE typeof(value) = 'integer' AND value < 0")" = 0
	check "nf9: 1000 datagrams, 1040 records" test "$(val "$db" nf9 datagrams) $(val "$db" nf9 records)" = "1000 1040"
	check "ipfix: 1000 datagrams, 1040 records" test "$(val "$db" ipfix datagrams) $(val "$db" ipfix records)" = "1000 1040"
	check "detector and pipeline rows are written" test "$(val "$db" detector flow_records) $(val "$db" pipeline ring_drops)" = "2080 0"
	check "snapshot bounded (at most 1024 rows)" test "$(q "$db" "SELECT count(*) FROM collector_stats GROUP BY at ORDER BY at DESC LIMIT 1")" -le 1024
	for k in nf9 ipfix; do
		check "$k: 32 exporters listed" test "$(q "$db" "SELECT count(*) FROM collector_stats WHERE source LIKE '$k %' AND name LIKE '%\_records' ESCAPE '\\' AND source <> '$k others' AND at = (SELECT max(at) FROM collector_stats)")" = 32
		check "$k: the ten busiest are among them" test "$(q "$db" "SELECT count(*) FROM collector_stats WHERE source = '$k 127.0.0.1' AND name IN ('dom991_records','dom992_records','dom993_records','dom994_records','dom995_records','dom996_records','dom997_records','dom998_records','dom999_records','dom1000_records') AND value = 5 AND at = (SELECT max(at) FROM collector_stats)")" = 10
		check "$k: 968 exporters summed in '$k others'" test "$(val "$db" "$k others" exporters)" = 968
		check "$k: listed + others records = 1040" test $(($(listed "$db" $k records) + $(val "$db" "$k others" records))) = 1040
		check "$k: listed + others datagrams = 1000" test $(($(listed "$db" $k datagrams) + $(val "$db" "$k others" datagrams))) = 1000
	done
	# + the "flow ADDR" profiles of the one host (nf9 and ipfix), listed
	check "stats rows: 2002 seen, 66 listed, 1936 summed, 0 rows omitted" test "$(val "$db" stats exporters_seen) $(val "$db" stats exporters_listed) $(val "$db" stats exporters_summed) $(val "$db" stats rows_omitted)" = "2002 66 1936 0"
}

# ---- replay: one decoder sees all 2000 exporters ----
set +e
"$FW" replay --set sqlite.path="$TMP/r.db" --set flow.max_exporters=4096 --set flow.max_templates_per_exporter=4096 "$TMP/nf9.pcap" "$TMP/ipfix.pcap" > "$TMP/r.out" 2>&1
rc=$?
set -e
cat "$TMP/r.out"
check "replay of 2000 exporters exits 0 (no crash writing collector_stats)" test $rc = 0
check_snapshot "$TMP/r.db"

# ---- run: real sockets, a stats tick, then shutdown ----
start() {  # $1 = log, rest = extra --set
	log=$1; shift
	"$FW" run --set sqlite.path="$TMP/l.db" --set listen.netflow=127.0.0.1:0 --set listen.ipfix=127.0.0.1:0 \
		--set listen.sflow=127.0.0.1:0 --set flow.template_state= --set stats.interval_ms=1000 --set flow.max_templates_per_exporter=4096 "$@" > "$log" 2>&1 &
	DAEMON_PID=$!
	wait_for "$log" "ready;"
	NF=$(sed -n 's/.*listening: netflow 127.0.0.1:0 (port \([0-9]*\)).*/\1/p' "$log")
	IX=$(sed -n 's/.*listening: ipfix 127.0.0.1:0 (port \([0-9]*\)).*/\1/p' "$log")
}
stop() {  # SIGTERM; the exit status must be 0
	kill -TERM "$DAEMON_PID"
	set +e; wait "$DAEMON_PID"; rc=$?; set -e
	DAEMON_PID=""
	check "daemon exits 0 after SIGTERM (got $rc)" test $rc = 0
}
start "$TMP/a.log"
# Snapshots older than stats.retention_days (7) are pruned at the next tick.
sqlite3 -cmd ".timeout 5000" "$TMP/l.db" "INSERT INTO collector_stats VALUES
	(strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-30 days'), 'nf9', 'datagrams', 1),
	(strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-3 days'), 'nf9', 'datagrams', 2)"
"$SEND" -r 20000 "$NF" "$TMP/nf9.pcap"
"$SEND" -r 20000 "$IX" "$TMP/ipfix.pcap"
wait_for "$TMP/a.log" "exporters: 2002 seen"  # + 2 "flow ADDR" profiles
check "the daemon survived a stats tick with 2000 exporters" kill -0 "$DAEMON_PID"
stop
grep -E "decode|exporters:" "$TMP/a.log" | tail -4
check "a 30-day-old snapshot was pruned, a 3-day-old one kept" test "$(q "$TMP/l.db" "SELECT group_concat(value) FROM collector_stats WHERE at < strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-1 day')")" = 2
check "a snapshot at a tick and one at shutdown" test "$(q "$TMP/l.db" "SELECT count(DISTINCT at) FROM collector_stats")" -ge 2
check "listener rows are written" test "$(val "$TMP/l.db" listener datagrams) $(val "$TMP/l.db" listener records)" = "2000 2080"
check_snapshot "$TMP/l.db"

# ---- item 8: data whose template never comes (pending buffer off) ----
start "$TMP/b.log" --set flow.pending_slots=0 --set sqlite.path="$TMP/n.db"
"$SEND" -r 20000 "$NF" "$TMP/nf9-data.pcap"
wait_for "$TMP/b.log" "decode nf9: datagrams=1000 "
stop
grep "decode nf9" "$TMP/b.log" | tail -1
check "log line: 1000 data sets dropped for no template" grep -q "decode nf9: datagrams=1000 records=0 errors=1000 drops: no_template=1000 tmpl: .*undecodable=1000" "$TMP/b.log"
check "collector_stats: nf9 drop_no_template = 1000" test "$(val "$TMP/n.db" nf9 drop_no_template)" = 1000
check "collector_stats: nf9 tmpl_undecodable = 1000" test "$(val "$TMP/n.db" nf9 tmpl_undecodable)" = 1000

# ---- item 8: a full template cache (16 slots, 1000 exporters) ----
"$FW" replay --set sqlite.path="$TMP/f.db" --set flow.max_templates=16 --set flow.pending_slots=0 \
	--set flow.max_exporters=2048 "$TMP/nf9.pcap" > "$TMP/f.out" 2>&1
cat "$TMP/f.out"
full=$(val "$TMP/f.db" nf9 drop_template_full)
nt=$(val "$TMP/f.db" nf9 drop_no_template)
echo "template_full=$full no_template=$nt"
# Whatever the cache's policy (refuse or evict), the per-format counters are
# the template decoder's own, and the summary's error total includes them.
check "drop_template_full = the template decoder's template_full" test "$full" = "$(q "$TMP/f.db" "SELECT coalesce(max(value), 0) FROM collector_stats WHERE source = 'nf9' AND name = 'tmpl_template_full'")"
check "drop_no_template = the template decoder's undecodable" test "$nt" = "$(q "$TMP/f.db" "SELECT coalesce(max(value), 0) FROM collector_stats WHERE source = 'nf9' AND name = 'tmpl_undecodable'")"
check "replay summary counts them as errors" grep -q "nf9      datagrams: 1000, records: [0-9]*, errors: $((full + nt)), no_template: $nt$" "$TMP/f.out"
check "every data set either decoded or counted as no_template" test $(($(val "$TMP/f.db" nf9 records) + nt)) -ge 1000
