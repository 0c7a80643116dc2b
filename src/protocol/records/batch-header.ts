/**
 * The RecordBatch v2 (magic 2) header: its byte layout, reading it, checking it
 * and rewriting the few fields the broker changes in place.
 *
 * The broker treats a batch as opaque bytes on the hot path, so everything
 * here works on a Buffer plus the batch's start offset and never looks at the
 * records themselves. Fields before the CRC range (base offset, length,
 * partition leader epoch, magic, crc) can be rewritten without a CRC update;
 * anything from the attributes on is covered by the CRC32C and needs one.
 *
 * Layout (big-endian):
 *
 *   @0  baseOffset            int64
 *   @8  batchLength           int32   bytes after this field
 *   @12 partitionLeaderEpoch  int32
 *   @16 magic                 int8    = 2
 *   @17 crc                   uint32  CRC32C of bytes @21 .. end of batch
 *   @21 attributes            int16
 *   @23 lastOffsetDelta       int32
 *   @27 baseTimestamp         int64
 *   @35 maxTimestamp          int64
 *   @43 producerId            int64
 *   @51 producerEpoch         int16
 *   @53 baseSequence          int32
 *   @57 recordCount           int32
 *   @61 records
 */
import { crc32c } from '@node-rs/crc32';
import { COMPRESSION_CODEC_MAX } from '../compression/codec.js';

export const BASE_OFFSET_AT = 0;
export const BATCH_LENGTH_AT = 8;
export const PARTITION_LEADER_EPOCH_AT = 12;
export const MAGIC_AT = 16;
export const CRC_AT = 17;
export const ATTRIBUTES_AT = 21;
export const LAST_OFFSET_DELTA_AT = 23;
export const BASE_TIMESTAMP_AT = 27;
export const MAX_TIMESTAMP_AT = 35;
export const PRODUCER_ID_AT = 43;
export const PRODUCER_EPOCH_AT = 51;
export const BASE_SEQUENCE_AT = 53;
export const RECORD_COUNT_AT = 57;
export const RECORDS_AT = 61;

/** Size of the fixed v2 header; records start right after it. */
export const BATCH_HEADER_BYTES = 61;
/** The offset and length fields that frame every batch and legacy message. */
export const LOG_OVERHEAD_BYTES = 12;
/** Smallest legal batchLength: a header with no records. */
export const BATCH_LENGTH_MIN = BATCH_HEADER_BYTES - LOG_OVERHEAD_BYTES;
/**
 * The smallest possible record is 7 bytes (length, attributes, timestamp delta,
 * offset delta, key length, value length, header count: one byte each), which
 * bounds the record count an uncompressed batch of a given size can hold.
 */
export const RECORD_BYTES_MIN = 7;

export const MAGIC_V2 = 2;

export const ATTR_COMPRESSION_MASK = 0x07;
export const ATTR_TIMESTAMP_TYPE = 0x08;
export const ATTR_TRANSACTIONAL = 0x10;
export const ATTR_CONTROL = 0x20;
/** Set by the log cleaner (KIP-534) once baseTimestamp holds a delete horizon. */
export const ATTR_DELETE_HORIZON = 0x40;

export const TimestampType = { createTime: 0, logAppendTime: 1 } as const;
export type TimestampType = (typeof TimestampType)[keyof typeof TimestampType];

export const NO_PRODUCER_ID = -1n;
export const NO_PRODUCER_EPOCH = -1;
export const NO_SEQUENCE = -1;
export const NO_TIMESTAMP = -1;
export const NO_PARTITION_LEADER_EPOCH = -1;

