/**
 * `samsa bench [filter...] [--quick]`: the benchmark suite of `npm run bench`
 * (bench/run.ts, compiled to dist/bench/run.js beside dist/src). Runs it as a
 * child process with this terminal, passing the flags on, and exits with its
 * code. The suite is part of a Samsa checkout, not of the npm package.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { ToolError, action, examples } from './shared.js';

interface BenchFlags {
  quick?: boolean;
  list?: boolean;
  dryRun?: boolean;
  durationMs?: string;
  resultsDir?: string;
  quietWaitS?: string;
}

/** dist/src/cli/samsa/bench.js → dist/bench/run.js */
const runner = fileURLToPath(new URL('../../../bench/run.js', import.meta.url));

function bench(filters: string[], flags: BenchFlags): Promise<number> {
  if (!existsSync(runner)) {
    throw new ToolError(`The benchmark suite is not in this installation (no ${runner}); run it from a Samsa checkout after npm run build.`);
  }
  const args = [...filters];
  if (flags.quick === true) args.push('--quick');
  if (flags.list === true) args.push('--list');
  if (flags.dryRun === true) args.push('--dry-run');
  if (flags.durationMs !== undefined) args.push('--duration-ms', flags.durationMs);
  if (flags.resultsDir !== undefined) args.push('--results-dir', flags.resultsDir);
  if (flags.quietWaitS !== undefined) args.push('--quiet-wait-s', flags.quietWaitS);
  const child = spawn(process.execPath, [runner, ...args], { stdio: 'inherit' });
  // Ctrl-C reaches the child through the terminal; a TERM sent to us alone is passed on.
  const forward = (signal: NodeJS.Signals): void => {
    child.kill(signal);
  };
  process.on('SIGINT', () => {});
  process.on('SIGTERM', forward);
  return new Promise((resolve, reject) => {
    child.on('error', (error) => reject(new ToolError(`Cannot run the benchmark suite: ${error.message}`)));
    child.on('exit', (code, signal) => resolve(code ?? (signal === 'SIGINT' ? 130 : 143)));
  });
}

export function benchCommand(program: Command): void {
  examples(
    program
      .command('bench')
      .argument('[filter...]', 'run only suites whose name contains a filter (and the ceilings they compare against)')
      .description('run the benchmark suite (npm run bench) against this machine\'s limits')
      .option('-q, --quick', 'about 1 s per measured phase instead of 3 s')
      .option('-l, --list', 'list the suites and exit')
      .option('--dry-run', 'print the table only; write neither JSON nor chart')
      .option('--duration-ms <ms>', 'length of each measured phase')
      .option('--results-dir <dir>', 'where to write results (default bench/results)')
      .option('--quiet-wait-s <s>', 'before each suite, wait up to this long for other work to leave the CPUs (default 20; 0 = never)'),
    ['samsa bench --list', 'samsa bench --quick', 'samsa bench produce --quick --dry-run'],
  ).action(action((filters: string[], flags: BenchFlags) => bench(filters, flags)));
}
