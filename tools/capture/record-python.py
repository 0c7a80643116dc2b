#!/usr/bin/python3
"""Records the requests the Python Kafka clients send into test/fixtures/golden/.

    /usr/bin/python3 tools/capture/record-python.py confluent-kafka
    /usr/bin/python3 tools/capture/record-python.py kafka-python

Uses Debian's packages (apt-get install python3-confluent-kafka python3-kafka),
which is why it names /usr/bin/python3 rather than whatever python3 is first
on PATH. Needs a built tree (npx tsc -p .); run from anywhere.

Each step uses its own client id, golden.<scenario>; the golden test reads
the scenario back to know what the bytes should say (for a produce step, the
compression codec is the last word of the scenario).
"""
import os
import subprocess
import sys
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
TOPIC = "golden"


def start_server(client, version):
    out = os.path.join(ROOT, "test", "fixtures", "golden", client)
    proc = subprocess.Popen(
        ["node", "dist/tools/capture/capture-server.js", "--client", client, "--out", out, "--client-version", version],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    line = proc.stdout.readline().strip()
    if not line.startswith("listening "):
        proc.kill()
        raise SystemExit(f"capture server did not start: {line!r}")
    return proc, line[len("listening "):]


def stop_server(proc):
    proc.terminate()
    proc.wait(timeout=10)


# Both clients send a batch uncompressed when compressing does not make it
# smaller, so the values are long and repetitive enough to shrink.
PAD = " ".join(["golden"] * 30)


def messages(tag, count):
    return [(f"k{i + 1}".encode(), f"{tag} message {i + 1} {PAD}".encode()) for i in range(count)]


def record_confluent(broker):
    from confluent_kafka import Consumer, Producer
    from confluent_kafka.admin import AdminClient, ConfigResource, NewTopic

    base = {"bootstrap.servers": broker, "topic.metadata.refresh.interval.ms": 600000}

    admin = AdminClient({**base, "client.id": "golden.admin"})
    for future in admin.create_topics(
        [NewTopic("golden-admin", num_partitions=2, replication_factor=1, config={"retention.ms": "3600000"})],
        operation_timeout=5,
    ).values():
        future.result()
    admin.list_topics(timeout=5)
    for future in admin.describe_configs([ConfigResource("topic", TOPIC)]).values():
        future.result()
    admin.list_groups(timeout=5)
    for future in admin.delete_topics(["golden-admin"], operation_timeout=5).values():
        future.result()

    produced = 0
    for codec in ["none", "gzip", "snappy", "lz4", "zstd"]:
        producer = Producer({**base, "client.id": f"golden.produce-{codec}", "compression.type": codec, "linger.ms": 50})
        for key, value in messages(codec, 3):
            producer.produce(TOPIC, value=value, key=key, headers=[("trace", b"golden")])
            produced += 1
        assert producer.flush(10) == 0

    producer = Producer(
        {**base, "client.id": "golden.produce-idempotent-lz4", "compression.type": "lz4", "enable.idempotence": True, "linger.ms": 50}
    )
    for key, value in messages("idempotent", 2):
        producer.produce(TOPIC, value=value, key=key, partition=0)
        produced += 1
    assert producer.flush(10) == 0

    producer = Producer(
        {
            **base,
            "client.id": "golden.produce-transactional-snappy",
            "compression.type": "snappy",
            "transactional.id": "golden-confluent-txn",
            "linger.ms": 50,
        }
    )
    producer.init_transactions(10)
    producer.begin_transaction()
    for key, value in messages("transactional", 2):
        producer.produce(TOPIC, value=value, key=key, partition=1)
        produced += 1
    producer.commit_transaction(10)

    consumer = Consumer(
        {
            **base,
            "client.id": "golden.group",
            "group.id": "golden-confluent",
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
            "fetch.wait.max.ms": 200,
        }
    )
    consumer.subscribe([TOPIC])
    consumed = 0
    deadline = time.monotonic() + 30
    while consumed < produced and time.monotonic() < deadline:
        msg = consumer.poll(0.5)
        if msg is not None and msg.error() is None:
            consumed += 1
    consumer.commit(asynchronous=False)
    consumer.close()
    print(f"confluent-kafka: produced {produced}, consumed {consumed}", file=sys.stderr)
    if consumed != produced:
        raise SystemExit("not every record came back")


def record_kafka_python(broker):
    from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer
    from kafka.admin import ConfigResource, ConfigResourceType, NewTopic

    admin = KafkaAdminClient(bootstrap_servers=broker, client_id="golden.admin")
    admin.create_topics([NewTopic("golden-admin", 2, 1, topic_configs={"retention.ms": "3600000"})])
    admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, TOPIC)])
    admin.list_consumer_groups()
    admin.delete_topics(["golden-admin"])
    admin.close()

    produced = 0
    # kafka-python compresses with gzip by itself; snappy, lz4 and zstd need
    # extra modules that these recordings do not install.
    for codec, acks in [("none", 1), ("gzip", "all"), ("none", 0)]:
        scenario = f"produce-acks0-{codec}" if acks == 0 else f"produce-{codec}"
        producer = KafkaProducer(
            bootstrap_servers=broker,
            client_id=f"golden.{scenario}",
            compression_type=None if codec == "none" else codec,
            acks=acks,
            linger_ms=50,
        )
        for key, value in messages(scenario, 3):
            producer.send(TOPIC, value=value, key=key, headers=[("trace", b"golden")])
            produced += 1
        producer.flush(10)
        producer.close(10)

    consumer = KafkaConsumer(
        TOPIC,
        bootstrap_servers=broker,
        client_id="golden.group",
        group_id="golden-kafka-python",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        fetch_max_wait_ms=200,
    )
    consumed = 0
    deadline = time.monotonic() + 30
    while consumed < produced and time.monotonic() < deadline:
        for records in consumer.poll(timeout_ms=500).values():
            consumed += len(records)
    consumer.commit()
    consumer.close()
    print(f"kafka-python: produced {produced}, consumed {consumed}", file=sys.stderr)
    if consumed != produced:
        raise SystemExit("not every record came back")


def main():
    client = sys.argv[1] if len(sys.argv) > 1 else ""
    if client == "confluent-kafka":
        import confluent_kafka

        version = f"confluent-kafka {confluent_kafka.version()[0]}, librdkafka {confluent_kafka.libversion()[0]}"
        record = record_confluent
    elif client == "kafka-python":
        import kafka

        version = f"kafka-python {kafka.__version__}"
        record = record_kafka_python
    else:
        raise SystemExit("usage: record-python.py confluent-kafka|kafka-python")
    proc, broker = start_server(client, version)
    try:
        record(broker)
    finally:
        stop_server(proc)
    print(f"recorded {client} ({version})", file=sys.stderr)


if __name__ == "__main__":
    main()
