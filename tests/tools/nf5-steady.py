#!/usr/bin/python3
# nf5-steady.py PORT SECONDS VICTIM [FLOOD_PPS]: NetFlow v5 stamped with the
# current time to 127.0.0.1:PORT for SECONDS (bounded: at most 600): steady
# TCP traffic of 200 packets/s to VICTIM from 20 sources (10 datagrams/s of
# 20 one-packet records), and with FLOOD_PPS > 0 a UDP flood of that rate on
# top from 400 sources a second (20 datagrams/s of 20 records).  Teaches a
# detector a baseline, then tests it.  Deterministic apart from the clock.
import socket, struct, sys, time
port, secs, victim = int(sys.argv[1]), min(float(sys.argv[2]), 600.0), socket.inet_aton(sys.argv[3])
flood = float(sys.argv[4]) if len(sys.argv) > 4 else 0.0
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
t0 = time.time(); boot = t0 - 1000; seq = 0; tick = 0


def send(recs, now):
    global seq
    up = int((now - boot) * 1000)
    hdr = struct.pack("!HHIIIIBBH", 5, len(recs), up, int(now), int(now % 1 * 1e9), seq, 0, 0, 0)
    s.sendto(hdr + b"".join(r(up) for r in recs), ("127.0.0.1", port))
    seq += len(recs)


def rec(src, pkts, size, proto, sport, dport):
    return lambda up: struct.pack("!4s4s4sHHIIIIHHBBBBHHBBH", src, victim, bytes(4), 1, 2, pkts, pkts * size,
                                  up - 40, up - 1, sport, dport, 0, 0x18 if proto == 6 else 0, proto, 0,
                                  0, 0, 0, 0, 0)


while time.time() - t0 < secs:
    now = time.time()
    if tick % 2 == 0:
        send([rec(bytes([10, 1, 0, 1 + i]), 1, 700, 6, 40000 + i, 443) for i in range(20)], now)
    if flood > 0:
        per = max(1, int(flood / 400))
        send([rec(bytes([203, 0, (tick * 20 + i) >> 8 & 255, (tick * 20 + i) & 255]), per, 500, 17, 1024 + i, 9999)
              for i in range(20)], now)
    tick += 1
    time.sleep(max(0.0, t0 + tick * 0.05 - time.time()))
