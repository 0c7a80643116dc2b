/**
 * All partition logs of one data directory: opens them at startup (recovery
 * decided by the clean-shutdown marker and the recovery-point checkpoint),
 * creates and deletes them, keeps the per-directory checkpoint files, and
 * runs the background work: flush.ms, retention, cleaning, checkpointing.
 *
 * Files in the data dir, as Kafka names and formats them:
 *   meta.properties                      cluster.id, node.id, directory.id, version
 *   .kafka_cleanshutdown                 present only between a clean stop and the next start
 *   recovery-point-offset-checkpoint     per partition, where recovery starts
 *   log-start-offset-checkpoint          per partition, the log start offset
 *   replication-offset-checkpoint        per partition, the high watermark (written for the replica manager)
 *   cleaner-offset-checkpoint            per compacted partition, where the dirty part begins
 */
import { randomUUID } from 'node:crypto';
import type { Clock } from '../platform/clock.js';
import type { FileSystem } from '../platform/file-system.js';
import { errorCode, joinPath } from '../platform/file-system.js';
import {
  OffsetCheckpointFile,
  formatCleanShutdown,
  formatMetaProperties,
  parseCleanShutdown,
  parseMetaProperties,
  type MetaProperties,
} from './checkpoint.js';
import { LogCleaner } from './cleaner.js';
import type { LogConfig } from './config.js';
import { defaultLogConfig } from './config.js';
import { LogOfflineError, StorageError } from './errors.js';
import {
  CLEANER_OFFSET_CHECKPOINT,
  CLEAN_SHUTDOWN_FILE,
  DELETE_DIR_SUFFIX,
  LOG_START_OFFSET_CHECKPOINT,
  META_PROPERTIES_FILE,
  RECOVERY_POINT_CHECKPOINT,
  REPLICATION_OFFSET_CHECKPOINT,
  parsePartitionDirName,
  partitionDirName,
  topicPartitionKey,
  type TopicPartition,
} from './file-names.js';
import { Log } from './log.js';
import { TimerScheduler, type Scheduler } from './scheduler.js';

export interface LogManagerIntervals {
  /** log.retention.check.interval.ms */
  retentionCheckMs: number;
  /** log.flush.scheduler.interval.ms (Kafka's default is never; flush.ms needs a checker to mean anything). */
  flushCheckMs: number;
  /** log.flush.offset.checkpoint.interval.ms */
  recoveryPointCheckpointMs: number;
  /** log.flush.start.offset.checkpoint.interval.ms */
  startOffsetCheckpointMs: number;
  /** log.cleaner.backoff.ms */
  cleanerBackoffMs: number;
  /** producer.id.expiration.check.interval.ms */
  producerIdExpirationCheckMs: number;
  /** producer.id.expiration.ms (a broker setting, kept with the intervals for the scheduler). */
  producerIdExpirationMs: number;
}

export const defaultIntervals: Readonly<LogManagerIntervals> = Object.freeze({
  retentionCheckMs: 300_000,
  flushCheckMs: 1000,
  recoveryPointCheckpointMs: 60_000,
  startOffsetCheckpointMs: 60_000,
  cleanerBackoffMs: 15_000,
  producerIdExpirationCheckMs: 600_000,
  producerIdExpirationMs: 86_400_000,
});

export interface LogManagerOptions {
  fs: FileSystem;
  clock: Clock;
  dataDir: string;
  /** The broker-wide defaults (log.* settings mapped to topic names). */
  defaultConfig?: LogConfig;
  /** Per-topic effective config; the default config when absent. */
  configFor?: (topic: string) => LogConfig;
  scheduler?: Scheduler;
  intervals?: Partial<LogManagerIntervals>;
  /**
   * Identity to write to meta.properties when the directory is not formatted
   * yet, and to check against when it is. Without it an unformatted
   * directory is an error (as with Kafka's kafka-storage format).
   */
  meta?: MetaProperties;
  /** The replica manager's high watermark: retention never deletes past it. Defaults to the log end. */
  highWatermarkOf?: (tp: TopicPartition, log: Log) => number;
  onLogOffline?: (tp: TopicPartition, err: LogOfflineError) => void;
  /** Background task failures that are not a log going offline. */
  onError?: (task: string, err: unknown) => void;
}

