/**
 * The produce loop of bench/peers/rdkafka-produce-job.ts for scale-probe.ts,
 * with the topic configuration passed as node-rdkafka's second constructor
 * argument (where node-rdkafka takes topic properties such as `acks`; in the
 * global configuration they are overridden by the default topic configuration).
 * Answers {type:'job', job, topicConf} like rdkafka-child.ts.
 */
import { performance } from 'node:perf_hooks';
import { call, connected, kafka, listen, queueFull, sleep, type RdError } from '../peers/rdkafka-native.js';
import type { RdkafkaJob, ThroughputResult } from '../peers/rdkafka-jobs.js';

type ProduceJob = Extract<RdkafkaJob, { kind: 'produce' }>;

async function produce(job: ProduceJob, topicConf: Record<string, string | number | boolean> | undefined): Promise<ThroughputResult> {
  const producer = await connected(
    new kafka.Producer(
      {
        'bootstrap.servers': job.bootstrap,
        acks: job.acks,
        'linger.ms': 5,
        'queue.buffering.max.messages': 1_000_000,
        'queue.buffering.max.kbytes': 1_048_576,
        'socket.nagle.disable': true,
        dr_cb: true,
        ...job.conf,
      },
      topicConf,
    ),
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

process.on('message', (message: unknown) => {
  const m = message as { type?: string; job?: ProduceJob; topicConf?: Record<string, string> };
  if (m.type === 'exit') process.exit(0);
  if (m.type === 'job' && m.job) {
    produce(m.job, m.topicConf).then(
      (result) => process.send?.({ type: 'result', result }),
      (err: unknown) => process.send?.({ type: 'error', message: err instanceof Error ? err.message : String(err) }),
    );
  }
});
process.on('disconnect', () => process.exit(0));
setTimeout(() => process.exit(3), Number(process.argv[2] ?? 600_000)).unref();
process.send?.({ type: 'ready' });
