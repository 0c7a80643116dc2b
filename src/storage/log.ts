/**
 * One partition's log: an ordered list of segments in `<topic>-<partition>/`,
 * Kafka's format on disk.
 *
 * Hot path. `append*` takes batches the broker already validated, writes the
 * base offsets (8 bytes in place, no CRC change), writes the bytes to the
 * segment file (on the spot when the file is idle; behind a running
 * fdatasync they go to the thread pool instead: write-behind-file.ts),
 * updates the in-memory sparse indexes and the tail cache, and returns the
 * assigned offsets synchronously. Reads see the bytes at once;
 * `whenWritten()` resolves once they are in the page cache (what acks=1
 * waits for; usually at once). `flush(offset)` is the group commit: every caller
 * waiting while an fdatasync runs is served by the next single fdatasync.
 *
 * Offsets this log tracks (the high watermark is the replica manager's):
 *   logStartOffset  first offset a reader may ask for
 *   logEndOffset    next offset to be assigned
 *   writtenEndOffset everything below it is in the file (survives the
 *                   process dying, not a power cut)
 *   durableOffset   everything below it survived an fdatasync
 *   recoveryPoint   everything below it is synced with trusted index files;
 *                   recovery after a crash rescans from the segment holding it
 *
 * Faults. Any I/O error takes the log offline (LogOfflineError, which the
 * broker answers as KAFKA_STORAGE_ERROR); other logs are unaffected. The
 * offline log refuses all work until reopened, which runs recovery.
 */
import type { Clock } from '../platform/clock.js';
import type { FileSystem } from '../platform/file-system.js';
import { dirname, errorCode, joinPath } from '../platform/file-system.js';
import {
  ATTR_CONTROL,
  ATTR_TRANSACTIONAL,
  ATTRIBUTES_AT,
  BASE_SEQUENCE_AT,
  BATCH_HEADER_BYTES,
  BATCH_LENGTH_AT,
  PRODUCER_EPOCH_AT,
  PRODUCER_ID_AT,
  LAST_OFFSET_DELTA_AT,
  LOG_OVERHEAD_BYTES,
  MAGIC_AT,
  MAGIC_V2,
  MAX_TIMESTAMP_AT,
  PARTITION_LEADER_EPOCH_AT,
  readInt64Number,
  setBaseOffset,
  setMaxTimestampAndLogAppendTime,
  setPartitionLeaderEpoch,
} from '../protocol/records/batch-header.js';
import { decodeRecordBatch } from '../protocol/records/batch-decoder.js';
import { ControlRecordType, decodeControlRecordKey, decodeEndTxnMarker } from '../protocol/records/control-record.js';
import { LeaderEpochCheckpointFile, formatPartitionMetadata, parsePartitionMetadata } from './checkpoint.js';
import type { LogConfig } from './config.js';
import { LogOfflineError, OffsetOutOfRangeError, StorageError } from './errors.js';
import {
  CLEANED_SUFFIX,
  DELETED_SUFFIX,
  INDEX_SUFFIX,
  LEADER_EPOCH_CHECKPOINT,
  LOG_SUFFIX,
  PARTITION_METADATA_FILE,
  SWAP_SUFFIX,
  TIME_INDEX_SUFFIX,
  TXN_INDEX_SUFFIX,
  offsetFileStem,
  parseOffsetFileName,
  type TopicPartition,
} from './file-names.js';
import { LeaderEpochCache } from './leader-epoch-cache.js';
import { LogSegment, type SegmentSettings } from './log-segment.js';
import {
  ProducerStateManager,
  decodeTxnIndex,
  encodeAbortedTxn,
  type AbortedTxn,
  type AppendOrigin,
  type BatchProducerInfo,
  type CompletedTxn,
} from './producer-state.js';
import type { Scheduler } from './scheduler.js';
import { TailCache } from './tail-cache.js';

export interface LogOpenOptions {
  fs: FileSystem;
  clock: Clock;
  dir: string;
  topicPartition: TopicPartition;
  config: LogConfig;
  scheduler: Scheduler;
  /** From recovery-point-offset-checkpoint; 0 (scan everything) when unknown. */
  recoveryPoint?: number;
  /** From log-start-offset-checkpoint. */
  logStartOffset?: number;
  /** The data dir's clean-shutdown marker was present: trust indexes up to the end. */
  hadCleanShutdown?: boolean;
  /** Written to partition.metadata when absent; a different stored id is an error. */
  topicId?: string;
  /** Told once when the log goes offline. */
  onOffline?: (log: Log, err: LogOfflineError) => void;
}

/** Producer state snapshots: `<20-digit offset>.snapshot`, covering every batch below the offset. */
export const SNAPSHOT_SUFFIX = '.snapshot';
/** Snapshots kept after a new one is written (older ones are only useful after deep truncation). */
const SNAPSHOTS_KEPT = 2;

export interface AppendInfo {
  /** True when the batch repeated one of its producer's last batches: nothing was written, the offsets are the original ones. */
  duplicate?: boolean;
  firstOffset: number;
  lastOffset: number;
  /** Largest batch max timestamp in the append (-1 when none carried one). */
  maxTimestamp: number;
  /** Set when message.timestamp.type=LogAppendTime, otherwise -1. */
  logAppendTimeMs: number;
  logStartOffset: number;
  batchCount: number;
  sizeBytes: number;
}

export interface ReadOptions {
  /** Upper bound on the bytes returned, except that one whole batch is always returned when minOneBatch (KIP-74). */
  maxBytes: number;
  /** Exclusive: batches whose base offset is at or past it are not returned (the high watermark for consumers). */
  maxOffset?: number;
  minOneBatch?: boolean;
  /**
   * 'read_committed' stops at the last stable offset (below the first open
   * transaction) and reports the aborted transactions the data overlaps.
   */
  isolation?: 'read_uncommitted' | 'read_committed';
}

/** An aborted transaction as Fetch reports it: the consumer drops that producer's records from firstOffset to its abort marker. */
export interface FetchAbortedTxn {
  producerId: bigint;
  firstOffset: number;
}

export interface LogReadResult {
  /** Whole batches, back to back when concatenated; views, not copies. */
  chunks: Buffer[];
  sizeBytes: number;
  /** The offset after the last batch returned (the fetch offset when nothing was). */
  nextOffset: number;
  fromCache: boolean;
  /** With isolation 'read_committed': aborted transactions overlapping [offset, nextOffset). */
  abortedTransactions?: FetchAbortedTxn[];
}

export interface TimestampLookup {
  offset: number;
  timestamp: number;
  leaderEpoch: number;
}

/** One append queued behind the event loop: its first offset, in `segment`, tagged `sequence`. */
interface UnwrittenAppend {
  sequence: number;
  start: number;
  segment: LogSegment;
}

