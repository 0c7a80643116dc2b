/**
 * LZ4 in the standard frame format, which is what Kafka has used since magic
 * 1 (and what it meant to use before).
 *
 * Compression goes to lz4-napi, whose frames use independent blocks with no
 * checksums: the shape Java's consumer can read. Decompression parses the
 * frame here and hands each block to the native block decoder, for two
 * reasons the library's frame decoder cannot serve:
 *
 * - Bounded output. We allocate at most one block (or what is left of the
 *   caller's limit) at a time and stop the moment the limit is passed.
 * - KAFKA-3160. Kafka's magic-0 era lz4 code computed the frame header
 *   checksum over the wrong bytes (starting at the magic number instead of
 *   after it). Clients of that era write, and expect, the wrong value, so for
 *   legacy message sets we accept it on read and can write it on request.
 */
import type * as Lz4 from 'lz4-napi';
import { xxhash32 } from './xxhash32.js';
import { DecompressionError, corruptInput, tooLarge } from './errors.js';
import { loadOnFirstUse } from './load-on-first-use.js';

const lz4 = loadOnFirstUse<typeof Lz4>('lz4-napi');

const FRAME_MAGIC = 0x184d2204;
const SKIPPABLE_MAGIC_MASK = 0xfffffff0;
const SKIPPABLE_MAGIC = 0x184d2a50;

const FLG_VERSION_MASK = 0xc0;
const FLG_VERSION_01 = 0x40;
const FLG_BLOCK_INDEPENDENT = 0x20;
const FLG_BLOCK_CHECKSUM = 0x10;
const FLG_CONTENT_SIZE = 0x08;
const FLG_CONTENT_CHECKSUM = 0x04;
const FLG_RESERVED = 0x02;
const FLG_DICT_ID = 0x01;

const BLOCK_UNCOMPRESSED = 0x80000000;
/** Linked blocks may refer back this far into earlier output. */
const LINKED_WINDOW_BYTES = 64 * 1024;

export interface Lz4DecompressOptions {
  maxOutputBytes: number;
  /** Also accept the KAFKA-3160 header checksum (legacy magic 0/1 messages). */
  acceptLegacyHeaderChecksum?: boolean;
}

export interface Lz4CompressOptions {
  /** Write the KAFKA-3160 header checksum, for magic-0 readers. */
  legacyHeaderChecksum?: boolean;
}

function headerChecksum(frame: Buffer, from: number, to: number): number {
  return (xxhash32(frame, from, to) >>> 8) & 0xff;
}

function descriptorEnd(flg: number, descriptorStart: number): number {
  return descriptorStart + 2 + ((flg & FLG_CONTENT_SIZE) !== 0 ? 8 : 0) + ((flg & FLG_DICT_ID) !== 0 ? 4 : 0);
}

export function lz4Compress(input: Buffer, options: Lz4CompressOptions = {}): Buffer {
  const frame = lz4().compressFrameSync(input);
  if (options.legacyHeaderChecksum === true) {
    const hcAt = descriptorEnd(frame[4]!, 4);
    frame[hcAt] = headerChecksum(frame, 0, hcAt);
  }
  return frame;
}

function corrupt(message: string): DecompressionError {
  return new DecompressionError('corrupt', `lz4: ${message}`);
}

class Lz4FrameReader {
  private readonly parts: Buffer[] = [];
  private total = 0;
  /** Index in `parts` of the current frame's first block: links never cross frames. */
  private frameFirstPart = 0;

  constructor(
    private readonly input: Buffer,
    private readonly options: Lz4DecompressOptions,
  ) {}

