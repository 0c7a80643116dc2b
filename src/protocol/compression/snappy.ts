/**
 * Snappy in the two shapes Kafka clients send.
 *
 * Raw: one snappy block, starting with the uncompressed length as a varint
 * (librdkafka and most non-Java clients when talking to new brokers accept and
 * produce the framed form below too, but some send raw).
 *
 * Xerial framing, what Java's snappy-java stream writes and what Kafka's own
 * broker emits: an 8-byte magic (0x82 "SNAPPY" 0x00), two int32 version
 * fields, then blocks of [int32 compressed length][raw snappy block]. Readers
 * recognise it by the magic; anything else is taken as raw.
 *
 * Every raw block states its uncompressed length up front, so the output limit
 * is checked before anything is allocated.
 */
import type * as Snappy from 'snappy';
import { DecompressionError, corruptInput, tooLarge } from './errors.js';
import { loadOnFirstUse } from './load-on-first-use.js';

const snappy = loadOnFirstUse<typeof Snappy>('snappy');

export const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
const XERIAL_HEADER_BYTES = 16;
const XERIAL_VERSION = 1;
const XERIAL_COMPATIBLE_VERSION = 1;
/** snappy-java's default block size; Java clients write blocks this size. */
export const XERIAL_BLOCK_BYTES = 32 * 1024;

export type SnappyFraming = 'xerial' | 'raw';

export function isXerialFramed(input: Buffer): boolean {
  return input.length >= XERIAL_MAGIC.length && input.subarray(0, XERIAL_MAGIC.length).equals(XERIAL_MAGIC);
}

function rawCompress(input: Buffer): Buffer {
  return snappy().compressSync(input);
}

/** The length a raw block says it expands to (a varint of at most 32 bits). */
function rawUncompressedLength(block: Buffer): number {
  let result = 0;
  for (let i = 0; i < 5 && i < block.length; i++) {
    const byte = block[i]!;
    result += (byte & 0x7f) * 2 ** (7 * i);
    if ((byte & 0x80) === 0) return result;
  }
  throw new DecompressionError('corrupt', 'snappy: bad block length prefix');
}

function rawDecompress(block: Buffer, maxOutputBytes: number): Buffer {
  if (rawUncompressedLength(block) > maxOutputBytes) throw tooLarge('snappy', maxOutputBytes);
  try {
    const output = snappy().uncompressSync(block, { asBuffer: true });
    if (typeof output === 'string') throw new DecompressionError('corrupt', 'snappy: got a string back');
    return output;
  } catch (error: unknown) {
    throw corruptInput('snappy', error);
  }
}

export function snappyCompress(input: Buffer, framing: SnappyFraming = 'xerial'): Buffer {
  if (framing === 'raw') return rawCompress(input);
  const parts: Buffer[] = [];
  const header = Buffer.alloc(XERIAL_HEADER_BYTES);
  XERIAL_MAGIC.copy(header, 0);
  header.writeInt32BE(XERIAL_VERSION, 8);
  header.writeInt32BE(XERIAL_COMPATIBLE_VERSION, 12);
  parts.push(header);
  for (let at = 0; at < input.length; at += XERIAL_BLOCK_BYTES) {
    const block = rawCompress(input.subarray(at, Math.min(at + XERIAL_BLOCK_BYTES, input.length)));
    const length = Buffer.allocUnsafe(4);
    length.writeInt32BE(block.length, 0);
    parts.push(length, block);
  }
  return Buffer.concat(parts);
}

export function snappyDecompress(input: Buffer, maxOutputBytes: number): Buffer {
  if (!isXerialFramed(input)) return rawDecompress(input, maxOutputBytes);
  if (input.length < XERIAL_HEADER_BYTES) throw new DecompressionError('corrupt', 'snappy: truncated xerial header');
  const parts: Buffer[] = [];
  let total = 0;
  let at = XERIAL_HEADER_BYTES;
  while (at < input.length) {
    if (input.length - at < 4) throw new DecompressionError('corrupt', 'snappy: truncated xerial block length');
    const length = input.readInt32BE(at);
    at += 4;
    if (length < 0 || length > input.length - at) {
      throw new DecompressionError('corrupt', `snappy: xerial block of ${length} bytes with ${input.length - at} left`);
    }
    const block = rawDecompress(input.subarray(at, at + length), maxOutputBytes - total);
    at += length;
    total += block.length;
    parts.push(block);
  }
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts, total);
}
