/**
 * Topic-level configs: Kafka's names, which broker config supplies each
 * default (its "synonym"), and validation of values set by CreateTopics.
 * The log-related values are checked by storage's own parser so the two can
 * never disagree about what is valid.
 */
import { LogConfigError, logConfigFrom } from '../../storage/config.js';
import type { BrokerConfig, ConfigType } from './broker-config.js';

/** Config source codes as DescribeConfigs and CreateTopics v5+ report them. */
export const ConfigSource = {
  unknown: 0,
  dynamicTopic: 1,
  dynamicBroker: 2,
  dynamicDefaultBroker: 3,
  staticBroker: 4,
  default: 5,
  dynamicBrokerLogger: 6,
} as const;

export interface TopicConfigDef {
  readonly name: string;
  readonly type: ConfigType;
  /**
   * The broker configs that supply this config's default, highest priority
   * first (Kafka's synonyms: retention.ms <- log.retention.ms,
   * log.retention.minutes, log.retention.hours). Empty when none does.
   */
  readonly synonyms: readonly string[];
  /** The first synonym, if any. */
  readonly synonym?: string;
  /** The default, from the broker config (its synonyms) or a constant. */
  readonly defaultValue: (broker: BrokerConfig) => string;
  readonly validate?: (value: string) => string | null;
}

const LONG_MAX = '9223372036854775807';

function fromBroker(key: string, fallback: string): (b: BrokerConfig) => string {
  return (b) => b.raw.get(key) ?? fallback;
}

/** The first of `keys` the broker has a value for, times its unit; else `fallback`. */
function firstOf(keys: ReadonlyArray<readonly [string, number]>, fallback: string): (b: BrokerConfig) => string {
  return (b) => {
    for (const [key, unitMs] of keys) {
      const v = b.raw.get(key);
      if (v !== undefined) return unitMs === 1 || v === LONG_MAX ? v : String(Number(v) * unitMs);
    }
    return fallback;
  };
}

function oneOf(...allowed: string[]): (v: string) => string | null {
  return (v) => (allowed.includes(v) ? null : `String must be one of: ${allowed.join(', ')}`);
}

const HOUR_MS = 3_600_000;

function topicDef(
  name: string,
  type: ConfigType,
  synonyms: readonly string[],
  defaultValue: (b: BrokerConfig) => string,
  validate?: (value: string) => string | null,
): TopicConfigDef {
  return { name, type, synonyms, ...(synonyms[0] === undefined ? {} : { synonym: synonyms[0] }), defaultValue, ...(validate === undefined ? {} : { validate }) };
}

