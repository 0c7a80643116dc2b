import { performance } from 'node:perf_hooks';
import { call, connected, kafka, listen, queueFull, sleep, type RdError } from './rdkafka-native.js';
import type { RdkafkaJob, ThroughputResult } from './rdkafka-jobs.js';

/** Produces as fast as librdkafka takes messages for durationMs, then flushes; counts delivery reports. */
export async function produce(job: Extract<RdkafkaJob, { kind: 'produce' }>): Promise<ThroughputResult> {
  const producer = await connected(
    new kafka.Producer({
      'bootstrap.servers': job.bootstrap,
      acks: job.acks,
      'linger.ms': 5,
      'queue.buffering.max.messages': 1_000_000,
      'queue.buffering.max.kbytes': 1_048_576,
      'socket.nagle.disable': true,
      dr_cb: true,
      ...job.conf,
    }),
  );
  producer.setPollInterval(10);
  let delivered = 0;
  let failed = 0;
  let firstError = '';
  listen(producer, 'delivery-report', ((err: RdError | null) => {
    if (err) {
      failed++;
      firstError ||= err.message;
    } else delivered++;
  }) as (...args: never[]) => void);
  const value = Buffer.alloc(job.messageBytes, 0x61);
  const keys = job.keys ? Array.from({ length: job.keys }, (_, i) => `k${i}`) : null;
  try {
    // Warm-up: metadata and connection before the clock starts.
    producer.produce(job.topic, null, value, null, null);
    await call<unknown>((cb) => producer.flush(10_000, cb));
    while (delivered + failed < 1) await sleep(5);
    if (failed > 0) throw new Error(`warm-up produce failed: ${firstError}`);
    delivered = 0;
    const started = performance.now();
    const end = started + job.durationMs;
    let produced = 0;
    while (performance.now() < end) {
      try {
        for (let i = 0; i < 2000; i++) {
          producer.produce(job.topic, null, value, keys ? keys[produced % keys.length]! : null, null);
          produced++;
        }
      } catch (err) {
        if ((err as RdError).code !== queueFull) throw err;
        await sleep(1);
        continue;
      }
      // Let delivery reports and timers run now and then.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    await call<unknown>((cb) => producer.flush(60_000, cb));
    const deadline = performance.now() + 10_000;
    while (delivered + failed < produced && performance.now() < deadline) await sleep(5);
    const elapsedMs = performance.now() - started;
    if (failed > 0) throw new Error(`${failed} of ${produced} messages failed: ${firstError}`);
    if (delivered < produced) throw new Error(`only ${delivered} of ${produced} delivery reports`);
    return { messages: delivered, bytes: delivered * job.messageBytes, elapsedMs };
  } finally {
    await call<unknown>((cb) => producer.disconnect(cb));
  }
}
