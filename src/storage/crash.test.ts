/**
 * The real crash test: a child process appends, acknowledging after the
 * fdatasync (acks=all) or after the background write (acks=1), and
 * reports every acknowledged offset; we SIGKILL it at seeded random moments,
 * reopen the log and check that every acknowledged record is present, intact
 * and in order, and that nothing follows a torn tail.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { systemClock } from '../platform/clock.js';
import { nodeFileSystem } from '../platform/node-file-system.js';
import { seededRandom } from '../platform/random.js';
import { decodeRecordBatches } from '../protocol/records/batch-decoder.js';
import { OffsetCheckpointFile } from './checkpoint.js';
import { defaultLogConfig } from './config.js';
import { Log } from './log.js';
import { ManualScheduler } from './scheduler.js';
import { ManualClock } from '../platform/clock.js';

const childPath = fileURLToPath(new URL('./crash-child.js', import.meta.url));
const ROUNDS = Number(process.env['SAMSA_CRASH_ROUNDS'] ?? 50);
const SEED = Number(process.env['SAMSA_CRASH_SEED'] ?? 20240601);

function runChildUntilKilled(dir: string, seed: number, killAfterAcks: number, killDelayMs: number): Promise<{ acked: number; ready: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [childPath, dir, String(seed)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let acked = -1;
    let ready = -1;
    let acks = 0;
    let buffered = '';
    let stderr = '';
    let killing = false;
    const kill = (): void => {
      if (killing) return;
      killing = true;
      setTimeout(() => child.kill('SIGKILL'), killDelayMs);
    };
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (text: string) => {
      buffered += text;
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        const [word, value] = line.split(' ');
        if (word === 'ready') ready = Number(value);
        if (word === 'ack') {
          // An ack line is only printed after the fdatasync: it is a promise we must keep.
          acked = Math.max(acked, Number(value));
          if (++acks >= killAfterAcks) kill();
        }
      }
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code, signal) => {
      if (signal !== 'SIGKILL') reject(new Error(`child exited ${code} ${signal}: ${stderr}`));
      else resolve({ acked, ready });
    });
    // Safety net: a child that never acks still dies.
    setTimeout(kill, 5000).unref();
  });
}

test(`SIGKILL during fsync-acknowledged appends loses nothing acknowledged (${ROUNDS} rounds)`, { timeout: 120_000 }, async () => {
  const root = mkdtempSync(join(tmpdir(), 'samsa-crash-'));
  const dir = join(root, 'crash-0');
  const random = seededRandom(SEED);
  let highestAcked = -1;
  try {
    for (let round = 0; round < ROUNDS; round++) {
      const killAfterAcks = 1 + random.int(300);
      const killDelayMs = random.int(15);
      const { acked, ready } = await runChildUntilKilled(dir, SEED + round, killAfterAcks, killDelayMs);
      assert.ok(ready >= highestAcked + 1 || highestAcked < 0, `round ${round}: child started at ${ready}, below acknowledged ${highestAcked}`);
      highestAcked = Math.max(highestAcked, acked);

      // Reopen as the broker would after the crash: recovery from the checkpointed recovery point.
      const checkpoint = new OffsetCheckpointFile(nodeFileSystem, join(root, 'recovery-point-offset-checkpoint'));
      const recoveryPoint = checkpoint.read().get('crash-0')?.offset ?? 0;
      const clock = new ManualClock(systemClock.nowMs());
      const log = await Log.open({
        fs: nodeFileSystem,
        clock,
        scheduler: new ManualScheduler(clock),
        dir,
        topicPartition: { topic: 'crash', partition: 0 },
        config: { ...defaultLogConfig, 'segment.bytes': 64 * 1024, 'index.interval.bytes': 512 },
        recoveryPoint,
      });
      try {
        assert.ok(log.logEndOffset > highestAcked, `round ${round}: log end ${log.logEndOffset} but offset ${highestAcked} was acknowledged`);
        // Every record from the start, contiguous, each carrying its own offset.
        let offset = 0;
        while (offset < log.logEndOffset) {
          const r = await log.read(offset, { maxBytes: 1 << 20 });
          assert.ok(r.sizeBytes > 0, `round ${round}: nothing readable at ${offset} below log end ${log.logEndOffset}`);
          for (const b of decodeRecordBatches(Buffer.concat(r.chunks))) {
            for (const rec of b.records) {
              if (rec.offset < offset) continue;
              assert.equal(rec.offset, offset, `round ${round}: gap before ${rec.offset}`);
              assert.equal(rec.value?.toString().replace(/\.+$/, ''), `o${offset}`, `round ${round}: record ${offset} damaged`);
              offset++;
            }
          }
        }
        assert.equal(offset, log.logEndOffset);
      } finally {
        await log.close();
      }
    }
    assert.ok(highestAcked > ROUNDS, `too few acknowledged records (${highestAcked}) for a meaningful test`);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
