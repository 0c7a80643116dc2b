import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { seededRandom } from '../platform/random.js';
import { buildRecordBatch } from '../protocol/records/batch-builder.js';
import { buildEndTxnMarkerBatch } from '../protocol/records/control-record.js';
import { decodeRecordBatches } from '../protocol/records/batch-decoder.js';
import { ProducerStateError, ProducerStateManager } from './producer-state.js';
import { harness, readAll } from './test-helpers.js';
import { LogCleaner } from './cleaner.js';
import { OffsetCheckpointFile } from './checkpoint.js';
import type { Log } from './log.js';

const T0 = 1_700_000_000_000;

function pbatch(pid: bigint, epoch: number, seq: number, count: number, tag: string, transactional = false): Buffer {
  const records = [];
  for (let i = 0; i < count; i++) records.push({ key: null, value: Buffer.from(`${tag}-${i}`), timestamp: T0 + i });
  return buildRecordBatch({ records, producerId: pid, producerEpoch: epoch, baseSequence: seq, transactional });
}

function marker(pid: bigint, epoch: number, commit: boolean, coordinatorEpoch = 0): Buffer {
  return buildEndTxnMarkerBatch({ commit, producerId: pid, producerEpoch: epoch, coordinatorEpoch, timestamp: T0 });
}

function producerError(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof ProducerStateError) return err.producerError;
    throw err;
  }
  return 'none';
}

/** What a read_committed consumer sees, filtering as Kafka's consumer does per fetch response. */
async function readCommitted(log: Log): Promise<string[]> {
  const out: string[] = [];
  let offset = log.logStartOffset;
  for (;;) {
    const r = await log.read(offset, { maxBytes: 1 << 20, isolation: 'read_committed' });
    if (r.sizeBytes === 0) break;
    const queue = [...(r.abortedTransactions ?? [])].sort((a, b) => a.firstOffset - b.firstOffset);
    const abortedProducers = new Set<bigint>();
    for (const b of decodeRecordBatches(Buffer.concat(r.chunks))) {
      const last = b.header.baseOffset + b.header.lastOffsetDelta;
      if (last < offset) continue;
      while (queue.length > 0 && queue[0]!.firstOffset <= last) abortedProducers.add(queue.shift()!.producerId);
      const pid = b.header.producerId;
      if (b.header.isControl) {
        if (b.records[0]?.key?.readInt16BE(2) === 0) abortedProducers.delete(pid);
        continue;
      }
      if (b.header.isTransactional && abortedProducers.has(pid)) continue;
      for (const rec of b.records) out.push(rec.value?.toString() ?? '');
    }
    offset = r.nextOffset;
  }
  return out;
}

test('idempotence: a retried batch gets its original offsets and is not written again', async () => {
  const h = harness();
  const log = await h.open();
  const a = log.appendAsLeader(pbatch(7n, 0, 0, 3, 'a'), 0);
  const b = log.appendAsLeader(pbatch(7n, 0, 3, 2, 'b'), 0);
  assert.deepEqual([a.firstOffset, b.firstOffset, log.logEndOffset], [0, 3, 5]);
  const again = log.appendAsLeader(pbatch(7n, 0, 0, 3, 'a'), 0);
  assert.equal(again.duplicate, true);
  assert.deepEqual([again.firstOffset, again.lastOffset], [0, 2]);
  assert.equal(log.logEndOffset, 5);
  // Only the last five batches are remembered.
  for (let i = 0; i < 5; i++) log.appendAsLeader(pbatch(7n, 0, 5 + i, 1, `c${i}`), 0);
  assert.equal(producerError(() => log.appendAsLeader(pbatch(7n, 0, 0, 3, 'a'), 0)), 'OUT_OF_ORDER_SEQUENCE_NUMBER');
  assert.equal(log.appendAsLeader(pbatch(7n, 0, 9, 1, 'c4'), 0).duplicate, true);
  assert.equal(log.logEndOffset, 10);
  await log.close();
});

