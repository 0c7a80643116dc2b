/**
 * Broker configuration under Kafka's own names, types and defaults.
 *
 * Config text (a server.properties file, `--override k=v`, or the options of
 * `Broker.start`) is parsed into a typed, frozen BrokerConfig. A value that
 * does not parse or is out of range fails start-up with one line naming the
 * key; a key we do not know is kept (so DescribeConfigs can echo it later) and
 * reported as a warning, because Kafka users carry many keys Samsa has no use
 * for (num.network.threads, ...).
 */
import { parseProperties } from '../../storage/checkpoint.js';

export type ConfigType = 'int' | 'long' | 'short' | 'double' | 'boolean' | 'string' | 'list' | 'password' | 'class';

export interface ConfigDef {
  readonly name: string;
  readonly type: ConfigType;
  /** Kafka's default as text; null means "no default" (unset). */
  readonly defaultText: string | null;
  readonly min?: number;
  readonly max?: number;
  /** Allowed values for enumerated strings (compared case-sensitively, as Kafka does for most). */
  readonly oneOf?: readonly string[];
}

const INT_MAX = 2147483647;
const LONG_MAX_TEXT = '9223372036854775807';

function def(name: string, type: ConfigType, defaultText: string | null, extra: Partial<ConfigDef> = {}): ConfigDef {
  return { name, type, defaultText, ...extra };
}

