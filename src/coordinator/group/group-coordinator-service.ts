/**
 * The group coordinator inside a running broker: it owns the
 * `__consumer_offsets` topic (creating it on first use), loads each partition
 * this node leads by replaying its records (at broker start, and when it
 * gains a partition), writes the coordinator's records
 * as batches (answering once they are flushed), and drives the coordinator's
 * timers with one real, unref'd timer.
 *
 * It reaches the broker only through `GroupBrokerServices`, a structural
 * subset of the broker's own context, so this folder never imports the broker
 * layer; the group handlers pass their context in.
 */
import type { CoordinatorBrokerServices } from '../broker-services.js';
import type { Random } from '../../platform/random.js';
import { ErrorCode } from '../../protocol/errors/error-codes.js';
import { errorByName, type KafkaErrorName } from '../../protocol/errors/index.js';
import { buildRecordBatch } from '../../protocol/records/batch-builder.js';
import { decodeRecordBatches } from '../../protocol/records/batch-decoder.js';
import { ControlRecordType, decodeControlRecordKey } from '../../protocol/records/control-record.js';
import { StorageError } from '../../storage/errors.js';
import type { TxnOffsetCommitRequest } from '../../protocol/generated/messages/txn-offset-commit-request.js';
import type { TxnOffsetCommitResponseInput } from '../../protocol/generated/messages/txn-offset-commit-response.js';
import type { JoinGroupRequest } from '../../protocol/generated/messages/join-group-request.js';
import type { JoinGroupResponseInput } from '../../protocol/generated/messages/join-group-response.js';
import type { SyncGroupRequest } from '../../protocol/generated/messages/sync-group-request.js';
import type { SyncGroupResponseInput } from '../../protocol/generated/messages/sync-group-response.js';
import type { HeartbeatRequest } from '../../protocol/generated/messages/heartbeat-request.js';
import type { HeartbeatResponseInput } from '../../protocol/generated/messages/heartbeat-response.js';
import type { LeaveGroupRequest } from '../../protocol/generated/messages/leave-group-request.js';
import type { LeaveGroupResponseInput } from '../../protocol/generated/messages/leave-group-response.js';
import type { OffsetCommitRequest } from '../../protocol/generated/messages/offset-commit-request.js';
import type { OffsetCommitResponseInput } from '../../protocol/generated/messages/offset-commit-response.js';
import type { OffsetFetchRequest } from '../../protocol/generated/messages/offset-fetch-request.js';
import type { OffsetFetchResponseInput } from '../../protocol/generated/messages/offset-fetch-response.js';
import type { DescribeGroupsRequest } from '../../protocol/generated/messages/describe-groups-request.js';
import type { DescribeGroupsResponseInput } from '../../protocol/generated/messages/describe-groups-response.js';
import type { ListGroupsRequest } from '../../protocol/generated/messages/list-groups-request.js';
import type { ListGroupsResponseInput } from '../../protocol/generated/messages/list-groups-response.js';
import type { DeleteGroupsRequest } from '../../protocol/generated/messages/delete-groups-request.js';
import type { DeleteGroupsResponseInput } from '../../protocol/generated/messages/delete-groups-response.js';
import type { OffsetDeleteRequest } from '../../protocol/generated/messages/offset-delete-request.js';
import type { OffsetDeleteResponseInput } from '../../protocol/generated/messages/offset-delete-response.js';
import { groupCoordinatorConfigFromProperties, type GroupCoordinatorConfig } from './config.js';
import {
  GroupCoordinator,
  NO_PRODUCER_ID,
  type CoordinatorLogWriter,
  type RequestContext,
  type TransactionalProducer,
} from './group-coordinator.js';
import type { CoordinatorRecord } from './records.js';

export const OFFSETS_TOPIC = '__consumer_offsets';

/** Kafka's offsets.topic.segment.bytes default, kept smaller than ordinary topics so compaction starts sooner. */
const OFFSETS_TOPIC_SEGMENT_BYTES = 104_857_600;
/** The largest batch the coordinator writes: Kafka's message.max.bytes default. */
const COORDINATOR_BATCH_BYTES_MAX = 1_048_588;
/** How much of a partition to read per step while loading. */
const LOAD_READ_BYTES = 1 << 20;

