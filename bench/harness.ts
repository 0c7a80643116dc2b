/**
 * Runs suites and turns their measurements into a run record: the table that
 * is printed and the JSON that is kept in bench/results/. Separate from the
 * CLI (run.ts) so the harness test can drive it with tiny durations.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import type { Measurement, Suite } from './suite.js';
import { settleDisk } from './disk-phase.js';

export const recordFormat = 'samsa-bench/1';

/** Repository root, from dist/bench/harness.js. */
export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
export const defaultResultsDir = join(repoRoot, 'bench', 'results');

export interface MachineInfo {
  cpuCount: number;
  cpuModel: string;
  totalMemBytes: number;
  nodeVersion: string;
  platform: string;
  arch: string;
}

export interface RecordedMeasurement extends Measurement {
  /** `<suite>.<metric>`, unique within a run. */
  id: string;
  suite: string;
  /** value / ceiling value, when ratioTo names a measurement of this run with a compatible unit. */
  ratio?: number;
}

export interface SuiteOutcome {
  name: string;
  elapsedMs: number;
  measurements: RecordedMeasurement[];
  /** As RunRecord.cpuBusyAtStart, sampled just before this suite. */
  cpuBusyBefore: number;
  /** Set when the suite threw or returned malformed measurements. */
  error?: string;
}

export interface RunRecord {
  format: typeof recordFormat;
  startedAt: string;
  finishedAt: string;
  gitCommit: string | null;
  quick: boolean;
  durationMs: number;
  filters: string[];
  machine: MachineInfo;
  /**
   * Share of all CPUs (0..1) busy with other work during a short idle sample
   * just before the run; well above 0 means the figures are likely low.
   */
  cpuBusyAtStart: number;
  suites: SuiteOutcome[];
}

export interface RunOptions {
  durationMs: number;
  quick: boolean;
  filters?: string[];
  /** Progress lines; default stderr. */
  log?: (line: string) => void;
  /**
   * Before each suite, wait up to this long for other work to leave the CPUs
   * below busyThreshold. Default 0 (do not wait).
   */
  quietWaitMs?: number;
}

export function machineInfo(): MachineInfo {
  const list = cpus();
  return {
    cpuCount: list.length,
    cpuModel: list[0]?.model.trim() ?? 'unknown',
    totalMemBytes: totalmem(),
    nodeVersion: process.version,
    platform: process.platform,
    arch: process.arch,
  };
}

function gitCommit(): string | null {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: repoRoot, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() || null;
  } catch {
    return null;
  }
}

/**
 * The suites whose names contain any filter (all when there is none), plus the
 * ceilings they declare, in registry order. Throws when a filter matches nothing.
 */
export function selectSuites(all: readonly Suite[], filters: readonly string[]): Suite[] {
  if (filters.length === 0) return [...all];
  const wanted = new Set<string>();
  for (const filter of filters) {
    const matched = all.filter((suite) => suite.name.includes(filter));
    if (matched.length === 0) throw new Error(`no benchmark matches "${filter}"; try --list`);
    for (const suite of matched) {
      wanted.add(suite.name);
      for (const ceiling of suite.ceilings ?? []) wanted.add(ceiling);
    }
  }
  for (const name of wanted) {
    if (!all.some((suite) => suite.name === name)) throw new Error(`unknown ceiling "${name}"`);
  }
  return all.filter((suite) => wanted.has(suite.name));
}

function checkMeasurements(suite: Suite, measurements: unknown): Measurement[] {
  if (!Array.isArray(measurements)) throw new Error('run() must resolve to an array of measurements');
  const seen = new Set<string>();
  for (const m of measurements as Measurement[]) {
    if (typeof m.metric !== 'string' || m.metric === '') throw new Error('a measurement has no metric name');
    if (seen.has(m.metric)) throw new Error(`metric "${m.metric}" reported twice`);
    seen.add(m.metric);
    if (typeof m.value !== 'number' || !Number.isFinite(m.value)) throw new Error(`${suite.name}.${m.metric}: value is not a finite number`);
    if (typeof m.unit !== 'string' || m.unit === '') throw new Error(`${suite.name}.${m.metric}: no unit`);
  }
  return measurements as Measurement[];
}

