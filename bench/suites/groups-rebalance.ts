/**
 * groups.rebalance: how long a classic-protocol rebalance takes at the
 * coordinator, measured with raw requests (no client-side heartbeat delays).
 *
 * - `round-trip.1`: one member, alone in its group, rejoins and syncs: the
 *   least a rebalance can cost a client (two round trips and one durable
 *   write of the group's assignment). This is the yardstick.
 * - `rebalance.10x100`: ten members of a group on a 100-partition topic all
 *   rejoin (the leader first, as when a member's subscription changes), the
 *   leader computes a range assignment, everyone syncs; from the first
 *   JoinGroup sent to the last SyncGroup answered.
 * - `ratio`: rebalance.10x100 / round-trip.1; the goal is at most 2.
 *
 * The members run in a worker thread, as clients run in their own processes:
 * their encoding, decoding and assignment work does not queue on the broker's
 * event loop (in one thread it did, ten times over for ten members, and that
 * alone put the ratio above 2 on an idle machine).
 *
 * Medians over repeated rounds within the time budget, the two kinds
 * interleaved so both see the same machine.
 */
import { performance } from 'node:perf_hooks';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import type { Suite } from '../suite.js';
import { Broker } from '../../src/broker/embedded.js';
import { ApiKey } from '../../src/protocol/generated/api-registry.js';
import { ErrorCode } from '../../src/protocol/errors/error-codes.js';
import { Writer } from '../../src/protocol/primitives/writer.js';
import { encodeConsumerProtocolSubscription } from '../../src/protocol/generated/messages/consumer-protocol-subscription.js';
import { encodeConsumerProtocolAssignment } from '../../src/protocol/generated/messages/consumer-protocol-assignment.js';
import type { JoinGroupResponse } from '../../src/protocol/generated/messages/join-group-response.js';
import { RawClient } from '../../test/e2e/support/raw-client.js';

const MEMBERS = 10;
const PARTITIONS = 100;
const JOIN_V = 5;
const SYNC_V = 3;
const HEARTBEAT_V = 4;
const ROUNDS_MIN = 5;

function subscription(): Buffer {
  const w = new Writer();
  w.writeInt16(0);
  encodeConsumerProtocolSubscription(w, 0, { topics: ['bench-orders'], userData: null });
  return w.toBuffer();
}

function rangeAssignment(memberIds: string[]): Array<{ memberId: string; assignment: Buffer }> {
  const sorted = [...memberIds].sort();
  return sorted.map((memberId, i) => {
    const per = Math.floor(PARTITIONS / sorted.length);
    const extra = i < PARTITIONS % sorted.length ? 1 : 0;
    const start = i * per + Math.min(i, PARTITIONS % sorted.length);
    const w = new Writer();
    w.writeInt16(0);
    encodeConsumerProtocolAssignment(w, 0, {
      assignedPartitions: [{ topic: 'bench-orders', partitions: Array.from({ length: per + extra }, (_, k) => start + k) }],
      userData: null,
    });
    return { memberId, assignment: w.toBuffer() };
  });
}

interface Member {
  readonly client: RawClient;
  memberId: string;
}

function join(m: Member, group: string): Promise<JoinGroupResponse> {
  return m.client.send(ApiKey.JoinGroup, JOIN_V, {
    groupId: group,
    sessionTimeoutMs: 30_000,
    rebalanceTimeoutMs: 30_000,
    memberId: m.memberId,
    groupInstanceId: null,
    protocolType: 'consumer',
    protocols: [{ name: 'range', metadata: subscription() }],
  });
}

/**
 * All members rejoin (the leader first, when given) and sync; resolves with
 * the generation's leader once every SyncGroup is answered. A follower whose
 * JoinGroup overtook the leader's gets the old generation back and rejoins.
 */