/** The slice of a partition log the coordinator uses (matches the broker's PartitionLog). */
export interface OffsetsPartitionLog {
  readonly logStartOffset: number;
  readonly logEndOffset: number;
  /** Some logs take a LogAppendTime override as a third argument; the coordinator passes null (none). */
  append(batches: Buffer, leaderEpoch: number, logAppendTimeMs: null): unknown;
  read(offset: number, maxBytes: number, minOneBatch: boolean): { readonly records: Buffer | null } | Promise<{ readonly records: Buffer | null }>;
  flush(): Promise<void>;
}

/** The broker services the group coordinator needs: a structural subset of the broker's context. */
export type GroupBrokerServices = CoordinatorBrokerServices<OffsetsPartitionLog>;

export interface GroupCoordinatorServiceOptions {
  /** Member ids need randomness; default Math.random. */
  readonly random?: Random;
  /** Overrides on top of what the broker's properties say. */
  readonly config?: Partial<GroupCoordinatorConfig>;
}

const services = new WeakMap<GroupBrokerServices, GroupCoordinatorService>();

/** The one service of a broker, created on first use. */
export function groupCoordinatorFor(broker: GroupBrokerServices): GroupCoordinatorService {
  let service = services.get(broker);
  if (service === undefined) {
    service = new GroupCoordinatorService(broker);
    services.set(broker, service);
  }
  return service;
}

const mathRandom: Random = {
  next: () => Math.random(),
  int: (bound) => Math.floor(Math.random() * bound),
  chance: (p) => Math.random() < p,
};

export class GroupCoordinatorService {
  readonly coordinator: GroupCoordinator;
  readonly config: GroupCoordinatorConfig;
  private creating: Promise<boolean> | null = null;
  private readonly loads = new Map<number, Promise<void>>();
  /** The metadata image whose `__consumer_offsets` leadership was last acted on. */
  private ownershipImage: object | null = null;
  private wakeTimer: NodeJS.Timeout | null = null;
  private wakeAtMs = Number.POSITIVE_INFINITY;
  /** Per partition, the flush chain that keeps completions in append order. */
  private readonly flushChains = new Map<number, Promise<void>>();
  private stopped = false;

  constructor(
    private readonly broker: GroupBrokerServices,
    options: GroupCoordinatorServiceOptions = {},
  ) {
    const fromProperties = groupCoordinatorConfigFromProperties(Object.fromEntries(broker.config.raw));
    this.config = { ...fromProperties, ...options.config };
    const writer: CoordinatorLogWriter = { append: (partition, records, done, transaction) => this.append(partition, records, done, transaction) };
    this.coordinator = new GroupCoordinator({
      clock: broker.clock,
      random: options.random ?? mathRandom,
      writer,
      config: this.config,
      topicPartitionExists: (topic, partition) => {
        const t = this.broker.image().topic(topic);
        return t !== undefined && partition >= 0 && partition < t.partitions.length;
      },
    });
    this.coordinator.timer.onChange = () => this.rearm();
  }

  /**
   * Makes sure `__consumer_offsets` exists (creating it: FindCoordinator asks
   * for that) and that every partition this node leads is loaded. False while
   * the topic cannot be had.
   */
  async ensureTopic(): Promise<boolean> {
    if (this.broker.image().topic(OFFSETS_TOPIC) === undefined) {
      this.creating ??= this.createTopic().finally(() => {
        this.creating = null;
      });
    }
    await this.ready();
    return this.broker.image().topic(OFFSETS_TOPIC) !== undefined && !this.stopped;
  }

  /**
   * Waits for a creation of the topic under way and for the loads of the
   * partitions this node leads. The image shows a new topic as soon as its
   * record commits, a little before its logs are open; a request that came in
   * between would otherwise find nothing to load and answer NOT_COORDINATOR
   * (which librdkafka follows with a coordinator query seconds later).
   */
  private async ready(): Promise<void> {
    if (this.creating !== null) await this.creating;
    const loading = this.refreshOwnership();
    if (loading !== null) await loading;
  }

