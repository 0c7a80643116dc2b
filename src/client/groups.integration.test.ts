/**
 * Consumer groups against a real Samsa broker: joining, assignors, rebalances
 * on join and leave, commits, the group admin calls, and the dead-letter queue.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Broker } from '../index.js';
import { Admin } from './admin.js';
import { Producer } from './producer.js';
import { Consumer, type ConsumerOptions } from './consumer.js';
import { KafkaProtocolError } from './errors.js';
import type { ConsumerMessage } from './fetch-records.js';
import type { TopicPartition } from './consumer-protocol.js';

let broker: Broker;
let admin: Admin;
let producer: Producer;

before(async () => {
  broker = await Broker.start({ port: 0, config: { 'group.initial.rebalance.delay.ms': 0 } });
  admin = new Admin({ bootstrapServers: broker.bootstrap });
  producer = new Producer({ bootstrapServers: broker.bootstrap, idempotent: false, lingerMs: 1 });
});

after(async () => {
  await producer.close();
  await admin.close();
  await broker.stop();
});

function consumer(groupId: string, extra: Partial<ConsumerOptions> = {}): Consumer {
  return new Consumer({
    bootstrapServers: broker.bootstrap,
    groupId,
    autoOffsetReset: 'earliest',
    heartbeatIntervalMs: 100,
    sessionTimeoutMs: 6000,
    fetchMaxWaitMs: 100,
    ...extra,
  });
}

async function produce(topic: string, count: number, from = 0): Promise<void> {
  await Promise.all(Array.from({ length: count }, (_, i) => producer.send({ topic, key: `k${from + i}`, value: String(from + i) })));
}

/** Polls every consumer until `count` messages arrived in total. */
async function drain(consumers: Consumer[], count: number, timeoutMs = 15_000): Promise<ConsumerMessage[]> {
  const out: ConsumerMessage[] = [];
  const deadline = Date.now() + timeoutMs;
  while (out.length < count && Date.now() < deadline) {
    const batches = await Promise.all(consumers.map((c) => c.poll({ timeoutMs: 100 })));
    for (const b of batches) out.push(...b);
  }
  return out;
}

async function until(check: () => boolean, timeoutMs = 15_000, poll: Consumer[] = []): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out waiting for a condition');
    if (poll.length > 0) await Promise.all(poll.map((c) => c.poll({ timeoutMs: 50 })));
    else await new Promise((r) => setTimeout(r, 50));
  }
}

function keys(tps: TopicPartition[]): string[] {
  return tps.map((t) => `${t.topic}-${t.partition}`).sort();
}

test('two members share a topic (range), each message once; a leaving member hands over its partitions', async () => {
  await admin.createTopics([{ name: 'g-range', numPartitions: 4 }]);
  await produce('g-range', 40);
  const a = consumer('range-group', { partitionAssignors: ['range'] });
  const b = consumer('range-group', { partitionAssignors: ['range'] });
  await a.subscribe(['g-range']);
  await b.subscribe(['g-range']);
  await until(() => a.assignment().length === 2 && b.assignment().length === 2, 15_000, [a, b]);
  assert.deepEqual([...keys(a.assignment()), ...keys(b.assignment())].sort(), ['g-range-0', 'g-range-1', 'g-range-2', 'g-range-3']);

  const first = await drain([a, b], 40);
  assert.equal(first.length, 40);
  assert.equal(new Set(first.map((m) => `${m.partition}:${m.offset}`)).size, 40);
  await a.commit();
  await b.commit();

  // b leaves (LeaveGroup): a takes over all four partitions at once, from the committed offsets.
  await b.close();
  await until(() => a.assignment().length === 4, 15_000, [a]);
  await produce('g-range', 8, 40);
  const second = await drain([a], 8);
  assert.deepEqual(second.map((m) => Number(m.value!.toString())).sort((x, y) => x - y), [40, 41, 42, 43, 44, 45, 46, 47]);
  await a.close();

  const offsets = await admin.listConsumerGroupOffsets('range-group');
  assert.equal(offsets.reduce((n, o) => n + Number(o.offset), 0), 48);
});

test('cooperative-sticky: a joining member takes partitions without anyone losing the ones it keeps', async () => {
  await admin.createTopics([{ name: 'g-coop', numPartitions: 6 }]);
  const revoked: string[] = [];
  const a = consumer('coop-group', {
    partitionAssignors: ['cooperative-sticky'],
    onPartitionsRevoked: (tps) => void revoked.push(...keys(tps)),
  });
  await a.subscribe(['g-coop']);
  await until(() => a.assignment().length === 6, 15_000, [a]);
  const b = consumer('coop-group', { partitionAssignors: ['cooperative-sticky'] });
  const joining = b.subscribe(['g-coop']);
  await until(() => a.assignment().length === 3 && b.assignment().length === 3, 20_000, [a]);
  await joining;
  // a gave up exactly the three that moved, and kept the rest throughout.
  assert.equal(revoked.length, 3);
  assert.deepEqual(keys([...a.assignment(), ...b.assignment()]), [0, 1, 2, 3, 4, 5].map((p) => `g-coop-${p}`));
  assert.equal(revoked.filter((k) => keys(a.assignment()).includes(k)).length, 0);
  await Promise.all([a.close(), b.close()]);
});

