import { performance } from 'node:perf_hooks';
import { Histogram } from '../load/histogram.js';
import { call, connected, kafka, listen, sleep, type RdError, type RdMessage } from './rdkafka-native.js';
import type { LatencyResult, RdkafkaJob } from './rdkafka-jobs.js';

/**
 * Produce → consume latency at a fixed rate: each value carries its send time
 * (performance.now(), both ends in this process); a flowing consumer records
 * receive − send. linger.ms=0 and a long-poll fetch, as a latency-minded user
 * would configure librdkafka.
 *
 * `acks` goes in the producer's topic configuration: node-rdkafka always
 * installs a default topic configuration of its own (the second constructor
 * argument), which replaces topic-level properties given with the global
 * ones, so `acks` there was silently librdkafka's default, -1 (seen at the
 * broker: every Produce request of the "acks=1" phase carried acks=-1).
 */
export async function latency(job: Extract<RdkafkaJob, { kind: 'latency' }>): Promise<LatencyResult> {
  const consumer = await connected(
    new kafka.KafkaConsumer(
      {
        'bootstrap.servers': job.bootstrap,
        'group.id': `bench-lat-${process.pid}`,
        'enable.auto.commit': false,
        'socket.nagle.disable': true,
        'fetch.wait.max.ms': 500,
        'fetch.min.bytes': 1,
        'fetch.queue.backoff.ms': 0,
      },
      { 'auto.offset.reset': 'earliest' },
    ),
  );
  const producer = await connected(
    new kafka.Producer({ 'bootstrap.servers': job.bootstrap, 'linger.ms': 0, 'socket.nagle.disable': true }, { acks: job.acks }),
  );
  producer.setPollInterval(50);
  const histogram = new Histogram();
  let received = 0;
  let measureFrom = Number.POSITIVE_INFINITY;
  const errors: string[] = [];
  listen(producer, 'event.error', ((err: RdError) => errors.push(err.message)) as (...args: never[]) => void);
  listen(consumer, 'data', ((m: RdMessage) => {
    const now = performance.now();
    received++;
    const sentAt = m.value?.readDoubleLE(0) ?? 0;
    if (sentAt >= measureFrom) histogram.record((now - sentAt) * 1000);
  }) as (...args: never[]) => void);
  try {
    consumer.assign([{ topic: job.topic, partition: 0, offset: 0 }]);
    consumer.consume();
    await sleep(300);
    const value = Buffer.alloc(job.messageBytes, 0x62);
    const started = performance.now();
    measureFrom = started + job.warmupMs;
    const end = started + job.warmupMs + job.durationMs;
    let sent = 0;
    for (;;) {
      const now = performance.now();
      if (now >= end) break;
      const due = Math.floor(((now - started) / 1000) * job.ratePerSec);
      while (sent < due) {
        const payload = Buffer.from(value);
        payload.writeDoubleLE(performance.now(), 0);
        producer.produce(job.topic, 0, payload, null, null);
        sent++;
      }
      await sleep(1);
    }
    const deadline = performance.now() + 10_000;
    while (received < sent && performance.now() < deadline) await sleep(10);
    if (errors.length > 0) throw new Error(`producer: ${errors[0]}`);
    if (received < sent) throw new Error(`received ${received} of ${sent} messages`);
    return { sent, received, latencyUs: histogram.summary() };
  } finally {
    await call<unknown>((cb) => producer.disconnect(cb));
    await call<unknown>((cb) => consumer.disconnect(cb));
  }
}
