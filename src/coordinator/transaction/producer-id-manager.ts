/**
 * Producer ids are handed out in blocks; a block is recorded durably before
 * its first id is used, so an id is never given twice, even across crashes
 * (a crash only skips the rest of the current block).
 *
 * Kafka keeps these blocks in the metadata log (ProducerIdsRecord, through
 * AllocateProducerIds to the controller). Until Samsa's metadata log carries
 * that record, a single node keeps its high-water mark in a small file in
 * its log directory (`FileProducerIdBlockStore`); the store is an interface
 * so the cluster version can swap in the controller.
 */
import type { FileSystem } from '../../platform/file-system.js';
import { errorCode } from '../../platform/file-system.js';

export const PRODUCER_ID_BLOCK_SIZE = 1000;

export interface ProducerIdBlockStore {
  /** The first id never handed out before (0 for a new cluster). */
  load(): Promise<bigint>;
  /** Durably records that every id below `next` may have been handed out. */
  save(next: bigint): Promise<void>;
}

export class ProducerIdManager {
  private next = -1n;
  private blockEnd = -1n;
  private reserving: Promise<void> | null = null;

  constructor(
    private readonly store: ProducerIdBlockStore,
    private readonly blockSize: number = PRODUCER_ID_BLOCK_SIZE,
  ) {}

  async allocate(): Promise<bigint> {
    while (this.next < 0n || this.next >= this.blockEnd) {
      this.reserving ??= this.reserve().finally(() => {
        this.reserving = null;
      });
      await this.reserving;
    }
    const id = this.next;
    this.next += 1n;
    return id;
  }

  private async reserve(): Promise<void> {
    const start = this.blockEnd < 0n ? await this.store.load() : this.blockEnd;
    const end = start + BigInt(this.blockSize);
    await this.store.save(end);
    this.next = start;
    this.blockEnd = end;
  }
}

/** A text file: `version\nnext\n`, replaced atomically. */
export class FileProducerIdBlockStore implements ProducerIdBlockStore {
  constructor(
    private readonly fs: FileSystem,
    private readonly path: string,
  ) {}

  async load(): Promise<bigint> {
    let text: string;
    try {
      text = this.fs.readFile(this.path).toString('utf8');
    } catch (err) {
      if (errorCode(err) === 'ENOENT') return 0n;
      throw err;
    }
    const lines = text.split('\n');
    if (lines[0] !== '0' || lines[1] === undefined || !/^\d+$/.test(lines[1])) throw new Error(`${this.path}: not a producer id block file`);
    return BigInt(lines[1]);
  }

  async save(next: bigint): Promise<void> {
    await this.fs.writeFileAtomic(this.path, Buffer.from(`0\n${next}\n`));
  }
}

export class MemoryProducerIdBlockStore implements ProducerIdBlockStore {
  next = 0n;
  async load(): Promise<bigint> {
    return this.next;
  }
  async save(next: bigint): Promise<void> {
    this.next = next;
  }
}
