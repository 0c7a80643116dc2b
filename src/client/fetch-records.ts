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
import type { FetchResponseAbortedTransaction } from '../protocol/generated/messages/fetch-response.js';
import { decodeRecordBatch } from '../protocol/records/batch-decoder.js';
import { iterateBatches, readBatchHeader, MAGIC_AT, MAGIC_V2, TimestampType } from '../protocol/records/batch-header.js';
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
    const batch = decodeRecordBatch(records, span.offset);
    nextOffset = lastOffset + 1n;
    if (header.isControl) {
      const first = batch.records[0];
      if (first !== undefined && decodeControlRecordKey(first.key).type === ControlRecordType.abort) abortedProducers.delete(header.producerId);
      continue;
    }
    if (header.isTransactional && abortedProducers.has(header.producerId)) continue;
    const timestampType: ConsumerTimestampType = header.timestampType === TimestampType.logAppendTime ? 'LogAppendTime' : 'CreateTime';
    for (const r of batch.records) {
      const offset = BigInt(r.offset);
      if (offset < fetchOffset) continue;
      messages.push({
        topic,
        partition,
        offset,
        key: r.key,
        value: r.value,
        headers: r.headers,
        timestamp: r.timestamp,
        timestampType,
        leaderEpoch: header.partitionLeaderEpoch,
      });
    }
  }
  return { messages, nextOffset };
}
