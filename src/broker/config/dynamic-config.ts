/**
 * Configs as DescribeConfigs reports them and AlterConfigs changes them.
 *
 * A broker config value comes from one of four layers, highest first: a
 * dynamic value for this broker (a ConfigRecord for resource "<node.id>"), a
 * dynamic cluster-wide default (resource ""), the static config (file,
 * `--override`, `Broker.start` options) and Kafka's default. A topic config
 * adds its own dynamic value on top and otherwise takes the broker value of
 * its synonyms (retention.ms <- log.retention.ms, log.retention.minutes,
 * log.retention.hours).
 *
 * The *effective* broker config is the static one with both dynamic layers
 * applied; the broker swaps it in whenever a committed batch changes broker
 * configs, so request checks and live logs follow at once.
 *
 * Synonym lists follow Kafka's rules exactly, including one quirk: the list
 * for a config starts at the first entry under that config's own name, so
 * retention.ms shows log.retention.hours only once log.retention.ms is set
 * somewhere.
 */
import type { KafkaErrorName } from '../../protocol/errors/index.js';
import type { MetadataImage, TopicImage } from '../../metadata/image.js';
import { topicNameProblem } from '../../metadata/controller.js';
import {
  brokerConfigDef,
  brokerConfigDefs,
  ConfigError,
  dynamicBrokerConfigNames,
  parseBrokerConfig,
  staticBrokerProps,
  type BrokerConfig,
  type ConfigType,
} from './broker-config.js';
import { ConfigSource, topicConfigDef, topicConfigDefs, validateTopicConfigs } from './topic-config.js';

/** ConfigResource.Type ids on the wire. */
export const ConfigResourceTypeId = { unknown: 0, topic: 2, broker: 4, brokerLogger: 8, clientMetrics: 16, group: 32 } as const;

/** DescribeConfigs' configType ids. */
const configTypeIds: Record<ConfigType, number> = {
  boolean: 1,
  string: 2,
  int: 3,
  short: 4,
  long: 5,
  double: 6,
  list: 7,
  class: 8,
  password: 9,
};
const CONFIG_TYPE_UNKNOWN = 0;

export interface DescribedSynonym {
  name: string;
  value: string | null;
  source: number;
}

export interface DescribedConfig {
  name: string;
  value: string | null;
  source: number;
  readOnly: boolean;
  isSensitive: boolean;
  synonyms: DescribedSynonym[];
  configType: number;
}

/** Effective configs -> the static config they were built from. */
const staticOf = new WeakMap<BrokerConfig, BrokerConfig>();

function dynamicLayer(image: MetadataImage, resourceName: string): ReadonlyMap<string, string> {
  return image.brokerConfigs.get(resourceName) ?? new Map<string, string>();
}

function mergedProps(staticConfig: BrokerConfig, dynamicDefault: ReadonlyMap<string, string>, dynamicBroker: ReadonlyMap<string, string>): Record<string, string> {
  return { ...Object.fromEntries(staticBrokerProps(staticConfig)), ...Object.fromEntries(dynamicDefault), ...Object.fromEntries(dynamicBroker) };
}

/**
 * The static config with the dynamic broker configs of `image` applied. A
 * stored value that no longer parses is left out, as Kafka skips an invalid
 * dynamic config rather than failing.
 */
export function effectiveBrokerConfig(staticConfig: BrokerConfig, image: MetadataImage): BrokerConfig {
  const base = staticOf.get(staticConfig) ?? staticConfig;
  const dynamicDefault = new Map(dynamicLayer(image, ''));
  const dynamicBroker = new Map(dynamicLayer(image, String(base.nodeId)));
  for (;;) {
    if (dynamicDefault.size === 0 && dynamicBroker.size === 0) return base;
    try {
      const { config } = parseBrokerConfig(mergedProps(base, dynamicDefault, dynamicBroker));
      const effective: BrokerConfig = Object.freeze({ ...config, explicit: base.explicit });
      staticOf.set(effective, base);
      return effective;
    } catch (err) {
      if (!(err instanceof ConfigError) || (!dynamicDefault.delete(err.key) && !dynamicBroker.delete(err.key))) throw err;
    }
  }
}

