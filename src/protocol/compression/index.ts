export {
  CompressionCodec,
  COMPRESSION_CODEC_MAX,
  compressionCodecFromName,
  compressionName,
  isCompressionCodec,
  type CompressionName,
} from './codec.js';
export { compress, compressAsync, decompress, decompressAsync, type CompressOptions, type DecompressOptions } from './compress.js';
export { DecompressionError, type DecompressionFault } from './errors.js';
export { GZIP_LEVEL_DEFAULT } from './gzip.js';
export { lz4Compress, lz4Decompress, type Lz4CompressOptions, type Lz4DecompressOptions } from './lz4-frame.js';
export { XERIAL_MAGIC, isXerialFramed, snappyCompress, snappyDecompress, type SnappyFraming } from './snappy.js';
export { ZSTD_LEVEL_DEFAULT } from './zstd.js';
export { xxhash32 } from './xxhash32.js';
