/**
 * The group protocol on the wire, with raw requests where kafkajs cannot go:
 * a static member (KIP-345) restarting within its session timeout keeps its
 * partitions without a rebalance, and bad input (unknown member, stale
 * generation, a commit during a rebalance, an oversized metadata blob) gets
 * Kafka's error codes without disturbing another group, and a restarted
 * broker has its groups and offsets loaded before the first request.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join as joinPath } from 'node:path';
import { Broker } from '../../src/index.js';
import { ApiKey } from '../../src/protocol/generated/api-registry.js';
import { ErrorCode } from '../../src/protocol/errors/index.js';
import { Writer } from '../../src/protocol/primitives/writer.js';
import { encodeConsumerProtocolSubscription } from '../../src/protocol/generated/messages/consumer-protocol-subscription.js';
import type { JoinGroupResponse } from '../../src/protocol/generated/messages/join-group-response.js';
import type { Logger } from '../../src/broker/logger.js';
import { RawClient } from './support/raw-client.js';

const JOIN_V = 5;
const SYNC_V = 3;
const HEARTBEAT_V = 3;

function subscription(topics: string[], userData: Buffer | null = null): Buffer {
  const w = new Writer();
  w.writeInt16(0);
  encodeConsumerProtocolSubscription(w, 0, { topics, userData });
  return w.toBuffer();
}

async function findCoordinator(client: RawClient, group: string): Promise<void> {
  const r = await client.send(ApiKey.FindCoordinator, 3, { key: group, keyType: 0 });
  assert.equal(r.errorCode, ErrorCode.NONE);
}

function join(
  client: RawClient,
  group: string,
  memberId: string,
  groupInstanceId: string | null,
  metadata = subscription(['orders']),
  sessionTimeoutMs = 10_000,
): Promise<JoinGroupResponse> {
  return client.send(ApiKey.JoinGroup, JOIN_V, {
    groupId: group,
    sessionTimeoutMs,
    rebalanceTimeoutMs: 10_000,
    memberId,
    groupInstanceId,
    protocolType: 'consumer',
    protocols: [{ name: 'range', metadata }],
  });
}

/** A dynamic member's KIP-394 two-step join. */
async function joinDynamic(client: RawClient, group: string, metadata?: Buffer): Promise<JoinGroupResponse> {
  const first = await join(client, group, '', null, metadata);
  assert.equal(first.errorCode, ErrorCode.MEMBER_ID_REQUIRED);
  return join(client, group, first.memberId, null, metadata);
}

async function heartbeat(client: RawClient, group: string, generationId: number, memberId: string, groupInstanceId: string | null = null): Promise<number> {
  const r = await client.send(ApiKey.Heartbeat, HEARTBEAT_V, { groupId: group, generationId, memberId, groupInstanceId });
  return r.errorCode;
}

