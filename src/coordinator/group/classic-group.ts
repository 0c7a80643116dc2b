/**
 * One classic-protocol group (JoinGroup/SyncGroup/Heartbeat/LeaveGroup): its
 * members, generation and state. This is bookkeeping only; the decisions (when
 * to rebalance, which error to answer) live in GroupCoordinator.
 *
 * States and their allowed predecessors follow Kafka:
 *   Empty               ← PreparingRebalance
 *   PreparingRebalance  ← Stable, CompletingRebalance, Empty
 *   CompletingRebalance ← PreparingRebalance
 *   Stable              ← CompletingRebalance
 *   Dead                ← any
 */
import { ErrorCode } from '../../protocol/errors/error-codes.js';
import { Reader } from '../../protocol/primitives/reader.js';
import { decodeConsumerProtocolSubscription } from '../../protocol/generated/messages/consumer-protocol-subscription.js';
import type { JoinGroupResponseInput } from '../../protocol/generated/messages/join-group-response.js';
import type { SyncGroupResponseInput } from '../../protocol/generated/messages/sync-group-response.js';

export type GroupState = 'Empty' | 'PreparingRebalance' | 'CompletingRebalance' | 'Stable' | 'Dead';

const validPrevious: Readonly<Record<GroupState, readonly GroupState[]>> = {
  Empty: ['PreparingRebalance'],
  PreparingRebalance: ['Stable', 'CompletingRebalance', 'Empty'],
  CompletingRebalance: ['PreparingRebalance'],
  Stable: ['CompletingRebalance'],
  Dead: ['Stable', 'PreparingRebalance', 'CompletingRebalance', 'Empty', 'Dead'],
};

export const EMPTY_ASSIGNMENT: Buffer = Buffer.alloc(0);

/** The protocol type of Kafka's consumer: its member metadata is a ConsumerProtocolSubscription. */
export const CONSUMER_PROTOCOL_TYPE = 'consumer';

export interface MemberProtocol {
  readonly name: string;
  readonly metadata: Buffer;
}

export type JoinCallback = (response: JoinGroupResponseInput) => void;
export type SyncCallback = (response: SyncGroupResponseInput) => void;

export class ClassicGroupMember {
  awaitingJoin: JoinCallback | null = null;
  awaitingSync: SyncCallback | null = null;
  /** Joined during the current rebalance and has never got a JoinGroup response: may be expired while parked. */
  isNew = false;

  constructor(
    readonly memberId: string,
    readonly groupInstanceId: string | null,
    public clientId: string,
    public clientHost: string,
    public rebalanceTimeoutMs: number,
    public sessionTimeoutMs: number,
    readonly protocolType: string,
    public protocols: readonly MemberProtocol[],
    public assignment: Buffer = EMPTY_ASSIGNMENT,
  ) {}

  get isStatic(): boolean {
    return this.groupInstanceId !== null;
  }

  get isAwaitingJoin(): boolean {
    return this.awaitingJoin !== null;
  }

  get isAwaitingSync(): boolean {
    return this.awaitingSync !== null;
  }

  /** The member's metadata for `protocolName`; empty if it does not support it. */
  metadata(protocolName: string | null): Buffer {
    return this.protocols.find((p) => p.name === protocolName)?.metadata ?? EMPTY_ASSIGNMENT;
  }

  /** Same protocols, same order, same metadata bytes. */
  matches(protocols: readonly MemberProtocol[]): boolean {
    if (protocols.length !== this.protocols.length) return false;
    return protocols.every((p, i) => p.name === this.protocols[i]!.name && p.metadata.equals(this.protocols[i]!.metadata));
  }

  /** The member's most preferred protocol among `candidates`. */
  vote(candidates: ReadonlySet<string>): string {
    const choice = this.protocols.find((p) => candidates.has(p.name));
    if (choice === undefined) throw new Error(`member ${this.memberId} supports none of the candidate protocols`);
    return choice.name;
  }

  /**
   * Whether an expiring session should leave the member alone: members parked in
   * a JoinGroup or SyncGroup count as alive, except brand-new members, whose
   * parked JoinGroup is bounded by the new-member timeout instead.
   */
  hasSatisfiedHeartbeat(): boolean {
    if (this.isNew) return false;
    return this.isAwaitingJoin || this.isAwaitingSync;
  }
}

export class ClassicGroup {
  private stateValue: GroupState = 'Empty';
  private previousStateValue: GroupState = 'Empty';
  generationId = 0;
  /** Null for a "simple" group that only stores offsets (never had members). */
  protocolType: string | null = null;
  protocolName: string | null = null;
  leaderId: string | null = null;
  /** Wall time of the last state change; null when loaded from a record that lacked it. */
  currentStateTimestampMs: number | null;
  /** Set when a member joins during the initial (delayed) rebalance, which extends the delay. */
  newMemberAdded = false;
  /** Topics the members subscribe to, when the group uses the consumer protocol and it parsed; null = unknown. */
  subscribedTopics: ReadonlySet<string> | null = null;

