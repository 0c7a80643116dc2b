/**
 * Consumer: the classic group protocol (JoinGroup / SyncGroup / Heartbeat /
 * LeaveGroup) or manual assignment, a fetcher that keeps one Fetch in flight
 * per leader, and three ways to read: `poll()` for batches,
 * `for await (const message of consumer)`, and `run()` with per-message
 * handlers and an optional dead-letter queue.
 *
 * Positions and commits. `position` is the next offset handed to the user.
 * A message counts as consumed once the user is done with it: the next
 * `poll()`, the next iteration of `for await`, or its `run()` handler
 * returning. Auto-commit (and the commit before a rebalance or close) commits
 * consumed offsets only, so a crash re-delivers at most what was in hand.
 * `commit()` without arguments commits every position handed out, as Java's
 * commitSync() does.
 *
 * Rebalancing. With only cooperative assignors configured the consumer
 * rebalances incrementally (KIP-429): it keeps what it still owns and gives
 * up only what moved, then rejoins. Otherwise it revokes everything before
 * each join (eager), which is what Kafka's Java client does with its default
 * [range, cooperative-sticky] list.
 */
import { ApiKey } from '../protocol/generated/api-registry.js';
import type { FetchResponse } from '../protocol/generated/messages/fetch-response.js';
import { ErrorCode } from '../protocol/errors/index.js';
import { Cluster, ZERO_UUID, isStaleMetadataError, type ClientOptions } from './cluster.js';
import {
  decodeAssignment,
  decodeSubscription,
  encodeAssignment,
  encodeSubscription,
  type TopicPartition,
} from './consumer-protocol.js';
import { builtinAssignors, type Assignor, type AssignorName, type MemberSubscription } from './assignors.js';
import { ClientClosedError, KafkaConfigError, KafkaProtocolError, checkErrorCode, isRetriable } from './errors.js';
import { scanFetchedRecords, type ConsumerMessage, type FetchedRecords } from './fetch-records.js';
import {
  commitOffsets,
  fetchCommittedOffsets,
  listOffsets,
  IsolationLevel,
  type CommittedOffset,
  type IsolationLevelName,
  type OffsetSpec,
  type OffsetToCommit,
} from './offsets.js';
import { Producer, type ConsumerGroupMetadata } from './producer.js';
import { sleep } from './backoff.js';

export type { ConsumerMessage };

export interface DeadLetterOptions {
  /** Handler attempts after the first before the message goes to the dead-letter topic. Default 3. */
  retries?: number;
  /** Wait before the first retry; doubles each time. Default 100. */
  backoffMs?: number;
  /** The dead-letter topic, or a function of the source topic. Default `<topic>.dlq`. */
  topic?: string | ((sourceTopic: string) => string);
  /** Produce dead letters with this producer (not closed by the consumer). Default: one the consumer creates with default options. */
  producer?: Producer;
}

export interface ConsumerOptions extends ClientOptions {
  /** `group.id`: needed for subscribe() and commits. */
  groupId?: string;
  /** `group.instance.id`: static membership (KIP-345). */
  groupInstanceId?: string;
  /** `session.timeout.ms`. Default 45000. */
  sessionTimeoutMs?: number;
  /** `heartbeat.interval.ms`. Default 3000. */
  heartbeatIntervalMs?: number;
  /** `max.poll.interval.ms`: leave the group when the application stops reading this long. Default 300000. */
  maxPollIntervalMs?: number;
  /** Rebalance timeout sent in JoinGroup. Default maxPollIntervalMs. */
  rebalanceTimeoutMs?: number;
  /** `auto.offset.reset`. Default 'latest'. */
  autoOffsetReset?: 'earliest' | 'latest' | 'none';
  /** `enable.auto.commit`. Default true. */
  enableAutoCommit?: boolean;
  /** `auto.commit.interval.ms`. Default 5000. */
  autoCommitIntervalMs?: number;
  /** `isolation.level`. Default 'read_uncommitted'. */
  isolationLevel?: IsolationLevelName;
  /** `partition.assignment.strategy`, in preference order. Default ['range', 'cooperative-sticky']. */
  partitionAssignors?: Array<AssignorName | Assignor>;
  /** `fetch.min.bytes`. Default 1. */
  fetchMinBytes?: number;
  /** `fetch.max.bytes`. Default 52428800. */
  fetchMaxBytes?: number;
  /** `fetch.max.wait.ms`. Default 500. */
  fetchMaxWaitMs?: number;
  /** `max.partition.fetch.bytes`. Default 1048576. */
  maxPartitionFetchBytes?: number;
  /** `max.poll.records`. Default 500. */
  maxPollRecords?: number;
  /** Called after partitions are assigned (and their positions known). */
  onPartitionsAssigned?: (partitions: TopicPartition[]) => void | Promise<void>;
  /** Called before partitions are taken away, after their offsets were committed. */
  onPartitionsRevoked?: (partitions: TopicPartition[]) => void | Promise<void>;
  /** Called when partitions were lost without a chance to commit (the member was fenced). */
  onPartitionsLost?: (partitions: TopicPartition[]) => void | Promise<void>;
  /** Used by run(): retry a failing handler, then park the message in a dead-letter topic. */
  deadLetter?: DeadLetterOptions;
}

export interface PollOptions {
  /** Wait this long for a first message. Default 1000. */
  timeoutMs?: number;
  /** Default maxPollRecords. */
  maxRecords?: number;
}

export interface RunOptions {
  eachMessage?: (message: ConsumerMessage) => Promise<void> | void;
  /** Called with the messages of one partition at a time (after eachMessage, if both are given). */
  eachBatch?: (batch: { topic: string; partition: number; messages: ConsumerMessage[] }) => Promise<void> | void;
}

interface PartitionState {
  topic: string;
  partition: number;
  /** Next offset to hand out; null until looked up (committed offset or reset policy). */
  position: bigint | null;
  /** Next offset to fetch; meaningful once position is known. */
  fetchOffset: bigint;
  /** Fetched records poll() has not taken yet; null when there are none. */
  buffer: FetchedRecords | null;
  paused: boolean;
  fetching: boolean;
  resolving: boolean;
  /** Bumped by seek and reset, so that a fetch begun before them is discarded. */
  epoch: number;
  /** Pending reset: where to go when position is null and there is no committed offset to use. */
  resetTo: OffsetSpec | null;
  /** Offset up to which the user is done (the commit candidate). */
  consumed: bigint | null;
  /** Last offset known to be committed (fetched, or a commit of ours that succeeded). */
  committed: bigint | null;
  /** Highest offset in a commit request of ours still awaiting its answer; null when none is. */
  commitPending: bigint | null;
  commitsInFlight: number;
  leaderEpoch: number;
  error: Error | null;
}

