/**
 * The transaction coordinator inside a running broker: owns
 * `__transaction_state` (50 compacted partitions, created on first use),
 * loads the partitions this node leads, writes the coordinator's records
 * (answering once flushed), writes transaction markers to the local
 * partitions (the in-process form of WriteTxnMarkers), hands TxnOffsetCommit
 * to the group coordinator once the transaction checks out (a marker written
 * to `__consumer_offsets` is replayed there too), and polls the coordinator
 * on a timer.
 *
 * Like the group service it reaches the broker only through a structural
 * subset of the broker context, so this folder never imports src/broker.
 */
import { joinPath } from '../../platform/file-system.js';
import type { FileSystem } from '../../platform/file-system.js';
import { nodeFileSystem } from '../../platform/node-file-system.js';
import { ErrorCode, errorByName, type KafkaErrorName } from '../../protocol/errors/index.js';
import { buildRecordBatch } from '../../protocol/records/batch-builder.js';
import { decodeRecordBatches } from '../../protocol/records/batch-decoder.js';
import { buildEndTxnMarkerBatch } from '../../protocol/records/control-record.js';
import { StorageError } from '../../storage/errors.js';
import type { CoordinatorBrokerServices, HostedPartition as HostedTxnPartition } from '../broker-services.js';
import { OFFSETS_TOPIC, type GroupCoordinatorService } from '../group/group-coordinator-service.js';
import type { RequestContext as GroupRequestContext } from '../group/group-coordinator.js';
import type { TxnOffsetCommitRequest } from '../../protocol/generated/messages/txn-offset-commit-request.js';
import { FileProducerIdBlockStore, ProducerIdManager } from './producer-id-manager.js';
import type { TxnLogRecord } from './records.js';
import {
  TransactionCoordinator,
  transactionCoordinatorConfigFrom,
  type TopicPartitionRef,
  type TxnMarker,
} from './transaction-coordinator.js';

export const TRANSACTION_STATE_TOPIC = '__transaction_state';
/** Kafka's transaction.state.log.segment.bytes default. */
const TXN_LOG_SEGMENT_BYTES = 104_857_600;
const LOAD_READ_BYTES = 1 << 20;
/** How often unfinished marker writes and timeouts are looked at, at most. */
const POLL_INTERVAL_MAX_MS = 1000;
/** The file that records the producer id blocks handed out (see producer-id-manager.ts). */
export const PRODUCER_ID_BLOCK_FILE = 'samsa-producer-id-block';

/** The slice of a partition log the coordinator uses (matches the broker's PartitionLog). */
export interface TxnPartitionLog {
  readonly logStartOffset: number;
  readonly logEndOffset: number;
  append(batches: Buffer, leaderEpoch: number): unknown;
  read(offset: number, maxBytes: number, minOneBatch: boolean): Promise<{ readonly records: Buffer | readonly Buffer[] | null }>;
  flush(): Promise<void>;
}

type HostedPartition = HostedTxnPartition<TxnPartitionLog>;

/** The broker services the transaction coordinator needs: a structural subset of the broker's context. */
export type TxnBrokerServices = CoordinatorBrokerServices<TxnPartitionLog> & {
  readonly config: { readonly raw: ReadonlyMap<string, string>; readonly logDirs: readonly string[] };
};

const services = new WeakMap<TxnBrokerServices, TransactionCoordinatorService>();

/** The one service of a broker, created on first use. */
export function transactionCoordinatorFor(
  broker: TxnBrokerServices,
  groups: () => GroupCoordinatorService,
  fs: FileSystem = nodeFileSystem,
): TransactionCoordinatorService {
  let service = services.get(broker);
  if (service === undefined) {
    service = new TransactionCoordinatorService(broker, groups, fs);
    services.set(broker, service);
  }
  return service;
}

/** PRODUCER_FENCED is INVALID_PRODUCER_EPOCH for clients that predate it (KIP-588). */
export function fencedForVersion(errorCode: number, apiVersion: number, firstVersionWithFenced: number): number {
  return errorCode === ErrorCode.PRODUCER_FENCED && apiVersion < firstVersionWithFenced ? ErrorCode.INVALID_PRODUCER_EPOCH : errorCode;
}

