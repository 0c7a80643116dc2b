/**
 * One Raft voter in KIP-595's pull-based style, as a deterministic state
 * machine. Nothing here reads a clock, draws a random number, opens a
 * socket or sets a timer of its own: the driver hands in messages
 * (`receive`), calls `poll(nowMs)`, and takes out messages (`takeOutbound`)
 * and committed batches (`takeCommitted`). Given the same inputs and the same
 * seeded Random, a node does the same thing, which is what lets `sim/` replay
 * any failure from its seed.
 *
 * Roles (Kafka's names): unattached (knows an epoch, no vote, no leader),
 * voted, candidate, leader, follower, resigned (a leader stepping down).
 *
 *  - Elections: a voter that hears nothing from a leader for a randomized
 *    election timeout (follower: fetch timeout) becomes candidate in the next
 *    epoch, votes for itself and asks the others (Vote). A vote is granted at
 *    most once per epoch, only to a candidate whose log is at least as
 *    up to date (last epoch, then end offset), and the vote is on disk
 *    (`quorum-state`) before the answer leaves.
 *  - Leading: the winner writes a LeaderChange control batch at the start of
 *    its epoch, tells the others (BeginQuorumEpoch) and serves Fetch. The
 *    high watermark is the largest offset a majority of voters hold durably
 *    (the leader counts its flushed end, a follower the offset it fetches
 *    from, since it flushes before fetching on), and only moves once an
 *    offset of the current epoch is in it. A leader that has not heard from a
 *    majority within 1.5 fetch timeouts resigns (check quorum).
 *  - Following: fetch from the leader with the last fetched epoch; when the
 *    leader answers with a diverging epoch, truncate to where the logs agree
 *    and fetch again. Fetch requests the leader cannot answer with data yet
 *    wait (long poll) up to maxWaitMs.
 *  - Fencing: every request and response carries an epoch; anything older
 *    is refused (FENCED_LEADER_EPOCH), anything newer moves this node to
 *    that epoch first.
 *
 * Snapshots (FetchSnapshot) and voter changes (KIP-853) are not here yet:
 * the log always starts at offset 0 and the voter set is static.
 */
import type { Random } from '../platform/random.js';
import { ErrorCode } from '../protocol/errors/index.js';
import { buildRecordBatch } from '../protocol/records/batch-builder.js';
import { decodeRecordBatch } from '../protocol/records/batch-decoder.js';
import { ControlRecordType, buildControlBatch } from '../protocol/records/control-record.js';
import { iterateBatches } from '../protocol/records/batch-header.js';
import { Writer } from '../protocol/primitives/writer.js';
import {
  encodeLeaderChangeMessage,
  type BeginQuorumEpochRequest,
  type BeginQuorumEpochResponse,
  type EndQuorumEpochRequest,
  type FetchRequest,
  type FetchResponse,
  type FetchResponsePartitionData,
  type VoteRequest,
  type VoteResponse,
} from '../protocol/generated/index.js';
import type { RaftBody, RaftMessage } from './messages.js';
import { METADATA_PARTITION, METADATA_TOPIC_ID, METADATA_TOPIC_NAME, indexBatches, type BatchInfo, type RaftLog } from './raft-log.js';
import { INITIAL_ELECTION_STATE, type ElectionState, type QuorumStateStore } from './quorum-state.js';

export type RaftRole = 'unattached' | 'voted' | 'candidate' | 'leader' | 'follower' | 'resigned';

/** Kafka's controller.quorum.* defaults. */
export interface RaftConfig {
  /** controller.quorum.election.timeout.ms: the wait before a candidacy is this plus a random share of it. */
  readonly electionTimeoutMs: number;
  /** controller.quorum.election.backoff.max.ms: the most a rejected candidate waits before trying again. */
  readonly electionBackoffMaxMs: number;
  /** controller.quorum.fetch.timeout.ms: a follower that has not fetched successfully for this long runs. */
  readonly fetchTimeoutMs: number;
  /** controller.quorum.request.timeout.ms: an unanswered request is sent again after this. */
  readonly requestTimeoutMs: number;
  /** controller.quorum.retry.backoff.ms */
  readonly retryBackoffMs: number;
  /** How long the leader holds a Fetch it has no data for. */
  readonly fetchMaxWaitMs: number;
  readonly fetchMaxBytes: number;
}

export const defaultRaftConfig: RaftConfig = Object.freeze({
  electionTimeoutMs: 1000,
  electionBackoffMaxMs: 1000,
  fetchTimeoutMs: 2000,
  requestTimeoutMs: 2000,
  retryBackoffMs: 20,
  fetchMaxWaitMs: 500,
  fetchMaxBytes: 8 * 1024 * 1024,
});

export interface RaftNodeOptions {
  readonly nodeId: number;
  readonly voters: readonly number[];
  readonly clusterId: string;
  readonly log: RaftLog;
  readonly store: QuorumStateStore;
  readonly random: Random;
  /** Wall-clock milliseconds for batch timestamps (not for timing). */
  readonly wallClockMs: () => number;
  readonly config?: Partial<RaftConfig>;
  /** Told about every role change; for logs and the simulator's trace. */
  readonly onTransition?: (node: RaftNode, from: RaftRole) => void;
}

/** A batch below the high watermark, handed out once, in offset order. */
export interface CommittedEntry {
  readonly baseOffset: number;
  readonly lastOffset: number;
  readonly epoch: number;
  readonly crc: number;
  readonly isControl: boolean;
  /** The record values of a data batch; empty for control batches. */
  readonly records: readonly Buffer[];
}

export class NotLeaderError extends Error {
  override readonly name = 'NotLeaderError';
  constructor(
    readonly leaderId: number,
    readonly epoch: number,
  ) {
    super(`not the Raft leader (leader ${leaderId} in epoch ${epoch})`);
  }
}

