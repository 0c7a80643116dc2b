/**
 * Producer: records go into per-partition batches; a batch leaves when it
 * reaches `batchSize` bytes or has waited `lingerMs`, grouped with other
 * ready batches for the same leader into one Produce request.
 *
 * Ordering and idempotence. Up to `maxInFlightRequestsPerConnection` batches
 * of a partition may be in flight, each in its own request, in order on the
 * leader's connection. Sequence numbers are fixed when a batch first leaves;
 * a retried batch goes out again with the same bytes, so the broker drops a
 * duplicate. When a batch fails retriably, its partition stops sending until
 * everything in flight has come back (the later ones fail with
 * OUT_OF_ORDER_SEQUENCE_NUMBER, which is expected then), and resends from the
 * failed batch in order. When a batch fails for good, the batches behind it
 * get new sequence numbers before they are resent. Idempotence is on by
 * default (it needs acks=all), as in Kafka's Java client since 3.0. Without
 * it, a retry can reorder records when more than one batch is in flight, as
 * in Kafka; set maxInFlightRequestsPerConnection to 1 to prevent that.
 *
 * Memory. Every queued record holds its estimated size against
 * `bufferMemory`; `send` waits (up to `maxBlockMs`) for room rather than
 * queueing without bound.
 */
import { ApiKey } from '../protocol/generated/api-registry.js';
import type { ProduceResponse } from '../protocol/generated/messages/produce-response.js';
import { ErrorCode } from '../protocol/errors/index.js';
import { CompressionCodec, compressionCodecFromName, type CompressionName } from '../protocol/compression/codec.js';
import { encodeProducerBatch, type ProducerRecordInput } from './batch-encoder.js';
import type { RecordHeader } from '../protocol/records/record.js';
import { BATCH_HEADER_BYTES } from '../protocol/records/batch-header.js';
import { Cluster, type ClientOptions } from './cluster.js';
import { groupByTopic, type TopicPartition } from './consumer-protocol.js';
import {
  BufferExhaustedError,
  ClientClosedError,
  KafkaConfigError,
  KafkaProtocolError,
  UnsupportedVersionError,
  checkErrorCode,
  isRetriable,
} from './errors.js';
import { DefaultPartitioner, type Partitioner } from './partitioner.js';
import type { OffsetToCommit } from './offsets.js';

export interface ProducerOptions extends ClientOptions {
  /** `acks`: 0 (no answer), 1 (leader), -1 or 'all' (all in-sync replicas). Default 'all'. */
  acks?: 0 | 1 | -1 | 'all';
  /** `linger.ms`: how long a batch waits for company. Default 5. */
  lingerMs?: number;
  /** `batch.size`: a batch's target size in bytes. Default 16384. */
  batchSize?: number;
  /** `buffer.memory`: bytes of records queued before `send` waits. Default 32 MiB. */
  bufferMemory?: number;
  /** `max.block.ms`: how long `send` waits for buffer room or metadata. Default 60000. */
  maxBlockMs?: number;
  /** `max.request.size`. Default 1 MiB. */
  maxRequestSize?: number;
  /** `max.in.flight.requests.per.connection`: batches per partition in flight at once. Default 5 (at most 5 with idempotence). */
  maxInFlightRequestsPerConnection?: number;
  /** `compression.type`. Default 'none'. */
  compression?: CompressionName;
  /** `enable.idempotence`. Default true (false when acks is not 'all'). */
  idempotent?: boolean;
  /** `delivery.timeout.ms`: give up on a record this long after `send`. Default 120000. */
  deliveryTimeoutMs?: number;
  /** `transactional.id`: enables the transactions API. */
  transactionalId?: string;
  /** `transaction.timeout.ms`. Default 60000. */
  transactionTimeoutMs?: number;
  /** `partitioner.class`: replaces the default murmur2/sticky partitioner. */
  partitioner?: Partitioner;
  /** Let a send to an unknown topic create it, where the broker allows (`auto.create.topics.enable`). Default true. */
  allowAutoTopicCreation?: boolean;
}

export type HeaderValue = string | Buffer | null;

export interface ProducerRecord {
  topic: string;
  /** Records with the same key go to the same partition (murmur2, as in Java). */
  key?: string | Buffer | null;
  value: string | Buffer | null;
  /** Overrides the partitioner. */
  partition?: number;
  headers?: Record<string, HeaderValue> | Array<{ key: string; value: HeaderValue }>;
  /** Milliseconds since the epoch; default now. */
  timestamp?: number;
}

export interface RecordMetadata {
  topic: string;
  partition: number;
  /** -1 with acks=0. */
  offset: bigint;
  /** The record's timestamp, or the broker's append time for LogAppendTime topics. */
  timestamp: number;
}

/** A consumer group's identity, for offsets committed inside a transaction. */
export interface ConsumerGroupMetadata {
  groupId: string;
  generationId?: number;
  memberId?: string;
  groupInstanceId?: string | null;
}


interface Batch {
  topic: string;
  partition: number;
  queue: PartitionQueue;
  records: ProducerRecordInput[];
  /** Per record, in order: how to settle its send() promise. */
  resolves: Array<(metadata: RecordMetadata) => void>;
  rejects: Array<(error: Error) => void>;
  sizeBytes: number;
  createdMs: number;
  /** Frozen when the batch first leaves: bytes and sequence stay the same on retries. */
  built: Buffer | null;
  baseSequence: number;
  attempts: number;
  closed: boolean;
  inFlight: boolean;
  /** flush() calls waiting for this batch to be acknowledged or to fail. */
  settleWaiters: Array<() => void>;
}

