"""The scenarios with kafka-python (pure Python)."""
import logging
import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from compat_common import (TAKEOVER_S, COMPRESSIBLE, KEYED, base_timestamp, check, check_equal, check_keyed,  # noqa: E402
                           covers_once, run_driver, wait_for)
from kafka import ConsumerRebalanceListener, KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition  # noqa: E402
from kafka.admin import ConfigResource, ConfigResourceType, NewTopic  # noqa: E402
from kafka.structs import OffsetAndMetadata  # noqa: E402

logging.basicConfig(level=logging.CRITICAL)


def admin(b):
    return KafkaAdminClient(bootstrap_servers=b, request_timeout_ms=10000)


def create_topic(b, topic, partitions, config=None):
    a = admin(b)
    try:
        r = a.create_topics([NewTopic(topic, partitions, 1, topic_configs=config or {})], timeout_ms=10000)
        for t in r.topic_errors:
            check_equal(t[1], 0, f"CreateTopics error code for {t[0]} ({t[2] if len(t) > 2 else ''})")
    finally:
        a.close()


def produce(b, topic, records, **conf):
    p = KafkaProducer(bootstrap_servers=b, linger_ms=20, **conf)
    futures = [p.send(topic, **r) for r in records]
    p.flush(15)
    for f in futures:
        f.get(timeout=15)
    p.close(5)


def read_all(b, topic, partitions, until, timeout_s=15):
    c = KafkaConsumer(bootstrap_servers=b, enable_auto_commit=False, auto_offset_reset="earliest")
    c.assign([TopicPartition(topic, p) for p in range(partitions)])
    c.seek_to_beginning()
    out = []
    deadline = time.time() + timeout_s
    try:
        while not until(out):
            check(time.time() < deadline, f"timed out reading {topic} (have {len(out)})")
            for tp, msgs in c.poll(timeout_ms=200).items():
                for m in msgs:
                    headers = {k: v.decode() for k, v in (m.headers or [])}
                    out.append((tp.partition, m.offset, m.key.decode() if m.key else None,
                                m.value.decode() if m.value is not None else None, headers))
    finally:
        c.close()
    return out


def metadata_admin(b):
    create_topic(b, "admin-t", 3)
    a = admin(b)
    try:
        check("admin-t" in a.list_topics(), "list_topics includes admin-t")
        [t] = a.describe_topics(["admin-t"])
        check_equal(t["error_code"], 0, "metadata error code")
        check_equal(len(t["partitions"]), 3, "partitions of admin-t")
        check(all(p["leader"] >= 0 for p in t["partitions"]), "every partition has a leader")
        r = a.delete_topics(["admin-t"], timeout_ms=10000)
        for name, code in r.topic_error_codes:
            check_equal(code, 0, f"DeleteTopics error code for {name}")
        wait_for("admin-t to disappear", lambda: "admin-t" not in a.list_topics(), 10)
    finally:
        a.close()


def produce_consume(b):
    create_topic(b, "pc", 3)
    produce(b, "pc", [{"key": k.encode(), "value": v.encode(), "headers": [("h", h.encode())]} for k, v, h in KEYED])
    check_keyed(read_all(b, "pc", 3, lambda rs: len(rs) >= len(KEYED)))


def compression(codec):
    def scenario(b):
        topic = f"comp-{codec}"
        create_topic(b, topic, 1)
        produce(b, topic, [{"value": v.encode()} for v in COMPRESSIBLE], compression_type=codec)
        got = read_all(b, topic, 1, lambda rs: len(rs) >= len(COMPRESSIBLE))
        check_equal([r[3] for r in got], COMPRESSIBLE, "values read back")
    return scenario


class Tracker(ConsumerRebalanceListener):
    def __init__(self):
        self.assigned = []

    def on_partitions_revoked(self, revoked):
        self.assigned = []

    def on_partitions_assigned(self, assigned):
        self.assigned = sorted(tp.partition for tp in assigned)


def group_consumer(b, group, **extra):
    return KafkaConsumer(bootstrap_servers=b, group_id=group, session_timeout_ms=6000, heartbeat_interval_ms=300,
                         auto_offset_reset="earliest", **extra)


