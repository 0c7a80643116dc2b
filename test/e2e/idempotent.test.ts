/**
 * Idempotent producers under connection drops: a proxy between the client
 * and the broker cuts connections in the middle of requests and after the
 * broker acted on them but before the answer got back. The producer retries
 * with the same sequence numbers; the broker answers a retried batch with
 * its original offsets and does not write it again. 100,000 messages, no
 * duplicates, no gaps, order kept per partition.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { Broker } from '../../src/index.js';
import { seededRandom } from '../../src/platform/random.js';
import { RawClient } from './support/raw-client.js';
import { fetchAll } from './support/helpers.js';
import { ChaosProxy } from './txn-support.js';
import { ApiKey } from '../../src/protocol/generated/api-registry.js';
import { ErrorCode } from '../../src/protocol/errors/index.js';
import { buildRecordBatch } from '../../src/protocol/records/batch-builder.js';

const MESSAGES = 100_000;
const PER_SEND = 250;
const PARTITIONS = 3;

/** Every value 0..n-1 exactly once over all partitions, increasing within each. */
function checkExactlyOnce(byPartition: Map<number, Array<{ value: string | null }>>, n: number): void {
  const seen = new Uint8Array(n);
  for (const [partition, records] of byPartition) {
    let last = -1;
    for (const r of records) {
      const v = Number(r.value);
      assert.ok(Number.isInteger(v) && v >= 0 && v < n, `bad value ${r.value}`);
      assert.equal(seen[v], 0, `duplicate ${v} (partition ${partition})`);
      seen[v] = 1;
      assert.ok(v > last, `order in partition ${partition}: ${v} after ${last}`);
      last = v;
    }
  }
  const missing = seen.indexOf(0);
  assert.equal(missing, -1, `gap: ${missing} missing`);
}

test('kafkajs idempotent producer: 100,000 messages through a proxy that cuts connections, no duplicates, no gaps', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'samsa-idem-'));
  const proxy = await ChaosProxy.listen(seededRandom(42));
  const broker = await Broker.start({ port: 0, dataDir, config: { 'advertised.listeners': `PLAINTEXT://127.0.0.1:${proxy.port}` } });
  const brokerPort = broker.listeners[0]!.port;
  proxy.targetPort = brokerPort;
  const kafka = new Kafka({
    brokers: [`127.0.0.1:${proxy.port}`],
    clientId: 'idem-e2e',
    logLevel: logLevel.NOTHING,
    retry: { initialRetryTime: 5, maxRetryTime: 50, retries: 1000 },
    connectionTimeout: 2000,
    requestTimeout: 5000,
  });
  const admin = kafka.admin();
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
  const raw = await RawClient.connect(`127.0.0.1:${brokerPort}`);
  try {
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'idem', numPartitions: PARTITIONS }] });
    await admin.disconnect();
    await producer.connect();
    proxy.cutChance = 0.12;
    for (let base = 0; base < MESSAGES; base += PER_SEND) {
      await producer.send({
        topic: 'idem',
        acks: -1,
        messages: Array.from({ length: PER_SEND }, (_, i) => ({ key: `k${(base + i) % 97}`, value: String(base + i) })),
      });
    }
    proxy.cutChance = 0;
    assert.ok(proxy.cuts.lostResponse > 5 && proxy.cuts.midRequest > 5, `cuts: ${JSON.stringify(proxy.cuts)}`);
    const byPartition = await fetchAll(raw, 'idem', PARTITIONS);
    let total = 0;
    for (const records of byPartition.values()) total += records.length;
    assert.equal(total, MESSAGES, `${total} records for ${MESSAGES} messages (cuts ${JSON.stringify(proxy.cuts)})`);
    checkExactlyOnce(byPartition, MESSAGES);
  } finally {
    await producer.disconnect().catch(() => undefined);
    raw.close();
    await broker.stop();
    await proxy.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('on the wire: a retried batch gets its first offset back; sequence gaps and stale epochs are refused and nothing is written', async () => {
  const broker = await Broker.start({ port: 0 });
  const raw = await RawClient.connect(broker.bootstrap);
  try {
    const created = await raw.send(ApiKey.CreateTopics, 5, { topics: [{ name: 'wire', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5000, validateOnly: false });
    assert.equal(created.topics[0]!.errorCode, 0);
    const init = await raw.send(ApiKey.InitProducerId, 4, { transactionalId: null, transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 });
    assert.equal(init.errorCode, 0);
    const produce = async (producerId: bigint, producerEpoch: number, baseSequence: number, count: number): Promise<{ errorCode: number; baseOffset: bigint }> => {
      const records = buildRecordBatch({ records: Array.from({ length: count }, (_, i) => ({ value: Buffer.from(`v${baseSequence + i}`) })), producerId, producerEpoch, baseSequence });
      const res = await raw.send(ApiKey.Produce, 9, { transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ name: 'wire', partitionData: [{ index: 0, records }] }] });
      const p = res.responses[0]!.partitionResponses[0]!;
      return { errorCode: p.errorCode, baseOffset: p.baseOffset };
    };
    const end = async (): Promise<bigint> =>
      (await raw.send(ApiKey.ListOffsets, 5, { replicaId: -1, isolationLevel: 0, topics: [{ name: 'wire', partitions: [{ partitionIndex: 0, timestamp: -1n }] }] })).topics[0]!.partitions[0]!.offset;
    const pid = init.producerId;
    assert.deepEqual(await produce(pid, 0, 0, 3), { errorCode: ErrorCode.NONE, baseOffset: 0n });
    assert.deepEqual(await produce(pid, 0, 3, 2), { errorCode: ErrorCode.NONE, baseOffset: 3n });
    assert.deepEqual(await produce(pid, 0, 0, 3), { errorCode: ErrorCode.NONE, baseOffset: 0n }, 'a retry of the first batch');
    assert.equal((await produce(pid, 0, 9, 1)).errorCode, ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
    assert.equal(await end(), 5n);

    // A transactional id's producer after a second InitProducerId: the old epoch is refused.
    const t1 = await raw.send(ApiKey.InitProducerId, 4, { transactionalId: 'wire-txn', transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 });
    assert.equal((await produce(t1.producerId, t1.producerEpoch, 0, 1)).errorCode, ErrorCode.NONE);
    const t2 = await raw.send(ApiKey.InitProducerId, 4, { transactionalId: 'wire-txn', transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 });
    assert.equal(t2.producerEpoch, t1.producerEpoch + 1);
    assert.equal((await produce(t2.producerId, t2.producerEpoch, 0, 1)).errorCode, ErrorCode.NONE);
    assert.equal((await produce(t1.producerId, t1.producerEpoch, 1, 1)).errorCode, ErrorCode.INVALID_PRODUCER_EPOCH);
    assert.equal(await end(), 7n);
    // Producer ids are never handed out twice.
    const ids = new Set<bigint>([pid, t1.producerId]);
    for (let i = 0; i < 20; i++) {
      const more = await raw.send(ApiKey.InitProducerId, 4, { transactionalId: null, transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 });
      assert.ok(!ids.has(more.producerId));
      ids.add(more.producerId);
    }
  } finally {
    raw.close();
    await broker.stop();
  }
});
