/**
 * The scenarios with @platformatic/kafka (pure TypeScript client). It is
 * loaded from test/compat/node_modules at run time; the interfaces below are
 * the part of its API this driver uses.
 */
import { baseTimestamp, check, checkEqual, checkKeyed, codecOf, committedValues, abortedValues, compressibleValues, coversOnce, keyedRecords, loadClient, runDriver, takeoverMs, waitFor, type SimpleRecord } from './common.js';
import type { ScenarioId } from '../scenarios.js';

interface Base {
  bootstrapBrokers: string[];
  clientId: string;
  retries?: number;
  retryDelay?: number;
  timeout?: number;
}
interface PMessage {
  topic: string;
  partition: number;
  offset: bigint;
  key: Buffer | null | undefined;
  value: Buffer | null | undefined;
  headers: Map<Buffer | string, Buffer | string>;
}
interface OutMessage {
  topic: string;
  key?: Buffer;
  value: Buffer;
  headers?: Map<Buffer, Buffer>;
  timestamp?: bigint;
}
interface SendOptions {
  messages: OutMessage[];
  compression?: string;
  acks?: number;
}
interface PTransaction {
  send(options: SendOptions): Promise<unknown>;
  commit(): Promise<void>;
  abort(): Promise<void>;
}
interface PProducer {
  send(options: SendOptions): Promise<unknown>;
  beginTransaction(): Promise<PTransaction>;
  close(force?: boolean): Promise<void>;
}
interface GroupAssignment {
  topic: string;
  partitions: number[];
}
interface PStream {
  on(event: 'data', fn: (m: PMessage) => void): void;
  on(event: 'error', fn: (e: Error) => void): void;
  close(): Promise<void>;
}
interface ConsumeOptions {
  topics: string[];
  mode?: 'latest' | 'earliest' | 'committed' | 'manual';
  fallbackMode?: 'latest' | 'earliest' | 'fail';
  offsets?: Array<{ topic: string; partition: number; offset: bigint }>;
  autocommit?: boolean;
  isolationLevel?: number;
  maxWaitTime?: number;
  sessionTimeout?: number;
  heartbeatInterval?: number;
  rebalanceTimeout?: number;
}
interface PConsumer {
  consume(options: ConsumeOptions): Promise<PStream>;
  commit(options: { offsets: Array<{ topic: string; partition: number; offset: bigint; leaderEpoch: number }> }): Promise<void>;
  on(event: 'consumer:group:join', fn: (payload: { assignments?: GroupAssignment[] }) => void): void;
  close(force?: boolean): Promise<void>;
}
interface PAdmin {
  createTopics(options: { topics: string[]; partitions: number; replicas: number; configs?: Array<{ name: string; value: string }> }): Promise<unknown>;
  deleteTopics(options: { topics: string[] }): Promise<void>;
  listTopics(): Promise<string[]>;
  metadata(options: { topics: string[]; forceUpdate?: boolean }): Promise<{ topics: Map<string, { partitions: Array<{ leader: number }> }> }>;
  listOffsets(options: { topics: Array<{ name: string; partitions: Array<{ partitionIndex: number; timestamp: bigint }> }> }): Promise<Array<{ name: string; partitions: Array<{ partitionIndex: number; offset: bigint }> }>>;
  deleteRecords(options: { topics: Array<{ name: string; partitions: Array<{ partition: number; offset: bigint }> }> }): Promise<Array<{ name: string; partitions: Array<{ partition: number; lowWatermark: bigint }> }>>;
  describeConfigs(options: { resources: Array<{ resourceType: number; resourceName: string; configurationKeys?: string[] }> }): Promise<Array<{ configs: Array<{ name: string; value: string | null }> }>>;
  incrementalAlterConfigs(options: { resources: Array<{ resourceType: number; resourceName: string; configs: Array<{ name: string; configOperation: 0; value: string }> }> }): Promise<void>;
  close(): Promise<void>;
}
interface Platformatic {
  Admin: new (options: Base) => PAdmin;
  Producer: new (options: Base & { idempotent?: boolean; transactionalId?: string }) => PProducer;
  Consumer: new (options: Base & { groupId: string; sessionTimeout?: number; heartbeatInterval?: number; rebalanceTimeout?: number }) => PConsumer;
}

