/**
 * The group coordinator for the classic protocol: JoinGroup, SyncGroup,
 * Heartbeat, LeaveGroup, offset commit/fetch/delete and the admin calls, with
 * Kafka's state machine and error codes (KIP-394 member ids, KIP-345 static
 * membership, batched LeaveGroup, group.initial.rebalance.delay.ms).
 *
 * Deterministic: it is driven only by method calls, the injected Clock and
 * Random, and `timer.poll()`. State survives restarts through the
 * `__consumer_offsets` records it appends via the injected writer and rebuilds
 * with `replay()`. Responses that depend on a write (SyncGroup of the leader,
 * OffsetCommit, DeleteGroups, OffsetDelete, a static member rejoining) are
 * answered only after the append completes.
 *
 * Responses are callbacks. They are always invoked after the operation that
 * triggered them has finished mutating state, so a callback may call back into
 * the coordinator.
 *
 * Transactional offset commits (TxnOffsetCommit, KIP-98/447) follow Kafka's
 * OffsetMetadataManager: they are written as a transactional batch of the
 * producer and held as pending offsets of that producer until its COMMIT
 * marker on the same `__consumer_offsets` partition makes them committed
 * (unless a newer plain commit of the same partition came after them in the
 * log) or its ABORT marker drops them; `replay` and
 * `replayEndTransactionMarker` do this both for live writes and at load.
 * OffsetFetch with requireStable answers UNSTABLE_OFFSET_COMMIT for
 * partitions with a pending offset.
 *
 * Where this differs from Kafka: a brand-new group is not written to the log
 * until it has something to persist (Kafka 3.7+ writes an empty record at
 * once); deletions (DeleteGroups, OffsetDelete, expiry) take effect in memory
 * when the tombstones are issued, and commits when their records are issued,
 * so memory always equals the log replayed in append order.
 */
import type { Clock } from '../../platform/clock.js';
import type { Random } from '../../platform/random.js';
import { ErrorCode } from '../../protocol/errors/error-codes.js';
import type { JoinGroupRequest } from '../../protocol/generated/messages/join-group-request.js';
import type { JoinGroupResponseInput } from '../../protocol/generated/messages/join-group-response.js';
import type { SyncGroupRequest } from '../../protocol/generated/messages/sync-group-request.js';
import type { SyncGroupResponseInput } from '../../protocol/generated/messages/sync-group-response.js';
import type { HeartbeatRequest } from '../../protocol/generated/messages/heartbeat-request.js';
import type { HeartbeatResponseInput } from '../../protocol/generated/messages/heartbeat-response.js';
import type { LeaveGroupRequest } from '../../protocol/generated/messages/leave-group-request.js';
import type {
  LeaveGroupResponseInput,
  LeaveGroupResponseMemberResponseInput,
} from '../../protocol/generated/messages/leave-group-response.js';
import type { OffsetCommitRequest } from '../../protocol/generated/messages/offset-commit-request.js';
import type {
  OffsetCommitResponseInput,
  OffsetCommitResponseTopicInput,
} from '../../protocol/generated/messages/offset-commit-response.js';
import type { OffsetFetchRequest } from '../../protocol/generated/messages/offset-fetch-request.js';
import type { TxnOffsetCommitRequest } from '../../protocol/generated/messages/txn-offset-commit-request.js';
import type { TxnOffsetCommitResponseInput } from '../../protocol/generated/messages/txn-offset-commit-response.js';
import type {
  OffsetFetchResponseInput,
  OffsetFetchResponsePartitionsInput,
  OffsetFetchResponseTopicsInput,
} from '../../protocol/generated/messages/offset-fetch-response.js';
import type { DescribeGroupsRequest } from '../../protocol/generated/messages/describe-groups-request.js';
import type {
  DescribeGroupsResponseDescribedGroupInput,
  DescribeGroupsResponseInput,
} from '../../protocol/generated/messages/describe-groups-response.js';
import type { ListGroupsRequest } from '../../protocol/generated/messages/list-groups-request.js';
import type { ListGroupsResponseInput, ListGroupsResponseListedGroupInput } from '../../protocol/generated/messages/list-groups-response.js';
import type { DeleteGroupsRequest } from '../../protocol/generated/messages/delete-groups-request.js';
import type {
  DeleteGroupsResponseDeletableGroupResultInput,
  DeleteGroupsResponseInput,
} from '../../protocol/generated/messages/delete-groups-response.js';
import type { OffsetDeleteRequest } from '../../protocol/generated/messages/offset-delete-request.js';
import type { OffsetDeleteResponseInput, OffsetDeleteResponseTopicInput } from '../../protocol/generated/messages/offset-delete-response.js';
import type { GroupMetadataValue } from '../../protocol/generated/group-coordinator/group-metadata-value.js';
import {
  ClassicGroup,
  ClassicGroupMember,
  EMPTY_ASSIGNMENT,
  type GroupState,
  type JoinCallback,
  type MemberProtocol,
  type SyncCallback,
} from './classic-group.js';
import { defaultGroupCoordinatorConfig, type GroupCoordinatorConfig } from './config.js';
import { OffsetStore, PendingTransactionalOffsets, type RecordOffset } from './offset-store.js';
import { partitionForGroup } from './partitioner.js';
import {
  decodeCoordinatorRecord,
  groupMetadataRecord,
  groupMetadataTombstone,
  offsetCommitRecord,
  offsetCommitTombstone,
  storedOffsetFromValue,
  type CoordinatorRecord,
  type StoredOffset,
} from './records.js';
import { CoordinatorTimer } from './timer.js';

/** What a handler knows about the request besides its body. */
export interface RequestContext {
  readonly apiVersion: number;
  readonly clientId: string;
  /** As Kafka shows it in DescribeGroups, e.g. `/127.0.0.1`. */
  readonly clientHost: string;
}

/**
 * Appends records to a `__consumer_offsets` partition. `done` gets 0 once the
 * records are durable (committed), or a Kafka error code. Appends to one
 * partition must complete in the order they were issued.
 */
export interface CoordinatorLogWriter {
  /** With `transaction`, the records go in one transactional batch of that producer (TxnOffsetCommit). */
  append(partition: number, records: readonly CoordinatorRecord[], done: (errorCode: number) => void, transaction?: TransactionalProducer): void;
}

/** The producer a transactional batch belongs to. */
export interface TransactionalProducer {
  readonly producerId: bigint;
  readonly producerEpoch: number;
}

/** The producer id of batches that belong to no producer (Kafka's RecordBatch.NO_PRODUCER_ID). */
export const NO_PRODUCER_ID = -1n;

export interface GroupCoordinatorOptions {
  readonly clock: Clock;
  readonly random: Random;
  readonly writer: CoordinatorLogWriter;
  readonly config?: Partial<GroupCoordinatorConfig>;
  /** Shared timer; one is created on `clock` when absent. */
  readonly timer?: CoordinatorTimer;
  /** When given, commits to and deletes of partitions it denies get UNKNOWN_TOPIC_OR_PARTITION. */
  readonly topicPartitionExists?: (topic: string, partition: number) => boolean;
}

type PartitionStatus = 'loading' | 'active';

/** JoinGroup v4+ must rejoin with the member id the coordinator hands out (KIP-394). */
const joinRequiresKnownMemberIdVersion = 4;
/** JoinGroup v9+ lets a rejoining static leader skip computing an assignment. */
const joinSupportsSkipAssignmentVersion = 9;
/** OffsetCommit v9+ answers GROUP_ID_NOT_FOUND for a missing group instead of ILLEGAL_GENERATION. */
const offsetCommitGroupIdNotFoundVersion = 9;
/** DescribeGroups: the value meaning "authorized operations not requested". */
const authorizedOperationsOmitted = -2147483648;
/** READ(3), DELETE(6), DESCRIBE(8): every group operation, as a bit set. */
const allGroupOperations = (1 << 3) | (1 << 6) | (1 << 8);

export class GroupCoordinator {
  readonly config: GroupCoordinatorConfig;
  readonly timer: CoordinatorTimer;
  readonly offsets = new OffsetStore();
  /** Offsets of transactions not decided yet, per partition and producer. */
  readonly pendingOffsets = new PendingTransactionalOffsets();
  private readonly clock: Clock;
  private readonly random: Random;
  private readonly writer: CoordinatorLogWriter;
  private readonly topicPartitionExists: ((topic: string, partition: number) => boolean) | undefined;
  private readonly groups = new Map<string, ClassicGroup>();
  private readonly partitions = new Map<number, PartitionStatus>();
  /** Per partition, the record offset the next issued record gets (see RecordOffset). */
  private readonly nextRecordOffsets = new Map<number, RecordOffset>();
  private depth = 0;
  private readonly outbox: Array<() => void> = [];

  constructor(options: GroupCoordinatorOptions) {
    this.config = Object.freeze({ ...defaultGroupCoordinatorConfig, ...options.config });
    this.clock = options.clock;
    this.random = options.random;
    this.writer = options.writer;
    this.topicPartitionExists = options.topicPartitionExists;
    this.timer = options.timer ?? new CoordinatorTimer(options.clock);
  }

  // ─── partitions: load, replay, unload ────────────────────────────────────

  partitionFor(groupId: string): number {
    return partitionForGroup(groupId, this.config.offsetsTopicPartitions);
  }

