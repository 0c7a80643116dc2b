/**
 * Transactional offset commits in the group coordinator (KIP-98, KIP-447):
 * pending per producer until the producer's marker, committed or dropped by
 * it, the newest record winning against plain commits, OffsetFetch
 * requireStable, and the same state after a restart that replays the log
 * with its markers.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

import { ErrorCode } from '../../protocol/errors/error-codes.js';
import { seededRandom } from '../../platform/random.js';
import type { OffsetCommitResponseInput } from '../../protocol/generated/messages/offset-commit-response.js';
import type { OffsetFetchResponseInput } from '../../protocol/generated/messages/offset-fetch-response.js';
import type { OffsetDeleteResponseInput } from '../../protocol/generated/messages/offset-delete-response.js';
import type { DeleteGroupsResponseInput } from '../../protocol/generated/messages/delete-groups-response.js';
import type { JoinGroupResponseInput } from '../../protocol/generated/messages/join-group-response.js';
import type { TxnOffsetCommitRequest } from '../../protocol/generated/messages/txn-offset-commit-request.js';
import type { TxnOffsetCommitResponseInput } from '../../protocol/generated/messages/txn-offset-commit-response.js';
import { Box, ctx, joinRequest, makeHarness, type Harness } from './testing.js';

const G = 'etl';
const T = 'in';

function txnCommit(
  h: Harness,
  producerId: bigint,
  offsets: Record<number, bigint>,
  extra: Partial<TxnOffsetCommitRequest> = {},
  version = 3,
): TxnOffsetCommitResponseInput | undefined {
  const box = new Box<TxnOffsetCommitResponseInput>();
  h.coordinator.txnOffsetCommit(
    ctx(version),
    {
      transactionalId: `tx-${producerId}`,
      groupId: G,
      producerId,
      producerEpoch: 0,
      generationId: -1,
      memberId: '',
      groupInstanceId: null,
      topics: [
        {
          name: T,
          partitions: Object.entries(offsets).map(([p, o]) => ({ partitionIndex: Number(p), committedOffset: o, committedLeaderEpoch: -1, committedMetadata: null })),
        },
      ],
      ...extra,
    },
    box.set,
  );
  return box.value;
}

function txnErrors(r: TxnOffsetCommitResponseInput | undefined): number[] {
  assert.ok(r !== undefined, 'answered');
  return r.topics.flatMap((t) => t.partitions.map((p) => p.errorCode));
}

function plainCommit(h: Harness, offsets: Record<number, bigint>): OffsetCommitResponseInput {
  const box = new Box<OffsetCommitResponseInput>();
  h.coordinator.offsetCommit(
    ctx(8),
    {
      groupId: G,
      generationIdOrMemberEpoch: -1,
      memberId: '',
      groupInstanceId: null,
      retentionTimeMs: -1n,
      topics: [
        {
          name: T,
          partitions: Object.entries(offsets).map(([p, o]) => ({ partitionIndex: Number(p), committedOffset: o, committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: null })),
        },
      ],
    },
    box.set,
  );
  return box.get();
}

/** What the transaction coordinator does for a marker on the group's partition: append it, then the coordinator replays it. */
function marker(h: Harness, producerId: bigint, commit: boolean): void {
  const p = h.coordinator.partitionFor(G);
  h.log.appendMarker(p, producerId, commit);
  h.coordinator.replayEndTransactionMarker(p, producerId, commit);
}

/** OffsetFetch v7 for partitions 0-3 of T: partition → [offset, error]. */
function fetch(h: Harness, requireStable: boolean, version = 7): Record<number, [bigint, number]> {
  const box = new Box<OffsetFetchResponseInput>();
  h.coordinator.offsetFetch(ctx(version), { groupId: G, topics: [{ name: T, partitionIndexes: [0, 1, 2, 3] }], groups: [], requireStable }, box.set);
  const out: Record<number, [bigint, number]> = {};
  for (const p of box.get().topics![0]!.partitions!) out[p.partitionIndex ?? -1] = [p.committedOffset ?? -1n, p.errorCode ?? 0];
  return out;
}

/** The committed offsets of T as a plain OffsetFetch sees them, missing ones left out. */
function committed(h: Harness): Record<number, bigint> {
  const out: Record<number, bigint> = {};
  for (const [p, [o]] of Object.entries(fetch(h, false))) if (o >= 0n) out[Number(p)] = o;
  return out;
}

function restart(h: Harness): Harness {
  return makeHarness({}, h.log, h.clock);
}