const REJOIN_NOW = new Set<number>([ErrorCode.REBALANCE_IN_PROGRESS]);
const RESET_MEMBER = new Set<number>([ErrorCode.UNKNOWN_MEMBER_ID, ErrorCode.ILLEGAL_GENERATION]);

function tpKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}

function sortTps(list: TopicPartition[]): TopicPartition[] {
  return list.sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition));
}

export class Consumer implements AsyncIterable<ConsumerMessage> {
  readonly cluster: Cluster;
  private readonly options: ConsumerOptions;
  private readonly groupId: string | null;
  private readonly groupInstanceId: string | null;
  private readonly sessionTimeoutMs: number;
  private readonly heartbeatIntervalMs: number;
  private readonly maxPollIntervalMs: number;
  private readonly rebalanceTimeoutMs: number;
  private readonly autoOffsetReset: 'earliest' | 'latest' | 'none';
  private readonly autoCommit: boolean;
  private readonly autoCommitIntervalMs: number;
  private readonly isolationLevel: number;
  private readonly assignors: Assignor[];
  private readonly cooperative: boolean;
  private readonly fetchMinBytes: number;
  private readonly fetchMaxBytes: number;
  private readonly fetchMaxWaitMs: number;
  private readonly maxPartitionFetchBytes: number;
  private readonly maxPollRecords: number;

  private mode: 'none' | 'subscribe' | 'assign' = 'none';
  private subscription: string[] = [];
  private readonly partitions = new Map<string, PartitionState>();
  private connecting: Promise<void> | null = null;
  private closing = false;
  private closed = false;
  private fatalError: Error | null = null;

  // Group membership.
  private memberId = '';
  private generationId = -1;
  private protocolName: string | null = null;
  private isLeader = false;
  private rejoinNeeded = false;
  private groupLoopRunning: Promise<void> | null = null;
  private groupWake: (() => void) | null = null;
  private assignedPartitionCounts = new Map<string, number>();
  private lastPollMs = Date.now();
  /** Left the group because the application stopped polling; rejoin on the next poll. */
  private leftForPollTimeout = false;
  private lastHeartbeatOkMs = Date.now();
  private joinedOnce: Array<{ resolve: () => void; reject: (error: Error) => void }> = [];

  // Fetching.
  private readonly leadersFetching = new Set<number>();
  private fetchScheduled = false;
  private dataWaiters: Array<() => void> = [];
  private pollCursor = 0;
  private autoCommitTimer: NodeJS.Timeout | null = null;
  private lastHandedOut: ConsumerMessage | null = null;
  /** What the last public poll() returned: consumed once the user polls again or closes. */
  private lastUserBatch: ConsumerMessage[] = [];
  private dlqProducer: Producer | null = null;
  /** OffsetCommit requests awaiting their answer; close() lets them finish before disconnecting. */
  private readonly commitsRunning = new Set<Promise<void>>();

  constructor(options: ConsumerOptions) {
    this.options = options;
    this.cluster = new Cluster(options);
    this.groupId = options.groupId ?? null;
    this.groupInstanceId = options.groupInstanceId ?? null;
    this.sessionTimeoutMs = options.sessionTimeoutMs ?? 45_000;
    this.heartbeatIntervalMs = options.heartbeatIntervalMs ?? 3_000;
    this.maxPollIntervalMs = options.maxPollIntervalMs ?? 300_000;
    this.rebalanceTimeoutMs = options.rebalanceTimeoutMs ?? this.maxPollIntervalMs;
    this.autoOffsetReset = options.autoOffsetReset ?? 'latest';
    this.autoCommit = (options.enableAutoCommit ?? true) && this.groupId !== null;
    this.autoCommitIntervalMs = options.autoCommitIntervalMs ?? 5_000;
    this.isolationLevel = options.isolationLevel === 'read_committed' ? IsolationLevel.readCommitted : IsolationLevel.readUncommitted;
    this.assignors = (options.partitionAssignors ?? ['range', 'cooperative-sticky']).map((a) => {
      if (typeof a !== 'string') return a;
      const found = builtinAssignors[a];
      if (found === undefined) throw new KafkaConfigError(`unknown assignor "${a}"`);
      return found;
    });
    if (this.assignors.length === 0) throw new KafkaConfigError('partitionAssignors is empty');
    this.cooperative = this.assignors.every((a) => a.cooperative);
    this.fetchMinBytes = options.fetchMinBytes ?? 1;
    this.fetchMaxBytes = options.fetchMaxBytes ?? 52_428_800;
    this.fetchMaxWaitMs = options.fetchMaxWaitMs ?? 500;
    this.maxPartitionFetchBytes = options.maxPartitionFetchBytes ?? 1_048_576;
    this.maxPollRecords = options.maxPollRecords ?? 500;
  }

  connect(): Promise<void> {
    if (this.closing) return Promise.reject(new ClientClosedError('consumer'));
    this.connecting ??= this.cluster.connect().then(
      () => {
        if (this.autoCommit && this.autoCommitTimer === null) {
          this.autoCommitTimer = setInterval(() => {
            this.commitConsumed().catch((error: unknown) => this.cluster.logger.warn({ error: String(error) }, 'auto-commit failed'));
          }, this.autoCommitIntervalMs);
          this.autoCommitTimer.unref();
        }
      },
      (error: unknown) => {
        this.connecting = null;
        throw error;
      },
    );
    return this.connecting;
  }

  // ---------------------------------------------------------------------------
  // Subscription and assignment

  /** Joins the group and consumes the topics' partitions the group assigns. Resolves once the first assignment arrived. */
  async subscribe(topics: string[]): Promise<void> {
    if (this.groupId === null) throw new KafkaConfigError('subscribe() needs a groupId');
    if (this.mode === 'assign') throw new KafkaConfigError('cannot subscribe() after assign(); use one or the other');
    if (topics.length === 0) throw new KafkaConfigError('subscribe() needs at least one topic');
    await this.connect();
    this.mode = 'subscribe';
    this.subscription = [...new Set(topics)].sort();
    this.cluster.addTopics(this.subscription);
    this.rejoinNeeded = true;
    this.lastPollMs = Date.now();
    const joined = new Promise<void>((resolve, reject) => this.joinedOnce.push({ resolve, reject }));
    this.startGroupLoop();
    await joined;
  }

