// The README's embedding example is run exactly as written: its code block is
// copied into a module inside this package (so `import 'samsa'` resolves to
// this package through its exports map) and run with Node's test runner.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const repoRoot = new URL('../../../', import.meta.url).pathname;

function readmeExample(name: string): string {
  const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
  const marker = `<!-- readme-example: ${name} -->`;
  const at = readme.indexOf(marker);
  assert.ok(at >= 0, `README has no ${marker}`);
  const match = /```js\n([\s\S]*?)```/.exec(readme.slice(at));
  assert.ok(match, `no js code block after ${marker}`);
  return match[1]!;
}

test('the README embedding example runs as written and passes', () => {
  const file = join(repoRoot, 'dist', 'readme-example-embedded.test.mjs');
  writeFileSync(file, readmeExample('embedded'));
  try {
    // NODE_TEST_CONTEXT would make the child report to this runner instead of printing TAP.
    const env = { ...process.env };
    delete env.NODE_TEST_CONTEXT;
    const result = spawnSync(process.execPath, ['--test', '--test-reporter=tap', file], { cwd: repoRoot, encoding: 'utf8', timeout: 60_000, env });
    assert.equal(result.status, 0, `example failed:\n${result.stdout}\n${result.stderr}`);
    assert.match(result.stdout, /# pass 1/);
  } finally {
    rmSync(file, { force: true });
  }
});