def consumer_group(b):
    create_topic(b, "grp", 6)

    # kafka-python's poll() blocks inside a rebalance until its JoinGroup
    # returns, so each member needs its own thread (as in an application).
    class Member(threading.Thread):
        def __init__(self):
            super().__init__(daemon=True)
            self.tracker = Tracker()
            self.stop = False

        def run(self):
            c = group_consumer(b, "g-grp", max_poll_interval_ms=10000)
            c.subscribe(["grp"], listener=self.tracker)
            while not self.stop:
                c.poll(timeout_ms=50)
            c.close()

    members = [Member() for _ in range(3)]
    for m in members:
        m.start()
    wait_for("three members covering 6 partitions once", lambda: covers_once([m.tracker.assigned for m in members]))
    leaver = members.pop(0)
    leaver.stop = True
    leaver.join(10)
    wait_for("two members covering 6 partitions once, within the leaver's session timeout (so by LeaveGroup)",
             lambda: covers_once([m.tracker.assigned for m in members]), TAKEOVER_S)
    for m in members:
        m.stop = True


def commit_resume(b):
    create_topic(b, "cr", 1)
    produce(b, "cr", [{"value": f"m{i}".encode()} for i in range(10)])
    c = group_consumer(b, "g-cr", enable_auto_commit=False)
    c.subscribe(["cr"])
    seen = []
    wait_for("10 records", lambda: len(seen) >= 10,
             step=lambda: [seen.extend(ms) for ms in c.poll(timeout_ms=100).values()])
    c.commit({TopicPartition("cr", 0): OffsetAndMetadata(5, None)})
    c.close()
    c2 = group_consumer(b, "g-cr", enable_auto_commit=False)
    c2.subscribe(["cr"])
    got = []
    wait_for("the resumed member to read", lambda: len(got) >= 1,
             step=lambda: [got.extend(m.offset for m in ms) for ms in c2.poll(timeout_ms=100).values()])
    c2.close()
    check_equal(got[0], 5, "first offset after resume")


def list_offsets_time(b):
    create_topic(b, "lot", 1)
    t = base_timestamp()
    produce(b, "lot", [{"value": f"t{i}".encode(), "timestamp_ms": t + i * 10_000} for i in range(3)])
    c = KafkaConsumer(bootstrap_servers=b)
    try:
        tp = TopicPartition("lot", 0)
        for ts, expected in ((t - 1000, 0), (t + 5000, 1), (t + 15000, 2)):
            found = c.offsets_for_times({tp: ts})[tp]
            check(found is not None, f"no offset for timestamp T{ts - t:+d}ms")
            check_equal(found.offset, expected, f"offset for timestamp T{ts - t:+d}ms")
    finally:
        c.close()


def configs(b):
    create_topic(b, "cfg", 1, {"retention.ms": "3600000"})
    a = admin(b)

    def describe():
        [r] = a.describe_configs([ConfigResource(ConfigResourceType.TOPIC, "cfg")])
        [res] = r.resources
        check_equal(res[0], 0, f"DescribeConfigs error code ({res[1]})")
        return {e[0]: e[1] for e in res[4]}.get("retention.ms")

    try:
        check_equal(describe(), "3600000", "retention.ms after create")
        r = a.alter_configs([ConfigResource(ConfigResourceType.TOPIC, "cfg", configs={"retention.ms": "7200000"})])
        for res in r.resources:
            check_equal(res[0], 0, f"AlterConfigs error code ({res[1]})")
        check_equal(describe(), "7200000", "retention.ms after alter")
    finally:
        a.close()


run_driver({
    "metadata-admin": metadata_admin,
    "produce-consume": produce_consume,
    "compression-gzip": compression("gzip"),
    "compression-snappy": compression("snappy"),
    "compression-lz4": compression("lz4"),
    "compression-zstd": compression("zstd"),
    "consumer-group": consumer_group,
    "commit-resume": commit_resume,
    "list-offsets-time": list_offsets_time,
    "configs": configs,
})
