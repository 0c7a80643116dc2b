import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { CompressionCodec } from '../protocol/compression/codec.js';
import { buildRecordBatch } from '../protocol/records/batch-builder.js';
import { decodeRecordBatch } from '../protocol/records/batch-decoder.js';
import { encodeProducerBatch, type ProducerRecordInput } from './batch-encoder.js';

function randomRecords(count: number, seed: number): ProducerRecordInput[] {
  let s = seed;
  const next = (n: number): number => ((s = (s * 1103515245 + 12345) & 0x7fffffff), s % n);
  const base = 1_700_000_000_000;
  return Array.from({ length: count }, (_, i) => ({
    key: next(3) === 0 ? null : randomBytes(next(3) === 0 ? 200 : next(20)),
    value: next(10) === 0 ? null : randomBytes([0, 1, 63, 64, 100, 8191, 8192, 70_000][next(8)]!),
    headers: next(4) === 0 ? [{ key: `h-${i}-é`, value: next(2) === 0 ? null : randomBytes(next(70)) }, { key: '', value: Buffer.alloc(0) }] : [],
    // Mostly increasing, sometimes earlier than the first record, sometimes far later.
    timestamp: base + [0, i, -5_000, 3_000_000_000, -3_000_000_000][next(5)]!,
  }));
}

test('encodeProducerBatch writes the same bytes as buildRecordBatch', () => {
  for (const [count, seed] of [
    [0, 1],
    [1, 2],
    [17, 3],
    [300, 4],
    [3000, 5],
  ] as const) {
    const records = randomRecords(count, seed);
    for (const compression of [CompressionCodec.none, CompressionCodec.gzip]) {
      for (const ids of [
        { producerId: -1n, producerEpoch: -1, baseSequence: -1, transactional: false },
        { producerId: 123456789012n, producerEpoch: 7, baseSequence: 2_147_483_000, transactional: true },
      ]) {
        const ours = encodeProducerBatch(records, { compression, ...ids });
        const reference = buildRecordBatch({ records, compression, ...ids });
        assert.ok(ours.equals(reference), `${count} records, codec ${compression}, ${JSON.stringify(ids, (_, v: unknown) => (typeof v === 'bigint' ? String(v) : v))}`);
        if (count > 0) assert.equal(decodeRecordBatch(ours).records.length, count);
      }
    }
  }
});
