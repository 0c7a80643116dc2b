/**
 * Consumer groups end to end with kafkajs against the embedded broker:
 * three members share six partitions (full coverage, no overlap), a member
 * leaves and the rest take over, committed offsets resume exactly after both
 * the consumer and the broker restart, and the article's order system
 * (payment, inventory and email groups each see every order once).
 *
 * Waits are on conditions (polling the broker through the admin API or the
 * consumers' own records), never fixed sleeps.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AssignerProtocol, Kafka, logLevel, type Consumer, type ConsumerConfig } from 'kafkajs';
import { Broker } from '../../src/index.js';

const PARTITIONS = 6;
/** Faster than Kafka's defaults so a test rebalances in well under a second. */
const brokerConfig = { 'group.initial.rebalance.delay.ms': 200 };
const consumerTuning: Omit<ConsumerConfig, 'groupId'> = {
  sessionTimeout: 6_000,
  rebalanceTimeout: 10_000,
  heartbeatInterval: 300,
  maxWaitTimeInMs: 200,
  retry: { initialRetryTime: 100, retries: 10 },
};

async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last === undefined ? '' : `: ${String(last)}`}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function kafkaFor(broker: Broker, clientId: string): Kafka {
  return new Kafka({ brokers: [broker.bootstrap], clientId, logLevel: logLevel.NOTHING, retry: { initialRetryTime: 100, retries: 10 } });
}

/** The group's assignment as the coordinator holds it, once Stable with `members` members. */
async function stableAssignment(kafka: Kafka, groupId: string, members: number): Promise<Map<string, number[]>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return await waitFor(`${groupId} stable with ${members} members`, async () => {
      const { groups } = await admin.describeGroups([groupId]);
      const g = groups[0];
      if (g === undefined || g.state !== 'Stable' || g.members.length !== members) return undefined;
      const out = new Map<string, number[]>();
      for (const m of g.members) {
        const decoded = AssignerProtocol.MemberAssignment.decode(m.memberAssignment);
        out.set(m.memberId, (decoded?.assignment['orders'] ?? []).slice().sort((a, b) => a - b));
      }
      return out;
    });
  } finally {
    await admin.disconnect();
  }
}

function assertCoverage(assignment: Map<string, number[]>): void {
  const all = [...assignment.values()].flat().sort((a, b) => a - b);
  assert.deepEqual(all, Array.from({ length: PARTITIONS }, (_, i) => i), `full coverage, no overlap: ${JSON.stringify([...assignment])}`);
  for (const partitions of assignment.values()) assert.ok(partitions.length > 0, 'every member has work');
}

async function createOrders(kafka: Kafka): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: 'orders', numPartitions: PARTITIONS }] });
  await admin.disconnect();
}

async function produce(kafka: Kafka, from: number, count: number): Promise<void> {
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({
    topic: 'orders',
    acks: -1,
    messages: Array.from({ length: count }, (_, i) => ({ key: `customer-${(from + i) % 17}`, value: `order-${from + i}` })),
  });
  await producer.disconnect();
}

/** A consumer that records what it receives, by value. */
async function startConsumer(kafka: Kafka, groupId: string, seen: string[], owner?: Map<string, string>, name?: string): Promise<Consumer> {
  const consumer = kafka.consumer({ groupId, ...consumerTuning });
  await consumer.connect();
  await consumer.subscribe({ topic: 'orders', fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const value = message.value!.toString();
      seen.push(value);
      if (owner !== undefined && name !== undefined) owner.set(value, name);
    },
  });
  return consumer;
}

function assertExactlyOnce(seen: string[], from: number, count: number, what: string): void {
  const sorted = [...seen].sort();
  const expected = Array.from({ length: count }, (_, i) => `order-${from + i}`).sort();
  assert.deepEqual(sorted, expected, `${what}: every order once`);
}

test('groups: three members share six partitions, one leaves and the others take over', async () => {
  const broker = await Broker.start({ config: brokerConfig });
  const kafka = kafkaFor(broker, 'groups-e2e');
  const consumers: Consumer[] = [];
  try {
    await createOrders(kafka);
    const seen: string[] = [];
    const startedMs = Date.now();
    for (let i = 0; i < 3; i++) consumers.push(await startConsumer(kafka, 'payment', seen));
    const three = await stableAssignment(kafka, 'payment', 3);
    assertCoverage(three);
    for (const partitions of three.values()) assert.equal(partitions.length, 2);
    const firstStableMs = Date.now() - startedMs;

    await produce(kafka, 0, 60);
    await waitFor('60 orders consumed', () => (seen.length >= 60 ? true : undefined));
    assertExactlyOnce(seen, 0, 60, 'three members');

    // One member leaves (LeaveGroup on disconnect): the other two take all six partitions.
    const leaveMs = Date.now();
    await consumers.shift()!.disconnect();
    const two = await stableAssignment(kafka, 'payment', 2);
    assertCoverage(two);
    const takeoverMs = Date.now() - leaveMs;
    assert.ok(takeoverMs < consumerTuning.sessionTimeout!, `takeover within the session timeout (${takeoverMs} ms)`);

    seen.length = 0;
    await produce(kafka, 60, 60);
    await waitFor('the next 60 orders consumed', () => (seen.length >= 60 ? true : undefined));
    assertExactlyOnce(seen, 60, 60, 'two members');
    process.stdout.write(`# groups: first Stable generation after ${firstStableMs} ms, takeover after a leave in ${takeoverMs} ms\n`);
  } finally {
    for (const c of consumers) await c.disconnect().catch(() => undefined);
    await broker.stop();
  }
});

