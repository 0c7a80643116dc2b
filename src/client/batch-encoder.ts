/**
 * The producer's record batch encoder: the same bytes as the protocol's
 * buildRecordBatch (batch-encoder.test.ts checks that), written for the
 * producer's hot path. Each record's size is worked out once, the batch is
 * one exactly sized Buffer (no growing writer, no copy of the records into
 * it afterwards, no per-record objects), varints are written with integer
 * arithmetic while they fit in 31 bits, and the CRC32C runs once over the
 * finished batch. Compressed batches encode the records the same way, then
 * compress them into place behind the header.
 */
import { CompressionCodec } from '../protocol/compression/codec.js';
import { compress } from '../protocol/compression/compress.js';
import {
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
  PARTITION_LEADER_EPOCH_AT,
  PRODUCER_EPOCH_AT,
  PRODUCER_ID_AT,
  RECORD_COUNT_AT,
  updateBatchCrc,
  writeInt64Number,
} from '../protocol/records/batch-header.js';
import type { RecordHeader } from '../protocol/records/record.js';

/** A record as the producer queues it: buffers already converted, timestamp set. */
export interface ProducerRecordInput {
  key: Buffer | null;
  value: Buffer | null;
  headers: RecordHeader[];
  timestamp: number;
}

export interface ProducerBatchOptions {
  compression: CompressionCodec;
  producerId: bigint;
  producerEpoch: number;
  baseSequence: number;
  transactional: boolean;
}

/** Zig-zag of a signed number (exact below 2^52 in magnitude). */
function zigzag(value: number): number {
  return value >= 0 ? value * 2 : -value * 2 - 1;
}

/** Bytes an unsigned varint of `u` takes. */
function uvarintSize(u: number): number {
  if (u < 0x80) return 1;
  if (u < 0x4000) return 2;
  if (u < 0x200000) return 3;
  if (u < 0x10000000) return 4;
  let bytes = 5;
  for (let v = Math.floor(u / 0x800000000); v > 0; v = Math.floor(v / 128)) bytes++;
  return bytes;
}

function writeUvarint(buf: Buffer, at: number, u: number): number {
  if (u < 0x80000000) {
    while (u >= 0x80) {
      buf[at++] = (u & 0x7f) | 0x80;
      u >>>= 7;
    }
  } else {
    while (u >= 0x80) {
      buf[at++] = (u % 128) | 0x80;
      u = Math.floor(u / 128);
    }
  }
  buf[at++] = u;
  return at;
}

/** Bytes of a nullable byte field: its zig-zag length (-1 for null) and the bytes. */
function bytesFieldSize(value: Buffer | null): number {
  return value === null ? 1 : uvarintSize(value.length * 2) + value.length;
}

function writeBytesField(buf: Buffer, at: number, value: Buffer | null): number {
  if (value === null) {
    buf[at] = 1; // zig-zag of -1
    return at + 1;
  }
  at = writeUvarint(buf, at, value.length * 2);
  value.copy(buf, at);
  return at + value.length;
}

/** Sizes of the records' bodies (after their length prefix), reused between calls. */
let bodySizes = new Int32Array(1024);

/**
 * Encodes the records of one batch (baseOffset 0, leader epoch -1,
 * CreateTime). The base timestamp is the first record's, as in Kafka's
 * producers.
 */
export function encodeProducerBatch(records: readonly ProducerRecordInput[], options: ProducerBatchOptions): Buffer {
  const count = records.length;
  if (count > bodySizes.length) bodySizes = new Int32Array(Math.max(count, bodySizes.length * 2));
  const baseTimestamp = count > 0 ? records[0]!.timestamp : -1;
  let maxTimestamp = baseTimestamp;
  let recordsBytes = 0;
  for (let i = 0; i < count; i++) {
    const r = records[i]!;
    if (r.timestamp > maxTimestamp) maxTimestamp = r.timestamp;
    let size = 1 + uvarintSize(zigzag(r.timestamp - baseTimestamp)) + uvarintSize(i * 2) + bytesFieldSize(r.key) + bytesFieldSize(r.value);
    const headers = r.headers;
    size += uvarintSize(headers.length * 2);
    for (let h = 0; h < headers.length; h++) {
      const keyBytes = Buffer.byteLength(headers[h]!.key, 'utf8');
      size += uvarintSize(keyBytes * 2) + keyBytes + bytesFieldSize(headers[h]!.value);
    }
    bodySizes[i] = size;
    recordsBytes += uvarintSize(size * 2) + size;
  }

  const compressed = options.compression !== CompressionCodec.none;
  const out = Buffer.allocUnsafe(compressed ? recordsBytes : BATCH_HEADER_BYTES + recordsBytes);
  let at = compressed ? 0 : BATCH_HEADER_BYTES;
  for (let i = 0; i < count; i++) {
    const r = records[i]!;
    at = writeUvarint(out, at, bodySizes[i]! * 2);
    out[at++] = 0; // attributes
    at = writeUvarint(out, at, zigzag(r.timestamp - baseTimestamp));
    at = writeUvarint(out, at, i * 2);
    at = writeBytesField(out, at, r.key);
    at = writeBytesField(out, at, r.value);
    const headers = r.headers;
    at = writeUvarint(out, at, headers.length * 2);
    for (let h = 0; h < headers.length; h++) {
      const header = headers[h]!;
      const keyBytes = Buffer.byteLength(header.key, 'utf8');
      at = writeUvarint(out, at, keyBytes * 2);
      at += out.write(header.key, at, keyBytes, 'utf8');
      at = writeBytesField(out, at, header.value);
    }
  }

  let batch: Buffer;
  if (compressed) {
    const payload = compress(options.compression, out);
    batch = Buffer.allocUnsafe(BATCH_HEADER_BYTES + payload.length);
    payload.copy(batch, BATCH_HEADER_BYTES);
  } else {
    batch = out;
  }
  batch.writeBigInt64BE(0n, 0);
  batch.writeInt32BE(batch.length - LOG_OVERHEAD_BYTES, BATCH_LENGTH_AT);
  batch.writeInt32BE(NO_PARTITION_LEADER_EPOCH, PARTITION_LEADER_EPOCH_AT);
  batch.writeInt8(MAGIC_V2, MAGIC_AT);
  batch.writeInt16BE(options.compression | (options.transactional ? ATTR_TRANSACTIONAL : 0), ATTRIBUTES_AT);
  batch.writeInt32BE(Math.max(count - 1, 0), LAST_OFFSET_DELTA_AT);
  writeInt64Number(batch, BASE_TIMESTAMP_AT, baseTimestamp);
  writeInt64Number(batch, MAX_TIMESTAMP_AT, maxTimestamp);
  batch.writeBigInt64BE(options.producerId, PRODUCER_ID_AT);
  batch.writeInt16BE(options.producerEpoch, PRODUCER_EPOCH_AT);
  batch.writeInt32BE(options.baseSequence, BASE_SEQUENCE_AT);
  batch.writeInt32BE(count, RECORD_COUNT_AT);
  updateBatchCrc(batch, 0);
  return batch;
}