  /**
   * Starts loading newly led partitions and unloads lost ones. Returns a
   * promise for the loads under way, or null when there are none.
   */
  refreshOwnership(): Promise<void> | null {
    if (this.stopped) return null;
    // Every group request comes through here: skip the walk over the partitions while the image is the one already handled.
    const image = this.broker.image();
    if (image !== this.ownershipImage) {
      const topic = image.topic(OFFSETS_TOPIC);
      let settled = true;
      if (topic !== undefined) {
        for (let p = 0; p < this.config.offsetsTopicPartitions; p++) {
          const leads = topic.partitions[p]?.leader === this.broker.nodeId;
          const status = this.coordinator.partitionStatus(p);
          if (leads && status === 'none') {
            if (this.broker.replicas.partition(topic.topicId, p) === undefined) settled = false; // its log is not open yet: try again next time
            else this.loads.set(p, this.load(p, topic.topicId).finally(() => this.loads.delete(p)));
          } else if (!leads && status === 'active') {
            this.coordinator.unload(p);
          }
        }
      }
      this.ownershipImage = settled ? image : null;
    }
    if (this.loads.size === 0) return null;
    return Promise.all(this.loads.values()).then(() => undefined);
  }

  /** Where FindCoordinator sends a group: the leader of its partition, or null when there is none yet. */
  coordinatorNodeFor(groupId: string): number | null {
    const topic = this.broker.image().topic(OFFSETS_TOPIC);
    const leader = topic?.partitions[this.coordinator.partitionFor(groupId)]?.leader;
    return leader === undefined || leader < 0 ? null : leader;
  }

  private async createTopic(): Promise<boolean> {
    const replicationFactor = Number(this.broker.config.raw.get('offsets.topic.replication.factor') ?? '3');
    const outcomes = await this.broker.controller.createTopics(
      [
        {
          name: OFFSETS_TOPIC,
          numPartitions: this.config.offsetsTopicPartitions,
          replicationFactor,
          assignments: [],
          configs: new Map([
            ['cleanup.policy', 'compact'],
            ['compression.type', 'producer'],
            ['segment.bytes', String(OFFSETS_TOPIC_SEGMENT_BYTES)],
          ]),
        },
      ],
      false,
    );
    const outcome = outcomes[0];
    if (outcome === undefined || !outcome.ok) {
      // Someone else may have created it meanwhile; anything else is worth a line in the log.
      if (this.broker.image().topic(OFFSETS_TOPIC) === undefined) {
        this.broker.logger.warn({ topic: OFFSETS_TOPIC, reason: outcome?.message }, 'could not create the offsets topic');
      }
      return false;
    }
    this.broker.logger.info({ topic: OFFSETS_TOPIC, partitions: this.config.offsetsTopicPartitions }, 'created the offsets topic');
    return true;
  }

  /**
   * Replays one partition; meanwhile its groups answer
   * COORDINATOR_LOAD_IN_PROGRESS (the handlers wait instead). Records of
   * transactional batches are pending offsets of their producer until that
   * producer's marker (a control batch) further on decides them; a
   * transaction with no marker yet stays pending after the load, for the
   * transaction coordinator to finish.
   */
  private async load(partition: number, topicId: string): Promise<void> {
    const hosted = this.broker.replicas.partition(topicId, partition);
    if (hosted === undefined) return;
    const startedMs = this.broker.clock.monotonicMs();
    this.coordinator.beginLoad(partition);
    let records = 0;
    try {
      let offset = hosted.log.logStartOffset;
      while (offset < hosted.log.logEndOffset) {
        const read = await hosted.log.read(offset, LOAD_READ_BYTES, true);
        if (read.records === null || read.records.length === 0) break;
        const batches = decodeRecordBatches(read.records);
        if (batches.length === 0) break;
        for (const batch of batches) {
          if (batch.header.baseOffset + batch.header.lastOffsetDelta < offset) continue;
          offset = batch.header.baseOffset + batch.header.lastOffsetDelta + 1;
          const producerId = batch.header.isTransactional ? batch.header.producerId : NO_PRODUCER_ID;
          if (batch.header.isControl) {
            const type = decodeControlRecordKey(batch.records[0]?.key ?? null).type;
            if (type === ControlRecordType.commit || type === ControlRecordType.abort) {
              this.coordinator.replayEndTransactionMarker(partition, producerId, type === ControlRecordType.commit);
            }
            continue;
          }
          for (const r of batch.records) {
            if (r.key === null) continue;
            this.coordinator.replay(partition, r.key, r.value, producerId, r.offset);
            records++;
          }
        }
      }
    } catch (err) {
      this.broker.logger.error({ err, partition }, 'loading __consumer_offsets failed; the partition stays unloaded');
      this.coordinator.unload(partition);
      this.ownershipImage = null; // the next request tries again
      return;
    }
    if (this.stopped || this.coordinator.partitionStatus(partition) !== 'loading') return;
    this.coordinator.completeLoad(partition);
    if (records > 0) {
      this.broker.logger.info({ partition, records, loadMs: Math.round(this.broker.clock.monotonicMs() - startedMs) }, 'loaded group metadata');
    }
  }

