/**
 * Legacy message sets: magic 0 (before Kafka 0.10) and magic 1 (0.10, adds a
 * timestamp). Produce v0-v2 and Fetch v0-v3 carry these; we store only v2
 * batches and convert at the edge (see legacy-convert.ts).
 *
 * A message set is messages back to back, each framed like a v2 batch:
 *
 *   offset       int64
 *   messageSize  int32    bytes that follow
 *   crc          uint32   plain CRC32 (not CRC32C) of magic .. end
 *   magic        int8     0 or 1
 *   attributes   int8     bits 0-2 codec (no zstd), bit 3 LogAppendTime (magic 1)
 *   timestamp    int64    magic 1 only
 *   key          int32 length (-1 null) + bytes
 *   value        int32 length (-1 null) + bytes
 *
 * Compression wraps a whole inner message set into the value of one wrapper
 * message. With magic 0 the inner messages carry absolute offsets and the
 * wrapper repeats the last one. With magic 1 (KIP-31) inner offsets are
 * relative (0, 1, ...) and the wrapper holds the absolute offset of the last
 * inner message, so the broker can assign offsets by rewriting the wrapper
 * alone. With magic 1 (KIP-32) the wrapper's timestamp is the max inner
 * timestamp, or, when its LogAppendTime bit is set, the timestamp every inner
 * message is read with.
 */
import { crc32 } from '@node-rs/crc32';
import { CompressionCodec, isCompressionCodec } from '../compression/codec.js';
import { compress, decompress, type CompressOptions } from '../compression/compress.js';
import { LOG_OVERHEAD_BYTES, NO_TIMESTAMP, TimestampType, readInt64Number, writeInt64Number } from './batch-header.js';
import { InvalidRecordsError } from './invalid-records-error.js';

export type LegacyMagic = 0 | 1;

const CRC_AT = 12;
const MAGIC_AT = 16;
const ATTRIBUTES_AT = 17;
const TIMESTAMP_AT = 18;
/** crc, magic, attributes, key length, value length. */
export const LEGACY_V0_SIZE_MIN = 14;
/** ... plus the timestamp. */
export const LEGACY_V1_SIZE_MIN = 22;
const ATTR_CODEC_MASK = 0x07;
const ATTR_LOG_APPEND_TIME = 0x08;
/** The largest codec legacy messages may use: zstd needs magic 2. */
const LEGACY_CODEC_MAX = CompressionCodec.lz4;

export function legacySizeMin(magic: LegacyMagic): number {
  return magic === 0 ? LEGACY_V0_SIZE_MIN : LEGACY_V1_SIZE_MIN;
}

/** One message exactly as stored, wrapper or not. */
export interface LegacyMessage {
  /** As written: absolute, or relative for a magic-1 message inside a wrapper. */
  offset: number;
  magic: LegacyMagic;
  attributes: number;
  compression: CompressionCodec;
  timestampType: TimestampType;
  /** -1 (no timestamp) for magic 0. */
  timestamp: number;
  key: Buffer | null;
  value: Buffer | null;
  /** Bytes the message took, framing included. */
  sizeBytes: number;
}

/** A message as a consumer sees it: offsets absolute, wrappers opened. */
export interface LegacyRecord {
  offset: number;
  magic: LegacyMagic;
  timestampType: TimestampType;
  timestamp: number;
  key: Buffer | null;
  value: Buffer | null;
  /** Codec of the wrapper it came out of (none when it was not wrapped). */
  compression: CompressionCodec;
}

function corrupt(message: string): InvalidRecordsError {
  return new InvalidRecordsError('CORRUPT_MESSAGE', message);
}

function readNullableBytes(buf: Buffer, at: number, end: number, what: string): { value: Buffer | null; next: number } {
  if (end - at < 4) throw corrupt(`truncated ${what} length`);
  const length = buf.readInt32BE(at);
  if (length === -1) return { value: null, next: at + 4 };
  if (length < 0 || length > end - at - 4) throw corrupt(`invalid ${what} length ${length}`);
  return { value: buf.subarray(at + 4, at + 4 + length), next: at + 4 + length };
}

