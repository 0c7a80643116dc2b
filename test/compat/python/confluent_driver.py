"""The scenarios with confluent-kafka (Python binding of librdkafka)."""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from compat_common import (TAKEOVER_S, ABORTED, COMMITTED, COMPRESSIBLE, KEYED, base_timestamp, check, check_equal,  # noqa: E402
                           check_keyed, covers_once, run_driver, wait_for)
from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaException, Producer, TopicPartition  # noqa: E402
from confluent_kafka.admin import AdminClient, ConfigResource, NewTopic  # noqa: E402


def admin(b):
    return AdminClient({"bootstrap.servers": b})


def create_topic(b, topic, partitions, config=None):
    a = admin(b)  # must outlive its futures
    for f in a.create_topics([NewTopic(topic, num_partitions=partitions, replication_factor=1, config=config or {})],
                                    operation_timeout=10).values():
        f.result(timeout=15)


def produce(b, topic, records, **conf):
    """records: list of dicts with value and optional key, headers, timestamp."""
    p = Producer({"bootstrap.servers": b, "linger.ms": 20, **conf})
    errors = []

    def on_delivery(err, _msg):
        if err is not None:
            errors.append(err)

    for r in records:
        p.produce(r["topic"] if "topic" in r else topic, on_delivery=on_delivery,
                  **{k: v for k, v in r.items() if k != "topic"})
    remaining = p.flush(15)
    check(not errors, f"delivery failed: {errors[:1]}")
    check_equal(remaining, 0, "messages still queued after flush")


def read_all(b, topic, partitions, until, isolation="read_uncommitted", timeout_s=15):
    c = Consumer({"bootstrap.servers": b, "group.id": f"read-{topic}", "enable.auto.commit": False,
                  "isolation.level": isolation})
    c.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in range(partitions)])
    out = []
    deadline = time.time() + timeout_s
    try:
        while not until(out):
            check(time.time() < deadline, f"timed out reading {topic} (have {len(out)})")
            m = c.poll(0.2)
            if m is None:
                continue
            if m.error() is not None:
                raise KafkaException(m.error())
            headers = {k: v.decode() for k, v in (m.headers() or [])}
            out.append((m.partition(), m.offset(), m.key().decode() if m.key() else None,
                        m.value().decode() if m.value() is not None else None, headers))
    finally:
        c.close()
    return out


def metadata_admin(b):
    a = admin(b)
    create_topic(b, "admin-t", 3)
    md = a.list_topics(timeout=5)
    check("admin-t" in md.topics, "metadata lists admin-t")
    parts = md.topics["admin-t"].partitions
    check_equal(len(parts), 3, "partitions of admin-t")
    check(all(p.leader >= 0 for p in parts.values()), "every partition has a leader")
    for f in a.delete_topics(["admin-t"], operation_timeout=10).values():
        f.result(timeout=15)
    wait_for("admin-t to disappear", lambda: "admin-t" not in a.list_topics(timeout=5).topics, 10)


def produce_consume(b):
    create_topic(b, "pc", 3)
    produce(b, "pc", [{"key": k, "value": v, "headers": [("h", h.encode())]} for k, v, h in KEYED])
    check_keyed(read_all(b, "pc", 3, lambda rs: len(rs) >= len(KEYED)))


def compression(codec):
    def scenario(b):
        topic = f"comp-{codec}"
        create_topic(b, topic, 1)
        produce(b, topic, [{"value": v} for v in COMPRESSIBLE], **{"compression.type": codec})
        got = read_all(b, topic, 1, lambda rs: len(rs) >= len(COMPRESSIBLE))
        check_equal([r[3] for r in got], COMPRESSIBLE, "values read back")
    return scenario


def consumer_group(b):
    create_topic(b, "grp", 6)
    members = []
    for _ in range(3):
        m = {"assigned": []}
        c = Consumer({"bootstrap.servers": b, "group.id": "g-grp", "session.timeout.ms": 6000,
                      "heartbeat.interval.ms": 300, "auto.offset.reset": "earliest"})

        def on_assign(_c, parts, m=m):
            m["assigned"] = sorted(p.partition for p in parts)

        def on_revoke(_c, _parts, m=m):
            m["assigned"] = []

        c.subscribe(["grp"], on_assign=on_assign, on_revoke=on_revoke)
        m["consumer"] = c
        members.append(m)

    def step():
        for m in members:
            m["consumer"].poll(0.05)

    wait_for("three members covering 6 partitions once", lambda: covers_once([m["assigned"] for m in members]), step=step)
    leaver = members.pop(0)
    leaver["consumer"].close()
    wait_for("two members covering 6 partitions once, within the leaver's session timeout (so by LeaveGroup)",
             lambda: covers_once([m["assigned"] for m in members]), TAKEOVER_S, step=step)
    for m in members:
        m["consumer"].close()