export class LogManager {
  readonly dataDir: string;
  readonly meta: MetaProperties;
  /** True when the previous stop left the clean-shutdown marker. */
  readonly hadCleanShutdown: boolean;
  private readonly logs = new Map<string, Log>();
  private readonly creating = new Map<string, Promise<Log>>();
  private readonly fs: FileSystem;
  private readonly clock: Clock;
  private readonly scheduler: Scheduler;
  private readonly intervals: LogManagerIntervals;
  private readonly recoveryPoints: OffsetCheckpointFile;
  private readonly startOffsets: OffsetCheckpointFile;
  private readonly replicationOffsets: OffsetCheckpointFile;
  readonly cleaner: LogCleaner;
  private stopped = false;

  private constructor(
    private readonly opts: LogManagerOptions,
    meta: MetaProperties,
    hadCleanShutdown: boolean,
  ) {
    this.fs = opts.fs;
    this.clock = opts.clock;
    this.dataDir = opts.dataDir;
    this.meta = meta;
    this.hadCleanShutdown = hadCleanShutdown;
    this.scheduler = opts.scheduler ?? new TimerScheduler((name, err) => opts.onError?.(name, err));
    this.intervals = { ...defaultIntervals, ...opts.intervals };
    this.recoveryPoints = new OffsetCheckpointFile(this.fs, joinPath(this.dataDir, RECOVERY_POINT_CHECKPOINT));
    this.startOffsets = new OffsetCheckpointFile(this.fs, joinPath(this.dataDir, LOG_START_OFFSET_CHECKPOINT));
    this.replicationOffsets = new OffsetCheckpointFile(this.fs, joinPath(this.dataDir, REPLICATION_OFFSET_CHECKPOINT));
    this.cleaner = new LogCleaner({
      fs: this.fs,
      clock: this.clock,
      checkpoint: new OffsetCheckpointFile(this.fs, joinPath(this.dataDir, CLEANER_OFFSET_CHECKPOINT)),
    });
  }

  /** Writes meta.properties into a new data dir (what `kafka-storage format` does). */
  static async format(fs: FileSystem, dataDir: string, meta: MetaProperties, nowMs: number): Promise<void> {
    fs.mkdir(dataDir);
    const path = joinPath(dataDir, META_PROPERTIES_FILE);
    if (fs.stat(path) !== undefined) throw new StorageError('KAFKA_STORAGE_ERROR', `${dataDir} is already formatted`);
    const withDir: MetaProperties = { ...meta, version: 1, directoryId: meta.directoryId ?? newDirectoryId() };
    await fs.writeFileAtomic(path, formatMetaProperties(withDir, nowMs));
  }

  /** Opens the data dir and every partition log in it (recovering where the last stop was not clean). */
  static async open(opts: LogManagerOptions): Promise<LogManager> {
    const { fs, dataDir } = opts;
    fs.mkdir(dataDir);
    const metaPath = joinPath(dataDir, META_PROPERTIES_FILE);
    let meta: MetaProperties;
    if (fs.stat(metaPath) === undefined) {
      if (opts.meta === undefined) throw new StorageError('KAFKA_STORAGE_ERROR', `${dataDir} is not formatted (no ${META_PROPERTIES_FILE})`);
      await LogManager.format(fs, dataDir, opts.meta, opts.clock.nowMs());
    }
    meta = parseMetaProperties(metaPath, fs.readFile(metaPath));
    if (opts.meta !== undefined && (opts.meta.clusterId !== meta.clusterId || opts.meta.nodeId !== meta.nodeId)) {
      throw new StorageError(
        'KAFKA_STORAGE_ERROR',
        `${dataDir} belongs to cluster ${meta.clusterId} node ${meta.nodeId}, not cluster ${opts.meta.clusterId} node ${opts.meta.nodeId}`,
      );
    }
    const markerPath = joinPath(dataDir, CLEAN_SHUTDOWN_FILE);
    const hadCleanShutdown = fs.stat(markerPath) !== undefined;
    const manager = new LogManager(opts, meta, hadCleanShutdown);
    await manager.loadLogs();
    if (hadCleanShutdown) {
      // From here on a crash must trigger recovery again.
      fs.unlink(markerPath);
      await fs.syncDir(dataDir);
    }
    return manager;
  }

  /** The broker epoch the clean-shutdown marker recorded, -1 when none. */
  static readCleanShutdownEpoch(fs: FileSystem, dataDir: string): number {
    try {
      return parseCleanShutdown(fs.readFile(joinPath(dataDir, CLEAN_SHUTDOWN_FILE)));
    } catch (err) {
      if (errorCode(err) === 'ENOENT') return -1;
      throw err;
    }
  }

  private configFor(topic: string): LogConfig {
    return this.opts.configFor?.(topic) ?? this.opts.defaultConfig ?? defaultLogConfig;
  }

