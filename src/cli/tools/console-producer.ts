/**
 * kafka-console-producer.sh: reads lines from stdin and sends each as a
 * record. Kafka's flags and defaults (linger 1000 ms via --timeout, acks -1,
 * request timeout 1500 ms, 3 retries), Kafka's line reader properties
 * (parse.key, key.separator, parse.headers, headers.delimiter,
 * headers.separator, headers.key.separator, null.marker, ignore.error), and
 * a ">" prompt only when stdin and stdout are both a terminal.
 *
 * Exit: 0 when every record was acknowledged; 1 when a send failed (each
 * failure is one line on stderr) or a line could not be parsed; 130 after
 * Ctrl-C (records read so far are still flushed first).
 */
import { createInterface } from 'node:readline';
import type { Producer, ProducerRecord } from '../../client/producer.js';
import {
  ToolError,
  UsageError,
  collect,
  createProgram,
  describeError,
  flag,
  int,
  list,
  mergedProperties,
  onShutdown,
  parseKeyValues,
  loadPropertiesFile,
  parseProgram,
  printErr,
  runTool,
  str,
} from './lib/common.js';
import { connectProducer, parseCompression, producerOptions } from './lib/producer-config.js';

/** Sends not yet acknowledged, beyond which reading stdin waits. */
const IN_FLIGHT_MAX = 10_000;

interface ReaderConfig {
  parseKey: boolean;
  keySeparator: string;
  parseHeaders: boolean;
  headersDelimiter: string;
  headersSeparator: RegExp;
  headersKeySeparator: string;
  ignoreError: boolean;
  nullMarker: string | undefined;
}

function readerConfig(props: Map<string, string>): ReaderConfig {
  const bool = (name: string): boolean => (props.get(name) ?? 'false').trim().toLowerCase() === 'true';
  const keySeparator = props.get('key.separator') ?? '\t';
  const headersDelimiter = props.get('headers.delimiter') ?? '\t';
  const headersSeparatorText = props.get('headers.separator') ?? ',';
  const headersKeySeparator = props.get('headers.key.separator') ?? ':';
  const nullMarker = props.get('null.marker');
  const fail = (message: string): never => {
    throw new UsageError(message);
  };
  if (headersDelimiter === headersSeparatorText) fail('headers.delimiter and headers.separator may not be equal');
  if (headersDelimiter === headersKeySeparator) fail('headers.delimiter and headers.key.separator may not be equal');
  if (headersSeparatorText === headersKeySeparator) fail('headers.separator and headers.key.separator may not be equal');
  if (nullMarker !== undefined) {
    if (keySeparator === nullMarker) fail('null.marker and key.separator may not be equal');
    if (headersSeparatorText === nullMarker) fail('null.marker and headers.separator may not be equal');
    if (headersDelimiter === nullMarker) fail('null.marker and headers.delimiter may not be equal');
    if (headersKeySeparator === nullMarker) fail('null.marker and headers.key.separator may not be equal');
  }
  let headersSeparator: RegExp;
  try {
    // Kafka treats headers.separator as a regular expression.
    headersSeparator = new RegExp(headersSeparatorText);
  } catch {
    throw new UsageError(`headers.separator '${headersSeparatorText}' is not a valid regular expression`);
  }
  return {
    parseKey: bool('parse.key'),
    keySeparator,
    parseHeaders: bool('parse.headers'),
    headersDelimiter,
    headersSeparator,
    headersKeySeparator,
    ignoreError: bool('ignore.error'),
    nullMarker,
  };
}

/** Splits one input line into headers, key and value, the way Kafka's LineMessageReader does. */
export function parseLine(
  cfg: ReaderConfig,
  topic: string,
  line: string,
  lineNumber: number,
): ProducerRecord {
  const cut = (enabled: boolean, start: number, separator: string, what: string): string | null => {
    if (!enabled) return null;
    const at = line.indexOf(separator, start);
    if (at < 0) {
      if (cfg.ignoreError) return null;
      throw new ToolError(`No ${what} found on line number ${lineNumber}: '${line}'`);
    }
    return line.slice(start, at);
  };
  const headers = cut(cfg.parseHeaders, 0, cfg.headersDelimiter, 'headers delimiter');
  const headerOffset = headers === null ? 0 : headers.length + cfg.headersDelimiter.length;
  const key = cut(cfg.parseKey, headerOffset, cfg.keySeparator, 'key separator');
  const keyOffset = key === null ? 0 : key.length + cfg.keySeparator.length;
  const value = line.slice(headerOffset + keyOffset);
  const record: ProducerRecord = {
    topic,
    key: key !== null && key !== cfg.nullMarker ? Buffer.from(key, 'utf8') : null,
    value: value !== cfg.nullMarker ? Buffer.from(value, 'utf8') : null,
  };
  if (headers !== null && headers !== cfg.nullMarker) {
    const out: Array<{ key: string; value: Buffer | null }> = [];
    for (const pair of headers.split(cfg.headersSeparator)) {
      const at = pair.indexOf(cfg.headersKeySeparator);
      if (at < 0) {
        if (cfg.ignoreError) {
          out.push({ key: pair, value: null });
          continue;
        }
        throw new ToolError(`No header key separator found in pair '${pair}' on line number ${lineNumber}`);
      }
      const headerKey = pair.slice(0, at);
      if (headerKey === cfg.nullMarker) {
        throw new ToolError(`Header keys should not be equal to the null marker '${cfg.nullMarker}' as they can't be null`);
      }
      const headerValue = pair.slice(at + cfg.headersKeySeparator.length);
      out.push({ key: headerKey, value: headerValue === cfg.nullMarker ? null : Buffer.from(headerValue, 'utf8') });
    }
    record.headers = out;
  }
  return record;
}

