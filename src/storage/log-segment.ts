/**
 * One segment of a partition log: `<base>.log` holding record batches back to
 * back, with its offset and time indexes kept in memory and persisted to
 * `<base>.index` / `<base>.timeindex`.
 *
 * The segment never decodes records. Appends hand it bytes that the log has
 * already framed, plus one call per batch to keep the sparse indexes; reads
 * locate a batch through the index and a short header scan, then hand back
 * raw bytes.
 */
import type { FileHandle, FileSystem } from '../platform/file-system.js';
import { errorCode, joinPath } from '../platform/file-system.js';
import {
  BATCH_HEADER_BYTES,
  BATCH_LENGTH_AT,
  LAST_OFFSET_DELTA_AT,
  LOG_OVERHEAD_BYTES,
  MAX_TIMESTAMP_AT,
  PARTITION_LEADER_EPOCH_AT,
  readInt64Number,
  validateBatch,
} from '../protocol/records/batch-header.js';
import { INDEX_SUFFIX, LOG_SUFFIX, TIME_INDEX_SUFFIX, TXN_INDEX_SUFFIX, segmentFileName } from './file-names.js';
import { IndexCorruptError, OffsetIndex } from './offset-index.js';
import { TimeIndex } from './time-index.js';
import { WriteBehindFile } from './write-behind-file.js';

export interface SegmentSettings {
  indexIntervalBytes: number;
  indexMaxBytes: number;
}

/** Where a batch sits and what the log needs to know about it, from its header only. */
export interface BatchLocation {
  position: number;
  sizeBytes: number;
  baseOffset: number;
  lastOffset: number;
  maxTimestamp: number;
  partitionLeaderEpoch: number;
}

/** Result of scanning a segment during recovery. */
export interface SegmentRecovery {
  /** Bytes cut off the end because they were not valid batches. */
  truncatedBytes: number;
  validBytes: number;
  batches: number;
  /** Leader epochs in the order their batches appear, as (epoch, first base offset). */
  epochStarts: { epoch: number; startOffset: number }[];
  /** Why the scan stopped early, when it did. */
  stopReason?: string;
}

const RECOVERY_CHUNK_BYTES = 8 * 1024 * 1024;

export class LogSegment {
  /** The .log file; appends are written behind (write-behind-file.ts), reads see them at once. */
  readonly log: WriteBehindFile;
  /** Set by the owning log: a background write failed (the log goes offline). */
  onWriteError: ((err: unknown) => void) | undefined;
  /** Set by the owning log: the background write carrying this tag (the log's write sequence) is in the file. */
  onWritten: ((tag: number) => void) | undefined;
  /** The largest tag reported by onWritten (the owning log keeps it). */
  writtenTag = -1;
  offsetIndex: OffsetIndex;
  timeIndex: TimeIndex;
  sizeBytes: number;
  /** One past the last offset stored here; baseOffset when empty. */
  nextOffset: number;
  maxTimestamp = -1;
  offsetOfMaxTimestamp = -1;
  /** The first batch's max timestamp: what segment.ms counts from (Kafka's rule). */
  rollingBasedTimestamp: number | undefined;
  /** Bytes of the .log file known durable. */
  syncedBytes: number;
  /** True until the directory entry for this segment's files has been synced. */
  needsDirSync: boolean;
  /** Taken out of the log (renamed .deleted): no more index or sync work. */
  retired = false;
  /** Index files match the in-memory indexes and are synced. */
  private indexFilesSynced = false;
  private bytesSinceLastIndexEntry = 0;
  private closed = false;

  private constructor(
    private readonly fs: FileSystem,
    readonly dir: string,
    readonly baseOffset: number,
    readonly settings: SegmentSettings,
    log: FileHandle,
    sizeBytes: number,
    readonly createdMs: number,
    isNew: boolean,
  ) {
    this.log = new WriteBehindFile(log, {
      onError: (err) => this.onWriteError?.(err),
      onWritten: (tag) => this.onWritten?.(tag),
    });
    this.sizeBytes = sizeBytes;
    this.syncedBytes = isNew ? 0 : sizeBytes;
    this.needsDirSync = isNew;
    this.nextOffset = baseOffset;
    this.offsetIndex = new OffsetIndex(baseOffset, OffsetIndex.maxEntriesFor(settings.indexMaxBytes));
    this.timeIndex = new TimeIndex(baseOffset, TimeIndex.maxEntriesFor(settings.indexMaxBytes));
  }