/** The broker configs Samsa knows, with Kafka's defaults. */
export const brokerConfigDefs: readonly ConfigDef[] = [
  // KRaft roles and identity
  def('process.roles', 'list', ''),
  def('node.id', 'int', '-1', { min: -1 }),
  def('broker.id', 'int', '-1', { min: -1 }),
  def('controller.quorum.voters', 'list', ''),
  def('controller.quorum.bootstrap.servers', 'list', ''),
  def('controller.listener.names', 'list', ''),
  def('metadata.log.dir', 'string', null),
  // Listeners
  def('listeners', 'list', 'PLAINTEXT://:9092'),
  def('advertised.listeners', 'list', null),
  def('inter.broker.listener.name', 'string', null),
  def('listener.security.protocol.map', 'list', 'PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL'),
  // Network
  def('num.network.threads', 'int', '3', { min: 1 }),
  def('num.io.threads', 'int', '8', { min: 1 }),
  def('socket.send.buffer.bytes', 'int', '102400'),
  def('socket.receive.buffer.bytes', 'int', '102400'),
  def('socket.request.max.bytes', 'int', '104857600', { min: 1 }),
  def('queued.max.requests', 'int', '500', { min: 1 }),
  def('connections.max.idle.ms', 'long', '600000'),
  def('max.connections', 'int', String(INT_MAX), { min: 0 }),
  def('max.connections.per.ip', 'int', String(INT_MAX), { min: 0 }),
  def('request.timeout.ms', 'int', '30000', { min: 0 }),
  // Logs
  def('log.dirs', 'list', null),
  def('log.dir', 'string', '/tmp/kafka-logs'),
  def('num.partitions', 'int', '1', { min: 1 }),
  def('default.replication.factor', 'int', '1', { min: 1 }),
  def('num.recovery.threads.per.data.dir', 'int', '2', { min: 1 }),
  def('auto.create.topics.enable', 'boolean', 'true'),
  def('delete.topic.enable', 'boolean', 'true'),
  def('message.max.bytes', 'int', '1048588', { min: 0 }),
  def('fetch.max.bytes', 'int', '57671680', { min: 0 }),
  def('log.segment.bytes', 'int', '1073741824', { min: 14 }),
  def('log.roll.hours', 'int', '168', { min: 1 }),
  def('log.roll.ms', 'long', null),
  def('log.retention.hours', 'int', '168'),
  def('log.retention.minutes', 'int', null),
  def('log.retention.ms', 'long', null),
  def('log.retention.bytes', 'long', '-1'),
  def('log.retention.check.interval.ms', 'long', '300000', { min: 1 }),
  def('log.cleanup.policy', 'list', 'delete'),
  def('log.cleaner.enable', 'boolean', 'true'),
  def('log.index.interval.bytes', 'int', '4096', { min: 0 }),
  def('log.index.size.max.bytes', 'int', '10485760', { min: 4 }),
  def('log.flush.interval.messages', 'long', LONG_MAX_TEXT, { min: 1 }),
  def('log.flush.interval.ms', 'long', null),
  def('log.message.timestamp.type', 'string', 'CreateTime', { oneOf: ['CreateTime', 'LogAppendTime'] }),
  def('log.message.timestamp.before.max.ms', 'long', LONG_MAX_TEXT, { min: 0 }),
  def('log.message.timestamp.after.max.ms', 'long', '3600000', { min: 0 }),
  def('compression.type', 'string', 'producer', {
    oneOf: ['uncompressed', 'zstd', 'lz4', 'snappy', 'gzip', 'producer'],
  }),
  def('min.insync.replicas', 'int', '1', { min: 1 }),
  def('unclean.leader.election.enable', 'boolean', 'false'),
  // Log settings that are the broker-wide defaults of topic configs (their synonyms)
  def('log.roll.jitter.hours', 'int', '0', { min: 0 }),
  def('log.roll.jitter.ms', 'long', null),
  def('log.flush.scheduler.interval.ms', 'long', LONG_MAX_TEXT),
  def('log.segment.delete.delay.ms', 'long', '60000', { min: 0 }),
  def('log.cleaner.delete.retention.ms', 'long', '86400000', { min: 0 }),
  def('log.cleaner.min.compaction.lag.ms', 'long', '0', { min: 0 }),
  def('log.cleaner.max.compaction.lag.ms', 'long', LONG_MAX_TEXT, { min: 1 }),
  def('log.cleaner.min.cleanable.ratio', 'double', '0.5', { min: 0, max: 1 }),
  def('log.preallocate', 'boolean', 'false'),
  def('log.message.downconversion.enable', 'boolean', 'true'),
  def('log.message.timestamp.difference.max.ms', 'long', LONG_MAX_TEXT, { min: 0 }),
  // Background work (accepted and reported; Samsa sizes its own work)
  def('background.threads', 'int', '10', { min: 1 }),
  def('num.replica.fetchers', 'int', '1'),
  def('log.cleaner.threads', 'int', '1', { min: 0 }),
  def('log.cleaner.dedupe.buffer.size', 'long', '134217728'),
  def('log.cleaner.io.buffer.size', 'int', '524288', { min: 0 }),
  def('log.cleaner.io.buffer.load.factor', 'double', '0.9'),
  def('log.cleaner.io.max.bytes.per.second', 'double', '1.7976931348623157E308'),
  def('log.cleaner.backoff.ms', 'long', '15000', { min: 0 }),
  def('max.connections.per.ip.overrides', 'string', ''),
  def('max.connection.creation.rate', 'int', String(INT_MAX), { min: 0 }),
  def('producer.id.expiration.ms', 'int', '86400000', { min: 1 }),
  def('broker.rack', 'string', null),
  def('auto.leader.rebalance.enable', 'boolean', 'true'),
  // Group and transaction coordinators and their internal topics (read by src/coordinator)
  def('offsets.topic.replication.factor', 'short', '3', { min: 1 }),
  def('offsets.topic.num.partitions', 'int', '50', { min: 1 }),
  def('offsets.retention.minutes', 'int', '10080', { min: 1 }),
  def('offsets.retention.check.interval.ms', 'long', '600000', { min: 1 }),
  def('offset.metadata.max.bytes', 'int', '4096', { min: 0 }),
  def('group.initial.rebalance.delay.ms', 'int', '3000', { min: 0 }),
  def('group.min.session.timeout.ms', 'int', '6000', { min: 0 }),
  def('group.max.session.timeout.ms', 'int', '1800000', { min: 0 }),
  def('group.max.size', 'int', String(INT_MAX), { min: 1 }),
  def('transaction.state.log.replication.factor', 'short', '3', { min: 1 }),
  def('transaction.state.log.min.isr', 'int', '2', { min: 1 }),
  def('transaction.state.log.num.partitions', 'int', '50', { min: 1 }),
  def('transaction.max.timeout.ms', 'int', '900000', { min: 1 }),
  def('transactional.id.expiration.ms', 'int', '604800000', { min: 1 }),
  def('transaction.abort.timed.out.transaction.cleanup.interval.ms', 'int', '10000', { min: 1 }),
  def('transaction.remove.expired.transaction.cleanup.interval.ms', 'int', '3600000', { min: 1 }),
  def('share.coordinator.state.topic.replication.factor', 'short', '3', { min: 1 }),
  def('share.coordinator.state.topic.min.isr', 'int', '2', { min: 1 }),
];

const defsByName: ReadonlyMap<string, ConfigDef> = new Map(brokerConfigDefs.map((d) => [d.name, d]));