/** A broken Raft invariant: the node must stop (Kafka's fatal raft error). */
export class RaftInvariantError extends Error {
  override readonly name = 'RaftInvariantError';
}

export interface VoterDescription {
  readonly replicaId: number;
  readonly logEndOffset: number;
  readonly lastFetchTimestampMs: number;
  readonly lastCaughtUpTimestampMs: number;
}

interface ReplicaState {
  /** The offset it last fetched from (everything below is durable there); -1 unknown. */
  endOffset: number;
  lastFetchMs: number;
  /** Heard from in this epoch: no more BeginQuorumEpoch needed. */
  acknowledged: boolean;
  lastBeginEpochSentMs: number;
}

interface ParkedFetch {
  readonly message: RaftMessage;
  readonly request: FetchRequest;
  readonly deadlineMs: number;
  readonly highWatermark: number;
  readonly logEnd: number;
}

const NEVER = Number.POSITIVE_INFINITY;
const CHECK_QUORUM_FACTOR = 1.5;

export class RaftNode {
  readonly nodeId: number;
  readonly voters: readonly number[];
  private readonly clusterId: string;
  readonly log: RaftLog;
  private readonly store: QuorumStateStore;
  private readonly random: Random;
  private readonly wallClockMs: () => number;
  readonly config: RaftConfig;
  private readonly onTransition: ((node: RaftNode, from: RaftRole) => void) | undefined;

  private election: ElectionState = INITIAL_ELECTION_STATE;
  private currentRole: RaftRole = 'unattached';
  private started = false;
  private stateStored: boolean;
  private nowMs = 0;
  private nextCorrelationId = 1;

  private inbox: RaftMessage[] = [];
  private outbox: RaftMessage[] = [];
  private committed: CommittedEntry[] = [];

  /** Offsets below it are committed; never moves back while this node lives. */
  private hw = 0;
  /** Next offset whose batch is handed to takeCommitted. */
  private deliveredTo = 0;
  /** Appends since the last flush, or a truncation: poll soon. */
  private dirty = false;

  // Timers (monotonic ms); NEVER when unset.
  private electionDeadlineMs = NEVER;
  private fetchDeadlineMs = NEVER;

  // Candidate
  private granted = new Set<number>();
  private rejected = new Set<number>();
  private voteSentMs = new Map<number, number>();

  // Leader
  private epochStartOffset = -1;
  private leaderSinceMs = 0;
  private replicas = new Map<number, ReplicaState>();
  private parked: ParkedFetch[] = [];

  // Follower
  private fetchInFlight: { correlationId: number; fetchOffset: number; sentMs: number } | null = null;
  private fetchBackoffUntilMs = 0;

  constructor(options: RaftNodeOptions) {
    if (!options.voters.includes(options.nodeId)) throw new RangeError(`node ${options.nodeId} is not among the voters ${options.voters.join(',')}`);
    if (new Set(options.voters).size !== options.voters.length) throw new RangeError(`duplicate voter in ${options.voters.join(',')}`);
    this.nodeId = options.nodeId;
    this.voters = [...options.voters].sort((a, b) => a - b);
    this.clusterId = options.clusterId;
    this.log = options.log;
    this.store = options.store;
    this.random = options.random;
    this.wallClockMs = options.wallClockMs;
    this.config = { ...defaultRaftConfig, ...options.config };
    this.onTransition = options.onTransition;
    const stored = this.store.read();
    this.election = stored ?? INITIAL_ELECTION_STATE;
    this.stateStored = stored !== undefined;
  }

  // ==========================================================================
  // What the driver sees

  get role(): RaftRole {
    return this.currentRole;
  }

  get epoch(): number {
    return this.election.epoch;
  }

  get leaderId(): number {
    return this.election.leaderId;
  }

  get votedId(): number {
    return this.election.votedId;
  }

  get highWatermark(): number {
    return this.hw;
  }

  get isLeader(): boolean {
    return this.currentRole === 'leader';
  }

  /** The offset of this leader's LeaderChange batch; -1 when not leader. */
  get leaderEpochStartOffset(): number {
    return this.currentRole === 'leader' ? this.epochStartOffset : -1;
  }

  /**
   * What DescribeQuorum reports: each voter's log end as this node knows it
   * (exact for itself; as of its last fetch for the others when leader) and
   * wall-clock times of its last fetch; -1 where nothing is known.
   */
  describeVoters(): VoterDescription[] {
    const nowWallMs = this.wallClockMs();
    return this.voters.map((id) => {
      if (id === this.nodeId) {
        return { replicaId: id, logEndOffset: this.log.endOffset, lastFetchTimestampMs: nowWallMs, lastCaughtUpTimestampMs: nowWallMs };
      }
      const replica = this.currentRole === 'leader' ? this.replicas.get(id) : undefined;
      if (replica === undefined || replica.lastFetchMs < 0) {
        return { replicaId: id, logEndOffset: -1, lastFetchTimestampMs: -1, lastCaughtUpTimestampMs: -1 };
      }
      const fetchedWallMs = nowWallMs - (this.nowMs - replica.lastFetchMs);
      return {
        replicaId: id,
        logEndOffset: replica.endOffset,
        lastFetchTimestampMs: fetchedWallMs,
        lastCaughtUpTimestampMs: replica.endOffset >= this.hw ? fetchedWallMs : -1,
      };
    });
  }

  /** Queues a message for the next poll. */
  receive(message: RaftMessage): void {
    if (message.to !== this.nodeId) throw new RangeError(`message for ${message.to} delivered to ${this.nodeId}`);
    this.inbox.push(message);
  }