export interface BatchHeader {
  /** Exact while below 2^53, which every real offset is. */
  baseOffset: number;
  batchLength: number;
  partitionLeaderEpoch: number;
  magic: number;
  crc: number;
  attributes: number;
  /** The raw low three attribute bits; may be above 4 in a batch that failed validation. */
  compression: number;
  timestampType: TimestampType;
  isTransactional: boolean;
  isControl: boolean;
  hasDeleteHorizon: boolean;
  lastOffsetDelta: number;
  baseTimestamp: number;
  maxTimestamp: number;
  producerId: bigint;
  producerEpoch: number;
  baseSequence: number;
  recordCount: number;
}

/** Reads a big-endian int64 as a number (exact below 2^53 in magnitude). */
export function readInt64Number(buf: Buffer, at: number): number {
  return buf.readInt32BE(at) * 4294967296 + buf.readUInt32BE(at + 4);
}

/** Writes a number as a big-endian int64 without going through bigint. */
export function writeInt64Number(buf: Buffer, at: number, value: number): void {
  if (!Number.isSafeInteger(value)) throw new RangeError(`not a safe integer: ${value}`);
  const high = Math.floor(value / 4294967296);
  buf.writeInt32BE(high, at);
  buf.writeUInt32BE(value - high * 4294967296, at + 4);
}

/** Total bytes the batch at `offset` occupies, framing included. */
export function batchSizeBytes(buf: Buffer, offset: number): number {
  return LOG_OVERHEAD_BYTES + buf.readInt32BE(offset + BATCH_LENGTH_AT);
}

/**
 * Decodes the 61 header bytes at `offset`. The caller must have checked that
 * they are there (validateBatch does); a short buffer throws RangeError.
 */
export function readBatchHeader(buf: Buffer, offset: number): BatchHeader {
  const attributes = buf.readInt16BE(offset + ATTRIBUTES_AT);
  return {
    baseOffset: readInt64Number(buf, offset + BASE_OFFSET_AT),
    batchLength: buf.readInt32BE(offset + BATCH_LENGTH_AT),
    partitionLeaderEpoch: buf.readInt32BE(offset + PARTITION_LEADER_EPOCH_AT),
    magic: buf.readInt8(offset + MAGIC_AT),
    crc: buf.readUInt32BE(offset + CRC_AT),
    attributes,
    compression: attributes & ATTR_COMPRESSION_MASK,
    timestampType: (attributes & ATTR_TIMESTAMP_TYPE) !== 0 ? TimestampType.logAppendTime : TimestampType.createTime,
    isTransactional: (attributes & ATTR_TRANSACTIONAL) !== 0,
    isControl: (attributes & ATTR_CONTROL) !== 0,
    hasDeleteHorizon: (attributes & ATTR_DELETE_HORIZON) !== 0,
    lastOffsetDelta: buf.readInt32BE(offset + LAST_OFFSET_DELTA_AT),
    baseTimestamp: readInt64Number(buf, offset + BASE_TIMESTAMP_AT),
    maxTimestamp: readInt64Number(buf, offset + MAX_TIMESTAMP_AT),
    producerId: buf.readBigInt64BE(offset + PRODUCER_ID_AT),
    producerEpoch: buf.readInt16BE(offset + PRODUCER_EPOCH_AT),
    baseSequence: buf.readInt32BE(offset + BASE_SEQUENCE_AT),
    recordCount: buf.readInt32BE(offset + RECORD_COUNT_AT),
  };
}

/** The CRC32C the batch at `offset` should carry, computed over its current bytes. */
export function computeBatchCrc(buf: Buffer, offset: number): number {
  const end = offset + batchSizeBytes(buf, offset);
  return crc32c(buf.subarray(offset + ATTRIBUTES_AT, end)) >>> 0;
}

/** Recomputes and stores the CRC after a rewrite inside the CRC range. */
export function updateBatchCrc(buf: Buffer, offset: number): void {
  buf.writeUInt32BE(computeBatchCrc(buf, offset), offset + CRC_AT);
}

// ---------------------------------------------------------------------------
// Validation

