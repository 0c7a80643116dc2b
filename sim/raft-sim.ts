/**
 * A seeded simulation of a Raft quorum (in the spirit of Kafka's
 * RaftEventSimulationTest and TigerBeetle's VOPR): three or five voters in
 * one process, each with its own simulated disk, talking over an in-memory
 * network that drops, delays, reorders and duplicates messages and can be
 * partitioned. Nodes crash (unsynced data is lost, tails may be torn, and
 * disks sometimes fail a write or an fsync) and restart from what their disk
 * kept. Clients append to whoever is leader.
 *
 * After every event (a poll of one node, one fault, one client append) the
 * invariants are checked:
 *   - at most one leader per epoch;
 *   - a node's epoch never goes back, not even across a crash;
 *   - a node's high watermark never goes back while it lives;
 *   - committed batches never change: every batch below any node's high
 *     watermark, and every batch any node hands out as committed, equals the
 *     one recorded for that offset the first time anyone committed it;
 *   - a new leader's log holds every committed batch;
 * and at the end, after healing the network and restarting every node, the
 * quorum must elect a leader, commit a new append and bring every node's log
 * to the same end with every committed and acknowledged batch in it.
 *
 * Everything is drawn from one seeded Random, and every step is awaited to
 * completion before the next, so a seed replays exactly:
 * `node dist/sim/run.js --seed N --trace`.
 */
import { ManualClock } from '../src/platform/clock.js';
import { errorCode } from '../src/platform/file-system.js';
import { seededRandom, type Random } from '../src/platform/random.js';
import { SimulatedFileSystem } from '../src/platform/simulated-file-system.js';
import { defaultLogConfig } from '../src/storage/config.js';
import { ManualScheduler } from '../src/storage/scheduler.js';
import { QuorumStateStore } from '../src/raft/quorum-state.js';
import { RaftLog, metadataLogConfig, type BatchInfo } from '../src/raft/raft-log.js';
import { RaftNode, type RaftConfig, type RaftRole } from '../src/raft/raft-node.js';
import { SimNetwork } from './network.js';

export interface SimOptions {
  readonly seed: number;
  /** Voters; 3 or 5 when not given (drawn from the seed). */
  readonly voterCount?: number;
  /** Simulated milliseconds of faults before the final healing phase. */
  readonly chaosMs?: number;
  /** Every trace line as it happens (otherwise the last lines come with a failure). */
  readonly trace?: (line: string) => void;
}

export interface SimResult {
  readonly seed: number;
  readonly voters: number;
  readonly events: number;
  readonly simulatedMs: number;
  readonly committedOffset: number;
  readonly appendsAcked: number;
  readonly leaderEpochs: number;
  readonly crashes: number;
  readonly messages: number;
}

export class InvariantViolation extends Error {
  override readonly name = 'InvariantViolation';
}

const PARTITION_DIR = '/meta/__cluster_metadata-0';
const HEAL_TIMEOUT_MS = 30_000;
const TRACE_KEPT = 400;

const simRaftConfig: Partial<RaftConfig> = {
  electionTimeoutMs: 100,
  electionBackoffMaxMs: 100,
  fetchTimeoutMs: 200,
  requestTimeoutMs: 100,
  retryBackoffMs: 10,
  fetchMaxWaitMs: 50,
  fetchMaxBytes: 2048,
};

interface SimNode {
  readonly id: number;
  readonly fs: SimulatedFileSystem;
  raft: RaftNode | null;
  incarnation: number;
  downUntilMs: number;
  /** Highest epoch ever seen on this node (quorum-state is durable). */
  maxEpoch: number;
  /** High watermark seen in this incarnation. */
  hw: number;
  /** Batches below hw already compared with the committed record (this incarnation). */
  checkedTo: number;
  lastRole: RaftRole | 'down';
}

interface PendingAppend {
  readonly node: number;
  readonly incarnation: number;
  readonly batch: BatchInfo;
}

function sameBatch(a: BatchInfo, b: BatchInfo): boolean {
  return a.baseOffset === b.baseOffset && a.lastOffset === b.lastOffset && a.epoch === b.epoch && a.crc === b.crc;
}

function describeBatch(b: BatchInfo): string {
  return `${b.baseOffset}..${b.lastOffset}@e${b.epoch}/${b.crc.toString(16)}`;
}

