/**
 * Fetch sessions (KIP-227) over raw requests, Produce validation (per-record
 * timestamps with KIP-467 record errors, recompression to the topic's
 * codec) and ListOffsets v0, against an embedded broker.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Broker } from '../../src/index.js';
import { ApiKey } from '../../src/protocol/generated/api-registry.js';
import { ErrorCode } from '../../src/protocol/errors/index.js';
import { buildRecordBatch, readBatchHeader } from '../../src/protocol/records/index.js';
import { RawClient } from './support/raw-client.js';
import { readRecords } from './support/records.js';

let broker: Broker;
let client: RawClient;

async function createTopic(name: string, partitions: number, configs: Array<{ name: string; value: string }> = []): Promise<void> {
  const r = await client.send(ApiKey.CreateTopics, 5, { topics: [{ name, numPartitions: partitions, replicationFactor: 1, assignments: [], configs }], timeoutMs: 5000 });
  assert.equal(r.topics[0]!.errorCode, 0);
}

async function produce(topic: string, partition: number, values: string[], timestamps?: number[]) {
  const now = Date.now();
  const batch = buildRecordBatch({ records: values.map((v, i) => ({ key: null, value: Buffer.from(v), timestamp: timestamps?.[i] ?? now })) });
  const r = await client.send(ApiKey.Produce, 9, { acks: 1, timeoutMs: 5000, topicData: [{ name: topic, partitionData: [{ index: partition, records: batch }] }] });
  return r.responses[0]!.partitionResponses[0]!;
}

before(async () => {
  broker = await Broker.start();
  client = await RawClient.connect(broker.bootstrap);
});

after(async () => {
  client.close();
  await broker.stop();
});

test('fetch sessions: create on epoch 0, incremental answers carry only changed partitions, forget, errors', async () => {
  await createTopic('sessions', 2);
  await produce('sessions', 0, ['a', 'b']);
  const fetch = (sessionId: number, sessionEpoch: number, partitions: Array<{ partition: number; fetchOffset: bigint }>, forgotten: number[] = []) =>
    client.send(ApiKey.Fetch, 12, {
      replicaId: -1,
      maxWaitMs: 0,
      minBytes: 0,
      maxBytes: 1 << 20,
      sessionId,
      sessionEpoch,
      topics: partitions.length === 0 ? [] : [{ topic: 'sessions', partitions: partitions.map((p) => ({ ...p, partitionMaxBytes: 1 << 20 })) }],
      forgottenTopicsData: forgotten.length === 0 ? [] : [{ topic: 'sessions', partitions: forgotten }],
    });

  const full = await fetch(0, 0, [{ partition: 0, fetchOffset: 0n }, { partition: 1, fetchOffset: 0n }]);
  assert.equal(full.errorCode, 0);
  assert.notEqual(full.sessionId, 0, 'a session is created');
  assert.deepEqual(full.responses[0]!.partitions.map((p) => p.partitionIndex), [0, 1]);
  assert.deepEqual(readRecords(full.responses[0]!.partitions[0]!.records).map((r) => r.value?.toString()), ['a', 'b']);
  const id = full.sessionId;

  // The client moves partition 0 to offset 2; nothing new anywhere: an empty answer.
  const quiet = await fetch(id, 1, [{ partition: 0, fetchOffset: 2n }]);
  assert.equal(quiet.errorCode, 0);
  assert.equal(quiet.sessionId, id);
  assert.deepEqual(quiet.responses, []);

  // New data in partition 1, which the request does not name: only it comes back.
  await produce('sessions', 1, ['c']);
  const changed = await fetch(id, 2, []);
  assert.equal(changed.errorCode, 0);
  assert.deepEqual(changed.responses.map((t) => t.partitions.map((p) => p.partitionIndex)), [[1]]);
  assert.deepEqual(readRecords(changed.responses[0]!.partitions[0]!.records).map((r) => r.value?.toString()), ['c']);
  assert.equal(changed.responses[0]!.partitions[0]!.highWatermark, 1n);

  // A repeated or skipped epoch, and an unknown id.
  assert.equal((await fetch(id, 2, [])).errorCode, ErrorCode.INVALID_FETCH_SESSION_EPOCH);
  assert.equal((await fetch(id, 9, [])).errorCode, ErrorCode.INVALID_FETCH_SESSION_EPOCH);
  assert.equal((await fetch(id + 1, 1, [])).errorCode, ErrorCode.FETCH_SESSION_ID_NOT_FOUND);

  // Forgetting every partition closes the session: the answer is sessionless.
  const closed = await fetch(id, 3, [], [0, 1]);
  assert.equal(closed.errorCode, 0);
  assert.equal(closed.sessionId, 0);
  assert.equal((await fetch(id, 4, [])).errorCode, ErrorCode.FETCH_SESSION_ID_NOT_FOUND);

  // Epoch -1 with no id: a plain full fetch without a session.
  const sessionless = await fetch(0, -1, [{ partition: 1, fetchOffset: 0n }]);
  assert.equal(sessionless.sessionId, 0);
  assert.equal(sessionless.responses[0]!.partitions[0]!.records?.length !== 0, true);
});

test('produce: records outside message.timestamp.before.max.ms are reported one by one (KIP-467)', async () => {
  await createTopic('ts-checked', 1, [{ name: 'message.timestamp.before.max.ms', value: '60000' }]);
  const now = Date.now();
  const refused = await produce('ts-checked', 0, ['ok', 'old', 'ok', 'older'], [now, now - 3_600_000, now, now - 7_200_000]);
  assert.equal(refused.errorCode, ErrorCode.INVALID_TIMESTAMP);
  assert.deepEqual(refused.recordErrors.map((e) => e.batchIndex), [1, 3]);
  assert.match(refused.errorMessage ?? '', /2 of 4 records/);
  const accepted = await produce('ts-checked', 0, ['fine'], [now]);
  assert.equal(accepted.errorCode, 0);
  assert.equal(accepted.baseOffset, 0n, 'nothing of the refused batch was written');
  // The default after.max.ms (1 hour) is checked on the batch's max timestamp.
  const future = await produce('ts-checked', 0, ['soon'], [now + 2 * 3_600_000]);
  assert.equal(future.errorCode, ErrorCode.INVALID_TIMESTAMP);
  assert.deepEqual(future.recordErrors.map((e) => e.batchIndex), [0]);
});

test("produce: a batch is recompressed only when the topic's compression.type names another codec", async () => {
  await createTopic('gz', 1, [{ name: 'compression.type', value: 'gzip' }]);
  await createTopic('as-sent', 1);
  for (const topic of ['gz', 'as-sent']) assert.equal((await produce(topic, 0, ['x', 'y', 'z'])).errorCode, 0);
  const read = async (topic: string) => {
    const r = await client.send(ApiKey.Fetch, 11, { replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, topics: [{ topic, partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 1 << 20 }] }] });
    return r.responses[0]!.partitions[0]!.records!;
  };
  const gz = await read('gz');
  assert.equal(readBatchHeader(gz, 0).compression, 1, 'stored as gzip');
  assert.deepEqual(readRecords(gz).map((r) => r.value?.toString()), ['x', 'y', 'z']);
  assert.equal(readBatchHeader(await read('as-sent'), 0).compression, 0, 'compression.type=producer keeps the batch');
});

test('list offsets v0 answers old-style offset lists', async () => {
  await createTopic('old-offsets', 1);
  await produce('old-offsets', 0, ['1', '2', '3']);
  const r = await client.send(ApiKey.ListOffsets, 0, {
    replicaId: -1,
    topics: [{ name: 'old-offsets', partitions: [{ partitionIndex: 0, timestamp: -1n, maxNumOffsets: 1 }, { partitionIndex: 0, timestamp: -2n, maxNumOffsets: 1 }] }],
  });
  const [latest, earliest] = r.topics[0]!.partitions;
  assert.deepEqual(latest!.oldStyleOffsets, [3n]);
  assert.deepEqual(earliest!.oldStyleOffsets, [0n]);
});