  /** Starts loading a partition; its groups answer COORDINATOR_LOAD_IN_PROGRESS until `completeLoad`. */
  beginLoad(partition: number): void {
    this.checkPartition(partition);
    if (this.partitions.has(partition)) this.unload(partition);
    this.partitions.set(partition, 'loading');
  }

  /**
   * Applies one record read back from `partition` of `__consumer_offsets`:
   * `producerId` is the batch's producer when the batch is transactional
   * (NO_PRODUCER_ID otherwise), `recordOffset` the record's offset in the log.
   * Malformed records throw; unknown record types are skipped.
   */
  replay(partition: number, key: Buffer, value: Buffer | null, producerId: bigint = NO_PRODUCER_ID, recordOffset?: RecordOffset): void {
    const record = decodeCoordinatorRecord(key, value);
    const position = this.positionOf(partition, recordOffset);
    if (record.type === 'offset') {
      if (record.value === null) {
        this.deleteOffset(partition, record.group, record.topic, record.partition);
      } else {
        // Offsets may exist without group metadata ("simple" groups of assign() consumers).
        if (!this.groups.has(record.group)) this.groups.set(record.group, new ClassicGroup(record.group, partition, this.clock.nowMs()));
        const offset = storedOffsetFromValue(record.value);
        if (producerId === NO_PRODUCER_ID) this.offsets.set(record.group, record.topic, record.partition, offset, position);
        else this.pendingOffsets.add(partition, producerId, record.group, record.topic, record.partition, offset, position);
      }
    } else if (record.type === 'group') {
      if (record.value === null) {
        this.groups.delete(record.group);
      } else {
        this.groups.set(record.group, this.groupFromRecord(record.group, partition, record.value));
      }
    }
  }

  /**
   * A transaction marker of `producerId` landed on `partition` (read back at
   * load, or just written by the transaction coordinator): on COMMIT the
   * producer's pending offsets there become committed, each unless the
   * committed offset's record came later in the log (Kafka keeps the newest
   * record so compaction cannot change the outcome); on ABORT they are
   * dropped. A marker with nothing pending changes nothing.
   */
  replayEndTransactionMarker(partition: number, producerId: bigint, commit: boolean): void {
    const pending = this.pendingOffsets.take(partition, producerId);
    if (pending === undefined || !commit) return;
    for (const group of [...pending.groups()]) {
      for (const o of pending.entriesOf(group)) {
        const existing = this.offsets.recordOffsetOf(group, o.topic, o.partition);
        if (existing === undefined || o.recordOffset > existing) this.offsets.set(group, o.topic, o.partition, o.offset, o.recordOffset);
      }
    }
  }

  /** True when an undecided transaction has committed an offset for the partition (requireStable waits for it). */
  hasPendingTransactionalOffsets(groupId: string, topic: string, partition: number): boolean {
    return this.pendingOffsets.has(this.partitionFor(groupId), groupId, topic, partition);
  }

  /** Finishes loading: members must heartbeat within their session timeout from now. */
  completeLoad(partition: number): void {
    if (this.partitions.get(partition) !== 'loading') throw new Error(`partition ${partition} is not loading`);
    this.run(() => {
      this.partitions.set(partition, 'active');
      for (const group of this.groups.values()) {
        if (group.partition !== partition) continue;
        for (const member of group.members.values()) this.rescheduleHeartbeat(group, member);
        if (group.size > this.config.groupMaxSize) this.prepareRebalance(group);
      }
      this.ensureRetentionTimer();
    });
  }

  /** Drops a partition's state (it moved, or the broker stops): parked requests get NOT_COORDINATOR. */
  unload(partition: number): void {
    this.run(() => {
      this.partitions.delete(partition);
      this.pendingOffsets.dropPartition(partition);
      this.nextRecordOffsets.delete(partition);
      for (const group of [...this.groups.values()]) {
        if (group.partition !== partition) continue;
        this.cancelGroupTimers(group);
        group.completeAllJoins(ErrorCode.NOT_COORDINATOR);
        group.completeAllSyncs(ErrorCode.NOT_COORDINATOR);
        group.transitionTo('Dead', this.clock.nowMs());
        this.groups.delete(group.groupId);
        this.offsets.deleteGroup(group.groupId);
      }
    });
  }

  /** Loaded and serving. */
  isActive(partition: number): boolean {
    return this.partitions.get(partition) === 'active';
  }

  partitionStatus(partition: number): PartitionStatus | 'none' {
    return this.partitions.get(partition) ?? 'none';
  }

  /** Runs due timers (session, rebalance, sync and retention timeouts). */
  poll(): number {
    let ran = 0;
    this.run(() => {
      ran = this.timer.poll();
    });
    return ran;
  }

  /** A read-only view for tests, the console and metrics. */
  group(groupId: string): ClassicGroup | undefined {
    return this.groups.get(groupId);
  }

  groupIds(): string[] {
    return [...this.groups.keys()];
  }

  // ─── JoinGroup ───────────────────────────────────────────────────────────

  joinGroup(ctx: RequestContext, request: JoinGroupRequest, respond: JoinCallback): void {
    this.run(() => {
      const reply = this.deferred(respond);
      const fail = (errorCode: number, memberId: string): void => reply(joinError(errorCode, memberId));
      if (request.groupId === '') return fail(ErrorCode.INVALID_GROUP_ID, request.memberId);
      if (request.sessionTimeoutMs < this.config.minSessionTimeoutMs || request.sessionTimeoutMs > this.config.maxSessionTimeoutMs) {
        return fail(ErrorCode.INVALID_SESSION_TIMEOUT, request.memberId);
      }
      const coordinatorError = this.coordinatorError(request.groupId);
      if (coordinatorError !== 0) return fail(coordinatorError, request.memberId);

      const isUnknownMember = request.memberId === '';
      let group = this.groups.get(request.groupId);
      if (group === undefined) {
        if (!isUnknownMember) return fail(ErrorCode.UNKNOWN_MEMBER_ID, request.memberId);
        group = new ClassicGroup(request.groupId, this.partitionFor(request.groupId), this.clock.nowMs());
        this.groups.set(request.groupId, group);
      }
      const join: JoinParams = {
        ctx,
        request,
        rebalanceTimeoutMs: request.rebalanceTimeoutMs < 0 ? request.sessionTimeoutMs : request.rebalanceTimeoutMs,
        protocols: distinctProtocols(request.protocols),
        reply,
      };
      if (!this.acceptJoiningMember(group, request.memberId)) {
        const member = group.members.get(request.memberId);
        if (member !== undefined) this.dropMember(group, member);
        else group.remove(request.memberId);
        return fail(ErrorCode.GROUP_MAX_SIZE_REACHED, '');
      }
      if (isUnknownMember) this.joinNewMember(group, join);
      else this.joinExistingMember(group, join);
    });
  }

  private acceptJoiningMember(group: ClassicGroup, memberId: string): boolean {
    switch (group.state) {
      case 'Empty':
      case 'Dead':
        return true;
      case 'PreparingRebalance':
        // Counting parked joins (not members) lets a shrunk max size kick out the last rejoiners.
        return (group.has(memberId) && group.member(memberId).isAwaitingJoin) || group.awaitingJoinResponses < this.config.groupMaxSize;
      case 'CompletingRebalance':
      case 'Stable':
        return group.has(memberId) || group.size < this.config.groupMaxSize;
    }
  }

  private joinNewMember(group: ClassicGroup, join: JoinParams): void {
    const { request } = join;
    if (group.is('Dead')) return join.reply(joinError(ErrorCode.COORDINATOR_NOT_AVAILABLE, ''));
    if (!group.supportsProtocols(request.protocolType, join.protocols.map((p) => p.name))) {
      return join.reply(joinError(ErrorCode.INCONSISTENT_GROUP_PROTOCOL, ''));
    }
    const newMemberId = `${request.groupInstanceId ?? join.ctx.clientId}-${this.uuid()}`;
    if (request.groupInstanceId !== null) {
      const existing = group.staticMemberId(request.groupInstanceId);
      if (existing !== undefined) return this.replaceStaticMemberThenRebalanceOrCompleteJoin(group, join, existing, newMemberId);
      return this.addMemberThenRebalanceOrCompleteJoin(group, join, newMemberId);
    }
    if (join.ctx.apiVersion >= joinRequiresKnownMemberIdVersion) {
      // KIP-394: hand out an id and park nothing; the member rejoins with it.
      group.addPendingMember(newMemberId);
      this.timer.schedule(heartbeatKey(group.groupId, newMemberId), request.sessionTimeoutMs, () =>
        this.expireHeartbeat(group.groupId, newMemberId),
      );
      return join.reply(joinError(ErrorCode.MEMBER_ID_REQUIRED, newMemberId));
    }
    this.addMemberThenRebalanceOrCompleteJoin(group, join, newMemberId);
  }