/** The Kafka error a failed check maps to; the broker turns it into an error code. */
export type BatchErrorName =
  | 'CORRUPT_MESSAGE'
  | 'INVALID_RECORD'
  | 'UNSUPPORTED_COMPRESSION_TYPE';

/**
 * Why a batch was refused, finer than the Kafka error: storage recovery needs
 * to tell a torn tail ('truncated') from damage in the middle of a segment.
 */
export type BatchFault =
  | 'truncated'
  | 'length_too_small'
  | 'unknown_magic'
  | 'legacy_magic'
  | 'crc_mismatch'
  | 'unknown_compression'
  | 'bad_record_count'
  | 'bad_offset_range'
  | 'control_from_client'
  | 'bad_control_batch'
  | 'bad_producer_id'
  | 'bad_producer_epoch'
  | 'bad_sequence'
  | 'transactional_without_producer_id';

export type BatchValidation =
  | { ok: true; header: BatchHeader; sizeBytes: number }
  | { ok: false; error: BatchErrorName; fault: BatchFault; message: string };

/**
 * Who wrote the batch. A client's batch must describe itself exactly (count
 * equal to the offset span, no control batches, a sequence when it has a
 * producer id). A batch already in a log may be the leftover of compaction:
 * records gone from the middle or all of them, so the offset span can exceed
 * the count and the count can be zero.
 */
export type BatchOrigin = 'client' | 'log';

export interface ValidateBatchOptions {
  origin?: BatchOrigin;
}

function fail(error: BatchErrorName, fault: BatchFault, message: string): BatchValidation {
  return { ok: false, error, fault, message };
}

/**
 * Checks the batch at `offset`, which must end at or before `endLimit`,
 * without decoding its records. Never throws for any byte content.
 *
 * Producer fields: Kafka treats a producer id of -1 as "not idempotent" and
 * then ignores the epoch and sequence; kafkajs, for one, sends epoch 0 and
 * sequence 0 with producer id -1, so we do not insist on -1 there either.
 */
