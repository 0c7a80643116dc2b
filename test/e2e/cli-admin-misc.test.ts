/**
 * kafka-delete-records.sh, kafka-leader-election.sh, kafka-log-dirs.sh and
 * kafka-metadata-quorum.sh against a real broker.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Broker } from '../../src/index.js';
import { runScript } from './cli-support.js';

let broker: Broker;
let b: string;
let dataDir: string;

before(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'samsa-cli-'));
  broker = await Broker.start({ port: 0, dataDir });
  b = broker.bootstrap;
  assert.equal((await runScript('kafka-topics.sh', ['--bootstrap-server', b, '--create', '--topic', 'trim'])).code, 0);
  const produced = await runScript('kafka-console-producer.sh', ['--bootstrap-server', b, '--topic', 'trim'], { stdin: 'a\nb\nc\nd\n' });
  assert.equal(produced.code, 0, produced.stderr);
});

after(async () => {
  await broker.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

test('kafka-delete-records moves the low watermark', async () => {
  const file = join(dataDir, 'offsets.json');
  writeFileSync(file, JSON.stringify({ partitions: [{ topic: 'trim', partition: 0, offset: 2 }], version: 1 }));
  const r = await runScript('kafka-delete-records.sh', ['--bootstrap-server', b, '--offset-json-file', file]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'Executing records delete operation\nRecords delete operation completed:\npartition: trim-0\tlow_watermark: 2\n');
  const earliest = await runScript('kafka-get-offsets.sh', ['--bootstrap-server', b, '--topic', 'trim', '--time', 'earliest']);
  assert.equal(earliest.stdout, 'trim:0:2\n');
  const consumed = await runScript('kafka-console-consumer.sh', ['--bootstrap-server', b, '--topic', 'trim', '--from-beginning', '--max-messages', '2']);
  assert.equal(consumed.stdout, 'c\nd\n');
});

test('kafka-leader-election: the preferred leader is already leader on one node', async () => {
  const r = await runScript('kafka-leader-election.sh', ['--bootstrap-server', b, '--election-type', 'preferred', '--topic', 'trim', '--partition', '0']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'Valid replica already elected for partitions trim-0\n');
  const bad = await runScript('kafka-leader-election.sh', ['--bootstrap-server', b, '--election-type', 'preferred']);
  assert.equal(bad.code, 1);
  assert.equal(bad.stderr, 'One and only one of the following options is required: --all-topic-partitions, --topic, --path-to-json-file\n');
});

test('kafka-log-dirs prints Kafka\'s JSON with each partition\'s size', async () => {
  const r = await runScript('kafka-log-dirs.sh', ['--bootstrap-server', b, '--describe', '--topic-list', 'trim']);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trimEnd().split('\n');
  assert.equal(lines[0], 'Querying brokers for log directories information');
  assert.equal(lines[1], `Received log directory information from brokers ${broker.nodeId}`);
  const doc = JSON.parse(lines[2]!) as { version: number; brokers: Array<{ broker: number; logDirs: Array<{ logDir: string; error: null; partitions: Array<{ partition: string; size: number }> }> }> };
  assert.equal(doc.version, 1);
  assert.equal(doc.brokers[0]!.broker, broker.nodeId);
  const partitions = doc.brokers[0]!.logDirs.flatMap((d) => d.partitions);
  assert.deepEqual(partitions.map((p) => p.partition), ['trim-0']);
  assert.ok(partitions[0]!.size > 0);
});

test('kafka-metadata-quorum describe --status', async () => {
  const r = await runScript('kafka-metadata-quorum.sh', ['--bootstrap-server', b, 'describe', '--status']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`^ClusterId: +${broker.clusterId}\nLeaderId: +${broker.nodeId}\n`));
  assert.match(r.stdout, /\nCurrentVoters: +\[/);
  const replication = await runScript('kafka-metadata-quorum.sh', ['--bootstrap-server', b, 'describe', '--replication']);
  assert.equal(replication.code, 0, replication.stderr);
  assert.match(replication.stdout, new RegExp(`^NodeId +DirectoryId +LogEndOffset +Lag +LastFetchTimestamp +LastCaughtUpTimestamp +Status *\n${broker.nodeId} +`));
  assert.match(replication.stdout, /Leader/);
});
