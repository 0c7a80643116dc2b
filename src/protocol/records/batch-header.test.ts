import { test } from 'node:test';
import assert from 'node:assert/strict';
import { crc32c } from '@node-rs/crc32';
import {
  BATCH_HEADER_BYTES,
  LOG_OVERHEAD_BYTES,
  iterateBatches,
  readBatchHeader,
  setBaseOffset,
  setMaxTimestampAndLogAppendTime,
  setPartitionLeaderEpoch,
  validateBatch,
  type BatchValidation,
} from './batch-header.js';

interface RawBatch {
  baseOffset?: bigint;
  partitionLeaderEpoch?: number;
  magic?: number;
  attributes?: number;
  lastOffsetDelta?: number;
  baseTimestamp?: bigint;
  maxTimestamp?: bigint;
  producerId?: bigint;
  producerEpoch?: number;
  baseSequence?: number;
  recordCount?: number;
  records?: Buffer;
}

/** Hand-assembled batch of `count` minimal (7-byte, null key and value) records. */
function rawBatch(count: number, fields: RawBatch = {}): Buffer {
  const records =
    fields.records ??
    Buffer.concat(Array.from({ length: count }, (_, i) => Buffer.from([0x0c, 0, 0, i * 2, 0x01, 0x01, 0])));
  const buf = Buffer.alloc(BATCH_HEADER_BYTES + records.length);
  buf.writeBigInt64BE(fields.baseOffset ?? 0n, 0);
  buf.writeInt32BE(buf.length - LOG_OVERHEAD_BYTES, 8);
  buf.writeInt32BE(fields.partitionLeaderEpoch ?? -1, 12);
  buf.writeInt8(fields.magic ?? 2, 16);
  buf.writeInt16BE(fields.attributes ?? 0, 21);
  buf.writeInt32BE(fields.lastOffsetDelta ?? count - 1, 23);
  buf.writeBigInt64BE(fields.baseTimestamp ?? 1000n, 27);
  buf.writeBigInt64BE(fields.maxTimestamp ?? 1000n, 35);
  buf.writeBigInt64BE(fields.producerId ?? -1n, 43);
  buf.writeInt16BE(fields.producerEpoch ?? -1, 51);
  buf.writeInt32BE(fields.baseSequence ?? -1, 53);
  buf.writeInt32BE(fields.recordCount ?? count, 57);
  records.copy(buf, 61);
  buf.writeUInt32BE(crc32c(buf.subarray(21)) >>> 0, 17);
  return buf;
}

function faultOf(result: BatchValidation): string {
  return result.ok ? 'ok' : `${result.error}/${result.fault}`;
}

test('reads every header field', () => {
  const buf = rawBatch(3, {
    baseOffset: 42n,
    partitionLeaderEpoch: 7,
    attributes: 0x10 | 0x08 | 2,
    baseTimestamp: 1_700_000_000_000n,
    maxTimestamp: 1_700_000_000_005n,
    producerId: 9_000_000_000n,
    producerEpoch: 3,
    baseSequence: 11,
  });
  const header = readBatchHeader(buf, 0);
  assert.equal(header.baseOffset, 42);
  assert.equal(header.batchLength, buf.length - 12);
  assert.equal(header.partitionLeaderEpoch, 7);
  assert.equal(header.magic, 2);
  assert.equal(header.compression, 2);
  assert.equal(header.timestampType, 1);
  assert.equal(header.isTransactional, true);
  assert.equal(header.isControl, false);
  assert.equal(header.lastOffsetDelta, 2);
  assert.equal(header.baseTimestamp, 1_700_000_000_000);
  assert.equal(header.maxTimestamp, 1_700_000_000_005);
  assert.equal(header.producerId, 9_000_000_000n);
  assert.equal(header.producerEpoch, 3);
  assert.equal(header.baseSequence, 11);
  assert.equal(header.recordCount, 3);
});

test('accepts a well-formed batch and reports its size', () => {
  const buf = rawBatch(5);
  const result = validateBatch(buf, 0, buf.length, { origin: 'client' });
  assert.ok(result.ok);
  assert.equal(result.sizeBytes, buf.length);
});

test('every byte flipped in the CRC range is caught', () => {
  const buf = rawBatch(4);
  for (let i = 21; i < buf.length; i++) {
    const copy = Buffer.from(buf);
    copy[i]! ^= 0x01;
    assert.equal(faultOf(validateBatch(copy, 0)), 'CORRUPT_MESSAGE/crc_mismatch', `byte ${i}`);
  }
});

test('truncation, bad length and magic', () => {
  const buf = rawBatch(2);
  assert.equal(faultOf(validateBatch(buf, 0, 5)), 'CORRUPT_MESSAGE/truncated');
  assert.equal(faultOf(validateBatch(buf, 0, buf.length - 1)), 'CORRUPT_MESSAGE/truncated');
  assert.equal(faultOf(validateBatch(buf.subarray(0, 30), 0)), 'CORRUPT_MESSAGE/truncated');
  const short = Buffer.from(buf);
  short.writeInt32BE(48, 8);
  assert.equal(faultOf(validateBatch(short, 0)), 'CORRUPT_MESSAGE/length_too_small');
  assert.equal(faultOf(validateBatch(rawBatch(1, { magic: 1 }), 0)), 'INVALID_RECORD/legacy_magic');
  assert.equal(faultOf(validateBatch(rawBatch(1, { magic: 3 }), 0)), 'CORRUPT_MESSAGE/unknown_magic');
});

