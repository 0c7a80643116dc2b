import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runSimulation } from './raft-sim.js';

/** Seeds 1..N every run (N from SAMSA_SIM_SEEDS, default 200); SAMSA_SIM_FROM shifts the window to explore new ones. */
const seedCount = Number(process.env['SAMSA_SIM_SEEDS'] ?? '200');
const firstSeed = Number(process.env['SAMSA_SIM_FROM'] ?? '1');

test(`raft simulation: ${seedCount} seeded fault schedules keep every invariant and heal`, async () => {
  let committed = 0;
  let epochs = 0;
  let crashes = 0;
  for (let seed = firstSeed; seed < firstSeed + seedCount; seed++) {
    // A failure names its seed: `node dist/sim/run.js --seed N --trace` replays it.
    const result = await runSimulation({ seed });
    committed += result.committedOffset;
    epochs += result.leaderEpochs;
    crashes += result.crashes;
  }
  // The schedules did something: leaders changed, nodes crashed, records committed.
  assert.ok(epochs > seedCount * 2, `only ${epochs} leader epochs`);
  assert.ok(crashes > seedCount, `only ${crashes} crashes`);
  assert.ok(committed > seedCount * 20, `only ${committed} offsets committed`);
});

test('raft simulation: a seed replays exactly', async () => {
  const lines = async (): Promise<string[]> => {
    const out: string[] = [];
    await runSimulation({ seed: 4242, chaosMs: 2000, trace: (line) => out.push(line) });
    return out;
  };
  const first = await lines();
  const second = await lines();
  assert.ok(first.length > 50);
  assert.deepEqual(second, first);
});
