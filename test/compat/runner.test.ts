/**
 * The matrix machinery itself, with stand-in clients (no real Kafka client):
 * pass / fail / timeout / unsupported / not installed cells, and the verdict
 * checking known-failures.ts both ways.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ClientSpec } from './clients.js';
import { runMatrix, type MatrixResult } from './runner.js';
import { matrixProblems } from './verdict.js';

const node = (code: string) => ({ cmd: process.execPath, args: ['-e', code] });

const standIn: ClientSpec = {
  id: 'stand-in',
  name: 'stand-in',
  language: 'JavaScript',
  installedBy: 'nothing',
  version: () => '1.0.0',
  command: (scenario) =>
    scenario === 'metadata-admin'
      ? node('process.exit(0)')
      : scenario === 'produce-consume'
        ? node("process.stderr.write('noise\\nFAIL: expected 30 records, got 29 from 127.0.0.1:40001\\n'); process.exit(1)")
        : node('setInterval(() => {}, 1000)'),
  unsupported: { configs: 'cannot' },
};

const missing: ClientSpec = {
  ...standIn,
  id: 'missing',
  version: () => {
    throw new Error('missing-client is not installed');
  },
};

test('cells: pass, fail with the FAIL line (ports normalised), timeout, unsupported, not installed', async () => {
  const result = await runMatrix({
    clients: [standIn, missing],
    scenarioIds: ['metadata-admin', 'produce-consume', 'commit-resume', 'configs'],
    timeoutMs: 1_000,
  });
  const [s, m] = result.clients;
  assert.equal(s!.cells['metadata-admin']?.result, 'pass');
  assert.deepEqual(s!.cells['produce-consume'], { ...s!.cells['produce-consume'], result: 'fail', error: 'expected 30 records, got 29 from 127.0.0.1:PORT' });
  const timedOut = s!.cells['commit-resume'];
  assert.ok(timedOut?.result === 'fail' && timedOut.error.startsWith('timed out after 1000 ms'), JSON.stringify(timedOut));
  assert.deepEqual(s!.cells.configs, { result: 'unsupported', reason: 'cannot' });
  assert.equal(m!.version, null);
  assert.equal(m!.cells.configs?.result, 'unsupported');
  assert.equal(m!.cells['metadata-admin']?.result, 'fail');

  const problems = matrixProblems(result, [{ client: 'stand-in', scenario: 'produce-consume', reason: 'bug 1' }]);
  assert.deepEqual(problems, [
    'client missing is not installed: missing-client is not installed',
    'stand-in / commit-resume: unexpected failure: timed out after 1000 ms (exit SIGKILL)',
  ]);
});

test('verdict: a listed failure that passes, or a listed cell that does not exist, fails the matrix', () => {
  const result: MatrixResult = {
    generatedAt: '',
    node: 'v20',
    samsaVersion: '0',
    durationMs: 0,
    clients: [{ client: 'c', name: 'c', language: 'x', installedBy: 'x', version: '1', cells: { configs: { result: 'pass', ms: 1 }, 'delete-records': { result: 'unsupported', reason: 'r' } } }],
  };
  assert.deepEqual(matrixProblems(result, []), []);
  assert.deepEqual(
    matrixProblems(result, [
      { client: 'c', scenario: 'configs', reason: 'bug 2' },
      { client: 'c', scenario: 'delete-records', reason: 'bug 3' },
      { client: 'nobody', scenario: 'configs', reason: 'bug 4' },
    ]),
    [
      'c / delete-records: listed in known-failures.ts (bug 3) but now unsupported; remove it from the list',
      'c / configs: listed in known-failures.ts (bug 2) but now pass; remove it from the list',
      'known-failures.ts names an unknown cell nobody / configs',
    ],
  );
});
