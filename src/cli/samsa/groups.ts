/**
 * `samsa groups`: consumer groups with their state, members and lag.
 *
 *   samsa groups                          GROUP / STATE / MEMBERS / TOPICS / LAG
 *   samsa groups describe billing         per partition: committed offset, end offset, lag, owner
 *   samsa groups reset billing orders --to earliest
 *   samsa groups delete billing
 *
 * Lag per partition is the log end offset minus the committed offset (the
 * same rows as kafka-consumer-groups.sh --describe, from
 * ../tools/lib/group-offsets.ts); a group's lag is the sum over partitions
 * with a committed offset.
 */
import type { Command } from 'commander';
import type { Admin, GroupDescription } from '../../client/admin.js';
import type { OffsetSpec } from '../../client/offsets.js';
import { type GroupOffsetRow, groupOffsetRows } from '../tools/lib/group-offsets.js';
import { type ClientFlags, ToolError, action, examples, explainTopicError, fields, json, note, out, table, text, withAdmin, withClientFlags } from './shared.js';

interface GroupSummary {
  group: string;
  state: string;
  members: number;
  topics: string[];
  lag: bigint | null;
}

function totalLag(rows: GroupOffsetRow[]): bigint | null {
  const lags = rows.map((r) => r.lag).filter((l): l is bigint => l !== null);
  return lags.length === 0 ? null : lags.reduce((a, b) => a + b, 0n);
}

/** Consumer groups only (protocol type "consumer", or none yet), as Kafka's tool lists them. */
async function consumerGroups(admin: Admin): Promise<string[]> {
  return (await admin.listGroups()).filter((g) => g.protocolType === 'consumer' || g.protocolType === '').map((g) => g.groupId);
}

async function describeOne(admin: Admin, groupId: string): Promise<GroupDescription> {
  const [g] = await admin.describeGroups([groupId]);
  if (g === undefined || g.state === 'Dead') throw new ToolError(`Group '${groupId}' does not exist.`);
  return g;
}

async function listGroups(flags: ClientFlags): Promise<number> {
  return withAdmin(flags, async (admin) => {
    const ids = await consumerGroups(admin);
    const descriptions = ids.length === 0 ? [] : await admin.describeGroups(ids);
    const summaries: GroupSummary[] = await Promise.all(
      descriptions.map(async (g) => {
        const rows = await groupOffsetRows(admin, g);
        return { group: g.groupId, state: g.state, members: g.members.length, topics: [...new Set(rows.map((r) => r.topic))].sort(), lag: totalLag(rows) };
      }),
    );
    if (flags.json === true) {
      await out(json(summaries));
      return 0;
    }
    if (summaries.length === 0) {
      note('No consumer groups yet. Join one with: samsa consume <topic> --group <group>');
      return 0;
    }
    await out(
      table(
        ['GROUP', 'STATE', 'MEMBERS', 'TOPICS', 'LAG'],
        summaries.map((s) => [s.group, s.state, String(s.members), s.topics.length === 0 ? '-' : s.topics.join(','), text(s.lag)]),
      ),
    );
    return 0;
  });
}

async function describeGroup(groupId: string, flags: ClientFlags): Promise<number> {
  return withAdmin(flags, async (admin) => {
    const g = await describeOne(admin, groupId);
    const rows = await groupOffsetRows(admin, g);
    const coordinatorId = await admin.cluster.coordinator('group', groupId);
    const lag = totalLag(rows);
    if (flags.json === true) {
      await out(
        json({
          group: g.groupId,
          state: g.state,
          assignor: g.protocol === '' ? null : g.protocol,
          coordinator: coordinatorId,
          lag,
          members: g.members.map((m) => ({
            memberId: m.memberId,
            groupInstanceId: m.groupInstanceId,
            clientId: m.clientId,
            host: m.clientHost,
            partitions: m.assignment ?? [],
          })),
          partitions: rows.map((r) => ({
            topic: r.topic,
            partition: r.partition,
            committedOffset: r.current,
            endOffset: r.end,
            lag: r.lag,
            memberId: r.member?.memberId ?? null,
          })),
        }),
      );
      return 0;
    }
    let text_ = fields([
      ['Group', g.groupId],
      ['State', g.state],
      ['Assignor', g.protocol === '' ? '-' : g.protocol],
      ['Members', String(g.members.length)],
      ['Coordinator', String(coordinatorId)],
      ['Lag', text(lag)],
    ]);
    if (rows.length > 0) {
      text_ +=
        '\n' +
        table(
          ['TOPIC', 'PARTITION', 'COMMITTED', 'END', 'LAG', 'MEMBER'],
          rows.map((r) => [
            r.topic,
            String(r.partition),
            text(r.current),
            text(r.end),
            text(r.lag),
            r.member === null ? '-' : `${r.member.clientId} (${r.member.clientHost})`,
          ]),
        );
    }
    await out(text_);
    return 0;
  });
}

