/**
 * Records the requests kafkajs sends into test/fixtures/golden/kafkajs/.
 * Run after a build, from the repository root:
 *   node dist/tools/capture/record-kafkajs.js
 *
 * kafkajs compresses with gzip on its own; snappy, lz4 and zstd need codec
 * plugins we do not install, so its produce fixtures cover none and gzip.
 * Each step uses its own client id (`golden.<scenario>`), which the golden
 * test reads back to know what the bytes should say.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import kafkajs from 'kafkajs';
import { startCaptureServer } from './capture-server.js';

const { Kafka, CompressionTypes, ConfigResourceTypes, Partitioners, logLevel } = kafkajs;

const GROUP = 'golden-kafkajs';
const TOPIC = 'golden';

function kafkajsVersion(): string {
  const require = createRequire(import.meta.url);
  const packageJson: unknown = JSON.parse(readFileSync(join(require.resolve('kafkajs'), '..', 'package.json'), 'utf8'));
  const version = typeof packageJson === 'object' && packageJson !== null && 'version' in packageJson ? packageJson.version : undefined;
  return `kafkajs ${String(version)}`;
}

async function main(): Promise<void> {
  const capture = await startCaptureServer({
    client: 'kafkajs',
    outDir: 'test/fixtures/golden/kafkajs',
    clientVersion: kafkajsVersion(),
  });
  const brokers = [`127.0.0.1:${capture.port}`];
  const kafka = (scenario: string) => new Kafka({ clientId: `golden.${scenario}`, brokers, logLevel: logLevel.WARN, retry: { retries: 2 } });

  try {
    // Admin: CreateTopics, Metadata, DescribeConfigs, ListOffsets, ListGroups, DeleteTopics.
    const admin = kafka('admin').admin();
    await admin.connect();
    await admin.createTopics({
      topics: [{ topic: 'golden-admin', numPartitions: 2, replicationFactor: 1, configEntries: [{ name: 'retention.ms', value: '3600000' }] }],
      waitForLeaders: false,
    });
    await admin.fetchTopicMetadata({ topics: [TOPIC] });
    await admin.describeConfigs({
      resources: [{ type: ConfigResourceTypes.TOPIC, name: TOPIC, configNames: ['retention.ms'] }],
      includeSynonyms: false,
    });
    await admin.fetchTopicOffsets(TOPIC);
    await admin.listGroups();
    await admin.deleteTopics({ topics: ['golden-admin'] });
    await admin.disconnect();

    let produced = 0;
    const messages = (tag: string, count: number) => {
      produced += count;
      return Array.from({ length: count }, (_, i) => ({
        key: `k${i + 1}`,
        value: `${tag} message ${i + 1} ${'golden '.repeat(30)}`,
        headers: { trace: 'golden' },
        timestamp: String(1700000000000 + i),
      }));
    };

    for (const [name, compression] of [
      ['none', CompressionTypes.None],
      ['gzip', CompressionTypes.GZIP],
    ] as const) {
      const producer = kafka(`produce-${name}`).producer({ createPartitioner: Partitioners.DefaultPartitioner });
      await producer.connect();
      await producer.send({ topic: TOPIC, compression, acks: -1, messages: messages(name, 3) });
      await producer.disconnect();
    }

    const acks0 = kafka('produce-acks0-none').producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await acks0.connect();
    await acks0.send({ topic: TOPIC, acks: 0, messages: messages('acks0', 1) });
    await acks0.disconnect();

    const idempotent = kafka('produce-idempotent-gzip').producer({
      idempotent: true,
      maxInFlightRequests: 1,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    await idempotent.connect();
    await idempotent.send({ topic: TOPIC, compression: CompressionTypes.GZIP, messages: messages('idempotent', 2) });
    await idempotent.disconnect();

    const transactional = kafka('produce-transactional-none').producer({
      transactionalId: 'golden-kafkajs-txn',
      idempotent: true,
      maxInFlightRequests: 1,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    await transactional.connect();
    const txn = await transactional.transaction();
    await txn.send({ topic: TOPIC, messages: messages('transactional', 2) });
    await txn.commit();
    await transactional.disconnect();

    // Consumer group: FindCoordinator, JoinGroup, SyncGroup, OffsetFetch, ListOffsets, Fetch, Heartbeat, OffsetCommit, LeaveGroup.
    const consumer = kafka('group').consumer({ groupId: GROUP, maxWaitTimeInMs: 200, heartbeatInterval: 100 });
    await consumer.connect();
    await consumer.subscribe({ topics: [TOPIC], fromBeginning: true });
    let consumed = 0;
    // acks=0 messages are stored too, so every produced record comes back.
    const expected = produced;
    await new Promise<void>((resolveDone, reject) => {
      const timer = setTimeout(() => reject(new Error(`consumed ${consumed} of ${expected} in time`)), 30000);
      consumer
        .run({
          autoCommit: true,
          eachMessage: async () => {
            consumed += 1;
            if (consumed === expected) {
              clearTimeout(timer);
              resolveDone();
            }
          },
        })
        .catch(reject);
    });
    await consumer.disconnect();
    process.stderr.write(`kafkajs: produced ${produced}, consumed ${consumed}\n`);
  } finally {
    await capture.close();
  }
  process.stderr.write(`kafkajs: saved ${capture.index.frames.length} frames\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exit(1);
});
