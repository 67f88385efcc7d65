#!/bin/sh
# Write tests/data/<capture>.sflow.tsv: what tshark (an independent sFlow
# dissector) says each sFlow datagram of a capture holds.  check_sflow5
# compares the decoder with these files; rerun this after changing a capture.
#
#   tests/data/gen-sflow-expected.sh [CAPTURE.pcap ...]   (default: all below)
#
# Needs tshark (Debian package tshark; made with 4.0.17) and python3 (to walk
# tshark's JSON).  The UDP port of each capture is read from its first packet
# and handed to tshark with -d udp.port==PORT,sflow when it is not 6343.
#
# Rows, tab-separated, in datagram order (frame = 1-based packet number):
#   F frame agent sub_agent dgram_seq sample_seq expanded rate drops
#     in_fmt in_val out_fmt out_val frame_length stripped
#     src dst proto sport dport tcp_flags ttl tos l3_len
#     one per flow sample (format 1 or 3).  src..l3_len are "-" when tshark
#     found no IP packet in the sample.  The transport fields follow the
#     decoder's conventions, computed here from tshark's fields: proto is the
#     outer IP header's (IPv6: after the extension headers), ports only for
#     TCP/UDP/SCTP, ICMP/ICMPv6 as sport = type << 8 | code, dport 0.
#     tcp_flags is "-" for sampled IPv4/IPv6 records: tshark 4.0 shows those
#     flags as 0 whatever the record holds.  ttl is 0 for sampled records
#     (the record has no TTL); tos is "-" for them (tshark shows the IPv4
#     record's ToS only as precedence bits).  l3_len is IPv4 total length, IPv6 payload
#     length + 40, or the sampled record's length.
#   C frame agent sub_agent dgram_seq if_index if_speed in_octets
#     in_ucast in_discards in_errors out_octets out_ucast out_discards out_errors
#     one per generic interface counter record (counter format 1).
set -eu
cd "$(dirname "$0")"
[ $# -gt 0 ] || set -- udpflood_sflow.pcap udpflood_sflow_1in1000.pcap sflow-print-v6.pcap \
	sflow_expanded.pcap sflow_multiple_counter_30_pdus.pcap sflow_print-segv.pcap sflow_synth.pcap

walker=$(mktemp)
trap 'rm -f "$walker"' EXIT
cat > "$walker" <<'EOF'
import json
import sys


class Obj:
    """A JSON object that keeps repeated keys in document order (tshark
    repeats a key for each sample, record or header of the same name)."""

    def __init__(self, pairs):
        self.pairs = pairs

    def get(self, key, default=None):
        for k, v in self.pairs:
            if k == key:
                return v
        return default

    def __getitem__(self, key):
        v = self.get(key, KeyError)
        if v is KeyError:
            raise KeyError(key)
        return v

    def __contains__(self, key):
        return any(k == key for k, _ in self.pairs)

    def keys(self):
        return [k for k, _ in self.pairs]

    def items(self):
        return list(self.pairs)


def first(v):
    return v[0] if isinstance(v, list) else v


def items(d):
    return d.items()


def num(v):
    v = first(v)
    return int(v, 0) if isinstance(v, str) else int(v)


def ip_facts(tree):
    ip = tree.get("ip")
    ip6 = tree.get("ipv6")
    # The outer network header is the first of ip/ipv6 in dissection order.
    order = [k for k in tree.keys() if k in ("ip", "ipv6")]
    if not order:
        return None
    if order[0] == "ip":
        h = first(ip)
        src, dst = h["ip.src"], h["ip.dst"]
        proto = num(h["ip.proto"])
        ttl = num(h["ip.ttl"])
        tos = num(h["ip.dsfield"])
        l3 = num(h["ip.len"])
        v6 = False
    else:
        h = first(ip6)
        src, dst = h["ipv6.src"], h["ipv6.dst"]
        ttl = num(h["ipv6.hlim"])
        tos = num(h["ipv6.tclass"])
        plen = num(h["ipv6.plen"])
        l3 = plen + 40 if plen else 0
        v6 = True
        ext = {}
        for k, key in (("ipv6.hopopts", "ipv6.hopopts.nxt"), ("ipv6.dstopts", "ipv6.dstopts.nxt"),
                       ("ipv6.routing", "ipv6.routing.nxt"), ("ipv6.fraghdr", "ipv6.fraghdr.nxt")):
            if k in h:
                ext.setdefault({"ipv6.hopopts": 0, "ipv6.dstopts": 60, "ipv6.routing": 43,
                                "ipv6.fraghdr": 44}[k], num(first(h[k])[key]))
        ah = h.get("ah", tree.get("ah"))
        if ah is not None:
            ext.setdefault(51, num(first(ah)["ah.next_header"]))
        proto = num(h["ipv6.nxt"])
        for _ in range(8):
            if proto not in ext:
                break
            proto = ext.pop(proto)
    sport = dport = flags = 0
    l4 = {6: "tcp", 17: "udp", 132: "sctp"}.get(proto)
    if l4 and l4 in tree:
        t = first(tree[l4])
        if l4 + ".srcport" in t:
            sport, dport = num(t[l4 + ".srcport"]), num(t[l4 + ".dstport"])
        if l4 == "tcp" and "tcp.flags" in t:
            flags = num(t["tcp.flags"]) & 0xFF
    icmp = "icmpv6" if v6 else "icmp"
    if proto == (58 if v6 else 1) and icmp in tree:
        t = first(tree[icmp])
        sport = num(t[icmp + ".type"]) << 8 | num(t[icmp + ".code"])
    return [src, dst, proto, sport, dport, flags, ttl, tos, l3]


def flow_row(frame, hdr, s, expanded):
    row = ["F", frame] + hdr + [num(s["sflow.flow_sample.sequence_number"]), expanded,
                                num(s["sflow.flow_sample.sampling_rate"]),
                                num(s["sflow.flow_sample.dropped_packets"])]
    if expanded:
        row += [num(s["sflow.flow_sample.input_interface_format"]),
                num(s["sflow.flow_sample.input_interface_value"]),
                num(s["sflow.flow_sample.output_interface.format"]),
                num(s["sflow.flow_sample.output_interface_value"])]
    else:
        raw_in = num(s["sflow.flow_sample.input_interface"])
        raw_out = num(s["sflow.flow_sample.output_interface"])
        row += [raw_in >> 30, raw_in & 0x3FFFFFFF, raw_out >> 30, raw_out & 0x3FFFFFFF]
    facts = None
    frame_len = stripped = 0
    sampled = None
    for k, rec in items(s):
        if not isinstance(rec, Obj):
            continue
        if k == "Raw packet header" and facts is None:
            frame_len = num(rec["sflow_245.header.frame_length"])
            stripped = num(rec["sflow_245.header.payload_stripped"])
            facts = ip_facts(rec.get("sflow_245.header_tree", {}))
        elif k in ("IPv4 data", "IPv6 data") and sampled is None:
            v6 = k == "IPv6 data"
            sampled = [rec["sflow_245.ipv6_src" if v6 else "sflow_245.ipv4_src"],
                       rec["sflow_245.ipv6_dst" if v6 else "sflow_245.ipv4_dst"],
                       num(rec["sflow.ip_protocol"]), num(rec["sflow_245.ip.source_port"]) & 0xFFFF,
                       num(rec["sflow.ip.destination_port"]) & 0xFFFF, "-", 0, "-",
                       num(rec["sflow_245.ip.length"])]
    if facts is None:
        facts = sampled
    row += [frame_len, stripped] + (facts if facts else ["-"] * 9)
    return row


def counter_rows(frame, hdr, s):
    for k, rec in items(s):
        if k != "Generic interface counters" or not isinstance(rec, Obj):
            continue
        g = lambda f: num(rec["sflow_245." + f])
        yield ["C", frame] + hdr + [g("ifindex"), g("ifspeed"), g("ifinoct"), g("ifinpkt"),
                                    g("ifindisc"), g("ifinerr"), g("ifoutoct"), g("ifoutpkt"),
                                    g("ifoutdisc"), g("ifouterr")]


def main():
    pkts = json.load(sys.stdin, object_pairs_hook=Obj)
    print("# F frame agent sub_agent dgram_seq sample_seq expanded rate drops in_fmt in_val out_fmt out_val"
          " frame_length stripped src dst proto sport dport tcp_flags ttl tos l3_len")
    print("# C frame agent sub_agent dgram_seq if_index if_speed in_octets in_ucast in_discards in_errors"
          " out_octets out_ucast out_discards out_errors")
    for p in pkts:
        layers = p["_source"]["layers"]
        frame = num(layers["frame"]["frame.number"])
        sf = layers.get("sflow")
        if not isinstance(sf, Obj) or "sflow_245.numsamples" not in sf:
            continue
        agent = sf.get("sflow_245.agent") or sf.get("sflow_245.agent.v6")
        hdr = [agent, num(sf["sflow_245.sub_agent_id"]), num(sf["sflow_245.sequence_number"])]
        for k, s in items(sf):
            if not isinstance(s, Obj):
                continue
            if k.startswith("Flow sample") or k.startswith("Expanded flow sample"):
                print("\t".join(map(str, flow_row(frame, hdr, s, 1 if k.startswith("Expanded") else 0))))
            elif k.startswith("Counters sample") or k.startswith("Expanded counters sample"):
                for r in counter_rows(frame, hdr, s):
                    print("\t".join(map(str, r)))


main()
EOF

for pcap in "$@"; do
	name=$(basename "$pcap" .pcap)
	port=$(tshark -r "$pcap" -c 1 -T fields -E occurrence=f -e udp.dstport 2>/dev/null)
	# No reassembly: a first fragment's transport header is shown as is.
	dec="-o ip.defragment:FALSE -o ipv6.defragment:FALSE"
	[ "$port" = 6343 ] || dec="$dec -d udp.port==$port,sflow"
	# shellcheck disable=SC2086
	tshark -r "$pcap" $dec -T json 2>/dev/null | python3 "$walker" > "$name.sflow.tsv"
	echo "$name.sflow.tsv: $(grep -c '^F' "$name.sflow.tsv") flow samples," \
	    "$(grep -c '^C' "$name.sflow.tsv") generic counter records"
done
