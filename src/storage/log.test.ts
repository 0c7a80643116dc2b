import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { errorCode } from '../platform/file-system.js';
import { seededRandom } from '../platform/random.js';
import { LogOfflineError, OffsetOutOfRangeError } from './errors.js';
import { batch, harness, readAll, values } from './test-helpers.js';

test('append assigns offsets, read returns whole batches, tail cache then disk', async () => {
  const h = harness();
  const log = await h.open();
  assert.equal(log.logEndOffset, 0);
  const a = log.appendAsLeader(batch(3, 'a'), 5);
  const b = log.appendAsLeader(batch(2, 'b'), 5);
  assert.deepEqual([a.firstOffset, a.lastOffset, b.firstOffset, b.lastOffset], [0, 2, 3, 4]);
  assert.equal(log.logEndOffset, 5);
  const r = await log.read(4, { maxBytes: 1 << 20 });
  assert.equal(r.fromCache, true);
  assert.deepEqual(values(r.chunks).map((v) => v.offset), [3, 4]);
  assert.equal((await log.read(5, { maxBytes: 100 })).sizeBytes, 0);
  await assert.rejects(log.read(6, { maxBytes: 100 }), OffsetOutOfRangeError);
  // maxBytes smaller than one batch still returns the first whole batch (KIP-74), but only one.
  const one = await log.read(0, { maxBytes: 1 });
  assert.equal(values(one.chunks).length, 3);
  assert.equal((await log.read(0, { maxBytes: 1, minOneBatch: false })).sizeBytes, 0);
  // maxOffset (the high watermark) hides batches at or past it.
  assert.equal(values((await log.read(0, { maxBytes: 1 << 20, maxOffset: 3 })).chunks).length, 3);
  await log.close();

  const again = await h.open({ hadCleanShutdown: true });
  assert.equal(again.logEndOffset, 5);
  const disk = await again.read(3, { maxBytes: 1 << 20 });
  assert.equal(disk.fromCache, false);
  assert.deepEqual(values(disk.chunks).map((v) => v.value), ['b-0', 'b-1']);
  assert.deepEqual(again.leaderEpochCache.list(), [{ epoch: 5, startOffset: 0 }]);
  await again.close();
});

test('segments roll on segment.bytes and reads cross them through the indexes', async () => {
  const h = harness({ 'segment.bytes': 4096, 'index.interval.bytes': 256, 'samsa.tail.cache.bytes': 0 });
  const log = await h.open();
  for (let i = 0; i < 200; i++) log.appendAsLeader(batch(2, `r${i}`, 1_700_000_000_000 + i * 10, 40), 1);
  assert.ok(log.segmentCount > 5, `segments: ${log.segmentCount}`);
  const all = await readAll(log);
  assert.equal(all.length, 400);
  assert.deepEqual(all.map((v) => v.offset), [...Array(400).keys()]);
  for (const target of [0, 1, 77, 200, 399]) {
    const r = await log.read(target, { maxBytes: 1 });
    const vs = values(r.chunks);
    assert.ok(vs.some((v) => v.offset === target), `offset ${target}`);
  }
  await log.close();
  // Clean reopen trusts index files; unclean reopen from recovery point 0 rebuilds them; both read the same.
  for (const clean of [true, false]) {
    const again = await h.open({ hadCleanShutdown: clean, recoveryPoint: clean ? undefined : 0 });
    assert.deepEqual(await readAll(again), all);
    await again.close();
  }
});

test('batches without timestamps (up-converted magic 0) append, roll, recover and read back', async () => {
  const h = harness({ 'segment.bytes': 2048, 'index.interval.bytes': 128, 'samsa.tail.cache.bytes': 0 });
  const log = await h.open();
  for (let i = 0; i < 60; i++) log.appendAsLeader(batch(2, `n${i}`, -1, 40), 0);
  assert.ok(log.segmentCount > 2, `segments: ${log.segmentCount}`);
  const all = await readAll(log);
  assert.deepEqual(all.map((v) => v.offset), [...Array(120).keys()]);
  assert.equal(log.findOffsetByTimestamp(0), undefined);
  await log.close();
  const again = await h.open({ hadCleanShutdown: false, recoveryPoint: 0 });
  assert.deepEqual(await readAll(again), all);
  await again.close();
});

