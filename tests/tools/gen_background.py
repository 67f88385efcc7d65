#!/usr/bin/python3
"""Realistic background traffic for detector tests: a hosting network of
~200 servers seen by its routers (NetFlow v9, IPFIX or sampled sFlow v5,
as a pcap of export datagrams) and its authoritative DNS server (a BIND
query log), optionally with one of the attacks or false-alarm traps of
issue 12 on top.  Python 3 stdlib only, offline, deterministic: the same
options give the same bytes.  Four hours generate in well under a minute.

  gen_background.py [-o OUT.pcap] [--sflow-out OUT.pcap] [--dns-log OUT.log]
      [--seed N] [--minutes M] [--format nf9|ipfix|sflow] [--sampling N[,N...]]
      [--attack KIND[:key=value,...]]... [--onset S] [--active S]
      [--inactive S] [--start EPOCH] [--list]

The network (fixed by --seed, the same with or without an attack):
- 200 servers: 100 in 198.51.100.0/24 (.10-.109), 60 in 203.0.113.0/24
  (.10-.69), 40 in 2001:db8:1::/64 (::10-::37 hex).  Mean inbound rates
  are heavy-tailed over 0.3-600 packets/s (most servers are quiet, a few
  are busy).  Roles: web (TCP 443 and 80, some with QUIC on UDP 443), DNS
  (UDP 53, resolvers as clients), NTP (UDP 123), SSH/SMTP.  Each server's
  rate also wanders slowly (a log-normal random walk per minute).
- Clients: 200,000 IPv4 addresses in 600 /16s (Zipf popularity: a few NAT
  gateways are heavy, most addresses are seen once or twice) and 4,000
  IPv6 addresses in 2001:db8:8000::/33; 3,000 of the IPv4 ones are DNS
  resolvers.
- Sessions arrive as a Poisson process per server (so second-to-second
  counts are noisy, and bursty: a session's size is log-normal, so one
  download can be hundreds of packets/s for a few seconds).  Both
  directions are flows: the server's replies make the client a
  destination.  TCP sessions carry SYN / SYN-ACK, ACK/PSH and FIN flags.
  DNS and NTP are one packet each way per query.
- Long-lived flows: an offsite backup (203.0.113.20 -> 192.0.2.50, 300
  Mbit/s of 9000-byte frames for 30 min from t = 1 h, ACKs back), a VPN
  tunnel (UDP 1194, 30 pps, all the time), a video stream (400 pps for
  40 min) and database replication between two servers (TCP 3306).
- A gentle diurnal ramp: every rate x (1 + 0.3 cos(2 pi (hour - 20) / 24))
  (peak at 20:00 UTC); with the default start (1700000000, 22:13 UTC) four
  hours fall about 20 %.
- Sessions that began before the start are there (the router was already
  exporting): only what is exported from t = 0 on is written.

Exporters (pcap of Ethernet/IPv4/UDP datagrams 127.0.0.1 -> 127.0.0.1,
fixed MACs; --format):
- nf9: one router (source id 0), a flow cache scanned once a second: an
  entry is exported when it has lived --active seconds (5) or been idle
  --inactive seconds (15; with the defaults every entry leaves within
  ~6 s of its first packet).  Templates 256 (IPv4) and 257 (IPv6) with
  FIRST/LAST_SWITCHED against the header's sysUptime, re-sent every 60 s.
- ipfix: the same cache; flowStart/EndMilliseconds, 8-byte counters,
  templates re-sent every 60 s.
- sflow: packet sampling 1 in N at the servers' switches: each packet is
  sampled with probability 1/N (exact: geometric gaps over each flow's
  packets); one agent per sampling rate in --sampling (127.0.0.1, .2, ...,
  each serving an equal share of the servers, both directions), flow
  samples with sampling_rate and sample_pool set and a raw header record
  (Ethernet, IPv4/IPv6, TCP/UDP header), up to 8 samples a datagram.
  --sflow-out PATH (with -o in nf9 or ipfix) writes the same traffic
  through sFlow too, in one run (the sampling draws have their own
  random stream, so either file is what a single run would write).
--dns-log: a BIND query log (print-time, category, severity; UTC, so
replay with --set dns.querylog_timezone=UTC) of one authoritative server
(198.51.100.53) for 30 zones (*.example) whose query rates are
heavy-tailed (0.05-25 q/s, ~70 q/s in all), from the resolvers (Zipf: a few
public resolvers carry much), names Zipf-popular within each zone, qtypes
A/AAAA/HTTPS/MX/TXT/..., ~2 % rare or unique names (typos, DKIM, scanners),
each resolver caching each answer for its TTL (60-3600 s, so one resolver
does not ask the same name again and again).

Attacks (--attack KIND[:key=value,...], from --onset, default 600 s; the
victim's own background can be set with base=):
  session   one TCP session from one address/port to a quiet server at
            about peak= pps for dur= s (victim
            198.51.100.34, base 3.4: an API server, small exchanges only;
            peak 63, dur 30).  Not an attack.
  downloads n= clients (20) each downloading for 10-60 s at 2-8 kpps from
            a busy server, spread over dur= s (300).  Not an attack.
  udpflood  spoofed UDP (random source address and port, random
            destination port, 512 bytes) at pps= (6000) for dur= s (90) on
            victim= (198.51.100.80, base 2000: its background is HTTPS only).
  synflood  the same with TCP SYNs to port 443 (pps 5000, base 50).
  pulse     SYN flood pulses: pps= (5000) for on= s (10), off= s (20),
            count= times (6) on victim= (198.51.100.80, base 50).
  backup    one TCP 5-tuple src= -> dst= (198.51.100.61 -> 203.0.113.40)
            carrying bps= (1e9) in 9000-byte frames (13.9 kpps), ACKs
            back every second segment, for dur= s (300).  Not an attack.
  wt        (DNS log) water torture: qps= (40) random labels under zone=
            (shop.example, base 300 q/s of normal queries) from the
            resolvers, for dur= s (300).
  typo      (DNS log) one client (client=192.0.2.77) asking the same n= (20)
            nonexistent names under zone= (shop.example) at qps= (190) for
            dur= s (300).  Not an attack.
--list prints the servers (address, role, mean packets/s) and exits.
"""
import argparse
import bisect
import datetime
import ipaddress
import math
import random
import struct
import sys