test('groups protocol: a static member restarting within its session keeps its partitions without a rebalance', async () => {
  const broker = await Broker.start({ config: { 'group.initial.rebalance.delay.ms': 100 } });
  const pod1 = await RawClient.connect(broker.bootstrap);
  const pod2 = await RawClient.connect(broker.bootstrap);
  let pod2Again: RawClient | null = null;
  try {
    await findCoordinator(pod1, 'static');
    const [j1, j2] = await Promise.all([join(pod1, 'static', '', 'pod-1'), join(pod2, 'static', '', 'pod-2')]);
    assert.equal(j1.errorCode, ErrorCode.NONE);
    assert.equal(j1.generationId, j2.generationId);
    const [leaderConn, leader, follower] = j1.leader === j1.memberId ? [pod1, j1, j2] : [pod2, j2, j1];
    const followerConn = leaderConn === pod1 ? pod2 : pod1;
    const assignments = [
      { memberId: j1.memberId, assignment: Buffer.from('pod-1 gets 0,1,2') },
      { memberId: j2.memberId, assignment: Buffer.from('pod-2 gets 3,4,5') },
    ];
    const instanceOf = (m: JoinGroupResponse): string => (m === j1 ? 'pod-1' : 'pod-2');
    const followerSync = followerConn.send(ApiKey.SyncGroup, SYNC_V, {
      groupId: 'static', generationId: follower.generationId, memberId: follower.memberId, groupInstanceId: instanceOf(follower), assignments: [],
    });
    const leaderSync = await leaderConn.send(ApiKey.SyncGroup, SYNC_V, {
      groupId: 'static', generationId: leader.generationId, memberId: leader.memberId, groupInstanceId: instanceOf(leader), assignments,
    });
    assert.equal(leaderSync.errorCode, ErrorCode.NONE);
    assert.equal((await followerSync).errorCode, ErrorCode.NONE);
    const generation = j1.generationId;

    // pod-2's process restarts: a new connection, no member id, same instance id.
    pod2.close();
    pod2Again = await RawClient.connect(broker.bootstrap);
    const rejoin = await join(pod2Again, 'static', '', 'pod-2');
    assert.equal(rejoin.errorCode, ErrorCode.NONE);
    assert.equal(rejoin.generationId, generation, 'same generation: no rebalance');
    assert.notEqual(rejoin.memberId, j2.memberId);
    const sync = await pod2Again.send(ApiKey.SyncGroup, SYNC_V, {
      groupId: 'static', generationId: generation, memberId: rejoin.memberId, groupInstanceId: 'pod-2', assignments: [],
    });
    assert.equal(sync.assignment.toString(), 'pod-2 gets 3,4,5', 'keeps its partitions');
    assert.equal(await heartbeat(pod1, 'static', generation, j1.memberId, 'pod-1'), ErrorCode.NONE, 'pod-1 never sees a rebalance');
    assert.equal(await heartbeat(pod2Again, 'static', generation, rejoin.memberId, 'pod-2'), ErrorCode.NONE);
    assert.equal(await heartbeat(pod1, 'static', generation, j2.memberId, 'pod-2'), ErrorCode.FENCED_INSTANCE_ID, 'the old incarnation is fenced');

    const described = await pod1.send(ApiKey.DescribeGroups, 4, { groups: ['static'] });
    const g = described.groups[0]!;
    assert.equal(g.groupState, 'Stable');
    assert.deepEqual(g.members.map((m) => m.groupInstanceId).sort(), ['pod-1', 'pod-2']);
  } finally {
    pod1.close();
    pod2.close();
    pod2Again?.close();
    await broker.stop();
  }
});