/** Where each layer's values come from for one describe. */
class Layers {
  readonly staticProps: ReadonlyMap<string, string>;
  readonly dynamicDefault: ReadonlyMap<string, string>;
  readonly dynamicBroker: ReadonlyMap<string, string>;
  readonly defaults: ReadonlyMap<string, string>;

  constructor(
    readonly effective: BrokerConfig,
    image: MetadataImage,
  ) {
    const base = staticOf.get(effective) ?? effective;
    this.staticProps = staticBrokerProps(base);
    this.dynamicDefault = dynamicLayer(image, '');
    this.dynamicBroker = dynamicLayer(image, String(base.nodeId));
    this.defaults = new Map(brokerConfigDefs.filter((d) => d.defaultText !== null).map((d) => [d.name, d.defaultText!]));
  }

  /** Kafka's synonym list for `name` among `names`, highest priority first. */
  synonyms(name: string, names: readonly string[], sensitive: boolean): DescribedSynonym[] {
    const out: DescribedSynonym[] = [];
    const sources: Array<[ReadonlyMap<string, string>, number]> = [
      [this.dynamicBroker, ConfigSource.dynamicBroker],
      [this.dynamicDefault, ConfigSource.dynamicDefaultBroker],
      [this.staticProps, ConfigSource.staticBroker],
      [this.defaults, ConfigSource.default],
    ];
    for (const [map, source] of sources) {
      for (const n of names) {
        const value = map.get(n);
        if (value !== undefined) out.push({ name: n, value: sensitive ? null : value, source });
      }
    }
    const first = out.findIndex((s) => s.name === name);
    return first < 0 ? [] : out.slice(first);
  }
}

/** Broker configs that stand for one another (Kafka's broker synonyms). */
export function brokerSynonymNames(name: string): string[] {
  const groups = [
    ['log.roll.ms', 'log.roll.hours'],
    ['log.roll.jitter.ms', 'log.roll.jitter.hours'],
    ['log.flush.interval.ms', 'log.flush.scheduler.interval.ms'],
    ['log.retention.ms', 'log.retention.minutes', 'log.retention.hours'],
  ];
  return groups.find((g) => g.includes(name)) ?? [name];
}

function isSensitiveType(type: ConfigType | undefined): boolean {
  return type === undefined || type === 'password';
}

/** Every topic config of `topic` with value, source and synonyms. */
export function describeTopicConfigs(effective: BrokerConfig, image: MetadataImage, topicConfigs: ReadonlyMap<string, string>): DescribedConfig[] {
  const layers = new Layers(effective, image);
  return topicConfigDefs.map((d) => {
    const own = topicConfigs.get(d.name);
    const value = own ?? d.defaultValue(effective);
    const synonyms: DescribedSynonym[] = [];
    if (own !== undefined) synonyms.push({ name: d.name, value: own, source: ConfigSource.dynamicTopic });
    if (d.synonym !== undefined) synonyms.push(...layers.synonyms(d.synonym, brokerSynonymNames(d.synonym), false));
    return {
      name: d.name,
      value,
      source: synonyms[0]?.source ?? ConfigSource.default,
      readOnly: false,
      isSensitive: false,
      synonyms,
      configType: configTypeIds[d.type],
    };
  });
}

/**
 * Broker configs: for this broker (`perBroker`) every known config with its
 * effective value; for the cluster default (resource "") only those set
 * dynamically at that level, with only that level's synonyms.
 */
