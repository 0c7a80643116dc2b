"""One consumer-group member with confluent-kafka (librdkafka), driven by a test.

Usage: group_member.py '<json options>'
  options: bootstrap, group, topic, name, session_timeout_ms,
           instance_id (optional, KIP-345 static membership),
           cooperative (optional, KIP-429 cooperative-sticky)

It subscribes to the topic and prints one JSON object per line on stdout:
  {"event": "assign" | "revoke" | "lost", "partitions": [...]}  rebalance callbacks
      (eager: the whole new assignment / everything; cooperative: the change only)
  {"event": "record", "partition": p, "offset": o, "value": "..."}
  {"event": "committed", "offsets": [[p, o], ...]}
  {"event": "error", "message": "..."}
  {"event": "closed"}

Commands come as JSON lines on stdin:
  {"cmd": "commit", "offsets": [[p, o], ...]}  synchronous commit of exactly these offsets
  {"cmd": "close"}                              Consumer.close() (a dynamic member leaves the
                                                group; a static one does not), then exit
End of stdin counts as close, so the member never outlives the test.
"""
import json
import queue
import sys
import threading

from confluent_kafka import Consumer, KafkaException, TopicPartition


def emit(**fields):
    sys.stdout.write(json.dumps(fields) + "\n")
    sys.stdout.flush()


def read_commands(commands):
    for line in sys.stdin:
        line = line.strip()
        if line:
            commands.put(json.loads(line))
    commands.put({"cmd": "close"})


def main():
    options = json.loads(sys.argv[1])
    topic = options["topic"]
    config = {
        "bootstrap.servers": options["bootstrap"],
        "group.id": options["group"],
        "client.id": options["name"],
        "session.timeout.ms": options["session_timeout_ms"],
        "heartbeat.interval.ms": 300,
        "enable.auto.commit": False,
        "auto.offset.reset": "earliest",
        "fetch.wait.max.ms": 100,
        "error_cb": lambda err: emit(event="error", message=str(err)),
    }
    if options.get("instance_id"):
        config["group.instance.id"] = options["instance_id"]
    if options.get("cooperative"):
        config["partition.assignment.strategy"] = "cooperative-sticky"

    consumer = Consumer(config)

    def partitions_of(parts):
        return sorted(p.partition for p in parts if p.topic == topic)

    # The binding applies the change itself after the callback (assign or incremental_assign).
    consumer.subscribe(
        [topic],
        on_assign=lambda c, parts: emit(event="assign", partitions=partitions_of(parts)),
        on_revoke=lambda c, parts: emit(event="revoke", partitions=partitions_of(parts)),
        on_lost=lambda c, parts: emit(event="lost", partitions=partitions_of(parts)),
    )

    commands = queue.Queue()
    threading.Thread(target=read_commands, args=(commands,), daemon=True).start()
    while True:
        message = consumer.poll(0.05)
        if message is not None:
            if message.error() is not None:
                emit(event="error", message=str(message.error()))
            else:
                value = message.value()
                emit(
                    event="record",
                    partition=message.partition(),
                    offset=message.offset(),
                    value=None if value is None else value.decode("utf-8"),
                )
        while not commands.empty():
            command = commands.get()
            if command["cmd"] == "commit":
                offsets = [TopicPartition(topic, p, o) for p, o in command["offsets"]]
                try:
                    committed = consumer.commit(offsets=offsets, asynchronous=False)
                    emit(event="committed", offsets=sorted([tp.partition, tp.offset] for tp in committed))
                except KafkaException as err:
                    emit(event="error", message="commit failed: " + str(err))
            elif command["cmd"] == "close":
                consumer.close()
                emit(event="closed")
                return


if __name__ == "__main__":
    main()
