// Finds every compiled test file under dist/ and hands them to node's test runner.
// Node 20's `node --test <dir>` does not search directories, so we list the files ourselves.
// Usage: node dist/tools/run-tests.js [substring filter ...]
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawnSync } from 'node:child_process';

const distRoot = new URL('../', import.meta.url).pathname;

function findTests(dir: string, found: string[]): string[] {
  for (const name of readdirSync(dir)) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) {
      if (name !== 'node_modules') findTests(full, found);
    } else if (name.endsWith('.test.js')) {
      found.push(full);
    }
  }
  return found;
}

const filters = process.argv.slice(2);
const files = findTests(distRoot, [])
  .filter((file) => filters.length === 0 || filters.some((f) => relative(distRoot, file).includes(f)))
  .sort();
if (files.length === 0) {
  console.error('run-tests: no test files found');
  process.exit(1);
}
const result = spawnSync(process.execPath, ['--test', '--test-reporter=spec', ...files], { stdio: 'inherit' });
process.exit(result.status ?? 1);
