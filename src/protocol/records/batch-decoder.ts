/**
 * Decodes a whole v2 batch into records: the inverse of buildRecordBatch.
 * Checks the header and CRC first (validateBatch), so anything handed back
 * is what the producer wrote.
 */
import { CompressionCodec, isCompressionCodec } from '../compression/codec.js';
import { decompress } from '../compression/compress.js';
import { DecodeError } from '../primitives/decode-error.js';
import { Reader } from '../primitives/reader.js';
import {
  BATCH_HEADER_BYTES,
  RECORD_BYTES_MIN,
  TimestampType,
  iterateBatches,
  validateBatch,
  type BatchHeader,
  type BatchOrigin,
} from './batch-header.js';
import { InvalidRecordsError } from './invalid-records-error.js';
import { decodeRecord, type KafkaRecord } from './record.js';

/** A record with its absolute offset and timestamp worked out. */
export interface DecodedRecord extends KafkaRecord {
  offset: number;
  /** For LogAppendTime batches, the batch's max timestamp, as Kafka readers see it. */
  timestamp: number;
}

export interface DecodedBatch {
  header: BatchHeader;
  records: DecodedRecord[];
  /** Bytes the batch occupied in the input, framing included. */
  sizeBytes: number;
}

export interface DecodeBatchOptions {
  /** Ceiling on decompressed record bytes; past it a DecompressionError (too_large). Not applied to uncompressed batches. */
  maxRecordsBytes?: number;
  origin?: BatchOrigin;
}

/** Default ceiling on decompressed record bytes: generous, but no bomb gets through. */
export const DECODED_RECORDS_BYTES_MAX = 64 * 1024 * 1024;

/**
 * Decodes the batch at `offset`. Throws DecodeError only: InvalidRecordsError
 * (with the Kafka error name) for header and CRC failures, DecompressionError
 * for bad or oversized compressed data, plain DecodeError for records that
 * do not parse or do not fill the batch exactly.
 */
export function decodeRecordBatch(buf: Buffer, offset = 0, options: DecodeBatchOptions = {}): DecodedBatch {
  const validation = validateBatch(buf, offset, buf.length, { origin: options.origin ?? 'log' });
  if (!validation.ok) throw new InvalidRecordsError(validation.error, validation.message);
  const { header, sizeBytes } = validation;
  const payload = buf.subarray(offset + BATCH_HEADER_BYTES, offset + sizeBytes);
  const codec = header.compression;
  if (!isCompressionCodec(codec)) throw new InvalidRecordsError('UNSUPPORTED_COMPRESSION_TYPE', `codec ${codec}`);
  // Uncompressed records are already in memory: the limit guards against expansion only.
  const recordBytes =
    codec === CompressionCodec.none
      ? payload
      : decompress(codec, payload, { maxOutputBytes: options.maxRecordsBytes ?? DECODED_RECORDS_BYTES_MAX });
  if (header.recordCount > recordBytes.length / RECORD_BYTES_MIN) {
    throw new DecodeError(`${header.recordCount} records cannot fit in ${recordBytes.length} bytes`);
  }
  const reader = new Reader(recordBytes);
  const logAppendTime = header.timestampType === TimestampType.logAppendTime;
  const records: DecodedRecord[] = new Array(header.recordCount);
  for (let i = 0; i < header.recordCount; i++) {
    const record = decodeRecord(reader);
    records[i] = {
      ...record,
      offset: header.baseOffset + record.offsetDelta,
      timestamp: logAppendTime ? header.maxTimestamp : header.baseTimestamp + record.timestampDelta,
    };
  }
  if (reader.remaining !== 0) {
    throw new DecodeError(`${reader.remaining} bytes left after the batch's ${header.recordCount} records`);
  }
  return { header, records, sizeBytes };
}

/** Decodes every complete batch in `buf`, ignoring a partial one at the end. */
export function decodeRecordBatches(buf: Buffer, options: DecodeBatchOptions = {}): DecodedBatch[] {
  const walk = iterateBatches(buf);
  if (walk.badLength) throw new InvalidRecordsError('CORRUPT_MESSAGE', `bad batch length at byte ${walk.tailOffset}`);
  return walk.batches.map((span) => decodeRecordBatch(buf, span.offset, options));
}
