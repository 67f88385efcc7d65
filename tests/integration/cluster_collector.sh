# Collector role (cluster.role = collector, README "Scaling out") against
# librdkafka's mock cluster (3 brokers, records topic of 12 partitions), read
# back by independent clients: python3-kafka for the messages and
# python3-protobuf with schema/records.proto compiled by protoc here.
#  1. replay of flow and DNS captures: every record on the topic (as many as
#     `floodwatch dump --summary` counts), each /24 victim and each DNS zone in
#     one partition, seq 1, 2, ... per partition, watermarks on all 12, the
#     final watermark last and ahead of every record.
#  2. a live `run` collector fed over loopback by sendpcap publishes too, and
#     shows its counters in the log summary and /metrics.
. tests/integration/lib.sh
MOCK=build/o/tools/kafka_mock
SEND=build/o/tools/sendpcap
CAPS="tests/data/udpflood_nf5.pcap tests/data/udpflood_ipfix.pcap tests/data/udpflood_sflow.pcap
tests/data/water-torture-packets.pcap tests/data/dns_udp.pcap"

rm -f "$TMP/boot"
"$MOCK" -b 3 -t floodwatch.records:12 -f "$TMP/boot" > /dev/null 2> "$TMP/mock.log" &
MOCK_PID=$!
trap 'kill "$MOCK_PID" 2>/dev/null || true; wait "$MOCK_PID" 2>/dev/null || true; cleanup' EXIT
wait_for "$TMP/boot" ":"
BOOT=$(cat "$TMP/boot")
protoc --proto_path=schema --python_out="$TMP" records.proto

# read NAME: every message of the records topic as JSON lines (partition, offset, key, batch).
read_topic() {
	python3 - "$BOOT" "$TMP" > "$TMP/$1.jsonl" <<'PY'
import json, sys
sys.path.insert(0, sys.argv[2])
import records_pb2
from kafka import KafkaConsumer, TopicPartition
c = KafkaConsumer(bootstrap_servers=sys.argv[1], auto_offset_reset="earliest", consumer_timeout_ms=4000,
                  api_version=(2, 0, 0), enable_auto_commit=False)
parts = [TopicPartition("floodwatch.records", p) for p in range(12)]
c.assign(parts)
c.seek_to_beginning(*parts)
for m in c:
    b = records_pb2.Batch()
    b.ParseFromString(m.value)
    print(json.dumps({"p": m.partition, "off": m.offset, "key": m.key.decode(), "version": b.version,
        "collector": b.collector, "seq": b.seq, "wm": b.watermark_ms, "count": b.records,
        "has_count": b.HasField("records"),
        "flows": [{"dst": f.dst.hex(), "src": f.src.hex(), "end": f.end_ms, "pkts": f.pkts} for f in b.flows],
        "dns": [{"q": d.qname.decode(), "t": d.time_ms} for d in b.dns]}))
PY
}

# 1. Replay.
"$FW" dump --summary $CAPS > "$TMP/summary.txt" 2>&1
WANT=$(sed -n 's/^format_total=.* records=\([0-9]*\).*/\1/p' "$TMP/summary.txt" | awk '{s += $1} END {print s}')
echo "dump --summary: $WANT records"
"$FW" replay --set cluster.role=collector --set kafka.brokers="$BOOT" --set cluster.member_name=replay-a \
	--set sqlite.path="$TMP/a.db" $CAPS > "$TMP/replay.out" 2>&1 || { cat "$TMP/replay.out"; fail "replay failed"; }
grep -E "^publish:|summary: publish" "$TMP/replay.out"
check "replay publishes every record, none dropped" \
	grep -q "^publish: $WANT records taken, $WANT published in [0-9]* batches, [0-9]* watermarks, 0 publish errors, 0 records dropped, 12 partitions" "$TMP/replay.out"
check "the collector has no detector: no alert written" sh -c "! grep -q '^alerts:' '$TMP/replay.out'"
read_topic replay
check "the topic holds every record, partitioned by the detector key, with watermarks" \
	python3 - "$TMP/replay.jsonl" "$WANT" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