  takeOutbound(): RaftMessage[] {
    const out = this.outbox;
    this.outbox = [];
    return out;
  }

  takeCommitted(): CommittedEntry[] {
    const out = this.committed;
    this.committed = [];
    return out;
  }

  /** When the next poll has something to do (now when messages wait). */
  nextDeadlineMs(): number {
    if (!this.started || this.inbox.length > 0 || this.dirty) return this.nowMs;
    let next = NEVER;
    switch (this.currentRole) {
      case 'unattached':
      case 'voted':
      case 'resigned':
        next = this.electionDeadlineMs;
        break;
      case 'candidate':
        next = this.electionDeadlineMs;
        for (const id of this.voters) {
          if (id === this.nodeId || this.granted.has(id) || this.rejected.has(id)) continue;
          next = Math.min(next, (this.voteSentMs.get(id) ?? -NEVER) + this.config.requestTimeoutMs);
        }
        break;
      case 'follower':
        next = this.fetchDeadlineMs;
        next = Math.min(next, this.fetchInFlight === null ? this.fetchBackoffUntilMs : this.fetchInFlight.sentMs + this.config.requestTimeoutMs);
        break;
      case 'leader':
        for (const p of this.parked) next = Math.min(next, p.deadlineMs);
        for (const [id, r] of this.replicas) {
          if (id !== this.nodeId && !r.acknowledged) next = Math.min(next, r.lastBeginEpochSentMs + this.config.requestTimeoutMs);
        }
        if (this.voters.length > 1) next = Math.min(next, this.checkQuorumDueMs());
        break;
    }
    return Math.max(next, this.nowMs);
  }

  /**
   * Appends records (already-encoded values) as one batch in this leader's
   * epoch. The batch is in the log, not yet durable or committed: it comes
   * out of takeCommitted once the high watermark passes it.
   */
  append(values: readonly Buffer[]): BatchInfo {
    if (this.currentRole !== 'leader') throw new NotLeaderError(this.election.leaderId, this.election.epoch);
    if (values.length === 0) throw new RangeError('an empty batch');
    const timestamp = this.wallClockMs();
    const batch = buildRecordBatch({
      records: values.map((value) => ({ key: null, value, timestamp })),
      partitionLeaderEpoch: this.election.epoch,
    });
    const info = this.log.appendAsLeader(batch, this.election.epoch);
    this.dirty = true;
    return info;
  }

  /** Graceful stop of a leader: hand over quickly (EndQuorumEpoch) instead of letting followers time out. */
  async resign(nowMs: number): Promise<void> {
    this.nowMs = Math.max(this.nowMs, nowMs);
    if (this.currentRole === 'leader') await this.becomeResigned();
  }

  // ==========================================================================
  // The poll loop

  async poll(nowMs: number): Promise<void> {
    if (nowMs < this.nowMs) throw new RangeError(`time went back from ${this.nowMs} to ${nowMs}`);
    this.nowMs = nowMs;
    if (!this.started) {
      this.started = true;
      await this.initialize();
    }
    while (this.inbox.length > 0) {
      const message = this.inbox.shift()!;
      await this.handle(message);
    }
    await this.onTimers();
    await this.flushAndAdvance();
    await this.sendRequests();
    await this.deliverCommitted();
  }

  private async initialize(): Promise<void> {
    if (!this.stateStored) {
      await this.store.write(this.election);
      this.stateStored = true;
    }
    const { leaderId, votedId } = this.election;
    if (leaderId === this.nodeId) {
      // We led this epoch before a restart; we cannot lead it again.
      this.setRole('resigned');
      this.electionDeadlineMs = this.nowMs + this.randomElectionTimeoutMs();
    } else if (leaderId >= 0) {
      this.setRole('follower');
      this.fetchDeadlineMs = this.nowMs + this.config.fetchTimeoutMs;
    } else if (votedId === this.nodeId) {
      this.setRole('candidate');
      this.granted = new Set([this.nodeId]);
      this.electionDeadlineMs = this.nowMs + this.randomElectionTimeoutMs();
    } else {
      this.setRole(votedId >= 0 ? 'voted' : 'unattached');
      this.electionDeadlineMs = this.nowMs + this.randomElectionTimeoutMs();
    }
    // A voter alone needs nobody's vote.
    if (this.voters.length === 1 && this.currentRole !== 'leader') await this.becomeCandidate();
  }

  private async onTimers(): Promise<void> {
    const now = this.nowMs;
    switch (this.currentRole) {
      case 'unattached':
      case 'voted':
      case 'resigned':
      case 'candidate':
        if (now >= this.electionDeadlineMs) await this.becomeCandidate();
        break;
      case 'follower':
        if (now >= this.fetchDeadlineMs) await this.becomeCandidate();
        else if (this.fetchInFlight !== null && now >= this.fetchInFlight.sentMs + this.config.requestTimeoutMs) this.fetchInFlight = null;
        break;
      case 'leader':
        if (this.voters.length > 1 && now >= this.checkQuorumDueMs() && !this.hasQuorumContact()) await this.becomeResigned();
        break;
    }
  }

  private checkQuorumDueMs(): number {
    const windowMs = this.config.fetchTimeoutMs * CHECK_QUORUM_FACTOR;
    // The earliest moment a majority can have gone quiet: the majority-th most recent contact plus the window.
    const contacts = this.voters.map((id) => (id === this.nodeId ? this.nowMs : Math.max(this.replicas.get(id)?.lastFetchMs ?? -NEVER, this.leaderSinceMs)));
    contacts.sort((a, b) => b - a);
    return contacts[this.majorityIndex()]! + windowMs;
  }

  private hasQuorumContact(): boolean {
    return this.nowMs < this.checkQuorumDueMs();
  }

  private majorityIndex(): number {
    return Math.floor(this.voters.length / 2);
  }

