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

export const knownFailures: readonly KnownFailure[] = [
  {
    client: 'sarama',
    scenario: 'list-offsets-time',
    reason:
      'broker bug: sarama 1.22 writes record batches (v2) with maxTimestamp -1 (it never sets it); Kafka recomputes a batch\'s max timestamp from its records on append (LogValidator), Samsa keeps the header, so the time index has no entry and ListOffsets v1 by timestamp answers offset -1 for every timestamp',
  },
];
