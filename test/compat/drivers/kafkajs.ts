/** The scenarios with kafkajs (pure JavaScript; root devDependency). */
import kafkajs, { type Consumer, type Kafka, type KafkaMessage } from 'kafkajs';
import {
  baseTimestamp,
  check,
  checkEqual,
  checkKeyed,
  codecOf,
  committedValues,
  compressibleValues,
  coversOnce,
  keyedRecords,
  loadClient,
  runDriver,
  takeoverMs,
  waitFor,
  type SimpleRecord,
} from './common.js';
import type { ScenarioId } from '../scenarios.js';

const { ConfigResourceTypes, CompressionCodecs, CompressionTypes, Partitioners, logLevel } = kafkajs;

// kafkajs ships gzip only; snappy and lz4 come from the codec plugins users install.
type CodecFactory = (typeof CompressionCodecs)[keyof typeof CompressionCodecs];
const { default: snappyCodec } = await loadClient<{ default: CodecFactory }>('kafkajs-snappy');
const { default: Lz4Codec } = await loadClient<{ default: new () => { codec: CodecFactory } }>('kafkajs-lz4');
CompressionCodecs[CompressionTypes.Snappy] = snappyCodec;
CompressionCodecs[CompressionTypes.LZ4] = new Lz4Codec().codec;
const codecTypes = { gzip: CompressionTypes.GZIP, snappy: CompressionTypes.Snappy, lz4: CompressionTypes.LZ4 } as const;

function client(bootstrap: string): Kafka {
  return new kafkajs.Kafka({
    brokers: [bootstrap],
    clientId: 'compat-kafkajs',
    logLevel: logLevel.NOTHING,
    requestTimeout: 5_000,
    retry: { initialRetryTime: 100, retries: 4 },
  });
}

async function createTopic(kafka: Kafka, topic: string, numPartitions: number, configEntries: Array<{ name: string; value: string }> = []): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions, configEntries }], waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }
}

function consumerFor(kafka: Kafka, groupId: string, readUncommitted = true): Consumer {
  return kafka.consumer({ groupId, sessionTimeout: 6_000, rebalanceTimeout: 5_000, heartbeatInterval: 300, maxWaitTimeInMs: 200, readUncommitted, retry: { initialRetryTime: 100, retries: 4 } });
}

function toSimple(partition: number, m: KafkaMessage): SimpleRecord {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(m.headers ?? {})) if (v !== undefined) headers[k] = Buffer.isBuffer(v) ? v.toString() : String(v);
  return { partition, offset: Number(m.offset), key: m.key?.toString() ?? null, value: m.value?.toString() ?? null, headers };
}

/** Reads `topic` from the beginning with a fresh group until `done` says so. */
async function readUntil(kafka: Kafka, topic: string, done: (records: readonly SimpleRecord[]) => boolean, readUncommitted = true): Promise<SimpleRecord[]> {
  const consumer = consumerFor(kafka, `read-${topic}-${Date.now()}`, readUncommitted);
  const records: SimpleRecord[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        records.push(toSimple(partition, message));
      },
    });
    await waitFor(`records of ${topic}`, () => (done(records) ? true : undefined));
    return records;
  } finally {
    await consumer.disconnect();
  }
}

