import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { CompressionCodec } from '../compression/codec.js';
import { DecodeError } from '../primitives/decode-error.js';
import { Reader } from '../primitives/reader.js';
import { Writer } from '../primitives/writer.js';
import { buildRecordBatch, type BuildBatchOptions, type RecordInput } from './batch-builder.js';
import { decodeRecordBatch, decodeRecordBatches } from './batch-decoder.js';
import { iterateBatches, updateBatchCrc, validateBatch } from './batch-header.js';
import { decodeRecord, encodeRecord, recordSizeBytes, type KafkaRecord } from './record.js';

const nullableBytes = fc.option(fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b)), { nil: null });
const header = fc
  .tuple(fc.string({ unit: 'grapheme', maxLength: 8 }), nullableBytes)
  .map(([key, value]) => ({ key, value }));
const baseTimestamp = 1_700_000_000_000;
const recordInput: fc.Arbitrary<RecordInput> = fc.record({
  key: nullableBytes,
  value: nullableBytes,
  headers: fc.array(header, { maxLength: 3 }),
  timestamp: fc.integer({ min: -1_000_000_000, max: 1_000_000_000 }).map((d) => baseTimestamp + d),
});
const codec = fc.constantFrom<CompressionCodec>(0, 1, 2, 3, 4);

const batchOptions: fc.Arbitrary<BuildBatchOptions> = fc
  .record({
    records: fc.array(recordInput, { minLength: 1, maxLength: 12 }),
    compression: codec,
    baseOffset: fc.integer({ min: 0, max: 2 ** 40 }),
    partitionLeaderEpoch: fc.integer({ min: -1, max: 1000 }),
    idempotent: fc.boolean(),
    transactional: fc.boolean(),
    producerId: fc.bigInt({ min: 0n, max: 2n ** 62n }),
    producerEpoch: fc.integer({ min: 0, max: 32767 }),
    baseSequence: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
    timestampType: fc.constantFrom<0 | 1>(0, 1),
  })
  .map(({ idempotent, transactional, producerId, producerEpoch, baseSequence, ...rest }) =>
    idempotent || transactional ? { ...rest, transactional, producerId, producerEpoch, baseSequence } : rest,
  );

function sameRecords(inputs: readonly RecordInput[], options: BuildBatchOptions, batch: Buffer): void {
  const decoded = decodeRecordBatch(batch);
  assert.equal(decoded.records.length, inputs.length);
  assert.equal(decoded.header.compression, options.compression ?? 0);
  const maxTimestamp = Math.max(...inputs.map((r) => r.timestamp!));
  assert.equal(decoded.header.maxTimestamp, maxTimestamp);
  inputs.forEach((input, i) => {
    const record = decoded.records[i]!;
    assert.deepEqual(record.key, input.key);
    assert.deepEqual(record.value, input.value);
    assert.deepEqual(record.headers, input.headers);
    assert.equal(record.offsetDelta, i);
    assert.equal(record.offset, Number(options.baseOffset ?? 0) + i);
    assert.equal(record.timestamp, options.timestampType === 1 ? maxTimestamp : input.timestamp);
  });
}

function onlyDecodeErrors(fn: () => unknown): void {
  try {
    fn();
  } catch (error: unknown) {
    if (!(error instanceof DecodeError)) throw error;
  }
}

test('a record round-trips and its size is predicted exactly', () => {
  fc.assert(
    fc.property(
      nullableBytes,
      nullableBytes,
      fc.array(header, { maxLength: 4 }),
      fc.integer({ min: -(2 ** 50), max: 2 ** 50 }),
      fc.integer({ min: 0, max: 2 ** 31 - 1 }),
      (key, value, headers, timestampDelta, offsetDelta) => {
        const record: KafkaRecord = { attributes: 0, timestampDelta, offsetDelta, key, value, headers };
        const writer = new Writer(16);
        encodeRecord(writer, record);
        const bytes = writer.toBuffer();
        assert.equal(bytes.length, recordSizeBytes(record));
        const reader = new Reader(bytes);
        assert.deepEqual(decodeRecord(reader), record);
        assert.equal(reader.remaining, 0);
      },
    ),
    { numRuns: 300 },
  );
});

test('build then decode is the identity, all codecs', () => {
  fc.assert(
    fc.property(batchOptions, (options) => {
      const batch = buildRecordBatch(options);
      const client = validateBatch(batch, 0, batch.length, { origin: 'client' });
      assert.ok(client.ok, client.ok ? '' : client.message);
      sameRecords(options.records, options, batch);
    }),
    { numRuns: 500 },
  );
});