  /** A failure the group loop cannot recover from: surfaces in subscribe() and poll(). */
  private setFatal(error: unknown): void {
    this.fatalError = error instanceof Error ? error : new Error(String(error));
    for (const waiter of this.joinedOnce.splice(0)) waiter.reject(this.fatalError);
    this.wakeDataWaiters();
  }

  /** Consumes exactly these partitions, without a group rebalance (commits still go to groupId if set). */
  async assign(partitions: TopicPartition[]): Promise<void> {
    if (this.mode === 'subscribe') throw new KafkaConfigError('cannot assign() while subscribed; use one or the other');
    await this.connect();
    this.mode = 'assign';
    await this.cluster.topicsMetadata([...new Set(partitions.map((p) => p.topic))]);
    const wanted = new Set(partitions.map((p) => tpKey(p.topic, p.partition)));
    for (const [k] of this.partitions) if (!wanted.has(k)) this.partitions.delete(k);
    for (const p of partitions) this.addPartition(p);
    this.kickFetch();
  }

  /**
   * Stops consuming: commits consumed offsets (with auto-commit), leaves the
   * group or drops the manual assignment. subscribe() or assign() may follow.
   */
  async unsubscribe(): Promise<void> {
    const states = [...this.partitions.values()];
    if (this.mode === 'subscribe') {
      this.mode = 'none';
      this.wakeGroup();
      await this.groupLoopRunning?.catch(() => {});
      await this.revoke(states);
      await this.leaveGroup();
      this.cluster.removeTopics(this.subscription);
      this.subscription = [];
    } else {
      if (this.autoCommit) await this.commitConsumed(states).catch(() => {});
      this.partitions.clear();
      this.mode = 'none';
    }
  }

  /** The topics passed to subscribe(). */
  subscribedTopics(): string[] {
    return [...this.subscription];
  }

  /** The partitions this consumer currently owns. */
  assignment(): TopicPartition[] {
    return sortTps([...this.partitions.values()].map((s) => ({ topic: s.topic, partition: s.partition })));
  }

  /** For offsets committed through a transactional producer. */
  groupMetadata(): ConsumerGroupMetadata {
    if (this.groupId === null) throw new KafkaConfigError('no groupId');
    return { groupId: this.groupId, generationId: this.generationId, memberId: this.memberId, groupInstanceId: this.groupInstanceId };
  }

  private addPartition(tp: TopicPartition): PartitionState {
    const k = tpKey(tp.topic, tp.partition);
    let state = this.partitions.get(k);
    if (state === undefined) {
      state = {
        topic: tp.topic,
        partition: tp.partition,
        position: null,
        fetchOffset: 0n,
        buffer: null,
        paused: false,
        fetching: false,
        resolving: false,
        epoch: 0,
        resetTo: null,
        consumed: null,
        committed: null,
        commitPending: null,
        commitsInFlight: 0,
        leaderEpoch: -1,
        error: null,
      };
      this.partitions.set(k, state);
    }
    return state;
  }

  private state(tp: TopicPartition): PartitionState {
    const s = this.partitions.get(tpKey(tp.topic, tp.partition));
    if (s === undefined) throw new KafkaConfigError(`${tp.topic}-${tp.partition} is not assigned to this consumer`);
    return s;
  }

  /** Moves the position: the next message handed out is at this offset (or the earliest/latest/first at a time). */
  seek(tp: TopicPartition, to: bigint | number | OffsetSpec): void {
    const s = this.state(tp);
    s.epoch++;
    s.buffer = null;
    s.error = null;
    if (typeof to === 'bigint' || typeof to === 'number') {
      const offset = BigInt(to);
      s.position = offset;
      s.fetchOffset = offset;
      s.resetTo = null;
    } else {
      s.position = null;
      s.resetTo = to;
    }
    this.kickFetch();
  }

  pause(partitions: TopicPartition[]): void {
    for (const tp of partitions) this.state(tp).paused = true;
  }

  resume(partitions: TopicPartition[]): void {
    for (const tp of partitions) this.state(tp).paused = false;
    this.kickFetch();
    this.wakeDataWaiters();
  }

  paused(): TopicPartition[] {
    return sortTps([...this.partitions.values()].filter((s) => s.paused).map((s) => ({ topic: s.topic, partition: s.partition })));
  }

  /** The next offset to be handed out for a partition (waits for it to be looked up). */
  async position(tp: TopicPartition): Promise<bigint> {
    const s = this.state(tp);
    while (s.position === null) {
      if (s.error !== null) throw s.error;
      if (this.closing) throw new ClientClosedError('consumer');
      this.kickFetch();
      await sleep(10);
    }
    return s.position;
  }

  /** The group's committed offsets for these partitions (-1 when none). */
  async committed(partitions: TopicPartition[]): Promise<CommittedOffset[]> {
    if (this.groupId === null) throw new KafkaConfigError('committed() needs a groupId');
    await this.connect();
    return fetchCommittedOffsets(this.cluster, this.groupId, partitions, { requireStable: this.isolationLevel === IsolationLevel.readCommitted });
  }

  // ---------------------------------------------------------------------------
  // Commits

  private commitContext(): { generationId: number; memberId: string; groupInstanceId: string | null } {
    return this.mode === 'subscribe'
      ? { generationId: this.generationId, memberId: this.memberId, groupInstanceId: this.groupInstanceId }
      : { generationId: -1, memberId: '', groupInstanceId: null };
  }

  /**
   * Commits offsets: the given ones, or else the position of every partition
   * (everything handed out so far counts as processed).
   */
  async commit(offsets?: OffsetToCommit[]): Promise<void> {
    if (this.groupId === null) throw new KafkaConfigError('commit() needs a groupId');
    const list: OffsetToCommit[] =
      offsets ??
      [...this.partitions.values()]
        .filter((s) => s.position !== null && s.position !== s.committed)
        .map((s) => ({ topic: s.topic, partition: s.partition, offset: s.position!, leaderEpoch: s.leaderEpoch }));
    await this.sendCommit(list, {});
  }

