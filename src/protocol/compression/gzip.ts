/**
 * gzip through node:zlib. zlib stops on its own once the output would pass
 * `maxOutputLength`, so the limit costs nothing extra. Concatenated gzip
 * members are decoded as one stream, as Java's GZIPInputStream does.
 */
import { gunzip, gunzipSync, gzip, gzipSync, constants } from 'node:zlib';
import { promisify } from 'node:util';
import { corruptInput, tooLarge } from './errors.js';

const gzipAsync = promisify(gzip);
const gunzipAsync = promisify(gunzip);

/** zlib's default (6) is also what Kafka's producer uses when no level is set. */
export const GZIP_LEVEL_DEFAULT = constants.Z_DEFAULT_COMPRESSION;

function isOutputLimitError(error: unknown): boolean {
  return error instanceof RangeError || (error instanceof Error && (error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE');
}

export function gzipCompress(input: Buffer, level: number = GZIP_LEVEL_DEFAULT): Buffer {
  return gzipSync(input, { level });
}

export function gzipCompressAsync(input: Buffer, level: number = GZIP_LEVEL_DEFAULT): Promise<Buffer> {
  return gzipAsync(input, { level });
}

export function gzipDecompress(input: Buffer, maxOutputBytes: number): Buffer {
  try {
    return gunzipSync(input, { maxOutputLength: Math.max(1, maxOutputBytes) });
  } catch (error: unknown) {
    if (isOutputLimitError(error)) throw tooLarge('gzip', maxOutputBytes);
    throw corruptInput('gzip', error);
  }
}

export async function gzipDecompressAsync(input: Buffer, maxOutputBytes: number): Promise<Buffer> {
  try {
    return await gunzipAsync(input, { maxOutputLength: Math.max(1, maxOutputBytes) });
  } catch (error: unknown) {
    if (isOutputLimitError(error)) throw tooLarge('gzip', maxOutputBytes);
    throw corruptInput('gzip', error);
  }
}
