import type { StoredOffset } from './records.js';

/**
 * Where an offset's record sits in its `__consumer_offsets` partition: the
 * log offset when replayed, and a counter that continues past the loaded log
 * for records issued since (appends keep issue order, so comparisons come out
 * the same after a restart). Only compared between records of one partition.
 */
export type RecordOffset = number;

interface Entry {
  readonly offset: StoredOffset;
  readonly recordOffset: RecordOffset;
}

/** Committed offsets: group → topic → partition → offset. Insertion-ordered, so listings are stable. */
export class OffsetStore {
  private readonly byGroup = new Map<string, Map<string, Map<number, Entry>>>();

  get(group: string, topic: string, partition: number): StoredOffset | undefined {
    return this.byGroup.get(group)?.get(topic)?.get(partition)?.offset;
  }

  /** The record offset of the committed offset, or undefined without one. */
  recordOffsetOf(group: string, topic: string, partition: number): RecordOffset | undefined {
    return this.byGroup.get(group)?.get(topic)?.get(partition)?.recordOffset;
  }

  /** Sets (or, with null, deletes) one offset; empty maps are dropped so a group with no offsets has no entry. */
  set(group: string, topic: string, partition: number, offset: StoredOffset | null, recordOffset: RecordOffset = -1): void {
    let topics = this.byGroup.get(group);
    if (offset === null) {
      const partitions = topics?.get(topic);
      if (topics === undefined || partitions === undefined) return;
      partitions.delete(partition);
      if (partitions.size === 0) topics.delete(topic);
      if (topics.size === 0) this.byGroup.delete(group);
      return;
    }
    if (topics === undefined) {
      topics = new Map();
      this.byGroup.set(group, topics);
    }
    let partitions = topics.get(topic);
    if (partitions === undefined) {
      partitions = new Map();
      topics.set(topic, partitions);
    }
    partitions.set(partition, { offset, recordOffset });
  }

  /** The group's offsets, topic by topic. */
  *topicsOf(group: string): IterableIterator<[string, Array<[number, StoredOffset]>]> {
    for (const [topic, partitions] of this.byGroup.get(group) ?? []) {
      yield [topic, [...partitions].map(([p, e]): [number, StoredOffset] => [p, e.offset])];
    }
  }

  hasOffsets(group: string): boolean {
    return this.byGroup.has(group);
  }

  /** Every (topic, partition) the group has an offset for. */
  partitionsOf(group: string): Array<{ topic: string; partition: number; offset: StoredOffset }> {
    const out: Array<{ topic: string; partition: number; offset: StoredOffset }> = [];
    for (const [topic, partitions] of this.byGroup.get(group) ?? []) {
      for (const [partition, entry] of partitions) out.push({ topic, partition, offset: entry.offset });
    }
    return out;
  }

  /** Like partitionsOf, with record offsets. */
  entriesOf(group: string): Array<{ topic: string; partition: number; offset: StoredOffset; recordOffset: RecordOffset }> {
    const out: Array<{ topic: string; partition: number; offset: StoredOffset; recordOffset: RecordOffset }> = [];
    for (const [topic, partitions] of this.byGroup.get(group) ?? []) {
      for (const [partition, entry] of partitions) out.push({ topic, partition, offset: entry.offset, recordOffset: entry.recordOffset });
    }
    return out;
  }

  deleteGroup(group: string): void {
    this.byGroup.delete(group);
  }

  groups(): IterableIterator<string> {
    return this.byGroup.keys();
  }
}

/**
 * Offsets committed inside transactions (TxnOffsetCommit) whose outcome is
 * not known yet, as Kafka's OffsetMetadataManager keeps them: per
 * `__consumer_offsets` partition and producer id, until that producer's
 * COMMIT marker (they become committed) or ABORT marker (they are dropped)
 * lands on the partition. `openByGroup` answers "is a transaction open on
 * this group" for retention; `has` answers requireStable.
 */
export class PendingTransactionalOffsets {
  /** coordinator partition → producer id → that transaction's offsets and the groups it touched. */
  private readonly byPartition = new Map<number, Map<bigint, { readonly offsets: OffsetStore; readonly groups: Set<string> }>>();
  /** group → producer ids with a transaction open on it. */
  private readonly openByGroup = new Map<string, Set<bigint>>();

