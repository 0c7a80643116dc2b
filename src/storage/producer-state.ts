/**
 * Per-partition producer state (KIP-98): for every producer id that wrote to
 * this partition, its epoch, the metadata of its last few batches, the
 * coordinator epoch of its last transaction marker and the first offset of
 * its open transaction, if any.
 *
 * What it decides, before anything is written:
 *   - a retried batch (same epoch, same first and last sequence as one of
 *     the last PRODUCER_BATCHES_MAX) is a duplicate: the log answers with the
 *     offsets it got the first time and writes nothing;
 *   - an epoch older than the producer's is INVALID_PRODUCER_EPOCH (fenced);
 *   - a sequence that does not follow the last one is
 *     OUT_OF_ORDER_SEQUENCE_NUMBER; a new epoch must start at sequence 0;
 *     a producer we know nothing about (expired, or its data deleted) may
 *     start anywhere, which is how Kafka answers since KIP-360 instead of
 *     UNKNOWN_PRODUCER_ID;
 *   - a plain batch in the middle of the producer's transaction is
 *     INVALID_TXN_STATE; a transaction marker from an older coordinator epoch
 *     is TRANSACTION_COORDINATOR_FENCED.
 *
 * Batches written by a coordinator carry no sequence (transaction markers,
 * transactional offset commits): only their epoch is checked. Batches a
 * follower or recovery replays are taken as they are.
 *
 * The state is rebuilt on open from the newest `<offset>.snapshot` at or
 * below the log end plus a replay of the batches after it. The snapshot
 * format is Kafka's (version 1): int16 version, uint32 CRC32C of the rest,
 * int32 count, then per producer id, epoch, last sequence, last offset,
 * offset delta, timestamp, coordinator epoch and open transaction's first
 * offset. Like Kafka's, it keeps only the last batch of each producer.
 */
import { crc32c } from '@node-rs/crc32';
import { StorageError } from './errors.js';

/** Kafka keeps the last five batches per producer: the most a client may have in flight. */
export const PRODUCER_BATCHES_MAX = 5;
export const NO_OFFSET = -1;
const SNAPSHOT_VERSION = 1;
const SNAPSHOT_HEADER_BYTES = 2 + 4 + 4;
const SNAPSHOT_ENTRY_BYTES = 8 + 2 + 4 + 8 + 4 + 8 + 4 + 8;
const INT32_MAX = 0x7fffffff;

export interface ProducerBatchMetadata {
  firstSeq: number;
  lastSeq: number;
  firstOffset: number;
  lastOffset: number;
  timestamp: number;
}

export interface ProducerEntry {
  readonly producerId: bigint;
  epoch: number;
  /** Oldest first, at most PRODUCER_BATCHES_MAX. */
  batches: ProducerBatchMetadata[];
  coordinatorEpoch: number;
  /** First offset of the open transaction, NO_OFFSET when none. */
  currentTxnFirstOffset: number;
  /** Max timestamp of the last batch; what producer.id.expiration.ms counts from. */
  lastTimestamp: number;
}

/** A transaction that ended in this partition with an abort marker at `lastOffset`. */
export interface AbortedTxn {
  producerId: bigint;
  firstOffset: number;
  lastOffset: number;
  /** The last stable offset right after the marker: a reader past it needs no earlier entry. */
  lastStableOffset: number;
}

export interface CompletedTxn {
  producerId: bigint;
  firstOffset: number;
  lastOffset: number;
  aborted: boolean;
}

/** Where a batch comes from decides how much is checked (Kafka's AppendOrigin). */
export type AppendOrigin = 'client' | 'coordinator' | 'replication';

/** What the state needs of one batch: its header fields and, for a marker, the marker. */
export interface BatchProducerInfo {
  producerId: bigint;
  epoch: number;
  baseSequence: number;
  firstOffset: number;
  lastOffset: number;
  maxTimestamp: number;
  isTransactional: boolean;
  isControl: boolean;
  /** For a transaction marker (control batch of a transactional producer). */
  marker?: { commit: boolean; coordinatorEpoch: number };
}

export type ProducerErrorName =
  | 'OUT_OF_ORDER_SEQUENCE_NUMBER'
  | 'INVALID_PRODUCER_EPOCH'
  | 'INVALID_TXN_STATE'
  | 'TRANSACTION_COORDINATOR_FENCED'
  | 'UNKNOWN_PRODUCER_ID';