/** Above this share of busy CPU before a suite, its figures are flagged. */
export const busyThreshold = 0.2;

function percent(share: number): string {
  return `${Math.round(share * 100)}%`;
}

function cpuTimes(): { busy: number; total: number } {
  let busy = 0;
  let total = 0;
  for (const cpu of cpus()) {
    const t = cpu.times;
    busy += t.user + t.nice + t.sys + t.irq;
    total += t.user + t.nice + t.sys + t.irq + t.idle;
  }
  return { busy, total };
}

/**
 * Share of all CPUs busy over a short sample while this process waits, i.e.
 * how much other work is running. A load average would also count our own
 * previous suites, so it is not used.
 */
export async function sampleCpuBusy(sampleMs = 250): Promise<number> {
  const before = cpuTimes();
  await new Promise((resolve) => setTimeout(resolve, sampleMs));
  const after = cpuTimes();
  const total = after.total - before.total;
  return total > 0 ? Math.min(1, Math.max(0, (after.busy - before.busy) / total)) : 0;
}

/** Samples until the CPUs are quiet or waitMs has passed; returns the last sample. */
async function waitForQuiet(waitMs: number, log: (line: string) => void): Promise<number> {
  const deadline = performance.now() + waitMs;
  let busy = await sampleCpuBusy();
  if (busy > busyThreshold && waitMs > 0) {
    log(`  waiting up to ${Math.round(waitMs / 1000)} s for other work to finish (CPUs ${percent(busy)} busy)`);
    while (busy > busyThreshold && performance.now() < deadline) busy = await sampleCpuBusy(500);
  }
  return busy;
}

/** Suites that never settle are abandoned after this (their child processes end by themselves). */
function suiteTimeoutMs(durationMs: number): number {
  return durationMs * 6 + 60_000;
}

