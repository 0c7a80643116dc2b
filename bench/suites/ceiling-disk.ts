import { closeSync, fdatasyncSync, fstatSync, openSync, readSync, writeSync } from 'node:fs';
import { unlink } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { BenchContext, Measurement, Suite } from '../suite.js';
import { Histogram } from '../load/histogram.js';

const blockBytes = 64 * 1024;
/** fdatasync after this many blocks in the "grouped" phase (1 MiB). */
const syncGroupBlocks = 16;
/** Files are rolled at this size, keeping only the last two, so disk use stays bounded. */
const fileBytesMax = 256 * 1024 * 1024;

/**
 * Appends 64 KiB blocks to files in dir with plain synchronous writes,
 * optionally calling fdatasync every `syncEvery` blocks, for `durationMs`.
 */
class BlockWriter {
  private files: string[] = [];
  /** Old files are deleted on the thread pool, so the loop does not time the unlink. */
  private readonly unlinking: Promise<void>[] = [];
  private fd = -1;
  private fileBytes = 0;
  bytes = 0;
  readonly syncLatencyUs = new Histogram();

  constructor(
    private readonly dir: string,
    private readonly prefix: string,
  ) {
    this.roll();
  }

  private roll(): void {
    if (this.fd >= 0) closeSync(this.fd);
    if (this.files.length === 2) this.unlinking.push(unlink(this.files.shift()!).catch(() => undefined));
    const path = join(this.dir, `${this.prefix}-${this.bytes}.bin`);
    this.files.push(path);
    this.fd = openSync(path, 'w');
    this.fileBytes = 0;
  }

  /** Returns the measured seconds. */
  run(block: Buffer, durationMs: number, syncEvery: number): number {
    const start = performance.now();
    const end = start + durationMs;
    let now = start;
    let blocks = 0;
    while (now < end) {
      if (this.fileBytes >= fileBytesMax) this.roll();
      let off = 0;
      while (off < block.length) off += writeSync(this.fd, block, off, block.length - off);
      this.fileBytes += block.length;
      this.bytes += block.length;
      blocks++;
      if (syncEvery > 0 && blocks % syncEvery === 0) {
        const before = performance.now();
        fdatasyncSync(this.fd);
        now = performance.now();
        this.syncLatencyUs.record((now - before) * 1000);
      } else {
        now = performance.now();
      }
    }
    return (now - start) / 1000;
  }

  close(): string[] {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
    return this.files;
  }

  async removeFiles(): Promise<void> {
    for (const file of this.files) this.unlinking.push(unlink(file).catch(() => undefined));
    this.files = [];
    await Promise.all(this.unlinking);
  }
}

/** Reads the given files sequentially in 64 KiB blocks, starting over at the end, for durationMs. */
function readBack(files: readonly string[], durationMs: number): { bytes: number; seconds: number } {
  const buffer = Buffer.allocUnsafe(blockBytes);
  const start = performance.now();
  const end = start + durationMs;
  let now = start;
  let bytes = 0;
  outer: for (;;) {
    for (const file of files) {
      const fd = openSync(file, 'r');
      try {
        const size = fstatSync(fd).size;
        for (let position = 0; position < size; ) {
          const n = readSync(fd, buffer, 0, blockBytes, position);
          if (n === 0) break;
          position += n;
          bytes += n;
          now = performance.now();
          if (now >= end) break outer;
        }
      } finally {
        closeSync(fd);
      }
    }
    if (bytes === 0) break;
  }
  return { bytes, seconds: (now - start) / 1000 };
}

function mbps(bytes: number, seconds: number): number {
  return seconds > 0 ? bytes / 1e6 / seconds : 0;
}

/**
 * Raw sequential file I/O in 64 KiB blocks, measured with the fsync policies
 * the storage engine offers. The read phase re-reads what the unsynced phase
 * just wrote, so it measures the page cache, as a consumer at the tail would.
 */
export const ceilingDisk: Suite = {
  name: 'ceiling.disk',
  description: `sequential 64 KiB writes (no sync, fdatasync per ${syncGroupBlocks} blocks, per block) and read-back`,
  async run(ctx: BenchContext): Promise<Measurement[]> {
    const phaseMs = ctx.durationMs / 2;
    const block = randomBytes(blockBytes);
    const out: Measurement[] = [];

    const plain = new BlockWriter(ctx.tmpDir, 'plain');
    const plainSeconds = plain.run(block, phaseMs, 0);
    const files = plain.close();
    out.push({ metric: 'write', value: mbps(plain.bytes, plainSeconds), unit: 'MB/s' });
    const read = readBack(files, phaseMs);
    out.push({ metric: 'read', value: mbps(read.bytes, read.seconds), unit: 'MB/s' });
    await plain.removeFiles();

    const grouped = new BlockWriter(ctx.tmpDir, 'grouped');
    const groupedSeconds = grouped.run(block, phaseMs, syncGroupBlocks);
    grouped.close();
    await grouped.removeFiles();
    out.push({ metric: `write.sync${syncGroupBlocks}`, value: mbps(grouped.bytes, groupedSeconds), unit: 'MB/s' });

    const each = new BlockWriter(ctx.tmpDir, 'each');
    const eachSeconds = each.run(block, phaseMs, 1);
    each.close();
    await each.removeFiles();
    const sync = each.syncLatencyUs.summary();
    out.push(
      { metric: 'write.sync1', value: mbps(each.bytes, eachSeconds), unit: 'MB/s' },
      { metric: 'fdatasync.p50', value: sync.p50 / 1000, unit: 'ms' },
      { metric: 'fdatasync.p99', value: sync.p99 / 1000, unit: 'ms' },
    );
    ctx.log(`${sync.count} fdatasyncs after single 64 KiB blocks, mean ${(sync.mean / 1000).toFixed(3)} ms`);
    return out;
  },
};
