/**
 * Power-cut simulation through the FileSystem interface: seeded schedules of
 * appends, group-committed flushes, rolls, retention and truncation, with
 * short writes injected; then a crash that drops everything unsynced and
 * tears pages. Every acknowledged (flushed) record must survive, in order,
 * and nothing invalid may follow.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { seededRandom } from '../platform/random.js';
import { OffsetCheckpointFile } from './checkpoint.js';
import { batch, harness, readAll } from './test-helpers.js';

test('simulated power cuts with torn pages never lose an acknowledged record (200 seeds)', async () => {
  for (let seed = 1; seed <= 200; seed++) {
    const random = seededRandom(seed);
    const h = harness({ 'segment.bytes': 600 + random.int(3000), 'index.interval.bytes': 64 * (1 + random.int(8)) });
    h.fs.faults = { random: seededRandom(seed * 7), shortWriteProbability: 0.2 };
    await h.fs.syncDir('/');
    const checkpoint = new OffsetCheckpointFile(h.fs, '/data/recovery-point-offset-checkpoint');
    let acknowledged: string[] = [];
    let expected: string[] = [];
    let n = 0;
    for (let life = 0; life < 4; life++) {
      const recoveryPoint = checkpoint.read().get('t-0')?.offset ?? 0;
      const log = await h.open({ recoveryPoint });
      const got = (await readAll(log)).map((v) => v.value);
      assert.ok(got.length >= acknowledged.length, `seed ${seed} life ${life}: ${got.length} < ${acknowledged.length} acknowledged`);
      assert.deepEqual(got.slice(0, acknowledged.length), acknowledged, `seed ${seed} life ${life}`);
      // What survived beyond the acknowledged part must be a prefix of what was written.
      assert.deepEqual(got, expected.slice(0, got.length), `seed ${seed} life ${life}: unexpected records`);
      expected = got;
      acknowledged = got.slice();
      const steps = 5 + random.int(40);
      const flushes: Promise<void>[] = [];
      for (let s = 0; s < steps; s++) {
        const roll = random.next();
        if (roll < 0.7) {
          const count = 1 + random.int(4);
          const tag = `n${n++}`;
          log.appendAsLeader(batch(count, tag), life);
          for (let i = 0; i < count; i++) expected.push(`${tag}-${i}`);
        } else if (roll < 0.85) {
          const upTo = expected.length;
          const snapshot = expected.slice();
          flushes.push(log.flush().then(() => {
            if (snapshot.length > acknowledged.length) acknowledged = snapshot.slice(0, upTo);
          }));
          if (random.chance(0.5)) await Promise.all(flushes);
        } else if (roll < 0.9) {
          await log.flushRecoveryPoint();
          await checkpoint.write([{ tp: { topic: 't', partition: 0 }, offset: log.recoveryPoint }]);
        } else if (roll < 0.95) {
          log.roll();
        } else {
          await Promise.all(flushes);
          // Truncation to a batch boundary below the acknowledged end invalidates the model's ack for the tail.
          const all = await readAll(log);
          const boundaries = all.map((v, i) => (v.value.endsWith('-0') ? i : -1)).filter((i) => i >= 0);
          const cut = boundaries[random.int(boundaries.length)] ?? 0;
          await log.truncateTo(cut);
          expected.length = cut;
          if (acknowledged.length > cut) acknowledged = acknowledged.slice(0, cut);
          await checkpoint.write([{ tp: { topic: 't', partition: 0 }, offset: Math.min(log.recoveryPoint, cut) }]);
        }
      }
      // Let in-flight syncs finish or not: the crash comes at an arbitrary point.
      if (random.chance(0.5)) await Promise.all(flushes);
      else await Promise.resolve();
      log.closeAbruptly();
      h.fs.crash({ random, tearProbability: 0.8 });
      await Promise.allSettled(flushes);
    }
  }
});
