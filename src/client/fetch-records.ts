/**
 * Turns the record bytes of one partition in a Fetch response into messages.
 *
 * - Batches are decoded with the records module; a partial batch at the end
 *   (the broker cuts at max bytes) is left for the next fetch.
 * - Control batches (transaction markers) are never delivered.
 * - With read_committed, records of aborted transactions are dropped: the
 *   response lists each aborted transaction by producer id and first offset;
 *   from that offset, that producer's transactional batches are skipped until
 *   its ABORT marker.
 * - Records before the fetch offset (a batch starts earlier than asked) are
 *   dropped.
 */
import { CompressionCodec, isCompressionCodec } from '../protocol/compression/codec.js';
import { decompress } from '../protocol/compression/compress.js';
import type { FetchResponseAbortedTransaction } from '../protocol/generated/messages/fetch-response.js';
import { DecodeError } from '../protocol/primitives/decode-error.js';
import { decodeRecordBatch, DECODED_RECORDS_BYTES_MAX } from '../protocol/records/batch-decoder.js';
import {
  BATCH_HEADER_BYTES,
  iterateBatches,
  readBatchHeader,
  validateBatch,
  MAGIC_AT,
  MAGIC_V2,
  RECORD_BYTES_MIN,
  TimestampType,
} from '../protocol/records/batch-header.js';
import { InvalidRecordsError } from '../protocol/records/invalid-records-error.js';
import { ControlRecordType, decodeControlRecordKey } from '../protocol/records/control-record.js';
import type { RecordHeader } from '../protocol/records/record.js';

export interface ConsumerMessage {
  topic: string;
  partition: number;
  offset: bigint;
  key: Buffer | null;
  value: Buffer | null;
  headers: RecordHeader[];
  /** Milliseconds since the epoch (CreateTime, or LogAppendTime when the topic says so). */
  timestamp: number;
  /** Which of the two `timestamp` is, from the batch attributes: the producer's, or the broker's append time. */
  timestampType: ConsumerTimestampType;
  leaderEpoch: number;
}

export type ConsumerTimestampType = 'CreateTime' | 'LogAppendTime';

export interface DecodedFetch {
  messages: ConsumerMessage[];
  /** Where the next fetch starts: past the last complete batch, control and skipped ones included. */
  nextOffset: bigint;
}

export function decodeFetchedRecords(
  topic: string,
  partition: number,
  records: Buffer | null,
  fetchOffset: bigint,
  abortedTransactions: FetchResponseAbortedTransaction[] | null,
  readCommitted: boolean,
): DecodedFetch {
  const messages: ConsumerMessage[] = [];
  let nextOffset = fetchOffset;
  if (records === null || records.length === 0) return { messages, nextOffset };
  const aborted = readCommitted && abortedTransactions !== null ? [...abortedTransactions].sort((a, b) => (a.firstOffset < b.firstOffset ? -1 : 1)) : [];
  const abortedProducers = new Set<bigint>();
  const walk = iterateBatches(records);
  for (const span of walk.batches) {
    if (records.readInt8(span.offset + MAGIC_AT) !== MAGIC_V2) {
      // Legacy message sets only come from very old brokers for old fetch versions; we always fetch v4+.
      continue;
    }
    const header = readBatchHeader(records, span.offset);
    const lastOffset = BigInt(header.baseOffset + header.lastOffsetDelta);
    if (lastOffset < fetchOffset) continue;
    while (aborted.length > 0 && aborted[0]!.firstOffset <= lastOffset) abortedProducers.add(aborted.shift()!.producerId);
    if (header.isControl || (header.isTransactional && abortedProducers.has(header.producerId))) {
      // Rare batches that deliver nothing: the general decoder (it checks the CRC and every record too).
      const batch = decodeRecordBatch(records, span.offset);
      nextOffset = lastOffset + 1n;
      if (header.isControl) {
        const first = batch.records[0];
        if (first !== undefined && decodeControlRecordKey(first.key).type === ControlRecordType.abort) abortedProducers.delete(header.producerId);
      }
      continue;
    }
    decodeDataBatch(records, span.offset, topic, partition, fetchOffset, messages);
    nextOffset = lastOffset + 1n;
  }
  return { messages, nextOffset };
}

/*
 * The data path. Profiling the consumer showed most of its CPU going to
 * decodeRecordBatch and the garbage collector: the general decoder makes a
 * Reader per record, a record object, a spread copy of it with the offset,
 * and then we copied that once more into a ConsumerMessage. Here each record
 * becomes its ConsumerMessage directly, read with one cursor per batch. The
 * checks are those of decodeRecordBatch and decodeRecord (validateBatch for
 * the header and CRC, then every length and varint bounds-checked against its
 * record), and so are the errors.
 */

/**
 * A bounds-checked cursor over a batch's record bytes. `end` is the end of
 * the record being read while inside one, so no field can run past it.
 */
class RecordCursor {
  pos: number;
  end: number;

  constructor(
    readonly buf: Buffer,
    start: number,
    end: number,
  ) {
    this.pos = start;
    this.end = end;
  }

