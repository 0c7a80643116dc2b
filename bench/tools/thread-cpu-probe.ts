/**
 * Where the CPU goes in the broker.produce workload (not a suite): the same
 * Produce frames through ceiling.append and through the broker, with the CPU
 * time of every thread of the server and of this process (the load
 * generator), per GB sent, from /proc/<pid>/task/<tid>/stat (Linux).
 *
 *   node dist/bench/tools/thread-cpu-probe.js [--ms 3000] [--acks 1] [--rounds 1] [--only broker|ceiling]
 *     [--config key=value,key=value]   (broker configuration)
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { prepareDiskPhase } from '../disk-phase.js';
import { runFrameLoad, type FrameLoadResult } from '../load/frame-load.js';
import { startFrameServer } from '../servers/spawn.js';
import { AdminConnection, brokerLoad, buildProduceFrames, createTopic, startBroker, statCpuMs } from '../suites/broker-common.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : fallback;
}

/** CPU ms per thread (the main thread as `main`), from /proc. */
function threadCpuMs(pid: number): Map<string, number> {
  const out = new Map<string, number>();
  let tids: string[] = [];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tids) {
    const ms = statCpuMs(`/proc/${pid}/task/${tid}/stat`);
    if (Number.isNaN(ms)) continue; // the thread ended meanwhile
    // The main thread's id is the process id; other threads by name and id.
    const key = tid === String(pid) ? 'main' : `${threadName(pid, tid)}#${tid}`;
    out.set(key, ms);
  }
  return out;
}

function threadName(pid: number, tid: string): string {
  try {
    return readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim();
  } catch {
    return '?';
  }
}

function childPids(): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === process.pid) out.push(Number(entry));
    } catch {
      // gone
    }
  }
  return out;
}

function diff(after: Map<string, number>, before: Map<string, number>): Map<string, number> {
  const out = new Map<string, number>();
  for (const [k, v] of after) out.set(k, v - (before.get(k) ?? 0));
  return out;
}

function report(label: string, load: FrameLoadResult, server: Map<string, number>, client: Map<string, number>): void {
  const gb = load.requestBytes / 1e9;
  const fmt = (m: Map<string, number>): string =>
    [...m].filter(([, v]) => v > 0).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${(v / gb).toFixed(0)}`).join(', ');
  const sum = (m: Map<string, number>): number => [...m.values()].reduce((a, b) => a + b, 0);
  process.stdout.write(
    `${label}: ${load.requestMBps.toFixed(0)} MB/s; CPU ms/GB server ${(sum(server) / gb).toFixed(0)} [${fmt(server)}]; load generator ${(sum(client) / gb).toFixed(0)} [${fmt(client)}]\n`,
  );
}

async function measure(label: string, port: number, pid: number, frames: Buffer[], durationMs: number): Promise<void> {
  const s0 = threadCpuMs(pid);
  const c0 = threadCpuMs(process.pid);
  const load = await runFrameLoad({ host: '127.0.0.1', port, frames, connections: brokerLoad.connections, inFlightMax: brokerLoad.inFlightMax, durationMs });
  report(label, load, diff(threadCpuMs(pid), s0), diff(threadCpuMs(process.pid), c0));
}

async function main(): Promise<void> {
  const durationMs = Number(arg('ms', '3000'));
  const acks = Number(arg('acks', '1'));
  const rounds = Number(arg('rounds', '1'));
  const only = arg('only', '');
  const config = Object.fromEntries(arg('config', '').split(',').filter((kv) => kv !== '').map((kv) => kv.split('=') as [string, string]));
  const tmpDir = mkdtempSync(join(tmpdir(), 'thread-cpu-probe-'));
  const ctx = { durationMs, quick: false, tmpDir, log: (m: string) => process.stderr.write(`${m}\n`) };
  const frames = buildProduceFrames(acks);
  try {
    for (let r = 0; r < rounds; r++) {
      if (only !== 'broker') {
        const before = new Set(childPids());
        const dir = join(tmpDir, `ceiling-${r}`);
        mkdirSync(dir);
        prepareDiskPhase(dir);
        const server = await startFrameServer(acks === 1 ? 'append' : 'fsync', dir, durationMs + 60_000);
        const pid = childPids().find((p) => !before.has(p)) ?? 0;
        await measure(acks === 1 ? 'ceiling.append' : 'ceiling.fsync', server.port, pid, frames, durationMs);
        await server.stop();
        rmSync(dir, { recursive: true, force: true });
      }
      if (only !== 'ceiling') {
        const broker = await startBroker(ctx, `probe-${r}`, config);
        const admin = await AdminConnection.open(broker.port);
        await createTopic(admin, brokerLoad.topic, 1);
        admin.close();
        prepareDiskPhase(tmpDir);
        await measure('broker', broker.port, broker.pid, frames, durationMs);
        await broker.stop();
        rmSync(broker.dataDir, { recursive: true, force: true });
      }
    }
  } finally {
    rmSync(tmpDir, { recursive: true, force: true });
  }
}

void main();
