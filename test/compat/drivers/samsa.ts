/** The scenarios with Samsa's own client (samsa/client). */
import { Admin, Consumer, Producer, type ConsumerMessage, type ConsumerOptions, type ProducerOptions } from '../../../src/client/index.js';
import {
  abortedValues,
  baseTimestamp,
  check,
  checkEqual,
  checkKeyed,
  codecOf,
  committedValues,
  compressibleValues,
  coversOnce,
  keyedRecords,
  runDriver,
  takeoverMs,
  waitFor,
  type SimpleRecord,
} from './common.js';
import type { ScenarioId } from '../scenarios.js';

const fast = { retries: 3, retryBackoffMs: 100, requestTimeoutMs: 5_000 };

async function withAdmin<T>(bootstrap: string, fn: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = new Admin({ bootstrapServers: bootstrap, ...fast });
  try {
    return await fn(admin);
  } finally {
    await admin.close();
  }
}

function createTopic(bootstrap: string, name: string, numPartitions: number, configs: Record<string, string> = {}): Promise<void> {
  return withAdmin(bootstrap, (admin) => admin.createTopics([{ name, numPartitions, replicationFactor: 1, configs }]));
}

async function produce(bootstrap: string, records: Parameters<Producer['sendBatch']>[0], options: Partial<ProducerOptions> = {}): Promise<void> {
  const producer = new Producer({ bootstrapServers: bootstrap, idempotent: false, ...fast, ...options });
  try {
    await producer.sendBatch(records);
  } finally {
    await producer.close();
  }
}

function toSimple(m: ConsumerMessage): SimpleRecord {
  const headers: Record<string, string> = {};
  for (const h of m.headers) headers[h.key] = h.value?.toString() ?? '';
  return { partition: m.partition, offset: Number(m.offset), key: m.key?.toString() ?? null, value: m.value?.toString() ?? null, headers };
}

/** Reads partitions 0..n-1 of `topic` from the beginning (manual assignment) until `done`. */
async function readUntil(bootstrap: string, topic: string, partitions: number, done: (rs: readonly SimpleRecord[]) => boolean, options: Partial<ConsumerOptions> = {}): Promise<SimpleRecord[]> {
  const consumer = new Consumer({ bootstrapServers: bootstrap, autoOffsetReset: 'earliest', fetchMaxWaitMs: 100, ...fast, ...options });
  const records: SimpleRecord[] = [];
  try {
    await consumer.assign(Array.from({ length: partitions }, (_, partition) => ({ topic, partition })));
    await waitFor(`records of ${topic}`, async () => {
      for (const m of await consumer.poll({ timeoutMs: 100 })) records.push(toSimple(m));
      return done(records) ? true : undefined;
    });
    return records;
  } finally {
    await consumer.close();
  }
}

function groupMember(bootstrap: string, groupId: string, extra: Partial<ConsumerOptions> = {}): Consumer {
  return new Consumer({ bootstrapServers: bootstrap, groupId, autoOffsetReset: 'earliest', sessionTimeoutMs: 6_000, heartbeatIntervalMs: 300, rebalanceTimeoutMs: 5_000, fetchMaxWaitMs: 100, ...fast, ...extra });
}