test('idempotence errors: gaps, stale epochs, new epochs, unknown producers; nothing is written', async () => {
  const h = harness();
  const log = await h.open();
  log.appendAsLeader(pbatch(1n, 2, 0, 2, 'x'), 0);
  assert.equal(producerError(() => log.appendAsLeader(pbatch(1n, 2, 5, 1, 'gap'), 0)), 'OUT_OF_ORDER_SEQUENCE_NUMBER');
  assert.equal(producerError(() => log.appendAsLeader(pbatch(1n, 1, 2, 1, 'old'), 0)), 'INVALID_PRODUCER_EPOCH');
  assert.equal(producerError(() => log.appendAsLeader(pbatch(1n, 3, 4, 1, 'newepoch'), 0)), 'OUT_OF_ORDER_SEQUENCE_NUMBER');
  assert.equal(log.logEndOffset, 2);
  // A bumped epoch starts again at 0; an unknown producer may start anywhere (KIP-360).
  assert.equal(log.appendAsLeader(pbatch(1n, 3, 0, 1, 'bumped'), 0).firstOffset, 2);
  assert.equal(log.appendAsLeader(pbatch(9n, 0, 42, 1, 'unknown'), 0).firstOffset, 3);
  // Sequences wrap at Int32 max.
  log.appendAsLeader(pbatch(5n, 0, 0x7ffffffe, 2, 'wrap'), 0);
  assert.equal(log.appendAsLeader(pbatch(5n, 0, 0, 1, 'wrapped'), 0).firstOffset, 6);
  // Non-idempotent producers are not tracked.
  log.appendAsLeader(buildRecordBatch({ records: [{ value: Buffer.from('plain') }] }), 0);
  assert.equal(log.producerState.producerCount, 3);
  await log.close();
});

test('transactions: LSO, read_committed, aborted list, markers, fencing', async () => {
  const h = harness();
  const log = await h.open();
  log.appendAsLeader(pbatch(1n, 0, 0, 2, 't1', true), 0); // 0-1
  log.appendAsLeader(pbatch(2n, 0, 0, 1, 't2', true), 0); // 2
  log.appendAsLeader(buildRecordBatch({ records: [{ value: Buffer.from('plain') }] }), 0); // 3
  assert.equal(log.lastStableOffset(), 0);
  assert.equal(producerError(() => log.appendAsLeader(pbatch(1n, 0, 2, 1, 'nontxn'), 0)), 'INVALID_TXN_STATE');
  assert.deepEqual(await readCommitted(log), []);
  log.appendAsLeader(marker(1n, 0, false, 3), 0); // 4: abort producer 1
  assert.equal(log.lastStableOffset(), 2);
  log.appendAsLeader(marker(2n, 0, true, 3), 0); // 5: commit producer 2
  assert.equal(log.lastStableOffset(), 6);
  assert.deepEqual(log.abortedTransactionEntries(), [{ producerId: 1n, firstOffset: 0, lastOffset: 4, lastStableOffset: 2 }]);
  assert.deepEqual(log.abortedTransactionsIn(0, 6), [{ producerId: 1n, firstOffset: 0 }]);
  assert.deepEqual(log.abortedTransactionsIn(5, 6), []);
  assert.deepEqual(await readCommitted(log), ['t2-0', 'plain']);
  // A marker from an older coordinator epoch is fenced; one with an older producer epoch too.
  log.appendAsLeader(pbatch(1n, 1, 0, 1, 'next', true), 0);
  assert.equal(producerError(() => log.appendAsLeader(marker(1n, 1, true, 2), 0)), 'TRANSACTION_COORDINATOR_FENCED');
  assert.equal(producerError(() => log.appendAsLeader(marker(1n, 0, true, 3), 0)), 'INVALID_PRODUCER_EPOCH');
  log.appendAsLeader(marker(1n, 1, true, 3), 0);
  assert.deepEqual(await readCommitted(log), ['t2-0', 'plain', 'next-0']);
  // A .txnindex file holds the abort.
  assert.ok(h.fs.readdir(h.dir).some((n) => n.endsWith('.txnindex')));
  await log.close();

  // Clean reopen: snapshot at the log end, aborted list from the .txnindex.
  const again = await h.open({ hadCleanShutdown: true });
  assert.ok(h.fs.readdir(h.dir).some((n) => n === '00000000000000000008.snapshot'));
  assert.deepEqual(again.abortedTransactionEntries(), [{ producerId: 1n, firstOffset: 0, lastOffset: 4, lastStableOffset: 2 }]);
  assert.equal(again.producerState.entry(1n)?.epoch, 1);
  assert.equal(again.producerState.entry(1n)?.coordinatorEpoch, 3);
  assert.deepEqual(await readCommitted(again), ['t2-0', 'plain', 'next-0']);
  await again.close();
});

