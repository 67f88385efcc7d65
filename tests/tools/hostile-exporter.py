#!/usr/bin/python3
"""Hostile and legitimate NetFlow v9 / IPFIX exporters for the integration
tests (tests/integration/templates_hostile.sh).  Sends only to loopback.

  legit PORT [--src A] [--domain D] [--seconds S] [--attack-at T] [--victim V]
             [--template first|every|none] [--tid N] [--v9] [--rate DGRAMS_PER_S]
      An exporter with live timestamps: benign records, then from T seconds a
      UDP flood on V.  --template first: the template alone in a first
      datagram, then data only (the hard case for a flooded cache); every:
      the template in every 10th datagram; none: data only (after a restart).
      Prints one JSON line: datagrams, records, attack_start_ms.
  storm PORT --count N --rate R [--src A]
      IPFIX datagrams of the largest size, each all "withdraw all templates"
      records (RFC 7011 s8.1), R per second.
  flood PORT --addrs N --templates K [--domains M] [--net 127.1] [--v9]
      From N loopback addresses (127.1.x.y), M domains each, K templates per
      (address, domain), no data: the template exhaustion attack.
  poison PORT [--src A] [--tid N] [--bad]
      Redefine template N from the legitimate exporter's address (another
      source port: the address is all that identifies an exporter) with its
      fields swapped, or with --bad a definition that must be refused.
  pcap OUT --addrs N --templates K [--seconds S] [--attack-at T]
      The flood from N spoofed addresses (198.18.x.y) and then a
      legitimate exporter (192.0.2.10) as a capture for `floodwatch replay`.
"""
import argparse, ipaddress, json, socket, struct, sys, time

V4_TMPL = [(8, 4), (12, 4), (7, 2), (11, 2), (4, 1), (2, 8), (1, 8), (152, 8), (153, 8)]


def loopback(addr):
    ip = ipaddress.ip_address(addr)
    if not ip.is_loopback:
        sys.exit(f"hostile-exporter: {addr} is not a loopback address")
    return addr


def ipfix_msg(domain, seq, sets, secs=None):
    body = b"".join(sets)
    secs = int(time.time()) if secs is None else secs
    return struct.pack("!HHIII", 10, 16 + len(body), secs, seq, domain) + body


def v9_msg(domain, seq, sets, uptime_ms, secs=None):
    body = b"".join(sets)
    secs = int(time.time()) if secs is None else secs
    return struct.pack("!HHIIII", 9, 0, uptime_ms, secs, seq, domain) + body


def set_(sid, body):
    return struct.pack("!HH", sid, 4 + len(body)) + body


def tmpl_rec(tid, fields):
    return struct.pack("!HH", tid, len(fields)) + b"".join(struct.pack("!HH", t, l) for t, l in fields)


def v4_rec(src, dst, sport, dport, pkts, start_ms, end_ms):
    return (socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack("!HHBQQQQ", sport, dport, 17, pkts,
            pkts * 512, start_ms, end_ms))


class Exporter:
    """A legitimate exporter: template V4_TMPL as `tid`, IPFIX or v9 (v9
    gets the same field numbers: 152/153 are what pmacct sends)."""

    def __init__(self, v9, domain, tid):
        self.v9, self.domain, self.tid, self.seq = v9, domain, tid, 0
        self.boot = time.time()

    def template_set(self, fields=V4_TMPL):
        return set_(0 if self.v9 else 2, tmpl_rec(self.tid, fields))

    def msg(self, sets, nrec, secs=None):
        if self.v9:
            m = v9_msg(self.domain, self.seq, sets, int((time.time() - self.boot) * 1000) + 1000, secs)
            self.seq += 1
        else:
            m = ipfix_msg(self.domain, self.seq, sets, secs)
            self.seq += nrec
        return m