test('findOffsetByTimestamp finds the first record at or after a timestamp', async () => {
  const h = harness({ 'segment.bytes': 2048, 'index.interval.bytes': 100 });
  const log = await h.open();
  for (let i = 0; i < 50; i++) log.appendAsLeader(batch(4, `t${i}`, 1000 + i * 100), 0);
  // Records have timestamps 1000 + i*100 + j, j in 0..3.
  assert.deepEqual(log.findOffsetByTimestamp(0), { offset: 0, timestamp: 1000, leaderEpoch: 0 });
  assert.deepEqual(log.findOffsetByTimestamp(1502), { offset: 22, timestamp: 1502, leaderEpoch: 0 });
  assert.deepEqual(log.findOffsetByTimestamp(1504), { offset: 24, timestamp: 1600, leaderEpoch: 0 });
  assert.equal(log.findOffsetByTimestamp(10_000), undefined);
  assert.equal(log.findMaxTimestamp()?.offset, 199);
  await log.close();
});

test('recovery cuts a torn or corrupt tail and keeps everything before it', async () => {
  const h = harness({ 'segment.bytes': 1 << 20 });
  const log = await h.open();
  for (let i = 0; i < 10; i++) log.appendAsLeader(batch(1, `v${i}`), 0);
  await log.flush();
  // Unsynced tail, then a crash that tears it.
  for (let i = 10; i < 20; i++) log.appendAsLeader(batch(1, `v${i}`), 0);
  log.closeAbruptly();
  h.fs.crash({ random: seededRandom(3), tearProbability: 1 });
  const again = await h.open({ recoveryPoint: 0 });
  const got = await readAll(again);
  assert.ok(got.length >= 10);
  assert.deepEqual(got.map((v) => v.value), got.map((_v, i) => `v${i}-0`));
  await again.close();

  // Flip a byte inside batch 5's records: everything from batch 5 on goes.
  const path = '/data/t-0/00000000000000000000.log';
  const data = h.fs.readFile(path);
  const handle = h.fs.open(path, 'readWrite');
  let at = 0;
  for (let i = 0; i < 5; i++) at += 12 + data.readInt32BE(at + 8);
  handle.write(Buffer.from([data[at + 70]! ^ 0xff]), at + 70);
  handle.close();
  const third = await h.open({ recoveryPoint: 0 });
  assert.equal(third.logEndOffset, 5);
  assert.deepEqual((await readAll(third)).map((v) => v.value), ['v0-0', 'v1-0', 'v2-0', 'v3-0', 'v4-0']);
  // Appends continue after the cut.
  assert.equal(third.appendAsLeader(batch(1, 'after'), 1).firstOffset, 5);
  await third.close();
});

test('a damaged index is rebuilt, never trusted', async () => {
  const h = harness({ 'segment.bytes': 3000, 'index.interval.bytes': 64 });
  const log = await h.open();
  for (let i = 0; i < 60; i++) log.appendAsLeader(batch(1, `v${i}`), 0);
  await log.close();
  const idx = '/data/t-0/00000000000000000000.index';
  const bytes = h.fs.readFile(idx);
  assert.ok(bytes.length >= 16);
  bytes.writeInt32BE(0x7fff0000, bytes.length - 4); // a position far outside the segment
  await h.fs.writeFileAtomic(idx, bytes);
  h.fs.unlink('/data/t-0/00000000000000000000.timeindex');
  const again = await h.open({ hadCleanShutdown: true });
  assert.deepEqual((await readAll(again)).map((v) => v.value), [...Array(60).keys()].map((i) => `v${i}-0`));
  await again.close();
});

test('group commit: many flush waiters share one fdatasync', async () => {
  const h = harness();
  const log = await h.open();
  log.appendAsLeader(batch(1, 'first'), 0);
  await log.flush();
  const syncsBefore = h.fs.stats.syncs;
  const waits: Promise<void>[] = [];
  for (let i = 0; i < 100; i++) {
    const info = log.appendAsLeader(batch(1, `v${i}`), 0);
    waits.push(log.flush(info.lastOffset + 1));
  }
  await Promise.all(waits);
  assert.equal(log.durableOffset, 101);
  assert.ok(h.fs.stats.syncs - syncsBefore <= 2, `syncs: ${h.fs.stats.syncs - syncsBefore}`);
  await log.close();
});

