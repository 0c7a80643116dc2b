/**
 * PartitionLog on src/storage's Log. The only work done here is shaping:
 * the high watermark (the log end: one replica), and joining the tail
 * cache's chunks when a read spans more than one (the generated Fetch
 * encoder takes one Buffer per partition; a single chunk is passed through
 * without a copy).
 */
import type { Log } from '../../storage/log.js';
import type { AppendResult, PartitionLog, ReadResult, TimestampLookup } from './partition-log.js';

export class StoragePartitionLog implements PartitionLog {
  constructor(readonly log: Log) {}

  get logStartOffset(): number {
    return this.log.logStartOffset;
  }

  get logEndOffset(): number {
    return this.log.logEndOffset;
  }

  get highWatermark(): number {
    return this.log.logEndOffset;
  }

  append(batches: Buffer, leaderEpoch: number): AppendResult {
    const info = this.log.appendAsLeader(batches, leaderEpoch);
    return { firstOffset: info.firstOffset, lastOffset: info.lastOffset, logAppendTimeMs: info.logAppendTimeMs, logStartOffset: info.logStartOffset };
  }

  async read(offset: number, maxBytes: number, minOneBatch: boolean): Promise<ReadResult> {
    const result = await this.log.read(offset, { maxBytes, minOneBatch, maxOffset: this.highWatermark });
    if (result.sizeBytes === 0) return { records: null };
    return { records: result.chunks.length === 1 ? result.chunks[0]! : Buffer.concat(result.chunks, result.sizeBytes) };
  }

  offsetForTimestamp(timestampMs: number): TimestampLookup | undefined {
    return this.log.findOffsetByTimestamp(timestampMs);
  }

  maxTimestamp(): TimestampLookup | undefined {
    return this.log.findMaxTimestamp();
  }

  flush(): Promise<void> {
    return this.log.flush();
  }
}