  static create(fs: FileSystem, dir: string, baseOffset: number, settings: SegmentSettings, nowMs: number): LogSegment {
    const path = joinPath(dir, segmentFileName(baseOffset, LOG_SUFFIX));
    const handle = fs.open(path, 'create');
    // A leftover from a crashed earlier life of this offset is not ours.
    if (handle.sizeBytes() > 0) handle.truncate(0);
    for (const suffix of [INDEX_SUFFIX, TIME_INDEX_SUFFIX, TXN_INDEX_SUFFIX]) {
      const p = joinPath(dir, segmentFileName(baseOffset, suffix));
      if (fs.stat(p) !== undefined) fs.unlink(p);
    }
    return new LogSegment(fs, dir, baseOffset, settings, handle, 0, nowMs, true);
  }

  /**
   * Opens an existing segment; indexes are empty until loadIndexes or
   * recover. `path` overrides the file (the cleaner opens its output under a
   * temporary name, then renames it into place; the handle follows the file).
   */
  static open(fs: FileSystem, dir: string, baseOffset: number, settings: SegmentSettings, nowMs: number, path?: string): LogSegment {
    path ??= joinPath(dir, segmentFileName(baseOffset, LOG_SUFFIX));
    const handle = fs.open(path, 'readWrite');
    const mtime = fs.stat(path)?.mtimeMs ?? nowMs;
    return new LogSegment(fs, dir, baseOffset, settings, handle, handle.sizeBytes(), mtime, false);
  }

  filePath(suffix: string): string {
    return joinPath(this.dir, segmentFileName(this.baseOffset, suffix));
  }

  get isEmpty(): boolean {
    return this.sizeBytes === 0;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Largest timestamp here, or the file's age when no batch carried one (Kafka's rule). */
  largestTimestamp(fallbackMs: number): number {
    return this.maxTimestamp >= 0 ? this.maxTimestamp : fallbackMs;
  }

  get indexesFull(): boolean {
    return this.offsetIndex.isFull || this.timeIndex.isFull;
  }

  // -- append ----------------------------------------------------------------

  /**
   * Appends bytes at the end of the file: readable at once; in the file
   * already when this returns true, else once `onWritten` reports `tag`.
   * Throws (with nothing indexed) when the write fails on the spot or the
   * file already failed; a later failure reaches `onWriteError`.
   */
  write(bytes: Buffer, tag = -1): boolean {
    const inFile = this.log.write(bytes, this.sizeBytes, tag);
    this.sizeBytes += bytes.length;
    return inFile;
  }

  /** Records one batch that `write` just stored, keeping the sparse indexes. */
  indexBatch(lastOffset: number, position: number, maxTimestamp: number, sizeBytes: number): void {
    if (this.rollingBasedTimestamp === undefined) this.rollingBasedTimestamp = maxTimestamp;
    if (maxTimestamp > this.maxTimestamp) {
      this.maxTimestamp = maxTimestamp;
      this.offsetOfMaxTimestamp = lastOffset;
    }
    // A full index only gets sparser (the log rolls before the next append).
    if (this.bytesSinceLastIndexEntry > this.settings.indexIntervalBytes && !this.indexesFull) {
      this.offsetIndex.append(lastOffset, position);
      // Batches without timestamps (magic 0, up-converted) leave nothing to index by time.
      if (this.maxTimestamp >= 0) this.timeIndex.maybeAppend(this.maxTimestamp, this.offsetOfMaxTimestamp);
      this.bytesSinceLastIndexEntry = 0;
      this.indexFilesSynced = false;
    }
    this.bytesSinceLastIndexEntry += sizeBytes;
    this.nextOffset = lastOffset + 1;
  }

  /** When the segment stops being active: the time index gets its final entry so reloads know the max timestamp. */
  onBecomeInactive(): void {
    if (this.maxTimestamp < 0) return;
    const before = this.timeIndex.entries;
    this.timeIndex.maybeAppend(this.maxTimestamp, this.offsetOfMaxTimestamp, true);
    if (this.timeIndex.entries !== before) this.indexFilesSynced = false;
  }

  // -- reading ---------------------------------------------------------------

  /** Reads the header of the batch at `position` (synchronously: a few bytes, page-cached). */
  readLocation(position: number, scratch: Buffer = Buffer.allocUnsafe(BATCH_HEADER_BYTES)): BatchLocation | undefined {
    if (position + LOG_OVERHEAD_BYTES > this.sizeBytes) return undefined;
    const n = this.log.read(scratch, 0, BATCH_HEADER_BYTES, position);
    if (n < BATCH_HEADER_BYTES) return undefined;
    return locationFromHeader(scratch, 0, position);
  }

