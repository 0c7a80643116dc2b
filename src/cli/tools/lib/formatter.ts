/**
 * Kafka's DefaultMessageFormatter as a function: which parts of a record to
 * print (print.timestamp, print.partition, print.offset, print.headers,
 * print.key, print.value), the separators between them and what a null looks
 * like, and the deserializers a user can name by Kafka's class names.
 */
import { UsageError } from './common.js';
import type { RecordHeader } from '../../../protocol/records/record.js';

export type Deserializer = (bytes: Buffer) => string;

/** What the formatter needs of a consumed record. */
export interface FormattableRecord {
  partition: number;
  offset: bigint;
  timestamp: number;
  /** 0 or 'CreateTime' (the default), 1 or 'LogAppendTime' (the client's ConsumerMessage says it by name). */
  timestampType?: number | 'CreateTime' | 'LogAppendTime';
  key: Buffer | null;
  value: Buffer | null;
  headers: RecordHeader[];
}

export interface FormatterConfig {
  printTimestamp: boolean;
  printKey: boolean;
  printValue: boolean;
  printPartition: boolean;
  printOffset: boolean;
  printHeaders: boolean;
  keySeparator: Buffer;
  lineSeparator: Buffer;
  headersSeparator: Buffer;
  nullLiteral: Buffer;
  keyDeserializer: Deserializer | null;
  valueDeserializer: Deserializer | null;
  headersDeserializer: Deserializer | null;
}

const SERIALIZATION = 'org.apache.kafka.common.serialization.';

/** Deserializers by Kafka class name (package optional). Unknown names are a usage error. */
export function deserializerByName(name: string): Deserializer {
  const simple = name.startsWith(SERIALIZATION) ? name.slice(SERIALIZATION.length) : name;
  const sized = (size: number, read: (b: Buffer) => string): Deserializer => (b) => {
    if (b.length !== size) throw new Error(`Size of data received by ${simple} is not ${size}`);
    return read(b);
  };
  switch (simple) {
    case 'StringDeserializer':
    case 'ByteArrayDeserializer':
    case 'BytesDeserializer':
    case 'ByteBufferDeserializer':
      return (b) => b.toString('utf8');
    case 'LongDeserializer':
      return sized(8, (b) => b.readBigInt64BE(0).toString());
    case 'IntegerDeserializer':
      return sized(4, (b) => String(b.readInt32BE(0)));
    case 'ShortDeserializer':
      return sized(2, (b) => String(b.readInt16BE(0)));
    case 'DoubleDeserializer':
      return sized(8, (b) => javaDouble(b.readDoubleBE(0)));
    case 'FloatDeserializer':
      return sized(4, (b) => javaDouble(b.readFloatBE(0)));
    case 'BooleanDeserializer':
      return sized(1, (b) => (b[0] === 0 ? 'false' : 'true'));
    case 'UUIDDeserializer':
      return (b) => b.toString('utf8');
    case 'VoidDeserializer':
      return () => 'null';
    default:
      throw new UsageError(`Unable to instantiate a deserializer from ${name}: only Kafka's built-in deserializers are available in Samsa`);
  }
}

function javaDouble(n: number): string {
  if (Number.isInteger(n) && Math.abs(n) < 1e7) return n.toFixed(1);
  return String(n);
}

export function formatterConfig(props: Map<string, string>): FormatterConfig {
  const bool = (name: string, dflt: boolean): boolean => {
    const v = props.get(name);
    return v === undefined ? dflt : v.trim().toLowerCase() === 'true';
  };
  const bytes = (name: string, dflt: string): Buffer => Buffer.from(props.get(name) ?? dflt, 'utf8');
  const deser = (name: string): Deserializer | null => {
    const v = props.get(name);
    return v === undefined || v === '' ? null : deserializerByName(v);
  };
  return {
    printTimestamp: bool('print.timestamp', false),
    printKey: bool('print.key', false),
    printValue: bool('print.value', true),
    printPartition: bool('print.partition', false),
    printOffset: bool('print.offset', false),
    printHeaders: bool('print.headers', false),
    keySeparator: bytes('key.separator', '\t'),
    lineSeparator: bytes('line.separator', '\n'),
    headersSeparator: bytes('headers.separator', ','),
    nullLiteral: bytes('null.literal', 'null'),
    keyDeserializer: deser('key.deserializer'),
    valueDeserializer: deser('value.deserializer'),
    headersDeserializer: deser('headers.deserializer'),
  };
}

function render(cfg: FormatterConfig, bytes: Buffer | null, deserializer: Deserializer | null): Buffer {
  const source = bytes ?? cfg.nullLiteral;
  return deserializer === null ? source : Buffer.from(deserializer(source), 'utf8');
}

/** One record as the bytes Kafka's console consumer prints for it. */
export function formatRecord(cfg: FormatterConfig, r: FormattableRecord): Buffer {
  const parts: Buffer[] = [];
  const sep = (more: boolean): void => {
    parts.push(more ? cfg.keySeparator : cfg.lineSeparator);
  };
  if (cfg.printTimestamp) {
    parts.push(Buffer.from(`${r.timestampType === 1 || r.timestampType === 'LogAppendTime' ? 'LogAppendTime' : 'CreateTime'}:${r.timestamp}`));
    sep(cfg.printPartition || cfg.printOffset || cfg.printHeaders || cfg.printKey || cfg.printValue);
  }
  if (cfg.printPartition) {
    parts.push(Buffer.from(`Partition:${r.partition}`));
    sep(cfg.printOffset || cfg.printHeaders || cfg.printKey || cfg.printValue);
  }
  if (cfg.printOffset) {
    parts.push(Buffer.from(`Offset:${r.offset}`));
    sep(cfg.printHeaders || cfg.printKey || cfg.printValue);
  }
  if (cfg.printHeaders) {
    if (r.headers.length === 0) parts.push(Buffer.from('NO_HEADERS'));
    r.headers.forEach((h, i) => {
      parts.push(Buffer.from(`${h.key}:`, 'utf8'), render(cfg, h.value, cfg.headersDeserializer));
      if (i < r.headers.length - 1) parts.push(cfg.headersSeparator);
    });
    sep(cfg.printKey || cfg.printValue);
  }
  if (cfg.printKey) {
    parts.push(render(cfg, r.key, cfg.keyDeserializer));
    sep(cfg.printValue);
  }
  if (cfg.printValue) {
    parts.push(render(cfg, r.value, cfg.valueDeserializer), cfg.lineSeparator);
  }
  return Buffer.concat(parts);
}
