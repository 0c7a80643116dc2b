/**
 * kafka-consumer-groups.sh: list, describe (offsets and lag, --members,
 * --state), reset offsets, delete groups and delete committed offsets, with
 * Kafka's flags and its column layouts (each column at least 15 wide, wider
 * when a value needs it; "-" for a missing value).
 *
 * Describe prints its table to stdout and the notes Kafka prints about the
 * group's state ("Consumer group 'g' has no active members.") to stderr.
 * A group that does not exist is an error (exit 1).
 */
import { Admin, type GroupDescription } from '../../client/admin.js';
import type { OffsetSpec, OffsetToCommit } from '../../client/offsets.js';
import type { TopicPartition } from '../../client/consumer-protocol.js';
import {
  ToolError,
  UsageError,
  clientOptions,
  collect,
  createProgram,
  flag,
  list,
  loadPropertiesFile,
  padRight,
  parseBigIntArg,
  parseProgram,
  printErr,
  runTool,
  str,
  writeOut,
} from './lib/common.js';
import { groupOffsetRows } from './lib/group-offsets.js';

const MISSING = '-';
const RESET_SCENARIOS = ['toOffset', 'toDatetime', 'byDuration', 'toEarliest', 'toLatest', 'toCurrent', 'shiftBy', 'fromFile'] as const;
const KNOWN_STATES = ['PreparingRebalance', 'CompletingRebalance', 'Stable', 'Dead', 'Empty', 'Assigning', 'Reconciling'];

/** Java's printf("%-Ns ...") where each width is a minimum. */
function fmt(cells: string[], widths: number[]): string {
  return cells.map((c, i) => (i < widths.length ? padRight(c, widths[i]!) : c)).join(' ');
}

