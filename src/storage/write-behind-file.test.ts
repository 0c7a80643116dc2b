import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { FileHandle } from '../platform/file-system.js';
import { WriteBehindFile } from './write-behind-file.js';

/**
 * A file whose background writes and syncs complete only when the test says
 * so, to see the write-behind file in every in-between state.
 */
class SteppedFile implements FileHandle {
  readonly path = '/stepped';
  data = Buffer.alloc(0);
  /** Operations started on the "thread pool", waiting for `complete()`. */
  readonly started: Array<{ run: () => void; fail: (err: unknown) => void }> = [];
  syncs = 0;
  closed = false;

  write(buf: Buffer, position: number): void {
    const end = position + buf.length;
    if (end > this.data.length) this.data = Buffer.concat([this.data, Buffer.alloc(end - this.data.length)]);
    buf.copy(this.data, position);
  }
  writev(bufs: readonly Buffer[], position: number): void {
    for (const b of bufs) {
      this.write(b, position);
      position += b.length;
    }
  }
  writevAsync(bufs: readonly Buffer[], position: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.started.push({ run: () => (this.writev(bufs, position), resolve()), fail: reject });
    });
  }
  read(buf: Buffer, bufOffset: number, length: number, position: number): number {
    const n = Math.max(0, Math.min(length, this.data.length - position));
    if (n > 0) this.data.copy(buf, bufOffset, position, position + n);
    return n;
  }
  async readAsync(buf: Buffer, bufOffset: number, length: number, position: number): Promise<number> {
    await Promise.resolve();
    return this.read(buf, bufOffset, length, position);
  }
  datasync(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.started.push({ run: () => (this.syncs++, resolve()), fail: reject });
    });
  }
  truncate(sizeBytes: number): void {
    this.data = this.data.subarray(0, Math.min(sizeBytes, this.data.length));
  }
  sizeBytes(): number {
    return this.data.length;
  }
  close(): void {
    this.closed = true;
  }
  /**
   * Lets the oldest (or newest: a write may finish before a sync started
   * earlier) started operation finish; its callbacks run before this resolves.
   */
  async complete(newest = false): Promise<boolean> {
    const op = newest ? this.started.pop() : this.started.shift();
    if (op === undefined) return false;
    op.run();
    await new Promise((resolve) => setImmediate(resolve));
    return true;
  }
}

const operation = fc.oneof(
  fc.record({ kind: fc.constant('append' as const), bytes: fc.integer({ min: 1, max: 50 }) }),
  fc.record({ kind: fc.constant('truncate' as const), back: fc.integer({ min: 0, max: 60 }) }),
  fc.record({ kind: fc.constant('read' as const), from: fc.integer({ min: 0, max: 300 }), length: fc.integer({ min: 0, max: 120 }) }),
  fc.record({ kind: fc.constant('readAsync' as const), from: fc.integer({ min: 0, max: 300 }), length: fc.integer({ min: 0, max: 120 }) }),
  fc.record({ kind: fc.constant('sync' as const) }),
  fc.record({ kind: fc.constant('complete' as const), count: fc.integer({ min: 1, max: 3 }), newest: fc.boolean() }),
);

test('property: reads always see every write, whatever the background has finished', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(operation, { maxLength: 60 }), fc.constantFrom(0, 20, 1 << 20), async (ops, inlineWriteBytesMax) => {
      const file = new SteppedFile();
      const written: number[] = [];
      const wb = new WriteBehindFile(file, { onWritten: (tag) => written.push(tag), inlineWriteBytesMax });
      let model = Buffer.alloc(0);
      let nextByte = 1;
      let tag = 0;
      const syncs: Array<Promise<void>> = [];
      const check = (got: Buffer, n: number, from: number, length: number): void => {
        const expected = model.subarray(Math.min(from, model.length), Math.min(from + length, model.length));
        assert.equal(n, expected.length, `read ${length} at ${from} of ${model.length}`);
        assert.deepEqual(got.subarray(0, n), expected);
      };
      for (const op of ops) {
        switch (op.kind) {
          case 'append': {
            const bytes = Buffer.alloc(op.bytes, nextByte++ & 0xff);
            wb.write(bytes, model.length, ++tag);
            model = Buffer.concat([model, bytes]);
            break;
          }
          case 'truncate': {
            const size = Math.max(0, model.length - op.back);
            wb.truncate(size);
            model = model.subarray(0, size);
            break;
          }
          case 'read': {
            const buf = Buffer.alloc(op.length);
            check(buf, wb.read(buf, 0, op.length, op.from), op.from, op.length);
            break;
          }
          case 'readAsync': {
            const buf = Buffer.alloc(op.length);
            const snapshot = model;
            const pending = wb.readAsync(buf, 0, op.length, op.from);
            // Let a background write land while the read is in flight.
            await file.complete();
            const n = await pending;
            const expected = snapshot.subarray(Math.min(op.from, snapshot.length), Math.min(op.from + op.length, snapshot.length));
            assert.equal(n, expected.length);
            assert.deepEqual(buf.subarray(0, n), expected);
            break;
          }
          case 'sync':
            syncs.push(wb.datasync());
            break;
          case 'complete':
            for (let i = 0; i < op.count; i++) await file.complete(op.newest);
            break;
        }
        assert.equal(wb.sizeBytes(), model.length);
      }
      // Drain: everything lands, in order, and the file holds exactly the model.
      while (wb.busy) if (!(await file.complete())) await new Promise((resolve) => setImmediate(resolve));
      await Promise.all(syncs);
      assert.equal(wb.busy, false);
      assert.deepEqual(file.data, model);
      assert.deepEqual(written, [...written].sort((a, b) => a - b), 'writes report in order');
      if (inlineWriteBytesMax === 0 && ops.some((o) => o.kind === 'append')) assert.equal(written[written.length - 1], tag);
    }),
    { numRuns: 300 },
  );
});

