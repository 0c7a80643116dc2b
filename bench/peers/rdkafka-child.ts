/**
 * node-rdkafka (librdkafka) as a load client, in its own process so that its
 * JavaScript and native threads do not share the suite's event loop.
 *
 * Forked with an IPC channel by rdkafka.ts. Loads node-rdkafka from
 * test/compat/node_modules (the test-only client install) and answers
 * {type:'job', job} messages one at a time with {type:'result', result} or
 * {type:'error', message}. Exits on {type:'exit'}, when the parent goes away,
 * or after the lifetime given as argv[2].
 */
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import { Histogram, type HistogramSummary } from '../load/histogram.js';

export type RdkafkaJob =
  | { kind: 'produce'; bootstrap: string; topic: string; messageBytes: number; acks: number; durationMs: number; keys?: number; conf?: Record<string, string | number | boolean> }
  | { kind: 'consume'; bootstrap: string; topic: string; partitions: number; count: number; timeoutMs: number }
  | { kind: 'latency'; bootstrap: string; topic: string; messageBytes: number; acks: number; ratePerSec: number; durationMs: number; warmupMs: number };

export interface ThroughputResult {
  messages: number;
  bytes: number;
  elapsedMs: number;
}

export interface LatencyResult {
  sent: number;
  received: number;
  /** Latencies in microseconds of the messages sent after the warm-up. */
  latencyUs: HistogramSummary;
}

export type RdkafkaChildMessage = { type: 'result'; result: ThroughputResult | LatencyResult } | { type: 'error'; message: string } | { type: 'ready' };

interface RdError extends Error {
  code: number;
}
type Cb<T = void> = (err: RdError | null | undefined, value: T) => void;
type Conf = Record<string, string | number | boolean>;
interface RdMessage {
  value: Buffer | null;
  partition: number;
  offset: number;
}
interface Client {
  connect(options: object, cb: Cb<unknown>): void;
  disconnect(cb: Cb<unknown>): void;
  on(event: string, listener: (...args: never[]) => void): void;
}
interface RdProducer extends Client {
  setPollInterval(ms: number): void;
  produce(topic: string, partition: number | null, value: Buffer, key?: string | null, timestamp?: number | null): void;
  flush(timeoutMs: number, cb: Cb<unknown>): void;
}
interface RdConsumer extends Client {
  assign(tps: Array<{ topic: string; partition: number; offset?: number }>): void;
  consume(n: number, cb: Cb<RdMessage[]>): void;
  consume(): void;
  setDefaultConsumeTimeout(ms: number): void;
}
interface Rdkafka {
  Producer: new (conf: Conf, topicConf?: Conf) => RdProducer;
  KafkaConsumer: new (conf: Conf, topicConf?: Conf) => RdConsumer;
  CODES: { ERRORS: Record<string, number> };
}

const compatPackage = new URL('../../../test/compat/package.json', import.meta.url);
const kafka = createRequire(compatPackage)('node-rdkafka') as Rdkafka;
const queueFull = kafka.CODES.ERRORS['ERR__QUEUE_FULL'];

function call<T>(fn: (cb: Cb<T>) => void): Promise<T> {
  return new Promise((resolve, reject) => fn((err, value) => (err ? reject(err) : resolve(value))));
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function connected<T extends Client>(client: T): Promise<T> {
  await call<unknown>((cb) => client.connect({}, cb));
  return client;
}

function listen(client: Client, event: string, listener: (...args: never[]) => void): void {
  client.on(event, listener);
}

/** Produces as fast as librdkafka takes messages for durationMs, then flushes; counts delivery reports. */
async function produce(job: Extract<RdkafkaJob, { kind: 'produce' }>): Promise<ThroughputResult> {
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

/** Reads `count` messages from the start of every partition, as fast as consume(n) returns them. */
async function consume(job: Extract<RdkafkaJob, { kind: 'consume' }>): Promise<ThroughputResult> {
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

/**
 * Produce → consume latency at a fixed rate: each value carries its send time
 * (performance.now(), both ends in this process); a flowing consumer records
 * receive − send. linger.ms=0 and a long-poll fetch, as a latency-minded user
 * would configure librdkafka.
 */
async function latency(job: Extract<RdkafkaJob, { kind: 'latency' }>): Promise<LatencyResult> {
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
    new kafka.Producer({ 'bootstrap.servers': job.bootstrap, acks: job.acks, 'linger.ms': 0, 'socket.nagle.disable': true }),
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

function reply(message: RdkafkaChildMessage): void {
  process.send?.(message);
}

function run(job: RdkafkaJob): Promise<ThroughputResult | LatencyResult> {
  if (job.kind === 'produce') return produce(job);
  if (job.kind === 'consume') return consume(job);
  return latency(job);
}

process.on('message', (message: unknown) => {
  const m = message as { type?: string; job?: RdkafkaJob };
  if (m.type === 'exit') process.exit(0);
  if (m.type === 'job' && m.job) {
    run(m.job).then(
      (result) => reply({ type: 'result', result }),
      (err: unknown) => reply({ type: 'error', message: err instanceof Error ? err.message : String(err) }),
    );
  }
});
process.on('disconnect', () => process.exit(0));
setTimeout(() => {
  process.stderr.write('rdkafka-child: lifetime exceeded, exiting\n');
  process.exit(3);
}, Number(process.argv[2] ?? 600_000)).unref();
reply({ type: 'ready' });
