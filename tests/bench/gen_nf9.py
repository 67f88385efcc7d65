#!/usr/bin/python3
"""Write a NetFlow v9 pcap for the end-to-end bench (issue 17's stream):
DATAGRAMS datagrams of 30 records of 43 bytes (template 256: bytes, packets,
protocol, ToS, TCP flags, ports, IPv4 addresses and next hop, SNMP
interfaces, first/last switched), from 1 M spoofed sources (100.64.0.0/12)
to 500 destinations (5 hosts in each of 100 /24s of 198.18.0.0/15), a UDP
flood on one of them.  Flow times are wall-clock: the datagram d is stamped
START + d / RATE seconds, START = now + LEAD s, so the detector sees live
records when the file is sent at RATE datagrams/s right away.  The template
goes out in the first datagram and every 1000th, as exporters refresh it.

With --even (the scale-out bench, bench_cluster.sh): no flood, and the
destinations are 8192 hosts, 2 in each of 4096 /24s of 10.0.0.0/12, so the
victims' aggregates (the cluster's partition key) spread the stream evenly
over the records topic's partitions.

usage: gen_nf9.py [--even] OUT.pcap DATAGRAMS RATE [LEAD]
Deterministic apart from the start time; fixed MACs and loopback addresses;
never sent anywhere by itself.
"""
import random, struct, sys, time

args = sys.argv[1:]
even = args[:1] == ["--even"]
if even:
    args = args[1:]
out, ndg, rate = args[0], int(args[1]), float(args[2])
lead = float(args[3]) if len(args) > 3 else 1.0
random.seed(17)
ETH = b"\x02\xfc\x00\x00\x00\x05\x02\xfc\x00\x00\x00\x01\x08\x00"
# (type, length): IN_BYTES, IN_PKTS, PROTOCOL, SRC_TOS, TCP_FLAGS, L4_SRC_PORT,
# IPV4_SRC_ADDR, INPUT_SNMP, L4_DST_PORT, IPV4_DST_ADDR, OUTPUT_SNMP,
# IPV4_NEXT_HOP, LAST_SWITCHED, FIRST_SWITCHED: 43 bytes.
FIELDS = [(1, 4), (2, 4), (4, 1), (5, 1), (6, 1), (7, 2), (8, 4), (10, 4), (11, 2), (12, 4), (14, 4),
          (15, 4), (21, 4), (22, 4)]
assert sum(l for _, l in FIELDS) == 43
TMPL = struct.pack("!HHHH", 0, 8 + 4 * len(FIELDS), 256, len(FIELDS)) + b"".join(struct.pack("!HH", t, l) for t, l in FIELDS)
REC = struct.Struct("!IIBBBHIIHIIIII")
DSTS = [bytes([198, 18 + x // 256, x % 256, 10 + h]) for x in range(100) for h in range(5)]
VICTIM = DSTS[123]
if even:
    DSTS = [bytes([10, x >> 8, x & 255, 10 + h]) for x in range(4096) for h in range(2)]
start = time.time() + lead
boot = start - 100000.0
f = open(out, "wb")
f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
rnd = random.getrandbits
for d in range(ndg):
    t = start + d / rate
    up = int((t - boot) * 1000)
    recs = []
    for i in range(30):
        s = rnd(20)
        src = bytes([100, 64 + (s >> 16), (s >> 8) & 255, s & 255])
        if i % 3 == 0 and not even:   # the flood: UDP from random ports to one victim
            recs.append(REC.pack(20 * 512, 20, 17, 0, 0, 1024 + (s & 0x7fff), int.from_bytes(src, "big"), 1,
                                 53, int.from_bytes(VICTIM, "big"), 2, 0x0a000001, up - 1, up - 30))
        else:
            dst = DSTS[rnd(13)] if even else DSTS[rnd(16) % 500]
            recs.append(REC.pack(3 * 600, 3, 6, 0, 0x18, 1024 + (s & 0x7fff), int.from_bytes(src, "big"), 1,
                                 443, int.from_bytes(dst, "big"), 2, 0x0a000001, up - 5, up - 900))
    data = b"".join(recs)
    pad = (-len(data)) % 4
    sets = (TMPL if d % 1000 == 0 else b"") + struct.pack("!HH", 256, 4 + len(data) + pad) + data + b"\0" * pad
    payload = struct.pack("!HHIIII", 9, 30 + (1 if d % 1000 == 0 else 0), up, int(t), d, 0) + sets
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 28 + len(payload), 0, 0, 64, 17, 0, bytes([127, 0, 0, 2]), bytes([127, 0, 0, 1]))
    udp = struct.pack("!HHHH", 40000, 2055, 8 + len(payload), 0)
    frame = ETH + ip + udp + payload
    f.write(struct.pack("<IIII", int(t), int((t % 1) * 1e6), len(frame), len(frame)))
    f.write(frame)
f.close()
