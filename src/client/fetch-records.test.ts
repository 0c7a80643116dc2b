import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import fc from 'fast-check';
import { CompressionCodec } from '../protocol/compression/codec.js';
import type { FetchResponseAbortedTransaction } from '../protocol/generated/messages/fetch-response.js';
import { buildRecordBatch } from '../protocol/records/batch-builder.js';
import { decodeRecordBatch } from '../protocol/records/batch-decoder.js';
import { iterateBatches, readBatchHeader, updateBatchCrc, MAGIC_AT, MAGIC_V2, RECORDS_AT, TimestampType } from '../protocol/records/batch-header.js';
import { buildEndTxnMarkerBatch, ControlRecordType, decodeControlRecordKey } from '../protocol/records/control-record.js';
import { decodeFetchedRecords, scanFetchedRecords, type ConsumerMessage, type DecodedFetch } from './fetch-records.js';
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

/**
 * The decoder as it was before it got its own record loop (everything through
 * decodeRecordBatch): the reference the faster one must agree with.
 */
function referenceDecode(
  topic: string,
  partition: number,
  records: Buffer | null,
  fetchOffset: bigint,
  abortedTransactions: FetchResponseAbortedTransaction[] | null,
  readCommitted: boolean,
): DecodedFetch {
  const messages: ConsumerMessage[] = [];
  let nextOffset = fetchOffset;
  if (records === null || records.length === 0) return { messages, nextOffset };
  const aborted = readCommitted && abortedTransactions !== null ? [...abortedTransactions].sort((a, b) => (a.firstOffset < b.firstOffset ? -1 : 1)) : [];
  const abortedProducers = new Set<bigint>();
  for (const span of iterateBatches(records).batches) {
    if (records.readInt8(span.offset + MAGIC_AT) !== MAGIC_V2) continue;
    const header = readBatchHeader(records, span.offset);
    const lastOffset = BigInt(header.baseOffset + header.lastOffsetDelta);
    if (lastOffset < fetchOffset) continue;
    while (aborted.length > 0 && aborted[0]!.firstOffset <= lastOffset) abortedProducers.add(aborted.shift()!.producerId);
    const batch = decodeRecordBatch(records, span.offset);
    nextOffset = lastOffset + 1n;
    if (header.isControl) {
      const first = batch.records[0];
      if (first !== undefined && decodeControlRecordKey(first.key).type === ControlRecordType.abort) abortedProducers.delete(header.producerId);
      continue;
    }
    if (header.isTransactional && abortedProducers.has(header.producerId)) continue;
    const timestampType = header.timestampType === TimestampType.logAppendTime ? 'LogAppendTime' : 'CreateTime';
    for (const r of batch.records) {
      const offset = BigInt(r.offset);
      if (offset < fetchOffset) continue;
      messages.push({ topic, partition, offset, key: r.key, value: r.value, headers: r.headers, timestamp: r.timestamp, timestampType, leaderEpoch: header.partitionLeaderEpoch });
    }
  }
  return { messages, nextOffset };
}

/** The result, or the error's class and message: the two decoders must agree on either. */
function outcome(decode: () => DecodedFetch): DecodedFetch | { error: string } {
  try {
    return decode();
  } catch (error) {
    return { error: `${(error as Error).name}: ${(error as Error).message}` };
  }
}

const bytesArb = fc.oneof(fc.constant(null), fc.uint8Array({ maxLength: 24 }).map((a) => Buffer.from(a)));
const recordArb = fc.record({
  key: bytesArb,
  value: bytesArb,
  headers: fc.array(fc.record({ key: fc.string({ unit: 'grapheme', maxLength: 6 }), value: bytesArb }), { maxLength: 3 }),
  timestampDelta: fc.integer({ min: -1000, max: 1_000_000 }),
  gap: fc.nat(3),
});
const batchArb = fc.record({
  kind: fc.constantFrom('plain', 'txn', 'txn', 'commit', 'abort'),
  producer: fc.constantFrom(5n, 6n),
  records: fc.array(recordArb, { minLength: 1, maxLength: 6 }),
  compression: fc.constantFrom(CompressionCodec.none, CompressionCodec.none, CompressionCodec.gzip),
  logAppendTime: fc.boolean(),
  leaderEpoch: fc.integer({ min: -1, max: 9 }),
});

type BatchSpec = typeof batchArb extends fc.Arbitrary<infer B> ? B : never;