p = argparse.ArgumentParser(description="Realistic background traffic (NetFlow v9 / IPFIX / sFlow pcap, BIND query log).")
p.add_argument("-o", "--out", help="pcap of export datagrams")
p.add_argument("--sflow-out", help="also write the same traffic as sampled sFlow (--sampling) to this pcap")
p.add_argument("--dns-log", help="BIND query log to write")
p.add_argument("--seed", type=int, default=1)
p.add_argument("--minutes", type=float, default=15)
p.add_argument("--format", choices=("nf9", "ipfix", "sflow"), default="nf9")
p.add_argument("--sampling", default="1024", help="sFlow: 1-in-N, or N,N,... one agent per rate")
p.add_argument("--attack", action="append", default=[], help="KIND[:key=value,...]")
p.add_argument("--onset", type=float, default=600)
p.add_argument("--active", type=int, default=5)
p.add_argument("--inactive", type=int, default=15)
p.add_argument("--start", type=int, default=1700000000)
p.add_argument("--list", action="store_true")
a = p.parse_args()
if not (a.out or a.sflow_out or a.dns_log or a.list):
    p.error("nothing to write: give -o, --sflow-out and/or --dns-log")
if a.sflow_out and a.format == "sflow":
    p.error("--sflow-out goes with -o in nf9 or ipfix")

T0 = a.start
LEN = int(a.minutes * 60)
PRE = 60                      # seconds of traffic before t = 0 (already in the router's cache)
ACT, INACT = a.active, a.inactive
SAMPLING = [int(x) for x in a.sampling.split(",")]

ATTACK_DEFAULTS = {
    "session": dict(victim="198.51.100.34", base=3.4, peak=63, dur=30),
    "downloads": dict(n=20, dur=300),
    "udpflood": dict(victim="198.51.100.80", base=2000, pps=6000, dur=90),
    "synflood": dict(victim="198.51.100.80", base=50, pps=5000, dur=90),
    "pulse": dict(victim="198.51.100.80", base=50, pps=5000, on=10, off=20, count=6),
    "backup": dict(src="198.51.100.61", dst="203.0.113.40", bps=1e9, dur=300),
    "wt": dict(zone="shop.example", base=300, qps=40, dur=300),
    "typo": dict(zone="shop.example", client="192.0.2.77", qps=190, n=20, dur=300),
}
attacks = []
for spec in a.attack:
    kind, _, rest = spec.partition(":")
    if kind not in ATTACK_DEFAULTS:
        p.error("unknown attack %r (one of %s)" % (kind, ", ".join(ATTACK_DEFAULTS)))
    prm = dict(ATTACK_DEFAULTS[kind])
    for kv in filter(None, rest.split(",")):
        k, _, v = kv.partition("=")
        if k not in prm:
            p.error("attack %s has no parameter %r" % (kind, k))
        prm[k] = type(prm[k])(float(v)) if isinstance(prm[k], (int, float)) else v
    attacks.append((kind, prm))


def diurnal(t):
    h = ((T0 + t) % 86400) / 3600.0
    return 1.0 + 0.3 * math.cos(2 * math.pi * (h - 20) / 24)


def poisson(rnd, lam):
    if lam <= 0:
        return 0
    if lam > 40:
        return max(0, int(rnd.gauss(lam, math.sqrt(lam)) + 0.5))
    L, k, prod = math.exp(-lam), 0, rnd.random()
    while prod > L:
        k += 1
        prod *= rnd.random()
    return k


def zipf_cum(n, s):
    c, out = 0.0, []
    for k in range(1, n + 1):
        c += 1.0 / k ** s
        out.append(c)
    return out


