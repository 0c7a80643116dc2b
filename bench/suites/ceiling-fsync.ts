import type { Suite } from '../suite.js';
import { ceilingLoad, loadMeasurements, runFrameCeiling } from '../servers/frame-ceiling.js';

/** As ceiling.append, answered only after a group-committed fdatasync: the acks=all upper bound. */
export const ceilingFsync: Suite = {
  name: 'ceiling.fsync',
  description: `as ceiling.append with one fdatasync per group of frames (group commit)`,
  async run(ctx) {
    const { load, server } = await runFrameCeiling(ctx, 'fsync', ceilingLoad.inFlightMax);
    const framesPerSync = server.syncs > 0 ? server.frames / server.syncs : 0;
    ctx.log(`${server.syncs} fdatasyncs for ${server.frames} frames (largest group ${server.groupFramesMax})`);
    return [
      ...loadMeasurements(load),
      { metric: 'group.frames', value: framesPerSync, unit: 'frames/sync' },
    ];
  },
};
