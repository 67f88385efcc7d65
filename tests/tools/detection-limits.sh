#!/bin/sh
# Detection limits (issue 12): for each sampling rate, the smallest spoofed
# UDP flood on a busy background server that Floodwatch alerts on.
#
#   sh tests/tools/detection-limits.sh [FW]      (default ./floodwatch)
#   env: BASE (victim's normal HTTPS load, packets/s, default 600),
#        RATES ("1 64 512 2048 4096"), DUR (flood seconds, 120), SEED (12)
#
# Each probe is 10 minutes of tests/tools/gen_background.py background (the
# victim 198.51.100.80 taking BASE packets/s of HTTPS) and then DUR seconds
# of spoofed UDP (random sources and ports, 512 bytes) at the probed rate,
# replayed with detector.networks = the servers' prefixes.  Rate 1 is
# unsampled NetFlow v9; the others are sFlow at 1:N.  A probe "alerts" when
# an alert on the victim starts between the onset and the end of the flood;
# the table gives the smallest such rate (a geometric search: a ladder of
# multiples of BASE, then three halvings of the gap), as packets/s and as a
# multiple of BASE, with the vector named and the delay from the onset to
# started_at.  Not part of make check (a few minutes).
set -eu
FW=${1:-./floodwatch}
TMP=$(mktemp -d /tmp/fwlimits.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
/usr/bin/python3 - "$FW" "$TMP" "${BASE:-600}" "${RATES:-1 64 512 2048 4096}" "${DUR:-120}" "${SEED:-12}" <<'PY'
import datetime, math, os, subprocess, sys, time
fw, tmp, base, rates, dur, seed = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4].split(), int(sys.argv[5]), sys.argv[6]
gen = "tests/tools/gen_background.py"      # run from the project root
T0, ONSET, VICTIM = 1700000000, 600, "198.51.100.80"
NETS = "198.51.100.0/24,203.0.113.0/24,2001:db8:1::/64"
minutes = (ONSET + dur + 60) / 60.0


def probe(n, pps):
    cap, db = os.path.join(tmp, "p.pcap"), os.path.join(tmp, "p.db")
    for f in (db, db + "-wal", db + "-shm"):
        if os.path.exists(f):
            os.unlink(f)
    fmt = ["--format", "nf9"] if n == 1 else ["--format", "sflow", "--sampling", str(n)]
    subprocess.run(["/usr/bin/python3", gen, "-o", cap, "--seed", seed, "--minutes", str(minutes), "--onset", str(ONSET),
                    "--attack", "udpflood:victim=%s,base=%g,pps=%g,dur=%d" % (VICTIM, base, pps, dur)] + fmt,
                   check=True, stdout=subprocess.DEVNULL)
    subprocess.run([fw, "replay", "--set", "sqlite.path=" + db, "--set", "detector.networks=" + NETS, cap],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    rows = subprocess.run(["sqlite3", "-separator", " ", db, "SELECT vector, started_at FROM alerts WHERE victim = '%s'"
                           % VICTIM], check=True, capture_output=True, text=True).stdout.split("\n")
    for r in filter(None, rows):
        vec, st = r.split()
        t = datetime.datetime.strptime(st, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.timezone.utc).timestamp() - T0
        if ONSET - 1 <= t <= ONSET + dur:
            return vec, t - ONSET
    return None


ladder = [0.05, 0.1, 0.2, 0.5, 1, 2, 3, 5, 10, 20, 50, 100]
print("victim %s with %g packets/s of HTTPS; spoofed UDP flood for %d s; seed %s" % (VICTIM, base, dur, seed))
print("%-9s %12s %10s  %-18s %s" % ("sampling", "flood pps", "x base", "vector", "start after onset"))
t_all = time.monotonic()
for r in rates:
    n = int(r)
    lo, hi, hit = None, None, None
    for m in ladder:
        if n == 1 and m > 20:
            break            # unsampled NetFlow: one record per spoofed packet, keep the probe small
        got = probe(n, base * m)
        if got:
            hi, hit = base * m, got
            break
        lo = base * m
    if hi is None:
        print("%-9s %12s %10s  %-18s %s" % ("1:%d" % n, "> %g" % lo, "> %g" % (lo / base), "-", "-"))
        continue
    if lo is not None:
        for _ in range(3):
            mid = math.sqrt(lo * hi)
            got = probe(n, mid)
            if got:
                hi, hit = mid, got
            else:
                lo = mid
    print("%-9s %12.0f %10.2f  %-18s %+.1f s" % ("1:%d" % n, hi, hi / base, hit[0], hit[1]))
    sys.stdout.flush()
print("(%.0f s)" % (time.monotonic() - t_all))
PY