/** A storage failure (injected EIO, a log taken offline): the node dies, which the simulation allows. */
function isDiskFailure(err: unknown): boolean {
  if (errorCode(err) !== undefined) return true;
  const name = err instanceof Error ? err.name : '';
  return name === 'LogOfflineError' || name === 'StorageError';
}

export class RaftSimulation {
  private readonly random: Random;
  private readonly clock = new ManualClock(1_700_000_000_000);
  private readonly network: SimNetwork;
  private readonly nodes: SimNode[] = [];
  private readonly voterIds: number[];
  private readonly segmentBytes: number;
  private readonly chaosMs: number;
  private readonly traceLines: string[] = [];

  /** The committed batch at each base offset, as first seen committed. */
  private readonly committed = new Map<number, BatchInfo>();
  private committedEnd = 0;
  private readonly leaders = new Map<number, number>();
  private pending: PendingAppend[] = [];
  private acked: BatchInfo[] = [];
  private appendCount = 0;
  private events = 0;
  private crashes = 0;
  private nextFaultMs = 0;
  private nextAppendMs = 0;
  private chaos = true;
  private readonly crashAfterPollProbability: number;

  constructor(private readonly options: SimOptions) {
    this.random = seededRandom(options.seed);
    this.network = new SimNetwork(this.random);
    const count = options.voterCount ?? (this.random.chance(0.5) ? 3 : 5);
    this.voterIds = Array.from({ length: count }, (_, i) => i + 1);
    this.segmentBytes = 2048 + this.random.int(8192);
    this.chaosMs = options.chaosMs ?? 6_000;
    this.crashAfterPollProbability = this.random.next() * 0.003;
    for (const id of this.voterIds) {
      const fs = new SimulatedFileSystem(this.clock);
      fs.mkdir('/meta');
      this.nodes.push({ id, fs, raft: null, incarnation: 0, downUntilMs: 0, maxEpoch: 0, hw: 0, checkedTo: 0, lastRole: 'down' });
    }
  }

  private get now(): number {
    return this.clock.monotonicMs();
  }

  private trace(line: string): void {
    const text = `${String(this.now).padStart(6)} ${line}`;
    this.options.trace?.(text);
    this.traceLines.push(text);
    if (this.traceLines.length > TRACE_KEPT) this.traceLines.shift();
  }

  private fail(message: string): never {
    throw new InvariantViolation(
      `seed ${this.options.seed}: ${message}\n--- last trace lines ---\n${this.traceLines.join('\n')}\n--- nodes ---\n${this.describeNodes()}`,
    );
  }

  private describeNodes(): string {
    return this.nodes
      .map((n) => {
        const r = n.raft;
        if (r === null) return `n${n.id} down until ${n.downUntilMs}`;
        return `n${n.id} ${r.role} epoch ${r.epoch} leader ${r.leaderId} voted ${r.votedId} log ${r.log.endOffset}@e${r.log.lastEpoch} durable ${r.log.durableEndOffset} hw ${r.highWatermark} next ${r.nextDeadlineMs()}`;
      })
      .join('\n');
  }

  // ==========================================================================
  // Nodes

  private async start(node: SimNode): Promise<void> {
    node.incarnation++;
    node.hw = 0;
    node.checkedTo = 0;
    const scheduler = new ManualScheduler(this.clock);
    const log = await RaftLog.open({
      fs: node.fs,
      clock: this.clock,
      dir: PARTITION_DIR,
      scheduler,
      config: { ...metadataLogConfig, 'segment.bytes': this.segmentBytes, 'max.message.bytes': defaultLogConfig['max.message.bytes'] },
    });
    node.raft = new RaftNode({
      nodeId: node.id,
      voters: this.voterIds,
      clusterId: 'sim-cluster',
      log,
      store: new QuorumStateStore(node.fs, PARTITION_DIR, this.voterIds),
      random: seededRandom(this.random.int(2 ** 31)),
      wallClockMs: () => this.clock.nowMs(),
      config: simRaftConfig,
      onTransition: (raft, from) => this.trace(`n${raft.nodeId} ${from} -> ${raft.role} epoch ${raft.epoch} leader ${raft.leaderId} voted ${raft.votedId} log ${raft.log.endOffset}@e${raft.log.lastEpoch}`),
    });
    this.trace(`n${node.id} started (incarnation ${node.incarnation}) log end ${log.endOffset} last epoch ${log.lastEpoch}`);
  }

