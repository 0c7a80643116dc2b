/**
 * One client's side of the client.throughput benchmark, in its own process so
 * that clients share an event loop neither with each other nor with the
 * broker. Forked by client-throughput.ts with an IPC channel:
 *
 *   node client-worker.js '<WorkerJob json>'
 *
 * Replies with one WorkerReply and exits. Exits by itself when the parent goes
 * away or `lifetimeMs` passes.
 *
 * How each client is driven (the way its documentation suggests for speed):
 * - samsa: `send()` per record (the client batches), a window of records in
 *   flight; consumer by `assign()` and `poll()`.
 * - kafkajs: `send()` calls of about 64 KiB of messages each (kafkajs sends
 *   one request per call and has no linger), up to 8 calls in flight;
 *   consumer in a group with `eachBatch`.
 * - node-rdkafka: `produce()` per record with delivery reports (the client
 *   batches); consumer by `assign()` and `consume(n)`.
 * All produce with acks=1, no compression, no keys, each client's other
 * defaults. Produce counts records acknowledged between the first send and
 * the last acknowledgement; consume counts records read from the moment the
 * partitions are assigned (assign(), or kafkajs's GROUP_JOIN) until
 * everything was read or `durationMs` passed.
 */
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Producer } from '../../src/client/producer.js';
import { Consumer } from '../../src/client/consumer.js';

export type ClientName = 'samsa' | 'kafkajs' | 'rdkafka';

export interface WorkerJob {
  client: ClientName;
  mode: 'produce' | 'consume';
  bootstrap: string;
  topic: string;
  partitions: number;
  messageBytes: number;
  durationMs: number;
  /** consume: records in the topic (stop when all are read). */
  expected: number;
  lifetimeMs: number;
}

export type WorkerReply =
  | { type: 'result'; messages: number; bytes: number; elapsedMs: number; cpuMs: number }
  | { type: 'unavailable'; reason: string }
  | { type: 'error'; message: string };

/** Where .ci/run installs the test-only clients (node-rdkafka). */
const compatDir = fileURLToPath(new URL('../../../test/compat/', import.meta.url));

interface Measured {
  messages: number;
  elapsedMs: number;
}

const yieldToIo = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

// ---------------------------------------------------------------------------
// samsa

async function samsaProduce(job: WorkerJob): Promise<Measured> {
  const producer = new Producer({ bootstrapServers: job.bootstrap, clientId: 'bench-samsa', acks: 1 });
  const value = Buffer.alloc(job.messageBytes, 0x61);
  const record = { topic: job.topic, value };
  // Warm up: metadata and connections.
  await producer.send(record);
  const windowMax = Math.max(1024, Math.floor((8 * 1024 * 1024) / job.messageBytes));
  let outstanding = 0;
  let acked = 0;
  let failure: unknown = null;
  let wake: (() => void) | null = null;
  const onAck = (): void => {
    acked++;
    if (--outstanding <= windowMax / 2 && wake !== null) {
      const w = wake;
      wake = null;
      w();
    }
  };
  const onError = (error: unknown): void => {
    failure ??= error;
    onAck();
  };
  const start = performance.now();
  const end = start + job.durationMs;
  while (performance.now() < end && failure === null) {
    for (let i = 0; i < 256; i++) producer.send(record).then(onAck, onError);
    outstanding += 256;
    if (outstanding >= windowMax) await new Promise<void>((resolve) => (wake = resolve));
    else await yieldToIo();
  }
  await producer.flush();
  const elapsedMs = performance.now() - start;
  await producer.close();
  if (failure !== null) throw failure;
  return { messages: acked, elapsedMs };
}

async function samsaConsume(job: WorkerJob): Promise<Measured> {
  const consumer = new Consumer({ bootstrapServers: job.bootstrap, clientId: 'bench-samsa', autoOffsetReset: 'earliest' });
  try {
    await consumer.assign(Array.from({ length: job.partitions }, (_, partition) => ({ topic: job.topic, partition })));
    let count = 0;
    let last = 0;
    const start = performance.now();
    while (count < job.expected) {
      const messages = await consumer.poll({ timeoutMs: 200 });
      last = performance.now();
      count += messages.length;
      if (last - start >= job.durationMs) break;
    }
    return { messages: count, elapsedMs: last - start };
  } finally {
    await consumer.close();
  }
}

// ---------------------------------------------------------------------------
// kafkajs (root devDependency)

