import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

import { ErrorCode } from '../../protocol/errors/error-codes.js';
import type { HeartbeatResponseInput } from '../../protocol/generated/messages/heartbeat-response.js';
import type { LeaveGroupResponseInput } from '../../protocol/generated/messages/leave-group-response.js';
import type { OffsetCommitResponseInput } from '../../protocol/generated/messages/offset-commit-response.js';
import type { OffsetFetchResponseInput } from '../../protocol/generated/messages/offset-fetch-response.js';
import type { SyncGroupRequest } from '../../protocol/generated/messages/sync-group-request.js';
import type { DeleteGroupsResponseInput } from '../../protocol/generated/messages/delete-groups-response.js';
import type { DescribeGroupsResponseInput } from '../../protocol/generated/messages/describe-groups-response.js';
import type { ListGroupsResponseInput } from '../../protocol/generated/messages/list-groups-response.js';
import type { OffsetDeleteResponseInput } from '../../protocol/generated/messages/offset-delete-response.js';
import type { OffsetCommitRequest } from '../../protocol/generated/messages/offset-commit-request.js';
import { partitionForGroup, javaStringHashCode } from './partitioner.js';
import {
  Box,
  MemoryOffsetsLog,
  assignment,
  ctx,
  joinRequest,
  makeHarness,
  subscription,
  type Harness,
  type JoinBox,
  type SyncBox,
} from './testing.js';

const G = 'payments';

/** KIP-394 two-step join; returns the parked (or answered) JoinGroup of the second step. */
function joinDynamic(h: Harness, clientId: string, options: Parameters<typeof joinRequest>[2] = {}, groupId = G): JoinBox {
  const first = new Box<ReturnType<JoinBox['get']>>();
  h.coordinator.joinGroup(ctx(5, clientId), joinRequest(groupId, '', options), first.set);
  assert.equal(first.get().errorCode, ErrorCode.MEMBER_ID_REQUIRED);
  const memberId = first.get().memberId;
  assert.ok(memberId.startsWith(`${clientId}-`));
  const second: JoinBox = new Box();
  h.coordinator.joinGroup(ctx(5, clientId), joinRequest(groupId, memberId, options), second.set);
  return second;
}

function rejoin(h: Harness, memberId: string, options: Parameters<typeof joinRequest>[2] = {}, groupId = G): JoinBox {
  const box: JoinBox = new Box();
  h.coordinator.joinGroup(ctx(5), joinRequest(groupId, memberId, options), box.set);
  return box;
}

function sync(h: Harness, memberId: string, generationId: number, assignments: SyncGroupRequest['assignments'] = [], extra: Partial<SyncGroupRequest> = {}): SyncBox {
  const box: SyncBox = new Box();
  h.coordinator.syncGroup(
    ctx(5),
    { groupId: G, generationId, memberId, groupInstanceId: null, protocolType: 'consumer', protocolName: 'range', assignments, ...extra },
    box.set,
  );
  return box;
}

function heartbeat(h: Harness, memberId: string, generationId: number, groupInstanceId: string | null = null, groupId = G): number {
  const box = new Box<HeartbeatResponseInput>();
  h.coordinator.heartbeat(ctx(4), { groupId, generationId, memberId, groupInstanceId }, box.set);
  return box.get().errorCode;
}

function commit(h: Harness, request: Partial<OffsetCommitRequest> & { topics: OffsetCommitRequest['topics'] }, version = 8): OffsetCommitResponseInput {
  const box = new Box<OffsetCommitResponseInput>();
  h.coordinator.offsetCommit(
    ctx(version),
    { groupId: G, generationIdOrMemberEpoch: -1, memberId: '', groupInstanceId: null, retentionTimeMs: -1n, ...request },
    box.set,
  );
  return box.get();
}

function commitErrors(r: OffsetCommitResponseInput): number[] {
  return r.topics.flatMap((t) => t.partitions.map((p) => p.errorCode));
}

function partitionsOf(topic: string, offsets: Record<number, bigint>): OffsetCommitRequest['topics'][number] {
  return {
    name: topic,
    partitions: Object.entries(offsets).map(([p, o]) => ({
      partitionIndex: Number(p),
      committedOffset: o,
      committedLeaderEpoch: -1,
      commitTimestamp: -1n,
      committedMetadata: null,
    })),
  };
}

function fetchAll(h: Harness, groupId = G, version = 7): OffsetFetchResponseInput {
  const box = new Box<OffsetFetchResponseInput>();
  h.coordinator.offsetFetch(ctx(version), { groupId, topics: null, groups: [], requireStable: false }, box.set);
  return box.get();
}

function offsetsOf(r: OffsetFetchResponseInput): Record<string, bigint> {
  const out: Record<string, bigint> = {};
  for (const t of r.topics ?? []) for (const p of t.partitions ?? []) out[`${t.name}-${p.partitionIndex}`] = p.committedOffset ?? -1n;
  return out;
}

