/**
 * Log compaction for cleanup.policy=compact (and compact,delete): keeps the
 * last record for every key, keeps offsets, drops tombstones once they are
 * older than delete.retention.ms.
 *
 * A pass over one log:
 *  1. The dirty part runs from the cleaner checkpoint to the first
 *     uncleanable offset: never the active segment, never a segment with a
 *     record younger than min.compaction.lag.ms. Nothing happens below
 *     min.cleanable.dirty.ratio.
 *  2. Scan the dirty part, mapping each key to its last offset.
 *  3. Rewrite every inactive segment up to the uncleanable offset, one by one:
 *     batches whose records all survive are copied byte for byte; others are
 *     rebuilt with the survivors (same base offset, offset deltas, timestamps,
 *     producer fields and codec); empty ones vanish.
 *  4. Swap each rewritten segment in (below). Appends never wait: they only
 *     touch the active segment, and the swap itself is synchronous.
 *
 * Swap protocol, safe at every crash point:
 *   write <base>.log.cleaned, fdatasync
 *   rename .cleaned -> .swap; old files -> .deleted; .swap -> .log   (one synchronous step)
 *   sync the directory; write the new index files later
 * At open, a leftover .cleaned is deleted (the original is intact), a .swap
 * replaces its .log and the index files of that base are rebuilt.
 */
import type { Clock } from '../platform/clock.js';
import type { FileSystem } from '../platform/file-system.js';
import { BATCH_HEADER_BYTES, BATCH_LENGTH_AT, LOG_OVERHEAD_BYTES } from '../protocol/records/batch-header.js';
import { buildRecordBatch } from '../protocol/records/batch-builder.js';
import { decodeRecordBatch, type DecodedBatch } from '../protocol/records/batch-decoder.js';
import { isCompressionCodec } from '../protocol/compression/codec.js';
import { OffsetCheckpointFile } from './checkpoint.js';
import { CLEANED_SUFFIX, LOG_SUFFIX, SWAP_SUFFIX, topicPartitionKey, type TopicPartition } from './file-names.js';
import type { Log } from './log.js';
import { LogSegment } from './log-segment.js';

export interface CleanerOptions {
  fs: FileSystem;
  clock: Clock;
  checkpoint: OffsetCheckpointFile;
}

export interface CleanStats {
  segments: number;
  bytesRead: number;
  bytesWritten: number;
  recordsRead: number;
  recordsKept: number;
}

const READ_CHUNK_BYTES = 4 * 1024 * 1024;

/** Every whole batch of a segment, read in large chunks. */
async function* segmentBatches(seg: LogSegment): AsyncGenerator<{ buf: Buffer; at: number; size: number }> {
  let chunk = Buffer.allocUnsafe(READ_CHUNK_BYTES);
  let position = 0;
  const end = seg.sizeBytes;
  while (position < end) {
    const n = await seg.log.readAsync(chunk, 0, Math.min(chunk.length, end - position), position);
    let at = 0;
    while (at + BATCH_HEADER_BYTES <= n) {
      const size = LOG_OVERHEAD_BYTES + chunk.readInt32BE(at + BATCH_LENGTH_AT);
      if (size < BATCH_HEADER_BYTES) throw new Error(`bad batch length at ${position + at} in ${seg.filePath(LOG_SUFFIX)}`);
      if (at + size > n) break;
      yield { buf: chunk, at, size };
      at += size;
    }
    if (at === 0) {
      // One batch larger than the chunk: grow and retry.
      const size = LOG_OVERHEAD_BYTES + chunk.readInt32BE(BATCH_LENGTH_AT);
      if (size <= chunk.length || position + size > end) throw new Error(`truncated batch at ${position} in ${seg.filePath(LOG_SUFFIX)}`);
      chunk = Buffer.allocUnsafe(size);
      continue;
    }
    position += at;
    // The consumer is done with this chunk's batches before we overwrite it.
    chunk = Buffer.allocUnsafe(chunk.length);
  }
}

function keyOf(key: Buffer | null): string | undefined {
  return key === null ? undefined : key.toString('latin1');
}

export class LogCleaner {
  private readonly firstDirty = new Map<string, { tp: TopicPartition; offset: number }>();
  private readonly running = new Set<string>();
  readonly lastStats = new Map<string, CleanStats>();

  constructor(private readonly opts: CleanerOptions) {
    try {
      for (const [key, entry] of opts.checkpoint.read()) this.firstDirty.set(key, entry);
    } catch {
      // Without a checkpoint everything counts as dirty: more work, same result.
    }
  }

  forget(tp: TopicPartition): void {
    this.firstDirty.delete(topicPartitionKey(tp));
  }

  writeCheckpoint(): Promise<void> {
    return this.opts.checkpoint.write(this.firstDirty.values());
  }