interface PartitionQueue {
  topic: string;
  partition: number;
  /** Oldest first; in-flight batches stay here until answered. */
  batches: Batch[];
  inFlightCount: number;
  /** Not before this time (backoff after a retriable failure). */
  retryAtMs: number;
  /** After a failure: send nothing until every in-flight batch is back, then resend in order. */
  recovering: boolean;
  /** After a batch failed for good: renumber the queued batches from this sequence before resending. */
  resequenceFrom: number | null;
}

interface MemoryWaiter {
  bytes: number;
  deadlineMs: number;
  resolve: () => void;
  reject: (error: Error) => void;
}

const SEQUENCE_MAX = 0x7fffffff;
/** Records that may share one Date.now() reading within a synchronous run of sends. */
const CLOCK_REUSE_MAX = 32;
const RECORD_OVERHEAD_BYTES = 21;
const HEADER_OVERHEAD_BYTES = 10;
/** Room left in a request beside a grown batch, for the request's own fields. */
const BATCH_GROWTH_MARGIN_BYTES = 1024;

type TxnState = 'none' | 'ready' | 'inTransaction' | 'committing' | 'aborting' | 'fatal';

function toBuffer(value: string | Buffer | null | undefined): Buffer | null {
  if (value === null || value === undefined) return null;
  return typeof value === 'string' ? Buffer.from(value) : value;
}

const NO_HEADERS: RecordHeader[] = [];

function toHeaders(headers: ProducerRecord['headers']): RecordHeader[] {
  if (headers === undefined) return NO_HEADERS;
  const list = Array.isArray(headers) ? headers : Object.entries(headers).map(([key, value]) => ({ key, value }));
  return list.map((h) => ({ key: h.key, value: toBuffer(h.value) }));
}

function tpKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}

export class Producer {
  readonly cluster: Cluster;
  private readonly acks: number;
  private readonly lingerMs: number;
  private readonly batchSize: number;
  private readonly bufferMemory: number;
  private readonly maxBlockMs: number;
  private readonly maxRequestSize: number;
  private readonly maxInFlight: number;
  private readonly compression: CompressionCodec;
  private readonly idempotent: boolean;
  private readonly deliveryTimeoutMs: number;
  private readonly transactionalId: string | null;
  private readonly transactionTimeoutMs: number;
  private readonly customPartitioner: Partitioner | null;
  private readonly partitioner: DefaultPartitioner;

  private connecting: Promise<void> | null = null;
  private connected = false;
  private closed = false;
  private producerId = -1n;
  private producerEpoch = -1;
  private readonly nextSequence = new Map<string, number>();

  private readonly queues = new Map<string, PartitionQueue>();
  /** The same queues by topic, then partition: what append() looks up per record. */
  private readonly topicQueues = new Map<string, PartitionQueue[]>();
  private capturedResolve: ((metadata: RecordMetadata) => void) | null = null;
  private capturedReject: ((error: Error) => void) | null = null;
  private readonly captureSettlers = (resolve: (metadata: RecordMetadata) => void, reject: (error: Error) => void): void => {
    this.capturedResolve = resolve;
    this.capturedReject = reject;
  };
  /** Date.now() shared by up to CLOCK_REUSE_MAX records sent in one synchronous run (see nowMs). */
  private clockMs = 0;
  private clockReuses = 0;
  private clockFresh = false;
  private readonly expireClock = (): void => {
    this.clockFresh = false;
  };
  private queuedBatches = 0;
  private drainScheduled = false;
  private lingerTimer: NodeJS.Timeout | null = null;
  private lingerDeadlineMs = Infinity;
  private flushing = 0;
  /**
   * Sends still connecting, waiting for buffer room or looking up their topic:
   * accepted by send() but not in a batch yet. flush() waits for them too.
   */
  private readonly pendingSends = new Set<Promise<unknown>>();

  private usedMemory = 0;
  /** FIFO of sends waiting for buffer room; `memoryHead` is the first live entry. */
  private memoryWaiters: MemoryWaiter[] = [];
  private memoryHead = 0;
  private memoryTimer: NodeJS.Timeout | null = null;
  private readonly topicLookups = new Map<string, Promise<void>>();

  private txnState: TxnState = 'none';
  private txnError: Error | null = null;
  private readonly txnPartitions = new Set<string>();
  private readonly txnPartitionAdds = new Map<string, Promise<void>>();
  private txnOffsetsSent = false;
  /** Set once close() gave up waiting: no more retries. */
  private closedHard = false;