interface FlushWaiter {
  offset: number;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/** Resolves the waiters for offsets up to `reached`; returns the ones still waiting. */
function releaseWaiters(waiters: readonly FlushWaiter[], reached: number): FlushWaiter[] {
  const waiting: FlushWaiter[] = [];
  const done: FlushWaiter[] = [];
  for (const w of waiters) (w.offset <= reached ? done : waiting).push(w);
  for (const w of done) w.resolve();
  return waiting;
}

/** The producer fields of the batch at `at` (and, for a transaction marker, the marker). */
function batchProducerInfo(buf: Buffer, at: number, firstOffset: number, lastOffset: number, wholeBatch: () => Buffer): BatchProducerInfo {
  const attributes = buf.readInt16BE(at + ATTRIBUTES_AT);
  const isControl = (attributes & ATTR_CONTROL) !== 0;
  const isTransactional = (attributes & ATTR_TRANSACTIONAL) !== 0;
  const info: BatchProducerInfo = {
    producerId: buf.readBigInt64BE(at + PRODUCER_ID_AT),
    epoch: buf.readInt16BE(at + PRODUCER_EPOCH_AT),
    baseSequence: buf.readInt32BE(at + BASE_SEQUENCE_AT),
    firstOffset,
    lastOffset,
    maxTimestamp: readInt64Number(buf, at + MAX_TIMESTAMP_AT),
    isTransactional,
    isControl,
  };
  if (isControl && isTransactional) {
    let record;
    try {
      record = decodeRecordBatch(wholeBatch(), 0).records[0];
    } catch (err) {
      throw new StorageError('INVALID_RECORD', `bad transaction marker at ${firstOffset}: ${err instanceof Error ? err.message : String(err)}`);
    }
    if (record !== undefined) {
      const type = decodeControlRecordKey(record.key).type;
      if (type === ControlRecordType.commit || type === ControlRecordType.abort) {
        info.marker = { commit: type === ControlRecordType.commit, coordinatorEpoch: decodeEndTxnMarker(record.value).coordinatorEpoch };
      }
    }
  }
  return info;
}

function segmentSettings(config: LogConfig): SegmentSettings {
  return { indexIntervalBytes: config['index.interval.bytes'], indexMaxBytes: config['segment.index.bytes'] };
}

export class Log {
  readonly topicPartition: TopicPartition;
  readonly dir: string;
  private config: LogConfig;
  private readonly fs: FileSystem;
  private readonly clock: Clock;
  private readonly scheduler: Scheduler;
  private segments: LogSegment[];
  private nextOffset: number;
  private startOffset: number;
  private recoveryPointOffset: number;
  private syncedOffset: number;
  readonly leaderEpochCache: LeaderEpochCache;
  private readonly tail: TailCache;
  private offlineError: LogOfflineError | undefined;
  private closed = false;
  private readonly onOffline: ((log: Log, err: LogOfflineError) => void) | undefined;

  private flushWaiters: FlushWaiter[] = [];
  /** Appends whose bytes are still on their way to the file, oldest first (see writtenEndOffset). */
  private unwritten: UnwrittenAppend[] = [];
  private writeSequence = 0;
  /** Waiters for offsets to be in the file: acks=1 produce. */
  private writtenWaiters: FlushWaiter[] = [];
  private writtenListener: (() => void) | undefined;
  private syncRunning = false;
  private unflushedMessages = 0;
  private lastFlushMonoMs: number;
  /** Serializes recovery-point flushes (roll, periodic, close). */
  private checkpointChain: Promise<void> = Promise.resolve();
  /** Bumped by every truncation: lets the cleaner notice the log changed under it. */
  private truncations = 0;
  /** Producer ids, epochs, sequences and open transactions of this partition (producer-state.ts). */
  readonly producerState = new ProducerStateManager();
  /** Every aborted transaction still in the log, in marker order (the `.txnindex` files, in memory). */
  private abortedTxns: AbortedTxn[] = [];
  /** Segments whose `.txnindex` was written but not yet made durable (the next snapshot does that first). */
  private readonly txnIndexDirty = new Set<LogSegment>();

  private constructor(opts: LogOpenOptions, segments: LogSegment[], epochCache: LeaderEpochCache) {
    this.topicPartition = opts.topicPartition;
    this.dir = opts.dir;
    this.config = opts.config;
    this.fs = opts.fs;
    this.clock = opts.clock;
    this.scheduler = opts.scheduler;
    this.segments = segments;
    for (const seg of segments) this.adopt(seg);
    this.leaderEpochCache = epochCache;
    this.onOffline = opts.onOffline;
    const last = segments[segments.length - 1]!;
    this.nextOffset = Math.max(last.nextOffset, last.baseOffset);
    this.startOffset = Math.min(Math.max(opts.logStartOffset ?? 0, segments[0]!.baseOffset), this.nextOffset);
    this.recoveryPointOffset = this.nextOffset;
    this.syncedOffset = this.nextOffset;
    this.tail = new TailCache(opts.config['samsa.tail.cache.bytes']);
    this.lastFlushMonoMs = opts.clock.monotonicMs();
  }

  // ==========================================================================
  // Opening and recovery

  /**
   * Opens (creating when missing) the partition directory and recovers it:
   * segments below the recovery point are loaded with their index files
   * (rebuilt when missing or implausible); every segment from the one holding
   * the recovery point on is scanned batch by batch, CRC-checked, re-indexed,
   * and cut at the first invalid or torn batch, with later segments removed.
   */
  static async open(opts: LogOpenOptions): Promise<Log> {
    const { fs, dir, clock } = opts;
    const settings = segmentSettings(opts.config);
    if (fs.stat(dir) === undefined) {
      fs.mkdir(dir);
      await fs.syncDir(dirname(dir));
    }
    await Log.checkTopicId(fs, dir, opts.topicId);

    // Leftovers of interrupted work: deletes finish, half-written cleaner output goes.
    const bases = new Set<number>();
    for (const name of fs.readdir(dir)) {
      const path = joinPath(dir, name);
      if (name.endsWith(DELETED_SUFFIX) || name.endsWith(CLEANED_SUFFIX) || name.endsWith('.tmp')) {
        fs.unlink(path);
        continue;
      }
      if (name.endsWith(SWAP_SUFFIX)) {
        Log.completeSwap(fs, dir, name);
        continue;
      }
      const parsed = parseOffsetFileName(name);
      if (parsed?.suffix === LOG_SUFFIX) bases.add(parsed.baseOffset);
    }
    // The swap completion may have produced or removed .log files: list again.
    bases.clear();
    const names = fs.readdir(dir);
    for (const name of names) {
      const parsed = parseOffsetFileName(name);
      if (parsed?.suffix === LOG_SUFFIX) bases.add(parsed.baseOffset);
    }
    for (const name of names) {
      const parsed = parseOffsetFileName(name);
      if (parsed !== undefined && (parsed.suffix === INDEX_SUFFIX || parsed.suffix === TIME_INDEX_SUFFIX || parsed.suffix === TXN_INDEX_SUFFIX) && !bases.has(parsed.baseOffset)) {
        fs.unlink(joinPath(dir, name));
      }
    }
    const sorted = [...bases].sort((a, b) => a - b);
    const nowMs = clock.nowMs();
    const segments: LogSegment[] = [];
    try {
      for (const base of sorted) segments.push(LogSegment.open(fs, dir, base, settings, nowMs));
      const epochFile = new LeaderEpochCheckpointFile(fs, joinPath(dir, LEADER_EPOCH_CHECKPOINT));
      let epochCache: LeaderEpochCache;
      try {
        epochCache = LeaderEpochCache.load(epochFile);
      } catch (err) {
        if (errorCode(err) !== undefined) throw err;
        // A damaged checkpoint is rebuilt from the batches' epochs below.
        epochCache = new LeaderEpochCache(epochFile);
      }

      const recoveryPoint = opts.hadCleanShutdown === true ? Infinity : (opts.recoveryPoint ?? 0);
      // Recovery starts at the segment holding the recovery point.
      let recoverFrom = segments.length;
      for (let i = segments.length - 1; i >= 0; i--) {
        recoverFrom = i;
        if (segments[i]!.baseOffset <= recoveryPoint) break;
      }
      if (recoveryPoint === Infinity) recoverFrom = segments.length;
      let expectedNext = 0;
      let recovered = false;
      const rebuiltEpochs: { epoch: number; startOffset: number }[] = [];
      for (let i = 0; i < segments.length; i++) {
        const seg = segments[i]!;
        const nextBase = segments[i + 1]?.baseOffset ?? Number.MAX_SAFE_INTEGER;
        let trusted = i < recoverFrom && seg.loadIndexes(nextBase);
        if (trusted && seg.nextOffset > nextBase) trusted = false;
        if (!trusted) {
          const result = await seg.recover(expectedNext);
          recovered = true;
          rebuiltEpochs.push(...result.epochStarts);
          if (result.truncatedBytes > 0 && i + 1 < segments.length) {
            // Nothing after damage can be trusted to follow it: drop later segments.
            for (const later of segments.splice(i + 1)) {
              later.close();
              for (const suffix of [LOG_SUFFIX, INDEX_SUFFIX, TIME_INDEX_SUFFIX, TXN_INDEX_SUFFIX]) {
                const p = later.filePath(suffix);
                if (fs.stat(p) !== undefined) fs.unlink(p);
              }
            }
          }
        }
        expectedNext = Math.max(seg.nextOffset, seg.baseOffset);
      }
      // An empty segment before others holds nothing and would confuse floor lookups: drop it.
      for (let i = segments.length - 2; i >= 0; i--) {
        const seg = segments[i]!;
        if (seg.isEmpty) {
          segments.splice(i, 1);
          seg.close();
          for (const suffix of [LOG_SUFFIX, INDEX_SUFFIX, TIME_INDEX_SUFFIX, TXN_INDEX_SUFFIX]) {
            const p = seg.filePath(suffix);
            if (fs.stat(p) !== undefined) fs.unlink(p);
          }
        }
      }
      if (segments.length === 0) {
        segments.push(LogSegment.create(fs, dir, Math.max(opts.logStartOffset ?? 0, 0), settings, nowMs));
      }
      const last = segments[segments.length - 1]!;
      const logEnd = Math.max(last.nextOffset, last.baseOffset);
      for (const e of rebuiltEpochs) epochCache.assign(e.epoch, e.startOffset);
      epochCache.truncateFromEnd(logEnd);

      const log = new Log(opts, segments, epochCache);
      epochCache.truncateFromStart(log.startOffset);
      if (recovered || opts.hadCleanShutdown !== true) {
        // Make what recovery decided durable before anyone relies on it.
        for (const seg of segments.slice(0, -1)) seg.onBecomeInactive();
        await log.persistAll();
      }
      await epochCache.flush();
      log.io(() => log.rebuildProducerState());
      return log;
    } catch (err) {
      for (const seg of segments) seg.close();
      throw err;
    }
  }

