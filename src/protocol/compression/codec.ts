/**
 * Compression codec ids as they appear in the low three bits of a batch's
 * attributes (and of a legacy message's attributes). The numbers are part of
 * the wire format; the names match the values of Kafka's `compression.type`.
 */
export const CompressionCodec = {
  none: 0,
  gzip: 1,
  snappy: 2,
  lz4: 3,
  zstd: 4,
} as const;

export type CompressionCodec = (typeof CompressionCodec)[keyof typeof CompressionCodec];

export type CompressionName = keyof typeof CompressionCodec;

const names: readonly CompressionName[] = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];

/** Largest codec id this build understands; anything above is rejected. */
export const COMPRESSION_CODEC_MAX = 4;

export function isCompressionCodec(id: number): id is CompressionCodec {
  return Number.isInteger(id) && id >= 0 && id <= COMPRESSION_CODEC_MAX;
}

export function compressionName(codec: CompressionCodec): CompressionName {
  return names[codec]!;
}

/** Parses a `compression.type` value (case-insensitive); null when unknown. */
export function compressionCodecFromName(name: string): CompressionCodec | null {
  const index = names.indexOf(name.toLowerCase() as CompressionName);
  return index < 0 ? null : (index as CompressionCodec);
}