export async function main(argv: string[]): Promise<number> {
  const program = createProgram('kafka-console-producer.sh', 'This tool helps to read data from standard input and publish it to Kafka.')
    .option('--topic <topic>', 'REQUIRED: The topic id to produce messages to.')
    .option('--bootstrap-server <server to connect to>', 'REQUIRED unless --broker-list(deprecated) is specified. The server(s) to connect to.')
    .option('--broker-list <broker-list>', 'DEPRECATED, use --bootstrap-server instead; ignored if --bootstrap-server is specified.')
    .option('--sync', 'If set message send requests to the brokers are synchronously, one at a time as they arrive.')
    .option('--compression-codec [compression-codec]', "The compression codec: either 'none', 'gzip', 'snappy', 'lz4', or 'zstd'. If specified without value, then it defaults to 'gzip'")
    .option('--batch-size <size>', 'Number of bytes in a batch if they are not being sent synchronously (batch.size).')
    .option('--message-send-max-retries <retries>', 'Number of retries before the producer gives up on a message (retries). Default 3.')
    .option('--retry-backoff-ms <ms>', 'Wait before each retry (retry.backoff.ms). Default 100.')
    .option('--timeout <timeout_ms>', 'How long a message waits for a batch to fill (linger.ms). Default 1000.')
    .option('--request-required-acks <request required acks>', 'The required `acks` of the producer requests. Default -1.')
    .option('--request-timeout-ms <request timeout ms>', 'The ack timeout of the producer requests. Default 1500.')
    .option('--metadata-expiry-ms <metadata expiration interval>', 'Metadata refresh interval (metadata.max.age.ms). Default 300000.')
    .option('--max-block-ms <max block on send>', 'The max time that the producer will block for during a send request. Default 60000.')
    .option('--max-memory-bytes <total memory in bytes>', 'Memory for buffering records (buffer.memory). Default 33554432.')
    .option('--max-partition-memory-bytes <memory in bytes per partition>', 'batch.size. Default 16384.')
    .option('--socket-buffer-size <size>', 'Accepted for compatibility; ignored.')
    .option('--line-reader <reader_class>', 'Only the default line reader is supported.')
    .option('--property <prop>', 'Line reader properties: parse.key, key.separator, parse.headers, headers.delimiter, headers.separator, headers.key.separator, null.marker, ignore.error.', collect)
    .option('--reader-property <prop>', 'Same as --property.', collect)
    .option('--reader-config <config file>', 'Config properties file for the message reader.')
    .option('--producer-property <producer_prop>', 'Producer config properties in the form key=value.', collect)
    .option('--command-property <producer_prop>', 'Same as --producer-property.', collect)
    .option('--producer.config <config file>', 'Producer config properties file.')
    .option('--command-config <config file>', 'Same as --producer.config.');
  const opts = parseProgram(program, argv);
  const topic = str(opts, 'topic');
  if (topic === undefined) throw new UsageError('Missing required argument "[topic]"');
  const bootstrap = str(opts, 'bootstrapServer') ?? str(opts, 'brokerList');
  if (bootstrap === undefined) throw new UsageError('Missing required argument "[bootstrap-server]"');
  const lineReader = str(opts, 'lineReader');
  if (lineReader !== undefined && !/LineMessageReader$/.test(lineReader)) {
    throw new UsageError(`Line reader ${lineReader} is not supported by Samsa; only the default line reader is`);
  }

  // Kafka's console-producer defaults, then the file, then --producer-property, then explicit flags.
  const props = new Map<string, string>([
    ['linger.ms', '1000'],
    ['request.timeout.ms', '1500'],
    ['retries', '3'],
    ['acks', '-1'],
  ]);
  for (const [k, v] of mergedProperties(str(opts, 'producer.config') ?? str(opts, 'commandConfig'), [
    ...list(opts, 'producerProperty'),
    ...list(opts, 'commandProperty'),
  ])) {
    props.set(k, v);
  }
  const explicit: Array<[string, string]> = [
    ['batchSize', 'batch.size'],
    ['maxPartitionMemoryBytes', 'batch.size'],
    ['messageSendMaxRetries', 'retries'],
    ['retryBackoffMs', 'retry.backoff.ms'],
    ['timeout', 'linger.ms'],
    ['requestRequiredAcks', 'acks'],
    ['requestTimeoutMs', 'request.timeout.ms'],
    ['metadataExpiryMs', 'metadata.max.age.ms'],
    ['maxBlockMs', 'max.block.ms'],
    ['maxMemoryBytes', 'buffer.memory'],
  ];
  for (const [flagKey, prop] of explicit) {
    const v = str(opts, flagKey);
    if (v === undefined) continue;
    if (prop !== 'acks') int(opts, flagKey, flagKey.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`));
    props.set(prop, v);
  }
  const codec = opts['compressionCodec'];
  if (codec !== undefined) props.set('compression.type', codec === true ? 'gzip' : parseCompression(String(codec)));

  const readerProps = str(opts, 'readerConfig') === undefined ? new Map<string, string>() : loadPropertiesFile(str(opts, 'readerConfig')!);
  for (const [k, v] of parseKeyValues([...list(opts, 'property'), ...list(opts, 'readerProperty')])) readerProps.set(k, v);
  const cfg = readerConfig(readerProps);
  const sync = flag(opts, 'sync');
  // One record at a time: a batch never fills, so only an explicit linger should hold it back.
  if (sync && str(opts, 'timeout') === undefined && props.get('linger.ms') === '1000') props.set('linger.ms', '0');

  const producer = await connectProducer(producerOptions(bootstrap, props, 'console-producer'));
  return produceLines(producer, topic, cfg, sync);
}

async function produceLines(producer: Producer, topic: string, cfg: ReaderConfig, sync: boolean): Promise<number> {
  const prompt = process.stdin.isTTY === true && process.stdout.isTTY === true;
  let failures = 0;
  let inFlight = 0;
  let wakeReader: (() => void) | null = null;
  let interrupted = false;
  let parseError: unknown = null;

  const rl = createInterface({ input: process.stdin, crlfDelay: Infinity, terminal: false });
  const removeShutdown = onShutdown(() => {
    interrupted = true;
    rl.close();
  });

  const report = (record: ProducerRecord, error: unknown): void => {
    failures++;
    const keyText = record.key === null || record.key === undefined ? 'null' : `${Buffer.byteLength(record.key)} bytes`;
    const valueText = record.value === null ? 'null' : `${Buffer.byteLength(record.value)} bytes`;
    printErr(`Error when sending message to topic ${topic} with key: ${keyText}, value: ${valueText} with error: ${describeError(error)}`);
  };

  let lineNumber = 0;
  try {
    const lines = rl[Symbol.asyncIterator]();
    for (;;) {
      lineNumber++;
      if (prompt) process.stdout.write('>');
      const next = await lines.next();
      if (next.done === true) break;
      const record = parseLine(cfg, topic, next.value, lineNumber);
      if (sync) {
        try {
          await producer.send(record);
        } catch (error) {
          report(record, error);
          throw new ToolError(`Failed to send line ${lineNumber}: ${describeError(error)}`);
        }
        continue;
      }
      inFlight++;
      producer.send(record).then(
        () => {},
        (error: unknown) => report(record, error),
      ).finally(() => {
        inFlight--;
        if (wakeReader !== null && (inFlight < IN_FLIGHT_MAX / 2 || inFlight === 0)) {
          const wake = wakeReader;
          wakeReader = null;
          wake();
        }
      });
      if (inFlight >= IN_FLIGHT_MAX) await new Promise<void>((resolve) => (wakeReader = resolve));
    }
  } catch (error) {
    parseError = error;
  } finally {
    rl.close();
    if (prompt && !interrupted) process.stdout.write('\n');
    // flush() sends what is batched now; sends still looking up metadata join a batch later.
    for (;;) {
      await producer.flush().catch(() => {});
      if (inFlight === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    await producer.close().catch(() => {});
    removeShutdown();
  }
  if (parseError !== null) {
    if (parseError instanceof ToolError && failures > 0) return 1;
    throw parseError;
  }
  if (interrupted) return 130;
  return failures > 0 ? 1 : 0;
}

runTool(main);
