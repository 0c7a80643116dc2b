/**
 * Request frames shaped like a Kafka Produce request, for the ceilings.
 *
 * The layout is a real Produce v8 request (non-flexible, so every length is a
 * fixed-width integer): size prefix, request header v1, then one topic with one
 * partition carrying one RecordBatch v2 whose header and CRC32C are valid. Only
 * the records area is random bytes of the right total size; the ceilings never
 * look inside it. The benchmark that compares Samsa with the ceilings will pass
 * frames built by the protocol code to the same load generator instead.
 */
import { randomBytes } from 'node:crypto';
import { crc32c } from '@node-rs/crc32';

export interface ProduceShapedFrameOptions {
  /** How many distinct frames to build; they get correlation ids 1..count. */
  count: number;
  /** Bytes in the records area of each batch. */
  recordsAreaBytes: number;
  /** Nominal record size; only used for the batch's record count. */
  recordBytes: number;
  topic?: string;
  clientId?: string;
}

/** Offset of the correlation id in a frame, counting the 4-byte size prefix. */
export const correlationIdOffset = 8;

/** RecordBatch v2 header up to and including the record count. */
const batchHeaderBytes = 61;

export function buildProduceShapedFrames(options: ProduceShapedFrameOptions): Buffer[] {
  const topic = Buffer.from(options.topic ?? 'bench', 'utf8');
  const clientId = Buffer.from(options.clientId ?? 'samsa-bench', 'utf8');
  const recordCount = Math.max(1, Math.floor(options.recordsAreaBytes / options.recordBytes));
  const batchBytes = batchHeaderBytes + options.recordsAreaBytes;
  const frames: Buffer[] = [];
  for (let i = 0; i < options.count; i++) {
    const bodyBytes =
      2 + 2 + 4 + (2 + clientId.length) + // header: api key, version, correlation id, client id
      2 + 2 + 4 + // transactional id (null), acks, timeout
      4 + (2 + topic.length) + // topics array, topic name
      4 + 4 + 4 + batchBytes; // partitions array, partition index, records length + records
    const frame = Buffer.allocUnsafe(4 + bodyBytes);
    let p = 0;
    p = frame.writeInt32BE(bodyBytes, p);
    p = frame.writeInt16BE(0, p); // api key: Produce
    p = frame.writeInt16BE(8, p); // api version
    p = frame.writeInt32BE(i + 1, p); // correlation id
    p = frame.writeInt16BE(clientId.length, p);
    p += clientId.copy(frame, p);
    p = frame.writeInt16BE(-1, p); // transactional id: null
    p = frame.writeInt16BE(1, p); // acks
    p = frame.writeInt32BE(30_000, p); // timeout ms
    p = frame.writeInt32BE(1, p); // one topic
    p = frame.writeInt16BE(topic.length, p);
    p += topic.copy(frame, p);
    p = frame.writeInt32BE(1, p); // one partition
    p = frame.writeInt32BE(0, p); // partition index
    p = frame.writeInt32BE(batchBytes, p); // records (bytes)
    const batchStart = p;
    const now = Date.now();
    p = frame.writeBigInt64BE(0n, p); // base offset
    p = frame.writeInt32BE(batchBytes - 12, p); // batch length (after base offset + this field)
    p = frame.writeInt32BE(-1, p); // partition leader epoch
    p = frame.writeInt8(2, p); // magic
    const crcAt = p;
    p += 4;
    const crcFrom = p;
    p = frame.writeInt16BE(0, p); // attributes: no compression, create time
    p = frame.writeInt32BE(recordCount - 1, p); // last offset delta
    p = frame.writeBigInt64BE(BigInt(now), p); // base timestamp
    p = frame.writeBigInt64BE(BigInt(now), p); // max timestamp
    p = frame.writeBigInt64BE(-1n, p); // producer id
    p = frame.writeInt16BE(-1, p); // producer epoch
    p = frame.writeInt32BE(-1, p); // base sequence
    p = frame.writeInt32BE(recordCount, p);
    if (p - batchStart !== batchHeaderBytes) throw new Error('batch header layout is off');
    p += randomBytes(options.recordsAreaBytes).copy(frame, p);
    frame.writeUInt32BE(crc32c(frame.subarray(crcFrom, p)), crcAt);
    if (p !== frame.length) throw new Error('frame layout is off');
    frames.push(frame);
  }
  return frames;
}
