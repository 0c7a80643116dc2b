import { test } from 'node:test';
import assert from 'node:assert/strict';
import { INDEX_INITIAL_ENTRIES, OffsetIndex } from './offset-index.js';
import { TimeIndex } from './time-index.js';

test('offset index: starts small, grows past its initial room, keeps every entry', () => {
  const index = new OffsetIndex(100, 10_000);
  const n = INDEX_INITIAL_ENTRIES * 20 + 3;
  for (let i = 0; i < n; i++) index.append(100 + i * 10, i * 4096);
  assert.equal(index.entries, n);
  assert.deepEqual(index.lookup(100 + 55), { offset: 150, position: 5 * 4096 });
  assert.deepEqual(index.lastEntry(), { offset: 100 + (n - 1) * 10, position: (n - 1) * 4096 });
  const copy = OffsetIndex.decode(100, 10_000, index.encode(), n * 4096, 100 + n * 10);
  assert.equal(copy.entries, n);
  assert.deepEqual(copy.lookup(100 + 1234), index.lookup(100 + 1234));
});

test('offset index: stops at maxEntries even when the initial room is larger', () => {
  const index = new OffsetIndex(0, 3, 64);
  for (let i = 0; i < 3; i++) index.append(i, i);
  assert.equal(index.isFull, true);
  assert.throws(() => index.append(10, 10), RangeError);
});

test('time index: starts small, grows, decodes what it encoded', () => {
  const index = new TimeIndex(0, 10_000);
  const n = INDEX_INITIAL_ENTRIES * 10 + 1;
  for (let i = 0; i < n; i++) index.maybeAppend(1_700_000_000_000 + i, i * 5);
  assert.equal(index.entries, n);
  assert.deepEqual(index.lookup(1_700_000_000_000 + 100), { timestamp: 1_700_000_000_100, offset: 500 });
  const copy = TimeIndex.decode(0, 10_000, index.encode(), n * 5 + 1);
  assert.equal(copy.entries, n);
  assert.deepEqual(copy.lastEntry(), index.lastEntry());
});
