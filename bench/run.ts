/**
 * npm run bench [-- [filter ...] [--quick] [--duration-ms N] [--list] [--dry-run] [--results-dir DIR] [--quiet-wait-s N]]
 *
 * Runs the registered suites whose names contain a filter (all without one),
 * plus the ceilings they compare against; prints a table; writes the run to
 * bench/results/<ISO time>.json and redraws bench/results/chart.svg.
 * Exits non-zero when a suite fails.
 */
import { parseArgs } from 'node:util';
import { defaultResultsDir, formatTable, runSuites, selectSuites, writeRecord } from './harness.js';
import { writeChart } from './chart.js';
import { suites } from './suites/index.js';

const defaultDurationMs = 3_000;
const quickDurationMs = 1_000;
const defaultQuietWaitS = 20;

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      quick: { type: 'boolean', default: false },
      'duration-ms': { type: 'string' },
      list: { type: 'boolean', default: false },
      'dry-run': { type: 'boolean', default: false },
      'results-dir': { type: 'string' },
      'quiet-wait-s': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(
      'usage: npm run bench -- [filter ...] [--quick] [--duration-ms N] [--list] [--dry-run] [--results-dir DIR] [--quiet-wait-s N]\n' +
        '  filter         run suites whose name contains it (and the ceilings they need)\n' +
        `  --quick        about ${quickDurationMs} ms per measured phase instead of ${defaultDurationMs}\n` +
        '  --duration-ms  length of each measured phase\n' +
        '  --list         list suites and exit\n' +
        '  --dry-run      print the table only; write neither JSON nor chart\n' +
        `  --quiet-wait-s before each suite, wait up to this long for other work to leave the CPUs (default ${defaultQuietWaitS}; 0 = never)`,
    );
    return 0;
  }
  if (values.list) {
    for (const suite of suites) console.log(`${suite.name.padEnd(20)} ${suite.description}`);
    return 0;
  }
  const quick = values.quick === true;
  const durationMs = values['duration-ms'] !== undefined ? Number(values['duration-ms']) : quick ? quickDurationMs : defaultDurationMs;
  if (!Number.isFinite(durationMs) || durationMs <= 0) throw new Error(`bad --duration-ms ${values['duration-ms']}`);
  const quietWaitS = values['quiet-wait-s'] !== undefined ? Number(values['quiet-wait-s']) : defaultQuietWaitS;
  if (!Number.isFinite(quietWaitS) || quietWaitS < 0) throw new Error(`bad --quiet-wait-s ${values['quiet-wait-s']}`);
  const selected = selectSuites(suites, positionals);
  const record = await runSuites(selected, { durationMs, quick, filters: positionals, quietWaitMs: quietWaitS * 1000 });
  console.log(`\n${formatTable(record)}\n`);
  if (!values['dry-run']) {
    const dir = values['results-dir'] ?? defaultResultsDir;
    console.log(`results: ${await writeRecord(record, dir)}`);
    console.log(`chart:   ${await writeChart(dir)}`);
  }
  return record.suites.some((s) => s.error !== undefined) ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(2);
  },
);