def cmd_legit(a):
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((loopback(a.src), 0))
    ex = Exporter(a.v9, a.domain, a.tid)
    interval = 1.0 / a.rate
    t0 = time.time()
    sent = recs = 0
    attack_ms = None
    if a.template == "first":
        sock.sendto(ex.msg([ex.template_set()], 0), ("127.0.0.1", a.port))
        sent += 1
        time.sleep(0.2)
        t0 = time.time()
    i = 0
    while time.time() - t0 < a.seconds:
        now_ms = int(time.time() * 1000)
        if time.time() - t0 >= a.attack_at:
            attack_ms = attack_ms or now_ms
            rs = [v4_rec("203.0.113.%d" % (1 + (i * 10 + k) % 250), a.victim, 1024 + k, 53, a.pkts,
                         now_ms - int(interval * 1000), now_ms) for k in range(10)]
        else:
            rs = [v4_rec("203.0.113.200", "198.51.100.10", 40000 + k, 443, 5, now_ms - 50, now_ms)
                  for k in range(2)]
        sets = []
        if a.template == "every" and i % 10 == 0:
            sets.append(ex.template_set())
        sets.append(set_(a.tid, b"".join(rs)))
        sock.sendto(ex.msg(sets, len(rs)), ("127.0.0.1", a.port))
        sent += 1
        recs += len(rs)
        i += 1
        time.sleep(max(0.0, t0 + i * interval - time.time()))
    print(json.dumps({"datagrams": sent, "records": recs, "attack_start_ms": attack_ms}))


def cmd_storm(a):
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((loopback(a.src), 0))
    n = (65507 - 16 - 4) // 4          # largest IPv4 UDP payload
    withdraw = set_(2, struct.pack("!HH", 2, 0) * n)
    t0 = time.time()
    for i in range(a.count):
        sock.sendto(ipfix_msg(a.domain, i, [withdraw]), ("127.0.0.1", a.port))
        time.sleep(max(0.0, t0 + (i + 1) / a.rate - time.time()))
    print(json.dumps({"datagrams": a.count, "bytes_each": 16 + len(withdraw), "withdrawals_each": n}))


def flood_templates(k, v9):
    """K distinct templates, 5 fields each, without data."""
    recs = []
    for j in range(k):
        fields = [(8, 4), (12, 4), (2, 4 + (j % 5)), (1, 4), (7 + (j % 2) * 4, 2)]
        recs.append(tmpl_rec(256 + j, fields))
    return set_(0 if v9 else 2, b"".join(recs))


def cmd_flood(a):
    net = [int(x) for x in a.net.split(".")]
    body = flood_templates(a.templates, a.v9)
    sent = 0
    for i in range(a.addrs):
        src = "%d.%d.%d.%d" % (net[0], net[1], 1 + i // 250, 1 + i % 250)
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind((loopback(src), 0))
        for d in range(a.domains):
            m = v9_msg(d, 0, [body], 1000) if a.v9 else ipfix_msg(d, 0, [body])
            s.sendto(m, ("127.0.0.1", a.port))
            sent += 1
        s.close()
        if i % 50 == 49:
            time.sleep(0.01)  # let a 1-worker listener keep up: no kernel drops
    print(json.dumps({"datagrams": sent, "templates": a.addrs * a.domains * a.templates}))


def cmd_poison(a):
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((loopback(a.src), 0))
    ex = Exporter(a.v9, a.domain, a.tid)
    if a.bad:
        fields = [(8, 0)]  # a zero-length record: must be refused
    else:
        fields = V4_TMPL[:]
        fields[0], fields[1] = fields[1], fields[0]  # victim and source swapped
    sock.sendto(ex.msg([ex.template_set(fields)], 0), ("127.0.0.1", a.port))
    print(json.dumps({"datagrams": 1}))


def pcap_frame(src, dst, sport, dport, payload):
    udp = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, 64, 17, 0, socket.inet_aton(src),
                     socket.inet_aton(dst))
    return b"\x02\xfc\x00\x00\x00\x05\x02\xfc\x00\x00\x00\x01\x08\x00" + ip + udp