test('truncateTo removes the tail, epochs follow, appends continue', async () => {
  const h = harness({ 'segment.bytes': 1000 });
  const log = await h.open();
  for (let i = 0; i < 30; i++) log.appendAsLeader(batch(2, `v${i}`), i < 15 ? 1 : 2);
  assert.deepEqual(log.leaderEpochCache.list(), [
    { epoch: 1, startOffset: 0 },
    { epoch: 2, startOffset: 30 },
  ]);
  await log.truncateTo(21);
  assert.equal(log.logEndOffset, 20);
  assert.deepEqual(log.leaderEpochCache.list(), [{ epoch: 1, startOffset: 0 }]);
  assert.equal((await readAll(log)).length, 20);
  assert.equal(log.appendAsLeader(batch(1, 'x'), 3).firstOffset, 20);
  assert.equal(log.leaderEpochCache.endOffsetFor(1, log.logEndOffset).endOffset, 20);
  await log.truncateTo(0);
  assert.equal(log.logEndOffset, 0);
  await log.close();
  const again = await h.open({ recoveryPoint: 0 });
  assert.equal(again.logEndOffset, 0);
  await again.close();
});

test('retention by time, by size and by log start offset, with delayed file deletion', async () => {
  const h = harness({ 'segment.bytes': 1000, 'retention.ms': 60_000, 'file.delete.delay.ms': 1000 });
  const log = await h.open();
  const t0 = h.clock.nowMs();
  for (let i = 0; i < 40; i++) log.appendAsLeader(batch(2, `v${i}`, t0 + i), 0);
  const segments = log.segmentCount;
  assert.ok(segments >= 4);
  assert.equal(log.deleteOldSegments(), 0);
  // Start offset moves by DeleteRecords: whole segments below it go.
  log.maybeIncrementLogStartOffset(log.segmentBaseOffsets()[2]! + 1);
  assert.equal(log.deleteOldSegments(), 2);
  await assert.rejects(log.read(0, { maxBytes: 100 }), OffsetOutOfRangeError);
  const files = h.fs.readdir('/data/t-0');
  assert.ok(files.some((f) => f.endsWith('.log.deleted')));
  h.clock.advance(1000);
  await h.scheduler.runDue();
  assert.ok(!h.fs.readdir('/data/t-0').some((f) => f.endsWith('.deleted')));
  // Size: keep at most ~2 segments' worth.
  log.updateConfig({ ...h.config, 'retention.bytes': 2000 });
  log.deleteOldSegments();
  assert.ok(log.sizeBytes <= 2000 + 1000);
  // Time: everything is older than retention.ms; the active segment is rolled and the old ones go,
  // but only up to the high watermark.
  h.clock.advance(120_000);
  assert.equal(log.deleteOldSegments(log.segmentBaseOffsets()[0]!), 0);
  log.deleteOldSegments();
  assert.equal(log.logStartOffset, log.logEndOffset);
  assert.equal(log.segmentCount, 1);
  assert.equal(log.appendAsLeader(batch(1, 'new'), 0).firstOffset, 80);
  await log.close();
});

test('segment.ms rolls by record timestamps', async () => {
  const h = harness({ 'segment.ms': 1000 });
  const log = await h.open();
  log.appendAsLeader(batch(1, 'a', 10_000), 0);
  log.appendAsLeader(batch(1, 'b', 10_500), 0);
  assert.equal(log.segmentCount, 1);
  log.appendAsLeader(batch(1, 'c', 11_001), 0);
  assert.equal(log.segmentCount, 2);
  await log.close();
});

test('an I/O error takes only that log offline', async () => {
  const h = harness();
  const log = await h.open();
  const other = await h.open({ topicPartition: { topic: 'u', partition: 0 } }).catch(() => undefined);
  void other;
  const h2dir = '/data/u-0';
  const healthy = await (async () => {
    const saved = h.dir;
    h.dir = h2dir;
    const l = await h.open({ topicPartition: { topic: 'u', partition: 0 } });
    h.dir = saved;
    return l;
  })();
  log.appendAsLeader(batch(1, 'ok'), 0);
  await log.whenWritten();
  h.fs.inject({ op: 'write', code: 'ENOSPC', pathIncludes: '/t-0/', count: 1 });
  let offlineSeen = 0;
  // A small batch on an idle file is written on the spot, so the failure is the append's own.
  assert.throws(() => log.appendAsLeader(batch(1, 'fails'), 0), (e: unknown) => e instanceof LogOfflineError && e.kafkaError === 'KAFKA_STORAGE_ERROR');
  assert.throws(() => log.appendAsLeader(batch(1, 'after'), 0), LogOfflineError);
  offlineSeen++;
  assert.ok(log.isOffline);
  assert.equal(errorCode(log.offlineReason?.cause), 'ENOSPC');
  await assert.rejects(log.read(0, { maxBytes: 100 }), LogOfflineError);
  await assert.rejects(log.flush(), LogOfflineError);
  healthy.appendAsLeader(batch(1, 'fine'), 0);
  await healthy.flush();
  assert.equal(healthy.logEndOffset, 1);
  // An fdatasync failure also takes the log offline and fails the waiters.
  h.fs.inject({ op: 'sync', code: 'EIO', pathIncludes: '/u-0/', count: 1 });
  healthy.appendAsLeader(batch(1, 'x'), 0);
  await assert.rejects(healthy.flush(), LogOfflineError);
  assert.equal(offlineSeen, 1);
  // Reopening recovers: the acknowledged (written) record is there.
  log.closeAbruptly();
  const again = await h.open();
  assert.deepEqual((await readAll(again)).map((v) => v.value), ['ok-0']);
  await again.close();
});

