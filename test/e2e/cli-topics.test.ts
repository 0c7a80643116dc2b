/**
 * kafka-topics.sh against a real broker: create with partitions, describe's
 * exact lines, list with Kafka's include-list regex, delete, --if-exists /
 * --if-not-exists, and the one-line errors with a non-zero exit.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Broker } from '../../src/index.js';
import { runScript } from './cli-support.js';

let broker: Broker;
let b: string;

before(async () => {
  broker = await Broker.start({ port: 0 });
  b = broker.bootstrap;
});

after(async () => {
  await broker.stop();
});

test('create with --partitions and describe prints Kafka\'s summary and partition lines', async () => {
  const created = await runScript('kafka-topics.sh', ['--bootstrap-server', b, '--create', '--topic', 'payments', '--partitions', '3', '--replication-factor', '1']);
  assert.equal(created.stdout, 'Created topic payments.\n');
  assert.equal(created.code, 0);

  const described = await runScript('kafka-topics.sh', ['--bootstrap-server', b, '--describe', '--topic', 'payments']);
  assert.equal(described.code, 0, described.stderr);
  const lines = described.stdout.trimEnd().split('\n');
  assert.equal(lines.length, 4);
  assert.match(lines[0]!, /^Topic: payments\tTopicId: [A-Za-z0-9_-]{22}\tPartitionCount: 3\tReplicationFactor: 1\tConfigs: .*$/);
  const n = broker.nodeId;
  for (let p = 0; p < 3; p++) {
    assert.equal(lines[p + 1], `\tTopic: payments\tPartition: ${p}\tLeader: ${n}\tReplicas: ${n}\tIsr: ${n}\tElr: N/A\tLastKnownElr: N/A`);
  }
  // Nothing is under-replicated or unavailable on a healthy single node.
  const under = await runScript('kafka-topics.sh', ['--bootstrap-server', b, '--describe', '--topic', 'payments', '--under-replicated-partitions']);
  assert.equal(under.stdout, '');
  assert.equal(under.code, 0);
  const unavailable = await runScript('kafka-topics.sh', ['--bootstrap-server', b, '--describe', '--unavailable-partitions']);
  assert.equal(unavailable.stdout, '');
  assert.equal(unavailable.code, 0);
});

test('an existing topic is an error unless --if-not-exists', async () => {
  await runScript('kafka-topics.sh', ['--bootstrap-server', b, '--create', '--topic', 'dup']);
  const again = await runScript('kafka-topics.sh', ['--bootstrap-server', b, '--create', '--topic', 'dup']);
  assert.equal(again.code, 1);
  assert.equal(again.stdout, '');
  assert.equal(again.stderr, "Error while executing topic command : Topic 'dup' already exists.\n");

  const quiet = await runScript('kafka-topics.sh', ['--bootstrap-server', b, '--create', '--topic', 'dup', '--if-not-exists']);
  assert.equal(quiet.code, 0);
  assert.equal(quiet.stdout, '');
  assert.equal(quiet.stderr, '');
});

test('--list takes an include-list regex; a dot or underscore in a new name gets Kafka\'s warning', async () => {
  const warned = await runScript('kafka-topics.sh', ['--bootstrap-server', b, '--create', '--topic', 'logs.app']);
  assert.equal(
    warned.stdout,
    "WARNING: Due to limitations in metric names, topics with a period ('.') or underscore ('_') could collide. To avoid issues it is best to use either, but not both.\nCreated topic logs.app.\n",
  );
  await runScript('kafka-topics.sh', ['--bootstrap-server', b, '--create', '--topic', 'logs-web']);
  const listed = await runScript('kafka-topics.sh', ['--bootstrap-server', b, '--list', '--topic', 'logs.*']);
  assert.equal(listed.stdout, 'logs-web\nlogs.app\n');
  const either = await runScript('kafka-topics.sh', ['--bootstrap-server', b, '--list', '--topic', 'logs-web,payments']);
  assert.equal(either.code, 0);
  assert.equal(either.stdout, 'logs-web\npayments\n');
});

test('--delete removes a topic; a missing one is an error unless --if-exists', async () => {
  await runScript('kafka-topics.sh', ['--bootstrap-server', b, '--create', '--topic', 'doomed']);
  const deleted = await runScript('kafka-topics.sh', ['--bootstrap-server', b, '--delete', '--topic', 'doomed']);
  assert.equal(deleted.code, 0, deleted.stderr);
  assert.equal(deleted.stdout, '');
  const listed = await runScript('kafka-topics.sh', ['--bootstrap-server', b, '--list']);
  assert.ok(!listed.stdout.split('\n').includes('doomed'), listed.stdout);

  const missing = await runScript('kafka-topics.sh', ['--bootstrap-server', b, '--delete', '--topic', 'doomed']);
  assert.equal(missing.code, 1);
  assert.equal(missing.stderr, "Topic 'doomed' does not exist as expected\n");
  const tolerated = await runScript('kafka-topics.sh', ['--bootstrap-server', b, '--delete', '--topic', 'doomed', '--if-exists']);
  assert.equal(tolerated.code, 0);

  const describeMissing = await runScript('kafka-topics.sh', ['--bootstrap-server', b, '--describe', '--topic', 'nope']);
  assert.equal(describeMissing.code, 1);
  assert.equal(describeMissing.stderr, "Topic 'nope' does not exist as expected\n");
});

test('bad command lines and a missing broker give one line and exit 1', async () => {
  const noAction = await runScript('kafka-topics.sh', ['--bootstrap-server', b]);
  assert.equal(noAction.code, 1);
  assert.equal(noAction.stderr, 'Command must include exactly one action: --list, --describe, --create, --alter or --delete\n');

  const unknown = await runScript('kafka-topics.sh', ['--bootstrap-server', b, '--list', '--frobnicate']);
  assert.equal(unknown.code, 1);
  assert.equal(unknown.stderr.trimEnd().split('\n').length, 1, unknown.stderr);
  assert.match(unknown.stderr, /frobnicate/);

  const badNumber = await runScript('kafka-topics.sh', ['--bootstrap-server', b, '--create', '--topic', 'x', '--partitions', 'many']);
  assert.equal(badNumber.code, 1);
  assert.equal(badNumber.stderr, "Cannot parse argument 'many' of option partitions\n");

  const zero = await runScript('kafka-topics.sh', ['--bootstrap-server', b, '--create', '--topic', 'x', '--partitions', '0']);
  assert.equal(zero.code, 1);
  assert.equal(zero.stderr, 'The partitions must be greater than 0\n');

  const badConfig = await runScript('kafka-topics.sh', ['--bootstrap-server', b, '--create', '--topic', 'x', '--config', 'retention.ms']);
  assert.equal(badConfig.code, 1);
  assert.match(badConfig.stderr, /all configs to be added must be in the format "key=val"/);

  const noBroker = await runScript('kafka-topics.sh', ['--bootstrap-server', '127.0.0.1:1', '--list']);
  assert.equal(noBroker.code, 1);
  assert.equal(noBroker.stderr.trimEnd().split('\n').length, 1, noBroker.stderr);
  assert.match(noBroker.stderr, /^Error while executing topic command : Cannot connect to broker 127\.0\.0\.1:1 /);
  assert.doesNotMatch(noBroker.stderr, /\n\s+at /);
});

test('--config overrides show in describe; --alter grows the partition count', async () => {
  const created = await runScript('kafka-topics.sh', ['--bootstrap-server', b, '--create', '--topic', 'tuned', '--config', 'retention.ms=1000', '--config', 'cleanup.policy=compact']);
  assert.equal(created.code, 0, created.stderr);
  const described = await runScript('kafka-topics.sh', ['--bootstrap-server', b, '--describe', '--topic', 'tuned']);
  assert.match(described.stdout.split('\n')[0]!, /\tConfigs: cleanup\.policy=compact,retention\.ms=1000$/);

  const altered = await runScript('kafka-topics.sh', ['--bootstrap-server', b, '--alter', '--topic', 'tuned', '--partitions', '3']);
  assert.equal(altered.code, 0, altered.stderr);
  assert.equal(altered.stdout, '');
  const after = await runScript('kafka-topics.sh', ['--bootstrap-server', b, '--describe', '--topic', 'tuned']);
  assert.match(after.stdout, /\tPartitionCount: 3\t/);
  assert.equal(after.stdout.trimEnd().split('\n').length, 4);

  const shrink = await runScript('kafka-topics.sh', ['--bootstrap-server', b, '--alter', '--topic', 'tuned', '--partitions', '2']);
  assert.equal(shrink.code, 1);
  assert.match(shrink.stderr, /^Error while executing topic command : .*3 partition/);
  assert.equal(shrink.stderr.trimEnd().split('\n').length, 1);
});

test('--command-config passes client properties; a missing file is one error line', async () => {
  const { writeFileSync, mkdtempSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const dir = mkdtempSync(join(tmpdir(), 'samsa-cli-'));
  try {
    const file = join(dir, 'client.properties');
    writeFileSync(file, '# admin client\nclient.id=ops-tool\nrequest.timeout.ms = 5000\n');
    const listed = await runScript('kafka-topics.sh', ['--bootstrap-server', b, '--list', '--command-config', file]);
    assert.equal(listed.code, 0, listed.stderr);
    assert.ok(listed.stdout.split('\n').includes('payments'));
    const missing = await runScript('kafka-topics.sh', ['--bootstrap-server', b, '--list', '--command-config', join(dir, 'nope.properties')]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /nope\.properties \(No such file or directory\)\n$/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