  private isMajority(count: number): boolean {
    return count > this.voters.length / 2;
  }

  private randomElectionTimeoutMs(): number {
    return this.config.electionTimeoutMs + this.random.int(this.config.electionTimeoutMs);
  }

  // ==========================================================================
  // Transitions: each is on disk before anything is said in the new state.

  private setRole(role: RaftRole): void {
    const from = this.currentRole;
    this.currentRole = role;
    this.fetchInFlight = null;
    if (role !== 'leader') {
      this.replicas.clear();
      this.epochStartOffset = -1;
    }
    if (role !== 'candidate') {
      this.granted = new Set();
      this.rejected = new Set();
      this.voteSentMs.clear();
    }
    this.onTransition?.(this, from);
  }

  private async persist(state: ElectionState): Promise<void> {
    if (state.epoch < this.election.epoch) throw new RaftInvariantError(`epoch would go back from ${this.election.epoch} to ${state.epoch}`);
    if (state.epoch === this.election.epoch && this.election.votedId >= 0 && state.votedId !== this.election.votedId) {
      throw new RaftInvariantError(`second vote in epoch ${state.epoch}: ${this.election.votedId} then ${state.votedId}`);
    }
    await this.store.write(state);
    this.election = state;
  }

  private async becomeUnattached(epoch: number): Promise<void> {
    await this.answerParked();
    const timerRunning = this.currentRole !== 'leader' && this.currentRole !== 'follower';
    await this.persist({ epoch, leaderId: -1, votedId: -1 });
    this.setRole('unattached');
    // Hearing of a newer epoch is not hearing from a leader: a running election
    // timer keeps its deadline, or a candidate with a stale log could hold off
    // every election forever by bumping the epoch.
    const fresh = this.nowMs + this.randomElectionTimeoutMs();
    this.electionDeadlineMs = timerRunning ? Math.min(this.electionDeadlineMs, fresh) : fresh;
  }

  private async becomeVoted(candidateId: number): Promise<void> {
    await this.persist({ epoch: this.election.epoch, leaderId: -1, votedId: candidateId });
    this.setRole('voted');
    this.electionDeadlineMs = this.nowMs + this.randomElectionTimeoutMs();
  }

  private async becomeFollower(epoch: number, leaderId: number): Promise<void> {
    if (leaderId === this.nodeId) throw new RaftInvariantError(`told that this node leads epoch ${epoch}`);
    await this.answerParked();
    const votedId = epoch === this.election.epoch ? this.election.votedId : -1;
    await this.persist({ epoch, leaderId, votedId });
    this.setRole('follower');
    this.fetchDeadlineMs = this.nowMs + this.config.fetchTimeoutMs;
    this.fetchBackoffUntilMs = 0;
  }

  private async becomeCandidate(): Promise<void> {
    await this.answerParked();
    await this.persist({ epoch: this.election.epoch + 1, leaderId: -1, votedId: this.nodeId });
    this.setRole('candidate');
    // A new epoch: votes, refusals and send times of the last one mean nothing.
    this.granted = new Set([this.nodeId]);
    this.rejected = new Set();
    this.voteSentMs.clear();
    this.electionDeadlineMs = this.nowMs + this.randomElectionTimeoutMs();
    if (this.isMajority(this.granted.size)) await this.becomeLeader();
  }

  private async becomeLeader(): Promise<void> {
    const grantingVoters = [...this.granted].sort((a, b) => a - b);
    await this.persist({ epoch: this.election.epoch, leaderId: this.nodeId, votedId: this.nodeId });
    this.setRole('leader');
    this.leaderSinceMs = this.nowMs;
    for (const id of this.voters) {
      this.replicas.set(id, { endOffset: -1, lastFetchMs: -NEVER, acknowledged: id === this.nodeId, lastBeginEpochSentMs: -NEVER });
    }
    // The first batch of every epoch says who leads it (KIP-595's LeaderChange control record).
    const w = new Writer(64);
    encodeLeaderChangeMessage(w, 0, {
      version: 0,
      leaderId: this.nodeId,
      voters: this.voters.map((voterId) => ({ voterId })),
      grantingVoters: grantingVoters.map((voterId) => ({ voterId })),
    });
    const batch = buildControlBatch({
      records: [{ type: ControlRecordType.leaderChange, value: w.toBuffer() }],
      timestamp: this.wallClockMs(),
      partitionLeaderEpoch: this.election.epoch,
    });
    const info = this.log.appendAsLeader(batch, this.election.epoch);
    this.epochStartOffset = info.baseOffset;
    this.dirty = true;
  }

  private async becomeResigned(): Promise<void> {
    await this.answerParked();
    this.setRole('resigned');
    this.electionDeadlineMs = this.nowMs + this.randomElectionTimeoutMs();
    // Successors by how far they had fetched: the most caught up should run first.
    for (const id of this.voters) {
      if (id === this.nodeId) continue;
      this.send(id, this.nextCorrelationId++, {
        kind: 'EndQuorumEpochRequest',
        data: {
          clusterId: this.clusterId,
          topics: [
            {
              topicName: METADATA_TOPIC_NAME,
              partitions: [
                {
                  partitionIndex: METADATA_PARTITION,
                  leaderId: this.nodeId,
                  leaderEpoch: this.election.epoch,
                  preferredSuccessors: this.voters.filter((v) => v !== this.nodeId),
                  preferredCandidates: [],
                },
              ],
            },
          ],
          leaderEndpoints: [],
        },
      });
    }
  }

