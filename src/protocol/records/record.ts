/**
 * One record inside a v2 batch, the slow-path codec. The hot path never
 * calls this: batches travel as bytes. Compaction, legacy conversion, the
 * client and tests decode records one by one here.
 *
 * Layout, all varints zig-zag encoded:
 *
 *   length          varint   bytes that follow
 *   attributes      int8     unused, always 0 today
 *   timestampDelta  varlong  against the batch's baseTimestamp
 *   offsetDelta     varint   against the batch's baseOffset
 *   keyLength       varint   -1 for a null key
 *   key             bytes
 *   valueLength     varint   -1 for a null value
 *   value           bytes
 *   headerCount     varint
 *   headers         [keyLength varint, key utf8, valueLength varint (-1 null), value]
 */
import { DecodeError } from '../primitives/decode-error.js';
import { Reader } from '../primitives/reader.js';
import type { Writer } from '../primitives/writer.js';

export interface RecordHeader {
  key: string;
  value: Buffer | null;
}

export interface KafkaRecord {
  attributes: number;
  timestampDelta: number;
  offsetDelta: number;
  /** Decoded keys and values are views into the batch's (decompressed) bytes. */
  key: Buffer | null;
  value: Buffer | null;
  headers: RecordHeader[];
}

/**
 * The name the brief uses. Prefer KafkaRecord in code that also wants
 * TypeScript's own Record<K, V>, which this alias hides when imported.
 */
export type { KafkaRecord as Record };

/** A header is at least a key length and a value length: one byte each. */
const HEADER_BYTES_MIN = 2;

/** Bytes a zig-zag varint/varlong takes for `value` (exact below 2^53). */
export function varlongSizeBytes(value: number): number {
  let zigzag = value >= 0 ? value * 2 : -value * 2 - 1;
  let bytes = 1;
  while (zigzag >= 128) {
    zigzag = Math.floor(zigzag / 128);
    bytes++;
  }
  return bytes;
}

export const varintSizeBytes = varlongSizeBytes;

function nullableBytesSize(value: Buffer | null): number {
  return value === null ? 1 : varintSizeBytes(value.length) + value.length;
}

/** Bytes after the length prefix. Header keys must be measured as UTF-8. */
export function recordBodySizeBytes(record: KafkaRecord): number {
  let size =
    1 +
    varlongSizeBytes(record.timestampDelta) +
    varintSizeBytes(record.offsetDelta) +
    nullableBytesSize(record.key) +
    nullableBytesSize(record.value) +
    varintSizeBytes(record.headers.length);
  for (const header of record.headers) {
    const keyBytes = Buffer.byteLength(header.key, 'utf8');
    size += varintSizeBytes(keyBytes) + keyBytes + nullableBytesSize(header.value);
  }
  return size;
}

/** The whole encoded size, length prefix included. */
export function recordSizeBytes(record: KafkaRecord): number {
  const body = recordBodySizeBytes(record);
  return varintSizeBytes(body) + body;
}

function writeNullableVarBytes(writer: Writer, value: Buffer | null): void {
  if (value === null) {
    writer.writeVarint(-1);
    return;
  }
  writer.writeVarint(value.length);
  writer.writeRaw(value);
}

export function encodeRecord(writer: Writer, record: KafkaRecord): void {
  writer.writeVarint(recordBodySizeBytes(record));
  writer.writeInt8(record.attributes);
  writer.writeVarlong(record.timestampDelta);
  writer.writeVarint(record.offsetDelta);
  writeNullableVarBytes(writer, record.key);
  writeNullableVarBytes(writer, record.value);
  writer.writeVarint(record.headers.length);
  for (const header of record.headers) {
    const key = Buffer.from(header.key, 'utf8');
    writer.writeVarint(key.length);
    writer.writeRaw(key);
    writeNullableVarBytes(writer, header.value);
  }
}

function readNullableVarBytes(reader: Reader, what: string): Buffer | null {
  const length = reader.readVarint();
  if (length < 0) {
    if (length !== -1) throw new DecodeError(`invalid ${what} length ${length}`);
    return null;
  }
  return reader.readRaw(length);
}

/**
 * Decodes the record at the reader's position and leaves the reader after
 * it. The length prefix bounds everything else: a field running past it, or
 * bytes left over inside it, is a DecodeError.
 */
export function decodeRecord(reader: Reader): KafkaRecord {
  const length = reader.readVarint();
  if (length < 0) throw new DecodeError(`invalid record length ${length}`);
  reader.need(length);
  const end = reader.pos + length;
  const body = new Reader(reader.buf, reader.pos, end);
  const attributes = body.readInt8();
  const timestampDelta = body.readVarlong();
  const offsetDelta = body.readVarint();
  const key = readNullableVarBytes(body, 'key');
  const value = readNullableVarBytes(body, 'value');
  const headerCount = body.readVarint();
  if (headerCount < 0 || headerCount > body.remaining / HEADER_BYTES_MIN) {
    throw new DecodeError(`invalid header count ${headerCount}`);
  }
  const headers: RecordHeader[] = new Array(headerCount);
  for (let i = 0; i < headerCount; i++) {
    const keyLength = body.readVarint();
    if (keyLength < 0) throw new DecodeError(`invalid header key length ${keyLength}`);
    const keyBytes = body.readRaw(keyLength);
    headers[i] = { key: keyBytes.toString('utf8'), value: readNullableVarBytes(body, 'header value') };
  }
  if (body.pos !== end) {
    throw new DecodeError(`record declared ${length} bytes but its fields took ${body.pos - (end - length)}`);
  }
  reader.pos = end;
  return { attributes, timestampDelta, offsetDelta, key, value, headers };
}