test('snapshots on roll; recovery replays after the newest snapshot; truncation rebuilds', async () => {
  const h = harness({ 'segment.bytes': 400 });
  const log = await h.open();
  let seq = 0;
  for (let i = 0; i < 12; i++) {
    log.appendAsLeader(pbatch(3n, 0, seq, 2, `r${i}`, i % 3 !== 2), 0);
    seq += 2;
    if (i % 3 === 1) log.appendAsLeader(marker(3n, 0, i % 2 === 0, 0), 0);
  }
  log.appendAsLeader(pbatch(4n, 0, 0, 1, 'open', true), 0);
  await log.flush();
  await log.flushRecoveryPoint();
  assert.ok(log.segmentCount > 2);
  const snapshots = h.fs.readdir(h.dir).filter((n) => n.endsWith('.snapshot'));
  assert.ok(snapshots.length >= 1 && snapshots.length <= 2, `${snapshots.join()}`);
  const lso = log.lastStableOffset();
  const abortedBefore = log.abortedTransactionEntries().slice();
  const committedBefore = await readCommitted(log);
  const lastSeq = log.producerState.entry(3n)?.batches.at(-1)?.lastSeq;
  log.closeAbruptly();

  const again = await h.open({ recoveryPoint: 0 });
  assert.equal(again.lastStableOffset(), lso);
  assert.deepEqual(again.abortedTransactionEntries(), abortedBefore);
  assert.deepEqual(await readCommitted(again), committedBefore);
  assert.equal(again.producerState.entry(3n)?.batches.at(-1)?.lastSeq, lastSeq);
  // The retried last batch is still a duplicate after the restart; the next sequence continues.
  assert.equal(again.appendAsLeader(pbatch(3n, 0, seq - 2, 2, 'r11'), 0).duplicate, true);
  assert.equal(again.appendAsLeader(pbatch(3n, 0, seq, 1, 'after'), 0).duplicate, undefined);

  // Truncating below the open transaction's start closes it.
  const openStart = again.lastStableOffset();
  await again.truncateTo(openStart);
  assert.equal(again.producerState.entry(4n), undefined);
  assert.equal(again.lastStableOffset(), again.logEndOffset);
  await again.close();
});

test('expiry per producer.id.expiration.ms keeps producers with open transactions', async () => {
  const h = harness();
  const log = await h.open();
  log.appendAsLeader(pbatch(1n, 0, 0, 1, 'a'), 0);
  log.appendAsLeader(pbatch(2n, 0, 0, 1, 'b', true), 0);
  assert.equal(log.removeExpiredProducers(86_400_000, T0 + 1000), 0);
  assert.equal(log.removeExpiredProducers(86_400_000, T0 + 86_400_000), 1);
  assert.equal(log.producerState.entry(1n), undefined);
  assert.ok(log.producerState.entry(2n) !== undefined);
  // An expired producer may continue at any sequence.
  assert.equal(log.appendAsLeader(pbatch(1n, 0, 17, 1, 'c'), 0).firstOffset, 2);
  await log.close();
});