export function describeBrokerConfigs(effective: BrokerConfig, image: MetadataImage, perBroker: boolean): DescribedConfig[] {
  const layers = new Layers(effective, image);
  const names: string[] = [];
  if (perBroker) {
    const seen = new Set<string>();
    for (const d of brokerConfigDefs) {
      names.push(d.name);
      seen.add(d.name);
    }
    for (const key of [...layers.staticProps.keys(), ...layers.dynamicDefault.keys(), ...layers.dynamicBroker.keys()]) {
      if (!seen.has(key)) {
        seen.add(key);
        names.push(key);
      }
    }
  } else {
    names.push(...layers.dynamicDefault.keys());
  }
  return names.map((name) => {
    const type = brokerConfigDef(name)?.type;
    const sensitive = isSensitiveType(type);
    let synonyms = layers.synonyms(name, brokerSynonymNames(name), sensitive);
    if (!perBroker) synonyms = synonyms.filter((s) => s.source === ConfigSource.dynamicDefaultBroker);
    const value = perBroker ? (effective.raw.get(name) ?? null) : (layers.dynamicDefault.get(name) ?? null);
    return {
      name,
      value: sensitive ? null : value,
      source: synonyms[0]?.source ?? ConfigSource.default,
      readOnly: !dynamicBrokerConfigNames.has(name),
      isSensitive: sensitive,
      synonyms,
      configType: type === undefined ? CONFIG_TYPE_UNKNOWN : configTypeIds[type],
    };
  });
}

// ============================================================================
// Changes

/** IncrementalAlterConfigs operation ids. */
export const AlterConfigOp = { set: 0, delete: 1, append: 2, subtract: 3 } as const;

export interface ConfigOperation {
  readonly name: string;
  readonly op: number;
  readonly value: string | null;
}

export type ConfigPlanResult =
  | { ok: true; changes: ReadonlyMap<string, string | null> }
  | { ok: false; error: KafkaErrorName; message: string };

function fail(error: KafkaErrorName, message: string): ConfigPlanResult {
  return { ok: false, error, message };
}

