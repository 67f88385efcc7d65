#!/usr/bin/python3
"""One host claiming many NetFlow v9 source ids / IPFIX observation domains.

make-exporters.py FORMAT COUNT OUT.pcap [DATA_ONLY | sampled]

FORMAT nf9 | ipfix.  Writes COUNT datagrams from 127.0.0.1 (one UDP source
port), datagram i with source id / observation domain i + 1; each carries
template 256 and one data set, except with DATA_ONLY=1, which leaves the
template out (every data set then waits for a template that never comes).
The data set holds one record, five for the last ten ids (the busiest
exporters): 198.51.100.(i % 200 + 1):1024 -> 203.0.113.7:53, UDP, i + 1
packets, 100 x (i + 1) bytes, at 1700000000 s + i ms.

With `sampled` (nf9 only) the source ids start at 1001 and each datagram also
carries options template 257 (scope System; FLOW_SAMPLER_ID, SAMPLING_INTERVAL)
and its options data, sampler 3 = 1 in 512, before the data set; template 256
adds FLOW_SAMPLER_ID (3), and the data set holds 20 records lasting 5 s each.
Written offline with struct
(Ethernet/IPv4/UDP, pcap link type 1); nothing is sent.
"""
import struct, sys

fmt, count, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
data_only = len(sys.argv) > 4 and sys.argv[4] == "1"
sampled = len(sys.argv) > 4 and sys.argv[4] == "sampled"
ID0 = 1001 if sampled else 1
T0 = 1700000000
UPTIME = 3600000  # v9 sysUptime, ms


def ipsum(h):
    s = sum(struct.unpack("!%dH" % (len(h) // 2), h))
    while s > 0xffff:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def frame(payload):
    udp = struct.pack("!HHHH", 40000, 2055 if fmt == "nf9" else 4739, 8 + len(payload), 0) + payload
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, 64, 17, 0,
                     bytes([127, 0, 0, 1]), bytes([127, 0, 0, 1]))
    ip = ip[:10] + struct.pack("!H", ipsum(ip)) + ip[12:]
    return b"\x02\x00\x00\x00\x00\x02" + b"\x02\x00\x00\x00\x00\x01" + b"\x08\x00" + ip + udp


def record(i, t_ms):
    src = bytes([198, 51, 100, i % 200 + 1])
    dst = bytes([203, 0, 113, 7])
    head = src + dst + struct.pack("!HHB", 1024, 53, 17) + struct.pack("!II", i + 1, 100 * (i + 1))
    if fmt == "nf9":  # FIRST/LAST_SWITCHED: sysUptime-relative ms
        rel = UPTIME - 500
        if sampled:
            return head + struct.pack("!II", rel - 5000, rel) + b"\x03"
        return head + struct.pack("!II", rel, rel)
    return head + struct.pack("!QQ", t_ms, t_ms)  # flowStart/EndMilliseconds


# (type, length): src addr, dst addr, src port, dst port, protocol, packets, bytes, times
FIELDS = [(8, 4), (12, 4), (7, 2), (11, 2), (4, 1), (2, 4), (1, 4)]
FIELDS += [(22, 4), (21, 4)] if fmt == "nf9" else [(152, 8), (153, 8)]
FIELDS += [(48, 1)] if sampled else []
# Options template 257: scope System (1)/4; FLOW_SAMPLER_ID (48)/1, SAMPLING_INTERVAL (34)/4.
OPT = struct.pack("!HHHHHHHHH", 257, 4, 8, 1, 4, 48, 1, 34, 4) + b"\0\0"
OPT_DATA = struct.pack("!IBI", 0, 3, 512) + b"\0\0\0"


def datagram(i):
    t_ms = T0 * 1000 + i
    tset = struct.pack("!HH", 256, len(FIELDS)) + b"".join(struct.pack("!HH", *f) for f in FIELDS)
    rec = record(i, t_ms) * (20 if sampled else 5 if i >= count - 10 else 1)
    pad = (-len(rec)) % 4
    dset = struct.pack("!HH", 256, 4 + len(rec) + pad) + rec + b"\0" * pad
    if fmt == "nf9":
        sets = b"" if data_only else struct.pack("!HH", 0, 4 + len(tset)) + tset
        if sampled:
            sets += struct.pack("!HH", 1, 4 + len(OPT)) + OPT
            sets += struct.pack("!HH", 257, 4 + len(OPT_DATA)) + OPT_DATA
        sets += dset
        hdr = struct.pack("!HHIIII", 9, 1 if data_only else 4 if sampled else 2, UPTIME, T0 + i // 1000, i,
                          i + ID0)
        return hdr + sets
    sets = b"" if data_only else struct.pack("!HH", 2, 4 + len(tset)) + tset
    sets += dset
    return struct.pack("!HHIII", 10, 16 + len(sets), T0 + i // 1000, 0, i + 1) + sets


with open(out, "wb") as f:
    f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
    for i in range(count):
        fr = frame(datagram(i))
        ts = T0 + i // 1000
        f.write(struct.pack("<IIII", ts, (i % 1000) * 1000, len(fr), len(fr)) + fr)
