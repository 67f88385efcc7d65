# Realistic background, no attack (issue 12): four hours of event time of
# the hosting network of tests/tools/gen_background.py (200 servers with
# heavy-tailed, bursty rates, 200,000 clients in 600 /16s, both directions,
# web/QUIC/DNS/NTP/SSH, a backup and other long flows, a diurnal ramp; seed
# 12), generated here into $TMP: NetFlow v9 (5 s active / 15 s inactive
# timeout), the same traffic as sFlow from four agents sampling 1:64,
# 1:512, 1:2048 and 1:4096, and the BIND query log of its authoritative DNS
# server (30 zones, 3,000 resolvers).  Each is replayed with
# detector.networks set to the servers' prefixes and with the default
# config.  Expected: zero alerts everywhere, and with the default config
# (every destination watched, clients included) a victim table that never
# fills (no evicted_lru, no victims_full).
# BG_MINUTES=N shortens the capture for a quick look (not for CI).  Each
# replay is stopped after BG_TIMEOUT seconds (600): an alert storm makes
# one slow (today's detector writes ~60,000 alerts in the default-config
# replay); what was written by then is reported, and the check fails.
. tests/integration/lib.sh
MIN=${BG_MINUTES:-240}
NETS=198.51.100.0/24,203.0.113.0/24,2001:db8:1::/64
now() { python3 -c 'import time; print("%.1f" % time.monotonic())'; }

t0=$(now)
python3 tests/tools/gen_background.py --seed 12 --minutes "$MIN" -o "$TMP/bg_nf9.pcap" \
	--sflow-out "$TMP/bg_sflow.pcap" --sampling 64,512,2048,4096 --dns-log "$TMP/bg_dns.log"
echo "  generated in $(python3 -c "print('%.1f' % ($(now) - $t0))") s"

bg_run() {  # input config(nets|default)
	in=$1 conf=$2 db="$TMP/$(basename "$1").$2.db"
	set --
	[ "$conf" = nets ] && set -- --set detector.networks=$NETS
	t=$(now) rc=0
	timeout "${BG_TIMEOUT:-600}" "$FW" replay --set sqlite.path="$db" --set dns.querylog_timezone=UTC "$@" "$in" \
		> "$TMP/out" 2>&1 || rc=$?
	secs=$(python3 -c "print('%.1f' % ($(now) - $t))")
	case $rc in
	0) grep -E '^  (nf9|sflow5|querylog) |^detector:|^alerts:' "$TMP/out" | sed 's/^ */  /' ;;
	124) echo "  replay stopped after ${BG_TIMEOUT:-600} s; the alerts written by then:" ;;
	*) cat "$TMP/out"; return 1 ;;
	esac
	sqlite3 -separator ' ' "$db" "SELECT victim, vector, started_at,
		(julianday(COALESCE(ended_at, updated_at)) - julianday(started_at)) * 86400 FROM alerts ORDER BY started_at" > "$TMP/alerts" 2>/dev/null || :
	sqlite3 -separator ' ' "$db" "SELECT name, value FROM collector_stats WHERE source = 'detector'
		AND name IN ('victims', 'victims_full', 'evicted_lru')" > "$TMP/stats"  2>/dev/null || :
	python3 - "$TMP/alerts" "$TMP/stats" "$MIN" "$conf" "$secs" "$rc" <<'PY'
import collections, sys
alerts = [l.split() for l in open(sys.argv[1]) if l.strip()]
stats = dict(l.split() for l in open(sys.argv[2]) if l.strip())
hours, conf, secs, rc = float(sys.argv[3]) / 60, sys.argv[4], sys.argv[5], sys.argv[6]
print("  replayed in %s s; %d alerts (%.1f per hour); victims %s, evicted_lru %s, victims_full %s"
      % (secs, len(alerts), len(alerts) / hours, stats.get("victims", "?"), stats.get("evicted_lru", "?"),
         stats.get("victims_full", "?")))
bad = rc != "0"
if alerts:
    bad = True
    by = collections.Counter(a[1] for a in alerts)
    print("  by vector: " + ", ".join("%s %d" % kv for kv in by.most_common()))
    for v, vec, st, dur in alerts[:15]:
        print("    %s %s at %s for %.0f s" % (v, vec, st, float(dur)))
    if len(alerts) > 15:
        print("    ... %d more" % (len(alerts) - 15))
if conf == "default" and (stats.get("evicted_lru", "0") != "0" or stats.get("victims_full", "0") != "0"):
    print("  the victim table filled")
    bad = True
sys.exit(1 if bad else 0)
PY
}
check "$MIN min of NetFlow v9 background, detector.networks = the servers: no alert" bg_run "$TMP/bg_nf9.pcap" nets
check "$MIN min of NetFlow v9 background, default config: no alert, victim table never full" bg_run "$TMP/bg_nf9.pcap" default
check "$MIN min of sFlow background (1:64 .. 1:4096), detector.networks: no alert" bg_run "$TMP/bg_sflow.pcap" nets
check "$MIN min of sFlow background (1:64 .. 1:4096), default config: no alert, table never full" bg_run "$TMP/bg_sflow.pcap" default
check "$MIN min of BIND query log (30 zones, 3,000 resolvers): no alert" bg_run "$TMP/bg_dns.log" default
