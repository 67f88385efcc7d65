#!/usr/bin/env python3
"""Regenerate the seed corpora of fuzz_nf9 and fuzz_ipfix.

Raw datagrams from tests/data/udpflood_{nf9,ipfix}.pcap (Ethernet/IPv4/UDP),
two-datagram sequences (2-byte length prefix each, see the fuzz targets),
and hand-built datagrams for what the captures lack: options templates and
sampling options data, variable-length and enterprise fields, withdrawal,
IPv6, data before template, and what hostile exporters send (template
floods, redefinitions, withdraw-all storms).  Usage: python3 tests/fuzz/make-seeds-nf9.py
(from the repository root)."""
import os
import struct

def datagrams(path):
    with open(path, "rb") as f:
        buf = f.read()
    off, out = 24, []
    while off + 16 <= len(buf):
        incl = struct.unpack_from("<I", buf, off + 8)[0]
        pkt = buf[off + 16: off + 16 + incl]
        off += 16 + incl
        ihl = (pkt[14] & 0x0F) * 4
        out.append(pkt[14 + ihl + 8:])
    return out

def lp(*dgs):
    return b"".join(struct.pack(">H", len(d)) + d for d in dgs)

def st(set_id, body):
    return struct.pack(">HH", set_id, 4 + len(body)) + body

def v9(seq, *sets, uptime=100000, secs=1700000000, src=0):
    return struct.pack(">HHIIII", 9, len(sets), uptime, secs, seq, src) + b"".join(sets)

def ipfix(seq, *sets, secs=1700000000, dom=0):
    body = b"".join(sets)
    return struct.pack(">HHIII", 10, 16 + len(body), secs, seq, dom) + body

def fields(*pairs):
    return b"".join(struct.pack(">HH", t, l) for t, l in pairs)

def write(d, name, data):
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)

def main():
    for proto in ("nf9", "ipfix"):
        d = "tests/fuzz/corpus/" + proto
        os.makedirs(d, exist_ok=True)
        dg = datagrams("tests/data/udpflood_%s.pcap" % proto)
        for i in (0, 1, 2, 100, 300, 544):
            write(d, "capture-%03d" % i, dg[i])
        write(d, "capture-seq-0-1", lp(dg[0], dg[1]))
        write(d, "capture-seq-1-0", lp(dg[1], dg[0]))  # data before template

    d = "tests/fuzz/corpus/nf9"
    opt = st(1, struct.pack(">HHH", 257, 4, 12) + fields((1, 4), (48, 1), (49, 1), (50, 4)) + b"\0\0")
    tmpl = st(0, struct.pack(">HH", 259, 7) + fields((48, 1), (2, 4), (1, 4), (8, 4), (12, 4), (22, 4), (21, 4)))
    odata = st(257, struct.pack(">IBBI", 0, 5, 2, 100) + b"\0\0")
    data = st(259, struct.pack(">BIIIIII", 5, 2, 1500, 0x0A000001, 0x0A000002, 90000, 99000))
    write(d, "hand-sampling", v9(1, opt, tmpl, odata, data))
    write(d, "hand-data-first", lp(v9(1, data), v9(2, opt, tmpl, odata)))
    tmpl6 = st(0, struct.pack(">HH", 260, 5) + fields((27, 16), (28, 16), (7, 2), (11, 2), (2, 8)))
    data6 = st(260, bytes(range(32)) + struct.pack(">HHQ", 1, 2, 3))
    write(d, "hand-ipv6", v9(1, tmpl6, data6))

    d = "tests/fuzz/corpus/ipfix"
    topt = st(3, struct.pack(">HHH", 400, 3, 1) + fields((302, 8), (305, 4), (306, 4)))
    tdat = st(2, struct.pack(">HH", 402, 6) + fields((302, 8), (2, 4), (1, 3), (8, 4), (82, 0xFFFF))
              + struct.pack(">HHI", 0x8000 | 12, 4, 9))
    od = st(400, struct.pack(">QII", 11, 1, 99))
    dd = st(402, struct.pack(">QI", 11, 3) + (1000).to_bytes(3, "big") + struct.pack(">I", 0x0A000001)
            + b"\x03eth" + struct.pack(">I", 7)
            + struct.pack(">QI", 11, 4) + (2000).to_bytes(3, "big") + struct.pack(">I", 0x0A000002)
            + b"\xff\x01\x00" + b"x" * 256 + struct.pack(">I", 7))
    write(d, "hand-sampling-varlen", ipfix(0, topt, tdat, od, dd))
    write(d, "hand-data-first", lp(ipfix(0, dd), ipfix(0, topt, tdat, od)))
    wd = st(2, struct.pack(">HH", 402, 0)) + st(3, struct.pack(">HH", 3, 0))
    write(d, "hand-withdraw", lp(ipfix(0, topt, tdat), ipfix(0, wd), ipfix(0, dd)))
    tsys = st(3, struct.pack(">HHH", 410, 2, 1) + fields((144, 4), (160, 8)))
    ttim = st(2, struct.pack(">HH", 411, 10) + fields((150, 4), (151, 4), (154, 8), (155, 8), (156, 8),
              (157, 8), (158, 4), (159, 4), (161, 4), (22, 4)))
    write(d, "hand-times", ipfix(0, tsys, ttim, st(410, struct.pack(">IQ", 1, 1699999000000)),
                                 st(411, bytes(60))))
    # Hostile: more templates than the fuzz cache (8) and quota (5) hold, data
    # for some (eviction order), a redefinition with fields swapped, one that
    # is refused, data <-> options, and a storm of withdraw-all records.
    many = st(2, b"".join(struct.pack(">HH", 256 + i, 2) + fields((8, 4), (2, 1 + i % 8)) for i in range(10)))
    used = st(256, struct.pack(">IB", 0x0A000001, 7)) + st(257, struct.pack(">IH", 0x0A000002, 7))
    swap = st(2, struct.pack(">HH", 256, 2) + fields((2, 1), (8, 4)))
    bad = st(2, struct.pack(">HH", 257, 1) + fields((8, 0)))
    kind = st(3, struct.pack(">HHH", 258, 2, 1) + fields((302, 4), (34, 4)))
    storm = st(2, struct.pack(">HH", 2, 0) * 64) + st(3, struct.pack(">HH", 3, 0) * 8)
    write(d, "hand-hostile", lp(ipfix(0, many, used), ipfix(1, many), ipfix(2, swap, bad, used, kind),
                                ipfix(3, storm, used), ipfix(4, many, used)))

if __name__ == "__main__":
    main()
