#!/usr/bin/python3
"""A NetFlow v9 / IPFIX exporter model for long-flow scenarios: writes the
datagrams a router with the given active and inactive timeouts would send,
as a pcap (Ethernet/IPv4/UDP), deterministically (fixed seed), offline.

gen_longflows.py OUT.pcap --active S [--inactive 15] [--format nf9|ipfix]
                 [--minutes 30] [--ramp] [--attack none|udp|syn|long] [--onset S]

Traffic (T0 = 1700000000, the shared captures' epoch):
- Benign, to four /24s (198.51.100-103.0/24, servers .10-.29): per /24, 24
  long-lived flows (streaming, backups, tunnels) of 2-12 packets/s each that
  run the whole capture, started at a random time up to one active timeout
  before T0 (a collector joins a router that has been exporting for a
  while), plus about 3 short client flows per second per /24 (1-10 s, a
  few packets a second) that end with the inactive timeout.
- --ramp: a compressed diurnal cycle: every rate follows
  0.5 + 1.5 * sin^2(pi * t / length) (x0.5 at the edges, x2 at the middle)
  and the short-flow arrival rate follows it too.
- --attack udp: from --onset (default 1200 s) for 60 s, 600 packets/s of
  spoofed UDP to 198.51.101.53 port 53, every packet its own flow (random
  source address and port); syn: the same with TCP SYNs to 198.51.102.80
  port 443; long: four flows of 500 packets/s each (UDP, fixed 5-tuples) to
  198.51.103.21 for 5 minutes; hostile: from --onset, one record a second
  for 10 s claiming 2^64 - 1 packets and bytes to 198.51.100.99 (a broken or
  hostile exporter: the collector must drop them, never alert).
The exporter model is pmacct nfprobe's: a flow cache scanned once a second;
an entry is exported when it has been idle for the inactive timeout, or
has lived for the active timeout (the flow goes on in a new entry).
Records carry flowStart/EndMilliseconds (152/153), 8-byte counters.
"""
import argparse, math, random, struct

p = argparse.ArgumentParser()
p.add_argument("out")
p.add_argument("--active", type=int, required=True)
p.add_argument("--inactive", type=int, default=15)
p.add_argument("--format", choices=("nf9", "ipfix"), default="nf9")
p.add_argument("--minutes", type=float, default=30)
p.add_argument("--ramp", action="store_true")
p.add_argument("--attack", choices=("none", "udp", "syn", "long", "hostile"), default="none")
p.add_argument("--onset", type=int, default=1200)
p.add_argument("--seed", type=int, default=7)
a = p.parse_args()
rnd = random.Random(a.seed)
T0 = 1700000000
LEN = int(a.minutes * 60)


def factor(t):
    if not a.ramp:
        return 1.0
    return 0.5 + 1.5 * math.sin(math.pi * t / LEN) ** 2


def ip(s):
    return bytes(int(x) for x in s.split("."))


class Flow:
    def __init__(self, src, dst, sport, dport, proto, flags, pps, size, t0, t1, phase):
        self.key = (ip(src), ip(dst), sport, dport, proto, flags)
        self.pps, self.size, self.t0, self.t1, self.phase = pps, size, t0, t1, phase


flows = []
for net in range(4):
    for i in range(24):
        start = -rnd.uniform(0, a.active)
        flows.append(Flow("203.0.113.%d" % rnd.randint(1, 250), "198.51.%d.%d" % (100 + net, 10 + i % 20),
                          rnd.randint(1024, 65535), rnd.choice((443, 1194, 22, 873)), rnd.choice((6, 17)), 0x18,
                          rnd.uniform(2, 12), rnd.randint(200, 1400), start, LEN + 60, rnd.random()))
# Short client flows: Poisson-ish arrivals, ~3/s per /24 (x the ramp).
t = 0.0
while t < LEN:
    t += rnd.expovariate(12 * factor(t))
    net = rnd.randrange(4)
    d = rnd.uniform(1, 10)
    flows.append(Flow("203.0.113.%d" % rnd.randint(1, 250), "198.51.%d.%d" % (100 + net, 10 + rnd.randrange(20)),
                      rnd.randint(1024, 65535), rnd.choice((443, 80, 53)), rnd.choice((6, 17)), 0x1b,
                      rnd.uniform(1, 4), rnd.randint(60, 1200), t, t + d, rnd.random()))
if a.attack == "long":
    for i in range(4):
        flows.append(Flow("192.0.2.%d" % (10 + i), "198.51.103.21", 40000 + i, 9999, 17, 0, 500, 512,
                          a.onset, a.onset + 300, 0.1 * i))

# The exporter: per flow (or spoofed packet) a cache entry [first, last, pkts, bytes].
cache = {}
records = []          # (export second, first_ms, last_ms, key, pkts, bytes)


def scan(now):
    for k in list(cache):
        e = cache[k]
        if T0 + now - e[1] / 1000.0 >= a.inactive or T0 + now - e[0] / 1000.0 >= a.active:
            records.append((now, e[0], e[1], k, e[2], e[3]))
            del cache[k]


