import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, appendFileSync, readdirSync, statSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nodeFileSystem } from '../platform/node-file-system.js';
import { defaultPartitionRecord } from '../protocol/generated/index.js';
import { MetadataImage } from './image.js';
import { SingleVoterQuorum } from './quorum.js';
import { MetadataLogFile } from './metadata-log.js';
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

test('the metadata log replays committed batches and drops a torn tail whole', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'samsa-meta-'));
  try {
    const quorum = SingleVoterQuorum.open(nodeFileSystem, dir);
    const committed: number[] = [];
    quorum.onCommit((b) => {
      committed.push(b.baseOffset);
    });
    await quorum.append(topicRecords('a', topicId, 2));
    await quorum.append(topicRecords('b', 'YW5vdGhlci10b3BpYy1pZA', 1));
    assert.deepEqual(committed, [0, 3]);
    quorum.close();

    const file = join(MetadataLogFile.dirFor(dir), readdirSync(MetadataLogFile.dirFor(dir))[0]!);
    const intact = statSync(file).size;
    appendFileSync(file, Buffer.from([0, 0, 0, 40, 1, 2, 3]));
    const reopened = SingleVoterQuorum.open(nodeFileSystem, dir);
    assert.equal(reopened.truncatedBytes, 7);
    let image = MetadataImage.empty;
    for (const batch of reopened.replay()) image = image.apply(batch.records, batch.lastOffset);
    assert.deepEqual([...image.topicsByName.keys()], ['a', 'b']);
    assert.equal(image.offset, 4);
    reopened.close();

    // A batch cut in half is gone entirely: topic 'b' and its partition go together.
    truncateSync(file, intact - 5);
    const cut = SingleVoterQuorum.open(nodeFileSystem, dir);
    image = MetadataImage.empty;
    for (const batch of cut.replay()) image = image.apply(batch.records, batch.lastOffset);
    assert.deepEqual([...image.topicsByName.keys()], ['a']);
    cut.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
