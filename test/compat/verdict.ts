/** What makes the matrix test fail, as a list of sentences (empty = green). */
import type { KnownFailure } from './known-failures.js';
import type { MatrixResult } from './runner.js';
import { scenarios } from './scenarios.js';

export function matrixProblems(result: MatrixResult, known: readonly KnownFailure[]): string[] {
  const problems: string[] = [];
  for (const c of result.clients) {
    if (c.version === null) problems.push(`client ${c.client} is not installed: ${c.missing ?? ''}`);
  }
  for (const c of result.clients) {
    if (c.version === null) continue;
    for (const s of scenarios) {
      const cell = c.cells[s.id];
      const listed = known.find((k) => k.client === c.client && k.scenario === s.id);
      if (cell === undefined) {
        if (listed !== undefined) problems.push(`${c.client} / ${s.id}: listed in known-failures.ts but not run`);
        continue;
      }
      if (cell.result === 'fail' && listed === undefined) problems.push(`${c.client} / ${s.id}: unexpected failure: ${cell.error}`);
      else if (cell.result !== 'fail' && listed !== undefined) problems.push(`${c.client} / ${s.id}: listed in known-failures.ts (${listed.reason}) but now ${cell.result}; remove it from the list`);
    }
  }
  for (const k of known) {
    if (!result.clients.some((c) => c.client === k.client) || !scenarios.some((s) => s.id === k.scenario)) problems.push(`known-failures.ts names an unknown cell ${k.client} / ${k.scenario}`);
  }
  return problems;
}
