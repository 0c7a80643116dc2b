/**
 * kafka-configs.sh: describe and alter configs of topics, brokers, broker
 * defaults, broker loggers, groups and client-metrics resources, with
 * Kafka's flags (--entity-type/--entity-name/--entity-default and the
 * --topic/--broker/--broker-defaults/--broker-logger/--group shortcuts,
 * --add-config k=v,k2=[a,b], --add-config-file, --delete-config, --all).
 *
 * Describe prints Kafka's lines:
 *   "Dynamic configs for topic orders are:" (or "All configs for ...")
 *   "  retention.ms=1000 sensitive=false synonyms={DYNAMIC_TOPIC_CONFIG:retention.ms=1000}"
 * Alter prints "Completed updating config for topic orders." and uses
 * IncrementalAlterConfigs. Quota entities (users, clients, ips) are not
 * served by Samsa yet and say so.
 */
import { Admin, type ConfigEntry, type ConfigResourceTypeName, type ConfigSourceName } from '../../client/admin.js';
import {
  ToolError,
  UsageError,
  clientOptions,
  collect,
  createProgram,
  flag,
  list,
  loadPropertiesFile,
  parseProgram,
  runTool,
  str,
  writeOut,
} from './lib/common.js';

const SOURCE_NAMES: Record<ConfigSourceName, string> = {
  unknown: 'UNKNOWN',
  dynamicTopic: 'DYNAMIC_TOPIC_CONFIG',
  dynamicBroker: 'DYNAMIC_BROKER_CONFIG',
  dynamicDefaultBroker: 'DYNAMIC_DEFAULT_BROKER_CONFIG',
  staticBroker: 'STATIC_BROKER_CONFIG',
  default: 'DEFAULT_CONFIG',
  dynamicBrokerLogger: 'DYNAMIC_BROKER_LOGGER_CONFIG',
  clientMetrics: 'DYNAMIC_CLIENT_METRICS_CONFIG',
  group: 'DYNAMIC_GROUP_CONFIG',
};

interface EntityType {
  /** Kafka's --entity-type value. */
  plural: string;
  /** The word in messages ("topic", "broker"). */
  singular: string;
  resource: ConfigResourceTypeName;
}

const ENTITY_TYPES: EntityType[] = [
  { plural: 'topics', singular: 'topic', resource: 'topic' },
  { plural: 'brokers', singular: 'broker', resource: 'broker' },
  { plural: 'broker-loggers', singular: 'broker-logger', resource: 'brokerLogger' },
  { plural: 'groups', singular: 'group', resource: 'group' },
  { plural: 'client-metrics', singular: 'client-metric', resource: 'clientMetrics' },
];
const QUOTA_TYPES = new Set(['users', 'clients', 'ips']);

/** Splits "k1=v1,k2=[a,b],k3=v3" on commas outside square brackets. */
export function parseAddConfig(text: string): Map<string, string> {
  const out = new Map<string, string>();
  const pairs: string[] = [];
  let depth = 0;
  let current = '';
  for (const c of text) {
    if (c === '[') depth++;
    if (c === ']') depth = Math.max(0, depth - 1);
    if (c === ',' && depth === 0) {
      pairs.push(current);
      current = '';
      continue;
    }
    current += c;
  }
  if (current !== '') pairs.push(current);
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    if (at <= 0) {
      throw new UsageError(`Invalid entity config: all configs to be added must be in the format "key=val" or "key=[val1,val2]", got '${pair}'`);
    }
    let value = pair.slice(at + 1).trim();
    if (value.startsWith('[') && value.endsWith(']')) value = value.slice(1, -1);
    out.set(pair.slice(0, at).trim(), value);
  }
  return out;
}

function entryLine(e: ConfigEntry): string {
  const value = e.isSensitive ? 'null' : e.value ?? 'null';
  const synonyms = e.synonyms.map((s) => `${SOURCE_NAMES[s.source]}:${s.name}=${e.isSensitive ? 'null' : s.value ?? 'null'}`).join(', ');
  return `  ${e.name}=${value} sensitive=${e.isSensitive} synonyms={${synonyms}}`;
}