  private joinExistingMember(group: ClassicGroup, join: JoinParams): void {
    const { request } = join;
    const memberId = request.memberId;
    if (group.is('Dead')) return join.reply(joinError(ErrorCode.COORDINATOR_NOT_AVAILABLE, memberId));
    if (!group.supportsProtocols(request.protocolType, join.protocols.map((p) => p.name))) {
      return join.reply(joinError(ErrorCode.INCONSISTENT_GROUP_PROTOCOL, memberId));
    }
    if (group.isPendingMember(memberId)) {
      // A pending (KIP-394) member is never static: static members get their id with their first join.
      if (request.groupInstanceId !== null) return join.reply(joinError(ErrorCode.INVALID_REQUEST, memberId));
      return this.addMemberThenRebalanceOrCompleteJoin(group, join, memberId);
    }
    const memberError = validateMember(group, memberId, request.groupInstanceId);
    if (memberError !== 0) return join.reply(joinError(memberError, memberId));

    const member = group.member(memberId);
    switch (group.state) {
      case 'PreparingRebalance':
        return this.updateMemberThenRebalanceOrCompleteJoin(group, member, join);
      case 'CompletingRebalance':
        if (member.matches(join.protocols)) {
          // The member probably lost the JoinGroup response: send the current generation again.
          return join.reply(this.joinSuccess(group, member, group.isLeader(memberId), false));
        }
        return this.updateMemberThenRebalanceOrCompleteJoin(group, member, join);
      case 'Stable':
        // The leader rejoining forces a rebalance: that is how a consumer reacts to metadata changes.
        if (group.isLeader(memberId) || !member.matches(join.protocols)) {
          return this.updateMemberThenRebalanceOrCompleteJoin(group, member, join);
        }
        return join.reply(this.joinSuccess(group, member, false, false));
      case 'Empty':
      case 'Dead':
        return join.reply(joinError(ErrorCode.UNKNOWN_MEMBER_ID, memberId));
    }
  }

  private addMemberThenRebalanceOrCompleteJoin(group: ClassicGroup, join: JoinParams, memberId: string): void {
    const { request, ctx } = join;
    const member = new ClassicGroupMember(
      memberId,
      request.groupInstanceId,
      ctx.clientId,
      ctx.clientHost,
      join.rebalanceTimeoutMs,
      request.sessionTimeoutMs,
      request.protocolType,
      join.protocols,
    );
    member.isNew = true;
    if (group.is('PreparingRebalance') && group.previousState === 'Empty') group.newMemberAdded = true;
    group.add(member, join.reply);
    // A parked JoinGroup cannot heartbeat; bound how long a new member may stay parked.
    this.rescheduleHeartbeat(group, member, this.config.newMemberJoinTimeoutMs);
    this.maybePrepareRebalanceOrCompleteJoin(group);
  }

  private updateMemberThenRebalanceOrCompleteJoin(group: ClassicGroup, member: ClassicGroupMember, join: JoinParams): void {
    group.updateMember(member, join.protocols, join.rebalanceTimeoutMs, join.request.sessionTimeoutMs, join.reply);
    this.maybePrepareRebalanceOrCompleteJoin(group);
  }

  /**
   * KIP-345: a static member rejoining with an unknown member id takes over its
   * instance id. In Stable, if the group's protocol would not change, it keeps
   * its assignment without a rebalance; the new id is persisted first.
   */
  private replaceStaticMemberThenRebalanceOrCompleteJoin(
    group: ClassicGroup,
    join: JoinParams,
    oldMemberId: string,
    newMemberId: string,
  ): void {
    const { request } = join;
    const instanceId = request.groupInstanceId!;
    const previousLeader = group.leaderId;
    this.timer.cancel(heartbeatKey(group.groupId, oldMemberId));
    const member = group.replaceStaticMember(instanceId, oldMemberId, newMemberId);
    this.rescheduleHeartbeat(group, member);
    const old = { protocols: member.protocols, rebalanceTimeoutMs: member.rebalanceTimeoutMs, sessionTimeoutMs: member.sessionTimeoutMs };
    group.updateMember(member, join.protocols, join.rebalanceTimeoutMs, request.sessionTimeoutMs, join.reply);

    switch (group.state) {
      case 'Stable': {
        if ((group.protocolName ?? '') !== group.selectProtocol()) return this.maybePrepareRebalanceOrCompleteJoin(group);
        const generation = group.generationId;
        const record = this.groupRecord(group, null);
        this.append(group.partition, [record], (errorCode) => {
          // If the group moved on meanwhile, the parked join was already answered (or will be) by that path.
          if (this.groups.get(group.groupId) !== group || group.members.get(newMemberId) !== member) return;
          if (errorCode !== 0) {
            // Could not persist the new id: put the old member back and tell the joiner.
            group.updateMember(member, old.protocols, old.rebalanceTimeoutMs, old.sessionTimeoutMs, null);
            this.timer.cancel(heartbeatKey(group.groupId, newMemberId));
            const restored = group.replaceStaticMember(instanceId, newMemberId, oldMemberId);
            this.rescheduleHeartbeat(group, restored);
            join.reply({
              errorCode: groupMetadataAppendError(errorCode),
              memberId: '',
              generationId: generation,
              protocolName: group.protocolName,
              protocolType: group.protocolType,
              leader: previousLeader ?? '',
              members: [],
            });
            return;
          }
          if (join.ctx.apiVersion >= joinSupportsSkipAssignmentVersion) {
            const isLeader = group.isLeader(newMemberId);
            group.completeJoin(member, this.joinSuccess(group, member, isLeader, isLeader));
          } else {
            // Older clients would recompute the assignment if told they lead: report the old leader id.
            group.completeJoin(member, { ...this.joinSuccess(group, member, false, false), leader: previousLeader ?? '' });
          }
        });
        return;
      }
      case 'CompletingRebalance':
        // The leader may already be assigning to the old id: start over.
        return this.prepareRebalance(group);
      case 'PreparingRebalance':
        return this.maybeCompleteJoinPhase(group);
      case 'Empty':
      case 'Dead':
        throw new Error(`group ${group.groupId}: static member ${instanceId} rejoined while ${group.state}`);
    }
  }

  private maybePrepareRebalanceOrCompleteJoin(group: ClassicGroup): void {
    if (group.canRebalance()) this.prepareRebalance(group);
    else this.maybeCompleteJoinPhase(group);
  }

  private maybeCompleteJoinPhase(group: ClassicGroup): void {
    if (!group.is('PreparingRebalance')) return;
    // The initial rebalance always waits out group.initial.rebalance.delay.ms.
    if (group.previousState === 'Empty') return;
    if (!group.hasAllMembersJoined()) return;
    this.completeJoinPhase(group);
  }

  private prepareRebalance(group: ClassicGroup): void {
    if (group.is('CompletingRebalance')) {
      // Members waiting for an assignment must rejoin instead.
      for (const m of group.members.values()) m.assignment = EMPTY_ASSIGNMENT;
      this.propagateAssignment(group, ErrorCode.REBALANCE_IN_PROGRESS);
    }
    group.clearPendingSyncMembers();
    this.timer.cancel(syncKey(group.groupId));

    const isInitialRebalance = group.is('Empty');
    if (isInitialRebalance) {
      const delayMs = this.config.initialRebalanceDelayMs;
      const remainingMs = Math.max(group.rebalanceTimeoutMs() - delayMs, 0);
      this.timer.schedule(joinKey(group.groupId), delayMs, () => this.tryCompleteInitialRebalance(group.groupId, delayMs, remainingMs));
    }
    group.transitionTo('PreparingRebalance', this.clock.nowMs());
    if (isInitialRebalance) return;
    if (group.hasAllMembersJoined()) {
      this.completeJoinPhase(group);
    } else {
      this.timer.schedule(joinKey(group.groupId), group.rebalanceTimeoutMs(), () => this.completeJoinPhaseById(group.groupId));
    }
  }

  /** Each member joining during the initial delay extends it, up to the rebalance timeout. */
  private tryCompleteInitialRebalance(groupId: string, delayMs: number, remainingMs: number): void {
    const group = this.groups.get(groupId);
    if (group === undefined) return;
    if (group.newMemberAdded && remainingMs !== 0) {
      group.newMemberAdded = false;
      const nextDelayMs = Math.min(this.config.initialRebalanceDelayMs, remainingMs);
      const nextRemainingMs = Math.max(remainingMs - delayMs, 0);
      this.timer.schedule(joinKey(groupId), nextDelayMs, () => this.tryCompleteInitialRebalance(groupId, nextDelayMs, nextRemainingMs));
      return;
    }
    this.completeJoinPhase(group);
  }

  private completeJoinPhaseById(groupId: string): void {
    const group = this.groups.get(groupId);
    if (group !== undefined) this.completeJoinPhase(group);
  }

  /**
   * Ends the join phase: dynamic members that did not rejoin are dropped, the
   * generation advances, and every parked JoinGroup is answered (the leader
   * gets everyone's metadata). An empty result is persisted as an Empty group.
   */
  private completeJoinPhase(group: ClassicGroup): void {
    this.timer.cancel(joinKey(group.groupId));
    if (!group.is('PreparingRebalance')) return;
    for (const m of group.notYetRejoinedMembers()) {
      if (!m.isStatic) this.dropMember(group, m);
    }
    if (!group.maybeElectNewJoinedLeader() && group.size > 0) {
      // Only static members remain and none rejoined: wait for them (or their session timeouts).
      this.timer.schedule(joinKey(group.groupId), group.rebalanceTimeoutMs(), () => this.completeJoinPhaseById(group.groupId));
      return;
    }
    group.initNextGeneration(this.clock.nowMs());
    if (group.is('Empty')) {
      this.append(group.partition, [this.groupRecord(group, new Map())], () => {
        // Nothing waits on this write: a lost empty generation is harmless, the previous one just times out.
      });
      return;
    }
    for (const member of [...group.members.values()]) {
      const isLeader = group.isLeader(member.memberId);
      group.completeJoin(member, this.joinSuccess(group, member, isLeader, false));
      this.rescheduleHeartbeat(group, member);
      member.isNew = false;
      group.addPendingSyncMember(member.memberId);
    }
    const generation = group.generationId;
    this.timer.schedule(syncKey(group.groupId), group.rebalanceTimeoutMs(), () => this.expirePendingSync(group.groupId, generation));
  }

