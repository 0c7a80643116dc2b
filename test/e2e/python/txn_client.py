"""Idempotent and transactional confluent-kafka (librdkafka) clients, driven by txn-python.test.ts.

Usage: txn_client.py '<json options>'
  {"mode": "idempotent", "bootstrap": ..., "topic": ..., "count": n}
      produces values "0".."n-1" (keyed) with enable.idempotence and up to 5
      requests in flight; prints {"delivered": n, "errors": [...]}
  {"mode": "transactions", "bootstrap": ..., "topic": ..., "input": ..., "output": ..., "group": ...}
      commits one transaction, aborts one, commits one, then runs one
      consume-transform-produce transaction (send_offsets_to_transaction),
      and reads `topic` and `output` back with isolation.level=read_committed;
      prints {"committed_read": [...], "output_read": [...]}
The last line on stdout is the result; errors go to stderr and exit 1.
"""
import json
import sys

from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition


def read_all(bootstrap, topic, partitions, expected):
    consumer = Consumer({
        "bootstrap.servers": bootstrap,
        "group.id": "txn-py-reader-" + topic,
        "isolation.level": "read_committed",
        "auto.offset.reset": "earliest",
        "enable.auto.commit": False,
    })
    consumer.assign([TopicPartition(topic, p, 0) for p in range(partitions)])
    values = []
    idle = 0
    while idle < 20 and len(values) < expected:
        msg = consumer.poll(0.25)
        if msg is None:
            idle += 1
            continue
        if msg.error():
            continue
        values.append(msg.value().decode())
    # A little more, to see that nothing beyond the expected shows up.
    while True:
        msg = consumer.poll(0.5)
        if msg is None:
            break
        if not msg.error():
            values.append(msg.value().decode())
    consumer.close()
    return values


def idempotent(opts):
    errors = []
    delivered = [0]

    def on_delivery(err, msg):
        if err is not None:
            errors.append(str(err))
        else:
            delivered[0] += 1

    producer = Producer({
        "bootstrap.servers": opts["bootstrap"],
        "enable.idempotence": True,
        "max.in.flight.requests.per.connection": 5,
        "linger.ms": 5,
        "batch.num.messages": 500,
        "retry.backoff.ms": 10,
        "reconnect.backoff.ms": 10,
        "reconnect.backoff.max.ms": 100,
        "socket.timeout.ms": 5000,
        "message.timeout.ms": 120000,
    })
    for i in range(opts["count"]):
        while True:
            try:
                producer.produce(opts["topic"], key=("k%d" % (i % 97)).encode(), value=str(i).encode(), on_delivery=on_delivery)
                break
            except BufferError:
                producer.poll(0.05)
        producer.poll(0)
    producer.flush(120)
    return {"delivered": delivered[0], "errors": errors[:10]}


def transactions(opts):
    bootstrap = opts["bootstrap"]
    topic = opts["topic"]
    producer = Producer({"bootstrap.servers": bootstrap, "transactional.id": "py-txn", "transaction.timeout.ms": 60000})
    producer.init_transactions(30)
    for tag, commit in (("c1", True), ("a1", False), ("c2", True)):
        producer.begin_transaction()
        for i in range(5):
            producer.produce(topic, key=("k%d" % i).encode(), value=("%s-%d" % (tag, i)).encode())
        if commit:
            producer.commit_transaction(30)
        else:
            producer.abort_transaction(30)

    # Consume-transform-produce: input offsets and output records in one transaction.
    consumer = Consumer({
        "bootstrap.servers": bootstrap,
        "group.id": opts["group"],
        "auto.offset.reset": "earliest",
        "enable.auto.commit": False,
        "isolation.level": "read_committed",
    })
    consumer.subscribe([opts["input"]])
    batch = []
    idle = 0
    while len(batch) < opts["input_count"] and idle < 60:
        msg = consumer.poll(0.5)
        if msg is None:
            idle += 1
            continue
        if msg.error():
            continue
        batch.append(msg)
    producer.begin_transaction()
    for msg in batch:
        producer.produce(opts["output"], key=msg.key(), value=b"out-" + msg.value())
    positions = consumer.position(consumer.assignment())
    producer.send_offsets_to_transaction(positions, consumer.consumer_group_metadata(), 30)
    producer.commit_transaction(30)
    consumer.close()

    committed = Consumer({"bootstrap.servers": bootstrap, "group.id": opts["group"]})
    offsets = committed.committed([TopicPartition(opts["input"], p) for p in range(opts["partitions"])], timeout=10)
    committed.close()
    return {
        "committed_read": read_all(bootstrap, topic, opts["partitions"], 10),
        "output_read": read_all(bootstrap, opts["output"], opts["partitions"], len(batch)),
        "consumed": len(batch),
        "committed_offsets": sum(max(tp.offset, 0) for tp in offsets),
    }


def main():
    opts = json.loads(sys.argv[1])
    try:
        result = idempotent(opts) if opts["mode"] == "idempotent" else transactions(opts)
    except KafkaException as e:
        sys.stderr.write("kafka error: %s\n" % e)
        sys.exit(1)
    sys.stdout.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
