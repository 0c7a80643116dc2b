/**
 * The Raft log: a storage `Log` (Kafka's segment format) for one partition,
 * `__cluster_metadata-0`, opened outside the LogManager, plus a small
 * in-memory index of its batches (base, last offset, epoch, CRC). The index
 * answers the questions Raft asks on every request without touching the
 * disk: the log end and its epoch, where an epoch ends (divergence checks),
 * and which batch holds an offset. It costs a few dozen bytes per batch;
 * metadata batches are few and large, and snapshots will bound them later.
 *
 * Offsets and epochs here are Kafka's: a batch's partition leader epoch is
 * the Raft epoch of the leader that wrote it.
 */
import type { Clock } from '../platform/clock.js';
import type { FileSystem } from '../platform/file-system.js';
import {
  ATTR_CONTROL,
  ATTRIBUTES_AT,
  BATCH_HEADER_BYTES,
  CRC_AT,
  LAST_OFFSET_DELTA_AT,
  MAGIC_AT,
  MAGIC_V2,
  PARTITION_LEADER_EPOCH_AT,
  computeBatchCrc,
  iterateBatches,
  readInt64Number,
} from '../protocol/records/batch-header.js';
import { defaultLogConfig, type LogConfig } from '../storage/config.js';
import { Log } from '../storage/log.js';
import type { Scheduler } from '../storage/scheduler.js';

/** `__cluster_metadata` has this fixed topic id in Kafka (Uuid.METADATA_TOPIC_ID). */
export const METADATA_TOPIC_ID = 'AAAAAAAAAAAAAAAAAAAAAQ';
export const METADATA_TOPIC_NAME = '__cluster_metadata';
export const METADATA_PARTITION = 0;

/** Kafka's metadata log limits: 8 MiB batches, 1 GiB segments; no retention (snapshots will truncate it). */
export const metadataLogConfig: Readonly<LogConfig> = Object.freeze({
  ...defaultLogConfig,
  'max.message.bytes': 8 * 1024 * 1024,
  'retention.ms': -1,
  'retention.bytes': -1,
  'file.delete.delay.ms': 60_000,
});

export interface BatchInfo {
  readonly baseOffset: number;
  readonly lastOffset: number;
  readonly epoch: number;
  /** The batch's stored CRC32C: identical bytes from attributes on. */
  readonly crc: number;
  readonly isControl: boolean;
}

export interface OffsetAndEpoch {
  readonly offset: number;
  readonly epoch: number;
}

export class RaftLogError extends Error {
  override readonly name = 'RaftLogError';
}

/** Scans back-to-back batches into index entries; throws on anything that is not a whole, valid v2 batch. */
export function indexBatches(bytes: Buffer, verifyCrc: boolean): BatchInfo[] {
  const walk = iterateBatches(bytes);
  if (walk.tailOffset !== bytes.length) throw new RaftLogError(`records end in a partial batch at byte ${walk.tailOffset} of ${bytes.length}`);
  const out: BatchInfo[] = [];
  for (const span of walk.batches) {
    const at = span.offset;
    if (span.sizeBytes < BATCH_HEADER_BYTES || bytes.readInt8(at + MAGIC_AT) !== MAGIC_V2) throw new RaftLogError(`not a v2 batch at byte ${at}`);
    const crc = bytes.readUInt32BE(at + CRC_AT);
    if (verifyCrc && computeBatchCrc(bytes, at) !== crc) throw new RaftLogError(`CRC mismatch in the batch at byte ${at}`);
    const baseOffset = readInt64Number(bytes, at);
    out.push({
      baseOffset,
      lastOffset: baseOffset + bytes.readInt32BE(at + LAST_OFFSET_DELTA_AT),
      epoch: bytes.readInt32BE(at + PARTITION_LEADER_EPOCH_AT),
      crc,
      isControl: (bytes.readInt16BE(at + ATTRIBUTES_AT) & ATTR_CONTROL) !== 0,
    });
  }
  return out;
}

export interface RaftLogOpenOptions {
  readonly fs: FileSystem;
  readonly clock: Clock;
  /** The partition directory, `<metadata.log.dir>/__cluster_metadata-0`. */
  readonly dir: string;
  readonly scheduler: Scheduler;
  readonly config?: LogConfig;
}

const READ_CHUNK_BYTES = 1024 * 1024;

export class RaftLog {
  private constructor(
    private readonly log: Log,
    private readonly batches: BatchInfo[],
  ) {}

  /** Opens (recovering a torn tail) and indexes every batch. */
  static async open(options: RaftLogOpenOptions): Promise<RaftLog> {
    const log = await Log.open({
      fs: options.fs,
      clock: options.clock,
      dir: options.dir,
      topicPartition: { topic: METADATA_TOPIC_NAME, partition: METADATA_PARTITION },
      config: options.config ?? metadataLogConfig,
      scheduler: options.scheduler,
      topicId: METADATA_TOPIC_ID,
    });
    try {
      if (log.logStartOffset !== 0) throw new RaftLogError(`the metadata log starts at ${log.logStartOffset}; snapshots are not supported yet`);
      const batches: BatchInfo[] = [];
      let offset = 0;
      while (offset < log.logEndOffset) {
        const read = await log.read(offset, { maxBytes: READ_CHUNK_BYTES, minOneBatch: true });
        if (read.sizeBytes === 0) break;
        for (const b of indexBatches(Buffer.concat(read.chunks), false)) {
          if (b.lastOffset >= offset) batches.push(b);
        }
        offset = read.nextOffset;
      }
      const raftLog = new RaftLog(log, batches);
      raftLog.checkIndex();
      return raftLog;
    } catch (err) {
      log.closeAbruptly();
      throw err;
    }
  }

