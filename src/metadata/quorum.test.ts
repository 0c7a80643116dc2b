import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock } from '../platform/clock.js';
import { nodeFileSystem } from '../platform/node-file-system.js';
import { defaultPartitionRecord } from '../protocol/generated/index.js';
import { decodeRecordBatches } from '../protocol/records/batch-decoder.js';
import { ControlRecordType, decodeControlRecordKey } from '../protocol/records/control-record.js';
import { MetadataImage } from './image.js';
import { MetadataLogFile } from './metadata-log.js';
import { RaftQuorum, parseQuorumVoters } from './quorum.js';
import { encodeMetadataRecord, type MetadataRecord } from './records.js';

function topicRecords(name: string, id: string, partitions: number): MetadataRecord[] {
  const records: MetadataRecord[] = [{ type: 'Topic', data: { name, topicId: id } }];
  for (let p = 0; p < partitions; p++) {
    records.push({ type: 'Partition', data: { ...defaultPartitionRecord(), partitionId: p, topicId: id, replicas: [1], isr: [1], leader: 1 } });
  }
  return records;
}

const open = (dir: string): Promise<RaftQuorum> =>
  RaftQuorum.open({ fs: nodeFileSystem, clock: systemClock, metadataLogDir: dir, nodeId: 1, quorumVoters: '1@localhost:9093', clusterId: 'test-cluster' });

function imageOf(quorum: RaftQuorum): MetadataImage {
  let image = MetadataImage.empty;
  for (const batch of quorum.replay()) image = image.apply(batch.records, batch.lastOffset);
  return image;
}

test('controller.quorum.voters: one voter, this node; others are refused', () => {
  assert.deepEqual(parseQuorumVoters('', 3), [3]);
  assert.deepEqual(parseQuorumVoters('1@localhost:9093', 1), [1]);
  assert.deepEqual(parseQuorumVoters('1@a:1, 2@b:2', 2), [1, 2]);
  assert.throws(() => parseQuorumVoters('1@localhost:9093', 2), /node.id 2 is not among the voters/);
  assert.throws(() => parseQuorumVoters('localhost:9093', 1), /id@host:port/);
});

test('the Raft metadata log: Kafka segments, LeaderChange per epoch, quorum-state JSON, replay after restart and torn tail', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'samsa-raft-quorum-'));
  try {
    // The format step's bootstrap batch (epoch 0) comes first.
    const boot = MetadataLogFile.open(nodeFileSystem, dir);
    assert.equal(boot.endOffset, 0);
    await boot.append([encodeMetadataRecord({ type: 'FeatureLevel', data: { name: 'metadata.version', featureLevel: 21 } })], 0);
    assert.equal(MetadataLogFile.open(nodeFileSystem, dir).endOffset > 0, true);

    const quorum = await open(dir);
    assert.equal(quorum.leaderEpoch, 1);
    assert.equal(imageOf(quorum).features.get('metadata.version'), 21);
    const committed: number[] = [];
    quorum.onCommit((b) => {
      committed.push(b.baseOffset);
    });
    const a = await quorum.append(topicRecords('a', 'dGVzdC10b3BpYy1pZC0xMg', 2));
    const b = await quorum.append(topicRecords('b', 'YW5vdGhlci10b3BpYy1pZA', 1));
    // Offset 0: bootstrap, 1: LeaderChange of epoch 1, then the two batches.
    assert.deepEqual([a.baseOffset, b.baseOffset], [2, 5]);
    assert.deepEqual(committed, [2, 5]);
    quorum.close();

    const partitionDir = MetadataLogFile.dirFor(dir);
    const names = readdirSync(partitionDir).sort();
    assert.ok(names.includes('00000000000000000000.log'), names.join(' '));
    assert.ok(names.includes('quorum-state'));
    assert.ok(names.includes('partition.metadata'));
    const state = JSON.parse(readFileSync(join(partitionDir, 'quorum-state'), 'utf8')) as Record<string, unknown>;
    assert.deepEqual(state, { clusterId: '', leaderId: 1, leaderEpoch: 1, votedId: 1, appliedOffset: 0, currentVoters: [{ voterId: 1 }], data_version: 0 });

    const segment = join(partitionDir, '00000000000000000000.log');
    const batches = decodeRecordBatches(readFileSync(segment));
    assert.deepEqual(
      batches.map((x) => [x.header.baseOffset, x.header.partitionLeaderEpoch, x.header.isControl]),
      [
        [0, 0, false],
        [1, 1, true],
        [2, 1, false],
        [5, 1, false],
      ],
    );
    assert.equal(decodeControlRecordKey(batches[1]!.records[0]!.key).type, ControlRecordType.leaderChange);
    assert.equal(batches[2]!.records[0]!.key, null);

    // Restart: a new epoch, a new LeaderChange, everything replayed.
    const intact = statSync(segment).size;
    appendFileSync(segment, Buffer.from([0, 0, 0, 0, 0, 0, 0, 9, 0, 0, 0, 40, 1, 2, 3]));
    const reopened = await open(dir);
    assert.equal(reopened.leaderEpoch, 2);
    const image = imageOf(reopened);
    assert.deepEqual([...image.topicsByName.keys()], ['a', 'b']);
    assert.equal(image.offset, 6);
    reopened.close();

    // A batch cut in half is gone entirely: topic 'b' and its partition go together.
    truncateSync(segment, intact - 5);
    const cut = await open(dir);
    assert.deepEqual([...imageOf(cut).topicsByName.keys()], ['a']);
    cut.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
