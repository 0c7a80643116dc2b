/**
 * The partition-level admin APIs end to end: CreatePartitions and
 * DeleteRecords through kafkajs admin; DescribeLogDirs,
 * DescribeTopicPartitions (paging), ElectLeaders, OffsetForLeaderEpoch and
 * CreateTopics' edge cases over raw requests.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Kafka, logLevel } from 'kafkajs';
import { Broker } from '../../src/index.js';
import { ApiKey } from '../../src/protocol/generated/api-registry.js';
import type { DescribeTopicPartitionsResponse } from '../../src/protocol/generated/messages/describe-topic-partitions-response.js';
import { ZERO_UUID } from '../../src/metadata/uuid.js';
import { RawClient } from './support/raw-client.js';
import { buildBatch } from './support/records.js';

async function produce(client: RawClient, topic: string, partition: number, count: number): Promise<void> {
  const response = await client.send(ApiKey.Produce, 9, {
    acks: -1,
    timeoutMs: 5000,
    topicData: [{ name: topic, partitionData: [{ index: partition, records: buildBatch(Array.from({ length: count }, (_, i) => ({ key: 'k', value: `v${i}` }))) }] }],
  });
  assert.equal(response.responses[0]!.partitionResponses[0]!.errorCode, 0);
}

function createTopic(name: string, numPartitions: number, configs: Array<{ name: string; value: string }> = []) {
  return { name, numPartitions, replicationFactor: 1, assignments: [], configs };
}

test('kafkajs: CreatePartitions and DeleteRecords', async () => {
  const broker = await Broker.start({ port: 0 });
  const kafka = new Kafka({ brokers: [broker.bootstrap], clientId: 'e2e-partitions', logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  const client = await RawClient.connect(broker.bootstrap);
  try {
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'grow', numPartitions: 1 }] });
    await admin.createPartitions({ topicPartitions: [{ topic: 'grow', count: 3 }] });
    const metadata = await admin.fetchTopicMetadata({ topics: ['grow'] });
    assert.deepEqual(metadata.topics[0]!.partitions.map((p) => [p.partitionId, p.leader]).sort(), [[0, 1], [1, 1], [2, 1]]);
    await produce(client, 'grow', 2, 3);
    await assert.rejects(admin.createPartitions({ topicPartitions: [{ topic: 'grow', count: 2 }] }), (err: Error & { type?: string }) => err.type === 'INVALID_PARTITIONS');
    await assert.rejects(admin.createPartitions({ topicPartitions: [{ topic: 'nope', count: 2 }] }), (err: Error & { type?: string }) => err.type === 'UNKNOWN_TOPIC_OR_PARTITION');

    const raw = await client.send(ApiKey.CreatePartitions, 3, {
      topics: [
        { name: 'grow', count: 5, assignments: [{ brokerIds: [1] }] },
        { name: 'grow', count: 6, assignments: null },
      ],
      timeoutMs: 1000,
      validateOnly: false,
    });
    assert.deepEqual(raw.results.map((r) => r.errorCode), [42, 42], 'a topic named twice');
    const checks = await client.send(ApiKey.CreatePartitions, 3, {
      topics: [{ name: 'grow', count: 5, assignments: [{ brokerIds: [1] }] }],
      timeoutMs: 1000,
      validateOnly: false,
    });
    assert.equal(checks.results[0]!.errorCode, 39, 'INVALID_REPLICA_ASSIGNMENT: 2 new partitions, 1 assignment');
    const badBroker = await client.send(ApiKey.CreatePartitions, 3, {
      topics: [{ name: 'grow', count: 4, assignments: [{ brokerIds: [9] }] }],
      timeoutMs: 1000,
      validateOnly: false,
    });
    assert.equal(badBroker.results[0]!.errorCode, 39);
    const validateOnly = await client.send(ApiKey.CreatePartitions, 3, { topics: [{ name: 'grow', count: 10, assignments: null }], timeoutMs: 1000, validateOnly: true });
    assert.equal(validateOnly.results[0]!.errorCode, 0);
    assert.equal((await admin.fetchTopicMetadata({ topics: ['grow'] })).topics[0]!.partitions.length, 3);

    await admin.createTopics({ topics: [{ topic: 'trim', numPartitions: 1 }, { topic: 'compacted', numPartitions: 1, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] }] });
    await produce(client, 'trim', 0, 10);
    await admin.fetchTopicOffsets('trim');
    await admin.deleteTopicRecords({ topic: 'trim', partitions: [{ partition: 0, offset: '4' }] }).catch((err: { partitions?: Array<{ error: unknown }> }) => {
      throw err.partitions?.[0]?.error ?? err;
    });
    const offsets = await admin.fetchTopicOffsets('trim');
    assert.deepEqual([offsets[0]!.low, offsets[0]!.high], ['4', '10']);
    const fetched = await client.send(ApiKey.Fetch, 11, {
      replicaId: -1,
      maxWaitMs: 0,
      minBytes: 0,
      maxBytes: 1 << 20,
      topics: [{ topic: 'trim', partitions: [{ partition: 0, fetchOffset: 2n, partitionMaxBytes: 1 << 20 }] }],
    });
    assert.equal(fetched.responses[0]!.partitions[0]!.errorCode, 1, 'records below the low watermark are gone');

    await produce(client, 'compacted', 0, 2);
    const deleted = await client.send(ApiKey.DeleteRecords, 2, {
      topics: [
        { name: 'trim', partitions: [{ partitionIndex: 0, offset: -1n }, { partitionIndex: 3, offset: 1n }] },
        { name: 'compacted', partitions: [{ partitionIndex: 0, offset: 1n }] },
        { name: 'missing', partitions: [{ partitionIndex: 0, offset: 1n }] },
      ],
      timeoutMs: 1000,
    });
    assert.deepEqual(
      deleted.topics.map((t) => t.partitions.map((p) => [p.partitionIndex, p.errorCode, p.lowWatermark])),
      [[[0, 0, 10n], [3, 3, -1n]], [[0, 44, -1n]], [[0, 3, -1n]]],
    );
    const outOfRange = await client.send(ApiKey.DeleteRecords, 2, { topics: [{ name: 'trim', partitions: [{ partitionIndex: 0, offset: 11n }] }], timeoutMs: 1000 });
    assert.equal(outOfRange.topics[0]!.partitions[0]!.errorCode, 1);
    const backwards = await client.send(ApiKey.DeleteRecords, 0, { topics: [{ name: 'trim', partitions: [{ partitionIndex: 0, offset: 2n }] }], timeoutMs: 1000 });
    assert.deepEqual([backwards.topics[0]!.partitions[0]!.errorCode, backwards.topics[0]!.partitions[0]!.lowWatermark], [0, 10n]);
  } finally {
    client.close();
    await admin.disconnect();
    await broker.stop();
  }
});

test('DescribeLogDirs, ElectLeaders and OffsetForLeaderEpoch', async () => {
  const broker = await Broker.start({ port: 0 });
  const client = await RawClient.connect(broker.bootstrap);
  try {
    await client.send(ApiKey.CreateTopics, 7, { topics: [createTopic('dirs', 2), createTopic('other', 1)] });
    await produce(client, 'dirs', 1, 5);

    const all = await client.send(ApiKey.DescribeLogDirs, 4, { topics: null });
    assert.equal(all.errorCode, 0);
    assert.equal(all.results.length, 1);
    const dir = all.results[0]!;
    assert.equal(dir.errorCode, 0);
    assert.ok(dir.logDir.startsWith('/'));
    assert.ok(dir.totalBytes > 0n && dir.usableBytes > 0n && dir.usableBytes <= dir.totalBytes);
    assert.deepEqual(dir.topics.map((t) => [t.name, t.partitions.map((p) => p.partitionIndex)]), [['dirs', [0, 1]], ['other', [0]]]);
    const sizes = new Map(dir.topics[0]!.partitions.map((p) => [p.partitionIndex, p.partitionSize]));
    assert.equal(sizes.get(0), 0n);
    assert.ok(sizes.get(1)! > 0n);
    const some = await client.send(ApiKey.DescribeLogDirs, 1, { topics: [{ topic: 'dirs', partitions: [1, 7] }, { topic: 'missing', partitions: [0] }] });
    assert.deepEqual(some.results[0]!.topics.map((t) => [t.name, t.partitions.map((p) => p.partitionIndex)]), [['dirs', [1]]]);

    const preferred = await client.send(ApiKey.ElectLeaders, 2, {
      electionType: 0,
      topicPartitions: [{ topic: 'dirs', partitions: [0, 1, 5] }, { topic: 'missing', partitions: [0] }],
      timeoutMs: 1000,
    });
    assert.equal(preferred.errorCode, 0);
    assert.deepEqual(
      preferred.replicaElectionResults.map((r) => [r.topic, r.partitionResult.map((p) => [p.partitionId, p.errorCode])]),
      [['dirs', [[0, 84], [1, 84], [5, 3]]], ['missing', [[0, 3]]]],
    );
    const unclean = await client.send(ApiKey.ElectLeaders, 1, { electionType: 1, topicPartitions: [{ topic: 'other', partitions: [0] }], timeoutMs: 1000 });
    assert.equal(unclean.replicaElectionResults[0]!.partitionResult[0]!.errorCode, 84);
    const everything = await client.send(ApiKey.ElectLeaders, 2, { electionType: 0, topicPartitions: null, timeoutMs: 1000 });
    assert.ok(everything.replicaElectionResults.every((r) => r.partitionResult.length === 0), 'no partition needs an election');
    const badType = await client.send(ApiKey.ElectLeaders, 2, { electionType: 5, topicPartitions: null, timeoutMs: 1000 });
    assert.equal(badType.errorCode, 42);
    const v0 = await client.send(ApiKey.ElectLeaders, 0, { topicPartitions: [{ topic: 'other', partitions: [0] }], timeoutMs: 1000 });
    assert.equal(v0.replicaElectionResults[0]!.partitionResult[0]!.errorCode, 84);

    const epochs = await client.send(ApiKey.OffsetForLeaderEpoch, 4, {
      replicaId: -1,
      topics: [
        {
          topic: 'dirs',
          partitions: [
            { partition: 1, currentLeaderEpoch: 0, leaderEpoch: 0 },
            { partition: 0, currentLeaderEpoch: -1, leaderEpoch: 0 },
            { partition: 1, currentLeaderEpoch: 3, leaderEpoch: 0 },
            { partition: 9, currentLeaderEpoch: -1, leaderEpoch: 0 },
          ],
        },
      ],
    });
    assert.deepEqual(
      epochs.topics[0]!.partitions.map((p) => [p.partition, p.errorCode, p.leaderEpoch, p.endOffset]),
      [
        [1, 0, 0, 5n],
        [0, 0, -1, -1n],
        [1, 75, -1, -1n],
        [9, 3, -1, -1n],
      ],
    );
    const v0Epochs = await client.send(ApiKey.OffsetForLeaderEpoch, 0, { topics: [{ topic: 'dirs', partitions: [{ partition: 1, leaderEpoch: 0 }] }] });
    assert.deepEqual([v0Epochs.topics[0]!.partitions[0]!.errorCode, v0Epochs.topics[0]!.partitions[0]!.endOffset], [0, 5n]);
  } finally {
    client.close();
    await broker.stop();
  }
});

test('DescribeTopicPartitions pages with a cursor; CreateTopics edge cases', async () => {
  const broker = await Broker.start({ port: 0 });
  const client = await RawClient.connect(broker.bootstrap);
  try {
    await client.send(ApiKey.CreateTopics, 7, { topics: [createTopic('b-three', 3), createTopic('a-two', 2), createTopic('c-one', 1)] });

    // Every topic, two partitions per page.
    const seen: string[] = [];
    let cursor: { topicName: string; partitionIndex: number } | null = null;
    for (let page = 0; page < 10; page++) {
      const response: DescribeTopicPartitionsResponse = await client.send(ApiKey.DescribeTopicPartitions, 0, { topics: [], responsePartitionLimit: 2, cursor });
      for (const t of response.topics) {
        assert.equal(t.errorCode, 0);
        for (const p of t.partitions) {
          seen.push(`${t.name}-${p.partitionIndex}`);
          assert.deepEqual([p.leaderId, p.leaderEpoch, p.replicaNodes, p.isrNodes, p.offlineReplicas], [1, 0, [1], [1], []]);
        }
      }
      cursor = response.nextCursor;
      if (cursor === null) break;
    }
    assert.deepEqual(seen, ['a-two-0', 'a-two-1', 'b-three-0', 'b-three-1', 'b-three-2', 'c-one-0']);

    const first = await client.send(ApiKey.DescribeTopicPartitions, 0, { topics: [], responsePartitionLimit: 2, cursor: null });
    assert.deepEqual(first.nextCursor, { topicName: 'b-three', partitionIndex: 0 }, 'a limit at a topic end points at the next topic');
    const named = await client.send(ApiKey.DescribeTopicPartitions, 0, {
      topics: [{ name: 'c-one' }, { name: 'missing' }, { name: 'bad name' }, { name: 'b-three' }],
      responsePartitionLimit: 2000,
      cursor: { topicName: 'b-three', partitionIndex: 1 },
    });
    assert.deepEqual(
      named.topics.map((t) => [t.name, t.errorCode, t.partitions.map((p) => p.partitionIndex)]),
      [['b-three', 0, [1, 2]], ['bad name', 17, []], ['c-one', 0, [0]], ['missing', 3, []]],
    );
    assert.equal(named.nextCursor, null);
    const badCursor = await client.send(ApiKey.DescribeTopicPartitions, 0, { topics: [{ name: 'c-one' }], responsePartitionLimit: 10, cursor: { topicName: 'a-two', partitionIndex: 0 } });
    assert.deepEqual(badCursor.topics.map((t) => [t.name, t.errorCode]), [['c-one', 42]]);

    // CreateTopics: validateOnly, explicit assignments, and each error.
    const validated = await client.send(ApiKey.CreateTopics, 7, { topics: [createTopic('dry', 2, [{ name: 'retention.ms', value: '1000' }])], validateOnly: true, timeoutMs: 1000 });
    const dry = validated.topics[0]!;
    assert.deepEqual([dry.errorCode, dry.numPartitions, dry.replicationFactor], [0, 2, 1]);
    assert.equal(dry.configs!.find((c) => c.name === 'retention.ms')!.value, '1000');
    assert.equal(dry.configs!.find((c) => c.name === 'retention.ms')!.configSource, 1);
    const metadata = await client.send(ApiKey.Metadata, 12, { topics: [{ name: 'dry', topicId: ZERO_UUID }], allowAutoTopicCreation: false });
    assert.equal(metadata.topics[0]!.errorCode, 3, 'validateOnly created nothing');

    const created = await client.send(ApiKey.CreateTopics, 7, {
      topics: [
        { name: 'assigned', numPartitions: -1, replicationFactor: -1, assignments: [{ partitionIndex: 0, brokerIds: [1] }, { partitionIndex: 1, brokerIds: [1] }], configs: [] },
        { name: 'two-copies', numPartitions: 1, replicationFactor: 2, assignments: [], configs: [] },
        { name: 'a-two', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] },
        { name: 'bad/name', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] },
        createTopic('bad-config', 1, [{ name: 'retention.ms', value: 'forever' }]),
        createTopic('unknown-config', 1, [{ name: 'retention.forever', value: '1' }]),
        { name: 'elsewhere', numPartitions: -1, replicationFactor: -1, assignments: [{ partitionIndex: 0, brokerIds: [2] }], configs: [] },
        createTopic('no-partitions', 0),
      ],
      timeoutMs: 1000,
    });
    assert.deepEqual(
      created.topics.map((t) => [t.name, t.errorCode]),
      [
        ['assigned', 0],
        ['two-copies', 38],
        ['a-two', 36],
        ['bad/name', 17],
        ['bad-config', 40],
        ['unknown-config', 40],
        ['elsewhere', 39],
        ['no-partitions', 37],
      ],
    );
    assert.equal(created.topics[0]!.numPartitions, 2);
  } finally {
    client.close();
    await broker.stop();
  }
});