test('validateBatch rejects every single-byte corruption in the CRC range', () => {
  fc.assert(
    fc.property(batchOptions, fc.nat(), fc.integer({ min: 1, max: 255 }), (options, where, flip) => {
      const batch = buildRecordBatch(options);
      const at = 21 + (where % (batch.length - 21));
      batch[at]! ^= flip;
      const result = validateBatch(batch, 0);
      assert.ok(!result.ok && result.fault === 'crc_mismatch', `byte ${at}`);
    }),
    { numRuns: 1000 },
  );
  // And exhaustively for one compressed batch.
  const batch = buildRecordBatch({
    records: [{ key: Buffer.from('k'), value: Buffer.from('some value'), timestamp: 5 }],
    compression: CompressionCodec.lz4,
  });
  for (let at = 21; at < batch.length; at++) {
    for (const flip of [0x01, 0x80, 0xff]) {
      const copy = Buffer.from(batch);
      copy[at]! ^= flip;
      assert.equal(validateBatch(copy, 0).ok, false);
    }
  }
});

test('random, truncated and length-lying bytes only ever raise DecodeError', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
      const buf = Buffer.from(bytes);
      validateBatch(buf, 0);
      iterateBatches(buf);
      onlyDecodeErrors(() => decodeRecordBatch(buf));
      onlyDecodeErrors(() => decodeRecordBatches(buf));
    }),
    { numRuns: 2000 },
  );
  fc.assert(
    fc.property(
      batchOptions,
      fc.array(fc.tuple(fc.nat(), fc.nat({ max: 255 })), { minLength: 1, maxLength: 4 }),
      fc.nat(),
      (options, edits, cut) => {
        const batch = buildRecordBatch(options);
        // Damage inside the records (CRC fixed up so the decoder really runs).
        const bent = Buffer.from(batch);
        for (const [where, value] of edits) bent[61 + (where % Math.max(1, bent.length - 61))] = value;
        if (bent.length > 61) updateBatchCrc(bent, 0);
        onlyDecodeErrors(() => decodeRecordBatch(bent));
        // A cut batch and one whose length field lies.
        const short = batch.subarray(0, cut % batch.length);
        assert.equal(validateBatch(short, 0).ok, false);
        onlyDecodeErrors(() => decodeRecordBatch(short));
        assert.equal(decodeRecordBatches(short).length, 0);
        const liar = Buffer.from(batch);
        liar.writeInt32BE(liar.readInt32BE(8) + 1 + (cut % 1000), 8);
        assert.equal(validateBatch(liar, 0).ok, false);
        onlyDecodeErrors(() => decodeRecordBatch(liar));
      },
    ),
    { numRuns: 1000 },
  );
});

test('a record count that lies is caught', () => {
  const batch = buildRecordBatch({
    records: [{ value: Buffer.from('a'), timestamp: 1 }, { value: Buffer.from('b'), timestamp: 2 }],
    compression: CompressionCodec.gzip,
  });
  const liar = Buffer.from(batch);
  liar.writeInt32BE(3, 57);
  liar.writeInt32BE(2, 23);
  updateBatchCrc(liar, 0);
  assert.throws(() => decodeRecordBatch(liar), DecodeError);
  liar.writeInt32BE(1, 57);
  updateBatchCrc(liar, 0);
  assert.throws(() => decodeRecordBatch(liar), /left after/);
});

test('compacted batches keep their gaps; empty batches survive', () => {
  const batch = buildRecordBatch({
    baseOffset: 100,
    records: [
      { value: Buffer.from('a'), offsetDelta: 0, timestamp: 10 },
      { value: Buffer.from('c'), offsetDelta: 2, timestamp: 12 },
    ],
    lastOffsetDelta: 4,
  });
  const decoded = decodeRecordBatch(batch);
  assert.deepEqual(decoded.records.map((r) => r.offset), [100, 102]);
  assert.equal(decoded.header.lastOffsetDelta, 4);
  const empty = buildRecordBatch({ baseOffset: 7, records: [], lastOffsetDelta: 3, producerId: 9n, producerEpoch: 1, baseSequence: 5, baseTimestamp: 1, maxTimestamp: 1 });
  assert.ok(validateBatch(empty, 0).ok);
  assert.equal(decodeRecordBatch(empty).records.length, 0);
});

test('decodeRecordBatches walks several batches and drops a partial tail', () => {
  const a = buildRecordBatch({ baseOffset: 0, records: [{ value: Buffer.from('x'), timestamp: 1 }] });
  const b = buildRecordBatch({ baseOffset: 1, records: [{ value: Buffer.from('y'), timestamp: 2 }], compression: CompressionCodec.zstd });
  const all = Buffer.concat([a, b, a.subarray(0, 20)]);
  assert.deepEqual(
    decodeRecordBatches(all).flatMap((batch) => batch.records.map((r) => r.value?.toString())),
    ['x', 'y'],
  );
});

test('decompression is bounded by maxRecordsBytes', () => {
  const batch = buildRecordBatch({
    records: [{ value: Buffer.alloc(100_000), timestamp: 1 }],
    compression: CompressionCodec.gzip,
  });
  assert.throws(() => decodeRecordBatch(batch, 0, { maxRecordsBytes: 50_000 }), /limit/);
});