function errorCodeOf(err: unknown): number {
  if (err instanceof StorageError) return errorByName(err.kafkaError as KafkaErrorName).code;
  return ErrorCode.UNKNOWN_SERVER_ERROR;
}

export class TransactionCoordinatorService {
  readonly coordinator: TransactionCoordinator;
  private readonly producerIds: ProducerIdManager;
  private creating: Promise<boolean> | null = null;
  private readonly loads = new Map<number, Promise<void>>();
  private readonly flushChains = new Map<number, Promise<void>>();
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(
    private readonly broker: TxnBrokerServices,
    /** The group coordinator of the same broker (TxnOffsetCommit). */
    private readonly groups: () => GroupCoordinatorService,
    fs: FileSystem,
  ) {
    const config = transactionCoordinatorConfigFrom(broker.config.raw);
    this.producerIds = new ProducerIdManager(new FileProducerIdBlockStore(fs, joinPath(broker.config.logDirs[0]!, PRODUCER_ID_BLOCK_FILE)));
    this.coordinator = new TransactionCoordinator(
      broker.clock,
      {
        appendTxnLog: (partition, records) => this.appendTxnLog(partition, records),
        writeMarkers: async (marker, partitions) => {
          const results = await this.writeMarkers(marker, partitions);
          return results.filter((r) => r.errorCode !== ErrorCode.NONE).map((r) => r.tp);
        },
        allocateProducerId: () => this.producerIds.allocate(),
        partitionExists: (topic, partition) => {
          const t = this.broker.image().topic(topic);
          return t !== undefined && partition >= 0 && partition < t.partitions.length;
        },
      },
      config,
    );
  }

  /** Loads (creating the topic when `create`) every `__transaction_state` partition this node leads; starts the timer. */
  async start(create: boolean): Promise<boolean> {
    if (this.stopped) return false;
    if (this.broker.image().topic(TRANSACTION_STATE_TOPIC) === undefined) {
      if (!create) return false;
      this.creating ??= this.createTopic().finally(() => {
        this.creating = null;
      });
      await this.creating;
    }
    const topic = this.broker.image().topic(TRANSACTION_STATE_TOPIC);
    if (topic === undefined) return false;
    for (let p = 0; p < this.coordinator.config.logPartitions; p++) {
      const leads = topic.partitions[p]?.leader === this.broker.nodeId;
      if (leads && !this.coordinator.isActive(p) && !this.loads.has(p)) {
        this.loads.set(p, this.load(p, topic.topicId, topic.partitions[p]!.leaderEpoch).finally(() => this.loads.delete(p)));
      } else if (!leads && this.coordinator.isActive(p)) {
        this.coordinator.unload(p);
      }
    }
    if (this.loads.size > 0) await Promise.all(this.loads.values());
    this.armTimer();
    return !this.stopped;
  }

  /** Where FindCoordinator sends a transactional id: its partition's leader. */
  async coordinatorNodeFor(transactionalId: string): Promise<number | null> {
    if (!(await this.start(true))) return null;
    const topic = this.broker.image().topic(TRANSACTION_STATE_TOPIC);
    const leader = topic?.partitions[this.coordinator.partitionFor(transactionalId)]?.leader;
    return leader === undefined || leader < 0 ? null : leader;
  }

  private async createTopic(): Promise<boolean> {
    const replicationFactor = Number(this.broker.config.raw.get('transaction.state.log.replication.factor') ?? '3');
    const outcomes = await this.broker.controller.createTopics(
      [
        {
          name: TRANSACTION_STATE_TOPIC,
          numPartitions: this.coordinator.config.logPartitions,
          replicationFactor,
          assignments: [],
          configs: new Map([
            ['cleanup.policy', 'compact'],
            ['compression.type', 'uncompressed'],
            ['segment.bytes', String(TXN_LOG_SEGMENT_BYTES)],
            ['unclean.leader.election.enable', 'false'],
          ]),
        },
      ],
      false,
    );
    const ok = outcomes[0]?.ok === true;
    if (ok) this.broker.logger.info({ topic: TRANSACTION_STATE_TOPIC, partitions: this.coordinator.config.logPartitions }, 'created the transaction state topic');
    else if (this.broker.image().topic(TRANSACTION_STATE_TOPIC) === undefined) {
      this.broker.logger.warn({ topic: TRANSACTION_STATE_TOPIC, reason: outcomes[0]?.message }, 'could not create the transaction state topic');
    }
    return ok;
  }

