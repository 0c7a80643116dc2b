/**
 * `samsa topics`: list (the default), create, describe and delete topics.
 *
 *   samsa topics                         TOPIC / PARTITIONS / REPLICATION / MESSAGES
 *   samsa topics create orders -p 6 -c retention.ms=86400000
 *   samsa topics describe orders         summary, then one row per partition with its offsets
 *   samsa topics delete orders
 *
 * MESSAGES is the sum over partitions of (end offset - start offset), the
 * count Kafka's consoles show; transaction markers and compacted-away records
 * make it an upper bound.
 */
import type { Command } from 'commander';
import type { Admin, TopicDescription } from '../../client/admin.js';
import type { OffsetSpec } from '../../client/offsets.js';
import { INTERNAL_TOPICS, describeConfigsOrNull, isDefaultConfig } from '../tools/lib/admin-helpers.js';
import {
  type ClientFlags,
  ToolError,
  action,
  examples,
  explainTopicError,
  fields,
  intArg,
  json,
  keyValues,
  note,
  out,
  repeatable,
  table,
  withAdmin,
  withClientFlags,
} from './shared.js';

interface PartitionOffsets {
  start: bigint;
  end: bigint;
}

/** Start and end offsets of every partition of the given topics, keyed "topic\0partition". */
async function partitionOffsets(admin: Admin, topics: TopicDescription[]): Promise<Map<string, PartitionOffsets>> {
  const tps = topics.flatMap((t) => t.partitions.map((p) => ({ topic: t.name, partition: p.partition })));
  const result = new Map<string, PartitionOffsets>();
  if (tps.length === 0) return result;
  const list = (spec: OffsetSpec) => admin.listOffsets(tps.map((tp) => ({ ...tp, spec })));
  const [starts, ends] = await Promise.all([list('earliest'), list('latest')]);
  const key = (topic: string, partition: number): string => `${topic}\u0000${partition}`;
  const startOf = new Map(starts.map((s) => [key(s.topic, s.partition), s.offset]));
  for (const e of ends) result.set(key(e.topic, e.partition), { start: startOf.get(key(e.topic, e.partition)) ?? 0n, end: e.offset });
  return result;
}

const offsetsKey = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

async function listTopics(flags: ClientFlags & { all?: boolean }): Promise<number> {
  return withAdmin(flags, async (admin) => {
    const names = (await admin.listTopics({ includeInternal: flags.all === true })).filter((n) => flags.all === true || !INTERNAL_TOPICS.has(n));
    const described = names.length === 0 ? [] : await admin.describeTopics(names);
    const offsets = await partitionOffsets(admin, described);
    const rows = described.map((t) => {
      let messages = 0n;
      for (const p of t.partitions) {
        const o = offsets.get(offsetsKey(t.name, p.partition));
        if (o !== undefined) messages += o.end - o.start;
      }
      return { name: t.name, partitions: t.partitions.length, replicationFactor: t.partitions[0]?.replicas.length ?? 0, messages, internal: t.isInternal };
    });
    if (flags.json === true) {
      await out(json(rows));
      return 0;
    }
    if (rows.length === 0) {
      note('No topics yet. Create one with: samsa topics create <name>');
      return 0;
    }
    await out(
      table(
        ['TOPIC', 'PARTITIONS', 'REPLICATION', 'MESSAGES'],
        rows.map((r) => [r.name, String(r.partitions), String(r.replicationFactor), String(r.messages)]),
      ),
    );
    return 0;
  });
}

async function createTopic(
  name: string,
  flags: ClientFlags & { partitions?: number; replicationFactor?: number; config?: string[]; ifNotExists?: boolean },
): Promise<number> {
  const configs = keyValues(flags.config, 'topic config');
  return withAdmin(flags, async (admin) => {
    let created = true;
    try {
      await admin.createTopics([
        {
          name,
          configs,
          ...(flags.partitions !== undefined ? { numPartitions: flags.partitions } : {}),
          ...(flags.replicationFactor !== undefined ? { replicationFactor: flags.replicationFactor } : {}),
        },
      ]);
    } catch (error) {
      const explained = explainTopicError(error, name);
      if (!(explained instanceof ToolError) || !/already exists/.test(explained.message) || flags.ifNotExists !== true) throw explained;
      created = false;
    }
    const [t] = await admin.describeTopics([name]);
    const partitions = t?.partitions.length ?? 0;
    if (flags.json === true) {
      await out(json({ name, created, partitions, replicationFactor: t?.partitions[0]?.replicas.length ?? 0, configs }));
    } else if (created) {
      await out(`Created topic ${name} with ${partitions} partition${partitions === 1 ? '' : 's'}.\n`);
    } else {
      await out(`Topic ${name} already exists (${partitions} partition${partitions === 1 ? '' : 's'}).\n`);
    }
    return 0;
  });
}

