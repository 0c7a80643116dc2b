import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  cooperativeStickyAssignor,
  rangeAssignor,
  roundRobinAssignor,
  stickyAssignor,
  type Assignor,
  type MemberSubscription,
} from './assignors.js';
import type { TopicPartition } from './consumer-protocol.js';

const topicNames = ['a', 'b', 'c', 'd'];

const groupArb = fc
  .record({
    partitions: fc.tuple(...topicNames.map(() => fc.integer({ min: 0, max: 12 }))),
    members: fc.array(fc.subarray(topicNames, { minLength: 1 }), { minLength: 1, maxLength: 8 }),
  })
  .map(({ partitions, members }) => ({
    partitionsPerTopic: new Map(topicNames.map((t, i) => [t, partitions[i]!])),
    members: members.map(
      (topics, i): MemberSubscription => ({ memberId: `m-${String(i).padStart(2, '0')}`, groupInstanceId: null, topics, ownedPartitions: [], generationId: -1 }),
    ),
  }));

const sameSubscriptionArb = fc
  .record({
    partitions: fc.tuple(...topicNames.map(() => fc.integer({ min: 0, max: 12 }))),
    topics: fc.subarray(topicNames, { minLength: 1 }),
    memberCount: fc.integer({ min: 1, max: 9 }),
  })
  .map(({ partitions, topics, memberCount }) => ({
    partitionsPerTopic: new Map(topicNames.map((t, i) => [t, partitions[i]!])),
    members: Array.from({ length: memberCount }, (_, i): MemberSubscription => ({
      memberId: `m-${i}`,
      groupInstanceId: null,
      topics,
      ownedPartitions: [],
      generationId: -1,
    })),
  }));

function key(tp: TopicPartition): string {
  return `${tp.topic}-${tp.partition}`;
}

/** Every partition of a subscribed topic assigned exactly once, and only to a subscriber. */
function checkCoverage(members: MemberSubscription[], partitionsPerTopic: ReadonlyMap<string, number>, result: Map<string, TopicPartition[]>): void {
  const seen = new Map<string, string>();
  for (const [memberId, list] of result) {
    const member = members.find((m) => m.memberId === memberId)!;
    for (const tp of list) {
      assert.ok(member.topics.includes(tp.topic), `${memberId} got ${key(tp)} without subscribing`);
      assert.ok(!seen.has(key(tp)), `${key(tp)} assigned twice`);
      seen.set(key(tp), memberId);
    }
  }
  const subscribedTopics = new Set(members.flatMap((m) => m.topics));
  let expected = 0;
  for (const t of subscribedTopics) expected += partitionsPerTopic.get(t) ?? 0;
  assert.equal(seen.size, expected, 'every partition assigned');
}

function spread(result: Map<string, TopicPartition[]>, filter?: (tp: TopicPartition) => boolean): number {
  const counts = [...result.values()].map((l) => l.filter((tp) => filter?.(tp) ?? true).length);
  return Math.max(...counts) - Math.min(...counts);
}

const eager: Assignor[] = [rangeAssignor, roundRobinAssignor, stickyAssignor];

test('eager assignors: full coverage, no overlap, only subscribers (any subscriptions)', () => {
  fc.assert(
    fc.property(groupArb, ({ members, partitionsPerTopic }) => {
      for (const a of eager) checkCoverage(members, partitionsPerTopic, a.assign(members, partitionsPerTopic));
    }),
    { numRuns: 300 },
  );
});

test('balance with equal subscriptions: range per topic, roundrobin and sticky overall', () => {
  fc.assert(
    fc.property(sameSubscriptionArb, ({ members, partitionsPerTopic }) => {
      const range = rangeAssignor.assign(members, partitionsPerTopic);
      for (const t of members[0]!.topics) assert.ok(spread(range, (tp) => tp.topic === t) <= 1, `range unbalanced on ${t}`);
      assert.ok(spread(roundRobinAssignor.assign(members, partitionsPerTopic)) <= 1, 'roundrobin unbalanced');
      assert.ok(spread(stickyAssignor.assign(members, partitionsPerTopic)) <= 1, 'sticky unbalanced');
    }),
    { numRuns: 300 },
  );
});

