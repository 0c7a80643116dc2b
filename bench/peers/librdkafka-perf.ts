/**
 * librdkafka without the Node binding: its own `rdkafka_performance` example
 * tool (examples/rdkafka_performance.c in the librdkafka source that
 * node-rdkafka bundles), compiled against the librdkafka.so that
 * node-rdkafka built (build/deps), so the C client and the binding run the
 * same library.
 *
 * The binary is built on demand with the system C compiler into
 * test/compat/node_modules/.cache/samsa-bench/ (about a second) and reused
 * while the source and library are unchanged. Nothing is downloaded; when
 * node-rdkafka's build, the source or a compiler is missing, perfTool()
 * says why and the suite reports the measurement as not installed.
 */
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ThroughputResult } from './rdkafka-jobs.js';

const nodeModules = fileURLToPath(new URL('../../../test/compat/node_modules/', import.meta.url));
const bindingDir = join(nodeModules, 'node-rdkafka');
const sourceDir = join(bindingDir, 'deps', 'librdkafka');
const toolSource = join(sourceDir, 'examples', 'rdkafka_performance.c');
const libDir = join(bindingDir, 'build', 'deps');
const sharedLib = join(libDir, 'librdkafka.so.1');
const cacheDir = join(nodeModules, '.cache', 'samsa-bench');

export type PerfTool = { path: string } | { missing: string };

/** Cache key: the tool's source and the library it links, by size and mtime. */
function cacheKey(): string {
  const h = createHash('sha256');
  for (const f of [toolSource, sharedLib]) {
    const s = statSync(f);
    h.update(`${f}:${s.size}:${s.mtimeMs}\n`);
  }
  return h.digest('hex').slice(0, 12);
}

/**
 * The rdkafka_performance binary: from the cache, or compiled now when
 * `build` is true (a quick or harness run passes false so that it never
 * compiles inside a short measurement).
 */
export function perfTool(build: boolean): PerfTool {
  if (!existsSync(toolSource)) return { missing: 'librdkafka source not found under node-rdkafka/deps' };
  if (!existsSync(sharedLib)) return { missing: 'node-rdkafka has no build/deps/librdkafka.so.1' };
  const binary = join(cacheDir, `rdkafka_performance-${cacheKey()}`);
  if (existsSync(binary)) return { path: binary };
  if (!build) return { missing: 'rdkafka_performance not built yet (a full, non --quick run builds it)' };
  const cc = process.env['CC'] ?? 'cc';
  const partial = `${binary}.${process.pid}.tmp`;
  try {
    mkdirSync(cacheDir, { recursive: true });
    execFileSync(cc, ['-O2', '-w', '-I', join(sourceDir, 'src'), toolSource, '-o', partial, '-L', libDir, '-l:librdkafka.so.1', '-lm', '-lpthread', `-Wl,-rpath,${libDir}`], {
      stdio: ['ignore', 'ignore', 'pipe'],
      timeout: 120_000,
    });
    renameSync(partial, binary);
  } catch (err) {
    const stderr = (err as { stderr?: Buffer }).stderr?.toString().trim().split('\n').slice(-3).join(' | ');
    return { missing: `building rdkafka_performance with ${cc} failed: ${stderr || (err as Error).message}` };
  }
  return { path: binary };
}

/**
 * Runs the tool until it exits; `stopAfterMs` sends SIGINT (its own "stop
 * and print the summary"). Resolves with its output whatever the exit code:
 * a producer stopped this way exits with 1 when messages were still in
 * flight, after printing its summary; the callers check for that summary.
 */
function runTool(path: string, args: string[], stopAfterMs: number, killAfterMs: number): Promise<{ out: string; tail: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(path, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    const stop = setTimeout(() => child.kill('SIGINT'), stopAfterMs);
    const kill = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      clearTimeout(stop);
      clearTimeout(kill);
      if (code !== null) resolve({ out, tail: `exit ${code}: ${(err + out).trim().split('\n').filter((l) => !l.includes('CONFWARN')).slice(-3).join(' | ')}` });
      else reject(new Error(`rdkafka_performance ${args.slice(0, 1).join(' ')} ended by ${signal}: ${(err || out).trim().split('\n').slice(-3).join(' | ')}`));
    });
  });
}

const common = (bootstrap: string): string[] => ['-b', bootstrap, '-X', 'socket.nagle.disable=true', '-X', 'topic.metadata.refresh.interval.ms=-1'];

/**
 * Produces `messageBytes`-byte values to any partition (librdkafka's
 * partitioner) for durationMs, then stops. Counts messages with a successful
 * delivery report (acknowledged by the broker); the tool divides by the time
 * from its first produce call to its summary.
 */
export async function perfProduce(tool: string, o: { bootstrap: string; topic: string; messageBytes: number; acks: number; durationMs: number }): Promise<ThroughputResult> {
  const args = ['-P', '-t', o.topic, '-s', String(o.messageBytes), '-a', String(o.acks), '-X', 'linger.ms=5', '-X', 'queue.buffering.max.messages=1000000', '-i', '60000', ...common(o.bootstrap)];
  const { out, tail } = await runTool(tool, args, o.durationMs, o.durationMs + 60_000);
  const all = [...out.matchAll(/% (\d+) messages produced \((\d+) bytes\), (\d+) delivered \(offset -?\d+, (\d+) failed\) in (\d+)ms/g)];
  const m = all[all.length - 1];
  if (!m) throw new Error(`rdkafka_performance -P: no summary (${tail})`);
  const delivered = Number(m[3]);
  const failed = Number(m[4]);
  if (failed > 0) throw new Error(`rdkafka_performance -P: ${failed} messages failed`);
  return { messages: delivered, bytes: delivered * o.messageBytes, elapsedMs: Number(m[5]) };
}

/**
 * Consumes `count` messages from the start of the topic's partitions with
 * the batch consume API (10,000 per call); the tool times from the first
 * message received to the last.
 */
export async function perfConsume(tool: string, o: { bootstrap: string; topic: string; partitions: number; count: number; timeoutMs: number }): Promise<ThroughputResult> {
  const parts = Array.from({ length: o.partitions }, (_, p) => ['-p', String(p)]).flat();
  const args = ['-C', '-t', o.topic, ...parts, '-o', 'beginning', '-B', '10000', '-c', String(o.count), '-i', '60000', ...common(o.bootstrap)];
  const { out, tail } = await runTool(tool, args, o.timeoutMs, o.timeoutMs + 10_000);
  const all = [...out.matchAll(/% (\d+) messages \((\d+) bytes\) consumed in (\d+)ms/g)];
  const m = all[all.length - 1];
  if (!m) throw new Error(`rdkafka_performance -C: no summary (${tail})`);
  const messages = Number(m[1]);
  if (messages < o.count) throw new Error(`rdkafka_performance -C: consumed ${messages} of ${o.count} in ${o.timeoutMs} ms`);
  return { messages, bytes: Number(m[2]), elapsedMs: Number(m[3]) };
}
