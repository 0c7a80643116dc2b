import { DecodeError } from '../primitives/decode-error.js';
import type { BatchErrorName } from './batch-header.js';

/**
 * A DecodeError that also names the Kafka error the broker should answer
 * with, for the slow paths (record decoding, legacy conversion) that throw
 * where validateBatch returns a result.
 */
export class InvalidRecordsError extends DecodeError {
  readonly errorName: BatchErrorName;

  constructor(errorName: BatchErrorName, message: string) {
    super(message);
    this.errorName = errorName;
  }
}