  /**
   * Any message from a newer epoch moves this node there first: follower of
   * the named leader, or unattached when none is named. Also learns the
   * leader of the current epoch. Returns false when the message is from an
   * older epoch and must not be acted on.
   */
  private async observeEpoch(epoch: number, leaderId: number): Promise<boolean> {
    if (epoch < this.election.epoch) return false;
    if (epoch > this.election.epoch) {
      if (leaderId >= 0 && leaderId !== this.nodeId) await this.becomeFollower(epoch, leaderId);
      else await this.becomeUnattached(epoch);
      return true;
    }
    if (leaderId >= 0 && leaderId !== this.nodeId && this.currentRole !== 'follower') {
      if (this.currentRole === 'leader') throw new RaftInvariantError(`node ${leaderId} claims epoch ${epoch}, which this node leads`);
      await this.becomeFollower(epoch, leaderId);
    }
    return true;
  }

  // ==========================================================================
  // Messages

  private send(to: number, correlationId: number, body: RaftBody): void {
    this.outbox.push({ from: this.nodeId, to, correlationId, body });
  }

  private async handle(message: RaftMessage): Promise<void> {
    const body = message.body;
    switch (body.kind) {
      case 'VoteRequest':
        return this.handleVoteRequest(message, body.data);
      case 'VoteResponse':
        return this.handleVoteResponse(message, body.data);
      case 'BeginQuorumEpochRequest':
        return this.handleBeginQuorumEpochRequest(message, body.data);
      case 'BeginQuorumEpochResponse':
        return this.handleBeginQuorumEpochResponse(message, body.data);
      case 'EndQuorumEpochRequest':
        return this.handleEndQuorumEpochRequest(message, body.data);
      case 'EndQuorumEpochResponse': {
        const p = body.data.topics[0]?.partitions[0];
        if (p !== undefined) await this.observeEpoch(p.leaderEpoch, p.leaderId);
        return;
      }
      case 'FetchRequest':
        return this.handleFetchRequest(message, body.data, true);
      case 'FetchResponse':
        return this.handleFetchResponse(message, body.data);
    }
  }

  private clusterMatches(clusterId: string | null): boolean {
    return clusterId === null || clusterId === this.clusterId;
  }

  // -- Vote -------------------------------------------------------------------

  private voteResponse(message: RaftMessage, errorCode: number, granted: boolean): void {
    this.send(message.from, message.correlationId, {
      kind: 'VoteResponse',
      data: {
        errorCode: 0,
        topics: [
          {
            topicName: METADATA_TOPIC_NAME,
            partitions: [
              { partitionIndex: METADATA_PARTITION, errorCode, leaderId: this.election.leaderId, leaderEpoch: this.election.epoch, voteGranted: granted },
            ],
          },
        ],
        nodeEndpoints: [],
      },
    });
  }

  private async handleVoteRequest(message: RaftMessage, request: VoteRequest): Promise<void> {
    const p = request.topics[0]?.partitions[0];
    if (p === undefined) return;
    if (!this.clusterMatches(request.clusterId)) return this.voteResponse(message, ErrorCode.INCONSISTENT_CLUSTER_ID, false);
    if (!this.voters.includes(p.candidateId) || p.candidateId !== message.from) return this.voteResponse(message, ErrorCode.INCONSISTENT_VOTER_SET, false);
    if (p.candidateEpoch > this.election.epoch) await this.becomeUnattached(p.candidateEpoch);
    if (p.candidateEpoch < this.election.epoch) return this.voteResponse(message, ErrorCode.NONE, false);
    let granted = false;
    if (this.currentRole === 'unattached') {
      const lastEpoch = this.log.lastEpoch;
      const candidateOffset = Number(p.lastOffset);
      const upToDate = p.lastOffsetEpoch > lastEpoch || (p.lastOffsetEpoch === lastEpoch && candidateOffset >= this.log.endOffset);
      if (upToDate) {
        await this.becomeVoted(p.candidateId);
        granted = true;
      }
    } else if (this.currentRole === 'voted') {
      granted = this.election.votedId === p.candidateId;
    }
    this.voteResponse(message, ErrorCode.NONE, granted);
  }

  private async handleVoteResponse(message: RaftMessage, response: VoteResponse): Promise<void> {
    const p = response.topics[0]?.partitions[0];
    if (response.errorCode !== 0 || p === undefined) return;
    if (!(await this.observeEpoch(p.leaderEpoch, p.leaderId))) return;
    if (this.currentRole !== 'candidate' || p.leaderEpoch !== this.election.epoch || p.errorCode !== 0) return;
    if (p.voteGranted) {
      this.granted.add(message.from);
      if (this.isMajority(this.granted.size)) await this.becomeLeader();
    } else {
      this.rejected.add(message.from);
      // Lost: try again after a random backoff rather than the whole timeout.
      if (this.isMajority(this.rejected.size)) {
        this.electionDeadlineMs = Math.min(this.electionDeadlineMs, this.nowMs + 1 + this.random.int(this.config.electionBackoffMaxMs));
      }
    }
  }

  // -- BeginQuorumEpoch / EndQuorumEpoch --------------------------------------

  private async handleBeginQuorumEpochRequest(message: RaftMessage, request: BeginQuorumEpochRequest): Promise<void> {
    const p = request.topics[0]?.partitions[0];
    if (p === undefined) return;
    let errorCode: number = ErrorCode.NONE;
    if (!this.clusterMatches(request.clusterId)) errorCode = ErrorCode.INCONSISTENT_CLUSTER_ID;
    else if (p.leaderId !== message.from || !this.voters.includes(p.leaderId)) errorCode = ErrorCode.INCONSISTENT_VOTER_SET;
    else if (p.leaderEpoch < this.election.epoch) errorCode = ErrorCode.FENCED_LEADER_EPOCH;
    else await this.observeEpoch(p.leaderEpoch, p.leaderId);
    const response: BeginQuorumEpochResponse = {
      errorCode: 0,
      topics: [
        {
          topicName: METADATA_TOPIC_NAME,
          partitions: [{ partitionIndex: METADATA_PARTITION, errorCode, leaderId: this.election.leaderId, leaderEpoch: this.election.epoch }],
        },
      ],
      nodeEndpoints: [],
    };
    this.send(message.from, message.correlationId, { kind: 'BeginQuorumEpochResponse', data: response });
  }

