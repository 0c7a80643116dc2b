/**
 * kafka-console-producer.sh and kafka-console-consumer.sh beyond the article:
 * keys and headers in and out, the formatter's print.* properties, one
 * partition from an offset, --timeout-ms, a consumer group that resumes from
 * its commit, SIGTERM, and the one-line errors.
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
});

after(async () => {
  await broker.stop();
});

async function createTopic(name: string, partitions = 1): Promise<void> {
  const r = await runScript('kafka-topics.sh', ['--bootstrap-server', b, '--create', '--topic', name, '--partitions', String(partitions)]);
  assert.equal(r.code, 0, r.stderr);
}

async function produce(topic: string, input: string, extra: string[] = []): Promise<void> {
  const r = await runScript('kafka-console-producer.sh', ['--bootstrap-server', b, '--topic', topic, ...extra], { stdin: input });
  assert.equal(r.stderr, '');
  assert.equal(r.code, 0);
}

test('keys and headers go in with parse.key/parse.headers and come out with print.*', async () => {
  await createTopic('keyed');
  await produce('keyed', 'source:web,trace:42\tuser-1\tclicked\nsource:app\tuser-2\tpaid\n', [
    '--property', 'parse.key=true', '--property', 'parse.headers=true',
  ]);
  const r = await runScript('kafka-console-consumer.sh', [
    '--bootstrap-server', b, '--topic', 'keyed', '--from-beginning', '--timeout-ms', '1500',
    '--property', 'print.key=true', '--property', 'print.headers=true', '--property', 'print.partition=true',
    '--property', 'print.offset=true', '--property', 'key.separator= | ',
  ]);
  assert.equal(r.code, 0);
  assert.equal(
    r.stdout,
    'Partition:0 | Offset:0 | source:web,trace:42 | user-1 | clicked\n' + 'Partition:0 | Offset:1 | source:app | user-2 | paid\n',
  );
  assert.equal(r.stderr, 'Processed a total of 2 messages\n');

  const withTime = await runScript('kafka-console-consumer.sh', [
    '--bootstrap-server', b, '--topic', 'keyed', '--from-beginning', '--max-messages', '1', '--property', 'print.timestamp=true',
  ]);
  assert.match(withTime.stdout, /^CreateTime:\d{13}\tclicked\n$/);
});

test('a line without the key separator is one error line and exit 1', async () => {
  await createTopic('strict');
  const r = await runScript('kafka-console-producer.sh', ['--bootstrap-server', b, '--topic', 'strict', '--property', 'parse.key=true'], {
    stdin: 'no separator here\n',
  });
  assert.equal(r.code, 1);
  assert.equal(r.stderr, "No key separator found on line number 1: 'no separator here'\n");
});

test('--partition with --offset reads one partition from that offset', async () => {
  await createTopic('numbers');
  await produce('numbers', '1\n2\n3\n4\n5\n');
  const r = await runScript('kafka-console-consumer.sh', [
    '--bootstrap-server', b, '--topic', 'numbers', '--partition', '0', '--offset', '3', '--timeout-ms', '1000',
  ]);
  assert.equal(r.code, 0);
  assert.equal(r.stdout, '4\n5\n');
  assert.equal(r.stderr, 'Processed a total of 2 messages\n');

  const fromEnd = await runScript('kafka-console-consumer.sh', ['--bootstrap-server', b, '--topic', 'numbers', '--partition', '0', '--timeout-ms', '700']);
  assert.equal(fromEnd.stdout, '');
  assert.equal(fromEnd.stderr, 'Processed a total of 0 messages\n');
  assert.equal(fromEnd.code, 0);
});

test('a consumer group resumes where the last run stopped', async () => {
  await createTopic('jobs', 2);
  await produce('jobs', 'j1\nj2\nj3\nj4\nj5\nj6\n');
  const first = await runScript('kafka-console-consumer.sh', ['--bootstrap-server', b, '--topic', 'jobs', '--group', 'workers', '--from-beginning', '--max-messages', '4']);
  assert.equal(first.code, 0, first.stderr);
  assert.equal(first.stderr, 'Processed a total of 4 messages\n');
  const second = await runScript('kafka-console-consumer.sh', ['--bootstrap-server', b, '--topic', 'jobs', '--group', 'workers', '--from-beginning', '--timeout-ms', '1500']);
  assert.equal(second.code, 0, second.stderr);
  assert.equal(second.stderr, 'Processed a total of 2 messages\n');
  const seen = [...first.stdout.trimEnd().split('\n'), ...second.stdout.trimEnd().split('\n')].sort();
  assert.deepEqual(seen, ['j1', 'j2', 'j3', 'j4', 'j5', 'j6']);
});

test('SIGTERM stops the consumer with its count; a consumer waits for a topic that does not exist yet', async () => {
  const consumer = startScript('kafka-console-consumer.sh', ['--bootstrap-server', b, '--topic', 'later', '--from-beginning']);
  await new Promise((resolve) => setTimeout(resolve, 500));
  await produce('later', 'hello\n');
  await consumer.waitForStdout((s) => s === 'hello\n');
  consumer.child.kill('SIGTERM');
  const r = await consumer.done;
  assert.equal(r.stdout, 'hello\n');
  assert.equal(r.stderr, 'Processed a total of 1 messages\n');
  assert.equal(r.code, 143);
});

test('bad flags and an unreachable broker: one line, exit 1', async () => {
  const offsetAlone = await runScript('kafka-console-consumer.sh', ['--bootstrap-server', b, '--topic', 'numbers', '--offset', '1']);
  assert.equal(offsetAlone.code, 1);
  assert.equal(offsetAlone.stderr, 'The partition is required when offset is specified.\n');

  const noTopic = await runScript('kafka-console-consumer.sh', ['--bootstrap-server', b]);
  assert.equal(noTopic.code, 1);
  assert.equal(noTopic.stderr, 'Exactly one of the following arguments is required: [topic], [include]\n');

  const producerNoTopic = await runScript('kafka-console-producer.sh', ['--bootstrap-server', b], { stdin: '' });
  assert.equal(producerNoTopic.code, 1);
  assert.equal(producerNoTopic.stderr, 'Missing required argument "[topic]"\n');

  const noBroker = await runScript('kafka-console-producer.sh', ['--bootstrap-server', '127.0.0.1:1', '--topic', 't'], { stdin: 'x\n' });
  assert.equal(noBroker.code, 1);
  assert.equal(noBroker.stderr.trimEnd().split('\n').length, 1, noBroker.stderr);
  assert.match(noBroker.stderr, /Cannot connect to broker 127\.0\.0\.1:1/);
});

test('on a terminal the producer shows a ">" prompt for each line', async () => {
  // `script` runs the producer with a pseudo-terminal as its stdin and stdout.
  const { spawnSync, spawn } = await import('node:child_process');
  // util-linux's `script` (Debian's bsdutils, always installed) provides the terminal.
  assert.equal(spawnSync('script', ['--version']).status, 0, 'the `script` command (util-linux) is needed for this test');
  const { binDir } = await import('./cli-support.js');
  await createTopic('typed');
  const child = spawn('script', ['-qfec', `${binDir}/kafka-console-producer.sh --topic typed --bootstrap-server ${b}`, '/dev/null'], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString('utf8')));
  const waitFor = async (predicate: () => boolean): Promise<void> => {
    for (let i = 0; i < 100 && !predicate(); i++) await new Promise((resolve) => setTimeout(resolve, 100));
    assert.ok(predicate(), `terminal output so far: ${JSON.stringify(out)}`);
  };
  await waitFor(() => out.startsWith('>'));
  child.stdin.write('first order\n');
  await waitFor(() => /first order\r?\n>/.test(out));
  child.stdin.write('second order\n');
  await waitFor(() => /second order\r?\n>/.test(out));
  child.stdin.write('\u0004');
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  assert.equal(code, 0, out);
  const consumed = await runScript('kafka-console-consumer.sh', ['--bootstrap-server', b, '--topic', 'typed', '--from-beginning', '--max-messages', '2']);
  assert.equal(consumed.stdout, 'first order\nsecond order\n');
});
