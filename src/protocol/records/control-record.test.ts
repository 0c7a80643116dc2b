import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DecodeError } from '../primitives/decode-error.js';
import { decodeRecordBatch } from './batch-decoder.js';
import { validateBatch } from './batch-header.js';
import {
  ControlRecordType,
  buildControlBatch,
  buildEndTxnMarkerBatch,
  decodeControlRecordKey,
  decodeEndTxnMarker,
  encodeControlRecordKey,
  encodeEndTxnMarker,
} from './control-record.js';

test('control key and marker value layouts', () => {
  assert.deepEqual([...encodeControlRecordKey(ControlRecordType.commit)], [0, 0, 0, 1]);
  assert.deepEqual([...encodeEndTxnMarker(0x01020304)], [0, 0, 1, 2, 3, 4]);
  assert.deepEqual(decodeControlRecordKey(Buffer.from([0, 0, 0, 0])), { version: 0, type: ControlRecordType.abort });
  // A newer version with more bytes is read for what we know.
  assert.deepEqual(decodeEndTxnMarker(Buffer.from([0, 1, 0, 0, 0, 9, 0xaa])), { version: 1, coordinatorEpoch: 9 });
  assert.throws(() => decodeControlRecordKey(null), DecodeError);
  assert.throws(() => decodeControlRecordKey(Buffer.from([0, 0, 1])), DecodeError);
  assert.throws(() => decodeEndTxnMarker(Buffer.from([0, 0, 0, 0, 0])), DecodeError);
});

test('a transaction marker batch is a valid transactional control batch', () => {
  for (const commit of [true, false]) {
    const batch = buildEndTxnMarkerBatch({ commit, producerId: 77n, producerEpoch: 3, coordinatorEpoch: 12, timestamp: 1234, baseOffset: 40 });
    const validation = validateBatch(batch, 0);
    assert.ok(validation.ok);
    assert.equal(validation.header.isControl, true);
    assert.equal(validation.header.isTransactional, true);
    assert.equal(validation.header.baseSequence, -1);
    assert.equal(validateBatch(batch, 0, batch.length, { origin: 'client' }).ok, false);
    const [record] = decodeRecordBatch(batch).records;
    assert.deepEqual(decodeControlRecordKey(record!.key), { version: 0, type: commit ? 1 : 0 });
    assert.deepEqual(decodeEndTxnMarker(record!.value), { version: 0, coordinatorEpoch: 12 });
    assert.equal(record!.offset, 40);
    assert.equal(record!.timestamp, 1234);
  }
});

test('a Raft control batch holds several control records without a producer', () => {
  const batch = buildControlBatch({
    timestamp: 5,
    records: [
      { type: ControlRecordType.kraftVersion, value: Buffer.from([0, 0, 0, 1]) },
      { type: ControlRecordType.kraftVoters, value: Buffer.from([0, 0, 0]) },
    ],
  });
  const validation = validateBatch(batch, 0);
  assert.ok(validation.ok);
  assert.equal(validation.header.producerId, -1n);
  assert.deepEqual(
    decodeRecordBatch(batch).records.map((r) => decodeControlRecordKey(r.key).type),
    [ControlRecordType.kraftVersion, ControlRecordType.kraftVoters],
  );
});
