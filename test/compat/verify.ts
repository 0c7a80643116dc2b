/**
 * Checks on the broker's side after a client says a scenario passed, so a
 * client cannot pass by quietly not doing the feature (sending uncompressed,
 * or without a producer id, or outside a transaction): the runner reads the
 * stored batches back with a raw Fetch and looks at their headers.
 */
import { ApiKey } from '../../src/protocol/generated/api-registry.js';
import { iterateBatches, readBatchHeader, type BatchHeader } from '../../src/protocol/records/index.js';
import { RawClient } from '../e2e/support/raw-client.js';
import type { ScenarioId } from './scenarios.js';

const codecIds = { gzip: 1, snappy: 2, lz4: 3, zstd: 4 } as const;

async function batchesOf(bootstrap: string, topic: string): Promise<BatchHeader[]> {
  const client = await RawClient.connect(bootstrap);
  try {
    const response = await client.send(ApiKey.Fetch, 11, {
      replicaId: -1,
      maxWaitMs: 0,
      minBytes: 0,
      maxBytes: 1 << 20,
      isolationLevel: 0,
      topics: [{ topic, partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 1 << 20 }] }],
    });
    const p = response.responses[0]?.partitions[0];
    if (p === undefined) throw new Error(`no fetch answer for ${topic}-0`);
    if (p.errorCode !== 0) {
      // Say what Metadata thinks of the topic too, so a failure here can be told apart from a fetch bug.
      const md = await client.send(ApiKey.Metadata, 12, { topics: [{ topicId: undefined, name: topic }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
      const t = md.topics[0];
      throw new Error(`raw Fetch v11 of ${topic}-0 answered error ${p.errorCode}; Metadata v12 for ${topic}: error ${t?.errorCode}, ${t?.partitions.length} partitions`);
    }
    const records = p.records ?? Buffer.alloc(0);
    return iterateBatches(records).batches.map((b) => readBatchHeader(records, b.offset));
  } finally {
    client.close();
  }
}

/** null when the stored data shows the feature was used, else what is wrong. */
export async function verifyOnBroker(scenario: ScenarioId, bootstrap: string): Promise<string | null> {
  if (scenario.startsWith('compression-')) {
    const codec = scenario.slice('compression-'.length) as keyof typeof codecIds;
    const batches = (await batchesOf(bootstrap, `comp-${codec}`)).filter((b) => !b.isControl);
    if (batches.length === 0) return `broker check: no batches stored in comp-${codec}`;
    const wrong = batches.filter((b) => b.compression !== codecIds[codec]);
    return wrong.length === 0 ? null : `broker check: ${wrong.length} of ${batches.length} batches in comp-${codec} have codec ${wrong[0]!.compression}, not ${codec} (${codecIds[codec]})`;
  }
  if (scenario === 'idempotent-produce') {
    const batches = await batchesOf(bootstrap, 'idem');
    const without = batches.filter((b) => b.producerId < 0n);
    return batches.length > 0 && without.length === 0 ? null : `broker check: ${without.length} of ${batches.length} batches in idem carry no producer id`;
  }
  if (scenario === 'transactions') {
    const batches = await batchesOf(bootstrap, 'txn');
    const data = batches.filter((b) => !b.isControl);
    const markers = batches.filter((b) => b.isControl);
    if (data.length === 0 || !data.every((b) => b.isTransactional && b.producerId >= 0n)) return 'broker check: data batches in txn are not all transactional';
    return markers.length >= 3 ? null : `broker check: ${markers.length} transaction markers in txn, expected 3 (commit, abort, commit)`;
  }
  return null;
}
