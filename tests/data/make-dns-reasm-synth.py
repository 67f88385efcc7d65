#!/usr/bin/env python3
"""Write the synthetic captures of DNS over IP fragments and over TCP
(tests/data/reasm-*.pcap, used by integration/dns_reasm.sh and the fuzz seeds
of fuzz_ipfrag and fuzz_dnstcp).  Standard library only (and the checksum of
make-sflow-synth.py beside it), a fixed random seed,
fixed MAC addresses and times from 1700000000: the output is the same on
every run.  Every packet is built field by field (RFC 791, 8200, 793, 1035,
6891, 7828).  The expected values are NOT taken from here:
gen-reasm-expected.sh decodes the captures with tshark.

  reasm-frag4.pcap         IPv4: responses cut into fragments of 8 to 1480
                           bytes; in order, reversed, shuffled with a
                           duplicate fragment, two datagrams interleaved; a
                           fragmented query
  reasm-frag6.pcap         IPv6 (fragment header): in order, out of order,
                           a duplicate fragment, one after a destination
                           options header, one lone fragment (never complete)
  reasm-tcp-lenseg.pcap    TCP, the client writes each length prefix in a
                           segment of its own (handshake, FIN)
  reasm-tcp-many1seg.pcap  several messages in one segment, messages across
                           segment boundaries
  reasm-tcp-split.pcap     one message over several segments (a 3 KB
                           response, a length prefix split 1 + 1)
  reasm-tcp-gap.pcap       segments missing mid-stream, one each way
  reasm-tcp-nosyn.pcap     the handshake not captured
  reasm-tcp-keepalive.pcap IPv6 TCP, EDNS TCP keepalive (RFC 7828), two
                           queries on one connection

Usage: make-dns-reasm-synth.py [OUTDIR]   (default tests/data)
"""
import importlib.util
import ipaddress
import os
import random
import struct
import sys

RNG = random.Random(20231114)
T0 = 1700000000.0
MAC_CLIENT = b"\x02\x00\x00\x00\x00\x10"
MAC_SERVER = b"\x02\x00\x00\x00\x00\x53"


def addr(s):
    return ipaddress.ip_address(s).packed


def _sibling(fname):
    spec = importlib.util.spec_from_file_location(fname.replace("-", "_")[:-3],
                                                  os.path.join(os.path.dirname(os.path.abspath(__file__)), fname))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


csum = _sibling("make-sflow-synth.py").csum  # the Internet checksum (RFC 1071)


# --- DNS -------------------------------------------------------------------

def name(n):
    out = b""
    for label in n.rstrip(".").split("."):
        out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def opt_rr(options=b"", udp=1232):
    return b"\0" + struct.pack(">HHIH", 41, udp, 0, len(options)) + options


def txt_rr(data_len):
    """A TXT answer (pointer to the question name) of data_len text bytes."""
    rdata = b""
    while data_len > 0:
        n = min(255, data_len)
        rdata += bytes([n]) + bytes(RNG.choice(b"abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(n))
        data_len -= n
    return struct.pack(">HHHIH", 0xC00C, 16, 1, 300, len(rdata)) + rdata


def query(qid, qname, qtype, opt=None):
    ar = 0 if opt is None else 1
    return (struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, ar) + name(qname) +
            struct.pack(">HH", qtype, 1) + (opt or b""))


def response(qid, qname, qtype, rcode=0, txt=0, opt=None):
    """txt > 0: that many bytes of TXT data in answers of up to 1000."""
    answers = b""
    an = 0
    while txt > 0:
        n = min(1000, txt)
        answers += txt_rr(n)
        txt -= n
        an += 1
    ar = 0 if opt is None else 1
    return (struct.pack(">HHHHHH", qid, 0x8180 | rcode, 1, an, 0, ar) + name(qname) +
            struct.pack(">HH", qtype, 1) + answers + (opt or b""))


# --- IP, UDP, TCP ------------------------------------------------------------

def pseudo(src, dst, proto, length):
    if len(src) == 4:
        return src + dst + struct.pack(">BBH", 0, proto, length)
    return src + dst + struct.pack(">IxxxB", length, proto)


def udp(src, dst, sport, dport, data):
    h = struct.pack(">HHHH", sport, dport, 8 + len(data), 0)
    c = csum(pseudo(src, dst, 17, 8 + len(data)) + h + data) or 0xFFFF
    return h[:6] + struct.pack(">H", c) + data


def tcp(src, dst, sport, dport, seq, ack, flags, data=b""):
    h = struct.pack(">HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF,
                    5 << 4, flags, 65535, 0, 0)
    c = csum(pseudo(src, dst, 6, 20 + len(data)) + h + data)
    return h[:16] + struct.pack(">H", c) + h[18:] + data


def ip4(src, dst, proto, payload, ident=0, frag=0, ttl=64):
    h = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident, frag, ttl, proto, 0, src, dst)
    return h[:10] + struct.pack(">H", csum(h)) + h[12:] + payload


