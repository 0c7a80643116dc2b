import { test } from 'node:test';
import assert from 'node:assert/strict';
import { crc32 } from '@node-rs/crc32';
import fc from 'fast-check';
import { CompressionCodec } from '../compression/codec.js';
import { decompress } from '../compression/compress.js';
import { xxhash32 } from '../compression/xxhash32.js';
import { DecodeError } from '../primitives/decode-error.js';
import { buildRecordBatch } from './batch-builder.js';
import { decodeRecordBatch } from './batch-decoder.js';
import { validateBatch } from './batch-header.js';
import { buildEndTxnMarkerBatch } from './control-record.js';
import { InvalidRecordsError } from './invalid-records-error.js';
import { batchesToLegacyMessageSet, legacyMessageSetToBatch } from './legacy-convert.js';
import {
  buildLegacyMessageSet,
  decodeLegacyMessageSet,
  legacyMessageSetCompleteBytes,
  readLegacyMessage,
  type LegacyMagic,
} from './legacy-message.js';

const nullableBytes = fc.option(fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b)), { nil: null });
const legacyCodec = fc.constantFrom<CompressionCodec>(0, 1, 2, 3);

function errorName(fn: () => unknown): string {
  try {
    fn();
    return 'ok';
  } catch (error: unknown) {
    if (error instanceof InvalidRecordsError) return error.errorName;
    if (error instanceof DecodeError) return 'decode';
    throw error;
  }
}

test('a magic-0 message has the documented layout and CRC32', () => {
  const set = buildLegacyMessageSet({ magic: 0, baseOffset: 5, records: [{ key: Buffer.from('k'), value: Buffer.from('vv') }] });
  assert.equal(set.length, 12 + 14 + 1 + 2);
  assert.equal(set.readBigInt64BE(0), 5n);
  assert.equal(set.readInt32BE(8), 17);
  assert.equal(set.readUInt32BE(12), crc32(set.subarray(16)) >>> 0);
  assert.equal(set[16], 0);
  assert.equal(set.readInt32BE(18), 1);
  const message = readLegacyMessage(set, 0);
  assert.deepEqual([message.offset, message.timestamp, message.key?.toString(), message.value?.toString()], [5, -1, 'k', 'vv']);
});

test('build then decode is the identity for both magics and all legacy codecs', () => {
  fc.assert(
    fc.property(
      fc.constantFrom<LegacyMagic>(0, 1),
      legacyCodec,
      fc.array(fc.record({ key: nullableBytes, value: nullableBytes, timestamp: fc.integer({ min: 0, max: 2 ** 42 }) }), {
        minLength: 1,
        maxLength: 8,
      }),
      fc.integer({ min: 0, max: 2 ** 40 }),
      (magic, compression, records, baseOffset) => {
        const set = buildLegacyMessageSet({ magic, compression, records, baseOffset });
        const decoded = decodeLegacyMessageSet(set);
        assert.equal(decoded.length, records.length);
        decoded.forEach((record, i) => {
          assert.equal(record.offset, baseOffset + i);
          assert.deepEqual(record.key, records[i]!.key);
          assert.deepEqual(record.value, records[i]!.value);
          assert.equal(record.timestamp, magic === 0 ? -1 : records[i]!.timestamp);
          assert.equal(record.compression, compression);
        });
      },
    ),
    { numRuns: 150 },
  );
});