  firstDirtyOffset(log: Log): number {
    const stored = this.firstDirty.get(topicPartitionKey(log.topicPartition))?.offset ?? 0;
    return Math.min(Math.max(stored, log.logStartOffset), log.logEndOffset);
  }

  /**
   * The first offset the cleaner may not touch: the active segment, the first
   * segment too young by min.compaction.lag.ms, or the first open
   * transaction (the last stable offset: what is undecided must stay).
   */
  private firstUncleanableOffset(log: Log, segments: readonly LogSegment[]): number {
    const lagMs = log.logConfig['min.compaction.lag.ms'];
    const nowMs = this.opts.clock.nowMs();
    const activeBase = log.segmentBaseOffsets().at(-1) ?? log.logEndOffset;
    const stable = log.lastStableOffset();
    if (lagMs > 0) {
      for (const seg of segments) {
        if (seg.maxTimestamp >= 0 && nowMs - seg.maxTimestamp < lagMs) return Math.min(seg.baseOffset, stable);
      }
    }
    return Math.min(activeBase, stable);
  }

  /**
   * Whether a transactional batch belongs to an aborted transaction: its
   * producer has an aborted range (first offset .. ABORT marker) around it.
   * Such records never count as a key's latest value and are dropped.
   */
  private abortedCheck(log: Log): (batch: DecodedBatch) => boolean {
    const byProducer = new Map<bigint, Array<{ firstOffset: number; lastOffset: number }>>();
    for (const t of log.abortedTransactionEntries()) {
      const list = byProducer.get(t.producerId) ?? [];
      list.push(t);
      byProducer.set(t.producerId, list);
    }
    return (batch) => {
      if (!batch.header.isTransactional || batch.header.isControl) return false;
      const ranges = byProducer.get(batch.header.producerId);
      const at = batch.header.baseOffset;
      return ranges !== undefined && ranges.some((r) => r.firstOffset <= at && at <= r.lastOffset);
    };
  }

  /** Cleans the log when its dirty ratio reaches min.cleanable.dirty.ratio; true when it did. */
  async maybeClean(log: Log): Promise<boolean> {
    const segments = log.inactiveSegments();
    if (segments.length === 0) return false;
    const firstDirty = this.firstDirtyOffset(log);
    const uncleanable = this.firstUncleanableOffset(log, segments);
    if (uncleanable <= firstDirty) return false;
    let cleanBytes = 0;
    let dirtyBytes = 0;
    for (const seg of segments) {
      if (seg.baseOffset >= uncleanable) break;
      if (seg.nextOffset <= firstDirty) cleanBytes += seg.sizeBytes;
      else dirtyBytes += seg.sizeBytes;
    }
    const total = cleanBytes + dirtyBytes;
    if (total === 0 || dirtyBytes / total < log.logConfig['min.cleanable.dirty.ratio']) return false;
    await this.clean(log);
    return true;
  }

  /** One full pass regardless of the dirty ratio. */
  async clean(log: Log): Promise<CleanStats> {
    const key = topicPartitionKey(log.topicPartition);
    if (this.running.has(key)) throw new Error(`already cleaning ${key}`);
    this.running.add(key);
    try {
      return await this.cleanOnce(log);
    } finally {
      this.running.delete(key);
    }
  }

  private async cleanOnce(log: Log): Promise<CleanStats> {
    const stats: CleanStats = { segments: 0, bytesRead: 0, bytesWritten: 0, recordsRead: 0, recordsKept: 0 };
    const truncationsAtStart = log.truncationCount;
    const segments = log.inactiveSegments().slice();
    const firstDirty = this.firstDirtyOffset(log);
    const uncleanable = this.firstUncleanableOffset(log, segments);
    const candidates = segments.filter((s) => s.baseOffset < uncleanable);
    if (candidates.length === 0) return stats;

    // 2. Key -> last offset over the dirty part (aborted transactions' records do not count).
    const aborted = this.abortedCheck(log);
    const latest = new Map<string, number>();
    for (const seg of candidates) {
      if (seg.nextOffset <= firstDirty) continue;
      for await (const { buf, at } of segmentBatches(seg)) {
        const batch = decodeRecordBatch(buf.subarray(at), 0);
        if (batch.header.isControl || aborted(batch)) continue;
        for (const r of batch.records) {
          const k = keyOf(r.key);
          if (k !== undefined && r.offset >= firstDirty && r.offset < uncleanable) latest.set(k, r.offset);
        }
      }
    }

    // 3 + 4. Rewrite and swap segment by segment.
    const nowMs = this.opts.clock.nowMs();
    const deleteHorizonMs = nowMs - log.logConfig['delete.retention.ms'];
    for (const seg of candidates) {
      const swapped = await this.rewriteSegment(log, seg, latest, deleteHorizonMs, uncleanable, truncationsAtStart, stats, aborted);
      if (!swapped) break;
      stats.segments++;
    }
    this.firstDirty.set(topicPartitionKey(log.topicPartition), { tp: log.topicPartition, offset: uncleanable });
    this.lastStats.set(topicPartitionKey(log.topicPartition), stats);
    return stats;
  }

