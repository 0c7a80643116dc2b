/**
 * The embedded broker with a real client (kafkajs): create a topic with 6
 * partitions, produce keyed messages, read them all back in order per
 * partition, list offsets; and the protocol details around it (ApiVersions
 * built from the handler table, long poll woken by an append, topic ids).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Kafka, logLevel } from 'kafkajs';
import { Broker } from '../../src/index.js';
import { ApiKey, apiDefinitions } from '../../src/protocol/generated/api-registry.js';
import { handlerList } from '../../src/broker/handlers/index.js';
import { RawClient } from './support/raw-client.js';
import { fetchAll } from './support/helpers.js';
import { buildBatch, readRecords } from './support/records.js';

const PARTITIONS = 6;
const KEYS = 24;
const MESSAGES = 1200;

test('kafkajs: create 6 partitions, produce keyed messages, read back in order, list offsets', async () => {
  const broker = await Broker.start({ port: 0 });
  const kafka = new Kafka({ brokers: [broker.bootstrap], clientId: 'e2e', logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  const producer = kafka.producer();
  const raw = await RawClient.connect(broker.bootstrap);
  try {
    await admin.connect();
    assert.equal(await admin.createTopics({ topics: [{ topic: 'orders', numPartitions: PARTITIONS }] }), true);
    assert.deepEqual(await admin.listTopics(), ['orders']);

    await producer.connect();
    const before = Date.now();
    for (let round = 0; round < MESSAGES / 100; round++) {
      await producer.send({
        topic: 'orders',
        acks: -1,
        messages: Array.from({ length: 100 }, (_, i) => {
          const n = round * 100 + i;
          return { key: `key-${n % KEYS}`, value: `${n}` };
        }),
      });
    }

    const byPartition = await fetchAll(raw, 'orders', PARTITIONS);
    let total = 0;
    const partitionOfKey = new Map<string, number>();
    for (const [partition, records] of byPartition) {
      total += records.length;
      records.forEach((r, i) => assert.equal(r.offset, i, 'offsets are dense from 0'));
      const lastValueOfKey = new Map<string, number>();
      for (const r of records) {
        assert.ok(r.key !== null && r.value !== null);
        const seen = partitionOfKey.get(r.key);
        assert.ok(seen === undefined || seen === partition, `key ${r.key} in one partition only`);
        partitionOfKey.set(r.key, partition);
        const value = Number(r.value);
        assert.ok((lastValueOfKey.get(r.key) ?? -1) < value, `order of ${r.key} kept in partition ${partition}`);
        lastValueOfKey.set(r.key, value);
      }
    }
    assert.equal(total, MESSAGES);
    assert.equal(partitionOfKey.size, KEYS);

    const offsets = await admin.fetchTopicOffsets('orders');
    assert.equal(offsets.length, PARTITIONS);
    for (const o of offsets) {
      assert.equal(o.low, '0');
      assert.equal(Number(o.high), byPartition.get(o.partition)!.length);
    }
    const byTime = await admin.fetchTopicOffsetsByTimestamp('orders', before - 1000);
    for (const o of byTime) assert.equal(o.offset, byPartition.get(o.partition)!.length === 0 ? '-1' : '0');
    const future = await admin.fetchTopicOffsetsByTimestamp('orders', Date.now() + 3_600_000);
    for (const o of future) assert.ok(o.offset === '-1' || Number(o.offset) === byPartition.get(o.partition)!.length);

    const metadata = await admin.fetchTopicMetadata({ topics: ['orders'] });
    const partitions = metadata.topics[0]!.partitions;
    assert.equal(partitions.length, PARTITIONS);
    for (const p of partitions) {
      assert.equal(p.leader, 1);
      assert.deepEqual(p.replicas, [1]);
      assert.deepEqual(p.isr, [1]);
    }
  } finally {
    raw.close();
    await producer.disconnect();
    await admin.disconnect();
    await broker.stop();
  }
});

test('ApiVersions advertises exactly the handler table; an unknown version gets error 35 and the list', async () => {
  const broker = await Broker.start();
  const client = await RawClient.connect(broker.bootstrap);
  try {
    const response = await client.send(ApiKey.ApiVersions, 3, { clientSoftwareName: 'samsa-test', clientSoftwareVersion: '1.0' });
    assert.equal(response.errorCode, 0);
    const advertised = response.apiKeys.map((k) => k.apiKey).sort((a, b) => a - b);
    assert.deepEqual(advertised, handlerList.map((h) => h.apiKey).sort((a, b) => a - b));
    for (const k of response.apiKeys) {
      const definition = apiDefinitions[k.apiKey as ApiKey];
      assert.ok(k.maxVersion <= definition.maxVersion);
    }
    assert.ok(response.finalizedFeatures.some((f) => f.name === 'metadata.version'));

    // KIP-511: a version from the future is answered in v0 with UNSUPPORTED_VERSION and our versions.
    const frame = client.frame(ApiKey.ApiVersions, 3, { clientSoftwareName: 'x', clientSoftwareVersion: '1' }, 777);
    frame.writeInt16BE(99, 6);
    const reply = client.expect(777);
    client.writeRaw(frame);
    const { decodeApiVersionsResponse } = await import('../../src/protocol/generated/messages/api-versions-response.js');
    const { Reader } = await import('../../src/protocol/primitives/reader.js');
    const r = new Reader(await reply, 4);
    const v0 = decodeApiVersionsResponse(r, 0);
    assert.equal(v0.errorCode, 35);
    assert.equal(v0.apiKeys.length, response.apiKeys.length);
    assert.equal(client.isClosed, false);
  } finally {
    client.close();
    await broker.stop();
  }
});

test('fetch long poll is woken by an append, and times out on max.wait.ms otherwise', async () => {
  const broker = await Broker.start();
  const client = await RawClient.connect(broker.bootstrap);
  const producerConnection = await RawClient.connect(broker.bootstrap);
  try {
    const created = await client.send(ApiKey.CreateTopics, 7, {
      topics: [{ name: 'waits', numPartitions: 1, replicationFactor: -1, assignments: [], configs: [] }],
    });
    assert.equal(created.topics[0]!.errorCode, 0);
    const topicId = created.topics[0]!.topicId;
    const fetch = (maxWaitMs: number) =>
      client.send(ApiKey.Fetch, 13, {
        maxWaitMs,
        minBytes: 1,
        topics: [{ topicId, partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 1 << 20 }] }],
      });

    let started = Date.now();
    const empty = await fetch(200);
    assert.ok(Date.now() - started >= 150, 'waited for max.wait.ms');
    assert.equal(empty.responses[0]!.partitions[0]!.records?.length ?? 0, 0);

    started = Date.now();
    const waiting = fetch(20_000);
    const produced = await producerConnection.send(ApiKey.Produce, 9, {
      acks: 1,
      timeoutMs: 1000,
      topicData: [{ name: 'waits', partitionData: [{ index: 0, records: buildBatch([{ key: 'k', value: 'hello' }]) }] }],
    });
    assert.equal(produced.responses[0]!.partitionResponses[0]!.errorCode, 0);
    const woken = await waiting;
    assert.ok(Date.now() - started < 5_000, 'answered on the append, not the timeout');
    const partition = woken.responses[0]!.partitions[0]!;
    assert.equal(woken.responses[0]!.topicId, topicId);
    assert.deepEqual(
      readRecords(partition.records).map((r) => r.value),
      ['hello'],
    );
    assert.equal(partition.highWatermark, 1n);
  } finally {
    client.close();
    producerConnection.close();
    await broker.stop();
  }
});

test('metadata auto-creates topics with num.partitions, and reports topic ids and unknown ids', async () => {
  const broker = await Broker.start({ config: { 'num.partitions': 3 } });
  const client = await RawClient.connect(broker.bootstrap);
  try {
    const response = await client.send(ApiKey.Metadata, 12, { topics: [{ name: 'auto' }], allowAutoTopicCreation: true });
    const topic = response.topics[0]!;
    assert.equal(topic.errorCode, 0);
    assert.equal(topic.partitions.length, 3);
    assert.notEqual(topic.topicId, 'AAAAAAAAAAAAAAAAAAAAAA');
    for (const p of topic.partitions) assert.equal(p.leaderEpoch, 0);

    const byId = await client.send(ApiKey.Metadata, 12, { topics: [{ name: null, topicId: topic.topicId }] });
    assert.equal(byId.topics[0]!.name, 'auto');
    const unknown = await client.send(ApiKey.Metadata, 12, { topics: [{ name: null, topicId: 'AAAAAAAAAAAAAAAAAAAAAQ' }] });
    assert.equal(unknown.topics[0]!.errorCode, 100);

    const noCreate = await client.send(ApiKey.Metadata, 12, { topics: [{ name: 'not-created' }], allowAutoTopicCreation: false });
    assert.equal(noCreate.topics[0]!.errorCode, 3);

    const deleted = await client.send(ApiKey.DeleteTopics, 6, { topics: [{ name: 'auto' }], timeoutMs: 1000 });
    assert.equal(deleted.responses[0]!.errorCode, 0);
    const after = await client.send(ApiKey.Metadata, 12, { topics: null });
    assert.equal(after.topics.length, 0);
  } finally {
    client.close();
    await broker.stop();
  }
});