  private async load(partition: number, topicId: string, coordinatorEpoch: number): Promise<void> {
    const hosted = this.broker.replicas.partition(topicId, partition);
    if (hosted === undefined) return;
    this.coordinator.beginLoad(partition, coordinatorEpoch);
    try {
      let offset = hosted.log.logStartOffset;
      while (offset < hosted.log.logEndOffset) {
        const read = await hosted.log.read(offset, LOAD_READ_BYTES, true);
        if (read.records === null) break;
        const bytes = Buffer.isBuffer(read.records) ? read.records : Buffer.concat(read.records);
        if (bytes.length === 0) break;
        const batches = decodeRecordBatches(bytes);
        if (batches.length === 0) break;
        for (const batch of batches) {
          const last = batch.header.baseOffset + batch.header.lastOffsetDelta;
          if (last < offset) continue;
          offset = last + 1;
          if (batch.header.isControl) continue;
          for (const r of batch.records) if (r.key !== null) this.coordinator.replay(partition, r.key, r.value);
        }
      }
    } catch (err) {
      this.broker.logger.error({ err, partition }, 'loading __transaction_state failed; the partition stays unloaded');
      this.coordinator.unload(partition);
      return;
    }
    this.coordinator.completeLoad(partition);
  }

  private hosted(topic: string, partition: number): HostedPartition | undefined {
    const t = this.broker.image().topic(topic);
    return t === undefined ? undefined : this.broker.replicas.partition(t.topicId, partition);
  }

  private async appendTxnLog(partition: number, records: readonly TxnLogRecord[]): Promise<number> {
    const hosted = this.hosted(TRANSACTION_STATE_TOPIC, partition);
    if (hosted === undefined || this.broker.replicas.isStopping) return ErrorCode.NOT_LEADER_OR_FOLLOWER;
    const batch = buildRecordBatch({ records: records.map((r) => ({ key: r.key, value: r.value })), baseTimestamp: this.broker.clock.nowMs() });
    try {
      hosted.log.append(batch, hosted.leaderEpoch);
    } catch (err) {
      this.broker.logger.error({ err, partition }, 'appending to __transaction_state failed');
      return errorCodeOf(err);
    }
    return this.flushInOrder(partition, hosted);
  }

  /** Completions in append order per partition, like the group service. */
  private flushInOrder(partition: number, hosted: HostedPartition): Promise<number> {
    const previous = this.flushChains.get(partition) ?? Promise.resolve();
    const flushed = hosted.log.flush();
    let result: number = ErrorCode.NONE;
    const next = previous.then(() =>
      flushed.catch((err: unknown) => {
        this.broker.logger.error({ err, partition }, 'flushing __transaction_state failed');
        result = ErrorCode.KAFKA_STORAGE_ERROR;
      }),
    );
    this.flushChains.set(partition, next);
    return next.then(() => result);
  }

