/**
 * Running the bin/kafka-*.sh scripts as a user would: a real child process,
 * stdin piped in, stdout/stderr and the exit code collected.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
export const binDir = join(repoRoot, 'bin');

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  stdin?: string;
  timeoutMs?: number;
  env?: Record<string, string>;
}

/** Runs `bin/<script>` to completion (killed after timeoutMs, default 20 s). */
export function runScript(script: string, args: string[], options: RunOptions = {}): Promise<RunResult> {
  const proc = startScript(script, args, options);
  return proc.done;
}

export interface RunningScript {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  /** Resolves once stdout contains `text` (or rejects after timeoutMs). */
  waitForStdout: (predicate: (stdout: string) => boolean, timeoutMs?: number) => Promise<void>;
  done: Promise<RunResult>;
}

export function startScript(script: string, args: string[], options: RunOptions = {}): RunningScript {
  const child = spawn(join(binDir, script), args, {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, ...(options.env ?? {}) },
  });
  let stdout = '';
  let stderr = '';
  const waiters: Array<() => void> = [];
  child.stdout!.on('data', (d: Buffer) => {
    stdout += d.toString('utf8');
    for (const w of waiters.splice(0)) w();
  });
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
  if (options.stdin !== undefined) child.stdin!.end(options.stdin);
  const timeoutMs = options.timeoutMs ?? 20_000;
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const done = new Promise<RunResult>((resolve) => {
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
  const waitForStdout = (predicate: (s: string) => boolean, waitMs = 15_000): Promise<void> =>
    new Promise((resolve, reject) => {
      const deadline = setTimeout(() => reject(new Error(`timed out waiting for output; stdout so far: ${JSON.stringify(stdout)} stderr: ${JSON.stringify(stderr)}`)), waitMs);
      const check = (): void => {
        if (predicate(stdout)) {
          clearTimeout(deadline);
          resolve();
        } else {
          waiters.push(check);
        }
      };
      check();
    });
  return { child, stdout: () => stdout, stderr: () => stderr, waitForStdout, done };
}
