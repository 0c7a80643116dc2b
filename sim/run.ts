/**
 * Runs the Raft simulation by hand.
 *
 *   node dist/sim/run.js --seed 42 --trace     replay one seed, printing every event
 *   node dist/sim/run.js --seeds 1000          seeds 1..1000 (or --from N)
 *
 * A failure prints the seed, the broken invariant and the last events; the
 * same seed reproduces it exactly.
 */
import { runSimulation, InvariantViolation } from './raft-sim.js';

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function main(): Promise<number> {
  const seedText = flag('--seed');
  const trace = process.argv.includes('--trace');
  const voters = flag('--voters');
  const chaosMs = flag('--chaos-ms');
  const seeds: number[] = [];
  if (seedText !== undefined) {
    seeds.push(Number(seedText));
  } else {
    const from = Number(flag('--from') ?? '1');
    const count = Number(flag('--seeds') ?? '100');
    for (let s = from; s < from + count; s++) seeds.push(s);
  }
  const started = performance.now();
  let failed = 0;
  for (const seed of seeds) {
    try {
      const result = await runSimulation({
        seed,
        ...(voters !== undefined ? { voterCount: Number(voters) } : {}),
        ...(chaosMs !== undefined ? { chaosMs: Number(chaosMs) } : {}),
        ...(trace ? { trace: (line: string) => process.stdout.write(`${line}\n`) } : {}),
      });
      if (seeds.length === 1 || trace) process.stdout.write(`${JSON.stringify(result)}\n`);
    } catch (err) {
      failed++;
      process.stdout.write(`FAIL ${err instanceof InvariantViolation ? err.message : err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      if (seeds.length > 1) process.stdout.write(`reproduce: node dist/sim/run.js --seed ${seed} --trace\n`);
    }
  }
  const seconds = (performance.now() - started) / 1000;
  process.stdout.write(`${seeds.length - failed}/${seeds.length} seeds passed in ${seconds.toFixed(1)} s\n`);
  return failed === 0 ? 0 : 1;
}

process.exitCode = await main();