test('sticky keeps partitions with their owners when a member joins or leaves', () => {
  fc.assert(
    fc.property(sameSubscriptionArb, fc.boolean(), ({ members, partitionsPerTopic }, join) => {
      const first = stickyAssignor.assign(members, partitionsPerTopic);
      const withOwned = members.map((m) => ({ ...m, ownedPartitions: first.get(m.memberId)!, generationId: 1 }));
      const next = join
        ? [...withOwned, { memberId: 'zz-new', groupInstanceId: null, topics: members[0]!.topics, ownedPartitions: [], generationId: -1 }]
        : withOwned.slice(1);
      if (next.length === 0) return;
      const second = stickyAssignor.assign(next, partitionsPerTopic);
      checkCoverage(next, partitionsPerTopic, second);
      assert.ok(spread(second) <= 1);
      // Only the necessary partitions move: survivors keep everything up to the new share.
      const total = [...second.values()].reduce((n, l) => n + l.length, 0);
      const share = Math.floor(total / next.length);
      for (const m of next) {
        const before = new Set((first.get(m.memberId) ?? []).map(key));
        const kept = second.get(m.memberId)!.filter((tp) => before.has(key(tp))).length;
        assert.ok(kept >= Math.min(before.size, share), `${m.memberId} kept ${kept} of ${before.size} (share ${share})`);
      }
    }),
    { numRuns: 200 },
  );
});

test('cooperative-sticky: no overlap ever, full coverage after the revoking round', () => {
  fc.assert(
    fc.property(groupArb, fc.integer({ min: 0, max: 3 }), ({ members, partitionsPerTopic }, drop) => {
      // Round 1 from scratch.
      let current = cooperativeStickyAssignor.assign(members, partitionsPerTopic);
      checkCoverage(members, partitionsPerTopic, current);
      // Membership changes: some leave, one joins; everyone reports what it owns.
      const survivors = members.slice(Math.min(drop, members.length - 1));
      const joined: MemberSubscription[] = [
        ...survivors.map((m) => ({ ...m, ownedPartitions: current.get(m.memberId)!, generationId: 1 })),
        { memberId: 'zz-new', groupInstanceId: null, topics: members[0]!.topics, ownedPartitions: [], generationId: -1 },
      ];
      current = cooperativeStickyAssignor.assign(joined, partitionsPerTopic);
      // Round 2 may hold partitions back, but never gives one to two members or takes one from an owner that keeps it.
      const seen = new Set<string>();
      for (const list of current.values()) for (const tp of list) assert.ok(!seen.has(key(tp)) && (seen.add(key(tp)), true));
      for (const m of joined) {
        const now = new Set(current.get(m.memberId)!.map(key));
        for (const other of joined) {
          if (other === m) continue;
          for (const tp of other.ownedPartitions) assert.ok(!now.has(key(tp)), `${key(tp)} given to ${m.memberId} while ${other.memberId} owns it`);
        }
      }
      // Members revoke what they lost and rejoin with what they kept; within a few rounds nothing is held back.
      let group = joined;
      for (let round = 2; round < 6; round++) {
        group = group.map((m) => ({ ...m, ownedPartitions: current.get(m.memberId)!, generationId: round }));
        current = cooperativeStickyAssignor.assign(group, partitionsPerTopic);
        try {
          checkCoverage(group, partitionsPerTopic, current);
          return;
        } catch {
          // still converging
        }
      }
      checkCoverage(group, partitionsPerTopic, current);
    }),
    { numRuns: 300 },
  );
});

test('range matches the documented example', () => {
  const members: MemberSubscription[] = ['c0', 'c1'].map((memberId) => ({ memberId, groupInstanceId: null, topics: ['t0', 't1'], ownedPartitions: [], generationId: -1 }));
  const result = rangeAssignor.assign(members, new Map([['t0', 3], ['t1', 3]]));
  assert.deepEqual(result.get('c0')!.map(key), ['t0-0', 't0-1', 't1-0', 't1-1']);
  assert.deepEqual(result.get('c1')!.map(key), ['t0-2', 't1-2']);
  const rr = roundRobinAssignor.assign(members, new Map([['t0', 3], ['t1', 3]]));
  assert.deepEqual(rr.get('c0')!.map(key), ['t0-0', 't0-2', 't1-1']);
  assert.deepEqual(rr.get('c1')!.map(key), ['t0-1', 't1-0', 't1-2']);
});