  private async handleBeginQuorumEpochResponse(message: RaftMessage, response: BeginQuorumEpochResponse): Promise<void> {
    const p = response.topics[0]?.partitions[0];
    if (p === undefined) return;
    if (!(await this.observeEpoch(p.leaderEpoch, p.leaderId))) return;
    if (this.currentRole !== 'leader' || p.leaderEpoch !== this.election.epoch || p.errorCode !== 0) return;
    const replica = this.replicas.get(message.from);
    if (replica !== undefined) replica.acknowledged = true;
  }

  private async handleEndQuorumEpochRequest(message: RaftMessage, request: EndQuorumEpochRequest): Promise<void> {
    const p = request.topics[0]?.partitions[0];
    if (p === undefined) return;
    let errorCode: number = ErrorCode.NONE;
    if (!this.clusterMatches(request.clusterId)) errorCode = ErrorCode.INCONSISTENT_CLUSTER_ID;
    else if (p.leaderEpoch < this.election.epoch) errorCode = ErrorCode.FENCED_LEADER_EPOCH;
    else {
      await this.observeEpoch(p.leaderEpoch, -1);
      if (p.leaderEpoch === this.election.epoch && this.election.leaderId === p.leaderId && this.currentRole === 'follower') {
        // The leader is leaving: run soon, the preferred successors first.
        const rank = Math.max(0, p.preferredSuccessors.indexOf(this.nodeId));
        const backoffMs = rank * this.config.retryBackoffMs * 5 + this.random.int(this.config.retryBackoffMs * 5 + 1);
        this.fetchDeadlineMs = Math.min(this.fetchDeadlineMs, this.nowMs + backoffMs);
      } else if (this.currentRole === 'unattached' || this.currentRole === 'voted') {
        this.electionDeadlineMs = Math.min(this.electionDeadlineMs, this.nowMs + this.random.int(this.config.electionBackoffMaxMs + 1));
      }
    }
    this.send(message.from, message.correlationId, {
      kind: 'EndQuorumEpochResponse',
      data: {
        errorCode: 0,
        topics: [
          {
            topicName: METADATA_TOPIC_NAME,
            partitions: [{ partitionIndex: METADATA_PARTITION, errorCode, leaderId: this.election.leaderId, leaderEpoch: this.election.epoch }],
          },
        ],
        nodeEndpoints: [],
      },
    });
  }

  // -- Fetch (leader side) ----------------------------------------------------

  private fetchResponse(message: RaftMessage, partition: Partial<FetchResponsePartitionData> & { errorCode: number }): void {
    const data: FetchResponse = {
      throttleTimeMs: 0,
      errorCode: 0,
      sessionId: 0,
      responses: [
        {
          topic: METADATA_TOPIC_NAME,
          topicId: METADATA_TOPIC_ID,
          partitions: [
            {
              partitionIndex: METADATA_PARTITION,
              highWatermark: BigInt(this.currentRole === 'leader' ? this.hw : -1),
              lastStableOffset: -1n,
              logStartOffset: 0n,
              divergingEpoch: { epoch: -1, endOffset: -1n },
              currentLeader: { leaderId: this.election.leaderId, leaderEpoch: this.election.epoch },
              snapshotId: { endOffset: -1n, epoch: -1 },
              abortedTransactions: null,
              preferredReadReplica: -1,
              records: null,
              ...partition,
            },
          ],
        },
      ],
      nodeEndpoints: [],
    };
    this.send(message.from, message.correlationId, { kind: 'FetchResponse', data });
  }

  private async handleFetchRequest(message: RaftMessage, request: FetchRequest, mayPark: boolean): Promise<void> {
    const p = request.topics[0]?.partitions[0];
    if (p === undefined) return;
    if (!this.clusterMatches(request.clusterId)) return this.fetchResponse(message, { errorCode: ErrorCode.INCONSISTENT_CLUSTER_ID });
    if (p.currentLeaderEpoch < this.election.epoch) return this.fetchResponse(message, { errorCode: ErrorCode.FENCED_LEADER_EPOCH });
    if (p.currentLeaderEpoch > this.election.epoch) return this.fetchResponse(message, { errorCode: ErrorCode.UNKNOWN_LEADER_EPOCH });
    if (this.currentRole !== 'leader') return this.fetchResponse(message, { errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER });
    const replicaId = request.replicaState.replicaId;
    const fetchOffset = Number(p.fetchOffset);
    if (fetchOffset < 0 || p.lastFetchedEpoch < 0 || replicaId !== message.from) {
      return this.fetchResponse(message, { errorCode: ErrorCode.INVALID_REQUEST });
    }
    if (fetchOffset > 0) {
      const end = this.log.endOffsetForEpoch(p.lastFetchedEpoch);
      if (end.epoch !== p.lastFetchedEpoch || end.offset < fetchOffset) {
        // Epoch -1 (nothing in common) is sent as Kafka does for the start of the log: epoch 0, offset 0.
        const diverging = end.epoch < 0 ? { epoch: 0, endOffset: 0n } : { epoch: end.epoch, endOffset: BigInt(end.offset) };
        return this.fetchResponse(message, { errorCode: ErrorCode.NONE, divergingEpoch: diverging });
      }
    }
    const replica = this.replicas.get(replicaId);
    if (replica !== undefined) {
      replica.endOffset = fetchOffset;
      replica.lastFetchMs = this.nowMs;
      replica.acknowledged = true;
      this.updateLeaderHighWatermark();
    }
    const records = fetchOffset < this.log.endOffset ? await this.log.read(fetchOffset, Math.min(this.config.fetchMaxBytes, p.partitionMaxBytes)) : null;
    if (records === null && mayPark && request.maxWaitMs > 0) {
      this.parked.push({
        message,
        request,
        deadlineMs: this.nowMs + Math.min(request.maxWaitMs, this.config.fetchMaxWaitMs),
        highWatermark: this.hw,
        logEnd: this.log.endOffset,
      });
      return;
    }
    this.fetchResponse(message, { errorCode: ErrorCode.NONE, records });
  }

