/**
 * Broker-only cost of Produce requests shaped like librdkafka's at scale
 * (not a suite): one partition per request (librdkafka never puts two in one
 * ProduceRequest), `records` 100-byte keyed records per batch, partitions
 * taken round-robin from a topic of `partitions`; or, with --per-request K,
 * K partitions per request (as the Java client does). No client library in
 * the loop: prebuilt frames through runFrameLoad, so the broker's CPU per
 * request and per record can be compared across partition counts.
 *
 *   node dist/bench/tools/produce-shape-probe.js [--partitions 6,1000] [--records 30]
 *     [--per-request 1] [--ms 3000] [--idle 0] [--connections 1] [--in-flight 32] [--acks 1]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiKey as Api } from '../../src/protocol/generated/api-registry.js';
import { buildRecordBatch } from '../../src/protocol/records/batch-builder.js';
import { runFrameLoad } from '../load/frame-load.js';
import { AdminConnection, createTopic, decodeResponse, openIdleConnections, processCpuMs, requestFrame, startBroker } from '../suites/broker-common.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : fallback;
}

async function main(): Promise<void> {
  const partitionCounts = arg('partitions', '6,1000').split(',').map(Number);
  const recordsPerBatch = Number(arg('records', '30'));
  const perRequest = Number(arg('per-request', '1'));
  const durationMs = Number(arg('ms', '3000'));
  const idle = Number(arg('idle', '0'));
  const connections = Number(arg('connections', '1'));
  const inFlight = Number(arg('in-flight', '32'));
  const acks = Number(arg('acks', '1'));
  const tmpDir = mkdtempSync(join(tmpdir(), 'shape-probe-'));
  const ctx = { durationMs, quick: false, tmpDir, log: (m: string) => process.stderr.write(`${m}\n`) };
  const broker = await startBroker(ctx, 'shape', {}, 600_000);
  const sockets: Socket[] = [];
  try {
    const admin = await AdminConnection.open(broker.port);
    for (const n of partitionCounts) await createTopic(admin, `shape-p${n}`, n);
    sockets.push(...(await openIdleConnections(broker.port, idle)));
    const value = Buffer.alloc(100, 0x61);
    for (const n of partitionCounts) {
      const topic = `shape-p${n}`;
      // Enough distinct frames to visit every partition several times.
      const frameCount = Math.max(64, Math.ceil((n * 2) / perRequest));
      const frames: Buffer[] = [];
      let partition = 0;
      for (let f = 0; f < frameCount; f++) {
        const partitionData = [];
        for (let k = 0; k < perRequest; k++) {
          const records = Array.from({ length: recordsPerBatch }, (_, i) => ({ key: Buffer.from(`k${(f * 7 + i) % 1000}`), value, timestamp: Date.now() }));
          partitionData.push({ index: partition, records: buildRecordBatch({ records }) });
          partition = (partition + 1) % n;
        }
        frames.push(requestFrame(Api.Produce, 9, { acks, timeoutMs: 30_000, topicData: [{ name: topic, partitionData }] }, f + 1));
      }
      // One request by hand first: the answer must carry no error.
      const answer = decodeResponse(Api.Produce, 9, await admin.sendFrame(frames[0]!));
      const errors = answer.responses.flatMap((t) => t.partitionResponses.map((p) => p.errorCode)).filter((e) => e !== 0);
      if (errors.length > 0) throw new Error(`produce to ${topic}: errors ${errors.join(',')}`);
      const c0 = processCpuMs(broker.pid);
      const t0 = performance.now();
      const r = await runFrameLoad({ host: '127.0.0.1', port: broker.port, frames, connections, inFlightMax: inFlight, durationMs, warmupMs: 0 });
      const wallMs = performance.now() - t0;
      const cpu = processCpuMs(broker.pid) - c0;
      if (r.errors.length > 0 || r.correlationMismatches > 0) throw new Error(`load errors: ${r.errors.slice(0, 3).join('; ')} mismatches ${r.correlationMismatches}`);
      const requests = (r.requestsPerSec * wallMs) / 1000;
      const recordsPerSec = r.requestsPerSec * perRequest * recordsPerBatch;
      process.stdout.write(
        `acks ${acks}, p${n}, ${perRequest} partition(s) x ${recordsPerBatch} records per request: ${Math.round(r.requestsPerSec).toLocaleString('en-US')} req/s, ${Math.round(recordsPerSec).toLocaleString('en-US')} records/s; broker CPU ${((cpu / requests) * 1000).toFixed(1)} us/request, ${((cpu / (requests * perRequest * recordsPerBatch)) * 1000).toFixed(2)} us/record, util ${((cpu / wallMs) * 100).toFixed(0)}%; p50 ${r.latencyUs?.p50.toFixed(0)} us\n`,
      );
    }
    admin.close();
  } finally {
    for (const s of sockets) s.destroy();
    await broker.stop();
    rmSync(tmpDir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