test('compressed magic 1: relative inner offsets, wrapper holds the last absolute offset and max timestamp', () => {
  const set = buildLegacyMessageSet({
    magic: 1,
    compression: CompressionCodec.gzip,
    baseOffset: 1000,
    records: [
      { value: Buffer.from('a'), timestamp: 30, offset: 1000 },
      { value: Buffer.from('b'), timestamp: 10, offset: 1003 },
    ],
  });
  const wrapper = readLegacyMessage(set, 0);
  assert.equal(wrapper.offset, 1003);
  assert.equal(wrapper.timestamp, 30);
  const inner = decompress(CompressionCodec.gzip, wrapper.value!, { maxOutputBytes: 1000 });
  assert.equal(readLegacyMessage(inner, 0).offset, 0);
  assert.equal(readLegacyMessage(inner, readLegacyMessage(inner, 0).sizeBytes).offset, 3);
  assert.deepEqual(decodeLegacyMessageSet(set).map((r) => r.offset), [1000, 1003]);
  // A broker that assigned new offsets rewrote only the wrapper's: inner ones follow.
  const moved = Buffer.from(set);
  moved.writeBigInt64BE(50n, 0);
  assert.deepEqual(decodeLegacyMessageSet(moved).map((r) => r.offset), [47, 50]);
});

test('compressed magic 0: absolute inner offsets; lz4 wrappers carry the KAFKA-3160 checksum', () => {
  const set = buildLegacyMessageSet({
    magic: 0,
    compression: CompressionCodec.lz4,
    baseOffset: 7,
    records: [{ value: Buffer.from('x') }, { value: Buffer.from('y') }],
  });
  const wrapper = readLegacyMessage(set, 0);
  assert.equal(wrapper.offset, 8);
  const frame = wrapper.value!;
  assert.equal(frame[6], (xxhash32(frame, 0, 6) >>> 8) & 0xff);
  assert.deepEqual(decodeLegacyMessageSet(set).map((r) => [r.offset, r.value?.toString()]), [[7, 'x'], [8, 'y']]);
});

test('LogAppendTime wrappers override inner timestamps', () => {
  const set = buildLegacyMessageSet({
    magic: 1,
    compression: CompressionCodec.snappy,
    timestampType: 1,
    logAppendTime: 999,
    records: [{ value: Buffer.from('a'), timestamp: 1 }, { value: Buffer.from('b'), timestamp: 2 }],
  });
  assert.deepEqual(decodeLegacyMessageSet(set).map((r) => [r.timestamp, r.timestampType]), [[999, 1], [999, 1]]);
});

test('malformed message sets fail with a Kafka error name', () => {
  const good = buildLegacyMessageSet({ magic: 1, records: [{ value: Buffer.from('hello'), timestamp: 1 }] });
  const badCrc = Buffer.from(good);
  badCrc[good.length - 1]! ^= 1;
  assert.equal(errorName(() => decodeLegacyMessageSet(badCrc)), 'CORRUPT_MESSAGE');
  assert.equal(errorName(() => decodeLegacyMessageSet(good.subarray(0, good.length - 2))), 'CORRUPT_MESSAGE');
  assert.equal(decodeLegacyMessageSet(good.subarray(0, good.length - 2), { allowPartialTail: true }).length, 0);
  const zstd = Buffer.from(good);
  zstd[17] = 4;
  zstd.writeUInt32BE(crc32(zstd.subarray(16)) >>> 0, 12);
  assert.equal(errorName(() => decodeLegacyMessageSet(zstd)), 'UNSUPPORTED_COMPRESSION_TYPE');
  const v2 = buildRecordBatch({ records: [{ value: Buffer.from('x'), timestamp: 1 }] });
  assert.equal(errorName(() => decodeLegacyMessageSet(v2)), 'INVALID_RECORD');
  assert.equal(errorName(() => buildLegacyMessageSet({ magic: 1, compression: 4, records: [{}] })), 'UNSUPPORTED_COMPRESSION_TYPE');
  assert.equal(legacyMessageSetCompleteBytes(Buffer.concat([good, good.subarray(0, 5)])), good.length);
});

test('random and damaged message sets only raise DecodeError', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
      assert.notEqual(errorName(() => decodeLegacyMessageSet(Buffer.from(bytes), { allowPartialTail: true })), 'throws');
    }),
    { numRuns: 300 },
  );
  fc.assert(
    fc.property(legacyCodec, fc.nat(), fc.nat({ max: 255 }), (compression, where, value) => {
      const set = buildLegacyMessageSet({
        magic: 1,
        compression,
        records: [{ key: Buffer.from('key'), value: Buffer.from('value'), timestamp: 3 }, { value: null, timestamp: 4 }],
      });
      set[where % set.length] = value;
      // Fix the CRC so damage past it reaches the inner decoder.
      if (set.length >= 16) set.writeUInt32BE(crc32(set.subarray(16)) >>> 0, 12);
      errorName(() => decodeLegacyMessageSet(set));
    }),
    { numRuns: 300 },
  );
});

