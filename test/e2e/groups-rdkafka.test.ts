/**
 * Consumer groups with node-rdkafka (librdkafka), each member its own
 * KafkaConsumer in this process. The scenarios are groups-support.ts's.
 *
 * node-rdkafka is a test-only client installed in test/compat
 * (`npm --prefix test/compat ci`, which `.ci/run` does); without it these
 * tests fail rather than skip. Only node-rdkafka's asynchronous calls are
 * used: the broker runs on this event loop, so a blocking call such as
 * commitSync would wait for an answer the broker could never send.
 */
import { test } from 'node:test';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import {
  applyRebalance,
  cooperativeRebalance,
  resumeAfterRestart,
  shareAndLeave,
  staticRestart,
  TOPIC,
  waitFor,
  type GroupMember,
  type RebalanceEvent,
  type ReceivedRecord,
  type StartMember,
} from './groups-support.js';

/** Compiled tests live in dist/test/e2e; the module is in the source tree's test/compat. */
const RDKAFKA_PATH = fileURLToPath(new URL('../../../test/compat/node_modules/node-rdkafka', import.meta.url));
const ERR_ASSIGN_PARTITIONS = -175;
const ERR_REVOKE_PARTITIONS = -174;
const DISCONNECT_TIMEOUT_MS = 10_000;

/** The part of node-rdkafka's API these tests use. */
interface RdError {
  readonly code: number;
  readonly message: string;
}
interface RdTopicPartition {
  readonly topic: string;
  readonly partition: number;
  readonly offset?: number;
}
interface RdMessage {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly value: Buffer | null;
}
interface RdConsumer {
  connect(options: object, callback: (err: RdError | null) => void): void;
  subscribe(topics: string[]): void;
  consume(): void;
  commit(offsets: RdTopicPartition[]): void;
  disconnect(callback: (err: RdError | null) => void): void;
  on(event: string, listener: (...args: never[]) => void): void;
}
interface RdkafkaModule {
  readonly librdkafkaVersion: string;
  readonly KafkaConsumer: new (config: Record<string, string | number | boolean>, topicConfig: Record<string, string | number | boolean>) => RdConsumer;
}

let rdkafka: RdkafkaModule | undefined;

function loadRdkafka(): RdkafkaModule {
  if (rdkafka !== undefined) return rdkafka;
  try {
    rdkafka = createRequire(import.meta.url)(RDKAFKA_PATH) as RdkafkaModule;
  } catch (err) {
    throw new Error(`node-rdkafka is not installed in test/compat (run \`npm --prefix test/compat ci\`): ${(err as Error).message}`);
  }
  process.stdout.write(`# node-rdkafka with librdkafka ${rdkafka.librdkafkaVersion}\n`);
  return rdkafka;
}

const startRdkafkaMember: StartMember = async (bootstrap, name, options) => {
  const { KafkaConsumer } = loadRdkafka();
  const cooperative = options.cooperative === true;
  const config: Record<string, string | number | boolean> = {
    'bootstrap.servers': bootstrap,
    'group.id': options.group,
    'client.id': name,
    'session.timeout.ms': options.sessionTimeoutMs,
    'heartbeat.interval.ms': 300,
    'enable.auto.commit': false,
    'fetch.wait.max.ms': 100,
    // node-rdkafka applies assign/unassign (incremental ones when cooperative) itself and emits 'rebalance' first.
    rebalance_cb: true,
    offset_commit_cb: true,
    // Errors surface through the member's own checks; connection chatter during broker restarts is expected.
    log_level: 0,
  };
  if (options.instanceId !== undefined) config['group.instance.id'] = options.instanceId;
  if (cooperative) config['partition.assignment.strategy'] = 'cooperative-sticky';
  const consumer = new KafkaConsumer(config, { 'auto.offset.reset': 'earliest' });

  let assignment: number[] = [];
  const events: RebalanceEvent[] = [];
  const records: ReceivedRecord[] = [];
  const commits: Array<{ err: RdError | null | undefined; offsets: RdTopicPartition[] }> = [];
  consumer.on('rebalance', (err: RdError, partitions: RdTopicPartition[]) => {
    const kind = err.code === ERR_ASSIGN_PARTITIONS ? 'assign' : err.code === ERR_REVOKE_PARTITIONS ? 'revoke' : null;
    if (kind === null) return;
    const event = { kind, partitions: partitions.filter((p) => p.topic === TOPIC).map((p) => p.partition).sort((a, b) => a - b) } as const;
    events.push(event);
    assignment = applyRebalance(assignment, event, cooperative);
  });
  consumer.on('data', (message: RdMessage) => {
    records.push({ partition: message.partition, offset: message.offset, value: message.value?.toString() ?? '' });
  });
  consumer.on('offset.commit', (err: RdError | null | undefined, offsets: RdTopicPartition[]) => {
    commits.push({ err, offsets });
  });

  await new Promise<void>((resolve, reject) => consumer.connect({}, (err) => (err === null ? resolve() : reject(new Error(`${name}: ${err.message}`)))));
  consumer.subscribe([TOPIC]);
  consumer.consume();

  let disconnected: Promise<void> | null = null;
  const disconnect = (): Promise<void> => {
    disconnected ??= new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${name}: no disconnect within ${DISCONNECT_TIMEOUT_MS} ms`)), DISCONNECT_TIMEOUT_MS);
      consumer.disconnect((err) => {
        clearTimeout(timer);
        if (err === null) resolve();
        else reject(new Error(`${name}: ${err.message}`));
      });
    });
    return disconnected;
  };

  const member: GroupMember = {
    name,
    get assignment() {
      return assignment;
    },
    events,
    records,
    async commit(offsets) {
      const from = commits.length;
      consumer.commit(offsets.map(([partition, offset]) => ({ topic: TOPIC, partition, offset })));
      const done = await waitFor(`${name} committed`, () => commits[from]);
      if (done.err !== null && done.err !== undefined) throw new Error(`${name}: commit failed: ${done.err.message}`);
      const got = done.offsets.map((o) => [o.partition, o.offset]).sort((a, b) => a[0]! - b[0]!);
      const want = offsets.map(([p, o]) => [p, o]).sort((a, b) => a[0]! - b[0]!);
      if (JSON.stringify(got) !== JSON.stringify(want)) throw new Error(`${name} committed ${JSON.stringify(got)}, asked ${JSON.stringify(want)}`);
    },
    close: disconnect,
    kill: disconnect,
  };
  return member;
};

test('groups with node-rdkafka: three members share six partitions; one leaves, the others take over', async () => {
  await shareAndLeave('node-rdkafka', startRdkafkaMember);
});

test('groups with node-rdkafka: committed offsets resume exactly after restarting consumer and broker', async () => {
  await resumeAfterRestart('node-rdkafka', startRdkafkaMember);
});

test('groups with node-rdkafka: a static member restarting within its session keeps its partitions without a rebalance', async () => {
  await staticRestart('node-rdkafka', startRdkafkaMember);
});

test('groups with node-rdkafka: cooperative-sticky rebalances incrementally', async () => {
  await cooperativeRebalance('node-rdkafka', startRdkafkaMember);
});
