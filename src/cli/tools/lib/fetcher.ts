/**
 * A minimal assign-mode consumer for the tools: fetches from each assigned
 * partition's leader, decodes v2 batches, skips control batches and (under
 * read_committed) aborted transactions, resets out-of-range positions by
 * `auto.offset.reset`, and follows leader moves by refreshing metadata.
 *
 * It exists because the client's Consumer is still being written; the tools
 * talk to it through `RecordSource` so the swap is local. It does no group
 * membership: a tool that names a group commits with generation -1 (an
 * admin-style commit), which Kafka accepts only while the group has no
 * active members.
 */
import { ApiKey } from '../../../protocol/generated/api-registry.js';
import type { FetchResponse } from '../../../protocol/generated/messages/fetch-response.js';
import { ErrorCode } from '../../../protocol/errors/index.js';
import { decodeRecordBatch } from '../../../protocol/records/batch-decoder.js';
import { MAGIC_AT, iterateBatches } from '../../../protocol/records/batch-header.js';
import { ControlRecordType, decodeControlRecordKey } from '../../../protocol/records/control-record.js';
import type { RecordHeader } from '../../../protocol/records/record.js';
import type { Cluster } from '../../../client/cluster.js';
import { ZERO_UUID } from '../../../client/cluster.js';
import { KafkaProtocolError } from '../../../client/errors.js';
import { listOffsets, type OffsetSpec } from '../../../client/offsets.js';
import { sleep } from '../../../client/backoff.js';

export interface ConsumedRecord {
  topic: string;
  partition: number;
  offset: bigint;
  timestamp: number;
  /** 0 CreateTime, 1 LogAppendTime. */
  timestampType: number;
  leaderEpoch: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: RecordHeader[];
}

export type ResetPolicy = 'earliest' | 'latest' | 'none';

export interface FetcherOptions {
  /** 0 read_uncommitted, 1 read_committed. */
  isolationLevel: number;
  /** `fetch.max.wait.ms`. */
  maxWaitMs: number;
  /** `fetch.min.bytes`. */
  minBytes: number;
  /** `fetch.max.bytes`. */
  maxBytes: number;
  /** `max.partition.fetch.bytes`. */
  partitionMaxBytes: number;
  /** `auto.offset.reset`, applied when a position is out of range. */
  reset: ResetPolicy;
}

export const defaultFetcherOptions: FetcherOptions = {
  isolationLevel: 0,
  maxWaitMs: 500,
  minBytes: 1,
  maxBytes: 52_428_800,
  partitionMaxBytes: 1_048_576,
  reset: 'latest',
};

/** What the tools consume from: the fetcher today, the client's Consumer later. */
export interface RecordSource {
  poll(timeoutMs: number): Promise<ConsumedRecord[]>;
  close(): Promise<void>;
}

interface Position {
  topic: string;
  partition: number;
  offset: bigint;
  /** Bytes fetched per poll for this partition; grows when one batch does not fit. */
  maxBytes: number;
}

const REFRESH_CODES = new Set<number>([
  ErrorCode.NOT_LEADER_OR_FOLLOWER,
  ErrorCode.LEADER_NOT_AVAILABLE,
  ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
  ErrorCode.UNKNOWN_TOPIC_ID,
  ErrorCode.FENCED_LEADER_EPOCH,
  ErrorCode.UNKNOWN_LEADER_EPOCH,
  ErrorCode.REPLICA_NOT_AVAILABLE,
  ErrorCode.KAFKA_STORAGE_ERROR,
  ErrorCode.OFFSET_NOT_AVAILABLE,
  ErrorCode.NOT_COORDINATOR,
]);

const key = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

export class PartitionFetcher implements RecordSource {
  private readonly cluster: Cluster;
  private readonly options: FetcherOptions;
  private readonly positions = new Map<string, Position>();
  private closed = false;
  private refreshAttempt = 0;

  constructor(cluster: Cluster, options: Partial<FetcherOptions> = {}) {
    this.cluster = cluster;
    this.options = { ...defaultFetcherOptions, ...options };
  }

