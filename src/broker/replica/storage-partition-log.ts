/**
 * PartitionLog on src/storage's Log. The only work done here is shaping:
 * the high watermark (the written log end: one replica). Reads pass the log's
 * chunks through untouched; the generated Fetch encoder writes them under
 * one length without joining them.
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
    return this.log.writtenEndOffset;
  }

  get lastStableOffset(): number {
    return this.log.lastStableOffset(this.highWatermark);
  }

  append(batches: Buffer, leaderEpoch: number): AppendResult {
    const info = this.log.appendAsLeader(batches, leaderEpoch);
    return { firstOffset: info.firstOffset, lastOffset: info.lastOffset, logAppendTimeMs: info.logAppendTimeMs, logStartOffset: info.logStartOffset };
  }

  async read(offset: number, maxBytes: number, minOneBatch: boolean, readCommitted = false): Promise<ReadResult> {
    const isolation = readCommitted ? 'read_committed' : 'read_uncommitted';
    const { chunks, sizeBytes, abortedTransactions } = await this.log.read(offset, { maxBytes, minOneBatch, maxOffset: this.highWatermark, isolation });
    return {
      chunks,
      sizeBytes,
      abortedTransactions,
      get records(): Buffer | null {
        if (sizeBytes === 0) return null;
        return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, sizeBytes);
      },
    };
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

  whenWritten(): Promise<void> | undefined {
    return this.log.whenWritten();
  }

  onHighWatermarkAdvance(listener: () => void): void {
    this.log.onWrittenAdvance(listener);
  }
}