const kafka = await loadClient<Platformatic>('@platformatic/kafka');
const TOPIC = 2;
const READ_COMMITTED = 1;

function base(bootstrap: string): Base {
  return { bootstrapBrokers: [bootstrap], clientId: 'compat-platformatic', retries: 3, retryDelay: 100, timeout: 5_000 };
}

async function withAdmin<T>(bootstrap: string, fn: (admin: PAdmin) => Promise<T>): Promise<T> {
  const admin = new kafka.Admin(base(bootstrap));
  try {
    return await fn(admin);
  } finally {
    await admin.close();
  }
}

function createTopic(bootstrap: string, topic: string, partitions: number, configs: Array<{ name: string; value: string }> = []): Promise<unknown> {
  return withAdmin(bootstrap, (admin) => admin.createTopics({ topics: [topic], partitions, replicas: 1, configs }));
}

async function produce(bootstrap: string, messages: OutMessage[], options: { compression?: string; idempotent?: boolean } = {}): Promise<void> {
  const producer = new kafka.Producer({ ...base(bootstrap), idempotent: options.idempotent ?? false });
  try {
    await producer.send({ messages, ...(options.compression === undefined ? {} : { compression: options.compression }) });
  } finally {
    await producer.close();
  }
}

function toSimple(m: PMessage): SimpleRecord {
  const headers: Record<string, string> = {};
  for (const [k, v] of m.headers) headers[k.toString()] = v.toString();
  return { partition: m.partition, offset: Number(m.offset), key: m.key?.toString() ?? null, value: m.value?.toString() ?? null, headers };
}

function member(bootstrap: string, groupId: string): PConsumer {
  return new kafka.Consumer({ ...base(bootstrap), groupId, sessionTimeout: 6_000, heartbeatInterval: 300, rebalanceTimeout: 6_000 });
}

async function readUntil(bootstrap: string, topic: string, done: (rs: readonly SimpleRecord[]) => boolean, isolationLevel = 0): Promise<SimpleRecord[]> {
  const consumer = member(bootstrap, `read-${topic}`);
  const records: SimpleRecord[] = [];
  let failure: Error | undefined;
  try {
    const stream = await consumer.consume({ topics: [topic], mode: 'earliest', autocommit: false, isolationLevel, maxWaitTime: 100 });
    stream.on('data', (m) => records.push(toSimple(m)));
    stream.on('error', (e) => (failure = e));
    await waitFor(`records of ${topic}`, () => {
      if (failure !== undefined) throw failure;
      return done(records) ? true : undefined;
    });
    await stream.close();
    return records;
  } finally {
    await consumer.close(true);
  }
}

