/**
 * The records of `__transaction_state`, in Kafka's layout so tools that read
 * the topic understand them: key = int16 version (0) + TransactionLogKey,
 * value = int16 version + TransactionLogValue; a null value is a tombstone
 * (the transactional id expired). Samsa writes value version 0, which every
 * Kafka since 0.11 reads; it reads 0 and 1.
 */
import { Reader } from '../../protocol/primitives/reader.js';
import { Writer } from '../../protocol/primitives/writer.js';
import { decodeTransactionLogKey, encodeTransactionLogKey } from '../../protocol/generated/transaction-coordinator/transaction-log-key.js';
import {
  decodeTransactionLogValue,
  encodeTransactionLogValue,
  transactionLogValueVersions,
} from '../../protocol/generated/transaction-coordinator/transaction-log-value.js';

/** The states a transactional id moves through (the log stores their numbers). */
export const TxnState = {
  Empty: 0,
  Ongoing: 1,
  PrepareCommit: 2,
  PrepareAbort: 3,
  CompleteCommit: 4,
  CompleteAbort: 5,
  Dead: 6,
  PrepareEpochFence: 7,
} as const;
export type TxnState = (typeof TxnState)[keyof typeof TxnState];

/** The names DescribeTransactions and ListTransactions use. */
export const txnStateNames: Readonly<Record<TxnState, string>> = {
  0: 'Empty',
  1: 'Ongoing',
  2: 'PrepareCommit',
  3: 'PrepareAbort',
  4: 'CompleteCommit',
  5: 'CompleteAbort',
  6: 'Dead',
  7: 'PrepareEpochFence',
};

export function txnStateByName(name: string): TxnState | undefined {
  for (const [k, v] of Object.entries(txnStateNames)) if (v === name) return Number(k) as TxnState;
  return undefined;
}

const KEY_VERSION = 0;
const VALUE_VERSION = 0;

/** What one record says about a transactional id. */
export interface TxnLogEntry {
  producerId: bigint;
  producerEpoch: number;
  timeoutMs: number;
  state: TxnState;
  /** topic -> partitions */
  partitions: Map<string, number[]>;
  lastUpdateMs: number;
  startMs: number;
}

export interface TxnLogRecord {
  readonly key: Buffer;
  readonly value: Buffer | null;
}

export function encodeTxnLogKey(transactionalId: string): Buffer {
  const w = new Writer(32 + transactionalId.length * 3);
  w.writeInt16(KEY_VERSION);
  encodeTransactionLogKey(w, KEY_VERSION, { transactionalId });
  return w.toBuffer();
}

export function encodeTxnLogValue(e: TxnLogEntry): Buffer {
  const w = new Writer(128);
  w.writeInt16(VALUE_VERSION);
  encodeTransactionLogValue(w, VALUE_VERSION, {
    producerId: e.producerId,
    producerEpoch: e.producerEpoch,
    transactionTimeoutMs: e.timeoutMs,
    transactionStatus: e.state,
    transactionPartitions: e.state === TxnState.Empty ? null : [...e.partitions].map(([topic, partitionIds]) => ({ topic, partitionIds })),
    transactionLastUpdateTimestampMs: BigInt(e.lastUpdateMs),
    transactionStartTimestampMs: BigInt(e.startMs),
  });
  return w.toBuffer();
}

/** The transactional id of a key, or undefined for a key version this coordinator does not know. */
export function decodeTxnLogKey(key: Buffer): string | undefined {
  const r = new Reader(key);
  const version = r.readInt16();
  if (version !== KEY_VERSION) return undefined;
  return decodeTransactionLogKey(r, version).transactionalId;
}

export function decodeTxnLogValue(value: Buffer): TxnLogEntry {
  const r = new Reader(value);
  const version = r.readInt16();
  if (version < transactionLogValueVersions.min || version > transactionLogValueVersions.max) {
    throw new Error(`transaction log value version ${version}`);
  }
  const v = decodeTransactionLogValue(r, version);
  const partitions = new Map<string, number[]>();
  for (const p of v.transactionPartitions ?? []) partitions.set(p.topic, [...(partitions.get(p.topic) ?? []), ...p.partitionIds]);
  if (v.transactionStatus < 0 || v.transactionStatus > 7) throw new Error(`transaction status ${v.transactionStatus}`);
  return {
    producerId: v.producerId,
    producerEpoch: v.producerEpoch,
    timeoutMs: v.transactionTimeoutMs,
    state: v.transactionStatus as TxnState,
    partitions,
    lastUpdateMs: Number(v.transactionLastUpdateTimestampMs),
    startMs: Number(v.transactionStartTimestampMs),
  };
}