describe('group coordinator: transactional offsets', () => {
  it('holds offsets of an open transaction until its COMMIT marker; requireStable gets UNSTABLE_OFFSET_COMMIT meanwhile', () => {
    const h = makeHarness();
    plainCommit(h, { 0: 5n });
    assert.deepEqual(txnErrors(txnCommit(h, 7n, { 0: 10n, 1: 20n })), [0, 0]);
    assert.deepEqual(committed(h), { 0: 5n }, 'not visible before the marker');
    assert.deepEqual(fetch(h, true), {
      0: [-1n, ErrorCode.UNSTABLE_OFFSET_COMMIT],
      1: [-1n, ErrorCode.UNSTABLE_OFFSET_COMMIT],
      2: [-1n, 0],
      3: [-1n, 0],
    });
    // requireStable is a v7+ field; without it the committed offset is read as is.
    assert.deepEqual(fetch(h, false)[0], [5n, 0]);
    assert.ok(h.coordinator.hasPendingTransactionalOffsets(G, T, 1));

    marker(h, 7n, true);
    assert.deepEqual(committed(h), { 0: 10n, 1: 20n });
    assert.deepEqual(fetch(h, true)[1], [20n, 0], 'stable again');
    assert.equal(h.coordinator.hasPendingTransactionalOffsets(G, T, 1), false);
  });

  it('drops offsets of an aborted transaction; the committed ones stay', () => {
    const h = makeHarness();
    plainCommit(h, { 0: 5n });
    txnCommit(h, 7n, { 0: 10n, 2: 30n });
    marker(h, 7n, false);
    assert.deepEqual(committed(h), { 0: 5n });
    assert.deepEqual(fetch(h, true)[2], [-1n, 0]);
    // A marker with nothing pending, and a second one, change nothing.
    marker(h, 7n, true);
    marker(h, 8n, true);
    assert.deepEqual(committed(h), { 0: 5n });
  });

  it('keeps transactions of different producers apart', () => {
    const h = makeHarness();
    txnCommit(h, 1n, { 0: 10n });
    txnCommit(h, 2n, { 1: 20n });
    marker(h, 1n, false);
    assert.deepEqual(fetch(h, true)[1], [-1n, ErrorCode.UNSTABLE_OFFSET_COMMIT], 'producer 2 still open');
    marker(h, 2n, true);
    assert.deepEqual(committed(h), { 1: 20n });
  });

  it('the newest record wins: a plain commit after the transactional one survives its COMMIT marker, one before does not', () => {
    const h = makeHarness();
    txnCommit(h, 7n, { 0: 10n, 1: 11n });
    plainCommit(h, { 0: 99n });
    marker(h, 7n, true);
    assert.deepEqual(committed(h), { 0: 99n, 1: 11n });
    const again = restart(h);
    assert.deepEqual(committed(again), { 0: 99n, 1: 11n }, 'the same after a replay');
  });

  it('a restart replays pending offsets and markers from the log to the same state, and keeps an open transaction open', () => {
    const h = makeHarness();
    plainCommit(h, { 0: 1n, 1: 1n });
    txnCommit(h, 1n, { 0: 10n });
    txnCommit(h, 2n, { 1: 20n });
    txnCommit(h, 3n, { 2: 30n });
    marker(h, 1n, true);
    marker(h, 2n, false);
    plainCommit(h, { 3: 4n });
    txnCommit(h, 1n, { 3: 40n }); // the producer's next transaction, left open by the "crash"
    const live = { committed: committed(h), stable: fetch(h, true) };

    const after = restart(h);
    assert.deepEqual(committed(after), live.committed);
    assert.deepEqual(fetch(after, true), live.stable);
    assert.deepEqual(live.committed, { 0: 10n, 1: 1n, 3: 4n });
    assert.equal(live.stable[2]![1], ErrorCode.UNSTABLE_OFFSET_COMMIT);
    assert.equal(live.stable[3]![1], ErrorCode.UNSTABLE_OFFSET_COMMIT);

    // The transaction coordinator finishes what the crash left open.
    marker(after, 3n, true);
    marker(after, 1n, false);
    assert.deepEqual(committed(after), { 0: 10n, 1: 1n, 2: 30n, 3: 4n });
    assert.deepEqual(committed(restart(after)), { 0: 10n, 1: 1n, 2: 30n, 3: 4n });
  });

  it('matches a model, and replaying the log gives what the live coordinator had, for seeded mixes of commits, markers and restarts', () => {
    for (let seed = 1; seed <= 25; seed++) {
      const random = seededRandom(seed);
      let h = makeHarness();
      // The model: offsets with the step that wrote them; the newest write wins when a transaction commits.
      const model = new Map<number, { offset: bigint; step: number }>();
      const open = new Map<bigint, Map<number, { offset: bigint; step: number }>>();
      for (let step = 0; step < 120; step++) {
        const roll = random.next();
        const producerId = BigInt(1 + random.int(3));
        const partition = random.int(4);
        const offset = BigInt(step);
        if (roll < 0.25) {
          plainCommit(h, { [partition]: offset });
          model.set(partition, { offset, step });
        } else if (roll < 0.6) {
          const other = (partition + 1) % 4;
          assert.deepEqual(txnErrors(txnCommit(h, producerId, { [partition]: offset, [other]: offset + 1000n })), [0, 0]);
          const txn = open.get(producerId) ?? new Map<number, { offset: bigint; step: number }>();
          txn.set(partition, { offset, step });
          txn.set(other, { offset: offset + 1000n, step });
          open.set(producerId, txn);
        } else if (roll < 0.9) {
          const commit = random.chance(0.6);
          marker(h, producerId, commit);
          for (const [p, o] of commit ? (open.get(producerId) ?? []) : []) {
            if ((model.get(p)?.step ?? -1) < o.step) model.set(p, o);
          }
          open.delete(producerId);
        } else {
          const before = { committed: committed(h), stable: fetch(h, true) };
          h = restart(h);
          assert.deepEqual({ committed: committed(h), stable: fetch(h, true) }, before, `seed ${seed}, step ${step}: after a restart`);
        }
        const stable = fetch(h, true);
        for (let p = 0; p < 4; p++) {
          const pending = [...open.values()].some((txn) => txn.has(p));
          const expected: [bigint, number] = pending ? [-1n, ErrorCode.UNSTABLE_OFFSET_COMMIT] : [model.get(p)?.offset ?? -1n, 0];
          assert.deepEqual(stable[p], expected, `seed ${seed}, step ${step}, partition ${p}`);
          assert.equal(committed(h)[p], model.get(p)?.offset, `seed ${seed}, step ${step}, partition ${p}: committed`);
        }
      }
    }
  });

  it('validates the group as Kafka does for transactional commits', () => {
    const h = makeHarness();
    // Unknown group with a generation: ILLEGAL_GENERATION; without one (v0-2): a simple group.
    assert.deepEqual(txnErrors(txnCommit(h, 7n, { 0: 1n }, { generationId: 3, memberId: 'm' })), [ErrorCode.ILLEGAL_GENERATION]);
    assert.deepEqual(txnErrors(txnCommit(h, 7n, { 0: 1n }, {}, 2)), [0]);
    assert.deepEqual(txnErrors(txnCommit(h, 7n, { 0: 1n }, { groupId: '' })), [ErrorCode.INVALID_GROUP_ID]);

    // An active group: v3 members must match the generation; a request without member and generation is accepted.
    const g = makeHarness();
    const first = new Box<JoinGroupResponseInput>();
    g.coordinator.joinGroup(ctx(3), joinRequest(G, ''), first.set);
    g.advance(1);
    const member = { memberId: first.get().memberId, generationId: first.get().generationId ?? -1 };
    assert.equal(first.get().errorCode, 0);
    assert.equal(g.coordinator.group(G)!.state, 'CompletingRebalance');
    // No REBALANCE_IN_PROGRESS for transactional commits.
    assert.deepEqual(txnErrors(txnCommit(g, 7n, { 0: 1n }, { generationId: member.generationId, memberId: member.memberId })), [0]);
    assert.deepEqual(txnErrors(txnCommit(g, 7n, { 0: 1n }, { generationId: member.generationId + 1, memberId: member.memberId })), [ErrorCode.ILLEGAL_GENERATION]);
    assert.deepEqual(txnErrors(txnCommit(g, 7n, { 0: 1n }, { generationId: member.generationId, memberId: 'stranger' })), [ErrorCode.UNKNOWN_MEMBER_ID]);
    assert.deepEqual(txnErrors(txnCommit(g, 7n, { 0: 1n }, {}, 2)), [0]);
    // Oversized metadata is refused per partition.
    const big = txnCommit(g, 7n, { 0: 1n }, {
      topics: [{ name: T, partitions: [{ partitionIndex: 1, committedOffset: 1n, committedLeaderEpoch: -1, committedMetadata: 'x'.repeat(5000) }] }],
    });
    assert.deepEqual(txnErrors(big), [ErrorCode.OFFSET_METADATA_TOO_LARGE]);
  });

  it('a failed write leaves nothing pending; a fenced producer gets PRODUCER_FENCED', () => {
    const h = makeHarness();
    h.log.failWith = ErrorCode.INVALID_PRODUCER_EPOCH;
    assert.deepEqual(txnErrors(txnCommit(h, 7n, { 0: 10n })), [ErrorCode.PRODUCER_FENCED]);
    h.log.failWith = ErrorCode.NOT_LEADER_OR_FOLLOWER;
    assert.deepEqual(txnErrors(txnCommit(h, 7n, { 1: 10n })), [ErrorCode.NOT_COORDINATOR]);
    h.log.failWith = 0;
    assert.equal(h.coordinator.hasPendingTransactionalOffsets(G, T, 0), false);
    assert.equal(h.coordinator.hasPendingTransactionalOffsets(G, T, 1), false);
    marker(h, 7n, true);
    assert.deepEqual(committed(h), {});

    // Answered only once the write completes.
    h.log.hold = true;
    assert.equal(txnCommit(h, 8n, { 2: 5n }), undefined);
    h.log.release();
    h.log.hold = false;
    assert.ok(h.coordinator.hasPendingTransactionalOffsets(G, T, 2));
  });

  it('OffsetDelete and DeleteGroups write tombstones for pending offsets too, so a later COMMIT marker brings nothing back', () => {
    const h = makeHarness();
    txnCommit(h, 7n, { 0: 10n });
    const del = new Box<OffsetDeleteResponseInput>();
    h.coordinator.offsetDelete(ctx(0), { groupId: G, topics: [{ name: T, partitions: [{ partitionIndex: 0 }] }] }, del.set);
    assert.equal(del.get().errorCode, 0);
    assert.equal(h.coordinator.hasPendingTransactionalOffsets(G, T, 0), false);
    marker(h, 7n, true);
    assert.deepEqual(committed(h), {});
    assert.deepEqual(committed(restart(h)), {});

    const d = makeHarness();
    plainCommit(d, { 0: 1n });
    txnCommit(d, 7n, { 1: 10n });
    const deleted = new Box<DeleteGroupsResponseInput>();
    d.coordinator.deleteGroups(ctx(2), { groupsNames: [G] }, deleted.set);
    assert.equal(deleted.get().results[0]!.errorCode, 0);
    marker(d, 7n, true);
    assert.deepEqual(committed(d), {});
    assert.deepEqual(committed(restart(d)), {});
  });

  it('retention neither expires an offset a transaction may replace nor deletes a group with an open transaction', () => {
    const retentionMs = 60_000;
    const h = makeHarness({ offsetsRetentionMs: retentionMs, offsetsRetentionCheckIntervalMs: 1_000 });
    plainCommit(h, { 0: 1n, 1: 1n });
    txnCommit(h, 7n, { 0: 10n });
    h.advance(retentionMs + 2_000);
    assert.deepEqual(committed(h), { 0: 1n }, 'partition 1 expired, partition 0 waits for the transaction');
    assert.ok(h.coordinator.group(G) !== undefined);
    marker(h, 7n, true);
    assert.deepEqual(committed(h), { 0: 10n });
    h.advance(retentionMs + 2_000);
    assert.deepEqual(committed(h), {});
    assert.equal(h.coordinator.group(G), undefined, 'an empty simple group goes with its last offset');
  });

  it('OffsetFetch v8 (batched groups) and all-topics fetches honour requireStable', () => {
    const h = makeHarness();
    plainCommit(h, { 0: 1n, 1: 2n });
    txnCommit(h, 7n, { 1: 20n });
    const all = new Box<OffsetFetchResponseInput>();
    h.coordinator.offsetFetch(ctx(7), { groupId: G, topics: null, groups: [], requireStable: true }, all.set);
    const parts = all.get().topics![0]!.partitions!.map((p) => [p.partitionIndex, p.committedOffset, p.errorCode]);
    assert.deepEqual(parts, [
      [0, 1n, 0],
      [1, -1n, ErrorCode.UNSTABLE_OFFSET_COMMIT],
    ]);
    const batched = new Box<OffsetFetchResponseInput>();
    h.coordinator.offsetFetch(
      ctx(8),
      { groupId: '', topics: [], groups: [{ groupId: G, memberId: null, memberEpoch: -1, topics: [{ name: T, partitionIndexes: [1] }] }], requireStable: true },
      batched.set,
    );
    assert.equal(batched.get().groups![0]!.topics![0]!.partitions![0]!.errorCode, ErrorCode.UNSTABLE_OFFSET_COMMIT);
  });
});
