/** Shared fixtures for storage tests (not part of the public API). */
import { ManualClock } from '../platform/clock.js';
import { SimulatedFileSystem } from '../platform/simulated-file-system.js';
import type { FileSystem } from '../platform/file-system.js';
import { buildRecordBatch } from '../protocol/records/batch-builder.js';
import { decodeRecordBatches } from '../protocol/records/batch-decoder.js';
import { defaultLogConfig, type LogConfig } from './config.js';
import { Log, type LogOpenOptions } from './log.js';
import { ManualScheduler } from './scheduler.js';

export interface Harness {
  fs: SimulatedFileSystem;
  clock: ManualClock;
  scheduler: ManualScheduler;
  dir: string;
  config: LogConfig;
  open(extra?: Partial<LogOpenOptions>): Promise<Log>;
}

export function harness(config: Partial<LogConfig> = {}): Harness {
  const fs = new SimulatedFileSystem();
  const clock = new ManualClock();
  const scheduler = new ManualScheduler(clock);
  fs.mkdir('/data');
  const full: LogConfig = { ...defaultLogConfig, ...config };
  const h: Harness = {
    fs,
    clock,
    scheduler,
    dir: '/data/t-0',
    config: full,
    open: (extra = {}) =>
      Log.open({
        fs: fs as FileSystem,
        clock,
        scheduler,
        dir: h.dir,
        topicPartition: { topic: 't', partition: 0 },
        config: h.config,
        ...extra,
      }),
  };
  return h;
}

/** A batch of `count` records whose values are `${tag}-${i}`. */
export function batch(count: number, tag: string, timestamp = 1_700_000_000_000, valueBytes = 0): Buffer {
  const records = [];
  for (let i = 0; i < count; i++) {
    const text = `${tag}-${i}`;
    const value = valueBytes > 0 ? Buffer.concat([Buffer.from(text), Buffer.alloc(Math.max(0, valueBytes - text.length), 120)]) : Buffer.from(text);
    records.push({ key: Buffer.from(`k${i}`), value, timestamp: timestamp < 0 ? -1 : timestamp + i });
  }
  return buildRecordBatch({ records });
}

/** Every record value (as text) in the read chunks, with offsets. */
export function values(chunks: readonly Buffer[]): { offset: number; value: string }[] {
  const out: { offset: number; value: string }[] = [];
  for (const b of decodeRecordBatches(Buffer.concat(chunks))) {
    for (const r of b.records) out.push({ offset: r.offset, value: r.value?.toString() ?? '<null>' });
  }
  return out;
}

/** Reads the whole log from `from` through its end. */
export async function readAll(log: Log, from = log.logStartOffset): Promise<{ offset: number; value: string }[]> {
  const out: { offset: number; value: string }[] = [];
  let offset = from;
  while (offset < log.logEndOffset) {
    const r = await log.read(offset, { maxBytes: 1 << 20 });
    if (r.sizeBytes === 0) break;
    for (const v of values(r.chunks)) if (v.offset >= offset) out.push(v);
    offset = r.nextOffset;
  }
  return out;
}