async function resetGroup(groupId: string, topic: string, flags: ClientFlags & { to: string }): Promise<number> {
  const to = flags.to.trim().toLowerCase();
  if (to !== 'earliest' && to !== 'latest' && !/^\d+$/.test(to)) {
    throw new ToolError(`--to must be earliest, latest or an offset, not '${flags.to}'.`);
  }
  return withAdmin(flags, async (admin) => {
    const [g] = await admin.describeGroups([groupId]);
    if (g !== undefined && g.state !== 'Empty' && g.state !== 'Dead') {
      throw new ToolError(`Group '${groupId}' has ${g.members.length} active member(s) (state ${g.state}); stop its consumers before resetting offsets.`);
    }
    let offsets;
    try {
      if (to === 'earliest' || to === 'latest') {
        offsets = await admin.resetConsumerGroupOffsets(groupId, topic, to as OffsetSpec);
      } else {
        // Clamped into each partition's [start, end], as Kafka's tool does.
        const [t] = await admin.describeTopics([topic]);
        const tps = t!.partitions.map((p) => ({ topic, partition: p.partition }));
        const [starts, ends] = await Promise.all(
          (['earliest', 'latest'] as const).map((spec) => admin.listOffsets(tps.map((tp) => ({ ...tp, spec })))),
        );
        const wanted = BigInt(to);
        offsets = tps.map((tp) => {
          const lo = starts!.find((l) => l.partition === tp.partition)?.offset ?? 0n;
          const hi = ends!.find((l) => l.partition === tp.partition)?.offset ?? wanted;
          return { ...tp, offset: wanted < lo ? lo : wanted > hi ? hi : wanted };
        });
        await admin.alterConsumerGroupOffsets(groupId, offsets);
      }
    } catch (error) {
      throw explainTopicError(error, topic);
    }
    offsets.sort((a, b) => a.partition - b.partition);
    if (flags.json === true) {
      await out(json({ group: groupId, topic, offsets: offsets.map((o) => ({ partition: o.partition, offset: o.offset })) }));
    } else {
      await out(
        `Reset group ${groupId} on ${topic}:\n` +
          table(
            ['PARTITION', 'OFFSET'],
            offsets.map((o) => [String(o.partition), String(o.offset)]),
          ),
      );
    }
    return 0;
  });
}

async function deleteGroup(groupId: string, flags: ClientFlags): Promise<number> {
  return withAdmin(flags, async (admin) => {
    const g = await describeOne(admin, groupId);
    if (g.state !== 'Empty') {
      throw new ToolError(`Group '${groupId}' has ${g.members.length} active member(s) (state ${g.state}); only an empty group can be deleted.`);
    }
    await admin.deleteGroups([groupId]);
    if (flags.json === true) await out(json({ group: groupId, deleted: true }));
    else await out(`Deleted group ${groupId}.\n`);
    return 0;
  });
}

export function groupsCommand(program: Command): void {
  const groups = examples(program.command('groups').description('consumer groups: list with lag, describe, reset offsets, delete'), [
    'samsa groups                              every group with state, members and lag',
    'samsa groups describe billing             committed offset and lag per partition',
    'samsa groups reset billing orders --to earliest',
    'samsa groups delete billing',
  ]);

  examples(withClientFlags(groups.command('list', { isDefault: true }).alias('ls').description('list consumer groups with state, members and total lag (the default)')), [
    'samsa groups',
    'samsa groups --json',
  ]).action(action((flags: ClientFlags) => listGroups(flags)));

  examples(withClientFlags(groups.command('describe').alias('show').argument('<group>', 'group id').description("show a group's members and its offsets and lag per partition")), [
    'samsa groups describe billing',
  ]).action(action((group: string, flags: ClientFlags) => describeGroup(group, flags)));

  examples(
    withClientFlags(
      groups
        .command('reset')
        .argument('<group>', 'group id')
        .argument('<topic>', 'topic whose offsets to move')
        .description("move an inactive group's committed offsets for a topic"),
    ).requiredOption('--to <earliest|latest|offset>', 'where to move the offsets of every partition (an offset is kept within each partition\'s range)'),
    ['samsa groups reset billing orders --to earliest   read everything again', 'samsa groups reset billing orders --to latest     skip to the end'],
  ).action(action((group: string, topic: string, flags: ClientFlags & { to: string }) => resetGroup(group, topic, flags)));

  examples(withClientFlags(groups.command('delete').alias('rm').argument('<group>', 'group id').description('delete an empty group and its committed offsets')), [
    'samsa groups delete billing',
  ]).action(action((group: string, flags: ClientFlags) => deleteGroup(group, flags)));
}
