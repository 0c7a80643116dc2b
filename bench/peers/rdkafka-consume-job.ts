import { performance } from 'node:perf_hooks';
import { call, connected, kafka, type RdMessage } from './rdkafka-native.js';
import type { RdkafkaJob, ThroughputResult } from './rdkafka-jobs.js';

/** Reads `count` messages from the start of every partition, as fast as consume(n) returns them. */
export async function consume(job: Extract<RdkafkaJob, { kind: 'consume' }>): Promise<ThroughputResult> {
  const consumer = await connected(
    new kafka.KafkaConsumer(
      {
        'bootstrap.servers': job.bootstrap,
        'group.id': `bench-${job.topic}-${process.pid}`,
        'enable.auto.commit': false,
        'socket.nagle.disable': true,
        'queued.min.messages': 500_000,
        'fetch.wait.max.ms': 100,
      },
      { 'auto.offset.reset': 'earliest' },
    ),
  );
  consumer.setDefaultConsumeTimeout(20);
  try {
    const started = performance.now();
    consumer.assign(Array.from({ length: job.partitions }, (_, partition) => ({ topic: job.topic, partition, offset: 0 })));
    let messages = 0;
    let bytes = 0;
    const deadline = started + job.timeoutMs;
    while (messages < job.count && performance.now() < deadline) {
      const batch = await call<RdMessage[]>((cb) => consumer.consume(20_000, cb));
      messages += batch.length;
      for (const m of batch) bytes += m.value?.length ?? 0;
    }
    const elapsedMs = performance.now() - started;
    if (messages < job.count) throw new Error(`consumed ${messages} of ${job.count} in ${job.timeoutMs} ms`);
    return { messages, bytes, elapsedMs };
  } finally {
    await call<unknown>((cb) => consumer.disconnect(cb));
  }
}
