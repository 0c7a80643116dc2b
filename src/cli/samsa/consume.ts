/**
 * `samsa consume <topic>`: prints the topic's messages, one value per line
 * (`--keys`: key, a tab, value; `--json`: one JSON object per line with
 * partition, offset, timestamp, key, value and headers).
 *
 * Without --group it reads every partition itself from the end (or from the
 * start with --from-beginning) and leaves no group behind; with --group it
 * joins that group, starts from its committed offsets and commits what it
 * printed. Stops after --max messages, after --timeout ms without one, or on
 * Ctrl-C; "Consumed N messages" goes to stderr on the way out.
 *
 * The reading loop, formatting and group handling are the console
 * consumer's (../tools/lib/subscription.ts and formatter.ts).
 */
import type { Command } from 'commander';
import type { ConsumerMessage } from '../../client/consumer.js';
import { clientOptions, onShutdown } from '../tools/lib/common.js';
import { formatRecord, formatterConfig } from '../tools/lib/formatter.js';
import type { StartAt } from '../tools/lib/subscription.js';
import { type ClientFlags, ToolError, action, examples, intArg, jsonLine, note, withClientFlags } from './shared.js';

/** How long to wait for a topic that is not in the metadata (yet) before saying it does not exist. */
const MISSING_TOPIC_WAIT_MS = 1500;

interface ConsumeFlags extends ClientFlags {
  group?: string;
  fromBeginning?: boolean;
  max?: number;
  keys?: boolean;
  timeout?: number;
  partition?: number;
  offset?: number;
}

function messageJson(m: ConsumerMessage): string {
  return jsonLine({
    topic: m.topic,
    partition: m.partition,
    offset: m.offset,
    timestamp: m.timestamp,
    key: m.key === null ? null : m.key.toString('utf8'),
    value: m.value === null ? null : m.value.toString('utf8'),
    headers: Object.fromEntries(m.headers.map((h) => [h.key, h.value === null ? null : h.value.toString('utf8')])),
  });
}

function write(data: string | Buffer): Promise<void> {
  if (process.stdout.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    const ok = process.stdout.write(data, () => {
      if (ok) resolve();
    });
    if (!ok) process.stdout.once('drain', () => resolve());
  });
}

async function consume(topic: string, flags: ConsumeFlags): Promise<number> {
  if (flags.group !== undefined && flags.partition !== undefined) throw new ToolError('--group and --partition cannot be used together.');
  if (flags.offset !== undefined && flags.partition === undefined) throw new ToolError('--offset needs --partition.');
  // The consumer is loaded here, not with this file: samsa.ts loads every
  // subcommand's file, `samsa start` included, which has no use for it.
  const { consumerOptions, openConsumer } = await import('../tools/lib/subscription.js');
  const start: StartAt = flags.offset !== undefined ? BigInt(flags.offset) : flags.fromBeginning === true ? 'earliest' : 'latest';
  const formatter = formatterConfig(new Map([['print.key', flags.keys === true ? 'true' : 'false']]));
  const options = consumerOptions(
    {
      ...clientOptions(flags.bootstrapServer, new Map(), 'samsa-cli'),
      autoOffsetReset: flags.fromBeginning === true ? 'earliest' : 'latest',
    },
    new Map(),
  );
  const max = flags.max ?? Infinity;
  const timeoutMs = flags.timeout ?? Infinity;

  let signal: NodeJS.Signals | null = null;
  const removeShutdown = onShutdown((s) => {
    signal = s;
  });
  let count = 0;
  const consumer = await openConsumer(options, {
    topic,
    ...(flags.partition !== undefined ? { partition: flags.partition } : {}),
    ...(flags.group !== undefined ? { group: flags.group } : {}),
    start,
    allowAutoCreate: false,
    deadlineMs: Date.now() + MISSING_TOPIC_WAIT_MS,
    isCancelled: () => signal !== null,
  });
  if (consumer === null) {
    removeShutdown();
    if (signal !== null) return signal === 'SIGTERM' ? 143 : 130;
    throw new ToolError(`Topic '${topic}' does not exist. Create it with: samsa topics create ${topic}`);
  }
  try {
    let lastMessageMs = Date.now();
    while (signal === null && !process.stdout.destroyed && count < max) {
      const waitMs = Math.min(500, lastMessageMs + timeoutMs - Date.now());
      if (waitMs <= 0) break;
      // Never take more than we print: what is taken counts as consumed for commits.
      const messages = await consumer.poll({ timeoutMs: waitMs, ...(max !== Infinity ? { maxRecords: max - count } : {}) });
      if (messages.length === 0) continue;
      lastMessageMs = Date.now();
      count += messages.length;
      if (flags.json === true) await write(messages.map(messageJson).join(''));
      else await write(Buffer.concat(messages.map((m) => formatRecord(formatter, m))));
    }
  } finally {
    // An empty poll marks the last batch consumed, so close() commits it before leaving the group.
    await consumer.poll({ timeoutMs: 0, maxRecords: 0 }).catch(() => []);
    await consumer.close().catch(() => {});
    removeShutdown();
  }
  note(`Consumed ${count} message${count === 1 ? '' : 's'}.`);
  if (signal !== null) return signal === 'SIGTERM' ? 143 : 130;
  return 0;
}

export function consumeCommand(program: Command): void {
  examples(
    withClientFlags(program.command('consume').alias('tail').argument('<topic>', 'topic to read').description('print the messages of a topic'))
      .option('-g, --group <group>', 'join this consumer group: start from its committed offsets and commit')
      .option('-f, --from-beginning', 'start at the oldest message (without a group, or for a new group) instead of only new ones')
      .option('-n, --max <n>', 'exit after this many messages', intArg(1))
      .option('-k, --keys', 'print the key and a tab before each value')
      .option('-t, --timeout <ms>', 'exit when no message arrived for this long', intArg(0))
      .option('-p, --partition <n>', 'read only this partition', intArg(0))
      .option('-o, --offset <n>', 'with --partition: start at this offset', intArg(0)),
    [
      'samsa consume orders                           new messages, until Ctrl-C',
      'samsa consume orders --from-beginning --max 10',
      'samsa consume orders --group billing --keys   as a member of group billing',
      'samsa consume orders -f --timeout 1000 --json  everything there is now, as JSON lines',
      'samsa consume orders -p 0 -o 42 -n 1           the message at offset 42 of partition 0',
    ],
  ).action(action((topic: string, flags: ConsumeFlags) => consume(topic, flags)));
}