test('v2 -> legacy: offsets, timestamps, codecs kept; control batches and headers dropped', () => {
  for (const magic of [0, 1] as const) {
    for (const compression of [0, 1, 2, 3] as const) {
      const a = buildRecordBatch({
        baseOffset: 10,
        compression,
        records: [
          { key: Buffer.from('k1'), value: Buffer.from('v1'), timestamp: 100, headers: [{ key: 'h', value: null }] },
          { key: null, value: Buffer.from('v2'), timestamp: 105 },
        ],
      });
      const marker = buildEndTxnMarkerBatch({ baseOffset: 12, commit: true, producerId: 1n, producerEpoch: 0, coordinatorEpoch: 0, timestamp: 106 });
      const b = buildRecordBatch({ baseOffset: 13, compression, timestampType: 1, maxTimestamp: 500, records: [{ value: Buffer.from('v3'), timestamp: 107 }] });
      const set = batchesToLegacyMessageSet(Buffer.concat([a, marker, b, b.subarray(0, 30)]), { magic });
      const decoded = decodeLegacyMessageSet(set);
      assert.deepEqual(
        decoded.map((r) => [r.offset, r.key?.toString() ?? null, r.value?.toString(), r.timestamp, r.compression]),
        [
          [10, 'k1', 'v1', magic === 0 ? -1 : 100, compression],
          [11, null, 'v2', magic === 0 ? -1 : 105, compression],
          [13, null, 'v3', magic === 0 ? -1 : 500, compression],
        ],
      );
      const fromOffset = decodeLegacyMessageSet(batchesToLegacyMessageSet(Buffer.concat([a, b]), { magic, minOffset: 11 }));
      assert.deepEqual(fromOffset.map((r) => r.offset), [11, 13]);
    }
  }
  const zstd = buildRecordBatch({ compression: 4, records: [{ value: Buffer.from('z'), timestamp: 1 }] });
  assert.equal(errorName(() => batchesToLegacyMessageSet(zstd, { magic: 1 })), 'UNSUPPORTED_COMPRESSION_TYPE');
});

test('legacy -> v2: one client-valid batch, codec kept, magic-0 timestamps stay -1', () => {
  for (const magic of [0, 1] as const) {
    for (const compression of [0, 1, 2, 3] as const) {
      const set = Buffer.concat([
        buildLegacyMessageSet({ magic, compression, records: [{ value: Buffer.from('a'), timestamp: 50 }, { key: Buffer.from('k'), value: null, timestamp: 40 }] }),
        buildLegacyMessageSet({ magic, records: [{ value: Buffer.from('c'), timestamp: 60 }] }),
      ]);
      const batch = legacyMessageSetToBatch(set);
      const validation = validateBatch(batch, 0, batch.length, { origin: 'client' });
      assert.ok(validation.ok);
      const decoded = decodeRecordBatch(batch);
      assert.equal(decoded.header.compression, compression);
      assert.equal(decoded.header.maxTimestamp, magic === 0 ? -1 : 60);
      assert.deepEqual(
        decoded.records.map((r) => [r.offset, r.key?.toString() ?? null, r.value?.toString() ?? null, r.timestamp]),
        [
          [0, null, 'a', magic === 0 ? -1 : 50],
          [1, 'k', null, magic === 0 ? -1 : 40],
          [2, null, 'c', magic === 0 ? -1 : 60],
        ],
      );
    }
  }
  assert.equal(errorName(() => legacyMessageSetToBatch(Buffer.alloc(0))), 'INVALID_RECORD');
});
