/**
 * Loads a native codec library the first time a batch needs it. lz4-napi,
 * snappy and zstd-napi together took ~85 ms of a broker's start-up (each
 * loads a shared object), and most brokers see few or no batches in some of
 * these codecs. They are CommonJS, so a synchronous require works from here.
 */
import { createRequire } from 'node:module';

const requireModule = createRequire(import.meta.url);

export function loadOnFirstUse<T>(id: string): () => T {
  let loaded: T | undefined;
  return () => (loaded ??= requireModule(id) as T);
}
