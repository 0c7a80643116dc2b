/**
 * kafka-producer-perf-test.sh: sends --num-records records of --record-size
 * bytes (or lines from --payload-file) at up to --throughput records/s (-1:
 * as fast as possible) and prints Kafka's lines: every 5 s
 *   "N records sent, R records/sec (M MB/sec), A ms avg latency, X ms max latency."
 * and at the end
 *   "N records sent, R records/sec (M MB/sec), A ms avg latency, X ms max latency, a ms 50th, b ms 95th, c ms 99th, d ms 99.9th."
 */
import { readFileSync } from 'node:fs';
import type { Producer } from '../../client/producer.js';
import {
  UsageError,
  createProgram,
  describeError,
  flag,
  loadPropertiesFile,
  parseIntArg,
  parseKeyValues,
  parseProgram,
  printErr,
  runTool,
  str,
  writeOut,
} from './lib/common.js';
import { connectProducer, producerOptions } from './lib/producer-config.js';

const REPORT_INTERVAL_MS = 5000;
const IN_FLIGHT_MAX = 50_000;
const LATENCY_SAMPLES_MAX = 500_000;

class Stats {
  private readonly start = Date.now();
  private windowStart = Date.now();
  private readonly latencies: Int32Array;
  private readonly sampling: number;
  private index = 0;
  count = 0;
  private bytes = 0;
  private maxRecordBytes = 0;
  private maxLatency = 0;
  private totalLatency = 0;
  private windowCount = 0;
  private windowMaxLatency = 0;
  private windowTotalLatency = 0;
  private windowBytes = 0;

  constructor(numRecords: number) {
    this.sampling = Math.max(1, Math.floor(numRecords / Math.min(numRecords, LATENCY_SAMPLES_MAX)));
    this.latencies = new Int32Array(Math.ceil(numRecords / this.sampling) + 1);
  }

  record(iteration: number, latencyMs: number, bytes: number): string | null {
    this.count++;
    this.bytes += bytes;
    this.maxRecordBytes = Math.max(this.maxRecordBytes, bytes);
    this.totalLatency += latencyMs;
    this.maxLatency = Math.max(this.maxLatency, latencyMs);
    this.windowCount++;
    this.windowBytes += bytes;
    this.windowTotalLatency += latencyMs;
    this.windowMaxLatency = Math.max(this.windowMaxLatency, latencyMs);
    if (iteration % this.sampling === 0 && this.index < this.latencies.length) this.latencies[this.index++] = latencyMs;
    if (Date.now() - this.windowStart >= REPORT_INTERVAL_MS) {
      const line = this.windowLine();
      this.windowStart = Date.now();
      this.windowCount = 0;
      this.windowMaxLatency = 0;
      this.windowTotalLatency = 0;
      this.windowBytes = 0;
      return line;
    }
    return null;
  }

  private windowLine(): string {
    const elapsed = Math.max(1, Date.now() - this.windowStart);
    const recsPerSec = (1000 * this.windowCount) / elapsed;
    const mbPerSec = (1000 * this.windowBytes) / elapsed / (1024 * 1024);
    return (
      `${this.windowCount} records sent, ${recsPerSec.toFixed(1)} records/sec (${mbPerSec.toFixed(2)} MB/sec), ` +
      `${(this.windowTotalLatency / Math.max(1, this.windowCount)).toFixed(1)} ms avg latency, ${this.windowMaxLatency.toFixed(1)} ms max latency.`
    );
  }

  /**
   * What --print-metrics shows: Kafka's producer metric names for what this
   * tool measures itself (the Samsa client keeps no metrics registry yet).
   * Latency here is each record's send-to-acknowledgement time.
   */
  metrics(failures: number): Map<string, number> {
    const seconds = Math.max(1, Date.now() - this.start) / 1000;
    return new Map([
      ['record-send-total', this.count],
      ['record-send-rate', this.count / seconds],
      ['record-error-total', failures],
      ['record-error-rate', failures / seconds],
      ['record-size-avg', this.bytes / Math.max(1, this.count)],
      ['record-size-max', this.maxRecordBytes],
      ['byte-rate', this.bytes / seconds],
      ['request-latency-avg', this.totalLatency / Math.max(1, this.count)],
      ['request-latency-max', this.maxLatency],
    ]);
  }