async function rebalance(members: Member[], group: string, leaderFirst: Member | null, previousGeneration: number): Promise<{ leader: Member; generation: number }> {
  const joinNew = async (m: Member): Promise<JoinGroupResponse> => {
    for (;;) {
      const r = await join(m, group);
      if (r.errorCode !== 0) throw new Error(`JoinGroup failed with ${r.errorCode}`);
      if (r.generationId > previousGeneration) return r;
    }
  };
  const order = leaderFirst === null ? members : [leaderFirst, ...members.filter((m) => m !== leaderFirst)];
  const responses = await Promise.all(order.map((m) => joinNew(m)));
  let leader: Member | null = null;
  const syncs = responses.map((r, i) => {
    const m = order[i]!;
    m.memberId = r.memberId;
    const isLeader = r.leader === r.memberId;
    if (isLeader) leader = m;
    const assignments = isLeader ? rangeAssignment(r.members.map((x) => x.memberId)) : [];
    return m.client.send(ApiKey.SyncGroup, SYNC_V, { groupId: group, generationId: r.generationId, memberId: r.memberId, assignments });
  });
  for (const s of await Promise.all(syncs)) if (s.errorCode !== 0) throw new Error(`SyncGroup failed with ${s.errorCode}`);
  if (leader === null) throw new Error('no leader in the generation');
  return { leader, generation: responses[0]!.generationId };
}

/**
 * First join: KIP-394 hands out member ids, then the group forms, with each
 * member behaving as a real consumer does: it syncs as soon as its JoinGroup
 * is answered (without waiting for the others), and heartbeats after a
 * successful sync, rejoining when told REBALANCE_IN_PROGRESS. With
 * group.initial.rebalance.delay.ms=0 the first generation may hold only the
 * members whose joins arrived first; the late ones then trigger another
 * rebalance that waits for the early ones to rejoin. (Holding the early
 * members until everyone's JoinGroup was answered, as the timed rounds do,
 * deadlocked there until their 30 s sessions expired and the coordinator
 * rightly removed them: SyncGroup then failed with UNKNOWN_MEMBER_ID.)
 * Done once every member has synced in the same generation.
 */