  /** Adds partitions at the given offsets (or at the earliest/latest offset). */
  async assign(partitions: Array<{ topic: string; partition: number; start: bigint | 'earliest' | 'latest' }>): Promise<void> {
    const lookups = partitions.filter((p) => typeof p.start !== 'bigint');
    const listed =
      lookups.length === 0
        ? []
        : await listOffsets(
            this.cluster,
            lookups.map((p) => ({ topic: p.topic, partition: p.partition, spec: p.start as OffsetSpec })),
            this.options.isolationLevel,
          );
    for (const p of partitions) {
      let offset: bigint;
      if (typeof p.start === 'bigint') offset = p.start;
      else offset = listed.find((l) => l.topic === p.topic && l.partition === p.partition)!.offset;
      this.positions.set(key(p.topic, p.partition), { topic: p.topic, partition: p.partition, offset, maxBytes: this.options.partitionMaxBytes });
    }
  }

  assignment(): Array<{ topic: string; partition: number; offset: bigint }> {
    return [...this.positions.values()].map((p) => ({ topic: p.topic, partition: p.partition, offset: p.offset }));
  }

  seek(topic: string, partition: number, offset: bigint): void {
    const p = this.positions.get(key(topic, partition));
    if (p !== undefined) p.offset = offset;
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  /** Fetches until some records arrive or `timeoutMs` passes. */
  async poll(timeoutMs: number): Promise<ConsumedRecord[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.closed || this.positions.size === 0) return [];
      const started = Date.now();
      const remaining = deadline - started;
      const records = await this.fetchOnce(Math.max(0, Math.min(this.options.maxWaitMs, remaining)));
      if (records.length > 0) return records;
      const now = Date.now();
      if (now >= deadline) return [];
      // A broker that answers an empty fetch at once (no long poll) must not make us spin.
      if (now - started < 20) await sleep(Math.min(100, deadline - now));
    }
  }

  private async fetchOnce(maxWaitMs: number): Promise<ConsumedRecord[]> {
    const byLeader = new Map<number, Position[]>();
    let missingLeader = false;
    for (const p of this.positions.values()) {
      const leader = this.cluster.leaderFor(p.topic, p.partition);
      if (leader < 0) {
        missingLeader = true;
        continue;
      }
      let l = byLeader.get(leader);
      if (l === undefined) byLeader.set(leader, (l = []));
      l.push(p);
    }
    if (missingLeader) await this.refresh();
    const results = await Promise.all(
      [...byLeader].map(async ([leader, list]) => {
        try {
          return await this.fetchFrom(leader, list, maxWaitMs);
        } catch (error) {
          if (error instanceof KafkaProtocolError && !error.retriable && !REFRESH_CODES.has(error.code)) throw error;
          if (!(error instanceof KafkaProtocolError) && !(error instanceof Error && 'retriable' in error && error.retriable === true)) throw error;
          await this.refresh();
          return [];
        }
      }),
    );
    return results.flat();
  }

  private async refresh(): Promise<void> {
    await this.cluster.refreshMetadata([...new Set([...this.positions.values()].map((p) => p.topic))]).catch(() => {});
    await this.cluster.backoff(this.refreshAttempt++);
  }

  private async fetchFrom(leader: number, list: Position[], maxWaitMs: number): Promise<ConsumedRecord[]> {
    const connection = await this.cluster.connection(leader);
    const version = connection.versionFor(ApiKey.Fetch);
    const useIds = version >= 13;
    const byTopic = new Map<string, Position[]>();
    for (const p of list) {
      let l = byTopic.get(p.topic);
      if (l === undefined) byTopic.set(p.topic, (l = []));
      l.push(p);
    }
    const response: FetchResponse = await connection.request(
      ApiKey.Fetch,
      {
        replicaId: -1,
        maxWaitMs,
        minBytes: this.options.minBytes,
        maxBytes: this.options.maxBytes,
        isolationLevel: this.options.isolationLevel,
        sessionId: 0,
        sessionEpoch: -1,
        topics: [...byTopic].map(([topic, ps]) => ({
          topic,
          topicId: useIds ? (this.cluster.topic(topic)?.topicId ?? ZERO_UUID) : ZERO_UUID,
          partitions: ps.map((p) => ({
            partition: p.partition,
            currentLeaderEpoch: -1,
            fetchOffset: p.offset,
            lastFetchedEpoch: -1,
            logStartOffset: -1n,
            partitionMaxBytes: p.maxBytes,
          })),
        })),
        forgottenTopicsData: [],
        rackId: '',
      },
      { timeoutMs: this.cluster.requestTimeoutMs + maxWaitMs },
    );
    if (response.errorCode !== 0) throw new KafkaProtocolError(response.errorCode, `Fetch from node ${leader}`);
    const out: ConsumedRecord[] = [];
    let needRefresh = false;
    for (const t of response.responses) {
      const topic = useIds && t.topicId !== ZERO_UUID ? this.cluster.topicNameById(t.topicId) ?? t.topic : t.topic;
      for (const p of t.partitions) {
        const position = this.positions.get(key(topic, p.partitionIndex));
        if (position === undefined) continue;
        if (p.errorCode === ErrorCode.OFFSET_OUT_OF_RANGE) {
          await this.resetPosition(position);
          continue;
        }
        if (p.errorCode !== 0) {
          if (REFRESH_CODES.has(p.errorCode)) {
            needRefresh = true;
            continue;
          }
          throw new KafkaProtocolError(p.errorCode, `Fetch ${topic}-${p.partitionIndex}: ${new KafkaProtocolError(p.errorCode).message}`);
        }
        if (p.records !== null && p.records.length > 0) {
          out.push(...this.decode(position, p.records, p.abortedTransactions ?? []));
        }
      }
    }
    if (needRefresh) await this.refresh();
    else this.refreshAttempt = 0;
    return out;
  }

  private async resetPosition(position: Position): Promise<void> {
    if (this.options.reset === 'none') {
      throw new KafkaProtocolError(ErrorCode.OFFSET_OUT_OF_RANGE, `Fetch position ${position.offset} is out of range for partition ${position.topic}-${position.partition}`);
    }
    const [listed] = await listOffsets(
      this.cluster,
      [{ topic: position.topic, partition: position.partition, spec: this.options.reset }],
      this.options.isolationLevel,
    );
    position.offset = listed!.offset;
  }

  private decode(position: Position, buf: Buffer, aborted: Array<{ producerId: bigint; firstOffset: bigint }>): ConsumedRecord[] {
    const out: ConsumedRecord[] = [];
    const walk = iterateBatches(buf);
    const pendingAborts = [...aborted].sort((a, b) => (a.firstOffset < b.firstOffset ? -1 : a.firstOffset > b.firstOffset ? 1 : 0));
    const abortedProducers = new Set<bigint>();
    const readCommitted = this.options.isolationLevel === 1;
    let consumedAny = false;
    for (const span of walk.batches) {
      if (buf[span.offset + MAGIC_AT] !== 2) continue; // legacy message sets: not produced by Samsa's storage
      const batch = decodeRecordBatch(buf, span.offset);
      const h = batch.header;
      const lastOffset = BigInt(h.baseOffset + h.lastOffsetDelta);
      consumedAny = true;
      if (lastOffset < position.offset) continue;
      if (readCommitted) {
        while (pendingAborts.length > 0 && pendingAborts[0]!.firstOffset <= lastOffset) abortedProducers.add(pendingAborts.shift()!.producerId);
      }
      if (h.isControl) {
        if (readCommitted && batch.records.length > 0) {
          const type = decodeControlRecordKey(batch.records[0]!.key).type;
          if (type === ControlRecordType.abort) abortedProducers.delete(h.producerId);
        }
        position.offset = lastOffset + 1n;
        continue;
      }
      if (readCommitted && h.isTransactional && abortedProducers.has(h.producerId)) {
        position.offset = lastOffset + 1n;
        continue;
      }
      for (const r of batch.records) {
        const offset = BigInt(r.offset);
        if (offset < position.offset) continue;
        out.push({
          topic: position.topic,
          partition: position.partition,
          offset,
          timestamp: r.timestamp,
          timestampType: h.timestampType,
          leaderEpoch: h.partitionLeaderEpoch,
          key: r.key,
          value: r.value,
          headers: r.headers,
        });
      }
      position.offset = lastOffset + 1n;
    }
    if (!consumedAny && buf.length > 0 && buf.length >= position.maxBytes) {
      // The next batch is larger than we asked for: ask for more next time.
      position.maxBytes = Math.min(position.maxBytes * 2, this.options.maxBytes);
    }
    return out;
  }
}
