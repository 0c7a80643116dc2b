/**
 * Per-topic log configuration under Kafka's own names and defaults, as a plain
 * typed object. Kafka's "no limit" (Long.MAX_VALUE) becomes Infinity here so
 * comparisons stay plain number comparisons.
 */
export type CleanupPolicy = { delete: boolean; compact: boolean };

export interface LogConfig {
  'segment.bytes': number;
  'segment.ms': number;
  'segment.jitter.ms': number;
  'segment.index.bytes': number;
  'index.interval.bytes': number;
  'flush.messages': number;
  'flush.ms': number;
  'retention.ms': number;
  'retention.bytes': number;
  'cleanup.policy': CleanupPolicy;
  'delete.retention.ms': number;
  'min.cleanable.dirty.ratio': number;
  'min.compaction.lag.ms': number;
  'max.compaction.lag.ms': number;
  'file.delete.delay.ms': number;
  'max.message.bytes': number;
  'message.timestamp.type': 'CreateTime' | 'LogAppendTime';
  /**
   * Samsa-only: bytes of the newest batches each partition keeps in memory so
   * consumers at the end of the log never touch the disk.
   */
  'samsa.tail.cache.bytes': number;
}

export const defaultLogConfig: Readonly<LogConfig> = Object.freeze({
  'segment.bytes': 1024 * 1024 * 1024,
  'segment.ms': 7 * 24 * 60 * 60 * 1000,
  'segment.jitter.ms': 0,
  'segment.index.bytes': 10 * 1024 * 1024,
  'index.interval.bytes': 4096,
  'flush.messages': Infinity,
  'flush.ms': Infinity,
  'retention.ms': 7 * 24 * 60 * 60 * 1000,
  'retention.bytes': -1,
  'cleanup.policy': Object.freeze({ delete: true, compact: false }),
  'delete.retention.ms': 24 * 60 * 60 * 1000,
  'min.cleanable.dirty.ratio': 0.5,
  'min.compaction.lag.ms': 0,
  'max.compaction.lag.ms': Infinity,
  'file.delete.delay.ms': 60_000,
  'max.message.bytes': 1024 * 1024 + 12,
  'message.timestamp.type': 'CreateTime',
  'samsa.tail.cache.bytes': 4 * 1024 * 1024,
});

/** Kafka's Long.MAX_VALUE, which its configs use for "never". */
const LONG_MAX_TEXT = '9223372036854775807';

export class LogConfigError extends Error {
  override readonly name = 'LogConfigError';
}

function parseNumber(name: string, text: string, min: number): number {
  const trimmed = text.trim();
  if (trimmed === LONG_MAX_TEXT) return Infinity;
  const value = Number(trimmed);
  if (trimmed === '' || !Number.isFinite(value)) throw new LogConfigError(`${name}: not a number: '${text}'`);
  if (value < min) throw new LogConfigError(`${name}: ${value} is below the minimum ${min}`);
  // Kafka treats any value this large as unbounded; keep comparisons exact.
  return value >= 2 ** 62 ? Infinity : value;
}

export function parseCleanupPolicy(text: string): CleanupPolicy {
  const parts = text
    .split(',')
    .map((p) => p.trim().toLowerCase())
    .filter((p) => p.length > 0);
  if (parts.length === 0) throw new LogConfigError(`cleanup.policy: empty`);
  for (const p of parts) {
    if (p !== 'delete' && p !== 'compact') throw new LogConfigError(`cleanup.policy: unknown policy '${p}'`);
  }
  return { delete: parts.includes('delete'), compact: parts.includes('compact') };
}

export function formatCleanupPolicy(policy: CleanupPolicy): string {
  return [policy.compact ? 'compact' : '', policy.delete ? 'delete' : ''].filter((p) => p !== '').join(',');
}

/** Minimums, as Kafka validates them. */
const numericMin: Partial<Record<keyof LogConfig, number>> = {
  'segment.bytes': 14,
  'segment.ms': 1,
  'segment.jitter.ms': 0,
  'segment.index.bytes': 4,
  'index.interval.bytes': 0,
  'flush.messages': 1,
  'flush.ms': 0,
  'retention.ms': -1,
  'retention.bytes': -1,
  'delete.retention.ms': 0,
  'min.cleanable.dirty.ratio': 0,
  'min.compaction.lag.ms': 0,
  'max.compaction.lag.ms': 1,
  'file.delete.delay.ms': 0,
  'max.message.bytes': 0,
  'samsa.tail.cache.bytes': 0,
};

/**
 * Builds a LogConfig from Kafka-style string properties over a base (the
 * broker's defaults). Unknown names are ignored: topic configs also carry
 * keys the log does not use (compression.type, ...).
 */
export function logConfigFrom(props: Readonly<Record<string, string>>, base: Readonly<LogConfig> = defaultLogConfig): LogConfig {
  const config: LogConfig = { ...base, 'cleanup.policy': { ...base['cleanup.policy'] } };
  for (const [name, text] of Object.entries(props)) {
    if (name === 'cleanup.policy') {
      config['cleanup.policy'] = parseCleanupPolicy(text);
    } else if (name === 'message.timestamp.type') {
      if (text !== 'CreateTime' && text !== 'LogAppendTime') throw new LogConfigError(`message.timestamp.type: '${text}'`);
      config['message.timestamp.type'] = text;
    } else if (name in numericMin) {
      const key = name as keyof typeof numericMin;
      const value = parseNumber(name, text, numericMin[key]!);
      if (name === 'min.cleanable.dirty.ratio' && value > 1) throw new LogConfigError(`${name}: ${value} is above 1`);
      (config as unknown as Record<string, number>)[name] = value;
    }
  }
  return config;
}
