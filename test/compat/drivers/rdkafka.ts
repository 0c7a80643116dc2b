/**
 * The scenarios with node-rdkafka (librdkafka compiled by its install).
 * node-rdkafka is loaded from test/compat/node_modules at run time; the
 * interfaces below are the part of its API this driver uses.
 */
import { baseTimestamp, check, checkEqual, checkKeyed, codecOf, committedValues, abortedValues, compressibleValues, coversOnce, keyedRecords, loadClient, runDriver, takeoverMs, waitFor, type SimpleRecord } from './common.js';
import type { ScenarioId } from '../scenarios.js';

interface RdError extends Error {
  code: number;
}
type Cb<T = void> = (err: RdError | null | undefined, value: T) => void;
type Conf = Record<string, string | number | boolean | ((err: RdError, assignment: TopicPartition[]) => void)>;
interface TopicPartition {
  topic: string;
  partition: number;
  offset?: number;
}
interface RdMessage {
  value: Buffer | null;
  key?: Buffer | string | null;
  topic: string;
  partition: number;
  offset: number;
  headers?: Array<Record<string, Buffer | string>>;
}
interface Client {
  connect(options: object, cb: Cb<unknown>): void;
  disconnect(cb: Cb<unknown>): void;
  on(event: string, listener: (...args: never[]) => void): void;
}
interface RdProducer extends Client {
  setPollInterval(ms: number): void;
  produce(topic: string, partition: number | null, value: Buffer, key?: string | null, timestamp?: number | null, opaque?: unknown, headers?: Array<Record<string, string>>): void;
  flush(timeoutMs: number, cb: Cb<unknown>): void;
  initTransactions(timeoutMs: number, cb: Cb<unknown>): void;
  beginTransaction(cb: Cb<unknown>): void;
  commitTransaction(timeoutMs: number, cb: Cb<unknown>): void;
  abortTransaction(timeoutMs: number, cb: Cb<unknown>): void;
}
interface RdConsumer extends Client {
  assign(tps: TopicPartition[]): void;
  unassign(): void;
  subscribe(topics: string[]): void;
  consume(n: number, cb: Cb<RdMessage[]>): void;
  consume(): void;
  commitSync(tp: TopicPartition): void;
  offsetsForTimes(tps: TopicPartition[], timeoutMs: number, cb: Cb<TopicPartition[]>): void;
  getMetadata(options: { topic?: string; timeout: number }, cb: Cb<{ topics: Array<{ name: string; partitions: Array<{ id: number; leader: number }> }> }>): void;
}
interface RdAdmin {
  createTopic(topic: { topic: string; num_partitions: number; replication_factor: number; config?: Record<string, string> }, timeoutMs: number, cb: (err: RdError | null | undefined) => void): void;
  deleteTopic(topic: string, timeoutMs: number, cb: (err: RdError | null | undefined) => void): void;
  disconnect(): void;
}
interface Rdkafka {
  Producer: new (conf: Conf, topicConf?: Conf) => RdProducer;
  KafkaConsumer: new (conf: Conf, topicConf?: Conf) => RdConsumer;
  AdminClient: { create(conf: Conf): RdAdmin };
  CODES: { ERRORS: Record<string, number> };
}

const { default: kafka } = await loadClient<{ default: Rdkafka }>('node-rdkafka');

function call<T>(fn: (cb: Cb<T>) => void): Promise<T> {
  return new Promise((resolve, reject) => fn((err, value) => (err ? reject(err) : resolve(value))));
}

async function withAdmin(bootstrap: string, fn: (admin: RdAdmin) => Promise<void>): Promise<void> {
  const admin = kafka.AdminClient.create({ 'bootstrap.servers': bootstrap });
  try {
    await fn(admin);
  } finally {
    admin.disconnect();
  }
}

function createTopic(bootstrap: string, topic: string, partitions: number): Promise<void> {
  return withAdmin(bootstrap, (admin) => call<void>((cb) => admin.createTopic({ topic, num_partitions: partitions, replication_factor: 1 }, 10_000, (e) => cb(e, undefined))));
}

async function connected<T extends Client>(client: T): Promise<T> {
  await call<unknown>((cb) => client.connect({}, cb));
  return client;
}

interface Outgoing {
  value: string;
  key?: string;
  headers?: Record<string, string>;
  timestamp?: number;
}

/** Produces and waits for every delivery report. */
async function produce(bootstrap: string, topic: string, records: readonly Outgoing[], conf: Conf = {}): Promise<void> {
  const producer = await connected(new kafka.Producer({ 'bootstrap.servers': bootstrap, dr_cb: true, 'linger.ms': 20, ...conf }));
  producer.setPollInterval(20);
  const errors: string[] = [];
  let delivered = 0;
  producer.on('delivery-report', ((err: RdError | null) => {
    delivered++;
    if (err) errors.push(err.message);
  }) as (...args: never[]) => void);
  producer.on('event.error', ((err: RdError) => errors.push(err.message)) as (...args: never[]) => void);
  try {
    for (const r of records) producer.produce(topic, null, Buffer.from(r.value), r.key ?? null, r.timestamp ?? null, undefined, r.headers === undefined ? undefined : Object.entries(r.headers).map(([k, v]) => ({ [k]: v })));
    await call<unknown>((cb) => producer.flush(10_000, cb));
    await waitFor('delivery reports', () => (errors.length > 0 || delivered >= records.length ? true : undefined), 10_000);
    check(errors.length === 0, `delivery failed: ${errors[0]}`);
  } finally {
    await call<unknown>((cb) => producer.disconnect(cb));
  }
}