def ip6(src, dst, nxt, payload, hlim=64):
    return struct.pack(">IHBB", 6 << 28, len(payload), nxt, hlim) + src + dst + payload


def frags4(src, dst, proto, payload, ident, size):
    """IPv4 fragments of a datagram, size data bytes each (a multiple of 8)."""
    out = []
    for off in range(0, len(payload), size):
        more = off + size < len(payload)
        out.append(ip4(src, dst, proto, payload[off:off + size], ident, (0x2000 if more else 0) | off // 8))
    return out


def frags6(src, dst, proto, payload, ident, size, dstopts=False):
    """IPv6 fragments (fragment header, 44), optionally after a destination
    options header (60) in the unfragmentable part."""
    out = []
    for off in range(0, len(payload), size):
        more = off + size < len(payload)
        fh = struct.pack(">BBHI", proto, 0, off | (1 if more else 0), ident)
        if dstopts:  # 8 bytes: a PadN option filling the header
            out.append(ip6(src, dst, 60, struct.pack(">BBBB", 44, 0, 1, 4) + bytes(4) + fh +
                           payload[off:off + size]))
        else:
            out.append(ip6(src, dst, 44, fh + payload[off:off + size]))
    return out


# --- pcap --------------------------------------------------------------------

class Pcap:
    def __init__(self):
        self.frames = []
        self.t = T0

    def add(self, pkt, to_server, gap=0.001):
        """One Ethernet frame holding IP packet pkt, gap seconds after the last."""
        self.t += gap
        etype = 0x0800 if pkt[0] >> 4 == 4 else 0x86DD
        macs = MAC_SERVER + MAC_CLIENT if to_server else MAC_CLIENT + MAC_SERVER
        self.frames.append((self.t, macs + struct.pack(">H", etype) + pkt))

    def write(self, path):
        with open(path, "wb") as f:
            f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
            for t, frame in self.frames:
                sec = int(t)
                usec = int(round((t - sec) * 1e6))
                f.write(struct.pack("<IIII", sec, usec, len(frame), len(frame)) + frame)


class Conn:
    """One TCP connection to port 53: seq/ack kept for both sides."""

    def __init__(self, pcap, client, server, cport):
        self.p, self.c, self.s, self.cport = pcap, addr(client), addr(server), cport
        self.v6 = len(self.c) == 16
        self.seq = {True: RNG.getrandbits(32), False: RNG.getrandbits(32)}  # True: client -> server

    def pkt(self, to_server, flags, data=b""):
        src, dst = (self.c, self.s) if to_server else (self.s, self.c)
        sp, dp = (self.cport, 53) if to_server else (53, self.cport)
        seg = tcp(src, dst, sp, dp, self.seq[to_server], self.seq[not to_server], flags, data)
        return ip6(src, dst, 6, seg) if self.v6 else ip4(src, dst, 6, seg, RNG.getrandbits(16))

    def handshake(self):
        self.p.add(self.pkt(True, 0x02), True)
        self.seq[True] += 1
        self.p.add(self.pkt(False, 0x12), False)
        self.seq[False] += 1
        self.p.add(self.pkt(True, 0x10), True)

    def send(self, to_server, data, lost=False, flags=0x18):
        """A segment of data; lost: the sender sent it, the capture missed it."""
        if not lost:
            self.p.add(self.pkt(to_server, flags, data), to_server)
        self.seq[to_server] += len(data)

    def exchange(self, q, r, q_lost=False, r_lost=False):
        """A query and its answer, each in a segment of its own."""
        self.send(True, framed(q), q_lost)
        self.send(False, framed(r), r_lost)
        self.ack(True)

    def ack(self, to_server):
        self.p.add(self.pkt(to_server, 0x10), to_server)

    def close(self):
        for side in (True, False):
            self.p.add(self.pkt(side, 0x11), side)
            self.seq[side] += 1
        self.ack(True)


def framed(msg):
    return struct.pack(">H", len(msg)) + msg


def qname(zone):
    return "%s.%s" % ("".join(RNG.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(10)), zone)


# --- the captures ------------------------------------------------------------

C4, S4 = addr("192.0.2.10"), addr("198.51.100.53")
C6, S6 = addr("2001:db8:10::10"), addr("2001:db8:53::53")


def frag4():
    p = Pcap()
    qid = 0x1000

    def exchange(qn, qtype, txt, size, order=None, dup=None, rcode=0):
        nonlocal qid
        qid += 1
        sport = RNG.randrange(1024, 65536)
        p.add(ip4(C4, S4, 17, udp(C4, S4, sport, 53, query(qid, qn, qtype, opt_rr())), RNG.getrandbits(16)), True)
        dgram = udp(S4, C4, 53, sport, response(qid, qn, qtype, rcode, txt, opt_rr()))
        fr = frags4(S4, C4, 17, dgram, RNG.getrandbits(16), size)
        if order == "reverse":
            fr.reverse()
        elif order == "shuffle":
            RNG.shuffle(fr)
        if dup is not None:
            fr.insert(dup + 1, fr[dup])
        return fr

    for fr in (exchange("small8.frag.example", 16, 40, 8),               # 8-byte fragments
               exchange("small24.frag.example", 16, 150, 24),            # 24-byte fragments
               exchange("big.frag.example", 16, 2900, 1480),             # DNSSEC-sized, MTU fragments
               exchange("rev.frag.example", 16, 400, 64, "reverse"),
               exchange("shuf.frag.example", 16, 600, 64, "shuffle", dup=3),
               exchange(qname("frag.example"), 1, 0, 16, rcode=3)):    # NXDOMAIN in fragments
        for f in fr:
            p.add(f, False)
    # Two responses whose fragments arrive interleaved (same addresses and
    # ports, different IP ids), the second one's first.
    a = exchange("inter-a.frag.example", 16, 300, 32)
    b = exchange("inter-b.frag.example", 16, 300, 40, "reverse")
    for i in range(max(len(a), len(b))):
        for fr in (b, a):
            if i < len(fr):
                p.add(fr[i], False)
    # A query (with EDNS padding, RFC 7830) in fragments, then its answer whole.
    qid += 1
    q = query(qid, "padded.frag.example", 1, opt_rr(struct.pack(">HH", 12, 400) + bytes(400)))
    for f in frags4(C4, S4, 17, udp(C4, S4, 5353, 53, q), 0x4242, 104):
        p.add(f, True)
    p.add(ip4(S4, C4, 17, udp(S4, C4, 53, 5353, response(qid, "padded.frag.example", 1)), 0x4243), False)
    return p


def frag6():
    p = Pcap()
    qid = 0x6000

    def exchange(qn, txt, size, order=None, dup=None, dstopts=False):
        nonlocal qid
        qid += 1
        sport = RNG.randrange(1024, 65536)
        p.add(ip6(C6, S6, 17, udp(C6, S6, sport, 53, query(qid, qn, 16, opt_rr()))), True)
        dgram = udp(S6, C6, 53, sport, response(qid, qn, 16, 0, txt, opt_rr()))
        fr = frags6(S6, C6, 17, dgram, RNG.getrandbits(32), size, dstopts)
        if order == "reverse":
            fr.reverse()
        if dup is not None:
            fr.insert(dup + 1, fr[dup])
        for f in fr:
            p.add(f, False)
        return fr

    exchange("inorder.frag6.example", 2500, 1232)
    exchange("small.frag6.example", 300, 48)
    exchange("rev.frag6.example", 1800, 512, "reverse")
    exchange("dup.frag6.example", 1000, 256, dup=1)
    exchange("dstopt.frag6.example", 700, 256, dstopts=True)
    # A response of which only the first of its fragments was captured: it
    # never completes, neither tool shows it (the query is counted).
    qid += 1
    sport = RNG.randrange(1024, 65536)
    qn = "lone.frag6.example"
    p.add(ip6(C6, S6, 17, udp(C6, S6, sport, 53, query(qid, qn, 16, opt_rr()))), True)
    dgram = udp(S6, C6, 53, sport, response(qid, qn, 16, 0, 1500, opt_rr()))
    p.add(frags6(S6, C6, 17, dgram, RNG.getrandbits(32), 1232)[0], False)
    return p


def tcp_capture(client, cport, talk, server="198.51.100.53", handshake=True):
    """One TCP connection: the handshake (unless not captured), what talk(c)
    sends, FIN both ways."""
    p = Pcap()
    c = Conn(p, client, server, cport)
    if handshake:
        c.handshake()
    talk(c)
    c.close()
    return p


def lenseg(c):
    """The client writes each length prefix in a segment of its own."""
    for i in range(5):
        qn, qt = ("lenseg.tcp.example", 1) if i % 2 else (qname("tcp.example"), 28)
        q = query(0x2000 + i, qn, qt)
        c.send(True, struct.pack(">H", len(q)))
        c.send(True, q)
        c.ack(False)
        c.send(False, framed(response(0x2000 + i, qn, qt, 0 if i % 2 else 3)))
        c.ack(True)


def many1seg(c):
    names = ["many%d.tcp.example" % i for i in range(6)]
    qs = [framed(query(0x3000 + i, n, 1)) for i, n in enumerate(names)]
    rs = [framed(response(0x3000 + i, n, 1)) for i, n in enumerate(names)]
    c.send(True, b"".join(qs[:3]))                 # three queries in one segment
    c.send(False, b"".join(rs[:3]))                # three answers in one
    c.ack(True)
    # The next three across segment boundaries: 1.5 messages, then the rest.
    rest = b"".join(qs[3:])
    cut = len(qs[3]) + len(qs[4]) // 2
    c.send(True, rest[:cut])
    c.send(True, rest[cut:])
    rest = b"".join(rs[3:])
    cut = len(rs[3]) + 1                          # the next length prefix cut after 1 byte
    c.send(False, rest[:cut])
    c.send(False, rest[cut:])


def split(c):
    q = framed(query(0x4000, "split.tcp.example", 16, opt_rr()))
    c.send(True, q[:1])                            # length prefix split 1 + 1
    c.send(True, q[1:2])
    c.send(True, q[2:])
    r = framed(response(0x4000, "split.tcp.example", 16, 0, 3000, opt_rr()))
    for off in range(0, len(r), 1000):             # a 3 KB answer in 4 segments
        c.send(False, r[off:off + 1000])
    c.ack(True)
    q = framed(query(0x4001, "split2.tcp.example", 1))
    c.send(True, q[:9])                            # prefix and part of the header
    c.send(True, q[9:])
    c.send(False, framed(response(0x4001, "split2.tcp.example", 1)))


def gap(c):
    for i in range(6):                             # query 2 and answer 4 not captured
        qn = "gap%d.tcp.example" % i
        c.exchange(query(0x5000 + i, qn, 1), response(0x5000 + i, qn, 1), i == 2, i == 4)


def nosyn(c):
    """The capture starts mid-connection: the first segment is a query."""
    for i in range(2):
        qn = "nosyn%d.tcp.example" % i
        c.exchange(query(0x5100 + i, qn, 1), response(0x5100 + i, qn, 1))


def keepalive(c):
    """RFC 7828: an empty option in a query, a timeout (units of 100 ms) in the answer."""
    for i in range(2):
        qn = "keepalive.tcp.example"
        c.exchange(query(0x5200 + i, qn, 1, opt_rr(struct.pack(">HH", 11, 0))),
                   response(0x5200 + i, qn, 1, opt=opt_rr(struct.pack(">HHH", 11, 2, 1200))))
        c.p.t += 5                                 # idle on the kept-alive connection


CAPTURES = (
    ("reasm-frag4", frag4),
    ("reasm-frag6", frag6),
    ("reasm-tcp-lenseg", lambda: tcp_capture("192.0.2.20", 40001, lenseg)),
    ("reasm-tcp-many1seg", lambda: tcp_capture("192.0.2.21", 40002, many1seg)),
    ("reasm-tcp-split", lambda: tcp_capture("192.0.2.22", 40003, split)),
    ("reasm-tcp-gap", lambda: tcp_capture("192.0.2.23", 40004, gap)),
    ("reasm-tcp-nosyn", lambda: tcp_capture("192.0.2.24", 40005, nosyn, handshake=False)),
    ("reasm-tcp-keepalive", lambda: tcp_capture("2001:db8:10::24", 40006, keepalive, server="2001:db8:53::53")),
)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "tests/data"
    for fname, make in CAPTURES:
        make().write(os.path.join(out, fname + ".pcap"))


if __name__ == "__main__":
    main()