export function validateBatch(
  buf: Buffer,
  offset: number,
  endLimit: number = buf.length,
  options: ValidateBatchOptions = {},
): BatchValidation {
  const origin = options.origin ?? 'log';
  const end = Math.min(endLimit, buf.length);
  const available = end - offset;
  if (offset < 0 || available < LOG_OVERHEAD_BYTES) {
    return fail('CORRUPT_MESSAGE', 'truncated', `only ${Math.max(available, 0)} bytes left, a batch needs ${BATCH_HEADER_BYTES}`);
  }
  const batchLength = buf.readInt32BE(offset + BATCH_LENGTH_AT);
  if (batchLength < BATCH_LENGTH_MIN) {
    return fail('CORRUPT_MESSAGE', 'length_too_small', `batch length ${batchLength} is below the minimum ${BATCH_LENGTH_MIN}`);
  }
  const sizeBytes = LOG_OVERHEAD_BYTES + batchLength;
  if (sizeBytes > available) {
    return fail('CORRUPT_MESSAGE', 'truncated', `batch of ${sizeBytes} bytes but only ${available} left`);
  }
  const magic = buf.readInt8(offset + MAGIC_AT);
  if (magic !== MAGIC_V2) {
    if (magic === 0 || magic === 1) {
      return fail('INVALID_RECORD', 'legacy_magic', `magic ${magic} where a v2 record batch is required`);
    }
    return fail('CORRUPT_MESSAGE', 'unknown_magic', `unknown magic ${magic}`);
  }
  const storedCrc = buf.readUInt32BE(offset + CRC_AT);
  const actualCrc = crc32c(buf.subarray(offset + ATTRIBUTES_AT, offset + sizeBytes)) >>> 0;
  if (storedCrc !== actualCrc) {
    return fail('CORRUPT_MESSAGE', 'crc_mismatch', `crc ${storedCrc} does not match computed ${actualCrc}`);
  }

  // From here on the bytes are what the producer wrote; what remains are
  // checks that the producer wrote something sensible.
  const header = readBatchHeader(buf, offset);
  if (header.compression > COMPRESSION_CODEC_MAX) {
    return fail('UNSUPPORTED_COMPRESSION_TYPE', 'unknown_compression', `unknown compression codec ${header.compression}`);
  }

  const { recordCount, lastOffsetDelta } = header;
  const recordsBytes = batchLength - BATCH_LENGTH_MIN;
  if (recordCount < 0 || (origin === 'client' && recordCount === 0)) {
    return fail('INVALID_RECORD', 'bad_record_count', `invalid record count ${recordCount}`);
  }
  if (header.compression === 0 && recordCount > recordsBytes / RECORD_BYTES_MIN) {
    return fail('INVALID_RECORD', 'bad_record_count', `${recordCount} records cannot fit in ${recordsBytes} bytes`);
  }
  if (recordCount === 0 && recordsBytes !== 0 && header.compression === 0) {
    return fail('INVALID_RECORD', 'bad_record_count', `no records but ${recordsBytes} bytes of them`);
  }
  if (lastOffsetDelta < 0 || lastOffsetDelta < recordCount - 1) {
    return fail('INVALID_RECORD', 'bad_offset_range', `last offset delta ${lastOffsetDelta} with ${recordCount} records`);
  }
  if (origin === 'client' && lastOffsetDelta !== recordCount - 1) {
    return fail('INVALID_RECORD', 'bad_offset_range', `last offset delta ${lastOffsetDelta} is inconsistent with ${recordCount} records`);
  }
  // A client's base offset is a placeholder the broker overwrites; one read
  // back from a log must be a real offset.
  if (origin === 'log' && (header.baseOffset < 0 || header.baseOffset + lastOffsetDelta > Number.MAX_SAFE_INTEGER)) {
    return fail('INVALID_RECORD', 'bad_offset_range', `base offset ${header.baseOffset} out of range`);
  }

  if (header.isControl) {
    if (origin === 'client') {
      return fail('INVALID_RECORD', 'control_from_client', 'clients may not write control batches');
    }
    // A transaction marker is always a single record; other control batches
    // (Raft's leader change, snapshot header/footer, voters) may hold more.
    if (recordCount === 0 || (header.isTransactional && recordCount !== 1)) {
      return fail('INVALID_RECORD', 'bad_control_batch', `control batch with ${recordCount} records`);
    }
  }
  const { producerId, producerEpoch, baseSequence } = header;
  if (producerId < NO_PRODUCER_ID) {
    return fail('INVALID_RECORD', 'bad_producer_id', `invalid producer id ${producerId}`);
  }
  const hasProducerId = producerId !== NO_PRODUCER_ID;
  if (header.isTransactional && !hasProducerId) {
    return fail('INVALID_RECORD', 'transactional_without_producer_id', 'transactional batch without a producer id');
  }
  if (hasProducerId) {
    if (producerEpoch < 0) {
      return fail('INVALID_RECORD', 'bad_producer_epoch', `invalid producer epoch ${producerEpoch} for producer ${producerId}`);
    }
    // Transaction markers carry no sequence; produced batches always do.
    const sequenceMin = origin === 'client' ? 0 : NO_SEQUENCE;
    if (baseSequence < sequenceMin) {
      return fail('INVALID_RECORD', 'bad_sequence', `invalid sequence ${baseSequence} for producer ${producerId}`);
    }
  }

  return { ok: true, header, sizeBytes };
}

// ---------------------------------------------------------------------------
// Walking back-to-back batches

export interface BatchSpan {
  /** Where the batch starts in the buffer. */
  offset: number;
  /** Its full size, framing included. */
  sizeBytes: number;
}