test('semantic checks', () => {
  assert.equal(faultOf(validateBatch(rawBatch(1, { attributes: 5 }), 0)), 'UNSUPPORTED_COMPRESSION_TYPE/unknown_compression');
  assert.equal(faultOf(validateBatch(rawBatch(1, { attributes: 7 }), 0)), 'UNSUPPORTED_COMPRESSION_TYPE/unknown_compression');
  assert.equal(faultOf(validateBatch(rawBatch(2, { recordCount: -1 }), 0)), 'INVALID_RECORD/bad_record_count');
  assert.equal(faultOf(validateBatch(rawBatch(2, { recordCount: 3 }), 0)), 'INVALID_RECORD/bad_record_count');
  assert.equal(faultOf(validateBatch(rawBatch(2, { lastOffsetDelta: 0 }), 0)), 'INVALID_RECORD/bad_offset_range');
  // Compaction leaves gaps: fine in a log, not from a client.
  assert.equal(faultOf(validateBatch(rawBatch(2, { lastOffsetDelta: 9 }), 0)), 'ok');
  assert.equal(faultOf(validateBatch(rawBatch(2, { lastOffsetDelta: 9 }), 0, undefined, { origin: 'client' })), 'INVALID_RECORD/bad_offset_range');
  // An emptied batch kept for producer state.
  assert.equal(faultOf(validateBatch(rawBatch(0, { lastOffsetDelta: 4 }), 0)), 'ok');
  assert.equal(faultOf(validateBatch(rawBatch(0, { lastOffsetDelta: 4 }), 0, undefined, { origin: 'client' })), 'INVALID_RECORD/bad_record_count');
  // Producer fields.
  assert.equal(faultOf(validateBatch(rawBatch(1, { attributes: 0x10 }), 0)), 'INVALID_RECORD/transactional_without_producer_id');
  assert.equal(faultOf(validateBatch(rawBatch(1, { producerId: -2n }), 0)), 'INVALID_RECORD/bad_producer_id');
  assert.equal(faultOf(validateBatch(rawBatch(1, { producerId: 5n, producerEpoch: -1, baseSequence: 0 }), 0)), 'INVALID_RECORD/bad_producer_epoch');
  assert.equal(faultOf(validateBatch(rawBatch(1, { producerId: 5n, producerEpoch: 0, baseSequence: -1 }), 0, undefined, { origin: 'client' })), 'INVALID_RECORD/bad_sequence');
  assert.equal(faultOf(validateBatch(rawBatch(1, { producerId: 5n, producerEpoch: 0, baseSequence: 0 }), 0, undefined, { origin: 'client' })), 'ok');
  // kafkajs's non-idempotent producer sends epoch 0 and sequence 0 with no producer id.
  assert.equal(faultOf(validateBatch(rawBatch(1, { producerEpoch: 0, baseSequence: 0 }), 0, undefined, { origin: 'client' })), 'ok');
  // Control batches.
  const marker = { attributes: 0x30, producerId: 5n, producerEpoch: 0 };
  assert.equal(faultOf(validateBatch(rawBatch(1, marker), 0)), 'ok');
  assert.equal(faultOf(validateBatch(rawBatch(1, marker), 0, undefined, { origin: 'client' })), 'INVALID_RECORD/control_from_client');
  assert.equal(faultOf(validateBatch(rawBatch(2, marker), 0)), 'INVALID_RECORD/bad_control_batch');
  assert.equal(faultOf(validateBatch(rawBatch(2, { attributes: 0x20 }), 0)), 'ok');
});

test('walks back-to-back batches and finds the partial tail', () => {
  const a = rawBatch(1);
  const b = rawBatch(3);
  const c = rawBatch(2);
  const whole = Buffer.concat([a, b, c]);
  const walk = iterateBatches(whole);
  assert.deepEqual(walk.batches, [
    { offset: 0, sizeBytes: a.length },
    { offset: a.length, sizeBytes: b.length },
    { offset: a.length + b.length, sizeBytes: c.length },
  ]);
  assert.equal(walk.tailOffset, whole.length);
  assert.equal(walk.badLength, false);
  for (const cut of [1, 11, 12, 16, 17, 40, c.length - 1]) {
    const partial = whole.subarray(0, whole.length - cut);
    const w = iterateBatches(partial);
    assert.equal(w.batches.length, 2, `cut ${cut}`);
    assert.equal(w.tailOffset, a.length + b.length);
    assert.equal(w.badLength, false);
  }
  const broken = Buffer.from(whole);
  broken.writeInt32BE(3, a.length + 8);
  const w = iterateBatches(broken);
  assert.equal(w.batches.length, 1);
  assert.equal(w.tailOffset, a.length);
  assert.equal(w.badLength, true);
});

test('in-place rewrites keep the batch valid', () => {
  const buf = Buffer.concat([Buffer.alloc(3), rawBatch(3)]);
  setBaseOffset(buf, 3, 1234567890123);
  setPartitionLeaderEpoch(buf, 3, 17);
  assert.ok(validateBatch(buf, 3).ok);
  setMaxTimestampAndLogAppendTime(buf, 3, 1_700_000_000_999);
  const result = validateBatch(buf, 3);
  assert.ok(result.ok);
  assert.equal(result.header.baseOffset, 1234567890123);
  assert.equal(result.header.partitionLeaderEpoch, 17);
  assert.equal(result.header.timestampType, 1);
  assert.equal(result.header.maxTimestamp, 1_700_000_000_999);
  assert.equal(result.header.baseTimestamp, 1000);
  setBaseOffset(buf, 3, 5n);
  assert.equal(readBatchHeader(buf, 3).baseOffset, 5);
});
