/**
 * kafka-consumer-perf-test.sh: consumes --messages records from --topic as a
 * member of a group and prints Kafka's summary:
 *
 *   start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec
 *   2026-01-01 10:00:00:000, 2026-01-01 10:00:01:000, 9.5367, 9.5367, 10000, 10000.0000, 120, 880, 10.8372, 11363.6364
 *
 * Stops early (with Kafka's warning) when no record arrives for --timeout ms.
 */
import {
  UsageError,
  createProgram,
  flag,
  loadPropertiesFile,
  parseIntArg,
  parseKeyValues,
  parseProgram,
  runTool,
  str,
  clientOptions,
  collect,
  list,
  writeOut,
} from './lib/common.js';
import { consumerOptions, waitForTopics } from './lib/subscription.js';
import { Consumer } from '../../client/consumer.js';

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/** Java's SimpleDateFormat("yyyy-MM-dd HH:mm:ss:SSS") in local time. */
function formatDate(ms: number): string {
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}:${pad(d.getMilliseconds(), 3)}`;
}

export async function main(argv: string[]): Promise<number> {
  const program = createProgram('kafka-consumer-perf-test.sh', 'This tool is used to verify the consumer performance.')
    .option('--bootstrap-server <server to connect to>', 'REQUIRED unless --broker-list(deprecated) is specified. The server(s) to connect to.')
    .option('--broker-list <broker-list>', 'DEPRECATED, use --bootstrap-server instead.')
    .option('--topic <topic>', 'REQUIRED: The topic to consume from.')
    .option('--group <gid>', 'The group id to consume on. Default: perf-consumer-<random>.')
    .option('--messages <count>', 'REQUIRED: The number of messages to consume.')
    .option('--num-records <count>', 'Same as --messages.')
    .option('--fetch-size <size>', 'The amount of data to fetch in a single request (max.partition.fetch.bytes). Default 1048576.')
    .option('--from-latest', 'If the consumer does not already have an established offset to consume from, start with the latest message present in the log rather than the earliest message.')
    .option('--socket-buffer-size <size>', 'Accepted for compatibility; ignored.')
    .option('--consumer.config <config file>', 'Consumer config properties file.')
    .option('--command-config <config file>', 'Same as --consumer.config.')
    .option('--command-property <prop>', 'Consumer config properties in the form key=value.', collect)
    .option('--print-metrics', 'Print out the metrics.')
    .option('--show-detailed-stats', 'If set, stats are reported for each reporting interval as configured by reporting-interval')
    .option('--reporting-interval <interval_ms>', 'Interval in milliseconds at which to print progress info. Default 5000.')
    .option('--date-format <date format>', 'Only the default format (yyyy-MM-dd HH:mm:ss:SSS) is supported.')
    .option('--hide-header', 'If set, skips printing the header for the stats')
    .option('--timeout <milliseconds>', 'The maximum allowed time in milliseconds between returned records. Default 10000.');
  const opts = parseProgram(program, argv);
  const bootstrap = str(opts, 'bootstrapServer') ?? str(opts, 'brokerList');
  if (bootstrap === undefined) throw new UsageError('Missing required argument "[bootstrap-server]"');
  const topic = str(opts, 'topic');
  if (topic === undefined) throw new UsageError('Missing required argument "[topic]"');
  const messagesText = str(opts, 'messages') ?? str(opts, 'numRecords');
  if (messagesText === undefined) throw new UsageError('Missing required argument "[messages]"');
  const messages = parseIntArg(messagesText, 'messages');
  const timeoutMs = str(opts, 'timeout') === undefined ? 10_000 : parseIntArg(str(opts, 'timeout')!, 'timeout');
  const reportingMs = str(opts, 'reportingInterval') === undefined ? 5000 : parseIntArg(str(opts, 'reportingInterval')!, 'reporting-interval');
  const detailed = flag(opts, 'showDetailedStats');
  const file = str(opts, 'consumer.config') ?? str(opts, 'commandConfig');
  const props = file === undefined ? new Map<string, string>() : loadPropertiesFile(file);
  for (const [k, v] of parseKeyValues(list(opts, 'commandProperty'))) props.set(k, v);
  if (str(opts, 'fetchSize') !== undefined) props.set('max.partition.fetch.bytes', str(opts, 'fetchSize')!);
  const group = str(opts, 'group') ?? props.get('group.id') ?? `perf-consumer-${Math.floor(Math.random() * 100_000)}`;

  const consumer = new Consumer(
    consumerOptions(
      {
        ...clientOptions(bootstrap, props, props.get('client.id') ?? 'perf-consumer-client'),
        groupId: group,
        autoOffsetReset: flag(opts, 'fromLatest') ? 'latest' : 'earliest',
        enableAutoCommit: (props.get('enable.auto.commit') ?? 'true') === 'true',
      },
      props,
    ),
  );
  const header =
    'start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec';
  const startMs = Date.now();
  let joinedMs = startMs;
  let count = 0;
  let bytes = 0;
  let timedOut = false;
  try {
    await consumer.connect();
    const topics = await waitForTopics(consumer.cluster, { topic, deadlineMs: Date.now() + timeoutMs, isCancelled: () => false });
    if (topics.length === 0) throw new UsageError(`Topic ${topic} does not exist`);
    await consumer.subscribe(topics);
    joinedMs = Date.now();
    if (!flag(opts, 'hideHeader')) {
      await writeOut(detailed ? 'time, threadId, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec\n' : `${header}\n`);
    }
    let lastRecordMs = Date.now();
    let lastReportMs = Date.now();
    let lastReportCount = 0;
    let lastReportBytes = 0;
    while (count < messages) {
      const batch = await consumer.poll({ timeoutMs: Math.min(1000, Math.max(1, lastRecordMs + timeoutMs - Date.now())), maxRecords: messages - count });
      const now = Date.now();
      if (batch.length === 0) {
        if (now - lastRecordMs >= timeoutMs) {
          timedOut = true;
          break;
        }
        continue;
      }
      lastRecordMs = now;
      for (const m of batch) {
        count++;
        bytes += (m.key?.length ?? 0) + (m.value?.length ?? 0);
      }
      if (detailed && now - lastReportMs >= reportingMs) {
        const elapsed = Math.max(1, now - lastReportMs);
        const mb = (bytes - lastReportBytes) / (1024 * 1024);
        await writeOut(
          `${formatDate(now)}, 0, ${(bytes / (1024 * 1024)).toFixed(4)}, ${((1000 * mb) / elapsed).toFixed(4)}, ${count}, ${((1000 * (count - lastReportCount)) / elapsed).toFixed(4)}, ${joinedMs - startMs}, ${elapsed}, ${((1000 * mb) / elapsed).toFixed(4)}, ${((1000 * (count - lastReportCount)) / elapsed).toFixed(4)}\n`,
        );
        lastReportMs = now;
        lastReportCount = count;
        lastReportBytes = bytes;
      }
    }
    await consumer.poll({ timeoutMs: 0, maxRecords: 0 }).catch(() => []);
  } finally {
    await consumer.close().catch(() => {});
  }
  const endMs = Date.now();
  if (timedOut) {
    await writeOut(
      `WARNING: Exiting before consuming the expected number of messages: timeout (${timeoutMs} ms) exceeded. You can use the --timeout option to increase the timeout.\n`,
    );
  }
  if (!detailed) {
    const mb = bytes / (1024 * 1024);
    const totalSec = Math.max(1, endMs - startMs) / 1000;
    const rebalanceMs = joinedMs - startMs;
    const fetchMs = Math.max(1, endMs - joinedMs);
    await writeOut(
      `${formatDate(startMs)}, ${formatDate(endMs)}, ${mb.toFixed(4)}, ${(mb / totalSec).toFixed(4)}, ${count}, ${(count / totalSec).toFixed(4)}, ` +
        `${rebalanceMs}, ${fetchMs}, ${((1000 * mb) / fetchMs).toFixed(4)}, ${((1000 * count) / fetchMs).toFixed(4)}\n`,
    );
  }
  if (flag(opts, 'printMetrics')) await writeOut('\nMetric Name                                                                  Value\n(consumer metrics are not collected by the Samsa client yet)\n');
  return 0;
}

runTool(main);
