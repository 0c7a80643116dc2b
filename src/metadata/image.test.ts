import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultPartitionRecord } from '../protocol/generated/index.js';
import { MetadataImage } from './image.js';
import { decodeMetadataRecord, encodeMetadataRecord, type MetadataRecord } from './records.js';

const topicId = 'dGVzdC10b3BpYy1pZC0xMg';

function topicRecords(name: string, id: string, partitions: number): MetadataRecord[] {
  const records: MetadataRecord[] = [{ type: 'Topic', data: { name, topicId: id } }];
  for (let p = 0; p < partitions; p++) {
    records.push({ type: 'Partition', data: { ...defaultPartitionRecord(), partitionId: p, topicId: id, replicas: [1], isr: [1], leader: 1 } });
  }
  return records;
}

test('records round-trip through their KRaft framing', () => {
  for (const record of [...topicRecords('t', topicId, 2), { type: 'Config', data: { resourceType: 2, resourceName: 't', name: 'retention.ms', value: '5' } } as MetadataRecord]) {
    assert.deepEqual(decodeMetadataRecord(encodeMetadataRecord(record)), record);
  }
  // Frame version 1, api key 2 (TopicRecord), version 0.
  assert.deepEqual([...encodeMetadataRecord(topicRecords('t', topicId, 0)[0]!).subarray(0, 3)], [1, 2, 0]);
});

test('applying records makes a new image and leaves the old one as it was', () => {
  const empty = MetadataImage.empty;
  const one = empty.apply(topicRecords('orders', topicId, 3), 3);
  assert.equal(empty.topicsByName.size, 0);
  assert.equal(one.topic('orders')?.partitions.length, 3);
  assert.equal(one.topicById(topicId)?.name, 'orders');
  const configured = one.apply([{ type: 'Config', data: { resourceType: 2, resourceName: 'orders', name: 'retention.ms', value: '1000' } }], 4);
  assert.equal(configured.topic('orders')?.configs.get('retention.ms'), '1000');
  assert.equal(one.topic('orders')?.configs.size, 0);
  const removed = configured.apply([{ type: 'RemoveTopic', data: { topicId } }], 5);
  assert.equal(removed.topic('orders'), undefined);
  assert.equal(removed.topicById(topicId), undefined);
  assert.throws(() => one.apply(topicRecords('orders', topicId, 1), 9), /created twice/);
});

test('partition records of one batch fill one array; a later batch copies it and leaves the older image alone', () => {
  const one = MetadataImage.empty.apply(topicRecords('orders', topicId, 1000), 1000);
  const partitions = one.topic('orders')!.partitions;
  assert.equal(partitions.length, 1000);
  assert.deepEqual(partitions.map((p) => p.partitionId), Array.from({ length: 1000 }, (_, i) => i));
  assert.equal(one.topicById(topicId)!.partitions, partitions);
  // A leader change and a new partition in a later batch.
  const two = one.apply(
    [
      { type: 'Partition', data: { ...defaultPartitionRecord(), partitionId: 0, topicId, replicas: [1], isr: [1], leader: 1, leaderEpoch: 7 } },
      { type: 'Partition', data: { ...defaultPartitionRecord(), partitionId: 1000, topicId, replicas: [1], isr: [1], leader: 1 } },
    ],
    1002,
  );
  assert.equal(two.partition('orders', 0)?.leaderEpoch, 7);
  assert.equal(two.topic('orders')?.partitions.length, 1001);
  assert.equal(one.partition('orders', 0)?.leaderEpoch, defaultPartitionRecord().leaderEpoch);
  assert.equal(one.topic('orders')?.partitions.length, 1000);
  assert.throws(() => one.apply([{ type: 'Partition', data: { ...defaultPartitionRecord(), partitionId: 1002, topicId, replicas: [1], isr: [1], leader: 1 } }], 1003), /out of order/);
});
