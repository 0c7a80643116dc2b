/**
 * kafka-console-consumer.sh: prints records of a topic (or of topics matching
 * --include, or of one --partition from an --offset) to stdout, formatted like
 * Kafka's DefaultMessageFormatter, and "Processed a total of N messages" to
 * stderr on the way out.
 *
 * Stops after --max-messages, after --timeout-ms without a record, on
 * SIGINT/SIGTERM (exit 130/143 after the summary line), or when stdout goes
 * away. With --group, starts from the group's committed offsets and commits
 * what it printed (every auto.commit.interval.ms and on exit).
 *
 * With --group it is a member of that group (rebalancing with the others);
 * without, it reads every partition itself and leaves no group behind.
 */
import {
  UsageError,
  collect,
  createProgram,
  flag,
  int,
  list,
  mergedProperties,
  onShutdown,
  parseIntArg,
  parseKeyValues,
  loadPropertiesFile,
  parseProgram,
  printErr,
  runTool,
  str,
  clientOptions,
  numberProp,
} from './lib/common.js';
import { includeListPattern } from './lib/admin-helpers.js';
import { formatRecord, formatterConfig } from './lib/formatter.js';
import { consumerOptions, openConsumer, type StartAt } from './lib/subscription.js';

const DEFAULT_FORMATTERS = new Set([
  'kafka.tools.DefaultMessageFormatter',
  'org.apache.kafka.tools.consumer.DefaultMessageFormatter',
  'DefaultMessageFormatter',
]);
const NOOP_FORMATTERS = new Set(['kafka.tools.NoOpMessageFormatter', 'org.apache.kafka.tools.consumer.NoOpMessageFormatter', 'NoOpMessageFormatter']);