  /** Invariant: batches are contiguous from 0 to the log end with non-decreasing epochs. */
  private checkIndex(): void {
    let next = 0;
    let epoch = -1;
    for (const b of this.batches) {
      if (b.baseOffset !== next || b.lastOffset < b.baseOffset || b.epoch < epoch) {
        throw new RaftLogError(`metadata log index broken at offset ${b.baseOffset} (expected ${next}, epoch ${b.epoch} after ${epoch})`);
      }
      next = b.lastOffset + 1;
      epoch = b.epoch;
    }
    if (next !== this.log.logEndOffset) throw new RaftLogError(`metadata log ends at ${this.log.logEndOffset} but its batches end at ${next}`);
  }

  get endOffset(): number {
    return this.log.logEndOffset;
  }

  /** Everything below it survived an fdatasync. */
  get durableEndOffset(): number {
    return Math.min(this.log.durableOffset, this.log.logEndOffset);
  }

  /** Epoch of the last batch; 0 for an empty log (as Kafka's lastFetchedEpoch). */
  get lastEpoch(): number {
    return this.batches[this.batches.length - 1]?.epoch ?? 0;
  }

  get batchCount(): number {
    return this.batches.length;
  }

  /** The index, for invariant checks and tests. */
  batchInfos(): readonly BatchInfo[] {
    return this.batches;
  }

  /** Index of the batch holding `offset`, or -1. */
  private batchIndexOf(offset: number): number {
    let lo = 0;
    let hi = this.batches.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const b = this.batches[mid]!;
      if (offset < b.baseOffset) hi = mid - 1;
      else if (offset > b.lastOffset) lo = mid + 1;
      else return mid;
    }
    return -1;
  }

  batchAt(offset: number): BatchInfo | undefined {
    const i = this.batchIndexOf(offset);
    return i < 0 ? undefined : this.batches[i];
  }

  /**
   * Where `epoch` ends in this log, as Raft's divergence check asks it: the
   * largest epoch <= the requested one that the log holds, and the offset
   * just past its last batch. When the log holds no such epoch the answer
   * is epoch -1 ending at offset 0: everything diverges.
   */
  endOffsetForEpoch(epoch: number): OffsetAndEpoch {
    for (let i = this.batches.length - 1; i >= 0; i--) {
      const b = this.batches[i]!;
      if (b.epoch <= epoch) return { epoch: b.epoch, offset: b.lastOffset + 1 };
    }
    return { epoch: -1, offset: 0 };
  }

  /** The first offset written in `epoch`, or undefined when the log holds none. */
  startOffsetOfEpoch(epoch: number): number | undefined {
    for (const b of this.batches) {
      if (b.epoch === epoch) return b.baseOffset;
      if (b.epoch > epoch) return undefined;
    }
    return undefined;
  }

  /** Appends one batch built by the leader; assigns its offsets and stamps `epoch`. */
  appendAsLeader(batch: Buffer, epoch: number): BatchInfo {
    if (epoch < this.lastEpoch) throw new RaftLogError(`append in epoch ${epoch} after epoch ${this.lastEpoch}`);
    const info = this.log.appendAsLeader(batch, epoch, 'replication');
    const [indexed] = indexBatches(batch, false);
    const entry: BatchInfo = { ...indexed!, baseOffset: info.firstOffset, lastOffset: info.lastOffset, epoch };
    this.batches.push(entry);
    return entry;
  }

  /**
   * Appends batches fetched from the leader, which already carry offsets and
   * epochs. They must start exactly at the log end and be intact.
   */
  appendAsFollower(records: Buffer): readonly BatchInfo[] {
    const incoming = indexBatches(records, true);
    if (incoming.length === 0) return incoming;
    let next = this.endOffset;
    let epoch = this.lastEpoch;
    for (const b of incoming) {
      if (b.baseOffset !== next) throw new RaftLogError(`fetched batch at ${b.baseOffset}, expected ${next}`);
      if (b.epoch < epoch) throw new RaftLogError(`fetched batch at ${b.baseOffset} has epoch ${b.epoch} after ${epoch}`);
      next = b.lastOffset + 1;
      epoch = b.epoch;
    }
    this.log.appendAsFollower(records);
    this.batches.push(...incoming);
    return incoming;
  }

  /** Whole batches from the one holding `offset`, at least one, up to about `maxBytes`. */
  async read(offset: number, maxBytes: number): Promise<Buffer> {
    if (offset >= this.endOffset) return Buffer.alloc(0);
    const result = await this.log.read(offset, { maxBytes, minOneBatch: true });
    return result.chunks.length === 1 ? result.chunks[0]! : Buffer.concat(result.chunks);
  }

  /**
   * Removes everything at or after `offset`, cutting at the start of the
   * batch holding it (a batch is never split). Durable when it resolves.
   * Returns the new log end.
   */
  async truncateTo(offset: number): Promise<number> {
    if (offset >= this.endOffset) return this.endOffset;
    const i = this.batchIndexOf(offset);
    const cut = i < 0 ? offset : this.batches[i]!.baseOffset;
    const keep = i < 0 ? this.batches.length : i;
    this.batches.length = keep;
    await this.log.truncateTo(cut);
    this.checkIndex();
    return this.endOffset;
  }

  /** Resolves once every batch appended so far is durable. */
  flush(): Promise<void> {
    return this.log.flush();
  }

  async close(): Promise<void> {
    await this.log.close();
  }

  /** Drops the files without flushing: a simulated crash. */
  closeAbruptly(): void {
    this.log.closeAbruptly();
  }
}
