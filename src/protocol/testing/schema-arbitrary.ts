/**
 * Test support: builds fast-check generators of random, valid messages for any
 * schema message at any version, straight from schema/. Used by the property
 * and robustness tests so that every API key and version is covered without a
 * hand-written generator per message.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import type { SchemaField, SchemaMessage, VersionRange } from '../../../tools/codegen/schema-types.js';
import * as generated from '../generated/index.js';
import type { Reader } from '../primitives/reader.js';
import type { Writer } from '../primitives/writer.js';

export const schemaRoot = new URL('../../../../schema/', import.meta.url).pathname;

export interface LoadedSchemaMessage {
  folder: string;
  message: SchemaMessage;
  decode: (r: Reader, version: number) => unknown;
  encode: (w: Writer, version: number, message: unknown) => Writer;
}

export function loadSchemaMessages(): LoadedSchemaMessage[] {
  const codecs = generated as unknown as Record<string, unknown>;
  const out: LoadedSchemaMessage[] = [];
  for (const folder of ['messages', 'metadata', 'group-coordinator', 'transaction-coordinator', 'raft']) {
    for (const file of readdirSync(join(schemaRoot, folder)).sort()) {
      if (!file.endsWith('.json')) continue;
      const message = JSON.parse(readFileSync(join(schemaRoot, folder, file), 'utf8')) as SchemaMessage;
      const decode = codecs[`decode${message.name}`];
      const encode = codecs[`encode${message.name}`];
      if (typeof decode !== 'function' || typeof encode !== 'function') {
        throw new Error(`no generated codec for ${message.name}`);
      }
      out.push({
        folder,
        message,
        decode: decode as LoadedSchemaMessage['decode'],
        encode: encode as LoadedSchemaMessage['encode'],
      });
    }
  }
  return out;
}

function inRange(version: number, range: VersionRange | null | undefined): boolean {
  return range !== null && range !== undefined && version >= range[0] && version <= range[1];
}

export function camelCase(name: string): string {
  return name.charAt(0).toLowerCase() + name.slice(1);
}

const smallString = fc.string({ maxLength: 12, unit: 'grapheme' });
const smallBytes = fc.uint8Array({ maxLength: 24 }).map((a) => Buffer.from(a));
const uuid = fc.uint8Array({ minLength: 16, maxLength: 16 }).map((a) => Buffer.from(a).toString('base64url'));

function elementArbitrary(field: SchemaField, version: number, flexible: boolean): fc.Arbitrary<unknown> {
  switch (field.type) {
    case 'bool':
      return fc.boolean();
    case 'int8':
      return fc.integer({ min: -128, max: 127 });
    case 'int16':
      return fc.integer({ min: -32768, max: 32767 });
    case 'uint16':
      return fc.integer({ min: 0, max: 65535 });
    case 'int32':
      return fc.integer({ min: -2147483648, max: 2147483647 });
    case 'int64':
      return fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n });
    case 'float64':
      return fc.double({ noNaN: true });
    case 'uuid':
      return uuid;
    case 'string':
      return smallString;
    case 'bytes':
    case 'records':
      return smallBytes;
    case 'struct':
      return structArbitrary(field.fields!, version, flexible);
  }
}

function fieldArbitrary(field: SchemaField, version: number, flexible: boolean): fc.Arbitrary<unknown> {
  const element = elementArbitrary(field, version, flexible);
  const value = field.array ? fc.array(element, { maxLength: 3 }) : element;
  return inRange(version, field.nullableVersions) ? fc.option(value, { nil: null, freq: 4 }) : value;
}

/** Random values for exactly the fields present at `version`. */
export function structArbitrary(fields: SchemaField[], version: number, flexible: boolean): fc.Arbitrary<Record<string, unknown>> {
  const shape: Record<string, fc.Arbitrary<unknown>> = {};
  for (const field of fields) {
    if (!inRange(version, field.versions)) continue;
    shape[camelCase(field.name)] = fieldArbitrary(field, version, flexible);
  }
  return fc.record(shape);
}

export function messageArbitrary(message: SchemaMessage, version: number): fc.Arbitrary<Record<string, unknown>> {
  return structArbitrary(message.fields, version, inRange(version, message.flexibleVersions));
}

/**
 * Compares a decoded message with the generated input on the fields that
 * exist at `version`; fields of other versions hold defaults and are skipped.
 */
export function presentFieldsOf(fields: SchemaField[], version: number, value: unknown): unknown {
  if (value === null || typeof value !== 'object' || Buffer.isBuffer(value)) return value;
  const record = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const field of fields) {
    if (!inRange(version, field.versions)) continue;
    const key = camelCase(field.name);
    const v = record[key];
    if (field.type === 'struct' && v !== null && v !== undefined) {
      out[key] = field.array
        ? (v as unknown[]).map((e) => presentFieldsOf(field.fields!, version, e))
        : presentFieldsOf(field.fields!, version, v);
    } else {
      out[key] = v;
    }
  }
  return out;
}

/** Every (message, version) pair in the schema. */
export function allMessageVersions(messages: LoadedSchemaMessage[]): { loaded: LoadedSchemaMessage; version: number }[] {
  const pairs: { loaded: LoadedSchemaMessage; version: number }[] = [];
  for (const loaded of messages) {
    for (let v = loaded.message.versions[0]; v <= loaded.message.versions[1]; v++) pairs.push({ loaded, version: v });
  }
  return pairs;
}