/**
 * Reads and checks (size, CRC, magic, codec) the message at `at`. The whole
 * message must be inside `[at, end)`; callers find partial tails first.
 */
export function readLegacyMessage(buf: Buffer, at: number, end: number = buf.length): LegacyMessage {
  if (end - at < LOG_OVERHEAD_BYTES) throw corrupt('truncated message header');
  const size = buf.readInt32BE(at + 8);
  if (size < LEGACY_V0_SIZE_MIN) throw corrupt(`message size ${size} below the minimum`);
  const messageEnd = at + LOG_OVERHEAD_BYTES + size;
  if (messageEnd > end) throw corrupt(`message of ${size} bytes overruns the ${end - at - LOG_OVERHEAD_BYTES} left`);
  const magic = buf.readInt8(at + MAGIC_AT);
  if (magic !== 0 && magic !== 1) {
    throw new InvalidRecordsError(magic === 2 ? 'INVALID_RECORD' : 'CORRUPT_MESSAGE', `magic ${magic} in a legacy message set`);
  }
  if (size < legacySizeMin(magic)) throw corrupt(`message size ${size} below the minimum for magic ${magic}`);
  const storedCrc = buf.readUInt32BE(at + CRC_AT);
  const actualCrc = crc32(buf.subarray(at + MAGIC_AT, messageEnd)) >>> 0;
  if (storedCrc !== actualCrc) throw corrupt(`message crc ${storedCrc} does not match computed ${actualCrc}`);
  const attributes = buf.readInt8(at + ATTRIBUTES_AT);
  const codec = attributes & ATTR_CODEC_MASK;
  if (codec > LEGACY_CODEC_MAX || !isCompressionCodec(codec)) {
    throw new InvalidRecordsError('UNSUPPORTED_COMPRESSION_TYPE', `codec ${codec} in a magic ${magic} message`);
  }
  let cursor = at + (magic === 0 ? TIMESTAMP_AT : TIMESTAMP_AT + 8);
  const timestamp = magic === 0 ? NO_TIMESTAMP : readInt64Number(buf, at + TIMESTAMP_AT);
  const key = readNullableBytes(buf, cursor, messageEnd, 'key');
  cursor = key.next;
  const value = readNullableBytes(buf, cursor, messageEnd, 'value');
  if (value.next !== messageEnd) throw corrupt(`message size ${size} does not match its contents`);
  return {
    offset: readInt64Number(buf, at),
    magic,
    attributes,
    compression: codec,
    timestampType: magic === 1 && (attributes & ATTR_LOG_APPEND_TIME) !== 0 ? TimestampType.logAppendTime : TimestampType.createTime,
    timestamp,
    key: key.value,
    value: value.value,
    sizeBytes: messageEnd - at,
  };
}

/** Reads the flat messages of one set, stopping at a partial message at the end. */
function readShallow(buf: Buffer, allowPartialTail: boolean): LegacyMessage[] {
  const messages: LegacyMessage[] = [];
  let at = 0;
  while (at < buf.length) {
    const left = buf.length - at;
    // A negative or tiny size counts as complete here so readLegacyMessage rejects it.
    const complete = left >= LOG_OVERHEAD_BYTES && buf.readInt32BE(at + 8) <= left - LOG_OVERHEAD_BYTES;
    if (!complete) {
      if (allowPartialTail) break;
      throw corrupt(`partial message at byte ${at}`);
    }
    const message = readLegacyMessage(buf, at);
    messages.push(message);
    at += message.sizeBytes;
  }
  return messages;
}

export interface DecodeLegacyOptions {
  /** Ceiling on each wrapper's decompressed bytes. */
  maxDecompressedBytes?: number;
  /** Fetch responses may end in a cut message; produce requests may not. */
  allowPartialTail?: boolean;
}

/** Default ceiling on one wrapper's decompressed bytes. */
export const LEGACY_DECOMPRESSED_BYTES_MAX = 64 * 1024 * 1024;