async function describeTopic(name: string, flags: ClientFlags): Promise<number> {
  return withAdmin(flags, async (admin) => {
    let t: TopicDescription;
    try {
      [t] = (await admin.describeTopics([name])) as [TopicDescription];
    } catch (error) {
      throw explainTopicError(error, name);
    }
    const partitions = [...t.partitions].sort((a, b) => a.partition - b.partition);
    const [offsets, configs] = await Promise.all([partitionOffsets(admin, [t]), describeConfigsOrNull(admin, 'topic', [name])]);
    const overrides = (configs?.get(name) ?? []).filter((e) => !isDefaultConfig(e));
    const configRecord = Object.fromEntries(overrides.map((e) => [e.name, e.isSensitive ? null : e.value]));
    const rows = partitions.map((p) => {
      const o = offsets.get(offsetsKey(name, p.partition));
      return {
        partition: p.partition,
        leader: p.leader,
        replicas: p.replicas,
        isr: p.isr,
        startOffset: o?.start ?? null,
        endOffset: o?.end ?? null,
        messages: o === undefined ? null : o.end - o.start,
      };
    });
    if (flags.json === true) {
      await out(
        json({
          name,
          topicId: t.topicId,
          internal: t.isInternal,
          replicationFactor: partitions[0]?.replicas.length ?? 0,
          configs: configs === null ? null : configRecord,
          partitions: rows,
        }),
      );
      return 0;
    }
    const total = rows.reduce((sum, r) => sum + (r.messages ?? 0n), 0n);
    const configText =
      configs === null ? '(not available from this broker)' : overrides.length === 0 ? '(defaults)' : overrides.map((e) => `${e.name}=${e.isSensitive ? '(sensitive)' : e.value ?? 'null'}`).join(', ');
    await out(
      fields([
        ['Topic', name],
        ['Topic ID', t.topicId],
        ['Partitions', String(partitions.length)],
        ['Replication', String(partitions[0]?.replicas.length ?? 0)],
        ['Messages', String(total)],
        ['Configs', configText],
      ]) +
        '\n' +
        table(
          ['PARTITION', 'LEADER', 'REPLICAS', 'ISR', 'START', 'END', 'MESSAGES'],
          rows.map((r) => [
            String(r.partition),
            r.leader >= 0 ? String(r.leader) : 'none',
            r.replicas.join(','),
            r.isr.join(','),
            r.startOffset === null ? '-' : String(r.startOffset),
            r.endOffset === null ? '-' : String(r.endOffset),
            r.messages === null ? '-' : String(r.messages),
          ]),
        ),
    );
    return 0;
  });
}

async function deleteTopic(name: string, flags: ClientFlags & { ifExists?: boolean }): Promise<number> {
  return withAdmin(flags, async (admin) => {
    let deleted = true;
    try {
      await admin.deleteTopics([name]);
    } catch (error) {
      const explained = explainTopicError(error, name);
      if (!(explained instanceof ToolError) || !/does not exist/.test(explained.message) || flags.ifExists !== true) throw explained;
      deleted = false;
    }
    if (flags.json === true) await out(json({ name, deleted }));
    else await out(deleted ? `Deleted topic ${name}.\n` : `Topic ${name} does not exist; nothing to delete.\n`);
    return 0;
  });
}

export function topicsCommand(program: Command): void {
  const topics = examples(program.command('topics').description('list, create, describe and delete topics'), [
    'samsa topics                                  list topics',
    'samsa topics create orders --partitions 6     create a topic',
    'samsa topics create logs -c retention.ms=3600000 -c cleanup.policy=delete',
    'samsa topics describe orders                  partitions, leaders, offsets, configs',
    'samsa topics delete orders',
  ]);

  examples(
    withClientFlags(topics.command('list', { isDefault: true }).alias('ls').description('list topics with partitions and message counts (the default)'))
      .option('-a, --all', "include internal topics (__consumer_offsets, ...)"),
    ['samsa topics', 'samsa topics --all --json'],
  ).action(action((flags: ClientFlags & { all?: boolean }) => listTopics(flags)));

  examples(
    withClientFlags(topics.command('create').argument('<name>', 'topic name').description('create a topic'))
      .option('-p, --partitions <n>', "number of partitions (default: the broker's num.partitions)", intArg(1))
      .option('-r, --replication-factor <n>', "copies of each partition (default: the broker's default.replication.factor)", intArg(1))
      .option('-c, --config <key=value>', 'a topic config, e.g. retention.ms=86400000 (repeatable)', repeatable)
      .option('--if-not-exists', 'succeed if the topic already exists'),
    ['samsa topics create orders -p 6', 'samsa topics create compacted -c cleanup.policy=compact'],
  ).action(action((name: string, flags: Parameters<typeof createTopic>[1]) => createTopic(name, flags)));

  examples(withClientFlags(topics.command('describe').alias('show').argument('<name>', 'topic name').description('show partitions, leaders, offsets and config overrides')), [
    'samsa topics describe orders',
    'samsa topics describe orders --json',
  ]).action(action((name: string, flags: ClientFlags) => describeTopic(name, flags)));

  examples(
    withClientFlags(topics.command('delete').alias('rm').argument('<name>', 'topic name').description('delete a topic and its data')).option(
      '--if-exists',
      'succeed if the topic does not exist',
    ),
    ['samsa topics delete orders'],
  ).action(action((name: string, flags: ClientFlags & { ifExists?: boolean }) => deleteTopic(name, flags)));
}
