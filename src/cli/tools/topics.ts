/**
 * kafka-topics.sh: create, list, describe, alter (partition count) and delete
 * topics, with Kafka's flags, output lines and exit codes.
 *
 *   --describe prints one summary line per topic
 *     "Topic: t\tTopicId: id\tPartitionCount: n\tReplicationFactor: r\tConfigs: k=v,..."
 *   then one line per partition
 *     "\tTopic: t\tPartition: p\tLeader: l\tReplicas: a,b\tIsr: a,b\tElr: N/A\tLastKnownElr: N/A"
 *   (Elr is N/A because the tool reads partitions through Metadata, as Kafka's
 *   own tool does against a broker without DescribeTopicPartitions).
 *
 * --topic is Kafka's include list (a regex, commas for "or") for --list,
 * --describe, --alter and --delete.
 */
import { Admin, type NewTopic, type TopicDescription } from '../../client/admin.js';
import type { ConfigEntry } from '../../client/admin.js';
import { KafkaProtocolError } from '../../client/errors.js';
import {
  UsageError,
  clientOptions,
  collect,
  createProgram,
  flag,
  int,
  list,
  loadPropertiesFile,
  parseProgram,
  runTool,
  str,
  writeOut,
} from './lib/common.js';
import { INTERNAL_TOPICS, describeConfigsOrNull, includeListPattern, isDefaultConfig } from './lib/admin-helpers.js';

const SHORT_MAX = 32767;

export async function main(argv: string[]): Promise<number> {
  const program = createProgram('kafka-topics.sh', 'Create, delete, describe, or change a topic.')
    .option('--bootstrap-server <server to connect to>', 'REQUIRED: The Kafka server to connect to.')
    .option('--command-config <command config property file>', 'Property file containing configs to be passed to Admin Client.')
    .option('--list', 'List all available topics.')
    .option('--create', 'Create a new topic.')
    .option('--delete', 'Delete a topic.')
    .option('--alter', 'Alter the number of partitions of the topic.')
    .option('--describe', 'List details for the given topics.')
    .option('--topic <topic>', 'The topic to create, alter, describe or delete. A regex for everything but --create.')
    .option('--topic-id <topic-id>', 'The topic-id to describe.')
    .option('--partitions <# of partitions>', 'The number of partitions for the topic being created or altered.')
    .option('--replication-factor <replication factor>', 'The replication factor for each partition in the topic being created.')
    .option('--replica-assignment <broker_id_for_part1_replica1 : broker_id_for_part1_replica2 , ...>', 'A list of manual partition-to-broker assignments.')
    .option('--config <name=value>', 'A topic configuration override for the topic being created.', collect)
    .option('--if-exists', 'If set when altering, deleting or describing topics, the action only runs if the topic exists.')
    .option('--if-not-exists', 'If set when creating topics, the action only runs if the topic does not already exist.')
    .option('--under-replicated-partitions', 'If set when describing topics, only show under-replicated partitions.')
    .option('--unavailable-partitions', 'If set when describing topics, only show partitions whose leader is not available.')
    .option('--under-min-isr-partitions', 'If set when describing topics, only show partitions whose isr count is less than min.insync.replicas.')
    .option('--at-min-isr-partitions', 'If set when describing topics, only show partitions whose isr count is equal to min.insync.replicas.')
    .option('--topics-with-overrides', 'If set when describing topics, only show topics that have overridden configs.')
    .option('--exclude-internal', 'Exclude internal topics when running list or describe command.')
    .option('--partition-size-limit-per-response <maximum number of partitions in one response>', 'Accepted for compatibility; ignored.');
  const opts = parseProgram(program, argv);

  const actions = ['list', 'describe', 'create', 'alter', 'delete'].filter((a) => flag(opts, a));
  if (actions.length !== 1) throw new UsageError('Command must include exactly one action: --list, --describe, --create, --alter or --delete');
  const action = actions[0]!;
  const bootstrap = str(opts, 'bootstrapServer');
  if (bootstrap === undefined) throw new UsageError('Missing required argument "[bootstrap-server]"');
  const topic = str(opts, 'topic');
  if ((action === 'create' || action === 'alter' || action === 'delete') && topic === undefined) {
    throw new UsageError('Missing required argument "[topic]"');
  }
  if (flag(opts, 'ifNotExists') && action !== 'create') throw new UsageError('Option "[if-not-exists]" can\'t be used with option "[' + action + ']"');
  if (flag(opts, 'ifExists') && action === 'create') throw new UsageError('Option "[if-exists]" can\'t be used with option "[create]"');
  if (action !== 'create' && action !== 'alter' && (str(opts, 'partitions') !== undefined || str(opts, 'replicaAssignment') !== undefined)) {
    throw new UsageError(`Option "[${str(opts, 'partitions') !== undefined ? 'partitions' : 'replica-assignment'}]" can't be used with option "[${action}]"`);
  }
  if (action !== 'create' && str(opts, 'replicationFactor') !== undefined) {
    throw new UsageError(`Option "[replication-factor]" can't be used with option "[${action}]"`);
  }
  if (action !== 'create' && list(opts, 'config').length > 0) {
    throw new UsageError(`Option "[config]" can't be used with option "[${action}]"`);
  }

  const commandConfig = str(opts, 'commandConfig');
  const props = commandConfig === undefined ? new Map<string, string>() : loadPropertiesFile(commandConfig);
  const admin = new Admin(clientOptions(bootstrap, props, 'adminclient-1'));
  try {
    switch (action) {
      case 'create':
        await createTopic(admin, opts, topic!);
        break;
      case 'list':
        await writeOut(`${(await matchingTopics(admin, topic, flag(opts, 'excludeInternal'))).join('\n')}\n`);
        break;
      case 'describe':
        await describeTopics(admin, opts, topic);
        break;
      case 'alter':
        await alterTopics(admin, opts, topic!);
        break;
      case 'delete':
        await deleteTopics(admin, opts, topic!);
        break;
    }
  } finally {
    await admin.close();
  }
  return 0;
}