export async function runSuites(selected: readonly Suite[], options: RunOptions): Promise<RunRecord> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const startedAt = new Date().toISOString();
  const cpuBusyAtStart = await sampleCpuBusy();
  const outcomes: SuiteOutcome[] = [];
  for (const suite of selected) {
    const tmpDir = await mkdtemp(join(tmpdir(), `samsa-bench-${suite.name.replace(/[^\w.-]/g, '_')}-`));
    // The previous suite's writes go to disk now, not during this one.
    settleDisk(tmpDir);
    const cpuBusyBefore = await waitForQuiet(options.quietWaitMs ?? 0, log);
    const t0 = performance.now();
    log(`▶ ${suite.name}: ${suite.description}${cpuBusyBefore > busyThreshold ? ` (CPUs ${percent(cpuBusyBefore)} busy before it)` : ''}`);
    const outcome: SuiteOutcome = { name: suite.name, elapsedMs: 0, cpuBusyBefore, measurements: [] };
    let timer: NodeJS.Timeout | undefined;
    try {
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${suiteTimeoutMs(options.durationMs)} ms`)), suiteTimeoutMs(options.durationMs));
      });
      const result = await Promise.race([
        suite.run({ durationMs: options.durationMs, quick: options.quick, tmpDir, log: (line) => log(`  ${suite.name}: ${line}`) }),
        timeout,
      ]);
      outcome.measurements = checkMeasurements(suite, result).map((m) => ({
        ...m,
        id: `${suite.name}.${m.metric}`,
        suite: suite.name,
      }));
    } catch (err) {
      outcome.error = err instanceof Error ? err.message : String(err);
      log(`  ${suite.name} failed: ${outcome.error}`);
    } finally {
      clearTimeout(timer);
      await rm(tmpDir, { recursive: true, force: true });
    }
    outcome.elapsedMs = Math.round(performance.now() - t0);
    outcomes.push(outcome);
  }
  fillRatios(outcomes, log);
  return {
    format: recordFormat,
    startedAt,
    finishedAt: new Date().toISOString(),
    gitCommit: gitCommit(),
    quick: options.quick,
    durationMs: options.durationMs,
    filters: options.filters ?? [],
    machine: machineInfo(),
    cpuBusyAtStart,
    suites: outcomes,
  };
}

/** Units that convert into each other: factor to the base unit of their dimension. */
const unitScale: Record<string, { dimension: string; factor: number }> = {
  'B/s': { dimension: 'bytes/s', factor: 1 },
  'KB/s': { dimension: 'bytes/s', factor: 1e3 },
  'MB/s': { dimension: 'bytes/s', factor: 1e6 },
  'GB/s': { dimension: 'bytes/s', factor: 1e9 },
  us: { dimension: 'time', factor: 1e-6 },
  ms: { dimension: 'time', factor: 1e-3 },
  s: { dimension: 'time', factor: 1 },
};

/** value(unit) / ceiling(ceilingUnit), or undefined when the units do not compare. */
export function ratioOf(value: number, unit: string, ceiling: number, ceilingUnit: string): number | undefined {
  if (ceiling === 0) return undefined;
  if (unit === ceilingUnit) return value / ceiling;
  const a = unitScale[unit];
  const b = unitScale[ceilingUnit];
  if (!a || !b || a.dimension !== b.dimension) return undefined;
  return (value * a.factor) / (ceiling * b.factor);
}

function fillRatios(outcomes: SuiteOutcome[], log: (line: string) => void): void {
  const byId = new Map<string, RecordedMeasurement>();
  for (const outcome of outcomes) for (const m of outcome.measurements) byId.set(m.id, m);
  for (const m of byId.values()) {
    if (m.ratioTo === undefined) continue;
    const ceiling = byId.get(m.ratioTo);
    if (!ceiling) {
      log(`  ${m.id}: ceiling ${m.ratioTo} was not measured in this run`);
      continue;
    }
    const ratio = ratioOf(m.value, m.unit, ceiling.value, ceiling.unit);
    if (ratio === undefined) log(`  ${m.id}: unit ${m.unit} does not compare with ${ceiling.unit} of ${m.ratioTo}`);
    else m.ratio = ratio;
  }
}

function formatValue(value: number): string {
  const abs = Math.abs(value);
  if (abs >= 1000) return Math.round(value).toLocaleString('en-US');
  if (abs >= 100) return value.toFixed(1);
  if (abs >= 1) return value.toFixed(2);
  return value.toPrecision(3);
}

/** A plain-text table of a run: measurement, value, unit, ratio to its ceiling. */
export function formatTable(record: RunRecord): string {
  const rows: string[][] = [['measurement', 'value', 'unit', 'ratio to ceiling / note']];
  for (const outcome of record.suites) {
    if (outcome.error !== undefined) rows.push([outcome.name, 'FAILED', '', outcome.error]);
    for (const m of outcome.measurements) {
      const ratio = m.ratio === undefined ? (m.ratioTo ? `? (${m.ratioTo})` : '') : `${m.ratio.toFixed(2)} × ${m.ratioTo}`;
      const busy = outcome.cpuBusyBefore > busyThreshold ? `${ratio ? '; ' : ''}CPUs ${percent(outcome.cpuBusyBefore)} busy before` : '';
      rows.push([m.id, formatValue(m.value), m.unit, ratio + busy]);
    }
  }
  const widths = rows[0]!.map((_, col) => Math.max(...rows.map((row) => row[col]!.length)));
  const line = (row: string[]): string =>
    row
      .map((cell, col) => (col === 1 ? cell.padStart(widths[col]!) : cell.padEnd(widths[col]!)))
      .join('  ')
      .trimEnd();
  const m = record.machine;
  const header =
    `${m.cpuCount} × ${m.cpuModel}, ${(m.totalMemBytes / 2 ** 30).toFixed(1)} GiB, node ${m.nodeVersion}` +
    `${record.gitCommit ? `, commit ${record.gitCommit}` : ''}${record.quick ? ', quick' : ''}` +
    `, CPUs ${percent(record.cpuBusyAtStart)} busy with other work at start`;
  return [header, line(rows[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)].join('\n');
}

/** File name for a run: its start time in ISO 8601 with ':' replaced by '-' (portable file names). */
export function recordFileName(record: RunRecord): string {
  return `${record.startedAt.replace(/:/g, '-')}.json`;
}

export async function writeRecord(record: RunRecord, dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  const path = join(dir, recordFileName(record));
  await writeFile(path, `${JSON.stringify(record, null, 2)}\n`);
  return path;
}
