#!/usr/bin/python3
"""Write a pcap of valid flow export datagrams timed from now on, for live tests.

usage: live-flows.py OUT.pcap FORMAT VICTIM [SECONDS [PER_SECOND]]
FORMAT: nf5 | nf9 | ipfix | sflow.  Datagram i carries event time now + i / PER_SECOND
(default 10) over SECONDS (default 7); send it paced at PER_SECOND
(`sendpcap -r PER_SECOND`) and record times match the wall clock.  Every datagram holds
20 UDP flows (sFlow: 10 samples at 1-in-100) of 100 packets to VICTIM from 10.0.0.0/16:
2,000 packets per datagram, far over detector.min_pps.  NetFlow v9 and IPFIX repeat
template 256 (source id / domain 4242) in every datagram.
Deterministic apart from the clock (fixed random seed); never sends anything.
"""
import random
import socket
import struct
import sys
import time

out, fmt, victim = sys.argv[1], sys.argv[2], socket.inet_aton(sys.argv[3])
seconds = float(sys.argv[4]) if len(sys.argv) > 4 else 7.0
per_s = int(sys.argv[5]) if len(sys.argv) > 5 else 10
random.seed(9)
ETH = b"\x02\xfc\x00\x00\x00\x05\x02\xfc\x00\x00\x00\x01\x08\x00"
DOMAIN = 4242


def src():
    return bytes([10, 0, random.randrange(256), random.randrange(1, 255)])


def nf5(i, t):
    uptime = 1000000 + i * 1000 // per_s
    recs = b"".join(struct.pack("!4s4s4sHHIIIIHHBBBBHHBBH", src(), victim, b"\0" * 4, 1, 2, 100, 50000,
                                uptime - 50, uptime, random.randrange(1024, 65535), 9999, 0, 0, 17, 0,
                                0, 0, 0, 0, 0) for _ in range(20))
    return struct.pack("!HHIIIIBBH", 5, 20, uptime, int(t), int(t % 1 * 1e9), i * 20, 0, 0, 0) + recs


# (type, length) of template 256: bytes, packets, protocol, ports, addresses, times
V9_FIELDS = [(1, 4), (2, 4), (4, 1), (7, 2), (8, 4), (11, 2), (12, 4), (21, 4), (22, 4)]
IPFIX_FIELDS = [(1, 8), (2, 8), (4, 1), (7, 2), (8, 4), (11, 2), (12, 4), (152, 8), (153, 8)]


def tmpl_set(set_id, fields):
    body = struct.pack("!HH", 256, len(fields)) + b"".join(struct.pack("!HH", t, l) for t, l in fields)
    return struct.pack("!HH", set_id, 4 + len(body)) + body


def data_set(recs):
    pad = (-(4 + len(recs))) % 4
    return struct.pack("!HH", 256, 4 + len(recs) + pad) + recs + b"\0" * pad


def nf9(i, t):
    uptime = 1000000 + i * 1000 // per_s
    recs = b"".join(struct.pack("!IIBH4sH4sII", 50000, 100, 17, random.randrange(1024, 65535), src(), 9999,
                                victim, uptime, uptime - 50) for _ in range(20))
    body = tmpl_set(0, V9_FIELDS) + data_set(recs)
    return struct.pack("!HHIIII", 9, 21, uptime, int(t), i, DOMAIN) + body


def ipfix(i, t):
    ms = int(t * 1000)
    recs = b"".join(struct.pack("!QQBH4sH4sQQ", 50000, 100, 17, random.randrange(1024, 65535), src(), 9999,
                                victim, ms - 50, ms) for _ in range(20))
    body = tmpl_set(2, IPFIX_FIELDS) + data_set(recs)
    return struct.pack("!HHIII", 10, 16 + len(body), int(t), i * 20, DOMAIN) + body


def sflow(i, t):
    samples = b""
    for k in range(10):
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 500, 0, 0, 64, 17, 0, src(), victim)
        hdr = ETH + ip + struct.pack("!HHHH", random.randrange(1024, 65535), 9999, 480, 0)
        hdr += b"\0" * ((-len(hdr)) % 4)
        rec = struct.pack("!IIII", 1, 514, 4, 42) + hdr
        data = struct.pack("!IIIIIIII", i * 10 + k, 1, 100, (i * 10 + k) * 100, 0, 1, 2, 1)
        data += struct.pack("!II", 1, len(rec)) + rec
        samples += struct.pack("!II", 1, len(data)) + data
    return struct.pack("!II4sIIII", 5, 1, bytes([192, 0, 2, 200]), 0, i, 1000000 + i * 100, 10) + samples


gen = {"nf5": nf5, "nf9": nf9, "ipfix": ipfix, "sflow": sflow}[fmt]
t0 = time.time() + 0.2
with open(out, "wb") as f:
    f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
    for i in range(int(seconds * per_s)):
        t = t0 + i / per_s
        payload = gen(i, t)
        udp = struct.pack("!HHHH", 40000, 2055, 8 + len(payload), 0) + payload
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, 64, 17, 0, b"\x7f\0\0\1", b"\x7f\0\0\1")
        frame = ETH + ip + udp
        f.write(struct.pack("<IIII", int(t), int(t % 1 * 1e6), len(frame), len(frame)) + frame)
