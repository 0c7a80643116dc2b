import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SimulatedFileSystem } from './simulated-file-system.js';
import { errorCode } from './file-system.js';
import { seededRandom } from './random.js';

test('unsynced data and unsynced directory entries vanish on crash', async () => {
  const fs = new SimulatedFileSystem();
  fs.mkdir('/d');
  await fs.syncDir('/');
  const h = fs.open('/d/a', 'create');
  h.write(Buffer.from('hello'), 0);
  await h.datasync();
  h.write(Buffer.from(' world'), 5);
  fs.crash();
  assert.equal(fs.stat('/d/a'), undefined, 'file entry was never synced in its directory');

  const h2 = fs.open('/d/b', 'create');
  h2.write(Buffer.from('hello'), 0);
  await h2.datasync();
  await fs.syncDir('/d');
  h2.write(Buffer.from(' world'), 5);
  fs.crash();
  assert.equal(fs.readFile('/d/b').toString(), 'hello');
  assert.throws(() => h2.write(Buffer.from('x'), 0), (e: unknown) => errorCode(e) === 'EBADF');
});

test('torn tails keep a prefix of unsynced bytes only', async () => {
  for (let seed = 1; seed < 40; seed++) {
    const fs = new SimulatedFileSystem();
    const h = fs.open('/f', 'create');
    await fs.syncDir('/');
    h.write(Buffer.alloc(100, 1), 0);
    await h.datasync();
    h.write(Buffer.alloc(10_000, 2), 100);
    fs.crash({ random: seededRandom(seed), tearProbability: 1 });
    const data = fs.readFile('/f');
    assert.ok(data.length >= 100 && data.length <= 10_100);
    assert.ok(data.subarray(0, 100).every((b) => b === 1));
  }
});

test('short writes are retried, armed faults fire and partial writes land', () => {
  const fs = new SimulatedFileSystem();
  fs.faults = { random: seededRandom(7), shortWriteProbability: 0.9 };
  const h = fs.open('/f', 'create');
  const payload = Buffer.from('0123456789'.repeat(100));
  h.write(payload, 0);
  assert.deepEqual(fs.readFile('/f'), payload);
  assert.ok(fs.stats.writes > 1);
  fs.clearFaults();
  fs.inject({ op: 'write', code: 'EIO', count: 1, partialBytes: 3 });
  assert.throws(() => h.write(Buffer.from('abcdef'), 1000), (e: unknown) => errorCode(e) === 'EIO');
  assert.equal(fs.readFile('/f').length, 1003);
  h.write(Buffer.from('x'), 0);
  fs.capacityBytes = 1010;
  assert.throws(() => h.write(Buffer.alloc(100), 1003), (e: unknown) => errorCode(e) === 'ENOSPC');
});

test('writeFileAtomic survives a crash whole', async () => {
  const fs = new SimulatedFileSystem();
  fs.mkdir('/d');
  await fs.writeFileAtomic('/d/c', Buffer.from('v1'));
  await fs.writeFileAtomic('/d/c', Buffer.from('v2'));
  fs.crash({ random: seededRandom(1), tearProbability: 1 });
  assert.equal(fs.readFile('/d/c').toString(), 'v2');
});