  /**
   * Appends `marker` to each local partition and waits until durable. A
   * partition whose topic is gone, or whose producer state says the marker
   * is stale (a newer epoch or coordinator), needs no marker: NONE.
   */
  async writeMarkers(marker: TxnMarker, partitions: readonly TopicPartitionRef[], strict = false): Promise<Array<{ tp: TopicPartitionRef; errorCode: number }>> {
    const results: Array<{ tp: TopicPartitionRef; errorCode: number }> = [];
    const flushes: Promise<void>[] = [];
    for (const tp of partitions) {
      const topic = this.broker.image().topic(tp.topic);
      if (topic === undefined || tp.partition >= topic.partitions.length) {
        results.push({ tp, errorCode: ErrorCode.NONE });
        continue;
      }
      if (topic.partitions[tp.partition]?.leader !== this.broker.nodeId) {
        results.push({ tp, errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER });
        continue;
      }
      const hosted = this.broker.replicas.partition(topic.topicId, tp.partition);
      if (hosted === undefined || this.broker.replicas.isStopping) {
        results.push({ tp, errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER });
        continue;
      }
      const batch = buildEndTxnMarkerBatch({
        commit: marker.commit,
        producerId: marker.producerId,
        producerEpoch: marker.producerEpoch,
        coordinatorEpoch: marker.coordinatorEpoch,
        timestamp: this.broker.clock.nowMs(),
      });
      const result: { tp: TopicPartitionRef; errorCode: number } = { tp, errorCode: ErrorCode.NONE };
      results.push(result);
      try {
        hosted.log.append(batch, hosted.leaderEpoch);
      } catch (err) {
        const code = errorCodeOf(err);
        // Stale markers (the producer or coordinator moved on) are done, as in Kafka.
        if (strict || (code !== ErrorCode.INVALID_PRODUCER_EPOCH && code !== ErrorCode.TRANSACTION_COORDINATOR_FENCED)) result.errorCode = code;
        continue;
      }
      // The group coordinator replays the marker as it is appended, as it would on a load: the producer's offsets there are decided.
      if (tp.topic === OFFSETS_TOPIC) this.groups().coordinator.replayEndTransactionMarker(tp.partition, marker.producerId, marker.commit);
      flushes.push(
        hosted.log.flush().catch(() => {
          result.errorCode = ErrorCode.KAFKA_STORAGE_ERROR;
        }),
      );
    }
    await Promise.all(flushes);
    return results;
  }

  /** WriteTxnMarkers from a client: every partition reports its own outcome, stale markers included. */
  writeMarkersStrict(marker: TxnMarker, partitions: readonly TopicPartitionRef[]): Promise<Array<{ tp: TopicPartitionRef; errorCode: number }>> {
    return this.writeMarkers(marker, partitions, true);
  }

  /**
   * TxnOffsetCommit: checks the producer's transaction (ongoing, fenced or
   * not, the group's `__consumer_offsets` partition added), then the group
   * coordinator validates the group, writes the offsets as a transactional
   * batch of the producer and holds them until the producer's marker.
   * Returns an error code per (topic, partition).
   */
  async txnOffsetCommit(ctx: GroupRequestContext, request: TxnOffsetCommitRequest): Promise<Map<string, Map<number, number>>> {
    const result = new Map<string, Map<number, number>>();
    const all = (code: number): Map<string, Map<number, number>> => {
      for (const t of request.topics) {
        const m = result.get(t.name) ?? new Map<number, number>();
        for (const p of t.partitions) if (!m.has(p.partitionIndex)) m.set(p.partitionIndex, code);
        result.set(t.name, m);
      }
      return result;
    };
    const groups = this.groups();
    if (!(await groups.ensureTopic()) || !(await this.start(true))) return all(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    const offsetsPartition = groups.coordinator.partitionFor(request.groupId);
    const check = this.coordinator.checkOffsetCommit(request.transactionalId, request.producerId, request.producerEpoch, OFFSETS_TOPIC, offsetsPartition);
    if (check !== ErrorCode.NONE) return all(check);
    const response = await groups.txnOffsetCommit(ctx, request);
    for (const t of response.topics) {
      const m = result.get(t.name) ?? new Map<number, number>();
      for (const p of t.partitions) m.set(p.partitionIndex, p.errorCode);
      result.set(t.name, m);
    }
    return all(ErrorCode.NONE);
  }

  private armTimer(): void {
    if (this.timer !== null || this.stopped) return;
    const period = Math.min(POLL_INTERVAL_MAX_MS, this.coordinator.config.abortTimedOutIntervalMs);
    this.timer = setInterval(() => {
      if (this.broker.replicas.isStopping) {
        this.stop();
        return;
      }
      try {
        this.coordinator.poll();
      } catch (err) {
        this.broker.logger.error({ err }, 'transaction coordinator poll failed');
      }
    }, period);
    this.timer.unref();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }
}