  /**
   * Commits what the user is done with (auto-commit, before rebalances and on
   * close). Only forward: a partition is committed when its consumed offset
   * is beyond both its last commit and any commit of ours still in flight, so
   * an automatic commit never undoes a newer explicit commit().
   */
  private async commitConsumed(partitions?: PartitionState[]): Promise<void> {
    if (this.groupId === null || this.closed) return;
    if (this.mode === 'subscribe' && this.generationId < 0) return;
    const list = (partitions ?? [...this.partitions.values()])
      .filter((s) => s.consumed !== null && (s.committed === null || s.consumed > s.committed) && (s.commitPending === null || s.consumed > s.commitPending))
      .map((s) => ({ topic: s.topic, partition: s.partition, offset: s.consumed!, leaderEpoch: s.leaderEpoch }));
    if (list.length === 0) return;
    await this.sendCommit(list, { retries: 2 });
  }

  /** One OffsetCommit; records it as pending per partition until answered, and as committed once it succeeded. */
  private async sendCommit(list: OffsetToCommit[], options: { retries?: number }): Promise<void> {
    if (list.length === 0) return;
    const states: Array<PartitionState | undefined> = list.map((o) => this.partitions.get(tpKey(o.topic, o.partition)));
    for (let i = 0; i < list.length; i++) {
      const s = states[i];
      if (s === undefined) continue;
      s.commitsInFlight++;
      if (s.commitPending === null || list[i]!.offset > s.commitPending) s.commitPending = list[i]!.offset;
    }
    const request = commitOffsets(this.cluster, this.groupId!, list, this.commitContext(), options);
    this.commitsRunning.add(request);
    try {
      await request;
      for (let i = 0; i < list.length; i++) {
        const s = states[i];
        if (s !== undefined) s.committed = list[i]!.offset;
      }
    } finally {
      this.commitsRunning.delete(request);
      for (const s of states) {
        if (s === undefined) continue;
        if (--s.commitsInFlight === 0) s.commitPending = null;
      }
    }
  }

  private markConsumed(message: ConsumerMessage): void {
    const s = this.partitions.get(tpKey(message.topic, message.partition));
    if (s !== undefined && (s.consumed === null || message.offset + 1n > s.consumed)) s.consumed = message.offset + 1n;
  }

  // ---------------------------------------------------------------------------
  // Group membership

  private startGroupLoop(): void {
    if (this.groupLoopRunning !== null) {
      this.wakeGroup();
      return;
    }
    this.groupLoopRunning = this.groupLoop().finally(() => {
      this.groupLoopRunning = null;
    });
  }

  private wakeGroup(): void {
    const wake = this.groupWake;
    this.groupWake = null;
    wake?.();
  }