test('groups: committed offsets resume exactly after restarting both consumer and broker', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'samsa-groups-'));
  let broker = await Broker.start({ dataDir, config: brokerConfig });
  try {
    let kafka = kafkaFor(broker, 'resume-e2e');
    await createOrders(kafka);
    await produce(kafka, 0, 50);
    const seen: string[] = [];
    const consumer = await startConsumer(kafka, 'inventory', seen);
    await waitFor('50 orders consumed', () => (seen.length >= 50 ? true : undefined));
    const admin = kafka.admin();
    await admin.connect();
    // kafkajs commits after each batch; wait until every partition's commit reached its end.
    const ends = new Map((await admin.fetchTopicOffsets('orders')).map((o) => [o.partition, o.high]));
    await waitFor('offsets committed', async () => {
      const [committed] = await admin.fetchOffsets({ groupId: 'inventory', topics: ['orders'] });
      return committed!.partitions.every((p) => p.offset === ends.get(p.partition)) ? true : undefined;
    });
    await admin.disconnect();
    await consumer.disconnect();
    assertExactlyOnce(seen, 0, 50, 'before the restart');

    await broker.stop();
    broker = await Broker.start({ dataDir, config: brokerConfig });
    kafka = kafkaFor(broker, 'resume-e2e');
    const admin2 = kafka.admin();
    await admin2.connect();
    const [afterRestart] = await admin2.fetchOffsets({ groupId: 'inventory', topics: ['orders'] });
    for (const p of afterRestart!.partitions) assert.equal(p.offset, ends.get(p.partition), `partition ${p.partition} offset survived`);
    const { groups } = await admin2.listGroups();
    assert.deepEqual(groups.map((g) => g.groupId), ['inventory']);
    await admin2.disconnect();

    await produce(kafka, 50, 30);
    const resumed: string[] = [];
    const again = await startConsumer(kafka, 'inventory', resumed);
    try {
      await waitFor('30 new orders consumed', () => (resumed.length >= 30 ? true : undefined));
      // Give a duplicate from the old offsets a chance to show up: every partition must be at its end.
      const admin3 = kafka.admin();
      await admin3.connect();
      const newEnds = new Map((await admin3.fetchTopicOffsets('orders')).map((o) => [o.partition, o.high]));
      await waitFor('resumed consumer committed to the end', async () => {
        const [committed] = await admin3.fetchOffsets({ groupId: 'inventory', topics: ['orders'] });
        return committed!.partitions.every((p) => p.offset === newEnds.get(p.partition)) ? true : undefined;
      });
      await admin3.disconnect();
      assertExactlyOnce(resumed, 50, 30, 'after the restart');
    } finally {
      await again.disconnect();
    }
  } finally {
    await broker.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('groups: the order system — payment, inventory and email each receive every order once', async () => {
  const broker = await Broker.start({ config: brokerConfig });
  const kafka = kafkaFor(broker, 'orders-e2e');
  const consumers: Consumer[] = [];
  try {
    await createOrders(kafka);
    const services = ['payment', 'inventory', 'email'] as const;
    const seen = new Map<string, string[]>(services.map((s) => [s, []]));
    for (const service of services) {
      // Two instances of each service, scaled out in one consumer group.
      for (let i = 0; i < 2; i++) consumers.push(await startConsumer(kafka, service, seen.get(service)!));
    }
    for (const service of services) assertCoverage(await stableAssignment(kafka, service, 2));

    const ORDERS = 300;
    for (let batch = 0; batch < 3; batch++) await produce(kafka, batch * 100, 100);
    for (const service of services) {
      await waitFor(`${service} got ${ORDERS} orders`, () => (seen.get(service)!.length >= ORDERS ? true : undefined));
    }
    // Let any duplicate arrive before judging: wait until each group's commits reach the end of every partition.
    const admin = kafka.admin();
    await admin.connect();
    const ends = new Map((await admin.fetchTopicOffsets('orders')).map((o) => [o.partition, o.high]));
    for (const service of services) {
      await waitFor(`${service} committed`, async () => {
        const [committed] = await admin.fetchOffsets({ groupId: service, topics: ['orders'] });
        return committed!.partitions.every((p) => p.offset === ends.get(p.partition)) ? true : undefined;
      });
      assertExactlyOnce(seen.get(service)!, 0, ORDERS, service);
    }
    const { groups } = await admin.listGroups();
    assert.deepEqual(groups.map((g) => g.groupId).sort(), ['email', 'inventory', 'payment']);
    await admin.disconnect();
  } finally {
    for (const c of consumers) await c.disconnect().catch(() => undefined);
    await broker.stop();
  }
});
