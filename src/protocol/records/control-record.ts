/**
 * Control records: the single record of a transaction marker batch (COMMIT or
 * ABORT), and the Raft bookkeeping records of the metadata log. They live in
 * batches with the control attribute set; consumers never hand them to users.
 *
 * Key (both kinds):      version int16 (0), type int16
 * Marker value:          version int16 (0), coordinatorEpoch int32
 *
 * Newer marker versions may append fields; readers take what they know and
 * ignore the rest, so a newer writer does not break us.
 */
import { DecodeError } from '../primitives/decode-error.js';
import { buildRecordBatch } from './batch-builder.js';
import { NO_SEQUENCE, TimestampType } from './batch-header.js';

export const ControlRecordType = {
  abort: 0,
  commit: 1,
  /** Raft: a new leader was elected (KIP-595). */
  leaderChange: 2,
  snapshotHeader: 3,
  snapshotFooter: 4,
  /** Raft: kraft.version feature level (KIP-853). */
  kraftVersion: 5,
  /** Raft: the voter set (KIP-853). */
  kraftVoters: 6,
} as const;
export type ControlRecordType = (typeof ControlRecordType)[keyof typeof ControlRecordType];

export interface ControlRecordKey {
  version: number;
  /** Unknown future types are passed through as numbers for the caller to skip. */
  type: number;
}

export interface EndTxnMarker {
  version: number;
  coordinatorEpoch: number;
}

const CONTROL_KEY_BYTES = 4;
const END_TXN_MARKER_BYTES = 6;
export const CONTROL_KEY_VERSION = 0;
export const END_TXN_MARKER_VERSION = 0;

export function encodeControlRecordKey(type: number, version: number = CONTROL_KEY_VERSION): Buffer {
  const key = Buffer.allocUnsafe(CONTROL_KEY_BYTES);
  key.writeInt16BE(version, 0);
  key.writeInt16BE(type, 2);
  return key;
}

export function decodeControlRecordKey(key: Buffer | null): ControlRecordKey {
  if (key === null || key.length < CONTROL_KEY_BYTES) {
    throw new DecodeError(`control record key of ${key === null ? 'null' : key.length} bytes, need ${CONTROL_KEY_BYTES}`);
  }
  const version = key.readInt16BE(0);
  if (version < 0) throw new DecodeError(`invalid control record key version ${version}`);
  return { version, type: key.readInt16BE(2) };
}

export function encodeEndTxnMarker(coordinatorEpoch: number, version: number = END_TXN_MARKER_VERSION): Buffer {
  const value = Buffer.allocUnsafe(END_TXN_MARKER_BYTES);
  value.writeInt16BE(version, 0);
  value.writeInt32BE(coordinatorEpoch, 2);
  return value;
}

export function decodeEndTxnMarker(value: Buffer | null): EndTxnMarker {
  if (value === null || value.length < END_TXN_MARKER_BYTES) {
    throw new DecodeError(`transaction marker value of ${value === null ? 'null' : value.length} bytes, need ${END_TXN_MARKER_BYTES}`);
  }
  const version = value.readInt16BE(0);
  if (version < 0) throw new DecodeError(`invalid transaction marker version ${version}`);
  return { version, coordinatorEpoch: value.readInt32BE(2) };
}

export interface EndTxnMarkerBatchOptions {
  commit: boolean;
  producerId: bigint;
  producerEpoch: number;
  coordinatorEpoch: number;
  /** The marker's timestamp (the coordinator's clock). */
  timestamp: number;
  baseOffset?: number | bigint;
  partitionLeaderEpoch?: number;
}

/**
 * A transaction marker as the partition leader appends it: a transactional
 * control batch with one record and no sequence number.
 */
export function buildEndTxnMarkerBatch(options: EndTxnMarkerBatchOptions): Buffer {
  return buildRecordBatch({
    records: [
      {
        key: encodeControlRecordKey(options.commit ? ControlRecordType.commit : ControlRecordType.abort),
        value: encodeEndTxnMarker(options.coordinatorEpoch),
        timestamp: options.timestamp,
      },
    ],
    baseOffset: options.baseOffset ?? 0,
    partitionLeaderEpoch: options.partitionLeaderEpoch ?? -1,
    producerId: options.producerId,
    producerEpoch: options.producerEpoch,
    baseSequence: NO_SEQUENCE,
    transactional: true,
    isControl: true,
    timestampType: TimestampType.createTime,
  });
}

export interface ControlBatchRecord {
  type: number;
  /** The record value, already encoded (Raft records are schema-generated messages). */
  value: Buffer;
}

/**
 * A non-transactional control batch, as Raft writes its leader change,
 * snapshot and voter records into the metadata log.
 */
export function buildControlBatch(options: {
  records: readonly ControlBatchRecord[];
  timestamp: number;
  baseOffset?: number | bigint;
  partitionLeaderEpoch?: number;
}): Buffer {
  return buildRecordBatch({
    records: options.records.map((record) => ({
      key: encodeControlRecordKey(record.type),
      value: record.value,
      timestamp: options.timestamp,
    })),
    baseOffset: options.baseOffset ?? 0,
    partitionLeaderEpoch: options.partitionLeaderEpoch ?? -1,
    isControl: true,
  });
}