export function brokerConfigDef(name: string): ConfigDef | undefined {
  return defsByName.get(name);
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    readonly key: string,
    message: string,
  ) {
    super(message);
  }
}

/** One parsed listener, e.g. `PLAINTEXT://localhost:9092`. */
export interface ListenerSpec {
  readonly name: string;
  /** '' means every interface (and, when advertised, the local host name). */
  readonly host: string;
  readonly port: number;
  readonly securityProtocol: string;
}

/** The typed view the broker uses; `raw` keeps every key as given plus defaults. */
export interface BrokerConfig {
  readonly raw: ReadonlyMap<string, string>;
  /** Keys set explicitly (from a file, overrides or options). */
  readonly explicit: ReadonlySet<string>;
  readonly processRoles: readonly string[];
  readonly nodeId: number;
  readonly listeners: readonly ListenerSpec[];
  readonly advertisedListeners: readonly ListenerSpec[];
  readonly controllerListenerNames: readonly string[];
  readonly logDirs: readonly string[];
  readonly metadataLogDir: string;
  readonly numPartitions: number;
  readonly defaultReplicationFactor: number;
  readonly autoCreateTopicsEnable: boolean;
  readonly deleteTopicEnable: boolean;
  readonly messageMaxBytes: number;
  readonly fetchMaxBytes: number;
  readonly socketRequestMaxBytes: number;
  readonly queuedMaxRequests: number;
  readonly connectionsMaxIdleMs: number;
  readonly maxConnections: number;
  readonly logSegmentBytes: number;
  readonly logRetentionMs: number;
  readonly logMessageTimestampType: 'CreateTime' | 'LogAppendTime';
  readonly compressionType: string;
}

export interface ParsedConfig {
  config: BrokerConfig;
  warnings: string[];
}

function parseValue(d: ConfigDef, text: string): number | boolean | string {
  const trimmed = text.trim();
  switch (d.type) {
    case 'int':
    case 'short':
    case 'long': {
      if (!/^-?\d+$/.test(trimmed)) throw new ConfigError(d.name, `Invalid value ${text} for configuration ${d.name}: Not a number of type ${d.type.toUpperCase()}`);
      const value = d.type === 'long' && trimmed === LONG_MAX_TEXT ? Number.POSITIVE_INFINITY : Number(trimmed);
      const limit = d.type === 'int' ? INT_MAX : d.type === 'short' ? 32767 : Number.POSITIVE_INFINITY;
      if (Number.isFinite(value) && Math.abs(value) > limit) {
        throw new ConfigError(d.name, `Invalid value ${text} for configuration ${d.name}: Not a number of type ${d.type.toUpperCase()}`);
      }
      if (d.min !== undefined && value < d.min) throw new ConfigError(d.name, `Invalid value ${text} for configuration ${d.name}: Value must be at least ${d.min}`);
      if (d.max !== undefined && value > d.max) throw new ConfigError(d.name, `Invalid value ${text} for configuration ${d.name}: Value must be no more than ${d.max}`);
      return value;
    }
    case 'double': {
      const value = Number(trimmed);
      if (trimmed === '' || !Number.isFinite(value)) throw new ConfigError(d.name, `Invalid value ${text} for configuration ${d.name}: Not a number of type DOUBLE`);
      if (d.min !== undefined && value < d.min) throw new ConfigError(d.name, `Invalid value ${text} for configuration ${d.name}: Value must be at least ${d.min}`);
      if (d.max !== undefined && value > d.max) throw new ConfigError(d.name, `Invalid value ${text} for configuration ${d.name}: Value must be no more than ${d.max}`);
      return value;
    }
    case 'boolean': {
      const lower = trimmed.toLowerCase();
      if (lower !== 'true' && lower !== 'false') throw new ConfigError(d.name, `Invalid value ${text} for configuration ${d.name}: Expected value to be either true or false`);
      return lower === 'true';
    }
    default:
      if (d.oneOf !== undefined && !d.oneOf.includes(trimmed)) {
        throw new ConfigError(d.name, `Invalid value ${text} for configuration ${d.name}: String must be one of: ${d.oneOf.join(', ')}`);
      }
      return trimmed;
  }
}