const scenarios: Partial<Record<ScenarioId, (bootstrap: string) => Promise<void>>> = {
  'metadata-admin': (bootstrap) =>
    withAdmin(bootstrap, async (admin) => {
      await admin.createTopics({ topics: ['admin-t'], partitions: 3, replicas: 1 });
      const md = await admin.metadata({ topics: ['admin-t'], forceUpdate: true });
      const t = md.topics.get('admin-t');
      checkEqual(t?.partitions.length, 3, 'partitions of admin-t');
      check(t!.partitions.every((p) => p.leader >= 0), 'every partition has a leader');
      check((await admin.listTopics()).includes('admin-t'), 'listTopics includes admin-t');
      await admin.deleteTopics({ topics: ['admin-t'] });
      await waitFor('admin-t to disappear', async () => ((await admin.listTopics()).includes('admin-t') ? undefined : true), 10_000);
    }),

  'produce-consume': async (bootstrap) => {
    await createTopic(bootstrap, 'pc', 3);
    await produce(bootstrap, keyedRecords.map((r) => ({ topic: 'pc', key: Buffer.from(r.key), value: Buffer.from(r.value), headers: new Map([[Buffer.from('h'), Buffer.from(r.headers.h)]]) })));
    checkKeyed(await readUntil(bootstrap, 'pc', (rs) => rs.length >= keyedRecords.length));
  },

  ...Object.fromEntries(
    (['compression-gzip', 'compression-snappy', 'compression-lz4'] as const).map((scenario) => [
      scenario,
      async (bootstrap: string) => {
        const topic = `comp-${codecOf(scenario)}`;
        await createTopic(bootstrap, topic, 1);
        await produce(bootstrap, compressibleValues.map((value) => ({ topic, value: Buffer.from(value) })), { compression: codecOf(scenario) });
        checkEqual((await readUntil(bootstrap, topic, (rs) => rs.length >= compressibleValues.length)).map((r) => r.value), compressibleValues, 'values read back');
      },
    ]),
  ),

  'consumer-group': async (bootstrap) => {
    await createTopic(bootstrap, 'grp', 6);
    const members = [0, 1, 2].map(() => {
      const m = { assigned: [] as number[], consumer: member(bootstrap, 'g-grp'), closed: false };
      m.consumer.on('consumer:group:join', (p) => (m.assigned = (p.assignments ?? []).flatMap((a) => (a.topic === 'grp' ? a.partitions : [])).sort((a, b) => a - b)));
      return m;
    });
    try {
      await Promise.all(members.map((m) => m.consumer.consume({ topics: ['grp'], mode: 'committed', fallbackMode: 'earliest', maxWaitTime: 100, sessionTimeout: 6_000, heartbeatInterval: 300, rebalanceTimeout: 6_000 })));
      await waitFor('three members covering 6 partitions once', () => (coversOnce(members.map((m) => m.assigned)) ? true : undefined));
      const leaver = members.shift()!;
      await leaver.consumer.close(true);
      await waitFor('two members covering 6 partitions once, within the leaver\'s session timeout (so by LeaveGroup)', () => (coversOnce(members.map((m) => m.assigned)) ? true : undefined), takeoverMs);
    } finally {
      await Promise.allSettled(members.map((m) => m.consumer.close(true)));
    }
  },

  'commit-resume': async (bootstrap) => {
    await createTopic(bootstrap, 'cr', 1);
    await produce(bootstrap, Array.from({ length: 10 }, (_, i) => ({ topic: 'cr', value: Buffer.from(`m${i}`) })));
    const first = member(bootstrap, 'g-cr');
    try {
      const stream = await first.consume({ topics: ['cr'], mode: 'committed', fallbackMode: 'earliest', autocommit: false, maxWaitTime: 100 });
      let seen = 0;
      stream.on('data', () => seen++);
      await waitFor('10 records', () => (seen >= 10 ? true : undefined));
      await first.commit({ offsets: [{ topic: 'cr', partition: 0, offset: 5n, leaderEpoch: 0 }] });
      await stream.close();
    } finally {
      await first.close(true);
    }
    const second = member(bootstrap, 'g-cr');
    try {
      const stream = await second.consume({ topics: ['cr'], mode: 'committed', fallbackMode: 'earliest', autocommit: false, maxWaitTime: 100 });
      const offsets: bigint[] = [];
      stream.on('data', (m) => offsets.push(m.offset));
      await waitFor('the resumed member to read', () => (offsets.length > 0 ? true : undefined));
      checkEqual(offsets[0], 5n, 'first offset after resume');
      await stream.close();
    } finally {
      await second.close(true);
    }
  },

  'idempotent-produce': async (bootstrap) => {
    await createTopic(bootstrap, 'idem', 1);
    const values = Array.from({ length: 10 }, (_, i) => `i${i}`);
    await produce(bootstrap, values.map((v) => ({ topic: 'idem', value: Buffer.from(v) })), { idempotent: true });
    checkEqual((await readUntil(bootstrap, 'idem', (rs) => rs.length >= 10)).map((r) => r.value), values, 'values read back');
  },

  transactions: async (bootstrap) => {
    await createTopic(bootstrap, 'txn', 1);
    const producer = new kafka.Producer({ ...base(bootstrap), idempotent: true, transactionalId: 'tx-platformatic' });
    try {
      for (const [values, commit] of [[committedValues.slice(0, 5), true], [abortedValues, false], [committedValues.slice(5), true]] as const) {
        const txn = await producer.beginTransaction();
        await txn.send({ messages: values.map((v) => ({ topic: 'txn', value: Buffer.from(v) })) });
        if (commit) await txn.commit();
        else await txn.abort();
      }
    } finally {
      await producer.close();
    }
    const records = await readUntil(bootstrap, 'txn', (rs) => rs.some((r) => r.value === 'c5'), READ_COMMITTED);
    checkEqual(records.map((r) => r.value), committedValues, 'read_committed values');
  },

  'list-offsets-time': async (bootstrap) => {
    await createTopic(bootstrap, 'lot', 1);
    const t = baseTimestamp();
    await produce(bootstrap, [0, 1, 2].map((i) => ({ topic: 'lot', value: Buffer.from(`t${i}`), timestamp: BigInt(t + i * 10_000) })));
    await withAdmin(bootstrap, async (admin) => {
      for (const [ts, expected] of [[t - 1_000, 0n], [t + 5_000, 1n], [t + 15_000, 2n]] as const) {
        const [r] = await admin.listOffsets({ topics: [{ name: 'lot', partitions: [{ partitionIndex: 0, timestamp: BigInt(ts) }] }] });
        checkEqual(r?.partitions[0]?.offset, expected, `offset for timestamp T${ts - t >= 0 ? '+' : ''}${ts - t}ms`);
      }
    });
  },

  'delete-records': async (bootstrap) => {
    await createTopic(bootstrap, 'dr', 1);
    await produce(bootstrap, Array.from({ length: 10 }, (_, i) => ({ topic: 'dr', value: Buffer.from(`d${i}`) })));
    await withAdmin(bootstrap, async (admin) => {
      const [r] = await admin.deleteRecords({ topics: [{ name: 'dr', partitions: [{ partition: 0, offset: 4n }] }] });
      checkEqual(r?.partitions[0]?.lowWatermark, 4n, 'low watermark returned');
      const [earliest] = await admin.listOffsets({ topics: [{ name: 'dr', partitions: [{ partitionIndex: 0, timestamp: -2n }] }] });
      checkEqual(earliest?.partitions[0]?.offset, 4n, 'earliest offset');
    });
    checkEqual((await readUntil(bootstrap, 'dr', (rs) => rs.length >= 6))[0]?.offset, 4, 'first offset read');
  },

  configs: async (bootstrap) => {
    await createTopic(bootstrap, 'cfg', 1, [{ name: 'retention.ms', value: '3600000' }]);
    await withAdmin(bootstrap, async (admin) => {
      const describe = async (): Promise<string | null | undefined> => {
        const [r] = await admin.describeConfigs({ resources: [{ resourceType: TOPIC, resourceName: 'cfg', configurationKeys: ['retention.ms'] }] });
        return r?.configs.find((c) => c.name === 'retention.ms')?.value;
      };
      checkEqual(await describe(), '3600000', 'retention.ms after create');
      await admin.incrementalAlterConfigs({ resources: [{ resourceType: TOPIC, resourceName: 'cfg', configs: [{ name: 'retention.ms', configOperation: 0, value: '7200000' }] }] });
      checkEqual(await describe(), '7200000', 'retention.ms after alter');
    });
  },
};

runDriver(scenarios);