function toSimple(m: RdMessage): SimpleRecord {
  const headers: Record<string, string> = {};
  for (const h of m.headers ?? []) for (const [k, v] of Object.entries(h)) headers[k] = v.toString();
  return { partition: m.partition, offset: m.offset, key: m.key?.toString() ?? null, value: m.value?.toString() ?? null, headers };
}

async function readUntil(bootstrap: string, topic: string, partitions: number, done: (rs: readonly SimpleRecord[]) => boolean, conf: Conf = {}): Promise<SimpleRecord[]> {
  const consumer = await connected(new kafka.KafkaConsumer({ 'bootstrap.servers': bootstrap, 'group.id': `read-${topic}`, 'enable.auto.commit': false, ...conf }, {}));
  const records: SimpleRecord[] = [];
  try {
    consumer.assign(Array.from({ length: partitions }, (_, partition) => ({ topic, partition, offset: -2 })));
    await waitFor(`records of ${topic}`, async () => {
      for (const m of await call<RdMessage[]>((cb) => consumer.consume(100, cb))) records.push(toSimple(m));
      return done(records) ? true : undefined;
    });
    return records;
  } finally {
    await call<unknown>((cb) => consumer.disconnect(cb));
  }
}

const assignCode = kafka.CODES.ERRORS['ERR__ASSIGN_PARTITIONS'];

function groupMember(bootstrap: string, group: string, onAssign: (tps: TopicPartition[]) => void, conf: Conf = {}): RdConsumer {
  const consumer: RdConsumer = new kafka.KafkaConsumer(
    {
      'bootstrap.servers': bootstrap,
      'group.id': group,
      'session.timeout.ms': 6_000,
      'heartbeat.interval.ms': 300,
      ...conf,
      rebalance_cb: (err: RdError, assignment: TopicPartition[]) => {
        if (err.code === assignCode) {
          consumer.assign(assignment);
          onAssign(assignment);
        } else {
          consumer.unassign();
          onAssign([]);
        }
      },
    },
    { 'auto.offset.reset': 'earliest' },
  );
  return consumer;
}