test('groups protocol: bad input gets Kafka\'s error codes and leaves other groups alone', async () => {
  const broker = await Broker.start({ config: { 'group.initial.rebalance.delay.ms': 0 } });
  const admin = await RawClient.connect(broker.bootstrap);
  const bystander = await RawClient.connect(broker.bootstrap);
  const a = await RawClient.connect(broker.bootstrap);
  const b = await RawClient.connect(broker.bootstrap);
  try {
    await admin.send(ApiKey.CreateTopics, 5, { topics: [{ name: 'orders', numPartitions: 6, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5_000 });
    await findCoordinator(admin, 'bad');

    // A healthy group that must not notice anything.
    const calm = await joinDynamic(bystander, 'calm');
    assert.equal(calm.errorCode, ErrorCode.NONE);
    const calmSync = await bystander.send(ApiKey.SyncGroup, SYNC_V, {
      groupId: 'calm', generationId: calm.generationId, memberId: calm.memberId, assignments: [{ memberId: calm.memberId, assignment: Buffer.from('all') }],
    });
    assert.equal(calmSync.errorCode, ErrorCode.NONE);

    const ja = await joinDynamic(a, 'bad');
    await a.send(ApiKey.SyncGroup, SYNC_V, { groupId: 'bad', generationId: ja.generationId, memberId: ja.memberId, assignments: [] });
    assert.equal(await heartbeat(a, 'bad', ja.generationId, 'who-is-this'), ErrorCode.UNKNOWN_MEMBER_ID);
    assert.equal(await heartbeat(a, 'bad', ja.generationId - 1, ja.memberId), ErrorCode.ILLEGAL_GENERATION);
    assert.equal(await heartbeat(a, 'no-such-group', 1, ja.memberId), ErrorCode.UNKNOWN_MEMBER_ID);

    // b joins: the group rebalances; a has its JoinGroup response for the new generation but no assignment yet.
    const jbPending = joinDynamic(b, 'bad');
    await new Promise<void>((resolve, reject) => {
      const poll = (): void => {
        heartbeat(a, 'bad', ja.generationId, ja.memberId).then((code) => (code === ErrorCode.REBALANCE_IN_PROGRESS ? resolve() : setTimeout(poll, 20)), reject);
      };
      poll();
    });
    const ja2 = await join(a, 'bad', ja.memberId, null);
    const jb = await jbPending;
    assert.equal(ja2.generationId, jb.generationId);
    const commit = await a.send(ApiKey.OffsetCommit, 8, {
      groupId: 'bad', generationIdOrMemberEpoch: ja2.generationId, memberId: ja2.memberId, groupInstanceId: null,
      topics: [{ name: 'orders', partitions: [{ partitionIndex: 0, committedOffset: 5n, committedMetadata: null }] }],
    });
    assert.equal(commit.topics[0]!.partitions[0]!.errorCode, ErrorCode.REBALANCE_IN_PROGRESS, 'a commit while the group is rebalancing');
    const staleCommit = await a.send(ApiKey.OffsetCommit, 8, {
      groupId: 'bad', generationIdOrMemberEpoch: ja.generationId, memberId: ja.memberId, groupInstanceId: null,
      topics: [{ name: 'orders', partitions: [{ partitionIndex: 0, committedOffset: 5n, committedMetadata: null }] }],
    });
    assert.equal(staleCommit.topics[0]!.partitions[0]!.errorCode, ErrorCode.ILLEGAL_GENERATION);
    const unknownTopic = await admin.send(ApiKey.OffsetCommit, 8, {
      groupId: 'simple', generationIdOrMemberEpoch: -1, memberId: '', groupInstanceId: null,
      topics: [{ name: 'nope', partitions: [{ partitionIndex: 0, committedOffset: 1n, committedMetadata: null }] }],
    });
    assert.equal(unknownTopic.topics[0]!.partitions[0]!.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);

    // An oversized metadata blob: the group metadata cannot be stored, the sync fails as in Kafka, nothing else breaks.
    const huge = subscription(['orders'], Buffer.alloc(2 << 20, 1));
    const big = await RawClient.connect(broker.bootstrap);
    try {
      const jbig = await joinDynamic(big, 'huge', huge);
      assert.equal(jbig.errorCode, ErrorCode.NONE);
      const sbig = await big.send(ApiKey.SyncGroup, SYNC_V, { groupId: 'huge', generationId: jbig.generationId, memberId: jbig.memberId, assignments: [] });
      assert.equal(sbig.errorCode, ErrorCode.UNKNOWN_SERVER_ERROR);
    } finally {
      big.close();
    }

    assert.equal(await heartbeat(bystander, 'calm', calm.generationId, calm.memberId), ErrorCode.NONE, 'the other group is undisturbed');
    const list = await admin.send(ApiKey.ListGroups, 4, { statesFilter: ['Stable'] });
    assert.deepEqual(list.groups.map((g) => g.groupId), ['calm']);
  } finally {
    for (const c of [admin, bystander, a, b]) c.close();
    await broker.stop();
  }
});

test('groups protocol: stopping the broker answers a parked JoinGroup at once (NOT_COORDINATOR)', async () => {
  const broker = await Broker.start({ config: { 'group.initial.rebalance.delay.ms': 0 } });
  const a = await RawClient.connect(broker.bootstrap);
  const b = await RawClient.connect(broker.bootstrap);
  try {
    await findCoordinator(a, 'parked');
    const ja = await joinDynamic(a, 'parked');
    await a.send(ApiKey.SyncGroup, SYNC_V, { groupId: 'parked', generationId: ja.generationId, memberId: ja.memberId, assignments: [] });
    // b's join starts a rebalance that waits up to 10 s for a: it stays parked.
    const parked = joinDynamic(b, 'parked');
    await new Promise<void>((resolve, reject) => {
      const poll = (): void => {
        heartbeat(a, 'parked', ja.generationId, ja.memberId).then((code) => (code === ErrorCode.REBALANCE_IN_PROGRESS ? resolve() : setTimeout(poll, 20)), reject);
      };
      poll();
    });
    const startedMs = Date.now();
    await broker.stop();
    assert.ok(Date.now() - startedMs < 2_000, `stop did not wait for the rebalance (${Date.now() - startedMs} ms)`);
    const answer = await parked.catch(() => null);
    if (answer !== null) assert.equal(answer.errorCode, ErrorCode.NOT_COORDINATOR);
  } finally {
    a.close();
    b.close();
  }
});

/** A logger that keeps the messages, to see what the broker did during start-up. */
function recordingLogger(messages: string[]): Logger {
  const keep = (_fields: object, message?: string): void => {
    if (message !== undefined) messages.push(message);
  };
  return { debug: keep, info: keep, warn: keep, error: keep };
}

test('groups protocol: a restarted broker serves its groups and offsets from the first request; members that never return expire', async () => {
  const dataDir = mkdtempSync(joinPath(tmpdir(), 'samsa-groups-restart-'));
  // Short sessions so the expiry below takes about a second.
  const config = { 'group.initial.rebalance.delay.ms': 0, 'group.min.session.timeout.ms': 500 };
  const SESSION_MS = 1_000;
  let broker = await Broker.start({ dataDir, config });
  const clients: RawClient[] = [];
  try {
    const a = await RawClient.connect(broker.bootstrap);
    clients.push(a);
    await a.send(ApiKey.CreateTopics, 5, { topics: [{ name: 'orders', numPartitions: 6, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5_000 });
    await findCoordinator(a, 'kept');
    const first = await join(a, 'kept', '', null, subscription(['orders']), SESSION_MS);
    const ja = await join(a, 'kept', first.memberId, null, subscription(['orders']), SESSION_MS);
    assert.equal(ja.errorCode, ErrorCode.NONE);
    const sync = await a.send(ApiKey.SyncGroup, SYNC_V, {
      groupId: 'kept', generationId: ja.generationId, memberId: ja.memberId, assignments: [{ memberId: ja.memberId, assignment: Buffer.from('all six') }],
    });
    assert.equal(sync.errorCode, ErrorCode.NONE);
    const commit = await a.send(ApiKey.OffsetCommit, 8, {
      groupId: 'kept', generationIdOrMemberEpoch: ja.generationId, memberId: ja.memberId, groupInstanceId: null,
      topics: [{ name: 'orders', partitions: [{ partitionIndex: 2, committedOffset: 42n, committedMetadata: 'm' }] }],
    });
    assert.equal(commit.topics[0]!.partitions[0]!.errorCode, ErrorCode.NONE);
    // An assign() consumer: no group membership, generation -1.
    const simple = await a.send(ApiKey.OffsetCommit, 8, {
      groupId: 'simple', generationIdOrMemberEpoch: -1, memberId: '', groupInstanceId: null,
      topics: [{ name: 'orders', partitions: [{ partitionIndex: 0, committedOffset: 7n, committedMetadata: null }] }],
    });
    assert.equal(simple.topics[0]!.partitions[0]!.errorCode, ErrorCode.NONE);

    // The member does not leave: the broker stops under it.
    a.close();
    await broker.stop();
    const messages: string[] = [];
    broker = await Broker.start({ dataDir, config, logger: recordingLogger(messages) });
    assert.ok(messages.includes('loaded group metadata'), `__consumer_offsets loaded during start-up: ${JSON.stringify(messages)}`);

    const b = await RawClient.connect(broker.bootstrap);
    clients.push(b);
    // No FindCoordinator first: the state is there already.
    const listed = await b.send(ApiKey.ListGroups, 4, { statesFilter: [] });
    assert.deepEqual(
      listed.groups.map((g) => [g.groupId, g.groupState, g.protocolType]).sort(),
      [['kept', 'Stable', 'consumer'], ['simple', 'Empty', '']],
    );
    const described = await b.send(ApiKey.DescribeGroups, 5, { groups: ['kept'], includeAuthorizedOperations: false });
    const g = described.groups[0]!;
    assert.equal(g.groupState, 'Stable');
    assert.equal(g.protocolData, 'range');
    assert.deepEqual(g.members.map((m) => [m.memberId, m.memberAssignment.toString()]), [[ja.memberId, 'all six']]);
    const fetched = await b.send(ApiKey.OffsetFetch, 8, {
      groups: [
        { groupId: 'kept', topics: [{ name: 'orders', partitionIndexes: [2, 3] }] },
        { groupId: 'simple', topics: null },
      ],
      requireStable: true,
    });
    const offsets = fetched.groups.map((fg) => [fg.groupId, fg.topics.flatMap((t) => t.partitions.map((p) => [t.name, p.partitionIndex, Number(p.committedOffset), p.metadata]))]);
    assert.deepEqual(JSON.parse(JSON.stringify(offsets)), [
      ['kept', [['orders', 2, 42, 'm'], ['orders', 3, -1, '']]],
      ['simple', [['orders', 0, 7, '']]], // null metadata is stored as '', as in Kafka
    ]);
    const metadata = await b.send(ApiKey.Metadata, 12, { topics: null, allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
    assert.deepEqual(
      metadata.topics.map((t) => [t.name, t.isInternal]).sort(),
      [['__consumer_offsets', true], ['orders', false]],
      'all topics include __consumer_offsets, marked internal (clients filter it)',
    );

    // The member never comes back: its session, running since the load, expires and the group empties.
    const deadline = Date.now() + 10_000;
    for (;;) {
      const now = await b.send(ApiKey.DescribeGroups, 5, { groups: ['kept'], includeAuthorizedOperations: false });
      if (now.groups[0]!.groupState === 'Empty') {
        assert.equal(now.groups[0]!.members.length, 0);
        break;
      }
      assert.ok(Date.now() < deadline, `the restored member expires (state ${now.groups[0]!.groupState})`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const after = await b.send(ApiKey.OffsetFetch, 8, { groups: [{ groupId: 'kept', topics: [{ name: 'orders', partitionIndexes: [2] }] }], requireStable: true });
    assert.equal(after.groups[0]!.topics[0]!.partitions[0]!.committedOffset, 42n, 'offsets outlive the membership');
  } finally {
    for (const c of clients) c.close();
    await broker.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('groups protocol: a JoinGroup while __consumer_offsets is being created waits for it instead of NOT_COORDINATOR', async () => {
  const broker = await Broker.start({ config: { 'group.initial.rebalance.delay.ms': 0 } });
  const a = await RawClient.connect(broker.bootstrap);
  const b = await RawClient.connect(broker.bootstrap);
  try {
    // a's FindCoordinator creates the topic; b sees it in Metadata as soon as it commits, maybe before its logs are open.
    const found = a.send(ApiKey.FindCoordinator, 3, { key: 'early', keyType: 0 });
    for (;;) {
      const m = await b.send(ApiKey.Metadata, 12, { topics: [{ name: '__consumer_offsets' }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
      if (m.topics[0]!.errorCode === ErrorCode.NONE) break;
    }
    const early = await join(b, 'early', '', null);
    assert.equal(early.errorCode, ErrorCode.MEMBER_ID_REQUIRED, 'served by the coordinator, not sent away');
    assert.equal((await found).errorCode, ErrorCode.NONE);
  } finally {
    a.close();
    b.close();
    await broker.stop();
  }
});
