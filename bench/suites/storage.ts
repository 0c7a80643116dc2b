/**
 * The storage engine against the raw disk: 1 KiB records in 64 KiB batches
 * appended to a Log (no sync, group commit every 16 batches, sync per batch)
 * and read back from disk, each as a ratio to ceiling.disk doing the same
 * bytes with the same fsync policy; plus the fdatasync cost per batch and
 * recovery time per GiB scanned.
 */
import { closeSync, fdatasync, fstatSync, ftruncateSync, mkdirSync, openSync, read, readdirSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { BenchContext, Measurement, Suite } from '../suite.js';
import { systemClock } from '../../src/platform/clock.js';
import { nodeFileSystem } from '../../src/platform/node-file-system.js';
import { buildRecordBatch } from '../../src/protocol/records/batch-builder.js';
import { defaultLogConfig, type LogConfig } from '../../src/storage/config.js';
import { Log } from '../../src/storage/log.js';
import { TimerScheduler } from '../../src/storage/scheduler.js';

const recordBytes = 1024;
const recordsPerBatch = 63; // 63 × ~1 KiB + headers ≈ 64 KiB
const batchPool = 32;

function makeBatches(): Buffer[] {
  const value = Buffer.alloc(recordBytes - 16, 97);
  const out: Buffer[] = [];
  for (let b = 0; b < batchPool; b++) {
    const records = [];
    for (let i = 0; i < recordsPerBatch; i++) records.push({ key: Buffer.from(`key-${b}-${i}`.padEnd(12, '.')), value, timestamp: Date.now() });
    out.push(buildRecordBatch({ records }));
  }
  return out;
}

async function openLog(dir: string, config: Partial<LogConfig> = {}): Promise<Log> {
  return Log.open({
    fs: nodeFileSystem,
    clock: systemClock,
    scheduler: new TimerScheduler(),
    dir,
    topicPartition: { topic: 'bench', partition: 0 },
    config: { ...defaultLogConfig, 'segment.bytes': 256 * 1024 * 1024, 'file.delete.delay.ms': 0, ...config },
  });
}

/** Appends for durationMs; flushes every `syncEvery` batches (0 = never). Returns bytes and seconds. */
async function appendPhase(log: Log, batches: Buffer[], durationMs: number, syncEvery: number): Promise<{ bytes: number; seconds: number; batches: number }> {
  const start = performance.now();
  const end = start + durationMs;
  let bytes = 0;
  let n = 0;
  let now = start;
  while (now < end) {
    const b = batches[n % batches.length]!;
    const info = log.appendAsLeader(b, 0);
    bytes += b.length;
    n++;
    if (syncEvery > 0 && n % syncEvery === 0) await log.flush(info.lastOffset + 1);
    now = performance.now();
    // Keep disk use bounded as ceiling.disk does (it keeps two 256 MiB files).
    if (log.sizeBytes > 512 * 1024 * 1024) log.deleteOldSegments(log.logEndOffset) || log.maybeIncrementLogStartOffset(log.segmentBaseOffsets()[1] ?? log.logEndOffset);
  }
  return { bytes, seconds: (now - start) / 1000, batches: n };
}

/**
 * The same bytes with the same fsync policy, measured interleaved with the
 * Log in slices of 16 batches so that a noisy shared disk moves both alike:
 * raw = positional writeSync to one file (+ fdatasync every `syncEvery`).
 */
async function interleaved(
  log: Log,
  rawPath: string,
  batches: Buffer[],
  durationMs: number,
  syncEvery: number,
): Promise<{ raw: number; log: number; logBatches: number; logSeconds: number }> {
  const fd = openSync(rawPath, 'w');
  let rawBytes = 0;
  let rawSeconds = 0;
  let logBytes = 0;
  let logSeconds = 0;
  let n = 0;
  let rawBlocks = 0;
  const end = performance.now() + durationMs;
  try {
    while (performance.now() < end) {
      let t = performance.now();
      for (let i = 0; i < 16; i++) {
        const b = batches[(rawBlocks + i) % batches.length]!;
        let off = 0;
        while (off < b.length) off += writeSync(fd, b, off, b.length - off, rawBytes + off);
        rawBytes += b.length;
        if (syncEvery > 0 && (rawBlocks + i + 1) % syncEvery === 0) await new Promise<void>((res, rej) => fdatasync(fd, (e) => (e ? rej(e) : res())));
      }
      rawBlocks += 16;
      rawSeconds += (performance.now() - t) / 1000;
      t = performance.now();
      for (let i = 0; i < 16; i++) {
        const b = batches[n % batches.length]!;
        const info = log.appendAsLeader(b, 0);
        logBytes += b.length;
        n++;
        if (syncEvery > 0 && n % syncEvery === 0) await log.flush(info.lastOffset + 1);
      }
      logSeconds += (performance.now() - t) / 1000;
      if (rawBytes > 256 * 1024 * 1024) {
        ftruncateSync(fd, 0);
        rawBytes = 0;
      }
      if (log.sizeBytes > 256 * 1024 * 1024) {
        log.maybeIncrementLogStartOffset(log.segmentBaseOffsets().at(-1)!);
        log.deleteOldSegments(log.logEndOffset);
      }
    }
  } finally {
    closeSync(fd);
  }
  return { raw: mbps(rawBlocks > 0 ? (logBytes / n) * rawBlocks : 0, rawSeconds), log: mbps(logBytes, logSeconds), logBatches: n, logSeconds };
}

/** Log.read and raw preads of the same file in alternating 50 ms slices, 1 MiB at a time. */
async function interleavedRead(log: Log, segmentPath: string, durationMs: number): Promise<{ log: number; raw: number }> {
  const readBytes = 1024 * 1024;
  const fd = openSync(segmentPath, 'r');
  const fileBytes = fstatSync(fd).size;
  let logBytes = 0;
  let logMs = 0;
  let rawBytes = 0;
  let rawMs = 0;
  let offset = log.logStartOffset;
  let position = 0;
  const end = performance.now() + durationMs;
  try {
    while (performance.now() < end) {
      let start = performance.now();
      while (performance.now() - start < 50) {
        const r = await log.read(offset, { maxBytes: readBytes });
        logBytes += r.sizeBytes;
        offset = r.nextOffset >= log.logEndOffset ? log.logStartOffset : r.nextOffset;
      }
      logMs += performance.now() - start;
      start = performance.now();
      while (performance.now() - start < 50) {
        const buf = Buffer.allocUnsafe(readBytes);
        const n = await new Promise<number>((resolve, reject) =>
          read(fd, buf, 0, readBytes, position, (err, bytesRead) => (err ? reject(err) : resolve(bytesRead))),
        );
        rawBytes += n;
        position = position + n >= fileBytes ? 0 : position + n;
      }
      rawMs += performance.now() - start;
    }
  } finally {
    closeSync(fd);
  }
  return { log: mbps(logBytes, logMs / 1000), raw: mbps(rawBytes, rawMs / 1000) };
}

function mbps(bytes: number, seconds: number): number {
  return seconds > 0 ? bytes / 1e6 / seconds : 0;
}

export async function runStorageBench(ctx: BenchContext): Promise<Measurement[]> {
  const phaseMs = ctx.durationMs / 2;
  const batches = makeBatches();
  const out: Measurement[] = [];

  // 1. Append without sync, then read it all back from disk (tail cache off, page cache as ceiling.disk.read).
  const dirPlain = join(ctx.tmpDir, 'plain');
  mkdirSync(dirPlain, { recursive: true });
  const plain = await openLog(join(dirPlain, 'bench-0'), { 'samsa.tail.cache.bytes': 0 });
  const a = await appendPhase(plain, batches, phaseMs, 0);
  out.push({ metric: 'append', value: mbps(a.bytes, a.seconds), unit: 'MB/s', ratioTo: 'ceiling.disk.write' });
  {
    const start = performance.now();
    const end = start + phaseMs;
    let bytes = 0;
    let offset = plain.logStartOffset;
    let now = start;
    while (now < end) {
      const r = await plain.read(offset, { maxBytes: 1024 * 1024 });
      bytes += r.sizeBytes;
      offset = r.nextOffset >= plain.logEndOffset ? plain.logStartOffset : r.nextOffset;
      now = performance.now();
    }
    out.push({ metric: 'read', value: mbps(bytes, (now - start) / 1000), unit: 'MB/s', ratioTo: 'ceiling.disk.read' });
  }
  {
    // The same bytes read raw: sequential 1 MiB preads of the segment file into
    // fresh buffers (a server hands each read to a socket, so it cannot reuse
    // one), alternated with Log.read in short slices so that load from other
    // processes weighs on both alike.
    const partitionDir = join(dirPlain, 'bench-0');
    const segments = readdirSync(partitionDir).filter((f) => f.endsWith('.log')).sort();
    const r = await interleavedRead(plain, join(partitionDir, segments[segments.length - 1]!), phaseMs);
    out.push({ metric: 'raw.read', value: r.raw, unit: 'MB/s' });
    out.push({ metric: 'read.interleaved', value: r.log, unit: 'MB/s', ratioTo: 'storage.log.raw.read' });
  }
  await plain.flush();
  const plainBytes = plain.sizeBytes;
  plain.closeAbruptly();

  // 2. Recovery: reopen with no recovery point, so every batch is CRC-checked and re-indexed.
  {
    const start = performance.now();
    const reopened = await openLog(join(dirPlain, 'bench-0'), {});
    const seconds = (performance.now() - start) / 1000;
    out.push({ metric: 'recovery', value: seconds / (plainBytes / 2 ** 30), unit: 's/GiB' });
    ctx.log(`recovered ${(plainBytes / 2 ** 20).toFixed(0)} MiB in ${(seconds * 1000).toFixed(0)} ms`);
    reopened.closeAbruptly();
  }
  rmSync(dirPlain, { recursive: true, force: true });

  // 3. Tail reads: the consumer at the end is served from memory.
  {
    const dir = join(ctx.tmpDir, 'tail');
    mkdirSync(dir, { recursive: true });
    const log = await openLog(join(dir, 'bench-0'));
    for (let i = 0; i < 64; i++) log.appendAsLeader(batches[i % batches.length]!, 0);
    const start = performance.now();
    const end = start + phaseMs / 4;
    let bytes = 0;
    let now = start;
    let offset = log.logStartOffset;
    while (now < end) {
      const r = await log.read(offset, { maxBytes: 1024 * 1024 });
      bytes += r.sizeBytes;
      offset = r.nextOffset >= log.logEndOffset ? log.logStartOffset : r.nextOffset;
      now = performance.now();
    }
    out.push({ metric: 'read.tail', value: mbps(bytes, (now - start) / 1000), unit: 'MB/s', ratioTo: 'ceiling.disk.read' });
    log.closeAbruptly();
  }

  // 4. Interleaved with raw writes of the same bytes: no sync, group commit every 16 batches, fdatasync per batch.
  for (const syncEvery of [0, 16, 1]) {
    const dir = join(ctx.tmpDir, `sync${syncEvery}`);
    mkdirSync(dir, { recursive: true });
    const log = await openLog(join(dir, 'bench-0'), { 'samsa.tail.cache.bytes': 0 });
    const r = await interleaved(log, join(dir, 'raw.bin'), batches, phaseMs, syncEvery);
    const suffix = syncEvery === 0 ? '' : `.sync${syncEvery}`;
    out.push({ metric: `raw.write${suffix}`, value: r.raw, unit: 'MB/s' });
    out.push({ metric: `append.interleaved${suffix}`, value: r.log, unit: 'MB/s', ratioTo: `storage.log.raw.write${suffix}` });
    if (syncEvery === 1) out.push({ metric: 'fsync.per.batch', value: (r.logSeconds * 1000) / r.logBatches, unit: 'ms' });
    log.closeAbruptly();
    rmSync(dir, { recursive: true, force: true });
  }

  // 5. Group commit under concurrency: 64 producers each waiting for its own batch to be durable.
  {
    const dir = join(ctx.tmpDir, 'group');
    mkdirSync(dir, { recursive: true });
    const log = await openLog(join(dir, 'bench-0'));
    const end = performance.now() + phaseMs / 2;
    let appended = 0;
    const producer = async (): Promise<void> => {
      while (performance.now() < end) {
        const info = log.appendAsLeader(batches[appended % batches.length]!, 0);
        appended++;
        await log.flush(info.lastOffset + 1);
      }
    };
    const start = performance.now();
    await Promise.all(Array.from({ length: 64 }, producer));
    const seconds = (performance.now() - start) / 1000;
    out.push({ metric: 'acks-all.64-producers', value: appended / seconds, unit: 'batches/s' });
    log.closeAbruptly();
    rmSync(dir, { recursive: true, force: true });
  }
  return out;
}

export const storageLog: Suite = {
  name: 'storage.log',
  description: '1 KiB records in 64 KiB batches: Log append (no sync / sync per 16 / per batch), disk and tail reads, recovery',
  ceilings: ['ceiling.disk'],
  run: runStorageBench,
};
