/**
 * A minimal partition log until src/storage's Log is ready: one segment file
 * in Kafka's naming (`<topic>-<p>/00000000000000000000.log`, batches back to
 * back) and an in-memory list of batch positions rebuilt on open.
 *
 * - Recovery: every batch is CRC-checked on open; the file is truncated at
 *   the first torn or invalid batch.
 * - Durability: `flush()` is a group commit. While one fdatasync runs, later
 *   callers share the next one, so many acks=all producers cost one sync.
 * - Not here (the storage engine's job): segment rolling, indexes on disk,
 *   retention, compaction, a tail cache.
 */
import type { FileHandle, FileSystem } from '../../platform/file-system.js';
import { joinPath } from '../../platform/file-system.js';
import { segmentFileName, LOG_SUFFIX } from '../../storage/file-names.js';
import {
  iterateBatches,
  readBatchHeader,
  setBaseOffset,
  setMaxTimestampAndLogAppendTime,
  setPartitionLeaderEpoch,
  validateBatch,
  BATCH_HEADER_BYTES,
  LOG_OVERHEAD_BYTES,
  BATCH_LENGTH_AT,
} from '../../protocol/records/index.js';
import type { AppendResult, PartitionLog, ReadResult } from './partition-log.js';

interface BatchEntry {
  baseOffset: number;
  lastOffset: number;
  position: number;
  sizeBytes: number;
  maxTimestamp: number;
}

export class FilePartitionLog implements PartitionLog {
  private readonly entries: BatchEntry[] = [];
  private sizeBytes = 0;
  private endOffset = 0;
  private flushedOffset = 0;
  private syncing: Promise<void> | null = null;
  private nextSync: Promise<void> | null = null;
  private closed = false;
  /** Bytes cut off a damaged tail when the log was opened. */
  truncatedBytes = 0;

  private constructor(
    readonly dir: string,
    private readonly handle: FileHandle,
  ) {}

  static open(fs: FileSystem, dir: string): FilePartitionLog {
    fs.mkdir(dir);
    const handle = fs.open(joinPath(dir, segmentFileName(0, LOG_SUFFIX)), 'create');
    const log = new FilePartitionLog(dir, handle);
    log.recover();
    return log;
  }

  private recover(): void {
    const fileBytes = this.handle.sizeBytes();
    const header = Buffer.allocUnsafe(BATCH_HEADER_BYTES);
    let position = 0;
    while (position + LOG_OVERHEAD_BYTES <= fileBytes) {
      const got = this.handle.read(header, 0, Math.min(BATCH_HEADER_BYTES, fileBytes - position), position);
      if (got < BATCH_HEADER_BYTES) break;
      const size = LOG_OVERHEAD_BYTES + header.readInt32BE(BATCH_LENGTH_AT);
      if (size < BATCH_HEADER_BYTES || position + size > fileBytes) break;
      const batch = Buffer.allocUnsafe(size);
      this.handle.read(batch, 0, size, position);
      const check = validateBatch(batch, 0, size, { origin: 'log' });
      if (!check.ok || check.header.baseOffset !== this.endOffset) break;
      this.entries.push({
        baseOffset: check.header.baseOffset,
        lastOffset: check.header.baseOffset + check.header.lastOffsetDelta,
        position,
        sizeBytes: size,
        maxTimestamp: check.header.maxTimestamp,
      });
      this.endOffset = check.header.baseOffset + check.header.lastOffsetDelta + 1;
      position += size;
    }
    if (position < fileBytes) {
      this.truncatedBytes = fileBytes - position;
      this.handle.truncate(position);
    }
    this.sizeBytes = position;
    this.flushedOffset = this.endOffset;
  }

  get logStartOffset(): number {
    return 0;
  }

  get logEndOffset(): number {
    return this.endOffset;
  }

  get highWatermark(): number {
    return this.endOffset;
  }

