import type { Suite } from '../suite.js';
import { ceilingLoad, loadMeasurements, runFrameCeiling } from '../servers/frame-ceiling.js';

/** Frames appended to a file (page cache, no fsync) and answered: the acks=1 upper bound. */
export const ceilingAppend: Suite = {
  name: 'ceiling.append',
  description: `64 KiB frames appended to a file and answered, ${ceilingLoad.connections} connections × ${ceilingLoad.inFlightMax} in flight`,
  async run(ctx) {
    const { load, server } = await runFrameCeiling(ctx, 'append', ceilingLoad.inFlightMax);
    ctx.log(`${server.writes} writes for ${server.frames} frames (largest group ${server.groupFramesMax})`);
    return loadMeasurements(load);
  },
};
