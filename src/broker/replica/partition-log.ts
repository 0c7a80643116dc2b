/**
 * What the broker needs from a partition's log. The storage engine's Log
 * (src/storage) is meant to provide this; until it does, FilePartitionLog is
 * a thin stand-in with the same contract. Batches are opaque bytes: the log
 * assigns offsets by rewriting the base offset in place and never decodes
 * records.
 */
export interface AppendResult {
  readonly firstOffset: number;
  readonly lastOffset: number;
  /** -1 unless the topic uses LogAppendTime. */
  readonly logAppendTimeMs: number;
  readonly logStartOffset: number;
}

export interface ReadResult {
  /** Whole batches back to back, or null when there is nothing at that offset yet. */
  readonly records: Buffer | null;
  readonly highWatermark: number;
  readonly logStartOffset: number;
}

export interface TimestampLookup {
  readonly offset: number;
  readonly timestamp: number;
}

export interface PartitionLog {
  readonly logStartOffset: number;
  readonly logEndOffset: number;
  /** With a single replica, the high watermark is the log end offset. */
  readonly highWatermark: number;
  /**
   * Appends already-validated batches (back to back in `batches`), stamping
   * base offsets and the leader epoch in place. Synchronous so appends from
   * one connection keep their order.
   */
  append(batches: Buffer, leaderEpoch: number, logAppendTimeMs: number | null): AppendResult;
  /** Batches from the one containing `offset`, at most `maxBytes` unless `minOneBatch` and the first is larger (KIP-74). */
  read(offset: number, maxBytes: number, minOneBatch: boolean): ReadResult;
  /** The first batch whose max timestamp is at or after `timestampMs`, as bytes, with its position in the log. */
  batchAtTimestamp(timestampMs: number): { baseOffset: number; batch: Buffer } | null;
  /** The batch holding the largest timestamp in the log. */
  batchWithMaxTimestamp(): { baseOffset: number; batch: Buffer } | null;
  /** Resolves once every append made before the call is durable (group commit). */
  flush(): Promise<void>;
  close(): Promise<void>;
}