const scenarios: Partial<Record<ScenarioId, (bootstrap: string) => Promise<void>>> = {
  'metadata-admin': async (bootstrap) => {
    await createTopic(bootstrap, 'admin-t', 3);
    const probe = await connected(new kafka.KafkaConsumer({ 'bootstrap.servers': bootstrap, 'group.id': 'md' }, {}));
    try {
      const md = await call<{ topics: Array<{ name: string; partitions: Array<{ id: number; leader: number }> }> }>((cb) => probe.getMetadata({ topic: 'admin-t', timeout: 5_000 }, cb));
      const t = md.topics.find((x) => x.name === 'admin-t');
      checkEqual(t?.partitions.length, 3, 'partitions of admin-t');
      check(t!.partitions.every((p) => p.leader >= 0), 'every partition has a leader');
      await withAdmin(bootstrap, (admin) => call<void>((cb) => admin.deleteTopic('admin-t', 10_000, (e) => cb(e, undefined))));
      await waitFor('admin-t to disappear', async () => {
        const all = await call<{ topics: Array<{ name: string }> }>((cb) => probe.getMetadata({ timeout: 5_000 }, cb));
        return all.topics.some((x) => x.name === 'admin-t') ? undefined : true;
      }, 10_000);
    } finally {
      await call<unknown>((cb) => probe.disconnect(cb));
    }
  },

  'produce-consume': async (bootstrap) => {
    await createTopic(bootstrap, 'pc', 3);
    await produce(bootstrap, 'pc', keyedRecords);
    checkKeyed(await readUntil(bootstrap, 'pc', 3, (rs) => rs.length >= keyedRecords.length));
  },

  ...Object.fromEntries(
    (['compression-gzip', 'compression-snappy', 'compression-lz4', 'compression-zstd'] as const).map((scenario) => [
      scenario,
      async (bootstrap: string) => {
        const topic = `comp-${codecOf(scenario)}`;
        await createTopic(bootstrap, topic, 1);
        await produce(bootstrap, topic, compressibleValues.map((value) => ({ value })), { 'compression.codec': codecOf(scenario) });
        checkEqual((await readUntil(bootstrap, topic, 1, (rs) => rs.length >= compressibleValues.length)).map((r) => r.value), compressibleValues, 'values read back');
      },
    ]),
  ),

  'consumer-group': async (bootstrap) => {
    await createTopic(bootstrap, 'grp', 6);
    const members = [0, 1, 2].map(() => {
      const m = { assigned: [] as number[], consumer: null as RdConsumer | null };
      m.consumer = groupMember(bootstrap, 'g-grp', (tps) => (m.assigned = tps.map((tp) => tp.partition).sort((a, b) => a - b)));
      return m;
    });
    try {
      for (const m of members) {
        await connected(m.consumer!);
        m.consumer!.subscribe(['grp']);
        m.consumer!.consume();
      }
      await waitFor('three members covering 6 partitions once', () => (coversOnce(members.map((m) => m.assigned)) ? true : undefined));
      const leaver = members.shift()!;
      await call<unknown>((cb) => leaver.consumer!.disconnect(cb));
      await waitFor('two members covering 6 partitions once, within the leaver\'s session timeout (so by LeaveGroup)', () => (coversOnce(members.map((m) => m.assigned)) ? true : undefined), takeoverMs);
    } finally {
      await Promise.all(members.map((m) => call<unknown>((cb) => m.consumer!.disconnect(cb))));
    }
  },

  'commit-resume': async (bootstrap) => {
    await createTopic(bootstrap, 'cr', 1);
    await produce(bootstrap, 'cr', Array.from({ length: 10 }, (_, i) => ({ value: `m${i}` })));
    const member = async (): Promise<RdConsumer> => {
      const c = await connected(groupMember(bootstrap, 'g-cr', () => {}, { 'enable.auto.commit': false }));
      c.subscribe(['cr']);
      return c;
    };
    const first = await member();
    let seen = 0;
    await waitFor('10 records', async () => ((seen += (await call<RdMessage[]>((cb) => first.consume(100, cb))).length) >= 10 ? true : undefined));
    first.commitSync({ topic: 'cr', partition: 0, offset: 5 });
    await call<unknown>((cb) => first.disconnect(cb));
    const second = await member();
    try {
      const [m] = await waitFor('the resumed member to read', async () => {
        const got = await call<RdMessage[]>((cb) => second.consume(100, cb));
        return got.length > 0 ? got : undefined;
      });
      checkEqual(m?.offset, 5, 'first offset after resume');
    } finally {
      await call<unknown>((cb) => second.disconnect(cb));
    }
  },

  'idempotent-produce': async (bootstrap) => {
    await createTopic(bootstrap, 'idem', 1);
    const values = Array.from({ length: 10 }, (_, i) => `i${i}`);
    await produce(bootstrap, 'idem', values.map((value) => ({ value })), { 'enable.idempotence': true });
    checkEqual((await readUntil(bootstrap, 'idem', 1, (rs) => rs.length >= 10)).map((r) => r.value), values, 'values read back');
  },

  transactions: async (bootstrap) => {
    await createTopic(bootstrap, 'txn', 1);
    const producer = await connected(new kafka.Producer({ 'bootstrap.servers': bootstrap, 'transactional.id': 'tx-rdkafka', dr_cb: true }));
    producer.setPollInterval(20);
    try {
      await call<unknown>((cb) => producer.initTransactions(10_000, cb));
      for (const [values, commit] of [[committedValues.slice(0, 5), true], [abortedValues, false], [committedValues.slice(5), true]] as const) {
        await call<unknown>((cb) => producer.beginTransaction(cb));
        for (const v of values) producer.produce('txn', null, Buffer.from(v));
        if (commit) await call<unknown>((cb) => producer.commitTransaction(10_000, cb));
        else {
          // Send first: librdkafka's abort purges records still queued, leaving the broker nothing to abort.
          await call<unknown>((cb) => producer.flush(10_000, cb));
          await call<unknown>((cb) => producer.abortTransaction(10_000, cb));
        }
      }
    } finally {
      await call<unknown>((cb) => producer.disconnect(cb));
    }
    const records = await readUntil(bootstrap, 'txn', 1, (rs) => rs.some((r) => r.value === 'c5'), { 'isolation.level': 'read_committed' });
    checkEqual(records.map((r) => r.value), committedValues, 'read_committed values');
  },

  'list-offsets-time': async (bootstrap) => {
    await createTopic(bootstrap, 'lot', 1);
    const t = baseTimestamp();
    await produce(bootstrap, 'lot', [0, 1, 2].map((i) => ({ value: `t${i}`, timestamp: t + i * 10_000 })));
    const c = await connected(new kafka.KafkaConsumer({ 'bootstrap.servers': bootstrap, 'group.id': 'lot' }, {}));
    try {
      for (const [ts, expected] of [[t - 1_000, 0], [t + 5_000, 1], [t + 15_000, 2]] as const) {
        const [r] = await call<TopicPartition[]>((cb) => c.offsetsForTimes([{ topic: 'lot', partition: 0, offset: ts }], 5_000, cb));
        checkEqual(r?.offset, expected, `offset for timestamp T${ts - t >= 0 ? '+' : ''}${ts - t}ms`);
      }
    } finally {
      await call<unknown>((cb) => c.disconnect(cb));
    }
  },
};

runDriver(scenarios);
