/**
 * Incremental fetch sessions (KIP-227): what a fetcher asked for last time,
 * so its next request names only what changed and the answer carries only
 * partitions with something new.
 *
 * Request metadata (session id, epoch) picks the context:
 *   id 0, epoch -1      sessionless full fetch (also every request before v7)
 *   any id, epoch 0     full fetch; the named session (if any) is closed and a
 *                       new one is created when the cache has room (else id 0)
 *   id ≠ 0, epoch -1    full fetch, the session is closed, no new one
 *   id ≠ 0, epoch > 0   incremental: the session must exist
 *                       (FETCH_SESSION_ID_NOT_FOUND) and expect exactly this
 *                       epoch (INVALID_FETCH_SESSION_EPOCH); the request's
 *                       partitions are added or updated, forgotten ones
 *                       dropped; a session left empty is closed and the
 *                       request answered sessionless
 * The epoch the client must send next is the one it sent plus one (wrapping
 * from 2^31-1 to 1); a new session expects 1. A session created with topic
 * ids (v13+) cannot be used without them, nor the reverse
 * (FETCH_SESSION_TOPIC_ID_ERROR).
 *
 * An incremental answer includes a session partition when it has records,
 * an error, or a high watermark, last stable offset or log start offset
 * different from what the fetcher was last told; a partition that had an
 * error is always sent again once it clears. Partitions that are answered
 * move to the end of the session's order, so a response cut short by
 * max_bytes does not starve the later ones.
 *
 * The cache holds at most `max.incremental.fetch.session.cache.slots`
 * sessions. When full, a new session may evict one unused for longer than
 * the eviction time (2 minutes, as Kafka), else the least valuable one
 * older than that (fewer partitions, and a consumer before a follower) if it
 * is worth less than the newcomer; otherwise no session is created.
 */

export const INITIAL_EPOCH = 0;
export const FINAL_EPOCH = -1;
export const INVALID_SESSION_ID = 0;
/** Kafka's fixed eviction time for fetch sessions. */
export const SESSION_EVICTION_MS = 120_000;
export const SESSION_CACHE_SLOTS_DEFAULT = 1000;

export function nextEpoch(epoch: number): number {
  if (epoch < 0) return FINAL_EPOCH;
  return epoch === 0x7fffffff ? 1 : epoch + 1;
}

/** What the fetcher asks for one partition; kept between requests in a session. */
export interface FetchTarget {
  /** `<topic id or name>:<partition>`, unique within a session. */
  readonly key: string;
  readonly topic: string;
  readonly topicId: string;
  readonly partition: number;
  fetchOffset: bigint;
  maxBytes: number;
  currentLeaderEpoch: number;
  logStartOffset: bigint;
}

/** What a fetcher was last told about a partition. */
interface CachedPartition {
  target: FetchTarget;
  highWatermark: bigint;
  lastStableOffset: bigint;
  logStartOffset: bigint;
}

/** The per-partition facts that decide whether an incremental answer includes it. */
export interface PartitionOutcome {
  readonly errorCode: number;
  readonly highWatermark: bigint;
  readonly lastStableOffset: bigint;
  readonly logStartOffset: bigint;
  readonly recordBytes: number;
}

export class FetchSession {
  readonly partitions = new Map<string, CachedPartition>();
  /** The epoch the next incremental request must carry. */
  epoch = nextEpoch(INITIAL_EPOCH);
  lastUsedMs: number;

  constructor(
    readonly id: number,
    readonly privileged: boolean,
    readonly usesTopicIds: boolean,
    readonly createdMs: number,
  ) {
    this.lastUsedMs = createdMs;
  }

  get size(): number {
    return this.partitions.size;
  }

  targets(): FetchTarget[] {
    return [...this.partitions.values()].map((p) => p.target);
  }

  /**
   * Decides whether `outcome` goes into an incremental answer and, when it
   * does, remembers what was sent and moves the partition to the end.
   */
  select(key: string, outcome: PartitionOutcome): boolean {
    const cached = this.partitions.get(key);
    if (cached === undefined) return true;
    let send = outcome.recordBytes > 0;
    if (cached.highWatermark !== outcome.highWatermark) {
      send = true;
      cached.highWatermark = outcome.highWatermark;
    }
    if (cached.lastStableOffset !== outcome.lastStableOffset) {
      send = true;
      cached.lastStableOffset = outcome.lastStableOffset;
    }
    if (cached.logStartOffset !== outcome.logStartOffset) {
      send = true;
      cached.logStartOffset = outcome.logStartOffset;
    }
    if (outcome.errorCode !== 0) {
      // Forget the watermark so the partition is sent again once the error clears.
      cached.highWatermark = -1n;
      send = true;
    }
    if (send) {
      this.partitions.delete(key);
      this.partitions.set(key, cached);
    }
    return send;
  }
}

export type FetchContext =
  | { kind: 'error'; errorCode: 'FETCH_SESSION_ID_NOT_FOUND' | 'INVALID_FETCH_SESSION_EPOCH' | 'FETCH_SESSION_TOPIC_ID_ERROR' }
  | { kind: 'sessionless'; targets: FetchTarget[] }
  | { kind: 'full'; targets: FetchTarget[]; usesTopicIds: boolean; privileged: boolean }
  | { kind: 'incremental'; session: FetchSession; targets: FetchTarget[]; epoch: number };

export interface FetchSessionCacheOptions {
  slotsMax?: number;
  evictionMs?: number;
  /** Uniform in [0, 1); session ids come from it. */
  random?: () => number;
}

export class FetchSessionCache {
  private readonly sessions = new Map<number, FetchSession>();
  private readonly slotsMax: number;
  private readonly evictionMs: number;
  private readonly random: () => number;
  evictions = 0;

