/**
 * Where the broker's memory goes at scale (not a suite): runs the broker in
 * this process and prints RSS and process.memoryUsage() (V8 heap, array
 * buffers, external) after start, after creating a topic with N partitions,
 * and after opening M idle connections (ApiVersions each), after a full GC.
 *
 *   node --expose-gc dist/bench/tools/scale-memory.js [--partitions 1000] [--idle 1000] [--wait S]
 *
 * --wait reports once more after S seconds without traffic.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Broker } from '../../src/index.js';
import { AdminConnection, createTopic, openIdleConnections } from '../suites/broker-common.js';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

const gc = (globalThis as { gc?: () => void }).gc;
let last: NodeJS.MemoryUsage | null = null;
async function report(label: string, per = 1): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 200));
  gc?.();
  const m = process.memoryUsage();
  const mb = (b: number): string => (b / 1e6).toFixed(1).padStart(7);
  const kb = (b: number): string => ((b / per) / 1e3).toFixed(1).padStart(6);
  const fds = readdirSync('/proc/self/fd').length;
  let line = `${label.padEnd(28)} fds ${fds} rss ${mb(m.rss)} heapTotal ${mb(m.heapTotal)} heapUsed ${mb(m.heapUsed)} arrayBuffers ${mb(m.arrayBuffers)} external ${mb(m.external)} MB`;
  if (last && per > 1) {
    line += `\n${''.padEnd(28)} per item: rss ${kb(m.rss - last.rss)} heap ${kb(m.heapUsed - last.heapUsed)} arrayBuffers ${kb(m.arrayBuffers - last.arrayBuffers)} external ${kb(m.external - last.external)} KB`;
  }
  process.stdout.write(`${line}\n`);
  last = m;
}

async function main(): Promise<void> {
  const partitions = arg('partitions', 1000);
  const idle = arg('idle', 1000);
  const dataDir = mkdtempSync(join(tmpdir(), 'scale-memory-'));
  await report('before start');
  const broker = await Broker.start({ port: 0, dataDir });
  const sockets: Socket[] = [];
  try {
    await report('broker started');
    const admin = await AdminConnection.open(broker.port);
    await createTopic(admin, 'mem-p', partitions);
    admin.close();
    await report(`${partitions} partitions`, partitions);
    sockets.push(...(await openIdleConnections(broker.port, idle)));
    await report(`${idle} idle connections`, idle);
    for (const s of sockets) s.destroy();
    sockets.length = 0;
    await report('connections closed');
    const waitS = arg('wait', 0);
    if (waitS > 0) {
      await new Promise((resolve) => setTimeout(resolve, waitS * 1000));
      last = null;
      await report(`after ${waitS} s idle`);
    }
  } finally {
    for (const s of sockets) s.destroy();
    await broker.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