  append(batches: Buffer, leaderEpoch: number, logAppendTimeMs: number | null): AppendResult {
    if (this.closed) throw new Error(`log ${this.dir} is closed`);
    const firstOffset = this.endOffset;
    const walk = iterateBatches(batches);
    let next = this.endOffset;
    const added: BatchEntry[] = [];
    let position = this.sizeBytes;
    for (const span of walk.batches) {
      const header = readBatchHeader(batches, span.offset);
      setBaseOffset(batches, span.offset, next);
      setPartitionLeaderEpoch(batches, span.offset, leaderEpoch);
      let maxTimestamp = header.maxTimestamp;
      if (logAppendTimeMs !== null) {
        setMaxTimestampAndLogAppendTime(batches, span.offset, logAppendTimeMs);
        maxTimestamp = logAppendTimeMs;
      }
      added.push({ baseOffset: next, lastOffset: next + header.lastOffsetDelta, position, sizeBytes: span.sizeBytes, maxTimestamp });
      next += header.lastOffsetDelta + 1;
      position += span.sizeBytes;
    }
    const bytes = walk.tailOffset === batches.length ? batches : batches.subarray(0, walk.tailOffset);
    this.handle.write(bytes, this.sizeBytes);
    this.sizeBytes += bytes.length;
    for (const e of added) this.entries.push(e);
    this.endOffset = next;
    return { firstOffset, lastOffset: next - 1, logAppendTimeMs: logAppendTimeMs ?? -1, logStartOffset: 0 };
  }

  /** Index of the first batch whose last offset is at or after `offset`. */
  private findBatch(offset: number): number {
    let lo = 0;
    let hi = this.entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.entries[mid]!.lastOffset < offset) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  read(offset: number, maxBytes: number, minOneBatch: boolean): ReadResult {
    const first = this.findBatch(offset);
    let end = first;
    let bytes = 0;
    while (end < this.entries.length) {
      const size = this.entries[end]!.sizeBytes;
      if (bytes + size > maxBytes && !(minOneBatch && end === first)) break;
      bytes += size;
      end++;
    }
    const base = { highWatermark: this.endOffset, logStartOffset: 0 };
    if (bytes === 0) return { records: null, ...base };
    const records = Buffer.allocUnsafe(bytes);
    this.handle.read(records, 0, bytes, this.entries[first]!.position);
    return { records, ...base };
  }

  private readEntry(entry: BatchEntry): Buffer {
    const batch = Buffer.allocUnsafe(entry.sizeBytes);
    this.handle.read(batch, 0, entry.sizeBytes, entry.position);
    return batch;
  }

  batchAtTimestamp(timestampMs: number): { baseOffset: number; batch: Buffer } | null {
    const entry = this.entries.find((e) => e.maxTimestamp >= timestampMs);
    return entry === undefined ? null : { baseOffset: entry.baseOffset, batch: this.readEntry(entry) };
  }

  batchWithMaxTimestamp(): { baseOffset: number; batch: Buffer } | null {
    let best: BatchEntry | undefined;
    for (const e of this.entries) if (best === undefined || e.maxTimestamp > best.maxTimestamp) best = e;
    return best === undefined ? null : { baseOffset: best.baseOffset, batch: this.readEntry(best) };
  }

  flush(): Promise<void> {
    if (this.flushedOffset >= this.endOffset && this.syncing === null) return Promise.resolve();
    if (this.syncing === null) {
      this.syncing = this.sync();
      return this.syncing;
    }
    // A sync is running and may have started before our write: share the next one.
    this.nextSync ??= this.syncing.then(
      () => this.startNext(),
      () => this.startNext(),
    );
    return this.nextSync;
  }

  private startNext(): Promise<void> {
    this.nextSync = null;
    this.syncing = this.sync();
    return this.syncing;
  }

  private async sync(): Promise<void> {
    const target = this.endOffset;
    try {
      await this.handle.datasync();
      if (target > this.flushedOffset) this.flushedOffset = target;
    } finally {
      this.syncing = null;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.flush();
    this.closed = true;
    this.handle.close();
  }
}