export async function main(argv: string[]): Promise<number> {
  const program = createProgram('kafka-consumer-groups.sh', 'This tool helps to list all consumer groups, describe a consumer group, delete consumer group info, or reset consumer group offsets.')
    .option('--bootstrap-server <server to connect to>', 'REQUIRED: The server(s) to connect to.')
    .option('--command-config <command config property file>', 'Property file containing configs to be passed to Admin Client and Consumer.')
    .option('--list', 'List all consumer groups.')
    .option('--describe', 'Describe consumer group and list offset lag (number of messages not yet processed) related to given group.')
    .option('--delete', 'Pass in groups to delete topic partition offsets and ownership information over the entire consumer group.')
    .option('--reset-offsets', 'Reset offsets of consumer group. Supports one consumer group at the time, and instances should be inactive.')
    .option('--delete-offsets', 'Delete offsets of consumer group. Supports one consumer group at the time, and multiple topics.')
    .option('--group <consumer group>', 'The consumer group we wish to act on.', collect)
    .option('--all-groups', 'Apply to all consumer groups.')
    .option('--topic <topic>', 'The topic whose consumer group information should be deleted or reset; "topic:0,1,2" for some partitions.', collect)
    .option('--all-topics', 'Consider all topics assigned to a group in the `reset-offsets` process.')
    .option('--to-offset <offset>', 'Reset offsets to a specific offset.')
    .option('--to-datetime <datetime>', "Reset offsets to offset from datetime. Format: 'YYYY-MM-DDTHH:mm:SS.sss'")
    .option('--by-duration <duration>', "Reset offsets to offset by duration from current timestamp. Format: 'PnDTnHnMnS'")
    .option('--to-earliest', 'Reset offsets to earliest offset.')
    .option('--to-latest', 'Reset offsets to latest offset.')
    .option('--to-current', 'Reset offsets to current offset.')
    .option('--shift-by <number-of-offsets>', "Reset offsets shifting current offset by 'n', where 'n' can be positive or negative.")
    .option('--from-file <path to CSV file>', 'Reset offsets to values defined in CSV file.')
    .option('--dry-run', 'Only show results without executing changes on Consumer Groups. Supported operations: reset-offsets.')
    .option('--execute', 'Execute operation. Supported operations: reset-offsets.')
    .option('--export', 'Export operation execution to a CSV file. Supported operations: reset-offsets.')
    .option('--members', 'Describe members of the group.')
    .option('--offsets', 'Describe the group and list all topic partitions in the group along with their offset lag. This is the default.')
    .option('--state [state]', 'When specified with --describe, includes the state of the group. With --list, filters by state (comma separated).')
    .option('--type [type]', 'When specified with --list, shows the group type (classic, consumer).')
    .option('--timeout <timeout (ms)>', 'The timeout that can be set for some use cases.');
  const opts = parseProgram(program, argv);

  const actions = ['list', 'describe', 'delete', 'resetOffsets', 'deleteOffsets'].filter((a) => flag(opts, a));
  if (actions.length !== 1) {
    throw new UsageError('Command must include exactly one action: --list, --describe, --delete, --reset-offsets, --delete-offsets');
  }
  const bootstrap = str(opts, 'bootstrapServer');
  if (bootstrap === undefined) throw new UsageError('Missing required argument "[bootstrap-server]"');
  const groups = list(opts, 'group');
  const allGroups = flag(opts, 'allGroups');
  const action = actions[0]!;
  if (action !== 'list' && groups.length === 0 && !allGroups) {
    throw new UsageError(`Option [${action === 'resetOffsets' ? 'reset-offsets' : action === 'deleteOffsets' ? 'delete-offsets' : action}] takes one of these options: [all-groups], [group]`);
  }
  if (groups.length > 0 && allGroups) throw new UsageError('Option [all-groups] cannot be used with option [group]');

  const commandConfig = str(opts, 'commandConfig');
  const props = commandConfig === undefined ? new Map<string, string>() : loadPropertiesFile(commandConfig);
  const admin = new Admin(clientOptions(bootstrap, props, 'adminclient-1'));
  try {
    const targets = allGroups ? await consumerGroupIds(admin) : groups;
    switch (action) {
      case 'list':
        return await listGroups(admin, opts);
      case 'describe':
        return await describeGroups(admin, opts, targets);
      case 'delete':
        return await deleteGroups(admin, targets);
      case 'resetOffsets':
        return await resetOffsets(admin, opts, targets);
      default:
        return await deleteOffsets(admin, opts, targets);
    }
  } finally {
    await admin.close();
  }
}

async function consumerGroupIds(admin: Admin): Promise<string[]> {
  return (await admin.listGroups()).filter((g) => g.protocolType === 'consumer' || g.protocolType === '').map((g) => g.groupId);
}

async function listGroups(admin: Admin, opts: Record<string, unknown>): Promise<number> {
  const stateOpt = opts['state'];
  const typeOpt = opts['type'];
  const all = (await admin.listGroups()).filter((g) => g.protocolType === 'consumer' || g.protocolType === '');
  if (stateOpt === undefined && typeOpt === undefined) {
    if (all.length > 0) await writeOut(`${all.map((g) => g.groupId).join('\n')}\n`);
    return 0;
  }
  let states: string[] = [];
  if (typeof stateOpt === 'string' && stateOpt !== '') {
    states = stateOpt.split(',').map((s) => s.trim());
    const bad = states.filter((s) => !KNOWN_STATES.some((k) => k.toLowerCase() === s.toLowerCase()));
    if (bad.length > 0) throw new UsageError(`Invalid state list '${stateOpt}'. Valid states are: ${KNOWN_STATES.join(', ')}`);
  }
  let types: string[] = [];
  if (typeof typeOpt === 'string' && typeOpt !== '') types = typeOpt.toLowerCase().split(',').map((s) => s.trim());
  const rows = all.filter(
    (g) => (states.length === 0 || states.some((s) => s.toLowerCase() === g.state.toLowerCase())) && (types.length === 0 || types.includes(g.type.toLowerCase())),
  );
  const groupWidth = Math.max(15, ...rows.map((g) => g.groupId.length)) + 10;
  const header = ['GROUP'];
  const widths = [groupWidth];
  if (typeOpt !== undefined) {
    header.push('TYPE');
    widths.push(20);
  }
  if (stateOpt !== undefined) {
    header.push('STATE');
    widths.push(20);
  }
  const line = (g: { groupId: string; type: string; state: string }): string => {
    const cells = [g.groupId];
    if (typeOpt !== undefined) cells.push(capitalize(g.type === '' ? 'classic' : g.type));
    if (stateOpt !== undefined) cells.push(g.state);
    return cells.map((c, i) => padRight(c, widths[i]!)).join(' ');
  };
  const out = [header.map((c, i) => padRight(c, widths[i]!)).join(' '), ...rows.map(line)];
  await writeOut(`${out.join('\n')}\n`);
  return 0;
}