const scenarios: Partial<Record<ScenarioId, (bootstrap: string) => Promise<void>>> = {
  'metadata-admin': async (bootstrap) => {
    const admin = client(bootstrap).admin();
    await admin.connect();
    try {
      await admin.createTopics({ topics: [{ topic: 'admin-t', numPartitions: 3 }], waitForLeaders: true });
      const { topics } = await admin.fetchTopicMetadata({ topics: ['admin-t'] });
      checkEqual(topics[0]?.partitions.length, 3, 'partitions of admin-t');
      check(topics[0]!.partitions.every((p) => p.leader >= 0), 'every partition has a leader');
      check((await admin.listTopics()).includes('admin-t'), 'listTopics includes admin-t');
      await admin.deleteTopics({ topics: ['admin-t'], timeout: 5_000 });
      await waitFor('admin-t to disappear', async () => ((await admin.listTopics()).includes('admin-t') ? undefined : true), 10_000);
    } finally {
      await admin.disconnect();
    }
  },

  'produce-consume': async (bootstrap) => {
    const kafka = client(bootstrap);
    await createTopic(kafka, 'pc', 3);
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    await producer.send({ topic: 'pc', messages: keyedRecords.map((r) => ({ key: r.key, value: r.value, headers: r.headers })) });
    await producer.disconnect();
    checkKeyed(await readUntil(kafka, 'pc', (rs) => rs.length >= keyedRecords.length));
  },

  ...Object.fromEntries(
    (['compression-gzip', 'compression-snappy', 'compression-lz4'] as const).map((scenario) => [
      scenario,
      async (bootstrap: string) => {
        const kafka = client(bootstrap);
        const codec = codecOf(scenario);
        const topic = `comp-${codec}`;
        await createTopic(kafka, topic, 1);
        const producer = kafka.producer();
        await producer.connect();
        check(codec !== 'zstd', 'zstd has no kafkajs codec here');
        await producer.send({ topic, compression: codecTypes[codec], messages: compressibleValues.map((value) => ({ value })) });
        await producer.disconnect();
        const records = await readUntil(kafka, topic, (rs) => rs.length >= compressibleValues.length);
        checkEqual(records.map((r) => r.value), compressibleValues, 'values read back');
      },
    ]),
  ),

  'consumer-group': async (bootstrap) => {
    const kafka = client(bootstrap);
    await createTopic(kafka, 'grp', 6);
    const members = [0, 1, 2].map(() => ({ consumer: consumerFor(kafka, 'g-grp'), assigned: [] as number[] }));
    try {
      for (const m of members) {
        m.consumer.on(m.consumer.events.GROUP_JOIN, (e) => {
          m.assigned = [...(e.payload.memberAssignment['grp'] ?? [])].sort((a, b) => a - b);
        });
        await m.consumer.connect();
        await m.consumer.subscribe({ topic: 'grp' });
        await m.consumer.run({ eachMessage: async () => {} });
      }
      await waitFor('three members covering 6 partitions once', () => (coversOnce(members.map((m) => m.assigned)) ? true : undefined));
      const leaver = members.shift()!;
      await leaver.consumer.disconnect();
      await waitFor('two members covering 6 partitions once, within the leaver\'s session timeout (so by LeaveGroup)', () => (coversOnce(members.map((m) => m.assigned)) ? true : undefined), takeoverMs);
    } finally {
      await Promise.all(members.map((m) => m.consumer.disconnect()));
    }
  },

  'commit-resume': async (bootstrap) => {
    const kafka = client(bootstrap);
    await createTopic(kafka, 'cr', 1);
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: 'cr', messages: Array.from({ length: 10 }, (_, i) => ({ value: `m${i}` })) });
    await producer.disconnect();

    const first = consumerFor(kafka, 'g-cr');
    let seen = 0;
    await first.connect();
    await first.subscribe({ topic: 'cr', fromBeginning: true });
    await first.run({
      autoCommit: false,
      eachMessage: async () => {
        seen++;
      },
    });
    await waitFor('10 records', () => (seen >= 10 ? true : undefined));
    await first.commitOffsets([{ topic: 'cr', partition: 0, offset: '5' }]);
    await first.disconnect();

    const second = consumerFor(kafka, 'g-cr');
    const offsets: number[] = [];
    await second.connect();
    await second.subscribe({ topic: 'cr', fromBeginning: true });
    await second.run({
      eachMessage: async ({ message }) => {
        offsets.push(Number(message.offset));
      },
    });
    try {
      await waitFor('the resumed member to read', () => (offsets.length >= 5 ? true : undefined));
      checkEqual(offsets[0], 5, 'first offset after resume');
    } finally {
      await second.disconnect();
    }
  },

  'idempotent-produce': async (bootstrap) => {
    const kafka = client(bootstrap);
    await createTopic(kafka, 'idem', 1);
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const values = Array.from({ length: 10 }, (_, i) => `i${i}`);
    for (const value of values) await producer.send({ topic: 'idem', acks: -1, messages: [{ value }] });
    await producer.disconnect();
    const records = await readUntil(kafka, 'idem', (rs) => rs.length >= 10);
    checkEqual(records.map((r) => r.value), values, 'values read back');
  },

  transactions: async (bootstrap) => {
    const kafka = client(bootstrap);
    await createTopic(kafka, 'txn', 1);
    const producer = kafka.producer({ transactionalId: 'tx-kafkajs', idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const run = async (values: string[], commit: boolean): Promise<void> => {
      const txn = await producer.transaction();
      await txn.send({ topic: 'txn', messages: values.map((value) => ({ value })) });
      if (commit) await txn.commit();
      else await txn.abort();
    };
    await run(committedValues.slice(0, 5), true);
    await run(['a0', 'a1', 'a2', 'a3', 'a4'], false);
    await run(['c5'], true);
    await producer.disconnect();
    const records = await readUntil(kafka, 'txn', (rs) => rs.some((r) => r.value === 'c5'), false);
    checkEqual(records.map((r) => r.value), committedValues, 'read_committed values');
  },

  'list-offsets-time': async (bootstrap) => {
    const kafka = client(bootstrap);
    await createTopic(kafka, 'lot', 1);
    const t = baseTimestamp();
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: 'lot', messages: [0, 1, 2].map((i) => ({ value: `t${i}`, timestamp: String(t + i * 10_000) })) });
    await producer.disconnect();
    const admin = kafka.admin();
    await admin.connect();
    try {
      for (const [ts, expected] of [[t - 1_000, '0'], [t + 5_000, '1'], [t + 15_000, '2']] as const) {
        const [p] = await admin.fetchTopicOffsetsByTimestamp('lot', ts);
        checkEqual(p?.offset, expected, `offset for timestamp T${ts - t >= 0 ? '+' : ''}${ts - t}ms`);
      }
    } finally {
      await admin.disconnect();
    }
  },

  'delete-records': async (bootstrap) => {
    const kafka = client(bootstrap);
    await createTopic(kafka, 'dr', 1);
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: 'dr', messages: Array.from({ length: 10 }, (_, i) => ({ value: `d${i}` })) });
    await producer.disconnect();
    const admin = kafka.admin();
    await admin.connect();
    try {
      // kafkajs finds partition leaders only in metadata it already holds.
      await admin.fetchTopicMetadata({ topics: ['dr'] });
      await admin.deleteTopicRecords({ topic: 'dr', partitions: [{ partition: 0, offset: '4' }] });
      const [p] = await admin.fetchTopicOffsets('dr');
      checkEqual(p?.low, '4', 'low watermark');
    } finally {
      await admin.disconnect();
    }
    const records = await readUntil(kafka, 'dr', (rs) => rs.length >= 6);
    checkEqual(records[0]?.offset, 4, 'first offset read');
  },

  configs: async (bootstrap) => {
    const kafka = client(bootstrap);
    await createTopic(kafka, 'cfg', 1, [{ name: 'retention.ms', value: '3600000' }]);
    const admin = kafka.admin();
    await admin.connect();
    try {
      const describe = async (): Promise<string | undefined> => {
        const { resources } = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: 'cfg', configNames: ['retention.ms'] }] });
        const r = resources[0]!;
        check(r.errorCode === 0, `describe error ${r.errorCode} ${r.errorMessage ?? ''}`);
        return r.configEntries.find((e) => e.configName === 'retention.ms')?.configValue;
      };
      checkEqual(await describe(), '3600000', 'retention.ms after create');
      await admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: 'cfg', configEntries: [{ name: 'retention.ms', value: '7200000' }] }] });
      checkEqual(await describe(), '7200000', 'retention.ms after alter');
    } finally {
      await admin.disconnect();
    }
  },
};

runDriver(scenarios);