/**
 * Decodes a message set into records with absolute offsets, opening
 * compressed wrappers. Throws DecodeError (InvalidRecordsError with a Kafka
 * error name for format violations, DecompressionError for bad payloads).
 */
export function decodeLegacyMessageSet(buf: Buffer, options: DecodeLegacyOptions = {}): LegacyRecord[] {
  const records: LegacyRecord[] = [];
  for (const message of readShallow(buf, options.allowPartialTail ?? false)) {
    if (message.compression === CompressionCodec.none) {
      records.push({
        offset: message.offset,
        magic: message.magic,
        timestampType: message.timestampType,
        timestamp: message.timestamp,
        key: message.key,
        value: message.value,
        compression: CompressionCodec.none,
      });
      continue;
    }
    if (message.value === null) throw new InvalidRecordsError('INVALID_RECORD', 'compressed wrapper with a null value');
    const inner = readShallow(
      decompress(message.compression, message.value, {
        maxOutputBytes: options.maxDecompressedBytes ?? LEGACY_DECOMPRESSED_BYTES_MAX,
        lz4AcceptLegacyHeaderChecksum: true,
      }),
      false,
    );
    if (inner.length === 0) throw new InvalidRecordsError('INVALID_RECORD', 'compressed wrapper with no messages');
    const lastInnerOffset = inner[inner.length - 1]!.offset;
    for (const innerMessage of inner) {
      if (innerMessage.compression !== CompressionCodec.none) {
        throw new InvalidRecordsError('INVALID_RECORD', 'compressed messages may not be nested');
      }
      if (innerMessage.magic !== message.magic) {
        throw new InvalidRecordsError('INVALID_RECORD', `magic ${innerMessage.magic} inside a magic ${message.magic} wrapper`);
      }
      const logAppendTime = message.timestampType === TimestampType.logAppendTime;
      records.push({
        offset: message.magic === 0 ? innerMessage.offset : message.offset - lastInnerOffset + innerMessage.offset,
        magic: message.magic,
        timestampType: logAppendTime ? TimestampType.logAppendTime : innerMessage.timestampType,
        timestamp: logAppendTime ? message.timestamp : innerMessage.timestamp,
        key: innerMessage.key,
        value: innerMessage.value,
        compression: message.compression,
      });
    }
  }
  return records;
}

// ---------------------------------------------------------------------------
// Building

export interface LegacyRecordInput {
  key?: Buffer | null;
  value?: Buffer | null;
  /** Ignored for magic 0. */
  timestamp?: number;
  /** Absolute; defaults to baseOffset + index. */
  offset?: number;
}

export interface BuildLegacyOptions {
  magic: LegacyMagic;
  records: readonly LegacyRecordInput[];
  baseOffset?: number;
  compression?: CompressionCodec;
  compressOptions?: CompressOptions;
  /** Magic 1 only: mark messages (or the wrapper) LogAppendTime, read with `logAppendTime`. */
  timestampType?: TimestampType;
  logAppendTime?: number;
}

function messageSize(magic: LegacyMagic, key: Buffer | null, value: Buffer | null): number {
  return legacySizeMin(magic) + (key?.length ?? 0) + (value?.length ?? 0);
}

/** Writes one message at `at`; returns the position after it. */
function writeMessage(
  out: Buffer,
  at: number,
  magic: LegacyMagic,
  offset: number,
  attributes: number,
  timestamp: number,
  key: Buffer | null,
  value: Buffer | null,
): number {
  const size = messageSize(magic, key, value);
  writeInt64Number(out, at, offset);
  out.writeInt32BE(size, at + 8);
  out.writeInt8(magic, at + MAGIC_AT);
  out.writeInt8(attributes, at + ATTRIBUTES_AT);
  let cursor = at + TIMESTAMP_AT;
  if (magic === 1) {
    writeInt64Number(out, cursor, timestamp);
    cursor += 8;
  }
  for (const field of [key, value]) {
    if (field === null) {
      out.writeInt32BE(-1, cursor);
      cursor += 4;
    } else {
      out.writeInt32BE(field.length, cursor);
      field.copy(out, cursor + 4);
      cursor += 4 + field.length;
    }
  }
  out.writeUInt32BE(crc32(out.subarray(at + MAGIC_AT, cursor)) >>> 0, at + CRC_AT);
  return cursor;
}

