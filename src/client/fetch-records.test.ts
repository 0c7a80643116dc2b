import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { buildRecordBatch } from '../protocol/records/batch-builder.js';
import { buildEndTxnMarkerBatch } from '../protocol/records/control-record.js';
import { decodeFetchedRecords } from './fetch-records.js';
import { decodeAssignment, decodeSubscription, encodeAssignment, encodeSubscription } from './consumer-protocol.js';

const T = 1_700_000_000_000;

function data(baseOffset: number, values: string[], producerId = -1n, transactional = false): Buffer {
  return buildRecordBatch({
    baseOffset,
    records: values.map((v, i) => ({ value: Buffer.from(v), timestamp: T + i })),
    producerId,
    producerEpoch: producerId < 0n ? -1 : 0,
    baseSequence: producerId < 0n ? -1 : 0,
    transactional,
  });
}

function marker(offset: number, producerId: bigint, commit: boolean): Buffer {
  return buildEndTxnMarkerBatch({ commit, producerId, producerEpoch: 0, coordinatorEpoch: 0, timestamp: T, baseOffset: offset });
}

test('plain batches: offsets, records before the fetch offset dropped, a cut batch left for later', () => {
  const full = Buffer.concat([data(0, ['a', 'b', 'c']), data(3, ['d', 'e'])]);
  const cut = full.subarray(0, full.length - 5);
  const got = decodeFetchedRecords('t', 0, cut, 1n, null, false);
  assert.deepEqual(got.messages.map((m) => [m.offset, m.value!.toString()]), [
    [1n, 'b'],
    [2n, 'c'],
  ]);
  assert.equal(got.nextOffset, 3n);
  assert.equal(got.messages[0]!.timestamp, T + 1);
  assert.deepEqual(decodeFetchedRecords('t', 0, null, 7n, null, false), { messages: [], nextOffset: 7n });
});

test('read_committed drops aborted transactions and all control batches; read_uncommitted keeps the data', () => {
  // Producer 5 commits offsets 0-1 (marker at 2); producer 6 aborts 3-4 (marker at 5); a plain batch at 6.
  const records = Buffer.concat([
    data(0, ['c1', 'c2'], 5n, true),
    marker(2, 5n, true),
    data(3, ['x1', 'x2'], 6n, true),
    marker(5, 6n, false),
    data(6, ['p']),
  ]);
  const aborted = [{ producerId: 6n, firstOffset: 3n }];
  const committed = decodeFetchedRecords('t', 0, records, 0n, aborted, true);
  assert.deepEqual(committed.messages.map((m) => m.value!.toString()), ['c1', 'c2', 'p']);
  assert.equal(committed.nextOffset, 7n);
  const all = decodeFetchedRecords('t', 0, records, 0n, aborted, false);
  assert.deepEqual(all.messages.map((m) => m.value!.toString()), ['c1', 'c2', 'x1', 'x2', 'p']);
});

test('consumer protocol: subscription and assignment round-trip; kafkajs member metadata decodes', () => {
  const sub = decodeSubscription(
    encodeSubscription({ topics: ['a', 'b'], ownedPartitions: [{ topic: 'a', partition: 2 }, { topic: 'a', partition: 0 }], generationId: 4 }),
  );
  assert.deepEqual(sub.topics, ['a', 'b']);
  assert.deepEqual(sub.ownedPartitions, [
    { topic: 'a', partition: 0 },
    { topic: 'a', partition: 2 },
  ]);
  assert.equal(sub.generationId, 4);
  const asg = decodeAssignment(encodeAssignment({ partitions: [{ topic: 'b', partition: 1 }, { topic: 'a', partition: 3 }], userData: null }));
  assert.deepEqual(asg.partitions, [
    { topic: 'b', partition: 1 },
    { topic: 'a', partition: 3 },
  ]);
  assert.deepEqual(decodeAssignment(Buffer.alloc(0)).partitions, []);

  const require = createRequire(import.meta.url);
  const { AssignerProtocol } = require('kafkajs') as {
    AssignerProtocol: {
      MemberMetadata: { encode(m: { version: number; topics: string[]; userData?: Buffer }): Buffer };
      MemberAssignment: { decode(b: Buffer): { assignment: Record<string, number[]> } };
    };
  };
  const theirs = decodeSubscription(AssignerProtocol.MemberMetadata.encode({ version: 0, topics: ['orders'], userData: Buffer.alloc(0) }));
  assert.deepEqual(theirs.topics, ['orders']);
  const ours = encodeAssignment({ partitions: [{ topic: 'orders', partition: 0 }, { topic: 'orders', partition: 5 }], userData: null });
  assert.deepEqual(AssignerProtocol.MemberAssignment.decode(ours).assignment, { orders: [0, 5] });
});