  /** Members that got this generation's JoinGroup response but never sent SyncGroup are removed. */
  private expirePendingSync(groupId: string, generationId: number): void {
    const group = this.groups.get(groupId);
    if (group === undefined || group.generationId !== generationId) return;
    if (!group.is('CompletingRebalance') && !group.is('Stable')) return;
    if (group.hasReceivedSyncFromAllMembers()) return;
    for (const memberId of group.pendingSyncMemberIds()) {
      const member = group.members.get(memberId);
      if (member !== undefined) this.dropMember(group, member);
    }
    this.prepareRebalance(group);
  }

  private joinSuccess(group: ClassicGroup, member: ClassicGroupMember, withMembers: boolean, skipAssignment: boolean): JoinGroupResponseInput {
    return {
      errorCode: ErrorCode.NONE,
      generationId: group.generationId,
      protocolType: group.protocolType,
      protocolName: group.protocolName,
      leader: group.leaderId ?? '',
      skipAssignment,
      memberId: member.memberId,
      members: withMembers ? group.joinResponseMembers() : [],
    };
  }

  // ─── SyncGroup ───────────────────────────────────────────────────────────

  syncGroup(ctx: RequestContext, request: SyncGroupRequest, respond: SyncCallback): void {
    this.run(() => {
      const reply = this.deferred(respond);
      const fail = (errorCode: number): void => reply(syncError(errorCode));
      if (request.groupId === '') return fail(ErrorCode.INVALID_GROUP_ID);
      const coordinatorError = this.coordinatorError(request.groupId);
      if (coordinatorError !== 0) return fail(coordinatorError);
      const group = this.groups.get(request.groupId);
      if (group === undefined || group.is('Empty')) return fail(ErrorCode.UNKNOWN_MEMBER_ID);
      if (group.is('Dead')) return fail(ErrorCode.COORDINATOR_NOT_AVAILABLE);
      const memberError = validateMember(group, request.memberId, request.groupInstanceId);
      if (memberError !== 0) return fail(memberError);
      if (request.generationId !== group.generationId) return fail(ErrorCode.ILLEGAL_GENERATION);
      if (isProtocolInconsistent(request.protocolType, group.protocolType) || isProtocolInconsistent(request.protocolName, group.protocolName)) {
        return fail(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
      }
      const member = group.member(request.memberId);
      switch (group.state) {
        case 'PreparingRebalance':
          return fail(ErrorCode.REBALANCE_IN_PROGRESS);
        case 'CompletingRebalance': {
          // A repeated SyncGroup replaces the parked one, which must still get an answer.
          group.completeSync(member, syncError(ErrorCode.REBALANCE_IN_PROGRESS));
          member.awaitingSync = reply;
          this.removePendingSyncMember(group, member.memberId);
          if (group.isLeader(member.memberId)) this.storeLeaderAssignment(group, request);
          return;
        }
        case 'Stable':
          this.removePendingSyncMember(group, member.memberId);
          return reply({
            errorCode: ErrorCode.NONE,
            protocolType: group.protocolType,
            protocolName: group.protocolName,
            assignment: member.assignment,
          });
      }
    });
  }

  /** Persists the leader's assignment, then hands every member its share and makes the group Stable. */
  private storeLeaderAssignment(group: ClassicGroup, request: SyncGroupRequest): void {
    const assignment = new Map<string, Buffer>();
    for (const a of request.assignments) assignment.set(a.memberId, a.assignment);
    for (const memberId of group.members.keys()) if (!assignment.has(memberId)) assignment.set(memberId, EMPTY_ASSIGNMENT);
    const generation = group.generationId;
    this.append(group.partition, [this.groupRecord(group, assignment)], (errorCode) => {
      // A member may have joined meanwhile and started another rebalance: then this result is moot.
      if (this.groups.get(group.groupId) !== group || !group.is('CompletingRebalance') || group.generationId !== generation) return;
      if (errorCode !== 0) {
        for (const m of group.members.values()) m.assignment = EMPTY_ASSIGNMENT;
        this.propagateAssignment(group, groupMetadataAppendError(errorCode));
        this.maybePrepareRebalanceOrCompleteJoin(group);
        return;
      }
      for (const m of group.members.values()) m.assignment = assignment.get(m.memberId) ?? EMPTY_ASSIGNMENT;
      this.propagateAssignment(group, ErrorCode.NONE);
      group.transitionTo('Stable', this.clock.nowMs());
    });
  }

  private propagateAssignment(group: ClassicGroup, errorCode: number): void {
    const ok = errorCode === ErrorCode.NONE;
    for (const member of [...group.members.values()]) {
      const answered = group.completeSync(member, {
        errorCode,
        protocolType: ok ? group.protocolType : null,
        protocolName: ok ? group.protocolName : null,
        assignment: member.assignment,
      });
      // A session that expired while the member was parked was ignored; start a fresh one now.
      if (answered) this.rescheduleHeartbeat(group, member);
    }
  }

  private removePendingSyncMember(group: ClassicGroup, memberId: string): void {
    group.removePendingSyncMember(memberId);
    if ((group.is('CompletingRebalance') || group.is('Stable')) && !group.hasReceivedSyncFromAllMembers()) return;
    this.timer.cancel(syncKey(group.groupId));
  }

  // ─── Heartbeat ───────────────────────────────────────────────────────────

  heartbeat(ctx: RequestContext, request: HeartbeatRequest, respond: (response: HeartbeatResponseInput) => void): void {
    this.run(() => {
      const reply = this.deferred(respond);
      const answer = (errorCode: number): void => reply({ errorCode });
      if (request.groupId === '') return answer(ErrorCode.INVALID_GROUP_ID);
      const coordinatorError = this.coordinatorError(request.groupId);
      if (coordinatorError !== 0) return answer(coordinatorError);
      const group = this.groups.get(request.groupId);
      if (group === undefined) return answer(ErrorCode.UNKNOWN_MEMBER_ID);
      if (group.is('Dead')) return answer(ErrorCode.COORDINATOR_NOT_AVAILABLE);
      const memberError = validateMember(group, request.memberId, request.groupInstanceId);
      if (memberError !== 0) return answer(memberError);
      if (request.generationId !== group.generationId) return answer(ErrorCode.ILLEGAL_GENERATION);
      switch (group.state) {
        case 'Empty':
          return answer(ErrorCode.UNKNOWN_MEMBER_ID);
        case 'PreparingRebalance':
          this.rescheduleHeartbeat(group, group.member(request.memberId));
          return answer(ErrorCode.REBALANCE_IN_PROGRESS);
        case 'CompletingRebalance':
        case 'Stable':
          // Clients may heartbeat between their JoinGroup and SyncGroup responses: that is fine.
          this.rescheduleHeartbeat(group, group.member(request.memberId));
          return answer(ErrorCode.NONE);
      }
    });
  }

  private rescheduleHeartbeat(group: ClassicGroup, member: ClassicGroupMember, timeoutMs = member.sessionTimeoutMs): void {
    const groupId = group.groupId;
    const memberId = member.memberId;
    this.timer.schedule(heartbeatKey(groupId, memberId), timeoutMs, () => this.expireHeartbeat(groupId, memberId));
  }

  private expireHeartbeat(groupId: string, memberId: string): void {
    const group = this.groups.get(groupId);
    if (group === undefined || group.is('Dead')) return;
    if (group.isPendingMember(memberId)) {
      group.remove(memberId);
      if (group.is('PreparingRebalance') && group.hasAllMembersJoined()) this.completeJoinPhase(group);
      return;
    }
    const member = group.members.get(memberId);
    if (member === undefined || member.hasSatisfiedHeartbeat()) return;
    this.removeMemberAndUpdateGroup(group, member);
  }

  private removeMemberAndUpdateGroup(group: ClassicGroup, member: ClassicGroupMember): void {
    // A new member can time out while parked in JoinGroup: it is answered so a live client retries.
    this.dropMember(group, member);
    if (group.is('Stable') || group.is('CompletingRebalance')) this.maybePrepareRebalanceOrCompleteJoin(group);
    else if (group.is('PreparingRebalance') && group.hasAllMembersJoined()) this.completeJoinPhase(group);
  }

  /**
   * Removes a member, answering anything it has parked with UNKNOWN_MEMBER_ID
   * (a live client then simply rejoins), and stops its session timer.
   */
  private dropMember(group: ClassicGroup, member: ClassicGroupMember): void {
    group.completeJoin(member, joinError(ErrorCode.UNKNOWN_MEMBER_ID, ''));
    group.completeSync(member, syncError(ErrorCode.UNKNOWN_MEMBER_ID));
    this.timer.cancel(heartbeatKey(group.groupId, member.memberId));
    group.remove(member.memberId);
  }

  // ─── LeaveGroup ──────────────────────────────────────────────────────────

  leaveGroup(ctx: RequestContext, request: LeaveGroupRequest, respond: (response: LeaveGroupResponseInput) => void): void {
    this.run(() => {
      const reply = this.deferred(respond);
      // v0-2 name one member at top level and report its error there.
      const legacy = ctx.apiVersion <= 2;
      const identities = legacy ? [{ memberId: request.memberId, groupInstanceId: null, reason: null }] : request.members;
      const answerTop = (errorCode: number): void => reply({ errorCode, members: [] });
      if (request.groupId === '') return answerTop(ErrorCode.INVALID_GROUP_ID);
      const coordinatorError = this.coordinatorError(request.groupId);
      if (coordinatorError !== 0) return answerTop(coordinatorError);
      const group = this.groups.get(request.groupId);
      if (group === undefined) return answerTop(ErrorCode.UNKNOWN_MEMBER_ID);
      if (group.is('Dead')) return answerTop(ErrorCode.COORDINATOR_NOT_AVAILABLE);

      const results: LeaveGroupResponseMemberResponseInput[] = [];
      let anyLeft = false;
      for (const identity of identities) {
        const result = { memberId: identity.memberId, groupInstanceId: identity.groupInstanceId, errorCode: ErrorCode.NONE as number };
        if (identity.memberId === '') {
          // Admin removal of a static member by instance id alone.
          const memberId = identity.groupInstanceId === null ? undefined : group.staticMemberId(identity.groupInstanceId);
          if (memberId === undefined) result.errorCode = ErrorCode.UNKNOWN_MEMBER_ID;
          else this.removeLeavingMember(group, memberId);
        } else if (group.isPendingMember(identity.memberId)) {
          group.remove(identity.memberId);
          this.timer.cancel(heartbeatKey(group.groupId, identity.memberId));
        } else {
          const memberError = validateMember(group, identity.memberId, identity.groupInstanceId);
          if (memberError !== 0) result.errorCode = memberError;
          else this.removeLeavingMember(group, identity.memberId);
        }
        if (result.errorCode === ErrorCode.NONE) anyLeft = true;
        results.push(result);
      }
      if (anyLeft) {
        if (group.is('Stable') || group.is('CompletingRebalance')) this.maybePrepareRebalanceOrCompleteJoin(group);
        else if (group.is('PreparingRebalance')) this.maybeCompleteJoinPhase(group);
      }
      if (legacy) return answerTop(results.find((r) => r.errorCode !== ErrorCode.NONE)?.errorCode ?? ErrorCode.NONE);
      reply({ errorCode: ErrorCode.NONE, members: results });
    });
  }

  private removeLeavingMember(group: ClassicGroup, memberId: string): void {
    this.dropMember(group, group.member(memberId));
  }

  // ─── OffsetCommit ────────────────────────────────────────────────────────

  /** The per-partition checks OffsetCommit and TxnOffsetCommit share: the partition exists, the metadata fits. */
  private offsetCommitError(topic: string, partition: number, metadata: string | null): number {
    if (this.topicPartitionExists !== undefined && !this.topicPartitionExists(topic, partition)) return ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
    if (metadata !== null && metadata.length > this.config.offsetMetadataMaxBytes) return ErrorCode.OFFSET_METADATA_TOO_LARGE;
    return ErrorCode.NONE;
  }

  offsetCommit(ctx: RequestContext, request: OffsetCommitRequest, respond: (response: OffsetCommitResponseInput) => void): void {
    this.run(() => {
      const reply = this.deferred(respond);
      const failAll = (errorCode: number): void => reply({ topics: commitResponseTopics(request, () => errorCode) });
      if (request.groupId === '') return failAll(ErrorCode.INVALID_GROUP_ID);
      const coordinatorError = this.coordinatorError(request.groupId);
      if (coordinatorError !== 0) return failAll(coordinatorError);

      let group = this.groups.get(request.groupId);
      const generationId = request.generationIdOrMemberEpoch;
      if (group === undefined) {
        if (generationId >= 0) {
          return failAll(ctx.apiVersion >= offsetCommitGroupIdNotFoundVersion ? ErrorCode.GROUP_ID_NOT_FOUND : ErrorCode.ILLEGAL_GENERATION);
        }
        // assign() consumers and admin tools commit with generation -1 into a "simple" group.
        group = new ClassicGroup(request.groupId, this.partitionFor(request.groupId), this.clock.nowMs());
        this.groups.set(request.groupId, group);
      }
      const groupError = validateOffsetCommit(group, request.memberId, request.groupInstanceId, generationId);
      if (groupError !== 0) return failAll(groupError);
      if (group.is('Stable') || group.is('PreparingRebalance')) {
        // Commits keep a classic member's session alive.
        const member = group.members.get(request.memberId);
        if (member !== undefined) this.rescheduleHeartbeat(group, member);
      }

      const nowMs = this.clock.nowMs();
      const expireTimestampMs = request.retentionTimeMs < 0n ? null : nowMs + Number(request.retentionTimeMs);
      const records: CoordinatorRecord[] = [];
      const applied: Array<{ topic: string; partition: number; previous: StoredOffset | undefined; previousRecordOffset: RecordOffset; offset: StoredOffset }> = [];
      const errors = new Map<string, number>();
      for (const topic of request.topics) {
        for (const p of topic.partitions) {
          const errorCode = this.offsetCommitError(topic.name, p.partitionIndex, p.committedMetadata);
          if (errorCode === ErrorCode.NONE) {
            const offset: StoredOffset = {
              offset: p.committedOffset,
              leaderEpoch: p.committedLeaderEpoch,
              metadata: p.committedMetadata ?? '',
              commitTimestampMs: p.commitTimestamp < 0n ? nowMs : Number(p.commitTimestamp),
              expireTimestampMs,
            };
            records.push(offsetCommitRecord(request.groupId, topic.name, p.partitionIndex, offset));
            const previous = this.offsets.get(request.groupId, topic.name, p.partitionIndex);
            const previousRecordOffset = this.offsets.recordOffsetOf(request.groupId, topic.name, p.partitionIndex) ?? -1;
            applied.push({ topic: topic.name, partition: p.partitionIndex, previous, previousRecordOffset, offset });
            this.offsets.set(request.groupId, topic.name, p.partitionIndex, offset, this.recordOffsetAt(group.partition, records.length - 1));
          }
          errors.set(`${topic.name}\u0000${p.partitionIndex}`, errorCode);
        }
      }
      const respondWith = (appendError: number): void =>
        reply({
          topics: commitResponseTopics(request, (topic, partition) => {
            const code = errors.get(`${topic}\u0000${partition}`) ?? ErrorCode.NONE;
            return code === ErrorCode.NONE ? appendError : code;
          }),
        });
      if (records.length === 0) return respondWith(ErrorCode.NONE);
      const groupId = request.groupId;
      this.append(group.partition, records, (errorCode) => {
        if (errorCode !== 0) {
          // Undo what is still ours to undo; a later commit to the same partition wins either way.
          for (const a of applied) {
            if (this.offsets.get(groupId, a.topic, a.partition) === a.offset) {
              this.offsets.set(groupId, a.topic, a.partition, a.previous ?? null, a.previousRecordOffset);
            }
          }
        }
        respondWith(offsetCommitAppendError(errorCode));
      });
    });
  }

  // ─── TxnOffsetCommit ─────────────────────────────────────────────────────

  /**
   * Offsets committed inside a producer's transaction (the transaction
   * coordinator has checked that the transaction is ongoing and includes
   * this group's partition). Validated as Kafka does for transactional
   * commits (no REBALANCE_IN_PROGRESS, no member needed in an active group
   * for v0-2 requests without one), written as one transactional batch of
   * the producer, and pending until the producer's marker on the partition.
   */
  txnOffsetCommit(ctx: RequestContext, request: TxnOffsetCommitRequest, respond: (response: TxnOffsetCommitResponseInput) => void): void {
    this.run(() => {
      const reply = this.deferred(respond);
      const answer = (errorFor: (topic: string, partition: number) => number): void =>
        reply({
          throttleTimeMs: 0,
          topics: request.topics.map((t) => ({
            name: t.name,
            partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: errorFor(t.name, p.partitionIndex) })),
          })),
        });
      const failAll = (errorCode: number): void => answer(() => errorCode);
      if (request.groupId === '') return failAll(ErrorCode.INVALID_GROUP_ID);
      const coordinatorError = this.coordinatorError(request.groupId);
      if (coordinatorError !== 0) return failAll(coordinatorError);

      let group = this.groups.get(request.groupId);
      if (group === undefined) {
        if (request.generationId >= 0) return failAll(ErrorCode.ILLEGAL_GENERATION);
        group = new ClassicGroup(request.groupId, this.partitionFor(request.groupId), this.clock.nowMs());
        this.groups.set(request.groupId, group);
      }
      const groupError = validateTxnOffsetCommit(group, request.memberId, request.groupInstanceId, request.generationId);
      if (groupError !== 0) return failAll(groupError);

      const nowMs = this.clock.nowMs();
      const partition = group.partition;
      const producerId = request.producerId;
      const records: CoordinatorRecord[] = [];
      const added: Array<{ topic: string; partition: number; offset: StoredOffset }> = [];
      const errors = new Map<string, number>();
      for (const topic of request.topics) {
        for (const p of topic.partitions) {
          const errorCode = this.offsetCommitError(topic.name, p.partitionIndex, p.committedMetadata);
          if (errorCode === ErrorCode.NONE) {
            const offset: StoredOffset = {
              offset: p.committedOffset,
              leaderEpoch: p.committedLeaderEpoch,
              metadata: p.committedMetadata ?? '',
              commitTimestampMs: nowMs,
              expireTimestampMs: null,
            };
            records.push(offsetCommitRecord(request.groupId, topic.name, p.partitionIndex, offset));
            added.push({ topic: topic.name, partition: p.partitionIndex, offset });
            this.pendingOffsets.add(partition, producerId, request.groupId, topic.name, p.partitionIndex, offset, this.recordOffsetAt(partition, records.length - 1));
          }
          errors.set(`${topic.name}\u0000${p.partitionIndex}`, errorCode);
        }
      }
      const respondWith = (appendError: number): void =>
        answer((topic, p) => {
          const code = errors.get(`${topic}\u0000${p}`) ?? ErrorCode.NONE;
          return code === ErrorCode.NONE ? appendError : code;
        });
      if (records.length === 0) return respondWith(ErrorCode.NONE);
      const groupId = request.groupId;
      this.append(
        partition,
        records,
        (errorCode) => {
          if (errorCode !== 0) {
            for (const a of added) this.pendingOffsets.removeIfSame(partition, producerId, groupId, a.topic, a.partition, a.offset);
          }
          respondWith(txnOffsetCommitAppendError(errorCode));
        },
        { producerId, producerEpoch: request.producerEpoch },
      );
    });
  }

  // ─── OffsetFetch ─────────────────────────────────────────────────────────

  offsetFetch(ctx: RequestContext, request: OffsetFetchRequest, respond: (response: OffsetFetchResponseInput) => void): void {
    this.run(() => {
      const reply = this.deferred(respond);
      if (ctx.apiVersion >= 8) {
        reply({
          topics: [],
          groups: request.groups.map((g) => {
            const result = this.fetchGroupOffsets(g.groupId, g.topics, request.requireStable);
            return { groupId: g.groupId, errorCode: result.errorCode, topics: result.topics };
          }),
        });
        return;
      }
      const result = this.fetchGroupOffsets(request.groupId, request.topics, request.requireStable);
      if (ctx.apiVersion < 2 && result.errorCode !== ErrorCode.NONE) {
        // v0-1 have no top-level error: report it on every partition asked for.
        reply({
          topics: (request.topics ?? []).map((t) => ({
            name: t.name,
            partitions: t.partitionIndexes.map((partitionIndex) => ({ ...missingOffset(partitionIndex), errorCode: result.errorCode })),
          })),
        });
        return;
      }
      reply({ errorCode: result.errorCode, topics: result.topics, groups: [] });
    });
  }

  /**
   * With `requireStable` (v7+, KIP-447), a partition an undecided transaction
   * has committed an offset for answers UNSTABLE_OFFSET_COMMIT (the client
   * retries) instead of an offset that may be about to change.
   */
  private fetchGroupOffsets(
    groupId: string,
    topics: ReadonlyArray<{ name: string; partitionIndexes: number[] }> | null,
    requireStable: boolean,
  ): { errorCode: number; topics: OffsetFetchResponseTopicsInput[] } {
    if (groupId === '') return { errorCode: ErrorCode.INVALID_GROUP_ID, topics: [] };
    const coordinatorError = this.coordinatorError(groupId);
    if (coordinatorError !== 0) return { errorCode: coordinatorError, topics: [] };
    const group = this.groups.get(groupId);
    const known = group !== undefined && !group.is('Dead');
    const unstable = (topic: string, partitionIndex: number): boolean =>
      requireStable && known && this.pendingOffsets.has(this.partitionFor(groupId), groupId, topic, partitionIndex);
    if (topics === null) {
      // All committed offsets of the group.
      const out: OffsetFetchResponseTopicsInput[] = [];
      if (known) {
        for (const [name, partitions] of this.offsets.topicsOf(groupId)) {
          out.push({
            name,
            partitions: partitions.map(([partitionIndex, o]) => (unstable(name, partitionIndex) ? unstableOffset(partitionIndex) : presentOffset(partitionIndex, o))),
          });
        }
      }
      return { errorCode: ErrorCode.NONE, topics: out };
    }
    return {
      errorCode: ErrorCode.NONE,
      topics: topics.map((t) => ({
        name: t.name,
        partitions: t.partitionIndexes.map((partitionIndex) => {
          if (unstable(t.name, partitionIndex)) return unstableOffset(partitionIndex);
          const o = known ? this.offsets.get(groupId, t.name, partitionIndex) : undefined;
          return o === undefined ? missingOffset(partitionIndex) : presentOffset(partitionIndex, o);
        }),
      })),
    };
  }

  // ─── OffsetDelete ────────────────────────────────────────────────────────

  offsetDelete(ctx: RequestContext, request: OffsetDeleteRequest, respond: (response: OffsetDeleteResponseInput) => void): void {
    this.run(() => {
      const reply = this.deferred(respond);
      const failTop = (errorCode: number): void => reply({ errorCode, throttleTimeMs: 0, topics: [] });
      if (request.groupId === '') return failTop(ErrorCode.INVALID_GROUP_ID);
      const coordinatorError = this.coordinatorError(request.groupId);
      if (coordinatorError !== 0) return failTop(coordinatorError);
      const group = this.groups.get(request.groupId);
      if (group === undefined || group.is('Dead')) return failTop(ErrorCode.GROUP_ID_NOT_FOUND);
      if (!group.is('Empty') && !group.usesConsumerProtocol()) return failTop(ErrorCode.NON_EMPTY_GROUP);

      const records: CoordinatorRecord[] = [];
      const topics: OffsetDeleteResponseTopicInput[] = request.topics.map((topic) => {
        const subscribed = group.isSubscribedToTopic(topic.name);
        return {
          name: topic.name,
          partitions: topic.partitions.map((p) => {
            if (subscribed) return { partitionIndex: p.partitionIndex, errorCode: ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC };
            if (this.topicPartitionExists !== undefined && !this.topicPartitionExists(topic.name, p.partitionIndex)) {
              return { partitionIndex: p.partitionIndex, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION };
            }
            // A tombstone when there is a committed offset or an open transaction's one (Kafka's rule).
            if (
              this.offsets.get(request.groupId, topic.name, p.partitionIndex) !== undefined ||
              this.pendingOffsets.has(group.partition, request.groupId, topic.name, p.partitionIndex)
            ) {
              records.push(offsetCommitTombstone(request.groupId, topic.name, p.partitionIndex));
              this.deleteOffset(group.partition, request.groupId, topic.name, p.partitionIndex);
            }
            return { partitionIndex: p.partitionIndex, errorCode: ErrorCode.NONE };
          }),
        };
      });
      if (records.length === 0) return reply({ errorCode: ErrorCode.NONE, throttleTimeMs: 0, topics });
      this.append(group.partition, records, (errorCode) => {
        if (errorCode !== 0) return failTop(groupMetadataAppendError(errorCode));
        reply({ errorCode: ErrorCode.NONE, throttleTimeMs: 0, topics });
      });
    });
  }

  // ─── Admin: DescribeGroups, ListGroups, DeleteGroups ─────────────────────

  describeGroups(ctx: RequestContext, request: DescribeGroupsRequest, respond: (response: DescribeGroupsResponseInput) => void): void {
    this.run(() => {
      const reply = this.deferred(respond);
      const authorizedOperations = ctx.apiVersion >= 3 && request.includeAuthorizedOperations ? allGroupOperations : authorizedOperationsOmitted;
      const groups = request.groups.map((groupId): DescribeGroupsResponseDescribedGroupInput => {
        const base = { groupId, groupState: '', protocolType: '', protocolData: '', members: [], authorizedOperations };
        if (groupId === '') return { ...base, errorCode: ErrorCode.INVALID_GROUP_ID };
        const coordinatorError = this.coordinatorError(groupId);
        if (coordinatorError !== 0) return { ...base, errorCode: coordinatorError };
        const group = this.groups.get(groupId);
        if (group === undefined) return { ...base, errorCode: ErrorCode.NONE, groupState: 'Dead' };
        const stable = group.is('Stable');
        return {
          errorCode: ErrorCode.NONE,
          groupId,
          groupState: group.state,
          protocolType: group.protocolType ?? '',
          protocolData: stable ? (group.protocolName ?? '') : '',
          authorizedOperations,
          members: [...group.members.values()].map((m) => ({
            memberId: m.memberId,
            groupInstanceId: m.groupInstanceId,
            clientId: m.clientId,
            clientHost: m.clientHost,
            memberMetadata: stable ? m.metadata(group.protocolName) : EMPTY_ASSIGNMENT,
            memberAssignment: stable ? m.assignment : EMPTY_ASSIGNMENT,
          })),
        };
      });
      reply({ groups });
    });
  }

  listGroups(ctx: RequestContext, request: ListGroupsRequest, respond: (response: ListGroupsResponseInput) => void): void {
    this.run(() => {
      const reply = this.deferred(respond);
      const states = new Set((ctx.apiVersion >= 4 ? request.statesFilter : []).map((s) => s.trim().toLowerCase()));
      const types = new Set((ctx.apiVersion >= 5 ? request.typesFilter : []).map((t) => t.trim().toLowerCase()));
      const listed: ListGroupsResponseListedGroupInput[] = [];
      for (const group of this.groups.values()) {
        if (!this.isActive(group.partition)) continue;
        if (states.size > 0 && !states.has(group.state.toLowerCase())) continue;
        if (types.size > 0 && !types.has('classic')) continue;
        listed.push({ groupId: group.groupId, protocolType: group.protocolType ?? '', groupState: group.state, groupType: 'classic' });
      }
      const loading = [...this.partitions.values()].includes('loading');
      reply({ errorCode: loading ? ErrorCode.COORDINATOR_LOAD_IN_PROGRESS : ErrorCode.NONE, groups: listed });
    });
  }

  deleteGroups(ctx: RequestContext, request: DeleteGroupsRequest, respond: (response: DeleteGroupsResponseInput) => void): void {
    this.run(() => {
      const reply = this.deferred(respond);
      const results: DeleteGroupsResponseDeletableGroupResultInput[] = [];
      const byPartition = new Map<number, { records: CoordinatorRecord[]; results: DeleteGroupsResponseDeletableGroupResultInput[] }>();
      for (const groupId of request.groupsNames) {
        const result = { groupId, errorCode: ErrorCode.NONE as number };
        results.push(result);
        if (groupId === '') {
          result.errorCode = ErrorCode.INVALID_GROUP_ID;
          continue;
        }
        const coordinatorError = this.coordinatorError(groupId);
        if (coordinatorError !== 0) {
          result.errorCode = coordinatorError;
          continue;
        }
        const group = this.groups.get(groupId);
        if (group === undefined || group.is('Dead')) {
          result.errorCode = ErrorCode.GROUP_ID_NOT_FOUND;
          continue;
        }
        if (!group.is('Empty')) {
          result.errorCode = ErrorCode.NON_EMPTY_GROUP;
          continue;
        }
        let batch = byPartition.get(group.partition);
        if (batch === undefined) {
          batch = { records: [], results: [] };
          byPartition.set(group.partition, batch);
        }
        batch.records.push(...this.deleteGroupNow(group));
        batch.results.push(result);
      }
      let outstanding = byPartition.size;
      if (outstanding === 0) return reply({ throttleTimeMs: 0, results });
      for (const [partition, batch] of byPartition) {
        this.append(partition, batch.records, (errorCode) => {
          if (errorCode !== 0) for (const r of batch.results) r.errorCode = groupMetadataAppendError(errorCode);
          if (--outstanding === 0) reply({ throttleTimeMs: 0, results });
        });
      }
    });
  }

  /**
   * Removes a group and its offsets from memory; returns the tombstones that
   * make it permanent. Open transactions' offsets for the group get
   * tombstones too (one per partition), so their commit markers find nothing.
   */
  private deleteGroupNow(group: ClassicGroup): CoordinatorRecord[] {
    const records = this.offsets.partitionsOf(group.groupId).map((o) => offsetCommitTombstone(group.groupId, o.topic, o.partition));
    for (const k of this.pendingOffsets.keysOf(group.partition, group.groupId)) {
      if (this.offsets.get(group.groupId, k.topic, k.partition) === undefined) records.push(offsetCommitTombstone(group.groupId, k.topic, k.partition));
      this.pendingOffsets.removeKey(group.partition, group.groupId, k.topic, k.partition);
    }
    records.push(groupMetadataTombstone(group.groupId));
    this.offsets.deleteGroup(group.groupId);
    this.cancelGroupTimers(group);
    group.transitionTo('Dead', this.clock.nowMs());
    this.groups.delete(group.groupId);
    return records;
  }

  // ─── offset retention ────────────────────────────────────────────────────

  /**
   * Expires offsets per offsets.retention.minutes, as Kafka does: in an Empty
   * group, counted from when it became Empty; in a simple group (or a commit
   * with an explicit retention), from the commit; never for topics a live
   * consumer group subscribes to. Empty groups left without offsets are deleted.
   */
  expireOffsets(): void {
    this.run(() => {
      const nowMs = this.clock.nowMs();
      const byPartition = new Map<number, CoordinatorRecord[]>();
      for (const group of [...this.groups.values()]) {
        if (!this.isActive(group.partition)) continue;
        const records: CoordinatorRecord[] = [];
        const allExpired = this.expireGroupOffsets(group, nowMs, records);
        // A group stays while a transaction that committed offsets for it is undecided.
        if (allExpired && group.is('Empty') && !this.pendingOffsets.hasOpenTransactions(group.groupId)) records.push(...this.deleteGroupNow(group));
        if (records.length === 0) continue;
        const list = byPartition.get(group.partition) ?? [];
        list.push(...records);
        byPartition.set(group.partition, list);
      }
      for (const [partition, records] of byPartition) this.append(partition, records, () => undefined);
    });
  }

  private expireGroupOffsets(group: ClassicGroup, nowMs: number, records: CoordinatorRecord[]): boolean {
    const offsets = this.offsets.partitionsOf(group.groupId);
    if (offsets.length === 0) return true;
    let base: ((o: StoredOffset) => number) | null = null;
    if (group.protocolType === null) base = (o) => o.commitTimestampMs;
    else if (group.is('Empty')) base = (o) => group.currentStateTimestampMs ?? o.commitTimestampMs;
    else if (group.is('Stable') && group.usesConsumerProtocol() && group.subscribedTopics !== null) base = (o) => o.commitTimestampMs;
    if (base === null) return false;
    let allExpired = true;
    for (const { topic, partition, offset } of offsets) {
      const expired =
        !group.isSubscribedToTopic(topic) &&
        (offset.expireTimestampMs !== null ? nowMs >= offset.expireTimestampMs : nowMs - base(offset) >= this.config.offsetsRetentionMs) &&
        // Not while a transaction may still replace it.
        !this.pendingOffsets.has(group.partition, group.groupId, topic, partition);
      if (expired) {
        records.push(offsetCommitTombstone(group.groupId, topic, partition));
        this.offsets.set(group.groupId, topic, partition, null);
      } else {
        allExpired = false;
      }
    }
    return allExpired;
  }

  private ensureRetentionTimer(): void {
    if (this.timer.isScheduled(retentionKey)) return;
    this.timer.schedule(retentionKey, this.config.offsetsRetentionCheckIntervalMs, () => {
      this.expireOffsets();
      this.ensureRetentionTimer();
    });
  }

  // ─── helpers ─────────────────────────────────────────────────────────────

  private coordinatorError(groupId: string): number {
    const status = this.partitions.get(this.partitionFor(groupId));
    if (status === undefined) return ErrorCode.NOT_COORDINATOR;
    if (status === 'loading') return ErrorCode.COORDINATOR_LOAD_IN_PROGRESS;
    return 0;
  }

  private checkPartition(partition: number): void {
    if (!Number.isInteger(partition) || partition < 0 || partition >= this.config.offsetsTopicPartitions) {
      throw new RangeError(`__consumer_offsets has no partition ${partition}`);
    }
  }

  private cancelGroupTimers(group: ClassicGroup): void {
    this.timer.cancel(joinKey(group.groupId));
    this.timer.cancel(syncKey(group.groupId));
    for (const memberId of group.members.keys()) this.timer.cancel(heartbeatKey(group.groupId, memberId));
  }

  /** The GroupMetadataValue for the group now, with `assignment` (or the members' current ones when null). */
  private groupRecord(group: ClassicGroup, assignment: ReadonlyMap<string, Buffer> | null): CoordinatorRecord {
    return groupMetadataRecord(group.groupId, {
      protocolType: group.protocolType ?? '',
      generation: group.generationId,
      protocol: group.protocolName,
      leader: group.leaderId,
      currentStateTimestamp: BigInt(group.currentStateTimestampMs ?? -1),
      members: [...group.members.values()].map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        rebalanceTimeout: m.rebalanceTimeoutMs,
        sessionTimeout: m.sessionTimeoutMs,
        subscription: m.metadata(group.protocolName),
        assignment: assignment === null ? m.assignment : (assignment.get(m.memberId) ?? EMPTY_ASSIGNMENT),
      })),
    });
  }

  private groupFromRecord(groupId: string, partition: number, value: GroupMetadataValue): ClassicGroup {
    const group = new ClassicGroup(groupId, partition, this.clock.nowMs());
    group.generationId = value.generation;
    group.protocolName = value.protocol;
    for (const m of value.members) {
      const member = new ClassicGroupMember(
        m.memberId,
        m.groupInstanceId,
        m.clientId,
        m.clientHost,
        m.rebalanceTimeout < 0 ? m.sessionTimeout : m.rebalanceTimeout,
        m.sessionTimeout,
        value.protocolType,
        value.protocol === null ? [] : [{ name: value.protocol, metadata: m.subscription }],
        m.assignment,
      );
      group.restoreMember(member);
    }
    group.protocolType = value.protocolType === '' && value.members.length === 0 ? null : value.protocolType;
    group.leaderId = value.leader !== null && group.has(value.leader) ? value.leader : (group.members.keys().next().value ?? null);
    const timestampMs = value.currentStateTimestamp < 0n ? null : Number(value.currentStateTimestamp);
    group.restoreState(value.members.length === 0 ? 'Empty' : 'Stable', timestampMs);
    group.subscribedTopics = group.computeSubscribedTopics();
    return group;
  }

  private append(partition: number, records: readonly CoordinatorRecord[], done: (errorCode: number) => void, transaction?: TransactionalProducer): void {
    this.nextRecordOffsets.set(partition, this.recordOffsetAt(partition, records.length));
    this.writer.append(partition, records, (errorCode) => this.run(() => done(errorCode)), transaction);
  }

  /** The record offset of the `index`-th record of the next append to `partition`. */
  private recordOffsetAt(partition: number, index: number): RecordOffset {
    return (this.nextRecordOffsets.get(partition) ?? 0) + index;
  }

  /** A replayed record's position: its log offset when known, else the next one in issue order. */
  private positionOf(partition: number, recordOffset: RecordOffset | undefined): RecordOffset {
    const position = recordOffset ?? this.recordOffsetAt(partition, 0);
    this.nextRecordOffsets.set(partition, Math.max(this.recordOffsetAt(partition, 0), position + 1));
    return position;
  }

  /** A tombstone for one offset: the committed offset goes, and so do open transactions' offsets for it (as in Kafka). */
  private deleteOffset(partition: number, groupId: string, topic: string, topicPartition: number): void {
    this.offsets.set(groupId, topic, topicPartition, null);
    this.pendingOffsets.removeKey(partition, groupId, topic, topicPartition);
  }

  /** Runs an operation; responses it produces are delivered once it (and any outer operation) is done. */
  private run(operation: () => void): void {
    this.depth++;
    try {
      operation();
    } finally {
      this.depth--;
      if (this.depth === 0) {
        while (this.outbox.length > 0) this.outbox.shift()!();
      }
    }
  }

  private deferred<T>(callback: (value: T) => void): (value: T) => void {
    let answered = false;
    return (value: T) => {
      // Exactly one answer per request, whatever path produced it.
      if (answered) throw new Error('a request was answered twice');
      answered = true;
      if (this.depth > 0) this.outbox.push(() => callback(value));
      else callback(value);
    };
  }

  /** A random (version 4) UUID from the injected Random, as Kafka uses for member ids. */
  private uuid(): string {
    const hex = (n: number): string => {
      let s = '';
      for (let i = 0; i < n; i++) s += this.random.int(16).toString(16);
      return s;
    };
    return `${hex(8)}-${hex(4)}-4${hex(3)}-${(8 + this.random.int(4)).toString(16)}${hex(3)}-${hex(12)}`;
  }
}