/** One member, through join and sync, to Stable. Returns its member id and generation. */
function stableSingle(h: Harness, clientId = 'c1'): { memberId: string; generation: number } {
  const join = joinDynamic(h, clientId);
  h.advance(0);
  const r = join.get();
  assert.equal(r.errorCode, ErrorCode.NONE);
  const s = sync(h, r.memberId, r.generationId!, [{ memberId: r.memberId, assignment: assignment({ orders: [0, 1] }) }]);
  assert.equal(s.get().errorCode, ErrorCode.NONE);
  assert.equal(h.coordinator.group(G)!.state, 'Stable');
  return { memberId: r.memberId, generation: r.generationId! };
}

describe('partitioner', () => {
  it('matches Java String.hashCode and Kafka placement', () => {
    assert.equal(javaStringHashCode(''), 0);
    assert.equal(javaStringHashCode('a'), 97);
    assert.equal(javaStringHashCode('hello'), 99162322);
    // "polygenelubricants".hashCode() is Integer.MIN_VALUE: abs via the sign mask keeps it in range.
    assert.equal(javaStringHashCode('polygenelubricants'), -2147483648);
    assert.equal(partitionForGroup('polygenelubricants', 50), 0);
    assert.equal(partitionForGroup('hello', 50), 99162322 % 50);
  });
});