  readonly members = new Map<string, ClassicGroupMember>();
  /** group.instance.id → member id. */
  private readonly staticMembers = new Map<string, string>();
  /** Member ids handed out with MEMBER_ID_REQUIRED (KIP-394) that have not joined with them yet. */
  private readonly pendingJoinMembers = new Set<string>();
  /** Members that got the JoinGroup response of this generation but have not sent SyncGroup yet. */
  private readonly pendingSyncMembers = new Set<string>();
  /** protocol name → how many members support it. */
  private readonly supportedProtocols = new Map<string, number>();
  private awaitingJoinCount = 0;

  constructor(
    readonly groupId: string,
    readonly partition: number,
    nowMs: number,
  ) {
    this.currentStateTimestampMs = nowMs;
  }

  get state(): GroupState {
    return this.stateValue;
  }

  get previousState(): GroupState {
    return this.previousStateValue;
  }

  is(state: GroupState): boolean {
    return this.stateValue === state;
  }

  transitionTo(state: GroupState, nowMs: number): void {
    if (!validPrevious[state].includes(this.stateValue)) {
      throw new Error(`group ${this.groupId}: illegal transition ${this.stateValue} -> ${state}`);
    }
    this.previousStateValue = this.stateValue;
    this.stateValue = state;
    this.currentStateTimestampMs = nowMs;
  }

  /** For replay: sets the state without transition checks. */
  restoreState(state: GroupState, timestampMs: number | null): void {
    this.previousStateValue = this.stateValue;
    this.stateValue = state;
    this.currentStateTimestampMs = timestampMs;
  }

  get size(): number {
    return this.members.size;
  }

  has(memberId: string): boolean {
    return this.members.has(memberId);
  }

  member(memberId: string): ClassicGroupMember {
    const m = this.members.get(memberId);
    if (m === undefined) throw new Error(`group ${this.groupId} has no member ${memberId}`);
    return m;
  }

  isLeader(memberId: string): boolean {
    return this.leaderId === memberId;
  }

  staticMemberId(groupInstanceId: string): string | undefined {
    return this.staticMembers.get(groupInstanceId);
  }

  hasStaticMember(groupInstanceId: string): boolean {
    return this.staticMembers.has(groupInstanceId);
  }

  get awaitingJoinResponses(): number {
    return this.awaitingJoinCount;
  }

  add(member: ClassicGroupMember, onJoin: JoinCallback | null): void {
    if (member.groupInstanceId !== null) {
      if (this.staticMembers.has(member.groupInstanceId)) {
        throw new Error(`group ${this.groupId} already has static member ${member.groupInstanceId}`);
      }
      this.staticMembers.set(member.groupInstanceId, member.memberId);
    }
    if (this.members.size === 0) this.protocolType = member.protocolType;
    if (this.protocolType !== member.protocolType) throw new Error(`group ${this.groupId}: protocol type mismatch`);
    if (!this.supportsProtocols(member.protocolType, member.protocols.map((p) => p.name))) {
      throw new Error(`group ${this.groupId}: member ${member.memberId} supports none of the group's protocols`);
    }
    if (this.leaderId === null) this.leaderId = member.memberId;
    this.members.set(member.memberId, member);
    this.countProtocols(member, 1);
    member.awaitingJoin = onJoin;
    if (onJoin !== null) this.awaitingJoinCount++;
    this.pendingJoinMembers.delete(member.memberId);
  }

  /** For replay: adds a member as recorded, without the join-time checks. */
  restoreMember(member: ClassicGroupMember): void {
    if (member.groupInstanceId !== null) this.staticMembers.set(member.groupInstanceId, member.memberId);
    if (this.leaderId === null) this.leaderId = member.memberId;
    this.members.set(member.memberId, member);
    this.countProtocols(member, 1);
  }

  remove(memberId: string): void {
    const removed = this.members.get(memberId);
    if (removed !== undefined) {
      this.members.delete(memberId);
      this.countProtocols(removed, -1);
      if (removed.isAwaitingJoin) this.awaitingJoinCount--;
      if (removed.groupInstanceId !== null) this.staticMembers.delete(removed.groupInstanceId);
    }
    if (this.leaderId === memberId) {
      const next = this.members.keys().next();
      this.leaderId = next.done === true ? null : next.value;
    }
    this.pendingJoinMembers.delete(memberId);
    this.pendingSyncMembers.delete(memberId);
  }