test('snapshot encoding round-trips and rejects damage', () => {
  const m = new ProducerStateManager();
  m.replay([{ producerId: 11n, epoch: 4, baseSequence: 10, firstOffset: 100, lastOffset: 104, maxTimestamp: T0, isTransactional: true, isControl: false }]);
  const bytes = m.encodeSnapshot();
  const n = new ProducerStateManager();
  n.loadSnapshot(bytes);
  assert.deepEqual(n.entry(11n), m.entry(11n));
  bytes[bytes.length - 1] ^= 1;
  assert.throws(() => n.loadSnapshot(bytes));
});

test('property: crashes at random points never change what read_committed shows of durable data', async () => {
  await fc.assert(
    fc.asyncProperty(fc.integer({ min: 1, max: 1_000_000 }), crashRound),
    { numRuns: 40 },
  );
});

/** One seeded schedule: three lives of random transactional appends and markers, each ended by a power cut. */
async function crashRound(seed: number): Promise<void> {
  const random = seededRandom(seed);
  const h = harness({ 'segment.bytes': 300 + random.int(1500) });
  await h.fs.syncDir('/');
  let log = await h.open();
  const seqs = new Map<bigint, number>();
  const epochs = new Map<bigint, number>();
  for (let life = 0; life < 3; life++) {
    for (let s = 0; s < 30; s++) {
      const pid = BigInt(1 + random.int(3));
      const epoch = epochs.get(pid) ?? 0;
      const seq = seqs.get(pid) ?? 0;
      const r = random.next();
      try {
        if (r < 0.6) {
          log.appendAsLeader(pbatch(pid, epoch, seq, 1 + random.int(3), `p${pid}-${seq}`, true), 0);
        } else if (r < 0.85) {
          log.appendAsLeader(marker(pid, epoch, random.chance(0.5)), 0);
        } else if (r < 0.9) {
          log.roll();
        } else {
          await log.flush();
        }
      } catch (err) {
        if (!(err instanceof ProducerStateError)) throw err;
      }
      // The model only needs the sequence to follow what the log accepted.
      const last = log.producerState.entry(pid)?.batches.at(-1);
      seqs.set(pid, last === undefined ? 0 : last.lastSeq + 1);
    }
    await log.flush();
    await log.flushRecoveryPoint();
    const before = await readCommitted(log);
    const lso = log.lastStableOffset();
    const aborted = log.abortedTransactionEntries().map((t) => ({ ...t, lastStableOffset: 0 }));
    const end = log.logEndOffset;
    log.closeAbruptly();
    h.fs.crash({ random, tearProbability: 0.5 });
    log = await h.open({ recoveryPoint: 0 });
    assert.equal(log.logEndOffset, end);
    assert.equal(log.lastStableOffset(), lso);
    assert.deepEqual(log.abortedTransactionEntries().map((t) => ({ ...t, lastStableOffset: 0 })), aborted);
    assert.deepEqual(await readCommitted(log), before);
    for (const pid of [1n, 2n, 3n]) {
      const last = log.producerState.entry(pid)?.batches.at(-1);
      seqs.set(pid, last === undefined ? 0 : last.lastSeq + 1);
      epochs.set(pid, log.producerState.entry(pid)?.epoch ?? 0);
    }
  }
  await log.close();
  await readAll(log).catch(() => undefined);
}

