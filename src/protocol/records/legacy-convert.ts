/**
 * Conversion between v2 batches (what we store) and legacy message sets (what
 * Produce v0-v2 sends and Fetch v0-v3 expects). Both directions decode every
 * record, so both are slow paths taken only for old clients.
 *
 * Down (v2 -> magic 0/1), per batch: control batches are dropped (old
 * consumers cannot skip them), headers are dropped (no place for them),
 * compression is kept codec for codec, with one wrapper per batch. zstd has
 * no legacy form: Kafka answers old fetchers of zstd data with
 * UNSUPPORTED_COMPRESSION_TYPE, and so do we.
 *
 * Up (magic 0/1 -> v2): all messages of the set become one batch with
 * contiguous offset deltas (the broker assigns real offsets afterwards);
 * magic-0 messages have no timestamp and keep -1.
 */
import { CompressionCodec } from '../compression/codec.js';
import type { CompressOptions } from '../compression/compress.js';
import { buildRecordBatch } from './batch-builder.js';
import { decodeRecordBatch } from './batch-decoder.js';
import { NO_TIMESTAMP, TimestampType, iterateBatches } from './batch-header.js';
import { InvalidRecordsError } from './invalid-records-error.js';
import {
  buildLegacyMessageSet,
  decodeLegacyMessageSet,
  type DecodeLegacyOptions,
  type LegacyMagic,
} from './legacy-message.js';

export interface DownConvertOptions {
  magic: LegacyMagic;
  /** Records below this offset are left out (a fetch may start mid-batch). */
  minOffset?: number;
  /** Ceiling on one batch's decompressed record bytes. */
  maxRecordsBytes?: number;
  compressOptions?: CompressOptions;
}

/**
 * Converts the complete v2 batches in `buf` (a partial one at the end is
 * ignored, as in a Fetch response) into one legacy message set.
 */
export function batchesToLegacyMessageSet(buf: Buffer, options: DownConvertOptions): Buffer {
  const walk = iterateBatches(buf);
  if (walk.badLength) throw new InvalidRecordsError('CORRUPT_MESSAGE', `bad batch length at byte ${walk.tailOffset}`);
  const parts: Buffer[] = [];
  for (const span of walk.batches) {
    const { header, records } = decodeRecordBatch(buf, span.offset, { maxRecordsBytes: options.maxRecordsBytes });
    if (header.isControl) continue;
    const kept = options.minOffset === undefined ? records : records.filter((r) => r.offset >= options.minOffset!);
    if (kept.length === 0) continue;
    if (header.compression === CompressionCodec.zstd) {
      throw new InvalidRecordsError('UNSUPPORTED_COMPRESSION_TYPE', 'zstd batches cannot be converted to magic 0 or 1');
    }
    const legacySet = buildLegacyMessageSet({
      magic: options.magic,
      compression: header.compression as CompressionCodec,
      timestampType: header.timestampType,
      logAppendTime: header.maxTimestamp,
      records: kept.map((record) => ({
        key: record.key,
        value: record.value,
        timestamp: record.timestamp,
        offset: record.offset,
      })),
      compressOptions: options.compressOptions,
    });
    parts.push(legacySet);
  }
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
}

export interface UpConvertOptions extends DecodeLegacyOptions {
  /** Codec of the new batch; defaults to the codec of the first wrapper in the set. */
  compression?: CompressionCodec;
  compressOptions?: CompressOptions;
}

/**
 * Converts a legacy message set from an old producer into one v2 batch with
 * base offset 0. Throws InvalidRecordsError for an empty or malformed set.
 */
export function legacyMessageSetToBatch(buf: Buffer, options: UpConvertOptions = {}): Buffer {
  const records = decodeLegacyMessageSet(buf, options);
  if (records.length === 0) throw new InvalidRecordsError('INVALID_RECORD', 'message set with no messages');
  const codec = options.compression ?? records[0]!.compression;
  const logAppendTime = records.every((record) => record.timestampType === TimestampType.logAppendTime);
  return buildRecordBatch({
    records: records.map((record) => ({ key: record.key, value: record.value, timestamp: record.timestamp })),
    compression: codec,
    baseOffset: 0,
    baseTimestamp: records[0]!.timestamp,
    // Magic 0 has no timestamps: the batch keeps "none" rather than inventing one.
    maxTimestamp: records.reduce((max, record) => Math.max(max, record.timestamp), NO_TIMESTAMP),
    timestampType: logAppendTime ? TimestampType.logAppendTime : TimestampType.createTime,
    compressOptions: options.compressOptions,
  });
}
