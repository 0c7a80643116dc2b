/**
 * The seam between the controller and Raft. The controller hands a batch of
 * records to `append`; the quorum makes it committed (today: one voter, so
 * committed = durable in the local log) and then calls every listener with
 * the batch, in offset order. Real Raft (src/raft) implements the same
 * interface with replication to other voters.
 */
import type { FileSystem } from '../platform/file-system.js';
import { MetadataLogFile } from './metadata-log.js';
import { decodeMetadataRecord, encodeMetadataRecord, type MetadataRecord } from './records.js';

export interface CommittedBatch {
  readonly baseOffset: number;
  readonly lastOffset: number;
  readonly records: readonly MetadataRecord[];
}

/** Called in offset order; `append` resolves only after every listener's promise does. */
export type CommitListener = (batch: CommittedBatch) => void | Promise<void>;

export interface MetadataQuorum {
  /** The committed log so far, for the image to be rebuilt from on start. */
  replay(): Iterable<CommittedBatch>;
  /** Resolves with the committed batch once it is durable on a majority of voters. */
  append(records: readonly MetadataRecord[]): Promise<CommittedBatch>;
  onCommit(listener: CommitListener): void;
  readonly leaderEpoch: number;
  close(): void;
}

/** One voter: itself. Appends are serialized so offsets and commits stay in order. */
export class SingleVoterQuorum implements MetadataQuorum {
  private readonly listeners: CommitListener[] = [];
  private tail: Promise<unknown> = Promise.resolve();
  readonly leaderEpoch = 1;

  private constructor(private readonly log: MetadataLogFile) {}

  static open(fs: FileSystem, metadataLogDir: string): SingleVoterQuorum {
    return new SingleVoterQuorum(MetadataLogFile.open(fs, metadataLogDir));
  }

  get truncatedBytes(): number {
    return this.log.truncatedBytes;
  }

  *replay(): Iterable<CommittedBatch> {
    for (const batch of this.log.batches) {
      yield {
        baseOffset: batch.baseOffset,
        lastOffset: batch.baseOffset + batch.records.length - 1,
        records: batch.records.map(decodeMetadataRecord),
      };
    }
  }

  append(records: readonly MetadataRecord[]): Promise<CommittedBatch> {
    const encoded = records.map(encodeMetadataRecord);
    const result = this.tail.then(async () => {
      const baseOffset = await this.log.append(encoded, this.leaderEpoch);
      const batch: CommittedBatch = { baseOffset, lastOffset: baseOffset + records.length - 1, records };
      for (const listener of this.listeners) await listener(batch);
      return batch;
    });
    this.tail = result.catch(() => undefined);
    return result;
  }

  onCommit(listener: CommitListener): void {
    this.listeners.push(listener);
  }

  close(): void {
    this.log.close();
  }
}
