/**
 * The seam between the controller and Raft. The controller hands a batch of
 * records to `append`; the quorum makes it committed and then calls every
 * listener with the batch, in offset order.
 *
 * `RaftQuorum` is that seam over src/raft: the metadata log is
 * `<metadata.log.dir>/__cluster_metadata-0/` in Kafka's segment format, each
 * append one v2 batch of framed KRaft records, each leader epoch opened by a
 * LeaderChange control batch, the election state in `quorum-state`. It drives
 * the RaftNode's poll loop with the real clock and timers. Today the quorum
 * is one voter (node.id, from controller.quorum.voters): it elects itself on
 * open, and a batch commits once it is fsynced. More voters need the
 * network transport for Vote/BeginQuorumEpoch/Fetch, which is not built yet.
 */
import { randomInt } from 'node:crypto';
import type { Clock } from '../platform/clock.js';
import type { FileSystem } from '../platform/file-system.js';
import { joinPath } from '../platform/file-system.js';
import { seededRandom } from '../platform/random.js';
import { TimerScheduler } from '../storage/scheduler.js';
import { QuorumStateStore } from '../raft/quorum-state.js';
import { RaftLog } from '../raft/raft-log.js';
import { RaftNode, type CommittedEntry, type VoterDescription } from '../raft/raft-node.js';
import { decodeMetadataRecord, encodeMetadataRecord, type MetadataRecord } from './records.js';
import { METADATA_PARTITION_DIR } from './metadata-log.js';

export interface CommittedBatch {
  readonly baseOffset: number;
  readonly lastOffset: number;
  readonly records: readonly MetadataRecord[];
}

/** Called in offset order; `append` resolves only after every listener's promise does. */
export type CommitListener = (batch: CommittedBatch) => void | Promise<void>;

export interface MetadataQuorum {
  /** The committed log so far, for the image to be rebuilt from on start. */
  replay(): Iterable<CommittedBatch>;
  /** Resolves with the committed batch once it is durable on a majority of voters. */
  append(records: readonly MetadataRecord[]): Promise<CommittedBatch>;
  onCommit(listener: CommitListener): void;
  readonly leaderEpoch: number;
  /** Leader, epoch, high watermark and voters, as DescribeQuorum reports them. */
  describe(): QuorumDescription;
  close(): void;
}

export interface QuorumDescription {
  readonly leaderId: number;
  readonly leaderEpoch: number;
  readonly highWatermark: number;
  readonly voters: readonly VoterDescription[];
}

/**
 * `controller.quorum.voters` (`id@host:port,...`) as voter ids. Empty means
 * this node alone (Samsa's zero-config single node). The node must be one of
 * the voters, as Kafka requires of a controller.
 */
export function parseQuorumVoters(text: string, nodeId: number): number[] {
  const entries = text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (entries.length === 0) return [nodeId];
  const voters: number[] = [];
  for (const entry of entries) {
    const match = /^(\d+)@(.+):(\d+)$/.exec(entry);
    if (match === null) throw new Error(`controller.quorum.voters: '${entry}' is not of the form id@host:port`);
    const id = Number(match[1]);
    if (voters.includes(id)) throw new Error(`controller.quorum.voters: voter ${id} is listed twice`);
    voters.push(id);
  }
  if (!voters.includes(nodeId)) {
    throw new Error(`controller.quorum.voters: node.id ${nodeId} is not among the voters (${voters.join(',')}); a controller must be a voter`);
  }
  return voters;
}

export interface RaftQuorumOptions {
  readonly fs: FileSystem;
  readonly clock: Clock;
  readonly metadataLogDir: string;
  readonly nodeId: number;
  /** The text of controller.quorum.voters. */
  readonly quorumVoters: string;
  readonly clusterId: string;
  /** Told when the quorum stops working (a disk error); appends fail from then on. */
  readonly onFatal?: (err: unknown) => void;
}

interface QueuedAppend {
  readonly values: Buffer[];
  readonly records: readonly MetadataRecord[];
  readonly resolve: (batch: CommittedBatch) => void;
  readonly reject: (err: unknown) => void;
}

interface Waiter {
  readonly lastOffset: number;
  readonly records: readonly MetadataRecord[];
  readonly resolve: (batch: CommittedBatch) => void;
  readonly reject: (err: unknown) => void;
}

export class RaftQuorum implements MetadataQuorum {
  private readonly listeners: CommitListener[] = [];
  private replayed: CommittedBatch[] = [];
  private queued: QueuedAppend[] = [];
  private readonly waiters = new Map<number, Waiter>();
  private running: Promise<void> | null = null;
  private again = false;
  private timer: NodeJS.Timeout | null = null;
  private closed = false;
  private failure: unknown = undefined;

  private constructor(
    readonly node: RaftNode,
    private readonly clock: Clock,
    private readonly scheduler: TimerScheduler,
    private readonly onFatal: ((err: unknown) => void) | undefined,
  ) {}