async function form(members: Member[], group: string): Promise<{ leader: Member; generation: number }> {
  await Promise.all(
    members.map(async (m) => {
      const first = await join(m, group);
      m.memberId = first.memberId;
    }),
  );
  /** Members whose SyncGroup succeeded and that have not been told to rejoin since: generation, and whether they lead it. */
  const synced = new Map<Member, { generation: number; isLeader: boolean }>();
  const formed = (): number | null => {
    if (synced.size !== members.length) return null;
    const generations = new Set([...synced.values()].map((x) => x.generation));
    return generations.size === 1 ? [...generations][0]! : null;
  };
  const runMember = async (m: Member): Promise<void> => {
    for (;;) {
      const r = await join(m, group);
      if (r.errorCode !== 0) throw new Error(`JoinGroup failed with ${r.errorCode}`);
      m.memberId = r.memberId;
      const isLeader = r.leader === r.memberId;
      const assignments = isLeader ? rangeAssignment(r.members.map((x) => x.memberId)) : [];
      const s = await m.client.send(ApiKey.SyncGroup, SYNC_V, { groupId: group, generationId: r.generationId, memberId: r.memberId, assignments });
      if (s.errorCode === ErrorCode.REBALANCE_IN_PROGRESS) continue;
      if (s.errorCode !== 0) throw new Error(`SyncGroup failed with ${s.errorCode}`);
      synced.set(m, { generation: r.generationId, isLeader });
      for (;;) {
        if (formed() !== null) return;
        const hb = await m.client.send(ApiKey.Heartbeat, HEARTBEAT_V, { groupId: group, generationId: r.generationId, memberId: r.memberId, groupInstanceId: null });
        if (hb.errorCode === ErrorCode.REBALANCE_IN_PROGRESS) break;
        if (hb.errorCode !== 0) throw new Error(`Heartbeat failed with ${hb.errorCode}`);
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
      synced.delete(m);
    }
  };
  await Promise.all(members.map((m) => runMember(m)));
  const generation = formed();
  const leader = [...synced].find(([, x]) => x.isLeader)?.[0];
  if (generation === null || leader === undefined) throw new Error(`group ${group} did not form`);
  return { leader, generation };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

interface MembersJob {
  readonly role: 'groups.rebalance members';
  readonly bootstrap: string;
  readonly durationMs: number;
}

interface MembersResult {
  readonly single: number[];
  readonly ten: number[];
}

/** The worker's side: forms both groups, then times alternating rebalances until the budget is spent. */
async function runMembers(job: MembersJob): Promise<MembersResult> {
  const clients: RawClient[] = [];
  try {
    const solo: Member = { client: await RawClient.connect(job.bootstrap), memberId: '' };
    clients.push(solo.client);
    const members: Member[] = [];
    for (let i = 0; i < MEMBERS; i++) {
      const client = await RawClient.connect(job.bootstrap);
      clients.push(client);
      members.push({ client, memberId: '' });
    }
    let soloState = await form([solo], 'bench-solo');
    let tenState = await form(members, 'bench-ten');

    const single: number[] = [];
    const ten: number[] = [];
    const deadline = performance.now() + job.durationMs;
    while (performance.now() < deadline || single.length < ROUNDS_MIN) {
      let t0 = performance.now();
      soloState = await rebalance([solo], 'bench-solo', solo, soloState.generation);
      single.push(performance.now() - t0);
      t0 = performance.now();
      tenState = await rebalance(members, 'bench-ten', tenState.leader, tenState.generation);
      ten.push(performance.now() - t0);
    }
    return { single, ten };
  } finally {
    for (const c of clients) c.close();
  }
}

function isMembersJob(data: unknown): data is MembersJob {
  return typeof data === 'object' && data !== null && (data as { role?: unknown }).role === 'groups.rebalance members';
}

if (!isMainThread && isMembersJob(workerData)) {
  const port = parentPort!;
  runMembers(workerData).then(
    (result) => port.postMessage({ ok: true, result }),
    (err: unknown) => port.postMessage({ ok: false, message: err instanceof Error ? (err.stack ?? err.message) : String(err) }),
  );
}

/** Runs the members in a worker thread and waits for its timings. */
function timeInWorker(job: MembersJob): Promise<MembersResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL(import.meta.url), { workerData: job });
    let settled = false;
    worker.once('message', (message: { ok: true; result: MembersResult } | { ok: false; message: string }) => {
      settled = true;
      if (message.ok) resolve(message.result);
      else reject(new Error(`members worker: ${message.message}`));
      void worker.terminate();
    });
    worker.once('error', (err) => {
      settled = true;
      reject(err);
    });
    worker.once('exit', (code) => {
      if (!settled) reject(new Error(`members worker exited with ${code}`));
    });
  });
}

export const groupsRebalance: Suite = {
  name: 'groups.rebalance',
  description: `classic rebalance of ${MEMBERS} members on ${PARTITIONS} partitions vs one member's join+sync round trip`,
  async run(ctx) {
    const broker = await Broker.start({ dataDir: ctx.tmpDir, config: { 'group.initial.rebalance.delay.ms': 0 } });
    const admin = await RawClient.connect(broker.bootstrap);
    try {
      await admin.send(ApiKey.CreateTopics, 5, {
        topics: [{ name: 'bench-orders', numPartitions: PARTITIONS, replicationFactor: 1, assignments: [], configs: [] }],
        timeoutMs: 10_000,
      });
      await admin.send(ApiKey.FindCoordinator, 3, { key: 'bench', keyType: 0 });

      const { single, ten } = await timeInWorker({ role: 'groups.rebalance members', bootstrap: broker.bootstrap, durationMs: ctx.durationMs });
      const roundTripMs = median(single);
      const rebalanceMs = median(ten);
      ctx.log(`${ten.length} rounds: single ${roundTripMs.toFixed(2)} ms, ten ${rebalanceMs.toFixed(2)} ms`);
      return [
        { metric: 'round-trip.1', value: roundTripMs, unit: 'ms' },
        { metric: 'rebalance.10x100', value: rebalanceMs, unit: 'ms' },
        { metric: 'ratio', value: rebalanceMs / roundTripMs, unit: 'x' },
      ];
    } finally {
      admin.close();
      await broker.stop();
    }
  },
};