test('a datasync starts after the writes queued before it; later writes run beside it; truncate waits for it', async () => {
  const file = new SteppedFile();
  const written: number[] = [];
  const wb = new WriteBehindFile(file, { inlineWriteBytesMax: 0, onWritten: (tag) => written.push(tag) });
  wb.write(Buffer.from('aaaa'), 0, 1);
  const synced = wb.datasync();
  wb.write(Buffer.from('bbbb'), 4, 2);
  let done = false;
  void synced.then(() => (done = true));
  assert.equal(file.started.length, 1, 'only the first write runs');
  await file.complete(); // the first write: now the sync and the second write both run
  assert.equal(file.started.length, 2);
  assert.equal(done, false);
  await file.complete(true); // the second write lands while the disk is still syncing
  assert.deepEqual(written, [1, 2]);
  assert.equal(file.data.toString(), 'aaaabbbb');
  assert.equal(done, false);
  wb.truncate(2);
  assert.equal(file.data.toString(), 'aaaabbbb', 'the truncate waits for the running sync');
  assert.equal(wb.sizeBytes(), 2);
  await file.complete(); // the sync
  assert.equal(done, true);
  assert.equal(file.data.toString(), 'aa');
  assert.equal(wb.busy, false);
});

test('a small write on a file with a sync running goes to the background, not onto the event loop', async () => {
  const file = new SteppedFile();
  const wb = new WriteBehindFile(file);
  assert.equal(wb.write(Buffer.from('aaaa'), 0), true);
  const synced = wb.datasync();
  assert.equal(wb.write(Buffer.from('bbbb'), 4), false);
  assert.equal(file.started.length, 2, 'the sync and the write run side by side');
  while (wb.busy) await file.complete();
  await synced;
  assert.equal(file.data.toString(), 'aaaabbbb');
});

test('a failed background write is reported once, fails pending syncs and every later call', async () => {
  const file = new SteppedFile();
  const errors: unknown[] = [];
  const wb = new WriteBehindFile(file, { onError: (err) => errors.push(err), inlineWriteBytesMax: 0 });
  wb.write(Buffer.from('aaaa'), 0);
  wb.write(Buffer.from('bbbb'), 4);
  const synced = wb.datasync();
  const eio = Object.assign(new Error('EIO: i/o error'), { code: 'EIO' });
  file.started.shift()!.fail(eio);
  await assert.rejects(synced, /EIO/);
  assert.deepEqual(errors, [eio]);
  assert.throws(() => wb.write(Buffer.from('c'), 8), /EIO/);
  assert.throws(() => wb.read(Buffer.alloc(1), 0, 1, 0), /EIO/);
  await assert.rejects(wb.datasync(), /EIO/);
  assert.equal(file.closed, true);
});

test('close waits for queued writes; abandon drops the ones not started', async () => {
  const file = new SteppedFile();
  const wb = new WriteBehindFile(file, { inlineWriteBytesMax: 0 });
  wb.write(Buffer.from('aaaa'), 0);
  wb.write(Buffer.from('bbbb'), 4);
  wb.close();
  assert.equal(file.closed, false);
  while (await file.complete());
  assert.equal(file.closed, true);
  assert.equal(file.data.toString(), 'aaaabbbb');

  const other = new SteppedFile();
  const crashed = new WriteBehindFile(other, { inlineWriteBytesMax: 0 });
  crashed.write(Buffer.from('aaaa'), 0); // starts at once
  crashed.write(Buffer.from('bbbb'), 4); // queued behind it
  crashed.abandon();
  assert.equal(other.closed, false, 'the running write keeps its descriptor');
  while (await other.complete());
  assert.equal(other.closed, true);
  assert.equal(other.data.toString(), 'aaaa');
});

test('a small write on an idle file is done on the spot and says so; the next one queues behind a running one', async () => {
  const file = new SteppedFile();
  const written: number[] = [];
  const wb = new WriteBehindFile(file, { onWritten: (tag) => written.push(tag), inlineWriteBytesMax: 8 });
  assert.equal(wb.write(Buffer.from('aaaa'), 0, 1), true);
  assert.equal(file.data.toString(), 'aaaa', 'in the file before write() returns');
  assert.equal(wb.busy, false);
  assert.equal(wb.write(Buffer.from('dddddddddddd'), 4, 2), false, 'over the inline limit: background');
  assert.equal(wb.write(Buffer.from('bb'), 16, 3), false, 'small, but behind a running write: queued');
  assert.equal(file.data.length, 4);
  await file.complete();
  await file.complete();
  assert.deepEqual(written, [2, 3]);
  assert.equal(file.data.toString(), 'aaaaddddddddddddbb');
  assert.deepEqual(written.includes(1), false, 'an inline write is not reported again');
});
