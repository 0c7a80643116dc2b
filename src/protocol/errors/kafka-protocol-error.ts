import { errorByCode, errorByName } from './error-codes.js';
import type { ErrorEntry, KafkaErrorName, UNKNOWN_ERROR_NAME } from './error-codes.js';

/**
 * An error that maps to a Kafka protocol error code. The broker throws it to
 * answer a request with that code; clients throw it when a response carries a
 * non-zero code.
 *
 * `name` is Kafka's error name (e.g. `NOT_LEADER_OR_FOLLOWER`), or `UNKNOWN`
 * for a code that Kafka does not define, in which case `code` still holds the
 * number that was received.
 */
export class KafkaProtocolError extends Error {
  override readonly name: KafkaErrorName | typeof UNKNOWN_ERROR_NAME;
  /** The int16 error code sent on the wire. */
  readonly code: number;
  /** Whether the request may be sent again. */
  readonly retriable: boolean;

  /**
   * @param error a code (`ErrorCode.X` or a number read off the wire) or a Kafka error name
   * @param message detail to use instead of the table's description, e.g. a broker's error_message
   */
  constructor(error: number | KafkaErrorName, message?: string | null, options?: ErrorOptions) {
    const entry: ErrorEntry = typeof error === 'number' ? errorByCode(error) : errorByName(error);
    super(message ?? entry.message, options);
    this.name = entry.name;
    this.code = entry.code;
    this.retriable = entry.retriable;
  }

  /** True if `value` is a KafkaProtocolError, optionally one with the given name. */
  static is(value: unknown, name?: KafkaErrorName): value is KafkaProtocolError {
    return value instanceof KafkaProtocolError && (name === undefined || value.name === name);
  }
}

/** Throws a KafkaProtocolError unless `code` is 0 (NONE). */
export function throwIfError(code: number, message?: string | null): void {
  if (code !== 0) throw new KafkaProtocolError(code, message);
}

