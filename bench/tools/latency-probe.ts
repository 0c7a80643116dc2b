/**
 * The broker's share of end-to-end latency (not a suite): the latency.e2e
 * workload — 1 KiB records at a fixed rate into one partition, a long-poll
 * consumer reading them — driven by raw Produce and Fetch requests from this
 * process, with no client library in the loop. Every 1 ms tick sends the
 * records due as one batch (as librdkafka with linger.ms=0 does at 10,000
 * msgs/s); each value carries its send time; the consumer records
 * receive − send per record. If this p99 meets the target and latency.e2e's
 * does not, the difference is the client library and the scheduling of its
 * threads.
 *
 *   node dist/bench/tools/latency-probe.js [--rate 10000] [--ms 3000] [--acks 1] [--slow]
 *   (--slow lists when the records slower than 4 ms were sent, and their latency;
 *   with SAMSA_BENCH_LOOP_STALLS=1 the broker lists its event-loop stalls too)
 */
import { connect, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiKey as Api } from '../../src/protocol/generated/api-registry.js';
import { buildRecordBatch } from '../../src/protocol/records/batch-builder.js';
import { decodeRecordBatches } from '../../src/protocol/records/batch-decoder.js';
import { FrameSplitter } from '../load/frame-splitter.js';
import { Histogram } from '../load/histogram.js';
import { AdminConnection, createTopic, decodeResponse, processCpuMs, requestFrame, startBroker } from '../suites/broker-common.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : fallback;
}

const FETCH_VERSION = 11;
const PRODUCE_VERSION = 9;

function open(port: number, onFrame: (frame: Buffer) => void): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, noDelay: true }, () => resolve(socket));
    const splitter = new FrameSplitter(64 << 20);
    socket.on('data', (chunk: Buffer) => splitter.push(chunk, (parts) => onFrame(Buffer.concat(parts).subarray(4))));
    socket.once('error', reject);
  });
}

async function main(): Promise<void> {
  const ratePerSec = Number(arg('rate', '10000'));
  const durationMs = Number(arg('ms', '3000'));
  const acks = Number(arg('acks', '1'));
  const warmupMs = 250;
  const tmpDir = mkdtempSync(join(tmpdir(), 'latency-probe-'));
  const ctx = { durationMs, quick: false, tmpDir, log: (m: string) => process.stderr.write(`${m}\n`) };
  const broker = await startBroker(ctx, 'latency-probe');
  try {
    const admin = await AdminConnection.open(broker.port);
    await createTopic(admin, 'latency', 1);
    admin.close();
    const histogram = new Histogram();
    let received = 0;
    let fetchOffset = 0;
    let measureFrom = Number.POSITIVE_INFINITY;
    /** [epoch ms when sent, latency ms] of records slower than 4 ms. */
    const slow: Array<[number, number]> = [];
    let consumer: Socket | undefined;
    const fetch = (): void => {
      consumer!.write(
        requestFrame(Api.Fetch, FETCH_VERSION, {
          replicaId: -1, maxWaitMs: 500, minBytes: 1, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
          topics: [{ topic: 'latency', partitions: [{ partition: 0, fetchOffset: BigInt(fetchOffset), partitionMaxBytes: 1 << 20 }] }],
        }, 1),
      );
    };
    consumer = await open(broker.port, (frame) => {
      const now = performance.now();
      const response = decodeResponse(Api.Fetch, FETCH_VERSION, frame);
      const records = response.responses[0]?.partitions[0]?.records;
      if (records && records.length > 0) {
        for (const batch of decodeRecordBatches(records)) {
          for (const record of batch.records) {
            if (record.offset < fetchOffset) continue;
            received++;
            const sentAt = record.value?.readDoubleLE(0) ?? 0;
            if (sentAt >= measureFrom) {
              histogram.record((now - sentAt) * 1000);
              if (now - sentAt > 4) slow.push([Math.round(performance.timeOrigin + sentAt), Math.round((now - sentAt) * 10) / 10]);
            }
            fetchOffset = record.offset + 1;
          }
        }
      }
      fetch();
    });
    let produceErrors = 0;
    const producer = await open(broker.port, (frame) => {
      const r = decodeResponse(Api.Produce, PRODUCE_VERSION, frame);
      if (r.responses[0]?.partitionResponses[0]?.errorCode !== 0) produceErrors++;
    });
    fetch();
    const value = Buffer.alloc(1024, 0x62);
    const started = performance.now();
    const cpuAtStartMs = processCpuMs(broker.pid);
    measureFrom = started + warmupMs;
    const end = measureFrom + durationMs;
    let sent = 0;
    let correlationId = 1;
    while (performance.now() < end) {
      const due = Math.floor(((performance.now() - started) / 1000) * ratePerSec);
      if (due > sent) {
        const records = [];
        for (; sent < due; sent++) {
          const v = Buffer.from(value);
          v.writeDoubleLE(performance.now(), 0);
          records.push({ key: null, value: v, timestamp: Date.now() });
        }
        producer.write(requestFrame(Api.Produce, PRODUCE_VERSION, { acks, timeoutMs: 30_000, topicData: [{ name: 'latency', partitionData: [{ index: 0, records: buildRecordBatch({ records }) }] }] }, correlationId++));
      }
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    const brokerCpuPercent = ((processCpuMs(broker.pid) - cpuAtStartMs) / (performance.now() - started)) * 100;
    const deadline = performance.now() + 10_000;
    while (received < sent && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    producer.destroy();
    consumer.destroy();
    const s = histogram.summary();
    const ms = (us: number): string => (us / 1000).toFixed(2);
    process.stdout.write(
      (process.argv.includes('--slow') ? `slow records (epoch ms, latency ms): ${JSON.stringify(slow)}\n` : '') +
        `acks ${acks}: ${sent} sent, ${received} received, ${s.count} measured, ${produceErrors} produce errors; p50 ${ms(s.p50)} p99 ${ms(s.p99)} p99.9 ${ms(s.p999)} max ${ms(s.max)} ms; broker CPU ${brokerCpuPercent.toFixed(0)}% of a core\n`,
    );
  } finally {
    await broker.stop();
    rmSync(tmpDir, { recursive: true, force: true });
  }
}

void main();
