/**
 * kafka-get-offsets.sh and kafka-broker-api-versions.sh against a real broker.
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
  const created = await runScript('kafka-topics.sh', ['--bootstrap-server', b, '--create', '--topic', 'events', '--partitions', '2']);
  assert.equal(created.code, 0, created.stderr);
  const produced = await runScript('kafka-console-producer.sh', ['--bootstrap-server', b, '--topic', 'events', '--property', 'parse.key=true'], {
    stdin: 'a\t1\na\t2\na\t3\n',
  });
  assert.equal(produced.code, 0, produced.stderr);
});

after(async () => {
  await broker.stop();
});

test('kafka-get-offsets prints topic:partition:offset, latest by default, earliest with --time -2', async () => {
  const latest = await runScript('kafka-get-offsets.sh', ['--bootstrap-server', b, '--topic', 'events']);
  assert.equal(latest.code, 0, latest.stderr);
  const lines = latest.stdout.trimEnd().split('\n');
  assert.equal(lines.length, 2);
  assert.match(lines[0]!, /^events:0:\d+$/);
  assert.match(lines[1]!, /^events:1:\d+$/);
  // Three records with the same key: all in one partition.
  const total = lines.map((l) => Number(l.split(':')[2])).reduce((x, y) => x + y, 0);
  assert.equal(total, 3);

  const earliest = await runScript('kafka-get-offsets.sh', ['--bootstrap-server', b, '--topic', 'events', '--time', '-2']);
  assert.equal(earliest.stdout, 'events:0:0\nevents:1:0\n');

  const one = await runScript('kafka-get-offsets.sh', ['--bootstrap-server', b, '--topic-partitions', 'events:1', '--time', 'earliest']);
  assert.equal(one.stdout, 'events:1:0\n');
});

test('kafka-get-offsets: nothing matched, or a malformed --time, is one error line', async () => {
  const none = await runScript('kafka-get-offsets.sh', ['--bootstrap-server', b, '--topic', 'no-such-topic']);
  assert.equal(none.code, 1);
  assert.equal(none.stderr, 'Error occurred: Could not match any topic-partitions with the specified filters\n');
  const badTime = await runScript('kafka-get-offsets.sh', ['--bootstrap-server', b, '--topic', 'events', '--time', 'yesterday']);
  assert.equal(badTime.code, 1);
  assert.match(badTime.stderr, /^Error occurred: Malformed time argument yesterday\./);
});

test('kafka-broker-api-versions lists each API with its range and usable version', async () => {
  const r = await runScript('kafka-broker-api-versions.sh', ['--bootstrap-server', b]);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trimEnd().split('\n');
  assert.match(lines[0]!, new RegExp(`^127\\.0\\.0\\.1:${broker.port} \\(id: ${broker.nodeId} rack: null\\) -> \\($`));
  assert.equal(lines.at(-1), ')');
  assert.ok(lines.some((l) => /^\tProduce\(0\): \d+ to \d+ \[usable: \d+\],$/.test(l)), r.stdout);
  assert.ok(lines.some((l) => /^\tApiVersions\(18\): \d+ to \d+ \[usable: \d+\],$/.test(l)), r.stdout);
  assert.ok(lines.some((l) => l === '\tLeaderAndIsr(4): UNSUPPORTED,'), r.stdout);
  // Every line between the parentheses but the last ends with a comma.
  for (const l of lines.slice(1, -2)) assert.ok(l.endsWith(','), l);
});