  totalLine(): string {
    const elapsed = Math.max(1, Date.now() - this.start);
    const recsPerSec = (1000 * this.count) / elapsed;
    const mbPerSec = (1000 * this.bytes) / elapsed / (1024 * 1024);
    const sorted = this.latencies.slice(0, this.index).sort();
    const pct = (p: number): number => (sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!);
    return (
      `${this.count} records sent, ${recsPerSec.toFixed(6)} records/sec (${mbPerSec.toFixed(2)} MB/sec), ` +
      `${(this.totalLatency / Math.max(1, this.count)).toFixed(2)} ms avg latency, ${this.maxLatency.toFixed(2)} ms max latency, ` +
      `${pct(0.5)} ms 50th, ${pct(0.95)} ms 95th, ${pct(0.99)} ms 99th, ${pct(0.999)} ms 99.9th.`
    );
  }
}

export async function main(argv: string[]): Promise<number> {
  const program = createProgram('kafka-producer-perf-test.sh', 'This tool is used to verify the producer performance.')
    .option('--topic <TOPIC>', 'produce messages to this topic')
    .option('--num-records <NUM-RECORDS>', 'number of messages to produce')
    .option('--record-size <RECORD-SIZE>', 'message size in bytes. Note that you must provide exactly one of --record-size or --payload-file.')
    .option('--payload-file <PAYLOAD-FILE>', 'file to read the message payloads from, one per --payload-delimiter.')
    .option('--payload-delimiter <PAYLOAD-DELIMITER>', 'delimiter to split the payload file by (default \\n)')
    .option('--payload-monotonic', 'payload is the record number as a string, incrementing from 1')
    .option('--throughput <THROUGHPUT>', 'throttle maximum message throughput to *approximately* THROUGHPUT messages/sec. Set this to -1 to disable throttling.')
    .option('--producer-props <PROP-NAME=PROP-VALUE...>', 'kafka producer related configuration properties like bootstrap.servers, client.id etc.')
    .option('--producer.config <CONFIG-FILE>', 'producer config properties file.')
    .option('--command-property <PROP-NAME=PROP-VALUE...>', 'Same as --producer-props.')
    .option('--command-config <CONFIG-FILE>', 'Same as --producer.config.')
    .option('--bootstrap-server <BOOTSTRAP-SERVERS>', 'The server(s) to connect to (bootstrap.servers).')
    .option('--print-metrics', 'print out metrics at the end of the test.')
    .option('--transactional-id <TRANSACTIONAL-ID>', 'The transactional id to use (transactions are not supported by this tool in Samsa yet).')
    .option('--transaction-duration-ms <DURATION>', 'Accepted for compatibility.');
  const opts = parseProgram(program, argv);
  const need = (key: string, flagName: string): string => {
    const v = str(opts, key);
    if (v === undefined) throw new UsageError(`argument --${flagName} is required`);
    return v;
  };
  const topic = need('topic', 'topic');
  const numRecords = parseIntArg(need('numRecords', 'num-records'), 'num-records');
  const throughput = Number(need('throughput', 'throughput'));
  if (!Number.isFinite(throughput)) throw new UsageError(`argument --throughput: could not convert '${str(opts, 'throughput')}' to Double`);
  const recordSizeText = str(opts, 'recordSize');
  const payloadFile = str(opts, 'payloadFile');
  const monotonic = flag(opts, 'payloadMonotonic');
  if ([recordSizeText !== undefined, payloadFile !== undefined, monotonic].filter(Boolean).length !== 1) {
    throw new UsageError('Either --record-size or --payload-file or --payload-monotonic must be specified but not more than one.');
  }
  if (str(opts, 'transactionalId') !== undefined) throw new UsageError('--transactional-id is not supported by Samsa\'s producer perf test yet');

  const propsValue = opts['producerProps'] ?? opts['commandProperty'];
  const propList = Array.isArray(propsValue) ? (propsValue as string[]) : [];
  const file = str(opts, 'producer.config') ?? str(opts, 'commandConfig');
  if (propList.length === 0 && file === undefined && str(opts, 'bootstrapServer') === undefined) {
    throw new UsageError('Either --producer-props or --producer.config must be specified.');
  }
  const props = file === undefined ? new Map<string, string>() : loadPropertiesFile(file);
  for (const [k, v] of parseKeyValues(propList)) props.set(k, v);

  let payloads: Buffer[] = [];
  let payload: Buffer | null = null;
  if (recordSizeText !== undefined) {
    const size = parseIntArg(recordSizeText, 'record-size');
    payload = Buffer.alloc(size);
    for (let i = 0; i < size; i++) payload[i] = 65 + Math.floor(Math.random() * 26);
  } else if (payloadFile !== undefined) {
    const delimiter = (str(opts, 'payloadDelimiter') ?? '\\n').replace(/\\n/g, '\n').replace(/\\t/g, '\t');
    let text: string;
    try {
      text = readFileSync(payloadFile, 'utf8');
    } catch {
      throw new UsageError(`File does not exist or empty file provided: ${payloadFile}`);
    }
    payloads = text.split(delimiter).filter((s) => s !== '').map((s) => Buffer.from(s, 'utf8'));
    if (payloads.length === 0) throw new UsageError(`File does not exist or empty file provided: ${payloadFile}`);
    await writeOut(`Reading payloads from: ${payloadFile}\nNumber of messages read: ${payloads.length}\n`);
  }

  const clientId = props.get('client.id') ?? 'perf-producer-client';
  const producer = await connectProducer(producerOptions(str(opts, 'bootstrapServer'), props, 'perf-producer-client'));
  const { code, metrics } = await run(producer, topic, numRecords, throughput, (i) => payload ?? (monotonic ? Buffer.from(String(i + 1)) : payloads[Math.floor(Math.random() * payloads.length)]!));
  if (flag(opts, 'printMetrics')) await writeOut(formatMetrics(metrics, clientId));
  return code;
}