  private async rewriteSegment(
    log: Log,
    seg: LogSegment,
    latest: Map<string, number>,
    deleteHorizonMs: number,
    uncleanable: number,
    truncationsAtStart: number,
    stats: CleanStats,
    aborted: (batch: DecodedBatch) => boolean,
  ): Promise<boolean> {
    const fs = this.opts.fs;
    const cleanedPath = seg.filePath(LOG_SUFFIX) + CLEANED_SUFFIX;
    const out = fs.open(cleanedPath, 'create');
    let written = 0;
    let changed = false;
    try {
      out.truncate(0);
      for await (const { buf, at, size } of segmentBatches(seg)) {
        stats.bytesRead += size;
        const batch = decodeRecordBatch(buf.subarray(at, at + size), 0);
        const droppedAsAborted = aborted(batch) && batch.header.baseOffset + batch.header.lastOffsetDelta < uncleanable;
        const kept = droppedAsAborted ? [] : this.survivors(batch, latest, deleteHorizonMs, uncleanable);
        stats.recordsRead += batch.records.length;
        stats.recordsKept += kept === 'all' ? batch.records.length : kept.length;
        let bytes: Buffer | undefined;
        if (kept === 'all') {
          bytes = buf.subarray(at, at + size);
        } else {
          changed = true;
          if (kept.length > 0) bytes = this.rebuild(batch, kept);
        }
        if (bytes !== undefined) {
          out.write(bytes, written);
          written += bytes.length;
        }
      }
      if (!changed) {
        out.close();
        fs.unlink(cleanedPath);
        return true;
      }
      await out.datasync();
    } catch (err) {
      out.close();
      if (fs.stat(cleanedPath) !== undefined) fs.unlink(cleanedPath);
      throw err;
    }
    out.close();
    stats.bytesWritten += written;

    // Index the output (and check it) before it goes live.
    const replacement = LogSegment.open(fs, seg.dir, seg.baseOffset, log.segmentSettings, seg.createdMs, cleanedPath);
    const check = await replacement.recover(seg.baseOffset);
    if (check.truncatedBytes > 0) {
      replacement.close();
      fs.unlink(cleanedPath);
      throw new Error(`cleaner produced an invalid segment for ${seg.filePath(LOG_SUFFIX)}: ${check.stopReason}`);
    }
    replacement.onBecomeInactive();
    const swapPath = seg.filePath(LOG_SUFFIX) + SWAP_SUFFIX;
    const ok = await log.swapSegments([seg], replacement, truncationsAtStart, () => {
      fs.rename(cleanedPath, swapPath);
      seg.retired = true;
      seg.renameAll('.deleted');
      fs.rename(swapPath, seg.filePath(LOG_SUFFIX));
    });
    if (!ok) {
      replacement.close();
      if (fs.stat(cleanedPath) !== undefined) fs.unlink(cleanedPath);
      return false;
    }
    await replacement.persistIndexes();
    return true;
  }

  /** 'all' when every record stays (the batch is copied as is), else the records that stay. */
  private survivors(batch: DecodedBatch, latest: Map<string, number>, deleteHorizonMs: number, uncleanable: number): 'all' | DecodedBatch['records'] {
    // Control batches (transaction markers) are kept as they are: a marker is
    // what tells readers and recovery where its transaction ended.
    if (batch.header.isControl) return 'all';
    const kept: DecodedBatch['records'] = [];
    let all = true;
    for (const r of batch.records) {
      const k = keyOf(r.key);
      let keep = true;
      if (k !== undefined && r.offset < uncleanable) {
        const last = latest.get(k);
        if (last !== undefined && r.offset < last) keep = false;
        else if (r.value === null && batch.header.maxTimestamp < deleteHorizonMs) keep = false;
      }
      if (keep) kept.push(r);
      else all = false;
    }
    return all ? 'all' : kept;
  }

  private rebuild(batch: DecodedBatch, kept: DecodedBatch['records']): Buffer {
    const h = batch.header;
    const compression = isCompressionCodec(h.compression) ? h.compression : 0;
    return buildRecordBatch({
      records: kept.map((r) => ({
        key: r.key,
        value: r.value,
        headers: r.headers,
        timestamp: r.timestamp,
        offsetDelta: r.offsetDelta,
        attributes: r.attributes,
      })),
      baseOffset: h.baseOffset,
      compression,
      producerId: h.producerId,
      producerEpoch: h.producerEpoch,
      baseSequence: h.baseSequence,
      transactional: h.isTransactional,
      partitionLeaderEpoch: h.partitionLeaderEpoch,
      timestampType: h.timestampType,
      baseTimestamp: h.baseTimestamp,
      maxTimestamp: h.maxTimestamp,
      lastOffsetDelta: h.lastOffsetDelta,
    });
  }
}