  /** Updates a member's protocols and timeouts, and parks (or un-parks) its JoinGroup. */
  updateMember(
    member: ClassicGroupMember,
    protocols: readonly MemberProtocol[],
    rebalanceTimeoutMs: number,
    sessionTimeoutMs: number,
    onJoin: JoinCallback | null,
  ): void {
    this.countProtocols(member, -1);
    member.protocols = protocols;
    this.countProtocols(member, 1);
    member.rebalanceTimeoutMs = rebalanceTimeoutMs;
    member.sessionTimeoutMs = sessionTimeoutMs;
    if (onJoin !== null && member.awaitingJoin !== null) {
      // A second JoinGroup replaces the parked one, which must still get an answer.
      const previous = member.awaitingJoin;
      member.awaitingJoin = null;
      this.awaitingJoinCount--;
      previous({ errorCode: ErrorCode.REBALANCE_IN_PROGRESS, memberId: member.memberId, protocolName: null, protocolType: null, leader: '', members: [] });
    }
    if (onJoin !== null && !member.isAwaitingJoin) this.awaitingJoinCount++;
    else if (onJoin === null && member.isAwaitingJoin) this.awaitingJoinCount--;
    member.awaitingJoin = onJoin;
  }

  /**
   * Gives a static member a new member id, keeping everything else (including
   * its assignment). Whoever is parked under the old id is fenced.
   */
  replaceStaticMember(groupInstanceId: string, oldMemberId: string, newMemberId: string): ClassicGroupMember {
    const old = this.members.get(oldMemberId);
    if (old === undefined) throw new Error(`cannot replace unknown member ${oldMemberId}`);
    // Fence whoever is parked under the old id (before it leaves the map, so the join count stays right).
    this.completeJoin(old, {
      errorCode: ErrorCode.FENCED_INSTANCE_ID,
      memberId: oldMemberId,
      protocolName: null,
      protocolType: null,
      leader: '',
      members: [],
    });
    this.completeSync(old, { errorCode: ErrorCode.FENCED_INSTANCE_ID, protocolName: null, protocolType: null, assignment: EMPTY_ASSIGNMENT });
    this.members.delete(oldMemberId);
    const replacement = new ClassicGroupMember(
      newMemberId,
      old.groupInstanceId,
      old.clientId,
      old.clientHost,
      old.rebalanceTimeoutMs,
      old.sessionTimeoutMs,
      old.protocolType,
      old.protocols,
      old.assignment,
    );
    this.members.set(newMemberId, replacement);
    if (this.leaderId === oldMemberId) this.leaderId = newMemberId;
    this.staticMembers.set(groupInstanceId, newMemberId);
    if (this.pendingSyncMembers.delete(oldMemberId)) this.pendingSyncMembers.add(newMemberId);
    return replacement;
  }

  isPendingMember(memberId: string): boolean {
    return this.pendingJoinMembers.has(memberId);
  }

  addPendingMember(memberId: string): void {
    if (this.members.has(memberId)) throw new Error(`pending member ${memberId} is already a member`);
    this.pendingJoinMembers.add(memberId);
  }

  get pendingJoinCount(): number {
    return this.pendingJoinMembers.size;
  }

  addPendingSyncMember(memberId: string): void {
    if (!this.members.has(memberId)) throw new Error(`pending sync member ${memberId} is not a member`);
    this.pendingSyncMembers.add(memberId);
  }

  removePendingSyncMember(memberId: string): void {
    this.pendingSyncMembers.delete(memberId);
  }

  hasReceivedSyncFromAllMembers(): boolean {
    return this.pendingSyncMembers.size === 0;
  }

  pendingSyncMemberIds(): string[] {
    return [...this.pendingSyncMembers];
  }

  clearPendingSyncMembers(): void {
    this.pendingSyncMembers.clear();
  }

  hasAllMembersJoined(): boolean {
    return this.members.size === this.awaitingJoinCount && this.pendingJoinMembers.size === 0;
  }

  notYetRejoinedMembers(): ClassicGroupMember[] {
    return [...this.members.values()].filter((m) => !m.isAwaitingJoin);
  }

  /** The longest rebalance timeout of any member: how long a rebalance may wait for them. */
  rebalanceTimeoutMs(): number {
    let max = 0;
    for (const m of this.members.values()) max = Math.max(max, m.rebalanceTimeoutMs);
    return max;
  }

  canRebalance(): boolean {
    return validPrevious.PreparingRebalance.includes(this.stateValue);
  }

  /**
   * Keeps the leader if it rejoined; otherwise picks the first member that did.
   * False when nobody has rejoined (or there is no leader at all).
   */
  maybeElectNewJoinedLeader(): boolean {
    if (this.leaderId === null) return false;
    const leader = this.members.get(this.leaderId);
    if (leader !== undefined && leader.isAwaitingJoin) return true;
    for (const m of this.members.values()) {
      if (m.isAwaitingJoin) {
        this.leaderId = m.memberId;
        return true;
      }
    }
    return false;
  }

