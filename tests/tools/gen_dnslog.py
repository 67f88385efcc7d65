#!/usr/bin/python3
"""A BIND query log (BIND 9.18 format, UTC) for the DNS zone rules of issue 12.

gen_dnslog.py SEED OUT.log [SECONDS]

Two zones at an authoritative server, queries at Poisson rates per second:
  shop.example  300 q/s of normal queries (87 % for 10 popular names, the
                rest for a long tail of a million item names: about 49
                distinct names a second) from 200 resolvers 10.1.0.0/24;
                from t = 120 s to 180 s a low-and-slow water torture adds
                40 q/s of random 12-character labels through 50 resolvers
                10.2.0.0/24.  The zone's rate stays far under 4 x 300.
  corp.example  3 q/s of normal queries from the same resolvers; from
                t = 120 s to 180 s one misconfigured client 192.0.2.77 asks
                20 nonexistent names (a typo'd search domain) at 190 q/s.
Expected: one dns_water_torture alert on shop.example starting within 15 s
of t = 120 s; nothing on corp.example (a top_clients fact, counted in
dns_few_clients).  Fixed seed: the same file on every run.  Nothing is sent.
"""
import math, random, sys

seed, out = int(sys.argv[1]), sys.argv[2]
secs = int(sys.argv[3]) if len(sys.argv) > 3 else 240
rng = random.Random(seed)
T0 = 1700000000  # 2023-11-14T22:13:20Z
POP = ["www", "mail", "api", "cdn", "img", "static", "login", "shop", "m", "ns1"]
ALPHA = "abcdefghijklmnopqrstuvw012345678"
MON = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def poisson(lam):
    n, left = 0, lam
    while left > 0:
        piece = min(left, 25.0)
        lim, p = math.exp(-piece), rng.random()
        while p > lim:
            n += 1
            p *= rng.random()
        left -= piece
    return n


def stamp(t):
    s = int(t)
    ms = int(round((t - s) * 1000))
    if ms == 1000:
        s, ms = s + 1, 0
    day, rem = divmod(s, 86400)
    h, rem = divmod(rem, 3600)
    mi, se = divmod(rem, 60)
    # 2023-11-14 is day 19675 since the epoch; the log spans minutes only.
    d = 14 + day - 19675
    return "%02d-%s-2023 %02d:%02d:%02d.%03d" % (d, MON[10], h, mi, se, ms)


def normal(zone):
    if rng.random() < 0.87:
        return "%s.%s" % (rng.choice(POP), zone)
    return "item%d.%s" % (rng.randrange(1000000), zone)


lines = []
for s in range(secs):
    base = T0 + s
    ev = []
    for _ in range(poisson(300)):
        ev.append((base + rng.random(), "10.1.0.%d" % rng.randrange(200), normal("shop.example")))
    for _ in range(poisson(3)):
        ev.append((base + rng.random(), "10.1.0.%d" % rng.randrange(200), normal("corp.example")))
    if 120 <= s < 180:
        for _ in range(poisson(40)):
            lbl = "".join(rng.choice(ALPHA) for _ in range(12))
            ev.append((base + rng.random(), "10.2.0.%d" % rng.randrange(50), lbl + ".shop.example"))
        for _ in range(poisson(190)):
            ev.append((base + rng.random(), "192.0.2.77", "host%d.corp.example" % rng.randrange(20)))
    ev.sort()
    for t, client, name in ev:
        port = rng.randrange(1024, 65536)
        lines.append("%s queries: info: client @0x7f%010x %s#%d (%s): query: %s IN A -E(0) (198.51.100.53)\n"
                     % (stamp(t), rng.getrandbits(40), client, port, name, name))
with open(out, "w") as f:
    f.writelines(lines)