  add(partition: number, producerId: bigint, group: string, topic: string, topicPartition: number, offset: StoredOffset, recordOffset: RecordOffset): void {
    let producers = this.byPartition.get(partition);
    if (producers === undefined) {
      producers = new Map();
      this.byPartition.set(partition, producers);
    }
    let txn = producers.get(producerId);
    if (txn === undefined) {
      txn = { offsets: new OffsetStore(), groups: new Set() };
      producers.set(producerId, txn);
    }
    txn.offsets.set(group, topic, topicPartition, offset, recordOffset);
    txn.groups.add(group);
    let open = this.openByGroup.get(group);
    if (open === undefined) {
      open = new Set();
      this.openByGroup.set(group, open);
    }
    open.add(producerId);
  }

  /**
   * Removes and returns a producer's pending offsets on `partition` (its
   * transaction ended there), closing its transaction on every group it touched.
   */
  take(partition: number, producerId: bigint): OffsetStore | undefined {
    const producers = this.byPartition.get(partition);
    const txn = producers?.get(producerId);
    if (producers === undefined || txn === undefined) return undefined;
    producers.delete(producerId);
    if (producers.size === 0) this.byPartition.delete(partition);
    for (const group of txn.groups) this.close(group, producerId);
    return txn.offsets;
  }

  /**
   * A tombstone for (group, topic, partition): every open transaction's
   * offset for it is dropped (the transactions themselves stay open, as in Kafka).
   */
  removeKey(partition: number, group: string, topic: string, topicPartition: number): void {
    const producers = this.byPartition.get(partition);
    if (producers === undefined) return;
    for (const producerId of this.openByGroup.get(group) ?? []) producers.get(producerId)?.offsets.set(group, topic, topicPartition, null);
  }

  /** Undoes one `add` whose write failed, unless something replaced it since. The transaction stays open. */
  removeIfSame(partition: number, producerId: bigint, group: string, topic: string, topicPartition: number, offset: StoredOffset): void {
    const offsets = this.byPartition.get(partition)?.get(producerId)?.offsets;
    if (offsets !== undefined && offsets.get(group, topic, topicPartition) === offset) offsets.set(group, topic, topicPartition, null);
  }

  /** True when some open transaction has an offset for (group, topic, partition). */
  has(partition: number, group: string, topic: string, topicPartition: number): boolean {
    const producers = this.byPartition.get(partition);
    if (producers === undefined) return false;
    for (const producerId of this.openByGroup.get(group) ?? []) {
      if (producers.get(producerId)?.offsets.get(group, topic, topicPartition) !== undefined) return true;
    }
    return false;
  }

  /** True while some transaction that committed offsets for the group is undecided. */
  hasOpenTransactions(group: string): boolean {
    return this.openByGroup.has(group);
  }

  /** The (topic, partition) pairs with a pending offset for the group, each once. */
  keysOf(partition: number, group: string): Array<{ topic: string; partition: number }> {
    const producers = this.byPartition.get(partition);
    const seen = new Set<string>();
    const out: Array<{ topic: string; partition: number }> = [];
    for (const producerId of this.openByGroup.get(group) ?? []) {
      for (const o of producers?.get(producerId)?.offsets.partitionsOf(group) ?? []) {
        const k = `${o.topic}\u0000${o.partition}`;
        if (seen.has(k)) continue;
        seen.add(k);
        out.push({ topic: o.topic, partition: o.partition });
      }
    }
    return out;
  }

  /** Producer ids with an open transaction on `partition`. */
  producersOn(partition: number): bigint[] {
    return [...(this.byPartition.get(partition)?.keys() ?? [])];
  }

  /** Forgets a partition (unloaded). */
  dropPartition(partition: number): void {
    for (const producerId of this.producersOn(partition)) this.take(partition, producerId);
  }

  private close(group: string, producerId: bigint): void {
    const open = this.openByGroup.get(group);
    if (open === undefined) return;
    open.delete(producerId);
    if (open.size === 0) this.openByGroup.delete(group);
  }
}
