import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FetchSessionCache, nextEpoch, type FetchTarget, type PartitionOutcome } from './fetch-session-cache.js';

function targets(n: number): FetchTarget[] {
  return Array.from({ length: n }, (_, i) => ({ key: `t:${i}`, topic: 't', topicId: 'id', partition: i, fetchOffset: 0n, maxBytes: 1000, currentLeaderEpoch: -1, logStartOffset: -1n }));
}

const quiet: PartitionOutcome = { errorCode: 0, highWatermark: 5n, lastStableOffset: 5n, logStartOffset: 0n, recordBytes: 0 };

function create(cache: FetchSessionCache, size: number, nowMs: number, privileged = false): number {
  const context = cache.newContext({ sessionId: 0, sessionEpoch: 0, targets: targets(size), forgotten: [], usesTopicIds: false, privileged, nowMs });
  assert.equal(context.kind, 'full');
  if (context.kind !== 'full') return 0;
  return cache.maybeCreate(context, new Map(context.targets.map((t) => [t.key, quiet])), nowMs);
}

test('epochs count from 1 and wrap to 1 after 2^31-1', () => {
  assert.equal(nextEpoch(0), 1);
  assert.equal(nextEpoch(0x7fffffff), 1);
  assert.equal(nextEpoch(-1), -1);
});

test('a full cache evicts a stale session, then a smaller old one, and otherwise creates none', () => {
  let seed = 1;
  const cache = new FetchSessionCache({ slotsMax: 2, evictionMs: 1000, random: () => ((seed = (seed * 48271) % 0x7fffffff) / 0x7fffffff) });
  const a = create(cache, 5, 0);
  const b = create(cache, 1, 10);
  assert.ok(a > 0 && b > 0 && a !== b);
  // Both are new and in use: a third gets no session.
  assert.equal(create(cache, 10, 500), 0);
  // Keep b in use; a goes stale and is evicted first.
  const used = cache.newContext({ sessionId: b, sessionEpoch: 1, targets: [], forgotten: [], usesTopicIds: false, privileged: false, nowMs: 1500 });
  assert.equal(used.kind, 'incremental');
  const c = create(cache, 3, 1600);
  assert.ok(c > 0);
  assert.equal(cache.get(a), undefined);
  assert.equal(cache.evictions, 1);
  // Nothing stale now (b used at 1500, c created at 1600); b is old (created at 10) and smaller than 2: evicted.
  const d = create(cache, 2, 2100);
  assert.ok(d > 0);
  assert.equal(cache.get(b), undefined);
  // c (3 partitions) is not yet old enough to be evicted by a bigger newcomer.
  assert.equal(create(cache, 50, 2200), 0);
});

test('an incremental context updates the session and answers only what changed', () => {
  const cache = new FetchSessionCache();
  const id = create(cache, 2, 0);
  const context = cache.newContext({ sessionId: id, sessionEpoch: 1, targets: [{ ...targets(1)[0]!, fetchOffset: 5n }], forgotten: [], usesTopicIds: false, privileged: false, nowMs: 1 });
  assert.equal(context.kind, 'incremental');
  if (context.kind !== 'incremental') return;
  assert.deepEqual(context.targets.map((t) => [t.key, t.fetchOffset]), [['t:0', 5n], ['t:1', 0n]]);
  assert.equal(context.session.select('t:0', quiet), false, 'nothing new');
  assert.equal(context.session.select('t:1', { ...quiet, highWatermark: 6n }), true, 'high watermark moved');
  assert.equal(context.session.select('t:1', { ...quiet, highWatermark: 6n }), false, 'and was remembered');
  assert.equal(context.session.select('t:0', { ...quiet, errorCode: 6 }), true, 'errors always go out');
  assert.equal(context.session.select('t:0', quiet), true, 'and the partition is sent again once the error clears');
  assert.deepEqual([...context.session.partitions.keys()], ['t:1', 't:0'], 'answered partitions move to the end');
  const mixed = cache.newContext({ sessionId: id, sessionEpoch: 2, targets: [], forgotten: [], usesTopicIds: true, privileged: false, nowMs: 2 });
  assert.deepEqual(mixed, { kind: 'error', errorCode: 'FETCH_SESSION_TOPIC_ID_ERROR' });
});