async function run(
  producer: Producer,
  topic: string,
  numRecords: number,
  throughput: number,
  next: (i: number) => Buffer,
): Promise<{ code: number; metrics: Map<string, number> }> {
  const stats = new Stats(numRecords);
  let inFlight = 0;
  let failures = 0;
  let firstError: unknown = null;
  let wake: (() => void) | null = null;
  const start = Date.now();
  for (let i = 0; i < numRecords; i++) {
    const value = next(i);
    const sentMs = performance.now();
    inFlight++;
    producer.send({ topic, value }).then(
      () => {
        const line = stats.record(i, Math.round(performance.now() - sentMs), value.length);
        if (line !== null) process.stdout.write(`${line}\n`);
      },
      (error: unknown) => {
        failures++;
        firstError ??= error;
      },
    ).finally(() => {
      inFlight--;
      if (wake !== null && (inFlight < IN_FLIGHT_MAX / 2 || inFlight === 0)) {
        const w = wake;
        wake = null;
        w();
      }
    });
    if (inFlight >= IN_FLIGHT_MAX) await new Promise<void>((resolve) => (wake = resolve));
    if (throughput > 0) {
      const dueMs = start + ((i + 1) * 1000) / throughput;
      const aheadMs = dueMs - Date.now();
      if (aheadMs >= 2) await new Promise((resolve) => setTimeout(resolve, aheadMs));
    }
    // Let acknowledgements run now and then even when nothing waits.
    if (i % 1000 === 999) await new Promise((resolve) => setImmediate(resolve));
  }
  for (;;) {
    await producer.flush().catch(() => {});
    if (inFlight === 0) break;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  await producer.close().catch(() => {});
  await writeOut(`${stats.totalLine()}\n`);
  const metrics = stats.metrics(failures);
  if (failures > 0) {
    printErr(`${failures} records failed; the first error: ${describeError(firstError)}`);
    return { code: 1, metrics };
  }
  return { code: 0, metrics };
}

/** Kafka's metrics table: `group:name:{tags}` padded to the longest, then ` : value` with three decimals, sorted by name. */
function formatMetrics(metrics: Map<string, number>, clientId: string): string {
  const rows = [...metrics]
    .map(([name, value]) => [`producer-metrics:${name}:{client-id=${clientId}}`, value] as const)
    .sort((a, b) => a[0].localeCompare(b[0]));
  const width = Math.max('Metric Name'.length, ...rows.map(([name]) => name.length));
  const lines = [`\n${'Metric Name'.padEnd(width)}   Value`];
  for (const [name, value] of rows) lines.push(`${name.padEnd(width)} : ${value.toFixed(3)}`);
  return `${lines.join('\n')}\n`;
}

runTool(main);