interface JoinParams {
  readonly ctx: RequestContext;
  readonly request: JoinGroupRequest;
  readonly rebalanceTimeoutMs: number;
  readonly protocols: readonly MemberProtocol[];
  readonly reply: JoinCallback;
}

const retentionKey = 'offsets-retention';

function heartbeatKey(groupId: string, memberId: string): string {
  return `heartbeat\u0000${groupId}\u0000${memberId}`;
}

function joinKey(groupId: string): string {
  return `join\u0000${groupId}`;
}

function syncKey(groupId: string): string {
  return `sync\u0000${groupId}`;
}

function joinError(errorCode: number, memberId: string): JoinGroupResponseInput {
  return { errorCode, generationId: -1, protocolType: null, protocolName: null, leader: '', memberId, members: [] };
}

function syncError(errorCode: number): SyncGroupResponseInput {
  return { errorCode, protocolType: null, protocolName: null, assignment: EMPTY_ASSIGNMENT };
}

/** A static member must present the member id currently bound to its instance id. */
function validateMember(group: ClassicGroup, memberId: string, groupInstanceId: string | null): number {
  if (groupInstanceId !== null) {
    const existing = group.staticMemberId(groupInstanceId);
    if (existing === undefined) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (existing !== memberId) return ErrorCode.FENCED_INSTANCE_ID;
  }
  return group.has(memberId) ? 0 : ErrorCode.UNKNOWN_MEMBER_ID;
}