export async function main(argv: string[]): Promise<number> {
  const program = createProgram('kafka-configs.sh', 'This tool helps to manipulate and describe entity config for a topic, client, user, broker, ip, client-metrics or group')
    .option('--bootstrap-server <server to connect to>', 'The Kafka servers to connect to.')
    .option('--command-config <command config property file>', 'Property file containing configs to be passed to Admin Client.')
    .option('--describe', 'List configs for the given entity.')
    .option('--alter', 'Alter the configuration for the entity.')
    .option('--all', 'List all configs for the given entity, including static configs and defaults.')
    .option('--entity-type <entity-type>', 'Type of entity (topics/brokers/broker-loggers/groups/client-metrics).')
    .option('--entity-name <entity-name>', 'Name of entity (topic name/broker id/group id/client-metrics name).')
    .option('--entity-default', 'Default entity name for brokers (applies to the cluster-wide default config).')
    .option('--topic <topic>', 'The topic\'s name. Same as --entity-type topics --entity-name <topic>.')
    .option('--broker <broker-id>', 'The broker\'s ID. Same as --entity-type brokers --entity-name <broker-id>.')
    .option('--broker-defaults', 'The config defaults for all brokers. Same as --entity-type brokers --entity-default.')
    .option('--broker-logger <broker-id>', 'The broker\'s ID for its logger config. Same as --entity-type broker-loggers --entity-name <broker-id>.')
    .option('--group <group>', 'The group\'s ID. Same as --entity-type groups --entity-name <group>.')
    .option('--client-metrics <client-metrics>', 'The client metrics config resource name.')
    .option('--user <user-principal>', 'Quota entities are not supported by Samsa yet.')
    .option('--client <client-id>', 'Quota entities are not supported by Samsa yet.')
    .option('--ip <ip>', 'Quota entities are not supported by Samsa yet.')
    .option('--add-config <k1=v1,k2=[v1,v2,v2],k3=v3>', 'Key Value pairs of configs to add. Square brackets can be used to group values which contain commas.')
    .option('--add-config-file <file>', 'Path to a properties file with configs to add.')
    .option('--delete-config <config>', 'Config keys to remove, comma separated: \'k1,k2\'.', collect)
    .option('--force', 'Accepted for compatibility; ignored.');
  const opts = parseProgram(program, argv);

  const actions = ['describe', 'alter'].filter((a) => flag(opts, a));
  if (actions.length !== 1) throw new UsageError('Command must include exactly one action: --describe, --alter');
  const bootstrap = str(opts, 'bootstrapServer');
  if (bootstrap === undefined) throw new UsageError('Missing required argument "[bootstrap-server]"');

  // Resolve the entity: the shortcuts or --entity-type/--entity-name/--entity-default.
  let typeName = str(opts, 'entityType');
  let name: string | undefined = str(opts, 'entityName');
  let isDefault = flag(opts, 'entityDefault');
  const shortcuts: Array<[string, string, string | true | undefined]> = [
    ['topics', 'topic', str(opts, 'topic')],
    ['brokers', 'broker', str(opts, 'broker')],
    ['brokers', 'broker-defaults', flag(opts, 'brokerDefaults') ? true : undefined],
    ['broker-loggers', 'broker-logger', str(opts, 'brokerLogger')],
    ['groups', 'group', str(opts, 'group')],
    ['client-metrics', 'client-metrics', str(opts, 'clientMetrics')],
    ['users', 'user', str(opts, 'user')],
    ['clients', 'client', str(opts, 'client')],
    ['ips', 'ip', str(opts, 'ip')],
  ];
  const given = shortcuts.filter(([, , v]) => v !== undefined);
  if (given.length > 1 || (given.length === 1 && typeName !== undefined)) {
    throw new UsageError('Only one entity type may be specified: use --entity-type, or one of --topic, --broker, --broker-defaults, --broker-logger, --group, --client-metrics');
  }
  if (given.length === 1) {
    const [plural, , v] = given[0]!;
    typeName = plural;
    if (v === true) isDefault = true;
    else name = v;
  }
  if (typeName === undefined) throw new UsageError('Missing required argument "[entity-type]"');
  if (QUOTA_TYPES.has(typeName)) throw new ToolError(`Quota configs (entity type ${typeName}) are not supported by Samsa yet`);
  const type = ENTITY_TYPES.find((t) => t.plural === typeName || t.singular === typeName);
  if (type === undefined) {
    throw new UsageError(`Invalid entity type ${typeName}, the entity type must be one of topics, brokers, broker-loggers, groups, client-metrics`);
  }
  if (isDefault && type.resource !== 'broker') throw new UsageError(`--entity-default is only supported for brokers, not ${type.plural}`);
  if (name !== undefined && isDefault) throw new UsageError('--entity-name and --entity-default cannot be used together');
  if (type.resource === 'broker' || type.resource === 'brokerLogger') {
    if (name !== undefined && !/^\d+$/.test(name)) {
      throw new UsageError(`The entity name for ${type.plural} must be a valid integer broker id, but it is: ${name}`);
    }
  }

  const commandConfig = str(opts, 'commandConfig');
  const props = commandConfig === undefined ? new Map<string, string>() : loadPropertiesFile(commandConfig);
  const admin = new Admin(clientOptions(bootstrap, props, 'adminclient-1'));
  try {
    if (actions[0] === 'alter') {
      if (name === undefined && !isDefault) throw new UsageError(`An entity name must be specified with --alter of ${type.plural}`);
      await alter(admin, opts, type, isDefault ? '' : name!);
    } else {
      await describe(admin, type, name, isDefault, flag(opts, 'all'));
    }
  } finally {
    await admin.close();
  }
  return 0;
}

