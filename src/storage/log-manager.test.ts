import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../platform/clock.js';
import { SimulatedFileSystem } from '../platform/simulated-file-system.js';
import { parseMetaProperties } from './checkpoint.js';
import { defaultLogConfig, type LogConfig } from './config.js';
import { LogOfflineError } from './errors.js';
import { LogManager, type LogManagerOptions } from './log-manager.js';
import { ManualScheduler } from './scheduler.js';
import { batch, readAll } from './test-helpers.js';

function setup(config: Partial<LogConfig> = {}): { fs: SimulatedFileSystem; clock: ManualClock; options: () => LogManagerOptions } {
  const fs = new SimulatedFileSystem();
  const clock = new ManualClock();
  return {
    fs,
    clock,
    options: () => ({
      fs,
      clock,
      dataDir: '/data',
      defaultConfig: { ...defaultLogConfig, ...config },
      scheduler: new ManualScheduler(clock),
      meta: { version: 1, clusterId: 'MkU3OEVBNTcwNTJENDM2Qk', nodeId: 1 },
    }),
  };
}

test('formats a new data dir, writes Kafka text files, and skips recovery after a clean shutdown', async () => {
  const { fs, options } = setup();
  const manager = await LogManager.open(options());
  const meta = parseMetaProperties('meta.properties', fs.readFile('/data/meta.properties'));
  assert.equal(meta.clusterId, 'MkU3OEVBNTcwNTJENDM2Qk');
  assert.equal(meta.nodeId, 1);
  assert.equal(meta.version, 1);
  assert.ok(meta.directoryId !== undefined && meta.directoryId.length === 22);
  const text = fs.readFile('/data/meta.properties').toString();
  assert.match(text, /^#\n#.+\ncluster\.id=MkU3OEVBNTcwNTJENDM2Qk\ndirectory\.id=.{22}\nnode\.id=1\nversion=1\n$/);
  const a = await manager.getOrCreateLog({ topic: 'orders', partition: 0 }, { topicId: 'AAAAAAAAAAAAAAAAAAAAAQ' });
  const b = await manager.getOrCreateLog({ topic: 'my-topic', partition: 3 });
  assert.equal(await manager.getOrCreateLog({ topic: 'orders', partition: 0 }), a);
  a.appendAsLeader(batch(3, 'a'), 0);
  b.appendAsLeader(batch(2, 'b'), 0);
  assert.equal(fs.readFile('/data/orders-0/partition.metadata').toString(), 'version: 0\ntopic_id: AAAAAAAAAAAAAAAAAAAAAQ');
  await manager.shutdown(7);
  assert.equal(fs.readFile('/data/recovery-point-offset-checkpoint').toString().split('\n').slice(0, 2).join('|'), '0|2');
  assert.match(fs.readFile('/data/recovery-point-offset-checkpoint').toString(), /\norders 0 3\n/);
  assert.match(fs.readFile('/data/recovery-point-offset-checkpoint').toString(), /\nmy-topic 3 2\n/);
  assert.equal(LogManager.readCleanShutdownEpoch(fs, '/data'), 7);
  assert.match(fs.readFile('/data/orders-0/leader-epoch-checkpoint').toString(), /^0\n1\n0 0\n$/);

  const again = await LogManager.open(options());
  assert.equal(again.hadCleanShutdown, true);
  assert.equal(fs.stat('/data/.kafka_cleanshutdown'), undefined, 'marker removed once running');
  assert.equal(again.getLog({ topic: 'orders', partition: 0 })?.logEndOffset, 3);
  assert.equal(again.getLog({ topic: 'my-topic', partition: 3 })?.logEndOffset, 2);
  await again.shutdown();
});

test('refuses a data dir of another cluster or node', async () => {
  const { options } = setup();
  await (await LogManager.open(options())).shutdown();
  await assert.rejects(LogManager.open({ ...options(), meta: { version: 1, clusterId: 'other', nodeId: 1 } }), /belongs to cluster/);
  await assert.rejects(LogManager.open({ ...options(), meta: { version: 1, clusterId: 'MkU3OEVBNTcwNTJENDM2Qk', nodeId: 2 } }), /node 1/);
});

test('after a crash, logs recover from the recovery-point checkpoint; acknowledged data is kept', async () => {
  const { fs, options } = setup({ 'segment.bytes': 500 });
  await fs.syncDir('/');
  const manager = await LogManager.open(options());
  const log = await manager.getOrCreateLog({ topic: 't', partition: 0 });
  for (let i = 0; i < 30; i++) log.appendAsLeader(batch(1, `v${i}`), 0);
  await log.flush();
  await manager.checkpointRecoveryPoints();
  for (let i = 30; i < 40; i++) log.appendAsLeader(batch(1, `v${i}`), 0);
  fs.crash();
  const again = await LogManager.open(options());
  assert.equal(again.hadCleanShutdown, false);
  const recovered = again.getLog({ topic: 't', partition: 0 })!;
  assert.equal(recovered.logEndOffset, 30);
  assert.equal((await readAll(recovered)).length, 30);
  await again.shutdown();
});

test('an I/O error on one partition takes only that log offline; retention, flush and deletion run from the scheduler', async () => {
  const { fs, clock, options } = setup({ 'segment.bytes': 400, 'retention.ms': 1000, 'file.delete.delay.ms': 500 });
  const offline: string[] = [];
  const opts = { ...options(), onLogOffline: (tp: { topic: string; partition: number }) => offline.push(`${tp.topic}-${tp.partition}`) };
  const scheduler = opts.scheduler as ManualScheduler;
  const manager = await LogManager.open(opts);
  const bad = await manager.getOrCreateLog({ topic: 'bad', partition: 0 });
  const good = await manager.getOrCreateLog({ topic: 'good', partition: 0 });
  fs.inject({ op: 'write', code: 'EIO', pathIncludes: '/bad-0/', count: 1 });
  assert.throws(() => bad.appendAsLeader(batch(1, 'x'), 0), LogOfflineError);
  assert.deepEqual(offline, ['bad-0']);
  for (let i = 0; i < 20; i++) good.appendAsLeader(batch(1, `g${i}`, clock.nowMs()), 0);
  assert.ok(good.segmentCount > 2);
  manager.startBackgroundTasks();
  clock.advance(300_000);
  await scheduler.runDue();
  assert.equal(good.segmentCount, 1, 'expired segments deleted by the retention task');
  assert.equal(good.logStartOffset, 20);
  clock.advance(500);
  await scheduler.runDue();
  assert.ok(!fs.readdir('/data/good-0').some((f) => f.endsWith('.deleted')), 'deleted after file.delete.delay.ms');
  // Topic deletion renames the directory away at once and removes it later.
  await manager.deleteLog({ topic: 'good', partition: 0 });
  assert.ok(fs.readdir('/data').some((f) => f.startsWith('good-0.') && f.endsWith('-delete')));
  clock.advance(1000);
  await scheduler.runDue();
  assert.ok(!fs.readdir('/data').some((f) => f.startsWith('good-0')));
  await manager.shutdown();
  assert.equal(fs.stat('/data/.kafka_cleanshutdown'), undefined, 'an offline log means no clean-shutdown marker');
});
