/**
 * Errors the log raises, each naming the Kafka error code the broker answers
 * with, so handlers map them without knowing storage internals.
 */
export type StorageErrorName =
  | 'KAFKA_STORAGE_ERROR'
  | 'OFFSET_OUT_OF_RANGE'
  | 'MESSAGE_TOO_LARGE'
  | 'RECORD_LIST_TOO_LARGE'
  | 'CORRUPT_MESSAGE'
  | 'INVALID_RECORD'
  | 'OFFSET_NOT_AVAILABLE'
  | 'NOT_LEADER_OR_FOLLOWER'
  | 'POLICY_VIOLATION'
  // Producer state (producer-state.ts): idempotence and transactions.
  | 'OUT_OF_ORDER_SEQUENCE_NUMBER'
  | 'INVALID_PRODUCER_EPOCH'
  | 'INVALID_TXN_STATE'
  | 'TRANSACTION_COORDINATOR_FENCED'
  | 'UNKNOWN_PRODUCER_ID';

export class StorageError extends Error {
  override readonly name: string = 'StorageError';
  constructor(
    readonly kafkaError: StorageErrorName,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * The log hit an I/O error (EIO, ENOSPC, ...) and refuses all further work
 * until it is reopened. Other logs are unaffected.
 */
export class LogOfflineError extends StorageError {
  override readonly name = 'LogOfflineError';
  constructor(
    readonly dir: string,
    cause: unknown,
  ) {
    super('KAFKA_STORAGE_ERROR', `log ${dir} is offline: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}

export class OffsetOutOfRangeError extends StorageError {
  override readonly name = 'OffsetOutOfRangeError';
  constructor(
    readonly offset: number,
    readonly logStartOffset: number,
    readonly logEndOffset: number,
  ) {
    super('OFFSET_OUT_OF_RANGE', `offset ${offset} is outside [${logStartOffset}, ${logEndOffset}]`);
  }
}