  private async loadLogs(): Promise<void> {
    const recovery = this.readCheckpoint(this.recoveryPoints);
    const starts = this.readCheckpoint(this.startOffsets);
    const opening: Promise<void>[] = [];
    for (const name of this.fs.readdir(this.dataDir)) {
      const path = joinPath(this.dataDir, name);
      if (!this.fs.stat(path)?.isDirectory) continue;
      if (name.endsWith(DELETE_DIR_SUFFIX)) {
        // A topic deletion that did not finish before the stop.
        this.fs.removeTree(path);
        continue;
      }
      const tp = parsePartitionDirName(name);
      // The KRaft metadata log (`__cluster_metadata-0`) shares the dir but is not a partition log.
      if (tp === undefined || tp.topic === '__cluster_metadata') continue;
      const key = topicPartitionKey(tp);
      opening.push(
        this.openLog(tp, {
          recoveryPoint: recovery.get(key) ?? 0,
          logStartOffset: starts.get(key) ?? 0,
          hadCleanShutdown: this.hadCleanShutdown,
        }).then((log) => {
          this.logs.set(key, log);
        }),
      );
    }
    await Promise.all(opening);
  }

  /** A checkpoint that cannot be parsed is treated as absent: recovery then scans everything, which is safe. */
  private readCheckpoint(file: OffsetCheckpointFile): Map<string, number> {
    const out = new Map<string, number>();
    try {
      for (const [key, { offset }] of file.read()) out.set(key, offset);
    } catch (err) {
      if (errorCode(err) !== undefined) throw err;
      this.opts.onError?.(`read ${file.path}`, err);
    }
    return out;
  }

  private openLog(
    tp: TopicPartition,
    extra: { recoveryPoint?: number; logStartOffset?: number; hadCleanShutdown?: boolean; topicId?: string; config?: LogConfig },
  ): Promise<Log> {
    return Log.open({
      fs: this.fs,
      clock: this.clock,
      scheduler: this.scheduler,
      dir: joinPath(this.dataDir, partitionDirName(tp)),
      topicPartition: tp,
      config: extra.config ?? this.configFor(tp.topic),
      recoveryPoint: extra.recoveryPoint,
      logStartOffset: extra.logStartOffset,
      hadCleanShutdown: extra.hadCleanShutdown,
      topicId: extra.topicId,
      onOffline: (_log, err) => this.opts.onLogOffline?.(tp, err),
    });
  }

  // ==========================================================================
  // Logs

  getLog(tp: TopicPartition): Log | undefined {
    return this.logs.get(topicPartitionKey(tp));
  }

  allLogs(): Log[] {
    return [...this.logs.values()];
  }

  /** The log, created empty when new (a partition assigned to this broker). Concurrent calls share one open. */
  async getOrCreateLog(tp: TopicPartition, options: { topicId?: string; config?: LogConfig } = {}): Promise<Log> {
    const key = topicPartitionKey(tp);
    const existing = this.logs.get(key);
    if (existing !== undefined) return existing;
    let pending = this.creating.get(key);
    if (pending === undefined) {
      pending = this.openLog(tp, { topicId: options.topicId, config: options.config, hadCleanShutdown: false }).then(
        (log) => {
          this.logs.set(key, log);
          this.creating.delete(key);
          return log;
        },
        (err: unknown) => {
          this.creating.delete(key);
          throw err;
        },
      );
      this.creating.set(key, pending);
    }
    return pending;
  }

  /**
   * Topic deletion: the directory is renamed `<topic>-<p>.<id>-delete` at
   * once (so a new topic of the same name starts clean) and removed after
   * file.delete.delay.ms.
   */
  async deleteLog(tp: TopicPartition): Promise<void> {
    const key = topicPartitionKey(tp);
    const log = this.logs.get(key);
    if (log === undefined) return;
    this.logs.delete(key);
    this.cleaner.forget(tp);
    log.closeAbruptly();
    const doomed = joinPath(this.dataDir, `${partitionDirName(tp)}.${randomUUID().replace(/-/g, '')}${DELETE_DIR_SUFFIX}`);
    this.fs.rename(log.dir, doomed);
    await this.fs.syncDir(this.dataDir);
    this.scheduler.schedule(`delete ${doomed}`, log.logConfig['file.delete.delay.ms'], () => this.fs.removeTree(doomed));
  }

  /** Applies a changed topic config to its open logs. */
  updateTopicConfig(topic: string, config: LogConfig): void {
    for (const log of this.logs.values()) if (log.topicPartition.topic === topic) log.updateConfig(config);
  }

  // ==========================================================================
  // Background work (each also callable directly, for tests and tools)

