/**
 * The transaction coordinator (KIP-98): one state machine per transactional
 * id, replayed from `__transaction_state` and driven by requests and poll().
 *
 *   Empty ──AddPartitions──► Ongoing ──EndTxn──► PrepareCommit ──markers──► CompleteCommit
 *     ▲                         │                PrepareAbort  ──markers──► CompleteAbort
 *     └──InitProducerId (epoch+1) from Empty/Complete*; from Ongoing: fence (epoch+1) + abort
 *
 * Every transition is written to the transactional id's `__transaction_state`
 * partition first and applied once durable; while one is in flight the id
 * answers CONCURRENT_TRANSACTIONS. EndTxn is answered once the Prepare record
 * is durable; the markers follow (through MarkerWriter), then the Complete
 * record. A transaction older than its timeout is aborted with a bumped
 * epoch, so the producer that started it is fenced (Kafka's behaviour).
 *
 * Everything outside is injected (Clock, the log writer, the marker writer,
 * the producer id source), so the simulation test can drive it
 * deterministically. Samsa serves transaction version 1 (markers carry the
 * producer's epoch; no per-transaction epoch bump of KIP-890 part 2).
 */
import type { Clock } from '../../platform/clock.js';
import { ErrorCode } from '../../protocol/errors/error-codes.js';
import { javaStringHashCode } from '../group/partitioner.js';
import { TxnState, decodeTxnLogKey, decodeTxnLogValue, encodeTxnLogKey, encodeTxnLogValue, txnStateNames, type TxnLogEntry, type TxnLogRecord } from './records.js';

export interface TransactionCoordinatorConfig {
  /** transaction.state.log.num.partitions */
  readonly logPartitions: number;
  /** transaction.max.timeout.ms */
  readonly maxTimeoutMs: number;
  /** transactional.id.expiration.ms */
  readonly transactionalIdExpirationMs: number;
  /** transaction.abort.timed.out.transaction.cleanup.interval.ms */
  readonly abortTimedOutIntervalMs: number;
  /** transaction.remove.expired.transaction.cleanup.interval.ms */
  readonly removeExpiredIntervalMs: number;
}

export const defaultTransactionCoordinatorConfig: TransactionCoordinatorConfig = Object.freeze({
  logPartitions: 50,
  maxTimeoutMs: 900_000,
  transactionalIdExpirationMs: 604_800_000,
  abortTimedOutIntervalMs: 10_000,
  removeExpiredIntervalMs: 3_600_000,
});

const configNames: ReadonlyArray<readonly [string, keyof TransactionCoordinatorConfig]> = [
  ['transaction.state.log.num.partitions', 'logPartitions'],
  ['transaction.max.timeout.ms', 'maxTimeoutMs'],
  ['transactional.id.expiration.ms', 'transactionalIdExpirationMs'],
  ['transaction.abort.timed.out.transaction.cleanup.interval.ms', 'abortTimedOutIntervalMs'],
  ['transaction.remove.expired.transaction.cleanup.interval.ms', 'removeExpiredIntervalMs'],
];