export async function main(argv: string[]): Promise<number> {
  const program = createProgram('kafka-console-consumer.sh', 'This tool helps to read data from Kafka topics and outputs it to standard output.')
    .option('--topic <topic>', 'The topic to consume on.')
    .option('--include <Java regex (String)>', 'Regular expression specifying list of topics to include for consumption.')
    .option('--whitelist <Java regex (String)>', 'DEPRECATED, use --include instead.')
    .option('--partition <partition>', "The partition to consume from. Consumption starts from the end of the partition unless '--offset' is specified.")
    .option('--offset <consume offset>', "The offset to consume from (a non-negative number), or 'earliest' which means from beginning, or 'latest' which means from end")
    .option('--consumer-property <consumer_prop>', 'A mechanism to pass user-defined properties in the form key=value to the consumer.', collect)
    .option('--command-property <consumer_prop>', 'Same as --consumer-property.', collect)
    .option('--consumer.config <config file>', 'Consumer config properties file.')
    .option('--command-config <config file>', 'Same as --consumer.config.')
    .option('--formatter <class>', 'The name of a class to use for formatting kafka messages for display.')
    .option('--property <prop>', 'The properties to initialize the message formatter: print.timestamp, print.key, print.offset, print.partition, print.headers, print.value, key.separator, line.separator, headers.separator, null.literal, key.deserializer, value.deserializer, headers.deserializer.', collect)
    .option('--formatter-property <prop>', 'Same as --property.', collect)
    .option('--formatter-config <config file>', 'Config properties file to initialize the message formatter.')
    .option('--from-beginning', 'If the consumer does not already have an established offset to consume from, start with the earliest message present in the log rather than the latest message.')
    .option('--max-messages <num_messages>', 'The maximum number of messages to consume before exiting. If not set, consumption is continual.')
    .option('--timeout-ms <timeout_ms>', 'If specified, exit if no message is available for consumption for the specified interval.')
    .option('--skip-message-on-error', 'If there is an error when processing a message, skip it instead of halt.')
    .option('--bootstrap-server <server to connect to>', 'REQUIRED: The server(s) to connect to.')
    .option('--key-deserializer <deserializer for key>', 'The name of the class to use for deserializing keys.')
    .option('--value-deserializer <deserializer for values>', 'The name of the class to use for deserializing values.')
    .option('--enable-systest-events', 'Log lifecycle events of the consumer in addition to logging consumed messages.')
    .option('--isolation-level <isolation level>', 'Set to read_committed in order to filter out transactional messages which are not committed. Set to read_uncommitted to read all messages.')
    .option('--group <consumer group id>', 'The consumer group id of the consumer.');
  const opts = parseProgram(program, argv);

  const topic = str(opts, 'topic');
  const includeText = str(opts, 'include') ?? str(opts, 'whitelist');
  if ((topic === undefined) === (includeText === undefined)) {
    throw new UsageError('Exactly one of the following arguments is required: [topic], [include]');
  }
  const partitionText = str(opts, 'partition');
  const offsetText = str(opts, 'offset');
  const fromBeginning = flag(opts, 'fromBeginning');
  if (partitionText !== undefined) {
    if (topic === undefined) throw new UsageError('The topic is required when partition is specified.');
    if (fromBeginning && offsetText !== undefined) throw new UsageError('Options from-beginning and offset cannot be specified together.');
  } else if (offsetText !== undefined) {
    throw new UsageError('The partition is required when offset is specified.');
  }
  const bootstrap = str(opts, 'bootstrapServer');
  if (bootstrap === undefined) throw new UsageError('Missing required argument "[bootstrap-server]"');

  const consumerProps = mergedProperties(str(opts, 'consumer.config') ?? str(opts, 'commandConfig'), [
    ...list(opts, 'consumerProperty'),
    ...list(opts, 'commandProperty'),
  ]);
  const groups = new Set<string>();
  if (str(opts, 'group') !== undefined) groups.add(str(opts, 'group')!);
  if (consumerProps.has('group.id')) groups.add(consumerProps.get('group.id')!);
  if (groups.size > 1) {
    throw new UsageError(
      `The group ids provided in different places (directly using '--group', via '--consumer-property', or via '--consumer.config') do not match. Detected group ids: ${[...groups].map((g) => `'${g}'`).join(', ')}`,
    );
  }
  const group = groups.size === 1 ? [...groups][0]! : undefined;
  if (group !== undefined && partitionText !== undefined) throw new UsageError('Options group and partition cannot be specified together.');

  let reset: 'earliest' | 'latest' | 'none' = fromBeginning ? 'earliest' : 'latest';
  const resetProp = consumerProps.get('auto.offset.reset');
  if (resetProp !== undefined) {
    if (fromBeginning && resetProp !== 'earliest') {
      throw new UsageError(`Can't simultaneously specify --from-beginning and 'auto.offset.reset=${resetProp}', please remove one option`);
    }
    if (resetProp !== 'earliest' && resetProp !== 'latest' && resetProp !== 'none') {
      throw new UsageError(`Invalid value ${resetProp} for configuration auto.offset.reset: String must be one of: latest, earliest, none`);
    }
    reset = resetProp;
  }

  let start: StartAt = reset === 'earliest' ? 'earliest' : 'latest';
  if (offsetText !== undefined) {
    const o = offsetText.toLowerCase();
    if (o === 'earliest' || o === 'latest') start = o;
    else if (/^\d+$/.test(offsetText)) start = BigInt(offsetText);
    else throw new UsageError(`The provided offset value '${offsetText}' is incorrect. Valid values are 'earliest', 'latest', or a non-negative long.`);
  }
  const partition = partitionText === undefined ? undefined : parseIntArg(partitionText, 'partition');
  const maxMessages = int(opts, 'maxMessages', 'max-messages') ?? -1;
  const timeoutMsArg = int(opts, 'timeoutMs', 'timeout-ms');
  const timeoutMs = timeoutMsArg === undefined || timeoutMsArg < 0 ? Infinity : timeoutMsArg;

  const isolation = str(opts, 'isolationLevel') ?? consumerProps.get('isolation.level') ?? 'read_uncommitted';
  if (isolation !== 'read_uncommitted' && isolation !== 'read_committed') {
    throw new UsageError(`Invalid value ${isolation} for configuration isolation.level: String must be one of: read_committed, read_uncommitted`);
  }

  const formatterName = str(opts, 'formatter');
  const noop = formatterName !== undefined && NOOP_FORMATTERS.has(formatterName);
  if (formatterName !== undefined && !noop && !DEFAULT_FORMATTERS.has(formatterName)) {
    throw new UsageError(`Formatter ${formatterName} is not available in Samsa; use the default formatter with --property`);
  }
  const formatterFile = str(opts, 'formatterConfig');
  const formatterProps = formatterFile === undefined ? new Map<string, string>() : loadPropertiesFile(formatterFile);
  if (str(opts, 'keyDeserializer') !== undefined) formatterProps.set('key.deserializer', str(opts, 'keyDeserializer')!);
  if (str(opts, 'valueDeserializer') !== undefined) formatterProps.set('value.deserializer', str(opts, 'valueDeserializer')!);
  for (const [k, v] of parseKeyValues([...list(opts, 'property'), ...list(opts, 'formatterProperty')])) formatterProps.set(k, v);
  const formatter = formatterConfig(formatterProps);
  const skipOnError = flag(opts, 'skipMessageOnError');

  const autoCommit = (consumerProps.get('enable.auto.commit') ?? 'true').trim().toLowerCase() === 'true';
  const options = consumerOptions(
    {
      ...clientOptions(bootstrap, consumerProps, consumerProps.get('client.id') ?? 'console-consumer'),
      autoOffsetReset: reset,
      enableAutoCommit: autoCommit,
      isolationLevel: isolation,
    },
    consumerProps,
  );

  // ---------------------------------------------------------------------------
  let count = 0;
  let signal: NodeJS.Signals | null = null;
  let stdoutGone = false;
  const reportCount = (): void => printErr(`Processed a total of ${count} messages`);
  const removeShutdown = onShutdown((s) => {
    signal = s;
    // A second signal means "now".
    onShutdown(() => {
      reportCount();
      process.exit(s === 'SIGTERM' ? 143 : 130);
    });
  });
  process.stdout.on('error', () => {
    stdoutGone = true;
  });
  const signalExit = (): number => (signal === 'SIGTERM' ? 143 : 130);

  const consumer = await openConsumer(options, {
    ...(topic !== undefined ? { topic } : { include: includeListPattern(includeText!) }),
    ...(partition !== undefined ? { partition } : {}),
    ...(group !== undefined ? { group } : {}),
    start,
    allowAutoCreate: (consumerProps.get('allow.auto.create.topics') ?? 'true').trim().toLowerCase() === 'true',
    deadlineMs: Date.now() + timeoutMs,
    isCancelled: () => signal !== null,
  });
  if (consumer === null) {
    removeShutdown();
    reportCount();
    return signal === null ? 0 : signalExit();
  }

  let failure: unknown = null;
  try {
    let lastRecordMs = Date.now();
    while (signal === null && !stdoutGone && (maxMessages < 0 || count < maxMessages)) {
      const waitMs = Math.min(500, lastRecordMs + timeoutMs - Date.now());
      if (waitMs <= 0) break;
      // Never take more than we will print: what is taken counts as consumed for commits.
      const records = await consumer.poll({ timeoutMs: waitMs, ...(maxMessages >= 0 ? { maxRecords: maxMessages - count } : {}) });
      if (records.length > 0) lastRecordMs = Date.now();
      const chunks: Buffer[] = [];
      for (const r of records) {
        count++;
        try {
          if (!noop) chunks.push(formatRecord(formatter, r));
        } catch (error) {
          if (!skipOnError) {
            await flushOut(chunks);
            throw error;
          }
          printErr(`Error processing message, skipping this message: ${error instanceof Error ? error.message : String(error)}`);
        }
      }
      await flushOut(chunks);
      if (stdoutGone) printErr('Unable to write to standard out, closing consumer.');
    }
  } catch (error) {
    failure = error;
  } finally {
    // Everything printed is done with: an empty poll marks the last batch consumed, so that
    // close() commits it (with a group and auto-commit) before leaving the group.
    await consumer.poll({ timeoutMs: 0, maxRecords: 0 }).catch(() => []);
    await consumer.close().catch(() => {});
    removeShutdown();
  }
  reportCount();
  if (failure !== null) throw failure;
  if (signal !== null) return signalExit();
  return 0;
}

function flushOut(chunks: Buffer[]): Promise<void> {
  if (chunks.length === 0 || process.stdout.destroyed) return Promise.resolve();
  const data = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
  return new Promise((resolve) => {
    const ok = process.stdout.write(data, () => {
      if (ok) resolve();
    });
    if (!ok) process.stdout.once('drain', () => resolve());
  });
}

runTool(main, { errorPrefix: 'Error processing message, terminating consumer process: ' });