function capitalize(s: string): string {
  return s.length === 0 ? s : s[0]!.toUpperCase() + s.slice(1);
}

/** The group's state, or an error line for a group that is not there. Returns false when nothing should be printed. */
function checkState(g: GroupDescription, rows: number): boolean {
  if (g.state === 'Dead') {
    throw new ToolError(`Error: Consumer group '${g.groupId}' does not exist.`);
  }
  if (g.state === 'Empty') printErr(`\nConsumer group '${g.groupId}' has no active members.`);
  else if (g.state !== 'Stable') printErr(`\nWarning: Consumer group '${g.groupId}' is rebalancing.`);
  return rows > 0;
}

interface OffsetRow {
  group: string;
  topic: string;
  partition: string;
  current: string;
  end: string;
  lag: string;
  consumerId: string;
  host: string;
  clientId: string;
}

async function describeGroups(admin: Admin, opts: Record<string, unknown>, groupIds: string[]): Promise<number> {
  const members = flag(opts, 'members');
  const state = opts['state'] !== undefined;
  const offsets = flag(opts, 'offsets') || (!members && !state);
  const descriptions = await admin.describeGroups(groupIds);
  let out = '';
  for (const g of descriptions) {
    if (offsets) {
      const rows = await offsetRows(admin, g);
      if (!checkState(g, rows.length)) continue;
      const w = [
        Math.max(15, ...rows.map((r) => r.group.length)),
        Math.max(15, ...rows.map((r) => r.topic.length)),
        10,
        15,
        15,
        15,
        Math.max(15, ...rows.map((r) => r.consumerId.length)),
        Math.max(15, ...rows.map((r) => r.host.length)),
      ];
      out += `\n${fmt(['GROUP', 'TOPIC', 'PARTITION', 'CURRENT-OFFSET', 'LOG-END-OFFSET', 'LAG', 'CONSUMER-ID', 'HOST', 'CLIENT-ID'], w)}`;
      for (const r of rows) out += `\n${fmt([r.group, r.topic, r.partition, r.current, r.end, r.lag, r.consumerId, r.host, r.clientId], w)}`;
      out += '\n';
    } else if (members) {
      if (!checkState(g, g.members.length)) continue;
      const withInstance = g.members.some((m) => m.groupInstanceId !== null && m.groupInstanceId !== '');
      const w = [
        Math.max(15, g.groupId.length),
        Math.max(15, ...g.members.map((m) => m.memberId.length)),
        ...(withInstance ? [Math.max(17, ...g.members.map((m) => (m.groupInstanceId ?? '').length))] : []),
        Math.max(15, ...g.members.map((m) => m.clientHost.length)),
        Math.max(15, ...g.members.map((m) => m.clientId.length)),
        15,
      ];
      const header = ['GROUP', 'CONSUMER-ID', ...(withInstance ? ['GROUP-INSTANCE-ID'] : []), 'HOST', 'CLIENT-ID', '#PARTITIONS'];
      out += `\n${fmt(header, w)} \n`;
      for (const m of g.members) {
        const cells = [g.groupId, m.memberId, ...(withInstance ? [m.groupInstanceId ?? ''] : []), m.clientHost, m.clientId, String(m.assignment?.length ?? 0)];
        out += `${fmt(cells, w)} \n`;
      }
    } else {
      if (!checkState(g, 1)) continue;
      const nodeId = await admin.cluster.coordinator('group', g.groupId);
      const node = admin.cluster.broker(nodeId);
      const coordinator = `${node?.host ?? '?'}:${node?.port ?? '?'}  (${nodeId})`;
      const w = [Math.max(15, g.groupId.length), Math.max(25, coordinator.length), 20, 20];
      out += `\n${fmt(['GROUP', 'COORDINATOR (ID)', 'ASSIGNMENT-STRATEGY', 'STATE', '#MEMBERS'], w)}`;
      out += `\n${fmt([g.groupId, coordinator, g.protocol === '' ? MISSING : g.protocol, g.state, String(g.members.length)], w)}\n`;
    }
  }
  if (out !== '') await writeOut(out);
  return 0;
}

