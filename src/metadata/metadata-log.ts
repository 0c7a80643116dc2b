/**
 * Where the metadata log lives, and the one write made to it outside Raft:
 * the bootstrap records `kafka-storage.sh format` puts in a new cluster's
 * log (data-dir.ts). The log itself is src/raft's: Kafka's segment format in
 * `<metadata.log.dir>/__cluster_metadata-0/`, read and written by the
 * RaftQuorum (quorum.ts).
 *
 * Bootstrap records go in as a data batch of epoch 0, before any leader
 * exists; the first leader (epoch 1 or later) commits them with its
 * LeaderChange. Kafka writes them to a `bootstrap.checkpoint` file instead
 * and the first controller copies them into the log; the controller here
 * also writes metadata.version itself when it finds none, so this write is
 * only a head start for the first start.
 */
import { systemClock } from '../platform/clock.js';
import type { FileSystem } from '../platform/file-system.js';
import { joinPath } from '../platform/file-system.js';
import { buildRecordBatch } from '../protocol/records/batch-builder.js';
import { RaftLog } from '../raft/raft-log.js';
import { TimerScheduler } from '../storage/scheduler.js';
import { LOG_SUFFIX } from '../storage/file-names.js';

export const METADATA_TOPIC = '__cluster_metadata';
export const METADATA_PARTITION_DIR = `${METADATA_TOPIC}-0`;

/** Writes bootstrap records into a new metadata log (the format step). */
export class MetadataLogFile {
  private constructor(
    private readonly fs: FileSystem,
    private readonly dir: string,
    private readonly empty: boolean,
  ) {}

  static dirFor(metadataLogDir: string): string {
    return joinPath(metadataLogDir, METADATA_PARTITION_DIR);
  }

  static open(fs: FileSystem, metadataLogDir: string): MetadataLogFile {
    const dir = MetadataLogFile.dirFor(metadataLogDir);
    const stat = fs.stat(dir);
    const empty = stat === undefined || !fs.readdir(dir).some((name) => name.endsWith(LOG_SUFFIX) && (fs.stat(joinPath(dir, name))?.sizeBytes ?? 0) > 0);
    return new MetadataLogFile(fs, dir, empty);
  }

  /** 0 for a log with no batches yet; otherwise some offset above 0 (the format step only asks "empty?"). */
  get endOffset(): number {
    return this.empty ? 0 : 1;
  }

  /** Appends one batch of framed records at `epoch`, durably; returns its base offset. */
  async append(records: readonly Buffer[], epoch: number): Promise<number> {
    if (records.length === 0) throw new RangeError('an empty metadata batch');
    const scheduler = new TimerScheduler();
    const log = await RaftLog.open({ fs: this.fs, clock: systemClock, dir: this.dir, scheduler });
    try {
      const timestamp = systemClock.nowMs();
      const batch = buildRecordBatch({ records: records.map((value) => ({ key: null, value, timestamp })), partitionLeaderEpoch: epoch });
      const info = log.appendAsLeader(batch, epoch);
      await log.flush();
      return info.baseOffset;
    } finally {
      await log.close();
      await scheduler.stop();
    }
  }

  close(): void {
    // Nothing stays open between appends.
  }
}