  private waitGroup(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.groupWake = null;
        resolve();
      }, ms);
      this.groupWake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  private async groupLoop(): Promise<void> {
    let failures = 0;
    while (!this.closing && this.mode === 'subscribe') {
      if (this.leftForPollTimeout) {
        // Out of the group until the application polls again.
        await this.waitGroup(this.heartbeatIntervalMs);
        continue;
      }
      if (this.rejoinNeeded || this.generationId < 0) {
        try {
          await this.joinGroup();
          failures = 0;
        } catch (error) {
          if (this.closing) return;
          if (!isRetriable(error)) {
            this.setFatal(error);
            return;
          }
          this.cluster.logger.warn({ error: String(error) }, 'join failed; retrying');
          await this.cluster.backoff(failures++);
        }
        continue;
      }
      await this.waitGroup(this.heartbeatIntervalMs);
      if (this.closing || this.rejoinNeeded) continue;
      if (Date.now() - this.lastPollMs > this.maxPollIntervalMs) {
        // The application stopped reading: give the partitions to someone who will (as Java does).
        this.cluster.logger.warn({ groupId: this.groupId }, 'max.poll.interval.ms exceeded; leaving the group');
        this.leftForPollTimeout = true;
        await this.revoke([...this.partitions.values()]);
        await this.leaveGroup();
        continue;
      }
      await this.heartbeat();
      this.checkLeaderMetadata();
    }
  }

  private async heartbeat(): Promise<void> {
    const groupId = this.groupId!;
    try {
      const code = await this.cluster.sendToCoordinator(
        'group',
        groupId,
        ApiKey.Heartbeat,
        { groupId, generationId: this.generationId, memberId: this.memberId, groupInstanceId: this.groupInstanceId },
        (r) => {
          if (r.errorCode === ErrorCode.NOT_COORDINATOR || r.errorCode === ErrorCode.COORDINATOR_NOT_AVAILABLE) checkErrorCode(r.errorCode);
          return r.errorCode;
        },
        { retries: 1 },
      );
      if (code === 0) {
        this.lastHeartbeatOkMs = Date.now();
      } else if (REJOIN_NOW.has(code)) {
        this.rejoinNeeded = true;
      } else if (RESET_MEMBER.has(code)) {
        await this.lostMembership();
      } else {
        checkErrorCode(code, null, 'Heartbeat');
      }
    } catch (error) {
      if (!isRetriable(error)) {
        if (KafkaProtocolError.is(error, 'FENCED_INSTANCE_ID')) {
          this.setFatal(error);
        }
        this.cluster.logger.warn({ error: String(error) }, 'heartbeat failed');
      }
      if (Date.now() - this.lastHeartbeatOkMs > this.sessionTimeoutMs) await this.lostMembership();
    }
  }

  /** The coordinator no longer knows us: our partitions may already be someone else's. */
  private async lostMembership(): Promise<void> {
    this.memberId = this.groupInstanceId === null ? '' : this.memberId;
    this.generationId = -1;
    this.rejoinNeeded = true;
    const lost = this.assignment();
    this.partitions.clear();
    if (lost.length > 0) await this.callback(this.options.onPartitionsLost ?? this.options.onPartitionsRevoked, lost);
  }

  /** The leader rejoins when a subscribed topic's partition count changed since it assigned. */
  private checkLeaderMetadata(): void {
    if (!this.isLeader) return;
    for (const [topic, count] of this.assignedPartitionCounts) {
      const now = this.cluster.topic(topic)?.partitions.length ?? 0;
      if (now !== count) {
        this.rejoinNeeded = true;
        this.wakeGroup();
        return;
      }
    }
  }

  private async callback(fn: ((tps: TopicPartition[]) => void | Promise<void>) | undefined, tps: TopicPartition[]): Promise<void> {
    if (fn === undefined) return;
    try {
      await fn(tps);
    } catch (error) {
      this.cluster.logger.error({ error: String(error) }, 'partition callback failed');
    }
  }

  private async revoke(states: PartitionState[]): Promise<void> {
    if (states.length === 0) return;
    if (this.autoCommit) await this.commitConsumed(states).catch((error: unknown) => this.cluster.logger.warn({ error: String(error) }, 'commit before revoke failed'));
    await this.callback(
      this.options.onPartitionsRevoked,
      sortTps(states.map((s) => ({ topic: s.topic, partition: s.partition }))),
    );
    for (const s of states) this.partitions.delete(tpKey(s.topic, s.partition));
  }

  private async joinGroup(): Promise<void> {
    const groupId = this.groupId!;
    this.rejoinNeeded = false;
    if (!this.cooperative) await this.revoke([...this.partitions.values()]);
    const owned = this.assignment();
    const metadata = encodeSubscription({
      topics: this.subscription,
      ownedPartitions: this.cooperative ? owned : [],
      generationId: this.generationId,
      rackId: null,
    });
    const join = await this.cluster.sendToCoordinator(
      'group',
      groupId,
      ApiKey.JoinGroup,
      {
        groupId,
        sessionTimeoutMs: this.sessionTimeoutMs,
        rebalanceTimeoutMs: this.rebalanceTimeoutMs,
        memberId: this.memberId,
        groupInstanceId: this.groupInstanceId,
        protocolType: 'consumer',
        protocols: this.assignors.map((a) => ({ name: a.name, metadata })),
        reason: null,
      },
      (r) => {
        if (r.errorCode === ErrorCode.NOT_COORDINATOR || r.errorCode === ErrorCode.COORDINATOR_NOT_AVAILABLE || r.errorCode === ErrorCode.COORDINATOR_LOAD_IN_PROGRESS) {
          checkErrorCode(r.errorCode);
        }
        return r;
      },
      { timeoutMs: this.rebalanceTimeoutMs + 5_000 },
    );
    if (join.errorCode === ErrorCode.MEMBER_ID_REQUIRED) {
      this.memberId = join.memberId;
      this.rejoinNeeded = true;
      return;
    }
    if (RESET_MEMBER.has(join.errorCode)) {
      this.memberId = '';
      this.generationId = -1;
      this.rejoinNeeded = true;
      return;
    }
    if (REJOIN_NOW.has(join.errorCode)) {
      this.rejoinNeeded = true;
      return;
    }
    checkErrorCode(join.errorCode, null, `JoinGroup "${groupId}"`);
    this.memberId = join.memberId;
    this.generationId = join.generationId;
    this.protocolName = join.protocolName;
    this.isLeader = join.leader === join.memberId;
    const assignments = this.isLeader && !join.skipAssignment ? await this.computeAssignments(join.protocolName, join.members) : [];

    const sync = await this.cluster.sendToCoordinator(
      'group',
      groupId,
      ApiKey.SyncGroup,
      {
        groupId,
        generationId: this.generationId,
        memberId: this.memberId,
        groupInstanceId: this.groupInstanceId,
        protocolType: 'consumer',
        protocolName: this.protocolName,
        assignments,
      },
      (r) => {
        if (r.errorCode === ErrorCode.NOT_COORDINATOR || r.errorCode === ErrorCode.COORDINATOR_NOT_AVAILABLE) checkErrorCode(r.errorCode);
        return r;
      },
      { timeoutMs: this.rebalanceTimeoutMs + 5_000 },
    );
    if (REJOIN_NOW.has(sync.errorCode)) {
      this.rejoinNeeded = true;
      return;
    }
    if (RESET_MEMBER.has(sync.errorCode)) {
      this.memberId = '';
      this.generationId = -1;
      this.rejoinNeeded = true;
      return;
    }
    checkErrorCode(sync.errorCode, null, `SyncGroup "${groupId}"`);
    this.lastHeartbeatOkMs = Date.now();
    const assignment = decodeAssignment(sync.assignment);
    await this.applyAssignment(assignment.partitions);
    for (const waiter of this.joinedOnce.splice(0)) waiter.resolve();
  }

  private async computeAssignments(protocolName: string | null, members: Array<{ memberId: string; groupInstanceId: string | null; metadata: Buffer }>) {
    const assignor = this.assignors.find((a) => a.name === protocolName);
    if (assignor === undefined) throw new KafkaConfigError(`the group chose assignor "${protocolName}", which this consumer does not have`);
    const subscriptions: MemberSubscription[] = members.map((m) => {
      const s = decodeSubscription(m.metadata);
      return { memberId: m.memberId, groupInstanceId: m.groupInstanceId, topics: s.topics, ownedPartitions: s.ownedPartitions, generationId: s.generationId };
    });
    const topics = [...new Set(subscriptions.flatMap((s) => s.topics))];
    this.cluster.addTopics(topics);
    await this.cluster.refreshMetadata(topics);
    const counts = new Map<string, number>();
    for (const t of topics) {
      const info = this.cluster.topic(t);
      if (info !== undefined) counts.set(t, info.partitions.length);
    }
    // Missing topics count as 0 so that their creation later triggers a rebalance.
    this.assignedPartitionCounts = new Map(topics.map((t) => [t, counts.get(t) ?? 0]));
    const result = assignor.assign(subscriptions, counts);
    return subscriptions.map((m) => ({ memberId: m.memberId, assignment: encodeAssignment({ partitions: result.get(m.memberId) ?? [], userData: null }) }));
  }

  private async applyAssignment(partitions: TopicPartition[]): Promise<void> {
    const wanted = new Set(partitions.map((p) => tpKey(p.topic, p.partition)));
    const revoked = [...this.partitions.values()].filter((s) => !wanted.has(tpKey(s.topic, s.partition)));
    await this.revoke(revoked);
    const added: TopicPartition[] = [];
    for (const p of partitions) {
      if (!this.partitions.has(tpKey(p.topic, p.partition))) {
        this.addPartition(p);
        added.push(p);
      }
    }
    await this.cluster.topicsMetadata([...new Set(partitions.map((p) => p.topic))]).catch(() => {});
    await this.resolvePositions([...this.partitions.values()].filter((s) => s.position === null));
    if (added.length > 0) await this.callback(this.options.onPartitionsAssigned, sortTps(added));
    // Cooperative: having given partitions up, rejoin so that the group can hand them on.
    if (this.cooperative && revoked.length > 0) this.rejoinNeeded = true;
    this.kickFetch();
  }

  private async leaveGroup(): Promise<void> {
    const groupId = this.groupId;
    if (groupId === null || this.memberId === '' || this.generationId < 0) return;
    const memberId = this.memberId;
    this.generationId = -1;
    this.memberId = '';
    this.partitions.clear();
    if (this.groupInstanceId !== null) return; // static members keep their slot until the session times out
    try {
      await this.cluster.sendToCoordinator(
        'group',
        groupId,
        ApiKey.LeaveGroup,
        (version) => (version >= 3 ? { groupId, members: [{ memberId, groupInstanceId: null, reason: 'consumer closed' }] } : { groupId, memberId }),
        (r) => checkErrorCode(r.errorCode, null, 'LeaveGroup'),
        { retries: 1 },
      );
    } catch (error) {
      this.cluster.logger.warn({ error: String(error) }, 'LeaveGroup failed');
    }
  }

  // ---------------------------------------------------------------------------
  // Positions

  private async resolvePositions(states: PartitionState[]): Promise<void> {
    const todo = states.filter((s) => s.position === null && !s.resolving);
    if (todo.length === 0) return;
    for (const s of todo) s.resolving = true;
    const epochs = new Map(todo.map((s) => [s, s.epoch]));
    try {
      const needCommitted = todo.filter((s) => s.resetTo === null);
      if (needCommitted.length > 0 && this.groupId !== null) {
        const committed = await fetchCommittedOffsets(
          this.cluster,
          this.groupId,
          needCommitted.map((s) => ({ topic: s.topic, partition: s.partition })),
          { requireStable: this.isolationLevel === IsolationLevel.readCommitted },
        );
        for (const c of committed) {
          const s = this.partitions.get(tpKey(c.topic, c.partition));
          if (s === undefined || s.epoch !== epochs.get(s) || s.position !== null) continue;
          if (c.offset >= 0n) {
            s.position = c.offset;
            s.fetchOffset = c.offset;
            s.committed = c.offset;
            s.consumed = c.offset;
          }
        }
      }
      const toReset = todo.filter((s) => s.position === null && this.partitions.get(tpKey(s.topic, s.partition)) === s);
      const specs: Array<{ state: PartitionState; spec: OffsetSpec }> = [];
      for (const s of toReset) {
        const spec = s.resetTo ?? (this.autoOffsetReset === 'none' ? null : this.autoOffsetReset);
        if (spec === null) {
          s.error = new KafkaProtocolError(ErrorCode.OFFSET_OUT_OF_RANGE, `no committed offset for ${s.topic}-${s.partition} and auto.offset.reset is none`);
          continue;
        }
        specs.push({ state: s, spec });
      }
      if (specs.length > 0) {
        const listed = await listOffsets(
          this.cluster,
          specs.map(({ state, spec }) => ({ topic: state.topic, partition: state.partition, spec })),
          this.isolationLevel,
        );
        let latest: Map<string, bigint> | null = null;
        for (let i = 0; i < specs.length; i++) {
          const { state } = specs[i]!;
          if (state.epoch !== epochs.get(state) || state.position !== null) continue;
          let offset = listed[i]!.offset;
          if (offset < 0n) {
            // No record at or after a timestamp: start at the end.
            latest ??= new Map(
              (await listOffsets(this.cluster, specs.map(({ state: x }) => ({ topic: x.topic, partition: x.partition, spec: 'latest' as OffsetSpec })), this.isolationLevel)).map(
                (l) => [tpKey(l.topic, l.partition), l.offset],
              ),
            );
            offset = latest.get(tpKey(state.topic, state.partition)) ?? 0n;
          }
          state.position = offset;
          state.fetchOffset = offset;
          state.resetTo = null;
        }
      }
    } finally {
      for (const s of todo) s.resolving = false;
    }
  }

  // ---------------------------------------------------------------------------
  // Fetching

  private kickFetch(): void {
    if (this.fetchScheduled || this.closing) return;
    this.fetchScheduled = true;
    setImmediate(() => {
      this.fetchScheduled = false;
      this.runFetches();
    });
  }

  private runFetches(): void {
    if (this.closing) return;
    const unresolved = [...this.partitions.values()].filter((s) => s.position === null && !s.resolving && s.error === null);
    if (unresolved.length > 0) {
      this.resolvePositions(unresolved).then(
        () => this.kickFetch(),
        (error: unknown) => {
          this.cluster.logger.warn({ error: String(error) }, 'offset lookup failed');
          setTimeout(() => this.kickFetch(), this.cluster.retryBackoffMs).unref();
        },
      );
    }
    const byLeader = new Map<number, PartitionState[]>();
    let missingLeader = false;
    for (const s of this.partitions.values()) {
      if (s.paused || s.position === null || s.fetching || s.buffer !== null || s.error !== null) continue;
      const leader = this.cluster.leaderFor(s.topic, s.partition);
      if (leader < 0) {
        missingLeader = true;
        continue;
      }
      if (this.leadersFetching.has(leader)) continue;
      let list = byLeader.get(leader);
      if (list === undefined) byLeader.set(leader, (list = []));
      list.push(s);
    }
    if (missingLeader) {
      this.cluster.refreshMetadata().then(
        () => setTimeout(() => this.kickFetch(), this.cluster.retryBackoffMs).unref(),
        () => setTimeout(() => this.kickFetch(), this.cluster.retryBackoffMs).unref(),
      );
    }
    for (const [leader, states] of byLeader) void this.fetchFrom(leader, states);
  }

  private async fetchFrom(leader: number, states: PartitionState[]): Promise<void> {
    this.leadersFetching.add(leader);
    for (const s of states) s.fetching = true;
    const asked = states.map((s) => ({ state: s, epoch: s.epoch, offset: s.fetchOffset }));
    let retryDelay = 0;
    try {
      const connection = await this.cluster.connection(leader);
      let version = connection.versionFor(ApiKey.Fetch);
      const topicIds = new Map<string, string>();
      for (const s of states) topicIds.set(s.topic, this.cluster.topic(s.topic)?.topicId ?? ZERO_UUID);
      if (version >= 13 && [...topicIds.values()].some((id) => id === ZERO_UUID)) version = 12;
      const byTopic = new Map<string, typeof asked>();
      for (const a of asked) {
        let l = byTopic.get(a.state.topic);
        if (l === undefined) byTopic.set(a.state.topic, (l = []));
        l.push(a);
      }
      const response = await connection.request(
        ApiKey.Fetch,
        {
          replicaId: -1,
          maxWaitMs: this.fetchMaxWaitMs,
          minBytes: this.fetchMinBytes,
          maxBytes: this.fetchMaxBytes,
          isolationLevel: this.isolationLevel,
          sessionId: 0,
          sessionEpoch: -1,
          topics: [...byTopic].map(([topic, list]) => ({
            topic,
            topicId: topicIds.get(topic)!,
            partitions: list.map((a) => ({
              partition: a.state.partition,
              currentLeaderEpoch: -1,
              fetchOffset: a.offset,
              logStartOffset: -1n,
              partitionMaxBytes: this.maxPartitionFetchBytes,
            })),
          })),
          forgottenTopicsData: [],
          rackId: '',
        },
        { version, timeoutMs: this.cluster.requestTimeoutMs + this.fetchMaxWaitMs },
      );
      retryDelay = this.handleFetchResponse(response, asked, version >= 13);
    } catch (error) {
      if (!this.closing) {
        this.cluster.logger.debug({ error: String(error), leader }, 'fetch failed');
        if (isStaleMetadataError(error) || isRetriable(error)) this.cluster.refreshMetadata().catch(() => {});
        retryDelay = this.cluster.retryBackoffMs;
      }
    } finally {
      for (const s of states) s.fetching = false;
      this.leadersFetching.delete(leader);
    }
    if (retryDelay > 0) setTimeout(() => this.kickFetch(), retryDelay).unref();
    else this.kickFetch();
  }

  /** Applies a Fetch response; returns a delay before the next fetch when something needs time (0 for none). */
  private handleFetchResponse(response: FetchResponse, asked: Array<{ state: PartitionState; epoch: number; offset: bigint }>, byId: boolean): number {
    if (response.errorCode !== 0) {
      this.cluster.logger.warn({ error: new KafkaProtocolError(response.errorCode).name }, 'fetch failed');
      return this.cluster.retryBackoffMs;
    }
    let delay = 0;
    let gotData = false;
    for (const t of response.responses) {
      const topic = byId ? this.cluster.topicNameById(t.topicId) ?? t.topic : t.topic;
      for (const p of t.partitions) {
        const a = asked.find((x) => x.state.topic === topic && x.state.partition === p.partitionIndex);
        if (a === undefined) continue;
        const s = a.state;
        if (this.partitions.get(tpKey(s.topic, s.partition)) !== s || s.epoch !== a.epoch || s.fetchOffset !== a.offset) continue;
        if (p.errorCode !== 0) {
          if (p.errorCode === ErrorCode.OFFSET_OUT_OF_RANGE) {
            if (this.autoOffsetReset === 'none') {
              s.error = new KafkaProtocolError(p.errorCode, `offset ${a.offset} is out of range for ${s.topic}-${s.partition}`);
              gotData = true;
            } else {
              s.position = null;
              s.resetTo = this.autoOffsetReset;
              s.epoch++;
            }
          } else {
            const error = new KafkaProtocolError(p.errorCode);
            if (isStaleMetadataError(error) || error.retriable) {
              this.cluster.refreshMetadata().catch(() => {});
              delay = this.cluster.retryBackoffMs;
            } else {
              s.error = new KafkaProtocolError(p.errorCode, `fetch ${s.topic}-${s.partition}: ${error.message}`);
              gotData = true;
            }
          }
          continue;
        }
        try {
          const fetched = scanFetchedRecords(
            s.topic,
            s.partition,
            p.records,
            a.offset,
            p.abortedTransactions,
            this.isolationLevel === IsolationLevel.readCommitted,
          );
          s.fetchOffset = fetched.nextOffset;
          if (fetched.remaining > 0) {
            s.buffer = fetched;
            s.leaderEpoch = fetched.lastLeaderEpoch;
            gotData = true;
          } else if (s.position !== null && fetched.nextOffset > s.position) {
            // Only control records or aborted data: move past them.
            s.position = fetched.nextOffset;
          }
        } catch (error) {
          s.error = error instanceof Error ? error : new Error(String(error));
          gotData = true;
        }
      }
    }
    if (gotData) this.wakeDataWaiters();
    return delay;
  }

  private wakeDataWaiters(): void {
    for (const w of this.dataWaiters.splice(0)) w();
  }

  // ---------------------------------------------------------------------------
  // Reading

  /**
   * Returns buffered messages (up to maxRecords), waiting up to timeoutMs for
   * the first. They count as consumed at the next poll() or at close().
   */
  async poll(options: PollOptions = {}): Promise<ConsumerMessage[]> {
    const out = await this.pollInternal(options);
    this.lastUserBatch = out;
    return out;
  }

  private async pollInternal(options: PollOptions): Promise<ConsumerMessage[]> {
    if (this.closing) return [];
    await this.connect();
    if (this.mode === 'none') throw new KafkaConfigError('subscribe() or assign() first');
    // Everything handed out before this call is done with.
    for (const s of this.partitions.values()) if (s.position !== null) s.consumed = s.position;
    this.lastPollMs = Date.now();
    if (this.leftForPollTimeout) {
      this.leftForPollTimeout = false;
      this.rejoinNeeded = true;
    }
    if (this.mode === 'subscribe' && (this.generationId < 0 || this.rejoinNeeded)) this.startGroupLoop();
    const deadline = Date.now() + (options.timeoutMs ?? 1000);
    const maxRecords = options.maxRecords ?? this.maxPollRecords;
    for (;;) {
      if (this.fatalError !== null) throw this.fatalError;
      const out = this.takeBuffered(maxRecords);
      if (out.length > 0 || this.closing) return out;
      const remaining = deadline - Date.now();
      if (remaining <= 0) return out;
      this.kickFetch();
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, remaining);
        this.dataWaiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  private takeBuffered(maxRecords: number): ConsumerMessage[] {
    const states = [...this.partitions.values()];
    const out: ConsumerMessage[] = [];
    for (let i = 0; i < states.length && out.length < maxRecords; i++) {
      const s = states[(this.pollCursor + i) % states.length]!;
      if (s.error !== null) {
        const error = s.error;
        s.error = null;
        if (out.length > 0) {
          s.error = error;
          break;
        }
        throw error;
      }
      if (s.paused || s.buffer === null) continue;
      // The messages are made here, as they are handed out (see scanFetchedRecords).
      const before = out.length;
      s.buffer.take(maxRecords - out.length, out);
      if (out.length === before) continue;
      s.position = out[out.length - 1]!.offset + 1n;
      if (s.buffer.remaining === 0) {
        s.buffer = null;
        if (s.fetchOffset > s.position) s.position = s.fetchOffset;
        this.kickFetch();
      }
    }
    this.pollCursor = states.length === 0 ? 0 : (this.pollCursor + 1) % states.length;
    return out;
  }

  /** `for await (const message of consumer)`: ends when the consumer is closed. */
  async *[Symbol.asyncIterator](): AsyncGenerator<ConsumerMessage, void, undefined> {
    try {
      while (!this.closing) {
        const batch = await this.pollInternal({ timeoutMs: 1000 });
        for (const message of batch) {
          if (this.closing) return;
          if (!this.stillOwned(message)) continue;
          this.lastHandedOut = message;
          yield message;
          this.markConsumed(message);
          this.lastHandedOut = null;
        }
      }
    } finally {
      // Leaving the loop (break or return) means the current message was dealt with.
      if (this.lastHandedOut !== null) this.markConsumed(this.lastHandedOut);
      this.lastHandedOut = null;
    }
  }

  private stillOwned(message: ConsumerMessage): boolean {
    const s = this.partitions.get(tpKey(message.topic, message.partition));
    return s !== undefined && s.position !== null && message.offset < s.position;
  }

  /**
   * Calls the handlers for every message until the consumer is closed. With
   * `deadLetter` set, a failing eachMessage is retried with backoff, then the
   * message goes to the dead-letter topic and is committed; without it, a
   * handler error stops run() (nothing past the failed message is committed).
   */
  async run(handlers: RunOptions): Promise<void> {
    while (!this.closing) {
      const batch = await this.pollInternal({ timeoutMs: 1000 });
      const byPartition = new Map<string, ConsumerMessage[]>();
      for (const m of batch) {
        const k = tpKey(m.topic, m.partition);
        let l = byPartition.get(k);
        if (l === undefined) byPartition.set(k, (l = []));
        l.push(m);
      }
      for (const messages of byPartition.values()) {
        const done: ConsumerMessage[] = [];
        for (const message of messages) {
          if (this.closing) return;
          if (!this.stillOwned(message)) continue;
          if (handlers.eachMessage !== undefined) await this.handleWithDeadLetter(handlers.eachMessage, message);
          if (handlers.eachBatch === undefined) this.markConsumed(message);
          done.push(message);
        }
        if (handlers.eachBatch !== undefined && done.length > 0) {
          await handlers.eachBatch({ topic: done[0]!.topic, partition: done[0]!.partition, messages: done });
          for (const m of done) this.markConsumed(m);
        }
      }
    }
  }

  private async handleWithDeadLetter(handler: (m: ConsumerMessage) => Promise<void> | void, message: ConsumerMessage): Promise<void> {
    const dlq = this.options.deadLetter;
    if (dlq === undefined) {
      await handler(message);
      return;
    }
    const retries = dlq.retries ?? 3;
    const backoffMs = dlq.backoffMs ?? 100;
    let lastError: unknown = null;
    for (let attempt = 1; attempt <= retries + 1; attempt++) {
      try {
        await handler(message);
        return;
      } catch (error) {
        lastError = error;
        if (attempt <= retries) await sleep(backoffMs * 2 ** (attempt - 1));
        if (this.closing) throw error;
      }
    }
    await this.sendToDeadLetter(message, lastError, retries + 1);
    this.markConsumed(message);
    if (this.groupId !== null) {
      await this.commit([{ topic: message.topic, partition: message.partition, offset: message.offset + 1n, leaderEpoch: message.leaderEpoch }]);
    }
  }

  private async sendToDeadLetter(message: ConsumerMessage, error: unknown, attempts: number): Promise<void> {
    const dlq = this.options.deadLetter!;
    const topic = typeof dlq.topic === 'function' ? dlq.topic(message.topic) : dlq.topic ?? `${message.topic}.dlq`;
    const producer = dlq.producer ?? (this.dlqProducer ??= new Producer({ ...this.dlqClientOptions(), lingerMs: 0 }));
    const err = error instanceof Error ? error : new Error(String(error));
    await producer.send({
      topic,
      key: message.key,
      value: message.value,
      timestamp: message.timestamp,
      headers: [
        ...message.headers,
        { key: 'dlq.error.name', value: err.name },
        { key: 'dlq.error.message', value: err.message },
        { key: 'dlq.attempts', value: String(attempts) },
        { key: 'dlq.source.topic', value: message.topic },
        { key: 'dlq.source.partition', value: String(message.partition) },
        { key: 'dlq.source.offset', value: message.offset.toString() },
      ],
    });
  }

  private dlqClientOptions(): ClientOptions {
    const o = this.options;
    const out: ClientOptions = { bootstrapServers: o.bootstrapServers, clientId: `${this.cluster.clientId}-dlq` };
    if (o.requestTimeoutMs !== undefined) out.requestTimeoutMs = o.requestTimeoutMs;
    if (o.logger !== undefined) out.logger = o.logger;
    return out;
  }

  // ---------------------------------------------------------------------------
  // Closing

  /** Commits consumed offsets (with auto-commit), leaves the group and closes the connections. */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    if (this.autoCommitTimer !== null) clearInterval(this.autoCommitTimer);
    this.wakeDataWaiters();
    this.wakeGroup();
    for (const waiter of this.joinedOnce.splice(0)) waiter.reject(new ClientClosedError('consumer'));
    if (this.connecting !== null) {
      try {
        await this.connecting;
        if (this.autoCommit) {
          if (this.lastHandedOut !== null) this.markConsumed(this.lastHandedOut);
          for (const m of this.lastUserBatch) this.markConsumed(m);
          await this.commitConsumed().catch((error: unknown) => this.cluster.logger.warn({ error: String(error) }, 'final commit failed'));
        }
        if (this.mode === 'subscribe') {
          const owned = this.assignment();
          if (owned.length > 0) await this.callback(this.options.onPartitionsRevoked, owned);
          await this.leaveGroup();
        }
      } catch {
        // never connected
      }
    }
    await this.groupLoopRunning?.catch(() => {});
    await Promise.allSettled([...this.commitsRunning]);
    this.closed = true;
    await this.dlqProducer?.close();
    await this.cluster.close();
  }
}
