import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

import {
  ERROR_CODES,
  ErrorCode,
  KafkaProtocolError,
  UNKNOWN_ERROR_NAME,
  errorByCode,
  errorByName,
  isKafkaErrorName,
  isKnownErrorCode,
  throwIfError,
} from './index.js';

describe('error code table', () => {
  it('has unique codes', () => {
    const codes = ERROR_CODES.map((e) => e.code);
    assert.equal(new Set(codes).size, codes.length);
  });

  it('has unique names', () => {
    const names = ERROR_CODES.map((e) => e.name);
    assert.equal(new Set(names).size, names.length);
  });

  it('covers every code from -1 to the highest, sorted, with int16 values', () => {
    const codes = ERROR_CODES.map((e) => e.code);
    const highest = Math.max(...codes);
    assert.deepEqual(codes, Array.from({ length: highest + 2 }, (_, i) => i - 1));
    assert.ok(highest >= 128 && highest <= 0x7fff);
  });

  it('has upper snake case names and a one-line message for every entry', () => {
    for (const e of ERROR_CODES) {
      assert.match(e.name, /^[A-Z][A-Z0-9_]*$/);
      assert.equal(typeof e.retriable, 'boolean');
      assert.ok(e.message.length > 0 && !e.message.includes('\n'), e.name);
    }
  });

  it('maps well-known names to their codes', () => {
    const expected: ReadonlyArray<readonly [number, number]> = [
      [ErrorCode.UNKNOWN_SERVER_ERROR, -1],
      [ErrorCode.NONE, 0],
      [ErrorCode.OFFSET_OUT_OF_RANGE, 1],
      [ErrorCode.CORRUPT_MESSAGE, 2],
      [ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 3],
      [ErrorCode.NOT_LEADER_OR_FOLLOWER, 6],
      [ErrorCode.REQUEST_TIMED_OUT, 7],
      [ErrorCode.UNKNOWN_MEMBER_ID, 25],
      [ErrorCode.REBALANCE_IN_PROGRESS, 27],
      [ErrorCode.UNSUPPORTED_VERSION, 35],
      [ErrorCode.TOPIC_ALREADY_EXISTS, 36],
      [ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, 45],
      [ErrorCode.INVALID_PRODUCER_EPOCH, 47],
      [ErrorCode.KAFKA_STORAGE_ERROR, 56],
      [ErrorCode.FENCED_LEADER_EPOCH, 74],
      [ErrorCode.POSITION_OUT_OF_RANGE, 99],
      [ErrorCode.UNKNOWN_TOPIC_ID, 100],
      [ErrorCode.TRANSACTION_ABORTABLE, 120],
      [ErrorCode.INVALID_RECORD_STATE, 121],
      [ErrorCode.INVALID_REGULAR_EXPRESSION, 128],
    ];
    for (const [actual, code] of expected) assert.equal(actual, code);
  });

  it('ErrorCode agrees with the table and is frozen', () => {
    assert.equal(Object.keys(ErrorCode).length, ERROR_CODES.length);
    for (const e of ERROR_CODES) assert.equal(ErrorCode[e.name], e.code);
    assert.ok(Object.isFrozen(ErrorCode));
  });

  it('flags retriable codes the way Kafka does', () => {
    const retriable = [
      'CORRUPT_MESSAGE', 'UNKNOWN_TOPIC_OR_PARTITION', 'LEADER_NOT_AVAILABLE', 'NOT_LEADER_OR_FOLLOWER',
      'REQUEST_TIMED_OUT', 'NETWORK_EXCEPTION', 'NOT_COORDINATOR', 'NOT_ENOUGH_REPLICAS', 'NOT_CONTROLLER',
      'CONCURRENT_TRANSACTIONS', 'KAFKA_STORAGE_ERROR', 'FENCED_LEADER_EPOCH', 'UNKNOWN_TOPIC_ID',
    ] as const;
    const notRetriable = [
      'NONE', 'UNKNOWN_SERVER_ERROR', 'OFFSET_OUT_OF_RANGE', 'TOPIC_ALREADY_EXISTS', 'UNSUPPORTED_VERSION',
      'BROKER_NOT_AVAILABLE', 'REBALANCE_IN_PROGRESS', 'UNKNOWN_MEMBER_ID', 'INVALID_PRODUCER_EPOCH',
      'OUT_OF_ORDER_SEQUENCE_NUMBER', 'TOPIC_AUTHORIZATION_FAILED', 'PRODUCER_FENCED',
    ] as const;
    for (const name of retriable) assert.equal(errorByName(name).retriable, true, name);
    for (const name of notRetriable) assert.equal(errorByName(name).retriable, false, name);
  });
});

describe('errorByCode', () => {
  it('returns the table entry for a known code', () => {
    const e = errorByCode(6);
    assert.equal(e.name, 'NOT_LEADER_OR_FOLLOWER');
    assert.equal(e.code, 6);
    assert.equal(e.retriable, true);
    assert.ok(isKnownErrorCode(6));
  });

  it('returns a synthetic UNKNOWN entry for an undefined code instead of throwing', () => {
    for (const code of [-2, 9999, -32768, 32767]) {
      const e = errorByCode(code);
      assert.equal(e.name, UNKNOWN_ERROR_NAME);
      assert.equal(e.code, code);
      assert.equal(e.retriable, false);
      assert.ok(e.message.includes(String(code)));
      assert.equal(isKnownErrorCode(code), false);
    }
  });

  it('recognises Kafka error names', () => {
    assert.ok(isKafkaErrorName('REQUEST_TIMED_OUT'));
    assert.ok(!isKafkaErrorName('UNKNOWN'));
    assert.ok(!isKafkaErrorName('request_timed_out'));
  });
});

describe('KafkaProtocolError', () => {
  it('carries code, name and retriable from a code', () => {
    const err = new KafkaProtocolError(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    assert.ok(err instanceof Error);
    assert.ok(err instanceof KafkaProtocolError);
    assert.equal(err.code, 6);
    assert.equal(err.name, 'NOT_LEADER_OR_FOLLOWER');
    assert.equal(err.retriable, true);
    assert.equal(err.message, errorByCode(6).message);
  });

  it('can be built from a name, with a custom message and a cause', () => {
    const cause = new Error('root');
    const err = new KafkaProtocolError('TOPIC_ALREADY_EXISTS', 'topic "orders" exists', { cause });
    assert.equal(err.code, 36);
    assert.equal(err.retriable, false);
    assert.equal(err.message, 'topic "orders" exists');
    assert.equal(err.cause, cause);
    assert.ok(KafkaProtocolError.is(err, 'TOPIC_ALREADY_EXISTS'));
    assert.ok(!KafkaProtocolError.is(err, 'NONE'));
    assert.ok(!KafkaProtocolError.is(new Error('x')));
  });

  it('uses the table message when the wire message is null', () => {
    assert.equal(new KafkaProtocolError(7, null).message, errorByCode(7).message);
  });

  it('keeps an unknown code', () => {
    const err = new KafkaProtocolError(4242);
    assert.equal(err.code, 4242);
    assert.equal(err.name, UNKNOWN_ERROR_NAME);
    assert.equal(err.retriable, false);
  });

  it('throwIfError throws for non-zero codes only', () => {
    assert.doesNotThrow(() => throwIfError(ErrorCode.NONE));
    assert.throws(() => throwIfError(ErrorCode.REBALANCE_IN_PROGRESS, 'rejoin'), (err: unknown) => {
      assert.ok(err instanceof KafkaProtocolError);
      assert.equal(err.code, 27);
      assert.equal(err.message, 'rejoin');
      return true;
    });
  });
});