  private crash(node: SimNode, why: string): void {
    if (node.raft === null) return;
    this.crashes++;
    node.raft.log.closeAbruptly();
    node.raft = null;
    this.pending = this.pending.filter((p) => p.node !== node.id);
    node.fs.clearFaults();
    node.fs.crash({ random: this.random, tearProbability: 0.5 });
    this.network.dropFor(node.id);
    node.downUntilMs = this.now + (this.random.chance(0.5) ? 1 + this.random.int(50) : 20 + this.random.int(1000));
    node.lastRole = 'down';
    this.trace(`n${node.id} CRASH (${why})`);
  }

  /** Runs one step of a node; a disk failure crashes it, anything else is a bug. */
  private async step(node: SimNode, what: string, fn: (raft: RaftNode) => Promise<void> | void): Promise<void> {
    const raft = node.raft;
    if (raft === null) return;
    try {
      await fn(raft);
    } catch (err) {
      if (isDiskFailure(err)) {
        this.crash(node, `${what}: ${(err as Error).message}`);
        return;
      }
      this.fail(`n${node.id} ${what} threw ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    }
    if (node.raft === null) return;
    for (const m of raft.takeOutbound()) this.network.send(this.now, m);
    for (const entry of raft.takeCommitted()) this.onCommitted(node, entry);
  }

  // ==========================================================================
  // Invariants

  private recordCommitted(node: SimNode, batch: BatchInfo, how: string): void {
    const known = this.committed.get(batch.baseOffset);
    if (known === undefined) {
      this.committed.set(batch.baseOffset, { baseOffset: batch.baseOffset, lastOffset: batch.lastOffset, epoch: batch.epoch, crc: batch.crc, isControl: batch.isControl });
      this.committedEnd = Math.max(this.committedEnd, batch.lastOffset + 1);
      return;
    }
    if (!sameBatch(known, batch)) {
      this.fail(`committed batch changed at ${batch.baseOffset}: n${node.id} ${how} ${describeBatch(batch)}, committed before as ${describeBatch(known)}`);
    }
  }

  private onCommitted(node: SimNode, entry: BatchInfo): void {
    this.recordCommitted(node, entry, 'delivered');
    const still: PendingAppend[] = [];
    for (const p of this.pending) {
      if (p.node === node.id && p.incarnation === node.incarnation && entry.lastOffset >= p.batch.baseOffset) {
        // Committed as appended, or replaced by another leader's batch (lost, never acknowledged).
        if (sameBatch(p.batch, entry)) {
          this.acked.push(p.batch);
          this.trace(`ack ${describeBatch(entry)} from n${node.id}`);
        } else {
          this.trace(`lost ${describeBatch(p.batch)} appended on n${node.id}`);
        }
        continue;
      }
      still.push(p);
    }
    this.pending = still;
  }

  private checkInvariants(): void {
    for (const node of this.nodes) {
      const raft = node.raft;
      if (raft === null) continue;
      if (raft.epoch < node.maxEpoch) this.fail(`n${node.id} epoch went back from ${node.maxEpoch} to ${raft.epoch}`);
      node.maxEpoch = raft.epoch;
      if (raft.highWatermark < node.hw) this.fail(`n${node.id} high watermark went back from ${node.hw} to ${raft.highWatermark}`);
      node.hw = raft.highWatermark;
      if (raft.highWatermark > raft.log.endOffset) this.fail(`n${node.id} high watermark ${raft.highWatermark} past its log end ${raft.log.endOffset}`);

      if (raft.role === 'leader') {
        const other = this.leaders.get(raft.epoch);
        if (other !== undefined && other !== node.id) this.fail(`two leaders in epoch ${raft.epoch}: n${other} and n${node.id}`);
        if (other === undefined) {
          this.leaders.set(raft.epoch, node.id);
          this.checkLeaderCompleteness(node, raft);
        }
      }
      if (raft.role !== node.lastRole) node.lastRole = raft.role;

      // Everything below this node's high watermark is committed: compare it with the record.
      if (node.checkedTo < raft.highWatermark) {
        const batches = raft.log.batchInfos();
        let i = lowerBound(batches, node.checkedTo);
        for (; i < batches.length; i++) {
          const b = batches[i]!;
          if (b.lastOffset >= raft.highWatermark) break;
          this.recordCommitted(node, b, 'holds below its high watermark');
        }
        node.checkedTo = raft.highWatermark;
      }
    }
  }

  private checkLeaderCompleteness(node: SimNode, raft: RaftNode): void {
    for (const batch of this.committed.values()) {
      const mine = raft.log.batchAt(batch.baseOffset);
      if (mine === undefined || !sameBatch(mine, batch)) {
        this.fail(`n${node.id} leads epoch ${raft.epoch} without committed batch ${describeBatch(batch)} (it has ${mine === undefined ? 'nothing' : describeBatch(mine)})`);
      }
    }
  }

  // ==========================================================================
  // Faults and clients

  private liveNodes(): SimNode[] {
    return this.nodes.filter((n) => n.raft !== null);
  }

  private async injectFault(): Promise<void> {
    const live = this.liveNodes();
    const roll = this.random.int(100);
    if (roll < 22 && live.length > 0) {
      this.crash(live[this.random.int(live.length)]!, 'scheduled');
    } else if (roll < 32) {
      const leader = live.find((n) => n.raft?.role === 'leader');
      if (leader !== undefined) this.crash(leader, 'scheduled, the leader');
    } else if (roll < 47) {
      const shuffled = [...this.voterIds].sort(() => this.random.next() - 0.5);
      const cut = 1 + this.random.int(shuffled.length - 1);
      const groups = [shuffled.slice(0, cut), shuffled.slice(cut)];
      this.network.partition(groups);
      this.trace(`partition ${groups.map((g) => `[${g.join(',')}]`).join(' ')}`);
    } else if (roll < 52) {
      const a = this.voterIds[this.random.int(this.voterIds.length)]!;
      const b = this.voterIds[this.random.int(this.voterIds.length)]!;
      if (a !== b) {
        this.network.blockOneWay(a, b);
        this.trace(`block ${a}>${b}`);
      }
    } else if (roll < 67) {
      this.network.heal();
      this.trace('heal network');
    } else if (roll < 77) {
      this.network.faults = {
        dropProbability: this.random.chance(0.5) ? 0 : this.random.next() * 0.3,
        duplicateProbability: this.random.next() * 0.05,
        delayMinMs: 1,
        delayMaxMs: 1 + this.random.int(this.random.chance(0.2) ? 300 : 40),
      };
      this.trace(`network faults ${JSON.stringify(this.network.faults)}`);
    } else if (roll < 85 && live.length > 0) {
      const node = live[this.random.int(live.length)]!;
      node.fs.faults = {
        random: this.random,
        syncErrorProbability: this.random.next() * 0.02,
        writeErrorProbability: this.random.next() * 0.01,
        shortWriteProbability: 0.1,
        pathIncludes: '__cluster_metadata',
      };
      this.trace(`n${node.id} disk turns flaky`);
    } else if (roll < 92) {
      const leader = live.find((n) => n.raft?.role === 'leader');
      if (leader !== undefined) {
        this.trace(`n${leader.id} resigns`);
        await this.step(leader, 'resign', (raft) => raft.resign(this.now));
      }
    }
  }

  private async clientAppend(): Promise<void> {
    const leaders = this.liveNodes().filter((n) => n.raft?.role === 'leader');
    if (leaders.length === 0) return;
    const node = leaders[this.random.int(leaders.length)]!;
    const count = 1 + this.random.int(3);
    const values: Buffer[] = [];
    for (let i = 0; i < count; i++) values.push(Buffer.from(`s${this.options.seed}-a${this.appendCount}-${i}`));
    this.appendCount++;
    await this.step(node, 'append', (raft) => {
      const batch = raft.append(values);
      this.pending.push({ node: node.id, incarnation: node.incarnation, batch });
      this.trace(`n${node.id} append ${describeBatch(batch)}`);
    });
  }

  // ==========================================================================
  // The loop

  private nextEventMs(): number {
    let next = this.network.nextDeliveryMs();
    for (const node of this.nodes) {
      next = Math.min(next, node.raft === null ? node.downUntilMs : node.raft.nextDeadlineMs());
    }
    if (this.chaos) next = Math.min(next, this.nextFaultMs);
    next = Math.min(next, this.nextAppendMs);
    return next;
  }

  private async runUntil(endMs: number, done: () => boolean = () => false): Promise<boolean> {
    while (this.now < endMs) {
      if (done()) return true;
      const next = Math.min(Math.max(this.nextEventMs(), this.now), endMs);
      if (next > this.now) this.clock.advance(next - this.now);
      const now = this.now;

      if (this.chaos && now >= this.nextFaultMs) {
        this.nextFaultMs = now + 50 + this.random.int(600);
        await this.injectFault();
        this.events++;
        this.checkInvariants();
      }
      if (now >= this.nextAppendMs) {
        this.nextAppendMs = now + 5 + this.random.int(100);
        await this.clientAppend();
        this.events++;
        this.checkInvariants();
      }
      for (const node of this.nodes) {
        if (node.raft === null && now >= node.downUntilMs) {
          if (!this.chaos || this.random.chance(0.7)) await this.start(node);
          else node.downUntilMs = now + 100 + this.random.int(500);
        }
      }
      for (const message of this.network.takeDue(now)) {
        const node = this.nodes[message.to - 1]!;
        node.raft?.receive(message);
      }
      for (const node of this.nodes) {
        if (node.raft === null || node.raft.nextDeadlineMs() > now) continue;
        await this.step(node, 'poll', (raft) => raft.poll(now));
        this.events++;
        this.checkInvariants();
        // Crashes at arbitrary points, not only on the fault schedule: right after a vote, an append, a truncation.
        if (this.chaos && this.random.chance(this.crashAfterPollProbability)) this.crash(node, 'right after a poll');
      }
    }
    return done();
  }

  private converged(): boolean {
    const live = this.liveNodes();
    if (live.length !== this.nodes.length) return false;
    const leader = live.find((n) => n.raft!.role === 'leader');
    if (leader === undefined) return false;
    const end = leader.raft!.log.endOffset;
    if (leader.raft!.highWatermark !== end || end < this.committedEnd) return false;
    // Appends of this leader's epoch must have come back committed (older ones may be lost).
    if (this.pending.some((p) => p.node === leader.id && p.batch.epoch === leader.raft!.epoch)) return false;
    return live.every((n) => n.raft!.log.endOffset === end && n.raft!.highWatermark === end);
  }

  async run(): Promise<SimResult> {
    for (const node of this.nodes) await this.start(node);
    this.nextFaultMs = 100 + this.random.int(400);
    await this.runUntil(this.chaosMs);

    // Heal: no more faults; every node comes back; the quorum must make progress.
    this.chaos = false;
    this.network.heal();
    this.network.faults = { dropProbability: 0, duplicateProbability: 0, delayMinMs: 1, delayMaxMs: 10 };
    for (const node of this.nodes) node.fs.clearFaults();
    this.trace('--- heal: no faults from here on ---');
    const healStartMs = this.now;
    const ackedAtHeal = this.acked.length;
    this.nextAppendMs = this.now;
    const deadline = this.now + HEAL_TIMEOUT_MS;
    if (!(await this.runUntil(deadline, () => this.acked.length > ackedAtHeal))) {
      this.fail(`no append committed within ${HEAL_TIMEOUT_MS} ms after healing (started at ${healStartMs})`);
    }
    // Quiet: no more appends; every node must catch up.
    this.nextAppendMs = Number.POSITIVE_INFINITY;
    if (!(await this.runUntil(deadline, () => this.converged()))) {
      this.fail(`nodes did not converge within ${HEAL_TIMEOUT_MS} ms after healing (started at ${healStartMs})`);
    }

    // Every node holds every committed and every acknowledged batch.
    for (const node of this.nodes) {
      const raft = node.raft!;
      for (const batch of [...this.committed.values(), ...this.acked]) {
        const mine = raft.log.batchAt(batch.baseOffset);
        if (mine === undefined || !sameBatch(mine, batch)) this.fail(`n${node.id} lost committed batch ${describeBatch(batch)}`);
      }
    }
    let leaderEpochs = 0;
    for (const _ of this.leaders) leaderEpochs++;
    return {
      seed: this.options.seed,
      voters: this.voterIds.length,
      events: this.events,
      simulatedMs: this.now,
      committedOffset: this.committedEnd,
      appendsAcked: this.acked.length,
      leaderEpochs,
      crashes: this.crashes,
      messages: this.network.stats.delivered,
    };
  }
}

function lowerBound(batches: readonly BatchInfo[], offset: number): number {
  let lo = 0;
  let hi = batches.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (batches[mid]!.lastOffset < offset) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export async function runSimulation(options: SimOptions): Promise<SimResult> {
  return new RaftSimulation(options).run();
}

