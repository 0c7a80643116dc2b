/**
 * kafka-get-offsets.sh: prints "topic:partition:offset" for the partitions
 * matched by --topic (an include-list regex) and --partitions, or by
 * --topic-partitions patterns ("t1:1,t2:0-3,t3,t4:5-,t5:-3"), at --time
 * (latest by default; earliest, max-timestamp, -1/-2/-3 or a timestamp in ms).
 *
 * Lines are ordered as Kafka orders them: by the string "topic-partition".
 * A partition with no offset for the time asked (a timestamp after the last
 * record) prints no line.
 */
import { Admin } from '../../client/admin.js';
import type { OffsetSpec } from '../../client/offsets.js';
import { ToolError, UsageError, clientOptions, createProgram, flag, loadPropertiesFile, parseProgram, runTool, str, writeOut } from './lib/common.js';
import { includeListPattern } from './lib/admin-helpers.js';

interface Rule {
  topic: RegExp;
  accepts: (partition: number) => boolean;
}

const RULE = /^([^:,]*)(?::(?:([0-9]*)|(?:([0-9]*)-([0-9]*))))?$/;

function parseTime(text: string): OffsetSpec {
  switch (text) {
    case 'earliest':
    case 'earliest-local':
      return 'earliest';
    case 'latest':
    case 'latest-tiered':
      return 'latest';
    case 'max-timestamp':
      return 'maxTimestamp';
  }
  if (!/^-?\d+$/.test(text)) {
    throw new ToolError(
      `Error occurred: Malformed time argument ${text}. Please use -1 or latest / -2 or earliest / -3 or max-timestamp, or a specified long format timestamp`,
    );
  }
  const n = Number(text);
  if (n === -1 || n === -5) return 'latest';
  if (n === -2 || n === -4) return 'earliest';
  if (n === -3) return 'maxTimestamp';
  return { timestamp: n };
}

function parseRules(text: string): Rule[] {
  return text.split(',').map((spec) => {
    const m = RULE.exec(spec);
    if (m === null) throw new ToolError(`Error occurred: Invalid rule specification: ${spec}`);
    const g = (i: number): string | undefined => (m[i] !== undefined && m[i] !== '' ? m[i] : undefined);
    const topic = includeListPattern(g(1) ?? '.*');
    if (g(2) !== undefined) {
      const only = Number(g(2));
      return { topic, accepts: (p) => p === only };
    }
    const lower = g(3) !== undefined ? Number(g(3)) : 0;
    const upper = g(4) !== undefined ? Number(g(4)) : Number.MAX_SAFE_INTEGER;
    return { topic, accepts: (p) => p >= lower && p < upper };
  });
}

export async function main(argv: string[]): Promise<number> {
  const program = createProgram('kafka-get-offsets.sh', 'An interactive shell for getting topic-partition offsets.')
    .option('--bootstrap-server <HOST1:PORT1,...,HOST3:PORT3>', 'REQUIRED. The server(s) to connect to in the form HOST1:PORT1,HOST2:PORT2.')
    .option('--broker-list <HOST1:PORT1,...,HOST3:PORT3>', 'DEPRECATED, use --bootstrap-server instead.')
    .option('--topic-partitions <topic1:1,topic2:0-3,topic3,topic4:5-,topic5:-3>', 'Comma separated list of topic-partition patterns to get the offsets for.')
    .option('--topic <topic>', 'The topic to get the offsets for. It also accepts a regular expression. If not present, all authorized topics are queried.')
    .option('--partitions <partition ids>', 'Comma separated list of partition ids to get the offsets for. If not present, all partitions are queried.')
    .option('--time <timestamp>', '<timestamp> / -1 or latest / -2 or earliest / -3 or max-timestamp. Default latest.')
    .option('--command-config <config file>', 'Property file containing configs to be passed to Admin Client.')
    .option('--exclude-internal-topics', 'By default, internal topics are included. If specified, internal topics are excluded.');
  const opts = parseProgram(program, argv);
  const bootstrap = str(opts, 'bootstrapServer') ?? str(opts, 'brokerList');
  if (bootstrap === undefined) throw new UsageError('Missing required argument "[bootstrap-server]"');
  const topicPartitions = str(opts, 'topicPartitions');
  const topic = str(opts, 'topic');
  const partitionsText = str(opts, 'partitions');
  if (topicPartitions !== undefined && (topic !== undefined || partitionsText !== undefined)) {
    throw new ToolError('Error occurred: --topic-partitions cannot be used with --topic or --partitions');
  }
  const spec = parseTime(str(opts, 'time') ?? 'latest');
  let rules: Rule[];
  if (topicPartitions !== undefined) {
    rules = parseRules(topicPartitions);
  } else {
    let partitions: Set<number> | null = null;
    if (partitionsText !== undefined && partitionsText !== '') {
      const ids = partitionsText.split(',');
      if (!ids.every((id) => /^-?\d+$/.test(id))) {
        throw new ToolError(`Error occurred: --partitions expects a comma separated list of numeric partition ids, but received: ${partitionsText}`);
      }
      partitions = new Set(ids.map(Number));
    }
    const only = partitions;
    rules = [{ topic: includeListPattern(topic ?? '.*'), accepts: (p) => only === null || only.has(p) }];
  }

  const commandConfig = str(opts, 'commandConfig');
  const props = commandConfig === undefined ? new Map<string, string>() : loadPropertiesFile(commandConfig);
  const admin = new Admin(clientOptions(bootstrap, props, 'GetOffsetShell'));
  try {
    const names = (await admin.listTopics({ includeInternal: !flag(opts, 'excludeInternalTopics') })).filter((t) => rules.some((r) => r.topic.test(t)));
    const described = names.length === 0 ? [] : await admin.describeTopics(names);
    const wanted = described.flatMap((d) =>
      d.partitions.filter((p) => rules.some((r) => r.topic.test(d.name) && r.accepts(p.partition))).map((p) => ({ topic: d.name, partition: p.partition })),
    );
    if (wanted.length === 0) throw new ToolError('Error occurred: Could not match any topic-partitions with the specified filters');
    const listed = await admin.listOffsets(wanted.map((w) => ({ ...w, spec })));
    const lines = listed
      .filter((l) => l.offset !== -1n)
      .map((l) => ({ sortKey: `${l.topic}-${l.partition}`, line: `${l.topic}:${l.partition}:${l.offset}` }))
      .sort((a, b) => (a.sortKey < b.sortKey ? -1 : a.sortKey > b.sortKey ? 1 : 0))
      .map((x) => x.line);
    if (lines.length > 0) await writeOut(`${lines.join('\n')}\n`);
  } finally {
    await admin.close();
  }
  return 0;
}

runTool(main, { errorPrefix: 'Error occurred: ' });
