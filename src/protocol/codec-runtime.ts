/**
 * Small helpers shared by the generated codecs in generated/. Kept by hand so
 * the generated files stay short; every helper checks lengths through Reader.
 */
import { DecodeError } from './primitives/decode-error.js';
import type { Reader } from './primitives/reader.js';
import { Writer } from './primitives/writer.js';

/** Kafka's all-zero Uuid in its base64url form. */
export const ZERO_UUID = 'AAAAAAAAAAAAAAAAAAAAAA';

export const EMPTY_BUFFER: Buffer = Buffer.alloc(0);

export function readNullableArray<T>(
  r: Reader,
  flexible: boolean,
  minElementBytes: number,
  readItem: (r: Reader) => T,
): T[] | null {
  const length = flexible ? r.readCompactArrayLength(minElementBytes) : r.readArrayLength(minElementBytes);
  if (length === null) return null;
  const items: T[] = [];
  for (let i = 0; i < length; i++) items.push(readItem(r));
  return items;
}

export function readArray<T>(r: Reader, flexible: boolean, minElementBytes: number, readItem: (r: Reader) => T): T[] {
  const items = readNullableArray(r, flexible, minElementBytes, readItem);
  if (items === null) throw new DecodeError('null value for a non-nullable array');
  return items;
}

export function writeNullableArray<T>(
  w: Writer,
  flexible: boolean,
  items: readonly T[] | null,
  writeItem: (w: Writer, item: T) => void,
): void {
  if (flexible) w.writeCompactArrayLength(items === null ? null : items.length);
  else w.writeArrayLength(items === null ? null : items.length);
  if (items !== null) for (const item of items) writeItem(w, item);
}

export function writeArray<T>(
  w: Writer,
  flexible: boolean,
  items: readonly T[] | null,
  writeItem: (w: Writer, item: T) => void,
  fieldName: string,
): void {
  writeNullableArray(w, flexible, nonNull(items, fieldName), writeItem);
}

/** Writes one tagged field: tag, size, then the value encoded on its own. */
export function writeTaggedField(w: Writer, tag: number, writeValue: (w: Writer) => void): void {
  const inner = new Writer(64);
  writeValue(inner);
  w.writeUVarint(tag);
  w.writeUVarint(inner.length);
  for (const chunk of inner.toChunks()) w.writeRaw(chunk);
}

/** Encoding null where the version does not allow it is a caller bug, reported by field name. */
export function nonNull<T>(value: T | null, fieldName: string): T {
  if (value === null) throw new TypeError(`${fieldName} may not be null in this version`);
  return value;
}