export const topicConfigDefs: readonly TopicConfigDef[] = [
  topicDef('cleanup.policy', 'list', ['log.cleanup.policy'], fromBroker('log.cleanup.policy', 'delete')),
  topicDef('compression.type', 'string', ['compression.type'], fromBroker('compression.type', 'producer'),
    oneOf('uncompressed', 'zstd', 'lz4', 'snappy', 'gzip', 'producer')),
  topicDef('delete.retention.ms', 'long', ['log.cleaner.delete.retention.ms'], fromBroker('log.cleaner.delete.retention.ms', '86400000')),
  topicDef('file.delete.delay.ms', 'long', ['log.segment.delete.delay.ms'], fromBroker('log.segment.delete.delay.ms', '60000')),
  topicDef('flush.messages', 'long', ['log.flush.interval.messages'], fromBroker('log.flush.interval.messages', LONG_MAX)),
  topicDef('flush.ms', 'long', ['log.flush.interval.ms', 'log.flush.scheduler.interval.ms'],
    firstOf([['log.flush.interval.ms', 1], ['log.flush.scheduler.interval.ms', 1]], LONG_MAX)),
  topicDef('index.interval.bytes', 'int', ['log.index.interval.bytes'], fromBroker('log.index.interval.bytes', '4096')),
  topicDef('max.compaction.lag.ms', 'long', ['log.cleaner.max.compaction.lag.ms'], fromBroker('log.cleaner.max.compaction.lag.ms', LONG_MAX)),
  topicDef('max.message.bytes', 'int', ['message.max.bytes'], (b) => String(b.messageMaxBytes)),
  topicDef('message.downconversion.enable', 'boolean', ['log.message.downconversion.enable'], fromBroker('log.message.downconversion.enable', 'true')),
  topicDef('message.timestamp.after.max.ms', 'long', ['log.message.timestamp.after.max.ms'], fromBroker('log.message.timestamp.after.max.ms', '3600000')),
  topicDef('message.timestamp.before.max.ms', 'long', ['log.message.timestamp.before.max.ms'], fromBroker('log.message.timestamp.before.max.ms', LONG_MAX)),
  topicDef('message.timestamp.difference.max.ms', 'long', ['log.message.timestamp.difference.max.ms'], fromBroker('log.message.timestamp.difference.max.ms', LONG_MAX)),
  topicDef('message.timestamp.type', 'string', ['log.message.timestamp.type'], (b) => b.logMessageTimestampType, oneOf('CreateTime', 'LogAppendTime')),
  topicDef('min.cleanable.dirty.ratio', 'double', ['log.cleaner.min.cleanable.ratio'], fromBroker('log.cleaner.min.cleanable.ratio', '0.5')),
  topicDef('min.compaction.lag.ms', 'long', ['log.cleaner.min.compaction.lag.ms'], fromBroker('log.cleaner.min.compaction.lag.ms', '0')),
  topicDef('min.insync.replicas', 'int', ['min.insync.replicas'], fromBroker('min.insync.replicas', '1')),
  topicDef('preallocate', 'boolean', ['log.preallocate'], fromBroker('log.preallocate', 'false')),
  topicDef('retention.bytes', 'long', ['log.retention.bytes'], fromBroker('log.retention.bytes', '-1')),
  topicDef('retention.ms', 'long', ['log.retention.ms', 'log.retention.minutes', 'log.retention.hours'], (b) => String(b.logRetentionMs)),
  topicDef('segment.bytes', 'int', ['log.segment.bytes'], (b) => String(b.logSegmentBytes)),
  topicDef('segment.index.bytes', 'int', ['log.index.size.max.bytes'], fromBroker('log.index.size.max.bytes', '10485760')),
  topicDef('segment.jitter.ms', 'long', ['log.roll.jitter.ms', 'log.roll.jitter.hours'],
    firstOf([['log.roll.jitter.ms', 1], ['log.roll.jitter.hours', HOUR_MS]], '0')),
  topicDef('segment.ms', 'long', ['log.roll.ms', 'log.roll.hours'], firstOf([['log.roll.ms', 1], ['log.roll.hours', HOUR_MS]], String(168 * HOUR_MS))),
  topicDef('unclean.leader.election.enable', 'boolean', ['unclean.leader.election.enable'], fromBroker('unclean.leader.election.enable', 'false')),
];

/** Kafka's minimums for topic configs (LogConfig's validators). */
const topicConfigMin: ReadonlyMap<string, number> = new Map([
  ['segment.bytes', 14],
  ['segment.ms', 1],
  ['segment.jitter.ms', 0],
  ['segment.index.bytes', 4],
  ['flush.messages', 1],
  ['flush.ms', 0],
  ['retention.bytes', Number.NEGATIVE_INFINITY],
  ['retention.ms', -1],
  ['max.message.bytes', 0],
  ['index.interval.bytes', 0],
  ['delete.retention.ms', 0],
  ['min.compaction.lag.ms', 0],
  ['max.compaction.lag.ms', 1],
  ['file.delete.delay.ms', 0],
  ['min.cleanable.dirty.ratio', 0],
  ['min.insync.replicas', 1],
  ['message.timestamp.difference.max.ms', 0],
  ['message.timestamp.before.max.ms', 0],
  ['message.timestamp.after.max.ms', 0],
]);

