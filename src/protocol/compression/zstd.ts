/**
 * zstd through zstd-napi's low-level binding. The library's one-shot
 * `decompress` trusts the frame's declared content size and otherwise grows
 * without limit, so we drive ZSTD_decompressStream ourselves and stop as soon
 * as the output would pass the caller's limit.
 */
import type Binding from 'zstd-napi/binding.js';
import { DecompressionError, corruptInput, tooLarge } from './errors.js';
import { loadOnFirstUse } from './load-on-first-use.js';

const zstdBinding = loadOnFirstUse<typeof Binding>('zstd-napi/binding.js');

/** zstd's own default level, which is also what Kafka uses. */
export const ZSTD_LEVEL_DEFAULT = 3;


// One context of each kind, reused: creating them allocates sizeable tables,
// and these functions are synchronous so no two calls share one at a time.
let compressContext: InstanceType<typeof Binding.CCtx> | null = null;
let decompressContext: InstanceType<typeof Binding.DCtx> | null = null;

export function zstdCompress(input: Buffer, level: number = ZSTD_LEVEL_DEFAULT): Buffer {
  const binding = zstdBinding();
  compressContext ??= new binding.CCtx();
  const output = Buffer.allocUnsafe(binding.compressBound(input.length));
  const written = compressContext.compress(output, input, level);
  // Do not let a small result pin a buffer the size of the input.
  return written < output.length / 2 ? Buffer.from(output.subarray(0, written)) : output.subarray(0, written);
}

function declaredContentSize(frame: Buffer): number | null {
  try {
    return zstdBinding().getFrameContentSize(frame);
  } catch {
    return null;
  }
}

export function zstdDecompress(input: Buffer, maxOutputBytes: number): Buffer {
  const binding = zstdBinding();
  decompressContext ??= new binding.DCtx();
  const streamOutBytes = binding.dStreamOutSize();
  const context = decompressContext;
  const chunks: Buffer[] = [];
  let total = 0;
  let remaining = input;
  // Non-zero while a frame is unfinished (more input expected or output to flush).
  let pending = 1;
  try {
    context.reset(binding.ResetDirective.sessionOnly);
    if (input.length === 0) throw new DecompressionError('corrupt', 'zstd: empty input');
    while (remaining.length > 0 || pending !== 0) {
      const room = maxOutputBytes - total;
      const declared = declaredContentSize(remaining);
      const want = declared !== null && declared > 0 ? declared : Math.max(streamOutBytes, remaining.length * 4);
      // One byte past the limit lets us tell "exactly at the limit" from "over".
      const output = Buffer.allocUnsafe(Math.max(1, Math.min(room + 1, want)));
      const [hint, produced, consumed] = context.decompressStream(output, remaining);
      if (produced === 0 && consumed === 0) {
        throw new DecompressionError('corrupt', 'zstd: truncated frame');
      }
      total += produced;
      if (total > maxOutputBytes) throw tooLarge('zstd', maxOutputBytes);
      if (produced > 0) chunks.push(output.subarray(0, produced));
      remaining = remaining.subarray(consumed);
      pending = hint;
    }
  } catch (error: unknown) {
    context.reset(binding.ResetDirective.sessionOnly);
    throw corruptInput('zstd', error);
  }
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, total);
}