  constructor(options: ProducerOptions) {
    this.cluster = new Cluster(options, { [ApiKey.AddPartitionsToTxn]: 3 });
    this.cluster.allowAutoTopicCreation = options.allowAutoTopicCreation ?? true;
    const acks = options.acks ?? 'all';
    this.acks = acks === 'all' ? -1 : acks;
    if (![0, 1, -1].includes(this.acks)) throw new KafkaConfigError(`acks must be 0, 1, -1 or 'all', not ${String(acks)}`);
    this.lingerMs = options.lingerMs ?? 5;
    this.batchSize = options.batchSize ?? 16_384;
    this.bufferMemory = options.bufferMemory ?? 32 * 1024 * 1024;
    this.maxBlockMs = options.maxBlockMs ?? 60_000;
    this.maxRequestSize = options.maxRequestSize ?? 1024 * 1024;
    this.maxInFlight = options.maxInFlightRequestsPerConnection ?? 5;
    if (!Number.isInteger(this.maxInFlight) || this.maxInFlight < 1) throw new KafkaConfigError('maxInFlightRequestsPerConnection must be at least 1');
    const codec = compressionCodecFromName(options.compression ?? 'none');
    if (codec === null) throw new KafkaConfigError(`unknown compression "${String(options.compression)}"`);
    this.compression = codec;
    this.transactionalId = options.transactionalId ?? null;
    if (this.transactionalId !== null && options.idempotent === false) {
      throw new KafkaConfigError('a transactional producer is always idempotent');
    }
    if (options.idempotent === true && this.acks !== -1) throw new KafkaConfigError("idempotence needs acks 'all'");
    this.idempotent = options.idempotent ?? (this.acks === -1 || this.transactionalId !== null);
    if (this.idempotent && this.maxInFlight > 5) throw new KafkaConfigError('idempotence allows at most 5 in-flight requests per partition');
    if (this.transactionalId !== null && this.acks !== -1) throw new KafkaConfigError("transactions need acks 'all'");
    this.deliveryTimeoutMs = options.deliveryTimeoutMs ?? 120_000;
    this.transactionTimeoutMs = options.transactionTimeoutMs ?? 60_000;
    this.customPartitioner = options.partitioner ?? null;
    this.partitioner = new DefaultPartitioner(this.batchSize);
  }

  /** Loads metadata and, for an idempotent producer, gets a producer id. Called by the first send if not before. */
  connect(): Promise<void> {
    if (this.closed) return Promise.reject(new ClientClosedError('producer'));
    this.connecting ??= (async () => {
      await this.cluster.connect();
      if (this.idempotent && this.transactionalId === null) await this.initProducerId();
      this.connected = true;
    })().catch((error: unknown) => {
      this.connecting = null;
      throw error;
    });
    return this.connecting;
  }

  private async initProducerId(): Promise<void> {
    const connection = await this.cluster.anyConnection();
    if (!connection.supports(ApiKey.InitProducerId)) {
      throw new UnsupportedVersionError(
        'InitProducerId',
        `broker ${connection.address} does not support InitProducerId, which the idempotent producer needs; ` +
          'pass idempotent: false to produce without it',
      );
    }
    const response = await this.cluster.retry(async () => {
      const r = await this.cluster.send('any', ApiKey.InitProducerId, { transactionalId: null, transactionTimeoutMs: this.transactionTimeoutMs });
      checkErrorCode(r.errorCode, null, 'InitProducerId');
      return r;
    });
    this.producerId = response.producerId;
    this.producerEpoch = response.producerEpoch;
  }

  // ---------------------------------------------------------------------------
  // Sending

  /** Queues a record; resolves when the broker has acknowledged it (per `acks`). */
  send(record: ProducerRecord): Promise<RecordMetadata> {
    if (this.closed) return Promise.reject(new ClientClosedError('producer'));
    if (this.transactionalId !== null && this.txnState !== 'inTransaction') {
      return Promise.reject(new KafkaConfigError('a transactional producer sends only between beginTransaction() and commit/abort'));
    }
    const key = toBuffer(record.key);
    const value = toBuffer(record.value);
    const headers = toHeaders(record.headers);
    const timestamp = record.timestamp ?? this.nowMs();
    let sizeBytes = RECORD_OVERHEAD_BYTES + (key?.length ?? 0) + (value?.length ?? 0);
    for (const h of headers) sizeBytes += HEADER_OVERHEAD_BYTES + Buffer.byteLength(h.key) + (h.value?.length ?? 0);
    if (sizeBytes + BATCH_HEADER_BYTES > this.maxRequestSize || sizeBytes > this.bufferMemory) {
      return Promise.reject(
        new KafkaProtocolError(ErrorCode.MESSAGE_TOO_LARGE, `record of ${sizeBytes} bytes exceeds max.request.size ${this.maxRequestSize}`),
      );
    }
    const input: ProducerRecordInput = { key, value, headers, timestamp };
    // Fast path: connected, topic known, memory free and nobody waiting: append now, in call order.
    if (this.connected && this.cluster.topic(record.topic) !== undefined && this.waitingForMemory === 0 && this.usedMemory + sizeBytes <= this.bufferMemory) {
      this.usedMemory += sizeBytes;
      return this.append(record, input, sizeBytes);
    }
    const pending = this.sendSlow(record, input, sizeBytes);
    // Settles when the record is acknowledged or has failed; flush() waits on it.
    const tracked: Promise<boolean> = pending.then(
      () => this.pendingSends.delete(tracked),
      () => this.pendingSends.delete(tracked),
    );
    this.pendingSends.add(tracked);
    return pending;
  }

  /**
   * The time for a record's timestamp. Date.now() per record is a measurable
   * share of send() (a system call on some VMs), so a reading is reused by
   * the next records sent in the same synchronous run, at most
   * CLOCK_REUSE_MAX of them (well under a millisecond); it expires at the end
   * of the run (a microtask).
   */
  private nowMs(): number {
    if (this.clockFresh && this.clockReuses > 0) {
      this.clockReuses--;
      return this.clockMs;
    }
    this.clockMs = Date.now();
    this.clockReuses = CLOCK_REUSE_MAX;
    if (!this.clockFresh) {
      this.clockFresh = true;
      queueMicrotask(this.expireClock);
    }
    return this.clockMs;
  }

  /** Sends many records; resolves when all are acknowledged. */
  sendBatch(records: ProducerRecord[]): Promise<RecordMetadata[]> {
    return Promise.all(records.map((r) => this.send(r)));
  }