  /** Answers every held fetch (leadership is changing, or the node stops). */
  private async answerParked(): Promise<void> {
    const parked = this.parked;
    this.parked = [];
    for (const f of parked) await this.handleFetchRequest(f.message, f.request, false);
  }

  private async completeParked(): Promise<void> {
    if (this.parked.length === 0) return;
    const due: ParkedFetch[] = [];
    const waiting: ParkedFetch[] = [];
    for (const f of this.parked) {
      const ready = this.nowMs >= f.deadlineMs || this.hw !== f.highWatermark || this.log.endOffset !== f.logEnd || this.currentRole !== 'leader';
      (ready ? due : waiting).push(f);
    }
    this.parked = waiting;
    for (const f of due) await this.handleFetchRequest(f.message, f.request, false);
  }

  private updateLeaderHighWatermark(): void {
    if (this.currentRole !== 'leader') return;
    const offsets = this.voters.map((id) => (id === this.nodeId ? this.log.durableEndOffset : (this.replicas.get(id)?.endOffset ?? -1)));
    offsets.sort((a, b) => b - a);
    const candidate = offsets[this.majorityIndex()]!;
    // Only an offset of this epoch commits (Raft's rule); older entries commit with it.
    if (candidate > this.epochStartOffset && candidate > this.hw) {
      if (candidate > this.log.endOffset) throw new RaftInvariantError(`high watermark ${candidate} past the log end ${this.log.endOffset}`);
      this.hw = candidate;
    }
  }

  // -- Fetch (follower side) --------------------------------------------------

  private sendFetch(): void {
    const correlationId = this.nextCorrelationId++;
    const fetchOffset = this.log.endOffset;
    if (this.log.durableEndOffset !== fetchOffset) throw new RaftInvariantError(`fetching from ${fetchOffset} with only ${this.log.durableEndOffset} durable`);
    this.fetchInFlight = { correlationId, fetchOffset, sentMs: this.nowMs };
    this.send(this.election.leaderId, correlationId, {
      kind: 'FetchRequest',
      data: {
        clusterId: this.clusterId,
        replicaId: -1,
        replicaState: { replicaId: this.nodeId, replicaEpoch: -1n },
        maxWaitMs: this.config.fetchMaxWaitMs,
        minBytes: 0,
        maxBytes: this.config.fetchMaxBytes,
        isolationLevel: 0,
        sessionId: 0,
        sessionEpoch: -1,
        topics: [
          {
            topic: METADATA_TOPIC_NAME,
            topicId: METADATA_TOPIC_ID,
            partitions: [
              {
                partition: METADATA_PARTITION,
                currentLeaderEpoch: this.election.epoch,
                fetchOffset: BigInt(fetchOffset),
                lastFetchedEpoch: this.log.lastEpoch,
                logStartOffset: 0n,
                partitionMaxBytes: this.config.fetchMaxBytes,
                replicaDirectoryId: 'AAAAAAAAAAAAAAAAAAAAAA',
              },
            ],
          },
        ],
        forgottenTopicsData: [],
        rackId: '',
      },
    });
  }

  private async handleFetchResponse(message: RaftMessage, response: FetchResponse): Promise<void> {
    const inFlight = this.fetchInFlight;
    if (inFlight === null || inFlight.correlationId !== message.correlationId) return;
    this.fetchInFlight = null;
    const p = response.responses[0]?.partitions[0];
    if (p === undefined || response.errorCode !== 0) {
      this.fetchBackoffUntilMs = this.nowMs + this.config.retryBackoffMs;
      return;
    }
    if (!(await this.observeEpoch(p.currentLeader.leaderEpoch, p.currentLeader.leaderId))) {
      this.fetchBackoffUntilMs = this.nowMs + this.config.retryBackoffMs;
      return;
    }
    if (this.currentRole !== 'follower' || message.from !== this.election.leaderId || p.currentLeader.leaderEpoch !== this.election.epoch) return;
    if (p.errorCode !== ErrorCode.NONE) {
      this.fetchBackoffUntilMs = this.nowMs + this.config.retryBackoffMs;
      return;
    }
    if (this.log.endOffset !== inFlight.fetchOffset) return;
    if (p.snapshotId.epoch >= 0 || p.snapshotId.endOffset >= 0n) throw new RaftInvariantError('the leader offered a snapshot; snapshots are not supported yet');
    // A live leader of our epoch answered: it is there.
    this.fetchDeadlineMs = this.nowMs + this.config.fetchTimeoutMs;
    if (p.divergingEpoch.epoch >= 0) {
      await this.truncateToDivergence(p.divergingEpoch.epoch, Number(p.divergingEpoch.endOffset));
      return;
    }
    if (p.records !== null && p.records.length > 0) {
      // A fetch response may end in a cut batch (size limits): keep whole batches only.
      const walk = iterateBatches(p.records);
      const whole = walk.tailOffset === p.records.length ? p.records : p.records.subarray(0, walk.tailOffset);
      if (whole.length > 0) {
        const first = indexBatches(whole.subarray(0, walk.batches[0]!.sizeBytes), false)[0]!;
        if (first.baseOffset !== this.log.endOffset) {
          throw new RaftInvariantError(`leader ${message.from} sent a batch at ${first.baseOffset} for a fetch from ${this.log.endOffset}`);
        }
        this.log.appendAsFollower(Buffer.from(whole));
        this.dirty = true;
      }
    }
    const leaderHw = Number(p.highWatermark);
    if (leaderHw >= 0) {
      const next = Math.min(leaderHw, this.log.endOffset);
      if (next > this.hw) this.hw = next;
    }
  }

