/**
 * The broker child of servers/broker-server.ts, started here with its process
 * id known so that the scale and start-up benchmarks can read its resident
 * memory (suites/broker-common.ts's startBroker does not expose the child).
 * Same rules: fresh data dir under ctx.tmpDir, IPC stop, lifetime limit,
 * SAMSA_BENCH_CPU_PROF=<dir> profiles it.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BrokerServerMessage } from '../servers/broker-server.js';
import type { BenchContext } from '../suite.js';

export interface BrokerProcess {
  port: number;
  pid: number;
  /** Resident set size of the broker process now, in bytes. */
  rssBytes(): number;
  stop(): Promise<void>;
}

const serverPath = fileURLToPath(new URL('../servers/broker-server.js', import.meta.url));

/** VmRSS of a process from /proc (Linux), in bytes; 0 where unavailable. */
export function rssOf(pid: number): number {
  try {
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

function isMessage(value: unknown): value is BrokerServerMessage {
  return typeof value === 'object' && value !== null && typeof (value as { type?: unknown }).type === 'string';
}

export function startBrokerProcess(ctx: BenchContext, name: string, lifetimeMs: number, config: Record<string, string | number | boolean> = {}): Promise<BrokerProcess> {
  const dataDir = join(ctx.tmpDir, name);
  mkdirSync(dataDir, { recursive: true });
  const profileDir = process.env['SAMSA_BENCH_CPU_PROF'];
  const execArgv = profileDir ? ['--cpu-prof', '--cpu-prof-dir', profileDir, '--cpu-prof-name', `broker-${name}-${Date.now()}.cpuprofile`] : [];
  const child: ChildProcess = fork(serverPath, [dataDir, String(lifetimeMs), JSON.stringify(config)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv });
  let exited = false;
  const exitedPromise = new Promise<void>((resolve) => child.once('exit', () => ((exited = true), resolve())));
  const pid = child.pid ?? 0;
  const stop = async (): Promise<void> => {
    if (exited) return;
    child.send({ type: 'stop' });
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exitedPromise;
    clearTimeout(timer);
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error('broker did not start within 20 s'));
    }, 20_000);
    child.on('message', (message: unknown) => {
      if (isMessage(message) && message.type === 'listening') {
        clearTimeout(timer);
        resolve({ port: message.port, pid, rssBytes: () => rssOf(pid), stop });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`broker exited early with code ${code}`));
    });
  });
}