/** Checks one value against its def's type and range; null when fine, otherwise Kafka's message. */
function topicValueProblem(d: TopicConfigDef, value: string): string | null {
  const invalid = (why: string): string => `Invalid value ${value} for configuration ${d.name}: ${why}`;
  const trimmed = value.trim();
  switch (d.type) {
    case 'int':
    case 'long': {
      if (!/^-?\d+$/.test(trimmed)) return invalid(`Not a number of type ${d.type.toUpperCase()}`);
      const n = Number(trimmed);
      if (d.type === 'int' && (n > 2147483647 || n < -2147483648)) return invalid('Not a number of type INT');
      if (d.type === 'long' && (BigInt(trimmed) > 9223372036854775807n || BigInt(trimmed) < -9223372036854775808n)) return invalid('Not a number of type LONG');
      const min = topicConfigMin.get(d.name);
      if (min !== undefined && n < min) return invalid(`Value must be at least ${min}`);
      break;
    }
    case 'double': {
      const n = Number(trimmed);
      if (trimmed === '' || !Number.isFinite(n)) return invalid('Not a number of type DOUBLE');
      const min = topicConfigMin.get(d.name);
      if (min !== undefined && n < min) return invalid(`Value must be at least ${min}`);
      if (d.name === 'min.cleanable.dirty.ratio' && n > 1) return invalid('Value must be no more than 1');
      break;
    }
    case 'boolean':
      if (trimmed.toLowerCase() !== 'true' && trimmed.toLowerCase() !== 'false') return invalid('Expected value to be either true or false');
      break;
    case 'list':
      if (d.name === 'cleanup.policy') {
        const parts = trimmed.split(',').map((p) => p.trim()).filter((p) => p !== '');
        const bad = parts.find((p) => p !== 'delete' && p !== 'compact');
        if (bad !== undefined) return invalid(`String must be one of: compact, delete`);
      }
      break;
    default:
      break;
  }
  const problem = d.validate?.(trimmed) ?? null;
  return problem === null ? null : invalid(problem);
}

const topicDefsByName: ReadonlyMap<string, TopicConfigDef> = new Map(topicConfigDefs.map((d) => [d.name, d]));

export function isTopicConfig(name: string): boolean {
  return topicDefsByName.has(name);
}

/**
 * Checks topic configs as CreateTopics receives them; returns the first
 * problem as a message (Kafka answers INVALID_CONFIG with it), or null.
 */
export function validateTopicConfigs(configs: ReadonlyMap<string, string>): string | null {
  for (const [name, value] of configs) {
    const d = topicDefsByName.get(name);
    if (d === undefined) return `Unknown topic config name: ${name}`;
    const problem = topicValueProblem(d, value);
    if (problem !== null) return problem;
  }
  try {
    logConfigFrom(Object.fromEntries(configs));
  } catch (err) {
    if (err instanceof LogConfigError) return `Invalid config: ${err.message}`;
    throw err;
  }
  return null;
}

export function topicConfigDef(name: string): TopicConfigDef | undefined {
  return topicDefsByName.get(name);
}

export interface EffectiveTopicConfig {
  name: string;
  value: string;
  source: number;
  isDefault: boolean;
}

/** Every topic config with its effective value and where it came from. */
export function effectiveTopicConfigs(broker: BrokerConfig, topicConfigs: ReadonlyMap<string, string>): EffectiveTopicConfig[] {
  return topicConfigDefs.map((d) => {
    const own = topicConfigs.get(d.name);
    if (own !== undefined) return { name: d.name, value: own, source: ConfigSource.dynamicTopic, isDefault: false };
    const fromBrokerFile = d.synonym !== undefined && broker.explicit.has(d.synonym);
    return {
      name: d.name,
      value: d.defaultValue(broker),
      source: fromBrokerFile ? ConfigSource.staticBroker : ConfigSource.default,
      isDefault: !fromBrokerFile,
    };
  });
}

/** The value of one topic config, own value first, then the broker default. */
export function topicConfigValue(broker: BrokerConfig, topicConfigs: ReadonlyMap<string, string>, name: string): string | undefined {
  const own = topicConfigs.get(name);
  if (own !== undefined) return own;
  return topicDefsByName.get(name)?.defaultValue(broker);
}
