/**
 * kafka-configs.sh against a real broker: describe/alter round trips for
 * topics, brokers and cluster defaults, and bad command lines.
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
  assert.equal((await runScript('kafka-topics.sh', ['--bootstrap-server', b, '--create', '--topic', 'orders'])).code, 0);
});

after(async () => {
  await broker.stop();
});

const configs = (...args: string[]) => runScript('kafka-configs.sh', ['--bootstrap-server', b, ...args]);

test('alter then describe a topic config, then delete it', async () => {
  const altered = await configs('--alter', '--entity-type', 'topics', '--entity-name', 'orders', '--add-config', 'retention.ms=1000,cleanup.policy=[compact,delete]');
  assert.equal(altered.code, 0, altered.stderr);
  assert.equal(altered.stdout, 'Completed updating config for topic orders.\n');

  const described = await configs('--describe', '--topic', 'orders');
  assert.equal(described.code, 0, described.stderr);
  const lines = described.stdout.trimEnd().split('\n');
  assert.equal(lines[0], 'Dynamic configs for topic orders are:');
  assert.match(lines[1]!, /^  cleanup\.policy=compact,delete sensitive=false synonyms=\{DYNAMIC_TOPIC_CONFIG:cleanup\.policy=compact,delete[,}]/);
  assert.match(lines[2]!, /^  retention\.ms=1000 sensitive=false synonyms=\{DYNAMIC_TOPIC_CONFIG:retention\.ms=1000[,}]/);
  assert.equal(lines.length, 3);

  const topicLine = (await runScript('kafka-topics.sh', ['--bootstrap-server', b, '--describe', '--topic', 'orders'])).stdout.split('\n')[0]!;
  assert.match(topicLine, /\tConfigs: .*retention\.ms=1000/);

  const removed = await configs('--alter', '--topic', 'orders', '--delete-config', 'retention.ms,cleanup.policy');
  assert.equal(removed.code, 0, removed.stderr);
  assert.equal((await configs('--describe', '--topic', 'orders')).stdout, 'Dynamic configs for topic orders are:\n');
});

test('bad command lines give one line and exit 1', async () => {
  const noAction = await configs('--topic', 'orders');
  assert.equal(noAction.code, 1);
  assert.equal(noAction.stderr, 'Command must include exactly one action: --describe, --alter\n');

  const badType = await configs('--describe', '--entity-type', 'planets');
  assert.equal(badType.code, 1);
  assert.match(badType.stderr, /^Invalid entity type planets/);

  const badPair = await configs('--alter', '--topic', 'orders', '--add-config', 'retention.ms');
  assert.equal(badPair.code, 1);
  assert.match(badPair.stderr, /must be in the format "key=val"/);
  assert.equal(badPair.stderr.trimEnd().split('\n').length, 1);
});

test('broker and cluster-default configs: alter, then describe shows them with their source', async () => {
  const defaults = await configs('--alter', '--entity-type', 'brokers', '--entity-default', '--add-config', 'log.retention.ms=600000');
  assert.equal(defaults.code, 0, defaults.stderr);
  assert.equal(defaults.stdout, 'Completed updating default config for brokers in the cluster.\n');
  const one = await configs('--alter', '--broker', String(broker.nodeId), '--add-config', 'log.cleaner.threads=2');
  assert.equal(one.code, 0, one.stderr);
  assert.equal(one.stdout, `Completed updating config for broker ${broker.nodeId}.\n`);

  const described = await configs('--describe', '--entity-type', 'brokers');
  assert.equal(described.code, 0, described.stderr);
  const lines = described.stdout.trimEnd().split('\n');
  assert.equal(lines[0], `Dynamic configs for broker ${broker.nodeId} are:`);
  assert.match(lines[1]!, /^  log\.cleaner\.threads=2 sensitive=false synonyms=\{DYNAMIC_BROKER_CONFIG:log\.cleaner\.threads=2[,}]/);
  assert.equal(lines[2], 'Default configs for brokers in the cluster are:');
  assert.match(lines[3]!, /^  log\.retention\.ms=600000 sensitive=false synonyms=\{DYNAMIC_DEFAULT_BROKER_CONFIG:log\.retention\.ms=600000[,}]/);

  const missingTopic = await configs('--describe', '--topic', 'nope');
  assert.equal(missingTopic.code, 1);
  assert.equal(missingTopic.stderr, "The topic 'nope' doesn't exist and doesn't have dynamic config.\n");
});
