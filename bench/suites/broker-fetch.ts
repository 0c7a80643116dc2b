/**
 * Broker efficiency, fetch side: 4 consumers read the tail of a partition —
 * the newest 4 MiB, which the log keeps in its in-memory tail cache, as a
 * consumer that keeps up would — with pre-built Fetch requests of up to
 * 1 MiB each, 4 in flight per connection, from a child process of their
 * own (fetch-load-child.ts). Compared with ceiling.tcp (a Node process
 * receiving 64 KiB frames over loopback and only splitting them), run in
 * the same suite right before. Target: ≥ 0.7.
 */
import type { Suite } from '../suite.js';
import { ApiKey } from '../../src/protocol/generated/api-registry.js';
import type { FetchLoad } from '../load/fetch-load.js';
import { runFetchLoadInChild } from '../load/fetch-load-child.js';
import { runFrameCeiling } from '../servers/frame-ceiling.js';
import { AdminConnection, brokerLoad, buildProduceFrames, createTopic, decodeResponse, requestFrame, startBroker } from './broker-common.js';

const FETCH_VERSION = 11;
const consumers = 4;
const inFlightMax = 4;
const fetchMaxBytes = 1024 * 1024;
/** Batches written before the consumers start: 64 × 64 KiB, the size of the default tail cache. */
const prefillBatches = 64;

function fetchFrames(): Buffer[] {
  const frames: Buffer[] = [];
  // Start offsets at batch boundaries so every response is a full 1 MiB.
  const lastStart = prefillBatches - Math.ceil(fetchMaxBytes / (brokerLoad.recordsPerBatch * brokerLoad.recordBytes));
  for (let b = 0; b <= lastStart; b++) {
    frames.push(
      requestFrame(ApiKey.Fetch, FETCH_VERSION, {
        replicaId: -1,
        maxWaitMs: 0,
        minBytes: 1,
        maxBytes: fetchMaxBytes,
        isolationLevel: 0,
        sessionId: 0,
        sessionEpoch: -1,
        topics: [{ topic: brokerLoad.topic, partitions: [{ partition: 0, fetchOffset: BigInt(b * brokerLoad.recordsPerBatch), partitionMaxBytes: fetchMaxBytes }] }],
      }, b + 1),
    );
  }
  return frames;
}

export const brokerFetch: Suite = {
  name: 'broker.fetch',
  description: `${consumers} consumers fetching 1 MiB at a time from the partition's tail (tail cache), ${inFlightMax} in flight each, vs ceiling.tcp`,
  async run(ctx) {
    const phaseMs = Math.max(200, Math.round(ctx.durationMs * 0.8));
    const ceiling = await runFrameCeiling({ ...ctx, durationMs: phaseMs }, 'sink', 0);
    const broker = await startBroker(ctx, 'fetch');
    let load: FetchLoad;
    try {
      const admin = await AdminConnection.open(broker.port);
      await createTopic(admin, brokerLoad.topic, 1);
      const produce = buildProduceFrames(1, prefillBatches);
      for (const frame of produce) {
        const r = decodeResponse(ApiKey.Produce, brokerLoad.produceVersion, await admin.sendFrame(frame));
        if (r.responses[0]?.partitionResponses[0]?.errorCode !== 0) throw new Error('prefill produce failed');
      }
      admin.close();
      load = await runFetchLoadInChild(broker.port, fetchFrames(), phaseMs, { consumers, inFlightMax });
    } finally {
      await broker.stop();
    }
    if (load.firstResponse === null || load.responses === 0) throw new Error('no fetch response in the window');
    const first = decodeResponse(ApiKey.Fetch, FETCH_VERSION, load.firstResponse.subarray(4));
    const partition = first.responses[0]?.partitions[0];
    if (first.errorCode !== 0 || partition?.errorCode !== 0 || (partition.records?.length ?? 0) < fetchMaxBytes / 2) {
      throw new Error(`fetch answered error ${first.errorCode}/${partition?.errorCode} with ${partition?.records?.length ?? 0} bytes`);
    }
    const mbps = load.bytes / 1e6 / load.seconds;
    ctx.log(`broker ${mbps.toFixed(0)} MB/s in ${load.responses} responses, ceiling.tcp ${ceiling.load.requestMBps.toFixed(0)} MB/s: ${(mbps / ceiling.load.requestMBps).toFixed(2)}`);
    return [
      { metric: 'ceiling', value: ceiling.load.requestMBps, unit: 'MB/s' },
      { metric: 'throughput', value: mbps, unit: 'MB/s', ratioTo: 'broker.fetch.ceiling' },
      { metric: 'responses', value: load.responses / load.seconds, unit: 'responses/s' },
    ];
  },
};
