/**
 * Time, injected. Storage uses wall time for record timestamps, segment.ms and
 * retention.ms (all defined against wall-clock milliseconds by Kafka) and
 * monotonic time for intervals that must not jump when the wall clock is set.
 */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  nowMs(): number;
  /** Milliseconds from an arbitrary origin; never goes backwards. */
  monotonicMs(): number;
}

export const systemClock: Clock = {
  nowMs: () => Date.now(),
  monotonicMs: () => performance.now(),
};

/** A clock that only moves when told to: for tests and the simulator. */
export class ManualClock implements Clock {
  private wallMs: number;
  private monoMs = 0;

  constructor(startWallMs = 1_700_000_000_000) {
    this.wallMs = startWallMs;
  }

  nowMs(): number {
    return this.wallMs;
  }

  monotonicMs(): number {
    return this.monoMs;
  }

  advance(durationMs: number): void {
    if (durationMs < 0) throw new RangeError('a clock cannot go back');
    this.wallMs += durationMs;
    this.monoMs += durationMs;
  }

  /** Moves only the wall clock, as an NTP step would. */
  setWallMs(wallMs: number): void {
    this.wallMs = wallMs;
  }
}