  private append(partition: number, records: readonly CoordinatorRecord[], done: (errorCode: number) => void, transaction?: TransactionalProducer): void {
    const topic = this.broker.image().topic(OFFSETS_TOPIC);
    const hosted = topic === undefined ? undefined : this.broker.replicas.partition(topic.topicId, partition);
    if (hosted === undefined || this.broker.replicas.isStopping) {
      queueMicrotask(() => done(ErrorCode.NOT_LEADER_OR_FOLLOWER));
      return;
    }
    const batch = buildRecordBatch({
      records: records.map((r) => ({ key: r.key, value: r.value })),
      baseTimestamp: this.broker.clock.nowMs(),
      // A transactional batch of the producer (TxnOffsetCommit): no sequence, as Kafka's coordinators write them.
      ...(transaction === undefined ? {} : { producerId: transaction.producerId, producerEpoch: transaction.producerEpoch, baseSequence: -1, transactional: true }),
    });
    if (batch.length > COORDINATOR_BATCH_BYTES_MAX) {
      queueMicrotask(() => done(ErrorCode.MESSAGE_TOO_LARGE));
      return;
    }
    try {
      hosted.log.append(batch, hosted.leaderEpoch, null);
    } catch (err) {
      // The log refuses a transactional batch of a fenced producer: that is the producer's problem, not the log's.
      if (transaction !== undefined && err instanceof StorageError && err.kafkaError !== 'KAFKA_STORAGE_ERROR') {
        const code = errorByName(err.kafkaError as KafkaErrorName).code;
        queueMicrotask(() => done(code));
        return;
      }
      this.broker.logger.error({ err, partition }, 'appending to __consumer_offsets failed');
      queueMicrotask(() => done(ErrorCode.KAFKA_STORAGE_ERROR));
      return;
    }
    const previous = this.flushChains.get(partition) ?? Promise.resolve();
    const flushed = hosted.log.flush();
    const next = previous.then(
      () => flushed.then(
        () => done(ErrorCode.NONE),
        (err: unknown) => {
          this.broker.logger.error({ err, partition }, 'flushing __consumer_offsets failed');
          done(ErrorCode.KAFKA_STORAGE_ERROR);
        },
      ),
    );
    this.flushChains.set(partition, next);
  }

  /** Keeps one real timer armed at the coordinator's earliest deadline. */
  private rearm(): void {
    if (this.stopped) return;
    const next = this.coordinator.timer.nextDeadlineMs();
    if (next === undefined) {
      if (this.wakeTimer !== null) clearTimeout(this.wakeTimer);
      this.wakeTimer = null;
      this.wakeAtMs = Number.POSITIVE_INFINITY;
      return;
    }
    if (this.wakeTimer !== null && this.wakeAtMs <= next) return;
    if (this.wakeTimer !== null) clearTimeout(this.wakeTimer);
    this.wakeAtMs = next;
    const delayMs = Math.max(0, Math.min(next - this.broker.clock.monotonicMs(), 2 ** 31 - 1));
    this.wakeTimer = setTimeout(() => {
      this.wakeTimer = null;
      this.wakeAtMs = Number.POSITIVE_INFINITY;
      if (this.broker.replicas.isStopping) {
        this.stop();
        return;
      }
      try {
        this.coordinator.poll();
      } catch (err) {
        this.broker.logger.error({ err }, 'group coordinator timer failed');
      }
      this.rearm();
    }, Math.ceil(delayMs));
    this.wakeTimer.unref();
  }

  /** Stops the timers; parked requests are answered NOT_COORDINATOR. */
  stop(): void {
    if (this.stopped) return;
    for (let p = 0; p < this.config.offsetsTopicPartitions; p++) {
      if (this.coordinator.partitionStatus(p) !== 'none') this.coordinator.unload(p);
    }
    this.stopped = true;
    if (this.wakeTimer !== null) clearTimeout(this.wakeTimer);
    this.wakeTimer = null;
    this.coordinator.timer.clear();
  }

