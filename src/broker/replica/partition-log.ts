/**
 * What the broker needs from a partition's log: the seam between handlers
 * and src/storage's Log. Batches are opaque bytes: the log assigns offsets by
 * rewriting the base offset in place and never decodes records on the hot
 * path.
 */
export interface AppendResult {
  readonly firstOffset: number;
  readonly lastOffset: number;
  /** -1 unless the topic uses LogAppendTime. */
  readonly logAppendTimeMs: number;
  readonly logStartOffset: number;
}

export interface ReadResult {
  /**
   * Whole batches back to back, split wherever the log's storage splits them
   * (tail cache entries, a disk read): views, not copies. Empty when there is
   * nothing at that offset yet. Fetch hands these to the encoder as they are.
   */
  readonly chunks: readonly Buffer[];
  readonly sizeBytes: number;
  /** The chunks as one buffer (a copy when there are several), or null when empty: for slow paths that decode. */
  readonly records: Buffer | null;
  /** With readCommitted: the aborted transactions the returned batches overlap (storage/producer-state.ts). */
  readonly abortedTransactions?: ReadonlyArray<{ readonly producerId: bigint; readonly firstOffset: number }>;
}

export interface TimestampLookup {
  readonly offset: number;
  readonly timestamp: number;
  readonly leaderEpoch: number;
}

export interface PartitionLog {
  readonly logStartOffset: number;
  readonly logEndOffset: number;
  /**
   * With a single replica in the ISR, the high watermark is the log end
   * offset once the appended bytes are in the file (storage may write them
   * off the event loop): consumers never see what a crash could still lose.
   */
  readonly highWatermark: number;
  /** Below the first open transaction, at most the high watermark: where read_committed consumers stop. */
  readonly lastStableOffset: number;
  /**
   * Appends already-validated batches, stamping base offsets and the leader
   * epoch in place (and LogAppendTime when the topic asks for it).
   * Synchronous, so appends from one connection keep their order.
   */
  append(batches: Buffer, leaderEpoch: number): AppendResult;
  /**
   * Batches from the one holding `offset` up to the high watermark, at most
   * `maxBytes` unless `minOneBatch` and the first is larger (KIP-74).
   * Rejects with OffsetOutOfRangeError outside [logStartOffset, logEndOffset].
   */
  read(offset: number, maxBytes: number, minOneBatch: boolean, readCommitted?: boolean): Promise<ReadResult>;
  /** The first record with a timestamp at or after `timestampMs`. */
  offsetForTimestamp(timestampMs: number): TimestampLookup | undefined;
  /** The record with the largest timestamp. */
  maxTimestamp(): TimestampLookup | undefined;
  /** Resolves once every append made before the call is durable (group commit). */
  flush(): Promise<void>;
  /**
   * Resolves once every append made before the call is in the file (the page
   * cache, not yet durable): what acks=1 waits for. Undefined when it already is.
   */
  whenWritten(): Promise<void> | undefined;
  /** Calls `listener` whenever the high watermark moves forward. */
  onHighWatermarkAdvance(listener: () => void): void;
}
