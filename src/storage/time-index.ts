/**
 * The sparse time index of one segment: Kafka's `.timeindex` file, 12-byte
 * entries of (timestamp: int64, offset - baseOffset: int32), big-endian, with
 * strictly increasing timestamps. An entry says "no record before this offset
 * has a larger timestamp", so a lookup for T starts at the entry with the
 * largest timestamp <= T and scans forward.
 */
import { INDEX_INITIAL_ENTRIES, IndexCorruptError } from './offset-index.js';

export const TIME_INDEX_ENTRY_BYTES = 12;

export interface TimestampOffset {
  timestamp: number;
  offset: number;
}

export class TimeIndex {
  private timestamps: Float64Array;
  private relOffsets: Int32Array;
  private count = 0;
  persistedEntries = 0;

  /** @param initialEntries room allocated now; grows by doubling (see OffsetIndex). */
  constructor(
    readonly baseOffset: number,
    readonly maxEntries: number,
    initialEntries = INDEX_INITIAL_ENTRIES,
  ) {
    const initial = Math.min(Math.max(maxEntries, 1), Math.max(initialEntries, 1));
    this.timestamps = new Float64Array(initial);
    this.relOffsets = new Int32Array(initial);
  }

  static maxEntriesFor(indexBytes: number): number {
    return Math.max(1, Math.floor(indexBytes / TIME_INDEX_ENTRY_BYTES));
  }

  get entries(): number {
    return this.count;
  }

  get isFull(): boolean {
    return this.count >= this.maxEntries;
  }

  get sizeBytes(): number {
    return this.count * TIME_INDEX_ENTRY_BYTES;
  }

  /** Newest entry, or (-1, baseOffset) when empty. */
  lastEntry(): TimestampOffset {
    if (this.count === 0) return { timestamp: -1, offset: this.baseOffset };
    return { timestamp: this.timestamps[this.count - 1]!, offset: this.baseOffset + this.relOffsets[this.count - 1]! };
  }

  /**
   * Adds an entry when `timestamp` is newer than the last one. `force` lets a
   * full index take the final entry when its segment rolls (as Kafka does).
   */
  maybeAppend(timestamp: number, offset: number, force = false): void {
    if (this.count > 0 && timestamp <= this.timestamps[this.count - 1]!) return;
    if (this.count > 0 && offset < this.baseOffset + this.relOffsets[this.count - 1]!) return;
    if (this.isFull && !force) throw new RangeError(`time index for ${this.baseOffset} is full`);
    const rel = offset - this.baseOffset;
    if (rel < 0 || rel > 0x7fffffff) throw new RangeError(`offset ${offset} does not fit a time index based at ${this.baseOffset}`);
    if (this.count === this.timestamps.length) this.grow(this.count + 1);
    this.timestamps[this.count] = timestamp;
    this.relOffsets[this.count] = rel;
    this.count++;
  }

  private grow(minimum: number): void {
    const size = Math.max(minimum, Math.min(Math.max(this.maxEntries, minimum), this.timestamps.length * 2));
    const t = new Float64Array(size);
    t.set(this.timestamps);
    const r = new Int32Array(size);
    r.set(this.relOffsets);
    this.timestamps = t;
    this.relOffsets = r;
  }

  /** Largest entry with timestamp <= target; (-1, baseOffset) when none. */
  lookup(targetTimestamp: number): TimestampOffset {
    let lo = 0;
    let hi = this.count - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.timestamps[mid]! <= targetTimestamp) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    if (found < 0) return { timestamp: -1, offset: this.baseOffset };
    return { timestamp: this.timestamps[found]!, offset: this.baseOffset + this.relOffsets[found]! };
  }

  /** Drops every entry for an offset >= `offset`. */
  truncateToOffset(offset: number): void {
    let n = this.count;
    while (n > 0 && this.baseOffset + this.relOffsets[n - 1]! >= offset) n--;
    this.count = n;
    if (this.persistedEntries > n) this.persistedEntries = n;
  }

  reset(): void {
    this.truncateToOffset(this.baseOffset);
  }

  encode(from = 0): Buffer {
    const buf = Buffer.allocUnsafe((this.count - from) * TIME_INDEX_ENTRY_BYTES);
    for (let i = from, at = 0; i < this.count; i++, at += TIME_INDEX_ENTRY_BYTES) {
      const ts = this.timestamps[i]!;
      const high = Math.floor(ts / 4294967296);
      buf.writeInt32BE(high, at);
      buf.writeUInt32BE(ts - high * 4294967296, at + 4);
      buf.writeInt32BE(this.relOffsets[i]!, at + 8);
    }
    return buf;
  }

  static decode(baseOffset: number, maxEntries: number, data: Buffer, nextOffsetLimit: number): TimeIndex {
    if (data.length % TIME_INDEX_ENTRY_BYTES !== 0) throw new IndexCorruptError(`time index size ${data.length} is not a multiple of 12`);
    let n = data.length / TIME_INDEX_ENTRY_BYTES;
    const isZero = (i: number): boolean => data.readBigInt64BE(i * 12) === 0n && data.readInt32BE(i * 12 + 8) === 0;
    while (n > 0 && isZero(n - 1)) n--;
    const index = new TimeIndex(baseOffset, Math.max(maxEntries, n), n);
    for (let i = 0; i < n; i++) {
      const timestamp = data.readInt32BE(i * 12) * 4294967296 + data.readUInt32BE(i * 12 + 4);
      const rel = data.readInt32BE(i * 12 + 8);
      const offset = baseOffset + rel;
      if (rel < 0 || offset >= nextOffsetLimit) throw new IndexCorruptError(`time entry ${i}: offset ${offset} outside the segment`);
      const last = index.lastEntry();
      if (index.entries > 0 && (timestamp <= last.timestamp || offset < last.offset)) {
        throw new IndexCorruptError(`time entry ${i}: not ascending`);
      }
      index.maybeAppend(timestamp, offset, true);
    }
    index.persistedEntries = n;
    return index;
  }
}
