#!/usr/bin/env python3
"""Write the export forms no public capture we found shows:

  ipfix_psamp_synth.pcap   IPFIX packet sampling (PSAMP, RFC 5476/5477): an
                           options template (selectorId scope,
                           samplingPacketInterval/Space: 1 in 100) and packet
                           reports carrying ipHeaderPacketSection (313,
                           variable length, IPv4 and IPv6 with an extension
                           header), dataLinkFrameSection (315, fixed 64 bytes,
                           802.1Q), dataLinkFrameSize (312), ipTotalLength
                           (224), one ARP frame (not IP); and a YAF-style
                           RFC 5103 biflow template with reverse total
                           counters (29305/85, /86) and reverse TCP flags.
  sflow_discard_synth.pcap sFlow v5 with discarded packet events (sample
                           format 5, sflow.org sflow_drops.txt), an unknown
                           standard sample format and a vendor sample, next to
                           ordinary flow samples.

Only the standard library; packet helpers from make-sflow-synth.py.  The
expected values are NOT taken from here: the tests compare with tshark.

Usage: make-psamp-synth.py DIR
"""
import importlib.util
import os
import struct
import sys

_spec = importlib.util.spec_from_file_location(
    "sflow_synth", os.path.join(os.path.dirname(os.path.abspath(__file__)), "make-sflow-synth.py"))
sf = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(sf)

u32, v4, v6, ip4, ip6, tcp, udp, eth = sf.u32, sf.v4, sf.v6, sf.ip4, sf.ip6, sf.tcp, sf.udp, sf.eth
T0 = 1700000000


def u16(v):
    return struct.pack(">H", v)


def u8(v):
    return struct.pack(">B", v)


def u64(v):
    return struct.pack(">Q", v)


def field(ie, length, pen=None):
    if pen is None:
        return u16(ie) + u16(length)
    return u16(0x8000 | ie) + u16(length) + u32(pen)


def tset(set_id, records):
    body = b"".join(records)
    return u16(set_id) + u16(4 + len(body)) + body


def template(tid, fields):
    return u16(tid) + u16(len(fields)) + b"".join(fields)


def options_template(tid, scope, fields):
    return u16(tid) + u16(len(scope) + len(fields)) + u16(len(scope)) + b"".join(scope + fields)


def varlen(b):
    return (u8(len(b)) if len(b) < 255 else u8(255) + u16(len(b))) + b


def message(secs, seq, domain, sets):
    body = b"".join(sets)
    return u16(10) + u16(16 + len(body)) + u32(secs) + u32(seq) + u32(domain) + body


