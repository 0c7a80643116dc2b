/**
 * The slow path ListOffsets needs: the offset and timestamp of each record in
 * one batch. Only the two varint deltas of each record are read (plus a
 * decompression for compressed batches); keys, values and headers are
 * skipped by their length. Never used on the produce or fetch path.
 */
import { Reader } from '../../protocol/primitives/reader.js';
import { readBatchHeader, RECORDS_AT, TimestampType } from '../../protocol/records/index.js';
import { decompress, isCompressionCodec } from '../../protocol/compression/index.js';

export interface RecordTimestamp {
  offset: number;
  timestamp: number;
}

/** Largest decompressed batch we will look into (Kafka's max.message.bytes is far below). */
const DECOMPRESSED_BYTES_MAX = 256 * 1024 * 1024;

export function recordTimestamps(batch: Buffer): RecordTimestamp[] {
  const header = readBatchHeader(batch, 0);
  const out: RecordTimestamp[] = [];
  if (header.timestampType === TimestampType.logAppendTime) {
    for (let i = 0; i < header.recordCount; i++) out.push({ offset: header.baseOffset + i, timestamp: header.maxTimestamp });
    return out;
  }
  const compressed = batch.subarray(RECORDS_AT, 12 + header.batchLength);
  if (!isCompressionCodec(header.compression)) return out;
  const records = decompress(header.compression, compressed, { maxOutputBytes: DECOMPRESSED_BYTES_MAX });
  const r = new Reader(records);
  for (let i = 0; i < header.recordCount && r.remaining > 0; i++) {
    const length = r.readVarint();
    const end = r.pos + length;
    r.readInt8(); // attributes
    const timestampDelta = r.readVarlong();
    const offsetDelta = r.readVarint();
    out.push({ offset: header.baseOffset + offsetDelta, timestamp: header.baseTimestamp + timestampDelta });
    r.pos = end;
  }
  return out;
}
