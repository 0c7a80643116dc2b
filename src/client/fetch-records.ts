/**
 * Turns the record bytes of one partition in a Fetch response into messages.
 *
 * - A partial batch at the end (the broker cuts at max bytes) is left for
 *   the next fetch.
 * - Data batches are read by the record cursor below; the rare batches that
 *   deliver nothing (control, aborted) by the records module's decoder.
 * - Control batches (transaction markers) are never delivered.
 * - With read_committed, records of aborted transactions are dropped: the
 *   response lists each aborted transaction by producer id and first offset;
 *   from that offset, that producer's transactional batches are skipped until
 *   its ABORT marker.
 * - Records before the fetch offset (a batch starts earlier than asked) are
 *   dropped.
 *
 * scanFetchedRecords checks everything when the response arrives (batch CRCs
 * and every record's framing), so a bad response fails as a whole, before any
 * of it is handed out; the ConsumerMessage objects are only made when poll()
 * takes them (FetchedRecords.take). Made at fetch time, a fetch's worth of
 * messages (thousands per partition) lived on through several young-generation
 * collections while poll() worked through them, and copying them there cost
 * more than decoding them.
 */
import { CompressionCodec, isCompressionCodec } from '../protocol/compression/codec.js';
import { decompress } from '../protocol/compression/compress.js';
import type { FetchResponseAbortedTransaction } from '../protocol/generated/messages/fetch-response.js';
import { DecodeError } from '../protocol/primitives/decode-error.js';
import { Reader } from '../protocol/primitives/reader.js';
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
  type BatchHeader,
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

/** Decodes every deliverable record at once: scanFetchedRecords, then take them all. */
export function decodeFetchedRecords(
  topic: string,
  partition: number,
  records: Buffer | null,
  fetchOffset: bigint,
  abortedTransactions: FetchResponseAbortedTransaction[] | null,
  readCommitted: boolean,
): DecodedFetch {
  const fetched = scanFetchedRecords(topic, partition, records, fetchOffset, abortedTransactions, readCommitted);
  const messages: ConsumerMessage[] = [];
  fetched.take(fetched.remaining, messages);
  return { messages, nextOffset: fetched.nextOffset };
}

/**
 * Checks the record bytes of one partition and picks the batches to deliver;
 * throws (DecodeError) if anything in them is malformed, as decodeRecordBatch
 * would. The messages come out of the result's take().
 */
export function scanFetchedRecords(
  topic: string,
  partition: number,
  records: Buffer | null,
  fetchOffset: bigint,
  abortedTransactions: FetchResponseAbortedTransaction[] | null,
  readCommitted: boolean,
): FetchedRecords {
  const deliver: DataBatch[] = [];
  let nextOffset = fetchOffset;
  if (records === null || records.length === 0) return new FetchedRecords(topic, partition, deliver, 0, nextOffset);
  const aborted = readCommitted && abortedTransactions !== null ? [...abortedTransactions].sort((a, b) => (a.firstOffset < b.firstOffset ? -1 : 1)) : [];
  const abortedProducers = new Set<bigint>();
  let count = 0;
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
    const batch = checkDataBatch(records, span.offset, fetchOffset);
    nextOffset = lastOffset + 1n;
    if (batch.deliverable > 0) {
      deliver.push(batch);
      count += batch.deliverable;
    }
  }
  return new FetchedRecords(topic, partition, deliver, count, nextOffset);
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

/** A checked data batch: its (decompressed) record bytes and how many of its records are at or past the fetch offset. */
interface DataBatch {
  header: BatchHeader;
  bytes: Buffer;
  /** The first offset to deliver; earlier records of the batch are skipped. */
  from: number;
  deliverable: number;
}

/**
 * Validates the batch at `at` (header, CRC) and walks its records with every
 * check decodeRecord makes, without making any objects for them.
 */
function checkDataBatch(buf: Buffer, at: number, fetchOffset: bigint): DataBatch {
  const validation = validateBatch(buf, at, buf.length, { origin: 'log' });
  if (!validation.ok) throw new InvalidRecordsError(validation.error, validation.message);
  const { header, sizeBytes } = validation;
  const codec = header.compression;
  if (!isCompressionCodec(codec)) throw new InvalidRecordsError('UNSUPPORTED_COMPRESSION_TYPE', `codec ${codec}`);
  // Positions in errors count from the start of the records, as decodeRecordBatch's do.
  const payload = buf.subarray(at + BATCH_HEADER_BYTES, at + sizeBytes);
  const bytes = codec === CompressionCodec.none ? payload : decompress(codec, payload, { maxOutputBytes: DECODED_RECORDS_BYTES_MAX });
  if (header.recordCount > bytes.length / RECORD_BYTES_MIN) {
    throw new DecodeError(`${header.recordCount} records cannot fit in ${bytes.length} bytes`);
  }
  // validateBatch has checked that every offset of the batch is below 2^53, and
  // the caller that the batch ends at or past fetchOffset: plain numbers are exact.
  const from = Number(fetchOffset);
  const c = new RecordCursor(bytes);
  let deliverable = 0;
  for (let i = 0; i < header.recordCount; i++) {
    c.next();
    if (header.baseOffset + c.offsetDelta >= from) deliverable++;
  }
  if (c.pos !== bytes.length) throw new DecodeError(`${bytes.length - c.pos} bytes left after the batch's ${header.recordCount} records`);
  return { header, bytes, from, deliverable };
}

/** The deliverable records of one fetched partition, turned into messages as they are taken. */
export class FetchedRecords {
  /** Records not taken yet. */
  remaining: number;
  /** The leader epoch of the last deliverable record's batch (-1 when there is none). */
  readonly lastLeaderEpoch: number;
  private batchIndex = 0;
  private cursor: RecordCursor | null = null;
  /** Records of the current batch not read yet (taken or skipped). */
  private batchLeft = 0;

