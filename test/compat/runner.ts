/**
 * Runs the matrix: one fresh Samsa broker per client (embedded, loopback,
 * port 0), each scenario as a child process with a timeout. Clients run a few
 * at a time; a client's scenarios run one after another on its own broker.
 */
import { spawn } from 'node:child_process';
import { Broker } from '../../src/index.js';
import { clients, type ClientSpec } from './clients.js';
import { scenarios, type ScenarioId } from './scenarios.js';
import { verifyOnBroker } from './verify.js';

export type CellResult =
  | { readonly result: 'pass'; readonly ms: number }
  | { readonly result: 'fail'; readonly error: string; readonly ms: number }
  | { readonly result: 'unsupported'; readonly reason: string };

export interface ClientResult {
  readonly client: string;
  readonly name: string;
  readonly language: string;
  readonly installedBy: string;
  readonly notes?: string;
  /** null when the client is not installed; `missing` says why. */
  readonly version: string | null;
  readonly missing?: string;
  readonly cells: Partial<Record<ScenarioId, CellResult>>;
}

export interface MatrixResult {
  readonly generatedAt: string;
  readonly node: string;
  readonly samsaVersion: string;
  readonly durationMs: number;
  readonly clients: ClientResult[];
}

export interface RunOptions {
  /** Default: every client in clients.ts. */
  readonly clients?: readonly ClientSpec[];
  readonly clientIds?: readonly string[];
  readonly scenarioIds?: readonly ScenarioId[];
  /** Clients running at the same time (each with its own broker). */
  readonly concurrency?: number;
  readonly timeoutMs?: number;
  readonly log?: (line: string) => void;
}

/** Broker settings that make group scenarios fast; everything else is Samsa's default. */
export const brokerConfig = {
  'group.initial.rebalance.delay.ms': 200,
  'offsets.topic.num.partitions': 4,
} as const;

/** Slower scenarios get more time; the rest fail fast. */
function timeoutFor(scenario: ScenarioId, base: number): number {
  return scenario === 'consumer-group' || scenario === 'transactions' ? base * 2 : base;
}

/** Keeps error texts stable across runs (ports, librdkafka log timestamps), so the docs only change with results. */
function normalize(text: string): string {
  return text
    .replace(/(127\.0\.0\.1|localhost):\d+/g, '$1:PORT')
    .replace(/%\d\|\d+\.\d+\|/g, '%')
    .replace(/\s+/g, ' ')
    .trim();
}

function runOne(cmd: string, args: readonly string[], timeoutMs: number): Promise<{ ok: boolean; error: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let stderr = '';
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout = (stdout + chunk.toString()).slice(-8_000);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-8_000);
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      // The driver runs in its own process group; take its helpers (kcat, ...) with it.
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    }, timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      resolve({ ok: false, error: `could not start ${cmd}: ${err.message}` });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0 && !timedOut) return resolve({ ok: true, error: '' });
      const failLine = stderr.split('\n').reverse().find((l) => l.startsWith('FAIL: '));
      const tail = (stderr.trim() || stdout.trim()).split('\n').slice(-3).join(' | ');
      const errorLine = stderr.split('\n').find((l) => /Error\b/.test(l));
      let why = failLine?.slice('FAIL: '.length) ?? errorLine?.trim() ?? (tail || `exit ${code ?? signal}`);
      why = normalize(why);
      resolve({ ok: false, error: timedOut ? `timed out after ${timeoutMs} ms${why ? ` (${why})` : ''}` : why });
    });
  });
}

interface Probe {
  readonly version: string | null;
  readonly missing?: string;
  /** Settles when the client is ready (its `prepare`), rejecting with why not. */
  readonly ready: Promise<void>;
}

function probe(spec: ClientSpec): Probe {
  try {
    const version = spec.version();
    const ready = spec.prepare?.() ?? Promise.resolve();
    ready.catch(() => {}); // looked at by runClient
    return { version, ready };
  } catch (err) {
    return { version: null, missing: err instanceof Error ? err.message : String(err), ready: Promise.resolve() };
  }
}

async function runClient(spec: ClientSpec, probed: Probe, wanted: readonly ScenarioId[], timeoutMs: number, log: (line: string) => void): Promise<ClientResult> {
  const base = { client: spec.id, name: spec.name, language: spec.language, installedBy: spec.installedBy, ...(spec.notes === undefined ? {} : { notes: spec.notes }) };
  let missing = probed.missing;
  if (missing === undefined) {
    try {
      await probed.ready;
    } catch (err) {
      missing = err instanceof Error ? err.message : String(err);
    }
  }
  if (missing !== undefined || probed.version === null) {
    const why = missing ?? 'no version';
    log(`${spec.id}: NOT AVAILABLE: ${why}`);
    const cells: Partial<Record<ScenarioId, CellResult>> = {};
    for (const s of wanted) cells[s] = spec.unsupported[s] !== undefined ? { result: 'unsupported', reason: spec.unsupported[s]! } : { result: 'fail', error: `client not available: ${why}`, ms: 0 };
    return { ...base, version: null, missing: why, cells };
  }
  const version = probed.version;
  const cells: Partial<Record<ScenarioId, CellResult>> = {};
  const broker = await Broker.start({ config: brokerConfig });
  try {
    for (const scenario of wanted) {
      const reason = spec.unsupported[scenario];
      if (reason !== undefined) {
        cells[scenario] = { result: 'unsupported', reason };
        continue;
      }
      const started = Date.now();
      const { cmd, args } = spec.command(scenario, broker.bootstrap);
      let { ok, error } = await runOne(cmd, args, timeoutFor(scenario, timeoutMs));
      if (ok) {
        const wrong = await verifyOnBroker(scenario, broker.bootstrap).catch((err: unknown) => `broker check failed: ${err instanceof Error ? err.message : String(err)}`);
        if (wrong !== null) [ok, error] = [false, wrong];
      }
      const ms = Date.now() - started;
      cells[scenario] = ok ? { result: 'pass', ms } : { result: 'fail', error, ms };
      log(`${spec.id} ${scenario}: ${ok ? 'pass' : `FAIL ${error}`} (${ms} ms)`);
    }
  } finally {
    await broker.stop();
  }
  return { ...base, version, cells };
}

export async function runMatrix(options: RunOptions = {}): Promise<MatrixResult> {
  const started = Date.now();
  const log = options.log ?? (() => {});
  const wantedClients = (options.clients ?? clients).filter((c) => options.clientIds === undefined || options.clientIds.includes(c.id));
  const wantedScenarios = scenarios.map((s) => s.id).filter((s) => options.scenarioIds === undefined || options.scenarioIds.includes(s));
  // Versions first (quick), then slow preparations (a Go build) run while the first clients are tested.
  const probes = wantedClients.map(probe);
  const results: ClientResult[] = new Array<ClientResult>(wantedClients.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < wantedClients.length) {
      const i = next++;
      results[i] = await runClient(wantedClients[i]!, probes[i]!, wantedScenarios, options.timeoutMs ?? 20_000, log);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency ?? 3) }, worker));
  const samsa = clients.find((c) => c.id === 'samsa')!.version();
  return { generatedAt: new Date().toISOString(), node: process.version, samsaVersion: samsa, durationMs: Date.now() - started, clients: results };
}