  /**
   * Whether a member with these protocols may join: an Empty group takes any
   * non-empty offer; otherwise the type must match and at least one protocol
   * must be one that every current member supports.
   */
  supportsProtocols(protocolType: string, protocolNames: readonly string[]): boolean {
    if (this.stateValue === 'Empty') return protocolType.length > 0 && protocolNames.length > 0;
    if (this.protocolType !== protocolType) return false;
    return protocolNames.some((name) => (this.supportedProtocols.get(name) ?? 0) === this.members.size);
  }

  /** The protocol supported by all members that gets the most first-choice votes. */
  selectProtocol(): string {
    if (this.members.size === 0) throw new Error(`cannot select a protocol for empty group ${this.groupId}`);
    const candidates = new Set<string>();
    for (const [name, count] of this.supportedProtocols) if (count === this.members.size) candidates.add(name);
    const votes = new Map<string, number>();
    for (const m of this.members.values()) {
      const choice = m.vote(candidates);
      votes.set(choice, (votes.get(choice) ?? 0) + 1);
    }
    let best: string | null = null;
    let bestVotes = -1;
    for (const [name, count] of votes) {
      if (count > bestVotes) {
        best = name;
        bestVotes = count;
      }
    }
    return best!;
  }

  /** Moves to the next generation: CompletingRebalance with members, Empty without. */
  initNextGeneration(nowMs: number): void {
    this.generationId++;
    if (this.members.size > 0) {
      this.protocolName = this.selectProtocol();
      this.subscribedTopics = this.computeSubscribedTopics();
      this.transitionTo('CompletingRebalance', nowMs);
    } else {
      this.protocolName = null;
      this.subscribedTopics = this.computeSubscribedTopics();
      this.transitionTo('Empty', nowMs);
    }
    this.pendingSyncMembers.clear();
  }

  /** Recomputes the subscribed topics from the members' consumer-protocol metadata (v0 prefix of every version). */
  computeSubscribedTopics(): ReadonlySet<string> | null {
    if (this.protocolType !== CONSUMER_PROTOCOL_TYPE) return null;
    if (this.members.size === 0) return new Set();
    if (this.protocolName === null) return null;
    const topics = new Set<string>();
    try {
      for (const m of this.members.values()) {
        const r = new Reader(m.metadata(this.protocolName));
        r.readInt16();
        for (const t of decodeConsumerProtocolSubscription(r, 0).topics) topics.add(t);
      }
    } catch {
      return null;
    }
    return topics;
  }

  usesConsumerProtocol(): boolean {
    return this.protocolType === CONSUMER_PROTOCOL_TYPE;
  }

  isSubscribedToTopic(topic: string): boolean {
    if (this.subscribedTopics !== null) return this.subscribedTopics.has(topic);
    return this.usesConsumerProtocol();
  }

  /** Members as the leader sees them in its JoinGroup response. */
  joinResponseMembers(): { memberId: string; groupInstanceId: string | null; metadata: Buffer }[] {
    if (this.stateValue === 'Dead' || this.stateValue === 'PreparingRebalance') {
      throw new Error(`group ${this.groupId}: no member metadata while ${this.stateValue}`);
    }
    return [...this.members.values()].map((m) => ({
      memberId: m.memberId,
      groupInstanceId: m.groupInstanceId,
      metadata: m.metadata(this.protocolName),
    }));
  }

  /** Completes a parked JoinGroup; false if the member had none. */
  completeJoin(member: ClassicGroupMember, response: JoinGroupResponseInput): boolean {
    const callback = member.awaitingJoin;
    if (callback === null) return false;
    member.awaitingJoin = null;
    if (this.members.get(member.memberId) === member) this.awaitingJoinCount--;
    callback(response);
    return true;
  }

  completeSync(member: ClassicGroupMember, response: SyncGroupResponseInput): boolean {
    const callback = member.awaitingSync;
    if (callback === null) return false;
    member.awaitingSync = null;
    callback(response);
    return true;
  }

  completeAllJoins(errorCode: number): void {
    for (const m of [...this.members.values()]) {
      this.completeJoin(m, { errorCode, memberId: m.memberId, protocolName: null, protocolType: null, leader: '', members: [] });
    }
  }

  completeAllSyncs(errorCode: number): void {
    for (const m of [...this.members.values()]) {
      this.completeSync(m, { errorCode, protocolName: null, protocolType: null, assignment: EMPTY_ASSIGNMENT });
    }
  }

  private countProtocols(member: ClassicGroupMember, delta: number): void {
    for (const p of member.protocols) this.supportedProtocols.set(p.name, (this.supportedProtocols.get(p.name) ?? 0) + delta);
  }
}