test('the cleaner drops aborted transactions, ignores them for the latest value, and stops at the LSO', async () => {
  const h = harness({ 'segment.bytes': 300, 'cleanup.policy': { compact: true, delete: false } });
  const log = await h.open();
  const kv = (key: string, pid: bigint, seq: number, value: string, transactional: boolean): Buffer =>
    buildRecordBatch({ records: [{ key: Buffer.from(key), value: Buffer.from(value), timestamp: T0 }], producerId: pid, producerEpoch: 0, baseSequence: seq, transactional });
  log.appendAsLeader(kv('K', 1n, 0, 'committed', true), 0);
  log.appendAsLeader(marker(1n, 0, true), 0);
  for (let i = 0; i < 4; i++) log.appendAsLeader(kv('F', 4n, i, `filler-${i}`, false), 0);
  log.appendAsLeader(kv('K', 2n, 0, 'aborted', true), 0);
  log.appendAsLeader(marker(2n, 0, false), 0);
  log.appendAsLeader(kv('K', 3n, 0, 'open', true), 0);
  for (let i = 4; i < 10; i++) log.appendAsLeader(kv('F', 4n, i, `filler-${i}`, false), 0);
  log.roll();
  const lso = log.lastStableOffset();
  const cleaner = new LogCleaner({ fs: h.fs, clock: h.clock, checkpoint: new OffsetCheckpointFile(h.fs, '/data/cleaner-offset-checkpoint') });
  await cleaner.clean(log);
  // Markers are control records: their values start with the marker version (0).
  const all = (await readAll(log)).filter((v) => !v.value.startsWith('\x00'));
  const below = all.filter((v) => v.offset < lso).map((v) => v.value);
  const above = all.filter((v) => v.offset >= lso).map((v) => v.value);
  // Below the LSO: the committed value is K's latest (the aborted one does not count and is gone).
  assert.deepEqual(below, ['committed', 'filler-3']);
  // From the open transaction on nothing was touched.
  assert.deepEqual(above, ['open', ...Array.from({ length: 6 }, (_, i) => `filler-${i + 4}`)]);
  assert.deepEqual(await readCommitted(log), ['committed', 'filler-3']);
  await log.close();
});

test('property: read_committed in one-batch fetches shows exactly the records of committed transactions and plain writes', async () => {
  await fc.assert(
    fc.asyncProperty(fc.integer({ min: 1, max: 1_000_000 }), async (seed) => {
      const random = seededRandom(seed);
      const h = harness({ 'segment.bytes': 400 + random.int(2000) });
      const log = await h.open();
      const open = new Map<bigint, string[]>();
      const seqs = new Map<bigint, number>();
      const visible: string[] = [];
      for (let s = 0; s < 80; s++) {
        const pid = BigInt(1 + random.int(4));
        const r = random.next();
        if (r < 0.55) {
          const seq = seqs.get(pid) ?? 0;
          const tag = `p${pid}-${seq}`;
          log.appendAsLeader(pbatch(pid, 0, seq, 1, tag, true), 0);
          seqs.set(pid, seq + 1);
          open.set(pid, [...(open.get(pid) ?? []), `${tag}-0`]);
        } else if (r < 0.85) {
          const commit = random.chance(0.5);
          log.appendAsLeader(marker(pid, 0, commit), 0);
          if (commit) visible.push(...(open.get(pid) ?? []));
          open.delete(pid);
        } else {
          const tag = `plain-${s}`;
          log.appendAsLeader(buildRecordBatch({ records: [{ value: Buffer.from(tag) }] }), 0);
          visible.push(tag);
        }
      }
      for (const pid of [...open.keys()]) {
        const commit = random.chance(0.5);
        log.appendAsLeader(marker(pid, 0, commit), 0);
        if (commit) visible.push(...(open.get(pid) ?? []));
      }
      // One batch per fetch, as a consumer with a tiny fetch size reads.
      const seen: string[] = [];
      let offset = 0;
      for (;;) {
        const res = await log.read(offset, { maxBytes: 1, isolation: 'read_committed' });
        if (res.sizeBytes === 0) break;
        const aborted = new Set((res.abortedTransactions ?? []).map((a) => a.producerId));
        for (const b of decodeRecordBatches(Buffer.concat(res.chunks))) {
          if (!b.header.isControl && !(b.header.isTransactional && aborted.has(b.header.producerId))) for (const rec of b.records) seen.push(rec.value!.toString());
        }
        offset = res.nextOffset;
      }
      assert.deepEqual([...seen].sort(), [...visible].sort());
      await log.close();
    }),
    { numRuns: 30 },
  );
});
