/**
 * The contract between the benchmark runner and a benchmark module.
 *
 * A suite is a small module in `bench/suites/` that exports one `Suite` and is
 * listed in `bench/suites/index.ts`. The runner gives it a context (time budget,
 * a private temp directory) and gets back plain measurements. Everything a
 * suite starts (servers, child processes, files) must be stopped and removed
 * before `run` settles.
 */

/** One number produced by a suite. */
export interface Measurement {
  /**
   * Short name within the suite, e.g. `throughput`, `latency.p99`. The runner
   * stores it as `<suite name>.<metric>`, which is the id other suites use in
   * `ratioTo`.
   */
  metric: string;
  value: number;
  /**
   * Unit of `value`. Rates end in `/s` (`MB/s`, `GB/s`, `frames/s`); latencies
   * are `us` or `ms`. The chart groups lines by unit. MB and GB are decimal
   * (10^6, 10^9 bytes).
   */
  unit: string;
  /**
   * Full id (`<suite>.<metric>`) of a ceiling measurement in the same run that
   * this value is compared against. The runner prints and stores
   * `value / ceiling` after converting compatible units (MB/s vs GB/s).
   */
  ratioTo?: string;
}

/** What the runner hands to a suite. */
export interface BenchContext {
  /**
   * How long each measured phase should run. A suite with several phases
   * divides or reuses it as it sees fit, but should stay within about
   * 3 × durationMs plus start-up overall.
   */
  durationMs: number;
  /** True for `--quick` runs (durationMs is then about one second). */
  quick: boolean;
  /** A fresh directory under os.tmpdir() for this suite; removed afterwards. */
  tmpDir: string;
  /** Progress output (stderr); keep it to a few lines per suite. */
  log(message: string): void;
}

export interface Suite {
  /** Dotted name, e.g. `ceiling.tcp`, `storage.append`. Used by the CLI filter. */
  name: string;
  /** One line for `--list`. */
  description: string;
  /**
   * Names of the ceiling suites whose measurements this suite's `ratioTo`
   * refers to. The runner runs them first, even if the CLI filter excludes them.
   */
  ceilings?: readonly string[];
  run(ctx: BenchContext): Promise<Measurement[]>;
}
