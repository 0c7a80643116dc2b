/**
 * Builds a complete v2 batch from records: deltas, optional compression,
 * header, CRC. The slow path for producers (our client), control markers,
 * compaction rewrites, legacy conversion and tests.
 */
import { CompressionCodec } from '../compression/codec.js';
import { compress, type CompressOptions } from '../compression/compress.js';
import { Writer } from '../primitives/writer.js';
import {
  ATTR_CONTROL,
  ATTR_DELETE_HORIZON,
  ATTR_TIMESTAMP_TYPE,
  ATTR_TRANSACTIONAL,
  ATTRIBUTES_AT,
  BASE_SEQUENCE_AT,
  BASE_TIMESTAMP_AT,
  BATCH_HEADER_BYTES,
  BATCH_LENGTH_AT,
  LAST_OFFSET_DELTA_AT,
  LOG_OVERHEAD_BYTES,
  MAGIC_AT,
  MAGIC_V2,
  MAX_TIMESTAMP_AT,
  NO_PARTITION_LEADER_EPOCH,
  NO_PRODUCER_EPOCH,
  NO_PRODUCER_ID,
  NO_SEQUENCE,
  NO_TIMESTAMP,
  PARTITION_LEADER_EPOCH_AT,
  PRODUCER_EPOCH_AT,
  PRODUCER_ID_AT,
  RECORD_COUNT_AT,
  TimestampType,
  setBaseOffset,
  updateBatchCrc,
  writeInt64Number,
} from './batch-header.js';
import { encodeRecord, type KafkaRecord, type RecordHeader } from './record.js';

export interface RecordInput {
  key?: Buffer | null;
  value?: Buffer | null;
  headers?: RecordHeader[];
  /** Absolute milliseconds; defaults to the batch's base timestamp. */
  timestamp?: number;
  /** Defaults to the record's index; set it to keep the gaps of a compacted batch. */
  offsetDelta?: number;
  attributes?: number;
}

export interface BuildBatchOptions {
  records: readonly RecordInput[];
  baseOffset?: number | bigint;
  compression?: CompressionCodec;
  compressOptions?: CompressOptions;
  producerId?: bigint;
  producerEpoch?: number;
  baseSequence?: number;
  transactional?: boolean;
  isControl?: boolean;
  partitionLeaderEpoch?: number;
  timestampType?: TimestampType;
  /** Defaults to the first record's timestamp, as producers do. */
  baseTimestamp?: number;
  /** Defaults to the largest record timestamp (CreateTime) or to it as well for LogAppendTime. */
  maxTimestamp?: number;
  /** Defaults to the largest offset delta: only an emptied batch needs it set. */
  lastOffsetDelta?: number;
  /** Marks baseTimestamp as the cleaner's delete horizon (KIP-534). */
  deleteHorizon?: boolean;
}

function buildAttributes(options: BuildBatchOptions, codec: CompressionCodec): number {
  let attributes = codec;
  if (options.timestampType === TimestampType.logAppendTime) attributes |= ATTR_TIMESTAMP_TYPE;
  if (options.transactional === true) attributes |= ATTR_TRANSACTIONAL;
  if (options.isControl === true) attributes |= ATTR_CONTROL;
  if (options.deleteHorizon === true) attributes |= ATTR_DELETE_HORIZON;
  return attributes;
}

export function buildRecordBatch(options: BuildBatchOptions): Buffer {
  const { records } = options;
  const codec = options.compression ?? CompressionCodec.none;
  const baseTimestamp = options.baseTimestamp ?? records[0]?.timestamp ?? NO_TIMESTAMP;

  const body = new Writer(1024);
  let maxTimestamp = NO_TIMESTAMP;
  let lastOffsetDelta = -1;
  for (let i = 0; i < records.length; i++) {
    const input = records[i]!;
    const timestamp = input.timestamp ?? baseTimestamp;
    const record: KafkaRecord = {
      attributes: input.attributes ?? 0,
      timestampDelta: timestamp - baseTimestamp,
      offsetDelta: input.offsetDelta ?? i,
      key: input.key ?? null,
      value: input.value ?? null,
      headers: input.headers ?? [],
    };
    if (i === 0 || timestamp > maxTimestamp) maxTimestamp = timestamp;
    if (record.offsetDelta > lastOffsetDelta) lastOffsetDelta = record.offsetDelta;
    encodeRecord(body, record);
  }
  const recordBytes = body.toBuffer();
  const payload = codec === CompressionCodec.none ? recordBytes : compress(codec, recordBytes, options.compressOptions);

  const batch = Buffer.allocUnsafe(BATCH_HEADER_BYTES + payload.length);
  setBaseOffset(batch, 0, options.baseOffset ?? 0);
  batch.writeInt32BE(batch.length - LOG_OVERHEAD_BYTES, BATCH_LENGTH_AT);
  batch.writeInt32BE(options.partitionLeaderEpoch ?? NO_PARTITION_LEADER_EPOCH, PARTITION_LEADER_EPOCH_AT);
  batch.writeInt8(MAGIC_V2, MAGIC_AT);
  batch.writeInt16BE(buildAttributes(options, codec), ATTRIBUTES_AT);
  batch.writeInt32BE(options.lastOffsetDelta ?? Math.max(lastOffsetDelta, 0), LAST_OFFSET_DELTA_AT);
  writeInt64Number(batch, BASE_TIMESTAMP_AT, baseTimestamp);
  writeInt64Number(batch, MAX_TIMESTAMP_AT, options.maxTimestamp ?? maxTimestamp);
  batch.writeBigInt64BE(options.producerId ?? NO_PRODUCER_ID, PRODUCER_ID_AT);
  batch.writeInt16BE(options.producerEpoch ?? NO_PRODUCER_EPOCH, PRODUCER_EPOCH_AT);
  batch.writeInt32BE(options.baseSequence ?? NO_SEQUENCE, BASE_SEQUENCE_AT);
  batch.writeInt32BE(records.length, RECORD_COUNT_AT);
  payload.copy(batch, BATCH_HEADER_BYTES);
  updateBatchCrc(batch, 0);
  return batch;
}