async function alter(admin: Admin, opts: Record<string, unknown>, type: EntityType, name: string): Promise<void> {
  const toAdd = new Map<string, string>();
  const file = str(opts, 'addConfigFile');
  if (file !== undefined) for (const [k, v] of loadPropertiesFile(file)) toAdd.set(k, v);
  const addText = str(opts, 'addConfig');
  if (addText !== undefined) for (const [k, v] of parseAddConfig(addText)) toAdd.set(k, v);
  const toDelete = list(opts, 'deleteConfig')
    .flatMap((s) => s.split(','))
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (toAdd.size === 0 && toDelete.length === 0) throw new UsageError('At least one of --add-config, --add-config-file or --delete-config must be specified with --alter');
  const both = toDelete.filter((k) => toAdd.has(k));
  if (both.length > 0) throw new UsageError(`Invalid config(s): ${both.join(',')} are both added and deleted`);
  if (type.resource === 'topic') {
    const topics = await admin.listTopics({ includeInternal: true });
    if (!topics.includes(name)) throw new ToolError(`Error while executing config command : Topic '${name}' does not exist.`);
  }
  await admin.incrementalAlterConfigs([
    {
      type: type.resource,
      name,
      changes: [
        ...[...toAdd].map(([k, v]) => ({ name: k, op: 'set' as const, value: v })),
        ...toDelete.map((k) => ({ name: k, op: 'delete' as const })),
      ],
    },
  ]);
  await writeOut(name === '' ? `Completed updating default config for ${type.plural} in the cluster.\n` : `Completed updating config for ${type.singular} ${name}.\n`);
}

async function describe(admin: Admin, type: EntityType, name: string | undefined, isDefault: boolean, all: boolean): Promise<void> {
  let names: string[];
  if (isDefault) names = [''];
  else if (name !== undefined) names = [name];
  else if (type.resource === 'topic') names = await admin.listTopics({ includeInternal: true });
  else if (type.resource === 'broker') names = [...(await admin.describeCluster()).brokers.map((b) => String(b.nodeId)), ''];
  else if (type.resource === 'brokerLogger') names = (await admin.describeCluster()).brokers.map((b) => String(b.nodeId));
  else if (type.resource === 'group') names = (await admin.listGroups()).map((g) => g.groupId);
  else throw new UsageError(`An entity name must be specified with --describe of ${type.plural}`);

  const out: string[] = [];
  for (const n of names) {
    if (type.resource === 'topic' && name !== undefined) {
      const topics = await admin.listTopics({ includeInternal: true });
      if (!topics.includes(n)) throw new ToolError(`The topic '${n}' doesn't exist and doesn't have dynamic config.`);
    }
    if (type.resource === 'broker' && n !== '' && name !== undefined) {
      const ids = (await admin.describeCluster()).brokers.map((b) => String(b.nodeId));
      if (!ids.includes(n)) throw new ToolError(`The broker '${n}' doesn't exist and doesn't have dynamic config.`);
    }
    const [result] = await admin.describeConfigs([{ type: type.resource, name: n }], { includeSynonyms: true });
    const wanted = (e: ConfigEntry): boolean => {
      if (all) return true;
      switch (type.resource) {
        case 'topic':
          return e.source === 'dynamicTopic';
        case 'broker':
          return e.source === (n === '' ? 'dynamicDefaultBroker' : 'dynamicBroker');
        case 'brokerLogger':
          return e.source === 'dynamicBrokerLogger';
        case 'group':
          return e.source === 'group';
        default:
          return e.source === 'clientMetrics';
      }
    };
    const entries = (result?.entries ?? []).filter(wanted).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const header =
      n === ''
        ? `Default configs for ${type.plural} in the cluster are:`
        : `${all ? 'All' : 'Dynamic'} configs for ${type.singular} ${n} are:`;
    out.push(header, ...entries.map(entryLine));
  }
  if (out.length > 0) await writeOut(`${out.join('\n')}\n`);
}

runTool(main, { errorPrefix: 'Error while executing config command : ' });