  private async sendSlow(record: ProducerRecord, input: ProducerRecordInput, sizeBytes: number): Promise<RecordMetadata> {
    const deadline = Date.now() + this.maxBlockMs;
    await this.connect();
    await this.reserveMemory(sizeBytes, deadline);
    try {
      await this.lookupTopic(record.topic);
      // A close() that is still flushing lets this record through: it was accepted before.
      if (this.closedHard) throw new ClientClosedError('producer');
    } catch (error) {
      this.releaseMemory(sizeBytes);
      throw error;
    }
    return this.append(record, input, sizeBytes);
  }

  private lookupTopic(topic: string): Promise<void> {
    if (this.cluster.topic(topic) !== undefined) return Promise.resolve();
    let pending = this.topicLookups.get(topic);
    if (pending === undefined) {
      pending = this.cluster
        .topicsMetadata([topic])
        .then(() => undefined)
        .finally(() => this.topicLookups.delete(topic));
      this.topicLookups.set(topic, pending);
    }
    return pending;
  }

  private get waitingForMemory(): number {
    return this.memoryWaiters.length - this.memoryHead;
  }

  private reserveMemory(bytes: number, deadlineMs: number): Promise<void> {
    if (this.waitingForMemory === 0 && this.usedMemory + bytes <= this.bufferMemory) {
      this.usedMemory += bytes;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      this.memoryWaiters.push({ bytes, deadlineMs, resolve, reject });
      this.armMemoryTimer();
    });
  }

  /** One timer for the oldest waiter (deadlines are in FIFO order, as max.block.ms is fixed). */
  private armMemoryTimer(): void {
    if (this.memoryTimer !== null || this.waitingForMemory === 0) return;
    const head = this.memoryWaiters[this.memoryHead]!;
    this.memoryTimer = setTimeout(() => {
      this.memoryTimer = null;
      const now = Date.now();
      while (this.waitingForMemory > 0 && this.memoryWaiters[this.memoryHead]!.deadlineMs <= now) {
        const expired = this.memoryWaiters[this.memoryHead++]!;
        expired.reject(new BufferExhaustedError(`no room in buffer.memory (${this.bufferMemory} bytes) within max.block.ms ${this.maxBlockMs}`));
      }
      this.compactMemoryWaiters();
      this.armMemoryTimer();
    }, Math.max(0, head.deadlineMs - Date.now()));
  }

  private compactMemoryWaiters(): void {
    if (this.memoryHead > 1024 && this.memoryHead * 2 > this.memoryWaiters.length) {
      this.memoryWaiters = this.memoryWaiters.slice(this.memoryHead);
      this.memoryHead = 0;
    }
  }

  private releaseMemory(bytes: number): void {
    this.usedMemory -= bytes;
    while (this.waitingForMemory > 0) {
      const next = this.memoryWaiters[this.memoryHead]!;
      if (this.usedMemory + next.bytes > this.bufferMemory) break;
      this.memoryHead++;
      this.usedMemory += next.bytes;
      next.resolve();
    }
    this.compactMemoryWaiters();
    if (this.waitingForMemory === 0 && this.memoryTimer !== null) {
      clearTimeout(this.memoryTimer);
      this.memoryTimer = null;
    }
  }

  private choosePartition(record: ProducerRecord, key: Buffer | null, value: Buffer | null): number {
    const topic = this.cluster.topic(record.topic)!;
    const partitionCount = topic.partitions.length;
    if (record.partition !== undefined) {
      if (!Number.isInteger(record.partition) || record.partition < 0 || record.partition >= partitionCount) {
        throw new KafkaProtocolError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `topic "${record.topic}" has no partition ${record.partition}`);
      }
      return record.partition;
    }
    const args = { topic: record.topic, key, value, partitionCount, availablePartitions: topic.availablePartitions };
    const partition = this.customPartitioner !== null ? this.customPartitioner(args) : this.partitioner.partition(args);
    if (!Number.isInteger(partition) || partition < 0 || partition >= partitionCount) {
      throw new KafkaConfigError(`partitioner returned ${partition} for topic "${record.topic}" with ${partitionCount} partitions`);
    }
    return partition;
  }

  private append(record: ProducerRecord, input: ProducerRecordInput, sizeBytes: number): Promise<RecordMetadata> {
    let partition: number;
    try {
      partition = this.choosePartition(record, input.key ?? null, input.value ?? null);
    } catch (error) {
      this.releaseMemory(sizeBytes);
      return Promise.reject(error);
    }
    if (this.customPartitioner === null && record.partition === undefined) this.partitioner.onAppend(record.topic, partition, sizeBytes);
    // Per topic an array by partition: no string key built and hashed per record.
    let topicQueues = this.topicQueues.get(record.topic);
    if (topicQueues === undefined) this.topicQueues.set(record.topic, (topicQueues = []));
    let queue = topicQueues[partition];
    if (queue === undefined) {
      queue = { topic: record.topic, partition, batches: [], inFlightCount: 0, retryAtMs: 0, recovering: false, resequenceFrom: null };
      topicQueues[partition] = queue;
      this.queues.set(tpKey(record.topic, partition), queue);
    }
    let batch = queue.batches[queue.batches.length - 1];
    // A partition that cannot send now (all its in-flight slots taken) lets its open batch grow
    // past batch.size, up to max.request.size: one big request later beats many small ones.
    const blocked = queue.inFlightCount >= this.maxInFlight || queue.recovering;
    const cap = blocked ? Math.max(this.batchSize, this.maxRequestSize - BATCH_GROWTH_MARGIN_BYTES) : this.batchSize;
    if (batch === undefined || batch.closed || (batch.records.length > 0 && batch.sizeBytes + sizeBytes > cap)) {
      if (batch !== undefined) batch.closed = true;
      batch = {
        topic: record.topic,
        partition,
        queue,
        records: [],
        resolves: [],
        rejects: [],
        sizeBytes: BATCH_HEADER_BYTES,
        createdMs: Date.now(),
        built: null,
        baseSequence: -1,
        attempts: 0,
        closed: false,
        inFlight: false,
        settleWaiters: [],
      };
      queue.batches.push(batch);
      this.queuedBatches++;
    }
    // One shared executor: no closure and no object per record.
    const promise = new Promise<RecordMetadata>(this.captureSettlers);
    batch.resolves.push(this.capturedResolve!);
    batch.rejects.push(this.capturedReject!);
    batch.records.push(input);
    batch.sizeBytes += sizeBytes;
    if (batch.sizeBytes >= this.batchSize || queue.batches.length > 1 || this.lingerMs <= 0 || this.flushing > 0) this.scheduleDrain();
    else this.scheduleLinger(batch.createdMs + this.lingerMs);
    return promise;
  }

  private scheduleDrain(): void {
    if (this.drainScheduled) return;
    this.drainScheduled = true;
    setImmediate(() => {
      this.drainScheduled = false;
      this.drain();
    });
  }

  private scheduleLinger(atMs: number): void {
    if (this.lingerTimer !== null && this.lingerDeadlineMs <= atMs) return;
    if (this.lingerTimer !== null) clearTimeout(this.lingerTimer);
    this.lingerDeadlineMs = atMs;
    this.lingerTimer = setTimeout(() => {
      this.lingerTimer = null;
      this.lingerDeadlineMs = Infinity;
      this.drain();
    }, Math.max(0, atMs - Date.now()));
  }

  /**
   * Sends ready batches: per pass at most one new batch per partition (a
   * request carries one batch per partition), up to maxInFlight per partition.
   */
  private drain(): void {
    if (this.closed && this.queuedBatches === 0) return;
    const now = Date.now();
    let nextWakeMs = Infinity;
    let needMetadata = false;
    for (let progress = true; progress; ) {
      progress = false;
      const byLeader = new Map<number, Batch[]>();
      for (const queue of this.queues.values()) {
        if (queue.batches.length === 0 || queue.inFlightCount >= this.maxInFlight) continue;
        if (queue.recovering && queue.inFlightCount > 0) continue;
        if (queue.retryAtMs > now) {
          nextWakeMs = Math.min(nextWakeMs, queue.retryAtMs);
          continue;
        }
        const index = queue.batches.findIndex((b) => !b.inFlight);
        if (index < 0) continue;
        const batch = queue.batches[index]!;
        const ready =
          batch.closed ||
          batch.sizeBytes >= this.batchSize ||
          index < queue.batches.length - 1 ||
          this.flushing > 0 ||
          now - batch.createdMs >= this.lingerMs;
        if (!ready) {
          nextWakeMs = Math.min(nextWakeMs, batch.createdMs + this.lingerMs);
          continue;
        }
        if (index === 0 && queue.inFlightCount === 0 && now - batch.createdMs > this.deliveryTimeoutMs) {
          this.dropBatch(queue, batch, new KafkaProtocolError(ErrorCode.REQUEST_TIMED_OUT, `delivery.timeout.ms expired for ${batch.topic}-${batch.partition}`));
          progress = true;
          continue;
        }
        const leader = this.cluster.leaderFor(queue.topic, queue.partition);
        if (leader < 0) {
          needMetadata = true;
          nextWakeMs = Math.min(nextWakeMs, now + this.cluster.retryBackoffMs);
          continue;
        }
        if (queue.recovering) {
          // Everything in flight is back: renumber if a batch was dropped, then resend from the oldest.
          if (queue.resequenceFrom !== null) {
            this.nextSequence.set(tpKey(queue.topic, queue.partition), queue.resequenceFrom);
            for (const b of queue.batches) {
              b.built = null;
              b.baseSequence = -1;
            }
            queue.resequenceFrom = null;
          }
          queue.recovering = false;
        }
        this.absorbBacklog(queue, index);
        batch.closed = true;
        batch.inFlight = true;
        queue.inFlightCount++;
        this.freeze(batch);
        let list = byLeader.get(leader);
        if (list === undefined) byLeader.set(leader, (list = []));
        list.push(batch);
        progress = true;
      }
      for (const [leader, batches] of byLeader) {
        // Split by max.request.size; a single batch always goes.
        let group: Batch[] = [];
        let bytes = 0;
        for (const b of batches) {
          if (group.length > 0 && bytes + b.sizeBytes > this.maxRequestSize) {
            void this.sendToLeader(leader, group);
            group = [];
            bytes = 0;
          }
          group.push(b);
          bytes += b.sizeBytes;
        }
        if (group.length > 0) void this.sendToLeader(leader, group);
      }
    }
    if (needMetadata) this.cluster.refreshMetadata().catch(() => {});
    if (nextWakeMs !== Infinity) this.scheduleLinger(nextWakeMs);
  }

  /**
   * Folds the unsent batches queued behind `queue.batches[index]` into it, up
   * to max.request.size: a backlog leaves in a few large batches instead of
   * many batch.size ones waiting for in-flight slots. Only batches that never
   * left (no sequence yet) are merged.
   */
  private absorbBacklog(queue: PartitionQueue, index: number): void {
    const batch = queue.batches[index]!;
    if (batch.built !== null) return;
    const cap = Math.max(this.batchSize, this.maxRequestSize - BATCH_GROWTH_MARGIN_BYTES);
    while (index + 1 < queue.batches.length) {
      const next = queue.batches[index + 1]!;
      if (next.built !== null || next.inFlight || batch.sizeBytes + next.sizeBytes - BATCH_HEADER_BYTES > cap) break;
      for (const r of next.records) batch.records.push(r);
      for (const f of next.resolves) batch.resolves.push(f);
      for (const f of next.rejects) batch.rejects.push(f);
      for (const w of next.settleWaiters) batch.settleWaiters.push(w);
      batch.sizeBytes += next.sizeBytes - BATCH_HEADER_BYTES;
      queue.batches.splice(index + 1, 1);
      this.queuedBatches--;
    }
  }

  private freeze(batch: Batch): Buffer {
    if (batch.built !== null) return batch.built;
    const k = tpKey(batch.topic, batch.partition);
    if (this.idempotent) {
      const sequence = this.nextSequence.get(k) ?? 0;
      batch.baseSequence = sequence;
      const next = sequence + batch.records.length;
      this.nextSequence.set(k, next > SEQUENCE_MAX ? next - SEQUENCE_MAX - 1 : next);
    }
    batch.built = encodeProducerBatch(batch.records, {
      compression: this.compression,
      producerId: this.idempotent ? this.producerId : -1n,
      producerEpoch: this.idempotent ? this.producerEpoch : -1,
      baseSequence: this.idempotent ? batch.baseSequence : -1,
      transactional: this.transactionalId !== null,
    });
    return batch.built;
  }

  private async sendToLeader(leader: number, batches: Batch[]): Promise<void> {
    try {
      if (this.transactionalId !== null) await this.addPartitionsToTxn(batches);
      const byTopic = new Map<string, Array<{ index: number; records: Buffer }>>();
      for (const b of batches) {
        let list = byTopic.get(b.topic);
        if (list === undefined) byTopic.set(b.topic, (list = []));
        list.push({ index: b.partition, records: this.freeze(b) });
      }
      const body = {
        transactionalId: this.transactionalId,
        acks: this.acks,
        timeoutMs: this.cluster.requestTimeoutMs,
        topicData: [...byTopic].map(([name, partitionData]) => ({ name, partitionData })),
      };
      const connection = await this.cluster.connection(leader);
      if (this.acks === 0) {
        connection.requestNoResponse(ApiKey.Produce, body);
        for (const b of batches) this.completeBatch(b, -1n, -1);
        return;
      }
      const response = await connection.request(ApiKey.Produce, body, { timeoutMs: this.cluster.requestTimeoutMs + 1000 });
      this.handleProduceResponse(batches, response);
    } catch (error) {
      for (const b of batches) this.batchFailed(b, error instanceof Error ? error : new Error(String(error)));
    } finally {
      this.drain();
    }
  }

  private handleProduceResponse(batches: Batch[], response: ProduceResponse): void {
    for (const b of batches) {
      const p = response.responses.find((t) => t.name === b.topic)?.partitionResponses.find((x) => x.index === b.partition);
      if (p === undefined) {
        this.batchFailed(b, new KafkaProtocolError(ErrorCode.NETWORK_EXCEPTION, `no response for ${b.topic}-${b.partition}`));
        continue;
      }
      if (p.errorCode === 0 || p.errorCode === ErrorCode.DUPLICATE_SEQUENCE_NUMBER) {
        this.completeBatch(b, p.baseOffset, Number(p.logAppendTimeMs));
      } else {
        const detail = p.errorMessage ?? p.recordErrors.map((e) => e.batchIndexErrorMessage).filter((m) => m !== null).join('; ');
        const error = new KafkaProtocolError(p.errorCode, `produce to ${b.topic}-${b.partition}: ${detail || new KafkaProtocolError(p.errorCode).message}`);
        this.batchFailed(b, error);
      }
    }
  }

  private queueOf(batch: Batch): PartitionQueue {
    return batch.queue;
  }

  private removeBatch(queue: PartitionQueue, batch: Batch): void {
    const i = queue.batches.indexOf(batch);
    if (i >= 0) queue.batches.splice(i, 1);
    if (batch.inFlight) {
      batch.inFlight = false;
      queue.inFlightCount--;
    }
    this.queuedBatches--;
    this.releaseMemory(batch.sizeBytes - BATCH_HEADER_BYTES);
    for (const w of batch.settleWaiters.splice(0)) w();
  }

  private completeBatch(batch: Batch, baseOffset: bigint, logAppendTimeMs: number): void {
    const queue = this.queueOf(batch);
    this.removeBatch(queue, batch);
    if (queue.inFlightCount === 0 && !queue.recovering) queue.retryAtMs = 0;
    for (let i = 0; i < batch.resolves.length; i++) {
      batch.resolves[i]!({
        topic: batch.topic,
        partition: batch.partition,
        offset: baseOffset < 0n ? -1n : baseOffset + BigInt(i),
        timestamp: logAppendTimeMs >= 0 ? logAppendTimeMs : batch.records[i]!.timestamp,
      });
    }
  }

  private batchFailed(batch: Batch, error: Error): void {
    const queue = this.queueOf(batch);
    if (batch.inFlight) {
      batch.inFlight = false;
      queue.inFlightCount--;
    }
    const expired = Date.now() - batch.createdMs > this.deliveryTimeoutMs;
    // While recovering, later batches bounce off the gap the failed one left.
    const fallout = queue.recovering && KafkaProtocolError.is(error, 'OUT_OF_ORDER_SEQUENCE_NUMBER');
    if ((isRetriable(error) || fallout) && !expired && !this.closedHard) {
      batch.attempts++;
      queue.recovering = true;
      queue.retryAtMs = Math.max(
        queue.retryAtMs,
        Date.now() + Math.min(this.cluster.retryBackoffMaxMs, this.cluster.retryBackoffMs * 2 ** Math.min(batch.attempts - 1, 10)),
      );
      if (!fallout) this.cluster.refreshMetadata().catch(() => {});
      this.cluster.logger.debug({ topic: batch.topic, partition: batch.partition, error: error.message }, 'retrying batch');
      return;
    }
    this.dropBatch(queue, batch, error);
  }

  /** Fails a batch for good. With idempotence the batches behind it take over its sequence numbers. */
  private dropBatch(queue: PartitionQueue, batch: Batch, error: Error): void {
    if (this.idempotent && batch.baseSequence >= 0) {
      queue.resequenceFrom = queue.resequenceFrom === null ? batch.baseSequence : Math.min(queue.resequenceFrom, batch.baseSequence);
      queue.recovering = true;
    }
    this.removeBatch(queue, batch);
    if (this.transactionalId !== null && this.txnState !== 'ready') this.txnError ??= error;
    for (const reject of batch.rejects) reject(error);
  }

  /**
   * Sends everything accepted by send() so far, without waiting for
   * linger.ms, and resolves when all of it is acknowledged or has failed:
   * queued batches, and sends still connecting, waiting for buffer room or
   * looking up metadata. Records sent after the call are not waited for.
   */
  async flush(): Promise<void> {
    const waits: Array<Promise<unknown>> = [...this.pendingSends];
    for (const queue of this.queues.values()) {
      for (const batch of queue.batches) waits.push(new Promise<void>((resolve) => batch.settleWaiters.push(resolve)));
    }
    if (waits.length === 0) return;
    this.flushing++;
    try {
      this.drain();
      await Promise.all(waits);
    } finally {
      this.flushing--;
    }
  }

  /** Flushes, then closes the connections. Later sends fail with ClientClosedError. */
  async close(options: { timeoutMs?: number } = {}): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const timeoutMs = options.timeoutMs ?? this.deliveryTimeoutMs;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.flush(), new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
    clearTimeout(timer);
    this.closedHard = true;
    if (this.lingerTimer !== null) clearTimeout(this.lingerTimer);
    for (const queue of this.queues.values()) {
      for (const b of queue.batches.splice(0)) {
        for (const reject of b.rejects) reject(new ClientClosedError('producer'));
        for (const w of b.settleWaiters.splice(0)) w();
      }
    }
    if (this.memoryTimer !== null) clearTimeout(this.memoryTimer);
    for (const w of this.memoryWaiters.slice(this.memoryHead)) w.reject(new ClientClosedError('producer'));
    this.memoryWaiters = [];
    this.memoryHead = 0;
    await this.cluster.close();
  }

  // ---------------------------------------------------------------------------
  // Transactions

  private requireTransactional(): string {
    if (this.transactionalId === null) throw new KafkaConfigError('transactions need a transactionalId');
    if (this.txnState === 'fatal') throw this.txnError ?? new KafkaConfigError('the producer is in a fatal state');
    return this.transactionalId;
  }

  /** Registers the transactional id with its coordinator, fencing older producers with the same id. */
  async initTransactions(): Promise<void> {
    const transactionalId = this.requireTransactional();
    await this.cluster.connect();
    const connection = await this.cluster.anyConnection();
    if (!connection.supports(ApiKey.InitProducerId)) {
      throw new UnsupportedVersionError('InitProducerId', `broker ${connection.address} does not support InitProducerId, which transactions need`);
    }
    const response = await this.cluster.sendToCoordinator(
      'transaction',
      transactionalId,
      ApiKey.InitProducerId,
      { transactionalId, transactionTimeoutMs: this.transactionTimeoutMs },
      (r) => {
        checkErrorCode(r.errorCode, null, `InitProducerId for "${transactionalId}"`);
        return r;
      },
      { retries: Math.max(this.cluster.retries, 20) },
    );
    this.producerId = response.producerId;
    this.producerEpoch = response.producerEpoch;
    this.nextSequence.clear();
    this.txnState = 'ready';
    this.connected = true;
    this.connecting = Promise.resolve();
  }

  beginTransaction(): void {
    this.requireTransactional();
    if (this.txnState !== 'ready') throw new KafkaConfigError(`cannot begin a transaction in state ${this.txnState}`);
    this.txnState = 'inTransaction';
    this.txnError = null;
    this.txnPartitions.clear();
  }

  private async addPartitionsToTxn(batches: Batch[]): Promise<void> {
    const transactionalId = this.requireTransactional();
    const fresh: TopicPartition[] = [];
    const waits: Promise<void>[] = [];
    for (const b of batches) {
      const k = tpKey(b.topic, b.partition);
      if (this.txnPartitions.has(k)) continue;
      const pending = this.txnPartitionAdds.get(k);
      if (pending !== undefined) waits.push(pending);
      else fresh.push({ topic: b.topic, partition: b.partition });
    }
    if (fresh.length > 0) {
      const adding = this.cluster
        .sendToCoordinator(
          'transaction',
          transactionalId,
          ApiKey.AddPartitionsToTxn,
          {
            v3AndBelowTransactionalId: transactionalId,
            v3AndBelowProducerId: this.producerId,
            v3AndBelowProducerEpoch: this.producerEpoch,
            v3AndBelowTopics: [...groupByTopic(fresh)].map(([name, partitions]) => ({ name, partitions })),
          },
          (r) => {
            checkErrorCode(r.errorCode, null, 'AddPartitionsToTxn');
            for (const t of r.resultsByTopicV3AndBelow) {
              for (const p of t.resultsByPartition) checkErrorCode(p.partitionErrorCode, null, `AddPartitionsToTxn ${t.name}-${p.partitionIndex}`);
            }
          },
          { retries: Math.max(this.cluster.retries, 20) },
        )
        .then(() => {
          for (const tp of fresh) this.txnPartitions.add(tpKey(tp.topic, tp.partition));
        })
        .finally(() => {
          for (const tp of fresh) this.txnPartitionAdds.delete(tpKey(tp.topic, tp.partition));
        });
      for (const tp of fresh) this.txnPartitionAdds.set(tpKey(tp.topic, tp.partition), adding);
      waits.push(adding);
    }
    await Promise.all(waits);
  }

  /** Commits a consumer group's offsets as part of the transaction (consume-transform-produce). */
  async sendOffsetsToTransaction(offsets: OffsetToCommit[], group: string | ConsumerGroupMetadata): Promise<void> {
    const transactionalId = this.requireTransactional();
    if (this.txnState !== 'inTransaction') throw new KafkaConfigError('sendOffsetsToTransaction outside a transaction');
    const meta: ConsumerGroupMetadata = typeof group === 'string' ? { groupId: group } : group;
    await this.cluster.sendToCoordinator(
      'transaction',
      transactionalId,
      ApiKey.AddOffsetsToTxn,
      { transactionalId, producerId: this.producerId, producerEpoch: this.producerEpoch, groupId: meta.groupId },
      (r) => checkErrorCode(r.errorCode, null, 'AddOffsetsToTxn'),
      { retries: Math.max(this.cluster.retries, 20) },
    );
    this.txnOffsetsSent = true;
    const byTopic = new Map<string, OffsetToCommit[]>();
    for (const o of offsets) {
      let l = byTopic.get(o.topic);
      if (l === undefined) byTopic.set(o.topic, (l = []));
      l.push(o);
    }
    await this.cluster.sendToCoordinator(
      'group',
      meta.groupId,
      ApiKey.TxnOffsetCommit,
      {
        transactionalId,
        groupId: meta.groupId,
        producerId: this.producerId,
        producerEpoch: this.producerEpoch,
        generationId: meta.generationId ?? -1,
        memberId: meta.memberId ?? '',
        groupInstanceId: meta.groupInstanceId ?? null,
        topics: [...byTopic].map(([name, ps]) => ({
          name,
          partitions: ps.map((p) => ({
            partitionIndex: p.partition,
            committedOffset: p.offset,
            committedLeaderEpoch: p.leaderEpoch ?? -1,
            committedMetadata: p.metadata ?? null,
          })),
        })),
      },
      (r) => {
        for (const t of r.topics) for (const p of t.partitions) checkErrorCode(p.errorCode, null, `TxnOffsetCommit ${t.name}-${p.partitionIndex}`);
      },
    );
  }

  /** Flushes and commits: consumers with read_committed see the transaction's records from now on. */
  async commitTransaction(): Promise<void> {
    this.requireTransactional();
    if (this.txnState !== 'inTransaction') throw new KafkaConfigError(`cannot commit in state ${this.txnState}`);
    this.txnState = 'committing';
    await this.flush();
    if (this.txnError !== null) {
      this.txnState = 'inTransaction';
      throw new KafkaProtocolError(ErrorCode.TRANSACTION_ABORTABLE, `a send in the transaction failed (${this.txnError.message}); abort it`, {
        cause: this.txnError,
      });
    }
    await this.endTransaction(true);
  }

  /** Drops the transaction: read_committed consumers never see its records. */
  async abortTransaction(): Promise<void> {
    this.requireTransactional();
    if (this.txnState !== 'inTransaction' && this.txnState !== 'committing') throw new KafkaConfigError(`cannot abort in state ${this.txnState}`);
    this.txnState = 'aborting';
    await this.flush().catch(() => {});
    await this.endTransaction(false);
  }

  private async endTransaction(committed: boolean): Promise<void> {
    const transactionalId = this.transactionalId!;
    if (this.txnPartitions.size > 0 || this.txnOffsetsSent) {
      try {
        await this.cluster.sendToCoordinator(
          'transaction',
          transactionalId,
          ApiKey.EndTxn,
          { transactionalId, producerId: this.producerId, producerEpoch: this.producerEpoch, committed },
          (r) => checkErrorCode(r.errorCode, null, committed ? 'EndTxn (commit)' : 'EndTxn (abort)'),
          { retries: Math.max(this.cluster.retries, 20) },
        );
      } catch (error) {
        if (KafkaProtocolError.is(error, 'PRODUCER_FENCED') || KafkaProtocolError.is(error, 'INVALID_PRODUCER_EPOCH')) {
          this.txnState = 'fatal';
          this.txnError = error as Error;
        } else {
          this.txnState = 'inTransaction';
        }
        throw error;
      }
    }
    this.txnPartitions.clear();
    this.txnOffsetsSent = false;
    this.txnState = 'ready';
  }
}

export { CompressionCodec };