  /**
   * The first batch whose last offset is >= target, starting from the index
   * hint; undefined when the segment holds nothing at or after target.
   */
  findBatch(targetOffset: number): BatchLocation | undefined {
    let position = this.offsetIndex.lookup(targetOffset).position;
    const scratch = Buffer.allocUnsafe(BATCH_HEADER_BYTES);
    for (;;) {
      const loc = this.readLocation(position, scratch);
      if (loc === undefined) return undefined;
      if (loc.lastOffset >= targetOffset) return loc;
      position += loc.sizeBytes;
    }
  }

  /**
   * Whole batches from `position`, at most `maxBytes` unless the first one is
   * larger and `minOneBatch` is set, stopping before any batch whose base
   * offset is >= `maxOffset`. Returns the bytes and the offset after them.
   */
  async readBatches(
    first: BatchLocation,
    maxBytes: number,
    maxOffset: number,
    minOneBatch: boolean,
  ): Promise<{ bytes: Buffer; nextOffset: number } | undefined> {
    if (first.baseOffset >= maxOffset) return undefined;
    let want = Math.min(maxBytes, this.sizeBytes - first.position);
    if (first.sizeBytes > want) {
      if (!minOneBatch) return undefined;
      want = first.sizeBytes;
    }
    const buf = Buffer.allocUnsafe(want);
    const n = await this.log.readAsync(buf, 0, want, first.position);
    let at = 0;
    let nextOffset = first.baseOffset;
    while (at + BATCH_HEADER_BYTES <= n) {
      const loc = locationFromHeader(buf, at, first.position + at);
      if (loc.sizeBytes < BATCH_HEADER_BYTES || at + loc.sizeBytes > n || loc.baseOffset >= maxOffset) break;
      at += loc.sizeBytes;
      nextOffset = loc.lastOffset + 1;
    }
    if (at === 0) return undefined;
    return { bytes: buf.subarray(0, at), nextOffset };
  }

  /** The first batch with maxTimestamp >= target, scanning from the time index hint. */
  findBatchByTimestamp(targetTimestamp: number): BatchLocation | undefined {
    if (this.maxTimestamp >= 0 && this.maxTimestamp < targetTimestamp) return undefined;
    const hint = this.timeIndex.lookup(targetTimestamp);
    let position = this.offsetIndex.lookup(hint.offset).position;
    const scratch = Buffer.allocUnsafe(BATCH_HEADER_BYTES);
    for (;;) {
      const loc = this.readLocation(position, scratch);
      if (loc === undefined) return undefined;
      if (loc.maxTimestamp >= targetTimestamp) return loc;
      position += loc.sizeBytes;
    }
  }

  /** Reads one whole batch into memory. */
  readBatch(loc: BatchLocation): Buffer {
    const buf = Buffer.allocUnsafe(loc.sizeBytes);
    const n = this.log.read(buf, 0, loc.sizeBytes, loc.position);
    return buf.subarray(0, n);
  }

  // -- truncation ------------------------------------------------------------

  /**
   * Removes every batch whose last offset is >= `offset`. Returns the base
   * offset of the first batch removed (or undefined when nothing was).
   */
  truncateTo(offset: number): number | undefined {
    const loc = this.findBatch(offset);
    if (loc === undefined) return undefined;
    this.truncateToPosition(loc.position);
    return loc.baseOffset;
  }

  /** Cuts the file at `position` and forgets index entries beyond it; max timestamp is recomputed by the caller via rebuild if needed. */
  truncateToPosition(position: number): void {
    this.indexFilesSynced = false;
    this.log.truncate(position);
    this.sizeBytes = position;
    if (this.syncedBytes > position) this.syncedBytes = position;
    this.offsetIndex.truncateToPosition(position);
    const last = this.offsetIndex.lastEntry();
    this.timeIndex.truncateToOffset(this.offsetIndex.entries === 0 ? this.baseOffset : last.offset + 1);
    this.bytesSinceLastIndexEntry = 0;
    this.rescanTail();
  }