async function offsetRows(admin: Admin, g: GroupDescription): Promise<OffsetRow[]> {
  const text = (n: bigint | null): string => (n === null ? MISSING : String(n));
  const rows: OffsetRow[] = (await groupOffsetRows(admin, g)).map((r) => ({
    group: g.groupId,
    topic: r.topic,
    partition: String(r.partition),
    current: text(r.current),
    end: text(r.end),
    lag: text(r.lag),
    consumerId: r.member?.memberId ?? MISSING,
    host: r.member?.clientHost ?? MISSING,
    clientId: r.member?.clientId ?? MISSING,
  }));
  // Members without partitions still show up, with their ids.
  for (const m of g.members) {
    if ((m.assignment?.length ?? 0) === 0) {
      rows.push({ group: g.groupId, topic: MISSING, partition: MISSING, current: MISSING, end: MISSING, lag: MISSING, consumerId: m.memberId, host: m.clientHost, clientId: m.clientId });
    }
  }
  return rows;
}

async function deleteGroups(admin: Admin, groupIds: string[]): Promise<number> {
  const failures: string[] = [];
  const deleted: string[] = [];
  for (const id of groupIds) {
    try {
      await admin.deleteGroups([id]);
      deleted.push(id);
    } catch (error) {
      const name = error instanceof Error && 'name' in error ? String(error.name) : 'UNKNOWN';
      failures.push(`Group '${id}' could not be deleted due to: ${errorClassName(name)}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  let out = '';
  if (deleted.length > 0) out += `Deletion of requested consumer groups (${deleted.map((d) => `'${d}'`).join(', ')}) was successful.\n`;
  if (out !== '') await writeOut(out);
  if (failures.length > 0) {
    for (const f of failures) printErr(`Error: ${f}`);
    return 1;
  }
  return 0;
}

function errorClassName(kafkaName: string): string {
  switch (kafkaName) {
    case 'NON_EMPTY_GROUP':
      return 'org.apache.kafka.common.errors.GroupNotEmptyException';
    case 'GROUP_ID_NOT_FOUND':
      return 'org.apache.kafka.common.errors.GroupIdNotFoundException';
    default:
      return kafkaName;
  }
}

/** "topic" or "topic:0,1,2". */
function parseTopicArgs(items: string[]): Array<{ topic: string; partitions: number[] | null }> {
  return items.map((item) => {
    const at = item.indexOf(':');
    if (at < 0) return { topic: item, partitions: null };
    const partitions = item
      .slice(at + 1)
      .split(',')
      .map((p) => {
        if (!/^\d+$/.test(p.trim())) throw new UsageError(`Invalid partition '${p}' in --topic ${item}`);
        return Number(p.trim());
      });
    return { topic: item.slice(0, at), partitions };
  });
}

/** ISO-8601 duration PnDTnHnMnS in ms. */
function parseDuration(text: string): number {
  const m = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/i.exec(text);
  if (m === null || text === 'P' || /T$/i.test(text)) throw new UsageError(`Error parsing duration: ${text}. The duration format must be 'PnDTnHnMnS'`);
  const [, d, h, mi, s] = m;
  return ((Number(d ?? 0) * 24 + Number(h ?? 0)) * 60 + Number(mi ?? 0)) * 60_000 + Number(s ?? 0) * 1000;
}

function parseDatetime(text: string): number {
  // Kafka accepts 'YYYY-MM-DDTHH:mm:SS.sss' with an optional zone; without one it means local time.
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?(Z|[+-]\d{2}(:?\d{2})?)?$/.test(text)) {
    throw new UsageError(`Error parsing timestamp. It does not conform to the format: YYYY-MM-DDTHH:mm:SS.sss, got ${text}`);
  }
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) throw new UsageError(`Error parsing timestamp: ${text}`);
  return ms;
}

async function resetOffsets(admin: Admin, opts: Record<string, unknown>, groupIds: string[]): Promise<number> {
  const scenarios = RESET_SCENARIOS.filter((s) => opts[s] !== undefined);
  if (scenarios.length !== 1) {
    throw new UsageError('Option [reset-offsets] takes exactly one of these options: [to-offset], [to-datetime], [by-duration], [to-earliest], [to-latest], [to-current], [shift-by], [from-file]');
  }
  const scenario = scenarios[0]!;
  if (scenario === 'fromFile') throw new ToolError('--from-file is not supported by Samsa yet');
  const execute = flag(opts, 'execute');
  const dryRun = flag(opts, 'dryRun');
  if (execute && dryRun) throw new UsageError('Option [reset-offsets] only accepts one of [execute], [dry-run]');
  const topicArgs = parseTopicArgs(list(opts, 'topic'));
  const allTopics = flag(opts, 'allTopics');
  if (topicArgs.length === 0 && !allTopics) throw new UsageError('Option [reset-offsets] takes one of these options: [all-topics], [topic]');
  if (topicArgs.length > 0 && allTopics) throw new UsageError('Option [all-topics] cannot be used with option [topic]');
  if (!execute && !dryRun) {
    await writeOut(
      'WARN: No action will be performed as the --execute option is missing. In a future major release, the default behavior of this command will be to prompt the user before executing the reset rather than doing a dry run. You should add the --dry-run option explicitly if you are scripting this command and want to keep the current default behavior without prompting.\n',
    );
  }

  const plans = new Map<string, OffsetToCommit[]>();
  for (const group of groupIds) {
    const [g] = await admin.describeGroups([group]);
    if (g !== undefined && g.state !== 'Empty' && g.state !== 'Dead') {
      throw new ToolError(`Error: Assignments can only be reset if the group '${group}' is inactive, but the current state is ${g.state}.`);
    }
    const committed = await admin.listConsumerGroupOffsets(group);
    let partitions: TopicPartition[];
    if (allTopics) {
      partitions = committed.map((c) => ({ topic: c.topic, partition: c.partition }));
    } else {
      const described = await admin.describeTopics([...new Set(topicArgs.map((t) => t.topic))]);
      partitions = topicArgs.flatMap((t) => {
        const info = described.find((d) => d.name === t.topic)!;
        const ps = t.partitions ?? info.partitions.map((p) => p.partition);
        return ps.map((partition) => ({ topic: t.topic, partition }));
      });
    }
    const current = new Map(committed.map((c) => [`${c.topic}\u0000${c.partition}`, c.offset]));
    const key = (tp: TopicPartition): string => `${tp.topic}\u0000${tp.partition}`;
    const listAt = async (spec: OffsetSpec): Promise<Map<string, bigint>> => {
      if (partitions.length === 0) return new Map();
      const listed = await admin.listOffsets(partitions.map((tp) => ({ ...tp, spec })));
      return new Map(listed.map((l) => [key(l), l.offset]));
    };
    const [earliest, latest] = await Promise.all([listAt('earliest'), listAt('latest')]);
    const clamp = (tp: TopicPartition, offset: bigint): bigint => {
      const lo = earliest.get(key(tp)) ?? 0n;
      const hi = latest.get(key(tp)) ?? offset;
      return offset < lo ? lo : offset > hi ? hi : offset;
    };
    let targets: Map<string, bigint>;
    switch (scenario) {
      case 'toEarliest':
        targets = earliest;
        break;
      case 'toLatest':
        targets = latest;
        break;
      case 'toCurrent':
        targets = new Map(partitions.map((tp) => [key(tp), current.get(key(tp)) ?? latest.get(key(tp)) ?? 0n]));
        break;
      case 'toOffset': {
        const to = parseBigIntArg(str(opts, 'toOffset')!, 'to-offset');
        targets = new Map(partitions.map((tp) => [key(tp), clamp(tp, to)]));
        break;
      }
      case 'shiftBy': {
        const by = parseBigIntArg(str(opts, 'shiftBy')!, 'shift-by');
        targets = new Map(
          partitions.map((tp) => {
            const base = current.get(key(tp));
            const from = base !== undefined && base >= 0n ? base : (latest.get(key(tp)) ?? 0n);
            return [key(tp), clamp(tp, from + by)];
          }),
        );
        break;
      }
      default: {
        const at = scenario === 'toDatetime' ? parseDatetime(str(opts, 'toDatetime')!) : Date.now() - parseDuration(str(opts, 'byDuration')!);
        const byTime = await listAt({ timestamp: at });
        targets = new Map(partitions.map((tp) => {
          const o = byTime.get(key(tp));
          return [key(tp), o === undefined || o < 0n ? latest.get(key(tp)) ?? 0n : o];
        }));
      }
    }
    const plan = partitions
      .map((tp) => ({ ...tp, offset: targets.get(key(tp)) ?? 0n }))
      .sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition));
    if (execute && plan.length > 0) await admin.alterConsumerGroupOffsets(group, plan);
    plans.set(group, plan);
  }

  if (flag(opts, 'export')) {
    const lines = [...plans].flatMap(([group, plan]) => plan.map((p) => (groupIds.length > 1 ? `${group},` : '') + `${p.topic},${p.partition},${p.offset}`));
    await writeOut(`${lines.join('\n')}\n`);
    return 0;
  }
  const all = [...plans].flatMap(([group, plan]) => plan.map((p) => ({ group, ...p })));
  const w = [Math.max(15, ...all.map((r) => r.group.length)), Math.max(15, ...all.map((r) => r.topic.length)), 10];
  let out = '';
  if (all.length > 0) out += `\n${fmt(['GROUP', 'TOPIC', 'PARTITION', 'NEW-OFFSET'], w)}`;
  for (const r of all) out += `\n${fmt([r.group, r.topic, String(r.partition), String(r.offset)], w)}`;
  out += '\n';
  await writeOut(out);
  return 0;
}

async function deleteOffsets(admin: Admin, opts: Record<string, unknown>, groupIds: string[]): Promise<number> {
  if (groupIds.length !== 1) throw new UsageError('Option [delete-offsets] supports only one [group] at a time');
  const topicArgs = parseTopicArgs(list(opts, 'topic'));
  if (topicArgs.length === 0) throw new UsageError('Option [delete-offsets] takes the following options: [topic]');
  const group = groupIds[0]!;
  const described = await admin.describeTopics([...new Set(topicArgs.map((t) => t.topic))]);
  const partitions = topicArgs.flatMap((t) => {
    const info = described.find((d) => d.name === t.topic)!;
    return (t.partitions ?? info.partitions.map((p) => p.partition)).map((partition) => ({ topic: t.topic, partition }));
  });
  await admin.deleteConsumerGroupOffsets(group, partitions);
  const w = [Math.max(15, ...partitions.map((p) => p.topic.length)), 10];
  let out = `Request succeed for deleting offsets from group ${group}.\n`;
  out += `\n${fmt(['TOPIC', 'PARTITION', 'STATUS'], w)}`;
  for (const p of partitions) out += `\n${fmt([p.topic, String(p.partition), 'Successful'], w)}`;
  out += '\n';
  await writeOut(out);
  return 0;
}

runTool(main, { errorPrefix: 'Error: Executing consumer group command failed due to ' });