describe('group coordinator: join, sync, heartbeat', () => {
  it('takes one member from MEMBER_ID_REQUIRED to Stable with its assignment', () => {
    const h = makeHarness();
    const join = joinDynamic(h, 'c1');
    assert.equal(join.done, false, 'the first generation waits for the initial delay');
    h.advance(0);
    const r = join.get();
    assert.equal(r.errorCode, ErrorCode.NONE);
    assert.equal(r.generationId, 1);
    assert.equal(r.leader, r.memberId);
    assert.equal(r.protocolName, 'range');
    assert.equal(r.protocolType, 'consumer');
    assert.deepEqual(r.members.map((m) => m.memberId), [r.memberId]);
    assert.equal(h.coordinator.group(G)!.state, 'CompletingRebalance');
    const mine = assignment({ orders: [0, 1, 2] });
    const s = sync(h, r.memberId, 1, [{ memberId: r.memberId, assignment: mine }]);
    assert.equal(s.get().errorCode, ErrorCode.NONE);
    assert.ok(s.get().assignment.equals(mine));
    assert.equal(h.coordinator.group(G)!.state, 'Stable');
    assert.equal(heartbeat(h, r.memberId, 1), ErrorCode.NONE);
  });

  it('lets JoinGroup v0-3 join without a member id round trip', () => {
    const h = makeHarness();
    const box: JoinBox = new Box();
    h.coordinator.joinGroup(ctx(3, 'old'), joinRequest(G, ''), box.set);
    h.advance(0);
    assert.equal(box.get().errorCode, ErrorCode.NONE);
    assert.ok(box.get().memberId.startsWith('old-'));
  });

  it('rebalances when a second member joins, and the follower gets the leader\'s assignment for it', () => {
    const h = makeHarness();
    const a = stableSingle(h, 'a');
    const joinB = joinDynamic(h, 'b');
    assert.equal(h.coordinator.group(G)!.state, 'PreparingRebalance');
    assert.equal(heartbeat(h, a.memberId, a.generation), ErrorCode.REBALANCE_IN_PROGRESS);
    assert.equal(joinB.done, false);
    const joinA = rejoin(h, a.memberId);
    // Everyone is in: the join phase completes without waiting.
    assert.equal(joinA.get().errorCode, ErrorCode.NONE);
    assert.equal(joinB.get().errorCode, ErrorCode.NONE);
    assert.equal(joinA.get().generationId, 2);
    assert.equal(joinA.get().leader, a.memberId, 'the old leader keeps leading');
    assert.equal(joinA.get().members.length, 2);
    assert.equal(joinB.get().members.length, 0);
    const b = joinB.get().memberId;
    const followerSync = sync(h, b, 2);
    assert.equal(followerSync.done, false, 'followers wait for the leader');
    const forB = assignment({ orders: [1] });
    const leaderSync = sync(h, a.memberId, 2, [
      { memberId: a.memberId, assignment: assignment({ orders: [0] }) },
      { memberId: b, assignment: forB },
    ]);
    assert.equal(leaderSync.get().errorCode, ErrorCode.NONE);
    assert.ok(followerSync.get().assignment.equals(forB));
    assert.equal(h.coordinator.group(G)!.state, 'Stable');
  });

  it('removes a member whose session expires and rebalances the rest', () => {
    const h = makeHarness();
    const a = stableSingle(h, 'a');
    const joinB = joinDynamic(h, 'b');
    const joinA = rejoin(h, a.memberId);
    const b = joinB.get().memberId;
    sync(h, b, 2);
    sync(h, a.memberId, 2, []);
    assert.equal(h.coordinator.group(G)!.state, 'Stable');
    // a heartbeats, b goes silent.
    for (let t = 0; t < 4; t++) {
      h.advance(3_000);
      if (t < 3) assert.equal(heartbeat(h, a.memberId, 2), ErrorCode.NONE);
    }
    assert.equal(h.coordinator.group(G)!.has(b), false);
    assert.equal(heartbeat(h, a.memberId, 2), ErrorCode.REBALANCE_IN_PROGRESS);
    const again = rejoin(h, a.memberId);
    assert.equal(again.get().generationId, 3);
    assert.equal(again.get().members.length, 1);
    assert.equal(heartbeat(h, b, 2), ErrorCode.UNKNOWN_MEMBER_ID);
    void joinA;
  });

  it('drops members that do not rejoin within the rebalance timeout', () => {
    const h = makeHarness();
    const a = stableSingle(h, 'a');
    // The group waits for the longest rebalance timeout of its members: 30 s here.
    const joinB = joinDynamic(h, 'b', { rebalanceTimeoutMs: 20_000 });
    // a keeps heartbeating (REBALANCE_IN_PROGRESS) but never rejoins.
    for (let t = 0; t < 8 && !joinB.done; t++) {
      h.advance(4_000);
      if (!joinB.done) assert.equal(heartbeat(h, a.memberId, a.generation), ErrorCode.REBALANCE_IN_PROGRESS);
    }
    assert.equal(h.clock.monotonicMs(), 32_000);
    assert.equal(joinB.get().errorCode, ErrorCode.NONE);
    assert.equal(joinB.get().generationId, 2);
    assert.equal(joinB.get().leader, joinB.get().memberId, 'leadership moves to a member that rejoined');
    assert.equal(h.coordinator.group(G)!.has(a.memberId), false);
    assert.equal(heartbeat(h, a.memberId, a.generation), ErrorCode.UNKNOWN_MEMBER_ID);
  });

  it('removes members that never send SyncGroup after the join phase', () => {
    const h = makeHarness();
    const a = stableSingle(h, 'a');
    const joinB = joinDynamic(h, 'b');
    rejoin(h, a.memberId);
    const b = joinB.get().memberId;
    // Only a syncs; b heartbeats but never sends SyncGroup.
    sync(h, a.memberId, 2, []);
    for (let t = 0; t < 6; t++) {
      h.advance(5_000);
      heartbeat(h, a.memberId, 2);
      heartbeat(h, b, 2);
      if (t === 4) assert.ok(h.coordinator.group(G)!.has(b), 'b has until the rebalance timeout');
    }
    const group = h.coordinator.group(G)!;
    assert.equal(group.has(b), false);
    assert.equal(group.state, 'PreparingRebalance');
    assert.equal(rejoin(h, a.memberId).get().generationId, 3);
  });

  it('handles batched LeaveGroup (v3+) and v0-2 single-member leave', () => {
    const h = makeHarness();
    const a = stableSingle(h, 'a');
    const joinB = joinDynamic(h, 'b');
    rejoin(h, a.memberId);
    const b = joinB.get().memberId;
    sync(h, b, 2);
    sync(h, a.memberId, 2, []);
    const leave = new Box<LeaveGroupResponseInput>();
    h.coordinator.leaveGroup(
      ctx(3),
      { groupId: G, memberId: '', members: [{ memberId: b, groupInstanceId: null, reason: 'bye' }, { memberId: 'ghost', groupInstanceId: null, reason: null }] },
      leave.set,
    );
    assert.equal(leave.get().errorCode, ErrorCode.NONE);
    assert.deepEqual(leave.get().members!.map((m) => m.errorCode), [ErrorCode.NONE, ErrorCode.UNKNOWN_MEMBER_ID]);
    assert.equal(h.coordinator.group(G)!.state, 'PreparingRebalance');
    const again = rejoin(h, a.memberId);
    assert.equal(again.get().generationId, 3);
    const legacy = new Box<LeaveGroupResponseInput>();
    h.coordinator.leaveGroup(ctx(1), { groupId: G, memberId: a.memberId, members: [] }, legacy.set);
    assert.equal(legacy.get().errorCode, ErrorCode.NONE);
    assert.equal(h.coordinator.group(G)!.state, 'Empty');
    assert.equal(h.coordinator.group(G)!.generationId, 4);
  });

  it('waits group.initial.rebalance.delay.ms so members joining together share one generation', () => {
    const h = makeHarness({ initialRebalanceDelayMs: 3_000 });
    const a = joinDynamic(h, 'a');
    h.advance(1_000);
    const b = joinDynamic(h, 'b');
    h.advance(2_500);
    assert.equal(a.done, false, 'a join extends the delay');
    h.advance(3_000);
    assert.equal(a.get().errorCode, ErrorCode.NONE);
    assert.equal(a.get().generationId, 1);
    assert.equal(b.get().generationId, 1);
    assert.equal(a.get().members.length + b.get().members.length, 2);
  });

  it('selects the protocol every member supports with the most votes', () => {
    const h = makeHarness();
    const meta = subscription(['orders']);
    const a = joinDynamic(h, 'a', { protocols: [{ name: 'roundrobin', metadata: meta }, { name: 'range', metadata: meta }] });
    const b = joinDynamic(h, 'b', { protocols: [{ name: 'range', metadata: meta }, { name: 'sticky', metadata: meta }] });
    const c: JoinBox = new Box();
    h.coordinator.joinGroup(ctx(5), joinRequest(G, '', { protocols: [{ name: 'sticky', metadata: meta }] }), c.set);
    assert.equal(c.get().errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL, 'no protocol in common with everyone');
    h.advance(0);
    assert.equal(a.get().protocolName, b.get().protocolName);
    assert.ok(['range', 'roundrobin'].includes(a.get().protocolName!));
    const wrongType = new Box<ReturnType<JoinBox['get']>>();
    h.coordinator.joinGroup(ctx(5), joinRequest(G, '', { protocolType: 'connect' }), wrongType.set);
    assert.equal(wrongType.get().errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
  });
});

describe('group coordinator: errors', () => {
  it('answers Kafka\'s codes for bad member, generation, group and timeouts', () => {
    const h = makeHarness({ groupMaxSize: 1 });
    const a = stableSingle(h, 'a');
    assert.equal(heartbeat(h, 'nobody', a.generation), ErrorCode.UNKNOWN_MEMBER_ID);
    assert.equal(heartbeat(h, a.memberId, a.generation + 5), ErrorCode.ILLEGAL_GENERATION);
    assert.equal(heartbeat(h, a.memberId, a.generation, null, 'no-such-group'), ErrorCode.UNKNOWN_MEMBER_ID);
    assert.equal(heartbeat(h, a.memberId, a.generation, null, ''), ErrorCode.INVALID_GROUP_ID);
    assert.equal(sync(h, a.memberId, 99).get().errorCode, ErrorCode.ILLEGAL_GENERATION);
    assert.equal(sync(h, a.memberId, a.generation, [], { protocolName: 'other' }).get().errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL);

    const tooShort = new Box<ReturnType<JoinBox['get']>>();
    h.coordinator.joinGroup(ctx(5), joinRequest(G, '', { sessionTimeoutMs: 1_000 }), tooShort.set);
    assert.equal(tooShort.get().errorCode, ErrorCode.INVALID_SESSION_TIMEOUT);
    const tooLong = new Box<ReturnType<JoinBox['get']>>();
    h.coordinator.joinGroup(ctx(5), joinRequest(G, '', { sessionTimeoutMs: 2_000_000 }), tooLong.set);
    assert.equal(tooLong.get().errorCode, ErrorCode.INVALID_SESSION_TIMEOUT);

    const full = new Box<ReturnType<JoinBox['get']>>();
    h.coordinator.joinGroup(ctx(5), joinRequest(G, ''), full.set);
    assert.equal(full.get().errorCode, ErrorCode.GROUP_MAX_SIZE_REACHED);

    const unknownInGroupless = new Box<ReturnType<JoinBox['get']>>();
    h.coordinator.joinGroup(ctx(5), joinRequest('fresh', 'made-up-id'), unknownInGroupless.set);
    assert.equal(unknownInGroupless.get().errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
  });

  it('rejects commits from a stale generation or during CompletingRebalance', () => {
    const h = makeHarness();
    const a = stableSingle(h, 'a');
    const topics = [partitionsOf('orders', { 0: 5n })];
    assert.deepEqual(commitErrors(commit(h, { memberId: a.memberId, generationIdOrMemberEpoch: a.generation, topics })), [ErrorCode.NONE]);
    assert.deepEqual(commitErrors(commit(h, { memberId: a.memberId, generationIdOrMemberEpoch: 0, topics })), [ErrorCode.ILLEGAL_GENERATION]);
    assert.deepEqual(commitErrors(commit(h, { memberId: 'x', generationIdOrMemberEpoch: a.generation, topics })), [ErrorCode.UNKNOWN_MEMBER_ID]);
    assert.deepEqual(commitErrors(commit(h, { topics })), [ErrorCode.UNKNOWN_MEMBER_ID], 'generation -1 while the group is active');
    const joinB = joinDynamic(h, 'b');
    rejoin(h, a.memberId);
    assert.equal(h.coordinator.group(G)!.state, 'CompletingRebalance');
    assert.deepEqual(
      commitErrors(commit(h, { memberId: a.memberId, generationIdOrMemberEpoch: 2, topics })),
      [ErrorCode.REBALANCE_IN_PROGRESS],
    );
    assert.deepEqual(commitErrors(commit(h, { groupId: 'missing', memberId: 'm', generationIdOrMemberEpoch: 3, topics }, 8)), [ErrorCode.ILLEGAL_GENERATION]);
    assert.deepEqual(commitErrors(commit(h, { groupId: 'missing', memberId: 'm', generationIdOrMemberEpoch: 3, topics }, 9)), [ErrorCode.GROUP_ID_NOT_FOUND]);
    const big = commit(h, {
      groupId: 'simple',
      topics: [{ name: 'orders', partitions: [{ partitionIndex: 0, committedOffset: 1n, committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: 'x'.repeat(5_000) }] }],
    });
    assert.deepEqual(commitErrors(big), [ErrorCode.OFFSET_METADATA_TOO_LARGE]);
    void joinB;
  });

  it('answers NOT_COORDINATOR for unowned partitions and COORDINATOR_LOAD_IN_PROGRESS while loading', () => {
    const h = makeHarness();
    const p = h.coordinator.partitionFor(G);
    h.coordinator.unload(p);
    assert.equal(heartbeat(h, 'm', 1), ErrorCode.NOT_COORDINATOR);
    h.coordinator.beginLoad(p);
    const join = new Box<ReturnType<JoinBox['get']>>();
    h.coordinator.joinGroup(ctx(5), joinRequest(G, ''), join.set);
    assert.equal(join.get().errorCode, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
    h.coordinator.completeLoad(p);
    assert.equal(heartbeat(h, 'm', 1), ErrorCode.UNKNOWN_MEMBER_ID);
  });

  it('fails the sync round with the mapped error when the assignment cannot be written, and recovers', () => {
    const h = makeHarness();
    const join = joinDynamic(h, 'a');
    h.advance(0);
    const memberId = join.get().memberId;
    h.log.failWith = ErrorCode.MESSAGE_TOO_LARGE;
    const s = sync(h, memberId, 1, [{ memberId, assignment: Buffer.alloc(10) }]);
    assert.equal(s.get().errorCode, ErrorCode.UNKNOWN_SERVER_ERROR);
    assert.equal(h.coordinator.group(G)!.state, 'PreparingRebalance');
    h.log.failWith = 0;
    const again = rejoin(h, memberId);
    assert.equal(again.get().generationId, 2);
    assert.equal(sync(h, memberId, 2, []).get().errorCode, ErrorCode.NONE);
  });

  it('answers a SyncGroup only once its assignment is durable', () => {
    const h = makeHarness();
    const join = joinDynamic(h, 'a');
    h.advance(0);
    const memberId = join.get().memberId;
    h.log.hold = true;
    const s = sync(h, memberId, 1, []);
    assert.equal(s.done, false);
    h.log.release();
    assert.equal(s.get().errorCode, ErrorCode.NONE);
  });
});

describe('group coordinator: static membership (KIP-345)', () => {
  function staticJoin(h: Harness, instance: string, memberId = '', options: Parameters<typeof joinRequest>[2] = {}): JoinBox {
    const box: JoinBox = new Box();
    h.coordinator.joinGroup(ctx(9, 'app'), joinRequest(G, memberId, { groupInstanceId: instance, ...options }), box.set);
    return box;
  }

  it('lets a restarted static member take its place back without a rebalance', () => {
    const h = makeHarness();
    const j1 = staticJoin(h, 'pod-1');
    const j2 = staticJoin(h, 'pod-2');
    h.advance(0);
    const m1 = j1.get().memberId;
    const m2 = j2.get().memberId;
    assert.ok(m1.startsWith('pod-1-'));
    const leader = j1.get().leader;
    const a1 = assignment({ orders: [0, 1, 2] });
    const a2 = assignment({ orders: [3, 4, 5] });
    sync(h, m2, 1, [], { groupInstanceId: 'pod-2' });
    const leaderId = leader === m1 ? m1 : m2;
    sync(h, leaderId, 1, [{ memberId: m1, assignment: a1 }, { memberId: m2, assignment: a2 }], { groupInstanceId: leaderId === m1 ? 'pod-1' : 'pod-2' });
    assert.equal(h.coordinator.group(G)!.state, 'Stable');

    // pod-2 restarts: it has lost its member id.
    const back = staticJoin(h, 'pod-2');
    const r = back.get();
    assert.equal(r.errorCode, ErrorCode.NONE);
    assert.notEqual(r.memberId, m2);
    assert.equal(r.generationId, 1, 'no new generation');
    assert.equal(h.coordinator.group(G)!.state, 'Stable');
    const s = sync(h, r.memberId, 1, [], { groupInstanceId: 'pod-2' });
    assert.ok(s.get().assignment.equals(a2), 'keeps its partitions');
    // The old incarnation is fenced.
    assert.equal(heartbeat(h, m2, 1, 'pod-2'), ErrorCode.FENCED_INSTANCE_ID);
    assert.equal(heartbeat(h, r.memberId, 1, 'pod-2'), ErrorCode.NONE);
    assert.equal(heartbeat(h, m1, 1, 'pod-1'), ErrorCode.NONE);
    // And it is durable: a replay knows the new member id.
    const restarted = makeHarness({}, h.log, h.clock);
    assert.ok(restarted.coordinator.group(G)!.has(r.memberId));
    assert.equal(restarted.coordinator.group(G)!.has(m2), false);
  });

  it('keeps a static member through a rebalance it sleeps through, until its session expires', () => {
    const h = makeHarness();
    const j1 = staticJoin(h, 'pod-1', '', { sessionTimeoutMs: 60_000, rebalanceTimeoutMs: 10_000 });
    h.advance(0);
    const m1 = j1.get().memberId;
    sync(h, m1, 1, [], { groupInstanceId: 'pod-1' });
    const jb = joinDynamic(h, 'dyn', { rebalanceTimeoutMs: 10_000 });
    h.advance(10_000);
    // Static members are not dropped at the end of the join phase.
    assert.equal(jb.get().generationId, 2);
    assert.ok(h.coordinator.group(G)!.has(m1));
    assert.equal(jb.get().leader, jb.get().memberId);
    // Its session restarted when the join phase completed (t = 10 s).
    h.advance(59_000);
    assert.ok(h.coordinator.group(G)!.has(m1));
    h.advance(1_000);
    assert.equal(h.coordinator.group(G)!.has(m1), false, 'its session expired');
  });

  it('removes a static member by instance id through LeaveGroup', () => {
    const h = makeHarness();
    const j1 = staticJoin(h, 'pod-1');
    h.advance(0);
    sync(h, j1.get().memberId, 1, [], { groupInstanceId: 'pod-1' });
    const leave = new Box<LeaveGroupResponseInput>();
    h.coordinator.leaveGroup(ctx(4), { groupId: G, memberId: '', members: [{ memberId: '', groupInstanceId: 'pod-1', reason: null }] }, leave.set);
    assert.equal(leave.get().members![0]!.errorCode, ErrorCode.NONE);
    assert.equal(h.coordinator.group(G)!.state, 'Empty');
  });
});

describe('group coordinator: offsets', () => {
  it('stores commits of assign() consumers (generation -1) in a simple group and fetches them back', () => {
    const h = makeHarness();
    assert.deepEqual(commitErrors(commit(h, { topics: [partitionsOf('orders', { 0: 10n, 1: 20n }), partitionsOf('refunds', { 0: 3n })] })), [0, 0, 0]);
    assert.deepEqual(offsetsOf(fetchAll(h)), { 'orders-0': 10n, 'orders-1': 20n, 'refunds-0': 3n });
    const some = new Box<OffsetFetchResponseInput>();
    h.coordinator.offsetFetch(ctx(5), { groupId: G, topics: [{ name: 'orders', partitionIndexes: [1, 7] }], groups: [], requireStable: false }, some.set);
    assert.deepEqual(offsetsOf(some.get()), { 'orders-1': 20n, 'orders-7': -1n });
    assert.equal(h.coordinator.group(G)!.protocolType, null);
  });

  it('answers multi-group OffsetFetch (v8+)', () => {
    const h = makeHarness();
    commit(h, { groupId: 'g1', topics: [partitionsOf('t', { 0: 1n })] });
    commit(h, { groupId: 'g2', topics: [partitionsOf('t', { 0: 2n })] });
    const box = new Box<OffsetFetchResponseInput>();
    h.coordinator.offsetFetch(
      ctx(8),
      {
        groupId: '',
        topics: [],
        requireStable: false,
        groups: [
          { groupId: 'g1', memberId: null, memberEpoch: -1, topics: null },
          { groupId: 'g2', memberId: null, memberEpoch: -1, topics: [{ name: 't', partitionIndexes: [0, 1] }] },
          { groupId: 'g3', memberId: null, memberEpoch: -1, topics: null },
        ],
      },
      box.set,
    );
    const groups = box.get().groups!;
    assert.deepEqual(groups.map((g) => g.groupId), ['g1', 'g2', 'g3']);
    assert.equal(groups[0]!.topics![0]!.partitions![0]!.committedOffset, 1n);
    assert.deepEqual(groups[1]!.topics![0]!.partitions!.map((p) => p.committedOffset), [2n, -1n]);
    assert.deepEqual(groups[2]!.topics, []);
  });

  it('deletes offsets (OffsetDelete) unless the group still subscribes to the topic', () => {
    const h = makeHarness();
    const a = stableSingle(h, 'a');
    commit(h, { memberId: a.memberId, generationIdOrMemberEpoch: a.generation, topics: [partitionsOf('orders', { 0: 1n }), partitionsOf('old', { 0: 9n })] });
    const box = new Box<OffsetDeleteResponseInput>();
    h.coordinator.offsetDelete(
      ctx(0),
      { groupId: G, topics: [{ name: 'orders', partitions: [{ partitionIndex: 0 }] }, { name: 'old', partitions: [{ partitionIndex: 0 }] }] },
      box.set,
    );
    assert.equal(box.get().errorCode, ErrorCode.NONE);
    assert.deepEqual(box.get().topics.map((t) => t.partitions[0]!.errorCode), [ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC, ErrorCode.NONE]);
    assert.deepEqual(offsetsOf(fetchAll(h)), { 'orders-0': 1n });
    const missing = new Box<OffsetDeleteResponseInput>();
    h.coordinator.offsetDelete(ctx(0), { groupId: 'nope', topics: [] }, missing.set);
    assert.equal(missing.get().errorCode, ErrorCode.GROUP_ID_NOT_FOUND);
  });

  it('expires offsets after offsets.retention.minutes and deletes the emptied group', () => {
    const retentionMs = 60 * 60_000;
    const h = makeHarness({ offsetsRetentionMs: retentionMs, offsetsRetentionCheckIntervalMs: 60_000 });
    commit(h, { groupId: 'simple', topics: [partitionsOf('t', { 0: 1n })] });
    h.advance(retentionMs - 120_000);
    assert.ok(h.coordinator.group('simple'));
    commit(h, { groupId: 'simple', topics: [partitionsOf('t', { 1: 1n })] });
    h.advance(180_000);
    assert.deepEqual(offsetsOf(fetchAll(h, 'simple')), { 't-1': 1n }, 'only the old commit expired');
    h.advance(retentionMs);
    assert.equal(h.coordinator.group('simple'), undefined);
    // The tombstones are in the log: a restart agrees.
    const restarted = makeHarness({}, h.log, h.clock);
    assert.equal(restarted.coordinator.group('simple'), undefined);
  });

  it('keeps a live consumer group\'s offsets and counts retention from when it became Empty', () => {
    const retentionMs = 60 * 60_000;
    const h = makeHarness({ offsetsRetentionMs: retentionMs, offsetsRetentionCheckIntervalMs: 60_000 });
    const a = stableSingle(h, 'a');
    commit(h, { memberId: a.memberId, generationIdOrMemberEpoch: a.generation, topics: [partitionsOf('orders', { 0: 4n })] });
    for (let elapsedMs = 0; elapsedMs < 2 * retentionMs; elapsedMs += 5_000) {
      h.advance(5_000);
      assert.equal(heartbeat(h, a.memberId, a.generation), ErrorCode.NONE);
    }
    assert.deepEqual(offsetsOf(fetchAll(h)), { 'orders-0': 4n }, 'subscribed topic of a Stable group never expires');
    const leave = new Box<LeaveGroupResponseInput>();
    h.coordinator.leaveGroup(ctx(3), { groupId: G, memberId: '', members: [{ memberId: a.memberId, groupInstanceId: null, reason: null }] }, leave.set);
    h.advance(retentionMs - 60_000);
    assert.deepEqual(offsetsOf(fetchAll(h)), { 'orders-0': 4n });
    h.advance(120_000);
    assert.deepEqual(offsetsOf(fetchAll(h)), {});
  });
});

describe('group coordinator: admin', () => {
  it('lists groups with a state filter, describes them, and deletes only empty ones', () => {
    const h = makeHarness();
    const a = stableSingle(h, 'a');
    commit(h, { groupId: 'simple', topics: [partitionsOf('t', { 0: 1n })] });
    const list = (states: string[], version = 4): string[] => {
      const box = new Box<ListGroupsResponseInput>();
      h.coordinator.listGroups(ctx(version), { statesFilter: states, typesFilter: [] }, box.set);
      return box.get().groups.map((g) => `${g.groupId}:${g.groupState}:${g.protocolType}`).sort();
    };
    assert.deepEqual(list([]), [`${G}:Stable:consumer`, 'simple:Empty:']);
    assert.deepEqual(list(['stable']), [`${G}:Stable:consumer`]);
    assert.deepEqual(list(['Empty']), ['simple:Empty:']);
    assert.deepEqual(list(['Empty'], 3), [`${G}:Stable:consumer`, 'simple:Empty:'], 'filters exist from v4');

    const described = new Box<DescribeGroupsResponseInput>();
    h.coordinator.describeGroups(ctx(5), { groups: [G, 'unknown'], includeAuthorizedOperations: false }, described.set);
    const [d, unknown] = described.get().groups;
    assert.equal(d!.groupState, 'Stable');
    assert.equal(d!.protocolData, 'range');
    assert.equal(d!.members[0]!.memberId, a.memberId);
    assert.equal(d!.members[0]!.clientHost, '/127.0.0.1');
    assert.ok(d!.members[0]!.memberAssignment.equals(assignment({ orders: [0, 1] })));
    assert.equal(unknown!.groupState, 'Dead');
    assert.equal(unknown!.errorCode, ErrorCode.NONE);

    const deleted = new Box<DeleteGroupsResponseInput>();
    h.coordinator.deleteGroups(ctx(2), { groupsNames: [G, 'simple', 'unknown'] }, deleted.set);
    assert.deepEqual(
      deleted.get().results.map((r) => r.errorCode),
      [ErrorCode.NON_EMPTY_GROUP, ErrorCode.NONE, ErrorCode.GROUP_ID_NOT_FOUND],
    );
    assert.equal(h.coordinator.group('simple'), undefined);
    assert.deepEqual(offsetsOf(fetchAll(h, 'simple')), {});
    const restarted = makeHarness({}, h.log, h.clock);
    assert.equal(restarted.coordinator.group('simple'), undefined);
    assert.deepEqual(offsetsOf(fetchAll(restarted, 'simple')), {});
  });
});

describe('group coordinator: replay', () => {
  it('rebuilds groups and offsets from the log, and members carry on with their generation', () => {
    const h = makeHarness();
    const a = stableSingle(h, 'a');
    const joinB = joinDynamic(h, 'b');
    rejoin(h, a.memberId);
    const b = joinB.get().memberId;
    const forA = assignment({ orders: [0, 1, 2] });
    const forB = assignment({ orders: [3, 4, 5] });
    sync(h, b, 2);
    sync(h, a.memberId, 2, [{ memberId: a.memberId, assignment: forA }, { memberId: b, assignment: forB }]);
    commit(h, { memberId: b, generationIdOrMemberEpoch: 2, topics: [partitionsOf('orders', { 3: 30n, 4: 40n })] });
    commit(h, { groupId: 'assigner', topics: [partitionsOf('orders', { 0: 7n })] });
    commit(h, { groupId: 'assigner', topics: [partitionsOf('orders', { 0: 8n })] });

    const restarted = makeHarness({}, h.log, h.clock);
    const before = h.coordinator.group(G)!;
    const after = restarted.coordinator.group(G)!;
    assert.equal(after.state, 'Stable');
    assert.equal(after.generationId, before.generationId);
    assert.equal(after.leaderId, before.leaderId);
    assert.equal(after.protocolName, 'range');
    assert.deepEqual([...after.members.keys()].sort(), [...before.members.keys()].sort());
    assert.ok(after.member(b).assignment.equals(forB));
    assert.deepEqual(offsetsOf(fetchAll(restarted)), offsetsOf(fetchAll(h)));
    assert.deepEqual(offsetsOf(fetchAll(restarted, 'assigner')), { 'orders-0': 8n });

    assert.equal(heartbeat(restarted, b, 2), ErrorCode.NONE);
    const s = new Box<ReturnType<SyncBox['get']>>();
    restarted.coordinator.syncGroup(ctx(5), { groupId: G, generationId: 2, memberId: a.memberId, groupInstanceId: null, protocolType: null, protocolName: null, assignments: [] }, s.set);
    assert.ok(s.get().assignment.equals(forA));
    // Members that stop heartbeating after the restart time out as usual.
    restarted.advance(10_000);
    assert.equal(restarted.coordinator.group(G)!.size, 0);
  });

  it('skips records of KIP-848 groups it does not run', () => {
    const h = makeHarness();
    const key = Buffer.from([0, 3, 0, 1, 0x61]);
    assert.doesNotThrow(() => h.coordinator.replay(0, key, Buffer.from([0, 0])));
  });

  it('writes records tools can read: Kafka key/value layout', () => {
    const log = new MemoryOffsetsLog();
    const h = makeHarness({}, log);
    commit(h, { topics: [partitionsOf('orders', { 2: 42n })] });
    const records = log.partitions.get(h.coordinator.partitionFor(G))!;
    assert.equal(records.length, 1);
    const { key, value } = records[0]!;
    assert.equal(key.readInt16BE(0), 1, 'offset commit key version');
    assert.equal(key.readInt16BE(2), G.length);
    assert.equal(key.subarray(4, 4 + G.length).toString(), G);
    assert.equal(value!.readInt16BE(0), 3, 'offset commit value version');
    assert.equal(value!.readBigInt64BE(2), 42n);
  });
});
