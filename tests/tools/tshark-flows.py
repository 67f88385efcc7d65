#!/usr/bin/env python3
"""tshark's view of a NetFlow v9 / IPFIX / sFlow capture, as flow records:
one line per record, "SRC DST PACKETS BYTES", packets and bytes scaled by
the sampling rate the capture states.  An independent decode to compare
`floodwatch dump --csv` with (tests/integration/dump_exports.sh): every
value comes from tshark's dissection (-T pdml), never from our decoders.

The rules applied to tshark's fields are the documented meaning of the
export forms, not our code:
  - RFC 5103 biflows: fields tshark marks "(Reverse ...)" (enterprise
    29305) are the reverse direction, a record of its own (addresses
    swapped) when its packets or bytes are not zero.
  - PSAMP packet reports (no packet counter, a frame/header section or a
    length): one packet, bytes the sampled IP header's total length (IPv6:
    payload length + 40), else ipTotalLength, else dataLinkFrameSize.
    tshark 4.0 dissects dataLinkFrameSection (315) inline; the
    ipHeaderPacketSection bytes (313) it only shows, so they are written
    to a raw-IP pcap (text2pcap -l 101) and dissected by tshark too.
  - Sampling: samplingPacketInterval/Space (RFC 5477) or samplingInterval
    from options records, by selectorId / exporter; sFlow's sampling_rate.
  - sFlow: a flow sample whose raw header holds IPv4/IPv6 is one record:
    packets = rate, bytes = IP length x rate.  With --samples, sample
    counts by type instead: "flow", "discard" (format 5), "other"
    (another standard format) and "enterprise" (numsamples minus those
    tshark frames: it stops at a vendor sample).

Usage: tshark-flows.py [--samples] [TSHARK-OPTION...] CAPTURE
"""
import os
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET


def decode_as(path):
    """-d options so tshark reads the exporters' ports (captures use any port)
    as NetFlow/IPFIX or sFlow, judged by the payload's version field."""
    out = subprocess.run(["tshark", "-n", "-r", path, "-T", "fields", "-e", "udp.dstport", "-e", "udp.payload"],
                         check=True, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL).stdout.decode()
    opts = {}
    for line in out.splitlines():
        port, _, payload = line.partition("\t")
        port = port.split(",")[0]
        if payload.startswith(("0009", "000a")):
            opts[port] = "cflow"
        elif payload.startswith("00000005"):
            opts[port] = "sflow"
    return [a for p, proto in sorted(opts.items()) for a in ("-d", "udp.port==%s,%s" % (p, proto))]


def tshark_pdml(path, extra=()):
    out = subprocess.run(["tshark", "-n", "-r", path, "-T", "pdml", *extra], check=True,
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL).stdout
    return ET.fromstring(out)


def fields(node):
    """Every named field below node (document order)."""
    return [f for f in node.iter("field") if f.get("name")]


def first(fs, name):
    for f in fs:
        if f.get("name") == name:
            return f.get("show")
    return None


def reverse(f):
    return "(Reverse" in (f.get("showname") or "")


def counter(fs, names, rev):
    for f in fs:
        if f.get("name") in names and reverse(f) == rev:
            return int(f.get("show"))
    return None


def ip_of(fs):
    """Addresses and IP length of the first IP header among fs."""
    for f in fs:
        n = f.get("name")
        if n == "ip.src":
            return first(fs, "ip.src"), first(fs, "ip.dst"), int(first(fs, "ip.len"))
        if n == "ipv6.src":
            return first(fs, "ipv6.src"), first(fs, "ipv6.dst"), int(first(fs, "ipv6.plen")) + 40
    return None


