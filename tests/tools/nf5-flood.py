#!/usr/bin/python3
# nf5-flood.py PORT SECONDS VICTIM: a UDP flood to VICTIM as NetFlow v5 stamped
# with the current time (100 kpps: 20 datagrams/s of 20 records of 250
# packets) sent to 127.0.0.1:PORT, for SECONDS (bounded: at most 600).
import socket, struct, sys, time
port, secs, victim = int(sys.argv[1]), min(float(sys.argv[2]), 600.0), socket.inet_aton(sys.argv[3])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
t0 = time.time(); boot = t0 - 1000; seq = 0
while time.time() - t0 < secs:
    now = time.time(); up = int((now - boot) * 1000)
    recs = b"".join(struct.pack("!4s4s4sHHIIIIHHBBBBHHBBH", bytes([203, 0, 113, 1 + i]), victim, bytes(4),
                                1, 2, 250, 250 * 512, up - 40, up - 1, 1024 + i, 53, 0, 0, 17, 0, 0, 0, 0, 0, 0)
                    for i in range(20))
    hdr = struct.pack("!HHIIIIBBH", 5, 20, up, int(now), int(now % 1 * 1e9), seq, 0, 0, 0)
    s.sendto(hdr + recs, ("127.0.0.1", port))
    seq += 20
    time.sleep(0.05)