function parseTopicConfigs(items: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of items) {
    // Kafka splits on "=" with surrounding spaces and wants exactly two non-empty parts.
    const parts = item.split(/\s*=\s*/);
    while (parts.length > 0 && parts[parts.length - 1] === '') parts.pop();
    if (parts.length !== 2) throw new UsageError('requirement failed: Invalid topic config: all configs to be added must be in the format "key=val".');
    out[parts[0]!.trim()] = parts[1]!.trim();
  }
  return out;
}

function parseReplicaAssignment(text: string): number[][] {
  const partitions = text.split(',').map((p) =>
    p.split(':').map((b) => {
      const n = Number(b.trim());
      if (b.trim() === '' || !Number.isInteger(n)) throw new UsageError(`For input string: "${b.trim()}"`);
      return n;
    }),
  );
  partitions.forEach((brokers, i) => {
    const dups = brokers.filter((b, j) => brokers.indexOf(b) !== j);
    if (dups.length > 0) throw new UsageError(`Partition replica lists may not contain duplicate entries: ${[...new Set(dups)].join(',')}`);
    if (brokers.length !== partitions[0]!.length) throw new UsageError(`Partition ${i} has different replication factor: [${brokers.join(', ')}]`);
  });
  return partitions;
}

async function createTopic(admin: Admin, opts: Record<string, unknown>, name: string): Promise<void> {
  const partitions = int(opts, 'partitions', 'partitions');
  const replicationFactor = int(opts, 'replicationFactor', 'replication-factor');
  const assignmentText = str(opts, 'replicaAssignment');
  if (assignmentText !== undefined && (partitions !== undefined || replicationFactor !== undefined)) {
    throw new UsageError(`Option "[replica-assignment]" can't be used with option "[${partitions !== undefined ? 'partitions' : 'replication-factor'}]"`);
  }
  if (replicationFactor !== undefined && (replicationFactor > SHORT_MAX || replicationFactor < 1)) {
    throw new UsageError(`The replication factor must be between 1 and ${SHORT_MAX} inclusive`);
  }
  if (partitions !== undefined && partitions < 1) throw new UsageError('The partitions must be greater than 0');
  const configs = parseTopicConfigs(list(opts, 'config'));
  if (name.includes('.') || name.includes('_')) {
    await writeOut(
      "WARNING: Due to limitations in metric names, topics with a period ('.') or underscore ('_') could collide. To avoid issues it is best to use either, but not both.\n",
    );
  }
  const newTopic: NewTopic = { name, configs };
  if (partitions !== undefined) newTopic.numPartitions = partitions;
  if (replicationFactor !== undefined) newTopic.replicationFactor = replicationFactor;
  if (assignmentText !== undefined) {
    newTopic.assignments = Object.fromEntries(parseReplicaAssignment(assignmentText).map((brokers, i) => [i, brokers]));
  }
  try {
    await admin.createTopics([newTopic]);
  } catch (error) {
    if (KafkaProtocolError.is(error, 'TOPIC_ALREADY_EXISTS')) {
      if (flag(opts, 'ifNotExists')) return;
      throw new KafkaProtocolError('TOPIC_ALREADY_EXISTS', `Topic '${name}' already exists.`);
    }
    throw error;
  }
  await writeOut(`Created topic ${name}.\n`);
}

/** All topic names (sorted), filtered by the include list and internal-ness. */
async function matchingTopics(admin: Admin, include: string | undefined, excludeInternal: boolean): Promise<string[]> {
  const all = await admin.listTopics({ includeInternal: !excludeInternal });
  const pattern = include === undefined ? null : includeListPattern(include);
  return all.filter((t) => (pattern === null || pattern.test(t)) && !(excludeInternal && INTERNAL_TOPICS.has(t))).sort();
}

function ensureFound(found: string[], requested: string | undefined, ifExists: boolean): void {
  if (requested !== undefined && requested !== '' && !ifExists && found.length === 0) {
    throw new UsageError(`Topic '${requested}' does not exist as expected`);
  }
}