  constructor(options: FetchSessionCacheOptions = {}) {
    this.slotsMax = options.slotsMax ?? SESSION_CACHE_SLOTS_DEFAULT;
    this.evictionMs = options.evictionMs ?? SESSION_EVICTION_MS;
    this.random = options.random ?? Math.random;
  }

  get size(): number {
    return this.sessions.size;
  }

  get(id: number): FetchSession | undefined {
    return this.sessions.get(id);
  }

  remove(id: number): boolean {
    return this.sessions.delete(id);
  }

  /**
   * The context for one request. An incremental request updates its session
   * here (partitions, forgotten topics, epoch) before anything is read.
   */
  newContext(request: {
    sessionId: number;
    sessionEpoch: number;
    targets: FetchTarget[];
    /** Keys of the forgotten partitions. */
    forgotten: readonly string[];
    usesTopicIds: boolean;
    privileged: boolean;
    nowMs: number;
  }): FetchContext {
    const { sessionId, sessionEpoch, targets } = request;
    if (sessionEpoch === INITIAL_EPOCH || sessionEpoch === FINAL_EPOCH) {
      if (sessionId !== INVALID_SESSION_ID) this.sessions.delete(sessionId);
      if (sessionEpoch === FINAL_EPOCH) return { kind: 'sessionless', targets };
      return { kind: 'full', targets, usesTopicIds: request.usesTopicIds, privileged: request.privileged };
    }
    const session = this.sessions.get(sessionId);
    if (session === undefined) return { kind: 'error', errorCode: 'FETCH_SESSION_ID_NOT_FOUND' };
    if (session.epoch !== sessionEpoch) return { kind: 'error', errorCode: 'INVALID_FETCH_SESSION_EPOCH' };
    if (session.usesTopicIds !== request.usesTopicIds) return { kind: 'error', errorCode: 'FETCH_SESSION_TOPIC_ID_ERROR' };
    for (const target of targets) {
      const cached = session.partitions.get(target.key);
      if (cached === undefined) {
        session.partitions.set(target.key, { target, highWatermark: -1n, lastStableOffset: -1n, logStartOffset: -1n });
      } else {
        cached.target.fetchOffset = target.fetchOffset;
        cached.target.maxBytes = target.maxBytes;
        cached.target.currentLeaderEpoch = target.currentLeaderEpoch;
        cached.target.logStartOffset = target.logStartOffset;
      }
    }
    for (const key of request.forgotten) session.partitions.delete(key);
    if (session.size === 0) {
      this.sessions.delete(session.id);
      return { kind: 'sessionless', targets };
    }
    session.lastUsedMs = request.nowMs;
    session.epoch = nextEpoch(session.epoch);
    return { kind: 'incremental', session, targets: session.targets(), epoch: session.epoch };
  }

  /**
   * After a full fetch has been answered: creates its session when there is
   * room (or room can be made) and returns its id, else INVALID_SESSION_ID.
   */
  maybeCreate(
    context: Extract<FetchContext, { kind: 'full' }>,
    outcomes: ReadonlyMap<string, PartitionOutcome>,
    nowMs: number,
  ): number {
    const size = context.targets.length;
    if (this.sessions.size >= this.slotsMax && !this.tryEvict(context.privileged, size, nowMs)) return INVALID_SESSION_ID;
    let id: number;
    do {
      id = 1 + Math.floor(this.random() * 0x7ffffffe);
    } while (this.sessions.has(id));
    const session = new FetchSession(id, context.privileged, context.usesTopicIds, nowMs);
    for (const target of context.targets) {
      const outcome = outcomes.get(target.key);
      const failed = outcome === undefined || outcome.errorCode !== 0;
      session.partitions.set(target.key, {
        target: { ...target },
        highWatermark: failed ? -1n : outcome.highWatermark,
        lastStableOffset: outcome?.lastStableOffset ?? -1n,
        logStartOffset: outcome?.logStartOffset ?? -1n,
      });
    }
    this.sessions.set(id, session);
    return id;
  }

  private tryEvict(privileged: boolean, size: number, nowMs: number): boolean {
    let stalest: FetchSession | undefined;
    for (const s of this.sessions.values()) if (stalest === undefined || s.lastUsedMs < stalest.lastUsedMs) stalest = s;
    if (stalest === undefined) return false;
    if (nowMs - stalest.lastUsedMs > this.evictionMs) {
      this.evict(stalest);
      return true;
    }
    // Otherwise the least valuable session that is no longer new, if the newcomer is worth more.
    let cheapest: FetchSession | undefined;
    for (const s of this.sessions.values()) {
      const old = nowMs - s.createdMs > this.evictionMs;
      const evictable = old || (privileged && !s.privileged);
      if (!evictable) continue;
      if (cheapest === undefined || compareValue(s.privileged, s.size, s.id, cheapest.privileged, cheapest.size, cheapest.id) < 0) cheapest = s;
    }
    if (cheapest === undefined) return false;
    if (compareValue(privileged, size, 0, cheapest.privileged, cheapest.size, cheapest.id) < 0) return false;
    this.evict(cheapest);
    return true;
  }

  private evict(session: FetchSession): void {
    this.sessions.delete(session.id);
    this.evictions++;
  }
}

/** Orders sessions by worth: consumers before followers, then by size, then id. */
function compareValue(aPrivileged: boolean, aSize: number, aId: number, bPrivileged: boolean, bSize: number, bId: number): number {
  if (aPrivileged !== bPrivileged) return aPrivileged ? 1 : -1;
  if (aSize !== bSize) return aSize - bSize;
  return aId - bId;
}
