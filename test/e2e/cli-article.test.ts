/**
 * The article users follow, against a real Samsa broker: create the topic
 * "orders", produce two orders from stdin, consume them from the beginning.
 * The commands are the article's, with the broker's address for localhost:9092.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Broker } from '../../src/index.js';
import { runScript, startScript } from './cli-support.js';

let broker: Broker;
let bootstrap: string;

before(async () => {
  broker = await Broker.start({ port: 0 });
  bootstrap = broker.bootstrap;
});

after(async () => {
  await broker.stop();
});

const orders = '{"order_id": 1, "amount": 500}\n{"order_id": 2, "amount": 650}\n';

test('article: create topic, produce two orders, consume them from the beginning', async () => {
  const created = await runScript('kafka-topics.sh', ['--create', '--topic', 'orders', '--bootstrap-server', bootstrap]);
  assert.equal(created.stderr, '');
  assert.equal(created.stdout, 'Created topic orders.\n');
  assert.equal(created.code, 0);

  const produced = await runScript('kafka-console-producer.sh', ['--topic', 'orders', '--bootstrap-server', bootstrap], { stdin: orders });
  assert.equal(produced.stderr, '');
  assert.equal(produced.stdout, '', 'no ">" prompt when stdin is not a terminal');
  assert.equal(produced.code, 0);

  const consumed = await runScript('kafka-console-consumer.sh', [
    '--topic', 'orders', '--from-beginning', '--bootstrap-server', bootstrap, '--max-messages', '2',
  ]);
  assert.equal(consumed.stdout, orders);
  assert.equal(consumed.stderr, 'Processed a total of 2 messages\n');
  assert.equal(consumed.code, 0);
});

test('article: the consumer command as written runs until Ctrl-C, then reports its count', async () => {
  // Runs after the first test: the two orders are in the topic.
  const consumer = startScript('kafka-console-consumer.sh', ['--topic', 'orders', '--from-beginning', '--bootstrap-server', bootstrap]);
  await consumer.waitForStdout((s) => s === orders);
  consumer.child.kill('SIGINT');
  const result = await consumer.done;
  assert.equal(result.stdout, orders);
  assert.equal(result.stderr, 'Processed a total of 2 messages\n');
  assert.equal(result.code, 130);
});

test('article: the topic is there in --list and --describe', async () => {
  const listed = await runScript('kafka-topics.sh', ['--list', '--bootstrap-server', bootstrap]);
  assert.equal(listed.code, 0);
  assert.ok(listed.stdout.split('\n').includes('orders'), listed.stdout);

  const described = await runScript('kafka-topics.sh', ['--describe', '--topic', 'orders', '--bootstrap-server', bootstrap]);
  assert.equal(described.code, 0, described.stderr);
  const lines = described.stdout.split('\n');
  assert.match(lines[0]!, /^Topic: orders\tTopicId: [A-Za-z0-9_-]{22}\tPartitionCount: 1\tReplicationFactor: 1\tConfigs: /);
  assert.equal(lines[1], `\tTopic: orders\tPartition: 0\tLeader: ${broker.nodeId}\tReplicas: ${broker.nodeId}\tIsr: ${broker.nodeId}\tElr: N/A\tLastKnownElr: N/A`);
  assert.equal(lines.length, 3);
});
