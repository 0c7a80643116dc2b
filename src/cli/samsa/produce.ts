/**
 * `samsa produce <topic> [value...]`: sends each value given as an argument,
 * or else each line of stdin, as one message. Acknowledged with acks=all and
 * idempotence by default (the client's defaults; `--acks` changes it).
 *
 * Prints how many messages went where; with one message, its partition and
 * offset. A failed send makes the exit code 1 with one line saying why; the
 * messages before it are still sent.
 */
import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import type { Producer, ProducerRecord, RecordMetadata } from '../../client/producer.js';
import { describeError, onShutdown } from '../tools/lib/common.js';
import { type ClientFlags, ToolError, action, examples, intArg, json, keyValues, note, out, repeatable, withClientFlags } from './shared.js';

/** Sends not yet acknowledged, beyond which reading stdin waits. */
const IN_FLIGHT_MAX = 10_000;

interface ProduceFlags extends ClientFlags {
  key?: string;
  keySeparator?: string;
  header?: string[];
  partition?: number;
  acks?: string;
  compression?: string;
}

interface Outcome {
  /** Metadata of the messages sent (all of them, or just the first; see sendLines). */
  sent: RecordMetadata[];
  count: number;
  failures: number;
  firstError: unknown;
  interrupted: boolean;
}

async function produce(topic: string, values: string[], flags: ProduceFlags): Promise<number> {
  const headers = keyValues(flags.header, 'header');
  // The producer is loaded here, not with this file: samsa.ts loads every
  // subcommand's file, `samsa start` included, which has no use for it.
  const { connectProducer, parseAcks, parseCompression, producerOptions } = await import('../tools/lib/producer-config.js');
  const props = new Map<string, string>();
  if (flags.acks !== undefined) props.set('acks', String(parseAcks(flags.acks)));
  if (flags.compression !== undefined) props.set('compression.type', parseCompression(flags.compression));
  const options = producerOptions(flags.bootstrapServer, props, 'samsa-cli');

  const record = (text: string): ProducerRecord => {
    let key: string | null = flags.key ?? null;
    let value = text;
    if (flags.keySeparator !== undefined) {
      const at = text.indexOf(flags.keySeparator);
      if (at >= 0) {
        key = text.slice(0, at);
        value = text.slice(at + flags.keySeparator.length);
      }
    }
    return {
      topic,
      key,
      value,
      ...(Object.keys(headers).length > 0 ? { headers } : {}),
      ...(flags.partition !== undefined ? { partition: flags.partition } : {}),
    };
  };

  const producer = await connectProducer(options);
  let outcome: Outcome;
  try {
    outcome = values.length > 0 ? await sendAll(producer, values.map(record)) : await sendLines(producer, record, flags.json === true);
  } finally {
    await producer.close().catch(() => {});
  }
  const { sent, count, failures } = outcome;
  if (flags.json === true) {
    await out(
      json({
        topic,
        count,
        failed: failures,
        messages: sent.map((m) => ({ partition: m.partition, offset: m.offset })),
        ...(failures > 0 ? { error: describeError(outcome.firstError) } : {}),
      }),
    );
  } else if (count > 0 || failures === 0) {
    const one = count === 1 ? sent[0] : undefined;
    const where = one !== undefined && one.offset >= 0n ? ` (partition ${one.partition}, offset ${one.offset})` : '';
    await out(`Produced ${count} message${count === 1 ? '' : 's'} to ${topic}${where}.\n`);
  }
  if (failures > 0) {
    throw new ToolError(`${failures} message${failures === 1 ? '' : 's'} could not be sent to ${topic}: ${describeError(outcome.firstError)}`);
  }
  return outcome.interrupted ? 130 : 0;
}

