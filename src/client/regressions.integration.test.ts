/**
 * Regression tests, against a real Samsa broker in this process, for client
 * bugs found by the CLI: flush() covering sends still connecting, a close()
 * that must not move a committed offset backwards, and timestampType on
 * consumed messages.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Broker } from '../index.js';
import { Admin } from './admin.js';
import { Producer, type RecordMetadata } from './producer.js';
import { Consumer } from './consumer.js';
import type { ConsumerMessage } from './fetch-records.js';
import { formatRecord, formatterConfig } from '../cli/tools/lib/formatter.js';

let broker: Broker;
let admin: Admin;

before(async () => {
  broker = await Broker.start({ port: 0 });
  admin = new Admin({ bootstrapServers: broker.bootstrap, clientId: 'regressions-admin' });
});

after(async () => {
  await admin.close();
  await broker.stop();
});

async function produce(topic: string, count: number): Promise<void> {
  const producer = new Producer({ bootstrapServers: broker.bootstrap });
  try {
    await producer.sendBatch(Array.from({ length: count }, (_, i) => ({ topic, value: `m${i}` })));
  } finally {
    await producer.close();
  }
}

async function readAll(consumer: Consumer, count: number, timeoutMs = 10_000): Promise<ConsumerMessage[]> {
  const out: ConsumerMessage[] = [];
  const deadline = Date.now() + timeoutMs;
  while (out.length < count && Date.now() < deadline) out.push(...(await consumer.poll({ timeoutMs: 200 })));
  return out;
}

async function committedOffset(groupId: string, topic: string): Promise<bigint> {
  const offsets = await admin.listConsumerGroupOffsets(groupId, { topics: [topic] });
  return offsets.find((o) => o.topic === topic && o.partition === 0)?.offset ?? -1n;
}

test('flush() waits for sends still connecting and looking up metadata; close() right after loses nothing', async () => {
  await admin.createTopics([{ name: 'reg-flush', numPartitions: 2 }]);
  // A fresh producer: every send below goes through connect + InitProducerId + metadata first.
  const producer = new Producer({ bootstrapServers: broker.bootstrap, lingerMs: 1000 });
  const settled: Array<RecordMetadata | Error> = [];
  const sends = Array.from({ length: 20 }, (_, i) =>
    producer.send({ topic: 'reg-flush', key: `k${i}`, value: `v${i}` }).then(
      (m) => void settled.push(m),
      (e: unknown) => void settled.push(e instanceof Error ? e : new Error(String(e))),
    ),
  );
  await producer.flush();
  assert.equal(settled.length, 20, 'flush() resolved before the records sent before it were acknowledged');
  // A second batch of slow-path sends (a topic not looked up yet), then close() at once.
  await admin.createTopics([{ name: 'reg-flush-2', numPartitions: 1 }]);
  const more = Array.from({ length: 5 }, (_, i) => producer.send({ topic: 'reg-flush-2', value: `w${i}` }));
  await producer.close();
  const results = await Promise.allSettled(more);
  await Promise.all(sends);
  const errors = [...settled.filter((s): s is Error => s instanceof Error), ...results.flatMap((r) => (r.status === 'rejected' ? [String(r.reason)] : []))];
  assert.deepEqual(errors, []);
  const offsets = await admin.fetchTopicOffsets('reg-flush');
  assert.equal(offsets.reduce((sum, p) => sum + Number(p.high), 0), 20);
  const offsets2 = await admin.fetchTopicOffsets('reg-flush-2');
  assert.equal(Number(offsets2[0]!.high), 5);
});

test('close() after poll() never moves a newer commit() backwards', async () => {
  await admin.createTopics([{ name: 'reg-commit', numPartitions: 1 }]);
  await produce('reg-commit', 10);
  const tp = { topic: 'reg-commit', partition: 0 };

  // An awaited explicit commit beyond what poll() handed out.
  const first = new Consumer({ bootstrapServers: broker.bootstrap, groupId: 'reg-commit-a', autoOffsetReset: 'earliest' });
  await first.assign([tp]);
  const got = await first.poll({ timeoutMs: 5000, maxRecords: 5 });
  assert.deepEqual(
    got.map((m) => m.offset),
    [0n, 1n, 2n, 3n, 4n],
  );
  await first.commit([{ ...tp, offset: 8n }]);
  await first.close();
  assert.equal(await committedOffset('reg-commit-a', 'reg-commit'), 8n);

  // The same with the commit still in flight when close() starts.
  const second = new Consumer({ bootstrapServers: broker.bootstrap, groupId: 'reg-commit-b', autoOffsetReset: 'earliest' });
  await second.assign([tp]);
  assert.equal((await second.poll({ timeoutMs: 5000, maxRecords: 3 })).length, 3);
  const pending = second.commit([{ ...tp, offset: 9n }]);
  await second.close();
  await pending;
  assert.equal(await committedOffset('reg-commit-b', 'reg-commit'), 9n);

  // Consumed beyond the last commit is still committed on close.
  const third = new Consumer({ bootstrapServers: broker.bootstrap, groupId: 'reg-commit-c', autoOffsetReset: 'earliest' });
  await third.assign([tp]);
  assert.equal((await third.poll({ timeoutMs: 5000, maxRecords: 4 })).length, 4);
  await third.commit([{ ...tp, offset: 2n }]);
  await third.close();
  assert.equal(await committedOffset('reg-commit-c', 'reg-commit'), 4n);
});

test('consumed messages say whether their timestamp is CreateTime or LogAppendTime', async () => {
  await admin.createTopics([
    { name: 'reg-ts-create', numPartitions: 1 },
    { name: 'reg-ts-append', numPartitions: 1, configs: { 'message.timestamp.type': 'LogAppendTime' } },
  ]);
  const producer = new Producer({ bootstrapServers: broker.bootstrap });
  const before = Date.now();
  const old = before - 3_600_000;
  await producer.send({ topic: 'reg-ts-create', value: 'c', timestamp: old });
  await producer.send({ topic: 'reg-ts-append', value: 'a', timestamp: old });
  await producer.close();

  const consumer = new Consumer({ bootstrapServers: broker.bootstrap, autoOffsetReset: 'earliest' });
  try {
    await consumer.assign([
      { topic: 'reg-ts-create', partition: 0 },
      { topic: 'reg-ts-append', partition: 0 },
    ]);
    const messages = await readAll(consumer, 2);
    const create = messages.find((m) => m.topic === 'reg-ts-create')!;
    const append = messages.find((m) => m.topic === 'reg-ts-append')!;
    assert.equal(create.timestampType, 'CreateTime');
    assert.equal(create.timestamp, old);
    assert.equal(append.timestampType, 'LogAppendTime');
    assert.ok(append.timestamp >= before, `append time ${append.timestamp} is the broker's, not the producer's ${old}`);
    // What kafka-console-consumer --property print.timestamp=true prints for them.
    const cfg = formatterConfig(new Map([['print.timestamp', 'true']]));
    assert.equal(formatRecord(cfg, create).toString(), `CreateTime:${old}\tc\n`);
    assert.equal(formatRecord(cfg, append).toString(), `LogAppendTime:${append.timestamp}\ta\n`);
  } finally {
    await consumer.close();
  }
});