want = int(sys.argv[2])
nrec = sum(len(r["flows"]) + len(r["dns"]) for r in rows)
assert nrec == want, f"{nrec} records on the topic, dump counts {want}"
part_of_24, part_of_name = {}, {}
newest = max([f["end"] for r in rows for f in r["flows"]] + [d["t"] for r in rows for d in r["dns"]])
for r in rows:
    assert r["version"] == 1 and r["collector"] == "replay-a" and r["key"] == str(r["p"]), r["key"]
    assert r["has_count"] and r["count"] == len(r["flows"]) + len(r["dns"])
    for f in r["flows"]:
        dst = bytes.fromhex(f["dst"])
        pfx = dst[:3] if len(dst) == 4 else dst[:8]   # auto_prefix_v4 24, v6 64
        assert part_of_24.setdefault(pfx, r["p"]) == r["p"], f"victim prefix {pfx.hex()} in two partitions"
    for d in r["dns"]:
        zone = ".".join(d["q"].split(".")[-2:])  # the captures' zones: example.com and the like
        assert part_of_name.setdefault(zone, r["p"]) == r["p"], f"zone {zone} in two partitions"
by_p = {}
for r in sorted(rows, key=lambda r: (r["p"], r["off"])):
    by_p.setdefault(r["p"], []).append(r)
assert sorted(by_p) == list(range(12)), f"partitions with messages: {sorted(by_p)}"
finals = set()
for p, ms in by_p.items():
    assert [m["seq"] for m in ms] == list(range(1, len(ms) + 1)), f"partition {p}: seq {[m['seq'] for m in ms]}"
    assert any(m["count"] == 0 for m in ms), f"partition {p}: no watermark"
    last = ms[-1]
    assert last["count"] == 0, f"partition {p}: last message holds records"
    assert last["wm"] == max(m["wm"] for m in ms), f"partition {p}: final watermark not the newest"
    assert last["wm"] > newest, f"partition {p}: final watermark {last['wm']} not past the newest record {newest}"
    finals.add(last["wm"])
assert len(finals) == 1, finals
print(f"{nrec} records in {len(rows)} messages, {len(part_of_24)} victim prefixes and {len(part_of_name)} "
      f"DNS zones each in one partition; final watermark {finals.pop()} (newest record {newest}) on all 12")
PY

# 2. A live collector: NetFlow v5 over loopback.
"$FW" run --set cluster.role=collector --set kafka.brokers="$BOOT" --set cluster.member_name=live-b \
	--set sqlite.path="$TMP/b.db" --set listen.netflow=127.0.0.1:0 --set listen.ipfix= --set listen.sflow= \
	--set cluster.linger_ms=5 > "$TMP/run.log" 2>&1 &
DAEMON_PID=$!
wait_for "$TMP/run.log" "ready;"
PORT=$(sed -n 's/.*listening: netflow 127.0.0.1:0 (port \([0-9]*\)).*/\1/p' "$TMP/run.log")
HTTP=$(sed -n 's/.*http: API and \/metrics at \(http:[^ ]*\).*/\1/p' "$TMP/run.log")
"$SEND" -W -r 2000 "$PORT" tests/data/udpflood_nf5.pcap
i=0
until curl -sf "${HTTP%/}/metrics" > "$TMP/metrics.txt" && grep -q '^floodwatch_publish_records_published_total 4200' "$TMP/metrics.txt"; do
	i=$((i + 1)); [ $i -lt 100 ] || { grep publish "$TMP/metrics.txt" || true; fail "the live collector did not publish 4200 records"; }
	sleep 0.1
done
echo "ok - /metrics: 4200 records published"
check "/metrics shows the watermarks and the partition count" \
	sh -c "grep -q '^floodwatch_publish_watermarks_total [1-9]' '$TMP/metrics.txt' && grep -q '^floodwatch_publish_partitions 12' '$TMP/metrics.txt'"
kill -TERM "$DAEMON_PID"
wait "$DAEMON_PID" || fail "run exited non-zero"
DAEMON_PID=
grep "summary: publish" "$TMP/run.log"
check "the run log summary counts the published records" \
	grep -q "summary: publish records_taken=4200 records_published=4200 .* records_dropped=0 partitions=12" "$TMP/run.log"
read_topic live
check "the live collector's batches are on the topic" python3 - "$TMP/live.jsonl" <<'PY'
import json, sys, time
rows = [json.loads(l) for l in open(sys.argv[1]) if json.loads(l)["collector"] == "live-b"]
n = sum(len(r["flows"]) for r in rows)
assert n == 4200, n
now = time.time() * 1000
wms = [r["wm"] for r in rows]
assert all(abs(now - w) < 120000 for w in wms), "a live watermark is the wall clock"
print(f"live-b: {n} records in {len(rows)} messages")
PY
