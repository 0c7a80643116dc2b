/**
 * kafka-consumer-groups.sh against a real broker, with groups made by the
 * console consumer: list (with --state), describe offsets and lag, --members
 * and --state of a live group, reset-offsets (dry run, execute, refused while
 * the group is active), delete-offsets and delete.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Broker } from '../../src/index.js';
import { runScript, startScript } from './cli-support.js';

let broker: Broker;
let b: string;

before(async () => {
  broker = await Broker.start({ port: 0, config: { 'group.initial.rebalance.delay.ms': 0 } });
  b = broker.bootstrap;
  assert.equal((await runScript('kafka-topics.sh', ['--bootstrap-server', b, '--create', '--topic', 'orders'])).code, 0);
  const produced = await runScript('kafka-console-producer.sh', ['--bootstrap-server', b, '--topic', 'orders'], { stdin: '1\n2\n3\n4\n5\n6\n' });
  assert.equal(produced.code, 0, produced.stderr);
  const consumed = await runScript('kafka-console-consumer.sh', ['--bootstrap-server', b, '--topic', 'orders', '--group', 'billing', '--from-beginning', '--max-messages', '4']);
  assert.equal(consumed.code, 0, consumed.stderr);
});

after(async () => {
  await broker.stop();
});

const groups = (...args: string[]) => runScript('kafka-consumer-groups.sh', ['--bootstrap-server', b, ...args]);

/** Splits a table on runs of spaces (no cell has one). */
function cells(line: string): string[] {
  return line.trim().split(/ +/);
}

test('--list and --list --state show the group', async () => {
  const listed = await groups('--list');
  assert.equal(listed.code, 0, listed.stderr);
  assert.ok(listed.stdout.split('\n').includes('billing'), listed.stdout);

  const withState = await groups('--list', '--state');
  const lines = withState.stdout.trimEnd().split('\n');
  assert.deepEqual(cells(lines[0]!), ['GROUP', 'STATE']);
  assert.ok(lines.some((l) => /^billing +Empty *$/.test(l)), JSON.stringify(withState));
});

test('--describe shows committed offset, log end offset and lag; an empty group is noted on stderr', async () => {
  const r = await groups('--describe', '--group', 'billing');
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, "\nConsumer group 'billing' has no active members.\n");
  const lines = r.stdout.split('\n');
  assert.equal(lines[0], '');
  assert.deepEqual(cells(lines[1]!), ['GROUP', 'TOPIC', 'PARTITION', 'CURRENT-OFFSET', 'LOG-END-OFFSET', 'LAG', 'CONSUMER-ID', 'HOST', 'CLIENT-ID']);
  assert.equal(lines[1], 'GROUP           TOPIC           PARTITION  CURRENT-OFFSET  LOG-END-OFFSET  LAG             CONSUMER-ID     HOST            CLIENT-ID');
  assert.deepEqual(cells(lines[2]!), ['billing', 'orders', '0', '4', '6', '2', '-', '-', '-']);
  assert.equal(lines.length, 4);

  const missing = await groups('--describe', '--group', 'no-such-group');
  assert.equal(missing.code, 1);
  assert.equal(missing.stderr, "Error: Consumer group 'no-such-group' does not exist.\n");
});

test('a live member shows in --members and --state, and blocks a reset', async () => {
  const consumer = startScript('kafka-console-consumer.sh', ['--bootstrap-server', b, '--topic', 'orders', '--group', 'live']);
  try {
    let state = '';
    for (let i = 0; i < 50 && !/Stable/.test(state); i++) {
      state = (await groups('--describe', '--group', 'live', '--state')).stdout;
      if (!/Stable/.test(state)) await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const stateLines = state.split('\n');
    assert.deepEqual(cells(stateLines[1]!), ['GROUP', 'COORDINATOR', '(ID)', 'ASSIGNMENT-STRATEGY', 'STATE', '#MEMBERS']);
    const row = cells(stateLines[2]!);
    assert.equal(row[0], 'live');
    assert.equal(row[1], b);
    assert.equal(row[2], `(${broker.nodeId})`);
    assert.equal(row[3], 'range');
    assert.equal(row[4], 'Stable');
    assert.equal(row[5], '1');

    const members = await groups('--describe', '--group', 'live', '--members');
    assert.equal(members.code, 0, members.stderr);
    const memberLines = members.stdout.split('\n');
    assert.deepEqual(cells(memberLines[1]!), ['GROUP', 'CONSUMER-ID', 'HOST', 'CLIENT-ID', '#PARTITIONS']);
    const m = cells(memberLines[2]!);
    assert.equal(m[0], 'live');
    assert.match(m[1]!, /^console-consumer-/);
    assert.equal(m[3], 'console-consumer');
    assert.equal(m[4], '1');

    const refused = await groups('--reset-offsets', '--group', 'live', '--topic', 'orders', '--to-earliest', '--execute');
    assert.equal(refused.code, 1);
    assert.equal(refused.stderr, "Error: Assignments can only be reset if the group 'live' is inactive, but the current state is Stable.\n");
  } finally {
    consumer.child.kill('SIGINT');
    await consumer.done;
  }
});

test('--reset-offsets: a dry run changes nothing, --execute does', async () => {
  const dry = await groups('--reset-offsets', '--group', 'billing', '--topic', 'orders', '--to-earliest', '--dry-run');
  assert.equal(dry.code, 0, dry.stderr);
  const dryLines = dry.stdout.split('\n');
  assert.equal(dryLines[1], 'GROUP           TOPIC           PARTITION  NEW-OFFSET');
  assert.deepEqual(cells(dryLines[2]!), ['billing', 'orders', '0', '0']);
  assert.deepEqual(cells((await groups('--describe', '--group', 'billing')).stdout.split('\n')[2]!).slice(3, 6), ['4', '6', '2']);

  const shifted = await groups('--reset-offsets', '--group', 'billing', '--topic', 'orders', '--shift-by', '-3', '--execute');
  assert.equal(shifted.code, 0, shifted.stderr);
  assert.deepEqual(cells(shifted.stdout.split('\n')[2]!), ['billing', 'orders', '0', '1']);
  assert.deepEqual(cells((await groups('--describe', '--group', 'billing')).stdout.split('\n')[2]!).slice(3, 6), ['1', '6', '5']);

  // The console consumer picks up from the reset position.
  const again = await runScript('kafka-console-consumer.sh', ['--bootstrap-server', b, '--topic', 'orders', '--group', 'billing', '--timeout-ms', '1500']);
  assert.equal(again.stdout, '2\n3\n4\n5\n6\n');

  const noScenario = await groups('--reset-offsets', '--group', 'billing', '--topic', 'orders');
  assert.equal(noScenario.code, 1);
  assert.match(noScenario.stderr, /^Option \[reset-offsets\] takes exactly one of these options/);
});

test('--delete-offsets and --delete', async () => {
  const deletedOffsets = await groups('--delete-offsets', '--group', 'billing', '--topic', 'orders');
  assert.equal(deletedOffsets.code, 0, deletedOffsets.stderr);
  assert.match(deletedOffsets.stdout, /^Request succeed for deleting offsets from group billing\.\n/);
  assert.deepEqual(cells(deletedOffsets.stdout.split('\n')[3]!), ['orders', '0', 'Successful']);

  const deleted = await groups('--delete', '--group', 'billing');
  assert.equal(deleted.code, 0, deleted.stderr);
  assert.equal(deleted.stdout, "Deletion of requested consumer groups ('billing') was successful.\n");
  const listed = await groups('--list');
  assert.ok(!listed.stdout.split('\n').includes('billing'), listed.stdout);
});
