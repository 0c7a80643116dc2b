/**
 * ReplicaManager: the partitions this broker hosts and their logs. It follows
 * the metadata image: logs for new partitions are created through storage's
 * LogManager, deleted topics' logs are removed, topic config changes reach
 * the open logs. Fetch long polls wait here for appends.
 *
 * Everything runs on the one event loop, so no locks: an append and the
 * wake-ups it causes happen in one synchronous step.
 */
import type { FileSystem } from '../../platform/file-system.js';
import type { Clock } from '../../platform/clock.js';
import { LogManager } from '../../storage/log-manager.js';
import type { Log } from '../../storage/log.js';
import { logConfigFrom, type LogConfig } from '../../storage/config.js';
import type { TopicPartition } from '../../storage/file-names.js';
import type { MetadataImage } from '../../metadata/image.js';
import { METADATA_TOPIC } from '../../metadata/metadata-log.js';
import type { BrokerConfig } from '../config/broker-config.js';
import { effectiveTopicConfigs } from '../config/topic-config.js';
import { StoragePartitionLog } from './storage-partition-log.js';
import type { PartitionLog } from './partition-log.js';
import type { Logger } from '../logger.js';

export class Partition {
  private readonly waiters = new Set<() => void>();

  constructor(
    readonly topicId: string,
    readonly topic: string,
    readonly index: number,
    readonly log: PartitionLog,
    public leaderEpoch: number,
  ) {
    // Fetches wait for the high watermark, which moves when appended bytes reach the file.
    log.onHighWatermarkAdvance(() => this.notifyAppend());
  }

  /** Calls `wake` once, on the next append; returns a function that cancels it. */
  onNextAppend(wake: () => void): () => void {
    this.waiters.add(wake);
    return () => this.waiters.delete(wake);
  }

  notifyAppend(): void {
    if (this.waiters.size === 0) return;
    const waiting = [...this.waiters];
    this.waiters.clear();
    for (const wake of waiting) wake();
  }
}

/** A topic's storage config: its own configs over the broker's defaults, under topic names. */
export function logConfigFor(broker: BrokerConfig, topicConfigs: ReadonlyMap<string, string>): LogConfig {
  const props: Record<string, string> = {};
  for (const c of effectiveTopicConfigs(broker, topicConfigs)) props[c.name] = c.value;
  return logConfigFrom(props);
}

export class ReplicaManager {
  private readonly byTopicId = new Map<string, Partition[]>();
  private readonly shutdownWakers = new Set<() => void>();
  private stopping = false;
  private image: MetadataImage | null = null;

  private constructor(
    private readonly logs: LogManager,
    private config: BrokerConfig,
    private readonly logger: Logger,
  ) {}

  /** New broker-wide topic defaults (dynamic broker configs): every open log takes them. */
  updateBrokerConfig(config: BrokerConfig): void {
    this.config = config;
    for (const topic of this.image?.topicsById.values() ?? []) this.logs.updateTopicConfig(topic.name, logConfigFor(config, topic.configs));
  }

  /** The storage log of a hosted partition (DeleteRecords, OffsetForLeaderEpoch, DescribeLogDirs). */
  storageLog(topic: string, partition: number): Log | undefined {
    return this.logs.getLog({ topic, partition });
  }

  static async open(fs: FileSystem, clock: Clock, config: BrokerConfig, logger: Logger): Promise<ReplicaManager> {
    let manager: ReplicaManager | null = null;
    const logs = await LogManager.open({
      fs,
      clock,
      dataDir: config.logDirs[0]!,
      defaultConfig: logConfigFor(config, new Map()),
      intervals: {
        retentionCheckMs: Number(config.raw.get('log.retention.check.interval.ms') ?? 300_000),
        producerIdExpirationMs: Number(config.raw.get('producer.id.expiration.ms') ?? 86_400_000),
        producerIdExpirationCheckMs: Number(config.raw.get('producer.id.expiration.check.interval.ms') ?? 600_000),
      },
      configFor: (topic) => logConfigFor(config, manager?.image?.topic(topic)?.configs ?? new Map()),
      onLogOffline: (tp, err) => logger.error({ topic: tp.topic, partition: tp.partition, err: err.message }, 'log offline'),
      onError: (task, err) => logger.error({ task, err }, 'storage background task failed'),
    });
    manager = new ReplicaManager(logs, config, logger);
    return manager;
  }