  constructor(
    readonly topic: string,
    readonly partition: number,
    private readonly batches: DataBatch[],
    count: number,
    /** Where the next fetch starts: past the last complete batch, control and skipped ones included. */
    readonly nextOffset: bigint,
  ) {
    this.remaining = count;
    this.lastLeaderEpoch = batches.length > 0 ? batches[batches.length - 1]!.header.partitionLeaderEpoch : -1;
  }

  /** Appends up to `max` messages to `out`, in offset order. */
  take(max: number, out: ConsumerMessage[]): void {
    const { topic, partition } = this;
    let n = Math.max(0, Math.min(Math.floor(max), this.remaining));
    this.remaining -= n;
    while (n > 0) {
      let c = this.cursor;
      if (c === null || this.batchLeft === 0) {
        c = this.cursor = new RecordCursor(this.batches[this.batchIndex]!.bytes);
        this.batchLeft = this.batches[this.batchIndex]!.header.recordCount;
        this.batchIndex++;
      }
      const batch = this.batches[this.batchIndex - 1]!;
      const { baseOffset, baseTimestamp, maxTimestamp, partitionLeaderEpoch } = batch.header;
      const logAppendTime = batch.header.timestampType === TimestampType.logAppendTime;
      const timestampType: ConsumerTimestampType = logAppendTime ? 'LogAppendTime' : 'CreateTime';
      const bytes = c.buf;
      for (; n > 0 && this.batchLeft > 0; this.batchLeft--) {
        c.next(); // checked by scanFetchedRecords already: cannot throw here
        const offset = baseOffset + c.offsetDelta;
        if (offset < batch.from) continue;
        n--;
        out.push({
          topic,
          partition,
          offset: BigInt(offset),
          key: c.keyLength < 0 ? null : bytes.subarray(c.keyAt, c.keyAt + c.keyLength),
          value: c.valueLength < 0 ? null : bytes.subarray(c.valueAt, c.valueAt + c.valueLength),
          headers: readHeaders(bytes, c.headersAt, c.headerCount),
          // For LogAppendTime batches the broker's time is the batch's max timestamp, as Kafka readers see it.
          timestamp: logAppendTime ? maxTimestamp : baseTimestamp + c.timestampDelta,
          timestampType,
          leaderEpoch: partitionLeaderEpoch,
        });
      }
    }
  }
}

/** A header is at least a key length and a value length: one byte each. */
const HEADER_BYTES_MIN = 2;

/**
 * Reads the records of a batch one at a time with a Reader whose end is
 * narrowed to the record being read, so every field is bounds-checked against
 * its record's length (as decodeRecord's Reader per record does, with the
 * same errors); next() leaves the record's fields as positions.
 */
class RecordCursor extends Reader {
  timestampDelta = 0;
  offsetDelta = 0;
  /** -1 for a null key. */
  keyLength = -1;
  keyAt = 0;
  valueLength = -1;
  valueAt = 0;
  headerCount = 0;
  headersAt = 0;

  /** Reads the record at pos with decodeRecord's checks and errors, and moves past it. */
  next(): void {
    this.end = this.buf.length;
    const length = this.readVarint();
    if (length < 0) throw new DecodeError(`invalid record length ${length}`);
    this.need(length);
    const start = this.pos;
    this.end = start + length;
    this.need(1);
    this.pos++; // attributes: unused
    this.timestampDelta = this.readVarlong();
    this.offsetDelta = this.readVarint();
    this.keyLength = this.nullableLength('key');
    this.keyAt = this.pos;
    this.pos += Math.max(this.keyLength, 0);
    this.valueLength = this.nullableLength('value');
    this.valueAt = this.pos;
    this.pos += Math.max(this.valueLength, 0);
    const count = this.readVarint();
    if (count < 0 || count > (this.end - this.pos) / HEADER_BYTES_MIN) throw new DecodeError(`invalid header count ${count}`);
    this.headerCount = count;
    this.headersAt = this.pos;
    for (let i = 0; i < count; i++) {
      const keyLength = this.readVarint();
      if (keyLength < 0) throw new DecodeError(`invalid header key length ${keyLength}`);
      this.skip(keyLength);
      const valueLength = this.nullableLength('header value');
      this.pos += Math.max(valueLength, 0);
    }
    if (this.pos !== this.end) throw new DecodeError(`record declared ${length} bytes but its fields took ${this.pos - start}`);
    this.end = this.buf.length;
  }

  /** A varint length of bytes that must follow within the record; -1 is null. */
  private nullableLength(what: string): number {
    const length = this.readVarint();
    if (length < 0) {
      if (length !== -1) throw new DecodeError(`invalid ${what} length ${length}`);
      return -1;
    }
    this.need(length);
    return length;
  }
}

/** The headers of a record that RecordCursor.next() has checked: `count` of them from `at`. */
function readHeaders(buf: Buffer, at: number, count: number): RecordHeader[] {
  const headers: RecordHeader[] = new Array(count);
  if (count === 0) return headers;
  const r = new Reader(buf, at);
  for (let i = 0; i < count; i++) {
    const keyLength = r.readVarint();
    const key = buf.toString('utf8', r.pos, r.pos + keyLength);
    r.pos += keyLength;
    const valueLength = r.readVarint();
    const value = valueLength < 0 ? null : buf.subarray(r.pos, r.pos + valueLength);
    r.pos += Math.max(valueLength, 0);
    headers[i] = { key, value };
  }
  return headers;
}