export interface BatchWalk {
  /** Every complete batch, in order. Complete means framed, not validated. */
  batches: BatchSpan[];
  /**
   * First byte not covered by a complete batch: `end` when the buffer ends on
   * a batch boundary, otherwise where the partial (or bad) tail starts.
   */
  tailOffset: number;
  /**
   * True when the walk stopped on a length field no batch could have (below
   * the minimum for its magic), rather than on a batch cut short by the end of
   * the buffer. A Fetch response may legally end in a cut batch; a log segment
   * that stops on a bad length is damaged there.
   */
  badLength: boolean;
}

/** Smallest legal size field for a legacy v0 message (crc, magic, attributes, key and value lengths). */
const LEGACY_LENGTH_MIN = 14;

/**
 * Splits back-to-back batches (or legacy message sets, which share the
 * offset + length framing) by their length fields only. O(batches), never
 * reads past `end`, never loops: each step advances by at least the minimum
 * batch size or stops.
 */
export function iterateBatches(buf: Buffer, start = 0, end: number = buf.length): BatchWalk {
  const limit = Math.min(end, buf.length);
  const batches: BatchSpan[] = [];
  let at = Math.max(start, 0);
  let badLength = false;
  while (limit - at >= LOG_OVERHEAD_BYTES) {
    const length = buf.readInt32BE(at + BATCH_LENGTH_AT);
    // The magic byte sits at the same place in all three formats.
    const magicKnown = limit - at > MAGIC_AT;
    const minimum = magicKnown && buf.readInt8(at + MAGIC_AT) >= MAGIC_V2 ? BATCH_LENGTH_MIN : LEGACY_LENGTH_MIN;
    if (length < minimum) {
      badLength = true;
      break;
    }
    const sizeBytes = LOG_OVERHEAD_BYTES + length;
    if (sizeBytes > limit - at) break;
    batches.push({ offset: at, sizeBytes });
    at += sizeBytes;
  }
  return { batches, tailOffset: at, badLength };
}

// ---------------------------------------------------------------------------
// In-place rewrites

/** Assigns the batch's base offset. Outside the CRC range: no CRC update. */
export function setBaseOffset(buf: Buffer, offset: number, baseOffset: number | bigint): void {
  if (typeof baseOffset === 'bigint') buf.writeBigInt64BE(baseOffset, offset + BASE_OFFSET_AT);
  else writeInt64Number(buf, offset + BASE_OFFSET_AT, baseOffset);
}

/** Stamps the leader epoch that appended the batch. Outside the CRC range. */
export function setPartitionLeaderEpoch(buf: Buffer, offset: number, epoch: number): void {
  buf.writeInt32BE(epoch, offset + PARTITION_LEADER_EPOCH_AT);
}

/**
 * Sets the timestamp type and max timestamp, then fixes the CRC (both fields
 * are inside its range). Skips the work when nothing would change.
 */
export function setMaxTimestamp(buf: Buffer, offset: number, timestampType: TimestampType, maxTimestamp: number): void {
  const attributesAt = offset + ATTRIBUTES_AT;
  const attributes = buf.readInt16BE(attributesAt);
  const wanted =
    timestampType === TimestampType.logAppendTime ? attributes | ATTR_TIMESTAMP_TYPE : attributes & ~ATTR_TIMESTAMP_TYPE;
  if (wanted === attributes && readInt64Number(buf, offset + MAX_TIMESTAMP_AT) === maxTimestamp) return;
  buf.writeInt16BE(wanted, attributesAt);
  writeInt64Number(buf, offset + MAX_TIMESTAMP_AT, maxTimestamp);
  updateBatchCrc(buf, offset);
}

/**
 * For topics with message.timestamp.type=LogAppendTime: the broker's clock
 * becomes the batch's max timestamp and every record's timestamp (readers use
 * maxTimestamp for all records when the type bit is set).
 */
export function setMaxTimestampAndLogAppendTime(buf: Buffer, offset: number, logAppendTimeMs: number): void {
  setMaxTimestamp(buf, offset, TimestampType.logAppendTime, logAppendTimeMs);
}