function validateOffsetCommit(group: ClassicGroup, memberId: string, groupInstanceId: string | null, generationId: number): number {
  if (group.is('Dead')) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
  // Generation -1 in an Empty group: a consumer that uses assign(), or an admin tool.
  if (generationId < 0 && group.is('Empty')) return 0;
  if (generationId >= 0 || memberId !== '' || groupInstanceId !== null) {
    const memberError = validateMember(group, memberId, groupInstanceId);
    if (memberError !== 0) return memberError;
    if (generationId !== group.generationId) return ErrorCode.ILLEGAL_GENERATION;
  } else if (!group.is('Empty')) {
    // No member id and no generation (v0, or a simple consumer) while a group is active.
    return ErrorCode.UNKNOWN_MEMBER_ID;
  }
  // The member has its JoinGroup response but not its assignment yet.
  if (group.is('CompletingRebalance')) return ErrorCode.REBALANCE_IN_PROGRESS;
  return 0;
}

/**
 * Kafka's checks for a transactional commit: like a plain one, except that
 * a request without member and generation (TxnOffsetCommit v0-2) is
 * accepted in an active group, and a group completing a rebalance is no error.
 */
function validateTxnOffsetCommit(group: ClassicGroup, memberId: string, groupInstanceId: string | null, generationId: number): number {
  if (group.is('Dead')) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
  if (generationId < 0 && group.is('Empty')) return 0;
  if (generationId >= 0 || memberId !== '' || groupInstanceId !== null) {
    const memberError = validateMember(group, memberId, groupInstanceId);
    if (memberError !== 0) return memberError;
    if (generationId !== group.generationId) return ErrorCode.ILLEGAL_GENERATION;
  }
  return 0;
}

