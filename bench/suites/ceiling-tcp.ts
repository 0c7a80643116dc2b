import type { Suite } from '../suite.js';
import { ceilingLoad, runFrameCeiling } from '../servers/frame-ceiling.js';

/** Loopback TCP into a Node process that only splits frames: the most any broker could take in. */
export const ceilingTcp: Suite = {
  name: 'ceiling.tcp',
  description: `one-way stream of 64 KiB produce-shaped frames into a Node frame sink, ${ceilingLoad.connections} connections`,
  async run(ctx) {
    const { load, server } = await runFrameCeiling(ctx, 'sink', 0);
    ctx.log(`sink received ${server.frames} frames in total`);
    return [
      { metric: 'throughput', value: load.requestMBps, unit: 'MB/s' },
      { metric: 'frames', value: load.requestsPerSec, unit: 'frames/s' },
    ];
  },
};
