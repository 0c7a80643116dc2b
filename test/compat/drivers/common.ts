/**
 * Shared by the Node drivers: each driver is a child process run as
 *   node dist/test/compat/drivers/<client>.js <scenario> <bootstrap>
 * that exits 0 when the scenario passed, and otherwise prints one
 * `FAIL: <reason>` line on stderr and exits 1. The runner kills it on timeout.
 */
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { isScenarioId, type ScenarioId } from '../scenarios.js';

/** The repository root (this file is dist/test/compat/drivers/common.js once compiled). */
export const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url));
/** test/compat in the source tree: its package.json and node_modules hold the test-only clients. */
export const compatDir = join(repoRoot, 'test', 'compat');

const compatRequire = createRequire(join(compatDir, 'package.json'));

/**
 * Loads a client package as test/compat would: from test/compat/node_modules
 * first, then the root node_modules (kafkajs is a root devDependency). The
 * caller states the shape it uses; nothing is typed from the package itself,
 * so the root build does not depend on test/compat being installed.
 */
export async function loadClient<T>(name: string): Promise<T> {
  const resolved = compatRequire.resolve(name);
  return (await import(pathToFileURL(resolved).href)) as T;
}

/** The installed version of a client package, read from its package.json. */
export function packageVersion(name: string): string {
  let dir = dirname(compatRequire.resolve(name));
  for (;;) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === name && pkg.version !== undefined) return pkg.version;
    } catch {
      // not here; go up
    }
    const up = dirname(dir);
    if (up === dir) throw new Error(`no package.json for ${name}`);
    dir = up;
  }
}

export type ScenarioImpl = (bootstrap: string) => Promise<void>;

/** Runs the scenario named on the command line and exits with its result. */
export function runDriver(impls: Partial<Record<ScenarioId, ScenarioImpl>>): void {
  const [scenario, bootstrap] = process.argv.slice(2);
  const fail = (message: string): never => {
    process.stderr.write(`FAIL: ${message.replace(/\s+/g, ' ').slice(0, 600)}\n`);
    process.exit(1);
  };
  if (scenario === undefined || bootstrap === undefined || !isScenarioId(scenario)) fail(`usage: <scenario> <bootstrap> (got ${process.argv.slice(2).join(' ')})`);
  const impl = impls[scenario as ScenarioId];
  if (impl === undefined) fail(`scenario ${scenario} is not implemented by this driver`);
  impl!(bootstrap!).then(
    () => process.exit(0),
    (err: unknown) => fail(describeError(err)),
  );
}

export function describeError(err: unknown, depth = 0): string {
  if (err instanceof Error) {
    const extra: string[] = [];
    const fields = err as unknown as Record<string, unknown>;
    for (const key of ['type', 'code', 'errorCode', 'apiKey', 'apiVersion']) {
      const v = fields[key];
      if (v !== undefined && v !== null && (typeof v === 'string' || typeof v === 'number')) extra.push(`${key}=${v}`);
    }
    let text = `${err.name}: ${err.message}${extra.length > 0 ? ` {${extra.join(', ')}}` : ''}`;
    if (depth < 4) {
      // Wrapped errors (cause, AggregateError.errors) usually hold the broker's answer.
      const cause = fields['cause'];
      if (cause instanceof Error && cause.message !== err.message) text += ` (cause: ${describeError(cause, depth + 1)})`;
      const errors = fields['errors'];
      if (Array.isArray(errors) && errors.length > 0) text += ` [${describeError(errors[0], depth + 1)}${errors.length > 1 ? ` +${errors.length - 1} more` : ''}]`;
    }
    return text;
  }
  return String(err);
}

export function check(condition: boolean, message: string): asserts condition {
  if (!condition) throw new Error(message);
}

export function checkEqual<T>(actual: T, expected: T, what: string): void {
  const a = JSON.stringify(actual, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
  const e = JSON.stringify(expected, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
  if (a !== e) throw new Error(`${what}: expected ${e}, got ${a}`);
}

export async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last === undefined ? '' : ` (last error: ${describeError(last)})`}`);
    await sleep(50);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// ---- the data each scenario writes and expects (same for every client) ----

export interface SimpleRecord {
  partition: number;
  offset: number;
  key: string | null;
  value: string | null;
  headers: Record<string, string>;
}

/** produce-consume: 30 records with keys k0..k4, values v0..v29 and header h=i. */
export const keyedRecords = Array.from({ length: 30 }, (_, i) => ({ key: `k${i % 5}`, value: `v${i}`, headers: { h: String(i) } }));

/** Checks what a client read back in produce-consume. */
export function checkKeyed(records: readonly SimpleRecord[]): void {
  checkEqual(records.length, keyedRecords.length, 'records read back');
  const partitionOfKey = new Map<string, number>();
  const byKey = new Map<string, string[]>();
  for (const r of [...records].sort((a, b) => a.partition - b.partition || a.offset - b.offset)) {
    check(r.key !== null && r.value !== null, `record at ${r.partition}/${r.offset} lost its key or value`);
    const i = Number(r.value.slice(1));
    checkEqual(r.key, `k${i % 5}`, `key of ${r.value}`);
    checkEqual(r.headers['h'], String(i), `header h of ${r.value}`);
    const p = partitionOfKey.get(r.key);
    check(p === undefined || p === r.partition, `key ${r.key} on partitions ${p} and ${r.partition}`);
    partitionOfKey.set(r.key, r.partition);
    byKey.set(r.key, [...(byKey.get(r.key) ?? []), r.value]);
  }
  for (const [key, values] of byKey) {
    const expected = keyedRecords.filter((r) => r.key === key).map((r) => r.value);
    checkEqual(values, expected, `values of key ${key} in partition order`);
  }
}

/** compression-*: 20 compressible values. */
export const compressibleValues = Array.from({ length: 20 }, (_, i) => `value-${i}-${'abcdefgh'.repeat(16)}`);

export type Codec = 'gzip' | 'snappy' | 'lz4' | 'zstd';
export function codecOf(scenario: ScenarioId): Codec {
  const codec = scenario.slice('compression-'.length);
  if (codec !== 'gzip' && codec !== 'snappy' && codec !== 'lz4' && codec !== 'zstd') throw new Error(`not a compression scenario: ${scenario}`);
  return codec;
}

/**
 * consumer-group: members use a 6 s session timeout, so the two that stay
 * must take over within 5 s of the third closing; only a LeaveGroup makes
 * that happen, not the session expiring.
 */
export const takeoverMs = 5_000;

/** Partitions 0..5 covered exactly once by the members' assignments, every member holding some. */
export function coversOnce(assignments: ReadonlyArray<readonly number[]>, partitions = 6): boolean {
  const all = assignments.flat().sort((a, b) => a - b);
  return assignments.every((a) => a.length > 0) && all.length === partitions && all.every((p, i) => p === i);
}

/** transactions: what a read_committed reader must see. */
export const committedValues = ['c0', 'c1', 'c2', 'c3', 'c4', 'c5'];
export const abortedValues = ['a0', 'a1', 'a2', 'a3', 'a4'];

/** list-offsets-time: the base timestamp T (a minute ago, rounded). */
export function baseTimestamp(): number {
  return Math.floor((Date.now() - 60_000) / 1000) * 1000;
}
