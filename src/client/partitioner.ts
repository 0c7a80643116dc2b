/**
 * Choosing a partition for a record.
 *
 * Keyed records: `toPositive(murmur2(key)) % partitionCount`, the formula of
 * Kafka's Java client (and librdkafka's `murmur2_random`), so the same key
 * lands on the same partition whichever of those clients wrote it.
 *
 * Records without a key: the sticky partitioner (KIP-480, with KIP-794's
 * byte-based switching). All key-less records for a topic go to one
 * partition until about `batch.size` bytes have gone there, then another
 * partition is picked at random among those with a leader. Batches fill up
 * instead of trickling one record to every partition.
 */

const SEED = 0x9747b28c;
const M = 0x5bd1e995;

/** Kafka's 32-bit murmur2 of a byte array, as a signed int32. */
export function murmur2(data: Uint8Array): number {
  const length = data.length;
  let h = (SEED ^ length) | 0;
  const fullWords = length & ~3;
  for (let i = 0; i < fullWords; i += 4) {
    let k = data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24);
    k = Math.imul(k, M);
    k ^= k >>> 24;
    k = Math.imul(k, M);
    h = Math.imul(h, M);
    h ^= k;
  }
  const rest = length & 3;
  if (rest === 3) h ^= data[fullWords + 2]! << 16;
  if (rest >= 2) h ^= data[fullWords + 1]! << 8;
  if (rest >= 1) {
    h ^= data[fullWords]!;
    h = Math.imul(h, M);
  }
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h | 0;
}

/** Kafka's `Utils.toPositive`: clears the sign bit (not Math.abs). */
export function toPositive(n: number): number {
  return n & 0x7fffffff;
}

/** The partition Java's client picks for a key. */
export function partitionForKey(key: Uint8Array, partitionCount: number): number {
  return toPositive(murmur2(key)) % partitionCount;
}

export interface PartitionerArgs {
  topic: string;
  key: Buffer | null;
  value: Buffer | null;
  /** Total partitions of the topic. */
  partitionCount: number;
  /** Partitions that currently have a leader (all of them when none do). */
  availablePartitions: readonly number[];
}

/** A custom partitioner returns a partition number in [0, partitionCount). */
export type Partitioner = (args: PartitionerArgs) => number;

interface Sticky {
  partition: number;
  bytes: number;
}

/**
 * The default partitioner: murmur2 for keys, sticky for null keys. Call
 * `onAppend(topic, partition, bytes)` after placing a record so the sticky
 * choice knows when to move on.
 */
export class DefaultPartitioner {
  private readonly sticky = new Map<string, Sticky>();
  private readonly switchBytes: number;
  private readonly random: () => number;

  constructor(switchBytes: number, random: () => number = Math.random) {
    this.switchBytes = Math.max(1, switchBytes);
    this.random = random;
  }

  partition(args: PartitionerArgs): number {
    if (args.key !== null) return partitionForKey(args.key, args.partitionCount);
    const current = this.sticky.get(args.topic);
    if (current !== undefined && current.partition < args.partitionCount && current.bytes < this.switchBytes) {
      return current.partition;
    }
    const next = this.pick(args, current?.partition ?? -1);
    this.sticky.set(args.topic, { partition: next, bytes: 0 });
    return next;
  }

  onAppend(topic: string, partition: number, bytes: number): void {
    const current = this.sticky.get(topic);
    if (current !== undefined && current.partition === partition) current.bytes += bytes;
  }

  private pick(args: PartitionerArgs, previous: number): number {
    let candidates = args.availablePartitions.length > 0 ? args.availablePartitions : range(args.partitionCount);
    if (candidates.length > 1) candidates = candidates.filter((p) => p !== previous);
    return candidates[Math.floor(this.random() * candidates.length)]!;
  }
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}