  private async truncateToDivergence(epoch: number, endOffset: number): Promise<void> {
    let target: number;
    if (epoch === 0) {
      target = Math.min(endOffset, this.log.endOffset);
    } else {
      const local = this.log.endOffsetForEpoch(epoch);
      target = local.epoch === epoch ? Math.min(local.offset, endOffset) : local.offset;
    }
    if (target < this.hw) throw new RaftInvariantError(`asked to truncate to ${target}, below the high watermark ${this.hw}`);
    if (target >= this.log.endOffset) {
      // Nothing of ours to cut, yet the leader saw divergence: go back one batch.
      const last = this.log.batchAt(this.log.endOffset - 1);
      target = last === undefined ? 0 : last.baseOffset;
      if (target < this.hw) throw new RaftInvariantError(`divergence below the high watermark ${this.hw}`);
    }
    await this.log.truncateTo(target);
    if (this.deliveredTo > this.log.endOffset) throw new RaftInvariantError(`truncated below delivered offset ${this.deliveredTo}`);
    this.dirty = true;
  }

  // ==========================================================================
  // After the messages

  private async flushAndAdvance(): Promise<void> {
    if (this.log.durableEndOffset < this.log.endOffset) await this.log.flush();
    this.dirty = false;
    if (this.currentRole === 'leader') {
      const self = this.replicas.get(this.nodeId);
      if (self !== undefined) {
        self.endOffset = this.log.durableEndOffset;
        self.lastFetchMs = this.nowMs;
      }
      this.updateLeaderHighWatermark();
      await this.completeParked();
    }
  }

  private async sendRequests(): Promise<void> {
    const now = this.nowMs;
    switch (this.currentRole) {
      case 'candidate': {
        for (const id of this.voters) {
          if (id === this.nodeId || this.granted.has(id) || this.rejected.has(id)) continue;
          const sent = this.voteSentMs.get(id);
          if (sent !== undefined && now < sent + this.config.requestTimeoutMs) continue;
          this.voteSentMs.set(id, now);
          this.send(id, this.nextCorrelationId++, {
            kind: 'VoteRequest',
            data: {
              clusterId: this.clusterId,
              voterId: id,
              topics: [
                {
                  topicName: METADATA_TOPIC_NAME,
                  partitions: [
                    {
                      partitionIndex: METADATA_PARTITION,
                      candidateEpoch: this.election.epoch,
                      candidateId: this.nodeId,
                      candidateDirectoryId: 'AAAAAAAAAAAAAAAAAAAAAA',
                      voterDirectoryId: 'AAAAAAAAAAAAAAAAAAAAAA',
                      lastOffsetEpoch: this.log.lastEpoch,
                      lastOffset: BigInt(this.log.endOffset),
                    },
                  ],
                },
              ],
            },
          });
        }
        break;
      }
      case 'leader': {
        for (const [id, replica] of this.replicas) {
          if (id === this.nodeId || replica.acknowledged || now < replica.lastBeginEpochSentMs + this.config.requestTimeoutMs) continue;
          replica.lastBeginEpochSentMs = now;
          this.send(id, this.nextCorrelationId++, {
            kind: 'BeginQuorumEpochRequest',
            data: {
              clusterId: this.clusterId,
              voterId: id,
              topics: [
                {
                  topicName: METADATA_TOPIC_NAME,
                  partitions: [
                    { partitionIndex: METADATA_PARTITION, voterDirectoryId: 'AAAAAAAAAAAAAAAAAAAAAA', leaderId: this.nodeId, leaderEpoch: this.election.epoch },
                  ],
                },
              ],
              leaderEndpoints: [],
            },
          });
        }
        break;
      }
      case 'follower':
        if (this.fetchInFlight === null && now >= this.fetchBackoffUntilMs) this.sendFetch();
        break;
      default:
        break;
    }
  }

  /** Hands out every batch below the high watermark not handed out yet. */
  private async deliverCommitted(): Promise<void> {
    while (this.deliveredTo < this.hw) {
      const bytes = await this.log.read(this.deliveredTo, 1024 * 1024);
      const walk = iterateBatches(bytes);
      if (walk.batches.length === 0) throw new RaftInvariantError(`no batch at ${this.deliveredTo} below the high watermark ${this.hw}`);
      for (const span of walk.batches) {
        const batchBytes = bytes.subarray(span.offset, span.offset + span.sizeBytes);
        const info = indexBatches(batchBytes, true)[0]!;
        if (info.lastOffset < this.deliveredTo) continue;
        if (info.baseOffset !== this.deliveredTo) throw new RaftInvariantError(`batch at ${info.baseOffset}, expected ${this.deliveredTo}`);
        if (info.lastOffset >= this.hw) {
          if (info.baseOffset < this.hw) throw new RaftInvariantError(`high watermark ${this.hw} inside the batch ${info.baseOffset}..${info.lastOffset}`);
          return;
        }
        const records = info.isControl ? [] : decodeRecordBatch(batchBytes, 0).records.map((r) => r.value ?? Buffer.alloc(0));
        this.committed.push({ ...info, records });
        this.deliveredTo = info.lastOffset + 1;
      }
    }
  }
}
