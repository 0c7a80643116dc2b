/**
 * The newest batches of a partition, kept in memory exactly as written to
 * the segment, so a consumer reading at the end of the log is served without
 * a system call. Entries are contiguous in offset order; the oldest fall out
 * once the byte budget is exceeded (the newest batch always stays).
 */
export interface CachedBatch {
  baseOffset: number;
  lastOffset: number;
  bytes: Buffer;
}

export interface CacheRead {
  chunks: Buffer[];
  sizeBytes: number;
  nextOffset: number;
}

export class TailCache {
  private entries: CachedBatch[] = [];
  private head = 0;
  private bytes = 0;

  constructor(private budgetBytes: number) {}

  get sizeBytes(): number {
    return this.bytes;
  }

  get firstOffset(): number | undefined {
    return this.entries[this.head]?.baseOffset;
  }

  setBudget(budgetBytes: number): void {
    this.budgetBytes = budgetBytes;
    this.evict();
  }

  push(batch: CachedBatch): void {
    if (this.budgetBytes <= 0) return;
    this.entries.push(batch);
    this.bytes += batch.bytes.length;
    this.evict();
  }

  private evict(): void {
    while (this.bytes > this.budgetBytes && this.entries.length - this.head > 1) {
      this.bytes -= this.entries[this.head]!.bytes.length;
      this.entries[this.head] = undefined as unknown as CachedBatch;
      this.head++;
    }
    if (this.budgetBytes <= 0) this.clear();
    // Compact the array once the dead prefix dominates, keeping push O(1) amortized.
    if (this.head > 1024 && this.head * 2 > this.entries.length) {
      this.entries = this.entries.slice(this.head);
      this.head = 0;
    }
  }

  /** Forgets cached batches that start below `offset` (their segment was rewritten by the cleaner). */
  dropBelow(offset: number): void {
    while (this.head < this.entries.length && this.entries[this.head]!.baseOffset < offset) {
      this.bytes -= this.entries[this.head]!.bytes.length;
      this.entries[this.head] = undefined as unknown as CachedBatch;
      this.head++;
    }
    if (this.head === this.entries.length) this.clear();
  }

  clear(): void {
    this.entries = [];
    this.head = 0;
    this.bytes = 0;
  }

  /**
   * Batches from the one holding `offset`, as the log would return them;
   * undefined when the cache does not reach back that far.
   */
  read(offset: number, maxBytes: number, maxOffset: number, minOneBatch: boolean): CacheRead | undefined {
    const first = this.entries[this.head];
    if (first === undefined || offset < first.baseOffset) return undefined;
    let lo = this.head;
    let hi = this.entries.length - 1;
    let at = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.entries[mid]!.lastOffset >= offset) {
        at = mid;
        hi = mid - 1;
      } else {
        lo = mid + 1;
      }
    }
    if (at < 0) return undefined;
    const chunks: Buffer[] = [];
    let size = 0;
    let nextOffset = offset;
    for (let i = at; i < this.entries.length; i++) {
      const e = this.entries[i]!;
      if (e.baseOffset >= maxOffset) break;
      if (size + e.bytes.length > maxBytes && !(minOneBatch && chunks.length === 0)) break;
      chunks.push(e.bytes);
      size += e.bytes.length;
      nextOffset = e.lastOffset + 1;
    }
    return { chunks, sizeBytes: size, nextOffset };
  }
}
