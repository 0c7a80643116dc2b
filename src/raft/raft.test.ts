import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../platform/clock.js';
import { seededRandom } from '../platform/random.js';
import { SimulatedFileSystem } from '../platform/simulated-file-system.js';
import { ManualScheduler } from '../storage/scheduler.js';
import { buildRecordBatch } from '../protocol/records/batch-builder.js';
import { decodeRaftMessage, encodeRaftMessage, type RaftMessage } from './messages.js';
import { QuorumStateStore } from './quorum-state.js';
import { RaftLog } from './raft-log.js';
import { NotLeaderError, RaftNode } from './raft-node.js';

const dir = '/meta/__cluster_metadata-0';

async function openNode(fs: SimulatedFileSystem, clock: ManualClock, voters: number[] = [1]): Promise<RaftNode> {
  const log = await RaftLog.open({ fs, clock, dir, scheduler: new ManualScheduler(clock) });
  return new RaftNode({ nodeId: 1, voters, clusterId: 'c', log, store: new QuorumStateStore(fs, dir, voters), random: seededRandom(7), wallClockMs: () => clock.nowMs() });
}

test('quorum-state: Kafka JSON, read back; garbage is an error', async () => {
  const fs = new SimulatedFileSystem();
  fs.mkdir(dir);
  const store = new QuorumStateStore(fs, dir, [1, 2, 3]);
  assert.equal(store.read(), undefined);
  await store.write({ epoch: 4, leaderId: 2, votedId: 3 });
  assert.equal(
    fs.readFile(store.path).toString(),
    '{"clusterId":"","leaderId":2,"leaderEpoch":4,"votedId":3,"appliedOffset":0,"currentVoters":[{"voterId":1},{"voterId":2},{"voterId":3}],"data_version":0}',
  );
  assert.deepEqual(store.read(), { epoch: 4, leaderId: 2, votedId: 3 });
  // Kafka 3.8+ writes version 1 (no voters, a directory id); we read it too.
  await fs.writeFileAtomic(store.path, Buffer.from('{"leaderId":-1,"leaderEpoch":9,"votedId":1,"votedDirectoryId":"J8aAPcfLQt2bqs1JT_rMgQ","data_version":1}'));
  assert.deepEqual(store.read(), { epoch: 9, leaderId: -1, votedId: 1 });
  await fs.writeFileAtomic(store.path, Buffer.from('{"leaderEpoch":1}'));
  assert.throws(() => store.read(), /data_version/);
});

test('one voter elects itself, commits after fsync, and survives a crash with its epoch and committed data', async () => {
  const clock = new ManualClock();
  const fs = new SimulatedFileSystem(clock);
  fs.mkdir('/meta');
  let node = await openNode(fs, clock);
  assert.throws(() => node.append([Buffer.from('x')]), NotLeaderError);
  await node.poll(0);
  assert.equal(node.role, 'leader');
  assert.equal(node.epoch, 1);
  assert.equal(node.highWatermark, 1);
  const leaderChange = node.takeCommitted();
  assert.deepEqual(leaderChange.map((e) => [e.baseOffset, e.isControl]), [[0, true]]);
  const batch = node.append([Buffer.from('a'), Buffer.from('b')]);
  assert.deepEqual([batch.baseOffset, batch.lastOffset, batch.epoch], [1, 2, 1]);
  assert.equal(node.highWatermark, 1, 'not committed before the poll that fsyncs it');
  await node.poll(1);
  const committed = node.takeCommitted();
  assert.deepEqual(committed.map((e) => e.records.map(String)), [['a', 'b']]);
  node.append([Buffer.from('lost')]);
  // Power cut before the next poll: the unsynced batch goes, the committed one stays.
  fs.crash();
  node = await openNode(fs, clock);
  assert.equal(node.epoch, 1);
  await node.poll(2);
  assert.equal(node.epoch, 2);
  assert.equal(node.log.endOffset, 4);
  assert.deepEqual(node.takeCommitted().map((e) => (e.isControl ? 'leader-change' : e.records.map(String).join(','))), ['leader-change', 'a,b', 'leader-change']);
});

test('three voters: a lone node only campaigns, and never leads without votes', async () => {
  const clock = new ManualClock();
  const fs = new SimulatedFileSystem(clock);
  fs.mkdir('/meta');
  const node = await openNode(fs, clock, [1, 2, 3]);
  await node.poll(0);
  assert.equal(node.role, 'unattached');
  const deadline = node.nextDeadlineMs();
  assert.ok(deadline >= 1000 && deadline < 2000, `election timeout ${deadline}`);
  await node.poll(deadline);
  assert.equal(node.role, 'candidate');
  const votes = node.takeOutbound();
  assert.deepEqual(votes.map((m) => [m.to, m.body.kind]), [
    [2, 'VoteRequest'],
    [3, 'VoteRequest'],
  ]);
  // A vote from 2 makes a majority of three.
  const request = votes[0]!;
  const grant: RaftMessage = {
    from: 2,
    to: 1,
    correlationId: request.correlationId,
    body: {
      kind: 'VoteResponse',
      data: { errorCode: 0, topics: [{ topicName: '__cluster_metadata', partitions: [{ partitionIndex: 0, errorCode: 0, leaderId: -1, leaderEpoch: node.epoch, voteGranted: true }] }], nodeEndpoints: [] },
    },
  };
  node.receive(decodeRaftMessage(encodeRaftMessage(grant)));
  await node.poll(deadline + 5);
  assert.equal(node.role, 'leader');
  assert.deepEqual(
    node.takeOutbound().map((m) => [m.to, m.body.kind]),
    [
      [2, 'BeginQuorumEpochRequest'],
      [3, 'BeginQuorumEpochRequest'],
    ],
  );
  // The LeaderChange is durable on the leader but not on a majority: not committed.
  assert.equal(node.highWatermark, 0);
});

test('a fetched batch that does not start at the log end is refused', async () => {
  const clock = new ManualClock();
  const fs = new SimulatedFileSystem(clock);
  fs.mkdir('/meta');
  const log = await RaftLog.open({ fs, clock, dir, scheduler: new ManualScheduler(clock) });
  const batch = buildRecordBatch({ records: [{ value: Buffer.from('v') }], baseOffset: 3, partitionLeaderEpoch: 1 });
  assert.throws(() => log.appendAsFollower(batch), /expected 0/);
  const first = buildRecordBatch({ records: [{ value: Buffer.from('v') }], baseOffset: 0, partitionLeaderEpoch: 1 });
  first[first.length - 1] ^= 1;
  assert.throws(() => log.appendAsFollower(first), /CRC/);
});