function isProtocolInconsistent(requested: string | null, current: string | null): boolean {
  return requested !== null && requested !== current;
}

/** Kafka keys a member's protocols by name; a repeated name keeps its first occurrence. */
function distinctProtocols(protocols: ReadonlyArray<{ name: string; metadata: Buffer }>): MemberProtocol[] {
  const seen = new Set<string>();
  const out: MemberProtocol[] = [];
  for (const p of protocols) {
    if (seen.has(p.name)) continue;
    seen.add(p.name);
    out.push({ name: p.name, metadata: p.metadata });
  }
  return out;
}

function commitResponseTopics(request: OffsetCommitRequest, errorFor: (topic: string, partition: number) => number): OffsetCommitResponseTopicInput[] {
  return request.topics.map((t) => ({
    name: t.name,
    partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: errorFor(t.name, p.partitionIndex) })),
  }));
}

function missingOffset(partitionIndex: number): OffsetFetchResponsePartitionsInput {
  return { partitionIndex, committedOffset: -1n, committedLeaderEpoch: -1, metadata: '', errorCode: ErrorCode.NONE };
}

function unstableOffset(partitionIndex: number): OffsetFetchResponsePartitionsInput {
  return { ...missingOffset(partitionIndex), errorCode: ErrorCode.UNSTABLE_OFFSET_COMMIT };
}