  private static async checkTopicId(fs: FileSystem, dir: string, topicId: string | undefined): Promise<void> {
    const path = joinPath(dir, PARTITION_METADATA_FILE);
    let stored: string | undefined;
    try {
      stored = parsePartitionMetadata(path, fs.readFile(path)).topicId;
    } catch (err) {
      if (errorCode(err) !== 'ENOENT') throw err;
    }
    if (topicId === undefined) return;
    if (stored !== undefined && stored !== topicId) {
      throw new StorageError('KAFKA_STORAGE_ERROR', `${dir} belongs to topic id ${stored}, not ${topicId}`);
    }
    if (stored === undefined) await fs.writeFileAtomic(path, formatPartitionMetadata(topicId));
  }

  /**
   * A `.swap` file is finished cleaner output whose rename was interrupted.
   * The cleaner writes swaps only after its output is durable and before it
   * deletes the originals, so completing means: delete the segments it
   * replaces, then take off the suffix. See cleaner.ts for the protocol.
   */
  private static completeSwap(fs: FileSystem, dir: string, swapName: string): void {
    const target = swapName.slice(0, -SWAP_SUFFIX.length);
    const parsed = parseOffsetFileName(target);
    if (parsed === undefined) {
      fs.unlink(joinPath(dir, swapName));
      return;
    }
    const replaced = joinPath(dir, target);
    if (fs.stat(replaced) !== undefined) fs.unlink(replaced);
    fs.rename(joinPath(dir, swapName), replaced);
    // The old index files describe the old bytes: rebuild them from the new.
    for (const suffix of [INDEX_SUFFIX, TIME_INDEX_SUFFIX]) {
      const p = joinPath(dir, offsetFileStem(parsed.baseOffset) + suffix);
      if (fs.stat(p) !== undefined) fs.unlink(p);
    }
  }

  // ==========================================================================
  // Accessors

  get logStartOffset(): number {
    return this.startOffset;
  }

  get logEndOffset(): number {
    return this.nextOffset;
  }

  get recoveryPoint(): number {
    return this.recoveryPointOffset;
  }

  get durableOffset(): number {
    return this.syncedOffset;
  }

  /**
   * Offsets below this are in the file (the page cache): they survive the
   * process dying. Appends made while an fdatasync runs are written off the
   * event loop, so this can trail the log end; a single-replica high watermark must
   * not pass it, or a consumer could see records a crash then loses.
   */
  get writtenEndOffset(): number {
    return this.unwritten.length > 0 ? this.unwritten[0]!.start : this.nextOffset;
  }

  /** `listener` runs whenever writtenEndOffset moves forward (fetch long polls wake on it). */
  onWrittenAdvance(listener: (() => void) | undefined): void {
    this.writtenListener = listener;
  }

  /**
   * Resolves once every append made before the call is in the file; undefined
   * when it already is (no promise on the fast path). Rejects when the log
   * goes offline first.
   */
  whenWritten(): Promise<void> | undefined {
    if (this.offlineError !== undefined) return Promise.reject(this.offlineError);
    const offset = this.nextOffset;
    if (this.writtenEndOffset >= offset) return undefined;
    return new Promise<void>((resolve, reject) => this.writtenWaiters.push({ offset, resolve, reject }));
  }

  /** Wires a segment's background-write reports to this log. */
  private adopt(seg: LogSegment): LogSegment {
    seg.onWriteError = (err) => this.goOffline(err);
    seg.onWritten = (tag) => {
      seg.writtenTag = tag;
      this.advanceWritten();
    };
    return seg;
  }

  /** Drops appends their segments have reported written; wakes whoever waits. */
  private advanceWritten(): void {
    let moved = false;
    while (this.unwritten.length > 0) {
      const first = this.unwritten[0]!;
      if (first.sequence > first.segment.writtenTag) break;
      this.unwritten.shift();
      moved = true;
    }
    if (!moved) return;
    if (this.writtenWaiters.length > 0) this.writtenWaiters = releaseWaiters(this.writtenWaiters, this.writtenEndOffset);
    this.writtenListener?.();
  }

  get isOffline(): boolean {
    return this.offlineError !== undefined;
  }

  get offlineReason(): LogOfflineError | undefined {
    return this.offlineError;
  }

  get logConfig(): Readonly<LogConfig> {
    return this.config;
  }

  get segmentCount(): number {
    return this.segments.length;
  }

  /** Sum of segment sizes. */
  get sizeBytes(): number {
    let total = 0;
    for (const s of this.segments) total += s.sizeBytes;
    return total;
  }

  /** Base offsets of the segments, oldest first (for tests, tools and the cleaner). */
  segmentBaseOffsets(): number[] {
    return this.segments.map((s) => s.baseOffset);
  }

  /** Bytes held by the in-memory tail cache. */
  get tailCacheBytes(): number {
    return this.tail.sizeBytes;
  }

  updateConfig(config: LogConfig): void {
    this.config = config;
    this.tail.setBudget(config['samsa.tail.cache.bytes']);
  }

  private get active(): LogSegment {
    return this.segments[this.segments.length - 1]!;
  }

