/**
 * Restart keeps topics, topic ids, configs and data: the metadata log is
 * replayed into the same image and the partition logs are reopened.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Broker } from '../../src/index.js';
import { ApiKey } from '../../src/protocol/generated/api-registry.js';
import { RawClient } from './support/raw-client.js';
import { fetchAll } from './support/helpers.js';
import { buildBatch } from './support/records.js';

async function produce(client: RawClient, topic: string, partition: number, values: string[]): Promise<bigint> {
  const response = await client.send(ApiKey.Produce, 9, {
    acks: -1,
    timeoutMs: 5000,
    topicData: [{ name: topic, partitionData: [{ index: partition, records: buildBatch(values.map((v) => ({ key: 'k', value: v }))) }] }],
  });
  const p = response.responses[0]!.partitionResponses[0]!;
  assert.equal(p.errorCode, 0);
  return p.baseOffset;
}

test('a restarted broker has the same topics, topic ids, configs and data', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'samsa-restart-'));
  try {
    let broker = await Broker.start({ dataDir });
    const clusterId = broker.clusterId;
    let client = await RawClient.connect(broker.bootstrap);
    const created = await client.send(ApiKey.CreateTopics, 7, {
      topics: [
        { name: 'kept', numPartitions: 3, replicationFactor: 1, assignments: [], configs: [{ name: 'retention.ms', value: '123456' }] },
        { name: 'dropped', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] },
      ],
    });
    const topicId = created.topics[0]!.topicId;
    assert.equal(created.topics[0]!.configs?.find((c) => c.name === 'retention.ms')?.value, '123456');
    for (let p = 0; p < 3; p++) assert.equal(await produce(client, 'kept', p, [`a${p}`, `b${p}`]), 0n);
    await produce(client, 'dropped', 0, ['x']);
    const deleted = await client.send(ApiKey.DeleteTopics, 5, { topicNames: ['dropped'], timeoutMs: 1000 });
    assert.equal(deleted.responses[0]!.errorCode, 0);
    client.close();
    await broker.stop();
    assert.ok(existsSync(join(dataDir, '.kafka_cleanshutdown')));

    broker = await Broker.start({ dataDir });
    client = await RawClient.connect(broker.bootstrap);
    try {
      assert.equal(broker.clusterId, clusterId);
      const metadata = await client.send(ApiKey.Metadata, 12, { topics: null });
      assert.deepEqual(metadata.topics.map((t) => t.name), ['kept']);
      assert.equal(metadata.topics[0]!.topicId, topicId);
      assert.equal(metadata.topics[0]!.partitions.length, 3);
      assert.equal(existsSync(join(dataDir, 'dropped-0')), false);

      const data = await fetchAll(client, 'kept', 3);
      for (let p = 0; p < 3; p++) assert.deepEqual(data.get(p)!.map((r) => r.value), [`a${p}`, `b${p}`]);
      assert.equal(await produce(client, 'kept', 1, ['c1']), 2n, 'offsets continue after a restart');

      const again = await client.send(ApiKey.CreateTopics, 7, {
        topics: [{ name: 'kept', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }],
      });
      assert.equal(again.topics[0]!.errorCode, 36, 'TOPIC_ALREADY_EXISTS');
    } finally {
      client.close();
      await broker.stop();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});
