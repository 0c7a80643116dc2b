import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { generate } from './generate.js';

const repoRoot = new URL('../../../', import.meta.url).pathname;

function listFiles(dir: string, found: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) listFiles(full, found);
    else found.push(full);
  }
  return found;
}

test('committed src/protocol/generated matches what schema/ generates (run `npm run codegen`)', () => {
  const outRoot = join(repoRoot, 'src/protocol/generated');
  const expected = generate(join(repoRoot, 'schema'));
  const committed = listFiles(outRoot).map((f) => relative(outRoot, f));
  assert.deepEqual(committed.sort(), [...expected.keys()].sort(), 'generated file list differs');
  for (const [path, text] of expected) {
    assert.equal(readFileSync(join(outRoot, path), 'utf8'), text, `${path} is stale`);
  }
});