active = [[] for _ in range(LEN + 2)]      # flows sending in second s
for f in flows:
    for s in range(max(0, int(math.floor(f.t0))), min(LEN + 1, int(math.ceil(f.t1))) + 1):
        active[s].append(f)
for s in range(0, LEN + 1):
    # Packets of second [s, s + 1): each flow sends about pps x factor packets,
    # at its phase within the second.  A flow that began before T0 has its
    # entry (and packets) from then: the router was exporting already.
    for f in active[s]:
        lo = max(f.t0, s)
        hi = min(f.t1, s + 1)
        if hi <= lo:
            continue
        n = f.pps * factor(s) * (hi - lo)
        n = int(n) + (1 if rnd.random() < n - int(n) else 0)
        if n == 0:
            continue
        first_ms = int((T0 + lo + f.phase * (hi - lo) * 0.1) * 1000)
        last_ms = int((T0 + hi - (1 - f.phase) * (hi - lo) * 0.1) * 1000)
        e = cache.get(f.key)
        if e is None:
            if f.t0 < 0 and s == 0:
                pre = int(f.pps * factor(0) * -f.t0)
                cache[f.key] = [int((T0 + f.t0) * 1000), last_ms, n + pre, (n + pre) * f.size]
            else:
                cache[f.key] = [first_ms, last_ms, n, n * f.size]
        else:
            e[1] = last_ms
            e[2] += n
            e[3] += n * f.size
    if a.attack in ("udp", "syn") and a.onset <= s < a.onset + 60:
        for i in range(600):
            tms = (T0 + s) * 1000 + i * 1000 // 600
            src = bytes((rnd.randint(1, 223), rnd.randrange(256), rnd.randrange(256), rnd.randint(1, 254)))
            if a.attack == "udp":
                key = (src, ip("198.51.101.53"), rnd.randint(1024, 65535), 53, 17, 0)
                size = 540
            else:
                key = (src, ip("198.51.102.80"), rnd.randint(1024, 65535), 443, 6, 0x02)
                size = 60
            cache[key] = [tms, tms, 1, size]
    if a.attack == "hostile" and a.onset <= s < a.onset + 10:
        tms = (T0 + s) * 1000
        cache[(ip("192.0.2.66"), ip("198.51.100.99"), 1234 + s, 80, 17, 0)] = [tms, tms + 500, 2 ** 64 - 1, 2 ** 64 - 1]
    scan(s + 1)
scan(LEN + 10 ** 6)     # the end: everything left goes out (as at shutdown)

# ---- wire format ----
FIELDS = [(8, 4), (12, 4), (7, 2), (11, 2), (4, 1), (6, 1), (2, 8), (1, 8), (152, 8), (153, 8)]
RLEN = sum(l for _, l in FIELDS)
TID = 256


def template_set():
    body = struct.pack("!HH", TID, len(FIELDS)) + b"".join(struct.pack("!HH", t, l) for t, l in FIELDS)
    sid = 0 if a.format == "nf9" else 2
    return struct.pack("!HH", sid, 4 + len(body)) + body


def rec(r):
    _, first, last, k, pk, by = r
    return k[0] + k[1] + struct.pack("!HHBBQQQQ", k[2], k[3], k[4], k[5], pk, by, first, last)


out = open(a.out, "wb")
out.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
seq = 0
nrec = 0


def emit(ts, recs, with_template):
    global seq, nrec
    sets = template_set() if with_template else b""
    if recs:
        body = b"".join(rec(r) for r in recs)
        pad = (-len(body)) % 4
        sets += struct.pack("!HH", TID, 4 + len(body) + pad) + body + b"\0" * pad
    if a.format == "nf9":
        hdr = struct.pack("!HHIIII", 9, len(recs) + (1 if with_template else 0), 3600000 + int(ts * 1000) % 1000000,
                          T0 + int(ts), seq, 0)
        seq += 1
    else:
        hdr = struct.pack("!HHIII", 10, 16 + len(sets), T0 + int(ts), nrec, 0)
    nrec += len(recs)
    payload = hdr + sets
    udp = struct.pack("!HHHH", 40000, 2055, 8 + len(payload), 0) + payload
    iph = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, 64, 17, 0, ip("192.0.2.1"), ip("192.0.2.100"))
    frame = b"\x02\xfc\0\0\0\x05\x02\xfc\0\0\0\x01\x08\x00" + iph + udp
    sec = T0 + int(ts)
    out.write(struct.pack("<IIII", sec, int((ts - int(ts)) * 1e6), len(frame), len(frame)) + frame)


last_tmpl = -10 ** 9
records.sort(key=lambda r: r[0])
i = 0
while i < len(records):
    now = records[i][0]
    j = i
    while j < len(records) and records[j][0] == now:
        j += 1
    batch = records[i:j]
    for k in range(0, len(batch), 24):
        tm = now - last_tmpl >= 60
        if tm:
            last_tmpl = now
        emit(min(now, LEN + 30) + 0.001 * (k // 24), batch[k:k + 24], tm)
    i = j
out.close()
print("%s: %d records" % (a.out, len(records)))