function splitList(text: string): string[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/**
 * Applies `ops` to `current`. Legacy AlterConfigs (`replace`) makes the
 * given set the whole set; IncrementalAlterConfigs edits key by key, with
 * APPEND/SUBTRACT only on list configs, starting from `fallback` (the value
 * in force) when the resource has no value of its own.
 */
function applyOperations(
  current: ReadonlyMap<string, string>,
  ops: readonly ConfigOperation[],
  replace: boolean,
  typeOf: (name: string) => ConfigType | undefined,
  fallback: (name: string) => string | undefined,
): { next: Map<string, string | null> } | { error: KafkaErrorName; message: string } {
  const seen = new Set<string>();
  for (const o of ops) {
    if (seen.has(o.name)) return { error: 'INVALID_REQUEST', message: `Error due to duplicate config keys: ${o.name}` };
    seen.add(o.name);
  }
  const next = new Map<string, string | null>(replace ? [] : current);
  for (const o of ops) {
    switch (replace ? AlterConfigOp.set : o.op) {
      case AlterConfigOp.set:
        next.set(o.name, o.value);
        break;
      case AlterConfigOp.delete:
        next.delete(o.name);
        break;
      case AlterConfigOp.append:
      case AlterConfigOp.subtract: {
        const opName = o.op === AlterConfigOp.append ? 'APPEND' : 'SUBTRACT';
        if (typeOf(o.name) !== 'list') return { error: 'INVALID_CONFIG', message: `Can't ${opName} to key ${o.name} because its type is not LIST.` };
        const parts = splitList(current.get(o.name) ?? fallback(o.name) ?? '');
        for (const item of splitList(o.value ?? '')) {
          if (o.op === AlterConfigOp.append) {
            if (!parts.includes(item)) parts.push(item);
          } else {
            const at = parts.indexOf(item);
            if (at >= 0) parts.splice(at, 1);
          }
        }
        next.set(o.name, parts.join(','));
        break;
      }
      default:
        return { error: 'INVALID_REQUEST', message: `Unknown alter configs operation type ${o.op}` };
    }
  }
  return { next };
}

function diff(current: ReadonlyMap<string, string>, next: ReadonlyMap<string, string | null>): Map<string, string | null> {
  const changes = new Map<string, string | null>();
  for (const [name, value] of next) if (value !== null && current.get(name) !== value) changes.set(name, value);
  for (const name of current.keys()) if (next.get(name) === undefined || next.get(name) === null) changes.set(name, null);
  return changes;
}

/** Plans a change of a topic's configs against `image`; nothing is written. */
export function planTopicConfigChange(
  effective: BrokerConfig,
  image: MetadataImage,
  topicName: string,
  ops: readonly ConfigOperation[],
  replace: boolean,
): ConfigPlanResult {
  if (topicName === '') return fail('INVALID_REQUEST', 'Default topic resources are not allowed.');
  if (topicNameProblem(topicName) !== null) return fail('INVALID_TOPIC_EXCEPTION', topicNameProblem(topicName)!);
  const topic: TopicImage | undefined = image.topic(topicName);
  if (topic === undefined) return fail('UNKNOWN_TOPIC_OR_PARTITION', `The topic '${topicName}' does not exist.`);
  const nulls = ops.filter((o) => o.value === null && (replace || o.op === AlterConfigOp.set)).map((o) => o.name);
  if (nulls.length > 0) return fail('INVALID_CONFIG', `Null value not supported for topic configs: ${nulls.join(',')}`);
  const applied = applyOperations(
    topic.configs,
    ops,
    replace,
    (name) => topicConfigDef(name)?.type,
    (name) => topicConfigDef(name)?.defaultValue(effective),
  );
  if ('error' in applied) return fail(applied.error, applied.message);
  const final = new Map<string, string>();
  for (const [k, v] of applied.next) if (v !== null) final.set(k, v);
  const problem = validateTopicConfigs(final);
  if (problem !== null) return fail('INVALID_CONFIG', problem);
  return { ok: true, changes: diff(topic.configs, applied.next) };
}

/**
 * Plans a change of dynamic broker configs (resource "" for the cluster
 * default, or a broker id). As in Kafka, every problem with a broker config
 * change is INVALID_REQUEST: a static-only config, a value that does not
 * parse, a resource name that is not a broker id.
 */
export function planBrokerConfigChange(
  effective: BrokerConfig,
  image: MetadataImage,
  resourceName: string,
  ops: readonly ConfigOperation[],
  replace: boolean,
): ConfigPlanResult {
  const base = staticOf.get(effective) ?? effective;
  if (resourceName !== '' && !/^-?\d+$/.test(resourceName)) return fail('INVALID_REQUEST', `Broker id must be an integer, but it is: ${resourceName}`);
  const current = dynamicLayer(image, resourceName);
  const applied = applyOperations(
    current,
    ops,
    replace,
    (name) => brokerConfigDef(name)?.type,
    (name) => effective.raw.get(name),
  );
  if ('error' in applied) return fail(applied.error, applied.message);
  const changes = diff(current, applied.next);
  const setNames = [...changes].filter(([, v]) => v !== null).map(([k]) => k);
  const staticOnly = setNames.filter((name) => brokerConfigDef(name) !== undefined && !dynamicBrokerConfigNames.has(name));
  if (staticOnly.length > 0) return fail('INVALID_REQUEST', `Cannot update these configs dynamically: Set(${staticOnly.join(', ')})`);
  const isThisBroker = resourceName === '' || Number(resourceName) === base.nodeId;
  if (isThisBroker) {
    const nextLayer = new Map<string, string>();
    for (const [k, v] of applied.next) if (v !== null) nextLayer.set(k, v);
    const dynamicDefault = resourceName === '' ? nextLayer : dynamicLayer(image, '');
    const dynamicBroker = resourceName === '' ? dynamicLayer(image, String(base.nodeId)) : nextLayer;
    try {
      parseBrokerConfig(mergedProps(base, dynamicDefault, dynamicBroker));
    } catch (err) {
      if (err instanceof ConfigError) return fail('INVALID_REQUEST', err.message);
      throw err;
    }
  }
  return { ok: true, changes };
}