async function kafkajsProduce(job: WorkerJob): Promise<Measured> {
  const { Kafka, logLevel } = (await import('kafkajs')).default;
  const kafka = new Kafka({ clientId: 'bench-kafkajs', brokers: [job.bootstrap], logLevel: logLevel.NOTHING });
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  const value = Buffer.alloc(job.messageBytes, 0x61);
  const perCall = Math.max(1, Math.floor((64 * 1024) / job.messageBytes));
  const messages = Array.from({ length: perCall }, () => ({ value }));
  await producer.send({ topic: job.topic, acks: 1, messages: [{ value }] });
  const callsMax = 8;
  let acked = 0;
  let failure: unknown = null;
  const start = performance.now();
  const end = start + job.durationMs;
  const lane = async (): Promise<void> => {
    while (performance.now() < end && failure === null) {
      try {
        await producer.send({ topic: job.topic, acks: 1, messages });
        acked += perCall;
      } catch (error) {
        failure ??= error;
      }
    }
  };
  await Promise.all(Array.from({ length: callsMax }, lane));
  const elapsedMs = performance.now() - start;
  await producer.disconnect();
  if (failure !== null) throw failure;
  return { messages: acked, elapsedMs };
}

async function kafkajsConsume(job: WorkerJob): Promise<Measured> {
  const { Kafka, logLevel } = (await import('kafkajs')).default;
  const kafka = new Kafka({ clientId: 'bench-kafkajs', brokers: [job.bootstrap], logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: `bench-kafkajs-${process.pid}`, allowAutoTopicCreation: false });
  await consumer.connect();
  await consumer.subscribe({ topics: [job.topic], fromBeginning: true });
  let count = 0;
  // From the moment the group assigned the partitions, as the others start from assign().
  let start = 0;
  let last = 0;
  consumer.on(consumer.events.GROUP_JOIN, () => (start = performance.now()));
  const result = await new Promise<Measured>((resolve, reject) => {
    const giveUp = setTimeout(() => resolve({ messages: count, elapsedMs: last - start }), job.durationMs * 4 + 10_000);
    consumer
      .run({
        autoCommit: false,
        eachBatch: async ({ batch }) => {
          const now = performance.now();
          if (start === 0) start = now;
          count += batch.messages.length;
          last = now;
          if (count >= job.expected || now - start >= job.durationMs) {
            clearTimeout(giveUp);
            resolve({ messages: count, elapsedMs: last - start });
          }
        },
      })
      .catch(reject);
  });
  await consumer.disconnect();
  return result;
}

// ---------------------------------------------------------------------------
// node-rdkafka (test-only, under test/compat/node_modules; the part of its API used here)

interface RdError extends Error {
  code: number;
}
type Cb<T> = (err: RdError | null | undefined, value: T) => void;
interface RdClient {
  connect(options: object, cb: Cb<unknown>): void;
  disconnect(cb: Cb<unknown>): void;
  on(event: string, listener: (...args: never[]) => void): void;
}
interface RdProducer extends RdClient {
  setPollInterval(ms: number): void;
  poll(): void;
  produce(topic: string, partition: number | null, value: Buffer, key?: string | null, timestamp?: number | null): void;
  flush(timeoutMs: number, cb: Cb<unknown>): void;
}
interface RdMessage {
  value: Buffer | null;
}
interface RdConsumer extends RdClient {
  assign(tps: Array<{ topic: string; partition: number; offset: number }>): void;
  consume(n: number, cb: Cb<RdMessage[]>): void;
}
interface Rdkafka {
  Producer: new (conf: Record<string, string | number | boolean>) => RdProducer;
  KafkaConsumer: new (conf: Record<string, string | number | boolean>, topicConf?: Record<string, string | number | boolean>) => RdConsumer;
  CODES: { ERRORS: Record<string, number> };
}

/** node-rdkafka from test/compat/node_modules, or the reason it cannot be used. */
async function loadRdkafka(): Promise<Rdkafka | string> {
  if (!existsSync(join(compatDir, 'node_modules', 'node-rdkafka', 'package.json'))) return 'not installed (test/compat/node_modules; .ci/run installs it)';
  try {
    const resolved = createRequire(join(compatDir, 'package.json')).resolve('node-rdkafka');
    const mod = (await import(pathToFileURL(resolved).href)) as { default: Rdkafka };
    return mod.default;
  } catch (error) {
    return `not loadable: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`;
  }
}

function call<T>(fn: (cb: Cb<T>) => void): Promise<T> {
  return new Promise((resolve, reject) => fn((err, value) => (err ? reject(err) : resolve(value))));
}