async function describeTopics(admin: Admin, opts: Record<string, unknown>, topic: string | undefined): Promise<void> {
  const excludeInternal = flag(opts, 'excludeInternal');
  let descriptions: TopicDescription[];
  const topicId = str(opts, 'topicId');
  if (topicId !== undefined && topicId !== 'AAAAAAAAAAAAAAAAAAAAAA') {
    const all = await admin.describeTopics(await matchingTopics(admin, undefined, excludeInternal));
    descriptions = all.filter((d) => d.topicId === topicId);
    if (descriptions.length === 0 && !flag(opts, 'ifExists')) throw new UsageError(`TopicId '${topicId}' does not exist as expected`);
  } else {
    const names = await matchingTopics(admin, topic, excludeInternal);
    ensureFound(names, topic, flag(opts, 'ifExists'));
    descriptions = names.length === 0 ? [] : await admin.describeTopics(names);
  }
  descriptions.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));

  const underReplicated = flag(opts, 'underReplicatedPartitions');
  const unavailable = flag(opts, 'unavailablePartitions');
  const underMinIsr = flag(opts, 'underMinIsrPartitions');
  const atMinIsr = flag(opts, 'atMinIsrPartitions');
  const withOverrides = flag(opts, 'topicsWithOverrides');
  const describeConfigs = !underReplicated && !unavailable && !underMinIsr && !atMinIsr;
  const describePartitions = !withOverrides;

  const configs = await describeConfigsOrNull(admin, 'topic', descriptions.map((d) => d.name));
  const liveBrokers = unavailable ? new Set((await admin.describeCluster()).brokers.map((b) => b.nodeId)) : new Set<number>();
  const lines: string[] = [];
  for (const d of descriptions) {
    const entries: ConfigEntry[] = configs?.get(d.name) ?? [];
    const overrides = entries.filter((e) => !isDefaultConfig(e));
    const minIsr = Number(entries.find((e) => e.name === 'min.insync.replicas')?.value ?? '1');
    const partitions = [...d.partitions].sort((a, b) => a.partition - b.partition);
    if (describeConfigs && (!withOverrides || overrides.length > 0)) {
      let line = `Topic: ${d.name}`;
      if (d.topicId !== 'AAAAAAAAAAAAAAAAAAAAAA') line += `\tTopicId: ${d.topicId}`;
      line += `\tPartitionCount: ${partitions.length}`;
      line += `\tReplicationFactor: ${partitions[0]?.replicas.length ?? 0}`;
      line += `\tConfigs: ${overrides.map((e) => `${e.name}=${e.isSensitive ? 'null' : e.value ?? 'null'}`).join(',')}`;
      lines.push(line);
    }
    if (!describePartitions) continue;
    for (const p of partitions) {
      const hasLeader = p.leader >= 0;
      const show =
        describeConfigs ||
        (underReplicated && p.replicas.length - p.isr.length > 0) ||
        (unavailable && (!hasLeader || !liveBrokers.has(p.leader))) ||
        (underMinIsr && (!hasLeader || p.isr.length < minIsr)) ||
        (atMinIsr && p.isr.length === minIsr);
      if (!show) continue;
      lines.push(
        `\tTopic: ${d.name}\tPartition: ${p.partition}\tLeader: ${hasLeader ? p.leader : 'none'}` +
          `\tReplicas: ${p.replicas.join(',')}\tIsr: ${p.isr.join(',')}\tElr: N/A\tLastKnownElr: N/A`,
      );
    }
  }
  if (lines.length > 0) await writeOut(`${lines.join('\n')}\n`);
}

async function alterTopics(admin: Admin, opts: Record<string, unknown>, topic: string): Promise<void> {
  const names = await matchingTopics(admin, topic, flag(opts, 'excludeInternal'));
  ensureFound(names, topic, flag(opts, 'ifExists'));
  const partitions = int(opts, 'partitions', 'partitions');
  if (partitions === undefined) throw new UsageError('Missing required argument "[partitions]"');
  if (partitions < 1) throw new UsageError('The partitions must be greater than 0');
  if (names.length === 0) return;
  const assignmentText = str(opts, 'replicaAssignment');
  let assignments: number[][] | undefined;
  if (assignmentText !== undefined) assignments = parseReplicaAssignment(assignmentText);
  const described = assignments === undefined ? [] : await admin.describeTopics(names);
  await admin.createPartitions(
    names.map((name) => {
      const item: { topic: string; count: number; assignments?: number[][] } = { topic: name, count: partitions };
      if (assignments !== undefined) {
        const existing = described.find((d) => d.name === name)?.partitions.length ?? 0;
        item.assignments = assignments.slice(existing);
      }
      return item;
    }),
  );
}

async function deleteTopics(admin: Admin, opts: Record<string, unknown>, topic: string): Promise<void> {
  const names = await matchingTopics(admin, topic, flag(opts, 'excludeInternal'));
  ensureFound(names, topic, flag(opts, 'ifExists'));
  if (names.length > 0) await admin.deleteTopics(names);
}

runTool(main, { errorPrefix: 'Error while executing topic command : ' });