  /** Zig-zag varint of at most 5 bytes, the same arithmetic as Reader.readVarint. */
  varint(): number {
    const buf = this.buf;
    let raw = 0;
    let shift = 0;
    for (let i = 0; i < 5; i++) {
      if (this.pos >= this.end) throw new DecodeError(`truncated varint at offset ${this.pos}`);
      const byte = buf[this.pos++]!;
      raw |= (byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) {
        raw >>>= 0;
        return (raw >>> 1) ^ -(raw & 1);
      }
      shift += 7;
    }
    throw new DecodeError('varint longer than 5 bytes');
  }

  /** Zig-zag varlong as a number, the same arithmetic as Reader.readVarlong. */
  varlong(): number {
    const buf = this.buf;
    let result = 0;
    let multiplier = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new DecodeError(`truncated varlong at offset ${this.pos}`);
      const byte = buf[this.pos++]!;
      result += (byte & 0x7f) * multiplier;
      if ((byte & 0x80) === 0) return result % 2 === 0 ? result / 2 : -(result + 1) / 2;
      multiplier *= 128;
    }
    throw new DecodeError('varlong longer than 10 bytes');
  }

  need(byteCount: number): void {
    if (byteCount < 0 || byteCount > this.end - this.pos) {
      throw new DecodeError(`need ${byteCount} bytes at offset ${this.pos}, only ${this.end - this.pos} left`);
    }
  }

  /** A varint length then that many bytes (a view, not a copy); -1 is null. */
  nullableBytes(what: string): Buffer | null {
    const length = this.varint();
    if (length < 0) {
      if (length !== -1) throw new DecodeError(`invalid ${what} length ${length}`);
      return null;
    }
    this.need(length);
    const start = this.pos;
    this.pos += length;
    return this.buf.subarray(start, start + length);
  }
}

/** A header is at least a key length and a value length: one byte each. */
const HEADER_BYTES_MIN = 2;

/**
 * Checks the (non-control) batch at `at` and appends its records at or past
 * `fetchOffset` to `out` as ConsumerMessages.
 */
function decodeDataBatch(buf: Buffer, at: number, topic: string, partition: number, fetchOffset: bigint, out: ConsumerMessage[]): void {
  const validation = validateBatch(buf, at, buf.length, { origin: 'log' });
  if (!validation.ok) throw new InvalidRecordsError(validation.error, validation.message);
  const { header, sizeBytes } = validation;
  const codec = header.compression;
  if (!isCompressionCodec(codec)) throw new InvalidRecordsError('UNSUPPORTED_COMPRESSION_TYPE', `codec ${codec}`);
  // Positions in errors count from the start of the records, as decodeRecordBatch's do.
  const payload = buf.subarray(at + BATCH_HEADER_BYTES, at + sizeBytes);
  const bytes = codec === CompressionCodec.none ? payload : decompress(codec, payload, { maxOutputBytes: DECODED_RECORDS_BYTES_MAX });
  const end = bytes.length;
  if (header.recordCount > end / RECORD_BYTES_MIN) {
    throw new DecodeError(`${header.recordCount} records cannot fit in ${end} bytes`);
  }
  // validateBatch has checked that every offset of the batch is below 2^53, and
  // the caller that the batch ends at or past fetchOffset: plain numbers are exact.
  const from = Number(fetchOffset);
  const { baseOffset, baseTimestamp, maxTimestamp, partitionLeaderEpoch } = header;
  const logAppendTime = header.timestampType === TimestampType.logAppendTime;
  const timestampType: ConsumerTimestampType = logAppendTime ? 'LogAppendTime' : 'CreateTime';
  const c = new RecordCursor(bytes, 0, end);
  for (let i = 0; i < header.recordCount; i++) {
    c.end = end;
    const length = c.varint();
    if (length < 0) throw new DecodeError(`invalid record length ${length}`);
    c.need(length);
    const recordStart = c.pos;
    c.end = recordStart + length;
    c.need(1);
    c.pos++; // attributes: unused
    const timestampDelta = c.varlong();
    const offsetDelta = c.varint();
    const key = c.nullableBytes('key');
    const value = c.nullableBytes('value');
    const headers = readHeaders(c);
    if (c.pos !== c.end) throw new DecodeError(`record declared ${length} bytes but its fields took ${c.pos - recordStart}`);
    const offset = baseOffset + offsetDelta;
    if (offset < from) continue;
    out.push({
      topic,
      partition,
      offset: BigInt(offset),
      key,
      value,
      headers,
      // For LogAppendTime batches the broker's time is the batch's max timestamp, as Kafka readers see it.
      timestamp: logAppendTime ? maxTimestamp : baseTimestamp + timestampDelta,
      timestampType,
      leaderEpoch: partitionLeaderEpoch,
    });
  }
  if (c.pos !== end) throw new DecodeError(`${end - c.pos} bytes left after the batch's ${header.recordCount} records`);
}

function readHeaders(c: RecordCursor): RecordHeader[] {
  const count = c.varint();
  if (count < 0 || count > (c.end - c.pos) / HEADER_BYTES_MIN) throw new DecodeError(`invalid header count ${count}`);
  const headers: RecordHeader[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const keyLength = c.varint();
    if (keyLength < 0) throw new DecodeError(`invalid header key length ${keyLength}`);
    c.need(keyLength);
    const key = c.buf.toString('utf8', c.pos, c.pos + keyLength);
    c.pos += keyLength;
    headers[i] = { key, value: c.nullableBytes('header value') };
  }
  return headers;
}