def cmd_pcap(a):
    t = 1700000000.0
    out = [struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1)]
    nrec = 0

    def add(ts, frame):
        out.append(struct.pack("<IIII", int(ts), int((ts % 1) * 1e6), len(frame), len(frame)) + frame)

    body = flood_templates(a.templates, False)
    for i in range(a.addrs):
        src = "198.18.%d.%d" % (i // 250, 1 + i % 250)
        add(t + i * 0.001, pcap_frame(src, "192.0.2.1", 4739, 4739, ipfix_msg(0, 0, [body], int(t))))
    t += a.addrs * 0.001 + 1
    ex = Exporter(False, 0, 256)
    add(t, pcap_frame("192.0.2.10", "192.0.2.1", 4739, 4739, ex.msg([ex.template_set()], 0, int(t))))
    for i in range(int(a.seconds * 10)):
        ts = t + 0.1 * (i + 1)
        end = int(ts * 1000)
        if i >= a.attack_at * 10:
            rs = [v4_rec("203.0.113.%d" % (1 + (i * 10 + k) % 250), "198.51.100.77", 1024 + k, 53, 300,
                         end - 100, end) for k in range(10)]
        else:
            rs = [v4_rec("203.0.113.200", "198.51.100.10", 40000 + k, 443, 5, end - 50, end) for k in range(2)]
        add(ts, pcap_frame("192.0.2.10", "192.0.2.1", 4739, 4739,
                           ex.msg([set_(256, b"".join(rs))], len(rs), int(ts))))
        nrec += len(rs)
    open(a.out, "wb").write(b"".join(out))
    print(json.dumps({"frames": len(out) - 1, "legit_records": nrec, "attack_start_s": t + a.attack_at}))


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    lg = sub.add_parser("legit")
    lg.add_argument("port", type=int)
    lg.add_argument("--src", default="127.0.0.1")
    lg.add_argument("--domain", type=int, default=0)
    lg.add_argument("--tid", type=int, default=256)
    lg.add_argument("--seconds", type=float, default=10)
    lg.add_argument("--attack-at", type=float, default=3)
    lg.add_argument("--victim", default="198.51.100.77")
    lg.add_argument("--pkts", type=int, default=300)
    lg.add_argument("--rate", type=float, default=10)
    lg.add_argument("--template", choices=["first", "every", "none"], default="every")
    lg.add_argument("--v9", action="store_true")
    st = sub.add_parser("storm")
    st.add_argument("port", type=int)
    st.add_argument("--src", default="127.0.0.2")
    st.add_argument("--domain", type=int, default=0)
    st.add_argument("--count", type=int, default=100)
    st.add_argument("--rate", type=float, default=20)
    fl = sub.add_parser("flood")
    fl.add_argument("port", type=int)
    fl.add_argument("--addrs", type=int, default=2000)
    fl.add_argument("--templates", type=int, default=64)
    fl.add_argument("--domains", type=int, default=1)
    fl.add_argument("--net", default="127.1")
    fl.add_argument("--v9", action="store_true")
    po = sub.add_parser("poison")
    po.add_argument("port", type=int)
    po.add_argument("--src", default="127.0.0.1")
    po.add_argument("--domain", type=int, default=0)
    po.add_argument("--tid", type=int, default=256)
    po.add_argument("--bad", action="store_true")
    po.add_argument("--v9", action="store_true")
    pc = sub.add_parser("pcap")
    pc.add_argument("out")
    pc.add_argument("--addrs", type=int, default=2000)
    pc.add_argument("--templates", type=int, default=64)
    pc.add_argument("--seconds", type=float, default=12)
    pc.add_argument("--attack-at", type=float, default=4)
    a = p.parse_args()
    {"legit": cmd_legit, "storm": cmd_storm, "flood": cmd_flood, "poison": cmd_poison, "pcap": cmd_pcap}[a.cmd](a)


if __name__ == "__main__":
    main()