def dissect_raw(hexes):
    """tshark's reading of IP header sections: [(src, dst, len) or None]."""
    if not hexes:
        return []
    with tempfile.TemporaryDirectory() as d:
        txt, pcap = os.path.join(d, "s.txt"), os.path.join(d, "s.pcap")
        with open(txt, "w") as fh:
            for h in hexes:
                b = bytes.fromhex(h)
                fh.write("0000 " + " ".join("%02x" % x for x in b) + "\n")
        subprocess.run(["text2pcap", "-q", "-l", "101", txt, pcap], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        root = tshark_pdml(pcap)
        return [ip_of(fields(p)) for p in root.iter("packet")]


def flow_nodes(proto):
    return [n for n in proto.iter("field") if not n.get("name") and (n.get("show") or "").startswith("Flow ")]


def cflow_records(root):
    rates = {}      # (exporter, domain, selector) -> 1-in-N
    pending = []    # records whose addresses come from a 313 section
    out = []
    for pkt in root.iter("packet"):
        exp = first(fields(pkt), "ip.src")
        for proto in pkt.iter("proto"):
            if proto.get("name") != "cflow":
                continue
            dom = first(fields(proto), "cflow.od_id") or first(fields(proto), "cflow.source_id")
            for fl in flow_nodes(proto):
                fs = fields(fl)
                names = {f.get("name") for f in fs}
                sel = first(fs, "cflow.selector_id") or first(fs, "cflow.sampler_id") or "0"
                own = first(fs, "cflow.sampling_interval") or first(fs, "cflow.sampler_random_interval")
                if {"cflow.sampling_packet_interval", "cflow.sampling_packet_space"} <= names:
                    iv = int(first(fs, "cflow.sampling_packet_interval"))
                    sp = int(first(fs, "cflow.sampling_packet_space"))
                    own = str((iv + sp) // iv) if iv else None   # RFC 5477 systematic count-based
                elif {"cflow.sampling_size", "cflow.sampling_population"} <= names:
                    n = int(first(fs, "cflow.sampling_size"))
                    own = str(int(first(fs, "cflow.sampling_population")) // n) if n else None  # n-out-of-N
                addressed = names & {"cflow.srcaddr", "cflow.srcaddrv6", "cflow.dstaddr", "cflow.dstaddrv6",
                                     "cflow.section_header", "cflow.data_link_frame_section"}
                if not addressed:   # an options record: the rate of its sampler
                    if own and int(own):
                        rates[(exp, dom, sel)] = int(own)
                    continue
                rate = (int(own) if own and int(own) else None) or rates.get((exp, dom, sel)) or \
                    rates.get((exp, dom, "0")) or 1
                src = first(fs, "cflow.srcaddr") or first(fs, "cflow.srcaddrv6")
                dst = first(fs, "cflow.dstaddr") or first(fs, "cflow.dstaddrv6")
                pk = counter(fs, ("cflow.packets", "cflow.permanent_packets", "cflow.packets64"), False)
                by = counter(fs, ("cflow.octets", "cflow.permanent_octets", "cflow.octets64"), False)
                counted = by is not None
                ip = ip_of(fs)
                if src is None and ip is not None:
                    src, dst = ip[0], ip[1]
                report = names & {"cflow.section_header", "cflow.data_link_frame_section",
                                  "cflow.ip_total_length", "cflow.data_link_frame_size"}
                if pk is None and not report:
                    pk = 0
                if pk is None:   # a packet report
                    pk = 1
                    if by is None:
                        size = first(fs, "cflow.ip_total_length") or first(fs, "cflow.data_link_frame_size")
                        by = ip[2] if ip else int(size) if size else 0
                rec = [src, dst, pk * rate, (by or 0) * rate]
                if src is None and "cflow.section_header" in names:
                    f = next(f for f in fs if f.get("name") == "cflow.section_header")
                    pending.append((rec, f.get("value"), counted, rate))
                    out.append(rec)
                    continue
                if src is None:
                    continue
                out.append(rec)
                rp = counter(fs, ("cflow.packets", "cflow.permanent_packets", "cflow.packets64"), True)
                rb = counter(fs, ("cflow.octets", "cflow.permanent_octets", "cflow.octets64"), True)
                if rp or rb:
                    out.append([dst, src, (rp or 0) * rate, (rb or 0) * rate])
    for (rec, _, counted, rate), ip in zip(pending, dissect_raw([p[1] for p in pending])):
        if ip is None:
            rec[0] = None   # not IP: no record
            continue
        rec[0], rec[1] = ip[0], ip[1]
        if not counted:     # the header's length wins over ipTotalLength
            rec[3] = ip[2] * rate
    return [r for r in out if r[0] is not None]


def sflow_records(root):
    out = []
    for pkt in root.iter("packet"):
        for proto in pkt.iter("proto"):
            if proto.get("name") != "sflow":
                continue
            for s in proto.iter("field"):
                if not (s.get("show") or "").startswith(("Flow sample,", "Expanded flow sample,")):
                    continue
                fs = fields(s)
                rate = int(first(fs, "sflow.flow_sample.sampling_rate") or
                           first(fs, "sflow_5.flow_sample.sampling_rate") or 1) or 1
                ip = ip_of(fs)
                if ip:
                    out.append([ip[0], ip[1], rate, ip[2] * rate])
    return out


def sflow_samples(root):
    counts = {"flow": 0, "discard": 0, "other": 0, "enterprise": 0}
    for pkt in root.iter("packet"):
        for proto in pkt.iter("proto"):
            if proto.get("name") != "sflow":
                continue
            fs = [f for f in proto if f.get("name")]
            n = int(first(fs, "sflow_245.numsamples") or 0)
            types = [int(f.get("show")) for f in fields(proto) if f.get("name") == "sflow_245.sampletype"]
            for t in types:
                k = {1: "flow", 3: "flow", 5: "discard"}.get(t, "other")
                counts[k] += 1
            counts["enterprise"] += n - len(types)
    return counts


def main():
    args = sys.argv[1:]
    samples = bool(args) and args[0] == "--samples"
    if samples:
        args = args[1:]
    cap, extra = args[-1], args[:-1]   # extra: tshark options such as -d
    root = tshark_pdml(cap, decode_as(cap) + extra)
    if samples:
        for k, v in sflow_samples(root).items():
            print(k, v)
        return
    for r in cflow_records(root) + sflow_records(root):
        print(*r)


if __name__ == "__main__":
    main()
