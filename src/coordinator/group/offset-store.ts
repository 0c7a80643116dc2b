import type { StoredOffset } from './records.js';

/** Committed offsets: group → topic → partition → offset. Insertion-ordered, so listings are stable. */
export class OffsetStore {
  private readonly byGroup = new Map<string, Map<string, Map<number, StoredOffset>>>();

  get(group: string, topic: string, partition: number): StoredOffset | undefined {
    return this.byGroup.get(group)?.get(topic)?.get(partition);
  }

  /** Sets (or, with null, deletes) one offset; empty maps are dropped so a group with no offsets has no entry. */
  set(group: string, topic: string, partition: number, offset: StoredOffset | null): void {
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
    partitions.set(partition, offset);
  }

  groupOffsets(group: string): ReadonlyMap<string, ReadonlyMap<number, StoredOffset>> | undefined {
    return this.byGroup.get(group);
  }

  hasOffsets(group: string): boolean {
    return this.byGroup.has(group);
  }

  /** Every (topic, partition) the group has an offset for. */
  partitionsOf(group: string): Array<{ topic: string; partition: number; offset: StoredOffset }> {
    const out: Array<{ topic: string; partition: number; offset: StoredOffset }> = [];
    for (const [topic, partitions] of this.byGroup.get(group) ?? []) {
      for (const [partition, offset] of partitions) out.push({ topic, partition, offset });
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
