import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { buildRecordBatch } from '../protocol/records/batch-builder.js';
import { decodeRecordBatches } from '../protocol/records/batch-decoder.js';
import { CompressionCodec } from '../protocol/compression/codec.js';
import { OffsetCheckpointFile } from './checkpoint.js';
import { LogCleaner } from './cleaner.js';
import type { Log } from './log.js';
import { harness, type Harness } from './test-helpers.js';

function kv(key: string, value: string | null, ts: number, compression: CompressionCodec = CompressionCodec.none): Buffer {
  return buildRecordBatch({ records: [{ key: Buffer.from(key), value: value === null ? null : Buffer.from(value), timestamp: ts }], compression });
}

async function dump(log: Log): Promise<{ offset: number; key: string; value: string | null }[]> {
  const out: { offset: number; key: string; value: string | null }[] = [];
  let offset = log.logStartOffset;
  while (offset < log.logEndOffset) {
    const r = await log.read(offset, { maxBytes: 1 << 20 });
    if (r.sizeBytes === 0) break;
    for (const b of decodeRecordBatches(Buffer.concat(r.chunks))) {
      for (const rec of b.records) if (rec.offset >= offset) out.push({ offset: rec.offset, key: rec.key!.toString(), value: rec.value?.toString() ?? null });
    }
    offset = r.nextOffset;
  }
  return out;
}

function cleanerFor(h: Harness): LogCleaner {
  return new LogCleaner({ fs: h.fs, clock: h.clock, checkpoint: new OffsetCheckpointFile(h.fs, '/data/cleaner-offset-checkpoint') });
}

test('compaction keeps the last value per key, keeps offsets, leaves the active segment alone', async () => {
  const h = harness({ 'segment.bytes': 600, 'cleanup.policy': { compact: true, delete: false } });
  const log = await h.open();
  const t = h.clock.nowMs();
  const model = new Map<string, { offset: number; value: string }>();
  for (let i = 0; i < 60; i++) {
    const key = `k${i % 5}`;
    const info = log.appendAsLeader(kv(key, `v${i}`, t + i, i % 2 === 0 ? CompressionCodec.none : CompressionCodec.gzip), 0);
    model.set(key, { offset: info.firstOffset, value: `v${i}` });
  }
  const before = await dump(log);
  const activeBase = log.segmentBaseOffsets().at(-1)!;
  const cleaner = cleanerFor(h);
  const stats = await cleaner.clean(log);
  assert.ok(stats.segments > 0 && stats.recordsKept < stats.recordsRead);
  const after = await dump(log);
  // Offsets only ever disappear; survivors keep their offsets and values.
  const byOffset = new Map(before.map((r) => [r.offset, r]));
  for (const r of after) assert.deepEqual(byOffset.get(r.offset), r);
  // Below the active segment, exactly the latest per key remains.
  const cleaned = after.filter((r) => r.offset < activeBase);
  for (const r of cleaned) {
    const latestBeforeActive = before.filter((x) => x.key === r.key && x.offset < activeBase).at(-1)!;
    assert.equal(r.offset, latestBeforeActive.offset);
  }
  // The active segment is untouched; reading "latest per key" over everything matches the model.
  assert.deepEqual(after.filter((r) => r.offset >= activeBase), before.filter((r) => r.offset >= activeBase));
  const latest = new Map<string, string | null>();
  for (const r of after) latest.set(r.key, r.value);
  for (const [k, v] of model) assert.equal(latest.get(k), v.value);
  assert.equal(log.logEndOffset, 60);
  // Appends keep going and everything survives a clean reopen and an unclean one.
  log.appendAsLeader(kv('k0', 'again', t + 100), 0);
  await log.close();
  await h.scheduler.runDue();
  for (const clean of [true, false]) {
    const again = await h.open({ hadCleanShutdown: clean, recoveryPoint: 0 });
    assert.deepEqual((await dump(again)).slice(0, after.length), after);
    await again.close();
  }
});