  run(): Buffer {
    const { input } = this;
    if (input.length === 0) throw corrupt('empty input');
    let at = 0;
    while (at < input.length) {
      if (input.length - at < 4) throw corrupt('truncated frame magic');
      const magic = input.readUInt32LE(at);
      if ((magic & SKIPPABLE_MAGIC_MASK) >>> 0 === SKIPPABLE_MAGIC) {
        if (input.length - at < 8) throw corrupt('truncated skippable frame');
        const size = input.readUInt32LE(at + 4);
        if (size > input.length - at - 8) throw corrupt('truncated skippable frame');
        at += 8 + size;
        continue;
      }
      if (magic !== FRAME_MAGIC) throw corrupt(`bad frame magic 0x${magic.toString(16)}`);
      at = this.readFrame(at);
    }
    return this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts, this.total);
  }

  /** Decodes one frame starting at its magic; returns where the next one starts. */
  private readFrame(frameStart: number): number {
    const { input } = this;
    const descriptorStart = frameStart + 4;
    if (input.length - descriptorStart < 3) throw corrupt('truncated frame descriptor');
    const flg = input[descriptorStart]!;
    const bd = input[descriptorStart + 1]!;
    if ((flg & FLG_VERSION_MASK) !== FLG_VERSION_01) throw corrupt(`unsupported frame version in flags 0x${flg.toString(16)}`);
    if ((flg & FLG_RESERVED) !== 0 || (bd & 0x8f) !== 0) throw corrupt('reserved descriptor bits set');
    if ((flg & FLG_DICT_ID) !== 0) {
      throw new DecompressionError('unsupported', 'lz4: frames with a preset dictionary are not supported');
    }
    const blockSizeId = (bd >> 4) & 0x07;
    if (blockSizeId < 4) throw corrupt(`bad block size id ${blockSizeId}`);
    const blockMaxBytes = 1 << (2 * blockSizeId + 8);
    const hcAt = descriptorEnd(flg, descriptorStart);
    if (input.length - hcAt < 1) throw corrupt('truncated frame descriptor');
    const storedHc = input[hcAt]!;
    if (storedHc !== headerChecksum(input, descriptorStart, hcAt)) {
      const legacyOk =
        this.options.acceptLegacyHeaderChecksum === true && storedHc === headerChecksum(input, frameStart, hcAt);
      if (!legacyOk) throw corrupt('frame header checksum mismatch');
    }
    let declaredSize = -1;
    if ((flg & FLG_CONTENT_SIZE) !== 0) {
      const big = input.readBigUInt64LE(descriptorStart + 2);
      if (big > BigInt(this.options.maxOutputBytes - this.total)) throw tooLarge('lz4', this.options.maxOutputBytes);
      declaredSize = Number(big);
    }

    const independent = (flg & FLG_BLOCK_INDEPENDENT) !== 0;
    const blockChecksums = (flg & FLG_BLOCK_CHECKSUM) !== 0;
    const frameOutputStart = this.parts.length;
    this.frameFirstPart = frameOutputStart;
    const frameTotalStart = this.total;
    let at = hcAt + 1;
    for (;;) {
      if (input.length - at < 4) throw corrupt('truncated block size');
      const word = input.readUInt32LE(at);
      at += 4;
      if (word === 0) break;
      const stored = (word & BLOCK_UNCOMPRESSED) !== 0;
      const size = (word & ~BLOCK_UNCOMPRESSED) >>> 0;
      if (size > blockMaxBytes) throw corrupt(`block of ${size} bytes exceeds the frame's ${blockMaxBytes}`);
      if (size > input.length - at) throw corrupt('truncated block');
      const block = input.subarray(at, at + size);
      at += size;
      if (blockChecksums) {
        if (input.length - at < 4) throw corrupt('truncated block checksum');
        if (input.readUInt32LE(at) !== xxhash32(block)) throw corrupt('block checksum mismatch');
        at += 4;
      }
      const output = stored ? block : this.decodeBlock(block, blockMaxBytes, independent);
      this.total += output.length;
      if (this.total > this.options.maxOutputBytes) throw tooLarge('lz4', this.options.maxOutputBytes);
      this.parts.push(output);
    }
    const frameBytes = this.total - frameTotalStart;
    if (declaredSize >= 0 && declaredSize !== frameBytes) {
      throw corrupt(`frame declared ${declaredSize} bytes but held ${frameBytes}`);
    }
    if ((flg & FLG_CONTENT_CHECKSUM) !== 0) {
      if (input.length - at < 4) throw corrupt('truncated content checksum');
      const content = Buffer.concat(this.parts.slice(frameOutputStart), frameBytes);
      if (input.readUInt32LE(at) !== xxhash32(content)) throw corrupt('content checksum mismatch');
      at += 4;
    }
    return at;
  }

  private decodeBlock(block: Buffer, blockMaxBytes: number, independent: boolean): Buffer {
    const room = this.options.maxOutputBytes - this.total;
    // The native decoder wants the output size in front of the block (it
    // returns only what was really produced). One byte past the caller's
    // limit lets a block that is exactly at the limit through.
    const capacity = Math.min(blockMaxBytes, room + 1);
    const sized = Buffer.allocUnsafe(4 + block.length);
    sized.writeUInt32LE(capacity, 0);
    block.copy(sized, 4);
    try {
      return independent ? lz4().uncompressSync(sized) : lz4().uncompressSync(sized, this.recentOutput());
    } catch (error: unknown) {
      if (capacity < blockMaxBytes) throw tooLarge('lz4', this.options.maxOutputBytes);
      throw corruptInput('lz4', error);
    }
  }

  /** The last 64 KiB of output, which a linked block may copy from. */
  private recentOutput(): Buffer {
    const window: Buffer[] = [];
    let bytes = 0;
    for (let i = this.parts.length - 1; i >= this.frameFirstPart && bytes < LINKED_WINDOW_BYTES; i--) {
      const part = this.parts[i]!;
      const take = Math.min(part.length, LINKED_WINDOW_BYTES - bytes);
      window.unshift(part.subarray(part.length - take));
      bytes += take;
    }
    return window.length === 1 ? window[0]! : Buffer.concat(window, bytes);
  }
}

export function lz4Decompress(input: Buffer, options: Lz4DecompressOptions): Buffer {
  return new Lz4FrameReader(input, options).run();
}
