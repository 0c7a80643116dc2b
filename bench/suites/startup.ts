/**
 * Start-up to first successful produce, the way a user meets Samsa:
 * `node dist/src/cli/samsa.js start` on a fresh data dir (it formats the dir,
 * elects itself in the metadata quorum, opens its listeners). The clock runs
 * from spawn until a raw client has connected (retrying every 5 ms), created
 * a topic and had one record acknowledged with acks=1. Then the broker sits
 * idle briefly and its resident memory is read from /proc. Repeated on fresh
 * dirs (3 times, 1 with --quick); the median is reported.
 * Targets: ≤ 500 ms, ≤ 100 MB idle RSS.
 */
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';
import { ApiKey as Api } from '../../src/protocol/generated/api-registry.js';
import { buildRecordBatch } from '../../src/protocol/records/batch-builder.js';
import type { Measurement, Suite } from '../suite.js';
import { AdminConnection, createTopic } from './broker-common.js';
import { rssOf } from './broker-common.js';
import { withMallocTunables } from '../../src/cli/malloc-tunables.js';

export const startupTargets = { firstProduceMs: 500, idleRssMB: 100 } as const;

const cliPath = fileURLToPath(new URL('../../src/cli/samsa.js', import.meta.url));
const guardUrl = pathToFileURL(fileURLToPath(new URL('../peers/lifetime-guard.js', import.meta.url))).href;

/** A port that was free a moment ago (listen on 0, close). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function withTimeout<T>(what: string, promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms))),
  ]);
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

interface StartupSample {
  firstProduceMs: number;
  listeningMs: number;
  idleRssBytes: number;
}

async function sampleStartup(dataDir: string, idleMs: number): Promise<StartupSample> {
  const port = await freePort();
  const controllerPort = await freePort();
  const started = performance.now();
  const child = spawn(process.execPath, ['--import', guardUrl, cliPath, 'start', '--host', '127.0.0.1', '--port', String(port), '--controller-port', String(controllerPort), '--data-dir', dataDir], {
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    // The environment `npm start` and kafka-server-start.sh give the broker (GLIBC_TUNABLES).
    env: { ...withMallocTunables(process.env), SAMSA_BENCH_LIFETIME_MS: '60000' },
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-2000)));
  let exitCode: number | null | undefined;
  const exited = new Promise<void>((resolve) => child.once('exit', (code) => ((exitCode = code), resolve())));
  try {
    const deadline = started + 20_000;
    while (!(await canConnect(port))) {
      if (exitCode !== undefined) throw new Error(`samsa start exited with ${exitCode}: ${stderr}`);
      if (performance.now() > deadline) throw new Error('samsa start did not listen within 20 s');
      await sleep(5);
    }
    const listeningMs = performance.now() - started;
    const admin = await AdminConnection.open(port);
    try {
      await withTimeout('CreateTopics', createTopic(admin, 'startup', 1), 10_000);
      const records = buildRecordBatch({ records: [{ key: null, value: Buffer.from('hello'), timestamp: Date.now() }] });
      for (;;) {
        const response = await withTimeout('Produce', admin.send(Api.Produce, 9, { acks: 1, timeoutMs: 10_000, topicData: [{ name: 'startup', partitionData: [{ index: 0, records }] }] }), 10_000);
        const error = response.responses[0]?.partitionResponses[0]?.errorCode ?? -1;
        if (error === 0) break;
        if (performance.now() > deadline) throw new Error(`first produce kept failing with error ${error}`);
        await sleep(5);
      }
    } finally {
      admin.close();
    }
    const firstProduceMs = performance.now() - started;
    await sleep(idleMs);
    return { firstProduceMs, listeningMs, idleRssBytes: rssOf(child.pid ?? 0) };
  } finally {
    if (exitCode === undefined) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

export const startup: Suite = {
  name: 'startup',
  description: '`samsa start` on a fresh dir to the first acknowledged produce, and idle RSS (targets ≤ 500 ms, ≤ 100 MB)',
  async run(ctx) {
    const runs = ctx.quick ? 1 : 3;
    const idleMs = Math.min(2_000, Math.max(200, ctx.durationMs / 2));
    const samples: StartupSample[] = [];
    for (let i = 0; i < runs; i++) samples.push(await sampleStartup(join(ctx.tmpDir, `start-${i}`), idleMs));
    const firstProduceMs = median(samples.map((s) => s.firstProduceMs));
    const idleRssMB = median(samples.map((s) => s.idleRssBytes)) / 1e6;
    ctx.log(`first produce ${samples.map((s) => s.firstProduceMs.toFixed(0)).join(', ')} ms (listening at ${samples.map((s) => s.listeningMs.toFixed(0)).join(', ')} ms); idle RSS ${idleRssMB.toFixed(1)} MB`);
    const out: Measurement[] = [
      { metric: 'target.first-produce', value: startupTargets.firstProduceMs, unit: 'ms' },
      { metric: 'first-produce', value: firstProduceMs, unit: 'ms', ratioTo: 'startup.target.first-produce' },
      { metric: 'listening', value: median(samples.map((s) => s.listeningMs)), unit: 'ms' },
    ];
    if (idleRssMB > 0) {
      out.push(
        { metric: 'target.idle-rss', value: startupTargets.idleRssMB, unit: 'MB' },
        { metric: 'idle-rss', value: idleRssMB, unit: 'MB', ratioTo: 'startup.target.idle-rss' },
      );
    }
    return out;
  },
};