  /**
   * Opens the log, elects this node (one voter) and reads every committed
   * batch, which `replay()` then hands out once.
   */
  static async open(options: RaftQuorumOptions): Promise<RaftQuorum> {
    const voters = parseQuorumVoters(options.quorumVoters, options.nodeId);
    if (voters.length > 1) {
      throw new Error(
        `controller.quorum.voters lists ${voters.length} voters (${voters.join(',')}); Samsa's Raft has no network transport yet, so the quorum must be this node alone`,
      );
    }
    const dir = joinPath(options.metadataLogDir, METADATA_PARTITION_DIR);
    const scheduler = new TimerScheduler();
    const log = await RaftLog.open({ fs: options.fs, clock: options.clock, dir, scheduler });
    const node = new RaftNode({
      nodeId: options.nodeId,
      voters,
      clusterId: options.clusterId,
      log,
      store: new QuorumStateStore(options.fs, dir, voters),
      random: seededRandom(randomInt(2 ** 31)),
      wallClockMs: () => options.clock.nowMs(),
    });
    const quorum = new RaftQuorum(node, options.clock, scheduler, options.onFatal);
    try {
      // One voter: the first poll elects it and writes its LeaderChange; the
      // next ones commit it, and with it everything before.
      for (let i = 0; i < 10 && !quorum.caughtUp(); i++) {
        await node.poll(options.clock.monotonicMs());
        for (const entry of node.takeCommitted()) if (!entry.isControl) quorum.replayed.push(toBatch(entry));
      }
      if (!quorum.caughtUp()) throw new Error(`the metadata quorum did not elect node ${options.nodeId} (role ${node.role}, epoch ${node.epoch})`);
    } catch (err) {
      quorum.close();
      throw err;
    }
    quorum.armTimer();
    return quorum;
  }

  private caughtUp(): boolean {
    return this.node.isLeader && this.node.highWatermark > this.node.leaderEpochStartOffset;
  }

  get leaderEpoch(): number {
    return this.node.epoch;
  }

  get highWatermark(): number {
    return this.node.highWatermark;
  }

  describe(): QuorumDescription {
    return {
      leaderId: this.node.leaderId,
      leaderEpoch: this.node.epoch,
      highWatermark: this.node.highWatermark,
      voters: this.node.describeVoters(),
    };
  }

  /** The batches committed before open; handed out once. */
  *replay(): Iterable<CommittedBatch> {
    const batches = this.replayed;
    this.replayed = [];
    yield* batches;
  }

  onCommit(listener: CommitListener): void {
    this.listeners.push(listener);
  }

  append(records: readonly MetadataRecord[]): Promise<CommittedBatch> {
    if (this.closed) return Promise.reject(new Error('the metadata quorum is closed'));
    if (this.failure !== undefined) return Promise.reject(this.failure);
    if (records.length === 0) return Promise.reject(new RangeError('an empty metadata batch'));
    const values = records.map(encodeMetadataRecord);
    return new Promise<CommittedBatch>((resolve, reject) => {
      this.queued.push({ values, records, resolve, reject });
      this.kick();
    });
  }

  /** Stops the loop and closes the log. Committed batches are already durable; nothing is flushed here. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    const err = new Error('the metadata quorum closed');
    this.rejectAll(err);
    this.node.log.closeAbruptly();
    void this.scheduler.stop();
  }

  // ==========================================================================
  // The loop: one poll at a time; appends go in between polls.

  private kick(): void {
    if (this.closed || this.failure !== undefined) return;
    if (this.running !== null) {
      this.again = true;
      return;
    }
    this.running = this.loop().finally(() => {
      this.running = null;
    });
  }

  private async loop(): Promise<void> {
    do {
      this.again = false;
      try {
        await this.pollOnce();
      } catch (err) {
        if (this.closed) return;
        this.failure = err;
        this.rejectAll(err);
        this.onFatal?.(err);
        return;
      }
    } while (this.again && !this.closed);
    this.armTimer();
  }

  private async pollOnce(): Promise<void> {
    const queued = this.queued;
    this.queued = [];
    for (const q of queued) {
      try {
        const info = this.node.append(q.values);
        this.waiters.set(info.baseOffset, { lastOffset: info.lastOffset, records: q.records, resolve: q.resolve, reject: q.reject });
      } catch (err) {
        q.reject(err);
      }
    }
    await this.node.poll(this.clock.monotonicMs());
    // No transport yet: with one voter there is nobody to talk to.
    this.node.takeOutbound();
    for (const entry of this.node.takeCommitted()) {
      if (entry.isControl) continue;
      const waiter = this.waiters.get(entry.baseOffset);
      this.waiters.delete(entry.baseOffset);
      const batch: CommittedBatch =
        waiter !== undefined && waiter.lastOffset === entry.lastOffset
          ? { baseOffset: entry.baseOffset, lastOffset: entry.lastOffset, records: waiter.records }
          : toBatch(entry);
      for (const listener of this.listeners) await listener(batch);
      waiter?.resolve(batch);
    }
  }

  private armTimer(): void {
    if (this.closed || this.failure !== undefined) return;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    const dueMs = this.node.nextDeadlineMs();
    if (!Number.isFinite(dueMs)) return;
    const delayMs = Math.max(0, Math.min(dueMs - this.clock.monotonicMs(), 2 ** 31 - 1));
    this.timer = setTimeout(() => {
      this.timer = null;
      this.kick();
    }, delayMs);
    this.timer.unref();
  }

  private rejectAll(err: unknown): void {
    for (const q of this.queued) q.reject(err);
    this.queued = [];
    for (const w of this.waiters.values()) w.reject(err);
    this.waiters.clear();
  }
}

function toBatch(entry: CommittedEntry): CommittedBatch {
  return { baseOffset: entry.baseOffset, lastOffset: entry.lastOffset, records: entry.records.map(decodeMetadataRecord) };
}