test('a member that stops reading for max.poll.interval.ms leaves; the other takes over', async () => {
  await admin.createTopics([{ name: 'g-slow', numPartitions: 2 }]);
  const slow = consumer('slow-group', { partitionAssignors: ['roundrobin'], maxPollIntervalMs: 600 });
  const busy = consumer('slow-group', { partitionAssignors: ['roundrobin'] });
  await slow.subscribe(['g-slow']);
  await busy.subscribe(['g-slow']);
  await until(() => slow.assignment().length === 1 && busy.assignment().length === 1, 15_000, [slow, busy]);
  // Only `busy` keeps polling from here on.
  await until(() => busy.assignment().length === 2, 15_000, [busy]);
  assert.deepEqual(slow.assignment(), []);
  // Polling again rejoins; unsubscribe() leaves for good.
  await until(() => slow.assignment().length === 1, 15_000, [slow, busy]);
  await slow.unsubscribe();
  assert.deepEqual(slow.assignment(), []);
  await until(() => busy.assignment().length === 2, 15_000, [busy]);
  await Promise.all([slow.close(), busy.close()]);
});

test('a topic created after subscribe() is picked up by the group leader', async () => {
  const c = consumer('late-group', { partitionAssignors: ['range'], metadataMaxAgeMs: 200 });
  await c.subscribe(['g-late']);
  assert.deepEqual(c.assignment(), []);
  await admin.createTopics([{ name: 'g-late', numPartitions: 2 }]);
  await producer.send({ topic: 'g-late', partition: 1, value: 'hello' });
  const [m] = await drain([c], 1);
  assert.equal(m!.value!.toString(), 'hello');
  assert.equal(c.assignment().length, 2);
  await c.close();
});

test('static membership: a restarted member with the same group.instance.id gets its partitions back', async () => {
  await admin.createTopics([{ name: 'g-static', numPartitions: 4 }]);
  const a = consumer('static-group', { groupInstanceId: 'instance-a', partitionAssignors: ['range'] });
  const b = consumer('static-group', { groupInstanceId: 'instance-b', partitionAssignors: ['range'] });
  await Promise.all([a.subscribe(['g-static']), b.subscribe(['g-static'])]);
  await until(() => a.assignment().length === 2 && b.assignment().length === 2, 15_000, [a, b]);
  const before = keys(a.assignment());
  const bBefore = keys(b.assignment());
  await a.close(); // a static member does not send LeaveGroup
  const [described] = await admin.describeGroups(['static-group']);
  assert.equal(described!.members.length, 2);
  const again = consumer('static-group', { groupInstanceId: 'instance-a', partitionAssignors: ['range'] });
  await again.subscribe(['g-static']);
  await until(() => again.assignment().length === 2, 15_000, [again, b]);
  assert.deepEqual(keys(again.assignment()), before);
  assert.deepEqual(keys(b.assignment()), bBefore);
  await Promise.all([again.close(), b.close()]);
});

test('auto-commit on close; a new member resumes after the committed offset; for await', async () => {
  await admin.createTopics([{ name: 'g-resume', numPartitions: 1 }]);
  await produce('g-resume', 10);
  const a = consumer('resume-group', { partitionAssignors: ['roundrobin'] });
  await a.subscribe(['g-resume']);
  let n = 0;
  for await (const m of a) {
    assert.equal(m.offset, BigInt(n));
    if (++n === 6) break;
  }
  await a.close(); // commits offset 6: the six messages were handled
  const [committed] = await admin.listConsumerGroupOffsets('resume-group');
  assert.equal(committed!.offset, 6n);

  const b = consumer('resume-group', { partitionAssignors: ['sticky'] });
  await b.subscribe(['g-resume']);
  const rest = await drain([b], 4);
  assert.deepEqual(
    rest.map((m) => m.offset),
    [6n, 7n, 8n, 9n],
  );
  await b.close();
});

