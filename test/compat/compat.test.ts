/**
 * The compatibility matrix (docs/compatibility.md): every real client runs
 * every scenario against a fresh Samsa broker. This test fails when
 *  - a client is not installed (CI installs them all; see .ci/run),
 *  - a cell fails that is not in known-failures.ts,
 *  - a cell in known-failures.ts no longer fails (remove it from the list).
 * It also rewrites docs/compatibility.md when a result changed.
 * One client by hand: node dist/test/compat/run.js --client kcat
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { knownFailures } from './known-failures.js';
import { runMatrix } from './runner.js';
import { writeResults } from './report.js';
import { matrixProblems } from './verdict.js';

test('compatibility matrix with real Kafka clients', async () => {
  const result = await runMatrix({ concurrency: 3, log: (line) => process.stdout.write(`# compat ${line}\n`) });
  writeResults(result);
  const problems = matrixProblems(result, knownFailures);
  assert.deepEqual(problems, [], `compatibility matrix (see docs/compatibility.md):\n${problems.join('\n')}`);
});