async function sendAll(producer: Producer, records: ProducerRecord[]): Promise<Outcome> {
  const results = await Promise.allSettled(records.map((r) => producer.send(r)));
  const sent: RecordMetadata[] = [];
  let firstError: unknown = null;
  for (const r of results) {
    if (r.status === 'fulfilled') sent.push(r.value);
    else firstError ??= r.reason;
  }
  return { sent, count: sent.length, failures: records.length - sent.length, firstError, interrupted: false };
}

/**
 * One message per line of stdin, with at most IN_FLIGHT_MAX unacknowledged.
 * Keeps every message's metadata only when `keepAll` (for --json); else the
 * first one, for the one-message summary.
 */
async function sendLines(producer: Producer, record: (text: string) => ProducerRecord, keepAll: boolean): Promise<Outcome> {
  if (process.stdin.isTTY === true) note('Type one message per line; Ctrl-D sends them and exits.');
  const kept: Array<RecordMetadata | undefined> = [];
  let lines = 0;
  let failures = 0;
  let firstError: unknown = null;
  let inFlight = 0;
  let wake: (() => void) | null = null;
  let interrupted = false;
  const rl = createInterface({ input: process.stdin, crlfDelay: Infinity, terminal: false });
  const removeShutdown = onShutdown(() => {
    interrupted = true;
    rl.close();
  });
  // Progress on a terminal for long inputs: a count on stderr, redrawn in place.
  const progress =
    process.stderr.isTTY === true && process.stdin.isTTY !== true
      ? setInterval(() => process.stderr.write(`\r${lines - inFlight - failures} messages sent...`), 500)
      : null;
  const settled = (): void => {
    inFlight--;
    if (wake !== null && (inFlight < IN_FLIGHT_MAX / 2 || inFlight === 0)) {
      const w = wake;
      wake = null;
      w();
    }
  };
  try {
    for await (const line of rl) {
      const index = lines++;
      if (keepAll || index === 0) kept.push(undefined);
      inFlight++;
      producer
        .send(record(line))
        .then(
          (meta) => {
            if (keepAll || index === 0) kept[index] = meta;
          },
          (error: unknown) => {
            failures++;
            firstError ??= error;
          },
        )
        .finally(settled);
      if (inFlight >= IN_FLIGHT_MAX) await new Promise<void>((resolve) => (wake = resolve));
    }
  } finally {
    rl.close();
    removeShutdown();
  }
  await producer.flush().catch(() => {});
  while (inFlight > 0) await new Promise<void>((resolve) => (wake = resolve));
  if (progress !== null) {
    clearInterval(progress);
    process.stderr.write('\r\u001b[K');
  }
  return { sent: kept.filter((m): m is RecordMetadata => m !== undefined), count: lines - failures, failures, firstError, interrupted };
}

export function produceCommand(program: Command): void {
  examples(
    withClientFlags(
      program
        .command('produce')
        .alias('send')
        .argument('<topic>', 'topic to send to')
        .argument('[value...]', 'message values; without any, each line of stdin is a message')
        .description('send messages to a topic'),
    )
      .option('-k, --key <key>', 'the key of every message (same key, same partition)')
      .option('-s, --key-separator <sep>', 'split each value at the first <sep> into key and value, e.g. "alice:hello"')
      .option('-H, --header <key=value>', 'a header on every message (repeatable)', repeatable)
      .option('-p, --partition <n>', 'send to this partition instead of choosing by key', intArg(0))
      .option('--acks <acks>', 'all (default), 1 or 0')
      .option('--compression <codec>', 'none (default), gzip, snappy, lz4 or zstd'),
    [
      'samsa produce orders "hello"                     one message',
      'samsa produce orders --key alice one two three   three messages with key alice',
      'cat events.txt | samsa produce orders            one message per line',
      'printf "alice:1\\nbob:2\\n" | samsa produce orders -s :',
      'samsa produce orders -H source=cli --json "x"',
    ],
  ).action(action((topic: string, values: string[], flags: ProduceFlags) => produce(topic, values, flags)));
}
