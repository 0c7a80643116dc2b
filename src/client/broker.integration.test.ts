/**
 * The client against a real Samsa broker started in this process. Covers what
 * the broker serves today; see README "Status" for what waits on the broker.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Broker } from '../index.js';
import { Admin } from './admin.js';
import { Producer } from './producer.js';
import { Consumer } from './consumer.js';
import { KafkaProtocolError } from './errors.js';
import { partitionForKey } from './partitioner.js';
import type { ConsumerMessage } from './fetch-records.js';

let broker: Broker;
let admin: Admin;

before(async () => {
  broker = await Broker.start({ port: 0 });
  admin = new Admin({ bootstrapServers: broker.bootstrap, clientId: 'it-admin' });
});

after(async () => {
  await admin.close();
  await broker.stop();
});

async function readAll(consumer: Consumer, count: number, timeoutMs = 10_000): Promise<ConsumerMessage[]> {
  const out: ConsumerMessage[] = [];
  const deadline = Date.now() + timeoutMs;
  while (out.length < count && Date.now() < deadline) out.push(...(await consumer.poll({ timeoutMs: 200 })));
  return out;
}

describe('admin', () => {
  test('create, list, describe, delete topics; typed errors', async () => {
    await admin.createTopics([
      { name: 'adm-a', numPartitions: 3 },
      { name: 'adm-b', numPartitions: 1, configs: { 'cleanup.policy': 'compact' } },
    ]);
    const names = await admin.listTopics();
    assert.ok(names.includes('adm-a') && names.includes('adm-b'));
    const [a] = await admin.describeTopics(['adm-a']);
    assert.equal(a!.partitions.length, 3);
    assert.ok(a!.partitions.every((p) => p.leader === broker.nodeId));
    await assert.rejects(admin.createTopics([{ name: 'adm-a', numPartitions: 1 }]), (e: unknown) => KafkaProtocolError.is(e, 'TOPIC_ALREADY_EXISTS') && /adm-a/.test(e.message) && !e.retriable);
    await admin.deleteTopics(['adm-b']);
    assert.ok(!(await admin.listTopics()).includes('adm-b'));
    await assert.rejects(admin.describeTopics(['adm-b']), (e: unknown) => KafkaProtocolError.is(e, 'UNKNOWN_TOPIC_OR_PARTITION'));
  });

  test('describeCluster', async () => {
    const cluster = await admin.describeCluster();
    assert.equal(cluster.clusterId, broker.clusterId);
    assert.deepEqual(
      cluster.brokers.map((b) => b.nodeId),
      [broker.nodeId],
    );
    assert.equal(cluster.brokers[0]!.port, broker.port);
  });

  test('listOffsets: earliest, latest, by timestamp', async () => {
    await admin.createTopics([{ name: 'adm-offsets', numPartitions: 1 }]);
    const producer = new Producer({ bootstrapServers: broker.bootstrap, idempotent: false, lingerMs: 0 });
    const base = Date.now() - 10_000;
    for (let i = 0; i < 5; i++) await producer.send({ topic: 'adm-offsets', value: `v${i}`, timestamp: base + i * 1000 });
    await producer.close();
    const [earliest, latest, at, none] = await admin.listOffsets([
      { topic: 'adm-offsets', partition: 0, spec: 'earliest' },
      { topic: 'adm-offsets', partition: 0, spec: 'latest' },
      { topic: 'adm-offsets', partition: 0, spec: { timestamp: base + 2500 } },
      { topic: 'adm-offsets', partition: 0, spec: { timestamp: base + 100_000 } },
    ]);
    assert.equal(earliest!.offset, 0n);
    assert.equal(latest!.offset, 5n);
    assert.equal(at!.offset, 3n);
    assert.equal(at!.timestamp, base + 3000);
    assert.equal(none!.offset, -1n);
    assert.deepEqual(await admin.fetchTopicOffsets('adm-offsets'), [{ partition: 0, low: 0n, high: 5n }]);
  });
});

describe('admin: configs, partitions, records', () => {
  test('describeConfigs and incrementalAlterConfigs on a topic', async () => {
    await admin.createTopics([{ name: 'cfg', numPartitions: 1, configs: { 'retention.ms': '3600000' } }]);
    const [before] = await admin.describeConfigs([{ type: 'topic', name: 'cfg' }]);
    const retention = before!.entries.find((e) => e.name === 'retention.ms')!;
    assert.equal(retention.value, '3600000');
    assert.equal(retention.source, 'dynamicTopic');
    assert.equal(retention.isDefault, false);
    const cleanup = before!.entries.find((e) => e.name === 'cleanup.policy')!;
    assert.equal(cleanup.value, 'delete');
    assert.equal(cleanup.isDefault, true);

    await admin.incrementalAlterConfigs([
      { type: 'topic', name: 'cfg', changes: [{ name: 'retention.ms', op: 'delete' }, { name: 'max.message.bytes', value: '2000000' }] },
    ]);
    const [after] = await admin.describeConfigs([{ type: 'topic', name: 'cfg', keys: ['retention.ms', 'max.message.bytes'] }]);
    assert.equal(after!.entries.find((e) => e.name === 'max.message.bytes')!.value, '2000000');
    assert.equal(after!.entries.find((e) => e.name === 'retention.ms')!.isDefault, true);
    await assert.rejects(
      admin.incrementalAlterConfigs([{ type: 'topic', name: 'cfg', changes: [{ name: 'no.such.config', value: '1' }] }]),
      (e: unknown) => e instanceof KafkaProtocolError && /cfg/.test(e.message),
    );
  });

  test('createPartitions grows a topic; keyed records then spread over the new count', async () => {
    await admin.createTopics([{ name: 'grow', numPartitions: 2 }]);
    await admin.createPartitions([{ topic: 'grow', count: 5 }]);
    const [t] = await admin.describeTopics(['grow']);
    assert.equal(t!.partitions.length, 5);
    const producer = new Producer({ bootstrapServers: broker.bootstrap, idempotent: false, lingerMs: 0, metadataMaxAgeMs: 100 });
    const meta = await producer.send({ topic: 'grow', key: 'k-7', value: 'v' });
    assert.equal(meta.partition, partitionForKey(Buffer.from('k-7'), 5));
    await producer.close();
    await assert.rejects(admin.createPartitions([{ topic: 'grow', count: 3 }]), (e: unknown) => KafkaProtocolError.is(e, 'INVALID_PARTITIONS'));
  });

  test('deleteRecords moves the low watermark', async () => {
    await admin.createTopics([{ name: 'trim', numPartitions: 1 }]);
    const producer = new Producer({ bootstrapServers: broker.bootstrap, idempotent: false, lingerMs: 0 });
    for (let i = 0; i < 10; i++) await producer.send({ topic: 'trim', value: String(i) });
    await producer.close();
    const [result] = await admin.deleteRecords([{ topic: 'trim', partition: 0, beforeOffset: 4n }]);
    assert.equal(result!.lowWatermark, 4n);
    assert.deepEqual(await admin.fetchTopicOffsets('trim'), [{ partition: 0, low: 4n, high: 10n }]);
    const consumer = new Consumer({ bootstrapServers: broker.bootstrap, autoOffsetReset: 'earliest' });
    await consumer.assign([{ topic: 'trim', partition: 0 }]);
    const [first] = await readAll(consumer, 1);
    await consumer.close();
    assert.equal(first!.offset, 4n);
  });
});

describe('producer and consumer (no group)', () => {
  test('keyed records land on the Java partition; consumer reads them back with headers', async () => {
    await admin.createTopics([{ name: 'orders', numPartitions: 4 }]);
    const producer = new Producer({ bootstrapServers: broker.bootstrap, idempotent: false, acks: 'all', lingerMs: 5 });
    const keys = Array.from({ length: 40 }, (_, i) => `order-${i}`);
    const results = await Promise.all(
      keys.map((key, i) => producer.send({ topic: 'orders', key, value: JSON.stringify({ id: i }), headers: { source: 'test', idx: String(i) } })),
    );
    for (let i = 0; i < keys.length; i++) assert.equal(results[i]!.partition, partitionForKey(Buffer.from(keys[i]!), 4));
    await producer.close();

    const consumer = new Consumer({ bootstrapServers: broker.bootstrap, autoOffsetReset: 'earliest' });
    await consumer.assign([0, 1, 2, 3].map((partition) => ({ topic: 'orders', partition })));
    const messages = await readAll(consumer, 40);
    await consumer.close();
    assert.equal(messages.length, 40);
    for (const m of messages) {
      const i = (JSON.parse(m.value!.toString()) as { id: number }).id;
      assert.equal(m.key!.toString(), `order-${i}`);
      assert.equal(m.partition, results[i]!.partition);
      assert.equal(m.offset, results[i]!.offset);
      assert.deepEqual(
        m.headers.map((h) => [h.key, h.value!.toString()]),
        [
          ['source', 'test'],
          ['idx', String(i)],
        ],
      );
    }
  });

  test('every compression codec round-trips through the broker', async () => {
    await admin.createTopics([{ name: 'compressed', numPartitions: 1 }]);
    const codecs = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;
    for (const compression of codecs) {
      const producer = new Producer({ bootstrapServers: broker.bootstrap, idempotent: false, compression, lingerMs: 10 });
      await Promise.all(Array.from({ length: 20 }, (_, i) => producer.send({ topic: 'compressed', value: `${compression}:${i}:`.padEnd(200, 'x') })));
      await producer.close();
    }
    const consumer = new Consumer({ bootstrapServers: broker.bootstrap, autoOffsetReset: 'earliest' });
    await consumer.assign([{ topic: 'compressed', partition: 0 }]);
    const messages = await readAll(consumer, 100);
    await consumer.close();
    assert.equal(messages.length, 100);
    assert.deepEqual(
      messages.map((m) => m.value!.toString().split(':').slice(0, 2).join(':')),
      codecs.flatMap((c) => Array.from({ length: 20 }, (_, i) => `${c}:${i}`)),
    );
    assert.deepEqual(
      messages.map((m) => m.offset),
      Array.from({ length: 100 }, (_, i) => BigInt(i)),
    );
  });

  test('seek, pause/resume, auto.offset.reset latest, for await', async () => {
    await admin.createTopics([{ name: 'seeking', numPartitions: 2 }]);
    const producer = new Producer({ bootstrapServers: broker.bootstrap, idempotent: false, lingerMs: 0 });
    for (let i = 0; i < 10; i++) await producer.send({ topic: 'seeking', partition: i % 2, value: String(i) });

    const consumer = new Consumer({ bootstrapServers: broker.bootstrap, autoOffsetReset: 'latest', fetchMaxWaitMs: 100 });
    const p0 = { topic: 'seeking', partition: 0 };
    const p1 = { topic: 'seeking', partition: 1 };
    await consumer.assign([p0, p1]);
    assert.equal(await consumer.position(p0), 5n);
    assert.deepEqual(await consumer.poll({ timeoutMs: 200 }), []);

    consumer.seek(p0, 2n);
    consumer.seek(p1, 'earliest');
    consumer.pause([p1]);
    const fromP0 = await readAll(consumer, 3);
    assert.deepEqual(
      fromP0.map((m) => [m.partition, m.value!.toString()]),
      [
        [0, '4'],
        [0, '6'],
        [0, '8'],
      ],
    );
    assert.deepEqual(consumer.paused(), [p1]);
    consumer.resume([p1]);

    // New records arrive while iterating.
    setTimeout(() => void producer.send({ topic: 'seeking', partition: 0, value: 'late' }), 100);
    const seen: string[] = [];
    for await (const m of consumer) {
      seen.push(`${m.partition}:${m.value!.toString()}`);
      if (seen.length === 6) break;
    }
    assert.deepEqual(seen.filter((s) => s.startsWith('1:')), ['1:1', '1:3', '1:5', '1:7', '1:9']);
    assert.ok(seen.includes('0:late'));
    await consumer.close();
    await producer.close();
  });

  test('acks 0 and 1 reach the log; read_committed reads plain (non-transactional) records', async () => {
    await admin.createTopics([{ name: 'acks', numPartitions: 1 }]);
    const none = new Producer({ bootstrapServers: broker.bootstrap, idempotent: false, acks: 0, lingerMs: 0 });
    const meta = await none.send({ topic: 'acks', value: 'fire-and-forget' });
    assert.equal(meta.offset, -1n);
    await none.close();
    // No acknowledgement to wait for: watch the log end instead.
    for (let i = 0; i < 100; i++) {
      const [end] = await admin.listOffsets([{ topic: 'acks', partition: 0, spec: 'latest' }]);
      if (end!.offset === 1n) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    const leader = new Producer({ bootstrapServers: broker.bootstrap, idempotent: false, acks: 1, lingerMs: 0 });
    assert.equal((await leader.send({ topic: 'acks', value: 'leader-acked' })).offset, 1n);
    await leader.close();
    const consumer = new Consumer({ bootstrapServers: broker.bootstrap, autoOffsetReset: 'earliest', isolationLevel: 'read_committed' });
    await consumer.assign([{ topic: 'acks', partition: 0 }]);
    const messages = await readAll(consumer, 2);
    await consumer.close();
    assert.deepEqual(
      messages.map((m) => m.value!.toString()),
      ['fire-and-forget', 'leader-acked'],
    );
  });

  test('sending to a missing topic without auto-creation fails with a typed error', async () => {
    const producer = new Producer({ bootstrapServers: broker.bootstrap, idempotent: false, allowAutoTopicCreation: false, retries: 1, retryBackoffMs: 10 });
    await assert.rejects(producer.send({ topic: 'no-such-topic', value: 'x' }), (e: unknown) => KafkaProtocolError.is(e, 'UNKNOWN_TOPIC_OR_PARTITION'));
    await producer.close();
  });
});
