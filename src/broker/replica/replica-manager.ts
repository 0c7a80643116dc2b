/**
 * ReplicaManager: the partitions this broker hosts and their logs. It follows
 * the metadata image (creating logs for new partitions, closing and removing
 * those of deleted topics) and is where Fetch long polls wait for appends.
 *
 * Everything runs on the one event loop, so no locks: an append and the
 * wake-ups it causes happen in one synchronous step.
 */
import type { FileSystem } from '../../platform/file-system.js';
import { joinPath } from '../../platform/file-system.js';
import { formatPartitionMetadata, parsePartitionMetadata } from '../../storage/checkpoint.js';
import { PARTITION_METADATA_FILE, parsePartitionDirName, partitionDirName } from '../../storage/file-names.js';
import type { MetadataImage, PartitionImage, TopicImage } from '../../metadata/image.js';
import { METADATA_PARTITION_DIR } from '../../metadata/metadata-log.js';
import { FilePartitionLog } from './file-partition-log.js';
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
  ) {}

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

export class ReplicaManager {
  private readonly byTopicId = new Map<string, Partition[]>();
  private readonly shutdownWakers = new Set<() => void>();
  private stopping = false;

  constructor(
    private readonly fs: FileSystem,
    private readonly logDir: string,
    private readonly logger: Logger,
  ) {}

  /** Brings the hosted partitions in line with `image`. */
  applyImage(image: MetadataImage): void {
    for (const [topicId, partitions] of this.byTopicId) {
      if (image.topicById(topicId) === undefined) {
        this.byTopicId.delete(topicId);
        for (const p of partitions) this.removePartition(p);
      }
    }
    for (const topic of image.topicsById.values()) {
      const hosted = this.byTopicId.get(topic.topicId) ?? [];
      for (const p of topic.partitions) {
        const existing = hosted[p.partitionId];
        if (existing !== undefined) {
          existing.leaderEpoch = p.leaderEpoch;
          continue;
        }
        hosted[p.partitionId] = this.openPartition(topic, p);
      }
      this.byTopicId.set(topic.topicId, hosted);
    }
  }

  /** Removes partition directories the image does not know (a topic deleted while we were down). */
  removeStrayDirectories(image: MetadataImage): void {
    for (const name of this.fs.readdir(this.logDir)) {
      if (name === METADATA_PARTITION_DIR) continue;
      const tp = parsePartitionDirName(name);
      if (tp === undefined) continue;
      const dir = joinPath(this.logDir, name);
      if (this.fs.stat(dir)?.isDirectory !== true) continue;
      const topic = image.topic(tp.topic);
      if (topic === undefined || tp.partition >= topic.partitions.length) {
        this.logger.info({ dir }, 'removing the log of a deleted partition');
        this.fs.removeTree(dir);
      }
    }
  }

  private openPartition(topic: TopicImage, p: PartitionImage): Partition {
    const dir = joinPath(this.logDir, partitionDirName({ topic: topic.name, partition: p.partitionId }));
    const metaPath = joinPath(dir, PARTITION_METADATA_FILE);
    if (this.fs.stat(dir) !== undefined) {
      // A directory left by an earlier topic of the same name belongs to a different topic id.
      let ownerId: string | null = null;
      try {
        ownerId = parsePartitionMetadata(metaPath, this.fs.readFile(metaPath)).topicId;
      } catch {
        ownerId = null;
      }
      if (ownerId !== null && ownerId !== topic.topicId) this.fs.removeTree(dir);
    }
    const log = FilePartitionLog.open(this.fs, dir);
    if (log.truncatedBytes > 0) {
      this.logger.warn({ dir, truncatedBytes: log.truncatedBytes }, 'truncated a damaged log tail');
    }
    if (this.fs.stat(metaPath) === undefined) {
      const handle = this.fs.open(metaPath, 'create');
      handle.write(formatPartitionMetadata(topic.topicId), 0);
      handle.close();
    }
    return new Partition(topic.topicId, topic.name, p.partitionId, log, p.leaderEpoch);
  }

  private removePartition(p: Partition): void {
    p.notifyAppend();
    const dir = joinPath(this.logDir, partitionDirName({ topic: p.topic, partition: p.index }));
    p.log.close().then(
      () => this.fs.removeTree(dir),
      (err: unknown) => this.logger.error({ err, dir }, 'closing a deleted partition failed'),
    );
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

  async close(): Promise<void> {
    this.wakeAll();
    const closing: Promise<void>[] = [];
    for (const partitions of this.byTopicId.values()) for (const p of partitions) closing.push(p.log.close());
    this.byTopicId.clear();
    await Promise.all(closing);
  }
}