const scenarios: Partial<Record<ScenarioId, (bootstrap: string) => Promise<void>>> = {
  'metadata-admin': (bootstrap) =>
    withAdmin(bootstrap, async (admin) => {
      await admin.createTopics([{ name: 'admin-t', numPartitions: 3, replicationFactor: 1 }]);
      const [t] = await admin.describeTopics(['admin-t']);
      checkEqual(t?.partitions.length, 3, 'partitions of admin-t');
      check(t!.partitions.every((p) => p.leader >= 0), 'every partition has a leader');
      check((await admin.listTopics()).includes('admin-t'), 'listTopics includes admin-t');
      await admin.deleteTopics(['admin-t']);
      await waitFor('admin-t to disappear', async () => ((await admin.listTopics()).includes('admin-t') ? undefined : true), 10_000);
    }),

  'produce-consume': async (bootstrap) => {
    await createTopic(bootstrap, 'pc', 3);
    await produce(bootstrap, keyedRecords.map((r) => ({ topic: 'pc', key: r.key, value: r.value, headers: r.headers })));
    checkKeyed(await readUntil(bootstrap, 'pc', 3, (rs) => rs.length >= keyedRecords.length));
  },

  ...Object.fromEntries(
    (['compression-gzip', 'compression-snappy', 'compression-lz4', 'compression-zstd'] as const).map((scenario) => [
      scenario,
      async (bootstrap: string) => {
        const topic = `comp-${codecOf(scenario)}`;
        await createTopic(bootstrap, topic, 1);
        await produce(bootstrap, compressibleValues.map((value) => ({ topic, value })), { compression: codecOf(scenario) });
        checkEqual((await readUntil(bootstrap, topic, 1, (rs) => rs.length >= compressibleValues.length)).map((r) => r.value), compressibleValues, 'values read back');
      },
    ]),
  ),

  'consumer-group': async (bootstrap) => {
    await createTopic(bootstrap, 'grp', 6);
    const members = [0, 1, 2].map(() => {
      const m = { assigned: new Set<number>(), consumer: null as Consumer | null, stopped: false };
      m.consumer = groupMember(bootstrap, 'g-grp', {
        onPartitionsAssigned: (tps) => tps.forEach((tp) => m.assigned.add(tp.partition)),
        onPartitionsRevoked: (tps) => tps.forEach((tp) => m.assigned.delete(tp.partition)),
        onPartitionsLost: (tps) => tps.forEach((tp) => m.assigned.delete(tp.partition)),
      });
      return m;
    });
    const loops = members.map(async (m) => {
      await m.consumer!.subscribe(['grp']);
      while (!m.stopped) await m.consumer!.poll({ timeoutMs: 100 });
    });
    const sorted = (s: Set<number>): number[] => [...s].sort((a, b) => a - b);
    try {
      await waitFor('three members covering 6 partitions once', () => (coversOnce(members.map((m) => sorted(m.assigned))) ? true : undefined));
      const leaver = members.shift()!;
      leaver.stopped = true;
      await leaver.consumer!.close();
      await waitFor('two members covering 6 partitions once, within the leaver\'s session timeout (so by LeaveGroup)', () => (coversOnce(members.map((m) => sorted(m.assigned))) ? true : undefined), takeoverMs);
    } finally {
      for (const m of members) m.stopped = true;
      await Promise.all(members.map((m) => m.consumer!.close()));
      await Promise.allSettled(loops);
    }
  },

  'commit-resume': async (bootstrap) => {
    await createTopic(bootstrap, 'cr', 1);
    await produce(bootstrap, Array.from({ length: 10 }, (_, i) => ({ topic: 'cr', value: `m${i}` })));
    const first = groupMember(bootstrap, 'g-cr', { enableAutoCommit: false });
    let seen = 0;
    try {
      await first.subscribe(['cr']);
      await waitFor('10 records', async () => ((seen += (await first.poll({ timeoutMs: 100 })).length) >= 10 ? true : undefined));
      await first.commit([{ topic: 'cr', partition: 0, offset: 5n }]);
    } finally {
      await first.close();
    }
    const second = groupMember(bootstrap, 'g-cr', { enableAutoCommit: false });
    try {
      await second.subscribe(['cr']);
      const [m] = await waitFor('the resumed member to read', async () => {
        const got = await second.poll({ timeoutMs: 100 });
        return got.length > 0 ? got : undefined;
      });
      checkEqual(m?.offset, 5n, 'first offset after resume');
    } finally {
      await second.close();
    }
  },

  'idempotent-produce': async (bootstrap) => {
    await createTopic(bootstrap, 'idem', 1);
    const values = Array.from({ length: 10 }, (_, i) => `i${i}`);
    await produce(bootstrap, values.map((value) => ({ topic: 'idem', value })), { idempotent: true, acks: 'all' });
    checkEqual((await readUntil(bootstrap, 'idem', 1, (rs) => rs.length >= 10)).map((r) => r.value), values, 'values read back');
  },

  transactions: async (bootstrap) => {
    await createTopic(bootstrap, 'txn', 1);
    const producer = new Producer({ bootstrapServers: bootstrap, transactionalId: 'tx-samsa', ...fast });
    try {
      await producer.initTransactions();
      for (const [values, commit] of [[committedValues.slice(0, 5), true], [abortedValues, false], [committedValues.slice(5), true]] as const) {
        producer.beginTransaction();
        await Promise.all(values.map((value) => producer.send({ topic: 'txn', value })));
        if (commit) await producer.commitTransaction();
        else await producer.abortTransaction();
      }
    } finally {
      await producer.close();
    }
    const records = await readUntil(bootstrap, 'txn', 1, (rs) => rs.some((r) => r.value === 'c5'), { isolationLevel: 'read_committed' });
    checkEqual(records.map((r) => r.value), committedValues, 'read_committed values');
  },

  'list-offsets-time': async (bootstrap) => {
    await createTopic(bootstrap, 'lot', 1);
    const t = baseTimestamp();
    await produce(bootstrap, [0, 1, 2].map((i) => ({ topic: 'lot', value: `t${i}`, timestamp: t + i * 10_000 })));
    await withAdmin(bootstrap, async (admin) => {
      for (const [ts, expected] of [[t - 1_000, 0n], [t + 5_000, 1n], [t + 15_000, 2n]] as const) {
        const [r] = await admin.listOffsets([{ topic: 'lot', partition: 0, spec: { timestamp: ts } }]);
        checkEqual(r?.offset, expected, `offset for timestamp T${ts - t >= 0 ? '+' : ''}${ts - t}ms`);
      }
    });
  },

  'delete-records': async (bootstrap) => {
    await createTopic(bootstrap, 'dr', 1);
    await produce(bootstrap, Array.from({ length: 10 }, (_, i) => ({ topic: 'dr', value: `d${i}` })));
    await withAdmin(bootstrap, async (admin) => {
      const [r] = await admin.deleteRecords([{ topic: 'dr', partition: 0, beforeOffset: 4n }]);
      checkEqual(r?.lowWatermark, 4n, 'low watermark returned');
      const [p] = await admin.fetchTopicOffsets('dr');
      checkEqual(p?.low, 4n, 'earliest offset');
    });
    checkEqual((await readUntil(bootstrap, 'dr', 1, (rs) => rs.length >= 6))[0]?.offset, 4, 'first offset read');
  },

  configs: async (bootstrap) => {
    await createTopic(bootstrap, 'cfg', 1, { 'retention.ms': '3600000' });
    await withAdmin(bootstrap, async (admin) => {
      const describe = async (): Promise<string | null | undefined> => {
        const [r] = await admin.describeConfigs([{ type: 'topic', name: 'cfg', keys: ['retention.ms'] }]);
        return r?.entries.find((e) => e.name === 'retention.ms')?.value;
      };
      checkEqual(await describe(), '3600000', 'retention.ms after create');
      await admin.incrementalAlterConfigs([{ type: 'topic', name: 'cfg', changes: [{ name: 'retention.ms', op: 'set', value: '7200000' }] }]);
      checkEqual(await describe(), '7200000', 'retention.ms after alter');
    });
  },
};

runDriver(scenarios);
