/**
 * The process the crash test kills. Appends batches to a real log on disk,
 * waits for each to be fdatasync'ed (as an acks=all produce would) or to be
 * in the file (acks=1, written off the event loop) and only then prints
 * "ack <lastOffset>". Every record's value is `o<offset>` so the
 * parent can check contents without knowing what was in flight.
 *
 * Usage: node crash-child.js <partitionDir> <seed>
 */
import { systemClock } from '../platform/clock.js';
import { nodeFileSystem } from '../platform/node-file-system.js';
import { seededRandom } from '../platform/random.js';
import { buildRecordBatch } from '../protocol/records/batch-builder.js';
import { OffsetCheckpointFile } from './checkpoint.js';
import { defaultLogConfig } from './config.js';
import { Log } from './log.js';
import { TimerScheduler } from './scheduler.js';

const [dir, seedText] = process.argv.slice(2);
if (dir === undefined || seedText === undefined) throw new Error('usage: crash-child <dir> <seed>');
const random = seededRandom(Number(seedText));
const tp = { topic: 'crash', partition: 0 };
const checkpoint = new OffsetCheckpointFile(nodeFileSystem, `${dir}/../recovery-point-offset-checkpoint`);
const recoveryPoint = checkpoint.read().get('crash-0')?.offset ?? 0;

const log = await Log.open({
  fs: nodeFileSystem,
  clock: systemClock,
  scheduler: new TimerScheduler(),
  dir,
  topicPartition: tp,
  config: { ...defaultLogConfig, 'segment.bytes': 64 * 1024, 'index.interval.bytes': 512 },
  recoveryPoint,
});
process.stdout.write(`ready ${log.logEndOffset}\n`);

let appends = 0;
for (;;) {
  const count = 1 + random.int(8);
  const base = log.logEndOffset;
  const records = [];
  for (let i = 0; i < count; i++) {
    records.push({ key: Buffer.from(`k${(base + i) % 17}`), value: Buffer.from(`o${base + i}`.padEnd(1 + random.int(400), '.')) });
  }
  const info = log.appendAsLeader(buildRecordBatch({ records, baseTimestamp: Date.now() }), 1);
  // acks=all waits for the fdatasync; acks=1 only for the bytes to be in the file (page cache),
  // which is enough against SIGKILL, the crash this test makes.
  const acked = (lastOffset: number): Promise<number> =>
    (random.chance(0.5) ? log.flush(lastOffset + 1) : (log.whenWritten() ?? Promise.resolve())).then(() => lastOffset);
  // Several appends in flight share one fdatasync or one background write, as concurrent producers would.
  const pending = [acked(info.lastOffset)];
  if (random.chance(0.5)) {
    const more = log.appendAsLeader(buildRecordBatch({ records: [{ value: Buffer.from(`o${info.lastOffset + 1}`) }] }), 1);
    pending.push(acked(more.lastOffset));
  }
  for (const acked of await Promise.all(pending)) process.stdout.write(`ack ${acked}\n`);
  if (++appends % 50 === 0) await checkpoint.write([{ tp, offset: log.recoveryPoint }]);
}
