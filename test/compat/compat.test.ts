/**
 * The compatibility matrix (docs/compatibility.md): every real client runs
 * every scenario against a fresh Samsa broker. This test fails when
 *  - a client is not installed (CI installs them all; see .ci/run),
 *  - a cell fails that is not in known-failures.ts,
 *  - a cell in known-failures.ts no longer fails (remove it from the list).
 * It also rewrites docs/compatibility.md when a result changed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { knownFailures } from './known-failures.js';
import { runMatrix } from './runner.js';
import { writeResults } from './report.js';
import { scenarios } from './scenarios.js';

test('compatibility matrix with real Kafka clients', async () => {
  const result = await runMatrix({ concurrency: 3, log: (line) => process.stdout.write(`# compat ${line}\n`) });
  writeResults(result);

  const problems: string[] = [];
  for (const c of result.clients) {
    if (c.version === null) problems.push(`client ${c.client} is not installed: ${c.missing ?? ''}`);
  }
  for (const c of result.clients) {
    for (const s of scenarios) {
      const cell = c.cells[s.id];
      const known = knownFailures.find((k) => k.client === c.client && k.scenario === s.id);
      if (cell === undefined) problems.push(`${c.client} / ${s.id}: no result`);
      else if (cell.result === 'fail' && known === undefined && c.version !== null) problems.push(`${c.client} / ${s.id}: unexpected failure: ${cell.error}`);
      else if (cell.result !== 'fail' && known !== undefined) problems.push(`${c.client} / ${s.id}: listed in known-failures.ts (${known.reason}) but now ${cell.result}; remove it from the list`);
    }
  }
  for (const k of knownFailures) {
    if (!result.clients.some((c) => c.client === k.client) || !scenarios.some((s) => s.id === k.scenario)) problems.push(`known-failures.ts names an unknown cell ${k.client} / ${k.scenario}`);
  }
  assert.deepEqual(problems, [], `compatibility matrix (see docs/compatibility.md):\n${problems.join('\n')}`);
});
