/**
 * kafkajs (root devDependency) for clients-bulk.test.ts: its admin creates
 * the topic, its producer sends with its default (Java-compatible murmur2)
 * partitioner, a fresh consumer group reads from the beginning, and its admin
 * lists offsets and describes configs. kafkajs ships gzip only; snappy and
 * lz4 are the codec plugins from test/compat/node_modules.
 */
import assert from 'node:assert/strict';
import kafkajs, { type CompressionTypes as KafkajsCompression, type ConfigResourceTypes, type Kafka } from 'kafkajs';
import { COUNT, PARTITIONS, RECORDS, RETENTION_MS, TOPIC_CONFIGS, requireCompat, waitFor, type Codec, type InRecord } from './support.js';

const { CompressionCodecs, CompressionTypes, Partitioners, logLevel } = kafkajs;
/** kafkajs' ConfigResourceTypes.TOPIC, whose enum a CommonJS import cannot name. */
const TOPIC_RESOURCE = 2 as ConfigResourceTypes;
/** Records per producer.send(): one Produce request with a batch per partition. */
const SEND_CHUNK = 1_000;

type CodecFactory = (typeof CompressionCodecs)[keyof typeof CompressionCodecs];
let pluginsLoaded = false;

/** Registers the snappy and lz4 plugins; throws (failing the test) when they are not installed. */
export function loadKafkajsPlugins(): void {
  if (pluginsLoaded) return;
  const snappy = requireCompat<CodecFactory>('kafkajs-snappy');
  // Its CommonJS module.exports is the codec class itself.
  const Lz4Codec = requireCompat<new () => { codec: CodecFactory }>('kafkajs-lz4');
  CompressionCodecs[CompressionTypes.Snappy] = snappy;
  CompressionCodecs[CompressionTypes.LZ4] = new Lz4Codec().codec;
  pluginsLoaded = true;
}

const compressionOf: Record<Exclude<Codec, 'zstd'>, KafkajsCompression> = {
  none: CompressionTypes.None,
  gzip: CompressionTypes.GZIP,
  snappy: CompressionTypes.Snappy,
  lz4: CompressionTypes.LZ4,
};

function client(bootstrap: string): Kafka {
  return new kafkajs.Kafka({ brokers: [bootstrap], clientId: 'bulk-kafkajs', logLevel: logLevel.NOTHING, requestTimeout: 15_000, retry: { initialRetryTime: 100, retries: 5 } });
}

export async function kafkajsRoundTrip(bootstrap: string, topic: string, codec: Exclude<Codec, 'zstd'>): Promise<InRecord[]> {
  loadKafkajsPlugins();
  const kafka = client(bootstrap);
  const admin = kafka.admin();
  await admin.connect();
  try {
    const created = await admin.createTopics({
      topics: [{ topic, numPartitions: PARTITIONS, configEntries: Object.entries(TOPIC_CONFIGS).map(([name, value]) => ({ name, value })) }],
      waitForLeaders: true,
    });
    assert.equal(created, true, `kafkajs createTopics ${topic}`);

    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    try {
      for (let at = 0; at < COUNT; at += SEND_CHUNK) {
        await producer.send({ topic, compression: compressionOf[codec], messages: RECORDS.slice(at, at + SEND_CHUNK).map((r) => ({ key: r.key, value: r.value })) });
      }
    } finally {
      await producer.disconnect();
    }

    const records: InRecord[] = [];
    const consumer = kafka.consumer({ groupId: `bulk-read-${topic}`, maxWaitTimeInMs: 100, sessionTimeout: 10_000, heartbeatInterval: 500 });
    await consumer.connect();
    try {
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({
        eachBatch: async ({ batch }) => {
          for (const m of batch.messages) records.push({ partition: batch.partition, offset: Number(m.offset), key: m.key?.toString() ?? null, value: m.value?.toString() ?? null });
        },
      });
      await waitFor(`kafkajs: ${COUNT} records of ${topic} (have ${records.length})`, () => records.length >= COUNT, 30_000);
      // Anything delivered twice would arrive right behind the last one.
      await new Promise((r) => setTimeout(r, 200));
    } finally {
      await consumer.disconnect();
    }

    // The client's own view: ListOffsets and DescribeConfigs through kafkajs' admin.
    const offsets = await admin.fetchTopicOffsets(topic);
    assert.equal(offsets.length, PARTITIONS, 'kafkajs fetchTopicOffsets: partitions');
    assert.ok(offsets.every((o) => o.low === '0'), `kafkajs fetchTopicOffsets low: ${offsets.map((o) => o.low).join(',')}`);
    assert.equal(offsets.reduce((sum, o) => sum + Number(o.high), 0), COUNT, 'kafkajs fetchTopicOffsets: high summed');
    const { resources } = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: TOPIC_RESOURCE, name: topic, configNames: ['retention.ms'] }] });
    assert.equal(resources[0]?.configEntries.find((e) => e.configName === 'retention.ms')?.configValue, RETENTION_MS, 'kafkajs describeConfigs retention.ms');
    return records;
  } finally {
    await admin.disconnect();
  }
}