test('admin: list, describe, alter, reset and delete group offsets, delete group', async () => {
  await admin.createTopics([{ name: 'g-admin', numPartitions: 2 }]);
  await produce('g-admin', 20);
  const c = consumer('admin-group', { clientId: 'admin-test-client', partitionAssignors: ['range'] });
  await c.subscribe(['g-admin']);
  await drain([c], 20);
  await c.commit();

  const groups = await admin.listGroups();
  const listed = groups.find((g) => g.groupId === 'admin-group');
  assert.equal(listed?.protocolType, 'consumer');
  const [described] = await admin.describeGroups(['admin-group']);
  assert.equal(described!.state, 'Stable');
  assert.equal(described!.protocol, 'range');
  assert.equal(described!.members.length, 1);
  assert.equal(described!.members[0]!.clientId, 'admin-test-client');
  assert.deepEqual(described!.members[0]!.subscription, ['g-admin']);
  assert.deepEqual(keys(described!.members[0]!.assignment!), ['g-admin-0', 'g-admin-1']);

  // Offsets of an active group cannot be altered by the admin.
  await assert.rejects(admin.alterConsumerGroupOffsets('admin-group', [{ topic: 'g-admin', partition: 0, offset: 0n }]), KafkaProtocolError);
  await c.close();

  await admin.alterConsumerGroupOffsets('admin-group', [{ topic: 'g-admin', partition: 0, offset: 1n }]);
  let offsets = await admin.listConsumerGroupOffsets('admin-group', { topics: ['g-admin'] });
  assert.equal(offsets.find((o) => o.partition === 0)!.offset, 1n);

  const reset = await admin.resetConsumerGroupOffsets('admin-group', 'g-admin', 'earliest');
  assert.deepEqual(
    reset.map((o) => o.offset),
    [0n, 0n],
  );
  const latest = await admin.resetConsumerGroupOffsets('admin-group', 'g-admin', 'latest');
  assert.equal(latest.reduce((n, o) => n + o.offset, 0n), 20n);

  await admin.deleteConsumerGroupOffsets('admin-group', [{ topic: 'g-admin', partition: 1 }]);
  offsets = await admin.listConsumerGroupOffsets('admin-group', { topics: ['g-admin'] });
  assert.equal(offsets.find((o) => o.partition === 1)!.offset, -1n);

  await admin.deleteGroups(['admin-group']);
  assert.ok(!(await admin.listGroups()).some((g) => g.groupId === 'admin-group'));
});

test('run() with eachBatch: one call per partition batch, offsets committed after it; assignment callback', async () => {
  await admin.createTopics([{ name: 'g-batch', numPartitions: 2 }]);
  await Promise.all(Array.from({ length: 30 }, (_, i) => producer.send({ topic: 'g-batch', partition: i % 2, value: String(i) })));
  const assigned: string[] = [];
  const c = consumer('batch-group', { onPartitionsAssigned: (tps) => void assigned.push(...keys(tps)) });
  await c.subscribe(['g-batch']);
  assert.deepEqual(assigned, ['g-batch-0', 'g-batch-1']);
  const batches: Array<{ partition: number; count: number }> = [];
  let seen = 0;
  const running = c.run({
    eachBatch: async ({ partition, messages }) => {
      assert.ok(messages.every((m) => m.partition === partition));
      batches.push({ partition, count: messages.length });
      seen += messages.length;
    },
  });
  await until(() => seen === 30);
  await c.close();
  await running;
  assert.ok(batches.length >= 2);
  const offsets = await admin.listConsumerGroupOffsets('batch-group');
  assert.deepEqual(
    offsets.map((o) => o.offset),
    [15n, 15n],
  );
  assert.ok((await admin.listTopics({ includeInternal: true })).includes('__consumer_offsets'));
  assert.ok(!(await admin.listTopics()).includes('__consumer_offsets'));
});

test('dead-letter queue: a failing handler is retried, then parked with its error and source, and committed', async () => {
  await admin.createTopics([
    { name: 'g-dlq', numPartitions: 1 },
    { name: 'g-dlq.dlq', numPartitions: 1 },
  ]);
  await producer.send({ topic: 'g-dlq', key: 'ok-1', value: 'fine' });
  await producer.send({ topic: 'g-dlq', key: 'bad', value: 'poison', headers: { trace: 'abc' } });
  await producer.send({ topic: 'g-dlq', key: 'ok-2', value: 'fine' });
  const attempts = new Map<string, number>();
  const handled: string[] = [];
  const c = consumer('dlq-group', { deadLetter: { retries: 2, backoffMs: 10, producer } });
  await c.subscribe(['g-dlq']);
  const running = c.run({
    eachMessage: async (m) => {
      const key = m.key!.toString();
      attempts.set(key, (attempts.get(key) ?? 0) + 1);
      if (m.value!.toString() === 'poison') throw new Error('cannot parse order');
      handled.push(key);
    },
  });
  await until(() => handled.length === 2);
  assert.deepEqual(handled, ['ok-1', 'ok-2']);
  assert.equal(attempts.get('bad'), 3);

  const reader = new Consumer({ bootstrapServers: broker.bootstrap, autoOffsetReset: 'earliest' });
  await reader.assign([{ topic: 'g-dlq.dlq', partition: 0 }]);
  const [dead] = await drain([reader], 1);
  await reader.close();
  assert.equal(dead!.key!.toString(), 'bad');
  assert.equal(dead!.value!.toString(), 'poison');
  const headers = Object.fromEntries(dead!.headers.map((h) => [h.key, h.value?.toString()]));
  assert.equal(headers['trace'], 'abc');
  assert.equal(headers['dlq.error.message'], 'cannot parse order');
  assert.equal(headers['dlq.error.name'], 'Error');
  assert.equal(headers['dlq.attempts'], '3');
  assert.equal(headers['dlq.source.topic'], 'g-dlq');
  assert.equal(headers['dlq.source.partition'], '0');
  assert.equal(headers['dlq.source.offset'], '1');

  await c.close();
  await running;
  const [committed] = await admin.listConsumerGroupOffsets('dlq-group');
  assert.equal(committed!.offset, 3n);
});