# ---------------------------------------------------------------- network
net = random.Random(a.seed * 1000 + 1)
V4A = [ipaddress.IPv4Address("198.51.100.%d" % (10 + i)).packed for i in range(100)]
V4B = [ipaddress.IPv4Address("203.0.113.%d" % (10 + i)).packed for i in range(60)]
V6 = [ipaddress.IPv6Address("2001:db8:1::%x" % (0x10 + i)).packed for i in range(40)]
SERVERS = V4A + V4B + V6
NS = len(SERVERS)
q = [(i + 0.5) / NS for i in range(NS)]
net.shuffle(q)
rate = [0.3 * 2000 ** (x ** 3) for x in q]   # heavy-tailed over 0.3 .. 600 pps
# Roles: quiet servers get DNS, NTP and SSH/SMTP; the rest serve the web.
order = sorted(range(NS), key=lambda i: rate[i])
role = ["web"] * NS
quic = [net.random() < 0.35 for _ in range(NS)]
quiet = [i for i in order if rate[i] <= 40]
net.shuffle(quiet)
for j, i in enumerate(quiet[:28]):
    role[i] = "dns" if j < 12 else "ntp" if j < 18 else "ssh" if j < 23 else "smtp"
# The DNS server of the query log is a server too (198.51.100.53).
role[43] = "dns"

# Attack-given backgrounds (the victim's usual load).
for kind, prm in attacks:
    if "victim" in prm and "base" in prm:
        i = SERVERS.index(ipaddress.ip_address(prm["victim"]).packed)
        rate[i] = prm["base"]
        # A quiet API server (small exchanges only), or an HTTPS server.
        role[i] = "api" if kind == "session" else "web443"

# Clients: 600 /16s, 200,000 IPv4 hosts and 4,000 IPv6 hosts.
first = [o for o in range(1, 224) if o not in (10, 100, 127, 169, 172, 192, 198, 203)]
slash16 = set()
while len(slash16) < 600:
    slash16.add((net.choice(first), net.randrange(256)))
slash16 = sorted(slash16)
net.shuffle(slash16)
s16cum = zipf_cum(len(slash16), 0.9)
clients4 = {}                  # insertion-ordered: the order they were drawn in
while len(clients4) < 200000:
    o1, o2 = slash16[bisect.bisect(s16cum, net.random() * s16cum[-1])]
    x = net.getrandbits(16)
    if 0 < x & 0xff < 255:
        clients4[bytes((o1, o2, x >> 8, x & 0xff))] = None
clients4 = list(clients4)
c4cum = zipf_cum(len(clients4), 0.5)
clients6 = [ipaddress.IPv6Address((0x20010db8 << 96) | (1 << 95) | net.getrandbits(95)).packed for _ in range(4000)]
c6cum = zipf_cum(len(clients6), 0.75)
resolvers = clients4[:3000]
net.shuffle(resolvers)
rescum = zipf_cum(len(resolvers), 1.0)

if a.list:
    for i in range(NS):
        print("%s %s %.2f" % (ipaddress.ip_address(SERVERS[i]), role[i], rate[i]))
    sys.exit(0)


# ---------------------------------------------------------------- sessions
# Each role's session: (protocol, server port, client port rule,
# inbound packets, outbound/inbound ratio, duration, inbound and outbound sizes).
LN40, LN18, LN15 = math.log(40), math.log(1.8), math.log(1.5)


def sess_web(r, port=None):
    if port is None:
        x = r.random()
        port = 443 if x < 0.7 else 80 if x < 0.85 else -443
    n_in = min(20000, max(3, int(math.exp(LN40 + 1.2 * r.gauss(0, 1)))))
    ratio = math.exp(LN18 + 0.4 * r.gauss(0, 1))
    d = min(300.0, max(0.05, math.exp(LN15 + 1.2 * r.gauss(0, 1))))
    n_out = max(2, int(n_in * ratio))
    d = max(d, n_out / 8000.0)      # at most ~100 Mbit/s per session
    return port, n_in, n_out, d, 60 + int(r.random() * 341), 1100 + int(r.random() * 401)


def sess_api(r):
    n_in = r.randint(1, 4)
    return 443, n_in, n_in + r.randint(0, 2), r.uniform(0.01, 0.5), r.randint(60, 400), r.randint(200, 1400)


