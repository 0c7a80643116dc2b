/**
 * `npm run codegen`: regenerates src/protocol/generated/ from schema/.
 * The output is committed; a test fails when it is stale.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { generate } from './generate.js';

const repoRoot = new URL('../../../', import.meta.url).pathname;
const outRoot = join(repoRoot, 'src/protocol/generated');
const files = generate(join(repoRoot, 'schema'));
rmSync(outRoot, { recursive: true, force: true });
for (const [relativePath, text] of files) {
  const target = join(outRoot, relativePath);
  mkdirSync(dirname(target), { recursive: true });
  writeFileSync(target, text);
}
console.log(`codegen: wrote ${files.size} files to src/protocol/generated`);
