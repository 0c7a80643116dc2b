/**
 * The sparse offset index of one segment: Kafka's `.index` file, 8-byte
 * entries of (offset - baseOffset: int32, file position: int32), big-endian,
 * ascending. An entry maps the last offset of some batch to where that batch
 * starts, so a lookup lands at or before the batch holding any target offset.
 *
 * The entries live in memory (typed arrays, binary search) and are written to
 * the file incrementally; the file is a cache of what a scan of the segment
 * would rebuild, so a damaged one is rebuilt, never trusted.
 */
export const OFFSET_INDEX_ENTRY_BYTES = 8;

/** Entries an offset or time index allocates room for before its first growth. */
export const INDEX_INITIAL_ENTRIES = 16;

export interface OffsetPosition {
  offset: number;
  position: number;
}

export class IndexCorruptError extends Error {
  override readonly name = 'IndexCorruptError';
}

export class OffsetIndex {
  private relOffsets: Int32Array;
  private positions: Int32Array;
  private count = 0;
  /** Entries already in the file; the file is rewritten from here on the next persist. */
  persistedEntries = 0;

  /**
   * @param initialEntries room allocated now; the arrays double as entries
   *   arrive. Small by default: a broker holds one index per partition even
   *   when the partition is idle (1,000 partitions × 1,024 preallocated
   *   entries were 8 MB), and one entry per `index.interval.bytes` appended
   *   makes growth rare.
   */
  constructor(
    readonly baseOffset: number,
    readonly maxEntries: number,
    initialEntries = INDEX_INITIAL_ENTRIES,
  ) {
    const initial = Math.min(Math.max(maxEntries, 1), Math.max(initialEntries, 1));
    this.relOffsets = new Int32Array(initial);
    this.positions = new Int32Array(initial);
  }

  static maxEntriesFor(indexBytes: number): number {
    return Math.max(1, Math.floor(indexBytes / OFFSET_INDEX_ENTRY_BYTES));
  }

  get entries(): number {
    return this.count;
  }

  get isFull(): boolean {
    return this.count >= this.maxEntries;
  }

  get sizeBytes(): number {
    return this.count * OFFSET_INDEX_ENTRY_BYTES;
  }

  /** The newest entry, or (baseOffset, 0) when empty. */
  lastEntry(): OffsetPosition {
    if (this.count === 0) return { offset: this.baseOffset, position: 0 };
    return { offset: this.baseOffset + this.relOffsets[this.count - 1]!, position: this.positions[this.count - 1]! };
  }

  entry(i: number): OffsetPosition {
    return { offset: this.baseOffset + this.relOffsets[i]!, position: this.positions[i]! };
  }

  append(offset: number, position: number): void {
    if (this.isFull) throw new RangeError(`offset index for ${this.baseOffset} is full`);
    const rel = offset - this.baseOffset;
    if (rel < 0 || rel > 0x7fffffff) throw new RangeError(`offset ${offset} does not fit an index based at ${this.baseOffset}`);
    if (this.count > 0) {
      if (rel <= this.relOffsets[this.count - 1]!) throw new RangeError(`index offsets must ascend: ${offset}`);
      if (position < this.positions[this.count - 1]!) throw new RangeError(`index positions must ascend: ${position}`);
    }
    if (this.count === this.relOffsets.length) this.grow();
    this.relOffsets[this.count] = rel;
    this.positions[this.count] = position;
    this.count++;
  }

  private grow(): void {
    const size = Math.min(this.maxEntries, this.relOffsets.length * 2);
    const r = new Int32Array(size);
    r.set(this.relOffsets);
    const p = new Int32Array(size);
    p.set(this.positions);
    this.relOffsets = r;
    this.positions = p;
  }

  /** Largest entry with offset <= target; (baseOffset, 0) when there is none. */
  lookup(targetOffset: number): OffsetPosition {
    const i = this.floorIndex(targetOffset - this.baseOffset);
    if (i < 0) return { offset: this.baseOffset, position: 0 };
    return this.entry(i);
  }

  private floorIndex(rel: number): number {
    let lo = 0;
    let hi = this.count - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.relOffsets[mid]! <= rel) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found;
  }

  /** Drops every entry for an offset >= `offset`. */
  truncateToOffset(offset: number): void {
    const i = this.floorIndex(offset - this.baseOffset - 1);
    this.setCount(i + 1);
  }

  /** Drops every entry pointing at or past `position`. */
  truncateToPosition(position: number): void {
    let n = this.count;
    while (n > 0 && this.positions[n - 1]! >= position) n--;
    this.setCount(n);
  }

  private setCount(n: number): void {
    this.count = n;
    if (this.persistedEntries > n) this.persistedEntries = n;
  }

  reset(): void {
    this.setCount(0);
  }

  /** Entries [from, count) in file format. */
  encode(from = 0): Buffer {
    const buf = Buffer.allocUnsafe((this.count - from) * OFFSET_INDEX_ENTRY_BYTES);
    for (let i = from, at = 0; i < this.count; i++, at += OFFSET_INDEX_ENTRY_BYTES) {
      buf.writeInt32BE(this.relOffsets[i]!, at);
      buf.writeInt32BE(this.positions[i]!, at + 4);
    }
    return buf;
  }

  /**
   * Loads a `.index` file, checking what a scan would guarantee: whole
   * entries, ascending offsets inside [base, nextOffsetLimit), ascending
   * positions inside the segment. Trailing all-zero entries (Kafka
   * preallocates its index files) are dropped.
   */
  static decode(baseOffset: number, maxEntries: number, data: Buffer, segmentBytes: number, nextOffsetLimit: number): OffsetIndex {
    if (data.length % OFFSET_INDEX_ENTRY_BYTES !== 0) throw new IndexCorruptError(`index size ${data.length} is not a multiple of 8`);
    let n = data.length / OFFSET_INDEX_ENTRY_BYTES;
    while (n > 1 && data.readBigInt64BE((n - 1) * OFFSET_INDEX_ENTRY_BYTES) === 0n) n--;
    if (n === 1 && data.readBigInt64BE(0) === 0n && segmentBytes === 0) n = 0;
    const index = new OffsetIndex(baseOffset, Math.max(maxEntries, n), n);
    for (let i = 0; i < n; i++) {
      const rel = data.readInt32BE(i * 8);
      const position = data.readInt32BE(i * 8 + 4);
      const offset = baseOffset + rel;
      if (rel < 0 || offset >= nextOffsetLimit) throw new IndexCorruptError(`entry ${i}: offset ${offset} outside the segment`);
      if (position < 0 || position >= Math.max(segmentBytes, 1)) throw new IndexCorruptError(`entry ${i}: position ${position} outside the segment`);
      if (i > 0 && (rel <= index.relOffsets[i - 1]! || position < index.positions[i - 1]!)) {
        throw new IndexCorruptError(`entry ${i}: not ascending`);
      }
      index.append(offset, position);
    }
    index.persistedEntries = n;
    return index;
  }
}
