/**
 * Leader epoch -> first offset written in that epoch, persisted in Kafka's
 * `leader-epoch-checkpoint`. Followers use it (OffsetsForLeaderEpoch) to find
 * where their log diverges from the leader's.
 *
 * Invariants: epochs strictly ascend, start offsets never descend. A new
 * entry that breaks them replaces the entries it conflicts with, as happens
 * when a follower learns of a newer leader's history.
 */
import { LeaderEpochCheckpointFile, type EpochEntry } from './checkpoint.js';

export const UNDEFINED_EPOCH = -1;
export const UNDEFINED_EPOCH_OFFSET = -1;

export class LeaderEpochCache {
  private entries: EpochEntry[];
  private writeChain: Promise<void> = Promise.resolve();
  private dirty = false;

  constructor(
    private readonly file: LeaderEpochCheckpointFile | undefined,
    initial: readonly EpochEntry[] = [],
  ) {
    this.entries = [];
    for (const e of initial) this.assignInMemory(e.epoch, e.startOffset);
  }

  static load(file: LeaderEpochCheckpointFile): LeaderEpochCache {
    return new LeaderEpochCache(file, file.read());
  }

  list(): EpochEntry[] {
    return this.entries.map((e) => ({ ...e }));
  }

  latestEpoch(): number {
    return this.entries.length === 0 ? UNDEFINED_EPOCH : this.entries[this.entries.length - 1]!.epoch;
  }

  latestEntry(): EpochEntry | undefined {
    const e = this.entries[this.entries.length - 1];
    return e === undefined ? undefined : { ...e };
  }

  earliestEntry(): EpochEntry | undefined {
    const e = this.entries[0];
    return e === undefined ? undefined : { ...e };
  }

  /** Records that `epoch` started at `startOffset`; true when the cache changed. */
  assign(epoch: number, startOffset: number): boolean {
    if (epoch < 0) return false;
    const changed = this.assignInMemory(epoch, startOffset);
    if (changed) this.dirty = true;
    return changed;
  }

  private assignInMemory(epoch: number, startOffset: number): boolean {
    const last = this.entries[this.entries.length - 1];
    if (last !== undefined && last.epoch === epoch && last.startOffset <= startOffset) return false;
    // Drop entries this one contradicts: same or newer epoch, or a start at or after ours.
    this.entries = this.entries.filter((e) => e.epoch < epoch && e.startOffset < startOffset);
    this.entries.push({ epoch, startOffset });
    return true;
  }

  /**
   * The end offset of `requestedEpoch` as OffsetsForLeaderEpoch answers it:
   * the start of the next higher epoch, or the log end offset for the latest
   * epoch. Returns the largest epoch <= the requested one alongside.
   */
  endOffsetFor(requestedEpoch: number, logEndOffset: number): { epoch: number; endOffset: number } {
    if (requestedEpoch === UNDEFINED_EPOCH || this.entries.length === 0) {
      return { epoch: UNDEFINED_EPOCH, endOffset: UNDEFINED_EPOCH_OFFSET };
    }
    const latest = this.entries[this.entries.length - 1]!;
    if (requestedEpoch === latest.epoch) return { epoch: latest.epoch, endOffset: logEndOffset };
    const higherAt = this.entries.findIndex((e) => e.epoch > requestedEpoch);
    if (higherAt < 0) return { epoch: UNDEFINED_EPOCH, endOffset: UNDEFINED_EPOCH_OFFSET };
    const higher = this.entries[higherAt]!;
    if (higherAt === 0) return { epoch: requestedEpoch, endOffset: higher.startOffset };
    return { epoch: this.entries[higherAt - 1]!.epoch, endOffset: higher.startOffset };
  }

  /** The log was truncated to `endOffset`: forget epochs that start at or after it. */
  truncateFromEnd(endOffset: number): void {
    const before = this.entries.length;
    this.entries = this.entries.filter((e) => e.startOffset < endOffset);
    if (this.entries.length !== before) this.dirty = true;
  }

  /** The log start moved to `startOffset`: older epochs go, the first kept one starts no earlier. */
  truncateFromStart(startOffset: number): void {
    let drop = 0;
    while (drop + 1 < this.entries.length && this.entries[drop + 1]!.startOffset <= startOffset) drop++;
    if (drop > 0) {
      this.entries = this.entries.slice(drop);
      this.dirty = true;
    }
    const first = this.entries[0];
    if (first !== undefined && first.startOffset < startOffset) {
      this.entries[0] = { epoch: first.epoch, startOffset };
      this.dirty = true;
    }
  }

  clear(): void {
    if (this.entries.length > 0) this.dirty = true;
    this.entries = [];
  }

  /** Writes the checkpoint if anything changed; writes are serialized. */
  flush(): Promise<void> {
    if (!this.dirty || this.file === undefined) return this.writeChain;
    this.dirty = false;
    const snapshot = this.list();
    const file = this.file;
    // A failed write must not wedge later ones; the caller of that flush saw it fail.
    this.writeChain = this.writeChain.catch(() => undefined).then(() => file.write(snapshot));
    return this.writeChain;
  }
}