function presentOffset(partitionIndex: number, o: StoredOffset): OffsetFetchResponsePartitionsInput {
  return { partitionIndex, committedOffset: o.offset, committedLeaderEpoch: o.leaderEpoch, metadata: o.metadata, errorCode: ErrorCode.NONE };
}

/** How a failed group metadata write is reported to the member (as Kafka maps it). */
export function groupMetadataAppendError(errorCode: number): number {
  switch (errorCode) {
    case ErrorCode.UNKNOWN_TOPIC_OR_PARTITION:
    case ErrorCode.NOT_ENOUGH_REPLICAS:
    case ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND:
    case ErrorCode.REQUEST_TIMED_OUT:
      return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    case ErrorCode.NOT_LEADER_OR_FOLLOWER:
    case ErrorCode.KAFKA_STORAGE_ERROR:
      return ErrorCode.NOT_COORDINATOR;
    case ErrorCode.MESSAGE_TOO_LARGE:
    case ErrorCode.RECORD_LIST_TOO_LARGE:
    case ErrorCode.INVALID_FETCH_SIZE:
      return ErrorCode.UNKNOWN_SERVER_ERROR;
    default:
      return errorCode;
  }
}

/** How a failed transactional offset commit write is reported: a stale producer epoch means a newer producer took over. */
export function txnOffsetCommitAppendError(errorCode: number): number {
  return errorCode === ErrorCode.INVALID_PRODUCER_EPOCH ? ErrorCode.PRODUCER_FENCED : groupMetadataAppendError(errorCode);
}

/** How a failed offset commit write is reported. */
export function offsetCommitAppendError(errorCode: number): number {
  switch (errorCode) {
    case ErrorCode.MESSAGE_TOO_LARGE:
    case ErrorCode.RECORD_LIST_TOO_LARGE:
    case ErrorCode.INVALID_FETCH_SIZE:
      return ErrorCode.INVALID_COMMIT_OFFSET_SIZE;
    default:
      return groupMetadataAppendError(errorCode);
  }
}

export type { GroupState };
