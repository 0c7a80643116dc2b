/**
 * Broker efficiency, produce side: the real broker (a child process, like the
 * ceilings) takes pre-built, valid Produce requests — 1 KiB records in 64 KiB
 * batches, 4 connections × 16 in flight — and the very same request bytes go
 * through ceiling.append (acks=1) and ceiling.fsync (acks=all with the
 * broker's default fsync policy: acks=all waits for the group-committed
 * fdatasync). Ceiling and broker phases alternate, so a noisy machine moves
 * both alike; each starts from the same page-cache state (disk-phase.ts) and
 * its files are deleted after it. Target: each ratio ≥ 0.7.
 */
import { rmSync } from 'node:fs';
import type { Measurement, Suite } from '../suite.js';
import { prepareDiskPhase } from '../disk-phase.js';
import { runFrameLoad, type FrameLoadResult } from '../load/frame-load.js';
import { runFrameCeiling } from '../servers/frame-ceiling.js';
import { AdminConnection, brokerLoad, buildProduceFrames, createTopic, startBroker } from './broker-common.js';

function check(what: string, load: FrameLoadResult): FrameLoadResult {
  if (load.errors.length > 0) throw new Error(`${what}: ${load.errors.slice(0, 3).join('; ')}`);
  if (load.correlationMismatches > 0) throw new Error(`${what}: ${load.correlationMismatches} responses out of order`);
  if (load.requests === 0) throw new Error(`${what}: no request completed in the window`);
  return load;
}

export const brokerProduce: Suite = {
  name: 'broker.produce',
  description: `Produce of 64 KiB batches (1 KiB records) into the broker vs the same frames through ceiling.append / ceiling.fsync, ${brokerLoad.connections} connections × ${brokerLoad.inFlightMax} in flight`,
  async run(ctx) {
    const phaseMs = Math.max(200, Math.round(ctx.durationMs * 0.7));
    const out: Measurement[] = [];
    for (const acks of [1, -1]) {
      const frames = buildProduceFrames(acks);
      const label = acks === 1 ? 'acks1' : 'acksall';
      const ceilingName = acks === 1 ? 'ceiling.append' : 'ceiling.fsync';
      const ceiling = await runFrameCeiling({ ...ctx, durationMs: phaseMs }, acks === 1 ? 'append' : 'fsync', brokerLoad.inFlightMax, frames);
      const broker = await startBroker(ctx, label);
      let load: FrameLoadResult;
      try {
        const admin = await AdminConnection.open(broker.port);
        await createTopic(admin, brokerLoad.topic, 1);
        admin.close();
        prepareDiskPhase(ctx.tmpDir);
        load = check(`broker ${label}`, await runFrameLoad({
          host: '127.0.0.1',
          port: broker.port,
          frames,
          connections: brokerLoad.connections,
          inFlightMax: brokerLoad.inFlightMax,
          durationMs: phaseMs,
        }));
      } finally {
        await broker.stop();
        rmSync(broker.dataDir, { recursive: true, force: true });
      }
      const ratio = load.requestMBps / ceiling.load.requestMBps;
      ctx.log(`${label}: broker ${load.requestMBps.toFixed(0)} MB/s, ${ceilingName} ${ceiling.load.requestMBps.toFixed(0)} MB/s (same frames): ${ratio.toFixed(2)}`);
      out.push(
        { metric: `${label}.ceiling`, value: ceiling.load.requestMBps, unit: 'MB/s' },
        { metric: `${label}.throughput`, value: load.requestMBps, unit: 'MB/s', ratioTo: `broker.produce.${label}.ceiling` },
        { metric: `${label}.latency.p50`, value: (load.latencyUs?.p50 ?? 0) / 1000, unit: 'ms' },
        { metric: `${label}.latency.p99`, value: (load.latencyUs?.p99 ?? 0) / 1000, unit: 'ms' },
      );
    }
    return out;
  },
};
