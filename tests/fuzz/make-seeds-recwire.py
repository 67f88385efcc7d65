#!/usr/bin/env python3
"""make-seeds-recwire.py - seeds for fuzz_recwire in tests/fuzz/corpus/recwire/,
built with the python protobuf module (Debian python3-protobuf) from
schema/records.proto compiled by protoc (protobuf-compiler) in a temp dir,
so they come from another implementation than the one fuzzed.

    python3 tests/fuzz/make-seeds-recwire.py     (from the project root)
"""
import hashlib, importlib, os, subprocess, sys, tempfile

root = os.path.dirname(os.path.abspath(__file__)) + "/../.."
tmp = tempfile.mkdtemp()
subprocess.check_call(["protoc", "--proto_path=" + root + "/schema", "--python_out=" + tmp, "records.proto"])
sys.path.insert(0, tmp)
pb = importlib.import_module("records_pb2")
out = root + "/tests/fuzz/corpus/recwire"
os.makedirs(out, exist_ok=True)

V4 = bytes([198, 51, 100, 7])
V6 = bytes.fromhex("20010db8000000000000000000000001")


def flow(i, **kw):
    f = pb.Flow(end_ms=1700000000000 + i, duration_ms=1000 * i, pkts=10 + i, bytes=14000 + i,
                src=V4 if i % 2 else V6, dst=bytes([203, 0, 113, i % 256]), exporter=V4,
                sampling=512, sport=53, dport=1024 + i, proto=17, ttl=60, source=1 + i % 4)
    for k, v in kw.items():
        setattr(f, k, v)
    return f


def dns(i, qname=b"www.example.com", **kw):
    q = pb.DnsQuery(time_ms=1700000000000 + i, client=V6 if i % 2 else V4, server=V4, qtype=1,
                    rcode=255, flags=i % 8, source=1 + i % 4, qname=qname)
    for k, v in kw.items():
        setattr(q, k, v)
    return q


def batch(flows=(), dnss=(), records=None, version=1, seq=1, wm=1700000000000):
    # Header first, records, then the count last: as recwire.c writes it.
    h = pb.Batch(version=version, collector="seed", watermark_ms=wm, seq=seq).SerializeToString()
    body = pb.Batch(flows=list(flows), dns=list(dnss)).SerializeToString()
    n = len(flows) + len(dnss) if records is None else records
    return h + body + pb.Batch(records=n).SerializeToString()


good = batch([flow(i) for i in range(5)], [dns(i) for i in range(4)] + [dns(9, b"\\032a\\(b\\).example.org")])
seeds = {
    "good": good,
    "watermark": batch(wm=-(2 ** 63)),
    "v6only": batch([flow(1, src=V6, dst=V6, exporter=V6)], [dns(1, client=V6, server=V6)]),
    "truncated": good[:len(good) // 2],
    "no-count": good[:-2],
    "version2": batch([flow(0)], version=2),
    "too-many": batch([flow(i) for i in range(70)]),
    "count-lies": batch([flow(0), flow(1)], records=1),
    "addr5": batch([flow(0, src=b"12345")]),
    "qname-upper": batch([], [dns(0, b"WWW.example.com")]),
    "qname-empty": batch([], [dns(0, b"")]),
    "port-big": batch([flow(0, sport=70000)]),
    "seq0": batch([flow(0)], seq=0),
}
for name, data in seeds.items():
    path = os.path.join(out, hashlib.sha1(data).hexdigest())
    with open(path, "wb") as f:
        f.write(data)
    print(name, path)
