import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { crc32c } from '@node-rs/crc32';
import type { Suite } from '../suite.js';

const bufferBytes = 1024 * 1024;

/** Native CRC32C over a 1 MiB buffer: the bound for anything that must checksum every batch. */
export const ceilingCrc32c: Suite = {
  name: 'ceiling.crc32c',
  description: 'CRC32C (@node-rs/crc32) over a 1 MiB buffer, one thread',
  async run(ctx) {
    const buffer = randomBytes(bufferBytes);
    let state = 0;
    for (let i = 0; i < 16; i++) state = crc32c(buffer, state); // warm up
    let rounds = 0;
    const start = performance.now();
    const end = start + ctx.durationMs;
    let now = start;
    while (now < end) {
      for (let i = 0; i < 16; i++) state = crc32c(buffer, state);
      rounds += 16;
      now = performance.now();
    }
    const seconds = (now - start) / 1000;
    // Use the result so the loop cannot be treated as dead code.
    if (state === -1) ctx.log('impossible checksum');
    return [{ metric: 'throughput', value: (rounds * bufferBytes) / 1e9 / seconds, unit: 'GB/s' }];
  },
};