/** Back-to-back batches as a log holds them: offsets rising, compacted gaps, transactions and their markers. */
function buildLog(specs: Array<BatchSpec>, firstOffset: number): { bytes: Buffer; endOffset: number } {
  const parts: Buffer[] = [];
  let next = firstOffset;
  for (const spec of specs) {
    if (spec.kind === 'commit' || spec.kind === 'abort') {
      parts.push(buildEndTxnMarkerBatch({ commit: spec.kind === 'commit', producerId: spec.producer, producerEpoch: 0, coordinatorEpoch: 0, timestamp: T, baseOffset: next }));
      next += 1;
      continue;
    }
    let delta = 0;
    const records = spec.records.map((r, i) => {
      if (i > 0) delta += 1 + r.gap;
      return { key: r.key, value: r.value, headers: r.headers, timestamp: T + r.timestampDelta, offsetDelta: delta };
    });
    const transactional = spec.kind === 'txn';
    parts.push(
      buildRecordBatch({
        baseOffset: next,
        records,
        compression: spec.compression,
        producerId: transactional ? spec.producer : -1n,
        producerEpoch: transactional ? 0 : -1,
        baseSequence: transactional ? 0 : -1,
        transactional,
        partitionLeaderEpoch: spec.leaderEpoch,
        timestampType: spec.logAppendTime ? TimestampType.logAppendTime : TimestampType.createTime,
      }),
    );
    next += delta + 1;
  }
  return { bytes: Buffer.concat(parts), endOffset: next };
}

test('property: the decoder delivers exactly what the general batch decoder yields (offsets, cuts, transactions, compression)', () => {
  fc.assert(
    fc.property(
      fc.array(batchArb, { minLength: 1, maxLength: 6 }),
      fc.nat(1_000_000),
      fc.double({ min: 0, max: 1, noNaN: true }),
      fc.double({ min: 0, max: 1, noNaN: true }),
      fc.array(fc.record({ producerId: fc.constantFrom(5n, 6n), at: fc.double({ min: 0, max: 1, noNaN: true }) }), { maxLength: 3 }),
      fc.boolean(),
      fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: 8 }),
      (specs, firstOffset, fetchAt, cutAt, abortedAt, readCommitted, takes) => {
        const log = buildLog(specs, firstOffset);
        const fetchOffset = BigInt(firstOffset + Math.floor(fetchAt * (log.endOffset - firstOffset)));
        const bytes = log.bytes.subarray(0, Math.ceil(log.bytes.length * (0.5 + cutAt / 2)));
        const aborted = abortedAt.map((a) => ({ producerId: a.producerId, firstOffset: BigInt(firstOffset + Math.floor(a.at * (log.endOffset - firstOffset))) }));
        const args = ['t', 3, bytes, fetchOffset, aborted, readCommitted] as const;
        const expected = outcome(() => referenceDecode(...args));
        assert.deepStrictEqual(outcome(() => decodeFetchedRecords(...args)), expected);
        if ('error' in expected) return;
        // poll() takes a few at a time: the pieces must add up to the same messages.
        const fetched = scanFetchedRecords(...args);
        const pieces: ConsumerMessage[] = [];
        for (let i = 0; fetched.remaining > 0; i++) {
          const before = pieces.length;
          const remaining = fetched.remaining;
          fetched.take(takes[i % takes.length]!, pieces);
          assert.equal(pieces.length - before, Math.min(takes[i % takes.length]!, remaining));
        }
        assert.deepStrictEqual(pieces, expected.messages);
        assert.equal(fetched.nextOffset, expected.nextOffset);
        assert.equal(fetched.lastLeaderEpoch, expected.messages.length > 0 ? expected.messages[expected.messages.length - 1]!.leaderEpoch : -1);
      },
    ),
    { numRuns: 400 },
  );
});

test('property: a damaged record (CRC made to match) fails or decodes the same way in both decoders', () => {
  fc.assert(
    fc.property(
      batchArb.filter((b) => b.kind === 'plain' && b.compression === CompressionCodec.none),
      fc.array(fc.record({ at: fc.double({ min: 0, max: 1, noNaN: true }), byte: fc.integer({ min: 0, max: 255 }) }), { minLength: 1, maxLength: 3 }),
      (spec, damage) => {
        const bytes = Buffer.from(buildLog([spec], 10).bytes);
        for (const d of damage) bytes[RECORDS_AT + Math.floor(d.at * (bytes.length - RECORDS_AT - 1))] = d.byte;
        updateBatchCrc(bytes, 0);
        const args = ['t', 0, bytes, 0n, null, false] as const;
        assert.deepStrictEqual(outcome(() => decodeFetchedRecords(...args)), outcome(() => referenceDecode(...args)));
      },
    ),
    { numRuns: 1000 },
  );
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