function splitList(text: string | undefined): string[] {
  if (text === undefined) return [];
  return text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

function parseListeners(key: string, text: string | undefined, protocolMap: ReadonlyMap<string, string>): ListenerSpec[] {
  const specs: ListenerSpec[] = [];
  const seen = new Set<string>();
  for (const item of splitList(text)) {
    const m = /^([A-Za-z0-9_]+):\/\/(\[[^\]]*\]|[^:]*):(\d+)$/.exec(item);
    if (m === null) throw new ConfigError(key, `Invalid value ${item} for configuration ${key}: expected NAME://host:port`);
    const name = m[1]!.toUpperCase();
    const port = Number(m[3]);
    if (port > 65535) throw new ConfigError(key, `Invalid value ${item} for configuration ${key}: port out of range`);
    if (seen.has(name)) throw new ConfigError(key, `Invalid value ${text} for configuration ${key}: listener name ${name} is used twice`);
    seen.add(name);
    const securityProtocol = protocolMap.get(name);
    if (securityProtocol === undefined) {
      throw new ConfigError(key, `Invalid value ${item} for configuration ${key}: no security protocol for listener ${name} in listener.security.protocol.map`);
    }
    specs.push({ name, host: m[2]!.replace(/^\[|\]$/g, ''), port, securityProtocol });
  }
  return specs;
}

function parseProtocolMap(text: string | undefined): Map<string, string> {
  const map = new Map<string, string>();
  for (const item of splitList(text)) {
    const at = item.indexOf(':');
    if (at <= 0) throw new ConfigError('listener.security.protocol.map', `Invalid value ${item} for configuration listener.security.protocol.map: expected NAME:PROTOCOL`);
    const protocol = item.slice(at + 1).trim().toUpperCase();
    if (!['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'].includes(protocol)) {
      throw new ConfigError('listener.security.protocol.map', `Invalid value ${item} for configuration listener.security.protocol.map: unknown security protocol ${protocol}`);
    }
    map.set(item.slice(0, at).trim().toUpperCase(), protocol);
  }
  return map;
}

/**
 * Builds the broker config from string properties. Throws ConfigError (its
 * message is the one line to print) on the first invalid value.
 */
export function parseBrokerConfig(props: Readonly<Record<string, string>>): ParsedConfig {
  const warnings: string[] = [];
  const raw = new Map<string, string>();
  const values = new Map<string, number | boolean | string>();
  for (const d of brokerConfigDefs) {
    if (d.defaultText !== null) raw.set(d.name, d.defaultText);
  }
  const explicit = new Set<string>();
  for (const [key, text] of Object.entries(props)) {
    const d = defsByName.get(key);
    if (d === undefined) {
      warnings.push(`The configuration '${key}' was supplied but isn't a known config.`);
    } else {
      values.set(key, parseValue(d, text));
    }
    raw.set(key, text.trim());
    explicit.add(key);
  }
  const get = <T extends number | boolean | string>(key: string): T => {
    if (values.has(key)) return values.get(key) as T;
    const d = defsByName.get(key)!;
    return parseValue(d, d.defaultText ?? '') as T;
  };
  const has = (key: string): boolean => values.has(key);

  const protocolMap = parseProtocolMap(raw.get('listener.security.protocol.map'));
  const listeners = parseListeners('listeners', raw.get('listeners'), protocolMap);
  const advertisedText = has('advertised.listeners') ? raw.get('advertised.listeners') : undefined;
  const controllerListenerNames = splitList(raw.get('controller.listener.names')).map((n) => n.toUpperCase());
  const advertisedListeners =
    advertisedText !== undefined
      ? parseListeners('advertised.listeners', advertisedText, protocolMap)
      : listeners.filter((l) => !controllerListenerNames.includes(l.name));
  for (const name of controllerListenerNames) {
    if (advertisedText !== undefined && advertisedListeners.some((l) => l.name === name)) {
      throw new ConfigError('advertised.listeners', `Invalid value ${advertisedText} for configuration advertised.listeners: the controller listener ${name} may not be advertised`);
    }
  }

  const processRoles = splitList(raw.get('process.roles'));
  for (const role of processRoles) {
    if (role !== 'broker' && role !== 'controller') {
      throw new ConfigError('process.roles', `Invalid value ${raw.get('process.roles')} for configuration process.roles: unknown role ${role}`);
    }
  }
  let nodeId = get<number>('node.id');
  if (nodeId < 0 && has('broker.id')) nodeId = get<number>('broker.id');

  const logDirs = has('log.dirs') ? splitList(raw.get('log.dirs')) : [get<string>('log.dir')];
  if (logDirs.length === 0) throw new ConfigError('log.dirs', 'Invalid value for configuration log.dirs: at least one directory is required');
  const metadataLogDir = has('metadata.log.dir') ? get<string>('metadata.log.dir') : logDirs[0]!;

  // Retention: ms wins over minutes, minutes over hours (Kafka's precedence).
  let logRetentionMs: number;
  if (has('log.retention.ms')) logRetentionMs = get<number>('log.retention.ms');
  else if (has('log.retention.minutes')) logRetentionMs = get<number>('log.retention.minutes') * 60_000;
  else logRetentionMs = get<number>('log.retention.hours') * 3_600_000;

  const config: BrokerConfig = Object.freeze({
    raw,
    explicit,
    processRoles,
    nodeId,
    listeners,
    advertisedListeners,
    controllerListenerNames,
    logDirs,
    metadataLogDir,
    numPartitions: get<number>('num.partitions'),
    defaultReplicationFactor: get<number>('default.replication.factor'),
    autoCreateTopicsEnable: get<boolean>('auto.create.topics.enable'),
    deleteTopicEnable: get<boolean>('delete.topic.enable'),
    messageMaxBytes: get<number>('message.max.bytes'),
    fetchMaxBytes: get<number>('fetch.max.bytes'),
    socketRequestMaxBytes: get<number>('socket.request.max.bytes'),
    queuedMaxRequests: get<number>('queued.max.requests'),
    connectionsMaxIdleMs: get<number>('connections.max.idle.ms'),
    maxConnections: get<number>('max.connections'),
    logSegmentBytes: get<number>('log.segment.bytes'),
    logRetentionMs,
    logMessageTimestampType: get<'CreateTime' | 'LogAppendTime'>('log.message.timestamp.type'),
    compressionType: get<string>('compression.type'),
  });
  return { config, warnings };
}

