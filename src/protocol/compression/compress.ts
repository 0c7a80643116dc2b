/**
 * One entry point per direction for every codec a batch can carry, so record
 * code switches on the attributes' codec id and nothing else.
 */
import { CompressionCodec } from './codec.js';
import { DecompressionError } from './errors.js';
import { GZIP_LEVEL_DEFAULT, gzipCompress, gzipCompressAsync, gzipDecompress, gzipDecompressAsync } from './gzip.js';
import { lz4Compress, lz4Decompress } from './lz4-frame.js';
import { snappyCompress, snappyDecompress, type SnappyFraming } from './snappy.js';
import { ZSTD_LEVEL_DEFAULT, zstdCompress, zstdDecompress } from './zstd.js';

export interface CompressOptions {
  /** gzip 1-9 or zstd's levels; ignored by snappy and lz4. Defaults follow Kafka. */
  level?: number;
  /** Kafka's brokers and Java clients write xerial framing; raw is there for tests and odd peers. */
  snappyFraming?: SnappyFraming;
  /** Write the KAFKA-3160 lz4 header checksum that magic-0 readers expect. */
  lz4LegacyHeaderChecksum?: boolean;
}

export interface DecompressOptions {
  /**
   * Fail with a `too_large` DecompressionError rather than produce more than
   * this. Required: every caller should know how big a batch it will accept.
   */
  maxOutputBytes: number;
  /** Accept the KAFKA-3160 lz4 header checksum (for magic 0 and 1 messages). */
  lz4AcceptLegacyHeaderChecksum?: boolean;
}

export function compress(codec: CompressionCodec, input: Buffer, options: CompressOptions = {}): Buffer {
  switch (codec) {
    case CompressionCodec.none:
      return input;
    case CompressionCodec.gzip:
      return gzipCompress(input, options.level ?? GZIP_LEVEL_DEFAULT);
    case CompressionCodec.snappy:
      return snappyCompress(input, options.snappyFraming ?? 'xerial');
    case CompressionCodec.lz4:
      return lz4Compress(input, { legacyHeaderChecksum: options.lz4LegacyHeaderChecksum ?? false });
    case CompressionCodec.zstd:
      return zstdCompress(input, options.level ?? ZSTD_LEVEL_DEFAULT);
  }
}

/**
 * Decompresses `input`, which must hold exactly one codec stream. Throws only
 * DecompressionError (a DecodeError).
 */
export function decompress(codec: CompressionCodec, input: Buffer, options: DecompressOptions): Buffer {
  const { maxOutputBytes } = options;
  switch (codec) {
    case CompressionCodec.none:
      if (input.length > maxOutputBytes) {
        throw new DecompressionError('too_large', `none: ${input.length} bytes exceed the limit of ${maxOutputBytes}`);
      }
      return input;
    case CompressionCodec.gzip:
      return gzipDecompress(input, maxOutputBytes);
    case CompressionCodec.snappy:
      return snappyDecompress(input, maxOutputBytes);
    case CompressionCodec.lz4:
      return lz4Decompress(input, {
        maxOutputBytes,
        acceptLegacyHeaderChecksum: options.lz4AcceptLegacyHeaderChecksum ?? false,
      });
    case CompressionCodec.zstd:
      return zstdDecompress(input, maxOutputBytes);
    default:
      throw new DecompressionError('unsupported', `unknown compression codec ${String(codec)}`);
  }
}

/**
 * Off-thread where the library offers it (gzip through zlib's thread pool);
 * the others are fast enough natively that a thread hop costs more than it
 * saves for batch-sized inputs, so they run inline.
 */
export async function compressAsync(codec: CompressionCodec, input: Buffer, options: CompressOptions = {}): Promise<Buffer> {
  if (codec === CompressionCodec.gzip) return gzipCompressAsync(input, options.level ?? GZIP_LEVEL_DEFAULT);
  return compress(codec, input, options);
}

export async function decompressAsync(codec: CompressionCodec, input: Buffer, options: DecompressOptions): Promise<Buffer> {
  if (codec === CompressionCodec.gzip) return gzipDecompressAsync(input, options.maxOutputBytes);
  return decompress(codec, input, options);
}

