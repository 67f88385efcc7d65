#!/usr/bin/python3
"""Write a NetFlow v5 pcap for benchmarks: RECORDS records (30 per datagram)
over SECONDS of event time, to 4096 destinations with one flooded victim.

usage: gen_nf5.py OUT.pcap RECORDS [SECONDS [VICTIMS]]
With VICTIMS > 1 the flood moves to a new victim every 20 s of the second half,
so a run yields about one alert per victim (a burst of alerts for sink tests).
Deterministic (fixed seed); fixed MAC and loopback addresses; never sent anywhere.
"""
import random, struct, sys

out, nrec = sys.argv[1], int(sys.argv[2])
seconds = float(sys.argv[3]) if len(sys.argv) > 3 else 300.0
nvict = int(sys.argv[4]) if len(sys.argv) > 4 else 1
random.seed(7)
T0 = 1700000000
ETH = b"\x02\xfc\x00\x00\x00\x05\x02\xfc\x00\x00\x00\x01\x08\x00"
f = open(out, "wb")
f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
ndg = (nrec + 29) // 30
uptime0 = 1000000
for d in range(ndg):
    t = T0 + seconds * d / ndg
    secs, msecs = int(t), int((t - int(t)) * 1000)
    uptime = uptime0 + int((t - T0) * 1000)
    recs = []
    for i in range(30):
        flood = (t - T0) > seconds / 2 and random.random() < 0.7
        vi = int((t - T0 - seconds / 2) / 20) % nvict if nvict > 1 else 0
        dst = bytes([198, 51, 100 + vi // 250, 1 + vi % 250]) if nvict > 1 and flood else bytes([198, 51, 100, 53]) if flood else bytes([10, 0, random.randrange(16), random.randrange(256)])
        src = bytes([random.randrange(1, 224), random.randrange(256), random.randrange(256), random.randrange(1, 255)])
        recs.append(struct.pack("!4s4s4sHHIIIIHHBBBBHHBBH", src, dst, b"\0" * 4, 1, 2, 1,
                                540 if flood else 80, uptime - 5, uptime - 1,
                                random.randrange(1024, 65535), 53 if flood else 443, 0,
                                0 if flood else 0x18, 17 if flood else 6, 0, 0, 0, 0, 0, 0))
    payload = struct.pack("!HHIIIIBBH", 5, 30, uptime, secs, msecs * 1000000, d * 30, 0, 0, 0) + b"".join(recs)
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 28 + len(payload), 0, 0, 64, 17, 0, bytes([127, 0, 0, 2]), bytes([127, 0, 0, 1]))
    udp = struct.pack("!HHHH", 40000, 2055, 8 + len(payload), 0)
    frame = ETH + ip + udp + payload
    f.write(struct.pack("<IIII", secs, msecs * 1000, len(frame), len(frame)))
    f.write(frame)
f.close()