test('property: any append/truncate/reopen sequence reads back what a model predicts', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(
        fc.oneof(
          fc.record({ kind: fc.constant('append' as const), count: fc.integer({ min: 1, max: 5 }) }),
          fc.record({ kind: fc.constant('truncate' as const), back: fc.integer({ min: 0, max: 8 }) }),
          fc.record({ kind: fc.constant('reopen' as const), clean: fc.boolean() }),
          fc.record({ kind: fc.constant('roll' as const) }),
        ),
        { maxLength: 40 },
      ),
      fc.integer({ min: 200, max: 3000 }),
      async (ops, segmentBytes) => {
        const h = harness({ 'segment.bytes': segmentBytes, 'index.interval.bytes': 100 });
        let log = await h.open();
        const model: string[] = [];
        let n = 0;
        for (const op of ops) {
          if (op.kind === 'append') {
            const info = log.appendAsLeader(batch(op.count, `b${n}`), 0);
            assert.equal(info.firstOffset, model.length);
            for (let i = 0; i < op.count; i++) model.push(`b${n}-${i}`);
            n++;
          } else if (op.kind === 'truncate') {
            // Truncate to a batch boundary (as replication does).
            const target = Math.max(0, model.length - op.back);
            const all = await readAll(log);
            let boundary = 0;
            for (let i = 0; i < all.length; i++) if (all[i]!.value.endsWith('-0') && i <= target) boundary = i;
            if (target >= model.length) boundary = model.length;
            await log.truncateTo(boundary);
            model.length = boundary;
          } else if (op.kind === 'roll') {
            log.roll();
          } else {
            if (op.clean) await log.close();
            else {
              await log.flush();
              log.closeAbruptly();
            }
            log = await h.open({ hadCleanShutdown: op.clean, recoveryPoint: op.clean ? undefined : 0 });
          }
          assert.equal(log.logEndOffset, model.length);
        }
        assert.deepEqual((await readAll(log)).map((v) => v.value), model);
        await log.close();
      },
    ),
    { numRuns: 60 },
  );
});

test('appends are readable at once and written behind: writtenEndOffset and whenWritten follow the file', async () => {
  // No tail cache: the read below goes through the segment while its bytes are still queued.
  const h = harness({ 'samsa.tail.cache.bytes': 0 });
  const log = await h.open();
  let advanced = 0;
  log.onWrittenAdvance(() => advanced++);
  assert.equal(log.whenWritten(), undefined, 'nothing pending: no promise');
  // On an idle file an append is written on the spot.
  log.appendAsLeader(batch(1, 'x'), 0);
  assert.equal(log.writtenEndOffset, 1);
  assert.equal(log.whenWritten(), undefined);
  assert.equal(advanced, 1, 'the written end moved at once');
  // While an fdatasync runs, appends go to the background instead of waiting for the disk.
  const flushed = log.flush();
  log.appendAsLeader(batch(3, 'a'), 0);
  log.appendAsLeader(batch(2, 'b'), 0);
  assert.equal(log.logEndOffset, 6);
  assert.equal(log.writtenEndOffset, 1, 'the bytes are still on their way to the file');
  // Readers see them already (a consumer is held back by the high watermark, not by the log).
  assert.deepEqual(values((await log.read(0, { maxBytes: 1 << 20 })).chunks).map((v) => v.value), ['x-0', 'a-0', 'a-1', 'a-2', 'b-0', 'b-1']);
  await log.whenWritten();
  assert.equal(log.writtenEndOffset, 6);
  assert.ok(advanced >= 2);
  await flushed;
  const file = h.fs.readFile(`${h.dir}/00000000000000000000.log`);
  assert.ok(file.length > 0 && file.length === log.sizeBytes, 'the file holds every appended byte');
  await log.close();
});