async function rdkafkaProduce(kafka: Rdkafka, job: WorkerJob): Promise<Measured> {
  const producer = new kafka.Producer({
    'bootstrap.servers': job.bootstrap,
    'client.id': 'bench-rdkafka',
    'request.required.acks': 1,
    dr_cb: true,
  });
  await call<unknown>((cb) => producer.connect({}, cb));
  let delivered = 0;
  let failure: unknown = null;
  producer.on('delivery-report', ((err: RdError | null) => {
    delivered++;
    if (err) failure ??= err;
  }) as (...args: never[]) => void);
  producer.setPollInterval(5);
  const value = Buffer.alloc(job.messageBytes, 0x61);
  const queueFull = kafka.CODES.ERRORS['ERR__QUEUE_FULL'];
  producer.produce(job.topic, null, value, null, null);
  await call<unknown>((cb) => producer.flush(10_000, cb));
  const warm = delivered;
  const start = performance.now();
  const end = start + job.durationMs;
  while (performance.now() < end && failure === null) {
    for (let i = 0; i < 256; i++) {
      try {
        producer.produce(job.topic, null, value, null, null);
      } catch (error) {
        if ((error as RdError).code !== queueFull) throw error;
        producer.poll();
        await new Promise((resolve) => setTimeout(resolve, 1));
        break;
      }
    }
    await yieldToIo();
  }
  await call<unknown>((cb) => producer.flush(30_000, cb));
  // The last delivery reports arrive on the next poll.
  producer.poll();
  await yieldToIo();
  const elapsedMs = performance.now() - start;
  await call<unknown>((cb) => producer.disconnect(cb));
  if (failure !== null) throw failure;
  return { messages: delivered - warm, elapsedMs };
}

async function rdkafkaConsume(kafka: Rdkafka, job: WorkerJob): Promise<Measured> {
  const consumer = new kafka.KafkaConsumer(
    { 'bootstrap.servers': job.bootstrap, 'client.id': 'bench-rdkafka', 'group.id': `bench-rdkafka-${process.pid}`, 'enable.auto.commit': false },
    { 'auto.offset.reset': 'earliest' },
  );
  await call<unknown>((cb) => consumer.connect({}, cb));
  try {
    consumer.assign(Array.from({ length: job.partitions }, (_, partition) => ({ topic: job.topic, partition, offset: 0 })));
    let count = 0;
    let last = 0;
    const start = performance.now();
    while (count < job.expected) {
      const messages = await call<RdMessage[]>((cb) => consumer.consume(1000, cb));
      last = performance.now();
      count += messages.length;
      if (last - start >= job.durationMs) break;
    }
    return { messages: count, elapsedMs: last - start };
  } finally {
    await call<unknown>((cb) => consumer.disconnect(cb));
  }
}

// ---------------------------------------------------------------------------

async function runJob(job: WorkerJob): Promise<WorkerReply> {
  let measured: Measured;
  const cpuBefore = process.cpuUsage();
  if (job.client === 'samsa') {
    measured = job.mode === 'produce' ? await samsaProduce(job) : await samsaConsume(job);
  } else if (job.client === 'kafkajs') {
    measured = job.mode === 'produce' ? await kafkajsProduce(job) : await kafkajsConsume(job);
  } else {
    const kafka = await loadRdkafka();
    if (typeof kafka === 'string') return { type: 'unavailable', reason: kafka };
    measured = job.mode === 'produce' ? await rdkafkaProduce(kafka, job) : await rdkafkaConsume(kafka, job);
  }
  const cpu = process.cpuUsage(cpuBefore);
  // CPU of the whole job (set-up included): a steadier figure than time on a busy machine.
  return { type: 'result', messages: measured.messages, bytes: measured.messages * job.messageBytes, elapsedMs: measured.elapsedMs, cpuMs: (cpu.user + cpu.system) / 1000 };
}

function reply(message: WorkerReply): void {
  if (process.send) process.send(message, () => process.exit(0));
  else {
    process.stdout.write(`${JSON.stringify(message)}\n`);
    process.exit(0);
  }
}

const job = JSON.parse(process.argv[2] ?? '{}') as WorkerJob;
process.on('disconnect', () => process.exit(0));
setTimeout(() => {
  process.stderr.write('client-worker: lifetime exceeded, exiting\n');
  process.exit(3);
}, job.lifetimeMs ?? 120_000).unref();
runJob(job).then(reply, (error: unknown) => reply({ type: 'error', message: error instanceof Error ? error.message : String(error) }));