  /**
   * Recomputes nextOffset and max timestamp from the last index entry to the
   * end of the file: a few batches, since entries are index.interval.bytes apart.
   */
  rescanTail(): void {
    const last = this.offsetIndex.lastEntry();
    const te = this.timeIndex.lastEntry();
    this.maxTimestamp = te.timestamp;
    this.offsetOfMaxTimestamp = te.timestamp >= 0 ? te.offset : -1;
    this.nextOffset = this.offsetIndex.entries === 0 ? this.baseOffset : last.offset + 1;
    if (this.offsetIndex.entries === 0) this.rollingBasedTimestamp = undefined;
    let position = last.position;
    const scratch = Buffer.allocUnsafe(BATCH_HEADER_BYTES);
    let first = true;
    for (;;) {
      const loc = this.readLocation(position, scratch);
      if (loc === undefined) break;
      if (first && this.offsetIndex.entries === 0) this.rollingBasedTimestamp = loc.maxTimestamp;
      first = false;
      if (loc.maxTimestamp > this.maxTimestamp) {
        this.maxTimestamp = loc.maxTimestamp;
        this.offsetOfMaxTimestamp = loc.lastOffset;
      }
      this.nextOffset = Math.max(this.nextOffset, loc.lastOffset + 1);
      position += loc.sizeBytes;
    }
    if (this.rollingBasedTimestamp === undefined && this.sizeBytes > 0) {
      const firstLoc = this.readLocation(0, scratch);
      if (firstLoc !== undefined) this.rollingBasedTimestamp = firstLoc.maxTimestamp;
    }
  }

  // -- recovery --------------------------------------------------------------

  /**
   * Scans every batch, checks framing and CRC and that offsets ascend from
   * `expectedNextOffset`, rebuilds both indexes, and cuts the file at the
   * first batch that fails. Used after an unclean stop and whenever an index
   * cannot be trusted.
   */
  async recover(expectedNextOffset: number): Promise<SegmentRecovery> {
    // What survived a crash may sit only in the page cache: sync it again.
    this.syncedBytes = 0;
    this.indexFilesSynced = false;
    this.offsetIndex.reset();
    this.timeIndex.reset();
    this.maxTimestamp = -1;
    this.offsetOfMaxTimestamp = -1;
    this.rollingBasedTimestamp = undefined;
    this.bytesSinceLastIndexEntry = 0;
    this.nextOffset = this.baseOffset;
    const fileBytes = this.log.sizeBytes();
    this.sizeBytes = fileBytes;
    const result: SegmentRecovery = { truncatedBytes: 0, validBytes: 0, batches: 0, epochStarts: [] };
    let lastEpoch = -2;
    let minNextOffset = Math.max(expectedNextOffset, this.baseOffset);
    let chunk = Buffer.allocUnsafe(Math.min(RECOVERY_CHUNK_BYTES, Math.max(fileBytes, BATCH_HEADER_BYTES)));
    let chunkStart = 0;
    let chunkLength = 0;
    let position = 0;
    while (position < fileBytes) {
      // Make sure the chunk holds the header, then the whole batch.
      if (position + BATCH_HEADER_BYTES > chunkStart + chunkLength) {
        chunkStart = position;
        chunkLength = await this.log.readAsync(chunk, 0, Math.min(chunk.length, fileBytes - position), position);
      }
      let at = position - chunkStart;
      if (at + LOG_OVERHEAD_BYTES > chunkLength) {
        result.stopReason = 'torn batch header at end of file';
        break;
      }
      const size = LOG_OVERHEAD_BYTES + chunk.readInt32BE(at + BATCH_LENGTH_AT);
      if (size >= BATCH_HEADER_BYTES && position + size <= fileBytes && at + size > chunkLength) {
        if (size > chunk.length) chunk = Buffer.allocUnsafe(size);
        chunkStart = position;
        chunkLength = await this.log.readAsync(chunk, 0, Math.min(chunk.length, fileBytes - position), position);
        at = 0;
      }
      const check = validateBatch(chunk, at, chunkLength, { origin: 'log' });
      if (!check.ok) {
        result.stopReason = `${check.fault}: ${check.message}`;
        break;
      }
      const h = check.header;
      if (h.baseOffset < minNextOffset) {
        result.stopReason = `offset ${h.baseOffset} does not follow ${minNextOffset - 1}`;
        break;
      }
      const lastOffset = h.baseOffset + h.lastOffsetDelta;
      if (lastOffset - this.baseOffset > 0x7fffffff) {
        result.stopReason = `offset ${lastOffset} overflows the segment based at ${this.baseOffset}`;
        break;
      }
      if (h.partitionLeaderEpoch !== lastEpoch) {
        if (h.partitionLeaderEpoch > lastEpoch) result.epochStarts.push({ epoch: h.partitionLeaderEpoch, startOffset: h.baseOffset });
        lastEpoch = h.partitionLeaderEpoch;
      }
      this.indexBatch(lastOffset, position, h.maxTimestamp, check.sizeBytes);
      minNextOffset = lastOffset + 1;
      position += check.sizeBytes;
      result.batches++;
    }
    result.validBytes = position;
    if (position < fileBytes) {
      result.truncatedBytes = fileBytes - position;
      this.log.truncate(position);
      this.sizeBytes = position;
    }
    if (this.syncedBytes > this.sizeBytes) this.syncedBytes = this.sizeBytes;
    return result;
  }