function writeMessages(
  magic: LegacyMagic,
  entries: readonly { offset: number; attributes: number; timestamp: number; key: Buffer | null; value: Buffer | null }[],
): Buffer {
  let total = 0;
  for (const entry of entries) total += LOG_OVERHEAD_BYTES + messageSize(magic, entry.key, entry.value);
  const out = Buffer.allocUnsafe(total);
  let at = 0;
  for (const entry of entries) {
    at = writeMessage(out, at, magic, entry.offset, entry.attributes, entry.timestamp, entry.key, entry.value);
  }
  return out;
}

/**
 * Builds a message set: one message per record, or, compressed, a single
 * wrapper around them with the offset and timestamp rules described above.
 * Magic-0 lz4 gets the KAFKA-3160 header checksum its readers expect.
 */
export function buildLegacyMessageSet(options: BuildLegacyOptions): Buffer {
  const { magic, records } = options;
  const codec = options.compression ?? CompressionCodec.none;
  if (codec > LEGACY_CODEC_MAX) {
    throw new InvalidRecordsError('UNSUPPORTED_COMPRESSION_TYPE', `codec ${codec} needs magic 2`);
  }
  if (records.length === 0) return Buffer.alloc(0);
  const baseOffset = options.baseOffset ?? 0;
  const logAppendTime = magic === 1 && options.timestampType === TimestampType.logAppendTime;
  const timestampBit = logAppendTime ? ATTR_LOG_APPEND_TIME : 0;
  const appendTime = options.logAppendTime ?? NO_TIMESTAMP;
  const absolute = records.map((record, i) => record.offset ?? baseOffset + i);
  const timestampOf = (record: LegacyRecordInput): number =>
    magic === 0 ? NO_TIMESTAMP : logAppendTime ? appendTime : record.timestamp ?? NO_TIMESTAMP;

  if (codec === CompressionCodec.none) {
    return writeMessages(
      magic,
      records.map((record, i) => ({
        offset: absolute[i]!,
        attributes: timestampBit,
        timestamp: timestampOf(record),
        key: record.key ?? null,
        value: record.value ?? null,
      })),
    );
  }

  const firstOffset = absolute[0]!;
  const lastOffset = absolute[absolute.length - 1]!;
  const inner = writeMessages(
    magic,
    records.map((record, i) => ({
      offset: magic === 0 ? absolute[i]! : absolute[i]! - firstOffset,
      attributes: 0,
      timestamp: magic === 0 ? NO_TIMESTAMP : record.timestamp ?? NO_TIMESTAMP,
      key: record.key ?? null,
      value: record.value ?? null,
    })),
  );
  let maxTimestamp = NO_TIMESTAMP;
  for (const record of records) maxTimestamp = Math.max(maxTimestamp, record.timestamp ?? NO_TIMESTAMP);
  const payload = compress(codec, inner, { ...options.compressOptions, lz4LegacyHeaderChecksum: magic === 0 });
  return writeMessages(magic, [
    {
      offset: lastOffset,
      attributes: codec | timestampBit,
      timestamp: magic === 0 ? NO_TIMESTAMP : logAppendTime ? appendTime : maxTimestamp,
      key: null,
      value: payload,
    },
  ]);
}

/** Where a legacy message set's trailing partial message starts (its length when none). */
export function legacyMessageSetCompleteBytes(buf: Buffer): number {
  let at = 0;
  while (buf.length - at >= LOG_OVERHEAD_BYTES) {
    const size = buf.readInt32BE(at + 8);
    if (size < LEGACY_V0_SIZE_MIN || size > buf.length - at - LOG_OVERHEAD_BYTES) break;
    at += LOG_OVERHEAD_BYTES + size;
  }
  return at;
}

