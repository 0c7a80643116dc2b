/**
 * Topic-level configs: Kafka's names, which broker config supplies each
 * default (its "synonym"), and validation of values set by CreateTopics.
 * The log-related values are checked by storage's own parser so the two can
 * never disagree about what is valid.
 */
import { LogConfigError, logConfigFrom } from '../../storage/config.js';
import type { BrokerConfig } from './broker-config.js';

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

interface TopicConfigDef {
  readonly name: string;
  /** The broker config whose value is this topic config's default, if any. */
  readonly synonym?: string;
  /** Default when there is no synonym, or a function of the broker config. */
  readonly defaultValue: (broker: BrokerConfig) => string;
  readonly validate?: (value: string) => string | null;
}

const LONG_MAX = '9223372036854775807';

function fromBroker(key: string, fallback: string): (b: BrokerConfig) => string {
  return (b) => b.raw.get(key) ?? fallback;
}

function oneOf(...allowed: string[]): (v: string) => string | null {
  return (v) => (allowed.includes(v) ? null : `must be one of ${allowed.join(', ')}`);
}

function intAtLeast(min: number): (v: string) => string | null {
  return (v) => (/^-?\d+$/.test(v.trim()) && Number(v) >= min ? null : `must be an integer of at least ${min}`);
}

function booleanValue(v: string): string | null {
  return v === 'true' || v === 'false' ? null : 'must be true or false';
}

export const topicConfigDefs: readonly TopicConfigDef[] = [
  { name: 'cleanup.policy', synonym: 'log.cleanup.policy', defaultValue: fromBroker('log.cleanup.policy', 'delete') },
  { name: 'compression.type', synonym: 'compression.type', defaultValue: fromBroker('compression.type', 'producer'),
    validate: oneOf('uncompressed', 'zstd', 'lz4', 'snappy', 'gzip', 'producer') },
  { name: 'delete.retention.ms', defaultValue: () => '86400000' },
  { name: 'file.delete.delay.ms', defaultValue: () => '60000' },
  { name: 'flush.messages', synonym: 'log.flush.interval.messages', defaultValue: fromBroker('log.flush.interval.messages', LONG_MAX) },
  { name: 'flush.ms', synonym: 'log.flush.interval.ms', defaultValue: (b) => b.raw.get('log.flush.interval.ms') ?? LONG_MAX },
  { name: 'index.interval.bytes', synonym: 'log.index.interval.bytes', defaultValue: fromBroker('log.index.interval.bytes', '4096') },
  { name: 'max.compaction.lag.ms', defaultValue: () => LONG_MAX },
  { name: 'max.message.bytes', synonym: 'message.max.bytes', defaultValue: (b) => String(b.messageMaxBytes) },
  { name: 'message.timestamp.type', synonym: 'log.message.timestamp.type', defaultValue: (b) => b.logMessageTimestampType },
  { name: 'message.timestamp.before.max.ms', synonym: 'log.message.timestamp.before.max.ms', defaultValue: fromBroker('log.message.timestamp.before.max.ms', LONG_MAX),
    validate: intAtLeast(0) },
  { name: 'message.timestamp.after.max.ms', synonym: 'log.message.timestamp.after.max.ms', defaultValue: fromBroker('log.message.timestamp.after.max.ms', '3600000'),
    validate: intAtLeast(0) },
  { name: 'message.timestamp.difference.max.ms', defaultValue: () => LONG_MAX, validate: intAtLeast(0) },
  { name: 'message.downconversion.enable', defaultValue: () => 'true', validate: booleanValue },
  { name: 'min.cleanable.dirty.ratio', defaultValue: () => '0.5' },
  { name: 'min.compaction.lag.ms', defaultValue: () => '0' },
  { name: 'min.insync.replicas', synonym: 'min.insync.replicas', defaultValue: fromBroker('min.insync.replicas', '1'), validate: intAtLeast(1) },
  { name: 'preallocate', defaultValue: () => 'false', validate: booleanValue },
  { name: 'retention.bytes', synonym: 'log.retention.bytes', defaultValue: fromBroker('log.retention.bytes', '-1') },
  { name: 'retention.ms', synonym: 'log.retention.ms', defaultValue: (b) => String(b.logRetentionMs) },
  { name: 'segment.bytes', synonym: 'log.segment.bytes', defaultValue: (b) => String(b.logSegmentBytes) },
  { name: 'segment.index.bytes', synonym: 'log.index.size.max.bytes', defaultValue: fromBroker('log.index.size.max.bytes', '10485760') },
  { name: 'segment.jitter.ms', defaultValue: () => '0' },
  { name: 'segment.ms', synonym: 'log.roll.ms', defaultValue: (b) => b.raw.get('log.roll.ms') ?? String(Number(b.raw.get('log.roll.hours') ?? '168') * 3_600_000) },
  { name: 'unclean.leader.election.enable', synonym: 'unclean.leader.election.enable', defaultValue: fromBroker('unclean.leader.election.enable', 'false'),
    validate: booleanValue },
];

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
    const problem = d.validate?.(value) ?? null;
    if (problem !== null) return `Invalid value ${value} for configuration ${name}: ${problem}`;
  }
  try {
    logConfigFrom(Object.fromEntries(configs));
  } catch (err) {
    if (err instanceof LogConfigError) return `Invalid config: ${err.message}`;
    throw err;
  }
  return null;
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