def ipfix_psamp():
    victim, victim6 = v4("198.51.100.53"), v6("2001:db8:100::53")
    msgs = []
    # Options: selector 7 samples 1 packet, then skips 99 (1 in 100).
    opt = options_template(300, [field(302, 4)], [field(305, 4), field(306, 4)])
    msgs.append(message(T0, 0, 5, [tset(3, [opt]), tset(300, [u32(7) + u32(1) + u32(99)])]))
    # Packet reports: selectorId, observationTimeMilliseconds (323),
    # ipTotalLength, ipHeaderPacketSection (variable).
    t_ip = template(400, [field(302, 4), field(323, 8), field(224, 8), field(313, 65535)])
    # selectorId, dataLinkFrameSize, dataLinkFrameSection fixed 64 bytes.
    t_l2 = template(401, [field(302, 4), field(312, 2), field(315, 64)])
    msgs.append(message(T0 + 1, 1, 5, [tset(2, [t_ip, t_l2])]))
    recs_ip, recs_l2 = [], []
    for i in range(6):   # UDP flood to the victim, cut at 48 bytes of header
        pkt = ip4(v4("203.0.113.%d" % (10 + i)), victim, 17, udp(40000 + i, 53, b"\xab" * 480), ttl=50)
        recs_ip.append(u32(7) + u64((T0 + 1) * 1000 + i) + u64(len(pkt)) + varlen(pkt[:48]))
    for i in range(3):   # SYNs over IPv6 with a destination options header
        seg = tcp(50000 + i, 443, 0x02)
        dst_opts = bytes([6, 0, 1, 4, 0, 0, 0, 0])
        pkt = ip6(v6("2001:db8:1::%x" % (i + 1)), victim6, 60, dst_opts + seg, hlim=60)
        recs_ip.append(u32(7) + u64((T0 + 1) * 1000 + 10 + i) + u64(len(pkt)) + varlen(pkt[:96]))
    for i in range(4):   # Ethernet + 802.1Q frames, cut to 64 bytes
        pkt = ip4(v4("192.0.2.%d" % (20 + i)), victim, 6, tcp(1024 + i, 80, 0x10, b"x" * 100), ttl=120)
        fr = eth(0x0800, pkt, tags=[(0x8100, 231)])
        recs_l2.append(u32(7) + u16(len(fr) + 4) + (fr + b"\0" * 64)[:64])
    arp = eth(0x0806, bytes(28))  # not IP: counted, no record
    recs_l2.append(u32(7) + u16(64) + (arp + b"\0" * 64)[:64])
    msgs.append(message(T0 + 2, 1, 5, [tset(400, recs_ip), tset(401, recs_l2)]))
    # YAF-style biflow: reverse totals and reverse TCP flags (RFC 5103).
    t_bi = template(402, [field(152, 8), field(153, 8), field(8, 4), field(12, 4), field(7, 2),
                          field(11, 2), field(4, 1), field(6, 1), field(6, 1, 29305),
                          field(86, 8), field(85, 8), field(86, 8, 29305), field(85, 8, 29305)])
    bi = []
    for i, (fp, fb, rp, rb) in enumerate([(10, 800, 8, 12000), (3, 180, 0, 0), (25, 1500, 30, 42000)]):
        bi.append(u64((T0 + 3) * 1000) + u64((T0 + 3) * 1000 + 900) + v4("203.0.113.%d" % (50 + i)) +
                  victim + u16(33000 + i) + u16(443) + u8(6) + u8(0x1b) + u8(0x12 if rp else 0) +
                  u64(fp) + u64(fb) + u64(rp) + u64(rb))
    msgs.append(message(T0 + 3, 3, 6, [tset(2, [t_bi])]))
    msgs.append(message(T0 + 4, 0, 6, [tset(402, bi)]))
    return msgs


def discard_sample(seq, ds_index, drops, in_if, out_if, reason, recs):
    body = (u32(seq) + u32(0) + u32(ds_index) + u32(drops) + u32(in_if) + u32(out_if) + u32(reason) +
            u32(len(recs)) + b"".join(recs))
    return u32(5) + u32(len(body)) + body


def sflow_discard():
    victim = v4("198.51.100.53")
    dgs = []
    for n in range(3):
        samples = []
        for i in range(2):
            fr = eth(0x0800, ip4(v4("203.0.113.%d" % (30 + i)), victim, 17, udp(1000 + i, 53, b"q" * 200)))
            samples.append(sf.flow_sample(n * 2 + i + 1, 3, 512, 1024 * (n + 1), 0, 3, 4,
                                          [sf.raw_header_rec(1, fr)]))
        # an ACL drop (reason 258) with the dropped packet's header
        fr = eth(0x0800, ip4(v4("203.0.113.99"), victim, 17, udp(4444, 11211, b"m" * 100)))
        samples.append(discard_sample(n + 1, 3, 0, 3, 0, 258, [sf.raw_header_rec(1, fr)]))
        if n == 1:
            samples.append(u32(9) + u32(8) + u32(1) + u32(2))               # format 9: unknown standard
            samples.append(u32(4300 << 12 | 1) + u32(4) + u32(0xdeadbeef))  # a vendor's sample
        dgs.append(sf.datagram("192.0.2.1", n + 1, samples))
    return dgs


def write(path, payloads, dport):
    with open(path, "wb") as fh:
        fh.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for i, p in enumerate(payloads):
            fr = eth(0x0800, ip4(v4("127.0.0.1"), v4("127.0.0.1"), 17, udp(40001, dport, p)))
            fh.write(struct.pack("<IIII", T0 + i, 0, len(fr), len(fr)) + fr)


def main():
    out = sys.argv[1]
    write(os.path.join(out, "ipfix_psamp_synth.pcap"), ipfix_psamp(), 4739)
    write(os.path.join(out, "sflow_discard_synth.pcap"), sflow_discard(), 6343)


if __name__ == "__main__":
    main()
