/**
 * Imports Kafka's machine-readable protocol definitions into Samsa's own schema
 * format (schema/). Run once when moving to a newer Kafka protocol:
 *   npm run import-schema -- ../shared/kafka-protocol
 * Only structure is kept: names, types, versions, nullability, tags and
 * defaults. Descriptions and comments are deliberately dropped.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DefaultValue, PrimitiveType, SchemaField, SchemaMessage, VersionRange } from './codegen/schema-types.js';

interface KafkaField {
  name: string;
  type: string;
  versions?: string;
  nullableVersions?: string;
  taggedVersions?: string;
  tag?: number;
  default?: string | number | boolean;
  flexibleVersions?: string;
  fields?: KafkaField[];
}

interface KafkaStruct {
  name: string;
  versions?: string;
  fields: KafkaField[];
}

interface KafkaMessage {
  name: string;
  type: string;
  apiKey?: number;
  validVersions: string;
  flexibleVersions?: string;
  latestVersionUnstable?: boolean;
  fields: KafkaField[];
  commonStructs?: KafkaStruct[];
}

const PRIMITIVES = new Set(['bool', 'int8', 'int16', 'uint16', 'int32', 'int64', 'float64', 'string', 'bytes', 'records', 'uuid']);
const FOLDERS = ['messages', 'metadata', 'group-coordinator', 'transaction-coordinator', 'raft'];

function stripComments(text: string): string {
  return text
    .split('\n')
    .map((line) => (/^\s*\/\//.test(line) ? '' : line))
    .join('\n');
}

/** Parses "3", "3+", "3-7" or "none" against the message's own valid range. */
function parseRange(text: string | undefined, valid: VersionRange): VersionRange | null {
  if (text === undefined || text === 'none') return null;
  let range: VersionRange;
  if (text.endsWith('+')) range = [Number(text.slice(0, -1)), valid[1]];
  else if (text.includes('-')) {
    const [a, b] = text.split('-');
    range = [Number(a), Number(b)];
  } else range = [Number(text), Number(text)];
  if (range.some((n) => !Number.isInteger(n))) throw new Error(`bad version range "${text}"`);
  const clipped: VersionRange = [Math.max(range[0], valid[0]), Math.min(range[1], valid[1])];
  return clipped[0] > clipped[1] ? null : clipped;
}

function parseDefault(raw: string | number | boolean | undefined, type: string): DefaultValue | undefined {
  if (raw === undefined) return undefined;
  if (typeof raw === 'boolean' || typeof raw === 'number') return type === 'int64' ? String(raw) : raw;
  if (raw === 'null') return null;
  switch (type) {
    case 'bool':
      return raw === 'true';
    case 'int8':
    case 'int16':
    case 'uint16':
    case 'int32':
    case 'float64':
      return Number(raw);
    case 'int64':
      return BigInt(raw).toString();
    default:
      return raw;
  }
}

function convertField(field: KafkaField, valid: VersionRange, common: Map<string, KafkaStruct>): SchemaField {
  const array = field.type.startsWith('[]');
  const baseType = array ? field.type.slice(2) : field.type;
  const isPrimitive = PRIMITIVES.has(baseType);
  const out: SchemaField = {
    name: field.name,
    type: isPrimitive ? (baseType as PrimitiveType) : 'struct',
    array,
    versions: parseRange(field.versions, valid),
  };
  if (!isPrimitive) {
    out.structName = baseType;
    const nested = field.fields ?? common.get(baseType)?.fields;
    if (nested === undefined) throw new Error(`struct ${baseType} of field ${field.name} is not defined`);
    out.fields = nested.map((f) => convertField(f, valid, common));
  }
  const nullable = parseRange(field.nullableVersions, valid);
  if (nullable) out.nullableVersions = nullable;
  const tagged = parseRange(field.taggedVersions, valid);
  if (tagged) {
    out.taggedVersions = tagged;
    out.tag = field.tag;
  }
  const def = parseDefault(field.default, baseType);
  if (def !== undefined) out.default = def;
  if (field.flexibleVersions === 'none') out.neverFlexible = true;
  return out;
}

function convertMessage(message: KafkaMessage): SchemaMessage {
  const validParts = message.validVersions.split('-').map(Number);
  const valid: VersionRange = [validParts[0]!, validParts[validParts.length - 1]!];
  const common = new Map((message.commonStructs ?? []).map((s) => [s.name, s]));
  const out: SchemaMessage = {
    name: message.name,
    kind: message.type as SchemaMessage['kind'],
    versions: valid,
    flexibleVersions: parseRange(message.flexibleVersions, valid),
    fields: message.fields.map((f) => convertField(f, valid, common)),
  };
  if (message.apiKey !== undefined) out.apiKey = message.apiKey;
  if (message.latestVersionUnstable) out.latestVersionUnstable = true;
  return out;
}

/** Pretty JSON with version pairs kept on one line, so schema diffs stay readable. */
function formatJson(value: unknown): string {
  return JSON.stringify(value, null, 1).replace(/\[\s*(-?\d+),\s*(-?\d+)\s*\]/g, '[$1, $2]');
}

function main(): void {
  const source = process.argv[2];
  if (!source) {
    console.error('usage: import-schema <path to kafka-protocol folder>');
    process.exit(2);
  }
  const schemaRoot = new URL('../../schema/', import.meta.url).pathname;
  let count = 0;
  for (const folder of FOLDERS) {
    const outDir = join(schemaRoot, folder);
    rmSync(outDir, { recursive: true, force: true });
    mkdirSync(outDir, { recursive: true });
    for (const file of readdirSync(join(source, folder)).sort()) {
      if (!file.endsWith('.json')) continue;
      const message = JSON.parse(stripComments(readFileSync(join(source, folder, file), 'utf8'))) as KafkaMessage;
      writeFileSync(join(outDir, file), formatJson(convertMessage(message)) + '\n');
      count++;
    }
  }
  console.log(`imported ${count} definitions into ${schemaRoot}`);
}

main();