def sess_other(rl, r):
    if rl == "dns":
        return 53, 1, 1, r.uniform(0.001, 0.05), r.randint(60, 90), r.randint(90, 500)
    if rl == "ntp":
        return 123, 1, 1, 0.01, 90, 90
    if rl == "ssh":
        n = min(50000, max(10, int(r.lognormvariate(math.log(150), 1.3))))
        return 22, n, int(n * r.uniform(0.8, 2.5)), min(3600.0, max(2.0, r.lognormvariate(math.log(60), 1.2))), 90, 300
    n = max(5, int(r.lognormvariate(math.log(15), 0.8)))   # smtp
    return 25, n, max(4, n // 2), min(120.0, max(0.5, r.lognormvariate(math.log(3), 0.8))), 900, 80


def mean_in(rl, r):
    # Average inbound packets of a session of this role (Monte Carlo, fixed seed).
    tot = 0
    for _ in range(4000):
        tot += (sess_web(r, 443) if rl.startswith("web") else sess_api(r) if rl == "api" else sess_other(rl, r))[1]
    return tot / 4000.0


mr = random.Random(99)
MEAN_IN = {rl: mean_in(rl, mr) for rl in ("web", "api", "dns", "ntp", "ssh", "smtp")}
MEAN_IN["web443"] = MEAN_IN["web"]
sess_rate = [rate[i] / MEAN_IN[role[i]] for i in range(NS)]

# ---------------------------------------------------------------- output
def pcap_open(path):
    fh = open(path, "wb")
    fh.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
    return fh


nf_out = pcap_open(a.out) if a.out and a.format != "sflow" else None
sf_out = pcap_open(a.out) if a.out and a.format == "sflow" else pcap_open(a.sflow_out) if a.sflow_out else None
FRAME_HDR = b"\x02\x00\x5e\x00\x00\x02" + b"\x02\x00\x5e\x00\x00\x01" + b"\x08\x00"
LO = b"\x7f\x00\x00\x01"
PCAPREC = struct.Struct("<IIII")
IPH = struct.Struct("!BBHHHBBH4s4s")
UDPH = struct.Struct("!HHHH")
stats = {"datagrams": 0, "records": 0, "samples": 0, "queries": 0}


def write_dgram(out, ts, sport, dport, payload):
    udp = UDPH.pack(sport, dport, 8 + len(payload), 0) + payload
    iph = IPH.pack(0x45, 0, 20 + len(udp), 0, 0x4000, 64, 17, 0, LO, LO)
    frame = FRAME_HDR + iph + udp
    sec = int(ts)
    out.write(PCAPREC.pack(T0 + sec, int((ts - sec) * 1e6), len(frame), len(frame)) + frame)
    stats["datagrams"] += 1


BOOT = T0 - 864000                      # the router has been up 10 days
IPFIX = a.format == "ipfix"
if IPFIX:
    F4 = [(8, 4), (12, 4), (7, 2), (11, 2), (4, 1), (6, 1), (2, 8), (1, 8), (152, 8), (153, 8), (10, 4), (14, 4)]
    R4 = struct.Struct("!4s4sHHBBQQQQII")
    R6 = struct.Struct("!16s16sHHBBQQQQII")
else:
    F4 = [(8, 4), (12, 4), (7, 2), (11, 2), (4, 1), (6, 1), (2, 4), (1, 4), (22, 4), (21, 4), (10, 2), (14, 2)]
    R4 = struct.Struct("!4s4sHHBBIIIIHH")
    R6 = struct.Struct("!16s16sHHBBIIIIHH")
F6 = [(27, 16), (28, 16)] + F4[2:]


def tmpl_set():
    body = b""
    for tid, fl in ((256, F4), (257, F6)):
        body += struct.pack("!HH", tid, len(fl)) + b"".join(struct.pack("!HH", t, n) for t, n in fl)
    return struct.pack("!HH", 2 if IPFIX else 0, 4 + len(body)) + body


TMPL = tmpl_set()
nf_state = {"seq": 0, "last_tmpl": -10 ** 9}
# Records waiting in the export buckets: second -> ([v4 records], [v6 records]).
nf_buckets = {}


def nf_flush(sec):
    b = nf_buckets.pop(sec, None)
    if b is None or sec < 0 or nf_out is None:
        return
    k = 0
    for tid, recs, per in ((256, b[0], 30), (257, b[1], 16)):
        for j in range(0, len(recs), per):
            chunk = recs[j:j + per]
            sets = b""
            cnt = len(chunk)
            if sec - nf_state["last_tmpl"] >= 60:
                nf_state["last_tmpl"] = sec
                sets = TMPL
                cnt += 2
            body = b"".join(chunk)
            pad = (-len(body)) % 4
            sets += struct.pack("!HH", tid, 4 + len(body) + pad) + body + b"\0" * pad
            ts = sec + 0.0005 * k
            k += 1
            if IPFIX:
                hdr = struct.pack("!HHIII", 10, 16 + len(sets), T0 + sec, nf_state["seq"], 0)
                nf_state["seq"] += len(chunk)
                write_dgram(nf_out, ts, 40000, 4739, hdr + sets)
            else:
                up = int((T0 + ts - BOOT) * 1000) & 0xffffffff
                hdr = struct.pack("!HHIIII", 9, cnt, up, T0 + sec, nf_state["seq"], 0)
                nf_state["seq"] += 1
                write_dgram(nf_out, ts, 40000, 2055, hdr + sets)
            stats["records"] += len(chunk)


def nf_rec(src, dst, sport, dport, proto, flags, n, nbytes, t1, t2, E):
    if len(src) == 4:
        rs, R = 0, R4
    else:
        rs, R = 1, R6
    if IPFIX:
        r = R.pack(src, dst, sport, dport, proto, flags, n, nbytes,
                   int((T0 + t1) * 1000), int((T0 + t2) * 1000), 3, 7)
    else:
        r = R.pack(src, dst, sport, dport, proto, flags, n, min(nbytes, 0xffffffff),
                   int((T0 + t1 - BOOT) * 1000) & 0xffffffff, int((T0 + t2 - BOOT) * 1000) & 0xffffffff, 3, 7)
    b = nf_buckets.get(E)
    if b is None:
        b = nf_buckets[E] = ([], [])
    b[rs].append(r)


def nf_flow(src, dst, sport, dport, proto, fl, t1, t2, n, size):
    """n packets spread evenly over [t1, t2], cut by the flow cache."""
    t, done, firstseg = t1, 0, True
    while True:
        E = math.ceil(t + ACT)
        if t2 <= E:
            E = min(E, math.ceil(t2 + INACT))
            k = n - done
            end = t2
            last = True
        else:
            k = int(round(n * (E - t1) / (t2 - t1))) - done
            end = E - 0.001
            last = False
        if k > 0:
            flags = 0
            if proto == 6:
                flags = fl[1]
                if firstseg:
                    flags |= fl[0]
                if last:
                    flags |= fl[2]
            nf_rec(src, dst, sport, dport, proto, flags, k, k * size, t, max(t, end), E)
            done += k
            firstseg = False
        if last:
            return
        t = E


def nf_profile(src, dst, sport, dport, proto, flags, t1, counts, size):
    """counts[i] packets in second [t1 + i, t1 + i + 1) of one 5-tuple."""
    i, nsec = 0, len(counts)
    while i < nsec:
        while i < nsec and counts[i] == 0:
            i += 1
        if i == nsec:
            return
        start = t1 + i
        E = math.ceil(start + ACT)
        n, j = 0, i
        while j < nsec and t1 + j < E:
            n += counts[j]
            j += 1
        lastsec = j - 1
        while lastsec > i and counts[lastsec] == 0:
            lastsec -= 1
        end = min(t1 + lastsec + 0.999, E - 0.001)
        if j == nsec or all(c == 0 for c in counts[j:j + INACT]):
            E = min(E, math.ceil(end + INACT))
        nf_rec(src, dst, sport, dport, proto, flags, n, n * size, start, end, E)
        i = j


# sFlow: agents and their datagram state.
NAG = len(SAMPLING)
ag_seq = [0] * NAG
ag_pool = [0] * NAG
ag_sseq = [0] * NAG
sf_buckets = {}                     # second -> [(t, agent, raw header, frame length)]
ETH = b"\x02\x00\x5e\x00\x10\x02" + b"\x02\x00\x5e\x00\x10\x01"
IP4H = struct.Struct("!BBHHHBBH4s4s")
IP6H = struct.Struct("!IHBB16s16s")
TCPH = struct.Struct("!HHIIBBHHH")
UDPL = struct.Struct("!HHHH")


def agent_of(addr):
    return (addr[-1] + addr[-2]) % NAG


def sf_header(src, dst, sport, dport, proto, flags, size, ttl):
    if proto == 6:
        l4 = TCPH.pack(sport, dport, 1, 1, 0x50, flags, 65535, 0, 0)
    else:
        l4 = UDPL.pack(sport, dport, max(8, size - (20 if len(src) == 4 else 40)), 0)
    if len(src) == 4:
        return ETH + b"\x08\x00" + IP4H.pack(0x45, 0, size, 0, 0x4000, ttl, proto, 0, src, dst) + l4
    return ETH + b"\x86\xdd" + IP6H.pack(0x60000000, max(0, size - 40), proto, ttl, src, dst) + l4


def sf_flow(src, dst, sport, dport, proto, fl, t1, t2, n, size, agent, rnd, ttl=56):
    N = SAMPLING[agent]
    if N == 1:
        lq = None
    else:
        lq = math.log(1.0 - 1.0 / N)
    idx = -1
    span = t2 - t1
    while True:
        idx += 1 if lq is None else 1 + int(math.log(1.0 - rnd.random()) / lq)
        if idx >= n:
            return
        t = t1 + span * (idx + 0.5) / n
        flags = 0
        if proto == 6:
            flags = fl[0] if idx == 0 else fl[2] | 0x10 if idx == n - 1 else fl[1]
        hdr = sf_header(src, dst, sport, dport, proto, flags, size, ttl)
        sec = math.floor(t)
        b = sf_buckets.get(sec)
        if b is None:
            b = sf_buckets[sec] = []
        b.append((t, agent, hdr, size + 18))


SFHDR = struct.Struct("!IIIIIII")


def sf_flush(sec):
    b = sf_buckets.pop(sec, None)
    if b is None or sec < 0 or sf_out is None:
        return
    b.sort(key=lambda x: (x[0], x[1]))
    pend = [[] for _ in range(NAG)]

    def send(ag, items):
        smp = b""
        for t, _, hdr, flen in items:
            N = SAMPLING[ag]
            ag_sseq[ag] += 1
            ag_pool[ag] += N
            rec = struct.pack("!IIII", 1, flen, 4, len(hdr)) + hdr + b"\0" * (-len(hdr) % 4)
            rec = struct.pack("!II", 1, len(rec)) + rec
            body = SFHDR.pack(ag_sseq[ag], 3, N, ag_pool[ag] & 0xffffffff, 0, 3, 7) + struct.pack("!I", 1) + rec
            smp += struct.pack("!II", 1, len(body)) + body
        ag_seq[ag] += 1
        ts = items[-1][0]
        up = int((ts + 864000) * 1000) & 0xffffffff
        dg = struct.pack("!IIIIIII", 5, 1, 0x7f000001 + ag, 0, ag_seq[ag], up, len(items)) + smp
        write_dgram(sf_out, ts, 40000 + ag, 6343, dg)
        stats["samples"] += len(items)

    for item in b:
        ag = item[1]
        pend[ag].append(item)
        if len(pend[ag]) == 8:
            send(ag, pend[ag])
            pend[ag] = []
    for ag in range(NAG):
        if pend[ag]:
            send(ag, pend[ag])


TCPF = {"c": (0x02, 0x18, 0x01), "s": (0x12, 0x18, 0x01)}


def flow(src, dst, sport, dport, proto, fl, t1, t2, n, size, server, rnd):
    if n <= 0:
        return
    if sf_out:
        sf_flow(src, dst, sport, dport, proto, fl, t1, t2, n, size, agent_of(server), smp)
    if nf_out:
        nf_flow(src, dst, sport, dport, proto, fl, t1, t2, n, size)


def profile(src, dst, sport, dport, proto, flags, t1, counts, size, server, rnd):
    if sf_out:
        for i, c in enumerate(counts):
            if c:
                sf_flow(src, dst, sport, dport, proto, (flags, flags, flags), t1 + i, t1 + i + 1, c, size,
                        agent_of(server), smp)
    if nf_out:
        nf_profile(src, dst, sport, dport, proto, flags, t1, counts, size)


# ---------------------------------------------------------------- traffic
bg = random.Random(a.seed * 1000 + 2)
ak = random.Random(a.seed * 1000 + 3)
smp = random.Random(a.seed * 1000 + 5)      # sFlow sampling draws: the traffic is the same with or without


def session(i, t, r):
    srv = SERVERS[i]
    rl = role[i]
    v6 = len(srv) == 16
    if rl == "dns":
        cl = resolvers[bisect.bisect(rescum, r.random() * rescum[-1])] if not v6 else \
            clients6[bisect.bisect(c6cum, r.random() * c6cum[-1])]
    elif v6:
        cl = clients6[bisect.bisect(c6cum, r.random() * c6cum[-1])]
    else:
        cl = clients4[bisect.bisect(c4cum, r.random() * c4cum[-1])]
    if rl.startswith("web"):
        port, n_in, n_out, d, s_in, s_out = sess_web(r, 443 if rl == "web443" else None)
        if port == -443:
            port = 443 if quic[i] else 80
            proto = 17 if quic[i] else 6
        else:
            proto = 6
    elif rl == "api":
        port, n_in, n_out, d, s_in, s_out = sess_api(r)
        proto = 6
    else:
        port, n_in, n_out, d, s_in, s_out = sess_other(rl, r)
        proto = 6 if rl in ("ssh", "smtp") else 17
    cport = 123 if rl == "ntp" and r.random() < 0.5 else 1024 + int(r.random() * 64512)
    t2 = t + d
    flow(cl, srv, cport, port, proto, TCPF["c"], t, t2, n_in, s_in, srv, r)
    flow(srv, cl, port, cport, proto, TCPF["s"], t + min(0.02, d / 4), t2, n_out, s_out, srv, r)


def long_flows():
    """(start, end, src, dst, sport, dport, proto, pps fwd, size, pps back, size back)."""
    ip = lambda s: ipaddress.ip_address(s).packed
    H = 3600
    return [
        (3600, 3600 + 1800, ip("203.0.113.20"), ip("192.0.2.50"), 45022, 873, 6, 300e6 / 8 / 9000, 9000, 300e6 / 8 / 9000 / 2, 52),
        (-PRE, 10 * H, ip("198.51.100.12"), ip(clients4_ip(7)), 1194, 1194, 17, 30, 300, 25, 200),
        (1800, 1800 + 2400, ip("198.51.100.27"), ip(clients4_ip(123)), 443, 51234, 6, 400, 1400, 200, 60),
        (-PRE, 10 * H, ip("203.0.113.14"), ip("203.0.113.15"), 3306, 40001, 6, 100, 700, 100, 80),
    ]


def clients4_ip(k):
    return str(ipaddress.IPv4Address(clients4[k]))


LONG = long_flows()


def long_second(s):
    # Every 60 s of a long flow are generated a minute ahead (its cache
    # entries are cut every ACT seconds from its start, so a 60-s piece
    # starts a new entry exactly where the cache would anyway).
    for (st, en, src, dst, sp, dp, proto, pf, sz, pb, szb) in LONG:
        if not (st <= s < en) or (s - st) % 60:
            continue
        srv = src if _in_nets(ipaddress.ip_address(src)) else dst
        k = min(60, en - s)
        for x, y, xp, yp, pps, size in ((src, dst, sp, dp, pf, sz), (dst, src, dp, sp, pb, szb)):
            counts = [poisson(bg, pps * (diurnal(s + j) if pps < 1000 else 1.0)) for j in range(k)]
            profile(x, y, xp, yp, proto, 0x18 if proto == 6 else 0, s, counts, size, srv, bg)


SERVER_NETS = [ipaddress.ip_network(x) for x in ("198.51.100.0/24", "203.0.113.0/24", "2001:db8:1::/64")]


def _in_nets(addr):
    return any(addr in n for n in SERVER_NETS)


# Attack traffic is generated second by second with the rest.
def rand_src(r):
    while True:
        o = r.randint(1, 223)
        if o not in (10, 127):
            return bytes((o, r.randrange(256), r.randrange(256), r.randint(1, 254)))


def spoofed(r, victim, t, n, proto, dport, size, flags):
    if n <= 0:
        return
    if sf_out:
        ag = agent_of(victim)
        N = SAMPLING[ag]
        lq = math.log(1.0 - 1.0 / N) if N > 1 else None
        idx = -1
        while True:
            idx += 1 if lq is None else 1 + int(math.log(1.0 - smp.random()) / lq)
            if idx >= n:
                break
            tt = t + (idx + 0.5) / n
            hdr = sf_header(rand_src(r), victim, r.randint(1024, 65535), dport if dport else r.randint(1, 65535),
                            proto, flags, size, r.randint(40, 120))
            sf_buckets.setdefault(math.floor(tt), []).append((tt, ag, hdr, size + 18))
    if nf_out:
        for k in range(n):
            tt = t + (k + 0.5) / n
            nf_rec(rand_src(r), victim, r.randint(1024, 65535), dport if dport else r.randint(1, 65535), proto,
                   flags, 1, size, tt, tt, math.ceil(tt + ACT))


def attack_second(s):
    on = a.onset
    for kind, prm in attacks:
        if kind == "session":
            if s == int(on):
                v = ipaddress.ip_address(prm["victim"]).packed
                dur = int(prm["dur"])
                # Reaches its peak within a second (slow start is quick), stays
                # there (packets/s), and stops at the end.
                counts = [poisson(ak, prm["peak"] * min(1.0, k + 0.5, dur - k - 0.5)) for k in range(dur)]
                src = ipaddress.ip_address("192.0.2.33").packed
                profile(src, v, 50123, 443, 6, 0x18, on, counts, 1200, v, ak)
                profile(v, src, 443, 50123, 6, 0x10, on, [c // 2 for c in counts], 52, v, ak)
        elif kind == "downloads":
            if s == int(on):
                big = sorted(range(NS), key=lambda i: -rate[i])[:10]
                for j in range(int(prm["n"])):
                    i = ak.choice(big)
                    srv = SERVERS[i]
                    if len(srv) == 16:
                        cl = ak.choice(clients6)
                    else:
                        cl = clients4[ak.randrange(len(clients4))]
                    t = on + ak.uniform(0, prm["dur"])
                    d = ak.uniform(10, 60)
                    pps = ak.uniform(2000, 8000)
                    cp = ak.randint(1024, 65535)
                    flow(srv, cl, 443, cp, 6, TCPF["s"], t, t + d, int(pps * d), 1500, srv, ak)
                    flow(cl, srv, cp, 443, 6, TCPF["c"], t, t + d, int(pps * d / 2), 52, srv, ak)
        elif kind in ("udpflood", "synflood"):
            if on <= s < on + prm["dur"]:
                v = ipaddress.ip_address(prm["victim"]).packed
                n = poisson(ak, prm["pps"])
                if kind == "udpflood":
                    spoofed(ak, v, s, n, 17, 0, 512, 0)
                else:
                    spoofed(ak, v, s, n, 6, 443, 60, 0x02)
        elif kind == "pulse":
            per = int(prm["on"] + prm["off"])
            k = s - on
            if 0 <= k < per * prm["count"] and k % per < prm["on"]:
                v = ipaddress.ip_address(prm["victim"]).packed
                spoofed(ak, v, s, poisson(ak, prm["pps"]), 6, 443, 60, 0x02)
        elif kind == "backup":
            if s == int(on):
                src = ipaddress.ip_address(prm["src"]).packed
                dst = ipaddress.ip_address(prm["dst"]).packed
                dur = int(prm["dur"])
                pps = prm["bps"] / 8 / 9000
                counts = [int(pps + 0.5)] * dur
                profile(src, dst, 40100, 873, 6, 0x18, on, counts, 9000, src, ak)
                profile(dst, src, 873, 40100, 6, 0x10, on, [c // 2 for c in counts], 52, dst, ak)


if nf_out or sf_out:
    for s in range(-PRE, LEN):
        f = diurnal(s)
        if s % 60 == 0 or s == -PRE:
            # Each server's rate wanders: a log-normal random walk per minute.
            if s == -PRE:
                walk = [0.0] * NS
            walk = [0.85 * w + bg.gauss(0, 0.12) for w in walk]
            w = [sess_rate[i] * math.exp(walk[i]) for i in range(NS)]
            cw = []
            c = 0.0
            for x in w:
                c += x
                cw.append(c)
            tot = c
        n = poisson(bg, tot * f)
        if n:
            idx = [bisect.bisect(cw, bg.random() * tot) for _ in range(n)]
            times = sorted(bg.random() for _ in range(n))
            for i, u in zip(idx, times):
                session(min(i, NS - 1), s + u, bg)
        long_second(s)
        attack_second(s)
        # Nothing generated from now on is exported in or sampled before s.
        sf_flush(s)
        nf_flush(s)
    # The end: the rest of the cache goes out (as at shutdown), up to LEN + 20 s.
    for s in sorted(set(nf_buckets) | set(sf_buckets)):
        if s < LEN + 20:
            sf_flush(s)
            nf_flush(s)
    for fh in (nf_out, sf_out):
        if fh:
            fh.close()

# ---------------------------------------------------------------- DNS log
if a.dns_log:
    dr = random.Random(a.seed * 1000 + 4)
    words = ("shop news mail cloud bank games video maps photo travel music forum school city hotel "
             "sport health auto tech food books radio wiki jobs art garden market energy water farm").split()
    zones = ["%s.example" % w for w in words]
    dr.shuffle(zones)
    zq = [0.05 * 500 ** (((k + 0.5) / len(zones)) ** 3) for k in range(len(zones))]
    dr.shuffle(zq)
    zq = dict(zip(zones, zq))
    zq["shop.example"] = max(zq.values())        # the busiest zone
    for kind, prm in attacks:
        if kind == "wt":
            zq[prm["zone"]] = prm["base"]
    common = ["", "www", "mail", "api", "cdn", "static", "m", "login", "img", "app", "blog", "vpn", "mx1", "mx2",
              "ns1", "ns2", "autodiscover", "_dmarc", "selector1._domainkey", "smtp", "imap", "support", "status",
              "dev", "shop", "assets", "auth", "git", "docs", "portal"]
    znames, zcum = {}, {}
    for z in zones:
        names = common + ["host%d" % k for k in range(dr.randint(20, 400))]
        dr.shuffle(names[1:])
        znames[z] = [(n + "." + z) if n else z for n in names]
        zcum[z] = zipf_cum(len(names), 1.1)
    ztot = []
    c = 0.0
    zlist = sorted(zones)
    for z in zlist:
        c += zq[z]
        ztot.append(c)
    QT = (("A", 45), ("AAAA", 30), ("HTTPS", 8), ("MX", 4), ("TXT", 4), ("NS", 2), ("SOA", 2), ("DS", 2),
          ("DNSKEY", 1), ("CNAME", 1), ("SRV", 1))
    qtc = []
    c = 0
    for t, wgt in QT:
        c += wgt
        qtc.append(c)
    FLAGS = ("-E(0)DC", "-E(0)D", "-E(0)", "-", "-E(0)DC", "-E(0)D")
    ALNUM = "abcdefghijklmnopqrstuvwxyz0123456789"
    cache = {}
    log = open(a.dns_log, "w")
    MON = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
    wt_attack = [(prm, kind) for kind, prm in attacks if kind in ("wt", "typo")]
    typo_names = {}

    def line(buf, tm, cl, name, qt, fl):
        buf.append((tm, "%s.%03d queries: info: client @0x7f%010x %s#%d (%s): query: %s IN %s %s (198.51.100.53)\n"
                    % (stamp, int(tm * 1000) % 1000, dr.getrandbits(40), cl, 1024 + dr.getrandbits(16) % 64512,
                       name, name, qt, fl)))

    res_txt = [str(ipaddress.IPv4Address(x)) for x in resolvers]
    for s in range(0, LEN):
        d = datetime.datetime.fromtimestamp(T0 + s, datetime.timezone.utc)
        stamp = "%02d-%s-%04d %02d:%02d:%02d" % (d.day, MON[d.month - 1], d.year, d.hour, d.minute, d.second)
        f = diurnal(s)
        buf = []
        n = poisson(dr, ztot[-1] * f)
        got, tries = 0, 0
        while got < n and tries < 20 * n + 20:
            tries += 1
            z = zlist[bisect.bisect(ztot, dr.random() * ztot[-1])]
            ri = bisect.bisect(rescum, dr.random() * rescum[-1])
            x = dr.random()
            if x < 0.02:
                # Rare names: typos, scanners, one-off DKIM selectors; no cache.
                name = "%s.%s" % ("".join(dr.choice(ALNUM) for _ in range(dr.randint(4, 12))), z)
                qt = "A"
            else:
                names = znames[z]
                name = names[min(len(names) - 1, bisect.bisect(zcum[z], dr.random() * zcum[z][-1]))]
                qt = QT[bisect.bisect(qtc, dr.random() * c)][0]
                key = (ri, name, qt)
                exp = cache.get(key)
                if exp is not None and exp > s:
                    continue            # the resolver has the answer cached
                cache[key] = s + dr.choice((60, 300, 300, 600, 3600))
            got += 1
            line(buf, s + dr.random(), res_txt[ri], name, qt, dr.choice(FLAGS))
        for prm, kind in wt_attack:
            if not (a.onset <= s < a.onset + prm["dur"]):
                continue
            if kind == "wt":
                for _ in range(poisson(dr, prm["qps"])):
                    ri = bisect.bisect(rescum, dr.random() * rescum[-1])
                    lab = "".join(dr.choice(ALNUM) for _ in range(dr.randint(8, 16)))
                    line(buf, s + dr.random(), res_txt[ri], lab + "." + prm["zone"], "A", "-E(0)D")
            else:
                if not typo_names:
                    for k in range(int(prm["n"])):
                        typo_names[k] = "%s.corp.%s" % (dr.choice(common[1:]) + str(k), prm["zone"])
                for _ in range(poisson(dr, prm["qps"])):
                    line(buf, s + dr.random(), prm["client"], typo_names[dr.randrange(len(typo_names))],
                         dr.choice(("A", "AAAA")), "+E(0)")
        buf.sort(key=lambda x: x[0])
        log.write("".join(x[1] for x in buf))
        stats["queries"] += len(buf)
        if s % 600 == 0:
            cache = {k: v for k, v in cache.items() if v > s}
    log.close()

print("gen_background: %d s from %d, %d datagrams, %d flow records, %d sFlow samples, %d DNS queries"
      % (LEN, T0, stats["datagrams"], stats["records"], stats["samples"], stats["queries"]))
