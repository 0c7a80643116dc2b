/**
 * Idempotent and transactional producing against a real Samsa broker, read
 * back with read_committed and read_uncommitted consumers; and the README's
 * order-system example end to end.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Broker } from '../index.js';
import { Admin } from './admin.js';
import { Producer } from './producer.js';
import { Consumer } from './consumer.js';
import { KafkaProtocolError } from './errors.js';
import type { ConsumerMessage } from './fetch-records.js';
import { runOrderSystem } from './examples/order-system.js';

let broker: Broker;
let admin: Admin;

before(async () => {
  broker = await Broker.start({ port: 0, config: { 'group.initial.rebalance.delay.ms': 0 } });
  admin = new Admin({ bootstrapServers: broker.bootstrap });
});

after(async () => {
  await admin.close();
  await broker.stop();
});

async function readAll(topic: string, isolationLevel: 'read_committed' | 'read_uncommitted', expected: number, partitions = 1): Promise<ConsumerMessage[]> {
  const consumer = new Consumer({ bootstrapServers: broker.bootstrap, autoOffsetReset: 'earliest', isolationLevel, fetchMaxWaitMs: 50 });
  await consumer.assign(Array.from({ length: partitions }, (_, partition) => ({ topic, partition })));
  const out: ConsumerMessage[] = [];
  const deadline = Date.now() + 3000;
  while (Date.now() < deadline && out.length < expected) out.push(...(await consumer.poll({ timeoutMs: 100 })));
  // Give anything unexpected a moment to show up.
  out.push(...(await consumer.poll({ timeoutMs: 200 })));
  await consumer.close();
  return out;
}

test('the default producer is idempotent: producer id and sequences on every batch', async () => {
  await admin.createTopics([{ name: 'idem', numPartitions: 2 }]);
  const producer = new Producer({ bootstrapServers: broker.bootstrap, lingerMs: 2 });
  const results = await Promise.all(Array.from({ length: 50 }, (_, i) => producer.send({ topic: 'idem', partition: i % 2, value: String(i) })));
  await producer.close();
  assert.deepEqual(
    results.filter((r) => r.partition === 0).map((r) => r.offset),
    Array.from({ length: 25 }, (_, i) => BigInt(i)),
  );
  const messages = await readAll('idem', 'read_uncommitted', 50, 2);
  assert.equal(messages.length, 50);
});

test('transactions: committed records are visible to read_committed, aborted ones are not', async () => {
  await admin.createTopics([{ name: 'txn', numPartitions: 1 }]);
  const producer = new Producer({ bootstrapServers: broker.bootstrap, transactionalId: 'txn-test-1', lingerMs: 1 });
  await producer.initTransactions();

  producer.beginTransaction();
  await producer.send({ topic: 'txn', value: 'committed-1' });
  await producer.send({ topic: 'txn', value: 'committed-2' });
  await producer.commitTransaction();

  producer.beginTransaction();
  await producer.send({ topic: 'txn', value: 'aborted-1' });
  await producer.abortTransaction();

  producer.beginTransaction();
  await producer.send({ topic: 'txn', value: 'committed-3' });
  await producer.commitTransaction();
  await producer.close();

  const committed = await readAll('txn', 'read_committed', 3);
  assert.deepEqual(
    committed.map((m) => m.value!.toString()),
    ['committed-1', 'committed-2', 'committed-3'],
  );
  const everything = await readAll('txn', 'read_uncommitted', 4);
  assert.deepEqual(
    everything.map((m) => m.value!.toString()),
    ['committed-1', 'committed-2', 'aborted-1', 'committed-3'],
  );
});

test('transactions: sends outside a transaction are refused; a second producer with the same id fences the first', async () => {
  await admin.createTopics([{ name: 'txn-fence', numPartitions: 1 }]);
  const first = new Producer({ bootstrapServers: broker.bootstrap, transactionalId: 'fence-me' });
  await first.initTransactions();
  await assert.rejects(first.send({ topic: 'txn-fence', value: 'x' }), /beginTransaction/);
  first.beginTransaction();
  await first.send({ topic: 'txn-fence', value: 'from-first' });

  const second = new Producer({ bootstrapServers: broker.bootstrap, transactionalId: 'fence-me' });
  await second.initTransactions(); // aborts the first's open transaction and bumps the epoch
  await assert.rejects(first.commitTransaction(), (e: unknown) => e instanceof KafkaProtocolError && !e.retriable);
  second.beginTransaction();
  await second.send({ topic: 'txn-fence', value: 'from-second' });
  await second.commitTransaction();
  await Promise.all([first.close({ timeoutMs: 1000 }), second.close()]);

  const visible = await readAll('txn-fence', 'read_committed', 1);
  assert.deepEqual(
    visible.map((m) => m.value!.toString()),
    ['from-second'],
  );
});

test('consume-transform-produce: offsets committed with the transaction', async () => {
  await admin.createTopics([
    { name: 'ctp-in', numPartitions: 1 },
    { name: 'ctp-out', numPartitions: 1 },
  ]);
  const seed = new Producer({ bootstrapServers: broker.bootstrap });
  await Promise.all(['a', 'b', 'c'].map((value) => seed.send({ topic: 'ctp-in', value })));
  await seed.close();

  const consumer = new Consumer({ bootstrapServers: broker.bootstrap, groupId: 'ctp', autoOffsetReset: 'earliest', enableAutoCommit: false, heartbeatIntervalMs: 100 });
  await consumer.subscribe(['ctp-in']);
  const producer = new Producer({ bootstrapServers: broker.bootstrap, transactionalId: 'ctp-1' });
  await producer.initTransactions();
  const input: ConsumerMessage[] = [];
  while (input.length < 3) input.push(...(await consumer.poll({ timeoutMs: 200 })));

  producer.beginTransaction();
  for (const m of input) await producer.send({ topic: 'ctp-out', value: m.value!.toString().toUpperCase() });
  await producer.sendOffsetsToTransaction([{ topic: 'ctp-in', partition: 0, offset: input[2]!.offset + 1n }], consumer.groupMetadata());
  await producer.commitTransaction();
  await producer.close();
  await consumer.close();

  const out = await readAll('ctp-out', 'read_committed', 3);
  assert.deepEqual(
    out.map((m) => m.value!.toString()),
    ['A', 'B', 'C'],
  );
  const [committed] = await admin.listConsumerGroupOffsets('ctp');
  assert.equal(committed!.offset, 3n);
});

test("the README's order system runs end to end", async () => {
  const lines: string[] = [];
  const handled = await runOrderSystem(broker.bootstrap, (line) => lines.push(line));
  assert.equal(handled.get('payment'), 10);
  assert.equal(handled.get('inventory'), 10);
  assert.equal(lines.filter((l) => l.startsWith('email:')).length, 9);
  const dead = await readAll('orders.dlq', 'read_uncommitted', 1);
  assert.equal(dead.length, 1);
  assert.equal((JSON.parse(dead[0]!.value!.toString()) as { id: number }).id, 7);
  assert.ok(dead[0]!.headers.some((h) => h.key === 'dlq.error.message' && /bad address/.test(h.value!.toString())));
});