export class ProducerStateError extends StorageError {
  override readonly name = 'ProducerStateError';
  constructor(
    readonly producerError: ProducerErrorName,
    message: string,
  ) {
    super(producerError, message);
  }
}

/** The validated effect of one append, applied once the bytes are written. */
export interface ProducerAppendPlan {
  readonly entries: Map<bigint, ProducerEntry>;
  readonly completed: CompletedTxn[];
}

/** The sequence after `seq`, wrapping at Int32 max as Kafka does. */
function nextSeq(seq: number): number {
  return seq === INT32_MAX ? 0 : seq + 1;
}

/** The last sequence of a batch of `count` records starting at `base`. */
export function lastSequenceOf(base: number, lastOffsetDelta: number): number {
  const last = base + lastOffsetDelta;
  return last > INT32_MAX ? last - INT32_MAX - 1 : last;
}

function cloneEntry(e: ProducerEntry): ProducerEntry {
  return { ...e, batches: e.batches.slice() };
}

function emptyEntry(producerId: bigint): ProducerEntry {
  return { producerId, epoch: -1, batches: [], coordinatorEpoch: -1, currentTxnFirstOffset: NO_OFFSET, lastTimestamp: -1 };
}

export class ProducerStateManager {
  private producers = new Map<bigint, ProducerEntry>();

  get producerCount(): number {
    return this.producers.size;
  }

  entry(producerId: bigint): ProducerEntry | undefined {
    return this.producers.get(producerId);
  }

  /** Every producer, for DescribeProducers. */
  allEntries(): IterableIterator<ProducerEntry> {
    return this.producers.values();
  }

  /** The lowest first offset of an open transaction, or undefined when none is open. */
  firstUnstableOffset(): number | undefined {
    let min: number | undefined;
    for (const e of this.producers.values()) {
      if (e.currentTxnFirstOffset !== NO_OFFSET && (min === undefined || e.currentTxnFirstOffset < min)) min = e.currentTxnFirstOffset;
    }
    return min;
  }

  /**
   * When a client batch repeats one of the producer's last batches, that
   * batch's metadata (the caller answers with its offsets).
   */
  findDuplicate(info: BatchProducerInfo): ProducerBatchMetadata | undefined {
    if (info.producerId < 0n || info.baseSequence < 0 || info.isControl) return undefined;
    const e = this.producers.get(info.producerId);
    if (e === undefined || e.epoch !== info.epoch) return undefined;
    const lastSeq = lastSequenceOf(info.baseSequence, info.lastOffset - info.firstOffset);
    return e.batches.find((b) => b.firstSeq === info.baseSequence && b.lastSeq === lastSeq);
  }

  /**
   * Validates batches (in log order) and returns what they change, without
   * changing anything. Throws ProducerStateError for a batch that must not
   * be written.
   */
  plan(batches: readonly BatchProducerInfo[], origin: AppendOrigin): ProducerAppendPlan {
    const entries = new Map<bigint, ProducerEntry>();
    const completed: CompletedTxn[] = [];
    for (const b of batches) {
      if (b.producerId < 0n) continue;
      let updated = entries.get(b.producerId);
      const current = this.producers.get(b.producerId);
      if (updated === undefined) {
        updated = current === undefined ? emptyEntry(b.producerId) : cloneEntry(current);
        entries.set(b.producerId, updated);
      }
      if (b.isControl) {
        if (b.marker === undefined) continue;
        this.checkEpoch(updated, b.epoch, b.firstOffset, origin);
        if (updated.coordinatorEpoch > b.marker.coordinatorEpoch && origin !== 'replication') {
          throw new ProducerStateError(
            'TRANSACTION_COORDINATOR_FENCED',
            `marker of producer ${b.producerId} at ${b.firstOffset} has coordinator epoch ${b.marker.coordinatorEpoch}, older than ${updated.coordinatorEpoch}`,
          );
        }
        const firstOffset = updated.currentTxnFirstOffset === NO_OFFSET ? b.firstOffset : updated.currentTxnFirstOffset;
        completed.push({ producerId: b.producerId, firstOffset, lastOffset: b.firstOffset, aborted: !b.marker.commit });
        if (updated.epoch !== b.epoch) updated.batches = [];
        updated.epoch = b.epoch;
        updated.coordinatorEpoch = b.marker.coordinatorEpoch;
        updated.currentTxnFirstOffset = NO_OFFSET;
        updated.lastTimestamp = b.maxTimestamp;
        continue;
      }
      this.checkEpoch(updated, b.epoch, b.firstOffset, origin);
      const hasSequence = b.baseSequence >= 0;
      if (origin === 'client' && hasSequence) this.checkSequence(current, updated, b);
      if (hasSequence) {
        if (updated.epoch !== b.epoch) updated.batches = [];
        updated.batches.push({
          firstSeq: b.baseSequence,
          lastSeq: lastSequenceOf(b.baseSequence, b.lastOffset - b.firstOffset),
          firstOffset: b.firstOffset,
          lastOffset: b.lastOffset,
          timestamp: b.maxTimestamp,
        });
        if (updated.batches.length > PRODUCER_BATCHES_MAX) updated.batches.shift();
      } else if (updated.epoch !== b.epoch) {
        updated.batches = [];
      }
      updated.epoch = b.epoch;
      updated.lastTimestamp = b.maxTimestamp;
      if (updated.currentTxnFirstOffset !== NO_OFFSET && !b.isTransactional) {
        if (origin !== 'replication') {
          throw new ProducerStateError('INVALID_TXN_STATE', `producer ${b.producerId} wrote a non-transactional batch at ${b.firstOffset} inside its transaction`);
        }
      } else if (updated.currentTxnFirstOffset === NO_OFFSET && b.isTransactional) {
        updated.currentTxnFirstOffset = b.firstOffset;
      }
    }
    return { entries, completed };
  }

