/**
 * node-rdkafka as a benchmark client: whether it is installed (it lives in
 * test/compat/node_modules, installed by .ci/run with `npm --prefix
 * test/compat ci`), and a child process (rdkafka-child.ts) that runs jobs.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { LatencyResult, RdkafkaChildMessage, RdkafkaJob, ThroughputResult } from './rdkafka-child.js';
import type { Measurement } from '../suite.js';

const compatPackage = new URL('../../../test/compat/package.json', import.meta.url);
const childPath = fileURLToPath(new URL('./rdkafka-child.js', import.meta.url));

/** Undefined when node-rdkafka can be loaded, else why not. */
export function rdkafkaMissing(): string | undefined {
  if (!existsSync(compatPackage)) return 'test/compat is missing';
  try {
    createRequire(compatPackage).resolve('node-rdkafka');
  } catch {
    return 'node-rdkafka not installed (npm --prefix test/compat ci)';
  }
  return undefined;
}

/** What a suite returns when its client is absent: one flag, and the reason in the log. */
export function notInstalled(what: string): Measurement[] {
  return [{ metric: `${what}.installed`, value: 0, unit: 'flag' }];
}

export interface RdkafkaClient {
  run(job: Extract<RdkafkaJob, { kind: 'produce' | 'consume' }>): Promise<ThroughputResult>;
  run(job: Extract<RdkafkaJob, { kind: 'latency' }>): Promise<LatencyResult>;
  close(): Promise<void>;
}

function isMessage(value: unknown): value is RdkafkaChildMessage {
  return typeof value === 'object' && value !== null && typeof (value as { type?: unknown }).type === 'string';
}

/** Starts the client process; it exits by itself after lifetimeMs or when this process goes away. */
export async function startRdkafkaClient(lifetimeMs: number): Promise<RdkafkaClient> {
  // SAMSA_BENCH_CLIENT_CPU_PROF=<dir> profiles the client process (as SAMSA_BENCH_CPU_PROF does the broker).
  const profileDir = process.env['SAMSA_BENCH_CLIENT_CPU_PROF'];
  const execArgv = profileDir ? ['--cpu-prof', '--cpu-prof-dir', profileDir, '--cpu-prof-name', `rdkafka-client-${Date.now()}.cpuprofile`] : [];
  const child: ChildProcess = fork(childPath, [String(lifetimeMs)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv });
  let exited = false;
  const exitedPromise = new Promise<void>((resolve) => child.once('exit', () => ((exited = true), resolve())));
  let pending: { resolve(m: RdkafkaChildMessage): void; reject(e: Error): void } | null = null;
  child.on('message', (message: unknown) => {
    if (!isMessage(message)) return;
    const p = pending;
    pending = null;
    p?.resolve(message);
  });
  child.once('exit', (code) => {
    const p = pending;
    pending = null;
    p?.reject(new Error(`node-rdkafka client exited with code ${code}`));
  });
  const next = (): Promise<RdkafkaChildMessage> => new Promise((resolve, reject) => (pending = { resolve, reject }));
  const ready = await next();
  if (ready.type !== 'ready') throw new Error('node-rdkafka client did not start');
  const run = async (job: RdkafkaJob): Promise<ThroughputResult | LatencyResult> => {
    const answer = next();
    child.send({ type: 'job', job });
    const m = await answer;
    if (m.type === 'error') throw new Error(`node-rdkafka ${job.kind}: ${m.message}`);
    if (m.type !== 'result') throw new Error(`node-rdkafka ${job.kind}: unexpected ${m.type}`);
    return m.result;
  };
  return {
    run: run as RdkafkaClient['run'],
    async close() {
      if (exited) return;
      child.send({ type: 'exit' });
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exitedPromise;
      clearTimeout(timer);
    },
  };
}