def commit_resume(b):
    create_topic(b, "cr", 1)
    produce(b, "cr", [{"value": f"m{i}"} for i in range(10)])
    conf = {"bootstrap.servers": b, "group.id": "g-cr", "enable.auto.commit": False, "auto.offset.reset": "earliest",
            "session.timeout.ms": 6000}
    c = Consumer(conf)
    c.subscribe(["cr"])
    seen = []
    wait_for("10 records", lambda: len(seen) >= 10, step=lambda: (lambda m: seen.append(m) if m is not None and m.error() is None else None)(c.poll(0.1)))
    c.commit(offsets=[TopicPartition("cr", 0, 5)], asynchronous=False)
    c.close()
    c2 = Consumer(conf)
    c2.subscribe(["cr"])
    got = []
    wait_for("the resumed member to read", lambda: len(got) >= 1, step=lambda: (lambda m: got.append(m.offset()) if m is not None and m.error() is None else None)(c2.poll(0.1)))
    c2.close()
    check_equal(got[0], 5, "first offset after resume")


def idempotent_produce(b):
    create_topic(b, "idem", 1)
    values = [f"i{i}" for i in range(10)]
    produce(b, "idem", [{"value": v} for v in values], **{"enable.idempotence": True})
    check_equal([r[3] for r in read_all(b, "idem", 1, lambda rs: len(rs) >= 10)], values, "values read back")


def transactions(b):
    create_topic(b, "txn", 1)
    p = Producer({"bootstrap.servers": b, "transactional.id": "tx-confluent-python"})
    p.init_transactions(10)
    for values, commit in ((COMMITTED[:5], True), (ABORTED, False), (COMMITTED[5:], True)):
        p.begin_transaction()
        for v in values:
            p.produce("txn", value=v)
        if commit:
            p.commit_transaction(10)
        else:
            p.flush(10)
            p.abort_transaction(10)
    got = read_all(b, "txn", 1, lambda rs: any(r[3] == "c5" for r in rs), isolation="read_committed")
    check_equal([r[3] for r in got], COMMITTED, "read_committed values")


def list_offsets_time(b):
    create_topic(b, "lot", 1)
    t = base_timestamp()
    produce(b, "lot", [{"value": f"t{i}", "timestamp": t + i * 10_000} for i in range(3)])
    c = Consumer({"bootstrap.servers": b, "group.id": "lot-reader"})
    try:
        for ts, expected in ((t - 1000, 0), (t + 5000, 1), (t + 15000, 2)):
            [tp] = c.offsets_for_times([TopicPartition("lot", 0, ts)], timeout=5)
            check(tp.error is None, f"offsets_for_times error {tp.error}")
            check_equal(tp.offset, expected, f"offset for timestamp T{ts - t:+d}ms")
    finally:
        c.close()


def configs(b):
    create_topic(b, "cfg", 1, {"retention.ms": "3600000"})
    a = admin(b)

    def describe():
        [f] = a.describe_configs([ConfigResource("topic", "cfg")], request_timeout=10).values()
        return f.result(timeout=15)["retention.ms"].value

    check_equal(describe(), "3600000", "retention.ms after create")
    [f] = a.alter_configs([ConfigResource("topic", "cfg", set_config={"retention.ms": "7200000"})],
                          request_timeout=10).values()
    f.result(timeout=15)
    check_equal(describe(), "7200000", "retention.ms after alter")


run_driver({
    "metadata-admin": metadata_admin,
    "produce-consume": produce_consume,
    "compression-gzip": compression("gzip"),
    "compression-snappy": compression("snappy"),
    "compression-lz4": compression("lz4"),
    "compression-zstd": compression("zstd"),
    "consumer-group": consumer_group,
    "commit-resume": commit_resume,
    "idempotent-produce": idempotent_produce,
    "transactions": transactions,
    "list-offsets-time": list_offsets_time,
    "configs": configs,
})
