import { performance } from 'node:perf_hooks';
import { call, connected, kafka, type RdMessage } from './rdkafka-native.js';
import type { RdkafkaJob, ThroughputResult } from './rdkafka-jobs.js';

/**
 * Reads `count` messages from the start of every partition, as fast as
 * consume(n) returns them, counting each message (and its value's length)
 * the application receives.
 *
 * node-rdkafka's consume(n) pulls up to n messages in a libuv worker thread,
 * then builds one JS object per message (7 properties set through the C++
 * API, a copied value Buffer) on the main thread. That conversion is the
 * bound: ~58% of the client process's CPU in a perf profile at 100 B, against
 * ~1% for the worker's pull and ~6% for librdkafka's fetch thread, so
 * keeping several consume(n) calls outstanding gained nothing measurable.
 */
export async function consume(job: Extract<RdkafkaJob, { kind: 'consume' }>): Promise<ThroughputResult> {
  const consumer = await connected(
    new kafka.KafkaConsumer(
      {
        'bootstrap.servers': job.bootstrap,
        'group.id': `bench-${job.topic}-${process.pid}`,
        'enable.auto.commit': false,
        'enable.auto.offset.store': false,
        'socket.nagle.disable': true,
        'fetch.wait.max.ms': 100,
        'fetch.min.bytes': 1,
        'fetch.max.bytes': 52_428_800,
        'max.partition.fetch.bytes': 8_388_608,
        'queued.min.messages': 1_000_000,
        'queued.max.messages.kbytes': 262_144,
        'check.crcs': false,
        ...job.conf,
      },
      { 'auto.offset.reset': 'earliest' },
    ),
  );
  consumer.setDefaultConsumeTimeout(20);
  const batch = job.batch ?? 10_000;
  try {
    const cpu0 = process.cpuUsage();
    const started = performance.now();
    consumer.assign(Array.from({ length: job.partitions }, (_, partition) => ({ topic: job.topic, partition, offset: 0 })));
    let messages = 0;
    let bytes = 0;
    const deadline = started + job.timeoutMs;
    while (messages < job.count && performance.now() < deadline) {
      const got = await call<RdMessage[]>((cb) => consumer.consume(batch, cb));
      messages += got.length;
      for (const m of got) bytes += m.value?.length ?? 0;
    }
    const elapsedMs = performance.now() - started;
    const cpu = process.cpuUsage(cpu0);
    if (messages < job.count) throw new Error(`consumed ${messages} of ${job.count} in ${job.timeoutMs} ms`);
    return { messages, bytes, elapsedMs, cpuMs: (cpu.user + cpu.system) / 1000 };
  } finally {
    await call<unknown>((cb) => consumer.disconnect(cb));
  }
}
