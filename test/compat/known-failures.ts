/**
 * Cells that fail today because the broker lacks something, each with the
 * precise cause. compat.test.ts checks this list both ways: a failure not
 * listed here fails the test, and so does a listed cell that now passes
 * (delete its line then). Keep it short and true.
 */
import type { ScenarioId } from './scenarios.js';

export interface KnownFailure {
  readonly client: string;
  readonly scenario: ScenarioId;
  readonly reason: string;
}

export const knownFailures: readonly KnownFailure[] = [];