  // ─── requests, as promises for the handlers ──────────────────────────────

  joinGroup(ctx: RequestContext, request: JoinGroupRequest): Promise<JoinGroupResponseInput> {
    return this.call((done) => this.coordinator.joinGroup(ctx, request, done));
  }

  syncGroup(ctx: RequestContext, request: SyncGroupRequest): Promise<SyncGroupResponseInput> {
    return this.call((done) => this.coordinator.syncGroup(ctx, request, done));
  }

  heartbeat(ctx: RequestContext, request: HeartbeatRequest): Promise<HeartbeatResponseInput> {
    return this.call((done) => this.coordinator.heartbeat(ctx, request, done));
  }

  leaveGroup(ctx: RequestContext, request: LeaveGroupRequest): Promise<LeaveGroupResponseInput> {
    return this.call((done) => this.coordinator.leaveGroup(ctx, request, done));
  }

  offsetCommit(ctx: RequestContext, request: OffsetCommitRequest): Promise<OffsetCommitResponseInput> {
    return this.call((done) => this.coordinator.offsetCommit(ctx, request, done));
  }

  txnOffsetCommit(ctx: RequestContext, request: TxnOffsetCommitRequest): Promise<TxnOffsetCommitResponseInput> {
    return this.call((done) => this.coordinator.txnOffsetCommit(ctx, request, done));
  }

  offsetFetch(ctx: RequestContext, request: OffsetFetchRequest): Promise<OffsetFetchResponseInput> {
    return this.call((done) => this.coordinator.offsetFetch(ctx, request, done));
  }

  offsetDelete(ctx: RequestContext, request: OffsetDeleteRequest): Promise<OffsetDeleteResponseInput> {
    return this.call((done) => this.coordinator.offsetDelete(ctx, request, done));
  }

  describeGroups(ctx: RequestContext, request: DescribeGroupsRequest): Promise<DescribeGroupsResponseInput> {
    return this.call((done) => this.coordinator.describeGroups(ctx, request, done));
  }

  listGroups(ctx: RequestContext, request: ListGroupsRequest): Promise<ListGroupsResponseInput> {
    return this.call((done) => this.coordinator.listGroups(ctx, request, done));
  }

  deleteGroups(ctx: RequestContext, request: DeleteGroupsRequest): Promise<DeleteGroupsResponseInput> {
    return this.call((done) => this.coordinator.deleteGroups(ctx, request, done));
  }

  private async call<T>(start: (done: (response: T) => void) => void): Promise<T> {
    await this.ready();
    return new Promise<T>((resolve) => start(resolve));
  }
}

/** Kafka shows a member's host as `/<address>`; the broker knows `<address>:<port>`. */
export function clientHostOf(remoteAddress: string): string {
  const colon = remoteAddress.lastIndexOf(':');
  const host = colon > 0 ? remoteAddress.slice(0, colon) : remoteAddress;
  return `/${host.startsWith('::ffff:') ? host.slice(7) : host}`;
}

/** The coordinator's view of a request, from what a broker handler has. */
export function groupRequestContext(ctx: {
  readonly apiVersion: number;
  readonly header: { readonly clientId: string | null };
  readonly connection: { readonly remoteAddress: string };
}): RequestContext {
  return { apiVersion: ctx.apiVersion, clientId: ctx.header.clientId ?? '', clientHost: clientHostOf(ctx.connection.remoteAddress) };
}

/**
 * Loads every `__consumer_offsets` partition this node leads, for the broker
 * to await before it binds its listeners: groups and offsets are then served
 * from the first request, and the session timers of members restored from the
 * log run from start-up (a member that never comes back expires even if no
 * client asks about its group). Without the topic there is nothing to load;
 * FindCoordinator creates it on first use.
 */
export async function startGroupCoordinator(broker: GroupBrokerServices): Promise<void> {
  const loading = groupCoordinatorFor(broker).refreshOwnership();
  if (loading !== null) await loading;
}

/** Stops a broker's group coordinator, if it ever started: parked requests are answered NOT_COORDINATOR. */
export function stopGroupCoordinator(broker: GroupBrokerServices): void {
  services.get(broker)?.stop();
}