  private checkUsable(): void {
    if (this.offlineError !== undefined) throw this.offlineError;
    if (this.closed) throw new StorageError('KAFKA_STORAGE_ERROR', `log ${this.dir} is closed`);
  }

  /** Marks the log offline for an I/O error and returns the error to throw. */
  private goOffline(err: unknown): LogOfflineError {
    if (err instanceof LogOfflineError) return err;
    if (this.offlineError !== undefined) return this.offlineError;
    const offline = new LogOfflineError(this.dir, err);
    this.offlineError = offline;
    const waiters = [...this.flushWaiters, ...this.writtenWaiters];
    this.flushWaiters = [];
    this.writtenWaiters = [];
    for (const w of waiters) w.reject(offline);
    this.onOffline?.(this, offline);
    return offline;
  }

  /** Runs I/O; any error with an errno code takes the log offline. */
  private io<T>(fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      if (errorCode(err) !== undefined) throw this.goOffline(err);
      throw err;
    }
  }

  private async ioAsync<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (errorCode(err) !== undefined || err instanceof LogOfflineError) throw this.goOffline(err);
      throw err;
    }
  }

  // ==========================================================================
  // Append

  /**
   * Appends validated client batches as the leader: assigns offsets from the
   * log end, stamps `leaderEpoch`, applies LogAppendTime when configured.
   * The buffer is mutated in place and retained by the tail cache.
   */
  appendAsLeader(records: Buffer, leaderEpoch: number, origin: AppendOrigin = 'client'): AppendInfo {
    return this.append(records, leaderEpoch, origin);
  }

  /** Appends batches that already carry offsets and epochs (replication, Raft). */
  appendAsFollower(records: Buffer): AppendInfo {
    return this.append(records, undefined, 'replication');
  }

  private append(records: Buffer, leaderEpoch: number | undefined, origin: AppendOrigin): AppendInfo {
    this.checkUsable();
    const assign = leaderEpoch !== undefined;
    const producerBatches: BatchProducerInfo[] = [];
    // Pass 1: framing, sizes, offsets, timestamps; nothing changes yet.
    let at = 0;
    let batches = 0;
    let offsetCount = 0;
    let maxTimestamp = -1;
    let firstOffset = assign ? this.nextOffset : -1;
    let lastOffset = -1;
    const maxMessageBytes = this.config['max.message.bytes'];
    while (at < records.length) {
      if (records.length - at < BATCH_HEADER_BYTES) {
        throw new StorageError('CORRUPT_MESSAGE', `partial batch of ${records.length - at} bytes at ${at}`);
      }
      const size = LOG_OVERHEAD_BYTES + records.readInt32BE(at + BATCH_LENGTH_AT);
      if (size < BATCH_HEADER_BYTES || at + size > records.length) {
        throw new StorageError('CORRUPT_MESSAGE', `batch at ${at} claims ${size} bytes`);
      }
      if (records.readInt8(at + MAGIC_AT) !== MAGIC_V2) {
        throw new StorageError('INVALID_RECORD', `the log stores v2 batches only (batch at ${at})`);
      }
      if (size > maxMessageBytes) {
        throw new StorageError('MESSAGE_TOO_LARGE', `batch of ${size} bytes exceeds max.message.bytes ${maxMessageBytes}`);
      }
      const delta = records.readInt32BE(at + LAST_OFFSET_DELTA_AT);
      if (delta < 0) throw new StorageError('INVALID_RECORD', `negative last offset delta at ${at}`);
      const ts = readInt64Number(records, at + MAX_TIMESTAMP_AT);
      if (ts > maxTimestamp) maxTimestamp = ts;
      if (records.readBigInt64BE(at + PRODUCER_ID_AT) >= 0n) {
        const base = assign ? firstOffset + offsetCount : readInt64Number(records, at);
        producerBatches.push(batchProducerInfo(records, at, base, base + delta, () => records.subarray(at, at + size)));
      }
      if (assign) {
        offsetCount += delta + 1;
      } else {
        const base = readInt64Number(records, at);
        if (base < Math.max(lastOffset + 1, this.nextOffset)) {
          throw new StorageError('INVALID_RECORD', `batch offset ${base} is below the expected ${Math.max(lastOffset + 1, this.nextOffset)}`);
        }
        if (firstOffset < 0) firstOffset = base;
        lastOffset = base + delta;
      }
      at += size;
      batches++;
    }
    if (batches === 0) throw new StorageError('INVALID_RECORD', 'no batches to append');
    if (assign) lastOffset = firstOffset + offsetCount - 1;
    if (records.length > this.config['segment.bytes']) {
      throw new StorageError('RECORD_LIST_TOO_LARGE', `${records.length} bytes exceed segment.bytes ${this.config['segment.bytes']}`);
    }

    // Producer state: a retried batch is answered with its first offsets; a bad one is refused before anything is written.
    let producerPlan: ReturnType<ProducerStateManager['plan']> | undefined;
    if (producerBatches.length > 0) {
      if (origin === 'client') {
        for (const info of producerBatches) {
          const dup = this.producerState.findDuplicate(info);
          if (dup !== undefined) {
            return {
              duplicate: true,
              firstOffset: dup.firstOffset,
              lastOffset: dup.lastOffset,
              maxTimestamp: -1,
              logAppendTimeMs: -1,
              logStartOffset: this.startOffset,
              batchCount: 0,
              sizeBytes: 0,
            };
          }
        }
      }
      producerPlan = this.producerState.plan(producerBatches, origin);
    }

    const nowMs = this.clock.nowMs();
    this.maybeRoll(records.length, maxTimestamp, firstOffset, lastOffset, nowMs);

    // Pass 2: stamp offsets, epochs, LogAppendTime.
    const logAppendTime = this.config['message.timestamp.type'] === 'LogAppendTime';
    if (assign || logAppendTime) {
      let next = firstOffset;
      for (let p = 0; p < records.length; ) {
        const size = LOG_OVERHEAD_BYTES + records.readInt32BE(p + BATCH_LENGTH_AT);
        if (assign) {
          setBaseOffset(records, p, next);
          setPartitionLeaderEpoch(records, p, leaderEpoch);
          next += records.readInt32BE(p + LAST_OFFSET_DELTA_AT) + 1;
        }
        if (logAppendTime) setMaxTimestampAndLogAppendTime(records, p, nowMs);
        p += size;
      }
      if (logAppendTime) maxTimestamp = nowMs;
    }

    // Write, then index: a failed write leaves indexes and offsets untouched.
    const segment = this.active;
    const startPosition = segment.sizeBytes;
    const sequence = ++this.writeSequence;
    const inFile = this.io(() => segment.write(records, sequence));
    if (!inFile) this.unwritten.push({ sequence, start: firstOffset, segment });
    let epochSeen = -2;
    for (let p = 0; p < records.length; ) {
      const size = LOG_OVERHEAD_BYTES + records.readInt32BE(p + BATCH_LENGTH_AT);
      const base = readInt64Number(records, p);
      const last = base + records.readInt32BE(p + LAST_OFFSET_DELTA_AT);
      segment.indexBatch(last, startPosition + p, readInt64Number(records, p + MAX_TIMESTAMP_AT), size);
      this.tail.push({ baseOffset: base, lastOffset: last, bytes: records.subarray(p, p + size) });
      if (!assign) {
        const epoch = records.readInt32BE(p + PARTITION_LEADER_EPOCH_AT);
        if (epoch !== epochSeen) {
          this.leaderEpochCache.assign(epoch, base);
          epochSeen = epoch;
        }
      }
      p += size;
    }
    if (assign) this.leaderEpochCache.assign(leaderEpoch, firstOffset);
    this.nextOffset = lastOffset + 1;
    if (producerPlan !== undefined) {
      this.producerState.apply(producerPlan);
      for (const txn of producerPlan.completed) this.onTxnCompleted(txn, segment);
    }
    void this.leaderEpochCache.flush().catch((err: unknown) => this.goOffline(err));
    // Written on the spot with nothing else in flight: the written end moved with the log end.
    if (inFile && this.unwritten.length === 0) this.writtenListener?.();

    this.unflushedMessages += lastOffset - firstOffset + 1;
    if (this.unflushedMessages >= this.config['flush.messages']) {
      this.unflushedMessages = 0;
      void this.flush().catch(() => undefined);
    }
    return {
      firstOffset,
      lastOffset,
      maxTimestamp,
      logAppendTimeMs: logAppendTime ? nowMs : -1,
      logStartOffset: this.startOffset,
      batchCount: batches,
      sizeBytes: records.length,
    };
  }

  /** Kafka's roll rules: size, age (from the first batch's timestamp), full index, relative offset overflow. */
  private maybeRoll(incomingBytes: number, maxTimestamp: number, firstOffset: number, lastOffset: number, nowMs: number): void {
    const seg = this.active;
    if (seg.isEmpty) {
      // An empty active segment cannot roll, but a follower's gap may need a new base offset.
      if (firstOffset > seg.baseOffset && lastOffset - seg.baseOffset > 0x7fffffff) this.roll(firstOffset, nowMs);
      return;
    }
    const reference = seg.rollingBasedTimestamp;
    const waited = reference !== undefined && reference >= 0 ? maxTimestamp - reference : nowMs - seg.createdMs;
    const tooBig = seg.sizeBytes > this.config['segment.bytes'] - incomingBytes;
    const tooOld = waited > this.config['segment.ms'] - this.config['segment.jitter.ms'];
    const overflow = lastOffset - seg.baseOffset > 0x7fffffff;
    if (tooBig || tooOld || seg.indexesFull || overflow) this.roll(Math.max(firstOffset, this.nextOffset), nowMs);
  }

  /** Starts a new active segment at `baseOffset`; the old one is flushed in the background. */
  roll(baseOffset: number = this.nextOffset, nowMs: number = this.clock.nowMs()): void {
    this.checkUsable();
    const old = this.active;
    if (old.isEmpty && old.baseOffset === baseOffset) return;
    const segment = this.adopt(this.io(() => LogSegment.create(this.fs, this.dir, baseOffset, segmentSettings(this.config), nowMs)));
    old.onBecomeInactive();
    if (old.isEmpty) {
      // Replace an empty active segment rather than leave a hole-less empty one behind.
      this.segments.pop();
      old.close();
      this.io(() => {
        for (const suffix of [LOG_SUFFIX, INDEX_SUFFIX, TIME_INDEX_SUFFIX]) {
          const p = old.filePath(suffix);
          if (this.fs.stat(p) !== undefined) this.fs.unlink(p);
        }
      });
    }
    this.segments.push(segment);
    if (baseOffset > this.nextOffset) this.nextOffset = baseOffset;
    const upTo = baseOffset;
    void this.flushRecoveryPoint(upTo).catch(() => undefined);
    if (!old.isEmpty) void this.scheduleSnapshot(this.nextOffset).catch((err: unknown) => this.goOffline(err));
  }

  // ==========================================================================
  // Durability

  /**
   * Resolves once every offset below `offset` is durable (fdatasync). Calls
   * that arrive while a sync runs share the next one: that is the group commit.
   */
  flush(offset: number = this.nextOffset): Promise<void> {
    try {
      this.checkUsable();
    } catch (err) {
      return Promise.reject(err);
    }
    const target = Math.min(offset, this.nextOffset);
    if (target <= this.syncedOffset) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.flushWaiters.push({ offset: target, resolve, reject });
      if (!this.syncRunning) void this.runSyncLoop();
    });
  }

  private async runSyncLoop(): Promise<void> {
    this.syncRunning = true;
    try {
      while (this.flushWaiters.length > 0 && this.offlineError === undefined) {
        if (this.closed) {
          this.rejectWaiters(new StorageError('KAFKA_STORAGE_ERROR', `log ${this.dir} closed before the flush`));
          return;
        }
        const target = this.nextOffset;
        const dirty = this.segments.filter((s) => s.syncedBytes < s.sizeBytes || s.needsDirSync);
        try {
          await this.syncSegments(dirty);
        } catch (err) {
          this.goOffline(err);
          return;
        }
        this.lastFlushMonoMs = this.clock.monotonicMs();
        if (target > this.syncedOffset) this.syncedOffset = Math.min(target, this.nextOffset);
        this.flushWaiters = releaseWaiters(this.flushWaiters, this.syncedOffset);
      }
    } finally {
      this.syncRunning = false;
    }
  }

  private async syncSegments(segments: readonly LogSegment[]): Promise<void> {
    const needDir = segments.some((s) => s.needsDirSync);
    await Promise.all(segments.filter((s) => !s.isClosed).map((s) => s.syncData()));
    if (needDir) {
      await this.fs.syncDir(this.dir);
      for (const s of segments) s.needsDirSync = false;
    }
  }

  /**
   * Makes everything below `upTo` durable together with its index files and
   * moves the recovery point there. Runs on roll, from flush.ms, and at close.
   */
  flushRecoveryPoint(upTo: number = this.nextOffset): Promise<void> {
    const run = async (): Promise<void> => {
      if (this.offlineError !== undefined || this.closed) return;
      const target = Math.min(upTo, this.nextOffset);
      if (target <= this.recoveryPointOffset) return;
      const segs = this.segments.filter((s, i) => s.baseOffset < target && (this.segments[i + 1]?.baseOffset ?? Infinity) > this.recoveryPointOffset);
      await this.ioAsync(async () => {
        for (const s of segs) if (!s.isClosed) await s.persistIndexes();
        await this.syncSegments(segs);
        await this.fs.syncDir(this.dir);
      });
      const capped = Math.min(target, this.nextOffset);
      if (capped > this.recoveryPointOffset) this.recoveryPointOffset = capped;
      if (capped > this.syncedOffset) this.syncedOffset = capped;
    };
    this.checkpointChain = this.checkpointChain.catch(() => undefined).then(run);
    return this.checkpointChain;
  }

  /** Everything: data, indexes, epoch checkpoint. */
  private async persistAll(): Promise<void> {
    await this.ioAsync(async () => {
      for (const s of this.segments) await s.persistIndexes();
      await this.syncSegments(this.segments);
      await this.fs.syncDir(this.dir);
    });
    this.recoveryPointOffset = this.nextOffset;
    this.syncedOffset = this.nextOffset;
  }

  /** flush.ms / flush.messages housekeeping, called by the LogManager's scheduler. */
  async maybeFlushOnSchedule(): Promise<void> {
    if (this.offlineError !== undefined || this.closed) return;
    if (this.clock.monotonicMs() - this.lastFlushMonoMs >= this.config['flush.ms'] && this.syncedOffset < this.nextOffset) {
      this.lastFlushMonoMs = this.clock.monotonicMs();
      await this.flush();
    }
  }

  // ==========================================================================
  // Read

  /**
   * Whole batches starting with the one that holds `offset`. Reading at the
   * log end (or at maxOffset) returns nothing; below the log start or past
   * the end is OffsetOutOfRangeError.
   */
  async read(offset: number, options: ReadOptions): Promise<LogReadResult> {
    this.checkUsable();
    const logEnd = this.nextOffset;
    if (offset > logEnd || offset < this.startOffset) throw new OffsetOutOfRangeError(offset, this.startOffset, logEnd);
    if (options.isolation === 'read_committed') {
      const bound = this.lastStableOffset(Math.min(options.maxOffset ?? logEnd, logEnd));
      const result = await this.read(offset, { ...options, maxOffset: bound, isolation: 'read_uncommitted' });
      result.abortedTransactions = result.sizeBytes === 0 ? [] : this.abortedTransactionsIn(offset, result.nextOffset);
      return result;
    }
    const maxOffset = Math.min(options.maxOffset ?? logEnd, logEnd);
    const minOne = options.minOneBatch ?? true;
    const empty: LogReadResult = { chunks: [], sizeBytes: 0, nextOffset: offset, fromCache: false };
    if (offset >= maxOffset) return empty;
    const cached = this.tail.read(offset, options.maxBytes, maxOffset, minOne);
    if (cached !== undefined) return { ...cached, fromCache: true };
    let i = this.segmentIndexFor(offset);
    for (; i < this.segments.length; i++) {
      const seg = this.segments[i]!;
      if (seg.baseOffset >= maxOffset) break;
      const loc = this.io(() => seg.findBatch(offset));
      if (loc === undefined) continue;
      const data = await this.ioAsync(() => seg.readBatches(loc, options.maxBytes, maxOffset, minOne));
      if (data === undefined) return empty;
      return { chunks: [data.bytes], sizeBytes: data.bytes.length, nextOffset: data.nextOffset, fromCache: false };
    }
    return empty;
  }

  /** Index of the segment whose range holds `offset` (the last with baseOffset <= offset). */
  private segmentIndexFor(offset: number): number {
    let lo = 0;
    let hi = this.segments.length - 1;
    let found = 0;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.segments[mid]!.baseOffset <= offset) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found;
  }

  /**
   * ListOffsets by timestamp: the first offset whose record timestamp is >=
   * `timestamp`, with that record's timestamp and its batch's leader epoch.
   * Undefined when every record is older.
   */
  findOffsetByTimestamp(timestamp: number): TimestampLookup | undefined {
    this.checkUsable();
    for (const seg of this.segments) {
      if (seg.maxTimestamp < timestamp && seg !== this.active) continue;
      const loc = this.io(() => seg.findBatchByTimestamp(timestamp));
      if (loc === undefined) continue;
      if (loc.lastOffset < this.startOffset) continue;
      const bytes = this.io(() => seg.readBatch(loc));
      const batch = decodeRecordBatch(bytes, 0);
      for (const r of batch.records) {
        if (r.timestamp >= timestamp && r.offset >= this.startOffset) {
          return { offset: r.offset, timestamp: r.timestamp, leaderEpoch: batch.header.partitionLeaderEpoch };
        }
      }
    }
    return undefined;
  }

  /** ListOffsets MAX_TIMESTAMP (-3): the record with the largest timestamp. */
  findMaxTimestamp(): TimestampLookup | undefined {
    this.checkUsable();
    let best: LogSegment | undefined;
    for (const seg of this.segments) if (seg.maxTimestamp >= 0 && (best === undefined || seg.maxTimestamp > best.maxTimestamp)) best = seg;
    if (best === undefined) return undefined;
    const loc = this.io(() => best.findBatch(best.offsetOfMaxTimestamp));
    if (loc === undefined) return undefined;
    const batch = decodeRecordBatch(this.io(() => best.readBatch(loc)), 0);
    let pick = batch.records[0];
    for (const r of batch.records) if (pick === undefined || r.timestamp > pick.timestamp) pick = r;
    if (pick === undefined) return undefined;
    return { offset: pick.offset, timestamp: pick.timestamp, leaderEpoch: batch.header.partitionLeaderEpoch };
  }


  // ==========================================================================
  // Producer state, transactions, last stable offset

  /**
   * The last stable offset: below the first open transaction, and never past
   * `highWatermark` (the replica manager's; the log end when not given).
   */
  lastStableOffset(highWatermark: number = this.nextOffset): number {
    const unstable = this.producerState.firstUnstableOffset();
    return unstable === undefined ? highWatermark : Math.min(unstable, highWatermark);
  }

  /** Aborted transactions whose range overlaps [from, upTo), as Fetch reports them. */
  abortedTransactionsIn(from: number, upTo: number): FetchAbortedTxn[] {
    const out: FetchAbortedTxn[] = [];
    // Entries are in marker order; those ending before `from` cannot overlap.
    let lo = 0;
    let hi = this.abortedTxns.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.abortedTxns[mid]!.lastOffset < from) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < this.abortedTxns.length; i++) {
      const t = this.abortedTxns[i]!;
      if (t.firstOffset < upTo) out.push({ producerId: t.producerId, firstOffset: t.firstOffset });
      // When this abort was written nothing below its LSO was still open: no later entry starts before upTo.
      if (t.lastStableOffset >= upTo) break;
    }
    return out;
  }

  /** Every aborted transaction still indexed (tests, tools). */
  abortedTransactionEntries(): readonly AbortedTxn[] {
    return this.abortedTxns;
  }

  /** producer.id.expiration.ms: forgets idle producers with no open transaction. */
  removeExpiredProducers(expirationMs: number, nowMs: number = this.clock.nowMs()): number {
    if (this.offlineError !== undefined || this.closed) return 0;
    return this.producerState.removeExpired(nowMs, expirationMs);
  }

  private onTxnCompleted(txn: CompletedTxn, segment: LogSegment): void {
    if (!txn.aborted) return;
    const entry: AbortedTxn = {
      producerId: txn.producerId,
      firstOffset: txn.firstOffset,
      lastOffset: txn.lastOffset,
      lastStableOffset: this.lastStableOffset(),
    };
    this.abortedTxns.push(entry);
    this.txnIndexDirty.add(segment);
    this.io(() => {
      const handle = this.fs.open(segment.filePath(TXN_INDEX_SUFFIX), 'create');
      try {
        handle.write(encodeAbortedTxn(entry), handle.sizeBytes());
      } finally {
        handle.close();
      }
    });
  }

  private snapshotPath(offset: number): string {
    return joinPath(this.dir, offsetFileStem(offset) + SNAPSHOT_SUFFIX);
  }

  /** Offsets of the `.snapshot` files, newest first. */
  private snapshotOffsets(): number[] {
    const out: number[] = [];
    for (const name of this.fs.readdir(this.dir)) {
      const parsed = parseOffsetFileName(name);
      if (parsed?.suffix === SNAPSHOT_SUFFIX) out.push(parsed.baseOffset);
    }
    return out.sort((a, b) => b - a);
  }

  /** The `.txnindex` entries of one segment, from memory. */
  private txnEntriesOf(index: number): AbortedTxn[] {
    const seg = this.segments[index]!;
    const end = this.segments[index + 1]?.baseOffset ?? Infinity;
    return this.abortedTxns.filter((t) => t.lastOffset >= seg.baseOffset && t.lastOffset < end);
  }

  /** Rewrites a segment's `.txnindex` from memory (synchronously, not synced); removes it when empty. */
  private rewriteTxnIndex(index: number): void {
    this.txnIndexDirty.add(this.segments[index]!);
    const path = this.segments[index]!.filePath(TXN_INDEX_SUFFIX);
    const entries = this.txnEntriesOf(index);
    if (entries.length === 0) {
      if (this.fs.stat(path) !== undefined) this.fs.unlink(path);
      return;
    }
    const handle = this.fs.open(path, 'create');
    try {
      handle.truncate(0);
      handle.write(Buffer.concat(entries.map(encodeAbortedTxn)), 0);
    } finally {
      handle.close();
    }
  }

  /**
   * Writes a producer state snapshot at `offset` (which must be the log end
   * at the time of the call: the state describes everything below it) once
   * the data below it and the `.txnindex` entries are durable. Older
   * snapshots beyond the newest few go.
   */
  private scheduleSnapshot(offset: number): Promise<void> {
    const bytes = this.producerState.encodeSnapshot();
    const dirty = [...this.txnIndexDirty].filter((seg) => !seg.retired);
    this.txnIndexDirty.clear();
    const txnFiles = dirty.map((seg) => {
      const i = this.segments.indexOf(seg);
      return { path: seg.filePath(TXN_INDEX_SUFFIX), entries: i < 0 ? [] : this.txnEntriesOf(i) };
    });
    const truncationsAtStart = this.truncations;
    const run = async (): Promise<void> => {
      if (this.offlineError !== undefined || this.closed || this.truncations !== truncationsAtStart) return;
      await this.ioAsync(async () => {
        for (const f of txnFiles) {
          if (f.entries.length > 0) await this.fs.writeFileAtomic(f.path, Buffer.concat(f.entries.map(encodeAbortedTxn)));
          else if (this.fs.stat(f.path) !== undefined) this.fs.unlink(f.path);
        }
        if (offset > this.nextOffset) return;
        await this.fs.writeFileAtomic(this.snapshotPath(offset), bytes);
        for (const old of this.snapshotOffsets().slice(SNAPSHOTS_KEPT)) this.fs.unlink(this.snapshotPath(old));
      });
    };
    this.checkpointChain = this.checkpointChain.catch(() => undefined).then(run);
    return this.checkpointChain;
  }

  /**
   * Rebuilds producer state and the aborted-transaction list: the newest
   * readable snapshot at or below the log end, then every batch after it.
   * `.txnindex` entries below the snapshot come from the files; later ones
   * from the replay, and the files of those segments are rewritten.
   */
  private rebuildProducerState(): void {
    const end = this.nextOffset;
    let from = this.segments[0]!.baseOffset;
    this.producerState.clear();
    for (const offset of this.snapshotOffsets()) {
      if (offset > end) {
        this.fs.unlink(this.snapshotPath(offset));
        continue;
      }
      try {
        this.producerState.loadSnapshot(this.fs.readFile(this.snapshotPath(offset)));
        from = Math.max(offset, from);
        break;
      } catch (err) {
        if (errorCode(err) !== undefined) throw err;
        // A damaged snapshot is worth nothing: an older one or a longer replay will do.
        this.fs.unlink(this.snapshotPath(offset));
        this.producerState.clear();
      }
    }
    const aborted: AbortedTxn[] = [];
    for (const seg of this.segments) {
      const path = seg.filePath(TXN_INDEX_SUFFIX);
      if (this.fs.stat(path) === undefined) continue;
      for (const t of decodeTxnIndex(this.fs.readFile(path))) if (t.lastOffset < from) aborted.push(t);
    }
    aborted.sort((a, b) => a.lastOffset - b.lastOffset);
    this.abortedTxns = aborted;
    const firstRewritten = this.segmentIndexFor(from);
    this.forEachBatchFrom(from, (info) => {
      for (const txn of this.producerState.replay([info])) {
        if (txn.aborted) {
          this.abortedTxns.push({ producerId: txn.producerId, firstOffset: txn.firstOffset, lastOffset: txn.lastOffset, lastStableOffset: this.producerState.firstUnstableOffset() ?? txn.lastOffset + 1 });
        }
      }
    });
    for (let i = firstRewritten; i < this.segments.length; i++) this.rewriteTxnIndex(i);
  }

  /** Calls `visit` with the producer fields of every producer batch from `from` to the log end (synchronous reads). */
  private forEachBatchFrom(from: number, visit: (info: BatchProducerInfo) => void): void {
    const scratch = Buffer.allocUnsafe(BATCH_HEADER_BYTES);
    for (let i = this.segmentIndexFor(from); i < this.segments.length; i++) {
      const seg = this.segments[i]!;
      const first = seg.findBatch(from);
      if (first === undefined) continue;
      let position = first.position;
      for (;;) {
        const loc = seg.readLocation(position, scratch);
        if (loc === undefined || loc.sizeBytes < BATCH_HEADER_BYTES) break;
        if (loc.lastOffset >= from && scratch.readBigInt64BE(PRODUCER_ID_AT) >= 0n) {
          visit(batchProducerInfo(scratch, 0, loc.baseOffset, loc.lastOffset, () => seg.readBatch(loc)));
        }
        position += loc.sizeBytes;
      }
    }
  }

  // ==========================================================================
  // Truncation, log start offset, retention

  /**
   * Removes everything at or after `offset` (replication divergence). The
   * cut is made durable before the promise resolves.
   */
  async truncateTo(offset: number): Promise<void> {
    this.checkUsable();
    if (offset >= this.nextOffset) return;
    this.truncations++;
    if (offset <= this.segments[0]!.baseOffset) {
      await this.truncateFullyAndStartAt(offset);
      return;
    }
    let newEnd = offset;
    this.io(() => {
      while (this.segments.length > 1 && this.active.baseOffset >= offset) {
        const seg = this.segments.pop()!;
        this.retire(seg);
      }
      const seg = this.active;
      const firstRemoved = seg.truncateTo(offset);
      if (firstRemoved !== undefined) newEnd = Math.min(offset, firstRemoved);
      if (seg.sizeBytes === 0) newEnd = Math.max(newEnd, seg.baseOffset);
    });
    this.afterTruncate(newEnd);
    this.abortedTxns = this.abortedTxns.filter((t) => t.lastOffset < newEnd);
    this.io(() => this.rebuildProducerState());
    await this.ioAsync(async () => {
      await this.active.log.datasync();
      await this.fs.syncDir(this.dir);
    });
    await this.leaderEpochCache.flush();
  }

  /** Deletes every segment and starts empty at `offset` (a follower far behind, or DeleteRecords past the end). */
  async truncateFullyAndStartAt(offset: number): Promise<void> {
    this.checkUsable();
    this.truncations++;
    const nowMs = this.clock.nowMs();
    this.io(() => {
      const old = this.segments;
      this.segments = [];
      for (const seg of old) this.retire(seg);
      this.segments.push(this.adopt(LogSegment.create(this.fs, this.dir, offset, segmentSettings(this.config), nowMs)));
    });
    this.nextOffset = offset;
    this.startOffset = offset;
    this.afterTruncate(offset);
    this.leaderEpochCache.clear();
    this.abortedTxns = [];
    this.producerState.clear();
    this.io(() => {
      for (const o of this.snapshotOffsets()) this.fs.unlink(this.snapshotPath(o));
    });
    await this.ioAsync(async () => {
      await this.syncSegments(this.segments);
      await this.fs.syncDir(this.dir);
    });
    await this.leaderEpochCache.flush();
  }

  private afterTruncate(newEnd: number): void {
    this.nextOffset = newEnd;
    // Appends past the cut are gone; the ones before it still count when their writes land.
    this.unwritten = this.unwritten.filter((u) => u.start < newEnd);
    for (const w of this.writtenWaiters) if (w.offset > newEnd) w.offset = newEnd;
    this.advanceWritten();
    if (this.startOffset > newEnd) this.startOffset = newEnd;
    if (this.recoveryPointOffset > newEnd) this.recoveryPointOffset = newEnd;
    if (this.syncedOffset > newEnd) this.syncedOffset = newEnd;
    this.tail.clear();
    this.leaderEpochCache.truncateFromEnd(newEnd);
    // Whoever waits for a truncated offset will never see it durable.
    const lost = this.flushWaiters.filter((w) => w.offset > newEnd);
    if (lost.length > 0) {
      this.flushWaiters = this.flushWaiters.filter((w) => w.offset <= newEnd);
      const err = new StorageError('NOT_LEADER_OR_FOLLOWER', `offsets from ${newEnd} were truncated before they became durable`);
      for (const w of lost) w.reject(err);
    }
  }

  /** Takes a segment out of service: renamed `.deleted` now, unlinked after file.delete.delay.ms. */
  private retire(seg: LogSegment, alreadyRenamed = false): void {
    seg.retired = true;
    if (!alreadyRenamed) seg.renameAll(DELETED_SUFFIX);
    const paths = [LOG_SUFFIX, INDEX_SUFFIX, TIME_INDEX_SUFFIX, TXN_INDEX_SUFFIX].map((s) => seg.filePath(s) + DELETED_SUFFIX);
    this.scheduler.schedule(`delete ${seg.filePath(LOG_SUFFIX)}`, this.config['file.delete.delay.ms'], () => {
      seg.close();
      for (const p of paths) {
        try {
          this.fs.unlink(p);
        } catch (err) {
          if (errorCode(err) !== 'ENOENT') throw err;
        }
      }
    });
  }

  /**
   * Moves the log start offset forward (DeleteRecords, or a follower
   * following its leader). The caller checks it is <= the high watermark.
   * Whole segments below it go at the next retention pass.
   */
  maybeIncrementLogStartOffset(offset: number): boolean {
    this.checkUsable();
    if (offset <= this.startOffset) return false;
    if (offset > this.nextOffset) throw new OffsetOutOfRangeError(offset, this.startOffset, this.nextOffset);
    this.startOffset = offset;
    this.leaderEpochCache.truncateFromStart(offset);
    void this.leaderEpochCache.flush().catch((err: unknown) => this.goOffline(err));
    return true;
  }

  /**
   * Deletes whole segments by retention.ms, retention.bytes (when
   * cleanup.policy has delete) and the log start offset. Only segments that
   * end at or below `highWatermark` are eligible. Returns how many went.
   */
  deleteOldSegments(highWatermark: number = this.nextOffset): number {
    this.checkUsable();
    const policy = this.config['cleanup.policy'];
    const nowMs = this.clock.nowMs();
    let deleted = this.deleteSegmentsWhile(highWatermark, (seg, next) => next !== undefined && next.baseOffset <= this.startOffset);
    if (policy.delete) {
      const retentionMs = this.config['retention.ms'];
      if (retentionMs >= 0) {
        deleted += this.deleteSegmentsWhile(highWatermark, (seg) => nowMs - seg.largestTimestamp(seg.createdMs) > retentionMs);
      }
      const retentionBytes = this.config['retention.bytes'];
      if (retentionBytes >= 0) {
        let excess = this.sizeBytes - retentionBytes;
        deleted += this.deleteSegmentsWhile(highWatermark, (seg) => {
          if (excess - seg.sizeBytes < 0) return false;
          excess -= seg.sizeBytes;
          return true;
        });
      }
    }
    return deleted;
  }

  private deleteSegmentsWhile(highWatermark: number, predicate: (seg: LogSegment, next: LogSegment | undefined) => boolean): number {
    const doomed: LogSegment[] = [];
    for (let i = 0; i < this.segments.length; i++) {
      const seg = this.segments[i]!;
      const next = this.segments[i + 1];
      const upperBound = next?.baseOffset ?? this.nextOffset;
      const lastAndEmpty = next === undefined && seg.isEmpty;
      if (upperBound > highWatermark || lastAndEmpty || !predicate(seg, next)) break;
      doomed.push(seg);
    }
    if (doomed.length === 0) return 0;
    this.io(() => {
      if (doomed.length === this.segments.length) this.roll(this.nextOffset);
      this.segments.splice(0, doomed.length);
      for (const seg of doomed) this.retire(seg);
    });
    const newStart = this.segments[0]!.baseOffset;
    this.abortedTxns = this.abortedTxns.filter((t) => t.lastOffset >= newStart);
    if (newStart > this.startOffset) {
      this.startOffset = Math.min(newStart, this.nextOffset);
      this.leaderEpochCache.truncateFromStart(this.startOffset);
      void this.leaderEpochCache.flush().catch((err: unknown) => this.goOffline(err));
    }
    return doomed.length;
  }

  // ==========================================================================
  // Lifecycle

  /** Flushes everything (data, indexes, checkpoints) and closes the files. */
  async close(): Promise<void> {
    if (this.closed) return;
    if (this.offlineError === undefined) {
      this.active.onBecomeInactive();
      await this.flushRecoveryPoint(this.nextOffset);
      await this.scheduleSnapshot(this.nextOffset);
      await this.leaderEpochCache.flush();
    }
    this.closed = true;
    for (const seg of this.segments) seg.close();
  }

  private rejectWaiters(err: unknown): void {
    const waiters = [...this.flushWaiters, ...this.writtenWaiters];
    this.flushWaiters = [];
    this.writtenWaiters = [];
    for (const w of waiters) w.reject(err);
  }

  /** Closes without flushing (an offline log, or a simulated crash). */
  closeAbruptly(): void {
    this.closed = true;
    this.rejectWaiters(new StorageError('KAFKA_STORAGE_ERROR', `log ${this.dir} closed before the flush`));
    for (const seg of this.segments) {
      try {
        seg.abandon();
      } catch {
        // The handle is already unusable; nothing more to release.
      }
    }
  }

  /** Removes the partition directory after closing (topic deletion). */
  async deleteAll(): Promise<void> {
    this.closeAbruptly();
    this.fs.removeTree(this.dir);
    await this.fs.syncDir(dirname(this.dir));
  }

  // -- cleaner hooks (see cleaner.ts) ------------------------------------------

  /** @internal segments the cleaner may read: all but the active one. */
  inactiveSegments(): readonly LogSegment[] {
    return this.segments.slice(0, -1);
  }

  /** @internal */
  get truncationCount(): number {
    return this.truncations;
  }

  /** @internal the settings new segments are made with. */
  get segmentSettings(): SegmentSettings {
    return segmentSettings(this.config);
  }

  /** @internal the file system, for the cleaner's output. */
  get fileSystem(): FileSystem {
    return this.fs;
  }

  /**
   * @internal Replaces `old` (consecutive inactive segments) with `replacement`
   * whose files are durable under their `.cleaned` names. Returns false when
   * the log changed underneath (truncated or the segments were deleted).
   */
  async swapSegments(old: readonly LogSegment[], replacement: LogSegment, truncationsAtStart: number, renameToFinal: () => void): Promise<boolean> {
    this.checkUsable();
    if (this.truncations !== truncationsAtStart) return false;
    const first = this.segments.indexOf(old[0]!);
    if (first < 0 || first + old.length >= this.segments.length) return false;
    for (let i = 0; i < old.length; i++) if (this.segments[first + i] !== old[i]) return false;
    this.io(() => {
      renameToFinal();
      this.segments.splice(first, old.length, this.adopt(replacement));
      // Cached batches of the replaced range are pre-compaction bytes: serve the cleaned ones.
      this.tail.dropBelow(this.segments[first + 1]!.baseOffset);
      for (const seg of old) this.retire(seg, seg.baseOffset === replacement.baseOffset);
      // The old `.txnindex` files went with the old segments: the replacement's comes from memory.
      this.rewriteTxnIndex(first);
    });
    await this.ioAsync(() => this.fs.syncDir(this.dir));
    return true;
  }
}
