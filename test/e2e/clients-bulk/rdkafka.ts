/**
 * node-rdkafka (librdkafka) for clients-bulk.test.ts, loaded from
 * test/compat/node_modules. Its AdminClient creates the topic, its Producer
 * sends with partitioner=murmur2_random (librdkafka's Java-compatible
 * partitioner; its own default, consistent_random, hashes with CRC32), a
 * KafkaConsumer assigned every partition from the beginning reads back, and
 * queryWatermarkOffsets (ListOffsets) gives its view of the offsets.
 * Only asynchronous calls: the broker runs on this event loop.
 */
import assert from 'node:assert/strict';
import { COUNT, PARTITIONS, RECORDS, TOPIC_CONFIGS, requireCompat, waitFor, type Codec, type InRecord } from './support.js';

interface RdError extends Error {
  readonly code: number;
}
type Cb<T> = (err: RdError | null | undefined, value: T) => void;
type Conf = Record<string, string | number | boolean>;
interface RdMessage {
  readonly partition: number;
  readonly offset: number;
  readonly key?: Buffer | string | null;
  readonly value: Buffer | null;
}
interface RdClient {
  connect(options: object, cb: Cb<unknown>): void;
  disconnect(cb: Cb<unknown>): void;
  on(event: string, listener: (...args: never[]) => void): void;
}
interface RdProducer extends RdClient {
  setPollInterval(ms: number): void;
  produce(topic: string, partition: number | null, value: Buffer, key: string): void;
  flush(timeoutMs: number, cb: Cb<unknown>): void;
}
interface RdConsumer extends RdClient {
  assign(tps: Array<{ topic: string; partition: number; offset: number }>): void;
  setDefaultConsumeTimeout(ms: number): void;
  consume(n: number, cb: Cb<RdMessage[]>): void;
  queryWatermarkOffsets(topic: string, partition: number, timeoutMs: number, cb: Cb<{ lowOffset: number; highOffset: number }>): void;
}
interface RdAdmin {
  createTopic(topic: { topic: string; num_partitions: number; replication_factor: number; config?: Record<string, string> }, timeoutMs: number, cb: (err: RdError | null | undefined) => void): void;
  disconnect(): void;
}
interface Rdkafka {
  readonly librdkafkaVersion: string;
  readonly Producer: new (conf: Conf, topicConf?: Conf) => RdProducer;
  readonly KafkaConsumer: new (conf: Conf, topicConf?: Conf) => RdConsumer;
  readonly AdminClient: { create(conf: Conf): RdAdmin };
}

/** librdkafka's RD_KAFKA_OFFSET_BEGINNING. */
const OFFSET_BEGINNING = -2;

let loaded: Rdkafka | undefined;
export function loadRdkafka(): Rdkafka {
  loaded ??= requireCompat<Rdkafka>('node-rdkafka');
  return loaded;
}

function call<T>(fn: (cb: Cb<T>) => void): Promise<T> {
  return new Promise((resolve, reject) => fn((err, value) => (err ? reject(err) : resolve(value))));
}

export async function rdkafkaRoundTrip(bootstrap: string, topic: string, codec: Codec): Promise<InRecord[]> {
  const kafka = loadRdkafka();
  const admin = kafka.AdminClient.create({ 'bootstrap.servers': bootstrap, 'client.id': 'bulk-rdkafka-admin' });
  try {
    await call<void>((cb) => admin.createTopic({ topic, num_partitions: PARTITIONS, replication_factor: 1, config: { ...TOPIC_CONFIGS } }, 15_000, (e) => cb(e, undefined)));
  } finally {
    admin.disconnect();
  }

  const producer = new kafka.Producer({
    'bootstrap.servers': bootstrap,
    'client.id': 'bulk-rdkafka',
    dr_cb: true,
    'linger.ms': 10,
    'compression.codec': codec,
  }, {
    // A topic property: node-rdkafka ignores it in the global config.
    partitioner: 'murmur2_random',
  });
  const errors: string[] = [];
  let delivered = 0;
  producer.on('delivery-report', ((err: RdError | null) => {
    delivered++;
    if (err) errors.push(err.message);
  }) as (...args: never[]) => void);
  producer.on('event.error', ((err: RdError) => errors.push(err.message)) as (...args: never[]) => void);
  await call<unknown>((cb) => producer.connect({}, cb));
  producer.setPollInterval(20);
  try {
    for (const r of RECORDS) producer.produce(topic, null, Buffer.from(r.value), r.key);
    await call<unknown>((cb) => producer.flush(30_000, cb));
    await waitFor(`node-rdkafka: delivery reports for ${topic} (have ${delivered})`, () => errors.length > 0 || delivered >= COUNT, 30_000);
    assert.deepEqual(errors.slice(0, 3), [], `node-rdkafka: ${errors.length} delivery errors`);
  } finally {
    await call<unknown>((cb) => producer.disconnect(cb));
  }

  const consumer = new kafka.KafkaConsumer({ 'bootstrap.servers': bootstrap, 'client.id': 'bulk-rdkafka', 'group.id': `bulk-read-${topic}`, 'enable.auto.commit': false, 'fetch.wait.max.ms': 100 }, {});
  await call<unknown>((cb) => consumer.connect({}, cb));
  const records: InRecord[] = [];
  try {
    consumer.setDefaultConsumeTimeout(100);
    consumer.assign(Array.from({ length: PARTITIONS }, (_, partition) => ({ topic, partition, offset: OFFSET_BEGINNING })));
    const until = Date.now() + 30_000;
    while (records.length < COUNT) {
      assert.ok(Date.now() < until, `node-rdkafka: timed out with ${records.length} of ${COUNT} records of ${topic}`);
      for (const m of await call<RdMessage[]>((cb) => consumer.consume(1_000, cb))) {
        records.push({ partition: m.partition, offset: m.offset, key: m.key?.toString() ?? null, value: m.value?.toString() ?? null });
      }
    }
    // Anything delivered twice would arrive right behind the last one.
    for (const m of await call<RdMessage[]>((cb) => consumer.consume(1_000, cb))) {
      records.push({ partition: m.partition, offset: m.offset, key: m.key?.toString() ?? null, value: m.value?.toString() ?? null });
    }

    // The client's own view of ListOffsets.
    let high = 0;
    for (let partition = 0; partition < PARTITIONS; partition++) {
      const w = await call<{ lowOffset: number; highOffset: number }>((cb) => consumer.queryWatermarkOffsets(topic, partition, 10_000, cb));
      assert.equal(w.lowOffset, 0, `node-rdkafka queryWatermarkOffsets ${topic}-${partition} low`);
      high += w.highOffset;
    }
    assert.equal(high, COUNT, 'node-rdkafka queryWatermarkOffsets: high summed');
  } finally {
    await call<unknown>((cb) => consumer.disconnect(cb));
  }
  return records;
}
