#!/usr/bin/python3
"""Write a NetFlow v5 pcap of a client network with a pulse-wave SYN flood.

usage: gen_clients.py OUT.pcap [SECONDS]
300 clients in 100.64.0.0/24 and 100.64.1.0/24 download from ten servers
(TCP from port 443 to the client's ephemeral port, 100 to 900 packets/s in
sessions that start and stop) and send their ACKs back to port 443; a SYN
flood of 3000 packets/s hits 198.51.100.80 port 443 10 s on, 20 s off, four
times from t = 60 s.  Deterministic (fixed seed); loopback addresses in the
capture's IP header; never sent anywhere.
"""
import random, struct, sys

out = sys.argv[1]
seconds = int(sys.argv[2]) if len(sys.argv) > 2 else 240
random.seed(12)
T0 = 1700000000
UP0 = 1000000
ETH = b"\x02\xfc\x00\x00\x00\x05\x02\xfc\x00\x00\x00\x01\x08\x00"
clients = []
for c in range(300):
    period = random.randrange(60, 180)
    clients.append((bytes([100, 64, c // 150, 1 + c % 150]), period, random.randrange(10, 40),
                    random.randrange(period), random.randrange(100, 900), random.randrange(32768, 60000)))


def rec(src, dst, sport, dport, flags, proto, pkts, octets, first, last):
    return struct.pack("!4s4s4sHHIIIIHHBBBBHHBBH", src, dst, b"\0" * 4, 1, 2, pkts, octets, first, last,
                       sport, dport, 0, flags, proto, 0, 0, 0, 0, 0, 0)


f = open(out, "wb")
f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
seq = 0
for s in range(seconds):
    base = UP0 + s * 1000
    recs = []
    for addr, period, on, phase, pps, eph in clients:
        if (s + phase) % period < on:
            srv = bytes([198, 51, 100, 10 + addr[3] % 10])
            recs.append(rec(srv, addr, 443, eph, 0x18, 6, pps, pps * 1400, base, base + 900))
            recs.append(rec(addr, srv, eph, 443, 0x18, 6, pps // 20 + 1, (pps // 20 + 1) * 52, base, base + 900))
    if any(60 + 30 * k <= s < 70 + 30 * k for k in range(4)):
        for i in range(30):
            src = bytes([random.randrange(1, 224), random.randrange(256), random.randrange(256), random.randrange(1, 255)])
            t = base + random.randrange(1000)
            recs.append(rec(src, bytes([198, 51, 100, 80]), random.randrange(1024, 65535), 443, 0x02, 6, 100, 6000, t, t))
    uptime = base + 1000
    for i in range(0, len(recs), 30):
        chunk = recs[i:i + 30]
        payload = struct.pack("!HHIIIIBBH", 5, len(chunk), uptime, T0 + s + 1, 0, seq, 0, 0, 0) + b"".join(chunk)
        seq += len(chunk)
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 28 + len(payload), 0, 0, 64, 17, 0, bytes([127, 0, 0, 2]),
                         bytes([127, 0, 0, 1]))
        udp = struct.pack("!HHHH", 40000, 2055, 8 + len(payload), 0)
        frame = ETH + ip + udp + payload
        f.write(struct.pack("<IIII", T0 + s + 1, 0, len(frame), len(frame)))
        f.write(frame)
f.close()