/** Reads Java-properties text (server.properties). */
export function parsePropertiesText(text: string): Record<string, string> {
  return parseProperties(Buffer.from(text, 'utf8'));
}

/** `key=value` from `--override`; throws ConfigError on a malformed one. */
export function parseOverride(text: string): [string, string] {
  const at = text.indexOf('=');
  if (at <= 0) throw new ConfigError(text, `Invalid override '${text}': expected key=value`);
  return [text.slice(0, at).trim(), text.slice(at + 1)];
}

/**
 * Broker configs that can change while the broker runs (AlterConfigs and
 * IncrementalAlterConfigs on a broker resource), as Kafka's dynamic broker
 * configs: the broker-wide defaults of topic configs (the first synonym of
 * each), thread pools, the cleaner and connection limits. Samsa applies the
 * topic defaults to live logs and to request checks at once; the rest are
 * accepted and reported. Listeners are not dynamic in Samsa.
 */
export const dynamicBrokerConfigNames: ReadonlySet<string> = new Set([
  'log.segment.bytes',
  'log.roll.ms',
  'log.roll.jitter.ms',
  'log.index.size.max.bytes',
  'log.flush.interval.messages',
  'log.flush.interval.ms',
  'log.retention.bytes',
  'log.retention.ms',
  'message.max.bytes',
  'log.index.interval.bytes',
  'log.cleaner.delete.retention.ms',
  'log.cleaner.min.compaction.lag.ms',
  'log.cleaner.max.compaction.lag.ms',
  'log.segment.delete.delay.ms',
  'log.cleaner.min.cleanable.ratio',
  'log.cleanup.policy',
  'unclean.leader.election.enable',
  'min.insync.replicas',
  'compression.type',
  'log.preallocate',
  'log.message.timestamp.type',
  'log.message.timestamp.before.max.ms',
  'log.message.timestamp.after.max.ms',
  'log.message.timestamp.difference.max.ms',
  'log.message.downconversion.enable',
  'num.io.threads',
  'num.network.threads',
  'num.replica.fetchers',
  'num.recovery.threads.per.data.dir',
  'background.threads',
  'log.cleaner.threads',
  'log.cleaner.dedupe.buffer.size',
  'log.cleaner.io.buffer.size',
  'log.cleaner.io.buffer.load.factor',
  'log.cleaner.io.max.bytes.per.second',
  'log.cleaner.backoff.ms',
  'max.connections',
  'max.connections.per.ip',
  'max.connections.per.ip.overrides',
  'max.connection.creation.rate',
  'producer.id.expiration.ms',
]);

/** The explicitly set keys of `config` (file, overrides, options) with their text. */
export function staticBrokerProps(config: BrokerConfig): Map<string, string> {
  const out = new Map<string, string>();
  for (const key of config.explicit) {
    const value = config.raw.get(key);
    if (value !== undefined) out.set(key, value);
  }
  return out;
}
