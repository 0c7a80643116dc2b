/**
 * The errors the client throws. Two families:
 *
 * - `KafkaProtocolError` (from the protocol layer): the broker answered with a
 *   non-zero error code. `name` is Kafka's error name, `code` the wire code,
 *   `retriable` Kafka's own verdict. Re-exported here so users import one place.
 * - `KafkaClientError` and its subclasses: things that went wrong on our side
 *   of the wire (connection lost, timed out, no common API version, closed).
 *
 * Every error carries `retriable`, so callers can decide uniformly.
 */
import { KafkaProtocolError } from '../protocol/errors/index.js';

export { KafkaProtocolError };

export class KafkaClientError extends Error {
  override name: string = 'KafkaClientError';
  readonly retriable: boolean;

  constructor(message: string, retriable: boolean, options?: ErrorOptions) {
    super(message, options);
    this.retriable = retriable;
  }
}

/** The TCP connection failed or closed while requests were in flight. Retriable. */
export class ConnectionError extends KafkaClientError {
  override name = 'ConnectionError';
  readonly broker: string;

  constructor(broker: string, message: string, options?: ErrorOptions) {
    super(`${broker}: ${message}`, true, options);
    this.broker = broker;
  }
}

/** No response arrived within the request timeout. Retriable; the connection is closed. */
export class RequestTimeoutError extends KafkaClientError {
  override name = 'RequestTimeoutError';
  readonly timeoutMs: number;

  constructor(what: string, timeoutMs: number) {
    super(`${what} timed out after ${timeoutMs} ms`, true);
    this.timeoutMs = timeoutMs;
  }
}

/** The broker does not implement an API, or no version both sides speak. Not retriable. */
export class UnsupportedVersionError extends KafkaClientError {
  override name = 'UnsupportedVersionError';
  readonly apiName: string;

  constructor(apiName: string, message: string) {
    super(message, false);
    this.apiName = apiName;
  }
}

/** The client, producer or consumer was closed; pending work is abandoned. */
export class ClientClosedError extends KafkaClientError {
  override name = 'ClientClosedError';

  constructor(what = 'client') {
    super(`${what} is closed`, false);
  }
}

/** A send waited longer than `max.block.ms` for room in `buffer.memory`. */
export class BufferExhaustedError extends KafkaClientError {
  override name = 'BufferExhaustedError';

  constructor(message: string) {
    super(message, false);
  }
}

/** Bad arguments or configuration, found before anything was sent. */
export class KafkaConfigError extends KafkaClientError {
  override name = 'KafkaConfigError';

  constructor(message: string) {
    super(message, false);
  }
}

/** A response could not be decoded; the connection it came on is closed. */
export class ProtocolDecodeError extends KafkaClientError {
  override name = 'ProtocolDecodeError';

  constructor(message: string, options?: ErrorOptions) {
    super(message, true, options);
  }
}

/** True when `error` is worth another attempt (after backoff and, often, a metadata refresh). */
export function isRetriable(error: unknown): boolean {
  if (error instanceof KafkaProtocolError || error instanceof KafkaClientError) return error.retriable;
  return false;
}

/** Throws a KafkaProtocolError for a non-zero code, with the broker's message when it sent one. */
export function checkErrorCode(code: number, message?: string | null, context?: string): void {
  if (code === 0) return;
  const error = new KafkaProtocolError(code, message ?? undefined);
  if (context !== undefined) error.message = `${context}: ${error.message}`;
  throw error;
}
