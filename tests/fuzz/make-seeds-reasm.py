#!/usr/bin/env python3
"""Regenerate the seed corpora of fuzz_ipfrag and fuzz_dnstcp.

Input format of both targets: raw IP packets, each with a 2-byte big-endian
length.  Seeds: the packets of our synthetic fragmented and TCP DNS captures
(tests/data/reasm-*.pcap, written by tests/data/make-dns-reasm-synth.py; link
layer stripped), and hand-built hostile sequences: an overlapping fragment
(teardrop), a TCP fragment at offset 8 (RFC 1858), duplicate fragments, a
retransmitted and a gapped TCP stream.  Nothing here comes from other
projects' captures.  Usage: python3 tests/fuzz/make-seeds-reasm.py (from the
repository root)."""
import os
import struct

def packets(path):
    with open(path, "rb") as f:
        buf = f.read()
    link = struct.unpack_from("<I", buf, 20)[0]
    strip = {1: 14, 101: 0, 228: 0, 229: 0}[link]
    off, out = 24, []
    while off + 16 <= len(buf):
        incl = struct.unpack_from("<I", buf, off + 8)[0]
        out.append(buf[off + 16 + strip: off + 16 + incl])
        off += 16 + incl
    return out

def seq(pkts):
    return b"".join(struct.pack("!H", len(p)) + p for p in pkts)

def v4(ident, proto, off, data, more):
    return struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(data), ident,
                       (0x2000 if more else 0) | off // 8, 64, proto, 0,
                       bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2])) + data

def tcp(seqno, flags, data, sport=40000):
    hdr = struct.pack("!HHIIBBHHH", sport, 53, seqno, 0, 0x50, flags, 65535, 0, 0)
    return v4(1, 6, 0, hdr + data, False)

def write(name, n, data):
    d = "tests/fuzz/corpus/" + name
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, n), "wb") as f:
        f.write(data)

udp = struct.pack("!HHHH", 53, 4000, 48, 0) + bytes(range(40))
query = (struct.pack("!HHHHHH", 7, 0x0100, 1, 0, 0, 0) + b"\x03www\x07example\x00\x00\x01\x00\x01")
framed = struct.pack("!H", len(query)) + query

for name in ("ipfrag", "dnstcp"):
    write(name, "synth-frag4", seq(packets("tests/data/reasm-frag4.pcap")))
    write(name, "synth-frag6", seq(packets("tests/data/reasm-frag6.pcap")))
    write(name, "teardrop", seq([v4(2, 17, 0, udp[:24], True), v4(2, 17, 16, udp[16:], False)]))
    write(name, "tiny-tcp", seq([v4(3, 6, 0, udp[:8], True), v4(3, 6, 8, udp[8:], False)]))
    write(name, "dup-out-of-order", seq([v4(4, 17, 24, udp[24:], False), v4(4, 17, 0, udp[:24], True),
                                         v4(4, 17, 0, udp[:24], True)]))
for case in ("lenseg", "many1seg", "split", "gap", "nosyn", "keepalive"):
    write("dnstcp", "synth-tcp-" + case, seq(packets("tests/data/reasm-tcp-%s.pcap" % case)))
write("dnstcp", "retransmit-gap", seq([tcp(99, 0x02, b""), tcp(100, 0x18, framed[:10]),
                                       tcp(100, 0x18, framed), tcp(200, 0x18, framed[5:]),
                                       tcp(300, 0x18, framed * 3), tcp(400, 0x11, framed[:7])]))