  /**
   * Loads both index files, checking them against the segment; returns false
   * (leaving empty indexes) when either is missing or fails a check, so the
   * caller rebuilds with recover().
   */
  loadIndexes(nextOffsetLimit: number): boolean {
    try {
      const idx = this.fs.readFile(this.filePath(INDEX_SUFFIX));
      const tidx = this.fs.readFile(this.filePath(TIME_INDEX_SUFFIX));
      this.offsetIndex = OffsetIndex.decode(this.baseOffset, this.offsetIndex.maxEntries, idx, this.sizeBytes, nextOffsetLimit);
      this.timeIndex = TimeIndex.decode(this.baseOffset, this.timeIndex.maxEntries, tidx, nextOffsetLimit);
      if (this.sizeBytes > 0 && this.offsetIndex.entries === 0 && idx.length > 0) return this.failLoad();
      this.rescanTail();
      this.indexFilesSynced =
        idx.length === this.offsetIndex.sizeBytes && tidx.length === this.timeIndex.sizeBytes;
      return true;
    } catch (err) {
      if (err instanceof IndexCorruptError || errorCode(err) === 'ENOENT') return this.failLoad();
      throw err;
    }
  }

  private failLoad(): false {
    this.offsetIndex = new OffsetIndex(this.baseOffset, this.offsetIndex.maxEntries);
    this.timeIndex = new TimeIndex(this.baseOffset, this.timeIndex.maxEntries);
    return false;
  }

  // -- durability ------------------------------------------------------------

  /** fdatasync of the .log only: what an acks=all produce waits for. */
  async syncData(): Promise<void> {
    const size = this.sizeBytes;
    if (this.syncedBytes >= size || this.retired || this.closed) return;
    await this.log.datasync();
    if (size > this.syncedBytes) this.syncedBytes = Math.min(size, this.sizeBytes);
  }

  /**
   * Writes index entries not yet in their files (rewriting after a
   * truncation) and syncs them: after this the index files can be trusted.
   */
  async persistIndexes(): Promise<void> {
    if (this.retired || this.closed || this.indexFilesSynced) return;
    const work: Promise<void>[] = [];
    const persist = (suffix: string, index: OffsetIndex | TimeIndex, entryBytes: number): void => {
      const path = this.filePath(suffix);
      const handle = this.fs.open(path, 'create');
      try {
        const from = index.persistedEntries;
        if (handle.sizeBytes() !== from * entryBytes) handle.truncate(from * entryBytes);
        if (index.entries > from) handle.write(index.encode(from), from * entryBytes);
        index.persistedEntries = index.entries;
        work.push(handle.datasync().finally(() => handle.close()));
      } catch (err) {
        handle.close();
        throw err;
      }
    };
    persist(INDEX_SUFFIX, this.offsetIndex, 8);
    persist(TIME_INDEX_SUFFIX, this.timeIndex, 12);
    await Promise.all(work);
    if (this.offsetIndex.persistedEntries === this.offsetIndex.entries && this.timeIndex.persistedEntries === this.timeIndex.entries) {
      this.indexFilesSynced = true;
    }
  }

  /** Closes the file once its queued writes are in it. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.log.close();
  }

  /** Closes dropping writes not yet started (a simulated crash, a deleted partition). */
  abandon(): void {
    this.closed = true;
    this.log.abandon();
  }

  /** Renames all files of this segment with an extra suffix (e.g. '.deleted'). */
  renameAll(extraSuffix: string): void {
    for (const suffix of [LOG_SUFFIX, INDEX_SUFFIX, TIME_INDEX_SUFFIX, TXN_INDEX_SUFFIX]) {
      const from = this.filePath(suffix);
      if (this.fs.stat(from) !== undefined) this.fs.rename(from, from + extraSuffix);
    }
  }
}

export function locationFromHeader(buf: Buffer, at: number, position: number): BatchLocation {
  const baseOffset = readInt64Number(buf, at);
  return {
    position,
    sizeBytes: LOG_OVERHEAD_BYTES + buf.readInt32BE(at + BATCH_LENGTH_AT),
    baseOffset,
    lastOffset: baseOffset + buf.readInt32BE(at + LAST_OFFSET_DELTA_AT),
    maxTimestamp: readInt64Number(buf, at + MAX_TIMESTAMP_AT),
    partitionLeaderEpoch: buf.readInt32BE(at + PARTITION_LEADER_EPOCH_AT),
  };
}