  private checkEpoch(updated: ProducerEntry, epoch: number, offset: number, origin: AppendOrigin): void {
    if (epoch < updated.epoch && origin !== 'replication') {
      throw new ProducerStateError(
        'INVALID_PRODUCER_EPOCH',
        `producer ${updated.producerId} at ${offset}: epoch ${epoch} is older than the current ${updated.epoch}`,
      );
    }
  }

  private checkSequence(current: ProducerEntry | undefined, updated: ProducerEntry, b: BatchProducerInfo): void {
    if (b.epoch !== updated.epoch) {
      // A new (bumped) epoch restarts the sequence at 0; an unknown producer may start anywhere.
      if (b.baseSequence !== 0 && updated.epoch !== -1) {
        throw new ProducerStateError(
          'OUT_OF_ORDER_SEQUENCE_NUMBER',
          `producer ${b.producerId}: new epoch ${b.epoch} must start at sequence 0, not ${b.baseSequence} (current epoch ${updated.epoch})`,
        );
      }
      return;
    }
    if (current === undefined || current.epoch === -1) return;
    const last = updated.batches[updated.batches.length - 1];
    const expected = last === undefined ? 0 : nextSeq(last.lastSeq);
    if (b.baseSequence !== expected) {
      throw new ProducerStateError(
        'OUT_OF_ORDER_SEQUENCE_NUMBER',
        `producer ${b.producerId} epoch ${b.epoch}: sequence ${b.baseSequence} where ${expected} was expected`,
      );
    }
  }

  /** Makes a plan's changes current (after the bytes were written). */
  apply(plan: ProducerAppendPlan): void {
    for (const [id, e] of plan.entries) this.producers.set(id, e);
  }

  /** Plans and applies in one step, without checks: recovery and followers. */
  replay(batches: readonly BatchProducerInfo[]): CompletedTxn[] {
    const plan = this.plan(batches, 'replication');
    this.apply(plan);
    return plan.completed;
  }

  /**
   * Forgets producers idle for `expirationMs` (producer.id.expiration.ms)
   * that have no open transaction. Returns how many went.
   */
  removeExpired(nowMs: number, expirationMs: number): number {
    let removed = 0;
    for (const [id, e] of this.producers) {
      if (e.currentTxnFirstOffset === NO_OFFSET && nowMs - e.lastTimestamp >= expirationMs) {
        this.producers.delete(id);
        removed++;
      }
    }
    return removed;
  }

  clear(): void {
    this.producers.clear();
  }

  // -- snapshots ---------------------------------------------------------------

