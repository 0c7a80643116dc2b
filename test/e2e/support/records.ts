/**
 * Just enough of RecordBatch v2 for tests: build an uncompressed batch of
 * keyed records, and read key/value/offset back out of fetched bytes
 * (uncompressed or any codec the compression module knows).
 */
import { crc32c } from '@node-rs/crc32';
import { Reader } from '../../../src/protocol/primitives/reader.js';
import { Writer } from '../../../src/protocol/primitives/writer.js';
import { decompress, isCompressionCodec } from '../../../src/protocol/compression/index.js';
import { iterateBatches, readBatchHeader, RECORDS_AT } from '../../../src/protocol/records/index.js';

export interface TestRecord {
  key: string | null;
  value: string | null;
  timestamp?: number;
}

export interface FetchedRecord {
  offset: number;
  timestamp: number;
  key: string | null;
  value: string | null;
}

function varintBytes(write: (w: Writer) => void): Buffer {
  const w = new Writer(16);
  write(w);
  return w.toBuffer();
}

export function buildBatch(records: readonly TestRecord[], baseTimestamp = Date.now()): Buffer {
  const body = new Writer(256);
  records.forEach((record, i) => {
    const key = record.key === null ? null : Buffer.from(record.key);
    const value = record.value === null ? null : Buffer.from(record.value);
    const inner = new Writer(64);
    inner.writeInt8(0);
    inner.writeVarlong((record.timestamp ?? baseTimestamp) - baseTimestamp);
    inner.writeVarint(i);
    if (key === null) inner.writeVarint(-1);
    else inner.writeVarint(key.length).writeRaw(key);
    if (value === null) inner.writeVarint(-1);
    else inner.writeVarint(value.length).writeRaw(value);
    inner.writeVarint(0);
    const bytes = inner.toBuffer();
    body.writeRaw(varintBytes((w) => w.writeVarint(bytes.length)));
    body.writeRaw(bytes);
  });
  const recordBytes = body.toBuffer();
  const maxTimestamp = Math.max(...records.map((r) => r.timestamp ?? baseTimestamp));
  const batch = Buffer.alloc(RECORDS_AT + recordBytes.length);
  batch.writeBigInt64BE(0n, 0);
  batch.writeInt32BE(batch.length - 12, 8);
  batch.writeInt32BE(-1, 12);
  batch.writeInt8(2, 16);
  batch.writeInt16BE(0, 21);
  batch.writeInt32BE(records.length - 1, 23);
  batch.writeBigInt64BE(BigInt(baseTimestamp), 27);
  batch.writeBigInt64BE(BigInt(maxTimestamp), 35);
  batch.writeBigInt64BE(-1n, 43);
  batch.writeInt16BE(-1, 51);
  batch.writeInt32BE(-1, 53);
  batch.writeInt32BE(records.length, 57);
  recordBytes.copy(batch, RECORDS_AT);
  batch.writeUInt32BE(crc32c(batch.subarray(21)) >>> 0, 17);
  return batch;
}

/** Every record in back-to-back batches (a cut-off last batch is ignored, as clients do). */
export function readRecords(bytes: Buffer | null): FetchedRecord[] {
  if (bytes === null) return [];
  const out: FetchedRecord[] = [];
  for (const span of iterateBatches(bytes).batches) {
    const header = readBatchHeader(bytes, span.offset);
    const codec = header.compression;
    if (!isCompressionCodec(codec)) throw new Error(`unknown codec ${codec}`);
    const raw = bytes.subarray(span.offset + RECORDS_AT, span.offset + span.sizeBytes);
    const records = decompress(codec, raw, { maxOutputBytes: 1 << 28 });
    const r = new Reader(records);
    for (let i = 0; i < header.recordCount; i++) {
      const length = r.readVarint();
      const end = r.pos + length;
      r.readInt8();
      const timestampDelta = r.readVarlong();
      const offsetDelta = r.readVarint();
      const keyLength = r.readVarint();
      const key = keyLength < 0 ? null : r.readRaw(keyLength).toString();
      const valueLength = r.readVarint();
      const value = valueLength < 0 ? null : r.readRaw(valueLength).toString();
      r.pos = end;
      const timestamp = header.timestampType === 1 ? header.maxTimestamp : header.baseTimestamp + timestampDelta;
      out.push({ offset: header.baseOffset + offsetDelta, timestamp, key, value });
    }
  }
  return out;
}
