/** Shared body of the three network ceilings: start a frame server, drive it, check, stop. */
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchContext, Measurement } from '../suite.js';
import { prepareDiskPhase } from '../disk-phase.js';
import { buildProduceShapedFrames } from '../load/frames.js';
import { runFrameLoad, type FrameLoadResult } from '../load/frame-load.js';
import { startFrameServer } from './spawn.js';
import type { FrameServerMode, FrameServerStats } from './frame-server.js';

/** The request shape every network ceiling (and later the broker comparison) uses. */
export const ceilingLoad = {
  connections: 4,
  inFlightMax: 16,
  frameCount: 64,
  recordsAreaBytes: 64 * 1024,
  recordBytes: 1024,
} as const;

export interface FrameCeilingOutcome {
  load: FrameLoadResult;
  server: FrameServerStats;
}

/**
 * The file-writing ceilings (append, fsync) write into a directory of their
 * own, prepared by prepareDiskPhase and deleted afterwards, as the broker's
 * phases in broker.produce are.
 *
 * @param frames the request frames to send; by default produce-shaped frames
 *   with random records. A suite comparing the broker with a ceiling can pass
 *   the exact requests it sends to the broker.
 */
export async function runFrameCeiling(
  ctx: BenchContext,
  mode: FrameServerMode,
  inFlightMax: number,
  frames: readonly Buffer[] = buildProduceShapedFrames({
    count: ceilingLoad.frameCount,
    recordsAreaBytes: ceilingLoad.recordsAreaBytes,
    recordBytes: ceilingLoad.recordBytes,
  }),
): Promise<FrameCeilingOutcome> {
  const writesFiles = mode !== 'sink';
  const dir = writesFiles ? mkdtempSync(join(ctx.tmpDir, `ceiling-${mode}-`)) : ctx.tmpDir;
  if (writesFiles) prepareDiskPhase(dir);
  const server = await startFrameServer(mode, dir, ctx.durationMs + 60_000);
  let load: FrameLoadResult;
  try {
    load = await runFrameLoad({
      host: '127.0.0.1',
      port: server.port,
      frames,
      connections: ceilingLoad.connections,
      inFlightMax,
      durationMs: ctx.durationMs,
    });
  } catch (err) {
    // Reap the child before reporting the failure.
    await server.stop().catch(() => undefined);
    throw err;
  }
  const stats = await server.stop();
  if (writesFiles) rmSync(dir, { recursive: true, force: true });
  if (load.errors.length > 0) throw new Error(`${mode} load errors: ${load.errors.slice(0, 3).join('; ')}`);
  if (load.correlationMismatches > 0) throw new Error(`${mode}: ${load.correlationMismatches} responses out of order`);
  if (load.requests === 0) throw new Error(`${mode}: no request completed in the window`);
  if (stats.frames < load.requests) {
    throw new Error(`${mode}: server saw ${stats.frames} frames but the client counted ${load.requests}`);
  }
  return { load, server: stats };
}

/** Throughput and latency measurements common to the request/response ceilings. */
export function loadMeasurements(load: FrameLoadResult): Measurement[] {
  const out: Measurement[] = [
    { metric: 'throughput', value: load.requestMBps, unit: 'MB/s' },
    { metric: 'frames', value: load.requestsPerSec, unit: 'frames/s' },
  ];
  if (load.latencyUs) {
    const l = load.latencyUs;
    out.push(
      { metric: 'latency.p50', value: l.p50 / 1000, unit: 'ms' },
      { metric: 'latency.p99', value: l.p99 / 1000, unit: 'ms' },
      { metric: 'latency.p999', value: l.p999 / 1000, unit: 'ms' },
      { metric: 'latency.max', value: l.max / 1000, unit: 'ms' },
    );
  }
  return out;
}
