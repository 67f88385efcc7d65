#!/usr/bin/env python3
"""Write tests/data/sflow_synth.pcap: hand-built sFlow v5 datagrams for the
cases the real captures lack (QinQ, IPv6 extension headers, GRE, ICMP and
ICMPv6, MPLS, IPv4 later fragments, raw-IP header protocols, sampled
IPv4/IPv6 records, expanded counter samples, unknown enterprises, an IPv6
agent).  Only the standard library; every datagram is built field by field
from sflow_version_5.txt.  The expected values are NOT taken from here:
gen-sflow-expected.sh dissects the pcap with tshark.

Usage: make-sflow-synth.py OUT.pcap
"""
import struct
import sys


def u32(v):
    return struct.pack(">I", v)


def xdr_opaque(b):
    return u32(len(b)) + b + b"\0" * (-len(b) % 4)


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack(">%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def ip4(src, dst, proto, payload, ttl=64, tos=0, frag=0, ident=1):
    h = struct.pack(">BBHHHBBH4s4s", 0x45, tos, 20 + len(payload), ident, frag,
                    ttl, proto, 0, bytes(src), bytes(dst))
    h = h[:10] + struct.pack(">H", csum(h)) + h[12:]
    return h + payload


def ip6(src, dst, nxt, payload, hlim=64, tc=0):
    first = (6 << 28) | (tc << 20) | 0x12345
    return struct.pack(">IHBB", first, len(payload), nxt, hlim) + bytes(src) + bytes(dst) + payload


def v6(s):
    import ipaddress
    return ipaddress.IPv6Address(s).packed


def v4(s):
    return bytes(int(x) for x in s.split("."))


def tcp(sport, dport, flags, data=b""):
    return struct.pack(">HHIIBBHHH", sport, dport, 1000, 0, 5 << 4, flags, 8192, 0, 0) + data


def udp(sport, dport, data=b""):
    return struct.pack(">HHHH", sport, dport, 8 + len(data), 0) + data


def icmp(t, c, data=b""):
    return struct.pack(">BBHI", t, c, 0, 0x00010001) + data


def eth(etype, payload, tags=()):
    out = b"\x02\0\0\0\0\x02" + b"\x02\0\0\0\0\x01"
    for tpid, tci in tags:
        out += struct.pack(">HH", tpid, tci)
    return out + struct.pack(">H", etype) + payload


def raw_header_rec(proto, frame, frame_len=None, stripped=4, cut=128):
    hdr = frame[:cut]
    if frame_len is None:
        frame_len = len(frame) + stripped
    body = u32(proto) + u32(frame_len) + u32(stripped) + xdr_opaque(hdr)
    return u32(1) + u32(len(body)) + body


def sampled_v4_rec(length, proto, src, dst, sport, dport, flags, tos):
    body = u32(length) + u32(proto) + v4(src) + v4(dst) + u32(sport) + u32(dport) + u32(flags) + u32(tos)
    return u32(3) + u32(len(body)) + body


def sampled_v6_rec(length, proto, src, dst, sport, dport, flags, prio):
    body = u32(length) + u32(proto) + v6(src) + v6(dst) + u32(sport) + u32(dport) + u32(flags) + u32(prio)
    return u32(4) + u32(len(body)) + body


def switch_rec(vin=10, vout=20):
    body = u32(vin) + u32(0) + u32(vout) + u32(0)
    return u32(1001) + u32(len(body)) + body


def enterprise_rec(ent, fmt, body):
    return u32(ent << 12 | fmt) + u32(len(body)) + body


def flow_sample(seq, src_id, rate, pool, drops, in_if, out_if, recs):
    body = u32(seq) + u32(src_id) + u32(rate) + u32(pool) + u32(drops) + u32(in_if) + u32(out_if)
    body += u32(len(recs)) + b"".join(recs)
    return u32(1) + u32(len(body)) + body


def flow_sample_x(seq, sid_type, sid_index, rate, pool, drops, in_fmt, in_val, out_fmt, out_val, recs):
    body = (u32(seq) + u32(sid_type) + u32(sid_index) + u32(rate) + u32(pool) + u32(drops) +
            u32(in_fmt) + u32(in_val) + u32(out_fmt) + u32(out_val))
    body += u32(len(recs)) + b"".join(recs)
    return u32(3) + u32(len(body)) + body


def generic_counters(ifindex, speed, in_oct, in_uc, in_disc, in_err, out_oct, out_uc, out_disc, out_err):
    body = (u32(ifindex) + u32(6) + struct.pack(">Q", speed) + u32(1) + u32(3) +
            struct.pack(">Q", in_oct) + u32(in_uc) + u32(5) + u32(6) + u32(in_disc) + u32(in_err) + u32(0) +
            struct.pack(">Q", out_oct) + u32(out_uc) + u32(7) + u32(8) + u32(out_disc) + u32(out_err) + u32(0))
    assert len(body) == 88
    return u32(1) + u32(len(body)) + body


def counter_sample_x(seq, sid_type, sid_index, recs):
    body = u32(seq) + u32(sid_type) + u32(sid_index) + u32(len(recs)) + b"".join(recs)
    return u32(4) + u32(len(body)) + body


def datagram(agent, seq, samples, sub_agent=0, uptime=123456):
    if ":" in agent:
        hdr = u32(5) + u32(2) + v6(agent)
    else:
        hdr = u32(5) + u32(1) + v4(agent)
    return hdr + u32(sub_agent) + u32(seq) + u32(uptime) + u32(len(samples)) + b"".join(samples)


def udp_frame(payload):
    return eth(0x0800, ip4(v4("127.0.0.1"), v4("127.0.0.1"), 17, udp(40000, 6343, payload), ttl=64))


A = v4("198.51.100.53")
S = v4("203.0.113.7")
A6 = v6("2001:db8::53")
S6 = v6("2001:db8:1::7")


def build():
    dgs = []
    pad = b"x" * 200

    # 1: QinQ (802.1ad outer, 802.1Q inner) IPv4 TCP SYN; plus triple tag.
    f1 = eth(0x0800, ip4(S, A, 6, tcp(40001, 80, 0x02, pad), ttl=47, tos=0x28),
             tags=((0x88A8, 100), (0x8100, 200)))
    f2 = eth(0x0800, ip4(S, A, 17, udp(5353, 53, pad), ttl=33),
             tags=((0x9100, 5), (0x88A8, 6), (0x8100, 7)))
    dgs.append(datagram("192.0.2.1", 1, [
        flow_sample(1, 5, 512, 512, 3, 3, 7, [switch_rec(), raw_header_rec(1, f1)]),
        flow_sample(2, 5, 512, 1024, 4, 3, 0x3FFFFFFF, [raw_header_rec(1, f2)]),
    ]))

    # 2: IPv6 with extension headers (expanded samples).
    hbh = bytes([60, 0, 1, 4, 0, 0, 0, 0])           # hop-by-hop -> dest opts, PadN
    dst = bytes([44, 1]) + bytes([1, 12]) + bytes(12)  # dest opts (16 bytes) -> fragment
    frag = bytes([17, 0, 0, 1, 0, 0, 0, 42])          # fragment, offset 0, M=1 -> UDP
    f3 = eth(0x86DD, ip6(S6, A6, 0, hbh + dst + frag + udp(1234, 53, pad), hlim=40, tc=0xB8))
    rh = bytes([6, 2, 0, 0, 0, 0, 0, 0]) + v6("2001:db8::1")  # routing type 0 -> TCP
    f4 = eth(0x86DD, ip6(S6, A6, 43, rh + tcp(40002, 443, 0x12, pad), hlim=41))
    ah = bytes([58, 4, 0, 0]) + bytes(20)              # AH (24 bytes) -> ICMPv6
    f5 = eth(0x86DD, ip6(S6, A6, 51, ah + icmp(128, 0, pad), hlim=42))
    frag2 = bytes([17, 0, 0x05, 0xA8, 0, 0, 0, 43])   # later fragment (offset 181*8)
    f6 = eth(0x86DD, ip6(S6, A6, 44, frag2 + pad, hlim=43))
    dgs.append(datagram("192.0.2.1", 2, [
        flow_sample_x(3, 0, 9, 100, 300, 0, 0, 11, 0, 12, [raw_header_rec(1, f3)]),
        flow_sample_x(4, 0, 9, 100, 400, 0, 0, 11, 2, 3, [raw_header_rec(1, f4)]),
        flow_sample_x(5, 0, 9, 100, 500, 0, 1, 5, 0, 0x3FFFFFFF, [raw_header_rec(1, f5)]),
        flow_sample_x(6, 0, 9, 100, 600, 0, 0, 11, 0, 12, [raw_header_rec(1, f6)]),
    ]))

    # 3: GRE carrying IPv4/UDP, GRE with key over IPv6, ICMP, IPv4 later fragment.
    inner = ip4(v4("10.9.9.9"), v4("10.8.8.8"), 17, udp(999, 53, pad))
    f7 = eth(0x0800, ip4(S, A, 47, struct.pack(">HH", 0, 0x0800) + inner, ttl=60))
    inner6 = ip4(v4("10.9.9.9"), v4("10.8.8.8"), 6, tcp(998, 80, 0x10, pad))
    f8 = eth(0x86DD, ip6(S6, A6, 47, struct.pack(">HHI", 0x2000, 0x0800, 77) + inner6, hlim=61))
    f9 = eth(0x0800, ip4(S, A, 1, icmp(3, 3, pad), ttl=62))
    f10 = eth(0x0800, ip4(S, A, 17, udp(7, 9, pad), ttl=63, frag=0x0010))  # offset 16*8
    dgs.append(datagram("192.0.2.2", 3, [
        flow_sample(7, 1, 2048, 2048, 0, 1, 2, [raw_header_rec(1, f7)]),
        flow_sample(8, 1, 2048, 4096, 0, 1, 2, [raw_header_rec(1, f8)]),
        flow_sample(9, 1, 2048, 6144, 0, 1, 2, [raw_header_rec(1, f9)]),
        flow_sample(10, 1, 2048, 8192, 0, 1, 2, [raw_header_rec(1, f10)]),
    ], sub_agent=3))

    # 4: MPLS (two labels) over Ethernet, raw IPv4 / raw IPv6 header protocols,
    # a header cut inside the TCP header, ARP (no IP).
    mpls = struct.pack(">II", (1000 << 12) | (0 << 8) | 64, (2000 << 12) | (1 << 8) | 64)
    f11 = eth(0x8847, mpls + ip4(S, A, 17, udp(123, 123, pad), ttl=20))
    r12 = ip4(S, A, 6, tcp(40003, 22, 0x11, pad), ttl=21)
    r13 = ip6(S6, A6, 17, udp(4444, 161, pad), hlim=22)
    f14 = eth(0x0800, ip4(S, A, 6, tcp(40004, 25, 0x04, pad), ttl=23))
    arp = eth(0x0806, struct.pack(">HHBBH", 1, 0x0800, 6, 4, 1) + bytes(20))
    dgs.append(datagram("2001:db8::1", 4, [
        flow_sample(11, 2, 10, 10, 0, 4, 5, [raw_header_rec(1, f11)]),
        flow_sample(12, 2, 10, 20, 0, 4, 5, [raw_header_rec(11, r12, stripped=0)]),
        flow_sample(13, 2, 10, 30, 0, 4, 5, [raw_header_rec(12, r13, stripped=0)]),
        flow_sample(14, 2, 10, 40, 0, 4, 5, [raw_header_rec(1, f14, cut=14 + 20 + 10)]),
        flow_sample(15, 2, 10, 50, 0, 4, 5, [raw_header_rec(1, arp)]),
    ], sub_agent=7))

    # 5: sampled IPv4 / IPv6 records only; unknown-enterprise records and an
    # unknown-enterprise sample skipped by length; an expanded counter sample.
    dgs.append(datagram("192.0.2.3", 5, [
        flow_sample(16, 3, 64, 64, 0, 8, 9, [
            enterprise_rec(4413, 1, b"\x01\x02\x03\x04"),
            sampled_v4_rec(1400, 17, "203.0.113.9", "198.51.100.54", 11211, 40000, 0, 0x10)]),
        flow_sample(17, 3, 64, 128, 0, 8, 9, [
            sampled_v6_rec(1280, 6, "2001:db8:1::9", "2001:db8::54", 40005, 443, 0x18, 0)]),
        counter_sample_x(1, 0, 42, [
            enterprise_rec(0, 2, bytes(52)),
            generic_counters(42, 10000000000, 123456789012, 1000, 2, 3, 987654321098, 2000, 4, 5),
            enterprise_rec(4413, 7, bytes(8))]),
        # Last: tshark 4.0 cannot frame what follows an unknown-enterprise sample.
        u32(4413 << 12 | 1) + xdr_opaque(b"vendor sample body!!"),
    ]))
    return dgs


def main():
    out = sys.argv[1]
    with open(out, "wb") as fh:
        fh.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        t = 1700000000
        for i, dg in enumerate(build()):
            fr = udp_frame(dg)
            fh.write(struct.pack("<IIII", t + i, 0, len(fr), len(fr)) + fr)


if __name__ == "__main__":
    main()