  get hadCleanShutdown(): boolean {
    return this.logs.hadCleanShutdown;
  }

  /** Brings the hosted partitions in line with `image`; resolves once new logs are open. */
  async applyImage(image: MetadataImage): Promise<void> {
    const previous = this.image;
    this.image = image;
    const work: Promise<unknown>[] = [];
    for (const [topicId, partitions] of this.byTopicId) {
      if (image.topicById(topicId) !== undefined) continue;
      this.byTopicId.delete(topicId);
      for (const p of partitions) {
        p.notifyAppend();
        work.push(this.logs.deleteLog({ topic: p.topic, partition: p.index }));
      }
    }
    for (const topic of image.topicsById.values()) {
      const before = previous?.topicById(topic.topicId);
      // The first image also reaches logs opened before it was known (restart).
      if (previous === null || (before !== undefined && before.configs !== topic.configs)) {
        this.logs.updateTopicConfig(topic.name, logConfigFor(this.config, topic.configs));
      }
      let hosted = this.byTopicId.get(topic.topicId);
      if (hosted === undefined) {
        hosted = [];
        this.byTopicId.set(topic.topicId, hosted);
      }
      for (const p of topic.partitions) {
        const existing = hosted[p.partitionId];
        if (existing !== undefined) {
          existing.leaderEpoch = p.leaderEpoch;
          continue;
        }
        const tp: TopicPartition = { topic: topic.name, partition: p.partitionId };
        const list = hosted;
        work.push(
          this.logs.getOrCreateLog(tp, { topicId: topic.topicId, config: logConfigFor(this.config, topic.configs) }).then((log) => {
            if (this.byTopicId.get(topic.topicId) === list) list[p.partitionId] = new Partition(topic.topicId, topic.name, p.partitionId, new StoragePartitionLog(log), p.leaderEpoch);
          }),
        );
      }
    }
    await Promise.all(work);
  }

  /** Deletes logs on disk that the image does not know (a topic deleted while we were down). */
  async removeStrayLogs(image: MetadataImage): Promise<void> {
    for (const log of this.logs.allLogs()) {
      const tp = log.topicPartition;
      if (tp.topic === METADATA_TOPIC) continue;
      const topic = image.topic(tp.topic);
      if (topic === undefined || tp.partition >= topic.partitions.length) {
        this.logger.info({ topic: tp.topic, partition: tp.partition }, 'removing the log of a deleted partition');
        await this.logs.deleteLog(tp);
      }
    }
  }

  startBackgroundTasks(): void {
    this.logs.startBackgroundTasks();
  }

  partition(topicId: string, index: number): Partition | undefined {
    return this.byTopicId.get(topicId)?.[index];
  }

  /**
   * Waits until any of `partitions` gets an append, `timeoutMs` passes, or
   * the broker stops; whichever is first.
   */
  waitForAppend(partitions: readonly Partition[], timeoutMs: number): Promise<void> {
    if (this.stopping || timeoutMs <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const cancels: Array<() => void> = [];
      let timer: NodeJS.Timeout | undefined;
      const done = (): void => {
        if (timer !== undefined) clearTimeout(timer);
        for (const cancel of cancels) cancel();
        this.shutdownWakers.delete(done);
        resolve();
      };
      for (const p of partitions) cancels.push(p.onNextAppend(done));
      this.shutdownWakers.add(done);
      timer = setTimeout(done, timeoutMs);
    });
  }

  get isStopping(): boolean {
    return this.stopping;
  }

  /** Wakes every waiting long poll; used when the broker stops. */
  wakeAll(): void {
    this.stopping = true;
    for (const wake of [...this.shutdownWakers]) wake();
  }

  /** Flushes and closes every log, writes checkpoints and the clean-shutdown marker. */
  async close(brokerEpoch: number): Promise<void> {
    this.wakeAll();
    this.byTopicId.clear();
    await this.logs.shutdown(brokerEpoch);
  }
}
