/**
 * Runs the matrix by hand:
 *   node dist/test/compat/run.js [--client kafkajs,kcat] [--scenario configs,...] [--write]
 * prints each cell as it finishes; --write (only with the full matrix) saves
 * dist/test/compat/results.json and regenerates docs/compatibility.md.
 */
import { runMatrix } from './runner.js';
import { isScenarioId, type ScenarioId } from './scenarios.js';
import { writeResults } from './report.js';

function listArg(flag: string): string[] | undefined {
  const i = process.argv.indexOf(flag);
  return i < 0 ? undefined : (process.argv[i + 1] ?? '').split(',').filter((s) => s !== '');
}

const clientIds = listArg('--client');
const scenarioArg = listArg('--scenario');
const scenarioIds = scenarioArg?.filter((s): s is ScenarioId => {
  if (!isScenarioId(s)) throw new Error(`unknown scenario ${s}`);
  return true;
});
const concurrency = Number(listArg('--concurrency')?.[0] ?? 3);
const result = await runMatrix({ clientIds, scenarioIds, concurrency, log: (line) => console.log(line) });
console.log(`matrix took ${result.durationMs} ms`);
if (process.argv.includes('--write')) {
  if (clientIds !== undefined || scenarioIds !== undefined) throw new Error('--write needs the full matrix');
  writeResults(result);
}