export function transactionCoordinatorConfigFrom(props: ReadonlyMap<string, string>): TransactionCoordinatorConfig {
  const out: Record<keyof TransactionCoordinatorConfig, number> = { ...defaultTransactionCoordinatorConfig };
  for (const [name, field] of configNames) {
    const raw = props.get(name);
    if (raw === undefined) continue;
    const value = Number(raw.trim());
    if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer, got ${raw}`);
    out[field] = value;
  }
  return Object.freeze(out);
}

/** Kafka: an epoch this close to Short.MAX_VALUE gets a fresh producer id instead of a bump. */
const EPOCH_EXHAUSTED = 32766;

export interface TopicPartitionRef {
  readonly topic: string;
  readonly partition: number;
}

export interface TxnMarker {
  readonly producerId: bigint;
  readonly producerEpoch: number;
  readonly commit: boolean;
  readonly coordinatorEpoch: number;
}

export interface CoordinatorIo {
  /** Appends to a `__transaction_state` partition; resolves with an error code (NONE once durable). */
  appendTxnLog(partition: number, records: readonly TxnLogRecord[]): Promise<number>;
  /**
   * Writes `marker` to every partition; resolves with the partitions that
   * must be retried (an empty list when all are done or no longer need it).
   */
  writeMarkers(marker: TxnMarker, partitions: readonly TopicPartitionRef[]): Promise<TopicPartitionRef[]>;
  /** Hands out producer ids that were never handed out before, durably. */
  allocateProducerId(): Promise<bigint>;
  /** Whether a (topic, partition) exists, for AddPartitionsToTxn. */
  partitionExists(topic: string, partition: number): boolean;
}

export interface TxnMetadata {
  readonly transactionalId: string;
  producerId: bigint;
  /** The epoch before the last bump, so a retried InitProducerId (KIP-360) is recognized. */
  lastProducerEpoch: number;
  producerEpoch: number;
  timeoutMs: number;
  state: TxnState;
  partitions: Map<string, Set<number>>;
  startMs: number;
  lastUpdateMs: number;
  /** An operation is writing this id's next state: others answer CONCURRENT_TRANSACTIONS. */
  pending: boolean;
  /** Prepare* is durable but the markers or the Complete record are not done yet. */
  completing: boolean;
}

export interface InitProducerIdResult {
  errorCode: number;
  producerId: bigint;
  producerEpoch: number;
}

export interface TxnDescription {
  transactionalId: string;
  state: string;
  timeoutMs: number;
  startMs: number;
  producerId: bigint;
  producerEpoch: number;
  partitions: Map<string, number[]>;
}

type PartitionStatus = 'loading' | 'active';

/** Log append errors as the transaction APIs report them (Kafka's mapping). */
function appendErrorToClient(code: number): number {
  switch (code) {
    case ErrorCode.NONE:
      return ErrorCode.NONE;
    case ErrorCode.UNKNOWN_TOPIC_OR_PARTITION:
    case ErrorCode.NOT_ENOUGH_REPLICAS:
    case ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND:
    case ErrorCode.REQUEST_TIMED_OUT:
      return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    case ErrorCode.NOT_LEADER_OR_FOLLOWER:
    case ErrorCode.KAFKA_STORAGE_ERROR:
      return ErrorCode.NOT_COORDINATOR;
    default:
      return ErrorCode.UNKNOWN_SERVER_ERROR;
  }
}

function toEntry(m: TxnMetadata, over: Partial<TxnLogEntry> = {}): TxnLogEntry {
  const partitions = new Map<string, number[]>();
  for (const [t, ps] of m.partitions) partitions.set(t, [...ps].sort((a, b) => a - b));
  return {
    producerId: m.producerId,
    producerEpoch: m.producerEpoch,
    timeoutMs: m.timeoutMs,
    state: m.state,
    partitions,
    lastUpdateMs: m.lastUpdateMs,
    startMs: m.startMs,
    ...over,
  };
}

export class TransactionCoordinator {
  private readonly txns = new Map<string, TxnMetadata>();
  private readonly partitions = new Map<number, { status: PartitionStatus; coordinatorEpoch: number }>();
  private lastTimeoutCheckMs = -Infinity;
  private lastExpiryCheckMs = -Infinity;

  constructor(
    private readonly clock: Clock,
    private readonly io: CoordinatorIo,
    readonly config: TransactionCoordinatorConfig = defaultTransactionCoordinatorConfig,
  ) {}

  partitionFor(transactionalId: string): number {
    return (javaStringHashCode(transactionalId) & 0x7fffffff) % this.config.logPartitions;
  }

  // ─── loading ─────────────────────────────────────────────────────────────

  beginLoad(partition: number, coordinatorEpoch: number): void {
    this.unload(partition);
    this.partitions.set(partition, { status: 'loading', coordinatorEpoch });
  }

  /** Applies one record read back from `partition` (last one for an id wins; null is a tombstone). */
  replay(partition: number, key: Buffer, value: Buffer | null): void {
    const id = decodeTxnLogKey(key);
    if (id === undefined || this.partitionFor(id) !== partition) return;
    if (value === null) {
      this.txns.delete(id);
      return;
    }
    const e = decodeTxnLogValue(value);
    const previous = this.txns.get(id);
    const partitions = new Map<string, Set<number>>();
    for (const [t, ps] of e.partitions) partitions.set(t, new Set(ps));
    this.txns.set(id, {
      transactionalId: id,
      producerId: e.producerId,
      lastProducerEpoch: previous !== undefined && previous.producerId === e.producerId && previous.producerEpoch !== e.producerEpoch ? previous.producerEpoch : (previous?.lastProducerEpoch ?? -1),
      producerEpoch: e.producerEpoch,
      timeoutMs: e.timeoutMs,
      state: e.state,
      partitions,
      startMs: e.startMs,
      lastUpdateMs: e.lastUpdateMs,
      pending: false,
      completing: false,
    });
  }

  /** Finishes loading; transactions caught in Prepare* get their markers (again). */
  completeLoad(partition: number): void {
    const p = this.partitions.get(partition);
    if (p === undefined || p.status !== 'loading') return;
    p.status = 'active';
    for (const m of this.txns.values()) {
      if (this.partitionFor(m.transactionalId) !== partition) continue;
      if (m.state === TxnState.PrepareCommit || m.state === TxnState.PrepareAbort) void this.complete(m);
    }
  }

  unload(partition: number): void {
    this.partitions.delete(partition);
    for (const [id, m] of this.txns) if (this.partitionFor(m.transactionalId) === partition) this.txns.delete(id);
  }

  isActive(partition: number): boolean {
    return this.partitions.get(partition)?.status === 'active';
  }

  /** NONE when this coordinator serves `transactionalId` now, else the error to answer. */
  private ownership(transactionalId: string): number {
    const p = this.partitions.get(this.partitionFor(transactionalId));
    if (p === undefined) return ErrorCode.NOT_COORDINATOR;
    if (p.status === 'loading') return ErrorCode.COORDINATOR_LOAD_IN_PROGRESS;
    return ErrorCode.NONE;
  }

  private coordinatorEpochOf(transactionalId: string): number {
    return this.partitions.get(this.partitionFor(transactionalId))?.coordinatorEpoch ?? -1;
  }

  transaction(transactionalId: string): Readonly<TxnMetadata> | undefined {
    return this.txns.get(transactionalId);
  }

  // ─── writing states ──────────────────────────────────────────────────────

  /** Writes the id's next state; on success `apply` runs, and the result is the client-facing error code. */
  private async transit(m: TxnMetadata, entry: TxnLogEntry, apply: () => void): Promise<number> {
    m.pending = true;
    let code: number;
    try {
      code = await this.io.appendTxnLog(this.partitionFor(m.transactionalId), [
        { key: encodeTxnLogKey(m.transactionalId), value: encodeTxnLogValue(entry) },
      ]);
    } catch {
      code = ErrorCode.UNKNOWN_SERVER_ERROR;
    } finally {
      m.pending = false;
    }
    if (this.txns.get(m.transactionalId) !== m) return ErrorCode.NOT_COORDINATOR;
    if (code === ErrorCode.NONE) apply();
    return appendErrorToClient(code);
  }

  // ─── InitProducerId ──────────────────────────────────────────────────────

  async initProducerId(
    transactionalId: string | null,
    timeoutMs: number,
    expected: { producerId: bigint; producerEpoch: number } = { producerId: -1n, producerEpoch: -1 },
  ): Promise<InitProducerIdResult> {
    const fail = (errorCode: number): InitProducerIdResult => ({ errorCode, producerId: -1n, producerEpoch: -1 });
    if (transactionalId === null || transactionalId === '') {
      // Idempotent producer: a fresh id each time (Kafka does the same).
      if (transactionalId === '') return fail(ErrorCode.INVALID_REQUEST);
      try {
        return { errorCode: ErrorCode.NONE, producerId: await this.io.allocateProducerId(), producerEpoch: 0 };
      } catch {
        return fail(ErrorCode.COORDINATOR_NOT_AVAILABLE);
      }
    }
    const owned = this.ownership(transactionalId);
    if (owned !== ErrorCode.NONE) return fail(owned);
    if (timeoutMs <= 0 || timeoutMs > this.config.maxTimeoutMs) return fail(ErrorCode.INVALID_TRANSACTION_TIMEOUT);
    const now = this.clock.nowMs();
    let m = this.txns.get(transactionalId);
    if (m === undefined || m.state === TxnState.Dead) {
      let producerId: bigint;
      try {
        producerId = await this.io.allocateProducerId();
      } catch {
        return fail(ErrorCode.COORDINATOR_NOT_AVAILABLE);
      }
      // Someone else may have created it while we waited for the id.
      m = this.txns.get(transactionalId);
      if (m === undefined || m.state === TxnState.Dead) {
        m = {
          transactionalId,
          producerId,
          lastProducerEpoch: -1,
          producerEpoch: -1,
          timeoutMs,
          state: TxnState.Empty,
          partitions: new Map(),
          startMs: -1,
          lastUpdateMs: now,
          pending: false,
          completing: false,
        };
        this.txns.set(transactionalId, m);
      }
    }
    if (m.pending || m.completing) return fail(ErrorCode.CONCURRENT_TRANSACTIONS);

    if (expected.producerId !== -1n && m.producerEpoch !== -1) {
      // KIP-360: the producer says which id and epoch it had. Like Kafka, an id
      // never initialised (epoch -1) accepts any: @platformatic/kafka sends 0/0.
      if (expected.producerId !== m.producerId) return fail(ErrorCode.PRODUCER_FENCED);
      if (expected.producerEpoch !== m.producerEpoch && expected.producerEpoch !== m.lastProducerEpoch) return fail(ErrorCode.PRODUCER_FENCED);
      const settled = m.state === TxnState.Empty || m.state === TxnState.CompleteAbort || m.state === TxnState.CompleteCommit;
      if (expected.producerEpoch === m.lastProducerEpoch && m.lastProducerEpoch !== -1 && settled) {
        // A retry of an InitProducerId that already bumped the epoch.
        return { errorCode: ErrorCode.NONE, producerId: m.producerId, producerEpoch: m.producerEpoch };
      }
    }

    switch (m.state) {
      case TxnState.PrepareCommit:
      case TxnState.PrepareAbort:
      case TxnState.PrepareEpochFence:
        return fail(ErrorCode.CONCURRENT_TRANSACTIONS);
      case TxnState.Ongoing: {
        // Fence the old producer (epoch + 1) and abort what it left open; the new one retries.
        const code = await this.abortWithBump(m);
        return fail(code === ErrorCode.NONE ? ErrorCode.CONCURRENT_TRANSACTIONS : code);
      }
      default: {
        let producerId = m.producerId;
        let epoch = m.producerEpoch + 1;
        if (m.producerEpoch >= EPOCH_EXHAUSTED) {
          try {
            producerId = await this.io.allocateProducerId();
          } catch {
            return fail(ErrorCode.COORDINATOR_NOT_AVAILABLE);
          }
          epoch = 0;
        }
        const target = m;
        const code = await this.transit(
          m,
          toEntry(m, { producerId, producerEpoch: epoch, timeoutMs, state: TxnState.Empty, partitions: new Map(), startMs: -1, lastUpdateMs: now }),
          () => {
            target.lastProducerEpoch = producerId === target.producerId ? target.producerEpoch : -1;
            target.producerId = producerId;
            target.producerEpoch = epoch;
            target.timeoutMs = timeoutMs;
            target.state = TxnState.Empty;
            target.partitions = new Map();
            target.startMs = -1;
            target.lastUpdateMs = now;
          },
        );
        if (code !== ErrorCode.NONE) return fail(code);
        return { errorCode: ErrorCode.NONE, producerId, producerEpoch: epoch };
      }
    }
  }

  // ─── requests of an ongoing transaction ──────────────────────────────────

  /** The checks every request of a transaction starts with. */
  private check(transactionalId: string, producerId: bigint, producerEpoch: number): { m?: TxnMetadata; errorCode: number } {
    const owned = this.ownership(transactionalId);
    if (owned !== ErrorCode.NONE) return { errorCode: owned };
    const m = this.txns.get(transactionalId);
    if (m === undefined || m.state === TxnState.Dead || m.producerId !== producerId) return { errorCode: ErrorCode.INVALID_PRODUCER_ID_MAPPING };
    if (m.producerEpoch !== producerEpoch) return { errorCode: ErrorCode.PRODUCER_FENCED };
    if (m.pending || m.completing || m.state === TxnState.PrepareCommit || m.state === TxnState.PrepareAbort || m.state === TxnState.PrepareEpochFence) {
      return { m, errorCode: ErrorCode.CONCURRENT_TRANSACTIONS };
    }
    return { m, errorCode: ErrorCode.NONE };
  }

  /**
   * AddPartitionsToTxn / AddOffsetsToTxn: every partition gets the same code,
   * except unknown ones (UNKNOWN_TOPIC_OR_PARTITION, the rest then
   * OPERATION_NOT_ATTEMPTED). With `verifyOnly` nothing is added (KIP-890).
   */
  async addPartitions(
    transactionalId: string,
    producerId: bigint,
    producerEpoch: number,
    partitions: readonly TopicPartitionRef[],
    verifyOnly = false,
  ): Promise<Map<string, Map<number, number>>> {
    const result = new Map<string, Map<number, number>>();
    const set = (tp: TopicPartitionRef, code: number): void => {
      let byTopic = result.get(tp.topic);
      if (byTopic === undefined) result.set(tp.topic, (byTopic = new Map()));
      byTopic.set(tp.partition, code);
    };
    const all = (code: number): Map<string, Map<number, number>> => {
      for (const tp of partitions) set(tp, code);
      return result;
    };
    const unknown = partitions.filter((tp) => !this.io.partitionExists(tp.topic, tp.partition));
    if (unknown.length > 0) {
      all(ErrorCode.OPERATION_NOT_ATTEMPTED);
      for (const tp of unknown) set(tp, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
      return result;
    }
    const { m, errorCode } = this.check(transactionalId, producerId, producerEpoch);
    if (m === undefined || errorCode !== ErrorCode.NONE) return all(errorCode);
    const missing = partitions.filter((tp) => m.partitions.get(tp.topic)?.has(tp.partition) !== true);
    if (verifyOnly) {
      all(ErrorCode.NONE);
      for (const tp of missing) set(tp, ErrorCode.INVALID_TXN_STATE);
      return result;
    }
    if (missing.length === 0 && m.state === TxnState.Ongoing) return all(ErrorCode.NONE);
    const now = this.clock.nowMs();
    const next = new Map<string, Set<number>>();
    if (m.state === TxnState.Ongoing) for (const [t, ps] of m.partitions) next.set(t, new Set(ps));
    for (const tp of partitions) {
      let ps = next.get(tp.topic);
      if (ps === undefined) next.set(tp.topic, (ps = new Set()));
      ps.add(tp.partition);
    }
    const startMs = m.state === TxnState.Ongoing ? m.startMs : now;
    const scratch: TxnMetadata = { ...m, partitions: next };
    const code = await this.transit(m, toEntry(scratch, { state: TxnState.Ongoing, startMs, lastUpdateMs: now }), () => {
      m.partitions = next;
      m.state = TxnState.Ongoing;
      m.startMs = startMs;
      m.lastUpdateMs = now;
    });
    return all(code);
  }

  /** EndTxn: answered once Prepare* is durable; markers and Complete* follow. */
  async endTxn(transactionalId: string, producerId: bigint, producerEpoch: number, commit: boolean): Promise<number> {
    const owned = this.ownership(transactionalId);
    if (owned !== ErrorCode.NONE) return owned;
    const m = this.txns.get(transactionalId);
    if (m === undefined || m.state === TxnState.Dead || m.producerId !== producerId) return ErrorCode.INVALID_PRODUCER_ID_MAPPING;
    if (m.producerEpoch !== producerEpoch) return ErrorCode.PRODUCER_FENCED;
    if (m.pending) return ErrorCode.CONCURRENT_TRANSACTIONS;
    switch (m.state) {
      case TxnState.Ongoing:
        return this.prepareEnd(m, commit, m.producerEpoch);
      case TxnState.CompleteCommit:
        return commit ? ErrorCode.NONE : ErrorCode.INVALID_TXN_STATE;
      case TxnState.CompleteAbort:
        return commit ? ErrorCode.INVALID_TXN_STATE : ErrorCode.NONE;
      case TxnState.PrepareCommit:
        return commit ? ErrorCode.CONCURRENT_TRANSACTIONS : ErrorCode.INVALID_TXN_STATE;
      case TxnState.PrepareAbort:
        return commit ? ErrorCode.INVALID_TXN_STATE : ErrorCode.CONCURRENT_TRANSACTIONS;
      default:
        // Empty: EndTxn without AddPartitions; PrepareEpochFence: the producer is being fenced.
        return ErrorCode.INVALID_TXN_STATE;
    }
  }

  private async prepareEnd(m: TxnMetadata, commit: boolean, epoch: number): Promise<number> {
    const now = this.clock.nowMs();
    const state = commit ? TxnState.PrepareCommit : TxnState.PrepareAbort;
    const previousEpoch = m.producerEpoch;
    const code = await this.transit(m, toEntry(m, { state, producerEpoch: epoch, lastUpdateMs: now }), () => {
      if (epoch !== previousEpoch) m.lastProducerEpoch = previousEpoch;
      m.producerEpoch = epoch;
      m.state = state;
      m.lastUpdateMs = now;
    });
    if (code === ErrorCode.NONE) void this.complete(m);
    return code;
  }

  /** Fences the current producer (epoch + 1) and aborts its transaction (timeouts, InitProducerId during Ongoing). */
  private abortWithBump(m: TxnMetadata): Promise<number> {
    const bumped = m.producerEpoch + 1;
    return this.prepareEnd(m, false, bumped);
  }

  /** Markers to every partition, then Complete*. Retried from poll() until done. */
  private async complete(m: TxnMetadata): Promise<void> {
    if (m.completing) return;
    m.completing = true;
    try {
      const commit = m.state === TxnState.PrepareCommit;
      if (!commit && m.state !== TxnState.PrepareAbort) return;
      const partitions: TopicPartitionRef[] = [];
      for (const [topic, ps] of m.partitions) for (const partition of ps) partitions.push({ topic, partition });
      const marker: TxnMarker = { producerId: m.producerId, producerEpoch: m.producerEpoch, commit, coordinatorEpoch: this.coordinatorEpochOf(m.transactionalId) };
      let left: TopicPartitionRef[];
      try {
        left = await this.io.writeMarkers(marker, partitions);
      } catch {
        left = partitions;
      }
      if (this.txns.get(m.transactionalId) !== m) return;
      if (left.length > 0) {
        // Only the ones still missing are retried (from poll()).
        const remaining = new Map<string, Set<number>>();
        for (const tp of left) {
          let ps = remaining.get(tp.topic);
          if (ps === undefined) remaining.set(tp.topic, (ps = new Set()));
          ps.add(tp.partition);
        }
        m.partitions = remaining;
        return;
      }
      const now = this.clock.nowMs();
      const state = commit ? TxnState.CompleteCommit : TxnState.CompleteAbort;
      await this.transit(m, toEntry(m, { state, partitions: new Map(), lastUpdateMs: now }), () => {
        m.state = state;
        m.partitions = new Map();
        m.lastUpdateMs = now;
      });
    } finally {
      m.completing = false;
    }
  }

  // ─── time ────────────────────────────────────────────────────────────────

  /**
   * Aborts transactions past their timeout, retries unfinished completions,
   * expires idle transactional ids. Returns the number of actions started.
   */
  poll(): number {
    const now = this.clock.nowMs();
    let started = 0;
    for (const m of this.txns.values()) {
      if (!this.isActive(this.partitionFor(m.transactionalId)) || m.pending || m.completing) continue;
      if (m.state === TxnState.PrepareCommit || m.state === TxnState.PrepareAbort) {
        void this.complete(m);
        started++;
      }
    }
    if (now - this.lastTimeoutCheckMs >= this.config.abortTimedOutIntervalMs) {
      this.lastTimeoutCheckMs = now;
      for (const m of this.txns.values()) {
        if (!this.isActive(this.partitionFor(m.transactionalId)) || m.pending || m.completing) continue;
        if (m.state === TxnState.Ongoing && m.startMs + m.timeoutMs < now) {
          void this.abortWithBump(m);
          started++;
        }
      }
    }
    if (now - this.lastExpiryCheckMs >= this.config.removeExpiredIntervalMs) {
      this.lastExpiryCheckMs = now;
      for (const m of [...this.txns.values()]) {
        if (!this.isActive(this.partitionFor(m.transactionalId)) || m.pending || m.completing) continue;
        const settled = m.state === TxnState.Empty || m.state === TxnState.CompleteCommit || m.state === TxnState.CompleteAbort;
        if (settled && now - m.lastUpdateMs >= this.config.transactionalIdExpirationMs) {
          void this.expire(m);
          started++;
        }
      }
    }
    return started;
  }

  /** When poll() next has something to do, for the service's timer. */
  nextDeadlineMs(): number {
    let next = Math.min(this.lastTimeoutCheckMs + this.config.abortTimedOutIntervalMs, this.lastExpiryCheckMs + this.config.removeExpiredIntervalMs);
    for (const m of this.txns.values()) {
      if (m.state === TxnState.PrepareCommit || m.state === TxnState.PrepareAbort) return this.clock.nowMs();
      if (m.state === TxnState.Ongoing) next = Math.min(next, Math.max(m.startMs + m.timeoutMs + 1, this.lastTimeoutCheckMs + this.config.abortTimedOutIntervalMs));
    }
    return next;
  }

  private async expire(m: TxnMetadata): Promise<void> {
    m.pending = true;
    let code: number;
    try {
      code = await this.io.appendTxnLog(this.partitionFor(m.transactionalId), [{ key: encodeTxnLogKey(m.transactionalId), value: null }]);
    } catch {
      code = ErrorCode.UNKNOWN_SERVER_ERROR;
    } finally {
      m.pending = false;
    }
    if (code === ErrorCode.NONE && this.txns.get(m.transactionalId) === m) this.txns.delete(m.transactionalId);
  }

  // ─── admin ───────────────────────────────────────────────────────────────

  describe(transactionalId: string): { errorCode: number; txn?: TxnDescription } {
    const owned = this.ownership(transactionalId);
    if (owned !== ErrorCode.NONE) return { errorCode: owned };
    const m = this.txns.get(transactionalId);
    if (m === undefined) return { errorCode: ErrorCode.TRANSACTIONAL_ID_NOT_FOUND };
    const partitions = new Map<string, number[]>();
    for (const [t, ps] of m.partitions) partitions.set(t, [...ps].sort((a, b) => a - b));
    return {
      errorCode: ErrorCode.NONE,
      txn: {
        transactionalId,
        state: txnStateNames[m.state],
        timeoutMs: m.timeoutMs,
        startMs: m.startMs,
        producerId: m.producerId,
        producerEpoch: m.producerEpoch,
        partitions,
      },
    };
  }

  /** ListTransactions: every loaded id matching the filters (empty filter = all). */
  list(states: ReadonlySet<TxnState>, producerIds: ReadonlySet<bigint>, minDurationMs: number): Array<{ transactionalId: string; producerId: bigint; state: string }> {
    const now = this.clock.nowMs();
    const out: Array<{ transactionalId: string; producerId: bigint; state: string }> = [];
    for (const m of this.txns.values()) {
      if (!this.isActive(this.partitionFor(m.transactionalId))) continue;
      if (states.size > 0 && !states.has(m.state)) continue;
      if (producerIds.size > 0 && !producerIds.has(m.producerId)) continue;
      if (minDurationMs >= 0 && (m.state !== TxnState.Ongoing || now - m.startMs < minDurationMs)) continue;
      out.push({ transactionalId: m.transactionalId, producerId: m.producerId, state: txnStateNames[m.state] });
    }
    return out.sort((a, b) => (a.transactionalId < b.transactionalId ? -1 : a.transactionalId > b.transactionalId ? 1 : 0));
  }

  /**
   * For TxnOffsetCommit: NONE when the producer's transaction is ongoing and
   * includes `partition` of `__consumer_offsets` (AddOffsetsToTxn came first).
   */
  checkOffsetCommit(transactionalId: string, producerId: bigint, producerEpoch: number, offsetsTopic: string, partition: number): number {
    const { m, errorCode } = this.check(transactionalId, producerId, producerEpoch);
    if (m === undefined) return errorCode;
    if (errorCode !== ErrorCode.NONE && errorCode !== ErrorCode.CONCURRENT_TRANSACTIONS) return errorCode;
    if (m.state !== TxnState.Ongoing || m.partitions.get(offsetsTopic)?.has(partition) !== true) return ErrorCode.INVALID_TXN_STATE;
    return m.pending ? ErrorCode.CONCURRENT_TRANSACTIONS : ErrorCode.NONE;
  }

  /** Every transactional id this coordinator holds (tests, the simulator). */
  allTransactions(): IterableIterator<Readonly<TxnMetadata>> {
    return this.txns.values();
  }
}