  /** Kafka's snapshot layout (version 1); only each producer's last batch is kept. */
  encodeSnapshot(): Buffer {
    const list = [...this.producers.values()];
    const buf = Buffer.alloc(SNAPSHOT_HEADER_BYTES + list.length * SNAPSHOT_ENTRY_BYTES);
    buf.writeInt16BE(SNAPSHOT_VERSION, 0);
    buf.writeInt32BE(list.length, 6);
    let at = SNAPSHOT_HEADER_BYTES;
    for (const e of list) {
      const last = e.batches[e.batches.length - 1];
      buf.writeBigInt64BE(e.producerId, at);
      buf.writeInt16BE(e.epoch, at + 8);
      buf.writeInt32BE(last?.lastSeq ?? -1, at + 10);
      buf.writeBigInt64BE(BigInt(last?.lastOffset ?? -1), at + 14);
      buf.writeInt32BE(last === undefined ? 0 : last.lastOffset - last.firstOffset, at + 22);
      buf.writeBigInt64BE(BigInt(e.lastTimestamp), at + 26);
      buf.writeInt32BE(e.coordinatorEpoch, at + 34);
      buf.writeBigInt64BE(BigInt(e.currentTxnFirstOffset), at + 38);
      at += SNAPSHOT_ENTRY_BYTES;
    }
    buf.writeUInt32BE(crc32c(buf.subarray(6)) >>> 0, 2);
    return buf;
  }

  /** Replaces the state with a snapshot's; throws on a damaged or foreign file. */
  loadSnapshot(buf: Buffer): void {
    if (buf.length < SNAPSHOT_HEADER_BYTES) throw new Error(`producer snapshot of ${buf.length} bytes`);
    const version = buf.readInt16BE(0);
    if (version !== SNAPSHOT_VERSION) throw new Error(`producer snapshot version ${version}`);
    if (buf.readUInt32BE(2) !== crc32c(buf.subarray(6)) >>> 0) throw new Error('producer snapshot CRC mismatch');
    const count = buf.readInt32BE(6);
    if (count < 0 || buf.length !== SNAPSHOT_HEADER_BYTES + count * SNAPSHOT_ENTRY_BYTES) throw new Error(`producer snapshot of ${buf.length} bytes for ${count} entries`);
    const producers = new Map<bigint, ProducerEntry>();
    let at = SNAPSHOT_HEADER_BYTES;
    for (let i = 0; i < count; i++) {
      const producerId = buf.readBigInt64BE(at);
      const lastSeq = buf.readInt32BE(at + 10);
      const lastOffset = Number(buf.readBigInt64BE(at + 14));
      const delta = buf.readInt32BE(at + 22);
      const timestamp = Number(buf.readBigInt64BE(at + 26));
      const batches: ProducerBatchMetadata[] =
        lastOffset >= 0 && lastSeq >= 0
          ? [{ firstSeq: lastSeq - delta < 0 ? lastSeq - delta + INT32_MAX + 1 : lastSeq - delta, lastSeq, firstOffset: lastOffset - delta, lastOffset, timestamp }]
          : [];
      producers.set(producerId, {
        producerId,
        epoch: buf.readInt16BE(at + 8),
        batches,
        coordinatorEpoch: buf.readInt32BE(at + 34),
        currentTxnFirstOffset: Number(buf.readBigInt64BE(at + 38)),
        lastTimestamp: timestamp,
      });
      at += SNAPSHOT_ENTRY_BYTES;
    }
    this.producers = producers;
  }
}

// -- the transaction index (.txnindex) -----------------------------------------

const TXN_INDEX_VERSION = 0;
export const TXN_INDEX_ENTRY_BYTES = 2 + 8 + 8 + 8 + 8;

/** One `.txnindex` entry, Kafka's layout: version, producer id, first, last and last stable offset. */
export function encodeAbortedTxn(t: AbortedTxn): Buffer {
  const buf = Buffer.allocUnsafe(TXN_INDEX_ENTRY_BYTES);
  buf.writeInt16BE(TXN_INDEX_VERSION, 0);
  buf.writeBigInt64BE(t.producerId, 2);
  buf.writeBigInt64BE(BigInt(t.firstOffset), 10);
  buf.writeBigInt64BE(BigInt(t.lastOffset), 18);
  buf.writeBigInt64BE(BigInt(t.lastStableOffset), 26);
  return buf;
}

/** Entries of a `.txnindex` file; a torn last entry is ignored. */
export function decodeTxnIndex(buf: Buffer): AbortedTxn[] {
  const out: AbortedTxn[] = [];
  for (let at = 0; at + TXN_INDEX_ENTRY_BYTES <= buf.length; at += TXN_INDEX_ENTRY_BYTES) {
    if (buf.readInt16BE(at) !== TXN_INDEX_VERSION) break;
    out.push({
      producerId: buf.readBigInt64BE(at + 2),
      firstOffset: Number(buf.readBigInt64BE(at + 10)),
      lastOffset: Number(buf.readBigInt64BE(at + 18)),
      lastStableOffset: Number(buf.readBigInt64BE(at + 26)),
    });
  }
  return out;
}
