# The SQLite store: migrations from every earlier schema version, refusal of
# a newer one, kill -9 during a burst of alerts, a long reader that must not
# stall the writer, and read-only / full file systems.
. tests/integration/lib.sh
CAP=tests/data/udpflood_nf5.pcap
NSTEPS=$(ls schema/[0-9][0-9][0-9]_*.sql | wc -l)

# 1. Migration from every earlier version: build the old schema with the sqlite3
#    shell from the SQL files, put an alert in it, let floodwatch migrate it.
v=0
while [ $v -lt "$NSTEPS" ]; do
	db="$TMP/m$v.db"
	for f in $(ls schema/[0-9][0-9][0-9]_*.sql | head -n $v); do sqlite3 "$db" < "$f"; done
	sqlite3 "$db" "PRAGMA user_version = $v"
	if [ $v -ge 1 ]; then
		sqlite3 "$db" "INSERT INTO alerts (id, started_at, updated_at, ended_at, victim, vector, severity,
		    peak_pps, peak_bps, peak_qps, events, evidence) VALUES ('00000000000000aa', '2020-01-01T00:00:00.000Z',
		    '2020-01-01T00:01:00.000Z', '2020-01-01T00:01:00.000Z', '192.0.2.1', 'syn_flood', 2, 1, 2, 0, 3, '{}')"
	fi
	"$FW" replay --set sqlite.path="$db" --set sqlite.retention_days=0 "$CAP" > "$TMP/out" 2>&1 || { cat "$TMP/out"; fail "replay on a version $v database"; }
	check "migrated from version $v to $NSTEPS" test "$(sqlite3 "$db" 'PRAGMA user_version')" -eq "$NSTEPS"
	want=$([ $v -ge 1 ] && echo 2 || echo 1)
	check "... keeping old alerts and adding the new one ($want)" test "$(sqlite3 "$db" 'SELECT count(*) FROM alerts')" -eq "$want"
	check "... and the result passes integrity_check" test "$(sqlite3 "$db" 'PRAGMA integrity_check')" = ok
	v=$((v + 1))
done

# 2. A database from a newer floodwatch is refused with a clear message.
sqlite3 "$TMP/new.db" "PRAGMA user_version = $((NSTEPS + 5))"
set +e; "$FW" replay --set sqlite.path="$TMP/new.db" "$CAP" > "$TMP/out" 2>&1; rc=$?; set -e
cat "$TMP/out"
check "a newer schema is refused (exit 2)" test $rc -eq 2
check "... saying why" grep -q "newer than this program" "$TMP/out"

# 3. kill -9 during a burst of alerts: the file stays consistent, and every alert
#    that SQLite holds has all the events it claims (no half-written alert).
python3 tests/bench/gen_nf5.py "$TMP/burst.pcap" 1000000 2000 100
for delay in 0.15 0.3 0.5; do
	db="$TMP/burst$delay.db"
	"$FW" replay --set sqlite.path="$db" "$TMP/burst.pcap" > /dev/null 2>&1 &
	pid=$!
	sleep "$delay"
	kill -9 $pid 2>/dev/null || true
	wait $pid 2>/dev/null || true
	[ -f "$db" ] || continue
	check "kill -9 after ${delay}s: integrity_check ok" test "$(sqlite3 "$db" 'PRAGMA integrity_check')" = ok
	check "... every alert row matches its events" test "$(sqlite3 "$db" \
	    "SELECT count(*) FROM alerts a WHERE events != (SELECT max(seq) FROM alert_events e WHERE e.alert_id = a.id)")" -eq 0
done
"$FW" replay --set sqlite.path="$TMP/full-burst.db" "$TMP/burst.pcap" > "$TMP/out"
# 50 alerts of 4 events, plus the update that says "quiet" for the 49 that go calm
# before the input ends (the last one ends at the end of input).
check "the burst written in full" grep -q "alerts: 50 started, 50 ended, 249 events written" "$TMP/out"

# 4. A reader holding a long read transaction does not stall the writer.
"$FW" replay --set sqlite.path="$TMP/r.db" "$CAP" > /dev/null
python3 - "$TMP/r.db" "$FW" "$TMP/burst.pcap" <<'PY'
import sqlite3, subprocess, sys, time
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("BEGIN")
before = db.execute("SELECT count(*) FROM alerts").fetchone()[0]   # read snapshot held open
t = time.time()
r = subprocess.run([sys.argv[2], "replay", "--set", "sqlite.path=" + sys.argv[1], sys.argv[3]],
                   capture_output=True, text=True, timeout=120)
assert r.returncode == 0, r.stdout + r.stderr
assert "249 events written" in r.stdout, r.stdout
assert db.execute("SELECT count(*) FROM alerts").fetchone()[0] == before, "reader saw a change inside its snapshot"
db.execute("COMMIT")
assert db.execute("SELECT count(*) FROM alerts").fetchone()[0] == before + 50
print(f"writer finished in {time.time() - t:.2f}s while a read transaction was open")
PY
echo "ok - a long reader does not stall the writer"

# 5. Read-only and full file systems: a clear error, never a crash.
mkdir -p "$TMP/mnt"
trap 'umount "$TMP/mnt" 2>/dev/null || true; cleanup' EXIT
if mount -t tmpfs -o size=512k tmpfs "$TMP/mnt" 2>/dev/null; then
	"$FW" replay --set sqlite.path="$TMP/mnt/a.db" "$CAP" > /dev/null
	dd if=/dev/zero of="$TMP/mnt/fill" bs=4k 2>/dev/null || true
	set +e; "$FW" replay --set sqlite.path="$TMP/mnt/a.db" "$TMP/burst.pcap" > "$TMP/out" 2>&1; rc=$?; set -e
	tail -5 "$TMP/out"
	check "full disk: exit status 1 or 2, not a crash" test $rc -eq 1 -o $rc -eq 2
	check "... with a clear message" grep -q "file system is full" "$TMP/out"
	rm -f "$TMP/mnt/fill"
	mount -o remount,ro "$TMP/mnt"
	set +e; "$FW" replay --set sqlite.path="$TMP/mnt/b.db" "$CAP" > "$TMP/out" 2>&1; rc=$?; set -e
	cat "$TMP/out"
	check "read-only file system: exit 2 with the path and the reason" \
	    sh -c "test $rc -eq 2 && grep -q '$TMP/mnt/b.db.*read-only' '$TMP/out'"
	umount "$TMP/mnt"
else
	echo "skip - cannot mount a tmpfs here (needs root): full/read-only checks not run"
fi