  startBackgroundTasks(): void {
    const i = this.intervals;
    this.scheduler.schedulePeriodic('log-retention', i.retentionCheckMs, async () => {
      await this.runRetention();
    });
    this.scheduler.schedulePeriodic('log-flusher', i.flushCheckMs, () => this.runScheduledFlush());
    this.scheduler.schedulePeriodic('recovery-point-checkpoint', i.recoveryPointCheckpointMs, () => this.checkpointRecoveryPoints());
    this.scheduler.schedulePeriodic('log-start-offset-checkpoint', i.startOffsetCheckpointMs, () => this.checkpointLogStartOffsets());
    this.scheduler.schedulePeriodic('log-cleaner', i.cleanerBackoffMs, async () => {
      await this.runCleaner();
    });
    this.scheduler.schedulePeriodic('producer-id-expiration', i.producerIdExpirationCheckMs, () => {
      this.removeExpiredProducers();
    });
  }

  /** Forgets producers idle for producer.id.expiration.ms in every online log; returns how many went. */
  removeExpiredProducers(): number {
    let removed = 0;
    for (const log of this.online()) removed += log.removeExpiredProducers(this.intervals.producerIdExpirationMs);
    return removed;
  }

  private online(): Log[] {
    return this.allLogs().filter((l) => !l.isOffline);
  }

  /** Retention and log-start-offset deletion for every online log; returns segments deleted. */
  async runRetention(): Promise<number> {
    let deleted = 0;
    for (const log of this.online()) {
      try {
        const hw = this.opts.highWatermarkOf?.(log.topicPartition, log) ?? log.logEndOffset;
        deleted += log.deleteOldSegments(hw);
      } catch (err) {
        if (!(err instanceof LogOfflineError)) this.opts.onError?.('log-retention', err);
      }
    }
    return deleted;
  }

  async runScheduledFlush(): Promise<void> {
    await Promise.all(this.online().map((log) => log.maybeFlushOnSchedule().catch(() => undefined)));
  }

  /** Compacts every log whose cleanup.policy includes compact and whose dirty ratio is high enough. */
  async runCleaner(): Promise<number> {
    let cleaned = 0;
    for (const log of this.online()) {
      if (!log.logConfig['cleanup.policy'].compact) continue;
      try {
        if (await this.cleaner.maybeClean(log)) cleaned++;
      } catch (err) {
        if (!(err instanceof LogOfflineError)) this.opts.onError?.('log-cleaner', err);
      }
    }
    return cleaned;
  }

  async checkpointRecoveryPoints(): Promise<void> {
    await this.recoveryPoints.write(this.online().map((log) => ({ tp: log.topicPartition, offset: log.recoveryPoint })));
  }

  async checkpointLogStartOffsets(): Promise<void> {
    // Kafka writes only logs whose start moved past their first segment; writing all is equally valid.
    await this.startOffsets.write(this.online().map((log) => ({ tp: log.topicPartition, offset: log.logStartOffset })));
  }

  /** The replica manager's high watermarks, as last written. */
  readHighWatermarks(): Map<string, { tp: TopicPartition; offset: number }> {
    return this.replicationOffsets.read();
  }

  writeHighWatermarks(entries: Iterable<{ tp: TopicPartition; offset: number }>): Promise<void> {
    return this.replicationOffsets.write(entries);
  }

  /**
   * Clean stop: background work ends, every log is flushed and closed, the
   * checkpoints are written, and last the clean-shutdown marker, so the next
   * start skips recovery. Offline logs keep the marker away.
   */
  async shutdown(brokerEpoch = -1): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await this.scheduler.stop();
    const logs = this.allLogs();
    await Promise.all(logs.map((log) => log.close().catch(() => undefined)));
    const healthy = logs.filter((l) => !l.isOffline);
    await this.recoveryPoints.write(healthy.map((log) => ({ tp: log.topicPartition, offset: log.recoveryPoint })));
    await this.startOffsets.write(healthy.map((log) => ({ tp: log.topicPartition, offset: log.logStartOffset })));
    await this.cleaner.writeCheckpoint();
    if (healthy.length === logs.length) {
      await this.fs.writeFileAtomic(joinPath(this.dataDir, CLEAN_SHUTDOWN_FILE), formatCleanShutdown(brokerEpoch));
    }
  }
}

/** A directory id as Kafka prints Uuids: 16 random bytes, base64url without padding. */
export function newDirectoryId(): string {
  const bytes = Buffer.from(randomUUID().replace(/-/g, ''), 'hex');
  return bytes.toString('base64url');
}