test('tombstones go after delete.retention.ms; min.compaction.lag.ms and the dirty ratio hold cleaning back', async () => {
  const h = harness({
    'segment.bytes': 400,
    'cleanup.policy': { compact: true, delete: false },
    'delete.retention.ms': 10_000,
    'min.compaction.lag.ms': 5_000,
    'min.cleanable.dirty.ratio': 0.5,
  });
  const log = await h.open();
  const t = h.clock.nowMs();
  for (let i = 0; i < 20; i++) log.appendAsLeader(kv(`k${i % 3}`, `v${i}`, t), 0);
  log.appendAsLeader(kv('k0', null, t), 0);
  for (let i = 0; i < 10; i++) log.appendAsLeader(kv('z', `filler${i}`, t), 0);
  const cleaner = cleanerFor(h);
  assert.equal(await cleaner.maybeClean(log), false, 'too young for min.compaction.lag.ms');
  h.clock.advance(6_000);
  assert.equal(await cleaner.maybeClean(log), true);
  let rows = await dump(log);
  assert.ok(rows.some((r) => r.key === 'k0' && r.value === null), 'tombstone kept within delete.retention.ms');
  assert.equal(await cleaner.maybeClean(log), false, 'nothing dirty now');
  h.clock.advance(10_000);
  await cleaner.clean(log);
  rows = await dump(log);
  assert.ok(!rows.some((r) => r.key === 'k0'), 'tombstone and its key gone');
  assert.deepEqual(rows.filter((r) => r.key === 'k1').length, 1);
  await log.close();
});

test('a crash at any point of the swap leaves a readable log with the same latest values', async () => {
  for (let step = 0; step < 4; step++) {
    const h = harness({ 'segment.bytes': 500, 'cleanup.policy': { compact: true, delete: false } });
    await h.fs.syncDir('/');
    const log = await h.open();
    const t = h.clock.nowMs();
    for (let i = 0; i < 40; i++) log.appendAsLeader(kv(`k${i % 4}`, `v${i}`, t), 0);
    await log.flushRecoveryPoint();
    const before = await dump(log);
    const latestBefore = new Map<string, string | null>();
    for (const r of before) latestBefore.set(r.key, r.value);
    const cleaner = cleanerFor(h);
    if (step === 0) {
      // Crash before the swap reaches the directory.
      h.fs.inject({ op: 'rename', code: 'EIO', pathIncludes: '.cleaned', count: 1 });
      await assert.rejects(cleaner.clean(log));
    } else {
      await cleaner.clean(log);
      if (step >= 2) await log.flushRecoveryPoint();
      if (step === 3) await log.close();
    }
    log.closeAbruptly();
    h.fs.crash();
    const again = await h.open({ recoveryPoint: step === 3 ? log.recoveryPoint : 0, hadCleanShutdown: false });
    const rows = await dump(again);
    const latest = new Map<string, string | null>();
    for (const r of rows) latest.set(r.key, r.value);
    assert.deepEqual(latest, latestBefore, `step ${step}`);
    assert.ok(!h.fs.readdir('/data/t-0').some((f) => f.endsWith('.cleaned') || f.endsWith('.swap')));
    await again.close();
  }
});

test('property: compaction preserves the latest value of every key', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.tuple(fc.integer({ min: 0, max: 6 }), fc.option(fc.string({ maxLength: 30 }), { freq: 5 })), { minLength: 1, maxLength: 80 }),
      fc.integer({ min: 200, max: 1200 }),
      async (writes, segmentBytes) => {
        const h = harness({ 'segment.bytes': segmentBytes, 'cleanup.policy': { compact: true, delete: false }, 'delete.retention.ms': 1e12 });
        const log = await h.open();
        const t = h.clock.nowMs();
        for (const [k, v] of writes) log.appendAsLeader(kv(`k${k}`, v, t), 0);
        const before = await dump(log);
        await cleanerFor(h).clean(log);
        const after = await dump(log);
        const latest = (rows: typeof before): Map<string, string | null> => {
          const m = new Map<string, string | null>();
          for (const r of rows) m.set(r.key, r.value);
          return m;
        };
        assert.deepEqual(latest(after), latest(before));
        assert.deepEqual(after.map((r) => r.offset), [...after.map((r) => r.offset)].sort((a, b) => a - b));
        assert.equal(log.logEndOffset, writes.length);
        await log.close();
      },
    ),
    { numRuns: 80 },
  );
});
